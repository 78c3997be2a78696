/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller reset (base 3.7.2: CC.EN to 0, then bring-up again): who asks
 * for one, when it starts, and who is called back. Its steps are in
 * nvme_reset_steps.c.
 *
 * The thread that polls the admin queue does the reset, a step per poll,
 * and rebuilds the admin queue and the controller's settings. It does not
 * touch I/O queue pairs: only the thread that owns one may touch its
 * rings. Instead the reset bumps a generation in the
 * controller's state word; a queue pair that sees it behind on its next
 * poll or submission ends the commands it had in the ring (the controller
 * dropped them when disabled), empties its rings and creates its queues on
 * the controller again. A doorbell written late, to a queue the controller
 * does not have, is ignored by it (base 3.1.3.21: an invalid doorbell write).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

void nvme_ctrlr_request_reset(struct usk_nvme_ctrlr *c, uint32_t seen, uint16_t spare)
{
	uint64_t want = (uint64_t)seen << 32 | ((uint32_t)spare + 1);
	uint64_t cur = __atomic_load_n(&c->reset_request, __ATOMIC_ACQUIRE);

	for (;;) {
		uint64_t next = want;

		/* Two queue pairs with late commands, one reset: it deletes neither's queues. */
		if (cur != 0 && cur >> 32 == seen && cur != want) {
			next = (uint64_t)seen << 32 | ((uint32_t)NVME_RESET_SPARE_ALL + 1);
		}
		if (cur == next || __atomic_compare_exchange_n(&c->reset_request, &cur, next, false,
							       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			return;
		}
	}
}

/* A usk_nvme_ctrlr_reset_async() caller. */
struct nvme_reset_waiter {
	usk_nvme_reset_cb cb;
	void *cb_arg;
	int rc;
	struct nvme_reset_waiter *next;
};

int usk_nvme_ctrlr_reset_async(struct usk_nvme_ctrlr *c, usk_nvme_reset_cb cb, void *cb_arg)
{
	struct nvme_reset_waiter *w;

	if (usk_nvme_ctrlr_is_failed(c)) {
		return -ENXIO;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	w->cb = cb;
	w->cb_arg = cb_arg;
	pthread_mutex_lock(&c->reset_waiters_lock);
	w->next = c->reset_waiting;
	c->reset_waiting = w;
	pthread_mutex_unlock(&c->reset_waiters_lock);
	return 0;
}

/* Takes the whole list @from points at. */
static struct nvme_reset_waiter *nvme_reset_waiters_take(struct usk_nvme_ctrlr *c,
							 struct nvme_reset_waiter **from)
{
	struct nvme_reset_waiter *w;

	pthread_mutex_lock(&c->reset_waiters_lock);
	w = *from;
	*from = NULL;
	pthread_mutex_unlock(&c->reset_waiters_lock);
	return w;
}

/* The callers waiting, oldest first (they are pushed newest first). */
static struct nvme_reset_waiter *nvme_reset_waiters_take_waiting(struct usk_nvme_ctrlr *c)
{
	struct nvme_reset_waiter *w = nvme_reset_waiters_take(c, &c->reset_waiting);
	struct nvme_reset_waiter *oldest_first = NULL;

	while (w != NULL) {
		struct nvme_reset_waiter *next = w->next;

		w->next = oldest_first;
		oldest_first = w;
		w = next;
	}
	return oldest_first;
}

/* Puts @done (oldest first) on the list of callbacks to run, each with @rc. */
static void nvme_reset_waiters_finish(struct usk_nvme_ctrlr *c, struct nvme_reset_waiter *done,
				      int rc)
{
	struct nvme_reset_waiter **tail;

	for (struct nvme_reset_waiter *w = done; w != NULL; w = w->next) {
		w->rc = rc;
	}
	pthread_mutex_lock(&c->reset_waiters_lock);
	for (tail = &c->reset_done; *tail != NULL; tail = &(*tail)->next) {
	}
	*tail = done;
	pthread_mutex_unlock(&c->reset_waiters_lock);
}

/*
 * The spare of a reset an I/O thread asked for, if still due: a reset since
 * (another's) has ended what it was for. NVME_RESET_SPARE_NONE if none is.
 */
static bool nvme_reset_request_take(struct usk_nvme_ctrlr *c, uint16_t *spare)
{
	uint64_t req = __atomic_exchange_n(&c->reset_request, 0, __ATOMIC_ACQ_REL);
	uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

	if (req == 0 || state != (uint32_t)(req >> 32)) {
		return false;
	}
	*spare = (uint16_t)((uint32_t)req - 1);
	return true;
}

/* Starts a reset if one is due; the admin lock is held and none is under way. */
static bool nvme_ctrlr_reset_start_due(struct usk_nvme_ctrlr *c)
{
	uint16_t spare = NVME_RESET_SPARE_NONE;
	bool asked;

	if (!c->ready || (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) &
			  (NVME_CTRLR_RESETTING | NVME_CTRLR_FAILED))) {
		return false;
	}
	asked = nvme_reset_request_take(c, &spare);
	if (nvme_admin_find_late(c, nvme_ticks())) {
		asked = true;
		spare = NVME_RESET_SPARE_ALL;
	}
	c->reset.callers = nvme_reset_waiters_take_waiting(c);
	if (!asked && c->reset.callers == NULL) {
		return false;
	}
	if (!c->ops->can_reset) {
		nvme_ctrlr_fail_locked(c, "a reset is needed and the transport cannot reset in "
					  "place: attach the controller again");
		nvme_reset_waiters_finish(c, c->reset.callers, -ENOTSUP);
		c->reset.callers = NULL;
		return false;
	}
	nvme_reset_steps_begin(c, spare);
	return true;
}

void nvme_ctrlr_reset_poll(struct usk_nvme_ctrlr *c)
{
	int rc;

	if (!nvme_reset_under_way(c) && !nvme_ctrlr_reset_start_due(c)) {
		return;
	}
	nvme_ctrlr_reconnect_poll(c);
	rc = nvme_reset_steps_run(c);
	if (rc == -EAGAIN || (rc != 0 && nvme_ctrlr_reconnect_again(c))) {
		return;
	}
	if (rc != 0) {
		c->reset.error = rc;
		nvme_ctrlr_fail_locked(c, c->ready ? "the reset failed" : "its bring-up failed");
	}
	nvme_reset_waiters_finish(c, c->reset.callers, rc);
	c->reset.callers = NULL;
}

bool nvme_ctrlr_reset_pending(const struct usk_nvme_ctrlr *c)
{
	return (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) & NVME_CTRLR_RESETTING) ||
	       __atomic_load_n(&c->reset_request, __ATOMIC_ACQUIRE) != 0 ||
	       __atomic_load_n(&c->reset_waiting, __ATOMIC_ACQUIRE) != NULL;
}

