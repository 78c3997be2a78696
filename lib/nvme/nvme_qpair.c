/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue pairs: the submission and completion rings in DMA memory, one
 * tracker per entry (CID = tracker index), PRPs from the IOVA map, and
 * completion by phase bit with one head doorbell per reap loop.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

int nvme_build_prps(struct usk_nvme_sqe *sqe, const void *buf, uint32_t len, uint64_t *prp_list,
		    uint64_t prp_list_iova)
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
	uint32_t rest = len - first;
	uint32_t pages = (rest + NVME_PAGE_SIZE - 1) >> NVME_PAGE_SHIFT;

	if (pages > NVME_PRP_LIST_ENTRIES) {
		return -EINVAL;
	}
	/* Every page after the first starts on a page boundary, virtual and IOVA alike. */
	for (uint32_t i = 0; i < pages; i++) {
		uint64_t page_iova = usk_vtoiova(
			(const void *)(va + first + ((uintptr_t)i << NVME_PAGE_SHIFT)), NULL);

		if (page_iova == USK_IOVA_INVALID) {
			return -EINVAL;
		}
		prp_list[i] = page_iova;
	}
	sqe->prp2 = pages == 1 ? prp_list[0] : prp_list_iova;
	return 0;
}

void nvme_qpair_ring_sq(struct usk_nvme_qpair *q)
{
	/*
	 * Being disconnected: its SQ is deleted, or about to be, and a write to
	 * the doorbell of a queue the controller does not have is an error.
	 * What is left in the ring then ends when the disconnection does.
	 */
	if (q->sq_tail != q->sq_tail_rung && !q->closing) {
		/* The SQEs must be in memory before the controller reads the new tail. */
		usk_wmb();
		nvme_doorbell_write(q->sq_doorbell, q->sq_shadow, q->sq_eventidx, q->sq_tail_rung,
				    q->sq_tail, &q->stats.sq_mmio_doorbells,
				    &q->stats.sq_shadow_updates);
		q->sq_tail_rung = q->sq_tail;
	}
}

/* Puts a command in the ring; the caller has checked that a tracker is free. */
static int nvme_qpair_submit_now(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
				 const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	uint16_t cid = q->free_head;
	struct nvme_tracker *tr;
	struct usk_nvme_sqe *sqe;
	int rc;

	/* SGLS 10b takes SGLs for dword-aligned data only. */
	if (data->iovcnt == 0 && q->use_sgl && !q->ctrlr->sgl_byte_aligned &&
	    ((uintptr_t)data->buf & 3) != 0) {
		return -EINVAL;
	}
	tr = &q->trackers[cid];
	sqe = &q->sq[q->sq_tail];
	*sqe = *cmd;
	sqe->cid = cid;
	if (data->iovcnt > 0) {
		rc = nvme_qpair_build_iov(q, sqe, data, tr->prp_list, tr->prp_list_iova);
	} else {
		uint32_t len = (uint32_t)data->len;

		rc = q->use_sgl
			     ? nvme_build_sgl(sqe, data->buf, len, tr->prp_list, tr->prp_list_iova)
			     : nvme_build_prps(sqe, data->buf, len, tr->prp_list,
					       tr->prp_list_iova);
	}
	if (rc != 0) {
		return rc;
	}
	q->free_head = tr->next_free;
	tr->cb = cb;
	tr->cb_arg = cb_arg;
	/* The clock of the last poll is stale after an idle spell: read it when the ring was empty.
	 */
	if (q->timeout_ticks != 0 && q->outstanding == 0) {
		q->now_tick = nvme_ticks();
	}
	tr->submit_tick = q->now_tick;
	tr->abort_requested = false;
	tr->active = true;
	q->outstanding++;
	q->sq_tail = q->sq_tail + 1 == q->num_entries ? 0 : q->sq_tail + 1;
	if (!q->in_completions && !q->delay_doorbell) {
		nvme_qpair_ring_sq(q);
	}
	return 0;
}

/*
 * Whether the data pointer builder will take @buf: aligned as it needs,
 * translated, within one list page. Checked before a command waits, so it
 * can still be refused at once.
 */
