/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reactors: one pthread pinned per core, polling the threads placed on
 * it. An idle reactor may sleep on an eventfd when the app allows it; a
 * sender then wakes it, and only then makes a system call.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "usk_internal/counter.h"
#include "event_internal.h"

#define REACTOR_INCOMING_SIZE 1024
/* Idle turns between clock reads. */
#define REACTOR_IDLE_TURNS_PER_CLOCK 8

static volatile sig_atomic_t g_signal;
static bool g_signal_seen;

int reactors_create(const int *cores, uint32_t count)
{
	/* calloc() aligns to 16 bytes only: the reactors need their lines. */
	g_app.reactors = aligned_alloc(USK_CACHE_LINE_SIZE, count * sizeof(*g_app.reactors));
	if (g_app.reactors == NULL) {
		return -ENOMEM;
	}
	memset(g_app.reactors, 0, count * sizeof(*g_app.reactors));
	g_app.nreactors = count;
	for (uint32_t i = 0; i < count; i++) {
		g_app.reactors[i].efd = -1;
	}
	for (uint32_t i = 0; i < count; i++) {
		struct reactor *r = &g_app.reactors[i];

		r->index = i;
		r->core = cores[i];
		usk_idle_spell_init(&r->spell, usk_us_to_ticks(USK_IDLE_SPELL_MIN_US),
				    usk_us_to_ticks(g_app.opts.idle_threshold_us),
				    usk_us_to_ticks(USK_IDLE_SPELL_FIRST_US));
		r->idle_spell_ticks = usk_idle_spell_ticks(&r->spell);
		r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		r->incoming = usk_ring_create(REACTOR_INCOMING_SIZE, USK_RING_MP);
		if (r->efd < 0 || r->incoming == NULL) {
			USK_ERRLOG("reactor %d: cannot set up: %s", r->core, strerror(errno));
			return -ENOMEM;
		}
	}
	g_signal = 0;
	g_signal_seen = false;
	return 0;
}

void reactors_free(void)
{
	for (uint32_t i = 0; i < g_app.nreactors; i++) {
		struct reactor *r = &g_app.reactors[i];
		void *t;

		while (r->incoming != NULL && usk_ring_dequeue_burst(r->incoming, &t, 1) == 1) {
			usk_thread_destroy(t);
		}
		for (uint32_t j = 0; j < r->nthreads; j++) {
			usk_thread_destroy(r->threads[j].thread);
		}
		free(r->threads);
		usk_ring_free(r->incoming);
		if (r->efd >= 0) {
			close(r->efd);
		}
	}
	free(g_app.reactors);
	g_app.reactors = NULL;
	g_app.nreactors = 0;
}

static void reactor_wake(void *ctx)
{
	struct reactor *r = ctx;
	uint64_t one = 1;

	/* Pairs with the fence in reactor_sleep(): the message is visible, or we see it sleep. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->sleeping, memory_order_relaxed)) {
		(void)!write(r->efd, &one, sizeof(one));
	}
}

void reactors_wake_all(void)
{
	for (uint32_t i = 0; i < g_app.nreactors; i++) {
		reactor_wake(&g_app.reactors[i]);
	}
}

void reactor_signal(int signo)
{
	uint64_t one = 1;

	g_signal = signo;
	if (g_app.nreactors > 0) {
		(void)!write(g_app.reactors[0].efd, &one, sizeof(one));
	}
}

int reactor_schedule_thread(struct usk_thread *t, int core_hint)
{
	struct reactor *r = NULL;

	for (uint32_t i = 0; i < g_app.nreactors && core_hint != USK_THREAD_CORE_ANY; i++) {
		if (g_app.reactors[i].core == core_hint) {
			r = &g_app.reactors[i];
		}
	}
	if (r == NULL && core_hint != USK_THREAD_CORE_ANY) {
		USK_ERRLOG("thread '%s': core %d has no reactor (see -m)", usk_thread_get_name(t),
			   core_hint);
		return -EINVAL;
	}
	if (r == NULL) {
		uint32_t next = atomic_fetch_add(&g_app.next_reactor, 1);

		r = &g_app.reactors[next % g_app.nreactors];
	}
	usk_thread_set_ctx(t, r);
	if (g_app.opts.idle_sleep) {
		usk_thread_set_waker(t, reactor_wake, r);
	}
	if (usk_ring_enqueue_burst(r->incoming, (void *const *)&t, 1) != 1) {
		return -EBUSY;
	}
	reactor_wake(r);
	return 0;
}

static void reactor_take_incoming(struct reactor *r)
{
	void *t;

	while (usk_ring_dequeue_burst(r->incoming, &t, 1) == 1) {
		if (r->nthreads == r->threads_cap) {
			uint32_t cap = r->threads_cap ? r->threads_cap * 2 : 8;
			struct reactor_thread *threads =
				realloc(r->threads, cap * sizeof(*threads));

			if (threads == NULL) {
				/* Try again on the next iteration. */
				usk_ring_enqueue_burst(r->incoming, &t, 1);
				return;
			}
			r->threads = threads;
			r->threads_cap = cap;
		}
		r->threads[r->nthreads++] = (struct reactor_thread){.thread = t};
	}
}

