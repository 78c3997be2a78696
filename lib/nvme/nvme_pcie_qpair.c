/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcie transport's queue pairs: submission and completion rings in DMA
 * memory, PRPs from the IOVA map, completion by phase bit with one head
 * doorbell per reap loop, and the tail doorbell once per batch.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "nvme_pcie.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

int nvme_build_prp_list(struct usk_nvme_sqe *sqe, uintptr_t va, uint32_t len, uint64_t *prp_list,
			uint64_t prp_list_iova)
{
	uint64_t pages = usk_div_round_up_pow2(len, NVME_PAGE_SHIFT);

	if (pages > NVME_PRP_LIST_ENTRIES) {
		return -EINVAL;
	}
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t page_iova =
			usk_vtoiova((const void *)(va + ((uintptr_t)i << NVME_PAGE_SHIFT)), NULL);

		if (page_iova == USK_IOVA_INVALID) {
			return -EINVAL;
		}
		prp_list[i] = page_iova;
	}
	sqe->prp2 = pages == 1 ? prp_list[0] : prp_list_iova;
	return 0;
}

void nvme_pcie_qpair_ring_sq(struct usk_nvme_qpair *q)
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

/*
 * Whether the data pointer builder will take @buf: aligned as it needs,
 * translated, within one list page. Checked before a command waits, so it
 * can still be refused at once.
 */
static bool nvme_pcie_buffer_fits(const struct usk_nvme_qpair *q, const void *buf, uint32_t len)
{
	uintptr_t va = (uintptr_t)buf;
	uint32_t first = NVME_PAGE_SIZE - (uint32_t)(va & (NVME_PAGE_SIZE - 1));
	bool byte_ok = q->use_sgl && q->ctrlr->sgl_byte_aligned;

	if (len == 0) {
		return true;
	}
	if (((va & 3) != 0 && !byte_ok) ||
	    (len > first &&
	     usk_div_round_up_pow2(len - first, NVME_PAGE_SHIFT) > NVME_PRP_LIST_ENTRIES)) {
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

bool nvme_pcie_qpair_payload_fits(const struct usk_nvme_qpair *q, const struct nvme_payload *data)
{
	struct usk_nvme_sqe scratch;

	return data->iovcnt > 0 ? nvme_qpair_build_iov(q, &scratch, data, NULL, 0) == 0
				: nvme_pcie_buffer_fits(q, data->buf, (uint32_t)data->len);
}

int nvme_pcie_qpair_process_completions(struct usk_nvme_qpair *q, uint32_t max)
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
	return nvme_pcie_qpair_reap(q, max);
}

int nvme_pcie_qpair_reap(struct usk_nvme_qpair *q, uint32_t max)
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
	/*
	 * The commands the callbacks queued go out before the entries are
	 * handed back: the controller starts on them one doorbell write
	 * sooner. A controller that finds the CQ still full waits for the head
	 * doorbell below before it posts, as the specification has it.
	 */
	nvme_pcie_qpair_ring_sq(q);
	/* Every entry read goes back to the controller, a bogus one too. */
	if (consumed > 0) {
		nvme_doorbell_write(q->cq_doorbell, q->cq_shadow, q->cq_eventidx, old_head,
				    q->cq_head, &q->stats.cq_mmio_doorbells,
				    &q->stats.cq_shadow_updates);
	}
	if (q->timeout_ticks != 0) {
		nvme_qpair_check_timeouts(q);
	}
	/* After a disarm that left the vector unmasked: until the next arm, or the mask. */
	if (q->irq_keep_reaps != 0 && reaped > 0) {
		nvme_qpair_irq_count_kept(q, reaped);
	}
	return (int)reaped;
}

void nvme_pcie_qpair_reset_ring(struct usk_nvme_qpair *q)
{
	memset(q->cq, 0, q->num_entries * sizeof(*q->cq));
	q->sq_tail = 0;
	q->sq_tail_rung = 0;
	q->cq_head = 0;
	q->phase = 1;
}

int nvme_pcie_qpair_init(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint32_t stride = 4u << USK_NVME_CAP_DSTRD(c->cap);
	uint16_t entries = q->num_entries;

	q->sq = usk_dma_zmalloc(entries * sizeof(*q->sq), NVME_PAGE_SIZE, c->numa_node);
	q->cq = usk_dma_zmalloc(entries * sizeof(*q->cq), NVME_PAGE_SIZE, c->numa_node);
	q->prp_lists = usk_dma_malloc((size_t)entries * NVME_PAGE_SIZE, NVME_PAGE_SIZE,
				      c->numa_node);
	if (q->sq == NULL || q->cq == NULL || q->prp_lists == NULL) {
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < entries; i++) {
		q->trackers[i].prp_list = q->prp_lists + (size_t)i * NVME_PRP_LIST_ENTRIES;
		/* Each page on its own: without an IOMMU the pages' addresses need not follow on. */
		q->trackers[i].prp_list_iova = usk_vtoiova(q->trackers[i].prp_list, NULL);
	}
	q->sq_doorbell = (volatile uint32_t *)(c->regs + USK_NVME_REG_DOORBELL_BASE +
					       (2u * q->id) * stride);
	q->cq_doorbell = (volatile uint32_t *)(c->regs + USK_NVME_REG_DOORBELL_BASE +
					       (2u * q->id + 1) * stride);
	return 0;
}

void nvme_pcie_qpair_fini(struct usk_nvme_qpair *q)
{
	usk_dma_free(q->prp_lists);
	usk_dma_free(q->cq);
	usk_dma_free(q->sq);
}
