/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP PDU builder, read back as bytes on the wire: every PDU an
 * initiator sends (ICReq, CapsuleCmd with and without in-capsule data,
 * H2CData, H2CTermReq) and those a target sends (CapsuleResp, C2HData,
 * R2T, ICResp, C2HTermReq), with and without digests and padding. Each
 * field is checked at the byte offset, and with the value, that the NVMe
 * TCP Transport Specification 1.0's PDU definitions give (written here as
 * numbers, not the code's constants); the digests are recomputed with
 * lib/util's CRC32C over the header's HLEN bytes and over the data alone.
 *
 * Source it covers (lib/nvme): nvme_tcp_pdu_build.c. nvme_tcp_pdu_ut runs
 * its PDUs through the receiver.
 */
#include <errno.h>
#include <string.h>

#include "usk/crc32c.h"
#include "usk_internal/nvme_tcp_pdu.h"
#include "ut.h"

/* The common header, the first 8 bytes of every PDU: PDU-Type, FLAGS, HLEN, PDO, PLEN. */
#define CH_TYPE	 0
#define CH_FLAGS 1
#define CH_HLEN	 2
#define CH_PDO	 3
#define CH_PLEN	 4
/* FLAGS bits. */
#define HDGSTF	 0x01
#define DDGSTF	 0x02
#define LAST_PDU 0x04
#define SUCCESS	 0x08

#define DATA_MAX 512
#define WIRE_MAX 1024

static uint8_t g_data[DATA_MAX];
static uint8_t g_wire[WIRE_MAX];
static size_t g_wire_len;
static struct iovec g_out[8 + NVME_TCP_PDU_BUILD_EXTRA_IOVS];
static int g_out_count;

static const struct nvme_tcp_digests g_plain = {.pda = 0};
static const struct nvme_tcp_digests g_both = {.hdgst = true, .ddgst = true, .pda = 0};

static uint16_t le16_at(size_t off)
{
	return (uint16_t)(g_wire[off] | g_wire[off + 1] << 8);
}

static uint32_t le32_at(size_t off)
{
	return (uint32_t)g_wire[off] | (uint32_t)g_wire[off + 1] << 8 |
	       (uint32_t)g_wire[off + 2] << 16 | (uint32_t)g_wire[off + 3] << 24;
}

/* A PDU of @type (a number from the spec), header zeroed but for what init sets. */
static void start(struct nvme_tcp_pdu_send *p, uint8_t type)
{
	nvme_tcp_pdu_send_init(p, (enum usk_nvme_tcp_pdu_type)type);
}

/* Builds @p with @data (@n elements) and lays what would be written out in g_wire. */
static void build(struct nvme_tcp_pdu_send *p, const struct nvme_tcp_digests *d,
		  const struct iovec *data, int n)
{
	g_out_count = nvme_tcp_pdu_build(p, d, data, n, g_out, (int)USK_COUNTOF(g_out));
	CU_ASSERT_FATAL(g_out_count > 0);
	g_wire_len = 0;
	for (int i = 0; i < g_out_count; i++) {
		CU_ASSERT_FATAL(g_wire_len + g_out[i].iov_len <= sizeof(g_wire));
		memcpy(g_wire + g_wire_len, g_out[i].iov_base, g_out[i].iov_len);
		g_wire_len += g_out[i].iov_len;
	}
	/* PLEN counts every byte of the PDU, and nothing else goes out. */
	CU_ASSERT_EQUAL(le32_at(CH_PLEN), g_wire_len);
}

/* @len bytes of g_data from @off in three pieces, one of them empty. */
static int three_pieces(struct iovec *iov, size_t off, size_t len)
{
	iov[0] = (struct iovec){.iov_base = g_data + off, .iov_len = len / 3};
	iov[1] = (struct iovec){.iov_base = g_data + off + len / 3, .iov_len = 0};
	iov[2] = (struct iovec){.iov_base = g_data + off + len / 3, .iov_len = len - len / 3};
	return 3;
}

static void expect_common(uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen)
{
	CU_ASSERT_EQUAL(g_wire[CH_TYPE], type);
	CU_ASSERT_EQUAL(g_wire[CH_FLAGS], flags);
	CU_ASSERT_EQUAL(g_wire[CH_HLEN], hlen);
	CU_ASSERT_EQUAL(g_wire[CH_PDO], pdo);
	CU_ASSERT_EQUAL(le32_at(CH_PLEN), plen);
}

