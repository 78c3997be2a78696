/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPC answers gathered thread by thread: a walk visits each thread on its
 * own reactor, and each visit writes that thread's part of the answer.
 * Visits follow one another, so the document has one writer at a time.
 * thread_get_stats, thread_get_pollers and thread_get_io_channels are
 * built on it here, and framework_get_reactors in app_rpc.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/rpc.h"
#include "usk/ticks.h"
#include "event_internal.h"

static void thread_walk_visit(void *arg)
{
	struct app_thread_walk *walk = arg;

	walk->visit(walk, usk_thread_get_current());
}

static void thread_walk_done(void *arg)
{
	struct app_thread_walk *walk = arg;

	if (walk->array != NULL) {
		usk_json_write_array_end(walk->w);
	}
	if (walk->finish != NULL) {
		walk->finish(walk);
	}
	usk_json_write_object_end(walk->w);
	if (walk->failed) {
		usk_json_write_end(walk->w, false, NULL);
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
	} else {
		usk_rpc_end_result(walk->req, walk->w);
	}
	free(walk->ctx);
	free(walk);
}

void app_rpc_thread_walk(struct usk_rpc_request *req, const struct usk_json_val *params,
			 const char *array,
			 void (*visit)(struct app_thread_walk *walk, struct usk_thread *thread),
			 void (*finish)(struct app_thread_walk *walk))
{
	struct app_thread_walk *walk;
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
	walk->array = array;
	walk->visit = visit;
	walk->finish = finish;
	walk->w = usk_rpc_begin_result(req);
	if (walk->w == NULL) {
		free(walk);
		return;
	}
	usk_json_write_object_begin(walk->w);
	usk_json_write_named_uint64(walk->w, "tick_rate", usk_ticks_hz());
	if (array != NULL) {
		usk_json_write_named_array_begin(walk->w, array);
	}
	rc = usk_thread_for_each(thread_walk_visit, walk, thread_walk_done);
	if (rc != 0) {
		usk_json_write_end(walk->w, false, NULL);
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "%s", strerror(-rc));
		free(walk);
	}
}

static void write_thread_stats(struct app_thread_walk *walk, struct usk_thread *t)
{
	struct usk_json_write_ctx *w = walk->w;
	struct reactor *r = usk_thread_get_ctx(t);
	struct usk_thread_stats s;

	usk_thread_get_stats(t, &s);
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", usk_thread_get_name(t));
	usk_json_write_named_uint64(w, "id", usk_thread_get_id(t));
	usk_json_write_named_int64(w, "lcore", r ? r->core : -1);
	usk_json_write_named_uint64(w, "busy", s.busy_ticks);
	usk_json_write_named_uint64(w, "idle", s.idle_ticks);
	usk_json_write_named_uint64(w, "msgs", s.msgs);
	usk_json_write_named_uint64(w, "active_pollers_count", s.active_pollers);
	usk_json_write_named_uint64(w, "timed_pollers_count", s.timed_pollers);
	usk_json_write_named_uint64(w, "paused_pollers_count", s.paused_pollers);
	usk_json_write_named_uint64(w, "sleeps", s.sleeps);
	usk_json_write_named_uint64(w, "wakeups_message", s.wakeups_message);
	usk_json_write_named_uint64(w, "wakeups_timer", s.wakeups_timer);
	usk_json_write_named_uint64(w, "wakeups_device", s.wakeups_device);
	usk_json_write_named_uint64(w, "asleep", s.asleep_ticks);
	usk_json_write_object_end(w);
}

void rpc_thread_get_stats(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	app_rpc_thread_walk(req, params, "threads", write_thread_stats, NULL);
}

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

static void write_thread_pollers(struct app_thread_walk *walk, struct usk_thread *t)
{
	usk_json_write_object_begin(walk->w);
	usk_json_write_named_string(walk->w, "name", usk_thread_get_name(t));
	usk_json_write_named_uint64(walk->w, "id", usk_thread_get_id(t));
	usk_json_write_named_array_begin(walk->w, "pollers");
	usk_thread_for_each_poller(write_poller, walk->w);
	usk_json_write_array_end(walk->w);
	usk_json_write_object_end(walk->w);
}

void rpc_thread_get_pollers(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	app_rpc_thread_walk(req, params, "threads", write_thread_pollers, NULL);
}

static void write_io_channel(const struct usk_io_channel_info *info, void *ctx)
{
	struct usk_json_write_ctx *w = ctx;

	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", info->name);
	usk_json_write_named_uint64(w, "ref", info->ref);
	usk_json_write_object_end(w);
}

/* SPDK's shape: each thread's name and channels, no id. */
static void write_thread_io_channels(struct app_thread_walk *walk, struct usk_thread *t)
{
	usk_json_write_object_begin(walk->w);
	usk_json_write_named_string(walk->w, "name", usk_thread_get_name(t));
	usk_json_write_named_array_begin(walk->w, "io_channels");
	usk_thread_for_each_io_channel(write_io_channel, walk->w);
	usk_json_write_array_end(walk->w);
	usk_json_write_object_end(walk->w);
}

void rpc_thread_get_io_channels(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	app_rpc_thread_walk(req, params, "threads", write_thread_io_channels, NULL);
}
