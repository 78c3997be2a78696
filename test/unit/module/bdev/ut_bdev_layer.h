/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the bdev modules' tests: the built-in modules and the bdev layer set
 * up on one thread polled by hand, and torn down after the tests.
 */
#ifndef USK_TEST_UT_BDEV_LAYER_H
#define USK_TEST_UT_BDEV_LAYER_H

#include "bdev_internal.h"
#include "bdev_modules.h"
#include "ut.h"
#include "ut_thread.h"

static inline void ut_bdev_layer_init_msg(void *ctx)
{
	*(int *)ctx = bdev_layer_init(256);
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
