/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nvme_internal.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static struct nvme_model *g_model;
static struct usk_nvme_ctrlr *g_ctrlr;
static struct usk_nvme_ns *g_ns;

static void wait_for(struct usk_nvme_qpair *q, const int *calls, int want)
{
	nvme_model_poll_until(q, calls, want, 30);
}

static void test_write_read_back(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r = {0};
	uint8_t *buf = usk_dma_malloc(16 * 1024, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	for (int i = 0; i < 16 * 1024; i++) {
		buf[i] = (uint8_t)(i * 7);
	}
	/* 12 KiB at a sector offset: PRP1 mid-page plus a PRP list. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, q, buf + 512, 100, 24, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 100 * 512, buf + 512, 24 * 512), 0);
	memset(buf, 0, 16 * 1024);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 100, 24, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 100 * 512, buf, 24 * 512), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_flush(g_ns, q, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(r.calls, 3);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

static void test_bad_requests_refused(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r = {0};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);
	static uint8_t not_dma[4096];

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 2047, 2, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 0, 0, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, UINT64_MAX, 2, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, not_dma, 0, 1, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf + 2, 0, 1, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

static void test_error_status_reaches_caller(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r[3] = {{0}};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	nvme_model_inject_status(g_model, USK_NVME_OPC_READ, 0x281, 1);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	wait_for(q, &r[2].calls, 1);
	wait_for(q, &r[1].calls, 1);
	CU_ASSERT_EQUAL(r[0].status, 0x281);
	CU_ASSERT_EQUAL(r[1].status, 0);
	CU_ASSERT_EQUAL(r[2].status, 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
	}
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

static void test_free_fails_waiting_commands_once(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r[6] = {{0}};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(g_ctrlr, 4, &q), 0);
	/* The first three never complete; the other three wait behind them. */
	nvme_model_drop_completions(g_model, 3);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(g_model));
	usk_nvme_qpair_process_completions(q, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 6);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	/* The controller ends the three it holds as it deletes their SQ; the driver the rest. */
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, i < 3 ? USK_NVME_SC_ABORTED_SQ_DELETION
						   : USK_NVME_SC_ABORTED_BY_REQUEST);
	}
	usk_dma_free(buf);
}

static void test_free_completes_lost_commands_once(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r[4] = {{0}};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(g_ctrlr, 16, &q), 0);
	nvme_model_drop_completions(g_model, 2);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	wait_for(q, &r[3].calls, 1);
	wait_for(q, &r[2].calls, 1);
	CU_ASSERT_EQUAL(r[0].calls, 0);
	CU_ASSERT_EQUAL(r[1].calls, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 2);
	/*
	 * Deleting the queue pair ends the two lost ones, each exactly once: the
	 * controller aborts what it holds when their SQ is deleted (base 5.6).
	 */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
	}
	CU_ASSERT_EQUAL(r[0].status, USK_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(r[1].status, USK_NVME_SC_ABORTED_SQ_DELETION);
	usk_dma_free(buf);
}

