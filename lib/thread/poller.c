/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pollers. Unregistering only marks a poller: the poll loop unlinks it when
 * it next reaches it, so a poller may unregister itself or another one
 * while the loop walks the list. A paused timed poller waits in a list of
 * its own, which no poll loop walks, with no turn to wake its thread for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "usk/log.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "thread_internal.h"

/* Keeps the list sorted; the walk from the back is short, new deadlines are late. */
static void timed_poller_insert(struct usk_thread *t, struct usk_poller *p)
{
	struct usk_poller *q;

	TAILQ_FOREACH_REVERSE(q, &t->timed_pollers, poller_list, link) {
		if (q->next_tick <= p->next_tick) {
			TAILQ_INSERT_AFTER(&t->timed_pollers, q, p, link);
			return;
		}
	}
	TAILQ_INSERT_HEAD(&t->timed_pollers, p, link);
}

struct usk_poller *usk_poller_register(usk_poller_fn fn, void *ctx, uint64_t period_us,
				       const char *name)
{
	struct usk_thread *t = usk_thread_get_current();
	struct usk_poller *p;

	if (t == NULL || fn == NULL) {
		USK_ERRLOG("poller '%s': %s", name ? name : "",
			   t == NULL ? "registered outside a usk_thread" : "no function");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	p->thread = t;
	p->fn = fn;
	p->ctx = ctx;
	p->period_us = period_us;
	p->irq_fd = -1;
	thread_name_copy(p->name, name);
	if (period_us == 0) {
		TAILQ_INSERT_TAIL(&t->active_pollers, p, link);
		atomic_fetch_add(&t->n_active, 1);
		return p;
	}
	p->period_ticks = usk_us_to_ticks(period_us);
	if (p->period_ticks == 0) {
		p->period_ticks = 1;
	}
	/* From the clock the thread's polls check it against: the one they were handed. */
	p->next_tick = usk_ticks_after(usk_thread_get_poll_tick(), p->period_ticks);
	timed_poller_insert(t, p);
	atomic_fetch_add(&t->n_timed, 1);
	return p;
}

/* Takes a paused timed poller out of the turns: nothing looks at it until its resume. */
static void timed_poller_park(struct usk_thread *t, struct usk_poller *p)
{
	TAILQ_INSERT_TAIL(&t->paused_timed_pollers, p, link);
	p->parked = true;
}

/*
 * A poller's state, its thread's counts and its thread's lists are that
 * thread's alone: a change from elsewhere would race with its polls.
 */
static bool poller_on_its_thread(const struct usk_poller *p, const struct usk_thread *t,
				 const char *change)
{
	if (p->thread == t) {
		return true;
	}
	USK_ERRLOG("poller '%s': %s outside its thread", p->name, change);
	return false;
}

void usk_poller_unregister(struct usk_poller **pp)
{
	struct usk_thread *t = usk_thread_get_current();
	struct usk_poller *p = pp ? *pp : NULL;

	if (p == NULL) {
		return;
	}
	*pp = NULL;
	if (!poller_on_its_thread(p, t, "unregistered")) {
		return;
	}
	if (p->state == POLLER_UNREGISTERED) {
		return;
	}
	if (p->state == POLLER_PAUSED) {
		atomic_fetch_sub(&t->n_paused, 1);
	}
	atomic_fetch_sub(p->period_us ? &t->n_timed : &t->n_active, 1);
	p->state = POLLER_UNREGISTERED;
	/* Parked, it is in no list a poll loop walks, and not running: it can go now. */
	if (p->parked) {
		TAILQ_REMOVE(&t->paused_timed_pollers, p, link);
		free(p);
	}
}

void usk_poller_pause(struct usk_poller *p)
{
	struct usk_thread *t = usk_thread_get_current();

	if (p == NULL || !poller_on_its_thread(p, t, "paused") || p->state == POLLER_PAUSED ||
	    p->state == POLLER_UNREGISTERED) {
		return;
	}
	/* One paused in its own call is parked by the poll loop, once the call returns. */
	if (p->period_us != 0 && p->state == POLLER_WAITING) {
		TAILQ_REMOVE(&t->timed_pollers, p, link);
		timed_poller_park(t, p);
	}
	p->state = POLLER_PAUSED;
	atomic_fetch_add(&t->n_paused, 1);
}

void usk_poller_resume(struct usk_poller *p)
{
	struct usk_thread *t = usk_thread_get_current();

	if (p == NULL || !poller_on_its_thread(p, t, "resumed") || p->state != POLLER_PAUSED) {
		return;
	}
	p->state = POLLER_WAITING;
	atomic_fetch_sub(&t->n_paused, 1);
	if (p->period_us != 0) {
		/* A full period from now; one resumed in its own call is still in the turns. */
		TAILQ_REMOVE(p->parked ? &t->paused_timed_pollers : &t->timed_pollers, p, link);
		p->parked = false;
		p->next_tick = usk_ticks_after(usk_thread_get_poll_tick(), p->period_ticks);
		timed_poller_insert(t, p);
	}
}

/* Calls a poller; returns whether it did work. */
static int poller_call(struct usk_poller *p)
{
	int rc;

	p->state = POLLER_RUNNING;
	rc = p->fn(p->ctx);
	p->runs++;
	if (rc > 0) {
		p->busy_runs++;
	}
	if (p->state == POLLER_RUNNING) {
		p->state = POLLER_WAITING;
	}
	return rc > 0;
}

static int thread_run_active_pollers(struct usk_thread *t)
{
	struct usk_poller *p = TAILQ_FIRST(&t->active_pollers);
	int busy = 0;

	while (p != NULL) {
		struct usk_poller *next;

		if (p->state == POLLER_WAITING) {
			busy |= poller_call(p);
		}
		/* Read after the call: the poller may have added pollers after itself. */
		next = TAILQ_NEXT(p, link);
		if (p->state == POLLER_UNREGISTERED) {
			TAILQ_REMOVE(&t->active_pollers, p, link);
			free(p);
		}
		p = next;
	}
	return busy;
}

static int thread_run_timed_pollers(struct usk_thread *t, uint64_t now)
{
	struct usk_poller *p;
	int busy = 0;

	while ((p = TAILQ_FIRST(&t->timed_pollers)) != NULL && p->next_tick <= now) {
		/* Called in the list: a resume from its own call moves it there. */
		if (p->state == POLLER_WAITING) {
			busy |= poller_call(p);
		}
		TAILQ_REMOVE(&t->timed_pollers, p, link);
		if (p->state == POLLER_UNREGISTERED) {
			free(p);
			continue;
		}
		if (p->state == POLLER_PAUSED) {
			timed_poller_park(t, p);
			continue;
		}
		/* After @now (periods are at least a tick), so the loop ends. */
		p->next_tick = usk_ticks_after(now, p->period_ticks);
		timed_poller_insert(t, p);
	}
	return busy;
}

int thread_run_pollers(struct usk_thread *t, uint64_t now)
{
	int busy = thread_run_active_pollers(t);

	return busy | thread_run_timed_pollers(t, now);
}

void thread_shift_timed_pollers_back(struct usk_thread *t, uint64_t back)
{
	struct usk_poller *p;

	/* One shift for all keeps the list in order. */
	TAILQ_FOREACH(p, &t->timed_pollers, link) {
		p->next_tick -= USK_MIN(p->next_tick, back);
	}
}

uint64_t usk_thread_next_poller_tick(const struct usk_thread *t)
{
	struct usk_poller *p = TAILQ_FIRST(&t->timed_pollers);

	return p ? p->next_tick : UINT64_MAX;
}

static void poller_list_free(struct poller_list *list)
{
	struct usk_poller *p;

	while ((p = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, p, link);
		free(p);
	}
}

void thread_free_pollers(struct usk_thread *t)
{
	poller_list_free(&t->active_pollers);
	poller_list_free(&t->timed_pollers);
	poller_list_free(&t->paused_timed_pollers);
}

static void poller_info_fill(const struct usk_poller *p, struct usk_poller_info *info)
{
	info->name = p->name;
	info->period_us = p->period_us;
	info->paused = p->state == POLLER_PAUSED;
	info->runs = p->runs;
	info->busy_runs = p->busy_runs;
}

static void poller_list_visit(const struct poller_list *list,
			      void (*fn)(const struct usk_poller_info *info, void *ctx), void *ctx)
{
	const struct usk_poller *p;
	struct usk_poller_info info;

	TAILQ_FOREACH(p, list, link) {
		if (p->state != POLLER_UNREGISTERED) {
			poller_info_fill(p, &info);
			fn(&info, ctx);
		}
	}
}

void usk_thread_for_each_poller(void (*fn)(const struct usk_poller_info *info, void *ctx),
				void *ctx)
{
	struct usk_thread *t = usk_thread_get_current();

	if (t == NULL || fn == NULL) {
		return;
	}
	poller_list_visit(&t->active_pollers, fn, ctx);
	poller_list_visit(&t->timed_pollers, fn, ctx);
	poller_list_visit(&t->paused_timed_pollers, fn, ctx);
}

static void poller_log(const struct usk_poller_info *info, void *ctx)
{
	const struct usk_thread *t = ctx;

	USK_ERRLOG("thread '%s': poller '%s' is still registered", t->name, info->name);
}

void thread_log_pollers(const struct usk_thread *t)
{
	poller_list_visit(&t->active_pollers, poller_log, (void *)(uintptr_t)t);
	poller_list_visit(&t->timed_pollers, poller_log, (void *)(uintptr_t)t);
	poller_list_visit(&t->paused_timed_pollers, poller_log, (void *)(uintptr_t)t);
}
