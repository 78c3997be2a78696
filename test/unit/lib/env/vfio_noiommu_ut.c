/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * No-IOMMU mode's translation, without a device: once it is set up, a
 * registered region's pages translate to the physical addresses the
 * kernel's pagemap gives (read here independently), regions registered
 * before included; memory that is not in hugepages is refused, by the
 * registration and by the DMA heap. Reading frames needs root: as another
 * user the test is skipped (77). It reserves one hugepage for the test and
 * gives it back.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ut.h"
#include "ut_hugepages.h"
#include "env_internal.h"
#include "vfio_internal.h"

#define HUGE (2u << 20)

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

static uint8_t *map_ordinary(void)
{
	uint8_t *p =
		mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CU_ASSERT_FATAL(p != MAP_FAILED);
	memset(p, 1, 16 * 4096);
	return p;
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int count = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while (readdir(dir) != NULL) {
		count++;
	}
	closedir(dir);
	return count;
}

/*
 * Ordinary pages can move: the mode will not start over them, nor take
 * more. The set-up that failed closes what it opened (it left pagemap and
 * kpageflags open, and the next set-up opened them again).
 */
static void test_ordinary_pages_are_refused(void)
{
	uint8_t *before = map_ordinary();
	uint8_t *after = map_ordinary();
	int fds;

	CU_ASSERT_EQUAL_FATAL(usk_mem_register(before, 16 * 4096), 0);
	fds = count_fds();
	CU_ASSERT_EQUAL(vfio_noiommu_setup(), -EINVAL);
	CU_ASSERT_EQUAL(count_fds(), fds);
	CU_ASSERT_EQUAL(usk_mem_unregister(before, 16 * 4096), 0);
	CU_ASSERT_EQUAL_FATAL(vfio_noiommu_setup(), 0);
	CU_ASSERT_EQUAL(usk_mem_register(after, 16 * 4096), -EINVAL);
	CU_ASSERT_EQUAL(usk_vtoiova(after, NULL), USK_IOVA_INVALID);
	munmap(before, 16 * 4096);
	munmap(after, 16 * 4096);
}

/* Translations of @huge, a registered hugepage: its frames, at every offset, in one run. */
static void check_hugepage_translations(uint8_t *huge)
{
	uint64_t run = HUGE;

	for (uint32_t off = 0; off < HUGE; off += 4096 * 37 + 100) {
		CU_ASSERT_EQUAL(usk_vtoiova(huge + off, NULL), physical(huge) + off);
	}
	CU_ASSERT_EQUAL(usk_vtoiova(huge, &run), physical(huge));
	CU_ASSERT_EQUAL(run, HUGE);
}

/*
 * A hugepage translates to its frames, at every offset, in one run. The
 * hugepage lock is released on every path (see ut_hugepages_lock()): the
 * bug was a failed mmap, on a machine whose memory was too fragmented for
 * one more hugepage, leaving this test by a fatal assert with the lock
 * held, and the next test waiting for it for ever.
 */
static void test_hugepages_translate_to_physical(void)
{
	int lock = ut_hugepages_lock();
	long reserved = ut_nr_hugepages(-1);
	uint8_t *huge = MAP_FAILED;

	if (reserved >= 0 && ut_nr_hugepages_compacting(reserved + 1) > reserved) {
		huge = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	}
	CU_ASSERT(huge != MAP_FAILED);
	if (huge != MAP_FAILED) {
		memset(huge, 1, HUGE);
		CU_ASSERT_EQUAL(usk_mem_register(huge, HUGE), 0);
		check_hugepage_translations(huge);
		CU_ASSERT_EQUAL(usk_mem_unregister(huge, HUGE), 0);
		munmap(huge, HUGE);
	}
	ut_nr_hugepages(reserved);
	ut_hugepages_unlock(lock);
}

/* With no hugepage free, the heap refuses rather than hand out movable pages. */
static void test_heap_takes_only_hugepages(void)
{
	int lock = ut_hugepages_lock();
	long reserved = ut_nr_hugepages(-1);
	void *buf;

	ut_nr_hugepages(0);
	/* Another process may hold some: none is free either way. */
	CU_ASSERT_EQUAL(ut_free_hugepages(), 0);
	buf = usk_dma_malloc(4096, 4096, -1);
	CU_ASSERT_PTR_NULL(buf);
	usk_dma_free(buf);
	ut_nr_hugepages(reserved);
	ut_hugepages_unlock(lock);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_ordinary_pages_are_refused),
		UT_TEST(test_hugepages_translate_to_physical),
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
