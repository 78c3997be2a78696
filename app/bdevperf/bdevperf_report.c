/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_bdevperf's progress line, final table and JSON, and what it says of failed and lost I/O. */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "usk/nvme.h"
#include "usk/nvme_spec.h"
#include "usk/ticks.h"
#include "bdevperf.h"

static const char *const g_io_type_names[USK_BDEV_IO_TYPE_COUNT] = {
	[USK_BDEV_IO_TYPE_READ] = "read",
	[USK_BDEV_IO_TYPE_WRITE] = "write",
	[USK_BDEV_IO_TYPE_WRITE_ZEROES] = "write_zeroes",
	[USK_BDEV_IO_TYPE_UNMAP] = "unmap",
	[USK_BDEV_IO_TYPE_FLUSH] = "flush",
	[USK_BDEV_IO_TYPE_RESET] = "reset",
	[USK_BDEV_IO_TYPE_COMPARE] = "compare",
};

static double ticks_to_us(uint64_t ticks)
{
	return (double)usk_ticks_to_ns(ticks) / 1000.0;
}

void bdevperf_report_progress(FILE *out, struct bdevperf_job *jobs, uint32_t count,
			      struct bdevperf_progress *last, double seconds)
{
	uint64_t ios = 0, bytes = 0, failed = 0;
	double iops, mibps;

	for (uint32_t i = 0; i < count; i++) {
		ios += atomic_load_explicit(&jobs[i].counts.ios, memory_order_relaxed);
		bytes += atomic_load_explicit(&jobs[i].counts.bytes, memory_order_relaxed);
		failed += atomic_load_explicit(&jobs[i].counts.failed, memory_order_relaxed);
	}
	iops = (double)(ios - last->ios);
	mibps = (double)(bytes - last->bytes) / (1 << 20);

	if (last->count < last->capacity) {
		last->seconds[last->count++] =
			(struct bdevperf_second){.iops = iops, .mibps = mibps};
	}
	if (out != NULL) {
		fprintf(out, "[%5.0f s] %12.0f IOPS %10.2f MiB/s %8" PRIu64 " failed\n", seconds,
			iops, mibps, failed);
		fflush(out);
	}
	last->ios = ios;
	last->bytes = bytes;
}

static const char *status_string(uint16_t status)
{
	if (status == PERF_STATUS_SUBMIT_FAILED) {
		return "Submission refused";
	}
	if (status == PERF_STATUS_MISCOMPARE) {
		return "Data miscompare (verify)";
	}
	return usk_nvme_status_string(status);
}

/*
 * Whether @status is the layer's stand-in for a failure without an NVMe
 * status: what every module but nvme completes a failed I/O with.
 */
static bool job_generic_failure(const struct bdevperf_job *job, uint16_t status)
{
	return status == (USK_NVME_SCT_GENERIC << 8 | USK_NVME_SC_INTERNAL_ERROR) &&
	       strcmp(job->module, "nvme") != 0;
}

void bdevperf_failures_add(struct bdevperf_failures *f, enum usk_bdev_io_type type, uint64_t block,
			   uint16_t status, int err)
{
	if (f->count++ == 0) {
		f->first_type = type;
		f->first_block = block;
		f->first_status = status;
		f->first_errno = err;
	}
	perf_error_kinds_count(f->kinds, status);
}

