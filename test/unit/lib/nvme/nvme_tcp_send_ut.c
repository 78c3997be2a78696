/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP initiator's send path alone, on a queue pair over a
 * scripted socket (ut_tcp_qpair.h): commands submitted through the queue
 * pair go out as CapsuleCmd PDUs, whole and in the order submitted,
 * however the socket takes them (a byte at a time, in random pieces, more
 * iovecs than one writev carries); a socket that takes nothing (EAGAIN)
 * leaves the queue as it was, and the next flush goes on where the last
 * one stopped; digests and padding are there when negotiated and only
 * then; H2CData answers an R2T in MAXH2CDATA pieces, LAST_PDU on the
 * last of each R2T; a write error fails the connection once and each
 * command ends once; nothing goes out after an H2CTermReq; a completion
 * that arrives while its command's PDU is going out runs once, after that
 * PDU is written, and stops its data; the admin poll whose Keep Alive
 * finds the connection gone reads no more.
 * What went out is split by PLEN and checked byte by byte.
 *
 * Source it covers (lib/nvme): nvme_tcp_send.c (with nvme_tcp_qpair.c's
 * poll around it).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/crc32c.h"
#include "ut.h"
#include "ut_tcp_qpair.h"

#define ENTRIES		   UT_TCP_QPAIR_ENTRIES_MAX
#define BUF_LEN		   16384
#define PDUS_MAX	   128
#define MIX_CMDS	   4
#define LOTS_CMDS	   40
#define OPC_FLUSH	   0x00
#define OPC_WRITE	   0x01
#define OPC_READ	   0x02
#define HDGSTF		   0x01
#define DDGSTF		   0x02
#define LAST_PDU	   0x04
#define SC_TRANSPORT_ERROR 0x22

/* One PDU of what went out, split by its PLEN. */
struct sent_pdu {
	const uint8_t *hdr;
	uint8_t type;
	uint8_t flags;
	uint32_t plen;
	const uint8_t *data;
	uint32_t data_len;
};

static uint8_t g_buf[BUF_LEN];
static struct iovec g_pieces[3];
static uint8_t g_ref[1 << 20];
static size_t g_ref_len;
static struct sent_pdu g_pdus[PDUS_MAX];

static const struct ut_tcp_qpair_opts g_plain = {.maxh2cdata = 4096, .in_capsule_max = 8192};
static const struct ut_tcp_qpair_opts g_digests = {
	.send_dgst = {.hdgst = true, .ddgst = true, .pda = 3},
	.recv_dgst = {.hdgst = true, .ddgst = true, .pda = 0},
	.maxh2cdata = 4096,
	.in_capsule_max = 8192,
};
/* No in-capsule data: every write waits for an R2T. */
static const struct ut_tcp_qpair_opts g_r2t = {.maxh2cdata = 4096};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Submits @opc on @len bytes of @data (flat, or @iovcnt iovecs); returns the CID it got. */
static uint16_t submit(struct nvme_tcp_qpair *tq, uint8_t opc, const void *data, uint32_t len,
		       int iovcnt)
{
	const struct nvme_payload payload = {.buf = data, .len = len, .iovcnt = iovcnt};

	return ut_tcp_submit(tq, opc, &payload);
}

/*
 * Splits what went out into PDUs by PLEN: each is whole, its header digest
 * and data digest there exactly when @o negotiated them (and right), its
 * padding zero. Returns how many.
 */
static int split_sent(const struct ut_tcp_qpair_opts *o)
{
	const uint8_t *starts[PDUS_MAX];
	int n = ut_tcp_sock_sent(starts, PDUS_MAX);

	for (int i = 0; i < n; i++) {
		struct sent_pdu *p = &g_pdus[i];
		uint8_t hlen = starts[i][2], pdo = starts[i][3];
		uint32_t hd = o->send_dgst.hdgst ? 4 : 0;

		*p = (struct sent_pdu){.hdr = starts[i],
				       .type = starts[i][0],
				       .flags = starts[i][1],
				       .plen = le32(starts[i] + 4)};
		CU_ASSERT_EQUAL(p->flags & HDGSTF, hd ? HDGSTF : 0);
		if (hd != 0) {
			CU_ASSERT_EQUAL(le32(p->hdr + hlen), usk_crc32c_update(0, p->hdr, hlen));
		}
		if (pdo != 0) {
			bool dd = o->send_dgst.ddgst;

			CU_ASSERT_EQUAL(pdo % ((o->send_dgst.pda + 1) * 4), 0);
			for (uint32_t j = hlen + hd; j < pdo; j++) {
				CU_ASSERT_EQUAL(p->hdr[j], 0);
			}
			p->data = p->hdr + pdo;
			p->data_len = p->plen - pdo - (dd ? 4 : 0);
			CU_ASSERT_EQUAL(p->flags & DDGSTF, dd ? DDGSTF : 0);
			if (dd) {
				CU_ASSERT_EQUAL(le32(p->data + p->data_len),
						usk_crc32c_update(0, p->data, p->data_len));
			}
		} else {
			CU_ASSERT_EQUAL(p->flags & DDGSTF, 0);
			CU_ASSERT_EQUAL(p->plen, hlen + hd);
		}
	}
	return n;
}

