/* SPDX-License-Identifier: BSD-3-Clause */
/* The command-line options every app shares, merged with the app's own. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/rpc.h"
#include "event_internal.h"

enum {
	OPT_IDLE_SLEEP = 0x1000,
	OPT_NO_IDLE_SLEEP,
	OPT_IDLE_THRESHOLD,
	OPT_LOG_LEVEL,
};

static const struct option g_common_long[] = {
	{"cpumask", required_argument, NULL, 'm'},
	{"rpc-socket", required_argument, NULL, 'r'},
	{"json", required_argument, NULL, 'c'},
	{"idle-sleep", no_argument, NULL, OPT_IDLE_SLEEP},
	{"no-idle-sleep", no_argument, NULL, OPT_NO_IDLE_SLEEP},
	{"idle-threshold-us", required_argument, NULL, OPT_IDLE_THRESHOLD},
	{"logflag", required_argument, NULL, 'L'},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"help", no_argument, NULL, 'h'},
};

#define COMMON_SHORT "m:r:c:L:h"

static void app_print_usage(FILE *out, const struct usk_app_opts *opts,
			    void (*app_usage)(FILE *out))
{
	fprintf(out, "Usage: %s [options]\n\n", opts->name);
	if (app_usage != NULL) {
		app_usage(out);
		fprintf(out, "\n");
	}
	fprintf(out,
		"Framework options:\n"
		"  -m, --cpumask MASK        cores to run on: hex mask (0x3) or list ([0,2-3])\n"
		"                            (default %s)\n"
		"  -r, --rpc-socket PATH     JSON-RPC Unix socket (default %s)\n"
		"  -c, --json FILE           apply a JSON config (as save_config writes) at start\n"
		"      --idle-sleep          let idle reactors sleep instead of spinning%s\n"
		"      --no-idle-sleep       spin: poll without pause, even with nothing to do%s\n"
		"      --idle-threshold-us N idle time before a reactor sleeps (default %u)\n"
		"  -L, --logflag FLAG        debug messages of a component (or all); sets the\n"
		"                            level to debug. Components:\n"
		"                           ",
		opts->cpumask, opts->rpc_addr ? opts->rpc_addr : "none",
		opts->idle_sleep ? " (default)" : "", opts->idle_sleep ? "" : " (default)",
		opts->idle_threshold_us);
	for (int c = 0; c < USK_LOG_COMPONENT_COUNT; c++) {
		fprintf(out, " %s", usk_log_component_name(c));
	}
	fprintf(out,
		"\n"
		"      --log-level LEVEL     ERROR, WARNING, NOTICE (default), INFO or DEBUG,\n"
		"                            in any case\n"
		"  -h, --help                this text\n");
}

/* Joins the common long options and the app's, ending with a zeroed entry. */
static struct option *app_long_options(const struct option *app_long)
{
	size_t ncommon = sizeof(g_common_long) / sizeof(g_common_long[0]), napp = 0;
	struct option *all;

	while (app_long != NULL && app_long[napp].name != NULL) {
		napp++;
	}
	all = calloc(ncommon + napp + 1, sizeof(*all));
	if (all != NULL) {
		memcpy(all, g_common_long, sizeof(g_common_long));
		if (napp > 0) {
			memcpy(all + ncommon, app_long, napp * sizeof(*all));
		}
	}
	return all;
}

/* Handles a common option; returns 0, or -EINVAL after saying why. */
static int app_parse_common(int ch, const char *arg, struct usk_app_opts *opts)
{
	enum usk_log_level level;
	char *end;
	unsigned long v;

	switch (ch) {
	case 'm':
		opts->cpumask = arg;
		return 0;
	case 'r':
		opts->rpc_addr = arg;
		return 0;
	case 'c':
		opts->json_config_file = arg;
		return 0;
	case OPT_IDLE_SLEEP:
	case OPT_NO_IDLE_SLEEP:
		opts->idle_sleep = ch == OPT_IDLE_SLEEP;
		return 0;
	case OPT_IDLE_THRESHOLD:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > UINT32_MAX) {
			fprintf(stderr,
				"%s: --idle-threshold-us: expected microseconds, got '%s'\n",
				opts->name, arg);
			return -EINVAL;
		}
		opts->idle_threshold_us = (uint32_t)v;
		return 0;
	case 'L':
		if (usk_log_set_flag(arg, true) != 0) {
			fprintf(stderr, "%s: -L: no component is called '%s' (see --help)\n",
				opts->name, arg);
			return -EINVAL;
		}
		usk_log_set_level(USK_LOG_DEBUG);
		return 0;
	case OPT_LOG_LEVEL:
		if (usk_log_level_parse(arg, &level) != 0) {
			fprintf(stderr,
				"%s: --log-level: '%s' is not one of ERROR, WARNING, NOTICE, "
				"INFO, DEBUG\n",
				opts->name, arg);
			return -EINVAL;
		}
		usk_log_set_level(level);
		return 0;
	}
	return -ENOENT;
}

enum usk_app_parse_result usk_app_parse_args(int argc, char **argv, struct usk_app_opts *opts,
					     const char *app_short, const struct option *app_long,
					     int (*app_parse)(int ch, const char *arg),
					     void (*usage)(FILE *out))
{
	char shortopts[128];
	struct option *longopts = app_long_options(app_long);
	enum usk_app_parse_result result = USK_APP_PARSE_OK;
	int ch, rc;

	if (longopts == NULL) {
		return USK_APP_PARSE_ERROR;
	}
	snprintf(shortopts, sizeof(shortopts), "%s%s", COMMON_SHORT, app_short ? app_short : "");
	optind = 0; /* not 1: that keeps getopt's place inside the previous argv */
	while (result == USK_APP_PARSE_OK &&
	       (ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == 'h') {
			app_print_usage(stdout, opts, usage);
			result = USK_APP_PARSE_EXIT;
		} else if (ch == '?') {
			result = USK_APP_PARSE_ERROR;
		} else {
			rc = app_parse_common(ch, optarg, opts);
			if (rc == -ENOENT) {
				rc = app_parse ? app_parse(ch, optarg) : -EINVAL;
			}
			if (rc != 0) {
				result = USK_APP_PARSE_ERROR;
			}
		}
	}
	if (result == USK_APP_PARSE_OK && optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", opts->name, argv[optind]);
		result = USK_APP_PARSE_ERROR;
	}
	if (result == USK_APP_PARSE_ERROR) {
		fprintf(stderr, "Try '%s --help' for more information.\n", opts->name);
	}
	free(longopts);
	return result;
}
