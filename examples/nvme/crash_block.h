/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The block format of the crash test (examples/nvme/crash_writer.c writes
 * it, test/functional/crash/crash_check.c checks it through the kernel):
 * a header at the start of each block, a payload that follows from the
 * header, and a 64-bit FNV-1a checksum of the whole block taken with the
 * checksum field counted as zero.
 */
#ifndef CRASH_BLOCK_H
#define CRASH_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CRASH_BLOCK_MAGIC 0x55534b4352415348ull /* "USKCRASH" */

struct crash_block_hdr {
	uint64_t magic;
	uint64_t lba;
	uint64_t gen;
	uint64_t seq;
	uint64_t sum;
};

static inline uint64_t crash_fnv1a(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h = (h ^ p[i]) * 0x100000001b3ull;
	}
	return h;
}

/* The checksum of a block of @p bs bytes, its sum field counted as zero. */
static inline uint64_t crash_block_sum(const void *block, size_t bs)
{
	const uint8_t *p = block;
	const size_t off = offsetof(struct crash_block_hdr, sum);
	const uint8_t zero[sizeof(uint64_t)] = {0};
	uint64_t h = 0xcbf29ce484222325ull;

	h = crash_fnv1a(h, p, off);
	h = crash_fnv1a(h, zero, sizeof(zero));
	return crash_fnv1a(h, p + off + sizeof(uint64_t), bs - off - sizeof(uint64_t));
}

/* Fills a block: header, a payload drawn from (lba, seq), then the checksum. */
static inline void crash_block_fill(void *block, size_t bs, uint64_t lba, uint64_t gen,
				    uint64_t seq)
{
	struct crash_block_hdr hdr = {CRASH_BLOCK_MAGIC, lba, gen, seq, 0};
	uint64_t x = (lba * 0x9e3779b97f4a7c15ull) ^ seq ^ 1;
	uint8_t *p = block;

	for (size_t i = sizeof(hdr); i < bs; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
	memcpy(p, &hdr, sizeof(hdr));
	hdr.sum = crash_block_sum(p, bs);
	memcpy(p, &hdr, sizeof(hdr));
}

#endif /* CRASH_BLOCK_H */
