/* SPDX-License-Identifier: BSD-3-Clause */
/* What lib/rpc's request handling and its socket server share. */
#ifndef USK_RPC_INTERNAL_H
#define USK_RPC_INTERNAL_H

#include "usk/rpc.h"
#include "usk_internal/json.h"

struct rpc_conn;

/*
 * Takes one parsed request (stolen) that arrived on @conn: answers the
 * malformed ones itself and hands the others to their method. @text (@len
 * bytes) is what it was parsed from, from which a numeric id is written
 * back as it came; NULL when there is none (the id is then written anew).
 */
void rpc_dispatch(struct rpc_conn *conn, json_t *request, const char *text, size_t len);

/*
 * Queues an answer, a JSON text (stolen, malloc()ed), on a connection, or
 * drops it when the peer is gone; NULL answers nothing (a notification).
 * Releases the request's hold.
 */
void rpc_conn_answer(struct rpc_conn *conn, char *answer);

/* A request on @conn is waiting for its answer; the connection outlives it. */
void rpc_conn_hold(struct rpc_conn *conn);

/* Answers @conn without a request, with id null (for unparseable input). */
void rpc_conn_error(struct rpc_conn *conn, int code, const char *message);

/* Registers the methods lib/rpc itself serves (rpc_get_methods). */
int rpc_register_builtin_methods(void);

#endif /* USK_RPC_INTERNAL_H */
