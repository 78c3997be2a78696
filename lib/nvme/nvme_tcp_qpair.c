/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP queue pairs: the connection (non-blocking connect, ICReq and
 * ICResp, TCP transport 3.6.2), Fabrics Connect, the poll, and what
 * happens when the connection is lost: every command out ends once, and
 * the controller fails, or reconnects (nvme_reconnect.c) when its options
 * say so: an I/O queue pair then waits for the new association and makes
 * a new connection.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_fabrics.h"
#include "nvme_tcp.h"
#include "usk/log.h"
#include "usk_internal/sock.h"

/* Generic status Transient Transport Error (base 4.6.1.2.1): what a lost command ends with. */
#define NVME_TCP_SC_TRANSPORT_ERROR 0x22

int nvme_tcp_qpair_init(struct usk_nvme_qpair *q)
{
	struct nvme_tcp_qpair *tq = nvme_tcp_qpair(q);

	tq->cmds = calloc(q->num_entries, sizeof(*tq->cmds));
	tq->deferred = calloc(q->num_entries, sizeof(*tq->deferred));
	tq->recv_buf = malloc(NVME_TCP_RECV_BUF);
	/* The parser's own buffer bounds any data section: C2HData goes to the command's. */
	tq->own_data = malloc(NVME_MAX_XFER_SIZE);
	if (tq->cmds == NULL || tq->deferred == NULL || tq->recv_buf == NULL ||
	    tq->own_data == NULL) {
		return -ENOMEM;
	}
	return 0;
}

/* Closes the connection, if any; what was queued to go out is dropped with it. */
static void nvme_tcp_qpair_close(struct nvme_tcp_qpair *tq)
{
	usk_sock_close(tq->sock);
	tq->sock = NULL;
	tq->send_head = NULL;
	tq->send_tail = NULL;
}

int nvme_tcp_qpair_start(struct nvme_tcp_qpair *tq)
{
	struct usk_nvme_ctrlr *c = tq->base.ctrlr;
	const struct nvme_tcp_digests none = {.pda = 0};
	int rc;

	nvme_tcp_qpair_close(tq);
	memset(tq->cmds, 0, tq->base.num_entries * sizeof(*tq->cmds));
	nvme_tcp_pdu_recv_init(&tq->recv, NVME_TCP_ROLE_HOST, tq->own_data, NVME_MAX_XFER_SIZE);
	tq->recv_off = 0;
	tq->recv_len = 0;
	tq->deferred_count = 0;
	tq->send_dgst = none;
	tq->recv_dgst = none;
	tq->connect_sent = false;
	tq->connect_answered = false;
	tq->connected = false;
	tq->fail_why = NULL;
	tq->connect_deadline = nvme_ticks() + nvme_admin_timeout_ticks(c);
	rc = usk_sock_connect(c->trid.traddr, c->trid.trsvcid, &tq->sock);
	if (rc != 0) {
		USK_ERRLOG("%s: qpair %u: cannot connect: %s", c->name, tq->base.id, strerror(-rc));
		tq->state = NVME_TCP_FAILED;
		tq->fail_why = "the connection could not be started";
		return rc;
	}
	tq->state = NVME_TCP_CONNECTING;
	return 0;
}

void nvme_tcp_qpair_fini(struct usk_nvme_qpair *q)
{
	struct nvme_tcp_qpair *tq = nvme_tcp_qpair(q);

	nvme_tcp_qpair_close(tq);
	free(tq->own_data);
	free(tq->recv_buf);
	free(tq->deferred);
	free(tq->cmds);
}

/* A connected queue's connection is gone: the controller fails, or reconnects. */
static void nvme_tcp_qpair_lost(struct nvme_tcp_qpair *tq, const char *why)
{
	struct usk_nvme_qpair *q = &tq->base;
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

	if (!nvme_ctrlr_reconnects(c)) {
		nvme_ctrlr_request_fail(c, why);
		return;
	}
	if (q->id == 0) {
		nvme_ctrlr_request_reset(c, state, NVME_RESET_SPARE_ALL);
		return;
	}
	/* Out of sync: its next poll or submission rebuilds it, once the reconnect is done. */
	tq->lost = true;
	q->synced_state = NVME_QPAIR_NO_QUEUES;
	nvme_ctrlr_request_reset(c, tq->connect_for, NVME_RESET_SPARE_ALL);
}

