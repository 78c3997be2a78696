/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/json.h"
#include "usk_internal/json.h"
#include "ut.h"

/* malloc, made to fail on demand (-Wl,--wrap): jansson's own allocations are not wrapped. */
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);

static bool g_malloc_fails;

void *__wrap_malloc(size_t size)
{
	return g_malloc_fails ? NULL : __real_malloc(size);
}

static void test_parse_takes_one_value_and_reports_its_length(void)
{
	const char *text = "  {\"a\": [1, \"two\", true]}{\"b\":null}";
	struct usk_json_val *v = NULL;
	size_t used = 0;

	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text, strlen(text), &used, &v, NULL, 0), 0);
	CU_ASSERT_EQUAL(used, strlen("  {\"a\": [1, \"two\", true]}"));
	CU_ASSERT_EQUAL(usk_json_val_type(v), USK_JSON_OBJECT);
	const struct usk_json_val *a = usk_json_object_get(v, "a");
	CU_ASSERT_EQUAL(usk_json_val_type(a), USK_JSON_ARRAY);
	CU_ASSERT_EQUAL(usk_json_array_size(a), 3);
	CU_ASSERT_EQUAL(usk_json_val_type(usk_json_array_get(a, 0)), USK_JSON_INTEGER);
	CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_array_get(a, 1)), "two");
	CU_ASSERT_EQUAL(usk_json_val_type(usk_json_array_get(a, 2)), USK_JSON_BOOL);
	CU_ASSERT_PTR_NULL(usk_json_array_get(a, 3));
	CU_ASSERT_PTR_NULL(usk_json_object_get(v, "missing"));
	CU_ASSERT_PTR_NULL(usk_json_string(a));
	usk_json_val_free(v);

	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text + used, strlen(text + used), &used, &v, NULL, 0),
			      0);
	CU_ASSERT_EQUAL(usk_json_val_type(usk_json_object_get(v, "b")), USK_JSON_NULL);
	usk_json_val_free(v);
}

static void test_parse_asks_for_more_when_the_text_is_cut(void)
{
	const char *text = "{\"method\": \"rpc_get_methods\", \"id\": 1}";
	struct usk_json_val *v = NULL;

	for (size_t len = 0; len < strlen(text); len++) {
		CU_ASSERT_EQUAL(usk_json_parse(text, len, NULL, &v, NULL, 0), -EAGAIN);
	}
	CU_ASSERT_EQUAL(usk_json_parse(" \n\t", 3, NULL, &v, NULL, 0), -EAGAIN);
	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &v, NULL, 0), 0);
	usk_json_val_free(v);
}

/*
 * A text cut inside a word, a number, an escape or a UTF-8 character is
 * as unfinished as one cut between tokens; a token that no more text can
 * mend is still an error.
 */
