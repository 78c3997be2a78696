/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where each I/O of usk_nvme_perf goes and whether it reads or writes:
 * sequential or uniformly random offsets aligned to the I/O size, and a
 * read/write mix, from a per-worker generator with no division.
 */
#ifndef USK_PERF_WORKLOAD_H
#define USK_PERF_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "perf_opts.h"

struct perf_workload_state {
	uint64_t rng;		 /* xorshift64* state, never 0 */
	uint64_t slots;		 /* I/O-size slots in the namespace */
	uint64_t next_slot;	 /* for sequential patterns */
	uint32_t read_threshold; /* a draw below it is a read, out of 2^32 */
	enum perf_pattern pattern;
};

/*
 * Prepares @w for a namespace of @ns_blocks blocks and I/Os of
 * @blocks_per_io blocks. @seed makes each worker's sequence its own.
 * Returns 0, or -EINVAL when the namespace holds no whole I/O.
 */
int perf_workload_init(struct perf_workload_state *w, enum perf_pattern pattern,
		       uint32_t read_percent, uint64_t ns_blocks, uint32_t blocks_per_io,
		       uint64_t seed);

/* The next 64-bit random value (xorshift64*). */
static inline uint64_t perf_workload_random(struct perf_workload_state *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* The slot (LBA / blocks_per_io) of the next I/O. */
static inline uint64_t perf_workload_next_slot(struct perf_workload_state *w)
{
	uint64_t slot;

	if (w->pattern == PERF_RANDOM) {
		/* The high half of a 64x64 product maps uniformly onto [0, slots). */
		return (uint64_t)(((unsigned __int128)perf_workload_random(w) * w->slots) >> 64);
	}
	slot = w->next_slot;
	w->next_slot = slot + 1 == w->slots ? 0 : slot + 1;
	return slot;
}

/* Whether the next I/O is a read. */
static inline bool perf_workload_next_is_read(struct perf_workload_state *w)
{
	return (uint32_t)(perf_workload_random(w) >> 32) < w->read_threshold ||
	       w->read_threshold == UINT32_MAX;
}

#endif /* USK_PERF_WORKLOAD_H */
