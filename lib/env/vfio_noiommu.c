/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO's no-IOMMU mode: with no IOMMU to translate, a device reaches host
 * memory by physical address, so a region's "IOVAs" are the physical
 * addresses of its pages, read from /proc/self/pagemap (root only: others
 * read zeroes there). The pages must stay where they are for as long as a
 * device may use them, which only hugepages promise (ordinary pages can be
 * migrated): the DMA heap takes nothing else in this mode.
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

static int g_pagemap_fd = -1;

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
			USK_ERRLOG("no-IOMMU mode: cannot find the physical address of %p: %s",
				   (void *)(va + done),
				   rc == -EPERM ? "/proc/self/pagemap hides it; run as root"
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

static int noiommu_map_existing(void *ctx, void *vaddr, uint64_t iova, uint64_t len)
{
	return noiommu_map(vaddr, iova, len);
}

int vfio_noiommu_setup(void)
{
	int rc;

	USK_WARNLOG("VFIO no-IOMMU mode: devices reach memory by physical address, unchecked; "
		    "use it only where no IOMMU can be had");
	rc = env_dma_require_hugepages();
	if (rc != 0) {
		return rc;
	}
	g_pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (g_pagemap_fd < 0) {
		rc = -errno;
		USK_ERRLOG("no-IOMMU mode: cannot open /proc/self/pagemap: %s", strerror(-rc));
		return rc;
	}
	rc = env_mem_for_each_region(noiommu_map_existing, NULL);
	if (rc == 0) {
		env_mem_set_dma_map_hooks(&g_noiommu_hooks);
	}
	return rc;
}

void vfio_noiommu_fini(void)
{
	if (g_pagemap_fd >= 0) {
		close(g_pagemap_fd);
		g_pagemap_fd = -1;
	}
}
