/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <time.h>

#include "usk/ticks.h"
#include "ut.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_ticks_advance(void)
{
	uint64_t a = usk_ticks();
	uint64_t b = usk_ticks();

	CU_ASSERT(b >= a);
}

static void test_rate_matches_monotonic_clock(void)
{
	const struct timespec nap = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
	uint64_t hz = usk_ticks_hz();

	/* Any CPU made this century counts between 100 MHz and 10 GHz. */
	CU_ASSERT(hz > 100000000u && hz < 10000000000u);
	CU_ASSERT_EQUAL(usk_ticks_hz(), hz);

	/*
	 * Each tick read between two clock reads: a preemption between them
	 * (a loaded machine) widens the bracket instead of failing the test.
	 */
	uint64_t before0 = now_ns();
	uint64_t t0 = usk_ticks();
	uint64_t after0 = now_ns();

	nanosleep(&nap, NULL);

	uint64_t before1 = now_ns();
	uint64_t t1 = usk_ticks();
	uint64_t after1 = now_ns();
	uint64_t elapsed_ns = usk_ticks_to_ns(t1 - t0);

	/* Within 10 % of the clock: the ticks passed between the inner reads and the outer ones. */
	CU_ASSERT(elapsed_ns > (before1 - after0) * 9 / 10 &&
		  elapsed_ns < (after1 - before0) * 11 / 10);
}

static void test_conversions(void)
{
	uint64_t hz = usk_ticks_hz();

	CU_ASSERT_EQUAL(usk_ticks_to_ns(0), 0);
	CU_ASSERT_EQUAL(usk_us_to_ticks(0), 0);
	/* One second of ticks is one second of nanoseconds, within rounding. */
	uint64_t ns = usk_ticks_to_ns(hz);

	CU_ASSERT(ns >= 999999999u && ns <= 1000000001u);
	uint64_t ticks = usk_us_to_ticks(1000000);

	CU_ASSERT(ticks + 1 >= hz && ticks <= hz + 1);
	CU_ASSERT_EQUAL(usk_ns_to_ticks(0), 0);
	ticks = usk_ns_to_ticks(1000000000u);
	CU_ASSERT(ticks + 1 >= hz && ticks <= hz + 1);
}

/*
 * A time longer than ticks can count converts to UINT64_MAX, the end of
 * time, not to whatever the CPU makes of a double past 2^64 (10^13 ms, 317
 * years, came out of usk_us_to_ticks() as 0 or a few hours).
 */
static void test_conversions_saturate(void)
{
	uint64_t hz = usk_ticks_hz();

	CU_ASSERT_EQUAL(usk_us_to_ticks(UINT64_MAX), UINT64_MAX);
	CU_ASSERT_EQUAL(usk_us_to_ticks(10000000000000ull * 1000), UINT64_MAX);
	/* Of ticks and nanoseconds, the one that counts faster overflows the other. */
	if (hz > 1000000000ull) {
		CU_ASSERT_EQUAL(usk_ns_to_ticks(UINT64_MAX), UINT64_MAX);
	} else if (hz < 1000000000ull) {
		CU_ASSERT_EQUAL(usk_ticks_to_ns(UINT64_MAX), UINT64_MAX);
	}
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_ticks_advance),
		UT_TEST(test_rate_matches_monotonic_clock),
		UT_TEST(test_conversions),
		UT_TEST(test_conversions_saturate),
	};

	return UT_RUN("ticks", tests);
}