/* The header digest: CRC32C of the HLEN header bytes, little endian, right after them. */
static void expect_hdgst(uint8_t hlen)
{
	CU_ASSERT_EQUAL(le32_at(hlen), usk_crc32c_update(0, g_wire, hlen));
}

/* The data at @pdo is @len bytes of g_data from @off, its digest (if @ddgst) right after. */
static void expect_data(uint8_t pdo, size_t off, size_t len, bool ddgst)
{
	CU_ASSERT_EQUAL(memcmp(g_wire + pdo, g_data + off, len), 0);
	if (ddgst) {
		CU_ASSERT_EQUAL(le32_at(pdo + len), usk_crc32c_update(0, g_data + off, len));
	}
}

/* Bytes [@from, @to) of the wire are zero: padding up to PDO. */
static void expect_zero(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		CU_ASSERT_EQUAL(g_wire[i], 0);
	}
}

/* The data is sent from where it is: its pieces are among the iovecs, not copied. */
static void expect_data_in_place(const struct iovec *data, int n)
{
	for (int i = 0; i < n; i++) {
		bool found = data[i].iov_len == 0;

		for (int j = 0; j < g_out_count && !found; j++) {
			found = g_out[j].iov_base == data[i].iov_base &&
				g_out[j].iov_len == data[i].iov_len;
		}
		CU_ASSERT(found);
	}
}

/* HLEN of each PDU type; 08h and 0Ah and above are not PDUs. */
static void test_hlen_of_every_type(void)
{
	static const struct {
		uint8_t type;
		uint8_t hlen;
	} spec[] = {{0x00, 128}, {0x01, 128}, {0x02, 24}, {0x03, 24}, {0x04, 72},
		    {0x05, 24},	 {0x06, 24},  {0x07, 24}, {0x09, 24}};
	static const uint8_t not_pdus[] = {0x08, 0x0a, 0xff};
	struct nvme_tcp_pdu_send p;
	struct iovec one = {.iov_base = g_data, .iov_len = 1};

	for (size_t i = 0; i < USK_COUNTOF(spec); i++) {
		bool needs_data = spec[i].type == 0x06 || spec[i].type == 0x07;

		start(&p, spec[i].type);
		CU_ASSERT_EQUAL(p.hdr.raw[CH_TYPE], spec[i].type);
		CU_ASSERT_EQUAL(p.hdr.raw[CH_HLEN], spec[i].hlen);
		build(&p, &g_plain, needs_data ? &one : NULL, needs_data);
		CU_ASSERT_EQUAL(g_wire[CH_TYPE], spec[i].type);
		CU_ASSERT_EQUAL(g_wire[CH_HLEN], spec[i].hlen);
	}
	for (size_t i = 0; i < USK_COUNTOF(not_pdus); i++) {
		start(&p, not_pdus[i]);
		CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_plain, NULL, 0, g_out, 8), -EINVAL);
	}
}

/* ICReq: 128 bytes, PDO 0, FLAGS 0, never a digest, its own fields kept. */
static void test_icreq(void)
{
	struct nvme_tcp_pdu_send p;

	start(&p, 0x00);
	p.hdr.icreq.pfv = 0;
	p.hdr.icreq.hpda = 3;
	p.hdr.icreq.dgst = 0x03;
	p.hdr.icreq.maxr2t = 0x01020304;
	/* Digests the connection has not negotiated yet, and never for IC PDUs. */
	build(&p, &g_both, NULL, 0);
	CU_ASSERT_EQUAL(g_out_count, 1);
	expect_common(0x00, 0, 128, 0, 128);
	CU_ASSERT_EQUAL(le16_at(8), 0);		  /* PFV 1.0 */
	CU_ASSERT_EQUAL(g_wire[10], 3);		  /* HPDA */
	CU_ASSERT_EQUAL(g_wire[11], 0x03);	  /* DGST: HDGST_ENABLE | DDGST_ENABLE */
	CU_ASSERT_EQUAL(le32_at(12), 0x01020304); /* MAXR2T */
	expect_zero(16, 128);
}

/* ICResp, as a target sends it: CPDA at 10, MAXH2CDATA at 12. */
static void test_icresp(void)
{
	struct nvme_tcp_pdu_send p;

	start(&p, 0x01);
	p.hdr.icresp.cpda = 7;
	p.hdr.icresp.dgst = 0x01;
	p.hdr.icresp.maxh2cdata = 131072;
	build(&p, &g_plain, NULL, 0);
	expect_common(0x01, 0, 128, 0, 128);
	CU_ASSERT_EQUAL(le16_at(8), 0);
	CU_ASSERT_EQUAL(g_wire[10], 7);
	CU_ASSERT_EQUAL(g_wire[11], 0x01);
	CU_ASSERT_EQUAL(le32_at(12), 131072);
	expect_zero(16, 128);
}

