/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "usk/thread.h"
#include "usk/ticks.h"
#include "ut.h"
#include "ut_thread.h"

struct dev_ctx {
	int creates;
	int destroys;
	int unregistered;
	int fail_create;
	int unregister_in_create;  /* the device is unregistered while a create runs */
	int unregister_in_destroy; /* ... and elsewhere while a destroy runs */
};

struct chan_ctx {
	struct dev_ctx *dev;
	int visits;
	uint64_t marker;
};

static struct dev_ctx g_dev;
static struct usk_thread *g_threads[3];
static struct usk_io_channel *g_ch[3];

/* The destroy that waits has begun; the other pthread's unregister has had its chance. */
static atomic_bool g_destroy_running;
static atomic_bool g_unregister_tried;
static int g_unregister_send_rc;

static void dev_unregistered(void *io_device)
{
	((struct dev_ctx *)io_device)->unregistered++;
}

static int chan_create(void *io_device, void *ctx)
{
	struct dev_ctx *d = io_device;
	struct chan_ctx *c = ctx;

	if (d->unregister_in_create) {
		CU_ASSERT_EQUAL(usk_io_device_unregister(d, dev_unregistered), 0);
	}
	if (d->fail_create) {
		return -ENODEV;
	}
	CU_ASSERT_EQUAL(c->marker, 0);
	c->dev = d;
	c->marker = 0xfeed;
	d->creates++;
	return 0;
}

static void chan_destroy(void *io_device, void *ctx)
{
	struct chan_ctx *c = ctx;

	CU_ASSERT_EQUAL(c->marker, 0xfeed);
	if (c->dev->unregister_in_destroy) {
		atomic_store(&g_destroy_running, true);
		while (!atomic_load(&g_unregister_tried)) {
			sched_yield();
		}
		/* The device's owner could free what this function still uses. */
		CU_ASSERT_EQUAL(c->dev->unregistered, 0);
	}
	c->dev->destroys++;
}

static int thread_index(void)
{
	for (int i = 0; i < 3; i++) {
		if (g_threads[i] == usk_thread_get_current()) {
			return i;
		}
	}
	return -1;
}

static void get_channel(void *ctx)
{
	g_ch[thread_index()] = usk_io_channel_get(ctx);
}

static void put_channel(void *ctx)
{
	usk_io_channel_put(g_ch[thread_index()]);
}

/* Runs @fn(@ctx) on thread @i and polls until all is quiet. */
static void on_thread(int i, void (*fn)(void *ctx), void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[i], fn, ctx), 0);
	ut_poll_threads(g_threads, 3);
}

static void setup_device(void)
{
	memset(&g_dev, 0, sizeof(g_dev));
	memset(g_ch, 0, sizeof(g_ch));
	CU_ASSERT_EQUAL(usk_io_device_register(&g_dev, chan_create, chan_destroy,
					       sizeof(struct chan_ctx), "dev"),
			0);
}

static void unregister_device(void *ctx)
{
	CU_ASSERT_EQUAL(usk_io_device_unregister(&g_dev, dev_unregistered), 0);
}

