/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_get_bdevs, in SPDK's shape. With a name and a timeout it waits, as
 * SPDK's does, for that bdev to appear: a timed poller on the RPC's thread
 * looks again until the bdev is there or the time is up.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "usk/ticks.h"
#include "usk/util.h"
#include "bdev_rpc_internal.h"

/* How often a waiting bdev_get_bdevs looks for its bdev. */
#define GET_BDEVS_WAIT_US 1000

/*
 * SPDK's I/O types, in SPDK's order, each with USK's type or -1 where USK
 * has none (then the bdev does not support it).
 */
static const struct {
	const char *name;
	int type;
} g_io_types[] = {
	{"read", USK_BDEV_IO_TYPE_READ},
	{"write", USK_BDEV_IO_TYPE_WRITE},
	{"unmap", USK_BDEV_IO_TYPE_UNMAP},
	{"flush", USK_BDEV_IO_TYPE_FLUSH},
	{"reset", USK_BDEV_IO_TYPE_RESET},
	{"nvme_admin", -1},
	{"nvme_io", -1},
	{"nvme_io_md", -1},
	{"write_zeroes", USK_BDEV_IO_TYPE_WRITE_ZEROES},
	{"zcopy", -1},
	{"get_zone_info", -1},
	{"zone_management", -1},
	{"zone_append", -1},
	{"compare", USK_BDEV_IO_TYPE_COMPARE},
	{"compare_and_write", -1},
	{"abort", -1},
	{"seek_hole", -1},
	{"seek_data", -1},
	{"copy", -1},
	{"nvme_iov_md", -1},
	{"nvme_nssr", -1},
	{"write_uncorrectable", -1},
};

int bdev_rpc_io_type_by_name(const char *name)
{
	for (size_t i = 0; i < USK_COUNTOF(g_io_types); i++) {
		if (strcmp(g_io_types[i].name, name) == 0) {
			return g_io_types[i].type;
		}
	}
	return -2;
}

static void info_write_io_types(struct usk_json_write_ctx *w, const struct usk_bdev *b)
{
	usk_json_write_named_object_begin(w, "supported_io_types");
	for (size_t i = 0; i < USK_COUNTOF(g_io_types); i++) {
		int t = g_io_types[i].type;

		usk_json_write_named_bool(w, g_io_types[i].name,
					  t >= 0 && usk_bdev_io_type_supported(b, t));
	}
	usk_json_write_object_end(w);
}

static void info_write_limits(struct usk_json_write_ctx *w, const struct usk_bdev *b)
{
	struct usk_bdev_qos_limits l;

	usk_bdev_get_qos_limits(b, &l);
	usk_json_write_named_object_begin(w, "assigned_rate_limits");
	bdev_qos_write_limits(w, &l);
	usk_json_write_object_end(w);
}

static void info_write_identity(struct usk_json_write_ctx *w, struct usk_bdev *b)
{
	const char *aliases[BDEV_MAX_ALIASES];
	uint32_t n = usk_bdev_get_aliases(b, aliases, BDEV_MAX_ALIASES);
	char uuid[USK_UUID_STRING_LEN];

	usk_json_write_named_string(w, "name", usk_bdev_get_name(b));
	usk_json_write_named_array_begin(w, "aliases");
	for (uint32_t i = 0; i < n; i++) {
		usk_json_write_string(w, aliases[i]);
	}
	usk_json_write_array_end(w);
	usk_json_write_named_string(w, "product_name", usk_bdev_get_product_name(b));
	/* The buffer holds any UUID: formatting cannot fail. */
	usk_uuid_fmt(uuid, sizeof(uuid), usk_bdev_get_uuid(b));
	usk_json_write_named_string(w, "uuid", uuid);
}

/* SPDK's geometry; its preferred sizes are 0 ("no preference"), which USK does not know. */
static void info_write_geometry(struct usk_json_write_ctx *w, const struct usk_bdev *b)
{
	static const char *const preferences[] = {
		"preferred_write_alignment",   "preferred_write_granularity",
		"optimal_write_size",	       "preferred_unmap_alignment",
		"preferred_unmap_granularity",
	};

	usk_json_write_named_uint64(w, "block_size", usk_bdev_get_block_size(b));
	usk_json_write_named_uint64(w, "num_blocks", usk_bdev_get_num_blocks(b));
	for (size_t i = 0; i < USK_COUNTOF(preferences); i++) {
		usk_json_write_named_uint64(w, preferences[i], 0);
	}
	/* USK's own, kept for its users: */
	usk_json_write_named_string(w, "driver", usk_bdev_get_module_name(b));
	usk_json_write_named_uint64(w, "write_unit_size", usk_bdev_get_write_unit_size(b));
	usk_json_write_named_uint64(w, "optimal_io_boundary", usk_bdev_get_optimal_io_boundary(b));
}

/* SPDK's metadata members, written only for a bdev that has metadata, as SPDK does. */
static void info_write_md(struct usk_json_write_ctx *w, const struct usk_bdev *b)
{
	if (usk_bdev_get_md_size(b) == 0) {
		return;
	}
	usk_json_write_named_uint64(w, "md_size", usk_bdev_get_md_size(b));
	usk_json_write_named_bool(w, "md_interleave", usk_bdev_is_md_interleaved(b));
	usk_json_write_named_uint64(w, "dif_type", usk_bdev_get_dif_type(b));
	if (usk_bdev_get_dif_type(b) != 0) {
		usk_json_write_named_bool(w, "dif_is_head_of_md", usk_bdev_is_dif_head_of_md(b));
	}
}

