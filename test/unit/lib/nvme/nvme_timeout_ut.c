/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command timeouts, on the clock the test moves (ut_nvme_ticks.h: one tick
 * a microsecond). The rule under test, from nvme_timeout.c: on a queue pair
 * that is polled, a command times out between 1 and 1.25 timeouts after it
 * went out. The tests poll at every tick, as a busy queue pair is, and
 * check both ends of that window: nothing one tick before it, the timeout
 * done by its last tick.
 */
#include "config.h"

#include <sched.h>
#include <time.h>

#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

/* 1000 ticks: few enough to poll at every one. */
#define TIMEOUT_MS 1
#define TIMEOUT	   (TIMEOUT_MS * 1000ull)
/* The window's slack: the driver scans the ring four times per timeout. */
#define SLACK (TIMEOUT / 4)

static int g_calls;
static uint16_t g_status;

static void done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_calls++;
	g_status = USK_NVME_STATUS_CODE(cpl->status);
}

/* A model (declining Aborts if @abort_unsupported) and a queue pair with @timeout_ms. */
static void setup(struct nvme_model_fixture *f, bool abort_unsupported, uint32_t timeout_ms)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;

	nvme_model_opts_init(&mo);
	mo.abort_unsupported = abort_unsupported;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.io_timeout_ms = timeout_ms;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, &co, 16), 0);
	g_calls = 0;
}

/* Whatever happened, the queue pair still works; then it goes. */
static void teardown(struct nvme_model_fixture *f)
{
	int calls = g_calls;

	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, 1, 1, done, NULL), 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(f->q, &g_calls, calls + 1, 5), calls + 1);
	CU_ASSERT_EQUAL(g_status, 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(f), 0);
}

/*
 * Sets the clock to @now and polls. Twice, with the admin poll between, as
 * an application's admin poller runs beside its I/O: what a timeout ends (by
 * the Abort, once the model has done it, or by the reset the admin polls
 * do, step by step, with the clock standing still) completes on the poll
 * after the one that found it late.
 */
static void poll_at(struct nvme_model_fixture *f, uint64_t now)
{
	ut_nvme_ticks_set(now);
	usk_nvme_qpair_process_completions(f->q, 0);
	/* An Abort the poll sent is done before the next look, as a sync one was. */
	CU_ASSERT(nvme_model_admin_settle(f->model));
	usk_nvme_ctrlr_process_admin_completions(f->c);
	CU_ASSERT(nvme_model_admin_poll_while_busy(f->c, 30));
	usk_nvme_qpair_process_completions(f->q, 0);
}

/* Polls at every tick from the clock's time to @last. */
static void poll_through(struct nvme_model_fixture *f, uint64_t last)
{
	for (uint64_t now = ut_nvme_ticks_now(); now <= last; now++) {
		poll_at(f, now);
	}
}

/* Sends a read the device never answers; returns the clock's time then. */
static uint64_t send_lost_read(struct nvme_model_fixture *f)
{
	uint64_t sent = ut_nvme_ticks_now();

	nvme_model_drop_completions(f->model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, 0, 1, done, NULL), 0);
	/* The Abort must find it taken: the model fetches on its own thread. */
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f->model));
	return sent;
}

/*
 * As send_lost_read(), one tick after a scan of the ring (a new queue pair
 * scans on its first poll): the scans then fall one tick before the window
 * and one tick before its end, the hardest case for both of its bounds.
 */
static uint64_t send_lost_read_after_scan(struct nvme_model_fixture *f)
{
	poll_at(f, ut_nvme_ticks_now());
	ut_nvme_ticks_advance(1);
	return send_lost_read(f);
}

/* The timeout's Abort ends the late command, within the window: aborted, no reset. */
static void test_timeout_aborts(void)
{
	struct nvme_model_fixture f;
	uint64_t sent;

	setup(&f, false, TIMEOUT_MS);
	sent = send_lost_read_after_scan(&f);
	poll_through(&f, sent + TIMEOUT - 1);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	CU_ASSERT_EQUAL(g_calls, 0);
	poll_through(&f, sent + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 1);
	teardown(&f);
}

