/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP initiator's receive path alone, on a queue pair over a
 * scripted socket (ut_tcp_qpair.h) that hands over what the test says the
 * controller sent: CapsuleResp and C2HData arriving a byte at a time
 * complete their command once, on the last byte and not before; C2HData
 * with SUCCESS completes a read with no CapsuleResp, its data in the
 * read's buffer, and a CapsuleResp after it is ignored; headers whose
 * lengths are inconsistent (PLEN < HLEN, PDO beyond PLEN, DATAL against
 * PLEN) or name data beyond the read's buffer, and a bad header digest,
 * are refused with an H2CTermReq carrying the Fatal Error Status the TCP
 * transport spec names and the offending header, the connection fails and
 * the command ends once with a transport error; so does a bad data digest
 * (no TermReq) and data for a read whose command has not gone out yet. A
 * second answer for a command answered while its PDU was going out is
 * ignored (CapsuleResp) or refused (C2HData): the command ends once. A
 * callback that disconnects the queue pair stops the poll there; one that
 * flushes, run from a completion set aside, has those it sets aside run too.
 * A poll's max counts the completions set aside.
 * A lost connection ends every command, out or waiting, once with
 * Transient Transport Error.
 * An R2T is answered with H2CData under its tag; one for a read, for
 * nothing, out of order or past the write's data, or a second while the
 * first is answered, is refused the same way.
 *
 * Source it covers (lib/nvme): nvme_tcp_recv.c (with nvme_tcp_qpair.c's
 * poll around it; the parser itself: nvme_tcp_pdu_ut).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_qpair_submit.h"
#include "ut.h"
#include "ut_tcp_qpair.h"

#define ENTRIES		   16
#define READ_LEN	   5000
#define OPC_WRITE	   0x01
#define OPC_READ	   0x02
#define LAST_PDU	   0x04
#define SUCCESS		   0x08
#define SC_TRANSPORT_ERROR 0x22
/* Fatal Error Status of a TermReq. */
#define FES_INVALID_FIELD  0x01
#define FES_HDGST	   0x03
#define FES_OUT_OF_RANGE   0x04
#define FES_LIMIT_EXCEEDED 0x05

static uint8_t g_src[READ_LEN];
static uint8_t g_read_buf[READ_LEN + 64];
static uint8_t g_pdu[READ_LEN + 256];
static size_t g_pdu_len;

/* What the controller's PDUs carry: both digests, the host's HPDA 0. */
static const struct ut_tcp_qpair_opts g_digests = {
	.send_dgst = {.hdgst = true, .ddgst = true},
	.recv_dgst = {.hdgst = true, .ddgst = true},
	.maxh2cdata = 4096,
	.in_capsule_max = 8192,
};
static const struct ut_tcp_qpair_opts g_plain = {.maxh2cdata = 4096, .in_capsule_max = 8192};
/* No in-capsule data: a write's data waits for R2Ts. */
static const struct ut_tcp_qpair_opts g_r2t = {.maxh2cdata = 4096};

static struct nvme_tcp_qpair *create(const struct ut_tcp_qpair_opts *o)
{
	memset(g_read_buf, 0xee, sizeof(g_read_buf));
	return ut_tcp_qpair_create(ENTRIES, o);
}

/* A read of READ_LEN bytes into g_read_buf: its CID. */
static uint16_t submit_read(struct nvme_tcp_qpair *tq)
{
	const struct nvme_payload data = {.buf = g_read_buf, .len = READ_LEN};

	return ut_tcp_submit(tq, OPC_READ, &data);
}

static int poll_once(struct nvme_tcp_qpair *tq)
{
	return nvme_tcp_qpair_process_completions(&tq->base, 0);
}

/* Into g_pdu: a CapsuleResp for @cid with status code @sc. */
static void make_resp(const struct ut_tcp_qpair_opts *o, uint16_t cid, uint8_t sc)
{
	struct nvme_tcp_pdu_send p;

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_CAPSULE_RESP);
	p.hdr.resp.cqe.cid = cid;
	p.hdr.resp.cqe.status = (uint16_t)(sc << 1);
	g_pdu_len = ut_tcp_pdu_bytes(&p, &o->recv_dgst, NULL, 0, g_pdu, sizeof(g_pdu));
}

