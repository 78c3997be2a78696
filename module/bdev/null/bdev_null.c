/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The null bdev: every I/O succeeds without touching data. It measures
 * the bdev layer's own cost, so it does nothing but complete.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_modules.h"

struct null_bdev {
	struct usk_bdev bdev;
	uint32_t physical_block_size; /* as given, for save_config */
};

static int null_module_init(void);
static void null_module_fini(void);

const struct usk_bdev_module g_bdev_null_module = {
	.name = "null",
	.module_init = null_module_init,
	.module_fini = null_module_fini,
};

/* The module's io_device: its channels carry no state. */
static int null_channel_create(void *io_device, void *ctx)
{
	return 0;
}

static void null_channel_destroy(void *io_device, void *ctx)
{
}

static int null_module_init(void)
{
	return usk_io_device_register((void *)(uintptr_t)&g_bdev_null_module, null_channel_create,
				      null_channel_destroy, 0, "bdev_null");
}

static void null_module_fini(void)
{
	usk_io_device_unregister((void *)(uintptr_t)&g_bdev_null_module, NULL);
}

static void null_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_SUCCESS);
}

static bool null_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return type != USK_BDEV_IO_TYPE_COMPARE;
}

static struct usk_io_channel *null_get_io_channel(void *ctxt)
{
	return usk_io_channel_get((void *)(uintptr_t)&g_bdev_null_module);
}

static void null_destruct(void *ctxt)
{
	struct null_bdev *nb = ctxt;

	free(nb);
}

static void null_write_config(struct usk_bdev *bdev, struct usk_json_write_ctx *w)
{
	struct null_bdev *nb = bdev->ctxt;

	bdev_write_create_config(bdev, "bdev_null_create", nb->physical_block_size, w);
}

static const struct usk_bdev_fn_table g_null_fn = {
	.destruct = null_destruct,
	.submit_request = null_submit,
	.io_type_supported = null_io_type_supported,
	.get_io_channel = null_get_io_channel,
	.write_config_json = null_write_config,
};

int bdev_null_create_ext(const struct bdev_create_opts *opts, struct usk_bdev **bdev, char *err,
			 size_t errlen)
{
	struct null_bdev *nb = calloc(1, sizeof(*nb));
	int rc;

	if (nb == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = bdev_create_opts_apply(opts, &nb->bdev, err, errlen);
	if (rc != 0) {
		null_destruct(nb);
		return rc;
	}
	nb->physical_block_size = opts->physical_block_size;
	/* The layer keeps its own copy of the name. */
	nb->bdev.name = opts->name;
	nb->bdev.ctxt = nb;
	rc = bdev_simple_register(&nb->bdev, "Null disk", opts->num_blocks, opts->block_size,
				  &g_null_fn, &g_bdev_null_module, err, errlen);
	if (rc != 0) {
		null_destruct(nb);
		return rc;
	}
	if (bdev != NULL) {
		*bdev = &nb->bdev;
	}
	return 0;
}

int bdev_null_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		     struct usk_bdev **bdev, char *err, size_t errlen)
{
	return bdev_create_sized(bdev_null_create_ext, name, num_blocks, block_size, bdev, err,
				 errlen);
}

#define NULL_MIB ((uint64_t)1024 * 1024)

int bdev_null_resize(const char *name, uint64_t new_size_mib, char *err, size_t errlen)
{
	struct usk_bdev *b = usk_bdev_get_by_name(name);
	uint64_t bytes, size_mib, blocks;
	int rc;

	if (b == NULL || b->module != &g_bdev_null_module) {
		snprintf(err, errlen, "field 'name': no null bdev is called '%s'", name);
		return -ENODEV;
	}
	/*
	 * As SPDK: whole MiB, and never smaller, so no block in use disappears.
	 * Rounded up, or a bdev of 1.5 MiB resized to 1 would lose its last half MiB.
	 */
	bytes = usk_bdev_get_num_blocks(b) * usk_bdev_get_block_size(b);
	size_mib = usk_div_round_up_pow2(bytes, 20);
	if (new_size_mib < size_mib) {
		snprintf(err, errlen,
			 "field 'new_size': %" PRIu64 " MiB is smaller than the bdev's %" PRIu64
			 " MiB (null bdevs only grow)",
			 new_size_mib, size_mib);
		return -EINVAL;
	}
	if (new_size_mib > UINT64_MAX / NULL_MIB / 2) {
		snprintf(err, errlen, "field 'new_size': %" PRIu64 " MiB is more than 2^63 bytes",
			 new_size_mib);
		return -EINVAL;
	}
	blocks = new_size_mib * NULL_MIB / usk_bdev_get_block_size(b);
	rc = usk_bdev_notify_blockcnt_change(b, blocks);
	if (rc != 0) {
		snprintf(err, errlen, "field 'name': bdev '%s' cannot be resized: %s", name,
			 strerror(-rc));
	}
	return rc;
}

