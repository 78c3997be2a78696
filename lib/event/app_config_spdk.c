/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SPDK methods a config saved by SPDK holds that USK has no use for:
 * they tune SPDK machinery USK does not have (its buffer pools, its
 * acceleration framework, its socket layer, its scheduler), or they set
 * what USK already does. Loading such a config skips them with a notice,
 * as long as the method is not registered here and none of the fields
 * that would ask USK for a behaviour it does not give differs from SPDK's
 * default; every other field only tunes what USK lacks, so any value
 * passes. doc/app.md has the same table.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usk/util.h"
#include "event_internal.h"

/* A field and SPDK's default for it. */
struct spdk_default {
	const char *field;
	enum usk_json_type type; /* USK_JSON_STRING, USK_JSON_BOOL or USK_JSON_INTEGER */
	const char *string;
	bool boolean;
	uint64_t integer;
};

#define DEFAULT_STRING(f, v)                                         \
	{                                                            \
		.field = (f), .type = USK_JSON_STRING, .string = (v) \
	}
#define DEFAULT_BOOL(f, v)                                          \
	{                                                           \
		.field = (f), .type = USK_JSON_BOOL, .boolean = (v) \
	}
#define DEFAULT_INT(f, v)                                              \
	{                                                              \
		.field = (f), .type = USK_JSON_INTEGER, .integer = (v) \
	}

#define SPDK_DEFAULTS_MAX 8

struct spdk_unused_method {
	const char *method;
	/* Fields that must keep SPDK's default; the rest pass at any value. */
	struct spdk_default defaults[SPDK_DEFAULTS_MAX];
};

static const struct spdk_unused_method g_unused[] = {
	/* bdev: pools and caches of SPDK's bdev layer; USK sizes its own. */
	{.method = "bdev_set_options"},
	{.method = "bdev_nvme_set_hotplug", .defaults = {DEFAULT_BOOL("enable", false)}},
	/* bdev: USK has no examine step; its bdevs are ready when created. */
	{.method = "bdev_wait_for_examine"},
	{.method = "bdev_raid_set_options"},
	{.method = "bdev_iscsi_set_options"},
	/* Subsystems USK does not have: their global tuning. */
	{.method = "accel_set_options"},
	{.method = "iobuf_set_options"},
	{.method = "sock_set_default_impl"},
	{.method = "sock_impl_set_options"},
	{.method = "framework_set_scheduler", .defaults = {DEFAULT_STRING("name", "static")}},
	{.method = "keyring_linux_set_options", .defaults = {DEFAULT_BOOL("enable", false)}},
	{.method = "fsdev_set_opts"},
	{.method = "iscsi_set_options"},
	{.method = "nvmf_set_config"},
	{.method = "nvmf_set_max_subsystems"},
	{.method = "nvmf_set_crdt"},
};

static const struct spdk_unused_method *unused_method_find(const char *method)
{
	for (size_t i = 0; i < USK_COUNTOF(g_unused); i++) {
		if (strcmp(g_unused[i].method, method) == 0) {
			return &g_unused[i];
		}
	}
	return NULL;
}

static bool default_matches(const struct spdk_default *d, const struct usk_json_val *val)
{
	uint64_t integer;
	bool boolean;

	if (usk_json_val_type(val) != d->type) {
		return false;
	}
	switch (d->type) {
	case USK_JSON_STRING:
		return strcmp(usk_json_string(val), d->string) == 0;
	case USK_JSON_BOOL:
		return usk_json_decode_bool(val, &boolean) == 0 && boolean == d->boolean;
	default:
		return usk_json_decode_uint64(val, &integer) == 0 && integer == d->integer;
	}
}

int app_config_spdk_unused(const char *method, const struct usk_json_val *params,
			   const char **field)
{
	const struct spdk_unused_method *m = unused_method_find(method);
	const struct usk_json_val *val;

	*field = NULL;
	if (m == NULL) {
		return -ENOENT;
	}
	for (size_t i = 0; i < SPDK_DEFAULTS_MAX && m->defaults[i].field != NULL; i++) {
		val = usk_json_object_get(params, m->defaults[i].field);
		if (val != NULL && !default_matches(&m->defaults[i], val)) {
			*field = m->defaults[i].field;
			return -EINVAL;
		}
	}
	return 0;
}
