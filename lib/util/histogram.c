/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <string.h>

#include "usk/histogram.h"

void usk_histogram_init(struct usk_histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static uint64_t histogram_bucket_start(uint32_t range, uint32_t index)
{
	if (range == 0) {
		return index;
	}
	return ((uint64_t)USK_HISTOGRAM_SUB_COUNT + index) << (range - 1);
}

static uint64_t histogram_bucket_end(uint32_t range, uint32_t index)
{
	uint64_t width = range == 0 ? 1 : UINT64_C(1) << (range - 1);

	return histogram_bucket_start(range, index) + (width - 1);
}

void usk_histogram_merge(struct usk_histogram *dst, const struct usk_histogram *src)
{
	if (src->count == 0) {
		return;
	}
	for (uint32_t r = 0; r < USK_HISTOGRAM_RANGES; r++) {
		for (uint32_t i = 0; i < USK_HISTOGRAM_SUB_COUNT; i++) {
			dst->bucket[r][i] += src->bucket[r][i];
		}
	}
	dst->count += src->count;
	dst->sum += src->sum;
	dst->min = USK_MIN(dst->min, src->min);
	dst->max = USK_MAX(dst->max, src->max);
}

uint64_t usk_histogram_percentile(const struct usk_histogram *h, double percent)
{
	if (h->count == 0) {
		return 0;
	}
	percent = percent < 0.0 ? 0.0 : (percent > 100.0 ? 100.0 : percent);

	/* The rank of the wanted value, 1-based: at least the first value. */
	double want = (double)h->count * percent / 100.0;
	uint64_t rank = (uint64_t)want;

	if ((double)rank < want || rank == 0) {
		rank++;
	}

	uint64_t seen = 0;

	for (uint32_t r = 0; r < USK_HISTOGRAM_RANGES; r++) {
		for (uint32_t i = 0; i < USK_HISTOGRAM_SUB_COUNT; i++) {
			seen += h->bucket[r][i];
			if (seen >= rank) {
				/* The bucket's end may exceed the largest value seen. */
				return USK_MIN(histogram_bucket_end(r, i), h->max);
			}
		}
	}
	return h->max;
}

uint64_t usk_histogram_count(const struct usk_histogram *h)
{
	return h->count;
}

double usk_histogram_mean(const struct usk_histogram *h)
{
	return h->count == 0 ? 0.0 : (double)h->sum / (double)h->count;
}

uint64_t usk_histogram_min(const struct usk_histogram *h)
{
	return h->count == 0 ? 0 : h->min;
}

uint64_t usk_histogram_max(const struct usk_histogram *h)
{
	return h->max;
}

void usk_histogram_iterate(const struct usk_histogram *h, usk_histogram_bucket_fn fn, void *ctx)
{
	uint64_t cumulative = 0;

	for (uint32_t r = 0; r < USK_HISTOGRAM_RANGES && cumulative < h->count; r++) {
		for (uint32_t i = 0; i < USK_HISTOGRAM_SUB_COUNT; i++) {
			uint64_t n = h->bucket[r][i];

			if (n == 0) {
				continue;
			}
			cumulative += n;
			fn(ctx, histogram_bucket_start(r, i), histogram_bucket_end(r, i), n,
			   cumulative, h->count);
		}
	}
}
