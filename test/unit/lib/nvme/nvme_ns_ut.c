/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_internal.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static struct nvme_model *g_model;
static struct usk_nvme_ctrlr *g_ctrlr;
static struct usk_nvme_ns *g_ns;

struct result {
	int calls;
	uint16_t status;
};

static void done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct result *r = arg;

	r->calls++;
	r->status = USK_NVME_STATUS_CODE(cpl->status);
}

static void wait_for(struct usk_nvme_qpair *q, const int *calls, int want)
{
	nvme_model_poll_until(q, calls, want, 30);
}

static void test_write_read_back(void)
{
	struct usk_nvme_qpair *q;
	struct result r = {0};
	uint8_t *buf = usk_dma_malloc(16 * 1024, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	for (int i = 0; i < 16 * 1024; i++) {
		buf[i] = (uint8_t)(i * 7);
	}
	/* 12 KiB at a sector offset: PRP1 mid-page plus a PRP list. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, q, buf + 512, 100, 24, done, &r), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 100 * 512, buf + 512, 24 * 512), 0);
	memset(buf, 0, 16 * 1024);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 100, 24, done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 100 * 512, buf, 24 * 512), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_flush(g_ns, q, done, &r), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(r.calls, 3);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

static void test_bad_requests_refused(void)
{
	struct usk_nvme_qpair *q;
	struct result r = {0};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);
	static uint8_t not_dma[4096];

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 2047, 2, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, 0, 0, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, UINT64_MAX, 2, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, not_dma, 0, 1, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf + 2, 0, 1, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
}

static void test_error_status_reaches_caller(void)
{
	struct usk_nvme_qpair *q;
	struct result r[3] = {{0}};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	nvme_model_inject_status(g_model, USK_NVME_OPC_READ, 0x281, 1);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, (uint64_t)i, 1, done, &r[i]), 0);
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
	struct result r[6] = {{0}};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(g_ctrlr, 4, &q), 0);
	/* The first three never complete; the other three wait behind them. */
	nvme_model_drop_completions(g_model, 3);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, (uint64_t)i, 1, done, &r[i]), 0);
	}
	usk_nvme_qpair_process_completions(q, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 6);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, USK_NVME_SC_ABORTED_BY_REQUEST);
	}
	usk_dma_free(buf);
}

