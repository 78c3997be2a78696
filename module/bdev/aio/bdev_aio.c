/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aio bdev: a file or a kernel block device through Linux AIO (libaio),
 * for hosts that forbid io_uring (a container's seccomp profile, the
 * kernel.io_uring_disabled sysctl). Each thread has one io context for all
 * aio bdevs; I/O is gathered as it is submitted and handed to the kernel in
 * one io_submit per poll, and the same poller reaps completions from the
 * context's ring in user space (bdev_aio_ring.h): no system call when
 * nothing completed, nor when something did.
 *
 * O_DIRECT is used where the file system has it. Linux AIO is asynchronous
 * only for direct I/O on block devices and on file systems that do it;
 * elsewhere (the page cache, tmpfs) io_submit does the copy before it
 * returns, and the completions are in the ring when it does.
 *
 * A reset completes once the I/O given to the channel before it did (AIO
 * has no way to call back what the kernel holds).
 *
 * Unmap and write zeroes are fallocate() calls, made in the submitting
 * thread (AIO has no such command): off unless the bdev is created with
 * fallocate, as in SPDK. Write zeroes is FALLOC_FL_ZERO_RANGE, or a punched
 * hole on a file system without it (tmpfs), found on the first refusal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_aio_ring.h"
#include "bdev_modules.h"

/* Requests a context has in the kernel at once; more wait on the channel. */
#define AIO_QUEUE_DEPTH 512
/* Completions taken from the ring in one poll. */
#define AIO_REAP_MAX 256

struct aio_bdev {
	struct usk_bdev bdev;
	char *filename;
	int fd;
	bool readonly;
	bool fallocate;	       /* unmap and write zeroes through fallocate() */
	bool nowait;	       /* reads and writes with RWF_NOWAIT (block devices) */
	bool block_size_given; /* save_config repeats it only then, as SPDK */
	struct bdev_file_geometry geo;
	/* The file system has no FALLOC_FL_ZERO_RANGE (tmpfs): zeroes are holes. */
	_Atomic bool no_zero_range;
};

/* Per I/O: its request to the kernel, and its place in the channel's wait list. */
struct aio_io {
	struct iocb iocb;
	uint64_t len; /* the bytes a success transfers */
	struct aio_io *next;
	struct bdev_file_mark mark; /* its number, or a reset's wait */
};

struct aio_channel {
	io_context_t ctx;
	struct usk_poller *poller;
	int efd;	   /* signalled on every completion: the poller's interrupt source */
	uint32_t queued;   /* in batch, for the next io_submit */
	uint32_t inflight; /* given to the kernel, not yet reaped */
	/* Beyond AIO_QUEUE_DEPTH: into batch as the kernel gives slots back. */
	struct aio_io *wait_head, *wait_tail;
	struct bdev_file_drain drain; /* what resets wait for */
	struct iocb *batch[AIO_QUEUE_DEPTH];
	struct io_event events[AIO_REAP_MAX];
};

static int aio_module_init(void);
static void aio_module_fini(void);

const struct usk_bdev_module g_bdev_aio_module = {
	.name = "aio",
	.module_init = aio_module_init,
	.module_fini = aio_module_fini,
	.driver_ctx_size = sizeof(struct aio_io),
};

/* Puts @aio in the next io_submit, or behind those waiting when the context is full. */
static void aio_queue(struct aio_channel *ch, struct aio_io *aio)
{
	if (ch->wait_head == NULL && ch->inflight + ch->queued < AIO_QUEUE_DEPTH) {
		ch->batch[ch->queued++] = &aio->iocb;
		return;
	}
	aio->next = NULL;
	if (ch->wait_head == NULL) {
		ch->wait_head = aio;
	} else {
		ch->wait_tail->next = aio;
	}
	ch->wait_tail = aio;
}

/* Moves waiting I/O into the batch while the context has room. */
static void aio_admit_waiting(struct aio_channel *ch)
{
	while (ch->wait_head != NULL && ch->inflight + ch->queued < AIO_QUEUE_DEPTH) {
		ch->batch[ch->queued++] = &ch->wait_head->iocb;
		ch->wait_head = ch->wait_head->next;
	}
}

