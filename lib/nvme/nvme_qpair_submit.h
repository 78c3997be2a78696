/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A command's way into its queue pair when nothing stands in it: inline,
 * so that a namespace read or write makes no call of its own between the
 * public function and the IOVA translation. Everything else (waiting for
 * room, a ring being rebuilt, another transport) is in nvme_qpair.c.
 */
#ifndef USK_NVME_QPAIR_SUBMIT_H
#define USK_NVME_QPAIR_SUBMIT_H

#include "nvme_internal.h"
#include "nvme_pcie.h"

/* What nvme_qpair_submit_payload() does when the command cannot go out at once (nvme_qpair.c). */
int nvme_qpair_submit_slow(struct usk_nvme_qpair *qpair, const struct usk_nvme_sqe *cmd,
			   const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg);
/* nvme_qpair_submit_now() for a transport other than pcie: one indirect call (nvme_qpair.c). */
int nvme_qpair_submit_other(struct usk_nvme_qpair *qpair, const struct usk_nvme_sqe *cmd,
			    const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg);

/*
 * Whether a new command must wait: behind commands already waiting, to
 * keep the order, or for a free entry.
 */
static inline bool nvme_qpair_must_wait(const struct usk_nvme_qpair *q)
{
	return q->waiting_head != NULL || q->free_head == q->num_entries;
}

/* Marks tracker @tr, just taken, out with @cb/@cb_arg, stamped for timeouts. */
static inline void nvme_tracker_start(struct usk_nvme_qpair *q, struct nvme_tracker *tr,
				      usk_nvme_cmd_cb cb, void *cb_arg)
{
	q->free_head = tr->next_free;
	tr->cb = cb;
	tr->cb_arg = cb_arg;
	/*
	 * The clock of the last poll is stale after an idle spell: read it
	 * when the ring was empty.
	 */
	if (q->timeout_ticks != 0 && q->outstanding == 0) {
		q->now_tick = nvme_ticks();
	}
	tr->submit_tick = q->now_tick;
	tr->abort_requested = false;
	tr->active = true;
	q->outstanding++;
}

/*
 * Sends a command; the caller has checked that a tracker is free. Forced
 * inline: gcc keeps it a call in some of its callers.
 */
static inline __attribute__((always_inline)) int
nvme_qpair_submit_now(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
		      const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	uint16_t cid = q->free_head;
	struct nvme_tracker *tr;
	int rc;

	if (q->trtype != USK_NVME_TRANSPORT_PCIE) {
		return nvme_qpair_submit_other(q, cmd, data, cb, cb_arg);
	}
	tr = &q->trackers[cid];
	rc = nvme_pcie_qpair_place(q, tr, cid, cmd, data);
	if (rc != 0) {
		return rc;
	}
	nvme_tracker_start(q, tr, cb, cb_arg);
	nvme_pcie_qpair_advance_tail(q);
	return 0;
}

/*
 * As nvme_qpair_submit(), for flat or vectored data (an array kept until
 * the callback runs).
 */
static inline __attribute__((always_inline)) int
nvme_qpair_submit_payload(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			  const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	if (q->closing || !nvme_qpair_in_sync(q) || nvme_qpair_must_wait(q)) {
		return nvme_qpair_submit_slow(q, cmd, data, cb, cb_arg);
	}
	return nvme_qpair_submit_now(q, cmd, data, cb, cb_arg);
}

#endif /* USK_NVME_QPAIR_SUBMIT_H */
