/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin commands of a connected controller (nvmf_admin.c), sent
 * straight to nvmf_admin_exec(): Identify (controller, namespace, active
 * namespace list, namespace identification descriptors; ONCS against what
 * the namespaces' bdevs can run), Get Log Page (error, SMART / health,
 * firmware slot, changed namespace list, discovery; offsets past a page's
 * end), Keep Alive, Abort and Asynchronous Event Requests (Set and Get
 * Features are nvmf_features_ut's), and
 * the statuses base 1.3/1.4 names for an opcode, a CNS, a log page or an
 * NSID the controller does not have, and for a data buffer that is not the
 * command's transfer. Each answer is read at the byte offsets the
 * specification gives, not through the code's own structures alone.
 *
 * The controller is ut_nvmf_admin.h's (and, for ONCS, a namespace over a
 * bdev of the test's own that can neither deallocate nor write zeroes).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "ut_bdev_layer.h"
#include "ut_nvmf_admin.h"

/* Identify Controller, base 1.4 5.15.2.1 and NVMe-oF 1.1 4.1 at their byte offsets. */
static void test_identify_controller(void)
{
	struct cmd *c;
	const uint8_t *cd;
	uint8_t sqes, cqes, mdts;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	cd = c->data;
	ut_assert_space_padded(cd + 4, 20, SN);
	ut_assert_space_padded(cd + 24, 40, MN);
	CU_ASSERT_EQUAL(ut_le16_at(cd, 78), 7);
	/* VER: major in 31:16, minor in 15:8; 1.3 at least (Keep Alive, NS lists). */
	CU_ASSERT_TRUE(ut_le32_at(cd, 80) >= 0x10300);
	/* CNTRLTYPE: an I/O controller. */
	CU_ASSERT_EQUAL(cd[111], 1);
	/* MDTS: 2^MDTS pages of CAP.MPSMIN (4 KiB on fabrics) is the largest transfer. */
	mdts = cd[77];
	CU_ASSERT_EQUAL(4096u << mdts, g_nvmf.opts.max_io_size);
	/* OAES bit 8: namespace attribute notices, which this controller sends. */
	CU_ASSERT_TRUE(ut_le32_at(cd, 92) & (1u << 8));
	/* SQES and CQES: required (3:0) and largest (7:4) sizes, as powers of two. */
	sqes = cd[512];
	cqes = cd[513];
	CU_ASSERT_EQUAL(1u << (sqes & 0xf), 64);
	CU_ASSERT_EQUAL(1u << (cqes & 0xf), 16);
	CU_ASSERT_TRUE((sqes >> 4) >= (sqes & 0xf));
	CU_ASSERT_TRUE((cqes >> 4) >= (cqes & 0xf));
	/* NN: the largest NSID there may be. */
	CU_ASSERT_EQUAL(ut_le32_at(cd, 516), g_subsys->max_namespaces);
	/* ONCS: Dataset Management (bit 2) and Write Zeroes (bit 3), which nvmf_io runs. */
	CU_ASSERT_EQUAL(ut_le16_at(cd, 520) & 0xc, 0xc);
	/* SGLS bits 1:0 != 0: SGLs supported, as NVMe over Fabrics requires. */
	CU_ASSERT_NOT_EQUAL(ut_le32_at(cd, 536) & 3, 0);
	/* SUBNQN at byte 768, NUL-terminated. */
	CU_ASSERT_STRING_EQUAL((const char *)cd + 768, NQN);
	/* IOCCSZ (16-byte units, the SQE included), IORCSZ (one CQE). */
	CU_ASSERT_EQUAL(ut_le32_at(cd, 1792) * 16, 64 + g_nvmf.opts.in_capsule_data_size);
	CU_ASSERT_EQUAL(ut_le32_at(cd, 1796), 1);
	/* Bytes the structure leaves reserved past the fabrics part read zero. */
	CU_ASSERT_TRUE(ut_all_zero(cd, 2048, 4096));
	free(c);
	teardown();
}

/* AERL (byte 259, 0's based) outstanding AERs are kept; one more is refused (base 5.2). */
static void test_aer_limit(void)
{
	struct cmd *c, *pending[256];
	uint32_t aerl;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	aerl = c->data[259];
	free(c);
	for (uint32_t i = 0; i <= aerl; i++) {
		/* Pending: no answer until an event. */
		CU_ASSERT_EQUAL(aer(&pending[i]), 0xffff);
	}
	CU_ASSERT_EQUAL(aer(&c), UT_NVME_STATUS(USK_NVME_SCT_COMMAND_SPECIFIC,
						USK_NVME_SC_ASYNC_EVENT_LIMIT_EXCEEDED));
	free(c);
	CU_ASSERT_EQUAL(g_nsent, 0);
	TAILQ_INIT(&g_ctrlr.aers);
	g_ctrlr.naers = 0;
	for (uint32_t i = 0; i <= aerl; i++) {
		free(pending[i]);
	}
	teardown();
}

/* Identify Namespace, NVM command set 1.0 4.1.5.1 (base 1.4 5.15.2.2). */
static void test_identify_namespace(void)
{
	struct cmd *c;
	const uint8_t *nd;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, 3), UT_NVME_OK);
	nd = c->data;
	/* NSZE, NCAP, NUSE in blocks. */
	CU_ASSERT_EQUAL(ut_le64_at(nd, 0), M4K_BLOCKS);
	CU_ASSERT_EQUAL(ut_le64_at(nd, 8), M4K_BLOCKS);
	CU_ASSERT_TRUE(ut_le64_at(nd, 16) <= M4K_BLOCKS);
	/* FLBAS picks a format that NLBAF (0's based) has; its LBADS is 2^12. */
	CU_ASSERT_TRUE((nd[26] & 0xf) <= nd[25]);
	CU_ASSERT_EQUAL(nd[128 + 4 * (nd[26] & 0xf) + 2], 12);
	/* MS: no metadata. */
	CU_ASSERT_EQUAL(ut_le16_at(nd, 128 + 4 * (nd[26] & 0xf)), 0);
	/* NGUID (bytes 119:104): the namespace's UUID. */
	CU_ASSERT_EQUAL(memcmp(nd + 104, g_uuid3.u, 16), 0);
	free(c);

	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, 1), UT_NVME_OK);
	CU_ASSERT_EQUAL(ut_le64_at(c->data, 0), M512_BLOCKS);
	CU_ASSERT_EQUAL(c->data[128 + 4 * (c->data[26] & 0xf) + 2], 9);
	free(c);

	/* An inactive NSID (base 6.1.5): a zero-filled structure. */
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, 2), UT_NVME_OK);
	CU_ASSERT_TRUE(ut_all_zero(c->data, 0, 4096));
	free(c);
	/* NSID 0, one past NN, and FFFFFFFFh without namespace management: invalid. */
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, 0), UT_NVME_INVALID_NS);
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, g_subsys->max_namespaces + 1),
			UT_NVME_INVALID_NS);
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, 0xffffffffu), UT_NVME_INVALID_NS);
	free(c);
	teardown();
}