void bdevperf_describe_first_failure(const struct bdevperf_job *job, char *buf, size_t len)
{
	const struct bdevperf_failures *f = &job->failures;
	uint16_t status = f->first_status;
	int n;

	if (f->first_type == USK_BDEV_IO_TYPE_RESET) {
		n = snprintf(buf, len, "reset: ");
	} else {
		n = snprintf(buf, len, "%s of block %" PRIu64 ": ", g_io_type_names[f->first_type],
			     f->first_block);
	}
	if (n < 0 || (size_t)n >= len) {
		return;
	}
	if (status == PERF_STATUS_SUBMIT_FAILED) {
		snprintf(buf + n, len - n, "submit refused: %s", strerror(f->first_errno));
	} else if (status == PERF_STATUS_MISCOMPARE) {
		snprintf(buf + n, len - n,
			 "data miscompare at byte %u (expected 0x%016" PRIx64 ", read 0x%016" PRIx64
			 ")",
			 job->mismatch.offset, job->mismatch.expected, job->mismatch.found);
	} else if (job_generic_failure(job, status)) {
		snprintf(buf + n, len - n,
			 "generic failure of bdev module %s (no NVMe status; reported as sct 0x0 "
			 "sc 0x6, %s)",
			 job->module, usk_nvme_status_string(status));
	} else {
		snprintf(buf + n, len - n, "NVMe status sct 0x%x sc 0x%x (%s)", status >> 8,
			 status & 0xff, usk_nvme_status_string(status));
	}
}

void bdevperf_report_failures(FILE *out, const struct bdevperf_job *job)
{
	char first[256];

	if (job->failures.count == 0) {
		return;
	}
	bdevperf_describe_first_failure(job, first, sizeof(first));
	fprintf(out, "usk_bdevperf: %s (core %d): %" PRIu64 " I/O failed; first: %s\n",
		job->bdev_name, job->core, job->failures.count, first);
	perf_error_kinds_print(out, job->failures.kinds, status_string);
}

bool bdevperf_report_unbalanced(FILE *out, const struct bdevperf_job *jobs, uint32_t count)
{
	bool any = false;

	for (uint32_t i = 0; i < count; i++) {
		uint64_t submitted = atomic_load(&jobs[i].counts.submitted);
		uint64_t completed = atomic_load(&jobs[i].counts.completed);

		if (submitted != completed) {
			fprintf(out,
				"usk_bdevperf: %s (core %d): %" PRIu64 " I/O submitted but %" PRIu64
				" completed: an I/O completed %s (a bug below usk_bdevperf)\n",
				jobs[i].bdev_name, jobs[i].core, submitted, completed,
				completed > submitted ? "more than once" : "never");
			any = true;
		}
	}
	return any;
}

void bdevperf_report_waiting(FILE *out, const struct bdevperf_job *jobs, uint32_t count,
			     uint32_t seconds)
{
	for (uint32_t i = 0; i < count; i++) {
		/* Completed first: read so, submitted is never behind it. */
		uint64_t completed = atomic_load(&jobs[i].counts.completed);
		uint64_t submitted = atomic_load(&jobs[i].counts.submitted);

		if (jobs[i].done) {
			continue;
		}
		if (submitted > completed) {
			fprintf(out,
				"usk_bdevperf: %s (core %d): %u s after the stop, still waiting "
				"for %" PRIu64 " I/O (%" PRIu64 " submitted, %" PRIu64
				" completed)\n",
				jobs[i].bdev_name, jobs[i].core, seconds, submitted - completed,
				submitted, completed);
		} else {
			fprintf(out,
				"usk_bdevperf: %s (core %d): %u s after the stop, not finished, "
				"though every I/O it submitted completed (%" PRIu64 ")\n",
				jobs[i].bdev_name, jobs[i].core, seconds, completed);
		}
	}
}

struct job_figures {
	double seconds, iops, mibps, avg_us, min_us, max_us;
	uint64_t ios, failed, submitted, completed;
};

static void job_figures(const struct bdevperf_job *job, struct job_figures *f)
{
	const struct bdevperf_counts *c = &job->counts;

	f->ios = atomic_load(&c->ios);
	f->failed = atomic_load(&c->failed);
	f->submitted = atomic_load(&c->submitted);
	f->completed = atomic_load(&c->completed);
	f->seconds = (double)usk_ticks_to_ns(job->end_tick - job->start_tick) / 1e9;
	f->iops = f->seconds > 0 ? (double)f->ios / f->seconds : 0;
	f->mibps = f->seconds > 0 ? (double)atomic_load(&c->bytes) / f->seconds / (1 << 20) : 0;
	f->avg_us = f->ios ? ticks_to_us(c->latency_sum) / (double)f->ios : 0;
	f->min_us = f->ios ? ticks_to_us(c->latency_min) : 0;
	f->max_us = f->ios ? ticks_to_us(c->latency_max) : 0;
}

