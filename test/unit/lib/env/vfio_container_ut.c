/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VFIO container and its groups (vfio_container.c) on a host without
 * VFIO: the files under /dev/vfio and their ioctls are faked at link time
 * (--wrap of access, open, close and ioctl), every other file is real.
 * A faked file is an eventfd, so close() needs no fake beyond forgetting it.
 * The host has no free hugepages either (--wrap of mmap).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ut.h"
#include "env_internal.h"
#include "vfio_internal.h"

#define MAX_FDS	   64
#define MAX_GROUPS 16

enum fake_kind { FAKE_NONE, FAKE_CONTAINER, FAKE_GROUP };

/* The fake /dev/vfio: its groups, and the files open on it. */
static struct {
	bool noiommu[MAX_GROUPS];    /* /dev/vfio/noiommu-N, not /dev/vfio/N */
	bool join_fails[MAX_GROUPS]; /* VFIO_GROUP_SET_CONTAINER fails */
	enum fake_kind kind[MAX_FDS];
	int group[MAX_FDS];
	int containers_open;
	unsigned long iommu_set; /* the last VFIO_SET_IOMMU's type */
} g_fake;

int __real_access(const char *path, int mode);
int __wrap_access(const char *path, int mode);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_close(int fd);
int __wrap_close(int fd);
int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_HUGETLB) != 0) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_access(const char *path, int mode)
{
	int n;

	if (sscanf(path, "/dev/vfio/noiommu-%d", &n) == 1) {
		if (n >= 0 && n < MAX_GROUPS && g_fake.noiommu[n]) {
			return 0;
		}
		errno = ENOENT;
		return -1;
	}
	return __real_access(path, mode);
}

static int fake_open(enum fake_kind kind, int group)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd >= 0 && fd < MAX_FDS) {
		g_fake.kind[fd] = kind;
		g_fake.group[fd] = group;
		g_fake.containers_open += kind == FAKE_CONTAINER;
	}
	return fd;
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode = 0;
	int n;

	if (strcmp(path, "/dev/vfio/vfio") == 0) {
		return fake_open(FAKE_CONTAINER, -1);
	}
	if ((sscanf(path, "/dev/vfio/noiommu-%d", &n) == 1 ||
	     sscanf(path, "/dev/vfio/%d", &n) == 1) &&
	    n >= 0 && n < MAX_GROUPS) {
		return fake_open(FAKE_GROUP, n);
	}
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return __real_open(path, flags, mode);
}

int __wrap_close(int fd)
{
	if (fd >= 0 && fd < MAX_FDS) {
		g_fake.containers_open -= g_fake.kind[fd] == FAKE_CONTAINER;
		g_fake.kind[fd] = FAKE_NONE;
	}
	return __real_close(fd);
}

static int fake_container_ioctl(unsigned long request, void *arg)
{
	switch (request) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return 1;
	case VFIO_SET_IOMMU:
		g_fake.iommu_set = (unsigned long)arg;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		/* No capabilities: the default IOVA width stays. */
		((struct vfio_iommu_type1_info *)arg)->argsz = sizeof(struct vfio_iommu_type1_info);
		return 0;
	default:
		return 0; /* DMA map and unmap */
	}
}

static int fake_group_ioctl(int group, unsigned long request, void *arg)
{
	switch (request) {
	case VFIO_GROUP_GET_STATUS:
		((struct vfio_group_status *)arg)->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		if (g_fake.join_fails[group]) {
			errno = EINVAL;
			return -1;
		}
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd < MAX_FDS && g_fake.kind[fd] == FAKE_CONTAINER) {
		return fake_container_ioctl(request, arg);
	}
	if (fd >= 0 && fd < MAX_FDS && g_fake.kind[fd] == FAKE_GROUP) {
		return fake_group_ioctl(g_fake.group[fd], request, arg);
	}
	return __real_ioctl(fd, request, arg);
}

/*
 * A no-IOMMU group that cannot join the container, then an IOMMU group:
 * the second attaches, in a container of its own mode, and the first's
 * container is closed. Before, the failed attach left its container open
 * in no-IOMMU mode and the second group was refused for mixing modes.
 */
static void test_failed_first_group_leaves_no_mode(void)
{
	int fd = -1;

	memset(&g_fake, 0, sizeof(g_fake));
	g_fake.noiommu[3] = true;
	g_fake.join_fails[3] = true;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_EQUAL(vfio_group_get_fd(3, &fd), -EINVAL);
	CU_ASSERT_EQUAL(g_fake.containers_open, 0);
	CU_ASSERT_EQUAL(vfio_group_get_fd(5, &fd), 0);
	CU_ASSERT_EQUAL(g_fake.iommu_set, VFIO_TYPE1v2_IOMMU);
	CU_ASSERT_EQUAL(g_fake.containers_open, 1);
	CU_ASSERT(fd >= 0 && fd < MAX_FDS && g_fake.kind[fd] == FAKE_GROUP &&
		  g_fake.group[fd] == 5);
	usk_env_fini();
	CU_ASSERT_EQUAL(g_fake.containers_open, 0);
}

/*
 * A no-IOMMU group whose mode cannot be set up (DMA memory is in 4 KiB
 * pages already), then an IOMMU group: DMA memory still comes from 4 KiB
 * pages. Before, the failed setup left the heap taking hugepages only, and
 * with none free every new chunk was refused.
 */
static void test_failed_noiommu_setup_leaves_small_pages(void)
{
	struct usk_env_opts opts;
	void *small, *later;
	int fd = -1;

	memset(&g_fake, 0, sizeof(g_fake));
	g_fake.noiommu[3] = true;
	usk_env_opts_init(&opts, sizeof(opts));
	opts.hugepages = USK_ENV_HUGEPAGES_OFF;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	small = usk_dma_malloc(4096, 4096, -1);
	CU_ASSERT_PTR_NOT_NULL(small);
	CU_ASSERT_EQUAL(vfio_group_get_fd(3, &fd), -ENOTSUP);
	CU_ASSERT_EQUAL(vfio_group_get_fd(5, &fd), 0);
	/* Large enough for a chunk of its own. */
	later = usk_dma_malloc(UINT64_C(4) << 20, 4096, -1);
	CU_ASSERT_PTR_NOT_NULL(later);
	usk_dma_free(later);
	usk_dma_free(small);
	usk_env_fini();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_failed_first_group_leaves_no_mode),
		UT_TEST(test_failed_noiommu_setup_leaves_small_pages),
	};

	return UT_RUN("vfio_container", tests);
}
