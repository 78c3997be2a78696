/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme_internal.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static struct nvme_model *g_model;
static struct usk_nvme_ctrlr *g_ctrlr;
static struct usk_nvme_ns *g_ns;
static struct usk_nvme_qpair *g_q;
static int g_calls;
static uint16_t g_status;

static void done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_calls++;
	g_status = USK_NVME_STATUS_CODE(cpl->status);
}

static int setup(uint16_t noiob, uint16_t entries)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_blocks[0] = 8192; /* 4 MiB */
	mo.noiob = noiob;
	g_calls = 0;
	if (nvme_model_create(&mo, &g_model) != 0 ||
	    usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_ctrlr) != 0) {
		return -1;
	}
	g_ns = usk_nvme_ctrlr_get_ns(g_ctrlr, 1);
	return nvme_model_alloc_qpair(g_ctrlr, entries, &g_q);
}

static void teardown(void)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(g_q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(g_ctrlr), 0);
	nvme_model_destroy(g_model);
}

static void test_above_mdts(void)
{
	/* MDTS 5: 128 KiB a command; 300 KiB go out as 3 and come back as one. */
	uint8_t *buf = usk_dma_malloc(600 * 512, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(setup(0, 16), 0);
	for (int i = 0; i < 600 * 512; i++) {
		buf[i] = (uint8_t)(i * 31 + 7);
	}
	uint64_t before = nvme_model_io_completed(g_model);

	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, g_q, buf, 10, 600, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 1, 30);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, 0);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 3);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 10 * 512, buf, 600 * 512), 0);
	memset(buf, 0, 600 * 512);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, g_q, buf, 10, 600, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 2, 30);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 10 * 512, buf, 600 * 512), 0);
	/* One failed command fails the request, once, with its status. */
	nvme_model_inject_status(g_model, USK_NVME_OPC_READ, 0x281, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, g_q, buf, 10, 600, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 3, 30);
	usk_nvme_qpair_process_completions(g_q, 0);
	CU_ASSERT_EQUAL(g_calls, 3);
	CU_ASSERT_EQUAL(g_status, 0x281);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(g_q), 0);
	teardown();
	usk_dma_free(buf);
}

static void test_optimal_boundary(void)
{
	/* Boundary every 8 blocks: blocks 6..9 go out as 6..7 and 8..9. */
	uint8_t *buf = usk_dma_malloc(4 * 512, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(setup(8, 16), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_optimal_io_boundary(g_ns), 8);
	uint64_t before = nvme_model_io_completed(g_model);

	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, g_q, buf, 6, 4, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 1, 30);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 2);
	/* Within one boundary: one command. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, g_q, buf, 8, 4, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 2, 30);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 3);
	CU_ASSERT_EQUAL(g_status, 0);
	teardown();
	usk_dma_free(buf);
}

/*
 * A boundary that is not a power of two (the driver masks for those that
 * are, and divides for these): every 6 blocks, blocks 4..13 go out as
 * 4..5, 6..11 and 12..13.
 */
static void test_boundary_not_a_power_of_two(void)
{
	uint8_t *buf = usk_dma_malloc(10 * 512, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(setup(6, 16), 0);
	uint64_t before = nvme_model_io_completed(g_model);

	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, g_q, buf, 4, 10, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 1, 30);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 3);
	/* Exactly one boundary's worth, from a boundary: one command. */
	CU_ASSERT_EQUAL(usk_nvme_ns_write(g_ns, g_q, buf, 12, 6, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 2, 30);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 4);
	CU_ASSERT_EQUAL(g_status, 0);
	teardown();
	usk_dma_free(buf);
}

static void test_all_or_nothing(void)
{
	/* A 4-entry queue has room for 3 + 8 waiting: a 12-command request is refused
	 * before any command goes out; an 11-command one is taken. */
	uint8_t *buf = usk_dma_malloc(1536 * 1024, 4096, -1);

	CU_ASSERT_EQUAL_FATAL(setup(0, 4), 0);
	uint64_t before = nvme_model_io_completed(g_model);

	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, g_q, buf, 0, 12 * 256, done, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model), before);
	/* Beyond the namespace is bad input, whatever the room. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, g_q, buf, 8000, 256, done, NULL), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(g_ns, g_q, buf, 0, 11 * 256 / 2, done, NULL), 0);
	nvme_model_poll_until(g_q, &g_calls, 1, 30);
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 6);
	teardown();
	usk_dma_free(buf);
}

static int g_split_done;

static void count_split_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_split_done++;
}

/* The hot-unplug another thread notices, some microseconds in. */
static void *fail_soon(void *arg)
{
	struct nvme_model_fixture *f = arg;

	usleep(200 + (unsigned int)(rand() % 3000));
	nvme_model_remove(f->model);
	/* As an admin poller would: the failure ends once the model has stopped. */
	for (int i = 0; i < 10 * 1000 * 1000 &&
			usk_nvme_ctrlr_process_admin_completions(f->c) != -ENXIO;
	     i++) {
		sched_yield();
	}
	return NULL;
}

