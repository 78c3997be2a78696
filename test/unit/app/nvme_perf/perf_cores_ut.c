/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "perf_cores.h"
#include "ut.h"

static uint32_t g_cores[PERF_MAX_CORES];

static void test_masks(void)
{
	CU_ASSERT_EQUAL(perf_cores_parse("0x3", g_cores), 2);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(g_cores[1], 1);
	CU_ASSERT_EQUAL(perf_cores_parse("0xA", g_cores), 2);
	CU_ASSERT_EQUAL(g_cores[0], 1);
	CU_ASSERT_EQUAL(g_cores[1], 3);
	CU_ASSERT_EQUAL(perf_cores_parse("1", g_cores), 1);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(perf_cores_parse("0x0", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("0xzz", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("0x", g_cores), -EINVAL);
}

static void test_lists(void)
{
	CU_ASSERT_EQUAL(perf_cores_parse("[0,1]", g_cores), 2);
	CU_ASSERT_EQUAL(perf_cores_parse("[5]", g_cores), 1);
	CU_ASSERT_EQUAL(g_cores[0], 5);
	CU_ASSERT_EQUAL(perf_cores_parse("0-3,8", g_cores), 5);
	CU_ASSERT_EQUAL(g_cores[3], 3);
	CU_ASSERT_EQUAL(g_cores[4], 8);
	CU_ASSERT_EQUAL(perf_cores_parse("[2,0,2]", g_cores), 2);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(perf_cores_parse("[0,1", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("3-1", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("0-999", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("[a]", g_cores), -EINVAL);
	CU_ASSERT_EQUAL(perf_cores_parse("1,,2", g_cores), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_masks),
		UT_TEST(test_lists),
	};

	return UT_RUN("perf_cores", tests);
}
