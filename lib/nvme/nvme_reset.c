/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller reset (base 3.7.2: CC.EN to 0, then bring-up again) and the
 * rebuilding of queue pairs after it.
 *
 * The thread that resets rebuilds the admin queue and the controller's
 * settings. It does not touch I/O queue pairs: only the thread that owns
 * one may touch its rings. Instead the reset bumps a generation in the
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

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

/* Points the controller at the Doorbell Buffer Config pages again, emptied. */
static int nvme_ctrlr_reset_dbbuf(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_DOORBELL_BUFFER_CONFIG};

	if (c->dbbuf_shadow == NULL) {
		return 0;
	}
	memset(c->dbbuf_shadow, 0, c->dbbuf_size);
	memset(c->dbbuf_eventidx, 0, c->dbbuf_size);
	cmd.prp1 = usk_vtoiova(c->dbbuf_shadow, NULL);
	cmd.prp2 = usk_vtoiova(c->dbbuf_eventidx, NULL);
	return usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, NULL, 0, NULL);
}

/* The controller is disabled: rebuild the admin queue and what bring-up set. */
static int nvme_ctrlr_reinit(struct usk_nvme_ctrlr *c)
{
	uint32_t granted = c->max_io_queues;
	int rc;

	nvme_qpair_abort_all(c->admin);
	nvme_qpair_reset_ring(c->admin);
	rc = nvme_ctrlr_enable_admin(c);
	if (rc == 0) {
		rc = nvme_ctrlr_set_num_queues(c);
	}
	if (rc == 0) {
		rc = nvme_ctrlr_set_arbitration(c);
	}
	if (rc == 0 && c->max_io_queues < granted) {
		USK_ERRLOG("%s: grants %u I/O queues after the reset, %u before", c->name,
			   c->max_io_queues, granted);
		rc = -EIO;
	}
	if (rc == 0) {
		rc = nvme_ctrlr_reset_dbbuf(c);
	}
	if (rc == 0) {
		rc = nvme_aer_config(c);
	}
	return rc;
}

/*
 * Deletes the I/O queues the controller has, but @spare's, before it is
 * disabled (as Linux does while the controller answers). A disable then
 * finds no queue with commands the controller has not started: QEMU's
 * emulated controller (7.2) frees such a queue while the commands are still
 * on their way and crashes when they finish. The queue pairs' threads are
 * held off meanwhile (RESETTING); what they had in flight ends as after any
 * reset. A Delete that fails changes nothing: the disable still ends all.
 */
static void nvme_ctrlr_delete_io_queues(struct usk_nvme_ctrlr *c, uint32_t state, uint16_t spare)
{
	/* Gone, in fatal status or not ready: it would answer no Delete. */
	if (nvme_ctrlr_fault(c) != NULL ||
	    (nvme_reg_read32(c, USK_NVME_REG_CSTS) & USK_NVME_CSTS_RDY) == 0) {
		return;
	}
	for (uint16_t qid = 1; qid <= c->max_io_queues && spare != NVME_RESET_SPARE_ALL; qid++) {
		struct usk_nvme_qpair *q = c->io_qpairs[qid];
		struct usk_nvme_sqe delete_sq = {.opcode = USK_NVME_OPC_DELETE_IO_SQ, .cdw10 = qid};
		struct usk_nvme_sqe delete_cq = {.opcode = USK_NVME_OPC_DELETE_IO_CQ, .cdw10 = qid};
		int rc;

		/* Only queues made under the state being reset are on the controller. */
		if (q == NULL || qid == spare || q->synced_state != state) {
			continue;
		}
		rc = usk_nvme_ctrlr_admin_cmd_sync(c, &delete_sq, NULL, 0, NULL);
		if (rc == 0) {
			rc = usk_nvme_ctrlr_admin_cmd_sync(c, &delete_cq, NULL, 0, NULL);
		}
		/* Not answering: the rest would wait as long; the disable ends them all. */
		if (rc == -ETIMEDOUT || rc == -ENXIO) {
			return;
		}
	}
}

int nvme_ctrlr_reset_locked(struct usk_nvme_ctrlr *c, uint16_t spare)
{
	uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	uint32_t ready = ((state >> NVME_CTRLR_GEN_SHIFT) + 1) << NVME_CTRLR_GEN_SHIFT;
	int rc;

	if (state & NVME_CTRLR_FAILED) {
		return -ENXIO;
	}
	/* A command of the reset itself timed out: the reset fails. */
	if (state & NVME_CTRLR_RESETTING) {
		return -EBUSY;
	}
	USK_INFOLOG("%s: resetting the controller", c->name);
	__atomic_store_n(&c->state, state | NVME_CTRLR_RESETTING, __ATOMIC_RELEASE);
	nvme_ctrlr_delete_io_queues(c, state, spare);
	rc = nvme_ctrlr_disable(c);
	if (rc == 0) {
		/* Disabled: no more DMA and no completions, so queue pairs may end their commands.
		 */
		__atomic_store_n(&c->state, ready | NVME_CTRLR_RESETTING, __ATOMIC_RELEASE);
		rc = nvme_ctrlr_reinit(c);
	}
	if (rc != 0) {
		nvme_ctrlr_fail_locked(c, "the reset failed");
		return rc;
	}
	__atomic_store_n(&c->state, ready, __ATOMIC_RELEASE);
	c->admin->synced_state = ready;
	USK_INFOLOG("%s: reset done; I/O queue pairs are rebuilt on their next poll", c->name);
	return 0;
}

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

void nvme_ctrlr_reset_requested(struct usk_nvme_ctrlr *c)
{
	uint64_t req = __atomic_exchange_n(&c->reset_request, 0, __ATOMIC_ACQ_REL);
	struct nvme_reset_waiter *callers = nvme_reset_waiters_take_waiting(c);
	uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	uint16_t spare = NVME_RESET_SPARE_NONE;
	int rc = 0;

	/* A reset since an I/O thread's request (another's) has ended what it was for. */
	if (req != 0 && state == (uint32_t)(req >> 32)) {
		spare = (uint16_t)((uint32_t)req - 1);
	} else if (callers == NULL) {
		return;
	}
	rc = nvme_ctrlr_reset_locked(c, spare);
	if (callers != NULL) {
		nvme_reset_waiters_finish(c, callers, rc);
	}
}

void nvme_ctrlr_run_reset_callbacks(struct usk_nvme_ctrlr *c)
{
	struct nvme_reset_waiter *w;

	/* No reset will come for those still waiting. */
	if (usk_nvme_ctrlr_is_failed(c)) {
		nvme_reset_waiters_finish(c, nvme_reset_waiters_take_waiting(c), -ENXIO);
	}
	w = nvme_reset_waiters_take(c, &c->reset_done);
	while (w != NULL) {
		struct nvme_reset_waiter *next = w->next;

		w->cb(w->cb_arg, c, w->rc);
		free(w);
		w = next;
	}
}

int usk_nvme_ctrlr_reset(struct usk_nvme_ctrlr *c)
{
	int rc;

	pthread_mutex_lock(&c->admin_lock);
	rc = nvme_ctrlr_reset_locked(c, NVME_RESET_SPARE_NONE);
	pthread_mutex_unlock(&c->admin_lock);
	nvme_ctrlr_notify_if_failed(c);
	return rc;
}
