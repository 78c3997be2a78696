/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory registry: every region that devices may reach, with its IOVA
 * range. Registration gives a region one contiguous IOVA range, fills the
 * translation map, and maps it in the IOMMU through the VFIO code's hooks
 * once a container is open.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "env_internal.h"
#include "usk/log.h"
#include "usk/util.h"
#include "usk_internal/env.h"

/* IOVAs start at 1 MiB: address 0 and the low pages stay unused. */
#define IOVA_BASE (UINT64_C(1) << 20)

struct mem_region {
	uintptr_t vaddr;
	uint64_t len;
	uint64_t iova;
};

static pthread_mutex_t g_mem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mem_region *g_regions; /* sorted by vaddr */
static size_t g_region_count;
static size_t g_region_capacity;
static struct iova_allocator g_iova;
static const struct env_dma_map_hooks *g_hooks;

int env_mem_init(uint32_t iova_width)
{
	if (iova_width < 32 || iova_width > 64) {
		return -EINVAL;
	}
	uint64_t limit = iova_width == 64 ? UINT64_MAX : UINT64_C(1) << iova_width;
	int rc = iova_allocator_init(&g_iova, IOVA_BASE, limit & ~(ENV_PAGE_SIZE - 1));

	/*
	 * Memory registered before the first device is attached gets its IOVAs
	 * before the IOMMU names its holes: the MSI window, a hole on every
	 * IOMMU, is never handed out.
	 */
	if (rc == 0) {
		rc = iova_reserve(&g_iova, ENV_IOVA_MSI_START, ENV_IOVA_MSI_END);
	}
	return rc;
}

void env_mem_fini(void)
{
	pthread_mutex_lock(&g_mem_lock);
	while (g_region_count > 0) {
		struct mem_region *r = &g_regions[g_region_count - 1];

		if (g_hooks != NULL) {
			g_hooks->unmap(r->iova, r->len);
		}
		mem_map_clear(r->vaddr, r->len);
		g_region_count--;
	}
	free(g_regions);
	g_regions = NULL;
	g_region_capacity = 0;
	iova_allocator_fini(&g_iova);
	mem_map_fini();
	pthread_mutex_unlock(&g_mem_lock);
}

