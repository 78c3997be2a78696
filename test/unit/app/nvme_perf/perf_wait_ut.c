/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a usk_nvme_perf worker waits, over a fake queue pair with an
 * eventfd for its interrupt: a paced worker with nothing in flight sleeps
 * until its next submission at once and arms nothing; one with I/O in
 * flight polls for the idle spell, then arms, sleeps and measures what the
 * sleep cost. The sleeps here end on a written eventfd or a short timeout;
 * nothing is asserted about how long anything took.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "perf_wait.h"
#include "usk/ticks.h"
#include "ut.h"

#define QD 4

static struct {
	struct perf_task *pending[QD];
	uint32_t npending;
	bool completes; /* poll completes what is pending */
	int efd;
	uint32_t arms;
	uint32_t disarms;
} g_fake;

static int fake_submit(void *qpair, bool is_read, void *buf, uint64_t lba, uint32_t blocks,
		       struct perf_task *task)
{
	g_fake.pending[g_fake.npending++] = task;
	return 0;
}

static int fake_poll(void *qpair, uint32_t max)
{
	struct perf_task *done[QD];
	uint32_t n = g_fake.completes ? g_fake.npending : 0;

	/* Completions may submit again: work on a copy. */
	for (uint32_t i = 0; i < n; i++) {
		done[i] = g_fake.pending[i];
	}
	g_fake.npending -= n;
	for (uint32_t i = 0; i < n; i++) {
		perf_task_complete(done[i], 0);
	}
	return (int)n;
}

static int fake_interrupt_fd(void *qpair)
{
	return g_fake.efd;
}

/* As usk_nvme_qpair_arm_interrupt(): 1 when a completion is already there. */
static int fake_arm(void *qpair)
{
	g_fake.arms++;
	return g_fake.completes && g_fake.npending > 0;
}

static int fake_disarm(void *qpair)
{
	uint64_t count;

	g_fake.disarms++;
	(void)!read(g_fake.efd, &count, sizeof(count));
	return 0;
}

static const struct perf_qpair_ops g_fake_ops = {
	.submit = fake_submit,
	.poll = fake_poll,
	.interrupt_fd = fake_interrupt_fd,
	.arm = fake_arm,
	.disarm = fake_disarm,
};

static struct perf_ns_worker g_worker;
static struct perf_task g_tasks[QD];
static struct usk_histogram g_latency;
static void *g_buffers[QD];
static struct perf_wait g_wait;

/* A worker at queue depth @qd in @mode, paced at @rate I/Os per second (0: a closed loop). */
static void setup(enum perf_wait_mode mode, uint32_t qd, uint32_t rate)
{
	struct perf_opts opts = {0};
	struct perf_ns_worker_params params = {
		.ops = &g_fake_ops,
		.buffers = g_buffers,
		.ns_blocks = 1024,
		.block_size = 512,
		.worker_count = 1,
		.seed = 5,
	};

	memset(&g_fake, 0, sizeof(g_fake));
	g_fake.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CU_ASSERT_FATAL(g_fake.efd >= 0);
	for (uint32_t i = 0; i < QD; i++) {
		if (g_buffers[i] == NULL) {
			g_buffers[i] = calloc(1, 4096);
		}
	}
	opts.queue_depth = qd;
	opts.io_size = 4096;
	opts.pattern = PERF_RANDOM;
	opts.read_percent = 100;
	opts.wait_mode = mode;
	opts.rate = rate;
	CU_ASSERT_EQUAL_FATAL(perf_ns_worker_init(&g_worker, &opts, &params, g_tasks, &g_latency),
			      0);
	if (rate != 0) {
		perf_ns_worker_set_pace(&g_worker, usk_ticks_hz() / rate);
	}
	CU_ASSERT_EQUAL_FATAL(perf_ns_worker_start(&g_worker), 0);
	perf_wait_init(&g_wait, &opts);
}

static void teardown(void)
{
	close(g_fake.efd);
}

/*
 * One paced I/O goes out and completes; the next is a second away. The
 * turn after the completion sleeps (PERF_MAX_SLEEP_US, the deadline being
 * further) with no queue pair armed: there is nothing in flight to wake it.
 */
