/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_rpc.c: bdev_get_bdevs and bdev_set_qos_limit as a
 * client sees them. Requests go through lib/rpc's own dispatch on thread 0,
 * where the server would run them, and their answers land on a fake
 * connection in place of the socket server's; the bdevs sit on the test
 * module, which holds every I/O until the test completes it.
 */
#include "ut_bdev_rpc.h"

/* What bdev_get_bdevs should show of a bdev. */
struct bdev_info {
	const char *name;
	const char *alias; /* NULL: none */
	const char *product_name;
	uint64_t block_size;
	uint64_t num_blocks;
	uint64_t write_unit_size;
	uint64_t optimal_io_boundary;
	bool claimed;
	struct usk_bdev *bdev;
};

/* SPDK's fields and USK's three; claim_type only when claimed, as SPDK. */
static const char *const g_info_fields[] = {
	"name",
	"aliases",
	"product_name",
	"uuid",
	"block_size",
	"num_blocks",
	"preferred_write_alignment",
	"preferred_write_granularity",
	"optimal_write_size",
	"preferred_unmap_alignment",
	"preferred_unmap_granularity",
	"assigned_rate_limits",
	"claimed",
	"zoned",
	"supported_io_types",
	"driver_specific",
	"driver",
	"write_unit_size",
	"optimal_io_boundary",
};

static void assert_info_fields(const json_t *info, bool claimed)
{
	for (size_t i = 0; i < USK_COUNTOF(g_info_fields); i++) {
		CU_ASSERT_PTR_NOT_NULL(json_object_get(info, g_info_fields[i]));
	}
	/* Every field checked: a new one needs its check. */
	CU_ASSERT_EQUAL(json_object_size(info), USK_COUNTOF(g_info_fields) + claimed);
	for (size_t i = 6; i < 11; i++) {
		CU_ASSERT_EQUAL(ut_json_uint(info, g_info_fields[i]), 0);
	}
	CU_ASSERT_TRUE(json_is_false(json_object_get(info, "zoned")));
	if (claimed) {
		CU_ASSERT_STRING_EQUAL(ut_json_string(info, "claim_type"), "exclusive_write");
	}
}

static void assert_bdev_info(const json_t *info, const struct bdev_info *want)
{
	const json_t *aliases = json_object_get(info, "aliases");
	char uuid[USK_UUID_STRING_LEN];

	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "name"), want->name);
	CU_ASSERT_EQUAL(json_array_size(aliases), want->alias != NULL ? 1u : 0u);
	if (want->alias != NULL && json_is_string(json_array_get(aliases, 0))) {
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(aliases, 0)), want->alias);
	}
	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "product_name"), want->product_name);
	CU_ASSERT_EQUAL(usk_uuid_fmt(uuid, sizeof(uuid), usk_bdev_get_uuid(want->bdev)), 0);
	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "uuid"), uuid);
	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "driver"), "ut");
	CU_ASSERT_EQUAL(ut_json_uint(info, "block_size"), want->block_size);
	CU_ASSERT_EQUAL(ut_json_uint(info, "num_blocks"), want->num_blocks);
	CU_ASSERT_EQUAL(ut_json_uint(info, "write_unit_size"), want->write_unit_size);
	CU_ASSERT_EQUAL(ut_json_uint(info, "optimal_io_boundary"), want->optimal_io_boundary);
	CU_ASSERT_EQUAL(json_is_true(json_object_get(info, "claimed")), want->claimed);
	assert_info_fields(info, want->claimed);
}

/*
 * SPDK's whole list of I/O types: the module supports USK's every type but
 * unmap while g_no_unmap is set; those USK has no type for are false.
 */
