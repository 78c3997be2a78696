/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reset as steps (lib/nvme/nvme_reset_steps.c), on the clock the test
 * moves: the model counts its delays on that clock too, so a controller
 * that takes 30 s to come ready takes 30 s of the test's clock, and no
 * real time. A poll that waited for it would wait for ever (the clock
 * stands still): ut_nvme_ticks_call_returns() turns that into a failure.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

#define MS 1000ull /* ticks of the test's clock: microseconds */

/* A model on the test's clock with CAP.TO @cap_to (500 ms units), attached, with a queue pair. */
static void fixture_up(struct nvme_model_fixture *f, uint8_t cap_to)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;

	nvme_model_opts_init(&mo);
	mo.now_us = ut_nvme_ticks_now;
	mo.cap_to = cap_to;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	/* The clock jumps by whole windows here: only the reset's own deadlines are under test. */
	co.admin_timeout_ms = 3600 * 1000;
	co.io_timeout_ms = 0;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, &co, 64), 0);
}

static void fixture_down(struct nvme_model_fixture *f)
{
	CU_ASSERT_EQUAL(nvme_model_fixture_down(f), 0);
}

static void poll_admin(void *ctrlr)
{
	usk_nvme_ctrlr_process_admin_completions(ctrlr);
}

/* One admin poll of @c, which must return though the clock stands still. */
static void poll_admin_returns(struct usk_nvme_ctrlr *c)
{
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_admin, c));
}

/*
 * Polls @c's admin queue until its model is counting the time it takes to
 * come ready (the reset has set CC.EN), for up to 30 s of real time.
 */
static void poll_until_waiting_ready(struct nvme_model_fixture *f)
{
	time_t give_up = time(NULL) + 30;

	while (!nvme_model_waiting_ready(f->model) && time(NULL) < give_up) {
		poll_admin_returns(f->c);
	}
	CU_ASSERT_TRUE_FATAL(nvme_model_waiting_ready(f->model));
}

/* One block written and read back through @f's queue pair. */
static void check_write_read(struct nvme_model_fixture *f, uint64_t lba, uint8_t fill)
{
	struct nvme_model_result w = {0}, r = {0};

	memset(f->buf, fill, 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(f->ns, f->q, f->buf, lba, 1, nvme_model_result_done, &w),
			0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(f->q, &w.calls, 1, 30), 1);
	memset(f->buf, 0, 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, lba, 1, nvme_model_result_done, &r),
			0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(f->q, &r.calls, 1, 30), 1);
	CU_ASSERT(w.status == 0 && r.status == 0);
	CU_ASSERT(f->buf[0] == fill && f->buf[511] == fill);
}

#define WINDOW_MS 100

/*
 * Two controllers polled from one thread; one is reset and takes 30 s to
 * come ready. Through each 100 ms window of those 30 s, the other's reads
 * complete, and the slow one's admin poll returns at once; the reset then
 * ends, called back once, and the slow controller works again. The old
 * reset slept in the admin poll until CSTS.RDY: the first window's poll
 * never returned (the clock stands still while a test thread waits).
 */
static void test_slow_controller_does_not_stall_another(void)
{
	struct nvme_model_fixture slow, fast;
	struct nvme_model_reset_result rr = {0};
	uint64_t enabled_at;
	int windows = 0;

	/* CAP.TO 62: 31.5 s, enough for the 30 s the model takes. */
	fixture_up(&slow, 62);
	fixture_up(&fast, 1);
	nvme_model_set_ready_delay(slow.model, 30000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(slow.c, nvme_model_reset_done, &rr), 0);
	poll_until_waiting_ready(&slow);
	enabled_at = ut_nvme_ticks_now();
	while (rr.calls == 0 && windows < 400) {
		int reads = nvme_model_read_window(&fast);

		CU_ASSERT_EQUAL(reads, NVME_MODEL_WINDOW_READS);
		poll_admin_returns(slow.c);
		poll_admin_returns(fast.c);
		if (ut_nvme_ticks_now() - enabled_at < 30000 * MS) {
			CU_ASSERT_TRUE(usk_nvme_ctrlr_is_resetting(slow.c));
			CU_ASSERT_EQUAL(rr.calls, 0);
		}
		ut_nvme_ticks_advance(WINDOW_MS * MS);
		/*
		 * Past its 30 s, a full pass of the model's thread sets CSTS.RDY
		 * before the clock moves on: a thread starved (a busy machine) for
		 * the 15 windows left to CAP.TO saw the driver time out.
		 */
		if (ut_nvme_ticks_now() - enabled_at >= 30000 * MS) {
			nvme_model_pause(slow.model, true);
			nvme_model_pause(slow.model, false);
		}
		windows++;
	}
	/* 300 windows of waiting, then the model's thread sets RDY and the last steps run. */
	CU_ASSERT(windows >= 300 && windows < 400);
	CU_ASSERT_EQUAL(rr.calls, 1);
	CU_ASSERT_EQUAL(rr.rc, 0);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_resetting(slow.c));
	CU_ASSERT_EQUAL(nvme_model_enable_count(slow.model), 2);
	CU_ASSERT_EQUAL(nvme_model_enable_count(fast.model), 1);
	check_write_read(&slow, 3, 0x3c);
	fixture_down(&fast);
	fixture_down(&slow);
}

