/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/nvme's private structures. */
#ifndef USK_NVME_INTERNAL_H
#define USK_NVME_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "usk/env.h"
#include "usk/nvme.h"
#include "usk/pci.h"
#include "usk/ticks.h"
#include "usk_internal/barrier.h"
#include "nvme_transport.h"

#define NVME_PAGE_SHIFT 12
#define NVME_PAGE_SIZE	(1u << NVME_PAGE_SHIFT)
/* One PRP list page per tracker: 512 entries, so 2 MiB per command at most. */
#define NVME_PRP_LIST_ENTRIES (NVME_PAGE_SIZE / sizeof(uint64_t))
#define NVME_MAX_XFER_SIZE    (NVME_PRP_LIST_ENTRIES * NVME_PAGE_SIZE)
#define NVME_MAX_IO_QUEUES    64
/* A controller's name: "[IPv6 address]:port" fits. */
#define NVME_CTRLR_NAME_LEN 72
/* MSI-X vectors the driver uses at most: the admin queue's and one per I/O queue. */
#define NVME_IRQ_VECTORS_MAX (NVME_MAX_IO_QUEUES + 1)

/* Per-command state, one per queue entry; the CID is the tracker's index. */
struct nvme_tracker {
	usk_nvme_cmd_cb cb;
	void *cb_arg;
	uint64_t *prp_list;
	uint64_t prp_list_iova;
	uint64_t submit_tick; /* the queue pair's clock when it went out, for timeouts */
	uint16_t next_free;
	bool active;
	/*
	 * An Abort was sent for it (asked by the caller, or on its first
	 * timeout), or a reset for its timeout: a reset ends it with Command
	 * Abort Requested, not SQ Deletion, so nobody sends it again.
	 */
	bool abort_requested;
};

/*
 * A command's data: @len bytes at @buf (@iovcnt 0), or the bytes
 * [@skip, @skip + @len) of the iovec array @buf of @iovcnt elements: a
 * piece of a split vectored request names its part of the caller's array.
 */
struct nvme_payload {
	const void *buf;
	uint64_t len;
	uint64_t skip;
	int iovcnt;
};

/* A command waiting for a free queue entry, in submission order. */
struct nvme_request {
	struct usk_nvme_sqe cmd;
	struct nvme_payload data;
	usk_nvme_cmd_cb cb;
	void *cb_arg;
	struct nvme_request *next;
};

/* A request split into several commands; completes when the last child does. */
struct nvme_split {
	struct usk_nvme_qpair *qpair;
	usk_nvme_cmd_cb cb;
	void *cb_arg;
	uint32_t outstanding;
	bool failed;
	struct usk_nvme_cqe cpl; /* the first failure, else the last completion */
	struct nvme_split *next;
};

/* Events reaped and not yet handled that are kept; more are dropped. */
#define NVME_AER_EVENTS_MAX 16

/* Commands that may wait per queue entry when the ring is full, unless the options say. */
#define NVME_WAITING_PER_ENTRY 2
/* The most io_queue_requests an I/O queue pair may ask for. */
#define NVME_MAX_WAITING (1u << 20)

struct usk_nvme_qpair {
	struct usk_nvme_ctrlr *ctrlr;
	/* The controller's enum usk_nvme_transport_type, where the hot path tests it. */
	uint8_t trtype;
	/* Its transport: kept here, since the queue pair may be freed after its controller. */
	const struct nvme_transport_ops *ops;
	/* The controller's state when this queue pair's rings last matched it. */
	uint32_t synced_state;
	uint32_t ring_gen; /* the reset generation the rings were last emptied for */
	bool resyncing;	   /* being rebuilt after a reset: submissions wait */
	/* The state its Creates were posted for (NVME_QPAIR_NO_QUEUES: none out). */
	uint32_t connecting_for;
	/*
	 * atomic: the outcome of the Create or Delete of its queues posted last,
	 * set by that command's callback (NVME_QPAIR_STEP_*, or a negative errno).
	 */
	int step_status;
	uint64_t step_deadline; /* ticks: a Create or Delete still out then is lost */
	int connect_error;	/* its first Creates were refused: it never gets queues */
	bool closing;		/* being disconnected: submissions are refused */
	uint8_t disconnect;	/* NVME_DISCONNECT_* (nvme_qpair_disconnect.c) */
	int disconnect_rc;	/* the first error of its Deletes, for usk_nvme_ctrlr_free_io_qpair() */
	uint16_t id;
	uint16_t num_entries;
	uint16_t sq_tail;
	uint16_t sq_tail_rung; /* the tail the controller was last told */
	uint16_t cq_head;
	uint8_t phase;
	bool use_sgl;	     /* data pointers are SGLs (I/O queues of an SGL controller) */
	bool in_completions; /* doorbells wait for the end of the reap loop */
	bool delay_doorbell; /* and for the next poll or flush (usk_nvme_io_qpair_opts) */
	uint16_t free_head;  /* first free tracker, num_entries when none */
	uint32_t outstanding;
	struct usk_nvme_sqe *sq;
	struct usk_nvme_cqe *cq;
	volatile uint32_t *sq_doorbell;
	volatile uint32_t *cq_doorbell;
	/* Shadow doorbells and EventIdx (I/O queues, when configured), else NULL. */
	uint32_t *sq_shadow;
	uint32_t *cq_shadow;
	const uint32_t *sq_eventidx;
	const uint32_t *cq_eventidx;
	struct nvme_tracker *trackers;
	uint64_t *prp_lists;
	struct nvme_request *requests; /* pool, allocated with the qpair */
	struct nvme_request *free_requests;
	struct nvme_request *waiting_head;
	struct nvme_request *waiting_tail;
	uint32_t waiting;
	uint32_t max_waiting;	   /* the requests pool's size */
	struct nvme_split *splits; /* pool, one per queue entry */
	struct nvme_split *free_splits;
	/* Command timeouts (I/O queues): 0 when off. */
	uint64_t timeout_ticks;
	uint64_t now_tick; /* read once per poll: what submissions are stamped with */
	uint64_t next_timeout_check;
	/* Its CQ's MSI-X vector (nvme_interrupt.c): 0 when it has no interrupt. */
	uint16_t irq_vector;
	bool irq_armed; /* the vector counts it among those that want to signal */
	/* Disarmed with its vector left unmasked: completions to reap before it is masked. */
	uint32_t irq_keep_reaps;
	uint32_t irq_keep_limit; /* what a disarm sets irq_keep_reaps to; 0: mask at once */
	struct usk_nvme_qpair_stats stats; /* stats_size is set at creation */
};

