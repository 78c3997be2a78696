/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "usk/ticks.h"

static _Atomic uint64_t g_ticks_hz;

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#ifndef __x86_64__
uint64_t usk_ticks_slow(void)
{
	return monotonic_ns();
}
#endif

/*
 * A tick count and the clock time it stands for: read between two clock
 * reads, the tightest of a few tries, so a preemption or a VM exit between
 * the reads does not shift one against the other.
 */
static void ticks_and_clock(uint64_t *ticks, uint64_t *ns)
{
	uint64_t tightest = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t before = monotonic_ns();
		uint64_t t = usk_ticks();
		uint64_t after = monotonic_ns();

		if (after - before < tightest) {
			tightest = after - before;
			*ticks = t;
			*ns = before + tightest / 2;
		}
	}
}

/*
 * Counts ticks over a 2 ms sleep. Each end is bracketed by clock reads
 * a fraction of a microsecond apart, so the rate is good to about 0.01 %
 * (30 tries on this project's 2-core machine under load: within 0.0003 %
 * of a 500 ms count), the TSC rate being fixed. A longer sleep would add
 * its length to every program's start-up: 20 ms was most of usk_bdevperf's.
 */
static uint64_t ticks_measure_hz(void)
{
	const struct timespec nap = {.tv_sec = 0, .tv_nsec = 2 * 1000 * 1000};
	uint64_t t0, ns0, t1, ns1;

	ticks_and_clock(&t0, &ns0);
	nanosleep(&nap, NULL);
	ticks_and_clock(&t1, &ns1);
	if (ns1 <= ns0) {
		return 1000000000u;
	}
	return (uint64_t)((double)(t1 - t0) * 1e9 / (double)(ns1 - ns0));
}

uint64_t usk_ticks_hz(void)
{
	uint64_t hz = atomic_load_explicit(&g_ticks_hz, memory_order_relaxed);

	if (hz == 0) {
		/* Two threads may both measure; either result is fine. */
		hz = ticks_measure_hz();
		atomic_store(&g_ticks_hz, hz);
	}
	return hz;
}

/* @d as an integer, UINT64_MAX past what one holds (converting such a double is undefined). */
static uint64_t ticks_saturate(double d)
{
	return d >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)d;
}

uint64_t usk_ticks_to_ns(uint64_t ticks)
{
	return ticks_saturate((double)ticks * 1e9 / (double)usk_ticks_hz());
}

uint64_t usk_us_to_ticks(uint64_t us)
{
	return ticks_saturate((double)us * (double)usk_ticks_hz() / 1e6);
}

uint64_t usk_ns_to_ticks(uint64_t ns)
{
	return ticks_saturate((double)ns * (double)usk_ticks_hz() / 1e9);
}
