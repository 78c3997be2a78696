/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's NVM command set: read, write, compare, write zeroes, DSM, flush. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nvme_model_internal.h"

/* Dataset Management: zeroes what the ranges deallocate (reads then return 0). */
static uint16_t model_dsm(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t nsid)
{
	struct {
		uint32_t attributes;
		uint32_t nlb;
		uint64_t slba;
	} ranges[256];
	uint32_t count = (cmd->cdw10 & 0xff) + 1;
	uint32_t shift = m->opts.ns_block_shift[nsid - 1];
	uint16_t status =
		model_data_copy(m, cmd, (uint8_t *)ranges, count * sizeof(ranges[0]), false);

	for (uint32_t i = 0; status == 0 && i < count; i++) {
		if (ranges[i].slba + ranges[i].nlb > m->opts.ns_blocks[nsid - 1]) {
			return 0x080;
		}
		if (cmd->cdw11 & (1u << 2)) {
			memset(m->ns_data[nsid - 1] + (ranges[i].slba << shift), 0,
			       (uint64_t)ranges[i].nlb << shift);
		}
	}
	return status;
}

static uint16_t model_compare(struct nvme_model *m, const struct usk_nvme_sqe *cmd,
			      const uint8_t *data, uint64_t len)
{
	uint8_t *host_data = malloc(len);
	uint16_t status =
		host_data == NULL ? 0x006 : model_data_copy(m, cmd, host_data, len, false);

	if (status == 0 && memcmp(host_data, data, len) != 0) {
		status = 0x285; /* Compare Failure */
	}
	free(host_data);
	return status;
}

uint16_t model_io(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	uint32_t nsid = cmd->nsid;

	if (nsid == 0 || nsid > m->opts.ns_count) {
		return 0x00b;
	}
	switch (cmd->opcode) {
	case USK_NVME_OPC_FLUSH:
		return 0;
	case USK_NVME_OPC_DATASET_MANAGEMENT:
		return model_dsm(m, cmd, nsid);
	case USK_NVME_OPC_READ:
	case USK_NVME_OPC_WRITE:
	case USK_NVME_OPC_COMPARE:
	case USK_NVME_OPC_WRITE_ZEROES:
		break;
	default:
		return 0x001;
	}
	uint32_t shift = m->opts.ns_block_shift[nsid - 1];
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1ull;

	if (slba + nlb > m->opts.ns_blocks[nsid - 1]) {
		return 0x080; /* LBA Out of Range */
	}
	uint8_t *data = m->ns_data[nsid - 1] + (slba << shift);

	switch (cmd->opcode) {
	case USK_NVME_OPC_WRITE_ZEROES:
		memset(data, 0, nlb << shift);
		return 0;
	case USK_NVME_OPC_COMPARE:
		return model_compare(m, cmd, data, nlb << shift);
	default:
		return model_data_copy(m, cmd, data, nlb << shift,
				       cmd->opcode == USK_NVME_OPC_READ);
	}
}
