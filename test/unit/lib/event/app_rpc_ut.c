/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_rpc.c: spdk_get_version, framework_get_subsystems,
 * framework_get_config and framework_wait_init, as a client sees them,
 * and save_config rebuilt from the two framework_get_* methods the way
 * SPDK's rpc.py builds it. The methods answer on a fake connection in
 * place of the socket server's (lib/rpc/rpc_request.c is included); no app
 * runs, so framework_wait_init is released by hand, as app.c does once the
 * subsystems are up.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "event_internal.h"
#include "usk/util.h"
#include "ut.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_rpc_no_server.h"

static json_t *result(const json_t *answer)
{
	return json_object_get(answer, "result");
}

/* @json (text) equals @got; on a mismatch, both are printed. */
static void assert_json(const json_t *got, const char *json)
{
	json_t *want = json_loads(json, 0, NULL);
	bool equal;

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	equal = json_equal(got, want);
	if (!equal) {
		char *text = json_dumps(got, JSON_COMPACT);

		fprintf(stderr, "got  %s\nwant %s\n", text ? text : "(nothing)", json);
		free(text);
	}
	CU_ASSERT_TRUE(equal);
	json_decref(want);
}

/* A subsystem with a config of its own, after the built-in log. */
static void disk_write_config(struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "disk_create");
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "name", "Disk0");
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

static const struct usk_subsystem g_disk = {.name = "disk", .write_config_json = disk_write_config};
/* One with nothing to save. */
static const struct usk_subsystem g_quiet = {.name = "quiet"};

static void test_version_is_usks_in_spdks_shape(void)
{
	const json_t *version = result(ut_rpc_call("spdk_get_version", NULL));
	const json_t *fields = json_object_get(version, "fields");
	struct app_version v;

	CU_ASSERT_EQUAL_FATAL(app_version_parse(PACKAGE_VERSION, &v), 0);
	CU_ASSERT_STRING_EQUAL(ut_json_string(version, "version"), "USK v" PACKAGE_VERSION);
	CU_ASSERT_EQUAL(ut_json_uint(fields, "major"), v.major);
	CU_ASSERT_EQUAL(ut_json_uint(fields, "minor"), v.minor);
	CU_ASSERT_EQUAL(ut_json_uint(fields, "patch"), v.patch);
	CU_ASSERT_STRING_EQUAL(ut_json_string(fields, "suffix"), v.suffix);
	CU_ASSERT_EQUAL(json_object_size(fields), 4);
	CU_ASSERT_EQUAL(json_object_size(version), 2);
	ut_rpc_assert_refused(ut_rpc_call("spdk_get_version", "{\"verbose\": true}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS, "params: unknown field 'verbose'");
}

static void assert_version(const char *text, uint32_t major, uint32_t minor, uint32_t patch,
			   const char *suffix)
{
	struct app_version v;

	CU_ASSERT_EQUAL_FATAL(app_version_parse(text, &v), 0);
	CU_ASSERT_EQUAL(v.major, major);
	CU_ASSERT_EQUAL(v.minor, minor);
	CU_ASSERT_EQUAL(v.patch, patch);
	CU_ASSERT_STRING_EQUAL(v.suffix, suffix);
}

static void test_version_is_split_as_spdk_splits_it(void)
{
	static const char *const bad[] = {"",	 "1",	 "1-pre", "x.1",
					  "1.x", ".1.0", "1.-2",  "99999999999.1"};
	struct app_version v;

	assert_version("0.1.0", 0, 1, 0, "");
	assert_version("26.09-pre", 26, 9, 0, "-pre");
	assert_version("1.2.3-rc1", 1, 2, 3, "-rc1");
	assert_version("1.2.x", 1, 2, 0, ".x");
	for (size_t i = 0; i < USK_COUNTOF(bad); i++) {
		CU_ASSERT_EQUAL(app_version_parse(bad[i], &v), -EINVAL);
	}
}

static void test_subsystems_are_listed_in_order_without_dependencies(void)
{
	assert_json(result(ut_rpc_call("framework_get_subsystems", NULL)),
		    "[{\"subsystem\": \"log\", \"depends_on\": []},"
		    " {\"subsystem\": \"disk\", \"depends_on\": []},"
		    " {\"subsystem\": \"quiet\", \"depends_on\": []}]");
	ut_rpc_assert_refused(ut_rpc_call("framework_get_subsystems", "{\"name\": \"log\"}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS, "params: unknown field 'name'");
}

static void test_get_config_answers_one_subsystems_entries(void)
{
	assert_json(result(ut_rpc_call("framework_get_config", "{\"name\": \"disk\"}")),
		    "[{\"method\": \"disk_create\", \"params\": {\"name\": \"Disk0\"}}]");
	/* SPDK's rpc.py always sends with_batches; USK writes no batches either way. */
	assert_json(result(ut_rpc_call("framework_get_config",
				       "{\"name\": \"quiet\", \"with_batches\": false}")),
		    "[]");
	assert_json(result(ut_rpc_call("framework_get_config",
				       "{\"name\": \"log\", \"with_batches\": true}")),
		    "[{\"method\": \"log_set_level\", \"params\": {\"level\": \"NOTICE\"}},"
		    " {\"method\": \"log_set_print_level\", \"params\": {\"level\": \"ERROR\"}}]");
}

static void test_get_config_refuses_an_unknown_subsystem_and_bad_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{NULL, "params: missing field 'name'"},
		{"{}", "params: missing field 'name'"},
		{"{\"name\": 3}", "params: field 'name': expected a string"},
		{"{\"name\": \"nvmf\"}", "params: field 'name': no subsystem is called 'nvmf' "
					 "(framework_get_subsystems lists them)"},
		{"{\"name\": \"log\", \"with_batches\": 1}",
		 "params: field 'with_batches': expected true or false"},
		{"{\"name\": \"log\", \"verbose\": true}", "params: unknown field 'verbose'"},
	};

	ut_rpc_assert_refusals(ut_rpc_call, "framework_get_config", refusals,
			       USK_COUNTOF(refusals));
}

/*
 * SPDK's rpc.py has no save_config of its own: it lists the subsystems and
 * asks each for its config. What it builds is what save_config answers.
 */
static void test_spdk_clients_save_config_is_save_configs(void)
{
	json_t *subsystems = json_incref(result(ut_rpc_call("framework_get_subsystems", NULL)));
	json_t *built = json_pack("{s:[]}", "subsystems");
	const json_t *saved;
	size_t i;
	json_t *s;

	json_array_foreach(subsystems, i, s)
	{
		const char *name = ut_json_string(s, "subsystem");
		char params[128];

		snprintf(params, sizeof(params), "{\"name\": \"%s\", \"with_batches\": false}",
			 name);
		json_array_append_new(
			json_object_get(built, "subsystems"),
			json_pack("{s:s, s:O}", "subsystem", name, "config",
				  result(ut_rpc_call("framework_get_config", params))));
	}
	saved = result(ut_rpc_call("save_config", NULL));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(saved, "subsystems")), 3);
	CU_ASSERT_TRUE(json_equal(built, saved));
	json_decref(built);
	json_decref(subsystems);
}

