/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "perf_run.h"
#include "perf_wait.h"
#include "usk/ticks.h"
#include "usk/idle_spell.h"

/* Clock reads are cheap but not free: look at the time every 64 polls. */
#define PERF_POLLS_PER_CLOCK 64
/* How long in-flight I/Os may take to finish after the run. */
#define PERF_DRAIN_SECONDS 10

struct perf_worker_arg {
	struct perf_run *run;
	struct perf_core *core;
};

static uint32_t perf_core_in_flight(const struct perf_core *c)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->count; i++) {
		n += c->workers[i].in_flight;
	}
	return n;
}

/*
 * Polls (or sleeps, as the wait mode says) until @end, resetting the
 * figures at @warm_end; returns when measuring started.
 */
static uint64_t perf_core_loop(struct perf_core *c, struct perf_wait *wait, uint64_t warm_end,
			       uint64_t end)
{
	uint64_t measure_start = warm_end;
	uint64_t cpu_start = usk_cpu_time_ns();
	bool warm = false;
	uint64_t now;

	for (uint64_t iter = 1;; iter++) {
		perf_wait_turn(wait, c->workers, c->count, warm ? end : warm_end);
		if (iter % PERF_POLLS_PER_CLOCK != 0 && wait->mode == PERF_WAIT_POLL) {
			continue;
		}
		now = usk_ticks();
		if (!warm && now >= warm_end) {
			for (uint32_t i = 0; i < c->count; i++) {
				perf_ns_worker_reset_stats(&c->workers[i]);
			}
			measure_start = now;
			cpu_start = usk_cpu_time_ns();
			warm = true;
		}
		if (now >= end) {
			c->measured_ticks = now - measure_start;
			c->cpu_ns = usk_cpu_time_ns() - cpu_start;
			c->sleeps = wait->sleeps;
			return measure_start;
		}
	}
}

static void *perf_worker_main(void *arg)
{
	struct perf_worker_arg *a = arg;
	struct perf_core *c = a->core;
	const struct perf_opts *opts = a->run->opts;
	cpu_set_t set;
	uint64_t hz = usk_ticks_hz();

	CPU_ZERO(&set);
	CPU_SET(c->core, &set);
	c->rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0 ? 0 : -EINVAL;
	pthread_barrier_wait(&a->run->start);
	if (c->rc != 0) {
		return NULL;
	}
	for (uint32_t i = 0; i < c->count && c->rc == 0; i++) {
		c->rc = perf_ns_worker_start(&c->workers[i]);
	}
	uint64_t start = usk_ticks();
	uint64_t warm_end = start + opts->warmup_seconds * hz;
	struct perf_wait wait;

	perf_wait_init(&wait, opts);
	perf_core_loop(c, &wait, warm_end, warm_end + opts->seconds * hz);
	for (uint32_t i = 0; i < c->count; i++) {
		perf_ns_worker_stop(&c->workers[i]);
	}
	uint64_t drain_end = usk_ticks() + PERF_DRAIN_SECONDS * hz;

	while (perf_core_in_flight(c) > 0 && usk_ticks() < drain_end) {
		perf_wait_turn(&wait, c->workers, c->count, drain_end);
	}
	if (perf_core_in_flight(c) > 0) {
		c->rc = -ETIMEDOUT;
	}
	return NULL;
}

static uint64_t perf_core_ios(const struct perf_core *c)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < c->count; i++) {
		n += __atomic_load_n(&c->workers[i].ios_live, __ATOMIC_RELAXED);
	}
	return n;
}

/* Sleeps a second, checking the controllers' health ten times meanwhile. */
static void perf_run_watch_second(struct perf_run *run)
{
	const struct timespec tenth = {0, 100 * 1000 * 1000};

	for (int i = 0; i < 10; i++) {
		nanosleep(&tenth, NULL);
		for (int c = 0; c < run->nctrlrs; c++) {
			/* A removed controller fails its I/O; the workers see it on their next
			 * poll. */
			usk_nvme_ctrlr_process_admin_completions(run->ctrlrs[c]);
		}
	}
}

/* Prints one line a second with each core's IOPS and MiB/s until the run ends. */
static void perf_run_live(struct perf_run *run)
{
	uint32_t total_seconds = run->opts->warmup_seconds + run->opts->seconds;
	uint64_t last[PERF_MAX_CORES_LIVE] = {0};

	for (uint32_t s = 1; s <= total_seconds; s++) {
		perf_run_watch_second(run);
		fprintf(run->live, "[%3us%s]", s, s <= run->opts->warmup_seconds ? " warm-up" : "");
		for (uint32_t i = 0; i < run->ncores && i < PERF_MAX_CORES_LIVE; i++) {
			uint64_t ios = perf_core_ios(&run->cores[i]);
			uint64_t delta = ios - last[i];

			last[i] = ios;
			fprintf(run->live, "  core %u: %10llu IOPS %9.2f MiB/s", run->cores[i].core,
				(unsigned long long)delta,
				(double)delta * run->opts->io_size / (1024.0 * 1024.0));
		}
		fputc('\n', run->live);
		fflush(run->live);
	}
}

int perf_run_execute(struct perf_run *run)
{
	struct perf_worker_arg args[PERF_MAX_CORES_LIVE];
	int rc = 0;

	if (run->ncores > PERF_MAX_CORES_LIVE) {
		return -EINVAL;
	}
	pthread_barrier_init(&run->start, NULL, run->ncores + 1);
	for (uint32_t i = 0; i < run->ncores; i++) {
		args[i] = (struct perf_worker_arg){run, &run->cores[i]};
		if (pthread_create(&run->cores[i].thread, NULL, perf_worker_main, &args[i]) != 0) {
			/* The barrier counts every core: without this thread it would never open.
			 */
			return -EAGAIN;
		}
	}
	pthread_barrier_wait(&run->start);
	perf_run_live(run);
	for (uint32_t i = 0; i < run->ncores; i++) {
		pthread_join(run->cores[i].thread, NULL);
		rc = rc != 0 ? rc : run->cores[i].rc;
	}
	pthread_barrier_destroy(&run->start);
	return rc;
}
