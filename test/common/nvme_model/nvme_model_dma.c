/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's reach into host memory, as through an IOMMU: its own table of
 * what the driver mapped (filled by lib/env's DMA map hooks, the calls VFIO
 * gets on a real machine), not the driver's translation map. An IOVA the
 * driver got wrong, or memory it forgot to map, is then caught: the command
 * ends with Data Transfer Error and the model counts a DMA fault.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_model_internal.h"
#include "usk/env.h"
#include "usk_internal/env.h"

/* One mapped range; the table is sorted by IOVA and its ranges never overlap. */
struct dma_range {
	uint64_t iova;
	uint64_t len;
	uint8_t *vaddr;
};

/* One table for the process, as the hooks are: every model sees the same mappings. */
static pthread_mutex_t g_dma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dma_range *g_ranges;
static size_t g_range_count;
static size_t g_range_capacity;
static uint32_t g_dma_users; /* models alive: the hooks stay while there is one */

static int dma_insert_at(size_t at, const struct dma_range *r)
{
	if (g_range_count == g_range_capacity) {
		size_t capacity = g_range_capacity == 0 ? 64 : g_range_capacity * 2;
		struct dma_range *grown = realloc(g_ranges, capacity * sizeof(*grown));

		if (grown == NULL) {
			return -ENOMEM;
		}
		g_ranges = grown;
		g_range_capacity = capacity;
	}
	memmove(&g_ranges[at + 1], &g_ranges[at], (g_range_count - at) * sizeof(*r));
	g_ranges[at] = *r;
	g_range_count++;
	return 0;
}

/* Index of the first range that ends after @iova. */
static size_t dma_lower_bound(uint64_t iova)
{
	size_t lo = 0, hi = g_range_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g_ranges[mid].iova + g_ranges[mid].len <= iova) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Takes [iova, iova + len) out of the table, splitting the ranges it cuts. */
static int dma_remove_locked(uint64_t iova, uint64_t len)
{
	size_t i = dma_lower_bound(iova);

	while (i < g_range_count && g_ranges[i].iova < iova + len) {
		struct dma_range r = g_ranges[i];
		struct dma_range right = {.iova = iova + len,
					  .vaddr = r.vaddr + (iova + len - r.iova)};

		right.len = r.iova + r.len > iova + len ? r.iova + r.len - (iova + len) : 0;
		if (r.iova < iova) {
			g_ranges[i].len = iova - r.iova; /* the left part stays */
			i++;
		} else {
			memmove(&g_ranges[i], &g_ranges[i + 1],
				(g_range_count - i - 1) * sizeof(r));
			g_range_count--;
		}
		if (right.len > 0) {
			return dma_insert_at(i, &right);
		}
	}
	return 0;
}

static int dma_add_locked(uint8_t *vaddr, uint64_t iova, uint64_t len)
{
	struct dma_range r = {.iova = iova, .len = len, .vaddr = vaddr};
	int rc = dma_remove_locked(iova, len);

	return rc == 0 ? dma_insert_at(dma_lower_bound(iova), &r) : rc;
}

