/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev's I/O path: each thread's channel owns one I/O queue pair
 * of the controller and a poller that reaps it. An I/O the queue pair has
 * no room for (or an unmap with no free range) waits in the channel, in
 * order, and goes out after the next reap. A failed I/O the device says
 * may succeed again (DNR clear) is sent again after the next reap, as
 * SPDK's module does: one a controller reset ended (Command Aborted due to
 * SQ Deletion: the controller never finished it) as often as it takes, so
 * a reset costs the application time, not errors, and a failed controller
 * ends it; any other up to bdev_retry_count times (0: none is). A command
 * aborted on request, such as the one whose timeout caused a reset, fails.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk_internal/nvme.h"
#include "bdev_nvme.h"

/* DSM ranges per channel: one per unmap in flight (the layer splits unmaps at MDTS). */
#define NVME_BDEV_RANGES 512

/*
 * A thread's channel. Allocated apart from the io_channel's context: once
 * the channel is released its queue pair is disconnected without waiting,
 * and the channel lives on, polled by its own thread, until that is done.
 */
struct nvme_bdev_channel {
	struct usk_nvme_qpair *qpair;
	struct usk_poller *poller; /* reaps; once closing, moves the disconnection on */
	bool closing;		   /* released: nothing is sent again */
	struct usk_bdev_io *waiting_head;
	struct usk_bdev_io *waiting_tail;
	/* Ended by a reset, to go out again after the next reap (a stack: order does not matter).
	 */
	struct usk_bdev_io *retry_head;
	struct usk_nvme_dsm_range *ranges; /* DMA memory the controller reads */
	uint16_t free_ranges[NVME_BDEV_RANGES];
	uint32_t num_free_ranges;
	/* With the queue pair's interrupt: bounds the thread's sleeps (nvme_bdev_channel_sleep()).
	 */
	struct usk_poller *sleep_bound;
};

/* Whether a failed I/O goes out again (the rule at the top); counts the retry if it counts. */
static bool nvme_bdev_io_may_retry(struct nvme_bdev_io *nio, uint8_t sct, uint8_t sc,
				   uint16_t status)
{
	/* A miscompare is the compare's answer, not a failure to give one. */
	if (USK_NVME_STATUS_DNR(status) ||
	    (sct == USK_NVME_SCT_GENERIC && sc == USK_NVME_SC_ABORTED_BY_REQUEST) ||
	    (sct == USK_NVME_SCT_MEDIA && sc == USK_NVME_SC_COMPARE_FAILURE) ||
	    !nvme_bdev_options_may_retry(0)) {
		return false;
	}
	if (sct == USK_NVME_SCT_GENERIC && sc == USK_NVME_SC_ABORTED_SQ_DELETION) {
		return true;
	}
	if (!nvme_bdev_options_may_retry(nio->retries)) {
		return false;
	}
	nio->retries++;
	return true;
}

static void nvme_bdev_io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_bdev_io *io = arg;
	struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);
	uint8_t sct = USK_NVME_STATUS_SCT(cpl->status);
	uint8_t sc = USK_NVME_STATUS_SC(cpl->status);

	if (nio->range_slot >= 0) {
		nio->ch->free_ranges[nio->ch->num_free_ranges++] = (uint16_t)nio->range_slot;
		nio->range_slot = -1;
	}
	/*
	 * Not sent again at once: this may run inside the queue pair's catch-up
	 * after a reset, before it has its queues back.
	 */
	if ((sct != 0 || sc != 0) && !nio->ch->closing &&
	    nvme_bdev_io_may_retry(nio, sct, sc, cpl->status)) {
		nio->next = nio->ch->retry_head;
		nio->ch->retry_head = io;
		return;
	}
	if (sct == USK_NVME_SCT_MEDIA && sc == USK_NVME_SC_COMPARE_FAILURE) {
		usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_MISCOMPARE);
	} else {
		usk_bdev_io_complete_nvme_status(io, sct, sc);
	}
}

/* Deallocates the I/O's blocks with one DSM range from the channel's DMA array. */
static int nvme_bdev_unmap(struct nvme_bdev_channel *ch, struct usk_bdev_io *io,
			   struct nvme_bdev_io *nio)
{
	struct nvme_bdev *nb = io->bdev->ctxt;
	struct usk_nvme_dsm_range *range;
	int rc;

