/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PRP builder alone, and I/O queue pairs' rings against the NVMe
 * controller model. Sources it covers (lib/nvme): nvme_qpair.c,
 * nvme_pcie_qpair.c (PRPs, rings, doorbells) and nvme_qpair_connect.c (the
 * queues created on the controller).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"
#include "nvme_internal.h"
#include "nvme_model.h"
#include "usk/env.h"
#include "usk/log.h"

#define PAGE NVME_PAGE_SIZE

static uint8_t *g_buf;	 /* 2 MiB + 2 pages of DMA memory */
static uint64_t *g_list; /* a PRP list page */
static uint64_t g_list_iova;

static uint64_t iova_of(const void *p)
{
	return usk_vtoiova(p, NULL);
}

static void test_no_data_keeps_prp1(void)
{
	/* Queue creation carries the ring's address in PRP1 and no data (the bug
	 * this test was written for: PRP1 was cleared, and the device read IOVA 0). */
	struct usk_nvme_sqe sqe = {.prp1 = 0x123000, .prp2 = 0};

	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, NULL, 0, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(sqe.prp1, 0x123000);
	CU_ASSERT_EQUAL(sqe.prp2, 0);
}

/* Checks PRP1/PRP2/list for @len bytes at offset @off into g_buf. */
static void check_prps(uint32_t off, uint32_t len)
{
	struct usk_nvme_sqe sqe = {0};
	uint8_t *buf = g_buf + off;
	uint32_t first = PAGE - (off & (PAGE - 1));
	uint32_t pages_after = len > first ? (len - first + PAGE - 1) / PAGE : 0;

	CU_ASSERT_EQUAL_FATAL(nvme_build_prps(&sqe, buf, len, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL_FATAL(sqe.prp1, iova_of(buf));
	if (pages_after == 0) {
		CU_ASSERT_EQUAL_FATAL(sqe.prp2, 0);
	} else if (pages_after == 1) {
		CU_ASSERT_EQUAL_FATAL(sqe.prp2, iova_of(buf + first));
	} else {
		CU_ASSERT_EQUAL_FATAL(sqe.prp2, g_list_iova);
		for (uint32_t i = 0; i < pages_after; i++) {
			CU_ASSERT_EQUAL_FATAL(g_list[i], iova_of(buf + first + i * PAGE));
			CU_ASSERT_EQUAL_FATAL(g_list[i] & (PAGE - 1), 0);
		}
	}
}

static void test_sizes_and_alignments(void)
{
	/* 512 B .. 2 MiB, at every alignment class: page-aligned, sector, dword. */
	static const uint32_t offsets[] = {0, 4, 512, 2048, 4092, 3584};

	for (uint32_t len = 512; len <= (2u << 20); len *= 2) {
		for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			/* A 2 MiB transfer that does not start on a page needs 513 list entries. */
			if (len == (2u << 20) && offsets[o] != 0) {
				continue;
			}
			check_prps(offsets[o], len);
			check_prps(offsets[o], len - 4);
			check_prps(offsets[o], len + 4 <= (2u << 20) ? len + 4 : len);
		}
	}
}

static void test_refused(void)
{
	struct usk_nvme_sqe sqe = {0};
	static uint8_t not_dma[8192];

	/* Not dword-aligned, not registered, or more than one list page holds. */
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, g_buf + 2, 512, g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, not_dma, 512, g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, g_buf + 4, (2u << 20) + PAGE, g_list, g_list_iova),
			-EINVAL);
}

static void test_crosses_registrations(void)
{
	/* Two separately registered pages: each PRP entry is looked up on its own. */
	uint8_t *a = usk_dma_malloc(PAGE, PAGE, -1);
	struct usk_nvme_sqe sqe = {0};
	uint8_t *two = aligned_alloc(PAGE, 3 * PAGE);

	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two, PAGE), 0);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(two + 2 * PAGE, PAGE), 0);
	/* The middle page is not registered: refused. */
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, two, 3 * PAGE, g_list, g_list_iova), -EINVAL);
	CU_ASSERT_EQUAL(usk_mem_register(two + PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(nvme_build_prps(&sqe, two, 3 * PAGE, g_list, g_list_iova), 0);
	CU_ASSERT_EQUAL(g_list[0], iova_of(two + PAGE));
	CU_ASSERT_EQUAL(g_list[1], iova_of(two + 2 * PAGE));
	for (int i = 0; i < 3; i++) {
		usk_mem_unregister(two + i * PAGE, PAGE);
	}
	free(two);
	usk_dma_free(a);
}

/* The rest runs the queue pair against the NVMe controller model. */

/* A model with plain MMIO doorbells, or shadow doorbells when @dbbuf. */
static void fixture_up(struct nvme_model_fixture *f, bool dbbuf, uint32_t entries)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.dbbuf = dbbuf;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, NULL, entries), 0);
}

