/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reconnect policy (lib/nvme/nvme_reconnect.c) on the clock the test
 * moves: when another attempt is due, when the controller gives up, and
 * when commands start to fail fast (fast_io_fail_timeout_sec). The
 * controller is a bare structure with the fields the policy reads: no
 * device, no connection. The attempts themselves are nvme_tcp_ut's.
 */
#include "config.h"

#include <stdlib.h>

#include "nvme_internal.h"
#include "nvme_transport.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/log.h"

#define SEC 1000000ull /* the test's clock counts microseconds */

static int reconnect_unused(struct usk_nvme_ctrlr *c)
{
	return 0;
}

/* A transport that can reconnect, as NVMe/TCP can. */
static const struct nvme_transport_ops g_reconnecting = {.name = "ut",
							 .ctrlr_reconnect = reconnect_unused};

/* A controller that was up and lost its connection now, with the three options. */
static struct usk_nvme_ctrlr *ctrlr_lost_now(int32_t loss, uint32_t delay, uint32_t fast)
{
	struct usk_nvme_ctrlr *c = calloc(1, sizeof(*c));

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	c->ops = &g_reconnecting;
	c->opts.ctrlr_loss_timeout_sec = loss;
	c->opts.reconnect_delay_sec = delay;
	c->opts.fast_io_fail_timeout_sec = fast;
	c->ready = true;
	c->reset.lost_at = ut_nvme_ticks_now();
	return c;
}

/* Each failed attempt schedules the next reconnect_delay_sec on, up to the loss timeout. */
static void test_attempts_until_the_loss_timeout(void)
{
	struct usk_nvme_ctrlr *c = ctrlr_lost_now(3, 1, 0);
	uint64_t lost = ut_nvme_ticks_now();

	CU_ASSERT_TRUE(nvme_ctrlr_reconnects(c));
	for (int s = 0; s < 3; s++) {
		ut_nvme_ticks_set(lost + s * SEC);
		CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
		CU_ASSERT_EQUAL(c->reset.deadline, lost + (s + 1) * SEC);
		CU_ASSERT_TRUE(nvme_reset_under_way(c));
	}
	ut_nvme_ticks_set(lost + 3 * SEC - 1);
	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	ut_nvme_ticks_set(lost + 3 * SEC);
	CU_ASSERT_FALSE(nvme_ctrlr_reconnect_again(c));
	free(c);
}

/* -1 tries for ever; 0 never tries; a controller never up (an attach) is not retried. */
static void test_forever_never_and_attach(void)
{
	struct usk_nvme_ctrlr *c = ctrlr_lost_now(-1, 5, 0);

	ut_nvme_ticks_advance(365 * 24 * 3600 * SEC);
	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	free(c);
	c = ctrlr_lost_now(0, 0, 0);
	CU_ASSERT_FALSE(nvme_ctrlr_reconnects(c));
	CU_ASSERT_FALSE(nvme_ctrlr_reconnect_again(c));
	free(c);
	c = ctrlr_lost_now(30, 1, 0);
	c->ready = false;
	CU_ASSERT_FALSE(nvme_ctrlr_reconnect_again(c));
	free(c);
}

/*
 * fast_io_fail_timeout_sec F: commands fail fast from F seconds after the
 * loss on, not a tick before; with F 0 they wait for the reconnect.
 */
static void test_fast_io_fail(void)
{
	struct usk_nvme_ctrlr *c = ctrlr_lost_now(30, 1, 3);
	uint64_t lost = ut_nvme_ticks_now();

	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	ut_nvme_ticks_set(lost + 3 * SEC - 1);
	nvme_ctrlr_reconnect_poll(c);
	CU_ASSERT_FALSE(nvme_ctrlr_io_fails_fast(c));
	ut_nvme_ticks_set(lost + 3 * SEC);
	nvme_ctrlr_reconnect_poll(c);
	CU_ASSERT_TRUE(nvme_ctrlr_io_fails_fast(c));
	free(c);

	c = ctrlr_lost_now(30, 1, 0);
	lost = ut_nvme_ticks_now();
	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	ut_nvme_ticks_set(lost + 29 * SEC);
	nvme_ctrlr_reconnect_poll(c);
	CU_ASSERT_FALSE(nvme_ctrlr_io_fails_fast(c));
	free(c);
}

/*
 * The clock goes back 600 s during the reconnects (a virtual machine
 * restored from a snapshot): the time since the loss counts again from the
 * new clock. Before, it wrapped around: the controller gave up at once,
 * and its commands failed fast at once.
 */
static void test_clock_step_back_gives_up_nothing(void)
{
	const uint64_t step = 600 * SEC;
	struct usk_nvme_ctrlr *c;
	uint64_t stepped;

	ut_nvme_ticks_advance(2 * step);
	c = ctrlr_lost_now(3, 1, 2);
	ut_nvme_ticks_advance(SEC);
	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	stepped = ut_nvme_ticks_now() - step;
	ut_nvme_ticks_set(stepped);
	nvme_ctrlr_reconnect_poll(c);
	CU_ASSERT_FALSE(nvme_ctrlr_io_fails_fast(c));
	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	ut_nvme_ticks_set(stepped + 2 * SEC - 1);
	nvme_ctrlr_reconnect_poll(c);
	CU_ASSERT_FALSE(nvme_ctrlr_io_fails_fast(c));
	ut_nvme_ticks_set(stepped + 2 * SEC);
	nvme_ctrlr_reconnect_poll(c);
	CU_ASSERT_TRUE(nvme_ctrlr_io_fails_fast(c));
	ut_nvme_ticks_set(stepped + 3 * SEC - 1);
	CU_ASSERT_TRUE(nvme_ctrlr_reconnect_again(c));
	ut_nvme_ticks_set(stepped + 3 * SEC);
	CU_ASSERT_FALSE(nvme_ctrlr_reconnect_again(c));
	free(c);
}

/*
 * nvme_deadline_passed(): a deadline no further ahead than its span is left
 * as it is; one further ahead (the clock went back) moves to a span from now.
 */
static void test_deadline_rebasing(void)
{
	uint64_t now = ut_nvme_ticks_now() + 1000;
	uint64_t deadline = now + 100;

	ut_nvme_ticks_set(now);
	CU_ASSERT_FALSE(nvme_deadline_passed(&deadline, 100));
	CU_ASSERT_EQUAL(deadline, now + 100);
	deadline = now - 5;
	CU_ASSERT_TRUE(nvme_deadline_passed(&deadline, 100));
	CU_ASSERT_EQUAL(deadline, now - 5);
	deadline = now + 101;
	CU_ASSERT_FALSE(nvme_deadline_passed(&deadline, 100));
	CU_ASSERT_EQUAL(deadline, now + 100);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_attempts_until_the_loss_timeout),
		UT_TEST(test_forever_never_and_attach),
		UT_TEST(test_fast_io_fail),
		UT_TEST(test_clock_step_back_gives_up_nothing),
		UT_TEST(test_deadline_rebasing),
	};

	usk_log_set_level(USK_LOG_ERROR);
	return UT_RUN("nvme_reconnect", tests);
}
