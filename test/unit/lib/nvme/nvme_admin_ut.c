/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin commands against the NVMe controller model, on a clock the test
 * moves. Sources it covers (lib/nvme): nvme_admin.c and nvme_admin_queue.c
 * (posting, reaping, late commands).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "nvme_internal.h"
#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static struct nvme_model *g_model;

/* The admin timeout of these tests, on the clock the test moves (ut_nvme_ticks.h). */
#define ADMIN_TIMEOUT_MS 500

static struct usk_nvme_ctrlr *attach(const struct nvme_model_opts *mo)
{
	struct usk_nvme_ctrlr_opts co;
	struct usk_nvme_ctrlr *c = NULL;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_timeout_ms = ADMIN_TIMEOUT_MS;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &co, &c),
			      0);
	/*
	 * Attach ends by sending Asynchronous Event Requests without waiting:
	 * one answered command later the model has fetched them, so a drop
	 * planned next is not taken by one of them.
	 */
	uint32_t value;

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	return c;
}

static struct usk_nvme_ctrlr *attach_default(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	return attach(&mo);
}

static void detach(struct usk_nvme_ctrlr *c)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(g_model);
}

static void count_call(void *arg, const struct usk_nvme_cqe *cpl)
{
	*(int *)arg += USK_NVME_STATUS_CODE(cpl->status) == 0;
}

static void test_log_pages_and_features(void)
{
	struct nvme_model_opts mo;
	uint8_t *page = usk_dma_zmalloc(512, 4096, -1);
	uint32_t value = 0;

	nvme_model_opts_init(&mo);
	struct usk_nvme_ctrlr *c = attach(&mo);

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_log_page(c, 0x02, 0xffffffff, page, 512), 0);
	CU_ASSERT_EQUAL(page[1] | page[2] << 8, 300);
	CU_ASSERT_EQUAL(page[3], 100);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_log_page(c, 0x02, 0xffffffff, page, 6), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_log_page(c, 0x7f, 0xffffffff, page, 512), -EIO);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_set_feature(c, USK_NVME_FEAT_ARBITRATION, 3, NULL), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	CU_ASSERT_EQUAL(value, 3);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, 0x42, 0, &value), -EIO);
	detach(c);
	usk_dma_free(page);
}

/*
 * Delete I/O CQ while its SQ is there is refused with Invalid Queue
 * Deletion (SCT 1, SC 0Ch), and the queue pair goes on working; the
 * driver's own free (SQ first, then CQ) succeeds.
 */
static void test_delete_cq_under_live_sq_refused(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct usk_nvme_cqe cpl = {0};
	int calls = 0;

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 16), 0);
	/* The fixture's queue pair is the controller's first: queue ID 1. */
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_DELETE_IO_CQ, .cdw10 = 1};

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_admin_cmd_sync(f.c, &cmd, NULL, 0, &cpl), -EIO);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_CODE(cpl.status), 0x10c);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 8, count_call, &calls), 0);
	nvme_model_poll_until(f.q, &calls, 1, 30);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* The result of one admin command sent with usk_nvme_ctrlr_cmd_admin_raw(). */
struct admin_result {
	int calls;
	uint16_t status;
	uint32_t dw0;
};

static void admin_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct admin_result *r = arg;

	r->calls++;
	r->status = USK_NVME_STATUS_CODE(cpl->status);
	r->dw0 = cpl->dw0;
}

/* Polls the admin queue until @r has its callback, for up to 30 s (a bound, not an oracle). */
static void poll_admin_until_done(struct usk_nvme_ctrlr *c, const struct admin_result *r)
{
	time_t give_up = time(NULL) + 30;

	while (r->calls == 0 && time(NULL) < give_up) {
		usk_nvme_ctrlr_process_admin_completions(c);
	}
}

static const struct usk_nvme_sqe g_get_arbitration = {
	.opcode = USK_NVME_OPC_GET_FEATURES, .cdw10 = USK_NVME_FEAT_ARBITRATION};

/*
 * Many commands in flight, more than the admin queue holds: each is taken
 * or refused with -EAGAIN, and each callback taken runs exactly once, from
 * the poll, never from the send.
 */
