/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme's command line: the first byte picks the command, the rest is
 * split at its NUL bytes into its options, handed to nvme_cli_parse().
 * The parser must refuse bad input with a message, never exit the process
 * or write past dsm's 256 ranges.
 */
#include "config.h"

#include "fuzz_common.h"
#include "nvme_cli.h"

/* More arguments only repeat what a few already reach. */
#define FUZZ_MAX_ARGS 32
/* The commands of enum nvme_cli_verb, NVME_CLI_LIST to NVME_CLI_FORMAT. */
#define FUZZ_VERBS (NVME_CLI_FORMAT + 1)

static FILE *g_devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return fuzz_init_option_parser(&g_devnull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nvme_cli_dsm_lists dsm;
	struct nvme_cli cli;
	struct fuzz_argv a;

	if (size == 0) {
		return 0;
	}
	cli = (struct nvme_cli){.verb = data[0] % FUZZ_VERBS, .nsid = 1, .dsm = &dsm};
	memset(&dsm, 0, sizeof(dsm));
	if (fuzz_argv_split(&a, "usk_nvme-command", data + 1, size - 1, FUZZ_MAX_ARGS) == 0) {
		fuzz_getopt_reset();
		if (nvme_cli_parse(&cli, a.argc, a.argv, g_devnull) == NVME_CLI_PARSE_OK) {
			FUZZ_CHECK(cli.verb == NVME_CLI_LIST || cli.device != NULL,
				   "command %d accepted without a device", cli.verb);
			FUZZ_CHECK(dsm.nslbs <= NVME_CLI_DSM_MAX_RANGES &&
					   dsm.nblocks <= NVME_CLI_DSM_MAX_RANGES &&
					   dsm.nattrs <= NVME_CLI_DSM_MAX_RANGES,
				   "%u/%u/%u dsm ranges kept", dsm.nslbs, dsm.nblocks, dsm.nattrs);
			FUZZ_CHECK(cli.prinfo <= 15, "PRINFO %u accepted", cli.prinfo);
		}
	}
	fuzz_argv_free(&a);
	return 0;
}
