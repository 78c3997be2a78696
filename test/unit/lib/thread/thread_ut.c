/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "usk/thread.h"
#include "usk/ticks.h"
#include "ut.h"
#include "ut_thread.h"

static int g_order[64];
static int g_order_len;

static void record_msg(void *ctx)
{
	g_order[g_order_len++] = (int)(intptr_t)ctx;
}

static void resend_msg(void *ctx)
{
	record_msg(ctx);
	CU_ASSERT_EQUAL(usk_thread_send_msg(usk_thread_get_current(), record_msg,
					    (void *)((intptr_t)ctx + 100)),
			0);
}

static void test_send_msg_runs_in_order_on_the_thread(void)
{
	struct usk_thread *t = usk_thread_create("t0", USK_THREAD_CORE_ANY);
	struct usk_thread_stats stats;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(usk_thread_get_name(t), "t0");
	CU_ASSERT_PTR_NULL(usk_thread_get_current());
	g_order_len = 0;
	for (intptr_t i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(usk_thread_send_msg(t, i == 2 ? resend_msg : record_msg, (void *)i),
				0);
	}
	CU_ASSERT_EQUAL(g_order_len, 0);
	CU_ASSERT_TRUE(usk_thread_has_msgs(t));
	CU_ASSERT_EQUAL(usk_thread_poll(t, 0, 0), 1);
	CU_ASSERT_PTR_NULL(usk_thread_get_current());
	/*
	 * A message a thread sends itself from inside a message queues behind
	 * the others: its own queue's turn in this poll has passed.
	 */
	CU_ASSERT_EQUAL(g_order_len, 5);
	CU_ASSERT_TRUE(usk_thread_has_msgs(t));
	CU_ASSERT_EQUAL(usk_thread_poll(t, 0, 0), 1);
	CU_ASSERT_EQUAL(usk_thread_poll(t, 0, 0), 0);
	int want[] = {0, 1, 2, 3, 4, 102};
	CU_ASSERT_EQUAL_FATAL(g_order_len, 6);
	CU_ASSERT_EQUAL(memcmp(g_order, want, sizeof(want)), 0);
	usk_thread_get_stats(t, &stats);
	CU_ASSERT_EQUAL(stats.msgs, 6);
	CU_ASSERT_TRUE(stats.busy_ticks > 0);

	CU_ASSERT_EQUAL(usk_thread_send_msg(NULL, record_msg, NULL), -EINVAL);
	CU_ASSERT_EQUAL(usk_thread_send_msg(t, NULL, NULL), -EINVAL);
	/* Only the thread itself may ask to exit. */
	CU_ASSERT_EQUAL(usk_thread_exit(t), -EINVAL);
	usk_thread_destroy(t);
}

static void test_poll_limits_messages(void)
{
	struct usk_thread *t = usk_thread_create("limit", USK_THREAD_CORE_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_order_len = 0;
	for (intptr_t i = 0; i < 10; i++) {
		usk_thread_send_msg(t, record_msg, (void *)i);
	}
	usk_thread_poll(t, 3, 0);
	CU_ASSERT_EQUAL(g_order_len, 3);
	usk_thread_poll(t, 0, 0);
	CU_ASSERT_EQUAL(g_order_len, 10);
	usk_thread_destroy(t);
}

static void exit_self_msg(void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_exit(usk_thread_get_current()), 0);
}

static int idle_poller(void *ctx)
{
	return USK_POLLER_IDLE;
}

static struct usk_poller *g_poller;

static void register_poller_msg(void *ctx)
{
	g_poller = usk_poller_register(idle_poller, NULL, 0, "keeper");
}

static void unregister_poller_msg(void *ctx)
{
	usk_poller_unregister(&g_poller);
}

