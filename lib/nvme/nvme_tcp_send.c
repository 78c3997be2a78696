/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP, sending: a command goes out as a CapsuleCmd, with its data in
 * the capsule when the controller takes that much, else as H2CData PDUs
 * answering the controller's R2Ts (at most MAXH2CDATA bytes each). PDUs
 * wait in order in one queue; a partial write leaves the rest of the head
 * PDU for the next flush.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_fabrics.h"
#include "nvme_tcp.h"
#include "usk/log.h"
#include "usk/util.h"
#include "usk_internal/sock.h"

/* iovecs written by one writev at most: several PDUs go in one system call. */
#define NVME_TCP_WRITEV_MAX 64

/* SGL descriptor type bytes (base 4.3.2; TCP transport 3.3): in-capsule, or moved by PDUs. */
#define NVME_TCP_SGL_IN_CAPSULE 0x01
#define NVME_TCP_SGL_TRANSPORT	0x5a

int nvme_tcp_payload_iov(const struct nvme_payload *data, uint64_t off, uint64_t len,
			 struct iovec *out, int max)
{
	struct nvme_payload window = *data;
	struct nvme_iov_walk walk;
	struct iovec e;
	int n = 0;

	if (len == 0) {
		return 0;
	}
	if (data->iovcnt == 0) {
		out[0] = (struct iovec){.iov_base = (uint8_t *)(uintptr_t)data->buf + off,
					.iov_len = len};
		return 1;
	}
	window.skip += off;
	window.len = len;
	nvme_iov_walk_start(&walk, &window);
	while (nvme_iov_walk_next(&walk, &e)) {
		if (n == max) {
			return -E2BIG;
		}
		out[n++] = e;
	}
	return n;
}

bool nvme_tcp_qpair_payload_fits(const struct usk_nvme_qpair *q, const struct nvme_payload *data)
{
	struct iovec scratch[NVME_TCP_DATA_IOV_MAX];

	return nvme_tcp_payload_iov(data, 0, data->len, scratch, NVME_TCP_DATA_IOV_MAX) >= 0;
}

void nvme_tcp_send_queue(struct nvme_tcp_qpair *tq, struct nvme_tcp_send *s)
{
	s->iov_idx = 0;
	s->next = NULL;
	if (tq->send_tail != NULL) {
		tq->send_tail->next = s;
	} else {
		tq->send_head = s;
	}
	tq->send_tail = s;
}

/* Bits 1:0 of the opcode (a Fabrics command's FCTYPE): 01b host to controller, 10b back. */
static uint8_t nvme_tcp_cmd_direction(const struct usk_nvme_sqe *cmd)
{
	return (cmd->opcode == USK_NVMF_OPC_FABRIC ? (uint8_t)cmd->nsid : cmd->opcode) & 3;
}

/* Bytes of data a CapsuleCmd for @cmd may carry. */
static uint32_t nvme_tcp_in_capsule_max(const struct nvme_tcp_qpair *tq,
					const struct usk_nvme_sqe *cmd)
{
	/* Fabrics commands and the admin queue take 8 KiB capsules (TCP transport 3.6.1). */
	if (cmd->opcode == USK_NVMF_OPC_FABRIC || tq->base.id == 0) {
		return NVME_TCP_ADMIN_IN_CAPSULE - sizeof(struct usk_nvme_sqe);
	}
	return tq->in_capsule_max;
}

/* Lays out command @cid's PDU, its header filled, with @n iovecs of data, and queues it. */
static int nvme_tcp_send_cmd_pdu(struct nvme_tcp_qpair *tq, uint16_t cid, const struct iovec *iov,
				 int n, bool h2c)
{
	struct nvme_tcp_cmd *tc = &tq->cmds[cid];
	int rc = nvme_tcp_pdu_build(&tc->send.pdu, &tq->send_dgst, iov, n, tc->send.iov,
				    NVME_TCP_PDU_IOV_MAX);

	if (rc < 0) {
		return rc;
	}
	tc->send.iovcnt = rc;
	tc->send.cid = cid;
	tc->send.h2c = h2c;
	tc->send_busy = true;
	nvme_tcp_send_queue(tq, &tc->send);
	return 0;
}

