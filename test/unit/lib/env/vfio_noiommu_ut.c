/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * No-IOMMU mode's translation, without a device: once it is set up, a
 * registered region's pages translate to the physical addresses the
 * kernel's pagemap gives (read here independently), regions registered
 * before included; and the DMA heap takes only hugepages. Reading PFNs
 * needs root: as another user the test is skipped (77).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ut.h"
#include "env_internal.h"
#include "vfio_internal.h"

#define PAGES 16

/* The physical address of @p's page, from pagemap; 0 if unknown. */
static uint64_t physical(const void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd >= 0) {
		if (pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)p / 4096) * 8) != 8) {
			entry = 0;
		}
		close(fd);
	}
	return (entry & ((UINT64_C(1) << 55) - 1)) * 4096;
}

static uint8_t *map_pages(void)
{
	uint8_t *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	CU_ASSERT_FATAL(p != MAP_FAILED);
	return p;
}

/* Every page, at several offsets, translates to its own frame plus the offset. */
static void check_region(const uint8_t *p)
{
	for (int i = 0; i < PAGES; i++) {
		for (uint32_t off = 0; off < 4096; off += 1000) {
			const uint8_t *at = p + i * 4096 + off;

			CU_ASSERT_EQUAL_FATAL(usk_vtoiova(at, NULL), physical(at) + off);
		}
	}
}

static void test_translation_is_physical(void)
{
	uint8_t *before = map_pages();
	uint8_t *after = map_pages();

	CU_ASSERT_EQUAL_FATAL(usk_mem_register(before, PAGES * 4096), 0);
	CU_ASSERT_EQUAL_FATAL(vfio_noiommu_setup(), 0);
	/* Registered before the mode began, translated when it did. */
	check_region(before);
	CU_ASSERT_EQUAL_FATAL(usk_mem_register(after, PAGES * 4096), 0);
	check_region(after);
	/* A run stops where the frames stop following on. */
	uint64_t run = PAGES * 4096;

	usk_vtoiova(after, &run);
	for (uint64_t off = 4096; off < run; off += 4096) {
		CU_ASSERT_EQUAL(physical(after + off), physical(after) + off);
	}
	CU_ASSERT(run == PAGES * 4096 || physical(after + run) != physical(after) + run);
	CU_ASSERT_EQUAL(usk_mem_unregister(after, PAGES * 4096), 0);
	CU_ASSERT_EQUAL(usk_vtoiova(after, NULL), USK_IOVA_INVALID);
	CU_ASSERT_EQUAL(usk_mem_unregister(before, PAGES * 4096), 0);
	munmap(before, PAGES * 4096);
	munmap(after, PAGES * 4096);
}

/* With no hugepage free, the heap refuses rather than hand out movable pages. */
static void test_heap_takes_only_hugepages(void)
{
	void *buf = usk_dma_malloc(4096, 4096, -1);
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");
	unsigned long reserved = 0;

	if (f != NULL) {
		CU_ASSERT_EQUAL(fscanf(f, "%lu", &reserved), 1);
		fclose(f);
	}
	if (reserved == 0) {
		CU_ASSERT_PTR_NULL(buf);
	} else if (buf != NULL) {
		CU_ASSERT_EQUAL(usk_vtoiova(buf, NULL), physical(buf));
	}
	usk_dma_free(buf);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_translation_is_physical),
		UT_TEST(test_heap_takes_only_hugepages),
	};
	int rc;

	if (geteuid() != 0) {
		return 77;
	}
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("vfio_noiommu", tests);
	usk_env_fini();
	return rc;
}
