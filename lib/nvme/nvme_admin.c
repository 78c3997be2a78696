/* SPDX-License-Identifier: BSD-3-Clause */
/* The everyday admin commands, on top of usk_nvme_ctrlr_admin_cmd_sync(). */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"

int usk_nvme_ctrlr_get_log_page(struct usk_nvme_ctrlr *c, uint8_t lid, uint32_t nsid, void *buf,
				uint32_t len)
{
	/* CDW10: LID, NUMDL (dwords - 1, low 16 bits); 4 pages fit our PRP list. */
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_GET_LOG_PAGE,
				   .nsid = nsid,
				   .cdw10 = lid | ((len / 4 - 1) & 0xffff) << 16};

	if (len == 0 || len % 4 != 0 || len > 4 * NVME_PAGE_SIZE) {
		return -EINVAL;
	}
	return usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, buf, len, NULL);
}

int usk_nvme_ctrlr_get_feature(struct usk_nvme_ctrlr *c, uint8_t fid, uint32_t cdw11,
			       uint32_t *value)
{
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_GET_FEATURES, .cdw10 = fid, .cdw11 = cdw11};
	struct usk_nvme_cqe cpl;
	int rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, NULL, 0, &cpl);

	if (rc == 0) {
		*value = cpl.dw0;
	}
	return rc;
}

int usk_nvme_ctrlr_set_feature(struct usk_nvme_ctrlr *c, uint8_t fid, uint32_t cdw11,
			       uint32_t *result)
{
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_SET_FEATURES, .cdw10 = fid, .cdw11 = cdw11};
	struct usk_nvme_cqe cpl;
	int rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, NULL, 0, &cpl);

	if (rc == 0 && result != NULL) {
		*result = cpl.dw0;
	}
	return rc;
}
