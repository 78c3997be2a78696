/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/json's values are jansson values: the libraries built on it (rpc,
 * event) convert with these, and only they include jansson.
 */
#ifndef USK_INTERNAL_JSON_H
#define USK_INTERNAL_JSON_H

#include <jansson.h>
#include <stdbool.h>
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

/*
 * Finds the text of member @key of the object that @text (@len bytes of
 * JSON that usk_json_parse() took) holds, as it was written: its offset
 * in *@off and its length in *@n. Of a repeated key, the last, which is
 * the one parsing keeps. Returns false when there is no such member (or
 * no object).
 */
bool json_member_text(const char *text, size_t len, const char *key, size_t *off, size_t *n);

#endif /* USK_INTERNAL_JSON_H */
