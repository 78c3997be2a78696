/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_bdevperf's progress line, final table and JSON. */
#include "config.h"

#include <inttypes.h>

#include "usk/ticks.h"
#include "bdevperf.h"

static double ticks_to_us(uint64_t ticks)
{
	return (double)usk_ticks_to_ns(ticks) / 1000.0;
}

void bdevperf_report_progress(FILE *out, struct bdevperf_job *jobs, uint32_t count,
			      struct bdevperf_progress *last, double seconds)
{
	uint64_t ios = 0, bytes = 0, failed = 0;

	for (uint32_t i = 0; i < count; i++) {
		ios += atomic_load_explicit(&jobs[i].counts.ios, memory_order_relaxed);
		bytes += atomic_load_explicit(&jobs[i].counts.bytes, memory_order_relaxed);
		failed += atomic_load_explicit(&jobs[i].counts.failed, memory_order_relaxed);
	}
	fprintf(out, "[%5.0f s] %12.0f IOPS %10.2f MiB/s %8" PRIu64 " failed\n", seconds,
		(double)(ios - last->ios), (double)(bytes - last->bytes) / (1 << 20), failed);
	fflush(out);
	last->ios = ios;
	last->bytes = bytes;
}

struct job_figures {
	double seconds, iops, mibps, avg_us, min_us, max_us;
	uint64_t ios, failed;
};

static void job_figures(const struct bdevperf_job *job, struct job_figures *f)
{
	const struct bdevperf_counts *c = &job->counts;

	f->ios = atomic_load(&c->ios);
	f->failed = atomic_load(&c->failed);
	f->seconds = (double)usk_ticks_to_ns(job->end_tick - job->start_tick) / 1e9;
	f->iops = f->seconds > 0 ? (double)f->ios / f->seconds : 0;
	f->mibps = f->seconds > 0 ? (double)atomic_load(&c->bytes) / f->seconds / (1 << 20) : 0;
	f->avg_us = f->ios ? ticks_to_us(c->latency_sum) / (double)f->ios : 0;
	f->min_us = f->ios ? ticks_to_us(c->latency_min) : 0;
	f->max_us = f->ios ? ticks_to_us(c->latency_max) : 0;
}

static void report_json(FILE *out, const struct bdevperf_opts *opts,
			const struct bdevperf_job *jobs, uint32_t count)
{
	struct job_figures f, total = {0};

	fprintf(out, "{\"workload\": \"%s\", \"queue_depth\": %u, \"io_size\": %u, \"jobs\": [",
		opts->workload, opts->queue_depth, opts->io_size);
	for (uint32_t i = 0; i < count; i++) {
		job_figures(&jobs[i], &f);
		fprintf(out,
			"%s{\"bdev\": \"%s\", \"core\": %d, \"runtime_s\": %.3f, \"ios\": %" PRIu64
			", \"iops\": %.1f, \"mibps\": %.2f, \"avg_lat_us\": %.2f, \"min_lat_us\": "
			"%.2f, \"max_lat_us\": %.2f, \"failed\": %" PRIu64 "}",
			i ? ", " : "", jobs[i].bdev_name, jobs[i].core, f.seconds, f.ios, f.iops,
			f.mibps, f.avg_us, f.min_us, f.max_us, f.failed);
		total.iops += f.iops;
		total.mibps += f.mibps;
		total.ios += f.ios;
		total.failed += f.failed;
	}
	fprintf(out,
		"], \"total\": {\"ios\": %" PRIu64 ", \"iops\": %.1f, \"mibps\": %.2f, \"failed\": "
		"%" PRIu64 "}}\n",
		total.ios, total.iops, total.mibps, total.failed);
}

void bdevperf_report_final(FILE *out, const struct bdevperf_opts *opts,
			   const struct bdevperf_job *jobs, uint32_t count)
{
	struct job_figures f, total = {0};
	double lat_weighted = 0;

	if (opts->json_output) {
		report_json(out, opts, jobs, count);
		return;
	}
	fprintf(out, "\n%-20s %4s %12s %10s %10s %10s %10s %8s\n", "bdev", "core", "IOPS", "MiB/s",
		"avg us", "min us", "max us", "failed");
	for (uint32_t i = 0; i < count; i++) {
		job_figures(&jobs[i], &f);
		fprintf(out, "%-20s %4d %12.1f %10.2f %10.2f %10.2f %10.2f %8" PRIu64 "\n",
			jobs[i].bdev_name, jobs[i].core, f.iops, f.mibps, f.avg_us, f.min_us,
			f.max_us, f.failed);
		total.iops += f.iops;
		total.mibps += f.mibps;
		total.failed += f.failed;
		lat_weighted += f.avg_us * f.iops;
		total.min_us = i == 0 || f.min_us < total.min_us ? f.min_us : total.min_us;
		total.max_us = f.max_us > total.max_us ? f.max_us : total.max_us;
	}
	fprintf(out, "%-20s %4s %12.1f %10.2f %10.2f %10.2f %10.2f %8" PRIu64 "\n", "Total", "",
		total.iops, total.mibps, total.iops > 0 ? lat_weighted / total.iops : 0,
		total.min_us, total.max_us, total.failed);
}
