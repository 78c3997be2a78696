/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP PDU framing: every PDU type from the builder through the
 * receiver, fed whole, a byte at a time and in random chunks, with and
 * without digests and padding; and each way a peer can break the framing
 * refused with the Fatal Error Status the spec names.
 *
 * Sources it covers (lib/nvme): nvme_tcp_pdu.c (the receiver) and
 * nvme_tcp_pdu_build.c (the builder).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/crc32c.h"
#include "usk_internal/nvme_tcp_pdu.h"
#include "ut.h"

#define MAX_DATA 8192
#define WIRE_MAX (64 * 1024)

/* A byte stream as a connection would carry it. */
struct wire {
	uint8_t b[WIRE_MAX];
	size_t len;
};

/* What the receiving side saw. */
struct seen {
	int events[32];
	uint8_t hdr[32][128];
	uint8_t data[32][MAX_DATA];
	uint32_t data_len[32];
	int count;
	int rc; /* the last feed's: an event, or -EPROTO */
};

static uint8_t g_data[MAX_DATA];
static uint8_t g_rx_buf[MAX_DATA];
static struct wire g_wire;
static struct seen g_seen;

static const struct nvme_tcp_digests g_none;

static void wire_put(struct wire *w, const struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++) {
		CU_ASSERT_FATAL(w->len + iov[i].iov_len <= sizeof(w->b));
		memcpy(w->b + w->len, iov[i].iov_base, iov[i].iov_len);
		w->len += iov[i].iov_len;
	}
}

/* Builds a PDU of @type with @data_len bytes of g_data (in two pieces) onto @w. */
static void put_pdu(struct wire *w, enum usk_nvme_tcp_pdu_type type, uint32_t data_len,
		    const struct nvme_tcp_digests *d, uint8_t fill)
{
	struct nvme_tcp_pdu_send p;
	struct iovec data[2], out[2 + NVME_TCP_PDU_BUILD_EXTRA_IOVS];
	int n;

	nvme_tcp_pdu_send_init(&p, type);
	/* The type's own fields: something recognisable, same in header and copy. */
	memset(p.hdr.raw + sizeof(p.hdr.ch), fill, p.hdr.ch.hlen - sizeof(p.hdr.ch));
	if (type == USK_NVME_TCP_PDU_C2H_DATA) {
		p.hdr.ch.flags = USK_NVME_TCP_FLAG_LAST_PDU | USK_NVME_TCP_FLAG_SUCCESS;
	}
	data[0] = (struct iovec){.iov_base = g_data, .iov_len = data_len / 3};
	data[1] = (struct iovec){.iov_base = g_data + data_len / 3,
				 .iov_len = data_len - data_len / 3};
	n = nvme_tcp_pdu_build(&p, d, data, 2, out, (int)USK_COUNTOF(out));
	CU_ASSERT_FATAL(n > 0);
	wire_put(w, out, n);
}

static void seen_reset(void)
{
	memset(&g_seen, 0, sizeof(g_seen));
}

/*
 * Feeds @len bytes of @buf in chunks chosen by @chunk (0: all at once,
 * 1: a byte at a time, else random up to @chunk), applying @after_ic once
 * the IC PDU arrived and, when @scatter, directing each PDU's data into
 * three pieces of its own. Stops at the first fatal error.
 */
