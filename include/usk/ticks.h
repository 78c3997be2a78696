/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A cheap monotonic clock for the data path: the CPU's time-stamp counter
 * where it is invariant (x86-64), CLOCK_MONOTONIC elsewhere.
 *
 * Thread rules: all functions may be called from any thread. The rate is
 * measured once, on the first call of usk_ticks_hz(), and cached.
 */
#ifndef USK_TICKS_H
#define USK_TICKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/**
 * @return the current tick count. On x86-64 this is RDTSC: no system call,
 * about 20 cycles, comparable across cores on CPUs with an invariant TSC.
 */
static inline uint64_t usk_ticks(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	extern uint64_t usk_ticks_slow(void);

	return usk_ticks_slow();
#endif
}

/**
 * @return the ticks from @p then to @p now, or 0 when @p then comes after
 * @p now. The TSC of a virtual machine restored from a snapshot can go
 * back by minutes: an elapsed time must not wrap around to centuries then,
 * or every timeout measured across the step would expire at once.
 */
static inline uint64_t usk_ticks_since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/**
 * @return the tick @p span after @p now, or UINT64_MAX (never) past what
 * ticks can count: a deadline that wrapped would lie in the past, always
 * due. Any thread.
 */
static inline uint64_t usk_ticks_after(uint64_t now, uint64_t span)
{
	return span > UINT64_MAX - now ? UINT64_MAX : now + span;
}

/**
 * @return whether @p deadline, set at most @p span ticks after an earlier
 * reading of the clock, lies more than @p span ahead of @p now: the clock
 * went back since. A deadline kept across such a step would come as late
 * as the step is long; its wait should start again from @p now (or, for
 * something periodic, come at once).
 */
static inline int usk_ticks_went_back(uint64_t now, uint64_t deadline, uint64_t span)
{
	return deadline > now && deadline - now > span;
}

/**
 * Moves *@p deadline, set at most @p span ticks after an earlier reading of
 * the clock, to @p span from @p now when the clock went back since
 * (usk_ticks_went_back()): the wait starts again on the new clock.
 */
static inline void usk_ticks_rebase(uint64_t now, uint64_t *deadline, uint64_t span)
{
	if (usk_ticks_went_back(now, *deadline, span)) {
		*deadline = now + span;
	}
}

/**
 * @return the ticks from *@p then to @p now, after moving *@p then to
 * @p now when it comes after it: the clock went back since, and the time
 * counts again from the new clock (usk_ticks_since() counts 0 instead, for
 * as long as the step lasts).
 */
static inline uint64_t usk_ticks_since_restamping(uint64_t now, uint64_t *then)
{
	if (*then > now) {
		*then = now;
	}
	return now - *then;
}

/** @return ticks per second, measured once against CLOCK_MONOTONIC. */
uint64_t usk_ticks_hz(void);

/** @return @p ticks converted to nanoseconds; UINT64_MAX past what that holds. */
uint64_t usk_ticks_to_ns(uint64_t ticks);

/** @return @p us microseconds converted to ticks; UINT64_MAX past what that holds. */
uint64_t usk_us_to_ticks(uint64_t us);

/** @return @p ns nanoseconds converted to ticks; UINT64_MAX past what that holds. */
uint64_t usk_ns_to_ticks(uint64_t ns);

#ifndef __x86_64__
/** CLOCK_MONOTONIC in nanoseconds; the tick source where there is no TSC. */
uint64_t usk_ticks_slow(void);
#endif

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_TICKS_H */