/*
 * Gives the kernel the batch. A request it refuses outright (io_submit
 * fails on the first of the batch) fails; -EAGAIN, the kernel short of
 * room, leaves the rest for the next poll. Returns how many went.
 */
static uint32_t aio_flush(struct aio_channel *ch)
{
	uint32_t done = 0, sent = 0;

	while (done < ch->queued) {
		int rc = io_submit(ch->ctx, (long)(ch->queued - done), &ch->batch[done]);

		if (rc > 0) {
			done += (uint32_t)rc;
			sent += (uint32_t)rc;
		} else if (rc == -EAGAIN && ch->batch[done]->aio_rw_flags != 0) {
			/* RWF_NOWAIT refused at submit (older kernels): this one may wait. */
			ch->batch[done]->aio_rw_flags = 0;
		} else if (rc == -EAGAIN) {
			break;
		} else {
			uint64_t seq = ((struct aio_io *)ch->batch[done])->mark.seq;

			usk_bdev_io_complete(ch->batch[done]->data, USK_BDEV_IO_STATUS_FAILED);
			bdev_file_io_end(&ch->drain, seq);
			done++;
		}
	}
	ch->inflight += sent;
	ch->queued -= done;
	if (ch->queued > 0 && done > 0) {
		memmove(ch->batch, &ch->batch[done], ch->queued * sizeof(ch->batch[0]));
	}
	return sent;
}

/* Completes the I/O of @ev; one refused for RWF_NOWAIT goes again, allowed to wait. */
static void aio_complete_event(struct aio_channel *ch, const struct io_event *ev)
{
	struct usk_bdev_io *io = ev->data;
	struct aio_io *aio = (struct aio_io *)ev->obj;
	/* libaio's res is unsigned; the kernel's is a byte count or a negative errno. */
	long res = (long)ev->res;
	uint64_t seq = aio->mark.seq;

	if (res == -EAGAIN && aio->iocb.aio_rw_flags != 0) {
		aio->iocb.aio_rw_flags = 0;
		aio_queue(ch, aio);
		return;
	}
	usk_bdev_io_complete(io, res >= 0 && (uint64_t)res == aio->len ? USK_BDEV_IO_STATUS_SUCCESS
								       : USK_BDEV_IO_STATUS_FAILED);
	bdev_file_io_end(&ch->drain, seq);
}

/* Gives the kernel what was gathered, then completes what it finished. */
static int aio_poll(void *ctx)
{
	struct aio_channel *ch = ctx;
	uint32_t sent = ch->queued > 0 ? aio_flush(ch) : 0;
	int n = ch->inflight > 0 ? aio_ring_reap(ch->ctx, ch->events, AIO_REAP_MAX) : 0;

	if (n < 0) {
		USK_ERRLOG("aio: cannot reap completions: %s", strerror(-n));
		n = 0;
	}
	ch->inflight -= (uint32_t)n;
	for (int i = 0; i < n; i++) {
		aio_complete_event(ch, &ch->events[i]);
	}
	aio_admit_waiting(ch);
	if (n == 0 && ch->inflight > 0) {
		/* What the kernel could not finish at submit (a loop device's reads). */
		bdev_file_let_kernel_worker_run();
	}
	return sent > 0 || n > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

/*
 * The eventfd is the poller's interrupt source. Linux AIO signals it on
 * every completion of a request that names it, and cannot be told to stop
 * while the thread polls: arming clears what it counted meanwhile (all
 * reaped by then), then looks at the ring for what completed before that.
 */
static int aio_arm(void *ctx)
{
	struct aio_channel *ch = ctx;
	uint64_t count;

	if (ch->queued > 0) {
		/* Not yet given to the kernel: the poller must run first. */
		return 1;
	}
	(void)!read(ch->efd, &count, sizeof(count));
	return aio_ring_pending(ch->ctx);
}

static int aio_disarm(void *ctx)
{
	struct aio_channel *ch = ctx;
	uint64_t count;

	/* What it counted is seen by the poll that follows. */
	(void)!read(ch->efd, &count, sizeof(count));
	return 0;
}

static void aio_channel_destroy(void *io_device, void *ctx)
{
	struct aio_channel *ch = ctx;

	usk_poller_unregister(&ch->poller);
	if (ch->efd >= 0) {
		close(ch->efd);
	}
	io_destroy(ch->ctx);
}

/* Without an eventfd the poller has no source, and the thread's sleeps are short. */
static void aio_channel_set_interrupt(struct aio_channel *ch)
{
	ch->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ch->efd >= 0) {
		usk_poller_set_interrupt(ch->poller, ch->efd, aio_arm, aio_disarm, ch);
	}
}

