/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP receive path's framing: bytes in, checked PDUs out. One
 * small handler per state; each length field is checked against the type's
 * rules and the connection's limits before it decides how many bytes the
 * next state takes, so a hostile peer can only make the receiver wait or
 * fail, never read or write past its buffers.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usk/crc32c.h"
#include "usk/util.h"
#include "usk_internal/nvme_tcp_pdu.h"

#define TO_HOST	 (1u << NVME_TCP_ROLE_HOST)
#define TO_CTRLR (1u << NVME_TCP_ROLE_CTRLR)

static const struct nvme_tcp_pdu_rule g_rules[] = {
	[USK_NVME_TCP_PDU_ICREQ] = {128, TO_CTRLR, NVME_TCP_LAYOUT_IC},
	[USK_NVME_TCP_PDU_ICRESP] = {128, TO_HOST, NVME_TCP_LAYOUT_IC},
	[USK_NVME_TCP_PDU_H2C_TERM_REQ] = {24, TO_CTRLR, NVME_TCP_LAYOUT_TERM},
	[USK_NVME_TCP_PDU_C2H_TERM_REQ] = {24, TO_HOST, NVME_TCP_LAYOUT_TERM},
	[USK_NVME_TCP_PDU_CAPSULE_CMD] = {72, TO_CTRLR, NVME_TCP_LAYOUT_DATA_OPT},
	[USK_NVME_TCP_PDU_CAPSULE_RESP] = {24, TO_HOST, NVME_TCP_LAYOUT_NO_DATA},
	[USK_NVME_TCP_PDU_H2C_DATA] = {24, TO_CTRLR, NVME_TCP_LAYOUT_DATA_MUST},
	[USK_NVME_TCP_PDU_C2H_DATA] = {24, TO_HOST, NVME_TCP_LAYOUT_DATA_MUST},
	[USK_NVME_TCP_PDU_R2T] = {24, TO_HOST, NVME_TCP_LAYOUT_NO_DATA},
};

/* Byte offsets a fatal error names (FEI of Invalid PDU Header Field). */
#define FEI_TYPE  offsetof(struct usk_nvme_tcp_common_hdr, pdu_type)
#define FEI_FLAGS offsetof(struct usk_nvme_tcp_common_hdr, flags)
#define FEI_HLEN  offsetof(struct usk_nvme_tcp_common_hdr, hlen)
#define FEI_PDO	  offsetof(struct usk_nvme_tcp_common_hdr, pdo)
#define FEI_PLEN  offsetof(struct usk_nvme_tcp_common_hdr, plen)
#define FEI_DATAL offsetof(struct usk_nvme_tcp_data, datal)

