/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters with one writer and readers on other threads: the writer adds
 * with a plain load and store, so no locked instruction is paid per event,
 * and readers see whole values.
 */
#ifndef USK_INTERNAL_COUNTER_H
#define USK_INTERNAL_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

/* Adds @n to @counter; only its one writer may call it. */
static inline void usk_counter_add(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

#endif /* USK_INTERNAL_COUNTER_H */
