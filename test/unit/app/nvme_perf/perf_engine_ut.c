/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "perf_engine.h"
#include "ut.h"

/* A fake queue pair over an in-memory disk: poll completes everything. */
#define DISK_BLOCKS 256
#define BLOCK	    512
#define MAX_QD	    16

struct fake_io {
	bool is_read;
	void *buf;
	uint64_t lba;
	uint32_t blocks;
	struct perf_task *task;
	uint64_t seq;
};

static struct {
	unsigned char disk[DISK_BLOCKS * BLOCK];
	struct fake_io pending[MAX_QD * 2];
	uint32_t npending;
	uint64_t submitted;
	uint64_t reads;
	uint64_t fail_io;      /* the submitted I/O number that fails, 0 for none */
	uint64_t corrupt_read; /* the read number whose data gets one bit flipped */
	int submit_rc;
	bool overlap_seen;
} g_fake;

static int fake_submit(void *qpair, bool is_read, void *buf, uint64_t lba, uint32_t blocks,
		       struct perf_task *task)
{
	if (g_fake.submit_rc != 0) {
		return g_fake.submit_rc;
	}
	CU_ASSERT_FATAL(lba + blocks <= DISK_BLOCKS);
	for (uint32_t i = 0; i < g_fake.npending; i++) {
		struct fake_io *p = &g_fake.pending[i];

		if (lba < p->lba + p->blocks && p->lba < lba + blocks) {
			g_fake.overlap_seen = true;
		}
	}
	g_fake.submitted++;
	g_fake.pending[g_fake.npending++] =
		(struct fake_io){is_read, buf, lba, blocks, task, g_fake.submitted};
	return 0;
}

static int fake_poll(void *qpair, uint32_t max)
{
	struct fake_io done[MAX_QD * 2];
	uint32_t n = g_fake.npending;

	/* Completions may submit again: work on a copy. */
	memcpy(done, g_fake.pending, n * sizeof(done[0]));
	g_fake.npending = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct fake_io *io = &done[i];
		unsigned char *media = &g_fake.disk[io->lba * BLOCK];
		uint16_t status = 0;

		if (io->is_read) {
			memcpy(io->buf, media, io->blocks * BLOCK);
			if (++g_fake.reads == g_fake.corrupt_read) {
				((unsigned char *)io->buf)[BLOCK + 100] ^= 1;
			}
		} else {
			memcpy(media, io->buf, io->blocks * BLOCK);
		}
		if (io->seq == g_fake.fail_io) {
			status = 0x281;
		}
		perf_task_complete(io->task, status);
	}
	return (int)n;
}

static const struct perf_qpair_ops g_fake_ops = {.submit = fake_submit, .poll = fake_poll};

static struct perf_ns_worker g_worker;
static struct perf_task g_tasks[MAX_QD];
static struct usk_histogram g_latency;
static void *g_buffers[MAX_QD];

static int setup_worker(const char *workload, uint32_t qd, uint32_t io_size, bool verify)
{
	struct perf_opts opts = {0};
	struct perf_ns_worker_params params = {
		.ops = &g_fake_ops,
		.buffers = g_buffers,
		.ns_blocks = DISK_BLOCKS,
		.block_size = BLOCK,
		.worker_index = 0,
		.worker_count = 1,
		.seed = 3,
	};

	memset(&g_fake, 0, sizeof(g_fake));
	opts.queue_depth = qd;
	opts.io_size = io_size;
	opts.pattern = strstr(workload, "rand") ? PERF_RANDOM : PERF_SEQUENTIAL;
	opts.read_percent = strstr(workload, "rw") ? 50 : strstr(workload, "read") ? 100 : 0;
	opts.verify = verify;
	for (uint32_t i = 0; i < MAX_QD; i++) {
		if (g_buffers[i] == NULL) {
			g_buffers[i] = calloc(1, 64 * 1024);
		}
	}
	return perf_ns_worker_init(&g_worker, &opts, &params, g_tasks, &g_latency);
}

