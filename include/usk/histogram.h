/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A log-linear histogram of 64-bit values (typically latencies in TSC
 * ticks), with percentiles.
 *
 * Values below 2^USK_HISTOGRAM_SUB_BITS are counted exactly. Above that,
 * every power-of-two range is cut into 2^USK_HISTOGRAM_SUB_BITS equal
 * buckets, so a bucket's width is under 1/128 of its values: a percentile
 * read from the histogram is within 0.8% of the true value.
 *
 * Recording is a few shifts and an increment: no division, no allocation,
 * no lock, so it belongs on the data path. A histogram is not thread-safe:
 * keep one per thread and merge them (usk_histogram_merge()) when reading.
 */
#ifndef USK_HISTOGRAM_H
#define USK_HISTOGRAM_H

#include <stdint.h>

#include "usk/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** log2 of the number of buckets in each power-of-two range. */
#define USK_HISTOGRAM_SUB_BITS	7
#define USK_HISTOGRAM_SUB_COUNT (1u << USK_HISTOGRAM_SUB_BITS)
/** Range 0 holds [0, 2^SUB_BITS); range r >= 1 holds [2^(SUB_BITS+r-1), 2^(SUB_BITS+r)). */
#define USK_HISTOGRAM_RANGES (64 - USK_HISTOGRAM_SUB_BITS + 1)

/**
 * The histogram. Its fields are public so that recording can be inline;
 * read them through the functions below.
 */
struct usk_histogram {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t bucket[USK_HISTOGRAM_RANGES][USK_HISTOGRAM_SUB_COUNT];
};

/**
 * Called by usk_histogram_iterate() for each non-empty bucket, in
 * increasing order of values.
 *
 * @param ctx        the pointer given to usk_histogram_iterate()
 * @param start      the smallest value the bucket holds
 * @param end        the largest value the bucket holds
 * @param count      values recorded in this bucket
 * @param cumulative values recorded in this bucket and all below it
 * @param total      values recorded in the whole histogram
 */
typedef void (*usk_histogram_bucket_fn)(void *ctx, uint64_t start, uint64_t end, uint64_t count,
					uint64_t cumulative, uint64_t total);

/** Empty @p h. */
void usk_histogram_init(struct usk_histogram *h);

/** The range that holds @p value; internal to usk_histogram_record(). */
static inline uint32_t usk_histogram_range(uint64_t value)
{
	if (value < USK_HISTOGRAM_SUB_COUNT) {
		return 0;
	}
	return usk_u64_log2(value) - USK_HISTOGRAM_SUB_BITS + 1;
}

/** The bucket within @p range that holds @p value; internal. */
static inline uint32_t usk_histogram_index(uint64_t value, uint32_t range)
{
	if (range == 0) {
		return (uint32_t)value;
	}
	return (uint32_t)(value >> (range - 1)) - USK_HISTOGRAM_SUB_COUNT;
}

/** Record one @p value in @p h. */
static inline void usk_histogram_record(struct usk_histogram *h, uint64_t value)
{
	uint32_t range = usk_histogram_range(value);

	h->bucket[range][usk_histogram_index(value, range)]++;
	h->count++;
	h->sum += value;
	h->min = value < h->min ? value : h->min;
	h->max = value > h->max ? value : h->max;
}

/** Add every value recorded in @p src to @p dst; @p src is unchanged. */
void usk_histogram_merge(struct usk_histogram *dst, const struct usk_histogram *src);

/**
 * @return the value below or at which @p percent percent of the recorded
 * values lie: the upper end of the bucket where that fraction is reached
 * (exact below 2^USK_HISTOGRAM_SUB_BITS). 0 for an empty histogram.
 * @p percent is clamped to [0, 100]; 0 gives the smallest bucket's end.
 */
uint64_t usk_histogram_percentile(const struct usk_histogram *h, double percent);

/** @return the number of recorded values. */
uint64_t usk_histogram_count(const struct usk_histogram *h);

/** @return the mean of the recorded values, 0 when there are none. */
double usk_histogram_mean(const struct usk_histogram *h);

/** @return the smallest recorded value, 0 when there are none. */
uint64_t usk_histogram_min(const struct usk_histogram *h);

/** @return the largest recorded value, 0 when there are none. */
uint64_t usk_histogram_max(const struct usk_histogram *h);

/** Call @p fn for every non-empty bucket of @p h, from the lowest values up. */
void usk_histogram_iterate(const struct usk_histogram *h, usk_histogram_bucket_fn fn, void *ctx);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_HISTOGRAM_H */
