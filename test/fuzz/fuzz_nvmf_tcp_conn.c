/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole NVMe/TCP connection of usk_tgt against a hostile host: lib/nvmf's
 * target (listener, poll group, nvmf_tcp_conn/req, controllers, a malloc
 * namespace) runs on threads polled here, and each input is one
 * connection's life over loopback TCP, written as a list of operations:
 * raw bytes, or PDUs built right (so the fuzzer gets past the framing)
 * with fields, digests, chunking and the order of things from the input.
 *
 * Input: [config] then operations until the input ends.
 *   config bits 0-1: digests the ICReq asks for; bits 2-3: HPDA 0, 1, 3, 31;
 *          bit 4: no ICReq first (the stream starts cold)
 *   operation byte: bits 0-3 the operation (below); bit 4: do not let the
 *          target settle after it (the next PDU may arrive in the same
 *          read); bits 5-6: send in pieces of 0 (whole), 7, 61 or 1000
 *          bytes, the target polled between them; bit 7: a wrong digest
 *   0 RAW n bytes[n]      1 ICREQ dgst hpda      2 CONNECT qid who kato
 *   3 PROP kind val       4 IO opc flags lba(2) nlb
 *   5 ADMIN which cdw10 cdw11                    6 H2C mode arg
 *   7 TERM fes len        8 SQE sqe[64] icd_len(2)    9 SETTLE
 *
 * Invariants, besides ASan/UBSan: the target never sends a malformed PDU
 * or a wrong digest, nor anything after a C2HTermReq, and closes the
 * connection after one; a request's response is sent only while it
 * executes (never twice); a connection the target lets go of holds no
 * request, buffer or bdev I/O (fuzz_nvmf_tcp_tgt.c); once the host resets
 * the connection the target lets go of it and of its controller; and a
 * well-behaved host's admin and I/O queues, connected before the first
 * input, are still served (Identify, a write read back) after every input.
 */
#include "config.h"

#include <string.h>

#include "fuzz_common.h"
#include "fuzz_nvmf_tcp_tgt.h"
#include "usk/util.h"

enum fz_op {
	OP_RAW,
	OP_ICREQ,
	OP_CONNECT,
	OP_PROP,
	OP_IO,
	OP_ADMIN,
	OP_H2C,
	OP_TERM,
	OP_SQE,
	OP_SETTLE,
	OP_COUNT,
};

#define OPF_NO_SETTLE 0x10
#define OPF_BAD_DGST  0x80

static const uint8_t g_hpdas[] = {0, 1, 3, 31};
static const uint32_t g_chunks[] = {0, 7, 61, 1000};

/* The well-behaved host: its admin queue and one I/O queue. */
static struct fz_host g_good_admin, g_good_io;
static uint32_t g_inputs;
static uint8_t g_out[FZ_MAX_IO + FZ_ICD_BYTES];
static uint8_t g_in[FZ_MAX_IO];

/* The input, read front to back; reads past its end give zeros. */
struct fz_input {
	const uint8_t *p;
	size_t left;
};

static uint8_t in_u8(struct fz_input *in)
{
	if (in->left == 0) {
		return 0;
	}
	in->left--;
	return *in->p++;
}

static uint16_t in_u16(struct fz_input *in)
{
	return (uint16_t)(in_u8(in) | in_u8(in) << 8);
}

/* One operation's PDU options. */
struct fz_opts {
	uint32_t chunk;
	bool bad;
};

static void set_sgl(struct usk_nvme_sqe *sqe, uint32_t len, uint8_t type)
{
	sqe->flags = USK_NVME_SQE_PSDT_SGL;
	sqe->prp1 = 0;
	sqe->prp2 = len | (uint64_t)type << 56;
}

static void op_connect(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	uint8_t qid = in_u8(in), who = in_u8(in), kato = in_u8(in);
	struct usk_nvmf_connect_cmd cmd;
	struct usk_nvmf_connect_data d;
	static const uint16_t cntlids[] = {USK_NVMF_CNTLID_DYNAMIC, 0, 0, 0xfffe};
	uint16_t cntlid = cntlids[who & 3];

	if ((who & 3) == 1) {
		cntlid = g_good_admin.cntlid;
	} else if ((who & 3) == 2) {
		cntlid = h->cntlid;
	}
	/* QIDs 2..9: the well-behaved host holds 1 of its controller. */
	fz_connect_fill(&cmd, &d, qid == 0 ? 0 : (uint16_t)(2 + qid % 8), cntlid,
			(uint16_t)(in_u8(in) | 1), kato * 100u,
			who & 4 ? "nqn.2014-08.org.nvmexpress:uuid:not-allowed" : FZ_HOSTNQN);
	cmd.cattr = who & USK_NVMF_CONNECT_CATTR_DISABLE_SQFLOW;
	h->resp_seen = false;
	fz_host_capsule(h, (struct usk_nvme_sqe *)&cmd, &d, sizeof(d), o->chunk, o->bad, o->bad);
	fz_host_settle(h);
	if (h->resp_seen && h->resp.status >> 1 == 0 && h->resp.cid == cmd.cid) {
		h->cntlid = (uint16_t)h->resp.dw0;
	}
}

