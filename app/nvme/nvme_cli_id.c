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

uint64_t nvme_cli_lba_bytes(uint8_t lbads)
{
	return lbads < 64 ? 1ull << lbads : 0;
}

static void print_ctrlr(const char *bdf, const struct usk_nvme_ctrlr_data *cd)
{
	char mn[41], sn[21], fr[9];

	nvme_cli_trim(mn, cd->mn, sizeof(cd->mn));
	nvme_cli_trim(sn, cd->sn, sizeof(cd->sn));
	nvme_cli_trim(fr, cd->fr, sizeof(cd->fr));
	printf("NVME Identify Controller %s:\nvid     : %#x\nssvid   : %#x\nsn      : %s\n"
	       "mn      : %s\nfr      : %s\nmdts    : %u\ncntlid  : %#x\nver     : %#x\n"
	       "oacs    : %#x\noncs    : %#x\nsgls    : %#x\nnn      : %u\n",
	       bdf, cd->vid, cd->ssvid, sn, mn, fr, cd->mdts, cd->cntlid, cd->ver, cd->oacs,
	       cd->oncs, cd->sgls, cd->nn);
}

/* Prints one structure as nvme-cli's JSON, through @add; returns the exit status. */
static int print_json(void (*add)(struct usk_json_write_ctx *w, const void *data), const void *data)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();

	if (w == NULL) {
		fprintf(stderr, "usk_nvme: no memory for the JSON output\n");
		return 1;
	}
	usk_json_write_object_begin(w);
	add(w, data);
	usk_json_write_object_end(w);
	return nvme_cli_json_print(w);
}

static void add_id_ctrl(struct usk_json_write_ctx *w, const void *data)
{
	nvme_cli_json_id_ctrl(w, data);
}

static void add_id_ns(struct usk_json_write_ctx *w, const void *data)
{
	nvme_cli_json_id_ns(w, data);
}

static void add_smart_log(struct usk_json_write_ctx *w, const void *data)
{
	nvme_cli_json_smart_log(w, data, false);
}

static void add_smart_log_human(struct usk_json_write_ctx *w, const void *data)
{
	nvme_cli_json_smart_log(w, data, true);
}

int nvme_cli_id_ctrl(struct nvme_cli *cli)
{
	const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(cli->ctrlr);

	if (cli->raw_binary) {
		return nvme_cli_print_raw(cd, sizeof(*cd));
	}
	if (cli->json) {
		return print_json(add_id_ctrl, cd);
	}
	print_ctrlr(usk_nvme_ctrlr_get_name(cli->ctrlr), cd);
	return 0;
}

int nvme_cli_identify_ns(struct nvme_cli *cli, uint32_t nsid, struct usk_nvme_ns_data *nd)
{
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_IDENTIFY, .nsid = nsid, .cdw10 = USK_NVME_CNS_NAMESPACE};

	return usk_nvme_ctrlr_admin_cmd_sync(cli->ctrlr, &cmd, nd, sizeof(*nd), NULL);
}

/* With --force, nvme-cli's id-ns reads the namespace even when it is not attached (CNS 11h). */
#define CNS_ALLOCATED_NAMESPACE 0x11

static void print_ns(uint32_t nsid, const struct usk_nvme_ns_data *nd)
{
	uint32_t format = USK_NVME_NS_FLBAS_FORMAT(nd->flbas);
	uint8_t lbads = nd->lbaf[format].lbads;

	printf("NVME Identify Namespace %u:\nnsze    : %#" PRIx64 "\nncap    : %#" PRIx64
	       "\nnuse    : %#" PRIx64
	       "\nnlbaf   : %u\nflbas   : %#x (LBA format %u, metadata %s)\n"
	       "lbads   : %u (%" PRIu64 " bytes)\nms      : %u\nmc      : %#x\n"
	       "dpc     : %#x\ndps     : %#x\nnoiob   : %u\n",
	       nsid, nd->nsze, nd->ncap, nd->nuse, nd->nlbaf, nd->flbas, format,
	       (nd->flbas & USK_NVME_NS_FLBAS_EXTENDED) != 0 ? "extended" : "separate", lbads,
	       nvme_cli_lba_bytes(lbads), nd->lbaf[format].ms, nd->mc, nd->dpc, nd->dps, nd->noiob);
}

