/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The world the JSON targets call methods in: one usk_thread polled by
 * hand (no reactors), the bdev layer on it, and every RPC method that
 * can run without a running app registered as usk_tgt registers them:
 * lib/rpc's, lib/event's framework and log methods, lib/bdev's and the
 * built-in bdev modules'. Each input must leave this world as it found it.
 */
#ifndef USK_TEST_FUZZ_RPC_ENV_H
#define USK_TEST_FUZZ_RPC_ENV_H

#include <stdbool.h>

#include <jansson.h>

#include "usk/thread.h"

/* Sets the world up once; returns 0 or a negative errno. */
int fuzz_rpc_env_init(void);

/* Runs @fn(@ctx) on the world's thread and polls it until all is quiet. */
void fuzz_rpc_env_run(usk_msg_fn fn, void *ctx);

/* What the harness lets through of a call. */
enum fuzz_rpc_verdict {
	FUZZ_RPC_CALL,	    /* as it is */
	FUZZ_RPC_REWRITTEN, /* with @params changed in place (see the .c) */
	FUZZ_RPC_REFUSED,   /* not at all */
};

/*
 * Judges a call of @method with @params (an object or NULL): the few calls
 * that would reach outside the process or take more memory than a fuzzer
 * can give are refused or made harmless, before any method sees them.
 */
enum fuzz_rpc_verdict fuzz_rpc_call_filter(const char *method, json_t *params);

/* Same for a whole request object {"method": ..., "params": ...}. */
enum fuzz_rpc_verdict fuzz_rpc_request_filter(json_t *request);

/* Deletes every bdev the input made and puts the log back: the next input starts clean. */
void fuzz_rpc_env_reset(void);

#endif /* USK_TEST_FUZZ_RPC_ENV_H */
