/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

#define OUTSTANDING 1000

static void fixture_up(struct nvme_model_fixture *f, uint16_t entries, uint32_t admin_timeout_ms)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;

	nvme_model_opts_init(&mo);
	mo.max_entries = entries;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_timeout_ms = admin_timeout_ms;
	co.io_timeout_ms = 0;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, &co, entries), 0);
}

static void fixture_down(struct nvme_model_fixture *f)
{
	CU_ASSERT_EQUAL(nvme_model_fixture_down(f), 0);
}

/*
 * Polls until every one of @n results has a call, for up to 60 s: a bound,
 * not an oracle (the asserts after it are), long enough for a loaded host
 * where the model's thread waits for a CPU. It was 5 million polls, which
 * a loaded host ran out of before the model had answered 1000 commands.
 */
static void poll_all(struct usk_nvme_qpair *q, const struct nvme_model_result *r, int n)
{
	time_t give_up = time(NULL) + 60;

	for (int i = 0; i < n && time(NULL) < give_up;) {
		usk_nvme_qpair_process_completions(q, 0);
		while (i < n && r[i].calls > 0) {
			i++;
		}
	}
}

/*
 * The driver here runs on the clock the test moves, which stands still
 * unless a test moves it: a command the model drops times out only when
 * the test jumps the clock past its deadline, once the model has it.
 */
static bool admin_drops_taken(void *model)
{
	return nvme_model_admin_drops_taken(model);
}

/* A jump of the clock to one tick past a deadline @ms away: the driver gives up after it. */
#define PAST_MS(ms) ((ms)*1000ull + 1)

/* Jumps the clock @us on once @ready(@model) holds, from another thread. */
static void jump_when(struct ut_nvme_ticks_jump *jump, bool (*ready)(void *),
		      struct nvme_model *model, uint64_t us)
{
	CU_ASSERT_EQUAL_FATAL(ut_nvme_ticks_jump_start(jump, ready, model, us), 0);
}

/* One block written through the driver reads back the same, and lands in the model. */
static void check_write_read(struct nvme_model_fixture *f, uint64_t lba, uint8_t fill)
{
	struct nvme_model_result w = {0}, r = {0};

	memset(f->buf, fill, 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_write(f->ns, f->q, f->buf, lba, 1, nvme_model_result_done, &w), 0);
	poll_all(f->q, &w, 1);
	memset(f->buf, 0, 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, lba, 1, nvme_model_result_done, &r), 0);
	poll_all(f->q, &r, 1);
	CU_ASSERT(w.calls == 1 && w.status == 0 && r.calls == 1 && r.status == 0);
	CU_ASSERT(f->buf[0] == fill && f->buf[511] == fill);
	CU_ASSERT_EQUAL(nvme_model_ns_data(f->model, 1)[lba * 512], fill);
}

/*
 * 1000 reads outstanding: 511 in the ring, which the device keeps, and 489
 * waiting behind them. The reset ends the 511 with an abort status, once;
 * the waiting ones go out on the rebuilt queue and succeed.
 */
static void test_reset_with_1000_outstanding(void)
{
	static struct nvme_model_result r[OUTSTANDING];
	struct nvme_model_fixture f;

	memset(r, 0, sizeof(r));
	fixture_up(&f, 512, 10000);
	nvme_model_drop_completions(f.model, 511);
	for (int i = 0; i < OUTSTANDING; i++) {
		CU_ASSERT_EQUAL_FATAL(
			usk_nvme_ns_read(f.ns, f.q, f.buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	poll_all(f.q, r, OUTSTANDING);
	for (int i = 0; i < OUTSTANDING; i++) {
		CU_ASSERT_EQUAL_FATAL(r[i].calls, 1);
		CU_ASSERT_EQUAL_FATAL(r[i].status, i < 511 ? USK_NVME_SC_ABORTED_SQ_DELETION : 0);
	}
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	check_write_read(&f, 7, 0x5a);
	fixture_down(&f);
}

struct io_thread {
	struct nvme_model_loop loop;
	volatile bool started;
};

static void *io_thread_main(void *arg)
{
	struct io_thread *t = arg;

	for (int i = 0; i < 32; i++) {
		nvme_model_loop_submit(&t->loop);
	}
	t->started = true;
	nvme_model_poll_until(t->loop.q, &t->loop.completed, t->loop.target, 60);
	return NULL;
}

/*
 * A thread keeps 32 reads in flight while the main thread resets the
 * controller three times: every read completes exactly once (aborted or
 * not), and the loop runs to its end on the rebuilt queue.
 */
static void test_reset_during_io_from_another_thread(void)
{
	const struct timespec pause = {0, 1000 * 1000};
	struct nvme_model_fixture f;
	struct io_thread t = {0};
	pthread_t th;

	fixture_up(&f, 64, 10000);
	t.loop = (struct nvme_model_loop){.ns = f.ns, .q = f.q, .buf = f.buf, .target = 100000};
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, io_thread_main, &t), 0);
	while (!t.started) {
		nanosleep(&pause, NULL);
	}
	/* Each reset once the thread has done another 2000 reads: mid-stream. */
	for (int i = 0, since = 0; i < 3; i++) {
		while (*(volatile int *)&t.loop.completed < since + 2000) {
			nanosleep(&pause, NULL);
		}
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
		since = *(volatile int *)&t.loop.completed;
	}
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(t.loop.submitted, t.loop.target);
	CU_ASSERT_EQUAL(t.loop.completed, t.loop.submitted);
	/*
	 * Each reset ended the reads in the ring, and only those: at most 32.
	 * Fewer when the thread reaped some as the reset began: their
	 * resubmits wait for the rebuild instead of entering the old ring.
	 */
	CU_ASSERT(t.loop.errors > 0 && t.loop.errors <= 3 * 32);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 4);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	check_write_read(&f, 9, 0xa5);
	fixture_down(&f);
}

