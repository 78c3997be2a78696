/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme error-log, fw-log, get-feature and format. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nvme_cli.h"
#include "usk/env.h"

/* The broadcast NSID: logs and features of the controller as a whole. */
#define NSID_ALL 0xffffffffu

/* usk_nvme_ctrlr_get_log_page() reads at most 16 KiB at once. */
#define ERROR_LOG_MAX_ENTRIES (16384 / sizeof(struct usk_nvme_error_info))

/* Says why an admin command that usk_nvme sent itself failed. */
static void print_admin_error(const char *what, int rc, const struct usk_nvme_cqe *cpl)
{
	if (rc == -EIO) {
		fprintf(stderr, "usk_nvme: %s failed: %s\n", what,
			usk_nvme_status_string(USK_NVME_STATUS_CODE(cpl->status)));
	} else {
		fprintf(stderr, "usk_nvme: %s failed: %s\n", what, strerror(-rc));
	}
}

/* Reads log page @lid of the controller into a new DMA buffer; NULL after saying why. */
static void *read_log(struct nvme_cli *cli, uint8_t lid, uint32_t len)
{
	void *log = usk_dma_zmalloc(len, 4096, USK_ENV_NUMA_ANY);

	if (log == NULL) {
		fprintf(stderr, "usk_nvme: no memory for a %u-byte log page\n", len);
		return NULL;
	}
	if (usk_nvme_ctrlr_get_log_page(cli->ctrlr, lid, NSID_ALL, log, len) != 0) {
		fprintf(stderr, "usk_nvme: Get Log Page %02xh failed (the log says why)\n", lid);
		usk_dma_free(log);
		return NULL;
	}
	return log;
}

static void print_error_entry(uint32_t i, const struct usk_nvme_error_info *e)
{
	/* Bit 0 is the phase tag the failed command's CQE had; the status is above it. */
	const char *status = usk_nvme_status_string(USK_NVME_STATUS_CODE(e->status));

	printf(" Entry[%2u]\n.................\nerror_count         : %" PRIu64 "\n"
	       "sqid                : %u\ncmdid               : %#x\n"
	       "status_field        : %#x (%s)\nphase_tag           : %u\n"
	       "parm_error_location : %#x\nlba                 : %#" PRIx64 "\n"
	       "nsid                : %#x\nvs                  : %u\ntrtype              : %u\n"
	       "cs                  : %#" PRIx64 "\ntrtype_spec_info    : %#x\n"
	       ".................\n",
	       i, e->error_count, e->sqid, e->cid, e->status >> 1, status, e->status & 1u,
	       e->parm_error_location, e->lba, e->nsid, e->vs, e->trtype, e->cs,
	       e->trtype_spec_info);
}

static int print_error_log(const struct nvme_cli *cli, const struct usk_nvme_error_info *log,
			   uint32_t entries)
{
	struct usk_json_write_ctx *w;

	if (cli->raw_binary) {
		return nvme_cli_print_raw(log, entries * sizeof(*log));
	}
	if (!cli->json) {
		printf("Error Log Entries for device:%s entries:%u\n.................\n",
		       usk_nvme_ctrlr_get_name(cli->ctrlr), entries);
		for (uint32_t i = 0; i < entries; i++) {
			print_error_entry(i, &log[i]);
		}
		return 0;
	}
	w = usk_json_write_begin();
	if (w == NULL) {
		fprintf(stderr, "usk_nvme: no memory for the JSON output\n");
		return 1;
	}
	usk_json_write_object_begin(w);
	nvme_cli_json_error_log(w, log, entries);
	usk_json_write_object_end(w);
	return nvme_cli_json_print(w);
}

int nvme_cli_error_log(struct nvme_cli *cli)
{
	/*
	 * ELPE is 0's based: the controller keeps ELPE + 1 entries, newest
	 * first. As nvme-cli, -e asks for at most that many.
	 */
	uint32_t kept = usk_nvme_ctrlr_get_data(cli->ctrlr)->elpe + 1u;
	uint32_t entries = cli->log_entries != 0 ? USK_MIN(cli->log_entries, kept) : kept;
	struct usk_nvme_error_info *log;
	int rc;

	entries = USK_MIN(entries, ERROR_LOG_MAX_ENTRIES);
	log = read_log(cli, USK_NVME_LOG_ERROR, entries * sizeof(*log));
	if (log == NULL) {
		return 1;
	}
	rc = print_error_log(cli, log, entries);
	usk_dma_free(log);
	return rc;
}

