/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process's one VFIO container and its groups. The container is opened
 * when the first device is attached: it learns the IOMMU's usable IOVA
 * ranges, maps every region registered so far, and from then on maps and
 * unmaps regions as they are registered and unregistered.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "env_internal.h"
#include "vfio_internal.h"
#include "usk/log.h"
#include "usk/util.h"

#define VFIO_MAX_GROUPS 64

struct vfio_group {
	int number;
	int fd;
};

static pthread_mutex_t g_vfio_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_container_fd = -1;
static struct vfio_group g_groups[VFIO_MAX_GROUPS];
static int g_group_count;
/* The container's groups are no-IOMMU ones (/dev/vfio/noiommu-N). */
static bool g_noiommu;

static void vfio_explain_memlock(uint64_t len)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_MEMLOCK, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
		return;
	}
	USK_ERRLOG("cannot pin %" PRIu64
		   " KiB of DMA memory: the memlock limit (RLIMIT_MEMLOCK) is "
		   "%llu KiB. Raise it: 'ulimit -l unlimited' as root, LimitMEMLOCK=infinity for a "
		   "systemd service, or a memlock line in /etc/security/limits.conf",
		   len >> 10, (unsigned long long)limit.rlim_cur >> 10);
}

static int vfio_dma_map(void *vaddr, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};

	if (ioctl(g_container_fd, VFIO_IOMMU_MAP_DMA, &map) != 0) {
		int rc = -errno;

		USK_ERRLOG("VFIO DMA map of %p (IOVA 0x%" PRIx64 ", %" PRIu64 " KiB) failed: %s",
			   vaddr, iova, len >> 10, strerror(-rc));
		if (rc == -ENOMEM) {
			vfio_explain_memlock(len);
		}
		return rc;
	}
	return 0;
}

static int vfio_dma_unmap(uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	if (ioctl(g_container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap) != 0) {
		USK_ERRLOG("VFIO DMA unmap of IOVA 0x%" PRIx64 " failed: %s", iova,
			   strerror(errno));
		return -errno;
	}
	return 0;
}

static const struct env_dma_map_hooks g_vfio_hooks = {
	.map = vfio_dma_map,
	.unmap = vfio_dma_unmap,
};

/* Opens /dev/vfio/vfio and checks it speaks the IOMMU API the groups need. */
static int vfio_container_open(void)
{
	long iommu = g_noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU;
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;

		USK_ERRLOG("cannot open /dev/vfio/vfio: %s. Load vfio-pci and bind the device: "
			   "run scripts/setup.sh as root",
			   strerror(-rc));
		return rc == -ENOENT ? -ENXIO : rc;
	}
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(fd, VFIO_CHECK_EXTENSION, iommu) <= 0) {
		USK_ERRLOG(g_noiommu ? "VFIO offers no no-IOMMU mode: NOIOMMU=1 scripts/setup.sh "
				       "turns it on"
				     : "VFIO offers no type1v2 IOMMU: load it with 'modprobe "
				       "vfio_iommu_type1' (scripts/setup.sh does)");
		close(fd);
		return -ENOTSUP;
	}
	g_container_fd = fd;
	return 0;
}

/* Closes the container, if open; its mode goes with it. */
static void vfio_container_close(void)
{
	if (g_container_fd >= 0) {
		close(g_container_fd);
	}
	g_container_fd = -1;
	g_noiommu = false;
}

/* Narrows the IOVA space to what the IOMMU translates: its width and holes. */
static int vfio_apply_iova_ranges(void)
{
	struct vfio_iommu_type1_info probe = {.argsz = sizeof(probe)};
	struct vfio_iommu_type1_info *info;
	int rc = 0;

	if (ioctl(g_container_fd, VFIO_IOMMU_GET_INFO, &probe) != 0 ||
	    probe.argsz <= sizeof(probe)) {
		return 0; /* no capabilities: keep the default width */
	}
	info = calloc(1, probe.argsz);
	if (info == NULL) {
		return -ENOMEM;
	}
	info->argsz = probe.argsz;
	if (ioctl(g_container_fd, VFIO_IOMMU_GET_INFO, info) == 0 &&
	    (info->flags & VFIO_IOMMU_INFO_CAPS) != 0) {
		rc = vfio_apply_iova_caps(info);
	}
	free(info);
	return rc;
}