static void test_zeroes_deallocate_compare(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r = {0};
	uint8_t *buf = usk_dma_malloc(8 * 512, 4096, -1);
	struct usk_nvme_dsm_range *ranges = usk_dma_zmalloc(2 * sizeof(*ranges), 64, -1);
	uint8_t *media = nvme_model_ns_data(g_model, 1);
	static const uint8_t zero[8 * 512];

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	memset(buf, 0x5a, 8 * 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, q, buf, 200, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 1);
	/* Compare: equal data succeeds, one changed byte is a Compare Failure. */
	CU_ASSERT_EQUAL(usk_nvme_ns_compare(g_ns, q, buf, 200, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	buf[1000] ^= 1;
	CU_ASSERT_EQUAL(usk_nvme_ns_compare(g_ns, q, buf, 200, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(r.status, 0x285);
	/* Write zeroes on the first four blocks, deallocate the last two. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(g_ns, q, 200, 4, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 4);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(media + 200 * 512, zero, 4 * 512), 0);
	CU_ASSERT_EQUAL(media[204 * 512], 0x5a);
	ranges[0] = (struct usk_nvme_dsm_range){.lba = 206, .lba_count = 2};
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(g_ns, q, ranges, 1, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 5);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(media + 206 * 512, zero, 2 * 512), 0);
	CU_ASSERT_EQUAL(media[205 * 512], 0x5a);
	/* Refused at once: bad ranges and counts. */
	ranges[1] = (struct usk_nvme_dsm_range){.lba = 2047, .lba_count = 2};
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(g_ns, q, ranges, 2, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(g_ns, q, ranges, 0, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(g_ns, q, 2047, 2, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(g_ns, q, 0, 0, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(r.calls, 5);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(ranges);
	usk_dma_free(buf);
}

/* CDW12 of the last command the model fetched from @q. */
static uint32_t last_cdw12(struct usk_nvme_qpair *q)
{
	struct usk_nvme_sqe sqe;

	nvme_model_last_sqe(g_model, q->id, &sqe);
	return sqe.cdw12;
}

static void test_io_flags_in_cdw12(void)
{
	const uint32_t fua_lr = USK_NVME_IO_FLAGS_FUA | USK_NVME_IO_FLAGS_LIMITED_RETRY;
	struct usk_nvme_qpair *q;
	struct usk_nvme_io_opts opts;
	struct nvme_model_result r = {0};
	uint8_t *buf = usk_dma_malloc(2 * 4096, 4096, -1);
	/* With PRPs the elements meet on a page boundary. */
	struct iovec iov[2] = {{buf + 2048, 2048}, {buf + 4096, 2048}};

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	memset(buf, 0x3c, 8 * 512);
	usk_nvme_io_opts_init(&opts, sizeof(opts));
	opts.io_flags = fua_lr;
	/* The flags sit above NLB (0's based) in each command's CDW12. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write_ext(g_ns, q, buf, 300, 8, nvme_model_result_done, &r, &opts), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | fua_lr);
	CU_ASSERT_EQUAL(nvme_model_ns_data(g_model, 1)[300 * 512], 0x3c);
	opts.io_flags = USK_NVME_IO_FLAGS_FUA;
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, nvme_model_result_done, &r, &opts), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | USK_NVME_IO_FLAGS_FUA);
	opts.io_flags = USK_NVME_IO_FLAGS_LIMITED_RETRY;
	CU_ASSERT_EQUAL(usk_nvme_ns_writev_ext(g_ns, q, iov, 2, 300, 8, nvme_model_result_done, &r, &opts), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | USK_NVME_IO_FLAGS_LIMITED_RETRY);
	opts.io_flags = fua_lr;
	CU_ASSERT_EQUAL(usk_nvme_ns_readv_ext(g_ns, q, iov, 2, 300, 8, nvme_model_result_done, &r, &opts), 0);
	wait_for(q, &r.calls, 4);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | fua_lr);
	/* No options, and options of a caller that knows only opts_size: no flags. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, nvme_model_result_done, &r, NULL), 0);
	wait_for(q, &r.calls, 5);
	CU_ASSERT_EQUAL(last_cdw12(q), 7);
	opts.opts_size = sizeof(size_t);
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, nvme_model_result_done, &r, &opts), 0);
	wait_for(q, &r.calls, 6);
	CU_ASSERT_EQUAL(last_cdw12(q), 7);
	CU_ASSERT_EQUAL(r.status, 0);
	/* A flag this library does not know, or options it cannot read: refused, nothing sent. */
	usk_nvme_io_opts_init(&opts, sizeof(opts));
	opts.io_flags = USK_NVME_IO_FLAGS_FUA | 1u << 25;
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, nvme_model_result_done, &r, &opts), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_writev_ext(g_ns, q, iov, 2, 300, 8, nvme_model_result_done, &r, &opts), -EINVAL);
	opts.io_flags = 0;
	opts.opts_size = 0;
	CU_ASSERT_EQUAL(usk_nvme_ns_write_ext(g_ns, q, buf, 300, 8, nvme_model_result_done, &r, &opts), -EINVAL);
	opts.opts_size = sizeof(opts) + 1;
	CU_ASSERT_EQUAL(usk_nvme_ns_readv_ext(g_ns, q, iov, 2, 300, 8, nvme_model_result_done, &r, &opts), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	CU_ASSERT_EQUAL(r.calls, 6);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

static void test_sgl_any_alignment(void)
{
	/* A controller with SGLs takes data at any byte; one without refuses it. */
	struct nvme_model_opts mo;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct nvme_model_result r = {0};
	uint8_t *buf = usk_dma_malloc(3 * 4096, 4096, -1);

	nvme_model_opts_init(&mo);
	mo.sgls = true;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), NULL, &c), 0);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_uses_sgls(c));
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, 1);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	for (int i = 0; i < 8 * 512; i++) {
		buf[1 + i] = (uint8_t)(i * 13);
	}
	CU_ASSERT_EQUAL(usk_nvme_ns_write(ns, q, buf + 1, 40, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(model, 1) + 40 * 512, buf + 1, 8 * 512), 0);
	memset(buf, 0, 3 * 4096);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf + 4097, 40, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(model, 1) + 40 * 512, buf + 4097, 8 * 512), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(model);
	/* The shared controller of this suite has no SGLs: odd buffers are refused. */
	CU_ASSERT_FALSE(usk_nvme_ctrlr_uses_sgls(g_ctrlr));
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf + 1, 0, 1, nvme_model_result_done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

/*
 * The model reaches memory through its own table of what the driver
 * mapped, as a device behind an IOMMU: a page taken out of that table only
 * (the driver still translates it) fails the command that points at it
 * with Data Transfer Error, counts one DMA fault, and moves no data.
 */
static void test_unmapped_buffer_is_a_transfer_error(void)
{
	struct usk_nvme_qpair *q;
	struct nvme_model_result r = {0};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);
	uint8_t *media = nvme_model_ns_data(g_model, 1);
	uint64_t faults = nvme_model_dma_faults(g_model);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	memset(media + 300 * 512, 0xa5, 8 * 512);
	memset(buf, 0x11, 4096);
	CU_ASSERT_EQUAL_FATAL(nvme_model_dma_revoke(buf, 4096), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 300, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, USK_NVME_SC_DATA_TRANSFER_ERROR);
	CU_ASSERT_EQUAL(nvme_model_dma_faults(g_model) - faults, 1);
	CU_ASSERT_EQUAL(buf[0], 0x11);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, q, buf, 300, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, USK_NVME_SC_DATA_TRANSFER_ERROR);
	CU_ASSERT_EQUAL(nvme_model_dma_faults(g_model) - faults, 2);
	CU_ASSERT_EQUAL(media[300 * 512], 0xa5);
	/* Mapped again, the same read moves the data. */
	CU_ASSERT_EQUAL_FATAL(nvme_model_dma_restore(buf, 4096), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 300, 8, nvme_model_result_done, &r), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(buf[4095], 0xa5);
	CU_ASSERT_EQUAL(nvme_model_dma_faults(g_model) - faults, 2);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

/*
 * MDTS 1 (8 KiB): the driver splits a 64 KiB read into eight commands the
 * controller takes; a command built by hand past MDTS (the driver's raw
 * submit does not split) ends with Invalid Field in Command, one at MDTS
 * goes through.
 */
static void test_mdts_enforced(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};

	nvme_model_opts_init(&mo);
	mo.mdts = 1;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_max_xfer_size(f.c), 8192);
	for (uint32_t i = 0; i < 64 * 1024; i++) {
		nvme_model_ns_data(f.model, 1)[i] = (uint8_t)(i * 3 + 1);
	}
	uint64_t commands = nvme_model_io_completed(f.model);

	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 128, nvme_model_result_done, &r), 0);
	wait_for(f.q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(nvme_model_io_completed(f.model) - commands, 8);
	CU_ASSERT_EQUAL(memcmp(f.buf, nvme_model_ns_data(f.model, 1), 64 * 1024), 0);

	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_READ, .nsid = 1, .cdw12 = 32 - 1};

	r.calls = 0;
	CU_ASSERT_EQUAL(nvme_qpair_submit(f.q, &cmd, f.buf, 32 * 512, nvme_model_result_done, &r), 0);
	wait_for(f.q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, USK_NVME_SC_INVALID_FIELD);
	cmd.cdw12 = 16 - 1;
	CU_ASSERT_EQUAL(nvme_qpair_submit(f.q, &cmd, f.buf, 16 * 512, nvme_model_result_done, &r), 0);
	wait_for(f.q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * An MDTS far above what the driver can point at (2 MiB, one PRP list)
 * leaves the driver's limit: reads go out in commands of 2 MiB. The bug:
 * 4 KiB << MDTS overflowed from MDTS 52 on, the maximum transfer became 0
 * (or, past 63, whatever the shift gave), and a read looped for ever
 * splitting into commands of no block.
 */
static void test_mdts_beyond_the_shift(void)
{
	static const uint8_t mdts[] = {9, 51, 52, 60, 63, 64, 255};
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};

	for (size_t i = 0; i < sizeof(mdts); i++) {
		nvme_model_opts_init(&mo);
		mo.mdts = mdts[i];
		CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 0), 0);
		CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_get_max_xfer_size(f.c), 2u << 20);
		r.calls = 0;
		CU_ASSERT_EQUAL(
			usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 8, nvme_model_result_done, &r), 0);
		wait_for(f.q, &r.calls, 1);
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	}
}