static void test_closed_loop_keeps_depth(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("randread", 4, 4096, false), 0);
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	CU_ASSERT_EQUAL(g_worker.in_flight, 4);
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(perf_ns_worker_poll(&g_worker), 4);
		CU_ASSERT_EQUAL(g_worker.in_flight, 4);
	}
	CU_ASSERT_EQUAL(g_worker.result.ios, 400);
	CU_ASSERT_EQUAL(g_worker.ios_live, 400);
	CU_ASSERT_EQUAL(g_worker.result.bytes, 400 * 4096);
	CU_ASSERT_EQUAL(usk_histogram_count(&g_latency), 400);
	CU_ASSERT_EQUAL(g_worker.result.errors, 0);
	CU_ASSERT_EQUAL(g_fake.reads, 400);
}

static void test_stop_drains(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("write", 8, 1024, false), 0);
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	perf_ns_worker_poll(&g_worker);
	perf_ns_worker_stop(&g_worker);
	CU_ASSERT_EQUAL(perf_ns_worker_poll(&g_worker), 8);
	CU_ASSERT_EQUAL(g_worker.in_flight, 0);
	CU_ASSERT_EQUAL(perf_ns_worker_poll(&g_worker), 0);
	CU_ASSERT_EQUAL(g_fake.submitted, 16);
	CU_ASSERT_EQUAL(g_fake.reads, 0);
	/* Sequential 2-block writes cover the disk in order. */
	CU_ASSERT_EQUAL(g_worker.result.ios, 16);
}

static void test_mix_and_reset(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("randrw", 8, 512, false), 0);
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	for (int i = 0; i < 250; i++) {
		perf_ns_worker_poll(&g_worker);
	}
	/* 2000 I/Os at 50% reads. */
	CU_ASSERT(g_fake.reads > 850 && g_fake.reads < 1150);
	perf_ns_worker_reset_stats(&g_worker);
	CU_ASSERT_EQUAL(g_worker.result.ios, 0);
	CU_ASSERT_EQUAL(usk_histogram_count(&g_latency), 0);
	perf_ns_worker_poll(&g_worker);
	CU_ASSERT_EQUAL(g_worker.result.ios, 8);
}

static void test_error_status_counted(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("randread", 2, 512, false), 0);
	g_fake.fail_io = 7;
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	for (int i = 0; i < 10; i++) {
		perf_ns_worker_poll(&g_worker);
	}
	CU_ASSERT_EQUAL(g_worker.result.ios, 20);
	CU_ASSERT_EQUAL(g_worker.result.errors, 1);
	CU_ASSERT_EQUAL(g_worker.result.error_kinds[0].status, 0x281);
	/* The failed task goes on with new I/O: the depth is kept. */
	CU_ASSERT_EQUAL(g_worker.in_flight, 2);
}

static void test_verify_passes_and_never_overlaps(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("randread", 8, 1024, true), 0);
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	for (int i = 0; i < 200; i++) {
		perf_ns_worker_poll(&g_worker);
	}
	CU_ASSERT_EQUAL(g_worker.result.errors, 0);
	CU_ASSERT_FALSE(g_worker.mismatched);
	/* Every write is read back: half of the I/Os are reads. */
	CU_ASSERT_EQUAL(g_fake.reads, 800);
	CU_ASSERT_FALSE(g_fake.overlap_seen);
}

static void test_verify_names_mismatch(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("randwrite", 4, 1024, true), 0);
	g_fake.corrupt_read = 5;
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	for (int i = 0; i < 20; i++) {
		perf_ns_worker_poll(&g_worker);
	}
	CU_ASSERT_EQUAL(g_worker.result.errors, 1);
	CU_ASSERT_EQUAL(g_worker.result.error_kinds[0].status, PERF_STATUS_MISCOMPARE);
	CU_ASSERT_TRUE_FATAL(g_worker.mismatched);
	/* The flipped byte is 100 bytes into the I/O's second block. */
	CU_ASSERT_EQUAL(g_worker.first_mismatch.offset, 96);
	CU_ASSERT_EQUAL(g_worker.first_mismatch.lba % 2, 1);
}

