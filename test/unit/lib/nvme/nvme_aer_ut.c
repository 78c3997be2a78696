/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asynchronous events against the NVMe controller model. Sources it covers
 * (lib/nvme): nvme_aer.c and nvme_ns_refresh.c (the namespaces read again
 * after a Namespace Attribute Changed event).
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
#include "usk/pci.h"

static struct nvme_model *g_model;
static struct usk_nvme_ctrlr *g_ctrlr;
static int g_events;
static uint32_t g_dw0;
static int g_admin_rc_in_cb;

static void on_event(void *ctx, struct usk_nvme_ctrlr *c, uint32_t dw0)
{
	uint32_t value;

	CU_ASSERT_PTR_EQUAL(ctx, &g_events);
	CU_ASSERT_PTR_EQUAL(c, g_ctrlr);
	g_events++;
	g_dw0 = dw0;
	/* No lock is held: an admin command from here works. */
	g_admin_rc_in_cb = usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value);
}

/* Runs the health check until @want events were delivered, up to 5 s. */
static void poll_events(int want)
{
	time_t end = time(NULL) + 5;

	while (g_events < want && time(NULL) <= end) {
		CU_ASSERT_FATAL(usk_nvme_ctrlr_process_admin_completions(g_ctrlr) >= 0);
		sched_yield();
	}
	CU_ASSERT_EQUAL(g_events, want);
}

/* Waits for the model to hold @want requests. */
static void wait_aers(uint32_t want)
{
	time_t end = time(NULL) + 5;

	while (nvme_model_aers_waiting(g_model) != want && time(NULL) <= end) {
		usk_nvme_ctrlr_process_admin_completions(g_ctrlr);
		sched_yield();
	}
	CU_ASSERT_EQUAL(nvme_model_aers_waiting(g_model), want);
}

static void setup(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_ctrlr), 0);
	usk_nvme_ctrlr_set_aer_cb(g_ctrlr, on_event, &g_events);
	g_events = 0;
	g_admin_rc_in_cb = -1;
}

static void teardown(void)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(g_ctrlr), 0);
	nvme_model_destroy(g_model);
}

/* Bring-up leaves AERL + 1 requests waiting; an event comes back decoded, and is re-armed. */
static void test_smart_event(void)
{
	setup();
	wait_aers(4);
	/* SMART / health, temperature above threshold, log page 02h. */
	nvme_model_raise_event(g_model, 0x020101);
	poll_events(1);
	CU_ASSERT_EQUAL(USK_NVME_AER_TYPE(g_dw0), USK_NVME_AER_TYPE_SMART);
	CU_ASSERT_EQUAL(USK_NVME_AER_INFO(g_dw0), 1);
	CU_ASSERT_EQUAL(USK_NVME_AER_LOG_PAGE(g_dw0), 2);
	CU_ASSERT_EQUAL(g_admin_rc_in_cb, 0);
	wait_aers(4);
	teardown();
}

/*
 * Bring-up chooses only events the controller serves: the model refuses a
 * reserved bit as Linux's nvmet does, and the choice must have been taken.
 */
static void test_event_config_taken(void)
{
	setup();
	wait_aers(4);
	CU_ASSERT_EQUAL(nvme_model_async_event_config(g_model),
			USK_NVME_AEC_SMART_WARNINGS | USK_NVME_OAES_NS_ATTR);
	teardown();
}

/* A namespace that shrinks: the notice refreshes it in place before the callback. */
static void test_namespace_change(void)
{
	setup();
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(g_ctrlr, 1);

	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_get_num_blocks(ns), 2048);
	wait_aers(4);
	nvme_model_set_ns_blocks(g_model, 1, 1024);
	nvme_model_raise_event(g_model, 0x040002);
	poll_events(1);
	CU_ASSERT_EQUAL(USK_NVME_AER_TYPE(g_dw0), USK_NVME_AER_TYPE_NOTICE);
	CU_ASSERT_EQUAL(USK_NVME_AER_INFO(g_dw0), USK_NVME_AER_NOTICE_NS_CHANGED);
	CU_ASSERT_PTR_EQUAL(usk_nvme_ctrlr_get_ns(g_ctrlr, 1), ns);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_num_blocks(ns), 1024);
	teardown();
}

/* A reset ends the waiting requests without an event, and arms new ones. */
static void test_reset_rearms(void)
{
	setup();
	wait_aers(4);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(g_ctrlr), 0);
	wait_aers(4);
	CU_ASSERT_EQUAL(g_events, 0);
	nvme_model_raise_event(g_model, 0x020101);
	poll_events(1);
	teardown();
}

