/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller bring-up against the NVMe controller model. Sources it covers
 * (lib/nvme): nvme_ctrlr.c and nvme_pcie_ctrlr.c (registers in BAR 0, the
 * admin queue's address).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "nvme_model.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/pci.h"

static struct nvme_model *g_model;

static struct usk_nvme_ctrlr *attach(const struct nvme_model_opts *mo)
{
	struct usk_nvme_ctrlr *c = NULL;

	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &c),
			      0);
	return c;
}

static void detach(struct usk_nvme_ctrlr *c)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(g_model);
}

static void test_bring_up_and_identify(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_count = 2;
	mo.ns_blocks[1] = 256;
	mo.ns_block_shift[1] = 12;
	mo.mdts = 4;
	struct usk_nvme_ctrlr *c = attach(&mo);
	const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(c);

	CU_ASSERT_EQUAL(strncmp(cd->mn, "USK NVMe controller model", 25), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(c), 2);
	/* MDTS 4: 16 pages of 4 KiB. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_max_xfer_size(c), 64 * 1024);
	struct usk_nvme_ns *ns1 = usk_nvme_ctrlr_get_ns(c, 1);
	struct usk_nvme_ns *ns2 = usk_nvme_ctrlr_get_ns(c, 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ns1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns2);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_block_size(ns1), 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_num_blocks(ns1), 2048);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_block_size(ns2), 4096);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_num_blocks(ns2), 256);
	CU_ASSERT_PTR_EQUAL(usk_nvme_ns_get_ctrlr(ns2), c);
	CU_ASSERT_PTR_NULL(usk_nvme_ctrlr_get_ns(c, 0));
	CU_ASSERT_PTR_NULL(usk_nvme_ctrlr_get_ns(c, 3));
	detach(c);
}

static void test_queue_pairs_run_out(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_qpair *q[4];
	struct usk_nvme_qpair *extra;

	nvme_model_opts_init(&mo);
	mo.max_io_queues = 3;
	struct usk_nvme_ctrlr *c = attach(&mo);

	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &q[i]), 0);
	}
	CU_ASSERT_EQUAL(nvme_model_alloc_qpair(c, 16, &extra), -ENOSPC);
	/* A controller with queue pairs left is not detached. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), -EBUSY);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q[1]), 0);
	CU_ASSERT_EQUAL(nvme_model_alloc_qpair(c, 16, &q[1]), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q[i]), 0);
	}
	detach(c);
}

static int g_ended;
static int g_failed;

static void count_ended(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_ended++;
	g_failed += USK_NVME_STATUS_CODE(cpl->status) != 0;
}

/*
 * Reads submitted on @q, never polled, until one is refused: the ring's
 * entries - 1 plus the waiting room. Frees @q, which ends each of them.
 */
static int reads_accepted(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, 1);
	void *buf = usk_dma_malloc(512, 512, USK_ENV_NUMA_ANY);
	int accepted = 0;
	int rc = 0;

	g_ended = 0;
	while (rc == 0 && accepted < 1000000) {
		rc = usk_nvme_ns_read(ns, q, buf, 0, 1, count_ended, NULL);
		accepted += rc == 0;
	}
	CU_ASSERT_EQUAL(rc, -EAGAIN);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(g_ended, accepted);
	usk_dma_free(buf);
	return accepted;
}

static void test_queue_size_capped_by_mqes(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_qpair *q;

	nvme_model_opts_init(&mo);
	mo.max_entries = 8;
	struct usk_nvme_ctrlr *c = attach(&mo);

	/* Asking for more than CAP.MQES allows still works: the driver caps it, to 8. */
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 1024, &q), 0);
	CU_ASSERT_EQUAL(reads_accepted(c, q), 7 + 2 * 8);
	/* No options: the controller's io_queue_size (256), capped the same. */
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	CU_ASSERT_EQUAL(reads_accepted(c, q), 7 + 2 * 8);
	detach(c);
}

