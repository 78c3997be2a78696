/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvme_interrupt.c: MSI-X vectors for queue pairs, arm and disarm, against
 * the NVMe controller model, whose completion queues signal eventfds. The
 * races are forced, never waited for: the model's assign hook makes a
 * completion land exactly between the driver's unmask and its look at the
 * queue. Waits on the model's thread are bounded (30 s), never oracles.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

#define WAIT_MS 30000

/* A model with @vectors MSI-X vectors, attached with interrupts (the fixture's qpair has qid 1). */
static void fixture_up(struct nvme_model_fixture *f, uint16_t vectors)
{
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;

	nvme_model_opts_init(&mo);
	mo.msix_vectors = vectors;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.interrupts = true;
	co.io_timeout_ms = 0;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(f, &mo, &co, 16), 0);
}

/* With @keep: interrupt_keep_completions (0: masked at every disarm). */
static int alloc_irq_qpair_keeping(struct usk_nvme_ctrlr *c, uint32_t keep,
				   struct usk_nvme_qpair **q)
{
	struct usk_nvme_io_qpair_opts opts;

	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	CU_ASSERT_EQUAL(opts.interrupt_keep_completions, USK_NVME_IRQ_KEEP_COMPLETIONS);
	opts.io_queue_size = 16;
	opts.interrupts = true;
	opts.interrupt_keep_completions = keep;
	return usk_nvme_ctrlr_alloc_io_qpair(c, &opts, q);
}

/* A queue pair whose vector is masked at every disarm: each arm unmasks it. */
static int alloc_irq_qpair(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair **q)
{
	return alloc_irq_qpair_keeping(c, 0, q);
}

/* Whether @fd becomes readable within @ms; it is not read. */
static bool readable_within(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, ms) == 1;
}

/* Whether @fd counted something now; it is not read. */
static bool readable_now(int fd)
{
	return readable_within(fd, 0);
}

static struct usk_nvme_qpair_stats stats_of(struct usk_nvme_qpair *q)
{
	struct usk_nvme_qpair_stats s = {.stats_size = sizeof(s)};

	usk_nvme_qpair_get_stats(q, &s);
	return s;
}

/*
 * The vector of an armed queue pair signals its eventfd when a completion
 * lands; disarming masks it and drains the eventfd; polling reaps.
 */
static void test_armed_qpair_wakes(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q;
	int fd;

	fixture_up(&f, 9);
	/* The table size, from the MSI-X capability in configuration space. */
	CU_ASSERT_EQUAL(usk_pci_device_msix_count(nvme_model_pci_device(f.model)), 9);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair(f.c, &q), 0);
	fd = usk_nvme_qpair_get_interrupt_fd(q);
	CU_ASSERT_FATAL(fd >= 0);
	/* qid 2: vector 2, created with IEN; masked until armed. */
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 2), 2);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 1), -1);
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT(nvme_model_vector_assigned(f.model, 0));
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_interrupt_fd(f.q), -ENOTSUP);

	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 0);
	CU_ASSERT(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT(readable_within(fd, WAIT_MS));
	CU_ASSERT_EQUAL(r.calls, 0); /* the interrupt only wakes: the poll completes */
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_FALSE(readable_now(fd));
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), 1);
	CU_ASSERT(r.calls == 1 && r.status == 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0); /* idempotent */

	struct usk_nvme_qpair_stats s = stats_of(q);

	CU_ASSERT(s.interrupt_arms == 1 && s.interrupt_disarms == 1 &&
		  s.interrupt_arm_pending == 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* The assign hook's state: let the paused model post one completion, inside the unmask. */
struct interleave {
	struct nvme_model *model;
	uint64_t posted_before;
	int hooked;
	bool posted;
};

static void post_during_unmask(void *ctx, uint32_t vector)
{
	struct interleave *il = ctx;

	il->hooked++;
	nvme_model_pause(il->model, false);
	il->posted = nvme_model_wait_io_cqes_posted(il->model, il->posted_before + 1);
}

/*
 * A completion that lands while the queue pair is being armed is seen:
 * posted after the unmask and before the look at the queue (the hook), or
 * before the unmask (held pending by the masked vector), arm says 1, and
 * the eventfd is signalled either way. Many times, each forced.
 */
static void test_completion_while_arming(void)
{
	struct nvme_model_fixture f;
	struct interleave il = {0};
	struct usk_nvme_qpair *q;
	int fd, completed = 0;

	fixture_up(&f, 9);
	il.model = f.model;
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair(f.c, &q), 0);
	fd = usk_nvme_qpair_get_interrupt_fd(q);
	for (int i = 0; i < 200; i++) {
		struct nvme_model_result r = {0};
		bool during = i % 2 == 0;

		nvme_model_pause(f.model, true);
		il.posted_before = nvme_model_io_cqes_posted(f.model);
		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r),
				0);
		if (during) {
			nvme_model_set_assign_hook(f.model, post_during_unmask, &il);
		} else {
			nvme_model_pause(f.model, false);
			CU_ASSERT(nvme_model_wait_io_cqes_posted(f.model, il.posted_before + 1));
			CU_ASSERT_FALSE(readable_now(fd)); /* masked: held pending */
		}
		CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 1);
		nvme_model_set_assign_hook(f.model, NULL, NULL);
		/* The model posts the entry, then sends the message: it may follow the look. */
		CU_ASSERT(readable_within(fd, WAIT_MS));
		CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
		CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), 1);
		completed += r.calls;
		CU_ASSERT(r.calls == 1 && r.status == 0);
	}
	CU_ASSERT_EQUAL(il.hooked, 100);
	CU_ASSERT(il.posted);
	CU_ASSERT_EQUAL(completed, 200);
	CU_ASSERT_EQUAL(stats_of(q).interrupt_arm_pending, 200);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

