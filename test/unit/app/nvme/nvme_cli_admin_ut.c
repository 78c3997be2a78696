/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme's admin commands (nvme_cli_admin.c) against the NVMe controller model. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme_cli.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"

static struct nvme_model *g_model;
static struct nvme_cli g_cli;

static void setup(const struct nvme_model_opts *mo)
{
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	g_cli = (struct nvme_cli){.nsid = 1};
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_cli.ctrlr), 0);
}

static void teardown(void)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(g_cli.ctrlr), 0);
	nvme_model_destroy(g_model);
}

/* Runs @cmd with stdout sent to a file; returns what it printed (free it) and its status. */
static char *run_captured(int (*cmd)(struct nvme_cli *), int *rc)
{
	FILE *out = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *text = calloc(1, 65536);
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	fflush(stdout);
	CU_ASSERT_NOT_EQUAL_FATAL(dup2(fileno(out), STDOUT_FILENO), -1);
	*rc = cmd(&g_cli);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(out);
	len = fread(text, 1, 65535, out);
	text[len] = '\0';
	fclose(out);
	return text;
}

/*
 * fw-log -o json writes the slots' revisions as JSON strings, escaped:
 * before, they were printed between quotes as they came, so a revision
 * holding a quote, a backslash or a control byte made invalid JSON.
 */
static void test_fw_log_json_escapes_revisions(void)
{
	struct nvme_model_opts mo;
	struct usk_json_val *doc = NULL;
	char err[128];
	char *text;
	int rc;

	nvme_model_opts_init(&mo);
	memcpy(mo.frs[0], "1.0\"x\\y", 8);
	memcpy(mo.frs[1], "a\tb\nc\x01", 6);
	memcpy(mo.frs[2], "PLAIN   ", 8);
	mo.frs[0][7] = 'z';
	setup(&mo);
	g_cli.verb = NVME_CLI_FW_LOG;
	g_cli.json = true;
	text = run_captured(nvme_cli_fw_log, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &doc, err, sizeof(err)), 0);
	if (doc != NULL) {
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs1")),
				       "1.0\"x\\yz");
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs2")),
				       "a\tb\nc\x01");
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs3")), "PLAIN");
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs7")), "");
	}
	usk_json_val_free(doc);
	free(text);
	teardown();
}

/*
 * fw-log -o json writes a revision that is not UTF-8 with U+FFFD for each
 * byte that starts no character: before, the JSON writer refused it and
 * fw-log failed with "cannot build the JSON output".
 */
static void test_fw_log_json_revision_not_utf8(void)
{
	struct nvme_model_opts mo;
	struct usk_json_val *doc = NULL;
	char err[128];
	char *text;
	int rc;

	nvme_model_opts_init(&mo);
	memcpy(mo.frs[0], "1.\xff\xc3\xa9", 5);
	setup(&mo);
	g_cli.verb = NVME_CLI_FW_LOG;
	g_cli.json = true;
	text = run_captured(nvme_cli_fw_log, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &doc, err, sizeof(err)), 0);
	if (doc != NULL) {
		CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(doc, "frs1")),
				       "1.\uFFFD\u00e9");
	}
	usk_json_val_free(doc);
	free(text);
	teardown();
}

/*
 * A model of 20 LBA formats, namespace 1 created in format 17: format 0
 * has LBADS @lbads0, 1 to 16 are of 512 bytes with metadata, 17 of 4096
 * bytes without, 18 of 4096 with 8 bytes, 19 of 512 without.
 */
static void setup_upper_formats(uint8_t lbads0)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.nlbaf = 20;
	mo.lbaf[0] = (struct nvme_model_lbaf){.lbads = lbads0};
	for (int i = 1; i <= 16; i++) {
		mo.lbaf[i] = (struct nvme_model_lbaf){.lbads = 9, .ms = 8};
	}
	mo.lbaf[17] = (struct nvme_model_lbaf){.lbads = 12};
	mo.lbaf[18] = (struct nvme_model_lbaf){.lbads = 12, .ms = 8};
	mo.lbaf[19] = (struct nvme_model_lbaf){.lbads = 9};
	mo.ns_format[0].lbaf = 17;
	setup(&mo);
	g_cli.verb = NVME_CLI_FORMAT;
	g_cli.force = true;
}