/* A CapsuleCmd for @opc with CID @cid and, when @data, those @len bytes in the capsule. */
static void expect_capsule(const struct sent_pdu *p, uint16_t cid, uint8_t opc, const void *data,
			   uint32_t len)
{
	CU_ASSERT_EQUAL(p->type, 0x04);
	CU_ASSERT_EQUAL(p->hdr[8], opc);
	CU_ASSERT_EQUAL(le16(p->hdr + 10), cid);
	CU_ASSERT_EQUAL(p->data_len, data != NULL ? len : 0);
	if (data != NULL) {
		CU_ASSERT_EQUAL(memcmp(p->data, data, len), 0);
	}
}

/*
 * A read, an in-capsule write, a flush and an in-capsule write from three
 * iovecs, held back (delayed doorbell) for the test's flushes.
 */
static void submit_mix(struct nvme_tcp_qpair *tq)
{
	tq->base.delay_doorbell = true;
	submit(tq, OPC_READ, g_buf, 4096, 0);
	submit(tq, OPC_WRITE, g_buf + 7, 100, 0);
	submit(tq, OPC_FLUSH, NULL, 0, 0);
	submit(tq, OPC_WRITE, g_pieces, 300, 3);
	CU_ASSERT_EQUAL(g_ut_sock.out_len, 0);
}

static void expect_mix(const struct ut_tcp_qpair_opts *o)
{
	CU_ASSERT_EQUAL_FATAL(split_sent(o), MIX_CMDS);
	expect_capsule(&g_pdus[0], 0, OPC_READ, NULL, 0);
	expect_capsule(&g_pdus[1], 1, OPC_WRITE, g_buf + 7, 100);
	expect_capsule(&g_pdus[2], 2, OPC_FLUSH, NULL, 0);
	expect_capsule(&g_pdus[3], 3, OPC_WRITE, g_buf + 1000, 300);
}

/* Nothing is left to send, no command is busy, nothing completed, the connection is up. */
static void expect_all_sent(struct nvme_tcp_qpair *tq, int cmds)
{
	CU_ASSERT_PTR_NULL(tq->send_head);
	CU_ASSERT_PTR_NULL(tq->send_tail);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
	CU_ASSERT_EQUAL(g_ut_sock.closes, 0);
	for (int i = 0; i < cmds; i++) {
		CU_ASSERT_FALSE(tq->cmds[i].send_busy);
		CU_ASSERT_EQUAL(g_ut_tcp_done[i].calls, 0);
	}
}

/* The bytes of the mix sent all at once, for the other tests to compare with. */
static void keep_reference(const struct ut_tcp_qpair_opts *o,
			   void (*submit_all)(struct nvme_tcp_qpair *))
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, o);

	submit_all(tq);
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	memcpy(g_ref, g_ut_sock.out, g_ut_sock.out_len);
	g_ref_len = g_ut_sock.out_len;
	ut_tcp_qpair_destroy(tq);
}

/*
 * Flushes until the queue is empty, each flush let write one piece of at
 * most @chunk bytes (random sizes when @random): what went out so far is
 * always the start of the reference, and every PDU went.
 */
static void flush_in_pieces(struct nvme_tcp_qpair *tq, size_t chunk, bool random)
{
	int flushes = 0;

	while (tq->send_head != NULL) {
		size_t before = g_ut_sock.out_len;

		g_ut_sock.write_chunk = random ? 1 + (size_t)rand() % chunk : chunk;
		g_ut_sock.writes_left = 1;
		CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
		CU_ASSERT(g_ut_sock.out_len > before);
		CU_ASSERT_FATAL(g_ut_sock.out_len <= g_ref_len);
		CU_ASSERT_EQUAL_FATAL(memcmp(g_ut_sock.out, g_ref, g_ut_sock.out_len), 0);
		CU_ASSERT_FATAL(++flushes <= (int)g_ref_len);
	}
	CU_ASSERT_EQUAL(g_ut_sock.out_len, g_ref_len);
}

