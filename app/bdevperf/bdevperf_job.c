/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A job: on its own thread, opens its bdev, keeps -q tasks in flight, and
 * when told to stop lets them drain, then releases everything and reports
 * to the app thread. A verify task writes the pattern to a slot, reads it
 * back and checks it; the slots of a job are its own part of the bdev, so
 * tasks and jobs never touch the same blocks at once.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/event.h"
#include "usk/log.h"
#include "usk/ticks.h"
#include "usk_internal/counter.h"
#include "bdevperf.h"

struct bdevperf_task {
	struct bdevperf_job *job;
	void *buf;
	enum usk_bdev_io_type type; /* of the I/O last issued */
	uint64_t offset_blocks;
	uint64_t submit_tick;
	bool verify_reading; /* the read-back half of a verify */
	uint64_t generation; /* of the pattern its last verify write put down */
	struct usk_bdev_io_wait_entry wait;
};

static void task_submit(struct bdevperf_task *task, uint64_t now);

static bool job_writes(const struct bdevperf_opts *o)
{
	return o->kind != BDEVPERF_IO || o->read_percent < 100;
}

static void job_done_msg(void *ctx)
{
	bdevperf_job_done(ctx);
}

static void job_release(void *ctx)
{
	struct bdevperf_job *job = ctx;

	job->end_tick = usk_ticks();
	if (job->tasks != NULL) {
		for (uint32_t i = 0; i < job->opts->queue_depth; i++) {
			usk_dma_free(job->tasks[i].buf);
		}
		free(job->tasks);
		job->tasks = NULL;
	}
	usk_io_channel_put(job->ch);
	job->ch = NULL;
	usk_bdev_close(job->desc);
	job->desc = NULL;
	usk_thread_exit(usk_thread_get_current());
	usk_thread_send_msg(usk_app_get_thread(), job_done_msg, job);
}

/* A task is done for good: the last one releases the job. */
static void task_retire(struct bdevperf_task *task)
{
	struct bdevperf_job *job = task->job;

	if (--job->outstanding == 0) {
		job_release(job);
	}
}

static void job_count(struct bdevperf_job *job, uint64_t latency, uint64_t bytes)
{
	struct bdevperf_counts *c = &job->counts;

	usk_counter_add(&c->ios, 1);
	usk_counter_add(&c->bytes, bytes);
	c->latency_sum += latency;
	c->latency_min = latency < c->latency_min ? latency : c->latency_min;
	c->latency_max = latency > c->latency_max ? latency : c->latency_max;
	/* Off by default: some 16 instructions an I/O more, and a 58 KiB table to write in. */
	if (job->opts->latency_histogram) {
		usk_histogram_record(&job->latency, latency);
	}
}

static void job_fail(struct bdevperf_job *job)
{
	atomic_fetch_add_explicit(&job->counts.failed, 1, memory_order_relaxed);
}

/* A failed I/O, with its NVMe status or the errno that refused it. */
static void job_fail_io(struct bdevperf_job *job, const struct bdevperf_task *task, uint16_t status,
			int rc)
{
	bdevperf_failures_add(&job->failures, task->type, task->offset_blocks, status, -rc);
	job_fail(job);
}

/* The NVMe status of a failed @io, which must not be freed yet. */
static uint16_t io_status(const struct usk_bdev_io *io)
{
	int sct, sc;

	usk_bdev_io_get_nvme_status(io, &sct, &sc);
	return (uint16_t)((sct & 0xff) << 8 | (sc & 0xff));
}

/* Checks a verify read; a mismatch is counted as a failure, the first one described. */
static void task_verify(struct bdevperf_task *task)
{
	struct bdevperf_job *job = task->job;
	struct perf_verify_mismatch m;

	if (perf_verify_check(task->buf, task->offset_blocks, job->blocks_per_io, job->block_size,
			      task->generation, &m) == 0) {
		return;
	}
	bdevperf_failures_add(&job->failures, USK_BDEV_IO_TYPE_READ, m.lba, PERF_STATUS_MISCOMPARE,
			      0);
	job_fail(job);
	if (!job->mismatch_reported) {
		job->mismatch_reported = true;
		job->mismatch = m;
		fprintf(stderr,
			"usk_bdevperf: verify: bdev %s, block %" PRIu64 " (byte offset %" PRIu64
			"): expected 0x%016" PRIx64 ", read 0x%016" PRIx64 "\n",
			job->bdev_name, m.lba, m.lba * job->block_size + m.offset, m.expected,
			m.found);
	}
}