void nvme_tcp_qpair_fail(struct nvme_tcp_qpair *tq, const char *why)
{
	if (tq->state == NVME_TCP_FAILED) {
		return;
	}
	USK_ERRLOG("%s: qpair %u: %s; its commands end with a transport error",
		   tq->base.ctrlr->name, tq->base.id, why);
	tq->state = NVME_TCP_FAILED;
	tq->fail_why = why;
	nvme_tcp_qpair_close(tq);
	/*
	 * The commands end in the next poll, never inside a caller's submission.
	 * A connection that never got its Connect answered fails its own
	 * creation only (the caller hears the error), not the controller.
	 */
	if (tq->connected) {
		nvme_tcp_qpair_lost(tq, why);
	}
}

void nvme_tcp_qpair_complete(struct nvme_tcp_qpair *tq, uint16_t cid, struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_qpair *q = &tq->base;
	struct nvme_tracker *tr = &q->trackers[cid];
	usk_nvme_cmd_cb cb = tr->cb;
	void *cb_arg = tr->cb_arg;

	cpl->cid = cid;
	cpl->sqid = q->id;
	nvme_tracker_release(q, cid);
	q->stats.completions++;
	if (cb != NULL) {
		cb(cb_arg, cpl);
	}
	if (q->waiting_head != NULL) {
		nvme_qpair_submit_waiting(q);
	}
}

/*
 * Runs the completions that waited for their command's PDU to be written,
 * in order, those a callback's flush sets aside meanwhile too: @max at
 * most (0: all); the rest wait for the next poll.
 */
static uint32_t nvme_tcp_run_deferred(struct nvme_tcp_qpair *tq, uint32_t max)
{
	uint32_t n;

	for (n = 0; n < tq->deferred_count && (max == 0 || n < max); n++) {
		uint16_t cid = tq->deferred[n];
		struct nvme_tcp_cmd *tc = &tq->cmds[cid];

		tc->cpl_pending = false;
		nvme_tcp_qpair_complete(tq, cid, &tc->cpl);
	}
	tq->deferred_count -= n;
	if (tq->deferred_count != 0) {
		memmove(tq->deferred, tq->deferred + n, tq->deferred_count * sizeof(*tq->deferred));
	}
	return n;
}

/* Builds and queues ICReq: no digests unless the options ask, HPDA 0, one R2T at a time. */
static void nvme_tcp_send_icreq(struct nvme_tcp_qpair *tq)
{
	const struct usk_nvme_ctrlr_opts *o = &tq->base.ctrlr->opts;
	struct usk_nvme_tcp_icreq *ic = &tq->icreq.pdu.hdr.icreq;
	const struct nvme_tcp_digests none = {.pda = 0};

	nvme_tcp_pdu_send_init(&tq->icreq.pdu, USK_NVME_TCP_PDU_ICREQ);
	ic->pfv = USK_NVME_TCP_PFV_1_0;
	ic->hpda = 0;
	ic->dgst = (o->header_digest ? USK_NVME_TCP_DGST_HDGST_ENABLE : 0) |
		   (o->data_digest ? USK_NVME_TCP_DGST_DDGST_ENABLE : 0);
	ic->maxr2t = 0;
	tq->icreq.iovcnt = nvme_tcp_pdu_build(&tq->icreq.pdu, &none, NULL, 0, tq->icreq.iov,
					      NVME_TCP_PDU_IOV_MAX);
	nvme_tcp_send_queue(tq, &tq->icreq);
}

/*
 * Moves the connection on: TCP connect, ICReq out, ICResp in. Returns 0
 * once running, -EAGAIN while under way, or the error that failed it.
 */
static int nvme_tcp_qpair_establish(struct nvme_tcp_qpair *tq)
{
	int rc;

	if (tq->state == NVME_TCP_CONNECTING) {
		rc = usk_sock_connect_poll(tq->sock);
		if (rc == -EAGAIN) {
			return rc;
		}
		if (rc != 0) {
			USK_ERRLOG("%s: qpair %u: connect failed: %s", tq->base.ctrlr->name,
				   tq->base.id, strerror(-rc));
			nvme_tcp_qpair_fail(tq, "the connection was refused");
			return rc;
		}
		nvme_tcp_send_icreq(tq);
		tq->state = NVME_TCP_IC_WAIT;
	}
	if (tq->state == NVME_TCP_IC_WAIT) {
		rc = nvme_tcp_send_flush(tq);
		if (rc == 0) {
			rc = nvme_tcp_recv_poll(tq, 0);
		}
		if (rc < 0) {
			return rc;
		}
	}
	return tq->state == NVME_TCP_RUNNING  ? 0
	       : tq->state == NVME_TCP_FAILED ? -ECONNRESET
					      : -EAGAIN;
}

