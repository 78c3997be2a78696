/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perf_opts.h"
#include "usk/nvme.h"
#include "usk/util.h"

static const struct perf_workload {
	const char *name;
	enum perf_pattern pattern;
	int read_percent; /* -1: taken from -M */
} g_workloads[] = {
	{"read", PERF_SEQUENTIAL, 100}, {"write", PERF_SEQUENTIAL, 0},
	{"randread", PERF_RANDOM, 100}, {"randwrite", PERF_RANDOM, 0},
	{"rw", PERF_SEQUENTIAL, -1},	{"randrw", PERF_RANDOM, -1},
};

/* read_percent of a mixed workload until -M is applied. */
#define PERF_MIX_FROM_M UINT32_MAX
/* rwmixread when no -M was given. */
#define PERF_MIX_UNSET UINT32_MAX

enum {
	OPT_IO_ALIGN = 256,
	OPT_JSON,
	OPT_NO_SHADOW_DOORBELLS,
	OPT_DELAY_DOORBELL,
	OPT_TRANSPORT_STATS,
	OPT_INTERRUPTS,
	OPT_ADAPTIVE,
	OPT_RATE,
	OPT_INTERRUPT_KEEP,
};

static const struct option g_long_options[] = {
	{"queue-depth", required_argument, NULL, 'q'},
	{"io-size", required_argument, NULL, 'o'},
	{"io-pattern", required_argument, NULL, 'w'},
	{"rwmixread", required_argument, NULL, 'M'},
	{"time", required_argument, NULL, 't'},
	{"warmup-time", required_argument, NULL, 'T'},
	{"core-mask", required_argument, NULL, 'c'},
	{"transport", required_argument, NULL, 'r'},
	{"namespaces", required_argument, NULL, 'n'},
	{"latency", no_argument, NULL, 'L'},
	{"mem-size", required_argument, NULL, 's'},
	{"verify", no_argument, NULL, 'V'},
	{"io-align", required_argument, NULL, OPT_IO_ALIGN},
	{"json", no_argument, NULL, OPT_JSON},
	{"no-shadow-doorbells", no_argument, NULL, OPT_NO_SHADOW_DOORBELLS},
	{"delay-doorbell", no_argument, NULL, OPT_DELAY_DOORBELL},
	{"transport-stats", no_argument, NULL, OPT_TRANSPORT_STATS},
	{"interrupts", no_argument, NULL, OPT_INTERRUPTS},
	{"adaptive", no_argument, NULL, OPT_ADAPTIVE},
	{"rate", required_argument, NULL, OPT_RATE},
	{"interrupt-keep", required_argument, NULL, OPT_INTERRUPT_KEEP},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
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
		"      --io-align BYTES   data buffer alignment (default 4096); below 4\n"
		"                         it needs a controller with SGL support\n"
		"      --json             print the results as JSON instead of tables\n"
		"      --no-shadow-doorbells  write every doorbell to the device's register,\n"
		"                         even when it offers shadow doorbells\n"
		"      --delay-doorbell   write the SQ tail doorbell once per poll, not per\n"
		"                         submission (the queue pairs' delay_doorbell)\n"
		"      --transport-stats  after the run, each queue pair's polls, completions\n"
		"                         and doorbell writes (MMIO and shadow)\n"
		"      --interrupts       sleep on the queue pairs' MSI-X interrupts whenever\n"
		"                         a poll finds nothing, as the kernel's driver does\n"
		"      --adaptive         poll while busy; after an idle spell arm the\n"
		"                         interrupts and sleep until one comes\n"
		"      --rate IOPS        submit at this fixed rate in all (spread over the\n"
		"                         workers), at most -q in flight each; k/m allowed\n"
		"      --interrupt-keep N with --interrupts or --adaptive: completions a\n"
		"                         queue pair reaps after a wake-up, without sleeping\n"
		"                         again, before its vector is masked; 0 masks it at\n"
		"                         every wake-up (default %u; see doc/nvme.md)\n"
		"  -h, --help             this text\n"
		"\n"
		"Devices must be bound to vfio-pci first: run scripts/setup.sh as root.\n"
		"Exit status: 0 on success, 1 if any I/O failed, 2 for bad input.\n",
		USK_NVME_IRQ_KEEP_COMPLETIONS);
}

