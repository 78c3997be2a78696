/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme_perf: drives NVMe namespaces through USK's polled driver and
 * prints how fast they are. Exit status: 0 all I/O succeeded, 1 some
 * failed, 2 bad input.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_cores.h"
#include "perf_nvme.h"
#include "perf_opts.h"
#include "perf_report.h"
#include "perf_run.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/ticks.h"
#include "usk/util.h"

#define EXIT_BAD_INPUT 2

struct perf_app {
	struct perf_opts opts;
	uint32_t core_ids[PERF_MAX_CORES];
	int ncores;
	struct usk_nvme_ctrlr *ctrlrs[PERF_MAX_CTRLRS];
	int nctrlrs;
	struct perf_target targets[PERF_MAX_TARGETS];
	int ntargets;
	struct perf_core cores[PERF_MAX_CORES_LIVE];
};

/* Checks what only the devices can tell: sizes against block size and MDTS. */
static int perf_check_targets(const struct perf_app *app)
{
	const struct perf_opts *o = &app->opts;

	for (int t = 0; t < app->ntargets; t++) {
		uint32_t bs = usk_nvme_ns_get_block_size(app->targets[t].ns);

		if (o->io_size % bs != 0) {
			fprintf(stderr,
				"usk_nvme_perf: -o %u is not a multiple of the %u-byte block "
				"size of %s\n",
				o->io_size, bs, app->targets[t].name);
			return -EINVAL;
		}
		if (o->queue_depth >= 4096) {
			fprintf(stderr, "usk_nvme_perf: -q %u: at most 4095 per queue pair\n",
				o->queue_depth);
			return -EINVAL;
		}
		/* PRPs need dword-aligned data; below that only SGLs will do. */
		if (o->io_align < 4 && !usk_nvme_ctrlr_uses_sgls(app->targets[t].ctrlr)) {
			fprintf(stderr,
				"usk_nvme_perf: --io-align %u needs SGLs, which %s does not "
				"support; use --io-align 4 or more\n",
				o->io_align, usk_nvme_ctrlr_get_name(app->targets[t].ctrlr));
			return -EINVAL;
		}
	}
	return 0;
}

/* Refuses a run whose buffers, on every core and target, exceed the machine's memory. */
static int perf_check_memory(const struct perf_app *app)
{
	const struct perf_opts *o = &app->opts;
	uint64_t buffer = o->io_size + (o->io_align < 4096 ? o->io_align : 0); /* as allocated */
	uint64_t per_worker = (uint64_t)o->queue_depth * ((buffer + 4095) & ~4095ull);
	uint64_t need = per_worker * (uint64_t)app->ncores * (uint64_t)app->ntargets;
	uint64_t mib;

	if (perf_buffers_fit(need, &mib)) {
		return 0;
	}
	fprintf(stderr,
		"usk_nvme_perf: -q %u of -o %u on %d core(s) and %d namespace(s) need %llu MiB of "
		"buffers; this machine has %llu MiB\n",
		o->queue_depth, o->io_size, app->ncores, app->ntargets,
		(unsigned long long)(need >> 20), (unsigned long long)mib);
	return -ENOMEM;
}

/* The tasks and -q buffers of core @c's worker on target @t; says so when memory runs out. */
static int perf_alloc_buffers(const struct perf_opts *o, struct perf_core *c, uint32_t t,
			      const char *name)
{
	/* Below a page, --io-align places the buffer at exactly that alignment. */
	uint32_t offset = o->io_align < 4096 ? o->io_align : 0;
	uint32_t i = 0;

	c->tasks[t] = calloc(o->queue_depth, sizeof(struct perf_task));
	c->buffers[t] = calloc(o->queue_depth, sizeof(void *));
	for (; c->tasks[t] != NULL && c->buffers[t] != NULL && i < o->queue_depth; i++) {
		uint8_t *base =
			usk_dma_malloc(o->io_size + offset, USK_MAX(o->io_align, 4096u), -1);

		if (base == NULL) {
			break;
		}
		c->buffers[t][i] = base + offset;
	}
	if (i < o->queue_depth) {
		fprintf(stderr,
			"usk_nvme_perf: %s from core %u: no memory for -q %u buffers of -o %u; "
			"got %u\n",
			name, c->core, o->queue_depth, o->io_size, i);
		return -ENOMEM;
	}
	return 0;
}