static void feed_all(struct nvme_tcp_pdu_recv *r, const uint8_t *buf, size_t len, size_t chunk,
		     const struct nvme_tcp_digests *after_ic, bool scatter)
{
	static uint8_t pieces[MAX_DATA];
	struct iovec iov[3];
	size_t pos = 0;

	while (pos < len) {
		size_t n = chunk == 0 ? len - pos : chunk == 1 ? 1 : 1 + (size_t)rand() % chunk;
		size_t used;
		int rc;

		n = USK_MIN(n, len - pos);
		rc = nvme_tcp_pdu_recv_feed(r, buf + pos, n, &used);
		CU_ASSERT(used <= n);
		pos += used;
		g_seen.rc = rc;
		if (rc < 0) {
			CU_ASSERT_EQUAL(rc, -EPROTO);
			return;
		}
		if (rc == NVME_TCP_RECV_AGAIN) {
			CU_ASSERT_EQUAL(used, n);
			continue;
		}
		if (rc == NVME_TCP_RECV_HEADER) {
			uint32_t dl = r->pdu.data_len;

			if (scatter) {
				iov[0] = (struct iovec){.iov_base = pieces, .iov_len = dl / 2};
				iov[1] = (struct iovec){.iov_base = pieces + dl / 2, .iov_len = 0};
				iov[2] = (struct iovec){.iov_base = pieces + dl / 2,
							.iov_len = MAX_DATA - dl / 2};
				CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_data(r, iov, 3), 0);
			}
			continue;
		}
		CU_ASSERT_FATAL(g_seen.count < 32);
		g_seen.events[g_seen.count] = rc;
		memcpy(g_seen.hdr[g_seen.count], r->pdu.hdr->raw, r->pdu.hdr->ch.hlen);
		g_seen.data_len[g_seen.count] = r->pdu.data_len;
		if (r->pdu.data_len > 0) {
			const uint8_t *d = r->pdu.data != NULL ? r->pdu.data : pieces;

			memcpy(g_seen.data[g_seen.count], d, r->pdu.data_len);
		}
		if (r->pdu.hdr->ch.pdu_type <= USK_NVME_TCP_PDU_ICRESP) {
			CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_digests(r, after_ic), 0);
		}
		g_seen.count++;
	}
}

/* Types each end receives, after its IC PDU. */
static const enum usk_nvme_tcp_pdu_type g_to_host[] = {
	USK_NVME_TCP_PDU_CAPSULE_RESP, USK_NVME_TCP_PDU_C2H_DATA,     USK_NVME_TCP_PDU_R2T,
	USK_NVME_TCP_PDU_C2H_DATA,     USK_NVME_TCP_PDU_C2H_TERM_REQ,
};
static const enum usk_nvme_tcp_pdu_type g_to_ctrlr[] = {
	USK_NVME_TCP_PDU_CAPSULE_CMD, USK_NVME_TCP_PDU_CAPSULE_CMD,  USK_NVME_TCP_PDU_H2C_DATA,
	USK_NVME_TCP_PDU_H2C_DATA,    USK_NVME_TCP_PDU_H2C_TERM_REQ,
};

static uint32_t data_len_for(enum usk_nvme_tcp_pdu_type type, int i)
{
	switch (type) {
	case USK_NVME_TCP_PDU_CAPSULE_RESP:
	case USK_NVME_TCP_PDU_R2T:
		return 0;
	case USK_NVME_TCP_PDU_H2C_TERM_REQ:
	case USK_NVME_TCP_PDU_C2H_TERM_REQ:
		return 24;
	case USK_NVME_TCP_PDU_CAPSULE_CMD:
		return i == 0 ? 0 : 4096; /* without and with in-capsule data */
	default:
		return i == 2 ? 1 : i == 3 ? MAX_DATA : 4097 + (uint32_t)i;
	}
}

