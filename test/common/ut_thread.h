/* SPDX-License-Identifier: BSD-3-Clause */
/* Polling usk_threads by hand, for the tests of lib/thread and what sits on it. */
#ifndef USK_TEST_UT_THREAD_H
#define USK_TEST_UT_THREAD_H

#include "usk/thread.h"

/*
 * Polls @threads round after round until a round finds them all idle;
 * returns the rounds that did work (at most 100000, so a livelock shows).
 */
static inline int ut_poll_threads(struct usk_thread **threads, int count)
{
	int rounds = 0;
	int busy;

	do {
		busy = 0;
		for (int i = 0; i < count; i++) {
			busy |= usk_thread_poll(threads[i], 0, 0);
		}
		rounds += busy;
	} while (busy && rounds < 100000);
	return rounds;
}

#endif /* USK_TEST_UT_THREAD_H */