/* How a namespace's blocks look to the host (nvme_ns_format.c). */
struct nvme_ns_format {
	uint32_t lbaf;	      /* the LBA format in use: its index in Identify Namespace */
	uint32_t data_size;   /* bytes of data per block, 2^data_shift */
	uint32_t data_shift;  /* LBADS */
	uint32_t md_size;     /* MS: bytes of metadata per block */
	uint32_t sector_size; /* bytes per block in the data buffer: data, + md when extended */
	bool extended;	      /* metadata at the end of each block's data (FLBAS bit 4) */
	uint8_t pi_type;      /* protection information type, 0 (none) to 3 */
	bool pi_first;	      /* PI in the first 8 bytes of the metadata, else the last */
};

/* What the driver says when it cannot serve a namespace's format. */
#define NVME_NS_WHY_LEN 160

struct usk_nvme_ns {
	struct usk_nvme_ctrlr *ctrlr;
	uint32_t id;
	uint32_t block_size;
	uint32_t block_shift;
	uint64_t num_blocks;
	uint32_t optimal_io_boundary;
	struct nvme_ns_format fmt;
	/*
	 * Empty when the driver serves the format; else why not, and every I/O
	 * on the namespace is refused with -ENOTSUP.
	 */
	char unsupported[NVME_NS_WHY_LEN];
	bool active;
};

/* The reset under way (nvme_reset_steps.c); the admin lock guards it. */
struct nvme_reset_machine {
	int step;		   /* enum nvme_reset_step; 0: no reset under way */
	uint32_t from_state;	   /* the state being reset */
	uint16_t spare;		   /* as nvme_ctrlr_request_reset() */
	uint16_t qid;		   /* the I/O queue being deleted */
	uint32_t granted;	   /* I/O queues granted before the reset */
	uint32_t arbitration;	   /* read back, to write with the burst */
	uint32_t cc;		   /* read by the disable, written back with EN clear */
	uint64_t deadline;	   /* ticks: the step's wait for CSTS.RDY ends then */
	uint64_t cmd_deadline;	   /* ticks: the step's command is lost then */
	bool cmd_out;		   /* the step's admin command is out */
	bool cmd_answered;	   /* and answered: @cpl holds the answer */
	bool attaching;		   /* the bring-up (nvme_reset_steps_begin_attach()) */
	uint64_t lost_at;	   /* ticks: a reconnecting reset began then (nvme_reconnect.c) */
	int error;		   /* why the last reset or bring-up failed */
	struct usk_nvme_cqe cpl;
	struct nvme_reset_waiter *callers; /* usk_nvme_ctrlr_reset_async() callers it answers */
};

/*
 * A controller. The pcie transport's state (device, BAR, shadow doorbells,
 * MSI-X) stays in the base, where the code that shares it with the reset
 * reads it; another transport embeds the base first in its own struct.
 */
struct usk_nvme_ctrlr {
	const struct nvme_transport_ops *ops;
	uint8_t trtype;	/* enum usk_nvme_transport_type */
	int numa_node;	/* where the driver's buffers go: the device's node, or any */
	struct usk_nvme_transport_id trid; /* how it was reached */
	struct usk_pci_device *dev; /* pcie: the device, else NULL */
	volatile uint8_t *regs;
	uint64_t regs_size;
	uint64_t cap;
	char name[NVME_CTRLR_NAME_LEN]; /* the PCI address, or a fabric's "traddr:trsvcid" */
	struct usk_nvme_ctrlr_opts opts;
	pthread_mutex_t admin_lock;
	struct usk_nvme_qpair *admin;
	struct usk_nvme_ctrlr_data *cdata;
	struct usk_nvme_ns *ns; /* indexed by nsid - 1 */
	uint32_t *dbbuf_shadow; /* Doorbell Buffer Config pages, or NULL */
	uint32_t *dbbuf_eventidx;
	size_t dbbuf_size; /* bytes of each: every queue's doorbells at CAP.DSTRD's stride */
	uint32_t num_ns;
	uint32_t max_xfer_size;
	uint32_t max_io_queues;
	uint16_t io_queue_ids_used; /* count */
	bool use_sgl;		    /* the controller supports SGLs and the options allow them */
	bool sgl_byte_aligned;	    /* SGLS 01b: data may start at any byte */
	/*
	 * The reset generation << NVME_CTRLR_GEN_SHIFT | NVME_CTRLR_RESETTING |
	 * NVME_CTRLR_FAILED. I/O threads compare it with their queue pair's
	 * synced_state on each poll and submission: one load when nothing changed.
	 */
	uint32_t state;
	bool remove_notified; /* the remove callback has been called */
	bool ready;	      /* bring-up done: an admin timeout now resets */
	bool discovery;	      /* a discovery controller: admin queue only (nvme_discovery.c) */
	usk_nvme_remove_cb remove_cb;
	void *remove_ctx;
	/* Asynchronous events (nvme_aer.c); the admin lock guards them. */
	usk_nvme_aer_cb aer_cb;
	void *aer_ctx;
	uint32_t aer_limit; /* requests to keep waiting */
	uint32_t aers_outstanding;
	uint32_t events[NVME_AER_EVENTS_MAX]; /* Dword 0s reaped, not yet handled */
	uint32_t events_pending;
	struct nvme_ns_refresh *ns_refresh; /* after a namespace change, or NULL */
	void *aer_log;	      /* DMA page the events' log pages are read into */
	bool aer_reading_log; /* for the event @aer_reading */
	uint32_t aer_reading;
	bool qid_used[NVME_MAX_IO_QUEUES + 1];
	/* The I/O queue pairs by ID once made (the admin lock guards it): a reset deletes their queues. */
	struct usk_nvme_qpair *io_qpairs[NVME_MAX_IO_QUEUES + 1];
	/*
	 * Callers' admin commands (nvme_admin_queue.c; the admin lock guards the
	 * lists): a pool, and the completed ones whose callbacks have not run.
	 */
	struct nvme_admin_req *admin_reqs;
	uint32_t admin_reqs_count;
	struct nvme_admin_req *admin_free;
	struct nvme_admin_req *admin_done_head;
	struct nvme_admin_req *admin_done_tail;
	uint32_t admin_outstanding; /* sent, callback not yet run (atomic: read by any thread) */
	/* A reset asked for by an I/O thread (atomic): seen state << 32 | spare + 1, or 0. */
	uint64_t reset_request;
	const char *fail_request; /* why an I/O thread asks for the controller to be failed */
	/* atomic: a reconnect outlasted fast_io_fail_timeout_sec; I/O fails until it is done. */
	bool io_fail_fast;
	/* A detach under way (nvme_detach.c): its step, its outcome so far, its wait's end. */
	int detach_step;
	int detach_rc;
	uint64_t detach_deadline;
	/* A failure under way (nvme_health.c): why, and when its wait for the disable ends. */
	const char *failing;
	uint64_t failing_deadline;
	/*
	 * usk_nvme_ctrlr_reset_async() callers (nvme_reset.c): waiting for the
	 * reset, and done with it, callbacks not yet run. Their own lock, held
	 * only to touch the lists: callers need not wait for the admin lock.
	 */
	pthread_mutex_t reset_waiters_lock;
	struct nvme_reset_waiter *reset_waiting;
	struct nvme_reset_waiter *reset_done;
	struct nvme_reset_machine reset;
	/*
	 * MSI-X (nvme_interrupt.c): the vectors enabled (0: none, polled only),
	 * each one's eventfd, how many armed queue pairs want each to signal,
	 * and whether each is unmasked (routed to its eventfd) now. The lock
	 * guards the counts and flags and orders the unmask and mask calls
	 * with them.
	 */
	uint32_t irq_vectors;
	int irq_fds[NVME_IRQ_VECTORS_MAX];
	uint32_t irq_armed[NVME_IRQ_VECTORS_MAX];
	bool irq_unmasked[NVME_IRQ_VECTORS_MAX];
	pthread_mutex_t irq_lock;
};

