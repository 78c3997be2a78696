/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA heap. Memory comes in 2 MiB chunks (one hugepage, or 512 ordinary
 * pages when no hugepage is free), each registered once. Small requests are
 * power-of-two blocks carved from chunks of one size class, so a block of
 * 2^k bytes is aligned to 2^k; requests above 1 MiB get chunks of their own.
 *
 * Blocks up to 64 KiB also pass through per-thread caches: a thread gets
 * and frees them without the heap's lock, trading with the heap half a
 * cache at a time. To free without the lock, a block's class is found in a
 * lock-free map from 2 MiB chunk to class.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
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

#define DMA_MIN_SHIFT	   6  /* 64 bytes: a cache line */
#define DMA_MAX_SHIFT	   20 /* 1 MiB: larger requests get their own chunk */
#define DMA_CLASSES	   (DMA_MAX_SHIFT - DMA_MIN_SHIFT + 1)
#define DMA_NODES	   8 /* free lists for nodes 0..7, plus one for "any" */
#define DMA_CLASS_LARGE	   (-1)
#define DMA_CACHED_CLASSES 11 /* 64 B .. 64 KiB */
#define DMA_CACHE_DEPTH	   32
/* The chunk map: 2 MiB chunks of the 48-bit address space, 512 per leaf. */
#define DMA_INFO_LEAF_BITS 9
#define DMA_INFO_TOP_BITS  18

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
/* No-IOMMU mode: only hugepages stay at one physical address. */
static bool g_huge_only;
/* Per chunk: 0, or (class + 1) | node_slot << 8 for a chunk of small blocks. */
static _Atomic(_Atomic uint16_t *) g_chunk_info[1u << DMA_INFO_TOP_BITS];
static struct env_top_used g_chunk_info_used;
_Static_assert((1u << DMA_INFO_TOP_BITS) == ENV_TOP_ENTRIES,
	       "g_chunk_info_used covers g_chunk_info");
/* Bumped by env_dma_fini(): thread caches from before hold blocks that are gone. */
static _Atomic uint64_t g_dma_generation = 1;

struct dma_thread_cache {
	uint64_t generation;
	uint8_t len[DMA_NODES + 1][DMA_CACHED_CLASSES];
	void *blocks[DMA_NODES + 1][DMA_CACHED_CLASSES][DMA_CACHE_DEPTH];
};

static __thread struct dma_thread_cache *t_cache;
static pthread_key_t g_cache_key;
static pthread_once_t g_cache_key_once = PTHREAD_ONCE_INIT;

static int node_slot(int numa_node)
{
	return numa_node < 0 || numa_node >= DMA_NODES ? 0 : numa_node + 1;
}

