/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "usk/nvme_spec.h"
#include "usk/nvmf_spec.h"
#include "usk_internal/nvme_tcp_pdu.h"
#include "ut_tcp_target.h"

#define MAX_CONNS 8
#define DATA_MAX  (256 * 1024)

struct conn {
	struct ut_tcp_target *t;
	int fd;
	pthread_t thread;
	struct nvme_tcp_pdu_recv recv;
	uint8_t *data;
	struct nvme_tcp_digests send_dgst;
	uint16_t qid;
	/* The write waiting for its H2CData. */
	struct usk_nvme_sqe write_cmd;
	uint32_t write_got;
	uint32_t write_len;
	bool refused; /* its I/O queue Connect was refused */
};

struct ut_tcp_target {
	struct ut_tcp_target_opts opts;
	int listen_fd;
	pthread_t accept_thread;
	pthread_mutex_t lock;
	/*
	 * Answers held back (ut_tcp_target_hold): the requests that reached the
	 * gate are numbered from 0; while holding, those below @let_go pass.
	 * @lock guards them, @held_cond signals changes.
	 */
	pthread_cond_t held_cond;
	bool hold;
	uint32_t arrived;
	uint32_t let_go;
	struct conn *conns[MAX_CONNS];
	int nconns;
	bool stopping;
	uint8_t *storage;
	uint32_t cc;
	uint32_t io_cmds;
	uint32_t h2c_pdus;
	uint32_t h2c_largest;
	uint32_t in_capsule_writes;
	bool ddgst_corrupted;
	uint32_t connect_kato;
	uint32_t keep_alives;
	uint32_t io_connects;
	uint32_t refusals_taken;
	/* The discovery log as it is now, and what the host did with it. */
	uint64_t disc_genctr;
	uint32_t disc_entries;
	uint32_t disc_changes_left;
	uint32_t disc_reads;
	uint32_t disc_refused;
	bool read_broken;
	uint32_t term_reqs;
	struct ut_tcp_term_req term_req;
};

/*
 * The steps of every target in the process, counted so that a test can
 * wait for the next one instead of napping: one target or several, a test
 * polls its hosts between steps.
 */
static pthread_mutex_t g_steps_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_steps_cond = PTHREAD_COND_INITIALIZER;
static uint64_t g_steps;

/* A step is done: its bytes are sent, its counters updated. */
static void target_step(void)
{
	pthread_mutex_lock(&g_steps_lock);
	g_steps++;
	pthread_cond_broadcast(&g_steps_cond);
	pthread_mutex_unlock(&g_steps_lock);
}

uint64_t ut_tcp_target_steps(void)
{
	uint64_t steps;

	pthread_mutex_lock(&g_steps_lock);
	steps = g_steps;
	pthread_mutex_unlock(&g_steps_lock);
	return steps;
}

bool ut_tcp_target_wait_steps(uint64_t seen, uint32_t ms)
{
	struct timespec until;
	bool passed;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&g_steps_lock);
	while (g_steps == seen && rc == 0) {
		rc = pthread_cond_timedwait(&g_steps_cond, &g_steps_lock, &until);
	}
	passed = g_steps != seen;
	pthread_mutex_unlock(&g_steps_lock);
	return passed;
}

/* Writes all of @iov (a few bytes at a time when dribbling); false when the host is gone. */
static bool conn_send_iov(struct conn *c, const struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left > 0) {
			size_t chunk = c->t->opts.dribble ? (left < 3 ? left : 3) : left;
			ssize_t w = send(c->fd, p, chunk, MSG_NOSIGNAL);

			if (w <= 0) {
				return false;
			}
			if (c->t->opts.dribble) {
				usleep(20);
			}
			p += w;
			left -= (size_t)w;
		}
	}
	return true;
}

#define CORRUPT_DDGST 1
#define CORRUPT_HDGST 2

