/* SPDX-License-Identifier: BSD-3-Clause */
/* UUIDs: random ones, and their text form. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "usk/uuid.h"

/* Where the text form puts a hyphen instead of a hex digit. */
static bool uuid_hyphen_at(size_t pos)
{
	return pos == 8 || pos == 13 || pos == 18 || pos == 23;
}

static int uuid_hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int usk_uuid_generate(struct usk_uuid *uuid)
{
	size_t got = 0;

	while (got < sizeof(uuid->u)) {
		ssize_t n = getrandom(uuid->u + got, sizeof(uuid->u) - got, 0);

		if (n < 0 && errno != EINTR) {
			return -errno;
		}
		got += n > 0 ? (size_t)n : 0;
	}
	/* RFC 4122 4.4: version 4 in the high nibble of byte 6, variant 10 in byte 8. */
	uuid->u[6] = (uint8_t)((uuid->u[6] & 0x0f) | 0x40);
	uuid->u[8] = (uint8_t)((uuid->u[8] & 0x3f) | 0x80);
	return 0;
}

int usk_uuid_parse(struct usk_uuid *uuid, const char *text)
{
	struct usk_uuid parsed;
	size_t byte = 0;

	if (text == NULL || strlen(text) != USK_UUID_STRING_LEN - 1) {
		return -EINVAL;
	}
	for (size_t pos = 0; pos < USK_UUID_STRING_LEN - 1;) {
		int hi, lo;

		if (uuid_hyphen_at(pos)) {
			if (text[pos++] != '-') {
				return -EINVAL;
			}
			continue;
		}
		hi = uuid_hex_digit(text[pos]);
		lo = uuid_hex_digit(text[pos + 1]);
		if (hi < 0 || lo < 0) {
			return -EINVAL;
		}
		parsed.u[byte++] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	*uuid = parsed;
	return 0;
}

int usk_uuid_fmt(char *buf, size_t len, const struct usk_uuid *uuid)
{
	const uint8_t *u = uuid->u;

	if (buf == NULL || len < USK_UUID_STRING_LEN) {
		return -EINVAL;
	}
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	return 0;
}

bool usk_uuid_is_nil(const struct usk_uuid *uuid)
{
	static const struct usk_uuid nil;

	return usk_uuid_equal(uuid, &nil);
}

bool usk_uuid_equal(const struct usk_uuid *a, const struct usk_uuid *b)
{
	return memcmp(a->u, b->u, sizeof(a->u)) == 0;
}
