/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing JSON: a stack of open containers over a jansson tree. The first
 * error sticks, so callers write a whole document and check once.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk_internal/json.h"

#define JSON_WRITE_MAX_DEPTH 32

struct usk_json_write_ctx {
	json_t *root;
	json_t *stack[JSON_WRITE_MAX_DEPTH];
	int depth;
	int rc;
};

struct usk_json_write_ctx *usk_json_write_begin(void)
{
	return calloc(1, sizeof(struct usk_json_write_ctx));
}

static int json_write_fail(struct usk_json_write_ctx *w, int rc)
{
	if (w->rc == 0) {
		w->rc = rc;
	}
	return w->rc;
}

/* Adds @v (stolen) where the document is at: named into an object, unnamed elsewhere. */
static int json_write_add(struct usk_json_write_ctx *w, const char *name, json_t *v)
{
	json_t *top = w->depth ? w->stack[w->depth - 1] : NULL;

	if (w->rc != 0 || v == NULL) {
		json_decref(v);
		return json_write_fail(w, -ENOMEM);
	}
	if (top == NULL) {
		if (w->root != NULL || name != NULL) {
			json_decref(v);
			return json_write_fail(w, -EINVAL);
		}
		w->root = v;
		return 0;
	}
	if (json_is_object(top) != (name != NULL)) {
		json_decref(v);
		return json_write_fail(w, -EINVAL);
	}
	if ((name ? json_object_set_new(top, name, v) : json_array_append_new(top, v)) != 0) {
		return json_write_fail(w, -ENOMEM);
	}
	return 0;
}

static int json_write_open(struct usk_json_write_ctx *w, const char *name, json_t *container)
{
	int rc;

	if (w->depth == JSON_WRITE_MAX_DEPTH) {
		json_decref(container);
		return json_write_fail(w, -EINVAL);
	}
	/* The stack borrows; the parent (or root) owns it. */
	rc = json_write_add(w, name, container);
	if (rc == 0) {
		w->stack[w->depth++] = container;
	}
	return rc;
}

static int json_write_close(struct usk_json_write_ctx *w, bool object)
{
	if (w->rc != 0) {
		return w->rc;
	}
	if (w->depth == 0 || json_is_object(w->stack[w->depth - 1]) != object) {
		return json_write_fail(w, -EINVAL);
	}
	w->depth--;
	return 0;
}

int usk_json_write_object_begin(struct usk_json_write_ctx *w)
{
	return json_write_open(w, NULL, json_object());
}

int usk_json_write_named_object_begin(struct usk_json_write_ctx *w, const char *name)
{
	return json_write_open(w, name, json_object());
}

int usk_json_write_object_end(struct usk_json_write_ctx *w)
{
	return json_write_close(w, true);
}

int usk_json_write_array_begin(struct usk_json_write_ctx *w)
{
	return json_write_open(w, NULL, json_array());
}

int usk_json_write_named_array_begin(struct usk_json_write_ctx *w, const char *name)
{
	return json_write_open(w, name, json_array());
}

int usk_json_write_array_end(struct usk_json_write_ctx *w)
{
	return json_write_close(w, false);
}

/* Adds string @s (NULL: null) as json_write_add() does. */
static int json_write_text(struct usk_json_write_ctx *w, const char *name, const char *s)
{
	json_t *v = s ? json_string(s) : json_null();
	json_t *raw;

	/*
	 * jansson refuses text that is not UTF-8 (a name cut inside a
	 * character) as it does a failed allocation: the caller's message
	 * must not blame memory.
	 */
	if (v == NULL && w->rc == 0 && (raw = json_string_nocheck(s)) != NULL) {
		json_decref(raw);
		return json_write_fail(w, -EILSEQ);
	}
	return json_write_add(w, name, v);
}

int usk_json_write_string(struct usk_json_write_ctx *w, const char *s)
{
	return json_write_text(w, NULL, s);
}

int usk_json_write_named_string(struct usk_json_write_ctx *w, const char *name, const char *s)
{
	return json_write_text(w, name, s);
}

int usk_json_write_uint64(struct usk_json_write_ctx *w, uint64_t v)
{
	if (v > INT64_MAX) {
		return json_write_fail(w, -ERANGE);
	}
	return json_write_add(w, NULL, json_integer((json_int_t)v));
}

int usk_json_write_named_uint64(struct usk_json_write_ctx *w, const char *name, uint64_t v)
{
	if (v > INT64_MAX) {
		return json_write_fail(w, -ERANGE);
	}
	return json_write_add(w, name, json_integer((json_int_t)v));
}

int usk_json_write_named_int64(struct usk_json_write_ctx *w, const char *name, int64_t v)
{
	return json_write_add(w, name, json_integer(v));
}

int usk_json_write_named_bool(struct usk_json_write_ctx *w, const char *name, bool v)
{
	return json_write_add(w, name, json_boolean(v));
}

int usk_json_write_bool(struct usk_json_write_ctx *w, bool v)
{
	return json_write_add(w, NULL, json_boolean(v));
}

int usk_json_write_named_val(struct usk_json_write_ctx *w, const char *name,
			     const struct usk_json_val *val)
{
	return json_write_add(w, name, json_deep_copy(json_val_jansson(val)));
}

json_t *json_write_take(struct usk_json_write_ctx *w, int *rc)
{
	json_t *root = w->root;

	*rc = w->rc;
	if (*rc == 0 && (root == NULL || w->depth != 0)) {
		*rc = -EINVAL;
	}
	free(w);
	if (*rc != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int usk_json_write_end(struct usk_json_write_ctx *w, bool pretty, char **text)
{
	int rc;
	json_t *root = json_write_take(w, &rc);
	char *s;

	if (root == NULL) {
		return rc;
	}
	if (text != NULL) {
		s = json_dumps(root, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
		if (s == NULL) {
			json_decref(root);
			return -ENOMEM;
		}
		*text = s;
	}
	json_decref(root);
	return 0;
}
