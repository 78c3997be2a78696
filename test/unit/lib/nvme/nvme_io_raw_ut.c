/* SPDX-License-Identifier: BSD-3-Clause */
/* Raw I/O commands (nvme_io_raw.c) against the NVMe controller model. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

/* A read of @count blocks from @lba as a caller builds it, junk in the driver's fields. */
static struct usk_nvme_sqe raw_read(uint64_t lba, uint32_t count)
{
	return (struct usk_nvme_sqe){
		.opcode = USK_NVME_OPC_READ,
		.flags = USK_NVME_SQE_PSDT_SGL,
		.cid = 0xbeef,
		.nsid = 1,
		.mptr = 0xdead000,
		.prp1 = 0xdead1000,
		.prp2 = 0xdead2000,
		.cdw10 = (uint32_t)lba,
		.cdw11 = (uint32_t)(lba >> 32),
		.cdw12 = count - 1,
	};
}

static void test_raw_read_equals_ns_read(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_sqe cmd = raw_read(40, 8), seen;
	struct nvme_model_result r = {0};
	uint8_t *media;

	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, NULL, NULL, 16), 0);
	media = nvme_model_ns_data(f.model, 1);
	for (int i = 0; i < 8 * 512; i++) {
		media[40 * 512 + i] = (uint8_t)(i * 11 + 3);
	}
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw(f.c, f.q, &cmd, f.buf, 8 * 512, nvme_model_result_done, &r), 0);
	nvme_model_poll_until(f.q, &r.calls, 1, 30);
	CU_ASSERT_EQUAL(r.status, 0);
	/* The driver's fields were the driver's: CID, PRPs (PSDT 0), no metadata. */
	nvme_model_last_sqe(f.model, f.q->id, &seen);
	CU_ASSERT_EQUAL(seen.cid, 0);
	CU_ASSERT_EQUAL(seen.flags, 0);
	CU_ASSERT_EQUAL(seen.prp1, usk_vtoiova(f.buf, NULL));
	CU_ASSERT_EQUAL(seen.mptr, 0);
	CU_ASSERT_EQUAL(seen.cdw10, 40);
	CU_ASSERT_EQUAL(seen.cdw12, 7);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf + 8 * 512, 40, 8, nvme_model_result_done, &r), 0);
	nvme_model_poll_until(f.q, &r.calls, 2, 30);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(f.buf, f.buf + 8 * 512, 8 * 512), 0);
	CU_ASSERT_EQUAL(memcmp(f.buf, media + 40 * 512, 8 * 512), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A raw read whose last block wraps past 2^64 is out of range, as a device
 * answers: the model's check added SLBA and NLB, which wrapped to 0, and
 * it read from far outside its namespace.
 */
static void test_raw_read_wrapping_past_the_last_lba_is_out_of_range(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_sqe cmd = raw_read(UINT64_MAX, 1);
	struct nvme_model_result r = {0};

	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, NULL, NULL, 16), 0);
	CU_ASSERT_EQUAL(
		usk_nvme_ctrlr_cmd_io_raw(f.c, f.q, &cmd, f.buf, 512, nvme_model_result_done, &r),
		0);
	nvme_model_poll_until(f.q, &r.calls, 1, 30);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.status, USK_NVME_SCT_GENERIC << 8 | USK_NVME_SC_LBA_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