static void test_exit_waits_for_pollers_and_drains_messages(void)
{
	struct usk_thread *t = usk_thread_create("exiting", USK_THREAD_CORE_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	usk_thread_send_msg(t, register_poller_msg, NULL);
	usk_thread_poll(t, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_poller);

	g_order_len = 0;
	usk_thread_send_msg(t, exit_self_msg, NULL);
	usk_thread_send_msg(t, record_msg, (void *)1);
	usk_thread_poll(t, 1, 0);
	/* Asked to exit, but a poller and a message are still there. */
	CU_ASSERT_FALSE(usk_thread_is_exited(t));
	usk_thread_poll(t, 0, 0);
	CU_ASSERT_EQUAL(g_order_len, 1);
	CU_ASSERT_FALSE(usk_thread_is_exited(t));
	/* Messages still arrive while it exits. */
	CU_ASSERT_EQUAL(usk_thread_send_msg(t, unregister_poller_msg, NULL), 0);
	usk_thread_poll(t, 0, 0);
	CU_ASSERT_TRUE(usk_thread_is_exited(t));
	CU_ASSERT_EQUAL(usk_thread_send_msg(t, record_msg, NULL), -EIO);
	usk_thread_destroy(t);
}

/* A thread torn down unpolled frees its messages without running them. */
static void test_destroy_frees_unrun_messages(void)
{
	struct usk_thread *t = usk_thread_create("dropped", USK_THREAD_CORE_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_order_len = 0;
	for (intptr_t i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(usk_thread_send_msg(t, record_msg, (void *)i), 0);
	}
	usk_thread_destroy(t);
	CU_ASSERT_EQUAL(g_order_len, 0);
}

/*
 * A sender keeps sending to a thread while it exits: each message is either
 * refused (-EIO) or run, never accepted and then dropped with the thread.
 */
#define EXIT_RACE_ROUNDS 20000

static struct usk_thread *_Atomic g_race_target;
static _Atomic bool g_race_over;
static uint64_t g_race_accepted;
static uint64_t g_race_run;

static void count_race_msg(void *ctx)
{
	g_race_run++;
}

static void *race_send_main(void *arg)
{
	uint32_t pause = 0;

	while (!atomic_load(&g_race_over)) {
		struct usk_thread *t = atomic_load(&g_race_target);
		int rc;

		if (t == NULL) {
			sched_yield(); /* the main thread needs the CPU to start a round */
			continue;
		}
		rc = usk_thread_send_msg(t, count_race_msg, NULL);
		if (rc == 0) {
			g_race_accepted++;
		} else if (rc == -EIO) {
			atomic_store(&g_race_target, NULL);
		}
		/* Pauses of varied length let the thread find its ring empty now and then. */
		pause = (pause * 7 + 3) % 64;
		for (volatile uint32_t i = 0; i < pause; i++) {
		}
	}
	return NULL;
}

static void test_messages_sent_during_exit_run_or_are_refused(void)
{
	uint64_t lost = 0;
	pthread_t sender;

	pthread_create(&sender, NULL, race_send_main, NULL);
	for (int round = 0; round < EXIT_RACE_ROUNDS; round++) {
		struct usk_thread *t = usk_thread_create("exit-race", USK_THREAD_CORE_ANY);

		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		g_race_accepted = g_race_run = 0;
		CU_ASSERT_EQUAL(usk_thread_send_msg(t, exit_self_msg, NULL), 0);
		atomic_store(&g_race_target, t);
		while (!usk_thread_is_exited(t)) {
			if (usk_thread_poll(t, 0, 0) == 0) {
				sched_yield();
			}
		}
		/* The sender has been refused, so it has stopped counting. */
		while (atomic_load(&g_race_target) != NULL) {
			sched_yield();
		}
		lost += g_race_accepted - g_race_run;
		usk_thread_destroy(t);
	}
	atomic_store(&g_race_over, true);
	pthread_join(sender, NULL);
	CU_ASSERT_EQUAL(lost, 0);
}

static struct usk_thread *g_walk_threads[3];
static int g_walk_visits[3];
static int g_walk_done;
static struct usk_thread *g_walk_done_on;

static void walk_visit(void *ctx)
{
	struct usk_thread *cur = usk_thread_get_current();

	for (int i = 0; i < 3; i++) {
		if (g_walk_threads[i] == cur) {
			/* Each thread is visited after the ones created before it. */
			CU_ASSERT_TRUE(i == 0 || g_walk_visits[i - 1] == 1);
			g_walk_visits[i]++;
		}
	}
	CU_ASSERT_PTR_EQUAL(ctx, g_walk_visits);
}

static void walk_done(void *ctx)
{
	g_walk_done++;
	g_walk_done_on = usk_thread_get_current();
}

static void start_walk_msg(void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_for_each(walk_visit, g_walk_visits, walk_done), 0);
}

static void walk_threads_create(void)
{
	for (int i = 0; i < 3; i++) {
		g_walk_threads[i] = usk_thread_create("walked", USK_THREAD_CORE_ANY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(g_walk_threads[i]);
		g_walk_visits[i] = 0;
	}
	g_walk_done = 0;
}

static void walk_threads_end(void)
{
	for (int i = 0; i < 3; i++) {
		usk_thread_send_msg(g_walk_threads[i], exit_self_msg, NULL);
	}
	ut_poll_threads(g_walk_threads, 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(usk_thread_is_exited(g_walk_threads[i]));
		usk_thread_destroy(g_walk_threads[i]);
	}
}

static void test_for_each_visits_every_thread_then_completes(void)
{
	walk_threads_create();
	CU_ASSERT_EQUAL(usk_thread_for_each(walk_visit, NULL, walk_done), -EINVAL);
	usk_thread_send_msg(g_walk_threads[1], start_walk_msg, NULL);
	ut_poll_threads(g_walk_threads, 3);
	CU_ASSERT_EQUAL(g_walk_visits[0], 1);
	CU_ASSERT_EQUAL(g_walk_visits[1], 1);
	CU_ASSERT_EQUAL(g_walk_visits[2], 1);
	CU_ASSERT_EQUAL(g_walk_done, 1);
	CU_ASSERT_PTR_EQUAL(g_walk_done_on, g_walk_threads[1]);
	walk_threads_end();
}

/* Fills @t's queue from outside any thread, as senders on other pthreads can. */
static void fill_ring(struct usk_thread *t)
{
	while (usk_thread_send_msg(t, count_race_msg, NULL) == 0) {
	}
}

/*
 * A thread whose queue is full when a walk comes to it is visited once it
 * has room, and the completion waits for that: it was skipped, and the
 * walk completed without it (at shutdown, the walk that asks every thread
 * to exit skipped it, and the app never ended).
 */
static void test_for_each_waits_for_a_full_thread(void)
{
	walk_threads_create();
	fill_ring(g_walk_threads[2]);
	usk_thread_send_msg(g_walk_threads[1], start_walk_msg, NULL);
	/* Threads 0 and 1 only: thread 2 has not run a message yet. */
	for (int round = 0; round < 10; round++) {
		usk_thread_poll(g_walk_threads[0], 0, 0);
		usk_thread_poll(g_walk_threads[1], 0, 0);
	}
	CU_ASSERT_EQUAL(g_walk_visits[0], 1);
	CU_ASSERT_EQUAL(g_walk_visits[2], 0);
	CU_ASSERT_EQUAL(g_walk_done, 0);
	ut_poll_threads(g_walk_threads, 3);
	CU_ASSERT_EQUAL(g_walk_visits[1], 1);
	CU_ASSERT_EQUAL(g_walk_visits[2], 1);
	CU_ASSERT_EQUAL(g_walk_done, 1);
	CU_ASSERT_PTR_EQUAL(g_walk_done_on, g_walk_threads[1]);
	walk_threads_end();
}

static void start_walk_then_exit_msg(void *ctx)
{
	start_walk_msg(ctx);
	usk_thread_exit(usk_thread_get_current());
}

/*
 * A thread that started a walk and then exits waits for the walk's
 * completion: it exited at once, and the completion, sent to an exited
 * thread, was lost (what the caller freed or counted in it never was).
 */
static void test_exit_waits_for_walks_it_started(void)
{
	walk_threads_create();
	usk_thread_send_msg(g_walk_threads[1], start_walk_then_exit_msg, NULL);
	for (int round = 0; round < 10; round++) {
		usk_thread_poll(g_walk_threads[1], 0, 0);
	}
	CU_ASSERT_FALSE(usk_thread_is_exited(g_walk_threads[1]));
	ut_poll_threads(g_walk_threads, 3);
	CU_ASSERT_EQUAL(g_walk_visits[0], 1);
	CU_ASSERT_EQUAL(g_walk_visits[2], 1);
	CU_ASSERT_EQUAL(g_walk_done, 1);
	CU_ASSERT_PTR_EQUAL(g_walk_done_on, g_walk_threads[1]);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_walk_threads[1]));
	walk_threads_end();
}