int nvme_cli_id_ns(struct nvme_cli *cli)
{
	struct usk_nvme_ns_data *nd = usk_dma_zmalloc(sizeof(*nd), 4096, USK_ENV_NUMA_ANY);
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_IDENTIFY,
				   .nsid = cli->nsid,
				   .cdw10 = cli->force ? CNS_ALLOCATED_NAMESPACE
						       : USK_NVME_CNS_NAMESPACE};
	int rc = 1;

	if (nd != NULL &&
	    usk_nvme_ctrlr_admin_cmd_sync(cli->ctrlr, &cmd, nd, sizeof(*nd), NULL) == 0) {
		if (cli->raw_binary) {
			rc = nvme_cli_print_raw(nd, sizeof(*nd));
		} else if (cli->json) {
			rc = print_json(add_id_ns, nd);
		} else {
			print_ns(cli->nsid, nd);
			rc = 0;
		}
	} else {
		fprintf(stderr, "usk_nvme: Identify Namespace %u failed (the log says why)\n",
			cli->nsid);
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

static void print_smart_log(const struct smart_log *log)
{
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
		printf("%-26s: %" PRIu64 "\n", fields[i].name, fields[i].value);
	}
}

int nvme_cli_smart_log(struct nvme_cli *cli)
{
	struct smart_log *log = usk_dma_zmalloc(sizeof(*log), 4096, USK_ENV_NUMA_ANY);
	/* Log page 02h for the controller as a whole, unless -n names a namespace. */
	uint32_t nsid = cli->has_nsid ? cli->nsid : 0xffffffffu;
	int rc = 1;

	if (log == NULL ||
	    usk_nvme_ctrlr_get_log_page(cli->ctrlr, 0x02, nsid, log, sizeof(*log)) != 0) {
		fprintf(stderr, "usk_nvme: Get Log Page 02h failed (the log says why)\n");
	} else if (cli->raw_binary) {
		rc = nvme_cli_print_raw(log, sizeof(*log));
	} else if (cli->json) {
		rc = print_json(cli->human ? add_smart_log_human : add_smart_log, log);
	} else {
		print_smart_log(log);
		rc = 0;
	}
	usk_dma_free(log);
	return rc;
}

/* list's walk: -o json collects the namespaces in one document. */
struct list_ctx {
	struct usk_json_write_ctx *w;
	struct usk_nvme_ns_data *nd; /* DMA-able Identify Namespace buffer */
};

/* One namespace as nvme-cli's list -o json shows it; DevicePath is the controller's BDF. */
static void list_json_ns(struct list_ctx *l, struct usk_nvme_ctrlr *c, const char *bdf,
			 uint32_t nsid, const char *const ids[3])
{
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_IDENTIFY, .nsid = nsid, .cdw10 = USK_NVME_CNS_NAMESPACE};
	uint64_t lba;

	if (usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, l->nd, sizeof(*l->nd), NULL) != 0) {
		fprintf(stderr, "usk_nvme: %s: Identify Namespace %u failed\n", bdf, nsid);
		return;
	}
	lba = nvme_cli_lba_bytes(l->nd->lbaf[USK_NVME_NS_FLBAS_FORMAT(l->nd->flbas)].lbads);
	usk_json_write_object_begin(l->w);
	usk_json_write_named_uint64(l->w, "NameSpace", nsid);
	usk_json_write_named_string(l->w, "DevicePath", bdf);
	nvme_cli_json_device_string(l->w, "Firmware", ids[2]);
	nvme_cli_json_device_string(l->w, "ModelNumber", ids[0]);
	nvme_cli_json_device_string(l->w, "SerialNumber", ids[1]);
	usk_json_write_named_uint64(l->w, "UsedBytes", l->nd->nuse * lba);
	usk_json_write_named_uint64(l->w, "MaximumLBA", l->nd->nsze);
	usk_json_write_named_uint64(l->w, "PhysicalSize", l->nd->nsze * lba);
	usk_json_write_named_uint64(l->w, "SectorSize", lba);
	usk_json_write_object_end(l->w);
}

