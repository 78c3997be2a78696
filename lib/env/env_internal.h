/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the pieces of lib/env tell each other. The memory code (DMA
 * allocation, registration, the IOVA allocator and translation map) and the
 * VFIO code (container, groups, devices) meet here and nowhere else: the
 * memory code never calls VFIO directly, so it works, and is tested, in a
 * process that has no VFIO container.
 */
#ifndef USK_ENV_INTERNAL_H
#define USK_ENV_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usk/env.h"
#include "usk_internal/env.h" /* struct env_dma_map_hooks */

/* Page size of the translation map and of registrations. */
#define ENV_PAGE_SHIFT	  12
#define ENV_PAGE_SIZE	  (UINT64_C(1) << ENV_PAGE_SHIFT)
#define ENV_HUGEPAGE_SIZE (UINT64_C(2) << 20)

/*
 * The IOVAs where the platform's IOMMU takes device writes as interrupts
 * (x86's MSI window, the software MSI window Linux sets up on arm64).
 * IOMMUs report them as holes.
 */
#if defined(__x86_64__)
#define ENV_IOVA_MSI_START UINT64_C(0xfee00000)
#define ENV_IOVA_MSI_END   UINT64_C(0xfef00000)
#elif defined(__aarch64__)
#define ENV_IOVA_MSI_START UINT64_C(0x8000000)
#define ENV_IOVA_MSI_END   UINT64_C(0x8100000)
#else
#error "no MSI window known for this architecture"
#endif

/* The options usk_env_init() was given; valid while the env is up. */
extern struct usk_env_opts g_env_opts;

/* Where sysfs is: "/sys", or a fake tree in tests. */
extern const char *g_env_sysfs_root;

/* Whether usk_env_init() has run (and usk_env_fini() has not). */
bool env_is_initialized(void);

/*
 * The IOVA allocator: the free ranges of [base, limit), first fit, and apart
 * from them the reserved ones (holes in what the IOMMU translates), so that
 * a hole named twice is reserved once and is never taken for an allocation.
 * Both lists are sorted and merged. Not thread-safe: the memory registry's
 * lock covers it.
 */
struct iova_range {
	uint64_t start;
	uint64_t end; /* exclusive */
};

struct iova_ranges {
	struct iova_range *at;
	size_t count;
	size_t capacity;
};

struct iova_allocator {
	struct iova_ranges free;
	struct iova_ranges reserved;
	uint64_t base;
	uint64_t limit;
};

int iova_allocator_init(struct iova_allocator *a, uint64_t base, uint64_t limit);
void iova_allocator_fini(struct iova_allocator *a);
/* Returns 0 and the IOVA, -EINVAL for a bad size or alignment, -ENOSPC. */
int iova_alloc(struct iova_allocator *a, uint64_t size, uint64_t align, uint64_t *iova);
/* Gives back [iova, iova + size); must be exactly what iova_alloc() gave. */
int iova_free(struct iova_allocator *a, uint64_t iova, uint64_t size);
/* Never hands out [start, end) (an IOMMU's reserved window), whether it is
 * free or reserved already; -EBUSY, and nothing reserved, if part of it is
 * allocated. */
int iova_reserve(struct iova_allocator *a, uint64_t start, uint64_t end);
/* Lowers (or raises) the limit; -ERANGE if an allocated IOVA is above it.
 * Reservations above a lowered limit are forgotten. */
int iova_allocator_set_limit(struct iova_allocator *a, uint64_t limit);

/*
 * Which entries of a top-level table of 2^18 leaves (the translation map's,
 * the DMA heap's chunk information) hold one, so that the table's fini
 * visits those only: a walk over every entry faulted in the whole 2 MiB
 * table to find it nearly empty, 15 ms of each process's exit here.
 */
#define ENV_TOP_ENTRIES (1u << 18)

struct env_top_used {
	_Atomic uint64_t words[ENV_TOP_ENTRIES / 64];
};

static inline void env_top_used_set(struct env_top_used *u, uint32_t i)
{
	atomic_fetch_or_explicit(&u->words[i / 64], UINT64_C(1) << (i % 64), memory_order_relaxed);
}

/* Calls @fn for each entry marked, and unmarks them. */
static inline void env_top_used_drain(struct env_top_used *u, void (*fn)(uint32_t i))
{
	for (uint32_t w = 0; w < ENV_TOP_ENTRIES / 64; w++) {
		/* Read first: writing every word would fault in every page of the bitmap. */
		uint64_t bits = atomic_load_explicit(&u->words[w], memory_order_relaxed);

		if (bits == 0) {
			continue;
		}
		atomic_store_explicit(&u->words[w], 0, memory_order_relaxed);
		for (; bits != 0; bits &= bits - 1) {
			fn(w * 64 + (uint32_t)__builtin_ctzll(bits));
		}
	}
}

/*
 * The translation map: one entry per 4 KiB page of the 48-bit user address
 * space, in a two-level radix tree. Readers are lock-free; writers are
 * serialised by the memory registry's lock.
 */
int mem_map_set(uintptr_t vaddr, uint64_t len, uint64_t iova);
void mem_map_clear(uintptr_t vaddr, uint64_t len);
void mem_map_fini(void);

/*
 * The memory registry (mem_register.c): regions with their IOVAs.
 */
int env_mem_init(uint32_t iova_width);
void env_mem_fini(void);

/* The DMA heap (dma_alloc.c). */
void env_dma_fini(void);
/*
 * From now on only hugepages (no-IOMMU mode); -ENOTSUP, logged, when DMA
 * memory already in ordinary pages exists.
 */
int env_dma_require_hugepages(void);
/* Ordinary pages again: the no-IOMMU mode that required hugepages did not come up. */
void env_dma_allow_small_pages(void);

/* Closes the VFIO container, if one is open (vfio_container.c). */
void env_vfio_fini(void);

/*
 * Limit IOVAs to [0, 2^bits): the VFIO code calls it with the IOMMU's
 * address width once it knows it. Returns -ERANGE if an IOVA already
 * handed out is above the limit.
 */
int env_iova_set_width(uint32_t bits);

/* Never hand out IOVAs in [start, end): a hole in what the IOMMU translates. */
int env_iova_reserve(uint64_t start, uint64_t end);

#endif /* USK_ENV_INTERNAL_H */
