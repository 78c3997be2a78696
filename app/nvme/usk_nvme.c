/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme: once a controller is on vfio-pci, nvme-cli cannot reach it;
 * usk_nvme gives the everyday commands, with nvme-cli's names and options.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_cli.h"
#include "usk/env.h"
#include "usk/log.h"

static const struct command {
	const char *name;
	int (*run)(struct nvme_cli *cli);
	bool needs_device;
	const char *help;
} g_commands[] = {
	{"list", nvme_cli_list, false,
	 "list NVMe controllers and the namespaces of those on vfio-pci"},
	{"id-ctrl", nvme_cli_id_ctrl, true, "Identify Controller"},
	{"id-ns", nvme_cli_id_ns, true, "Identify Namespace (-n NSID)"},
	{"smart-log", nvme_cli_smart_log, true, "SMART / health information log"},
	{"read", nvme_cli_read, true, "read blocks into --data FILE"},
	{"write", nvme_cli_write, true, "write blocks from --data FILE"},
	{"write-zeroes", nvme_cli_write_zeroes, true, "zero blocks -s .. -s + -c"},
	{"dsm", nvme_cli_dsm, true, "deallocate (trim) blocks -s .. -s + -c"},
	{"flush", nvme_cli_flush, true, "flush the volatile write cache"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: usk_nvme COMMAND [DEVICE] [options]\n\n"
		"nvme-cli's everyday commands through USK, for controllers bound to vfio-pci\n"
		"(scripts/setup.sh). DEVICE is a PCI address (0000:01:00.0) or a transport ID\n"
		"('trtype:PCIe traddr:0000:01:00.0').\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++) {
		fprintf(out, "  %-10s %s\n", g_commands[i].name, g_commands[i].help);
	}
	fprintf(out, "\nOptions:\n"
		     "  -n, --namespace-id NSID   namespace (default 1)\n"
		     "  -s, --start-block LBA     first block of read or write (default 0)\n"
		     "  -c, --block-count N       blocks minus one, as in nvme-cli (default 0)\n"
		     "  -d, --data FILE           file to write from or read into\n"
		     "  -o, --output-format FMT   normal or json (default normal)\n"
		     "  -h, --help                this text\n");
}

/* Fills @cli from the options; returns 0 or 2 after saying what is wrong. */
static int parse_options(struct nvme_cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"namespace-id", required_argument, NULL, 'n'},
		{"start-block", required_argument, NULL, 's'},
		{"block-count", required_argument, NULL, 'c'},
		{"data", required_argument, NULL, 'd'},
		{"output-format", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	char *end;

	while ((opt = getopt_long(argc, argv, "n:s:c:d:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			cli->nsid = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 's':
			cli->start_block = strtoull(optarg, &end, 0);
			break;
		case 'c':
			cli->block_count = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 'd':
			cli->data = optarg;
			continue;
		case 'o':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "normal") != 0) {
				fprintf(stderr, "usk_nvme: -o %s: use normal or json\n", optarg);
				return 2;
			}
			cli->json = strcmp(optarg, "json") == 0;
			continue;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
		if (*optarg == '\0' || *end != '\0') {
			fprintf(stderr, "usk_nvme: '%s' is not a number\n", optarg);
			return 2;
		}
	}
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++) {
		if (strcmp(name, g_commands[i].name) == 0) {
			return &g_commands[i];
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct nvme_cli cli = {.nsid = 1};
	const struct command *cmd;
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "usk_nvme: unknown command '%s'; try --help\n", argv[1]);
		return 2;
	}
	rc = parse_options(&cli, argc - 1, argv + 1);
	if (rc != 0) {
		return rc;
	}
	if (cmd->needs_device && optind + 1 >= argc) {
		fprintf(stderr, "usk_nvme %s: which device? e.g. usk_nvme %s 0000:01:00.0\n",
			cmd->name, cmd->name);
		return 2;
	}
	if ((cmd->run == nvme_cli_read || cmd->run == nvme_cli_write) && cli.data == NULL) {
		fprintf(stderr, "usk_nvme %s: --data FILE is required\n", cmd->name);
		return 2;
	}
	cli.device = cmd->needs_device ? argv[optind + 1] : NULL;
	if (usk_env_init(NULL) != 0) {
		return 1;
	}
	if (cli.device != NULL && usk_nvme_ctrlr_attach(cli.device, NULL, &cli.ctrlr) != 0) {
		fprintf(stderr, "usk_nvme: cannot attach %s (the log says why)\n", cli.device);
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