int perf_parse_u32(const char *str, uint32_t min, uint32_t max, bool suffix, uint32_t *value)
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

bool perf_buffers_fit(uint64_t bytes, uint64_t *mib)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long page_size = sysconf(_SC_PAGESIZE);
	uint64_t have;

	if (pages <= 0 || page_size <= 0) {
		*mib = 0;
		return true; /* unknown here: the allocation will tell */
	}
	have = (uint64_t)pages * (uint64_t)page_size;
	*mib = have >> 20;
	return bytes <= have;
}

/*
 * Appends the IDs of @list to opts->nsids. Returns 0, -EINVAL, -E2BIG, or
 * -EEXIST for an ID already there (left uncounted in nsids[nsid_count]).
 */
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
		rc = perf_parse_u32(tok, 1, UINT32_MAX - 1, false, &opts->nsids[opts->nsid_count]);
		for (uint32_t i = 0; rc == 0 && i < opts->nsid_count; i++) {
			rc = opts->nsids[i] == opts->nsids[opts->nsid_count] ? -EEXIST : 0;
		}
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
		const struct perf_workload *w = &g_workloads[i];

		if (strcmp(name, w->name) == 0) {
			opts->workload = w->name;
			opts->pattern = w->pattern;
			opts->read_percent =
				w->read_percent < 0 ? PERF_MIX_FROM_M : (uint32_t)w->read_percent;
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
	opts->rwmixread = PERF_MIX_UNSET;
	opts->interrupt_keep = USK_NVME_IRQ_KEEP_COMPLETIONS;
}

/* Options that take a number, and what to say when it is out of range. */
static const struct perf_number_opt {
	int opt;
	uint32_t min;
	uint32_t max;
	bool suffix;
	size_t offset;
	const char *rule;
} g_number_opts[] = {
	{'q', 1, 65535, false, offsetof(struct perf_opts, queue_depth),
	 "the queue depth must be 1..65535"},
	{'o', 1, 128u << 20, true, offsetof(struct perf_opts, io_size),
	 "the I/O size must be 1 byte..128m"},
	{'M', 0, 100, false, offsetof(struct perf_opts, rwmixread),
	 "the read percentage must be 0..100"},
	{'t', 1, 86400, false, offsetof(struct perf_opts, seconds),
	 "the run time must be 1..86400 seconds"},
	{'T', 0, 3600, false, offsetof(struct perf_opts, warmup_seconds),
	 "the warm-up must be 0..3600 seconds"},
	{'s', 1, 1u << 20, false, offsetof(struct perf_opts, dma_mem_mb),
	 "the memory size is in MiB, 1..1048576"},
	{OPT_IO_ALIGN, 1, 1u << 21, true, offsetof(struct perf_opts, io_align),
	 "the alignment must be a power of two up to 2m"},
	{OPT_RATE, 1, 100u << 20, true, offsetof(struct perf_opts, rate),
	 "the rate must be 1..100m I/Os per second"},
	{OPT_INTERRUPT_KEEP, 0, UINT32_MAX, true, offsetof(struct perf_opts, interrupt_keep),
	 "a count of completions, 0..4294967295, is expected"},
};

static const char *opt_name(int opt)
{
	static char name[4];

	if (opt == OPT_IO_ALIGN) {
		return "--io-align";
	}
	if (opt == OPT_RATE) {
		return "--rate";
	}
	if (opt == OPT_INTERRUPT_KEEP) {
		return "--interrupt-keep";
	}
	snprintf(name, sizeof(name), "-%c", opt);
	return name;
}

/* Returns 1 if @opt is not a number option, else 0 or -EINVAL. */
static int opts_apply_number(struct perf_opts *opts, int opt, const char *arg, FILE *err)
{
	for (size_t i = 0; i < sizeof(g_number_opts) / sizeof(g_number_opts[0]); i++) {
		const struct perf_number_opt *n = &g_number_opts[i];
		uint32_t *field = (uint32_t *)(void *)((char *)opts + n->offset);

		if (n->opt != opt) {
			continue;
		}
		if (perf_parse_u32(arg, n->min, n->max, n->suffix, field) != 0 ||
		    (opt == OPT_IO_ALIGN && (*field & (*field - 1)) != 0)) {
			fprintf(err, "usk_nvme_perf: %s %s: %s\n", opt_name(opt), arg, n->rule);
			return -EINVAL;
		}
		return 0;
	}
	return 1;
}

