/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme list, id-ctrl, id-ns and smart-log. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvme_cli.h"
#include "usk/env.h"

void nvme_cli_trim(char *out, const char *field, size_t width)
{
	size_t len = width;

	while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\0')) {
		len--;
	}
	memcpy(out, field, len);
	out[len] = '\0';
}

static void print_ctrlr(const struct nvme_cli *cli, const char *bdf,
			const struct usk_nvme_ctrlr_data *cd)
{
	char mn[41], sn[21], fr[9];

	nvme_cli_trim(mn, cd->mn, sizeof(cd->mn));
	nvme_cli_trim(sn, cd->sn, sizeof(cd->sn));
	nvme_cli_trim(fr, cd->fr, sizeof(cd->fr));
	if (cli->json) {
		printf("{\"device\": \"%s\", \"vid\": %u, \"ssvid\": %u, \"sn\": \"%s\", \"mn\": "
		       "\"%s\", "
		       "\"fr\": \"%s\", \"mdts\": %u, \"cntlid\": %u, \"ver\": %u, \"oacs\": %u, "
		       "\"oncs\": %u, \"sgls\": %u, \"nn\": %u}\n",
		       bdf, cd->vid, cd->ssvid, sn, mn, fr, cd->mdts, cd->cntlid, cd->ver, cd->oacs,
		       cd->oncs, cd->sgls, cd->nn);
		return;
	}
	printf("NVME Identify Controller %s:\nvid     : %#x\nssvid   : %#x\nsn      : %s\n"
	       "mn      : %s\nfr      : %s\nmdts    : %u\ncntlid  : %#x\nver     : %#x\n"
	       "oacs    : %#x\noncs    : %#x\nsgls    : %#x\nnn      : %u\n",
	       bdf, cd->vid, cd->ssvid, sn, mn, fr, cd->mdts, cd->cntlid, cd->ver, cd->oacs,
	       cd->oncs, cd->sgls, cd->nn);
}

int nvme_cli_id_ctrl(struct nvme_cli *cli)
{
	print_ctrlr(cli, usk_nvme_ctrlr_get_name(cli->ctrlr), usk_nvme_ctrlr_get_data(cli->ctrlr));
	return 0;
}

int nvme_cli_identify_ns(struct nvme_cli *cli, uint32_t nsid, struct usk_nvme_ns_data *nd)
{
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_IDENTIFY, .nsid = nsid, .cdw10 = USK_NVME_CNS_NAMESPACE};

	return usk_nvme_ctrlr_admin_cmd_sync(cli->ctrlr, &cmd, nd, sizeof(*nd), NULL);
}

int nvme_cli_id_ns(struct nvme_cli *cli)
{
	struct usk_nvme_ns_data *nd = usk_dma_zmalloc(sizeof(*nd), 4096, USK_ENV_NUMA_ANY);
	int rc = 1;

	if (nd != NULL && nvme_cli_identify_ns(cli, cli->nsid, nd) == 0) {
		uint32_t format = USK_NVME_NS_FLBAS_FORMAT(nd->flbas);
		uint32_t lbads = nd->lbaf[format].lbads;
		uint32_t ms = nd->lbaf[format].ms;

		if (cli->json) {
			printf("{\"nsid\": %u, \"nsze\": %" PRIu64 ", \"ncap\": %" PRIu64
			       ", \"nuse\": %" PRIu64 ", \"nlbaf\": %u, \"flbas\": %u, "
			       "\"lbaf\": %u, \"lbads\": %u, \"block_size\": %u, \"ms\": %u, "
			       "\"mc\": %u, \"dpc\": %u, \"dps\": %u, \"noiob\": %u}\n",
			       cli->nsid, nd->nsze, nd->ncap, nd->nuse, nd->nlbaf, nd->flbas,
			       format, lbads, 1u << lbads, ms, nd->mc, nd->dpc, nd->dps, nd->noiob);
		} else {
			printf("NVME Identify Namespace %u:\nnsze    : %#" PRIx64
			       "\nncap    : %#" PRIx64 "\nnuse    : %#" PRIx64
			       "\nnlbaf   : %u\nflbas   : %#x (LBA format %u, metadata %s)\n"
			       "lbads   : %u (%u bytes)\nms      : %u\nmc      : %#x\n"
			       "dpc     : %#x\ndps     : %#x\nnoiob   : %u\n",
			       cli->nsid, nd->nsze, nd->ncap, nd->nuse, nd->nlbaf, nd->flbas,
			       format,
			       (nd->flbas & USK_NVME_NS_FLBAS_EXTENDED) != 0 ? "extended"
									     : "separate",
			       lbads, 1u << lbads, ms, nd->mc, nd->dpc, nd->dps, nd->noiob);
		}
		rc = 0;
	}
	usk_dma_free(nd);
	return rc;
}

