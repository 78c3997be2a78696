/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvme_qpair_disconnect.c and connect_async (nvme_qpair_connect.c): a queue
 * pair's queues put on and taken off the controller without the owner ever
 * waiting for an admin answer, against the NVMe controller model, on the
 * clock the test moves.
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

#define ADMIN_TIMEOUT_MS 300

static void fixture_up(struct nvme_model_fixture *f, uint32_t entries)
{
	struct usk_nvme_ctrlr_opts co;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_timeout_ms = ADMIN_TIMEOUT_MS;
	co.io_timeout_ms = 0;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, NULL, &co, entries), 0);
}

static int alloc_async(struct usk_nvme_ctrlr *c, uint32_t entries, struct usk_nvme_qpair **q)
{
	struct usk_nvme_io_qpair_opts opts;

	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.io_queue_size = entries;
	opts.connect_async = true;
	return usk_nvme_ctrlr_alloc_io_qpair(c, &opts, q);
}

/*
 * Polls @q, and the admin side as an application's admin poller would,
 * until a poll returns @want or 30 s of real time pass (a bound, not an
 * oracle: the model answers on its own thread). Returns the last poll's
 * value.
 */
static int poll_for(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q, int want)
{
	time_t give_up = time(NULL) + 30;
	int rc;

	while ((rc = usk_nvme_qpair_process_completions(q, 0)) != want && time(NULL) < give_up) {
		usk_nvme_ctrlr_process_admin_completions(c);
		sched_yield();
	}
	return rc;
}

/* The queue ID came back: every one the model grants can be taken again. */
static void assert_all_qids_free(struct usk_nvme_ctrlr *c, uint32_t count)
{
	struct usk_nvme_qpair *q[16];
	uint32_t made = 0;

	while (made < count && made < 16 && nvme_model_alloc_qpair(c, 2, &q[made]) == 0) {
		made++;
	}
	CU_ASSERT_EQUAL(made, count);
	while (made > 0) {
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q[--made]), 0);
	}
}

/*
 * connect_async: the allocation returns while the model has not even
 * fetched Create I/O CQ; a read submitted meanwhile waits in the queue
 * pair and completes once the queues exist.
 */
static void test_connect_async_returns_at_once(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q;

	fixture_up(&f, 16);
	nvme_model_pause(f.model, true);
	CU_ASSERT_EQUAL_FATAL(alloc_async(f.c, 16, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 1);
	CU_ASSERT_EQUAL(r.calls, 0);
	nvme_model_pause(f.model, false);
	nvme_model_poll_until(q, &r.calls, 1, 30);
	CU_ASSERT(r.calls == 1 && r.status == 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * connect_async with Create I/O CQ refused: polls and submissions say
 * -EIO, the read that waited ends once with Command Abort Requested, and
 * the queue pair frees without a Delete.
 */
static void test_connect_async_refused(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q;

	fixture_up(&f, 16);
	nvme_model_pause(f.model, true);
	nvme_model_inject_admin_status(f.model, USK_NVME_OPC_CREATE_IO_CQ, 0x101, 1);
	CU_ASSERT_EQUAL_FATAL(alloc_async(f.c, 16, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	nvme_model_pause(f.model, false);
	CU_ASSERT_EQUAL(poll_for(f.c, q, -EIO), -EIO);
	CU_ASSERT(r.calls == 1 && r.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), -EIO);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * Disconnect does not wait: it returns, and polls return, while the model
 * has not fetched Delete I/O SQ; once it runs again the polls end with
 * -ENOTCONN, the free is immediate and the queue ID is free again.
 */
static void test_disconnect_does_not_wait(void)
{
	struct nvme_model_fixture f;

	fixture_up(&f, 16);
	nvme_model_pause(f.model, true);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(f.q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(f.q), -EALREADY);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(f.c), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(f.c), -EBUSY);
	nvme_model_pause(f.model, false);
	CU_ASSERT_EQUAL(poll_for(f.c, f.q, -ENOTCONN), -ENOTCONN);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), -ENOTCONN);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), 0);
	f.q = NULL;
	assert_all_qids_free(f.c, 8);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * What the queue pair held ends once, with the right status: the read the
 * controller had fetched with SQ Deletion (the controller's answer, reaped
 * before Delete I/O CQ), the one waiting for the ring with Command Abort
 * Requested. Submissions after the disconnect are refused.
 */
static void test_disconnect_ends_commands_once(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result a = {0}, b = {0}, c = {0};

	fixture_up(&f, 2);
	nvme_model_drop_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &a), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 1, 1, nvme_model_result_done, &b), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(f.q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 2, 1, nvme_model_result_done, &c), -ENXIO);
	CU_ASSERT_EQUAL(poll_for(f.c, f.q, -ENOTCONN), -ENOTCONN);
	CU_ASSERT(a.calls == 1 && a.status == USK_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT(b.calls == 1 && b.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), 0);
	f.q = NULL;
	CU_ASSERT(a.calls == 1 && b.calls == 1 && c.calls == 0);
	assert_all_qids_free(f.c, 8);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A Delete the controller refuses asks for a reset that does not spare the
 * queue; the admin poll does it, the queue pair is then disconnected, and
 * the free reports the refusal. Before, the free reset the controller
 * itself, on the owner's thread.
 */