static void assert_supported_io_types(const json_t *info)
{
	static const char *const usk_types[] = {"read",	 "write", "write_zeroes",
						"flush", "reset", "compare"};
	static const char *const other_types[] = {
		"unmap",	   "nvme_admin", "nvme_io",   "nvme_io_md",  "zcopy",
		"get_zone_info",   "zone_management",	     "zone_append", "compare_and_write",
		"abort",	   "seek_hole",	 "seek_data", "copy",	     "nvme_iov_md",
		"nvme_nssr",	   "write_uncorrectable",
	};
	const json_t *supported = json_object_get(info, "supported_io_types");

	CU_ASSERT_EQUAL(json_object_size(supported),
			USK_COUNTOF(usk_types) + USK_COUNTOF(other_types));
	for (size_t i = 0; i < USK_COUNTOF(usk_types); i++) {
		CU_ASSERT_TRUE(json_is_true(json_object_get(supported, usk_types[i])));
	}
	for (size_t i = 0; i < USK_COUNTOF(other_types); i++) {
		CU_ASSERT_TRUE(json_is_false(json_object_get(supported, other_types[i])));
	}
}

/* SPDK's four limits, in its order. */
struct limits {
	uint64_t rw_ios, rw_mbytes, r_mbytes, w_mbytes;
};

/* The limits @b holds, as its getter and bdev_get_bdevs show them. */
static void assert_qos_limits(struct usk_bdev *b, struct limits want)
{
	char params[64];
	struct usk_bdev_qos_limits l;
	const json_t *bdevs, *limits;

	usk_bdev_get_qos_limits(b, &l);
	CU_ASSERT_EQUAL(l.rw_ios_per_s, want.rw_ios);
	CU_ASSERT_EQUAL(l.rw_mbytes_per_s, want.rw_mbytes);
	CU_ASSERT_EQUAL(l.r_mbytes_per_s, want.r_mbytes);
	CU_ASSERT_EQUAL(l.w_mbytes_per_s, want.w_mbytes);
	snprintf(params, sizeof(params), "{\"name\": \"%s\"}", usk_bdev_get_name(b));
	bdevs = json_object_get(call("bdev_get_bdevs", params), "result");
	limits = json_object_get(json_array_get(bdevs, 0), "assigned_rate_limits");
	CU_ASSERT_EQUAL(json_object_size(limits), 4);
	CU_ASSERT_EQUAL(ut_json_uint(limits, "rw_ios_per_sec"), want.rw_ios);
	CU_ASSERT_EQUAL(ut_json_uint(limits, "rw_mbytes_per_sec"), want.rw_mbytes);
	CU_ASSERT_EQUAL(ut_json_uint(limits, "r_mbytes_per_sec"), want.r_mbytes);
	CU_ASSERT_EQUAL(ut_json_uint(limits, "w_mbytes_per_sec"), want.w_mbytes);
}

static const struct bdev_info g_ut0_info = {"ut0", "disk-a", "test disk", 512, 1024, 1, 0, false,
					    &g_bdev};
static const struct bdev_info g_ut1_info = {"ut1", NULL, "second disk", 4096, 256, 8, 64, true,
					    &g_second};

