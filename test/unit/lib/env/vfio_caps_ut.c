/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"
#include "env_internal.h"
#include "vfio_internal.h"

/*
 * A VFIO_IOMMU_GET_INFO answer with the IOVA range capability, as an
 * Intel IOMMU of 39 bits gives it: everything but the MSI window. The
 * capability starts @pad bytes after the info; kernels before 6.7 put it
 * on a 4-byte boundary, so it is written byte-wise, as the kernel's is read.
 */
static struct vfio_iommu_type1_info *
make_info_ranges(uint32_t pad, const struct vfio_iova_range *ranges, uint32_t count)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = {.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE}, .nr_iovas = count};
	size_t at = sizeof(struct vfio_iommu_type1_info) + pad;
	size_t size = at + sizeof(cap) + count * sizeof(*ranges);
	struct vfio_iommu_type1_info *info = calloc(1, size);

	info->argsz = (uint32_t)size;
	info->flags = VFIO_IOMMU_INFO_CAPS;
	info->cap_offset = (uint32_t)at;
	memcpy((char *)info + at, &cap, sizeof(cap));
	memcpy((char *)info + at + sizeof(cap), ranges, count * sizeof(*ranges));
	return info;
}

static struct vfio_iommu_type1_info *make_info(uint32_t pad)
{
	const struct vfio_iova_range ranges[2] = {{0, 0xfedfffff}, {0xfef00000, 0x7fffffffff}};

	return make_info_ranges(pad, ranges, 2);
}

/*
 * 4095 regions of 1 MiB registered, @info applied to the env before them or
 * after: their IOVAs avoid @hole and stay below 2^39. Frees @info.
 */
static void check_registrations(struct vfio_iommu_type1_info *info,
				const struct vfio_iova_range *hole, bool apply_caps_first)
{
	struct usk_env_opts opts;
	uint8_t *big = malloc(UINT64_C(1) << 32);
	uint8_t *base = (uint8_t *)(((uintptr_t)big + 0xfff) & ~(uintptr_t)0xfff);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	usk_env_opts_init(&opts, sizeof(opts));
	opts.iova_width = 48;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	if (apply_caps_first) {
		CU_ASSERT_EQUAL(vfio_apply_iova_caps(info), 0);
	}
	for (size_t i = 0; i < 4095; i++) {
		CU_ASSERT_EQUAL_FATAL(usk_mem_register(base + i * 0x100000, 0x100000), 0);
	}
	if (!apply_caps_first) {
		CU_ASSERT_EQUAL(vfio_apply_iova_caps(info), 0);
	}
	for (size_t i = 0; i < 4095; i++) {
		uint64_t iova = usk_vtoiova(base + i * 0x100000, NULL);

		CU_ASSERT_FATAL(iova + 0x100000 <= hole->start || iova > hole->end);
		CU_ASSERT_FATAL(iova < (UINT64_C(1) << 39));
	}
	usk_env_fini();
	free(big);
	free(info);
}

/* 4 GiB of registrations step over the MSI window and stay below 2^39. */
static void check_width_and_msi_hole(uint32_t pad)
{
	const struct vfio_iova_range hole = {0xfee00000, 0xfeefffff};

	check_registrations(make_info(pad), &hole, true);
}

static void test_width_and_msi_hole(void)
{
	check_width_and_msi_hole(0);
}

/*
 * Memory registered before the first device is attached, enough to reach
 * past 4 GiB of IOVA: the platform's MSI window was never handed out, so
 * the IOMMU's report of it as a hole is taken.
 */
static void test_msi_window_kept_before_first_attach(void)
{
	const struct vfio_iova_range hole = {ENV_IOVA_MSI_START, ENV_IOVA_MSI_END - 1};
	const struct vfio_iova_range ranges[2] = {{0, hole.start - 1},
						  {hole.end + 1, 0x7fffffffff}};

	check_registrations(make_info_ranges(0, ranges, 2), &hole, false);
}

/* Read by copying: UBSan failed the cast of a capability on a 4-byte boundary. */
static void test_capability_on_a_4_byte_boundary(void)
{
	check_width_and_msi_hole(4);
}

/*
 * A capability cut short by the buffer's end is ignored, not read past the
 * end: the buffer is exactly argsz long, so ASan sees any read beyond it.
 */
static void test_truncated_capability_is_ignored(void)
{
	struct vfio_iommu_type1_info *full = make_info(0);
	uint32_t argsz = full->argsz - (uint32_t)sizeof(struct vfio_iova_range);
	struct vfio_iommu_type1_info *info = malloc(argsz);

	CU_ASSERT_PTR_NOT_NULL_FATAL(info);
	memcpy(info, full, argsz);
	info->argsz = argsz;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL(vfio_apply_iova_caps(info), 0);
	usk_env_fini();
	free(info);
	free(full);
}

/*
 * An IOMMU whose first usable range starts above the allocator's base
 * (reserved regions at the bottom): nothing below that start is handed out,
 * as a device's DMA there would fault (and VFIO refuses to map it).
 */
static void test_space_below_first_range(void)
{
	const struct vfio_iova_range range = {UINT64_C(1) << 32, 0x7fffffffff};
	struct vfio_iommu_type1_info *info = make_info_ranges(0, &range, 1);
	struct usk_env_opts opts;
	void *buf = aligned_alloc(0x1000, 0x100000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	usk_env_opts_init(&opts, sizeof(opts));
	opts.iova_width = 48;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	CU_ASSERT_EQUAL(vfio_apply_iova_caps(info), 0);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(buf, 0x100000), 0);
	CU_ASSERT(usk_vtoiova(buf, NULL) >= range.start);
	CU_ASSERT(usk_vtoiova(buf, NULL) + 0x100000 - 1 <= range.end);
	usk_env_fini();
	free(buf);
	free(info);
}

/* A chain whose next capability points back at itself ends instead of spinning. */
static void test_looping_chain_ends(void)
{
	const struct vfio_info_cap_header loop = {
		.id = 0x7777, .version = 1, .next = sizeof(struct vfio_iommu_type1_info)};
	struct vfio_iommu_type1_info *info = make_info(0);

	memcpy((char *)info + info->cap_offset, &loop, sizeof(loop));
	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL(vfio_apply_iova_caps(info), 0);
	usk_env_fini();
	free(info);
}

static void test_no_capability(void)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info), .flags = 0};

	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL(vfio_apply_iova_caps(&info), 0);
	usk_env_fini();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_width_and_msi_hole),
		UT_TEST(test_capability_on_a_4_byte_boundary),
		UT_TEST(test_msi_window_kept_before_first_attach),
		UT_TEST(test_truncated_capability_is_ignored),
		UT_TEST(test_space_below_first_range),
		UT_TEST(test_looping_chain_ends),
		UT_TEST(test_no_capability),
	};

	return UT_RUN("vfio_caps", tests);
}