static void test_refused_delete_asks_for_a_reset(void)
{
	struct nvme_model_fixture f;
	uint32_t enables;

	fixture_up(&f, 16);
	enables = nvme_model_enable_count(f.model);
	nvme_model_inject_admin_status(f.model, USK_NVME_OPC_DELETE_IO_SQ, 0x101, 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(f.q), 0);
	CU_ASSERT(nvme_model_admin_settle(f.model));
	/* The owner sees the refusal and asks; it resets nothing itself. */
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), enables);
	CU_ASSERT_EQUAL(poll_for(f.c, f.q, -ENOTCONN), -ENOTCONN);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), enables + 1);
	/* Not spared: the reset deleted the queue before it disabled the controller. */
	CU_ASSERT_EQUAL(nvme_model_live_sqs_at_disable(f.model), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), -EIO);
	f.q = NULL;
	assert_all_qids_free(f.c, 8);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * Delete I/O CQ lost: the queue pair is not disconnected (its CQ may still
 * be written) until the admin timeout has the controller reset; then it
 * is, without the owner having waited.
 */
static void test_lost_delete_resets_after_the_timeout(void)
{
	struct nvme_model_fixture f;
	uint32_t enables;

	fixture_up(&f, 16);
	enables = nvme_model_enable_count(f.model);
	nvme_model_drop_admin_completions_after(f.model, 1, 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(f.q), 0);
	while (!nvme_model_admin_drops_taken(f.model)) {
		CU_ASSERT_EQUAL_FATAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
		sched_yield();
	}
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(f.c), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), enables);
	ut_nvme_ticks_advance(ADMIN_TIMEOUT_MS * 1000ull + 1);
	CU_ASSERT_EQUAL(poll_for(f.c, f.q, -ENOTCONN), -ENOTCONN);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), enables + 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), -ETIMEDOUT);
	f.q = NULL;
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(f.c));
	assert_all_qids_free(f.c, 8);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A reset took the queues: the disconnect sends no Delete for queues the
 * controller no longer has, and is done at once.
 */
static void test_disconnect_after_a_reset_sends_no_delete(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_sqe last, now;

	fixture_up(&f, 16);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
	CU_ASSERT(nvme_model_admin_settle(f.model));
	nvme_model_last_sqe(f.model, 0, &last);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(f.q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), -ENOTCONN);
	CU_ASSERT(nvme_model_admin_settle(f.model));
	nvme_model_last_sqe(f.model, 0, &now);
	CU_ASSERT(now.cid == last.cid && now.opcode == last.opcode);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), 0);
	f.q = NULL;
	assert_all_qids_free(f.c, 8);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_connect_async_returns_at_once),
		UT_TEST(test_connect_async_refused),
		UT_TEST(test_disconnect_does_not_wait),
		UT_TEST(test_disconnect_ends_commands_once),
		UT_TEST(test_refused_delete_asks_for_a_reset),
		UT_TEST(test_lost_delete_resets_after_the_timeout),
		UT_TEST(test_disconnect_after_a_reset_sends_no_delete),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_qpair_disconnect", tests);
	usk_env_fini();
	return rc;
}
