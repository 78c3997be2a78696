/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue pairs, whatever the transport: one tracker per entry (CID = tracker
 * index), commands that wait in order for a full queue, aborts. The
 * transport (nvme_transport.h) carries the commands and their completions.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "nvme_pcie.h"
#include "nvme_qpair_submit.h"
#include "nvme_transport.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

int nvme_qpair_submit_other(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			    const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	uint16_t cid = q->free_head;
	int rc;

	nvme_tracker_start(q, &q->trackers[cid], cb, cb_arg);
	rc = q->ops->qpair_submit(q, cid, cmd, data);
	if (rc != 0) {
		nvme_tracker_release(q, cid);
	}
	return rc;
}

bool nvme_qpair_payload_fits(const struct usk_nvme_qpair *q, const struct nvme_payload *data)
{
	return q->trtype == USK_NVME_TRANSPORT_PCIE ? nvme_pcie_qpair_payload_fits(q, data)
						    : q->ops->qpair_payload_fits(q, data);
}

/* Queues a command behind the others waiting for the ring (slow path). */
static int nvme_qpair_wait(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			   const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_request *req = q->free_requests;

	/* A bad buffer is bad input whether or not there is room to wait. */
	if (!nvme_qpair_payload_fits(q, data)) {
		return -EINVAL;
	}
	if (req == NULL) {
		return -EAGAIN;
	}
	q->free_requests = req->next;
	*req = (struct nvme_request){.cmd = *cmd, .data = *data, .cb = cb, .cb_arg = cb_arg};
	if (q->waiting_tail != NULL) {
		q->waiting_tail->next = req;
	} else {
		q->waiting_head = req;
	}
	q->waiting_tail = req;
	q->waiting++;
	return 0;
}

int nvme_qpair_submit_slow(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			   const struct nvme_payload *data, usk_nvme_cmd_cb cb, void *cb_arg)
{
	/* Being disconnected: its SQ may be deleted already, while the last completions are reaped. */
	if (q->closing) {
		return -ENXIO;
	}
	if (!nvme_qpair_in_sync(q)) {
		/* Inside the reap loop the ring is not rebuilt: the command waits for the next
		 * poll. */
		int rc = !q->in_completions		      ? nvme_qpair_resync(q)
			 : usk_nvme_ctrlr_is_failed(q->ctrlr) ? -ENXIO
							      : -EAGAIN;

		if (rc == -EAGAIN) {
			return nvme_qpair_wait(q, cmd, data, cb, cb_arg);
		}
		if (rc != 0) {
			return rc;
		}
	}
	if (nvme_qpair_must_wait(q)) {
		return nvme_qpair_wait(q, cmd, data, cb, cb_arg);
	}
	return nvme_qpair_submit_now(q, cmd, data, cb, cb_arg);
}

int nvme_qpair_submit(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd, const void *buf,
		      uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg)
{
	const struct nvme_payload data = {.buf = buf, .len = len};

	return nvme_qpair_submit_payload(q, cmd, &data, cb, cb_arg);
}

int nvme_qpair_submit_direct(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd,
			     const void *buf, uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg)
{
	const struct nvme_payload data = {.buf = buf, .len = len};

	if (q->free_head == q->num_entries) {
		return -EAGAIN;
	}
	return nvme_qpair_submit_now(q, cmd, &data, cb, cb_arg);
}

void nvme_qpair_submit_waiting(struct usk_nvme_qpair *q)
{
	/* Not into a ring the controller no longer has (a reset came): they wait for the rebuild.
	 */
	while (q->waiting_head != NULL && q->free_head != q->num_entries && !q->resyncing &&
	       nvme_qpair_in_sync(q)) {
		struct nvme_request *req = q->waiting_head;

		q->waiting_head = req->next;
		if (q->waiting_head == NULL) {
			q->waiting_tail = NULL;
		}
		q->waiting--;
		/* Checked when it was queued; the memory must stay registered meanwhile. */
		int rc = nvme_qpair_submit_now(q, &req->cmd, &req->data, req->cb, req->cb_arg);

		req->next = q->free_requests;
		q->free_requests = req;
		if (rc != 0) {
			struct usk_nvme_cqe cpl = {.sqid = q->id,
						   .status = USK_NVME_SC_DATA_TRANSFER_ERROR << 1};

			req->cb(req->cb_arg, &cpl);
		}
	}
}