static bool conn_send_pdu(struct conn *c, struct nvme_tcp_pdu_send *p, const void *data,
			  uint32_t len, int corrupt)
{
	struct iovec d = {.iov_base = (void *)(uintptr_t)data, .iov_len = len};
	struct iovec out[8];
	int n = nvme_tcp_pdu_build(p, &c->send_dgst, &d, len > 0 ? 1 : 0, out, 8);

	if (n < 0) {
		return false;
	}
	if (corrupt & CORRUPT_DDGST) {
		p->ddgst[0] ^= 0xff;
	}
	if (corrupt & CORRUPT_HDGST) {
		p->hdgst[0] ^= 0xff;
	}
	return conn_send_iov(c, out, n);
}

static bool conn_send_resp(struct conn *c, uint16_t cid, uint16_t status, uint32_t dw0)
{
	struct nvme_tcp_pdu_send p;

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_CAPSULE_RESP);
	p.hdr.resp.cqe = (struct usk_nvme_cqe){
		.dw0 = dw0, .sqid = c->qid, .cid = cid, .status = (uint16_t)(status << 1)};
	return conn_send_pdu(c, &p, NULL, 0, 0);
}

/* The first C2HData of a read, broken as the options say; the host ends the connection. */
static bool conn_send_bad_read(struct conn *c, struct nvme_tcp_pdu_send *p, const uint8_t *buf,
			       uint32_t len)
{
	struct usk_nvme_tcp_data huge = {.ch = {.pdu_type = USK_NVME_TCP_PDU_C2H_DATA,
						.hlen = sizeof(huge),
						.pdo = sizeof(huge),
						.plen = 64u << 20},
					 .cccid = p->hdr.data.cccid,
					 .datal = (64u << 20) - (uint32_t)sizeof(huge)};
	struct iovec iov = {.iov_base = &huge, .iov_len = sizeof(huge)};

	switch (c->t->opts.bad_read) {
	case UT_TCP_READ_BAD_HDGST:
		return conn_send_pdu(c, p, buf, len, CORRUPT_HDGST);
	case UT_TCP_READ_BAD_DATAO:
		p->hdr.data.datao = 4096;
		return conn_send_pdu(c, p, buf, len, 0);
	default:
		return conn_send_iov(c, &iov, 1);
	}
}

/* Sends @len bytes as C2HData PDUs of 8 KiB at most, then the response unless SUCCESS says it. */
static bool conn_send_read(struct conn *c, uint16_t cid, const uint8_t *buf, uint32_t len)
{
	bool success = c->t->opts.c2h_success;

	for (uint32_t off = 0; off < len; off += 8192) {
		struct nvme_tcp_pdu_send p;
		uint32_t n = len - off < 8192 ? len - off : 8192;
		int corrupt = 0;

		nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_C2H_DATA);
		p.hdr.data.cccid = cid;
		p.hdr.data.datao = off;
		if (off + n == len) {
			p.hdr.ch.flags |= USK_NVME_TCP_FLAG_LAST_PDU |
					  (success ? USK_NVME_TCP_FLAG_SUCCESS : 0);
		}
		if (c->t->opts.corrupt_read_ddgst && c->qid != 0 && !c->t->ddgst_corrupted) {
			c->t->ddgst_corrupted = true;
			corrupt = CORRUPT_DDGST;
		}
		if (c->t->opts.bad_read != UT_TCP_READ_OK && c->qid != 0 && !c->t->read_broken) {
			c->t->read_broken = true;
			return conn_send_bad_read(c, &p, buf, n);
		}
		if (!conn_send_pdu(c, &p, buf + off, n, corrupt)) {
			return false;
		}
	}
	return success && len > 0 ? true : conn_send_resp(c, cid, 0, 0);
}

static void fill_cdata(struct conn *c, uint8_t *buf)
{
	struct usk_nvme_ctrlr_data *cd = (struct usk_nvme_ctrlr_data *)buf;
	uint32_t ioccsz = (64 + c->t->opts.in_capsule) / 16;

	memset(buf, 0, 4096);
	memcpy(cd->mn, "USK fake TCP target", 19);
	cd->mdts = 5;
	cd->cntlid = 1;
	cd->nn = 1;
	cd->sgls = 1;
	memcpy(buf + 1792, &ioccsz, sizeof(ioccsz));
	memcpy(buf + 1792 + 8, &c->t->opts.icdoff, sizeof(c->t->opts.icdoff));
	if (c->t->opts.disc.enabled) {
		cd->nn = 0;
		buf[USK_NVME_CDATA_CNTRLTYPE_OFFSET] = USK_NVME_CNTRLTYPE_DISCOVERY;
		cd->lpa = c->t->opts.disc.fault == UT_DISC_FAULT_NO_OFFSETS ? 0 : 1u << 2;
	}
}

