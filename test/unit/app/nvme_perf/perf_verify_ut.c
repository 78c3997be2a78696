/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "perf_verify.h"
#include "ut.h"

static uint64_t g_buf[4 * 4096 / 8];
static uint64_t g_other[4 * 4096 / 8];

static void test_fill_then_check(void)
{
	struct perf_verify_mismatch m;

	perf_verify_fill(g_buf, 1000, 4, 4096, 1);
	CU_ASSERT_EQUAL(perf_verify_check(g_buf, 1000, 4, 4096, 1, &m), 0);
	/* The same data is wrong for another LBA or another generation. */
	CU_ASSERT_EQUAL(perf_verify_check(g_buf, 1001, 3, 4096, 1, &m), -EILSEQ);
	CU_ASSERT_EQUAL(m.lba, 1001);
	CU_ASSERT_EQUAL(m.offset, 0);
	CU_ASSERT_EQUAL(perf_verify_check(g_buf, 1000, 4, 4096, 2, &m), -EILSEQ);
}

static void test_mismatch_named(void)
{
	struct perf_verify_mismatch m;

	perf_verify_fill(g_buf, 77, 4, 512, 9);
	((unsigned char *)g_buf)[2 * 512 + 300] ^= 0x10;
	CU_ASSERT_EQUAL(perf_verify_check(g_buf, 77, 4, 512, 9, &m), -EILSEQ);
	CU_ASSERT_EQUAL(m.lba, 79);
	CU_ASSERT_EQUAL(m.offset, 296);
	CU_ASSERT_NOT_EQUAL(m.expected, m.found);
	CU_ASSERT_EQUAL(m.expected ^ m.found, (uint64_t)0x10 << 32);
}

static void test_blocks_are_distinct(void)
{
	/* Zeroed media, or a block written at the wrong LBA, must not pass. */
	struct perf_verify_mismatch m;

	memset(g_other, 0, sizeof(g_other));
	CU_ASSERT_EQUAL(perf_verify_check(g_other, 5, 1, 4096, 1, &m), -EILSEQ);
	perf_verify_fill(g_buf, 5, 2, 4096, 1);
	CU_ASSERT_NOT_EQUAL(memcmp(g_buf, (char *)g_buf + 4096, 4096), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_fill_then_check),
		UT_TEST(test_mismatch_named),
		UT_TEST(test_blocks_are_distinct),
	};

	return UT_RUN("perf_verify", tests);
}