/*
 * The device file of group @number: /dev/vfio/N, or /dev/vfio/noiommu-N
 * when vfio-pci runs without an IOMMU; sets *noiommu accordingly.
 */
static void vfio_group_path(int number, char *path, size_t len, bool *noiommu)
{
	snprintf(path, len, "/dev/vfio/noiommu-%d", number);
	*noiommu = access(path, F_OK) == 0;
	if (!*noiommu) {
		snprintf(path, len, "/dev/vfio/%d", number);
	}
}

/* Adds group @number (its file @path) to the container; the caller holds g_vfio_lock. */
static int vfio_group_add(int number, const char *path)
{
	struct vfio_group_status status = {.argsz = sizeof(status)};
	int fd;

	fd = vfio_group_open_file(path);
	if (fd < 0) {
		int rc = fd;

		if (rc == -EBUSY) {
			return rc; /* the holder is named already */
		}
		if (rc == -EACCES || rc == -EPERM) {
			USK_ERRLOG("no permission on %s: run as root, or give it to your user with "
				   "'TARGET_USER=%s scripts/setup.sh'",
				   path, getenv("USER") != NULL ? getenv("USER") : "name");
		} else {
			USK_ERRLOG("cannot open %s: %s", path, strerror(-rc));
		}
		return rc;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) != 0 ||
	    (status.flags & VFIO_GROUP_FLAGS_VIABLE) == 0) {
		vfio_explain_group_not_viable(number);
		close(fd);
		return -EBUSY;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &g_container_fd) != 0) {
		int rc = -errno;

		USK_ERRLOG("cannot add VFIO group %d to the container: %s", number, strerror(-rc));
		close(fd);
		return rc;
	}
	g_groups[g_group_count++] = (struct vfio_group){number, fd};
	return 0;
}

/* The IOMMU can only be chosen once a group is in the container. */
static int vfio_container_setup_iommu(void)
{
	int rc;

	if (ioctl(g_container_fd, VFIO_SET_IOMMU,
		  g_noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU) != 0) {
		rc = -errno;
		USK_ERRLOG("cannot set the VFIO IOMMU type: %s", strerror(-rc));
		return rc;
	}
	if (g_noiommu) {
		return vfio_noiommu_setup();
	}
	rc = vfio_apply_iova_ranges();
	if (rc != 0) {
		return rc;
	}
	return env_mem_set_dma_map_hooks(&g_vfio_hooks);
}

int vfio_group_get_fd(int number, int *group_fd)
{
	char path[PATH_MAX];
	bool noiommu;
	int rc = 0;

	pthread_mutex_lock(&g_vfio_lock);
	for (int i = 0; i < g_group_count; i++) {
		if (g_groups[i].number == number) {
			*group_fd = g_groups[i].fd;
			goto unlock;
		}
	}
	if (g_group_count == VFIO_MAX_GROUPS) {
		rc = -ENOSPC;
		goto unlock;
	}
	vfio_group_path(number, path, sizeof(path), &noiommu);
	if (g_container_fd < 0) {
		g_noiommu = noiommu;
		rc = vfio_container_open();
		if (rc != 0) {
			goto unlock;
		}
	} else if (noiommu != g_noiommu) {
		USK_ERRLOG("%s: one process cannot drive devices with and without an IOMMU", path);
		rc = -EINVAL;
		goto unlock;
	}
	rc = vfio_group_add(number, path);
	if (rc == 0 && g_group_count == 1) {
		rc = vfio_container_setup_iommu();
		if (rc != 0) {
			close(g_groups[0].fd);
			g_group_count = 0;
		}
	}
	if (rc == 0) {
		*group_fd = g_groups[g_group_count - 1].fd;
	} else if (g_group_count == 0) {
		/* As if this attach never ran: the next group may be of the other mode. */
		vfio_container_close();
	}
unlock:
	pthread_mutex_unlock(&g_vfio_lock);
	return rc;
}

void env_vfio_fini(void)
{
	pthread_mutex_lock(&g_vfio_lock);
	if (g_container_fd >= 0) {
		env_mem_set_dma_map_hooks(NULL);
	}
	for (int i = 0; i < g_group_count; i++) {
		close(g_groups[i].fd);
	}
	g_group_count = 0;
	vfio_container_close();
	vfio_noiommu_fini();
	pthread_mutex_unlock(&g_vfio_lock);
}
