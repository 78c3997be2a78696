/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA heap. Memory comes in 2 MiB chunks (one hugepage, or 512 ordinary
 * pages when no hugepage is free), each registered once. Small requests are
 * power-of-two blocks carved from chunks of one size class, so a block of
 * 2^k bytes is aligned to 2^k; requests above 1 MiB get chunks of their own.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef USK_HAVE_NUMA
#include <numa.h>
#endif

#include "env_internal.h"
#include "usk/log.h"
#include "usk/util.h"

#define DMA_MIN_SHIFT	6  /* 64 bytes: a cache line */
#define DMA_MAX_SHIFT	20 /* 1 MiB: larger requests get their own chunk */
#define DMA_CLASSES	(DMA_MAX_SHIFT - DMA_MIN_SHIFT + 1)
#define DMA_NODES	8 /* free lists for nodes 0..7, plus one for "any" */
#define DMA_CLASS_LARGE (-1)

struct dma_chunk {
	uintptr_t base;
	uint64_t size;
	int klass; /* size class, or DMA_CLASS_LARGE */
	int node_slot;
	bool huge;
};

struct dma_free_block {
	struct dma_free_block *next;
};

static pthread_mutex_t g_dma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dma_chunk *g_chunks; /* sorted by base */
static size_t g_chunk_count;
static size_t g_chunk_capacity;
static struct dma_free_block *g_free[DMA_NODES + 1][DMA_CLASSES];
static uint64_t g_mapped_bytes;
static bool g_said_no_hugepages;

static int node_slot(int numa_node)
{
	return numa_node < 0 || numa_node >= DMA_NODES ? 0 : numa_node + 1;
}

/* Maps @size bytes (a multiple of 2 MiB), 2 MiB-aligned; sets *huge. */
static void *dma_map_memory(uint64_t size, bool *huge)
{
	enum usk_env_hugepages policy = g_env_opts.hugepages;
	void *addr;

	if (policy != USK_ENV_HUGEPAGES_OFF) {
		addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (addr != MAP_FAILED) {
			*huge = true;
			return addr;
		}
		if (policy == USK_ENV_HUGEPAGES_ON) {
			USK_ERRLOG("no free hugepages for %" PRIu64
				   " MiB of DMA memory: reserve them "
				   "(scripts/setup.sh, HUGEMEM=...) or allow 4 KiB pages",
				   size >> 20);
			return NULL;
		}
		if (!g_said_no_hugepages) {
			g_said_no_hugepages = true;
			USK_NOTICELOG(
				"no free hugepages: DMA memory uses ordinary 4 KiB pages, which "
				"the IOMMU maps as well (scripts/setup.sh reserves hugepages)");
		}
	}
	/* Over-allocate by 2 MiB and trim, for the 2 MiB alignment. */
	uint8_t *raw = mmap(NULL, size + ENV_HUGEPAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (raw == MAP_FAILED) {
		return NULL;
	}
	uint8_t *aligned = (uint8_t *)usk_align_up((uintptr_t)raw, ENV_HUGEPAGE_SIZE);

	if (aligned > raw) {
		munmap(raw, (size_t)(aligned - raw));
	}
	munmap(aligned + size, (size_t)(raw + ENV_HUGEPAGE_SIZE - aligned));
	*huge = false;
	return aligned;
}

static void dma_place_on_node(void *addr, uint64_t size, int numa_node)
{
#ifdef USK_HAVE_NUMA
	if (numa_node >= 0 && numa_available() >= 0 && numa_node <= numa_max_node()) {
		numa_tonode_memory(addr, size, numa_node);
	}
#else
	(void)addr;
	(void)size;
	(void)numa_node;
#endif
}

static int chunk_insert(const struct dma_chunk *chunk)
{
	size_t at = 0;

	if (g_chunk_count == g_chunk_capacity) {
		size_t capacity = g_chunk_capacity == 0 ? 64 : g_chunk_capacity * 2;
		struct dma_chunk *grown = realloc(g_chunks, capacity * sizeof(*grown));

		if (grown == NULL) {
			return -ENOMEM;
		}
		g_chunks = grown;
		g_chunk_capacity = capacity;
	}
	while (at < g_chunk_count && g_chunks[at].base < chunk->base) {
		at++;
	}
	memmove(&g_chunks[at + 1], &g_chunks[at], (g_chunk_count - at) * sizeof(*chunk));
	g_chunks[at] = *chunk;
	g_chunk_count++;
	return 0;
}

/* The chunk holding @addr, or NULL. */
static struct dma_chunk *chunk_find(uintptr_t addr)
{
	size_t lo = 0;
	size_t hi = g_chunk_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g_chunks[mid].base + g_chunks[mid].size <= addr) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < g_chunk_count && g_chunks[lo].base <= addr ? &g_chunks[lo] : NULL;
}

/* Maps, places and registers a new chunk; the caller holds g_dma_lock. */
static struct dma_chunk *chunk_create(uint64_t size, int klass, int numa_node)
{
	struct dma_chunk chunk = {.size = size, .klass = klass, .node_slot = node_slot(numa_node)};
	uint64_t limit = g_env_opts.mem_limit_mb << 20;
	void *addr;
	int rc;

