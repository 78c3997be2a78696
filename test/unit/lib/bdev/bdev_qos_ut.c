/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_qos.c: the IOPS and bandwidth token buckets hold their limits over 2 s
 * of mocked time (the ticks each poll is handed), against the test module,
 * which holds every I/O until told.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "usk/nvme_spec.h"
#include "usk/ticks.h"
#include "ut_bdev_module.h"
#include "ut_poller_refuse.h"

/* QoS: a user keeps 16 reads in flight; the module answers at each poll. */
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

/* Runs @fn(@ctx) on thread 0, polled at the mocked tick @now until quiet. */
static void on_thread_0_at(usk_msg_fn fn, void *ctx, uint64_t now)
{
	if (fn != NULL) {
		CU_ASSERT_EQUAL(usk_thread_send_msg(g_ut_threads[0], fn, ctx), 0);
	}
	for (int rounds = 0; usk_thread_poll(g_ut_threads[0], 0, now) != 0 && rounds < 1000;
	     rounds++) {
	}
}

/* A mocked tick far from the real clock's, so the two cannot mix. */
static uint64_t mocked_start(void)
{
	return usk_ticks() + 1000 * usk_ticks_hz();
}

/*
 * Runs the QoS load for 2 s of mocked time, polled every 100 us; returns
 * the I/O done. The module answers on the thread, as a real one would.
 */
static int qos_run_stepping_back(uint64_t ios_per_s, uint64_t mbytes_per_s, uint64_t back)
{
	uint64_t limits[2] = {ios_per_s, mbytes_per_s};
	uint64_t now = mocked_start(), step = usk_us_to_ticks(100);
	uint64_t half = now + usk_ticks_hz(), end = now + 2 * usk_ticks_hz();

	g_users[0].done = 0;
	g_users[0].failed = 0;
	g_qos_running = true;
	on_thread_0_at(qos_start, limits, now);
	for (; now < half; now += step) {
		on_thread_0_at(module_complete_all, NULL, now);
	}
	/* Halfway, the clock may go back by @back (a VM restored from a snapshot). */
	now -= back;
	end -= back;
	for (; now < end; now += step) {
		on_thread_0_at(module_complete_all, NULL, now);
	}
	g_qos_running = false;
	on_thread_0_at(qos_off, NULL, now);
	/* Some may still wait in the channel's QoS queue: drain to the last. */
	while (g_qos_inflight > 0) {
		now += step;
		on_thread_0_at(module_complete_all, NULL, now);
	}
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	return g_users[0].done;
}

static int qos_run(uint64_t ios_per_s, uint64_t mbytes_per_s)
{
	return qos_run_stepping_back(ios_per_s, mbytes_per_s, 0);
}

static void test_qos_holds_limits(void)
{
	uint64_t ios, mbytes;
	int done;

	setup();
	/*
	 * 4000 IOPS: 8000 in 2 s. On the mocked clock the only slack is one
	 * refill's worth (10 ms) below, and above the one I/O a bucket may owe
	 * plus the 16 that still wait when the limit is lifted.
	 */
	done = qos_run(4000, 0);
	CU_ASSERT_TRUE(done >= 7960 && done <= 8017);
	/* 8 MiB/s of 4 KiB reads: 2048 IOPS, 4096 in 2 s. */
	done = qos_run(0, 8);
	CU_ASSERT_TRUE(done >= 4076 && done <= 4113);
	usk_bdev_get_qos_limit(&g_bdev, &ios, &mbytes);
	CU_ASSERT_EQUAL(ios, 0);
	CU_ASSERT_EQUAL(mbytes, 0);
	/* No limit: far more. */
	CU_ASSERT_TRUE(qos_run(0, 0) > 20000);
	teardown();
}

/* A clock that goes back 600 s halfway changes nothing: the limit holds, and I/O flows. */
static void test_qos_holds_limits_across_a_clock_step_back(void)
{
	int done;

	setup();
	done = qos_run_stepping_back(4000, 0, 600 * usk_ticks_hz());
	CU_ASSERT_TRUE(done >= 7920 && done <= 8017);
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
	uint64_t now = mocked_start();

	setup();
	on_thread_0_at(set_largest_iops, NULL, now);
	/* 1.2 s later the refill poller is due: it runs before the read is sent. */
	now += usk_us_to_ticks(1200000);
	on_thread_0_at(NULL, NULL, now);
	on_thread_0_at(read_one, NULL, now);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 1);
	on_thread_0_at(module_complete_all, NULL, now);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	on_thread_0_at(qos_off, NULL, now);
	teardown();
}

