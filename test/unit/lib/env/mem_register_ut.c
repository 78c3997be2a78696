/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ut.h"
#include "env_internal.h"
#include "usk_internal/env.h"

#define PAGE ENV_PAGE_SIZE

/* Fake IOMMU hooks: record what is mapped, fail on demand. */
static struct {
	int maps;
	int unmaps;
	uint64_t mapped_bytes;
	int fail_next;
} g_iommu;

static int fake_map(void *vaddr, uint64_t iova, uint64_t len)
{
	if (g_iommu.fail_next) {
		g_iommu.fail_next = 0;
		return -ENOMEM;
	}
	g_iommu.maps++;
	g_iommu.mapped_bytes += len;
	return 0;
}

static int fake_unmap(uint64_t iova, uint64_t len)
{
	g_iommu.unmaps++;
	g_iommu.mapped_bytes -= len;
	return 0;
}

static const struct env_dma_map_hooks g_fake_hooks = {fake_map, fake_unmap};

static uint8_t *g_mem;

static void test_register_lookup_unregister(void)
{
	uint64_t len;

	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(g_mem + PAGE, 5 * PAGE), 0);
	uint64_t base = usk_vtoiova(g_mem + PAGE, NULL);

	CU_ASSERT(base != USK_IOVA_INVALID && base < (UINT64_C(1) << 39));
	for (uint64_t off = 0; off < 5 * PAGE; off += 512) {
		CU_ASSERT_EQUAL_FATAL(usk_vtoiova(g_mem + PAGE + off, NULL), base + off);
		CU_ASSERT_PTR_EQUAL_FATAL(env_iova_to_vaddr(base + off, &len), g_mem + PAGE + off);
		CU_ASSERT_EQUAL(len, 5 * PAGE - off);
	}
	CU_ASSERT_PTR_NULL(env_iova_to_vaddr(base + 5 * PAGE, NULL));
	/* One region is one IOVA-contiguous range. */
	len = 5 * PAGE;
	usk_vtoiova(g_mem + PAGE, &len);
	CU_ASSERT_EQUAL(len, 5 * PAGE);

	CU_ASSERT_EQUAL(usk_mem_unregister(g_mem + PAGE, 4 * PAGE), -ENOENT);
	CU_ASSERT_EQUAL(usk_mem_unregister(g_mem + PAGE, 5 * PAGE), 0);
	CU_ASSERT_EQUAL(usk_vtoiova(g_mem + PAGE, NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_mem_unregister(g_mem + PAGE, 5 * PAGE), -ENOENT);
	usk_env_fini();
}

static void test_overlap_and_invalid_refused(void)
{
	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 4 * PAGE, 4 * PAGE), 0);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 4 * PAGE, 4 * PAGE), -EEXIST);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 7 * PAGE, 2 * PAGE), -EEXIST);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 2 * PAGE, 3 * PAGE), -EEXIST);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem, 16 * PAGE), -EEXIST);
	/* Touching neighbours are fine. */
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 8 * PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 3 * PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 100, PAGE), -EINVAL);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem, 100), -EINVAL);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem, 0), -EINVAL);
	/* Hooks installed now map what is registered: 6 pages in 3 regions. */
	g_iommu = (typeof(g_iommu)){0};
	CU_ASSERT_EQUAL(env_mem_set_dma_map_hooks(&g_fake_hooks), 0);
	CU_ASSERT_EQUAL(g_iommu.maps, 3);
	CU_ASSERT_EQUAL(g_iommu.mapped_bytes, 6 * PAGE);
	usk_env_fini();
	env_mem_set_dma_map_hooks(NULL);
	/* fini forgot everything. */
	CU_ASSERT_EQUAL(usk_vtoiova(g_mem + 4 * PAGE, NULL), USK_IOVA_INVALID);
}