const struct nvme_tcp_pdu_rule *nvme_tcp_pdu_rule(uint8_t type)
{
	if (type >= USK_COUNTOF(g_rules) || g_rules[type].hlen == 0) {
		return NULL;
	}
	return &g_rules[type];
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int recv_fail(struct nvme_tcp_pdu_recv *r, enum usk_nvme_tcp_fes fes, uint32_t fei)
{
	/* Before the common header is checked, hlen is not trusted: only 8 bytes are known. */
	r->err_hdr_len = r->state == NVME_TCP_RECV_CH ? sizeof(r->hdr.ch) : r->hdr.ch.hlen;
	r->state = NVME_TCP_RECV_FAILED;
	r->fes = fes;
	r->fei = fei;
	return -EPROTO;
}

static void recv_enter(struct nvme_tcp_pdu_recv *r, enum nvme_tcp_recv_state state, uint32_t need)
{
	r->state = state;
	r->need = need;
	r->got = 0;
}

int nvme_tcp_pdu_recv_init(struct nvme_tcp_pdu_recv *r, enum nvme_tcp_role role, uint8_t *data_buf,
			   uint32_t max_data)
{
	if (data_buf == NULL && max_data != 0) {
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	r->role = role;
	r->data_buf = data_buf;
	r->max_data = max_data;
	recv_enter(r, NVME_TCP_RECV_CH, sizeof(r->hdr.ch));
	return 0;
}

int nvme_tcp_pdu_recv_set_digests(struct nvme_tcp_pdu_recv *r, const struct nvme_tcp_digests *d)
{
	if (d->pda > USK_NVME_TCP_PDA_MAX) {
		return -EINVAL;
	}
	r->dgst = *d;
	return 0;
}

const char *nvme_tcp_fes_str(enum usk_nvme_tcp_fes fes)
{
	switch (fes) {
	case USK_NVME_TCP_FES_INVALID_HEADER_FIELD:
		return "invalid PDU header field";
	case USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR:
		return "PDU sequence error";
	case USK_NVME_TCP_FES_HDGST_ERROR:
		return "header digest error";
	case USK_NVME_TCP_FES_DATA_OUT_OF_RANGE:
		return "data out of range";
	case USK_NVME_TCP_FES_LIMIT_EXCEEDED:
		/* 05h: Data Transfer Limit Exceeded in a C2HTermReq, R2T Limit Exceeded in an H2C
		 * one. */
		return "data transfer or R2T limit exceeded";
	case USK_NVME_TCP_FES_UNSUPPORTED_PARAMETER:
		return "unsupported parameter";
	default:
		return "unknown status";
	}
}

uint32_t nvme_tcp_pdu_recv_error_hdr_len(const struct nvme_tcp_pdu_recv *r)
{
	return r->state == NVME_TCP_RECV_FAILED ? r->err_hdr_len : 0;
}

/* ICReq/ICResp come first and once; a TermReq may come at any time. */
static int recv_check_sequence(struct nvme_tcp_pdu_recv *r)
{
	enum nvme_tcp_pdu_layout layout = r->rule->layout;

	if (layout == NVME_TCP_LAYOUT_IC ? r->ic_done
					 : !r->ic_done && layout != NVME_TCP_LAYOUT_TERM) {
		return recv_fail(r, USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	}
	return 0;
}

/* The layout of a PDU that may carry digests: both flags must say what was negotiated. */
static int recv_check_digest_layout(struct nvme_tcp_pdu_recv *r)
{
	const struct usk_nvme_tcp_common_hdr *ch = &r->hdr.ch;
	uint32_t hd, dd;

	r->has_hdgst = (ch->flags & USK_NVME_TCP_FLAG_HDGSTF) != 0;
	r->has_ddgst = (ch->flags & USK_NVME_TCP_FLAG_DDGSTF) != 0;
	hd = r->has_hdgst ? USK_NVME_TCP_DIGEST_LEN : 0;
	if (r->has_hdgst != r->dgst.hdgst) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS);
	}
	if (r->rule->layout == NVME_TCP_LAYOUT_NO_DATA || ch->pdo == 0) {
		if (r->rule->layout == NVME_TCP_LAYOUT_DATA_MUST) {
			return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PDO);
		}
		if (r->has_ddgst) {
			return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS);
		}
		if (ch->plen != ch->hlen + hd) {
			return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN);
		}
		r->data_len = 0;
		return 0;
	}
	if (ch->pdo < ch->hlen + hd ||
	    (r->dgst.pda != 0 && ch->pdo % ((r->dgst.pda + 1u) * 4u) != 0)) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PDO);
	}
	if (r->has_ddgst != r->dgst.ddgst) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS);
	}
	dd = r->has_ddgst ? USK_NVME_TCP_DIGEST_LEN : 0;
	/* pdo + dd is at most 259: no overflow, and at least one data byte. */
	if (ch->plen <= ch->pdo + dd) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN);
	}
	r->data_len = ch->plen - ch->pdo - dd;
	r->pad_len = ch->pdo - ch->hlen - hd;
	if (r->data_len > r->max_data) {
		/* C2HTermReq: Data Transfer Limit Exceeded; an H2CTermReq has no such code. */
		return r->role == NVME_TCP_ROLE_CTRLR
			       ? recv_fail(r, USK_NVME_TCP_FES_LIMIT_EXCEEDED, 0)
			       : recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN);
	}
	return 0;
}

/* The common header is in: everything it says is checked before it is used. */
static int recv_on_ch(struct nvme_tcp_pdu_recv *r)
{
	const struct usk_nvme_tcp_common_hdr *ch = &r->hdr.ch;
	int rc;

	r->rule = nvme_tcp_pdu_rule(ch->pdu_type);
	if (r->rule == NULL || (r->rule->receivers & (1u << r->role)) == 0) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_TYPE);
	}
	rc = recv_check_sequence(r);
	if (rc != 0) {
		return rc;
	}
	if (ch->hlen != r->rule->hlen) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_HLEN);
	}
	if (ch->pdu_type == USK_NVME_TCP_PDU_C2H_DATA && (ch->flags & USK_NVME_TCP_FLAG_SUCCESS) &&
	    !(ch->flags & USK_NVME_TCP_FLAG_LAST_PDU)) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS);
	}
	r->has_hdgst = r->has_ddgst = false;
	r->pad_len = 0;
	switch (r->rule->layout) {
	case NVME_TCP_LAYOUT_IC:
		if (ch->plen != ch->hlen) {
			return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN);
		}
		r->data_len = 0;
		break;
	case NVME_TCP_LAYOUT_TERM:
		if (ch->plen < ch->hlen || ch->plen - ch->hlen > USK_NVME_TCP_TERM_DATA_MAX) {
			return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN);
		}
		r->data_len = ch->plen - ch->hlen;
		break;
	default:
		rc = recv_check_digest_layout(r);
		if (rc != 0) {
			return rc;
		}
	}
	recv_enter(r, NVME_TCP_RECV_PSH, ch->hlen - (uint32_t)sizeof(*ch));
	return NVME_TCP_RECV_AGAIN;
}

