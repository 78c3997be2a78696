/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP, receiving: bytes read into the queue pair's staging buffer go
 * through the PDU parser (nvme_tcp_pdu.c, which checks every length); a
 * C2HData's data is placed straight into the command's buffer. A PDU that
 * names a command not out, data out of order or past the buffer, an R2T
 * for a read: the controller broke the protocol and the connection fails.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "nvme_tcp.h"
#include "usk/log.h"
#include "usk/util.h"
#include "usk_internal/sock.h"

/* The PDU in hand broke the protocol: H2CTermReq (its header as the data), then the failure. */
static void nvme_tcp_recv_fatal(struct nvme_tcp_qpair *tq, enum usk_nvme_tcp_fes fes, uint32_t fei,
				const char *why)
{
	nvme_tcp_send_term_req(tq, fes, fei, tq->recv.hdr.ch.hlen, why);
}

/*
 * The command @cid of a PDU, if it is out; NULL otherwise. One whose
 * CapsuleResp came already is not, though its completion waits for its
 * PDU to be written: another answer would end it twice.
 */
static struct nvme_tcp_cmd *nvme_tcp_cmd_out(struct nvme_tcp_qpair *tq, uint16_t cid)
{
	if (cid >= tq->base.num_entries || !tq->base.trackers[cid].active ||
	    tq->cmds[cid].cpl_pending) {
		return NULL;
	}
	return &tq->cmds[cid];
}

/* A C2HData header: its data goes to [datao, datao + datal) of the command's buffer. */
static int nvme_tcp_recv_c2h_header(struct nvme_tcp_qpair *tq)
{
	const struct usk_nvme_tcp_data *h = &tq->recv.pdu.hdr->data;
	struct nvme_tcp_cmd *tc = nvme_tcp_cmd_out(tq, h->cccid);
	int n;

	/*
	 * A read whose CapsuleCmd is not written whole is not out: no controller
	 * can have it. Completing it would free its CID while its send slot is
	 * still queued, and the CID's next command would queue that slot again.
	 */
	if (tc == NULL || tc->host_to_ctrlr || tc->send_busy) {
		nvme_tcp_recv_fatal(tq, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
				    offsetof(struct usk_nvme_tcp_data, cccid),
				    "C2HData for no read out");
		return -EPROTO;
	}
	if (h->datao != tc->c2h_next || (uint64_t)h->datao + h->datal > tc->data.len) {
		nvme_tcp_recv_fatal(tq, USK_NVME_TCP_FES_DATA_OUT_OF_RANGE, 0,
				    "C2HData out of order or out of its read's buffer");
		return -EPROTO;
	}
	n = nvme_tcp_payload_iov(&tc->data, h->datao, h->datal, tq->place_iov,
				 NVME_TCP_DATA_IOV_MAX);
	if (n < 0 || nvme_tcp_pdu_recv_set_data(&tq->recv, tq->place_iov, n) != 0) {
		nvme_tcp_qpair_fail(tq, "C2HData the command's buffer cannot take");
		return -EPROTO;
	}
	return 0;
}

/* A whole C2HData: with SUCCESS the command is done (no CapsuleResp follows). */
static int nvme_tcp_recv_c2h(struct nvme_tcp_qpair *tq, uint32_t *done)
{
	const struct usk_nvme_tcp_data *h = &tq->recv.pdu.hdr->data;
	struct nvme_tcp_cmd *tc = &tq->cmds[h->cccid];
	uint8_t flags = h->ch.flags;

	tc->c2h_next += h->datal;
	if ((flags & USK_NVME_TCP_FLAG_SUCCESS) == 0) {
		return 0;
	}
	/* SUCCESS only on the last PDU of all the data (TCP transport 3.6.2.4). */
	if ((flags & USK_NVME_TCP_FLAG_LAST_PDU) == 0 || tc->c2h_next != tc->data.len) {
		nvme_tcp_recv_fatal(tq, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
				    offsetof(struct usk_nvme_tcp_common_hdr, flags),
				    "C2HData with SUCCESS before the last of the data");
		return -EPROTO;
	}
	struct usk_nvme_cqe cpl = {.sqid = tq->base.id};

	nvme_tcp_qpair_complete(tq, h->cccid, &cpl);
	(*done)++;
	return 0;
}

static int nvme_tcp_recv_resp(struct nvme_tcp_qpair *tq, uint32_t *done)
{
	struct usk_nvme_cqe cpl = tq->recv.pdu.hdr->resp.cqe;
	struct nvme_tcp_cmd *tc = nvme_tcp_cmd_out(tq, cpl.cid);

	if (tc == NULL) {
		tq->base.stats.bogus_completions++;
		USK_ERRLOG("%s: qpair %u: completion for unknown CID %u ignored",
			   tq->base.ctrlr->name, tq->base.id, cpl.cid);
		return 0;
	}
	if (tc->send_busy) {
		/* No more of its data goes: it ends when the PDU being written is. */
		tc->h2c_end = tc->h2c_off;
		tc->cpl = cpl;
		tc->cpl_pending = true;
		return 0;
	}
	nvme_tcp_qpair_complete(tq, cpl.cid, &cpl);
	(*done)++;
	return 0;
}