/* Into g_pdu: a C2HData for @cid of g_src's [@off, @off + @len), with @flags. */
static void make_c2h(const struct ut_tcp_qpair_opts *o, uint16_t cid, uint32_t off, uint32_t len,
		     uint8_t flags)
{
	struct nvme_tcp_pdu_send p;

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_C2H_DATA);
	p.hdr.ch.flags = flags;
	p.hdr.data.cccid = cid;
	p.hdr.data.datao = off;
	g_pdu_len = ut_tcp_pdu_bytes(&p, &o->recv_dgst, g_src + off, len, g_pdu, sizeof(g_pdu));
}

/* g_pdu arrives a byte at a time, a poll after each: nothing completes before its last. */
static void arrives_bytewise(struct nvme_tcp_qpair *tq, uint16_t cid)
{
	for (size_t i = 0; i < g_pdu_len; i++) {
		CU_ASSERT_EQUAL_FATAL(g_ut_tcp_done[cid].calls, 0);
		ut_tcp_sock_put(g_pdu + i, 1);
		CU_ASSERT(poll_once(tq) >= 0);
	}
}

/* The command ended once with status code @sc, and stays ended. */
static void expect_ended_once(struct nvme_tcp_qpair *tq, uint16_t cid, uint8_t sc)
{
	poll_once(tq);
	poll_once(tq);
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 1);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[cid].status), sc);
	CU_ASSERT_FALSE(tq->base.trackers[cid].active);
}

static void test_capsule_resp_bytewise(void)
{
	struct nvme_tcp_qpair *tq = create(&g_digests);
	uint16_t cid = submit_read(tq);

	make_resp(&g_digests, cid, 0x02);
	arrives_bytewise(tq, cid);
	expect_ended_once(tq, cid, 0x02);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
	ut_tcp_qpair_destroy(tq);
}

/* Two C2HData, the second with SUCCESS, a byte at a time: the read is done, no CapsuleResp. */
static void test_c2h_success_bytewise(void)
{
	struct nvme_tcp_qpair *tq = create(&g_digests);
	uint16_t cid = submit_read(tq);

	make_c2h(&g_digests, cid, 0, 3000, 0);
	arrives_bytewise(tq, cid);
	make_c2h(&g_digests, cid, 3000, READ_LEN - 3000, LAST_PDU | SUCCESS);
	arrives_bytewise(tq, cid);
	expect_ended_once(tq, cid, 0);
	CU_ASSERT_EQUAL(memcmp(g_read_buf, g_src, READ_LEN), 0);
	/* Nothing written past the read's buffer. */
	CU_ASSERT_EQUAL(g_read_buf[READ_LEN], 0xee);

	/* A CapsuleResp after SUCCESS names no command out: ignored. */
	make_resp(&g_digests, cid, 0);
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	poll_once(tq);
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 1);
	CU_ASSERT_EQUAL(tq->base.stats.bogus_completions, 1);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
	ut_tcp_qpair_destroy(tq);
}

/* C2HData without SUCCESS, then the CapsuleResp: its status is the command's. */
static void test_c2h_then_resp(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t cid = submit_read(tq);

	make_c2h(&g_plain, cid, 0, READ_LEN, LAST_PDU);
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	poll_once(tq);
	CU_ASSERT_EQUAL(g_ut_tcp_done[cid].calls, 0);
	make_resp(&g_plain, cid, 0);
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	expect_ended_once(tq, cid, 0);
	CU_ASSERT_EQUAL(memcmp(g_read_buf, g_src, READ_LEN), 0);
	ut_tcp_qpair_destroy(tq);
}

/*
 * What the host sent last is an H2CTermReq with @fes and, when
 * @fei is not negative, that FEI; its data is the start of the refused
 * header, g_pdu's.
 */
