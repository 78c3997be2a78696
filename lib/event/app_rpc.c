/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The framework's RPC methods: reactors and threads with their counters,
 * save_config, and spdk_kill_instance. Thread figures are gathered by a
 * walk that visits each thread on its own reactor.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/rpc.h"
#include "usk/ticks.h"
#include "event_internal.h"

struct thread_snapshot {
	char name[64];
	uint64_t id;
	uint32_t reactor;
	struct usk_thread_stats stats;
};

struct stats_walk {
	struct usk_rpc_request *req;
	struct thread_snapshot *items;
	size_t count;
	size_t cap;
	bool nomem;
	void (*write)(struct stats_walk *walk, struct usk_json_write_ctx *w);
};

static void stats_walk_visit(void *ctx)
{
	struct stats_walk *walk = ctx;
	struct usk_thread *t = usk_thread_get_current();
	struct reactor *r = usk_thread_get_ctx(t);
	struct thread_snapshot *s;

	if (walk->count == walk->cap) {
		size_t cap = walk->cap ? walk->cap * 2 : 16;
		struct thread_snapshot *items = realloc(walk->items, cap * sizeof(*items));

		if (items == NULL) {
			walk->nomem = true;
			return;
		}
		walk->items = items;
		walk->cap = cap;
	}
	s = &walk->items[walk->count++];
	snprintf(s->name, sizeof(s->name), "%s", usk_thread_get_name(t));
	s->id = usk_thread_get_id(t);
	s->reactor = r ? r->index : 0;
	usk_thread_get_stats(t, &s->stats);
}

static void stats_walk_done(void *ctx)
{
	struct stats_walk *walk = ctx;
	struct usk_json_write_ctx *w;

	if (walk->nomem) {
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
	} else if ((w = usk_rpc_begin_result(walk->req)) != NULL) {
		walk->write(walk, w);
		usk_rpc_end_result(walk->req, w);
	}
	free(walk->items);
	free(walk);
}

/* Answers @req with what @write makes of every thread's snapshot. */
static void stats_walk_start(struct usk_rpc_request *req, const struct usk_json_val *params,
			     void (*write)(struct stats_walk *walk, struct usk_json_write_ctx *w))
{
	struct stats_walk *walk;
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
	walk->write = write;
	rc = usk_thread_for_each(stats_walk_visit, walk, stats_walk_done);
	if (rc != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "%s", strerror(-rc));
		free(walk);
	}
}

static void write_thread_stats(struct stats_walk *walk, struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_uint64(w, "tick_rate", usk_ticks_hz());
	usk_json_write_named_array_begin(w, "threads");
	for (size_t i = 0; i < walk->count; i++) {
		const struct thread_snapshot *s = &walk->items[i];

		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "name", s->name);
		usk_json_write_named_uint64(w, "id", s->id);
		usk_json_write_named_int64(w, "lcore", g_app.reactors[s->reactor].core);
		usk_json_write_named_uint64(w, "busy", s->stats.busy_ticks);
		usk_json_write_named_uint64(w, "idle", s->stats.idle_ticks);
		usk_json_write_named_uint64(w, "msgs", s->stats.msgs);
		usk_json_write_named_uint64(w, "active_pollers_count", s->stats.active_pollers);
		usk_json_write_named_uint64(w, "timed_pollers_count", s->stats.timed_pollers);
		usk_json_write_named_uint64(w, "paused_pollers_count", s->stats.paused_pollers);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
}

static void rpc_thread_get_stats(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	stats_walk_start(req, params, write_thread_stats);
}

static void write_reactor(struct stats_walk *walk, struct usk_json_write_ctx *w, uint32_t index)
{
	struct reactor *r = &g_app.reactors[index];

	usk_json_write_object_begin(w);
	usk_json_write_named_int64(w, "lcore", r->core);
	usk_json_write_named_uint64(w, "busy", atomic_load(&r->busy_ticks));
	usk_json_write_named_uint64(w, "idle", atomic_load(&r->idle_ticks));
	usk_json_write_named_uint64(w, "sleeps", atomic_load(&r->sleeps));
	usk_json_write_named_uint64(w, "wakeups", atomic_load(&r->wakeups));
	usk_json_write_named_bool(w, "in_interrupt", atomic_load(&r->sleeping));
	usk_json_write_named_array_begin(w, "lw_threads");
	for (size_t i = 0; i < walk->count; i++) {
		if (walk->items[i].reactor == index) {
			usk_json_write_object_begin(w);
			usk_json_write_named_string(w, "name", walk->items[i].name);
			usk_json_write_named_uint64(w, "id", walk->items[i].id);
			usk_json_write_object_end(w);
		}
	}
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
}

static void write_reactors(struct stats_walk *walk, struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_uint64(w, "tick_rate", usk_ticks_hz());
	usk_json_write_named_bool(w, "idle_sleep", g_app.opts.idle_sleep);
	usk_json_write_named_array_begin(w, "reactors");
	for (uint32_t i = 0; i < g_app.nreactors; i++) {
		write_reactor(walk, w, i);
	}
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
}

static void rpc_framework_get_reactors(struct usk_rpc_request *req,
				       const struct usk_json_val *params)
{
	stats_walk_start(req, params, write_reactors);
}

static void rpc_save_config(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w != NULL) {
		subsystems_write_config(w);
		usk_rpc_end_result(req, w);
	}
}

struct kill_params {
	char *sig_name;
};

static const struct usk_json_object_decoder g_kill_decoders[] = {
	{"sig_name", offsetof(struct kill_params, sig_name), usk_json_decode_string, false},
};

/* Stops the app as the signal would; the answer goes out before the server closes. */
static void rpc_spdk_kill_instance(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct kill_params p = {0};

	if (usk_rpc_decode_params(req, params, g_kill_decoders, 1, &p) != 0) {
		free(p.sig_name);
		return;
	}
	if (strcmp(p.sig_name, "SIGINT") != 0 && strcmp(p.sig_name, "SIGTERM") != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'sig_name': expected \"SIGINT\" or \"SIGTERM\"");
	} else {
		usk_rpc_send_bool(req, true);
		usk_app_stop(0);
	}
	free(p.sig_name);
}

int app_rpc_register_table(const struct app_rpc_method *methods, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int rc = usk_rpc_register_method(methods[i].name, methods[i].fn);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int app_rpc_register(void)
{
	static const struct app_rpc_method methods[] = {
		{"framework_get_reactors", rpc_framework_get_reactors},
		{"thread_get_stats", rpc_thread_get_stats},
		{"thread_get_pollers", rpc_thread_get_pollers},
		{"save_config", rpc_save_config},
		{"spdk_kill_instance", rpc_spdk_kill_instance},
	};

	return app_rpc_register_table(methods, sizeof(methods) / sizeof(methods[0]));
}
