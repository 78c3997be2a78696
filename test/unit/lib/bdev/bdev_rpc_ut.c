/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_rpc.c: bdev_get_bdevs, bdev_get_iostat and bdev_set_qos_limit as a
 * client sees them. Requests go through lib/rpc's own dispatch on thread 0,
 * where the server would run them, and their answers land on a fake
 * connection in place of the socket server's; the bdevs sit on the test
 * module, which holds every I/O until the test completes it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "usk/ticks.h"
#include "usk/util.h"
#include "ut_bdev_module.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_thread.h"

/* Whether the last method returned before it answered, as one walking the threads must. */
static bool g_answered_later;

/* On thread 0: hands the request @ctx (stolen) to its method, as the server would. */
static void dispatch_msg(void *ctx)
{
	int answers = g_conn.answers;

	ut_rpc_dispatch(ctx);
	g_answered_later = g_conn.answers == answers;
}

/* Calls @method with @params (JSON text, NULL: none) until all is quiet; returns its answer. */
static json_t *call(const char *method, const char *params)
{
	int answers = g_conn.answers;

	on_thread(0, dispatch_msg, ut_rpc_request_new(method, params));
	ut_rpc_assert_answered_once(answers);
	return g_conn.last;
}

/* What the two listing methods refuse of their one optional field. */
static const struct ut_rpc_refusal g_bad_name_params[] = {
	{"{\"name\": 5}", "params: field 'name': expected a string"},
	{"{\"bdev\": \"ut0\"}", "params: unknown field 'bdev'"},
};

/* An unknown bdev is refused as invalid params, naming the field. */
static void assert_unknown_name_refused(const char *method, const char *params)
{
	ut_rpc_assert_refused(call(method, params), USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'name': no bdev is called 'nosuch'");
}

/* A second bdev on the test module, unlike ut0 in every field bdev_get_bdevs shows. */
static struct usk_bdev g_second;

static void register_second(void *ctx)
{
	g_second = (struct usk_bdev){
		.name = "ut1",
		.product_name = "second disk",
		.blocklen = 4096,
		.blockcnt = 256,
		.write_unit_size = 8,
		.optimal_io_boundary = 64,
		.fn_table = g_bdev.fn_table,
		.module = &g_ut_module,
	};
	CU_ASSERT_EQUAL(usk_bdev_register(&g_second), 0);
	CU_ASSERT_EQUAL(usk_bdev_module_claim_bdev(&g_second, NULL, &g_ut_module), 0);
}

static void unregister_second(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_second, NULL, NULL), 0);
}

/* ut1 is gone; its destruct comes off the count teardown() checks for ut0. */
static void assert_second_destructed(void)
{
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut1"));
	CU_ASSERT_EQUAL(g_destructs, 1);
	g_destructs = 0;
}

/* ut0 with the alias disk-a, and ut1 after it. */
static void setup_two_bdevs(void)
{
	setup();
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disk-a"), 0);
	on_thread(0, register_second, NULL);
}

static void teardown_two_bdevs(void)
{
	on_thread(0, unregister_second, NULL);
	assert_second_destructed();
	teardown();
}

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
};

static void assert_bdev_info(const json_t *info, const struct bdev_info *want)
{
	const json_t *aliases = json_object_get(info, "aliases");

	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "name"), want->name);
	CU_ASSERT_EQUAL(json_array_size(aliases), want->alias != NULL ? 1u : 0u);
	if (want->alias != NULL && json_is_string(json_array_get(aliases, 0))) {
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(aliases, 0)), want->alias);
	}
	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "product_name"), want->product_name);
	CU_ASSERT_STRING_EQUAL(ut_json_string(info, "driver"), "ut");
	CU_ASSERT_EQUAL(ut_json_uint(info, "block_size"), want->block_size);
	CU_ASSERT_EQUAL(ut_json_uint(info, "num_blocks"), want->num_blocks);
	CU_ASSERT_EQUAL(ut_json_uint(info, "write_unit_size"), want->write_unit_size);
	CU_ASSERT_EQUAL(ut_json_uint(info, "optimal_io_boundary"), want->optimal_io_boundary);
	CU_ASSERT_EQUAL(json_is_true(json_object_get(info, "claimed")), want->claimed);
}

