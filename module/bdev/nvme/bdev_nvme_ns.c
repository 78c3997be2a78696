/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a namespace's format makes of its bdev: block size, metadata and
 * protection information, or why the namespace gets no bdev; and whether a
 * bdev was made for the format the namespace has now.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "bdev_nvme.h"

int nvme_bdev_ns_geometry(struct usk_nvme_ns *ns, struct usk_bdev *bdev, char *err, size_t errlen)
{
	const char *why = usk_nvme_ns_get_unsupported_reason(ns);
	uint32_t md = usk_nvme_ns_get_md_size(ns);
	uint32_t nsid = usk_nvme_ns_get_id(ns);

	if (why != NULL) {
		snprintf(err, errlen, "namespace %u has %s; no bdev: format it with one USK serves",
			 nsid, why);
		return -ENOTSUP;
	}
	/* bdev_io carries no metadata buffer: only metadata inside the data buffer can go. */
	if (md != 0 && !usk_nvme_ns_supports_extended_lba(ns)) {
		snprintf(err, errlen,
			 "namespace %u has %u bytes of separate metadata a block, which bdevs "
			 "cannot carry; no bdev: format it with the metadata after each block's "
			 "data (usk_nvme format -n %u -l LBAF --ms 1) or without metadata",
			 nsid, md, nsid);
		return -ENOTSUP;
	}
	bdev->blocklen = usk_nvme_ns_get_extended_block_size(ns);
	bdev->blockcnt = usk_nvme_ns_get_num_blocks(ns);
	bdev->optimal_io_boundary = usk_nvme_ns_get_optimal_io_boundary(ns);
	/* Blocks of data + metadata are no power of two: one division, here. */
	bdev->max_transfer_blocks =
		usk_nvme_ctrlr_get_max_xfer_size(usk_nvme_ns_get_ctrlr(ns)) / bdev->blocklen;
	bdev->md_len = md;
	bdev->md_interleave = md != 0;
	bdev->dif_type = (uint8_t)usk_nvme_ns_get_pi_type(ns);
	bdev->dif_is_head_of_md = usk_nvme_ns_pi_is_first(ns);
	return 0;
}

bool nvme_bdev_ns_reformatted(struct usk_nvme_ns *ns, const struct usk_bdev *bdev)
{
	struct usk_bdev now = {0};
	char err[256];

	if (nvme_bdev_ns_geometry(ns, &now, err, sizeof(err)) != 0) {
		return true;
	}
	return now.blocklen != bdev->blocklen || now.md_len != bdev->md_len ||
	       now.md_interleave != bdev->md_interleave || now.dif_type != bdev->dif_type ||
	       now.dif_is_head_of_md != bdev->dif_is_head_of_md;
}