/* One connection's stream to @role: its IC PDU, then every type it receives. */
static void round_trip(enum nvme_tcp_role role, const struct nvme_tcp_digests *d, size_t chunk,
		       bool scatter)
{
	const enum usk_nvme_tcp_pdu_type *types =
		role == NVME_TCP_ROLE_HOST ? g_to_host : g_to_ctrlr;
	size_t ntypes =
		role == NVME_TCP_ROLE_HOST ? USK_COUNTOF(g_to_host) : USK_COUNTOF(g_to_ctrlr);
	struct nvme_tcp_pdu_recv r;
	size_t pos = 0;

	g_wire.len = 0;
	put_pdu(&g_wire,
		role == NVME_TCP_ROLE_HOST ? USK_NVME_TCP_PDU_ICRESP : USK_NVME_TCP_PDU_ICREQ, 0,
		&g_none, 0x11);
	for (size_t i = 0; i < ntypes; i++) {
		put_pdu(&g_wire, types[i], data_len_for(types[i], (int)i), d, (uint8_t)(0x20 + i));
	}
	CU_ASSERT_EQUAL_FATAL(nvme_tcp_pdu_recv_init(&r, role, g_rx_buf, MAX_DATA), 0);
	seen_reset();
	feed_all(&r, g_wire.b, g_wire.len, chunk, d, scatter);
	CU_ASSERT_EQUAL_FATAL(g_seen.count, (int)ntypes + 1);
	for (int i = 0; i < g_seen.count; i++) {
		const struct usk_nvme_tcp_common_hdr *ch = (const void *)g_seen.hdr[i];
		enum usk_nvme_tcp_pdu_type want =
			i == 0 ? (role == NVME_TCP_ROLE_HOST ? USK_NVME_TCP_PDU_ICRESP
							     : USK_NVME_TCP_PDU_ICREQ)
			       : types[i - 1];
		uint32_t dl = i == 0 ? 0 : data_len_for(want, i - 1);

		CU_ASSERT_EQUAL(g_seen.events[i], NVME_TCP_RECV_PDU);
		CU_ASSERT_EQUAL(ch->pdu_type, want);
		/* The header as it went on the wire, byte for byte. */
		CU_ASSERT_EQUAL(memcmp(g_seen.hdr[i], g_wire.b + pos, ch->hlen), 0);
		CU_ASSERT_EQUAL(g_seen.hdr[i][sizeof(*ch)], i == 0 ? 0x11 : 0x20 + i - 1);
		CU_ASSERT_EQUAL(g_seen.data_len[i], dl);
		CU_ASSERT_EQUAL(memcmp(g_seen.data[i], g_data, dl), 0);
		if (i > 0 && want != USK_NVME_TCP_PDU_H2C_TERM_REQ &&
		    want != USK_NVME_TCP_PDU_C2H_TERM_REQ) {
			CU_ASSERT_EQUAL(!!(ch->flags & USK_NVME_TCP_FLAG_HDGSTF), d->hdgst);
			CU_ASSERT_EQUAL(!!(ch->flags & USK_NVME_TCP_FLAG_DDGSTF),
					d->ddgst && dl > 0);
		}
		pos += ch->plen;
	}
	CU_ASSERT_EQUAL(pos, g_wire.len);
}

static const struct nvme_tcp_digests g_configs[] = {
	{.hdgst = false, .ddgst = false, .pda = 0}, {.hdgst = true, .ddgst = false, .pda = 0},
	{.hdgst = false, .ddgst = true, .pda = 0},  {.hdgst = true, .ddgst = true, .pda = 0},
	{.hdgst = true, .ddgst = true, .pda = 3},   /* data on 16 bytes: padding */
	{.hdgst = false, .ddgst = true, .pda = 31}, /* 128 bytes, the most */
};

static void test_round_trip_whole(void)
{
	for (size_t c = 0; c < USK_COUNTOF(g_configs); c++) {
		round_trip(NVME_TCP_ROLE_HOST, &g_configs[c], 0, false);
		round_trip(NVME_TCP_ROLE_CTRLR, &g_configs[c], 0, false);
	}
}

static void test_round_trip_bytewise(void)
{
	for (size_t c = 0; c < USK_COUNTOF(g_configs); c++) {
		round_trip(NVME_TCP_ROLE_HOST, &g_configs[c], 1, false);
		round_trip(NVME_TCP_ROLE_CTRLR, &g_configs[c], 1, true);
	}
}

static void test_round_trip_random_chunks(void)
{
	static const size_t chunks[] = {3, 7, 30, 200, 5000};

	srand(18);
	for (size_t c = 0; c < USK_COUNTOF(g_configs); c++) {
		for (size_t k = 0; k < USK_COUNTOF(chunks); k++) {
			round_trip(NVME_TCP_ROLE_HOST, &g_configs[c], chunks[k], k % 2 == 0);
			round_trip(NVME_TCP_ROLE_CTRLR, &g_configs[c], chunks[k], k % 2 == 1);
		}
	}
}

