/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme_perf's closed loop: each worker keeps queue-depth I/Os in flight
 * on one namespace through one queue pair, resubmits each as it completes,
 * and records every latency. The queue pair is reached through a small ops
 * table, so the loop is tested against a fake and runs unchanged on the
 * NVMe driver.
 */
#ifndef USK_PERF_ENGINE_H
#define USK_PERF_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "perf_opts.h"
#include "perf_report.h"
#include "perf_verify.h"
#include "perf_workload.h"

struct perf_task;

struct perf_qpair_ops {
	/*
	 * Submits one read or write for @task; returns 0 or a negative errno.
	 * On completion the queue pair calls perf_task_complete(task, status).
	 */
	int (*submit)(void *qpair, bool is_read, void *buf, uint64_t lba, uint32_t blocks,
		      struct perf_task *task);
	/* Reaps up to @max completions (0: all); returns how many, or a negative errno. */
	int (*poll)(void *qpair, uint32_t max);
	/*
	 * Interrupts, for --interrupts and --adaptive (NULL when the queue pair
	 * has none): the eventfd to sleep on, or a negative errno; arm (1: do
	 * not sleep, something is there) and disarm, as usk_nvme_qpair_arm_interrupt().
	 */
	int (*interrupt_fd)(void *qpair);
	int (*arm)(void *qpair);
	int (*disarm)(void *qpair);
};

struct perf_ns_worker;

/* One I/O slot of a worker: its buffer and what it is doing. */
struct perf_task {
	struct perf_ns_worker *worker;
	void *buf;
	uint64_t lba;
	uint64_t submit_ticks;
	uint64_t generation;  /* -V: the pattern generation written last */
	uint32_t verify_slot; /* -V: this task's own stripe of the namespace */
	bool is_read;
	bool in_flight;
	struct perf_task *next_idle; /* --rate: the next task waiting for its turn */
};

/* What a worker needs to know about its namespace and run. */
struct perf_ns_worker_params {
	const struct perf_qpair_ops *ops;
	void *qpair;
	void **buffers; /* queue_depth buffers of io_size bytes, DMA-able */
	uint64_t ns_blocks;
	uint32_t block_size;
	uint32_t worker_index; /* among the workers that share this namespace */
	uint32_t worker_count;
	uint64_t seed;
};

/* One (core, namespace) pair: a queue pair, its tasks and its figures. */
struct perf_ns_worker {
	const struct perf_qpair_ops *ops;
	void *qpair;
	struct perf_workload_state workload;
	struct perf_task *tasks;
	uint32_t queue_depth;
	uint32_t blocks_per_io;
	uint32_t block_size;
	bool verify;
	bool stopping;
	uint32_t in_flight;
	uint64_t stripe;   /* -V: tasks on this namespace, all workers */
	uint64_t ios_live; /* read by the main thread for the live line */
	struct perf_result result;
	struct usk_histogram *latency;
	struct perf_verify_mismatch first_mismatch;
	bool mismatched;
	/* --rate: ticks between submissions, 0 for a closed loop; the tasks waiting; when next. */
	uint64_t pace_ticks;
	struct perf_task *idle;
	uint64_t next_due;
};

/*
 * Sets up @worker for the run @opts describes. @tasks has queue_depth
 * entries and @latency is the worker's own histogram. Returns 0, or
 * -EINVAL when the I/O size is not a multiple of the block size or the
 * namespace is too small for the run.
 */
int perf_ns_worker_init(struct perf_ns_worker *worker, const struct perf_opts *opts,
			const struct perf_ns_worker_params *params, struct perf_task *tasks,
			struct usk_histogram *latency);

/*
 * Completes @task's I/O: @status is 0 or the NVMe status (SCT << 8 | SC).
 * Records its latency and submits the task's next I/O.
 */
void perf_task_complete(struct perf_task *task, uint16_t status);

/*
 * --rate: one submission every @pace_ticks (0: a closed loop, the default);
 * set before perf_ns_worker_start(). Completed tasks then wait for
 * perf_ns_worker_pace() instead of going out again at once.
 */
void perf_ns_worker_set_pace(struct perf_ns_worker *worker, uint64_t pace_ticks);

/*
 * Submits the waiting tasks whose turn has come by @now (ticks). Returns
 * the tick of the next turn, UINT64_MAX when no task waits (the next
 * completion makes one).
 */
uint64_t perf_ns_worker_pace(struct perf_ns_worker *worker, uint64_t now);

/* Submits queue-depth I/Os (with a pace: lines them up). Returns 0 or the first submit error. */
int perf_ns_worker_start(struct perf_ns_worker *worker);

/* Polls once and resubmits what completed. Returns completions or a negative errno. */
int perf_ns_worker_poll(struct perf_ns_worker *worker);

/* Forgets the figures so far (the end of the warm-up). */
void perf_ns_worker_reset_stats(struct perf_ns_worker *worker);

/* Stops resubmitting; perf_ns_worker_poll() then drains what is in flight. */
void perf_ns_worker_stop(struct perf_ns_worker *worker);

#endif /* USK_PERF_ENGINE_H */