/*
 * A small admin queue keeps room for commands beside the event requests.
 * The bug: with 4 entries the requests took every one, and each admin
 * command timed out, reset, and the reset armed them again.
 */
static void test_small_admin_queue(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct usk_nvme_qpair *q;
	uint32_t value;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_queue_size = 4;
	co.admin_timeout_ms = 500;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &co, &g_ctrlr), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(g_ctrlr, USK_NVME_FEAT_ARBITRATION, 0, &value),
			0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 1);
	teardown();
}

static void poll_admin(void *ctrlr)
{
	usk_nvme_ctrlr_process_admin_completions(ctrlr);
}

/*
 * With one admin command lost: each admin poll returns at once until the
 * model has taken the command, and the event waits; past the admin timeout
 * the reset ends the lost command, and the event reaches the callback.
 */
static void poll_through_a_lost_command(void)
{
	time_t give_up = time(NULL) + 30;

	while (!nvme_model_admin_drops_taken(g_model) && time(NULL) < give_up) {
		CU_ASSERT_TRUE_FATAL(ut_nvme_ticks_call_returns(poll_admin, g_ctrlr));
	}
	CU_ASSERT_TRUE(nvme_model_admin_drops_taken(g_model));
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(poll_admin, g_ctrlr));
	CU_ASSERT_EQUAL(g_events, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 1);
	ut_nvme_ticks_advance(10000 * 1000ull + 1);
	poll_events(1);
}

/*
 * An event whose log page the controller does not give: the admin poll
 * sends the read and returns at once; the event waits. Past the admin
 * timeout the lost read has the controller reset, which ends it; the event
 * then reaches the callback (its page unread), once, and the reset arms
 * new requests. The bug: the admin poll read the page synchronously,
 * waiting up to the admin timeout (for ever, on the clock this test moves).
 */
static void test_event_log_read_never_makes_the_poll_wait(void)
{
	setup();
	wait_aers(4);
	nvme_model_drop_admin_completions(g_model, 1);
	nvme_model_raise_event(g_model, 0x020101);
	poll_through_a_lost_command();
	CU_ASSERT_EQUAL(USK_NVME_AER_LOG_PAGE(g_dw0), 2);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	wait_aers(4);
	CU_ASSERT_EQUAL(g_events, 1);
	teardown();
}

/*
 * A namespace change whose refresh meets a controller that stops answering:
 * the Get Log Page goes through, the Identify after it is lost. The admin
 * poll sends the Identify and returns at once, every time; past the admin
 * timeout the reset ends the lost command, the refresh sends it again, and
 * the callback hears of the event once. Then a second change is refreshed. The
 * bug: the refresh's Identify commands were synchronous, so the admin poll
 * waited up to the admin timeout (for ever, on the clock this test moves).
 */
static void test_namespace_refresh_never_makes_the_poll_wait(void)
{
	struct usk_nvme_ns *ns;

	setup();
	ns = usk_nvme_ctrlr_get_ns(g_ctrlr, 1);
	wait_aers(4);
	/* Through: the Get Log Page and the request that replaces the event's. */
	nvme_model_drop_admin_completions_after(g_model, 2, 1);
	nvme_model_set_ns_blocks(g_model, 1, 1024);
	nvme_model_raise_event(g_model, 0x040002);
	poll_through_a_lost_command();
	CU_ASSERT_EQUAL(USK_NVME_AER_INFO(g_dw0), USK_NVME_AER_NOTICE_NS_CHANGED);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	wait_aers(4);
	nvme_model_set_ns_blocks(g_model, 1, 512);
	nvme_model_raise_event(g_model, 0x040002);
	poll_events(2);
	CU_ASSERT_PTR_EQUAL(usk_nvme_ctrlr_get_ns(g_ctrlr, 1), ns);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_num_blocks(ns), 512);
	teardown();
}

/*
 * A namespace detached, and the refresh's first command (the active list)
 * lost: past the admin timeout the reset ends it, and the refresh sends it
 * again once the controller is back, so the namespace is gone by the time
 * the callback hears of the change. The bug: the refresh ended with the
 * command the reset ended, and the namespace stayed active, its event
 * consumed, until the next change.
 */
