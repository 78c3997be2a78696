/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ut.h"
#include "ut_hugepages.h"
#include "env_internal.h"
#include "usk/log.h"
#include "usk/util.h"

static int env_up(enum usk_env_hugepages mode)
{
	struct usk_env_opts opts;

	usk_env_opts_init(&opts, sizeof(opts));
	opts.hugepages = mode;
	return usk_env_init(&opts);
}

static void test_before_init(void)
{
	CU_ASSERT_PTR_NULL(usk_dma_malloc(64, 0, USK_ENV_NUMA_ANY));
}

static void check_alignments(void)
{
	static const size_t sizes[] = {1,    63,    64,	     100,	    512,    4096,
				       4097, 65536, 1 << 20, (1 << 20) + 1, 3 << 20};

	for (size_t s = 0; s < USK_COUNTOF(sizes); s++) {
		for (size_t align = 1; align <= (2u << 20); align <<= 1) {
			uint8_t *buf = usk_dma_malloc(sizes[s], align, USK_ENV_NUMA_ANY);
			uint64_t len = sizes[s];

			CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
			CU_ASSERT_FATAL(usk_is_aligned((uintptr_t)buf, USK_MAX(align, 64)));
			/* Every byte is DMA-able, and a block is IOVA-contiguous. */
			uint64_t iova = usk_vtoiova(buf, &len);

			CU_ASSERT_FATAL(iova != USK_IOVA_INVALID);
			CU_ASSERT_EQUAL_FATAL(len, sizes[s]);
			CU_ASSERT_FATAL(usk_is_aligned(iova, USK_MIN(USK_MAX(align, 64), 4096)));
			buf[0] = 1;
			buf[sizes[s] - 1] = 2;
			usk_dma_free(buf);
		}
	}
}

static void test_alignment_without_hugepages(void)
{
	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	check_alignments();
	CU_ASSERT_PTR_NULL(usk_dma_malloc(0, 0, USK_ENV_NUMA_ANY));
	CU_ASSERT_PTR_NULL(usk_dma_malloc(64, 3, USK_ENV_NUMA_ANY));
	CU_ASSERT_PTR_NULL(usk_dma_malloc(64, 4u << 20, USK_ENV_NUMA_ANY));
	usk_env_fini();
}

/*
 * A size no memory can hold (a negative length cast to size_t) fails: its
 * rounding up to a power of two wrapped, and it got a 64-byte block.
 */
static void test_impossible_size(void)
{
	static const size_t sizes[] = {SIZE_MAX, (SIZE_MAX >> 1) + 2, SIZE_MAX - (1u << 20)};

	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	for (size_t i = 0; i < USK_COUNTOF(sizes); i++) {
		void *buf = usk_dma_malloc(sizes[i], 0, USK_ENV_NUMA_ANY);

		CU_ASSERT_PTR_NULL(buf);
		usk_dma_free(buf);
	}
	usk_env_fini();
}

static void test_zmalloc_and_reuse(void)
{
	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	uint8_t *a = usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	memset(a, 0xab, 4096);
	usk_dma_free(a);
	uint8_t *b = usk_dma_zmalloc(4096, 0, USK_ENV_NUMA_ANY);

	/* The freed block comes back first, zeroed. */
	CU_ASSERT_PTR_EQUAL(b, a);
	for (int i = 0; i < 4096; i++) {
		CU_ASSERT_EQUAL_FATAL(b[i], 0);
	}
	usk_dma_free(b);
	usk_dma_free(NULL);
	/* NUMA placement falls back quietly on nodes that do not exist. */
	void *c = usk_dma_malloc(128, 0, 63);

	CU_ASSERT_PTR_NOT_NULL(c);
	usk_dma_free(c);
	c = usk_dma_malloc(128, 0, 0);
	CU_ASSERT_PTR_NOT_NULL(c);
	usk_dma_free(c);
	usk_env_fini();
}