static void test_submit_and_complete(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_sqe sqe;
	uint8_t *media;

	fixture_up(&f, false, 16);
	media = nvme_model_ns_data(f.model, 1);
	for (int i = 0; i < 2 * 512; i++) {
		media[5 * 512 + i] = (uint8_t)(i * 3 + 1);
	}
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 5, 2, nvme_model_result_done, &r), 0);
	/* Outside a poll the submission rings the tail at once; nothing is reaped yet. */
	struct usk_nvme_qpair_stats s = nvme_model_qpair_stats(f.q);

	CU_ASSERT_EQUAL(s.sq_mmio_doorbells, 1);
	CU_ASSERT_EQUAL(s.cq_mmio_doorbells, 0);
	CU_ASSERT_EQUAL(nvme_model_cq_head(f.model, f.q->id), 0);
	nvme_model_poll_until(f.q, &r.calls, 1, 30);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(f.buf, media + 5 * 512, 2 * 512), 0);
	/* What went over the ring: the read as built, the first tracker's CID, the buffer. */
	nvme_model_last_sqe(f.model, f.q->id, &sqe);
	CU_ASSERT_EQUAL(sqe.opcode, USK_NVME_OPC_READ);
	CU_ASSERT_EQUAL(sqe.nsid, 1);
	CU_ASSERT_EQUAL(sqe.cid, 0);
	CU_ASSERT_EQUAL(sqe.cdw10, 5);
	CU_ASSERT_EQUAL(sqe.cdw11, 0);
	CU_ASSERT_EQUAL(sqe.cdw12, 1);
	CU_ASSERT_EQUAL(sqe.prp1, usk_vtoiova(f.buf, NULL));
	/* One entry reaped in one poll: one head doorbell, and the model sees head 1. */
	s = nvme_model_qpair_stats(f.q);
	CU_ASSERT_EQUAL(s.completions, 1);
	CU_ASSERT_EQUAL(s.bogus_completions, 0);
	CU_ASSERT_EQUAL(s.polls - s.idle_polls, 1);
	CU_ASSERT_EQUAL(s.sq_mmio_doorbells, 1);
	CU_ASSERT_EQUAL(s.cq_mmio_doorbells, 1);
	CU_ASSERT_EQUAL(s.sq_shadow_updates + s.cq_shadow_updates, 0);
	CU_ASSERT_EQUAL(nvme_model_cq_head(f.model, f.q->id), 1);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

static void test_full_ring_waits_in_order(void)
{
	/* 3 usable entries, 8 waiting slots: 11 commands accepted, the 12th refused. */
	struct nvme_model_fixture f;
	struct nvme_model_result r[12] = {{0}};
	static uint8_t not_dma[512];

	fixture_up(&f, false, 4);
	nvme_model_results_restart();
	for (int i = 0; i < 11; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r[11]), -EAGAIN);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 11);
	/* Only the three in the ring rang; the eight waiting did not. */
	CU_ASSERT_EQUAL(nvme_model_qpair_stats(f.q).sq_mmio_doorbells, 3);
	/* A waiting command's buffer is checked when it is submitted, not later. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, not_dma, 0, 1, nvme_model_result_done, &r[11]), -EINVAL);
	nvme_model_poll_until(f.q, &r[10].calls, 1, 30);
	for (int i = 0; i < 11; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, 0);
		/* The model runs a queue in order, so completions come in submission order. */
		CU_ASSERT_EQUAL(r[i].order, i);
	}
	CU_ASSERT_EQUAL(r[11].calls, 0);
	/* The last to go out was the last submitted: block 10. */
	struct usk_nvme_sqe sqe;

	nvme_model_last_sqe(f.model, f.q->id, &sqe);
	CU_ASSERT_EQUAL(sqe.cdw10, 10);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

