/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme_perf's -c: which cores get a worker. */
#ifndef USK_PERF_CORES_H
#define USK_PERF_CORES_H

#include <stddef.h>
#include <stdint.h>

#define PERF_MAX_CORES 256

/*
 * Parses a core mask ("0x3", "3") or a list ("[0,1]", "0-3,8") into
 * @cores, in increasing order, as usk_tgt's -m does. Returns the number
 * of cores, or -EINVAL for malformed text, an empty set, more than @max
 * cores or one this process may not run on (its affinity, as taskset
 * sets it), with the reason in @err.
 */
int perf_cores_parse(const char *text, uint32_t *cores, uint32_t max, char *err, size_t errlen);

#endif /* USK_PERF_CORES_H */