/* Whether some callback ran before one submitted ahead of it. */
static bool out_of_order(const struct nvme_model_result *r, int n)
{
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			if (r[i].order > r[j].order) {
				return true;
			}
		}
	}
	return false;
}

/*
 * A device with a reorder window of 8: every kind of command, a split one
 * (two commands past MDTS) and a vectored one, lined up so the model sees
 * all ten at once; their completions come back shuffled, all in one reap,
 * and each callback runs once with its own result and data.
 */
static void test_out_of_order_every_type(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct nvme_model_result r[9] = {{0}};
	uint8_t *big = usk_dma_malloc(192 * 1024, 4096, -1);
	struct usk_nvme_dsm_range *range = usk_dma_zmalloc(sizeof(*range), 64, -1);
	static const uint8_t zero[4096];

	nvme_model_opts_init(&mo);
	mo.reorder_window = 8;
	mo.seed = 15;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 32), 0);
	uint8_t *media = nvme_model_ns_data(f.model, 1);
	struct iovec iov[3] = {{f.buf + 16384, 4096}, {f.buf + 32768, 4096}, {f.buf + 49152, 4096}};

	for (uint32_t i = 0; i < 2048 * 512; i++) {
		media[i] = (uint8_t)(i * 5 + 3);
	}
	memset(f.buf + 4096, 0x42, 4096);
	memcpy(f.buf + 8192, media + 32 * 512, 4096);
	memset(f.buf + 12288, 0x17, 4096);
	for (int i = 0; i < 3; i++) {
		memset(iov[i].iov_base, 0x60 + i, 4096);
	}
	*range = (struct usk_nvme_dsm_range){.lba = 80, .lba_count = 8};
	nvme_model_results_restart();
	nvme_model_pause(f.model, true);
	uint64_t posted = nvme_model_io_cqes_posted(f.model);

	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 8, nvme_model_result_done, &r[0]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(f.ns, f.q, f.buf + 4096, 16, 8, nvme_model_result_done, &r[1]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_compare(f.ns, f.q, f.buf + 8192, 32, 8, nvme_model_result_done, &r[2]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_compare(f.ns, f.q, f.buf + 12288, 48, 8, nvme_model_result_done, &r[3]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(f.ns, f.q, 64, 8, nvme_model_result_done, &r[4]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(f.ns, f.q, range, 1, nvme_model_result_done, &r[5]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_flush(f.ns, f.q, nvme_model_result_done, &r[6]), 0);
	/* 192 KiB past MDTS 5 (128 KiB): two commands, one callback. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, big, 1024, 384, nvme_model_result_done, &r[7]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_writev(f.ns, f.q, iov, 3, 200, 24, nvme_model_result_done, &r[8]), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 10);
	nvme_model_pause(f.model, false);
	for (int i = 0; i < 30000 && nvme_model_io_cqes_posted(f.model) - posted < 10; i++) {
		usleep(1000);
	}
	CU_ASSERT_EQUAL_FATAL(nvme_model_io_cqes_posted(f.model) - posted, 10);
	/* Ten entries wait in the CQ: one reap takes them all. */
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 10);
	for (int i = 0; i < 9; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, i == 3 ? 0x285 : 0);
	}
	CU_ASSERT_TRUE(out_of_order(r, 9));
	CU_ASSERT_EQUAL(memcmp(f.buf, media, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(media + 16 * 512, f.buf + 4096, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(media + 64 * 512, zero, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(media + 80 * 512, zero, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(big, media + 1024 * 512, 192 * 1024), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(memcmp(media + (200 + 8 * i) * 512, iov[i].iov_base, 4096), 0);
	}
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	usk_dma_free(range);
	usk_dma_free(big);
}

/*
 * A window larger than the CQ (4 entries, 3 usable) and batches of 4: the
 * model holds what it can, posts what fits, and a closed loop of 3000
 * reads never stalls.
 */
static void test_reorder_window_larger_than_cq(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct nvme_model_loop l = {.target = 3000};

	nvme_model_opts_init(&mo);
	mo.reorder_window = 8;
	mo.completion_batch = 4;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 4), 0);
	l.ns = f.ns;
	l.q = f.q;
	l.buf = f.buf;
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvme_model_loop_submit(&l), 0);
	}
	wait_for(l.q, &l.completed, l.target);
	CU_ASSERT_EQUAL(l.completed, l.target);
	CU_ASSERT_EQUAL(l.errors, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(l.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * Batches of 4 without a reorder window: the model posts together what it
 * held, in the order it fetched it; eight reads lined up complete in
 * submission order, all found by one reap.
 */
static void test_completion_batch_keeps_order(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct nvme_model_result r[8] = {{0}};

	nvme_model_opts_init(&mo);
	mo.completion_batch = 4;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 32), 0);
	nvme_model_results_restart();
	nvme_model_pause(f.model, true);
	uint64_t posted = nvme_model_io_cqes_posted(f.model);

	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(
			usk_nvme_ns_read(f.ns, f.q, f.buf + i * 512, (uint64_t)i, 1, nvme_model_result_done, &r[i]),
			0);
	}
	nvme_model_pause(f.model, false);
	for (int i = 0; i < 30000 && nvme_model_io_cqes_posted(f.model) - posted < 8; i++) {
		usleep(1000);
	}
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 8);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, 0);
		CU_ASSERT_EQUAL(r[i].order, i);
	}
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_write_read_back),
		UT_TEST(test_bad_requests_refused),
		UT_TEST(test_error_status_reaches_caller),
		UT_TEST(test_free_fails_waiting_commands_once),
		UT_TEST(test_free_completes_lost_commands_once),
		UT_TEST(test_sgl_any_alignment),
		UT_TEST(test_zeroes_deallocate_compare),
		UT_TEST(test_io_flags_in_cdw12),
		UT_TEST(test_unmapped_buffer_is_a_transfer_error),
		UT_TEST(test_mdts_enforced),
		UT_TEST(test_mdts_beyond_the_shift),
		UT_TEST(test_out_of_order_every_type),
		UT_TEST(test_reorder_window_larger_than_cq),
		UT_TEST(test_completion_batch_keeps_order),
	};
	struct nvme_model_opts mo;
	int rc;

	usk_log_set_level(USK_LOG_WARN);
	nvme_model_opts_init(&mo);
	if (usk_env_init(NULL) != 0 || nvme_model_create(&mo, &g_model) != 0 ||
	    usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_ctrlr) != 0) {
		return 99;
	}
	g_ns = usk_nvme_ctrlr_get_ns(g_ctrlr, 1);
	rc = UT_RUN("nvme_ns", tests);
	usk_nvme_ctrlr_detach(g_ctrlr);
	nvme_model_destroy(g_model);
	usk_env_fini();
	return rc;
}
