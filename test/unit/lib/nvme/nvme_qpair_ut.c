/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "ut.h"
#include "nvme_internal.h"
#include "usk/env.h"

#define PAGE NVME_PAGE_SIZE

static uint8_t *g_buf;	 /* 2 MiB + 2 pages of DMA memory */
static uint64_t *g_list; /* a PRP list page */
static uint64_t g_list_iova;

static uint64_t iova_of(const void *p)
{
	return usk_vtoiova(p, NULL);
}

static void test_no_data_keeps_prp1(void)
{
	/* Queue creation carries the ring's address in PRP1 and no data (the bug
	 * this test was written for: PRP1 was cleared, and the device read IOVA 0). */
	struct usk_nvme_sqe sqe = {.prp1 = 0x123000, .prp2 = 0};

	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, NULL, 0, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, 0x123000);
	CU_ASSERT_EQUAL(sqe.prp2, 0);
}

/* Checks PRP1/PRP2/list for @len bytes at offset @off into g_buf. */
static void check_prps(uint32_t off, uint32_t len)
{
	struct usk_nvme_sqe sqe = {0};
	uint8_t *buf = g_buf + off;
	uint32_t first = PAGE - (off & (PAGE - 1));
	uint32_t pages_after = len > first ? (len - first + PAGE - 1) / PAGE : 0;

	CU_ASSERT_EQUAL_FATAL(nvme_build_prps(&sqe, buf, len, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL_FATAL(sqe.prp1, iova_of(buf));
	if (pages_after == 0) {
		CU_ASSERT_EQUAL_FATAL(sqe.prp2, 0);
	} else if (pages_after == 1) {
		CU_ASSERT_EQUAL_FATAL(sqe.prp2, iova_of(buf + first));
	} else {
		CU_ASSERT_EQUAL_FATAL(sqe.prp2, g_list_iova);
		for (uint32_t i = 0; i < pages_after; i++) {
			CU_ASSERT_EQUAL_FATAL(g_list[i], iova_of(buf + first + i * PAGE));
			CU_ASSERT_EQUAL_FATAL(g_list[i] & (PAGE - 1), 0);
		}
	}
}

static void test_sizes_and_alignments(void)
{
	/* 512 B .. 2 MiB, at every alignment class: page-aligned, sector, dword. */
	static const uint32_t offsets[] = {0, 4, 512, 2048, 4092, 3584};

	for (uint32_t len = 512; len <= (2u << 20); len *= 2) {
		for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			/* A 2 MiB transfer that does not start on a page needs 513 list entries. */
			if (len == (2u << 20) && offsets[o] != 0) {
				continue;
			}
			check_prps(offsets[o], len);
			check_prps(offsets[o], len - 4);
			check_prps(offsets[o], len + 4 <= (2u << 20) ? len + 4 : len);
		}
	}
}

static void test_refused(void)
{
	struct usk_nvme_sqe sqe = {0};
	static uint8_t not_dma[8192];

	/* Not dword-aligned, not registered, or more than one list page holds. */
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, g_buf + 2, 512, g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, not_dma, 512, g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, g_buf + 4, (2u << 20) + PAGE, g_list, g_list_iova),
			-EINVAL);
}

static void test_crosses_registrations(void)
{
	/* Two separately registered pages: each PRP entry is looked up on its own. */
	uint8_t *a = usk_dma_malloc(PAGE, PAGE, -1);
	struct usk_nvme_sqe sqe = {0};
	uint8_t *two = aligned_alloc(PAGE, 3 * PAGE);

	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two, PAGE), 0);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two + 2 * PAGE, PAGE), 0);
	/* The middle page is not registered: refused. */
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, two, 3 * PAGE, g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(usk_mem_register(two + PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, two, 3 * PAGE, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(g_list[0], iova_of(two + PAGE));
	CU_ASSERT_EQUAL(g_list[1], iova_of(two + 2 * PAGE));
	for (int i = 0; i < 3; i++) {
		usk_mem_unregister(two + i * PAGE, PAGE);
	}
	free(two);
	usk_dma_free(a);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_no_data_keeps_prp1),
		UT_TEST(test_sizes_and_alignments),
		UT_TEST(test_refused),
		UT_TEST(test_crosses_registrations),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	g_buf = usk_dma_malloc((2u << 20) + 2 * PAGE, PAGE, -1);
	g_list = usk_dma_malloc(PAGE, PAGE, -1);
	if (g_buf == NULL || g_list == NULL) {
		return 99;
	}
	g_list_iova = iova_of(g_list);
	rc = UT_RUN("nvme_qpair", tests);
	usk_env_fini();
	return rc;
}