/*
 * synced_state of a queue pair with no queues on the controller (not yet
 * created, or being freed): never equal to a state, so every submission and
 * poll takes the slow path.
 */
#define NVME_QPAIR_NO_QUEUES UINT32_MAX

#define NVME_CTRLR_RESETTING 1u
#define NVME_CTRLR_FAILED    2u
#define NVME_CTRLR_GEN_SHIFT 2

/* Queue pairs (nvme_qpair.c). Up to @max_waiting commands may wait for a full ring. */
int nvme_qpair_create(struct usk_nvme_ctrlr *ctrlr, uint16_t id, uint16_t entries,
		      uint32_t max_waiting, struct usk_nvme_qpair **qpair);
void nvme_qpair_destroy(struct usk_nvme_qpair *qpair);
/* Fails every outstanding command with Command Abort Requested. */
void nvme_qpair_abort_all(struct usk_nvme_qpair *qpair);
/*
 * Fails the commands in the ring (not those waiting for it) with status code
 * @sc of the generic type; those with abort_requested with Command Abort Requested.
 */
void nvme_qpair_abort_trackers(struct usk_nvme_qpair *qpair, uint8_t sc);
/* Fails the commands waiting for the ring, oldest first, with status code @sc (generic type). */
void nvme_qpair_end_waiting(struct usk_nvme_qpair *qpair, uint8_t sc);
/* Empties the rings, as a queue the controller has just created is. */
void nvme_pcie_qpair_reset_ring(struct usk_nvme_qpair *qpair);
/* Moves waiting commands into free ring entries, oldest first. */
void nvme_qpair_submit_waiting(struct usk_nvme_qpair *qpair);
/* Writes the SQ tail doorbell if commands went into the ring since the last one. */
void nvme_pcie_qpair_ring_sq(struct usk_nvme_qpair *qpair);
/* Gives tracker @cid back: its command has ended (the callback runs after). */
static inline void nvme_tracker_release(struct usk_nvme_qpair *q, uint16_t cid)
{
	struct nvme_tracker *tr = &q->trackers[cid];

	tr->active = false;
	tr->next_free = q->free_head;
	q->free_head = cid;
	q->outstanding--;
}
/*
 * Drops the callback of outstanding commands with @cb_arg: they complete
 * unseen. Those still waiting for the ring are dropped, never sent.
 */
void nvme_qpair_forget(struct usk_nvme_qpair *qpair, const void *cb_arg);
/*
 * Takes the waiting commands @match(cb, cb_arg, @arg) picks off the queue,
 * keeping the others in order; returns them linked by next, oldest last.
 * The caller gives them back to the pool.
 */
struct nvme_request *nvme_qpair_take_waiting(struct usk_nvme_qpair *qpair,
					     bool (*match)(usk_nvme_cmd_cb cb, const void *cb_arg,
							   const void *arg),
					     const void *arg);
/*
 * Takes a tracker and copies @cmd into the ring with CID and data pointer
 * set from @buf/@len; the doorbell is written now or, inside the reap loop,
 * at its end. When the ring is full the command waits, in order, and goes
 * out as entries free. Returns 0, -EAGAIN (too many waiting) or -EINVAL
 * (a buffer that is not DMA-able).
 */
int nvme_qpair_submit(struct usk_nvme_qpair *qpair, const struct usk_nvme_sqe *cmd, const void *buf,
		      uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg);
/*
 * Sends @cmd at once, the queue pair in sync with the controller or not: a
 * transport's own command while the queue is being connected (Fabrics
 * Connect). -EAGAIN when no tracker is free, else as nvme_qpair_submit().
 */
int nvme_qpair_submit_direct(struct usk_nvme_qpair *qpair, const struct usk_nvme_sqe *cmd,
			     const void *buf, uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg);
/* SGL descriptor identifiers (base 4.1.2.1): the type in the high nibble, subtype 0. */
#define NVME_SGL_ID_DATA_BLOCK	 0x00u
#define NVME_SGL_ID_LAST_SEGMENT 0x30u

/*
 * Puts a descriptor in the command's SGL1, the 16 bytes of PRP1 and PRP2,
 * and marks the command's data as described by SGLs.
 */
static inline void nvme_sqe_set_sgl1(struct usk_nvme_sqe *sqe, uint64_t address, uint32_t length,
				     uint8_t id)
{
	sqe->prp1 = address;
	sqe->prp2 = (uint64_t)length | (uint64_t)id << 56;
	sqe->flags = (uint8_t)((sqe->flags & ~0xc0u) | USK_NVME_SQE_PSDT_SGL);
}

/*
 * nvme_build_sgl() of data whose IOVAs break somewhere: a descriptor per
 * run, in @list (nvme_sgl.c).
 */
int nvme_build_sgl_runs(struct usk_nvme_sqe *sqe, const void *buf, uint32_t len, uint64_t *list,
			uint64_t list_iova);

/*
 * Builds an SGL for @buf/@len: one Data Block descriptor in the command, or
 * a Last Segment descriptor to @list; -EINVAL if not DMA-able or if it needs
 * more than a page of descriptors. Inline: data of one IOVA run, every
 * I/O in registered buffers, needs no call but the translation.
 */
static inline int nvme_build_sgl(struct usk_nvme_sqe *sqe, const void *buf, uint32_t len,
				 uint64_t *list, uint64_t list_iova)
{
	uint64_t run = len;
	uint64_t iova;

	if (len == 0) {
		return 0;
	}
	iova = usk_vtoiova(buf, &run);
	if (iova == USK_IOVA_INVALID) {
		return -EINVAL;
	}
	if (run < len) {
		return nvme_build_sgl_runs(sqe, buf, len, list, list_iova);
	}
	nvme_sqe_set_sgl1(sqe, iova, len, NVME_SGL_ID_DATA_BLOCK);
	return 0;
}
/* The SGL of nvme_build_sgl() for vectored data; with @list NULL only checks. */
int nvme_build_sgl_iov(struct usk_nvme_sqe *sqe, const struct nvme_payload *data, uint64_t *list,
		       uint64_t list_iova);
