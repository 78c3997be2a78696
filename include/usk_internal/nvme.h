/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/nvme for the nvme bdev (module/bdev/nvme), inside libusk: entry points
 * that skip checks the bdev layer has already made, so each check is made
 * once per I/O, in one layer.
 */
#ifndef USK_INTERNAL_NVME_H
#define USK_INTERNAL_NVME_H

#include <stdint.h>
#include <sys/uio.h>

#include "usk/nvme.h"

/*
 * Read, write or compare (@opcode) of @lba_count blocks at @lba, from or
 * into @iov, as usk_nvme_ns_readv() does, without checking again what the
 * bdev layer checked: the range lies within the namespace, and the
 * @iovcnt (> 0) elements add up to @lba_count blocks. The namespace's
 * format, the transfer size, the optimal boundary and the buffers'
 * DMA-ability are still checked here. Returns as usk_nvme_ns_readv().
 */
int nvme_ns_rwv_prechecked(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
			   const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			   usk_nvme_cmd_cb cb, void *cb_arg);

#endif /* USK_INTERNAL_NVME_H */