/* Polls every thread once; an exited one is destroyed, unless the app is stopping. */
static int reactor_poll_threads(struct reactor *r, uint64_t now)
{
	bool keep_exited = atomic_load_explicit(&g_app.stopping, memory_order_relaxed);
	int busy = 0;

	for (uint32_t i = 0; i < r->nthreads;) {
		struct usk_thread *t = r->threads[i].thread;

		if (!usk_thread_is_exited(t)) {
			busy |= usk_thread_poll(t, 0, now);
			i++;
		} else if (keep_exited) {
			/* Others may still send to it while they stop: it must stay readable. */
			i++;
		} else {
			r->threads[i] = r->threads[--r->nthreads];
			usk_thread_destroy(t);
		}
	}
	return busy;
}

static bool reactor_done(const struct reactor *r)
{
	if (!atomic_load_explicit(&g_app.threads_exiting, memory_order_acquire) ||
	    usk_ring_count(r->incoming) != 0) {
		return false;
	}
	for (uint32_t i = 0; i < r->nthreads; i++) {
		if (!usk_thread_is_exited(r->threads[i].thread)) {
			return false;
		}
	}
	return true;
}

bool reactor_has_work(const struct reactor *r)
{
	/*
	 * The app's end is work: another pthread sets it, then wakes a reactor
	 * only if it sees it asleep, so a reactor going to sleep looks. A signal
	 * acted on is no more work: reactor 0 sleeps through a long shutdown.
	 */
	if (reactor_done(r) || usk_ring_count(r->incoming) != 0 ||
	    (r->index == 0 && g_signal != 0 && !g_signal_seen)) {
		return true;
	}
	for (uint32_t i = 0; i < r->nthreads; i++) {
		if (usk_thread_has_msgs(r->threads[i].thread)) {
			return true;
		}
	}
	return false;
}

static void reactor_check_signal(void)
{
	int signo = g_signal;

	if (signo != 0 && !g_signal_seen) {
		g_signal_seen = true;
		USK_NOTICELOG("%s: got signal %d (%s): shutting down", g_app.opts.name, signo,
			      strsignal(signo));
		usk_app_stop(0);
	}
}

static void reactor_loop(struct reactor *r)
{
	uint64_t now, prev = usk_ticks();
	uint32_t idle_turns = 0;
	int busy = 0;

	r->last_busy = now = prev;
	while (!reactor_done(r)) {
		/*
		 * The clock is read after every busy turn, and every few idle ones:
		 * an idle turn then costs a few loads, and a timed poller is late
		 * by a few idle turns at most.
		 */
		if (busy || ++idle_turns == REACTOR_IDLE_TURNS_PER_CLOCK) {
			idle_turns = 0;
			now = usk_ticks();
			if (now < prev) {
				/*
				 * The clock went back (a VM restored from a snapshot):
				 * no sleep until the threads' polls have moved their
				 * deadlines back with it (usk_thread_poll()).
				 */
				prev = r->last_busy = now;
			}
			usk_counter_add(busy ? &r->busy_ticks : &r->idle_ticks, now - prev);
			prev = now;
			if (busy) {
				r->last_busy = now;
			} else if (g_app.opts.idle_sleep &&
				   usk_idle_spell_over(&r->spell, now - r->last_busy, 0) &&
				   reactor_sleep(r, now)) {
				/*
				 * The threads are polled once before any next sleep: a poller
				 * waiting on the kernel finds out on waking. The next turn
				 * reads the clock afresh, so the sleep counts as idle.
				 */
				idle_turns = REACTOR_IDLE_TURNS_PER_CLOCK - 1;
			}
			if (r->index == 0) {
				reactor_check_signal();
			}
			reactor_take_incoming(r);
		}
		busy = reactor_poll_threads(r, now);
	}
}

static int reactor_pin(const struct reactor *r)
{
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(r->core, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0) {
		USK_WARNLOG("reactor %d: cannot pin to core %d: %s", r->index, r->core,
			    strerror(rc));
	}
	return rc;
}

static void *reactor_main(void *arg)
{
	struct reactor *r = arg;

	reactor_pin(r);
	reactor_loop(r);
	return NULL;
}

void reactors_run(void)
{
	cpu_set_t saved;
	bool restore = sched_getaffinity(0, sizeof(saved), &saved) == 0;
	uint32_t started = 1;

	for (uint32_t i = 1; i < g_app.nreactors; i++, started++) {
		int rc = pthread_create(&g_app.reactors[i].tid, NULL, reactor_main,
					&g_app.reactors[i]);

		if (rc != 0) {
			USK_ERRLOG("reactor on core %d: cannot start: %s", g_app.reactors[i].core,
				   strerror(rc));
			usk_app_stop(-rc);
			break;
		}
	}
	reactor_main(&g_app.reactors[0]);
	for (uint32_t i = 1; i < started; i++) {
		pthread_join(g_app.reactors[i].tid, NULL);
	}
	if (restore) {
		sched_setaffinity(0, sizeof(saved), &saved);
	}
}