/* The PDU has been handed over whole. */
static int recv_finish(struct nvme_tcp_pdu_recv *r, int event)
{
	if (r->rule->layout == NVME_TCP_LAYOUT_IC) {
		r->ic_done = true;
	}
	r->pdu.hdr = &r->hdr;
	r->placeable = false;
	recv_enter(r, NVME_TCP_RECV_DONE, 0);
	return event;
}

/* Header checked: the data's place is set, and the caller hears of it when it may move it. */
static int recv_start_data(struct nvme_tcp_pdu_recv *r)
{
	bool term = r->rule->layout == NVME_TCP_LAYOUT_TERM;

	r->own_iov.iov_base = term ? r->term_data : r->data_buf;
	r->own_iov.iov_len = r->data_len;
	r->iov = &r->own_iov;
	r->iovcnt = 1;
	r->iov_idx = 0;
	r->iov_off = 0;
	r->ddgst = 0;
	r->pdu.hdr = &r->hdr;
	r->pdu.data = r->own_iov.iov_base;
	r->pdu.data_len = r->data_len;
	if (r->pad_len != 0) {
		recv_enter(r, NVME_TCP_RECV_PAD, r->pad_len);
	} else {
		recv_enter(r, NVME_TCP_RECV_DATA, r->data_len);
	}
	if (term) {
		return NVME_TCP_RECV_AGAIN;
	}
	r->placeable = true;
	return NVME_TCP_RECV_HEADER;
}

/* The whole header (and its digest) is in. */
static int recv_on_header(struct nvme_tcp_pdu_recv *r)
{
	const struct usk_nvme_tcp_common_hdr *ch = &r->hdr.ch;

	if (r->has_hdgst && usk_crc32c_update(0, r->hdr.raw, ch->hlen) != le32_at(r->hdgst_wire)) {
		return recv_fail(r, USK_NVME_TCP_FES_HDGST_ERROR, 0);
	}
	if (r->rule->layout == NVME_TCP_LAYOUT_DATA_MUST && r->hdr.data.datal != r->data_len) {
		return recv_fail(r, USK_NVME_TCP_FES_INVALID_HEADER_FIELD, FEI_DATAL);
	}
	if (r->data_len == 0) {
		r->pdu.data = NULL;
		r->pdu.data_len = 0;
		return recv_finish(r, NVME_TCP_RECV_PDU);
	}
	return recv_start_data(r);
}

static int recv_on_psh(struct nvme_tcp_pdu_recv *r)
{
	if (r->has_hdgst) {
		recv_enter(r, NVME_TCP_RECV_HDGST, USK_NVME_TCP_DIGEST_LEN);
		return NVME_TCP_RECV_AGAIN;
	}
	return recv_on_header(r);
}

static int recv_on_data(struct nvme_tcp_pdu_recv *r)
{
	if (r->has_ddgst) {
		recv_enter(r, NVME_TCP_RECV_DDGST, USK_NVME_TCP_DIGEST_LEN);
		return NVME_TCP_RECV_AGAIN;
	}
	return recv_finish(r, NVME_TCP_RECV_PDU);
}

static int recv_on_ddgst(struct nvme_tcp_pdu_recv *r)
{
	bool ok = r->ddgst == le32_at(r->ddgst_wire);

	return recv_finish(r, ok ? NVME_TCP_RECV_PDU : NVME_TCP_RECV_PDU_DDGST_ERROR);
}

/* Data bytes into the iovecs; set_data made sure they hold data_len, need never passes it. */
static void recv_copy_data(struct nvme_tcp_pdu_recv *r, const uint8_t *src, uint32_t n)
{
	if (r->has_ddgst) {
		r->ddgst = usk_crc32c_update(r->ddgst, src, n);
	}
	r->placeable = false;
	while (n > 0 && r->iov_idx < r->iovcnt) {
		const struct iovec *v = &r->iov[r->iov_idx];
		size_t k = USK_MIN(v->iov_len - r->iov_off, n);

		memcpy((uint8_t *)v->iov_base + r->iov_off, src, k);
		src += k;
		n -= (uint32_t)k;
		r->iov_off += k;
		if (r->iov_off == v->iov_len) {
			r->iov_idx++;
			r->iov_off = 0;
		}
	}
}

