/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Methods and requests: the registry, request checking, dispatch, and the
 * answers, which go back to a connection or to an in-process caller.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "rpc_internal.h"

struct rpc_method {
	char *name;
	usk_rpc_method_fn fn;
	struct rpc_method *next;
};

struct usk_rpc_request {
	/* Exactly one of the two: a client's connection, or an in-process caller. */
	struct rpc_conn *conn;
	usk_rpc_call_cpl cpl;
	void *cpl_ctx;
	/* The id's JSON text, written into the answer; NULL for a notification, which gets none. */
	char *id;
	char *method;
};

static struct rpc_method *g_methods;

static void rpc_get_methods(struct usk_rpc_request *req, const struct usk_json_val *params);

static struct rpc_method *rpc_method_find(const char *name)
{
	struct rpc_method *m;

	for (m = g_methods; m != NULL; m = m->next) {
		if (strcmp(m->name, name) == 0) {
			return m;
		}
	}
	return NULL;
}

int usk_rpc_register_method(const char *name, usk_rpc_method_fn fn)
{
	struct rpc_method *m, **tail;

	if (name == NULL || fn == NULL) {
		return -EINVAL;
	}
	m = rpc_method_find(name);
	if (m != NULL) {
		return m->fn == fn ? 0 : -EEXIST;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->name = strdup(name)) == NULL) {
		free(m);
		return -ENOMEM;
	}
	m->fn = fn;
	/* Kept in registration order, which rpc_get_methods shows. */
	for (tail = &g_methods; *tail != NULL; tail = &(*tail)->next) {
	}
	*tail = m;
	return 0;
}

static void rpc_request_free(struct usk_rpc_request *req)
{
	free(req->id);
	free(req->method);
	free(req);
}

/*
 * The answer with id @id (JSON text) and @value as its @member ("result"
 * or "error"); NULL when memory is short, or jansson cannot write @value.
 */
static char *rpc_answer_text(const char *id, const char *member, const json_t *value)
{
	static const char format[] = "{\"jsonrpc\":\"2.0\",\"id\":%s,\"%s\":%s}";
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	char *answer = NULL;
	size_t size;

	if (text != NULL) {
		size = sizeof(format) + strlen(id) + strlen(member) + strlen(text);
		answer = malloc(size);
		if (answer != NULL) {
			snprintf(answer, size, format, id, member, text);
		}
	}
	free(text);
	return answer;
}

/* Delivers an answer: exactly one of @result and @error is set; both are stolen. */
static void rpc_request_finish(struct usk_rpc_request *req, json_t *result, json_t *error)
{
	char *answer = NULL;

	if (req->cpl != NULL) {
		req->cpl(req->cpl_ctx, json_val_from_jansson(result),
			 error ? (int)json_integer_value(json_object_get(error, "code")) : 0,
			 error ? json_string_value(json_object_get(error, "message")) : NULL);
		json_decref(result);
		json_decref(error);
		rpc_request_free(req);
		return;
	}
	if (req->id != NULL) {
		answer = rpc_answer_text(req->id, result ? "result" : "error",
					 result ? result : error);
	}
	json_decref(result);
	json_decref(error);
	rpc_conn_answer(req->conn, answer);
	rpc_request_free(req);
}

static json_t *rpc_error_new(int code, const char *message)
{
	json_t *error = json_pack("{s:i, s:s}", "code", code, "message", message);

	/* A message JSON cannot carry (a device's bytes, not UTF-8) must not cost the answer. */
	if (error == NULL) {
		error = json_pack("{s:i, s:s}", "code", code, "message",
				  "(the error's message is not UTF-8)");
	}
	return error;
}

void usk_rpc_send_error(struct usk_rpc_request *req, int code, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	utf8_trim(message);
	USK_DEBUGLOG(RPC, "%s: error %d: %s", req->method, code, message);
	rpc_request_finish(req, NULL, rpc_error_new(code, message));
}

struct usk_json_write_ctx *usk_rpc_begin_result(struct usk_rpc_request *req)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();

	if (w == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
	}
	return w;
}

