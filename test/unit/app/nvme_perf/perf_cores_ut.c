/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <sched.h>

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

/*
 * A core this process may not run on is found before the run: its worker
 * would fail to pin itself only once the devices were set up.
 */
static void test_forbidden_core(void)
{
	cpu_set_t allowed;
	uint32_t cores[2] = {0};
	int forbidden = -1;

	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	for (int c = PERF_MAX_CORES - 1; c >= 0; c--) {
		if (CPU_ISSET(c, &allowed)) {
			cores[0] = (uint32_t)c;
		} else {
			forbidden = c;
		}
	}
	CU_ASSERT_EQUAL(perf_cores_first_forbidden(cores, 1), -1);
	if (forbidden < 0) {
		return; /* every core up to PERF_MAX_CORES is allowed here */
	}
	cores[1] = (uint32_t)forbidden;
	CU_ASSERT_EQUAL(perf_cores_first_forbidden(cores, 2), forbidden);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_masks),
		UT_TEST(test_lists),
		UT_TEST(test_forbidden_core),
	};

	return UT_RUN("perf_cores", tests);
}
