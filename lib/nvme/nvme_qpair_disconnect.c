/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Taking an I/O queue pair's queues off the controller without waiting
 * (usk_nvme_qpair_disconnect), on the thread that owns it.
 *
 * The owner posts Delete I/O SQ. The controller ends the commands it had
 * fetched from that SQ (posting them on the CQ) before it answers; once the
 * answer is seen, the owner reaps them and posts Delete I/O CQ (base 5.5,
 * 5.6: a CQ is deleted only once no SQ feeds it). Each Delete's callback,
 * run by whoever reaps the admin queue, publishes its outcome as the
 * Creates' do (nvme_qpair_connect.c), and the owner's polls look at it.
 *
 * No Delete is posted while a reset is under way: the reset's disable takes
 * every queue off the controller, so once it is over the queues are simply
 * gone. A Delete refused has the controller reset, for the same reason; a
 * Delete lost too, sparing every queue (a controller that loses admin
 * commands would answer no Delete the reset sends). The queue ID is given
 * back only once the queues are gone; what is still left in the queue pair
 * (commands waiting for the ring, or never fetched) then ends with Command
 * Abort Requested, exactly once.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/log.h"

/* Inside the admin reap: the Delete's outcome, for the owner's next look. */
static void nvme_qpair_deleted(void *arg, const struct usk_nvme_cqe *cpl)
{
	nvme_qpair_step_end(arg, USK_NVME_STATUS_CODE(cpl->status) == 0 ? NVME_QPAIR_STEP_DONE
									 : -EIO);
}

/*
 * Posts Delete I/O SQ or CQ, under the admin lock taken without waiting,
 * if the queues are on the controller as it is now (no reset under way,
 * none since they were made). Otherwise the next poll tries again, or sees
 * the queues gone.
 */
static void nvme_qpair_delete_post(struct usk_nvme_qpair *q, uint8_t opcode, uint8_t next)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	struct usk_nvme_sqe cmd = {.opcode = opcode, .cdw10 = q->id};

	if (pthread_mutex_trylock(&c->admin_lock) != 0) {
		return;
	}
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == q->synced_state) {
		nvme_qpair_step_end(q, NVME_QPAIR_STEP_UNDER_WAY);
		if (nvme_qpair_submit(c->admin, &cmd, NULL, 0, nvme_qpair_deleted, q) == 0) {
			q->step_deadline = nvme_ticks() + nvme_admin_timeout_ticks(c);
			q->disconnect = next;
		}
	}
	pthread_mutex_unlock(&c->admin_lock);
}

static void nvme_qpair_disconnect_error(struct usk_nvme_qpair *q, int rc)
{
	if (q->disconnect_rc == 0) {
		q->disconnect_rc = rc;
	}
}

/* Looks at the Delete out: NVME_QPAIR_STEP_UNDER_WAY while it still is. */
static int nvme_qpair_delete_look(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	int status = nvme_qpair_step_look(q);

	if (status == NVME_QPAIR_STEP_UNDER_WAY) {
		if (nvme_deadline_passed(&q->step_deadline, nvme_admin_timeout_ticks(c))) {
			nvme_qpair_disconnect_error(q, -ETIMEDOUT);
			nvme_ctrlr_request_reset(c, q->synced_state, NVME_RESET_SPARE_ALL);
		}
		return status;
	}
	if (status == NVME_QPAIR_STEP_DONE) {
		q->disconnect = q->disconnect == NVME_DISCONNECT_SQ_OUT ? NVME_DISCONNECT_DELETE_CQ
									: NVME_DISCONNECT_GONE;
		return status;
	}
	/* Ended by a reset, rather than refused, if the state moved: the check after says. */
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == q->synced_state) {
		USK_ERRLOG("%s: qpair %u: the controller refused to delete its queues; resetting it",
			   c->name, q->id);
		nvme_qpair_disconnect_error(q, status);
	}
	q->disconnect = NVME_DISCONNECT_REFUSED;
	return status;
}

/*
 * The queues are off the controller: gives the queue ID back (under the
 * admin lock taken without waiting: -EAGAIN when busy), then ends what is
 * left. Returns -ENOTCONN once done.
 */