static void test_whole_and_in_order(void)
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, &g_plain);

	submit_mix(tq);
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	/* Held-back commands go out together: one system call. */
	CU_ASSERT_EQUAL(g_ut_sock.writev_calls, 1);
	expect_mix(&g_plain);
	expect_all_sent(tq, MIX_CMDS);
	ut_tcp_qpair_destroy(tq);

	/* Not held back: each goes out as it is submitted. */
	tq = ut_tcp_qpair_create(ENTRIES, &g_plain);
	submit(tq, OPC_READ, g_buf, 4096, 0);
	CU_ASSERT_EQUAL(g_ut_sock.writev_calls, 1);
	submit(tq, OPC_WRITE, g_buf + 7, 100, 0);
	CU_ASSERT_EQUAL(g_ut_sock.writev_calls, 2);
	CU_ASSERT_EQUAL_FATAL(split_sent(&g_plain), 2);
	expect_capsule(&g_pdus[1], 1, OPC_WRITE, g_buf + 7, 100);
	expect_all_sent(tq, 2);
	ut_tcp_qpair_destroy(tq);
}

static void test_partial_writes_go_on(void)
{
	struct nvme_tcp_qpair *tq;

	keep_reference(&g_plain, submit_mix);
	tq = ut_tcp_qpair_create(ENTRIES, &g_plain);
	submit_mix(tq);
	flush_in_pieces(tq, 1, false);
	expect_mix(&g_plain);
	expect_all_sent(tq, MIX_CMDS);
	ut_tcp_qpair_destroy(tq);

	srand(7);
	for (int round = 0; round < 20; round++) {
		tq = ut_tcp_qpair_create(ENTRIES, &g_plain);
		submit_mix(tq);
		flush_in_pieces(tq, 97, true);
		expect_mix(&g_plain);
		expect_all_sent(tq, MIX_CMDS);
		ut_tcp_qpair_destroy(tq);
	}
}

/* More PDUs than one writev's iovecs carry: each flush writes on from the last. */
static void submit_lots(struct nvme_tcp_qpair *tq)
{
	tq->base.delay_doorbell = true;
	for (int i = 0; i < LOTS_CMDS; i++) {
		submit(tq, OPC_WRITE, g_pieces, 300, 3);
	}
}

static void test_more_than_one_writev(void)
{
	struct nvme_tcp_qpair *tq;

	keep_reference(&g_plain, submit_lots);
	tq = ut_tcp_qpair_create(ENTRIES, &g_plain);
	submit_lots(tq);
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT(g_ut_sock.writev_calls > 1);
	CU_ASSERT_EQUAL(g_ut_sock.out_len, g_ref_len);
	CU_ASSERT_EQUAL_FATAL(split_sent(&g_plain), LOTS_CMDS);
	for (int i = 0; i < LOTS_CMDS; i++) {
		expect_capsule(&g_pdus[i], (uint16_t)i, OPC_WRITE, g_buf + 1000, 300);
	}
	expect_all_sent(tq, LOTS_CMDS);
	ut_tcp_qpair_destroy(tq);
}

/* The send queue as a flush would find it: PDUs in order and what each has left to write. */
struct queue_snapshot {
	int count;
	const struct nvme_tcp_send *s[PDUS_MAX];
	int iov_idx[PDUS_MAX];
	int iovcnt[PDUS_MAX];
	struct iovec iov[PDUS_MAX][NVME_TCP_PDU_IOV_MAX];
};

static void snapshot(const struct nvme_tcp_qpair *tq, struct queue_snapshot *q)
{
	memset(q, 0, sizeof(*q));
	for (const struct nvme_tcp_send *s = tq->send_head; s != NULL; s = s->next) {
		CU_ASSERT_FATAL(q->count < PDUS_MAX);
		q->s[q->count] = s;
		q->iov_idx[q->count] = s->iov_idx;
		q->iovcnt[q->count] = s->iovcnt;
		memcpy(q->iov[q->count], s->iov, sizeof(s->iov));
		q->count++;
	}
}

