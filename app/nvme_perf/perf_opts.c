/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "perf_opts.h"

static const struct perf_workload {
	const char *name;
	enum perf_pattern pattern;
	int read_percent; /* -1: taken from -M */
} g_workloads[] = {
	{ "read", PERF_SEQUENTIAL, 100 },
	{ "write", PERF_SEQUENTIAL, 0 },
	{ "randread", PERF_RANDOM, 100 },
	{ "randwrite", PERF_RANDOM, 0 },
	{ "rw", PERF_SEQUENTIAL, -1 },
	{ "randrw", PERF_RANDOM, -1 },
};

/* read_percent of a mixed workload until -M is seen. */
#define PERF_MIX_FROM_M UINT32_MAX

enum {
	OPT_IO_ALIGN = 256,
	OPT_JSON,
};

static const struct option g_long_options[] = {
	{ "queue-depth", required_argument, NULL, 'q' },
	{ "io-size", required_argument, NULL, 'o' },
	{ "io-pattern", required_argument, NULL, 'w' },
	{ "rwmixread", required_argument, NULL, 'M' },
	{ "time", required_argument, NULL, 't' },
	{ "warmup-time", required_argument, NULL, 'T' },
	{ "core-mask", required_argument, NULL, 'c' },
	{ "transport", required_argument, NULL, 'r' },
	{ "namespaces", required_argument, NULL, 'n' },
	{ "latency", no_argument, NULL, 'L' },
	{ "mem-size", required_argument, NULL, 's' },
	{ "verify", no_argument, NULL, 'V' },
	{ "io-align", required_argument, NULL, OPT_IO_ALIGN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void perf_opts_usage(FILE *out)
{
	fprintf(out,
		"Usage: usk_nvme_perf [options]\n"
		"\n"
		"Drives NVMe namespaces bound to vfio-pci through USK's polled driver and\n"
		"prints IOPS, throughput and latency per namespace and core.\n"
		"\n"
		"  -q, --queue-depth N    I/Os in flight per namespace and core (default 32)\n"
		"  -o, --io-size BYTES    size of each I/O, a multiple of the block size;\n"
		"                         k and m suffixes allowed (default 4096)\n"
		"  -w, --io-pattern P     read, write, randread, randwrite, rw or randrw\n"
		"                         (default randread)\n"
		"  -M, --rwmixread PCT    reads in percent for rw and randrw (default 70)\n"
		"  -t, --time SEC         measured run time in seconds (default 10)\n"
		"  -T, --warmup-time SEC  run this long before measuring (default 0)\n"
		"  -c, --core-mask MASK   cores to run on, one worker each: 0x3 or [0,1]\n"
		"                         (default: the core perf starts on)\n"
		"  -r, --transport TRID   controller to use, e.g.\n"
		"                         'trtype:PCIe traddr:0000:00:03.0'; repeatable\n"
		"                         (default: every controller bound to vfio-pci)\n"
		"  -n, --namespaces LIST  namespace IDs, e.g. 1,2 (default: all active)\n"
		"  -L, --latency          latency percentiles; -LL also prints the histogram\n"
		"  -s, --mem-size MB      DMA memory to reserve (default: what the run needs)\n"
		"  -V, --verify           write a pattern, read it back and check it\n"
		"      --io-align BYTES   data buffer alignment (default 4096); smaller\n"
		"                         alignments need a controller with SGL support\n"
		"      --json             print the results as JSON instead of tables\n"
		"  -h, --help             this text\n"
		"\n"
		"Devices must be bound to vfio-pci first: run scripts/setup.sh as root.\n"
		"Exit status: 0 on success, 1 if any I/O failed, 2 for bad input.\n");
}

/* Parses a decimal count with an optional k/m/g suffix (powers of 1024). */
static int parse_u32(const char *str, uint32_t min, uint32_t max, bool suffix, uint32_t *value)
{
	char *end;
	unsigned long long v;

	if (str == NULL || *str == '\0' || *str == '-') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno != 0 || end == str) {
		return -EINVAL;
	}
	if (suffix && *end != '\0' && end[1] == '\0') {
		const char *units = "kmg";
		const char *unit = strchr(units, end[0] | 0x20);

		if (unit == NULL) {
			return -EINVAL;
		}
		for (const char *u = units; u <= unit; u++) {
			if (v > UINT32_MAX) {
				return -ERANGE;
			}
			v *= 1024;
		}
		end++;
	}
	if (*end != '\0') {
		return -EINVAL;
	}
	if (v < min || v > max) {
		return -ERANGE;
	}
	*value = (uint32_t)v;
	return 0;
}

static int parse_nsid_list(struct perf_opts *opts, const char *list)
{
	char *copy = strdup(list);
	char *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		return -ENOMEM;
	}
	for (char *tok = strtok_r(copy, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (opts->nsid_count == PERF_MAX_NSIDS) {
			rc = -E2BIG;
			break;
		}
		rc = parse_u32(tok, 1, UINT32_MAX - 1, false, &opts->nsids[opts->nsid_count]);
		if (rc != 0) {
			break;
		}
		opts->nsid_count++;
	}
	free(copy);
	return rc == 0 && opts->nsid_count == 0 ? -EINVAL : rc;
}

static int set_workload(struct perf_opts *opts, const char *name)
{
	for (size_t i = 0; i < sizeof(g_workloads) / sizeof(g_workloads[0]); i++) {
		if (strcmp(name, g_workloads[i].name) == 0) {
			opts->workload = g_workloads[i].name;
			opts->pattern = g_workloads[i].pattern;
			opts->read_percent = g_workloads[i].read_percent < 0 ?
					     PERF_MIX_FROM_M : (uint32_t)g_workloads[i].read_percent;
			return 0;
		}
	}
	return -EINVAL;
}

static void opts_set_defaults(struct perf_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->queue_depth = 32;
	opts->io_size = 4096;
	opts->workload = "randread";
	opts->pattern = PERF_RANDOM;
	opts->read_percent = 100;
	opts->seconds = 10;
	opts->io_align = 4096;
}

/* Applies one option; returns 0 or -EINVAL after naming the problem. */
static int opts_apply(struct perf_opts *opts, int opt, const char *arg, uint32_t *mix, FILE *err)
{
	int rc = 0;

	switch (opt) {
	case 'q':
		rc = parse_u32(arg, 1, 65535, false, &opts->queue_depth);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -q %s: the queue depth must be 1..65535\n", arg);
		}
		break;
	case 'o':
		rc = parse_u32(arg, 1, 128u << 20, true, &opts->io_size);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -o %s: the I/O size must be 1 byte..128m\n", arg);
		}
		break;
	case 'w':
		rc = set_workload(opts, arg);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -w %s: unknown workload; use read, write, "
				     "randread, randwrite, rw or randrw\n", arg);
		}
		break;
	case 'M':
		rc = parse_u32(arg, 0, 100, false, mix);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -M %s: the read percentage must be 0..100\n", arg);
		}
		break;
	case 't':
		rc = parse_u32(arg, 1, 86400, false, &opts->seconds);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -t %s: the run time must be 1..86400 seconds\n", arg);
		}
		break;
	case 'T':
		rc = parse_u32(arg, 0, 3600, false, &opts->warmup_seconds);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -T %s: the warm-up must be 0..3600 seconds\n", arg);
		}
		break;
	case 'c':
		opts->core_mask = arg;
		break;
	case 'r':
		if (opts->trid_count == PERF_MAX_TRIDS) {
			fprintf(err, "usk_nvme_perf: -r: at most %d controllers\n", PERF_MAX_TRIDS);
			rc = -EINVAL;
		} else {
			opts->trids[opts->trid_count++] = arg;
		}
		break;
	case 'n':
		rc = parse_nsid_list(opts, arg);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -n %s: expected namespace IDs such as 1,2 "
				     "(at most %d)\n", arg, PERF_MAX_NSIDS);
		}
		break;
	case 'L':
		opts->latency_level++;
		break;
	case 's':
		rc = parse_u32(arg, 1, 1u << 20, false, &opts->dma_mem_mb);
		if (rc) {
			fprintf(err, "usk_nvme_perf: -s %s: the memory size is in MiB, 1..1048576\n", arg);
		}
		break;
	case 'V':
		opts->verify = true;
		break;
	case OPT_IO_ALIGN:
		rc = parse_u32(arg, 1, 1u << 21, true, &opts->io_align);
		if (rc == 0 && (opts->io_align & (opts->io_align - 1)) != 0) {
			rc = -EINVAL;
		}
		if (rc) {
			fprintf(err, "usk_nvme_perf: --io-align %s: a power of two up to 2m\n", arg);
		}
		break;
	case OPT_JSON:
		opts->json = true;
		break;
	case 'h':
		opts->help = true;
		break;
	default:
		fprintf(err, "usk_nvme_perf: try --help\n");
		rc = -EINVAL;
		break;
	}
	return rc != 0 ? -EINVAL : 0;
}

int perf_opts_parse(struct perf_opts *opts, int argc, char **argv, FILE *err)
{
	uint32_t mix = UINT32_MAX;
	int opt;

	opts_set_defaults(opts);
	/* getopt keeps state across calls; tests parse several command lines. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "q:o:w:M:t:T:c:r:n:Ls:Vh", g_long_options,
				  NULL)) != -1) {
		if (opt == '?') {
			fprintf(err, "usk_nvme_perf: unknown option or missing value: %s\n",
				argv[optind - 1]);
		}
		if (opts_apply(opts, opt, optarg, &mix, err) != 0) {
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, "usk_nvme_perf: unexpected argument '%s'; try --help\n", argv[optind]);
		return -EINVAL;
	}
	if (opts->read_percent == PERF_MIX_FROM_M) {
		opts->read_percent = mix == UINT32_MAX ? 70 : mix;
	} else if (mix != UINT32_MAX) {
		fprintf(err, "usk_nvme_perf: -M applies to rw and randrw only, not -w %s\n",
			opts->workload);
		return -EINVAL;
	}
	if (opts->latency_level > 2) {
		opts->latency_level = 2;
	}
	return 0;
}