/* One read on @q, polled until it ends: whether it ended, without error. */
static bool read_once(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q)
{
	void *buf = usk_dma_malloc(512, 512, USK_ENV_NUMA_ANY);
	int rc;

	g_ended = 0;
	g_failed = 0;
	rc = usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, count_ended, NULL);
	rc = rc == 0 ? nvme_model_poll_until(q, &g_ended, 1, 5) : rc;
	usk_dma_free(buf);
	return rc == 1 && g_failed == 0;
}

/*
 * CAP.MQES FFFFh, a queue of up to 65536 entries (0's based): asked for
 * that many, or more, the driver makes the largest ring its 16-bit
 * indexes hold, 65535 entries, and it works. The bug: 65536 was cast to
 * a 16-bit entry count of 0, and the allocation failed with -ENOMEM.
 */
static void test_queue_of_mqes_ffffh(void)
{
	static const uint32_t asked[] = {65536, 65537, 1u << 20};
	struct nvme_model_opts mo;
	struct usk_nvme_qpair *q;

	nvme_model_opts_init(&mo);
	mo.max_entries = 65536;
	struct usk_nvme_ctrlr *c = attach(&mo);

	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		struct usk_nvme_io_qpair_opts o;

		usk_nvme_io_qpair_opts_init(&o, sizeof(o));
		o.io_queue_size = asked[i];
		o.io_queue_requests = 1;
		CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, &o, &q), 0);
		CU_ASSERT_TRUE(read_once(c, q));
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	}
	/* 65535 entries: 65534 reads in the ring, twice 65535 waiting. */
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 65536, &q), 0);
	CU_ASSERT_EQUAL(reads_accepted(c, q), 65534 + 2 * 65535);
	detach(c);
}

/* An attach with admin_queue_size @size, its outcome for the test to read. */
struct small_admin_attach {
	uint32_t size;
	int rc;
	struct usk_nvme_ctrlr *c;
};

static void attach_small_admin(void *arg)
{
	struct small_admin_attach *a = arg;
	struct usk_nvme_ctrlr_opts co;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_queue_size = a->size;
	a->rc = usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &co, &a->c);
}

/*
 * An admin queue asked for with 0 or 1 entries gets 2, the least a queue
 * can have, as an NVMe/TCP controller's does: the controller comes up and
 * answers. The bug: 0 wrapped AQA to all ones and 1 made a ring whose one
 * entry, once used, looked empty, so bring-up waited out the admin
 * timeout on a command the controller never saw.
 */
static void test_admin_queue_of_fewer_than_two(void)
{
	struct nvme_model_opts mo;
	uint32_t value;

	nvme_model_opts_init(&mo);
	for (uint32_t size = 0; size < 2; size++) {
		struct small_admin_attach a = {.size = size};

		CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
		CU_ASSERT_TRUE(ut_nvme_ticks_call_returns(attach_small_admin, &a));
		CU_ASSERT_EQUAL(a.rc, 0);
		if (a.rc != 0) {
			nvme_model_destroy(g_model);
			continue;
		}
		CU_ASSERT_EQUAL(
			usk_nvme_ctrlr_get_feature(a.c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
		detach(a.c);
	}
}

static void test_io_qpair_opts(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_io_qpair_opts opts;
	struct usk_nvme_qpair *q = NULL;

	nvme_model_opts_init(&mo);
	mo.max_io_queues = 1;
	struct usk_nvme_ctrlr *c = attach(&mo);

	/* Options no queue pair can have are refused, and take no queue ID. */
	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.opts_size = 0;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), -EINVAL);
	opts.opts_size = sizeof(opts) + 8;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), -EINVAL);
	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.io_queue_size = 1;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), -EINVAL);
	opts.io_queue_size = 0;
	opts.io_queue_requests = (1u << 20) + 1;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), -EINVAL);
	CU_ASSERT_PTR_NULL(q);
	/* The sizes asked for: 5 entries (4 in the ring) and 3 waiting. */
	opts.io_queue_size = 5;
	opts.io_queue_requests = 3;
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), 0);
	CU_ASSERT_EQUAL(reads_accepted(c, q), 4 + 3);
	/* A caller built before io_queue_requests existed: its size, the rest defaults. */
	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.opts_size = offsetof(struct usk_nvme_io_qpair_opts, io_queue_requests);
	opts.io_queue_size = 5;
	opts.io_queue_requests = 3; /* beyond its size: not read */
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), 0);
	CU_ASSERT_EQUAL(reads_accepted(c, q), 4 + 2 * 5);
	detach(c);
}

