/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_rpc_stat.c: bdev_get_iostat and bdev_reset_iostat as SPDK's client
 * sees them. I/O runs on the test module on two threads polled with a
 * mocked tick, so every latency is exact.
 */
#include "ut_bdev_rpc.h"

/* The answer SPDK's bdev_get_iostat gives for @s, with USK's two extra counters. */
static json_t *expected_stat(const struct usk_bdev_io_stat *s)
{
	json_t *errors = json_object();
	json_t *o;

	if (s->num_failed != 0) {
		json_object_set_new(errors, "failed", json_integer((json_int_t)s->num_failed));
	}
	if (s->num_aborted != 0) {
		json_object_set_new(errors, "aborted", json_integer((json_int_t)s->num_aborted));
	}
	if (s->num_miscompares != 0) {
		json_object_set_new(errors, "miscompare",
				    json_integer((json_int_t)s->num_miscompares));
	}
	if (s->num_nvme_errors != 0) {
		json_object_set_new(errors, "nvme_error",
				    json_integer((json_int_t)s->num_nvme_errors));
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I}",
		      "bytes_read", s->bytes_read, "num_read_ops", s->num_read_ops,
		      "bytes_written", s->bytes_written, "num_write_ops", s->num_write_ops,
		      "bytes_unmapped", s->bytes_unmapped, "num_unmap_ops", s->num_unmap_ops,
		      "bytes_copied", 0, "num_copy_ops", 0, "read_latency_ticks",
		      s->read_latency_ticks, "max_read_latency_ticks", s->max_read_latency_ticks,
		      "min_read_latency_ticks", s->min_read_latency_ticks, "write_latency_ticks",
		      s->write_latency_ticks, "max_write_latency_ticks", s->max_write_latency_ticks,
		      "min_write_latency_ticks", s->min_write_latency_ticks,
		      "unmap_latency_ticks", s->unmap_latency_ticks, "max_unmap_latency_ticks",
		      s->max_unmap_latency_ticks, "min_unmap_latency_ticks",
		      s->min_unmap_latency_ticks, "copy_latency_ticks", 0,
		      "max_copy_latency_ticks", 0, "min_copy_latency_ticks", 0, "io_error", errors,
		      "num_other_ops", s->num_other_ops, "num_errors", s->num_errors);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

/* @entry is exactly {"name": @name} plus the counters of @want. */
static void assert_iostat(const json_t *entry, const char *name,
			  const struct usk_bdev_io_stat *want)
{
	json_t *expected = expected_stat(want);

	json_object_set_new(expected, "name", json_string(name));
	if (!json_equal(expected, entry)) {
		char *got = json_dumps(entry, JSON_SORT_KEYS);

		printf("\n%s: got %s\n", name, got ? got : "nothing");
		free(got);
		CU_FAIL("bdev_get_iostat's entry differs");
	}
	json_decref(expected);
}

/* The result of a bdev_get_iostat answer, after its tick rate and ticks are checked. */
static const json_t *iostat_result(const json_t *answer, uint64_t before)
{
	const json_t *result = json_object_get(answer, "result");

	CU_ASSERT_EQUAL(ut_json_uint(result, "tick_rate"), usk_ticks_hz());
	CU_ASSERT_TRUE(ut_json_uint(result, "ticks") >= before &&
		       ut_json_uint(result, "ticks") <= usk_ticks());
	return result;
}

static const json_t *iostat_bdevs(const json_t *answer)
{
	return json_object_get(iostat_result(answer, 0), "bdevs");
}

static uint64_t g_t0;

/* What submit_every_type does on one thread when all of it succeeds after @ticks. */
static struct usk_bdev_io_stat every_type_done_after(uint64_t ticks)
{
	return (struct usk_bdev_io_stat){
		.bytes_read = 2048,
		.num_read_ops = 1,
		.bytes_written = 1536 + 1024,
		.num_write_ops = 2,
		.bytes_unmapped = 100 * 512,
		.num_unmap_ops = 1,
		.num_other_ops = 4,
		.read_latency_ticks = ticks,
		.min_read_latency_ticks = ticks,
		.max_read_latency_ticks = ticks,
		.write_latency_ticks = 2 * ticks,
		.min_write_latency_ticks = ticks,
		.max_write_latency_ticks = ticks,
		.unmap_latency_ticks = ticks,
		.min_unmap_latency_ticks = ticks,
		.max_unmap_latency_ticks = ticks,
	};
}

