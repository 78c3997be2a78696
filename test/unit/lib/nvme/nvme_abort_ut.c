/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/ticks.h"

struct result {
	int calls;
	int order; /* when it completed, among all */
	uint16_t status;
};

static int g_completed;

static void done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct result *r = arg;

	r->calls++;
	r->order = g_completed++;
	r->status = USK_NVME_STATUS_CODE(cpl->status);
}

static void device_up(struct nvme_model_fixture *d, bool abort_unsupported, uint32_t entries)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.abort_unsupported = abort_unsupported;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(d, &mo, NULL, entries), 0);
	g_completed = 0;
}

/* A command the device holds: the Abort ends it, with Command Abort Requested. */
static void test_abort_in_flight(void)
{
	struct result r[2] = {{0}};
	struct nvme_model_fixture d;

	device_up(&d, false, 16);
	nvme_model_drop_completions(d.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(d.ns, d.q, d.buf, 0, 1, done, &r[0]), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(d.ns, d.q, d.buf, 1, 1, done, &r[1]), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(d.model));
	nvme_model_poll_until(d.q, &r[1].calls, 1, 5);
	CU_ASSERT_EQUAL(r[0].calls, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_abort(d.q, &r[0]), 1);
	nvme_model_poll_until(d.q, &r[0].calls, 1, 5);
	CU_ASSERT(r[0].calls == 1 && r[0].status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT(r[1].calls == 1 && r[1].status == 0);
	/* Nothing of that argument is left: nothing to abort. */
	CU_ASSERT_EQUAL(usk_nvme_qpair_abort(d.q, &r[0]), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
}

/*
 * A 4-entry queue holds 3; of 6 reads the last 3 wait. Aborting the middle
 * waiting one ends it at once; the others keep their order.
 */
static void test_abort_waiting(void)
{
	struct result r[6] = {{0}};
	struct nvme_model_fixture d;

	device_up(&d, false, 4);
	nvme_model_drop_completions(d.model, 3);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(d.ns, d.q, d.buf, (uint64_t)i, 1, done, &r[i]), 0);
	}
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(d.model));
	CU_ASSERT_EQUAL(usk_nvme_qpair_abort(d.q, &r[4]), 1);
	CU_ASSERT(r[4].calls == 1 && r[4].status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(d.q), 5);
	/* Abort the three the device holds; the waiting two then go out, in order. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(usk_nvme_qpair_abort(d.q, &r[i]), 1);
	}
	nvme_model_poll_until(d.q, &r[5].calls, 1, 5);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
	}
	CU_ASSERT(r[3].status == 0 && r[5].status == 0 && r[3].order < r[5].order);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
}

/* A split request: every piece the device holds gets an Abort; the caller hears once. */
static void test_abort_split_request(void)
{
	struct result r = {0};
	struct nvme_model_fixture d;
	/* The model's MDTS 5: 128 KiB a command, so 256 KiB is two. */
	uint32_t blocks = 256 * 1024 / 512;

	device_up(&d, false, 16);
	nvme_model_drop_completions(d.model, 2);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(d.ns, d.q, d.buf, 0, blocks, done, &r), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(d.model));
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(d.q, 0), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_abort(d.q, &r), 2);
	nvme_model_poll_until(d.q, &r.calls, 1, 5);
	CU_ASSERT(r.calls == 1 && r.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
}

/* A device that declines: the Abort is sent, the command stays; a reset ends it. */
static void test_abort_declined(void)
{
	struct result r = {0};
	struct nvme_model_fixture d;

	device_up(&d, true, 16);
	nvme_model_drop_completions(d.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(d.ns, d.q, d.buf, 0, 1, done, &r), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(d.model));
	CU_ASSERT_EQUAL(usk_nvme_qpair_abort(d.q, &r), 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(d.q, 0), 0);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(d.c), 0);
	usk_nvme_qpair_process_completions(d.q, 0);
	CU_ASSERT(r.calls == 1 && r.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
}

/*
 * A timeout on the real clock sends the Abort: the clock of a normal build
 * (the TSC, limits converted at its measured rate) is wired to the
 * timeouts, which nvme_timeout_ut checks to the tick on a clock it moves.
 * Only the lower bound is checked: load can make it late, never early.
 */
static void test_timeout_on_the_real_clock(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model_fixture d;
	struct result r = {0};
	uint64_t start;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.io_timeout_ms = 20;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&d, &mo, &co, 16), 0);
	nvme_model_drop_completions(d.model, 1);
	start = usk_ticks();
	CU_ASSERT_EQUAL(usk_nvme_ns_read(d.ns, d.q, d.buf, 0, 1, done, &r), 0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(d.model));
	nvme_model_poll_until(d.q, &r.calls, 1, 30);
	CU_ASSERT(r.calls == 1 && r.status == USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT(usk_ticks_to_ns(usk_ticks() - start) >= 20 * 1000 * 1000ull);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&d), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_abort_in_flight),		 UT_TEST(test_abort_waiting),
		UT_TEST(test_abort_split_request),	 UT_TEST(test_abort_declined),
		UT_TEST(test_timeout_on_the_real_clock),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_abort", tests);
	usk_env_fini();
	return rc;
}
