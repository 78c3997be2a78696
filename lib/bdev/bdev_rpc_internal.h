/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of the bdev layer's RPC methods share. */
#ifndef USK_BDEV_RPC_INTERNAL_H
#define USK_BDEV_RPC_INTERNAL_H

#include "usk/rpc.h"
#include "bdev_internal.h"

/*
 * Decodes an optional {name} (with @compat members accepted, may be NULL);
 * answers and returns -EINVAL for bad params or an unknown bdev.
 */
int bdev_rpc_optional_name(struct usk_rpc_request *req, const struct usk_json_val *params,
			   char **name);
/* The bdev called @name, or NULL after answering that no bdev is, naming @field. */
struct usk_bdev *bdev_rpc_find(struct usk_rpc_request *req, const char *field, const char *name);
/* A decoder that keeps the member's value as it is (valid while the params are), for checks of its own. */
int bdev_rpc_decode_val(const struct usk_json_val *val, void *out);
/*
 * Reads SPDK's reset mode @text ("all", "maxmin", "error", "none") into
 * @mode; answers naming @field and returns -EINVAL for another.
 */
int bdev_rpc_reset_mode(struct usk_rpc_request *req, const char *field, const char *text,
			enum usk_bdev_reset_stat_mode *mode);

/* USK's type for SPDK's I/O type @name; -1 when USK has none, -2 when SPDK has none either. */
int bdev_rpc_io_type_by_name(const char *name);

/* The methods of each file, registered by bdev_rpc_register(). */
void rpc_bdev_get_bdevs(struct usk_rpc_request *req, const struct usk_json_val *params);
void rpc_bdev_get_iostat(struct usk_rpc_request *req, const struct usk_json_val *params);
void rpc_bdev_reset_iostat(struct usk_rpc_request *req, const struct usk_json_val *params);
/* Registers bdev_enable_histogram and bdev_get_histogram. */
int bdev_rpc_histogram_register(void);

#endif /* USK_BDEV_RPC_INTERNAL_H */