/* Several pthreads send numbered messages to two threads, each polled by a pthread. */
#define ORDER_SENDERS 3
#define ORDER_MSGS    50000

struct order_receiver {
	struct usk_thread *thread;
	uint32_t next_seq[ORDER_SENDERS];
	uint32_t received;
	uint32_t out_of_order;
	_Atomic bool stop;
};

static struct order_receiver g_receivers[2];

static void order_msg(void *ctx)
{
	uintptr_t v = (uintptr_t)ctx;
	struct order_receiver *r = &g_receivers[v & 1];
	uint32_t sender = (uint32_t)(v >> 1) & 3;
	uint32_t seq = (uint32_t)(v >> 3);

	if (seq != r->next_seq[sender]) {
		r->out_of_order++;
	}
	r->next_seq[sender] = seq + 1;
	r->received++;
}

static void *order_poll_main(void *arg)
{
	struct order_receiver *r = arg;

	while (!atomic_load(&r->stop) || usk_thread_has_msgs(r->thread)) {
		usk_thread_poll(r->thread, 0, 0);
	}
	return NULL;
}

static void *order_send_main(void *arg)
{
	uintptr_t sender = (uintptr_t)arg;

	for (uintptr_t seq = 0; seq < ORDER_MSGS; seq++) {
		for (uintptr_t to = 0; to < 2; to++) {
			void *v = (void *)(seq << 3 | sender << 1 | to);

			while (usk_thread_send_msg(g_receivers[to].thread, order_msg, v) ==
			       -ENOMEM) {
				sched_yield();
			}
		}
	}
	return NULL;
}

