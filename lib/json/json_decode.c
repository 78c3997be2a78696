/* SPDX-License-Identifier: BSD-3-Clause */
/* Decoding JSON objects into C structures, with errors that name the field. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "usk_internal/json.h"

int usk_json_decode_string(const struct usk_json_val *val, void *out)
{
	const char *s = json_string_value(json_val_jansson(val));
	char **dst = out;
	char *copy;

	if (s == NULL) {
		return -EINVAL;
	}
	copy = strdup(s);
	if (copy == NULL) {
		return -ENOMEM;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int usk_json_decode_bool(const struct usk_json_val *val, void *out)
{
	json_t *j = json_val_jansson(val);

	if (!json_is_boolean(j)) {
		return -EINVAL;
	}
	*(bool *)out = json_is_true(j);
	return 0;
}

/* Reads an integer within [min, max]. */
static int json_decode_integer(const struct usk_json_val *val, json_int_t min, json_int_t max,
			       json_int_t *out)
{
	json_t *j = json_val_jansson(val);
	json_int_t v;

	if (!json_is_integer(j)) {
		return -EINVAL;
	}
	v = json_integer_value(j);
	if (v < min || v > max) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int usk_json_decode_int32(const struct usk_json_val *val, void *out)
{
	json_int_t v;
	int rc = json_decode_integer(val, INT32_MIN, INT32_MAX, &v);

	if (rc == 0) {
		*(int32_t *)out = (int32_t)v;
	}
	return rc;
}

int usk_json_decode_uint32(const struct usk_json_val *val, void *out)
{
	json_int_t v;
	int rc = json_decode_integer(val, 0, UINT32_MAX, &v);

	if (rc == 0) {
		*(uint32_t *)out = (uint32_t)v;
	}
	return rc;
}

int usk_json_decode_uint64(const struct usk_json_val *val, void *out)
{
	json_int_t v;
	int rc = json_decode_integer(val, 0, INT64_MAX, &v);

	if (rc == 0) {
		*(uint64_t *)out = (uint64_t)v;
	}
	return rc;
}

/* What a decode function wants, for the error message. */
static const char *json_decoder_expects(usk_json_decode_fn fn)
{
	static const struct {
		usk_json_decode_fn fn;
		const char *what;
	} known[] = {
		{usk_json_decode_string, "a string"},
		{usk_json_decode_bool, "true or false"},
		{usk_json_decode_int32, "an integer from -2147483648 to 2147483647"},
		{usk_json_decode_uint32, "an integer from 0 to 4294967295"},
		{usk_json_decode_uint64, "an integer from 0 to 9223372036854775807"},
	};

	for (size_t i = 0; i < USK_COUNTOF(known); i++) {
		if (known[i].fn == fn) {
			return known[i].what;
		}
	}
	return "a valid value";
}

/*
 * Messages go to a caller's buffer that may be absent, and that a field's
 * name may overflow: what is cut stays UTF-8, for the caller's answer.
 */
static void __attribute__((format(printf, 3, 4)))
json_decode_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	utf8_trim(err);
}

static const struct usk_json_object_decoder *
json_decoder_find(const struct usk_json_object_decoder *decoders, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(decoders[i].name, name) == 0) {
			return &decoders[i];
		}
	}
	return NULL;
}

static const struct usk_json_compat_member *
json_compat_find(const struct usk_json_compat_member *compat, size_t ncompat, const char *name)
{
	for (size_t i = 0; i < ncompat; i++) {
		if (strcmp(compat[i].name, name) == 0) {
			return &compat[i];
		}
	}
	return NULL;
}

/* A compat member is accepted when null, with its one value, or with any when it names none. */
static int json_compat_check(const struct usk_json_compat_member *c, json_t *member, char *err,
			     size_t errlen)
{
	json_t *accepted;
	bool same;

	if (json_is_null(member) || c->value == NULL) {
		return 0;
	}
	accepted = json_loads(c->value, JSON_DECODE_ANY, NULL);
	if (accepted == NULL) {
		return -ENOMEM;
	}
	same = json_equal(accepted, member);
	json_decref(accepted);
	if (!same) {
		json_decode_error(err, errlen, "field '%s': only %s is accepted (%s)", c->name,
				  c->value, c->why);
		return -EINVAL;
	}
	return 0;
}

/* Every member is either decoded, or a compat member with its value. */
static int json_members_check(json_t *obj, const struct usk_json_object_decoder *decoders,
			      size_t count, const struct usk_json_compat_member *compat,
			      size_t ncompat, char *err, size_t errlen)
{
	const char *key;
	json_t *member;

	json_object_foreach(obj, key, member) {
		const struct usk_json_compat_member *c;
		int rc;

		if (json_decoder_find(decoders, count, key) != NULL) {
			continue;
		}
		c = json_compat_find(compat, ncompat, key);
		if (c == NULL) {
			json_decode_error(err, errlen, "unknown field '%s'", key);
			return -EINVAL;
		}
		rc = json_compat_check(c, member, err, errlen);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int usk_json_decode_object(const struct usk_json_val *val,
			   const struct usk_json_object_decoder *decoders, size_t count, void *out,
			   char *err, size_t errlen)
{
	return usk_json_decode_object_compat(val, decoders, count, NULL, 0, out, err, errlen);
}

int usk_json_decode_object_compat(const struct usk_json_val *val,
				  const struct usk_json_object_decoder *decoders, size_t count,
				  const struct usk_json_compat_member *compat, size_t ncompat,
				  void *out, char *err, size_t errlen)
{
	json_t *obj = json_val_jansson(val);
	json_t *member;
	int rc;

	if (obj != NULL && !json_is_object(obj)) {
		json_decode_error(err, errlen, "expected an object");
		return -EINVAL;
	}
	rc = json_members_check(obj, decoders, count, compat, ncompat, err, errlen);
	if (rc != 0) {
		return rc;
	}
	for (size_t i = 0; i < count; i++) {
		const struct usk_json_object_decoder *d = &decoders[i];

		member = json_object_get(obj, d->name);
		if (member == NULL) {
			if (d->optional) {
				continue;
			}
			json_decode_error(err, errlen, "missing field '%s'", d->name);
			return -EINVAL;
		}
		rc = d->decode(json_val_from_jansson(member), (char *)out + d->offset);
		if (rc != 0) {
			json_decode_error(err, errlen, "field '%s': expected %s", d->name,
					  json_decoder_expects(d->decode));
			return rc == -ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}
