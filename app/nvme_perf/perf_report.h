/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme_perf's results: the table per namespace and core with a total
 * row, latency percentiles, the full histogram, and the same as JSON.
 */
#ifndef USK_PERF_REPORT_H
#define USK_PERF_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "usk/histogram.h"

#define PERF_MAX_ERROR_KINDS 8

/* The latency percentiles that -L reports, in increasing order. */
#define PERF_PERCENTILE_COUNT 13
extern const double g_perf_percentiles[PERF_PERCENTILE_COUNT];

/* How many I/Os failed with one NVMe status (SCT << 8 | SC). */
struct perf_error_count {
	uint16_t status;
	uint64_t count;
};

/* Status counted for an I/O that was refused at submit (no NVMe status). */
#define PERF_STATUS_SUBMIT_FAILED 0xffff
/* Status counted for a read whose data did not match under -V. */
#define PERF_STATUS_MISCOMPARE 0xfffe

/* The figures of one worker on one namespace. */
struct perf_result {
	char device[64]; /* e.g. "PCIE (0000:00:03.0) NSID 1" */
	uint32_t core;
	uint64_t ios; /* completed, successful or not */
	uint64_t bytes;
	uint64_t errors;
	double seconds;	    /* measured time */
	double cpu_seconds; /* CPU time of its worker thread while measured, its share of it */
	uint64_t sleeps;    /* sleeps (--interrupts, --adaptive), its share */
	const struct usk_histogram *latency; /* in ticks */
	struct perf_error_count error_kinds[PERF_MAX_ERROR_KINDS];
};

/* What the report says about the run, beside the results. */
struct perf_report_info {
	const char *workload;
	uint32_t queue_depth;
	uint32_t io_size;
	uint32_t read_percent;
	uint32_t seconds;
	uint32_t latency_level; /* 0 none, 1 percentiles, 2 percentiles and histogram */
	uint64_t ticks_hz;
	/* Turns an NVMe status into text for the error lines. */
	const char *(*status_string)(uint16_t status);
};

/* Summed figures over results (the total row). */
struct perf_totals {
	double iops;
	double mib_per_s;
	double avg_us;
	double min_us;
	double max_us;
	uint64_t ios;
	uint64_t errors;
	double cpu_us_per_io; /* CPU time per completed I/O, 0 without I/O */
	double cpu_percent;   /* CPU time over the measured time, in % of one core */
	uint64_t sleeps;
};

/* Figures of one result: I/Os per second, MiB per second, mean latency. */
double perf_result_iops(const struct perf_result *result);
double perf_result_mib_per_s(const struct perf_result *result);
double perf_result_avg_us(const struct perf_result *result, uint64_t ticks_hz);

/* @ticks in microseconds at @ticks_hz. */
double perf_ticks_to_us(uint64_t ticks, uint64_t ticks_hz);

/* Counts one failed I/O with NVMe status @status in @result. */
void perf_result_count_error(struct perf_result *result, uint16_t status);

/*
 * Counts one failure of @status in @kinds (PERF_MAX_ERROR_KINDS slots, in
 * the order the statuses were first seen); a status that finds no free
 * slot is not counted there, so callers keep their own total.
 */
void perf_error_kinds_count(struct perf_error_count *kinds, uint16_t status);

/* Prints a line per status of @kinds: count, @status_string's text, SCT and SC. */
void perf_error_kinds_print(FILE *out, const struct perf_error_count *kinds,
			    const char *(*status_string)(uint16_t status));

/* Adds up @results into @totals (latencies weighted by I/O count). */
void perf_report_totals(const struct perf_result *results, size_t count, uint64_t ticks_hz,
			struct perf_totals *totals);

/* Prints the tables (and percentiles or histogram per info's level) to @out. */
void perf_report_print(FILE *out, const struct perf_report_info *info,
		       const struct perf_result *results, size_t count);

/*
 * @h (in ticks of @ticks_hz) as a JSON object in microseconds: "avg", "min",
 * "max"; at @level >= 1 "percentiles" ({"1": us, ... "99.999": us}), at
 * @level >= 2 "buckets" too: [start_us, end_us, count] for each non-empty
 * bucket, lowest first. On running out of memory *@rc becomes -ENOMEM
 * (NULL or an incomplete object is returned); else *@rc is left alone.
 */
struct json_t *perf_latency_json(const struct usk_histogram *h, uint64_t ticks_hz, uint32_t level,
				 int *rc);

/*
 * Prints the same figures as one JSON document (with -LL each result's
 * latency buckets too). Returns 0 or -ENOMEM.
 */
int perf_report_print_json(FILE *out, const struct perf_report_info *info,
			   const struct perf_result *results, size_t count);

#endif /* USK_PERF_REPORT_H */
