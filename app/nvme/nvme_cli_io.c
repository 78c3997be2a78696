/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme read and write: blocks to and from files, as nvme-cli does. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nvme_cli.h"
#include "usk/env.h"

static int g_done;
static uint16_t g_status;

static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_status = USK_NVME_STATUS_CODE(cpl->status);
	g_done = 1;
}

/* Runs one read or write of the whole range; returns the exit status. */
static int run_io(struct nvme_cli *cli, bool is_write)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid);
	uint32_t blocks = cli->block_count + 1;
	struct usk_nvme_qpair *q;
	uint8_t *buf;
	int rc;

	if (ns == NULL) {
		fprintf(stderr, "usk_nvme: namespace %u is not active\n", cli->nsid);
		return 2;
	}
	uint64_t bytes = (uint64_t)blocks * usk_nvme_ns_get_block_size(ns);

	if (bytes > usk_nvme_ctrlr_get_max_xfer_size(cli->ctrlr)) {
		fprintf(stderr, "usk_nvme: %u blocks are more than the %u-byte maximum transfer\n",
			blocks, usk_nvme_ctrlr_get_max_xfer_size(cli->ctrlr));
		return 2;
	}
	FILE *f = fopen(cli->data, is_write ? "rb" : "wb");

	if (f == NULL) {
		fprintf(stderr, "usk_nvme: --data %s: %s\n", cli->data, strerror(errno));
		return 2;
	}
	buf = usk_dma_zmalloc(bytes, 4096, USK_ENV_NUMA_ANY);
	rc = buf != NULL && usk_nvme_ctrlr_alloc_io_qpair(cli->ctrlr, NULL, &q) == 0 ? 0 : 1;
	if (rc == 0) {
		if (is_write && fread(buf, 1, bytes, f) == 0 && ferror(f)) {
			rc = 1;
		}
		g_done = 0;
		rc = rc != 0 ? rc
			     : (is_write ? usk_nvme_ns_write(ns, q, buf, cli->start_block, blocks,
							     io_done, NULL)
					 : usk_nvme_ns_read(ns, q, buf, cli->start_block, blocks,
							    io_done, NULL));
		while (rc == 0 && !g_done) {
			usk_nvme_qpair_process_completions(q, 0);
			/* A late command's reset is done by the admin poll. */
			usk_nvme_ctrlr_process_admin_completions(cli->ctrlr);
		}
		if (rc == 0 && g_status != 0) {
			fprintf(stderr, "usk_nvme: %s failed: %s\n", is_write ? "write" : "read",
				usk_nvme_status_string(g_status));
			rc = 1;
		}
		if (rc == 0 && !is_write && fwrite(buf, 1, bytes, f) != bytes) {
			rc = 1;
		}
		usk_nvme_ctrlr_free_io_qpair(q);
	}
	if (fclose(f) != 0) {
		rc = 1;
	}
	usk_dma_free(buf);
	if (rc == 0) {
		printf("%s: Success\n", is_write ? "write" : "read");
	}
	return rc < 0 ? 2 : rc;
}

int nvme_cli_read(struct nvme_cli *cli)
{
	return run_io(cli, false);
}

int nvme_cli_write(struct nvme_cli *cli)
{
	return run_io(cli, true);
}

/* Runs one command without data that @submit starts; returns the exit status. */
static int run_no_data(struct nvme_cli *cli, const char *name,
		       int (*submit)(struct nvme_cli *cli, struct usk_nvme_ns *ns,
				     struct usk_nvme_qpair *q, void *scratch))
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid);
	void *scratch = usk_dma_zmalloc(4096, 4096, USK_ENV_NUMA_ANY);
	struct usk_nvme_qpair *q;
	int rc;

	if (ns == NULL || scratch == NULL) {
		fprintf(stderr, "usk_nvme: namespace %u is not active\n", cli->nsid);
		usk_dma_free(scratch);
		return 2;
	}
	if (usk_nvme_ctrlr_alloc_io_qpair(cli->ctrlr, NULL, &q) != 0) {
		usk_dma_free(scratch);
		return 1;
	}
	g_done = 0;
	rc = submit(cli, ns, q, scratch);
	if (rc != 0) {
		fprintf(stderr, "usk_nvme: %s: blocks %llu..%llu are beyond the namespace\n", name,
			(unsigned long long)cli->start_block,
			(unsigned long long)cli->start_block + cli->block_count);
	}
	while (rc == 0 && !g_done) {
		usk_nvme_qpair_process_completions(q, 0);
		usk_nvme_ctrlr_process_admin_completions(cli->ctrlr);
	}
	if (rc == 0 && g_status != 0) {
		fprintf(stderr, "usk_nvme: %s failed: %s\n", name,
			usk_nvme_status_string(g_status));
	}
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_dma_free(scratch);
	if (rc == 0 && g_status == 0) {
		printf("%s: Success\n", name);
	}
	return rc != 0 ? 2 : (g_status != 0);
}

static int submit_write_zeroes(struct nvme_cli *cli, struct usk_nvme_ns *ns,
			       struct usk_nvme_qpair *q, void *scratch)
{
	return usk_nvme_ns_write_zeroes(ns, q, cli->start_block, cli->block_count + 1, io_done,
					NULL);
}

static int submit_deallocate(struct nvme_cli *cli, struct usk_nvme_ns *ns, struct usk_nvme_qpair *q,
			     void *scratch)
{
	struct usk_nvme_dsm_range *range = scratch;

	*range = (struct usk_nvme_dsm_range){.lba = cli->start_block,
					     .lba_count = cli->block_count + 1};
	return usk_nvme_ns_deallocate(ns, q, range, 1, io_done, NULL);
}

static int submit_flush(struct nvme_cli *cli, struct usk_nvme_ns *ns, struct usk_nvme_qpair *q,
			void *scratch)
{
	return usk_nvme_ns_flush(ns, q, io_done, NULL);
}

int nvme_cli_write_zeroes(struct nvme_cli *cli)
{
	return run_no_data(cli, "write-zeroes", submit_write_zeroes);
}

int nvme_cli_dsm(struct nvme_cli *cli)
{
	return run_no_data(cli, "dsm", submit_deallocate);
}

int nvme_cli_flush(struct nvme_cli *cli)
{
	return run_no_data(cli, "flush", submit_flush);
}
