/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rings in the manner of a classic bounded queue with head/tail pairs:
 * producers reserve slots by moving prod_head, fill them, then publish by
 * moving prod_tail in reservation order; the consumer reads up to
 * prod_tail and frees slots by moving cons_tail. Counters run freely and
 * wrap; the mask picks the slot.
 */
#include "config.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "usk/ring.h"
#include "usk/util.h"

struct usk_ring {
	uint32_t size;
	uint32_t mask;
	bool multi_producer;
	/* Producer and consumer counters on lines of their own: no false sharing. */
	_Alignas(USK_CACHE_LINE_SIZE) _Atomic uint32_t prod_head;
	_Atomic uint32_t prod_tail;
	_Alignas(USK_CACHE_LINE_SIZE) _Atomic uint32_t cons_tail;
	_Alignas(USK_CACHE_LINE_SIZE) void *slots[];
};

struct usk_ring *usk_ring_create(uint32_t size, enum usk_ring_producers producers)
{
	struct usk_ring *r;

	if (size < 2 || size > (1u << 30) || !usk_u64_is_pow2(size) ||
	    (producers != USK_RING_SP && producers != USK_RING_MP)) {
		return NULL;
	}
	r = aligned_alloc(USK_CACHE_LINE_SIZE,
			  usk_align_up(sizeof(*r) + size * sizeof(void *), USK_CACHE_LINE_SIZE));
	if (r == NULL) {
		return NULL;
	}
	r->size = size;
	r->mask = size - 1;
	r->multi_producer = producers == USK_RING_MP;
	atomic_init(&r->prod_head, 0);
	atomic_init(&r->prod_tail, 0);
	atomic_init(&r->cons_tail, 0);
	return r;
}

void usk_ring_free(struct usk_ring *r)
{
	free(r);
}

/* Reserves up to @count slots; returns how many, and their first counter in *head. */
static uint32_t ring_reserve(struct usk_ring *r, uint32_t count, uint32_t *head)
{
	uint32_t old = atomic_load_explicit(&r->prod_head, memory_order_relaxed);
	uint32_t n;

	do {
		/* Acquire: slots the consumer freed are no longer read when we write them. */
		uint32_t used = old - atomic_load_explicit(&r->cons_tail, memory_order_acquire);

		n = USK_MIN(count, r->size - 1 - used);
		if (n == 0) {
			return 0;
		}
		if (!r->multi_producer) {
			atomic_store_explicit(&r->prod_head, old + n, memory_order_relaxed);
			break;
		}
	} while (!atomic_compare_exchange_weak_explicit(
		&r->prod_head, &old, old + n, memory_order_relaxed, memory_order_relaxed));
	*head = old;
	return n;
}

uint32_t usk_ring_enqueue_burst(struct usk_ring *r, void *const *objs, uint32_t count)
{
	uint32_t head = 0;
	uint32_t n = ring_reserve(r, count, &head);

	if (n == 0) {
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		r->slots[(head + i) & r->mask] = objs[i];
	}
	/*
	 * Producers publish in reservation order: wait for those ahead of us.
	 * Acquire, so their slot writes happen before our release below, and the
	 * consumer that sees our tail sees their slots too.
	 */
	while (r->multi_producer &&
	       atomic_load_explicit(&r->prod_tail, memory_order_acquire) != head) {
		sched_yield();
	}
	/* Release: the slots are written before the consumer can see them. */
	atomic_store_explicit(&r->prod_tail, head + n, memory_order_release);
	return n;
}

uint32_t usk_ring_dequeue_burst(struct usk_ring *r, void **objs, uint32_t count)
{
	uint32_t tail = atomic_load_explicit(&r->cons_tail, memory_order_relaxed);
	/* Acquire pairs with the producers' release: the slots are filled. */
	uint32_t avail = atomic_load_explicit(&r->prod_tail, memory_order_acquire) - tail;
	uint32_t n = USK_MIN(count, avail);

	for (uint32_t i = 0; i < n; i++) {
		objs[i] = r->slots[(tail + i) & r->mask];
	}
	/* Release: we have read the slots before producers may reuse them. */
	atomic_store_explicit(&r->cons_tail, tail + n, memory_order_release);
	return n;
}

uint32_t usk_ring_count(const struct usk_ring *r)
{
	/*
	 * The consumer's counter first: read second, it could pass the
	 * producer's value read before it. Both may move between the two
	 * loads, so the difference is capped at what the ring can hold.
	 */
	uint32_t cons = atomic_load_explicit(&r->cons_tail, memory_order_acquire);
	uint32_t prod = atomic_load_explicit(&r->prod_tail, memory_order_acquire);

	return USK_MIN(prod - cons, r->mask);
}