void usk_rpc_end_result(struct usk_rpc_request *req, struct usk_json_write_ctx *w)
{
	int rc;
	json_t *result = json_write_take(w, &rc);

	if (result == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR,
				   "%s: could not write the result: %s", req->method,
				   strerror(-rc));
		return;
	}
	rpc_request_finish(req, result, NULL);
}

void usk_rpc_send_bool(struct usk_rpc_request *req, bool value)
{
	rpc_request_finish(req, json_boolean(value), NULL);
}

/*
 * Says once per compat member of a method's table that a member another
 * implementation's clients send was accepted and left unused: the user
 * learns it, and the log does not fill up with it.
 */
static void rpc_note_compat(const struct usk_rpc_request *req, const struct usk_json_val *params,
			    const struct usk_json_compat_member *compat, size_t ncompat)
{
	static const struct usk_json_compat_member *noted[256];
	static size_t noted_count;

	for (size_t i = 0; i < ncompat; i++) {
		const struct usk_json_compat_member *c = &compat[i];
		size_t n;

		if (usk_json_object_get(params, c->name) == NULL) {
			continue;
		}
		for (n = 0; n < noted_count && noted[n] != c; n++) {
		}
		if (n < noted_count) {
			continue;
		}
		if (noted_count < USK_COUNTOF(noted)) {
			noted[noted_count++] = c;
		}
		USK_NOTICELOG("RPC %s: parameter '%s' accepted and ignored: %s", req->method,
			      c->name, c->why);
	}
}

int usk_rpc_decode_params_compat(struct usk_rpc_request *req, const struct usk_json_val *params,
				 const struct usk_json_object_decoder *decoders, size_t count,
				 const struct usk_json_compat_member *compat, size_t ncompat,
				 void *out)
{
	char err[256];

	if (usk_json_decode_object_compat(params, decoders, count, compat, ncompat, out, err,
					  sizeof(err)) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", err);
		return -EINVAL;
	}
	rpc_note_compat(req, params, compat, ncompat);
	return 0;
}

int usk_rpc_decode_params(struct usk_rpc_request *req, const struct usk_json_val *params,
			  const struct usk_json_object_decoder *decoders, size_t count, void *out)
{
	return usk_rpc_decode_params_compat(req, params, decoders, count, NULL, 0, out);
}

/* Hands a well-formed request to its method. */
static void rpc_request_run(struct usk_rpc_request *req, json_t *params)
{
	struct rpc_method *m = rpc_method_find(req->method);
	char name[201];

	if (m == NULL) {
		snprintf(name, sizeof(name), "%s", req->method);
		utf8_trim(name);
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_METHOD_NOT_FOUND,
				   "method '%s' not found (rpc_get_methods lists them)", name);
		return;
	}
	if (params != NULL && !json_is_object(params)) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: expected an object");
		return;
	}
	m->fn(req, json_val_from_jansson(params));
}

/* Whether @id is an id JSON-RPC allows: a string, a number or null. */
static bool rpc_id_valid(const json_t *id)
{
	return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/* Why @request is no valid request, or NULL when it is one. */
static const char *rpc_request_check(const json_t *request)
{
	const json_t *id = json_object_get(request, "id");
	const json_t *params = json_object_get(request, "params");
	const char *version = json_string_value(json_object_get(request, "jsonrpc"));

	if (!json_is_object(request)) {
		return json_is_array(request) ? "batch requests are not supported"
					      : "a request is a JSON object";
	}
	if (id != NULL && !rpc_id_valid(id)) {
		return "field 'id': expected a string, a number or null";
	}
	if (version == NULL || strcmp(version, "2.0") != 0) {
		return "field 'jsonrpc': expected \"2.0\"";
	}
	if (!json_is_string(json_object_get(request, "method"))) {
		return "field 'method': expected a string";
	}
	/* JSON-RPC 2.0, 4.2: a structured value; an array is left to the method to refuse. */
	if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
		return "field 'params': expected an object";
	}
	return NULL;
}