static void test_phase_wraps_over_many_revolutions(void)
{
	/* A 4-entry queue (3 usable): 3000 commands go around it 750 times. */
	struct nvme_model_fixture f;
	struct nvme_model_loop l = {.target = 3000};

	fixture_up(&f, false, 4);
	l.ns = f.ns;
	l.q = f.q;
	l.buf = f.buf;
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvme_model_loop_submit(&l), 0);
	}
	nvme_model_loop_poll(&l, 30);
	CU_ASSERT_EQUAL(l.completed, l.target);
	CU_ASSERT_EQUAL(l.errors, 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	struct usk_nvme_qpair_stats s = nvme_model_qpair_stats(f.q);

	/* Each entry read once, in its turn, whatever the phase: no entry seen twice or missed. */
	CU_ASSERT_EQUAL(s.completions, 3000);
	CU_ASSERT_EQUAL(s.bogus_completions, 0);
	/* The first three submissions ring one by one; those from callbacks, once per poll. */
	CU_ASSERT_EQUAL(s.sq_mmio_doorbells, 3 + (uint64_t)l.batches);
	/* One head doorbell per poll that read entries. */
	CU_ASSERT_EQUAL(s.cq_mmio_doorbells, s.polls - s.idle_polls);
	CU_ASSERT_EQUAL(nvme_model_cq_head(f.model, f.q->id), 3000 % 4);
	/* The model may see two writes between its looks as one, never more than were made. */
	CU_ASSERT(nvme_model_sq_doorbell_writes(f.model) <= s.sq_mmio_doorbells);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

static int g_unknown_cid_logs;
static char g_unknown_cid_log[2][160];

static void catch_unknown_cid(void *ctx, enum usk_log_level level, const char *msg)
{
	if (strstr(msg, "unknown CID") != NULL && g_unknown_cid_logs < 2) {
		snprintf(g_unknown_cid_log[g_unknown_cid_logs], sizeof(g_unknown_cid_log[0]), "%s",
			 msg);
	}
	g_unknown_cid_logs += strstr(msg, "unknown CID") != NULL;
}

static void test_unknown_cid_logged_and_skipped(void)
{
	/*
	 * The CQ gets, in this order: CID 1000 (beyond the ring), read A, CID 5
	 * (in the ring, but no command has it), read B. The two reads complete,
	 * once each; the two others are logged and skipped.
	 */
	struct nvme_model_fixture f;
	struct nvme_model_result r[2] = {{0}};

	fixture_up(&f, false, 16);
	g_unknown_cid_logs = 0;
	usk_log_set_callback(catch_unknown_cid, NULL);
	CU_ASSERT_TRUE(nvme_model_post_bogus(f.model, f.q->id, 1000));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r[0]), 0);
	CU_ASSERT_FATAL(nvme_model_wait_io_completed(f.model, 1));
	CU_ASSERT_TRUE(nvme_model_post_bogus(f.model, f.q->id, 5));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf + 512, 1, 1, nvme_model_result_done, &r[1]), 0);
	nvme_model_poll_until(f.q, &r[1].calls, 1, 30);
	usk_log_set_callback(NULL, NULL);
	CU_ASSERT_EQUAL(r[0].calls, 1);
	CU_ASSERT_EQUAL(r[0].status, 0);
	CU_ASSERT_EQUAL(r[1].calls, 1);
	CU_ASSERT_EQUAL(r[1].status, 0);
	CU_ASSERT_EQUAL(g_unknown_cid_logs, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_unknown_cid_log[0], "unknown CID 1000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g_unknown_cid_log[1], "unknown CID 5"));
	struct usk_nvme_qpair_stats s = nvme_model_qpair_stats(f.q);

	CU_ASSERT_EQUAL(s.completions, 2);
	CU_ASSERT_EQUAL(s.bogus_completions, 2);
	/* All four entries went back to the controller. */
	CU_ASSERT_EQUAL(nvme_model_cq_head(f.model, f.q->id), 4);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(f.q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A reap that finds only entries with CIDs no command has still gives them
 * back by the CQ head doorbell (MMIO, or the shadow). The bug: the doorbell
 * was written only when a command completed, so the controller's CQ filled
 * with entries the host had read.
 */
static void test_head_doorbell_after_bogus_only_reap(void)
{
	for (int dbbuf = 0; dbbuf < 2; dbbuf++) {
		struct nvme_model_fixture f;
		struct nvme_model_result r = {0};

		fixture_up(&f, dbbuf, 16);
		CU_ASSERT_TRUE(nvme_model_post_bogus(f.model, f.q->id, 1000));
		CU_ASSERT_TRUE(nvme_model_post_bogus(f.model, f.q->id, 7));
		CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(f.q, 0), 0);
		CU_ASSERT_EQUAL(nvme_model_cq_head(f.model, f.q->id), 2);
		struct usk_nvme_qpair_stats s = nvme_model_qpair_stats(f.q);

		CU_ASSERT_EQUAL(s.bogus_completions, 2);
		CU_ASSERT_EQUAL(s.completions, 0);
		CU_ASSERT_EQUAL(dbbuf ? s.cq_shadow_updates : s.cq_mmio_doorbells, 1);
		/* The queue goes on: the next command's entry follows the skipped ones. */
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
		nvme_model_poll_until(f.q, &r.calls, 1, 30);
		CU_ASSERT_EQUAL(r.calls, 1);
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT_EQUAL(nvme_model_cq_head(f.model, f.q->id), 3);
		CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	}
}

/* SQ tail writes: to the shadow when the queue pair has one, else to MMIO. */
static uint64_t sq_writes(const struct usk_nvme_qpair *q)
{
	struct usk_nvme_qpair_stats s = nvme_model_qpair_stats(q);

	return q->sq_shadow != NULL ? s.sq_shadow_updates : s.sq_mmio_doorbells;
}

/* Submits @n one-block reads on @q into @r[0..n). */
static void submit_reads(struct nvme_model_fixture *f, struct usk_nvme_qpair *q, struct nvme_model_result *r,
			 int n)
{
	for (int i = 0; i < n; i++) {
		r[i] = (struct nvme_model_result){0};
		CU_ASSERT_EQUAL(
			usk_nvme_ns_read(f->ns, q, f->buf + i * 512, (uint64_t)i, 1, nvme_model_result_done, &r[i]),
			0);
	}
}

/* A queue pair of @c that delays its SQ doorbell to the next poll or flush. */
static struct usk_nvme_qpair *alloc_delayed_qpair(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_io_qpair_opts opts;
	struct usk_nvme_qpair *q = NULL;

	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.delay_doorbell = true;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(c, &opts, &q), 0);
	return q;
}

