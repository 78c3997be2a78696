/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target as a subsystem of the app framework: the transport's
 * options, a poll group on every reactor, the discovery subsystem, the
 * keep alive poller, save_config, and an orderly end (listeners closed,
 * hosts disconnected, poll groups stopped, then the namespaces' bdevs let
 * go) before the bdev subsystem finishes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "usk/event.h"
#include "usk/log.h"
#include "usk/nvmf.h"
#include "usk/util.h"
#include "nvmf_internal.h"

void nvmf_transport_opts_default(struct nvmf_transport_opts *o)
{
	*o = (struct nvmf_transport_opts){
		.max_queue_depth = 128,
		.max_io_qpairs_per_ctrlr = 127,
		.in_capsule_data_size = 4096,
		.max_io_size = 131072,
		.io_unit_size = 131072,
		.max_aq_depth = 128,
		.num_shared_buffers = 511,
		.buf_cache_size = 32,
		.acceptor_poll_rate = 10000,
		.c2h_success = true,
	};
}

int nvmf_transport_opts_check(const struct nvmf_transport_opts *o, const char **why)
{
	if (o->max_queue_depth < 2 || o->max_queue_depth > 4096) {
		*why = "field 'max_queue_depth': expected 2 to 4096";
	} else if (o->max_aq_depth < 32 || o->max_aq_depth > 4096) {
		*why = "field 'max_aq_depth': expected 32 to 4096 (Linux hosts ask for 32)";
	} else if (o->max_io_qpairs_per_ctrlr < 1 || o->max_io_qpairs_per_ctrlr > 1024) {
		*why = "field 'max_io_qpairs_per_ctrlr': expected 1 to 1024";
	} else if (o->max_io_size < 4096 || o->max_io_size > (1u << 20) ||
		   !usk_u64_is_pow2(o->max_io_size)) {
		*why = "field 'max_io_size': expected a power of two from 4096 to 1048576";
	} else if (o->in_capsule_data_size % 16 != 0 || o->in_capsule_data_size > o->max_io_size) {
		*why = "field 'in_capsule_data_size': expected a multiple of 16, at most "
		       "max_io_size";
	} else if (o->io_unit_size == 0 || o->io_unit_size > o->max_io_size) {
		*why = "field 'io_unit_size': expected 1 to max_io_size";
	} else if (o->acceptor_poll_rate > 1000000) {
		*why = "field 'acceptor_poll_rate': expected 0 to 1000000 (microseconds)";
	} else if (o->num_shared_buffers == 0) {
		*why = "field 'num_shared_buffers': expected at least 1";
	} else {
		return 0;
	}
	return -EINVAL;
}

int nvmf_tgt_create_transport(const struct nvmf_transport_opts *opts)
{
	if (g_nvmf.has_transport) {
		return -EEXIST;
	}
	g_nvmf.opts = *opts;
	g_nvmf.has_transport = true;
	return 0;
}

struct group_walk {
	void (*fn)(struct nvmf_poll_group *g, void *ctx);
	void *ctx;
	void (*cpl)(void *ctx);
	uint32_t left;
};

struct group_visit {
	struct group_walk *w;
	struct nvmf_poll_group *g;
};

static void group_walk_put(struct group_walk *w)
{
	if (--w->left == 0) {
		w->cpl(w->ctx);
		free(w);
	}
}

static void group_visit_done(void *arg)
{
	struct group_visit *v = arg;
	struct group_walk *w = v->w;

	free(v);
	group_walk_put(w);
}

static void group_visit_msg(void *arg)
{
	struct group_visit *v = arg;

	v->w->fn(v->g, v->w->ctx);
	if (usk_thread_send_msg(g_nvmf.thread, group_visit_done, v) != 0) {
		USK_ERRLOG("nvmf: poll group %u: cannot answer the target thread",
			   nvmf_poll_group_index(v->g));
	}
}

int nvmf_tgt_for_each_group(void (*fn)(struct nvmf_poll_group *g, void *ctx), void *ctx,
			    void (*cpl)(void *ctx))
{
	struct group_walk *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		return -ENOMEM;
	}
	/* The walk's own count, so a group that answers at once does not end it early. */
	*w = (struct group_walk){.fn = fn, .ctx = ctx, .cpl = cpl, .left = 1};
	for (uint32_t i = 0; i < g_nvmf.ngroups; i++) {
		struct group_visit *v = malloc(sizeof(*v));

		if (v == NULL) {
			USK_ERRLOG("nvmf: poll group %u: out of memory; skipped", i);
			continue;
		}
		*v = (struct group_visit){.w = w, .g = g_nvmf.groups[i]};
		if (usk_thread_send_msg(nvmf_poll_group_thread(v->g), group_visit_msg, v) != 0) {
			USK_ERRLOG("nvmf: poll group %u: unreachable; skipped", i);
			free(v);
			continue;
		}
		w->left++;
	}
	group_walk_put(w);
	return 0;
}

