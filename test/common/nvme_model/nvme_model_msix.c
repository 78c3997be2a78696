/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's MSI-X: a capability in configuration space, a vector table
 * of eventfds, and the pending bit of a masked vector (PCI Local Bus spec
 * 6.8.2). A vector with no eventfd is masked, as VFIO leaves it: a message
 * then sets its pending bit, and the eventfd the host routes to it later
 * is signalled at once, as a device sends a pending message on unmask.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "nvme_model_internal.h"

/* Where the capability sits: the first offset after the standard header. */
#define MODEL_MSIX_CAP 0x40

void model_msix_init(struct nvme_model *m)
{
	uint16_t control = (uint16_t)(m->opts.msix_vectors - 1);

	pthread_mutex_init(&m->msix_lock, NULL);
	for (uint32_t v = 0; v < MODEL_MSIX_MAX; v++) {
		m->msix_fd[v] = -1;
	}
	for (uint32_t q = 0; q < MODEL_QUEUES; q++) {
		m->cq_vector[q] = -1;
	}
	if (m->opts.msix_vectors == 0) {
		return;
	}
	m->cfg[0x06] |= 1u << 4; /* Status: Capabilities List */
	m->cfg[0x34] = MODEL_MSIX_CAP;
	m->cfg[MODEL_MSIX_CAP] = 0x11; /* MSI-X; next pointer 0: the last */
	memcpy(&m->cfg[MODEL_MSIX_CAP + 2], &control, sizeof(control));
}

void model_msix_fini(struct nvme_model *m)
{
	pthread_mutex_destroy(&m->msix_lock);
}

/* Sends vector @v's message to its eventfd; the MSI-X lock is held. */
static void msix_signal(struct nvme_model *m, uint32_t v)
{
	uint64_t one = 1;

	if (write(m->msix_fd[v], &one, sizeof(one)) == (ssize_t)sizeof(one)) {
		atomic_fetch_add(&m->msix_signals, 1);
	}
}

void model_msix_raise(struct nvme_model *m, uint16_t cqid)
{
	const struct model_queue *cq = &m->cq[cqid];
	/* The admin CQ always interrupts, on vector 0 (base 3.1.x, Create I/O CQ for the rest). */
	uint32_t v = cqid == 0 ? 0 : cq->iv;

	if (cqid != 0 && !cq->ien) {
		return;
	}
	pthread_mutex_lock(&m->msix_lock);
	if (v < m->msix_enabled) {
		if (m->msix_fd[v] >= 0) {
			msix_signal(m, v);
		} else {
			m->msix_pending[v] = true;
		}
	}
	pthread_mutex_unlock(&m->msix_lock);
}

int model_msix_set(struct nvme_model *m, const int *fds, uint32_t count)
{
	if (count > m->opts.msix_vectors) {
		return -EINVAL;
	}
	pthread_mutex_lock(&m->msix_lock);
	m->msix_enabled = count;
	for (uint32_t v = 0; v < MODEL_MSIX_MAX; v++) {
		m->msix_fd[v] = v < count ? fds[v] : -1;
		m->msix_pending[v] = false;
	}
	pthread_mutex_unlock(&m->msix_lock);
	return 0;
}

int model_msix_set_vector(struct nvme_model *m, uint32_t v, int fd)
{
	void (*hook)(void *ctx, uint32_t vector) = NULL;
	void *hook_ctx = NULL;

	pthread_mutex_lock(&m->msix_lock);
	if (v >= m->msix_enabled) {
		pthread_mutex_unlock(&m->msix_lock);
		return -EINVAL;
	}
	m->msix_fd[v] = fd;
	if (fd >= 0 && m->msix_pending[v]) {
		m->msix_pending[v] = false;
		msix_signal(m, v);
	}
	if (fd >= 0) {
		m->msix_assigns[v]++;
		hook = m->assign_hook;
		hook_ctx = m->assign_hook_ctx;
	}
	pthread_mutex_unlock(&m->msix_lock);
	/* Outside the lock: the hook lets the model's thread post, which raises vectors. */
	if (hook != NULL) {
		hook(hook_ctx, v);
	}
	return 0;
}

void nvme_model_set_assign_hook(struct nvme_model *m, void (*hook)(void *ctx, uint32_t vector),
				void *ctx)
{
	pthread_mutex_lock(&m->msix_lock);
	m->assign_hook = hook;
	m->assign_hook_ctx = ctx;
	pthread_mutex_unlock(&m->msix_lock);
}

bool nvme_model_vector_assigned(struct nvme_model *m, uint32_t vector)
{
	bool assigned;

	pthread_mutex_lock(&m->msix_lock);
	assigned = vector < m->msix_enabled && m->msix_fd[vector] >= 0;
	pthread_mutex_unlock(&m->msix_lock);
	return assigned;
}

uint64_t nvme_model_vector_assigns(struct nvme_model *m, uint32_t vector)
{
	uint64_t n;

	pthread_mutex_lock(&m->msix_lock);
	n = vector < MODEL_MSIX_MAX ? m->msix_assigns[vector] : 0;
	pthread_mutex_unlock(&m->msix_lock);
	return n;
}

uint64_t nvme_model_msix_signals(struct nvme_model *m)
{
	return atomic_load(&m->msix_signals);
}

void model_msix_note_cq(struct nvme_model *m, uint16_t cqid, bool ien, uint16_t iv)
{
	pthread_mutex_lock(&m->msix_lock);
	m->cq_vector[cqid] = ien ? (int32_t)iv : -1;
	pthread_mutex_unlock(&m->msix_lock);
}

int32_t nvme_model_cq_vector(struct nvme_model *m, uint16_t cqid)
{
	int32_t v;

	pthread_mutex_lock(&m->msix_lock);
	v = cqid < MODEL_QUEUES ? m->cq_vector[cqid] : -1;
	pthread_mutex_unlock(&m->msix_lock);
	return v;
}