/* CNS 02h: active NSIDs greater than the command's NSID, increasing, zero after the last. */
static void test_identify_active_namespace_list(void)
{
	struct cmd *c;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_ACTIVE_NS_LIST, 0), UT_NVME_OK);
	CU_ASSERT_EQUAL(ut_le32_at(c->data, 0), 1);
	CU_ASSERT_EQUAL(ut_le32_at(c->data, 4), 3);
	CU_ASSERT_TRUE(ut_all_zero(c->data, 8, 4096));
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_ACTIVE_NS_LIST, 1), UT_NVME_OK);
	CU_ASSERT_EQUAL(ut_le32_at(c->data, 0), 3);
	CU_ASSERT_TRUE(ut_all_zero(c->data, 4, 4096));
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_ACTIVE_NS_LIST, 3), UT_NVME_OK);
	CU_ASSERT_TRUE(ut_all_zero(c->data, 0, 4096));
	free(c);
	/* FFFFFFFEh and FFFFFFFFh: Invalid Namespace or Format. */
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_ACTIVE_NS_LIST, 0xfffffffeu), UT_NVME_INVALID_NS);
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_ACTIVE_NS_LIST, 0xffffffffu), UT_NVME_INVALID_NS);
	free(c);
	teardown();
}

/*
 * CNS 03h: descriptors of NIDT, NIDL, two reserved bytes and NIDL bytes of
 * identifier, up to one of type 0; an NGUID there is Identify Namespace's.
 */
