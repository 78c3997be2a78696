/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_bdevperf's command line: the input split at its NUL bytes into
 * argv[1..], through usk_app_parse_args() with bdevperf's own options and
 * parse function, as its main() does, then the core mask through lib/event's
 * parser as usk_app_start() would. bdevperf_main.c is included for its
 * static parse function and options, with its main() renamed out of the way
 * of libFuzzer's; it must return an error for bad input, never exit.
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz_common.h"

#define main bdevperf_main
int bdevperf_main(int argc, char **argv);
#include "../../app/bdevperf/bdevperf_main.c"
#undef main

#include "event_internal.h"

#define FUZZ_MAX_ARGS 32
#define FUZZ_MAX_CORES 1024

/* bdevperf's option defaults, restored before each input. */
static struct bdevperf_opts g_default_opts;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_default_opts = g_opts;
	/* --help prints to stdout; libFuzzer reports on stderr. */
	return freopen("/dev/null", "w", stdout) != NULL ? 0 : -1;
}

/* What usk_app_start() does first with the -m it is given. */
static void parse_cpumask(const struct usk_app_opts *opts)
{
	static int cores[FUZZ_MAX_CORES];
	uint32_t count = 0;
	char err[256];

	if (opts->cpumask != NULL &&
	    event_cpumask_parse(opts->cpumask, cores, FUZZ_MAX_CORES, &count, err, sizeof(err)) == 0) {
		FUZZ_CHECK(count >= 1 && count <= FUZZ_MAX_CORES, "-m %s: %u cores", opts->cpumask,
			   count);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usk_app_opts opts;
	struct fuzz_argv a;

	/* -L and --log-level change the log: each input starts from the quiet one. */
	fuzz_quiet_logs();
	g_opts = g_default_opts;
	if (fuzz_argv_split(&a, "usk_bdevperf", data, size, FUZZ_MAX_ARGS) == 0) {
		usk_app_opts_init(&opts, sizeof(opts));
		opts.name = "usk_bdevperf";
		opts.rpc_addr = NULL;
		fuzz_getopt_reset();
		if (usk_app_parse_args(a.argc, a.argv, &opts, "q:o:w:M:t:T:C", g_long,
				       bdevperf_parse, bdevperf_usage) == USK_APP_PARSE_OK) {
			FUZZ_CHECK(g_opts.queue_depth >= 1 && g_opts.io_size >= 512,
				   "-q %u -o %u accepted", g_opts.queue_depth, g_opts.io_size);
			parse_cpumask(&opts);
		}
	}
	fuzz_argv_free(&a);
	return 0;
}
