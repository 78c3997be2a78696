/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme read and write: blocks to and from files, with nvme-cli's
 * options. The commands are built here, as nvme-cli builds them (CDW12's
 * control bits, CDW13's dataset management and directive, the tags), and
 * a transfer above the controller's maximum (MDTS) goes out as several
 * commands, one after the other, instead of being refused.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nvme_cli.h"
#include "usk/env.h"

/* The broadcast NSID: Flush sent to it flushes every namespace (NVM 3.2.4). */
#define NSID_ALL 0xffffffffu

static int g_done;
static uint16_t g_status;

static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_status = USK_NVME_STATUS_CODE(cpl->status);
	g_done = 1;
}

/* Polls @q until the command sent last completes; returns 0 or 1 after saying why. */
static int wait_done(struct nvme_cli *cli, struct usk_nvme_qpair *q, const char *name)
{
	while (!g_done) {
		usk_nvme_qpair_process_completions(q, 0);
		/* A late command's reset is done by the admin poll. */
		usk_nvme_ctrlr_process_admin_completions(cli->ctrlr);
	}
	if (g_status != 0) {
		fprintf(stderr, "usk_nvme: %s failed: %s\n", name,
			usk_nvme_status_string(g_status));
		return 1;
	}
	return 0;
}

/* A read's or write's sizes and buffers. */
struct io_plan {
	uint64_t blocks;	/* -c + 1: 2^32 when -c is 0xffffffff */
	uint32_t lbs;		/* bytes of the data buffer per block (with metadata if extended) */
	uint32_t host_ms;	/* bytes of separate metadata per block */
	uint64_t bytes;		/* data the device moves: blocks * lbs */
	uint64_t md_bytes;	/* separate metadata the device moves */
	uint64_t file_bytes;	/* bytes of the data file: -z, or bytes */
	uint64_t md_file_bytes; /* bytes of the metadata file: -y, or md_bytes */
	uint32_t max_blocks;	/* blocks in one command: the maximum transfer's worth */
	bool pi_reftag;		/* PI type 1 or 2: CDW14 follows the blocks */
	uint8_t *data;
	uint8_t *md;
};

/*
 * Sizes the transfer for @ns: with PRACT on a format whose metadata is
 * only the 8 bytes of PI, the controller inserts and strips it, so the
 * host moves data alone. -z and -y below what the blocks need are
 * rounded up, as nvme-cli does; above it, the buffer grows to them and the
 * file moves that many bytes, as nvme-cli's.
 */
static void io_plan_sizes(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
			  struct io_plan *p)
{
	uint32_t ms = usk_nvme_ns_get_md_size(ns);
	enum usk_nvme_pi_type pi = usk_nvme_ns_get_pi_type(ns);
	bool pract_only = (cli->prinfo & 8) != 0 && ms == 8 && pi != USK_NVME_PI_NONE;
	uint32_t host_ms = pract_only ? 0 : ms;
	bool extended = usk_nvme_ns_supports_extended_lba(ns);

	p->blocks = (uint64_t)cli->block_count + 1;
	p->lbs = usk_nvme_ns_get_block_size(ns) + (extended ? host_ms : 0);
	p->host_ms = extended ? 0 : host_ms;
	p->bytes = p->blocks * p->lbs;
	p->md_bytes = p->blocks * p->host_ms;
	p->max_blocks = usk_nvme_ctrlr_get_max_xfer_size(cli->ctrlr) / p->lbs;
	p->pi_reftag = pi == USK_NVME_PI_TYPE1 || pi == USK_NVME_PI_TYPE2;
	p->file_bytes = cli->data_size != 0 ? cli->data_size : p->bytes;
	p->md_file_bytes = cli->metadata_size != 0 ? cli->metadata_size : p->md_bytes;
	if (cli->data_size != 0 && cli->data_size < p->bytes) {
		fprintf(stderr, "Rounding data size to fit block count (%" PRIu64 " bytes)\n",
			p->bytes);
	}
	if (cli->metadata_size != 0 && cli->metadata_size < p->md_bytes) {
		fprintf(stderr, "Rounding metadata size to fit block count (%" PRIu64 " bytes)\n",
			p->md_bytes);
	}
}

