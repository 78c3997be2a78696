/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NVMe structures and constants from the NVM Express Base Specification 2.0
 * (sections cited as "base 3.1.3") and the NVM Command Set Specification
 * 1.0 ("NVM 4.1"). Only what USK uses; every structure's size and the
 * offsets that matter are checked at compile time.
 */
#ifndef USK_NVME_SPEC_H
#define USK_NVME_SPEC_H

#include <stdint.h>

#include "usk/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/* Controller registers, base 3.1.3. */
#define USK_NVME_REG_CAP	   0x00
#define USK_NVME_REG_VS		   0x08
#define USK_NVME_REG_INTMS	   0x0c
#define USK_NVME_REG_CC		   0x14
#define USK_NVME_REG_CSTS	   0x1c
#define USK_NVME_REG_AQA	   0x24
#define USK_NVME_REG_ASQ	   0x28
#define USK_NVME_REG_ACQ	   0x30
#define USK_NVME_REG_DOORBELL_BASE 0x1000

/* CAP fields. */
#define USK_NVME_CAP_MQES(cap)	  ((uint32_t)((cap)&0xffff))	     /* 0's based */
#define USK_NVME_CAP_TO(cap)	  ((uint32_t)(((cap) >> 24) & 0xff)) /* 500 ms units */
#define USK_NVME_CAP_DSTRD(cap)	  ((uint32_t)(((cap) >> 32) & 0xf))  /* stride 4 << DSTRD */
#define USK_NVME_CAP_CSS_NVM(cap) ((((cap) >> 37) & 1) != 0)
#define USK_NVME_CAP_MPSMIN(cap)  ((uint32_t)(((cap) >> 48) & 0xf)) /* 4 KiB << MPSMIN */
#define USK_NVME_CAP_MPSMAX(cap)  ((uint32_t)(((cap) >> 52) & 0xf))

/* CC fields. */
#define USK_NVME_CC_EN		  (1u << 0)
#define USK_NVME_CC_CSS_NVM	  (0u << 4)
#define USK_NVME_CC_MPS(shift)	  (((uint32_t)(shift)-12) << 7)
#define USK_NVME_CC_AMS_RR	  (0u << 11)
#define USK_NVME_CC_SHN_NORMAL	  (1u << 14)
#define USK_NVME_CC_SHN_MASK	  (3u << 14)
#define USK_NVME_CC_IOSQES(shift) ((uint32_t)(shift) << 16)
#define USK_NVME_CC_IOCQES(shift) ((uint32_t)(shift) << 20)

/* CSTS fields. */
#define USK_NVME_CSTS_RDY	    (1u << 0)
#define USK_NVME_CSTS_CFS	    (1u << 1)
#define USK_NVME_CSTS_SHST_MASK	    (3u << 2)
#define USK_NVME_CSTS_SHST_OCCURRING (1u << 2)
#define USK_NVME_CSTS_SHST_COMPLETE (2u << 2)

/** Submission queue entry, base 4.2. */
struct usk_nvme_sqe {
	uint8_t opcode;
	uint8_t flags; /* FUSE bits 1:0, PSDT bits 7:6 (0 PRP, 1 SGL) */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	uint64_t prp1; /* or the first 8 bytes of SGL1 */
	uint64_t prp2; /* or the last 8 bytes of SGL1 */
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_sqe) == 64, "SQE is 64 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_sqe, prp1) == 24, "DPTR at byte 24");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_sqe, cdw10) == 40, "CDW10 at byte 40");

#define USK_NVME_SQE_PSDT_SGL (1u << 6)

/** Completion queue entry, base 4.6. */
struct usk_nvme_cqe {
	uint32_t dw0;
	uint32_t dw1;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status; /* bit 0 phase, 8:1 SC, 11:9 SCT, 13:12 CRD, 14 M, 15 DNR */
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_cqe) == 16, "CQE is 16 bytes");

