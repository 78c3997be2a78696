/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NVMe over Fabrics structures and constants, from the NVM Express Base
 * Specification 2.0 (the Fabrics command set, section 6, and the
 * Discovery log page, 5.16.1.23) and the NVMe over Fabrics 1.1 status
 * values: what a target answers and an initiator sends. Multi-byte fields
 * are little endian; the structures are read in place (see nvme_tcp.h).
 */
#ifndef USK_NVMF_SPEC_H
#define USK_NVMF_SPEC_H

#include <stdint.h>

#include "usk/nvme_spec.h"
#include "usk/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** The well-known NQN of a discovery subsystem. */
#define USK_NVMF_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
/** The longest NQN, in bytes without the NUL (base 4.5). */
#define USK_NVMF_NQN_MAX_LEN 223
/** Bytes of an NQN field in Connect data and the discovery log. */
#define USK_NVMF_NQN_FIELD_LEN 256

/** The opcode of every Fabrics command; the command type is in byte 4. */
#define USK_NVMF_OPC_FABRIC 0x7f

/** Fabrics command types (FCTYPE), base 6. */
enum usk_nvmf_fctype {
	USK_NVMF_FCTYPE_PROPERTY_SET = 0x00,
	USK_NVMF_FCTYPE_CONNECT = 0x01,
	USK_NVMF_FCTYPE_PROPERTY_GET = 0x04,
	USK_NVMF_FCTYPE_AUTH_SEND = 0x05,
	USK_NVMF_FCTYPE_AUTH_RECV = 0x06,
	USK_NVMF_FCTYPE_DISCONNECT = 0x08,
};

/** Connect command, base 6.3: the SQE as the host sends it. */
struct usk_nvmf_connect_cmd {
	uint8_t opcode; /**< USK_NVMF_OPC_FABRIC */
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype; /**< USK_NVMF_FCTYPE_CONNECT */
	uint8_t rsvd5[19];
	uint8_t sgl1[16];
	uint16_t recfmt; /**< record format: 0 */
	uint16_t qid;	 /**< 0 for the admin queue */
	uint16_t sqsize; /**< submission queue entries, 0's based */
	uint8_t cattr;	 /**< bit 2: disable SQ flow control */
	uint8_t rsvd47;
	uint32_t kato; /**< keep alive timeout, ms; admin queue only; 0: none */
	uint8_t rsvd52[12];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvmf_connect_cmd) == 64, "Connect is an SQE");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_connect_cmd, qid) == 42, "QID at byte 42");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_connect_cmd, kato) == 48, "KATO at byte 48");

/** CATTR bit 2: the host does not use SQ head pointers (CQE.SQHD). */
#define USK_NVMF_CONNECT_CATTR_DISABLE_SQFLOW (1u << 2)

/** Connect data, base 6.3 (1024 bytes, the command's data). */
struct usk_nvmf_connect_data {
	uint8_t hostid[16];
	uint16_t cntlid; /**< 0xffff: any (dynamic model) on the admin queue */
	uint8_t rsvd18[238];
	char subnqn[USK_NVMF_NQN_FIELD_LEN];
	char hostnqn[USK_NVMF_NQN_FIELD_LEN];
	uint8_t rsvd768[256];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvmf_connect_data) == 1024, "Connect data is 1 KiB");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_connect_data, subnqn) == 256, "SUBNQN at 256");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_connect_data, hostnqn) == 512, "HOSTNQN at 512");

/** The controller ID a host asks for to get any (dynamic controller model). */
#define USK_NVMF_CNTLID_DYNAMIC 0xffff

/*
 * Fabrics command status values (SCT command specific), NVMe-oF 1.1
 * 2.4.1. Connect Invalid Parameters carries, in CQE dword 0, IATTR in
 * byte 0 (bit 0: 1 when the bad field is in the data) and IPO, the bad
 * field's byte offset, in bytes 2-3.
 */
