/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The clock lib/nvme reads in the unit tests built on
 * libusk_nvme_ut_ticks.a (lib/nvme with NVME_UT_TICKS): a counter of
 * microseconds, one tick each, that only the test moves. It starts at 0
 * and goes back only when a test sets it back, as a virtual machine's TSC
 * goes back when the machine is restored from a snapshot. A test checks a timeout to the tick by setting the
 * clock and polling; nothing sleeps for it.
 *
 * A call that waits on the clock itself (an admin command, CSTS.RDY) would
 * wait for ever on a clock nobody moves: a jump (ut_nvme_ticks_jump_start)
 * moves it from another thread once the call is stuck where the test wants.
 */
#ifndef USK_TEST_UT_NVME_TICKS_H
#define USK_TEST_UT_NVME_TICKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The clock now, in microseconds (not counted among lib/nvme's reads). */
uint64_t ut_nvme_ticks_now(void);

/* Sets the clock to @now; before ut_nvme_ticks_now() is a step back. */
void ut_nvme_ticks_set(uint64_t now);

/* Moves the clock @us microseconds on. */
void ut_nvme_ticks_advance(uint64_t us);

/* How many times lib/nvme has read the clock. */
uint64_t ut_nvme_ticks_reads(void);

/* A move of the clock, from its own thread, for a call the test thread is blocked in. */
struct ut_nvme_ticks_jump {
	pthread_t thread;
	bool (*ready)(void *arg);
	void *arg;
	uint64_t us;
	bool call_ended;    /* set by ut_nvme_ticks_jump_wait() */
	bool was_ready;	    /* @ready held before the jump gave up waiting */
	bool ended_by_jump; /* the call ended after the jump, without another */
};

/*
 * Starts a thread that waits until @ready(@arg) holds and lib/nvme has read
 * the clock once more after that (so a deadline it was about to set is
 * set), then moves the clock @us on. @ready is polled from that thread: it
 * must be safe to call there. Neither wait hangs the test: after 30 s of
 * real time the thread jumps anyway, and if the call has not ended 30 s
 * after the jump, it moves the clock an hour on to end it.
 * Returns 0 or a negative errno (the thread could not start).
 */
int ut_nvme_ticks_jump_start(struct ut_nvme_ticks_jump *jump, bool (*ready)(void *arg), void *arg,
			     uint64_t us);

/*
 * Call once the call the jump was for has returned. Returns whether it went
 * as planned: @ready held, and the jump alone ended the call.
 */
bool ut_nvme_ticks_jump_wait(struct ut_nvme_ticks_jump *jump);

/*
 * Runs @fn(@arg) on a thread of its own and returns whether it returned
 * within 30 s of real time: a bound, not an oracle, for a call that must
 * not wait (one that waits on lib/nvme's clock waits for ever, as the clock
 * stands still). One that does not return is freed by moving the clock an
 * hour on, past every deadline, and joined.
 */
bool ut_nvme_ticks_call_returns(void (*fn)(void *arg), void *arg);

#endif /* USK_TEST_UT_NVME_TICKS_H */