/* Runs format; its exit status, with what the driver now reads of namespace 1. */
static int run_format(uint32_t *block_size, uint32_t *md_size)
{
	struct usk_nvme_ns *ns;
	char *text;
	int rc;

	text = run_captured(nvme_cli_format, &rc);
	free(text);
	ns = usk_nvme_ctrlr_get_ns(g_cli.ctrlr, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	*block_size = usk_nvme_ns_get_block_size(ns);
	*md_size = usk_nvme_ns_get_md_size(ns);
	return rc;
}

/*
 * format -b looks through every LBA format NLBAF gives, up to 64, as
 * nvme-cli does: before, it stopped at format 15, so a namespace whose
 * only 4096-byte format without metadata is format 17 got "no LBA format
 * of that size" (exit 2).
 */
static void test_format_block_size_finds_upper_formats(void)
{
	uint32_t bs;
	uint32_t ms;

	setup_upper_formats(9);
	g_cli.block_size = 4096;
	CU_ASSERT_EQUAL(run_format(&bs, &ms), 0);
	CU_ASSERT_EQUAL(g_cli.lbaf, 17);
	CU_ASSERT_EQUAL(bs, 4096);
	CU_ASSERT_EQUAL(ms, 0);
	g_cli.block_size = 512;
	CU_ASSERT_EQUAL(run_format(&bs, &ms), 0);
	CU_ASSERT_EQUAL(g_cli.lbaf, 0);
	CU_ASSERT_EQUAL(bs, 512);
	teardown();
}

/*
 * A format with an LBADS of 64 or more (a device's garbage) matches no
 * block size: -b 512 finds format 19. Before, 1ull << LBADS was
 * undefined: on x86 LBADS 73 shifted by 9, so -b 512 picked format 0 and
 * the format failed (exit 1); 64 and 255 matched nothing below 16 (exit 2).
 */
static void test_format_block_size_skips_garbage_lbads(void)
{
	static const uint8_t garbage[] = {73, 64, 255};
	uint32_t bs;
	uint32_t ms;

	for (size_t i = 0; i < sizeof(garbage); i++) {
		setup_upper_formats(garbage[i]);
		g_cli.block_size = 512;
		CU_ASSERT_EQUAL(run_format(&bs, &ms), 0);
		CU_ASSERT_EQUAL(g_cli.lbaf, 19);
		CU_ASSERT_EQUAL(bs, 512);
		CU_ASSERT_EQUAL(ms, 0);
		teardown();
	}
}

/*
 * format -l 18 formats the namespace in format 18: Format NVM's CDW10
 * carries the index's upper bits (LBAFU), and the driver reads them back
 * from FLBAS bits 6:5.
 */
static void test_format_lbaf_above_15(void)
{
	uint32_t bs;
	uint32_t ms;

	setup_upper_formats(9);
	g_cli.has_lbaf = true;
	g_cli.lbaf = 18;
	CU_ASSERT_EQUAL(run_format(&bs, &ms), 0);
	CU_ASSERT_EQUAL(bs, 4096);
	CU_ASSERT_EQUAL(ms, 8);
	/* No -l: the format in use, 18, read from FLBAS. */
	g_cli.has_lbaf = false;
	g_cli.lbaf = 0;
	CU_ASSERT_EQUAL(run_format(&bs, &ms), 0);
	CU_ASSERT_EQUAL(g_cli.lbaf, 18);
	CU_ASSERT_EQUAL(ms, 8);
	teardown();
}

/* A model whose namespace 1 reports LBADS @lbads for the format it is in. */
static void setup_reported_lbads(uint8_t lbads)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.reported_lbads = lbads;
	setup(&mo);
}

/*
 * id-ns prints the block size of an LBADS up to 63 in 64 bits, and 0 for
 * one of 64 or more (a device's garbage). Before, 1u << LBADS was
 * undefined from 32 on: on x86 LBADS 40 printed 256 bytes and 70 printed 64.
 */
static void test_id_ns_garbage_lbads(void)
{
	static const struct {
		uint8_t lbads;
		const char *line;
	} cases[] = {
		{40, "lbads   : 40 (1099511627776 bytes)\n"},
		{70, "lbads   : 70 (0 bytes)\n"},
	};
	char *text;
	int rc;

	for (size_t i = 0; i < USK_COUNTOF(cases); i++) {
		setup_reported_lbads(cases[i].lbads);
		g_cli.verb = NVME_CLI_ID_NS;
		text = run_captured(nvme_cli_id_ns, &rc);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, cases[i].line));
		free(text);
		teardown();
	}
}

/* Member @key of @obj as a number (UINT64_MAX when it is not one). */
static uint64_t json_u64(const struct usk_json_val *obj, const char *key)
{
	uint64_t v = UINT64_MAX;

	CU_ASSERT_EQUAL(usk_json_decode_uint64(usk_json_object_get(obj, key), &v), 0);
	return v;
}

/*
 * list -o json gives a namespace whose LBADS is 64 or more (a device's
 * garbage) a SectorSize of 0, and so no bytes. Before, 1ull << LBADS was
 * undefined: on x86 LBADS 70 gave a SectorSize of 64.
 */
static void test_list_json_garbage_lbads(void)
{
	struct usk_json_val *doc = NULL;
	const struct usk_json_val *dev;
	char err[128];
	char *text;
	int rc;

	setup_reported_lbads(70);
	g_cli.verb = NVME_CLI_LIST;
	g_cli.json = true;
	text = run_captured(nvme_cli_list, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text, strlen(text), NULL, &doc, err, sizeof(err)), 0);
	dev = usk_json_array_get(usk_json_object_get(doc, "Devices"), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(json_u64(dev, "SectorSize"), 0);
	CU_ASSERT_EQUAL(json_u64(dev, "UsedBytes"), 0);
	CU_ASSERT_EQUAL(json_u64(dev, "PhysicalSize"), 0);
	CU_ASSERT_EQUAL(json_u64(dev, "MaximumLBA"), 2048);
	usk_json_val_free(doc);
	free(text);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_fw_log_json_escapes_revisions),
		UT_TEST(test_fw_log_json_revision_not_utf8),
		UT_TEST(test_format_block_size_finds_upper_formats),
		UT_TEST(test_format_block_size_skips_garbage_lbads),
		UT_TEST(test_format_lbaf_above_15),
		UT_TEST(test_id_ns_garbage_lbads),
		UT_TEST(test_list_json_garbage_lbads),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_cli_admin", tests);
	usk_env_fini();
	return rc;
}