#define USK_NVMF_SC_INCOMPATIBLE_FORMAT	  0x80
#define USK_NVMF_SC_CONTROLLER_BUSY	  0x81
#define USK_NVMF_SC_CONNECT_INVALID_PARAM 0x82
#define USK_NVMF_SC_CONNECT_RESTART_DISC  0x83
#define USK_NVMF_SC_CONNECT_INVALID_HOST  0x84
#define USK_NVMF_SC_INVALID_QUEUE_TYPE	  0x85

/** Property Get and Property Set, base 6.5 and 6.6. */
struct usk_nvmf_property_cmd {
	uint8_t opcode; /**< USK_NVMF_OPC_FABRIC */
	uint8_t flags;
	uint16_t cid;
	uint8_t fctype; /**< PROPERTY_GET or PROPERTY_SET */
	uint8_t rsvd5[35];
	uint8_t attrib; /**< bits 2:0: size, 0 four bytes, 1 eight bytes */
	uint8_t rsvd41[3];
	uint32_t ofst;	/**< the property's offset: USK_NVME_REG_* */
	uint64_t value; /**< Property Set's value */
	uint8_t rsvd56[8];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvmf_property_cmd) == 64, "a property command is an SQE");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_property_cmd, ofst) == 44, "OFST at byte 44");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_property_cmd, value) == 48, "VALUE at byte 48");

#define USK_NVMF_PROP_SIZE_4 0
#define USK_NVMF_PROP_SIZE_8 1

/* Admin opcodes a fabrics controller answers besides nvme_spec.h's (base 5). */
#define USK_NVME_OPC_KEEP_ALIVE 0x18

/* Identify CNS values besides nvme_spec.h's (base 5.17). */
#define USK_NVME_CNS_NS_ID_DESCRIPTORS 0x03

/** Namespace identification descriptor types (NIDT), base 5.17.2.3. */
#define USK_NVME_NIDT_EUI64 0x01
#define USK_NVME_NIDT_NGUID 0x02
#define USK_NVME_NIDT_UUID  0x03

/* Log page identifiers besides nvme_spec.h's (base 5.16.1). */
#define USK_NVME_LOG_HEALTH	0x02
#define USK_NVME_LOG_CHANGED_NS 0x04
#define USK_NVME_LOG_DISCOVERY	0x70

/* Features besides nvme_spec.h's (base 5.27.1). */
#define USK_NVME_FEAT_KEEP_ALIVE_TIMER 0x0f

/* Status codes besides nvme_spec.h's (base 4.6.1.2.1). */
#define USK_NVME_SC_INVALID_NAMESPACE		0x0b
#define USK_NVME_SC_COMMAND_SEQUENCE_ERROR	0x0c
#define USK_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID 0x11
#define USK_NVME_SC_DATA_SGL_LENGTH_INVALID	0x0f
#define USK_NVME_SC_TRANSIENT_TRANSPORT_ERROR	0x22
/* Command specific (SCT 1). */
#define USK_NVME_SC_INVALID_QUEUE_IDENTIFIER   0x01
#define USK_NVME_SC_ASYNC_EVENT_LIMIT_EXCEEDED 0x05
#define USK_NVME_SC_INVALID_LOG_PAGE	       0x09
#define USK_NVME_SC_FEATURE_NOT_SAVEABLE       0x0d

/*
 * SGL descriptor type byte (byte 15 of SGL1), base 4.3.2: the type in
 * bits 7:4, the subtype in bits 3:0. NVMe/TCP uses a Data Block with
 * subtype Offset for in-capsule data, and a Transport SGL Data Block with
 * subtype Transport Specific for data moved by C2HData or R2T/H2CData.
 */
#define USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET 0x01
#define USK_NVME_SGL_TYPE_TRANSPORT_DATA    0x5a

/* Identify Controller byte offsets USK's nvme_spec.h structure keeps reserved. */
#define USK_NVME_CDATA_CNTRLTYPE_OFFSET 111 /* 1: I/O controller, 2: discovery */
#define USK_NVME_CDATA_KAS_OFFSET	320 /* keep alive granularity, 100 ms units */
#define USK_NVME_CDATA_SUBNQN_OFFSET	768
#define USK_NVME_CDATA_FABRICS_OFFSET	1792

#define USK_NVME_CNTRLTYPE_IO	     1
#define USK_NVME_CNTRLTYPE_DISCOVERY 2

