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

#include "perf_verify.h"
#include "perf_workload.h"
#include "usk/bdev.h"

#define BDEVPERF_MAX_JOBS 256

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
	uint32_t read_percent; /* 100, 0, or -M for mixes */
	uint32_t rwmixread;    /* -M, UINT32_MAX when absent */
	uint32_t seconds;      /* -t */
	const char *bdev_name; /* -T, NULL: every bdev */
	bool every_core;       /* -C */
	bool json_output;      /* --json-output */
};

/* A job's counters, written by its thread and read by the app thread's progress line. */
struct bdevperf_counts {
	_Atomic uint64_t ios;
	_Atomic uint64_t bytes;
	_Atomic uint64_t failed;
	uint64_t latency_sum; /* ticks */
	uint64_t latency_min;
	uint64_t latency_max;
};

struct bdevperf_task;

struct bdevperf_job {
	const struct bdevperf_opts *opts;
	char bdev_name[64];
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
	uint64_t generation;
	uint64_t start_tick;
	uint64_t end_tick;
	struct bdevperf_counts counts;
	bool mismatch_reported;
	struct perf_verify_mismatch mismatch;
	int error; /* a set-up failure */
};

/* Starts @job on its thread; bdevperf_job_done() is called on the app thread at the end. */
int bdevperf_job_start(struct bdevperf_job *job);
/* Asks a job to stop submitting; it finishes what is in flight. Any thread. */
void bdevperf_job_stop(struct bdevperf_job *job);
/* Called on the app thread when a job has finished and released everything. */
void bdevperf_job_done(struct bdevperf_job *job);

/* The totals the last progress line saw, so the next one shows the difference. */
struct bdevperf_progress {
	uint64_t ios;
	uint64_t bytes;
};

/* One line of progress since @last, which it then updates. */
void bdevperf_report_progress(FILE *out, struct bdevperf_job *jobs, uint32_t count,
			      struct bdevperf_progress *last, double seconds);
/* The final table (or JSON with --json-output). */
void bdevperf_report_final(FILE *out, const struct bdevperf_opts *opts,
			   const struct bdevperf_job *jobs, uint32_t count);

#endif /* USK_BDEVPERF_H */
