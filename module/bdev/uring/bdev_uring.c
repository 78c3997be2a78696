/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uring bdev: a file or a kernel block device through io_uring. Each
 * thread has one ring for all uring bdevs; I/O is queued in the ring as it
 * is submitted and handed to the kernel once per poll, and the same poller
 * reaps completions, so a busy thread makes one system call per poll.
 * O_DIRECT is used where the file system has it (tmpfs only since 6.6).
 * Write zeroes is FALLOC_FL_ZERO_RANGE, or a punched hole on a file system
 * without it (tmpfs): found on the first refusal, which goes again. A reset
 * completes once the I/O given to the channel before it did.
 *
 * Files are registered with each ring on first use (IORING_REGISTER_FILES,
 * sparse), so the kernel does not look the file up and count a reference
 * on every I/O. A ring keeps a registered file open: a deleted bdev's file
 * is closed for good when its slot is taken by another bdev or the ring goes.
 * Buffers are not registered: they are the callers', different on each I/O.
 *
 * Optionally (bdev_uring_set_options, before the first uring bdev) each ring
 * gets a kernel thread that polls its submissions (SQPOLL): no system call
 * to submit, at the price of a CPU the thread spins on while I/O flows.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <string.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_modules.h"

#define URING_QUEUE_DEPTH     512
#define URING_DISABLED_SYSCTL "/proc/sys/kernel/io_uring_disabled"
/* Registered-file slots per ring: uring bdevs that can exist at once. */
#define URING_FILE_SLOTS 1024

struct uring_bdev {
	struct usk_bdev bdev;
	char *filename;
	int fd;
	uint32_t slot; /* its registered-file slot in every ring */
	uint64_t id;   /* never reused, unlike fds and slots */
	/* The file system has no FALLOC_FL_ZERO_RANGE (tmpfs): zeroes are holes. */
	_Atomic bool no_zero_range;
};

/* Per I/O: how a write zeroes went out, and its place in the channel's wait list. */
struct uring_io {
	bool by_hole;
	struct usk_bdev_io *next;
	struct bdev_file_mark mark; /* its number, or a reset's wait */
};

struct uring_channel {
	struct io_uring ring;
	struct usk_poller *poller;
	uint32_t queued;   /* in the ring, not yet given to the kernel */
	uint32_t inflight; /* given to the kernel, not yet reaped */
	uint32_t cq_entries; /* in flight at most: no completion overflows the queue */
	/* No room in the ring or its completion queue: in order, for the next poll. */
	struct usk_bdev_io *wait_head, *wait_tail;
	struct bdev_file_drain drain; /* what resets wait for */
	bool fixed_files;  /* the ring has a registered-file table */
	int efd;	   /* signalled on completions: wakes an idle-sleeping reactor */
	uint64_t slot_owner[URING_FILE_SLOTS]; /* the bdev id registered in each slot, 0: none */
};

/* The module's options (bdev_uring_set_options); the app thread's. */
struct uring_options {
	bool sqpoll;
	uint32_t sqpoll_idle_ms; /* the polling thread sleeps after this long idle */
};

#define URING_DEFAULT_OPTIONS                           \
	{                                               \
		.sqpoll = false, .sqpoll_idle_ms = 1000 \
	}
static struct uring_options g_uring_opts = URING_DEFAULT_OPTIONS;

/* Where the io_uring_disabled sysctl is read; tests point it at a file of theirs. */
static const char *g_disabled_path = URING_DISABLED_SYSCTL;

/* Slots in use, and the last bdev id given; the app thread's. */
static bool g_slot_used[URING_FILE_SLOTS];
static uint64_t g_last_id;

static int uring_module_init(void);
static void uring_module_fini(void);

const struct usk_bdev_module g_bdev_uring_module = {
	.name = "uring",
	.module_init = uring_module_init,
	.module_fini = uring_module_fini,
	.driver_ctx_size = sizeof(struct uring_io),
};

static void uring_queue(struct uring_channel *ch, struct usk_bdev_io *io);
static void uring_admit_waiting(struct uring_channel *ch);

/*
 * Gives the kernel the queued SQEs. What it refuses (-EBUSY while its
 * completions overflow, -EAGAIN when short of memory) stays queued for
 * the next poll: counted as given, no poll would give it again and its
 * I/O would never complete.
 */
