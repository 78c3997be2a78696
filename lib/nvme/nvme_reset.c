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
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

int nvme_qpair_create_on_ctrlr(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint32_t last = q->num_entries - 1u;
	/* CDW11: physically contiguous, no interrupts: USK polls. */
	struct usk_nvme_sqe create_cq = {.opcode = USK_NVME_OPC_CREATE_IO_CQ,
					 .prp1 = usk_vtoiova(q->cq, NULL),
					 .cdw10 = last << 16 | q->id,
					 .cdw11 = 1};
	struct usk_nvme_sqe create_sq = {.opcode = USK_NVME_OPC_CREATE_IO_SQ,
					 .prp1 = usk_vtoiova(q->sq, NULL),
					 .cdw10 = last << 16 | q->id,
					 .cdw11 = (uint32_t)q->id << 16 | 1};
	int rc;

	nvme_dbbuf_attach_qpair(c, q);
	rc = usk_nvme_ctrlr_admin_cmd_sync(c, &create_cq, NULL, 0, NULL);
	if (rc == 0) {
		rc = usk_nvme_ctrlr_admin_cmd_sync(c, &create_sq, NULL, 0, NULL);
		if (rc != 0) {
			struct usk_nvme_sqe delete_cq = {.opcode = USK_NVME_OPC_DELETE_IO_CQ,
							 .cdw10 = q->id};

			usk_nvme_ctrlr_admin_cmd_sync(c, &delete_cq, NULL, 0, NULL);
		}
	}
	return rc;
}

/* Creates the queues after a reset; a controller that refuses has failed. */
static int nvme_qpair_recreate(struct usk_nvme_qpair *q, uint32_t state)
{
	bool first = q->synced_state == NVME_QPAIR_NO_QUEUES;
	int rc = nvme_qpair_create_on_ctrlr(q);

	if (rc == 0) {
		q->synced_state = state;
		return 0;
	}
	if (first) {
		return rc;
	}
	nvme_ctrlr_fail_locked(q->ctrlr, "it did not take an I/O queue pair back after a reset");
	return -ENXIO;
}

/*
 * Ends what the ring held if the controller was disabled since the ring was
 * last emptied (the generation moved). No lock is held: the callbacks may
 * reset the controller again, so it goes on until the ring matches.
 */
static void nvme_qpair_catch_up(struct usk_nvme_qpair *q)
{
	for (;;) {
		uint32_t gen =
			__atomic_load_n(&q->ctrlr->state, __ATOMIC_ACQUIRE) >> NVME_CTRLR_GEN_SHIFT;

		if (q->ring_gen == gen) {
			return;
		}
		q->ring_gen = gen;
		nvme_qpair_abort_trackers(q, USK_NVME_SC_ABORTED_SQ_DELETION);
		nvme_qpair_reset_ring(q);
	}
}

/*
 * Catches up and creates the queues again, the latter under the admin lock
 * (which a reset holds throughout, so the state cannot move meanwhile).
 * With @wait false, a busy lock means -EAGAIN: the next poll tries again.
 */
static int nvme_qpair_rebuild(struct usk_nvme_qpair *q, bool wait)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;

	for (;;) {
		uint32_t state;
		int rc;

		nvme_qpair_catch_up(q);
		if (wait) {
			pthread_mutex_lock(&c->admin_lock);
		} else if (pthread_mutex_trylock(&c->admin_lock) != 0) {
			return -EAGAIN;
		}
		state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		if (q->ring_gen != state >> NVME_CTRLR_GEN_SHIFT && !(state & NVME_CTRLR_FAILED)) {
			/* Reset between the catch-up and the lock: catch up again. */
			pthread_mutex_unlock(&c->admin_lock);
			continue;
		}
		rc = (state & NVME_CTRLR_FAILED)      ? -ENXIO
		     : (state & NVME_CTRLR_RESETTING) ? -EAGAIN
						      : nvme_qpair_recreate(q, state);
		pthread_mutex_unlock(&c->admin_lock);
		return rc;
	}
}

static int nvme_qpair_resync_wait(struct usk_nvme_qpair *q, bool wait)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	int rc;

	if (q->resyncing) {
		return -EAGAIN;
	}
	if (usk_nvme_ctrlr_is_failed(c)) {
		nvme_qpair_abort_all(q);
		return -ENXIO;
	}
	/* The admin queue is rebuilt by the reset itself. */
	if (q->id == 0) {
		q->synced_state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		return 0;
	}
	q->resyncing = true;
	rc = nvme_qpair_rebuild(q, wait);
	q->resyncing = false;
	if (rc == -ENXIO) {
		nvme_ctrlr_notify_if_failed(c);
		nvme_qpair_abort_all(q);
	} else if (rc == 0) {
		nvme_qpair_submit_waiting(q);
		if (!q->in_completions) {
			nvme_qpair_ring_sq(q);
		}
	}
	return rc;
}

int nvme_qpair_resync(struct usk_nvme_qpair *q)
{
	return nvme_qpair_resync_wait(q, false);
}

/* Creates a new queue pair on the controller: now, after a reset under way if any. */
int nvme_qpair_create_first(struct usk_nvme_qpair *q)
{
	q->synced_state = NVME_QPAIR_NO_QUEUES;
	return nvme_qpair_resync_wait(q, true);
}

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

int nvme_ctrlr_reset_from(struct usk_nvme_ctrlr *c, uint32_t seen, uint16_t spare)
{
	int rc = 0;

	pthread_mutex_lock(&c->admin_lock);
	/* Reset already by another thread since @seen: that one will do. */
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == seen) {
		rc = nvme_ctrlr_reset_locked(c, spare);
	}
	pthread_mutex_unlock(&c->admin_lock);
	nvme_ctrlr_notify_if_failed(c);
	return rc;
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
