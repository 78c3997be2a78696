/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scatter-gather lists (base 4.1.2): when the controller supports them, a
 * data buffer is described by its IOVA-contiguous runs rather than by
 * pages, so it may start at any byte. One run fits in the command itself;
 * more go to the tracker's list page, behind a Last Segment descriptor.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "usk/env.h"

#define SGL_DESCRIPTORS_PER_PAGE (NVME_PAGE_SIZE / 16)

struct nvme_sgl_descriptor {
	uint64_t address;
	uint32_t length;
	uint8_t reserved[3];
	uint8_t id; /* NVME_SGL_ID_* */
};
USK_STATIC_ASSERT(sizeof(struct nvme_sgl_descriptor) == 16, "SGL descriptors are 16 bytes");

static void sgl_set(struct nvme_sgl_descriptor *d, uint64_t address, uint32_t length, uint8_t id)
{
	*d = (struct nvme_sgl_descriptor){.address = address, .length = length, .id = id};
}

/* Appends @iov's IOVA-contiguous runs to @descs (or only counts them when NULL). */
static int sgl_add_runs(struct nvme_sgl_descriptor *descs, uint32_t *count, const struct iovec *iov)
{
	uintptr_t va = (uintptr_t)iov->iov_base;
	size_t done = 0;

	while (done < iov->iov_len) {
		uint64_t run = iov->iov_len - done;
		uint64_t iova = usk_vtoiova((const void *)(va + done), &run);

		if (iova == USK_IOVA_INVALID || *count == SGL_DESCRIPTORS_PER_PAGE) {
			return -EINVAL;
		}
		if (descs != NULL) {
			sgl_set(&descs[*count], iova, (uint32_t)run, NVME_SGL_ID_DATA_BLOCK);
		}
		(*count)++;
		done += run;
	}
	return 0;
}

int nvme_build_sgl_iov(struct usk_nvme_sqe *sqe, const struct nvme_payload *data, uint64_t *list,
		       uint64_t list_iova)
{
	struct nvme_sgl_descriptor *descs = (struct nvme_sgl_descriptor *)list;
	struct nvme_sgl_descriptor sgl1;
	struct nvme_iov_walk walk;
	struct iovec e;
	uint32_t count = 0;

	nvme_iov_walk_start(&walk, data);
	while (nvme_iov_walk_next(&walk, &e)) {
		if (sgl_add_runs(descs, &count, &e) != 0) {
			return -EINVAL;
		}
	}
	if (walk.len != 0) {
		return -EINVAL; /* the array ends before the data does */
	}
	if (count == 0 || descs == NULL) {
		return 0;
	}
	if (count == 1) {
		sgl1 = descs[0];
	} else {
		sgl_set(&sgl1, list_iova, count * (uint32_t)sizeof(*descs), NVME_SGL_ID_LAST_SEGMENT);
	}
	nvme_sqe_set_sgl1(sqe, sgl1.address, sgl1.length, sgl1.id);
	return 0;
}

int nvme_build_sgl_runs(struct usk_nvme_sqe *sqe, const void *buf, uint32_t len, uint64_t *list,
			uint64_t list_iova)
{
	const struct iovec one = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	const struct nvme_payload data = {.buf = &one, .len = len, .iovcnt = 1};

	return nvme_build_sgl_iov(sqe, &data, list, list_iova);
}
