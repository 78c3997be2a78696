/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests and answers, with the socket server replaced by a fake
 * connection that records what would have been sent.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "ut.h"
#include "ut_rpc_conn.h"

/* Dispatches @text, parsed as the server does, on the fake connection; returns the answer (NULL:
 * none). */
static json_t *request(const char *text)
{
	struct usk_json_val *req = NULL;
	size_t used = 0;

	CU_ASSERT_EQUAL_FATAL(usk_json_parse(text, strlen(text), &used, &req, NULL, 0), 0);
	json_decref(g_conn.last);
	g_conn.last = NULL;
	free(g_conn.last_text);
	g_conn.last_text = NULL;
	rpc_dispatch(&g_conn, json_val_jansson(req), text, used);
	return g_conn.last;
}

static int error_code(const json_t *answer)
{
	return (int)json_integer_value(json_object_get(json_object_get(answer, "error"), "code"));
}

static const char *error_message(const json_t *answer)
{
	return json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
}

struct echo_params {
	char *text;
	uint32_t times;
};

static const struct usk_json_object_decoder g_echo_decoders[] = {
	{"text", offsetof(struct echo_params, text), usk_json_decode_string, false},
	{"times", offsetof(struct echo_params, times), usk_json_decode_uint32, true},
};

static const struct usk_json_compat_member g_echo_compat[] = {
	{"colour", "\"none\"", "echo has no colours"},
};

static void echo(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct echo_params p = {.times = 1};
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params_compat(req, params, g_echo_decoders, 2, g_echo_compat, 1, &p) !=
	    0) {
		free(p.text);
		return;
	}
	w = usk_rpc_begin_result(req);
	usk_json_write_array_begin(w);
	for (uint32_t i = 0; i < p.times; i++) {
		usk_json_write_string(w, p.text);
	}
	usk_json_write_array_end(w);
	usk_rpc_end_result(req, w);
	free(p.text);
}

static struct usk_rpc_request *g_parked;

static void park(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	g_parked = req;
}

static void broken(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct usk_json_write_ctx *w = usk_rpc_begin_result(req);

	usk_json_write_object_begin(w);
	usk_rpc_end_result(req, w);
}

/* Errs with a device's bytes, which are no UTF-8. */
static void raw(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	usk_rpc_send_error(req, -EIO, "the device says '%s'", "\xff\xfe");
}

static void test_register_names_once(void)
{
	CU_ASSERT_EQUAL(usk_rpc_register_method("echo", echo), 0);
	CU_ASSERT_EQUAL(usk_rpc_register_method("echo", echo), 0);
	CU_ASSERT_EQUAL(usk_rpc_register_method("echo", park), -EEXIST);
	CU_ASSERT_EQUAL(usk_rpc_register_method(NULL, echo), -EINVAL);
	CU_ASSERT_EQUAL(usk_rpc_register_method("park", park), 0);
	CU_ASSERT_EQUAL(usk_rpc_register_method("broken", broken), 0);
	CU_ASSERT_EQUAL(usk_rpc_register_method("raw", raw), 0);
	CU_ASSERT_EQUAL(rpc_register_builtin_methods(), 0);
}