static void test_channel_created_on_first_get_destroyed_after_last_put(void)
{
	struct usk_io_channel *first;

	setup_device();
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_ch[0]);
	first = g_ch[0];
	CU_ASSERT_EQUAL(g_dev.creates, 1);
	CU_ASSERT_PTR_EQUAL(usk_io_channel_get_thread(first), g_threads[0]);
	CU_ASSERT_PTR_EQUAL(usk_io_channel_get_io_device(first), &g_dev);
	CU_ASSERT_EQUAL(((struct chan_ctx *)usk_io_channel_get_ctx(first))->marker, 0xfeed);
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_PTR_EQUAL(g_ch[0], first);
	CU_ASSERT_EQUAL(g_dev.creates, 1);

	on_thread(0, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.destroys, 0);
	on_thread(0, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	on_thread(0, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

static void put_then_get(void *ctx)
{
	usk_io_channel_put(g_ch[0]);
	g_ch[0] = usk_io_channel_get(&g_dev);
}

static void test_get_after_last_put_keeps_the_channel(void)
{
	setup_device();
	on_thread(0, get_channel, &g_dev);
	on_thread(0, put_then_get, NULL);
	CU_ASSERT_EQUAL(g_dev.creates, 1);
	CU_ASSERT_EQUAL(g_dev.destroys, 0);
	on_thread(0, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	on_thread(0, unregister_device, NULL);
}

/* What usk_thread_for_each_io_channel showed, as "name:ref," for each channel. */
static char g_channels_seen[128];

static void note_channel(const struct usk_io_channel_info *info, void *ctx)
{
	size_t len = strlen(g_channels_seen);

	snprintf(g_channels_seen + len, sizeof(g_channels_seen) - len, "%s:%u,", info->name,
		 info->ref);
	*(int *)ctx += 1;
}

static void list_channels(void *ctx)
{
	g_channels_seen[0] = '\0';
	usk_thread_for_each_io_channel(note_channel, ctx);
}

static struct dev_ctx g_dev2;

static void get_channel_2(void *ctx)
{
	CU_ASSERT_PTR_NOT_NULL(usk_io_channel_get(&g_dev2));
}

static void put_channel_2(void *ctx)
{
	struct usk_io_channel *ch = usk_io_channel_get(&g_dev2);

	/* The get above took one more. */
	usk_io_channel_put(ch);
	usk_io_channel_put(ch);
}

static void unregister_device_2(void *ctx)
{
	CU_ASSERT_EQUAL(usk_io_device_unregister(&g_dev2, dev_unregistered), 0);
}

/* 62 bytes of ASCII, then a 2-byte character across the 63 a name keeps. */
#define NAME_CUT_IN_A_CHARACTER \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9"

/*
 * Names too long to keep are cut on a whole UTF-8 character: cut inside
 * one, a bdev's name in thread_get_io_channels was text that JSON cannot
 * carry, and the RPC failed.
 */
static void test_long_names_are_cut_on_a_character(void)
{
	struct usk_thread *t = usk_thread_create(NAME_CUT_IN_A_CHARACTER, USK_THREAD_CORE_ANY);
	int calls = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(strlen(usk_thread_get_name(t)), 62);
	usk_thread_destroy(t);
	memset(&g_dev2, 0, sizeof(g_dev2));
	CU_ASSERT_EQUAL(usk_io_device_register(&g_dev2, chan_create, chan_destroy,
					       sizeof(struct chan_ctx), NAME_CUT_IN_A_CHARACTER),
			0);
	on_thread(0, get_channel_2, NULL);
	on_thread(0, list_channels, &calls);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(strlen(g_channels_seen), 62 + strlen(":1,"));
	on_thread(0, put_channel_2, NULL);
	on_thread(0, unregister_device_2, NULL);
	CU_ASSERT_EQUAL(g_dev2.unregistered, 1);
}

/* Each thread's own channels, in the order first got, with their references. */
static void test_for_each_io_channel_lists_the_threads_channels(void)
{
	int calls = 0;

	setup_device();
	memset(&g_dev2, 0, sizeof(g_dev2));
	CU_ASSERT_EQUAL(usk_io_device_register(&g_dev2, chan_create, chan_destroy,
					       sizeof(struct chan_ctx), "second_dev"),
			0);
	on_thread(0, get_channel_2, NULL);
	on_thread(0, get_channel, &g_dev);
	on_thread(0, get_channel, &g_dev);
	on_thread(1, get_channel, &g_dev);
	on_thread(0, list_channels, &calls);
	CU_ASSERT_STRING_EQUAL(g_channels_seen, "second_dev:1,dev:2,");
	CU_ASSERT_EQUAL(calls, 2);
	on_thread(1, list_channels, &calls);
	CU_ASSERT_STRING_EQUAL(g_channels_seen, "dev:1,");
	on_thread(2, list_channels, &calls);
	CU_ASSERT_STRING_EQUAL(g_channels_seen, "");
	CU_ASSERT_EQUAL(calls, 3);
	/* Off any thread: nothing to list. */
	usk_thread_for_each_io_channel(note_channel, &calls);
	CU_ASSERT_EQUAL(calls, 3);
	/* A channel destroyed after its last put is gone from the list. */
	on_thread(0, put_channel_2, NULL);
	on_thread(0, put_channel, NULL);
	on_thread(0, list_channels, &calls);
	CU_ASSERT_STRING_EQUAL(g_channels_seen, "dev:1,");
	on_thread(0, put_channel, NULL);
	on_thread(1, put_channel, NULL);
	on_thread(0, list_channels, &calls);
	CU_ASSERT_STRING_EQUAL(g_channels_seen, "");
	on_thread(0, unregister_device, NULL);
	on_thread(0, unregister_device_2, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered + g_dev2.unregistered, 2);
}

static int g_cpl_status = -1;
static int g_cpl_calls;
static int g_stop_at = -1;

static void visit_channel(struct usk_io_channel_iter *iter)
{
	struct chan_ctx *c = usk_io_channel_get_ctx(usk_io_channel_iter_get_channel(iter));
	int i = thread_index();

	CU_ASSERT_PTR_EQUAL(usk_io_channel_get_thread(usk_io_channel_iter_get_channel(iter)),
			    usk_thread_get_current());
	CU_ASSERT_PTR_EQUAL(usk_io_channel_iter_get_io_device(iter), &g_dev);
	CU_ASSERT_PTR_EQUAL(usk_io_channel_iter_get_ctx(iter), &g_cpl_calls);
	c->visits++;
	usk_io_channel_iter_continue(iter, i == g_stop_at ? -EAGAIN : 0);
}

static void walk_done(struct usk_io_channel_iter *iter, int status)
{
	CU_ASSERT_EQUAL(thread_index(), 1);
	CU_ASSERT_PTR_NULL(usk_io_channel_iter_get_channel(iter));
	g_cpl_status = status;
	g_cpl_calls++;
}

static void start_walk(void *ctx)
{
	CU_ASSERT_EQUAL(usk_io_channel_for_each(&g_dev, visit_channel, &g_cpl_calls, walk_done), 0);
}

static int visits(int i)
{
	return ((struct chan_ctx *)usk_io_channel_get_ctx(g_ch[i]))->visits;
}

static void test_for_each_visits_every_channel_then_completes(void)
{
	setup_device();
	/* Threads 0 and 2 hold a channel; the walk starts on thread 1, which does not. */
	on_thread(0, get_channel, &g_dev);
	on_thread(2, get_channel, &g_dev);
	on_thread(1, start_walk, NULL);
	CU_ASSERT_EQUAL(visits(0), 1);
	CU_ASSERT_EQUAL(visits(2), 1);
	CU_ASSERT_EQUAL(g_cpl_calls, 1);
	CU_ASSERT_EQUAL(g_cpl_status, 0);

	/* A visit that fails ends the walk with its status. */
	g_stop_at = 0;
	on_thread(1, start_walk, NULL);
	CU_ASSERT_EQUAL(visits(0), 2);
	CU_ASSERT_EQUAL(visits(2), 1);
	CU_ASSERT_EQUAL(g_cpl_calls, 2);
	CU_ASSERT_EQUAL(g_cpl_status, -EAGAIN);
	g_stop_at = -1;

	on_thread(0, put_channel, NULL);
	on_thread(2, put_channel, NULL);
	on_thread(1, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.destroys, 2);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

/* A visit that releases the thread's channel, as a walk that closes channels does. */
static void visit_and_put(struct usk_io_channel_iter *iter)
{
	usk_io_channel_put(usk_io_channel_iter_get_channel(iter));
	usk_io_channel_iter_continue(iter, 0);
}

/* The device must still be there: a completion may look at it (bdev_stat's does). */
static void walk_done_device_kept(struct usk_io_channel_iter *iter, int status)
{
	CU_ASSERT_PTR_EQUAL(usk_io_channel_iter_get_io_device(iter), &g_dev);
	CU_ASSERT_EQUAL(g_dev.unregistered, 0);
	CU_ASSERT_EQUAL(status, 0);
	g_cpl_calls++;
}

static void start_releasing_walk(void *ctx)
{
	CU_ASSERT_EQUAL(usk_io_channel_for_each(&g_dev, visit_and_put, NULL, walk_done_device_kept),
			0);
}

/*
 * A device unregistered while a walk over its channels is under way
 * reports only after the walk's completion: the done callback may free
 * what the completion still uses (a bdev deleted during bdev_get_iostat),
 * and the device itself was freed before (the completion read it after).
 * Threads are polled one at a time so the report comes before the walk's
 * completion.
 */
static void test_unregister_waits_for_a_walk_in_progress(void)
{
	setup_device();
	g_cpl_calls = 0;
	on_thread(0, get_channel, &g_dev);
	/* Thread 1 starts the walk; thread 2 unregisters while it is on its way to thread 0. */
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[1], start_releasing_walk, NULL), 0);
	usk_thread_poll(g_threads[1], 0, 0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[2], unregister_device, NULL), 0);
	usk_thread_poll(g_threads[2], 0, 0);
	/* The visit, then the channel's deferred destroy. */
	usk_thread_poll(g_threads[0], 0, 0);
	usk_thread_poll(g_threads[0], 0, 0);
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	usk_thread_poll(g_threads[2], 0, 0);
	CU_ASSERT_EQUAL(g_dev.unregistered, 0);
	ut_poll_threads(g_threads, 3);
	CU_ASSERT_EQUAL(g_cpl_calls, 1);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

static void unregister_then_walk(void *ctx)
{
	CU_ASSERT_EQUAL(usk_io_device_unregister(&g_dev, dev_unregistered), 0);
	CU_ASSERT_EQUAL(usk_io_channel_for_each(&g_dev, visit_and_put, NULL, walk_done_device_kept),
			-ENOENT);
}

/* A walk asked for once an unregister has nothing left to wait for is refused, as a get is. */
static void test_walk_refused_once_the_unregister_reports(void)
{
	setup_device();
	g_cpl_calls = 0;
	on_thread(0, unregister_then_walk, NULL);
	CU_ASSERT_EQUAL(g_cpl_calls, 0);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

static void test_unregister_waits_for_the_last_channel(void)
{
	setup_device();
	on_thread(0, get_channel, &g_dev);
	on_thread(1, get_channel, &g_dev);
	on_thread(2, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 0);
	/* No new channel once unregistering. */
	on_thread(2, get_channel, &g_dev);
	CU_ASSERT_PTR_NULL(g_ch[2]);
	CU_ASSERT_EQUAL(usk_io_device_unregister(&g_dev, dev_unregistered), -EINVAL);
	on_thread(0, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 0);
	on_thread(1, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
	CU_ASSERT_EQUAL(g_dev.destroys, 2);
}

static struct usk_thread *g_swapped_out;

/* Puts a new thread called @name in slot 2, for a test that ends it. */
static void swap_in_thread(const char *name)
{
	g_swapped_out = g_threads[2];
	g_threads[2] = usk_thread_create(name, USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_threads[2]);
}

/* Destroys the thread of slot 2 and puts the usual one back. */
static void swap_out_thread(void)
{
	usk_thread_destroy(g_threads[2]);
	g_threads[2] = g_swapped_out;
}

static void exit_self(void *ctx)
{
	usk_thread_exit(usk_thread_get_current());
}

static void test_thread_exit_waits_for_its_channel(void)
{
	swap_in_thread("exiting");
	setup_device();
	on_thread(2, get_channel, &g_dev);
	on_thread(2, exit_self, NULL);
	CU_ASSERT_FALSE(usk_thread_is_exited(g_threads[2]));
	on_thread(2, put_channel, NULL);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_threads[2]));
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	swap_out_thread();
	on_thread(0, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

/*
 * A thread that unregistered a device and is asked to exit stays until the
 * device's done callback has run on it (bdevperf's job thread was freed
 * first, and the callback's message went to freed memory).
 */
static void test_thread_exit_waits_for_its_unregister(void)
{
	swap_in_thread("unregistering");
	setup_device();
	on_thread(0, get_channel, &g_dev);
	on_thread(2, unregister_device, NULL);
	on_thread(2, exit_self, NULL);
	CU_ASSERT_FALSE(usk_thread_is_exited(g_threads[2]));
	on_thread(0, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_threads[2]));
	swap_out_thread();
}

static int g_walk_done_on = -1;

static void walk_done_on_any_thread(struct usk_io_channel_iter *iter, int status)
{
	g_walk_done_on = thread_index();
	g_cpl_status = status;
}

static void start_walk_then_exit(void *ctx)
{
	CU_ASSERT_EQUAL(usk_io_channel_for_each(&g_dev, visit_channel, &g_cpl_calls,
						walk_done_on_any_thread),
			0);
	usk_thread_exit(usk_thread_get_current());
}

/*
 * A thread that started a channel walk and then exits stays until the
 * walk's completion has run on it: it exited at once, and the completion,
 * sent to an exited thread, was lost.
 */
static void test_thread_exit_waits_for_its_walk(void)
{
	swap_in_thread("walking");
	setup_device();
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[2], start_walk_then_exit, NULL), 0);
	for (int round = 0; round < 10; round++) {
		usk_thread_poll(g_threads[2], 0, 0);
	}
	CU_ASSERT_FALSE(usk_thread_is_exited(g_threads[2]));
	ut_poll_threads(g_threads, 3);
	CU_ASSERT_EQUAL(visits(0), 1);
	CU_ASSERT_EQUAL(g_walk_done_on, 2);
	CU_ASSERT_EQUAL(g_cpl_status, 0);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_threads[2]));
	swap_out_thread();
	on_thread(0, put_channel, NULL);
	on_thread(0, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

/* An unregister that waited on a channel whose create then failed still completes. */
static void test_unregister_during_a_failed_create_completes(void)
{
	setup_device();
	g_dev.fail_create = 1;
	g_dev.unregister_in_create = 1;
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_PTR_NULL(g_ch[0]);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

/*
 * A thread forced out of its exit (its 5 s are up) while a device it
 * unregistered still has a channel elsewhere: the device reports on the
 * thread that releases that channel, after the forced thread is gone.
 */
static void test_forced_exit_hands_over_its_unregister(void)
{
	swap_in_thread("forced");
	setup_device();
	on_thread(0, get_channel, &g_dev);
	on_thread(2, unregister_device, NULL);
	on_thread(2, exit_self, NULL);
	CU_ASSERT_FALSE(usk_thread_is_exited(g_threads[2]));
	usk_thread_poll(g_threads[2], 0, usk_ticks() + 6 * usk_ticks_hz());
	CU_ASSERT_TRUE(usk_thread_is_exited(g_threads[2]));
	swap_out_thread();
	on_thread(0, put_channel, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

static void nothing(void *ctx)
{
}

/* Thread 0 releases its channel, as another pthread could at that moment. */
static void thread_0_puts_its_channel(void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[0], put_channel, NULL), 0);
	ut_poll_threads(g_threads, 1);
}

/*
 * The device's last channel goes while the thread that unregistered it is
 * being forced out, after its ring closed and before it hands its devices
 * over: the report it cannot take runs where the channel went (it was lost,
 * and the device stayed registered).
 */
static void test_forced_exit_reports_an_unregister_done_during_its_drain(void)
{
	swap_in_thread("forced late");
	setup_device();
	on_thread(0, get_channel, &g_dev);
	on_thread(2, unregister_device, NULL);
	on_thread(2, exit_self, NULL);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[2], nothing, NULL), 0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[2], thread_0_puts_its_channel, NULL), 0);
	/* One message now; the forced exit runs the other, its ring closed. */
	usk_thread_poll(g_threads[2], 1, usk_ticks() + 6 * usk_ticks_hz());
	CU_ASSERT_TRUE(usk_thread_is_exited(g_threads[2]));
	swap_out_thread();
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
	/* Freed: the same device can come again. */
	CU_ASSERT_EQUAL(usk_io_device_register(&g_dev, chan_create, chan_destroy,
					       sizeof(struct chan_ctx), "dev"),
			0);
	on_thread(0, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 2);
}

