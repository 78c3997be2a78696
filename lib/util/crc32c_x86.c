/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C with the SSE4.2 crc32 instruction. Compiled with a target
 * attribute, so the build needs no -msse4.2 and the library still loads
 * and runs (on the table) on a CPU without it.
 */
#include "config.h"

#include <string.h>

#include "crc32c_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>

/*
 * The SSE4.2 path runs three independent streams of this many bytes each
 * (the crc32 instruction's latency is three times its issue rate), then
 * folds them together with a shift table: long lanes while the input lasts, then
 * one round of short ones so a 512-byte buffer gets three streams too.
 */
#define CRC32C_LANE_LONG  256u
#define CRC32C_LANE_SHORT 128u

/*
 * The register b << 8k after a lane of zero bytes (linear, so byte-wise):
 * g_shift_long[k][b] for CRC32C_LANE_LONG, g_shift_short for CRC32C_LANE_SHORT.
 */
static uint32_t g_shift_long[4][256];
static uint32_t g_shift_short[4][256];

/* The register @reg after a lane of zero bytes, by that lane's table @shift. */
static uint32_t crc32c_shift_lane(uint32_t (*shift)[256], uint32_t reg)
{
	return shift[0][reg & 0xff] ^ shift[1][(reg >> 8) & 0xff] ^ shift[2][(reg >> 16) & 0xff] ^
	       shift[3][reg >> 24];
}

/* Running zeros through the register is linear in it: one column per bit. */
static void crc32c_build_shift(uint32_t (*shift)[256], size_t lane)
{
	static const uint8_t zeros[CRC32C_LANE_LONG];
	uint32_t column[32];

	for (int bit = 0; bit < 32; bit++) {
		column[bit] = crc32c_table_update(UINT32_C(1) << bit, zeros, lane);
	}
	for (int k = 0; k < 4; k++) {
		for (uint32_t b = 0; b < 256; b++) {
			uint32_t v = 0;

			for (int bit = 0; bit < 8; bit++) {
				if (b & (1u << bit)) {
					v ^= column[8 * k + bit];
				}
			}
			shift[k][b] = v;
		}
	}
}

void crc32c_hw_build_tables(void)
{
	crc32c_build_shift(g_shift_long, CRC32C_LANE_LONG);
	crc32c_build_shift(g_shift_short, CRC32C_LANE_SHORT);
}

bool crc32c_hw_supported(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42_run(uint32_t reg, const uint8_t *p,
								   size_t len)
{
	uint64_t r = reg;
	uint64_t q;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&q, p, sizeof(q));
		r = _mm_crc32_u64(r, q);
	}
	while (len-- > 0) {
		r = _mm_crc32_u8((uint32_t)r, *p++);
	}
	return (uint32_t)r;
}

/*
 * Three lanes of @lane bytes in flight at once (3 * @lane from @p); always
 * inlined, so each call site's constant @lane unrolls its loop.
 */
__attribute__((target("sse4.2"), always_inline)) static inline uint32_t
crc32c_sse42_block(uint32_t reg, const uint8_t *p, size_t lane, uint32_t (*shift)[256])
{
	uint64_t a = reg, b = 0, c = 0;
	uint64_t qa, qb, qc;

	for (size_t off = 0; off < lane; off += 8) {
		memcpy(&qa, p + off, 8);
		memcpy(&qb, p + lane + off, 8);
		memcpy(&qc, p + 2 * lane + off, 8);
		a = _mm_crc32_u64(a, qa);
		b = _mm_crc32_u64(b, qb);
		c = _mm_crc32_u64(c, qc);
	}
	/* A lane started from 0 adds to the register shifted past it (CRC is linear). */
	return crc32c_shift_lane(shift, crc32c_shift_lane(shift, (uint32_t)a) ^ (uint32_t)b) ^
	       (uint32_t)c;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_hw_update(uint32_t reg, const uint8_t *p,
							    size_t len)
{
	for (; len >= 3 * CRC32C_LANE_LONG;
	     p += 3 * CRC32C_LANE_LONG, len -= 3 * CRC32C_LANE_LONG) {
		reg = crc32c_sse42_block(reg, p, CRC32C_LANE_LONG, g_shift_long);
	}
	if (len >= 3 * CRC32C_LANE_SHORT) {
		reg = crc32c_sse42_block(reg, p, CRC32C_LANE_SHORT, g_shift_short);
		p += 3 * CRC32C_LANE_SHORT;
		len -= 3 * CRC32C_LANE_SHORT;
	}
	return crc32c_sse42_run(reg, p, len);
}
#else
/* No CRC32C instructions used on this CPU yet (arm64 has some): the table does the work. */
void crc32c_hw_build_tables(void)
{
}

bool crc32c_hw_supported(void)
{
	return false;
}

uint32_t crc32c_hw_update(uint32_t reg, const uint8_t *p, size_t len)
{
	return crc32c_table_update(reg, p, len);
}
#endif
