/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O command timeouts. A command late by the I/O timeout gets an Abort
 * (base 5.1) and one more timeout to complete; still late, the controller
 * is reset, which ends it. Neither waits on this thread: the Abort is sent
 * and its answer left to the admin poll, and the reset is asked of the
 * admin poll (usk_nvme_ctrlr_process_admin_completions), which does it. The clock is read once per poll, not per
 * command: a command is stamped with its queue pair's last poll, and the
 * ring is scanned four times per timeout, so a timeout fires between 1 and
 * 1.25 times the set value after the command went out.
 *
 * The late command ends with Command Abort Requested, whether the controller
 * aborted it or the reset ended it; the others a reset ends get Command
 * Aborted due to SQ Deletion, which a caller may retry (see nvme.h).
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/log.h"

void nvme_qpair_scan_timeouts(struct usk_nvme_qpair *q, uint64_t now)
{
	q->next_timeout_check = now + q->timeout_ticks / 4;
	/* The ring is stale once the controller was reset (by another thread too): stop there. */
	for (uint16_t cid = 0; cid < q->num_entries && nvme_qpair_in_sync(q); cid++) {
		struct nvme_tracker *tr = &q->trackers[cid];
		int rc = 0;

		if (!tr->active) {
			continue;
		}
		/* Stamped before the clock went back: its wait starts again from the new clock. */
		if (usk_ticks_since_restamping(now, &tr->submit_tick) < q->timeout_ticks) {
			continue;
		}
		if (!tr->abort_requested) {
			bool abort = q->ctrlr->opts.io_timeout_action == USK_NVME_TIMEOUT_ABORT;

			/* Never waits: the admin lock busy, the next scan tries again. */
			rc = abort ? nvme_qpair_send_abort(q, cid, true) : -ECANCELED;
			if (rc == -EBUSY) {
				continue;
			}
			USK_WARNLOG("%s: qpair %u: command %u timed out after %u ms; %s", q->ctrlr->name,
				    q->id, cid, q->ctrlr->opts.io_timeout_ms,
				    abort ? "aborting it" : "resetting the controller");
		}
		if (rc == -ENXIO) {
			return;
		}
		if (tr->abort_requested || rc != 0) {
			USK_ERRLOG("%s: qpair %u: command %u still outstanding; resetting the "
				   "controller",
				   q->ctrlr->name, q->id, cid);
			/*
			 * Done by the next admin poll, not here: this thread may not wait.
			 * Its commands, this one among them, end on the poll after it.
			 */
			tr->abort_requested = true;
			nvme_ctrlr_request_reset(q->ctrlr, q->synced_state, q->id);
			return;
		}
		tr->abort_requested = true;
		tr->submit_tick = now;
	}
}
