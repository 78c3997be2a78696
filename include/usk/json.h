/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * JSON for configuration and JSON-RPC: parsing, decoding objects into C
 * structures with messages that name the bad field, and writing. A thin
 * layer over jansson that keeps jansson out of the public headers.
 *
 * Thread rules: a value or a write context belongs to one thread at a
 * time; different ones may be used on different threads at once.
 */
#ifndef USK_JSON_H
#define USK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** A parsed JSON value. */
struct usk_json_val;

/** Builds a JSON document step by step. */
struct usk_json_write_ctx;

/** The kinds of JSON value. */
enum usk_json_type {
	USK_JSON_NULL = 0,
	USK_JSON_BOOL,
	USK_JSON_INTEGER,
	USK_JSON_REAL,
	USK_JSON_STRING,
	USK_JSON_ARRAY,
	USK_JSON_OBJECT,
};

/**
 * Parse the first JSON value in a buffer; what follows it is left alone.
 *
 * @param buf      the text (need not end with a NUL)
 * @param len      bytes in @p buf
 * @param consumed where the bytes the value took are stored, or NULL
 * @param val      where the value is stored on success; free it with
 *                 usk_json_val_free()
 * @param err      where a message (with line and column) goes on failure,
 *                 or NULL
 * @param errlen   size of @p err
 * @return 0; -EAGAIN when the text ends before the value does (read
 *         more); -EINVAL when the text is not JSON; -ENOMEM.
 *
 * An integer outside int64 becomes a real, and a real past a double's
 * range becomes 1e308, so that a field too large for its type is refused
 * by the decoder, by name, not by the parser.
 */
int usk_json_parse(const char *buf, size_t len, size_t *consumed, struct usk_json_val **val,
		   char *err, size_t errlen);

/**
 * Parse a whole file as one JSON value (numbers too large for jansson
 * become reals, as in usk_json_parse()).
 *
 * @return 0; -errno when the file cannot be read; -EINVAL when it is not
 *         JSON (@p err names the line and column).
 */
int usk_json_parse_file(const char *path, struct usk_json_val **val, char *err, size_t errlen);

/** Free a value from usk_json_parse() or usk_json_parse_file(); NULL is ignored. */
void usk_json_val_free(struct usk_json_val *val);

/** @return the kind of @p val; NULL (a missing member) counts as null. */
enum usk_json_type usk_json_val_type(const struct usk_json_val *val);

/** @return the member @p key of object @p val, or NULL (also when @p val is no object). */
const struct usk_json_val *usk_json_object_get(const struct usk_json_val *val, const char *key);

/** @return the elements of array @p val (0 when it is no array). */
size_t usk_json_array_size(const struct usk_json_val *val);

/** @return element @p index of array @p val, or NULL. */
const struct usk_json_val *usk_json_array_get(const struct usk_json_val *val, size_t index);

/** @return the text of string @p val, or NULL when it is no string. */
const char *usk_json_string(const struct usk_json_val *val);

/**
 * Decodes one JSON value into the C object at @p out.
 *
 * @return 0, or -EINVAL when the value has the wrong type or range.
 */
typedef int (*usk_json_decode_fn)(const struct usk_json_val *val, void *out);

/** Into a char * (a copy the caller frees; an old value is freed first). */
int usk_json_decode_string(const struct usk_json_val *val, void *out);
/** Into a bool. */
int usk_json_decode_bool(const struct usk_json_val *val, void *out);
/** Into an int32_t. */
int usk_json_decode_int32(const struct usk_json_val *val, void *out);
/** Into a uint32_t. */
int usk_json_decode_uint32(const struct usk_json_val *val, void *out);
/** Into a uint64_t (at most INT64_MAX, jansson's limit). */
int usk_json_decode_uint64(const struct usk_json_val *val, void *out);

/** How one member of an object is decoded. */
struct usk_json_object_decoder {
	const char *name;	   /**< the member's name */
	size_t offset;		   /**< where it goes in the output structure */
	usk_json_decode_fn decode; /**< how */
	bool optional;		   /**< whether it may be missing */
};

/**
 * Decode an object member by member. Unknown members, missing required
 * ones and values of the wrong type are errors named in @p err, e.g.
 * "field 'level': expected a string".
 *
 * @param val      the object; NULL counts as an empty object
 * @param decoders one per member
 * @param count    entries of @p decoders
 * @param out      the structure the offsets refer to
 * @param err      the message on failure, or NULL
 * @param errlen   size of @p err
 * @return 0, or -EINVAL. Members decoded before the error keep their
 *         values (free the strings).
 */