static void test_hooks_map_and_unmap(void)
{
	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem, 2 * PAGE), 0);
	g_iommu = (typeof(g_iommu)){0};
	/* A failure while mapping what exists leaves the hooks out. */
	g_iommu.fail_next = 1;
	CU_ASSERT_EQUAL(env_mem_set_dma_map_hooks(&g_fake_hooks), -ENOMEM);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 4 * PAGE, 3 * PAGE), 0);
	CU_ASSERT_EQUAL(g_iommu.maps, 0);
	CU_ASSERT_EQUAL(usk_mem_unregister(g_mem + 4 * PAGE, 3 * PAGE), 0);
	/* Installed: the region from before is mapped at once, later ones as they come. */
	CU_ASSERT_EQUAL(env_mem_set_dma_map_hooks(&g_fake_hooks), 0);
	CU_ASSERT_EQUAL(g_iommu.maps, 1);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 4 * PAGE, 3 * PAGE), 0);
	CU_ASSERT_EQUAL(g_iommu.maps, 2);
	CU_ASSERT_EQUAL(g_iommu.mapped_bytes, 5 * PAGE);
	/* A failed IOMMU map fails the registration and leaves no trace. */
	g_iommu.fail_next = 1;
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 8 * PAGE, PAGE), -ENOMEM);
	CU_ASSERT_EQUAL(usk_vtoiova(g_mem + 8 * PAGE, NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem + 8 * PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(usk_mem_unregister(g_mem + 4 * PAGE, 3 * PAGE), 0);
	CU_ASSERT_EQUAL(g_iommu.unmaps, 1);
	CU_ASSERT_EQUAL(g_iommu.mapped_bytes, 3 * PAGE);
	/* fini unmaps what is left: the first region and the last. */
	usk_env_fini();
	env_mem_set_dma_map_hooks(NULL);
	CU_ASSERT_EQUAL(g_iommu.unmaps, 3);
	CU_ASSERT_EQUAL(g_iommu.mapped_bytes, 0);
}

static void test_width_change(void)
{
	struct usk_env_opts opts;

	usk_env_opts_init(&opts, sizeof(opts));
	opts.iova_width = 48;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	CU_ASSERT_EQUAL(usk_mem_register(g_mem, 4 * PAGE), 0);
	CU_ASSERT_EQUAL(env_iova_set_width(39), 0);
	/* IOVAs start at 1 MiB; a width that cannot hold them is refused. */
	CU_ASSERT_EQUAL(env_iova_set_width(20), -ERANGE);
	CU_ASSERT_EQUAL(env_iova_reserve(0xfee00000, 0xfef00000), 0);
	usk_env_fini();
}

/*
 * A hugepage-aligned region prefers a hugepage-aligned IOVA, but takes any
 * when the only free space left is not aligned, rather than fail with
 * -ENOSPC while the space is there.
 */
static void test_unaligned_iova_when_no_aligned_one_is_free(void)
{
	const uint64_t hole_start = 0xffd00000; /* 1 MiB past a 2 MiB boundary */
	const uint64_t hole_end = hole_start + (UINT64_C(2) << 20);
	struct usk_env_opts opts;
	void *buf = aligned_alloc(ENV_HUGEPAGE_SIZE, ENV_HUGEPAGE_SIZE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	usk_env_opts_init(&opts, sizeof(opts));
	opts.iova_width = 32;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	CU_ASSERT_EQUAL(env_iova_reserve(0, hole_start), 0);
	CU_ASSERT_EQUAL(env_iova_reserve(hole_end, UINT64_C(1) << 32), 0);
	CU_ASSERT_EQUAL(usk_mem_register(buf, ENV_HUGEPAGE_SIZE), 0);
	CU_ASSERT_EQUAL(usk_vtoiova(buf, NULL), hole_start);
	usk_env_fini();
	free(buf);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_register_lookup_unregister),
		UT_TEST(test_overlap_and_invalid_refused),
		UT_TEST(test_hooks_map_and_unmap),
		UT_TEST(test_width_change),
		UT_TEST(test_unaligned_iova_when_no_aligned_one_is_free),
	};
	int rc;

	g_mem = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g_mem == MAP_FAILED) {
		return 99;
	}
	rc = UT_RUN("mem_register", tests);
	munmap(g_mem, 16 * PAGE);
	return rc;
}
