/* SPDX-License-Identifier: BSD-3-Clause */
/* A PCI device bound to vfio-pci: the VFIO implementation of usk_pci_device. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "env_internal.h"
#include "vfio_internal.h"
#include "usk/log.h"
#include "usk/pci.h"
#include "usk/util.h"

#define VFIO_BARS 6

struct vfio_pci_device {
	struct usk_pci_device base;
	char bdf[USK_PCI_ADDR_STRLEN];
	int fd;
	int req_fd; /* eventfd the kernel signals to ask for the device back */
	bool removal_requested;
	uint64_t cfg_offset;
};

static struct vfio_pci_device *to_vfio(struct usk_pci_device *dev)
{
	return USK_CONTAINEROF(dev, struct vfio_pci_device, base);
}

static int vfio_region_info(struct vfio_pci_device *vdev, uint32_t index,
			    struct vfio_region_info *info)
{
	*info = (struct vfio_region_info){.argsz = sizeof(*info), .index = index};
	return ioctl(vdev->fd, VFIO_DEVICE_GET_REGION_INFO, info) == 0 ? 0 : -errno;
}

static int vfio_map_bar(struct usk_pci_device *dev, uint32_t bar, void **addr, uint64_t *size)
{
	struct vfio_pci_device *vdev = to_vfio(dev);
	struct vfio_region_info info;
	int rc = bar < VFIO_BARS ? vfio_region_info(vdev, bar, &info) : -EINVAL;

	if (rc != 0) {
		return rc;
	}
	if (info.size == 0 || (info.flags & VFIO_REGION_INFO_FLAG_MMAP) == 0) {
		USK_ERRLOG("%s: BAR %u cannot be mapped (size %llu, flags 0x%x)", vdev->bdf, bar,
			   (unsigned long long)info.size, info.flags);
		return -ENOTSUP;
	}
	void *va = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, vdev->fd,
			(off_t)info.offset);

	if (va == MAP_FAILED) {
		rc = -errno;
		USK_ERRLOG("%s: mmap of BAR %u failed: %s", vdev->bdf, bar, strerror(-rc));
		return rc;
	}
	*addr = va;
	*size = info.size;
	return 0;
}

static int vfio_unmap_bar(struct usk_pci_device *dev, uint32_t bar, void *addr)
{
	struct vfio_region_info info;
	int rc = bar < VFIO_BARS ? vfio_region_info(to_vfio(dev), bar, &info) : -EINVAL;

	return rc != 0 ? rc : (munmap(addr, info.size) == 0 ? 0 : -errno);
}