/* The slots' revisions are the device's bytes: the JSON writer escapes them. */
static int print_fw_log_json(const struct nvme_cli *cli,
			     const struct usk_nvme_firmware_slot_log *log)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char frs[sizeof(log->frs[0]) + 1], name[8];

	if (w == NULL) {
		fprintf(stderr, "usk_nvme: no memory for the JSON output\n");
		return 1;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "device", usk_nvme_ctrlr_get_name(cli->ctrlr));
	usk_json_write_named_uint64(w, "afi", log->afi);
	usk_json_write_named_uint64(w, "active_slot", log->afi & 0x7);
	usk_json_write_named_uint64(w, "next_reset_slot", (log->afi >> 4) & 0x7);
	for (uint32_t i = 0; i < USK_COUNTOF(log->frs); i++) {
		nvme_cli_trim(frs, log->frs[i], sizeof(log->frs[i]));
		snprintf(name, sizeof(name), "frs%u", i + 1);
		nvme_cli_json_device_string(w, name, frs);
	}
	usk_json_write_object_end(w);
	return nvme_cli_json_print(w);
}

static void print_fw_log(const struct nvme_cli *cli, const struct usk_nvme_firmware_slot_log *log)
{
	uint32_t active = log->afi & 0x7, next = (log->afi >> 4) & 0x7;
	char frs[sizeof(log->frs[0]) + 1];

	printf("Firmware Log for device:%s\nafi  : %#x (active slot %u, next reset slot %u)\n",
	       usk_nvme_ctrlr_get_name(cli->ctrlr), log->afi, active, next);
	for (uint32_t i = 0; i < USK_COUNTOF(log->frs); i++) {
		nvme_cli_trim(frs, log->frs[i], sizeof(log->frs[i]));
		if (frs[0] != '\0') {
			printf("frs%u : %s\n", i + 1, frs);
		}
	}
}

int nvme_cli_fw_log(struct nvme_cli *cli)
{
	struct usk_nvme_firmware_slot_log *log;
	int rc = 0;

	log = read_log(cli, USK_NVME_LOG_FIRMWARE_SLOT, sizeof(*log));
	if (log == NULL) {
		return 1;
	}
	if (cli->raw_binary) {
		rc = nvme_cli_print_raw(log, sizeof(*log));
	} else if (cli->json) {
		rc = print_fw_log_json(cli, log);
	} else {
		print_fw_log(cli, log);
	}
	usk_dma_free(log);
	return rc;
}

/* Decoders of Dword 0 of Get Features, base 5.27.1. */
static void decode_arbitration(uint32_t v)
{
	uint32_t burst = v & 0x7;

	/* The weights are 0's based; a burst of 111b means no limit. */
	printf("\tHigh/Medium/Low Priority Weight: %u/%u/%u\n", (v >> 24) + 1,
	       ((v >> 16) & 0xff) + 1, ((v >> 8) & 0xff) + 1);
	if (burst == 0x7) {
		printf("\tArbitration Burst: no limit\n");
	} else {
		printf("\tArbitration Burst: %u commands\n", 1u << burst);
	}
}

static void decode_power_management(uint32_t v)
{
	printf("\tPower State (PS): %u\n\tWorkload Hint (WH): %u\n", v & 0x1f, (v >> 5) & 0x7);
}

/* The sensor and the kind of threshold are what --cdw11 chose; not all devices echo them. */
static void decode_temperature_threshold(uint32_t v)
{
	uint32_t kelvin = v & 0xffff;

	printf("\tTemperature Threshold (TMPTH): %u K (%d °C)\n", kelvin, (int)kelvin - 273);
}

static void decode_error_recovery(uint32_t v)
{
	printf("\tTime Limited Error Recovery (TLER): %u ms\n"
	       "\tDeallocated or Unwritten Logical Block Error (DULBE): %s\n",
	       (v & 0xffff) * 100, (v >> 16) & 1 ? "enabled" : "disabled");
}

static void decode_volatile_write_cache(uint32_t v)
{
	printf("\tVolatile Write Cache Enable (WCE): %s\n", v & 1 ? "enabled" : "disabled");
}

static void decode_number_of_queues(uint32_t v)
{
	printf("\tNumber of IO Completion Queues Allocated (NCQA): %u\n"
	       "\tNumber of IO Submission Queues Allocated (NSQA): %u\n",
	       (v >> 16) + 1, (v & 0xffff) + 1);
}

static void decode_interrupt_coalescing(uint32_t v)
{
	printf("\tAggregation Time (TIME): %u us\n\tAggregation Threshold (THR): %u\n",
	       ((v >> 8) & 0xff) * 100, (v & 0xff) + 1);
}