static void expect_term_req(uint16_t fes, int64_t fei)
{
	const uint8_t *pdus[8];
	int n = ut_tcp_sock_sent(pdus, 8);
	const uint8_t *t = pdus[n - 1];
	uint32_t plen, got_fei;
	uint16_t got_fes;

	CU_ASSERT_FATAL(n >= 2); /* the read's CapsuleCmd, then the TermReq */
	memcpy(&plen, t + 4, 4);
	memcpy(&got_fes, t + 8, 2);
	memcpy(&got_fei, t + 10, 4);
	CU_ASSERT_EQUAL(t[0], 0x02);
	CU_ASSERT_EQUAL(t[2], 24);
	CU_ASSERT_EQUAL(t[3], 0);
	CU_ASSERT_EQUAL(got_fes, fes);
	if (fei >= 0) {
		CU_ASSERT_EQUAL(got_fei, (uint32_t)fei);
	}
	CU_ASSERT(plen >= 24 + 8 && plen <= 24 + 128);
	CU_ASSERT_EQUAL(memcmp(t + 24, g_pdu, plen - 24), 0);
}

/* g_pdu, as it is, fails the connection: the read ends once with a transport error. */
static void expect_refused(struct nvme_tcp_qpair *tq, uint16_t cid)
{
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	poll_once(tq);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_FAILED);
	CU_ASSERT_EQUAL(g_ut_sock.closes, 1);
	expect_ended_once(tq, cid, SC_TRANSPORT_ERROR);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* A C2HData header made wrong by @spoil is refused with @fes (and @fei, if not negative). */
static void c2h_refused(void (*spoil)(void), uint16_t fes, int64_t fei)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t cid = submit_read(tq);

	make_c2h(&g_plain, cid, 0, 1000, 0);
	spoil();
	expect_refused(tq, cid);
	expect_term_req(fes, fei);
	/* Nothing of the refused PDU reached the read's buffer. */
	CU_ASSERT_EQUAL(g_read_buf[0], 0xee);
	ut_tcp_qpair_destroy(tq);
}

static void plen_below_hlen(void)
{
	put_le32(g_pdu + 4, 16);
}

static void pdo_beyond_plen(void)
{
	g_pdu[3] = 128;
	put_le32(g_pdu + 4, 100);
}

static void datal_not_plen(void)
{
	put_le32(g_pdu + 16, 999);
}

/* Within the PDU, but beyond the receiver's largest data section. */
static void plen_huge(void)
{
	put_le32(g_pdu + 4, 0x7fffffff);
	put_le32(g_pdu + 16, 0x7fffffff - 24);
}

/* [4096, 5096): past the 5000-byte read. */
static void beyond_the_read(void)
{
	put_le32(g_pdu + 12, 4096);
}

/* The first C2HData of a read must start at 0 (C2HData comes in order). */
static void out_of_order(void)
{
	put_le32(g_pdu + 12, 8);
}

static void test_lengths_refused(void)
{
	c2h_refused(plen_below_hlen, FES_INVALID_FIELD, 4);
	c2h_refused(pdo_beyond_plen, FES_INVALID_FIELD, -1);
	c2h_refused(datal_not_plen, FES_INVALID_FIELD, 16);
	c2h_refused(plen_huge, FES_INVALID_FIELD, 4);
	c2h_refused(beyond_the_read, FES_OUT_OF_RANGE, -1);
	c2h_refused(out_of_order, FES_OUT_OF_RANGE, -1);
}

static void test_bad_header_digest(void)
{
	struct nvme_tcp_qpair *tq = create(&g_digests);
	uint16_t cid = submit_read(tq);

	make_resp(&g_digests, cid, 0);
	g_pdu[24] ^= 0x01; /* the header digest, right after the 24-byte header */
	expect_refused(tq, cid);
	expect_term_req(FES_HDGST, -1);
	ut_tcp_qpair_destroy(tq);
}

/* A data digest that does not match: no SUCCESS for the read, whatever the PDU says. */
static void test_bad_data_digest(void)
{
	struct nvme_tcp_qpair *tq = create(&g_digests);
	uint16_t cid = submit_read(tq);

	make_c2h(&g_digests, cid, 0, READ_LEN, LAST_PDU | SUCCESS);
	g_pdu[g_pdu_len - 1] ^= 0x80;
	expect_refused(tq, cid);
	ut_tcp_qpair_destroy(tq);
}

/* SUCCESS only on the last PDU of all the read's data. */
static void test_success_before_the_end_refused(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t cid = submit_read(tq);

	make_c2h(&g_plain, cid, 0, 1000, LAST_PDU | SUCCESS);
	expect_refused(tq, cid);
	expect_term_req(FES_INVALID_FIELD, 1);
	ut_tcp_qpair_destroy(tq);
}

