/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme's JSON: the members nvme-cli prints, read from the right bytes
 * of structures filled in by hand, with nvme-cli's types (128-bit counters
 * as decimal strings, padded identify strings, optional members left out).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nvme_cli.h"
#include "ut.h"

static struct usk_json_val *g_doc;

/* Runs @add on a fresh document and parses what it wrote into g_doc. */
static void build(void (*add)(struct usk_json_write_ctx *w, const void *arg), const void *arg)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char *text = NULL;
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	usk_json_val_free(g_doc);
	usk_json_write_object_begin(w);
	add(w, arg);
	usk_json_write_object_end(w);
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, true, &text), 0);
	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text, strlen(text), NULL, &g_doc, err, sizeof(err)),
			      0);
	free(text);
}

static uint64_t num(const struct usk_json_val *obj, const char *key)
{
	uint64_t v = UINT64_MAX;

	CU_ASSERT_EQUAL(usk_json_decode_uint64(usk_json_object_get(obj, key), &v), 0);
	return v;
}

static const char *str(const struct usk_json_val *obj, const char *key)
{
	const char *s = usk_json_string(usk_json_object_get(obj, key));

	CU_ASSERT_PTR_NOT_NULL(s);
	return s != NULL ? s : "";
}

static void put_le(void *base, size_t offset, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		((uint8_t *)base)[offset + i] = (uint8_t)(v >> (8 * i));
	}
}

static void add_id_ctrl(struct usk_json_write_ctx *w, const void *arg)
{
	nvme_cli_json_id_ctrl(w, arg);
}

static void test_id_ctrl(void)
{
	static struct usk_nvme_ctrlr_data cd;
	uint8_t *raw = (uint8_t *)&cd;
	const struct usk_json_val *psd;

	memset(&cd, 0, sizeof(cd));
	cd.vid = 0x1b36;
	memcpy(cd.sn, "deadbeef            ", 20);
	memcpy(cd.mn, "QEMU NVMe Ctrl", 14);
	cd.ieee[0] = 0x00, cd.ieee[1] = 0x54, cd.ieee[2] = 0x52;
	cd.mdts = 7;
	cd.ver = 0x10400;
	cd.npss = 1;
	cd.sgls = 1;
	put_le(raw, 96, 0x8000, 4);		    /* ctratt */
	put_le(raw, 112, 0x0123456789abcdefull, 8); /* fguid, first half */
	put_le(raw, 266, 343, 2);		    /* wctemp */
	put_le(raw, 280, UINT64_MAX, 8);	    /* tnvmcap: 2^64 - 1 + 2^64 * 1 */
	put_le(raw, 288, 1, 8);
	put_le(raw, 560, 9, 4);		     /* maxcna */
	put_le(raw, 1804, 3, 2);	     /* ofcs */
	put_le(raw, 2048 + 32 + 0, 2500, 2); /* psd[1].mp */
	raw[2048 + 32 + 22] = 0xc2;	     /* psd[1].apws: scale 3, workload 2 */
	build(add_id_ctrl, &cd);
	CU_ASSERT_EQUAL(num(g_doc, "vid"), 0x1b36);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "sn"), "deadbeef            ");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "mn"), "QEMU NVMe Ctrl");
	CU_ASSERT_EQUAL(num(g_doc, "ieee"), 0x525400);
	CU_ASSERT_EQUAL(num(g_doc, "mdts"), 7);
	CU_ASSERT_EQUAL(num(g_doc, "ver"), 0x10400);
	CU_ASSERT_EQUAL(num(g_doc, "ctratt"), 0x8000);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "fguid"), "efcdab89-6745-2301-0000-000000000000");
	CU_ASSERT_EQUAL(num(g_doc, "wctemp"), 343);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "tnvmcap"), "36893488147419103231");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "unvmcap"), "0");
	CU_ASSERT_EQUAL(num(g_doc, "sgls"), 1);
	CU_ASSERT_EQUAL(num(g_doc, "maxcna"), 9);
	CU_ASSERT_EQUAL(num(g_doc, "ofcs"), 3);
	/* No SUBNQN: nvme-cli leaves the member out. */
	CU_ASSERT_PTR_NULL(usk_json_object_get(g_doc, "subnqn"));
	CU_ASSERT_EQUAL(usk_json_array_size(usk_json_object_get(g_doc, "psds")), 2);
	psd = usk_json_array_get(usk_json_object_get(g_doc, "psds"), 1);
	CU_ASSERT_EQUAL(num(psd, "max_power"), 2500);
	CU_ASSERT_EQUAL(num(psd, "active_power_work"), 2);
	CU_ASSERT_EQUAL(num(psd, "active_scale"), 3);
	memcpy(raw + 768, "nqn.2019-08.org.qemu:deadbeef", 29);
	build(add_id_ctrl, &cd);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "subnqn"), "nqn.2019-08.org.qemu:deadbeef");
}

