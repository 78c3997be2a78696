/* SPDX-License-Identifier: BSD-3-Clause */
/* The clock of lib/nvme's unit tests, and jumps of it from another thread. */
#include "config.h"

#include <time.h>

#include "nvme_internal.h"
#include "ut_nvme_ticks.h"

/* How long a jump waits, in real time, for its call to get stuck, then to end. */
#define JUMP_GIVE_UP_SECONDS 30
/* The jump that ends a call still stuck after its jump: past every deadline of the tests. */
#define JUMP_UNSTICK_US (3600 * 1000000ull)

static uint64_t g_ut_nvme_ticks;
static uint64_t g_ut_nvme_ticks_reads;

uint64_t ut_nvme_ticks_read(void)
{
	/*
	 * Taken before the read is counted: once a jump sees the count move, the
	 * deadline set from this read is from the clock before the jump.
	 */
	uint64_t now = __atomic_load_n(&g_ut_nvme_ticks, __ATOMIC_SEQ_CST);

	__atomic_fetch_add(&g_ut_nvme_ticks_reads, 1, __ATOMIC_SEQ_CST);
	return now;
}

uint64_t ut_nvme_ticks_now(void)
{
	return __atomic_load_n(&g_ut_nvme_ticks, __ATOMIC_SEQ_CST);
}

void ut_nvme_ticks_set(uint64_t now)
{
	__atomic_store_n(&g_ut_nvme_ticks, now, __ATOMIC_SEQ_CST);
}

void ut_nvme_ticks_advance(uint64_t us)
{
	__atomic_fetch_add(&g_ut_nvme_ticks, us, __ATOMIC_SEQ_CST);
}

uint64_t ut_nvme_ticks_reads(void)
{
	return __atomic_load_n(&g_ut_nvme_ticks_reads, __ATOMIC_SEQ_CST);
}

static bool real_time_left(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec < JUMP_GIVE_UP_SECONDS;
}

/* Lets the thread blocked in the call run between two looks. */
static void jump_pause(void)
{
	const struct timespec pause = {0, 100 * 1000};

	nanosleep(&pause, NULL);
}

/* Waits until the jump's condition holds, then for one more read: whether it held in time. */
static bool jump_wait_for_stuck_call(const struct ut_nvme_ticks_jump *j)
{
	struct timespec start;
	bool ready;
	uint64_t reads;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(ready = j->ready(j->arg)) && real_time_left(&start)) {
		jump_pause();
	}
	reads = ut_nvme_ticks_reads();
	while (ut_nvme_ticks_reads() == reads && real_time_left(&start)) {
		jump_pause();
	}
	return ready;
}

/* Waits for the call to end after the jump: whether it did in time. */
static bool jump_wait_for_call_end(struct ut_nvme_ticks_jump *j)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!__atomic_load_n(&j->call_ended, __ATOMIC_ACQUIRE) && real_time_left(&start)) {
		jump_pause();
	}
	return __atomic_load_n(&j->call_ended, __ATOMIC_ACQUIRE);
}

static void *jump_main(void *arg)
{
	struct ut_nvme_ticks_jump *j = arg;

	j->was_ready = jump_wait_for_stuck_call(j);
	ut_nvme_ticks_advance(j->us);
	/* A driver that waits past its deadline would hang the test: end it, and fail. */
	j->ended_by_jump = jump_wait_for_call_end(j);
	if (!j->ended_by_jump) {
		ut_nvme_ticks_advance(JUMP_UNSTICK_US);
	}
	return NULL;
}

int ut_nvme_ticks_jump_start(struct ut_nvme_ticks_jump *j, bool (*ready)(void *arg), void *arg,
			     uint64_t us)
{
	*j = (struct ut_nvme_ticks_jump){.ready = ready, .arg = arg, .us = us};
	return -pthread_create(&j->thread, NULL, jump_main, j);
}

bool ut_nvme_ticks_jump_wait(struct ut_nvme_ticks_jump *j)
{
	__atomic_store_n(&j->call_ended, true, __ATOMIC_RELEASE);
	pthread_join(j->thread, NULL);
	return j->was_ready && j->ended_by_jump;
}

struct ut_call {
	void (*fn)(void *arg);
	void *arg;
	bool returned;
};

static void *ut_call_main(void *arg)
{
	struct ut_call *call = arg;

	call->fn(call->arg);
	__atomic_store_n(&call->returned, true, __ATOMIC_RELEASE);
	return NULL;
}

bool ut_nvme_ticks_call_returns(void (*fn)(void *arg), void *arg)
{
	struct ut_call call = {.fn = fn, .arg = arg};
	struct timespec start;
	pthread_t thread;
	bool returned;

	if (pthread_create(&thread, NULL, ut_call_main, &call) != 0) {
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!__atomic_load_n(&call.returned, __ATOMIC_ACQUIRE) && real_time_left(&start)) {
		jump_pause();
	}
	returned = __atomic_load_n(&call.returned, __ATOMIC_ACQUIRE);
	if (!returned) {
		ut_nvme_ticks_advance(JUMP_UNSTICK_US);
	}
	pthread_join(thread, NULL);
	return returned;
}