static void test_memory_limit(void)
{
	struct usk_env_opts opts;

	usk_env_opts_init(&opts, sizeof(opts));
	opts.hugepages = USK_ENV_HUGEPAGES_OFF;
	opts.mem_limit_mb = 4;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	void *a = usk_dma_malloc(3 << 20, 0, USK_ENV_NUMA_ANY);

	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NULL(usk_dma_malloc(3 << 20, 0, USK_ENV_NUMA_ANY));
	usk_dma_free(a);
	a = usk_dma_malloc(3 << 20, 0, USK_ENV_NUMA_ANY);
	CU_ASSERT_PTR_NOT_NULL(a);
	usk_dma_free(a);
	usk_env_fini();
}

#define THREAD_ROUNDS 20000
#define THREAD_SLOTS  64

/* Each thread keeps up to 64 blocks, stamped with its id, and checks the
 * stamps before freeing: two threads handed the same block would collide. */
static void *hammer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t *slots[THREAD_SLOTS] = {0};
	uintptr_t bad = 0;

	for (int i = 0; i < THREAD_ROUNDS; i++) {
		int s = (int)((i * 7 + id) % THREAD_SLOTS);

		if (slots[s] != NULL) {
			bad += slots[s][0] != id * 1000003 + (uintptr_t)s;
			usk_dma_free(slots[s]);
		}
		slots[s] = usk_dma_malloc(64u << (i % 6), 0, USK_ENV_NUMA_ANY);
		if (slots[s] == NULL) {
			return (void *)1;
		}
		slots[s][0] = id * 1000003 + (uintptr_t)s;
	}
	for (int s = 0; s < THREAD_SLOTS; s++) {
		usk_dma_free(slots[s]);
	}
	return (void *)bad;
}

static void test_two_threads(void)
{
	pthread_t t[2];
	void *bad[2];

	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	for (uintptr_t i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, hammer, (void *)(i + 1)), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], &bad[i]);
		CU_ASSERT_PTR_NULL(bad[i]);
	}
	usk_env_fini();
}

static void test_thread_cache_starts_over_after_fini(void)
{
	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	/* Freed small blocks wait in this thread's cache... */
	void *a = usk_dma_malloc(256, 0, USK_ENV_NUMA_ANY);

	usk_dma_free(a);
	usk_env_fini();
	/* ...and must not come back once their memory is gone. */
	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	uint8_t *b = usk_dma_malloc(256, 0, USK_ENV_NUMA_ANY);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(usk_vtoiova(b, NULL) != USK_IOVA_INVALID);
	b[0] = 1;
	b[255] = 2;
	usk_dma_free(b);
	usk_env_fini();
}

static void *alloc_many(void *arg)
{
	void **blocks = arg;

	for (int i = 0; i < 200; i++) {
		blocks[i] = usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY);
	}
	return NULL;
}

static void *free_many(void *arg)
{
	void **blocks = arg;

	for (int i = 0; i < 200; i++) {
		usk_dma_free(blocks[i]);
	}
	return NULL;
}

static void test_blocks_cross_threads(void)
{
	/* One thread allocates, another frees, both exit: the freeing thread's
	 * cache goes back to the heap, and the blocks are all usable again. */
	void *blocks[200];
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, alloc_many, blocks), 0);
	pthread_join(t, NULL);
	for (int i = 0; i < 200; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(blocks[i]);
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, free_many, blocks), 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, alloc_many, blocks), 0);
	pthread_join(t, NULL);
	for (int i = 0; i < 200; i++) {
		CU_ASSERT_PTR_NOT_NULL(blocks[i]);
		for (int j = 0; j < i; j++) {
			CU_ASSERT_PTR_NOT_EQUAL_FATAL(blocks[i], blocks[j]);
		}
	}
	free_many(blocks);
	usk_env_fini();
}

static pthread_key_t g_late_key;

static void late_free(void *buf)
{
	usk_dma_free(buf);
}

/*
 * A block freed by a thread-exit destructor of the caller's that runs after
 * the heap's own: the thread's cache is gone by then.
 */
static void *free_at_exit(void *arg)
{
	void **block = arg;

	*block = usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY);
	pthread_setspecific(g_late_key, *block);
	return NULL;
}