int nvme_tcp_qpair_submit(struct usk_nvme_qpair *q, uint16_t cid, const struct usk_nvme_sqe *cmd,
			  const struct nvme_payload *data)
{
	struct nvme_tcp_qpair *tq = nvme_tcp_qpair(q);
	struct nvme_tcp_cmd *tc = &tq->cmds[cid];
	struct usk_nvme_tcp_capsule_cmd *capsule;
	struct iovec iov[NVME_TCP_DATA_IOV_MAX];
	bool to_ctrlr = data->len > 0 && nvme_tcp_cmd_direction(cmd) == 1;
	bool in_capsule = to_ctrlr && data->len <= nvme_tcp_in_capsule_max(tq, cmd);
	int n = 0;
	int rc;

	if (tq->state != NVME_TCP_RUNNING) {
		return -ENXIO;
	}
	/* Data in more pieces than a PDU carries could never go out (or come in) whole. */
	if (data->iovcnt > NVME_TCP_DATA_IOV_MAX && !nvme_tcp_qpair_payload_fits(q, data)) {
		return -EINVAL;
	}
	if (in_capsule) {
		n = nvme_tcp_payload_iov(data, 0, data->len, iov, NVME_TCP_DATA_IOV_MAX);
		if (n < 0) {
			return -EINVAL;
		}
	}
	/* Field by field: the send slot's iovecs need no clearing. */
	tc->data = *data;
	tc->host_to_ctrlr = to_ctrlr;
	tc->c2h_next = 0;
	tc->r2t_next = in_capsule ? (uint32_t)data->len : 0;
	tc->h2c_off = 0;
	tc->h2c_end = 0;
	tc->cpl_pending = false;
	nvme_tcp_pdu_send_init(&tc->send.pdu, USK_NVME_TCP_PDU_CAPSULE_CMD);
	capsule = &tc->send.pdu.hdr.cmd;
	capsule->sqe = *cmd;
	capsule->sqe.cid = cid;
	/* Address: the data's offset in the capsule, or nothing. */
	nvme_sqe_set_sgl1(&capsule->sqe, 0, (uint32_t)data->len,
			  in_capsule ? NVME_TCP_SGL_IN_CAPSULE : NVME_TCP_SGL_TRANSPORT);
	rc = nvme_tcp_send_cmd_pdu(tq, cid, iov, n, false);
	if (rc != 0) {
		return rc;
	}
	/* As a doorbell: at the end of the reap loop, or at the caller's flush when delayed. */
	if (!q->in_completions && !q->delay_doorbell) {
		nvme_tcp_send_flush(tq);
	}
	return 0;
}

/* Queues the next H2CData PDU of the R2T command @cid is answering. */
static int nvme_tcp_send_h2c_next(struct nvme_tcp_qpair *tq, uint16_t cid)
{
	struct nvme_tcp_cmd *tc = &tq->cmds[cid];
	uint32_t len = USK_MIN(tc->h2c_end - tc->h2c_off, tq->maxh2cdata);
	struct iovec iov[NVME_TCP_DATA_IOV_MAX];
	struct usk_nvme_tcp_data *h;
	int n = nvme_tcp_payload_iov(&tc->data, tc->h2c_off, len, iov, NVME_TCP_DATA_IOV_MAX);

	if (n < 0) {
		return n;
	}
	nvme_tcp_pdu_send_init(&tc->send.pdu, USK_NVME_TCP_PDU_H2C_DATA);
	h = &tc->send.pdu.hdr.data;
	h->cccid = cid;
	h->ttag = tc->ttag;
	h->datao = tc->h2c_off;
	tc->h2c_off += len;
	if (tc->h2c_off == tc->h2c_end) {
		h->ch.flags |= USK_NVME_TCP_FLAG_LAST_PDU;
	}
	return nvme_tcp_send_cmd_pdu(tq, cid, iov, n, true);
}

int nvme_tcp_send_h2c_start(struct nvme_tcp_qpair *tq, uint16_t cid, uint16_t ttag, uint32_t off,
			    uint32_t len)
{
	struct nvme_tcp_cmd *tc = &tq->cmds[cid];

	tc->ttag = ttag;
	tc->h2c_off = off;
	tc->h2c_end = off + len;
	return nvme_tcp_send_h2c_next(tq, cid);
}