static void uring_give_queued(struct uring_channel *ch)
{
	int given = io_uring_submit(&ch->ring);

	if (given > 0) {
		ch->inflight += (uint32_t)given;
		ch->queued -= (uint32_t)given;
	}
}

/*
 * The ring's eventfd is the poller's interrupt source: signalled only while
 * the reactor sleeps. Polling, completions are seen without it, and a
 * signal per completion would be wasted work for the kernel.
 */
static int uring_arm(void *ctx)
{
	struct uring_channel *ch = ctx;

	if (ch->queued > 0 || ch->wait_head != NULL) {
		/* Not yet given to the kernel: the poller must run first. */
		return 1;
	}
	/* A kernel before 5.8 cannot turn the signal off: then it is always on. */
	io_uring_cq_eventfd_toggle(&ch->ring, true);
	/*
	 * The kernel stores the CQ tail, then reads the flag; we store the flag,
	 * then read the tail: a full fence between, or both may miss the other.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return io_uring_cq_ready(&ch->ring) > 0;
}

static int uring_disarm(void *ctx)
{
	struct uring_channel *ch = ctx;
	uint64_t count;

	io_uring_cq_eventfd_toggle(&ch->ring, false);
	/* What it counted is seen by the poll that follows. */
	(void)!read(ch->efd, &count, sizeof(count));
	return 0;
}

/*
 * A file system without FALLOC_FL_ZERO_RANGE refuses write zeroes with
 * -EOPNOTSUPP: the bdev punches holes from then on (they read as zeroes),
 * and this I/O goes again as one. Returns whether it went again.
 */
static bool uring_retry_zeroes_as_hole(struct uring_channel *ch, struct usk_bdev_io *io, int res)
{
	struct uring_bdev *ub = io->bdev->ctxt;

	if (res != -EOPNOTSUPP || io->type != USK_BDEV_IO_TYPE_WRITE_ZEROES ||
	    ((struct uring_io *)usk_bdev_io_driver_ctx(io))->by_hole) {
		return false;
	}
	atomic_store(&ub->no_zero_range, true);
	uring_queue(ch, io);
	return true;
}

/* Gives the kernel what was queued, then completes what it finished. */
static int uring_poll(void *ctx)
{
	struct uring_channel *ch = ctx;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	if (ch->queued > 0) {
		uring_give_queued(ch);
	}
	io_uring_for_each_cqe(&ch->ring, head, cqe) {
		struct usk_bdev_io *io = io_uring_cqe_get_data(cqe);
		uint64_t want =
			io->type == USK_BDEV_IO_TYPE_READ || io->type == USK_BDEV_IO_TYPE_WRITE
				? io->num_blocks * io->bdev->blocklen
				: 0;
		uint64_t seq = ((struct uring_io *)usk_bdev_io_driver_ctx(io))->mark.seq;

		n++;
		if (uring_retry_zeroes_as_hole(ch, io, cqe->res)) {
			continue;
		}
		usk_bdev_io_complete(io, cqe->res >= 0 && (uint64_t)cqe->res == want
						 ? USK_BDEV_IO_STATUS_SUCCESS
						 : USK_BDEV_IO_STATUS_FAILED);
		bdev_file_io_end(&ch->drain, seq);
	}
	io_uring_cq_advance(&ch->ring, n);
	ch->inflight -= n;
	uring_admit_waiting(ch);
	if (n == 0 && ch->inflight > 0) {
		/* What the kernel could not finish at submit (every tmpfs read). */
		bdev_file_let_kernel_worker_run();
	}
	return n > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

void bdev_uring_set_disabled_path(const char *path)
{
	g_disabled_path = path != NULL ? path : URING_DISABLED_SYSCTL;
}

/*
 * kernel.io_uring_disabled (Linux 6.6 on): 0 allowed, 1 only for root and
 * the members of kernel.io_uring_group, 2 for nobody. Absent: 0.
 */
static int uring_disabled_sysctl(void)
{
	FILE *f = fopen(g_disabled_path, "r");
	int value = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &value) != 1) {
			value = 0;
		}
		fclose(f);
	}
	return value;
}

/*
 * Says in @buf why making a ring failed with @rc, and, where the host
 * forbids io_uring, what to use instead.
 */