	if (ch->num_free_ranges == 0) {
		return -EAGAIN;
	}
	nio->range_slot = ch->free_ranges[--ch->num_free_ranges];
	range = &ch->ranges[nio->range_slot];
	*range = (struct usk_nvme_dsm_range){.lba = io->offset_blocks,
					     .lba_count = (uint32_t)io->num_blocks};
	rc = usk_nvme_ns_deallocate(nb->ns, ch->qpair, range, 1, nvme_bdev_io_done, io);
	if (rc != 0) {
		ch->free_ranges[ch->num_free_ranges++] = (uint16_t)nio->range_slot;
		nio->range_slot = -1;
	}
	return rc;
}

/* Hands @io to the queue pair: 0, -EAGAIN when it must wait, or another error. */
static int nvme_bdev_issue(struct nvme_bdev_channel *ch, struct usk_bdev_io *io)
{
	struct nvme_bdev *nb = io->bdev->ctxt;
	struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);
	struct usk_nvme_ns *ns = nb->ns;
	uint64_t lba = io->offset_blocks;
	/* The layer splits at the max transfer size: the count fits 32 bits. */
	uint32_t n = (uint32_t)io->num_blocks;

	nio->ch = ch;
	nio->range_slot = -1;
	switch (io->type) {
	/* The layer checked the range and the elements' lengths: lib/nvme does not again. */
	case USK_BDEV_IO_TYPE_READ:
		return nvme_ns_rwv_prechecked(ns, ch->qpair, USK_NVME_OPC_READ, io->iovs,
					      io->iovcnt, lba, n, nvme_bdev_io_done, io);
	case USK_BDEV_IO_TYPE_WRITE:
		return nvme_ns_rwv_prechecked(ns, ch->qpair, USK_NVME_OPC_WRITE, io->iovs,
					      io->iovcnt, lba, n, nvme_bdev_io_done, io);
	case USK_BDEV_IO_TYPE_COMPARE:
		return nvme_ns_rwv_prechecked(ns, ch->qpair, USK_NVME_OPC_COMPARE, io->iovs,
					      io->iovcnt, lba, n, nvme_bdev_io_done, io);
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		return usk_nvme_ns_write_zeroes(ns, ch->qpair, lba, n, nvme_bdev_io_done, io);
	case USK_BDEV_IO_TYPE_UNMAP:
		return nvme_bdev_unmap(ch, io, nio);
	case USK_BDEV_IO_TYPE_FLUSH:
		return usk_nvme_ns_flush(ns, ch->qpair, nvme_bdev_io_done, io);
	default:
		return -ENOTSUP;
	}
}

/* Issues @io; false when it has to wait for room. Errors complete it. */
static bool nvme_bdev_start(struct nvme_bdev_channel *ch, struct usk_bdev_io *io)
{
	int rc = nvme_bdev_issue(ch, io);

	if (rc == -EAGAIN) {
		return false;
	}
	if (rc != 0) {
		USK_DEBUGLOG(BDEV, "%s: I/O type %d refused: %s", usk_bdev_get_name(io->bdev),
			     io->type, strerror(-rc));
		usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_FAILED);
	}
	return true;
}

static void nvme_bdev_wait(struct nvme_bdev_channel *ch, struct usk_bdev_io *io)
{
	struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);

	nio->next = NULL;
	if (ch->waiting_tail != NULL) {
		((struct nvme_bdev_io *)usk_bdev_io_driver_ctx(ch->waiting_tail))->next = io;
	} else {
		ch->waiting_head = io;
	}
	ch->waiting_tail = io;
}

/* Starts waiting I/O, oldest first, until one has to wait again. */
static void nvme_bdev_start_waiting(struct nvme_bdev_channel *ch)
{
	while (ch->waiting_head != NULL) {
		struct usk_bdev_io *io = ch->waiting_head;
		struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);
		struct usk_bdev_io *next = nio->next;

		if (!nvme_bdev_start(ch, io)) {
			return;
		}
		ch->waiting_head = next;
		if (next == NULL) {
			ch->waiting_tail = NULL;
		}
	}
}

static void nvme_bdev_reset_complete(void *arg)
{
	struct usk_bdev_io *io = arg;
	struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);

	usk_bdev_io_complete(io, nio->reset_rc == 0 ? USK_BDEV_IO_STATUS_SUCCESS
						    : USK_BDEV_IO_STATUS_FAILED);
}

/* On the controller's thread, from its admin poll: back to the submitter's. */
static void nvme_bdev_reset_done(void *arg, struct usk_nvme_ctrlr *ctrlr, int rc)
{
	struct usk_bdev_io *io = arg;
	struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);

	nio->reset_rc = rc;
	if (usk_thread_get_current() == nio->thread ||
	    usk_thread_send_msg(nio->thread, nvme_bdev_reset_complete, io) != 0) {
		nvme_bdev_reset_complete(io);
	}
}