/* A receiver for @role past its IC PDU, with digests @d. */
static void connected(struct nvme_tcp_pdu_recv *r, enum nvme_tcp_role role,
		      const struct nvme_tcp_digests *d)
{
	struct wire *w = malloc(sizeof(*w));

	CU_ASSERT_FATAL(w != NULL);
	w->len = 0;
	put_pdu(w, role == NVME_TCP_ROLE_HOST ? USK_NVME_TCP_PDU_ICRESP : USK_NVME_TCP_PDU_ICREQ, 0,
		&g_none, 0);
	CU_ASSERT_EQUAL_FATAL(nvme_tcp_pdu_recv_init(r, role, g_rx_buf, MAX_DATA), 0);
	seen_reset();
	feed_all(r, w->b, w->len, 0, d, false);
	CU_ASSERT_EQUAL_FATAL(g_seen.count, 1);
	free(w);
}

/* Feeds @w to a connected receiver and expects the fatal error @fes/@fei. */
static void expect_fatal(enum nvme_tcp_role role, const struct nvme_tcp_digests *d,
			 const struct wire *w, enum usk_nvme_tcp_fes fes, uint32_t fei)
{
	static const size_t chunks[] = {0, 1, 5};

	for (size_t k = 0; k < USK_COUNTOF(chunks); k++) {
		struct nvme_tcp_pdu_recv r;
		size_t used;

		connected(&r, role, d);
		seen_reset();
		feed_all(&r, w->b, w->len, chunks[k], d, false);
		CU_ASSERT_EQUAL(g_seen.rc, -EPROTO);
		CU_ASSERT_EQUAL(g_seen.count, 0);
		CU_ASSERT_EQUAL(r.fes, fes);
		CU_ASSERT_EQUAL(r.fei, fei);
		/* A failed receiver takes nothing more. */
		CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, w->b, w->len, &used), -EPROTO);
		CU_ASSERT_EQUAL(used, 0);
	}
}

/* One PDU of @type onto g_wire; returns its common header for the test to spoil. */
static struct usk_nvme_tcp_common_hdr *one_pdu(enum usk_nvme_tcp_pdu_type type, uint32_t data_len,
					       const struct nvme_tcp_digests *d)
{
	g_wire.len = 0;
	put_pdu(&g_wire, type, data_len, d, 0x5a);
	return (struct usk_nvme_tcp_common_hdr *)(void *)g_wire.b;
}

static void test_unknown_and_misdirected_types(void)
{
	static const uint8_t bad[] = {0x08, 0x0a, 0x7f, 0xff};

	for (size_t i = 0; i < USK_COUNTOF(bad); i++) {
		one_pdu(USK_NVME_TCP_PDU_R2T, 0, &g_none)->pdu_type = bad[i];
		expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire,
			     USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 0);
	}
	/* A host is never sent a command, nor a controller a completion. */
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_CMD, 0, &g_none);
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     0);
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_RESP, 0, &g_none);
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     0);
}

static void test_sequence(void)
{
	struct nvme_tcp_pdu_recv r;
	size_t used;

	/* Before ICResp nothing but a TermReq may come; after it, no second ICResp. */
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_RESP, 0, &g_none);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_init(&r, NVME_TCP_ROLE_HOST, g_rx_buf, MAX_DATA), 0);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, g_wire.len, &used), -EPROTO);
	CU_ASSERT_EQUAL(r.fes, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_error_hdr_len(&r), 8);

	one_pdu(USK_NVME_TCP_PDU_C2H_TERM_REQ, 10, &g_none);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_init(&r, NVME_TCP_ROLE_HOST, g_rx_buf, MAX_DATA), 0);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, g_wire.len, &used), NVME_TCP_RECV_PDU);
	CU_ASSERT_EQUAL(used, g_wire.len);
	CU_ASSERT_EQUAL(r.pdu.data_len, 10);
	CU_ASSERT_EQUAL(memcmp(r.pdu.data, g_data, 10), 0);

	one_pdu(USK_NVME_TCP_PDU_ICRESP, 0, &g_none);
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
}

