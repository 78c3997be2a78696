/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's face: its PCI device ops, creation and test controls. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvme_model_internal.h"

static struct nvme_model *to_model(struct usk_pci_device *dev)
{
	return USK_CONTAINEROF(dev, struct nvme_model, pci);
}

static int model_map_bar(struct usk_pci_device *dev, uint32_t bar, void **addr, uint64_t *size)
{
	if (bar != 0) {
		return -EINVAL;
	}
	*addr = to_model(dev)->regs;
	*size = model_regs_size(to_model(dev));
	return 0;
}

static int model_unmap_bar(struct usk_pci_device *dev, uint32_t bar, void *addr)
{
	return bar == 0 && addr == to_model(dev)->regs ? 0 : -EINVAL;
}

static int model_cfg_read(struct usk_pci_device *dev, void *buf, uint32_t len, uint32_t off)
{
	if ((uint64_t)off + len > sizeof(to_model(dev)->cfg)) {
		return -EINVAL;
	}
	memcpy(buf, to_model(dev)->cfg + off, len);
	return 0;
}

static int model_cfg_write(struct usk_pci_device *dev, const void *buf, uint32_t len, uint32_t off)
{
	if ((uint64_t)off + len > sizeof(to_model(dev)->cfg)) {
		return -EINVAL;
	}
	memcpy(to_model(dev)->cfg + off, buf, len);
	return 0;
}

static int model_reset(struct usk_pci_device *dev)
{
	return 0;
}

static int model_set_msix(struct usk_pci_device *dev, const int *fds, uint32_t count)
{
	return model_msix_set(to_model(dev), fds, count);
}

static int model_set_msix_vector(struct usk_pci_device *dev, uint32_t vector, int fd)
{
	return model_msix_set_vector(to_model(dev), vector, fd);
}

static bool model_removal_requested(struct usk_pci_device *dev)
{
	return atomic_load(&to_model(dev)->removed);
}

/* The test owns the model: detaching only lets go of the handle. */
static void model_detach(struct usk_pci_device *dev)
{
}

static const struct usk_pci_device_ops g_model_ops = {
	.map_bar = model_map_bar,
	.unmap_bar = model_unmap_bar,
	.cfg_read = model_cfg_read,
	.cfg_write = model_cfg_write,
	.reset = model_reset,
	.set_msix = model_set_msix,
	.set_msix_vector = model_set_msix_vector,
	.removal_requested = model_removal_requested,
	.detach = model_detach,
};

void nvme_model_opts_init(struct nvme_model_opts *opts)
{
	*opts = (struct nvme_model_opts){
		.ns_count = 1,
		.ns_blocks = {2048},
		.ns_block_shift = {9},
		.mdts = 5,
		.max_entries = 64,
		.max_io_queues = 8,
		.cap_to = 1,
	};
}

int nvme_model_create(const struct nvme_model_opts *opts, struct nvme_model **model)
{
	struct nvme_model *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL || opts->ns_count > NVME_MODEL_MAX_NS ||
	    opts->max_io_queues >= MODEL_QUEUES || opts->dstrd > 15 || opts->max_entries < 2 ||
	    opts->max_entries > 65536 || opts->nlbaf > NVME_MODEL_MAX_LBAF ||
	    opts->msix_vectors > MODEL_MSIX_MAX) {
		free(m);
		return -EINVAL;
	}
	rc = model_dma_get();
	if (rc != 0) {
		free(m);
		return rc;
	}
	m->opts = *opts;
	m->rng = opts->seed != 0 ? opts->seed : 0x9e3779b97f4a7c15ull;
	atomic_store(&m->next_ready_delay_ms, -1);
	m->regs = aligned_alloc(4096, model_regs_size(m));
	pthread_mutex_init(&m->fault_lock, NULL);
	model_msix_init(m);
	rc = model_ns_create(m);
	if (rc != 0) {
		nvme_model_destroy(m);
		return rc;
	}
	memset(m->regs, 0, model_regs_size(m));
	/* CAP: MQES, CQR, TO (500 ms units), DSTRD, NVM command set. */
	*(uint64_t *)m->regs = (uint64_t)(opts->max_entries - 1) | 1ull << 16 |
			       (uint64_t)(opts->cap_to != 0 ? opts->cap_to : 1) << 24 |
			       (uint64_t)opts->dstrd << 32 | 1ull << 37;
	*(uint32_t *)(m->regs + USK_NVME_REG_VS) = 0x10400;
	m->cfg[0x0a] = 0x08; /* class code 0x010802 at 0x09 */
	m->cfg[0x0b] = 0x01;
	m->cfg[0x09] = 0x02;
	m->pci.ops = &g_model_ops;
	m->pci.info.class_code = USK_PCI_CLASS_NVME;
	m->pci.info.numa_node = -1;
	m->pci.info.iommu_group = -1;
	if (pthread_create(&m->thread, NULL, nvme_model_thread_main, m) != 0) {
		nvme_model_destroy(m);
		return -EAGAIN;
	}
	m->thread_started = true;
	*model = m;
	return 0;
}