/*
 * A reset I/O resets the controller: every I/O outstanding on it, on every
 * thread, completes with an abort status, and the queue pairs are rebuilt.
 * The submitting thread does not wait for it: the controller's thread
 * asks for it, and its admin poller, polling on every turn meanwhile, does it.
 */
static void nvme_bdev_reset(struct usk_bdev_io *io)
{
	struct nvme_bdev *nb = io->bdev->ctxt;
	struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);
	int rc;

	nio->thread = usk_thread_get_current();
	rc = nvme_bdev_ctrlr_reset(nb->nc, nvme_bdev_reset_done, io);
	if (rc != 0) {
		usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_FAILED);
	}
}

/* The thread's channel: the io_channel's context holds a pointer to it. */
static struct nvme_bdev_channel *nvme_bdev_channel_get(struct usk_io_channel *ioch)
{
	return *(struct nvme_bdev_channel **)usk_io_channel_get_ctx(ioch);
}

void nvme_bdev_submit(struct usk_io_channel *ioch, struct usk_bdev_io *io)
{
	struct nvme_bdev_channel *ch = nvme_bdev_channel_get(ioch);

	((struct nvme_bdev_io *)usk_bdev_io_driver_ctx(io))->retries = 0;
	if (io->type == USK_BDEV_IO_TYPE_RESET) {
		nvme_bdev_reset(io);
	} else if (ch->waiting_head != NULL || !nvme_bdev_start(ch, io)) {
		nvme_bdev_wait(ch, io);
	}
}

/* Puts the I/O a reset ended at the front of the waiting list: they are the oldest. */
static void nvme_bdev_queue_retries(struct nvme_bdev_channel *ch)
{
	while (ch->retry_head != NULL) {
		struct usk_bdev_io *io = ch->retry_head;
		struct nvme_bdev_io *nio = usk_bdev_io_driver_ctx(io);

		ch->retry_head = nio->next;
		nio->next = ch->waiting_head;
		ch->waiting_head = io;
		if (ch->waiting_tail == NULL) {
			ch->waiting_tail = io;
		}
	}
}

static int nvme_bdev_poll(void *ctx)
{
	struct nvme_bdev_channel *ch = ctx;
	int reaped = usk_nvme_qpair_process_completions(ch->qpair, 0);

	nvme_bdev_queue_retries(ch);
	nvme_bdev_start_waiting(ch);
	/* The queue pair delays its doorbell: what the two calls above sent goes out now. */
	usk_nvme_qpair_flush(ch->qpair);
	return reaped > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

bool nvme_bdev_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	struct nvme_bdev *nb = ctxt;
	const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(nb->nc->ctrlr);

	switch (type) {
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		return (cd->oncs & USK_NVME_ONCS_WRITE_ZEROES) != 0;
	case USK_BDEV_IO_TYPE_UNMAP:
		return (cd->oncs & USK_NVME_ONCS_DSM) != 0;
	case USK_BDEV_IO_TYPE_COMPARE:
		return (cd->oncs & USK_NVME_ONCS_COMPARE) != 0;
	default:
		return true;
	}
}

struct usk_io_channel *nvme_bdev_get_io_channel(void *ctxt)
{
	struct nvme_bdev *nb = ctxt;

	return usk_io_channel_get(nb->nc);
}

static void nvme_bdev_channel_free(struct nvme_bdev_channel *ch)
{
	usk_poller_unregister(&ch->poller);
	usk_poller_unregister(&ch->sleep_bound);
	usk_dma_free(ch->ranges);
	free(ch);
}

/* A released channel's poller: until its queue pair is disconnected, then frees both. */
static int nvme_bdev_closing_poll(void *ctx)
{
	struct nvme_bdev_channel *ch = ctx;
	int rc = usk_nvme_qpair_process_completions(ch->qpair, 0);

	if (rc != -ENOTCONN) {
		return rc > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
	}
	usk_nvme_ctrlr_free_io_qpair(ch->qpair);
	nvme_bdev_channel_free(ch);
	return USK_POLLER_BUSY;
}

/*
 * Every I/O completes once: those still waiting for room or a retry end
 * here. The queue pair is disconnected without waiting; the controller's
 * detach waits for it (its queue ID stays taken until then).
 */