/* Gives core @c a queue pair, buffers and a worker on every target. */
static int perf_core_setup(struct perf_app *app, uint32_t idx)
{
	struct perf_core *c = &app->cores[idx];
	const struct perf_opts *o = &app->opts;

	c->core = app->core_ids[idx];
	c->count = (uint32_t)app->ntargets;
	c->workers = calloc(c->count, sizeof(*c->workers));
	c->qpairs = calloc(c->count, sizeof(*c->qpairs));
	c->tasks = calloc(c->count, sizeof(*c->tasks));
	c->latency = calloc(c->count, sizeof(*c->latency));
	c->buffers = calloc(c->count, sizeof(*c->buffers));
	if (!c->workers || !c->qpairs || !c->tasks || !c->latency || !c->buffers) {
		return -ENOMEM;
	}
	for (uint32_t t = 0; t < c->count; t++) {
		struct perf_target *target = &app->targets[t];
		struct perf_ns_worker_params p = {
			.ops = &g_perf_nvme_ops,
			.qpair = &c->qpairs[t],
			.ns_blocks = usk_nvme_ns_get_num_blocks(target->ns),
			.block_size = usk_nvme_ns_get_block_size(target->ns),
			.worker_index = idx,
			.worker_count = (uint32_t)app->ncores,
			.seed = (uint64_t)c->core << 32 | t,
		};
		struct usk_nvme_io_qpair_opts qpair_opts;

		perf_nvme_qpair_opts(o, target->ctrlr, &qpair_opts);
		int rc = usk_nvme_ctrlr_alloc_io_qpair(target->ctrlr, &qpair_opts,
						       &c->qpairs[t].qpair);

		if (rc != 0) {
			fprintf(stderr, "usk_nvme_perf: no I/O queue pair on %s for core %u: %s\n",
				target->name, c->core, strerror(-rc));
			return rc;
		}
		c->qpairs[t].ns = target->ns;
		rc = perf_alloc_buffers(o, c, t, target->name);
		if (rc != 0) {
			return rc;
		}
		p.buffers = c->buffers[t];
		rc = perf_ns_worker_init(&c->workers[t], o, &p, c->tasks[t], &c->latency[t]);
		if (rc != 0) {
			fprintf(stderr, "usk_nvme_perf: %s is too small for this run\n",
				target->name);
			return rc;
		}
		if (o->rate != 0) {
			/* The rate is the run's: each of the workers takes its share. */
			uint64_t workers = (uint64_t)app->ncores * (uint64_t)app->ntargets;

			perf_ns_worker_set_pace(&c->workers[t],
						USK_MAX(usk_ticks_hz() * workers / o->rate, 1u));
		}
		snprintf(c->workers[t].result.device, sizeof(c->workers[t].result.device), "%s",
			 target->name);
		c->workers[t].result.core = c->core;
	}
	return 0;
}

static void perf_core_teardown(struct perf_app *app, struct perf_core *c)
{
	uint32_t offset = app->opts.io_align < 4096 ? app->opts.io_align : 0;

	for (uint32_t t = 0; t < c->count; t++) {
		if (c->qpairs != NULL && c->qpairs[t].qpair != NULL) {
			usk_nvme_ctrlr_free_io_qpair(c->qpairs[t].qpair);
		}
		for (uint32_t i = 0;
		     c->buffers != NULL && c->buffers[t] != NULL && i < app->opts.queue_depth;
		     i++) {
			if (c->buffers[t][i] != NULL) {
				usk_dma_free((uint8_t *)c->buffers[t][i] - offset);
			}
		}
		if (c->buffers != NULL) {
			free(c->buffers[t]);
		}
		if (c->tasks != NULL) {
			free(c->tasks[t]);
		}
	}
	free(c->workers);
	free(c->qpairs);
	free(c->tasks);
	free(c->latency);
	free(c->buffers);
}

static const char *perf_status_string(uint16_t status)
{
	if (status == PERF_STATUS_SUBMIT_FAILED) {
		return "Submission refused";
	}
	if (status == PERF_STATUS_MISCOMPARE) {
		return "Data miscompare (-V)";
	}
	return usk_nvme_status_string(status);
}

/* Prints the tables or JSON; returns whether any I/O failed. */
static bool perf_report(struct perf_app *app)
{
	uint32_t n = (uint32_t)(app->ncores * app->ntargets);
	struct perf_result *results = calloc(n, sizeof(*results));
	uint64_t hz = usk_ticks_hz();
	bool failed = false;
	struct perf_report_info info = {
		.workload = app->opts.workload,
		.queue_depth = app->opts.queue_depth,
		.io_size = app->opts.io_size,
		.read_percent = app->opts.read_percent,
		.seconds = app->opts.seconds,
		.latency_level = app->opts.latency_level,
		.ticks_hz = hz,
		.status_string = perf_status_string,
	};

	for (int i = 0, r = 0; results != NULL && i < app->ncores; i++) {
		for (int t = 0; t < app->ntargets; t++, r++) {
			struct perf_ns_worker *w = &app->cores[i].workers[t];

			results[r] = w->result;
			results[r].seconds = (double)app->cores[i].measured_ticks / (double)hz;
			/* The core's thread served its namespaces together: each takes a share. */
			results[r].cpu_seconds =
				(double)app->cores[i].cpu_ns / 1e9 / (double)app->ntargets;
			results[r].sleeps = app->cores[i].sleeps / (uint64_t)app->ntargets;
			failed |= w->result.errors > 0;
			if (w->mismatched) {
				fprintf(stderr,
					"usk_nvme_perf: %s: first miscompare at LBA %llu, "
					"byte %u of the block\n",
					w->result.device, (unsigned long long)w->first_mismatch.lba,
					w->first_mismatch.offset);
			}
		}
	}
	if (results == NULL) {
		return true;
	}
	if (app->opts.json) {
		perf_report_print_json(stdout, &info, results, n);
	} else {
		perf_report_print(stdout, &info, results, n);
	}
	free(results);
	return failed;
}