static void fill_ns(uint8_t *buf)
{
	struct usk_nvme_ns_data *nd = (struct usk_nvme_ns_data *)buf;

	memset(buf, 0, 4096);
	nd->nsze = UT_TCP_TARGET_BLOCKS;
	nd->ncap = UT_TCP_TARGET_BLOCKS;
	nd->lbaf[0].lbads = 12;
}

/* Get Log Page 70h: reading the second page may change the log, as the options say. */
static bool conn_disc_log(struct conn *c, const struct usk_nvme_sqe *cmd, uint8_t *buf)
{
	struct ut_tcp_target *t = c->t;
	uint32_t len = (((cmd->cdw11 & 0xffff) << 16 | cmd->cdw10 >> 16) + 1) * 4;
	uint64_t offset = (uint64_t)cmd->cdw13 << 32 | cmd->cdw12;

	if ((cmd->cdw10 & 0xff) != USK_NVME_LOG_DISCOVERY || len > 4096) {
		return conn_send_resp(c, cmd->cid, USK_NVME_SC_INVALID_FIELD, 0);
	}
	ut_tcp_target_disc_log(&t->opts.disc, t->disc_genctr, t->disc_entries, offset, buf, len);
	__atomic_add_fetch(&t->disc_reads, 1, __ATOMIC_RELAXED);
	if (offset == 4096 && t->disc_changes_left > 0) {
		t->disc_changes_left--;
		t->disc_genctr++;
		t->disc_entries += t->opts.disc.grow ? 1 : 0;
	}
	return conn_send_read(c, cmd->cid, buf, len);
}

/* A discovery controller answers Identify Controller and its log; the rest is refused. */
static bool conn_disc_admin(struct conn *c, const struct usk_nvme_sqe *cmd, uint8_t *buf)
{
	if (cmd->opcode == USK_NVME_OPC_GET_LOG_PAGE) {
		return conn_disc_log(c, cmd, buf);
	}
	if (cmd->opcode == USK_NVME_OPC_IDENTIFY &&
	    (cmd->cdw10 & 0xff) == USK_NVME_CNS_CONTROLLER) {
		fill_cdata(c, buf);
		return conn_send_read(c, cmd->cid, buf, 4096);
	}
	__atomic_add_fetch(&c->t->disc_refused, 1, __ATOMIC_RELAXED);
	return conn_send_resp(c, cmd->cid, USK_NVME_SC_INVALID_FIELD, 0);
}

static bool conn_admin(struct conn *c, const struct usk_nvme_sqe *cmd)
{
	static uint8_t buf[4096];

	if (c->t->opts.disc.enabled) {
		return conn_disc_admin(c, cmd, buf);
	}

	switch (cmd->opcode) {
	case USK_NVME_OPC_IDENTIFY:
		if ((cmd->cdw10 & 0xff) == USK_NVME_CNS_CONTROLLER) {
			fill_cdata(c, buf);
		} else if ((cmd->cdw10 & 0xff) == USK_NVME_CNS_NAMESPACE && cmd->nsid == 1) {
			fill_ns(buf);
		} else {
			memset(buf, 0, sizeof(buf));
			buf[0] = 1; /* the active namespace list: namespace 1 */
		}
		return conn_send_read(c, cmd->cid, buf, sizeof(buf));
	case USK_NVME_OPC_SET_FEATURES:
		return conn_send_resp(
			c, cmd->cid, 0,
			(cmd->cdw10 & 0xff) == USK_NVME_FEAT_NUMBER_OF_QUEUES ? 3u << 16 | 3u : 0);
	case USK_NVME_OPC_ASYNC_EVENT_REQUEST:
		return true; /* kept: no event comes */
	case USK_NVME_OPC_KEEP_ALIVE:
		__atomic_add_fetch(&c->t->keep_alives, 1, __ATOMIC_RELAXED);
		return c->t->opts.silent_keep_alive || conn_send_resp(c, cmd->cid, 0, 0);
	default:
		return conn_send_resp(c, cmd->cid, 0, 0);
	}
}