/* The module supports every type but unmap while g_no_unmap is set. */
static void assert_supported_io_types(const json_t *info)
{
	static const char *const types[] = {"read",  "write", "write_zeroes", "unmap",
					    "flush", "reset", "compare"};
	const json_t *supported = json_object_get(info, "supported_io_types");

	CU_ASSERT_EQUAL(json_object_size(supported), USK_COUNTOF(types));
	for (size_t i = 0; i < USK_COUNTOF(types); i++) {
		const json_t *value = json_object_get(supported, types[i]);

		CU_ASSERT_TRUE(json_is_boolean(value));
		CU_ASSERT_EQUAL(json_is_true(value), strcmp(types[i], "unmap") != 0);
	}
}

/* The limits @b holds, as its getter and bdev_get_bdevs show them. */
static void assert_qos_limits(struct usk_bdev *b, uint64_t ios_per_sec, uint64_t mbytes_per_sec)
{
	char params[64];
	uint64_t ios, mbytes;
	const json_t *bdevs, *limits;

	usk_bdev_get_qos_limit(b, &ios, &mbytes);
	CU_ASSERT_EQUAL(ios, ios_per_sec);
	CU_ASSERT_EQUAL(mbytes, mbytes_per_sec);
	snprintf(params, sizeof(params), "{\"name\": \"%s\"}", usk_bdev_get_name(b));
	bdevs = json_object_get(call("bdev_get_bdevs", params), "result");
	limits = json_object_get(json_array_get(bdevs, 0), "assigned_rate_limits");
	CU_ASSERT_EQUAL(json_object_size(limits), 2);
	CU_ASSERT_EQUAL(ut_json_uint(limits, "rw_ios_per_sec"), ios_per_sec);
	CU_ASSERT_EQUAL(ut_json_uint(limits, "rw_mbytes_per_sec"), mbytes_per_sec);
}

static const struct bdev_info g_ut0_info = {"ut0", "disk-a", "test disk", 512, 1024, 1, 0, false};
static const struct bdev_info g_ut1_info = {"ut1", NULL, "second disk", 4096, 256, 8, 64, true};

/* Every bdev in registration order, each with every field bdev_write_info writes. */
static void test_get_bdevs_lists_every_bdev_with_its_fields(void)
{
	const json_t *bdevs;

	setup_two_bdevs();
	g_no_unmap = true;
	bdevs = json_object_get(call("bdev_get_bdevs", NULL), "result");
	g_no_unmap = false;
	CU_ASSERT_EQUAL(json_array_size(bdevs), 2);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut0_info);
	assert_bdev_info(json_array_get(bdevs, 1), &g_ut1_info);
	for (size_t i = 0; i < 2; i++) {
		/* Eleven fields, all checked here: a new one needs its check. */
		CU_ASSERT_EQUAL(json_object_size(json_array_get(bdevs, i)), 11);
		assert_supported_io_types(json_array_get(bdevs, i));
	}
	assert_qos_limits(&g_bdev, 0, 0);
	assert_qos_limits(&g_second, 0, 0);
	teardown_two_bdevs();
}

static void test_get_bdevs_by_name_or_alias(void)
{
	const json_t *bdevs;

	setup_two_bdevs();
	bdevs = json_object_get(call("bdev_get_bdevs", "{\"name\": \"ut1\"}"), "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut1_info);
	bdevs = json_object_get(call("bdev_get_bdevs", "{\"name\": \"disk-a\"}"), "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_bdev_info(json_array_get(bdevs, 0), &g_ut0_info);
	assert_unknown_name_refused("bdev_get_bdevs", "{\"name\": \"nosuch\"}");
	ut_rpc_assert_refusals(call, "bdev_get_bdevs", g_bad_name_params,
			       USK_COUNTOF(g_bad_name_params));
	teardown_two_bdevs();
}

static void assert_iostat(const json_t *entry, const char *name,
			  const struct usk_bdev_io_stat *want)
{
	CU_ASSERT_STRING_EQUAL(ut_json_string(entry, "name"), name);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "bytes_read"), want->bytes_read);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "num_read_ops"), want->num_read_ops);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "bytes_written"), want->bytes_written);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "num_write_ops"), want->num_write_ops);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "num_unmap_ops"), want->num_unmap_ops);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "num_other_ops"), want->num_other_ops);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "num_errors"), want->num_errors);
	/* Summed latencies, to a poll's precision: present, not predictable. */
	ut_json_uint(entry, "read_latency_ticks");
	ut_json_uint(entry, "write_latency_ticks");
	CU_ASSERT_EQUAL(json_object_size(entry), 10);
}

/* The bdevs of a bdev_get_iostat answer, after its tick rate is checked. */
static const json_t *iostat_bdevs(const json_t *answer)
{
	const json_t *result = json_object_get(answer, "result");

	CU_ASSERT_EQUAL(ut_json_uint(result, "tick_rate"), usk_ticks_hz());
	return json_object_get(result, "bdevs");
}