/* A flush the socket takes nothing of: no byte out, the queue exactly as it was. */
static void expect_eagain_changes_nothing(struct nvme_tcp_qpair *tq)
{
	static struct queue_snapshot before, after;
	size_t out_len = g_ut_sock.out_len;

	snapshot(tq, &before);
	g_ut_sock.writes_left = 0;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	snapshot(tq, &after);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(g_ut_sock.out_len, out_len);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
	CU_ASSERT_EQUAL(g_ut_sock.closes, 0);
}

static void test_eagain_keeps_the_queue(void)
{
	struct nvme_tcp_qpair *tq;

	keep_reference(&g_plain, submit_mix);
	tq = ut_tcp_qpair_create(ENTRIES, &g_plain);
	submit_mix(tq);
	expect_eagain_changes_nothing(tq);
	for (int i = 0; i < MIX_CMDS; i++) {
		CU_ASSERT_TRUE(tq->cmds[i].send_busy);
	}
	/* Stopped inside the second PDU's data: the same, and the rest goes on from there. */
	g_ut_sock.write_chunk = 72 + 50;
	g_ut_sock.writes_left = 1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT_EQUAL(g_ut_sock.out_len, 72 + 50);
	CU_ASSERT_FALSE(tq->cmds[0].send_busy);
	CU_ASSERT_TRUE(tq->cmds[1].send_busy);
	expect_eagain_changes_nothing(tq);
	g_ut_sock.write_chunk = 0;
	g_ut_sock.writes_left = -1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT_EQUAL(g_ut_sock.out_len, g_ref_len);
	CU_ASSERT_EQUAL(memcmp(g_ut_sock.out, g_ref, g_ref_len), 0);
	expect_all_sent(tq, MIX_CMDS);
	ut_tcp_qpair_destroy(tq);
}

/* Digests and CPDA padding on every PDU (checked by split_sent), a byte at a time too. */
static void test_digests_when_negotiated(void)
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, &g_digests);

	submit_mix(tq);
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	expect_mix(&g_digests);
	/* CPDA 3: in-capsule data at 80, after the 72-byte header, its digest and 4 bytes. */
	CU_ASSERT_EQUAL(g_pdus[1].hdr[3], 80);
	CU_ASSERT_EQUAL(g_pdus[1].plen, 80 + 100 + 4);
	CU_ASSERT_EQUAL(g_pdus[0].plen, 72 + 4);
	ut_tcp_qpair_destroy(tq);

	keep_reference(&g_digests, submit_mix);
	tq = ut_tcp_qpair_create(ENTRIES, &g_digests);
	submit_mix(tq);
	flush_in_pieces(tq, 1, false);
	expect_mix(&g_digests);
	ut_tcp_qpair_destroy(tq);
}

/* An H2CData of command @cid: @off, @len of its data, LAST_PDU when @last. */
static void expect_h2c(const struct sent_pdu *p, uint16_t cid, uint16_t ttag, uint32_t off,
		       uint32_t len, bool last)
{
	CU_ASSERT_EQUAL(p->type, 0x06);
	CU_ASSERT_EQUAL(p->flags & LAST_PDU, last ? LAST_PDU : 0);
	CU_ASSERT_EQUAL(le16(p->hdr + 8), cid);
	CU_ASSERT_EQUAL(le16(p->hdr + 10), ttag);
	CU_ASSERT_EQUAL(le32(p->hdr + 12), off);
	CU_ASSERT_EQUAL(le32(p->hdr + 16), len);
	CU_ASSERT_EQUAL(p->data_len, len);
	CU_ASSERT_EQUAL(memcmp(p->data, g_buf + off, len), 0);
}

/* A write of 10000 bytes answered by two R2Ts, [0, 6000) and [6000, 10000), in @chunk pieces. */
static void h2c_for_two_r2ts(const struct ut_tcp_qpair_opts *o, size_t chunk)
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, o);
	uint16_t cid = submit(tq, OPC_WRITE, g_buf, 10000, 0);

	/* No room in the capsule: the SGL says the transport moves the data (3.3). */
	CU_ASSERT_EQUAL_FATAL(split_sent(o), 1);
	CU_ASSERT_EQUAL(g_pdus[0].data_len, 0);
	CU_ASSERT_EQUAL(le32(g_pdus[0].hdr + 8 + 32), 10000);
	CU_ASSERT_EQUAL(g_pdus[0].hdr[8 + 39], 0x5a);
	CU_ASSERT_EQUAL(nvme_tcp_send_h2c_start(tq, cid, 0x0a0b, 0, 6000), 0);
	while (tq->send_head != NULL) {
		g_ut_sock.write_chunk = chunk;
		g_ut_sock.writes_left = 1;
		CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	}
	CU_ASSERT_FALSE(tq->cmds[cid].send_busy);
	CU_ASSERT_EQUAL(nvme_tcp_send_h2c_start(tq, cid, 0x0c0d, 6000, 4000), 0);
	g_ut_sock.write_chunk = 0;
	g_ut_sock.writes_left = -1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT_EQUAL_FATAL(split_sent(o), 4);
	expect_h2c(&g_pdus[1], cid, 0x0a0b, 0, 4096, false);
	expect_h2c(&g_pdus[2], cid, 0x0a0b, 4096, 6000 - 4096, true);
	expect_h2c(&g_pdus[3], cid, 0x0c0d, 6000, 4000, true);
	expect_all_sent(tq, 1);
	ut_tcp_qpair_destroy(tq);
}

