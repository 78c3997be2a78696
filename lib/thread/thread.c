/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Threads and their messages. A message is a function and its context,
 * written straight into a cell of the receiver's ring (msg_ring.c): no
 * lock, no allocation, one cache line shared between sender and receiver.
 * A message a thread sends to itself (the commonest: a completion deferred
 * out of its submitter's stack) goes to a queue of its own instead, which
 * needs no atomic read-modify-write.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "usk_internal/counter.h"
#include "thread_internal.h"

/* Room for bursts from many senders; 1 MiB of ring per thread. */
#define THREAD_RING_SIZE      16384
#define THREAD_DEFAULT_BATCH  32
#define THREAD_EXIT_TIMEOUT_S 5

/* A usk_thread_for_each() walk. */
struct thread_walk {
	usk_msg_fn fn;
	usk_msg_fn cpl;
	void *ctx;
	struct usk_thread *orig;
	uint64_t last_id;
};

pthread_mutex_t g_threads_lock = PTHREAD_MUTEX_INITIALIZER;
struct thread_list g_threads = TAILQ_HEAD_INITIALIZER(g_threads);

static bool g_initialised;
static usk_thread_schedule_fn g_schedule;
static uint64_t g_next_thread_id = 1;
static __thread struct usk_thread *tls_thread;

int usk_thread_lib_init(usk_thread_schedule_fn schedule)
{
	if (g_initialised) {
		return -EALREADY;
	}
	g_initialised = true;
	g_schedule = schedule;
	return 0;
}

void usk_thread_lib_fini(void)
{
	pthread_mutex_lock(&g_threads_lock);
	if (!TAILQ_EMPTY(&g_threads)) {
		USK_ERRLOG("thread library torn down with thread '%s' still alive",
			   TAILQ_FIRST(&g_threads)->name);
	}
	pthread_mutex_unlock(&g_threads_lock);
	g_initialised = false;
	g_schedule = NULL;
}

static void thread_free(struct usk_thread *t)
{
	msg_local_fini(&t->own_msgs);
	msg_ring_fini(&t->msgs);
	free(t);
}

struct usk_thread *usk_thread_create(const char *name, int core_hint)
{
	struct usk_thread *t;

	if (!g_initialised) {
		USK_ERRLOG("usk_thread_create('%s'): call usk_thread_lib_init() first",
			   name ? name : "");
		return NULL;
	}
	/* The ring's counters sit on cache lines of their own. */
	t = aligned_alloc(64, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	if (msg_ring_init(&t->msgs, THREAD_RING_SIZE) != 0) {
		free(t);
		return NULL;
	}
	/* As big as the ring: a self message is refused no sooner than before. */
	if (msg_local_init(&t->own_msgs, THREAD_RING_SIZE) != 0) {
		msg_ring_fini(&t->msgs);
		free(t);
		return NULL;
	}
	thread_name_copy(t->name, name);
	t->core_hint = core_hint;
	TAILQ_INIT(&t->active_pollers);
	TAILQ_INIT(&t->timed_pollers);
	TAILQ_INIT(&t->paused_timed_pollers);
	TAILQ_INIT(&t->channels);

	pthread_mutex_lock(&g_threads_lock);
	t->id = g_next_thread_id++;
	TAILQ_INSERT_TAIL(&g_threads, t, link);
	pthread_mutex_unlock(&g_threads_lock);

	if (g_schedule != NULL && core_hint != USK_THREAD_CORE_NONE) {
		int rc = g_schedule(t, core_hint);

		if (rc != 0) {
			USK_ERRLOG("thread '%s': could not be scheduled: %s", t->name,
				   strerror(-rc));
			pthread_mutex_lock(&g_threads_lock);
			TAILQ_REMOVE(&g_threads, t, link);
			pthread_mutex_unlock(&g_threads_lock);
			thread_free(t);
			return NULL;
		}
	}
	return t;
}

int usk_thread_exit(struct usk_thread *t)
{
	if (t == NULL || t != tls_thread) {
		return -EINVAL;
	}
	if (atomic_load(&t->state) == THREAD_RUNNING) {
		/* On the poll's clock, which thread_check_exit() compares it with. */
		t->exit_deadline = t->last_poll + THREAD_EXIT_TIMEOUT_S * usk_ticks_hz();
		atomic_store(&t->state, THREAD_EXITING);
	}
	return 0;
}

bool usk_thread_is_exited(const struct usk_thread *t)
{
	return atomic_load(&t->state) == THREAD_EXITED;
}

void usk_thread_destroy(struct usk_thread *t)
{
	struct usk_thread *prev = tls_thread;

	if (t == NULL) {
		return;
	}
	if (!usk_thread_is_exited(t)) {
		USK_ERRLOG("thread '%s': destroyed before it exited", t->name);
	}
	pthread_mutex_lock(&g_threads_lock);
	TAILQ_REMOVE(&g_threads, t, link);
	pthread_mutex_unlock(&g_threads_lock);

	/* Destroy callbacks expect to run on the channel's thread. */
	tls_thread = t;
	thread_release_channels(t);
	tls_thread = prev;
	thread_free_pollers(t);
	thread_free(t);
}

int usk_thread_send_msg(struct usk_thread *t, usk_msg_fn fn, void *ctx)
{
	void (*waker)(void *ctx);
	void *waker_ctx;
	int rc;

	if (t == NULL || fn == NULL) {
		return -EINVAL;
	}
	/* The thread is running, so there is no one to wake; closed once it exited. */
	if (t == tls_thread) {
		return msg_local_push(&t->own_msgs, fn, ctx);
	}
	/* Read first: once the message is in, the thread may run it, exit and be freed. */
	waker = t->waker;
	waker_ctx = t->waker_ctx;
	/* An exited thread's ring is closed: a message is refused, never dropped. */
	rc = msg_ring_push(&t->msgs, fn, ctx);
	if (rc != 0) {
		return rc;
	}
	if (waker != NULL) {
		waker(waker_ctx);
	}
	return 0;
}

static uint32_t thread_run_own_msgs(struct usk_thread *t, uint32_t max_msgs)
{
	usk_msg_fn fn;
	void *ctx;
	uint32_t n;

	for (n = 0; n < max_msgs && msg_local_pop(&t->own_msgs, &fn, &ctx); n++) {
		fn(ctx);
	}
	return n;
}

static uint32_t thread_run_ring_msgs(struct usk_thread *t, uint32_t max_msgs)
{
	usk_msg_fn fn;
	void *ctx;
	uint32_t n;

	for (n = 0; n < max_msgs && msg_ring_pop(&t->msgs, &fn, &ctx); n++) {
		fn(ctx);
	}
	return n;
}

/*
 * Its own messages first, so one it sent before it sent to another thread
 * runs before that thread's answer; then the ring. Each queue gets the
 * whole batch: a thread that keeps sending to itself (a deep queue of
 * deferred completions) cannot starve the senders on other pthreads, nor
 * they it.
 */
static uint32_t thread_run_msgs(struct usk_thread *t, uint32_t max_msgs)
{
	uint32_t n = thread_run_own_msgs(t, max_msgs) + thread_run_ring_msgs(t, max_msgs);

	if (n > 0) {
		usk_counter_add(&t->msgs_run, n);
	}
	return n;
}

/* An exiting thread is done once nothing of it is left to run or release. */
static void thread_check_exit(struct usk_thread *t, uint64_t now)
{
	/*
	 * The ring is closed last, and only when all else is idle: closing is for
	 * good. Only this thread fills its own queue, so empty stays empty here.
	 */
	bool idle = atomic_load(&t->n_active) == 0 && atomic_load(&t->n_timed) == 0 &&
		    !thread_has_channels(t) && t->pending_unregisters == 0 &&
		    t->pending_walks == 0 && msg_local_empty(&t->own_msgs) &&
		    msg_ring_close_if_empty(&t->msgs);

	if (idle) {
		msg_local_close(&t->own_msgs);
		atomic_store(&t->state, THREAD_EXITED);
		return;
	}
	if (now >= t->exit_deadline) {
		USK_ERRLOG("thread '%s': still holds pollers or channels, or waits for %u I/O "
			   "device(s) to unregister or %u walk(s) to complete, %d s after it was "
			   "asked to exit; exiting anyway",
			   t->name, t->pending_unregisters, t->pending_walks,
			   THREAD_EXIT_TIMEOUT_S);
		thread_log_pollers(t);
		/* Refuse senders from now on, but run what was accepted: it was promised. */
		msg_ring_close(&t->msgs);
		msg_local_close(&t->own_msgs);
		while (usk_thread_has_msgs(t)) {
			thread_run_msgs(t, UINT32_MAX);
		}
		io_device_orphan_unregisters(t);
		atomic_store(&t->state, THREAD_EXITED);
	}
}

/*
 * The tick clock went back by at least @back since the last poll: a VM
 * restored from a snapshot rewinds its TSC, by minutes. The thread's
 * deadlines move back with it; left in place, every timed poller (an RPC
 * server's among them) would stop, and the thread sleep, for as long as
 * the step.
 */
static void thread_clock_went_back(struct usk_thread *t, uint64_t back)
{
	thread_shift_timed_pollers_back(t, back);
	t->exit_deadline -= USK_MIN(t->exit_deadline, back);
	if (back >= usk_ticks_hz()) {
		USK_NOTICELOG("thread '%s': the tick clock went back %.1f s (a VM restored from "
			      "a snapshot?); its timed pollers keep their periods",
			      t->name, (double)back / (double)usk_ticks_hz());
	}
}

int usk_thread_poll(struct usk_thread *t, uint32_t max_msgs, uint64_t now)
{
	struct usk_thread *prev = tls_thread;
	int busy;

	if (now == 0) {
		now = usk_ticks();
	}
	/* The time since the last poll goes by what that poll did: no clock read at the end. */
	if (t->last_poll != 0 && now > t->last_poll) {
		usk_counter_add(t->last_busy ? &t->busy_ticks : &t->idle_ticks, now - t->last_poll);
	} else if (now < t->last_poll) {
		thread_clock_went_back(t, t->last_poll - now);
	}
	t->last_poll = now;
	tls_thread = t;
	busy = thread_run_msgs(t, max_msgs ? max_msgs : THREAD_DEFAULT_BATCH) > 0;
	busy |= thread_run_pollers(t, now);
	if (atomic_load_explicit(&t->state, memory_order_relaxed) == THREAD_EXITING) {
		thread_check_exit(t, now);
	}
	tls_thread = prev;
	t->last_busy = busy;
	return busy;
}

int usk_thread_add_wake_fd(int fd)
{
	struct usk_thread *t = usk_thread_get_current();

	if (t == NULL || fd < 0) {
		return -EINVAL;
	}
	if (t->n_wake_fds == USK_THREAD_MAX_WAKE_FDS) {
		return -ENOSPC;
	}
	t->wake_fds[t->n_wake_fds++] = fd;
	return 0;
}

int usk_thread_remove_wake_fd(int fd)
{
	struct usk_thread *t = usk_thread_get_current();

	for (uint32_t i = 0; t != NULL && i < t->n_wake_fds; i++) {
		if (t->wake_fds[i] == fd) {
			t->wake_fds[i] = t->wake_fds[--t->n_wake_fds];
			return 0;
		}
	}
	return -ENOENT;
}

uint32_t usk_thread_get_wake_fds(const struct usk_thread *t, int *fds, uint32_t max)
{
	uint32_t n = USK_MIN(t->n_wake_fds, max);

	memcpy(fds, t->wake_fds, n * sizeof(fds[0]));
	return n;
}

bool usk_thread_has_msgs(const struct usk_thread *t)
{
	return !msg_local_empty(&t->own_msgs) || !msg_ring_empty(&t->msgs);
}

uint64_t usk_thread_get_poll_tick(void)
{
	return tls_thread != NULL ? tls_thread->last_poll : usk_ticks();
}

struct usk_thread *usk_thread_get_current(void)
{
	return tls_thread;
}

struct usk_thread *thread_set_current(struct usk_thread *t)
{
	struct usk_thread *prev = tls_thread;

	tls_thread = t;
	return prev;
}

const char *usk_thread_get_name(const struct usk_thread *t)
{
	return t->name;
}

uint64_t usk_thread_get_id(const struct usk_thread *t)
{
	return t->id;
}

int usk_thread_get_core_hint(const struct usk_thread *t)
{
	return t->core_hint;
}

void usk_thread_set_ctx(struct usk_thread *t, void *ctx)
{
	t->ctx = ctx;
}

void *usk_thread_get_ctx(const struct usk_thread *t)
{
	return t->ctx;
}

void usk_thread_set_waker(struct usk_thread *t, void (*fn)(void *ctx), void *ctx)
{
	t->waker_ctx = ctx;
	t->waker = fn;
}

bool usk_thread_sleeps_when_idle(const struct usk_thread *t)
{
	return t->waker != NULL;
}

void usk_thread_get_stats(const struct usk_thread *t, struct usk_thread_stats *s)
{
	s->busy_ticks = atomic_load_explicit(&t->busy_ticks, memory_order_relaxed);
	s->idle_ticks = atomic_load_explicit(&t->idle_ticks, memory_order_relaxed);
	s->msgs = atomic_load_explicit(&t->msgs_run, memory_order_relaxed);
	s->active_pollers = atomic_load_explicit(&t->n_active, memory_order_relaxed);
	s->timed_pollers = atomic_load_explicit(&t->n_timed, memory_order_relaxed);
	s->paused_pollers = atomic_load_explicit(&t->n_paused, memory_order_relaxed);
	s->sleeps = atomic_load_explicit(&t->sleeps, memory_order_relaxed);
	s->wakeups_message = atomic_load_explicit(&t->wakeups_message, memory_order_relaxed);
	s->wakeups_timer = atomic_load_explicit(&t->wakeups_timer, memory_order_relaxed);
	s->wakeups_device = atomic_load_explicit(&t->wakeups_device, memory_order_relaxed);
	s->asleep_ticks = atomic_load_explicit(&t->asleep_ticks, memory_order_relaxed);
}

static void thread_walk_visit(void *arg);

static void thread_walk_done(void *arg)
{
	struct thread_walk *w = arg;

	w->orig->pending_walks--;
	w->cpl(w->ctx);
	free(w);
}

int thread_send_to_next(uint64_t *last_id, bool (*match)(struct usk_thread *t, void *arg),
			usk_msg_fn fn, void *ctx)
{
	struct usk_thread *t;
	int rc = -ENOENT;

	pthread_mutex_lock(&g_threads_lock);
	TAILQ_FOREACH(t, &g_threads, link) {
		if (t->id <= *last_id || (match != NULL && !match(t, ctx))) {
			continue;
		}
		rc = usk_thread_send_msg(t, fn, ctx);
		/* Only an exited thread is skipped: a full one drains. */
		if (rc != -EIO) {
			break;
		}
	}
	if (rc != -ENOMEM) {
		*last_id = t != NULL ? t->id : UINT64_MAX;
	}
	pthread_mutex_unlock(&g_threads_lock);
	return rc == -EIO ? -ENOENT : rc;
}

bool thread_walk_step(uint64_t *last_id, bool (*match)(struct usk_thread *t, void *arg),
		      usk_msg_fn visit, usk_msg_fn done, struct usk_thread *home, usk_msg_fn again,
		      void *ctx)
{
	int rc = thread_send_to_next(last_id, match, visit, ctx);

	if (rc == -ENOENT) {
		rc = usk_thread_send_msg(home, done, ctx);
	}
	/* Skipping a full queue would lose a visit or the report: try again from here. */
	if (rc == -ENOMEM) {
		rc = usk_thread_send_msg(usk_thread_get_current(), again, ctx);
	}
	if (rc != 0) {
		USK_ERRLOG("thread '%s': a walk over the threads could not go on, nor report back: "
			   "%s",
			   home->name, strerror(-rc));
		return false;
	}
	return true;
}

/* Sends the walk to the next live thread after the last one visited, or home. */
static void thread_walk_next(void *arg)
{
	struct thread_walk *w = arg;

	if (!thread_walk_step(&w->last_id, NULL, thread_walk_visit, thread_walk_done, w->orig,
			      thread_walk_next, w)) {
		free(w);
	}
}

static void thread_walk_visit(void *arg)
{
	struct thread_walk *w = arg;

	w->fn(w->ctx);
	thread_walk_next(w);
}

int usk_thread_for_each(usk_msg_fn fn, void *ctx, usk_msg_fn cpl)
{
	struct thread_walk *w;

	if (tls_thread == NULL || fn == NULL || cpl == NULL) {
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	w->fn = fn;
	w->cpl = cpl;
	w->ctx = ctx;
	w->orig = tls_thread;
	tls_thread->pending_walks++;
	thread_walk_next(w);
	return 0;
}
