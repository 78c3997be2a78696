/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <stdlib.h>

#include "ut.h"

/* Included to reach the static bucket helpers. */
#include "../../../../lib/util/histogram.c"

static struct usk_histogram g_h;
static struct usk_histogram g_other;

/* A fixed xorshift so every run checks the same values. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static void test_empty(void)
{
	usk_histogram_init(&g_h);
	CU_ASSERT_EQUAL(usk_histogram_count(&g_h), 0);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 50.0), 0);
	CU_ASSERT_EQUAL(usk_histogram_min(&g_h), 0);
	CU_ASSERT_EQUAL(usk_histogram_max(&g_h), 0);
	CU_ASSERT_DOUBLE_EQUAL(usk_histogram_mean(&g_h), 0.0, 1e-12);
}

static void test_small_values_exact(void)
{
	usk_histogram_init(&g_h);
	for (uint64_t v = 1; v <= 100; v++) {
		usk_histogram_record(&g_h, v);
	}
	CU_ASSERT_EQUAL(usk_histogram_count(&g_h), 100);
	CU_ASSERT_EQUAL(usk_histogram_min(&g_h), 1);
	CU_ASSERT_EQUAL(usk_histogram_max(&g_h), 100);
	CU_ASSERT_DOUBLE_EQUAL(usk_histogram_mean(&g_h), 50.5, 1e-9);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 0.0), 1);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 1.0), 1);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 50.0), 50);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 50.5), 51);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 99.0), 99);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 99.99), 100);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 100.0), 100);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 150.0), 100);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, -3.0), 1);
}

static void test_bucket_holds_its_value(void)
{
	uint64_t state = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 200000; i++) {
		/* Spread values over every magnitude, not only the top bits. */
		uint64_t v = next_random(&state) >> (i % 64);
		uint32_t range = usk_histogram_range(v);
		uint32_t index = usk_histogram_index(v, range);

		CU_ASSERT_FATAL(range < USK_HISTOGRAM_RANGES);
		CU_ASSERT_FATAL(index < USK_HISTOGRAM_SUB_COUNT);
		CU_ASSERT_FATAL(histogram_bucket_start(range, index) <= v);
		CU_ASSERT_FATAL(histogram_bucket_end(range, index) >= v);
	}
	CU_ASSERT_EQUAL(usk_histogram_range(UINT64_MAX), USK_HISTOGRAM_RANGES - 1);
	CU_ASSERT_EQUAL(usk_histogram_index(UINT64_MAX, USK_HISTOGRAM_RANGES - 1),
			USK_HISTOGRAM_SUB_COUNT - 1);
	CU_ASSERT_EQUAL(histogram_bucket_end(USK_HISTOGRAM_RANGES - 1, USK_HISTOGRAM_SUB_COUNT - 1),
			UINT64_MAX);
}

static void test_buckets_tile_without_gaps(void)
{
	uint64_t expected_start = 0;

	for (uint32_t r = 0; r < USK_HISTOGRAM_RANGES; r++) {
		for (uint32_t i = 0; i < USK_HISTOGRAM_SUB_COUNT; i++) {
			uint64_t start = histogram_bucket_start(r, i);
			uint64_t end = histogram_bucket_end(r, i);

			CU_ASSERT_EQUAL_FATAL(start, expected_start);
			/* Width at most 1/128 of the bucket's values: the error bound. */
			CU_ASSERT_FATAL(start < USK_HISTOGRAM_SUB_COUNT ||
					(end - start + 1) * USK_HISTOGRAM_SUB_COUNT <= start);
			expected_start = end + 1;
		}
	}
	/* The last bucket ends at UINT64_MAX, so the next start wrapped to 0. */
	CU_ASSERT_EQUAL(expected_start, 0);
}