static void test_h2c_data_for_r2t(void)
{
	h2c_for_two_r2ts(&g_r2t, 0);
	h2c_for_two_r2ts(&g_r2t, 1000);
	h2c_for_two_r2ts(&(struct ut_tcp_qpair_opts){.send_dgst = g_digests.send_dgst,
						     .recv_dgst = g_digests.recv_dgst,
						     .maxh2cdata = 4096},
			 333);
}

static void test_write_error_ends_each_command_once(void)
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, &g_plain);
	int calls;

	submit_mix(tq);
	g_ut_sock.write_error = -EPIPE;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), -EPIPE);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_FAILED);
	CU_ASSERT_EQUAL(g_ut_sock.closes, 1);
	CU_ASSERT_PTR_NULL(tq->send_head);
	/* Nothing more is written on a failed connection. */
	calls = g_ut_sock.writev_calls;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), -ECONNRESET);
	CU_ASSERT_EQUAL(g_ut_sock.writev_calls, calls);
	/* The next poll ends every command, each once, with a transport error. */
	for (int poll = 0; poll < 3; poll++) {
		nvme_tcp_qpair_process_completions(&tq->base, 0);
		for (int i = 0; i < MIX_CMDS; i++) {
			CU_ASSERT_EQUAL(g_ut_tcp_done[i].calls, 1);
			CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[i].status),
					SC_TRANSPORT_ERROR);
		}
	}
	CU_ASSERT_EQUAL(g_ut_sock.closes, 1);
	ut_tcp_qpair_destroy(tq);
}

/*
 * The controller breaks the protocol while a write's first H2CData of
 * three is half written: the H2CTermReq queues behind it, and the flush
 * that finishes that H2CData, and starts the TermReq in the same write,
 * sends nothing after the TermReq. The write ends once, with a transport
 * error. Before, the second H2CData was queued behind the TermReq and went
 * out with its end in one write, and the flush, the queue emptied at the
 * TermReq, went on to a PDU that was no longer there (a NULL dereference).
 */
static void test_nothing_after_term_req(void)
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, &g_r2t);
	uint16_t cid = submit(tq, OPC_WRITE, g_buf, 10000, 0);
	const uint8_t *pdus[8];

	CU_ASSERT_EQUAL(nvme_tcp_send_h2c_start(tq, cid, 1, 0, 10000), 0);
	g_ut_sock.write_chunk = 100;
	g_ut_sock.writes_left = 1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	/* The rest of the H2CData and 10 bytes of the TermReq, then writes of as much. */
	g_ut_sock.write_chunk = 24 + 4096 - 100 + 10;
	g_ut_sock.writes_left = -1;
	nvme_tcp_send_term_req(tq, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 24, "a test's");
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_FAILED);
	/* The CapsuleCmd, the first H2CData and the TermReq, each whole, and no more. */
	CU_ASSERT_EQUAL_FATAL(ut_tcp_sock_sent(pdus, 8), 3);
	CU_ASSERT_EQUAL(pdus[1][0], 0x06);
	CU_ASSERT_EQUAL(pdus[2][0], 0x02);
	nvme_tcp_qpair_process_completions(&tq->base, 0);
	nvme_tcp_qpair_process_completions(&tq->base, 0);
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 1);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[cid].status), SC_TRANSPORT_ERROR);
	ut_tcp_qpair_destroy(tq);
}

