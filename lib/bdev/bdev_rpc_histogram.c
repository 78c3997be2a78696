/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_enable_histogram and bdev_get_histogram in SPDK's shape. USK's
 * histogram (usk/histogram.h) has SPDK's layout at granularity 7: range 0
 * holds values 0 to 127 one by one, range r >= 1 holds [2^(r+6), 2^(r+7))
 * in 128 equal buckets, for ranges 0 to 57. SPDK's answer holds only the
 * ranges from min_range to max_range (from min_nsec and max_nsec), values
 * below falling in the first bucket and values above in the last, each a
 * little-endian uint64, base64-encoded; USK folds its full histogram the
 * same way when it answers, so SPDK's scripts/histogram.py reads it.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "usk/ticks.h"
#include "usk/util.h"
#include "bdev_rpc_internal.h"

/* SPDK's defaults for what bdev_get_histogram shows: 1 us to 120 s. */
#define HISTOGRAM_DEFAULT_MIN_NSEC 1000ull
#define HISTOGRAM_DEFAULT_MAX_NSEC 120000000000ull

static uint64_t histogram_ns_to_ticks(uint64_t ns)
{
	unsigned __int128 t = (unsigned __int128)ns * usk_ticks_hz() / 1000000000u;

	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

struct enable_params {
	char *name;
	bool enable;
	char *opc;
	uint64_t min_nsec;
	uint64_t max_nsec;
};

static const struct usk_json_object_decoder g_enable_decoders[] = {
	{"name", offsetof(struct enable_params, name), usk_json_decode_string, false},
	{"enable", offsetof(struct enable_params, enable), usk_json_decode_bool, false},
	{"opc", offsetof(struct enable_params, opc), usk_json_decode_string, true},
	{"min_nsec", offsetof(struct enable_params, min_nsec), usk_json_decode_uint64, true},
	{"max_nsec", offsetof(struct enable_params, max_nsec), usk_json_decode_uint64, true},
};

static const struct usk_json_compat_member g_enable_compat[] = {
	{"granularity", "7",
	 "USK's histogram has 128 buckets in each power of two, SPDK's granularity 7"},
};

/* USK's type for @p->opc (-1: every type); answers and returns -EINVAL for another. */
static int enable_type(struct usk_rpc_request *req, const struct enable_params *p, int *type)
{
	*type = p->opc != NULL ? bdev_rpc_io_type_by_name(p->opc) : -1;
	if (*type == -2) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'opc': no I/O type is called '%s' (see "
				   "supported_io_types in bdev_get_bdevs)",
				   p->opc);
		return -EINVAL;
	}
	if (*type == -1 && p->opc != NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'opc': USK has no '%s' I/O, so nothing would be "
				   "recorded",
				   p->opc);
		return -EINVAL;
	}
	return 0;
}

static void enable_done(struct usk_bdev *b, int rc, void *arg)
{
	struct usk_rpc_request *req = arg;

	if (rc != 0) {
		usk_rpc_send_error(req, rc, "bdev '%s': cannot switch its latency histogram: %s",
				   usk_bdev_get_name(b), strerror(-rc));
	} else {
		usk_rpc_send_bool(req, true);
	}
}

/* Starts the switch; answers on failure. */
static void enable_start(struct usk_rpc_request *req, struct usk_bdev *b,
			 const struct enable_params *p, int type)
{
	int rc;

	if (histogram_ns_to_ticks(p->min_nsec) >= histogram_ns_to_ticks(p->max_nsec)) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'min_nsec': must be below max_nsec (and at least "
				   "a tick apart)");
		return;
	}
	b->internal->histogram_min_ticks = histogram_ns_to_ticks(p->min_nsec);
	b->internal->histogram_max_ticks = histogram_ns_to_ticks(p->max_nsec);
	rc = usk_bdev_histogram_enable(b, p->enable, type, enable_done, req);
	if (rc != 0) {
		enable_done(b, rc, req);
	}
}

static void rpc_bdev_enable_histogram(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	struct enable_params p = {.min_nsec = HISTOGRAM_DEFAULT_MIN_NSEC,
				  .max_nsec = HISTOGRAM_DEFAULT_MAX_NSEC};
	struct usk_bdev *b;
	int type;

	if (usk_rpc_decode_params_compat(req, params, g_enable_decoders,
					 USK_COUNTOF(g_enable_decoders), g_enable_compat,
					 USK_COUNTOF(g_enable_compat), &p) == 0 &&
	    (b = bdev_rpc_find(req, "name", p.name)) != NULL && enable_type(req, &p, &type) == 0) {
		enable_start(req, b, &p, type);
	}
	free(p.name);
	free(p.opc);
}