/* @s as a JSON string: a bdev's name may hold quotes and backslashes. */
static void report_json_string(FILE *out, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL || json_dumpf(v, out, JSON_ENCODE_ANY) != 0) {
		fprintf(out, "null");
	}
	json_decref(v);
}

/* A job's "first_error" (null without failures) and "error_statuses", as its text lines. */
static void report_json_failures(FILE *out, const struct bdevperf_job *job)
{
	const struct bdevperf_failures *f = &job->failures;
	char first[256];

	if (f->count == 0) {
		fprintf(out, ", \"first_error\": null, \"error_statuses\": []");
		return;
	}
	bdevperf_describe_first_failure(job, first, sizeof(first));
	fprintf(out,
		", \"first_error\": {\"op\": \"%s\", \"block\": ", g_io_type_names[f->first_type]);
	if (f->first_type == USK_BDEV_IO_TYPE_RESET) {
		fprintf(out, "null");
	} else {
		fprintf(out, "%" PRIu64, f->first_block);
	}
	fprintf(out,
		", \"sct\": %u, \"sc\": %u, \"status\": \"%s\", \"generic\": %s, \"errno\": %d, "
		"\"description\": \"%s\"}, \"error_statuses\": [",
		f->first_status >> 8, f->first_status & 0xffu, status_string(f->first_status),
		job_generic_failure(job, f->first_status) ? "true" : "false",
		f->first_status == PERF_STATUS_SUBMIT_FAILED ? f->first_errno : 0, first);
	for (int k = 0; k < PERF_MAX_ERROR_KINDS && f->kinds[k].count > 0; k++) {
		uint16_t status = f->kinds[k].status;

		fprintf(out,
			"%s{\"sct\": %u, \"sc\": %u, \"status\": \"%s\", \"count\": %" PRIu64 "}",
			k ? ", " : "", status >> 8, status & 0xffu, status_string(status),
			f->kinds[k].count);
	}
	fprintf(out, "]");
}

/*
 * A job's ", \"latency_us\": {...}" with percentiles and buckets (null when
 * out of memory), with --latency-histogram; nothing without.
 */
static void report_json_latency(FILE *out, const struct bdevperf_job *job)
{
	int rc = 0;
	json_t *lat;

	if (!job->opts->latency_histogram) {
		return;
	}
	lat = perf_latency_json(&job->latency, usk_ticks_hz(), 2, &rc);
	fprintf(out, ", \"latency_us\": ");
	if (rc != 0) {
		fprintf(out, "null");
	} else {
		json_dumpf(lat, out, JSON_COMPACT | JSON_REAL_PRECISION(10));
	}
	json_decref(lat);
}

/* ", \"progress\": [...]": each second's IOPS and MiB/s, every job together. */
static void report_json_progress(FILE *out, const struct bdevperf_progress *progress)
{
	fprintf(out, ", \"progress\": [");
	for (uint32_t i = 0; progress != NULL && i < progress->count; i++) {
		fprintf(out, "%s{\"second\": %u, \"iops\": %.1f, \"mibps\": %.2f}", i ? ", " : "",
			i + 1, progress->seconds[i].iops, progress->seconds[i].mibps);
	}
	fprintf(out, "]");
}