void nvme_model_destroy(struct nvme_model *m)
{
	atomic_store(&m->stop, true);
	if (m->thread_started) {
		pthread_join(m->thread, NULL);
	}
	model_ns_destroy(m);
	for (uint32_t q = 0; q < MODEL_QUEUES; q++) {
		free(m->pending[q].cpl);
	}
	pthread_mutex_destroy(&m->fault_lock);
	model_msix_fini(m);
	free(m->regs);
	free(m);
	model_dma_put();
}

struct usk_pci_device *nvme_model_pci_device(struct nvme_model *m)
{
	return &m->pci;
}

void nvme_model_inject_status(struct nvme_model *m, uint8_t opcode, uint16_t status, uint32_t count)
{
	pthread_mutex_lock(&m->fault_lock);
	m->fault_opcode = opcode;
	m->fault_status = status;
	m->fault_count = count;
	pthread_mutex_unlock(&m->fault_lock);
}

void nvme_model_inject_admin_status(struct nvme_model *m, uint8_t opcode, uint16_t status,
				    uint32_t count)
{
	pthread_mutex_lock(&m->fault_lock);
	m->admin_fault_opcode = opcode;
	m->admin_fault_status = status;
	m->admin_fault_count = count;
	pthread_mutex_unlock(&m->fault_lock);
}

void nvme_model_drop_completions(struct nvme_model *m, uint32_t count)
{
	pthread_mutex_lock(&m->fault_lock);
	m->drop_count = count;
	pthread_mutex_unlock(&m->fault_lock);
}

void nvme_model_complete_dropped(struct nvme_model *m)
{
	atomic_store(&m->complete_dropped, true);
}

bool nvme_model_drops_taken(struct nvme_model *m)
{
	uint32_t left;

	pthread_mutex_lock(&m->fault_lock);
	left = m->drop_count;
	pthread_mutex_unlock(&m->fault_lock);
	return left == 0;
}

bool nvme_model_wait_drops_taken(struct nvme_model *m)
{
	for (int i = 0; i < MODEL_WAIT_LIMIT_MS; i++) {
		if (nvme_model_drops_taken(m)) {
			return true;
		}
		usleep(1000);
	}
	return false;
}

void nvme_model_drop_admin_completions_after(struct nvme_model *m, uint32_t skip, uint32_t count)
{
	pthread_mutex_lock(&m->fault_lock);
	m->admin_drop_skip = skip;
	m->admin_drop_count = count;
	pthread_mutex_unlock(&m->fault_lock);
}

void nvme_model_drop_admin_completions(struct nvme_model *m, uint32_t count)
{
	nvme_model_drop_admin_completions_after(m, 0, count);
}

bool nvme_model_admin_drops_taken(struct nvme_model *m)
{
	uint32_t left;

	pthread_mutex_lock(&m->fault_lock);
	left = m->admin_drop_count;
	pthread_mutex_unlock(&m->fault_lock);
	return left == 0;
}

void nvme_model_raise_event(struct nvme_model *m, uint32_t dw0)
{
	m->event_dw0 = dw0;
	atomic_store(&m->event_raised, true);
}

