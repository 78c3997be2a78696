/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "usk/env.h"
#include "usk/pool.h"
#include "ut.h"

#define OBJECTS 64
#define ROUNDS	200000

static void test_get_put_and_bounds(void)
{
	struct usk_pool *p = usk_pool_create(100, 4, false);
	void *o[5];

	CU_ASSERT_PTR_NULL(usk_pool_create(0, 4, false));
	CU_ASSERT_PTR_NULL(usk_pool_create(64, 0, false));
	/* Rounded up to the cache line, this size wraps to 0: objects of no room at all. */
	CU_ASSERT_PTR_NULL(usk_pool_create(SIZE_MAX - 10, 4, false));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (int i = 0; i < 4; i++) {
		o[i] = usk_pool_get(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o[i]);
		CU_ASSERT_EQUAL((uintptr_t)o[i] % 64, 0);
		memset(o[i], 0xee, 100);
	}
	CU_ASSERT_PTR_NULL(usk_pool_get(p));
	/* Objects are 128 bytes apart (100 rounded to the cache line): no overlap. */
	for (int i = 1; i < 4; i++) {
		CU_ASSERT(o[i] != o[i - 1]);
	}
	usk_pool_put(p, o[2]);
	CU_ASSERT_EQUAL(usk_pool_available(p), 1);
	CU_ASSERT_PTR_EQUAL(usk_pool_get(p), o[2]);
	for (int i = 0; i < 4; i++) {
		usk_pool_put(p, o[i]);
	}
	CU_ASSERT_EQUAL(usk_pool_available(p), 4);
	usk_pool_free(p);
}

static void test_cache_batches(void)
{
	struct usk_pool *p = usk_pool_create(64, 16, false);
	struct usk_pool_cache *c = usk_pool_cache_create(p, 8);
	void *o[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* The first get takes half a cache from the pool. */
	o[0] = usk_pool_cache_get(c);
	CU_ASSERT_EQUAL(usk_pool_available(p), 12);
	for (int i = 1; i < 16; i++) {
		o[i] = usk_pool_cache_get(c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o[i]);
	}
	CU_ASSERT_PTR_NULL(usk_pool_cache_get(c));
	CU_ASSERT_EQUAL(usk_pool_available(p), 0);
	/* Filling the cache spills half of it back. */
	for (int i = 0; i < 9; i++) {
		usk_pool_cache_put(c, o[i]);
	}
	CU_ASSERT_EQUAL(usk_pool_available(p), 4);
	for (int i = 9; i < 16; i++) {
		usk_pool_cache_put(c, o[i]);
	}
	usk_pool_cache_free(c);
	CU_ASSERT_EQUAL(usk_pool_available(p), 16);
	CU_ASSERT_PTR_NULL(usk_pool_cache_create(p, 0));
	usk_pool_free(p);
}

struct worker {
	struct usk_pool *pool;
	uintptr_t id;
	int bad;
};

/* Holds up to 16 objects stamped with its id; a stamp changed by another
 * thread while held means the pool gave one object out twice. */
static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct usk_pool_cache *c = usk_pool_cache_create(w->pool, 8);
	uintptr_t *held[16] = {NULL};

	for (int i = 0; i < ROUNDS; i++) {
		int s = (int)((i * 5 + (int)w->id) % 16);

		if (held[s] != NULL) {
			w->bad += *held[s] != w->id * 1000 + (uintptr_t)s;
			(i & 1 ? usk_pool_cache_put(c, held[s]) : usk_pool_put(w->pool, held[s]));
		}
		held[s] = i & 2 ? usk_pool_cache_get(c) : usk_pool_get(w->pool);
		if (held[s] != NULL) {
			*held[s] = w->id * 1000 + (uintptr_t)s;
		}
	}
	for (int s = 0; s < 16; s++) {
		if (held[s] != NULL) {
			usk_pool_put(w->pool, held[s]);
		}
	}
	usk_pool_cache_free(c);
	return NULL;
}

static void test_two_threads(void)
{
	/* DMA memory, as the layers above use it. */
	struct usk_pool *p = usk_pool_create(64, OBJECTS, true);
	struct worker w[2] = {{p, 1, 0}, {p, 2, 0}};
	pthread_t t[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	void *first = usk_pool_get(p);

	CU_ASSERT(usk_vtoiova(first, NULL) != USK_IOVA_INVALID);
	usk_pool_put(p, first);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].bad, 0);
	}
	/* Every object is back: none lost, none duplicated. */
	CU_ASSERT_EQUAL(usk_pool_available(p), OBJECTS);
	usk_pool_free(p);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_get_put_and_bounds),
		UT_TEST(test_cache_batches),
		UT_TEST(test_two_threads),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("pool", tests);
	usk_env_fini();
	return rc;
}