static void test_messages_from_several_senders_keep_their_order(void)
{
	pthread_t pollers[2], senders[ORDER_SENDERS];

	for (int i = 0; i < 2; i++) {
		g_receivers[i].thread = usk_thread_create("receiver", USK_THREAD_CORE_ANY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(g_receivers[i].thread);
		pthread_create(&pollers[i], NULL, order_poll_main, &g_receivers[i]);
	}
	for (uintptr_t s = 0; s < ORDER_SENDERS; s++) {
		pthread_create(&senders[s], NULL, order_send_main, (void *)s);
	}
	for (int s = 0; s < ORDER_SENDERS; s++) {
		pthread_join(senders[s], NULL);
	}
	for (int i = 0; i < 2; i++) {
		atomic_store(&g_receivers[i].stop, true);
		pthread_join(pollers[i], NULL);
		CU_ASSERT_EQUAL(g_receivers[i].received, ORDER_SENDERS * ORDER_MSGS);
		CU_ASSERT_EQUAL(g_receivers[i].out_of_order, 0);
		for (int s = 0; s < ORDER_SENDERS; s++) {
			CU_ASSERT_EQUAL(g_receivers[i].next_seq[s], ORDER_MSGS);
		}
		usk_thread_send_msg(g_receivers[i].thread, exit_self_msg, NULL);
		usk_thread_poll(g_receivers[i].thread, 0, 0);
		usk_thread_destroy(g_receivers[i].thread);
	}
}

/* Sends itself ten numbered messages, as a completion deferred ten times would. */
static void send_ten_to_self_msg(void *ctx)
{
	for (intptr_t i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(
			usk_thread_send_msg(usk_thread_get_current(), record_msg, (void *)i), 0);
	}
}

static void test_self_msgs_run_once_in_order_within_the_batch(void)
{
	struct usk_thread *t = usk_thread_create("self", USK_THREAD_CORE_ANY);
	struct usk_thread_stats stats;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_order_len = 0;
	usk_thread_send_msg(t, send_ten_to_self_msg, NULL);
	CU_ASSERT_EQUAL(usk_thread_poll(t, 0, 0), 1);
	CU_ASSERT_EQUAL(g_order_len, 0);
	CU_ASSERT_TRUE(usk_thread_has_msgs(t));
	/* The batch bounds the thread's own queue as it bounds the ring. */
	CU_ASSERT_EQUAL(usk_thread_poll(t, 4, 0), 1);
	CU_ASSERT_EQUAL(g_order_len, 4);
	CU_ASSERT_EQUAL(usk_thread_poll(t, 0, 0), 1);
	CU_ASSERT_EQUAL(usk_thread_poll(t, 0, 0), 0);
	CU_ASSERT_FALSE(usk_thread_has_msgs(t));
	CU_ASSERT_EQUAL_FATAL(g_order_len, 10);
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(g_order[i], i);
	}
	usk_thread_get_stats(t, &stats);
	CU_ASSERT_EQUAL(stats.msgs, 11);
	usk_thread_destroy(t);
}

