/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_bdevperf: drives bdevs through the bdev layer and reports how fast
 * they went. One job per bdev and core: a usk_thread on that core keeps
 * -q I/Os in flight until the time is up.
 */
#ifndef USK_BDEVPERF_H
#define USK_BDEVPERF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "perf_report.h"
#include "perf_verify.h"
#include "perf_workload.h"
#include "usk/bdev.h"

#define BDEVPERF_MAX_JOBS 256
/* Seconds after the jobs are told to stop before those still waiting for I/O are named. */
#define BDEVPERF_DRAIN_WARN_S 10

enum bdevperf_kind {
	BDEVPERF_IO,	 /* reads and writes by pattern and mix */
	BDEVPERF_VERIFY, /* write a pattern, read it back, compare */
	BDEVPERF_RESET,	 /* resets */
	BDEVPERF_UNMAP,	 /* unmaps of -o bytes */
	BDEVPERF_ZEROES, /* write zeroes of -o bytes */
	BDEVPERF_FLUSH,	 /* flushes of -o bytes */
};

struct bdevperf_opts {
	uint32_t queue_depth; /* -q */
	uint32_t io_size;     /* -o, bytes */
	const char *workload; /* -w */
	enum bdevperf_kind kind;
	enum perf_pattern pattern;
	uint32_t read_percent;	/* 100, 0, or -M for mixes */
	uint32_t rwmixread;	/* -M, UINT32_MAX when absent */
	uint32_t seconds;	/* -t */
	const char *bdev_name;	/* -T, NULL: every bdev */
	bool every_core;	/* -C */
	bool json_output;	/* --json-output */
	bool latency_histogram; /* --latency-histogram */
};

/* A job's counters, written by its thread and read by the app thread's progress line. */
struct bdevperf_counts {
	_Atomic uint64_t ios;
	_Atomic uint64_t bytes;
	_Atomic uint64_t failed;
	/* Submit calls the bdev accepted and completion callbacks: equal once the job is done. */
	_Atomic uint64_t submitted;
	_Atomic uint64_t completed;
	uint64_t latency_sum; /* ticks */
	uint64_t latency_min;
	uint64_t latency_max;
};

/*
 * A job's failed I/O (completed with an error, or refused at submit), by
 * NVMe status, and the first of them. Written by the job's thread, read
 * once the job is done.
 */
struct bdevperf_failures {
	uint64_t count;
	enum usk_bdev_io_type first_type;
	uint64_t first_block;
	uint16_t first_status; /* SCT << 8 | SC, or PERF_STATUS_SUBMIT_FAILED */
	int first_errno;       /* why the submit was refused */
	struct perf_error_count kinds[PERF_MAX_ERROR_KINDS];
};

struct bdevperf_task;

struct bdevperf_job {
	const struct bdevperf_opts *opts;
	char bdev_name[USK_BDEV_NAME_MAX + 1];
	char module[16]; /* the bdev's module: only "nvme" gives real NVMe statuses */
	int core;
	uint32_t index;	   /* among the jobs of the same bdev */
	uint32_t siblings; /* jobs on the same bdev */
	struct usk_thread *thread;
	struct usk_bdev_desc *desc;
	struct usk_io_channel *ch;
	uint32_t block_size;
	uint32_t blocks_per_io;
	uint64_t first_block; /* the job's part of the bdev */
	struct perf_workload_state workload;
	struct bdevperf_task *tasks;
	uint32_t outstanding;
	_Atomic bool stopping;
	bool removed;
	uint64_t generation; /* of the next verify write's pattern */
	uint64_t start_tick;
	uint64_t end_tick;
	struct bdevperf_counts counts;
	/* With --latency-histogram, each counted I/O's latency in ticks; read when done. */
	struct usk_histogram latency;
	struct bdevperf_failures failures;
	bool mismatch_reported;
	struct perf_verify_mismatch mismatch;
	int error; /* a set-up failure */
	bool done; /* the app thread has been told it finished */
};

/* Starts @job on its thread; bdevperf_job_done() is called on the app thread at the end. */
int bdevperf_job_start(struct bdevperf_job *job);
/* Asks a job to stop submitting; it finishes what is in flight. Any thread. */
void bdevperf_job_stop(struct bdevperf_job *job);
/* Called on the app thread when a job has finished and released everything. */
void bdevperf_job_done(struct bdevperf_job *job);

/* One second of the run as its progress line gave it: every job together. */
struct bdevperf_second {
	double iops;
	double mibps;
};

/*
 * The totals the last progress line saw, so the next one shows the
 * difference, and the seconds so far for --json-output's "progress".
 */
struct bdevperf_progress {
	uint64_t ios;
	uint64_t bytes;
	struct bdevperf_second *seconds; /* room for @capacity; NULL: none kept */
	uint32_t capacity;
	uint32_t count;
};

/*
 * The progress since @last, which it then updates: kept in @last's seconds
 * while there is room, and printed as a line to @out unless it is NULL.
 */
void bdevperf_report_progress(FILE *out, struct bdevperf_job *jobs, uint32_t count,
			      struct bdevperf_progress *last, double seconds);
/*
 * The final table (or JSON with --json-output): per job the figures, I/Os
 * submitted and completed, and for a job with failed I/O the first failure
 * and a count by NVMe status. The JSON also has @progress's seconds, and
 * with --latency-histogram each job's latency percentiles and buckets.
 */
void bdevperf_report_final(FILE *out, const struct bdevperf_opts *opts,
			   const struct bdevperf_job *jobs, uint32_t count,
			   const struct bdevperf_progress *progress);
/* Counts a failed I/O in @f, and keeps it if it is the first; @err: a refused submit's errno. */
void bdevperf_failures_add(struct bdevperf_failures *f, enum usk_bdev_io_type type, uint64_t block,
			   uint16_t status, int err);
/* The first failure of @job, e.g. "read of block 2048: NVMe status sct 0x2 sc 0x81 (...)". */
void bdevperf_describe_first_failure(const struct bdevperf_job *job, char *buf, size_t len);
/* The lines of @job's failures, when it has any. */
void bdevperf_report_failures(FILE *out, const struct bdevperf_job *job);
/* Names each job whose submitted and completed counts differ; returns whether one did. */
bool bdevperf_report_unbalanced(FILE *out, const struct bdevperf_job *jobs, uint32_t count);
/* Names each job not done yet and how many I/Os it waits for, @seconds after the stop. */
void bdevperf_report_waiting(FILE *out, const struct bdevperf_job *jobs, uint32_t count,
			     uint32_t seconds);

#endif /* USK_BDEVPERF_H */