static void test_namespace_refresh_resumes_after_a_reset(void)
{
	setup();
	wait_aers(4);
	/* Through: the Get Log Page and the request that replaces the event's. */
	nvme_model_drop_admin_completions_after(g_model, 2, 1);
	nvme_model_set_ns_blocks(g_model, 1, 0);
	nvme_model_raise_event(g_model, 0x040002);
	poll_through_a_lost_command();
	CU_ASSERT_EQUAL(USK_NVME_AER_INFO(g_dw0), USK_NVME_AER_NOTICE_NS_CHANGED);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	CU_ASSERT_PTR_NULL(usk_nvme_ctrlr_get_ns(g_ctrlr, 1));
	teardown();
}

/* Waits up to 5 s for the model to have seen @want bad doorbell writes. */
static void wait_doorbell_errors(uint64_t want)
{
	time_t end = time(NULL) + 5;

	while (nvme_model_doorbell_errors(g_model) < want && time(NULL) <= end) {
		sched_yield();
	}
	CU_ASSERT_EQUAL(nvme_model_doorbell_errors(g_model), want);
}

static void count_read(void *arg, const struct usk_nvme_cqe *cpl)
{
	*(int *)arg += USK_NVME_STATUS_CODE(cpl->status) == 0 ? 1 : 1000;
}

/*
 * Bad doorbell writes, straight to the registers (queue pair 1 has 16
 * entries): an SQ tail past the ring, the tail doorbell of a queue that
 * does not exist, a CQ head past what was posted, a CQ head past the ring.
 * The controller ignores each, counts it, and reports it as an Error event
 * (type 0; info 01h bad value, 00h bad register; log page 01h), one at a
 * time as the driver reads the log page; the queue pair keeps working.
 */
static void test_bad_doorbell_writes_are_error_events(void)
{
	struct usk_nvme_qpair *q;
	void *bar;
	uint64_t bar_size;
	int reads = 0;
	uint8_t *buf = usk_dma_malloc(512, 512, -1);
	static const struct {
		uint32_t offset; /* from the first doorbell: (2 * qid + cq) * 4, DSTRD 0 */
		uint32_t value;
		uint8_t info;
	} bad[] = {
		{(2 * 1) * 4, 16, 0x01},     /* SQ 1 tail = entries */
		{(2 * 5) * 4, 0, 0x00},	     /* SQ 5 does not exist */
		{(2 * 1 + 1) * 4, 5, 0x01},  /* CQ 1 head past the one entry posted */
		{(2 * 1 + 1) * 4, 16, 0x01}, /* CQ 1 head = entries */
	};

	setup();
	CU_ASSERT_EQUAL_FATAL(
		usk_pci_device_map_bar(nvme_model_pci_device(g_model), 0, &bar, &bar_size), 0);
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(g_ctrlr, 16, &q), 0);
	wait_aers(4);
	for (int i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		volatile uint32_t *db =
			(volatile uint32_t *)((uint8_t *)bar + USK_NVME_REG_DOORBELL_BASE +
					      bad[i].offset);

		/* A read first: the CQ has one entry more posted and consumed. */
		CU_ASSERT_EQUAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(g_ctrlr, 1), q, buf, 0, 1,
						 count_read, &reads),
				0);
		nvme_model_poll_until(q, &reads, i + 1, 5);
		CU_ASSERT_EQUAL(reads, i + 1);
		*db = bad[i].value;
		wait_doorbell_errors((uint64_t)i + 1);
		poll_events(i + 1);
		CU_ASSERT_EQUAL(USK_NVME_AER_TYPE(g_dw0), 0);
		CU_ASSERT_EQUAL(USK_NVME_AER_INFO(g_dw0), bad[i].info);
		CU_ASSERT_EQUAL(USK_NVME_AER_LOG_PAGE(g_dw0), 1);
	}
	/* Ignored, every one: the queue pair goes on as if none had been written. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(g_ctrlr, 1), q, buf, 0, 1,
					 count_read, &reads),
			0);
	nvme_model_poll_until(q, &reads, 5, 5);
	CU_ASSERT_EQUAL(reads, 5);
	CU_ASSERT_EQUAL(nvme_model_doorbell_errors(g_model), 4);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	usk_pci_device_unmap_bar(nvme_model_pci_device(g_model), 0, bar);
	usk_dma_free(buf);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_smart_event),
		UT_TEST(test_event_config_taken),
		UT_TEST(test_namespace_change),
		UT_TEST(test_reset_rearms),
		UT_TEST(test_small_admin_queue),
		UT_TEST(test_bad_doorbell_writes_are_error_events),
		UT_TEST(test_event_log_read_never_makes_the_poll_wait),
		UT_TEST(test_namespace_refresh_never_makes_the_poll_wait),
		UT_TEST(test_namespace_refresh_resumes_after_a_reset),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_aer", tests);
	usk_env_fini();
	return rc;
}