static void test_identify_namespace_descriptors(void)
{
	struct cmd *c;
	size_t off = 0;
	int nguids = 0, uuids = 0;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NS_ID_DESCRIPTORS, 3), UT_NVME_OK);
	while (off + 4 <= 4096 && c->data[off] != 0) {
		uint8_t nidt = c->data[off], nidl = c->data[off + 1];

		if (nidt == USK_NVME_NIDT_NGUID) {
			CU_ASSERT_EQUAL(nidl, 16);
			CU_ASSERT_EQUAL(memcmp(c->data + off + 4, g_uuid3.u, 16), 0);
			nguids++;
		} else if (nidt == USK_NVME_NIDT_UUID) {
			CU_ASSERT_EQUAL(nidl, 16);
			CU_ASSERT_EQUAL(memcmp(c->data + off + 4, g_uuid3.u, 16), 0);
			uuids++;
		}
		off += 4 + nidl;
	}
	CU_ASSERT_EQUAL(nguids, 1);
	CU_ASSERT_EQUAL(uuids, 1);
	CU_ASSERT_TRUE(ut_all_zero(c->data, off, 4096));
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NS_ID_DESCRIPTORS, 2), UT_NVME_INVALID_NS);
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NS_ID_DESCRIPTORS, 0), UT_NVME_INVALID_NS);
	free(c);
	teardown();
}

/* A CNS this controller does not have: Invalid Field in Command. */
static void test_identify_unknown_cns(void)
{
	struct cmd *c;

	setup();
	/* CNS 10h: allocated namespace list, namespace management only. */
	CU_ASSERT_EQUAL(identify(&c, 0x10, 0), INVALID_FIELD);
	free(c);
	CU_ASSERT_EQUAL(identify(&c, 0xff, 0), INVALID_FIELD);
	free(c);
	teardown();
}