/* Index of the first region that ends after @vaddr. */
static size_t region_lower_bound(uintptr_t vaddr)
{
	size_t lo = 0;
	size_t hi = g_region_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g_regions[mid].vaddr + g_regions[mid].len <= vaddr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static int region_insert(size_t at, const struct mem_region *r)
{
	if (g_region_count == g_region_capacity) {
		size_t capacity = g_region_capacity == 0 ? 64 : g_region_capacity * 2;
		struct mem_region *grown = realloc(g_regions, capacity * sizeof(*grown));

		if (grown == NULL) {
			return -ENOMEM;
		}
		g_regions = grown;
		g_region_capacity = capacity;
	}
	memmove(&g_regions[at + 1], &g_regions[at], (g_region_count - at) * sizeof(*r));
	g_regions[at] = *r;
	g_region_count++;
	return 0;
}

/* Gives [vaddr, vaddr + len) its IOVAs; the caller holds g_mem_lock. */
static int mem_register_locked(uintptr_t vaddr, uint64_t len)
{
	/* Hugepage-sized regions get hugepage-aligned IOVAs: the IOMMU can use large pages. */
	uint64_t align = len >= ENV_HUGEPAGE_SIZE && usk_is_aligned(vaddr, ENV_HUGEPAGE_SIZE)
				 ? ENV_HUGEPAGE_SIZE
				 : ENV_PAGE_SIZE;
	size_t at = region_lower_bound(vaddr);
	struct mem_region r = {.vaddr = vaddr, .len = len};
	int rc;

	if (at < g_region_count && g_regions[at].vaddr < vaddr + len) {
		return -EEXIST;
	}
	rc = iova_alloc(&g_iova, len, align, &r.iova);
	if (rc == -ENOSPC && align > ENV_PAGE_SIZE) {
		/* The large-page alignment is a preference: fragmented space still serves. */
		rc = iova_alloc(&g_iova, len, ENV_PAGE_SIZE, &r.iova);
	}
	if (rc != 0) {
		return rc;
	}
	rc = mem_map_set(vaddr, len, r.iova);
	if (rc != 0) {
		goto free_iova;
	}
	if (g_hooks != NULL) {
		rc = g_hooks->map((void *)vaddr, r.iova, len);
		if (rc != 0) {
			goto clear_map;
		}
	}
	rc = region_insert(at, &r);
	if (rc != 0) {
		goto unmap_iommu;
	}
	return 0;

unmap_iommu:
	if (g_hooks != NULL) {
		g_hooks->unmap(r.iova, len);
	}
clear_map:
	mem_map_clear(vaddr, len);
free_iova:
	iova_free(&g_iova, r.iova, len);
	return rc;
}

int usk_mem_register(void *vaddr, size_t len)
{
	uintptr_t va = (uintptr_t)vaddr;
	int rc;

	if (!env_is_initialized()) {
		USK_ERRLOG("memory registration before usk_env_init()");
		return -EINVAL;
	}
	if (len == 0 || !usk_is_aligned(va | len, ENV_PAGE_SIZE) || va + len < va) {
		return -EINVAL;
	}
	pthread_mutex_lock(&g_mem_lock);
	rc = mem_register_locked(va, len);
	pthread_mutex_unlock(&g_mem_lock);
	return rc;
}

int usk_mem_unregister(void *vaddr, size_t len)
{
	uintptr_t va = (uintptr_t)vaddr;
	int rc = -ENOENT;

	pthread_mutex_lock(&g_mem_lock);
	size_t at = region_lower_bound(va);

	if (at < g_region_count && g_regions[at].vaddr == va && g_regions[at].len == len) {
		struct mem_region r = g_regions[at];

		if (g_hooks != NULL) {
			g_hooks->unmap(r.iova, r.len);
		}
		mem_map_clear(r.vaddr, r.len);
		iova_free(&g_iova, r.iova, r.len);
		memmove(&g_regions[at], &g_regions[at + 1], (g_region_count - at - 1) * sizeof(r));
		g_region_count--;
		rc = 0;
	}
	pthread_mutex_unlock(&g_mem_lock);
	return rc;
}

int env_mem_set_dma_map_hooks(const struct env_dma_map_hooks *hooks)
{
	size_t mapped = 0;
	int rc = 0;

	/* One lock for both: a region registered meanwhile gets mapped too. */
	pthread_mutex_lock(&g_mem_lock);
	for (; hooks != NULL && mapped < g_region_count && rc == 0; mapped++) {
		const struct mem_region *r = &g_regions[mapped];

		rc = hooks->map((void *)r->vaddr, r->iova, r->len);
	}
	if (rc != 0) {
		/* All or nothing: undo the ones mapped before the failure. */
		for (size_t i = 0; i + 1 < mapped; i++) {
			hooks->unmap(g_regions[i].iova, g_regions[i].len);
		}
	} else {
		g_hooks = hooks;
	}
	pthread_mutex_unlock(&g_mem_lock);
	return rc;
}

int env_iova_set_width(uint32_t bits)
{
	uint64_t limit = bits >= 64 ? UINT64_MAX & ~(ENV_PAGE_SIZE - 1) : UINT64_C(1) << bits;
	int rc;

	pthread_mutex_lock(&g_mem_lock);
	rc = iova_allocator_set_limit(&g_iova, limit);
	pthread_mutex_unlock(&g_mem_lock);
	return rc;
}

int env_iova_reserve(uint64_t start, uint64_t end)
{
	int rc;

	start = usk_align_down(start, ENV_PAGE_SIZE);
	end = usk_align_up(end, ENV_PAGE_SIZE);
	pthread_mutex_lock(&g_mem_lock);
	rc = iova_reserve(&g_iova, start, end);
	pthread_mutex_unlock(&g_mem_lock);
	return rc;
}

void *env_iova_to_vaddr(uint64_t iova, uint64_t *len)
{
	void *vaddr = NULL;

	pthread_mutex_lock(&g_mem_lock);
	for (size_t i = 0; i < g_region_count; i++) {
		const struct mem_region *r = &g_regions[i];

		if (iova >= r->iova && iova - r->iova < r->len) {
			vaddr = (void *)(r->vaddr + (iova - r->iova));
			if (len != NULL) {
				*len = r->len - (iova - r->iova);
			}
			break;
		}
	}
	pthread_mutex_unlock(&g_mem_lock);
	return vaddr;
}