/*
 * PRPs for vectored data (nvme_iov.c): elements meet on page boundaries;
 * with @list NULL only checks. Returns 0 or -EINVAL.
 */
int nvme_build_prps_iov(struct usk_nvme_sqe *sqe, const struct nvme_payload *data, uint64_t *list,
			uint64_t list_iova);
/* The data pointer for vectored data on @qpair: SGL or PRPs; with @list NULL only checks. */
int nvme_qpair_build_iov(const struct usk_nvme_qpair *qpair, struct usk_nvme_sqe *sqe,
			 const struct nvme_payload *data, uint64_t *list, uint64_t list_iova);

/* Walks the elements of vectored data, each clipped to the data's window. */
struct nvme_iov_walk {
	const struct iovec *iov;
	int left;
	uint64_t skip;
	uint64_t len; /* bytes of the window not yet walked */
};

static inline void nvme_iov_walk_start(struct nvme_iov_walk *w, const struct nvme_payload *data)
{
	*w = (struct nvme_iov_walk){
		.iov = data->buf, .left = data->iovcnt, .skip = data->skip, .len = data->len};
}

/* The next non-empty element, clipped; false once the window or the array ends. */
bool nvme_iov_walk_next(struct nvme_iov_walk *walk, struct iovec *element);
/* Commands that can still be accepted now: free ring entries plus waiting room. */
uint32_t nvme_qpair_room(const struct usk_nvme_qpair *qpair);
/* Whether the transport will take @data, flat or vectored, on @qpair. */
bool nvme_qpair_payload_fits(const struct usk_nvme_qpair *qpair, const struct nvme_payload *data);
struct nvme_ns_io;
/*
 * Submits a read, write or compare above the maximum transfer, or across
 * the optimal I/O boundary, as several commands, each with @io's flags,
 * tags and its part of the metadata (nvme_split.c).
 */
int nvme_split_submit(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
		      const struct nvme_ns_io *io, const struct nvme_payload *data, uint64_t lba,
		      uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg);
/* Whether a command with @cb/@cb_arg is a piece of a split request of @user_arg. */
bool nvme_split_is_for(usk_nvme_cmd_cb cb, const void *cb_arg, const void *user_arg);
/*
 * PRP2 for the @len bytes at @va, which starts on a page boundary and
 * follows the page PRP1 names: that page, or the list of them in
 * @prp_list. Returns 0, or -EINVAL if a page is not DMA-able or the list
 * would not fit in one page (nvme_pcie_qpair.c).
 */
int nvme_build_prp_list(struct usk_nvme_sqe *sqe, uintptr_t va, uint32_t len, uint64_t *prp_list,
			uint64_t prp_list_iova);

/*
 * Builds PRP1/PRP2 (and the PRP list) for @buf/@len; -EINVAL if not
 * DMA-able. Inline: data in one page, every 4 KiB I/O, needs no call but
 * the translation.
 */
static inline int nvme_build_prps(struct usk_nvme_sqe *sqe, const void *buf, uint32_t len,
				  uint64_t *prp_list, uint64_t prp_list_iova)
{
	uintptr_t va = (uintptr_t)buf;
	uint64_t iova;
	uint32_t first;

	/* No data: the command's own PRP1 stays (queue creation puts the ring there). */
	if (len == 0) {
		return 0;
	}
	/* PRPs need dword-aligned data (base 4.1.1). */
	iova = usk_vtoiova(buf, NULL);
	if (iova == USK_IOVA_INVALID || (va & 3) != 0) {
		return -EINVAL;
	}
	sqe->prp1 = iova;
	first = NVME_PAGE_SIZE - (uint32_t)(va & (NVME_PAGE_SIZE - 1));
	if (len <= first) {
		sqe->prp2 = 0;
		return 0;
	}
	/* Every page after the first starts on a page boundary, virtual and IOVA alike. */
	return nvme_build_prp_list(sqe, va + first, len - first, prp_list, prp_list_iova);
}

/*
 * Registers: MMIO on pcie, Property Get/Set on a fabric (which waits for
 * the answer: never from an I/O path, nor from the reset's steps, which
 * send their own). A read that fails gives all ones.
 */
static inline uint32_t nvme_reg_read32(struct usk_nvme_ctrlr *c, uint32_t off)
{
	return c->ops->reg_read32(c, off);
}

static inline uint64_t nvme_reg_read64(struct usk_nvme_ctrlr *c, uint32_t off)
{
	return c->ops->reg_read64(c, off);
}

static inline void nvme_reg_write32(struct usk_nvme_ctrlr *c, uint32_t off, uint32_t v)
{
	c->ops->reg_write32(c, off, v);
}

static inline void nvme_reg_write64(struct usk_nvme_ctrlr *c, uint32_t off, uint64_t v)
{
	c->ops->reg_write64(c, off, v);
}

/* Shadow doorbells (nvme_dbbuf.c). */
/*
 * Makes the Doorbell Buffer Config pages when the controller offers them and
 * the options want them (bring-up, after Identify). Returns 0 or -ENOMEM.
 */
int nvme_dbbuf_alloc(struct usk_nvme_ctrlr *ctrlr);
void nvme_dbbuf_attach_qpair(struct usk_nvme_ctrlr *ctrlr, struct usk_nvme_qpair *qpair);
void nvme_dbbuf_free(struct usk_nvme_ctrlr *ctrlr);
/*
 * Tells the controller the new value of a doorbell: through the shadow and
 * EventIdx when the queue has them, else by the MMIO register. Counts each
 * MMIO write in *@mmio_writes and each shadow update in *@shadow_updates.
 */
static inline void nvme_doorbell_write(volatile uint32_t *mmio, uint32_t *shadow,
				       const uint32_t *eventidx, uint16_t old_value,
				       uint16_t new_value, uint64_t *mmio_writes,
				       uint64_t *shadow_updates)
{
	if (shadow == NULL) {
		*mmio = new_value;
		(*mmio_writes)++;
		return;
	}
	__atomic_store_n(shadow, new_value, __ATOMIC_RELEASE);
	(*shadow_updates)++;
	/* The shadow write must be visible before EventIdx is read (base 5.8). */
	usk_mb();
	uint16_t event = (uint16_t)*(const volatile uint32_t *)eventidx;

	/* MMIO only if the controller's EventIdx lies in [old, new): it waits for it. */
	if ((uint16_t)(new_value - event - 1) < (uint16_t)(new_value - old_value)) {
		*mmio = new_value;
		(*mmio_writes)++;
	}
}