/*
 * Polls at every tick from the clock's time to @last, until the device has
 * had an Abort; returns the tick at which it was sent.
 */
static uint64_t poll_until_abort(struct nvme_model_fixture *f, uint64_t last)
{
	uint64_t now = ut_nvme_ticks_now();

	for (; now <= last; now++) {
		poll_at(f, now);
		if (nvme_model_aborts(f->model) > 0) {
			break;
		}
	}
	return now;
}

/*
 * The device does not abort (as QEMU's): the command gets one more timeout,
 * counted from its Abort, with the same window; then the reset ends it.
 */
static void test_timeout_resets_when_abort_fails(void)
{
	struct nvme_model_fixture f;
	uint64_t sent, aborted;

	setup(&f, true, TIMEOUT_MS);
	sent = send_lost_read_after_scan(&f);
	poll_through(&f, sent + TIMEOUT - 1);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	aborted = poll_until_abort(&f, sent + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 1);
	poll_through(&f, aborted + TIMEOUT - 1);
	CU_ASSERT_EQUAL(g_calls, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 1);
	poll_through(&f, aborted + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	teardown(&f);
}

/* With no limit set, a late command is left alone, for an hour too. */
static void test_no_timeout_when_off(void)
{
	struct nvme_model_fixture f;

	setup(&f, true, 0);
	poll_at(&f, send_lost_read(&f) + 3600 * 1000000ull);
	CU_ASSERT_EQUAL(g_calls, 0);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 1);
	/* Freeing the queue pair ends it, once: the controller aborts it with its SQ. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), 0);
	f.q = NULL;
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * Late but not lost: on a device that declines Aborts, a command that
 * completes after its Abort and before the second timeout completes
 * successfully, and nothing resets later.
 */
static void test_late_command_completes(void)
{
	struct nvme_model_fixture f;
	uint64_t aborted;

	setup(&f, true, TIMEOUT_MS);
	aborted = poll_until_abort(&f, send_lost_read(&f) + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 1);
	CU_ASSERT_EQUAL(g_calls, 0);
	nvme_model_complete_dropped(f.model);
	CU_ASSERT_EQUAL(nvme_model_poll_until(f.q, &g_calls, 1, 5), 1);
	CU_ASSERT_EQUAL(g_status, 0);
	poll_through(&f, aborted + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 1);
	CU_ASSERT_EQUAL(g_calls, 1);
	teardown(&f);
}

/*
 * After an idle spell longer than the timeout, a new command still gets the
 * whole timeout. The bug: it was stamped with the clock of the last poll
 * before the spell, and aborted on its first poll.
 */
static void test_timeout_counts_from_submission_after_idle(void)
{
	struct nvme_model_fixture f;
	uint64_t sent;

	setup(&f, false, TIMEOUT_MS);
	poll_at(&f, ut_nvme_ticks_now());
	ut_nvme_ticks_advance(2 * TIMEOUT);
	sent = send_lost_read(&f);
	poll_through(&f, sent + TIMEOUT - 1);
	CU_ASSERT_EQUAL(g_calls, 0);
	poll_through(&f, sent + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	teardown(&f);
}

/*
 * The clock going back (a VM restored from a snapshot rewinds its TSC) is
 * no time the command waited: no timeout before the full one has passed
 * on the new clock.
 */
static void test_clock_going_back_times_nothing_out(void)
{
	struct nvme_model_fixture f;
	uint64_t sent;

	setup(&f, false, TIMEOUT_MS);
	poll_at(&f, ut_nvme_ticks_now());
	/* Sent after the next scan is due, so the scan below does look at it. */
	ut_nvme_ticks_advance(TIMEOUT / 2);
	sent = send_lost_read(&f);
	poll_at(&f, sent - 5);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	CU_ASSERT_EQUAL(g_calls, 0);
	poll_through(&f, sent - 5 + TIMEOUT - 1);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	poll_through(&f, sent + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	teardown(&f);
}

/*
 * A step back of minutes delays no timeout by the step: a command lost
 * before it times out one timeout after it, on the new clock. Before, the
 * ring's next scan waited for the clock to come back to where it had been.
 */
static void test_lost_command_times_out_after_a_step_back(void)
{
	const uint64_t step = 600 * 1000000ull;
	struct nvme_model_fixture f;
	uint64_t stepped;

	/* Room for the clock to go back. */
	ut_nvme_ticks_advance(2 * step);
	setup(&f, false, TIMEOUT_MS);
	stepped = send_lost_read_after_scan(&f) + 1 - step;
	poll_at(&f, stepped);
	poll_through(&f, stepped + TIMEOUT - 1);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	CU_ASSERT_EQUAL(g_calls, 0);
	poll_through(&f, stepped + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	teardown(&f);
}

static int g_other_calls;
static uint16_t g_other_status;

static void other_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_other_calls++;
	g_other_status = USK_NVME_STATUS_CODE(cpl->status);
}

/*
 * USK_NVME_TIMEOUT_RESET: the first timeout resets, with no Abort. The
 * reset deletes the other queue pair's queues first but leaves the late
 * command's to the disable (a Delete would wait on the command the device
 * cannot finish); the late command ends with Command Abort Requested, the
 * other queue pair's command, which the device held too, with SQ Deletion.
 */
static void test_timeout_reset_spares_the_late_queue(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model_fixture f;
	struct usk_nvme_qpair *q2;
	uint64_t sent;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.io_timeout_ms = TIMEOUT_MS;
	co.io_timeout_action = USK_NVME_TIMEOUT_RESET;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, &co, 16), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, NULL, &q2), 0);
	g_calls = g_other_calls = 0;
	poll_at(&f, ut_nvme_ticks_now());
	/* Each drop taken before the next is planned: a plan replaces the one before. */
	nvme_model_drop_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q2, f.buf, 2, 1, other_done, NULL), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	sent = send_lost_read(&f);
	poll_through(&f, sent + TIMEOUT + SLACK);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	CU_ASSERT_EQUAL(nvme_model_aborts(f.model), 0);
	CU_ASSERT_EQUAL(nvme_model_live_sqs_at_disable(f.model), 1);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvme_model_poll_until(q2, &g_other_calls, 1, 5), 1);
	CU_ASSERT_EQUAL(g_other_status, USK_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q2), 0);
	teardown(&f);
}

