/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One NVMe/TCP connection of the target: bytes from the socket through
 * the PDU receiver to the request they belong to, queued PDUs out through
 * one writev, ICReq/ICResp, and the close. A PDU that breaks the protocol
 * ends this connection only: a C2HTermReq naming the fault, a log line,
 * and the close; every other connection goes on.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"
#include "nvmf_tcp.h"

static struct nvmf_tcp_req *req_get(struct nvmf_tcp_conn *c)
{
	struct nvmf_tcp_req *r;

	if (c->nfree == 0) {
		return NULL;
	}
	r = &c->reqs[c->free_stack[--c->nfree]];
	memset(&r->req, 0, sizeof(r->req));
	r->req.qpair = &c->qpair;
	r->h2c_off = 0;
	r->ddgst_error = false;
	r->local = false;
	return r;
}

void nvmf_tcp_req_free(struct nvmf_tcp_req *r)
{
	struct nvmf_tcp_conn *c = r->conn;

	if (r->state == TCP_REQ_NEED_BUF) {
		nvmf_poll_group_buf_cancel(c->group, r);
	}
	if (r->pool_buf != NULL) {
		nvmf_poll_group_buf_put(c->group, r->pool_buf);
		r->pool_buf = NULL;
	}
	r->state = TCP_REQ_FREE;
	c->free_stack[c->nfree++] = r->ttag;
	nvmf_tcp_conn_req_freed(c);
}

int nvmf_tcp_conn_fd(const struct nvmf_tcp_conn *c)
{
	return usk_sock_fd(c->sock);
}

void nvmf_tcp_conn_queue(struct nvmf_tcp_conn *c, struct nvmf_tcp_send *s)
{
	if (c->state >= TCP_CONN_CLOSING) {
		/* Nothing goes out any more; the request is freed by the close. */
		return;
	}
	s->idx = 0;
	s->off = 0;
	TAILQ_INSERT_TAIL(&c->sendq, s, link);
	nvmf_poll_group_want_flush(c->group, c);
}

/* The iovecs of the queued PDUs, from where the last write stopped. */
static int flush_gather(struct nvmf_tcp_conn *c, struct iovec *iov)
{
	struct nvmf_tcp_send *s;
	int n = 0;

	TAILQ_FOREACH(s, &c->sendq, link) {
		for (int i = s->idx; i < s->iovcnt && n < NVMF_TCP_SEND_IOVS; i++) {
			size_t skip = i == s->idx ? s->off : 0;

			iov[n].iov_base = (uint8_t *)s->iov[i].iov_base + skip;
			iov[n].iov_len = s->iov[i].iov_len - skip;
			n++;
		}
		if (n == NVMF_TCP_SEND_IOVS) {
			break;
		}
	}
	return n;
}

/* @n bytes went out: PDUs wholly sent leave the queue and their owners hear of it. */
static void flush_advance(struct nvmf_tcp_conn *c, size_t n)
{
	struct nvmf_tcp_send *s;

	while ((s = TAILQ_FIRST(&c->sendq)) != NULL) {
		while (s->idx < s->iovcnt && n > 0) {
			size_t left = s->iov[s->idx].iov_len - s->off;
			size_t k = USK_MIN(left, n);

			n -= k;
			s->off += k;
			if (s->off == s->iov[s->idx].iov_len) {
				s->idx++;
				s->off = 0;
			}
		}
		if (s->idx < s->iovcnt) {
			return;
		}
		TAILQ_REMOVE(&c->sendq, s, link);
		if (s->sent != NULL) {
			s->sent(c, s);
		}
	}
}

bool nvmf_tcp_conn_flush(struct nvmf_tcp_conn *c)
{
	struct iovec iov[NVMF_TCP_SEND_IOVS];
	bool wrote = false;
	ssize_t n;
	int cnt;

	while (c->sock != NULL && (cnt = flush_gather(c, iov)) > 0) {
		n = usk_sock_writev(c->sock, iov, cnt);
		if (n == -EAGAIN) {
			break;
		}
		if (n < 0) {
			nvmf_tcp_conn_close(c, "the host closed the connection");
			break;
		}
		wrote = true;
		flush_advance(c, (size_t)n);
	}
	return wrote;
}

