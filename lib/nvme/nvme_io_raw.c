/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw I/O commands: the caller's SQE as it is, except what only the driver
 * can fill: the CID, the data pointer and the metadata pointer.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/env.h"

static int nvme_io_raw(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q,
		       const struct usk_nvme_sqe *cmd, void *buf, uint32_t len, uint64_t mptr,
		       usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct usk_nvme_sqe sqe = *cmd;

	if (q->ctrlr != c || q->id == 0 || len > c->max_xfer_size) {
		return -EINVAL;
	}
	/* PSDT (bits 7:6) is the builder's to choose; FUSE (bits 1:0) stays the caller's. */
	sqe.flags = (uint8_t)(sqe.flags & ~0xc0u);
	sqe.prp1 = 0;
	sqe.prp2 = 0;
	sqe.mptr = mptr;
	return nvme_qpair_submit(q, &sqe, buf, len, cb, cb_arg);
}

int usk_nvme_ctrlr_cmd_io_raw(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q,
			      const struct usk_nvme_sqe *cmd, void *buf, uint32_t len,
			      usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_io_raw(c, q, cmd, buf, len, 0, cb, cb_arg);
}

int usk_nvme_ctrlr_cmd_io_raw_with_md(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q,
				      const struct usk_nvme_sqe *cmd, void *buf, uint32_t len,
				      void *md, uint32_t md_len, usk_nvme_cmd_cb cb, void *cb_arg)
{
	uint64_t contiguous = md_len;
	uint64_t mptr = md != NULL ? usk_vtoiova(md, &contiguous) : USK_IOVA_INVALID;

	/* MPTR names one contiguous buffer (base 4.2, MPTR without SGLs). */
	if (md_len == 0 || mptr == USK_IOVA_INVALID || contiguous < md_len) {
		return -EINVAL;
	}
	return nvme_io_raw(c, q, cmd, buf, len, mptr, cb, cb_arg);
}
