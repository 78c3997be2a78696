/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The smallest program that embeds libusk: attach the first NVMe controller
 * bound to vfio-pci, write a message to block 0 of namespace 1, read it
 * back, print it, detach. Build it against an installed USK with
 *
 *     cc hello_world.c $(pkg-config --cflags --libs usk) -o hello_world
 *
 * and run it as root after scripts/setup.sh has bound the controller.
 */
#include <stdio.h>
#include <string.h>

#include <usk/env.h>
#include <usk/nvme.h>

static int g_done;

/* Called once per command, from usk_nvme_qpair_process_completions(). */
static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	uint16_t status = USK_NVME_STATUS_CODE(cpl->status);

	if (status != 0) {
		fprintf(stderr, "%s failed: %s\n", (const char *)arg,
			usk_nvme_status_string(status));
	}
	g_done = status == 0 ? 1 : -1;
}

/* Polls the queue pair until the one command in flight completes. */
static int wait_done(struct usk_nvme_qpair *qpair)
{
	g_done = 0;
	while (g_done == 0) {
		usk_nvme_qpair_process_completions(qpair, 0);
		/* The admin side too: a command that times out has its reset done there. */
		usk_nvme_ctrlr_process_admin_completions(usk_nvme_qpair_get_ctrlr(qpair));
	}
	return g_done == 1 ? 0 : -1;
}

/* usk_nvme_probe() asks before attaching each controller: only the first. */
static bool attach_first_only(void *ctx, const struct usk_pci_device_info *info,
			      struct usk_nvme_ctrlr_opts *opts)
{
	return *(struct usk_nvme_ctrlr **)ctx == NULL;
}

/* ...and hands over each one it attached. */
static void keep_ctrlr(void *ctx, const struct usk_pci_device_info *info,
		       struct usk_nvme_ctrlr *ctrlr)
{
	*(struct usk_nvme_ctrlr **)ctx = ctrlr;
}

int main(void)
{
	struct usk_nvme_ctrlr *ctrlr = NULL;
	const char *bdf;
	struct usk_nvme_qpair *qpair;
	struct usk_nvme_ns *ns;
	char *buf;
	int rc = 1;

	/* DMA memory, IOVAs and VFIO need the environment first. */
	if (usk_env_init(NULL) != 0) {
		return 1;
	}
	/* NULL: every controller bound to vfio-pci; the callbacks keep the first. */
	if (usk_nvme_probe(NULL, &ctrlr, attach_first_only, keep_ctrlr, NULL) < 1) {
		fprintf(stderr, "no NVMe controller on vfio-pci: run scripts/setup.sh as root\n");
		goto fini_env;
	}
	bdf = usk_nvme_ctrlr_get_name(ctrlr);
	ns = usk_nvme_ctrlr_get_ns(ctrlr, 1);
	/* One queue pair per thread; this program has one thread. */
	if (ns == NULL || usk_nvme_ctrlr_alloc_io_qpair(ctrlr, NULL, &qpair) != 0) {
		goto detach;
	}
	/* Data buffers must be DMA-able: from usk_dma_malloc() or usk_mem_register(). */
	buf = usk_dma_zmalloc(usk_nvme_ns_get_block_size(ns), 4096, USK_ENV_NUMA_ANY);
	if (buf == NULL) {
		goto free_qpair;
	}
	snprintf(buf, usk_nvme_ns_get_block_size(ns), "Hello world from USK on %s!", bdf);
	if (usk_nvme_ns_write(ns, qpair, buf, 0, 1, io_done, "write") != 0 ||
	    wait_done(qpair) != 0) {
		goto free_buf;
	}
	memset(buf, 0, usk_nvme_ns_get_block_size(ns));
	if (usk_nvme_ns_read(ns, qpair, buf, 0, 1, io_done, "read") != 0 || wait_done(qpair) != 0) {
		goto free_buf;
	}
	printf("%s\n", buf);
	rc = 0;
free_buf:
	usk_dma_free(buf);
free_qpair:
	usk_nvme_ctrlr_free_io_qpair(qpair);
detach:
	usk_nvme_ctrlr_detach(ctrlr);
fini_env:
	usk_env_fini();
	return rc;
}