static void uring_unavailable_why(int rc, char *buf, size_t len)
{
	int disabled = uring_disabled_sysctl();
	const char *why;

	if (rc != -ENOSYS && rc != -EPERM) {
		snprintf(buf, len, "cannot set up a ring: %s", strerror(-rc));
		return;
	}
	if (disabled == 2) {
		why = "the kernel.io_uring_disabled sysctl is 2";
	} else if (disabled == 1 && rc == -EPERM) {
		why = "the kernel.io_uring_disabled sysctl is 1 and this process is not in "
		      "kernel.io_uring_group";
	} else if (rc == -EPERM) {
		why = "io_uring_setup is not permitted (a container's seccomp profile?)";
	} else {
		why = "the kernel has no io_uring_setup, or a seccomp profile hides it";
	}
#ifdef USK_HAVE_AIO
	snprintf(buf, len, "io_uring is unavailable on this host: %s; use bdev_aio_create instead",
		 why);
#else
	snprintf(buf, len,
		 "io_uring is unavailable on this host: %s; bdev_aio_create would do, in a "
		 "USK built with libaio (scripts/pkgdep.sh)",
		 why);
#endif
}

/*
 * Whether this process may make rings: a trial ring, unless the sysctl
 * forbids them to all. Only a refusal by the host fails (with @err saying
 * so); other failures are the channel's to meet and report.
 */
static int uring_check_available(char *err, size_t errlen)
{
	struct io_uring ring;
	int rc = uring_disabled_sysctl() == 2 ? -EPERM : io_uring_queue_init(2, &ring, 0);

	if (rc == 0) {
		io_uring_queue_exit(&ring);
		return 0;
	}
	if (rc != -ENOSYS && rc != -EPERM) {
		return 0;
	}
	uring_unavailable_why(rc, err, errlen);
	return rc;
}

static void uring_channel_destroy(void *io_device, void *ctx)
{
	struct uring_channel *ch = ctx;

	usk_poller_unregister(&ch->poller);
	if (ch->efd >= 0) {
		close(ch->efd);
	}
	io_uring_queue_exit(&ch->ring);
}

/*
 * A reactor that sleeps while the kernel works wakes at the completion.
 * Without an eventfd the poller has no source, and the sleeps are short.
 */
static void uring_channel_set_interrupt(struct uring_channel *ch)
{
	ch->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ch->efd < 0) {
		return;
	}
	if (io_uring_register_eventfd(&ch->ring, ch->efd) != 0) {
		close(ch->efd);
		ch->efd = -1;
		return;
	}
	io_uring_cq_eventfd_toggle(&ch->ring, false);
	usk_poller_set_interrupt(ch->poller, ch->efd, uring_arm, uring_disarm, ch);
}

static int uring_channel_create(void *io_device, void *ctx)
{
	struct uring_channel *ch = ctx;
	struct io_uring_params params = {0};
	int rc;

	if (g_uring_opts.sqpoll) {
		params.flags = IORING_SETUP_SQPOLL;
		params.sq_thread_idle = g_uring_opts.sqpoll_idle_ms;
	}
	rc = io_uring_queue_init_params(URING_QUEUE_DEPTH, &ch->ring, &params);
	ch->cq_entries = params.cq_entries;
	if (rc != 0) {
		char why[256];

		uring_unavailable_why(rc, why, sizeof(why));
		USK_ERRLOG("uring: %s", why);
		return rc;
	}
	/* Kernels before 5.19 have no sparse tables: plain fds then. */
	ch->fixed_files = io_uring_register_files_sparse(&ch->ring, URING_FILE_SLOTS) == 0;
	memset(ch->slot_owner, 0, sizeof(ch->slot_owner));
	ch->drain = (struct bdev_file_drain){0};
	ch->poller = usk_poller_register(uring_poll, ch, 0, "bdev_uring");
	if (ch->poller == NULL) {
		ch->efd = -1;
		uring_channel_destroy(io_device, ctx);
		return -ENOMEM;
	}
	uring_channel_set_interrupt(ch);
	return 0;
}

static int uring_module_init(void)
{
	return usk_io_device_register((void *)(uintptr_t)&g_bdev_uring_module, uring_channel_create,
				      uring_channel_destroy, sizeof(struct uring_channel),
				      "bdev_uring");
}