/*
 * With delay_doorbell, submissions between two polls write the SQ tail
 * once, at the poll (or at usk_nvme_qpair_flush()); without it each
 * submission made outside a poll writes it. MMIO and shadow doorbells alike.
 */
static void test_delay_doorbell_one_write_per_batch(void)
{
	for (int dbbuf = 0; dbbuf < 2; dbbuf++) {
		struct nvme_model_fixture f;
		struct usk_nvme_qpair *q;
		struct nvme_model_result r[8];
		uint64_t before;

		fixture_up(&f, dbbuf, 16);
		q = alloc_delayed_qpair(f.c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT_EQUAL(q->sq_shadow != NULL, dbbuf);
		before = sq_writes(q);
		submit_reads(&f, q, r, 8);
		CU_ASSERT_EQUAL(sq_writes(q), before);
		/* The poll reaps nothing (the model has not seen them) and then rings once. */
		CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), 0);
		CU_ASSERT_EQUAL(sq_writes(q), before + 1);
		nvme_model_poll_until(q, &r[7].calls, 1, 30);
		for (int i = 0; i < 8; i++) {
			CU_ASSERT_EQUAL(r[i].calls, 1);
			CU_ASSERT_EQUAL(r[i].status, 0);
		}
		/* Polls with nothing new to send write nothing. */
		CU_ASSERT_EQUAL(sq_writes(q), before + 1);

		/* A flush sends the batch without a poll; a second one has nothing to send. */
		submit_reads(&f, q, r, 8);
		CU_ASSERT_EQUAL(sq_writes(q), before + 1);
		usk_nvme_qpair_flush(q);
		CU_ASSERT_EQUAL(sq_writes(q), before + 2);
		usk_nvme_qpair_flush(q);
		CU_ASSERT_EQUAL(sq_writes(q), before + 2);
		nvme_model_poll_until(q, &r[7].calls, 1, 30);
		CU_ASSERT_EQUAL(r[0].calls + r[7].calls, 2);
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);

		/* The fixture's queue pair does not delay: one write per submission. */
		before = sq_writes(f.q);
		submit_reads(&f, f.q, r, 8);
		CU_ASSERT_EQUAL(sq_writes(f.q), before + 8);
		nvme_model_poll_until(f.q, &r[7].calls, 1, 30);
		CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	}
}

