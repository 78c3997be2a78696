/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <sched.h>
#include <stdio.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

/*
 * Runs 500 reads, 4 at a time, on a fresh 16-entry queue pair of a fresh
 * controller; returns the queue pair's counters.
 */
static struct usk_nvme_qpair_stats run_reads(bool model_dbbuf, bool idle_eventidx,
					     bool driver_shadow)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c;
	struct nvme_model_loop l = {.target = 500};
	struct usk_nvme_qpair_stats stats;

	nvme_model_opts_init(&mo);
	mo.dbbuf = model_dbbuf;
	mo.dbbuf_idle_eventidx = idle_eventidx;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.shadow_doorbells = driver_shadow;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), &co, &c), 0);
	l.ns = usk_nvme_ctrlr_get_ns(c, 1);
	l.buf = usk_dma_malloc(512, 512, -1);
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &l.q), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(nvme_model_loop_submit(&l), 0);
	}
	nvme_model_loop_poll(&l, 30);
	CU_ASSERT_EQUAL(l.completed, l.target);
	CU_ASSERT_EQUAL(l.errors, 0);
	stats = nvme_model_qpair_stats(l.q);
	/* The model may see two MMIO writes between its looks as one, never more than were made. */
	CU_ASSERT(nvme_model_sq_doorbell_writes(model) <= stats.sq_mmio_doorbells);
	/*
	 * Each new tail goes out once: the 4 first submissions one by one, then
	 * one per poll whose callbacks submitted; each new head once per poll
	 * that read entries. To the shadow when there is one, else to MMIO.
	 */
	bool shadowed = model_dbbuf && driver_shadow;

	CU_ASSERT_EQUAL(stats.completions, 500);
	CU_ASSERT_EQUAL(shadowed ? stats.sq_shadow_updates : stats.sq_mmio_doorbells,
			4 + (uint64_t)l.batches);
	CU_ASSERT_EQUAL(shadowed ? stats.cq_shadow_updates : stats.cq_mmio_doorbells,
			stats.polls - stats.idle_polls);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(l.q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(model);
	usk_dma_free(l.buf);
	return stats;
}

static void test_eventidx_silences_mmio(void)
{
	/*
	 * The model leaves EventIdx at 0: an MMIO write is due only when a
	 * doorbell's value passes index 0, once per revolution of the 16-entry
	 * ring, whatever the batches: the first write, then one for each of the
	 * 31 times the 500 entries wrap (ending at 500 % 16 = 4, past 0).
	 */
	struct usk_nvme_qpair_stats stats = run_reads(true, true, true);

	CU_ASSERT_EQUAL(stats.sq_mmio_doorbells, 1 + 500 / 16);
	CU_ASSERT_EQUAL(stats.cq_mmio_doorbells, 1 + 500 / 16);
	fprintf(stderr, "MMIO writes with EventIdx idle: %llu of %llu shadow updates\n",
		(unsigned long long)stats.sq_mmio_doorbells,
		(unsigned long long)stats.sq_shadow_updates);
}

static void test_shadow_doorbells_carry_io(void)
{
	/* A model that keeps EventIdx current: every I/O still completes, every
	 * batch updates the shadow once (run_reads), and some ring MMIO too. */
	struct usk_nvme_qpair_stats stats = run_reads(true, false, true);

	CU_ASSERT(stats.sq_mmio_doorbells >= 1);
	CU_ASSERT(stats.sq_mmio_doorbells <= stats.sq_shadow_updates);
}

static void test_switched_off_or_not_offered(void)
{
	/* Without shadows every batch is an MMIO write: more than one per revolution. */
	struct usk_nvme_qpair_stats off = run_reads(true, true, false);
	struct usk_nvme_qpair_stats absent = run_reads(false, false, true);

	fprintf(stderr, "MMIO writes without shadows: %llu, %llu\n",
		(unsigned long long)off.sq_mmio_doorbells,
		(unsigned long long)absent.sq_mmio_doorbells);
	CU_ASSERT_EQUAL(off.sq_shadow_updates + off.cq_shadow_updates, 0);
	CU_ASSERT_EQUAL(absent.sq_shadow_updates + absent.cq_shadow_updates, 0);
	CU_ASSERT(off.sq_mmio_doorbells > 1 + 500 / 16);
	CU_ASSERT(absent.sq_mmio_doorbells > 1 + 500 / 16);
}