/* Error (01h), SMART / health (02h) at base 1.4 5.14.1.2 offsets; unknown LIDs refused. */
static void test_log_pages(void)
{
	struct cmd *c;

	setup();
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_ERROR, 4 * 64, 0), UT_NVME_OK);
	/* No error: every entry's error count (bytes 7:0) is 0, an empty entry. */
	CU_ASSERT_TRUE(ut_all_zero(c->data, 0, 4 * 64));
	free(c);

	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_HEALTH, 512, 0), UT_NVME_OK);
	/* Critical warning clear, a composite temperature in Kelvin above 0 degrees C. */
	CU_ASSERT_EQUAL(c->data[0], 0);
	CU_ASSERT_TRUE(ut_le16_at(c->data, 1) > 273);
	/* Available spare and its threshold: percentages, the spare not below the threshold. */
	CU_ASSERT_TRUE(c->data[3] <= 100 && c->data[4] <= 100);
	CU_ASSERT_TRUE(c->data[3] >= c->data[4]);
	free(c);

	/* A read from an offset is those bytes of the page. */
	{
		struct cmd *whole, *part;

		CU_ASSERT_EQUAL(get_log(&whole, USK_NVME_LOG_HEALTH, 512, 0), UT_NVME_OK);
		CU_ASSERT_EQUAL(get_log(&part, USK_NVME_LOG_HEALTH, 8, 0), UT_NVME_OK);
		CU_ASSERT_EQUAL(memcmp(part->data, whole->data, 8), 0);
		free(part);
		free(whole);
	}

	/* Commands Supported and Effects (05h) is optional (LPA bit 1); 0xC0 is vendor's. */
	CU_ASSERT_EQUAL(get_log(&c, 0x05, 4096, 0), INVALID_LOG);
	free(c);
	CU_ASSERT_EQUAL(get_log(&c, 0xc0, 512, 0), INVALID_LOG);
	free(c);
	/* The discovery log is a discovery controller's only. */
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_DISCOVERY, 1024, 0), INVALID_LOG);
	free(c);
	/*
	 * SMART / health for one namespace, where LPA bit 0 says there is no
	 * such log: Invalid Field in Command (base 1.4 5.14.1.2); NSID 0h and
	 * FFFFFFFFh both ask for the controller's.
	 */
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	CU_ASSERT_EQUAL(c->data[261] & 1, 0);
	free(c);
	CU_ASSERT_EQUAL(get_log_ns(&c, 1, USK_NVME_LOG_HEALTH, 512, 0), INVALID_FIELD);
	free(c);
	CU_ASSERT_EQUAL(get_log_ns(&c, 0, USK_NVME_LOG_HEALTH, 512, 0), UT_NVME_OK);
	free(c);
	/* A Log Page Offset not a multiple of four: Invalid Field in Command. */
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_HEALTH, 8, 2), INVALID_FIELD);
	free(c);
	teardown();
}

/*
 * A Log Page Offset past the last byte of the page (base 1.4 5.14, LPOL:
 * "larger than the size of the log page"): Invalid Field in Command; the
 * last dword of each page still reads. The Error Information log has
 * ELPE + 1 entries of 64 bytes (Identify byte 262).
 */
static void test_log_page_offset_past_the_end(void)
{
	struct {
		uint8_t lid;
		uint64_t size;
	} logs[] = {{USK_NVME_LOG_ERROR, 0},
		    {USK_NVME_LOG_HEALTH, 512},
		    {USK_NVME_LOG_CHANGED_NS, 4096}};
	struct cmd *c;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	logs[0].size = (c->data[262] + 1u) * 64;
	free(c);
	for (size_t i = 0; i < USK_COUNTOF(logs); i++) {
		CU_ASSERT_EQUAL(get_log(&c, logs[i].lid, 4, logs[i].size - 4), UT_NVME_OK);
		free(c);
		CU_ASSERT_EQUAL(get_log(&c, logs[i].lid, 4, logs[i].size), INVALID_FIELD);
		free(c);
		/* LPOU counts too: 2^32 is no offset into a page of 4 KiB. */
		CU_ASSERT_EQUAL(get_log(&c, logs[i].lid, 4, 1ull << 32), INVALID_FIELD);
		free(c);
	}
	teardown();
}

/*
 * Firmware Slot Information (03h), a log every controller has (base 1.4
 * 5.14.1.3, Figure 191: mandatory): AFI names the active slot, one of the
 * 1 to 7 slots FRMW (Identify byte 260, bits 3:1) says there are, and that
 * slot's revision is Identify's FR; the log is 512 bytes.
 */
static void test_firmware_slot_log(void)
{
	struct cmd *c;
	uint8_t fr[8], slots, active;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	memcpy(fr, c->data + 64, sizeof(fr));
	slots = (c->data[260] >> 1) & 7;
	free(c);
	CU_ASSERT_TRUE(slots >= 1);
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_FIRMWARE_SLOT, 512, 0), UT_NVME_OK);
	active = c->data[0] & 7;
	CU_ASSERT_TRUE(active >= 1 && active <= slots);
	if (active >= 1 && active <= 7) {
		CU_ASSERT_EQUAL(memcmp(c->data + 8 * active, fr, sizeof(fr)), 0);
	}
	free(c);
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_FIRMWARE_SLOT, 4, 512), INVALID_FIELD);
	free(c);
	teardown();
}

