/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A pool is a locked stack of free objects carved from one allocation;
 * caches are unlocked stacks that trade with it half a cache at a time, so
 * a thread that gets and puts in a steady rhythm never takes the lock.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/pool.h"
#include "usk/util.h"

struct usk_pool {
	pthread_mutex_t lock;
	uint8_t *memory;
	bool dma;
	uint32_t available;
	void **free; /* stack of available objects */
};

struct usk_pool_cache {
	struct usk_pool *pool;
	uint32_t capacity;
	uint32_t len;
	void *objs[];
};

struct usk_pool *usk_pool_create(size_t size, uint32_t count, bool dma)
{
	struct usk_pool *p;
	size_t stride = usk_align_up(size, 64);

	/* stride < size: the rounding up wrapped. */
	if (size == 0 || count == 0 || stride < size || stride * count / count != stride) {
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	p->dma = dma;
	p->memory = dma ? usk_dma_malloc(stride * count, 64, USK_ENV_NUMA_ANY)
			: aligned_alloc(64, stride * count);
	p->free = malloc(count * sizeof(void *));
	if (p->memory == NULL || p->free == NULL) {
		usk_pool_free(p);
		return NULL;
	}
	for (uint32_t i = 0; i < count; i++) {
		p->free[i] = p->memory + (size_t)(count - 1 - i) * stride;
	}
	p->available = count;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void usk_pool_free(struct usk_pool *p)
{
	if (p == NULL) {
		return;
	}
	if (p->dma) {
		usk_dma_free(p->memory);
	} else {
		free(p->memory);
	}
	free(p->free);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Moves up to @n objects from the pool to @out; returns how many. */
static uint32_t pool_take(struct usk_pool *p, void **out, uint32_t n)
{
	pthread_mutex_lock(&p->lock);
	n = USK_MIN(n, p->available);
	p->available -= n;
	memcpy(out, &p->free[p->available], n * sizeof(void *));
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void pool_give(struct usk_pool *p, void *const *objs, uint32_t n)
{
	pthread_mutex_lock(&p->lock);
	memcpy(&p->free[p->available], objs, n * sizeof(void *));
	p->available += n;
	pthread_mutex_unlock(&p->lock);
}

void *usk_pool_get(struct usk_pool *p)
{
	void *obj = NULL;

	return pool_take(p, &obj, 1) == 1 ? obj : NULL;
}

void usk_pool_put(struct usk_pool *p, void *obj)
{
	pool_give(p, &obj, 1);
}

uint32_t usk_pool_available(struct usk_pool *p)
{
	uint32_t n;

	pthread_mutex_lock(&p->lock);
	n = p->available;
	pthread_mutex_unlock(&p->lock);
	return n;
}

struct usk_pool_cache *usk_pool_cache_create(struct usk_pool *p, uint32_t capacity)
{
	struct usk_pool_cache *c;

	if (capacity == 0) {
		return NULL;
	}
	c = calloc(1, sizeof(*c) + capacity * sizeof(void *));
	if (c != NULL) {
		c->pool = p;
		c->capacity = capacity;
	}
	return c;
}

void usk_pool_cache_free(struct usk_pool_cache *c)
{
	if (c == NULL) {
		return;
	}
	pool_give(c->pool, c->objs, c->len);
	free(c);
}

void *usk_pool_cache_get(struct usk_pool_cache *c)
{
	if (c->len == 0) {
		c->len = pool_take(c->pool, c->objs, USK_MAX(c->capacity / 2, 1u));
		if (c->len == 0) {
			return NULL;
		}
	}
	return c->objs[--c->len];
}

void usk_pool_cache_put(struct usk_pool_cache *c, void *obj)
{
	if (c->len == c->capacity) {
		uint32_t spill = USK_MAX(c->capacity / 2, 1u);

		c->len -= spill;
		pool_give(c->pool, &c->objs[c->len], spill);
	}
	c->objs[c->len++] = obj;
}
