/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP send path's framing: a header the caller filled becomes a
 * whole PDU (lengths, digest flags, digests, padding) laid out as iovecs,
 * so the data is sent from where it is, never copied.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usk/crc32c.h"
#include "usk/util.h"
#include "usk_internal/nvme_tcp_pdu.h"

/* Padding before the data is sent from here: at most (PDA_MAX + 1) dwords. */
static const uint8_t g_zero_pad[(USK_NVME_TCP_PDA_MAX + 1) * 4];

void nvme_tcp_pdu_send_init(struct nvme_tcp_pdu_send *p, enum usk_nvme_tcp_pdu_type type)
{
	const struct nvme_tcp_pdu_rule *rule = nvme_tcp_pdu_rule((uint8_t)type);

	memset(p, 0, sizeof(*p));
	p->hdr.ch.pdu_type = (uint8_t)type;
	p->hdr.ch.hlen = rule != NULL ? rule->hlen : 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Whether @data_len bytes of data suit a PDU of @rule's layout. */
static bool build_data_fits(const struct nvme_tcp_pdu_rule *rule, uint64_t data_len)
{
	switch (rule->layout) {
	case NVME_TCP_LAYOUT_IC:
	case NVME_TCP_LAYOUT_NO_DATA:
		return data_len == 0;
	case NVME_TCP_LAYOUT_TERM:
		return data_len <= USK_NVME_TCP_TERM_DATA_MAX;
	case NVME_TCP_LAYOUT_DATA_MUST:
		return data_len > 0 && data_len <= UINT32_MAX - 256;
	default:
		return data_len <= UINT32_MAX - 256;
	}
}

/*
 * The first multiple of @align at or after @header: where the data starts.
 * The alignment, (PDA + 1) dwords, need not be a power of two (PDA 2 asks
 * for 12 bytes): those take a division, the usual ones (PDA 0, 1, 3, 7...)
 * a mask.
 */
static uint32_t nvme_tcp_pdo(uint32_t header, uint32_t align)
{
	return usk_u64_is_pow2(align) ? (uint32_t)usk_align_up(header, align)
				      : (header + align - 1) / align * align;
}

/* FLAGS' digest bits, PDO and PLEN (and DATAL) for @data_len bytes of data. */
static void build_lengths(struct nvme_tcp_pdu_send *p, const struct nvme_tcp_pdu_rule *rule,
			  const struct nvme_tcp_digests *d, uint32_t data_len)
{
	struct usk_nvme_tcp_common_hdr *ch = &p->hdr.ch;
	bool digests = rule->layout != NVME_TCP_LAYOUT_IC && rule->layout != NVME_TCP_LAYOUT_TERM;
	uint32_t hd = digests && d->hdgst ? USK_NVME_TCP_DIGEST_LEN : 0;
	uint32_t dd = digests && d->ddgst && data_len > 0 ? USK_NVME_TCP_DIGEST_LEN : 0;

	ch->hlen = rule->hlen;
	ch->flags &= (uint8_t) ~(USK_NVME_TCP_FLAG_HDGSTF | USK_NVME_TCP_FLAG_DDGSTF);
	ch->flags |= (hd ? USK_NVME_TCP_FLAG_HDGSTF : 0) | (dd ? USK_NVME_TCP_FLAG_DDGSTF : 0);
	if (rule->layout == NVME_TCP_LAYOUT_TERM || data_len == 0) {
		/* A TermReq's data follows its header at once; its PDO is unused. */
		ch->pdo = 0;
		ch->plen = rule->hlen + hd + data_len;
	} else {
		ch->pdo = (uint8_t)nvme_tcp_pdo(rule->hlen + hd, (d->pda + 1u) * 4u);
		ch->plen = ch->pdo + data_len + dd;
	}
	if (rule->layout == NVME_TCP_LAYOUT_DATA_MUST) {
		p->hdr.data.datal = data_len;
	}
}

int nvme_tcp_pdu_build(struct nvme_tcp_pdu_send *p, const struct nvme_tcp_digests *d,
		       const struct iovec *data, int data_iovcnt, struct iovec *out, int out_max)
{
	const struct nvme_tcp_pdu_rule *rule = nvme_tcp_pdu_rule(p->hdr.ch.pdu_type);
	struct usk_nvme_tcp_common_hdr *ch = &p->hdr.ch;
	uint64_t data_len = 0;
	uint32_t hd, pad;
	int n = 0;

	if (rule == NULL || d->pda > USK_NVME_TCP_PDA_MAX) {
		return -EINVAL;
	}
	for (int i = 0; i < data_iovcnt; i++) {
		data_len += data[i].iov_len;
	}
	if (!build_data_fits(rule, data_len)) {
		return -EINVAL;
	}
	if (out_max < data_iovcnt + NVME_TCP_PDU_BUILD_EXTRA_IOVS) {
		return -ENOBUFS;
	}
	build_lengths(p, rule, d, (uint32_t)data_len);
	hd = ch->flags & USK_NVME_TCP_FLAG_HDGSTF ? USK_NVME_TCP_DIGEST_LEN : 0;
	out[n++] = (struct iovec){.iov_base = &p->hdr, .iov_len = ch->hlen};
	if (hd != 0) {
		put_le32(p->hdgst, usk_crc32c_update(0, &p->hdr, ch->hlen));
		out[n++] = (struct iovec){.iov_base = p->hdgst, .iov_len = USK_NVME_TCP_DIGEST_LEN};
	}
	pad = ch->pdo != 0 ? ch->pdo - ch->hlen - hd : 0;
	if (pad != 0) {
		out[n++] =
			(struct iovec){.iov_base = (void *)(uintptr_t)g_zero_pad, .iov_len = pad};
	}
	for (int i = 0; i < data_iovcnt; i++) {
		if (data[i].iov_len != 0) {
			out[n++] = data[i];
		}
	}
	if (ch->flags & USK_NVME_TCP_FLAG_DDGSTF) {
		put_le32(p->ddgst, usk_crc32c_update_iov(0, data, data_iovcnt));
		out[n++] = (struct iovec){.iov_base = p->ddgst, .iov_len = USK_NVME_TCP_DIGEST_LEN};
	}
	return n;
}