static int nvme_tcp_recv_r2t(struct nvme_tcp_qpair *tq)
{
	const struct usk_nvme_tcp_r2t *r = &tq->recv.pdu.hdr->r2t;
	struct nvme_tcp_cmd *tc = nvme_tcp_cmd_out(tq, r->cccid);

	if (tc == NULL || !tc->host_to_ctrlr) {
		nvme_tcp_recv_fatal(tq, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
				    offsetof(struct usk_nvme_tcp_r2t, cccid),
				    "R2T for no write out");
		return -EPROTO;
	}
	/* One R2T at a time (MAXR2T 0), in order, within the write's data. */
	if (tc->send_busy) {
		nvme_tcp_recv_fatal(tq, USK_NVME_TCP_FES_LIMIT_EXCEEDED, 0,
				    "R2T while the write answers one (MAXR2T 0)");
		return -EPROTO;
	}
	if (r->r2tl == 0 || r->r2to != tc->r2t_next || (uint64_t)r->r2to + r->r2tl > tc->data.len) {
		nvme_tcp_recv_fatal(tq, USK_NVME_TCP_FES_DATA_OUT_OF_RANGE, 0,
				    "R2T out of order or out of its write's buffer");
		return -EPROTO;
	}
	tc->r2t_next += r->r2tl;
	if (nvme_tcp_send_h2c_start(tq, r->cccid, r->ttag, r->r2to, r->r2tl) != 0) {
		nvme_tcp_qpair_fail(tq, "the write's data cannot be sent in H2CData PDUs");
		return -EPROTO;
	}
	return 0;
}

/* The field of an ICResp the host cannot take, as an FEI (its byte offset); 0 when none. */
static uint32_t nvme_tcp_icresp_bad_field(const struct usk_nvme_tcp_icresp *ic, uint8_t asked)
{
	if (ic->pfv != USK_NVME_TCP_PFV_1_0) {
		return offsetof(struct usk_nvme_tcp_icresp, pfv);
	}
	if (ic->cpda > USK_NVME_TCP_PDA_MAX) {
		return offsetof(struct usk_nvme_tcp_icresp, cpda);
	}
	/* The TCP transport asks for dwords, at least 4 KiB. */
	if (ic->maxh2cdata < USK_NVME_TCP_MIN_MAXH2CDATA || ic->maxh2cdata % 4 != 0) {
		return offsetof(struct usk_nvme_tcp_icresp, maxh2cdata);
	}
	if ((ic->dgst & ~asked) != 0) {
		return offsetof(struct usk_nvme_tcp_icresp, dgst);
	}
	return 0;
}

/* ICResp (TCP transport 3.6.2.2): what the controller granted. */
static int nvme_tcp_recv_icresp(struct nvme_tcp_qpair *tq)
{
	const struct usk_nvme_tcp_icresp *ic = &tq->recv.pdu.hdr->icresp;
	uint32_t fei = nvme_tcp_icresp_bad_field(ic, tq->icreq.pdu.hdr.icreq.dgst);

	if (fei != 0) {
		nvme_tcp_recv_fatal(tq,
				    fei == offsetof(struct usk_nvme_tcp_icresp, pfv)
					    ? USK_NVME_TCP_FES_UNSUPPORTED_PARAMETER
					    : USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
				    fei,
				    "ICResp with a version, CPDA, MAXH2CDATA or digest the host "
				    "cannot take");
		return -EPROTO;
	}
	tq->send_dgst = (struct nvme_tcp_digests){
		.hdgst = ic->dgst & USK_NVME_TCP_DGST_HDGST_ENABLE,
		.ddgst = ic->dgst & USK_NVME_TCP_DGST_DDGST_ENABLE,
		.pda = ic->cpda,
	};
	tq->recv_dgst = tq->send_dgst;
	tq->recv_dgst.pda = tq->icreq.pdu.hdr.icreq.hpda;
	tq->maxh2cdata = ic->maxh2cdata;
	nvme_tcp_pdu_recv_set_digests(&tq->recv, &tq->recv_dgst);
	tq->state = NVME_TCP_RUNNING;
	return 0;
}