#define LOOP_IOS   3000
#define LOOP_DEPTH 8

/* One read per tag; the loop keeps LOOP_DEPTH out until LOOP_IOS were started. */
struct switch_loop {
	struct usk_nvme_ns *ns;
	struct usk_nvme_qpair *q;
	uint8_t *buf;
	int started;
	int calls[LOOP_IOS];
	int errors;
};

struct switch_io {
	struct switch_loop *loop;
	int tag;
};

static struct switch_io g_ios[LOOP_IOS];

static void switch_loop_start(struct switch_loop *l);

static void switch_io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct switch_io *io = arg;

	io->loop->calls[io->tag]++;
	io->loop->errors += USK_NVME_STATUS_CODE(cpl->status) != 0;
	switch_loop_start(io->loop);
}

static void switch_loop_start(struct switch_loop *l)
{
	if (l->started < LOOP_IOS) {
		int tag = l->started++;

		g_ios[tag] = (struct switch_io){.loop = l, .tag = tag};
		if (usk_nvme_ns_read(l->ns, l->q, l->buf + (tag % LOOP_DEPTH) * 4096,
				     (uint64_t)tag % 256, 1, switch_io_done, &g_ios[tag]) != 0) {
			l->errors++;
		}
	}
}

/*
 * A bound on the turns of the loop below, twice what it needs: every third
 * empty turn arms, and either arm says 1 (a completion waits) or the loop
 * sleeps until one is posted, so the next turn reaps at least one. Each
 * reaping turn follows three empty ones at most.
 */
#define LOOP_TURNS (8 * LOOP_IOS)

/*
 * Every I/O completes exactly once across arm/disarm switches: the loop
 * polls a few times, arms, sleeps on the eventfd when arm says 0, wakes,
 * disarms, and goes on, with completions in a shuffled order. With @keep
 * the vector stays unmasked between switches for that many completions
 * (usk_nvme_io_qpair_opts.interrupt_keep_completions).
 */
