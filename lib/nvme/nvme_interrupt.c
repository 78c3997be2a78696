/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts for queue pairs whose thread goes to sleep: MSI-X vectors
 * routed to eventfds, and the arm/disarm that switches a completion queue
 * between polled and interrupting.
 *
 * How a vector is kept quiet while its queue pair is polled: by taking its
 * eventfd away (VFIO frees the vector's irq, which masks it at the
 * device), not by leaving it enabled. The kernel's vfio-pci (6.1) takes no
 * MSI-X mask/unmask actions; Interrupt Coalescing cannot turn a vector off;
 * and a vector left enabled sends a message, through the IOMMU's interrupt
 * remapping and the kernel's eventfd, per completion batch the device
 * posts: a cost per I/O while polling, where a masked vector costs one
 * system call per switch (doc/nvme.md has the measured figures). A masked
 * vector keeps a message in its pending bit and sends it once unmasked, and
 * arming looks at the queue after unmasking: no completion is missed.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "nvme_internal.h"
#include "usk/log.h"
#include "usk/util.h"

/* Closes the vectors' eventfds (those opened: the rest are -1). */
static void nvme_irq_close_fds(struct usk_nvme_ctrlr *c, uint32_t count)
{
	for (uint32_t v = 0; v < count; v++) {
		if (c->irq_fds[v] >= 0) {
			close(c->irq_fds[v]);
		}
	}
}

/*
 * Opens an eventfd per vector and enables MSI-X with only the admin's
 * vector routed: the I/O vectors stay masked until a queue pair arms.
 */
static int nvme_irq_enable(struct usk_nvme_ctrlr *c, uint32_t vectors)
{
	int routed[NVME_IRQ_VECTORS_MAX] = {0};
	int rc = 0;

	for (uint32_t v = 0; v < vectors; v++) {
		c->irq_fds[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (c->irq_fds[v] < 0) {
			rc = -errno;
			nvme_irq_close_fds(c, v);
			return rc;
		}
		routed[v] = v == 0 ? c->irq_fds[0] : -1;
	}
	rc = usk_pci_device_set_msix(c->dev, routed, vectors);
	if (rc != 0) {
		nvme_irq_close_fds(c, vectors);
	}
	return rc;
}

void nvme_ctrlr_irq_setup(struct usk_nvme_ctrlr *c)
{
	uint32_t table = usk_pci_device_msix_count(c->dev);
	uint32_t vectors = USK_MIN(USK_MIN(table, c->max_io_queues + 1), NVME_IRQ_VECTORS_MAX);
	int rc;

	if (!c->opts.interrupts) {
		return;
	}
	if (vectors < 2) {
		USK_NOTICELOG("%s: %s: its queue pairs are polled only", c->name,
			      table == 0 ? "the device has no MSI-X"
					 : "one MSI-X vector, the admin queue's");
		return;
	}
	rc = nvme_irq_enable(c, vectors);
	if (rc != 0) {
		USK_WARNLOG("%s: MSI-X could not be enabled (%s): its queue pairs are polled only",
			    c->name, strerror(-rc));
		return;
	}
	c->irq_vectors = vectors;
}

void nvme_ctrlr_irq_free(struct usk_nvme_ctrlr *c)
{
	if (c->irq_vectors > 0) {
		usk_pci_device_set_msix(c->dev, NULL, 0);
		nvme_irq_close_fds(c, c->irq_vectors);
		c->irq_vectors = 0;
	}
}

uint16_t nvme_ctrlr_irq_vector(const struct usk_nvme_ctrlr *c, uint16_t qid)
{
	if (c->irq_vectors < 2) {
		return 0;
	}
	return (uint16_t)((qid - 1u) % (c->irq_vectors - 1) + 1);
}

int usk_nvme_ctrlr_get_admin_interrupt_fd(const struct usk_nvme_ctrlr *c)
{
	return c->irq_vectors > 0 ? c->irq_fds[0] : -ENOTSUP;
}

int usk_nvme_qpair_get_interrupt_fd(const struct usk_nvme_qpair *q)
{
	return q->irq_vector != 0 ? q->ctrlr->irq_fds[q->irq_vector] : -ENOTSUP;
}

/*
 * Whether the owner must poll rather than sleep: a completion in the CQ
 * (the head entry's phase bit), or work only its own polls move on.
 */
static bool nvme_qpair_needs_poll(const struct usk_nvme_qpair *q)
{
	/* The controller writes the phase bit last: an atomic load, off the data path. */
	uint16_t status = __atomic_load_n(&q->cq[q->cq_head].status, __ATOMIC_ACQUIRE);

	return (status & 1) == q->phase || q->closing || !nvme_qpair_in_sync(q) ||
	       q->waiting_head != NULL || q->sq_tail != q->sq_tail_rung;
}

int usk_nvme_qpair_arm_interrupt(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint16_t v = q->irq_vector;
	int rc = 0;

	if (v == 0) {
		return -ENOTSUP;
	}
	/* Its disconnection moves on only by polls; it must not be left armed. */
	if (q->closing) {
		return 1;
	}
	if (!q->irq_armed) {
		pthread_mutex_lock(&c->irq_lock);
		if (c->irq_armed[v] == 0) {
			rc = usk_pci_device_set_msix_vector(c->dev, v, c->irq_fds[v]);
		}
		if (rc == 0) {
			c->irq_armed[v]++;
		}
		pthread_mutex_unlock(&c->irq_lock);
		if (rc != 0) {
			USK_ERRLOG("%s: qpair %u: vector %u could not be unmasked: %s", c->name,
				   q->id, v, strerror(-rc));
			return rc;
		}
		q->irq_armed = true;
		q->stats.interrupt_arms++;
	}
	/* The unmask (a system call, or the model's lock) is ordered before this look. */
	usk_mb();
	if (nvme_qpair_needs_poll(q)) {
		q->stats.interrupt_arm_pending++;
		return 1;
	}
	return 0;
}

/* Empties the eventfd: what it counted is what polling now picks up. */
static void nvme_irq_drain(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count)) {
	}
}

void nvme_qpair_irq_release(struct usk_nvme_qpair *q)
{
	if (q->irq_vector != 0) {
		usk_nvme_qpair_disarm_interrupt(q);
		q->irq_vector = 0;
	}
}

int usk_nvme_qpair_disarm_interrupt(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint16_t v = q->irq_vector;
	int rc = 0;

	if (v == 0) {
		return -ENOTSUP;
	}
	if (!q->irq_armed) {
		return 0;
	}
	pthread_mutex_lock(&c->irq_lock);
	/* The last armed user of the vector masks it; until then the others may sleep on it. */
	if (--c->irq_armed[v] == 0) {
		rc = usk_pci_device_set_msix_vector(c->dev, v, -1);
		nvme_irq_drain(c->irq_fds[v]);
	}
	pthread_mutex_unlock(&c->irq_lock);
	q->irq_armed = false;
	q->stats.interrupt_disarms++;
	if (rc != 0) {
		USK_ERRLOG("%s: qpair %u: vector %u could not be masked: %s", c->name, q->id, v,
			   strerror(-rc));
	}
	return rc;
}
