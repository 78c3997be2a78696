/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt sources and the sleeps they allow. A poller with a source can
 * be told, before its thread sleeps, to make its fd signal new work (arm),
 * and to stop after (disarm); its thread may then sleep until the fd says
 * so. A poller without one can only be looked at again after a short
 * while, so it caps its thread's sleeps.
 *
 * The race every interrupt scheme has: work that lands between the
 * poller's last look and the arm. The source's arm closes it by looking
 * once more after arming (the kernel's NAPI does the same), and says so
 * with 1: the sleep is then abandoned and every source disarmed again.
 */
#include "config.h"

#include <errno.h>

#include "usk/util.h"
#include "usk_internal/counter.h"
#include "thread_internal.h"

int usk_poller_set_interrupt(struct usk_poller *p, int fd, int (*arm)(void *ctx),
			     int (*disarm)(void *ctx), void *ctx)
{
	/* The poller's sleeps read its source unlocked: only its own thread may change it. */
	if (p == NULL || p->thread != usk_thread_get_current() ||
	    (fd >= 0 && (arm == NULL || disarm == NULL))) {
		return -EINVAL;
	}
	p->irq_fd = fd < 0 ? -1 : fd;
	p->irq_arm = arm;
	p->irq_disarm = disarm;
	p->irq_ctx = ctx;
	return 0;
}

/* Whether a poller takes part in sleeps: live and not paused. */
static bool poller_may_run(const struct usk_poller *p)
{
	return p->state == POLLER_WAITING || p->state == POLLER_RUNNING;
}

/*
 * Arms @p's source and adds its fd to @s; returns the arm's 1 (work
 * pending) or 0, or -1 when the source cannot arm or its fd does not fit:
 * the poller counts as one without a source then.
 */
static int poller_arm(struct usk_poller *p, struct usk_thread_sleep *s)
{
	int rc;

	if (s->nfds == USK_THREAD_MAX_SLEEP_FDS) {
		return -1;
	}
	rc = p->irq_arm(p->irq_ctx);
	if (rc < 0) {
		return -1;
	}
	p->irq_armed = true;
	s->fds[s->nfds++] = p->irq_fd;
	return rc > 0;
}

/* Arms a list's sources; stops at the first that has work pending (1). */
static int poller_list_arm(struct poller_list *list, bool timed, struct usk_thread_sleep *s)
{
	struct usk_poller *p;

	TAILQ_FOREACH(p, list, link) {
		int rc = -1;

		if (!poller_may_run(p)) {
			continue;
		}
		if (p->irq_fd >= 0) {
			rc = poller_arm(p, s);
		}
		if (rc > 0) {
			return 1;
		}
		if (rc < 0 && timed) {
			s->deadline = USK_MIN(s->deadline, p->next_tick);
		} else if (rc < 0) {
			s->capped = true;
		}
	}
	return 0;
}

static void poller_list_disarm(struct poller_list *list)
{
	struct usk_poller *p;

	TAILQ_FOREACH(p, list, link) {
		if (p->irq_armed) {
			p->irq_armed = false;
			p->irq_disarm(p->irq_ctx);
		}
	}
}

static void thread_disarm(struct usk_thread *t)
{
	poller_list_disarm(&t->active_pollers);
	poller_list_disarm(&t->timed_pollers);
}

int usk_thread_arm_sleep(struct usk_thread *t, struct usk_thread_sleep *s)
{
	struct usk_thread *prev = thread_set_current(t);
	int pending;

	s->nwake_fds = usk_thread_get_wake_fds(t, s->fds, USK_THREAD_MAX_SLEEP_FDS);
	s->nfds = s->nwake_fds;
	s->deadline = UINT64_MAX;
	/* An exiting thread has a deadline of its own to keep (see usk_thread_exit()). */
	s->capped = atomic_load_explicit(&t->state, memory_order_relaxed) != THREAD_RUNNING;
	pending = poller_list_arm(&t->active_pollers, false, s) ||
		  poller_list_arm(&t->timed_pollers, true, s);
	if (pending) {
		thread_disarm(t);
	}
	thread_set_current(prev);
	return pending;
}

void usk_thread_end_sleep(struct usk_thread *t, enum usk_thread_wake_cause cause,
			  uint64_t asleep_ticks)
{
	struct usk_thread *prev = thread_set_current(t);

	thread_disarm(t);
	thread_set_current(prev);
	if (cause == USK_THREAD_WAKE_ABANDONED) {
		return;
	}
	usk_counter_add(&t->sleeps, 1);
	usk_counter_add(&t->asleep_ticks, asleep_ticks);
	if (cause == USK_THREAD_WAKE_MESSAGE) {
		usk_counter_add(&t->wakeups_message, 1);
	} else if (cause == USK_THREAD_WAKE_TIMER) {
		usk_counter_add(&t->wakeups_timer, 1);
	} else if (cause == USK_THREAD_WAKE_DEVICE) {
		usk_counter_add(&t->wakeups_device, 1);
	}
}
