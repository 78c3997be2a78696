/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data pointers for requests given as iovecs. With SGLs each element is
 * one or more Data Block descriptors, so elements may start and end
 * anywhere the controller allows. With PRPs every page after the first must
 * start on a page boundary (base 4.1.1): so an element may begin off a page
 * only if it is the first, and end off a page only if it is the last.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/util.h"

#define NVME_PAGE_MASK ((uintptr_t)NVME_PAGE_SIZE - 1)

/* Adds the PRP entries of one element's pages; the very first becomes PRP1. */
static int prp_add_element(struct usk_nvme_sqe *sqe, const struct iovec *e, uint64_t *list,
			   uint32_t *entries, bool *have_prp1)
{
	uintptr_t va = (uintptr_t)e->iov_base;

	for (uintptr_t p = va; p < va + e->iov_len; p = (p & ~NVME_PAGE_MASK) + NVME_PAGE_SIZE) {
		uint64_t iova = usk_vtoiova((const void *)p, NULL);

		if (iova == USK_IOVA_INVALID) {
			return -EINVAL;
		}
		if (!*have_prp1) {
			sqe->prp1 = iova;
			*have_prp1 = true;
			continue;
		}
		if (*entries == NVME_PRP_LIST_ENTRIES) {
			return -EINVAL;
		}
		if (list != NULL) {
			list[*entries] = iova;
		}
		(*entries)++;
	}
	return 0;
}

bool nvme_iov_walk_next(struct nvme_iov_walk *w, struct iovec *e)
{
	while (w->len > 0 && w->left > 0) {
		const struct iovec *cur = w->iov++;

		w->left--;
		if (w->skip >= cur->iov_len) {
			w->skip -= cur->iov_len;
			continue;
		}
		e->iov_base = (uint8_t *)cur->iov_base + w->skip;
		e->iov_len = USK_MIN(cur->iov_len - w->skip, w->len);
		w->skip = 0;
		w->len -= e->iov_len;
		return true;
	}
	return false;
}

int nvme_build_prps_iov(struct usk_nvme_sqe *sqe, const struct nvme_payload *data, uint64_t *list,
			uint64_t list_iova)
{
	struct nvme_iov_walk walk;
	struct iovec e;
	uint32_t entries = 0;
	bool have_prp1 = false;

	nvme_iov_walk_start(&walk, data);
	while (nvme_iov_walk_next(&walk, &e)) {
		uintptr_t va = (uintptr_t)e.iov_base;
		bool last = walk.len == 0;

		/* Dword-aligned data at the start; page-aligned where elements meet. */
		if ((va & 3) != 0 || (have_prp1 && (va & NVME_PAGE_MASK) != 0) ||
		    (!last && ((va + e.iov_len) & NVME_PAGE_MASK) != 0)) {
			return -EINVAL;
		}
		if (prp_add_element(sqe, &e, list, &entries, &have_prp1) != 0) {
			return -EINVAL;
		}
	}
	if (walk.len != 0) {
		return -EINVAL; /* the array ends before the data does */
	}
	if (list != NULL) {
		sqe->prp2 = entries == 0 ? 0 : entries == 1 ? list[0] : list_iova;
	}
	return 0;
}

int nvme_qpair_build_iov(const struct usk_nvme_qpair *q, struct usk_nvme_sqe *sqe,
			 const struct nvme_payload *data, uint64_t *list, uint64_t list_iova)
{
	if (!q->use_sgl) {
		return nvme_build_prps_iov(sqe, data, list, list_iova);
	}
	/* SGLS 10b: every element dword-aligned in address and length. */
	if (!q->ctrlr->sgl_byte_aligned) {
		struct nvme_iov_walk walk;
		struct iovec e;

		nvme_iov_walk_start(&walk, data);
		while (nvme_iov_walk_next(&walk, &e)) {
			if ((((uintptr_t)e.iov_base | e.iov_len) & 3) != 0) {
				return -EINVAL;
			}
		}
	}
	return nvme_build_sgl_iov(sqe, data, list, list_iova);
}
