/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * JSON-RPC 2.0 over a Unix socket. Methods register by name; a method's
 * handler decodes its params and answers, then or later, with a result or
 * an error. The server is a poller on the thread that called
 * usk_rpc_listen() (the app thread under the app framework); handlers run
 * there and must answer there.
 *
 * Thread rules: register methods before the server starts (the app
 * framework's start function is early enough), from one pthread. Every
 * other function runs on the server's thread.
 */
#ifndef USK_RPC_H
#define USK_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include "usk/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** Where usk_tgt listens unless told otherwise (-r). */
#define USK_RPC_DEFAULT_SOCKET "/var/tmp/usk.sock"

/** The largest request the server reads; a bigger one gets an error and the connection closes. */
#define USK_RPC_MAX_REQUEST (32u << 20)

/**
 * Seconds a request may take to arrive whole, from its first byte, plus one
 * for each USK_RPC_REQUEST_BYTES_PER_S bytes of it that came; then the
 * connection is closed (a client that sends half a request and stops).
 */
#define USK_RPC_REQUEST_TIMEOUT_S 5

/**
 * The rate above which a big request gets the time it needs: a request of
 * megabytes crosses a loaded machine's socket slowly through no fault of
 * its client (the server reads a socket buffer each turn of its poller),
 * while a byte sent now and then buys nothing. At most 32 s more.
 */
#define USK_RPC_REQUEST_BYTES_PER_S (1u << 20)

/** Seconds a connection may stay open with no request arriving or running. */
#define USK_RPC_IDLE_TIMEOUT_S 60

/**
 * Connections served at once. When all are taken, a new client makes the
 * server close the one that has waited longest on its client with no
 * request running; only when every one runs a request does it wait.
 */
#define USK_RPC_MAX_CONNS 128

/** JSON-RPC 2.0 error codes. */
#define USK_JSONRPC_ERROR_PARSE_ERROR	   (-32700)
#define USK_JSONRPC_ERROR_INVALID_REQUEST  (-32600)
#define USK_JSONRPC_ERROR_METHOD_NOT_FOUND (-32601)
#define USK_JSONRPC_ERROR_INVALID_PARAMS   (-32602)
#define USK_JSONRPC_ERROR_INTERNAL_ERROR   (-32603)

/** One call of a method, until it is answered. */
struct usk_rpc_request;

/**
 * A method. It must answer @p req exactly once, with
 * usk_rpc_end_result(), usk_rpc_send_bool() or usk_rpc_send_error(), now
 * or later on the server's thread.
 *
 * @param req    the call
 * @param params the call's params, or NULL when it had none
 */
typedef void (*usk_rpc_method_fn)(struct usk_rpc_request *req, const struct usk_json_val *params);

/**
 * Register a method. Registering the same name with the same function
 * again does nothing.
 *
 * @return 0; -EINVAL for a NULL name or function; -EEXIST when the name
 *         has another function; -ENOMEM.
 */
int usk_rpc_register_method(const char *name, usk_rpc_method_fn fn);

/**
 * Start serving on a Unix socket, created with mode 0600, from a poller of
 * the current thread. A socket file left by a dead process is replaced; one
 * a live server answers on is not.
 *
 * @param path the socket's path; an empty one is refused (it would name a
 *             Linux abstract socket, which no file permission protects)
 * @return 0; -EINVAL when not on a thread, or the path is empty or too long;
 *         -EADDRINUSE when another server listens there; -EALREADY when
 *         already serving; other negative errnos from socket calls.
 */
int usk_rpc_listen(const char *path);

/**
 * Stop serving: close every connection (answers still pending are
 * dropped when they come) and remove the socket file.
 */
void usk_rpc_close(void);

/**
 * Begin a result; write one JSON value into the context, then call
 * usk_rpc_end_result().
 *
 * @return the context, or NULL when memory is short (the request is then
 *         answered with an internal error).
 */
struct usk_json_write_ctx *usk_rpc_begin_result(struct usk_rpc_request *req);

/** Send the result written into @p w (an internal error if it is not complete). */
void usk_rpc_end_result(struct usk_rpc_request *req, struct usk_json_write_ctx *w);

/** Answer with true or false. */
void usk_rpc_send_bool(struct usk_rpc_request *req, bool value);

/**
 * Answer with an error.
 *
 * @param req  the call
 * @param code a USK_JSONRPC_ERROR_* code, or a method's own (negative errno)
 * @param fmt  printf-style message, followed by its arguments
 */
void usk_rpc_send_error(struct usk_rpc_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Decode a method's params with usk_json_decode_object(); on failure
 * answer with an invalid-params error that names the field.
 *
 * @return 0, or -EINVAL after the error was sent (the method just returns).
 */
int usk_rpc_decode_params(struct usk_rpc_request *req, const struct usk_json_val *params,
			  const struct usk_json_object_decoder *decoders, size_t count, void *out);

/**
 * usk_rpc_decode_params() for a method that also accepts members it does
 * not use (SPDK's clients send them), each only with its one value (see
 * usk_json_decode_object_compat()). The first request of the method that
 * carries such a member has it noted in the log, once.
 *
 * @return 0, or -EINVAL after the error was sent (the method just returns).
 */
int usk_rpc_decode_params_compat(struct usk_rpc_request *req, const struct usk_json_val *params,
				 const struct usk_json_object_decoder *decoders, size_t count,
				 const struct usk_json_compat_member *compat, size_t ncompat,
				 void *out);

/**
 * Receives the answer to usk_rpc_call(): @p result on success, or an
 * error code (not 0) and its message.
 */
typedef void (*usk_rpc_call_cpl)(void *ctx, const struct usk_json_val *result, int error_code,
				 const char *error_message);

/**
 * Call a method from inside the process, as a client would (JSON config
 * files are applied this way). @p cpl runs when the method answers, which
 * may be before this returns.
 *
 * @param method the method's name
 * @param params its params, or NULL; the method may keep no reference
 * @param cpl    receives the answer
 * @param ctx    passed to @p cpl
 * @return 0; -ENOMEM (then @p cpl is not called).
 */
int usk_rpc_call(const char *method, const struct usk_json_val *params, usk_rpc_call_cpl cpl,
		 void *ctx);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_RPC_H */
