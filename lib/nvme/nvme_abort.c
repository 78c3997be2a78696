/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Aborting commands (base 5.1). A command still waiting for the ring has
 * not reached the controller: it ends here. One the controller has gets an
 * Abort admin command; the controller then ends it with Command Abort
 * Requested, or, if it cannot (it may always decline), the command
 * completes as it would have.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"

int nvme_qpair_send_abort(struct usk_nvme_qpair *q, uint16_t cid, bool try_lock)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_ABORT,
				   .cdw10 = (uint32_t)cid << 16 | q->id};

	/* Its answer only says whether the controller will end the command: the command's own
	 * completion tells the rest, so no one waits for it. */
	return nvme_admin_post(q->ctrlr, &cmd, try_lock);
}

static bool nvme_cmd_is_for(usk_nvme_cmd_cb cb, const void *cb_arg, const void *user_arg)
{
	return cb_arg == user_arg || nvme_split_is_for(cb, cb_arg, user_arg);
}

/* Ends the waiting commands of @cb_arg, keeping the others in order. */
static int nvme_qpair_abort_waiting(struct usk_nvme_qpair *q, const void *cb_arg)
{
	struct usk_nvme_cqe cpl = {.sqid = q->id,
				   .status = (uint16_t)(USK_NVME_SC_ABORTED_BY_REQUEST << 1)};
	struct nvme_request *ended = nvme_qpair_take_waiting(q, nvme_cmd_is_for, cb_arg);
	int count = 0;

	/* Callbacks last: they may submit, which appends to the list just mended. */
	while (ended != NULL) {
		struct nvme_request *req = ended;

		ended = req->next;
		req->next = q->free_requests;
		q->free_requests = req;
		req->cb(req->cb_arg, &cpl);
		count++;
	}
	return count;
}

int usk_nvme_qpair_abort(struct usk_nvme_qpair *q, const void *cb_arg)
{
	int count;

	if (usk_nvme_ctrlr_is_failed(q->ctrlr)) {
		return -ENXIO;
	}
	count = nvme_qpair_abort_waiting(q, cb_arg);
	for (uint16_t cid = 0; cid < q->num_entries; cid++) {
		struct nvme_tracker *tr = &q->trackers[cid];

		if (tr->active && nvme_cmd_is_for(tr->cb, tr->cb_arg, cb_arg)) {
			int rc = nvme_qpair_send_abort(q, cid, false);

			if (rc == -ENXIO) {
				return rc;
			}
			tr->abort_requested = true;
			count += rc == 0;
		}
	}
	return count;
}
