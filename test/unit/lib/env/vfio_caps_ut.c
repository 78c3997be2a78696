/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"
#include "env_internal.h"
#include "vfio_internal.h"

/* A VFIO_IOMMU_GET_INFO answer with the IOVA range capability, as an
 * Intel IOMMU of 39 bits gives it: everything but the MSI window. */
static struct vfio_iommu_type1_info *make_info(void)
{
	size_t cap_size = sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
			  2 * sizeof(struct vfio_iova_range);
	size_t size = sizeof(struct vfio_iommu_type1_info) + cap_size;
	struct vfio_iommu_type1_info *info = calloc(1, size);
	struct vfio_iommu_type1_info_cap_iova_range *cap = (void *)(info + 1);

	info->argsz = (uint32_t)size;
	info->flags = VFIO_IOMMU_INFO_CAPS;
	info->cap_offset = sizeof(*info);
	cap->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	cap->header.next = 0;
	cap->nr_iovas = 2;
	cap->iova_ranges[0] = (struct vfio_iova_range){0, 0xfedfffff};
	cap->iova_ranges[1] = (struct vfio_iova_range){0xfef00000, 0x7fffffffff};
	return info;
}

static void test_width_and_msi_hole(void)
{
	struct usk_env_opts opts;
	struct vfio_iommu_type1_info *info = make_info();
	void *big;

	usk_env_opts_init(&opts, sizeof(opts));
	opts.iova_width = 48;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	CU_ASSERT_EQUAL(vfio_apply_iova_caps(info), 0);
	/* 4 GiB of registrations must step over 0xfee00000..0xfeefffff. */
	big = malloc(UINT64_C(1) << 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	uintptr_t base = ((uintptr_t)big + 0xfff) & ~(uintptr_t)0xfff;

	for (int i = 0; i < 4095; i++) {
		void *region = (void *)(base + (uintptr_t)i * 0x100000);

		CU_ASSERT_EQUAL_FATAL(usk_mem_register(region, 0x100000), 0);
		uint64_t iova = usk_vtoiova(region, NULL);

		CU_ASSERT_FATAL(iova + 0x100000 <= 0xfee00000 || iova >= 0xfef00000);
		CU_ASSERT_FATAL(iova < (UINT64_C(1) << 39));
	}
	usk_env_fini();
	free(big);
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
		UT_TEST(test_no_capability),
	};

	return UT_RUN("vfio_caps", tests);
}
