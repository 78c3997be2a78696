/* SPDX-License-Identifier: BSD-3-Clause */
/* A bare NVMe/TCP queue pair over a scripted socket: see ut_tcp_qpair.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "nvme_qpair_submit.h"
#include "nvme_transport.h"
#include "usk_internal/sock.h"
#include "ut.h"
#include "ut_tcp_qpair.h"

#define UT_SOCK_OUT_MAX (4u << 20)
#define UT_SOCK_IN_MAX	(1u << 20)

struct ut_tcp_sock g_ut_sock;
struct ut_tcp_done g_ut_tcp_done[UT_TCP_QPAIR_ENTRIES_MAX];

static uint8_t g_out[UT_SOCK_OUT_MAX];
static uint8_t g_in[UT_SOCK_IN_MAX];
static struct nvme_tcp_ctrlr g_ctrlr;

/* The socket the queue pair holds: only its address matters. */
#define UT_SOCK ((struct usk_sock *)&g_ut_sock)

ssize_t __wrap_usk_sock_writev(struct usk_sock *sock, const struct iovec *iov, int iovcnt);
ssize_t __wrap_usk_sock_readv(struct usk_sock *sock, const struct iovec *iov, int iovcnt);
void __wrap_usk_sock_close(struct usk_sock *sock);

ssize_t __wrap_usk_sock_writev(struct usk_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct ut_tcp_sock *s = &g_ut_sock;
	size_t take = s->write_chunk != 0 ? s->write_chunk : SIZE_MAX;
	size_t taken = 0;

	CU_ASSERT_PTR_EQUAL(sock, UT_SOCK);
	s->writev_calls++;
	if (s->write_error != 0) {
		return s->write_error;
	}
	if (s->writes_left == 0) {
		return -EAGAIN;
	}
	if (s->writes_left > 0) {
		s->writes_left--;
	}
	for (int i = 0; i < iovcnt && taken < take; i++) {
		size_t n = USK_MIN(iov[i].iov_len, take - taken);

		CU_ASSERT_FATAL(s->out_len + n <= UT_SOCK_OUT_MAX);
		memcpy(s->out + s->out_len, iov[i].iov_base, n);
		s->out_len += n;
		taken += n;
	}
	/* A writev of nothing would be a bug of the caller's: the kernel would say 0. */
	CU_ASSERT(taken > 0);
	return (ssize_t)taken;
}

ssize_t __wrap_usk_sock_readv(struct usk_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct ut_tcp_sock *s = &g_ut_sock;
	size_t give = USK_MIN(s->in_len - s->in_pos, s->read_chunk != 0 ? s->read_chunk : SIZE_MAX);
	size_t given = 0;

	CU_ASSERT_PTR_EQUAL(sock, UT_SOCK);
	if (give == 0) {
		return -EAGAIN;
	}
	for (int i = 0; i < iovcnt && given < give; i++) {
		size_t n = USK_MIN(iov[i].iov_len, give - given);

		memcpy(iov[i].iov_base, s->in + s->in_pos + given, n);
		given += n;
	}
	s->in_pos += given;
	return (ssize_t)given;
}

void __wrap_usk_sock_close(struct usk_sock *sock)
{
	if (sock != NULL) {
		CU_ASSERT_PTR_EQUAL(sock, UT_SOCK);
		g_ut_sock.closes++;
	}
}

void ut_tcp_sock_put(const void *buf, size_t len)
{
	CU_ASSERT_FATAL(g_ut_sock.in_len + len <= UT_SOCK_IN_MAX);
	memcpy(g_ut_sock.in + g_ut_sock.in_len, buf, len);
	g_ut_sock.in_len += len;
}