/* Checks the request against the namespace; returns 0 or exit status 2 after saying why. */
static int io_check(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
		    const struct io_plan *p)
{
	const char *why = ns != NULL ? usk_nvme_ns_get_unsupported_reason(ns) : NULL;

	if (ns == NULL || why != NULL) {
		fprintf(stderr, "usk_nvme: namespace %u %s%s\n", cli->nsid,
			ns == NULL ? "is not active" : "has a format USK does not serve: ",
			why != NULL ? why : "");
		return 2;
	}
	/* Split at MDTS, a range past the end would fail only after its first commands landed. */
	if (p->blocks > usk_nvme_ns_get_num_blocks(ns) ||
	    cli->start_block > usk_nvme_ns_get_num_blocks(ns) - p->blocks) {
		fprintf(stderr,
			"usk_nvme: -s %" PRIu64 " -c %u runs past the end of namespace %u, "
			"which has %" PRIu64 " blocks\n",
			cli->start_block, cli->block_count, cli->nsid,
			usk_nvme_ns_get_num_blocks(ns));
		return 2;
	}
	if (p->max_blocks == 0) {
		fprintf(stderr,
			"usk_nvme: a %u-byte block is more than the %u-byte maximum transfer\n",
			p->lbs, usk_nvme_ctrlr_get_max_xfer_size(cli->ctrlr));
		return 2;
	}
	if ((p->md_bytes != 0) != (cli->metadata != NULL)) {
		fprintf(stderr,
			"usk_nvme: namespace %u has %s separate metadata: %s -M/--metadata\n",
			cli->nsid, p->md_bytes != 0 ? "its" : "no",
			p->md_bytes != 0 ? "give a file with" : "leave out");
		return 2;
	}
	/* The formats USK serves have 16-bit guards, whose reference tag is 32 bits. */
	if (cli->ref_tag > UINT32_MAX) {
		fprintf(stderr,
			"usk_nvme: -r/--ref-tag: this format's reference tags are 32 bits\n");
		return 2;
	}
	return 0;
}

/* Moves @len bytes between @path and @buf (@to_file: into the file); returns 0 or 1. */
static int io_file(const char *path, uint8_t *buf, uint64_t len, bool to_file)
{
	FILE *f = fopen(path, to_file ? "wb" : "rb");
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "usk_nvme: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (to_file ? fwrite(buf, 1, len, f) != len : (fread(buf, 1, len, f) == 0 && ferror(f))) {
		fprintf(stderr, "usk_nvme: %s: %s\n", path, strerror(errno));
		rc = 1;
	}
	return fclose(f) != 0 ? 1 : rc;
}

/* CDW12 bits 31:16 as nvme-cli's "control": LR, FUA, PRINFO, DEAC, DTYPE (NVM 3.2.4, 3.2.6). */
static uint32_t io_control(const struct nvme_cli *cli)
{
	return (uint32_t)cli->limited_retry << 15 | (uint32_t)cli->fua << 14 | cli->prinfo << 10 |
	       (uint32_t)cli->deac << 9 | (cli->dtype & 0xf) << 4;
}

/* The command for @blocks blocks that start @done blocks into the transfer. */
static struct usk_nvme_sqe io_cmd(const struct nvme_cli *cli, const struct io_plan *p,
				  uint8_t opcode, uint64_t done, uint32_t blocks)
{
	uint64_t lba = cli->start_block + done;
	/*
	 * With PI type 1 or 2 each block's reference tag counts up from the
	 * first one's: -r, or by default the LBA's low 32 bits, which type 1
	 * checks against.
	 */
	uint64_t reftag = !p->pi_reftag	     ? cli->ref_tag
			  : cli->has_ref_tag ? cli->ref_tag + done
					     : lba;

	return (struct usk_nvme_sqe){
		.opcode = opcode,
		.nsid = cli->nsid,
		.cdw10 = (uint32_t)lba,
		.cdw11 = (uint32_t)(lba >> 32),
		.cdw12 = (blocks - 1) | io_control(cli) << 16,
		.cdw13 = cli->dsmgmt | cli->dspec << 16,
		.cdw14 = (uint32_t)reftag,
		.cdw15 = cli->app_tag | cli->app_tag_mask << 16,
	};
}

