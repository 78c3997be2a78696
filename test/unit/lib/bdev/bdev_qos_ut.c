/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_qos.c: the IOPS and bandwidth token buckets hold their limits over 2 s
 * of real time, against the test module, which holds every I/O until told.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "usk/ticks.h"
#include "ut_bdev_module.h"

/* QoS: a user keeps 16 reads in flight for 2 s; the module answers at once. */
static bool g_qos_running;
static int g_qos_inflight;

static void qos_io_done(struct usk_bdev_io *io, bool success, void *cb_arg)
{
	struct user *u = cb_arg;

	u->done++;
	g_qos_inflight--;
	usk_bdev_free_io(io);
	/* Counted, not asserted: a million asserts would be the test's cost. */
	if (g_qos_running) {
		if (usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 8, qos_io_done, u) != 0) {
			u->failed++;
		} else {
			g_qos_inflight++;
		}
	}
}

static void qos_start(void *ctx)
{
	struct user *u = &g_users[0];
	uint64_t *limits = ctx;

	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, limits[0], limits[1]), 0);
	for (int i = 0; i < 16; i++) {
		int rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 8, qos_io_done, u);

		CU_ASSERT_EQUAL(rc, 0);
		g_qos_inflight += rc == 0;
	}
}

static void qos_off(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 0, 0), 0);
}

/* Runs the QoS load for 2 s of real time; returns the I/O done. */
static int qos_run(uint64_t ios_per_s, uint64_t mbytes_per_s)
{
	uint64_t limits[2] = {ios_per_s, mbytes_per_s};
	uint64_t end;

	g_users[0].done = 0;
	g_users[0].failed = 0;
	g_qos_running = true;
	on_thread(0, qos_start, limits);
	end = usk_ticks() + 2 * usk_ticks_hz();
	while (usk_ticks() < end) {
		/* The module answers on the thread, as a real one would. */
		usk_thread_send_msg(g_ut_threads[0], module_complete_all, NULL);
		usk_thread_poll(g_ut_threads[0], 0, 0);
	}
	g_qos_running = false;
	on_thread(0, qos_off, NULL);
	/* Some may still wait in the channel's QoS queue: drain to the last. */
	while (g_qos_inflight > 0) {
		usk_thread_send_msg(g_ut_threads[0], module_complete_all, NULL);
		usk_thread_poll(g_ut_threads[0], 0, 0);
	}
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	return g_users[0].done;
}

static void test_qos_holds_limits(void)
{
	uint64_t ios, mbytes;
	int done;

	setup();
	/* 4000 IOPS: 8000 in 2 s, within 10 %. */
	done = qos_run(4000, 0);
	CU_ASSERT_TRUE(done >= 7200 && done <= 8800);
	/* 8 MiB/s of 4 KiB reads: 2048 IOPS, 4096 in 2 s. */
	done = qos_run(0, 8);
	CU_ASSERT_TRUE(done >= 3686 && done <= 4506);
	usk_bdev_get_qos_limit(&g_bdev, &ios, &mbytes);
	CU_ASSERT_EQUAL(ios, 0);
	CU_ASSERT_EQUAL(mbytes, 0);
	/* No limit: far more. */
	CU_ASSERT_TRUE(qos_run(0, 0) > 20000);
	teardown();
}

static void set_too_large_limits(void *ctx)
{
	uint64_t ios, mbytes;

	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 100, 10), 0);
	/* In bytes this would wrap to 1 MiB/s. */
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 0, (1ull << 44) + 1), -ERANGE);
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 0, USK_BDEV_QOS_MAX_MBYTES_PER_S + 1),
			-ERANGE);
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, (uint64_t)INT64_MAX + 1, 0), -ERANGE);
	/* Refused: what was set stays. */
	usk_bdev_get_qos_limit(&g_bdev, &ios, &mbytes);
	CU_ASSERT_EQUAL(ios, 100);
	CU_ASSERT_EQUAL(mbytes, 10);
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, USK_BDEV_QOS_MAX_IOS_PER_S,
					       USK_BDEV_QOS_MAX_MBYTES_PER_S),
			0);
	usk_bdev_get_qos_limit(&g_bdev, &ios, &mbytes);
	CU_ASSERT_EQUAL(ios, USK_BDEV_QOS_MAX_IOS_PER_S);
	CU_ASSERT_EQUAL(mbytes, USK_BDEV_QOS_MAX_MBYTES_PER_S);
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 0, 0), 0);
}

/* Limits too large to count in the signed buckets are refused, not wrapped. */
static void test_qos_refuses_limits_too_large(void)
{
	setup();
	on_thread(0, set_too_large_limits, NULL);
	teardown();
}

static void set_largest_iops(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, USK_BDEV_QOS_MAX_IOS_PER_S, 0), 0);
}

static void read_one(void *ctx)
{
	struct user *u = &g_users[0];

	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 8, io_done, u), 0);
}

/*
 * At the largest rate, what a long gap between refills earns is more than
 * the signed bucket holds: it is capped, not wrapped (the bucket went
 * negative and held every I/O for a second).
 */
static void test_qos_largest_rate_after_a_long_gap(void)
{
	struct timespec gap = {.tv_sec = 1, .tv_nsec = 200000000};

	setup();
	on_thread(0, set_largest_iops, NULL);
	nanosleep(&gap, NULL);
	/* The refill poller is due: it runs before the read is sent. */
	usk_thread_poll(g_ut_threads[0], 0, 0);
	on_thread(0, read_one, NULL);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 1);
	on_thread(0, module_complete_all, NULL);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	on_thread(0, qos_off, NULL);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_qos_holds_limits),
		UT_TEST(test_qos_refuses_limits_too_large),
		UT_TEST(test_qos_largest_rate_after_a_long_gap),
	};

	return UT_BDEV_MODULE_RUN("bdev_qos", tests);
}
