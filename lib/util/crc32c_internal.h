/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two ways lib/util computes CRC32C, reachable one by one so tests can
 * hold them against each other and bench/crc32c can time both. All work
 * on the raw register: no initial or final XOR (usk_crc32c_update() adds
 * those).
 */
#ifndef USK_CRC32C_INTERNAL_H
#define USK_CRC32C_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Builds the tables both paths use; safe to call from any thread, any number of times. */
void crc32c_init(void);

/* Slicing by 8 over eight 256-entry tables; any CPU. crc32c_init() first. */
uint32_t crc32c_table_update(uint32_t reg, const uint8_t *p, size_t len);

/* Builds the tables of crc32c_hw_update(); crc32c_init() calls it, after the table path's. */
void crc32c_hw_build_tables(void);

/* Whether this CPU has the CRC32C instructions crc32c_hw_update() uses. */
bool crc32c_hw_supported(void);

/* The CPU's CRC32C instructions; only when crc32c_hw_supported(). crc32c_init() first. */
uint32_t crc32c_hw_update(uint32_t reg, const uint8_t *p, size_t len);

#endif /* USK_CRC32C_INTERNAL_H */