/* A queue pair freed before its first poll after a reset ends its commands once. */
static void test_free_qpair_after_reset(void)
{
	struct nvme_model_result r[4] = {{0}};
	struct nvme_model_fixture f;

	fixture_up(&f, 64, 10000);
	nvme_model_drop_completions(f.model, 4);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r[i]), 0);
	}
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT(r[i].calls == 1 && r[i].status == USK_NVME_SC_ABORTED_BY_REQUEST);
	}
	/* A new queue pair on the reset controller works. */
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, NULL, &f.q), 0);
	check_write_read(&f, 3, 0x33);
	fixture_down(&f);
}

/*
 * An admin command the device never answers times out, and the reset that
 * follows lets the controller, admin and I/O alike, go on.
 */
static void test_admin_timeout_resets(void)
{
	struct ut_nvme_ticks_jump jump;
	struct nvme_model_fixture f;
	uint32_t value = 0;

	fixture_up(&f, 64, 200);
	nvme_model_drop_admin_completions(f.model, 1);
	jump_when(&jump, admin_drops_taken, f.model, PAST_MS(200));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(f.c, USK_NVME_FEAT_ARBITRATION, 0, &value),
			-ETIMEDOUT);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	/* The next admin polls reset it. */
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(f.c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(f.c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	check_write_read(&f, 5, 0x77);
	fixture_down(&f);
}

/*
 * During bring-up a lost admin command fails the attach. The bug this was
 * written for: the lost command kept a pointer to its waiter's stack frame,
 * and freeing the controller completed it through that pointer.
 */
static void test_admin_timeout_during_bring_up(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c = NULL;
	struct ut_nvme_ticks_jump jump;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_timeout_ms = 100;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	nvme_model_drop_admin_completions(model, 1);
	jump_when(&jump, admin_drops_taken, model, PAST_MS(100));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), &co, &c),
			-ETIMEDOUT);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(nvme_model_enable_count(model), 1);
	nvme_model_destroy(model);
}

static struct nvme_model_fixture g_cb_fixture;
static struct nvme_model_result g_a, g_b;

static void done_a_then_reset(void *arg, const struct usk_nvme_cqe *cpl)
{
	nvme_model_result_done(&g_a, cpl);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(g_cb_fixture.c), 0);
}

/*
 * A reset from a completion callback, inside the reap loop: the command that
 * waited for the ring is kept and goes out on the rebuilt queue. The bug:
 * the loop moved it into the old ring, and the next poll ended it aborted.
 */
static void test_reset_from_a_callback_keeps_waiting_commands(void)
{
	struct nvme_model_fixture *f = &g_cb_fixture;

	g_a = g_b = (struct nvme_model_result){0};
	fixture_up(f, 64, 10000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f->q), 0);
	/* Two entries: one command in the ring, the next waits. */
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(f->c, 2, &f->q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, 0, 1, done_a_then_reset, NULL), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf + 4096, 1, 1, nvme_model_result_done, &g_b), 0);
	nvme_model_poll_until(f->q, &g_b.calls, 1, 5);
	CU_ASSERT(g_a.calls == 1 && g_a.status == 0);
	CU_ASSERT(g_b.calls == 1 && g_b.status == 0);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(f->c));
	fixture_down(f);
}

static int g_cb_resets;

static void aborted_then_reset(void *arg, const struct usk_nvme_cqe *cpl)
{
	nvme_model_result_done(arg, cpl);
	/* An "on abort, reset" policy: the first abort resets again. */
	if (g_cb_resets++ == 0) {
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(g_cb_fixture.c), 0);
	}
}

