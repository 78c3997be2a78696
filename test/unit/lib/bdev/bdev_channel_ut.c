/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_channel.c: a channel's bdev_io cache and its wait for a free bdev_io,
 * against the test module, which holds every I/O until the test completes it.
 */
#include <errno.h>
#include <string.h>

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

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_waiting_for_a_free_bdev_io),
	};

	return UT_BDEV_MODULE_RUN("bdev_channel", tests);
}