/* A write of READ_LEN bytes from g_src, its data to go out after R2Ts: its CID. */
static uint16_t submit_write(struct nvme_tcp_qpair *tq)
{
	const struct nvme_payload data = {.buf = g_src, .len = READ_LEN};

	return ut_tcp_submit(tq, OPC_WRITE, &data);
}

/* Into g_pdu: an R2T for @cid asking for [@off, @off + @len) under tag @ttag. */
static void make_r2t(uint16_t cid, uint16_t ttag, uint32_t off, uint32_t len)
{
	struct nvme_tcp_pdu_send p;

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_R2T);
	p.hdr.r2t.cccid = cid;
	p.hdr.r2t.ttag = ttag;
	p.hdr.r2t.r2to = off;
	p.hdr.r2t.r2tl = len;
	g_pdu_len = ut_tcp_pdu_bytes(&p, &g_r2t.recv_dgst, NULL, 0, g_pdu, sizeof(g_pdu));
}

/* An R2T is answered with H2CData of what it asked for, under its tag. */
static void test_r2t_answered(void)
{
	struct nvme_tcp_qpair *tq = create(&g_r2t);
	uint16_t cid = submit_write(tq);
	const uint8_t *pdus[8];
	uint16_t ttag;
	uint32_t datao, datal;

	make_r2t(cid, 0x0abc, 0, 3000);
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	poll_once(tq);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_sock_sent(pdus, 8), 2);
	memcpy(&ttag, pdus[1] + 10, 2);
	memcpy(&datao, pdus[1] + 12, 4);
	memcpy(&datal, pdus[1] + 16, 4);
	CU_ASSERT_EQUAL(pdus[1][0], 0x06);
	CU_ASSERT_EQUAL(ttag, 0x0abc);
	CU_ASSERT_EQUAL(datao, 0);
	CU_ASSERT_EQUAL(datal, 3000);
	CU_ASSERT_EQUAL(memcmp(pdus[1] + pdus[1][3], g_src, 3000), 0);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
	make_resp(&g_r2t, cid, 0);
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	expect_ended_once(tq, cid, 0);
	ut_tcp_qpair_destroy(tq);
}

/*
 * An R2T for [@off, @off + @len) of a write (of a read when @for_read),
 * after a good one tagged @ttag_first unless that is 0, is refused with
 * @fes (and @fei, if not negative).
 */
static void r2t_refused(uint16_t ttag_first, uint32_t off, uint32_t len, bool for_read,
			uint16_t fes, int64_t fei)
{
	struct nvme_tcp_qpair *tq = create(&g_r2t);
	uint16_t cid = for_read ? submit_read(tq) : submit_write(tq);

	if (ttag_first != 0) {
		/* Its H2CData stays unwritten: the write answers this one still. */
		g_ut_sock.writes_left = 0;
		make_r2t(cid, ttag_first, 0, 1000);
		ut_tcp_sock_put(g_pdu, g_pdu_len);
		poll_once(tq);
		CU_ASSERT_EQUAL(tq->state, NVME_TCP_RUNNING);
		g_ut_sock.writes_left = -1;
	}
	make_r2t(cid, 7, off, len);
	expect_refused(tq, cid);
	expect_term_req(fes, fei);
	ut_tcp_qpair_destroy(tq);
}

static void test_r2t_refused(void)
{
	r2t_refused(0, 0, 1000, true, FES_INVALID_FIELD, 8);	   /* for a read */
	r2t_refused(0, 4096, 1000, false, FES_OUT_OF_RANGE, -1);   /* past the write's data */
	r2t_refused(0, 0, 0, false, FES_OUT_OF_RANGE, -1);	   /* for nothing */
	r2t_refused(0, 1000, 1000, false, FES_OUT_OF_RANGE, -1);   /* not where the last ended */
	r2t_refused(1, 1000, 1000, false, FES_LIMIT_EXCEEDED, -1); /* a second one at once */
}

/*
 * Data for a read whose CapsuleCmd has not gone out whole: no controller
 * can have that command yet. Were the read completed, its CID could be
 * taken again while its CapsuleCmd still waits in the send queue.
 */