static void exactly_once_across_switches(uint32_t keep)
{
	struct nvme_model_fixture f;
	struct nvme_model_opts mo;
	struct usk_nvme_ctrlr_opts co;
	static struct switch_loop l;
	struct usk_nvme_qpair *q;
	int fd, done = 0, sleeps = 0, lost_wakeups = 0;

	nvme_model_opts_init(&mo);
	mo.msix_vectors = 9;
	mo.reorder_window = 4;
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.interrupts = true;
	co.io_timeout_ms = 0;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, &co, 16), 0);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair_keeping(f.c, keep, &q), 0);
	fd = usk_nvme_qpair_get_interrupt_fd(q);
	l = (struct switch_loop){.ns = f.ns, .q = q, .buf = f.buf};
	for (int i = 0; i < LOOP_DEPTH; i++) {
		switch_loop_start(&l);
	}
	for (int turn = 0; done < LOOP_IOS && turn < LOOP_TURNS && lost_wakeups == 0; turn++) {
		int n = usk_nvme_qpair_process_completions(q, 0);

		done += n > 0 ? n : 0;
		if (n == 0 && turn % 3 == 0 && usk_nvme_qpair_arm_interrupt(q) == 0) {
			sleeps++;
			/* Outstanding reads and a reorder window that holds: a wake-up must come. */
			lost_wakeups += usk_nvme_qpair_get_outstanding(q) > 0 &&
					!readable_within(fd, WAIT_MS);
		}
		usk_nvme_qpair_disarm_interrupt(q);
	}
	CU_ASSERT_EQUAL(done, LOOP_IOS);
	CU_ASSERT_EQUAL(l.errors, 0);
	CU_ASSERT_EQUAL(lost_wakeups, 0);
	for (int i = 0; i < LOOP_IOS; i++) {
		CU_ASSERT_EQUAL(l.calls[i], 1);
	}
	CU_ASSERT(sleeps > 0);
	/* Unmasked after the last disarm only while kept; masked for good once freed. */
	CU_ASSERT(keep != 0 || !nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* The vector masked at each disarm, then left unmasked between sleeps (the default). */
static void test_exactly_once_across_switches(void)
{
	exactly_once_across_switches(0);
	exactly_once_across_switches(USK_NVME_IRQ_KEEP_COMPLETIONS);
}

/* Reads block @lba through @q and polls until it completes; returns whether it did. */
static bool read_polled(struct nvme_model_fixture *f, struct usk_nvme_qpair *q, uint64_t lba)
{
	struct nvme_model_result r = {0};

	return usk_nvme_ns_read(f->ns, q, f->buf, lba, 1, nvme_model_result_done, &r) == 0 &&
	       nvme_model_poll_until(q, &r.calls, 1, 30) == 1 && r.status == 0;
}

/*
 * The default: a disarm leaves the vector unmasked, so the next arm makes
 * no VFIO call (the model counts none) and empties what the eventfd
 * counted while the queue pair was polled; the vector is masked once the
 * queue pair reaps USK_NVME_IRQ_KEEP_COMPLETIONS without arming again.
 */
static void test_vector_kept_unmasked_between_sleeps(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q;
	int fd, reads_ok = 0;

	fixture_up(&f, 9);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair_keeping(f.c, USK_NVME_IRQ_KEEP_COMPLETIONS, &q), 0);
	fd = usk_nvme_qpair_get_interrupt_fd(q);
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	CU_ASSERT(nvme_model_vector_assigned(f.model, 2));
	/* Polled while unmasked: the completion is reaped, and the eventfd counts it. */
	CU_ASSERT(read_polled(&f, q, 0));
	CU_ASSERT(readable_within(fd, WAIT_MS));
	/* Armed again: no unmask, the stale count emptied; a new completion signals. */
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 0);
	CU_ASSERT_EQUAL(nvme_model_vector_assigns(f.model, 2), 1);
	CU_ASSERT_FALSE(readable_now(fd));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 1, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT(readable_within(fd, WAIT_MS));
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(q, &r.calls, 1, 30), 1);
	/* That was 1 of the completions kept; all but the last leave it unmasked. */
	for (uint32_t i = 2; i < USK_NVME_IRQ_KEEP_COMPLETIONS; i++) {
		reads_ok += read_polled(&f, q, i % 256);
	}
	CU_ASSERT_EQUAL(reads_ok, USK_NVME_IRQ_KEEP_COMPLETIONS - 2);
	CU_ASSERT(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT(read_polled(&f, q, 0));
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_FALSE(readable_now(fd)); /* emptied as it was masked */
	/* Masked: the next arm unmasks it. */
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 0);
	CU_ASSERT_EQUAL(nvme_model_vector_assigns(f.model, 2), 2);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * With the vector left unmasked, a completion posted after the last poll
 * and before the arm signalled the eventfd; the arm empties it, so it must
 * see the completion in the queue: it says 1. Many times.
 */
static void test_completion_before_arming_kept_vector(void)
{
	struct nvme_model_fixture f;
	struct usk_nvme_qpair *q;
	int pending = 0, completed = 0;

	fixture_up(&f, 9);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair_keeping(f.c, USK_NVME_IRQ_KEEP_COMPLETIONS, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	for (int i = 0; i < 100; i++) {
		struct nvme_model_result r = {0};
		uint64_t posted = nvme_model_io_cqes_posted(f.model);

		CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r),
				0);
		CU_ASSERT(nvme_model_wait_io_cqes_posted(f.model, posted + 1));
		pending += usk_nvme_qpair_arm_interrupt(q) == 1;
		CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
		completed += usk_nvme_qpair_process_completions(q, 0);
	}
	CU_ASSERT_EQUAL(pending, 100);
	CU_ASSERT_EQUAL(completed, 100);
	CU_ASSERT_EQUAL(nvme_model_vector_assigns(f.model, 2), 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* A controller without MSI-X is attached, polled: no fd, arm says -ENOTSUP, I/O works. */
static void test_no_msix_keeps_polling(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q;

	fixture_up(&f, 0);
	CU_ASSERT_EQUAL(usk_pci_device_msix_count(nvme_model_pci_device(f.model)), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_admin_interrupt_fd(f.c), -ENOTSUP);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair(f.c, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_interrupt_fd(q), -ENOTSUP);
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), -ENOTSUP);
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), -ENOTSUP);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 2), -1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(q, &r.calls, 1, 30), 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(nvme_model_msix_signals(f.model), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* Interrupts asked for on a queue pair of a controller attached without them: polled. */
static void test_controller_without_interrupts(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_opts mo;
	struct usk_nvme_qpair *q;

	nvme_model_opts_init(&mo);
	mo.msix_vectors = 9;
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 16), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_admin_interrupt_fd(f.c), -ENOTSUP);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair(f.c, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_interrupt_fd(q), -ENOTSUP);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 2), -1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * More queue pairs than vectors: 3 vectors (admin + 2) for qids 2..5, which
 * share 2 and 1 round-robin. The vector stays unmasked while any queue pair
 * on it is armed, and a completion on one wakes the other's sleep.
 */