static void test_free_in_a_late_thread_destructor(void)
{
	void *blocks[512];
	void *late = NULL;
	bool back = false;
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_OFF), 0);
	/* Made after the heap's key: glibc runs destructors in key order. */
	CU_ASSERT_EQUAL_FATAL(pthread_key_create(&g_late_key, late_free), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, free_at_exit, &late), 0);
	pthread_join(t, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(late);
	/* The block went back to the heap: the 512 blocks of its chunk include it. */
	for (int i = 0; i < 512; i++) {
		blocks[i] = usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY);
		back |= blocks[i] == late;
	}
	CU_ASSERT(back);
	for (int i = 0; i < 512; i++) {
		usk_dma_free(blocks[i]);
	}
	pthread_key_delete(g_late_key);
	usk_env_fini();
}

/* Flags of the last hugepage mapping asked for; such a mapping then fails. */
static int g_hugetlb_flags;
static bool g_fail_hugetlb;

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (g_fail_hugetlb && (flags & MAP_HUGETLB) != 0) {
		g_hugetlb_flags = flags;
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

/*
 * Where the machine's default hugepage size is 1 GiB, a bare MAP_HUGETLB
 * maps 1 GiB pages: the heap's 2 MiB chunks name their size.
 */
static void test_hugepages_asked_for_are_2_mib(void)
{
	void *buf;

	g_fail_hugetlb = true;
	g_hugetlb_flags = 0;
	CU_ASSERT_EQUAL_FATAL(env_up(USK_ENV_HUGEPAGES_AUTO), 0);
	buf = usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY);
	CU_ASSERT_PTR_NOT_NULL(buf);
	CU_ASSERT_NOT_EQUAL(g_hugetlb_flags & MAP_HUGETLB, 0);
	CU_ASSERT_EQUAL((g_hugetlb_flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK, 21);
	usk_dma_free(buf);
	usk_env_fini();
	g_fail_hugetlb = false;
}

/* The heap with no hugepage free, then with ordinary pages allowed. */
static void check_without_hugepages(void)
{
	void *buf;

	/* Another process may hold some: none is free either way. */
	CU_ASSERT_EQUAL(ut_free_hugepages(), 0);
	if (env_up(USK_ENV_HUGEPAGES_ON) == 0) {
		CU_ASSERT_PTR_NULL(usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY));
		usk_env_fini();
	} else {
		CU_FAIL("the env did not come up with hugepages on");
	}
	if (env_up(USK_ENV_HUGEPAGES_AUTO) == 0) {
		buf = usk_dma_malloc(4096, 0, USK_ENV_NUMA_ANY);
		CU_ASSERT_PTR_NOT_NULL(buf);
		usk_dma_free(buf);
		usk_env_fini();
	} else {
		CU_FAIL("the env did not come up with hugepages auto");
	}
}

/*
 * The hugepage lock is released, and the reservation put back, on every
 * path (see ut_hugepages_lock()): no _FATAL assert while it is held.
 */
static void test_with_and_without_hugepages(void)
{
	int lock = ut_hugepages_lock();
	long saved = ut_nr_hugepages(-1);

	/* The machine's hugepages must be ours to set: root, as in CI. */
	CU_ASSERT(saved >= 0);
	if (saved >= 0) {
		ut_nr_hugepages(0);
		check_without_hugepages();
		/* A chunk per size class and per large block: 40 MiB covers the test. */
		if (ut_nr_hugepages_compacting(64) >= 20 && env_up(USK_ENV_HUGEPAGES_ON) == 0) {
			check_alignments();
			usk_env_fini();
		} else {
			CU_FAIL("could not reserve 20 hugepages of 2 MiB, or use them");
		}
		ut_nr_hugepages(saved);
	}
	ut_hugepages_unlock(lock);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_before_init),
		UT_TEST(test_alignment_without_hugepages),
		UT_TEST(test_impossible_size),
		UT_TEST(test_zmalloc_and_reuse),
		UT_TEST(test_memory_limit),
		UT_TEST(test_two_threads),
		UT_TEST(test_thread_cache_starts_over_after_fini),
		UT_TEST(test_blocks_cross_threads),
		UT_TEST(test_free_in_a_late_thread_destructor),
		UT_TEST(test_hugepages_asked_for_are_2_mib),
		UT_TEST(test_with_and_without_hugepages),
	};

	usk_log_set_level(USK_LOG_ERROR);
	return UT_RUN("dma_alloc", tests);
}
