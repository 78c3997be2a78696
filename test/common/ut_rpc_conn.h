/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake connection for tests that include lib/rpc/rpc_request.c in place
 * of the socket server: it records how often a request was held and
 * answered, and keeps the last answer. Include it after rpc_request.c.
 */
#ifndef USK_TEST_UT_RPC_CONN_H
#define USK_TEST_UT_RPC_CONN_H

#include <jansson.h>

struct rpc_conn {
	int holds;
	int answers;
	json_t *last; /* the last answer, owned here */
};

static struct rpc_conn g_conn;

void rpc_conn_hold(struct rpc_conn *c)
{
	c->holds++;
}

void rpc_conn_answer(struct rpc_conn *c, json_t *response)
{
	c->holds--;
	c->answers++;
	json_decref(c->last);
	c->last = response;
}

/* The server's own refusal of a request that reaches no method; it held none. */
void rpc_conn_error(struct rpc_conn *c, int code, const char *message)
{
	rpc_conn_answer(c, json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
				     "code", code, "message", message));
	c->holds++;
}

#endif /* USK_TEST_UT_RPC_CONN_H */