static void test_reused_queue_id_starts_clean(void)
{
	/* A freed queue pair leaves EventIdx where its controller put it; the next
	 * queue with that ID must not inherit it, or its first doorbell is never
	 * rung and the controller, asleep, never sees the command. */
	struct nvme_model_opts mo;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c;
	struct nvme_model_loop l = {.target = 40};

	nvme_model_opts_init(&mo);
	mo.dbbuf = true;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), NULL, &c), 0);
	l.ns = usk_nvme_ctrlr_get_ns(c, 1);
	l.buf = usk_dma_malloc(512, 512, -1);
	for (int round = 0; round < 3; round++) {
		l.completed = 0;
		l.submitted = 0;
		CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &l.q), 0);
		CU_ASSERT_EQUAL(nvme_model_loop_submit(&l), 0);
		/* Before the fix this waited forever: the bound turns a hang into a failure. */
		nvme_model_poll_until(l.q, &l.completed, l.target, 10);
		CU_ASSERT_EQUAL(l.completed, l.target);
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(l.q), 0);
	}
	CU_ASSERT_EQUAL(l.errors, 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(model);
	usk_dma_free(l.buf);
}

/*
 * CAP.DSTRD 0, 1, 4 and 8 (doorbells 4, 8, 64 and 1024 bytes apart), with
 * MMIO doorbells and with shadow doorbells (whose buffers use the same
 * stride, base 5.8): reads go through on every queue the controller
 * grants, all running at once. A driver that placed one doorbell at the
 * wrong offset would ring another queue's, or none, and stall.
 */
static void test_doorbell_strides(void)
{
	static const uint8_t strides[] = {0, 1, 4, 8};
	enum { QUEUES = 8 };

	for (size_t s = 0; s < sizeof(strides); s++) {
		for (int shadow = 0; shadow < 2; shadow++) {
			struct nvme_model_opts mo;
			struct usk_nvme_ctrlr_opts co;
			struct nvme_model *model;
			struct usk_nvme_ctrlr *c;
			struct nvme_model_loop l[QUEUES];
			uint8_t *buf = usk_dma_malloc(QUEUES * 512, 512, -1);
			bool busy = true;

			nvme_model_opts_init(&mo);
			mo.dstrd = strides[s];
			mo.dbbuf = shadow;
			mo.max_io_queues = QUEUES;
			usk_nvme_ctrlr_opts_init(&co, sizeof(co));
			co.shadow_doorbells = shadow;
			co.num_io_queues = QUEUES;
			CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
			CU_ASSERT_EQUAL_FATAL(
				usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), &co, &c), 0);
			for (int i = 0; i < QUEUES; i++) {
				l[i] = (struct nvme_model_loop){.ns = usk_nvme_ctrlr_get_ns(c, 1),
								.buf = buf + i * 512,
								.target = 200};
				CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &l[i].q), 0);
				for (int k = 0; k < 4; k++) {
					CU_ASSERT_EQUAL(nvme_model_loop_submit(&l[i]), 0);
				}
			}
			for (int round = 0; busy && round < 3000000; round++) {
				busy = false;
				for (int i = 0; i < QUEUES; i++) {
					usk_nvme_qpair_process_completions(l[i].q, 0);
					busy |= l[i].completed < l[i].target;
				}
				if (busy && round % 64 == 63) {
					sched_yield();
				}
			}
			for (int i = 0; i < QUEUES; i++) {
				CU_ASSERT_EQUAL(l[i].completed, l[i].target);
				CU_ASSERT_EQUAL(l[i].errors, 0);
				CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(l[i].q), 0);
			}
			if (busy) {
				fprintf(stderr, "stalled: DSTRD %u, shadow %d\n", strides[s], shadow);
			}
			CU_ASSERT_EQUAL(nvme_model_dma_faults(model), 0);
			CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
			nvme_model_destroy(model);
			usk_dma_free(buf);
		}
	}
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_eventidx_silences_mmio),
		UT_TEST(test_shadow_doorbells_carry_io),
		UT_TEST(test_switched_off_or_not_offered),
		UT_TEST(test_reused_queue_id_starts_clean),
		UT_TEST(test_doorbell_strides),
	};
	int rc;

	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_dbbuf", tests);
	usk_env_fini();
	return rc;
}