/* A Write's SQE: CID and the SGL descriptor end up at their SQE offsets + 8. */
static void fill_sqe(struct nvme_tcp_pdu_send *p, uint32_t data_len, uint8_t sgl_type)
{
	p->hdr.cmd.sqe.opcode = 0x01;
	p->hdr.cmd.sqe.flags = 0x40; /* PSDT: SGL */
	p->hdr.cmd.sqe.cid = 0x1234;
	p->hdr.cmd.sqe.nsid = 1;
	p->hdr.cmd.sqe.prp2 = data_len | (uint64_t)sgl_type << 56;
	p->hdr.cmd.sqe.cdw10 = 0xa0b0c0d0;
}

static void expect_sqe(uint32_t data_len, uint8_t sgl_type)
{
	CU_ASSERT_EQUAL(g_wire[8], 0x01);	      /* CDW0.OPC */
	CU_ASSERT_EQUAL(g_wire[9], 0x40);	      /* CDW0.PSDT */
	CU_ASSERT_EQUAL(le16_at(10), 0x1234);	      /* CDW0.CID */
	CU_ASSERT_EQUAL(le32_at(12), 1);	      /* NSID */
	CU_ASSERT_EQUAL(le32_at(8 + 24), 0);	      /* SGL1 address: offset 0 */
	CU_ASSERT_EQUAL(le32_at(8 + 32), data_len);   /* SGL1 length */
	CU_ASSERT_EQUAL(g_wire[8 + 39], sgl_type);    /* SGL1 identifier */
	CU_ASSERT_EQUAL(le32_at(8 + 40), 0xa0b0c0d0); /* CDW10 */
}

/* CapsuleCmd without data: PDO 0, PLEN HLEN plus the header digest. */
static void test_capsule_cmd_no_data(void)
{
	struct nvme_tcp_pdu_send p;

	start(&p, 0x04);
	fill_sqe(&p, 4096, 0x5a);
	build(&p, &g_plain, NULL, 0);
	CU_ASSERT_EQUAL(g_out_count, 1);
	expect_common(0x04, 0, 72, 0, 72);
	expect_sqe(4096, 0x5a);

	/* Data digest negotiated, no data: DDGSTF stays clear (no data, no data digest). */
	build(&p, &g_both, NULL, 0);
	CU_ASSERT_EQUAL(g_out_count, 2);
	expect_common(0x04, HDGSTF, 72, 0, 76);
	expect_sqe(4096, 0x5a);
	expect_hdgst(72);
}

/* CapsuleCmd with in-capsule data: the data at PDO, right after the header (and digest). */
static void test_capsule_cmd_in_capsule_data(void)
{
	struct nvme_tcp_pdu_send p;
	struct iovec data[3];
	int n = three_pieces(data, 5, 100);

	start(&p, 0x04);
	fill_sqe(&p, 100, 0x01);
	build(&p, &g_plain, data, n);
	expect_common(0x04, 0, 72, 72, 172);
	expect_sqe(100, 0x01);
	expect_data(72, 5, 100, false);
	expect_data_in_place(data, n);

	build(&p, &g_both, data, n);
	expect_common(0x04, HDGSTF | DDGSTF, 72, 76, 76 + 100 + 4);
	expect_hdgst(72);
	expect_data(76, 5, 100, true);
	expect_data_in_place(data, n);
}

/* CPDA 3: data aligned to 16 bytes, zero padding between the header digest and PDO. */
static void test_capsule_cmd_padded(void)
{
	const struct nvme_tcp_digests cpda3 = {.hdgst = true, .ddgst = true, .pda = 3};
	const struct nvme_tcp_digests cpda31 = {.pda = 31};
	struct nvme_tcp_pdu_send p;
	struct iovec data[3];
	int n = three_pieces(data, 0, 64);

	start(&p, 0x04);
	fill_sqe(&p, 64, 0x01);
	build(&p, &cpda3, data, n);
	expect_common(0x04, HDGSTF | DDGSTF, 72, 80, 80 + 64 + 4);
	expect_hdgst(72);
	expect_zero(76, 80);
	expect_data(80, 0, 64, true);

	/* CPDA 2 and 4: 12 and 20 bytes, no power of two; 72 is a multiple of 12, 80 of 20. */
	const struct nvme_tcp_digests cpda2 = {.pda = 2};
	const struct nvme_tcp_digests cpda4_hd = {.hdgst = true, .pda = 4};

	build(&p, &cpda2, data, n);
	expect_common(0x04, 0, 72, 72, 72 + 64);
	expect_data(72, 0, 64, false);
	build(&p, &cpda4_hd, data, n);
	expect_common(0x04, HDGSTF, 72, 80, 80 + 64);
	expect_hdgst(72);
	expect_data(80, 0, 64, false);

	/* The largest alignment, 128 bytes, without digests. */
	build(&p, &cpda31, data, n);
	expect_common(0x04, 0, 72, 128, 128 + 64);
	expect_zero(72, 128);
	expect_data(128, 0, 64, false);
}