static void test_c2h_for_unsent_read_refused(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t cid;

	g_ut_sock.write_chunk = 40;
	g_ut_sock.writes_left = 1;
	cid = submit_read(tq);
	CU_ASSERT_TRUE_FATAL(tq->cmds[cid].send_busy);
	make_c2h(&g_plain, cid, 0, READ_LEN, LAST_PDU | SUCCESS);
	g_ut_sock.write_chunk = 0;
	g_ut_sock.writes_left = 0;
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	poll_once(tq);
	CU_ASSERT_EQUAL(tq->state, NVME_TCP_FAILED);
	expect_ended_once(tq, cid, SC_TRANSPORT_ERROR);
	CU_ASSERT_EQUAL(g_read_buf[0], 0xee);
	ut_tcp_qpair_destroy(tq);
}

/* Records its completion, lets the socket take all and flushes (as delay_doorbell callers may). */
static void flush_from_callback(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_tcp_qpair *tq = arg;

	g_ut_tcp_done[cpl->cid].calls++;
	g_ut_tcp_done[cpl->cid].status = cpl->status;
	g_ut_sock.write_chunk = 0;
	g_ut_sock.writes_left = -1;
	usk_nvme_qpair_flush(&tq->base);
}

/* A read into g_read_buf whose callback flushes (flush_from_callback): its CID. */
static uint16_t submit_flushing_read(struct nvme_tcp_qpair *tq)
{
	const struct usk_nvme_sqe cmd = {.opcode = OPC_READ, .nsid = 1};
	const struct nvme_payload data = {.buf = g_read_buf, .len = READ_LEN};
	uint16_t cid = tq->base.free_head;

	CU_ASSERT_EQUAL_FATAL(
		nvme_qpair_submit_payload(&tq->base, &cmd, &data, flush_from_callback, tq), 0);
	return cid;
}

/* Appends g_pdu to @stream at *@len. */
static void stream_add(uint8_t *stream, size_t *len)
{
	memcpy(stream + *len, g_pdu, g_pdu_len);
	*len += g_pdu_len;
}

/*
 * Read A goes out in part (the socket takes 40 bytes of its CapsuleCmd,
 * then nothing), its callback flushing when @a_flushes
 * (flush_from_callback). With @b_queued, read B is submitted after it and
 * waits behind it; else *@b is a read the caller sent before. The
 * controller then answers A with status code @sc_a and B with @sc_b: both
 * CapsuleResps are in the socket, not yet read.
 */
static void half_written_and_answered(struct nvme_tcp_qpair *tq, bool a_flushes, bool b_queued,
				      uint16_t *a, uint8_t sc_a, uint16_t *b, uint8_t sc_b)
{
	uint8_t stream[128];
	size_t len = 0;

	g_ut_sock.write_chunk = 40;
	g_ut_sock.writes_left = 1;
	*a = a_flushes ? submit_flushing_read(tq) : submit_read(tq);
	CU_ASSERT_TRUE_FATAL(tq->cmds[*a].send_busy);
	g_ut_sock.writes_left = 0;
	if (b_queued) {
		*b = submit_read(tq);
	}
	make_resp(&g_plain, *a, sc_a);
	stream_add(stream, &len);
	make_resp(&g_plain, *b, sc_b);
	stream_add(stream, &len);
	ut_tcp_sock_put(stream, len);
}

/*
 * The controller answers read A while A's CapsuleCmd is still going out
 * (its completion waits for the PDU), then read B, whose callback flushes:
 * A's PDU is written and its completion set to run. A second answer for A
 * then (a CapsuleResp, or C2HData with SUCCESS when @c2h) is for a command
 * answered already: ignored, or refused, and A ends once. Before, it ended
 * A at once and the set completion ended it again, its CID released twice.
 */