static void uring_module_fini(void)
{
	usk_io_device_unregister((void *)(uintptr_t)&g_bdev_uring_module, NULL);
}

/*
 * The file to name in an SQE on @ch: the bdev's registered slot (registering
 * it on first use, one system call per bdev and ring), or its fd.
 */
static int uring_file(struct uring_channel *ch, struct uring_bdev *ub, bool *fixed)
{
	*fixed = false;
	if (!ch->fixed_files) {
		return ub->fd;
	}
	if (ch->slot_owner[ub->slot] != ub->id) {
		if (io_uring_register_files_update(&ch->ring, ub->slot, &ub->fd, 1) != 1) {
			return ub->fd;
		}
		ch->slot_owner[ub->slot] = ub->id;
	}
	*fixed = true;
	return (int)ub->slot;
}

/*
 * Write zeroes as a zeroed range, or as a hole where the file system has no
 * such range; the I/O remembers which, for a refusal to be told apart.
 */
static int uring_zeroes_mode(struct usk_bdev_io *io)
{
	struct uring_io *uio = usk_bdev_io_driver_ctx(io);
	struct uring_bdev *ub = io->bdev->ctxt;

	uio->by_hole = atomic_load(&ub->no_zero_range);
	return uio->by_hole ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE;
}

/* Fills @sqe for @io with @file; false for a type the ring cannot do. */
static bool uring_prep(struct io_uring_sqe *sqe, int file, struct usk_bdev_io *io)
{
	uint64_t off = io->offset_blocks * io->bdev->blocklen;
	uint64_t len = io->num_blocks * io->bdev->blocklen;

	switch (io->type) {
	case USK_BDEV_IO_TYPE_READ:
		io_uring_prep_readv(sqe, file, io->iovs, (unsigned int)io->iovcnt, off);
		return true;
	case USK_BDEV_IO_TYPE_WRITE:
		io_uring_prep_writev(sqe, file, io->iovs, (unsigned int)io->iovcnt, off);
		return true;
	case USK_BDEV_IO_TYPE_FLUSH:
		io_uring_prep_fsync(sqe, file, 0);
		return true;
	case USK_BDEV_IO_TYPE_UNMAP:
		io_uring_prep_fallocate(sqe, file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
					len);
		return true;
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, file, uring_zeroes_mode(io) | FALLOC_FL_KEEP_SIZE, off,
					len);
		return true;
	default:
		return false;
	}
}

/*
 * Puts @io in the ring, to go to the kernel at the next poll, or fails it;
 * false, with @io untouched, when the ring has no free entry or its
 * completion could overflow the completion queue. The kernel keeps an
 * overflow aside until a system call asks for it (before Linux 5.5 it is
 * lost), and none may come: the I/O would never complete.
 */
static bool uring_put(struct uring_channel *ch, struct usk_bdev_io *io)
{
	struct uring_bdev *ub = io->bdev->ctxt;
	struct io_uring_sqe *sqe;
	bool fixed;
	int file;

	if (ch->inflight + ch->queued >= ch->cq_entries) {
		return false;
	}
	sqe = io_uring_get_sqe(&ch->ring);
	if (sqe == NULL) {
		/* The ring is full of queued I/O: hand it over and take a fresh slot. */
		uring_give_queued(ch);
		sqe = io_uring_get_sqe(&ch->ring);
	}
	if (sqe == NULL) {
		return false;
	}
	file = uring_file(ch, ub, &fixed);
	if (!uring_prep(sqe, file, io)) {
		uint64_t seq = ((struct uring_io *)usk_bdev_io_driver_ctx(io))->mark.seq;

		usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_FAILED);
		bdev_file_io_end(&ch->drain, seq);
		return true;
	}
	if (fixed) {
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	}
	io_uring_sqe_set_data(sqe, io);
	ch->queued++;
	return true;
}

/*
 * Puts @io in the ring, or, when the kernel refused the submit that would
 * have made room, behind the I/O waiting for the next poll: a full ring is
 * the kernel short of room for a moment, not a failed I/O.
 */
