/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Write Zeroes, Dataset Management (deallocate), Compare and Flush through
 * lib/nvme on the first controller bound to vfio-pci, checked as the NVM
 * command set specification says they behave; then vectored I/O (split
 * above the maximum transfer too), a controller reset with I/O in flight,
 * and a SMART asynchronous event raised by lowering the temperature
 * threshold. Exits 0 when all pass.
 */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
		usk_nvme_ctrlr_process_admin_completions(usk_nvme_qpair_get_ctrlr(q));
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

/* writev from three elements at odd offsets, readv into two, byte for byte. */
static void run_vectored(struct usk_nvme_ns *ns, struct usk_nvme_qpair *q, uint32_t bs)
{
	uint8_t *src = usk_dma_malloc(4 * 4096, 4096, -1);
	uint8_t *dst = usk_dma_zmalloc(4 * 4096, 4096, -1);
	/* SGLs (QEMU has them) take any byte; the pieces add up to 8 blocks. */
	struct iovec w[3] = {{src + 1, 3 * bs}, {src + 4096 + 7, 4 * bs}, {src + 8192 + 3, bs}};
	struct iovec r[2] = {{dst + 5, 5 * bs}, {dst + 8192 + 9, 3 * bs}};

	for (uint32_t i = 0; i < 4 * 4096; i++) {
		src[i] = (uint8_t)(i * 31 + 7);
	}
	check("writev of 3 elements",
	      wait_one(q, usk_nvme_ns_writev(ns, q, w, 3, 200, 8, done, NULL)) == 0);
	check("readv into 2 elements",
	      wait_one(q, usk_nvme_ns_readv(ns, q, r, 2, 200, 8, done, NULL)) == 0);
	check("readv returns what writev wrote",
	      memcmp(dst + 5, src + 1, 3 * bs) == 0 &&
		      memcmp(dst + 5 + 3 * bs, src + 4096 + 7, 2 * bs) == 0 &&
		      memcmp(dst + 8192 + 9, src + 4096 + 7 + 2 * bs, 2 * bs) == 0 &&
		      memcmp(dst + 8192 + 9 + 2 * bs, src + 8192 + 3, bs) == 0);
	usk_dma_free(dst);
	usk_dma_free(src);
}

/*
 * Three maximum transfers from two elements, the cut between them off the
 * command boundaries: split into several commands, read back flat.
 */
static void run_vectored_split(struct usk_nvme_ctrlr *c, struct usk_nvme_ns *ns,
			       struct usk_nvme_qpair *q)
{
	uint32_t bs = usk_nvme_ns_get_block_size(ns);
	uint32_t total = 3 * usk_nvme_ctrlr_get_max_xfer_size(c);
	uint8_t *src = usk_dma_malloc(total + 4096, 4096, -1);
	uint8_t *dst = usk_dma_zmalloc(total, 4096, -1);
	struct iovec w[2] = {{src + 4096 + 3, total / 2 + bs}, {src, total / 2 - bs}};

	for (uint32_t i = 0; i < total + 4096; i++) {
		src[i] = (uint8_t)(i * 13 + 5);
	}
	check("writev of 3 x MDTS from 2 elements",
	      wait_one(q, usk_nvme_ns_writev(ns, q, w, 2, 1024, total / bs, done, NULL)) == 0);
	check("read it back flat",
	      wait_one(q, usk_nvme_ns_read(ns, q, dst, 1024, total / bs, done, NULL)) == 0);
	check("it reads back as the two elements, in order",
	      memcmp(dst, w[0].iov_base, w[0].iov_len) == 0 &&
		      memcmp(dst + w[0].iov_len, w[1].iov_base, w[1].iov_len) == 0);
	usk_dma_free(dst);
	usk_dma_free(src);
}

/* 32 reads in flight, then a reset: each completes once; then I/O works again. */
static void run_reset(struct usk_nvme_ctrlr *c, struct usk_nvme_ns *ns, struct usk_nvme_qpair *q)
{
	uint32_t bs = usk_nvme_ns_get_block_size(ns);
	uint8_t *buf = usk_dma_malloc(32 * bs, 4096, -1);
	int start = g_calls, submitted = 0;
	time_t end = time(NULL) + 10;

	for (int i = 0; i < 32; i++) {
		submitted += usk_nvme_ns_read(ns, q, buf + i * bs, (uint64_t)i, 1, done, NULL) == 0;
	}
	check("reset with 32 reads in flight", usk_nvme_ctrlr_reset(c) == 0);
	while (g_calls - start < submitted && time(NULL) <= end) {
		usk_nvme_qpair_process_completions(q, 0);
	}
	check("every read completed exactly once", submitted == 32 && g_calls - start == 32);
	check("the queue pair works after the reset",
	      wait_one(q, usk_nvme_ns_read(ns, q, buf, 0, 8, done, NULL)) == 0);
	usk_dma_free(buf);
}

static int g_events;
static uint32_t g_event;

static void on_event(void *ctx, struct usk_nvme_ctrlr *c, uint32_t dw0)
{
	g_events++;
	g_event = dw0;
}

/*
 * A temperature threshold under the device's temperature makes QEMU's
 * controller raise a SMART event (type 1, info 1, log page 02h).
 */
static void run_async_event(struct usk_nvme_ctrlr *c)
{
	/* Feature 04h, CDW11: the threshold in kelvin; QEMU reports about 323 K. */
	const uint8_t fid_temp = 0x04;
	uint32_t old = 0;
	time_t end = time(NULL) + 10;

	usk_nvme_ctrlr_set_aer_cb(c, on_event, NULL);
	check("get the temperature threshold",
	      usk_nvme_ctrlr_get_feature(c, fid_temp, 0, &old) == 0);
	check("set it to 200 K", usk_nvme_ctrlr_set_feature(c, fid_temp, 200, NULL) == 0);
	while (g_events == 0 && time(NULL) <= end) {
		usk_nvme_ctrlr_process_admin_completions(c);
		sched_yield();
	}
	check("a SMART temperature event arrives",
	      g_events == 1 && USK_NVME_AER_TYPE(g_event) == USK_NVME_AER_TYPE_SMART &&
		      USK_NVME_AER_INFO(g_event) == 1 && USK_NVME_AER_LOG_PAGE(g_event) == 2);
	check("restore the threshold",
	      usk_nvme_ctrlr_set_feature(c, fid_temp, old & 0xffff, NULL) == 0);
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
	if (ns == NULL || usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q) != 0) {
		return 1;
	}
	run(c, ns, q);
	run_vectored(ns, q, usk_nvme_ns_get_block_size(ns));
	run_vectored_split(c, ns, q);
	run_reset(c, ns, q);
	run_async_event(c);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	usk_env_fini();
	return g_failures == 0 ? 0 : 1;
}
