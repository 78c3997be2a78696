/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/env functions that tests and other libraries of USK use, but that
 * are not part of the public API.
 */
#ifndef USK_INTERNAL_ENV_H
#define USK_INTERNAL_ENV_H

#include <stdint.h>

/*
 * The virtual address that a registered IOVA stands for, or NULL when
 * no registered region holds it; *len (when not NULL) gets the number of
 * bytes from there to the end of the region. Not for the data path
 * (a search, not O(1)): the NVMe controller model uses it to reach host
 * memory the way a device does.
 */
void *env_iova_to_vaddr(uint64_t iova, uint64_t *len);

/*
 * Hooks the VFIO code installs when it opens the process's container (and
 * the NVMe controller model of the unit tests, to keep its own IOVA table,
 * as an IOMMU does). From then on the memory code calls map for every
 * region it registers and unmap before it forgets one. A map failure fails
 * the registration. One set at a time, for the whole process.
 */
struct env_dma_map_hooks {
	int (*map)(void *vaddr, uint64_t iova, uint64_t len);
	int (*unmap)(uint64_t iova, uint64_t len);
};

/*
 * Install (or, with NULL, remove) the hooks. Installing maps every region
 * registered so far, under the same lock as later registrations, so none
 * is missed; if one map fails, those done are undone and the hooks are not
 * installed (its error is returned). While installed, registrations and
 * unregistrations call them under the memory code's lock, so they must not
 * call back into lib/env's memory functions.
 */
int env_mem_set_dma_map_hooks(const struct env_dma_map_hooks *hooks);

#endif /* USK_INTERNAL_ENV_H */