static int aio_channel_create(void *io_device, void *ctx)
{
	struct aio_channel *ch = ctx;
	int rc;

	ch->ctx = 0; /* io_setup wants a cleared context */
	ch->queued = ch->inflight = 0;
	ch->wait_head = ch->wait_tail = NULL;
	ch->drain = (struct bdev_file_drain){0};
	rc = io_setup(AIO_QUEUE_DEPTH, &ch->ctx);
	if (rc != 0) {
		USK_ERRLOG("aio: cannot set up an io context: %s%s", strerror(-rc),
			   rc == -EAGAIN ? " (the host's fs.aio-max-nr is reached: raise it)" : "");
		return rc;
	}
	ch->efd = -1;
	ch->poller = usk_poller_register(aio_poll, ch, 0, "bdev_aio");
	if (ch->poller == NULL) {
		aio_channel_destroy(io_device, ctx);
		return -ENOMEM;
	}
	aio_channel_set_interrupt(ch);
	return 0;
}

static int aio_module_init(void)
{
	return usk_io_device_register((void *)(uintptr_t)&g_bdev_aio_module, aio_channel_create,
				      aio_channel_destroy, sizeof(struct aio_channel), "bdev_aio");
}

static void aio_module_fini(void)
{
	usk_io_device_unregister((void *)(uintptr_t)&g_bdev_aio_module, NULL);
}

/* Fills @aio's request for a read, a write or a flush of @io; false for another type. */
static bool aio_prep(struct aio_bdev *ab, struct usk_bdev_io *io, struct aio_io *aio, int efd)
{
	long long off = (long long)(io->offset_blocks * ab->bdev.blocklen);
	bool rw = io->type == USK_BDEV_IO_TYPE_READ || io->type == USK_BDEV_IO_TYPE_WRITE;

	aio->len = rw ? io->num_blocks * ab->bdev.blocklen : 0;
	if (io->type == USK_BDEV_IO_TYPE_FLUSH) {
		io_prep_fdsync(&aio->iocb, ab->fd);
	} else if (!rw) {
		return false;
	} else if (io->iovcnt == 1 && io->type == USK_BDEV_IO_TYPE_READ) {
		/* One buffer: the kernel need not import an iovec. */
		io_prep_pread(&aio->iocb, ab->fd, io->iovs[0].iov_base, aio->len, off);
	} else if (io->iovcnt == 1) {
		io_prep_pwrite(&aio->iocb, ab->fd, io->iovs[0].iov_base, aio->len, off);
	} else if (io->type == USK_BDEV_IO_TYPE_READ) {
		io_prep_preadv(&aio->iocb, ab->fd, io->iovs, io->iovcnt, off);
	} else {
		io_prep_pwritev(&aio->iocb, ab->fd, io->iovs, io->iovcnt, off);
	}
	if (rw && ab->nowait) {
		aio->iocb.aio_rw_flags = RWF_NOWAIT;
	}
	if (efd >= 0) {
		io_set_eventfd(&aio->iocb, efd);
	}
	aio->iocb.data = io;
	return true;
}

/*
 * Unmap and write zeroes, done before the submit returns. Zeroes are a
 * zeroed range, or a hole where the file system has no such range (found
 * at its first refusal, then remembered for the bdev).
 */
static enum usk_bdev_io_status aio_fallocate(struct aio_bdev *ab, struct usk_bdev_io *io)
{
	off_t off = (off_t)(io->offset_blocks * ab->bdev.blocklen);
	off_t len = (off_t)(io->num_blocks * ab->bdev.blocklen);
	int mode = FALLOC_FL_PUNCH_HOLE;

