/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * thread_get_pollers: every thread's pollers with their run counts. A walk
 * visits each thread on its reactor, and each visit writes that thread's
 * part of the answer; visits follow one another, so the document has one
 * writer at a time.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/rpc.h"
#include "usk/ticks.h"
#include "event_internal.h"

struct pollers_walk {
	struct usk_rpc_request *req;
	struct usk_json_write_ctx *w;
};

static void write_poller(const struct usk_poller_info *info, void *ctx)
{
	struct usk_json_write_ctx *w = ctx;

	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", info->name);
	usk_json_write_named_string(w, "state", info->paused ? "paused" : "waiting");
	usk_json_write_named_uint64(w, "period_us", info->period_us);
	usk_json_write_named_uint64(w, "run_count", info->runs);
	usk_json_write_named_uint64(w, "busy_count", info->busy_runs);
	usk_json_write_object_end(w);
}

static void pollers_walk_visit(void *ctx)
{
	struct pollers_walk *walk = ctx;
	struct usk_thread *t = usk_thread_get_current();

	usk_json_write_object_begin(walk->w);
	usk_json_write_named_string(walk->w, "name", usk_thread_get_name(t));
	usk_json_write_named_uint64(walk->w, "id", usk_thread_get_id(t));
	usk_json_write_named_array_begin(walk->w, "pollers");
	usk_thread_for_each_poller(write_poller, walk->w);
	usk_json_write_array_end(walk->w);
	usk_json_write_object_end(walk->w);
}

static void pollers_walk_done(void *ctx)
{
	struct pollers_walk *walk = ctx;

	usk_json_write_array_end(walk->w);
	usk_json_write_object_end(walk->w);
	usk_rpc_end_result(walk->req, walk->w);
	free(walk);
}

void rpc_thread_get_pollers(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct pollers_walk *walk;
	int rc;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	walk = calloc(1, sizeof(*walk));
	if (walk == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		return;
	}
	walk->req = req;
	walk->w = usk_rpc_begin_result(req);
	if (walk->w == NULL) {
		free(walk);
		return;
	}
	usk_json_write_object_begin(walk->w);
	usk_json_write_named_uint64(walk->w, "tick_rate", usk_ticks_hz());
	usk_json_write_named_array_begin(walk->w, "threads");
	rc = usk_thread_for_each(pollers_walk_visit, walk, pollers_walk_done);
	if (rc != 0) {
		usk_json_write_end(walk->w, false, NULL);
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "%s", strerror(-rc));
		free(walk);
	}
}