/* A CapsuleResp for @cid with status code @sc, as the controller would send it. */
static void controller_sends_resp(uint16_t cid, uint8_t sc)
{
	static const struct nvme_tcp_digests none;
	struct nvme_tcp_pdu_send p;
	uint8_t wire[64];

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_CAPSULE_RESP);
	p.hdr.resp.cqe.cid = cid;
	p.hdr.resp.cqe.status = (uint16_t)(sc << 1);
	ut_tcp_sock_put(wire, ut_tcp_pdu_bytes(&p, &none, NULL, 0, wire, sizeof(wire)));
}

/*
 * The controller ends a write (with an error) while its first H2CData is
 * half written: the rest of that PDU goes, no more of the data, and the
 * callback runs once, after the PDU is out.
 */
static void test_completion_waits_for_its_pdu(void)
{
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, &g_r2t);
	uint16_t cid = submit(tq, OPC_WRITE, g_buf, 10000, 0);

	CU_ASSERT_EQUAL(nvme_tcp_send_h2c_start(tq, cid, 1, 0, 10000), 0);
	g_ut_sock.write_chunk = 100;
	g_ut_sock.writes_left = 1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT_TRUE(tq->cmds[cid].send_busy);
	controller_sends_resp(cid, 0x06);
	g_ut_sock.writes_left = 0;
	nvme_tcp_qpair_process_completions(&tq->base, 0);
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 0);
	CU_ASSERT_TRUE(tq->base.trackers[cid].active);

	g_ut_sock.write_chunk = 0;
	g_ut_sock.writes_left = -1;
	for (int poll = 0; poll < 3; poll++) {
		nvme_tcp_qpair_process_completions(&tq->base, 0);
	}
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 1);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[cid].status), 0x06);
	CU_ASSERT_FALSE(tq->base.trackers[cid].active);
	CU_ASSERT_EQUAL_FATAL(split_sent(&g_r2t), 2);
	expect_h2c(&g_pdus[1], cid, 1, 0, 4096, false);
	CU_ASSERT_PTR_NULL(tq->send_head);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
	ut_tcp_qpair_destroy(tq);
}

/*
 * The admin poll's Keep Alive is the write that finds the connection gone
 * (the target reset it since the last poll): the connection fails once,
 * the command out ends once with a transport error, and the poll reads
 * nothing from the closed connection. Before, it went on to read from it,
 * a socket it had closed and set to NULL.
 */
static void test_keep_alive_finds_the_connection_gone(void)
{
	const struct ut_tcp_qpair_opts admin = {.maxh2cdata = 4096, .admin = true};
	struct nvme_tcp_qpair *tq = ut_tcp_qpair_create(ENTRIES, &admin);
	struct nvme_tcp_ctrlr *tc = nvme_tcp_ctrlr(tq->base.ctrlr);
	uint16_t cid = submit(tq, OPC_FLUSH, NULL, 0, 0);

	tc->keep_alive_ticks = nvme_us_to_ticks(5 * 1000 * 1000);
	tc->keep_alive_next = 1;
	g_ut_sock.write_error = -EPIPE;
	CU_ASSERT_EQUAL(nvme_tcp_qpair_process_completions(&tq->base, 0), 0);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_FAILED);
	CU_ASSERT_EQUAL(g_ut_sock.closes, 1);
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 1);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[cid].status), SC_TRANSPORT_ERROR);
	CU_ASSERT_EQUAL(tq->base.outstanding, 0);
	ut_tcp_qpair_destroy(tq);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_whole_and_in_order),
		UT_TEST(test_partial_writes_go_on),
		UT_TEST(test_more_than_one_writev),
		UT_TEST(test_eagain_keeps_the_queue),
		UT_TEST(test_digests_when_negotiated),
		UT_TEST(test_h2c_data_for_r2t),
		UT_TEST(test_write_error_ends_each_command_once),
		UT_TEST(test_nothing_after_term_req),
		UT_TEST(test_completion_waits_for_its_pdu),
		UT_TEST(test_keep_alive_finds_the_connection_gone),
	};

	for (size_t i = 0; i < sizeof(g_buf); i++) {
		g_buf[i] = (uint8_t)(i * 31 + (i >> 8));
	}
	/* 300 bytes from g_buf + 1000 in three pieces, one of them empty. */
	g_pieces[0] = (struct iovec){.iov_base = g_buf + 1000, .iov_len = 120};
	g_pieces[1] = (struct iovec){.iov_base = g_buf + 1120, .iov_len = 0};
	g_pieces[2] = (struct iovec){.iov_base = g_buf + 1120, .iov_len = 180};
	return UT_RUN("nvme_tcp_send", tests);
}