bool nvme_qpair_buffer_fits(const struct usk_nvme_qpair *q, const void *buf, uint32_t len)
{
	uintptr_t va = (uintptr_t)buf;
	uint32_t first = NVME_PAGE_SIZE - (uint32_t)(va & (NVME_PAGE_SIZE - 1));
	bool byte_ok = q->use_sgl && q->ctrlr->sgl_byte_aligned;

	if (len == 0) {
		return true;
	}
	if (((va & 3) != 0 && !byte_ok) ||
	    (len > first &&
	     (len - first + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE > NVME_PRP_LIST_ENTRIES)) {
		return false;
	}
	for (uintptr_t page = va & ~(uintptr_t)(NVME_PAGE_SIZE - 1); page < va + len;
	     page += NVME_PAGE_SIZE) {
		if (usk_vtoiova((const void *)USK_MAX(page, va), NULL) == USK_IOVA_INVALID) {
			return false;
		}
	}
	return true;
}

bool nvme_qpair_payload_fits(const struct usk_nvme_qpair *q, const struct nvme_payload *data)
{
	struct usk_nvme_sqe scratch;

	return data->iovcnt > 0 ? nvme_qpair_build_iov(q, &scratch, data, NULL, 0) == 0
				: nvme_qpair_buffer_fits(q, data->buf, (uint32_t)data->len);
}

/* Queues a command behind the others waiting for the ring (slow path). */
static int nvme_qpair_wait(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			   const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_request *req = q->free_requests;

	/* A bad buffer is bad input whether or not there is room to wait. */
	if (!nvme_qpair_payload_fits(q, data)) {
		return -EINVAL;
	}
	if (req == NULL) {
		return -EAGAIN;
	}
	q->free_requests = req->next;
	*req = (struct nvme_request){.cmd = *cmd, .data = *data, .cb = cb, .cb_arg = cb_arg};
	if (q->waiting_tail != NULL) {
		q->waiting_tail->next = req;
	} else {
		q->waiting_head = req;
	}
	q->waiting_tail = req;
	q->waiting++;
	return 0;
}

/* Submits flat or vectored data. */
static int nvme_qpair_submit_data(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
				  const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	/* Being disconnected: its SQ may be deleted already, while the last completions are reaped. */
	if (q->closing) {
		return -ENXIO;
	}
	if (!nvme_qpair_in_sync(q)) {
		/* Inside the reap loop the ring is not rebuilt: the command waits for the next
		 * poll. */
		int rc = !q->in_completions		      ? nvme_qpair_resync(q)
			 : usk_nvme_ctrlr_is_failed(q->ctrlr) ? -ENXIO
							      : -EAGAIN;

		if (rc == -EAGAIN) {
			return nvme_qpair_wait(q, cmd, data, cb, cb_arg);
		}
		if (rc != 0) {
			return rc;
		}
	}
	/* Behind waiting commands, or into a full ring: wait, to keep the order. */
	if (q->waiting_head != NULL || q->free_head == q->num_entries) {
		return nvme_qpair_wait(q, cmd, data, cb, cb_arg);
	}
	return nvme_qpair_submit_now(q, cmd, data, cb, cb_arg);
}

int nvme_qpair_submit(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd, const void *buf,
		      uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg)
{
	const struct nvme_payload data = {.buf = buf, .len = len};

	return nvme_qpair_submit_data(q, cmd, &data, cb, cb_arg);
}

int nvme_qpair_submit_payload(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			      const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_qpair_submit_data(q, cmd, data, cb, cb_arg);
}

void nvme_qpair_submit_waiting(struct usk_nvme_qpair *q)
{
	/* Not into a ring the controller no longer has (a reset came): they wait for the rebuild.
	 */
	while (q->waiting_head != NULL && q->free_head != q->num_entries && !q->resyncing &&
	       nvme_qpair_in_sync(q)) {
		struct nvme_request *req = q->waiting_head;

		q->waiting_head = req->next;
		if (q->waiting_head == NULL) {
			q->waiting_tail = NULL;
		}
		q->waiting--;
		/* Checked when it was queued; the memory must stay registered meanwhile. */
		int rc = nvme_qpair_submit_now(q, &req->cmd, &req->data, req->cb, req->cb_arg);

		req->next = q->free_requests;
		q->free_requests = req;
		if (rc != 0) {
			struct usk_nvme_cqe cpl = {.sqid = q->id,
						   .status = USK_NVME_SC_DATA_TRANSFER_ERROR << 1};

			req->cb(req->cb_arg, &cpl);
		}
	}
}

static void nvme_tracker_release(struct usk_nvme_qpair *q, uint16_t cid)
{
	struct nvme_tracker *tr = &q->trackers[cid];

	tr->active = false;
	tr->next_free = q->free_head;
	q->free_head = cid;
	q->outstanding--;
}

int usk_nvme_qpair_process_completions(struct usk_nvme_qpair *q, uint32_t max)
{
	q->stats.polls++;
	if (q->closing) {
		return nvme_qpair_disconnect_poll(q, max);
	}
	/* After a reset or a failure: end what is left, once, and rebuild. */
	if (!nvme_qpair_in_sync(q)) {
		int rc = nvme_qpair_resync(q);

		if (rc != 0) {
			q->stats.idle_polls++;
			return rc == -EAGAIN ? 0 : rc;
		}
	}
	return nvme_qpair_reap(q, max);
}

int nvme_qpair_reap(struct usk_nvme_qpair *q, uint32_t max)
{
	uint32_t reaped = 0, consumed = 0; /* consumed: bogus entries too */
	uint16_t old_head = q->cq_head;

	q->in_completions = true;
	while (max == 0 || reaped < max) {
		struct usk_nvme_cqe *cqe = &q->cq[q->cq_head];
		uint16_t status = *(volatile uint16_t *)&cqe->status;

		if ((status & 1) != q->phase) {
			break;
		}
		/* The rest of the entry is read after the phase bit that says it is new. */
		usk_rmb();
		if (++q->cq_head == q->num_entries) {
			q->cq_head = 0;
			q->phase ^= 1;
		}
		consumed++;
		uint16_t cid = cqe->cid;

		if (cid >= q->num_entries || !q->trackers[cid].active) {
			q->stats.bogus_completions++;
			USK_ERRLOG("%s: qpair %u: completion for unknown CID %u ignored",
				   q->ctrlr->name, q->id, cid);
			continue;
		}
		struct nvme_tracker *tr = &q->trackers[cid];
		usk_nvme_cmd_cb cb = tr->cb;
		void *cb_arg = tr->cb_arg;

		/* Free first, so the callback can resubmit into this slot. */
		nvme_tracker_release(q, cid);
		reaped++;
		if (cb != NULL) {
			cb(cb_arg, cqe);
		}
		/* A reset from the callback (or another thread): the next poll rebuilds. */
		if (!nvme_qpair_in_sync(q)) {
			break;
		}
		/* Tested here, not by a call per completion: commands rarely wait. */
		if (q->waiting_head != NULL) {
			nvme_qpair_submit_waiting(q);
		}
	}
	q->in_completions = false;
	q->stats.completions += reaped;
	q->stats.idle_polls += consumed == 0;
	/* No doorbell for a queue the controller no longer has. */
	if (!nvme_qpair_in_sync(q)) {
		return (int)reaped;
	}
	/* Every entry read goes back to the controller, a bogus one too. */
	if (consumed > 0) {
		nvme_doorbell_write(q->cq_doorbell, q->cq_shadow, q->cq_eventidx, old_head,
				    q->cq_head, &q->stats.cq_mmio_doorbells,
				    &q->stats.cq_shadow_updates);
	}
	nvme_qpair_ring_sq(q);
	if (q->timeout_ticks != 0) {
		nvme_qpair_check_timeouts(q);
	}
	return (int)reaped;
}

uint32_t nvme_qpair_room(const struct usk_nvme_qpair *q)
{
	/* One entry stays empty. */
	return (uint32_t)(q->num_entries - 1) - q->outstanding + q->max_waiting - q->waiting;
}

void usk_nvme_qpair_flush(struct usk_nvme_qpair *q)
{
	/* No doorbell for a queue the controller no longer has: the rebuild rings it. */
	if (nvme_qpair_in_sync(q)) {
		nvme_qpair_ring_sq(q);
	}
}

uint32_t usk_nvme_qpair_get_outstanding(const struct usk_nvme_qpair *q)
{
	return q->outstanding + q->waiting;
}

struct usk_nvme_ctrlr *usk_nvme_qpair_get_ctrlr(const struct usk_nvme_qpair *q)
{
	return q->ctrlr;
}

void usk_nvme_qpair_get_stats(const struct usk_nvme_qpair *q, struct usk_nvme_qpair_stats *stats)
{
	size_t size = stats->stats_size;

	/* A caller built against an older, shorter struct gets the fields it knows. */
	memcpy(stats, &q->stats, USK_MIN(size, sizeof(q->stats)));
	stats->stats_size = size;
}

static struct usk_nvme_cqe *nvme_abort_cpl(struct usk_nvme_qpair *q, struct usk_nvme_cqe *cpl,
					   uint8_t sc)
{
	*cpl = (struct usk_nvme_cqe){.sqid = q->id, .status = (uint16_t)(sc << 1)};
	return cpl;
}

void nvme_qpair_abort_trackers(struct usk_nvme_qpair *q, uint8_t sc)
{
	struct usk_nvme_cqe cpl;

	for (uint16_t cid = 0; cid < q->num_entries; cid++) {
		struct nvme_tracker *tr = &q->trackers[cid];

		if (tr->active) {
			usk_nvme_cmd_cb cb = tr->cb;

			nvme_abort_cpl(q, &cpl, tr->abort_requested ? USK_NVME_SC_ABORTED_BY_REQUEST : sc)
				->cid = cid;
			nvme_tracker_release(q, cid);
			if (cb != NULL) {
				cb(tr->cb_arg, &cpl);
			}
		}
	}
}

void nvme_qpair_abort_all(struct usk_nvme_qpair *q)
{
	struct usk_nvme_cqe cpl;

	/* The waiting ones first: completions of the others could start them. */
	while (q->waiting_head != NULL) {
		struct nvme_request *req = q->waiting_head;

		q->waiting_head = req->next;
		q->waiting--;
		req->next = q->free_requests;
		q->free_requests = req;
		req->cb(req->cb_arg, nvme_abort_cpl(q, &cpl, USK_NVME_SC_ABORTED_BY_REQUEST));
	}
	q->waiting_tail = NULL;
	nvme_qpair_abort_trackers(q, USK_NVME_SC_ABORTED_BY_REQUEST);
}

void nvme_qpair_forget(struct usk_nvme_qpair *q, const void *cb_arg)
{
	for (uint16_t cid = 0; cid < q->num_entries; cid++) {
		if (q->trackers[cid].active && q->trackers[cid].cb_arg == cb_arg) {
			q->trackers[cid].cb = NULL;
		}
	}
}

void nvme_qpair_reset_ring(struct usk_nvme_qpair *q)
{
	memset(q->cq, 0, q->num_entries * sizeof(*q->cq));
	q->sq_tail = 0;
	q->sq_tail_rung = 0;
	q->cq_head = 0;
	q->phase = 1;
}

int nvme_qpair_create(struct usk_nvme_ctrlr *ctrlr, uint16_t id, uint16_t entries,
		      uint32_t max_waiting, struct usk_nvme_qpair **qpair)
{
	struct usk_nvme_qpair *q = calloc(1, sizeof(*q));
	uint32_t stride = 4u << USK_NVME_CAP_DSTRD(ctrlr->cap);

	if (q == NULL) {
		return -ENOMEM;
	}
	q->ctrlr = ctrlr;
	q->synced_state = __atomic_load_n(&ctrlr->state, __ATOMIC_ACQUIRE);
	q->ring_gen = q->synced_state >> NVME_CTRLR_GEN_SHIFT;
	q->connecting_for = NVME_QPAIR_NO_QUEUES;
	q->id = id;
	q->num_entries = entries;
	q->phase = 1;
	q->stats.stats_size = sizeof(q->stats);
	q->sq = usk_dma_zmalloc(entries * sizeof(*q->sq), NVME_PAGE_SIZE,
				ctrlr->dev->info.numa_node);
	q->cq = usk_dma_zmalloc(entries * sizeof(*q->cq), NVME_PAGE_SIZE,
				ctrlr->dev->info.numa_node);
	q->trackers = calloc(entries, sizeof(*q->trackers));
	q->prp_lists = usk_dma_malloc((size_t)entries * NVME_PAGE_SIZE, NVME_PAGE_SIZE,
				      ctrlr->dev->info.numa_node);
	q->max_waiting = max_waiting;
	q->requests = calloc(max_waiting, sizeof(*q->requests));
	q->splits = calloc(entries, sizeof(*q->splits));
	if (q->sq == NULL || q->cq == NULL || q->trackers == NULL || q->prp_lists == NULL ||
	    q->requests == NULL || q->splits == NULL) {
		nvme_qpair_destroy(q);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < max_waiting; i++) {
		q->requests[i].next = q->free_requests;
		q->free_requests = &q->requests[i];
	}
	for (uint32_t i = 0; i < entries; i++) {
		q->splits[i].qpair = q;
		q->splits[i].next = q->free_splits;
		q->free_splits = &q->splits[i];
	}

	/* One tracker per entry but one: a full ring would look empty (base 3.3.1.5). */
	q->free_head = 0;
	for (uint16_t i = 0; i < entries; i++) {
		q->trackers[i].next_free = i + 1 < entries - 1 ? i + 1 : entries;
		q->trackers[i].prp_list = q->prp_lists + (size_t)i * NVME_PRP_LIST_ENTRIES;
		/* Each page on its own: without an IOMMU the pages' addresses need not follow on.
		 */
		q->trackers[i].prp_list_iova = usk_vtoiova(q->trackers[i].prp_list, NULL);
	}
	q->sq_doorbell = (volatile uint32_t *)(ctrlr->regs + USK_NVME_REG_DOORBELL_BASE +
					       (2u * id) * stride);
	q->cq_doorbell = (volatile uint32_t *)(ctrlr->regs + USK_NVME_REG_DOORBELL_BASE +
					       (2u * id + 1) * stride);
	*qpair = q;
	return 0;
}

void nvme_qpair_destroy(struct usk_nvme_qpair *q)
{
	if (q == NULL) {
		return;
	}
	usk_dma_free(q->prp_lists);
	free(q->splits);
	free(q->requests);
	free(q->trackers);
	usk_dma_free(q->cq);
	usk_dma_free(q->sq);
	free(q);
}
