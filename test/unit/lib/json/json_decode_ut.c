/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "usk/json.h"
#include "usk/util.h"
#include "ut.h"

struct params {
	char *name;
	bool enable;
	int32_t delta;
	uint32_t count;
	uint64_t size;
};

static const struct usk_json_object_decoder g_decoders[] = {
	{"name", offsetof(struct params, name), usk_json_decode_string, false},
	{"enable", offsetof(struct params, enable), usk_json_decode_bool, true},
	{"delta", offsetof(struct params, delta), usk_json_decode_int32, true},
	{"count", offsetof(struct params, count), usk_json_decode_uint32, true},
	{"size", offsetof(struct params, size), usk_json_decode_uint64, true},
};

/* Decodes @text into @p; returns the result and leaves the message in @err. */
static int decode(const char *text, struct params *p, char *err, size_t errlen)
{
	struct usk_json_val *v;
	int rc;

	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text, strlen(text), NULL, &v, NULL, 0), 0);
	rc = usk_json_decode_object(v, g_decoders, 5, p, err, errlen);
	usk_json_val_free(v);
	return rc;
}

static void test_decode_fills_every_field(void)
{
	struct params p = {.count = 7};
	char err[128];

	CU_ASSERT_EQUAL(decode("{\"name\":\"nvme0\",\"enable\":true,\"delta\":-5,\"size\":"
			       "9223372036854775807}",
			       &p, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(p.name, "nvme0");
	CU_ASSERT_TRUE(p.enable);
	CU_ASSERT_EQUAL(p.delta, -5);
	CU_ASSERT_EQUAL(p.count, 7);
	CU_ASSERT_EQUAL(p.size, INT64_MAX);
	/* A second decode replaces the string without leaking the first. */
	CU_ASSERT_EQUAL(decode("{\"name\":\"nvme1\"}", &p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(p.name, "nvme1");
	free(p.name);
}

static void test_decode_errors_name_the_field(void)
{
	struct params p = {0};
	char err[128];

	CU_ASSERT_EQUAL(decode("{\"name\":\"x\",\"colour\":1}", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown field 'colour'");
	CU_ASSERT_EQUAL(decode("{\"enable\":true}", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "missing field 'name'");
	CU_ASSERT_EQUAL(decode("{\"name\":5}", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "field 'name': expected a string");
	CU_ASSERT_EQUAL(decode("{\"name\":\"x\",\"count\":-1}", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "field 'count': expected an integer from 0 to 4294967295");
	CU_ASSERT_EQUAL(decode("{\"name\":\"x\",\"count\":4294967296}", &p, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(decode("{\"name\":\"x\",\"delta\":2147483648}", &p, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(decode("{\"name\":\"x\",\"enable\":1}", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "field 'enable': expected true or false");
	CU_ASSERT_EQUAL(decode("{\"name\":\"x\",\"size\":1.5}", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(decode("[1]", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "expected an object");
	free(p.name);
}

static void test_decode_null_is_an_empty_object(void)
{
	struct params p = {0};
	char err[128];

	CU_ASSERT_EQUAL(usk_json_decode_object(NULL, g_decoders, 5, &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "missing field 'name'");
	CU_ASSERT_EQUAL(usk_json_decode_object(NULL, g_decoders + 1, 4, &p, NULL, 0), 0);
}

static const struct usk_json_compat_member g_compat[] = {
	{"md_interleave", "false", "no metadata here"},
	{"numa_id", NULL, "memory comes from the caller's node"},
	{"mode", "\"all\"", "one mode only"},
};

/* Decodes @text with g_decoders and g_compat; returns the result, the message in @err. */
static int decode_compat(const char *text, char *err, size_t errlen)
{
	struct params p = {0};
	struct usk_json_val *v;
	int rc;

	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text, strlen(text), NULL, &v, NULL, 0), 0);
	rc = usk_json_decode_object_compat(v, g_decoders, USK_COUNTOF(g_decoders), g_compat,
					   USK_COUNTOF(g_compat), &p, err, errlen);
	usk_json_val_free(v);
	if (rc == 0) {
		CU_ASSERT_STRING_EQUAL(p.name, "m0");
	}
	free(p.name);
	return rc;
}

static void test_compat_members_take_only_their_value(void)
{
	char err[128] = "";

	CU_ASSERT_EQUAL(decode_compat("{\"name\":\"m0\",\"md_interleave\":false,"
				      "\"numa_id\":3,\"mode\":\"all\"}",
				      err, sizeof(err)),
			0);
	/* null means "not given"; any value goes where none is named. */
	CU_ASSERT_EQUAL(decode_compat("{\"name\":\"m0\",\"md_interleave\":null,"
				      "\"numa_id\":\"x\"}",
				      err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(decode_compat("{\"name\":\"m0\",\"md_interleave\":true}", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "field 'md_interleave': only false is accepted "
				    "(no metadata here)");
	CU_ASSERT_EQUAL(decode_compat("{\"name\":\"m0\",\"mode\":\"maxmin\"}", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "field 'mode': only \"all\" is accepted (one mode only)");
	/* The same meaning in another type is another value. */
	CU_ASSERT_EQUAL(decode_compat("{\"name\":\"m0\",\"md_interleave\":0}", err, sizeof(err)),
			-EINVAL);
	/* Members neither decoded nor compat are still unknown. */
	CU_ASSERT_EQUAL(decode_compat("{\"name\":\"m0\",\"md_size\":0}", err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown field 'md_size'");
}

/* A message cut to the caller's buffer ends on a whole character, or JSON could not carry it. */
static void test_cut_message_stays_utf8(void)
{
	struct params p = {0};
	char text[512], err[128];
	size_t n = (size_t)snprintf(text, sizeof(text), "{\"name\":\"x\",\"x");

	for (int i = 0; i < 100; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\xc3\xa9");
	}
	snprintf(text + n, sizeof(text) - n, "\":1}");
	CU_ASSERT_EQUAL(decode(text, &p, err, sizeof(err)), -EINVAL);
	/* "unknown field 'x" and 55 of the 100: the 56th would need byte 128. */
	CU_ASSERT_EQUAL(strlen(err), 16 + 2 * 55);
	CU_ASSERT_EQUAL(memcmp(err + strlen(err) - 2, "\xc3\xa9", 2), 0);
	free(p.name);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_decode_fills_every_field),
		UT_TEST(test_decode_errors_name_the_field),
		UT_TEST(test_decode_null_is_an_empty_object),
		UT_TEST(test_compat_members_take_only_their_value),
		UT_TEST(test_cut_message_stays_utf8),
	};

	return UT_RUN("json_decode", tests);
}
