/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client's connection to the socket server: shared by rpc_conn.c, which
 * reads, frames and answers its requests, and rpc_server.c, which accepts
 * connections and decides when they go. Kept out of rpc_internal.h, whose
 * struct rpc_conn stays opaque (tests of rpc_request.c define their own).
 */
#ifndef USK_RPC_CONN_H
#define USK_RPC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "rpc_internal.h"

/* Where the scanner is in the request being read. */
struct rpc_scan {
	size_t pos;
	uint32_t depth;
	bool in_string;
	bool escaped;
	bool scalar; /* the value found is a number or a word: the parser finds its end */
};

struct rpc_conn {
	int fd;	   /* -1 once closed; the structure waits for pending answers */
	pid_t pid; /* the client's, for the logs; 0 when unknown */
	char *in;
	size_t in_len;
	size_t in_cap;
	struct rpc_scan scan;
	char *out;
	size_t out_len;
	size_t out_off;
	uint32_t pending; /* holds: the running request's, and a poll round's */
	/*
	 * A request of this connection runs (dispatched, not answered yet). The
	 * next one waits for it, so that requests run, and are answered, in
	 * the order they came, whichever answer sooner.
	 */
	bool running;
	/*
	 * Ticks since when the server waits on the client (for the timeouts, and
	 * to choose whom to drop when full); 0 until the poll round stamps it.
	 * idle_since: nothing to read or run; partial_since: a request began to
	 * arrive (in_len > 0: the input holds no leading white space).
	 */
	uint64_t idle_since;
	uint64_t partial_since;
	uint64_t backlog_since; /* since when the answers pile up (rpc_conn_backlogged) */
	bool eof;     /* the client will send no more */
	bool closing; /* a protocol error was answered: close once it is sent */
	TAILQ_ENTRY(rpc_conn) link;
};

/* Closes the socket and drops the buffers; the structure stays while answers are pending. */
void rpc_conn_close(struct rpc_conn *c);

/* Frees a closed connection once no request of it waits for an answer. */
void rpc_conn_release_if_done(struct rpc_conn *c);

/* Sends what the output holds, as far as the socket takes it now. */
void rpc_conn_flush(struct rpc_conn *c);

/*
 * Answers the client has not read pile up past this: the connection reads
 * and runs no more requests until the client reads. Without it, a client
 * that sends requests and never reads answers grows the output without end.
 */
#define RPC_OUTPUT_BACKLOG (1u << 20)

/* Whether @c's unsent answers reached RPC_OUTPUT_BACKLOG. */
bool rpc_conn_backlogged(const struct rpc_conn *c);

/* Reads what the client sent, without blocking; returns whether anything came. */
bool rpc_conn_read(struct rpc_conn *c);

/*
 * Parses and dispatches the whole requests the input holds, one at a time:
 * it stops at a request that is not answered at once, and goes on from
 * there in a later call. Returns whether it dispatched any.
 */
bool rpc_conn_process(struct rpc_conn *c);

/* rpc_server.c: @c closed its socket, one client fewer. */
void rpc_server_conn_closed(struct rpc_conn *c);

/* rpc_server.c: @c is closed and no request holds it: unlink and free it. */
void rpc_server_conn_free(struct rpc_conn *c);

#endif /* USK_RPC_CONN_H */
