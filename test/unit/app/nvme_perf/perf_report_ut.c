/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "perf_report.h"
#include "ut.h"

/* 1 tick = 1 us keeps the expected figures readable. */
#define HZ 1000000u

static struct usk_histogram g_lat[2];
static struct perf_result g_results[2];

static const char *status_text(uint16_t status)
{
	return status == 0x281 ? "Unrecovered Read Error" : "other";
}

static const struct perf_report_info g_info = {
	.workload = "randread",
	.queue_depth = 32,
	.io_size = 4096,
	.read_percent = 100,
	.seconds = 2,
	.latency_level = 1,
	.ticks_hz = HZ,
	.status_string = status_text,
};

/* Two workers: 1000 I/Os of 10 us and 3000 I/Os of 30 us, both over 2 s. */
static void make_results(void)
{
	memset(g_results, 0, sizeof(g_results));
	for (int i = 0; i < 2; i++) {
		usk_histogram_init(&g_lat[i]);
		g_results[i].latency = &g_lat[i];
		g_results[i].core = (uint32_t)i;
		g_results[i].seconds = 2.0;
		snprintf(g_results[i].device, sizeof(g_results[i].device),
			 "PCIE (0000:00:0%d.0) NSID 1", 3 + i);
	}
	for (int i = 0; i < 1000; i++) {
		usk_histogram_record(&g_lat[0], 10);
	}
	for (int i = 0; i < 3000; i++) {
		usk_histogram_record(&g_lat[1], 30);
	}
	g_results[0].ios = 1000;
	g_results[0].bytes = 1000 * 4096;
	g_results[1].ios = 3000;
	g_results[1].bytes = 3000 * 4096;
}

static void test_totals(void)
{
	struct perf_totals t;

	make_results();
	perf_report_totals(g_results, 2, HZ, &t);
	CU_ASSERT_DOUBLE_EQUAL(t.iops, 2000.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(t.mib_per_s, 4000.0 * 4096 / 2 / 1048576, 1e-9);
	/* Weighted by I/O count: (1000*10 + 3000*30) / 4000. */
	CU_ASSERT_DOUBLE_EQUAL(t.avg_us, 25.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(t.min_us, 10.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(t.max_us, 30.0, 1e-9);
	CU_ASSERT_EQUAL(t.ios, 4000);
	CU_ASSERT_EQUAL(t.errors, 0);
}

static void test_error_kinds(void)
{
	make_results();
	perf_result_count_error(&g_results[0], 0x281);
	perf_result_count_error(&g_results[0], 0x002);
	perf_result_count_error(&g_results[0], 0x281);
	CU_ASSERT_EQUAL(g_results[0].errors, 3);
	CU_ASSERT_EQUAL(g_results[0].error_kinds[0].status, 0x281);
	CU_ASSERT_EQUAL(g_results[0].error_kinds[0].count, 2);
	CU_ASSERT_EQUAL(g_results[0].error_kinds[1].status, 0x002);
	CU_ASSERT_EQUAL(g_results[0].error_kinds[1].count, 1);
	/* More kinds than slots: every error is still counted. */
	for (uint16_t s = 0x100; s < 0x100 + 2 * PERF_MAX_ERROR_KINDS; s++) {
		perf_result_count_error(&g_results[1], s);
	}
	CU_ASSERT_EQUAL(g_results[1].errors, 2 * PERF_MAX_ERROR_KINDS);
	CU_ASSERT_EQUAL(g_results[1].error_kinds[PERF_MAX_ERROR_KINDS - 1].count, 1);
}

static char *print_table(const struct perf_report_info *info)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	perf_report_print(out, info, g_results, 2);
	fclose(out);
	return text;
}

static void test_table(void)
{
	make_results();
	perf_result_count_error(&g_results[1], 0x281);

	char *text = print_table(&g_info);

	CU_ASSERT_PTR_NOT_NULL(strstr(text, "PCIE (0000:00:03.0) NSID 1 from core  0"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "      500.00       1.95      10.00      10.00      10.00"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "     1500.00       5.86      30.00      30.00      30.00"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "Total"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "     2000.00       7.81      25.00      10.00      30.00"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "1 I/Os failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "1 x Unrecovered Read Error (sct 0x2, sc 0x81)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "99.99900% :       30.000us"));
	CU_ASSERT_PTR_NULL(strstr(text, "Latency histogram"));
	free(text);

	struct perf_report_info full = g_info;

	full.latency_level = 2;
	text = print_table(&full);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "Latency histogram for PCIE (0000:00:04.0) NSID 1"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "      30.000 -       30.000:  100.0000%  (     3000)"));
	free(text);
}

