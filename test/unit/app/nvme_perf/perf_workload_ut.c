/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "perf_workload.h"
#include "ut.h"

static struct perf_workload_state g_w;

static void test_bad_geometry(void)
{
	CU_ASSERT_EQUAL(perf_workload_init(&g_w, PERF_RANDOM, 100, 7, 8, 1), -EINVAL);
	CU_ASSERT_EQUAL(perf_workload_init(&g_w, PERF_RANDOM, 100, 100, 0, 1), -EINVAL);
	CU_ASSERT_EQUAL(perf_workload_init(&g_w, PERF_RANDOM, 101, 100, 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(perf_workload_init(&g_w, PERF_RANDOM, 100, 8, 8, 1), 0);
	CU_ASSERT_EQUAL(perf_workload_next_slot(&g_w), 0);
}

static void test_sequential_wraps(void)
{
	/* 10 blocks hold 3 whole 3-block I/Os: slots 0, 1, 2, then back to 0. */
	CU_ASSERT_EQUAL(perf_workload_init(&g_w, PERF_SEQUENTIAL, 100, 10, 3, 1), 0);
	CU_ASSERT_EQUAL(perf_workload_next_slot(&g_w), 0);
	CU_ASSERT_EQUAL(perf_workload_next_slot(&g_w), 1);
	CU_ASSERT_EQUAL(perf_workload_next_slot(&g_w), 2);
	CU_ASSERT_EQUAL(perf_workload_next_slot(&g_w), 0);
}

static void test_random_is_aligned_in_range_and_uniform(void)
{
	enum { SLOTS = 64, DRAWS = 64000 };
	unsigned int hits[SLOTS] = {0};

	/* The last I/O must fit: 64 slots of 8 blocks in 515 blocks. */
	CU_ASSERT_EQUAL(perf_workload_init(&g_w, PERF_RANDOM, 100, SLOTS * 8 + 3, 8, 42), 0);
	for (int i = 0; i < DRAWS; i++) {
		uint64_t slot = perf_workload_next_slot(&g_w);

		CU_ASSERT_FATAL(slot < SLOTS);
		hits[slot]++;
	}
	/* Each slot expects 1000 hits; 6 sigma is about 190. */
	for (int s = 0; s < SLOTS; s++) {
		CU_ASSERT(hits[s] > 800 && hits[s] < 1200);
	}
}

static void test_seeds_differ(void)
{
	struct perf_workload_state other;
	int same = 0;

	perf_workload_init(&g_w, PERF_RANDOM, 100, 1u << 30, 1, 1);
	perf_workload_init(&other, PERF_RANDOM, 100, 1u << 30, 1, 2);
	for (int i = 0; i < 100; i++) {
		same += perf_workload_next_slot(&g_w) == perf_workload_next_slot(&other);
	}
	CU_ASSERT(same < 3);
}

static unsigned int count_reads(uint32_t percent, unsigned int draws)
{
	unsigned int reads = 0;

	perf_workload_init(&g_w, PERF_RANDOM, percent, 1000, 1, 7);
	for (unsigned int i = 0; i < draws; i++) {
		reads += perf_workload_next_is_read(&g_w);
	}
	return reads;
}

static void test_read_mix(void)
{
	CU_ASSERT_EQUAL(count_reads(100, 10000), 10000);
	CU_ASSERT_EQUAL(count_reads(0, 10000), 0);
	unsigned int reads = count_reads(70, 100000);

	CU_ASSERT(reads > 69000 && reads < 71000);
	reads = count_reads(1, 100000);
	CU_ASSERT(reads > 800 && reads < 1200);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_bad_geometry),
		UT_TEST(test_sequential_wraps),
		UT_TEST(test_random_is_aligned_in_range_and_uniform),
		UT_TEST(test_seeds_differ),
		UT_TEST(test_read_mix),
	};

	return UT_RUN("perf_workload", tests);
}
