/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Putting an I/O queue pair's queues on the controller: when it is made,
 * and again after each reset, on the thread that owns it.
 *
 * The owner never waits for the controller here. It posts Create I/O CQ;
 * that command's callback (run by whoever reaps the admin queue, under the
 * admin lock) posts Create I/O SQ, whose callback publishes the outcome.
 * The owner's later polls look at the outcome, reaping the admin queue
 * themselves if the lock is free, and go on once the queues are there;
 * submissions wait meanwhile. A Create the controller never answers has the
 * controller reset by the admin poll, which ends it, and the owner starts
 * again for the new state.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

void nvme_qpair_step_end(struct usk_nvme_qpair *q, int status)
{
	__atomic_store_n(&q->step_status, status, __ATOMIC_RELEASE);
}

static void nvme_qpair_sq_created(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_qpair *q = arg;
	struct usk_nvme_sqe delete_cq = {.opcode = USK_NVME_OPC_DELETE_IO_CQ, .cdw10 = q->id};

	if (USK_NVME_STATUS_CODE(cpl->status) == 0) {
		nvme_qpair_step_end(q, NVME_QPAIR_STEP_DONE);
		return;
	}
	USK_ERRLOG("%s: qpair %u: Create I/O SQ failed: %s", q->ctrlr->name, q->id,
		   usk_nvme_status_string(USK_NVME_STATUS_CODE(cpl->status)));
	/* Leave no CQ behind for the next attempt to trip on; its answer does not matter. */
	if (USK_NVME_STATUS_CODE(cpl->status) != USK_NVME_SC_ABORTED_BY_REQUEST) {
		nvme_qpair_submit(q->ctrlr->admin, &delete_cq, NULL, 0, NULL, NULL);
	}
	nvme_qpair_step_end(q, -EIO);
}

/* Inside the admin reap, the admin lock held: the CQ is there, the SQ follows. */
static void nvme_qpair_cq_created(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_qpair *q = arg;
	uint32_t last = q->num_entries - 1u;
	struct usk_nvme_sqe create_sq = {.opcode = USK_NVME_OPC_CREATE_IO_SQ,
					 .prp1 = usk_vtoiova(q->sq, NULL),
					 .cdw10 = last << 16 | q->id,
					 .cdw11 = (uint32_t)q->id << 16 | 1};

	if (USK_NVME_STATUS_CODE(cpl->status) != 0) {
		USK_ERRLOG("%s: qpair %u: Create I/O CQ failed: %s", q->ctrlr->name, q->id,
			   usk_nvme_status_string(USK_NVME_STATUS_CODE(cpl->status)));
		nvme_qpair_step_end(q, -EIO);
		return;
	}
	if (nvme_qpair_submit(q->ctrlr->admin, &create_sq, NULL, 0, nvme_qpair_sq_created, q) != 0) {
		nvme_qpair_step_end(q, -EAGAIN);
	}
}

/* Posts Create I/O CQ for the controller in @state; the admin lock is held. */
static int nvme_qpair_connect_start(struct usk_nvme_qpair *q, uint32_t state)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint32_t last = q->num_entries - 1u;
	/*
	 * CDW11 (base 5.4): physically contiguous; with a vector, IEN and IV.
	 * A reset's re-creation passes here too, so the CQ keeps its vector.
	 */
	uint32_t irq = q->irq_vector != 0 ? (uint32_t)q->irq_vector << 16 | 2u : 0;
	struct usk_nvme_sqe create_cq = {.opcode = USK_NVME_OPC_CREATE_IO_CQ,
					 .prp1 = usk_vtoiova(q->cq, NULL),
					 .cdw10 = last << 16 | q->id,
					 .cdw11 = irq | 1};
	int rc;

	nvme_dbbuf_attach_qpair(c, q);
	nvme_qpair_step_end(q, NVME_QPAIR_STEP_UNDER_WAY);
	rc = nvme_qpair_submit(c->admin, &create_cq, NULL, 0, nvme_qpair_cq_created, q);
	if (rc == 0) {
		q->connecting_for = state;
		q->step_deadline = nvme_ticks() + nvme_admin_timeout_ticks(c);
	}
	return rc;
}

/*
 * Reaps the admin queue if no other thread holds it: the Creates' answers
 * are then seen without waiting for the admin poller.
 */
static void nvme_admin_reap_if_free(struct usk_nvme_ctrlr *c)
{
	if (pthread_mutex_trylock(&c->admin_lock) == 0) {
		usk_nvme_qpair_process_completions(c->admin, 0);
		pthread_mutex_unlock(&c->admin_lock);
	}
}

int nvme_qpair_step_look(struct usk_nvme_qpair *q)
{
	int status = __atomic_load_n(&q->step_status, __ATOMIC_ACQUIRE);

	if (status == NVME_QPAIR_STEP_UNDER_WAY) {
		nvme_admin_reap_if_free(q->ctrlr);
		status = __atomic_load_n(&q->step_status, __ATOMIC_ACQUIRE);
	}
	return status;
}

