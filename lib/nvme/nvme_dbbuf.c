/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shadow doorbells (Doorbell Buffer Config, base 5.8): the host writes I/O
 * queue doorbells to a page of memory the controller reads, and writes the
 * MMIO register only when the controller's EventIdx says it is waiting.
 * Under emulation every MMIO write is a trap into the device model; this
 * saves most of them.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

int nvme_dbbuf_alloc(struct usk_nvme_ctrlr *c)
{
	if (!c->opts.shadow_doorbells || (c->cdata->oacs & USK_NVME_OACS_DBBUF) == 0) {
		return 0;
	}
	/*
	 * Entries sit at the MMIO doorbells' offsets, (2 * qid + cq) << (2 + DSTRD):
	 * with a large stride one page does not hold them all (Linux sizes the
	 * buffers the same way).
	 */
	c->dbbuf_size = usk_align_up((size_t)(c->max_io_queues + 1) * 2u
					     << (2 + USK_NVME_CAP_DSTRD(c->cap)),
				     NVME_PAGE_SIZE);
	c->dbbuf_shadow = usk_dma_zmalloc(c->dbbuf_size, NVME_PAGE_SIZE, c->numa_node);
	c->dbbuf_eventidx = usk_dma_zmalloc(c->dbbuf_size, NVME_PAGE_SIZE, c->numa_node);
	if (c->dbbuf_shadow == NULL || c->dbbuf_eventidx == NULL) {
		nvme_dbbuf_free(c);
		return -ENOMEM;
	}
	return 0;
}

void nvme_dbbuf_attach_qpair(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q)
{
	/* Entries are 4 << CAP.DSTRD bytes apart, like the MMIO doorbells. */
	uint32_t stride = (4u << USK_NVME_CAP_DSTRD(c->cap)) / sizeof(uint32_t);

	if (c->dbbuf_shadow == NULL || q->id == 0) {
		return;
	}
	q->sq_shadow = &c->dbbuf_shadow[2u * q->id * stride];
	q->cq_shadow = &c->dbbuf_shadow[(2u * q->id + 1) * stride];
	q->sq_eventidx = &c->dbbuf_eventidx[2u * q->id * stride];
	q->cq_eventidx = &c->dbbuf_eventidx[(2u * q->id + 1) * stride];
	/*
	 * A reused queue ID starts from 0, as the new queue does: shadows and
	 * EventIdx alike. An EventIdx left by the old queue would tell the first
	 * doorbell not to ring, and the controller, asleep, would never look.
	 * Nothing else touches them until the queue is created.
	 */
	*q->sq_shadow = 0;
	*q->cq_shadow = 0;
	*(uint32_t *)(uintptr_t)q->sq_eventidx = 0;
	*(uint32_t *)(uintptr_t)q->cq_eventidx = 0;
}

void nvme_dbbuf_free(struct usk_nvme_ctrlr *c)
{
	usk_dma_free(c->dbbuf_shadow);
	usk_dma_free(c->dbbuf_eventidx);
	c->dbbuf_shadow = NULL;
	c->dbbuf_eventidx = NULL;
}
