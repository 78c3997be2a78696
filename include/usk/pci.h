/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * PCI devices: addresses, enumeration through sysfs, and the device
 * handle that drivers (lib/nvme) use to reach a device.
 *
 * The handle is an interface: struct usk_pci_device carries a small ops
 * table. The VFIO implementation (usk_pci_device_attach()) is one; the NVMe
 * controller model that the unit tests use is another. A driver calls only
 * the usk_pci_device_*() functions below and never knows which one it has.
 *
 * Thread rules: enumeration, attach and detach may be called from any
 * thread but not concurrently for the same device. BAR accesses through a
 * mapped BAR are plain memory accesses and follow the driver's own rules.
 * The other usk_pci_device_*() calls are control-path calls: the caller
 * serialises them per device.
 */
#ifndef USK_PCI_H
#define USK_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** PCI class code (class, subclass, programming interface) of an NVMe controller. */
#define USK_PCI_CLASS_NVME 0x010802u

/** A PCI function's address: domain:bus:device.function. */
struct usk_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t func;
};

/** Longest formatted address, "dddd:bb:dd.f" with a 4-digit domain, plus NUL. */
#define USK_PCI_ADDR_STRLEN 13

/**
 * Parse "0000:00:03.0" or the short form "00:03.0" (domain 0).
 *
 * @param addr where the address is stored on success
 * @param str  the text to parse
 * @return 0, or -EINVAL if @p str is not a PCI address.
 */
int usk_pci_addr_parse(struct usk_pci_addr *addr, const char *str);

/**
 * Format @p addr as "dddd:bb:dd.f".
 *
 * @return 0, or -ENOSPC if @p size is too small (USK_PCI_ADDR_STRLEN is enough).
 */
int usk_pci_addr_fmt(char *buf, size_t size, const struct usk_pci_addr *addr);

/** @return <0, 0 or >0 as @p a sorts before, equal to or after @p b. */
int usk_pci_addr_compare(const struct usk_pci_addr *a, const struct usk_pci_addr *b);

/** What sysfs says about a PCI function. */
struct usk_pci_device_info {
	struct usk_pci_addr addr;
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t subvendor_id;
	uint16_t subdevice_id;
	uint32_t class_code;
	/** NUMA node from sysfs, -1 when unknown. */
	int numa_node;
	/** Bound kernel driver ("vfio-pci", "nvme"), "" when none. */
	char driver[32];
	/** IOMMU group number, -1 when the device has none. */
	int iommu_group;
};

/**
 * Called by usk_pci_enumerate() for each matching device, in address order.
 *
 * @return 0 to continue, anything else to stop (usk_pci_enumerate() then
 * returns that value).
 */
typedef int (*usk_pci_enum_fn)(void *ctx, const struct usk_pci_device_info *info);

/**
 * List the PCI functions of class @p class_code found in sysfs.
 *
 * Devices are filtered like scripts/setup.sh filters them: when
 * @p allowed is not NULL and not empty, only the addresses it lists
 * (space-separated) are reported; addresses listed in @p blocked are
 * never reported.
 *
 * @param class_code 24-bit class code to match, e.g. USK_PCI_CLASS_NVME
 * @param allowed    space-separated addresses, or NULL
 * @param blocked    space-separated addresses, or NULL
 * @return 0, the callback's non-zero value, -EINVAL for a malformed list
 *         (the log names the bad entry), or a negative errno when sysfs
 *         cannot be read.
 */
int usk_pci_enumerate(uint32_t class_code, const char *allowed, const char *blocked,
		      usk_pci_enum_fn fn, void *ctx);

/**
 * Read what sysfs says about one device.
 *
 * @return 0, -ENODEV if no such device exists, or a negative errno.
 */
int usk_pci_device_info_get(const struct usk_pci_addr *addr, struct usk_pci_device_info *info);

struct usk_pci_device;

/**
 * The operations a device implementation provides. Every function returns
 * 0 or a negative errno unless said otherwise.
 */
struct usk_pci_device_ops {
	/** Map BAR @p bar into the process: its address and size. */
	int (*map_bar)(struct usk_pci_device *dev, uint32_t bar, void **addr, uint64_t *size);
	/** Unmap a BAR mapped by map_bar. */
	int (*unmap_bar)(struct usk_pci_device *dev, uint32_t bar, void *addr);
	/** Read @p len bytes of configuration space at @p offset. */
	int (*cfg_read)(struct usk_pci_device *dev, void *buf, uint32_t len, uint32_t offset);
	/** Write @p len bytes of configuration space at @p offset. */
	int (*cfg_write)(struct usk_pci_device *dev, const void *buf, uint32_t len,
			 uint32_t offset);
	/** Function-level reset. */
	int (*reset)(struct usk_pci_device *dev);
	/**
	 * Route MSI-X vectors 0..@p count-1 to the eventfds in @p fds
	 * (count 0 disables MSI-X).
	 */
	int (*set_msix)(struct usk_pci_device *dev, const int *fds, uint32_t count);
	/**
	 * Route MSI-X vector @p vector, one of those set_msix enabled, to
	 * eventfd @p fd, or with @p fd -1 take its eventfd away: the vector is
	 * then masked at the device, which holds a message it would send
	 * (the pending bit) and sends it when an eventfd is routed to it again.
	 */
	int (*set_msix_vector)(struct usk_pci_device *dev, uint32_t vector, int fd);
	/**
	 * Whether the device is being taken away (hot-unplug, the kernel's
	 * VFIO request); once true it stays true. Cheap enough for an admin
	 * poller, not for the I/O path.
	 */
	bool (*removal_requested)(struct usk_pci_device *dev);
	/** Release the device: unmap what is mapped and free the handle. */
	void (*detach)(struct usk_pci_device *dev);
};

