/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The null bdev: every I/O succeeds without touching data. It measures
 * the bdev layer's own cost, so it does nothing but complete.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "bdev_modules.h"

struct null_bdev {
	struct usk_bdev bdev;
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
	bdev_write_create_config(bdev, "bdev_null_create", w);
}

static const struct usk_bdev_fn_table g_null_fn = {
	.destruct = null_destruct,
	.submit_request = null_submit,
	.io_type_supported = null_io_type_supported,
	.get_io_channel = null_get_io_channel,
	.write_config_json = null_write_config,
};

int bdev_null_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		     struct usk_bdev **bdev, char *err, size_t errlen)
{
	struct null_bdev *nb;
	int rc = bdev_geometry_check(name, num_blocks, block_size, err, errlen);

	if (rc != 0) {
		return rc;
	}
	nb = calloc(1, sizeof(*nb));
	if (nb == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* The layer keeps its own copy of the name. */
	nb->bdev.name = name;
	nb->bdev.ctxt = nb;
	rc = bdev_simple_register(&nb->bdev, "Null disk", num_blocks, block_size, &g_null_fn,
				  &g_bdev_null_module, err, errlen);
	if (rc != 0) {
		null_destruct(nb);
		return rc;
	}
	if (bdev != NULL) {
		*bdev = &nb->bdev;
	}
	return 0;
}

int bdev_null_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg)
{
	return bdev_module_delete(&g_bdev_null_module, name, cb, cb_arg);
}

static void rpc_bdev_null_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	bdev_rpc_create(req, params, bdev_null_create);
}

static void rpc_bdev_null_delete(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	bdev_rpc_delete(req, params, bdev_null_delete, "null");
}

int bdev_null_rpc_register(void)
{
	int rc = usk_rpc_register_method("bdev_null_create", rpc_bdev_null_create);

	return rc ? rc : usk_rpc_register_method("bdev_null_delete", rpc_bdev_null_delete);
}
