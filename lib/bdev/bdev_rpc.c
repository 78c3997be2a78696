/* SPDX-License-Identifier: BSD-3-Clause */
/* The layer's RPC methods: bdev_get_bdevs and bdev_get_iostat. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "usk/rpc.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "bdev_internal.h"

static const char *const g_io_type_names[USK_BDEV_IO_TYPE_COUNT] = {
	"read", "write", "write_zeroes", "unmap", "flush", "reset", "compare",
};

static const struct usk_json_object_decoder g_name_decoder[] = {
	{"name", 0, usk_json_decode_string, true},
};

/* Decodes an optional {name}; answers and returns -EINVAL for a bad or unknown one. */
static int bdev_rpc_optional_name(struct usk_rpc_request *req, const struct usk_json_val *params,
				  char **name)
{
	if (usk_rpc_decode_params(req, params, g_name_decoder, 1, name) != 0) {
		return -EINVAL;
	}
	if (*name != NULL && usk_bdev_get_by_name(*name) == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'name': no bdev is called '%s'", *name);
		return -EINVAL;
	}
	return 0;
}

static void bdev_write_info(struct usk_json_write_ctx *w, struct usk_bdev *b)
{
	const char *aliases[BDEV_MAX_ALIASES];
	uint32_t n = usk_bdev_get_aliases(b, aliases, BDEV_MAX_ALIASES);
	uint64_t ios, mbytes;

	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", usk_bdev_get_name(b));
	usk_json_write_named_array_begin(w, "aliases");
	for (uint32_t i = 0; i < n; i++) {
		usk_json_write_string(w, aliases[i]);
	}
	usk_json_write_array_end(w);
	usk_json_write_named_string(w, "product_name", usk_bdev_get_product_name(b));
	usk_json_write_named_string(w, "driver", usk_bdev_get_module_name(b));
	usk_json_write_named_uint64(w, "block_size", usk_bdev_get_block_size(b));
	usk_json_write_named_uint64(w, "num_blocks", usk_bdev_get_num_blocks(b));
	usk_json_write_named_uint64(w, "write_unit_size", usk_bdev_get_write_unit_size(b));
	usk_json_write_named_uint64(w, "optimal_io_boundary", usk_bdev_get_optimal_io_boundary(b));
	usk_json_write_named_bool(w, "claimed", usk_bdev_is_claimed(b));
	usk_bdev_get_qos_limit(b, &ios, &mbytes);
	usk_json_write_named_object_begin(w, "assigned_rate_limits");
	usk_json_write_named_uint64(w, "rw_ios_per_sec", ios);
	usk_json_write_named_uint64(w, "rw_mbytes_per_sec", mbytes);
	usk_json_write_object_end(w);
	usk_json_write_named_object_begin(w, "supported_io_types");
	for (int t = 0; t < USK_BDEV_IO_TYPE_COUNT; t++) {
		usk_json_write_named_bool(w, g_io_type_names[t], usk_bdev_io_type_supported(b, t));
	}
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

static void rpc_bdev_get_bdevs(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct usk_json_write_ctx *w;
	char *name = NULL;

	if (bdev_rpc_optional_name(req, params, &name) == 0 &&
	    (w = usk_rpc_begin_result(req)) != NULL) {
		usk_json_write_array_begin(w);
		for (struct usk_bdev *b = usk_bdev_first(); b != NULL; b = usk_bdev_next(b)) {
			if (name == NULL || usk_bdev_get_by_name(name) == b) {
				bdev_write_info(w, b);
			}
		}
		usk_json_write_array_end(w);
		usk_rpc_end_result(req, w);
	}
	free(name);
}

/* bdev_get_iostat visits the bdevs one after another, by name. */
struct iostat_walk {
	struct usk_rpc_request *req;
	struct usk_json_write_ctx *w;
	char **names;
	size_t count;
	size_t next;
	struct usk_bdev_io_stat stat;
};

static void iostat_next(struct iostat_walk *walk);

static void iostat_walk_free(struct iostat_walk *walk)
{
	for (size_t i = 0; i < walk->count; i++) {
		free(walk->names[i]);
	}
	free(walk->names);
	free(walk);
}

static void iostat_write(struct usk_json_write_ctx *w, const char *name,
			 const struct usk_bdev_io_stat *s)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "name", name);
	usk_json_write_named_uint64(w, "bytes_read", s->bytes_read);
	usk_json_write_named_uint64(w, "num_read_ops", s->num_read_ops);
	usk_json_write_named_uint64(w, "bytes_written", s->bytes_written);
	usk_json_write_named_uint64(w, "num_write_ops", s->num_write_ops);
	usk_json_write_named_uint64(w, "num_unmap_ops", s->num_unmap_ops);
	usk_json_write_named_uint64(w, "num_other_ops", s->num_other_ops);
	usk_json_write_named_uint64(w, "num_errors", s->num_errors);
	usk_json_write_named_uint64(w, "read_latency_ticks", s->read_latency_ticks);
	usk_json_write_named_uint64(w, "write_latency_ticks", s->write_latency_ticks);
	usk_json_write_object_end(w);
}