static int g_fill_rc;
static uint32_t g_fill_accepted;

static void fill_own_queue_msg(void *ctx)
{
	struct usk_thread *self = usk_thread_get_current();

	g_fill_accepted = 0;
	while ((g_fill_rc = usk_thread_send_msg(self, count_race_msg, NULL)) == 0) {
		g_fill_accepted++;
	}
}

static void test_full_own_queue_refuses_with_enomem(void)
{
	struct usk_thread *t = usk_thread_create("full", USK_THREAD_CORE_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	usk_thread_send_msg(t, fill_own_queue_msg, NULL);
	usk_thread_poll(t, 1, 0);
	CU_ASSERT_EQUAL(g_fill_rc, -ENOMEM);
	CU_ASSERT_EQUAL(g_fill_accepted, 16384);
	/* Other senders have a queue of their own. */
	CU_ASSERT_EQUAL(usk_thread_send_msg(t, count_race_msg, NULL), 0);
	g_race_run = 0;
	while (usk_thread_has_msgs(t)) {
		usk_thread_poll(t, 0, 0);
	}
	CU_ASSERT_EQUAL(g_race_run, 16384 + 1);
	usk_thread_destroy(t);
}

static int g_late_rc;

static void late_self_send_msg(void *ctx)
{
	g_late_rc = usk_thread_send_msg(usk_thread_get_current(), record_msg, NULL);
}

/* Keeps its thread from exiting, and queues a message to itself on each run. */
static int self_sending_poller(void *ctx)
{
	usk_thread_send_msg(usk_thread_get_current(), late_self_send_msg, NULL);
	return USK_POLLER_BUSY;
}

static void register_self_sending_poller_msg(void *ctx)
{
	g_poller = usk_poller_register(self_sending_poller, NULL, 0, "self-sender");
	usk_thread_exit(usk_thread_get_current());
}

/*
 * A thread forced out at its exit deadline runs the messages it accepted,
 * its own included, and refuses the ones they send it.
 */
static void test_self_send_refused_after_exit(void)
{
	struct usk_thread *t = usk_thread_create("late", USK_THREAD_CORE_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	usk_thread_send_msg(t, register_self_sending_poller_msg, NULL);
	usk_thread_poll(t, 0, 1);
	CU_ASSERT_FALSE(usk_thread_is_exited(t));
	g_late_rc = 1;
	g_order_len = 0;
	usk_thread_poll(t, 0, UINT64_MAX / 2);
	CU_ASSERT_TRUE(usk_thread_is_exited(t));
	/* The send its own queue's turn made was accepted and run; the drain's was refused. */
	CU_ASSERT_EQUAL(g_late_rc, -EIO);
	CU_ASSERT_EQUAL(g_order_len, 1);
	CU_ASSERT_FALSE(usk_thread_has_msgs(t));
	usk_thread_destroy(t);
}

/*
 * The exit deadline is on the clock the thread's polls are handed: polled
 * far from the CPU's clock, a thread kept by a poller is not forced out
 * before its deadline on that clock, and is at it.
 */
static void test_exit_deadline_on_the_poll_clock(void)
{
	struct usk_thread *t = usk_thread_create("kept", USK_THREAD_CORE_ANY);
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();
	uint64_t deadline = now + 5 * usk_ticks_hz();

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	usk_thread_send_msg(t, register_poller_msg, NULL);
	usk_thread_poll(t, 0, now);
	usk_thread_send_msg(t, exit_self_msg, NULL);
	usk_thread_poll(t, 0, now);
	CU_ASSERT_FALSE(usk_thread_is_exited(t));
	usk_thread_poll(t, 0, deadline - 1);
	CU_ASSERT_FALSE(usk_thread_is_exited(t));
	usk_thread_poll(t, 0, deadline);
	CU_ASSERT_TRUE(usk_thread_is_exited(t));
	usk_thread_destroy(t);
	g_poller = NULL;
}

static void exit_then_send_self_msg(void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_exit(usk_thread_get_current()), 0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(usk_thread_get_current(), record_msg, (void *)7), 0);
}

static void test_exit_waits_for_own_msgs(void)
{
	struct usk_thread *t = usk_thread_create("own-exit", USK_THREAD_CORE_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	g_order_len = 0;
	usk_thread_send_msg(t, exit_then_send_self_msg, NULL);
	usk_thread_poll(t, 0, 0);
	/* Its ring is empty, but a message it sent itself waits. */
	CU_ASSERT_EQUAL(g_order_len, 0);
	CU_ASSERT_FALSE(usk_thread_is_exited(t));
	usk_thread_poll(t, 0, 0);
	CU_ASSERT_EQUAL(g_order_len, 1);
	CU_ASSERT_EQUAL(g_order[0], 7);
	CU_ASSERT_TRUE(usk_thread_is_exited(t));
	CU_ASSERT_EQUAL(usk_thread_send_msg(t, record_msg, NULL), -EIO);
	usk_thread_destroy(t);
}

/*
 * A pthread sends numbered messages; each, run on the thread, sends the
 * thread an echo of its number. Every message and every echo runs exactly
 * once, each stream in order.
 */
#define MIXED_MSGS 50000

static uint8_t g_mixed_runs[MIXED_MSGS];
static uint8_t g_mixed_echoes[MIXED_MSGS];
static uint32_t g_mixed_next, g_mixed_next_echo, g_mixed_out_of_order;
static struct usk_thread *g_mixed_thread;

static void mixed_echo_msg(void *ctx)
{
	uint32_t i = (uint32_t)(uintptr_t)ctx;

	g_mixed_out_of_order += i != g_mixed_next_echo;
	g_mixed_next_echo = i + 1;
	g_mixed_echoes[i]++;
}

static void mixed_remote_msg(void *ctx)
{
	uint32_t i = (uint32_t)(uintptr_t)ctx;

	g_mixed_out_of_order += i != g_mixed_next;
	g_mixed_next = i + 1;
	g_mixed_runs[i]++;
	CU_ASSERT_EQUAL(usk_thread_send_msg(usk_thread_get_current(), mixed_echo_msg, ctx), 0);
}

static void *mixed_send_main(void *arg)
{
	for (uintptr_t i = 0; i < MIXED_MSGS; i++) {
		while (usk_thread_send_msg(g_mixed_thread, mixed_remote_msg, (void *)i) ==
		       -ENOMEM) {
			sched_yield();
		}
	}
	return NULL;
}

static void test_self_and_remote_msgs_each_run_once(void)
{
	pthread_t sender;
	uint32_t once = 0;

	g_mixed_thread = usk_thread_create("mixed", USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_mixed_thread);
	pthread_create(&sender, NULL, mixed_send_main, NULL);
	while (g_mixed_next_echo < MIXED_MSGS) {
		usk_thread_poll(g_mixed_thread, 0, 0);
	}
	pthread_join(sender, NULL);
	CU_ASSERT_FALSE(usk_thread_has_msgs(g_mixed_thread));
	for (uint32_t i = 0; i < MIXED_MSGS; i++) {
		once += g_mixed_runs[i] == 1 && g_mixed_echoes[i] == 1;
	}
	CU_ASSERT_EQUAL(once, MIXED_MSGS);
	CU_ASSERT_EQUAL(g_mixed_out_of_order, 0);
	usk_thread_send_msg(g_mixed_thread, exit_self_msg, NULL);
	usk_thread_poll(g_mixed_thread, 0, 0);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_mixed_thread));
	usk_thread_destroy(g_mixed_thread);
}