static int vfio_cfg_read(struct usk_pci_device *dev, void *buf, uint32_t len, uint32_t offset)
{
	struct vfio_pci_device *vdev = to_vfio(dev);
	ssize_t n = pread(vdev->fd, buf, len, (off_t)(vdev->cfg_offset + offset));

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

static int vfio_cfg_write(struct usk_pci_device *dev, const void *buf, uint32_t len,
			  uint32_t offset)
{
	struct vfio_pci_device *vdev = to_vfio(dev);
	ssize_t n = pwrite(vdev->fd, buf, len, (off_t)(vdev->cfg_offset + offset));

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

static int vfio_reset(struct usk_pci_device *dev)
{
	return ioctl(to_vfio(dev)->fd, VFIO_DEVICE_RESET) == 0 ? 0 : -errno;
}

/*
 * Routes vectors @start..@start+@count-1 of interrupt @index to @fds (-1:
 * none); @start 0 and @count 0 turn the interrupt off.
 */
static int vfio_set_irqs(struct vfio_pci_device *vdev, uint32_t index, uint32_t start,
			 const int *fds, uint32_t count)
{
	size_t size = sizeof(struct vfio_irq_set) + count * sizeof(int);
	struct vfio_irq_set *set = calloc(1, size);
	int rc = 0;

	if (set == NULL) {
		return -ENOMEM;
	}
	set->argsz = (uint32_t)size;
	set->index = index;
	set->start = start;
	set->count = count;
	set->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		     (count > 0 ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	if (count > 0) {
		memcpy(set->data, fds, count * sizeof(int)); /* @fds may be NULL when off */
	}
	if (ioctl(vdev->fd, VFIO_DEVICE_SET_IRQS, set) != 0) {
		rc = -errno;
	}
	free(set);
	return rc;
}

static int vfio_set_msix(struct usk_pci_device *dev, const int *fds, uint32_t count)
{
	return vfio_set_irqs(to_vfio(dev), VFIO_PCI_MSIX_IRQ_INDEX, 0, fds, count);
}

/*
 * One vector's eventfd. The kernel (6.1 at least) takes no MSI-X mask or
 * unmask action from user space; what it does take is a new eventfd for a
 * vector of the enabled block, and -1 frees the vector's irq, which masks
 * the vector at the device.
 */
static int vfio_set_msix_vector(struct usk_pci_device *dev, uint32_t vector, int fd)
{
	return vfio_set_irqs(to_vfio(dev), VFIO_PCI_MSIX_IRQ_INDEX, vector, &fd, 1);
}

static bool vfio_removal_requested(struct usk_pci_device *dev)
{
	struct vfio_pci_device *vdev = to_vfio(dev);
	uint64_t count;

	if (!vdev->removal_requested && vdev->req_fd >= 0 &&
	    read(vdev->req_fd, &count, sizeof(count)) == (ssize_t)sizeof(count)) {
		USK_WARNLOG("%s: the kernel asks for the device back (hot-unplug)", vdev->bdf);
		vdev->removal_requested = true;
	}
	return vdev->removal_requested;
}

static void vfio_detach(struct usk_pci_device *dev)
{
	struct vfio_pci_device *vdev = to_vfio(dev);

	if (vdev->req_fd >= 0) {
		vfio_set_irqs(vdev, VFIO_PCI_REQ_IRQ_INDEX, 0, NULL, 0);
		close(vdev->req_fd);
	}
	close(vdev->fd);
	free(vdev);
}

static const struct usk_pci_device_ops g_vfio_pci_ops = {
	.map_bar = vfio_map_bar,
	.unmap_bar = vfio_unmap_bar,
	.cfg_read = vfio_cfg_read,
	.cfg_write = vfio_cfg_write,
	.reset = vfio_reset,
	.set_msix = vfio_set_msix,
	.set_msix_vector = vfio_set_msix_vector,
	.removal_requested = vfio_removal_requested,
	.detach = vfio_detach,
};

/* Says what to do about a device that VFIO cannot take. */
static int vfio_check_bound(const char *bdf, const struct usk_pci_device_info *info)
{
	if (strcmp(info->driver, "vfio-pci") != 0) {
		USK_ERRLOG("%s is %s%s, not vfio-pci: bind it with scripts/setup.sh (as root)", bdf,
			   info->driver[0] != '\0' ? "bound to " : "bound to no driver",
			   info->driver);
		return -EBUSY;
	}
	if (info->iommu_group < 0) {
		USK_ERRLOG("%s has no IOMMU group: the IOMMU is off; enable it (intel_iommu=on or "
			   "amd_iommu=on on the kernel command line)",
			   bdf);
		return -ENXIO;
	}
	return 0;
}

/* Opens the device in its group, finds its config space, arms the request notifier. */
static int vfio_device_open(struct vfio_pci_device *vdev, int group_fd)
{
	struct vfio_region_info cfg;
	int rc;

	vdev->fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, vdev->bdf);
	if (vdev->fd < 0) {
		rc = -errno;
		USK_ERRLOG("%s: VFIO will not open the device: %s", vdev->bdf, strerror(-rc));
		return rc;
	}
	rc = vfio_region_info(vdev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (rc != 0) {
		close(vdev->fd);
		return rc;
	}
	vdev->cfg_offset = cfg.offset;
	vdev->req_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vdev->req_fd >= 0 &&
	    vfio_set_irqs(vdev, VFIO_PCI_REQ_IRQ_INDEX, 0, &vdev->req_fd, 1) != 0) {
		/* Kernels before 4.0 have no request interrupt: removal is then seen as all-ones.
		 */
		close(vdev->req_fd);
		vdev->req_fd = -1;
	}
	return 0;
}

int usk_pci_device_attach(const struct usk_pci_addr *addr, struct usk_pci_device **dev)
{
	struct vfio_pci_device *vdev = calloc(1, sizeof(*vdev));
	int group_fd;
	int rc;

	if (vdev == NULL) {
		return -ENOMEM;
	}
	usk_pci_addr_fmt(vdev->bdf, sizeof(vdev->bdf), addr);
	rc = usk_pci_device_info_get(addr, &vdev->base.info);
	if (rc == -ENODEV) {
		USK_ERRLOG("%s: no such PCI device", vdev->bdf);
	}
	if (rc == 0) {
		rc = vfio_check_bound(vdev->bdf, &vdev->base.info);
	}
	if (rc == 0) {
		rc = vfio_group_get_fd(vdev->base.info.iommu_group, &group_fd);
	}
	if (rc == 0) {
		rc = vfio_device_open(vdev, group_fd);
	}
	if (rc != 0) {
		free(vdev);
		return rc;
	}
	vdev->base.ops = &g_vfio_pci_ops;
	*dev = &vdev->base;
	return 0;
}
