/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_nvmf_tcp_conn's target and host ends (fuzz_nvmf_tcp_tgt.h).
 *
 * The target's own invariants are checked where lib/nvmf crosses between
 * its files, through the linker's --wrap (local.mk): a response is sent
 * only for a request that is executing (a second completion of one
 * request finds it sending or free), and a connection the target lets go
 * of has every request free, none at a bdev, none counted twice.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bdev_internal.h"
#include "bdev_modules.h"
#include "fuzz_common.h"
#include "fuzz_nvmf_tcp_tgt.h"
#include "nvmf_internal.h"
#include "nvmf_tcp.h"
#include "usk/env.h"
#include "usk/util.h"
#include "ut_free_port.h"
#include "ut_nvmf_app.h"
#include "ut_thread.h"

/* Host/target exchanges that may pass before a quiet target is a hang. */
#define FZ_SETTLE_ROUNDS 100000

static struct usk_thread *g_threads[2];
static struct nvmf_poll_group *g_group;
static char g_port[8];
static uint32_t g_conns;
static uint8_t g_pdu_buf[FZ_MAX_IO + 1024];

int __real_nvmf_tcp_conn_create(struct nvmf_poll_group *g, struct usk_sock *sock,
				uint64_t listener_id, struct nvmf_tcp_conn **out);
int __wrap_nvmf_tcp_conn_create(struct nvmf_poll_group *g, struct usk_sock *sock,
				uint64_t listener_id, struct nvmf_tcp_conn **out);
void __real_nvmf_tcp_conn_free(struct nvmf_tcp_conn *c);
void __wrap_nvmf_tcp_conn_free(struct nvmf_tcp_conn *c);
void __real_nvmf_poll_group_remove_conn(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c);
void __wrap_nvmf_poll_group_remove_conn(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c);
void __real_nvmf_tcp_req_complete(struct nvmf_req *req);
void __wrap_nvmf_tcp_req_complete(struct nvmf_req *req);

int __wrap_nvmf_tcp_conn_create(struct nvmf_poll_group *g, struct usk_sock *sock,
				uint64_t listener_id, struct nvmf_tcp_conn **out)
{
	int rc = __real_nvmf_tcp_conn_create(g, sock, listener_id, out);

	g_conns += rc == 0;
	return rc;
}

/* Freed by the group before it ever ran (its socket could not be watched). */
void __wrap_nvmf_tcp_conn_free(struct nvmf_tcp_conn *c)
{
	g_conns--;
	__real_nvmf_tcp_conn_free(c);
}

/* The target lets go of @c: nothing of it may still be in use. */
void __wrap_nvmf_poll_group_remove_conn(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c)
{
	uint8_t seen[4096] = {0};

	FUZZ_CHECK(c->state == TCP_CONN_DETACHING, "connection released in state %d", c->state);
	FUZZ_CHECK(c->local_pending == 0, "connection released with %u requests at the bdev",
		   c->local_pending);
	FUZZ_CHECK(c->nfree == c->depth, "connection released with %u of %u requests free",
		   c->nfree, c->depth);
	for (uint32_t i = 0; i < c->depth; i++) {
		uint16_t t = c->free_stack[i];

		FUZZ_CHECK(t < c->depth && !seen[t], "request %u free twice", t);
		seen[t] = 1;
		FUZZ_CHECK(c->reqs[i].state == TCP_REQ_FREE && c->reqs[i].pool_buf == NULL,
			   "request %u released in state %d", i, c->reqs[i].state);
	}
	FUZZ_CHECK(c->sock == NULL && TAILQ_EMPTY(&c->sendq), "released with its socket open");
	g_conns--;
	__real_nvmf_poll_group_remove_conn(g, c);
}

void __wrap_nvmf_tcp_req_complete(struct nvmf_req *req)
{
	struct nvmf_tcp_req *r = (struct nvmf_tcp_req *)req;

	FUZZ_CHECK(r->state == TCP_REQ_EXEC, "request %u (CID %u) completed in state %d", r->ttag,
		   req->cmd.cid, r->state);
	__real_nvmf_tcp_req_complete(req);
}

uint32_t fz_tgt_conns(void)
{
	return g_conns;
}

uint32_t fz_tgt_ctrlrs(void)
{
	return g_nvmf.nctrlrs;
}

void fz_tgt_pump(void)
{
	ut_poll_threads(g_threads, 2);
}

