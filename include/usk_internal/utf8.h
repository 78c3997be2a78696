/* SPDX-License-Identifier: BSD-3-Clause */
/* UTF-8 text cut to a buffer's size. */
#ifndef USK_INTERNAL_UTF8_H
#define USK_INTERNAL_UTF8_H

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

#endif