static void conn_fatal(struct nvmf_tcp_conn *c, enum usk_nvme_tcp_fes fes, uint32_t fei,
		       const char *why)
{
	struct nvmf_tcp_send *s = &c->term_send;
	const struct nvme_tcp_digests none = {0};
	struct iovec data = {
		.iov_base = c->recv.hdr.raw,
		.iov_len = USK_MIN(c->recv.hdr.ch.hlen, USK_NVME_TCP_TERM_DATA_MAX),
	};
	int n;

	if (c->recv.state == NVME_TCP_RECV_FAILED) {
		data.iov_len = nvme_tcp_pdu_recv_error_hdr_len(&c->recv);
	}
	USK_ERRLOG("nvmf: qpair %s: closing the connection: %s (FES %u, FEI %u)", c->qpair.peer,
		   why, (unsigned)fes, fei);
	nvme_tcp_pdu_send_init(&s->pdu, USK_NVME_TCP_PDU_C2H_TERM_REQ);
	s->pdu.hdr.term.fes = (uint16_t)fes;
	s->pdu.hdr.term.fei = fei;
	n = nvme_tcp_pdu_build(&s->pdu, &none, &data, 1, s->iov, USK_COUNTOF(s->iov));
	if (n > 0) {
		s->iovcnt = n;
		s->sent = NULL;
		nvmf_tcp_conn_queue(c, s);
		/* Best effort: one write, and the connection goes either way. */
		nvmf_tcp_conn_flush(c);
	}
	nvmf_tcp_conn_close(c, NULL);
}

static void on_icreq(struct nvmf_tcp_conn *c, const struct usk_nvme_tcp_icreq *ic)
{
	struct nvme_tcp_digests recv_dgst = {0}, none = {0};
	struct nvmf_tcp_send *s = &c->ic_send;
	int n;

	if (ic->pfv != USK_NVME_TCP_PFV_1_0) {
		conn_fatal(c, USK_NVME_TCP_FES_UNSUPPORTED_PARAMETER,
			   offsetof(struct usk_nvme_tcp_icreq, pfv), "ICReq with an unknown PFV");
		return;
	}
	if (ic->hpda > USK_NVME_TCP_PDA_MAX) {
		conn_fatal(c, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
			   offsetof(struct usk_nvme_tcp_icreq, hpda), "ICReq with HPDA above 31");
		return;
	}
	c->send_dgst.hdgst = recv_dgst.hdgst = (ic->dgst & USK_NVME_TCP_DGST_HDGST_ENABLE) != 0;
	c->send_dgst.ddgst = recv_dgst.ddgst = (ic->dgst & USK_NVME_TCP_DGST_DDGST_ENABLE) != 0;
	c->send_dgst.pda = ic->hpda;
	nvme_tcp_pdu_recv_set_digests(&c->recv, &recv_dgst);
	nvme_tcp_pdu_send_init(&s->pdu, USK_NVME_TCP_PDU_ICRESP);
	s->pdu.hdr.icresp.pfv = USK_NVME_TCP_PFV_1_0;
	s->pdu.hdr.icresp.dgst =
		ic->dgst & (USK_NVME_TCP_DGST_HDGST_ENABLE | USK_NVME_TCP_DGST_DDGST_ENABLE);
	s->pdu.hdr.icresp.maxh2cdata = g_nvmf.opts.max_io_size;
	n = nvme_tcp_pdu_build(&s->pdu, &none, NULL, 0, s->iov, USK_COUNTOF(s->iov));
	s->iovcnt = n;
	s->sent = NULL;
	nvmf_tcp_conn_queue(c, s);
	c->state = TCP_CONN_RUNNING;
}

/* The request an H2CData header names, checked against what its R2T asked. */
static struct nvmf_tcp_req *h2c_req(struct nvmf_tcp_conn *c, const struct usk_nvme_tcp_data *d)
{
	struct nvmf_tcp_req *r;

