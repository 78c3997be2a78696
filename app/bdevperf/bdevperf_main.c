/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_bdevperf's command line and its run: bdevs come from --json, jobs
 * are placed on the cores of -m, a timed poller on the app thread prints
 * progress each second and stops the jobs after -t seconds.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "usk/event.h"
#include "usk/log.h"
#include "bdevperf.h"
#include "perf_opts.h"

static struct bdevperf_opts g_opts = {
	.queue_depth = 32,
	.io_size = 4096,
	.workload = "randread",
	.kind = BDEVPERF_IO,
	.pattern = PERF_RANDOM,
	.read_percent = 100,
	.rwmixread = UINT32_MAX,
	.seconds = 5,
};

static struct bdevperf_job g_jobs[BDEVPERF_MAX_JOBS];
static uint32_t g_job_count;
static uint32_t g_jobs_running;
static struct usk_poller *g_timer;
static uint32_t g_elapsed_s;
static bool g_stopping;
static uint32_t g_stop_s; /* g_elapsed_s when the jobs were told to stop */
static struct bdevperf_progress g_progress;
static int g_exit;

static const struct {
	const char *name;
	enum bdevperf_kind kind;
	enum perf_pattern pattern;
	int read_percent; /* -1: from -M */
} g_workloads[] = {
	{"read", BDEVPERF_IO, PERF_SEQUENTIAL, 100},
	{"write", BDEVPERF_IO, PERF_SEQUENTIAL, 0},
	{"randread", BDEVPERF_IO, PERF_RANDOM, 100},
	{"randwrite", BDEVPERF_IO, PERF_RANDOM, 0},
	{"rw", BDEVPERF_IO, PERF_SEQUENTIAL, -1},
	{"randrw", BDEVPERF_IO, PERF_RANDOM, -1},
	{"verify", BDEVPERF_VERIFY, PERF_SEQUENTIAL, 0},
	{"reset", BDEVPERF_RESET, PERF_SEQUENTIAL, 0},
	{"unmap", BDEVPERF_UNMAP, PERF_RANDOM, 0},
	{"write_zeroes", BDEVPERF_ZEROES, PERF_RANDOM, 0},
	{"flush", BDEVPERF_FLUSH, PERF_SEQUENTIAL, 0},
};

enum { OPT_JSON_OUTPUT = 0x2000, OPT_LATENCY_HISTOGRAM };

static const struct option g_long[] = {
	{"json-output", no_argument, NULL, OPT_JSON_OUTPUT},
	{"latency-histogram", no_argument, NULL, OPT_LATENCY_HISTOGRAM},
	{NULL, 0, NULL, 0},
};

static void bdevperf_usage(FILE *out)
{
	fprintf(out,
		"Drives bdevs (from --json) through the bdev layer and reports IOPS, MiB/s and\n"
		"latency per bdev and core, with a progress line each second.\n"
		"\n"
		"  -q DEPTH        I/Os in flight per job, 1..65536 (default 32)\n"
		"  -o SIZE         bytes per I/O, 512..64m, k/m suffixes allowed (default 4096)\n"
		"  -w WORKLOAD     read, write, randread (default), randwrite, rw, randrw,\n"
		"                  verify, reset, unmap, write_zeroes, flush\n"
		"  -M PERCENT      reads in rw and randrw, 0..100 (default 50)\n"
		"  -t SECONDS      how long to run, 1..86400 (default 5)\n"
		"  -T BDEV         only this bdev (default: every bdev no module has claimed)\n"
		"  -C              every core drives every bdev (default: one core a bdev)\n"
		"  --json-output   print the results as JSON, with each second's IOPS and\n"
		"                  MiB/s (\"progress\")\n"
		"  --latency-histogram\n"
		"                  with --json-output: keep each job's latency histogram (a\n"
		"                  little CPU an I/O) and give its percentiles and buckets\n"
		"                  (\"latency_us\"), which scripts/plot.py draws\n"
		"\n"
		"Per job the final table gives the I/Os submitted (each submit the bdev took,\n"
		"verify's read-backs and retries included) and completed (each completion),\n"
		"and failures. A job with failed I/O gets a line naming the first (operation,\n"
		"block, NVMe status) and a count by status; --json-output has the same as\n"
		"submitted, completed, first_error and error_statuses. A job still waiting\n"
		"for I/O %d s after the stop is named on stderr. With -r (below) RPCs are\n"
		"served while the jobs run.\n"
		"\n"
		"Exit status: 0 when every I/O succeeded; 1 if any failed, or a job's submitted\n"
		"and completed counts differ (an I/O completed twice or never: said on\n"
		"stderr); 2 for bad input.\n"
		"Example: usk_bdevperf --json bdevs.json -q 128 -o 4k -w randread -t 10\n",
		BDEVPERF_DRAIN_WARN_S);
}