/*
 * Waits, while the test holds answers back, for one to be let go; false
 * when the target stops meanwhile. On a connection's own thread.
 */
static bool conn_gate(struct ut_tcp_target *t)
{
	uint32_t ticket;
	bool go;

	pthread_mutex_lock(&t->lock);
	ticket = t->arrived++;
	pthread_cond_broadcast(&t->held_cond);
	pthread_mutex_unlock(&t->lock);
	target_step();
	pthread_mutex_lock(&t->lock);
	while (t->hold && ticket >= t->let_go && !t->stopping) {
		pthread_cond_wait(&t->held_cond, &t->lock);
	}
	go = !t->stopping;
	pthread_mutex_unlock(&t->lock);
	return go;
}

/* Counts an I/O queue's Connect: whether the options refuse it. */
static bool conn_refuse_io_connect(struct ut_tcp_target *t)
{
	uint32_t n = __atomic_add_fetch(&t->io_connects, 1, __ATOMIC_RELAXED);
	uint32_t from = t->opts.refuse_io_connect_from;

	return from != 0 && n >= from &&
	       (t->opts.refuse_io_connects == 0 || n < from + t->opts.refuse_io_connects);
}

static bool conn_fabrics(struct conn *c, const struct usk_nvme_sqe *cmd)
{
	struct ut_tcp_target *t = c->t;
	uint64_t value = 0;

	if (!conn_gate(t)) {
		return false;
	}
	switch (cmd->nsid & 0xff) {
	case 0x01: /* Connect */
		c->qid = (uint16_t)(cmd->cdw10 >> 16);
		if (c->qid == 0) {
			__atomic_store_n(&t->connect_kato, cmd->cdw12, __ATOMIC_RELAXED);
		}
		if (t->opts.refuse_host) {
			return conn_send_resp(c, cmd->cid, 0x184, 0);
		}
		if (c->qid != 0 && conn_refuse_io_connect(t)) {
			c->refused = true;
			return conn_send_resp(c, cmd->cid, 0x182, 0);
		}
		return conn_send_resp(c, cmd->cid, 0, 1);
	case 0x00: /* Property Set */
		if (cmd->cdw11 == USK_NVME_REG_CC) {
			t->cc = cmd->cdw12;
		}
		return conn_send_resp(c, cmd->cid, 0, 0);
	case 0x04: /* Property Get */
		if (cmd->cdw11 == USK_NVME_REG_CAP) {
			value = 127 | 1ull << 24 | 1ull << 37;
		} else if (cmd->cdw11 == USK_NVME_REG_VS) {
			value = 0x10400;
		} else if (cmd->cdw11 == USK_NVME_REG_CC) {
			value = t->cc;
		} else if (cmd->cdw11 == USK_NVME_REG_CSTS) {
			value = (t->cc & USK_NVME_CC_EN) |
				((t->cc & USK_NVME_CC_SHN_MASK) ? USK_NVME_CSTS_SHST_COMPLETE : 0);
		}
		struct nvme_tcp_pdu_send p;

		nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_CAPSULE_RESP);
		p.hdr.resp.cqe = (struct usk_nvme_cqe){.dw0 = (uint32_t)value,
						       .dw1 = (uint32_t)(value >> 32),
						       .sqid = c->qid,
						       .cid = cmd->cid};
		return conn_send_pdu(c, &p, NULL, 0, 0);
	default:
		return conn_send_resp(c, cmd->cid, USK_NVME_SC_INVALID_OPCODE, 0);
	}
}

/* The byte range of an LBA command, or false when out of the namespace. */
static bool io_range(const struct usk_nvme_sqe *cmd, uint64_t *off, uint32_t *len)
{
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint32_t nlb = (cmd->cdw12 & 0xffff) + 1;

	if (slba + nlb > UT_TCP_TARGET_BLOCKS) {
		return false;
	}
	*off = slba * UT_TCP_TARGET_BLOCK_SIZE;
	*len = nlb * UT_TCP_TARGET_BLOCK_SIZE;
	return true;
}