/* SMART / Health Information log, base 5.16.1.3 (the fields nvme-cli prints first). */
struct smart_log {
	uint8_t critical_warning;
	uint16_t temperature; /* kelvin */
	uint8_t avail_spare;
	uint8_t spare_thresh;
	uint8_t percent_used;
	uint8_t rsvd6[26];
	uint64_t data_units_read[2];
	uint64_t data_units_written[2];
	uint64_t host_reads[2];
	uint64_t host_writes[2];
	uint64_t ctrl_busy_time[2];
	uint64_t power_cycles[2];
	uint64_t power_on_hours[2];
	uint64_t unsafe_shutdowns[2];
	uint64_t media_errors[2];
	uint64_t num_err_log_entries[2];
	uint8_t rsvd192[320];
} __attribute__((packed));
USK_STATIC_ASSERT(sizeof(struct smart_log) == 512, "the SMART log is 512 bytes");

int nvme_cli_smart_log(struct nvme_cli *cli)
{
	struct smart_log *log = usk_dma_zmalloc(sizeof(*log), 4096, USK_ENV_NUMA_ANY);
	int rc = 1;

	/* Log page 02h for the controller as a whole. */
	if (log != NULL &&
	    usk_nvme_ctrlr_get_log_page(cli->ctrlr, 0x02, 0xffffffff, log, sizeof(*log)) == 0) {
		const struct {
			const char *name;
			uint64_t value;
		} fields[] = {
			{"critical_warning", log->critical_warning},
			{"temperature_kelvin", log->temperature},
			{"available_spare", log->avail_spare},
			{"available_spare_threshold", log->spare_thresh},
			{"percentage_used", log->percent_used},
			{"data_units_read", log->data_units_read[0]},
			{"data_units_written", log->data_units_written[0]},
			{"host_read_commands", log->host_reads[0]},
			{"host_write_commands", log->host_writes[0]},
			{"power_cycles", log->power_cycles[0]},
			{"power_on_hours", log->power_on_hours[0]},
			{"unsafe_shutdowns", log->unsafe_shutdowns[0]},
			{"media_errors", log->media_errors[0]},
		};

		for (size_t i = 0; i < USK_COUNTOF(fields); i++) {
			if (cli->json) {
				printf("%s\"%s\": %" PRIu64, i == 0 ? "{" : ", ", fields[i].name,
				       fields[i].value);
			} else {
				printf("%-26s: %" PRIu64 "\n", fields[i].name, fields[i].value);
			}
		}
		if (cli->json) {
			printf("}\n");
		}
		rc = 0;
	}
	usk_dma_free(log);
	return rc;
}

static int list_one(void *ctx, const struct usk_pci_device_info *info)
{
	char bdf[USK_PCI_ADDR_STRLEN];
	struct usk_nvme_ctrlr *c;

	usk_pci_addr_fmt(bdf, sizeof(bdf), &info->addr);
	if (strcmp(info->driver, "vfio-pci") != 0) {
		printf("%-14s driver %s: not usable by USK (scripts/setup.sh binds it)\n", bdf,
		       info->driver[0] != '\0' ? info->driver : "none");
		return 0;
	}
	if (usk_nvme_ctrlr_attach(bdf, NULL, &c) != 0) {
		printf("%-14s cannot be attached (the log says why)\n", bdf);
		return 0;
	}
	const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(c);
	char mn[41], sn[21], fr[9];

	nvme_cli_trim(mn, cd->mn, sizeof(cd->mn));
	nvme_cli_trim(sn, cd->sn, sizeof(cd->sn));
	nvme_cli_trim(fr, cd->fr, sizeof(cd->fr));
	for (uint32_t nsid = 1; nsid <= usk_nvme_ctrlr_get_num_ns(c); nsid++) {
		struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, nsid);

		if (ns != NULL) {
			const char *why = usk_nvme_ns_get_unsupported_reason(ns);

			printf("%-14s %-20s %-40s %-8s ns %u: %" PRIu64
			       " blocks of %u bytes + %u of metadata%s%s\n",
			       bdf, sn, mn, fr, nsid, usk_nvme_ns_get_num_blocks(ns),
			       usk_nvme_ns_get_block_size(ns), usk_nvme_ns_get_md_size(ns),
			       why != NULL ? "; not served: " : "", why != NULL ? why : "");
		}
	}
	usk_nvme_ctrlr_detach(c);
	return 0;
}

int nvme_cli_list(struct nvme_cli *cli)
{
	return usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, list_one, cli) == 0 ? 0 : 1;
}