static void test_result_carries_the_id(void)
{
	json_t *a = request("{\"jsonrpc\":\"2.0\",\"id\":\"x7\",\"method\":\"echo\","
			    "\"params\":{\"text\":\"hi\",\"times\":2}}");

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "id")), "x7");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "jsonrpc")), "2.0");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a, "result")), 2);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_malformed_requests_get_their_error(void)
{
	json_t *a;

	a = request("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}]");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_message(a), "batch"));
	CU_ASSERT_TRUE(json_is_null(json_object_get(a, "id")));
	a = request("{\"id\":1,\"method\":\"echo\"}");
	CU_ASSERT_STRING_EQUAL(error_message(a), "field 'jsonrpc': expected \"2.0\"");
	a = request("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}");
	CU_ASSERT_STRING_EQUAL(error_message(a), "field 'method': expected a string");
	a = request("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"echo\"}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT_TRUE(json_is_null(json_object_get(a, "id")));
	a = request("42");
	CU_ASSERT_STRING_EQUAL(error_message(a), "a request is a JSON object");
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_invalid_request_is_answered_with_its_id(void)
{
	json_t *a;

	a = request("{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"x\"}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), 7);
	a = request("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":5}");
	CU_ASSERT_STRING_EQUAL(error_message(a), "field 'method': expected a string");
	CU_ASSERT_TRUE(json_is_string(json_object_get(a, "id")) &&
		       strcmp(json_string_value(json_object_get(a, "id")), "s") == 0);
	/* No id at all: an invalid request is still answered, with null. */
	a = request("{\"jsonrpc\":\"1.0\",\"method\":\"x\"}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT_TRUE(json_is_null(json_object_get(a, "id")));
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

/*
 * params, when there, is an object or an array (JSON-RPC 2.0, 4.2): any
 * other value makes no valid request, -32600, as SPDK answers, with the id.
 * Before, such a request was run and refused with -32602, invalid params.
 */
static void test_params_not_structured_is_invalid_request(void)
{
	static const char *const params[] = {"5", "\"x\"", "true", "null"};
	char text[128];

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		json_t *a;

		snprintf(text, sizeof(text),
			 "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"echo\",\"params\":%s}",
			 params[i]);
		a = request(text);
		CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_REQUEST);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), 8);
	}
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

/* The id's text in the last answer, as it would be sent ("" when there is none). */
static const char *answer_id_text(void)
{
	static char id[128];
	const char *start = g_conn.last_text ? strstr(g_conn.last_text, "\"id\":") : NULL;
	const char *end = start ? strstr(start, ",\"") : NULL;

	if (end == NULL) {
		return "";
	}
	start += strlen("\"id\":");
	snprintf(id, sizeof(id), "%.*s", (int)(end - start), start);
	return id;
}

/*
 * A numeric id is written back as the request wrote it: past int64, as a
 * real, spelt oddly. It was written anew from the parsed value, so a
 * client looking for 18446744073709551615 found 1.844674407370955e19.
 * Only the request's own id counts: the last one, as parsing keeps it,
 * also when its key is escaped, and not one inside params.
 */
static void test_numeric_id_is_written_back_as_it_came(void)
{
	static const struct {
		const char *request;
		const char *id;
	} cases[] = {
		{"{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"method\":\"echo\"}",
		 "18446744073709551615"},
		{"{\"id\" :\t-1.50E+2 , \"jsonrpc\":\"2.0\",\"method\":\"echo\"}", "-1.50E+2"},
		{"{\"params\":{\"id\":2,\"text\":\"\\\"id\\\":3\"},\"jsonrpc\":\"2.0\",\"id\":"
		 "1e400,"
		 "\"method\":\"echo\"}",
		 "1e400"},
		{"{\"jsonrpc\":\"2.0\",\"id\":1,\"\\u0069d\":12345678901234567890123,\"method\":"
		 "\"echo\"}",
		 "12345678901234567890123"},
		{"{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"echo\",\"id\":-0}", "-0"},
		/* A string is written anew, as before; so is null. */
		{"{\"jsonrpc\":\"2.0\",\"id\":\"\\u0041\",\"method\":\"echo\"}", "\"A\""},
		{"{\"jsonrpc\":\"2.0\",\"id\": null,\"method\":\"echo\"}", "null"},
		/* Refused, with its id. */
		{"{\"jsonrpc\":\"1.0\",\"id\":0.1,\"method\":\"echo\"}", "0.1"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL(request(cases[i].request));
		CU_ASSERT_STRING_EQUAL(answer_id_text(), cases[i].id);
	}
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_unknown_method_and_bad_params(void)
{
	json_t *a;

	a = request("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nosuch\"}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_METHOD_NOT_FOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_message(a), "'nosuch'"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), 2);
	a = request("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\"}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_PARAMS);
	CU_ASSERT_STRING_EQUAL(error_message(a), "params: missing field 'text'");
	a = request("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"echo\",\"params\":{\"text\":1}}");
	CU_ASSERT_STRING_EQUAL(error_message(a), "params: field 'text': expected a string");
	a = request("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"echo\",\"params\":[1]}");
	CU_ASSERT_STRING_EQUAL(error_message(a), "params: expected an object");
	a = request("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"rpc_get_methods\","
		    "\"params\":{\"x\":1}}");
	CU_ASSERT_STRING_EQUAL(error_message(a), "params: unknown field 'x'");
	a = request("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"broken\"}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INTERNAL_ERROR);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_notification_gets_no_answer(void)
{
	int answers = g_conn.answers;

	CU_ASSERT_PTR_NULL(request("{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
				   "\"params\":{\"text\":\"quiet\"}}"));
	CU_ASSERT_EQUAL(g_conn.answers, answers + 1);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_async_answer_comes_later(void)
{
	json_t *a;

	g_parked = NULL;
	a = request("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"park\"}");
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_parked);
	CU_ASSERT_EQUAL(g_conn.holds, 1);
	usk_rpc_send_bool(g_parked, true);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(g_conn.last, "result")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g_conn.last, "id")), 8);
}

static int g_colour_notes;

static void count_colour_notes(void *ctx, enum usk_log_level level, const char *msg)
{
	/* After the file:line prefix. */
	if (level == USK_LOG_NOTICE && strstr(msg, ": RPC echo: parameter 'colour' accepted and "
						   "ignored: echo has no colours") != NULL) {
		g_colour_notes++;
	}
}

static void test_compat_member_noted_once(void)
{
	static const char text[] = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"echo\","
				   "\"params\":{\"text\":\"hi\",\"colour\":\"none\"}}";
	json_t *a;

	usk_log_set_callback(count_colour_notes, NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(request(text), "result")), 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(request(text), "result")), 1);
	CU_ASSERT_EQUAL(g_colour_notes, 1);
	a = request("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"echo\","
		    "\"params\":{\"text\":\"hi\",\"colour\":\"red\"}}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_PARAMS);
	CU_ASSERT_STRING_EQUAL(error_message(a), "params: field 'colour': only \"none\" is "
						 "accepted (echo has no colours)");
	usk_log_set_callback(NULL, NULL);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_get_methods_takes_spdks_flags(void)
{
	json_t *a;

	/* SPDK's rpc.py sends both, false unless asked (--current, --include-aliases). */
	a = request("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"rpc_get_methods\","
		    "\"params\":{\"current\":false,\"include_aliases\":false}}");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a, "result")), 5);
	a = request("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"rpc_get_methods\","
		    "\"params\":{\"current\":true}}");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a, "result")), 5);
	a = request("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"rpc_get_methods\","
		    "\"params\":{\"current\":1}}");
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_PARAMS);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_message(a), "'current'"));
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static int g_call_code = 1;
static char g_call_message[256];
static size_t g_call_len;