static void poll_qpair_once(void *fixture)
{
	struct nvme_model_fixture *f = fixture;

	usk_nvme_qpair_process_completions(f->q, 0);
}

/*
 * A late command on a device that never answers the Abort: the poll that
 * finds it late sends the Abort and returns, the poll a timeout later asks
 * for the reset and returns, and the admin poll does the reset, which ends
 * the command. The bug: the I/O thread waited for the Abort's answer, and
 * then did the whole reset, for up to the admin timeout and CAP.TO.
 */
static void test_late_command_never_makes_the_poll_wait(void)
{
	struct nvme_model_fixture f;
	time_t give_up = time(NULL) + 30;
	uint64_t sent;

	setup(&f, false, TIMEOUT_MS);
	sent = send_lost_read_after_scan(&f);
	nvme_model_drop_admin_completions(f.model, 1);
	ut_nvme_ticks_set(sent + TIMEOUT + SLACK);
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_qpair_once, &f));
	while (!nvme_model_admin_drops_taken(f.model) && time(NULL) < give_up) {
		sched_yield();
	}
	CU_ASSERT_TRUE(nvme_model_admin_drops_taken(f.model));
	ut_nvme_ticks_advance(TIMEOUT + SLACK);
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_qpair_once, &f));
	CU_ASSERT_EQUAL(g_calls, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 1);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_admin_busy(f.c));
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	usk_nvme_qpair_process_completions(f.q, 0);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, USK_NVME_SC_ABORTED_BY_REQUEST);
	teardown(&f);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_timeout_aborts),
		UT_TEST(test_timeout_resets_when_abort_fails),
		UT_TEST(test_no_timeout_when_off),
		UT_TEST(test_late_command_completes),
		UT_TEST(test_timeout_counts_from_submission_after_idle),
		UT_TEST(test_clock_going_back_times_nothing_out),
		UT_TEST(test_lost_command_times_out_after_a_step_back),
		UT_TEST(test_timeout_reset_spares_the_late_queue),
		UT_TEST(test_late_command_never_makes_the_poll_wait),
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
