/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake connection for tests that include lib/rpc/rpc_request.c in place
 * of the socket server: it records how often a request was held and
 * answered, and keeps the last answer. Include it after rpc_request.c.
 */
#ifndef USK_TEST_UT_RPC_CONN_H
#define USK_TEST_UT_RPC_CONN_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "usk_internal/json.h"

struct rpc_conn {
	int holds;
	int answers;
	json_t *last;	 /* the last answer, parsed, owned here */
	char *last_text; /* the last answer as it would be sent, owned here */
};

static struct rpc_conn g_conn;

void rpc_conn_hold(struct rpc_conn *c)
{
	c->holds++;
}

void rpc_conn_answer(struct rpc_conn *c, char *answer)
{
	struct usk_json_val *v = NULL;

	c->holds--;
	c->answers++;
	json_decref(c->last);
	free(c->last_text);
	c->last_text = answer;
	/* Parsed as the server parses, so that an id past int64 is no failure; NULL if none. */
	if (answer != NULL && usk_json_parse(answer, strlen(answer), NULL, &v, NULL, 0) != 0) {
		v = NULL;
	}
	c->last = json_val_jansson(v);
}

/* The server's own refusal of a request that reaches no method; it held none. */
void rpc_conn_error(struct rpc_conn *c, int code, const char *message)
{
	json_t *error = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
				  "code", code, "message", message);

	rpc_conn_answer(c, json_dumps(error, JSON_COMPACT));
	json_decref(error);
	c->holds++;
}

#endif /* USK_TEST_UT_RPC_CONN_H */