static void nvmf_subsystem_init(void)
{
	uint32_t cores = USK_MIN(usk_app_get_core_count(), (uint32_t)NVMF_MAX_GROUPS);
	int rc;

	g_nvmf.thread = usk_thread_get_current();
	nvmf_transport_opts_default(&g_nvmf.opts);
	rc = nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &g_nvmf.discovery);
	for (uint32_t i = 0; i < cores && rc == 0; i++) {
		rc = nvmf_poll_group_create(i, usk_app_get_core(i), &g_nvmf.groups[i]);
		g_nvmf.ngroups += rc == 0;
	}
	if (rc == 0) {
		g_nvmf.ka_poller = usk_poller_register(nvmf_ctrlr_keep_alive_poll, NULL,
						       NVMF_KA_POLL_US, "nvmf_keep_alive");
		rc = g_nvmf.ka_poller == NULL ? -ENOMEM : 0;
		usk_poller_pause(g_nvmf.ka_poller);
	}
	usk_subsystem_init_done(rc);
}

static uint32_t g_groups_running;

static void nvmf_finished(void)
{
	struct nvmf_subsystem *s;

	for (uint32_t i = 0; i < g_nvmf.ngroups; i++) {
		nvmf_poll_group_free(g_nvmf.groups[i]);
		g_nvmf.groups[i] = NULL;
	}
	g_nvmf.ngroups = 0;
	while ((s = TAILQ_FIRST(&g_nvmf.subsystems)) != NULL) {
		nvmf_subsystem_free(s);
	}
	g_nvmf.discovery = NULL;
	g_nvmf.has_transport = false;
	usk_poller_unregister(&g_nvmf.ka_poller);
	usk_subsystem_fini_done();
}

static void group_stopped(void *ctx)
{
	if (--g_groups_running == 0) {
		nvmf_finished();
	}
}

static void nvmf_subsystem_fini(void)
{
	struct nvmf_subsystem *s;

	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		nvmf_subsystem_stop_listening(s);
		nvmf_ctrlr_destroy_all(s);
	}
	/* One count for this loop, so a group that stops at once does not end it early. */
	g_groups_running = 1;
	for (uint32_t i = 0; i < g_nvmf.ngroups; i++) {
		if (nvmf_poll_group_stop(g_nvmf.groups[i], group_stopped, NULL) == 0) {
			g_groups_running++;
		} else {
			USK_ERRLOG("nvmf: poll group %u: cannot stop it", i);
		}
	}
	group_stopped(NULL);
}

static void write_transport(struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "nvmf_create_transport");
	usk_json_write_named_object_begin(w, "params");
	nvmf_rpc_write_transport_opts(w);
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

/* {"method": @method, "params": {"nqn": ...  -- the caller adds the rest and closes both. */
static void write_call_begin(struct usk_json_write_ctx *w, const char *method,
			     const struct nvmf_subsystem *s)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", method);
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "nqn", s->nqn);
}

static void write_call_end(struct usk_json_write_ctx *w)
{
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

static void write_subsystem(struct usk_json_write_ctx *w, const struct nvmf_subsystem *s)
{
	const struct nvmf_host *h;

	write_call_begin(w, "nvmf_create_subsystem", s);
	nvmf_rpc_write_subsystem_params(w, s);
	usk_json_write_named_bool(w, "allow_any_host", s->allow_any_host);
	write_call_end(w);
	TAILQ_FOREACH(h, &s->hosts, link) {
		write_call_begin(w, "nvmf_subsystem_add_host", s);
		usk_json_write_named_string(w, "host", h->nqn);
		write_call_end(w);
	}
	for (uint32_t i = 0; i < NVMF_MAX_NAMESPACES; i++) {
		if (s->ns[i] == NULL) {
			continue;
		}
		write_call_begin(w, "nvmf_subsystem_add_ns", s);
		usk_json_write_named_object_begin(w, "namespace");
		nvmf_rpc_write_ns(w, s->ns[i]);
		usk_json_write_object_end(w);
		write_call_end(w);
	}
}

static void write_listeners(struct usk_json_write_ctx *w, const struct nvmf_subsystem *s)
{
	const struct nvmf_listener *l;

	TAILQ_FOREACH(l, &s->listeners, link) {
		write_call_begin(w, "nvmf_subsystem_add_listener", s);
		usk_json_write_named_object_begin(w, "listen_address");
		nvmf_rpc_write_listener(w, l);
		usk_json_write_object_end(w);
		write_call_end(w);
	}
}

void nvmf_tgt_write_config(struct usk_json_write_ctx *w)
{
	const struct nvmf_subsystem *s;

	if (!g_nvmf.has_transport) {
		return;
	}
	write_transport(w);
	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		if (!s->discovery && !s->deleting) {
			write_subsystem(w, s);
		}
		if (!s->deleting) {
			write_listeners(w, s);
		}
	}
}

static const struct usk_subsystem g_nvmf_subsystem = {
	.name = "nvmf",
	.init = nvmf_subsystem_init,
	.fini = nvmf_subsystem_fini,
	.write_config_json = nvmf_tgt_write_config,
};

int usk_nvmf_subsystem_register(void)
{
	int rc = nvmf_rpc_register();

	if (rc == 0) {
		rc = nvmf_rpc_subsystem_register();
	}
	if (rc == 0) {
		rc = usk_subsystem_register(&g_nvmf_subsystem);
	}
	return rc == -EEXIST ? 0 : rc;
}