/*
 * The buffer a command's SGL gives must be its transfer exactly, as SGLS bit
 * 18 clear says (base 1.4 5.15.2.1): Identify moves 4096 bytes, Get Log Page
 * NUMD + 1 dwords; a shorter or longer one is Data SGL Length Invalid, not
 * a page cut short or one written past what the host asked for.
 */
static void test_data_length_not_the_transfer(void)
{
	struct cmd *c;

	setup();
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	CU_ASSERT_EQUAL(ut_le32_at(c->data, 536) & (1u << 18), 0);
	free(c);
	c = cmd_new(USK_NVME_OPC_IDENTIFY, 0, USK_NVME_CNS_CONTROLLER, 0, 1024);
	CU_ASSERT_EQUAL(run(c), LENGTH_INVALID);
	free(c);
	c = cmd_new(USK_NVME_OPC_IDENTIFY, 1, USK_NVME_CNS_NAMESPACE, 0, 8192);
	CU_ASSERT_EQUAL(run(c), LENGTH_INVALID);
	free(c);
	CU_ASSERT_EQUAL(get_log_buf(&c, 0xffffffffu, USK_NVME_LOG_HEALTH, 512, 0, 256),
			LENGTH_INVALID);
	free(c);
	CU_ASSERT_EQUAL(get_log_buf(&c, 0xffffffffu, USK_NVME_LOG_HEALTH, 8, 0, 512),
			LENGTH_INVALID);
	free(c);
	teardown();
}

/*
 * A bdev that cannot deallocate or write zeroes, as an aio bdev made without
 * fallocate: what a namespace over it answers Identify with. No I/O is sent.
 */
static const struct usk_bdev_module g_plain_module = {.name = "plain"};
static struct usk_bdev g_plain;

static void plain_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	CU_FAIL("an I/O reached the plain bdev");
}

static bool plain_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return type != USK_BDEV_IO_TYPE_UNMAP && type != USK_BDEV_IO_TYPE_WRITE_ZEROES;
}

static struct usk_io_channel *plain_get_io_channel(void *ctxt)
{
	return NULL;
}

static const struct usk_bdev_fn_table g_plain_fn = {
	.submit_request = plain_submit,
	.io_type_supported = plain_io_type_supported,
	.get_io_channel = plain_get_io_channel,
};

static void plain_add_ns_msg(void *ctx)
{
	uint32_t nsid;

	g_plain = (struct usk_bdev){.name = "PLAIN",
				    .blocklen = 512,
				    .blockcnt = 64,
				    .fn_table = &g_plain_fn,
				    .module = &g_plain_module};
	CU_ASSERT_EQUAL_FATAL(usk_bdev_register(&g_plain), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(g_subsys, "PLAIN", 2, NULL, &nsid), 0);
}

/* The subsystem goes first: it closes the namespace's descriptor of the bdev. */
static void plain_teardown_msg(void *ctx)
{
	teardown_msg(ctx);
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_plain, ut_bdev_count_deleted, ctx), 0);
}

/*
 * ONCS (Identify byte 520) is the controller's word for all its namespaces:
 * a host sends Dataset Management (bit 2) and Write Zeroes (bit 3) to any of
 * them, so neither is claimed while a namespace's bdev cannot run it (it
 * would answer Invalid Command Opcode).
 */