/* Takes up to @n bytes into the current state; returns how many. */
static uint32_t recv_take(struct nvme_tcp_pdu_recv *r, const uint8_t *src, size_t n)
{
	uint32_t k = (uint32_t)USK_MIN(n, r->need);

	switch (r->state) {
	case NVME_TCP_RECV_CH:
	case NVME_TCP_RECV_PSH:
		/* PSH continues where CH stopped: the header is one buffer of hlen <= 128 bytes. */
		memcpy(r->hdr.raw + (r->state == NVME_TCP_RECV_PSH ? sizeof(r->hdr.ch) : 0) +
			       r->got,
		       src, k);
		break;
	case NVME_TCP_RECV_HDGST:
		memcpy(r->hdgst_wire + r->got, src, k);
		break;
	case NVME_TCP_RECV_DATA:
		recv_copy_data(r, src, k);
		break;
	case NVME_TCP_RECV_DDGST:
		memcpy(r->ddgst_wire + r->got, src, k);
		break;
	default: /* PAD: padding is skipped, not kept. */
		break;
	}
	r->got += k;
	r->need -= k;
	return k;
}

/* The current state has all its bytes: check them and move on. */
static int recv_advance(struct nvme_tcp_pdu_recv *r)
{
	switch (r->state) {
	case NVME_TCP_RECV_CH:
		return recv_on_ch(r);
	case NVME_TCP_RECV_PSH:
		return recv_on_psh(r);
	case NVME_TCP_RECV_HDGST:
		return recv_on_header(r);
	case NVME_TCP_RECV_PAD:
		recv_enter(r, NVME_TCP_RECV_DATA, r->data_len);
		return NVME_TCP_RECV_AGAIN;
	case NVME_TCP_RECV_DATA:
		return recv_on_data(r);
	default:
		return recv_on_ddgst(r);
	}
}

int nvme_tcp_pdu_recv_feed(struct nvme_tcp_pdu_recv *r, const void *buf, size_t len, size_t *used)
{
	const uint8_t *src = buf;
	size_t pos = 0;
	int rc = NVME_TCP_RECV_AGAIN;

	*used = 0;
	if (r->state == NVME_TCP_RECV_FAILED) {
		return -EPROTO;
	}
	if (r->state == NVME_TCP_RECV_DONE) {
		memset(&r->pdu, 0, sizeof(r->pdu));
		recv_enter(r, NVME_TCP_RECV_CH, sizeof(r->hdr.ch));
	}
	while (rc == NVME_TCP_RECV_AGAIN) {
		/* A state may need no bytes (an empty PSH never happens: hlen >= 24). */
		if (r->need > 0) {
			if (pos == len) {
				break;
			}
			pos += recv_take(r, src + pos, len - pos);
			if (r->need > 0) {
				break;
			}
		}
		rc = recv_advance(r);
	}
	*used = pos;
	return rc;
}

int nvme_tcp_pdu_recv_set_data(struct nvme_tcp_pdu_recv *r, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	if (!r->placeable) {
		return -EBUSY;
	}
	for (int i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
	}
	if (total < r->data_len) {
		return -EINVAL;
	}
	r->iov = iov;
	r->iovcnt = iovcnt;
	r->iov_idx = 0;
	r->iov_off = 0;
	r->pdu.data = NULL;
	return 0;
}

int nvme_tcp_pdu_recv_data_iov(const struct nvme_tcp_pdu_recv *r, struct iovec *out, int max)
{
	size_t left = r->need;
	int n = 0;

	/* Placed data only: the receiver's own buffer is staging already. */
	if (r->state != NVME_TCP_RECV_DATA || r->iov == &r->own_iov) {
		return 0;
	}
	for (int i = r->iov_idx; i < r->iovcnt && n < max && left > 0; i++) {
		size_t skip = i == r->iov_idx ? r->iov_off : 0;

		out[n].iov_base = (uint8_t *)r->iov[i].iov_base + skip;
		out[n].iov_len = USK_MIN(r->iov[i].iov_len - skip, left);
		left -= out[n].iov_len;
		n++;
	}
	return n;
}

int nvme_tcp_pdu_recv_data_done(struct nvme_tcp_pdu_recv *r, size_t n)
{
	uint32_t k = (uint32_t)USK_MIN(n, (size_t)r->need);

	if (r->state != NVME_TCP_RECV_DATA) {
		return k == 0 ? NVME_TCP_RECV_AGAIN : -EINVAL;
	}
	r->placeable = false;
	r->got += k;
	r->need -= k;
	while (k > 0) {
		const struct iovec *v = &r->iov[r->iov_idx];
		size_t step = USK_MIN(v->iov_len - r->iov_off, (size_t)k);

		if (r->has_ddgst) {
			r->ddgst = usk_crc32c_update(r->ddgst, (uint8_t *)v->iov_base + r->iov_off,
						     step);
		}
		k -= (uint32_t)step;
		r->iov_off += step;
		if (r->iov_off == v->iov_len) {
			r->iov_idx++;
			r->iov_off = 0;
		}
	}
	return r->need == 0 ? recv_advance(r) : NVME_TCP_RECV_AGAIN;
}