/* On thread 1: the eight held I/O end in every way a module can end them. */
static void complete_every_way(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[1];

	CU_ASSERT_EQUAL_FATAL(mc->count, 8);
	mc->count = 0;
	usk_bdev_io_complete(mc->ios[0], USK_BDEV_IO_STATUS_FAILED);
	usk_bdev_io_complete(mc->ios[1], USK_BDEV_IO_STATUS_ABORTED);
	usk_bdev_io_complete(mc->ios[2], USK_BDEV_IO_STATUS_FAILED);
	usk_bdev_io_complete(mc->ios[3], USK_BDEV_IO_STATUS_MISCOMPARE);
	/* LBA out of range, from a device. */
	usk_bdev_io_complete_nvme_status(mc->ios[4], 0, 0x80);
	for (int i = 5; i < 8; i++) {
		usk_bdev_io_complete(mc->ios[i], USK_BDEV_IO_STATUS_SUCCESS);
	}
}

/*
 * ut0 on both threads: every type succeeds on thread 0 after 100 ticks and on
 * thread 1 after 300, then thread 1 ends eight more every way at 700.
 */
static void run_io_on_two_threads(void)
{
	g_t0 = ut_mock_ticks_base();
	on_thread(1, user_open_rw, (void *)1);
	on_thread_at(0, submit_every_type, NULL, g_t0);
	on_thread_at(1, submit_every_type, NULL, g_t0);
	on_thread_at(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS, g_t0 + 100);
	on_thread_at(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS, g_t0 + 300);
	on_thread_at(1, submit_every_type, NULL, g_t0 + 300);
	on_thread_at(1, complete_every_way, NULL, g_t0 + 1000);
	CU_ASSERT_EQUAL(g_users[0].done + g_users[1].done, 24);
}

/* Thread 1's channel: its two rounds, the second ending every way (complete_every_way). */
static struct usk_bdev_io_stat thread1_stat(void)
{
	struct usk_bdev_io_stat s = every_type_done_after(300);

	/* Of the second round, the unmap, the flush and the reset succeeded, after 700. */
	s.num_unmap_ops++;
	s.bytes_unmapped += 100 * 512;
	s.unmap_latency_ticks += 700;
	s.max_unmap_latency_ticks = 700;
	s.num_other_ops += 2;
	s.num_errors = 5;
	s.num_failed = 2;
	s.num_aborted = 1;
	s.num_miscompares = 1;
	s.num_nvme_errors = 1;
	return s;
}

/* Both channels summed: counts add, latencies add, the extremes are the extremes. */
static struct usk_bdev_io_stat ut0_stat(void)
{
	struct usk_bdev_io_stat s = thread1_stat();
	struct usk_bdev_io_stat t0 = every_type_done_after(100);

	s.bytes_read += t0.bytes_read;
	s.num_read_ops += t0.num_read_ops;
	s.bytes_written += t0.bytes_written;
	s.num_write_ops += t0.num_write_ops;
	s.bytes_unmapped += t0.bytes_unmapped;
	s.num_unmap_ops += t0.num_unmap_ops;
	s.num_other_ops += t0.num_other_ops;
	s.read_latency_ticks = 400;
	s.write_latency_ticks = 800;
	s.unmap_latency_ticks = 100 + 300 + 700;
	s.min_read_latency_ticks = s.min_write_latency_ticks = s.min_unmap_latency_ticks = 100;
	return s;
}

static void test_get_iostat_in_spdks_shape(void)
{
	static const struct usk_bdev_io_stat idle_stat;
	struct usk_bdev_io_stat want = ut0_stat();
	uint64_t before = usk_ticks();
	const json_t *result, *bdevs;

	setup_two_bdevs();
	run_io_on_two_threads();
	/* As SPDK's client sends it. */
	result = iostat_result(call("bdev_get_iostat", "{\"per_channel\": false}"), before);
	CU_ASSERT_TRUE(g_answered_later);
	CU_ASSERT_EQUAL(json_object_size(result), 3);
	bdevs = json_object_get(result, "bdevs");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 2);
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	assert_iostat(json_array_get(bdevs, 1), "ut1", &idle_stat);
	/* By alias too, under the bdev's own name; USK's client sends name. */
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"disk-a\"}"));
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	/* SPDK's names, in the order given. */
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"names\": [\"ut1\", \"disk-a\"]}"));
	CU_ASSERT_EQUAL(json_array_size(bdevs), 2);
	assert_iostat(json_array_get(bdevs, 0), "ut1", &idle_stat);
	assert_iostat(json_array_get(bdevs, 1), "ut0", &want);
	on_thread(1, user_close, NULL);
	/* A released channel's counters stay in the sum. */
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut0\"}"));
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	teardown_two_bdevs();
}

