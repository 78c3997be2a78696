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

#endif /* USK_INTERNAL_ENV_H */
