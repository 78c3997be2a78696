/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts for queue pairs whose thread goes to sleep: MSI-X vectors
 * routed to eventfds, and the arm/disarm that switches a completion queue
 * between polled and interrupting.
 *
 * How a vector is kept quiet while its queue pair is polled: by masking
 * it (taking its eventfd away: VFIO frees the vector's irq, which masks it
 * at the device), but lazily. The kernel's vfio-pci (6.1) takes no MSI-X
 * mask/unmask actions, so each mask or unmask is a VFIO_DEVICE_SET_IRQS
 * call (14 to 36 us in the VM lab, where it is an emulated write to the
 * MSI-X table); Interrupt Coalescing cannot turn a vector off. A vector
 * left unmasked while polling costs an interrupt per completion batch the
 * device posts (0.04 to 0.09 per I/O at queue depth 32 in the VM lab, up
 * to 1 at queue depth 1). So a disarm leaves the vector unmasked, and the
 * next arm, usually one idle spell later, needs no system call but the
 * read that empties what the eventfd counted meanwhile. Only a queue pair
 * that reaps usk_nvme_io_qpair_opts.interrupt_keep_completions without
 * arming again masks it: a busy stretch that long pays for the mask and
 * the next unmask in interrupts saved. doc/nvme.md has the measured
 * figures.
 *
 * No completion is missed: arming empties the eventfd before it looks at
 * the queue, so what lands after the look signals anew; a masked vector
 * keeps a message in its pending bit and sends it once unmasked.
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
		memset(c->irq_unmasked, 0, sizeof(c->irq_unmasked));
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

/* Empties the eventfd: what it counted is what polling now picks up. */
static void nvme_irq_drain(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count)) {
	}
}

/*
 * Makes vector @v signal its eventfd for a queue pair about to sleep on
 * it. Called with irq_lock held. Another armed user's count is live (it
 * may sleep on it): left alone. Left unmasked by a disarm, it counted
 * completions already polled: emptied, so the sleep waits for new ones.
 */
static int nvme_irq_vector_open(struct usk_nvme_ctrlr *c, uint16_t v)
{
	int rc;

	if (c->irq_armed[v] > 0) {
		return 0;
	}
	if (c->irq_unmasked[v]) {
		nvme_irq_drain(c->irq_fds[v]);
		return 0;
	}
	rc = usk_pci_device_set_msix_vector(c->dev, v, c->irq_fds[v]);
	c->irq_unmasked[v] = rc == 0;
	return rc;
}

/* Masks vector @v unless an armed queue pair wants it. Called with irq_lock held. */
static int nvme_irq_vector_close(struct usk_nvme_ctrlr *c, uint16_t v)
{
	int rc;

	if (c->irq_armed[v] > 0 || !c->irq_unmasked[v]) {
		return 0;
	}
	rc = usk_pci_device_set_msix_vector(c->dev, v, -1);
	c->irq_unmasked[v] = false;
	nvme_irq_drain(c->irq_fds[v]);
	return rc;
}

int usk_nvme_qpair_arm_interrupt(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint16_t v = q->irq_vector;
	int rc;

	if (v == 0) {
		return -ENOTSUP;
	}
	/* Its disconnection moves on only by polls; it must not be left armed. */
	if (q->closing) {
		return 1;
	}
	if (!q->irq_armed) {
		pthread_mutex_lock(&c->irq_lock);
		rc = nvme_irq_vector_open(c, v);
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
		q->irq_keep_reaps = 0;
		q->stats.interrupt_arms++;
	}
	/* The unmask or the drain (system calls, or the model's lock) come before this look. */
	usk_mb();
	if (nvme_qpair_needs_poll(q)) {
		q->stats.interrupt_arm_pending++;
		return 1;
	}
	return 0;
}

/* Masks @q's vector, left unmasked by its disarm, unless an armed queue pair wants it. */
static int nvme_qpair_irq_mask_kept(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	int rc;

	q->irq_keep_reaps = 0;
	pthread_mutex_lock(&c->irq_lock);
	rc = nvme_irq_vector_close(c, q->irq_vector);
	pthread_mutex_unlock(&c->irq_lock);
	if (rc != 0) {
		USK_ERRLOG("%s: qpair %u: vector %u could not be masked: %s", c->name, q->id,
			   q->irq_vector, strerror(-rc));
	}
	return rc;
}

void nvme_qpair_irq_release(struct usk_nvme_qpair *q)
{
	if (q->irq_vector != 0) {
		usk_nvme_qpair_disarm_interrupt(q);
		(void)nvme_qpair_irq_mask_kept(q);
		q->irq_vector = 0;
	}
}

void nvme_qpair_irq_count_kept(struct usk_nvme_qpair *q, uint32_t reaped)
{
	if (reaped < q->irq_keep_reaps) {
		q->irq_keep_reaps -= reaped;
		return;
	}
	(void)nvme_qpair_irq_mask_kept(q);
}

int usk_nvme_qpair_disarm_interrupt(struct usk_nvme_qpair *q)
{
	struct usk_nvme_ctrlr *c = q->ctrlr;
	uint16_t v = q->irq_vector;

	if (v == 0) {
		return -ENOTSUP;
	}
	if (!q->irq_armed) {
		return 0;
	}
	/* The vector stays unmasked: the next arm, likely soon, then needs no system call. */
	pthread_mutex_lock(&c->irq_lock);
	c->irq_armed[v]--;
	pthread_mutex_unlock(&c->irq_lock);
	q->irq_armed = false;
	q->stats.interrupt_disarms++;
	if (q->irq_keep_limit == 0) {
		return nvme_qpair_irq_mask_kept(q);
	}
	q->irq_keep_reaps = q->irq_keep_limit;
	return 0;
}