static void tgt_init_msg(void *ctx)
{
	struct nvmf_transport_opts o;
	struct nvmf_subsystem *s = NULL;
	struct usk_bdev *bdev;
	char err[128];
	uint32_t nsid;
	int *rc = ctx;

	*rc = bdev_layer_init(256);
	g_nvmf.thread = usk_thread_get_current();
	nvmf_transport_opts_default(&o);
	/* The group's fewest buffers (8): a few large writes make the next ones wait. */
	o.num_shared_buffers = 1;
	/* Each input is a new connection: the listener looks on every pass, not every 10 ms. */
	o.acceptor_poll_rate = 0;
	*rc |= nvmf_tgt_create_transport(&o);
	*rc |= nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &g_nvmf.discovery);
	*rc |= nvmf_poll_group_create(0, USK_THREAD_CORE_ANY, &g_group);
	g_nvmf.groups[0] = g_group;
	g_nvmf.ngroups = 1;
	g_nvmf.ka_poller = usk_poller_register(nvmf_ctrlr_keep_alive_poll, NULL, NVMF_KA_POLL_US,
					       "nvmf_keep_alive");
	usk_poller_pause(g_nvmf.ka_poller);
	*rc |= bdev_malloc_create("Malloc0", FZ_BLOCKS, FZ_BLOCK, &bdev, err, sizeof(err));
	*rc |= nvmf_subsystem_create(FZ_NQN, false, &s);
	if (*rc == 0) {
		*rc |= nvmf_subsystem_set_sn(s, "USKFUZZ");
		*rc |= nvmf_subsystem_add_host(s, FZ_HOSTNQN);
		*rc |= nvmf_subsystem_add_ns(s, "Malloc0", 1, NULL, &nsid);
		*rc |= nvmf_subsystem_add_listener(s, "127.0.0.1", g_port, false);
	}
}

int fz_tgt_init(void)
{
	int rc = -1;

	if (usk_env_init(NULL) != 0 || usk_thread_lib_init(NULL) != 0 ||
	    bdev_modules_register() != 0) {
		return -1;
	}
	g_threads[0] = usk_thread_create("nvmf_tgt", USK_THREAD_CORE_ANY);
	if (g_threads[0] == NULL) {
		return -1;
	}
	ut_free_port(g_port, sizeof(g_port));
	usk_thread_send_msg(g_threads[0], tgt_init_msg, &rc);
	ut_poll_threads(g_threads, 1);
	if (rc != 0) {
		return -1;
	}
	g_threads[1] = nvmf_poll_group_thread(g_group);
	fz_tgt_pump();
	return 0;
}

void fz_host_open(struct fz_host *h)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(g_port))};
	uint32_t before = g_conns;
	int rc;

	memset(h, 0, sizeof(*h));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	FUZZ_CHECK(h->fd >= 0, "no socket: %d", errno);
	/* Loopback: the handshake is done when connect returns, the listener accepts at once. */
	rc = connect(h->fd, (struct sockaddr *)&a, sizeof(a));
	FUZZ_CHECK(rc == 0, "cannot connect to the target: %d", errno);
	fcntl(h->fd, F_SETFL, O_NONBLOCK);
	h->rx_data = malloc(FZ_MAX_IO);
	FUZZ_CHECK(h->rx_data != NULL, "out of memory");
	nvme_tcp_pdu_recv_init(&h->rx, NVME_TCP_ROLE_HOST, h->rx_data, FZ_MAX_IO);
	for (int i = 0; i < 1000 && g_conns == before; i++) {
		fz_tgt_pump();
	}
	FUZZ_CHECK(g_conns == before + 1, "the target did not take the connection");
}

void fz_host_close(struct fz_host *h)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	setsockopt(h->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(h->fd);
	free(h->rx_data);
	h->fd = -1;
	fz_tgt_pump();
}

static void host_on_pdu(struct fz_host *h)
{
	const union usk_nvme_tcp_pdu_hdr *p = h->rx.pdu.hdr;
	struct nvme_tcp_digests d;

	FUZZ_CHECK(!h->term_seen, "PDU type %u after a C2HTermReq", p->ch.pdu_type);
	switch (p->ch.pdu_type) {
	case USK_NVME_TCP_PDU_ICRESP:
		FUZZ_CHECK(p->icresp.cpda <= USK_NVME_TCP_PDA_MAX, "ICResp CPDA %u",
			   p->icresp.cpda);
		d.hdgst = (p->icresp.dgst & USK_NVME_TCP_DGST_HDGST_ENABLE) != 0;
		d.ddgst = (p->icresp.dgst & USK_NVME_TCP_DGST_DDGST_ENABLE) != 0;
		d.pda = p->icresp.cpda;
		h->send_dgst = d;
		d.pda = h->hpda;
		nvme_tcp_pdu_recv_set_digests(&h->rx, &d);
		break;
	case USK_NVME_TCP_PDU_R2T:
		if (h->nr2t == FZ_R2T_MAX) {
			memmove(&h->r2t[0], &h->r2t[1], sizeof(h->r2t[0]) * (FZ_R2T_MAX - 1));
			h->nr2t--;
		}
		h->r2t[h->nr2t++] = (struct fz_r2t){.cccid = p->r2t.cccid,
						    .ttag = p->r2t.ttag,
						    .off = p->r2t.r2to,
						    .len = p->r2t.r2tl};
		break;
	case USK_NVME_TCP_PDU_CAPSULE_RESP:
		h->resp_seen = true;
		h->resp = p->resp.cqe;
		break;
	case USK_NVME_TCP_PDU_C2H_DATA:
		h->c2h_len += p->data.datal;
		if (h->in != NULL && (uint64_t)p->data.datao + p->data.datal <= h->in_len) {
			memcpy(h->in + p->data.datao, h->rx.pdu.data, p->data.datal);
		}
		if (p->ch.flags & USK_NVME_TCP_FLAG_SUCCESS) {
			h->resp_seen = true;
			h->resp = (struct usk_nvme_cqe){.cid = p->data.cccid};
		}
		break;
	default: /* C2HTermReq: the receiver lets no other type through to a host */
		h->term_seen = true;
		break;
	}
}