static void nvme_tcp_connect_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_tcp_qpair *tq = arg;

	tq->connect_cpl = *cpl;
	tq->connect_answered = true;
}

/* Fabrics Connect for the queue, once ICResp has come (TCP transport 3.6.2). */
static int nvme_tcp_send_connect(struct nvme_tcp_qpair *tq)
{
	struct usk_nvme_qpair *q = &tq->base;
	struct usk_nvme_ctrlr *c = q->ctrlr;
	struct nvme_tcp_ctrlr *tc = nvme_tcp_ctrlr(c);
	struct usk_nvme_sqe cmd =
		nvme_fabrics_connect_cmd(q->id, q->num_entries, c->opts.keep_alive_timeout_ms);
	int rc;

	nvme_fabrics_connect_data(&tq->connect_data, c->trid.subnqn, tc->hostnqn, tc->hostid,
				  q->id == 0 ? USK_NVMF_CNTLID_DYNAMIC : tc->cntlid);
	rc = nvme_qpair_submit_direct(q, &cmd, &tq->connect_data, sizeof(tq->connect_data),
				      nvme_tcp_connect_done, tq);
	tq->connect_sent = rc == 0;
	return rc;
}

/* Connect was answered: the queue is connected, or refused. */
static int nvme_tcp_connect_end(struct nvme_tcp_qpair *tq)
{
	struct usk_nvme_qpair *q = &tq->base;
	struct nvme_tcp_ctrlr *tc = nvme_tcp_ctrlr(q->ctrlr);
	int rc = nvme_fabrics_connect_status(q, q->ctrlr->trid.subnqn, tc->hostnqn,
					     &tq->connect_cpl);

	tq->connect_answered = false;
	if (rc != 0) {
		nvme_tcp_qpair_fail(tq, "the controller refused Connect");
		return rc;
	}
	if (q->id == 0) {
		tc->cntlid = (uint16_t)tq->connect_cpl.dw0;
	}
	tq->connected = true;
	return 0;
}

int nvme_tcp_qpair_connect_poll(struct nvme_tcp_qpair *tq)
{
	int rc;

	if (tq->connected) {
		return 0;
	}
	rc = nvme_tcp_qpair_establish(tq);
	if (rc == 0 && !tq->connect_sent) {
		rc = nvme_tcp_send_connect(tq);
	}
	if (rc == 0) {
		rc = nvme_tcp_send_flush(tq);
	}
	if (rc == 0) {
		rc = nvme_tcp_recv_poll(tq, 0);
	}
	if (rc < 0 && rc != -EAGAIN) {
		return rc;
	}
	if (tq->connect_answered) {
		return nvme_tcp_connect_end(tq);
	}
	if (nvme_deadline_passed(&tq->connect_deadline, nvme_admin_timeout_ticks(tq->base.ctrlr))) {
		USK_ERRLOG("%s: qpair %u: no %s within the admin timeout (%u ms)",
			   tq->base.ctrlr->name, tq->base.id,
			   tq->state == NVME_TCP_CONNECTING ? "TCP connection"
			   : tq->connect_sent		    ? "answer to Connect"
							    : "ICResp",
			   tq->base.ctrlr->opts.admin_timeout_ms);
		/* Its answer may still come, to a connection closed by then. */
		nvme_qpair_forget(&tq->base, tq);
		nvme_tcp_qpair_fail(tq, "the connection was not made in time");
		return -ETIMEDOUT;
	}
	return -EAGAIN;
}

/* IOCCSZ (Identify Controller byte 1792, 16-byte units, the SQE included): in-capsule bytes. */
static uint32_t nvme_tcp_io_in_capsule(const struct usk_nvme_ctrlr *c)
{
	uint32_t ioccsz;

	memcpy(&ioccsz, (const uint8_t *)c->cdata + 1792, sizeof(ioccsz));
	return ioccsz > 4 ? (ioccsz - 4) * 16 : 0;
}

/* Drops the connection, if any: its commands end as a deleted queue's, to be sent again. */
static void nvme_tcp_qpair_drop(struct nvme_tcp_qpair *tq)
{
	nvme_tcp_qpair_close(tq);
	tq->state = NVME_TCP_IDLE;
	tq->deferred_count = 0;
	nvme_qpair_abort_trackers(&tq->base, USK_NVME_SC_ABORTED_SQ_DELETION);
}

