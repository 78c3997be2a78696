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

/* A limit the request leaves out: the decoder never yields it (its maximum is INT64_MAX). */
#define QOS_NOT_GIVEN UINT64_MAX

struct qos_params {
	char *name;
	uint64_t limit[4]; /* SPDK's order, as g_qos_fields */
};

static const char *const g_qos_fields[] = {
	"rw_ios_per_sec",
	"rw_mbytes_per_sec",
	"r_mbytes_per_sec",
	"w_mbytes_per_sec",
};

static const struct usk_json_object_decoder g_qos_decoders[] = {
	{"name", offsetof(struct qos_params, name), usk_json_decode_string, false},
	{"rw_ios_per_sec", offsetof(struct qos_params, limit[0]), usk_json_decode_uint64, true},
	{"rw_mbytes_per_sec", offsetof(struct qos_params, limit[1]), usk_json_decode_uint64, true},
	{"r_mbytes_per_sec", offsetof(struct qos_params, limit[2]), usk_json_decode_uint64, true},
	{"w_mbytes_per_sec", offsetof(struct qos_params, limit[3]), usk_json_decode_uint64, true},
};

/*
 * The bdev's limits with those the request gives: as SPDK, a limit left
 * out stays as it was. Answers and returns -EINVAL when none is given.
 */
static int qos_merge(struct usk_rpc_request *req, struct usk_bdev *b, const struct qos_params *p,
		     struct usk_bdev_qos_limits *l)
{
	uint64_t *dst[4] = {&l->rw_ios_per_s, &l->rw_mbytes_per_s, &l->r_mbytes_per_s,
			    &l->w_mbytes_per_s};
	bool given = false;

	usk_bdev_get_qos_limits(b, l);
	for (size_t i = 0; i < USK_COUNTOF(dst); i++) {
		if (p->limit[i] != QOS_NOT_GIVEN) {
			*dst[i] = p->limit[i];
			given = true;
		}
	}
	if (!given) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: no limit given: set one or more of rw_ios_per_sec, "
				   "rw_mbytes_per_sec, r_mbytes_per_sec, w_mbytes_per_sec "
				   "(0 lifts one)");
		return -EINVAL;
	}
	return 0;
}

/* The library said -ERANGE: the decoder already holds the IOPS to its maximum, so a MiB/s it is. */
static void qos_send_range_error(struct usk_rpc_request *req, const struct qos_params *p)
{
	size_t i = 1;

	while (i < USK_COUNTOF(g_qos_fields) - 1 &&
	       (p->limit[i] == QOS_NOT_GIVEN || p->limit[i] <= USK_BDEV_QOS_MAX_MBYTES_PER_S)) {
		i++;
	}
	usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
			   "params: field '%s': expected an integer from 0 to %" PRIu64,
			   g_qos_fields[i], USK_BDEV_QOS_MAX_MBYTES_PER_S);
}

static void rpc_bdev_set_qos_limit(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct qos_params p = {.limit = {QOS_NOT_GIVEN, QOS_NOT_GIVEN, QOS_NOT_GIVEN, QOS_NOT_GIVEN}};
	struct usk_bdev_qos_limits l;
	struct usk_bdev *b;
	int rc;

	if (usk_rpc_decode_params(req, params, g_qos_decoders, USK_COUNTOF(g_qos_decoders), &p) !=
		    0 ||
	    (b = bdev_rpc_find(req, "name", p.name)) == NULL || qos_merge(req, b, &p, &l) != 0) {
		free(p.name);
		return;
	}
	rc = usk_bdev_set_qos_limits(b, &l);
	if (rc == -ERANGE) {
		qos_send_range_error(req, &p);
	} else if (rc != 0) {
		usk_rpc_send_error(req, rc, "bdev '%s': cannot set QoS limits: %s", p.name,
				   strerror(-rc));
	} else {
		usk_rpc_send_bool(req, true);
	}
	free(p.name);
}

/*
 * SPDK answers once every module has examined every bdev (looked for
 * metadata on it). USK's modules examine nothing, and usk_bdev_register()
 * is done when it returns: every bdev is as examined as it will be.
 */
static void rpc_bdev_wait_for_examine(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) == 0) {
		usk_rpc_send_bool(req, true);
	}
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
		{"bdev_wait_for_examine", rpc_bdev_wait_for_examine},
	};
	int rc = 0;

	for (size_t i = 0; i < USK_COUNTOF(methods) && rc == 0; i++) {
		rc = usk_rpc_register_method(methods[i].name, methods[i].fn);
	}
	return rc != 0 ? rc : bdev_rpc_histogram_register();
}