/* nvme-cli's --show-command lines, for the first command of the transfer. */
static void io_show(const struct nvme_cli *cli, const struct io_plan *p, uint8_t opcode)
{
	struct usk_nvme_sqe cmd = io_cmd(cli, p, opcode, 0, USK_MIN(p->blocks, p->max_blocks));

	printf("opcode       : %02x\nnsid         : %02x\nflags        : %02x\n"
	       "control      : %04x\nnblocks      : %04x\nmetadata     : %" PRIx64 "\n"
	       "addr         : %" PRIx64 "\nslba         : %" PRIx64 "\ndsmgmt       : %08x\n"
	       "reftag       : %" PRIx64 "\napptag       : %04x\nappmask      : %04x\n"
	       "storagetagcheck : %04x\nstoragetag      : %" PRIx64 "\npif             : %02x\n"
	       "sts             : %02x\n",
	       opcode, cli->nsid, 0, io_control(cli), cli->block_count, (uint64_t)(uintptr_t)p->md,
	       (uint64_t)(uintptr_t)p->data, cli->start_block, cmd.cdw13, (uint64_t)cmd.cdw14,
	       cli->app_tag, cli->app_tag_mask, cli->storage_tag_check, cli->storage_tag, 0, 0);
	if (p->blocks > p->max_blocks) {
		printf("split        : %" PRIu64 " commands of at most %u blocks (MDTS)\n",
		       (p->blocks + p->max_blocks - 1) / p->max_blocks, p->max_blocks);
	}
}

