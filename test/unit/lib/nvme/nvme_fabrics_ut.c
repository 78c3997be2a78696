/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The initiator's Fabrics command builders (nvme_fabrics.c): each SQE read
 * back through the spec's layout of that command (usk/nvmf_spec.h, which
 * the target parses), so every field is checked at the byte the NVMe base
 * specification (6.3, 6.5, 6.6) puts it. Sending them and waiting for the
 * answer is nvme_tcp_ut's, against a target.
 */
#include "config.h"

#include <string.h>

#include "nvme_fabrics.h"
#include "usk/util.h"
#include "ut.h"

static struct usk_nvmf_connect_cmd as_connect(struct usk_nvme_sqe sqe)
{
	struct usk_nvmf_connect_cmd c;

	memcpy(&c, &sqe, sizeof(c));
	return c;
}

static struct usk_nvmf_property_cmd as_property(struct usk_nvme_sqe sqe)
{
	struct usk_nvmf_property_cmd p;

	memcpy(&p, &sqe, sizeof(p));
	return p;
}

/* Nothing set but @keep's bytes (@count ranges of [first, end)). */
static void assert_zero_but(const void *sqe, const size_t (*keep)[2], size_t count)
{
	const uint8_t *b = sqe;

	for (size_t i = 0; i < sizeof(struct usk_nvme_sqe); i++) {
		bool kept = false;

		for (size_t k = 0; k < count; k++) {
			kept |= i >= keep[k][0] && i < keep[k][1];
		}
		if (!kept) {
			CU_ASSERT_EQUAL(b[i], 0);
		}
	}
}

/*
 * The admin queue's Connect: QID 0, SQSIZE one less than the entries,
 * the keep alive timeout; RECFMT and CATTR 0, no other byte set (the
 * transport fills the CID and the SGL).
 */
static void test_admin_connect_carries_the_keep_alive(void)
{
	static const size_t keep[][2] = {{0, 1}, {4, 5}, {40, 52}};
	struct usk_nvme_sqe sqe = nvme_fabrics_connect_cmd(0, 32, 120000);
	struct usk_nvmf_connect_cmd c = as_connect(sqe);

	CU_ASSERT_EQUAL(c.opcode, 0x7f);
	CU_ASSERT_EQUAL(c.fctype, USK_NVMF_FCTYPE_CONNECT);
	CU_ASSERT_EQUAL(c.recfmt, 0);
	CU_ASSERT_EQUAL(c.qid, 0);
	CU_ASSERT_EQUAL(c.sqsize, 31);
	CU_ASSERT_EQUAL(c.cattr, 0);
	CU_ASSERT_EQUAL(c.kato, 120000);
	assert_zero_but(&sqe, keep, USK_COUNTOF(keep));
}

/* An I/O queue's Connect: its QID and size; KATO is the admin queue's alone (0 here). */
static void test_io_connect_has_no_keep_alive(void)
{
	struct usk_nvmf_connect_cmd c = as_connect(nvme_fabrics_connect_cmd(7, 128, 120000));

	CU_ASSERT_EQUAL(c.fctype, USK_NVMF_FCTYPE_CONNECT);
	CU_ASSERT_EQUAL(c.qid, 7);
	CU_ASSERT_EQUAL(c.sqsize, 127);
	CU_ASSERT_EQUAL(c.kato, 0);
	c = as_connect(nvme_fabrics_connect_cmd(0xffff, 0xffff, 0));
	CU_ASSERT_EQUAL(c.qid, 0xffff);
	CU_ASSERT_EQUAL(c.sqsize, 0xfffe);
}

/* Property Get: ATTRIB's size code (0: 4 bytes, 1: 8 bytes) and OFST; no value. */
static void test_property_get_names_offset_and_size(void)
{
	static const size_t keep[][2] = {{0, 1}, {4, 5}, {40, 41}, {44, 48}};
	struct usk_nvme_sqe sqe = nvme_fabrics_property_get_cmd(USK_NVME_REG_CSTS, 4);
	struct usk_nvmf_property_cmd p = as_property(sqe);

	CU_ASSERT_EQUAL(p.opcode, 0x7f);
	CU_ASSERT_EQUAL(p.fctype, USK_NVMF_FCTYPE_PROPERTY_GET);
	CU_ASSERT_EQUAL(p.attrib, USK_NVMF_PROP_SIZE_4);
	CU_ASSERT_EQUAL(p.ofst, USK_NVME_REG_CSTS);
	assert_zero_but(&sqe, keep, USK_COUNTOF(keep));
	p = as_property(nvme_fabrics_property_get_cmd(USK_NVME_REG_CAP, 8));
	CU_ASSERT_EQUAL(p.attrib, USK_NVMF_PROP_SIZE_8);
	CU_ASSERT_EQUAL(p.ofst, USK_NVME_REG_CAP);
}

/* Property Set: as Get, with all 8 bytes of VALUE (the high half too). */
static void test_property_set_carries_the_value(void)
{
	static const size_t keep[][2] = {{0, 1}, {4, 5}, {40, 41}, {44, 56}};
	struct usk_nvme_sqe sqe =
		nvme_fabrics_property_set_cmd(USK_NVME_REG_CC, 8, 0x1122334455667788ull);
	struct usk_nvmf_property_cmd p = as_property(sqe);

	CU_ASSERT_EQUAL(p.opcode, 0x7f);
	CU_ASSERT_EQUAL(p.fctype, USK_NVMF_FCTYPE_PROPERTY_SET);
	CU_ASSERT_EQUAL(p.attrib, USK_NVMF_PROP_SIZE_8);
	CU_ASSERT_EQUAL(p.ofst, USK_NVME_REG_CC);
	CU_ASSERT_EQUAL(p.value, 0x1122334455667788ull);
	assert_zero_but(&sqe, keep, USK_COUNTOF(keep));
	p = as_property(nvme_fabrics_property_set_cmd(USK_NVME_REG_CC, 4, 0x00460001));
	CU_ASSERT_EQUAL(p.attrib, USK_NVMF_PROP_SIZE_4);
	CU_ASSERT_EQUAL(p.value, 0x00460001);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_admin_connect_carries_the_keep_alive),
		UT_TEST(test_io_connect_has_no_keep_alive),
		UT_TEST(test_property_get_names_offset_and_size),
		UT_TEST(test_property_set_carries_the_value),
	};

	return UT_RUN("nvme_fabrics", tests);
}
