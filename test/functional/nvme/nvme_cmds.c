/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write Zeroes, Dataset Management (deallocate), Compare and Flush through
 * lib/nvme on the first controller bound to vfio-pci, checked as the NVM
 * command set specification says they behave. Exits 0 when all do.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static int g_calls;
static uint16_t g_status;
static int g_failures;

static void done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_calls++;
	g_status = USK_NVME_STATUS_CODE(cpl->status);
}

/* Waits for the one command in flight; returns its status. */
static uint16_t wait_one(struct usk_nvme_qpair *q, int rc)
{
	int want = g_calls + 1;

	if (rc != 0) {
		return 0xffff;
	}
	while (g_calls < want) {
		usk_nvme_qpair_process_completions(q, 0);
	}
	return g_status;
}

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	g_failures += !ok;
}

static int first_on_vfio(void *ctx, const struct usk_pci_device_info *info)
{
	if (strcmp(info->driver, "vfio-pci") != 0) {
		return 0;
	}
	usk_pci_addr_fmt(ctx, USK_PCI_ADDR_STRLEN, &info->addr);
	return 1;
}

/* Whether deallocated blocks read as zeroes (NVM 4.1.5.1, DLFEAT bits 2:0 = 001b). */
static int reads_zero_after_deallocate(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_ns_data *nd = usk_dma_zmalloc(sizeof(*nd), 4096, -1);
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_IDENTIFY, .nsid = 1};
	int zero = nd != NULL &&
		   usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, nd, sizeof(*nd), NULL) == 0 &&
		   (nd->dlfeat & 7) == 1;

	usk_dma_free(nd);
	return zero;
}

static void run(struct usk_nvme_ctrlr *c, struct usk_nvme_ns *ns, struct usk_nvme_qpair *q)
{
	uint32_t bs = usk_nvme_ns_get_block_size(ns);
	uint8_t *buf = usk_dma_malloc(64 * bs, 4096, -1);
	uint8_t *zero = usk_dma_zmalloc(64 * bs, 4096, -1);
	struct usk_nvme_dsm_range *range = usk_dma_zmalloc(sizeof(*range), 64, -1);

	memset(buf, 0xa5, 64 * bs);
	check("write 64 blocks",
	      wait_one(q, usk_nvme_ns_write(ns, q, buf, 0, 64, done, NULL)) == 0);
	check("compare equal data succeeds",
	      wait_one(q, usk_nvme_ns_compare(ns, q, buf, 0, 64, done, NULL)) == 0);
	buf[5 * bs + 7] ^= 0xff;
	check("compare changed data fails with Compare Failure (0x285)",
	      wait_one(q, usk_nvme_ns_compare(ns, q, buf, 0, 64, done, NULL)) == 0x285);
	check("write zeroes on blocks 0..15",
	      wait_one(q, usk_nvme_ns_write_zeroes(ns, q, 0, 16, done, NULL)) == 0);
	check("flush", wait_one(q, usk_nvme_ns_flush(ns, q, done, NULL)) == 0);
	check("read 64 blocks", wait_one(q, usk_nvme_ns_read(ns, q, buf, 0, 64, done, NULL)) == 0);
	check("blocks 0..15 read zeroes", memcmp(buf, zero, 16 * bs) == 0);
	check("block 16 kept its data", buf[16 * bs] == 0xa5);
	*range = (struct usk_nvme_dsm_range){.lba = 32, .lba_count = 16};
	check("deallocate blocks 32..47",
	      wait_one(q, usk_nvme_ns_deallocate(ns, q, range, 1, done, NULL)) == 0);
	check("read after deallocate",
	      wait_one(q, usk_nvme_ns_read(ns, q, buf, 0, 64, done, NULL)) == 0);
	if (reads_zero_after_deallocate(c)) {
		check("deallocated blocks read zeroes (DLFEAT says so)",
		      memcmp(buf + 32 * bs, zero, 16 * bs) == 0);
	}
	check("block 48 kept its data", buf[48 * bs] == 0xa5);
	usk_dma_free(range);
	usk_dma_free(zero);
	usk_dma_free(buf);
}

int main(void)
{
	char bdf[USK_PCI_ADDR_STRLEN];
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct usk_nvme_ns *ns;

	if (usk_env_init(NULL) != 0 ||
	    usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, first_on_vfio, bdf) != 1 ||
	    usk_nvme_ctrlr_attach(bdf, NULL, &c) != 0) {
		fprintf(stderr, "nvme_cmds: no controller on vfio-pci\n");
		return 1;
	}
	ns = usk_nvme_ctrlr_get_ns(c, 1);
	if (ns == NULL || usk_nvme_ctrlr_alloc_io_qpair(c, 0, &q) != 0) {
		return 1;
	}
	run(c, ns, q);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	usk_env_fini();
	return g_failures == 0 ? 0 : 1;
}