static void test_free_completes_lost_commands_once(void)
{
	struct usk_nvme_qpair *q;
	struct result r[4] = {{0}};
	uint8_t *buf = usk_dma_malloc(4096, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(g_ctrlr, 16, &q), 0);
	nvme_model_drop_completions(g_model, 2);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf, (uint64_t)i, 1, done, &r[i]), 0);
	}
	wait_for(q, &r[3].calls, 1);
	wait_for(q, &r[2].calls, 1);
	CU_ASSERT_EQUAL(r[0].calls, 0);
	CU_ASSERT_EQUAL(r[1].calls, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 2);
	/* Deleting the queue pair ends the two lost ones, each exactly once. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
	}
	CU_ASSERT_EQUAL(r[0].status, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(r[1].status, USK_NVME_SC_ABORTED_BY_REQUEST);
	usk_dma_free(buf);
}

static void test_zeroes_deallocate_compare(void)
{
	struct usk_nvme_qpair *q;
	struct result r = {0};
	uint8_t *buf = usk_dma_malloc(8 * 512, 4096, -1);
	struct usk_nvme_dsm_range *ranges = usk_dma_zmalloc(2 * sizeof(*ranges), 64, -1);
	uint8_t *media = nvme_model_ns_data(g_model, 1);
	static const uint8_t zero[8 * 512];

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	memset(buf, 0x5a, 8 * 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, q, buf, 200, 8, done, &r), 0);
	wait_for(q, &r.calls, 1);
	/* Compare: equal data succeeds, one changed byte is a Compare Failure. */
	CU_ASSERT_EQUAL(usk_nvme_ns_compare(g_ns, q, buf, 200, 8, done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	buf[1000] ^= 1;
	CU_ASSERT_EQUAL(usk_nvme_ns_compare(g_ns, q, buf, 200, 8, done, &r), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(r.status, 0x285);
	/* Write zeroes on the first four blocks, deallocate the last two. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(g_ns, q, 200, 4, done, &r), 0);
	wait_for(q, &r.calls, 4);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(media + 200 * 512, zero, 4 * 512), 0);
	CU_ASSERT_EQUAL(media[204 * 512], 0x5a);
	ranges[0] = (struct usk_nvme_dsm_range){.lba = 206, .lba_count = 2};
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(g_ns, q, ranges, 1, done, &r), 0);
	wait_for(q, &r.calls, 5);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(media + 206 * 512, zero, 2 * 512), 0);
	CU_ASSERT_EQUAL(media[205 * 512], 0x5a);
	/* Refused at once: bad ranges and counts. */
	ranges[1] = (struct usk_nvme_dsm_range){.lba = 2047, .lba_count = 2};
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(g_ns, q, ranges, 2, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_deallocate(g_ns, q, ranges, 0, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(g_ns, q, 2047, 2, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_write_zeroes(g_ns, q, 0, 0, done, &r), -EINVAL);
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
	struct result r = {0};
	uint8_t *buf = usk_dma_malloc(2 * 4096, 4096, -1);
	/* With PRPs the elements meet on a page boundary. */
	struct iovec iov[2] = {{buf + 2048, 2048}, {buf + 4096, 2048}};

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	memset(buf, 0x3c, 8 * 512);
	usk_nvme_io_opts_init(&opts, sizeof(opts));
	opts.io_flags = fua_lr;
	/* The flags sit above NLB (0's based) in each command's CDW12. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write_ext(g_ns, q, buf, 300, 8, done, &r, &opts), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | fua_lr);
	CU_ASSERT_EQUAL(nvme_model_ns_data(g_model, 1)[300 * 512], 0x3c);
	opts.io_flags = USK_NVME_IO_FLAGS_FUA;
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, done, &r, &opts), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | USK_NVME_IO_FLAGS_FUA);
	opts.io_flags = USK_NVME_IO_FLAGS_LIMITED_RETRY;
	CU_ASSERT_EQUAL(usk_nvme_ns_writev_ext(g_ns, q, iov, 2, 300, 8, done, &r, &opts), 0);
	wait_for(q, &r.calls, 3);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | USK_NVME_IO_FLAGS_LIMITED_RETRY);
	opts.io_flags = fua_lr;
	CU_ASSERT_EQUAL(usk_nvme_ns_readv_ext(g_ns, q, iov, 2, 300, 8, done, &r, &opts), 0);
	wait_for(q, &r.calls, 4);
	CU_ASSERT_EQUAL(last_cdw12(q), 7 | fua_lr);
	/* No options, and options of a caller that knows only opts_size: no flags. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, done, &r, NULL), 0);
	wait_for(q, &r.calls, 5);
	CU_ASSERT_EQUAL(last_cdw12(q), 7);
	opts.opts_size = sizeof(size_t);
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, done, &r, &opts), 0);
	wait_for(q, &r.calls, 6);
	CU_ASSERT_EQUAL(last_cdw12(q), 7);
	CU_ASSERT_EQUAL(r.status, 0);
	/* A flag this library does not know, or options it cannot read: refused, nothing sent. */
	usk_nvme_io_opts_init(&opts, sizeof(opts));
	opts.io_flags = USK_NVME_IO_FLAGS_FUA | 1u << 25;
	CU_ASSERT_EQUAL(usk_nvme_ns_read_ext(g_ns, q, buf, 300, 8, done, &r, &opts), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_writev_ext(g_ns, q, iov, 2, 300, 8, done, &r, &opts), -EINVAL);
	opts.io_flags = 0;
	opts.opts_size = 0;
	CU_ASSERT_EQUAL(usk_nvme_ns_write_ext(g_ns, q, buf, 300, 8, done, &r, &opts), -EINVAL);
	opts.opts_size = sizeof(opts) + 1;
	CU_ASSERT_EQUAL(usk_nvme_ns_readv_ext(g_ns, q, iov, 2, 300, 8, done, &r, &opts), -EINVAL);
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
	struct result r = {0};
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
	CU_ASSERT_EQUAL(usk_nvme_ns_write(ns, q, buf + 1, 40, 8, done, &r), 0);
	wait_for(q, &r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(model, 1) + 40 * 512, buf + 1, 8 * 512), 0);
	memset(buf, 0, 3 * 4096);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf + 4097, 40, 8, done, &r), 0);
	wait_for(q, &r.calls, 2);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(model, 1) + 40 * 512, buf + 4097, 8 * 512), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(model);
	/* The shared controller of this suite has no SGLs: odd buffers are refused. */
	CU_ASSERT_FALSE(usk_nvme_ctrlr_uses_sgls(g_ctrlr));
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, q, buf + 1, 0, 1, done, &r), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_dma_free(buf);
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
