/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared main() for the CUnit test programs: each program lists its tests
 * in a table and calls ut_run(), which prints CUnit's run summary and turns
 * failures into the exit status automake's harness reads.
 */
#ifndef USK_TEST_UT_H
#define USK_TEST_UT_H

#include <CUnit/Basic.h>

struct ut_test {
	const char *name;
	CU_TestFunc fn;
};

#define UT_TEST(fn)     \
	{               \
#fn, fn \
	}

/*
 * Runs every test of @tests (@count entries) in one suite named @suite.
 * Returns 0 when all passed, 1 when any failed, 99 when CUnit itself
 * failed (automake's "hard error").
 */
int ut_run(const char *suite, const struct ut_test *tests, size_t count);

#define UT_RUN(suite, tests) ut_run(suite, tests, sizeof(tests) / sizeof((tests)[0]))

#endif /* USK_TEST_UT_H */