/* The admin queue (nvme_admin_queue.c). */
/* Allocates the pool of callers' admin commands, sized to the admin queue pair. */
int nvme_admin_reqs_alloc(struct usk_nvme_ctrlr *ctrlr);
void nvme_admin_reqs_free(struct usk_nvme_ctrlr *ctrlr);
/*
 * Reaps the admin queue under the admin lock (the driver's own callbacks run
 * there; callers' completions are set aside), then moves a reset on or
 * starts one that is due (nvme_ctrlr_reset_poll). Returns what
 * usk_nvme_qpair_process_completions() does.
 */
int nvme_admin_poll(struct usk_nvme_ctrlr *ctrlr);
/*
 * Runs the callbacks of callers' commands set aside, then those of resets
 * done (nvme_ctrlr_run_reset_callbacks), no lock held; returns how many
 * admin callbacks ran.
 */
int nvme_admin_run_callbacks(struct usk_nvme_ctrlr *ctrlr);
/*
 * Whether a caller's command has been out longer than the admin timeout:
 * lost to the controller, which a reset then ends (with Command Abort
 * Requested), freeing its entry. The admin lock is held.
 */
bool nvme_admin_find_late(struct usk_nvme_ctrlr *ctrlr, uint64_t now);
/*
 * Sends an admin command whose answer nobody needs (it is reaped and
 * dropped). With @try_lock a busy admin lock means -EBUSY, for callers that
 * may not wait. Returns 0, -EBUSY, -EAGAIN (queue full), -ENXIO (failed).
 */
int nvme_admin_post(struct usk_nvme_ctrlr *ctrlr, const struct usk_nvme_sqe *cmd, bool try_lock);

/*
 * A transport's attach: construct the controller it allocated (the base
 * first in its own struct; nvme_ctrlr.c), set what only it knows (name,
 * device), then start its bring-up (nvme_attach.c): the transport's
 * connect, then the polled steps usk_nvme_attach_poll() moves on. Returns
 * 0 with *@ctx set, or a negative errno with the controller released.
 */
void nvme_ctrlr_construct(struct usk_nvme_ctrlr *ctrlr, const struct nvme_transport_ops *ops,
			  uint8_t trtype, const struct usk_nvme_ctrlr_opts *opts);
int nvme_ctrlr_attach_start(struct usk_nvme_ctrlr *ctrlr, struct usk_nvme_attach_ctx **ctx);

/* Bring-up pieces a reset repeats (nvme_ctrlr.c). */
/* CAP.TO, in 500 ms units, as microseconds: how long the controller may take to change state. */
uint64_t nvme_ctrlr_timeout_us(const struct usk_nvme_ctrlr *ctrlr);
/* pcie: points the controller at the (empty) admin queue and sets CC.EN; does not wait for RDY. */
void nvme_ctrlr_start_admin(struct usk_nvme_ctrlr *ctrlr);
/* CC with EN set and the queue entry sizes, page size and command set the driver uses. */
uint32_t nvme_ctrlr_cc_enabled(void);
/* Writes nvme_ctrlr_cc_enabled() to CC. */
void nvme_ctrlr_set_enable(struct usk_nvme_ctrlr *ctrlr);
/*
 * Takes CAP as read at bring-up: -ENODEV when it reads all ones (gone),
 * -ENOTSUP when the controller cannot do 4 KiB pages, else 0 (nvme_attach.c).
 */
int nvme_ctrlr_take_cap(struct usk_nvme_ctrlr *ctrlr, uint64_t cap);
/* Set Features, Number of Queues, asking for what the options say. */
struct usk_nvme_sqe nvme_ctrlr_num_queues_cmd(const struct usk_nvme_ctrlr *ctrlr);
/* The I/O queues to use, from that command's Dword 0. */
uint32_t nvme_ctrlr_num_queues_granted(const struct usk_nvme_ctrlr *ctrlr, uint32_t dw0);
/*
 * Takes the Identify Controller data read into ctrlr->cdata: MDTS,
 * namespaces, SGLs. -ENOTSUP: a fabric controller the host cannot use.
 */
int nvme_ctrlr_take_identify(struct usk_nvme_ctrlr *ctrlr);
/* The Arbitration feature @value with the burst the options ask for. */
uint32_t nvme_ctrlr_arbitration_with_burst(const struct usk_nvme_ctrlr *ctrlr, uint32_t value);

/* Releases a controller that is shut down and disabled, or gone (the end of a detach). */
void nvme_ctrlr_free_stopped(struct usk_nvme_ctrlr *ctrlr);

/* Why the controller cannot go on (gone, being removed, fatal status), or NULL (nvme_health.c). */
const char *nvme_ctrlr_fault(struct usk_nvme_ctrlr *ctrlr);

/*
 * Reset (nvme_reset.c). @spare says which I/O queues are left on the
 * controller for the disable to end instead of being deleted first:
 * NVME_RESET_SPARE_NONE, NVME_RESET_SPARE_ALL (the controller is not
 * answering admin commands), or the ID of the one queue pair whose late
 * command the controller cannot finish.
 */
#define NVME_RESET_SPARE_NONE 0
#define NVME_RESET_SPARE_ALL  UINT16_MAX
/*
 * Asks for a reset of the controller as it was in state @seen, sparing
 * @spare, without waiting: any thread, no lock. The next admin poll starts
 * it, unless the state has moved from @seen by then (another reset came).
 */
void nvme_ctrlr_request_reset(struct usk_nvme_ctrlr *ctrlr, uint32_t seen, uint16_t spare);
/*
 * Moves the reset under way on by what can be done without waiting, or
 * starts one that is due (asked for by an I/O thread, a lost admin command
 * or usk_nvme_ctrlr_reset_async() callers). The admin lock is held.
 */
void nvme_ctrlr_reset_poll(struct usk_nvme_ctrlr *ctrlr);
/*
 * Polls the admin queue until no reset is under way or asked for (or the
 * controller failed): each step has a deadline. Sleeps: not for an I/O path.
 */
void nvme_ctrlr_reset_settle(struct usk_nvme_ctrlr *ctrlr);
/* Whether a reset is under way or asked for (any thread, no lock). */
bool nvme_ctrlr_reset_pending(const struct usk_nvme_ctrlr *ctrlr);
/*
 * Runs the callbacks of usk_nvme_ctrlr_reset_async() callers whose reset is
 * done; with the controller failed, of those still waiting too (-ENXIO).
 * No lock is held.
 */
void nvme_ctrlr_run_reset_callbacks(struct usk_nvme_ctrlr *ctrlr);
/*
 * The reset's steps (nvme_reset_steps.c), the admin lock held.
 * nvme_reset_steps_begin() sets the RESETTING bit and the first step;
 * nvme_reset_steps_run() then does each step that need not wait and
 * returns -EAGAIN (call again on a later poll), 0 (the controller is ready
 * and the bit is clear) or the error that made the reset fail.
 */
void nvme_reset_steps_begin(struct usk_nvme_ctrlr *ctrlr, uint16_t spare);
/*
 * The bring-up as the same steps: disable, enable (the admin queue pair is
 * made), wait for CSTS.RDY, Identify Controller, then as a reset. Sets the
 * RESETTING bit; the admin lock is held.
 */