/*
 * The callbacks a rebuild runs (commands ended by a reset) may reset again:
 * the queue pair catches up with the newest reset. The bug: it recreated its
 * queues for the older one, then again, and the controller failed.
 */
static void test_reset_from_a_rebuilds_callback(void)
{
	struct nvme_model_fixture *f = &g_cb_fixture;
	struct nvme_model_result r[2] = {{0}}, last = {0};

	g_cb_resets = 0;
	fixture_up(f, 64, 10000);
	nvme_model_drop_completions(f->model, 2);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, (uint64_t)i, 1,
						 aborted_then_reset, &r[i]),
				0);
	}
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f->model));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f->c), 0);
	usk_nvme_qpair_process_completions(f->q, 0);
	CU_ASSERT(r[0].calls == 1 && r[1].calls == 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f->ns, f->q, f->buf, 2, 1, nvme_model_result_done, &last), 0);
	nvme_model_poll_until(f->q, &last.calls, 1, 5);
	CU_ASSERT(last.calls == 1 && last.status == 0);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(f->c));
	CU_ASSERT_EQUAL(nvme_model_enable_count(f->model), 3);
	fixture_down(f);
}

/*
 * Freeing a queue pair whose Delete times out: the reset that follows takes
 * the queues from the controller before their memory goes, and nothing the
 * device held runs after. The bug: the cleanup rebuilt the queue pair and
 * sent its waiting command to the device, then freed the rings under it.
 */
static void test_free_qpair_when_the_delete_times_out(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result a = {0}, b = {0};
	struct usk_nvme_qpair *again = NULL;
	struct ut_nvme_ticks_jump jump;
	uint64_t executed;

	fixture_up(&f, 64, 300);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), 0);
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(f.c, 2, &f.q), 0);
	nvme_model_drop_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &a), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf + 4096, 1, 1, nvme_model_result_done, &b), 0);
	executed = nvme_model_io_completed(f.model);
	nvme_model_drop_admin_completions(f.model, 1);
	jump_when(&jump, admin_drops_taken, f.model, PAST_MS(300));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f.q), -ETIMEDOUT);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	f.q = NULL;
	CU_ASSERT(a.calls == 1 && a.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT(b.calls == 1 && b.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvme_model_io_completed(f.model), executed);
	/* The queue ID is free on the controller too. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, NULL, &again), 0);
	f.q = again;
	fixture_down(&f);
}

/*
 * A controller that stops answering during a reset fails it, whichever
 * bring-up command it leaves unanswered. The bug: a lost Set Features of
 * the async events was let pass, and the reset "succeeded" with an admin
 * entry lost for good.
 */
static void test_lost_command_during_reset_fails_it(void)
{
	struct ut_nvme_ticks_jump jump;
	struct nvme_model_fixture f;

	fixture_up(&f, 64, 200);
	/*
	 * The two Deletes of the I/O queues and Number of Queues go through; the
	 * async event configuration is lost.
	 */
	nvme_model_drop_admin_completions_after(f.model, 3, 1);
	jump_when(&jump, admin_drops_taken, f.model, PAST_MS(200));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), -ETIMEDOUT);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	/* Failing it is polled too: the polls after see CSTS.RDY clear. */
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(f.c));
	fixture_down(&f);
}

/*
 * A reset deletes the I/O queues before it disables the controller, so the
 * disable finds none (QEMU's controller crashed when it found one with
 * commands it had fetched). Each queue pair, the other one too, is built
 * again and works; the command the device held ends once, with SQ Deletion.
 */
static void test_reset_deletes_io_queues_before_disabling(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_qpair *q2;
	struct nvme_model_result r = {0}, r2 = {0};

	fixture_up(&f, 64, 10000);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, NULL, &q2), 0);
	nvme_model_drop_completions(f.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(f.model));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
	CU_ASSERT_EQUAL(nvme_model_live_sqs_at_disable(f.model), 0);
	poll_all(f.q, &r, 1);
	CU_ASSERT(r.calls == 1 && r.status == USK_NVME_SC_ABORTED_SQ_DELETION);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q2, f.buf, 1, 1, nvme_model_result_done, &r2), 0);
	poll_all(q2, &r2, 1);
	CU_ASSERT(r2.calls == 1 && r2.status == 0);
	check_write_read(&f, 3, 0x3c);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q2), 0);
	fixture_down(&f);
}

/* A read of block 9 into the fixture's buffer, on the thread the helper runs it on. */
struct read_call {
	struct nvme_model_fixture *f;
	struct nvme_model_result *r;
	int rc;
};

