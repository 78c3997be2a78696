/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "perf_workload.h"

int perf_workload_init(struct perf_workload_state *w, enum perf_pattern pattern,
		       uint32_t read_percent, uint64_t ns_blocks, uint32_t blocks_per_io,
		       uint64_t seed)
{
	if (blocks_per_io == 0 || ns_blocks < blocks_per_io || read_percent > 100) {
		return -EINVAL;
	}
	w->pattern = pattern;
	w->slots = ns_blocks / blocks_per_io;
	w->next_slot = 0;
	/* splitmix64 of the seed: nearby seeds give unrelated streams, never 0. */
	seed += UINT64_C(0x9E3779B97F4A7C15);
	seed = (seed ^ (seed >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	seed = (seed ^ (seed >> 27)) * UINT64_C(0x94D049BB133111EB);
	seed ^= seed >> 31;
	w->rng = seed != 0 ? seed : 1;
	/* 100% maps to UINT32_MAX, which perf_workload_next_is_read() treats as always. */
	w->read_threshold =
		read_percent == 100 ? UINT32_MAX : (uint32_t)(((uint64_t)read_percent << 32) / 100);
	return 0;
}