/*
 * Split reads race a controller failing on another thread: each read the
 * driver accepted completes exactly once. The bug this was written for: a
 * later piece refused because of the failure ended the earlier ones on the
 * spot, and the request was still counted as accepted, so its callback
 * never ran (1 run in about 50).
 */
static void test_failure_between_pieces(void)
{
	srand(1);
	for (int it = 0; it < 300; it++) {
		struct nvme_model_opts mo;
		struct nvme_model_fixture f;
		pthread_t th;
		int accepted = 0;

		nvme_model_opts_init(&mo);
		mo.mdts = 1; /* 8 KiB a command: a 64 KiB read is 8 pieces */
		mo.ns_blocks[0] = 4096;
		CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 64), 0);
		g_split_done = 0;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, fail_soon, &f), 0);
		for (;;) {
			int rc = usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 128, count_split_done, NULL);

			accepted += rc == 0;
			if (usk_nvme_qpair_process_completions(f.q, 0) == -ENXIO && rc == -ENXIO) {
				break;
			}
		}
		pthread_join(th, NULL);
		usk_nvme_qpair_process_completions(f.q, 0);
		CU_ASSERT_EQUAL_FATAL(g_split_done, accepted);
		CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
	}
}

/*
 * Every command of a split request carries its flags. A one-entry ring
 * sends the pieces one at a time, so the model's last command is each in
 * turn: 20 blocks from 4 across a boundary of 8 are [4, 8), [8, 16), [16, 24).
 */
static void test_pieces_carry_io_flags(void)
{
	static const uint32_t starts[] = {4, 8, 16}, counts[] = {4, 8, 8};
	const uint32_t flags = USK_NVME_IO_FLAGS_FUA | USK_NVME_IO_FLAGS_LIMITED_RETRY;
	uint8_t *buf = usk_dma_malloc(20 * 512, 4096, -1);
	struct usk_nvme_io_opts opts;
	struct usk_nvme_sqe sqe;

	CU_ASSERT_EQUAL_FATAL(setup(8, 2), 0);
	usk_nvme_io_opts_init(&opts, sizeof(opts));
	opts.io_flags = flags;
	uint64_t before = nvme_model_io_completed(g_model);

	CU_ASSERT_EQUAL(usk_nvme_ns_write_ext(g_ns, g_q, buf, 4, 20, done, NULL, &opts), 0);
	for (uint32_t i = 0; i < 3; i++) {
		CU_ASSERT_FATAL(nvme_model_wait_io_completed(g_model, before + i + 1));
		nvme_model_last_sqe(g_model, g_q->id, &sqe);
		CU_ASSERT_EQUAL(sqe.opcode, USK_NVME_OPC_WRITE);
		CU_ASSERT_EQUAL(sqe.cdw10, starts[i]);
		CU_ASSERT_EQUAL(sqe.cdw12, (counts[i] - 1) | flags);
		/* Reaping this piece lets the next one into the ring. */
		CU_ASSERT_EQUAL(g_calls, 0);
		usk_nvme_qpair_process_completions(g_q, 0);
	}
	CU_ASSERT_EQUAL(g_calls, 1);
	CU_ASSERT_EQUAL(g_status, 0);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model) - before, 3);
	teardown();
	usk_dma_free(buf);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_above_mdts),
		UT_TEST(test_optimal_boundary),
		UT_TEST(test_boundary_not_a_power_of_two),
		UT_TEST(test_all_or_nothing),
		UT_TEST(test_failure_between_pieces),
		UT_TEST(test_pieces_carry_io_flags),
	};
	int rc;

	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_split", tests);
	usk_env_fini();
	return rc;
}
