/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data pattern of usk_nvme_perf -V: every 8-byte word of a block
 * depends on the block's LBA, the word's place and a write generation,
 * so a read that returns another block's data, stale data or a torn
 * write is caught, and named by LBA and byte offset.
 */
#ifndef USK_PERF_VERIFY_H
#define USK_PERF_VERIFY_H

#include <stdint.h>

/* Where a check found the first wrong byte. */
struct perf_verify_mismatch {
	uint64_t lba;
	uint32_t offset;   /* byte offset within that block */
	uint64_t expected; /* the 8-byte word at that offset */
	uint64_t found;
};

/*
 * Fills @buf (@blocks blocks of @block_size bytes, a multiple of 8) with
 * the pattern for LBAs starting at @lba, write generation @generation.
 */
void perf_verify_fill(void *buf, uint64_t lba, uint32_t blocks, uint32_t block_size,
		      uint64_t generation);

/*
 * Checks that @buf holds the pattern perf_verify_fill() wrote. Returns 0,
 * or -EILSEQ with the first difference in @mismatch.
 */
int perf_verify_check(const void *buf, uint64_t lba, uint32_t blocks, uint32_t block_size,
		      uint64_t generation, struct perf_verify_mismatch *mismatch);

#endif /* USK_PERF_VERIFY_H */