	if (d->ttag >= c->depth || (r = &c->reqs[d->ttag])->state != TCP_REQ_H2C ||
	    r->req.cmd.cid != d->cccid) {
		conn_fatal(c, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
			   offsetof(struct usk_nvme_tcp_data, ttag),
			   "H2CData for no transfer the target asked for");
		return NULL;
	}
	if (d->datao != r->h2c_off || d->datal > r->req.length - r->h2c_off) {
		conn_fatal(c, USK_NVME_TCP_FES_DATA_OUT_OF_RANGE, 0,
			   "H2CData outside what its R2T asked for");
		return NULL;
	}
	return r;
}

/* A header with data arrived: the data goes straight where it belongs. */
static void on_header(struct nvmf_tcp_conn *c)
{
	const union usk_nvme_tcp_pdu_hdr *h = c->recv.pdu.hdr;
	uint32_t len = c->recv.pdu.data_len;
	struct nvmf_tcp_req *r;

	if (h->ch.pdu_type == USK_NVME_TCP_PDU_H2C_DATA) {
		r = h2c_req(c, &h->data);
		if (r == NULL) {
			return;
		}
		c->cur_iov =
			(struct iovec){.iov_base = r->req.data + h->data.datao, .iov_len = len};
	} else {
		if (len > c->icd_size) {
			conn_fatal(c, USK_NVME_TCP_FES_LIMIT_EXCEEDED, 0,
				   "in-capsule data beyond the size the target offers");
			return;
		}
		r = req_get(c);
		if (r == NULL) {
			conn_fatal(c, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0,
				   "more commands than the queue holds");
			return;
		}
		r->state = TCP_REQ_RECV_ICD;
		r->req.cmd = h->cmd.sqe;
		c->cur_iov = (struct iovec){.iov_base = r->icd_buf, .iov_len = len};
	}
	c->cur = r;
	nvme_tcp_pdu_recv_set_data(&c->recv, &c->cur_iov, 1);
}

static void on_capsule(struct nvmf_tcp_conn *c, bool ddgst_error)
{
	struct nvmf_tcp_req *r = c->cur;
	uint32_t icd_len = c->recv.pdu.data_len;

	c->cur = NULL;
	if (icd_len == 0) {
		r = req_get(c);
		if (r == NULL) {
			conn_fatal(c, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0,
				   "more commands than the queue holds");
			return;
		}
		r->req.cmd = c->recv.pdu.hdr->cmd.sqe;
	}
	nvmf_tcp_req_capsule(r, icd_len, ddgst_error);
}

static void on_h2c_data(struct nvmf_tcp_conn *c, bool ddgst_error)
{
	struct nvmf_tcp_req *r = c->cur;

	c->cur = NULL;
	r->h2c_off += c->recv.pdu.data_len;
	r->ddgst_error |= ddgst_error;
	if (r->h2c_off == r->req.length) {
		nvmf_tcp_req_h2c_done(r);
	}
}

static void on_pdu(struct nvmf_tcp_conn *c, bool ddgst_error)
{
	const union usk_nvme_tcp_pdu_hdr *h = c->recv.pdu.hdr;

	switch (h->ch.pdu_type) {
	case USK_NVME_TCP_PDU_ICREQ:
		on_icreq(c, &h->icreq);
		break;
	case USK_NVME_TCP_PDU_H2C_TERM_REQ:
		USK_NOTICELOG("nvmf: qpair %s: the host ended the connection (FES %u)",
			      c->qpair.peer, (unsigned)h->term.fes);
		nvmf_tcp_conn_close(c, NULL);
		break;
	case USK_NVME_TCP_PDU_CAPSULE_CMD:
		on_capsule(c, ddgst_error);
		break;
	default: /* H2CData: the receiver lets no other type through to a controller */
		on_h2c_data(c, ddgst_error);
		break;
	}
}