static void task_done(struct usk_bdev_io *io, bool success, void *arg)
{
	struct bdevperf_task *task = arg;
	struct bdevperf_job *job = task->job;
	uint64_t now = usk_ticks();

	usk_counter_add(&job->counts.completed, 1);
	if (!success) {
		/* The status lives in the io: read it before the io goes back. */
		job_fail_io(job, task, io_status(io), 0);
	}
	usk_bdev_free_io(io);
	if (success && job->opts->kind == BDEVPERF_VERIFY && !task->verify_reading) {
		/* The write is in: read it back, into a poisoned buffer so a read that
		 * returns nothing cannot pass for the pattern. */
		task->verify_reading = true;
		memset(task->buf, 0xa5, job->opts->io_size);
		task_submit(task, now);
		return;
	}
	if (success) {
		if (task->verify_reading) {
			task_verify(task);
		}
		job_count(job, now - task->submit_tick, job->opts->io_size);
	}
	task->verify_reading = false;
	if (atomic_load_explicit(&job->stopping, memory_order_relaxed)) {
		task_retire(task);
		return;
	}
	/* One clock read a completion: its time starts the next I/O too. */
	task_submit(task, now);
}

static void task_retry(void *arg)
{
	task_submit(arg, usk_ticks());
}

/*
 * Picks the task's next blocks and, for reads and writes, whether it reads.
 * A verify task keeps to every queue_depth-th slot from its own index, so
 * out-of-order completions never put two tasks on the same blocks.
 */
static bool task_next(struct bdevperf_task *task)
{
	struct bdevperf_job *job = task->job;

	if (!task->verify_reading) {
		uint64_t slot = perf_workload_next_slot(&job->workload);

		if (job->opts->kind == BDEVPERF_VERIFY) {
			slot = slot * job->opts->queue_depth + (uint64_t)(task - job->tasks);
		}
		task->offset_blocks = job->first_block + slot * job->blocks_per_io;
	}
	return job->opts->kind == BDEVPERF_IO && perf_workload_next_is_read(&job->workload);
}

/* The type of the task's next I/O, whose blocks it picks. */
static enum usk_bdev_io_type task_next_type(struct bdevperf_task *task)
{
	bool read = task_next(task);

	switch (task->job->opts->kind) {
	case BDEVPERF_RESET:
		return USK_BDEV_IO_TYPE_RESET;
	case BDEVPERF_UNMAP:
		return USK_BDEV_IO_TYPE_UNMAP;
	case BDEVPERF_ZEROES:
		return USK_BDEV_IO_TYPE_WRITE_ZEROES;
	case BDEVPERF_FLUSH:
		return USK_BDEV_IO_TYPE_FLUSH;
	default:
		return read || task->verify_reading ? USK_BDEV_IO_TYPE_READ
						    : USK_BDEV_IO_TYPE_WRITE;
	}
}

static int task_issue(struct bdevperf_task *task)
{
	struct bdevperf_job *job = task->job;
	uint64_t off, n = job->blocks_per_io;

	task->type = task_next_type(task);
	off = task->offset_blocks;
	switch (task->type) {
	case USK_BDEV_IO_TYPE_READ:
		return usk_bdev_read_blocks(job->desc, job->ch, task->buf, off, n, task_done, task);
	case USK_BDEV_IO_TYPE_WRITE:
		if (job->opts->kind == BDEVPERF_VERIFY) {
			/* A new pattern each write: a lost one leaves the last pass's. */
			task->generation = job->generation++;
			perf_verify_fill(task->buf, off, job->blocks_per_io, job->block_size,
					 task->generation);
		}
		return usk_bdev_write_blocks(job->desc, job->ch, task->buf, off, n, task_done,
					     task);
	case USK_BDEV_IO_TYPE_RESET:
		return usk_bdev_reset(job->desc, job->ch, task_done, task);
	case USK_BDEV_IO_TYPE_UNMAP:
		return usk_bdev_unmap_blocks(job->desc, job->ch, off, n, task_done, task);
	case USK_BDEV_IO_TYPE_WRITE_ZEROES:
		return usk_bdev_write_zeroes_blocks(job->desc, job->ch, off, n, task_done, task);
	default:
		return usk_bdev_flush_blocks(job->desc, job->ch, off, n, task_done, task);
	}
}

static void task_submit(struct bdevperf_task *task, uint64_t now)
{
	struct bdevperf_job *job = task->job;
	int rc;

	task->submit_tick = now;
	/*
	 * Counted before the call: a module may complete inside it, and the
	 * last completion releases the job, after which the job is the app
	 * thread's to read.
	 */
	usk_counter_add(&job->counts.submitted, 1);
	rc = task_issue(task);
	if (rc == 0) {
		return;
	}
	/* Refused, so no callback comes: take the count back (unsigned wrap adds -1). */
	usk_counter_add(&job->counts.submitted, (uint64_t)-1);
	if (rc == -ENOMEM) {
		task->wait.bdev = usk_bdev_desc_get_bdev(job->desc);
		task->wait.cb = task_retry;
		task->wait.cb_arg = task;
		if (usk_bdev_queue_io_wait(task->wait.bdev, job->ch, &task->wait) == 0) {
			return;
		}
	}
	/* The bdev is going, or refused the I/O: the task stops. */
	job_fail_io(job, task, PERF_STATUS_SUBMIT_FAILED, rc);
	atomic_store(&job->stopping, true);
	task_retire(task);
}

