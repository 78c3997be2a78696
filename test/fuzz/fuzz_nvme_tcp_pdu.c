/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP receive path against a hostile peer: the input is the byte
 * stream of one connection, fed to nvme_tcp_pdu_recv_feed in chunks of
 * sizes the input picks, with the data of some PDUs directed into
 * scattered buffers of their own. Every buffer is its own allocation of
 * the exact size, so ASan sees a byte written past any of them.
 *
 * Input: [config][chunk seed] then the stream.
 *   config bit 0: receive as the controller (else the host)
 *          bits 1, 2: header, data digests negotiated
 *          bits 3-4: pda 0, 1, 3 or 31
 *          bits 5-6: largest data section 64, 4096, 8192 or 0 bytes
 *          bit 7: the stream starts cold (else a valid IC PDU goes first)
 *
 * Invariants: no crash; each feed takes no more than it was given; a PDU
 * handed over has its type's hlen, data no longer than allowed, and took
 * exactly plen bytes of the stream; after a fatal error the receiver takes
 * nothing more.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "usk/util.h"
#include "usk_internal/nvme_tcp_pdu.h"

static const uint8_t g_pdas[] = {0, 1, 3, 31};
static const uint32_t g_max_data[] = {64, 4096, 8192, 0};

struct fuzz_conn {
	struct nvme_tcp_pdu_recv r;
	struct nvme_tcp_digests d;
	uint32_t max_data;
	uint32_t chunk_state;
	uint64_t pdu_bytes; /* stream bytes taken since the current PDU began */
	uint8_t *scatter[2];
	struct iovec iov[2];
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

/* The next chunk size, 1..256, from a small LCG seeded by the input. */
static size_t next_chunk(struct fuzz_conn *c)
{
	c->chunk_state = c->chunk_state * 1103515245u + 12345u;
	return 1 + ((c->chunk_state >> 16) & 0xff);
}

/* A valid ICReq/ICResp for the receiver's role, so most inputs start past it. */
static void feed_ic(struct fuzz_conn *c)
{
	struct nvme_tcp_pdu_send p;
	struct iovec out[NVME_TCP_PDU_BUILD_EXTRA_IOVS];
	bool ctrlr = c->r.role == NVME_TCP_ROLE_CTRLR;
	int n;
	size_t used;

	nvme_tcp_pdu_send_init(&p, ctrlr ? USK_NVME_TCP_PDU_ICREQ : USK_NVME_TCP_PDU_ICRESP);
	n = nvme_tcp_pdu_build(&p, &c->d, NULL, 0, out, (int)USK_COUNTOF(out));
	FUZZ_CHECK(n == 1, "IC PDU built into %d pieces", n);
	FUZZ_CHECK(nvme_tcp_pdu_recv_feed(&c->r, out[0].iov_base, out[0].iov_len, &used) ==
				   NVME_TCP_RECV_PDU &&
			   used == 128,
		   "a valid IC PDU was refused");
	nvme_tcp_pdu_recv_set_digests(&c->r, &c->d);
}

/* Direct the data of the PDU whose header arrived into two buffers of its own. */
static void place_data(struct fuzz_conn *c)
{
	uint32_t len = c->r.pdu.data_len;

	FUZZ_CHECK(len > 0 && len <= c->max_data, "header event with %u data bytes (max %u)", len,
		   c->max_data);
	c->scatter[0] = malloc(len / 2 + 1);
	c->scatter[1] = malloc(len - len / 2);
	c->iov[0] = (struct iovec){.iov_base = c->scatter[0], .iov_len = len / 2};
	c->iov[1] = (struct iovec){.iov_base = c->scatter[1], .iov_len = len - len / 2};
	if (c->scatter[0] != NULL && c->scatter[1] != NULL) {
		FUZZ_CHECK(nvme_tcp_pdu_recv_set_data(&c->r, c->iov, 2) == 0, "set_data refused");
	}
}

static void free_scatter(struct fuzz_conn *c)
{
	free(c->scatter[0]);
	free(c->scatter[1]);
	c->scatter[0] = c->scatter[1] = NULL;
}

static void check_pdu(struct fuzz_conn *c)
{
	const struct nvme_tcp_pdu *pdu = &c->r.pdu;
	const struct nvme_tcp_pdu_rule *rule = nvme_tcp_pdu_rule(pdu->hdr->ch.pdu_type);

	FUZZ_CHECK(rule != NULL && rule->hlen == pdu->hdr->ch.hlen, "PDU type %u with hlen %u",
		   pdu->hdr->ch.pdu_type, pdu->hdr->ch.hlen);
	FUZZ_CHECK(pdu->data_len <= USK_MAX(c->max_data, USK_NVME_TCP_TERM_DATA_MAX),
		   "%u data bytes", pdu->data_len);
	FUZZ_CHECK(c->pdu_bytes == pdu->hdr->ch.plen, "PDU took %lu bytes, plen %u",
		   (unsigned long)c->pdu_bytes, pdu->hdr->ch.plen);
	if (rule->layout == NVME_TCP_LAYOUT_IC) {
		nvme_tcp_pdu_recv_set_digests(&c->r, &c->d);
	}
}

static void feed_stream(struct fuzz_conn *c, const uint8_t *data, size_t size)
{
	size_t pos = 0;

	while (pos < size) {
		size_t chunk = next_chunk(c); /* once: USK_MIN evaluates its arguments twice */
		size_t n = USK_MIN(chunk, size - pos);
		size_t used;
		int rc = nvme_tcp_pdu_recv_feed(&c->r, data + pos, n, &used);

		FUZZ_CHECK(used <= n, "took %zu of %zu bytes", used, n);
		pos += used;
		c->pdu_bytes += used;
		if (rc < 0) {
			FUZZ_CHECK(rc == -EPROTO &&
					   c->r.fes >= USK_NVME_TCP_FES_INVALID_HEADER_FIELD &&
					   c->r.fes <= USK_NVME_TCP_FES_UNSUPPORTED_PARAMETER,
				   "feed returned %d, FES %d", rc, c->r.fes);
			FUZZ_CHECK(nvme_tcp_pdu_recv_feed(&c->r, data, size, &used) == -EPROTO &&
					   used == 0,
				   "a failed receiver took more");
			FUZZ_CHECK(nvme_tcp_pdu_recv_error_hdr_len(&c->r) <= 128, "error header %u",
				   nvme_tcp_pdu_recv_error_hdr_len(&c->r));
			return;
		}
		if (rc == NVME_TCP_RECV_HEADER) {
			if (c->chunk_state & 0x100) {
				place_data(c);
			}
		} else if (rc != NVME_TCP_RECV_AGAIN) {
			check_pdu(c);
			free_scatter(c);
			c->pdu_bytes = 0;
		} else {
			FUZZ_CHECK(used == n, "AGAIN after %zu of %zu bytes", used, n);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_conn c;
	uint8_t *buf;

	if (size < 2) {
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.d.hdgst = (data[0] & 0x02) != 0;
	c.d.ddgst = (data[0] & 0x04) != 0;
	c.d.pda = g_pdas[(data[0] >> 3) & 3];
	c.max_data = g_max_data[(data[0] >> 5) & 3];
	c.chunk_state = data[1];
	/* Exactly max_data bytes (one at least, for malloc): a byte past it is an ASan report. */
	buf = malloc(USK_MAX(c.max_data, 1u));
	if (buf == NULL) {
		return 0;
	}
	nvme_tcp_pdu_recv_init(&c.r, (data[0] & 1) ? NVME_TCP_ROLE_CTRLR : NVME_TCP_ROLE_HOST, buf,
			       c.max_data);
	if ((data[0] & 0x80) == 0) {
		feed_ic(&c);
	}
	feed_stream(&c, data + 2, size - 2);
	free_scatter(&c);
	free(buf);
	return 0;
}