/* Acts on what the receiver reports; false once the connection stopped taking more. */
static bool recv_event(struct nvmf_tcp_conn *c, int rc)
{
	if (rc < 0) {
		conn_fatal(c, c->recv.fes, c->recv.fei, nvme_tcp_fes_str(c->recv.fes));
	} else if (rc == NVME_TCP_RECV_HEADER) {
		on_header(c);
	} else if (rc != NVME_TCP_RECV_AGAIN) {
		on_pdu(c, rc == NVME_TCP_RECV_PDU_DDGST_ERROR);
	}
	return c->state < TCP_CONN_CLOSING;
}

/* Feeds the bytes read; false once the connection stopped taking more. */
static bool recv_feed(struct nvmf_tcp_conn *c)
{
	while (c->rx_pos < c->rx_len) {
		size_t used;
		int rc = nvme_tcp_pdu_recv_feed(&c->recv, c->rx + c->rx_pos, c->rx_len - c->rx_pos,
						&used);

		c->rx_pos += (uint32_t)used;
		if (!recv_event(c, rc)) {
			return false;
		}
	}
	return true;
}

/*
 * One read: while the receiver waits for the rest of a capsule's or
 * H2CData's data, that goes straight where on_header placed it (no copy
 * out of rx), and only what follows it into rx.
 */
static bool recv_read(struct nvmf_tcp_conn *c)
{
	struct iovec iov[2];
	int placing = nvme_tcp_pdu_recv_data_iov(&c->recv, iov, 1);
	size_t placed = 0;
	ssize_t n;

	iov[placing] = (struct iovec){.iov_base = c->rx, .iov_len = NVMF_TCP_RX_SIZE};
	n = usk_sock_readv(c->sock, iov, placing + 1);
	if (n == -EAGAIN) {
		return false;
	}
	if (n < 0) {
		nvmf_tcp_conn_close(c, n == -ECONNRESET ? NULL : "the socket failed");
		return false;
	}
	if (placing != 0) {
		placed = USK_MIN(iov[0].iov_len, (size_t)n);
	}
	c->rx_len = (uint32_t)((size_t)n - placed);
	c->rx_pos = 0;
	if (placing != 0 && !recv_event(c, nvme_tcp_pdu_recv_data_done(&c->recv, placed))) {
		return false;
	}
	return recv_feed(c);
}

void nvmf_tcp_conn_recv(struct nvmf_tcp_conn *c)
{
	for (int round = 0; round < NVMF_TCP_RECV_ROUNDS && c->state < TCP_CONN_CLOSING; round++) {
		if (!recv_read(c)) {
			return;
		}
	}
}

static void conn_disconnect(struct nvmf_qpair *q)
{
	nvmf_tcp_conn_close((struct nvmf_tcp_conn *)q, NULL);
}

void nvmf_tcp_conn_free(struct nvmf_tcp_conn *c)
{
	usk_sock_close(c->sock);
	free(c->free_stack);
	usk_dma_free(c->icd_bufs);
	free(c->reqs);
	free(c->recv_buf);
	free(c->rx);
	free(c);
}

static void conn_release(struct nvmf_qpair *q)
{
	struct nvmf_tcp_conn *c = (struct nvmf_tcp_conn *)q;

	nvmf_poll_group_remove_conn(c->group, c);
	nvmf_tcp_conn_free(c);
}

/* Closed, and no request at a bdev: the target may let go. */
void nvmf_tcp_conn_req_freed(struct nvmf_tcp_conn *c)
{
	if (c->state == TCP_CONN_CLOSING && c->local_pending == 0) {
		c->state = TCP_CONN_DETACHING;
		nvmf_ctrlr_detach_qpair(&c->qpair);
	}
}

