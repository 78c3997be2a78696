/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log_rpc.c: the methods for the log level and the debug flags, and the
 * log subsystem's part of save_config, as a client sees them. They answer
 * before they return, so requests go through lib/rpc's own dispatch right
 * here and are answered on a fake connection in place of the socket
 * server's; what they change is read back from lib/log, and seen in what
 * it prints.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "event_internal.h"
#include "usk/log.h"
#include "usk/util.h"
#include "ut.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_rpc_no_server.h"

static const json_t *result(const json_t *answer)
{
	return json_object_get(answer, "result");
}

static void assert_accepted(const json_t *answer)
{
	CU_ASSERT_TRUE(json_is_true(result(answer)));
}

/* What @getter answers with @params; "" for anything but a name, so a compare fails. */
static const char *reported(const char *getter, const char *params)
{
	const char *name = json_string_value(result(ut_rpc_call(getter, params)));

	return name != NULL ? name : "";
}

static const char *reported_level(const char *params)
{
	return reported("log_get_level", params);
}

/* lib/log's settings are the process's: each test starts from, and leaves, the defaults. */
static void log_defaults(void)
{
	usk_log_set_level(USK_LOG_NOTICE);
	usk_log_set_print_level(USK_LOG_ERROR);
	usk_log_set_flag("all", false);
}

/* Set by the log callback: a message got through lib/log's filters. */
static bool g_printed;

static void note_printed(void *ctx, enum usk_log_level level, const char *msg)
{
	g_printed = true;
}

static bool level_printed(enum usk_log_level level)
{
	g_printed = false;
	usk_log(level, __FILE__, __LINE__, "a message of level %s", usk_log_level_name(level));
	return g_printed;
}

static bool nvme_debug_printed(void)
{
	g_printed = false;
	USK_DEBUGLOG(NVME, "an nvme debug message");
	return g_printed;
}

#define FLAG(component) (UINT32_C(1) << USK_LOG_COMPONENT_##component)

/* Exactly the components of @mask have their debug flag on. */
static void assert_flags_on(uint32_t mask)
{
	for (int c = 0; c < USK_LOG_COMPONENT_COUNT; c++) {
		CU_ASSERT_EQUAL(usk_log_get_flag(c), ((mask >> c) & 1) != 0);
	}
}

/* SPDK's spelling, which its rpc.py sends and its tools expect back. */
static const char *const g_spdk_names[] = {"ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};

static void test_set_level_sets_what_is_printed(void)
{
	/* USK's older "warn", and names in any case. */
	static const char *const others[] = {"warn", "Warn", "warning", "WARN"};
	char params[64];

	for (int level = USK_LOG_ERROR; level <= USK_LOG_DEBUG; level++) {
		snprintf(params, sizeof(params), "{\"level\": \"%s\"}", g_spdk_names[level]);
		assert_accepted(ut_rpc_call("log_set_level", params));
		CU_ASSERT_EQUAL((int)usk_log_get_level(), level);
		CU_ASSERT_STRING_EQUAL(reported_level(NULL), g_spdk_names[level]);
		CU_ASSERT_TRUE(level_printed(level));
		if (level < USK_LOG_DEBUG) {
			CU_ASSERT_FALSE(level_printed(level + 1));
		}
	}
	/* Reported in SPDK's spelling whatever the spelling set. */
	for (size_t i = 0; i < USK_COUNTOF(others); i++) {
		usk_log_set_level(USK_LOG_DEBUG);
		snprintf(params, sizeof(params), "{\"level\": \"%s\"}", others[i]);
		assert_accepted(ut_rpc_call("log_set_level", params));
		CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_WARN);
		CU_ASSERT_STRING_EQUAL(reported_level(NULL), "WARNING");
	}
	/* The print level is another setting. */
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_ERROR);
	log_defaults();
}

/* log_set_print_level sets stderr's level, and leaves the log level alone. */
static void test_print_level_is_set_and_reported_apart(void)
{
	char params[64];

	for (int level = USK_LOG_ERROR; level <= USK_LOG_DEBUG; level++) {
		snprintf(params, sizeof(params), "{\"level\": \"%s\"}", g_spdk_names[level]);
		assert_accepted(ut_rpc_call("log_set_print_level", params));
		CU_ASSERT_EQUAL((int)usk_log_get_print_level(), level);
		CU_ASSERT_STRING_EQUAL(reported("log_get_print_level", NULL), g_spdk_names[level]);
		CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_NOTICE);
		CU_ASSERT_STRING_EQUAL(reported_level(NULL), "NOTICE");
	}
	assert_accepted(ut_rpc_call("log_set_print_level", "{\"level\": \"info\"}"));
	CU_ASSERT_STRING_EQUAL(reported("log_get_print_level", "{}"), "INFO");
	log_defaults();
	CU_ASSERT_STRING_EQUAL(reported("log_get_print_level", NULL), "ERROR");
}