static void set_limits(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limits(&g_bdev, ctx), 0);
}

/* Four reads, or four writes, of 4 KiB, as ctx says. */
static void submit_four(void *ctx)
{
	struct user *u = &g_users[0];
	bool reads = *(enum usk_bdev_io_type *)ctx == USK_BDEV_IO_TYPE_READ;

	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(
			reads ? usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 8, io_done, u)
			      : usk_bdev_write_blocks(u->desc, u->ch, g_buf, 8, 8, io_done, u),
			0);
	}
}

/* How many I/O of @type the module holds. */
static int module_holds(enum usk_bdev_io_type type)
{
	int n = 0;

	for (int i = 0; i < g_module_channels[0].count; i++) {
		n += g_module_channels[0].ios[i]->type == type;
	}
	return n;
}

/*
 * A read-only (or write-only) bandwidth limit holds back only that
 * direction. On a mocked clock: the buckets start empty, so at first every
 * read waits while every write goes; 10 ms then earn 1 MiB/s * 10 ms = 10485
 * bytes, which let exactly three 4 KiB reads through (the bucket may go into
 * debt by one I/O), and the fourth waits for more.
 */
static void assert_one_direction_held(struct usk_bdev_qos_limits *limits,
				      enum usk_bdev_io_type held, enum usk_bdev_io_type free)
{
	static struct usk_bdev_qos_limits off;
	uint64_t t0 = mocked_start(), ms = usk_us_to_ticks(1000);

	memset(g_module_channels, 0, sizeof(g_module_channels));
	g_users[0].done = 0;
	on_thread_0_at(set_limits, limits, t0);
	/*
	 * The other direction first: a channel sends held-back I/O in order, so
	 * (as in SPDK) what comes after a held read waits behind it.
	 */
	on_thread_0_at(submit_four, &free, t0);
	on_thread_0_at(submit_four, &held, t0);
	CU_ASSERT_EQUAL(module_holds(free), 4);
	CU_ASSERT_EQUAL(module_holds(held), 0);
	/* The refill and the channel's retry may run in either order: look twice. */
	on_thread_0_at(NULL, NULL, t0 + 10 * ms);
	on_thread_0_at(NULL, NULL, t0 + 10 * ms + usk_us_to_ticks(100));
	CU_ASSERT_EQUAL(module_holds(held), 3);
	on_thread_0_at(set_limits, &off, t0 + 11 * ms);
	on_thread_0_at(NULL, NULL, t0 + 12 * ms);
	CU_ASSERT_EQUAL(module_holds(held), 4);
	on_thread_0_at(module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS, t0 + 12 * ms);
	CU_ASSERT_EQUAL(g_users[0].done, 8);
}

static void test_qos_read_and_write_bandwidth_apart(void)
{
	struct usk_bdev_qos_limits reads = {.r_mbytes_per_s = 1};
	struct usk_bdev_qos_limits writes = {.w_mbytes_per_s = 1};
	struct usk_bdev_qos_limits got;

	setup();
	assert_one_direction_held(&reads, USK_BDEV_IO_TYPE_READ, USK_BDEV_IO_TYPE_WRITE);
	assert_one_direction_held(&writes, USK_BDEV_IO_TYPE_WRITE, USK_BDEV_IO_TYPE_READ);
	usk_bdev_get_qos_limits(&g_bdev, &got);
	CU_ASSERT_EQUAL(got.r_mbytes_per_s + got.w_mbytes_per_s + got.rw_mbytes_per_s, 0);
	teardown();
}

