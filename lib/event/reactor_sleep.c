/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An idle reactor's sleep. It announces the sleep (so senders write its
 * eventfd), arms the interrupt sources of its threads' pollers, and sleeps
 * in ppoll() on its eventfd, its threads' wake fds and the armed sources'
 * fds, until the soonest timed poller without a source is due. A poller
 * without a source caps the sleep at REACTOR_MAX_SLEEP_US, since nothing
 * would tell the reactor that it has work. A source that finds work as it
 * is armed calls the sleep off. On waking, every source is disarmed before
 * any poller runs. What a sleep cost the reactor's thread, from arming to
 * the last disarm, sets how long it polls idle before the next one
 * (usk/idle_spell.h).
 */
#include "config.h"

#include <poll.h>
#include <unistd.h>

#include "usk/ticks.h"
#include "usk_internal/counter.h"
#include "event_internal.h"

/* A poller without an interrupt source is looked at this often while its reactor sleeps. */
#define REACTOR_MAX_SLEEP_US 10000
/* The reactor's eventfd and its threads' fds that a sleep watches. */
#define REACTOR_MAX_WAIT_FDS 256

struct reactor_wait {
	struct pollfd pfds[REACTOR_MAX_WAIT_FDS];
	nfds_t nfds;
	uint64_t deadline;
	bool capped;
};

/* Adds a thread's fds to @w; those that do not fit are not watched, so they cap the sleep. */
static void reactor_wait_add(struct reactor_wait *w, struct reactor_thread *rt,
			     const struct usk_thread_sleep *s)
{
	rt->nfds = 0;
	rt->nwake_fds = 0;
	w->deadline = USK_MIN(w->deadline, s->deadline);
	w->capped |= s->capped;
	if (s->nfds > REACTOR_MAX_WAIT_FDS - w->nfds) {
		w->capped = true;
		return;
	}
	for (uint32_t i = 0; i < s->nfds; i++) {
		w->pfds[w->nfds++] = (struct pollfd){.fd = s->fds[i], .events = POLLIN};
	}
	rt->nfds = s->nfds;
	rt->nwake_fds = s->nwake_fds;
}

/* Ends the sleep of threads [0, @n) without counting it: a source had work. */
static void reactor_abandon(struct reactor *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		usk_thread_end_sleep(r->threads[i].thread, USK_THREAD_WAKE_ABANDONED, 0);
	}
}

/* Arms every thread's sources; false (all disarmed again) when one has work pending. */
static bool reactor_arm(struct reactor *r, struct reactor_wait *w)
{
	struct usk_thread_sleep s;

	w->pfds[0] = (struct pollfd){.fd = r->efd, .events = POLLIN};
	w->nfds = 1;
	w->deadline = UINT64_MAX;
	w->capped = false;
	for (uint32_t i = 0; i < r->nthreads; i++) {
		if (usk_thread_arm_sleep(r->threads[i].thread, &s) != 0) {
			reactor_abandon(r, i);
			return false;
		}
		reactor_wait_add(w, &r->threads[i], &s);
	}
	return true;
}

/* Turns a deadline into ppoll()'s timeout; NULL for none. */
static struct timespec *reactor_timeout(uint64_t deadline, uint64_t now, struct timespec *ts)
{
	uint64_t ns;

	if (deadline == UINT64_MAX) {
		return NULL;
	}
	ns = usk_ticks_to_ns(deadline - now);
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return ts;
}

/* Why the whole reactor woke: ppoll()'s result and which fds were ready. */
static enum usk_thread_wake_cause reactor_wake_cause(int rc, const struct reactor_wait *w)
{
	if (rc == 0) {
		return USK_THREAD_WAKE_TIMER;
	}
	if (rc < 0) {
		return USK_THREAD_WAKE_OTHER;
	}
	for (nfds_t i = 1; i < w->nfds; i++) {
		if (w->pfds[i].revents != 0) {
			return USK_THREAD_WAKE_DEVICE;
		}
	}
	return USK_THREAD_WAKE_MESSAGE;
}

