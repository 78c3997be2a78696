/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/json's values are jansson values: the libraries built on it (rpc,
 * event) convert with these, and only they include jansson.
 */
#ifndef USK_INTERNAL_JSON_H
#define USK_INTERNAL_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "usk/json.h"
#include "usk_internal/utf8.h"

static inline json_t *json_val_jansson(const struct usk_json_val *val)
{
	return (json_t *)(uintptr_t)val;
}

static inline const struct usk_json_val *json_val_from_jansson(const json_t *j)
{
	return (const struct usk_json_val *)j;
}

/*
 * Finishes a document like usk_json_write_end() but hands back the tree
 * (a new reference) instead of text; NULL with *rc set on failure.
 */
json_t *json_write_take(struct usk_json_write_ctx *w, int *rc);

#endif /* USK_INTERNAL_JSON_H */
