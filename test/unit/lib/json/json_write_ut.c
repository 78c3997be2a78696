/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/json.h"
#include "ut.h"

static void test_write_builds_nested_documents(void)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	struct usk_json_val *params;
	char *text = NULL;

	CU_ASSERT_EQUAL_FATAL(usk_json_parse("{\"level\":\"debug\"}", 17, NULL, &params, NULL, 0),
			      0);
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", "reactor_0");
	usk_json_write_named_uint64(w, "busy", 12);
	usk_json_write_named_int64(w, "delta", -3);
	usk_json_write_named_bool(w, "sleeping", false);
	usk_json_write_named_string(w, "none", NULL);
	usk_json_write_named_array_begin(w, "list");
	usk_json_write_uint64(w, 1);
	usk_json_write_string(w, "two");
	usk_json_write_bool(w, true);
	usk_json_write_object_begin(w);
	usk_json_write_object_end(w);
	usk_json_write_array_end(w);
	usk_json_write_named_object_begin(w, "empty");
	usk_json_write_object_end(w);
	usk_json_write_named_val(w, "params", params);
	usk_json_write_object_end(w);
	usk_json_val_free(params);
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, false, &text), 0);
	CU_ASSERT_STRING_EQUAL(text,
			       "{\"name\":\"reactor_0\",\"busy\":12,\"delta\":-3,"
			       "\"sleeping\":false,\"none\":null,\"list\":[1,\"two\",true,{}],"
			       "\"empty\":{},\"params\":{\"level\":\"debug\"}}");
	free(text);
}

static void test_write_pretty_indents(void)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char *text = NULL;

	usk_json_write_array_begin(w);
	usk_json_write_uint64(w, 1);
	usk_json_write_array_end(w);
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, true, &text), 0);
	CU_ASSERT_STRING_EQUAL(text, "[\n  1\n]");
	free(text);
}

/* Builds a document with one misuse; returns what write_end says. */
static int misuse(int which)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();

	switch (which) {
	case 0: /* a name inside an array */
		usk_json_write_array_begin(w);
		CU_ASSERT_EQUAL(usk_json_write_named_bool(w, "x", true), -EINVAL);
		usk_json_write_array_end(w);
		break;
	case 1: /* no name inside an object */
		usk_json_write_object_begin(w);
		usk_json_write_bool(w, true);
		usk_json_write_object_end(w);
		break;
	case 2: /* left open */
		usk_json_write_object_begin(w);
		break;
	case 3: /* closed the wrong kind */
		usk_json_write_object_begin(w);
		usk_json_write_array_end(w);
		break;
	case 4: /* two documents */
		usk_json_write_bool(w, true);
		usk_json_write_bool(w, false);
		break;
	case 5: /* nothing */
		break;
	case 6: /* beyond jansson's integers */
		usk_json_write_array_begin(w);
		CU_ASSERT_EQUAL(usk_json_write_uint64(w, UINT64_MAX), -ERANGE);
		usk_json_write_array_end(w);
		break;
	}
	return usk_json_write_end(w, false, NULL);
}

static void test_write_misuse_is_reported_at_the_end(void)
{
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(misuse(i), -EINVAL);
	}
	CU_ASSERT_EQUAL(misuse(6), -ERANGE);
}

/*
 * A string that is not UTF-8 (a name cut inside a character) cannot go
 * into JSON: the document fails saying so, not with a memory shortage.
 */
static void test_write_refuses_text_that_is_not_utf8(void)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	usk_json_write_object_begin(w);
	CU_ASSERT_EQUAL(usk_json_write_named_string(w, "name", "caf\xc3"), -EILSEQ);
	usk_json_write_object_end(w);
	CU_ASSERT_EQUAL(usk_json_write_end(w, false, NULL), -EILSEQ);
	w = usk_json_write_begin();
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(usk_json_write_string(w, "\xff"), -EILSEQ);
	CU_ASSERT_EQUAL(usk_json_write_end(w, false, NULL), -EILSEQ);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_write_builds_nested_documents),
		UT_TEST(test_write_pretty_indents),
		UT_TEST(test_write_misuse_is_reported_at_the_end),
		UT_TEST(test_write_refuses_text_that_is_not_utf8),
	};

	return UT_RUN("json_write", tests);
}
