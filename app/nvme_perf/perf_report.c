/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <inttypes.h>

#include "perf_report.h"
#include "usk/util.h"

/* The percentiles -L prints, as spdk_nvme_perf does. */
const double g_perf_percentiles[PERF_PERCENTILE_COUNT] = {
	1, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 99.99, 99.999,
};

#define RULE                                                                       \
	"========================================================================" \
	"===================================="

void perf_result_count_error(struct perf_result *result, uint16_t status)
{
	result->errors++;
	perf_error_kinds_count(result->error_kinds, status);
}

void perf_error_kinds_count(struct perf_error_count *kinds, uint16_t status)
{
	for (int i = 0; i < PERF_MAX_ERROR_KINDS; i++) {
		struct perf_error_count *kind = &kinds[i];

		if (kind->count == 0) {
			kind->status = status;
		}
		if (kind->status == status) {
			kind->count++;
			return;
		}
	}
	/* More kinds than slots: the caller's total still counts it. */
}

double perf_ticks_to_us(uint64_t ticks, uint64_t hz)
{
	return (double)ticks * 1e6 / (double)hz;
}

double perf_result_iops(const struct perf_result *r)
{
	return r->seconds > 0 ? (double)r->ios / r->seconds : 0.0;
}

double perf_result_avg_us(const struct perf_result *r, uint64_t hz)
{
	uint64_t n = usk_histogram_count(r->latency);

	return n > 0 ? perf_ticks_to_us(r->latency->sum, hz) / (double)n : 0.0;
}

double perf_result_mib_per_s(const struct perf_result *r)
{
	return r->seconds > 0 ? (double)r->bytes / r->seconds / (1024.0 * 1024.0) : 0.0;
}

void perf_report_totals(const struct perf_result *results, size_t count, uint64_t ticks_hz,
			struct perf_totals *totals)
{
	double weighted_us = 0.0;
	double cpu_seconds = 0.0;
	double seconds = 0.0;
	uint64_t min_ticks = UINT64_MAX;
	uint64_t max_ticks = 0;

	*totals = (struct perf_totals){0};
	for (size_t i = 0; i < count; i++) {
		const struct perf_result *r = &results[i];
		uint64_t n = usk_histogram_count(r->latency);

		totals->iops += perf_result_iops(r);
		totals->mib_per_s += perf_result_mib_per_s(r);
		totals->ios += r->ios;
		totals->errors += r->errors;
		totals->sleeps += r->sleeps;
		cpu_seconds += r->cpu_seconds;
		seconds = USK_MAX(seconds, r->seconds);
		if (n == 0) {
			continue;
		}
		weighted_us += perf_ticks_to_us(r->latency->sum, ticks_hz);
		min_ticks = USK_MIN(min_ticks, usk_histogram_min(r->latency));
		max_ticks = USK_MAX(max_ticks, usk_histogram_max(r->latency));
		totals->avg_us += (double)n; /* the weight, divided out below */
	}
	if (totals->ios > 0) {
		totals->cpu_us_per_io = cpu_seconds * 1e6 / (double)totals->ios;
	}
	if (seconds > 0) {
		totals->cpu_percent = cpu_seconds * 100.0 / seconds;
	}
	if (totals->avg_us > 0) {
		totals->avg_us = weighted_us / totals->avg_us;
		totals->min_us = perf_ticks_to_us(min_ticks, ticks_hz);
		totals->max_us = perf_ticks_to_us(max_ticks, ticks_hz);
	}
}

static void print_row(FILE *out, const char *label, double iops, double mib, double avg, double min,
		      double max)
{
	fprintf(out, "%-52s: %12.2f %10.2f %10.2f %10.2f %10.2f\n", label, iops, mib, avg, min,
		max);
}