static void test_hlen_wrong(void)
{
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_RESP, 0, &g_none)->hlen = 16;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     2);
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_CMD, 0, &g_none)->hlen = 255;
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     2);
}

static void test_plen_wrong(void)
{
	const struct nvme_tcp_digests *both = &g_configs[3];

	/* Shorter than the header (and its digest), longer than a PDU without data. */
	one_pdu(USK_NVME_TCP_PDU_R2T, 0, both)->plen = 24;
	expect_fatal(NVME_TCP_ROLE_HOST, both, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 4);
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_RESP, 0, &g_none)->plen = 4096;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     4);
	/* Data PDU with no room for a data byte after pdo and the digest. */
	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 100, both)->plen = 24 + 4 + 4;
	expect_fatal(NVME_TCP_ROLE_HOST, both, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 4);
	one_pdu(USK_NVME_TCP_PDU_ICREQ, 0, &g_none)->plen = 129;
	{
		struct nvme_tcp_pdu_recv r;
		size_t used;

		CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_init(&r, NVME_TCP_ROLE_CTRLR, g_rx_buf, MAX_DATA),
				0);
		CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, g_wire.len, &used), -EPROTO);
		CU_ASSERT_EQUAL(r.fes, USK_NVME_TCP_FES_INVALID_HEADER_FIELD);
		CU_ASSERT_EQUAL(r.fei, 4);
	}
	/* A TermReq carries at most 128 bytes of the refused header. */
	one_pdu(USK_NVME_TCP_PDU_C2H_TERM_REQ, 128, &g_none)->plen = 24 + 129;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     4);
	one_pdu(USK_NVME_TCP_PDU_H2C_TERM_REQ, 0, &g_none)->plen = 23;
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     4);
}

static void test_plen_beyond_max(void)
{
	struct usk_nvme_tcp_common_hdr *ch;

	/* One byte over: plen says MAX_DATA + 1 data bytes; nothing of them is read. */
	ch = one_pdu(USK_NVME_TCP_PDU_C2H_DATA, MAX_DATA, &g_none);
	ch->plen += 1;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     4);
	ch = one_pdu(USK_NVME_TCP_PDU_H2C_DATA, MAX_DATA, &g_none);
	ch->plen = UINT32_MAX;
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_none, &g_wire, USK_NVME_TCP_FES_LIMIT_EXCEEDED, 0);
	ch = one_pdu(USK_NVME_TCP_PDU_CAPSULE_CMD, MAX_DATA, &g_configs[3]);
	ch->plen += 4;
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_configs[3], &g_wire, USK_NVME_TCP_FES_LIMIT_EXCEEDED,
		     0);
}

static void test_pdo_wrong(void)
{
	const struct nvme_tcp_digests *hd = &g_configs[1];
	const struct nvme_tcp_digests *pda = &g_configs[4];

	/* Inside the header, inside the header digest, and missing from a data PDU. */
	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 512, &g_none)->pdo = 8;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     3);
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_CMD, 512, hd)->pdo = 72;
	expect_fatal(NVME_TCP_ROLE_CTRLR, hd, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 3);
	one_pdu(USK_NVME_TCP_PDU_H2C_DATA, 512, &g_none)->pdo = 0;
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     3);
	/* Off the negotiated alignment (16 bytes): 28 is past header and digest, not aligned. */
	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 512, pda)->pdo = 28;
	expect_fatal(NVME_TCP_ROLE_HOST, pda, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 3);
}

