/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_channel.c: a channel's bdev_io cache and its wait for a free bdev_io,
 * against the test module, which holds every I/O until the test completes it.
 */
#include <errno.h>
#include <string.h>

#include "usk/ticks.h"
#include "ut_bdev_module.h"

static void fill_pool(void *ctx)
{
	struct user *u = &g_users[0];
	int rc;

	while ((rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u)) == 0) {
	}
	CU_ASSERT_EQUAL(rc, -ENOMEM);
	g_wait.bdev = &g_bdev;
	g_wait.cb = waited_read;
	g_wait.cb_arg = u;
	CU_ASSERT_EQUAL(usk_bdev_queue_io_wait(&g_bdev, u->ch, &g_wait), 0);
}

static void test_waiting_for_a_free_bdev_io(void)
{
	struct ut_module_channel *mc = &g_module_channels[0];

	setup();
	on_thread(0, fill_pool, NULL);
	/* The pool holds 32 in this test program. */
	CU_ASSERT_EQUAL(mc->count, 32);
	CU_ASSERT_EQUAL(g_waited, 0);
	on_thread(0, module_complete_first, NULL);
	CU_ASSERT_EQUAL(g_waited, 1);
	CU_ASSERT_EQUAL(mc->count, 32);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 33);
	teardown();
}

/* On a thread: its user takes every free bdev_io, held by the module. */
static void take_every_bdev_io(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	while (usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u) == 0) {
	}
}

/* On thread 0: a read finds no bdev_io, with none of the channel's own in flight. */
static void wait_with_nothing_in_flight(void *ctx)
{
	struct user *u = &g_users[0];

	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u), -ENOMEM);
	g_wait = (struct usk_bdev_io_wait_entry){.bdev = &g_bdev, .cb = waited_read, .cb_arg = u};
	CU_ASSERT_EQUAL(usk_bdev_queue_io_wait(&g_bdev, u->ch, &g_wait), 0);
}

/* Polls thread 0 a second ahead of the clock, when any retry of a waiter is due. */
static void poll_thread_0_later(void)
{
	uint64_t later = usk_ticks() + usk_ticks_hz();

	for (int rounds = 0; usk_thread_poll(g_ut_threads[0], 0, later) != 0 && rounds < 100;
	     rounds++) {
	}
}

/* Thread 1 holds every bdev_io, thread 0's channel waits; thread 1's I/O complete. */
static void starve_thread_0_behind_thread_1(void)
{
	setup();
	g_waited = 0;
	on_thread(1, user_open_rw, NULL);
	on_thread(1, take_every_bdev_io, NULL);
	CU_ASSERT_EQUAL(g_module_channels[1].count, 32);
	on_thread(0, wait_with_nothing_in_flight, NULL);
}

/*
 * The bdev_io freed on another channel (here another thread's) reach a
 * waiter whose own channel had nothing in flight to give one back.
 */
static void test_waiter_served_by_another_channels_completions(void)
{
	starve_thread_0_behind_thread_1();
	on_thread(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[1].done, 32);
	poll_thread_0_later();
	CU_ASSERT_EQUAL(g_waited, 1);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 1);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	on_thread(1, user_close, NULL);
	teardown();
}

/*
 * A channel released with a caller still waiting forgets it: the callback
 * would submit on a freed channel. Nothing of the wait outlives the channel.
 */
static void test_channel_released_with_a_waiter(void)
{
	struct usk_thread_stats before, after;

	usk_thread_get_stats(g_ut_threads[0], &before);
	starve_thread_0_behind_thread_1();
	on_thread(0, user_close, NULL);
	/* A poller left behind would also hold the thread's exit up. */
	usk_thread_get_stats(g_ut_threads[0], &after);
	CU_ASSERT_EQUAL(after.timed_pollers, before.timed_pollers);
	CU_ASSERT_EQUAL(after.paused_pollers, before.paused_pollers);
	on_thread(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	poll_thread_0_later();
	CU_ASSERT_EQUAL(g_waited, 0);
	on_thread(1, user_close, NULL);
	on_thread(0, user_open_rw, (void *)1);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_waiting_for_a_free_bdev_io),
		UT_TEST(test_waiter_served_by_another_channels_completions),
		UT_TEST(test_channel_released_with_a_waiter),
	};

	return UT_BDEV_MODULE_RUN("bdev_channel", tests);
}