static void op_prop(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	uint8_t kind = in_u8(in), val = in_u8(in);
	struct usk_nvmf_property_cmd cmd = {.opcode = USK_NVMF_OPC_FABRIC};

	if (kind & 1) {
		cmd.fctype = USK_NVMF_FCTYPE_PROPERTY_SET;
		cmd.ofst = USK_NVME_REG_CC;
		/* Mostly EN, at times anything (shutdown, disable). */
		cmd.value = kind & 2 ? val : USK_NVME_CC_EN | 6u << 16 | 4u << 20;
	} else {
		cmd.fctype = USK_NVMF_FCTYPE_PROPERTY_GET;
		cmd.ofst = val & 0xfc;
	}
	cmd.attrib = (kind >> 2) & 1;
	fz_host_capsule(h, (struct usk_nvme_sqe *)&cmd, NULL, 0, o->chunk, o->bad, false);
}

static void op_io(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	static const uint8_t opcs[] = {USK_NVME_OPC_READ,
				       USK_NVME_OPC_WRITE,
				       USK_NVME_OPC_WRITE_ZEROES,
				       USK_NVME_OPC_FLUSH,
				       USK_NVME_OPC_DATASET_MANAGEMENT,
				       USK_NVME_OPC_WRITE};
	uint8_t opc = opcs[in_u8(in) % USK_COUNTOF(opcs)], flags = in_u8(in);
	uint16_t lba = in_u16(in);
	uint32_t nlb = in_u8(in) + 1u, len = nlb * FZ_BLOCK, icd = 0;
	struct usk_nvme_sqe sqe = {.opcode = opc,
				   .nsid = flags & 0x20 ? flags >> 6 : 1,
				   .cdw10 = lba % (FZ_BLOCKS + 8),
				   .cdw12 = nlb - 1};

	if (opc == USK_NVME_OPC_DATASET_MANAGEMENT) {
		/* NR ranges of 16 bytes each, in g_out: their lengths and LBAs are the fuzzer's. */
		sqe.cdw10 = nlb % 8;
		sqe.cdw11 = 1u << 2; /* AD: deallocate */
		len = (nlb % 8 + 1) * 16;
	}
	if (flags & 4) {
		len += flags & 8 ? FZ_BLOCK : 1;
	}
	if (opc == USK_NVME_OPC_WRITE_ZEROES || opc == USK_NVME_OPC_FLUSH) {
		len = flags & 2 ? len : 0;
	}
	if ((flags & 1) && opc != USK_NVME_OPC_READ) {
		icd = USK_MIN(len, (uint32_t)FZ_ICD_BYTES);
		set_sgl(&sqe, icd, USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET);
	} else {
		set_sgl(&sqe, len,
			flags & 0x10 ? (uint8_t)flags : USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	}
	fz_host_capsule(h, &sqe, g_out, icd, o->chunk, o->bad && (flags & 2), o->bad);
}

static void op_admin(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	static const uint8_t opcs[] = {USK_NVME_OPC_IDENTIFY,	  USK_NVME_OPC_GET_LOG_PAGE,
				       USK_NVME_OPC_SET_FEATURES, USK_NVME_OPC_GET_FEATURES,
				       USK_NVME_OPC_KEEP_ALIVE,	  USK_NVME_OPC_ASYNC_EVENT_REQUEST,
				       USK_NVME_OPC_ABORT,	  USK_NVME_OPC_IDENTIFY};
	uint8_t which = in_u8(in);
	struct usk_nvme_sqe sqe = {.opcode = opcs[which % USK_COUNTOF(opcs)],
				   .nsid = which >> 7,
				   .cdw10 = in_u8(in) | (uint32_t)in_u8(in) << 16,
				   .cdw11 = in_u8(in)};
	/* The transfer the command names (a log's NUMD, an Identify's 4 KiB)... */
	uint32_t len = sqe.opcode == USK_NVME_OPC_GET_LOG_PAGE ? ((sqe.cdw10 >> 16) + 1) * 4 : 4096;

	/* ...or now and then another length, which the target refuses. */
	set_sgl(&sqe, which & 8 ? 1024 : len, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	fz_host_capsule(h, &sqe, NULL, 0, o->chunk, o->bad, false);
}

/* Answer the oldest R2T, rightly or in one of the ways a host can get it wrong. */
static void op_h2c(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	uint8_t mode = in_u8(in), arg = in_u8(in);
	struct nvme_tcp_pdu_send p;
	struct fz_r2t r;
	uint32_t parts, off;

	if (h->nr2t == 0) {
		return;
	}
	if ((mode & 7) == 0) {
		fz_host_answer_r2t(h, g_out);
		return;
	}
	r = h->r2t[0];
	memmove(&h->r2t[0], &h->r2t[1], sizeof(h->r2t[0]) * (FZ_R2T_MAX - 1));
	h->nr2t--;
	parts = (mode & 7) == 1 ? 1u + arg % 6 : 1;
	off = r.off;
	for (uint32_t i = 0; i < parts && off < r.off + r.len; i++) {
		uint32_t len = i + 1 == parts ? r.off + r.len - off : USK_MAX(r.len / parts, 1u);
		struct iovec iov = {.iov_base = g_out + off, .iov_len = len};

		nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_H2C_DATA);
		p.hdr.data.cccid = r.cccid;
		p.hdr.data.ttag = (mode & 7) == 2 ? (uint16_t)(r.ttag + arg) : r.ttag;
		p.hdr.data.datao = (mode & 7) == 3 ? off + arg : off;
		if ((mode & 7) == 4) {
			iov.iov_len = USK_MIN(len + arg, (uint32_t)sizeof(g_out) - off);
		} else if ((mode & 7) == 5) {
			iov.iov_len = len > arg ? len - arg : len;
		}
		p.hdr.ch.flags = i + 1 == parts || (mode & 8) ? USK_NVME_TCP_FLAG_LAST_PDU : 0;
		fz_host_send_pdu(h, &p, &iov, 1, o->chunk, o->bad && (mode & 0x10), o->bad);
		off += len;
	}
}

static void op_term(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	struct nvme_tcp_pdu_send p;
	uint8_t fes = in_u8(in), len = in_u8(in);
	struct iovec iov = {.iov_base = g_out, .iov_len = len % (USK_NVME_TCP_TERM_DATA_MAX + 1)};

	nvme_tcp_pdu_send_init(&p, USK_NVME_TCP_PDU_H2C_TERM_REQ);
	p.hdr.term.fes = fes % 8;
	p.hdr.term.fei = fes;
	fz_host_send_pdu(h, &p, &iov, iov.iov_len != 0, o->chunk, false, false);
}

static void op_sqe(struct fz_host *h, struct fz_input *in, const struct fz_opts *o)
{
	struct usk_nvme_sqe sqe;
	uint8_t *b = (uint8_t *)&sqe;
	uint32_t icd;

	for (size_t i = 0; i < sizeof(sqe); i++) {
		b[i] = in_u8(in);
	}
	icd = in_u16(in) % (FZ_ICD_BYTES + 65);
	fz_host_capsule(h, &sqe, g_out, icd, o->chunk, o->bad, o->bad);
}

static void op_raw(struct fz_host *h, struct fz_input *in)
{
	uint8_t n = in_u8(in);
	size_t len = USK_MIN((size_t)n, in->left);

	fz_host_send(h, in->p, len);
	in->p += len;
	in->left -= len;
}

static void run_op(struct fz_host *h, struct fz_input *in)
{
	uint8_t b = in_u8(in);
	struct fz_opts o = {.chunk = g_chunks[(b >> 5) & 3], .bad = (b & OPF_BAD_DGST) != 0};

	switch ((enum fz_op)((b & 0x0f) % OP_COUNT)) {
	case OP_RAW:
		op_raw(h, in);
		break;
	case OP_ICREQ: {
		uint8_t dgst = in_u8(in);

		fz_host_icreq(h, dgst, in_u8(in));
		break;
	}
	case OP_CONNECT:
		op_connect(h, in, &o);
		break;
	case OP_PROP:
		op_prop(h, in, &o);
		break;
	case OP_IO:
		op_io(h, in, &o);
		break;
	case OP_ADMIN:
		op_admin(h, in, &o);
		break;
	case OP_H2C:
		op_h2c(h, in, &o);
		break;
	case OP_TERM:
		op_term(h, in, &o);
		break;
	case OP_SQE:
		op_sqe(h, in, &o);
		break;
	default:
		break;
	}
	if (!(b & OPF_NO_SETTLE)) {
		fz_host_settle(h);
	}
}

/* The well-behaved host is still served: Identify, and a write read back. */
static void check_good_host(void)
{
	struct usk_nvme_sqe sqe = {.opcode = USK_NVME_OPC_IDENTIFY,
				   .cdw10 = USK_NVME_CNS_CONTROLLER};
	bool icd = g_inputs & 1;
	int rc;

	set_sgl(&sqe, 4096, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	rc = fz_host_cmd(&g_good_admin, &sqe, NULL, 0, NULL);
	FUZZ_CHECK(rc == 0 && g_good_admin.c2h_len == 4096, "the good host's Identify: %d", rc);
	memset(g_out, (int)g_inputs, 4096);
	sqe = (struct usk_nvme_sqe){
		.opcode = USK_NVME_OPC_WRITE, .nsid = 1, .cdw10 = 8, .cdw12 = 7};
	set_sgl(&sqe, 4096,
		icd ? USK_NVME_SGL_TYPE_DATA_BLOCK_OFFSET : USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	rc = fz_host_cmd(&g_good_io, &sqe, icd ? g_out : NULL, icd ? 4096 : 0, g_out);
	FUZZ_CHECK(rc == 0, "the good host's write: %d", rc);
	sqe = (struct usk_nvme_sqe){.opcode = USK_NVME_OPC_READ, .nsid = 1, .cdw10 = 8, .cdw12 = 7};
	set_sgl(&sqe, 4096, USK_NVME_SGL_TYPE_TRANSPORT_DATA);
	memset(g_in, 0xee, 4096);
	rc = fz_host_cmd(&g_good_io, &sqe, NULL, 0, NULL);
	FUZZ_CHECK(rc == 0 && g_good_io.c2h_len == 4096 && memcmp(g_in, g_out, 4096) == 0,
		   "the good host's read: %d", rc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct usk_nvmf_property_cmd en = {.opcode = USK_NVMF_OPC_FABRIC,
					   .fctype = USK_NVMF_FCTYPE_PROPERTY_SET,
					   .ofst = USK_NVME_REG_CC,
					   .value = USK_NVME_CC_EN | 6u << 16 | 4u << 20};

	fuzz_quiet_logs();
	FUZZ_CHECK(fz_tgt_init() == 0, "cannot set the target up");
	for (size_t i = 0; i < sizeof(g_out); i++) {
		g_out[i] = (uint8_t)(i * 31 + 7);
	}
	fz_host_open(&g_good_admin);
	fz_host_icreq(&g_good_admin, 0, 0);
	FUZZ_CHECK(fz_host_connect(&g_good_admin, 0, USK_NVMF_CNTLID_DYNAMIC, 0) == 0,
		   "the good host cannot connect");
	FUZZ_CHECK(fz_host_cmd(&g_good_admin, (struct usk_nvme_sqe *)&en, NULL, 0, NULL) == 0,
		   "the good host cannot enable its controller");
	fz_host_open(&g_good_io);
	fz_host_icreq(&g_good_io, USK_NVME_TCP_DGST_HDGST_ENABLE | USK_NVME_TCP_DGST_DDGST_ENABLE,
		      0);
	FUZZ_CHECK(fz_host_connect(&g_good_io, 1, g_good_admin.cntlid, 0) == 0,
		   "the good host cannot connect its I/O queue");
	g_good_io.in = g_in;
	g_good_io.in_len = sizeof(g_in);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in = {.p = data, .left = size};
	struct fz_host h;
	uint8_t config = in_u8(&in);

	g_inputs++;
	fz_host_open(&h);
	if (!(config & 0x10)) {
		fz_host_icreq(&h, config & 3, g_hpdas[(config >> 2) & 3]);
	}
	while (in.left > 0 && !h.closed) {
		run_op(&h, &in);
	}
	fz_host_settle(&h);
	FUZZ_CHECK(!h.term_seen || h.closed, "a C2HTermReq, and the connection stays open");
	fz_host_close(&h);
	for (int i = 0; i < 1000 && fz_tgt_conns() != 2; i++) {
		fz_tgt_pump();
	}
	FUZZ_CHECK(fz_tgt_conns() == 2, "the target holds %u connections, not 2", fz_tgt_conns());
	FUZZ_CHECK(fz_tgt_ctrlrs() == 1, "the target holds %u controllers, not 1", fz_tgt_ctrlrs());
	check_good_host();
	return 0;
}