static void test_destroying_a_thread_releases_its_channels(void)
{
	swap_in_thread("torn down");
	setup_device();
	on_thread(2, get_channel, &g_dev);
	swap_out_thread();
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	on_thread(0, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

/* Another pthread: unregisters the device on thread 1 while thread 0's channel is being destroyed.
 */
static void *unregister_during_destroy(void *arg)
{
	/* Bounded, so a destroy that never comes fails the test instead of hanging it. */
	uint64_t deadline = usk_ticks() + 10 * usk_ticks_hz();

	while (!atomic_load(&g_destroy_running) && usk_ticks() < deadline) {
		sched_yield();
	}
	g_unregister_send_rc = usk_thread_send_msg(g_threads[1], unregister_device, NULL);
	deadline = usk_ticks() + usk_ticks_hz() / 10;
	do {
		usk_thread_poll(g_threads[1], 0, 0);
	} while (g_dev.unregistered == 0 && usk_ticks() < deadline);
	atomic_store(&g_unregister_tried, true);
	return NULL;
}

/*
 * A device unregistered on one thread while its last channel's destroy
 * function runs on another reports only after that function returns
 * (usk_bdevperf crashed after a hot-unplug: the bdev was freed under a job
 * thread still destroying its channel).
 */
static void test_unregister_waits_for_a_running_destroy(void)
{
	pthread_t other;

	setup_device();
	on_thread(0, get_channel, &g_dev);
	g_dev.unregister_in_destroy = 1;
	atomic_store(&g_destroy_running, false);
	atomic_store(&g_unregister_tried, false);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&other, NULL, unregister_during_destroy, NULL), 0);
	/* Thread 1 is the other pthread's to poll until it is done. */
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[0], put_channel, NULL), 0);
	ut_poll_threads(g_threads, 1);
	pthread_join(other, NULL);
	CU_ASSERT_EQUAL(g_unregister_send_rc, 0);
	ut_poll_threads(g_threads, 3);
	CU_ASSERT_EQUAL(g_dev.destroys, 1);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
}

