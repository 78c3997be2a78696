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

static inline json_t *json_val_jansson(const struct usk_json_val *val)
{
	return (json_t *)(uintptr_t)val;
}

static inline const struct usk_json_val *json_val_from_jansson(const json_t *j)
{
	return (const struct usk_json_val *)j;
}

/*
 * Shortens @s, text that was UTF-8 before a buffer's size cut it, to its
 * last whole character: jansson refuses a string that ends inside one, so
 * a message cut there could not be sent at all.
 */
static inline void json_utf8_trim(char *s)
{
	size_t len = strlen(s), lead = len;
	unsigned char c;
	size_t need;

	/* A character has at most three continuation bytes (10xxxxxx) after its first. */
	while (lead > 0 && len - lead < 3 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80) {
		lead--;
	}
	if (lead == 0) {
		return;
	}
	c = (unsigned char)s[--lead];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (len - lead < need) {
		s[lead] = '\0';
	}
}

/*
 * Finishes a document like usk_json_write_end() but hands back the tree
 * (a new reference) instead of text; NULL with *rc set on failure.
 */
json_t *json_write_take(struct usk_json_write_ctx *w, int *rc);

#endif /* USK_INTERNAL_JSON_H */