/*
 * Identify strings that are not UTF-8 (a device's garbage, Latin-1, a
 * character cut by the field's width) are written with U+FFFD in place
 * of each byte that starts no well-formed character; well-formed
 * characters are kept. Before, the JSON writer refused them and the
 * whole output failed ("cannot build the JSON output").
 */
static void test_id_ctrl_strings_not_utf8(void)
{
	static struct usk_nvme_ctrlr_data cd;
	uint8_t *raw = (uint8_t *)&cd;

	memset(&cd, 0, sizeof(cd));
	memcpy(cd.sn,
	       "SN\xff\xfe"
	       "1",
	       5);
	/* Latin-1 e-acute, then UTF-8's, then an overlong '/', then a lead byte cut at the end. */
	memcpy(cd.mn, "caf\xe9 caf\xc3\xa9 \xc0\xaf", 13);
	memset(cd.mn + 13, ' ', 26);
	cd.mn[39] = (char)0xe2;
	memcpy(cd.fr,
	       "\xed\xa0\x80"
	       "1.0",
	       6); /* a UTF-16 surrogate, encoded */
	memcpy(raw + 768, "nqn.\x80x", 6);
	build(add_id_ctrl, &cd);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "sn"), "SN\uFFFD\uFFFD1");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "mn"), "caf\uFFFD caf\u00e9 \uFFFD\uFFFD"
						 "                          \uFFFD");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "fr"), "\uFFFD\uFFFD\uFFFD1.0");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "subnqn"), "nqn.\uFFFDx");
}

static void add_id_ns(struct usk_json_write_ctx *w, const void *arg)
{
	nvme_cli_json_id_ns(w, arg);
}

static void test_id_ns(void)
{
	static struct usk_nvme_ns_data nd;
	const struct usk_json_val *lbafs;

	memset(&nd, 0, sizeof(nd));
	nd.nsze = 8192;
	nd.nuse = 100;
	nd.nlbaf = 7;
	nd.flbas = 4;
	nd.lbaf[4] = (struct usk_nvme_lbaf){.ms = 8, .lbads = 12, .rp = 1};
	put_le(&nd, 92, 5, 4);			    /* anagrpid */
	put_le(&nd, 120, 0x0807060504030201ull, 8); /* eui64 */
	build(add_id_ns, &nd);
	CU_ASSERT_EQUAL(num(g_doc, "nsze"), 8192);
	CU_ASSERT_EQUAL(num(g_doc, "nuse"), 100);
	CU_ASSERT_EQUAL(num(g_doc, "flbas"), 4);
	CU_ASSERT_EQUAL(num(g_doc, "anagrpid"), 5);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "nvmcap"), "0");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "eui64"), "0102030405060708");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "nguid"), "00000000000000000000000000000000");
	/* NSFEAT bit 4 clear: no npwg..nows. */
	CU_ASSERT_PTR_NULL(usk_json_object_get(g_doc, "npwg"));
	lbafs = usk_json_object_get(g_doc, "lbafs");
	CU_ASSERT_EQUAL(usk_json_array_size(lbafs), 8);
	CU_ASSERT_EQUAL(num(usk_json_array_get(lbafs, 4), "ms"), 8);
	CU_ASSERT_EQUAL(num(usk_json_array_get(lbafs, 4), "ds"), 12);
	CU_ASSERT_EQUAL(num(usk_json_array_get(lbafs, 4), "rp"), 1);
	nd.nsfeat = 0x10;
	put_le(&nd, 72, 15, 2); /* nows */
	build(add_id_ns, &nd);
	CU_ASSERT_EQUAL(num(g_doc, "nows"), 15);
}