/* --transport-stats: each queue pair's counters, after the workers were joined. */
static void perf_print_transport_stats(const struct perf_app *app, FILE *out)
{
	for (int i = 0; app->opts.transport_stats && i < app->ncores; i++) {
		const struct perf_core *c = &app->cores[i];

		for (uint32_t t = 0; t < c->count; t++) {
			char name[96];

			snprintf(name, sizeof(name), "%s from core %u", app->targets[t].name,
				 c->core);
			perf_nvme_print_stats(out, name, &c->qpairs[t]);
		}
	}
}

static int perf_parse_cores(struct perf_app *app)
{
	char err[128];

	if (app->opts.core_mask == NULL) {
		app->core_ids[0] = (uint32_t)USK_MAX(sched_getcpu(), 0);
		app->ncores = 1;
		return 0;
	}
	app->ncores = perf_cores_parse(app->opts.core_mask, app->core_ids, PERF_MAX_CORES_LIVE, err,
				       sizeof(err));
	if (app->ncores < 0) {
		fprintf(stderr,
			"usk_nvme_perf: -c %s: %s (expected a core mask such as 0x3 or a list "
			"such as [0,1], at most %d cores this process may run on)\n",
			app->opts.core_mask, err, PERF_MAX_CORES_LIVE);
		return -EINVAL;
	}
	return 0;
}

static int perf_main(struct perf_app *app)
{
	struct usk_env_opts env_opts;
	struct perf_run run = {.opts = &app->opts, .cores = app->cores, .ctrlrs = app->ctrlrs};
	int rc;

	usk_env_opts_init(&env_opts, sizeof(env_opts));
	env_opts.mem_limit_mb = app->opts.dma_mem_mb;
	if (usk_env_init(&env_opts) != 0) {
		return EXIT_BAD_INPUT;
	}
	app->ntargets =
		perf_nvme_attach(&app->opts, app->ctrlrs, &app->nctrlrs, app->targets, stderr);
	rc = app->ntargets > 0 && perf_check_targets(app) == 0 && perf_check_memory(app) == 0
		     ? 0
		     : EXIT_BAD_INPUT;
	for (int i = 0; rc == 0 && i < app->ncores; i++) {
		rc = perf_core_setup(app, (uint32_t)i) == 0 ? 0 : EXIT_BAD_INPUT;
	}
	if (rc == 0) {
		run.ncores = (uint32_t)app->ncores;
		run.nctrlrs = app->nctrlrs;
		run.live = app->opts.json ? stderr : stdout;
		fprintf(run.live,
			"usk_nvme_perf: %s, %u-byte I/Os, queue depth %u, %d namespace(s) "
			"on %d core(s), %u s\n",
			app->opts.workload, app->opts.io_size, app->opts.queue_depth, app->ntargets,
			app->ncores, app->opts.seconds);
		int run_rc = perf_run_execute(&run);

		if (run_rc != 0) {
			fprintf(stderr, "usk_nvme_perf: the run did not finish cleanly: %s\n",
				strerror(-run_rc));
		}
		rc = perf_report(app) || run_rc != 0 ? 1 : 0;
		perf_print_transport_stats(app, run.live);
	}
	for (int i = 0; i < app->ncores; i++) {
		perf_core_teardown(app, &app->cores[i]);
	}
	perf_nvme_detach(app->ctrlrs, app->nctrlrs);
	usk_env_fini();
	return rc;
}

int main(int argc, char **argv)
{
	static struct perf_app app;

	if (perf_opts_parse(&app.opts, argc, argv, stderr) != 0) {
		return EXIT_BAD_INPUT;
	}
	if (app.opts.help) {
		perf_opts_usage(stdout);
		return 0;
	}
	if (perf_parse_cores(&app) != 0) {
		return EXIT_BAD_INPUT;
	}
	return perf_main(&app);
}
