/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOVAs are handed out from [base, limit), below the IOMMU's address width,
 * first fit from the bottom so that the space in use stays low and a
 * narrower width learnt later (from the VFIO container) still holds it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "env_internal.h"
#include "usk/util.h"

static int ranges_reserve(struct iova_allocator *a, size_t count)
{
	if (count <= a->capacity) {
		return 0;
	}
	size_t capacity = a->capacity == 0 ? 16 : a->capacity * 2;
	struct iova_range *grown = realloc(a->free, capacity * sizeof(*grown));

	if (grown == NULL) {
		return -ENOMEM;
	}
	a->free = grown;
	a->capacity = capacity;
	return 0;
}

static void ranges_remove(struct iova_allocator *a, size_t i)
{
	memmove(&a->free[i], &a->free[i + 1], (a->count - i - 1) * sizeof(a->free[0]));
	a->count--;
}

static int ranges_insert(struct iova_allocator *a, size_t i, uint64_t start, uint64_t end)
{
	int rc = ranges_reserve(a, a->count + 1);

	if (rc != 0) {
		return rc;
	}
	memmove(&a->free[i + 1], &a->free[i], (a->count - i) * sizeof(a->free[0]));
	a->free[i] = (struct iova_range){start, end};
	a->count++;
	return 0;
}

int iova_allocator_init(struct iova_allocator *a, uint64_t base, uint64_t limit)
{
	memset(a, 0, sizeof(*a));
	if (base >= limit || !usk_is_aligned(base, ENV_PAGE_SIZE)) {
		return -EINVAL;
	}
	a->base = base;
	a->limit = limit;
	return ranges_insert(a, 0, base, limit);
}

void iova_allocator_fini(struct iova_allocator *a)
{
	free(a->free);
	memset(a, 0, sizeof(*a));
}

int iova_alloc(struct iova_allocator *a, uint64_t size, uint64_t align, uint64_t *iova)
{
	if (size == 0 || !usk_is_aligned(size, ENV_PAGE_SIZE) || !usk_u64_is_pow2(align) ||
	    align < ENV_PAGE_SIZE) {
		return -EINVAL;
	}
	for (size_t i = 0; i < a->count; i++) {
		struct iova_range r = a->free[i];
		uint64_t start = usk_align_up(r.start, align);

		/* start < r.start: rounding up wrapped past the top of the space. */
		if (start < r.start || start >= r.end || r.end - start < size) {
			continue;
		}
		/* Cut [start, start + size) out of r: what is left on each side stays free. */
		uint64_t end = start + size;

		if (start == r.start && end == r.end) {
			ranges_remove(a, i);
		} else if (start == r.start) {
			a->free[i].start = end;
		} else if (end == r.end) {
			a->free[i].end = start;
		} else {
			int rc = ranges_insert(a, i + 1, end, r.end);

			if (rc != 0) {
				return rc;
			}
			a->free[i].end = start;
		}
		*iova = start;
		return 0;
	}
	return -ENOSPC;
}

int iova_free(struct iova_allocator *a, uint64_t iova, uint64_t size)
{
	uint64_t end = iova + size;
	size_t i = 0;

	if (size == 0 || iova < a->base || end > a->limit || end < iova) {
		return -EINVAL;
	}
	while (i < a->count && a->free[i].start < iova) {
		i++;
	}
	/* Freeing space that is already free means a caller's bookkeeping is wrong. */
	if ((i > 0 && a->free[i - 1].end > iova) || (i < a->count && a->free[i].start < end)) {
		return -EINVAL;
	}
	bool joins_prev = i > 0 && a->free[i - 1].end == iova;
	bool joins_next = i < a->count && a->free[i].start == end;

	if (joins_prev && joins_next) {
		a->free[i - 1].end = a->free[i].end;
		ranges_remove(a, i);
	} else if (joins_prev) {
		a->free[i - 1].end = end;
	} else if (joins_next) {
		a->free[i].start = iova;
	} else {
		return ranges_insert(a, i, iova, end);
	}
	return 0;
}

int iova_allocator_set_limit(struct iova_allocator *a, uint64_t limit)
{
	struct iova_range *last = a->count > 0 ? &a->free[a->count - 1] : NULL;
	/* Everything above the last free range's start, if it runs to the limit, is free. */
	uint64_t lowest_free_top = last != NULL && last->end == a->limit ? last->start : a->limit;

	if (limit <= a->base || limit < lowest_free_top) {
		return -ERANGE;
	}
	if (last != NULL && last->end == a->limit) {
		last->end = limit;
		if (last->start == last->end) {
			ranges_remove(a, a->count - 1);
		}
	} else if (limit > a->limit) {
		int rc = ranges_insert(a, a->count, a->limit, limit);

		if (rc != 0) {
			return rc;
		}
	}
	a->limit = limit;
	return 0;
}

int iova_reserve(struct iova_allocator *a, uint64_t start, uint64_t end)
{
	uint64_t free_bytes = 0;

	start = USK_MAX(start, a->base);
	end = USK_MIN(end, a->limit);
	if (start >= end) {
		return 0;
	}
	/* All of [start, end) must be free: count the free bytes inside it. */
	for (size_t i = 0; i < a->count; i++) {
		uint64_t lo = USK_MAX(a->free[i].start, start);
		uint64_t hi = USK_MIN(a->free[i].end, end);

		free_bytes += hi > lo ? hi - lo : 0;
	}
	if (free_bytes != end - start) {
		return -EBUSY;
	}
	for (size_t i = 0; i < a->count; i++) {
		struct iova_range *r = &a->free[i];

		if (r->start <= start && end <= r->end) {
			if (r->start == start && r->end == end) {
				ranges_remove(a, i);
			} else if (r->start == start) {
				r->start = end;
			} else if (r->end == end) {
				r->end = start;
			} else {
				uint64_t old_end = r->end;

				r->end = start;
				return ranges_insert(a, i + 1, end, old_end);
			}
			return 0;
		}
	}
	return -EBUSY;
}