	if (limit != 0 && g_mapped_bytes + size > limit) {
		USK_ERRLOG("DMA memory limit of %" PRIu64 " MiB reached; raise it (-s)",
			   g_env_opts.mem_limit_mb);
		return NULL;
	}
	addr = dma_map_memory(size, &chunk.huge);
	if (addr == NULL) {
		return NULL;
	}
	chunk.base = (uintptr_t)addr;
	dma_place_on_node(addr, size, numa_node);
	/* A fork must not make the child share (or copy-on-write) memory a device writes. */
	madvise(addr, size, MADV_DONTFORK);
	rc = usk_mem_register(addr, size);
	if (rc == 0) {
		rc = chunk_insert(&chunk);
		if (rc != 0) {
			usk_mem_unregister(addr, size);
		}
	}
	if (rc != 0) {
		munmap(addr, size);
		return NULL;
	}
	g_mapped_bytes += size;
	return chunk_find(chunk.base);
}

static void chunk_destroy(struct dma_chunk *chunk)
{
	size_t at = (size_t)(chunk - g_chunks);

	usk_mem_unregister((void *)chunk->base, chunk->size);
	munmap((void *)chunk->base, chunk->size);
	g_mapped_bytes -= chunk->size;
	memmove(chunk, chunk + 1, (g_chunk_count - at - 1) * sizeof(*chunk));
	g_chunk_count--;
}

/* Pops a block of class @klass, carving a new chunk when the list is empty. */
static void *dma_block_alloc(int klass, int numa_node)
{
	struct dma_free_block **head = &g_free[node_slot(numa_node)][klass];
	uint64_t block = UINT64_C(1) << (klass + DMA_MIN_SHIFT);

	if (*head == NULL) {
		struct dma_chunk *chunk = chunk_create(ENV_HUGEPAGE_SIZE, klass, numa_node);

		if (chunk == NULL) {
			return NULL;
		}
		/* Push in reverse so blocks come out in address order. */
		for (uint64_t off = chunk->size; off >= block; off -= block) {
			struct dma_free_block *b = (void *)(chunk->base + off - block);

			b->next = *head;
			*head = b;
		}
	}
	struct dma_free_block *b = *head;

	*head = b->next;
	return b;
}

void *usk_dma_malloc(size_t size, size_t align, int numa_node)
{
	void *buf;

	if (!env_is_initialized()) {
		USK_ERRLOG("usk_dma_malloc() before usk_env_init()");
		return NULL;
	}
	align = align == 0 ? (1u << DMA_MIN_SHIFT) : align;
	if (size == 0 || !usk_u64_is_pow2(align) || align > ENV_HUGEPAGE_SIZE) {
		USK_ERRLOG("usk_dma_malloc(%zu, align %zu): size must be > 0 and the alignment "
			   "a power of two up to 2 MiB",
			   size, align);
		return NULL;
	}
	uint64_t block = usk_u64_roundup_pow2(USK_MAX((uint64_t)size, (uint64_t)align));

	pthread_mutex_lock(&g_dma_lock);
	if (block > (UINT64_C(1) << DMA_MAX_SHIFT)) {
		struct dma_chunk *chunk = chunk_create(usk_align_up(size, ENV_HUGEPAGE_SIZE),
						       DMA_CLASS_LARGE, numa_node);

		buf = chunk != NULL ? (void *)chunk->base : NULL;
	} else {
		int klass = (int)usk_u64_log2(USK_MAX(block, UINT64_C(1) << DMA_MIN_SHIFT)) -
			    DMA_MIN_SHIFT;

		buf = dma_block_alloc(klass, numa_node);
	}
	pthread_mutex_unlock(&g_dma_lock);
	return buf;
}

void *usk_dma_zmalloc(size_t size, size_t align, int numa_node)
{
	void *buf = usk_dma_malloc(size, align, numa_node);

	if (buf != NULL) {
		memset(buf, 0, size);
	}
	return buf;
}

void usk_dma_free(void *buf)
{
	if (buf == NULL) {
		return;
	}
	pthread_mutex_lock(&g_dma_lock);
	struct dma_chunk *chunk = chunk_find((uintptr_t)buf);

	if (chunk == NULL) {
		USK_ERRLOG("usk_dma_free(%p): not DMA memory from usk_dma_malloc()", buf);
	} else if (chunk->klass == DMA_CLASS_LARGE) {
		chunk_destroy(chunk);
	} else {
		struct dma_free_block *b = buf;

		b->next = g_free[chunk->node_slot][chunk->klass];
		g_free[chunk->node_slot][chunk->klass] = b;
	}
	pthread_mutex_unlock(&g_dma_lock);
}

void env_dma_fini(void)
{
	pthread_mutex_lock(&g_dma_lock);
	while (g_chunk_count > 0) {
		chunk_destroy(&g_chunks[g_chunk_count - 1]);
	}
	free(g_chunks);
	g_chunks = NULL;
	g_chunk_capacity = 0;
	memset(g_free, 0, sizeof(g_free));
	g_said_no_hugepages = false;
	pthread_mutex_unlock(&g_dma_lock);
}
