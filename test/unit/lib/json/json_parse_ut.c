/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/json.h"
#include "ut.h"

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
	unlink(path);
	CU_ASSERT_EQUAL(usk_json_parse_file(path, &v, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "No such file or directory");
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_parse_takes_one_value_and_reports_its_length),
		UT_TEST(test_parse_asks_for_more_when_the_text_is_cut),
		UT_TEST(test_parse_error_names_line_and_column),
		UT_TEST(test_parse_file_reads_or_explains),
	};

	return UT_RUN("json_parse", tests);
}
