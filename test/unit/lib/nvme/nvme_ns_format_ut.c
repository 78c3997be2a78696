/* SPDX-License-Identifier: BSD-3-Clause */
/* The LBA format parser alone: Identify Namespace tables in, format or refusal out. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_internal.h"
#include "ut.h"

/* One row: what Identify Namespace says, and what the parser must make of it. */
struct format_case {
	uint8_t nlbaf;
	uint8_t flbas;
	uint8_t dps;
	struct usk_nvme_lbaf lbaf[20]; /* the formats that matter to the row */
	int rc;
	struct nvme_ns_format want;
	const char *why; /* the refusal's text, for rc -ENOTSUP */
};

static const struct format_case g_cases[] = {
	/* 512-byte blocks, no metadata: the plain case. */
	{.lbaf = {{.lbads = 9}}, .want = {.data_size = 512, .data_shift = 9, .sector_size = 512}},
	/* Format 1 of two: 4 KiB + 8 bytes, separate (FLBAS bit 4 clear). */
	{.nlbaf = 1,
	 .flbas = 1,
	 .lbaf = {{.lbads = 9}, {.ms = 8, .lbads = 12}},
	 .want = {.lbaf = 1,
		  .data_size = 4096,
		  .data_shift = 12,
		  .md_size = 8,
		  .sector_size = 4096}},
	/* The same, extended: the data buffer carries 4096 + 8 bytes a block. */
	{.nlbaf = 1,
	 .flbas = 1 | USK_NVME_NS_FLBAS_EXTENDED,
	 .lbaf = {{.lbads = 9}, {.ms = 8, .lbads = 12}},
	 .want = {.lbaf = 1,
		  .data_size = 4096,
		  .data_shift = 12,
		  .md_size = 8,
		  .sector_size = 4104,
		  .extended = true}},
	/* PI type 1 in the first bytes of 16 bytes of separate metadata. */
	{.nlbaf = 0,
	 .flbas = 0,
	 .dps = 1 | USK_NVME_NS_DPS_PIP,
	 .lbaf = {{.ms = 16, .lbads = 9}},
	 .want = {.data_size = 512,
		  .data_shift = 9,
		  .md_size = 16,
		  .sector_size = 512,
		  .pi_type = 1,
		  .pi_first = true}},
	/* PI type 3, extended, last 8 bytes. */
	{.flbas = USK_NVME_NS_FLBAS_EXTENDED,
	 .dps = 3,
	 .lbaf = {{.ms = 8, .lbads = 9}},
	 .want = {.data_size = 512,
		  .data_shift = 9,
		  .md_size = 8,
		  .sector_size = 520,
		  .extended = true,
		  .pi_type = 3}},
	/* FLBAS bit 4 without metadata is no extended LBA. */
	{.flbas = USK_NVME_NS_FLBAS_EXTENDED,
	 .lbaf = {{.lbads = 12}},
	 .want = {.data_size = 4096, .data_shift = 12, .sector_size = 4096}},
	/* Format 17: bits 6:5 of FLBAS are the index's bits 5:4. */
	{.nlbaf = 19,
	 .flbas = 1 | 1u << 5,
	 .lbaf = {[17] = {.ms = 8, .lbads = 12}},
	 .want = {.lbaf = 17,
		  .data_size = 4096,
		  .data_shift = 12,
		  .md_size = 8,
		  .sector_size = 4096}},
	/* Refused: blocks of 8 KiB. */
	{.lbaf = {{.lbads = 13}},
	 .rc = -ENOTSUP,
	 .want = {.data_size = 8192, .data_shift = 13, .sector_size = 8192},
	 .why = "LBA format 0 (LBADS 13, MS 0): USK serves blocks of 512 to 4096 bytes"},
	/* Refused: PI in 4 bytes of metadata. */
	{.dps = 2,
	 .lbaf = {{.ms = 4, .lbads = 9}},
	 .rc = -ENOTSUP,
	 .want = {.data_size = 512,
		  .data_shift = 9,
		  .md_size = 4,
		  .sector_size = 512,
		  .pi_type = 2},
	 .why = "LBA format 0 (LBADS 9, MS 4, separate, PI type 2 last): protection "
		"information needs at least 8 bytes of metadata"},
	/* Refused: a PI type the spec does not define. */
	{.dps = 5,
	 .lbaf = {{.ms = 8, .lbads = 9}},
	 .rc = -ENOTSUP,
	 .want = {.data_size = 512,
		  .data_shift = 9,
		  .md_size = 8,
		  .sector_size = 512,
		  .pi_type = 5},
	 .why = "LBA format 0 (LBADS 9, MS 8, separate, PI type 5 last): no such protection "
		"information type"},
	/* Refused: FLBAS names format 2 of a table of two. */
	{.nlbaf = 1,
	 .flbas = 2,
	 .lbaf = {{.lbads = 9}, {.lbads = 12}, {.lbads = 9}},
	 .rc = -ENOTSUP,
	 .want = {.lbaf = 2, .data_size = 512, .data_shift = 9, .sector_size = 512},
	 .why = "LBA format 2 (LBADS 9, MS 0): FLBAS names a format beyond NLBAF"},
};

/* Field by field: the struct's padding is not the parser's to set. */
static bool format_equal(const struct nvme_ns_format *a, const struct nvme_ns_format *b)
{
	return a->lbaf == b->lbaf && a->data_size == b->data_size &&
	       a->data_shift == b->data_shift && a->md_size == b->md_size &&
	       a->sector_size == b->sector_size && a->extended == b->extended &&
	       a->pi_type == b->pi_type && a->pi_first == b->pi_first;
}

static void test_format_table(void)
{
	static struct usk_nvme_ns_data nd;

	for (size_t i = 0; i < USK_COUNTOF(g_cases); i++) {
		const struct format_case *c = &g_cases[i];
		struct nvme_ns_format got;
		char why[NVME_NS_WHY_LEN];

		memset(&nd, 0, sizeof(nd));
		nd.nlbaf = c->nlbaf;
		nd.flbas = c->flbas;
		nd.dps = c->dps;
		memcpy(nd.lbaf, c->lbaf, sizeof(c->lbaf));
		CU_ASSERT_EQUAL(nvme_ns_format_parse(&nd, &got, why, sizeof(why)), c->rc);
		CU_ASSERT_TRUE(format_equal(&got, &c->want));
		CU_ASSERT_STRING_EQUAL(why, c->rc == 0 ? "" : c->why);
	}
}

/* A short buffer gets a cut message, never an overrun. */
static void test_format_why_truncated(void)
{
	static struct usk_nvme_ns_data nd;
	struct nvme_ns_format got;
	char why[12];

	memset(&nd, 0, sizeof(nd));
	nd.lbaf[0].lbads = 14;
	CU_ASSERT_EQUAL(nvme_ns_format_parse(&nd, &got, why, sizeof(why)), -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(why, "LBA format ");
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_format_table),
		UT_TEST(test_format_why_truncated),
	};

	return UT_RUN("nvme_ns_format", tests);
}