static void sleeps_till_next_submission_unarmed(enum perf_wait_mode mode)
{
	uint64_t deadline = usk_ticks() + 2 * usk_ticks_hz();
	uint32_t arms;

	setup(mode, 1, 1);
	g_fake.completes = true;
	/* Submits the first I/O (its turn is now). */
	CU_ASSERT_EQUAL(perf_wait_turn(&g_wait, &g_worker, 1, deadline), 0);
	CU_ASSERT_EQUAL(g_worker.in_flight, 1);
	CU_ASSERT_EQUAL(g_wait.sleeps, 0);
	CU_ASSERT_EQUAL(perf_wait_turn(&g_wait, &g_worker, 1, deadline), 1);
	CU_ASSERT_EQUAL(g_worker.in_flight, 0);
	/* --interrupts tried to sleep with the I/O in flight; its arm found it done. */
	arms = g_fake.arms;
	CU_ASSERT_EQUAL(arms, mode == PERF_WAIT_INTERRUPTS ? 1 : 0);
	CU_ASSERT_EQUAL(g_fake.disarms, arms);
	CU_ASSERT_EQUAL(perf_wait_turn(&g_wait, &g_worker, 1, deadline), 0);
	CU_ASSERT_EQUAL(g_wait.sleeps, 1);
	CU_ASSERT_EQUAL(g_fake.arms, arms);
	CU_ASSERT_EQUAL(g_fake.disarms, arms);
	CU_ASSERT_EQUAL(g_worker.result.ios, 1);
	teardown();
}

static void test_adaptive_paced_idle_sleeps_at_once_unarmed(void)
{
	sleeps_till_next_submission_unarmed(PERF_WAIT_ADAPTIVE);
}

static void test_interrupts_paced_idle_sleeps_unarmed(void)
{
	sleeps_till_next_submission_unarmed(PERF_WAIT_INTERRUPTS);
}

/*
 * I/O in flight that does not complete: the worker polls through the idle
 * spell (the first guess, no sleep measured yet), then arms and sleeps on
 * the eventfd (written beforehand, so the sleep ends at once), disarms,
 * and the spell now follows what that sleep cost.
 */
static void test_adaptive_polls_the_spell_then_sleeps_and_measures(void)
{
	uint64_t one = 1, start, turns = 0;

	setup(PERF_WAIT_ADAPTIVE, QD, 0);
	CU_ASSERT_EQUAL(g_worker.in_flight, QD);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&g_wait.spell),
			usk_us_to_ticks(USK_IDLE_SPELL_FIRST_US));
	CU_ASSERT_EQUAL(write(g_fake.efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	start = usk_ticks();
	while (g_wait.sleeps == 0) {
		CU_ASSERT_EQUAL_FATAL(perf_wait_turn(&g_wait, &g_worker, 1, UINT64_MAX), 0);
		turns++;
		if (g_wait.sleeps == 0) {
			CU_ASSERT_EQUAL_FATAL(g_fake.arms, 0);
		}
	}
	CU_ASSERT(turns > 1);
	CU_ASSERT(usk_ticks() - start >= usk_us_to_ticks(USK_IDLE_SPELL_FIRST_US));
	CU_ASSERT_EQUAL(g_fake.arms, 1);
	CU_ASSERT_EQUAL(g_fake.disarms, 1);
	CU_ASSERT_EQUAL(g_wait.spell.sleeps, 1);
	CU_ASSERT(usk_idle_spell_ticks(&g_wait.spell) <=
		  usk_us_to_ticks(PERF_ADAPTIVE_MAX_SPELL_US));
	/* Now the I/O completes: every one exactly once. */
	g_fake.completes = true;
	perf_ns_worker_stop(&g_worker);
	CU_ASSERT_EQUAL(perf_wait_turn(&g_wait, &g_worker, 1, UINT64_MAX), QD);
	CU_ASSERT_EQUAL(g_worker.in_flight, 0);
	CU_ASSERT_EQUAL(g_worker.result.ios, QD);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_adaptive_paced_idle_sleeps_at_once_unarmed),
		UT_TEST(test_interrupts_paced_idle_sleeps_unarmed),
		UT_TEST(test_adaptive_polls_the_spell_then_sleeps_and_measures),
	};

	return UT_RUN("perf_wait", tests);
}