size_t ut_tcp_pdu_bytes(struct nvme_tcp_pdu_send *p, const struct nvme_tcp_digests *d,
			const void *data, uint32_t len, uint8_t *out, size_t max)
{
	struct iovec in = {.iov_base = (void *)(uintptr_t)data, .iov_len = len};
	struct iovec iov[1 + NVME_TCP_PDU_BUILD_EXTRA_IOVS];
	int n = nvme_tcp_pdu_build(p, d, &in, len != 0, iov, (int)USK_COUNTOF(iov));
	size_t off = 0;

	CU_ASSERT_FATAL(n > 0);
	for (int i = 0; i < n; i++) {
		CU_ASSERT_FATAL(off + iov[i].iov_len <= max);
		memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return off;
}

int ut_tcp_sock_sent(const uint8_t **pdus, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < g_ut_sock.out_len) {
		const uint8_t *p = g_ut_sock.out + off;
		uint32_t plen;

		CU_ASSERT_FATAL(n < max && off + 8 <= g_ut_sock.out_len);
		memcpy(&plen, p + 4, sizeof(plen));
		CU_ASSERT_FATAL(plen >= 8 && off + plen <= g_ut_sock.out_len);
		pdus[n++] = p;
		off += plen;
	}
	return n;
}

struct nvme_tcp_qpair *ut_tcp_qpair_create(uint16_t entries, const struct ut_tcp_qpair_opts *o)
{
	struct usk_nvme_ctrlr *c = &g_ctrlr.base;
	struct usk_nvme_qpair *q;
	struct nvme_tcp_qpair *tq;

	CU_ASSERT_FATAL(entries <= UT_TCP_QPAIR_ENTRIES_MAX);
	g_ut_sock = (struct ut_tcp_sock){.out = g_out, .in = g_in, .writes_left = -1};
	memset(g_ut_tcp_done, 0, sizeof(g_ut_tcp_done));
	memset(&g_ctrlr, 0, sizeof(g_ctrlr));
	nvme_ctrlr_construct(c, &g_nvme_tcp_ops, USK_NVME_TRANSPORT_TCP, NULL);
	/* A lost connection fails the controller (a flag here) instead of reconnecting. */
	c->opts.ctrlr_loss_timeout_sec = 0;
	snprintf(c->name, sizeof(c->name), "ut-tcp");
	CU_ASSERT_EQUAL_FATAL(nvme_qpair_create(c, o->admin ? 0 : 1, entries, entries, &q), 0);
	tq = nvme_tcp_qpair(q);
	/* As nvme_tcp_qpair_start, ICResp and Connect would have left it. */
	CU_ASSERT_EQUAL_FATAL(nvme_tcp_pdu_recv_init(&tq->recv, NVME_TCP_ROLE_HOST, tq->own_data,
						     NVME_MAX_XFER_SIZE),
			      0);
	tq->recv.ic_done = true;
	CU_ASSERT_EQUAL_FATAL(nvme_tcp_pdu_recv_set_digests(&tq->recv, &o->recv_dgst), 0);
	tq->sock = UT_SOCK;
	tq->send_dgst = o->send_dgst;
	tq->recv_dgst = o->recv_dgst;
	tq->maxh2cdata = o->maxh2cdata;
	tq->in_capsule_max = o->in_capsule_max;
	tq->state = NVME_TCP_RUNNING;
	tq->connected = true;
	return tq;
}

static void ut_tcp_done_cb(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct ut_tcp_done *d = arg;

	d->calls++;
	d->status = cpl->status;
}

uint16_t ut_tcp_submit(struct nvme_tcp_qpair *tq, uint8_t opc, const struct nvme_payload *data)
{
	const struct usk_nvme_sqe cmd = {.opcode = opc, .nsid = 1};
	uint16_t cid = tq->base.free_head;

	CU_ASSERT_EQUAL_FATAL(nvme_qpair_submit_payload(&tq->base, &cmd, data, ut_tcp_done_cb,
							&g_ut_tcp_done[cid]),
			      0);
	CU_ASSERT_TRUE(tq->base.trackers[cid].active);
	return cid;
}

void ut_tcp_qpair_destroy(struct nvme_tcp_qpair *tq)
{
	nvme_qpair_destroy(&tq->base);
	pthread_mutex_destroy(&g_ctrlr.base.admin_lock);
	pthread_mutex_destroy(&g_ctrlr.base.reset_waiters_lock);
	pthread_mutex_destroy(&g_ctrlr.base.irq_lock);
}
