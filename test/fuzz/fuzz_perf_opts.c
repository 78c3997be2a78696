/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme_perf's command line: the input split at its NUL bytes into
 * argv[1..], handed to perf_opts_parse(), then what perf_main does next
 * with the strings it kept: each -r through the transport-ID parser and
 * -c through the core parser. The parser must return an error for bad
 * input, never exit the process.
 */
#include "config.h"

#include "fuzz_common.h"
#include "perf_cores.h"
#include "perf_opts.h"
#include "usk/nvme.h"

/* More arguments only repeat what a few already reach. */
#define FUZZ_MAX_ARGS 32

static FILE *g_devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return fuzz_init_option_parser(&g_devnull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_opts opts;
	struct fuzz_argv a;

	if (fuzz_argv_split(&a, "usk_nvme_perf", data, size, FUZZ_MAX_ARGS) == 0) {
		fuzz_getopt_reset();
		if (perf_opts_parse(&opts, a.argc, a.argv, g_devnull) == 0) {
			uint32_t cores[PERF_MAX_CORES];
			struct usk_nvme_transport_id trid;

			FUZZ_CHECK(opts.trid_count <= PERF_MAX_TRIDS, "%u transport IDs kept",
				   opts.trid_count);
			FUZZ_CHECK(opts.nsid_count <= PERF_MAX_NSIDS, "%u namespaces kept",
				   opts.nsid_count);
			for (uint32_t i = 0; i < opts.trid_count; i++) {
				usk_nvme_transport_id_parse(opts.trids[i], &trid);
			}
			if (opts.core_mask != NULL) {
				char err[128];
				int n = perf_cores_parse(opts.core_mask, cores, PERF_MAX_CORES, err,
							 sizeof(err));

				FUZZ_CHECK(n <= PERF_MAX_CORES, "-c %s: %d cores", opts.core_mask,
					   n);
			}
		}
	}
	fuzz_argv_free(&a);
	return 0;
}
