/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaching a controller by polls (lib/nvme/nvme_attach.c), on the clock
 * the test moves: the model counts its time to come ready on that clock
 * too, so a controller that takes 30 s takes 30 s of the test's clock and
 * no real time. A poll that waited for it would wait for ever (the clock
 * stands still): ut_nvme_ticks_call_returns() turns that into a failure.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/nvme_spec.h"

#define MS 1000ull /* ticks of the test's clock: microseconds */

/* A model on the test's clock, CAP.TO @cap_to, taking @ready_ms to come ready. */
static struct nvme_model *slow_model(uint8_t cap_to, uint32_t ready_ms)
{
	struct nvme_model_opts mo;
	struct nvme_model *m;

	nvme_model_opts_init(&mo);
	mo.now_us = ut_nvme_ticks_now;
	mo.cap_to = cap_to;
	mo.ready_delay_ms = ready_ms;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &m), 0);
	return m;
}

struct attach_poll {
	struct usk_nvme_attach_ctx *ctx;
	struct usk_nvme_ctrlr *c;
	int rc;
};

static void attach_poll(void *arg)
{
	struct attach_poll *p = arg;

	p->rc = usk_nvme_attach_poll(p->ctx, &p->c);
}

/* One poll, which must return though the clock stands still; what it returned. */
static int poll_returns(struct attach_poll *p)
{
	CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(attach_poll, p));
	return p->rc;
}

/* Polls until the model counts the time it takes to come ready, for up to 30 s of real time. */
static void poll_until_waiting_ready(struct attach_poll *p, struct nvme_model *m)
{
	time_t give_up = time(NULL) + 30;

	while (!nvme_model_waiting_ready(m) && time(NULL) < give_up) {
		CU_ASSERT_EQUAL(poll_returns(p), -EAGAIN);
	}
	CU_ASSERT_TRUE_FATAL(nvme_model_waiting_ready(m));
}

/* Polls to the end of the bring-up (the model answers on its thread), for up to 30 s. */
static int poll_to_the_end(struct attach_poll *p)
{
	time_t give_up = time(NULL) + 30;

	while ((p->rc = usk_nvme_attach_poll(p->ctx, &p->c)) == -EAGAIN && time(NULL) < give_up) {
		sched_yield();
	}
	return p->rc;
}

#define WINDOW_MS 100

/*
 * A controller that takes 30 s to come ready, attached from the thread
 * that runs another controller's I/O: through each 100 ms window of those
 * 30 s the other's reads complete and the attach's poll returns at once;
 * then the bring-up ends and the new controller serves I/O. The old attach
 * slept until CSTS.RDY: its first poll never returned on the still clock.
 */
static void test_slow_bring_up_does_not_stall_another(void)
{
	struct nvme_model_fixture fast, slow = {0};
	struct nvme_model_opts mo;
	struct attach_poll p = {0};
	struct nvme_model_result w = {0};
	uint64_t enabled_at;
	int windows = 0;

	nvme_model_opts_init(&mo);
	mo.now_us = ut_nvme_ticks_now;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&fast, &mo, NULL, 64), 0);
	/* CAP.TO 62: 31.5 s, enough for the 30 s the model takes. */
	slow.model = slow_model(62, 30000);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci_async(nvme_model_pci_device(slow.model), NULL, &p.ctx),
		0);
	poll_until_waiting_ready(&p, slow.model);
	enabled_at = ut_nvme_ticks_now();
	while (p.rc == -EAGAIN && windows < 400) {
		CU_ASSERT_EQUAL(nvme_model_read_window(&fast), NVME_MODEL_WINDOW_READS);
		if (poll_returns(&p) == -EAGAIN && ut_nvme_ticks_now() - enabled_at < 30000 * MS) {
			CU_ASSERT_TRUE(nvme_model_waiting_ready(slow.model));
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
	CU_ASSERT(windows >= 300 && windows < 400);
	/* The model's thread sets RDY on its own time: the last steps may need more polls. */
	if (p.rc == -EAGAIN) {
		poll_to_the_end(&p);
	}
	CU_ASSERT_EQUAL_FATAL(p.rc, 0);
	slow.c = p.c;
	CU_ASSERT_EQUAL(nvme_model_enable_count(slow.model), 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(slow.c), 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_data(slow.c)->mdts, 5);
	slow.ns = usk_nvme_ctrlr_get_ns(slow.c, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(slow.ns);
	CU_ASSERT_EQUAL(nvme_model_alloc_qpair(slow.c, 16, &slow.q), 0);
	slow.buf = usk_dma_zmalloc(4096, 4096, -1);
	memset(slow.buf, 0x5a, 512);
	CU_ASSERT_EQUAL(
		usk_nvme_ns_write(slow.ns, slow.q, slow.buf, 7, 1, nvme_model_result_done, &w), 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(slow.q, &w.calls, 1, 30), 1);
	CU_ASSERT_EQUAL(w.status, 0);
	CU_ASSERT_EQUAL(nvme_model_ns_data(slow.model, 1)[7 * 512], 0x5a);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&slow), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&fast), 0);
}

/*
 * A controller that does not come ready within CAP.TO: the polls up to
 * the deadline say -EAGAIN; the first one past it stops the controller and
 * ends the bring-up with -ETIMEDOUT, the device given back.
 */
static void test_bring_up_past_cap_to(void)
{
	struct nvme_model *m = slow_model(1, 3600 * 1000);
	struct attach_poll p = {0};
	uint64_t enabled_at;

	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci_async(nvme_model_pci_device(m), NULL, &p.ctx), 0);
	poll_until_waiting_ready(&p, m);
	enabled_at = ut_nvme_ticks_now();
	ut_nvme_ticks_set(enabled_at + 1000 * MS);
	CU_ASSERT_EQUAL(poll_returns(&p), -EAGAIN);
	ut_nvme_ticks_advance(1);
	CU_ASSERT_EQUAL(poll_to_the_end(&p), -ETIMEDOUT);
	CU_ASSERT_FALSE(nvme_model_enabled(m));
	nvme_model_destroy(m);
}

/* A bring-up command the controller refuses ends the bring-up with -EIO, the controller stopped. */
static void test_bring_up_command_refused(void)
{
	struct nvme_model *m = slow_model(1, 0);
	struct attach_poll p = {0};

	nvme_model_inject_admin_status(m, USK_NVME_OPC_SET_FEATURES, 0x0002, 1);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci_async(nvme_model_pci_device(m), NULL, &p.ctx), 0);
	CU_ASSERT_EQUAL(poll_to_the_end(&p), -EIO);
	CU_ASSERT_FALSE(nvme_model_enabled(m));
	nvme_model_destroy(m);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_slow_bring_up_does_not_stall_another),
		UT_TEST(test_bring_up_past_cap_to),
		UT_TEST(test_bring_up_command_refused),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_attach", tests);
	usk_env_fini();
	return rc;
}