static void test_raw_commands_complete_once_from_the_poll(void)
{
	enum { COUNT = 300 };
	static struct admin_result results[COUNT];
	struct usk_nvme_ctrlr *c = attach_default();
	int sent = 0, refused = 0;

	memset(results, 0, sizeof(results));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_set_feature(c, USK_NVME_FEAT_ARBITRATION, 5, NULL), 0);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_admin_busy(c));
	while (sent < COUNT) {
		int rc = usk_nvme_ctrlr_cmd_admin_raw(c, &g_get_arbitration, NULL, 0, admin_done,
						      &results[sent]);

		CU_ASSERT_TRUE_FATAL(rc == 0 || rc == -EAGAIN);
		if (rc == 0) {
			/* The callback waits for the poll, however fast the model is. */
			CU_ASSERT_EQUAL(results[sent].calls, 0);
			CU_ASSERT_TRUE(usk_nvme_ctrlr_admin_busy(c));
			sent++;
		} else {
			refused++;
			usk_nvme_ctrlr_process_admin_completions(c);
		}
	}
	CU_ASSERT_TRUE(refused > 0);
	poll_admin_until_done(c, &results[COUNT - 1]);
	for (int i = 0; i < COUNT; i++) {
		CU_ASSERT_EQUAL(results[i].calls, 1);
		CU_ASSERT_EQUAL(results[i].status, 0);
		CU_ASSERT_EQUAL(results[i].dw0, 5);
	}
	CU_ASSERT_FALSE(usk_nvme_ctrlr_admin_busy(c));
	detach(c);
}

/* Whatever the driver does not know goes out as given and comes back with the device's status. */
static void test_raw_command_carries_any_opcode(void)
{
	struct usk_nvme_ctrlr *c = attach_default();
	struct admin_result vendor = {0}, identify = {0};
	struct usk_nvme_sqe cmd = {.opcode = 0xc1, .cdw10 = 0x1234};
	struct usk_nvme_sqe id = {.opcode = USK_NVME_OPC_IDENTIFY, .cdw10 = USK_NVME_CNS_CONTROLLER};
	struct usk_nvme_ctrlr_data *data = usk_dma_zmalloc(sizeof(*data), 4096, -1);

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &cmd, NULL, 0, admin_done, &vendor), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &id, data, sizeof(*data), admin_done,
						     &identify),
			0);
	poll_admin_until_done(c, &identify);
	poll_admin_until_done(c, &vendor);
	CU_ASSERT_EQUAL(vendor.calls, 1);
	CU_ASSERT_EQUAL(vendor.status, USK_NVME_SC_INVALID_OPCODE);
	CU_ASSERT_EQUAL(identify.calls, 1);
	CU_ASSERT_EQUAL(identify.status, 0);
	CU_ASSERT_EQUAL(memcmp(data->mn, usk_nvme_ctrlr_get_data(c)->mn, sizeof(data->mn)), 0);
	usk_dma_free(data);
	detach(c);
}

/*
 * Polls as an admin poller does until the controller has failed (the model
 * stops on its own thread), for up to 30 s of real time.
 */
static bool poll_until_failed(struct usk_nvme_ctrlr *c)
{
	time_t give_up = time(NULL) + 30;

	while (usk_nvme_ctrlr_process_admin_completions(c) != -ENXIO && time(NULL) < give_up) {
		sched_yield();
	}
	return usk_nvme_ctrlr_is_failed(c);
}

/* Bad input is refused at once, and nothing is sent to a failed controller. */
static void test_raw_command_refusals(void)
{
	struct usk_nvme_ctrlr *c = attach_default();
	struct admin_result r = {0};
	struct usk_nvme_ctrlr_data on_stack;
	struct usk_nvme_sqe id = {.opcode = USK_NVME_OPC_IDENTIFY, .cdw10 = USK_NVME_CNS_CONTROLLER};

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &g_get_arbitration, NULL, 0, NULL, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &id, &on_stack, sizeof(on_stack),
						     admin_done, &r),
			-EINVAL);
	nvme_model_remove(g_model);
	CU_ASSERT_TRUE(poll_until_failed(c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &g_get_arbitration, NULL, 0, admin_done,
						     &r),
			-ENXIO);
	CU_ASSERT_EQUAL(r.calls, 0);
	detach(c);
}

