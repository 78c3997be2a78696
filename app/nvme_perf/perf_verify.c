/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "perf_verify.h"

/* Odd constants from splitmix64: words of nearby blocks share no bits. */
static uint64_t pattern_word(uint64_t lba, uint32_t word, uint64_t generation)
{
	uint64_t x = lba * UINT64_C(0x9E3779B97F4A7C15) ^
		     (uint64_t)word * UINT64_C(0xBF58476D1CE4E5B9) ^
		     generation * UINT64_C(0x94D049BB133111EB);

	return x ^ (x >> 31);
}

void perf_verify_fill(void *buf, uint64_t lba, uint32_t blocks, uint32_t block_size,
		      uint64_t generation)
{
	uint64_t *words = buf;
	uint32_t per_block = block_size / 8;

	for (uint32_t b = 0; b < blocks; b++) {
		for (uint32_t w = 0; w < per_block; w++) {
			*words++ = pattern_word(lba + b, w, generation);
		}
	}
}

int perf_verify_check(const void *buf, uint64_t lba, uint32_t blocks, uint32_t block_size,
		      uint64_t generation, struct perf_verify_mismatch *mismatch)
{
	const uint64_t *words = buf;
	uint32_t per_block = block_size / 8;

	for (uint32_t b = 0; b < blocks; b++) {
		for (uint32_t w = 0; w < per_block; w++) {
			uint64_t expected = pattern_word(lba + b, w, generation);
			uint64_t found = *words++;

			if (found != expected) {
				mismatch->lba = lba + b;
				mismatch->offset = w * 8;
				mismatch->expected = expected;
				mismatch->found = found;
				return -EILSEQ;
			}
		}
	}
	return 0;
}