static void test_large_values_within_error(void)
{
	usk_histogram_init(&g_h);
	for (int i = 0; i < 90; i++) {
		usk_histogram_record(&g_h, 1000000);
	}
	for (int i = 0; i < 10; i++) {
		usk_histogram_record(&g_h, 50000000);
	}
	uint64_t p50 = usk_histogram_percentile(&g_h, 50.0);
	uint64_t p95 = usk_histogram_percentile(&g_h, 95.0);

	CU_ASSERT(p50 >= 1000000 && p50 <= 1000000 + 1000000 / 128);
	CU_ASSERT_EQUAL(p95, 50000000);
	CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, 90.0), p50);
	CU_ASSERT_DOUBLE_EQUAL(usk_histogram_mean(&g_h), 5900000.0, 1e-6);
}

static void test_merge_equals_single_recording(void)
{
	uint64_t state = 12345;
	struct usk_histogram *all = calloc(1, sizeof(*all));

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	usk_histogram_init(all);
	usk_histogram_init(&g_h);
	usk_histogram_init(&g_other);
	for (int i = 0; i < 10000; i++) {
		uint64_t v = next_random(&state) % 100000;

		usk_histogram_record(i % 3 ? &g_h : &g_other, v);
		usk_histogram_record(all, v);
	}
	usk_histogram_merge(&g_h, &g_other);
	CU_ASSERT_EQUAL(usk_histogram_count(&g_h), 10000);
	CU_ASSERT_EQUAL(usk_histogram_min(&g_h), usk_histogram_min(all));
	CU_ASSERT_EQUAL(usk_histogram_max(&g_h), usk_histogram_max(all));
	CU_ASSERT_DOUBLE_EQUAL(usk_histogram_mean(&g_h), usk_histogram_mean(all), 1e-9);
	for (double p = 0.5; p < 100.0; p += 7.25) {
		CU_ASSERT_EQUAL(usk_histogram_percentile(&g_h, p),
				usk_histogram_percentile(all, p));
	}
	/* Merging an empty histogram changes nothing, min included. */
	usk_histogram_init(&g_other);
	usk_histogram_merge(&g_h, &g_other);
	CU_ASSERT_EQUAL(usk_histogram_min(&g_h), usk_histogram_min(all));
	free(all);
}

struct iterate_seen {
	uint64_t buckets;
	uint64_t values;
	uint64_t last_end;
	uint64_t last_cumulative;
	int ordered;
};

static void iterate_cb(void *ctx, uint64_t start, uint64_t end, uint64_t count, uint64_t cumulative,
		       uint64_t total)
{
	struct iterate_seen *seen = ctx;

	if (seen->buckets > 0 && start <= seen->last_end) {
		seen->ordered = 0;
	}
	seen->buckets++;
	seen->values += count;
	seen->last_end = end;
	seen->last_cumulative = cumulative;
	CU_ASSERT_EQUAL(total, 4);
	CU_ASSERT(start <= end);
}

static void test_iterate(void)
{
	struct iterate_seen seen = {.ordered = 1};

	usk_histogram_init(&g_h);
	usk_histogram_record(&g_h, 3);
	usk_histogram_record(&g_h, 3);
	usk_histogram_record(&g_h, 5000);
	usk_histogram_record(&g_h, 1ull << 40);
	usk_histogram_iterate(&g_h, iterate_cb, &seen);
	CU_ASSERT_EQUAL(seen.buckets, 3);
	CU_ASSERT_EQUAL(seen.values, 4);
	CU_ASSERT_EQUAL(seen.last_cumulative, 4);
	CU_ASSERT_TRUE(seen.ordered);
	CU_ASSERT(seen.last_end >= (1ull << 40));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_empty),
		UT_TEST(test_small_values_exact),
		UT_TEST(test_bucket_holds_its_value),
		UT_TEST(test_buckets_tile_without_gaps),
		UT_TEST(test_large_values_within_error),
		UT_TEST(test_merge_equals_single_recording),
		UT_TEST(test_iterate),
	};

	return UT_RUN("histogram", tests);
}
