/* SPDX-License-Identifier: BSD-3-Clause */
/* The built-in modules' registration and what their bdevs share. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "bdev_internal.h"
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
#ifdef USK_HAVE_AIO
		{&g_bdev_aio_module, bdev_aio_rpc_register},
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

void bdev_modules_write_config(struct usk_json_write_ctx *w)
{
	bdev_nvme_write_module_config(w);
#ifdef USK_HAVE_URING
	bdev_uring_write_module_config(w);
#endif
	for (struct usk_bdev *b = usk_bdev_first(); b != NULL; b = usk_bdev_next(b)) {
		if (b->fn_table->write_config_json != NULL) {
			b->fn_table->write_config_json(b, w);
		}
		bdev_qos_write_config(b, w);
	}
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

void bdev_create_opts_init(struct bdev_create_opts *opts)
{
	*opts = (struct bdev_create_opts){.block_size = 512};
}

int bdev_create_sized(bdev_create_fn create, const char *name, uint64_t num_blocks,
		      uint32_t block_size, struct usk_bdev **bdev, char *err, size_t errlen)
{
	struct bdev_create_opts opts;

	bdev_create_opts_init(&opts);
	opts.name = name;
	opts.num_blocks = num_blocks;
	opts.block_size = block_size;
	return create(&opts, bdev, err, errlen);
}

void bdev_create_opts_free(struct bdev_create_opts *opts)
{
	/* The decoders made these copies; the const is for the callers that lend theirs. */
	free((void *)(uintptr_t)opts->name);
	free((void *)(uintptr_t)opts->uuid);
}

/* 0 (the block size), or what SPDK takes: a power of two no smaller than a block. */
static int bdev_physical_block_size_check(uint32_t pbs, uint32_t block_size, char *err,
					  size_t errlen)
{
	if (pbs == 0 || (usk_u64_is_pow2(pbs) && pbs >= block_size)) {
		return 0;
	}
	snprintf(err, errlen,
		 "field 'physical_block_size': %u is not a power of two of at least the block "
		 "size (%u)",
		 pbs, block_size);
	return -EINVAL;
}

/* A UUID given must read as one and be nobody's yet: it is how the bdev is found. */
static int bdev_uuid_take(const char *text, struct usk_uuid *uuid, char *err, size_t errlen)
{
	struct usk_bdev *other;

	if (text == NULL) {
		return 0;
	}
	if (usk_uuid_parse(uuid, text) != 0) {
		snprintf(err, errlen,
			 "field 'uuid': '%.64s' is not a UUID "
			 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			 text);
		return -EINVAL;
	}
	/* Found by its UUID's text, unless it merely has that text as its name. */
	other = usk_uuid_is_nil(uuid) ? NULL : usk_bdev_get_by_name(text);
	if (other != NULL && usk_uuid_equal(usk_bdev_get_uuid(other), uuid)) {
		snprintf(err, errlen, "field 'uuid': bdev '%s' has UUID %s",
			 usk_bdev_get_name(other), text);
		return -EEXIST;
	}
	return 0;
}

int bdev_create_opts_apply(const struct bdev_create_opts *opts, struct usk_bdev *b, char *err,
			   size_t errlen)
{
	int rc = bdev_geometry_check(opts->name, opts->num_blocks, opts->block_size, err, errlen);

	if (rc == 0) {
		rc = bdev_physical_block_size_check(opts->physical_block_size, opts->block_size,
						    err, errlen);
	}
	if (rc == 0) {
		rc = bdev_uuid_take(opts->uuid, &b->uuid, err, errlen);
	}
	b->optimal_io_boundary = opts->optimal_io_boundary;
	return rc;
}

void bdev_rpc_create(struct usk_rpc_request *req, const struct usk_json_val *params,
		     const struct bdev_create_method *method)
{
	struct bdev_create_opts opts;
	char err[256];

	bdev_create_opts_init(&opts);
	if (usk_rpc_decode_params_compat(req, params, method->decoders, method->num_decoders,
					 method->compat, method->num_compat, &opts) == 0) {
		bdev_rpc_create_answer(req, method->create(&opts, NULL, err, sizeof(err)),
				       opts.name, err);
	}
	bdev_create_opts_free(&opts);
}

void bdev_rpc_create_answer(struct usk_rpc_request *req, int rc, const char *name, const char *err)
{
	struct usk_json_write_ctx *w;

	if (rc != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", err);
	} else if ((w = usk_rpc_begin_result(req)) != NULL) {
		usk_json_write_string(w, name);
		usk_rpc_end_result(req, w);
	}
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

void bdev_write_config_begin(struct usk_bdev *bdev, const char *method,
			     struct usk_json_write_ctx *w)
{
	char uuid[USK_UUID_STRING_LEN];

	usk_uuid_fmt(uuid, sizeof(uuid), usk_bdev_get_uuid(bdev));
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", method);
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "name", usk_bdev_get_name(bdev));
	usk_json_write_named_string(w, "uuid", uuid);
}

void bdev_write_config_end(struct usk_json_write_ctx *w)
{
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

void bdev_write_create_config(struct usk_bdev *bdev, const char *method,
			      uint32_t physical_block_size, struct usk_json_write_ctx *w)
{
	uint32_t block_size = usk_bdev_get_block_size(bdev);

	bdev_write_config_begin(bdev, method, w);
	usk_json_write_named_uint64(w, "num_blocks", usk_bdev_get_num_blocks(bdev));
	usk_json_write_named_uint64(w, "block_size", block_size);
	/* As SPDK writes it: the block size when none was given. */
	usk_json_write_named_uint64(w, "physical_block_size",
				    physical_block_size != 0 ? physical_block_size : block_size);
	if (bdev->optimal_io_boundary != 0) {
		usk_json_write_named_uint64(w, "optimal_io_boundary", bdev->optimal_io_boundary);
	}
	bdev_write_config_end(w);
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

struct usk_bdev *bdev_module_first_bdev(const struct usk_bdev_module *module)
{
	struct usk_bdev *b = usk_bdev_first();

	while (b != NULL && b->module != module) {
		b = usk_bdev_next(b);
	}
	return b;
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