/* The model's CAP.TO is 1, in 500 ms units: bring-up waits (1 + 1) * 500 ms for CSTS.RDY. */
#define READY_LIMIT_MS 1000

static bool waiting_ready(void *model)
{
	return nvme_model_waiting_ready(model);
}

/*
 * Attaches a model whose CSTS.RDY follows CC.EN by @delay_ms, on the clock
 * the driver reads too (ut_nvme_ticks.h); once the driver waits for it, the
 * clock jumps @jump_us.
 */
static int attach_slow(uint32_t delay_ms, uint64_t jump_us, struct usk_nvme_ctrlr **c)
{
	struct ut_nvme_ticks_jump jump;
	struct nvme_model_opts mo;
	int rc;

	nvme_model_opts_init(&mo);
	mo.ready_delay_ms = delay_ms;
	mo.now_us = ut_nvme_ticks_now;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(ut_nvme_ticks_jump_start(&jump, waiting_ready, g_model, jump_us), 0);
	rc = usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, c);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	if (rc != 0) {
		nvme_model_destroy(g_model);
	}
	return rc;
}

/*
 * Bring-up waits for a slow controller as long as CAP.TO allows, to the
 * tick, and no longer: ready at the limit, it attaches; still not ready one
 * tick past it, the attach fails.
 */
static void test_slow_ready(void)
{
	struct usk_nvme_ctrlr *c;

	CU_ASSERT_EQUAL_FATAL(attach_slow(READY_LIMIT_MS, READY_LIMIT_MS * 1000ull, &c), 0);
	detach(c);
	CU_ASSERT_EQUAL(attach_slow(READY_LIMIT_MS + 1, READY_LIMIT_MS * 1000ull + 1, &c),
			-ETIMEDOUT);
}

/* Whether the model reports shutdown processing (CSTS.SHST 01b): the driver waits for 10b. */
static bool shutting_down(void *model)
{
	void *bar;
	uint64_t size;

	if (usk_pci_device_map_bar(nvme_model_pci_device(model), 0, &bar, &size) != 0) {
		return false;
	}
	return (__atomic_load_n((uint32_t *)((uint8_t *)bar + USK_NVME_REG_CSTS),
				__ATOMIC_ACQUIRE) &
		USK_NVME_CSTS_SHST_MASK) == 1u << 2;
}

/* Attaches a model that takes @delay_ms to shut down, with CAP.TO @cap_to, on the test clock. */
static struct usk_nvme_ctrlr *attach_slow_shutdown(uint32_t delay_ms, uint8_t cap_to)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.shutdown_delay_ms = delay_ms;
	mo.cap_to = cap_to;
	mo.now_us = ut_nvme_ticks_now;
	return attach(&mo);
}

/*
 * Detach waits for the shutdown to complete (SHST 10b) up to CAP.TO, as the
 * controller's own clock says: 800 ms under CAP.TO 3 ((3 + 1) * 500 ms for
 * the driver) detaches cleanly once the clock has moved 800 ms; 5 s under
 * CAP.TO 1 times out once it has moved past 1 s.
 */
static void test_detach_waits_for_shutdown(void)
{
	struct ut_nvme_ticks_jump jump;
	struct usk_nvme_ctrlr *c = attach_slow_shutdown(800, 3);

	CU_ASSERT_EQUAL_FATAL(ut_nvme_ticks_jump_start(&jump, shutting_down, g_model, 800 * 1000),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	nvme_model_destroy(g_model);

	c = attach_slow_shutdown(5000, 1);
	CU_ASSERT_EQUAL_FATAL(ut_nvme_ticks_jump_start(&jump, shutting_down, g_model,
						       READY_LIMIT_MS * 1000ull + 1),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), -ETIMEDOUT);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	nvme_model_destroy(g_model);
}