static int g_scheduled;

static int refuse_odd_schedule(struct usk_thread *t, int core_hint)
{
	g_scheduled++;
	CU_ASSERT_EQUAL(usk_thread_get_core_hint(t), core_hint);
	return core_hint % 2 ? -EBUSY : 0;
}

static void test_schedule_function_places_or_refuses_threads(void)
{
	struct usk_thread *t;

	usk_thread_lib_fini();
	CU_ASSERT_EQUAL(usk_thread_lib_init(refuse_odd_schedule), 0);
	CU_ASSERT_EQUAL(usk_thread_lib_init(NULL), -EALREADY);
	t = usk_thread_create("even", 2);
	CU_ASSERT_PTR_NOT_NULL(t);
	CU_ASSERT_PTR_NULL(usk_thread_create("odd", 1));
	CU_ASSERT_EQUAL(g_scheduled, 2);
	usk_thread_send_msg(t, exit_self_msg, NULL);
	usk_thread_poll(t, 0, 0);
	usk_thread_destroy(t);
	/* A thread its creator polls is not offered to the schedule function. */
	t = usk_thread_create("polled by its creator", USK_THREAD_CORE_NONE);
	CU_ASSERT_PTR_NOT_NULL(t);
	CU_ASSERT_EQUAL(g_scheduled, 2);
	CU_ASSERT_EQUAL(usk_thread_get_core_hint(t), USK_THREAD_CORE_NONE);
	usk_thread_send_msg(t, exit_self_msg, NULL);
	usk_thread_poll(t, 0, 0);
	CU_ASSERT_TRUE(usk_thread_is_exited(t));
	usk_thread_destroy(t);
	usk_thread_lib_fini();
	CU_ASSERT_PTR_NULL(usk_thread_create("uninitialised", USK_THREAD_CORE_ANY));
	CU_ASSERT_EQUAL(usk_thread_lib_init(NULL), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_send_msg_runs_in_order_on_the_thread),
		UT_TEST(test_poll_limits_messages),
		UT_TEST(test_exit_waits_for_pollers_and_drains_messages),
		UT_TEST(test_destroy_frees_unrun_messages),
		UT_TEST(test_messages_sent_during_exit_run_or_are_refused),
		UT_TEST(test_for_each_visits_every_thread_then_completes),
		UT_TEST(test_for_each_waits_for_a_full_thread),
		UT_TEST(test_exit_waits_for_walks_it_started),
		UT_TEST(test_messages_from_several_senders_keep_their_order),
		UT_TEST(test_self_msgs_run_once_in_order_within_the_batch),
		UT_TEST(test_full_own_queue_refuses_with_enomem),
		UT_TEST(test_self_send_refused_after_exit),
		UT_TEST(test_exit_deadline_on_the_poll_clock),
		UT_TEST(test_exit_waits_for_own_msgs),
		UT_TEST(test_self_and_remote_msgs_each_run_once),
		UT_TEST(test_schedule_function_places_or_refuses_threads),
	};
	int rc;

	if (usk_thread_lib_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("thread", tests);
	usk_thread_lib_fini();
	return rc;
}