static void iostat_done(struct usk_bdev *bdev, struct usk_bdev_io_stat *stat, int rc, void *arg)
{
	struct iostat_walk *walk = arg;

	if (rc == 0) {
		iostat_write(walk->w, walk->names[walk->next], stat);
	}
	walk->next++;
	iostat_next(walk);
}

static void iostat_next(struct iostat_walk *walk)
{
	while (walk->next < walk->count) {
		struct usk_bdev *b = usk_bdev_get_by_name(walk->names[walk->next]);

		/* Gone since the walk began: left out. */
		if (b != NULL && usk_bdev_get_device_stat(b, &walk->stat, iostat_done, walk) == 0) {
			return;
		}
		walk->next++;
	}
	usk_json_write_array_end(walk->w);
	usk_json_write_object_end(walk->w);
	usk_rpc_end_result(walk->req, walk->w);
	iostat_walk_free(walk);
}

static int iostat_collect_names(struct iostat_walk *walk, const char *only)
{
	for (struct usk_bdev *b = usk_bdev_first(); b != NULL; b = usk_bdev_next(b)) {
		char **names;

		if (only != NULL && usk_bdev_get_by_name(only) != b) {
			continue;
		}
		names = realloc(walk->names, (walk->count + 1) * sizeof(*names));
		if (names == NULL) {
			return -ENOMEM;
		}
		walk->names = names;
		walk->names[walk->count] = strdup(usk_bdev_get_name(b));
		if (walk->names[walk->count++] == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void rpc_bdev_get_iostat(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct iostat_walk *walk;
	char *name = NULL;

	if (bdev_rpc_optional_name(req, params, &name) != 0) {
		free(name);
		return;
	}
	walk = calloc(1, sizeof(*walk));
	if (walk == NULL || iostat_collect_names(walk, name) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		free(name);
		if (walk != NULL) {
			iostat_walk_free(walk);
		}
		return;
	}
	free(name);
	walk->req = req;
	walk->w = usk_rpc_begin_result(req);
	if (walk->w == NULL) {
		iostat_walk_free(walk);
		return;
	}
	usk_json_write_object_begin(walk->w);
	usk_json_write_named_uint64(walk->w, "tick_rate", usk_ticks_hz());
	usk_json_write_named_array_begin(walk->w, "bdevs");
	iostat_next(walk);
}

struct qos_params {
	char *name;
	uint64_t rw_ios_per_sec;
	uint64_t rw_mbytes_per_sec;
};

static const struct usk_json_object_decoder g_qos_decoders[] = {
	{"name", offsetof(struct qos_params, name), usk_json_decode_string, false},
	{"rw_ios_per_sec", offsetof(struct qos_params, rw_ios_per_sec), usk_json_decode_uint64,
	 true},
	{"rw_mbytes_per_sec", offsetof(struct qos_params, rw_mbytes_per_sec),
	 usk_json_decode_uint64, true},
};

static void rpc_bdev_set_qos_limit(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct qos_params p = {0};
	struct usk_bdev *b;
	int rc;

	if (usk_rpc_decode_params(req, params, g_qos_decoders, USK_COUNTOF(g_qos_decoders), &p) !=
	    0) {
		free(p.name);
		return;
	}
	b = usk_bdev_get_by_name(p.name);
	if (b == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'name': no bdev is called '%s'", p.name);
	} else if ((rc = usk_bdev_set_qos_limit(b, p.rw_ios_per_sec, p.rw_mbytes_per_sec)) ==
		   -ERANGE) {
		/* The decoder already holds rw_ios_per_sec to its maximum: MiB/s it is. */
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'rw_mbytes_per_sec': expected an integer from 0 "
				   "to %" PRIu64,
				   USK_BDEV_QOS_MAX_MBYTES_PER_S);
	} else if (rc != 0) {
		usk_rpc_send_error(req, rc, "bdev '%s': cannot set QoS limits: %s", p.name,
				   strerror(-rc));
	} else {
		usk_rpc_send_bool(req, true);
	}
	free(p.name);
}

int bdev_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_get_bdevs", rpc_bdev_get_bdevs);

	if (rc == 0) {
		rc = usk_rpc_register_method("bdev_get_iostat", rpc_bdev_get_iostat);
	}
	return rc ? rc : usk_rpc_register_method("bdev_set_qos_limit", rpc_bdev_set_qos_limit);
}
