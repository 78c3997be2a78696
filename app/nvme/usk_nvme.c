/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme: once a controller is on vfio-pci, nvme-cli cannot reach it;
 * usk_nvme gives the everyday commands, with nvme-cli's names and options.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_cli.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

static const struct command {
	const char *name;
	enum nvme_cli_verb verb;
	int (*run)(struct nvme_cli *cli);
} g_commands[] = {
	{"list", NVME_CLI_LIST, nvme_cli_list},
	{"id-ctrl", NVME_CLI_ID_CTRL, nvme_cli_id_ctrl},
	{"id-ns", NVME_CLI_ID_NS, nvme_cli_id_ns},
	{"smart-log", NVME_CLI_SMART_LOG, nvme_cli_smart_log},
	{"read", NVME_CLI_READ, nvme_cli_read},
	{"write", NVME_CLI_WRITE, nvme_cli_write},
	{"write-zeroes", NVME_CLI_WRITE_ZEROES, nvme_cli_write_zeroes},
	{"dsm", NVME_CLI_DSM, nvme_cli_dsm},
	{"flush", NVME_CLI_FLUSH, nvme_cli_flush},
	{"error-log", NVME_CLI_ERROR_LOG, nvme_cli_error_log},
	{"fw-log", NVME_CLI_FW_LOG, nvme_cli_fw_log},
	{"get-feature", NVME_CLI_GET_FEATURE, nvme_cli_get_feature},
	{"format", NVME_CLI_FORMAT, nvme_cli_format},
	{"discover", NVME_CLI_DISCOVER, nvme_cli_discover},
};

/* Attaches the device, with the admin timeout the command needs; returns 0 or 2. */
static int attach_device(struct nvme_cli *cli)
{
	struct usk_nvme_ctrlr_opts opts;

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	/* Format NVM may erase the whole medium, which takes minutes on some drives. */
	if (cli->verb == NVME_CLI_FORMAT) {
		opts.admin_timeout_ms = cli->timeout_ms != 0 ? cli->timeout_ms : 600000;
	}
	if (usk_nvme_ctrlr_attach(cli->device, &opts, &cli->ctrlr) != 0) {
		fprintf(stderr, "usk_nvme: cannot attach %s (the log says why)\n", cli->device);
		return 2;
	}
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < USK_COUNTOF(g_commands); i++) {
		if (strcmp(name, g_commands[i].name) == 0) {
			return &g_commands[i];
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct nvme_cli_dsm_lists dsm;
	struct nvme_cli cli = {.nsid = 1, .dsm = &dsm};
	const struct command *cmd;
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		nvme_cli_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "usk_nvme: unknown command '%s'; try --help\n", argv[1]);
		return 2;
	}
	cli.verb = cmd->verb;
	switch (nvme_cli_parse(&cli, argc - 1, argv + 1, stderr)) {
	case NVME_CLI_PARSE_HELP:
		nvme_cli_usage(stdout);
		return 0;
	case NVME_CLI_PARSE_BAD:
		return 2;
	case NVME_CLI_PARSE_OK:
		break;
	}
	if (usk_env_init(NULL) != 0) {
		return 1;
	}
	/* discover attaches its discovery controller itself, with the fabrics options. */
	if (cli.device != NULL && cli.verb != NVME_CLI_DISCOVER && attach_device(&cli) != 0) {
		usk_env_fini();
		return 2;
	}
	rc = cmd->run(&cli);
	if (cli.ctrlr != NULL) {
		usk_nvme_ctrlr_detach(cli.ctrlr);
	}
	usk_env_fini();
	return rc;
}
