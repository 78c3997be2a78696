/* SPDX-License-Identifier: BSD-3-Clause */
/* The layer's RPC methods: what they share, bdev_set_qos_limit, and their registration. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "bdev_rpc_internal.h"

static const char *const g_io_type_names[USK_BDEV_IO_TYPE_COUNT] = {
	"read", "write", "write_zeroes", "unmap", "flush", "reset", "compare",
};

static const struct usk_json_object_decoder g_name_decoder[] = {
	{"name", 0, usk_json_decode_string, true},
};

struct usk_bdev *bdev_rpc_find(struct usk_rpc_request *req, const char *field, const char *name)
{
	struct usk_bdev *b = usk_bdev_get_by_name(name);

	if (b == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field '%s': no bdev is called '%s'", field, name);
	}
	return b;
}

int bdev_rpc_optional_name(struct usk_rpc_request *req, const struct usk_json_val *params,
			   char **name)
{
	if (usk_rpc_decode_params(req, params, g_name_decoder, 1, name) != 0) {
		return -EINVAL;
	}
	if (*name != NULL && bdev_rpc_find(req, "name", *name) == NULL) {
		return -EINVAL;
	}
	return 0;
}

int bdev_rpc_decode_val(const struct usk_json_val *val, void *out)
{
	*(const struct usk_json_val **)out = val;
	return 0;
}

int bdev_rpc_reset_mode(struct usk_rpc_request *req, const char *field, const char *text,
			enum usk_bdev_reset_stat_mode *mode)
{
	static const char *const names[] = {
		[USK_BDEV_RESET_STAT_ALL] = "all",
		[USK_BDEV_RESET_STAT_MAXMIN] = "maxmin",
		[USK_BDEV_RESET_STAT_ERROR] = "error",
		[USK_BDEV_RESET_STAT_NONE] = "none",
	};

	for (size_t i = 0; i < USK_COUNTOF(names); i++) {
		if (strcmp(text, names[i]) == 0) {
			*mode = (enum usk_bdev_reset_stat_mode)i;
			return 0;
		}
	}
	usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
			   "params: field '%s': expected \"all\", \"maxmin\", \"error\" or \"none\"",
			   field);
	return -EINVAL;
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

void rpc_bdev_get_bdevs(struct usk_rpc_request *req, const struct usk_json_val *params)
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
	static const struct {
		const char *name;
		usk_rpc_method_fn fn;
	} methods[] = {
		{"bdev_get_bdevs", rpc_bdev_get_bdevs},
		{"bdev_get_iostat", rpc_bdev_get_iostat},
		{"bdev_reset_iostat", rpc_bdev_reset_iostat},
		{"bdev_set_qos_limit", rpc_bdev_set_qos_limit},
	};
	int rc = 0;

	for (size_t i = 0; i < USK_COUNTOF(methods) && rc == 0; i++) {
		rc = usk_rpc_register_method(methods[i].name, methods[i].fn);
	}
	return rc;
}
