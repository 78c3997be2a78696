/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake device behind a poller with an interrupt source, for the tests of
 * sleeping threads and reactors. Its completions are a count; one posted
 * while the source is armed also signals an eventfd, as a completion queue
 * with its MSI-X vector routed to an eventfd would. The device posts, then
 * looks whether it is armed; arm marks it armed, then looks for completions:
 * with both orders sequentially consistent, one of the two sees the other,
 * which is the protocol the real sources follow.
 */
#ifndef USK_TEST_UT_IRQ_SOURCE_H
#define USK_TEST_UT_IRQ_SOURCE_H

#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "usk/thread.h"
#include "ut.h"

struct ut_irq_source {
	int efd;
	_Atomic uint32_t pending; /* posted, not yet reaped */
	_Atomic bool armed;
	_Atomic uint32_t arms;
	_Atomic uint32_t arms_pending; /* arms that found a completion (returned 1) */
	_Atomic uint32_t disarms;
	_Atomic uint64_t reaped;
	/* Arm fails with this errno when non-zero: a source that cannot sleep. */
	int arm_error;
	/*
	 * Called inside arm, once the source is armed and before it looks for
	 * completions: where a test makes a completion land mid-arm.
	 */
	void (*arm_hook)(struct ut_irq_source *src);
	struct usk_poller *poller;
};

/* The device's side: a completion, signalled when the source is armed. */
static inline void ut_irq_source_post(struct ut_irq_source *src)
{
	uint64_t one = 1;

	atomic_fetch_add(&src->pending, 1);
	if (atomic_load(&src->armed)) {
		CU_ASSERT_EQUAL(write(src->efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	}
}

static inline int ut_irq_source_arm(void *ctx)
{
	struct ut_irq_source *src = ctx;

	if (src->arm_error != 0) {
		return -src->arm_error;
	}
	/* Armed twice with no disarm between: a wake-up that forgot it. */
	CU_ASSERT_FALSE(atomic_load(&src->armed));
	atomic_store(&src->armed, true);
	atomic_fetch_add(&src->arms, 1);
	if (src->arm_hook != NULL) {
		src->arm_hook(src);
	}
	if (atomic_load(&src->pending) > 0) {
		atomic_fetch_add(&src->arms_pending, 1);
		return 1;
	}
	return 0;
}

static inline int ut_irq_source_disarm(void *ctx)
{
	struct ut_irq_source *src = ctx;
	uint64_t count;

	CU_ASSERT_TRUE(atomic_load(&src->armed));
	atomic_store(&src->armed, false);
	atomic_fetch_add(&src->disarms, 1);
	(void)!read(src->efd, &count, sizeof(count));
	return 0;
}

/* The poller: reaps every completion posted so far. */
static inline int ut_irq_source_poll(void *ctx)
{
	struct ut_irq_source *src = ctx;
	uint32_t n = atomic_exchange(&src->pending, 0);

	atomic_fetch_add(&src->reaped, n);
	return n > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

/* Zeroes @src and opens its eventfd. */
static inline void ut_irq_source_init(struct ut_irq_source *src)
{
	memset(src, 0, sizeof(*src));
	src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CU_ASSERT_FATAL(src->efd >= 0);
}

/* On a thread: registers @src's poller, with @src as its interrupt source. */
static inline void ut_irq_source_register(struct ut_irq_source *src, const char *name)
{
	src->poller = usk_poller_register(ut_irq_source_poll, src, 0, name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(src->poller);
	CU_ASSERT_EQUAL(usk_poller_set_interrupt(src->poller, src->efd, ut_irq_source_arm,
						 ut_irq_source_disarm, src),
			0);
}

/* Whether the eventfd would wake a sleep now. */
static inline bool ut_irq_source_signalled(const struct ut_irq_source *src)
{
	struct pollfd p = {.fd = src->efd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

#endif /* USK_TEST_UT_IRQ_SOURCE_H */