/* A PDU is written whole: the command's next H2CData goes, or its send slot is free. */
static int nvme_tcp_send_done(struct nvme_tcp_qpair *tq, struct nvme_tcp_send *s)
{
	struct nvme_tcp_cmd *tc;

	if (s == &tq->icreq) {
		return 0;
	}
	if (s == &tq->term) {
		tq->send_head = NULL;
		tq->send_tail = NULL;
		return 0;
	}
	tc = &tq->cmds[s->cid];
	/* Nothing may follow a TermReq (always the last queued): no more H2CData goes then. */
	if (s->h2c && tc->h2c_off < tc->h2c_end && tq->send_tail != &tq->term) {
		return nvme_tcp_send_h2c_next(tq, s->cid);
	}
	tc->send_busy = false;
	if (tc->cpl_pending) {
		tq->deferred[tq->deferred_count++] = s->cid;
	}
	return 0;
}

/* Moves the queue on by @written bytes: PDUs written whole leave it. */
static int nvme_tcp_send_consume(struct nvme_tcp_qpair *tq, size_t written)
{
	while (written > 0) {
		struct nvme_tcp_send *s = tq->send_head;
		struct iovec *e = &s->iov[s->iov_idx];

		if (written < e->iov_len) {
			e->iov_base = (uint8_t *)e->iov_base + written;
			e->iov_len -= written;
			return 0;
		}
		written -= e->iov_len;
		if (++s->iov_idx < s->iovcnt) {
			continue;
		}
		tq->send_head = s->next;
		if (tq->send_head == NULL) {
			tq->send_tail = NULL;
		}
		int rc = nvme_tcp_send_done(tq, s);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int nvme_tcp_send_flush(struct nvme_tcp_qpair *tq)
{
	while (tq->send_head != NULL && tq->state != NVME_TCP_FAILED) {
		struct iovec iov[NVME_TCP_WRITEV_MAX];
		int n = 0;
		ssize_t written;

		for (struct nvme_tcp_send *s = tq->send_head; s != NULL && n < NVME_TCP_WRITEV_MAX;
		     s = s->next) {
			for (int i = s->iov_idx; i < s->iovcnt && n < NVME_TCP_WRITEV_MAX; i++) {
				iov[n++] = s->iov[i];
			}
		}
		written = usk_sock_writev(tq->sock, iov, n);
		if (written == -EAGAIN) {
			return 0;
		}
		if (written < 0) {
			nvme_tcp_qpair_fail(tq, "the connection was lost while sending");
			return (int)written;
		}
		if (nvme_tcp_send_consume(tq, (size_t)written) != 0) {
			nvme_tcp_qpair_fail(tq, "a command's data no longer fits its PDUs");
			return -EPROTO;
		}
	}
	return tq->state == NVME_TCP_FAILED ? -ECONNRESET : 0;
}

void nvme_tcp_send_term_req(struct nvme_tcp_qpair *tq, enum usk_nvme_tcp_fes fes, uint32_t fei,
			    uint32_t hdr_len, const char *why)
{
	const struct nvme_tcp_digests none = {.pda = 0};
	struct iovec hdr = {.iov_base = tq->recv.hdr.raw,
			    .iov_len = USK_MIN(hdr_len, (uint32_t)USK_NVME_TCP_TERM_DATA_MAX)};
	struct nvme_tcp_send *s = &tq->term;
	int n;

	if (tq->state == NVME_TCP_FAILED) {
		return;
	}
	USK_ERRLOG("%s: qpair %u: %s: sending H2CTermReq (FES 0x%x, %s; FEI %u)",
		   tq->base.ctrlr->name, tq->base.id, why, (unsigned)fes, nvme_tcp_fes_str(fes),
		   fei);
	nvme_tcp_pdu_send_init(&s->pdu, USK_NVME_TCP_PDU_H2C_TERM_REQ);
	s->pdu.hdr.term.fes = (uint16_t)fes;
	s->pdu.hdr.term.fei = fei;
	n = nvme_tcp_pdu_build(&s->pdu, &none, &hdr, hdr.iov_len != 0, s->iov,
			       NVME_TCP_PDU_IOV_MAX);
	if (n > 0 && tq->sock != NULL) {
		s->iovcnt = n;
		nvme_tcp_send_queue(tq, s);
		nvme_tcp_send_flush(tq);
	}
	nvme_tcp_qpair_fail(tq, why);
}

void nvme_tcp_qpair_flush(struct usk_nvme_qpair *q)
{
	nvme_tcp_send_flush(nvme_tcp_qpair(q));
}