void nvme_reset_steps_begin_attach(struct usk_nvme_ctrlr *ctrlr);
int nvme_reset_steps_run(struct usk_nvme_ctrlr *ctrlr);
/*
 * A reconnecting reset that failed goes on: its first step (the transport's
 * ctrlr_reconnect) again at @when (ticks), the RESETTING bit kept.
 */
void nvme_reset_steps_reconnect_at(struct usk_nvme_ctrlr *ctrlr, uint64_t when);
/* Leaves the reset where it is, its callers not answered: the controller has failed. */
void nvme_reset_steps_abandon(struct usk_nvme_ctrlr *ctrlr);

/* Whether a reset's steps are under way; the admin lock is held. */
static inline bool nvme_reset_under_way(const struct usk_nvme_ctrlr *c)
{
	return c->reset.step != 0;
}
/*
 * Brings a queue pair whose synced_state differs from the controller's in
 * line: ends its commands if the controller was reset, and re-creates its
 * queues once the reset is done. Returns 0 when it may go on, -EAGAIN while
 * a reset is under way (submissions wait), -ENXIO when the controller failed.
 */
int nvme_qpair_resync(struct usk_nvme_qpair *qpair);
/*
 * Creates a new I/O queue pair on the controller (after a reset under way,
 * if any), polling the admin queue until it is done: not for an I/O path.
 * Returns 0, or -EIO (a Create refused), or -ENXIO (nvme_qpair_connect.c).
 */
int nvme_qpair_create_first(struct usk_nvme_qpair *qpair);
/*
 * The outcome of Creates posted for @qpair (connecting_for set), without
 * waiting: 0 (its queues are there: it is in sync), -EAGAIN (still out),
 * -ESTALE (a reset ended them) or the error that refused them.
 */
int nvme_qpair_connect_check(struct usk_nvme_qpair *qpair);

/* step_status while a Create or Delete of a queue pair's queues is out, and once it succeeded. */
#define NVME_QPAIR_STEP_UNDER_WAY 0
#define NVME_QPAIR_STEP_DONE	  1
/* Publishes the outcome of the Create or Delete posted last, for the owner's next look. */
void nvme_qpair_step_end(struct usk_nvme_qpair *qpair, int status);
/*
 * The outcome of the Create or Delete posted last: the admin queue is
 * reaped first if no other thread holds it, so the answer is seen without
 * waiting for the admin poller. The owner thread.
 */
int nvme_qpair_step_look(struct usk_nvme_qpair *qpair);
/*
 * One turn of a wait for the admin queue, for tools, never an I/O path:
 * polls it (doing the resets asked for) and sleeps a little.
 */
void nvme_admin_nap(struct usk_nvme_ctrlr *ctrlr);

/* Disconnection (nvme_qpair_disconnect.c): usk_nvme_qpair_disconnect()'s phases. */
#define NVME_DISCONNECT_NONE	  0 /* connected, or connecting */
#define NVME_DISCONNECT_DELETE_SQ 1 /* Delete I/O SQ to post */
#define NVME_DISCONNECT_SQ_OUT	  2 /* posted, not answered */
#define NVME_DISCONNECT_DELETE_CQ 3 /* the SQ is gone: reap its last entries, post Delete I/O CQ */
#define NVME_DISCONNECT_CQ_OUT	  4 /* posted, not answered */
#define NVME_DISCONNECT_REFUSED	  5 /* a Delete was refused: waiting for the reset asked for */
#define NVME_DISCONNECT_GONE	  6 /* the queues are gone: the queue ID is to release */
#define NVME_DISCONNECT_DONE	  7 /* disconnected: polls return -ENOTCONN */
/*
 * usk_nvme_qpair_process_completions() of a queue pair being disconnected:
 * reaps while its CQ is there and moves the Deletes on, never waiting.
 * Returns completions reaped, or -ENOTCONN once disconnected.
 */
int nvme_qpair_disconnect_poll(struct usk_nvme_qpair *qpair, uint32_t max);
/* Reaps up to @max completions (0: all) of a queue pair in sync with the controller (nvme_qpair.c). */
int nvme_pcie_qpair_reap(struct usk_nvme_qpair *qpair, uint32_t max);
/* Publishes @q under its ID (NULL: takes it back), where a reset finds it (nvme_ctrlr.c). */
void nvme_ctrlr_set_io_qpair(struct usk_nvme_ctrlr *ctrlr, uint16_t qid, struct usk_nvme_qpair *q);
/*
 * Puts a new I/O queue pair's queues on the controller (its transport's
 * qpair_rebuild): waiting for them, or with @connect_async starting them if
 * it can and leaving the rest to the owner's polls and submissions
 * (nvme_qpair_connect.c).
 */
int nvme_qpair_connect(struct usk_nvme_qpair *qpair, bool connect_async);
/* pcie's qpair_rebuild: ends what the rings held, posts the Creates and looks at them. */
int nvme_pcie_qpair_rebuild(struct usk_nvme_qpair *qpair);
/* Gives queue ID @qid back, for another queue pair; the admin lock is held (nvme_ctrlr.c). */
void nvme_ctrlr_release_qid_locked(struct usk_nvme_ctrlr *ctrlr, uint16_t qid);
/*
 * Whether the queue pair's rings match the controller: for an I/O queue
 * pair, no reset or failure since it was built; the admin queue, which the
 * reset rebuilds itself, only has to see no failure.
 */
static inline bool nvme_qpair_in_sync(const struct usk_nvme_qpair *q)
{
	uint32_t state = __atomic_load_n(&q->ctrlr->state, __ATOMIC_ACQUIRE);

	return q->id == 0 ? (state & NVME_CTRLR_FAILED) == 0 : state == q->synced_state;
}

/*
 * lib/nvme's clock: every time the driver reads (command timeouts, the admin
 * and CSTS.RDY deadlines) and every limit it converts go through these two.
 * The seam is for the unit tests: they build lib/nvme with NVME_UT_TICKS
 * (test/unit/lib/nvme/local.mk), so the clock is a counter of microseconds
 * that only the test moves; a timeout then fires at the tick the test
 * chooses, with no sleeping and whatever the machine's load. Chosen at
 * build time so a normal build reads the TSC inline, as before: no load of
 * a pointer and no call per I/O.
 */
#ifdef NVME_UT_TICKS
/* The test's clock (test/unit/lib/nvme/ut_nvme_ticks.c). */
uint64_t ut_nvme_ticks_read(void);

static inline uint64_t nvme_ticks(void)
{
	return ut_nvme_ticks_read();
}

static inline uint64_t nvme_us_to_ticks(uint64_t us)
{
	return us;
}
#else
static inline uint64_t nvme_ticks(void)
{
	return usk_ticks();
}

