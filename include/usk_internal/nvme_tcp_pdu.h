/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP PDUs off and onto the wire, for the initiator (lib/nvme) and
 * the target (lib/nvmf) alike.
 *
 * Receiving: a nvme_tcp_pdu_recv takes the connection's bytes in chunks of
 * any size (nvme_tcp_pdu_recv_feed) and hands back whole PDUs, each checked
 * against the TCP transport specification and the connection's negotiated
 * parameters before any of its length fields is used. A PDU that breaks
 * the rules stops the receiver with the Fatal Error Status (and
 * information) the spec names for the TermReq the caller then sends.
 * Nothing is allocated: the header lives in the receiver, data goes into
 * the buffer given at init or into the caller's iovecs for that PDU.
 *
 * Sending: nvme_tcp_pdu_build fills a header's common fields and digests
 * and lays the PDU out as an iovec array for writev/sendmsg.
 *
 * Thread rules: a receiver or a send PDU belongs to one thread (the
 * connection's); nothing here locks.
 */
#ifndef USK_INTERNAL_NVME_TCP_PDU_H
#define USK_INTERNAL_NVME_TCP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "usk/nvme_tcp.h"

/* Which end of the connection receives: it decides which PDU types may arrive. */
enum nvme_tcp_role {
	/* Receives ICResp, C2HTermReq, CapsuleResp, C2HData, R2T. */
	NVME_TCP_ROLE_HOST,
	/* Receives ICReq, H2CTermReq, CapsuleCmd, H2CData. */
	NVME_TCP_ROLE_CTRLR,
};

/* What ICReq/ICResp settled, seen from the end that receives. */
struct nvme_tcp_digests {
	bool hdgst;  /* every PDU but IC and TermReq carries a header digest */
	bool ddgst;  /* every PDU with data carries a data digest */
	uint8_t pda; /* the receiver's data alignment: (pda + 1) dwords, 0..31 */
};

/* What nvme_tcp_pdu_recv_feed reports. Fatal errors are -EPROTO. */
enum nvme_tcp_recv_event {
	/* Every byte given was taken; no PDU is complete yet. */
	NVME_TCP_RECV_AGAIN = 0,
	/*
	 * The header of a PDU with data (CapsuleCmd with in-capsule data,
	 * H2CData, C2HData) arrived and passed every check: pdu.hdr and
	 * pdu.data_len are valid. The caller may now direct the data with
	 * nvme_tcp_pdu_recv_set_data(); if it does not, the data goes to the
	 * receiver's own buffer.
	 */
	NVME_TCP_RECV_HEADER,
	/* A whole PDU, valid: pdu describes it until the next feed. */
	NVME_TCP_RECV_PDU,
	/*
	 * A whole PDU, framed correctly, whose data digest is wrong: not fatal
	 * to the connection; the command it belongs to fails with a transport
	 * error.
	 */
	NVME_TCP_RECV_PDU_DDGST_ERROR,
};

/* A received PDU, as nvme_tcp_pdu_recv_feed describes it. */
struct nvme_tcp_pdu {
	/* The PDU header, hlen bytes valid (the type's fixed length). */
	const union usk_nvme_tcp_pdu_hdr *hdr;
	/* The data section: in the receiver's buffer unless redirected; NULL without data. */
	const uint8_t *data;
	uint32_t data_len;
};

/* How a PDU type lays out what follows its header. */
enum nvme_tcp_pdu_layout {
	NVME_TCP_LAYOUT_IC,	   /* ICReq, ICResp: 128 bytes, never a digest */
	NVME_TCP_LAYOUT_TERM,	   /* TermReq: data right after the header, never a digest */
	NVME_TCP_LAYOUT_NO_DATA,   /* CapsuleResp, R2T: header and header digest */
	NVME_TCP_LAYOUT_DATA_OPT,  /* CapsuleCmd: data at pdo when pdo is not 0 */
	NVME_TCP_LAYOUT_DATA_MUST, /* H2CData, C2HData: data at pdo, always */
};

/* The fixed rules of one PDU type, from its definition in the spec. */
struct nvme_tcp_pdu_rule {
	uint8_t hlen;
	uint8_t receivers; /* bit (1 << enum nvme_tcp_role) for each end that may receive it */
	enum nvme_tcp_pdu_layout layout;
};

/* @return the rules of PDU type @type, or NULL for a type the spec does not define. */
const struct nvme_tcp_pdu_rule *nvme_tcp_pdu_rule(uint8_t type);

enum nvme_tcp_recv_state {
	NVME_TCP_RECV_CH,     /* the 8-byte common header */
	NVME_TCP_RECV_PSH,    /* the rest of the header */
	NVME_TCP_RECV_HDGST,  /* the header digest */
	NVME_TCP_RECV_PAD,    /* padding up to pdo */
	NVME_TCP_RECV_DATA,   /* the data section */
	NVME_TCP_RECV_DDGST,  /* the data digest */
	NVME_TCP_RECV_DONE,   /* a PDU was handed over; the next feed starts another */
	NVME_TCP_RECV_FAILED, /* a fatal error: nothing more is read */
};

struct nvme_tcp_pdu_recv {
	enum nvme_tcp_role role;
	struct nvme_tcp_digests dgst;
	/* The largest data section accepted; also the size of data_buf. */
	uint32_t max_data;
	uint8_t *data_buf;
	bool ic_done;

	enum nvme_tcp_recv_state state;
	/* Bytes still wanted in this state, and bytes taken in it so far. */
	uint32_t need;
	uint32_t got;
	/* The PDU under way: its header, the layout its fields gave, its digests. */
	union usk_nvme_tcp_pdu_hdr hdr;
	const struct nvme_tcp_pdu_rule *rule;
	bool has_hdgst;
	bool has_ddgst;
	uint32_t pad_len;
	uint32_t data_len;
	uint8_t hdgst_wire[USK_NVME_TCP_DIGEST_LEN];
	uint8_t ddgst_wire[USK_NVME_TCP_DIGEST_LEN];
	uint32_t ddgst; /* CRC32C of the data so far */
	/* A TermReq's data: the start of the header the peer refused. */
	uint8_t term_data[USK_NVME_TCP_TERM_DATA_MAX];
	/* Where the data goes: the caller's iovecs, or own_iov (data_buf or term_data). */
	const struct iovec *iov;
	int iovcnt;
	int iov_idx;
	size_t iov_off;
	struct iovec own_iov;
	bool placeable; /* a header event was returned and no data byte taken yet */

	struct nvme_tcp_pdu pdu;
	/* The fatal error, once state is NVME_TCP_RECV_FAILED. */
	enum usk_nvme_tcp_fes fes;
	uint32_t fei;
	uint32_t err_hdr_len;
};

/*
 * Set up a receiver for a new connection, before ICReq/ICResp: no digests.
 * @data_buf holds @max_data bytes: a PDU whose data section is longer is a
 * fatal error. Returns 0, or -EINVAL for a NULL @data_buf with a non-zero
 * @max_data.
 */
int nvme_tcp_pdu_recv_init(struct nvme_tcp_pdu_recv *r, enum nvme_tcp_role role, uint8_t *data_buf,
			   uint32_t max_data);

/*
 * Apply what ICReq/ICResp settled, for the PDUs after the IC PDU (call it
 * when feed has returned that PDU, before feeding the next bytes).
 * Returns 0, or -EINVAL for a pda above USK_NVME_TCP_PDA_MAX.
 */
int nvme_tcp_pdu_recv_set_digests(struct nvme_tcp_pdu_recv *r, const struct nvme_tcp_digests *d);

/*
 * Take bytes from the connection: up to one PDU's worth of @buf's @len,
 * stopping after a header (NVME_TCP_RECV_HEADER) or a whole PDU.
 * *@used says how many were taken; the rest go into the next call.
 * Returns an enum nvme_tcp_recv_event, or -EPROTO when the peer broke
 * the protocol: r->fes and r->fei say how (the TermReq to send), and every
 * later call returns -EPROTO too.
 */
int nvme_tcp_pdu_recv_feed(struct nvme_tcp_pdu_recv *r, const void *buf, size_t len, size_t *used);

/*
 * Direct the data of the PDU whose header feed just returned
 * (NVME_TCP_RECV_HEADER) into @iov: its @iovcnt elements must hold
 * pdu.data_len bytes and stay valid until the PDU is complete. pdu.data
 * is then NULL. Returns 0, -EINVAL when they hold less, or -EBUSY when no
 * header is waiting for its data.
 */
int nvme_tcp_pdu_recv_set_data(struct nvme_tcp_pdu_recv *r, const struct iovec *iov, int iovcnt);

/*
 * Reading data straight from the socket into its place, with no staging
 * copy: while the receiver is inside the data section of a PDU the caller
 * directed (nvme_tcp_pdu_recv_set_data), nvme_tcp_pdu_recv_data_iov gives
 * the iovecs that take the rest of that data section, at most @max of
 * them, for a readv; 0 when no placed data is awaited (nothing staged may
 * be waiting either: the caller feeds what it holds first). After the
 * read, nvme_tcp_pdu_recv_data_done accounts @n bytes of them (at most
 * the section's rest), its data digest included, and returns what
 * nvme_tcp_pdu_recv_feed would have for those bytes.
 */
int nvme_tcp_pdu_recv_data_iov(const struct nvme_tcp_pdu_recv *r, struct iovec *out, int max);
int nvme_tcp_pdu_recv_data_done(struct nvme_tcp_pdu_recv *r, size_t n);

/* A Fatal Error Status in words, for logs ("header digest error"); never NULL. */
const char *nvme_tcp_fes_str(enum usk_nvme_tcp_fes fes);

/* Bytes of the failed PDU's header received (for the TermReq's data, at most 128). */
uint32_t nvme_tcp_pdu_recv_error_hdr_len(const struct nvme_tcp_pdu_recv *r);

/* A PDU to send: its header, and room for the digests the builder computes. */
struct nvme_tcp_pdu_send {
	union usk_nvme_tcp_pdu_hdr hdr;
	uint8_t hdgst[USK_NVME_TCP_DIGEST_LEN];
	uint8_t ddgst[USK_NVME_TCP_DIGEST_LEN];
};

/* The most iovec elements nvme_tcp_pdu_build adds besides the data's. */
#define NVME_TCP_PDU_BUILD_EXTRA_IOVS 4

/*
 * Start a PDU of @type: the header zeroed, PDU-Type and HLEN set. The
 * caller fills the type's own fields, then calls nvme_tcp_pdu_build.
 */
void nvme_tcp_pdu_send_init(struct nvme_tcp_pdu_send *p, enum usk_nvme_tcp_pdu_type type);

/*
 * Finish a PDU and lay it out for sending: FLAGS' digest bits (kept: the
 * other bits the caller set), PDO, PLEN, DATAL of a data PDU, the header
 * digest and the data digest over @data, padding before the data to the
 * peer's alignment. @d is what the receiving end negotiated (its pda);
 * IC and TermReq PDUs never carry digests. @out gets the header, header
 * digest, padding, @data's elements and the data digest.
 * Returns the number of elements written to @out, -EINVAL when the type
 * takes no data but @data has some (or a TermReq's is over 128 bytes, or
 * the total over 4 GiB), -ENOBUFS when @out_max is too small.
 */
int nvme_tcp_pdu_build(struct nvme_tcp_pdu_send *p, const struct nvme_tcp_digests *d,
		       const struct iovec *data, int data_iovcnt, struct iovec *out, int out_max);

#endif /* USK_INTERNAL_NVME_TCP_PDU_H */