/* Sends the transfer, in commands of at most max_blocks blocks; returns 0 or 1. */
static int io_send(struct nvme_cli *cli, struct io_plan *p, bool is_write)
{
	const char *name = is_write ? "write" : "read";
	uint8_t opcode = is_write ? USK_NVME_OPC_WRITE : USK_NVME_OPC_READ;
	struct usk_nvme_qpair *q;
	int rc = 0;

	if (usk_nvme_ctrlr_alloc_io_qpair(cli->ctrlr, NULL, &q) != 0) {
		fprintf(stderr, "usk_nvme: no I/O queue pair (the log says why)\n");
		return 1;
	}
	for (uint64_t done = 0; rc == 0 && done < p->blocks;) {
		uint32_t n = (uint32_t)USK_MIN(p->blocks - done, (uint64_t)p->max_blocks);
		struct usk_nvme_sqe cmd = io_cmd(cli, p, opcode, done, n);
		uint8_t *buf = p->data + done * p->lbs;

		g_done = 0;
		rc = p->md != NULL
			     ? usk_nvme_ctrlr_cmd_io_raw_with_md(
				       cli->ctrlr, q, &cmd, buf, n * p->lbs,
				       p->md + done * p->host_ms, n * p->host_ms, io_done, NULL)
			     : usk_nvme_ctrlr_cmd_io_raw(cli->ctrlr, q, &cmd, buf, n * p->lbs,
							 io_done, NULL);
		if (rc != 0) {
			fprintf(stderr, "usk_nvme: %s refused: %s\n", name, strerror(-rc));
			rc = 1;
			break;
		}
		rc = wait_done(cli, q, name);
		done += n;
	}
	usk_nvme_ctrlr_free_io_qpair(q);
	return rc;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Sends (unless --dry-run) and times (with --latency) the transfer; returns 0 or 1. */
static int io_run(struct nvme_cli *cli, struct io_plan *p, bool is_write)
{
	uint64_t start;
	int rc;

	if (cli->show || cli->dry_run) {
		io_show(cli, p, is_write ? USK_NVME_OPC_WRITE : USK_NVME_OPC_READ);
	}
	if (cli->dry_run) {
		return 0;
	}
	start = now_us();
	rc = io_send(cli, p, is_write);
	if (cli->latency) {
		printf(" latency: %s: %" PRIu64 " us\n", is_write ? "write" : "read",
		       now_us() - start);
	}
	return rc;
}

/* Runs one read or write of the whole range; returns the exit status. */
static int run_io(struct nvme_cli *cli, bool is_write)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid);
	struct io_plan p = {0};
	int rc;

	if (ns != NULL) {
		io_plan_sizes(cli, ns, &p);
	}
	rc = io_check(cli, ns, &p);
	if (rc != 0) {
		return rc;
	}
	p.data = usk_dma_zmalloc(USK_MAX(p.bytes, p.file_bytes), 4096, USK_ENV_NUMA_ANY);
	p.md = p.md_bytes != 0 ? usk_dma_zmalloc(USK_MAX(p.md_bytes, p.md_file_bytes), 4096,
						 USK_ENV_NUMA_ANY)
			       : NULL;
	if (p.data == NULL || (p.md_bytes != 0 && p.md == NULL)) {
		fprintf(stderr, "usk_nvme: no DMA memory for the transfer\n");
		rc = 1;
	}
	if (rc == 0 && is_write) {
		rc = io_file(cli->data, p.data, p.file_bytes, false);
		rc = rc == 0 && p.md != NULL ? io_file(cli->metadata, p.md, p.md_file_bytes, false)
					     : rc;
	}
	rc = rc == 0 ? io_run(cli, &p, is_write) : rc;
	if (rc == 0 && !is_write && !cli->dry_run) {
		rc = io_file(cli->data, p.data, p.file_bytes, true);
		rc = rc == 0 && p.md != NULL ? io_file(cli->metadata, p.md, p.md_file_bytes, true)
					     : rc;
	}
	usk_dma_free(p.md);
	usk_dma_free(p.data);
	if (rc == 0 && !cli->dry_run) {
		printf("%s: Success\n", is_write ? "write" : "read");
	}
	return rc;
}

int nvme_cli_read(struct nvme_cli *cli)
{
	return run_io(cli, false);
}

int nvme_cli_write(struct nvme_cli *cli)
{
	return run_io(cli, true);
}

/* Builds the command of a data-less verb into @cmd (a DSM's ranges into @scratch). */
typedef void (*build_fn)(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
			 struct usk_nvme_sqe *cmd, void *scratch, uint32_t *len);

/*
 * Runs one command that @build makes, with @scratch as its data; returns
 * the exit status. @any_nsid: @build does not read its namespace, so the
 * NSID need not be an active one (Flush's FFFFFFFFh).
 */
static int run_command(struct nvme_cli *cli, const char *name, build_fn build, bool any_nsid)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid);
	void *scratch = usk_dma_zmalloc(4096, 4096, USK_ENV_NUMA_ANY);
	struct usk_nvme_qpair *q = NULL;
	struct usk_nvme_sqe cmd;
	uint32_t len = 0;
	int rc = 2;

	if ((ns == NULL && !any_nsid) || scratch == NULL) {
		fprintf(stderr, "usk_nvme: namespace %u is not active\n", cli->nsid);
	} else if (usk_nvme_ctrlr_alloc_io_qpair(cli->ctrlr, NULL, &q) != 0) {
		fprintf(stderr, "usk_nvme: no I/O queue pair (the log says why)\n");
		rc = 1;
	} else {
		build(cli, ns, &cmd, scratch, &len);
		g_done = 0;
		rc = usk_nvme_ctrlr_cmd_io_raw(cli->ctrlr, q, &cmd, len != 0 ? scratch : NULL, len,
					       io_done, NULL);
		if (rc != 0) {
			fprintf(stderr, "usk_nvme: %s refused: %s\n", name, strerror(-rc));
			rc = 2;
		} else {
			rc = wait_done(cli, q, name);
		}
	}
	if (q != NULL) {
		usk_nvme_ctrlr_free_io_qpair(q);
	}
	usk_dma_free(scratch);
	if (rc == 0) {
		printf("%s: Success\n", name);
	}
	return rc;
}

