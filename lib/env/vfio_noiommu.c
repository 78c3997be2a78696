/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO's no-IOMMU mode: with no IOMMU to translate, a device reaches host
 * memory by physical address, so a region's "IOVAs" are the physical
 * addresses of its pages, read from /proc/self/pagemap (root only: others
 * read zeroes there). The pages must stay where they are for as long as a
 * device may use them, which only hugepages promise (ordinary pages can be
 * migrated): the DMA heap takes nothing else in this mode, and a region
 * whose frames are not hugepages (/proc/kpageflags) is refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_internal.h"
#include "vfio_internal.h"
#include "usk/log.h"
#include "usk/util.h"

/* /proc/self/pagemap: one 64-bit entry per page; bit 63 present, bits 54:0 the PFN. */
#define PAGEMAP_PRESENT	 (UINT64_C(1) << 63)
#define PAGEMAP_PFN_MASK ((UINT64_C(1) << 55) - 1)
/* Entries read at a time: the page table of 2 MiB. */
#define PAGEMAP_BATCH 512
/* /proc/kpageflags, one 64-bit word per frame: bit 17 is KPF_HUGE. */
#define KPF_HUGE_BIT 17

static int g_pagemap_fd = -1;
static int g_kpageflags_fd = -1;

/* Whether frame @pfn belongs to a hugepage; only those stay where they are. */
static bool noiommu_frame_is_huge(uint64_t pfn)
{
	uint64_t flags = 0;

	return pread(g_kpageflags_fd, &flags, sizeof(flags), (off_t)(pfn * sizeof(flags))) ==
		       (ssize_t)sizeof(flags) &&
	       (flags >> KPF_HUGE_BIT & 1) != 0;
}

/* Makes sure each page of the range has its own frame: a write fault, data unchanged. */
static void noiommu_fault_in(uintptr_t vaddr, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += ENV_PAGE_SIZE) {
		__atomic_fetch_add((uint8_t *)(vaddr + off), 0, __ATOMIC_RELAXED);
	}
}

/* Translates @count pages from @vaddr into the map; -EPERM when the PFNs are hidden. */
static int noiommu_map_batch(uintptr_t vaddr, uint32_t count)
{
	uint64_t entries[PAGEMAP_BATCH];
	size_t bytes = count * sizeof(entries[0]);
	off_t at = (off_t)(vaddr >> ENV_PAGE_SHIFT) * (off_t)sizeof(entries[0]);

	if (pread(g_pagemap_fd, entries, bytes, at) != (ssize_t)bytes) {
		return -errno != 0 ? -errno : -EIO;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t pfn = entries[i] & PAGEMAP_PFN_MASK;
		int rc;

		if ((entries[i] & PAGEMAP_PRESENT) == 0 || pfn == 0) {
			return -EPERM;
		}
		if (!noiommu_frame_is_huge(pfn)) {
			return -EINVAL;
		}
		rc = mem_map_set(vaddr + ((uintptr_t)i << ENV_PAGE_SHIFT), ENV_PAGE_SIZE,
				 pfn << ENV_PAGE_SHIFT);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

/* The map hook: the region's pages get their physical addresses as IOVAs. */
static int noiommu_map(void *vaddr, uint64_t iova, uint64_t len)
{
	uintptr_t va = (uintptr_t)vaddr;

	noiommu_fault_in(va, len);
	for (uint64_t done = 0; done < len;) {
		uint32_t count = (uint32_t)USK_MIN((len - done) >> ENV_PAGE_SHIFT, PAGEMAP_BATCH);
		int rc = noiommu_map_batch(va + done, count);

		if (rc != 0) {
			USK_ERRLOG("no-IOMMU mode: cannot give %p to a device: %s",
				   (void *)(va + done),
				   rc == -EPERM
					   ? "/proc/self/pagemap hides its address; run as root"
				   : rc == -EINVAL ? "it is not in hugepages, which alone stay put"
						   : strerror(-rc));
			return rc;
		}
		done += (uint64_t)count << ENV_PAGE_SHIFT;
	}
	return 0;
}

/* Nothing to undo: the memory code clears the map itself. */
static int noiommu_unmap(uint64_t iova, uint64_t len)
{
	return 0;
}

static const struct env_dma_map_hooks g_noiommu_hooks = {
	.map = noiommu_map,
	.unmap = noiommu_unmap,
};

int vfio_noiommu_setup(void)
{
	int rc;

	USK_WARNLOG("VFIO no-IOMMU mode: devices reach memory by physical address, unchecked; "
		    "use it only where no IOMMU can be had");
	rc = env_dma_require_hugepages();
	if (rc != 0) {
		goto allow_small_pages;
	}
	g_pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	g_kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (g_pagemap_fd < 0 || g_kpageflags_fd < 0) {
		rc = -errno;
		USK_ERRLOG("no-IOMMU mode: cannot open %s: %s (run as root)",
			   g_pagemap_fd < 0 ? "/proc/self/pagemap" : "/proc/kpageflags",
			   strerror(-rc));
		goto close_files;
	}
	rc = env_mem_set_dma_map_hooks(&g_noiommu_hooks);
	if (rc != 0) {
		/* A later attach sets up again and would open them a second time. */
		goto close_files;
	}
	return 0;

close_files:
	vfio_noiommu_fini();
allow_small_pages:
	/* A group of the other mode may attach next, and DMA memory needs no hugepages then. */
	env_dma_allow_small_pages();
	return rc;
}

void vfio_noiommu_fini(void)
{
	if (g_pagemap_fd >= 0) {
		close(g_pagemap_fd);
		g_pagemap_fd = -1;
	}
	if (g_kpageflags_fd >= 0) {
		close(g_kpageflags_fd);
		g_kpageflags_fd = -1;
	}
}