#define USK_NVME_STATUS_SC(status)  ((uint8_t)(((status) >> 1) & 0xff))
#define USK_NVME_STATUS_SCT(status) ((uint8_t)(((status) >> 9) & 0x7))
#define USK_NVME_STATUS_DNR(status) ((((status) >> 15) & 1) != 0)
/** Status without the phase bit, as (SCT << 8 | SC): what USK reports. */
#define USK_NVME_STATUS_CODE(status) \
	((uint16_t)(USK_NVME_STATUS_SCT(status) << 8 | USK_NVME_STATUS_SC(status)))

/* Status code types, base 4.6.1.2. */
#define USK_NVME_SCT_GENERIC	      0x0
#define USK_NVME_SCT_COMMAND_SPECIFIC 0x1
#define USK_NVME_SCT_MEDIA	      0x2
#define USK_NVME_SCT_PATH	      0x3
#define USK_NVME_SCT_VENDOR	      0x7

/* Generic status codes used by USK itself. */
#define USK_NVME_SC_SUCCESS		0x00
#define USK_NVME_SC_INVALID_OPCODE	0x01
#define USK_NVME_SC_INVALID_FIELD	0x02
#define USK_NVME_SC_DATA_TRANSFER_ERROR 0x04
#define USK_NVME_SC_ABORTED_POWER_LOSS	0x05
#define USK_NVME_SC_INTERNAL_ERROR	0x06
#define USK_NVME_SC_ABORTED_BY_REQUEST	0x07
#define USK_NVME_SC_ABORTED_SQ_DELETION 0x08
#define USK_NVME_SC_LBA_OUT_OF_RANGE	0x80
/* Media errors. */
#define USK_NVME_SC_UNRECOVERED_READ_ERROR 0x81
/* End-to-end data protection (NVM command set): which PI field failed its check. */
#define USK_NVME_SC_GUARD_CHECK_ERROR  0x82
#define USK_NVME_SC_APPTAG_CHECK_ERROR 0x83
#define USK_NVME_SC_REFTAG_CHECK_ERROR 0x84
#define USK_NVME_SC_COMPARE_FAILURE    0x85

/* Admin opcodes, base 5. */
#define USK_NVME_OPC_DELETE_IO_SQ	    0x00
#define USK_NVME_OPC_CREATE_IO_SQ	    0x01
#define USK_NVME_OPC_GET_LOG_PAGE	    0x02
#define USK_NVME_OPC_DELETE_IO_CQ	    0x04
#define USK_NVME_OPC_CREATE_IO_CQ	    0x05
#define USK_NVME_OPC_IDENTIFY		    0x06
#define USK_NVME_OPC_ABORT		    0x08
#define USK_NVME_OPC_SET_FEATURES	    0x09
#define USK_NVME_OPC_GET_FEATURES	    0x0a
#define USK_NVME_OPC_ASYNC_EVENT_REQUEST    0x0c
#define USK_NVME_OPC_DOORBELL_BUFFER_CONFIG 0x7c

/* OACS bit 8: the controller takes Doorbell Buffer Config (base 5.8). */
#define USK_NVME_OACS_DBBUF (1u << 8)
/* Optional NVM Command Support (Identify Controller ONCS, NVM 4.1.5.1). */
#define USK_NVME_ONCS_COMPARE	   (1u << 0)
#define USK_NVME_ONCS_DSM	   (1u << 2)
#define USK_NVME_ONCS_WRITE_ZEROES (1u << 3)

/* NVM I/O opcodes, NVM 3. */
#define USK_NVME_OPC_FLUSH		0x00
#define USK_NVME_OPC_WRITE		0x01
#define USK_NVME_OPC_READ		0x02
#define USK_NVME_OPC_COMPARE		0x05
#define USK_NVME_OPC_WRITE_ZEROES	0x08
#define USK_NVME_OPC_DATASET_MANAGEMENT 0x09