/**
 * A device handle. Implementations embed it in their own structure and
 * fill every field; drivers read the fields and call the functions below.
 */
struct usk_pci_device {
	const struct usk_pci_device_ops *ops;
	struct usk_pci_device_info info;
};

/**
 * Open a device bound to vfio-pci: add its IOMMU group to the process's
 * VFIO container (created on first use, with every registered DMA region
 * mapped), and open the device.
 *
 * @param addr the device
 * @param dev  where the handle is stored on success
 * @return 0, or a negative errno with a log message that says what to do:
 *         -ENODEV (no such device), -EBUSY (bound to another driver, or
 *         the group is not viable: the message lists the group's devices
 *         and drivers), -EACCES (no permission on /dev/vfio/N), -ENXIO
 *         (no IOMMU).
 */
int usk_pci_device_attach(const struct usk_pci_addr *addr, struct usk_pci_device **dev);

/** Release @p dev, whichever implementation it comes from. NULL is ignored. */
void usk_pci_device_detach(struct usk_pci_device *dev);

/** Map BAR @p bar; see struct usk_pci_device_ops. */
int usk_pci_device_map_bar(struct usk_pci_device *dev, uint32_t bar, void **addr, uint64_t *size);

/** Unmap a BAR mapped with usk_pci_device_map_bar(). */
int usk_pci_device_unmap_bar(struct usk_pci_device *dev, uint32_t bar, void *addr);

/** Read configuration space. @return 0 or a negative errno. */
int usk_pci_device_cfg_read(struct usk_pci_device *dev, void *buf, uint32_t len, uint32_t offset);

/** Write configuration space. @return 0 or a negative errno. */
int usk_pci_device_cfg_write(struct usk_pci_device *dev, const void *buf, uint32_t len,
			     uint32_t offset);

/** Set the Bus Master Enable bit of the command register. @return 0 or a negative errno. */
int usk_pci_device_enable_bus_master(struct usk_pci_device *dev);

/** Function-level reset. @return 0 or a negative errno (-ENOTSUP when not possible). */
int usk_pci_device_reset(struct usk_pci_device *dev);

/**
 * Enable MSI-X with vectors 0..@p count-1 routed to the eventfds in @p fds
 * (count 0 disables MSI-X). An fd of -1 leaves that vector enabled but
 * masked, with no eventfd, until usk_pci_device_set_msix_vector() gives it
 * one.
 *
 * @return 0 or a negative errno (-EINVAL: more vectors than the device has).
 */
int usk_pci_device_set_msix(struct usk_pci_device *dev, const int *fds, uint32_t count);

/**
 * Route one MSI-X vector to eventfd @p fd, or with @p fd -1 unassign it.
 *
 * The vector must be one that usk_pci_device_set_msix() enabled (count
 * greater than @p vector); the others keep their eventfds. Unassigning
 * masks the vector at the device (through VFIO the kernel frees the
 * vector's irq, which masks it); a message the device has meanwhile is
 * held in its pending bit and signals @p fd as soon as a later call
 * assigns one, so no completion is lost across the two calls. Each call is
 * a system call through VFIO (VFIO_DEVICE_SET_IRQS, one vector): a control
 * path, for when a thread goes to sleep or wakes up, not per I/O.
 *
 * @return 0; -EINVAL when @p vector is not enabled; or a negative errno
 *         from the kernel.
 */
int usk_pci_device_set_msix_vector(struct usk_pci_device *dev, uint32_t vector, int fd);

/**
 * The number of MSI-X vectors the device has: the table size of the MSI-X
 * capability in its configuration space (PCI Local Bus spec 6.8.2).
 *
 * @return the vector count, 0 when the device has no MSI-X capability (or
 *         its configuration space cannot be read).
 */
uint32_t usk_pci_device_msix_count(struct usk_pci_device *dev);

/** @return whether the device is being removed; see struct usk_pci_device_ops. */
bool usk_pci_device_removal_requested(struct usk_pci_device *dev);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_PCI_H */