static void test_set_levels_refuse_bad_params_and_keep_the_levels(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{NULL, "params: missing field 'level'"},
		{"{}", "params: missing field 'level'"},
		{"{\"level\": 4}", "params: field 'level': expected a string"},
		{"{\"level\": null}", "params: field 'level': expected a string"},
		{"{\"level\": \"loud\"}",
		 "params: field 'level': 'loud' is not one of ERROR, WARNING, NOTICE, INFO, DEBUG"},
		{"{\"level\": \"\"}",
		 "params: field 'level': '' is not one of ERROR, WARNING, NOTICE, INFO, DEBUG"},
		{"{\"level\": \"DISABLED\"}", "params: field 'level': 'DISABLED' is not one of "
					      "ERROR, WARNING, NOTICE, INFO, DEBUG"},
		{"{\"level\": \"debug\", \"flag\": \"nvme\"}", "params: unknown field 'flag'"},
		{"[\"debug\"]", "params: expected an object"},
	};

	usk_log_set_level(USK_LOG_INFO);
	usk_log_set_print_level(USK_LOG_WARN);
	ut_rpc_assert_refusals(ut_rpc_call, "log_set_level", refusals, USK_COUNTOF(refusals));
	ut_rpc_assert_refusals(ut_rpc_call, "log_set_print_level", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_INFO);
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_WARN);
	assert_flags_on(0);
	log_defaults();
}

static void test_set_flag_and_clear_flag_switch_a_components_debug_messages(void)
{
	/* A flag alone prints nothing below the debug level. */
	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"nvme\"}"));
	assert_flags_on(FLAG(NVME));
	CU_ASSERT_FALSE(nvme_debug_printed());
	assert_accepted(ut_rpc_call("log_set_level", "{\"level\": \"debug\"}"));
	CU_ASSERT_TRUE(nvme_debug_printed());
	/* Setting or clearing a flag twice is doing it once. */
	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"nvme\"}"));
	assert_flags_on(FLAG(NVME));
	assert_accepted(ut_rpc_call("log_clear_flag", "{\"flag\": \"nvme\"}"));
	assert_flags_on(0);
	CU_ASSERT_FALSE(nvme_debug_printed());
	assert_accepted(ut_rpc_call("log_clear_flag", "{\"flag\": \"nvme\"}"));
	assert_flags_on(0);
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_DEBUG);
	log_defaults();
}

static void test_flag_all_switches_every_component(void)
{
	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"all\"}"));
	assert_flags_on((UINT32_C(1) << USK_LOG_COMPONENT_COUNT) - 1);
	assert_accepted(ut_rpc_call("log_clear_flag", "{\"flag\": \"all\"}"));
	assert_flags_on(0);
}

static void test_flag_methods_refuse_bad_params_and_keep_the_flags(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{NULL, "params: missing field 'flag'"},
		{"{\"flag\": true}", "params: field 'flag': expected a string"},
		{"{\"flag\": \"disk\"}",
		 "params: field 'flag': no component is called 'disk' (log_get_flags lists them)"},
		{"{\"flag\": \"nvme\", \"enable\": false}", "params: unknown field 'enable'"},
		{"[\"nvme\"]", "params: expected an object"},
	};

	usk_log_set_flag("nvme", true);
	usk_log_set_flag("rpc", true);
	ut_rpc_assert_refusals(ut_rpc_call, "log_set_flag", refusals, USK_COUNTOF(refusals));
	ut_rpc_assert_refusals(ut_rpc_call, "log_clear_flag", refusals, USK_COUNTOF(refusals));
	assert_flags_on(FLAG(NVME) | FLAG(RPC));
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_NOTICE);
	log_defaults();
}

static void test_get_flags_shows_every_component(void)
{
	const json_t *flags;

	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"nvme\"}"));
	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"rpc\"}"));
	flags = result(ut_rpc_call("log_get_flags", NULL));
	CU_ASSERT_EQUAL(json_object_size(flags), USK_LOG_COMPONENT_COUNT);
	for (int c = 0; c < USK_LOG_COMPONENT_COUNT; c++) {
		const json_t *flag = json_object_get(flags, usk_log_component_name(c));

		CU_ASSERT_TRUE(json_is_boolean(flag));
		CU_ASSERT_EQUAL(json_is_true(flag),
				c == USK_LOG_COMPONENT_NVME || c == USK_LOG_COMPONENT_RPC);
	}
	log_defaults();
}