/* Every bdev in registration order, each with every field SPDK's bdev_get_bdevs shows. */
static void test_get_bdevs_lists_every_bdev_with_its_fields(void)
{
	const json_t *bdevs;

	/* The layer asks the module at register. */
	g_no_unmap = true;
	setup_two_bdevs();
	g_no_unmap = false;
	/* As SPDK's client sends it. */
	bdevs = json_object_get(call("bdev_get_bdevs", "{}"), "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 2);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut0_info);
	assert_bdev_info(json_array_get(bdevs, 1), &g_ut1_info);
	for (size_t i = 0; i < 2; i++) {
		assert_supported_io_types(json_array_get(bdevs, i));
		/* The test module has no dump_info_json. */
		CU_ASSERT_EQUAL(json_object_size(json_object_get(json_array_get(bdevs, i),
								 "driver_specific")),
				0);
	}
	assert_qos_limits(&g_bdev, (struct limits){0});
	assert_qos_limits(&g_second, (struct limits){0});
	teardown_two_bdevs();
}

/* SPDK's metadata members: only for a bdev with metadata, dif_is_head_of_md only with PI. */
static void test_get_bdevs_metadata_fields(void)
{
	const json_t *bdevs, *info;

	setup_two_bdevs();
	g_second.md_len = 8;
	g_second.dif_type = 1;
	g_second.dif_is_head_of_md = true;
	bdevs = json_object_get(call("bdev_get_bdevs", NULL), "result");
	CU_ASSERT_PTR_NULL(json_object_get(json_array_get(bdevs, 0), "md_size"));
	info = json_array_get(bdevs, 1);
	CU_ASSERT_EQUAL(ut_json_uint(info, "md_size"), 8);
	CU_ASSERT_TRUE(json_is_false(json_object_get(info, "md_interleave")));
	CU_ASSERT_EQUAL(ut_json_uint(info, "dif_type"), 1);
	CU_ASSERT_TRUE(json_is_true(json_object_get(info, "dif_is_head_of_md")));
	g_second.dif_type = 0;
	bdevs = json_object_get(call("bdev_get_bdevs", NULL), "result");
	info = json_array_get(bdevs, 1);
	CU_ASSERT_EQUAL(ut_json_uint(info, "dif_type"), 0);
	CU_ASSERT_PTR_NULL(json_object_get(info, "dif_is_head_of_md"));
	g_second.md_len = 0;
	g_second.dif_is_head_of_md = false;
	teardown_two_bdevs();
}

static void ut_dump_info(void *ctxt, struct usk_json_write_ctx *w)
{
	usk_json_write_named_string(w, "file", ctxt);
	usk_json_write_named_uint64(w, "depth", 32);
}

/* A module's dump_info_json fills driver_specific, and only its bdev's. */
static void test_get_bdevs_driver_specific_from_the_module(void)
{
	struct usk_bdev_fn_table fn = *g_bdev.fn_table;
	const json_t *bdevs, *specific;

	setup_two_bdevs();
	fn.dump_info_json = ut_dump_info;
	g_second.fn_table = &fn;
	g_second.ctxt = "/tmp/disk";
	bdevs = json_object_get(call("bdev_get_bdevs", NULL), "result");
	CU_ASSERT_EQUAL(json_object_size(json_object_get(json_array_get(bdevs, 0),
							 "driver_specific")),
			0);
	specific = json_object_get(json_array_get(bdevs, 1), "driver_specific");
	CU_ASSERT_EQUAL(json_object_size(specific), 2);
	CU_ASSERT_STRING_EQUAL(ut_json_string(specific, "file"), "/tmp/disk");
	CU_ASSERT_EQUAL(ut_json_uint(specific, "depth"), 32);
	g_second.fn_table = g_bdev.fn_table;
	teardown_two_bdevs();
}

static void test_get_bdevs_by_name_alias_or_uuid(void)
{
	char params[80], uuid[USK_UUID_STRING_LEN];
	const json_t *bdevs;

	setup_two_bdevs();
	bdevs = json_object_get(call("bdev_get_bdevs", "{\"name\": \"ut1\"}"), "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut1_info);
	bdevs = json_object_get(call("bdev_get_bdevs", "{\"name\": \"disk-a\"}"), "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut0_info);
	usk_uuid_fmt(uuid, sizeof(uuid), usk_bdev_get_uuid(&g_bdev));
	snprintf(params, sizeof(params), "{\"name\": \"%s\", \"timeout\": 0}", uuid);
	bdevs = json_object_get(call("bdev_get_bdevs", params), "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut0_info);
	assert_unknown_name_refused("bdev_get_bdevs", "{\"name\": \"nosuch\"}");
	assert_unknown_name_refused("bdev_get_bdevs", "{\"name\": \"nosuch\", \"timeout\": 0}");
	ut_rpc_assert_refusals(call, "bdev_get_bdevs", g_bad_name_params,
			       USK_COUNTOF(g_bad_name_params));
	ut_rpc_assert_refused(call("bdev_get_bdevs", "{\"name\": \"ut0\", \"timeout\": -1}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'timeout': expected an integer from 0 to "
			      "9223372036854775807");
	teardown_two_bdevs();
}

/* Sends bdev_get_bdevs @params on thread 0 at the mocked tick @now; returns the answers before. */
static int get_bdevs_at(const char *params, uint64_t now)
{
	int answers = g_conn.answers;

	json_decref(g_conn.last);
	g_conn.last = NULL;
	on_thread_at(0, dispatch_msg, ut_rpc_request_new("bdev_get_bdevs", params), now);
	return answers;
}

/*
 * With a timeout, bdev_get_bdevs waits for the bdev to appear and answers
 * with it then; the test moves a mocked clock, so no wall time passes.
 */
static void test_get_bdevs_waits_for_the_bdev_to_appear(void)
{
	uint64_t t0 = ut_mock_ticks_base(), ms = usk_us_to_ticks(1000);
	const json_t *bdevs;
	int answers;

	setup();
	answers = get_bdevs_at("{\"name\": \"ut1\", \"timeout\": 100}", t0);
	CU_ASSERT_TRUE(g_answered_later);
	on_thread_at(0, NULL, NULL, t0 + 50 * ms);
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	on_thread_at(0, register_second, NULL, t0 + 60 * ms);
	on_thread_at(0, NULL, NULL, t0 + 62 * ms);
	ut_rpc_assert_answered_once(answers);
	bdevs = json_object_get(g_conn.last, "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut1_info);
	/* Answered once: the poller is gone. */
	on_thread_at(0, NULL, NULL, t0 + 200 * ms);
	CU_ASSERT_EQUAL(g_conn.answers, answers + 1);
	on_thread(0, unregister_second, NULL);
	assert_second_destructed();
	teardown();
}

/*
 * When the time is up with no such bdev, the answer names it: not a tick
 * before, and at the poller's next look after (it looks every millisecond).
 */
static void test_get_bdevs_timeout_runs_out(void)
{
	uint64_t t0 = ut_mock_ticks_base(), end = t0 + usk_us_to_ticks(100 * 1000);
	int answers;

	setup();
	answers = get_bdevs_at("{\"name\": \"late\", \"timeout\": 100}", t0);
	on_thread_at(0, NULL, NULL, end - 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	on_thread_at(0, NULL, NULL, end - 1 + usk_us_to_ticks(1000));
	ut_rpc_assert_answered_once(answers);
	ut_rpc_assert_refused(g_conn.last, USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'name': no bdev called 'late' appeared within 100 ms");
	teardown();
}

/*
 * The clock goes back 600 s while bdev_get_bdevs waits (a virtual machine
 * restored from a snapshot): the wait starts again at the poller's first
 * look on the new clock, and ends 100 ms after it. Before, it lasted 600 s
 * longer.
 */
static void test_get_bdevs_timeout_across_a_clock_step_back(void)
{
	uint64_t t0 = ut_mock_ticks_base(), ms = usk_us_to_ticks(1000);
	uint64_t stepped = t0 + 10 * ms - usk_us_to_ticks(600 * 1000000ull);
	int answers;

	setup();
	answers = get_bdevs_at("{\"name\": \"late\", \"timeout\": 100}", t0);
	on_thread_at(0, NULL, NULL, t0 + 10 * ms);
	on_thread_at(0, NULL, NULL, stepped);
	/* The poller's first look after the step (it looks every millisecond). */
	on_thread_at(0, NULL, NULL, stepped + ms);
	on_thread_at(0, NULL, NULL, stepped + 101 * ms - 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	on_thread_at(0, NULL, NULL, stepped + 102 * ms);
	ut_rpc_assert_answered_once(answers);
	ut_rpc_assert_refused(g_conn.last, USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'name': no bdev called 'late' appeared within 100 ms");
	teardown();
}

/*
 * A timeout longer than ticks can count (10^13 ms is 317 years; the most
 * JSON's integers hold) waits as long as it takes: an hour on, still no answer;
 * the bdev appears, the answer comes. 10^13 ms used to come out of the
 * conversion to ticks as whatever the CPU makes of a double beyond 2^64.
 */
static void test_get_bdevs_timeout_longer_than_ticks_count(void)
{
	static const char *const params[] = {
		"{\"name\": \"ut1\", \"timeout\": 10000000000000}",
		"{\"name\": \"ut1\", \"timeout\": 9223372036854775807}",
	};
	uint64_t t0 = ut_mock_ticks_base(), hour = usk_us_to_ticks(3600 * 1000000ull);

	for (size_t i = 0; i < USK_COUNTOF(params); i++) {
		int answers;

		setup();
		answers = get_bdevs_at(params[i], t0);
		on_thread_at(0, NULL, NULL, t0 + hour);
		CU_ASSERT_EQUAL(g_conn.answers, answers);
		on_thread_at(0, register_second, NULL, t0 + hour + 1);
		on_thread_at(0, NULL, NULL, t0 + hour + usk_us_to_ticks(2000));
		ut_rpc_assert_answered_once(answers);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(g_conn.last, "result")), 1);
		on_thread(0, unregister_second, NULL);
		assert_second_destructed();
		teardown();
	}
}

static void set_qos_limit(const char *params)
{
	CU_ASSERT_TRUE(json_is_true(json_object_get(call("bdev_set_qos_limit", params), "result")));
}

static const char *const g_ut0_limits =
	"{\"name\": \"ut0\", \"rw_ios_per_sec\": 5000, \"rw_mbytes_per_sec\": 100}";

/* Limits by name or alias; as SPDK's, one left out stays as it was, and 0 lifts one. */
static void test_set_qos_limit_sets_what_the_bdev_holds(void)
{
	setup_two_bdevs();
	set_qos_limit(g_ut0_limits);
	assert_qos_limits(&g_bdev, (struct limits){5000, 100, 0, 0});
	assert_qos_limits(&g_second, (struct limits){0});
	set_qos_limit("{\"name\": \"disk-a\", \"rw_mbytes_per_sec\": 8}");
	assert_qos_limits(&g_bdev, (struct limits){5000, 8, 0, 0});
	/* As SPDK's client sends it. */
	set_qos_limit("{\"name\": \"ut0\", \"r_mbytes_per_sec\": 5, \"w_mbytes_per_sec\": 6}");
	assert_qos_limits(&g_bdev, (struct limits){5000, 8, 5, 6});
	set_qos_limit("{\"name\": \"ut0\", \"rw_ios_per_sec\": 0, \"rw_mbytes_per_sec\": 0, "
		      "\"r_mbytes_per_sec\": 0}");
	assert_qos_limits(&g_bdev, (struct limits){0, 0, 0, 6});
	set_qos_limit("{\"name\": \"ut0\", \"w_mbytes_per_sec\": 0}");
	assert_qos_limits(&g_bdev, (struct limits){0});
	teardown_two_bdevs();
}

/* Bad params are refused naming the field, and the limits already set stay. */
static void test_set_qos_limit_refuses_bad_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{NULL, "params: missing field 'name'"},
		{"{\"name\": \"ut0\"}",
		 "params: no limit given: set one or more of rw_ios_per_sec, rw_mbytes_per_sec, "
		 "r_mbytes_per_sec, w_mbytes_per_sec (0 lifts one)"},
		{"{\"rw_ios_per_sec\": 1}", "params: missing field 'name'"},
		{"{\"name\": 7}", "params: field 'name': expected a string"},
		{"{\"name\": \"ut0\", \"rw_ios_per_sec\": \"fast\"}",
		 "params: field 'rw_ios_per_sec': expected an integer from 0 to "
		 "9223372036854775807"},
		{"{\"name\": \"ut0\", \"rw_mbytes_per_sec\": -1}",
		 "params: field 'rw_mbytes_per_sec': expected an integer from 0 to "
		 "9223372036854775807"},
		{"{\"name\": \"ut0\", \"rw_ios_per_sec\": 1.5}",
		 "params: field 'rw_ios_per_sec': expected an integer from 0 to "
		 "9223372036854775807"},
		{"{\"name\": \"ut0\", \"burst\": 1}", "params: unknown field 'burst'"},
		/* 2^43 MiB/s is 2^63 bytes/s: the bucket would wrap (to 1 MiB/s, for the second).
		 */
		{"{\"name\": \"ut0\", \"rw_mbytes_per_sec\": 8796093022208}",
		 "params: field 'rw_mbytes_per_sec': expected an integer from 0 to 8796093022207"},
		{"{\"name\": \"ut0\", \"rw_mbytes_per_sec\": 17592186044417}",
		 "params: field 'rw_mbytes_per_sec': expected an integer from 0 to 8796093022207"},
		{"{\"name\": \"ut0\", \"rw_mbytes_per_sec\": 1, \"r_mbytes_per_sec\": 8796093022208}",
		 "params: field 'r_mbytes_per_sec': expected an integer from 0 to 8796093022207"},
		{"{\"name\": \"ut0\", \"w_mbytes_per_sec\": 8796093022208}",
		 "params: field 'w_mbytes_per_sec': expected an integer from 0 to 8796093022207"},
		{"{\"name\": \"ut0\", \"r_mbytes_per_sec\": true}",
		 "params: field 'r_mbytes_per_sec': expected an integer from 0 to "
		 "9223372036854775807"},
	};

	setup();
	set_qos_limit(g_ut0_limits);
	ut_rpc_assert_refusals(call, "bdev_set_qos_limit", refusals, USK_COUNTOF(refusals));
	assert_unknown_name_refused("bdev_set_qos_limit",
				    "{\"name\": \"nosuch\", \"rw_ios_per_sec\": 1}");
	assert_qos_limits(&g_bdev, (struct limits){5000, 100, 0, 0});
	teardown();
}

/* USK examines nothing: every bdev is examined once registered, so the answer is true at once. */
static void test_wait_for_examine_answers_true(void)
{
	setup();
	/* As SPDK's client sends it, and with no params. */
	CU_ASSERT_TRUE(json_is_true(json_object_get(call("bdev_wait_for_examine", "{}"), "result")));
	CU_ASSERT_FALSE(g_answered_later);
	CU_ASSERT_TRUE(json_is_true(json_object_get(call("bdev_wait_for_examine", NULL), "result")));
	ut_rpc_assert_refused(call("bdev_wait_for_examine", "{\"name\": \"ut0\"}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS, "params: unknown field 'name'");
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_get_bdevs_lists_every_bdev_with_its_fields),
		UT_TEST(test_get_bdevs_driver_specific_from_the_module),
		UT_TEST(test_get_bdevs_metadata_fields),
		UT_TEST(test_get_bdevs_by_name_alias_or_uuid),
		UT_TEST(test_get_bdevs_waits_for_the_bdev_to_appear),
		UT_TEST(test_get_bdevs_timeout_runs_out),
		UT_TEST(test_get_bdevs_timeout_longer_than_ticks_count),
		UT_TEST(test_get_bdevs_timeout_across_a_clock_step_back),
		UT_TEST(test_set_qos_limit_sets_what_the_bdev_holds),
		UT_TEST(test_set_qos_limit_refuses_bad_params),
		UT_TEST(test_wait_for_examine_answers_true),
	};
	int rc = bdev_rpc_register() != 0 ? 99 : UT_BDEV_MODULE_RUN("bdev_rpc", tests);

	json_decref(g_conn.last);
	return rc;
}