/* A callback may wait on a synchronous admin command: it runs with no lock held. */
static struct usk_nvme_ctrlr *g_ctrlr;
static uint32_t g_value_in_callback;
static int g_rc_in_callback = -1;

static void get_feature_in_callback(void *arg, const struct usk_nvme_cqe *cpl)
{
	admin_done(arg, cpl);
	g_rc_in_callback = usk_nvme_ctrlr_get_feature(g_ctrlr, USK_NVME_FEAT_ARBITRATION, 0,
						      &g_value_in_callback);
}

static void test_callback_may_wait_on_a_sync_command(void)
{
	struct admin_result r = {0};

	g_ctrlr = attach_default();
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_set_feature(g_ctrlr, USK_NVME_FEAT_ARBITRATION, 6, NULL), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(g_ctrlr, &g_get_arbitration, NULL, 0,
						     get_feature_in_callback, &r),
			0);
	poll_admin_until_done(g_ctrlr, &r);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(g_rc_in_callback, 0);
	CU_ASSERT_EQUAL(g_value_in_callback, 6);
	detach(g_ctrlr);
}

/* A synchronous command on its own thread, whose answer the model never sends. */
struct sync_waiter {
	pthread_t thread;
	struct usk_nvme_ctrlr *c;
	int rc;
	bool returned;
};

static void *sync_waiter_run(void *arg)
{
	struct sync_waiter *w = arg;
	uint32_t value;

	w->rc = usk_nvme_ctrlr_get_feature(w->c, USK_NVME_FEAT_ARBITRATION, 0, &value);
	__atomic_store_n(&w->returned, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Waits up to 30 s of real time for the model to have taken the admin commands it drops. */
static bool wait_admin_drops_taken(void)
{
	time_t give_up = time(NULL) + 30;

	while (!nvme_model_admin_drops_taken(g_model) && time(NULL) < give_up) {
		sched_yield();
	}
	return nvme_model_admin_drops_taken(g_model);
}

/*
 * While one thread waits on a synchronous command the device has not
 * answered, another sends and completes admin commands: the waiter holds
 * no lock. It used to hold the admin lock for the whole admin timeout.
 */
static void test_sync_wait_leaves_the_queue_to_others(void)
{
	struct sync_waiter w = {.c = attach_default()};
	struct admin_result r = {0};

	nvme_model_drop_admin_completions(g_model, 1);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&w.thread, NULL, sync_waiter_run, &w), 0);
	CU_ASSERT_TRUE(wait_admin_drops_taken());
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(w.c, &g_get_arbitration, NULL, 0, admin_done,
						     &r),
			0);
	poll_admin_until_done(w.c, &r);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_FALSE(__atomic_load_n(&w.returned, __ATOMIC_ACQUIRE));
	/* The clock stands still until now: the waiter times out only on this move. */
	ut_nvme_ticks_advance(ADMIN_TIMEOUT_MS * 1000ull + 1);
	pthread_join(w.thread, NULL);
	CU_ASSERT_EQUAL(w.rc, -ETIMEDOUT);
	/* The lost command has the next admin polls reset the controller. */
	CU_ASSERT_TRUE(usk_nvme_ctrlr_admin_busy(w.c));
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(w.c, 30));
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	detach(w.c);
}

/*
 * A raw command the device never answers: past the admin timeout the poll
 * resets the controller, which ends it with Command Abort Requested, once;
 * the controller then answers again.
 */
static void test_lost_raw_command_resets_the_controller(void)
{
	struct usk_nvme_ctrlr *c = attach_default();
	struct admin_result lost = {0}, after = {0};

	nvme_model_drop_admin_completions(g_model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &g_get_arbitration, NULL, 0, admin_done,
						     &lost),
			0);
	CU_ASSERT_TRUE(wait_admin_drops_taken());
	usk_nvme_ctrlr_process_admin_completions(c);
	ut_nvme_ticks_advance(ADMIN_TIMEOUT_MS * 1000ull);
	usk_nvme_ctrlr_process_admin_completions(c);
	/* Not late yet: at the deadline, not past it. */
	CU_ASSERT_EQUAL(lost.calls, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 1);
	ut_nvme_ticks_advance(1);
	usk_nvme_ctrlr_process_admin_completions(c);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_resetting(c));
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(c, 30));
	CU_ASSERT_EQUAL(lost.calls, 1);
	CU_ASSERT_EQUAL(lost.status, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_admin_busy(c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &g_get_arbitration, NULL, 0, admin_done,
						     &after),
			0);
	poll_admin_until_done(c, &after);
	CU_ASSERT_EQUAL(after.status, 0);
	CU_ASSERT_EQUAL(lost.calls, 1);
	detach(c);
}