static int set_workload(const char *name)
{
	for (size_t i = 0; i < sizeof(g_workloads) / sizeof(g_workloads[0]); i++) {
		if (strcmp(name, g_workloads[i].name) == 0) {
			g_opts.workload = g_workloads[i].name;
			g_opts.kind = g_workloads[i].kind;
			g_opts.pattern = g_workloads[i].pattern;
			g_opts.read_percent = g_workloads[i].read_percent < 0
						      ? 50
						      : (uint32_t)g_workloads[i].read_percent;
			return 0;
		}
	}
	fprintf(stderr, "usk_bdevperf: -w %s: unknown workload (see --help)\n", name);
	return -EINVAL;
}

static int parse_number(int ch, const char *arg, uint32_t min, uint32_t max, bool suffix,
			uint32_t *value)
{
	if (perf_parse_u32(arg, min, max, suffix, value) != 0) {
		fprintf(stderr, "usk_bdevperf: -%c %s: expected a number from %u to %u\n", ch, arg,
			min, max);
		return -EINVAL;
	}
	return 0;
}

static int bdevperf_parse(int ch, const char *arg)
{
	switch (ch) {
	case 'q':
		return parse_number(ch, arg, 1, 65536, false, &g_opts.queue_depth);
	case 'o':
		return parse_number(ch, arg, 512, 64u << 20, true, &g_opts.io_size);
	case 'w':
		return set_workload(arg);
	case 'M':
		return parse_number(ch, arg, 0, 100, false, &g_opts.rwmixread);
	case 't':
		return parse_number(ch, arg, 1, 86400, false, &g_opts.seconds);
	case 'T':
		g_opts.bdev_name = arg;
		return 0;
	case 'C':
		g_opts.every_core = true;
		return 0;
	case OPT_JSON_OUTPUT:
		g_opts.json_output = true;
		return 0;
	case OPT_LATENCY_HISTOGRAM:
		g_opts.latency_histogram = true;
		return 0;
	}
	return -EINVAL;
}

/* Adds a job for @bdev on each of its cores. */
static int bdevperf_add_jobs(struct usk_bdev *bdev, uint32_t *next_core)
{
	uint32_t cores = usk_app_get_core_count();
	uint32_t n = g_opts.every_core ? cores : 1;

	for (uint32_t i = 0; i < n; i++) {
		struct bdevperf_job *job = &g_jobs[g_job_count];

		if (g_job_count == BDEVPERF_MAX_JOBS) {
			fprintf(stderr, "usk_bdevperf: more than %d jobs\n", BDEVPERF_MAX_JOBS);
			return -ENOSPC;
		}
		memset(job, 0, sizeof(*job));
		job->opts = &g_opts;
		snprintf(job->bdev_name, sizeof(job->bdev_name), "%s", usk_bdev_get_name(bdev));
		job->core = usk_app_get_core(g_opts.every_core ? i : (*next_core)++ % cores);
		job->index = i;
		job->siblings = n;
		g_job_count++;
	}
	return 0;
}

static int bdevperf_make_jobs(void)
{
	uint32_t next_core = 0;
	int rc = 0;

	if (g_opts.bdev_name != NULL) {
		struct usk_bdev *bdev = usk_bdev_get_by_name(g_opts.bdev_name);

		if (bdev == NULL) {
			fprintf(stderr, "usk_bdevperf: -T %s: no bdev has that name\n",
				g_opts.bdev_name);
			return -ENODEV;
		}
		return bdevperf_add_jobs(bdev, &next_core);
	}
	/* A claimed bdev belongs to a module (a split's base): its users drive it. */
	for (struct usk_bdev *b = usk_bdev_first(); b != NULL && rc == 0; b = usk_bdev_next(b)) {
		if (!usk_bdev_is_claimed(b)) {
			rc = bdevperf_add_jobs(b, &next_core);
		}
	}
	if (rc == 0 && g_job_count == 0) {
		fprintf(stderr, "usk_bdevperf: no bdevs: give a --json config that creates some\n");
		return -ENODEV;
	}
	return rc;
}

static void bdevperf_stop_jobs(void)
{
	if (g_stopping) {
		return;
	}
	g_stopping = true;
	g_stop_s = g_elapsed_s;
	for (uint32_t i = 0; i < g_job_count; i++) {
		bdevperf_job_stop(&g_jobs[i]);
	}
}

/*
 * Each second: progress until -t is up, then the stop. A job whose I/O
 * never completes never finishes (the run hangs); the timer goes on so
 * that a while after the stop such jobs are named once.
 */
