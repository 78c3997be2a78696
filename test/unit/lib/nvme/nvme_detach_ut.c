/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Detaching a controller by polls (lib/nvme/nvme_detach.c), on the clock
 * the test moves: the model counts its shutdown on that clock too, so a
 * controller slow to shut down takes the test's time. A poll that waited
 * for it would wait for ever (the clock stands still):
 * ut_nvme_ticks_call_returns() turns that into a failure.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

#define MS 1000ull /* ticks of the test's clock: microseconds */

/* A model on the test's clock with CAP.TO @cap_to, shutting down in @shutdown_ms; no queue pair. */
static void fixture_up(struct nvme_model_fixture *f, uint8_t cap_to, uint32_t shutdown_ms)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.now_us = ut_nvme_ticks_now;
	mo.cap_to = cap_to;
	mo.shutdown_delay_ms = shutdown_ms;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, NULL, 16), 0);
	/* A queue pair holds a queue ID: the detach is refused until it is freed. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach_async(f->c), -EBUSY);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f->q), 0);
	f->q = NULL;
}

struct detach_poll {
	struct usk_nvme_ctrlr *c;
	int rc;
};

static void detach_poll(void *arg)
{
	struct detach_poll *p = arg;

	p->rc = usk_nvme_ctrlr_detach_poll(p->c);
}

/* Waits (up to 30 s of real time) until the model counts its shutdown from the clock's now. */
static void wait_shutdown_seen(struct nvme_model *model)
{
	time_t give_up = time(NULL) + 30;

	while (!nvme_model_shutting_down(model) && time(NULL) < give_up) {
		sched_yield();
	}
	CU_ASSERT_TRUE_FATAL(nvme_model_shutting_down(model));
}

/* One poll, which must return though the clock stands still; what it returned. */
static int poll_returns(struct usk_nvme_ctrlr *c)
{
	struct detach_poll p = {.c = c};

	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(detach_poll, &p));
	return p.rc;
}

/* Polls until the detach ends (the model's thread moves CSTS), for up to 30 s of real time. */
static int poll_to_the_end(struct usk_nvme_ctrlr *c)
{
	time_t give_up = time(NULL) + 30;
	int rc;

	while ((rc = usk_nvme_ctrlr_detach_poll(c)) == -EAGAIN && time(NULL) < give_up) {
		sched_yield();
	}
	return rc;
}

/*
 * A controller that takes 30 s to shut down: each poll reads CSTS once and
 * returns; a second detach is refused; 30 s on, the shutdown completes,
 * the controller is disabled and released.
 */
static void test_slow_shutdown_is_polled(void)
{
	struct nvme_model_fixture f;

	fixture_up(&f, 62, 30000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach_poll(f.c), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach_async(f.c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach_async(f.c), -EALREADY);
	wait_shutdown_seen(f.model);
	for (int i = 0; i < 300; i++) {
		CU_ASSERT_EQUAL(poll_returns(f.c), -EAGAIN);
		ut_nvme_ticks_advance(99 * MS);
	}
	CU_ASSERT_TRUE(nvme_model_enabled(f.model));
	ut_nvme_ticks_advance(300 * MS);
	CU_ASSERT_EQUAL(poll_to_the_end(f.c), 0);
	CU_ASSERT_FALSE(nvme_model_enabled(f.model));
	f.c = NULL;
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A shutdown that does not complete within CAP.TO: at the deadline the
 * detach still waits; past it, it disables the controller, releases it and
 * says -ETIMEDOUT.
 */
static void test_shutdown_past_cap_to(void)
{
	struct nvme_model_fixture f;
	uint64_t asked_at;

	fixture_up(&f, 1, 3600 * 1000);
	asked_at = ut_nvme_ticks_now();
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach_async(f.c), 0);
	wait_shutdown_seen(f.model);
	ut_nvme_ticks_set(asked_at + 1000 * MS);
	CU_ASSERT_EQUAL(poll_returns(f.c), -EAGAIN);
	ut_nvme_ticks_advance(1);
	CU_ASSERT_EQUAL(poll_to_the_end(f.c), -ETIMEDOUT);
	CU_ASSERT_FALSE(nvme_model_enabled(f.model));
	f.c = NULL;
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A controller pulled out while being detached's owner still polls it: the
 * failure that removal started is seen through (the model lets go of its
 * rings), and the detach asks for no shutdown a gone device would never
 * complete. Before, the detach waited for that shutdown until CAP.TO.
 */
static void test_detach_while_failing(void)
{
	struct nvme_model_fixture f;

	fixture_up(&f, 62, 30000);
	nvme_model_remove(f.model);
	/* The poll that sees the removal clears CC.EN; the model stops on its own thread. */
	usk_nvme_ctrlr_process_admin_completions(f.c);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach_async(f.c), 0);
	CU_ASSERT_EQUAL(poll_to_the_end(f.c), 0);
	CU_ASSERT_FALSE(nvme_model_shutting_down(f.model));
	CU_ASSERT_FALSE(nvme_model_enabled(f.model));
	f.c = NULL;
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_slow_shutdown_is_polled),
		UT_TEST(test_shutdown_past_cap_to),
		UT_TEST(test_detach_while_failing),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_detach", tests);
	usk_env_fini();
	return rc;
}