void nvmf_tcp_conn_close(struct nvmf_tcp_conn *c, const char *why)
{
	struct nvmf_tcp_send *s;

	if (c->state >= TCP_CONN_CLOSING) {
		return;
	}
	if (why != NULL) {
		USK_NOTICELOG("nvmf: qpair %s: %s", c->qpair.peer, why);
	}
	c->state = TCP_CONN_CLOSING;
	nvmf_poll_group_unwatch(c->group, c);
	usk_sock_close(c->sock);
	c->sock = NULL;
	while ((s = TAILQ_FIRST(&c->sendq)) != NULL) {
		TAILQ_REMOVE(&c->sendq, s, link);
	}
	/* Requests not at a bdev or the target thread end now; the others when they return. */
	for (uint32_t i = 0; i < c->depth; i++) {
		struct nvmf_tcp_req *r = &c->reqs[i];

		if (r->state != TCP_REQ_FREE && r->state != TCP_REQ_EXEC) {
			nvmf_tcp_req_free(r);
		}
	}
	nvmf_tcp_conn_req_freed(c);
}

static int conn_alloc_reqs(struct nvmf_tcp_conn *c)
{
	c->reqs = calloc(c->depth, sizeof(*c->reqs));
	/* DMA memory: a bdev on a device (nvme) moves data straight from and into it. */
	c->icd_bufs = usk_dma_malloc((size_t)c->depth * c->icd_size, 4096, USK_ENV_NUMA_ANY);
	c->free_stack = calloc(c->depth, sizeof(*c->free_stack));
	if (c->reqs == NULL || c->icd_bufs == NULL || c->free_stack == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->depth; i++) {
		struct nvmf_tcp_req *r = &c->reqs[i];

		r->conn = c;
		r->ttag = (uint16_t)i;
		r->icd_buf = c->icd_bufs + (size_t)i * c->icd_size;
		r->data_send.req = r;
		r->resp_send.req = r;
		/* Popped from the end: the first request is index 0. */
		c->free_stack[i] = (uint16_t)(c->depth - 1 - i);
	}
	c->nfree = c->depth;
	return 0;
}

int nvmf_tcp_conn_create(struct nvmf_poll_group *g, struct usk_sock *sock, uint64_t listener_id,
			 struct nvmf_tcp_conn **out)
{
	const struct nvmf_transport_opts *o = &g_nvmf.opts;
	struct nvmf_tcp_conn *c = calloc(1, sizeof(*c));
	uint32_t max_data;
	uint16_t port = 0;
	char addr[48] = "?";

	if (c == NULL) {
		return -ENOMEM;
	}
	c->group = g;
	c->sock = sock;
	/* The queue's kind is known only at Connect: room for either. */
	c->depth = USK_MAX(o->max_queue_depth, o->max_aq_depth);
	c->icd_size = USK_MAX(o->in_capsule_data_size, (uint32_t)NVMF_ADMIN_ICD_SIZE);
	max_data = USK_MAX(c->icd_size, o->max_io_size);
	c->recv_buf = malloc(max_data);
	c->rx = malloc(NVMF_TCP_RX_SIZE);
	if (c->recv_buf == NULL || c->rx == NULL || conn_alloc_reqs(c) != 0) {
		c->sock = NULL; /* the caller's still */
		nvmf_tcp_conn_free(c);
		return -ENOMEM;
	}
	nvme_tcp_pdu_recv_init(&c->recv, NVME_TCP_ROLE_CTRLR, c->recv_buf, max_data);
	TAILQ_INIT(&c->sendq);
	c->qpair.ops = &g_nvmf_tcp_qpair_ops;
	c->qpair.group = g;
	c->qpair.thread = nvmf_poll_group_thread(g);
	c->qpair.group_index = nvmf_poll_group_index(g);
	c->qpair.listener_id = listener_id;
	c->qpair.sqsize = (uint16_t)o->max_aq_depth;
	usk_sock_peer_addr(sock, addr, sizeof(addr), &port);
	snprintf(c->qpair.peer, sizeof(c->qpair.peer), "%s port %u", addr, port);
	*out = c;
	return 0;
}

const struct nvmf_qpair_ops g_nvmf_tcp_qpair_ops = {
	.complete = nvmf_tcp_req_complete,
	.disconnect = conn_disconnect,
	.release = conn_release,
};
