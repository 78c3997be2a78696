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

/* A read's or write's buffers: data (with metadata when extended) and separate metadata. */
struct io_buffers {
	uint8_t *data;
	uint64_t bytes;
	uint8_t *md;
	uint64_t md_bytes;
};

/*
 * Sizes the buffers for @blocks of @ns: with PRACT on a format whose
 * metadata is only the 8 bytes of PI, the controller inserts and strips
 * it, so the host moves data alone.
 */
static void io_sizes(const struct nvme_cli *cli, const struct usk_nvme_ns *ns, uint32_t blocks,
		     struct io_buffers *b)
{
	uint32_t ms = usk_nvme_ns_get_md_size(ns);
	bool pract_only = (cli->prinfo & 8) != 0 && ms == 8 &&
			  usk_nvme_ns_get_pi_type(ns) != USK_NVME_PI_NONE;
	uint32_t host_ms = pract_only ? 0 : ms;
	bool extended = usk_nvme_ns_supports_extended_lba(ns);

	b->bytes = (uint64_t)blocks * (usk_nvme_ns_get_block_size(ns) + (extended ? host_ms : 0));
	b->md_bytes = extended ? 0 : (uint64_t)blocks * host_ms;
}

/* Checks the request against the namespace; returns 0 or exit status 2 after saying why. */
static int io_check(const struct nvme_cli *cli, const struct usk_nvme_ns *ns,
		    const struct io_buffers *b, uint32_t blocks)
{
	const char *why = ns != NULL ? usk_nvme_ns_get_unsupported_reason(ns) : NULL;

	if (ns == NULL || why != NULL) {
		fprintf(stderr, "usk_nvme: namespace %u %s%s\n", cli->nsid,
			ns == NULL ? "is not active" : "has a format USK does not serve: ",
			why != NULL ? why : "");
		return 2;
	}
	if (b->bytes > usk_nvme_ctrlr_get_max_xfer_size(cli->ctrlr)) {
		fprintf(stderr, "usk_nvme: %u blocks are more than the %u-byte maximum transfer\n",
			blocks, usk_nvme_ctrlr_get_max_xfer_size(cli->ctrlr));
		return 2;
	}
	if ((b->md_bytes != 0) != (cli->metadata != NULL)) {
		fprintf(stderr,
			"usk_nvme: namespace %u has %s separate metadata: %s -M/--metadata\n",
			cli->nsid, b->md_bytes != 0 ? "its" : "no",
			b->md_bytes != 0 ? "give a file with" : "leave out");
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
		rc = 1;
	}
	return fclose(f) != 0 ? 1 : rc;
}

/* Sends the read or write and waits for it; returns 0, or -errno of the submission, or 1. */
static int io_submit_wait(struct nvme_cli *cli, struct usk_nvme_ns *ns, struct io_buffers *b,
			  uint32_t blocks, bool is_write)
{
	struct usk_nvme_io_opts o;
	struct usk_nvme_qpair *q;
	int rc;

	if (usk_nvme_ctrlr_alloc_io_qpair(cli->ctrlr, NULL, &q) != 0) {
		return 1;
	}
	usk_nvme_io_opts_init(&o, sizeof(o));
	/* PRINFO's bits are CDW12's 29:26: PRACT, PRCHK guard, application tag, reference tag. */
	o.io_flags = cli->prinfo << 26;
	o.md = b->md;
	g_done = 0;
	rc = is_write ? usk_nvme_ns_write_ext(ns, q, b->data, cli->start_block, blocks, io_done,
					      NULL, &o)
		      : usk_nvme_ns_read_ext(ns, q, b->data, cli->start_block, blocks, io_done,
					     NULL, &o);
	while (rc == 0 && !g_done) {
		usk_nvme_qpair_process_completions(q, 0);
		/* A late command's reset is done by the admin poll. */
		usk_nvme_ctrlr_process_admin_completions(cli->ctrlr);
	}
	if (rc != 0) {
		fprintf(stderr, "usk_nvme: %s refused: %s\n", is_write ? "write" : "read",
			strerror(-rc));
	} else if (g_status != 0) {
		fprintf(stderr, "usk_nvme: %s failed: %s\n", is_write ? "write" : "read",
			usk_nvme_status_string(g_status));
		rc = 1;
	}
	usk_nvme_ctrlr_free_io_qpair(q);
	return rc;
}

/* Runs one read or write of the whole range; returns the exit status. */
static int run_io(struct nvme_cli *cli, bool is_write)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(cli->ctrlr, cli->nsid);
	uint32_t blocks = cli->block_count + 1;
	struct io_buffers b = {0};
	int rc;

	if (ns != NULL) {
		io_sizes(cli, ns, blocks, &b);
	}
	rc = io_check(cli, ns, &b, blocks);
	if (rc != 0) {
		return rc;
	}
	b.data = usk_dma_zmalloc(b.bytes, 4096, USK_ENV_NUMA_ANY);
	b.md = b.md_bytes != 0 ? usk_dma_zmalloc(b.md_bytes, 4096, USK_ENV_NUMA_ANY) : NULL;
	rc = b.data == NULL || (b.md_bytes != 0 && b.md == NULL) ? 1 : 0;
	if (rc == 0 && is_write) {
		rc = io_file(cli->data, b.data, b.bytes, false);
		rc = rc == 0 && b.md != NULL ? io_file(cli->metadata, b.md, b.md_bytes, false) : rc;
	}
	rc = rc == 0 ? io_submit_wait(cli, ns, &b, blocks, is_write) : rc;
	if (rc == 0 && !is_write) {
		rc = io_file(cli->data, b.data, b.bytes, true);
		rc = rc == 0 && b.md != NULL ? io_file(cli->metadata, b.md, b.md_bytes, true) : rc;
	}
	usk_dma_free(b.md);
	usk_dma_free(b.data);
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
