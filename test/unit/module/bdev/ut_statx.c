/* SPDX-License-Identifier: BSD-3-Clause */
/* statx() with a direct I/O alignment of the test's: see ut_statx.h. */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "ut_statx.h"

uint32_t g_ut_dio_align;

int __real_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf);
int __wrap_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf);

int __wrap_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
	int rc = __real_statx(dirfd, path, flags, mask, buf);

	if (rc == 0 && g_ut_dio_align != 0 && (mask & STATX_DIOALIGN) != 0) {
		buf->stx_mask |= STATX_DIOALIGN;
		buf->stx_dio_mem_align = g_ut_dio_align;
		buf->stx_dio_offset_align = g_ut_dio_align;
	}
	return rc;
}