	if (io->type == USK_BDEV_IO_TYPE_WRITE_ZEROES && !atomic_load(&ab->no_zero_range)) {
		if (fallocate(ab->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len) == 0) {
			return USK_BDEV_IO_STATUS_SUCCESS;
		}
		if (errno != EOPNOTSUPP) {
			return USK_BDEV_IO_STATUS_FAILED;
		}
		atomic_store(&ab->no_zero_range, true);
	}
	return fallocate(ab->fd, mode | FALLOC_FL_KEEP_SIZE, off, len) == 0
		       ? USK_BDEV_IO_STATUS_SUCCESS
		       : USK_BDEV_IO_STATUS_FAILED;
}

static void aio_submit(struct usk_io_channel *ioch, struct usk_bdev_io *io)
{
	struct aio_channel *ch = usk_io_channel_get_ctx(ioch);
	struct aio_bdev *ab = io->bdev->ctxt;
	struct aio_io *aio = usk_bdev_io_driver_ctx(io);

	switch (io->type) {
	case USK_BDEV_IO_TYPE_RESET:
		bdev_file_reset(&ch->drain, &aio->mark, io);
		return;
	case USK_BDEV_IO_TYPE_UNMAP:
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		usk_bdev_io_complete_deferred(io, aio_fallocate(ab, io));
		return;
	default:
		break;
	}
	if (!aio_prep(ab, io, aio, ch->efd)) {
		usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_FAILED);
		return;
	}
	bdev_file_io_start(&ch->drain, &aio->mark);
	aio_queue(ch, aio);
}

static bool aio_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	struct aio_bdev *ab = ctxt;

	switch (type) {
	case USK_BDEV_IO_TYPE_READ:
	case USK_BDEV_IO_TYPE_FLUSH:
	case USK_BDEV_IO_TYPE_RESET:
		return true;
	case USK_BDEV_IO_TYPE_WRITE:
		return !ab->readonly;
	case USK_BDEV_IO_TYPE_UNMAP:
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		return ab->fallocate && !ab->readonly;
	default:
		return false;
	}
}

static struct usk_io_channel *aio_get_io_channel(void *ctxt)
{
	return usk_io_channel_get((void *)(uintptr_t)&g_bdev_aio_module);
}

static void aio_destruct(void *ctxt)
{
	struct aio_bdev *ab = ctxt;

	if (ab->fd >= 0) {
		close(ab->fd);
	}
	free(ab->filename);
	free(ab);
}

/* SPDK's members and order, so that SPDK's tools read it and SPDK loads it. */
static void aio_write_config(struct usk_bdev *bdev, struct usk_json_write_ctx *w)
{
	struct aio_bdev *ab = bdev->ctxt;

	bdev_write_config_begin(bdev, "bdev_aio_create", w);
	if (ab->block_size_given) {
		usk_json_write_named_uint64(w, "block_size", bdev->blocklen);
	}
	usk_json_write_named_string(w, "filename", ab->filename);
	usk_json_write_named_bool(w, "readonly", ab->readonly);
	usk_json_write_named_bool(w, "fallocate", ab->fallocate);
	usk_json_write_named_bool(w, "nowait", ab->nowait);
	bdev_write_config_end(w);
}

static void aio_dump_info(void *ctxt, struct usk_json_write_ctx *w)
{
	struct aio_bdev *ab = ctxt;

	usk_json_write_named_object_begin(w, "aio");
	usk_json_write_named_string(w, "filename", ab->filename);
	usk_json_write_named_bool(w, "block_size_override", ab->block_size_given);
	usk_json_write_named_bool(w, "readonly", ab->readonly);
	usk_json_write_named_bool(w, "fallocate", ab->fallocate);
	usk_json_write_named_bool(w, "nowait", ab->nowait);
	if (ab->geo.is_blockdev) {
		usk_json_write_named_uint64(w, "logical_block_size", ab->geo.lbs);
		usk_json_write_named_uint64(w, "physical_block_size", ab->geo.pbs);
	}
	usk_json_write_object_end(w);
}

static const struct usk_bdev_fn_table g_aio_fn = {
	.destruct = aio_destruct,
	.submit_request = aio_submit,
	.io_type_supported = aio_io_type_supported,
	.get_io_channel = aio_get_io_channel,
	.write_config_json = aio_write_config,
	.dump_info_json = aio_dump_info,
};