static void set_limits_range(void *ctx)
{
	struct usk_bdev_qos_limits l = {.rw_ios_per_s = 7, .w_mbytes_per_s = 3};
	struct usk_bdev_qos_limits got;

	CU_ASSERT_EQUAL(usk_bdev_set_qos_limits(&g_bdev, &l), 0);
	l.r_mbytes_per_s = USK_BDEV_QOS_MAX_MBYTES_PER_S + 1;
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limits(&g_bdev, &l), -ERANGE);
	l.r_mbytes_per_s = 0;
	l.w_mbytes_per_s = USK_BDEV_QOS_MAX_MBYTES_PER_S + 1;
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limits(&g_bdev, &l), -ERANGE);
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limits(&g_bdev, NULL), -EINVAL);
	usk_bdev_get_qos_limits(&g_bdev, &got);
	CU_ASSERT_EQUAL(got.rw_ios_per_s, 7);
	CU_ASSERT_EQUAL(got.w_mbytes_per_s, 3);
	/* The two-limit setter lifts the direction limits. */
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 0, 0), 0);
	usk_bdev_get_qos_limits(&g_bdev, &got);
	CU_ASSERT_EQUAL(got.w_mbytes_per_s, 0);
}

/* The read and write limits are held to the same maximum as the shared one. */
static void test_qos_direction_limits_refused_too_large(void)
{
	setup();
	on_thread(0, set_limits_range, NULL);
	teardown();
}

static void set_iops_limit(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 1000, 0), 0);
}

static void set_limits_without_a_poller(void *ctx)
{
	struct usk_bdev_qos_limits l = {.rw_ios_per_s = 5000};

	g_ut_pollers_refused = 1;
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limits(&g_bdev, &l), -ENOMEM);
	CU_ASSERT_EQUAL(g_ut_pollers_refused, 0);
}

/*
 * New limits that cannot get their refill poller are refused, and the
 * limits in force stay: before, the old ones were dropped, QoS was off,
 * and the getters reported the refused limits as if they held.
 */
static void test_qos_limits_refused_without_a_poller_keep_the_old_ones(void)
{
	struct usk_bdev_qos_limits got;
	uint64_t now = mocked_start();

	setup();
	on_thread_0_at(set_iops_limit, NULL, now);
	on_thread_0_at(set_limits_without_a_poller, NULL, now);
	usk_bdev_get_qos_limits(&g_bdev, &got);
	CU_ASSERT_EQUAL(got.rw_ios_per_s, 1000);
	/* Still held back: the buckets of a clock that stands still earn nothing. */
	on_thread_0_at(read_one, NULL, now);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 0);
	on_thread_0_at(qos_off, NULL, now);
	/* The channel sends what it held at its next retry. */
	now += usk_us_to_ticks(1000);
	on_thread_0_at(NULL, NULL, now);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 1);
	on_thread_0_at(module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS, now);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	teardown();
}

/*
 * A user that releases its channel while the QoS limit holds its reads back
 * (as on a remove event, closing at once) hears of each, aborted: the
 * channel's queue goes with it and its poller will not send them. On a
 * mocked clock that stands still, so no token comes before the release.
 */
static void test_qos_held_io_ends_when_its_channel_goes(void)
{
	uint64_t now = mocked_start();

	setup();
	on_thread_0_at(set_iops_limit, NULL, now);
	on_thread_0_at(read_one, NULL, now);
	on_thread_0_at(read_one, NULL, now);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 0);
	CU_ASSERT_EQUAL(g_users[0].done, 0);
	on_thread_0_at(user_close, NULL, now);
	CU_ASSERT_EQUAL(g_users[0].done, 2);
	CU_ASSERT_EQUAL(g_users[0].failed, 2);
	CU_ASSERT_EQUAL(g_users[0].last_sc, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 0);
	/* teardown() closes a user of its own. */
	on_thread_0_at(user_open_rw, (void *)1, now);
	on_thread_0_at(qos_off, NULL, now);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_qos_holds_limits),
		UT_TEST(test_qos_holds_limits_across_a_clock_step_back),
		UT_TEST(test_qos_refuses_limits_too_large),
		UT_TEST(test_qos_largest_rate_after_a_long_gap),
		UT_TEST(test_qos_read_and_write_bandwidth_apart),
		UT_TEST(test_qos_direction_limits_refused_too_large),
		UT_TEST(test_qos_held_io_ends_when_its_channel_goes),
		UT_TEST(test_qos_limits_refused_without_a_poller_keep_the_old_ones),
	};

	return UT_BDEV_MODULE_RUN("bdev_qos", tests);
}