/* Applies one option; returns 0 or -EINVAL after naming the problem. */
static int opts_apply(struct perf_opts *opts, int opt, const char *arg, FILE *err)
{
	int rc = opts_apply_number(opts, opt, arg, err);

	if (rc <= 0) {
		return rc;
	}
	switch (opt) {
	case 'w':
		if (set_workload(opts, arg) != 0) {
			fprintf(err,
				"usk_nvme_perf: -w %s: unknown workload; use read, write, "
				"randread, randwrite, rw or randrw\n",
				arg);
			return -EINVAL;
		}
		return 0;
	case 'c':
		opts->core_mask = arg;
		return 0;
	case 'r':
		if (opts->trid_count == PERF_MAX_TRIDS) {
			fprintf(err, "usk_nvme_perf: -r: at most %d controllers\n", PERF_MAX_TRIDS);
			return -EINVAL;
		}
		opts->trids[opts->trid_count++] = arg;
		return 0;
	case 'n':
		rc = parse_nsid_list(opts, arg);
		/* Two workers on one namespace would overwrite each other's -V pattern. */
		if (rc == -EEXIST) {
			fprintf(err, "usk_nvme_perf: -n %s: namespace %u is listed twice\n", arg,
				opts->nsids[opts->nsid_count]);
			return -EINVAL;
		}
		if (rc != 0) {
			fprintf(err,
				"usk_nvme_perf: -n %s: expected namespace IDs such as 1,2 "
				"(at most %d)\n",
				arg, PERF_MAX_NSIDS);
			return -EINVAL;
		}
		return 0;
	case 'L':
		opts->latency_level = USK_MIN(opts->latency_level + 1, 2u);
		return 0;
	case 'V':
		opts->verify = true;
		return 0;
	case OPT_JSON:
		opts->json = true;
		return 0;
	case OPT_NO_SHADOW_DOORBELLS:
		opts->mmio_doorbells = true;
		return 0;
	case OPT_DELAY_DOORBELL:
		opts->delay_doorbell = true;
		return 0;
	case OPT_TRANSPORT_STATS:
		opts->transport_stats = true;
		return 0;
	case OPT_INTERRUPTS:
	case OPT_ADAPTIVE:
		if (opts->wait_mode != PERF_WAIT_POLL) {
			fprintf(err, "usk_nvme_perf: --interrupts and --adaptive exclude each other\n");
			return -EINVAL;
		}
		opts->wait_mode = opt == OPT_ADAPTIVE ? PERF_WAIT_ADAPTIVE : PERF_WAIT_INTERRUPTS;
		return 0;
	case 'h':
		opts->help = true;
		return 0;
	default:
		fprintf(err, "usk_nvme_perf: try --help\n");
		return -EINVAL;
	}
}

int perf_opts_parse(struct perf_opts *opts, int argc, char **argv, FILE *err)
{
	bool keep_given = false;
	int opt;

	opts_set_defaults(opts);
	/* getopt keeps state across calls; tests parse several command lines. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "q:o:w:M:t:T:c:r:n:Ls:Vh", g_long_options, NULL)) !=
	       -1) {
		if (opt == '?') {
			fprintf(err, "usk_nvme_perf: unknown option or missing value: %s\n",
				argv[optind - 1]);
		}
		if (opts_apply(opts, opt, optarg, err) != 0) {
			return -EINVAL;
		}
		keep_given |= opt == OPT_INTERRUPT_KEEP;
	}
	if (optind < argc) {
		fprintf(err, "usk_nvme_perf: unexpected argument '%s'; try --help\n", argv[optind]);
		return -EINVAL;
	}
	if (keep_given && opts->wait_mode == PERF_WAIT_POLL) {
		fprintf(err,
			"usk_nvme_perf: --interrupt-keep applies to --interrupts and --adaptive "
			"only\n");
		return -EINVAL;
	}
	if (opts->read_percent == PERF_MIX_FROM_M) {
		opts->read_percent = opts->rwmixread == PERF_MIX_UNSET ? 70 : opts->rwmixread;
	} else if (opts->rwmixread != PERF_MIX_UNSET) {
		fprintf(err, "usk_nvme_perf: -M applies to rw and randrw only, not -w %s\n",
			opts->workload);
		return -EINVAL;
	}
	return 0;
}
