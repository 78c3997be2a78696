/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "usk/event.h"
#include "usk/log.h"
#include "usk/rpc.h"
#include "ut.h"

static const char *g_depth;

static int app_option(int ch, const char *arg)
{
	if (ch == 'q') {
		g_depth = arg;
		return strcmp(arg, "0") == 0 ? -EINVAL : 0;
	}
	return -EINVAL;
}

static const struct option g_app_long[] = {
	{"queue-depth", required_argument, NULL, 'q'},
	{NULL, 0, NULL, 0},
};

static enum usk_app_parse_result parse(struct usk_app_opts *opts, int argc, char **argv)
{
	usk_app_opts_init(opts, sizeof(*opts));
	opts->name = "args_ut";
	return usk_app_parse_args(argc, argv, opts, "q:", g_app_long, app_option, NULL);
}

static void test_defaults(void)
{
	struct usk_app_opts opts;
	char *argv[] = {"args_ut", NULL};

	CU_ASSERT_EQUAL(parse(&opts, 1, argv), USK_APP_PARSE_OK);
	CU_ASSERT_EQUAL(opts.opts_size, sizeof(opts));
	CU_ASSERT_STRING_EQUAL(opts.cpumask, "0x1");
	CU_ASSERT_STRING_EQUAL(opts.rpc_addr, USK_RPC_DEFAULT_SOCKET);
	CU_ASSERT_PTR_NULL(opts.json_config_file);
	CU_ASSERT_FALSE(opts.idle_sleep);
	CU_ASSERT_EQUAL(opts.idle_threshold_us, 1000);
}

static void test_common_and_app_options(void)
{
	struct usk_app_opts opts;
	char *argv[] = {"args_ut",	"-m",		"[0,1]",
			"--rpc-socket", "/tmp/x.sock",	"-c",
			"conf.json",	"--idle-sleep", "--idle-threshold-us",
			"250",		"-q",		"32",
			"-L",		"rpc",		NULL};

	g_depth = NULL;
	CU_ASSERT_EQUAL(parse(&opts, 14, argv), USK_APP_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(opts.cpumask, "[0,1]");
	CU_ASSERT_STRING_EQUAL(opts.rpc_addr, "/tmp/x.sock");
	CU_ASSERT_STRING_EQUAL(opts.json_config_file, "conf.json");
	CU_ASSERT_TRUE(opts.idle_sleep);
	CU_ASSERT_EQUAL(opts.idle_threshold_us, 250);
	CU_ASSERT_STRING_EQUAL(g_depth, "32");
	CU_ASSERT_TRUE(usk_log_flag_enabled(USK_LOG_COMPONENT_RPC));
	usk_log_set_flag("all", false);
	usk_log_set_level(USK_LOG_NOTICE);
}

/* --log-level takes SPDK's names and USK's older ones, in any case. */
static void test_log_level_names(void)
{
	/* Not const: getopt takes argv's strings as char *. */
	static struct {
		char name[8];
		enum usk_log_level level;
	} names[] = {
		{"ERROR", USK_LOG_ERROR}, {"WARNING", USK_LOG_WARN},  {"warning", USK_LOG_WARN},
		{"warn", USK_LOG_WARN},	  {"Notice", USK_LOG_NOTICE}, {"INFO", USK_LOG_INFO},
		{"debug", USK_LOG_DEBUG},
	};
	struct usk_app_opts opts;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *argv[] = {"args_ut", "--log-level", names[i].name, NULL};

		usk_log_set_level(names[i].level == USK_LOG_ERROR ? USK_LOG_DEBUG : USK_LOG_ERROR);
		CU_ASSERT_EQUAL(parse(&opts, 3, argv), USK_APP_PARSE_OK);
		CU_ASSERT_EQUAL(usk_log_get_level(), names[i].level);
	}
	usk_log_set_level(USK_LOG_NOTICE);
}

static void test_bad_options_are_errors(void)
{
	struct usk_app_opts opts;
	char *threshold[] = {"args_ut", "--idle-threshold-us", "-5", NULL};
	char *flag[] = {"args_ut", "-L", "disk", NULL};
	char *level[] = {"args_ut", "--log-level", "loud", NULL};
	char *unknown[] = {"args_ut", "--frobnicate", NULL};
	char *extra[] = {"args_ut", "leftover", NULL};
	char *app_bad[] = {"args_ut", "--queue-depth", "0", NULL};
	char *help[] = {"args_ut", "--help", NULL};

	CU_ASSERT_EQUAL(parse(&opts, 3, threshold), USK_APP_PARSE_ERROR);
	CU_ASSERT_EQUAL(parse(&opts, 3, flag), USK_APP_PARSE_ERROR);
	CU_ASSERT_EQUAL(parse(&opts, 3, level), USK_APP_PARSE_ERROR);
	CU_ASSERT_EQUAL(parse(&opts, 2, unknown), USK_APP_PARSE_ERROR);
	CU_ASSERT_EQUAL(parse(&opts, 2, extra), USK_APP_PARSE_ERROR);
	CU_ASSERT_EQUAL(parse(&opts, 3, app_bad), USK_APP_PARSE_ERROR);
	CU_ASSERT_EQUAL(parse(&opts, 2, help), USK_APP_PARSE_EXIT);
}

/*
 * A parse that stops inside a cluster of short options (-h in "-hq5")
 * leaves getopt pointing into that argv: the next parse must start
 * afresh, not go on with the first one's "q5".
 */
static void test_second_parse_starts_afresh(void)
{
	struct usk_app_opts opts;
	char cluster[] = "-hq5";
	char *first[] = {"args_ut", cluster, NULL};
	char *second[] = {"args_ut", NULL};

	CU_ASSERT_EQUAL(parse(&opts, 2, first), USK_APP_PARSE_EXIT);
	g_depth = NULL;
	CU_ASSERT_EQUAL(parse(&opts, 1, second), USK_APP_PARSE_OK);
	CU_ASSERT_PTR_NULL(g_depth);
}

static void test_old_options_structure_is_filled_within_its_size(void)
{
	struct usk_app_opts opts;

	memset(&opts, 0xa5, sizeof(opts));
	usk_app_opts_init(&opts, offsetof(struct usk_app_opts, rpc_addr));
	CU_ASSERT_EQUAL(opts.opts_size, offsetof(struct usk_app_opts, rpc_addr));
	CU_ASSERT_STRING_EQUAL(opts.cpumask, "0x1");
	/* Beyond the caller's size nothing is touched. */
	CU_ASSERT_EQUAL(opts.idle_threshold_us, 0xa5a5a5a5u);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_defaults),
		UT_TEST(test_common_and_app_options),
		UT_TEST(test_log_level_names),
		UT_TEST(test_bad_options_are_errors),
		UT_TEST(test_old_options_structure_is_filled_within_its_size),
		UT_TEST(test_second_parse_starts_afresh),
	};

	return UT_RUN("app_args", tests);
}