static void test_flags_wrong(void)
{
	const struct nvme_tcp_digests *both = &g_configs[3];

	/* Digest flags that say other than what was negotiated. */
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_RESP, 0, both)->flags = 0;
	expect_fatal(NVME_TCP_ROLE_HOST, both, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 1);
	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 64, &g_configs[1]);
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     1);
	one_pdu(USK_NVME_TCP_PDU_H2C_DATA, 64, &g_configs[2]);
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     1);
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_CMD, 0, &g_none)->flags |= USK_NVME_TCP_FLAG_DDGSTF;
	expect_fatal(NVME_TCP_ROLE_CTRLR, &g_configs[2], &g_wire,
		     USK_NVME_TCP_FES_INVALID_HEADER_FIELD, 1);
	/* SUCCESS only with LAST_PDU. */
	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 64, &g_none)->flags = USK_NVME_TCP_FLAG_SUCCESS;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     1);
}

static void test_datal_wrong(void)
{
	struct usk_nvme_tcp_data *h;

	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 64, &g_none);
	h = (struct usk_nvme_tcp_data *)(void *)g_wire.b;
	h->datal = 63;
	expect_fatal(NVME_TCP_ROLE_HOST, &g_none, &g_wire, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
		     16);
}

static void test_bad_header_digest(void)
{
	const struct nvme_tcp_digests *hd = &g_configs[1];
	struct nvme_tcp_pdu_recv r;
	size_t used;

	one_pdu(USK_NVME_TCP_PDU_CAPSULE_RESP, 0, hd);
	g_wire.b[10] ^= 1; /* a bit of the CQE */
	expect_fatal(NVME_TCP_ROLE_HOST, hd, &g_wire, USK_NVME_TCP_FES_HDGST_ERROR, 0);
	one_pdu(USK_NVME_TCP_PDU_CAPSULE_CMD, 100, hd);
	g_wire.b[72 + 3] ^= 0x80; /* the digest itself */
	expect_fatal(NVME_TCP_ROLE_CTRLR, hd, &g_wire, USK_NVME_TCP_FES_HDGST_ERROR, 0);
	connected(&r, NVME_TCP_ROLE_CTRLR, hd);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, g_wire.len, &used), -EPROTO);
	/* The whole header is what the TermReq sends back. */
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_error_hdr_len(&r), 72);
}

/* Feeds g_wire (two C2HData PDUs, both digests) and expects the first to fail its data digest. */
static void expect_first_ddgst_bad(size_t chunk, bool scatter)
{
	const struct nvme_tcp_digests *both = &g_configs[3];
	struct nvme_tcp_pdu_recv r;

	connected(&r, NVME_TCP_ROLE_HOST, both);
	seen_reset();
	feed_all(&r, g_wire.b, g_wire.len, chunk, both, scatter);
	CU_ASSERT_EQUAL(g_seen.count, 2);
	CU_ASSERT_EQUAL(g_seen.events[0], NVME_TCP_RECV_PDU_DDGST_ERROR);
	CU_ASSERT_EQUAL(g_seen.events[1], NVME_TCP_RECV_PDU);
}

/* A wrong data digest fails that PDU only: the next one is read as usual. */
static void test_bad_data_digest(void)
{
	const struct nvme_tcp_digests *both = &g_configs[3];
	size_t data_digest;

	g_wire.len = 0;
	put_pdu(&g_wire, USK_NVME_TCP_PDU_C2H_DATA, 300, both, 1);
	data_digest = g_wire.len - 1;
	put_pdu(&g_wire, USK_NVME_TCP_PDU_C2H_DATA, 300, both, 2);
	g_wire.b[data_digest] ^= 0x10;
	expect_first_ddgst_bad(7, false);
	/* A data byte this time, the data directed into the caller's iovecs. */
	g_wire.b[data_digest] ^= 0x10;
	g_wire.b[data_digest - 10] ^= 0x01;
	expect_first_ddgst_bad(0, true);
}

/* A PDU cut short is waited for: every byte given is taken, none past them read. */
static void test_short_input_waits(void)
{
	struct nvme_tcp_pdu_recv r;
	size_t used;

	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 100, &g_configs[3]);
	for (size_t cut = 0; cut < g_wire.len; cut++) {
		connected(&r, NVME_TCP_ROLE_HOST, &g_configs[3]);
		CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, cut, &used),
				cut < 28 ? NVME_TCP_RECV_AGAIN : NVME_TCP_RECV_HEADER);
		CU_ASSERT_EQUAL(used, cut < 28 ? cut : 28);
	}
}