/* Identify CNS values, base 5.17. */
#define USK_NVME_CNS_NAMESPACE	    0x00
#define USK_NVME_CNS_CONTROLLER	    0x01
#define USK_NVME_CNS_ACTIVE_NS_LIST 0x02

/* Features, base 5.27.1. */
#define USK_NVME_FEAT_ARBITRATION	   0x01
#define USK_NVME_FEAT_POWER_MANAGEMENT	    0x02
#define USK_NVME_FEAT_TEMPERATURE_THRESHOLD 0x04
#define USK_NVME_FEAT_ERROR_RECOVERY	    0x05
#define USK_NVME_FEAT_VOLATILE_WRITE_CACHE 0x06
#define USK_NVME_FEAT_NUMBER_OF_QUEUES	   0x07
#define USK_NVME_FEAT_WRITE_ATOMICITY	    0x0a
#define USK_NVME_FEAT_ASYNC_EVENT_CONFIG   0x0b

/*
 * Async Event Configuration bits 4:0, the SMART critical warnings every
 * controller can raise (spare, temperature, reliability, read-only,
 * volatile backup); bit 5 needs a PMR and 7:6 are reserved.
 */
#define USK_NVME_AEC_SMART_WARNINGS 0x1fu

/* Identify Controller OAES bit 8: the controller sends namespace attribute notices. */
#define USK_NVME_OAES_NS_ATTR (1u << 8)

/** Identify Controller data structure, base 5.17.2.1 (the fields USK reads). */
struct usk_nvme_ctrlr_data {
	uint16_t vid;
	uint16_t ssvid;
	char sn[20];
	char mn[40];
	char fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts; /* max transfer, 2^mdts minimum pages; 0: no limit */
	uint16_t cntlid;
	uint32_t ver;
	uint8_t rsvd84[8];
	uint32_t oaes; /* optional async events: USK_NVME_OAES_NS_ATTR */
	uint8_t rsvd96[160];
	uint16_t oacs; /* bit 8: Doorbell Buffer Config */
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t rsvd264[248];
	uint8_t sqes;
	uint8_t cqes;
	uint16_t maxcmd;
	uint32_t nn;
	uint16_t oncs;
	uint16_t fuses;
	uint8_t fna;
	uint8_t vwc;
	uint16_t awun;
	uint16_t awupf;
	uint8_t icsvscc;
	uint8_t nwpc;
	uint16_t acwu;
	uint16_t ocfs;
	uint32_t sgls;
	uint8_t rsvd540[3556];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_ctrlr_data) == 4096, "Identify data is 4 KiB");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, mn) == 24, "MN at byte 24");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, mdts) == 77, "MDTS at byte 77");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, oaes) == 92, "OAES at byte 92");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, oacs) == 256, "OACS at byte 256");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, sqes) == 512, "SQES at byte 512");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, nn) == 516, "NN at byte 516");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, oncs) == 520, "ONCS at byte 520");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ctrlr_data, sgls) == 536, "SGLS at byte 536");

/** LBA format, NVM 4.1.5.1. */
struct usk_nvme_lbaf {
	uint16_t ms;
	uint8_t lbads; /* LBA data size, 2^lbads bytes */
	uint8_t rp;
};

/** Identify Namespace data structure, NVM 4.1.5.1 (the fields USK reads). */
struct usk_nvme_ns_data {
	uint64_t nsze;
	uint64_t ncap;
	uint64_t nuse;
	uint8_t nsfeat;
	uint8_t nlbaf;
	uint8_t flbas; /* bits 3:0 (and 6:5): the LBA format in use */
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	uint16_t nawun;
	uint16_t nawupf;
	uint16_t nacwu;
	uint16_t nabsn;
	uint16_t nabo;
	uint16_t nabspf;
	uint16_t noiob; /* optimal I/O boundary, in blocks */
	uint8_t nvmcap[16];
	uint8_t rsvd64[64];
	struct usk_nvme_lbaf lbaf[64];
	uint8_t rsvd384[3712];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_ns_data) == 4096, "Identify data is 4 KiB");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ns_data, flbas) == 26, "FLBAS at byte 26");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ns_data, noiob) == 46, "NOIOB at byte 46");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ns_data, lbaf) == 128, "LBAF0 at byte 128");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ns_data, mc) == 27, "MC at byte 27");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ns_data, dpc) == 28, "DPC at byte 28");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_ns_data, dps) == 29, "DPS at byte 29");

