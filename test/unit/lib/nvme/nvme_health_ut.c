/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Noticing a controller gone or broken, and failing it (lib/nvme/nvme_health.c),
 * on the clock the test moves: the model counts its delays on that clock
 * too, so a controller slow to stop takes the test's time, not real time.
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

static int g_removed_calls;

static void on_remove(void *ctx, struct usk_nvme_ctrlr *c)
{
	g_removed_calls++;
	CU_ASSERT_PTR_EQUAL(ctx, c);
}

/* Polls @c's admin side until it reports the failure, for up to 30 s of real time. */
static bool poll_until_failed(struct usk_nvme_ctrlr *c)
{
	time_t give_up = time(NULL) + 30;

	while (usk_nvme_ctrlr_process_admin_completions(c) != -ENXIO && time(NULL) < give_up) {
		sched_yield();
	}
	return usk_nvme_ctrlr_is_failed(c);
}

/* 20 reads outstanding (the model keeps them), then @fail happens. */
static void check_fault(void (*fail)(struct nvme_model *))
{
	struct nvme_model_opts mo;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct nvme_model_result r[20] = {{0}};
	uint8_t *buf = usk_dma_malloc(512, 512, -1);

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), NULL, &c), 0);
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, 1);

	g_removed_calls = 0;
	usk_nvme_ctrlr_set_remove_cb(c, on_remove, c);
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(c), 0);
	nvme_model_drop_completions(model, 20);
	/* 15 go into the ring, 5 wait behind them. */
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	usk_nvme_qpair_process_completions(q, 0);
	fail(model);
	/* The model clears CSTS.RDY on its own thread: the failure ends at the poll that sees it. */
	CU_ASSERT_TRUE(poll_until_failed(c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(c), -ENXIO);
	CU_ASSERT_EQUAL(g_removed_calls, 1);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(c));
	/* Disabled before its commands were reported ended: it moves no more data. */
	CU_ASSERT_FALSE(nvme_model_enabled(model));
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), -ENXIO);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), -ENXIO);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, USK_NVME_SC_ABORTED_BY_REQUEST);
	}
	CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf, 0, 1, nvme_model_result_done, &r[0]), -ENXIO);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	/* Freeing and detaching a gone controller neither waits nor fails. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
	}
	nvme_model_destroy(model);
	usk_dma_free(buf);
}

static void test_hot_remove(void)
{
	check_fault(nvme_model_remove);
}

static void test_controller_fatal_status(void)
{
	check_fault(nvme_model_set_cfs);
}

#define MS 1000ull /* ticks of the test's clock: microseconds */

static void poll_admin(void *ctrlr)
{
	usk_nvme_ctrlr_process_admin_completions(ctrlr);
}

/*
 * A model on the test's clock that takes @disable_ms to clear CSTS.RDY,
 * attached, a queue pair with 4 reads the model keeps; then it is
 * hot-removed (it still answers its registers, as a device the kernel asks
 * back does) and the first admin poll starts failing it.
 */
static void slow_stop_up(struct nvme_model_fixture *f, uint32_t disable_ms,
			 struct nvme_model_result *r)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.now_us = ut_nvme_ticks_now;
	mo.disable_delay_ms = disable_ms;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, NULL, 16), 0);
	g_removed_calls = 0;
	usk_nvme_ctrlr_set_remove_cb(f->c, on_remove, f->c);
	nvme_model_drop_completions(f->model, 4);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, (uint64_t)i, 1,
						 nvme_model_result_done, &r[i]),
				0);
	}
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f->model));
	nvme_model_remove(f->model);
	/*
	 * The old failure waited here, in the admin poll, for CSTS.RDY to clear
	 * or 100 ms of the driver's clock: on a clock that stands still it never
	 * returned.
	 */
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_admin, f->c));
	CU_ASSERT_FALSE(nvme_model_enabled(f->model));
	/*
	 * The model counts disable_ms from the pass that first sees CC.EN clear:
	 * a test that moved the clock before that pass (a busy machine) moved it
	 * for nothing, and the controller never stopped on the clock that then
	 * stood still. A full pass of the model's thread first.
	 */
	nvme_model_pause(f->model, true);
	nvme_model_pause(f->model, false);
}

/* While the controller may still move data, nothing is reported ended. */
static void check_still_stopping(struct nvme_model_fixture *f, const struct nvme_model_result *r)
{
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(f->c));
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_resetting(f->c));
	CU_ASSERT_TRUE(usk_nvme_ctrlr_admin_busy(f->c));
	CU_ASSERT_EQUAL(g_removed_calls, 0);
	CU_ASSERT(usk_nvme_qpair_process_completions(f->q, 0) >= 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 0);
	}
}

/* Once failed: every read ended once, the remove callback called once, a gone controller. */
static void check_failed_and_down(struct nvme_model_fixture *f, const struct nvme_model_result *r)
{
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(f->c));
	CU_ASSERT_EQUAL(g_removed_calls, 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f->q, 0), -ENXIO);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, USK_NVME_SC_ABORTED_BY_REQUEST);
	}
	CU_ASSERT_EQUAL(nvme_model_fixture_down(f), 0);
}

/*
 * A controller that takes 50 ms to stop: each admin poll reads CSTS once
 * and returns, the clock standing still; the first poll after the model
 * cleared CSTS.RDY (50 ms on) reports the failure.
 */
static void test_failing_controller_stops_by_polls(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r[4] = {{0}};

	slow_stop_up(&f, 50, r);
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_admin, f.c));
	}
	check_still_stopping(&f, r);
	ut_nvme_ticks_advance(50 * MS);
	CU_ASSERT_TRUE(poll_until_failed(f.c));
	check_failed_and_down(&f, r);
}

/*
 * A controller that never stops: the polls up to 100 ms after the disable
 * return without failing it; the first one past that reports the failure.
 */
static void test_failing_controller_that_never_stops(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r[4] = {{0}};
	uint64_t disabled_at;

	disabled_at = ut_nvme_ticks_now();
	slow_stop_up(&f, 3600 * 1000, r);
	ut_nvme_ticks_set(disabled_at + 100 * MS);
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_admin, f.c));
	check_still_stopping(&f, r);
	ut_nvme_ticks_advance(1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(f.c), -ENXIO);
	check_failed_and_down(&f, r);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_hot_remove),
		UT_TEST(test_controller_fatal_status),
		UT_TEST(test_failing_controller_stops_by_polls),
		UT_TEST(test_failing_controller_that_never_stops),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_health", tests);
	usk_env_fini();
	return rc;
}