/* Opens the file, then checks the geometry it gives and registers the bdev. */
static int aio_setup(struct aio_bdev *ab, uint32_t block_size, char *err, size_t errlen)
{
	uint64_t num_blocks = 0;
	int rc = bdev_file_open("aio", ab->bdev.name, ab->filename, ab->readonly, &ab->fd, &ab->geo,
				err, errlen);

	if (rc == 0 && ab->nowait && !ab->geo.is_blockdev) {
		snprintf(err, errlen,
			 "field 'nowait': %s is no block device, and RWF_NOWAIT is for block "
			 "devices only",
			 ab->filename);
		rc = -EINVAL;
	}
	if (rc == 0) {
		rc = bdev_file_blocks(ab->bdev.name, ab->filename, &ab->geo, &block_size,
				      &num_blocks, err, errlen);
	}
	if (rc == 0) {
		bdev_file_set_io_limits(&ab->bdev, block_size);
		rc = bdev_simple_register(&ab->bdev, "AIO disk", num_blocks, block_size, &g_aio_fn,
					  &g_bdev_aio_module, err, errlen);
	}
	return rc;
}

int bdev_aio_create(const struct bdev_aio_opts *opts, char *err, size_t errlen)
{
	struct aio_bdev *ab = calloc(1, sizeof(*ab));
	int rc;

	if (ab == NULL || (ab->filename = strdup(opts->filename)) == NULL) {
		free(ab);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ab->fd = -1;
	ab->readonly = opts->readonly;
	ab->fallocate = opts->fallocate;
	ab->nowait = opts->nowait;
	ab->block_size_given = opts->block_size != 0;
	ab->bdev.ctxt = ab;
	rc = bdev_file_name_check(&ab->bdev, opts->name, opts->block_size, opts->uuid, err, errlen);
	if (rc == 0) {
		rc = aio_setup(ab, opts->block_size, err, errlen);
	}
	if (rc != 0) {
		aio_destruct(ab);
	}
	return rc;
}

int bdev_aio_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	return bdev_module_delete(&g_bdev_aio_module, name, cb, cb_arg);
}

/* The RPC's params: the strings are decoded copies, freed after the call. */
struct aio_create_params {
	char *name;
	char *filename;
	uint32_t block_size;
	bool readonly;
	bool fallocate;
	char *uuid;
	bool nowait;
};

static const struct usk_json_object_decoder g_aio_create_decoders[] = {
	{"name", offsetof(struct aio_create_params, name), usk_json_decode_string, false},
	{"filename", offsetof(struct aio_create_params, filename), usk_json_decode_string, false},
	{"block_size", offsetof(struct aio_create_params, block_size), usk_json_decode_uint32,
	 true},
	{"readonly", offsetof(struct aio_create_params, readonly), usk_json_decode_bool, true},
	{"fallocate", offsetof(struct aio_create_params, fallocate), usk_json_decode_bool, true},
	{"uuid", offsetof(struct aio_create_params, uuid), usk_json_decode_string, true},
	{"nowait", offsetof(struct aio_create_params, nowait), usk_json_decode_bool, true},
};

static void rpc_bdev_aio_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct aio_create_params p = {0};
	char err[256];

	if (usk_rpc_decode_params(req, params, g_aio_create_decoders,
				  USK_COUNTOF(g_aio_create_decoders), &p) == 0) {
		struct bdev_aio_opts opts = {
			.name = p.name,
			.filename = p.filename,
			.block_size = p.block_size,
			.readonly = p.readonly,
			.fallocate = p.fallocate,
			.uuid = p.uuid,
			.nowait = p.nowait,
		};

		bdev_rpc_create_answer(req, bdev_aio_create(&opts, err, sizeof(err)), p.name, err);
	}
	free(p.name);
	free(p.filename);
	free(p.uuid);
}

static void rpc_bdev_aio_delete(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	bdev_rpc_delete(req, params, bdev_aio_delete, "aio");
}

int bdev_aio_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_aio_create", rpc_bdev_aio_create);

	return rc != 0 ? rc : usk_rpc_register_method("bdev_aio_delete", rpc_bdev_aio_delete);
}
