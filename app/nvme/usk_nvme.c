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
	{"error-log", nvme_cli_error_log, true, "Error Information log (-e N entries)"},
	{"fw-log", nvme_cli_fw_log, true, "Firmware Slot Information log"},
	{"get-feature", nvme_cli_get_feature, true, "Get Features -f FID [-s SEL] [--cdw11 V]"},
	{"format", nvme_cli_format, true, "Format NVM: erase namespace -n NSID"},
};

/* Codes of the options that have no letter, or whose letter means more than one. */
enum {
	OPT_START_BLOCK = 256,
	OPT_FEATURE_ID,
	OPT_SEL,
	OPT_SES,
	OPT_FORCE,
	OPT_CDW11,
	OPT_PIL,
	OPT_PRINFO,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: usk_nvme COMMAND [DEVICE] [options]\n\n"
		"nvme-cli's everyday commands through USK, for controllers bound to vfio-pci\n"
		"(scripts/setup.sh). DEVICE is a PCI address (0000:01:00.0) or a transport ID\n"
		"('trtype:PCIe traddr:0000:01:00.0').\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++) {
		fprintf(out, "  %-12s %s\n", g_commands[i].name, g_commands[i].help);
	}
	fprintf(out,
		"\nOptions:\n"
		"  -n, --namespace-id NSID   namespace (default 1; get-feature: all, FFFFFFFFh)\n"
		"  -s, --start-block LBA     first block of read or write (default 0)\n"
		"  -c, --block-count N       blocks minus one, as in nvme-cli (default 0)\n"
		"  -d, --data FILE           file to write from or read into\n"
		"  -e, --log-entries N       error-log entries to read (default ELPE + 1)\n"
		"  -f, --feature-id FID      get-feature: the feature to read\n"
		"  -s, --sel SEL             get-feature: 0 current, 1 default, 2 saved,\n"
		"                            3 supported capabilities (default 0)\n"
		"      --cdw11 VALUE         get-feature: CDW11, for features that take one\n"
		"  -l, --lbaf LBAF           format: LBA format, 0..15 (default the current one)\n"
		"  -s, --ses SES             format: 0 no secure erase, 1 user data erase,\n"
		"                            2 cryptographic erase (default 0)\n"
		"  -f, --force               format: do not ask first\n"
		"  -m, --ms MSET             format: 1 metadata after each block's data\n"
		"                            (extended LBA), 0 in a separate buffer (default 0)\n"
		"  -i, --pi PI               format: protection information type 0..3 (default 0)\n"
		"  -p, --pil PIL             format: 1 PI in the first 8 bytes of the metadata,\n"
		"                            0 the last (default 0)\n"
		"  -M, --metadata FILE       read, write: the separate metadata, to or from FILE\n"
		"  -p, --prinfo PRINFO       read, write: PRACT (8) | PRCHK guard (4), app tag "
		"(2),\n"
		"                            ref tag (1) (default 0)\n"
		"  -r, --trid TRID           the controller, as a transport ID or PCI address\n"
		"                            (instead of DEVICE)\n"
		"  -o, --output-format FMT   normal or json (default normal)\n"
		"  -h, --help                this text\n");
}

/* nvme-cli gives -s and -f a meaning per command; the long names have one each. */
static int option_code(const struct command *cmd, int opt)
{
	if (opt == 's' && cmd->run == nvme_cli_get_feature) {
		return OPT_SEL;
	}
	if (opt == 's') {
		return cmd->run == nvme_cli_format ? OPT_SES : OPT_START_BLOCK;
	}
	if (opt == 'f') {
		return cmd->run == nvme_cli_format ? OPT_FORCE : OPT_FEATURE_ID;
	}
	if (opt == 'p') {
		return cmd->run == nvme_cli_format ? OPT_PIL : OPT_PRINFO;
	}
	return opt;
}