static void add_smart(struct usk_json_write_ctx *w, const void *arg)
{
	nvme_cli_json_smart_log(w, arg, false);
}

static void add_smart_human(struct usk_json_write_ctx *w, const void *arg)
{
	nvme_cli_json_smart_log(w, arg, true);
}

static void test_smart_log(void)
{
	uint8_t log[512] = {0};
	const struct usk_json_val *cw;

	put_le(log, 1, 310, 2);	   /* temperature */
	log[3] = 100;		   /* avail_spare */
	put_le(log, 32, 12345, 8); /* data_units_read */
	put_le(log, 112, 3, 8);	   /* power_cycles */
	put_le(log, 202, 300, 2);  /* temperature sensor 2 */
	put_le(log, 228, 77, 4);   /* thm_temp2_total_time */
	build(add_smart, log);
	CU_ASSERT_EQUAL(num(g_doc, "temperature"), 310);
	CU_ASSERT_EQUAL(num(g_doc, "avail_spare"), 100);
	CU_ASSERT_STRING_EQUAL(str(g_doc, "data_units_read"), "12345");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "power_cycles"), "3");
	CU_ASSERT_STRING_EQUAL(str(g_doc, "media_errors"), "0");
	CU_ASSERT_EQUAL(num(g_doc, "temperature_sensor_2"), 300);
	/* Sensors that read 0 are not there. */
	CU_ASSERT_PTR_NULL(usk_json_object_get(g_doc, "temperature_sensor_1"));
	CU_ASSERT_EQUAL(num(g_doc, "thm_temp2_total_time"), 77);
	CU_ASSERT_EQUAL(num(g_doc, "critical_warning"), 0);
	/* -H: the warning's bits by name (temperature threshold and read-only here). */
	log[0] = 0x0a;
	build(add_smart_human, log);
	cw = usk_json_object_get(g_doc, "critical_warning");
	CU_ASSERT_EQUAL(num(cw, "value"), 0x0a);
	CU_ASSERT_EQUAL(num(cw, "available_spare"), 0);
	CU_ASSERT_EQUAL(num(cw, "temp_threshold"), 1);
	CU_ASSERT_EQUAL(num(cw, "ro"), 1);
	CU_ASSERT_EQUAL(num(cw, "pmr_ro"), 0);
	CU_ASSERT_EQUAL(num(g_doc, "temperature"), 310);
}

struct error_log_arg {
	const struct usk_nvme_error_info *log;
	uint32_t entries;
};

static void add_error_log(struct usk_json_write_ctx *w, const void *arg)
{
	const struct error_log_arg *a = arg;

	nvme_cli_json_error_log(w, a->log, a->entries);
}

static void test_error_log(void)
{
	struct usk_nvme_error_info log[2] = {
		{.error_count = 7, .sqid = 1, .cid = 9, .status = 0x4005, .lba = 42, .nsid = 1}};
	struct error_log_arg arg = {log, 2};
	const struct usk_json_val *e;

	build(add_error_log, &arg);
	CU_ASSERT_EQUAL(usk_json_array_size(usk_json_object_get(g_doc, "errors")), 2);
	e = usk_json_array_get(usk_json_object_get(g_doc, "errors"), 0);
	CU_ASSERT_EQUAL(num(e, "error_count"), 7);
	CU_ASSERT_EQUAL(num(e, "cmdid"), 9);
	/* The status field without its phase tag bit, which has a member of its own. */
	CU_ASSERT_EQUAL(num(e, "status_field"), 0x2002);
	CU_ASSERT_EQUAL(num(e, "phase_tag"), 1);
	CU_ASSERT_EQUAL(num(e, "lba"), 42);
	e = usk_json_array_get(usk_json_object_get(g_doc, "errors"), 1);
	CU_ASSERT_EQUAL(num(e, "error_count"), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_id_ctrl),	 UT_TEST(test_id_ctrl_strings_not_utf8),
		UT_TEST(test_id_ns),	 UT_TEST(test_smart_log),
		UT_TEST(test_error_log),
	};
	int rc = UT_RUN("nvme_cli_json", tests);

	usk_json_val_free(g_doc);
	return rc;
}