int bdev_null_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	return bdev_module_delete(&g_bdev_null_module, name, cb, cb_arg);
}

static const struct usk_json_object_decoder g_null_create_decoders[] = {
	{"name", offsetof(struct bdev_create_opts, name), usk_json_decode_string, false},
	{"num_blocks", offsetof(struct bdev_create_opts, num_blocks), usk_json_decode_uint64,
	 false},
	{"block_size", offsetof(struct bdev_create_opts, block_size), usk_json_decode_uint32, true},
	{"physical_block_size", offsetof(struct bdev_create_opts, physical_block_size),
	 usk_json_decode_uint32, true},
	{"uuid", offsetof(struct bdev_create_opts, uuid), usk_json_decode_string, true},
};

/*
 * What SPDK's client and save_config send that a null bdev here has no use
 * for. The write and unmap hints are only reported by SPDK, and USK reports
 * none, so any value is taken.
 */
static const struct usk_json_compat_member g_null_create_compat[] = {
	{"md_size", "0", "USK bdevs carry no metadata"},
	{"md_interleave", NULL, "USK bdevs carry no metadata to place"},
	{"dif_type", "0", "USK bdevs carry no protection information"},
	{"dif_is_head_of_md", NULL, "USK bdevs carry no protection information to place"},
	{"dif_pi_format", "0", "USK bdevs carry no protection information"},
	{"preferred_write_granularity", NULL, "a hint USK does not report"},
	{"preferred_write_alignment", NULL, "a hint USK does not report"},
	{"optimal_write_size", NULL, "a hint USK does not report"},
	{"preferred_unmap_granularity", NULL, "a hint USK does not report"},
	{"preferred_unmap_alignment", NULL, "a hint USK does not report"},
};

static void rpc_bdev_null_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	static const struct bdev_create_method method = {
		.decoders = g_null_create_decoders,
		.num_decoders = USK_COUNTOF(g_null_create_decoders),
		.compat = g_null_create_compat,
		.num_compat = USK_COUNTOF(g_null_create_compat),
		.create = bdev_null_create_ext,
	};

	bdev_rpc_create(req, params, &method);
}

static void rpc_bdev_null_delete(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	bdev_rpc_delete(req, params, bdev_null_delete, "null");
}

struct null_resize_params {
	char *name;
	uint64_t new_size;
};

static const struct usk_json_object_decoder g_null_resize_decoders[] = {
	{"name", offsetof(struct null_resize_params, name), usk_json_decode_string, false},
	{"new_size", offsetof(struct null_resize_params, new_size), usk_json_decode_uint64, false},
};

static void rpc_bdev_null_resize(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct null_resize_params p = {0};
	char err[256];

	if (usk_rpc_decode_params(req, params, g_null_resize_decoders,
				  USK_COUNTOF(g_null_resize_decoders), &p) == 0) {
		if (bdev_null_resize(p.name, p.new_size, err, sizeof(err)) != 0) {
			usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s",
					   err);
		} else {
			usk_rpc_send_bool(req, true);
		}
	}
	free(p.name);
}

int bdev_null_rpc_register(void)
{
	static const struct {
		const char *name;
		usk_rpc_method_fn fn;
	} methods[] = {
		{"bdev_null_create", rpc_bdev_null_create},
		{"bdev_null_delete", rpc_bdev_null_delete},
		{"bdev_null_resize", rpc_bdev_null_resize},
	};
	int rc = 0;

	for (size_t i = 0; i < USK_COUNTOF(methods) && rc == 0; i++) {
		rc = usk_rpc_register_method(methods[i].name, methods[i].fn);
	}
	return rc;
}