uint32_t nvme_model_aers_waiting(struct nvme_model *m)
{
	return __atomic_load_n(&m->aer_count, __ATOMIC_ACQUIRE);
}

uint32_t nvme_model_async_event_config(struct nvme_model *m)
{
	return __atomic_load_n(&m->async_event_config, __ATOMIC_ACQUIRE);
}

void nvme_model_set_ns_blocks(struct nvme_model *m, uint32_t nsid, uint64_t blocks)
{
	if (nsid >= 1 && nsid <= m->opts.ns_count && blocks <= m->ns_capacity[nsid - 1]) {
		__atomic_store_n(&m->opts.ns_blocks[nsid - 1], blocks, __ATOMIC_RELEASE);
	}
}

void nvme_model_set_ready_delay(struct nvme_model *m, uint32_t ms)
{
	atomic_store(&m->next_ready_delay_ms, (int64_t)ms);
}

bool nvme_model_enabled(struct nvme_model *m)
{
	return (__atomic_load_n((uint32_t *)(m->regs + USK_NVME_REG_CC), __ATOMIC_ACQUIRE) &
		USK_NVME_CC_EN) != 0;
}

bool nvme_model_waiting_ready(struct nvme_model *m)
{
	return atomic_load(&m->waiting_ready);
}

bool nvme_model_shutting_down(struct nvme_model *m)
{
	return atomic_load(&m->shutdown_seen);
}

uint32_t nvme_model_enable_count(struct nvme_model *m)
{
	return atomic_load(&m->enable_count);
}

uint32_t nvme_model_live_sqs_at_disable(struct nvme_model *m)
{
	return atomic_load(&m->live_sqs_at_disable);
}

void nvme_model_remove(struct nvme_model *m)
{
	atomic_store(&m->halted, true);
	atomic_store(&m->removed, true);
}

void nvme_model_set_cfs(struct nvme_model *m)
{
	atomic_store(&m->halted, true);
	__atomic_or_fetch((uint32_t *)(m->regs + USK_NVME_REG_CSTS), USK_NVME_CSTS_CFS,
			  __ATOMIC_SEQ_CST);
}

void nvme_model_pause(struct nvme_model *m, bool pause)
{
	uint64_t pass = atomic_load(&m->passes);

	atomic_store(&m->paused, pause);
	/* Two passes: the one under way may have begun before the flag was set. */
	for (int i = 0; pause && i < MODEL_WAIT_LIMIT_MS && atomic_load(&m->passes) < pass + 2;
	     i++) {
		usleep(1000);
	}
}

uint64_t nvme_model_io_cqes_posted(struct nvme_model *m)
{
	return atomic_load(&m->io_cqes_posted);
}

uint64_t nvme_model_doorbell_errors(struct nvme_model *m)
{
	return atomic_load(&m->doorbell_errors);
}

uint64_t nvme_model_sq_doorbell_writes(struct nvme_model *m)
{
	return atomic_load(&m->sq_doorbell_writes);
}

uint64_t nvme_model_io_completed(struct nvme_model *m)
{
	return atomic_load(&m->io_completed);
}

uint32_t nvme_model_aborts(struct nvme_model *m)
{
	return atomic_load(&m->aborts);
}

bool nvme_model_admin_settle(struct nvme_model *m)
{
	/*
	 * The model swaps its sentinel into the admin SQ tail register as it
	 * takes a write, with admin_fetching set until it has run what the write
	 * gave it: the sentinel there, then the flag clear, means all is done.
	 */
	volatile uint32_t *tail = model_reg32(m, USK_NVME_REG_DOORBELL_BASE);
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (__atomic_load_n(tail, __ATOMIC_ACQUIRE) == MODEL_DOORBELL_UNWRITTEN &&
		    !atomic_load(&m->admin_fetching)) {
			return true;
		}
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < MODEL_WAIT_LIMIT_MS / 1000);
	return false;
}

uint8_t *nvme_model_ns_data(struct nvme_model *m, uint32_t nsid)
{
	return nsid >= 1 && nsid <= m->opts.ns_count ? m->ns_data[nsid - 1] : NULL;
}