static void list_text_ns(struct usk_nvme_ns *ns, const char *bdf, uint32_t nsid,
			 const char *const ids[3])
{
	const char *why = usk_nvme_ns_get_unsupported_reason(ns);

	printf("%-14s %-20s %-40s %-8s ns %u: %" PRIu64
	       " blocks of %u bytes + %u of metadata%s%s\n",
	       bdf, ids[1], ids[0], ids[2], nsid, usk_nvme_ns_get_num_blocks(ns),
	       usk_nvme_ns_get_block_size(ns), usk_nvme_ns_get_md_size(ns),
	       why != NULL ? "; not served: " : "", why != NULL ? why : "");
}

/* The namespaces of an attached controller, under @name (its BDF, or a fabric's address). */
static void list_ctrlr(struct list_ctx *l, struct usk_nvme_ctrlr *c, const char *name)
{
	const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(c);
	char mn[41], sn[21], fr[9];
	const char *const ids[3] = {mn, sn, fr};

	nvme_cli_trim(mn, cd->mn, sizeof(cd->mn));
	nvme_cli_trim(sn, cd->sn, sizeof(cd->sn));
	nvme_cli_trim(fr, cd->fr, sizeof(cd->fr));
	for (uint32_t nsid = 1; nsid <= usk_nvme_ctrlr_get_num_ns(c); nsid++) {
		struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, nsid);

		if (ns != NULL && l->w != NULL) {
			list_json_ns(l, c, name, nsid, ids);
		} else if (ns != NULL) {
			list_text_ns(ns, name, nsid, ids);
		}
	}
}

static int list_one(void *ctx, const struct usk_pci_device_info *info)
{
	struct list_ctx *l = ctx;
	char bdf[USK_PCI_ADDR_STRLEN];
	struct usk_nvme_ctrlr *c;

	usk_pci_addr_fmt(bdf, sizeof(bdf), &info->addr);
	if (strcmp(info->driver, "vfio-pci") != 0) {
		/* nvme-cli's JSON has no place for a controller it cannot reach either. */
		if (l->w == NULL) {
			printf("%-14s driver %s: not usable by USK (scripts/setup.sh binds it)\n",
			       bdf, info->driver[0] != '\0' ? info->driver : "none");
		}
		return 0;
	}
	if (usk_nvme_ctrlr_attach(bdf, NULL, &c) != 0) {
		fprintf(l->w != NULL ? stderr : stdout,
			"%-14s cannot be attached (the log says why)\n", bdf);
		return 0;
	}
	list_ctrlr(l, c, bdf);
	usk_nvme_ctrlr_detach(c);
	return 0;
}

int nvme_cli_list(struct nvme_cli *cli)
{
	struct list_ctx l = {0};
	int rc;

	if (cli->json) {
		l.w = usk_json_write_begin();
		l.nd = usk_dma_zmalloc(sizeof(*l.nd), 4096, USK_ENV_NUMA_ANY);
		if (l.w == NULL || l.nd == NULL) {
			fprintf(stderr, "usk_nvme: no memory for the list\n");
			if (l.w != NULL) {
				usk_json_write_end(l.w, false, NULL);
			}
			usk_dma_free(l.nd);
			return 1;
		}
		usk_json_write_object_begin(l.w);
		usk_json_write_named_array_begin(l.w, "Devices");
	}
	/* With a device (--trid): that controller alone, e.g. an NVMe/TCP subsystem. */
	if (cli->ctrlr != NULL) {
		list_ctrlr(&l, cli->ctrlr, usk_nvme_ctrlr_get_name(cli->ctrlr));
		rc = 0;
	} else {
		rc = usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, list_one, &l) == 0 ? 0 : 1;
	}
	if (l.w != NULL) {
		usk_json_write_array_end(l.w);
		usk_json_write_object_end(l.w);
		rc = nvme_cli_json_print(l.w) != 0 ? 1 : rc;
		usk_dma_free(l.nd);
	}
	return rc;
}
