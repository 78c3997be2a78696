/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * UUIDs (RFC 4122): the identity a bdev keeps across restarts and
 * save_config, as SPDK's bdevs have.
 *
 * Thread rules: every function may be called from any thread.
 */
#ifndef USK_UUID_H
#define USK_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** A UUID: its 16 bytes in the order its text form shows them. */
struct usk_uuid {
	uint8_t u[16];
};

/** Bytes the text form takes, with its NUL ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"). */
#define USK_UUID_STRING_LEN 37

/**
 * Make a random (version 4) UUID.
 *
 * @param uuid where it is stored
 * @return 0, or a negative errno when the system has no randomness to give.
 */
int usk_uuid_generate(struct usk_uuid *uuid);

/**
 * Read a UUID's text form: 36 characters, hex digits in either case and
 * hyphens at positions 8, 13, 18 and 23.
 *
 * @param uuid where it is stored
 * @param text the text
 * @return 0, or -EINVAL when @p text is not a UUID.
 */
int usk_uuid_parse(struct usk_uuid *uuid, const char *text);

/**
 * Write a UUID's text form, in lowercase.
 *
 * @param buf where it goes: at least USK_UUID_STRING_LEN bytes
 * @param len bytes in @p buf
 * @param uuid the UUID
 * @return 0, or -EINVAL when @p buf is too small.
 */
int usk_uuid_fmt(char *buf, size_t len, const struct usk_uuid *uuid);

/** @return whether @p uuid is all zeroes (the nil UUID: "none set"). */
bool usk_uuid_is_nil(const struct usk_uuid *uuid);

/** @return whether @p a and @p b are the same UUID. */
bool usk_uuid_equal(const struct usk_uuid *a, const struct usk_uuid *b);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_UUID_H */
