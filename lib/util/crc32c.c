/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C (Castagnoli): the table path, and the choice between it and the
 * CPU's instructions (crc32c_x86.c).
 */
#include "config.h"

#include <pthread.h>

#include "crc32c_internal.h"
#include "usk/crc32c.h"

/* The polynomial 0x1EDC6F41 bit-reversed, for the LSB-first (reflected) CRC. */
#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* g_slice[k][b]: the register after byte b followed by k zero bytes. */
static uint32_t g_slice[8][256];
static bool g_hw;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static uint32_t crc32c_byte_table_entry(uint32_t b)
{
	uint32_t reg = b;

	for (int i = 0; i < 8; i++) {
		reg = (reg >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (reg & 1u)));
	}
	return reg;
}

static uint32_t crc32c_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t crc32c_table_update(uint32_t reg, const uint8_t *p, size_t len)
{
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t lo = reg ^ crc32c_le32(p);
		uint32_t hi = crc32c_le32(p + 4);

		reg = g_slice[7][lo & 0xff] ^ g_slice[6][(lo >> 8) & 0xff] ^
		      g_slice[5][(lo >> 16) & 0xff] ^ g_slice[4][lo >> 24] ^ g_slice[3][hi & 0xff] ^
		      g_slice[2][(hi >> 8) & 0xff] ^ g_slice[1][(hi >> 16) & 0xff] ^
		      g_slice[0][hi >> 24];
	}
	while (len-- > 0) {
		reg = (reg >> 8) ^ g_slice[0][(reg ^ *p++) & 0xff];
	}
	return reg;
}

static void crc32c_build_tables(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		g_slice[0][b] = crc32c_byte_table_entry(b);
	}
	for (int k = 1; k < 8; k++) {
		for (uint32_t b = 0; b < 256; b++) {
			uint32_t prev = g_slice[k - 1][b];

			g_slice[k][b] = (prev >> 8) ^ g_slice[0][prev & 0xff];
		}
	}
}

static void crc32c_init_once(void)
{
	crc32c_build_tables();
	crc32c_hw_build_tables();
	g_hw = crc32c_hw_supported();
}

void crc32c_init(void)
{
	pthread_once(&g_once, crc32c_init_once);
}

uint32_t usk_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	uint32_t reg = ~crc;

	crc32c_init();
	reg = g_hw ? crc32c_hw_update(reg, buf, len) : crc32c_table_update(reg, buf, len);
	return ~reg;
}

uint32_t usk_crc32c_update_iov(uint32_t crc, const struct iovec *iov, int iovcnt)
{
	for (int i = 0; i < iovcnt; i++) {
		crc = usk_crc32c_update(crc, iov[i].iov_base, iov[i].iov_len);
	}
	return crc;
}

const char *usk_crc32c_impl_name(void)
{
	crc32c_init();
	return g_hw ? "sse4.2" : "table";
}
