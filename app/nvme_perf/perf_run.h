/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme_perf's run: one pinned worker thread per core, the live line. */
#ifndef USK_PERF_RUN_H
#define USK_PERF_RUN_H

#include <pthread.h>
#include <stdio.h>

#include "perf_engine.h"
#include "perf_nvme.h"

/* Cores a run may use. */
#define PERF_MAX_CORES_LIVE 64

/* A core's worker: its namespace workers and what they own. */
struct perf_core {
	uint32_t core;
	pthread_t thread;
	uint32_t count; /* namespaces, one ns_worker each */
	struct perf_ns_worker *workers;
	struct perf_nvme_qpair *qpairs;
	struct perf_task **tasks;
	struct usk_histogram *latency;
	void ***buffers;
	uint64_t measured_ticks;
	uint64_t cpu_ns; /* the worker thread's CPU time (user + system) while measured */
	uint64_t sleeps; /* sleeps (--interrupts, --adaptive) */
	int rc;
};

/* What all workers share. */
struct perf_run {
	const struct perf_opts *opts;
	struct perf_core *cores;
	uint32_t ncores;
	pthread_barrier_t start;
	FILE *live;			/* where the per-second lines go */
	struct usk_nvme_ctrlr **ctrlrs; /* health-checked while the run goes on */
	int nctrlrs;
};

/* Runs every worker for the warm-up and the measured time, then drains. */
int perf_run_execute(struct perf_run *run);

#endif /* USK_PERF_RUN_H */