/* What the target sent, through a host's receiver: it must never send a malformed PDU. */
static void host_feed(struct fz_host *h, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		size_t used;
		int ev = nvme_tcp_pdu_recv_feed(&h->rx, buf, len, &used);

		FUZZ_CHECK(ev >= 0, "the target sent a malformed PDU (FES %u, FEI %u)",
			   (unsigned)h->rx.fes, h->rx.fei);
		FUZZ_CHECK(ev != NVME_TCP_RECV_PDU_DDGST_ERROR,
			   "a wrong data digest from the target");
		buf += used;
		len -= used;
		if (ev == NVME_TCP_RECV_PDU) {
			host_on_pdu(h);
		}
	}
}

/* Reads what has arrived; returns whether anything (or the close) did. */
static bool host_drain(struct fz_host *h)
{
	static uint8_t buf[65536];
	bool any = false;

	while (!h->closed) {
		ssize_t n = recv(h->fd, buf, sizeof(buf), 0);

		if (n > 0) {
			host_feed(h, buf, (size_t)n);
			any = true;
		} else if (n == 0 || errno == ECONNRESET) {
			h->closed = true;
			any = true;
		} else {
			FUZZ_CHECK(errno == EAGAIN || errno == EINTR, "recv: %d", errno);
			break;
		}
	}
	return any;
}

void fz_host_settle(struct fz_host *h)
{
	for (int i = 0; i < FZ_SETTLE_ROUNDS; i++) {
		int rounds = ut_poll_threads(g_threads, 2);

		if (!host_drain(h) && rounds == 0) {
			return;
		}
	}
	FUZZ_CHECK(false, "the target never went quiet");
}

bool fz_host_send(struct fz_host *h, const void *buf, size_t len)
{
	size_t off = 0;

	for (int i = 0; off < len && i < FZ_SETTLE_ROUNDS; i++) {
		ssize_t n = h->closed ? -1
				      : send(h->fd, (const uint8_t *)buf + off, len - off,
					     MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
		} else if (h->closed || errno == EPIPE || errno == ECONNRESET) {
			h->closed = true;
			return false;
		} else {
			fz_host_settle(h);
		}
	}
	FUZZ_CHECK(off == len, "the target stopped reading its socket");
	return true;
}

void fz_host_send_pdu(struct fz_host *h, struct nvme_tcp_pdu_send *p, const struct iovec *data,
		      int datacnt, uint32_t chunk, bool bad_hdgst, bool bad_ddgst)
{
	struct iovec out[NVME_TCP_PDU_BUILD_EXTRA_IOVS + 4];
	uint8_t type = p->hdr.ch.pdu_type;
	bool digestible = type != USK_NVME_TCP_PDU_ICREQ && type != USK_NVME_TCP_PDU_H2C_TERM_REQ;
	size_t len = 0;
	int n = nvme_tcp_pdu_build(p, &h->send_dgst, data, datacnt, out, (int)USK_COUNTOF(out));

	FUZZ_CHECK(n > 0, "cannot build PDU type %u: %d", type, n);
	for (int i = 0; i < n; i++) {
		memcpy(g_pdu_buf + len, out[i].iov_base, out[i].iov_len);
		len += out[i].iov_len;
	}
	if (bad_hdgst && digestible && h->send_dgst.hdgst) {
		g_pdu_buf[p->hdr.ch.hlen] ^= 0x5a;
	}
	if (bad_ddgst && digestible && h->send_dgst.ddgst && datacnt > 0) {
		g_pdu_buf[len - 1] ^= 0x5a;
	}
	/* At most 256 pieces: a 128 KiB PDU 7 bytes at a time would only be slow. */
	if (chunk == 0 || len / chunk > 256) {
		chunk = chunk == 0 ? (uint32_t)len : (uint32_t)(len / 256 + 1);
	}
	for (size_t off = 0; off < len; off += chunk) {
		if (!fz_host_send(h, g_pdu_buf + off, USK_MIN((size_t)chunk, len - off))) {
			return;
		}
		if (off + chunk < len) {
			fz_host_settle(h);
		}
	}
}

