/* SPDX-License-Identifier: BSD-3-Clause */
/* UTF-8: text cut to a buffer's size, well-formed characters. */
#ifndef USK_INTERNAL_UTF8_H
#define USK_INTERNAL_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Shortens @s, text that was UTF-8 before a buffer's size cut it, to its
 * last whole character: JSON (jansson) refuses a string that ends inside
 * one, so a message or a name cut there could not be sent at all.
 */
static inline void utf8_trim(char *s)
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
 * The length of the well-formed UTF-8 character of more than one byte at @s
 * (@left bytes there), or 0: RFC 3629 leaves out overlong forms, UTF-16
 * surrogates and code points past U+10FFFF.
 */
static inline size_t utf8_char_len(const unsigned char *s, size_t left)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp = s[0] & (0x7fu >> len);

	if (s[0] < 0xc2 || s[0] > 0xf4 || len > left) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

#endif
