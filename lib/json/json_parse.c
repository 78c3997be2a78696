/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing JSON and reading parsed values, over jansson. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "usk_internal/json.h"

static void json_error_format(const json_error_t *e, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0) {
		snprintf(err, errlen, "line %d, column %d: %s", e->line, e->column, e->text);
	}
}

int usk_json_parse(const char *buf, size_t len, size_t *consumed, struct usk_json_val **val,
		   char *err, size_t errlen)
{
	json_error_t e;
	json_t *j;

	/* Empty or white space only is a premature end too: the value is still to come. */
	j = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
	if (j == NULL) {
		if (json_error_code(&e) == json_error_premature_end_of_input) {
			return -EAGAIN;
		}
		json_error_format(&e, err, errlen);
		return json_error_code(&e) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
	}
	if (consumed != NULL) {
		*consumed = (size_t)e.position;
	}
	*val = (struct usk_json_val *)j;
	return 0;
}

int usk_json_parse_file(const char *path, struct usk_json_val **val, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		int rc = -errno;

		if (err != NULL && errlen > 0) {
			snprintf(err, errlen, "%s", strerror(-rc));
		}
		return rc;
	}
	j = json_loadf(f, JSON_DECODE_ANY, &e);
	fclose(f);
	if (j == NULL) {
		json_error_format(&e, err, errlen);
		return -EINVAL;
	}
	*val = (struct usk_json_val *)j;
	return 0;
}

void usk_json_val_free(struct usk_json_val *val)
{
	json_decref(json_val_jansson(val));
}

enum usk_json_type usk_json_val_type(const struct usk_json_val *val)
{
	if (val == NULL) {
		return USK_JSON_NULL;
	}
	switch (json_typeof(json_val_jansson(val))) {
	case JSON_OBJECT:
		return USK_JSON_OBJECT;
	case JSON_ARRAY:
		return USK_JSON_ARRAY;
	case JSON_STRING:
		return USK_JSON_STRING;
	case JSON_INTEGER:
		return USK_JSON_INTEGER;
	case JSON_REAL:
		return USK_JSON_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return USK_JSON_BOOL;
	default:
		return USK_JSON_NULL;
	}
}

const struct usk_json_val *usk_json_object_get(const struct usk_json_val *val, const char *key)
{
	return json_val_from_jansson(json_object_get(json_val_jansson(val), key));
}

size_t usk_json_array_size(const struct usk_json_val *val)
{
	return json_array_size(json_val_jansson(val));
}

const struct usk_json_val *usk_json_array_get(const struct usk_json_val *val, size_t index)
{
	return json_val_from_jansson(json_array_get(json_val_jansson(val), index));
}

const char *usk_json_string(const struct usk_json_val *val)
{
	return json_string_value(json_val_jansson(val));
}
