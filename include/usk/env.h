/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The environment: DMA-able memory, its IOVAs, and the translation from
 * virtual addresses to IOVAs that drivers put in commands.
 *
 * With an IOMMU, DMA memory needs no hugepages: ordinary memory pinned by
 * the VFIO DMA map is DMA-able. USK uses hugepages when they are reserved
 * (fewer IOMMU mappings and TLB misses) and ordinary 4 KiB pages otherwise.
 * IOVAs come from USK's own allocator, inside the IOMMU's address width,
 * never from virtual addresses (which do not fit a 39-bit IOMMU).
 *
 * Thread rules: usk_env_init() and usk_env_fini() are called once each,
 * from one thread, with no other USK call in progress. Everything else may
 * be called from any thread after usk_env_init().
 */
#ifndef USK_ENV_H
#define USK_ENV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** Any NUMA node. */
#define USK_ENV_NUMA_ANY (-1)

/** What usk_vtoiova() returns for memory that is not registered. */
#define USK_IOVA_INVALID UINT64_MAX

/** Whether DMA memory comes from hugepages. */
enum usk_env_hugepages {
	/** Hugepages when some are free, 4 KiB pages otherwise (logged once). */
	USK_ENV_HUGEPAGES_AUTO = 0,
	/** Hugepages only: allocations fail when none are free. */
	USK_ENV_HUGEPAGES_ON,
	/** Never hugepages. */
	USK_ENV_HUGEPAGES_OFF,
};

/** Options of usk_env_init(). Fill with usk_env_opts_init() first. */
struct usk_env_opts {
	/** sizeof(struct usk_env_opts) as the caller knows it. */
	size_t opts_size;
	/** Hugepage policy (default USK_ENV_HUGEPAGES_AUTO). */
	enum usk_env_hugepages hugepages;
	/**
	 * Most DMA memory the process may allocate, in MiB; 0 for no limit
	 * but the system's (default 0).
	 */
	uint64_t mem_limit_mb;
	/**
	 * IOVA address width in bits before a VFIO container tells the real
	 * one (default 39, what most IOMMUs have).
	 */
	uint32_t iova_width;
};

/**
 * Fill @p opts with the defaults.
 *
 * @param opts      the options to fill
 * @param opts_size sizeof(struct usk_env_opts) as the caller was built with
 */
void usk_env_opts_init(struct usk_env_opts *opts, size_t opts_size);

/**
 * Set up the environment. Must come before any other usk_ call but the
 * log and util ones.
 *
 * @param opts options, or NULL for the defaults
 * @return 0; -EALREADY if it is already set up; -EINVAL for bad options.
 */
int usk_env_init(const struct usk_env_opts *opts);

/**
 * Tear the environment down: frees every DMA allocation, unregisters every
 * region and closes the VFIO container. Devices must be detached first.
 */
void usk_env_fini(void);

/**
 * Allocate DMA-able memory, registered (so usk_vtoiova() translates it)
 * and, once a device is attached, mapped in the IOMMU.
 *
 * @param size      bytes, > 0
 * @param align     alignment, a power of two up to 2 MiB; 0 means 64
 * @param numa_node node to place the memory on, or USK_ENV_NUMA_ANY
 * @return the memory, or NULL (the log says why: not initialised, out of
 *         memory, hugepages required but none free, bad alignment).
 */
void *usk_dma_malloc(size_t size, size_t align, int numa_node);

/** usk_dma_malloc(), with the memory zeroed. */
void *usk_dma_zmalloc(size_t size, size_t align, int numa_node);

/**
 * Free memory from usk_dma_malloc() or usk_dma_zmalloc(). NULL is ignored.
 * No device may still be using it.
 */
void usk_dma_free(void *buf);

/**
 * Translate a virtual address to the IOVA a device uses for it. O(1) and
 * lock-free: meant for the data path.
 *
 * @param vaddr an address inside registered memory
 * @param size  NULL, or on input the number of bytes wanted from @p vaddr
 *              and on output how many of them are IOVA-contiguous
 *              (at most the input)
 * @return the IOVA, or USK_IOVA_INVALID when @p vaddr is not registered.
 */
uint64_t usk_vtoiova(const void *vaddr, uint64_t *size);

/**
 * Register memory of the caller's (e.g. its own hugepage buffers) for
 * zero-copy I/O: it gets IOVAs and is mapped in the IOMMU.
 *
 * @param vaddr start, 4 KiB-aligned
 * @param len   length, a multiple of 4 KiB
 * @return 0; -EINVAL for a misaligned or empty range; -EEXIST if it
 *         overlaps a registered region; -ENOSPC when the IOVA space is
 *         full; -ENOMEM, or the IOMMU's error (e.g. -ENOMEM when the
 *         memlock limit is too low, with a log line naming the limit).
 */
int usk_mem_register(void *vaddr, size_t len);

/**
 * Unregister a region registered with usk_mem_register(), exactly as it was
 * registered.
 *
 * @return 0, or -ENOENT when no region starts at @p vaddr with length @p len.
 */
int usk_mem_unregister(void *vaddr, size_t len);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_ENV_H */