/*
 * A controller slow to come back from one reset (nvme_model_set_ready_delay,
 * 4 s under CAP.TO 9): the reset waits for it, on the controller's clock,
 * and the queues work after.
 */
static void test_reset_waits_for_slow_ready(void)
{
	struct ut_nvme_ticks_jump jump;
	struct nvme_model_opts mo;
	struct usk_nvme_qpair *q;

	nvme_model_opts_init(&mo);
	mo.cap_to = 9;
	mo.now_us = ut_nvme_ticks_now;
	struct usk_nvme_ctrlr *c = attach(&mo);

	nvme_model_set_ready_delay(g_model, 4000);
	CU_ASSERT_EQUAL_FATAL(
		ut_nvme_ticks_jump_start(&jump, waiting_ready, g_model, 4000 * 1000ull), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(c), 0);
	CU_ASSERT(ut_nvme_ticks_jump_wait(&jump));
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	detach(c);
}

/* The arbitration burst asked for is set, kept over a reset, and checked. */
static void test_arbitration_burst(void)
{
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr *c;
	uint32_t value = 0;

	nvme_model_opts_init(&mo);
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.arbitration_burst = 9;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &co, &c),
			-EINVAL);
	co.arbitration_burst = 3;
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &co, &c),
			      0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	CU_ASSERT_EQUAL(value & 7, 3);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_set_feature(c, USK_NVME_FEAT_ARBITRATION, 0x100, NULL), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	/* The burst is ours again; the weights the user set stay. */
	CU_ASSERT_EQUAL(value, 0x103);
	detach(c);
}

static struct nvme_model_fixture g_closing;
static int g_closing_calls, g_resubmit_rc;

static void resubmit_on_completion(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_closing_calls++;
	/* A closed loop: each completion starts the next read. */
	g_resubmit_rc = usk_nvme_ns_read(g_closing.ns, g_closing.q, g_closing.buf, 0, 1,
					 resubmit_on_completion, NULL);
}

/*
 * A queue pair being freed refuses what its callbacks submit. The bug: the
 * read went into the ring, never completed, and its doorbell could reach
 * the queue of whoever took the queue ID next.
 */
static void test_free_refuses_resubmission(void)
{
	struct nvme_model_opts mo;
	struct usk_nvme_qpair *q;

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&g_closing, &mo, NULL, 16), 0);
	g_closing_calls = 0;
	g_resubmit_rc = 0;
	nvme_model_drop_completions(g_closing.model, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_closing.ns, g_closing.q, g_closing.buf, 0, 1,
					 resubmit_on_completion, NULL),
			0);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(g_closing.model));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(g_closing.q), 0);
	g_closing.q = NULL;
	CU_ASSERT_EQUAL(g_closing_calls, 1);
	CU_ASSERT_EQUAL(g_resubmit_rc, -ENXIO);
	/* The queue ID serves the next queue pair, with nothing left behind. */
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(g_closing.c, 16, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&g_closing), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_bring_up_and_identify),
		UT_TEST(test_queue_pairs_run_out),
		UT_TEST(test_queue_size_capped_by_mqes),
		UT_TEST(test_queue_of_mqes_ffffh),
		UT_TEST(test_admin_queue_of_fewer_than_two),
		UT_TEST(test_io_qpair_opts),
		UT_TEST(test_slow_ready),
		UT_TEST(test_arbitration_burst),
		UT_TEST(test_free_refuses_resubmission),
		UT_TEST(test_detach_waits_for_shutdown),
		UT_TEST(test_reset_waits_for_slow_ready),
	};
	int rc;

	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_ctrlr", tests);
	usk_env_fini();
	return rc;
}