static void reactor_count_wake(struct reactor *r, enum usk_thread_wake_cause cause, uint64_t asleep)
{
	usk_counter_add(&r->asleep_ticks, asleep);
	if (cause == USK_THREAD_WAKE_TIMER) {
		usk_counter_add(&r->wakeups_timer, 1);
		return;
	}
	if (cause == USK_THREAD_WAKE_OTHER) {
		return;
	}
	usk_counter_add(&r->wakeups, 1);
	usk_counter_add(cause == USK_THREAD_WAKE_DEVICE ? &r->wakeups_device : &r->wakeups_message,
			1);
}

/*
 * Drains the wake fds that fired (the sources' disarm drains theirs), and
 * ends each thread's sleep with the cause as that thread sees it.
 */
static void reactor_end_sleep(struct reactor *r, const struct reactor_wait *w,
			      enum usk_thread_wake_cause cause, uint64_t asleep)
{
	const struct pollfd *pfd = &w->pfds[1];
	uint64_t count;

	for (uint32_t i = 0; i < r->nthreads; i++) {
		struct reactor_thread *rt = &r->threads[i];
		enum usk_thread_wake_cause mine = USK_THREAD_WAKE_OTHER;

		for (uint32_t j = 0; j < rt->nfds; j++, pfd++) {
			if (pfd->revents == 0) {
				continue;
			}
			mine = USK_THREAD_WAKE_DEVICE;
			if (j < rt->nwake_fds) {
				(void)!read(pfd->fd, &count, sizeof(count));
			}
		}
		if (mine != USK_THREAD_WAKE_DEVICE && usk_thread_has_msgs(rt->thread)) {
			mine = USK_THREAD_WAKE_MESSAGE;
		} else if (mine != USK_THREAD_WAKE_DEVICE && cause == USK_THREAD_WAKE_TIMER) {
			mine = USK_THREAD_WAKE_TIMER;
		}
		usk_thread_end_sleep(rt->thread, mine, asleep);
	}
}

bool reactor_sleep(struct reactor *r, uint64_t now)
{
	struct reactor_wait w;
	struct timespec ts;
	enum usk_thread_wake_cause cause;
	uint64_t count, start, asleep, cpu_start;
	int rc;

	atomic_store(&r->sleeping, true);
	/* Pairs with the fence in reactor_wake(): the message is visible, or it sees us sleep. */
	atomic_thread_fence(memory_order_seq_cst);
	if (reactor_has_work(r)) {
		atomic_store(&r->sleeping, false);
		return false;
	}
	cpu_start = usk_cpu_time_ns();
	if (!reactor_arm(r, &w)) {
		usk_counter_add(&r->sleep_aborts, 1);
		atomic_store(&r->sleeping, false);
		return false;
	}
	if (w.capped) {
		w.deadline = USK_MIN(w.deadline, now + usk_us_to_ticks(REACTOR_MAX_SLEEP_US));
	}
	start = usk_ticks();
	if (w.deadline <= start || start < now) {
		/* A timed poller is due, or the clock went back: poll first, sleep later. */
		reactor_abandon(r, r->nthreads);
		atomic_store(&r->sleeping, false);
		return false;
	}
	usk_counter_add(&r->sleeps, 1);
	rc = ppoll(w.pfds, w.nfds, reactor_timeout(w.deadline, start, &ts), NULL);
	asleep = usk_ticks_since(usk_ticks(), start);
	atomic_store(&r->sleeping, false);
	if (rc > 0 && w.pfds[0].revents != 0) {
		/* Drained so the next sleep does not wake at once. */
		(void)!read(r->efd, &count, sizeof(count));
	}
	cause = reactor_wake_cause(rc, &w);
	reactor_count_wake(r, cause, asleep);
	reactor_end_sleep(r, &w, cause, asleep);
	usk_idle_spell_add_sleep(&r->spell, usk_ns_to_ticks(usk_cpu_time_ns() - cpu_start));
	atomic_store_explicit(&r->idle_spell_ticks, usk_idle_spell_ticks(&r->spell),
			      memory_order_relaxed);
	return true;
}