/* The getters take no params: none is mistaken for a setting. */
static void test_getters_refuse_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"level\": \"debug\"}", "params: unknown field 'level'"},
		{"{\"flag\": \"all\"}", "params: unknown field 'flag'"},
		{"[]", "params: expected an object"},
	};

	ut_rpc_assert_refusals(ut_rpc_call, "log_get_level", refusals, USK_COUNTOF(refusals));
	ut_rpc_assert_refusals(ut_rpc_call, "log_get_flags", refusals, USK_COUNTOF(refusals));
	ut_rpc_assert_refusals(ut_rpc_call, "log_get_print_level", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_NOTICE);
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_ERROR);
	assert_flags_on(0);
	/* Empty params are no params. */
	CU_ASSERT_STRING_EQUAL(reported_level("{}"), "NOTICE");
}

/* The log subsystem's calls in what save_config answers (the answer owns them). */
static json_t *saved_log_calls(void)
{
	const json_t *subsystems =
		json_object_get(result(ut_rpc_call("save_config", NULL)), "subsystems");
	const json_t *log = json_array_get(subsystems, 0);

	CU_ASSERT_STRING_EQUAL(ut_json_string(log, "subsystem"), "log");
	return json_object_get(log, "config");
}

static void assert_saved_calls(const char *calls)
{
	json_t *want = json_loads(calls, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_TRUE(json_equal(saved_log_calls(), want));
	json_decref(want);
}

/* Makes @calls, as a JSON config file's would be made. */
static void replay(const json_t *calls)
{
	for (size_t i = 0; i < json_array_size(calls); i++) {
		const json_t *c = json_array_get(calls, i);
		char *params = json_dumps(json_object_get(c, "params"), 0);

		assert_accepted(ut_rpc_call(ut_json_string(c, "method"), params));
		free(params);
	}
}

static void test_saved_config_brings_the_level_and_flags_back(void)
{
	json_t *saved;

	assert_saved_calls(
		"[{\"method\": \"log_set_level\", \"params\": {\"level\": \"NOTICE\"}},"
		" {\"method\": \"log_set_print_level\", \"params\": {\"level\": \"ERROR\"}}]");
	assert_accepted(ut_rpc_call("log_set_level", "{\"level\": \"info\"}"));
	assert_accepted(ut_rpc_call("log_set_print_level", "{\"level\": \"WARNING\"}"));
	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"bdev\"}"));
	assert_accepted(ut_rpc_call("log_set_flag", "{\"flag\": \"nvme\"}"));
	/* Flags in the components' order, whatever the order they were set in. */
	assert_saved_calls(
		"[{\"method\": \"log_set_level\", \"params\": {\"level\": \"INFO\"}},"
		" {\"method\": \"log_set_print_level\", \"params\": {\"level\": \"WARNING\"}},"
		" {\"method\": \"log_set_flag\", \"params\": {\"flag\": \"nvme\"}},"
		" {\"method\": \"log_set_flag\", \"params\": {\"flag\": \"bdev\"}}]");
	saved = json_incref(saved_log_calls());
	log_defaults();
	replay(saved);
	json_decref(saved);
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_INFO);
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_WARN);
	assert_flags_on(FLAG(NVME) | FLAG(BDEV));
	log_defaults();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_set_level_sets_what_is_printed),
		UT_TEST(test_print_level_is_set_and_reported_apart),
		UT_TEST(test_set_levels_refuse_bad_params_and_keep_the_levels),
		UT_TEST(test_set_flag_and_clear_flag_switch_a_components_debug_messages),
		UT_TEST(test_flag_all_switches_every_component),
		UT_TEST(test_flag_methods_refuse_bad_params_and_keep_the_flags),
		UT_TEST(test_get_flags_shows_every_component),
		UT_TEST(test_getters_refuse_params),
		UT_TEST(test_saved_config_brings_the_level_and_flags_back),
	};
	int rc;

	usk_log_set_callback(note_printed, NULL);
	/* save_config is the framework's (app_rpc.c); it shows the log subsystem's part. */
	rc = log_rpc_register() != 0 || app_rpc_register() != 0 ? 99 : UT_RUN("log_rpc", tests);
	json_decref(g_conn.last);
	return rc;
}