static int nvme_tcp_recv_pdu(struct nvme_tcp_qpair *tq, uint32_t *done)
{
	const union usk_nvme_tcp_pdu_hdr *hdr = tq->recv.pdu.hdr;

	switch (hdr->ch.pdu_type) {
	case USK_NVME_TCP_PDU_ICRESP:
		return nvme_tcp_recv_icresp(tq);
	case USK_NVME_TCP_PDU_CAPSULE_RESP:
		return nvme_tcp_recv_resp(tq, done);
	case USK_NVME_TCP_PDU_C2H_DATA:
		return nvme_tcp_recv_c2h(tq, done);
	case USK_NVME_TCP_PDU_R2T:
		return nvme_tcp_recv_r2t(tq);
	case USK_NVME_TCP_PDU_C2H_TERM_REQ:
		USK_ERRLOG("%s: qpair %u: the controller closes the connection: C2HTermReq, FES "
			   "0x%x (%s), FEI %u, %u bytes of our PDU's header",
			   tq->base.ctrlr->name, tq->base.id, hdr->term.fes,
			   nvme_tcp_fes_str((enum usk_nvme_tcp_fes)hdr->term.fes), hdr->term.fei,
			   tq->recv.pdu.data_len);
		nvme_tcp_qpair_fail(tq, "the controller sent C2HTermReq");
		return -ECONNRESET;
	default:
		/* The parser lets through only what a host may receive. */
		nvme_tcp_qpair_fail(tq, "a PDU a host does not take");
		return -EPROTO;
	}
}

/* A parser event: a fatal error or a wrong data digest fails the connection. */
static int nvme_tcp_recv_checked(struct nvme_tcp_qpair *tq, int ev)
{
	if (ev == -EAGAIN || tq->state == NVME_TCP_FAILED) {
		return ev;
	}
	if (ev < 0) {
		nvme_tcp_send_term_req(tq, tq->recv.fes, tq->recv.fei,
				       nvme_tcp_pdu_recv_error_hdr_len(&tq->recv),
				       "malformed PDU from the controller");
	} else if (ev == NVME_TCP_RECV_PDU_DDGST_ERROR) {
		nvme_tcp_qpair_fail(tq, "a data digest did not match the data");
		ev = -EBADMSG;
	}
	return ev;
}

/*
 * Reads from the socket into the staging buffer; but when the parser waits
 * for the rest of a C2HData's data, that goes straight into the read's
 * buffer (no copy from staging), and only what follows it into staging.
 * Returns the parser's event for the data read in place, -EAGAIN, or the
 * error that failed the connection.
 */
static int nvme_tcp_recv_read(struct nvme_tcp_qpair *tq)
{
	struct iovec iov[NVME_TCP_DATA_IOV_MAX + 1];
	int n = nvme_tcp_pdu_recv_data_iov(&tq->recv, iov, NVME_TCP_DATA_IOV_MAX);
	size_t placed = 0;
	ssize_t got;

	iov[n] = (struct iovec){.iov_base = tq->recv_buf, .iov_len = NVME_TCP_RECV_BUF};
	got = usk_sock_readv(tq->sock, iov, n + 1);
	if (got == -EAGAIN) {
		return -EAGAIN;
	}
	if (got < 0) {
		nvme_tcp_qpair_fail(tq, "the connection was lost");
		return (int)got;
	}
	for (int i = 0; i < n; i++) {
		placed += iov[i].iov_len;
	}
	placed = USK_MIN(placed, (size_t)got);
	tq->recv_off = 0;
	tq->recv_len = (uint32_t)((size_t)got - placed);
	return n == 0 ? NVME_TCP_RECV_AGAIN : nvme_tcp_pdu_recv_data_done(&tq->recv, placed);
}

/* Feeds the parser from the staging buffer, reading more when it is empty. */
static int nvme_tcp_recv_next(struct nvme_tcp_qpair *tq)
{
	size_t used;
	int ev;

	if (tq->recv_off == tq->recv_len) {
		ev = nvme_tcp_recv_read(tq);
		if (ev != NVME_TCP_RECV_AGAIN) {
			return nvme_tcp_recv_checked(tq, ev);
		}
	}
	ev = nvme_tcp_pdu_recv_feed(&tq->recv, tq->recv_buf + tq->recv_off,
				    tq->recv_len - tq->recv_off, &used);
	tq->recv_off += (uint32_t)used;
	return nvme_tcp_recv_checked(tq, ev);
}

int nvme_tcp_recv_poll(struct nvme_tcp_qpair *tq, uint32_t max)
{
	uint32_t done = 0;

	/* A callback may end the connection (usk_nvme_qpair_disconnect()): nothing more is read. */
	while ((max == 0 || done < max) && tq->state != NVME_TCP_FAILED) {
		int ev = nvme_tcp_recv_next(tq);
		int rc = 0;

		if (ev == -EAGAIN) {
			break;
		}
		if (ev < 0) {
			return ev;
		}
		if (ev == NVME_TCP_RECV_HEADER) {
			rc = nvme_tcp_recv_c2h_header(tq);
		} else if (ev == NVME_TCP_RECV_PDU) {
			rc = nvme_tcp_recv_pdu(tq, &done);
		}
		if (rc != 0) {
			return rc;
		}
	}
	return (int)done;
}