uint32_t nvme_qpair_room(const struct usk_nvme_qpair *q)
{
	/* One entry stays empty. */
	return (uint32_t)(q->num_entries - 1) - q->outstanding + q->max_waiting - q->waiting;
}

void usk_nvme_qpair_flush(struct usk_nvme_qpair *q)
{
	if (q->trtype != USK_NVME_TRANSPORT_PCIE) {
		q->ops->qpair_flush(q);
		return;
	}
	/*
	 * No doorbell for a queue the controller no longer has: the first poll
	 * or flush after the rebuild rings.
	 */
	if (nvme_qpair_in_sync(q)) {
		nvme_pcie_qpair_ring_sq(q);
	}
}

int usk_nvme_qpair_process_completions(struct usk_nvme_qpair *q, uint32_t max)
{
	return q->trtype == USK_NVME_TRANSPORT_PCIE
		       ? nvme_pcie_qpair_process_completions(q, max)
		       : q->ops->qpair_process_completions(q, max);
}

uint32_t usk_nvme_qpair_get_outstanding(const struct usk_nvme_qpair *q)
{
	return q->outstanding + q->waiting;
}

struct usk_nvme_ctrlr *usk_nvme_qpair_get_ctrlr(const struct usk_nvme_qpair *q)
{
	return q->ctrlr;
}

void usk_nvme_qpair_get_stats(const struct usk_nvme_qpair *q, struct usk_nvme_qpair_stats *stats)
{
	size_t size = stats->stats_size;

	/* A caller built against an older, shorter struct gets the fields it knows. */
	memcpy(stats, &q->stats, USK_MIN(size, sizeof(q->stats)));
	stats->stats_size = size;
}

static struct usk_nvme_cqe *nvme_abort_cpl(struct usk_nvme_qpair *q, struct usk_nvme_cqe *cpl,
					   uint8_t sc)
{
	*cpl = (struct usk_nvme_cqe){.sqid = q->id, .status = (uint16_t)(sc << 1)};
	return cpl;
}

void nvme_qpair_abort_trackers(struct usk_nvme_qpair *q, uint8_t sc)
{
	struct usk_nvme_cqe cpl;

	for (uint16_t cid = 0; cid < q->num_entries; cid++) {
		struct nvme_tracker *tr = &q->trackers[cid];

		if (tr->active) {
			usk_nvme_cmd_cb cb = tr->cb;

			nvme_abort_cpl(q, &cpl, tr->abort_requested ? USK_NVME_SC_ABORTED_BY_REQUEST : sc)
				->cid = cid;
			nvme_tracker_release(q, cid);
			if (cb != NULL) {
				cb(tr->cb_arg, &cpl);
			}
		}
	}
}

void nvme_qpair_end_waiting(struct usk_nvme_qpair *q, uint8_t sc)
{
	struct usk_nvme_cqe cpl;

	while (q->waiting_head != NULL) {
		struct nvme_request *req = q->waiting_head;

		q->waiting_head = req->next;
		if (q->waiting_head == NULL) {
			q->waiting_tail = NULL;
		}
		q->waiting--;
		req->next = q->free_requests;
		q->free_requests = req;
		req->cb(req->cb_arg, nvme_abort_cpl(q, &cpl, sc));
	}
}

void nvme_qpair_abort_all(struct usk_nvme_qpair *q)
{
	/* The waiting ones first: completions of the others could start them. */
	nvme_qpair_end_waiting(q, USK_NVME_SC_ABORTED_BY_REQUEST);
	nvme_qpair_abort_trackers(q, USK_NVME_SC_ABORTED_BY_REQUEST);
}

