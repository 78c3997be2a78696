/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC request path as the socket server runs it: bytes through
 * usk_json_parse(), then lib/rpc's own dispatch (rpc_dispatch, included
 * from rpc_request.c with a fake connection in place of the server's), to
 * the real method table and each method's parameter decoding.
 *
 * Input: the first byte picks the mode.
 *  - even: a method by its index in the registered list (the second byte),
 *    called with the rest of the input parsed as its params; the fuzzer
 *    then reaches every method's decoder without having to spell names.
 *  - odd: the rest is request text, as a client sends it (up to 8 requests
 *    one after the other, so a later one can use a bdev an earlier one
 *    made); the request checks (jsonrpc, id, method) get fuzzed too.
 * Each request must be answered exactly once by the time the thread is
 * quiet; whatever the input made is deleted before the next one.
 */
#include "config.h"

#include "../../lib/rpc/rpc_request.c"
#include "fuzz_common.h"
#include "fuzz_rpc_env.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_no_server.h"

/* More requests in one input only repeat what a few reach. */
#define FUZZ_MAX_REQUESTS 8

/* The registered methods by index, filled once. */
static const char *g_names[128];
static size_t g_name_count;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (fuzz_rpc_env_init() != 0) {
		return -1;
	}
	for (struct rpc_method *m = g_methods; m != NULL && g_name_count < 128; m = m->next) {
		g_names[g_name_count++] = m->name;
	}
	return 0;
}

/* A parsed request (stolen by dispatch) and the text it came from (NULL: built here). */
struct fuzz_request {
	json_t *request;
	const char *text;
	size_t len;
};

/* On the world's thread: what the server does with a parsed request. */
static void dispatch_msg(void *ctx)
{
	struct fuzz_request *r = ctx;

	rpc_dispatch(&g_conn, r->request, r->text, r->len);
}

/* A request object for the method the input picked, with the params it wrote (stolen). */
static json_t *request_for(uint8_t index, json_t *params)
{
	json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method",
				g_names[index % g_name_count]);

	if (req != NULL && params != NULL) {
		json_object_set_new(req, "params", params);
	} else {
		json_decref(params);
	}
	return req;
}

/*
 * Parses the first value of @text; *@used: the bytes it took. NULL when
 * the text holds no whole value.
 */
static json_t *parse(const uint8_t *text, size_t len, size_t *used)
{
	struct usk_json_val *v = NULL;
	char err[256];

	if (usk_json_parse((const char *)text, len, used, &v, err, sizeof(err)) != 0) {
		return NULL;
	}
	return json_val_jansson(v);
}

/*
 * Dispatches @req (stolen) as the server would and checks it was answered
 * once, and with an answer unless it is a notification: an answer that
 * could not be built (a message jansson refuses) reaches the connection
 * as NULL, which the client never sees.
 */
static void call(json_t *req, const uint8_t *text, size_t len)
{
	struct fuzz_request r = {req, (const char *)text, len};
	int answers = g_conn.answers;
	bool has_id = json_object_get(req, "id") != NULL;
	char method[64];

	/* A rewritten request is no longer the text: its id is written anew. */
	switch (fuzz_rpc_request_filter(req)) {
	case FUZZ_RPC_REFUSED:
		json_decref(req);
		return;
	case FUZZ_RPC_REWRITTEN:
		r.text = NULL;
		break;
	case FUZZ_RPC_CALL:
		break;
	}
	snprintf(method, sizeof(method), "%s",
		 json_string_value(json_object_get(req, "method")) ?: "(none)");
	fuzz_rpc_env_run(dispatch_msg, &r);
	FUZZ_CHECK(g_conn.answers == answers + 1 && g_conn.holds == 0,
		   "request to %s answered %d times, %d left held", method,
		   g_conn.answers - answers, g_conn.holds);
	FUZZ_CHECK(!has_id || g_conn.last != NULL, "request to %s with an id got no answer",
		   method);
	json_decref(g_conn.last);
	g_conn.last = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t used = 0;
	json_t *req;

	if (size < 2) {
		return 0;
	}
	if (data[0] % 2 == 0) {
		json_t *params = size > 2 ? parse(data + 2, size - 2, &used) : NULL;

		/* Params that are no JSON stop at the parser, as on the socket. */
		if (size == 2 || params != NULL) {
			call(request_for(data[1], params), NULL, 0);
		}
	} else {
		/*
		 * Requests one after the other on one connection, as the server
		 * reads them, so one can use what another made (a bdev).
		 */
		data++;
		size--;
		for (int n = 0; n < FUZZ_MAX_REQUESTS && (req = parse(data, size, &used)) != NULL;
		     n++) {
			call(req, data, used);
			data += used;
			size -= used;
		}
	}
	fuzz_rpc_env_reset();
	return 0;
}
