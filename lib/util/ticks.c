/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <stdatomic.h>
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
 * Counts ticks over a 20 ms sleep. Good to about 0.1%: the TSC rate is
 * fixed, and two clock reads on each side bound the error.
 */
static uint64_t ticks_measure_hz(void)
{
	const struct timespec nap = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
	uint64_t ns0 = monotonic_ns();
	uint64_t t0 = usk_ticks();

	nanosleep(&nap, NULL);

	uint64_t ns1 = monotonic_ns();
	uint64_t t1 = usk_ticks();

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

uint64_t usk_ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)((double)ticks * 1e9 / (double)usk_ticks_hz());
}

uint64_t usk_us_to_ticks(uint64_t us)
{
	return (uint64_t)((double)us * (double)usk_ticks_hz() / 1e6);
}