void fz_host_icreq(struct fz_host *h, uint8_t dgst, uint8_t hpda)
{
	struct nvme_tcp_pdu_send p;

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_ICREQ);
	p.hdr.icreq.pfv = USK_NVME_TCP_PFV_1_0;
	p.hdr.icreq.hpda = hpda;
	p.hdr.icreq.dgst = dgst;
	h->hpda = hpda;
	fz_host_send_pdu(h, &p, NULL, 0, 0, false, false);
	/* The digests ICResp grants decide how the next PDUs are built. */
	fz_host_settle(h);
}

uint16_t fz_host_capsule(struct fz_host *h, struct usk_nvme_sqe *sqe, const void *icd,
			 uint32_t icd_len, uint32_t chunk, bool bad_hdgst, bool bad_ddgst)
{
	struct nvme_tcp_pdu_send p;
	struct iovec data = {.iov_base = (void *)(uintptr_t)icd, .iov_len = icd_len};

	sqe->cid = ++h->cid;
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_CAPSULE_CMD);
	p.hdr.cmd.sqe = *sqe;
	fz_host_send_pdu(h, &p, &data, icd_len != 0, chunk, bad_hdgst, bad_ddgst);
	return sqe->cid;
}

void fz_host_answer_r2t(struct fz_host *h, const uint8_t *data)
{
	struct fz_r2t r = h->r2t[0];
	struct nvme_tcp_pdu_send p;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)(data + r.off), .iov_len = r.len};

	memmove(&h->r2t[0], &h->r2t[1], sizeof(h->r2t[0]) * (FZ_R2T_MAX - 1));
	h->nr2t--;
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_H2C_DATA);
	p.hdr.data.cccid = r.cccid;
	p.hdr.data.ttag = r.ttag;
	p.hdr.data.datao = r.off;
	p.hdr.ch.flags = USK_NVME_TCP_FLAG_LAST_PDU;
	fz_host_send_pdu(h, &p, &iov, 1, 0, false, false);
}

int fz_host_cmd(struct fz_host *h, struct usk_nvme_sqe *sqe, const void *icd, uint32_t icd_len,
		const uint8_t *out)
{
	uint16_t cid;

	h->resp_seen = false;
	h->c2h_len = 0;
	cid = fz_host_capsule(h, sqe, icd, icd_len, 0, false, false);
	for (int i = 0; i < 1000 && !h->closed; i++) {
		fz_host_settle(h);
		if (h->nr2t > 0 && out != NULL) {
			fz_host_answer_r2t(h, out);
			continue;
		}
		if (h->resp_seen) {
			FUZZ_CHECK(h->resp.cid == cid, "response for CID %u, not %u", h->resp.cid,
				   cid);
			return USK_NVME_STATUS_CODE(h->resp.status);
		}
	}
	return -1;
}

void fz_connect_fill(struct usk_nvmf_connect_cmd *cmd, struct usk_nvmf_connect_data *d,
		     uint16_t qid, uint16_t cntlid, uint16_t sqsize, uint32_t kato,
		     const char *hostnqn)
{
	uint64_t sgl = sizeof(*d) | (uint64_t)USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET << 56;

	memset(cmd, 0, sizeof(*cmd));
	memset(d, 0, sizeof(*d));
	cmd->opcode = USK_NVMF_OPC_FABRIC;
	cmd->flags = USK_NVME_SQE_PSDT_SGL;
	cmd->fctype = USK_NVMF_FCTYPE_CONNECT;
	cmd->qid = qid;
	cmd->sqsize = sqsize;
	cmd->kato = kato;
	memcpy(cmd->sgl1 + 8, &sgl, sizeof(sgl));
	d->cntlid = cntlid;
	snprintf(d->subnqn, sizeof(d->subnqn), "%s", FZ_NQN);
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", hostnqn);
}

int fz_host_connect(struct fz_host *h, uint16_t qid, uint16_t cntlid, uint32_t kato)
{
	struct usk_nvmf_connect_cmd cmd;
	struct usk_nvmf_connect_data d;
	int rc;

	fz_connect_fill(&cmd, &d, qid, cntlid, qid == 0 ? 31 : 63, kato, FZ_HOSTNQN);
	rc = fz_host_cmd(h, (struct usk_nvme_sqe *)&cmd, &d, sizeof(d), NULL);
	if (rc == 0) {
		h->cntlid = (uint16_t)h->resp.dw0;
	}
	return rc;
}