static int nvme_qpair_disconnect_end(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;

	if (pthread_mutex_trylock(&c->admin_lock) != 0) {
		return -EAGAIN;
	}
	c->io_qpairs[q->id] = NULL;
	nvme_ctrlr_release_qid_locked(c, q->id);
	pthread_mutex_unlock(&c->admin_lock);
	/* From here on nothing of the queue pair touches the controller. */
	q->synced_state = NVME_QPAIR_NO_QUEUES;
	q->disconnect = NVME_DISCONNECT_DONE;
	nvme_qpair_abort_all(q);
	return -ENOTCONN;
}

/*
 * Moves the disconnection on, without reaping the queue pair: -ENOTCONN
 * once it is done, else 0.
 */
static int nvme_qpair_disconnect_advance(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint32_t state;

	/* Creates still out point at the queue pair: let them end, so its queues are known. */
	if (q->connecting_for != NVME_QPAIR_NO_QUEUES && nvme_qpair_connect_check(q) == -EAGAIN) {
		return 0;
	}
	if ((q->disconnect == NVME_DISCONNECT_SQ_OUT || q->disconnect == NVME_DISCONNECT_CQ_OUT) &&
	    nvme_qpair_delete_look(q) == NVME_QPAIR_STEP_UNDER_WAY) {
		return 0;
	}
	state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	/* A reset (once over) or a failure took the queues, or they were never made. */
	if ((state & NVME_CTRLR_FAILED) ||
	    (state != q->synced_state && !(state & NVME_CTRLR_RESETTING))) {
		q->disconnect = NVME_DISCONNECT_GONE;
	}
	if (q->disconnect == NVME_DISCONNECT_GONE) {
		return nvme_qpair_disconnect_end(q) == -ENOTCONN ? -ENOTCONN : 0;
	}
	if (state != q->synced_state) {
		return 0; /* a reset under way: no Delete now, and the queues go with it */
	}
	if (q->disconnect == NVME_DISCONNECT_DELETE_SQ) {
		nvme_qpair_delete_post(q, USK_NVME_OPC_DELETE_IO_SQ, NVME_DISCONNECT_SQ_OUT);
	} else if (q->disconnect == NVME_DISCONNECT_REFUSED) {
		nvme_ctrlr_request_reset(c, state, NVME_RESET_SPARE_NONE);
	}
	return 0;
}

int nvme_qpair_disconnect_poll(struct usk_nvme_qpair *q, uint32_t max)
{
	int reaped = 0;

	if (q->disconnect == NVME_DISCONNECT_DONE ||
	    nvme_qpair_disconnect_advance(q) == -ENOTCONN) {
		q->stats.idle_polls++;
		return -ENOTCONN;
	}
	/* While its CQ is there, as its own: the SQ deletion's entries are among them. */
	if (q->disconnect <= NVME_DISCONNECT_DELETE_CQ && nvme_qpair_in_sync(q)) {
		reaped = nvme_pcie_qpair_reap(q, q->disconnect == NVME_DISCONNECT_DELETE_CQ ? 0 : max);
	}
	/* Every entry the SQ deletion posted is reaped: the CQ may go. */
	if (q->disconnect == NVME_DISCONNECT_DELETE_CQ) {
		nvme_qpair_delete_post(q, USK_NVME_OPC_DELETE_IO_CQ, NVME_DISCONNECT_CQ_OUT);
	}
	return reaped;
}

int usk_nvme_qpair_disconnect(struct usk_nvme_qpair *q)
{
	if (q->id == 0) {
		return -EINVAL;
	}
	if (q->closing) {
		return -EALREADY;
	}
	/* Its controller may be detached once it is disconnected: it has no interrupt from here. */
	nvme_qpair_irq_release(q);
	/* A delayed doorbell's batch never rung stays so: it ends with what never went out. */
	q->closing = true;
	if (q->trtype != USK_NVME_TRANSPORT_PCIE) {
		return q->ops->qpair_disconnect(q);
	}
	q->disconnect = NVME_DISCONNECT_DELETE_SQ;
	nvme_qpair_disconnect_advance(q);
	return 0;
}