struct nvme_request *nvme_qpair_take_waiting(struct usk_nvme_qpair *q,
					     bool (*match)(usk_nvme_cmd_cb cb, const void *cb_arg,
							   const void *arg),
					     const void *arg)
{
	struct nvme_request **link = &q->waiting_head;
	struct nvme_request *taken = NULL, *prev = NULL;

	while (*link != NULL) {
		struct nvme_request *req = *link;

		if (!match(req->cb, req->cb_arg, arg)) {
			prev = req;
			link = &req->next;
			continue;
		}
		*link = req->next;
		q->waiting--;
		req->next = taken;
		taken = req;
	}
	q->waiting_tail = prev;
	return taken;
}

static bool nvme_cb_arg_is(usk_nvme_cmd_cb cb, const void *cb_arg, const void *arg)
{
	return cb_arg == arg;
}

void nvme_qpair_forget(struct usk_nvme_qpair *q, const void *cb_arg)
{
	struct nvme_request *req = nvme_qpair_take_waiting(q, nvme_cb_arg_is, cb_arg);

	/* Never sent: nothing will answer it, and its caller's @cb_arg may go away. */
	while (req != NULL) {
		struct nvme_request *next = req->next;

		req->next = q->free_requests;
		q->free_requests = req;
		req = next;
	}
	for (uint16_t cid = 0; cid < q->num_entries; cid++) {
		if (q->trackers[cid].active && q->trackers[cid].cb_arg == cb_arg) {
			q->trackers[cid].cb = NULL;
		}
	}
}

int nvme_qpair_create(struct usk_nvme_ctrlr *ctrlr, uint16_t id, uint16_t entries,
		      uint32_t max_waiting, struct usk_nvme_qpair **qpair)
{
	struct usk_nvme_qpair *q = calloc(1, ctrlr->ops->qpair_size);
	int rc;

	if (q == NULL) {
		return -ENOMEM;
	}
	q->ctrlr = ctrlr;
	q->trtype = ctrlr->trtype;
	q->ops = ctrlr->ops;
	q->synced_state = __atomic_load_n(&ctrlr->state, __ATOMIC_ACQUIRE);
	q->ring_gen = q->synced_state >> NVME_CTRLR_GEN_SHIFT;
	q->connecting_for = NVME_QPAIR_NO_QUEUES;
	q->id = id;
	q->num_entries = entries;
	q->phase = 1;
	q->stats.stats_size = sizeof(q->stats);
	q->trackers = calloc(entries, sizeof(*q->trackers));
	q->max_waiting = max_waiting;
	q->requests = calloc(max_waiting, sizeof(*q->requests));
	q->splits = calloc(entries, sizeof(*q->splits));
	if (q->trackers == NULL || q->requests == NULL || q->splits == NULL) {
		rc = -ENOMEM;
		goto free_qpair;
	}
	for (uint32_t i = 0; i < max_waiting; i++) {
		q->requests[i].next = q->free_requests;
		q->free_requests = &q->requests[i];
	}
	for (uint32_t i = 0; i < entries; i++) {
		q->splits[i].qpair = q;
		q->splits[i].next = q->free_splits;
		q->free_splits = &q->splits[i];
	}
	/* One tracker per entry but one: a full ring would look empty (base 3.3.1.5). */
	q->free_head = 0;
	for (uint16_t i = 0; i < entries; i++) {
		q->trackers[i].next_free = i + 1 < entries - 1 ? i + 1 : entries;
	}
	rc = ctrlr->ops->qpair_init(q);
	if (rc != 0) {
		goto free_qpair;
	}
	*qpair = q;
	return 0;

free_qpair:
	nvme_qpair_destroy(q);
	return rc;
}

void nvme_qpair_destroy(struct usk_nvme_qpair *q)
{
	if (q == NULL) {
		return;
	}
	q->ops->qpair_fini(q);
	free(q->splits);
	free(q->requests);
	free(q->trackers);
	free(q);
}
