/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "ut.h"
#include "nvme_internal.h"
#include "usk/env.h"

#define PAGE NVME_PAGE_SIZE

static uint8_t *g_buf;	 /* 4 pages of DMA memory */
static uint64_t *g_list; /* a descriptor list page */
static uint64_t g_list_iova;

static uint64_t iova_of(const void *p)
{
	return usk_vtoiova(p, NULL);
}

/* An SGL descriptor as the command or the list holds it. */
struct sgl_desc {
	uint64_t address;
	uint32_t length;
	uint8_t reserved[3];
	uint8_t id;
};

static void test_sgl_one_run(void)
{
	struct usk_nvme_sqe sqe = {0};

	/* Any byte offset: SGLs describe bytes, not pages. */
	CU_ASSERT_EQUAL(nvme_build_sgl(&sqe, g_buf + 3, 10000, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.flags >> 6, 1);
	CU_ASSERT_EQUAL(sqe.prp1, iova_of(g_buf + 3));
	CU_ASSERT_EQUAL((uint32_t)sqe.prp2, 10000);
	CU_ASSERT_EQUAL(sqe.prp2 >> 56, 0x00); /* Data Block */
}

static void test_sgl_runs_in_a_list(void)
{
	struct usk_nvme_sqe sqe = {0};
	uint8_t *two = aligned_alloc(PAGE, 2 * PAGE);
	const struct sgl_desc *d = (const void *)g_list;

	/* Two pages registered apart: their IOVAs do not follow on. */
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two + PAGE, PAGE), 0);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two, PAGE), 0);
	CU_ASSERT_NOT_EQUAL(iova_of(two) + PAGE, iova_of(two + PAGE));
	CU_ASSERT_EQUAL(nvme_build_sgl(&sqe, two + 100, PAGE, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, g_list_iova);
	CU_ASSERT_EQUAL((uint32_t)sqe.prp2, 2 * sizeof(struct sgl_desc));
	CU_ASSERT_EQUAL(sqe.prp2 >> 56, 0x30); /* Last Segment */
	CU_ASSERT_EQUAL(d[0].address, iova_of(two + 100));
	CU_ASSERT_EQUAL(d[0].length, PAGE - 100);
	CU_ASSERT_EQUAL(d[1].address, iova_of(two + PAGE));
	CU_ASSERT_EQUAL(d[1].length, 100);
	CU_ASSERT_EQUAL(d[1].id, 0);
	usk_mem_unregister(two, PAGE);
	usk_mem_unregister(two + PAGE, PAGE);
	free(two);
	static uint8_t not_dma[64];

	CU_ASSERT_EQUAL(nvme_build_sgl(&sqe, not_dma, 64, g_list, g_list_iova), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_sgl_one_run),
		UT_TEST(test_sgl_runs_in_a_list),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	g_buf = usk_dma_malloc(4 * PAGE, PAGE, -1);
	g_list = usk_dma_malloc(PAGE, PAGE, -1);
	if (g_buf == NULL || g_list == NULL) {
		return 99;
	}
	g_list_iova = iova_of(g_list);
	rc = UT_RUN("nvme_sgl", tests);
	usk_env_fini();
	return rc;
}
