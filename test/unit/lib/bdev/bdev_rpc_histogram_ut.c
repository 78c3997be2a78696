/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_rpc_histogram.c: bdev_enable_histogram and bdev_get_histogram as
 * SPDK's client and scripts/histogram.py see them: buckets in SPDK's
 * layout, exact, from I/O run on a mocked tick.
 */
#include "ut_bdev_rpc.h"

/* Decodes base64 @text into @out (at most @max bytes); returns the bytes, or -1. */
static long base64_decode(const char *text, uint8_t *out, size_t max)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (const char *c = text; *c != '\0' && *c != '='; c++) {
		const char *at = strchr(alphabet, *c);

		if (at == NULL) {
			return -1;
		}
		acc = (acc << 6) | (uint32_t)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max) {
				return -1;
			}
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)n;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * usk_ticks_hz() / 1000000000u);
}

static uint8_t g_raw[USK_HISTOGRAM_RANGES * USK_HISTOGRAM_SUB_COUNT * 8];

/* The answer's buckets, checked against SPDK's layout for @min_range..@max_range. */
static size_t histogram_buckets(const json_t *answer, uint32_t min_range, uint32_t max_range)
{
	const json_t *result = json_object_get(answer, "result");
	long bytes;

	CU_ASSERT_EQUAL(json_object_size(result), 5);
	CU_ASSERT_EQUAL(ut_json_uint(result, "granularity"), 7);
	CU_ASSERT_EQUAL(ut_json_uint(result, "tsc_rate"), usk_ticks_hz());
	CU_ASSERT_EQUAL(ut_json_uint(result, "min_range"), min_range);
	CU_ASSERT_EQUAL(ut_json_uint(result, "max_range"), max_range);
	bytes = base64_decode(ut_json_string(result, "histogram"), g_raw, sizeof(g_raw));
	CU_ASSERT_EQUAL(bytes, (long)(max_range - min_range + 1) * 128 * 8);
	return bytes > 0 ? (size_t)bytes / 8 : 0;
}

/* Bucket @k of the last answer decoded, little-endian. */
static uint64_t bucket(size_t k)
{
	uint64_t v = 0;

	for (int b = 7; b >= 0; b--) {
		v = (v << 8) | g_raw[k * 8 + (size_t)b];
	}
	return v;
}

/* Every bucket is empty but those in @at, which hold @count each. */
static void assert_buckets(size_t n, const size_t *at, size_t nat, uint64_t count)
{
	uint64_t total = 0;

	for (size_t k = 0; k < n; k++) {
		total += bucket(k);
	}
	CU_ASSERT_EQUAL(total, nat * count);
	for (size_t i = 0; i < nat; i++) {
		CU_ASSERT_EQUAL(bucket(at[i]), count);
	}
}

static void enable(const char *params)
{
	CU_ASSERT_TRUE(
		json_is_true(json_object_get(call("bdev_enable_histogram", params), "result")));
}

/* Every type on both threads: latency 100 on thread 0, 3000 on thread 1. */
static void run_io(void)
{
	uint64_t t0 = ut_mock_ticks_base();

	g_users[0].done = g_users[1].done = 0;
	on_thread_at(0, submit_every_type, NULL, t0);
	on_thread_at(1, submit_every_type, NULL, t0);
	on_thread_at(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS, t0 + 100);
	on_thread_at(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_FAILED, t0 + 3000);
	CU_ASSERT_EQUAL(g_users[0].done + g_users[1].done, 16);
}

/*
 * Reads only, over the whole range: 100 ticks is range 0, bucket 100; 3000
 * is range 5 (2^11 to 2^12 in steps of 16), bucket (3000 >> 4) - 128 = 59.
 */
static void test_histogram_of_reads_in_spdks_layout(void)
{
	uint32_t max_range = usk_histogram_range(ns_to_ticks(1000000000000ull) - 1);
	size_t n, at[2] = {100, 5 * 128 + 59};

	setup();
	on_thread(1, user_open_rw, (void *)1);
	enable("{\"name\": \"ut0\", \"enable\": true, \"opc\": \"read\", \"granularity\": 7, "
	       "\"min_nsec\": 0, \"max_nsec\": 1000000000000}");
	run_io();
	n = histogram_buckets(call("bdev_get_histogram", "{\"name\": \"ut0\"}"), 0, max_range);
	assert_buckets(n, at, 2, 1);
	/* A released channel's latencies stay. */
	on_thread(1, user_close, NULL);
	n = histogram_buckets(call("bdev_get_histogram", "{\"name\": \"ut0\"}"), 0, max_range);
	assert_buckets(n, at, 2, 1);
	teardown();
}