/* H2CData: CCCID 8, TTAG 10, DATAO 12, DATAL 16; LAST_PDU kept. */
static void test_h2c_data(void)
{
	const struct nvme_tcp_digests cpda7 = {.hdgst = true, .ddgst = true, .pda = 7};
	struct nvme_tcp_pdu_send p;
	struct iovec data[3];
	int n = three_pieces(data, 200, 300);

	start(&p, 0x06);
	p.hdr.raw[CH_FLAGS] = LAST_PDU;
	p.hdr.data.cccid = 0x0102;
	p.hdr.data.ttag = 0x0304;
	p.hdr.data.datao = 200;
	build(&p, &g_plain, data, n);
	expect_common(0x06, LAST_PDU, 24, 24, 24 + 300);
	CU_ASSERT_EQUAL(le16_at(8), 0x0102);
	CU_ASSERT_EQUAL(le16_at(10), 0x0304);
	CU_ASSERT_EQUAL(le32_at(12), 200);
	CU_ASSERT_EQUAL(le32_at(16), 300);
	expect_zero(20, 24);
	expect_data(24, 200, 300, false);
	expect_data_in_place(data, n);

	/* HPDA 2 (12 bytes, no power of two): PDO 24, a multiple of 12; it was 32. */
	const struct nvme_tcp_digests pda2 = {.pda = 2};

	build(&p, &pda2, data, n);
	expect_common(0x06, LAST_PDU, 24, 24, 24 + 300);
	expect_data(24, 200, 300, false);

	/* CPDA 7: PDO 32, after the header digest and four bytes of padding. */
	build(&p, &cpda7, data, n);
	expect_common(0x06, LAST_PDU | HDGSTF | DDGSTF, 24, 32, 32 + 300 + 4);
	CU_ASSERT_EQUAL(le32_at(16), 300);
	expect_hdgst(24);
	expect_zero(28, 32);
	expect_data(32, 200, 300, true);
}

/* C2HData, as a target sends it: SUCCESS and LAST_PDU kept beside the digest flags. */
static void test_c2h_data(void)
{
	const struct nvme_tcp_digests hd_only = {.hdgst = true, .pda = 0};
	struct nvme_tcp_pdu_send p;
	struct iovec data = {.iov_base = g_data, .iov_len = 40};

	start(&p, 0x07);
	p.hdr.raw[CH_FLAGS] = LAST_PDU | SUCCESS;
	p.hdr.data.cccid = 9;
	p.hdr.data.datao = 0;
	build(&p, &hd_only, &data, 1);
	expect_common(0x07, LAST_PDU | SUCCESS | HDGSTF, 24, 28, 28 + 40);
	CU_ASSERT_EQUAL(le16_at(8), 9);
	CU_ASSERT_EQUAL(le32_at(16), 40);
	expect_hdgst(24);
	expect_data(28, 0, 40, false);
}

/* CapsuleResp and R2T: never data, a header digest when negotiated. */
static void test_capsule_resp_and_r2t(void)
{
	struct nvme_tcp_pdu_send p;

	start(&p, 0x05);
	p.hdr.resp.cqe.cid = 0x0777;
	p.hdr.resp.cqe.status = 0x0002;
	build(&p, &g_both, NULL, 0);
	expect_common(0x05, HDGSTF, 24, 0, 28);
	CU_ASSERT_EQUAL(le16_at(8 + 12), 0x0777); /* CQE DW3: CID */
	CU_ASSERT_EQUAL(le16_at(8 + 14), 0x0002); /* CQE DW3: status */
	expect_hdgst(24);

	start(&p, 0x09);
	p.hdr.r2t.cccid = 5;
	p.hdr.r2t.ttag = 6;
	p.hdr.r2t.r2to = 4096;
	p.hdr.r2t.r2tl = 8192;
	build(&p, &g_plain, NULL, 0);
	expect_common(0x09, 0, 24, 0, 24);
	CU_ASSERT_EQUAL(le16_at(8), 5);
	CU_ASSERT_EQUAL(le16_at(10), 6);
	CU_ASSERT_EQUAL(le32_at(12), 4096);
	CU_ASSERT_EQUAL(le32_at(16), 8192);
}