static void report_json(FILE *out, const struct bdevperf_opts *opts,
			const struct bdevperf_job *jobs, uint32_t count,
			const struct bdevperf_progress *progress)
{
	struct job_figures f, total = {0};

	fprintf(out, "{\"workload\": \"%s\", \"queue_depth\": %u, \"io_size\": %u, \"jobs\": [",
		opts->workload, opts->queue_depth, opts->io_size);
	for (uint32_t i = 0; i < count; i++) {
		job_figures(&jobs[i], &f);
		fprintf(out, "%s{\"bdev\": ", i ? ", " : "");
		report_json_string(out, jobs[i].bdev_name);
		fprintf(out,
			", \"core\": %d, \"runtime_s\": %.3f, \"ios\": %" PRIu64
			", \"iops\": %.1f, \"mibps\": %.2f, \"avg_lat_us\": %.2f, \"min_lat_us\": "
			"%.2f, \"max_lat_us\": %.2f, \"submitted\": %" PRIu64
			", \"completed\": %" PRIu64 ", \"failed\": %" PRIu64,
			jobs[i].core, f.seconds, f.ios, f.iops, f.mibps, f.avg_us, f.min_us,
			f.max_us, f.submitted, f.completed, f.failed);
		report_json_failures(out, &jobs[i]);
		report_json_latency(out, &jobs[i]);
		fprintf(out, "}");
		total.iops += f.iops;
		total.mibps += f.mibps;
		total.ios += f.ios;
		total.submitted += f.submitted;
		total.completed += f.completed;
		total.failed += f.failed;
	}
	fprintf(out, "]");
	report_json_progress(out, progress);
	fprintf(out,
		", \"total\": {\"ios\": %" PRIu64 ", \"iops\": %.1f, \"mibps\": %.2f, "
		"\"submitted\": %" PRIu64 ", \"completed\": %" PRIu64 ", \"failed\": %" PRIu64
		"}}\n",
		total.ios, total.iops, total.mibps, total.submitted, total.completed, total.failed);
}

void bdevperf_report_final(FILE *out, const struct bdevperf_opts *opts,
			   const struct bdevperf_job *jobs, uint32_t count,
			   const struct bdevperf_progress *progress)
{
	struct job_figures f, total = {0};
	double lat_weighted = 0;

	if (opts->json_output) {
		report_json(out, opts, jobs, count, progress);
		return;
	}
	fprintf(out, "\n%-20s %4s %12s %10s %10s %10s %10s %12s %12s %8s\n", "bdev", "core", "IOPS",
		"MiB/s", "avg us", "min us", "max us", "submitted", "completed", "failed");
	for (uint32_t i = 0; i < count; i++) {
		job_figures(&jobs[i], &f);
		fprintf(out,
			"%-20s %4d %12.1f %10.2f %10.2f %10.2f %10.2f %12" PRIu64 " %12" PRIu64
			" %8" PRIu64 "\n",
			jobs[i].bdev_name, jobs[i].core, f.iops, f.mibps, f.avg_us, f.min_us,
			f.max_us, f.submitted, f.completed, f.failed);
		total.iops += f.iops;
		total.mibps += f.mibps;
		total.submitted += f.submitted;
		total.completed += f.completed;
		total.failed += f.failed;
		lat_weighted += f.avg_us * f.iops;
		/* A job that completed no I/O has no latency, not one of 0. */
		if (f.ios > 0) {
			total.min_us =
				total.ios == 0 || f.min_us < total.min_us ? f.min_us : total.min_us;
		}
		total.ios += f.ios;
		total.max_us = f.max_us > total.max_us ? f.max_us : total.max_us;
	}
	fprintf(out,
		"%-20s %4s %12.1f %10.2f %10.2f %10.2f %10.2f %12" PRIu64 " %12" PRIu64 " %8" PRIu64
		"\n",
		"Total", "", total.iops, total.mibps,
		total.iops > 0 ? lat_weighted / total.iops : 0, total.min_us, total.max_us,
		total.submitted, total.completed, total.failed);
	for (uint32_t i = 0; i < count; i++) {
		bdevperf_report_failures(out, &jobs[i]);
	}
}