/*
 * An I/O that ends at a tick before the one it began at (the clock went
 * back: a VM restored from a snapshot) took no time, not 2^64 ticks less
 * the step: its latency is 0, in the sums and the extremes.
 */
static void test_latency_across_a_clock_step_back(void)
{
	struct usk_bdev_io_stat want = every_type_done_after(0);
	const json_t *bdevs;

	setup_two_bdevs();
	g_t0 = ut_mock_ticks_base();
	on_thread_at(0, submit_every_type, NULL, g_t0 + 1000);
	on_thread_at(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS, g_t0 + 400);
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut0\"}"));
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	teardown_two_bdevs();
}

static uint64_t thread_id(int i)
{
	return usk_thread_get_id(g_ut_threads[i]);
}

/* per_channel: one bdev's channels, each with its thread's id, in SPDK's shape. */
static void test_get_iostat_per_channel(void)
{
	struct usk_bdev_io_stat t0 = every_type_done_after(100), t1 = thread1_stat();
	const json_t *result, *channels;
	uint64_t before = usk_ticks();

	setup_two_bdevs();
	run_io_on_two_threads();
	result = iostat_result(
		call("bdev_get_iostat", "{\"names\": [\"disk-a\"], \"per_channel\": true}"),
		before);
	CU_ASSERT_EQUAL(json_object_size(result), 4);
	CU_ASSERT_STRING_EQUAL(ut_json_string(result, "name"), "ut0");
	channels = json_object_get(result, "channels");
	CU_ASSERT_EQUAL_FATAL(json_array_size(channels), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *entry = json_deep_copy(json_array_get(channels, i));
		uint64_t id = ut_json_uint(entry, "thread_id");

		CU_ASSERT_TRUE(id == thread_id(0) || id == thread_id(1));
		json_object_del(entry, "thread_id");
		json_object_set_new(entry, "name", json_string("ut0"));
		assert_iostat(entry, "ut0", id == thread_id(0) ? &t0 : &t1);
		json_decref(entry);
	}
	on_thread(1, user_close, NULL);
	teardown_two_bdevs();
}

static void test_get_iostat_refuses_bad_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": 5}", "params: field 'name': expected a string"},
		{"{\"bdev\": \"ut0\"}", "params: unknown field 'bdev'"},
		{"{\"names\": \"ut0\"}", "params: field 'names': expected an array of bdev names"},
		{"{\"names\": [\"ut0\", 5]}",
		 "params: field 'names': expected an array of bdev names"},
		{"{\"names\": [\"ut0\", \"nosuch\"]}",
		 "params: field 'names': no bdev is called 'nosuch'"},
		{"{\"name\": \"ut0\", \"names\": [\"ut0\"]}",
		 "params: give 'name' or 'names', not both"},
		{"{\"per_channel\": 1}", "params: field 'per_channel': expected true or false"},
		{"{\"per_channel\": true}",
		 "params: field 'per_channel': true needs exactly one bdev, named in 'name' or "
		 "'names'"},
		{"{\"names\": [\"ut0\", \"ut1\"], \"per_channel\": true}",
		 "params: field 'per_channel': true needs exactly one bdev, named in 'name' or "
		 "'names'"},
		{"{\"reset_mode\": \"sometimes\"}",
		 "params: field 'reset_mode': expected \"all\", \"maxmin\", \"error\" or \"none\""},
	};

	setup_two_bdevs();
	assert_unknown_name_refused("bdev_get_iostat", "{\"name\": \"nosuch\"}");
	ut_rpc_assert_refusals(call, "bdev_get_iostat", refusals, USK_COUNTOF(refusals));
	teardown_two_bdevs();
}