/*
 * FLBAS (NVM 4.1.5.1): the format index is bits 3:0, with bits 6:5 above
 * them when more than 16 formats exist; bit 4 set means the metadata is
 * at the end of each block's data (extended LBA), clear a separate buffer.
 */
#define USK_NVME_NS_FLBAS_FORMAT(flbas) (((flbas) & 0xfu) | (((flbas) >> 5) & 3u) << 4)
#define USK_NVME_NS_FLBAS_EXTENDED	(1u << 4)
/* MC: the metadata layouts the namespace can be formatted with. */
#define USK_NVME_NS_MC_EXTENDED (1u << 0)
#define USK_NVME_NS_MC_SEPARATE (1u << 1)
/* DPS: protection information type in bits 2:0 (0 none, 1-3), bit 3 set: PI first in md. */
#define USK_NVME_NS_DPS_PIT(dps) ((dps) & 7u)
#define USK_NVME_NS_DPS_PIP	 (1u << 3)

/*
 * Format NVM, base 5.23: CDW10 holds LBAF (3:0), MSET (4), PI (7:5), PIL (8),
 * SES (11:9) and the format index's upper bits, LBAFU (13:12).
 */
#define USK_NVME_OPC_FORMAT_NVM 0x80
#define USK_NVME_FORMAT_CDW10(lbaf, mset, pi, pil, ses)                                         \
	(((uint32_t)(lbaf) & 0xfu) | ((uint32_t)(mset) & 1u) << 4 | ((uint32_t)(pi) & 7u) << 5 | \
	 ((uint32_t)(pil) & 1u) << 8 | ((uint32_t)(ses) & 7u) << 9 |                             \
	 ((uint32_t)(lbaf) >> 4 & 3u) << 12)

/* Log page identifiers, base 5.16.1. */
#define USK_NVME_LOG_ERROR	   0x01
#define USK_NVME_LOG_FIRMWARE_SLOT 0x03

/** Error Information log entry, base 5.16.1.2: the log is an array of these. */
struct usk_nvme_error_info {
	uint64_t error_count; /* 0: the entry is empty */
	uint16_t sqid;
	uint16_t cid;
	uint16_t status; /* the failed command's CQE status: USK_NVME_STATUS_CODE() applies */
	uint16_t parm_error_location; /* byte of the command in 7:0, bit in 10:8 */
	uint64_t lba;
	uint32_t nsid;
	uint8_t vs; /* vendor specific log page with more, 0: none */
	uint8_t trtype;
	uint8_t csi;
	uint8_t opcode;
	uint64_t cs; /* command specific information */
	uint16_t trtype_spec_info;
	uint8_t rsvd42[21];
	uint8_t log_page_version;
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_error_info) == 64, "an error log entry is 64 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_error_info, lba) == 16, "LBA at byte 16");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_error_info, cs) == 32, "CS at byte 32");

/** Firmware Slot Information log, base 5.16.1.4. */
struct usk_nvme_firmware_slot_log {
	uint8_t afi; /* slot active now in 2:0, slot active after the next reset in 6:4 (0: same) */
	uint8_t rsvd1[7];
	char frs[7][8]; /* revision in slots 1..7, ASCII; all zeroes for an empty slot */
	uint8_t rsvd64[448];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_firmware_slot_log) == 512, "the slot log is 512 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_firmware_slot_log, frs) == 8, "FRS1 at byte 8");

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_NVME_SPEC_H */