bool usk_nvme_ctrlr_is_resetting(const struct usk_nvme_ctrlr *c)
{
	return (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) &
		(NVME_CTRLR_RESETTING | NVME_CTRLR_FAILED)) == NVME_CTRLR_RESETTING;
}

/* With the controller failed, no reset will come: those waiting, and the one under way's, end. */
static void nvme_reset_waiters_fail(struct usk_nvme_ctrlr *c)
{
	struct nvme_reset_waiter *callers;

	pthread_mutex_lock(&c->admin_lock);
	nvme_reset_steps_abandon(c);
	callers = c->reset.callers;
	c->reset.callers = NULL;
	pthread_mutex_unlock(&c->admin_lock);
	nvme_reset_waiters_finish(c, callers, -ENXIO);
	nvme_reset_waiters_finish(c, nvme_reset_waiters_take_waiting(c), -ENXIO);
}

void nvme_ctrlr_run_reset_callbacks(struct usk_nvme_ctrlr *c)
{
	struct nvme_reset_waiter *w;

	if (usk_nvme_ctrlr_is_failed(c)) {
		nvme_reset_waiters_fail(c);
	}
	w = nvme_reset_waiters_take(c, &c->reset_done);
	while (w != NULL) {
		struct nvme_reset_waiter *next = w->next;

		w->cb(w->cb_arg, c, w->rc);
		free(w);
		w = next;
	}
}

void nvme_ctrlr_reset_settle(struct usk_nvme_ctrlr *c)
{
	/* Before bring-up is done nothing resets: nothing to wait for. */
	while (c->ready && nvme_ctrlr_reset_pending(c) && !usk_nvme_ctrlr_is_failed(c)) {
		nvme_admin_nap(c);
	}
}

static void nvme_ctrlr_reset_waited(void *cb_arg, struct usk_nvme_ctrlr *c, int rc)
{
	int *out = cb_arg;

	*out = rc;
}

int usk_nvme_ctrlr_reset(struct usk_nvme_ctrlr *c)
{
	/* Short: under emulation each step takes some 100 us. */
	const struct timespec nap = {0, 10 * 1000};
	int rc = 1;
	int asked = usk_nvme_ctrlr_reset_async(c, nvme_ctrlr_reset_waited, &rc);

	if (asked != 0) {
		return asked;
	}
	/* The reset's steps end in success or failure by themselves: each wait has a deadline. */
	while (usk_nvme_ctrlr_process_admin_completions(c) >= 0 && rc == 1) {
		nanosleep(&nap, NULL);
	}
	/* Failed meanwhile: its callback has run, from that last call, with -ENXIO or the error. */
	return rc == 1 ? -ENXIO : rc;
}