int nvme_qpair_connect_check(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	int status = nvme_qpair_step_look(q);

	if (status == NVME_QPAIR_STEP_UNDER_WAY) {
		/* Lost by the controller: the reset the admin poll does ends the Creates. */
		if (nvme_deadline_passed(&q->step_deadline, nvme_admin_timeout_ticks(c))) {
			nvme_ctrlr_request_reset(c, q->connecting_for, NVME_RESET_SPARE_ALL);
		}
		return -EAGAIN;
	}
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != q->connecting_for) {
		q->connecting_for = NVME_QPAIR_NO_QUEUES;
		return -ESTALE;
	}
	if (status == NVME_QPAIR_STEP_DONE) {
		q->synced_state = q->connecting_for;
		q->connecting_for = NVME_QPAIR_NO_QUEUES;
		return 0;
	}
	q->connecting_for = NVME_QPAIR_NO_QUEUES;
	return status;
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
		nvme_pcie_qpair_reset_ring(q);
	}
}

/*
 * Posts the Creates for the controller's state, under the admin lock taken
 * without waiting (a reset starts and ends under it, so the state cannot
 * move meanwhile). -EAGAIN: busy, or a reset is under way: the next poll tries.
 */
static int nvme_qpair_connect_post(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint32_t state;
	int rc;

	if (pthread_mutex_trylock(&c->admin_lock) != 0) {
		return -EAGAIN;
	}
	state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	if (state & NVME_CTRLR_FAILED) {
		rc = -ENXIO;
	} else if ((state & NVME_CTRLR_RESETTING) ||
		   q->ring_gen != state >> NVME_CTRLR_GEN_SHIFT) {
		/* A reset under way, or one between the catch-up and the lock. */
		rc = -EAGAIN;
	} else {
		rc = nvme_qpair_connect_start(q, state);
	}
	pthread_mutex_unlock(&c->admin_lock);
	return rc;
}

int nvme_pcie_qpair_rebuild(struct usk_nvme_qpair *q)
{
	bool first = q->synced_state == NVME_QPAIR_NO_QUEUES;
	int rc;

	nvme_qpair_catch_up(q);
	if (q->connecting_for == NVME_QPAIR_NO_QUEUES) {
		rc = nvme_qpair_connect_post(q);
		if (rc != 0) {
			return rc;
		}
	}
	rc = nvme_qpair_connect_check(q);
	if (rc == -ESTALE || rc == -EAGAIN || rc == 0 || first) {
		return rc == -ESTALE ? -EAGAIN : rc;
	}
	/*
	 * It took its queues before the reset and refuses them now: it has
	 * failed. The admin poll fails it (that waits for the disable); the
	 * commands wait here until then, and end with the rest.
	 */
	nvme_ctrlr_request_fail(q->ctrlr, "it did not take an I/O queue pair back after a reset");
	return -EAGAIN;
}

int nvme_qpair_resync(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	int rc;

	if (q->resyncing) {
		return -EAGAIN;
	}
	if (q->connect_error != 0) {
		return q->connect_error;
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
	/* A reconnect outlasted fast_io_fail_timeout_sec: nothing waits for it any more. */
	if (nvme_ctrlr_io_fails_fast(c)) {
		nvme_qpair_abort_all(q);
		return -ENXIO;
	}
	q->resyncing = true;
	rc = q->trtype == USK_NVME_TRANSPORT_PCIE ? nvme_pcie_qpair_rebuild(q)
						  : q->ops->qpair_rebuild(q);
	q->resyncing = false;
	if (rc == -ENXIO) {
		nvme_ctrlr_notify_if_failed(c);
		nvme_qpair_abort_all(q);
	} else if (rc == -ECANCELED) {
		/* Its own Connect, in the ring, goes on: only what waits for it ends. */
		nvme_qpair_end_waiting(q, USK_NVME_SC_ABORTED_BY_REQUEST);
		rc = -ENXIO;
	} else if (rc == 0) {
		/*
		 * Rung as submissions are: at once, or with delay_doorbell at the
		 * next poll or flush (a submission may be what brought us here).
		 */
		nvme_qpair_submit_waiting(q);
	} else if (rc != -EAGAIN) {
		/* Its first Creates were refused: what waited for them will never go out. */
		q->connect_error = rc;
		nvme_qpair_abort_all(q);
	}
	return rc;
}

static int nvme_qpair_connect_wait(struct usk_nvme_qpair *q)
{
	int rc;

	while ((rc = nvme_qpair_resync(q)) == -EAGAIN) {
		nvme_admin_nap(q->ctrlr);
	}
	return rc;
}

int nvme_qpair_create_first(struct usk_nvme_qpair *q)
{
	q->synced_state = NVME_QPAIR_NO_QUEUES;
	return nvme_qpair_connect_wait(q);
}

int nvme_qpair_connect(struct usk_nvme_qpair *q, bool connect_async)
{
	int rc;

	if (!connect_async) {
		rc = nvme_qpair_create_first(q);
		if (rc == 0) {
			nvme_ctrlr_set_io_qpair(q->ctrlr, q->id, q);
		}
		return rc;
	}
	q->synced_state = NVME_QPAIR_NO_QUEUES;
	nvme_ctrlr_set_io_qpair(q->ctrlr, q->id, q);
	rc = nvme_qpair_resync(q);
	if (rc == -EAGAIN) {
		return 0;
	}
	if (rc != 0) {
		nvme_ctrlr_set_io_qpair(q->ctrlr, q->id, NULL);
	}
	return rc;
}
