/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcie transport (nvme_pcie_ctrlr.c, nvme_pcie_qpair.c): what the
 * generic queue pair code calls directly on its hot path.
 */
#ifndef USK_NVME_PCIE_H
#define USK_NVME_PCIE_H

#include <errno.h>

#include "nvme_internal.h"

/* Allocates the rings and PRP lists of a queue pair, points at its doorbells. */
int nvme_pcie_qpair_init(struct usk_nvme_qpair *qpair);
void nvme_pcie_qpair_fini(struct usk_nvme_qpair *qpair);
/* Whether the PRP or SGL builder will take @data: DMA-able, aligned, within one list page. */
bool nvme_pcie_qpair_payload_fits(const struct usk_nvme_qpair *qpair,
				  const struct nvme_payload *data);
/* usk_nvme_qpair_process_completions() of a pcie queue pair. */
int nvme_pcie_qpair_process_completions(struct usk_nvme_qpair *qpair, uint32_t max);

/*
 * Copies @cmd into the SQ's tail entry with CID @cid and the data pointer
 * for @data in it (tracker @tr's list page when it needs one). The tail
 * stays: the caller moves it once the tracker is taken. Returns 0, or
 * -EINVAL for data the builder cannot point at.
 */
static inline int nvme_pcie_qpair_place(struct usk_nvme_qpair *q, struct nvme_tracker *tr,
					uint16_t cid, const struct usk_nvme_sqe *cmd,
					const struct nvme_payload *data)
{
	struct usk_nvme_sqe *sqe;

	/* SGLS 10b takes SGLs for dword-aligned data only. */
	if (data->iovcnt == 0 && q->use_sgl && !q->ctrlr->sgl_byte_aligned &&
	    ((uintptr_t)data->buf & 3) != 0) {
		return -EINVAL;
	}
	sqe = &q->sq[q->sq_tail];
	*sqe = *cmd;
	sqe->cid = cid;
	if (data->iovcnt > 0) {
		return nvme_qpair_build_iov(q, sqe, data, tr->prp_list, tr->prp_list_iova);
	}
	uint32_t len = (uint32_t)data->len;

	return q->use_sgl ? nvme_build_sgl(sqe, data->buf, len, tr->prp_list, tr->prp_list_iova)
			  : nvme_build_prps(sqe, data->buf, len, tr->prp_list, tr->prp_list_iova);
}

/* The entry placed last goes to the controller: now, or at the end of the batch. */
static inline void nvme_pcie_qpair_advance_tail(struct usk_nvme_qpair *q)
{
	q->sq_tail = q->sq_tail + 1 == q->num_entries ? 0 : q->sq_tail + 1;
	if (!q->in_completions && !q->delay_doorbell) {
		nvme_pcie_qpair_ring_sq(q);
	}
}

#endif /* USK_NVME_PCIE_H */