int usk_json_decode_object(const struct usk_json_val *val,
			   const struct usk_json_object_decoder *decoders, size_t count, void *out,
			   char *err, size_t errlen);

/**
 * A member that another implementation's clients send (SPDK's, mostly)
 * and that has no use here: accepted with one value, refused with others.
 */
struct usk_json_compat_member {
	/** the member's name */
	const char *name;
	/**
	 * the one value accepted, as JSON text ("false", "0", "\"all\""), or
	 * NULL when any value is; null is always accepted ("not given")
	 */
	const char *value;
	/** why it has no use here, for the refusal and the log */
	const char *why;
};

/**
 * usk_json_decode_object() that also accepts the members of @p compat,
 * each only with its value.
 *
 * @param val      the object; NULL counts as an empty object
 * @param decoders one per member that is used
 * @param count    entries of @p decoders
 * @param compat   the members accepted and not used (may be NULL)
 * @param ncompat  entries of @p compat
 * @param out      the structure the offsets refer to
 * @param err      the message on failure, or NULL; a compat member with
 *                 another value reads "field 'md_size': only 0 is
 *                 accepted (WHY)"
 * @param errlen   size of @p err
 * @return 0, -EINVAL or -ENOMEM, as usk_json_decode_object().
 */
int usk_json_decode_object_compat(const struct usk_json_val *val,
				  const struct usk_json_object_decoder *decoders, size_t count,
				  const struct usk_json_compat_member *compat, size_t ncompat,
				  void *out, char *err, size_t errlen);

/** @return a new, empty write context, or NULL when memory is short. */
struct usk_json_write_ctx *usk_json_write_begin(void);

/**
 * Finish a document and free the context.
 *
 * @param w      the context
 * @param pretty indent (two spaces) instead of one compact line
 * @param text   where the text is stored (free() it); NULL to discard
 * @return 0; -EINVAL when the document is incomplete or was misbuilt (a
 *         named value in an array, an end without a begin...); -EILSEQ
 *         when a string written is not UTF-8; -ENOMEM.
 */
int usk_json_write_end(struct usk_json_write_ctx *w, bool pretty, char **text);

/*
 * Values go into the innermost open array (or make the document when none
 * is open); named values go into the innermost open object. A misuse or a
 * memory shortage is remembered and reported by usk_json_write_end(); each
 * call also returns 0 or that negative errno.
 */

/** Open an object. */
int usk_json_write_object_begin(struct usk_json_write_ctx *w);
/** Open an object as member @p name. */
int usk_json_write_named_object_begin(struct usk_json_write_ctx *w, const char *name);
/** Close the innermost object. */
int usk_json_write_object_end(struct usk_json_write_ctx *w);
/** Open an array. */
int usk_json_write_array_begin(struct usk_json_write_ctx *w);
/** Open an array as member @p name. */
int usk_json_write_named_array_begin(struct usk_json_write_ctx *w, const char *name);
/** Close the innermost array. */
int usk_json_write_array_end(struct usk_json_write_ctx *w);
/** A string (NULL writes null). */
int usk_json_write_string(struct usk_json_write_ctx *w, const char *s);
/** A member string (NULL writes null). */
int usk_json_write_named_string(struct usk_json_write_ctx *w, const char *name, const char *s);
/** A member unsigned integer; above INT64_MAX is -ERANGE. */
int usk_json_write_named_uint64(struct usk_json_write_ctx *w, const char *name, uint64_t v);
/** An unsigned integer; above INT64_MAX is -ERANGE. */
int usk_json_write_uint64(struct usk_json_write_ctx *w, uint64_t v);
/** A member signed integer. */
int usk_json_write_named_int64(struct usk_json_write_ctx *w, const char *name, int64_t v);
/** A member boolean. */
int usk_json_write_named_bool(struct usk_json_write_ctx *w, const char *name, bool v);
/** A boolean. */
int usk_json_write_bool(struct usk_json_write_ctx *w, bool v);
/** A copy of a parsed value as member @p name. */
int usk_json_write_named_val(struct usk_json_write_ctx *w, const char *name,
			     const struct usk_json_val *val);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_JSON_H */