static bool conn_io(struct conn *c, const struct usk_nvme_sqe *cmd, const struct nvme_tcp_pdu *pdu)
{
	struct ut_tcp_target *t = c->t;
	uint64_t off;
	uint32_t len;

	if (t->opts.drop_after_io != 0 &&
	    __atomic_add_fetch(&t->io_cmds, 1, __ATOMIC_RELAXED) >= t->opts.drop_after_io) {
		return false;
	}
	if (t->opts.drop_at_io != 0 &&
	    __atomic_add_fetch(&t->io_cmds, 1, __ATOMIC_RELAXED) == t->opts.drop_at_io) {
		return false;
	}
	if ((cmd->opcode == USK_NVME_OPC_READ || cmd->opcode == USK_NVME_OPC_WRITE ||
	     cmd->opcode == USK_NVME_OPC_WRITE_ZEROES) &&
	    !io_range(cmd, &off, &len)) {
		return conn_send_resp(c, cmd->cid, USK_NVME_SC_LBA_OUT_OF_RANGE, 0);
	}
	switch (cmd->opcode) {
	case USK_NVME_OPC_READ:
		return conn_send_read(c, cmd->cid, t->storage + off, len);
	case USK_NVME_OPC_WRITE:
		if (pdu->data_len == len) {
			memcpy(t->storage + off, pdu->data, len);
			__atomic_add_fetch(&t->in_capsule_writes, 1, __ATOMIC_RELAXED);
			return conn_send_resp(c, cmd->cid, 0, 0);
		}
		struct nvme_tcp_pdu_send p;

		c->write_cmd = *cmd;
		c->write_got = 0;
		c->write_len = len;
		nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_R2T);
		p.hdr.r2t.cccid = cmd->cid;
		p.hdr.r2t.ttag = 7;
		p.hdr.r2t.r2tl = len;
		return conn_send_pdu(c, &p, NULL, 0, 0);
	case USK_NVME_OPC_WRITE_ZEROES:
		memset(t->storage + off, 0, len);
		return conn_send_resp(c, cmd->cid, 0, 0);
	default:
		return conn_send_resp(c, cmd->cid, 0, 0);
	}
}

static bool conn_h2c(struct conn *c, const struct nvme_tcp_pdu *pdu)
{
	const struct usk_nvme_tcp_data *h = &pdu->hdr->data;
	uint64_t off;
	uint32_t len;

	if (h->cccid != c->write_cmd.cid || h->ttag != 7 || h->datao != c->write_got ||
	    h->datao + h->datal > c->write_len || !io_range(&c->write_cmd, &off, &len)) {
		return false;
	}
	memcpy(c->t->storage + off + h->datao, pdu->data, h->datal);
	/* Atomic: the test reads them from its own thread. */
	__atomic_add_fetch(&c->t->h2c_pdus, 1, __ATOMIC_RELAXED);
	if (h->datal > __atomic_load_n(&c->t->h2c_largest, __ATOMIC_RELAXED)) {
		__atomic_store_n(&c->t->h2c_largest, h->datal, __ATOMIC_RELAXED);
	}
	c->write_got += h->datal;
	if (c->write_got < c->write_len) {
		return true;
	}
	return conn_send_resp(c, h->cccid, 0, 0);
}

static bool conn_icreq(struct conn *c, const struct nvme_tcp_pdu *pdu)
{
	const struct usk_nvme_tcp_icreq *ic = &pdu->hdr->icreq;
	uint8_t dgst = c->t->opts.grant_digests ? ic->dgst : 0;
	struct nvme_tcp_digests recv_dgst = {.hdgst = dgst & 1, .ddgst = (dgst & 2) != 0};
	struct nvme_tcp_pdu_send p;
	const struct nvme_tcp_digests none = {.pda = 0};
	struct iovec out[4];
	int n;

	if (!conn_gate(c->t)) {
		return false;
	}
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_ICRESP);
	p.hdr.icresp.dgst = dgst;
	p.hdr.icresp.maxh2cdata = c->t->opts.maxh2cdata != 0 ? c->t->opts.maxh2cdata : 8192;
	n = nvme_tcp_pdu_build(&p, &none, NULL, 0, out, 4);
	c->send_dgst = recv_dgst;
	c->send_dgst.pda = ic->hpda;
	nvme_tcp_pdu_recv_set_digests(&c->recv, &recv_dgst);
	return n > 0 && conn_send_iov(c, out, n);
}