static void test_bad_registrations_and_failed_creates(void)
{
	setup_device();
	CU_ASSERT_EQUAL(usk_io_device_register(&g_dev, chan_create, chan_destroy, 8, "again"),
			-EEXIST);
	CU_ASSERT_EQUAL(usk_io_device_register(NULL, chan_create, chan_destroy, 8, "null"),
			-EINVAL);
	CU_ASSERT_PTR_NULL(usk_io_channel_get(&g_dev));
	g_dev.fail_create = 1;
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_PTR_NULL(g_ch[0]);
	g_dev.fail_create = 0;
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_PTR_NOT_NULL(g_ch[0]);
	on_thread(0, put_channel, NULL);
	on_thread(0, unregister_device, NULL);
	CU_ASSERT_EQUAL(g_dev.unregistered, 1);
	on_thread(0, get_channel, &g_dev);
	CU_ASSERT_PTR_NULL(g_ch[0]);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_channel_created_on_first_get_destroyed_after_last_put),
		UT_TEST(test_get_after_last_put_keeps_the_channel),
		UT_TEST(test_for_each_visits_every_channel_then_completes),
		UT_TEST(test_unregister_waits_for_the_last_channel),
		UT_TEST(test_unregister_waits_for_a_walk_in_progress),
		UT_TEST(test_walk_refused_once_the_unregister_reports),
		UT_TEST(test_thread_exit_waits_for_its_channel),
		UT_TEST(test_thread_exit_waits_for_its_unregister),
		UT_TEST(test_thread_exit_waits_for_its_walk),
		UT_TEST(test_unregister_during_a_failed_create_completes),
		UT_TEST(test_forced_exit_hands_over_its_unregister),
		UT_TEST(test_forced_exit_reports_an_unregister_done_during_its_drain),
		UT_TEST(test_destroying_a_thread_releases_its_channels),
		UT_TEST(test_unregister_waits_for_a_running_destroy),
		UT_TEST(test_bad_registrations_and_failed_creates),
		UT_TEST(test_for_each_io_channel_lists_the_threads_channels),
		UT_TEST(test_long_names_are_cut_on_a_character),
	};
	int rc;

	if (usk_thread_lib_init(NULL) != 0) {
		return 99;
	}
	for (int i = 0; i < 3; i++) {
		g_threads[i] = usk_thread_create("io_channel_ut", USK_THREAD_CORE_ANY);
		if (g_threads[i] == NULL) {
			return 99;
		}
	}
	rc = UT_RUN("io_channel", tests);
	for (int i = 0; i < 3; i++) {
		usk_thread_send_msg(g_threads[i], exit_self, NULL);
	}
	ut_poll_threads(g_threads, 3);
	for (int i = 0; i < 3; i++) {
		rc |= !usk_thread_is_exited(g_threads[i]);
		usk_thread_destroy(g_threads[i]);
	}
	usk_thread_lib_fini();
	return rc;
}
