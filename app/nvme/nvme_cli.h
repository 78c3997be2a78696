/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme: nvme-cli's everyday commands on controllers bound to vfio-pci. */
#ifndef USK_NVME_CLI_H
#define USK_NVME_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "usk/nvme.h"

struct nvme_cli {
	const char *device;   /* BDF or transport ID */
	uint32_t nsid;	      /* -n, default 1 */
	uint64_t start_block; /* -s, --start-block */
	uint32_t block_count; /* -c, --block-count: blocks, 0's based as in nvme-cli */
	const char *data;     /* -d, --data FILE */
	bool json;	      /* -o json, --output-format=json */
	bool has_nsid;	      /* -n was given */
	uint32_t log_entries; /* error-log -e, --log-entries; 0: ELPE + 1 */
	uint32_t feature_id;  /* get-feature -f, --feature-id */
	bool has_feature_id;
	uint32_t sel;	/* get-feature -s, --sel: current, default, saved, supported */
	uint32_t cdw11; /* get-feature --cdw11 */
	uint32_t lbaf;	/* format -l, --lbaf */
	bool has_lbaf;
	uint32_t ses; /* format -s, --ses: secure erase setting */
	bool force;   /* format -f, --force: do not ask */
	uint32_t ms;  /* format -m, --ms: 1 extended LBA (metadata after each block), 0 separate */
	uint32_t pi;  /* format -i, --pi: protection information type 0..3 */
	uint32_t pil; /* format -p, --pil: 1 PI in the first 8 bytes of the metadata */
	const char *metadata; /* read/write -M, --metadata FILE: the separate metadata */
	uint32_t prinfo;      /* read/write -p, --prinfo: PRACT (bit 3), PRCHK (bits 2:0) */
	struct usk_nvme_ctrlr *ctrlr;
};

/* Each command returns the process exit status: 0, 1 (it failed) or 2 (bad input). */
int nvme_cli_list(struct nvme_cli *cli);
int nvme_cli_id_ctrl(struct nvme_cli *cli);
int nvme_cli_id_ns(struct nvme_cli *cli);
int nvme_cli_smart_log(struct nvme_cli *cli);
int nvme_cli_read(struct nvme_cli *cli);
int nvme_cli_write(struct nvme_cli *cli);
int nvme_cli_write_zeroes(struct nvme_cli *cli);
int nvme_cli_dsm(struct nvme_cli *cli); /* deallocate -s .. -s+-c */
int nvme_cli_flush(struct nvme_cli *cli);
int nvme_cli_error_log(struct nvme_cli *cli);
int nvme_cli_fw_log(struct nvme_cli *cli);
int nvme_cli_get_feature(struct nvme_cli *cli);
int nvme_cli_format(struct nvme_cli *cli);

/* Identify Namespace @nsid into @nd (DMA-able); returns 0 or a negative errno. */
int nvme_cli_identify_ns(struct nvme_cli *cli, uint32_t nsid, struct usk_nvme_ns_data *nd);

/* Copies a fixed-width, space-padded identify string into a C string. */
void nvme_cli_trim(char *out, const char *field, size_t width);

#endif /* USK_NVME_CLI_H */