/*
 * The JSON text to answer @request with as its id, or NULL when it has no
 * valid one (or memory is short). A number is written back as it came in
 * @text: the parser keeps no integer past int64, and no real as written,
 * and a client matches answers to requests by the id's text.
 */
static char *rpc_id_text(const json_t *request, const char *text, size_t len)
{
	const json_t *id = json_object_get(request, "id");
	size_t off, n;

	if (id == NULL || !rpc_id_valid(id)) {
		return NULL;
	}
	if (json_is_number(id) && text != NULL && json_member_text(text, len, "id", &off, &n)) {
		return strndup(text + off, n);
	}
	return json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * Refuses an invalid request, answering with its id when it has a usable
 * one, @id (stolen; the client can then tell which request failed), else
 * with null.
 */
static void rpc_request_refuse(struct rpc_conn *conn, char *id, const char *message)
{
	struct usk_rpc_request *req = NULL;

	if (id != NULL) {
		req = calloc(1, sizeof(*req));
	}
	if (req == NULL) {
		free(id);
		rpc_conn_error(conn, USK_JSONRPC_ERROR_INVALID_REQUEST, message);
		return;
	}
	req->conn = conn;
	req->id = id;
	rpc_conn_hold(conn);
	rpc_request_finish(req, NULL, rpc_error_new(USK_JSONRPC_ERROR_INVALID_REQUEST, message));
}

void rpc_dispatch(struct rpc_conn *conn, json_t *request, const char *text, size_t len)
{
	struct usk_rpc_request *req;
	bool has_id = json_object_get(request, "id") != NULL;
	char *id = rpc_id_text(request, text, len);
	const char *invalid = rpc_request_check(request);

	if (invalid != NULL) {
		rpc_request_refuse(conn, id, invalid);
		json_decref(request);
		return;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL || (has_id && id == NULL) ||
	    (req->method = strdup(json_string_value(json_object_get(request, "method")))) == NULL) {
		free(req);
		free(id);
		rpc_conn_error(conn, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		json_decref(request);
		return;
	}
	req->conn = conn;
	req->id = id;
	rpc_conn_hold(conn);
	rpc_request_run(req, json_object_get(request, "params"));
	json_decref(request);
}

int usk_rpc_call(const char *method, const struct usk_json_val *params, usk_rpc_call_cpl cpl,
		 void *ctx)
{
	struct usk_rpc_request *req = calloc(1, sizeof(*req));

	if (req == NULL || (req->method = strdup(method)) == NULL) {
		free(req);
		return -ENOMEM;
	}
	req->cpl = cpl;
	req->cpl_ctx = ctx;
	rpc_register_builtin_methods();
	rpc_request_run(req, json_val_jansson(params));
	return 0;
}

/* rpc_get_methods' params, SPDK's: its rpc.py always sends both. */
struct rpc_get_methods_params {
	bool current;
	bool include_aliases;
};

static const struct usk_json_object_decoder g_get_methods_decoders[] = {
	{"current", offsetof(struct rpc_get_methods_params, current), usk_json_decode_bool, true},
	{"include_aliases", offsetof(struct rpc_get_methods_params, include_aliases),
	 usk_json_decode_bool, true},
};

/*
 * Both flags are accepted and change nothing: SPDK's "current" leaves out
 * the methods of the start-up state that cannot be called now, but USK has
 * one state, running, where every method can be called; and USK has no
 * deprecated aliases for "include_aliases" to add.
 */
static void rpc_get_methods(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct rpc_get_methods_params p = {0};
	struct usk_json_write_ctx *w;
	struct rpc_method *m;

	if (usk_rpc_decode_params(req, params, g_get_methods_decoders,
				  USK_COUNTOF(g_get_methods_decoders), &p) != 0) {
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w == NULL) {
		return;
	}
	usk_json_write_array_begin(w);
	for (m = g_methods; m != NULL; m = m->next) {
		usk_json_write_string(w, m->name);
	}
	usk_json_write_array_end(w);
	usk_rpc_end_result(req, w);
}

int rpc_register_builtin_methods(void)
{
	return usk_rpc_register_method("rpc_get_methods", rpc_get_methods);
}