static void conn_term_req(struct conn *c, const struct nvme_tcp_pdu *pdu)
{
	struct ut_tcp_target *t = c->t;

	pthread_mutex_lock(&t->lock);
	if (t->term_reqs++ == 0) {
		t->term_req.fes = pdu->hdr->term.fes;
		t->term_req.fei = pdu->hdr->term.fei;
		t->term_req.data_len = pdu->data_len;
		memcpy(t->term_req.data, pdu->data, pdu->data_len);
	}
	pthread_mutex_unlock(&t->lock);
}

static bool conn_pdu(struct conn *c)
{
	const struct nvme_tcp_pdu *pdu = &c->recv.pdu;

	switch (pdu->hdr->ch.pdu_type) {
	case USK_NVME_TCP_PDU_ICREQ:
		return conn_icreq(c, pdu);
	case USK_NVME_TCP_PDU_CAPSULE_CMD: {
		const struct usk_nvme_sqe *cmd = &pdu->hdr->cmd.sqe;

		if (cmd->opcode == 0x7f) {
			return conn_fabrics(c, cmd);
		}
		return c->qid == 0 ? conn_admin(c, cmd) : conn_io(c, cmd, pdu);
	}
	case USK_NVME_TCP_PDU_H2C_DATA:
		return conn_h2c(c, pdu);
	case USK_NVME_TCP_PDU_H2C_TERM_REQ:
		conn_term_req(c, pdu);
		return false;
	default:
		return false;
	}
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	uint8_t buf[4096];

	for (;;) {
		ssize_t got = recv(c->fd, buf, sizeof(buf), 0);
		size_t off = 0;

		if (got <= 0) {
			break;
		}
		while (off < (size_t)got) {
			size_t used;
			int ev = nvme_tcp_pdu_recv_feed(&c->recv, buf + off, (size_t)got - off,
							&used);

			off += used;
			if (ev < 0 || ev == NVME_TCP_RECV_PDU_DDGST_ERROR ||
			    (ev == NVME_TCP_RECV_PDU && !conn_pdu(c))) {
				goto out;
			}
			if (ev == NVME_TCP_RECV_PDU) {
				target_step();
			}
		}
	}
out:
	shutdown(c->fd, SHUT_RDWR);
	if (c->refused) {
		__atomic_add_fetch(&c->t->refusals_taken, 1, __ATOMIC_RELAXED);
	}
	target_step();
	return NULL;
}

static void *accept_main(void *arg)
{
	struct ut_tcp_target *t = arg;

	for (;;) {
		int fd = accept(t->listen_fd, NULL, NULL);
		int one = 1;

		if (fd < 0) {
			return NULL;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_mutex_lock(&t->lock);
		if (t->stopping || t->nconns == MAX_CONNS) {
			pthread_mutex_unlock(&t->lock);
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));

		c->t = t;
		c->fd = fd;
		c->data = malloc(DATA_MAX);
		nvme_tcp_pdu_recv_init(&c->recv, NVME_TCP_ROLE_CTRLR, c->data, DATA_MAX);
		t->conns[t->nconns++] = c;
		pthread_create(&c->thread, NULL, conn_main, c);
		pthread_mutex_unlock(&t->lock);
		target_step();
	}
}

