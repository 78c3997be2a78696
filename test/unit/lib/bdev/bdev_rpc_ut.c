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
		UT_TEST(test_set_qos_limit_sets_what_the_bdev_holds),
		UT_TEST(test_set_qos_limit_refuses_bad_params),
	};
	int rc = bdev_rpc_register() != 0 ? 99 : UT_BDEV_MODULE_RUN("bdev_rpc", tests);

	json_decref(g_conn.last);
	return rc;
}