/* Dispatches framework_wait_init; returns how many answers came meanwhile. */
static int wait_init(void)
{
	int answers = g_conn.answers;

	ut_rpc_dispatch(ut_rpc_request_new("framework_wait_init", NULL));
	return g_conn.answers - answers;
}

static void test_wait_init_answers_once_the_subsystems_are_up(void)
{
	int answers = g_conn.answers;

	/* Two calls before: held, unanswered. */
	CU_ASSERT_EQUAL(wait_init(), 0);
	CU_ASSERT_EQUAL(wait_init(), 0);
	CU_ASSERT_EQUAL(g_conn.holds, 2);
	app_rpc_init_finished(0);
	CU_ASSERT_EQUAL(g_conn.answers, answers + 2);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
	CU_ASSERT_TRUE(json_is_true(result(g_conn.last)));
	/* After: at once. */
	CU_ASSERT_TRUE(json_is_true(result(ut_rpc_call("framework_wait_init", NULL))));
	CU_ASSERT_TRUE(json_is_true(result(ut_rpc_call("framework_wait_init", "{}"))));
	ut_rpc_assert_refused(ut_rpc_call("framework_wait_init", "{\"timeout\": 5}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS, "params: unknown field 'timeout'");
	app_rpc_init_reset();
}

/* A start that fails answers every waiter, then and later, with the reason. */
static void test_wait_init_answers_a_failed_start_with_its_reason(void)
{
	CU_ASSERT_EQUAL(wait_init(), 0);
	app_rpc_init_finished(-EIO);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
	ut_rpc_assert_refused(g_conn.last, USK_JSONRPC_ERROR_INTERNAL_ERROR,
			      "the framework did not start: Input/output error");
	ut_rpc_assert_refused(ut_rpc_call("framework_wait_init", NULL),
			      USK_JSONRPC_ERROR_INTERNAL_ERROR,
			      "the framework did not start: Input/output error");
	app_rpc_init_reset();
	/* An app gone before its subsystems were up leaves no call unanswered. */
	CU_ASSERT_EQUAL(wait_init(), 0);
	app_rpc_init_reset();
	ut_rpc_assert_refused(g_conn.last, USK_JSONRPC_ERROR_INTERNAL_ERROR,
			      "the framework did not start: Operation canceled");
	CU_ASSERT_EQUAL(g_conn.holds, 0);
	/* And the next start is waited for again. */
	CU_ASSERT_EQUAL(wait_init(), 0);
	app_rpc_init_finished(0);
	CU_ASSERT_TRUE(json_is_true(result(g_conn.last)));
	app_rpc_init_reset();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_version_is_usks_in_spdks_shape),
		UT_TEST(test_version_is_split_as_spdk_splits_it),
		UT_TEST(test_subsystems_are_listed_in_order_without_dependencies),
		UT_TEST(test_get_config_answers_one_subsystems_entries),
		UT_TEST(test_get_config_refuses_an_unknown_subsystem_and_bad_params),
		UT_TEST(test_spdk_clients_save_config_is_save_configs),
		UT_TEST(test_wait_init_answers_once_the_subsystems_are_up),
		UT_TEST(test_wait_init_answers_a_failed_start_with_its_reason),
	};
	int rc;

	if (usk_subsystem_register(&g_disk) != 0 || usk_subsystem_register(&g_quiet) != 0 ||
	    app_rpc_register() != 0 || log_rpc_register() != 0) {
		return 99;
	}
	rc = UT_RUN("app_rpc", tests);
	json_decref(g_conn.last);
	return rc;
}