static void job_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	struct bdevperf_job *job = ctx;

	if (type == USK_BDEV_EVENT_REMOVE) {
		fprintf(stderr, "usk_bdevperf: bdev %s was removed; its job stops\n",
			job->bdev_name);
		job->removed = true;
		bdevperf_job_stop(job);
	}
}

/* Makes the job's -q tasks and their buffers; says so when memory runs out. */
static int job_alloc_tasks(struct bdevperf_job *job)
{
	const struct bdevperf_opts *o = job->opts;
	uint32_t i = 0;

	job->tasks = calloc(o->queue_depth, sizeof(*job->tasks));
	for (; job->tasks != NULL && i < o->queue_depth; i++) {
		job->tasks[i].job = job;
		/* DMA memory: a device reads and writes it directly (nvme bdevs). */
		job->tasks[i].buf =
			usk_dma_malloc((o->io_size + 4095) & ~4095u, 4096, USK_ENV_NUMA_ANY);
		if (job->tasks[i].buf == NULL) {
			break;
		}
		memset(job->tasks[i].buf, 0x5a, o->io_size);
	}
	if (job->tasks == NULL || i < o->queue_depth) {
		fprintf(stderr,
			"usk_bdevperf: %s: no memory for -q %u buffers of -o %u (%" PRIu64
			" MiB); got %u\n",
			job->bdev_name, o->queue_depth, o->io_size,
			(uint64_t)o->queue_depth * ((o->io_size + 4095) & ~4095u) >> 20, i);
		return -ENOMEM;
	}
	return 0;
}

/* Opens the bdev and makes the tasks; on failure the job reports at once. */
static int job_setup(struct bdevperf_job *job)
{
	const struct bdevperf_opts *o = job->opts;
	struct usk_bdev *bdev;
	uint64_t slots;
	uint32_t stripe = o->kind == BDEVPERF_VERIFY ? o->queue_depth : 1;
	int rc;

	rc = usk_bdev_open(job->bdev_name, job_writes(o), job_event, job, &job->desc);
	if (rc != 0) {
		fprintf(stderr, "usk_bdevperf: cannot open bdev %s: %s\n", job->bdev_name,
			strerror(-rc));
		return rc;
	}
	bdev = usk_bdev_desc_get_bdev(job->desc);
	snprintf(job->module, sizeof(job->module), "%s", usk_bdev_get_module_name(bdev));
	job->block_size = usk_bdev_get_block_size(bdev);
	if (o->io_size % job->block_size != 0) {
		fprintf(stderr,
			"usk_bdevperf: -o %u is not a multiple of bdev %s's block size %u\n",
			o->io_size, job->bdev_name, job->block_size);
		return -EINVAL;
	}
	job->blocks_per_io = o->io_size / job->block_size;
	slots = usk_bdev_get_num_blocks(bdev) / job->blocks_per_io / job->siblings;
	job->first_block = slots * job->index * job->blocks_per_io;
	if (slots < stripe) {
		fprintf(stderr, "usk_bdevperf: bdev %s is too small for -q %u of -o %u%s\n",
			job->bdev_name, o->queue_depth, o->io_size,
			job->siblings > 1 ? " on every core" : "");
		return -EINVAL;
	}
	/* Verify goes in order over each task's own slots (task_next()). */
	rc = perf_workload_init(
		&job->workload, o->kind == BDEVPERF_VERIFY ? PERF_SEQUENTIAL : o->pattern,
		o->read_percent, slots / stripe * job->blocks_per_io, job->blocks_per_io,
		usk_thread_get_id(job->thread) * 7919 + job->index);
	if (rc != 0) {
		return rc;
	}
	job->ch = usk_bdev_get_io_channel(job->desc);
	if (job->ch == NULL) {
		fprintf(stderr, "usk_bdevperf: bdev %s: no I/O channel\n", job->bdev_name);
		return -ENOMEM;
	}
	return job_alloc_tasks(job);
}

static void job_run(void *ctx)
{
	struct bdevperf_job *job = ctx;
	int rc = job_setup(job);

	job->counts.latency_min = UINT64_MAX;
	if (job->opts->latency_histogram) {
		usk_histogram_init(&job->latency); /* 58 KiB: touched only when asked for */
	}
	job->generation = usk_ticks();
	job->start_tick = usk_ticks();
	if (rc != 0) {
		job->error = rc;
		job_release(job);
		return;
	}
	job->outstanding = job->opts->queue_depth;
	for (uint32_t i = 0; i < job->opts->queue_depth && job->outstanding > 0; i++) {
		task_submit(&job->tasks[i], usk_ticks());
	}
}

int bdevperf_job_start(struct bdevperf_job *job)
{
	char name[USK_BDEV_NAME_MAX + 32]; /* the thread keeps 63 characters of it */

	snprintf(name, sizeof(name), "bdevperf_%s_%d", job->bdev_name, job->core);
	job->thread = usk_thread_create(name, job->core);
	if (job->thread == NULL) {
		return -ENOMEM;
	}
	return usk_thread_send_msg(job->thread, job_run, job);
}

void bdevperf_job_stop(struct bdevperf_job *job)
{
	atomic_store(&job->stopping, true);
}
