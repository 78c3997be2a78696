/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing JSON and reading parsed values, over jansson. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk_internal/json.h"

static void json_error_format(const json_error_t *e, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0) {
		snprintf(err, errlen, "line %d, column %d: %s", e->line, e->column, e->text);
	}
}

/* Every failure leaves a message: callers print it, or send it, as it is. */
static int json_errno_format(int rc, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0) {
		snprintf(err, errlen, "%s", strerror(-rc));
	}
	return rc;
}

/*
 * Whether the @n digits at @d, negative if @neg, lie outside int64. A
 * leading zero is no JSON: jansson's own error is left to say so.
 */
static bool json_digits_overflow(const char *d, size_t n, bool neg)
{
	if (n == 0 || d[0] == '0') {
		return false;
	}
	if (n != 19) {
		return n > 19;
	}
	return memcmp(d, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

static size_t json_decimal_width(size_t v)
{
	size_t w = 1;

	for (; v >= 10; v /= 10) {
		w++;
	}
	return w;
}

/* Digits from which an integer may pass a double's largest, about 1.8e308. */
#define JSON_DOUBLE_MAX_DIGITS 309

/*
 * Writes the largest power of ten a double holds over the @n bytes at @d,
 * blanks after it keeping the length: jansson refuses a real past a double.
 * Every such literal is at least as long ("2e308" is the shortest).
 */
static void json_write_largest(char *d, size_t n)
{
	memcpy(d, "1e308", 5);
	memset(d + 5, ' ', n - 5);
}

/*
 * Writes the @n digits at @d over themselves as a real of the same length,
 * "d.ddd...eX", so that every offset in the text (and jansson's position
 * and error columns) stays as it was. Only n >= 19 overflows int64, which
 * leaves the real 15 or more significant digits, about what a double holds.
 */
static void json_digits_to_real(char *d, size_t n)
{
	size_t exp_width = json_decimal_width(n - 1);
	size_t mantissa = n - 3 - exp_width; /* digits after the point: n less "d", ".", "e" */
	char exponent[24];

	if (n >= JSON_DOUBLE_MAX_DIGITS) {
		json_write_largest(d, n);
		return;
	}
	memmove(d + 2, d + 1, mantissa);
	d[1] = '.';
	/* Through a buffer: snprintf's terminating NUL would land on the next character. */
	snprintf(exponent, sizeof(exponent), "e%zu", n - 1);
	memcpy(d + 2 + mantissa, exponent, exp_width + 1);
}

/* Where the number at @i ends; *@int_digits gets its digit count if it is an integer, else 0. */
static size_t json_number_end(const char *buf, size_t len, size_t i, size_t *int_digits)
{
	size_t start = i + (buf[i] == '-');

	for (i = start; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
	}
	*int_digits = i - start;
	if (i < len && (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E')) {
		*int_digits = 0;
		while (i < len && strchr("0123456789.eE+-", buf[i]) != NULL) {
			i++;
		}
	}
	return i;
}

static bool json_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Skips the digits at @i of the @n bytes at @t; returns where they end. */
static size_t json_skip_digits(const char *t, size_t n, size_t i)
{
	while (i < n && json_is_digit(t[i])) {
		i++;
	}
	return i;
}

/*
 * Whether the @n bytes at @t are a JSON number with a fraction or an
 * exponent. json_number_end() takes any run of their characters: a real
 * jansson would refuse as no number must not be made one.
 */
static bool json_real_valid(const char *t, size_t n)
{
	size_t i = t[0] == '-', end;

	end = json_skip_digits(t, n, i);
	/* An integer part: 0 alone, or digits not led by 0. */
	if (end == i || (t[i] == '0' && end > i + 1)) {
		return false;
	}
	i = end;
	if (i < n && t[i] == '.') {
		end = json_skip_digits(t, n, i + 1);
		if (end == i + 1) {
			return false;
		}
		i = end;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		i += i < n && (t[i] == '+' || t[i] == '-');
		end = json_skip_digits(t, n, i);
		if (end == i) {
			return false;
		}
		i = end;
	}
	return i == n;
}

/* Sets *@over to whether the real of @n bytes at @t lies past a double; 0 or -ENOMEM. */
static int json_real_overflows(const char *t, size_t n, bool *over)
{
	char small[64];
	char *z = n < sizeof(small) ? small : malloc(n + 1);
	double v;

	if (z == NULL) {
		return -ENOMEM;
	}
	/* strtod wants a string, and the text has none of its own at the number's end. */
	memcpy(z, t, n);
	z[n] = '\0';
	errno = 0;
	v = strtod(z, NULL);
	*over = errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL);
	if (z != small) {
		free(z);
	}
	return 0;
}

/*
 * Sets *@big to whether jansson would refuse the number of @n bytes at @t
 * (@int_digits: as json_number_end() counts them) for its size.
 */
static int json_number_too_big(const char *t, size_t n, size_t int_digits, bool *big)
{
	*big = false;
	if (int_digits > 0) {
		*big = json_digits_overflow(t + n - int_digits, int_digits, t[0] == '-');
		return 0;
	}
	return json_real_valid(t, n) ? json_real_overflows(t, n, big) : 0;
}

static char *json_text_dup(const char *buf, size_t len)
{
	char *copy = malloc(len);

	if (copy != NULL) {
		memcpy(copy, buf, len);
	}
	return copy;
}

/*
 * jansson refuses an integer outside json_int_t (int64), and a real past a
 * double, as a parse error, which would close an RPC connection over one
 * bad field. Such a literal is rewritten, in a copy, into a real of the
 * same length that jansson takes: the decoders then refuse it naming the
 * field (a request's id is echoed from the text as it came). Strings are
 * skipped. Sets *@copy to the rewritten text, or NULL when nothing needed it.
 */
static int json_big_numbers_to_reals(const char *buf, size_t len, char **copy)
{
	bool in_string = false, big;
	size_t i = 0, end, n;
	int rc;

	*copy = NULL;
	while (i < len) {
		char ch = buf[i];

		if (in_string) {
			in_string = ch != '"';
			i += ch == '\\' ? 2 : 1;
		} else if (ch == '"') {
			in_string = true;
			i++;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			end = json_number_end(buf, len, i, &n);
			rc = json_number_too_big(buf + i, end - i, n, &big);
			if (rc != 0) {
				free(*copy);
				*copy = NULL;
				return rc;
			}
			if (big) {
				if (*copy == NULL &&
				    (buf = *copy = json_text_dup(buf, len)) == NULL) {
					return -ENOMEM;
				}
				if (n > 0) {
					json_digits_to_real(*copy + end - n, n);
				} else {
					json_write_largest(*copy + i + (ch == '-'),
							   end - i - (ch == '-'));
				}
			}
			i = end;
		} else {
			i++;
		}
	}
	return 0;
}

/* Bytes of a word or a number, which jansson reads as one token. */
static bool json_token_byte(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || json_is_digit(ch) ||
	       ch == '-' || ch == '+' || ch == '.';
}

/* The bytes of the escape or the UTF-8 character at @s, in a string (@left bytes there). */
static size_t json_string_unit(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];

	if (c == '\\') {
		return left > 1 && s[1] == 'u' ? 6 : 2;
	}
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* Whether the @n bytes at @t begin a number, and need more to be one ("-", "1.", "2e+"). */
static bool json_number_unfinished(const char *t, size_t n)
{
	size_t i = t[0] == '-', digits = 0;

	/* Each part that begins (integer, fraction) needs a digit; an integer led by 0 has one. */
	for (; i < n && json_is_digit(t[i]); i++) {
		digits++;
	}
	if (i == n) {
		return digits == 0;
	}
	if (digits == 0 || (digits > 1 && t[i - digits] == '0')) {
		return false;
	}
	if (t[i] == '.') {
		for (i++, digits = 0; i < n && json_is_digit(t[i]); i++) {
			digits++;
		}
		if (i == n) {
			return digits == 0;
		}
		if (digits == 0) {
			return false;
		}
	}
	if (t[i] != 'e' && t[i] != 'E') {
		return false;
	}
	i++;
	i += i < n && (t[i] == '+' || t[i] == '-');
	return i == n;
}

/* Whether the @n bytes at @t begin true, false or null and need more. */
static bool json_word_unfinished(const char *t, size_t n)
{
	static const char *const words[] = {"true", "false", "null"};

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		if (n < strlen(words[w]) && strncmp(t, words[w], n) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * Where the token the @len bytes at @text end in begins, when more text
 * could still make it good: a word or a number begun, or an escape or a
 * UTF-8 character cut in a string. @len when the text ends between tokens.
 */
static size_t json_open_token(const char *text, size_t len)
{
	bool in_string = false, open;
	size_t i = 0, n;

	while (i < len) {
		if (in_string) {
			n = json_string_unit(text + i, len - i);
			in_string = text[i] != '"';
		} else if (json_token_byte(text[i])) {
			for (n = 1; i + n < len && json_token_byte(text[i + n]); n++) {
			}
			if (i + n == len) {
				open = json_word_unfinished(text + i, n) ||
				       json_number_unfinished(text + i, n);
				return open ? i : len;
			}
		} else {
			n = 1;
			in_string = text[i] == '"';
		}
		if (i + n > len) {
			return i;
		}
		i += n;
	}
	return len;
}

/*
 * Whether jansson's failure on @text is only the token it ends in being
 * cut ("tru", "1e", "\u12", half a character), which it takes for a bad
 * one: without that token the text is merely unfinished.
 */
static bool json_only_cut(const char *text, size_t len)
{
	size_t open = json_open_token(text, len);
	json_error_t e;
	json_t *j;

	if (open == len) {
		return false;
	}
	j = json_loadb(text, open, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
	json_decref(j);
	return j == NULL && json_error_code(&e) == json_error_premature_end_of_input;
}

static size_t json_skip_space(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) {
		i++;
	}
	return i;
}

/* Where the value at @i of the @len bytes at @t ends (@len when it does not). */
static size_t json_value_end(const char *t, size_t len, size_t i)
{
	bool in_string = false;
	size_t depth = 0;

	if (i < len && t[i] != '"' && t[i] != '{' && t[i] != '[') {
		while (i < len && json_token_byte(t[i])) {
			i++;
		}
		return i;
	}
	for (; i < len; i++) {
		if (in_string && t[i] == '\\') {
			/* The escaped character is skipped: \" ends no string. */
			i++;
			continue;
		}
		if (in_string) {
			in_string = t[i] != '"';
		} else if (t[i] == '"') {
			in_string = true;
			continue;
		} else if (t[i] == '{' || t[i] == '[') {
			depth++;
		} else if (t[i] == '}' || t[i] == ']') {
			depth -= depth > 0;
		}
		if (!in_string && depth == 0) {
			return i + 1;
		}
	}
	return len;
}

/* Whether the object key at @t (@n bytes, its quotes included) reads @key, escapes decoded. */
static bool json_key_is(const char *t, size_t n, const char *key)
{
	bool same;
	json_t *s;

	if (memchr(t, '\\', n) == NULL) {
		return n == strlen(key) + 2 && memcmp(t + 1, key, n - 2) == 0;
	}
	s = json_loadb(t, n, JSON_DECODE_ANY, NULL);
	same = json_is_string(s) && strcmp(json_string_value(s), key) == 0;
	json_decref(s);
	return same;
}

bool json_member_text(const char *text, size_t len, const char *key, size_t *off, size_t *n)
{
	size_t i = json_skip_space(text, len, 0), k, key_end, v;
	bool found = false;

	if (i >= len || text[i] != '{') {
		return false;
	}
	for (i++;; i++) {
		k = json_skip_space(text, len, i);
		if (k >= len || text[k] != '"') {
			return found;
		}
		key_end = json_value_end(text, len, k);
		i = json_skip_space(text, len, key_end);
		if (i >= len || text[i] != ':') {
			return found;
		}
		v = json_skip_space(text, len, i + 1);
		i = json_value_end(text, len, v);
		/* The last one counts: jansson keeps the last of a repeated key. */
		if (json_key_is(text + k, key_end - k, key)) {
			*off = v;
			*n = i - v;
			found = true;
		}
		i = json_skip_space(text, len, i);
		if (i >= len || text[i] != ',') {
			return found;
		}
	}
}

int usk_json_parse(const char *buf, size_t len, size_t *consumed, struct usk_json_val **val,
		   char *err, size_t errlen)
{
	const char *text;
	json_error_t e;
	bool cut;
	json_t *j;
	char *copy;

	if (json_big_numbers_to_reals(buf, len, &copy) != 0) {
		return json_errno_format(-ENOMEM, err, errlen);
	}
	text = copy ? copy : buf;
	j = json_loadb(text, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
	/* Empty or white space only is a premature end too: the value is still to come. */
	cut = j == NULL && (json_error_code(&e) == json_error_premature_end_of_input ||
			    json_only_cut(text, len));
	free(copy);
	if (j == NULL) {
		if (cut) {
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

/* Reads the whole file @path into a new buffer; returns 0 or a negative errno. */
static int json_read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, n;
	char *text = NULL;

	*len = 0;
	if (f == NULL) {
		return -errno;
	}
	errno = 0;
	do {
		if (cap - *len < 4096) {
			char *grown = realloc(text, cap ? cap * 2 : 8192);

			if (grown == NULL) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
			text = grown;
			cap = cap ? cap * 2 : 8192;
		}
		n = fread(text + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	if (ferror(f)) {
		/* fread sets errno: a directory, for one, opens and then fails with EISDIR. */
		int rc = errno ? -errno : -EIO;

		free(text);
		fclose(f);
		return rc;
	}
	fclose(f);
	*buf = text;
	return 0;
}

int usk_json_parse_file(const char *path, struct usk_json_val **val, char *err, size_t errlen)
{
	char *text = NULL, *copy = NULL;
	json_error_t e;
	size_t len;
	json_t *j;
	int rc = json_read_file(path, &text, &len);

	if (rc != 0) {
		return json_errno_format(rc, err, errlen);
	}
	/* As for requests: a number too large for its field is the decoder's to name. */
	if (json_big_numbers_to_reals(text, len, &copy) != 0) {
		free(text);
		return json_errno_format(-ENOMEM, err, errlen);
	}
	j = json_loadb(copy ? copy : text, len, JSON_DECODE_ANY, &e);
	free(copy);
	free(text);
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