static void read_block_9(void *arg)
{
	struct read_call *call = arg;

	call->rc = usk_nvme_ns_read(call->f->ns, call->f->q, call->f->buf, 9, 1, nvme_model_result_done, call->r);
}

static void poll_qpair(void *fixture)
{
	struct nvme_model_fixture *f = fixture;

	usk_nvme_qpair_process_completions(f->q, 0);
}

/*
 * After a reset, a queue pair's queues are made again without its thread
 * waiting: the model never answers the Create I/O CQ, and the submission
 * and the polls still return at once (the read waits). Past the admin
 * timeout the lost Create has the controller reset by the admin poll, and
 * the queue pair is then rebuilt and the read goes out. The bug: the
 * owner's poll sent the Creates and waited for them, under the admin lock.
 */
static void test_rebuild_never_waits_for_create(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct read_call call = {.f = &f, .r = &r, .rc = -1};
	time_t give_up = time(NULL) + 30;

	uint32_t value;

	fixture_up(&f, 64, 200);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
	/* The reset ends by sending event requests unanswered: one answer later, they are taken. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(f.c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	nvme_model_drop_admin_completions(f.model, 1);
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(read_block_9, &call));
	CU_ASSERT_EQUAL(call.rc, 0);
	while (!nvme_model_admin_drops_taken(f.model) && time(NULL) < give_up) {
		sched_yield();
	}
	CU_ASSERT_TRUE(nvme_model_admin_drops_taken(f.model));
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_qpair, &f));
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	ut_nvme_ticks_advance(PAST_MS(200));
	usk_nvme_qpair_process_completions(f.q, 0);
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 3);
	CU_ASSERT_EQUAL(nvme_model_poll_until(f.q, &r.calls, 1, 30), 1);
	CU_ASSERT_EQUAL(r.status, 0);
	fixture_down(&f);
}

/*
 * Resets asked for without waiting: nothing happens until the admin poll,
 * which does one reset for the three callers and then calls each back once.
 */
static void test_reset_async_callers_share_one_reset(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_reset_result r[3] = {{0}};

	fixture_up(&f, 64, 1000);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &r[i]), 0);
	}
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 1);
	CU_ASSERT_EQUAL(r[0].calls + r[1].calls + r[2].calls, 0);
	CU_ASSERT(usk_nvme_ctrlr_process_admin_completions(f.c) >= 0);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_resetting(f.c));
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].rc, 0);
	}
	usk_nvme_ctrlr_process_admin_completions(f.c);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	CU_ASSERT_EQUAL(r[0].calls, 1);
	check_write_read(&f, 7, 0x5a);
	fixture_down(&f);
}

/*
 * A controller that fails (or is detached) before the reset: the callers
 * hear -ENXIO, once; a failed one refuses new requests.
 */
static void test_reset_async_on_a_failed_controller(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_reset_result early = {0}, at_detach = {0};

	fixture_up(&f, 64, 1000);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &early), 0);
	nvme_model_remove(f.model);
	/* The polls that see it removed fail it once it has stopped (the model's thread clears RDY). */
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(f.c, 30));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(f.c), -ENXIO);
	CU_ASSERT_EQUAL(early.calls, 1);
	CU_ASSERT_EQUAL(early.rc, -ENXIO);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(f.c, nvme_model_reset_done, &early), -ENXIO);
	/* A removed device: freeing its queue pair reports what it could not delete. */
	nvme_model_fixture_down(&f);
	CU_ASSERT_EQUAL(early.calls, 1);

	/* No queue pair: nothing polls the admin queue before the detach. */
	struct nvme_model_opts mo;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c = NULL;

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), NULL, &c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset_async(c, nvme_model_reset_done, &at_detach), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	CU_ASSERT_EQUAL(at_detach.calls, 1);
	CU_ASSERT_EQUAL(at_detach.rc, -ENXIO);
	nvme_model_destroy(model);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_reset_with_1000_outstanding),
		UT_TEST(test_reset_deletes_io_queues_before_disabling),
		UT_TEST(test_reset_during_io_from_another_thread),
		UT_TEST(test_free_qpair_after_reset),
		UT_TEST(test_admin_timeout_resets),
		UT_TEST(test_rebuild_never_waits_for_create),
		UT_TEST(test_reset_async_callers_share_one_reset),
		UT_TEST(test_reset_async_on_a_failed_controller),
		UT_TEST(test_admin_timeout_during_bring_up),
		UT_TEST(test_reset_from_a_callback_keeps_waiting_commands),
		UT_TEST(test_reset_from_a_rebuilds_callback),
		UT_TEST(test_free_qpair_when_the_delete_times_out),
		UT_TEST(test_lost_command_during_reset_fails_it),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_reset", tests);
	usk_env_fini();
	return rc;
}
