/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "ut.h"
#include "env_internal.h"

#define PAGE ENV_PAGE_SIZE

static void test_lookup_every_offset(void)
{
	/* Any 4 KiB-aligned region works, not only 2 MiB-aligned ones. */
	uintptr_t va = 0x7f1234561000;
	uint64_t iova = 0x200000;

	CU_ASSERT_EQUAL_FATAL(mem_map_set(va, 3 * PAGE, iova), 0);
	for (uint64_t off = 0; off < 3 * PAGE; off += 7) {
		CU_ASSERT_EQUAL_FATAL(usk_vtoiova((void *)(va + off), NULL), iova + off);
	}
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va - 1), NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va + 3 * PAGE), NULL), USK_IOVA_INVALID);
	mem_map_clear(va, 3 * PAGE);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)va, NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va + 2 * PAGE + 5), NULL), USK_IOVA_INVALID);
}

static void test_contiguous_length(void)
{
	uintptr_t va = 0x10000000;
	uint64_t size;

	/* Two pages that follow on in IOVA, then one elsewhere. */
	CU_ASSERT_EQUAL_FATAL(mem_map_set(va, 2 * PAGE, 0x100000), 0);
	CU_ASSERT_EQUAL_FATAL(mem_map_set(va + 2 * PAGE, PAGE, 0x900000), 0);
	size = 3 * PAGE;
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va + 100), &size), 0x100000 + 100);
	CU_ASSERT_EQUAL(size, 2 * PAGE - 100);
	size = 10;
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va + 100), &size), 0x100000 + 100);
	CU_ASSERT_EQUAL(size, 10);
	size = PAGE;
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va + 2 * PAGE), &size), 0x900000);
	CU_ASSERT_EQUAL(size, PAGE);
	mem_map_clear(va, 3 * PAGE);
}

static void test_crosses_leaf_tables(void)
{
	/* A region across a 1 GiB boundary spans two leaf tables. */
	uintptr_t va = (UINT64_C(5) << 30) - PAGE;
	uint64_t size = 2 * PAGE;

	CU_ASSERT_EQUAL_FATAL(mem_map_set(va, 2 * PAGE, 0x400000), 0);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(va + PAGE), NULL), 0x400000 + PAGE);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)va, &size), 0x400000);
	CU_ASSERT_EQUAL(size, 2 * PAGE);
	mem_map_clear(va, 2 * PAGE);
}

static void test_invalid(void)
{
	CU_ASSERT_EQUAL(mem_map_set(0x1001, PAGE, 0), -EINVAL);
	CU_ASSERT_EQUAL(mem_map_set(0x1000, 100, 0), -EINVAL);
	CU_ASSERT_EQUAL(mem_map_set(0x1000, PAGE, 0x10), -EINVAL);
	CU_ASSERT_EQUAL(mem_map_set(0x1000, 0, 0), -EINVAL);
	/* Beyond the 48-bit user address space. */
	CU_ASSERT_EQUAL(mem_map_set(UINT64_C(1) << 48, PAGE, 0), -EINVAL);
	/* A range that wraps past 2^64: its end looked like a low address, so it passed. */
	CU_ASSERT_EQUAL(mem_map_set(UINT64_MAX - PAGE + 1, 2 * PAGE, 0x100000), -EINVAL);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)0, NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)((UINT64_C(1) << 48) - PAGE), NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)(UINT64_C(1) << 50), NULL), USK_IOVA_INVALID);
	mem_map_fini();
	CU_ASSERT_EQUAL(usk_vtoiova((void *)0x10000000, NULL), USK_IOVA_INVALID);
}

/*
 * fini drops every leaf, wherever its top entry is (the first, the last,
 * two in one word of the bitmap that says which are used), and the map
 * works again after it.
 */
static void test_fini_drops_every_leaf(void)
{
	static const uintptr_t vas[] = {0x1000, UINT64_C(1) << 30, UINT64_C(3) << 30,
					(UINT64_C(1) << 48) - PAGE};

	for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(mem_map_set(vas[i], PAGE, 0x100000 + i * PAGE), 0);
		CU_ASSERT_EQUAL(usk_vtoiova((void *)vas[i], NULL), 0x100000 + i * PAGE);
	}
	mem_map_fini();
	for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		CU_ASSERT_EQUAL(usk_vtoiova((void *)vas[i], NULL), USK_IOVA_INVALID);
	}
	CU_ASSERT_EQUAL_FATAL(mem_map_set(vas[1], PAGE, 0x200000), 0);
	CU_ASSERT_EQUAL(usk_vtoiova((void *)vas[1], NULL), 0x200000);
	mem_map_fini();
	CU_ASSERT_EQUAL(usk_vtoiova((void *)vas[1], NULL), USK_IOVA_INVALID);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_lookup_every_offset),
		UT_TEST(test_contiguous_length),
		UT_TEST(test_crosses_leaf_tables),
		UT_TEST(test_invalid),
		UT_TEST(test_fini_drops_every_leaf),
	};

	return UT_RUN("mem_map", tests);
}