static void test_json_matches_table(void)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t error;

	make_results();
	perf_result_count_error(&g_results[0], 0x281);

	FILE *out = open_memstream(&text, &len);

	CU_ASSERT_EQUAL(perf_report_print_json(out, &g_info, g_results, 2), 0);
	fclose(out);

	json_t *root = json_loads(text, 0, &error);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *results = json_object_get(root, "results");
	json_t *first = json_array_get(results, 0);

	CU_ASSERT_EQUAL(json_array_size(results), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "device")),
			       "PCIE (0000:00:03.0) NSID 1");
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(first, "iops")), 500.0, 1e-9);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "errors")), 1);
	json_t *err0 = json_array_get(json_object_get(first, "error_statuses"), 0);

	CU_ASSERT_EQUAL(json_integer_value(json_object_get(err0, "sc")), 0x81);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(err0, "status")),
			       "Unrecovered Read Error");
	json_t *lat = json_object_get(first, "latency_us");

	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(lat, "avg")), 10.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(
		json_real_value(json_object_get(json_object_get(lat, "percentiles"), "99.9")), 10.0,
		1e-9);
	json_t *total = json_object_get(root, "total");

	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(total, "iops")), 2000.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(total, "avg_latency_us")), 25.0,
			       1e-9);
	CU_ASSERT_EQUAL(json_integer_value(
				json_object_get(json_object_get(root, "workload"), "queue_depth")),
			32);
	/* -L: percentiles but no buckets. */
	CU_ASSERT_PTR_NULL(json_object_get(lat, "buckets"));
	json_decref(root);
	free(text);
}

/* -LL: each non-empty bucket as [start_us, end_us, count], lowest first, counts adding up. */
static void test_json_buckets(void)
{
	struct usk_histogram h;
	int rc = 0;

	usk_histogram_init(&h);
	for (int i = 0; i < 90; i++) {
		usk_histogram_record(&h, 10);
	}
	for (int i = 0; i < 10; i++) {
		usk_histogram_record(&h, 5000);
	}
	json_t *lat = perf_latency_json(&h, HZ, 2, &rc);
	json_t *buckets = json_object_get(lat, "buckets");

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(buckets), 2);
	json_t *low = json_array_get(buckets, 0);
	json_t *high = json_array_get(buckets, 1);

	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_array_get(low, 0)), 10.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_array_get(low, 1)), 10.0, 1e-9);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(low, 2)), 90);
	/* 5000 lies in a bucket 32 wide (range of 4096..8191, 128 buckets). */
	CU_ASSERT_TRUE(json_real_value(json_array_get(high, 0)) <= 5000.0);
	CU_ASSERT_TRUE(json_real_value(json_array_get(high, 1)) >= 5000.0);
	double width = json_real_value(json_array_get(high, 1)) -
		       json_real_value(json_array_get(high, 0));

	CU_ASSERT_TRUE(width < 32.0);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(high, 2)), 10);
	CU_ASSERT_DOUBLE_EQUAL(
		json_real_value(json_object_get(json_object_get(lat, "percentiles"), "50")), 10.0,
		1e-9);
	json_decref(lat);

	/* Level 0: the mean and extremes only, percentiles empty. */
	lat = perf_latency_json(&h, HZ, 0, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(lat, "max")), 5000.0, 1e-9);
	CU_ASSERT_EQUAL(json_object_size(json_object_get(lat, "percentiles")), 0);
	CU_ASSERT_PTR_NULL(json_object_get(lat, "buckets"));
	json_decref(lat);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_totals),
		UT_TEST(test_error_kinds),
		UT_TEST(test_table),
		UT_TEST(test_json_matches_table),
		UT_TEST(test_json_buckets),
	};

	return UT_RUN("perf_report", tests);
}