static void test_bad_setup(void)
{
	CU_ASSERT_EQUAL(setup_worker("randread", 4, 1000, false), -EINVAL);
	/* -V needs a slot per task: 256 blocks hold 2 slots of 64 KiB. */
	CU_ASSERT_EQUAL(setup_worker("randread", 4, 65536, true), -EINVAL);
	CU_ASSERT_EQUAL(setup_worker("randread", 2, 65536, true), 0);
	CU_ASSERT_EQUAL_FATAL(setup_worker("randread", 4, 512, false), 0);
	g_fake.submit_rc = -ENXIO;
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), -ENXIO);
	CU_ASSERT_EQUAL(g_worker.result.errors, 1);
	CU_ASSERT_EQUAL(g_worker.result.error_kinds[0].status, PERF_STATUS_SUBMIT_FAILED);
}

/*
 * --rate: the tasks wait for their turns; perf_ns_worker_pace() sends one
 * per period, never more than the depth, and no burst after a stall.
 */
static void test_pace(void)
{
	CU_ASSERT_EQUAL_FATAL(setup_worker("randread", 4, 4096, false), 0);
	perf_ns_worker_set_pace(&g_worker, 100);
	CU_ASSERT_EQUAL(perf_ns_worker_start(&g_worker), 0);
	CU_ASSERT_EQUAL(g_worker.in_flight, 0);
	uint64_t t0 = g_worker.next_due;

	CU_ASSERT_EQUAL(perf_ns_worker_pace(&g_worker, t0), t0 + 100);
	CU_ASSERT_EQUAL(g_worker.in_flight, 1);
	CU_ASSERT_EQUAL(perf_ns_worker_pace(&g_worker, t0 + 99), t0 + 100);
	CU_ASSERT_EQUAL(g_worker.in_flight, 1);
	CU_ASSERT_EQUAL(perf_ns_worker_pace(&g_worker, t0 + 100), t0 + 200);
	CU_ASSERT_EQUAL(g_worker.in_flight, 2);
	/* A completion makes its task wait for a turn too. */
	CU_ASSERT_EQUAL(perf_ns_worker_poll(&g_worker), 2);
	CU_ASSERT_EQUAL(g_worker.in_flight, 0);
	/* Far behind: one goes, the next turn is a period from now (no burst). */
	CU_ASSERT_EQUAL(perf_ns_worker_pace(&g_worker, t0 + 10000), t0 + 10100);
	CU_ASSERT_EQUAL(g_worker.in_flight, 1);
	/* Late by less than a period: the rate holds on average. */
	CU_ASSERT_EQUAL(perf_ns_worker_pace(&g_worker, t0 + 10150), t0 + 10200);
	CU_ASSERT_EQUAL(g_worker.in_flight, 2);
	CU_ASSERT_EQUAL(perf_ns_worker_poll(&g_worker), 2);
	CU_ASSERT_EQUAL(g_worker.result.ios, 4);
	/* Stopped: nothing more goes out. */
	perf_ns_worker_stop(&g_worker);
	CU_ASSERT_EQUAL(perf_ns_worker_pace(&g_worker, t0 + 20000), UINT64_MAX);
	CU_ASSERT_EQUAL(g_worker.in_flight, 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_closed_loop_keeps_depth),
		UT_TEST(test_stop_drains),
		UT_TEST(test_mix_and_reset),
		UT_TEST(test_error_status_counted),
		UT_TEST(test_verify_passes_and_never_overlaps),
		UT_TEST(test_verify_names_mismatch),
		UT_TEST(test_bad_setup),
		UT_TEST(test_pace),
	};
	int rc = UT_RUN("perf_engine", tests);

	for (int i = 0; i < MAX_QD; i++) {
		free(g_buffers[i]);
	}
	return rc;
}
