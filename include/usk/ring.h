/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Lock-free rings of pointers, for passing work between threads: one
 * consumer, and one producer (USK_RING_SP) or several (USK_RING_MP).
 * Sizes are powers of two; enqueue and dequeue move bursts.
 *
 * Thread rules: with USK_RING_SP, one thread at a time enqueues; with
 * USK_RING_MP, any number. One thread at a time dequeues. Create and free
 * while no other thread uses the ring. No call blocks, allocates or makes
 * a system call but usk_ring_create() and usk_ring_free().
 */
#ifndef USK_RING_H
#define USK_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

struct usk_ring;

/** Who may enqueue. */
enum usk_ring_producers {
	USK_RING_SP = 0, /**< one producer thread */
	USK_RING_MP = 1, /**< any number of producer threads */
};

/**
 * Create a ring.
 *
 * @param size      slots, a power of two from 2 to 2^30; the ring holds
 *                  size - 1 objects at most
 * @param producers USK_RING_SP or USK_RING_MP
 * @return the ring, or NULL for a bad size or when memory is short.
 */
struct usk_ring *usk_ring_create(uint32_t size, enum usk_ring_producers producers);

/** Free a ring; what it still holds is dropped. NULL is ignored. */
void usk_ring_free(struct usk_ring *ring);

/**
 * Enqueue up to @p count objects, in order.
 *
 * @return how many were enqueued (0 when the ring is full); the first ones
 *         of @p objs go in first.
 */
uint32_t usk_ring_enqueue_burst(struct usk_ring *ring, void *const *objs, uint32_t count);

/**
 * Dequeue up to @p count objects, oldest first, into @p objs.
 *
 * @return how many were dequeued (0 when the ring is empty).
 */
uint32_t usk_ring_dequeue_burst(struct usk_ring *ring, void **objs, uint32_t count);

/** @return objects in the ring now (a snapshot when others are working on it). */
uint32_t usk_ring_count(const struct usk_ring *ring);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_RING_H */
