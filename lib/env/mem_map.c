/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translation map: virtual page -> IOVA for every registered 4 KiB page,
 * so any 4 KiB-aligned registration works (not only 2 MiB-aligned ones).
 *
 * A 48-bit address splits into 18 bits of top index (1 GiB each), 18 bits of
 * leaf index (4 KiB each) and the page offset. A leaf table is 2 MiB of
 * anonymous memory: the kernel backs only the pages that get written, so a
 * sparse map costs little. An entry holds the page's IOVA with bit 0 set,
 * and 0 for "not registered", which is what fresh anonymous memory reads.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "env_internal.h"
#include "usk/util.h"

#define MAP_LEAF_BITS	 18
#define MAP_TOP_BITS	 18
#define MAP_LEAF_ENTRIES (1u << MAP_LEAF_BITS)
#define MAP_TOP_ENTRIES	 (1u << MAP_TOP_BITS)
#define MAP_VA_BITS	 (ENV_PAGE_SHIFT + MAP_LEAF_BITS + MAP_TOP_BITS)
#define MAP_ENTRY_VALID	 UINT64_C(1)

typedef _Atomic uint64_t map_leaf[MAP_LEAF_ENTRIES];

static map_leaf *_Atomic g_map_top[MAP_TOP_ENTRIES];
static struct env_top_used g_map_top_used;
_Static_assert(MAP_TOP_ENTRIES == ENV_TOP_ENTRIES, "g_map_top_used covers g_map_top");

static inline uint64_t map_top_index(uintptr_t vaddr)
{
	return (vaddr >> (ENV_PAGE_SHIFT + MAP_LEAF_BITS)) & (MAP_TOP_ENTRIES - 1);
}

static inline uint64_t map_leaf_index(uintptr_t vaddr)
{
	return (vaddr >> ENV_PAGE_SHIFT) & (MAP_LEAF_ENTRIES - 1);
}

/* The page's entry, or 0; lock-free. */
static inline uint64_t map_entry(uintptr_t vaddr)
{
	map_leaf *leaf;

	if ((vaddr >> MAP_VA_BITS) != 0) {
		return 0;
	}
	/* Acquire pairs with the release that published the leaf: its entries are visible. */
	leaf = atomic_load_explicit(&g_map_top[map_top_index(vaddr)], memory_order_acquire);
	if (leaf == NULL) {
		return 0;
	}
	return atomic_load_explicit(&(*leaf)[map_leaf_index(vaddr)], memory_order_relaxed);
}

static map_leaf *map_leaf_get_or_create(uintptr_t vaddr)
{
	_Atomic(map_leaf *) *slot = &g_map_top[map_top_index(vaddr)];
	map_leaf *leaf = atomic_load_explicit(slot, memory_order_relaxed);

	if (leaf != NULL) {
		return leaf;
	}
	leaf = mmap(NULL, sizeof(map_leaf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (leaf == MAP_FAILED) {
		return NULL;
	}
	atomic_store_explicit(slot, leaf, memory_order_release);
	env_top_used_set(&g_map_top_used, (uint32_t)map_top_index(vaddr));
	return leaf;
}

int mem_map_set(uintptr_t vaddr, uint64_t len, uint64_t iova)
{
	/* Compared by length, not by end: an end past 2^64 wraps to a low address. */
	if (!usk_is_aligned(vaddr | len | iova, ENV_PAGE_SIZE) || len == 0 ||
	    (vaddr >> MAP_VA_BITS) != 0 || len > (UINT64_C(1) << MAP_VA_BITS) - vaddr) {
		return -EINVAL;
	}
	for (uint64_t off = 0; off < len; off += ENV_PAGE_SIZE) {
		map_leaf *leaf = map_leaf_get_or_create(vaddr + off);

		if (leaf == NULL) {
			mem_map_clear(vaddr, off);
			return -ENOMEM;
		}
		atomic_store_explicit(&(*leaf)[map_leaf_index(vaddr + off)],
				      (iova + off) | MAP_ENTRY_VALID, memory_order_relaxed);
	}
	return 0;
}

void mem_map_clear(uintptr_t vaddr, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += ENV_PAGE_SIZE) {
		map_leaf *leaf = atomic_load_explicit(&g_map_top[map_top_index(vaddr + off)],
						      memory_order_relaxed);

		if (leaf != NULL) {
			atomic_store_explicit(&(*leaf)[map_leaf_index(vaddr + off)], 0,
					      memory_order_relaxed);
		}
	}
}

static void map_leaf_free(uint32_t top)
{
	map_leaf *leaf = atomic_exchange(&g_map_top[top], NULL);

	if (leaf != NULL) {
		munmap(leaf, sizeof(map_leaf));
	}
}

void mem_map_fini(void)
{
	env_top_used_drain(&g_map_top_used, map_leaf_free);
}

uint64_t usk_vtoiova(const void *vaddr, uint64_t *size)
{
	uintptr_t va = (uintptr_t)vaddr;
	uint64_t entry = map_entry(va);
	uint64_t offset = va & (ENV_PAGE_SIZE - 1);

	if (entry == 0) {
		return USK_IOVA_INVALID;
	}
	uint64_t iova = (entry & ~MAP_ENTRY_VALID) + offset;

	if (size != NULL) {
		/* Walk the following pages while their IOVAs follow on. */
		uint64_t contiguous = ENV_PAGE_SIZE - offset;

		while (contiguous < *size &&
		       map_entry(va + contiguous) == ((iova + contiguous) | MAP_ENTRY_VALID)) {
			contiguous += ENV_PAGE_SIZE;
		}
		*size = USK_MIN(contiguous, *size);
	}
	return iova;
}