static int g_removed;

static void on_remove(void *ctx, struct usk_nvme_ctrlr *c)
{
	g_removed++;
}

/*
 * The reset @rr waits for, with CAP.TO 1 (1000 ms) from @from, is still
 * under way at the deadline and fails the controller one tick past it.
 */
static void assert_reset_times_out(struct nvme_model_fixture *f,
				   const struct nvme_model_reset_result *rr, uint64_t from)
{
	ut_nvme_ticks_set(from + 1000 * MS);
	poll_admin_returns(f->c);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_resetting(f->c));
	CU_ASSERT_EQUAL(rr->calls, 0);
	ut_nvme_ticks_advance(1);
	poll_admin_returns(f->c);
	CU_ASSERT_EQUAL(rr->calls, 1);
	CU_ASSERT_EQUAL(rr->rc, -ETIMEDOUT);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(f->c));
}

/*
 * A controller that does not come ready within CAP.TO: every poll until
 * then returns at once; the first poll past it fails the reset (-ETIMEDOUT
 * to its caller, once), fails the controller and reports it gone, once; the
 * read it held ends once.
 */
static void test_reset_past_cap_to_fails_without_blocking(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct nvme_model_reset_result rr = {0};

	/* CAP.TO 1: (1 + 1) * 500 ms. */
	fixture_up(&f, 1);
	g_removed = 0;
	usk_nvme_ctrlr_set_remove_cb(f.c, on_remove, NULL);
	nvme_model_drop_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	nvme_model_set_ready_delay(f.model, 3600 * 1000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &rr), 0);
	poll_until_waiting_ready(&f);
	assert_reset_times_out(&f, &rr, ut_nvme_ticks_now());
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_resetting(f.c));
	CU_ASSERT_EQUAL(g_removed, 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), -ENXIO);
	CU_ASSERT(r.calls == 1 && r.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), -ENXIO);
	poll_admin_returns(f.c);
	CU_ASSERT_EQUAL(rr.calls, 1);
	CU_ASSERT_EQUAL(g_removed, 1);
	fixture_down(&f);
}

static const struct usk_nvme_sqe g_get_arbitration = {.opcode = USK_NVME_OPC_GET_FEATURES,
						      .cdw10 = USK_NVME_FEAT_ARBITRATION};

/* A step back of the clock, as a virtual machine restored from a snapshot takes: minutes. */
#define STEP_BACK (600 * 1000 * MS)

/*
 * The clock goes back 600 s while the reset waits for CSTS.RDY: the wait
 * for CAP.TO starts again from the new clock, and the reset fails one tick
 * past it. Before, it waited until the clock came back to the old deadline.
 */
static void test_reset_wait_across_a_clock_step_back(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_reset_result rr = {0};
	uint64_t stepped;

	ut_nvme_ticks_advance(2 * STEP_BACK);
	fixture_up(&f, 1);
	nvme_model_set_ready_delay(f.model, 3600 * 1000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &rr), 0);
	poll_until_waiting_ready(&f);
	stepped = ut_nvme_ticks_now() - STEP_BACK;
	ut_nvme_ticks_set(stepped);
	poll_admin_returns(f.c);
	assert_reset_times_out(&f, &rr, stepped);
	/* Past the old deadline too: a reset still waiting for it would hold the teardown. */
	ut_nvme_ticks_advance(2 * STEP_BACK);
	fixture_down(&f);
}