static int bdevperf_tick(void *ctx)
{
	g_elapsed_s++;
	if (!g_stopping) {
		bdevperf_report_progress(g_opts.json_output ? NULL : stdout, g_jobs, g_job_count,
					 &g_progress, g_elapsed_s);
		if (g_elapsed_s == g_opts.seconds) {
			bdevperf_stop_jobs();
		}
	} else if (g_elapsed_s - g_stop_s == BDEVPERF_DRAIN_WARN_S) {
		bdevperf_report_waiting(stderr, g_jobs, g_job_count, BDEVPERF_DRAIN_WARN_S);
		usk_poller_unregister(&g_timer);
	}
	return USK_POLLER_BUSY;
}

void bdevperf_job_done(struct bdevperf_job *job)
{
	job->done = true;
	if (job->error != 0) {
		g_exit = 2;
		bdevperf_stop_jobs();
	}
	if (--g_jobs_running > 0) {
		return;
	}
	usk_poller_unregister(&g_timer);
	if (g_exit == 0) {
		bdevperf_report_final(stdout, &g_opts, g_jobs, g_job_count, &g_progress);
		for (uint32_t i = 0; i < g_job_count; i++) {
			if (atomic_load(&g_jobs[i].counts.failed) > 0) {
				g_exit = 1;
			}
		}
	}
	/* Every I/O must complete exactly once: a difference is a bug below us. */
	fflush(stdout);
	if (bdevperf_report_unbalanced(stderr, g_jobs, g_job_count) && g_exit == 0) {
		g_exit = 1;
	}
	usk_app_stop(g_exit);
}

/* Refuses a run whose jobs' buffers together exceed the machine's memory. */
static int bdevperf_check_memory(void)
{
	uint64_t per_job = (uint64_t)g_opts.queue_depth * ((g_opts.io_size + 4095) & ~4095u);
	uint64_t mib;

	if (perf_buffers_fit(per_job * g_job_count, &mib)) {
		return 0;
	}
	fprintf(stderr,
		"usk_bdevperf: -q %u of -o %u on %u job(s) need %" PRIu64
		" MiB of buffers; this machine has %" PRIu64 " MiB\n",
		g_opts.queue_depth, g_opts.io_size, g_job_count, (per_job >> 20) * g_job_count,
		mib);
	return -ENOMEM;
}

static void bdevperf_start(void *ctx)
{
	int rc = bdevperf_make_jobs();

	rc = rc == 0 ? bdevperf_check_memory() : rc;
	if (rc != 0) {
		usk_app_stop(2);
		return;
	}
	g_progress.seconds = calloc(g_opts.seconds, sizeof(*g_progress.seconds));
	if (g_progress.seconds == NULL) {
		fprintf(stderr, "usk_bdevperf: out of memory for %u seconds of progress\n",
			g_opts.seconds);
		usk_app_stop(2);
		return;
	}
	g_progress.capacity = g_opts.seconds;
	if (!g_opts.json_output) {
		printf("usk_bdevperf: %u job(s), -w %s -q %u -o %u -t %u\n", g_job_count,
		       g_opts.workload, g_opts.queue_depth, g_opts.io_size, g_opts.seconds);
	}
	g_timer = usk_poller_register(bdevperf_tick, NULL, 1000000, "bdevperf_timer");
	for (uint32_t i = 0; i < g_job_count; i++) {
		if (bdevperf_job_start(&g_jobs[i]) != 0) {
			fprintf(stderr, "usk_bdevperf: cannot start the job of bdev %s\n",
				g_jobs[i].bdev_name);
			g_exit = 2;
			usk_app_stop(2);
			return;
		}
		g_jobs_running++;
	}
}

int main(int argc, char **argv)
{
	struct usk_app_opts opts;
	int rc;

	usk_app_opts_init(&opts, sizeof(opts));
	opts.name = "usk_bdevperf";
	opts.rpc_addr = NULL;
	switch (usk_app_parse_args(argc, argv, &opts, "q:o:w:M:t:T:C", g_long, bdevperf_parse,
				   bdevperf_usage)) {
	case USK_APP_PARSE_OK:
		break;
	case USK_APP_PARSE_EXIT:
		return 0;
	default:
		return 2;
	}
	if (g_opts.latency_histogram && !g_opts.json_output) {
		fprintf(stderr, "usk_bdevperf: --latency-histogram needs --json-output, where the "
				"histogram goes\n");
		return 2;
	}
	if (g_opts.rwmixread != UINT32_MAX) {
		if (strcmp(g_opts.workload, "rw") != 0 && strcmp(g_opts.workload, "randrw") != 0) {
			fprintf(stderr, "usk_bdevperf: -M applies to -w rw and randrw only\n");
			return 2;
		}
		g_opts.read_percent = g_opts.rwmixread;
	}
	if (usk_bdev_subsystem_register() != 0) {
		return 1;
	}
	rc = usk_app_start(&opts, bdevperf_start, NULL);
	free(g_progress.seconds);
	if (rc < 0) {
		/* Start-up failed: a bad core mask or config, said above. */
		return 2;
	}
	return rc;
}
