/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "perf_cores.h"
#include "usk/util.h"
#include "usk_internal/cpumask.h"
#include "ut.h"

static uint32_t g_cores[PERF_MAX_CORES];
static char g_err[128];

static int parse(const char *text)
{
	g_err[0] = '\0';
	return perf_cores_parse(text, g_cores, PERF_MAX_CORES, g_err, sizeof(g_err));
}

static void test_masks(void)
{
	CU_ASSERT_EQUAL(parse("0x3"), 2);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(g_cores[1], 1);
	CU_ASSERT_EQUAL(parse("2"), 1);
	CU_ASSERT_EQUAL(g_cores[0], 1);
	CU_ASSERT_EQUAL(parse("1"), 1);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(parse("0x0"), -EINVAL);
	CU_ASSERT_EQUAL(parse("0xzz"), -EINVAL);
	CU_ASSERT_EQUAL(parse(""), -EINVAL);
	CU_ASSERT_EQUAL(parse("0x"), -EINVAL);
}

static void test_lists(void)
{
	CU_ASSERT_EQUAL(parse("[0,1]"), 2);
	CU_ASSERT_EQUAL(parse("[1]"), 1);
	CU_ASSERT_EQUAL(g_cores[0], 1);
	CU_ASSERT_EQUAL(parse("0-1"), 2);
	CU_ASSERT_EQUAL(g_cores[1], 1);
	CU_ASSERT_EQUAL(parse("[1,0,1]"), 2);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(parse("[0,1"), -EINVAL);
	CU_ASSERT_EQUAL(parse("3-1"), -EINVAL);
	CU_ASSERT_EQUAL(parse("0-999"), -EINVAL);
	CU_ASSERT_EQUAL(parse("[a]"), -EINVAL);
	CU_ASSERT_EQUAL(parse("1,,2"), -EINVAL);
}

/*
 * A core this process may not run on is refused before the run: its worker
 * would fail to pin itself only once the devices were set up.
 */
static void test_forbidden_core(void)
{
	cpu_set_t allowed;
	char mask[32];
	int forbidden = -1;

	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	for (int c = PERF_MAX_CORES - 1; c >= 0; c--) {
		if (!CPU_ISSET(c, &allowed)) {
			forbidden = c;
		}
	}
	if (forbidden < 0) {
		return; /* every core up to PERF_MAX_CORES is allowed here */
	}
	snprintf(mask, sizeof(mask), "[%d]", forbidden);
	CU_ASSERT_EQUAL(parse(mask), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "is not one this process may run on"));
}

static void test_more_cores_than_asked_for(void)
{
	CU_ASSERT_EQUAL(perf_cores_parse("0x3", g_cores, 1, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "more than 1 cores");
}

/*
 * usk_nvme_perf's -c and usk_tgt's -m read one text: a mask one of them
 * takes, the other takes too, for the same cores.
 */
static void test_same_cores_as_the_app_framework(void)
{
	static const char *const masks[] = {
		"0x3",	 "[0,1]",  "0-1",    "0x0x3", " 3", "+3", "0x+3", "0-1]",
		"0,1]x", "[0-1]]", "[0, 1]", "0x",    "",   "[]", "3-1",
	};

	for (size_t i = 0; i < USK_COUNTOF(masks); i++) {
		int want[PERF_MAX_CORES];
		uint32_t nwant = 0;
		char err[128];
		int rc = event_cpumask_parse(masks[i], want, PERF_MAX_CORES, &nwant, err,
					     sizeof(err));
		int n = parse(masks[i]);

		if (rc != 0) {
			CU_ASSERT_EQUAL(n, -EINVAL);
			if (n != -EINVAL) {
				printf("-c '%s': %d cores, where -m refuses it (%s)\n", masks[i], n,
				       err);
			}
			continue;
		}
		CU_ASSERT_EQUAL(n, (int)nwant);
		if (n != (int)nwant) {
			printf("-c '%s': %d cores, where -m takes %u\n", masks[i], n, nwant);
			continue;
		}
		for (int c = 0; c < n; c++) {
			CU_ASSERT_EQUAL(g_cores[c], (uint32_t)want[c]);
		}
	}
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_masks),
		UT_TEST(test_lists),
		UT_TEST(test_forbidden_core),
		UT_TEST(test_more_cores_than_asked_for),
		UT_TEST(test_same_cores_as_the_app_framework),
	};

	return UT_RUN("perf_cores", tests);
}
