/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Small helpers every layer uses: bit maths, alignment, array sizes,
 * container_of. All are inline and safe from any thread.
 *
 * The bit helpers have no division so the data path can use them.
 */
#ifndef USK_UTIL_H
#define USK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

#ifdef __cplusplus
#define USK_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define USK_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/** Number of elements of an array (not of a pointer). */
/**
 * Bytes in a CPU cache line (x86-64, arm64): data that different cores
 * write is kept a line apart, so one core's writes do not evict the other's.
 */
#define USK_CACHE_LINE_SIZE 64

#define USK_COUNTOF(arr) (sizeof(arr) / sizeof((arr)[0]))

/** The structure of type @p type whose member @p member is at @p ptr. */
#define USK_CONTAINEROF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define USK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define USK_MAX(a, b) ((a) > (b) ? (a) : (b))

/** A 64-bit mask with bit @p n set. */
#define USK_BIT(n) (UINT64_C(1) << (n))

/** @return whether @p x is a power of two (0 is not). */
static inline bool usk_u64_is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/** @return floor(log2(@p x)); @p x must not be 0. */
static inline uint32_t usk_u64_log2(uint64_t x)
{
	return 63u - (uint32_t)__builtin_clzll(x);
}

/** @return floor(log2(@p x)); @p x must not be 0. */
static inline uint32_t usk_u32_log2(uint32_t x)
{
	return 31u - (uint32_t)__builtin_clz(x);
}

/**
 * @return the smallest power of two that is >= @p x; 1 for 0. @p x must
 * not exceed 2^63.
 */
static inline uint64_t usk_u64_roundup_pow2(uint64_t x)
{
	return x <= 1 ? 1 : UINT64_C(1) << (usk_u64_log2(x - 1) + 1);
}

/** @return the number of trailing zero bits of @p x; 64 for 0. */
static inline uint32_t usk_u64_ctz(uint64_t x)
{
	return x == 0 ? 64u : (uint32_t)__builtin_ctzll(x);
}

/** @return the number of bits set in @p x. */
static inline uint32_t usk_u64_popcount(uint64_t x)
{
	return (uint32_t)__builtin_popcountll(x);
}

/** @return @p x rounded down to a multiple of @p align, a power of two. */
static inline uint64_t usk_align_down(uint64_t x, uint64_t align)
{
	return x & ~(align - 1);
}

/** @return @p x rounded up to a multiple of @p align, a power of two. */
static inline uint64_t usk_align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/** @return whether @p x is a multiple of @p align, a power of two. */
static inline bool usk_is_aligned(uint64_t x, uint64_t align)
{
	return (x & (align - 1)) == 0;
}

/**
 * @return @p x divided by 2^@p shift, rounded up: the number of
 * 2^@p shift-sized blocks that hold @p x bytes.
 */
static inline uint64_t usk_div_round_up_pow2(uint64_t x, uint32_t shift)
{
	return (x >> shift) + ((x & ((UINT64_C(1) << shift) - 1)) != 0);
}

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_UTIL_H */