static void test_set_data(void)
{
	uint8_t small[10], big[100];
	struct iovec iov[2] = {{.iov_base = small, .iov_len = sizeof(small)},
			       {.iov_base = big, .iov_len = sizeof(big)}};
	struct nvme_tcp_pdu_recv r;
	size_t used;

	connected(&r, NVME_TCP_ROLE_HOST, &g_none);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_data(&r, iov, 2), -EBUSY);
	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 110, &g_none);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, g_wire.len, &used),
			NVME_TCP_RECV_HEADER);
	CU_ASSERT_EQUAL(r.pdu.data_len, 110);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_data(&r, iov, 1), -EINVAL);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_data(&r, iov, 2), 0);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b + used, g_wire.len - used, &used),
			NVME_TCP_RECV_PDU);
	CU_ASSERT_PTR_NULL(r.pdu.data);
	CU_ASSERT_EQUAL(memcmp(small, g_data, 10), 0);
	CU_ASSERT_EQUAL(memcmp(big, g_data + 10, 100), 0);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_data(&r, iov, 2), -EBUSY);
}

/*
 * Reads straight into placed data: the data section's rest as iovecs (none
 * before set_data, none in the padding), bytes put there in pieces and
 * accounted by data_done, the digest checked over them; a wrong digest
 * still shows.
 */
static void direct_read(const struct nvme_tcp_digests *both, bool corrupt)
{
	uint8_t a[7], b[200], c[93];
	struct iovec place[3] = {{.iov_base = a, .iov_len = sizeof(a)},
				 {.iov_base = b, .iov_len = sizeof(b)},
				 {.iov_base = c, .iov_len = sizeof(c)}};
	struct iovec rest[3];
	struct nvme_tcp_pdu_recv r;
	size_t used, pos, data_end;
	int n, ev = NVME_TCP_RECV_AGAIN;

	one_pdu(USK_NVME_TCP_PDU_C2H_DATA, 300, both);
	data_end = g_wire.len - USK_NVME_TCP_DIGEST_LEN;
	if (corrupt) {
		g_wire.b[data_end - 1] ^= 0x01;
	}
	connected(&r, NVME_TCP_ROLE_HOST, both);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b, g_wire.len, &used),
			NVME_TCP_RECV_HEADER);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_data_iov(&r, rest, 3), 0);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_set_data(&r, place, 3), 0);
	pos = used;
	/* Padding up to PDO comes through feed first. */
	while (r.state != NVME_TCP_RECV_DATA) {
		CU_ASSERT_EQUAL_FATAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b + pos, 1, &used),
				      NVME_TCP_RECV_AGAIN);
		pos += used;
	}
	/* 5 bytes a read: the rest of the section each time, in at most 3 iovecs. */
	while (pos < data_end) {
		size_t k = USK_MIN((size_t)5, data_end - pos), left = k;

		n = nvme_tcp_pdu_recv_data_iov(&r, rest, 3);
		CU_ASSERT_FATAL(n > 0 && n <= 3);
		for (int i = 0; i < n && left > 0; i++) {
			size_t step = USK_MIN(left, rest[i].iov_len);

			memcpy(rest[i].iov_base, g_wire.b + pos + (k - left), step);
			left -= step;
		}
		ev = nvme_tcp_pdu_recv_data_done(&r, k);
		pos += k;
		CU_ASSERT_EQUAL(ev, NVME_TCP_RECV_AGAIN);
	}
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_data_iov(&r, rest, 3), 0);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_recv_feed(&r, g_wire.b + pos, g_wire.len - pos, &used),
			corrupt ? NVME_TCP_RECV_PDU_DDGST_ERROR : NVME_TCP_RECV_PDU);
	CU_ASSERT_EQUAL(memcmp(a, g_data, sizeof(a)), 0);
	CU_ASSERT_EQUAL(memcmp(b, g_data + sizeof(a), sizeof(b)), 0);
	CU_ASSERT_EQUAL(memcmp(c, g_data + sizeof(a) + sizeof(b), sizeof(c) - corrupt), 0);
}