/* The sum of the buckets of the last answer decoded. */
static uint64_t buckets_total(size_t n)
{
	uint64_t total = 0;

	for (size_t k = 0; k < n; k++) {
		total += bucket(k);
	}
	return total;
}

/*
 * As SPDK's tally: a value above max_nsec lands in the last bucket, one
 * below min_nsec in the first. Without opc every type counts.
 */
static void test_histogram_folds_what_is_outside_its_range(void)
{
	uint64_t max_ns = 2048 * 1000000000ull / usk_ticks_hz();
	uint32_t max_range = usk_histogram_range(ns_to_ticks(max_ns) - 1);
	uint32_t min_range = usk_histogram_range(ns_to_ticks(1000));
	uint32_t default_max = usk_histogram_range(ns_to_ticks(120000000000ull) - 1);
	char params[128];
	size_t n, at[2] = {100, (max_range + 1) * 128 - 1};

	setup();
	on_thread(1, user_open_rw, (void *)1);
	/* Up to about 2048 ticks: 3000 is above. */
	snprintf(params, sizeof(params),
		 "{\"name\": \"ut0\", \"enable\": true, \"min_nsec\": 0, \"max_nsec\": %llu}",
		 (unsigned long long)max_ns);
	enable(params);
	run_io();
	n = histogram_buckets(call("bdev_get_histogram", "{\"name\": \"ut0\"}"), 0, max_range);
	assert_buckets(n, at, 2, 8);
	/* SPDK's defaults, 1 us to 120 s, as its client asks; starting again starts afresh. */
	enable("{\"name\": \"ut0\", \"enable\": true}");
	n = histogram_buckets(call("bdev_get_histogram", "{\"name\": \"ut0\"}"), min_range,
			      default_max);
	CU_ASSERT_EQUAL(buckets_total(n), 0);
	run_io();
	n = histogram_buckets(call("bdev_get_histogram", "{\"name\": \"ut0\"}"), min_range,
			      default_max);
	CU_ASSERT_EQUAL(buckets_total(n), 16);
	/* 100 ticks is below 1 us on any clock over 100 MHz. */
	CU_ASSERT_TRUE(bucket(0) >= 8);
	on_thread(1, user_close, NULL);
	teardown();
}

static void test_histogram_refusals(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"ut0\"}", "params: missing field 'enable'"},
		{"{\"name\": \"ut0\", \"enable\": true, \"opc\": \"nosuch\"}",
		 "params: field 'opc': no I/O type is called 'nosuch' (see supported_io_types in "
		 "bdev_get_bdevs)"},
		{"{\"name\": \"ut0\", \"enable\": true, \"opc\": \"nvme_admin\"}",
		 "params: field 'opc': USK has no 'nvme_admin' I/O, so nothing would be recorded"},
		{"{\"name\": \"ut0\", \"enable\": true, \"granularity\": 8}",
		 "params: field 'granularity': only 7 is accepted (USK's histogram has 128 buckets "
		 "in each power of two, SPDK's granularity 7)"},
		{"{\"name\": \"ut0\", \"enable\": true, \"min_nsec\": 5, \"max_nsec\": 5}",
		 "params: field 'min_nsec': must be below max_nsec (and at least a tick apart)"},
		{"{\"name\": \"nosuch\", \"enable\": true}",
		 "params: field 'name': no bdev is called 'nosuch'"},
	};

	setup();
	ut_rpc_assert_refusals(call, "bdev_enable_histogram", refusals, USK_COUNTOF(refusals));
	ut_rpc_assert_refused(call("bdev_get_histogram", "{\"name\": \"ut0\"}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "bdev 'ut0': no latency histogram: turn it on with "
			      "bdev_enable_histogram");
	enable("{\"name\": \"ut0\", \"enable\": true}");
	enable("{\"name\": \"ut0\", \"enable\": false}");
	CU_ASSERT_FALSE(usk_bdev_histogram_enabled(&g_bdev));
	ut_rpc_assert_refused(call("bdev_get_histogram", "{\"name\": \"ut0\"}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "bdev 'ut0': no latency histogram: turn it on with "
			      "bdev_enable_histogram");
	ut_rpc_assert_refused(call("bdev_get_histogram", "{}"), USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: missing field 'name'");
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_histogram_of_reads_in_spdks_layout),
		UT_TEST(test_histogram_folds_what_is_outside_its_range),
		UT_TEST(test_histogram_refusals),
	};
	int rc = bdev_rpc_register() != 0 ? 99 : UT_BDEV_MODULE_RUN("bdev_rpc_histogram", tests);

	json_decref(g_conn.last);
	return rc;
}