static void test_oncs_follows_the_namespaces(void)
{
	struct cmd *c;
	int deleted = 0;

	setup();
	ut_bdev_on_thread(g_thread, plain_add_ns_msg, NULL);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	CU_ASSERT_EQUAL(ut_le16_at(c->data, 520) & USK_NVME_ONCS_DSM, 0);
	CU_ASSERT_EQUAL(ut_le16_at(c->data, 520) & USK_NVME_ONCS_WRITE_ZEROES, 0);
	free(c);
	ut_bdev_on_thread(g_thread, plain_teardown_msg, &deleted);
	CU_ASSERT_EQUAL(deleted, 3);
}

static void test_keep_alive_and_abort(void)
{
	struct cmd *c;

	setup();
	c = cmd_new(USK_NVME_OPC_KEEP_ALIVE, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(run(c), UT_NVME_OK);
	free(c);
	/* Abort's dword 0 bit 0 set: the command was not aborted. */
	c = cmd_new(USK_NVME_OPC_ABORT, 0, 0x5 | 0x9u << 16, 0, 0);
	CU_ASSERT_EQUAL(run(c), UT_NVME_OK);
	CU_ASSERT_EQUAL(c->req.rsp.dw0 & 1, 1);
	free(c);
	teardown();
}

/* Queue creation and deletion are not a fabrics controller's (NVMe-oF 1.1 3.3); nor formats. */
static void test_unsupported_opcodes(void)
{
	static const uint8_t opcodes[] = {
		USK_NVME_OPC_DELETE_IO_SQ,
		USK_NVME_OPC_CREATE_IO_SQ,
		USK_NVME_OPC_DELETE_IO_CQ,
		USK_NVME_OPC_CREATE_IO_CQ,
		USK_NVME_OPC_DOORBELL_BUFFER_CONFIG,
		USK_NVME_OPC_FORMAT_NVM,
		0xc0,
	};

	setup();
	for (size_t i = 0; i < USK_COUNTOF(opcodes); i++) {
		struct cmd *c = cmd_new(opcodes[i], 0, 0, 0, 0);

		CU_ASSERT_EQUAL(run(c),
				UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_OPCODE));
		free(c);
	}
	teardown();
}

static void add_ns_msg(void *ctx)
{
	uint32_t nsid;

	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(g_subsys, "M512", *(uint32_t *)ctx, NULL, &nsid), 0);
}

static void add_ns(uint32_t nsid)
{
	ut_bdev_on_thread(g_thread, add_ns_msg, &nsid);
}

/* The Changed Namespace List log (04h), read with RAE clear. */
static void assert_changed_list(const uint32_t *nsids, uint32_t n)
{
	struct cmd *c;

	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_CHANGED_NS, 4096, 0), UT_NVME_OK);
	for (uint32_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ut_le32_at(c->data, 4 * i), nsids[i]);
	}
	CU_ASSERT_TRUE(ut_all_zero(c->data, 4 * n, 4096));
	free(c);
}

/*
 * A namespace added is a Namespace Attribute Changed notice (base 5.2):
 * dword 0 with type 010b (notice), information 00h, log page 04h, sent on
 * a waiting AER once AEC bit 8 asks for it; no second notice until the
 * host read the log page, which lists the NSIDs and empties on reading.
 */