/* SPDK's buckets of @h from @min_range to @max_range, little-endian, values outside folded in. */
static void histogram_fold(const struct usk_histogram *h, uint32_t min_range, uint32_t max_range,
			   uint8_t *out)
{
	size_t n = (size_t)(max_range - min_range + 1) * USK_HISTOGRAM_SUB_COUNT;
	uint64_t *counts = calloc(n, sizeof(*counts));

	if (counts == NULL) {
		return;
	}
	for (uint32_t r = 0; r < USK_HISTOGRAM_RANGES; r++) {
		for (uint32_t i = 0; i < USK_HISTOGRAM_SUB_COUNT; i++) {
			size_t at = r < min_range   ? 0
				    : r > max_range ? n - 1
						    : (size_t)(r - min_range) * USK_HISTOGRAM_SUB_COUNT + i;

			counts[at] += h->bucket[r][i];
		}
	}
	for (size_t k = 0; k < n; k++) {
		for (int byte = 0; byte < 8; byte++) {
			out[k * 8 + byte] = (uint8_t)(counts[k] >> (8 * byte));
		}
	}
	free(counts);
}

/* Standard base64 with padding (RFC 4648), as SPDK's answer and Python's b64decode use. */
static char *base64_encode(const uint8_t *src, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;

	if (out == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16;
		size_t left = len - i;

		v |= left > 1 ? (uint32_t)src[i + 1] << 8 : 0;
		v |= left > 2 ? src[i + 2] : 0;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = left > 1 ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = left > 2 ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static void histogram_answer(struct usk_rpc_request *req, struct usk_bdev *b,
			     const struct usk_histogram *h)
{
	uint32_t min_range = usk_histogram_range(b->internal->histogram_min_ticks);
	uint32_t max_range = usk_histogram_range(b->internal->histogram_max_ticks - 1);
	size_t bytes = (size_t)(max_range - min_range + 1) * USK_HISTOGRAM_SUB_COUNT * 8;
	uint8_t *raw = calloc(1, bytes);
	char *text = NULL;
	struct usk_json_write_ctx *w;

	if (raw != NULL) {
		histogram_fold(h, min_range, max_range, raw);
		text = base64_encode(raw, bytes);
	}
	free(raw);
	if (text == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w != NULL) {
		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "histogram", text);
		usk_json_write_named_uint64(w, "granularity", USK_HISTOGRAM_SUB_BITS);
		usk_json_write_named_uint64(w, "min_range", min_range);
		usk_json_write_named_uint64(w, "max_range", max_range);
		usk_json_write_named_uint64(w, "tsc_rate", usk_ticks_hz());
		usk_json_write_object_end(w);
		usk_rpc_end_result(req, w);
	}
	free(text);
}

static void get_done(struct usk_bdev *b, struct usk_histogram *h, int rc, void *arg)
{
	struct usk_rpc_request *req = arg;

	if (rc != 0) {
		usk_rpc_send_error(req, rc, "bdev '%s': cannot read its latency histogram: %s",
				   usk_bdev_get_name(b), strerror(-rc));
	} else {
		histogram_answer(req, b, h);
	}
	free(h);
}

static void get_start(struct usk_rpc_request *req, struct usk_bdev *b)
{
	struct usk_histogram *h = malloc(sizeof(*h));
	int rc;

	if (h == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		return;
	}
	usk_histogram_init(h);
	rc = usk_bdev_histogram_get(b, h, get_done, req);
	if (rc == -ENOENT) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "bdev '%s': no latency histogram: turn it on with "
				   "bdev_enable_histogram",
				   usk_bdev_get_name(b));
		free(h);
	} else if (rc != 0) {
		get_done(b, h, rc, req);
	}
}

static const struct usk_json_object_decoder g_get_decoders[] = {
	{"name", 0, usk_json_decode_string, false},
};

static void rpc_bdev_get_histogram(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	char *name = NULL;
	struct usk_bdev *b;

	if (usk_rpc_decode_params(req, params, g_get_decoders, USK_COUNTOF(g_get_decoders),
				  &name) == 0 &&
	    (b = bdev_rpc_find(req, "name", name)) != NULL) {
		get_start(req, b);
	}
	free(name);
}

int bdev_rpc_histogram_register(void)
{
	int rc = usk_rpc_register_method("bdev_enable_histogram", rpc_bdev_enable_histogram);

	return rc != 0 ? rc : usk_rpc_register_method("bdev_get_histogram", rpc_bdev_get_histogram);
}