static void test_shared_vectors(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q[4];
	int fd;

	fixture_up(&f, 3);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair(f.c, &q[i]), 0);
	}
	/* qid 2 -> vector 2, 3 -> 1, 4 -> 2, 5 -> 1. */
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 2), 2);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 3), 1);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 4), 2);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 5), 1);
	fd = usk_nvme_qpair_get_interrupt_fd(q[0]);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_interrupt_fd(q[2]), fd);
	CU_ASSERT_NOT_EQUAL(usk_nvme_qpair_get_interrupt_fd(q[1]), fd);

	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q[0]), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q[2]), 0);
	CU_ASSERT_EQUAL(nvme_model_vector_assigns(f.model, 2), 1); /* one unmask for both */
	/* A completion on q[2] wakes whoever sleeps on the shared fd. */
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q[2], f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT(readable_within(fd, WAIT_MS));
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q[0]), 0);
	CU_ASSERT(nvme_model_vector_assigned(f.model, 2)); /* q[2] still armed */
	CU_ASSERT(readable_now(fd)); /* not drained under q[2]'s sleep */
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q[2]), 1); /* already armed: looks again */
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q[2]), 0);
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 2));
	CU_ASSERT_FALSE(readable_now(fd));
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q[2], 0), 1);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_FALSE(nvme_model_vector_assigned(f.model, 1));
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q[i]), 0);
	}
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/*
 * A reset re-creates the CQ with its vector: arm after the queue pair is
 * back and a completion still wakes. An armed queue pair whose queues a
 * reset took says 1 (poll: only polls rebuild it).
 */
static void test_reset_keeps_vector(void)
{
	struct nvme_model_fixture f;
	struct nvme_model_result r = {0};
	struct usk_nvme_qpair *q;
	int fd;

	fixture_up(&f, 9);
	CU_ASSERT_EQUAL_FATAL(alloc_irq_qpair(f.c, &q), 0);
	fd = usk_nvme_qpair_get_interrupt_fd(q);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_reset(f.c), 0);
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 1); /* out of sync: poll */
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(q, &r.calls, 1, 30), 1);
	CU_ASSERT_EQUAL(nvme_model_cq_vector(f.model, 2), 2);
	CU_ASSERT_EQUAL(nvme_model_enable_count(f.model), 2);
	CU_ASSERT_EQUAL(usk_nvme_qpair_arm_interrupt(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, q, f.buf, 0, 1, nvme_model_result_done, &r), 0);
	CU_ASSERT(readable_within(fd, WAIT_MS));
	CU_ASSERT_EQUAL(usk_nvme_qpair_disarm_interrupt(q), 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(q, &r.calls, 2, 30), 2);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

/* Admin completions signal vector 0, routed from attach on. */
static void test_admin_vector(void)
{
	struct nvme_model_fixture f;
	uint32_t value;
	uint64_t count;
	int fd;

	fixture_up(&f, 9);
	fd = usk_nvme_ctrlr_get_admin_interrupt_fd(f.c);
	CU_ASSERT_FATAL(fd >= 0);
	while (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count)) {
	}
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(f.c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	CU_ASSERT(readable_within(fd, WAIT_MS));
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_armed_qpair_wakes),
		UT_TEST(test_completion_while_arming),
		UT_TEST(test_exactly_once_across_switches),
		UT_TEST(test_vector_kept_unmasked_between_sleeps),
		UT_TEST(test_completion_before_arming_kept_vector),
		UT_TEST(test_no_msix_keeps_polling),
		UT_TEST(test_controller_without_interrupts),
		UT_TEST(test_shared_vectors),
		UT_TEST(test_reset_keeps_vector),
		UT_TEST(test_admin_vector),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_interrupt", tests);
	usk_env_fini();
	return rc;
}
