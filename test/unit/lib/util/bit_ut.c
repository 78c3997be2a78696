/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "usk/util.h"
#include "ut.h"

static void test_is_pow2(void)
{
	CU_ASSERT_FALSE(usk_u64_is_pow2(0));
	CU_ASSERT_TRUE(usk_u64_is_pow2(1));
	CU_ASSERT_TRUE(usk_u64_is_pow2(4096));
	CU_ASSERT_FALSE(usk_u64_is_pow2(4097));
	CU_ASSERT_FALSE(usk_u64_is_pow2(6));
	CU_ASSERT_TRUE(usk_u64_is_pow2(UINT64_C(1) << 63));
	CU_ASSERT_FALSE(usk_u64_is_pow2(UINT64_MAX));
}

static void test_log2(void)
{
	CU_ASSERT_EQUAL(usk_u64_log2(1), 0);
	CU_ASSERT_EQUAL(usk_u64_log2(2), 1);
	CU_ASSERT_EQUAL(usk_u64_log2(3), 1);
	CU_ASSERT_EQUAL(usk_u64_log2(4096), 12);
	CU_ASSERT_EQUAL(usk_u64_log2(UINT64_MAX), 63);
	CU_ASSERT_EQUAL(usk_u32_log2(1), 0);
	CU_ASSERT_EQUAL(usk_u32_log2(512), 9);
	CU_ASSERT_EQUAL(usk_u32_log2(UINT32_MAX), 31);
	for (uint32_t shift = 0; shift < 64; shift++) {
		CU_ASSERT_EQUAL(usk_u64_log2(UINT64_C(1) << shift), shift);
	}
}

static void test_roundup_pow2(void)
{
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2(0), 1);
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2(1), 1);
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2(2), 2);
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2(3), 4);
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2(4097), 8192);
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2(UINT64_C(1) << 63), UINT64_C(1) << 63);
	CU_ASSERT_EQUAL(usk_u64_roundup_pow2((UINT64_C(1) << 62) + 1), UINT64_C(1) << 63);
}

static void test_ctz_popcount(void)
{
	CU_ASSERT_EQUAL(usk_u64_ctz(0), 64);
	CU_ASSERT_EQUAL(usk_u64_ctz(1), 0);
	CU_ASSERT_EQUAL(usk_u64_ctz(0x1000), 12);
	CU_ASSERT_EQUAL(usk_u64_ctz(UINT64_C(1) << 63), 63);
	CU_ASSERT_EQUAL(usk_u64_popcount(0), 0);
	CU_ASSERT_EQUAL(usk_u64_popcount(0x0f0f), 8);
	CU_ASSERT_EQUAL(usk_u64_popcount(UINT64_MAX), 64);
	CU_ASSERT_EQUAL(USK_BIT(8), 256);
	CU_ASSERT_EQUAL(USK_BIT(63), UINT64_C(1) << 63);
}

static void test_alignment(void)
{
	CU_ASSERT_EQUAL(usk_align_down(4097, 4096), 4096);
	CU_ASSERT_EQUAL(usk_align_down(4095, 4096), 0);
	CU_ASSERT_EQUAL(usk_align_up(4097, 4096), 8192);
	CU_ASSERT_EQUAL(usk_align_up(4096, 4096), 4096);
	CU_ASSERT_EQUAL(usk_align_up(0, 512), 0);
	CU_ASSERT_TRUE(usk_is_aligned(0x200000, 0x200000));
	CU_ASSERT_FALSE(usk_is_aligned(0x201000, 0x200000));
	CU_ASSERT_TRUE(usk_is_aligned(7, 1));
	CU_ASSERT_EQUAL(usk_div_round_up_pow2(0, 12), 0);
	CU_ASSERT_EQUAL(usk_div_round_up_pow2(1, 12), 1);
	CU_ASSERT_EQUAL(usk_div_round_up_pow2(4096, 12), 1);
	CU_ASSERT_EQUAL(usk_div_round_up_pow2(4097, 12), 2);
	CU_ASSERT_EQUAL(usk_div_round_up_pow2(131072, 9), 256);
}

struct outer {
	int a;
	long b;
	char c;
};

static void test_countof_containerof(void)
{
	struct outer o;
	int arr[13];

	CU_ASSERT_EQUAL(USK_COUNTOF(arr), 13);
	CU_ASSERT_PTR_EQUAL(USK_CONTAINEROF(&o.c, struct outer, c), &o);
	CU_ASSERT_PTR_EQUAL(USK_CONTAINEROF(&o.b, struct outer, b), &o);
	CU_ASSERT_EQUAL(USK_MIN(3, -2), -2);
	CU_ASSERT_EQUAL(USK_MAX(3u, 9u), 9u);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_is_pow2),	    UT_TEST(test_log2),
		UT_TEST(test_roundup_pow2), UT_TEST(test_ctz_popcount),
		UT_TEST(test_alignment),    UT_TEST(test_countof_containerof),
	};

	return UT_RUN("bit", tests);
}
