/* SPDX-License-Identifier: BSD-3-Clause */
/* Polling usk_threads by hand, for the tests of lib/thread and what sits on it. */
#ifndef USK_TEST_UT_THREAD_H
#define USK_TEST_UT_THREAD_H

#include "usk/thread.h"

/*
 * Polls @threads round after round, at the tick @now (0: the clock's), until
 * a round finds them all idle; returns the rounds that did work (at most
 * 100000, so a livelock shows).
 */
static inline int ut_poll_threads_at(struct usk_thread **threads, int count, uint64_t now)
{
	int rounds = 0;
	int busy;

	do {
		busy = 0;
		for (int i = 0; i < count; i++) {
			busy |= usk_thread_poll(threads[i], 0, now);
		}
		rounds += busy;
	} while (busy && rounds < 100000);
	return rounds;
}

/* ut_poll_threads_at() on the clock. */
static inline int ut_poll_threads(struct usk_thread **threads, int count)
{
	return ut_poll_threads_at(threads, count, 0);
}

#endif /* USK_TEST_UT_THREAD_H */