static void test_parse_asks_for_more_inside_a_token(void)
{
	const char *text = "{\"a\": [true, false, null, -12.5e+3, 0.5E-2, "
			   "\"\\u00e9\\ud83d\\ude00\\\\ \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]}";
	struct usk_json_val *v = NULL;
	int rc;

	for (size_t len = 0; len < strlen(text); len++) {
		rc = usk_json_parse(text, len, NULL, &v, NULL, 0);
		CU_ASSERT_EQUAL(rc, -EAGAIN);
		if (rc != -EAGAIN) {
			fprintf(stderr, "cut after %zu bytes: %d\n", len, rc);
		}
	}
	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &v, NULL, 0), 0);
	usk_json_val_free(v);
	CU_ASSERT_EQUAL(usk_json_parse("[trux, tr", 9, NULL, &v, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_json_parse("[trux", 5, NULL, &v, NULL, 0), -EINVAL);
	/* A real past a double parses (test_real_past_a_double_parses_as_a_real): more may come. */
	CU_ASSERT_EQUAL(usk_json_parse("[1e999", 6, NULL, &v, NULL, 0), -EAGAIN);
	CU_ASSERT_EQUAL(usk_json_parse("[-.", 3, NULL, &v, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_json_parse("[1.e", 4, NULL, &v, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_json_parse("[01.", 4, NULL, &v, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_json_parse("[\"\\q", 4, NULL, &v, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_json_parse("[\"\xc3x", 4, NULL, &v, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_json_parse("[1.5]", 5, NULL, &v, NULL, 0), 0);
	usk_json_val_free(v);
}

static void test_parse_error_names_line_and_column(void)
{
	const char *text = "{\n  \"a\": tru }";
	struct usk_json_val *v = NULL;
	char err[256] = "";

	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 2"));
	CU_ASSERT_EQUAL(usk_json_parse("}", 1, NULL, &v, NULL, 0), -EINVAL);
}

static void test_parse_file_reads_or_explains(void)
{
	char path[] = "/tmp/json_parse_ut.XXXXXX";
	int fd = mkstemp(path);
	struct usk_json_val *v = NULL;
	char err[256] = "";

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "[1, 2]\n", 7), 7);
	close(fd);
	CU_ASSERT_EQUAL(usk_json_parse_file(path, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(usk_json_array_size(v), 2);
	usk_json_val_free(v);

	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, "[1, 2", 5), 5);
	close(fd);
	CU_ASSERT_EQUAL(usk_json_parse_file(path, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 1"));

	/* A config's too-large number is a real for the decoder to name, as in a request. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, "{\"n\": 18446744073709551616}", 27), 27);
	close(fd);
	CU_ASSERT_EQUAL(usk_json_parse_file(path, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(usk_json_val_type(usk_json_object_get(v, "n")), USK_JSON_REAL);
	usk_json_val_free(v);
	unlink(path);
	CU_ASSERT_EQUAL(usk_json_parse_file(path, &v, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "No such file or directory");
	/* A directory opens, and its read says why it is no file. */
	CU_ASSERT_EQUAL(usk_json_parse_file("/tmp", &v, err, sizeof(err)), -EISDIR);
	CU_ASSERT_STRING_EQUAL(err, "Is a directory");
}

/* Parses @text whole; returns the type of its member "n" (USK_JSON_NULL on failure). */
static enum usk_json_type member_type(const char *text)
{
	struct usk_json_val *v = NULL;
	size_t used = 0;
	enum usk_json_type t;

	if (usk_json_parse(text, strlen(text), &used, &v, NULL, 0) != 0) {
		return USK_JSON_NULL;
	}
	CU_ASSERT_EQUAL(used, strlen(text));
	t = usk_json_val_type(usk_json_object_get(v, "n"));
	usk_json_val_free(v);
	return t;
}

/* {"n": SIGN and DIGITS nines}, in a buffer of its own. */
static const char *huge_integer(size_t digits, const char *sign)
{
	static char text[1024];
	size_t n = (size_t)snprintf(text, sizeof(text), "{\"n\": %s", sign);

	memset(text + n, '9', digits);
	snprintf(text + n + digits, sizeof(text) - n - digits, "}");
	return text;
}

static void test_integer_out_of_int64_parses_as_a_real(void)
{
	const char *two = "{\"s\": \"18446744073709551616 \\\" -99999999999999999999\"}[2]";
	char huge[160] = "{\"n\": ";
	struct usk_json_val *v = NULL;
	size_t used = 0;

	/* jansson refuses them; a real lets the decoders name the field instead. */
	CU_ASSERT_EQUAL(member_type("{\"n\": 18446744073709551616}"), USK_JSON_REAL);
	CU_ASSERT_EQUAL(member_type("{\"n\":9223372036854775808}"), USK_JSON_REAL);
	CU_ASSERT_EQUAL(member_type("{\"n\": -9223372036854775809 }"), USK_JSON_REAL);
	CU_ASSERT_EQUAL(
		member_type("{\"a\": [1, 2], \"n\": 1234567890123456789012345678901234567890}"),
		USK_JSON_REAL);
	/* 120 digits: a three-digit exponent still fits in the literal's length. */
	memset(huge + strlen(huge), '9', 120);
	strcat(huge, "}");
	CU_ASSERT_EQUAL(member_type(huge), USK_JSON_REAL);
	CU_ASSERT_EQUAL(member_type(huge_integer(400, "")), USK_JSON_REAL);
	CU_ASSERT_EQUAL(member_type(huge_integer(309, "-")), USK_JSON_REAL);
	/* The ends of int64 stay integers, as do ordinary numbers; reals stay reals. */
	CU_ASSERT_EQUAL(member_type("{\"n\": 9223372036854775807}"), USK_JSON_INTEGER);
	CU_ASSERT_EQUAL(member_type("{\"n\": -9223372036854775808}"), USK_JSON_INTEGER);
	CU_ASSERT_EQUAL(member_type("{\"n\": 0}"), USK_JSON_INTEGER);
	CU_ASSERT_EQUAL(member_type("{\"n\": 18446744073709551616.5e-3}"), USK_JSON_REAL);
	/* Digits in a string, even after an escaped quote, are text, left as they are. */
	CU_ASSERT_EQUAL_FATAL(usk_json_parse(two, strlen(two), &used, &v, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(usk_json_string(usk_json_object_get(v, "s")),
			       "18446744073709551616 \" -99999999999999999999");
	CU_ASSERT_EQUAL(used, strlen(two) - 3);
	usk_json_val_free(v);
}

/*
 * A real past a double's range parses as a real too, where jansson refuses
 * it ("real number overflow"): over one field, or a request's id, the RPC
 * server closed the connection. Only a literal that is JSON is taken.
 */
static void test_real_past_a_double_parses_as_a_real(void)
{
	static const char *const reals[] = {
		"{\"n\": 1e400}",    "{\"n\":-1e400}",	   "{\"n\": 2e308 }",
		"{\"n\": 1.5E+999}", "{\"n\": 0.001e312}",
	};
	static const char *const not_json[] = {"{\"n\": 1.e400}", "{\"n\": 01e400}",
					       "{\"n\": 1e400.5}", "{\"n\": 1e+-400}"};
	struct usk_json_val *v = NULL;

	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		CU_ASSERT_EQUAL(member_type(reals[i]), USK_JSON_REAL);
	}
	for (size_t i = 0; i < sizeof(not_json) / sizeof(not_json[0]); i++) {
		CU_ASSERT_EQUAL(usk_json_parse(not_json[i], strlen(not_json[i]), NULL, &v, NULL, 0),
				-EINVAL);
	}
	/* Within a double's range, and below its smallest, as jansson takes them. */
	CU_ASSERT_EQUAL(member_type("{\"n\": 1.7e308}"), USK_JSON_REAL);
	CU_ASSERT_EQUAL(member_type("{\"n\": 1e-400}"), USK_JSON_REAL);
}

/* The member's text in @text, or "(none)". */
static const char *member_text(const char *text, const char *key)
{
	static char found[64];
	size_t off, n;

	if (!json_member_text(text, strlen(text), key, &off, &n)) {
		return "(none)";
	}
	snprintf(found, sizeof(found), "%.*s", (int)n, text + off);
	return found;
}

/* A member is found as written: the object's own, the last of a repeated key, escapes read. */
static void test_member_text_is_found_as_written(void)
{
	CU_ASSERT_STRING_EQUAL(member_text(" {\"id\" : 1.50E+2 }", "id"), "1.50E+2");
	CU_ASSERT_STRING_EQUAL(
		member_text("{\"a\":{\"id\":1},\"b\":[\"\\\"id\\\":2\"],\"id\":3}", "id"), "3");
	CU_ASSERT_STRING_EQUAL(member_text("{\"id\":1,\"\\u0069d\":\"x\"}", "id"), "\"x\"");
	CU_ASSERT_STRING_EQUAL(member_text("{\"id\":{\"k\":[1,\"}\"]},\"n\":2}", "id"),
			       "{\"k\":[1,\"}\"]}");
	CU_ASSERT_STRING_EQUAL(member_text("{\"idx\":1,\"i\":2}", "id"), "(none)");
	CU_ASSERT_STRING_EQUAL(member_text("{}", "id"), "(none)");
	CU_ASSERT_STRING_EQUAL(member_text("[{\"id\":1}]", "id"), "(none)");
}

/* Out of memory is a failure like the others: the caller's message says so. */
static void test_out_of_memory_is_explained(void)
{
	static const char text[] = "{\"n\": 18446744073709551616}";
	char path[] = "/tmp/json_parse_ut.XXXXXX";
	struct usk_json_val *v = NULL;
	char err[64] = "untouched";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	/* The number is rewritten in a copy, which cannot be had. */
	g_malloc_fails = true;
	CU_ASSERT_EQUAL(usk_json_parse(text, strlen(text), NULL, &v, err, sizeof(err)), -ENOMEM);
	g_malloc_fails = false;
	CU_ASSERT_STRING_EQUAL(err, "Cannot allocate memory");
	snprintf(err, sizeof(err), "untouched");
	g_malloc_fails = true;
	CU_ASSERT_EQUAL(usk_json_parse_file(path, &v, err, sizeof(err)), -ENOMEM);
	g_malloc_fails = false;
	CU_ASSERT_STRING_EQUAL(err, "Cannot allocate memory");
	unlink(path);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_parse_takes_one_value_and_reports_its_length),
		UT_TEST(test_parse_asks_for_more_when_the_text_is_cut),
		UT_TEST(test_parse_asks_for_more_inside_a_token),
		UT_TEST(test_parse_error_names_line_and_column),
		UT_TEST(test_parse_file_reads_or_explains),
		UT_TEST(test_integer_out_of_int64_parses_as_a_real),
		UT_TEST(test_real_past_a_double_parses_as_a_real),
		UT_TEST(test_member_text_is_found_as_written),
		UT_TEST(test_out_of_memory_is_explained),
	};

	return UT_RUN("json_parse", tests);
}