static void answered_twice(bool c2h)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t b = submit_flushing_read(tq), a;

	half_written_and_answered(tq, false, false, &a, 0x02, &b, 0);
	if (c2h) {
		make_c2h(&g_plain, a, 0, READ_LEN, LAST_PDU | SUCCESS);
	} else {
		make_resp(&g_plain, a, 0);
	}
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	expect_ended_once(tq, a, c2h ? SC_TRANSPORT_ERROR : 0x02);
	CU_ASSERT_EQUAL(tq->state, c2h ? NVME_TCP_FAILED : NVME_TCP_RUNNING);
	CU_ASSERT_EQUAL(tq->base.outstanding, 0);
	CU_ASSERT_EQUAL(g_read_buf[0], 0xee);
	ut_tcp_qpair_destroy(tq);
}

static void test_answered_twice(void)
{
	answered_twice(false);
	answered_twice(true);
}

/*
 * Reads A and B are answered while their CapsuleCmds are still going out
 * (A's in part, B's not at all); a flush then writes A's: A's completion
 * runs from the next poll, and A's callback flushes, which writes B's and
 * sets B's completion to run too. B ends once, on that poll or the next.
 * Before, the completions set aside during the run were dropped with it:
 * B never ended.
 */
static void test_completion_set_aside_by_a_callback(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t a, b;

	half_written_and_answered(tq, true, true, &a, 0, &b, 0x02);
	CU_ASSERT_EQUAL(poll_once(tq), 0);
	/* The rest of A's CapsuleCmd, and none of B's. */
	g_ut_sock.write_chunk = 72 - 40;
	g_ut_sock.writes_left = 1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT_FALSE(tq->cmds[a].send_busy);
	CU_ASSERT_TRUE(tq->cmds[b].send_busy);
	expect_ended_once(tq, a, 0);
	expect_ended_once(tq, b, 0x02);
	CU_ASSERT_EQUAL(tq->base.outstanding, 0);
	ut_tcp_qpair_destroy(tq);
}

/* The callbacks that ran, over g_ut_tcp_done. */
static int callbacks_run(void)
{
	int n = 0;

	for (int i = 0; i < ENTRIES; i++) {
		n += g_ut_tcp_done[i].calls;
	}
	return n;
}

/*
 * A poll reaps at most max commands, counting the completions that waited
 * for their PDU: with two of them set aside and a CapsuleResp in, polls
 * with max 1 end one command each, in order. Before, a poll ran every
 * completion set aside and then max more.
 */
static void test_max_counts_completions_set_aside(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	uint16_t a, b, c;

	c = submit_read(tq);
	half_written_and_answered(tq, false, true, &a, 0, &b, 0);
	CU_ASSERT_EQUAL(nvme_tcp_qpair_process_completions(&tq->base, 0), 0);
	g_ut_sock.write_chunk = 0;
	g_ut_sock.writes_left = -1;
	CU_ASSERT_EQUAL(nvme_tcp_send_flush(tq), 0);
	CU_ASSERT_EQUAL(tq->deferred_count, 2);
	make_resp(&g_plain, c, 0);
	ut_tcp_sock_put(g_pdu, g_pdu_len);
	for (int i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL(nvme_tcp_qpair_process_completions(&tq->base, 1), 1);
		CU_ASSERT_EQUAL(callbacks_run(), i);
	}
	CU_ASSERT_EQUAL(g_ut_tcp_done[a].calls, 1);
	CU_ASSERT_EQUAL(g_ut_tcp_done[b].calls, 1);
	CU_ASSERT_EQUAL(g_ut_tcp_done[c].calls, 1);
	CU_ASSERT_EQUAL(nvme_tcp_qpair_process_completions(&tq->base, 1), 0);
	ut_tcp_qpair_destroy(tq);
}

static void disconnect_from_callback(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_tcp_qpair *tq = arg;

	g_ut_tcp_done[cpl->cid].calls++;
	CU_ASSERT_EQUAL(usk_nvme_qpair_disconnect(&tq->base), 0);
}

/*
 * Read A's callback disconnects the queue pair (as nvme.h allows from a
 * completion callback), with B's CapsuleResp read and not yet handled:
 * the poll stops at once, and the disconnection ends B once, with Command
 * Abort Requested. Before, the poll went on with the connection the
 * disconnection had closed: it completed B and then read from the
 * socket, which was NULL by then.
 */
