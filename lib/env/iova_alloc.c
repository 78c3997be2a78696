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

static int ranges_grow(struct iova_ranges *l, size_t count)
{
	if (count <= l->capacity) {
		return 0;
	}
	size_t capacity = l->capacity == 0 ? 16 : l->capacity * 2;
	struct iova_range *grown = realloc(l->at, capacity * sizeof(*grown));

	if (grown == NULL) {
		return -ENOMEM;
	}
	l->at = grown;
	l->capacity = capacity;
	return 0;
}

static void ranges_remove(struct iova_ranges *l, size_t i, size_t n)
{
	/* A list never grown has no array: memmove() takes no NULL, even for 0 bytes. */
	if (n == 0) {
		return;
	}
	memmove(&l->at[i], &l->at[i + n], (l->count - i - n) * sizeof(l->at[0]));
	l->count -= n;
}

static int ranges_insert(struct iova_ranges *l, size_t i, uint64_t start, uint64_t end)
{
	int rc = ranges_grow(l, l->count + 1);

	if (rc != 0) {
		return rc;
	}
	memmove(&l->at[i + 1], &l->at[i], (l->count - i) * sizeof(l->at[0]));
	l->at[i] = (struct iova_range){start, end};
	l->count++;
	return 0;
}

/* How many bytes of [start, end) @l holds. */
static uint64_t ranges_bytes_in(const struct iova_ranges *l, uint64_t start, uint64_t end)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < l->count; i++) {
		uint64_t lo = USK_MAX(l->at[i].start, start);
		uint64_t hi = USK_MIN(l->at[i].end, end);

		bytes += hi > lo ? hi - lo : 0;
	}
	return bytes;
}

/*
 * Takes [start, end) out of @l. Only a range with some left on both sides
 * needs a new entry: -ENOMEM, with @l unchanged, if there is no room for it.
 */
static int ranges_cut(struct iova_ranges *l, uint64_t start, uint64_t end)
{
	size_t i = 0;
	size_t first;

	while (i < l->count && l->at[i].end <= start) {
		i++;
	}
	if (i < l->count && l->at[i].start < start && l->at[i].end > end) {
		int rc = ranges_insert(l, i + 1, end, l->at[i].end);

		if (rc == 0) {
			l->at[i].end = start;
		}
		return rc;
	}
	if (i < l->count && l->at[i].start < start) {
		l->at[i++].end = start;
	}
	first = i;
	while (i < l->count && l->at[i].end <= end) {
		i++;
	}
	ranges_remove(l, first, i - first);
	if (first < l->count && l->at[first].start < end) {
		l->at[first].start = end;
	}
	return 0;
}

/* Adds [start, end) to @l, joined with the ranges it overlaps or touches. */
static int ranges_add(struct iova_ranges *l, uint64_t start, uint64_t end)
{
	size_t i = 0;
	size_t j;

	while (i < l->count && l->at[i].end < start) {
		i++;
	}
	j = i;
	while (j < l->count && l->at[j].start <= end) {
		j++;
	}
	if (i == j) {
		return ranges_insert(l, i, start, end);
	}
	l->at[i].start = USK_MIN(l->at[i].start, start);
	l->at[i].end = USK_MAX(l->at[j - 1].end, end);
	ranges_remove(l, i + 1, j - i - 1);
	return 0;
}

/* Whether no byte of [start, end) is allocated: each is free or reserved. */
static bool unallocated(const struct iova_allocator *a, uint64_t start, uint64_t end)
{
	return ranges_bytes_in(&a->free, start, end) + ranges_bytes_in(&a->reserved, start, end) ==
	       end - start;
}

int iova_allocator_init(struct iova_allocator *a, uint64_t base, uint64_t limit)
{
	memset(a, 0, sizeof(*a));
	if (base >= limit || !usk_is_aligned(base, ENV_PAGE_SIZE)) {
		return -EINVAL;
	}
	a->base = base;
	a->limit = limit;
	return ranges_insert(&a->free, 0, base, limit);
}

void iova_allocator_fini(struct iova_allocator *a)
{
	free(a->free.at);
	free(a->reserved.at);
	memset(a, 0, sizeof(*a));
}

int iova_alloc(struct iova_allocator *a, uint64_t size, uint64_t align, uint64_t *iova)
{
	if (size == 0 || !usk_is_aligned(size, ENV_PAGE_SIZE) || !usk_u64_is_pow2(align) ||
	    align < ENV_PAGE_SIZE) {
		return -EINVAL;
	}
	for (size_t i = 0; i < a->free.count; i++) {
		struct iova_range r = a->free.at[i];
		uint64_t start = usk_align_up(r.start, align);

		/* start < r.start: rounding up wrapped past the top of the space. */
		if (start < r.start || start >= r.end || r.end - start < size) {
			continue;
		}
		int rc = ranges_cut(&a->free, start, start + size);

		if (rc == 0) {
			*iova = start;
		}
		return rc;
	}
	return -ENOSPC;
}

int iova_free(struct iova_allocator *a, uint64_t iova, uint64_t size)
{
	uint64_t end = iova + size;

	if (size == 0 || iova < a->base || end > a->limit || end < iova) {
		return -EINVAL;
	}
	/* Freeing free or reserved space means a caller's bookkeeping is wrong. */
	if (ranges_bytes_in(&a->free, iova, end) != 0 ||
	    ranges_bytes_in(&a->reserved, iova, end) != 0) {
		return -EINVAL;
	}
	return ranges_add(&a->free, iova, end);
}

int iova_allocator_set_limit(struct iova_allocator *a, uint64_t limit)
{
	if (limit <= a->base) {
		return -ERANGE;
	}
	if (limit < a->limit) {
		if (!unallocated(a, limit, a->limit)) {
			return -ERANGE;
		}
		/* Nothing lies above the old limit, so no range splits and neither cut fails. */
		ranges_cut(&a->free, limit, a->limit);
		ranges_cut(&a->reserved, limit, a->limit);
	} else if (limit > a->limit) {
		int rc = ranges_add(&a->free, a->limit, limit);

		if (rc != 0) {
			return rc;
		}
	}
	a->limit = limit;
	return 0;
}

int iova_reserve(struct iova_allocator *a, uint64_t start, uint64_t end)
{
	start = USK_MAX(start, a->base);
	end = USK_MIN(end, a->limit);
	if (start >= end) {
		return 0;
	}
	if (!unallocated(a, start, end)) {
		return -EBUSY;
	}
	/* Room first: each list gains one entry at most, so neither step below fails halfway. */
	int rc = ranges_grow(&a->free, a->free.count + 1);

	if (rc == 0) {
		rc = ranges_grow(&a->reserved, a->reserved.count + 1);
	}
	if (rc == 0) {
		rc = ranges_cut(&a->free, start, end);
	}
	if (rc == 0) {
		rc = ranges_add(&a->reserved, start, end);
	}
	return rc;
}