/*
 * During a reset a caller's admin command is refused with -EBUSY (the
 * admin queue is being rebuilt); one sent before the reset ends once, with
 * Command Abort Requested; after the reset they go through again.
 */
static void test_admin_raw_during_reset(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result before = {0}, during = {0}, after = {0};
	struct nvme_model_reset_result rr = {0};

	fixture_up(&f, 4);
	nvme_model_drop_admin_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(f.c, &g_get_arbitration, NULL, 0, nvme_model_result_done,
						     &before),
			0);
	CU_ASSERT_TRUE_FATAL(nvme_model_admin_settle(f.model));
	nvme_model_set_ready_delay(f.model, 1000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &rr), 0);
	poll_until_waiting_ready(&f);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(f.c, &g_get_arbitration, NULL, 0, nvme_model_result_done,
						     &during),
			-EBUSY);
	CU_ASSERT_EQUAL(before.calls, 1);
	CU_ASSERT_EQUAL(before.status, USK_NVME_SC_ABORTED_BY_REQUEST);
	ut_nvme_ticks_advance(1000 * MS);
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT(rr.calls == 1 && rr.rc == 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(f.c, &g_get_arbitration, NULL, 0, nvme_model_result_done,
						     &after),
			0);
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT(after.calls == 1 && after.status == 0);
	CU_ASSERT(before.calls == 1 && during.calls == 0);
	fixture_down(&f);
}

/*
 * An admin command the controller loses, sent before the clock went back
 * 600 s: the admin timeout counts again from the new clock, and the reset
 * it asks for starts one timeout after the step. Before, only once the
 * clock came back to the old deadline.
 */
static void test_admin_timeout_across_a_clock_step_back(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result lost = {0};
	const uint64_t timeout = 3600 * 1000 * MS; /* fixture_up()'s admin timeout */
	uint64_t stepped;

	ut_nvme_ticks_advance(2 * STEP_BACK);
	fixture_up(&f, 4);
	nvme_model_drop_admin_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(f.c, &g_get_arbitration, NULL, 0,
						     nvme_model_result_done, &lost),
			0);
	CU_ASSERT_TRUE_FATAL(nvme_model_admin_settle(f.model));
	stepped = ut_nvme_ticks_now() - STEP_BACK;
	ut_nvme_ticks_set(stepped);
	poll_admin_returns(f.c);
	ut_nvme_ticks_set(stepped + timeout);
	poll_admin_returns(f.c);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_resetting(f.c));
	CU_ASSERT_EQUAL(lost.calls, 0);
	ut_nvme_ticks_advance(1);
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	CU_ASSERT(lost.calls == 1 && lost.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	check_write_read(&f, 3, 0x5a);
	/* Past the old deadline too: a reset still waiting for it would hold the teardown. */
	ut_nvme_ticks_advance(2 * STEP_BACK);
	fixture_down(&f);
}

/*
 * A reset asked for while one is under way is not folded into it (the
 * caller may want what happened since undone): it gets a reset of its own,
 * after; each caller is called back once.
 */
static void test_reset_asked_during_a_reset_gets_its_own(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_reset_result first = {0}, second = {0};

	fixture_up(&f, 4);
	nvme_model_set_ready_delay(f.model, 500);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &first), 0);
	poll_until_waiting_ready(&f);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &second), 0);
	ut_nvme_ticks_advance(500 * MS);
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT(first.calls == 1 && first.rc == 0);
	CU_ASSERT(second.calls == 1 && second.rc == 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 3);
	check_write_read(&f, 4, 0xa5);
	fixture_down(&f);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_slow_controller_does_not_stall_another),
		UT_TEST(test_reset_past_cap_to_fails_without_blocking),
		UT_TEST(test_admin_raw_during_reset),
		UT_TEST(test_reset_asked_during_a_reset_gets_its_own),
		UT_TEST(test_reset_wait_across_a_clock_step_back),
		UT_TEST(test_admin_timeout_across_a_clock_step_back),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_reset_steps", tests);
	usk_env_fini();
	return rc;
}