static void test_disconnect_from_callback(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	const struct usk_nvme_sqe cmd = {.opcode = OPC_READ, .nsid = 1};
	const struct nvme_payload data = {.buf = g_read_buf, .len = READ_LEN};
	uint16_t a = tq->base.free_head, b;
	uint8_t stream[128];
	size_t len = 0;
	int rc = 0;

	CU_ASSERT_EQUAL_FATAL(
		nvme_qpair_submit_payload(&tq->base, &cmd, &data, disconnect_from_callback, tq), 0);
	b = submit_read(tq);
	make_resp(&g_plain, a, 0);
	stream_add(stream, &len);
	make_resp(&g_plain, b, 0);
	stream_add(stream, &len);
	ut_tcp_sock_put(stream, len);
	CU_ASSERT_EQUAL(poll_once(tq), 1);
	CU_ASSERT_EQUAL(g_ut_tcp_done[a].calls, 1);
	CU_ASSERT_EQUAL(g_ut_tcp_done[b].calls, 0);
	CU_ASSERT_EQUAL(g_ut_sock.closes, 1);
	for (int i = 0; i < 3 && rc != -ENOTCONN; i++) {
		rc = poll_once(tq);
	}
	CU_ASSERT_EQUAL(rc, -ENOTCONN);
	CU_ASSERT_EQUAL(g_ut_tcp_done[b].calls, 1);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[b].status),
			USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(g_ut_tcp_done[a].calls, 1);
	ut_tcp_qpair_destroy(tq);
}

static void waiting_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct ut_tcp_done *d = arg;

	d->calls++;
	d->status = cpl->status;
}

/*
 * The connection is lost (a write fails) with the ring full and two more
 * commands waiting for it: every one, out or waiting, ends once with
 * Transient Transport Error, as doc/nvme.md says. Before, the waiting ones
 * were moved into the freed entries of a connection already gone, refused
 * there, and ended with Data Transfer Error.
 */
static void test_loss_ends_waiting_with_transport_error(void)
{
	struct nvme_tcp_qpair *tq = create(&g_plain);
	const struct nvme_payload data = {.buf = g_read_buf, .len = READ_LEN};
	const struct usk_nvme_sqe cmd = {.opcode = OPC_READ, .nsid = 1};
	struct ut_tcp_done waiting[2] = {0};

	g_ut_sock.writes_left = 0;
	for (int i = 0; i < ENTRIES - 1; i++) {
		submit_read(tq);
	}
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(nvme_qpair_submit_payload(&tq->base, &cmd, &data,
								waiting_done, &waiting[i]),
				      0);
	}
	CU_ASSERT_EQUAL(tq->base.waiting, 2);
	g_ut_sock.write_error = -EPIPE;
	for (int i = 0; i < 3; i++) {
		poll_once(tq);
	}
	for (int i = 0; i < ENTRIES - 1; i++) {
		CU_ASSERT_EQUAL(g_ut_tcp_done[i].calls, 1);
		CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(g_ut_tcp_done[i].status), SC_TRANSPORT_ERROR);
	}
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(waiting[i].calls, 1);
		CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(waiting[i].status), SC_TRANSPORT_ERROR);
	}
	CU_ASSERT_EQUAL(tq->base.outstanding, 0);
	CU_ASSERT_EQUAL(tq->base.waiting, 0);
	ut_tcp_qpair_destroy(tq);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_capsule_resp_bytewise),
		UT_TEST(test_c2h_success_bytewise),
		UT_TEST(test_c2h_then_resp),
		UT_TEST(test_lengths_refused),
		UT_TEST(test_bad_header_digest),
		UT_TEST(test_bad_data_digest),
		UT_TEST(test_success_before_the_end_refused),
		UT_TEST(test_r2t_answered),
		UT_TEST(test_r2t_refused),
		UT_TEST(test_c2h_for_unsent_read_refused),
		UT_TEST(test_answered_twice),
		UT_TEST(test_completion_set_aside_by_a_callback),
		UT_TEST(test_max_counts_completions_set_aside),
		UT_TEST(test_disconnect_from_callback),
		UT_TEST(test_loss_ends_waiting_with_transport_error),
	};

	for (size_t i = 0; i < sizeof(g_src); i++) {
		g_src[i] = (uint8_t)(i * 17 + (i >> 9));
	}
	return UT_RUN("nvme_tcp_recv", tests);
}