/* Maps @size bytes (a multiple of 2 MiB), 2 MiB-aligned; sets *huge. */
static void *dma_map_memory(uint64_t size, bool *huge)
{
	enum usk_env_hugepages policy = g_env_opts.hugepages;
	void *addr;

	if (policy != USK_ENV_HUGEPAGES_OFF || g_huge_only) {
		/* Named, as the default size may be 1 GiB. */
		int page_size = 21 << MAP_HUGE_SHIFT;

		addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | page_size, -1, 0);
		if (addr != MAP_FAILED) {
			*huge = true;
			return addr;
		}
		if (g_huge_only) {
			USK_ERRLOG("no free hugepages for %" PRIu64
				   " MiB of DMA memory, and VFIO's no-IOMMU mode "
				   "needs them: reserve them (HUGEMEM=... scripts/setup.sh)",
				   size >> 20);
			return NULL;
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

static _Atomic uint16_t *chunk_info_slot(uintptr_t addr, bool create)
{
	uintptr_t chunk = addr >> 21;
	uintptr_t top = (chunk >> DMA_INFO_LEAF_BITS) & ((1u << DMA_INFO_TOP_BITS) - 1);
	/* Acquire pairs with the release below: a published leaf is zeroed. */
	_Atomic uint16_t *leaf = atomic_load_explicit(&g_chunk_info[top], memory_order_acquire);

	if (leaf == NULL && create) {
		leaf = calloc(1u << DMA_INFO_LEAF_BITS, sizeof(*leaf));
		if (leaf == NULL) {
			return NULL;
		}
		atomic_store_explicit(&g_chunk_info[top], leaf, memory_order_release);
		env_top_used_set(&g_chunk_info_used, (uint32_t)top);
	}
	return leaf == NULL ? NULL : &leaf[chunk & ((1u << DMA_INFO_LEAF_BITS) - 1)];
}

/* The class and node slot of the small-block chunk holding @addr; -1 if none. */
static int chunk_info_get(uintptr_t addr, int *slot)
{
	_Atomic uint16_t *info = chunk_info_slot(addr, false);
	uint16_t v = info != NULL ? atomic_load_explicit(info, memory_order_relaxed) : 0;

	*slot = v >> 8;
	return (int)(v & 0xff) - 1;
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
	if (klass != DMA_CLASS_LARGE) {
		_Atomic uint16_t *info = chunk_info_slot(chunk.base, true);

		/* Without an entry the chunk's blocks just skip the thread caches. */
		if (info != NULL) {
			atomic_store_explicit(info, (uint16_t)((klass + 1) | chunk.node_slot << 8),
					      memory_order_relaxed);
		}
	}
	return chunk_find(chunk.base);
}

static void chunk_destroy(struct dma_chunk *chunk)
{
	size_t at = (size_t)(chunk - g_chunks);
	_Atomic uint16_t *info = chunk_info_slot(chunk->base, false);

	if (info != NULL) {
		atomic_store_explicit(info, 0, memory_order_relaxed);
	}
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

static void dma_block_free_locked(void *buf, int slot, int klass)
{
	struct dma_free_block *b = buf;

	b->next = g_free[slot][klass];
	g_free[slot][klass] = b;
}

/* Gives every block of the calling thread's cache back to the heap. */
static void dma_cache_flush(void *arg)
{
	struct dma_thread_cache *c = arg;

	pthread_mutex_lock(&g_dma_lock);
	if (c->generation == atomic_load(&g_dma_generation)) {
		for (int s = 0; s <= DMA_NODES; s++) {
			for (int k = 0; k < DMA_CACHED_CLASSES; k++) {
				while (c->len[s][k] > 0) {
					dma_block_free_locked(c->blocks[s][k][--c->len[s][k]], s,
							      k);
				}
			}
		}
	}
	pthread_mutex_unlock(&g_dma_lock);
	/*
	 * The exiting thread's other destructors may still free or allocate: they
	 * get a new cache, which the key's next destructor pass gives back.
	 */
	t_cache = NULL;
	free(c);
}

static void dma_cache_key_create(void)
{
	pthread_key_create(&g_cache_key, dma_cache_flush);
}

/* The calling thread's cache, empty again if the heap was torn down since. */
static struct dma_thread_cache *dma_cache_get(void)
{
	struct dma_thread_cache *c = t_cache;
	uint64_t generation = atomic_load_explicit(&g_dma_generation, memory_order_relaxed);

	if (c == NULL) {
		pthread_once(&g_cache_key_once, dma_cache_key_create);
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			return NULL;
		}
		t_cache = c;
		/* The key's destructor flushes the cache when the thread exits. */
		pthread_setspecific(g_cache_key, c);
	}
	if (c->generation != generation) {
		memset(c->len, 0, sizeof(c->len));
		c->generation = generation;
	}
	return c;
}

/* A cached block of class @klass, refilling half the cache when it is empty. */
static void *dma_cache_alloc(struct dma_thread_cache *c, int slot, int klass, int numa_node)
{
	uint8_t *len = &c->len[slot][klass];

	if (*len == 0) {
		pthread_mutex_lock(&g_dma_lock);
		while (*len < DMA_CACHE_DEPTH / 2) {
			void *b = dma_block_alloc(klass, numa_node);

			if (b == NULL) {
				break;
			}
			c->blocks[slot][klass][(*len)++] = b;
		}
		pthread_mutex_unlock(&g_dma_lock);
	}
	return *len > 0 ? c->blocks[slot][klass][--(*len)] : NULL;
}

void *usk_dma_malloc(size_t size, size_t align, int numa_node)
{
	void *buf;

	if (!env_is_initialized()) {
		USK_ERRLOG("usk_dma_malloc() before usk_env_init()");
		return NULL;
	}
	align = align == 0 ? (1u << DMA_MIN_SHIFT) : align;
	/* Above 2^63 the rounding up to a power of two or to 2 MiB wraps to a small size. */
	if (size == 0 || (uint64_t)size > UINT64_C(1) << 63 || !usk_u64_is_pow2(align) ||
	    align > ENV_HUGEPAGE_SIZE) {
		USK_ERRLOG("usk_dma_malloc(%zu, align %zu): size must be 1 to 2^63 and the "
			   "alignment a power of two up to 2 MiB",
			   size, align);
		return NULL;
	}
	uint64_t block = usk_u64_roundup_pow2(USK_MAX((uint64_t)size, (uint64_t)align));
	int klass = (int)usk_u64_log2(USK_MAX(block, UINT64_C(1) << DMA_MIN_SHIFT)) - DMA_MIN_SHIFT;
	struct dma_thread_cache *c = klass < DMA_CACHED_CLASSES ? dma_cache_get() : NULL;

	if (c != NULL) {
		return dma_cache_alloc(c, node_slot(numa_node), klass, numa_node);
	}
	pthread_mutex_lock(&g_dma_lock);
	if (block > (UINT64_C(1) << DMA_MAX_SHIFT)) {
		struct dma_chunk *chunk = chunk_create(usk_align_up(size, ENV_HUGEPAGE_SIZE),
						       DMA_CLASS_LARGE, numa_node);

		buf = chunk != NULL ? (void *)chunk->base : NULL;
	} else {
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
	int slot;
	int klass;

	if (buf == NULL) {
		return;
	}
	klass = chunk_info_get((uintptr_t)buf, &slot);
	struct dma_thread_cache *c =
		klass >= 0 && klass < DMA_CACHED_CLASSES ? dma_cache_get() : NULL;

	if (c != NULL) {
		uint8_t *len = &c->len[slot][klass];

		if (*len == DMA_CACHE_DEPTH) {
			pthread_mutex_lock(&g_dma_lock);
			while (*len > DMA_CACHE_DEPTH / 2) {
				dma_block_free_locked(c->blocks[slot][klass][--(*len)], slot,
						      klass);
			}
			pthread_mutex_unlock(&g_dma_lock);
		}
		c->blocks[slot][klass][(*len)++] = buf;
		return;
	}
	pthread_mutex_lock(&g_dma_lock);
	struct dma_chunk *chunk = chunk_find((uintptr_t)buf);

	if (chunk == NULL) {
		USK_ERRLOG("usk_dma_free(%p): not DMA memory from usk_dma_malloc()", buf);
	} else if (chunk->klass == DMA_CLASS_LARGE) {
		chunk_destroy(chunk);
	} else {
		dma_block_free_locked(buf, chunk->node_slot, chunk->klass);
	}
	pthread_mutex_unlock(&g_dma_lock);
}

int env_dma_require_hugepages(void)
{
	int rc = 0;

	pthread_mutex_lock(&g_dma_lock);
	g_huge_only = true;
	for (size_t i = 0; i < g_chunk_count && rc == 0; i++) {
		rc = g_chunks[i].huge ? 0 : -ENOTSUP;
	}
	pthread_mutex_unlock(&g_dma_lock);
	if (rc != 0) {
		USK_ERRLOG("VFIO's no-IOMMU mode needs DMA memory in hugepages, and some is in "
			   "4 KiB pages (none were free): reserve hugepages (HUGEMEM=... "
			   "scripts/setup.sh), or set USK_ENV_HUGEPAGES_ON");
	}
	return rc;
}

void env_dma_allow_small_pages(void)
{
	pthread_mutex_lock(&g_dma_lock);
	g_huge_only = false;
	pthread_mutex_unlock(&g_dma_lock);
}

static void chunk_info_free(uint32_t top)
{
	free(atomic_exchange(&g_chunk_info[top], NULL));
}

void env_dma_fini(void)
{
	pthread_mutex_lock(&g_dma_lock);
	g_huge_only = false;
	while (g_chunk_count > 0) {
		chunk_destroy(&g_chunks[g_chunk_count - 1]);
	}
	free(g_chunks);
	g_chunks = NULL;
	g_chunk_capacity = 0;
	memset(g_free, 0, sizeof(g_free));
	g_said_no_hugepages = false;
	/* Blocks in thread caches went with their chunks: caches start over. */
	atomic_fetch_add(&g_dma_generation, 1);
	env_top_used_drain(&g_chunk_info_used, chunk_info_free);
	pthread_mutex_unlock(&g_dma_lock);
}