static inline uint64_t nvme_us_to_ticks(uint64_t us)
{
	return usk_us_to_ticks(us);
}
#endif

/* The admin timeout (usk_nvme_ctrlr_opts.admin_timeout_ms) in ticks. */
static inline uint64_t nvme_admin_timeout_ticks(const struct usk_nvme_ctrlr *c)
{
	return nvme_us_to_ticks(c->opts.admin_timeout_ms * 1000ull);
}

/* CAP.TO (nvme_ctrlr_timeout_us()) in ticks. */
static inline uint64_t nvme_cap_to_ticks(const struct usk_nvme_ctrlr *c)
{
	return nvme_us_to_ticks(nvme_ctrlr_timeout_us(c));
}

/*
 * Whether the clock is past *@deadline, which was set @span ticks after an
 * earlier reading. A clock that went back since (a virtual machine restored
 * from a snapshot rewinds its TSC) first moves it to @span from now
 * (usk_ticks_rebase()): the wait starts again instead of lasting as long
 * again as the step.
 */
static inline bool nvme_deadline_passed(uint64_t *deadline, uint64_t span)
{
	uint64_t now = nvme_ticks();

	usk_ticks_rebase(now, deadline, span);
	return now > *deadline;
}

/* Reconnecting (nvme_reconnect.c). */
/* Whether a lost connection or a reset reconnects the controller (a fabric,
 * ctrlr_loss_timeout_sec). */
bool nvme_ctrlr_reconnects(const struct usk_nvme_ctrlr *ctrlr);
/*
 * A reconnecting reset failed: schedules the next attempt reconnect_delay_sec
 * from now and returns true, or false when the controller is to fail (no
 * reconnect, still coming up, or ctrlr_loss_timeout_sec passed since the
 * loss). The admin lock is held.
 */
bool nvme_ctrlr_reconnect_again(struct usk_nvme_ctrlr *ctrlr);
/*
 * The new connection of an I/O queue pair that had one failed, the first
 * of such failures in a row stamped *@lost_at: the same rule per queue
 * pair, on its owner's thread. Returns true with *@next_at set to the next
 * attempt, or false when the controller is to fail.
 */
bool nvme_qpair_reconnect_again(const struct usk_nvme_qpair *qpair, uint64_t *lost_at,
				uint64_t *next_at);
/*
 * Whether fast_io_fail_timeout_sec has passed since *@lost_at, the first
 * failure of @qpair's retries: its commands are then no longer held.
 */
bool nvme_qpair_reconnect_fails_fast(const struct usk_nvme_qpair *qpair, uint64_t *lost_at);
/* Whether *@next_at (nvme_qpair_reconnect_again()) has come; rebased if the clock went back. */
bool nvme_qpair_reconnect_due(const struct usk_nvme_qpair *qpair, uint64_t *next_at);
/* From the admin poll during a reset: sets io_fail_fast once fast_io_fail_timeout_sec has passed.
 */
void nvme_ctrlr_reconnect_poll(struct usk_nvme_ctrlr *ctrlr);
/* Whether I/O queue pairs fail their commands rather than wait for the reconnect (any thread). */
bool nvme_ctrlr_io_fails_fast(const struct usk_nvme_ctrlr *ctrlr);

/* Interrupts (nvme_interrupt.c). */
/*
 * At bring-up, once the I/O queues are granted: with opts.interrupts,
 * enables MSI-X (admin vector routed, I/O vectors masked); without MSI-X
 * says once that the controller is polled only. Never fails the bring-up.
 */
void nvme_ctrlr_irq_setup(struct usk_nvme_ctrlr *ctrlr);
/* Disables MSI-X and closes the eventfds (the controller is disabled already). */
void nvme_ctrlr_irq_free(struct usk_nvme_ctrlr *ctrlr);
/* The vector of I/O queue @qid, shared round-robin; 0 when the controller has none for I/O. */
uint16_t nvme_ctrlr_irq_vector(const struct usk_nvme_ctrlr *ctrlr, uint16_t qid);
/* Disarms @qpair and forgets its vector: it is being disconnected. */
void nvme_qpair_irq_release(struct usk_nvme_qpair *qpair);
/*
 * Counts @reaped completions of a queue pair disarmed with its vector left
 * unmasked (irq_keep_reaps != 0); masks the vector once they reach its
 * irq_keep_limit without an arm between.
 */
void nvme_qpair_irq_count_kept(struct usk_nvme_qpair *qpair, uint32_t reaped);

/* Timeouts (nvme_timeout.c): looks at every command of @qpair at @now; aborts, resets. */
void nvme_qpair_scan_timeouts(struct usk_nvme_qpair *qpair, uint64_t now);

/*
 * Stamps the clock for the commands submitted until the next poll, and
 * scans for late ones four times per timeout: at each poll of a queue pair
 * with timeouts, so the part that runs every time is inline.
 */
static inline void nvme_qpair_check_timeouts(struct usk_nvme_qpair *q)
{
	uint64_t now = nvme_ticks();

	/* Behind the last poll's: the clock went back, and the next scan may lie far ahead. */
	if (now < q->now_tick) {
		q->next_timeout_check = now;
	}
	q->now_tick = now;
	if (now >= q->next_timeout_check) {
		nvme_qpair_scan_timeouts(q, now);
	}
}
/*
 * Sends an Abort for the command @cid of @qpair without waiting for the
 * answer (nvme_abort.c); as nvme_admin_post().
 */
int nvme_qpair_send_abort(struct usk_nvme_qpair *qpair, uint16_t cid, bool try_lock);

/* Failure (nvme_health.c). */
/*
 * Starts failing the controller, for @why, without waiting: clears CC.EN
 * and sets the RESETTING bit (queue pairs hold off, other admin commands
 * and resets stay out). nvme_ctrlr_fail_poll() ends it. The admin lock is held.
 */
void nvme_ctrlr_fail_locked(struct usk_nvme_ctrlr *ctrlr, const char *why);
/*
 * Moves a failure under way on by one CSTS read: once CSTS.RDY is clear
 * (or the device is gone, or 100 ms passed) marks the controller failed
 * and ends its admin commands. From the admin poll, the admin lock held.
 */
void nvme_ctrlr_fail_poll(struct usk_nvme_ctrlr *ctrlr);
/*
 * Asks the admin poll to fail the controller, for @why (a string that
 * lives for ever): any thread, no lock, never waits.
 */
void nvme_ctrlr_request_fail(struct usk_nvme_ctrlr *ctrlr, const char *why);
/* Fails the controller if that was asked for; the admin lock is held. */
void nvme_ctrlr_fail_if_asked(struct usk_nvme_ctrlr *ctrlr);
/* Calls the remove callback once the controller has failed, once; the admin lock is not held. */
void nvme_ctrlr_notify_if_failed(struct usk_nvme_ctrlr *ctrlr);

