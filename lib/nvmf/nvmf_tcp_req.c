/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A command on an NVMe/TCP connection: its SGL says where its data is (in
 * the capsule, or to be moved by R2T/H2CData or C2HData); it gets a buffer
 * (its own for small transfers, the poll group's for large ones), runs,
 * and its response goes out: C2HData with the data, and CapsuleResp
 * unless the C2HData's SUCCESS flag stands for it.
 */
#include "config.h"

#include <string.h>

#include "usk/util.h"
#include "nvmf_tcp.h"

static void req_fail(struct nvmf_tcp_req *r, int sct, int sc)
{
	r->state = TCP_REQ_EXEC;
	nvmf_req_set_status(&r->req, sct, sc);
	nvmf_req_complete(&r->req);
}

static void req_exec(struct nvmf_tcp_req *r)
{
	const struct nvmf_req *req = &r->req;

	r->state = TCP_REQ_EXEC;
	r->local = req->cmd.opcode != USK_NVMF_OPC_FABRIC && req->qpair->qid != 0;
	r->conn->local_pending += r->local;
	nvmf_req_exec(&r->req);
}

static void req_send_r2t(struct nvmf_tcp_req *r)
{
	struct nvmf_tcp_send *s = &r->data_send;
	struct nvmf_tcp_conn *c = r->conn;

	nvme_tcp_pdu_send_init(&s->pdu, USK_NVME_TCP_PDU_R2T);
	s->pdu.hdr.r2t.cccid = r->req.cmd.cid;
	s->pdu.hdr.r2t.ttag = r->ttag;
	s->pdu.hdr.r2t.r2to = 0;
	s->pdu.hdr.r2t.r2tl = r->req.length;
	s->iovcnt =
		nvme_tcp_pdu_build(&s->pdu, &c->send_dgst, NULL, 0, s->iov, USK_COUNTOF(s->iov));
	s->sent = NULL;
	r->state = TCP_REQ_H2C;
	nvmf_tcp_conn_queue(c, s);
}

void nvmf_tcp_req_buffer_ready(struct nvmf_tcp_req *r, uint8_t *buf)
{
	r->req.data = buf;
	if (buf != r->icd_buf) {
		r->pool_buf = buf;
	}
	if (r->req.xfer == NVMF_XFER_TO_CTRLR) {
		req_send_r2t(r);
	} else {
		req_exec(r);
	}
}

/* In-capsule data: an SGL Data Block with an offset into the capsule's data. */
static void req_in_capsule(struct nvmf_tcp_req *r, uint32_t icd_len, uint8_t type, uint64_t addr,
			   uint32_t len)
{
	if (type != USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET || r->req.xfer != NVMF_XFER_TO_CTRLR) {
		req_fail(r, USK_NVME_SCT_GENERIC, USK_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
		return;
	}
	if (addr > icd_len || len > icd_len - addr) {
		req_fail(r, USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	r->req.data = r->icd_buf + addr;
	r->req.length = len;
	req_exec(r);
}

void nvmf_tcp_req_capsule(struct nvmf_tcp_req *r, uint32_t icd_len, bool ddgst_error)
{
	struct nvmf_req *req = &r->req;
	/* SGL1: address in the first 8 bytes; length in 11:8, the type in byte 15. */
	uint8_t type = (uint8_t)(req->cmd.prp2 >> 56);
	uint32_t len = (uint32_t)req->cmd.prp2;
	uint8_t *buf;

	req->xfer = nvmf_req_xfer(&req->cmd);
	if (ddgst_error) {
		req_fail(r, USK_NVME_SCT_GENERIC, USK_NVME_SC_TRANSIENT_TRANSPORT_ERROR);
		return;
	}
	if (req->xfer == NVMF_XFER_NONE || (len == 0 && icd_len == 0)) {
		req->xfer = NVMF_XFER_NONE;
		req_exec(r);
		return;
	}
	if (icd_len > 0 || type == USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET) {
		req_in_capsule(r, icd_len, type, req->cmd.prp1, len);
		return;
	}
	if (type != USK_NVME_SGL_TYPE_TRANSPORT_DATA) {
		req_fail(r, USK_NVME_SCT_GENERIC, USK_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
		return;
	}
	if (len > g_nvmf.opts.max_io_size) {
		req_fail(r, USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	req->length = len;
	if (len <= r->conn->icd_size) {
		nvmf_tcp_req_buffer_ready(r, r->icd_buf);
		return;
	}
	buf = nvmf_poll_group_buf_get(r->conn->group, r);
	if (buf == NULL) {
		r->state = TCP_REQ_NEED_BUF;
		return;
	}
	nvmf_tcp_req_buffer_ready(r, buf);
}

void nvmf_tcp_req_h2c_done(struct nvmf_tcp_req *r)
{
	if (r->ddgst_error) {
		req_fail(r, USK_NVME_SCT_GENERIC, USK_NVME_SC_TRANSIENT_TRANSPORT_ERROR);
		return;
	}
	req_exec(r);
}

static void req_sent(struct nvmf_tcp_conn *c, struct nvmf_tcp_send *s)
{
	struct nvmf_tcp_req *r = s->req;

	if (--r->sends_out == 0) {
		nvmf_tcp_req_free(r);
	}
}

static void queue_pdu(struct nvmf_tcp_req *r, struct nvmf_tcp_send *s, const struct iovec *data,
		      int datacnt)
{
	s->iovcnt = nvme_tcp_pdu_build(&s->pdu, &r->conn->send_dgst, data, datacnt, s->iov,
				       USK_COUNTOF(s->iov));
	s->sent = req_sent;
	r->sends_out++;
	nvmf_tcp_conn_queue(r->conn, s);
}

void nvmf_tcp_req_complete(struct nvmf_req *req)
{
	struct nvmf_tcp_req *r = (struct nvmf_tcp_req *)req;
	struct nvmf_tcp_conn *c = r->conn;
	bool ok = (req->rsp.status >> 1) == 0;

	if (r->local) {
		r->local = false;
		c->local_pending--;
	}
	if (c->state != TCP_CONN_RUNNING) {
		nvmf_tcp_req_free(r);
		return;
	}
	r->state = TCP_REQ_SENDING;
	r->sends_out = 0;
	if (ok && req->xfer == NVMF_XFER_TO_HOST && req->data != NULL && req->length != 0) {
		struct iovec data = {.iov_base = req->data, .iov_len = req->length};
		/* SUCCESS stands for the response only when the host reads no SQ head from it. */
		bool success = g_nvmf.opts.c2h_success && req->qpair->sqflow_off;

		nvme_tcp_pdu_send_init(&r->data_send.pdu, USK_NVME_TCP_PDU_C2H_DATA);
		r->data_send.pdu.hdr.data.cccid = req->cmd.cid;
		r->data_send.pdu.hdr.ch.flags =
			USK_NVME_TCP_FLAG_LAST_PDU | (success ? USK_NVME_TCP_FLAG_SUCCESS : 0);
		queue_pdu(r, &r->data_send, &data, 1);
		if (success) {
			return;
		}
	}
	nvme_tcp_pdu_send_init(&r->resp_send.pdu, USK_NVME_TCP_PDU_CAPSULE_RESP);
	r->resp_send.pdu.hdr.resp.cqe = req->rsp;
	queue_pdu(r, &r->resp_send, NULL, 0);
}
