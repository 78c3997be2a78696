/* SPDX-License-Identifier: BSD-3-Clause */
/* The built-in modules' registration and what their bdevs share. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "bdev_modules.h"

int bdev_modules_register(void)
{
	static const struct {
		const struct usk_bdev_module *module;
		int (*rpc_register)(void);
	} builtin[] = {
		{&g_bdev_null_module, bdev_null_rpc_register},
		{&g_bdev_malloc_module, bdev_malloc_rpc_register},
		{&g_bdev_split_module, bdev_split_rpc_register},
		{&g_bdev_nvme_module, bdev_nvme_rpc_register},
#ifdef USK_HAVE_URING
		{&g_bdev_uring_module, bdev_uring_rpc_register},
#endif
	};

	for (size_t i = 0; i < USK_COUNTOF(builtin); i++) {
		int rc = usk_bdev_module_register(builtin[i].module);

		if (rc == 0) {
			rc = builtin[i].rpc_register();
		}
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int bdev_geometry_check(const char *name, uint64_t num_blocks, uint32_t block_size, char *err,
			size_t errlen)
{
	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "field 'name': a bdev needs a name");
	} else if (usk_bdev_get_by_name(name) != NULL) {
		snprintf(err, errlen, "field 'name': a bdev called '%s' exists", name);
	} else if (block_size < 512 || block_size > 65536 || !usk_u64_is_pow2(block_size)) {
		snprintf(err, errlen,
			 "field 'block_size': %u is not a power of two from 512 to 65536",
			 block_size);
	} else if (num_blocks == 0 || num_blocks > UINT64_MAX / block_size) {
		snprintf(err, errlen,
			 "field 'num_blocks': expected 1 or more, and a size that fits");
	} else {
		return 0;
	}
	return -EINVAL;
}

struct bdev_create_params {
	char *name;
	uint64_t num_blocks;
	uint32_t block_size;
};

static const struct usk_json_object_decoder g_create_decoders[] = {
	{"name", offsetof(struct bdev_create_params, name), usk_json_decode_string, false},
	{"num_blocks", offsetof(struct bdev_create_params, num_blocks), usk_json_decode_uint64,
	 false},
	{"block_size", offsetof(struct bdev_create_params, block_size), usk_json_decode_uint32,
	 true},
};

void bdev_rpc_create(struct usk_rpc_request *req, const struct usk_json_val *params,
		     bdev_create_fn create)
{
	struct bdev_create_params p = {.block_size = 512};
	struct usk_json_write_ctx *w;
	char err[256];

	if (usk_rpc_decode_params(req, params, g_create_decoders, USK_COUNTOF(g_create_decoders),
				  &p) == 0) {
		if (create(p.name, p.num_blocks, p.block_size, NULL, err, sizeof(err)) != 0) {
			usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s",
					   err);
		} else if ((w = usk_rpc_begin_result(req)) != NULL) {
			usk_json_write_string(w, p.name);
			usk_rpc_end_result(req, w);
		}
	}
	free(p.name);
}

static void bdev_delete_done(void *cb_arg, int rc)
{
	struct usk_rpc_request *req = cb_arg;

	if (rc != 0) {
		usk_rpc_send_error(req, rc, "%s", strerror(-rc));
	} else {
		usk_rpc_send_bool(req, true);
	}
}

static const struct usk_json_object_decoder g_delete_decoders[] = {
	{"name", 0, usk_json_decode_string, false},
};

void bdev_rpc_delete(struct usk_rpc_request *req, const struct usk_json_val *params,
		     bdev_delete_fn delete_bdev, const char *kind)
{
	char *name = NULL;
	int rc;

	if (usk_rpc_decode_params(req, params, g_delete_decoders, 1, &name) == 0) {
		rc = delete_bdev(name, bdev_delete_done, req);
		if (rc == -ENODEV) {
			usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
					   "params: field 'name': no %s bdev is called '%s'", kind,
					   name);
		} else if (rc != 0) {
			usk_rpc_send_error(
				req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				"params: field 'name': bdev '%s' is already being deleted", name);
		}
	}
	free(name);
}

void bdev_write_create_config(struct usk_bdev *bdev, const char *method,
			      struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", method);
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "name", usk_bdev_get_name(bdev));
	usk_json_write_named_uint64(w, "num_blocks", usk_bdev_get_num_blocks(bdev));
	usk_json_write_named_uint64(w, "block_size", usk_bdev_get_block_size(bdev));
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

int bdev_simple_register(struct usk_bdev *b, const char *product, uint64_t num_blocks,
			 uint32_t block_size, const struct usk_bdev_fn_table *fn,
			 const struct usk_bdev_module *module, char *err, size_t errlen)
{
	int rc;

	b->product_name = product;
	b->blocklen = block_size;
	b->blockcnt = num_blocks;
	b->fn_table = fn;
	b->module = module;
	rc = usk_bdev_register(b);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register: %s", strerror(-rc));
	}
	return rc;
}

int bdev_module_delete(const struct usk_bdev_module *module, const char *name,
		       void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	struct usk_bdev *bdev = usk_bdev_get_by_name(name);

	if (bdev == NULL || bdev->module != module) {
		return -ENODEV;
	}
	return usk_bdev_unregister(bdev, cb, cb_arg);
}
