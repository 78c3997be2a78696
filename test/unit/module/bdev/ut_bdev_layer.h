/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the bdev modules' tests: the built-in modules and the bdev layer set
 * up on one thread polled by hand, and torn down after the tests.
 */
#ifndef USK_TEST_UT_BDEV_LAYER_H
#define USK_TEST_UT_BDEV_LAYER_H

#include <sched.h>
#include <time.h>

#include "bdev_internal.h"
#include "bdev_modules.h"
#include "ut.h"
#include "ut_thread.h"

/* A test's user of one bdev: its descriptor and channel, and what its I/O and events came to. */
struct ut_bdev_user {
	const char *name;
	struct usk_bdev_desc *desc;
	struct usk_io_channel *ch;
	int done, failed, sct, sc;
	int removes, resizes;
};

/* An I/O callback: counts the I/O into the ut_bdev_user @arg, then frees it. */
static inline void ut_bdev_io_count(struct usk_bdev_io *io, bool success, void *arg)
{
	struct ut_bdev_user *u = arg;

	u->done++;
	u->failed += !success;
	usk_bdev_io_get_nvme_status(io, &u->sct, &u->sc);
	usk_bdev_free_io(io);
}

/* An event callback: counts the event into the ut_bdev_user @ctx. */
static inline void ut_bdev_count_event(enum usk_bdev_event_type type, struct usk_bdev *bdev,
				       void *ctx)
{
	struct ut_bdev_user *u = ctx;

	u->removes += type == USK_BDEV_EVENT_REMOVE;
	u->resizes += type == USK_BDEV_EVENT_RESIZE;
}

/* A message: opens the ut_bdev_user @ctx's bdev for writing, with a channel. */
static inline void ut_bdev_open_msg(void *ctx)
{
	struct ut_bdev_user *u = ctx;

	CU_ASSERT_EQUAL_FATAL(usk_bdev_open(u->name, true, ut_bdev_count_event, u, &u->desc), 0);
	u->ch = usk_bdev_get_io_channel(u->desc);
	CU_ASSERT_PTR_NOT_NULL(u->ch);
}

/* A message: releases the channel and closes the descriptor of the ut_bdev_user @ctx. */
static inline void ut_bdev_close_msg(void *ctx)
{
	struct ut_bdev_user *u = ctx;

	usk_io_channel_put(u->ch);
	usk_bdev_close(u->desc);
	u->desc = NULL;
	u->ch = NULL;
}

/* A module delete callback: counts successful deletes into the int @arg. */
static inline void ut_bdev_count_deleted(void *arg, int rc)
{
	*(int *)arg += rc == 0;
}

/* Runs @fn(@ctx) on @thread and polls it until all is quiet. */
static inline void ut_bdev_on_thread(struct usk_thread *thread, usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(thread, fn, ctx), 0);
	ut_poll_threads(&thread, 1);
}

/* Polls @thread until *@counter reaches @want, for up to 5 s of real time. */
static inline void ut_bdev_poll_until(struct usk_thread *thread, const int *counter, int want)
{
	time_t end = time(NULL) + 5;

	while (*counter < want && time(NULL) <= end) {
		if (usk_thread_poll(thread, 0, 0) == 0) {
			sched_yield();
		}
	}
	CU_ASSERT_EQUAL(*counter, want);
}

/* bdev_ios in the layer's pool; a test that needs more in flight defines it first. */
#ifndef UT_BDEV_POOL_SIZE
#define UT_BDEV_POOL_SIZE 256
#endif

static inline void ut_bdev_layer_init_msg(void *ctx)
{
	*(int *)ctx = bdev_layer_init(UT_BDEV_POOL_SIZE);
}

static inline void ut_bdev_layer_fini_msg(void *ctx)
{
	bdev_layer_fini();
	usk_thread_exit(usk_thread_get_current());
}

/*
 * Sets up the layer on a new thread stored in *@thread, runs the tests of
 * @suite, and tears everything down. Returns ut_run()'s status, or 99 when
 * the set-up failed.
 */
static inline int ut_bdev_layer_run(const char *suite, const struct ut_test *tests, size_t count,
				    struct usk_thread **thread)
{
	int rc = -1;

	if (usk_thread_lib_init(NULL) != 0 || bdev_modules_register() != 0) {
		return 99;
	}
	*thread = usk_thread_create(suite, USK_THREAD_CORE_ANY);
	if (*thread == NULL) {
		return 99;
	}
	usk_thread_send_msg(*thread, ut_bdev_layer_init_msg, &rc);
	ut_poll_threads(thread, 1);
	if (rc != 0) {
		return 99;
	}
	rc = ut_run(suite, tests, count);
	usk_thread_send_msg(*thread, ut_bdev_layer_fini_msg, NULL);
	ut_poll_threads(thread, 1);
	rc |= !usk_thread_is_exited(*thread);
	usk_thread_destroy(*thread);
	usk_thread_lib_fini();
	return rc;
}

#endif /* USK_TEST_UT_BDEV_LAYER_H */
