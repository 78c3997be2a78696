/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one parser of core masks and lists: usk_tgt's -m and usk_nvme_perf's
 * -c take the same text, so a mask that one refuses the other refuses too.
 */
#ifndef USK_INTERNAL_CPUMASK_H
#define USK_INTERNAL_CPUMASK_H

#include <stddef.h>
#include <stdint.h>

/* The most reactors the app framework runs: the size of a parsed core list. */
#define EVENT_MAX_CORES 256

/*
 * Parses a core mask ("0x3", "3") or list ("[0,2-3]", "0-1") into @cores
 * (at most @max, ascending); each core must be one this process may run
 * on. Returns 0, or -EINVAL with the reason in @err.
 */
int event_cpumask_parse(const char *mask, int *cores, uint32_t max, uint32_t *count, char *err,
			size_t errlen);

#endif /* USK_INTERNAL_CPUMASK_H */
