/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin queue: commands sent with a callback (usk_nvme_ctrlr_cmd_admin_raw),
 * the poll that reaps them, and the synchronous wrapper tools use.
 *
 * Any thread may send; the admin lock is held only to touch the ring, never
 * while waiting. A caller's callback does not run inside the reap (which
 * holds the lock): its completion is set aside and the callback runs from
 * usk_nvme_ctrlr_process_admin_completions() with no lock held, so it may
 * send admin commands again or wait on one. The driver's own short
 * callbacks (a synchronous waiter's copy, an event request's bookkeeping)
 * run inside the reap.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "nvme_internal.h"
#include "usk/log.h"

/* A caller's admin command: its callback, and its completion once it has one. */
struct nvme_admin_req {
	struct usk_nvme_ctrlr *ctrlr;
	usk_nvme_cmd_cb cb;
	void *cb_arg;
	uint64_t deadline; /* ticks; a command still out then is lost to the controller */
	uint8_t opcode;
	bool in_flight;
	struct usk_nvme_cqe cpl;
	struct nvme_admin_req *next;
};

int nvme_admin_reqs_alloc(struct usk_nvme_ctrlr *c)
{
	/* As many as the admin queue pair accepts: its ring and its waiting room. */
	uint32_t count = (uint32_t)c->admin->num_entries * (1 + NVME_WAITING_PER_ENTRY);

	c->admin_reqs = calloc(count, sizeof(*c->admin_reqs));
	if (c->admin_reqs == NULL) {
		return -ENOMEM;
	}
	c->admin_reqs_count = count;
	for (uint32_t i = 0; i < count; i++) {
		c->admin_reqs[i].ctrlr = c;
		c->admin_reqs[i].next = c->admin_free;
		c->admin_free = &c->admin_reqs[i];
	}
	return 0;
}

void nvme_admin_reqs_free(struct usk_nvme_ctrlr *c)
{
	free(c->admin_reqs);
	c->admin_reqs = NULL;
}

/* Inside the reap, the admin lock held: set the completion aside for the poll. */
static void nvme_admin_req_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_admin_req *req = arg;
	struct usk_nvme_ctrlr *c = req->ctrlr;

	req->cpl = *cpl;
	req->in_flight = false;
	req->next = NULL;
	if (c->admin_done_tail != NULL) {
		c->admin_done_tail->next = req;
	} else {
		c->admin_done_head = req;
	}
	c->admin_done_tail = req;
}

/* Why a caller's command cannot be sent now, or 0; the admin lock is held. */
static int nvme_admin_refusal(const struct usk_nvme_ctrlr *c)
{
	uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

	if (state & NVME_CTRLR_FAILED) {
		return -ENXIO;
	}
	/* A reset under way sends its own commands only: the admin queue is rebuilt meanwhile. */
	if (state & NVME_CTRLR_RESETTING) {
		return -EBUSY;
	}
	return c->admin_free == NULL ? -EAGAIN : 0;
}