static const struct feature {
	uint8_t fid;
	const char *name;
	void (*decode)(uint32_t value); /* NULL: the value is printed as is */
} g_features[] = {
	{0x01, "Arbitration", decode_arbitration},
	{0x02, "Power Management", decode_power_management},
	{0x04, "Temperature Threshold", decode_temperature_threshold},
	{0x05, "Error Recovery", decode_error_recovery},
	{0x06, "Volatile Write Cache", decode_volatile_write_cache},
	{0x07, "Number of Queues", decode_number_of_queues},
	{0x08, "Interrupt Coalescing", decode_interrupt_coalescing},
	{0x0a, "Write Atomicity Normal", NULL},
	{0x0b, "Async Event Configuration", NULL},
};

static const struct feature *find_feature(uint32_t fid)
{
	static const struct feature unknown = {0, "Unknown", NULL};

	for (size_t i = 0; i < USK_COUNTOF(g_features); i++) {
		if (g_features[i].fid == fid) {
			return &g_features[i];
		}
	}
	return &unknown;
}

/* With SEL 3 (supported capabilities), Dword 0 says what can be done with the feature. */
static void decode_capabilities(uint32_t v)
{
	printf("\tsaveable: %s\n\tnamespace specific: %s\n\tchangeable: %s\n", v & 1 ? "yes" : "no",
	       v & 2 ? "yes" : "no", v & 4 ? "yes" : "no");
}

static void print_feature(const struct nvme_cli *cli, uint32_t value)
{
	static const char *const sel_names[] = {"Current", "Default", "Saved",
						"Supported capabilities"};
	const struct feature *f = find_feature(cli->feature_id);

	if (cli->json) {
		printf("{\"feature_id\": %u, \"name\": \"%s\", \"sel\": %u, \"value\": %u}\n",
		       cli->feature_id, f->name, cli->sel, value);
		return;
	}
	printf("get-feature:0x%02x (%s), %s value:0x%08x\n", cli->feature_id, f->name,
	       sel_names[cli->sel], value);
	if (cli->sel == 3) {
		decode_capabilities(value);
	} else if (f->decode != NULL) {
		f->decode(value);
	}
}

int nvme_cli_get_feature(struct nvme_cli *cli)
{
	/* Without -n, as nvme-cli on a controller: the broadcast NSID. */
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_GET_FEATURES,
				   .nsid = cli->has_nsid ? cli->nsid : NSID_ALL,
				   .cdw10 = cli->feature_id | cli->sel << 8,
				   .cdw11 = cli->cdw11,
				   .cdw14 = cli->uuid_index & 0x7f};
	/*
	 * Features with a data structure (LBA Range Type, Autonomous Power State
	 * Transition, Timestamp...) write it to the data buffer, -l/--data-len
	 * bytes (default 4 KiB); the others ignore it. -b prints it raw.
	 */
	uint32_t len = cli->data_len != 0 ? cli->data_len : 4096;
	void *data = usk_dma_zmalloc(len, 4096, USK_ENV_NUMA_ANY);
	struct usk_nvme_cqe cpl;
	int rc;

	if (data == NULL) {
		fprintf(stderr, "usk_nvme: no memory for %u bytes of Get Features data\n", len);
		return 1;
	}
	rc = usk_nvme_ctrlr_admin_cmd_sync(cli->ctrlr, &cmd, data, len, &cpl);
	if (rc != 0) {
		print_admin_error("get-feature", rc, &cpl);
		rc = 1;
	} else if (cli->raw_binary) {
		rc = nvme_cli_print_raw(data, len);
	} else {
		print_feature(cli, cpl.dw0);
	}
	usk_dma_free(data);
	return rc;
}

/*
 * -b/--block-size, as nvme-cli: the first LBA format of that size with no
 * metadata, among all NLBAF gives (up to 64). An LBADS of 64 or more is a
 * device's garbage, and no size.
 */
static int lbaf_of_block_size(struct nvme_cli *cli, const struct usk_nvme_ns_data *nd)
{
	for (uint32_t i = 0; i <= nd->nlbaf && i < USK_COUNTOF(nd->lbaf); i++) {
		if (nd->lbaf[i].ms == 0 &&
		    nvme_cli_lba_bytes(nd->lbaf[i].lbads) == cli->block_size) {
			cli->lbaf = i;
			return 0;
		}
	}
	fprintf(stderr,
		"usk_nvme format: -b %llu: namespace %u has no LBA format of that size "
		"without metadata (id-ns lists them)\n",
		(unsigned long long)cli->block_size, cli->nsid);
	return 2;
}