static void nvme_bdev_channel_destroy(void *io_device, void *ctx)
{
	struct nvme_bdev_channel *ch = *(struct nvme_bdev_channel **)ctx;

	ch->closing = true;
	nvme_bdev_queue_retries(ch);
	while (ch->waiting_head != NULL) {
		struct usk_bdev_io *io = ch->waiting_head;

		ch->waiting_head = ((struct nvme_bdev_io *)usk_bdev_io_driver_ctx(io))->next;
		usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_FAILED);
	}
	ch->waiting_tail = NULL;
	usk_poller_unregister(&ch->poller);
	usk_poller_unregister(&ch->sleep_bound);
	if (ch->qpair == NULL) {
		nvme_bdev_channel_free(ch);
		return;
	}
	usk_nvme_qpair_disconnect(ch->qpair);
	ch->poller = usk_poller_register(nvme_bdev_closing_poll, ch, 0, "bdev_nvme_closing");
	if (ch->poller == NULL) {
		/* No memory for a poller: the blocking way, rather than leaking the queues. */
		usk_nvme_ctrlr_free_io_qpair(ch->qpair);
		nvme_bdev_channel_free(ch);
	}
}

/* I/O waiting for room or for a retry goes out by polls only: no sleep then. */
static int nvme_bdev_channel_arm(void *ctx)
{
	struct nvme_bdev_channel *ch = ctx;

	if (ch->waiting_head != NULL || ch->retry_head != NULL) {
		return 1;
	}
	return usk_nvme_qpair_arm_interrupt(ch->qpair);
}

static int nvme_bdev_channel_disarm(void *ctx)
{
	struct nvme_bdev_channel *ch = ctx;

	return usk_nvme_qpair_disarm_interrupt(ch->qpair);
}

int nvme_bdev_sleep_bound(void *ctx)
{
	return USK_POLLER_IDLE;
}

/*
 * Lets the channel's thread sleep on the queue pair's interrupt (the
 * vector stays masked, and costs nothing, until a sleep arms it), with
 * nvme_bdev_sleep_bound() to keep it short enough. A queue pair without an interrupt (no MSI-X)
 * leaves the poller without a source: its thread's sleeps are short.
 */
static void nvme_bdev_channel_sleep(struct nvme_bdev_channel *ch)
{
	int fd = usk_nvme_qpair_get_interrupt_fd(ch->qpair);

	if (fd < 0) {
		return;
	}
	ch->sleep_bound = usk_poller_register(nvme_bdev_sleep_bound, ch, NVME_BDEV_SLEEP_MAX_US,
					      "bdev_nvme_sleep_bound");
	if (ch->sleep_bound != NULL) {
		usk_poller_set_interrupt(ch->poller, fd, nvme_bdev_channel_arm,
					 nvme_bdev_channel_disarm, ch);
	}
}

/*
 * The queue pair is made without waiting for the controller (connect_async):
 * I/O submitted before its queues exist waits in it. The controller's
 * thread is woken to poll its admin side meanwhile.
 */
static int nvme_bdev_channel_create(void *io_device, void *ctx)
{
	struct nvme_bdev_ctrlr *nc = io_device;
	struct nvme_bdev_channel *ch = calloc(1, sizeof(*ch));
	struct usk_nvme_io_qpair_opts opts;
	int rc;

	if (ch == NULL) {
		return -ENOMEM;
	}
	*(struct nvme_bdev_channel **)ctx = ch;
	/*
	 * The channel's poller runs every turn of its thread, after the
	 * thread's messages: the I/O they submit leaves with one doorbell write.
	 */
	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.delay_doorbell = true;
	opts.connect_async = true;
	opts.interrupts = true;
	rc = usk_nvme_ctrlr_alloc_io_qpair(nc->ctrlr, &opts, &ch->qpair);
	if (rc != 0) {
		USK_ERRLOG("%s: no I/O queue pair for this thread: %s", nc->name, strerror(-rc));
		free(ch);
		return rc;
	}
	nvme_bdev_ctrlr_wake(nc);
	ch->ranges =
		usk_dma_zmalloc(NVME_BDEV_RANGES * sizeof(*ch->ranges), 4096, USK_ENV_NUMA_ANY);
	ch->poller = usk_poller_register(nvme_bdev_poll, ch, 0, "bdev_nvme");
	if (ch->ranges == NULL || ch->poller == NULL) {
		nvme_bdev_channel_destroy(io_device, ctx);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < NVME_BDEV_RANGES; i++) {
		ch->free_ranges[i] = (uint16_t)i;
	}
	ch->num_free_ranges = NVME_BDEV_RANGES;
	nvme_bdev_channel_sleep(ch);
	return 0;
}

int nvme_bdev_io_device_register(struct nvme_bdev_ctrlr *nc)
{
	return usk_io_device_register(nc, nvme_bdev_channel_create, nvme_bdev_channel_destroy,
				      sizeof(struct nvme_bdev_channel *), nc->name);
}
