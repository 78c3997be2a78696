/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Pools of fixed-size objects, all allocated when the pool is created, with
 * per-thread caches: a thread that holds a cache gets and puts objects
 * without a lock, and trades them with the pool in batches.
 *
 * Thread rules: usk_pool_get() and usk_pool_put() may be called from any
 * thread (they lock). A cache belongs to one thread at a time; its calls
 * take no lock except when the cache refills or spills. Free caches before
 * their pool, and a pool only when every object is back in it.
 */
#ifndef USK_POOL_H
#define USK_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

struct usk_pool;
struct usk_pool_cache;

/**
 * Create a pool of @p count objects of @p size bytes.
 *
 * @param size  bytes per object (rounded up to 64, a cache line)
 * @param count objects, at least 1
 * @param dma   true to place the objects in DMA memory (usk_dma_malloc(),
 *              after usk_env_init()), e.g. for buffers devices read
 * @return the pool, or NULL for bad arguments or when memory is short.
 */
struct usk_pool *usk_pool_create(size_t size, uint32_t count, bool dma);

/** Free a pool whose objects are all back. NULL is ignored. */
void usk_pool_free(struct usk_pool *pool);

/** @return an object, or NULL when the pool is empty. Locks. */
void *usk_pool_get(struct usk_pool *pool);

/** Give back an object that came from @p pool. Locks. */
void usk_pool_put(struct usk_pool *pool, void *obj);

/** @return objects in the pool itself, not in caches or in use. */
uint32_t usk_pool_available(struct usk_pool *pool);

/**
 * Create a cache of up to @p capacity objects for the calling thread.
 *
 * @return the cache, or NULL for capacity 0 or when memory is short.
 */
struct usk_pool_cache *usk_pool_cache_create(struct usk_pool *pool, uint32_t capacity);

/** Give the cache's objects back to its pool and free it. NULL is ignored. */
void usk_pool_cache_free(struct usk_pool_cache *cache);

/**
 * @return an object from the cache, refilled from the pool with half its
 * capacity when empty; NULL when pool and cache are both empty.
 */
void *usk_pool_cache_get(struct usk_pool_cache *cache);

/** Put an object in the cache; half of it spills to the pool when full. */
void usk_pool_cache_put(struct usk_pool_cache *cache, void *obj);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_POOL_H */