/*
 * A new connection failed (@rc). The queue pair's first is the caller's to
 * hear of. One for a queue pair that was connected is made again
 * reconnect_delay_sec on, as the controller's reconnects are, until
 * ctrlr_loss_timeout_sec has passed since the first of these failures;
 * then, or at once without reconnects, the controller fails (as a PCIe one
 * that refuses the queues it had before a reset), which ends what waits.
 */
static int nvme_tcp_qpair_connect_failed(struct nvme_tcp_qpair *tq, int rc)
{
	struct usk_nvme_qpair *q = &tq->base;

	if (!tq->was_connected) {
		return rc;
	}
	nvme_tcp_qpair_drop(tq);
	if (!tq->retrying) {
		tq->retrying = true;
		tq->failing_since = nvme_ticks();
	}
	if (!nvme_qpair_reconnect_again(q, &tq->failing_since, &tq->retry_at)) {
		nvme_ctrlr_request_fail(q->ctrlr, "an I/O queue pair could not connect again");
	}
	return -EAGAIN;
}

/* Moves the queue pair's new connection on: 0 once it is made, -EAGAIN meanwhile. */
static int nvme_tcp_qpair_reconnect(struct nvme_tcp_qpair *tq)
{
	struct usk_nvme_qpair *q = &tq->base;
	uint32_t state = __atomic_load_n(&q->ctrlr->state, __ATOMIC_ACQUIRE);
	int rc;

	/* Lost, or made for the controller before a reset. */
	if (tq->state != NVME_TCP_IDLE && (tq->lost || tq->connect_for != state)) {
		nvme_tcp_qpair_drop(tq);
	}
	if (tq->state == NVME_TCP_IDLE) {
		/*
		 * The reconnect it asked for has not begun, or the admin queue is
		 * being connected again: the I/O queues wait for it. After a failed
		 * attempt, the next waits for its time (a reset since: not).
		 */
		if ((tq->lost && state == tq->connect_for) || (state & NVME_CTRLR_RESETTING) ||
		    (tq->retrying && state == tq->connect_for &&
		     !nvme_qpair_reconnect_due(q, &tq->retry_at))) {
			return -EAGAIN;
		}
		tq->lost = false;
		tq->in_capsule_max = nvme_tcp_io_in_capsule(q->ctrlr);
		tq->connect_for = state;
		rc = nvme_tcp_qpair_start(tq);
		if (rc != 0) {
			return nvme_tcp_qpair_connect_failed(tq, rc);
		}
	}
	rc = nvme_tcp_qpair_connect_poll(tq);
	if (rc == 0) {
		q->synced_state = tq->connect_for;
		tq->was_connected = true;
		tq->retrying = false;
	} else if (rc != -EAGAIN) {
		rc = nvme_tcp_qpair_connect_failed(tq, rc);
	}
	return rc;
}

int nvme_tcp_qpair_rebuild(struct usk_nvme_qpair *q)
{
	struct nvme_tcp_qpair *tq = nvme_tcp_qpair(q);
	int rc = nvme_tcp_qpair_reconnect(tq);

	/* Retrying past fast_io_fail_timeout_sec: nothing waits for the retries any more. */
	if (rc == -EAGAIN && tq->retrying &&
	    nvme_qpair_reconnect_fails_fast(q, &tq->failing_since)) {
		return -ECANCELED;
	}
	return rc;
}

int nvme_tcp_qpair_disconnect(struct usk_nvme_qpair *q)
{
	struct nvme_tcp_qpair *tq = nvme_tcp_qpair(q);

	/* Closing the connection ends the queue on the controller (TCP transport 3.4). */
	nvme_tcp_qpair_close(tq);
	if (tq->state != NVME_TCP_FAILED) {
		tq->state = NVME_TCP_FAILED;
		tq->fail_why = "disconnected";
	}
	q->disconnect = NVME_DISCONNECT_GONE;
	return 0;
}

