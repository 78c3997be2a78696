/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme_perf's -c: which cores get a worker. */
#ifndef USK_PERF_CORES_H
#define USK_PERF_CORES_H

#include <stdint.h>

#define PERF_MAX_CORES 256

/*
 * Parses a core mask ("0x3", "3") or a list ("[0,1]", "0-3,8") into
 * @cores, in increasing order. Returns the number of cores, or -EINVAL
 * for malformed text, an empty set or a core above PERF_MAX_CORES - 1.
 */
int perf_cores_parse(const char *text, uint32_t *cores);

/*
 * The first of the @count @cores that this process may not run on (its
 * affinity, as taskset sets it), or -1 when it may run on all of them.
 */
int perf_cores_first_forbidden(const uint32_t *cores, int count);

#endif /* USK_PERF_CORES_H */