int usk_nvme_ctrlr_cmd_admin_raw(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd,
				 void *buf, uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_admin_req *req = NULL;
	int rc;

	if (cb == NULL) {
		return -EINVAL;
	}
	pthread_mutex_lock(&c->admin_lock);
	rc = nvme_admin_refusal(c);
	if (rc == 0) {
		req = c->admin_free;
		req->deadline = nvme_ticks() + nvme_admin_timeout_ticks(c);
		rc = nvme_qpair_submit(c->admin, cmd, buf, len, nvme_admin_req_done, req);
	}
	if (rc == 0) {
		c->admin_free = req->next;
		req->cb = cb;
		req->cb_arg = cb_arg;
		req->opcode = cmd->opcode;
		req->in_flight = true;
		__atomic_add_fetch(&c->admin_outstanding, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&c->admin_lock);
	return rc;
}

int nvme_admin_post(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd, bool try_lock)
{
	int rc;

	if (try_lock) {
		if (pthread_mutex_trylock(&c->admin_lock) != 0) {
			return -EBUSY;
		}
	} else {
		pthread_mutex_lock(&c->admin_lock);
	}
	rc = nvme_admin_refusal(c);
	/* No callback: the answer is reaped and dropped by whoever polls the admin queue. */
	if (rc == 0) {
		rc = nvme_qpair_submit(c->admin, cmd, NULL, 0, NULL, NULL);
	}
	pthread_mutex_unlock(&c->admin_lock);
	return rc;
}

bool usk_nvme_ctrlr_admin_busy(const struct usk_nvme_ctrlr *c)
{
	return __atomic_load_n(&c->admin_outstanding, __ATOMIC_RELAXED) != 0 ||
	       nvme_ctrlr_reset_pending(c) ||
	       __atomic_load_n(&c->fail_request, __ATOMIC_RELAXED) != NULL;
}

bool nvme_admin_find_late(struct usk_nvme_ctrlr *c, uint64_t now)
{
	uint64_t span = nvme_admin_timeout_ticks(c);

	for (uint32_t i = 0; i < c->admin_reqs_count; i++) {
		struct nvme_admin_req *req = &c->admin_reqs[i];

		/* Sent before the clock went back: its wait starts again on the new clock. */
		usk_ticks_rebase(now, &req->deadline, span);
		if (req->in_flight && now > req->deadline) {
			USK_ERRLOG("%s: admin command 0x%02x timed out after %u ms; resetting the "
				   "controller",
				   c->name, req->opcode, c->opts.admin_timeout_ms);
			return true;
		}
	}
	return false;
}

/* Takes the next completion set aside, or NULL; the admin lock is not held. */
static struct nvme_admin_req *nvme_admin_next_done(struct usk_nvme_ctrlr *c,
						   struct nvme_admin_req *out)
{
	struct nvme_admin_req *req;

	pthread_mutex_lock(&c->admin_lock);
	req = c->admin_done_head;
	if (req != NULL) {
		c->admin_done_head = req->next;
		if (c->admin_done_head == NULL) {
			c->admin_done_tail = NULL;
		}
		*out = *req;
		/* Back in the pool before the callback runs: it may send the next one. */
		req->next = c->admin_free;
		c->admin_free = req;
	}
	pthread_mutex_unlock(&c->admin_lock);
	return req != NULL ? out : NULL;
}

int nvme_admin_run_callbacks(struct usk_nvme_ctrlr *c)
{
	struct nvme_admin_req done;
	int count = 0;

	while (nvme_admin_next_done(c, &done) != NULL) {
		__atomic_sub_fetch(&c->admin_outstanding, 1, __ATOMIC_RELAXED);
		done.cb(done.cb_arg, &done.cpl);
		count++;
	}
	nvme_ctrlr_run_reset_callbacks(c);
	return count;
}

int nvme_admin_poll(struct usk_nvme_ctrlr *c)
{
	int rc;

	pthread_mutex_lock(&c->admin_lock);
	rc = usk_nvme_qpair_process_completions(c->admin, 0);
	if (rc >= 0) {
		nvme_ctrlr_fail_if_asked(c);
		nvme_ctrlr_reset_poll(c);
		/* Last: a failure started by this poll has its first look now. */
		nvme_ctrlr_fail_poll(c);
	}
	pthread_mutex_unlock(&c->admin_lock);
	return rc;
}

void nvme_admin_nap(struct usk_nvme_ctrlr *c)
{
	const struct timespec nap = {0, 10 * 1000};

	nvme_admin_poll(c);
	nanosleep(&nap, NULL);
}

static void nvme_admin_sync_done(void *cb_arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_cqe *out = cb_arg;
	struct usk_nvme_cqe copy = *cpl;

	/* The phase bit marks the copy done; the waiter may read it from another thread. */
	copy.status |= 1;
	out->dw0 = copy.dw0;
	out->sqid = copy.sqid;
	out->sqhd = copy.sqhd;
	out->cid = copy.cid;
	__atomic_store_n(&out->status, copy.status, __ATOMIC_RELEASE);
}

/*
 * The waiter gives up on its command (late, or the controller failed):
 * returns whether it completed after all. Otherwise its callback is dropped,
 * so the command can end later without writing to the waiter's frame, and a
 * late one has the controller reset (by the next admin poll), which ends it
 * and frees its entry.
 * During bring-up there is nothing to reset to; attach fails instead.
 */
static bool nvme_admin_sync_abandon(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd,
				    const struct usk_nvme_cqe *waiter, bool late)
{
	bool done;

	pthread_mutex_lock(&c->admin_lock);
	done = (__atomic_load_n(&waiter->status, __ATOMIC_ACQUIRE) & 1) != 0;
	if (!done) {
		nvme_qpair_forget(c->admin, waiter);
	}
	if (!done && late) {
		USK_ERRLOG("%s: admin command 0x%02x timed out after %u ms", c->name,
			   cmd->opcode, c->opts.admin_timeout_ms);
		if (c->ready) {
			nvme_ctrlr_request_reset(c, __atomic_load_n(&c->state, __ATOMIC_ACQUIRE),
						 NVME_RESET_SPARE_ALL);
		}
	}
	pthread_mutex_unlock(&c->admin_lock);
	return done;
}

/* Waits for @done to be filled in, reaping the admin queue without holding its lock meanwhile. */
static int nvme_admin_sync_wait(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd,
				const struct usk_nvme_cqe *done, uint64_t deadline)
{
	/* Short: under emulation an admin command takes some 100 us. */
	const struct timespec nap = {0, 10 * 1000};

	for (;;) {
		int rc = nvme_admin_poll(c);

		if (__atomic_load_n(&done->status, __ATOMIC_ACQUIRE) & 1) {
			return 0;
		}
		if (rc < 0 || nvme_deadline_passed(&deadline, nvme_admin_timeout_ticks(c))) {
			bool late = rc >= 0;

			if (nvme_admin_sync_abandon(c, cmd, done, late)) {
				return 0;
			}
			return late ? -ETIMEDOUT : rc;
		}
		nanosleep(&nap, NULL);
	}
}

/*
 * Sends a waiter's command once no reset is under way or asked for (moving
 * the reset on meanwhile: each of its steps has a deadline), with its
 * @deadline set just before it goes out. Returns 0, -ENXIO (failed) or the
 * submission's error.
 */
static int nvme_admin_sync_submit(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd,
				  void *buf, uint32_t len, struct usk_nvme_cqe *done,
				  uint64_t *deadline)
{
	for (;;) {
		uint32_t state;
		int rc = -ENXIO;

		nvme_ctrlr_reset_settle(c);
		/* Under the lock no reset starts between the look and the submission. */
		pthread_mutex_lock(&c->admin_lock);
		state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		if (!(state & (NVME_CTRLR_FAILED | NVME_CTRLR_RESETTING))) {
			/* Set before the command goes out: the controller may take it at once. */
			*deadline = nvme_ticks() + nvme_admin_timeout_ticks(c);
			rc = nvme_qpair_submit(c->admin, cmd, buf, len, nvme_admin_sync_done, done);
		}
		pthread_mutex_unlock(&c->admin_lock);
		if ((state & (NVME_CTRLR_FAILED | NVME_CTRLR_RESETTING)) != NVME_CTRLR_RESETTING) {
			return rc;
		}
	}
}

int usk_nvme_ctrlr_admin_cmd_sync(struct usk_nvme_ctrlr *c, struct usk_nvme_sqe *cmd, void *buf,
				  uint32_t len, struct usk_nvme_cqe *cpl)
{
	uint64_t deadline;
	struct usk_nvme_cqe done = {0};
	int rc = nvme_admin_sync_submit(c, cmd, buf, len, &done, &deadline);

	if (rc == 0) {
		rc = nvme_admin_sync_wait(c, cmd, &done, deadline);
	}
	if (rc != 0) {
		nvme_ctrlr_notify_if_failed(c);
		return rc;
	}
	if (cpl != NULL) {
		*cpl = done;
	}
	if (USK_NVME_STATUS_CODE(done.status) != 0) {
		USK_ERRLOG("%s: admin command 0x%02x failed: %s (sct 0x%x sc 0x%02x)", c->name,
			   cmd->opcode, usk_nvme_status_string(USK_NVME_STATUS_CODE(done.status)),
			   USK_NVME_STATUS_SCT(done.status), USK_NVME_STATUS_SC(done.status));
		return -EIO;
	}
	return 0;
}