/* reset_mode resets after reading: the answer shows what was, the next what is left. */
static void test_get_iostat_reset_mode(void)
{
	struct usk_bdev_io_stat want = ut0_stat();
	const json_t *bdevs;

	setup_two_bdevs();
	run_io_on_two_threads();
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut0\", \"reset_mode\": \"maxmin\"}"));
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	usk_bdev_io_stat_reset(&want, USK_BDEV_RESET_STAT_MAXMIN);
	/* SPDK prints a smallest latency of none as 0. */
	want.min_read_latency_ticks = want.min_write_latency_ticks = 0;
	want.min_unmap_latency_ticks = 0;
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut0\", \"reset_mode\": \"all\"}"));
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	usk_bdev_io_stat_reset(&want, USK_BDEV_RESET_STAT_ALL);
	want.min_read_latency_ticks = want.min_write_latency_ticks = 0;
	want.min_unmap_latency_ticks = 0;
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut0\", \"reset_mode\": \"none\"}"));
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
	on_thread(1, user_close, NULL);
	teardown_two_bdevs();
}

static void reset_iostat(const char *params)
{
	CU_ASSERT_TRUE(json_is_true(json_object_get(call("bdev_reset_iostat", params), "result")));
}

/* What bdev_get_iostat shows of ut0 is @want, its zero minimums printed as SPDK does. */
static void assert_ut0_iostat(struct usk_bdev_io_stat want)
{
	const json_t *bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut0\"}"));

	want.min_read_latency_ticks %= UINT64_MAX;
	want.min_write_latency_ticks %= UINT64_MAX;
	want.min_unmap_latency_ticks %= UINT64_MAX;
	assert_iostat(json_array_get(bdevs, 0), "ut0", &want);
}

/*
 * bdev_reset_iostat clears what its mode says, on every channel and on the
 * counters of channels already released (thread 1's is closed first).
 */
static void test_reset_iostat_modes(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"mode\": \"most\"}",
		 "params: field 'mode': expected \"all\", \"maxmin\", \"error\" or \"none\""},
		{"{\"name\": \"nosuch\"}", "params: field 'name': no bdev is called 'nosuch'"},
		{"{\"bdev\": \"ut0\"}", "params: unknown field 'bdev'"},
	};
	struct usk_bdev_io_stat want = ut0_stat();

	setup_two_bdevs();
	run_io_on_two_threads();
	on_thread(1, user_close, NULL);
	ut_rpc_assert_refusals(call, "bdev_reset_iostat", refusals, USK_COUNTOF(refusals));
	reset_iostat("{\"mode\": \"none\"}");
	assert_ut0_iostat(want);
	reset_iostat("{\"name\": \"disk-a\", \"mode\": \"error\"}");
	usk_bdev_io_stat_reset(&want, USK_BDEV_RESET_STAT_ERROR);
	assert_ut0_iostat(want);
	reset_iostat("{\"mode\": \"maxmin\"}");
	usk_bdev_io_stat_reset(&want, USK_BDEV_RESET_STAT_MAXMIN);
	assert_ut0_iostat(want);
	/* SPDK's client sends {} for all bdevs, all counters. */
	reset_iostat("{}");
	usk_bdev_io_stat_reset(&want, USK_BDEV_RESET_STAT_ALL);
	assert_ut0_iostat(want);
	teardown_two_bdevs();
}

/* A bdev unregistered while the walk is on an earlier one is left out of the answer. */
static void test_get_iostat_leaves_out_a_bdev_gone_meanwhile(void)
{
	const json_t *bdevs;
	int answers;

	setup_two_bdevs();
	answers = g_conn.answers;
	/* Thread 1 holds a channel of ut0, so the walk stops there until thread 1 runs. */
	on_thread(1, user_open_rw, NULL);
	on_thread_0_alone(dispatch_msg, ut_rpc_request_new("bdev_get_iostat", NULL));
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	on_thread_0_alone(unregister_second, NULL);
	assert_second_destructed();
	ut_poll_threads(g_ut_threads, 2);
	ut_rpc_assert_answered_once(answers);
	bdevs = iostat_bdevs(g_conn.last);
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	CU_ASSERT_STRING_EQUAL(ut_json_string(json_array_get(bdevs, 0), "name"), "ut0");
	on_thread(1, user_close, NULL);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_get_iostat_in_spdks_shape),
		UT_TEST(test_get_iostat_per_channel),
		UT_TEST(test_latency_across_a_clock_step_back),
		UT_TEST(test_get_iostat_refuses_bad_params),
		UT_TEST(test_get_iostat_reset_mode),
		UT_TEST(test_reset_iostat_modes),
		UT_TEST(test_get_iostat_leaves_out_a_bdev_gone_meanwhile),
	};
	int rc = bdev_rpc_register() != 0 ? 99 : UT_BDEV_MODULE_RUN("bdev_rpc_stat", tests);

	json_decref(g_conn.last);
	return rc;
}