static void uring_queue(struct uring_channel *ch, struct usk_bdev_io *io)
{
	struct uring_io *uio = usk_bdev_io_driver_ctx(io);

	if (ch->wait_head == NULL && uring_put(ch, io)) {
		return;
	}
	uio->next = NULL;
	if (ch->wait_head == NULL) {
		ch->wait_head = io;
	} else {
		((struct uring_io *)usk_bdev_io_driver_ctx(ch->wait_tail))->next = io;
	}
	ch->wait_tail = io;
}

/* Moves waiting I/O into the ring, oldest first, while it has room. */
static void uring_admit_waiting(struct uring_channel *ch)
{
	while (ch->wait_head != NULL && uring_put(ch, ch->wait_head)) {
		struct uring_io *uio = usk_bdev_io_driver_ctx(ch->wait_head);

		ch->wait_head = uio->next;
	}
	if (ch->wait_head == NULL) {
		ch->wait_tail = NULL;
	}
}

static void uring_submit(struct usk_io_channel *ioch, struct usk_bdev_io *io)
{
	struct uring_channel *ch = usk_io_channel_get_ctx(ioch);
	struct uring_io *uio = usk_bdev_io_driver_ctx(io);

	if (io->type == USK_BDEV_IO_TYPE_RESET) {
		bdev_file_reset(&ch->drain, &uio->mark, io);
		return;
	}
	bdev_file_io_start(&ch->drain, &uio->mark);
	uring_queue(ch, io);
}

static bool uring_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return type != USK_BDEV_IO_TYPE_COMPARE;
}

static struct usk_io_channel *uring_get_io_channel(void *ctxt)
{
	return usk_io_channel_get((void *)(uintptr_t)&g_bdev_uring_module);
}

static void uring_destruct(void *ctxt)
{
	struct uring_bdev *ub = ctxt;

	if (ub->id != 0) {
		g_slot_used[ub->slot] = false;
	}
	if (ub->fd >= 0) {
		close(ub->fd);
	}
	free(ub->filename);
	free(ub);
}

void bdev_uring_write_module_config(struct usk_json_write_ctx *w)
{
	const struct uring_options defaults = URING_DEFAULT_OPTIONS;

	if (bdev_module_first_bdev(&g_bdev_uring_module) == NULL &&
	    g_uring_opts.sqpoll == defaults.sqpoll &&
	    g_uring_opts.sqpoll_idle_ms == defaults.sqpoll_idle_ms) {
		return;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "bdev_uring_set_options");
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_bool(w, "sqpoll", g_uring_opts.sqpoll);
	usk_json_write_named_uint64(w, "sqpoll_idle_ms", g_uring_opts.sqpoll_idle_ms);
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

static void uring_write_config(struct usk_bdev *bdev, struct usk_json_write_ctx *w)
{
	struct uring_bdev *ub = bdev->ctxt;

	bdev_write_config_begin(bdev, "bdev_uring_create", w);
	usk_json_write_named_string(w, "filename", ub->filename);
	usk_json_write_named_uint64(w, "block_size", bdev->blocklen);
	bdev_write_config_end(w);
}

static void uring_dump_info(void *ctxt, struct usk_json_write_ctx *w)
{
	struct uring_bdev *ub = ctxt;

	usk_json_write_named_object_begin(w, "uring");
	usk_json_write_named_string(w, "filename", ub->filename);
	usk_json_write_object_end(w);
}

static const struct usk_bdev_fn_table g_uring_fn = {
	.destruct = uring_destruct,
	.submit_request = uring_submit,
	.io_type_supported = uring_io_type_supported,
	.get_io_channel = uring_get_io_channel,
	.write_config_json = uring_write_config,
	.dump_info_json = uring_dump_info,
};

/* Gives @ub a registered-file slot and an id. */
static int uring_take_slot(struct uring_bdev *ub, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < URING_FILE_SLOTS; i++) {
		if (!g_slot_used[i]) {
			g_slot_used[i] = true;
			ub->slot = i;
			ub->id = ++g_last_id;
			return 0;
		}
	}
	snprintf(err, errlen, "%u uring bdevs exist already: delete one first", URING_FILE_SLOTS);
	return -ENOSPC;
}

