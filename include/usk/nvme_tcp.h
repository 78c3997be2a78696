/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NVMe/TCP PDUs as they are on the wire, from the NVM Express TCP Transport
 * Specification 1.0, each named as the spec names its PDU. Multi-byte
 * fields are little endian on the wire; USK runs on little-endian CPUs only
 * (x86-64, arm64), so the structures are read in place. Every structure's size and
 * the offsets that matter are checked at compile time.
 *
 * A PDU is: the PDU header (hlen bytes, starting with the common header),
 * the header digest (4 bytes, when HDGSTF is set), padding up to pdo, the
 * data (when pdo is not 0), the data digest (4 bytes, when DDGSTF is set);
 * plen counts all of it.
 */
#ifndef USK_NVME_TCP_H
#define USK_NVME_TCP_H

#include <stdint.h>

#include "usk/nvme_spec.h"
#include "usk/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

USK_STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		  "PDUs are read in place: little endian");

/** The port of a discovery controller reached over TCP. */
#define USK_NVME_TCP_DISCOVERY_PORT 8009
/** Bytes of a header or data digest: a CRC32C, little endian. */
#define USK_NVME_TCP_DIGEST_LEN 4
/** The PDU format version of ICReq and ICResp: 1.0. */
#define USK_NVME_TCP_PFV_1_0 0
/** HPDA and CPDA's largest value: data aligned to (PDA + 1) dwords, up to 128 bytes. */
#define USK_NVME_TCP_PDA_MAX 31
/** MAXH2CDATA's smallest allowed value. */
#define USK_NVME_TCP_MIN_MAXH2CDATA 4096
/** The most bytes of the offending PDU's header a TermReq carries as its data. */
#define USK_NVME_TCP_TERM_DATA_MAX 128

/** PDU-Type, byte 0 of every PDU. */
enum usk_nvme_tcp_pdu_type {
	USK_NVME_TCP_PDU_ICREQ = 0x00,
	USK_NVME_TCP_PDU_ICRESP = 0x01,
	USK_NVME_TCP_PDU_H2C_TERM_REQ = 0x02,
	USK_NVME_TCP_PDU_C2H_TERM_REQ = 0x03,
	USK_NVME_TCP_PDU_CAPSULE_CMD = 0x04,
	USK_NVME_TCP_PDU_CAPSULE_RESP = 0x05,
	USK_NVME_TCP_PDU_H2C_DATA = 0x06,
	USK_NVME_TCP_PDU_C2H_DATA = 0x07,
	/* 0x08 is reserved. */
	USK_NVME_TCP_PDU_R2T = 0x09,
};

/* FLAGS, byte 1. */
/** A header digest follows the PDU header. */
#define USK_NVME_TCP_FLAG_HDGSTF 0x01u
/** A data digest follows the data. */
#define USK_NVME_TCP_FLAG_DDGSTF 0x02u
/** H2CData, C2HData: the last data PDU of the command (or of the R2T). */
#define USK_NVME_TCP_FLAG_LAST_PDU 0x04u
/** C2HData only: the command succeeded; no CapsuleResp follows. Needs LAST_PDU. */
#define USK_NVME_TCP_FLAG_SUCCESS 0x08u

/* DGST of ICReq and ICResp: the digests asked for, then granted. */
#define USK_NVME_TCP_DGST_HDGST_ENABLE 0x01u
#define USK_NVME_TCP_DGST_DDGST_ENABLE 0x02u

/**
 * Fatal Error Status of an H2CTermReq or C2HTermReq:
 * why the sender is closing the connection. 0x05 is R2T Limit Exceeded in
 * an H2CTermReq and Data Transfer Limit Exceeded in a C2HTermReq.
 */
enum usk_nvme_tcp_fes {
	USK_NVME_TCP_FES_INVALID_HEADER_FIELD = 0x01, /* FEI: the field's byte offset */
	USK_NVME_TCP_FES_PDU_SEQUENCE_ERROR = 0x02,
	USK_NVME_TCP_FES_HDGST_ERROR = 0x03,
	USK_NVME_TCP_FES_DATA_OUT_OF_RANGE = 0x04,
	USK_NVME_TCP_FES_LIMIT_EXCEEDED = 0x05,
	USK_NVME_TCP_FES_UNSUPPORTED_PARAMETER = 0x06, /* FEI: the field's byte offset */
};

/** The common header, the first 8 bytes of every PDU. */
struct usk_nvme_tcp_common_hdr {
	uint8_t pdu_type; /**< enum usk_nvme_tcp_pdu_type */
	uint8_t flags;	  /**< USK_NVME_TCP_FLAG_* */
	uint8_t hlen;	  /**< bytes of the PDU header, fixed by the type */
	uint8_t pdo;	  /**< offset of the data from the PDU's start; 0 without data */
	uint32_t plen;	  /**< bytes of the whole PDU */
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_common_hdr) == 8, "the common header is 8 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_common_hdr, hlen) == 2, "HLEN at byte 2");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_common_hdr, pdo) == 3, "PDO at byte 3");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_common_hdr, plen) == 4, "PLEN at byte 4");

