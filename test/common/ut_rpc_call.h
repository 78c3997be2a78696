/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests for tests that include lib/rpc/rpc_request.c and answer on the
 * fake connection of ut_rpc_conn.h, and checks of what comes back. Include
 * it after ut_rpc_conn.h.
 */
#ifndef USK_TEST_UT_RPC_CALL_H
#define USK_TEST_UT_RPC_CALL_H

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "ut.h"

/* A request (id 1) for @method with @params, JSON text (NULL: none). */
static inline json_t *ut_rpc_request_new(const char *method, const char *params)
{
	json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	if (params != NULL) {
		json_t *p = json_loads(params, JSON_DECODE_ANY, NULL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		json_object_set_new(req, "params", p);
	}
	return req;
}

/* Hands @request (stolen) to its method as the server would; its answer lands in g_conn.last. */
static inline void ut_rpc_dispatch(json_t *request)
{
	json_decref(g_conn.last);
	g_conn.last = NULL;
	rpc_dispatch(&g_conn, request, NULL, 0);
}

/* Every request is answered, and only once; none is left held. */
static inline void ut_rpc_assert_answered_once(int answers_before)
{
	CU_ASSERT_EQUAL(g_conn.answers, answers_before + 1);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
}

/*
 * Calls @method with @params (JSON text, NULL: none) on this pthread, for
 * a method that answers before it returns; returns the answer.
 */
static inline json_t *ut_rpc_call(const char *method, const char *params)
{
	int answers = g_conn.answers;

	ut_rpc_dispatch(ut_rpc_request_new(method, params));
	ut_rpc_assert_answered_once(answers);
	return g_conn.last;
}

/* @text (JSON, freed here) as compact text with sorted keys, for comparing (free it). */
static inline char *ut_json_sorted(char *text)
{
	json_t *value = json_loads(text, 0, NULL);
	char *sorted;

	CU_ASSERT_PTR_NOT_NULL_FATAL(value);
	sorted = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(value);
	free(text);
	return sorted;
}

/*
 * What @write (a save_config writer) puts in an array, as compact text with
 * sorted keys (free it). The includer has usk/json.h (rpc_request.c's).
 */
static inline char *ut_json_written_sorted(void (*write)(struct usk_json_write_ctx *w))
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char *text = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	usk_json_write_array_begin(w);
	write(w);
	usk_json_write_array_end(w);
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, false, &text), 0);
	return ut_json_sorted(text);
}

static inline uint64_t ut_json_uint(const json_t *object, const char *key)
{
	const json_t *value = json_object_get(object, key);

	CU_ASSERT_TRUE(json_is_integer(value) && json_integer_value(value) >= 0);
	return (uint64_t)json_integer_value(value);
}

/* "" for a field that is missing or not a string, so a compare fails instead of crashing. */
static inline const char *ut_json_string(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(object, key));

	return s != NULL ? s : "";
}

static inline void ut_rpc_assert_refused(const json_t *answer, int code, const char *message)
{
	const json_t *error = json_object_get(answer, "error");

	CU_ASSERT_PTR_NULL(json_object_get(answer, "result"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(error, "code")), code);
	CU_ASSERT_STRING_EQUAL(ut_json_string(error, "message"), message);
}

/* Params a method must refuse as invalid (JSON text, NULL: none), with the message naming why. */
struct ut_rpc_refusal {
	const char *params;
	const char *message;
};

/* Calls a method the test's way and returns its answer. */
typedef json_t *(*ut_rpc_call_fn)(const char *method, const char *params);

static inline void ut_rpc_assert_refusals(ut_rpc_call_fn call, const char *method,
					  const struct ut_rpc_refusal *refusals, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		ut_rpc_assert_refused(call(method, refusals[i].params),
				      USK_JSONRPC_ERROR_INVALID_PARAMS, refusals[i].message);
	}
}

#endif /* USK_TEST_UT_RPC_CALL_H */