/* Opens the file, then checks the geometry it gives and registers the bdev. */
static int uring_setup(struct uring_bdev *ub, uint32_t block_size, char *err, size_t errlen)
{
	struct bdev_file_geometry geo;
	uint64_t num_blocks = 0;
	int rc = uring_check_available(err, errlen);

	if (rc == 0) {
		rc = uring_take_slot(ub, err, errlen);
	}
	if (rc == 0) {
		rc = bdev_file_open("uring", ub->bdev.name, ub->filename, false, &ub->fd, &geo, err,
				    errlen);
	}
	if (rc == 0) {
		rc = bdev_file_blocks(ub->bdev.name, ub->filename, &geo, &block_size, &num_blocks,
				      err, errlen);
	}
	if (rc == 0) {
		bdev_file_set_io_limits(&ub->bdev, block_size);
		rc = bdev_simple_register(&ub->bdev, "URING bdev", num_blocks, block_size,
					  &g_uring_fn, &g_bdev_uring_module, err, errlen);
	}
	return rc;
}

int bdev_uring_create(const char *name, const char *filename, uint32_t block_size, const char *uuid,
		      char *err, size_t errlen)
{
	struct uring_bdev *ub = calloc(1, sizeof(*ub));
	int rc;

	if (ub == NULL || (ub->filename = strdup(filename)) == NULL) {
		free(ub);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ub->fd = -1;
	ub->bdev.ctxt = ub;
	rc = bdev_file_name_check(&ub->bdev, name, block_size, uuid, err, errlen);
	if (rc == 0) {
		rc = uring_setup(ub, block_size, err, errlen);
	}
	if (rc != 0) {
		uring_destruct(ub);
	}
	return rc;
}

int bdev_uring_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	return bdev_module_delete(&g_bdev_uring_module, name, cb, cb_arg);
}

struct uring_create_params {
	char *name;
	char *filename;
	uint32_t block_size;
	char *uuid;
};

static const struct usk_json_object_decoder g_uring_create_decoders[] = {
	{"name", offsetof(struct uring_create_params, name), usk_json_decode_string, false},
	{"filename", offsetof(struct uring_create_params, filename), usk_json_decode_string, false},
	{"block_size", offsetof(struct uring_create_params, block_size), usk_json_decode_uint32,
	 true},
	{"uuid", offsetof(struct uring_create_params, uuid), usk_json_decode_string, true},
};

static void rpc_bdev_uring_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct uring_create_params p = {0};
	char err[256];

	if (usk_rpc_decode_params(req, params, g_uring_create_decoders,
				  USK_COUNTOF(g_uring_create_decoders), &p) == 0) {
		int rc = bdev_uring_create(p.name, p.filename, p.block_size, p.uuid, err,
					   sizeof(err));

		bdev_rpc_create_answer(req, rc, p.name, err);
	}
	free(p.name);
	free(p.filename);
	free(p.uuid);
}

static void rpc_bdev_uring_delete(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	bdev_rpc_delete(req, params, bdev_uring_delete, "uring");
}

static const struct usk_json_object_decoder g_uring_options_decoders[] = {
	{"sqpoll", offsetof(struct uring_options, sqpoll), usk_json_decode_bool, true},
	{"sqpoll_idle_ms", offsetof(struct uring_options, sqpoll_idle_ms), usk_json_decode_uint32,
	 true},
};

static void rpc_bdev_uring_set_options(struct usk_rpc_request *req,
				       const struct usk_json_val *params)
{
	struct uring_options opts = g_uring_opts;

	if (usk_rpc_decode_params(req, params, g_uring_options_decoders, 2, &opts) != 0) {
		return;
	}
	/* Rings are made with the options: every ring must have the same. */
	if (bdev_module_first_bdev(&g_bdev_uring_module) != NULL) {
		usk_rpc_send_error(
			req, USK_JSONRPC_ERROR_INVALID_PARAMS,
			"params: set the options before the first uring bdev is created");
		return;
	}
	g_uring_opts = opts;
	usk_rpc_send_bool(req, true);
}

int bdev_uring_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_uring_create", rpc_bdev_uring_create);

	if (rc == 0) {
		rc = usk_rpc_register_method("bdev_uring_delete", rpc_bdev_uring_delete);
	}
	return rc ? rc
		  : usk_rpc_register_method("bdev_uring_set_options", rpc_bdev_uring_set_options);
}