/*
 * Every type of I/O on ut0 from both threads, successes on thread 0 and
 * failures on thread 1: the sums of both channels show.
 */
static void test_get_iostat_counts_completed_io(void)
{
	static const struct usk_bdev_io_stat ut0_stat = {
		.bytes_read = 2048,
		.num_read_ops = 1,
		.bytes_written = 1536 + 1024,
		.num_write_ops = 2,
		.num_unmap_ops = 1,
		.num_other_ops = 4,
		.num_errors = 8,
	};
	static const struct usk_bdev_io_stat idle_stat;
	const json_t *bdevs;

	setup_two_bdevs();
	on_thread(1, user_open_rw, (void *)1);
	on_thread(0, submit_every_type, NULL);
	on_thread(1, submit_every_type, NULL);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	on_thread(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_FAILED);
	CU_ASSERT_EQUAL(g_users[0].done + g_users[1].done, 16);

	bdevs = iostat_bdevs(call("bdev_get_iostat", NULL));
	CU_ASSERT_TRUE(g_answered_later);
	CU_ASSERT_EQUAL(json_array_size(bdevs), 2);
	assert_iostat(json_array_get(bdevs, 0), "ut0", &ut0_stat);
	assert_iostat(json_array_get(bdevs, 1), "ut1", &idle_stat);
	/* By alias too, under the bdev's own name. */
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"disk-a\"}"));
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_iostat(json_array_get(bdevs, 0), "ut0", &ut0_stat);
	bdevs = iostat_bdevs(call("bdev_get_iostat", "{\"name\": \"ut1\"}"));
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	assert_iostat(json_array_get(bdevs, 0), "ut1", &idle_stat);
	assert_unknown_name_refused("bdev_get_iostat", "{\"name\": \"nosuch\"}");
	ut_rpc_assert_refusals(call, "bdev_get_iostat", g_bad_name_params,
			       USK_COUNTOF(g_bad_name_params));
	on_thread(1, user_close, NULL);
	teardown_two_bdevs();
}

/* Runs @fn(@ctx) on thread 0 and polls only it, so a walk waiting on thread 1 waits on. */
static void on_thread_0_alone(usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_ut_threads[0], fn, ctx), 0);
	ut_poll_threads(g_ut_threads, 1);
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

static void set_qos_limit(const char *params)
{
	CU_ASSERT_TRUE(json_is_true(json_object_get(call("bdev_set_qos_limit", params), "result")));
}

static const char *const g_ut0_limits =
	"{\"name\": \"ut0\", \"rw_ios_per_sec\": 5000, \"rw_mbytes_per_sec\": 100}";

/* Limits by name or alias; one left out is lifted, as is every one when both are. */
static void test_set_qos_limit_sets_what_the_bdev_holds(void)
{
	setup_two_bdevs();
	set_qos_limit(g_ut0_limits);
	assert_qos_limits(&g_bdev, 5000, 100);
	assert_qos_limits(&g_second, 0, 0);
	set_qos_limit("{\"name\": \"disk-a\", \"rw_mbytes_per_sec\": 8}");
	assert_qos_limits(&g_bdev, 0, 8);
	set_qos_limit("{\"name\": \"ut0\"}");
	assert_qos_limits(&g_bdev, 0, 0);
	teardown_two_bdevs();
}

/* Bad params are refused naming the field, and the limits already set stay. */
static void test_set_qos_limit_refuses_bad_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{NULL, "params: missing field 'name'"},
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
	};

	setup();
	set_qos_limit(g_ut0_limits);
	ut_rpc_assert_refusals(call, "bdev_set_qos_limit", refusals, USK_COUNTOF(refusals));
	assert_unknown_name_refused("bdev_set_qos_limit",
				    "{\"name\": \"nosuch\", \"rw_ios_per_sec\": 1}");
	assert_qos_limits(&g_bdev, 5000, 100);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_get_bdevs_lists_every_bdev_with_its_fields),
		UT_TEST(test_get_bdevs_by_name_or_alias),
		UT_TEST(test_get_iostat_counts_completed_io),
		UT_TEST(test_get_iostat_leaves_out_a_bdev_gone_meanwhile),
		UT_TEST(test_set_qos_limit_sets_what_the_bdev_holds),
		UT_TEST(test_set_qos_limit_refuses_bad_params),
	};
	int rc = bdev_rpc_register() != 0 ? 99 : UT_BDEV_MODULE_RUN("bdev_rpc", tests);

	json_decref(g_conn.last);
	return rc;
}
