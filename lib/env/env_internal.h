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

#include <stdint.h>

/*
 * Hooks the VFIO code installs when it opens the process's container.
 * From then on the memory code calls map for every region it registers and
 * unmap before it forgets one. A map failure fails the registration.
 */
struct env_dma_map_hooks {
	int (*map)(void *vaddr, uint64_t iova, uint64_t len);
	int (*unmap)(uint64_t iova, uint64_t len);
};

/*
 * Install (or, with NULL, remove) the hooks. While they are installed,
 * registrations and unregistrations call them under the memory code's lock.
 */
void env_mem_set_dma_map_hooks(const struct env_dma_map_hooks *hooks);

/*
 * Call fn for every registered region, in IOVA order, under the memory
 * code's lock; the VFIO code maps the regions that existed before its
 * container. Stops at, and returns, the first non-zero value fn returns.
 */
typedef int (*env_mem_region_fn)(void *ctx, void *vaddr, uint64_t iova, uint64_t len);
int env_mem_for_each_region(env_mem_region_fn fn, void *ctx);

/*
 * Limit IOVAs to [0, 2^bits): the VFIO code calls it with the IOMMU's
 * address width once it knows it. Returns -ERANGE if an IOVA already
 * handed out is above the limit.
 */
int env_iova_set_width(uint32_t bits);

#endif /* USK_ENV_INTERNAL_H */