static bool sync_command_waits(void *ctrlr)
{
	struct usk_nvme_ctrlr *c = ctrlr;

	return __atomic_load_n(&c->admin->waiting, __ATOMIC_ACQUIRE) == 1;
}

/*
 * Polls the admin queue until the reset the abandoned command asked for is
 * done, over a stack area that covers the returned waiter's frame: returns
 * whether the area was left alone.
 */
static bool reset_leaves_the_stack_alone(struct usk_nvme_ctrlr *c)
{
	volatile uint8_t area[16384];
	bool intact = true;

	for (size_t i = 0; i < sizeof(area); i++) {
		area[i] = 0xa5;
	}
	CU_ASSERT_TRUE(nvme_model_admin_poll_while_busy(c, 30));
	for (size_t i = 0; i < sizeof(area); i++) {
		intact &= area[i] == 0xa5;
	}
	return intact;
}

/*
 * A synchronous command that waits for room on the admin queue (every
 * entry held by commands the device never answers and that have no
 * deadline of their own, such as Aborts) and times out there: it is taken
 * off the queue when its caller gives up. The bug: only commands in the
 * ring were forgotten, so the reset that followed ended the waiting one by
 * calling back into the returned caller's stack frame.
 */
static void test_sync_command_waiting_for_room_is_forgotten(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct ut_nvme_ticks_jump jump;
	struct usk_nvme_ctrlr *c = NULL;
	uint32_t value;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_timeout_ms = ADMIN_TIMEOUT_MS;
	co.admin_queue_size = 4; /* 3 commands: one event request and two more */
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &co, &c),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	nvme_model_drop_admin_completions(g_model, 2);
	CU_ASSERT_EQUAL(nvme_admin_post(c, &g_get_arbitration, false), 0);
	CU_ASSERT_EQUAL(nvme_admin_post(c, &g_get_arbitration, false), 0);
	CU_ASSERT_TRUE(wait_admin_drops_taken());
	CU_ASSERT_EQUAL_FATAL(ut_nvme_ticks_jump_start(&jump, sync_command_waits, c,
						       ADMIN_TIMEOUT_MS * 1000ull + 1),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value),
			-ETIMEDOUT);
	CU_ASSERT_TRUE(ut_nvme_ticks_jump_wait(&jump));
	CU_ASSERT_TRUE(reset_leaves_the_stack_alone(c));
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	CU_ASSERT_EQUAL(__atomic_load_n(&c->admin->waiting, __ATOMIC_ACQUIRE), 0);
	detach(c);
}

/* Detach ends a command still out, and its callback runs once before detach returns. */
static void test_detach_ends_raw_commands(void)
{
	struct usk_nvme_ctrlr *c = attach_default();
	struct admin_result lost = {0};

	nvme_model_drop_admin_completions(g_model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_cmd_admin_raw(c, &g_get_arbitration, NULL, 0, admin_done,
						     &lost),
			0);
	CU_ASSERT_TRUE(wait_admin_drops_taken());
	detach(c);
	CU_ASSERT_EQUAL(lost.calls, 1);
	CU_ASSERT_EQUAL(lost.status, USK_NVME_SC_ABORTED_BY_REQUEST);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_log_pages_and_features),
		UT_TEST(test_delete_cq_under_live_sq_refused),
		UT_TEST(test_raw_commands_complete_once_from_the_poll),
		UT_TEST(test_raw_command_carries_any_opcode),
		UT_TEST(test_raw_command_refusals),
		UT_TEST(test_callback_may_wait_on_a_sync_command),
		UT_TEST(test_sync_wait_leaves_the_queue_to_others),
		UT_TEST(test_lost_raw_command_resets_the_controller),
		UT_TEST(test_detach_ends_raw_commands),
		UT_TEST(test_sync_command_waiting_for_room_is_forgotten),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_admin", tests);
	usk_env_fini();
	return rc;
}