/* Fills @cli from the options; returns 0 or 2 after saying what is wrong. */
static int parse_options(const struct command *cmd, struct nvme_cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"namespace-id", required_argument, NULL, 'n'},
		{"start-block", required_argument, NULL, OPT_START_BLOCK},
		{"block-count", required_argument, NULL, 'c'},
		{"data", required_argument, NULL, 'd'},
		{"log-entries", required_argument, NULL, 'e'},
		{"feature-id", required_argument, NULL, OPT_FEATURE_ID},
		{"sel", required_argument, NULL, OPT_SEL},
		{"cdw11", required_argument, NULL, OPT_CDW11},
		{"lbaf", required_argument, NULL, 'l'},
		{"ses", required_argument, NULL, OPT_SES},
		{"force", no_argument, NULL, OPT_FORCE},
		{"ms", required_argument, NULL, 'm'},
		{"pi", required_argument, NULL, 'i'},
		{"pil", required_argument, NULL, OPT_PIL},
		{"metadata", required_argument, NULL, 'M'},
		{"prinfo", required_argument, NULL, OPT_PRINFO},
		{"output-format", required_argument, NULL, 'o'},
		{"trid", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* format's -f is --force, which takes no value. */
	const char *letters = cmd->run == nvme_cli_format ? "n:s:c:d:e:l:fm:i:p:o:r:h"
							  : "n:s:c:d:e:f:l:M:p:o:r:h";
	int opt;
	char *end;

	while ((opt = getopt_long(argc, argv, letters, options, NULL)) != -1) {
		switch (option_code(cmd, opt)) {
		case 'n':
			cli->nsid = (uint32_t)strtoul(optarg, &end, 0);
			cli->has_nsid = true;
			break;
		case OPT_START_BLOCK:
			cli->start_block = strtoull(optarg, &end, 0);
			break;
		case 'c':
			cli->block_count = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 'e':
			cli->log_entries = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case OPT_FEATURE_ID:
			cli->feature_id = (uint32_t)strtoul(optarg, &end, 0);
			cli->has_feature_id = true;
			break;
		case OPT_SEL:
			cli->sel = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case OPT_CDW11:
			cli->cdw11 = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 'l':
			cli->lbaf = (uint32_t)strtoul(optarg, &end, 0);
			cli->has_lbaf = true;
			break;
		case OPT_SES:
			cli->ses = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 'm':
			cli->ms = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 'i':
			cli->pi = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case OPT_PIL:
			cli->pil = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case OPT_PRINFO:
			cli->prinfo = (uint32_t)strtoul(optarg, &end, 0);
			break;
		case 'M':
			cli->metadata = optarg;
			continue;
		case OPT_FORCE:
			cli->force = true;
			continue;
		case 'd':
			cli->data = optarg;
			continue;
		case 'r':
			cli->device = optarg;
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

/* Checks what the options cannot say alone; returns 0 or 2 after saying what is wrong. */
static int check_options(const struct command *cmd, const struct nvme_cli *cli)
{
	const char *problem = NULL;

	if ((cmd->run == nvme_cli_read || cmd->run == nvme_cli_write) && cli->data == NULL) {
		problem = "--data FILE is required";
	} else if (cmd->run == nvme_cli_get_feature && !cli->has_feature_id) {
		problem = "-f FID is required, e.g. -f 7 for the Number of Queues";
	} else if (cli->feature_id > 0xff) {
		problem = "-f/--feature-id: a feature ID is 0..0xff";
	} else if (cli->sel > 3) {
		problem = "-s/--sel: SEL is 0 (current), 1 (default), 2 (saved) or 3 (supported)";
	} else if (cmd->run == nvme_cli_format && !cli->has_nsid) {
		problem = "-n NSID is required: which namespace to erase?";
	} else if (cli->lbaf > 15) {
		problem =
			"-l/--lbaf: LBAF is 0..15 (nvme-cli's upper LBA formats are not supported)";
	} else if (cli->ms > 1 || cli->pil > 1) {
		problem = "-m/--ms and -p/--pil are 0 or 1";
	} else if (cli->pi > 3) {
		problem = "-i/--pi: PI is 0 (none) or a protection information type, 1..3";
	} else if (cli->prinfo > 15) {
		problem = "-p/--prinfo: PRINFO is 0..15: PRACT (8), PRCHK guard (4), app tag (2), "
			  "ref tag (1)";
	} else if (cli->ses > 2) {
		problem =
			"-s/--ses: SES is 0 (none), 1 (user data erase) or 2 (cryptographic erase)";
	}
	if (problem != NULL) {
		fprintf(stderr, "usk_nvme %s: %s\n", cmd->name, problem);
		return 2;
	}
	return 0;
}

/* Attaches the device, with the admin timeout the command needs; returns 0 or 2. */
static int attach_device(const struct command *cmd, struct nvme_cli *cli)
{
	struct usk_nvme_ctrlr_opts opts;

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	/* Format NVM may erase the whole medium, which takes minutes on some drives. */
	if (cmd->run == nvme_cli_format) {
		opts.admin_timeout_ms = 600000;
	}
	if (usk_nvme_ctrlr_attach(cli->device, &opts, &cli->ctrlr) != 0) {
		fprintf(stderr, "usk_nvme: cannot attach %s (the log says why)\n", cli->device);
		return 2;
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
	rc = parse_options(cmd, &cli, argc - 1, argv + 1);
	if (rc != 0) {
		return rc;
	}
	/* The device: -r, as SPDK's tools take it, or the first word after the options. */
	if (cli.device == NULL && cmd->needs_device && optind + 1 < argc) {
		cli.device = argv[optind + 1];
	}
	if (cmd->needs_device && cli.device == NULL) {
		fprintf(stderr, "usk_nvme %s: which device? e.g. usk_nvme %s 0000:01:00.0\n",
			cmd->name, cmd->name);
		return 2;
	}
	if (check_options(cmd, &cli) != 0) {
		return 2;
	}
	if (!cmd->needs_device) {
		cli.device = NULL;
	}
	if (usk_env_init(NULL) != 0) {
		return 1;
	}
	if (cli.device != NULL && attach_device(cmd, &cli) != 0) {
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