static void print_percentiles(FILE *out, const struct perf_report_info *info,
			      const struct perf_result *r)
{
	fprintf(out, "\nSummary latency data for %s from core %u:\n%s\n", r->device, r->core, RULE);
	for (size_t i = 0; i < PERF_PERCENTILE_COUNT; i++) {
		uint64_t t = usk_histogram_percentile(r->latency, g_perf_percentiles[i]);

		fprintf(out, "%10.5f%% : %12.3fus\n", g_perf_percentiles[i],
			perf_ticks_to_us(t, info->ticks_hz));
	}
}

struct histogram_print_ctx {
	FILE *out;
	uint64_t hz;
};

static void print_bucket(void *ctx, uint64_t start, uint64_t end, uint64_t count,
			 uint64_t cumulative, uint64_t total)
{
	struct histogram_print_ctx *p = ctx;

	fprintf(p->out, "%12.3f - %12.3f: %9.4f%%  (%9" PRIu64 ")\n",
		perf_ticks_to_us(start, p->hz), perf_ticks_to_us(end, p->hz),
		100.0 * (double)cumulative / (double)total, count);
}

static void print_histogram(FILE *out, const struct perf_report_info *info,
			    const struct perf_result *r)
{
	struct histogram_print_ctx ctx = {.out = out, .hz = info->ticks_hz};

	fprintf(out, "\nLatency histogram for %s from core %u:\n%s\n", r->device, r->core, RULE);
	fprintf(out, "       Range in us     Cumulative    IO count\n");
	usk_histogram_iterate(r->latency, print_bucket, &ctx);
}

void perf_error_kinds_print(FILE *out, const struct perf_error_count *kinds,
			    const char *(*status_string)(uint16_t status))
{
	for (int k = 0; k < PERF_MAX_ERROR_KINDS && kinds[k].count > 0; k++) {
		uint16_t status = kinds[k].status;

		fprintf(out, "  %10" PRIu64 " x %s (sct 0x%x, sc 0x%02x)\n", kinds[k].count,
			status_string(status), status >> 8, status & 0xff);
	}
}

static void print_errors(FILE *out, const struct perf_report_info *info,
			 const struct perf_result *r)
{
	fprintf(out, "Errors on %s from core %u: %" PRIu64 " I/Os failed\n", r->device, r->core,
		r->errors);
	perf_error_kinds_print(out, r->error_kinds, info->status_string);
}

void perf_report_print(FILE *out, const struct perf_report_info *info,
		       const struct perf_result *results, size_t count)
{
	struct perf_totals totals;
	char label[96];

	fprintf(out, "%s\n%-52s  %12s %10s %32s\n", RULE, "", "", "", "Latency(us)");
	fprintf(out, "%-52s: %12s %10s %10s %10s %10s\n", "Device Information", "IOPS", "MiB/s",
		"Average", "min", "max");
	for (size_t i = 0; i < count; i++) {
		const struct perf_result *r = &results[i];

		snprintf(label, sizeof(label), "%s from core %2u", r->device, r->core);
		print_row(out, label, perf_result_iops(r), perf_result_mib_per_s(r),
			  perf_result_avg_us(r, info->ticks_hz),
			  perf_ticks_to_us(usk_histogram_min(r->latency), info->ticks_hz),
			  perf_ticks_to_us(usk_histogram_max(r->latency), info->ticks_hz));
	}
	perf_report_totals(results, count, info->ticks_hz, &totals);
	fprintf(out, "%s\n", RULE);
	print_row(out, "Total", totals.iops, totals.mib_per_s, totals.avg_us, totals.min_us,
		  totals.max_us);
	fprintf(out, "CPU: %.2f us per I/O, %.1f%% of a core; %llu sleeps\n", totals.cpu_us_per_io,
		totals.cpu_percent, (unsigned long long)totals.sleeps);
	for (size_t i = 0; i < count; i++) {
		if (results[i].errors > 0) {
			print_errors(out, info, &results[i]);
		}
		if (info->latency_level >= 1) {
			print_percentiles(out, info, &results[i]);
		}
		if (info->latency_level >= 2) {
			print_histogram(out, info, &results[i]);
		}
	}
}