static void test_namespace_attribute_notice(void)
{
	struct cmd *c;
	uint32_t dw0;
	/* Changes are listed whether or not they were reported. */
	const uint32_t first[] = {2, 4, 5};

	setup();
	CU_ASSERT_EQUAL(aer(&c), 0xffff);
	/* Not asked for: no event. */
	add_ns(2);
	CU_ASSERT_EQUAL(g_nsent, 0);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_ASYNC_EVENT_CONFIG, USK_NVME_OAES_NS_ATTR, &dw0),
			UT_NVME_OK);
	add_ns(4);
	CU_ASSERT_EQUAL_FATAL(g_nsent, 1);
	CU_ASSERT_PTR_EQUAL(g_sent[0], &c->req);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_CODE(c->req.rsp.status), UT_NVME_OK);
	CU_ASSERT_EQUAL(c->req.rsp.dw0 & 7, 2);
	CU_ASSERT_EQUAL((c->req.rsp.dw0 >> 8) & 0xff, 0);
	CU_ASSERT_EQUAL((c->req.rsp.dw0 >> 16) & 0xff, USK_NVME_LOG_CHANGED_NS);
	/* The completion carries the command's identifier. */
	CU_ASSERT_EQUAL(c->req.rsp.cid, 0x1234);

	/* Masked until the log is read: a second change waits. */
	CU_ASSERT_EQUAL(aer(&c), 0xffff);
	add_ns(5);
	CU_ASSERT_EQUAL(g_nsent, 1);
	assert_changed_list(first, USK_COUNTOF(first));
	/* Read: empty now, and the next change is news again. */
	assert_changed_list(NULL, 0);
	add_ns(6);
	CU_ASSERT_EQUAL_FATAL(g_nsent, 2);
	CU_ASSERT_PTR_EQUAL(g_sent[1], &c->req);
	CU_ASSERT_EQUAL((c->req.rsp.dw0 >> 16) & 0xff, USK_NVME_LOG_CHANGED_NS);
	teardown();
}

/* A discovery controller (NVMe-oF 1.1 5): Identify Controller and the discovery log only. */
static void discovery_setup_msg(void *ctx)
{
	g_nvmf.thread = g_thread;
	nvmf_transport_opts_default(&g_nvmf.opts);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &g_subsys), 0);
	ctrlr_init(g_subsys);
}

static void discovery_teardown_msg(void *ctx)
{
	TAILQ_REMOVE(&g_subsys->ctrlrs, &g_ctrlr, link);
	nvmf_subsystem_free(g_subsys);
}

static void test_discovery_controller(void)
{
	struct cmd *c;
	uint32_t dw0;

	ut_bdev_on_thread(g_thread, discovery_setup_msg, NULL);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	CU_ASSERT_EQUAL(c->data[111], 2);
	CU_ASSERT_STRING_EQUAL((const char *)c->data + 768, USK_NVMF_DISCOVERY_NQN);
	free(c);
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_NAMESPACE, 1), INVALID_FIELD);
	free(c);
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_DISCOVERY, 1024, 0), UT_NVME_OK);
	/* GENCTR, then NUMREC: no subsystem to list. */
	CU_ASSERT_EQUAL(ut_le64_at(c->data, 0), g_nvmf.discovery_genctr);
	CU_ASSERT_EQUAL(ut_le64_at(c->data, 8), 0);
	free(c);
	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_HEALTH, 512, 0), INVALID_LOG);
	free(c);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, 0, &dw0), INVALID_FIELD);
	/* An I/O controller's features are not a discovery controller's; Keep Alive is. */
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_VOLATILE_WRITE_CACHE, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_POWER_MANAGEMENT, 0, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_KEEP_ALIVE_TIMER, 1000, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_KEEP_ALIVE_TIMER, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 1000);
	ut_bdev_on_thread(g_thread, discovery_teardown_msg, NULL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_identify_controller),
		UT_TEST(test_aer_limit),
		UT_TEST(test_identify_namespace),
		UT_TEST(test_identify_active_namespace_list),
		UT_TEST(test_identify_namespace_descriptors),
		UT_TEST(test_identify_unknown_cns),
		UT_TEST(test_log_pages),
		UT_TEST(test_log_page_offset_past_the_end),
		UT_TEST(test_data_length_not_the_transfer),
		UT_TEST(test_firmware_slot_log),
		UT_TEST(test_oncs_follows_the_namespaces),
		UT_TEST(test_keep_alive_and_abort),
		UT_TEST(test_unsupported_opcodes),
		UT_TEST(test_namespace_attribute_notice),
		UT_TEST(test_discovery_controller),
	};

	return ut_bdev_layer_run("nvmf_admin", tests, USK_COUNTOF(tests), &g_thread);
}
