/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "perf_engine.h"
#include "usk/ticks.h"
#include "usk/util.h"

static uint32_t io_bytes(const struct perf_ns_worker *w)
{
	return w->blocks_per_io * w->block_size;
}

/*
 * Under -V each task owns every stripe-th slot, starting at its own index,
 * so no two I/Os in flight touch the same blocks and a read checks exactly
 * what its task wrote.
 */
static void task_pick_verify_write(struct perf_task *t)
{
	struct perf_ns_worker *w = t->worker;
	uint64_t slot = perf_workload_next_slot(&w->workload) * w->stripe + t->verify_slot;

	t->lba = slot * w->blocks_per_io;
	t->is_read = false;
	t->generation++;
	perf_verify_fill(t->buf, t->lba, w->blocks_per_io, w->block_size, t->generation);
}

static int task_submit(struct perf_task *t)
{
	struct perf_ns_worker *w = t->worker;
	int rc;

	t->submit_ticks = usk_ticks();
	rc = w->ops->submit(w->qpair, t->is_read, t->buf, t->lba, w->blocks_per_io, t);
	if (rc != 0) {
		perf_result_count_error(&w->result, PERF_STATUS_SUBMIT_FAILED);
		return rc;
	}
	t->in_flight = true;
	w->in_flight++;
	return 0;
}

/* Chooses the next I/O of @t: a new random or sequential one, or under -V
 * the read-back of the write that just succeeded. */
static void task_pick_next(struct perf_task *t, bool last_write_ok)
{
	struct perf_ns_worker *w = t->worker;

	if (w->verify) {
		if (!t->is_read && last_write_ok) {
			t->is_read = true;
		} else {
			task_pick_verify_write(t);
		}
		return;
	}
	t->lba = perf_workload_next_slot(&w->workload) * w->blocks_per_io;
	t->is_read = perf_workload_next_is_read(&w->workload);
}

static void task_check_read(struct perf_task *t)
{
	struct perf_ns_worker *w = t->worker;
	struct perf_verify_mismatch m;

	if (perf_verify_check(t->buf, t->lba, w->blocks_per_io, w->block_size, t->generation, &m) ==
	    0) {
		return;
	}
	perf_result_count_error(&w->result, PERF_STATUS_MISCOMPARE);
	if (!w->mismatched) {
		w->mismatched = true;
		w->first_mismatch = m;
	}
}

void perf_task_complete(struct perf_task *t, uint16_t status)
{
	struct perf_ns_worker *w = t->worker;

	usk_histogram_record(w->latency, usk_ticks() - t->submit_ticks);
	t->in_flight = false;
	w->in_flight--;
	w->result.ios++;
	w->result.bytes += io_bytes(w);
	/* The main thread reads this for the live line; a relaxed store is a plain mov. */
	__atomic_store_n(&w->ios_live, w->ios_live + 1, __ATOMIC_RELAXED);
	if (status != 0) {
		perf_result_count_error(&w->result, status);
	} else if (w->verify && t->is_read) {
		task_check_read(t);
	}
	if (w->stopping) {
		return;
	}
	task_pick_next(t, status == 0);
	if (w->pace_ticks != 0) {
		/* --rate: the task waits for its turn (perf_ns_worker_pace()). */
		t->next_idle = w->idle;
		w->idle = t;
		return;
	}
	/* A refused submit is counted; the task then stays idle. */
	(void)task_submit(t);
}

void perf_ns_worker_set_pace(struct perf_ns_worker *w, uint64_t pace_ticks)
{
	w->pace_ticks = pace_ticks;
}

uint64_t perf_ns_worker_pace(struct perf_ns_worker *w, uint64_t now)
{
	while (w->idle != NULL && now >= w->next_due && !w->stopping) {
		struct perf_task *t = w->idle;

		w->idle = t->next_idle;
		(void)task_submit(t);
		/*
		 * Late by less than a period (the loop's own delay): the rate holds
		 * on average. Later than that (every task was busy): no burst to
		 * catch up, the next turn is a period from now.
		 */
		w->next_due = now - w->next_due > w->pace_ticks ? now + w->pace_ticks
								 : w->next_due + w->pace_ticks;
	}
	return w->idle != NULL && !w->stopping ? w->next_due : UINT64_MAX;
}

int perf_ns_worker_init(struct perf_ns_worker *w, const struct perf_opts *opts,
			const struct perf_ns_worker_params *p, struct perf_task *tasks,
			struct usk_histogram *latency)
{
	uint64_t slots;

	if (p->block_size == 0 || opts->io_size % p->block_size != 0) {
		return -EINVAL;
	}
	memset(w, 0, sizeof(*w));
	w->ops = p->ops;
	w->qpair = p->qpair;
	w->tasks = tasks;
	w->queue_depth = opts->queue_depth;
	w->block_size = p->block_size;
	w->blocks_per_io = opts->io_size / p->block_size;
	w->verify = opts->verify;
	w->latency = latency;
	w->result.latency = latency;
	usk_histogram_init(latency);

	slots = p->ns_blocks / w->blocks_per_io;
	w->stripe = w->verify ? (uint64_t)opts->queue_depth * p->worker_count : 1;
	if (slots < w->stripe) {
		return -EINVAL;
	}
	int rc = perf_workload_init(&w->workload, opts->pattern, opts->read_percent,
				    (slots / w->stripe) * w->blocks_per_io, w->blocks_per_io,
				    p->seed);
	if (rc != 0) {
		return rc;
	}
	for (uint32_t i = 0; i < opts->queue_depth; i++) {
		tasks[i] = (struct perf_task){
			.worker = w,
			.buf = p->buffers[i],
			.verify_slot = p->worker_index * opts->queue_depth + i,
		};
	}
	return 0;
}

int perf_ns_worker_start(struct perf_ns_worker *w)
{
	for (uint32_t i = 0; i < w->queue_depth; i++) {
		task_pick_next(&w->tasks[i], false);
		if (w->pace_ticks != 0) {
			w->tasks[i].next_idle = w->idle;
			w->idle = &w->tasks[i];
			w->next_due = usk_ticks();
			continue;
		}

		int rc = task_submit(&w->tasks[i]);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int perf_ns_worker_poll(struct perf_ns_worker *w)
{
	return w->ops->poll(w->qpair, 0);
}

void perf_ns_worker_reset_stats(struct perf_ns_worker *w)
{
	struct usk_histogram *latency = w->latency;

	memset(&w->result.error_kinds, 0, sizeof(w->result.error_kinds));
	w->result.ios = 0;
	w->result.bytes = 0;
	w->result.errors = 0;
	usk_histogram_init(latency);
}

void perf_ns_worker_stop(struct perf_ns_worker *w)
{
	w->stopping = true;
}
