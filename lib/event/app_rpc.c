/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The framework's RPC methods: reactors with their threads, the version,
 * subsystems and their config (save_config and SPDK's rpc.py's pieces of
 * it), framework_wait_init, spdk_kill_instance, and the table that
 * registers them with the thread methods of thread_rpc.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/rpc.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "event_internal.h"

/* framework_get_reactors: which reactor each thread is on, gathered first. */
struct thread_place {
	char name[64];
	uint64_t id;
	uint32_t reactor;
};

struct thread_places {
	size_t count;
	struct thread_place items[];
};

static void note_thread_place(struct app_thread_walk *walk, struct usk_thread *t)
{
	struct thread_places *places = walk->ctx;
	struct reactor *r = usk_thread_get_ctx(t);
	size_t count = places ? places->count : 0;
	struct thread_place *p;

	places = realloc(places, sizeof(*places) + (count + 1) * sizeof(places->items[0]));
	if (places == NULL) {
		walk->failed = true;
		return;
	}
	walk->ctx = places;
	places->count = count + 1;
	p = &places->items[count];
	snprintf(p->name, sizeof(p->name), "%s", usk_thread_get_name(t));
	p->id = usk_thread_get_id(t);
	p->reactor = r ? r->index : 0;
}

static void write_reactor(struct usk_json_write_ctx *w, const struct thread_places *places,
			  uint32_t index)
{
	struct reactor *r = &g_app.reactors[index];

	usk_json_write_object_begin(w);
	usk_json_write_named_int64(w, "lcore", r->core);
	usk_json_write_named_uint64(w, "busy", atomic_load(&r->busy_ticks));
	usk_json_write_named_uint64(w, "idle", atomic_load(&r->idle_ticks));
	usk_json_write_named_uint64(w, "sleeps", atomic_load(&r->sleeps));
	usk_json_write_named_uint64(w, "wakeups", atomic_load(&r->wakeups));
	usk_json_write_named_uint64(w, "wakeups_message", atomic_load(&r->wakeups_message));
	usk_json_write_named_uint64(w, "wakeups_timer", atomic_load(&r->wakeups_timer));
	usk_json_write_named_uint64(w, "wakeups_device", atomic_load(&r->wakeups_device));
	usk_json_write_named_uint64(w, "sleep_aborts", atomic_load(&r->sleep_aborts));
	usk_json_write_named_uint64(w, "asleep", atomic_load(&r->asleep_ticks));
	usk_json_write_named_uint64(w, "idle_spell", atomic_load(&r->idle_spell_ticks));
	usk_json_write_named_bool(w, "in_interrupt", atomic_load(&r->sleeping));
	usk_json_write_named_array_begin(w, "lw_threads");
	for (size_t i = 0; places != NULL && i < places->count; i++) {
		if (places->items[i].reactor == index) {
			usk_json_write_object_begin(w);
			usk_json_write_named_string(w, "name", places->items[i].name);
			usk_json_write_named_uint64(w, "id", places->items[i].id);
			usk_json_write_object_end(w);
		}
	}
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
}

static void write_reactors(struct app_thread_walk *walk)
{
	usk_json_write_named_bool(walk->w, "idle_sleep", g_app.opts.idle_sleep);
	usk_json_write_named_array_begin(walk->w, "reactors");
	for (uint32_t i = 0; i < g_app.nreactors; i++) {
		write_reactor(walk->w, walk->ctx, i);
	}
	usk_json_write_array_end(walk->w);
}

static void rpc_framework_get_reactors(struct usk_rpc_request *req,
				       const struct usk_json_val *params)
{
	app_rpc_thread_walk(req, params, NULL, note_thread_place, write_reactors);
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

/* Reads a decimal number at *@p, and moves past it. */
static int version_number(const char **p, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)**p)) {
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno != 0 || v > UINT32_MAX) {
		return -EINVAL;
	}
	*out = (uint32_t)v;
	*p = end;
	return 0;
}

int app_version_parse(const char *text, struct app_version *v)
{
	const char *p = text;

	*v = (struct app_version){.suffix = ""};
	if (version_number(&p, &v->major) != 0 || *p != '.') {
		return -EINVAL;
	}
	p++;
	if (version_number(&p, &v->minor) != 0) {
		return -EINVAL;
	}
	if (p[0] == '.' && isdigit((unsigned char)p[1])) {
		p++;
		version_number(&p, &v->patch);
	}
	v->suffix = p;
	return 0;
}

