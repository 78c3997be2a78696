/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in bdev modules, for the bdev subsystem and the tests: how
 * each makes and removes its bdevs, and registers its RPC methods.
 */
#ifndef USK_BDEV_MODULES_H
#define USK_BDEV_MODULES_H

#include "usk/bdev_module.h"
#include "usk/rpc.h"

/* Registers every built-in module and its RPC methods. */
int bdev_modules_register(void);

/* Makes a bdev from {name, num_blocks, block_size}; fills @err on failure. */
typedef int (*bdev_create_fn)(const char *name, uint64_t num_blocks, uint32_t block_size,
			      struct usk_bdev **bdev, char *err, size_t errlen);
/* Removes the module's bdev called @name; @cb hears when it is gone. */
typedef int (*bdev_delete_fn)(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);

/* A *_create method: decodes the params, makes the bdev, answers its name. */
void bdev_rpc_create(struct usk_rpc_request *req, const struct usk_json_val *params,
		     bdev_create_fn create);
/* A *_delete method: decodes {name}, answers true once the bdev is gone. */
void bdev_rpc_delete(struct usk_rpc_request *req, const struct usk_json_val *params,
		     bdev_delete_fn delete_bdev, const char *kind);

/* Writes {"method": @method, "params": {name, num_blocks, block_size}} for @bdev. */
void bdev_write_create_config(struct usk_bdev *bdev, const char *method,
			      struct usk_json_write_ctx *w);

/*
 * Checks what every made-up bdev needs: a free name, blocks, and a block
 * size that is a power of two from 512 to 64 KiB; fills @err on failure.
 */
int bdev_geometry_check(const char *name, uint64_t num_blocks, uint32_t block_size, char *err,
			size_t errlen);

/*
 * Fills the rest of @b (its name and ctxt are set) and registers it; says
 * why in @err on failure.
 */
int bdev_simple_register(struct usk_bdev *b, const char *product, uint64_t num_blocks,
			 uint32_t block_size, const struct usk_bdev_fn_table *fn,
			 const struct usk_bdev_module *module, char *err, size_t errlen);

/* Unregisters @module's bdev called @name; -ENODEV when it has none by that name. */
int bdev_module_delete(const struct usk_bdev_module *module, const char *name,
		       void (*cb)(void *cb_arg, int rc), void *cb_arg);

/* Null: completes I/O without touching data. */
extern const struct usk_bdev_module g_bdev_null_module;
int bdev_null_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		     struct usk_bdev **bdev, char *err, size_t errlen);
int bdev_null_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_null_rpc_register(void);

/* Malloc: memory-backed, data copied through the I/O path. */
extern const struct usk_bdev_module g_bdev_malloc_module;
int bdev_malloc_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		       struct usk_bdev **bdev, char *err, size_t errlen);
int bdev_malloc_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_malloc_rpc_register(void);

/* Split: a base bdev cut into equal parts <base>p0, <base>p1... */
extern const struct usk_bdev_module g_bdev_split_module;
int bdev_split_create(const char *base_name, uint32_t count, char *err, size_t errlen);
int bdev_split_delete(const char *base_name);
int bdev_split_rpc_register(void);

/* Uring: a file or kernel block device through io_uring (with liburing only). */
extern const struct usk_bdev_module g_bdev_uring_module;
int bdev_uring_create(const char *name, const char *filename, uint32_t block_size, char *err,
		      size_t errlen);
int bdev_uring_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_uring_rpc_register(void);

/* NVMe: a controller through the polled driver, a bdev per namespace. */
extern const struct usk_bdev_module g_bdev_nvme_module;
int bdev_nvme_rpc_register(void);

#endif /* USK_BDEV_MODULES_H */