/** The NVMe over Fabrics part of Identify Controller, bytes 1792-2047. */
struct usk_nvmf_ctrlr_data_fabrics {
	uint32_t ioccsz; /**< I/O command capsule size, 16-byte units (the SQE counts) */
	uint32_t iorcsz; /**< I/O response capsule size, 16-byte units */
	uint16_t icdoff; /**< in-capsule data offset, 16-byte units */
	uint8_t fcatt;	 /**< bit 0: static controller model */
	uint8_t msdbd;	 /**< SGL descriptors a command may carry */
	uint16_t ofcs;
	uint8_t rsvd[242];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvmf_ctrlr_data_fabrics) == 256, "256 bytes");

/** Critical Warning bit 1: a temperature is over or under a threshold the host set. */
#define USK_NVME_CRITICAL_WARNING_TEMPERATURE (1u << 1)

/** SMART / Health Information log page, base 5.16.1.3 (512 bytes). */
struct usk_nvme_health_log {
	uint8_t critical_warning;
	uint16_t temperature; /**< Kelvin */
	uint8_t available_spare;
	uint8_t available_spare_threshold;
	uint8_t percentage_used;
	uint8_t endurance_group_critical_warning;
	uint8_t rsvd7[25];
	uint64_t data_units_read[2]; /**< thousands of 512-byte units */
	uint64_t data_units_written[2];
	uint64_t host_read_commands[2];
	uint64_t host_write_commands[2];
	uint64_t controller_busy_time[2];
	uint64_t power_cycles[2];
	uint64_t power_on_hours[2];
	uint64_t unsafe_shutdowns[2];
	uint64_t media_errors[2];
	uint64_t num_error_info_log_entries[2];
	uint8_t rsvd192[320];
} __attribute__((packed));
USK_STATIC_ASSERT(sizeof(struct usk_nvme_health_log) == 512, "the health log is 512 bytes");
USK_STATIC_ASSERT(offsetof(struct usk_nvme_health_log, data_units_read) == 32, "DUR at 32");

/** Discovery log page header, base 5.16.1.23. */
struct usk_nvmf_discovery_log {
	uint64_t genctr; /**< changes whenever the records do */
	uint64_t numrec;
	uint16_t recfmt; /**< 0 */
	uint8_t rsvd18[1006];
};
USK_STATIC_ASSERT(sizeof(struct usk_nvmf_discovery_log) == 1024, "the header is 1 KiB");

/* Discovery log entry fields (base 5.16.1.23, NVMe/TCP 1.0 for the TSAS). */
#define USK_NVMF_TRTYPE_TCP		  3
#define USK_NVMF_ADRFAM_IPV4		  1
#define USK_NVMF_ADRFAM_IPV6		  2
#define USK_NVMF_SUBTYPE_NVME		  2
#define USK_NVMF_SUBTYPE_DISCOVERY_CUR	  3
#define USK_NVMF_TREQ_SECURE_NOT_REQUIRED 0x2

/** One discovery log entry: a subsystem reachable at one address. */
struct usk_nvmf_discovery_entry {
	uint8_t trtype;
	uint8_t adrfam;
	uint8_t subtype;
	uint8_t treq;
	uint16_t portid;
	uint16_t cntlid; /**< 0xffff: dynamic */
	uint16_t asqsz;	 /**< admin queue entries at most */
	uint16_t eflags;
	uint8_t rsvd12[20];
	char trsvcid[32]; /**< space padded */
	uint8_t rsvd64[192];
	char subnqn[USK_NVMF_NQN_FIELD_LEN]; /**< NUL padded */
	char traddr[256];		     /**< space padded */
	uint8_t tsas[256];		     /**< TCP: byte 0 SECTYPE, 0 none */
};
USK_STATIC_ASSERT(sizeof(struct usk_nvmf_discovery_entry) == 1024, "an entry is 1 KiB");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_discovery_entry, trsvcid) == 32, "TRSVCID at 32");
USK_STATIC_ASSERT(offsetof(struct usk_nvmf_discovery_entry, traddr) == 512, "TRADDR at 512");

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_NVMF_SPEC_H */