/* Ends every command of a lost connection, once: those out and those waiting. */
static int nvme_tcp_qpair_end_all(struct nvme_tcp_qpair *tq)
{
	struct usk_nvme_qpair *q = &tq->base;

	/* Reconnecting: the rebuild ends them, as a deleted queue's, on the next poll. */
	if (tq->lost) {
		return 0;
	}
	tq->deferred_count = 0;
	/*
	 * Not moved into the freed entries: the connection that would carry them
	 * is gone. The waiting ones first, as their callbacks may submit more.
	 */
	while (q->waiting_head != NULL || q->outstanding > 0) {
		nvme_qpair_end_waiting(q, NVME_TCP_SC_TRANSPORT_ERROR);
		nvme_qpair_abort_trackers(q, NVME_TCP_SC_TRANSPORT_ERROR);
	}
	/* The admin queue's loss is the controller's: the admin poll goes on to fail it. */
	return q->id == 0 ? 0 : -ENXIO;
}

static void nvme_tcp_keep_alive_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_tcp_ctrlr *tc = arg;

	tc->keep_alive_out = false;
}

/*
 * Sends Keep Alive when it is due (base 5.25): from the admin queue's poll.
 * Due too when the next one lies more than a period ahead: the clock went
 * back (a virtual machine restored from a snapshot), and waiting for it to
 * come back would let the controller's KATO, on its own clock, run out.
 * One still unanswered a whole KATO after it went out means a controller
 * that no longer hears us, however alive the TCP connection looks (a hung
 * target, a network split): the connection is lost, as Linux's host takes
 * a Keep Alive that times out. None is sent while one is out.
 */
static void nvme_tcp_keep_alive(struct nvme_tcp_qpair *tq)
{
	struct nvme_tcp_ctrlr *tc = nvme_tcp_ctrlr(tq->base.ctrlr);
	uint64_t kato = nvme_us_to_ticks(tq->base.ctrlr->opts.keep_alive_timeout_ms * 1000ull);
	uint64_t now = nvme_ticks();

	if (tc->keep_alive_next == 0) {
		return;
	}
	if (tc->keep_alive_out) {
		if (nvme_deadline_passed(&tc->keep_alive_deadline, kato)) {
			nvme_tcp_qpair_fail(tq, "Keep Alive unanswered for the Keep Alive Timeout");
		}
		return;
	}
	if (now < tc->keep_alive_next &&
	    !usk_ticks_went_back(now, tc->keep_alive_next, tc->keep_alive_ticks)) {
		return;
	}
	const struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_KEEP_ALIVE};

	tc->keep_alive_next = now + tc->keep_alive_ticks;
	if (nvme_qpair_submit(&tq->base, &cmd, NULL, 0, nvme_tcp_keep_alive_done, tc) == 0) {
		tc->keep_alive_out = true;
		tc->keep_alive_deadline = now + kato;
	}
}

int nvme_tcp_qpair_process_completions(struct usk_nvme_qpair *q, uint32_t max)
{
	struct nvme_tcp_qpair *tq = nvme_tcp_qpair(q);
	int rc;

	q->stats.polls++;
	if (q->closing) {
		return nvme_qpair_disconnect_poll(q, max);
	}
	if (!nvme_qpair_in_sync(q) && (rc = nvme_qpair_resync(q)) != 0) {
		q->stats.idle_polls++;
		return rc == -EAGAIN ? 0 : rc;
	}
	if (tq->state == NVME_TCP_FAILED) {
		return nvme_tcp_qpair_end_all(tq);
	}
	/* The admin queue being connected: the attach's or reset's steps move it on. */
	if (!tq->connected) {
		q->stats.idle_polls++;
		return 0;
	}
	q->in_completions = true;
	rc = (int)nvme_tcp_run_deferred(tq, max);
	int got = 0;

	/* The rest of @max (0: no limit), if any is left. */
	if (max == 0 || (uint32_t)rc < max) {
		got = nvme_tcp_recv_poll(tq, max == 0 ? 0 : max - (uint32_t)rc);
	}

	q->in_completions = false;
	if (got >= 0) {
		rc += got;
		/* What the callbacks submitted goes out in one write. */
		nvme_tcp_send_flush(tq);
	}
	/* After the reap, which may bring the last one's answer; it may end the connection. */
	if (q->id == 0 && tq->state != NVME_TCP_FAILED) {
		nvme_tcp_keep_alive(tq);
	}
	if (tq->state == NVME_TCP_FAILED) {
		/* Disconnected by a callback: the next poll ends the rest, as disconnections do. */
		return q->closing ? rc : nvme_tcp_qpair_end_all(tq);
	}
	q->stats.idle_polls += rc == 0;
	if (q->timeout_ticks != 0) {
		nvme_qpair_check_timeouts(q);
	}
	return rc;
}