/* SPDK's tools read "fields"; "version" is for people. */
static void rpc_spdk_get_version(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct usk_json_write_ctx *w;
	struct app_version v;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	if (app_version_parse(PACKAGE_VERSION, &v) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR,
				   "this build's version '%s' is not MAJOR.MINOR[.PATCH]",
				   PACKAGE_VERSION);
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w == NULL) {
		return;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "version", "USK v" PACKAGE_VERSION);
	usk_json_write_named_object_begin(w, "fields");
	usk_json_write_named_uint64(w, "major", v.major);
	usk_json_write_named_uint64(w, "minor", v.minor);
	usk_json_write_named_uint64(w, "patch", v.patch);
	usk_json_write_named_string(w, "suffix", v.suffix);
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
	usk_rpc_end_result(req, w);
}

static void rpc_framework_get_subsystems(struct usk_rpc_request *req,
					 const struct usk_json_val *params)
{
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w != NULL) {
		subsystems_write_list(w);
		usk_rpc_end_result(req, w);
	}
}

struct get_config_params {
	char *name;
	bool with_batches; /* SPDK's; USK writes no batches, so there is nothing to keep */
};

static const struct usk_json_object_decoder g_get_config_decoders[] = {
	{"name", offsetof(struct get_config_params, name), usk_json_decode_string, false},
	{"with_batches", offsetof(struct get_config_params, with_batches), usk_json_decode_bool,
	 true},
};

/* One subsystem's part of save_config: SPDK's rpc.py builds save_config from these. */
static void rpc_framework_get_config(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct get_config_params p = {0};
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params(req, params, g_get_config_decoders,
				  USK_COUNTOF(g_get_config_decoders), &p) != 0) {
		free(p.name);
		return;
	}
	if (!subsystem_exists(p.name)) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'name': no subsystem is called '%s' "
				   "(framework_get_subsystems lists them)",
				   p.name);
		free(p.name);
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w != NULL) {
		subsystem_write_config(p.name, w);
		usk_rpc_end_result(req, w);
	}
	free(p.name);
}

/* framework_wait_init calls made before start-up got past the subsystems. */
struct init_waiter {
	struct usk_rpc_request *req;
	struct init_waiter *next;
};

static struct init_waiter *g_init_waiters;
static bool g_init_finished;
static int g_init_rc;

static void init_answer(struct usk_rpc_request *req)
{
	if (g_init_rc == 0) {
		usk_rpc_send_bool(req, true);
	} else {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR,
				   "the framework did not start: %s", strerror(-g_init_rc));
	}
}

static void rpc_framework_wait_init(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct init_waiter *waiter, **tail;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	if (g_init_finished) {
		init_answer(req);
		return;
	}
	waiter = calloc(1, sizeof(*waiter));
	if (waiter == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		return;
	}
	waiter->req = req;
	/* Answered in the order they came. */
	for (tail = &g_init_waiters; *tail != NULL; tail = &(*tail)->next) {
	}
	*tail = waiter;
}

void app_rpc_init_finished(int rc)
{
	struct init_waiter *waiter;

	g_init_finished = true;
	g_init_rc = rc;
	while ((waiter = g_init_waiters) != NULL) {
		g_init_waiters = waiter->next;
		init_answer(waiter->req);
		free(waiter);
	}
}

void app_rpc_init_reset(void)
{
	/* None is left unanswered, even by an app that never got that far. */
	if (!g_init_finished) {
		app_rpc_init_finished(-ECANCELED);
	}
	g_init_finished = false;
	g_init_rc = 0;
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
		{"spdk_get_version", rpc_spdk_get_version},
		{"framework_get_subsystems", rpc_framework_get_subsystems},
		{"framework_get_config", rpc_framework_get_config},
		{"framework_wait_init", rpc_framework_wait_init},
		{"framework_get_reactors", rpc_framework_get_reactors},
		{"thread_get_stats", rpc_thread_get_stats},
		{"thread_get_pollers", rpc_thread_get_pollers},
		{"thread_get_io_channels", rpc_thread_get_io_channels},
		{"save_config", rpc_save_config},
		{"spdk_kill_instance", rpc_spdk_kill_instance},
	};

	return app_rpc_register_table(methods, sizeof(methods) / sizeof(methods[0]));
}