/** ICReq, the host's first PDU on a connection. */
struct usk_nvme_tcp_icreq {
	struct usk_nvme_tcp_common_hdr ch;
	uint16_t pfv;	 /**< USK_NVME_TCP_PFV_1_0 */
	uint8_t hpda;	 /**< controller-to-host data alignment, 0's based dwords */
	uint8_t dgst;	 /**< USK_NVME_TCP_DGST_*: digests the host asks for */
	uint32_t maxr2t; /**< outstanding R2Ts a command may have, 0's based */
	uint8_t rsvd[112];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_icreq) == 128, "ICReq is 128 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_icreq, hpda) == 10, "HPDA at byte 10");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_icreq, maxr2t) == 12, "MAXR2T at byte 12");

/** ICResp, the controller's answer. */
struct usk_nvme_tcp_icresp {
	struct usk_nvme_tcp_common_hdr ch;
	uint16_t pfv;	     /**< USK_NVME_TCP_PFV_1_0 */
	uint8_t cpda;	     /**< host-to-controller data alignment, 0's based dwords */
	uint8_t dgst;	     /**< USK_NVME_TCP_DGST_*: digests granted */
	uint32_t maxh2cdata; /**< most data bytes in one H2CData PDU, >= 4096 */
	uint8_t rsvd[112];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_icresp) == 128, "ICResp is 128 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_icresp, cpda) == 10, "CPDA at byte 10");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_icresp, maxh2cdata) == 12, "MAXH2CDATA at 12");

/**
 * H2CTermReq and C2HTermReq: the sender closes the
 * connection. Its data, right after the header, is the start of the PDU
 * header that caused it (up to USK_NVME_TCP_TERM_DATA_MAX bytes).
 */
struct usk_nvme_tcp_term_req {
	struct usk_nvme_tcp_common_hdr ch;
	uint16_t fes; /**< enum usk_nvme_tcp_fes */
	uint32_t fei; /**< Fatal Error Information: for a header field, its byte offset */
	uint8_t rsvd[10];
} __attribute__((packed));
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_term_req) == 24, "a TermReq header is 24 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_term_req, fei) == 10, "FEI at byte 10");

/** CapsuleCmd: a command, with in-capsule data when pdo is not 0. */
struct usk_nvme_tcp_capsule_cmd {
	struct usk_nvme_tcp_common_hdr ch;
	struct usk_nvme_sqe sqe;
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_capsule_cmd) == 72, "CapsuleCmd header is 72 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_capsule_cmd, sqe) == 8, "the SQE at byte 8");

/** CapsuleResp: a completion; never carries data. */
struct usk_nvme_tcp_capsule_resp {
	struct usk_nvme_tcp_common_hdr ch;
	struct usk_nvme_cqe cqe;
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_capsule_resp) == 24, "CapsuleResp is 24 bytes");

/**
 * H2CData and C2HData: command data, datal
 * bytes at offset datao of the command's data buffer. ttag is H2CData's
 * (copied from the R2T) and reserved in C2HData.
 */
struct usk_nvme_tcp_data {
	struct usk_nvme_tcp_common_hdr ch;
	uint16_t cccid; /**< the command's CID */
	uint16_t ttag;	/**< H2CData: the R2T's transfer tag */
	uint32_t datao; /**< offset in the command's data */
	uint32_t datal; /**< bytes of data in this PDU */
	uint8_t rsvd[4];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_data) == 24, "a data PDU header is 24 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_data, datao) == 12, "DATAO at byte 12");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_data, datal) == 16, "DATAL at byte 16");

/** R2T: the controller asks for r2tl bytes at offset r2to of a write. */
struct usk_nvme_tcp_r2t {
	struct usk_nvme_tcp_common_hdr ch;
	uint16_t cccid; /**< the command's CID */
	uint16_t ttag;	/**< the tag the H2CData PDUs answering it carry */
	uint32_t r2to;	/**< offset in the command's data */
	uint32_t r2tl;	/**< bytes asked for */
	uint8_t rsvd[4];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_tcp_r2t) == 24, "R2T is 24 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_r2t, r2to) == 12, "R2TO at byte 12");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_tcp_r2t, r2tl) == 16, "R2TL at byte 16");

/** Any PDU header: the common header tells which member to read. */
union usk_nvme_tcp_pdu_hdr {
	struct usk_nvme_tcp_common_hdr ch;
	struct usk_nvme_tcp_icreq icreq;
	struct usk_nvme_tcp_icresp icresp;
	struct usk_nvme_tcp_term_req term;
	struct usk_nvme_tcp_capsule_cmd cmd;
	struct usk_nvme_tcp_capsule_resp resp;
	struct usk_nvme_tcp_data data;
	struct usk_nvme_tcp_r2t r2t;
	uint8_t raw[128];
};
USK_STATIC_ASSERT(sizeof(union usk_nvme_tcp_pdu_hdr) == 128, "the largest header is 128 bytes");

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_NVME_TCP_H */
