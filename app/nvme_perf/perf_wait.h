/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a usk_nvme_perf worker waits for completions: by polling, or
 * (--interrupts, --adaptive) by sleeping on its queue pairs' MSI-X
 * eventfds once polls find nothing, and pacing its submissions (--rate).
 * --adaptive polls for an idle spell first (usk/idle_spell.h):
 * as long as its sleeps have cost, at most PERF_ADAPTIVE_MAX_SPELL_US.
 */
#ifndef USK_PERF_WAIT_H
#define USK_PERF_WAIT_H

#include <stdint.h>

#include "perf_engine.h"
#include "perf_opts.h"
#include "usk/idle_spell.h"

/* --adaptive: the longest idle spell, what the reactor's default allows too. */
#define PERF_ADAPTIVE_MAX_SPELL_US 1000
/* The longest sleep: the run's clock checks are not held up longer. */
#define PERF_MAX_SLEEP_US 100000

/* A worker's waiting state and what it counted. */
struct perf_wait {
	enum perf_wait_mode mode;
	bool paced;		     /* --rate */
	struct usk_idle_spell spell; /* --adaptive's, with what its sleeps cost */
	uint64_t idle_since;	     /* the first of the polls that found nothing, 0 when busy */
	uint64_t sleeps;	     /* sleeps on the eventfds, or until a paced submission */
	uint64_t arm_busy;	     /* arms that found work there and did not sleep */
};

void perf_wait_init(struct perf_wait *wait, const struct perf_opts *opts);

/*
 * One turn of a worker over its @count namespace workers: poll each,
 * submit what the pace allows, and in the interrupt modes sleep when idle
 * (until an eventfd signals, the next paced submission, or @deadline, in
 * ticks). With nothing in flight the next paced submission is the only
 * thing to wait for: the worker sleeps until then without arming, at once
 * (--adaptive: when it is further away than the idle spell). Returns the
 * completions reaped.
 */
uint32_t perf_wait_turn(struct perf_wait *wait, struct perf_ns_worker *workers, uint32_t count,
			uint64_t deadline);

#endif /* USK_PERF_WAIT_H */