/*
 * H2CTermReq and C2HTermReq: FES at 8, FEI at 10, the offending header right
 * after the 24-byte header (PDO 0), up to 128 bytes; never a digest.
 */
static void test_term_req(void)
{
	struct nvme_tcp_pdu_send p;
	struct iovec hdr = {.iov_base = g_data, .iov_len = 72};
	struct iovec too_long = {.iov_base = g_data, .iov_len = 129};

	for (uint8_t type = 0x02; type <= 0x03; type++) {
		start(&p, type);
		p.hdr.term.fes = 0x0001;
		p.hdr.term.fei = 3;
		build(&p, &g_both, &hdr, 1);
		CU_ASSERT_EQUAL(g_out_count, 2);
		expect_common(type, 0, 24, 0, 24 + 72);
		CU_ASSERT_EQUAL(le16_at(8), 0x0001);
		CU_ASSERT_EQUAL(le32_at(10), 3);
		expect_zero(14, 24);
		expect_data(24, 0, 72, false);

		hdr.iov_len = 128;
		build(&p, &g_plain, &hdr, 1);
		expect_common(type, 0, 24, 0, 24 + 128);
		CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_plain, &too_long, 1, g_out, 8), -EINVAL);

		/* A TermReq for a connection that never got a header: no data at all. */
		build(&p, &g_plain, NULL, 0);
		expect_common(type, 0, 24, 0, 24);
		hdr.iov_len = 72;
	}
}

/* Digest flags say what this build carries, whatever the caller (or an earlier build) set. */
static void test_digest_flags_follow_negotiation(void)
{
	struct nvme_tcp_pdu_send p;
	struct iovec data = {.iov_base = g_data, .iov_len = 16};

	start(&p, 0x06);
	p.hdr.raw[CH_FLAGS] = HDGSTF | DDGSTF | LAST_PDU;
	build(&p, &g_plain, &data, 1);
	expect_common(0x06, LAST_PDU, 24, 24, 24 + 16);

	start(&p, 0x02);
	p.hdr.raw[CH_FLAGS] = HDGSTF | DDGSTF;
	build(&p, &g_both, &data, 1);
	expect_common(0x02, 0, 24, 0, 24 + 16);
}

/* Data PDUs must carry data; PDUs without a data section take none; a PDA above 31 is not one. */
static void test_refused(void)
{
	const struct nvme_tcp_digests pda32 = {.pda = 32};
	struct nvme_tcp_pdu_send p;
	struct iovec one = {.iov_base = g_data, .iov_len = 1};

	start(&p, 0x06);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_plain, NULL, 0, g_out, 8), -EINVAL);
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &pda32, &one, 1, g_out, 8), -EINVAL);
	/* Room for the header, its digest, padding, the data and its digest: 5. */
	CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_both, &one, 1, g_out, 4), -ENOBUFS);
	for (uint8_t type = 0x00; type <= 0x09; type++) {
		if (type == 0x00 || type == 0x01 || type == 0x05 || type == 0x09) {
			start(&p, type);
			CU_ASSERT_EQUAL(nvme_tcp_pdu_build(&p, &g_plain, &one, 1, g_out, 8),
					-EINVAL);
		}
	}
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_hlen_of_every_type),
		UT_TEST(test_icreq),
		UT_TEST(test_icresp),
		UT_TEST(test_capsule_cmd_no_data),
		UT_TEST(test_capsule_cmd_in_capsule_data),
		UT_TEST(test_capsule_cmd_padded),
		UT_TEST(test_h2c_data),
		UT_TEST(test_c2h_data),
		UT_TEST(test_capsule_resp_and_r2t),
		UT_TEST(test_term_req),
		UT_TEST(test_digest_flags_follow_negotiation),
		UT_TEST(test_refused),
	};

	for (size_t i = 0; i < sizeof(g_data); i++) {
		g_data[i] = (uint8_t)(i * 29 + 7);
	}
	return UT_RUN("nvme_tcp_pdu_build", tests);
}