static void build_write_zeroes(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
			       struct usk_nvme_sqe *cmd, void *scratch, uint32_t *len)
{
	enum usk_nvme_pi_type pi = usk_nvme_ns_get_pi_type(ns);
	struct io_plan p = {
		.blocks = cli->block_count + 1,
		.pi_reftag = pi == USK_NVME_PI_TYPE1 || pi == USK_NVME_PI_TYPE2,
	};

	*cmd = io_cmd(cli, &p, USK_NVME_OPC_WRITE_ZEROES, 0, p.blocks);
	/* Write Zeroes has no dataset management or directive in CDW13. */
	cmd->cdw13 = 0;
}

/* Dataset Management's attributes in CDW11 (NVM 3.2.3): AD (2), IDW (1), IDR (0). */
static uint32_t dsm_attributes(const struct nvme_cli *cli)
{
	return cli->has_cdw11 ? cli->cdw11
			      : (uint32_t)cli->ad << 2 | (uint32_t)cli->idw << 1 | cli->idr;
}

static void build_dsm(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
		      struct usk_nvme_sqe *cmd, void *scratch, uint32_t *len)
{
	const struct nvme_cli_dsm_lists *l = cli->dsm;
	struct usk_nvme_dsm_range *ranges = scratch;
	uint32_t count = l->nblocks != 0 ? l->nblocks : 1;

	if (l->nblocks == 0) {
		/* usk_nvme's own form: -s and -c, deallocated, with -w and -r as hints. */
		ranges[0] = (struct usk_nvme_dsm_range){.lba = cli->start_block,
							.lba_count = cli->block_count + 1};
	}
	for (uint32_t i = 0; i < l->nblocks; i++) {
		ranges[i] = (struct usk_nvme_dsm_range){
			.attributes = l->nattrs != 0 ? l->attrs[i] : 0,
			.lba_count = l->blocks[i],
			.lba = l->nslbs != 0 ? l->slbs[i] : 0,
		};
	}
	*cmd = (struct usk_nvme_sqe){
		.opcode = USK_NVME_OPC_DATASET_MANAGEMENT,
		.nsid = cli->nsid,
		.cdw10 = count - 1,
		.cdw11 = l->nblocks != 0 ? dsm_attributes(cli) : dsm_attributes(cli) | 1u << 2,
	};
	*len = count * (uint32_t)sizeof(*ranges);
}

static void build_flush(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
			struct usk_nvme_sqe *cmd, void *scratch, uint32_t *len)
{
	*cmd = (struct usk_nvme_sqe){.opcode = USK_NVME_OPC_FLUSH, .nsid = cli->nsid};
}

int nvme_cli_write_zeroes(struct nvme_cli *cli)
{
	return run_command(cli, "write-zeroes", build_write_zeroes, false);
}

int nvme_cli_dsm(struct nvme_cli *cli)
{
	return run_command(cli, "dsm", build_dsm, false);
}

int nvme_cli_flush(struct nvme_cli *cli)
{
	/* VWC bits 2:1 (base 5.17.2.1): 10b, Flush does not take NSID FFFFFFFFh. */
	bool all_refused = (usk_nvme_ctrlr_get_data(cli->ctrlr)->vwc & 6u) == 4u;

	if (cli->nsid != NSID_ALL) {
		return run_command(cli, "flush", build_flush, false);
	}
	if (all_refused) {
		fprintf(stderr,
			"usk_nvme: %s cannot flush all namespaces at once (its VWC says "
			"Flush does not take NSID FFFFFFFFh): flush each with -n NSID\n",
			usk_nvme_ctrlr_get_name(cli->ctrlr));
		return 2;
	}
	return run_command(cli, "flush", build_flush, true);
}