static void info_write(struct usk_json_write_ctx *w, struct usk_bdev *b)
{
	usk_json_write_object_begin(w);
	info_write_identity(w, b);
	info_write_geometry(w, b);
	info_write_md(w, b);
	info_write_limits(w, b);
	usk_json_write_named_bool(w, "claimed", usk_bdev_is_claimed(b));
	/* A module's claim is SPDK's exclusive-write one; SPDK leaves the type out when unclaimed. */
	if (usk_bdev_is_claimed(b)) {
		usk_json_write_named_string(w, "claim_type", "exclusive_write");
	}
	usk_json_write_named_bool(w, "zoned", false);
	info_write_io_types(w, b);
	usk_json_write_named_object_begin(w, "driver_specific");
	if (b->fn_table->dump_info_json != NULL) {
		b->fn_table->dump_info_json(b->ctxt, w);
	}
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

/* Answers with the one bdev @b, or every bdev when @b is NULL. */
static void get_bdevs_answer(struct usk_rpc_request *req, struct usk_bdev *only)
{
	struct usk_json_write_ctx *w = usk_rpc_begin_result(req);

	if (w == NULL) {
		return;
	}
	usk_json_write_array_begin(w);
	for (struct usk_bdev *b = usk_bdev_first(); b != NULL; b = usk_bdev_next(b)) {
		if (only == NULL || only == b) {
			info_write(w, b);
		}
	}
	usk_json_write_array_end(w);
	usk_rpc_end_result(req, w);
}

/* A bdev_get_bdevs waiting for its bdev. */
struct get_bdevs_wait {
	struct usk_rpc_request *req;
	char *name;
	uint64_t timeout_ms;
	uint64_t span;	   /* timeout_ms in ticks; UINT64_MAX: longer than ticks count */
	uint64_t deadline; /* a poll tick; UINT64_MAX: none */
	struct usk_poller *poller;
};

static int get_bdevs_wait_poll(void *ctx)
{
	struct get_bdevs_wait *wait = ctx;
	struct usk_bdev *b = usk_bdev_get_by_name(wait->name);
	uint64_t now = usk_thread_get_poll_tick();

	/* The clock went back (a restored virtual machine): the wait starts again from it. */
	if (wait->deadline != UINT64_MAX) {
		usk_ticks_rebase(now, &wait->deadline, wait->span);
	}
	if (b == NULL && now < wait->deadline) {
		return USK_POLLER_IDLE;
	}
	if (b != NULL) {
		get_bdevs_answer(wait->req, b);
	} else {
		usk_rpc_send_error(wait->req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'name': no bdev called '%s' appeared within "
				   "%" PRIu64 " ms",
				   wait->name, wait->timeout_ms);
	}
	usk_poller_unregister(&wait->poller);
	free(wait->name);
	free(wait);
	return USK_POLLER_BUSY;
}

/* @ms in ticks, or UINT64_MAX for a wait longer than ticks can count. */
static uint64_t get_bdevs_span(uint64_t ms)
{
	return ms > UINT64_MAX / 1000 ? UINT64_MAX : usk_us_to_ticks(ms * 1000);
}

/* Takes @name; answers on failure. */
static void get_bdevs_wait_start(struct usk_rpc_request *req, char *name, uint64_t timeout_ms)
{
	struct get_bdevs_wait *wait = calloc(1, sizeof(*wait));

	if (wait != NULL) {
		uint64_t span = get_bdevs_span(timeout_ms);
		uint64_t deadline = usk_ticks_after(usk_thread_get_poll_tick(), span);

		*wait = (struct get_bdevs_wait){req, name, timeout_ms, span, deadline, NULL};
		wait->poller = usk_poller_register(get_bdevs_wait_poll, wait, GET_BDEVS_WAIT_US,
						   "bdev_get_bdevs_wait");
	}
	if (wait == NULL || wait->poller == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR,
				   "cannot wait for bdev '%s': out of memory", name);
		free(wait);
		free(name);
	}
}

struct get_bdevs_params {
	char *name;
	uint64_t timeout_ms;
};

static const struct usk_json_object_decoder g_get_bdevs_decoders[] = {
	{"name", offsetof(struct get_bdevs_params, name), usk_json_decode_string, true},
	{"timeout", offsetof(struct get_bdevs_params, timeout_ms), usk_json_decode_uint64, true},
};

void rpc_bdev_get_bdevs(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct get_bdevs_params p = {0};
	struct usk_bdev *b = NULL;

	if (usk_rpc_decode_params(req, params, g_get_bdevs_decoders,
				  USK_COUNTOF(g_get_bdevs_decoders), &p) != 0) {
		free(p.name);
		return;
	}
	if (p.name != NULL) {
		b = usk_bdev_get_by_name(p.name);
	}
	/* SPDK's rule: the timeout counts only with a name, and 0 does not wait. */
	if (p.name != NULL && b == NULL && p.timeout_ms > 0) {
		get_bdevs_wait_start(req, p.name, p.timeout_ms);
		return;
	}
	if (p.name == NULL || b != NULL) {
		get_bdevs_answer(req, b);
	} else {
		bdev_rpc_find(req, "name", p.name);
	}
	free(p.name);
}