/* Reads @nd and checks -n and -l against it; returns 0 or the exit status. */
static int check_format(struct nvme_cli *cli, struct usk_nvme_ns_data *nd)
{
	if (usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid) == NULL) {
		fprintf(stderr, "usk_nvme format: namespace %u is not active\n", cli->nsid);
		return 2;
	}
	if (nvme_cli_identify_ns(cli, cli->nsid, nd) != 0) {
		fprintf(stderr,
			"usk_nvme format: Identify Namespace %u failed (the log says why)\n",
			cli->nsid);
		return 1;
	}
	if (cli->block_size != 0) {
		return lbaf_of_block_size(cli, nd);
	}
	if (!cli->has_lbaf) {
		cli->lbaf = USK_NVME_NS_FLBAS_FORMAT(nd->flbas);
	}
	/* NLBAF is 0's based. */
	if (cli->lbaf > nd->nlbaf) {
		fprintf(stderr, "usk_nvme format: -l %u: namespace %u has LBA formats 0..%u\n",
			cli->lbaf, cli->nsid, nd->nlbaf);
		return 2;
	}
	return 0;
}

/* Asks on stdin, also when it is not a terminal, so that scripts can answer. */
static int confirm_format(const struct nvme_cli *cli)
{
	char answer[16];

	fprintf(stderr,
		"You are about to format %s namespace %u; all its data will be lost. "
		"Type 'yes' to continue: ",
		usk_nvme_ctrlr_get_name(cli->ctrlr), cli->nsid);
	/* A piped answer is not echoed: end the prompt's line for what follows. */
	if (!isatty(STDIN_FILENO)) {
		fputc('\n', stderr);
	}
	if (fgets(answer, sizeof(answer), stdin) == NULL) {
		answer[0] = '\0';
	}
	answer[strcspn(answer, "\r\n")] = '\0';
	if (strcmp(answer, "yes") != 0) {
		fprintf(stderr, "format: aborted\n");
		return 1;
	}
	return 0;
}

static int format_nvm(struct nvme_cli *cli)
{
	struct usk_nvme_format_opts fo;
	struct usk_nvme_cqe cpl;
	int rc;

	usk_nvme_format_opts_init(&fo, sizeof(fo));
	fo.lbaf = cli->lbaf;
	fo.mset = cli->ms != 0;
	fo.pi = (uint8_t)cli->pi;
	fo.pil = cli->pil != 0;
	fo.ses = (uint8_t)cli->ses;
	rc = usk_nvme_ctrlr_format(cli->ctrlr, cli->nsid, &fo, &cpl);
	if (rc != 0) {
		print_admin_error("format", rc, &cpl);
		return 1;
	}
	return 0;
}

/* What the driver made of the new format (usk_nvme_ctrlr_format() read it again). */
static int print_new_format(struct nvme_cli *cli)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid);

	if (ns == NULL) {
		fprintf(stderr,
			"usk_nvme format: namespace %u is formatted, but no longer active\n",
			cli->nsid);
		return 1;
	}
	const char *why = usk_nvme_ns_get_unsupported_reason(ns);

	if (cli->json) {
		printf("{\"nsid\": %u, \"lbaf\": %u, \"block_size\": %u, \"metadata_size\": %u, "
		       "\"extended\": %s, \"pi\": %u}\n",
		       cli->nsid, cli->lbaf, usk_nvme_ns_get_block_size(ns),
		       usk_nvme_ns_get_md_size(ns),
		       usk_nvme_ns_supports_extended_lba(ns) ? "true" : "false",
		       usk_nvme_ns_get_pi_type(ns));
	} else {
		printf("Success formatting namespace:%u\nblock size: %u bytes (LBA format %u, "
		       "%u bytes of metadata%s, PI type %u)\n",
		       cli->nsid, usk_nvme_ns_get_block_size(ns), cli->lbaf,
		       usk_nvme_ns_get_md_size(ns),
		       usk_nvme_ns_supports_extended_lba(ns) ? ", extended" : "",
		       usk_nvme_ns_get_pi_type(ns));
	}
	if (why != NULL) {
		fprintf(stderr, "usk_nvme format: USK does not serve this format: %s\n", why);
	}
	return 0;
}

int nvme_cli_format(struct nvme_cli *cli)
{
	struct usk_nvme_ns_data *nd = usk_dma_zmalloc(sizeof(*nd), 4096, USK_ENV_NUMA_ANY);
	int rc;

	if (nd == NULL) {
		fprintf(stderr, "usk_nvme: no memory for Identify data\n");
		return 1;
	}
	rc = check_format(cli, nd);
	if (rc == 0 && !cli->force) {
		rc = confirm_format(cli);
	}
	if (rc == 0) {
		rc = format_nvm(cli);
	}
	if (rc == 0) {
		rc = print_new_format(cli);
	}
	usk_dma_free(nd);
	return rc;
}