static int dma_hook_map(void *vaddr, uint64_t iova, uint64_t len)
{
	int rc;

	pthread_mutex_lock(&g_dma_lock);
	rc = dma_add_locked(vaddr, iova, len);
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

static int dma_hook_unmap(uint64_t iova, uint64_t len)
{
	int rc;

	pthread_mutex_lock(&g_dma_lock);
	rc = dma_remove_locked(iova, len);
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

static const struct env_dma_map_hooks g_model_dma_hooks = {
	.map = dma_hook_map,
	.unmap = dma_hook_unmap,
};

int model_dma_get(void)
{
	int rc = 0;

	pthread_mutex_lock(&g_dma_lock);
	if (g_dma_users == 0) {
		/* Not under g_dma_lock: installing calls the map hook for each region. */
		pthread_mutex_unlock(&g_dma_lock);
		rc = env_mem_set_dma_map_hooks(&g_model_dma_hooks);
		pthread_mutex_lock(&g_dma_lock);
	}
	g_dma_users += rc == 0;
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

void model_dma_put(void)
{
	pthread_mutex_lock(&g_dma_lock);
	if (--g_dma_users > 0) {
		pthread_mutex_unlock(&g_dma_lock);
		return;
	}
	pthread_mutex_unlock(&g_dma_lock);
	env_mem_set_dma_map_hooks(NULL);
	pthread_mutex_lock(&g_dma_lock);
	if (g_dma_users == 0) {
		free(g_ranges);
		g_ranges = NULL;
		g_range_count = g_range_capacity = 0;
	}
	pthread_mutex_unlock(&g_dma_lock);
}

void *model_host(struct nvme_model *m, uint64_t iova, uint64_t len)
{
	uint8_t *p = NULL;

	pthread_mutex_lock(&g_dma_lock);
	size_t i = dma_lower_bound(iova);

	if (i < g_range_count && g_ranges[i].iova <= iova && iova + len >= iova) {
		uint64_t covered = g_ranges[i].iova + g_ranges[i].len - iova;

		p = g_ranges[i].vaddr + (iova - g_ranges[i].iova);
		/* Ranges that follow on in both IOVA and memory read as one. */
		for (; covered < len && p != NULL; i++) {
			const struct dma_range *a = &g_ranges[i];
			const struct dma_range *b = i + 1 < g_range_count ? &g_ranges[i + 1] : NULL;

			if (b == NULL || b->iova != a->iova + a->len ||
			    b->vaddr != a->vaddr + a->len) {
				p = NULL;
			} else {
				covered += b->len;
			}
		}
	}
	pthread_mutex_unlock(&g_dma_lock);
	if (p == NULL) {
		atomic_fetch_add(&m->dma_faults, 1);
	}
	return p;
}

/* Applies @revoke (or restore) to each page of [vaddr, vaddr + len), by the driver's IOVAs. */
static int dma_pages(void *vaddr, size_t len, bool revoke)
{
	uintptr_t start = (uintptr_t)vaddr & ~(uintptr_t)(MODEL_PAGE - 1);
	uintptr_t end = ((uintptr_t)vaddr + len + MODEL_PAGE - 1) & ~(uintptr_t)(MODEL_PAGE - 1);
	int rc = 0;

	pthread_mutex_lock(&g_dma_lock);
	for (uintptr_t page = start; page < end && rc == 0; page += MODEL_PAGE) {
		uint64_t iova = usk_vtoiova((void *)page, NULL);

		if (iova == USK_IOVA_INVALID) {
			rc = -EINVAL;
		} else {
			rc = revoke ? dma_remove_locked(iova, MODEL_PAGE)
				    : dma_add_locked((uint8_t *)page, iova, MODEL_PAGE);
		}
	}
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

int nvme_model_dma_revoke(void *vaddr, size_t len)
{
	return dma_pages(vaddr, len, true);
}

int nvme_model_dma_restore(void *vaddr, size_t len)
{
	return dma_pages(vaddr, len, false);
}

uint64_t nvme_model_dma_faults(struct nvme_model *m)
{
	return atomic_load(&m->dma_faults);
}

/* Copies between host memory (PRPs) and @buf; returns an NVMe status code. */
static uint16_t model_prp_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			       uint64_t len, bool to_host)
{
	uint64_t first = MODEL_PAGE - (cmd->prp1 & (MODEL_PAGE - 1));
	uint64_t done = 0;
	uint64_t *list = NULL;

	if (len > first + MODEL_PAGE) {
		list = model_host(m, cmd->prp2, ((len - first + MODEL_PAGE - 1) / MODEL_PAGE) * 8);
		if (list == NULL) {
			return 0x004; /* Data Transfer Error */
		}
	}
	for (uint32_t i = 0; done < len; i++) {
		uint64_t iova = i == 0 ? cmd->prp1 : (list != NULL ? list[i - 1] : cmd->prp2);
		uint64_t chunk = USK_MIN(len - done, i == 0 ? first : MODEL_PAGE);
		uint8_t *p = model_host(m, iova, chunk);

		if (p == NULL || (i > 0 && (iova & (MODEL_PAGE - 1)) != 0)) {
			return p == NULL ? 0x004 : 0x013; /* Invalid PRP Offset */
		}
		memcpy(to_host ? p : buf + done, to_host ? buf + done : p, chunk);
		done += chunk;
	}
	return 0;
}

/* Copies along an SGL: one Data Block descriptor, or a Last Segment of them. */
static uint16_t model_sgl_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			       uint64_t len, bool to_host)
{
	struct desc {
		uint64_t address;
		uint32_t length;
		uint8_t reserved[3];
		uint8_t id;
	} one = {.address = cmd->prp1,
		 .length = (uint32_t)cmd->prp2,
		 .id = (uint8_t)(cmd->prp2 >> 56)};
	const struct desc *list = &one;
	uint32_t count = 1;
	uint64_t done = 0;

	if ((one.id >> 4) == 0x3) {
		count = one.length / sizeof(struct desc);
		list = model_host(m, one.address, one.length);
		if (list == NULL) {
			return 0x004; /* Data Transfer Error */
		}
		if (one.length % sizeof(struct desc) != 0) {
			return 0x00d; /* Invalid SGL Segment Descriptor */
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *p = model_host(m, list[i].address, list[i].length);

		if ((list[i].id >> 4) != 0) {
			return 0x011; /* SGL Descriptor Type Invalid */
		}
		if (p == NULL) {
			return 0x004; /* Data Transfer Error */
		}
		if (done + list[i].length > len) {
			return 0x00f; /* Data SGL Length Invalid */
		}
		memcpy(to_host ? p : buf + done, to_host ? buf + done : p, list[i].length);
		done += list[i].length;
	}
	return done == len ? 0 : 0x00f;
}

/* Moves a command's data between host memory and @buf, by SGL or PRPs. */
uint16_t model_data_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			 uint64_t len, bool to_host)
{
	/*
	 * MDTS counts in units of CAP.MPSMIN (4 KiB here); 0 is no limit (base
	 * 5.17.2.1), and from 52 on the limit is beyond 64 bits.
	 */
	if (m->opts.mdts != 0 && m->opts.mdts < 52 && len > (uint64_t)MODEL_PAGE << m->opts.mdts) {
		return 0x002; /* Invalid Field in Command */
	}
	if ((cmd->flags >> 6) == 1) {
		return m->opts.sgls ? model_sgl_copy(m, cmd, buf, len, to_host) : 0x002;
	}
	return model_prp_copy(m, cmd, buf, len, to_host);
}