/* Asynchronous events (nvme_aer.c). */
/* Makes the page events' log pages are read into (bring-up). Returns 0 or -ENOMEM. */
int nvme_aer_alloc(struct usk_nvme_ctrlr *ctrlr);
/* Set Features, Asynchronous Event Configuration, for the events the driver handles. */
struct usk_nvme_sqe nvme_aer_config_cmd(const struct usk_nvme_ctrlr *ctrlr);
/*
 * Takes @rc, the outcome of that command: sets how many requests to keep
 * waiting; returns @rc when the controller did not answer, else 0.
 */
int nvme_aer_config_done(struct usk_nvme_ctrlr *ctrlr, int rc);
/* Tops up the waiting requests, unless a reset is under way; the admin lock is held. */
void nvme_aer_arm(struct usk_nvme_ctrlr *ctrlr);
/*
 * Moves the events reaped so far on, never waiting: sends the log page read
 * of the oldest (its callback refreshes the namespaces and tells the
 * event callback); tops up the requests. No lock is held.
 */
void nvme_aer_process(struct usk_nvme_ctrlr *ctrlr);
/* Frees what nvme_aer_alloc() allocated, and a namespace refresh under way. */
void nvme_aer_free(struct usk_nvme_ctrlr *ctrlr);

/* Namespaces (nvme_ns.c). */
/* A command on blocks [lba, lba + count): SLBA in CDW10-11, NLB (0's based) in CDW12. */
static inline struct usk_nvme_sqe nvme_ns_lba_cmd(const struct usk_nvme_ns *ns, uint8_t opcode,
						  uint64_t lba, uint32_t count)
{
	return (struct usk_nvme_sqe){
		.opcode = opcode,
		.nsid = ns->id,
		.cdw10 = (uint32_t)lba,
		.cdw11 = (uint32_t)(lba >> 32),
		.cdw12 = count - 1,
	};
}

/*
 * Blocks from @lba up to the namespace's next optimal I/O boundary
 * (UINT64_MAX when it reports none). A mask, not a division, for a boundary
 * that is a power of two, as devices report it (DESIGN.md: no division on
 * the data path); any other value still works, with a division.
 */
static inline uint64_t nvme_ns_blocks_to_boundary(const struct usk_nvme_ns *ns, uint64_t lba)
{
	uint32_t b = ns->optimal_io_boundary;

	if (b == 0) {
		return UINT64_MAX;
	}
	return b - ((b & (b - 1)) == 0 ? (lba & (b - 1)) : lba % b);
}

/*
 * Makes the namespace array, one entry per possible ID (Identify's NN),
 * once, so pointers to entries stay valid. Returns 0 or -ENOMEM.
 */
int nvme_ns_array(struct usk_nvme_ctrlr *ctrlr);

/* Reads the active namespace list and identifies each, waiting for each answer (format). */
int nvme_ns_identify_all(struct usk_nvme_ctrlr *ctrlr);

/* Takes namespace @nsid's Identify Namespace answer: active or not, format, size, boundary. */
void nvme_ns_take_identify(struct usk_nvme_ctrlr *ctrlr, uint32_t nsid,
			   const struct usk_nvme_ns_data *data);

/*
 * Walks the active namespace list @list from ID @*next_id and entry @*index:
 * marks the IDs it does not list inactive and returns the next one it lists
 * (0 when none is left), moving both on past it.
 */
uint32_t nvme_ns_next_listed(struct usk_nvme_ctrlr *ctrlr, const uint32_t *list, uint32_t *index,
			     uint32_t *next_id);

/* Called when a refresh ends: @rc 0, -EIO (a command failed) or -ENXIO (the controller did). */
typedef void (*nvme_ns_refresh_cb)(void *cb_arg, int rc);

/*
 * Starts reading the namespaces again without waiting (nvme_ns_refresh.c):
 * the admin poll's nvme_ns_refresh_poll() sends each command, and @cb runs
 * from it at the end. One at a time. Returns 0 or -ENOMEM.
 */
int nvme_ns_refresh_start(struct usk_nvme_ctrlr *ctrlr, nvme_ns_refresh_cb cb, void *cb_arg);

/* Moves a refresh under way on by one command, or ends it; from the admin poll. */
void nvme_ns_refresh_poll(struct usk_nvme_ctrlr *ctrlr);

/* Frees a refresh that will never end: the controller is being freed, its commands ended. */
void nvme_ns_refresh_abandon(struct usk_nvme_ctrlr *ctrlr);

/*
 * Reads the LBA format in use from @nd into @fmt (nvme_ns_format.c).
 * Returns 0 when the driver can serve it, or -ENOTSUP with @why saying
 * which format and why not (@fmt is filled either way).
 */
int nvme_ns_format_parse(const struct usk_nvme_ns_data *nd, struct nvme_ns_format *fmt, char *why,
			 size_t why_len);

/* Writes "LBA format N (LBADS, MS, layout, PI)" into @buf; returns what snprintf() does. */
int nvme_ns_format_describe(const struct nvme_ns_format *fmt, char *buf, size_t len);

/* One read, write or compare as the namespace's format and the I/O's options shape it. */
struct nvme_ns_io {
	uint8_t opcode;
	uint32_t cdw12;	      /* the I/O flags */
	uint32_t cdw15;	      /* application tag mask << 16 | application tag */
	uint32_t sector_size; /* bytes of the data buffer per block */
	uint32_t md_size;     /* bytes of the separate metadata buffer per block, 0: none */
	const uint8_t *md;    /* that buffer */
	bool reftag;	      /* PI type 1 or 2: CDW14 carries the LBA's low 32 bits */
};

/* What every command of @io for blocks [lba, lba + count) carries: all but MPTR. */
static inline struct usk_nvme_sqe nvme_ns_io_cmd_base(const struct usk_nvme_ns *ns,
						      const struct nvme_ns_io *io, uint64_t lba,
						      uint32_t count)
{
	struct usk_nvme_sqe cmd = nvme_ns_lba_cmd(ns, io->opcode, lba, count);

	cmd.cdw12 |= io->cdw12;
	cmd.cdw15 = io->cdw15;
	/* The initial reference tag: PI types 1 and 2 check it against the LBA. */
	if (io->reftag) {
		cmd.cdw14 = (uint32_t)lba;
	}
	return cmd;
}

/*
 * The command for blocks [lba, lba + count) of @io, which are @first
 * blocks into the request (its metadata is that far into io->md): MPTR
 * from the IOVA map. Returns 0, or -EINVAL when the metadata is not
 * DMA-able and contiguous for the blocks (nvme_ns_io.c).
 */
int nvme_ns_io_cmd(const struct usk_nvme_ns *ns, const struct nvme_ns_io *io, uint64_t lba,
		   uint32_t count, uint64_t first, struct usk_nvme_sqe *cmd);

#endif /* USK_NVME_INTERNAL_H */