static void test_unknown_opcode_status_reaches_caller(void)
{
	struct nvme_model_fixture f;
	/* 0xff: a vendor-specific I/O opcode the model does not know. */
	struct usk_nvme_sqe cmd = {.opcode = 0xff, .nsid = 1, .cdw10 = 0x1234};
	struct nvme_model_result r = {0};

	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, NULL, NULL, 16), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw(f.c, f.q, &cmd, NULL, 0, nvme_model_result_done, &r), 0);
	nvme_model_poll_until(f.q, &r.calls, 1, 30);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.status, USK_NVME_SCT_GENERIC << 8 | USK_NVME_SC_INVALID_OPCODE);
	struct usk_nvme_sqe seen;

	nvme_model_last_sqe(f.model, f.q->id, &seen);
	CU_ASSERT_EQUAL(seen.opcode, 0xff);
	CU_ASSERT_EQUAL(seen.cdw10, 0x1234);
	CU_ASSERT_EQUAL(seen.prp1, 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

static void test_metadata_pointer_is_md_iova(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_sqe cmd = raw_read(0, 1), seen;
	struct nvme_model_result r = {0};
	uint8_t *md = usk_dma_malloc(4096, 4096, USK_ENV_NUMA_ANY);

	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, NULL, NULL, 16), 0);
	CU_ASSERT_EQUAL(
		usk_nvme_ctrlr_cmd_io_raw_with_md(f.c, f.q, &cmd, f.buf, 512, md + 64, 8, nvme_model_result_done, &r),
		0);
	nvme_model_poll_until(f.q, &r.calls, 1, 30);
	CU_ASSERT_EQUAL(r.status, 0);
	nvme_model_last_sqe(f.model, f.q->id, &seen);
	CU_ASSERT_EQUAL(seen.mptr, usk_vtoiova(md + 64, NULL));
	CU_ASSERT_EQUAL(seen.prp1, usk_vtoiova(f.buf, NULL));
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	usk_dma_free(md);
}

static void test_refused(void)
{
	struct nvme_model_fixture f, other;
	struct usk_nvme_sqe cmd = raw_read(0, 1);
	struct nvme_model_result r = {0};
	static uint8_t not_dma[64];
	/* Two pages, only the first registered: metadata across the end is not contiguous. */
	uint8_t *two = aligned_alloc(4096, 2 * 4096);

	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, NULL, NULL, 16), 0);
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&other, NULL, NULL, 16), 0);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two, 4096), 0);
	/* Another controller's queue pair. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw(f.c, other.q, &cmd, f.buf, 512, nvme_model_result_done, &r),
			-EINVAL);
	/* Above the maximum transfer (MDTS 5: 128 KiB), or a buffer that is not DMA-able. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw(f.c, f.q, &cmd, f.buf, 129 * 1024, nvme_model_result_done, &r),
			-EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw(f.c, f.q, &cmd, not_dma, 64, nvme_model_result_done, &r), -EINVAL);
	/* Metadata: none, empty, not registered, or not contiguous for its length. */
	CU_ASSERT_EQUAL(
		usk_nvme_ctrlr_cmd_io_raw_with_md(f.c, f.q, &cmd, f.buf, 512, NULL, 8, nvme_model_result_done, &r),
		-EINVAL);
	CU_ASSERT_EQUAL(
		usk_nvme_ctrlr_cmd_io_raw_with_md(f.c, f.q, &cmd, f.buf, 512, two, 0, nvme_model_result_done, &r),
		-EINVAL);
	CU_ASSERT_EQUAL(
		usk_nvme_ctrlr_cmd_io_raw_with_md(f.c, f.q, &cmd, f.buf, 512, not_dma, 8, nvme_model_result_done, &r),
		-EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw_with_md(f.c, f.q, &cmd, f.buf, 512,
							  two + 4096 - 4, 8, nvme_model_result_done, &r),
			-EINVAL);
	/* The same metadata within the page is taken. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_io_raw_with_md(f.c, f.q, &cmd, f.buf, 512,
							  two + 4096 - 8, 8, nvme_model_result_done, &r),
			0);
	nvme_model_poll_until(f.q, &r.calls, 1, 30);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(other.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&other), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	usk_mem_unregister(two, 4096);
	free(two);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_raw_read_equals_ns_read),
		UT_TEST(test_raw_read_wrapping_past_the_last_lba_is_out_of_range),
		UT_TEST(test_unknown_opcode_status_reaches_caller),
		UT_TEST(test_metadata_pointer_is_md_iova),
		UT_TEST(test_refused),
	};
	int rc;

	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_io_raw", tests);
	usk_env_fini();
	return rc;
}