static void call_done(void *ctx, const struct usk_json_val *result, int code, const char *msg)
{
	g_call_code = code;
	snprintf(g_call_message, sizeof(g_call_message), "%s", msg ? msg : "");
	g_call_len = result ? usk_json_array_size(result) : 0;
	CU_ASSERT_PTR_EQUAL(ctx, &g_call_code);
}

static void test_in_process_call(void)
{
	struct usk_json_val *params;

	CU_ASSERT_EQUAL_FATAL(
		usk_json_parse("{\"text\":\"a\",\"times\":3}", 22, NULL, &params, NULL, 0), 0);
	CU_ASSERT_EQUAL(usk_rpc_call("echo", params, call_done, &g_call_code), 0);
	CU_ASSERT_EQUAL(g_call_code, 0);
	CU_ASSERT_EQUAL(g_call_len, 3);
	CU_ASSERT_EQUAL(usk_rpc_call("rpc_get_methods", NULL, call_done, &g_call_code), 0);
	CU_ASSERT_EQUAL(g_call_len, 5);
	CU_ASSERT_EQUAL(usk_rpc_call("nosuch", params, call_done, &g_call_code), 0);
	CU_ASSERT_EQUAL(g_call_code, USK_JSONRPC_ERROR_METHOD_NOT_FOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_call_message, "nosuch"));
	usk_json_val_free(params);
}

/*
 * An error message cut to its buffer's size must still be UTF-8, or no
 * answer can be built from it: the client waits for ever, and an
 * in-process caller reads success.
 */
static void test_error_cut_inside_a_character_is_answered(void)
{
	static char text[1024];
	size_t n;
	json_t *a;

	/* The method's name is shown to 200 bytes; its 200th and 201st hold an "é". */
	n = (size_t)snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"");
	memset(text + n, 'm', 199);
	snprintf(text + n + 199, sizeof(text) - n - 199, "\xc3\xa9\"}");
	a = request(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_METHOD_NOT_FOUND);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), 12);
	/* An unknown field "x" and 150 "é" overflows the decoder's message inside one. */
	n = (size_t)snprintf(text, sizeof(text),
			     "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"echo\",\"params\":{\"x");
	for (int i = 0; i < 150; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\xc3\xa9");
	}
	snprintf(text + n, sizeof(text) - n, "\":1}}");
	a = request(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(error_code(a), USK_JSONRPC_ERROR_INVALID_PARAMS);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_message(a), "unknown field"));
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_error_not_utf8_is_answered(void)
{
	json_t *a = request("{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"raw\"}");

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(error_code(a), -EIO);
	CU_ASSERT_PTR_NOT_NULL(error_message(a));
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

static void test_in_process_call_sees_a_cut_error(void)
{
	static char method[256];

	memset(method, 'm', 199);
	memcpy(method + 199, "\xc3\xa9", 3);
	g_call_code = 0;
	CU_ASSERT_EQUAL(usk_rpc_call(method, NULL, call_done, &g_call_code), 0);
	CU_ASSERT_EQUAL(g_call_code, USK_JSONRPC_ERROR_METHOD_NOT_FOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_call_message, "not found"));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_register_names_once),
		UT_TEST(test_result_carries_the_id),
		UT_TEST(test_malformed_requests_get_their_error),
		UT_TEST(test_invalid_request_is_answered_with_its_id),
		UT_TEST(test_numeric_id_is_written_back_as_it_came),
		UT_TEST(test_unknown_method_and_bad_params),
		UT_TEST(test_params_not_structured_is_invalid_request),
		UT_TEST(test_notification_gets_no_answer),
		UT_TEST(test_async_answer_comes_later),
		UT_TEST(test_compat_member_noted_once),
		UT_TEST(test_get_methods_takes_spdks_flags),
		UT_TEST(test_in_process_call),
		UT_TEST(test_error_cut_inside_a_character_is_answered),
		UT_TEST(test_error_not_utf8_is_answered),
		UT_TEST(test_in_process_call_sees_a_cut_error),
	};
	int rc = UT_RUN("rpc_request", tests);

	json_decref(g_conn.last);
	free(g_conn.last_text);
	return rc;
}