static void test_direct_read(void)
{
	direct_read(&g_configs[3], false);
	direct_read(&g_configs[3], true);
	direct_read(&g_configs[4], false); /* with padding before the data */
}

static void test_build_refuses(void)
{
	struct nvme_tcp_pdu_send p;
	struct iovec data = {.iov_base = g_data, .iov_len = 129};
	struct iovec out[8];
	struct nvme_tcp_digests bad_pda = {.pda = 32};

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_R2T);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_none, &data, 1, out, 8), -EINVAL);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &bad_pda, NULL, 0, out, 8), -EINVAL);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_none, NULL, 0, out, 8), 1);
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_C2H_TERM_REQ);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_none, &data, 1, out, 8), -EINVAL);
	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_H2C_DATA);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_none, NULL, 0, out, 8), -EINVAL);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_none, &data, 1, out, 4), -ENOBUFS);
	nvme_tcp_pdu_send_init(&p, (enum usk_nvme_tcp_pdu_type)8);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_none, NULL, 0, out, 8), -EINVAL);
}

/* The layout on the wire, checked by hand for one PDU with every part. */
static void test_build_layout(void)
{
	struct nvme_tcp_pdu_send p;
	struct iovec data = {.iov_base = g_data, .iov_len = 10};
	struct iovec out[8];
	const struct nvme_tcp_digests d = {.hdgst = true, .ddgst = true, .pda = 7}; /* 32 bytes */
	uint32_t crc;

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_H2C_DATA);
	p.hdr.ch.flags = USK_NVME_TCP_FLAG_LAST_PDU;
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &d, &data, 1, out, 8), 5);
	CU_ASSERT_EQUAL(p.hdr.ch.hlen, 24);
	CU_ASSERT_EQUAL(p.hdr.ch.pdo, 32);
	CU_ASSERT_EQUAL(p.hdr.ch.plen, 32 + 10 + 4);
	CU_ASSERT_EQUAL(p.hdr.ch.flags, USK_NVME_TCP_FLAG_LAST_PDU | USK_NVME_TCP_FLAG_HDGSTF |
						USK_NVME_TCP_FLAG_DDGSTF);
	CU_ASSERT_EQUAL(p.hdr.data.datal, 10);
	CU_ASSERT_EQUAL(out[0].iov_len, 24);
	CU_ASSERT_EQUAL(out[1].iov_len, 4);
	CU_ASSERT_EQUAL(out[2].iov_len, 4); /* padding */
	CU_ASSERT_PTR_EQUAL(out[3].iov_base, g_data);
	crc = usk_crc32c_update(0, &p.hdr, 24);
	CU_ASSERT_EQUAL(memcmp(out[1].iov_base, &crc, 4), 0);
	crc = usk_crc32c_update(0, g_data, 10);
	CU_ASSERT_EQUAL(memcmp(out[4].iov_base, &crc, 4), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_round_trip_whole),
		UT_TEST(test_round_trip_bytewise),
		UT_TEST(test_round_trip_random_chunks),
		UT_TEST(test_unknown_and_misdirected_types),
		UT_TEST(test_sequence),
		UT_TEST(test_hlen_wrong),
		UT_TEST(test_plen_wrong),
		UT_TEST(test_plen_beyond_max),
		UT_TEST(test_pdo_wrong),
		UT_TEST(test_flags_wrong),
		UT_TEST(test_datal_wrong),
		UT_TEST(test_bad_header_digest),
		UT_TEST(test_bad_data_digest),
		UT_TEST(test_short_input_waits),
		UT_TEST(test_set_data),
		UT_TEST(test_direct_read),
		UT_TEST(test_build_refuses),
		UT_TEST(test_build_layout),
	};

	for (size_t i = 0; i < sizeof(g_data); i++) {
		g_data[i] = (uint8_t)(i * 13 + (i >> 8));
	}
	return UT_RUN("nvme_tcp_pdu", tests);
}