int ut_tcp_target_start(const struct ut_tcp_target_opts *opts, struct ut_tcp_target **target,
			uint16_t *port)
{
	struct ut_tcp_target *t = calloc(1, sizeof(*t));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);

	if (t == NULL) {
		return -ENOMEM;
	}
	t->opts = *opts;
	t->disc_genctr = 1;
	t->disc_entries = opts->disc.entries;
	t->disc_changes_left = opts->disc.changes;
	t->storage = calloc(UT_TCP_TARGET_BLOCKS, UT_TCP_TARGET_BLOCK_SIZE);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->held_cond, NULL);
	t->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (t->listen_fd < 0 || bind(t->listen_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(t->listen_fd, 8) != 0 ||
	    getsockname(t->listen_fd, (struct sockaddr *)&sin, &sl) != 0) {
		return -errno;
	}
	*port = ntohs(sin.sin_port);
	pthread_create(&t->accept_thread, NULL, accept_main, t);
	*target = t;
	return 0;
}

void ut_tcp_target_stop(struct ut_tcp_target *t)
{
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_broadcast(&t->held_cond);
	pthread_mutex_unlock(&t->lock);
	shutdown(t->listen_fd, SHUT_RDWR);
	pthread_join(t->accept_thread, NULL);
	close(t->listen_fd);
	for (int i = 0; i < t->nconns; i++) {
		shutdown(t->conns[i]->fd, SHUT_RDWR);
		pthread_join(t->conns[i]->thread, NULL);
		close(t->conns[i]->fd);
		free(t->conns[i]->data);
		free(t->conns[i]);
	}
	pthread_cond_destroy(&t->held_cond);
	pthread_mutex_destroy(&t->lock);
	free(t->storage);
	free(t);
}

uint32_t ut_tcp_target_h2c_pdus(struct ut_tcp_target *t, uint32_t *largest)
{
	*largest = __atomic_load_n(&t->h2c_largest, __ATOMIC_RELAXED);
	return __atomic_load_n(&t->h2c_pdus, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_in_capsule_writes(struct ut_tcp_target *t)
{
	return __atomic_load_n(&t->in_capsule_writes, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_disc_reads(struct ut_tcp_target *t, uint32_t *refused)
{
	*refused = __atomic_load_n(&t->disc_refused, __ATOMIC_RELAXED);
	return __atomic_load_n(&t->disc_reads, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_connect_kato(struct ut_tcp_target *t)
{
	return __atomic_load_n(&t->connect_kato, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_keep_alives(struct ut_tcp_target *t)
{
	return __atomic_load_n(&t->keep_alives, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_io_connects(struct ut_tcp_target *t)
{
	return __atomic_load_n(&t->io_connects, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_refusals_taken(struct ut_tcp_target *t)
{
	return __atomic_load_n(&t->refusals_taken, __ATOMIC_RELAXED);
}

uint32_t ut_tcp_target_term_reqs(struct ut_tcp_target *t, struct ut_tcp_term_req *first)
{
	uint32_t n;

	pthread_mutex_lock(&t->lock);
	n = t->term_reqs;
	if (n > 0) {
		*first = t->term_req;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

void ut_tcp_target_hold(struct ut_tcp_target *t, bool hold)
{
	pthread_mutex_lock(&t->lock);
	t->hold = hold;
	t->let_go = t->arrived;
	pthread_cond_broadcast(&t->held_cond);
	pthread_mutex_unlock(&t->lock);
}

/* The lock is held. */
static uint32_t target_held(const struct ut_tcp_target *t)
{
	return t->hold && t->arrived > t->let_go ? t->arrived - t->let_go : 0;
}

uint32_t ut_tcp_target_held(struct ut_tcp_target *t)
{
	uint32_t held;

	pthread_mutex_lock(&t->lock);
	held = target_held(t);
	pthread_mutex_unlock(&t->lock);
	return held;
}

bool ut_tcp_target_wait_held(struct ut_tcp_target *t, uint32_t count)
{
	struct timespec until;
	bool reached;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&t->lock);
	while (target_held(t) < count && rc == 0) {
		rc = pthread_cond_timedwait(&t->held_cond, &t->lock, &until);
	}
	reached = target_held(t) >= count;
	pthread_mutex_unlock(&t->lock);
	return reached;
}

void ut_tcp_target_release(struct ut_tcp_target *t, uint32_t count)
{
	pthread_mutex_lock(&t->lock);
	t->let_go += count;
	pthread_cond_broadcast(&t->held_cond);
	pthread_mutex_unlock(&t->lock);
}