/*
 * connect_async with delay_doorbell: the submission that finds the queues
 * made sends what waited into the ring but leaves the doorbell to the next
 * poll, which writes it once for the whole batch. It used to write it at
 * that submission too: two writes for one batch (bdev_nvme_io_ut's
 * doorbell count failed that way when the model answered late).
 */
static void test_delayed_doorbell_across_connect_async(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_io_qpair_opts opts;
	struct usk_nvme_qpair *q = NULL;
	struct nvme_model_result r[8];
	int n = 0;

	fixture_up(&f, false, 16);
	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.delay_doorbell = true;
	opts.connect_async = true;
	nvme_model_pause(f.model, true);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, &opts, &q), 0);
	submit_reads(&f, q, r, 1);
	n = 1;
	nvme_model_pause(f.model, false);
	/* Each submission advances the Creates by one answer, until one finds them done. */
	while (!nvme_qpair_in_sync(q) && n < 8) {
		CU_ASSERT_FATAL(nvme_model_admin_settle(f.model));
		r[n] = (struct nvme_model_result){0};
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf + n * 512, (uint64_t)n, 1,
						 nvme_model_result_done, &r[n]),
				0);
		n++;
	}
	CU_ASSERT_FATAL(nvme_qpair_in_sync(q));
	CU_ASSERT(n > 1);
	CU_ASSERT_EQUAL(sq_writes(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), 0);
	CU_ASSERT_EQUAL(sq_writes(q), 1);
	nvme_model_poll_until(q, &r[n - 1].calls, 1, 30);
	for (int i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, 0);
	}
	CU_ASSERT_EQUAL(sq_writes(q), 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * Freeing a queue pair whose delayed doorbell was never written: the
 * commands end once, and the SQ tail doorbell stays unwritten, for after
 * Delete I/O SQ the controller has no such queue (a write to its doorbell
 * would be an Invalid Doorbell Register error). The reap between the two
 * Deletes used to ring it.
 */
static void test_free_leaves_unrung_doorbell_alone(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_qpair *q;
	struct nvme_model_result r[4];
	uint64_t before;

	fixture_up(&f, false, 16);
	q = alloc_delayed_qpair(f.c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	before = sq_writes(q);
	submit_reads(&f, q, r, 4);
	CU_ASSERT_EQUAL(sq_writes(q), before);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_NOT_EQUAL(r[i].status, 0);
	}
	/* The fixture's queue pair still works, and the model saw no bad doorbell. */
	submit_reads(&f, f.q, r, 1);
	nvme_model_poll_until(f.q, &r[0].calls, 1, 30);
	CU_ASSERT_EQUAL(r[0].status, 0);
	CU_ASSERT_EQUAL(nvme_model_doorbell_errors(f.model), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_no_data_keeps_prp1),
		UT_TEST(test_sizes_and_alignments),
		UT_TEST(test_refused),
		UT_TEST(test_crosses_registrations),
		UT_TEST(test_submit_and_complete),
		UT_TEST(test_full_ring_waits_in_order),
		UT_TEST(test_phase_wraps_over_many_revolutions),
		UT_TEST(test_unknown_cid_logged_and_skipped),
		UT_TEST(test_head_doorbell_after_bogus_only_reap),
		UT_TEST(test_delay_doorbell_one_write_per_batch),
		UT_TEST(test_delayed_doorbell_across_connect_async),
		UT_TEST(test_free_leaves_unrung_doorbell_alone),
	};
	int rc;

	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	g_buf = usk_dma_malloc((2u << 20) + 2 * PAGE, PAGE, -1);
	g_list = usk_dma_malloc(PAGE, PAGE, -1);
	if (g_buf == NULL || g_list == NULL) {
		return 99;
	}
	g_list_iova = iova_of(g_list);
	rc = UT_RUN("nvme_qpair", tests);
	usk_env_fini();
	return rc;
}
