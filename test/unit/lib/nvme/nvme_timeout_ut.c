/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/ticks.h"

static int g_calls;
static uint16_t g_status;

static void done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_calls++;
	g_status = USK_NVME_STATUS_CODE(cpl->status);
}

/*
 * One read the device never answers (or answers after @latency_us), with
 * the I/O timeout given: returns how many times the controller was enabled
 * by the end (1: no reset).
 */
static uint32_t run_late_read(bool abort_unsupported, uint32_t io_timeout_ms,
			      unsigned int poll_seconds, uint32_t latency_us)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model_fixture f;
	uint32_t enables;

	nvme_model_opts_init(&mo);
	mo.abort_unsupported = abort_unsupported;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.io_timeout_ms = io_timeout_ms;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, &co, 0), 0);
	g_calls = 0;
	if (latency_us == 0) {
		nvme_model_drop_completions(f.model, 1);
	}
	nvme_model_set_io_latency(f.model, latency_us);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, done, NULL), 0);
	nvme_model_poll_until(f.q, &g_calls, 1, poll_seconds);
	nvme_model_set_io_latency(f.model, 0);
	enables = nvme_model_enable_count(f.model);
	/* Whatever happened, the queue pair still works. */
	if (g_calls == 1) {
		uint16_t first_status = g_status;

		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 1, 1, done, NULL), 0);
		CU_ASSERT_EQUAL(nvme_model_poll_until(f.q, &g_calls, 2, 5), 2);
		CU_ASSERT_EQUAL(g_status, 0);
		g_calls = 1;
		g_status = first_status;
	}
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	return enables;
}

/* The Abort ends the late command: it completes aborted, without a reset. */
static void test_timeout_aborts(void)
{
	CU_ASSERT_EQUAL(run_late_read(false, 100, 5, 0), 1);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
}

/* The device does not abort (as QEMU's): one more timeout, then a reset ends it. */
static void test_timeout_resets_when_abort_fails(void)
{
	CU_ASSERT_EQUAL(run_late_read(true, 100, 5, 0), 2);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
}

/* With no limit set, a late command is left alone. */
static void test_no_timeout_when_off(void)
{
	CU_ASSERT_EQUAL(run_late_read(true, 0, 1, 0), 1);
	/* Freeing the queue pair ended it, once. */
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
}

/*
 * Late but not lost: a 300 ms read with a 200 ms timeout on a device that
 * declines Aborts gets its Abort, then completes, successfully, before the
 * second timeout would reset.
 */
static void test_late_command_completes(void)
{
	CU_ASSERT_EQUAL(run_late_read(true, 200, 5, 300000), 1);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, 0);
}

/*
 * After an idle spell longer than the timeout, a new command still gets the
 * whole timeout. The bug: it was stamped with the clock of the last poll
 * before the spell, and aborted on its first poll.
 */
static void test_timeout_counts_from_submission_after_idle(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model_fixture f;
	const struct timespec idle = {0, 400 * 1000 * 1000};
	uint64_t start;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.io_timeout_ms = 200;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, &co, 16), 0);
	usk_nvme_qpair_process_completions(f.q, 0);
	nanosleep(&idle, NULL);
	g_calls = 0;
	nvme_model_drop_completions(f.model, 1);
	start = usk_ticks();
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, done, NULL), 0);
	nvme_model_poll_until(f.q, &g_calls, 1, 5);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT(usk_ticks_to_ns(usk_ticks() - start) >= 200 * 1000 * 1000ull);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_timeout_aborts),
		UT_TEST(test_timeout_resets_when_abort_fails),
		UT_TEST(test_no_timeout_when_off),
		UT_TEST(test_late_command_completes),
		UT_TEST(test_timeout_counts_from_submission_after_idle),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_timeout", tests);
	usk_env_fini();
	return rc;
}
