/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "event_internal.h"
#include "ut.h"

static int g_cores[8];
static uint32_t g_count;
static char g_err[256];

static int parse(const char *mask)
{
	g_err[0] = '\0';
	return event_cpumask_parse(mask, g_cores, 8, &g_count, g_err, sizeof(g_err));
}

static void test_masks_and_lists(void)
{
	CU_ASSERT_EQUAL(parse("0x1"), 0);
	CU_ASSERT_EQUAL(g_count, 1);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(parse("3"), 0);
	CU_ASSERT_EQUAL(g_count, 2);
	CU_ASSERT_EQUAL(g_cores[1], 1);
	CU_ASSERT_EQUAL(parse("0X3"), 0);
	CU_ASSERT_EQUAL(g_count, 2);
	CU_ASSERT_EQUAL(parse("[0,1]"), 0);
	CU_ASSERT_EQUAL(g_count, 2);
	CU_ASSERT_EQUAL(parse("[1,0]"), 0);
	CU_ASSERT_EQUAL(g_cores[0], 0);
	CU_ASSERT_EQUAL(parse("0-1"), 0);
	CU_ASSERT_EQUAL(g_count, 2);
	CU_ASSERT_EQUAL(parse("[0-1]"), 0);
	CU_ASSERT_EQUAL(g_count, 2);
}

static void test_bad_masks_are_explained(void)
{
	CU_ASSERT_EQUAL(parse("0xg"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "'g' is not a hex digit");
	CU_ASSERT_EQUAL(parse("0x"), -EINVAL);
	CU_ASSERT_EQUAL(parse("0x0"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "no core selected");
	CU_ASSERT_EQUAL(parse("[0-"), -EINVAL);
	CU_ASSERT_EQUAL(parse("[1-0]"), -EINVAL);
	CU_ASSERT_EQUAL(parse("[0;1]"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "unexpected ';'");
	CU_ASSERT_EQUAL(parse("[a]"), -EINVAL);
	CU_ASSERT_EQUAL(parse("[5000]"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "beyond"));
}

/* A core number is digits: no sign, so "-0" is not core 0 nor "0-+1" a range. */
static void test_signed_core_numbers_are_refused(void)
{
	CU_ASSERT_EQUAL(parse("-0"), -EINVAL);
	CU_ASSERT_EQUAL(parse("[+1]"), -EINVAL);
	CU_ASSERT_EQUAL(parse("0-+1"), -EINVAL);
	CU_ASSERT_EQUAL(parse("[0,-0]"), -EINVAL);
	/* Blanks before a number stay allowed. */
	CU_ASSERT_EQUAL(parse("[0, 1]"), 0);
	CU_ASSERT_EQUAL(g_count, 2);
}

static void test_cores_outside_the_affinity_are_refused(void)
{
	cpu_set_t allowed;
	char mask[32];
	int missing = -1;

	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < 1000 && missing < 0; c++) {
		if (!CPU_ISSET(c, &allowed)) {
			missing = c;
		}
	}
	snprintf(mask, sizeof(mask), "[%d]", missing);
	CU_ASSERT_EQUAL(parse(mask), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "is not one this process may run on"));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_masks_and_lists),
		UT_TEST(test_bad_masks_are_explained),
		UT_TEST(test_signed_core_numbers_are_refused),
		UT_TEST(test_cores_outside_the_affinity_are_refused),
	};

	return UT_RUN("cpumask", tests);
}
