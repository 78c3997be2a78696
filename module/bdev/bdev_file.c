/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the bdevs over a kernel file share (uring, aio): opening the file or
 * block device, direct where the file system allows, the block size and
 * count it gives, and resets that wait for the I/O before them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/thread.h"
#include "usk/util.h"
#include "bdev_modules.h"

/*
 * The most bytes one read or write moves (the kernel's MAX_RW_COUNT, INT_MAX
 * rounded down to a page): asked for more, it returns a short count.
 */
#define BDEV_FILE_MAX_RW 0x7ffff000u

/* The block device's sizes: bytes, logical and physical block. */
static int bdev_file_blockdev_sizes(int fd, struct bdev_file_geometry *geo)
{
	int pbs = 0;

	if (ioctl(fd, BLKGETSIZE64, &geo->size) != 0 || ioctl(fd, BLKSSZGET, &geo->lbs) != 0) {
		return -errno;
	}
	/* A device that does not say has physical blocks of its logical size. */
	geo->pbs = ioctl(fd, BLKPBSZGET, &pbs) == 0 && pbs > 0 ? (uint32_t)pbs : geo->lbs;
	return 0;
}

/*
 * The file offsets (and lengths) in multiples of which the file system of
 * a file opened direct takes its I/O (Linux 6.1's STATX_DIOALIGN); 0 when
 * it does not say.
 */
static uint32_t bdev_file_dio_align(int fd)
{
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) != 0) {
		return stx.stx_dio_offset_align;
	}
#endif
	return 0;
}

int bdev_file_open(const char *kind, const char *bdev_name, const char *filename, bool readonly,
		   int *fd, struct bdev_file_geometry *geo, char *err, size_t errlen)
{
	int mode = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	bool direct = true;
	struct stat st;
	int rc;

	*geo = (struct bdev_file_geometry){0};
	*fd = open(filename, mode | O_DIRECT);
	if (*fd < 0 && errno == EINVAL) {
		USK_NOTICELOG("%s bdev '%s': %s does not take O_DIRECT; using the page cache", kind,
			      bdev_name, filename);
		*fd = open(filename, mode);
		direct = false;
	}
	if (*fd < 0 || fstat(*fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "field 'filename': cannot open %s: %s", filename,
			 strerror(-rc));
		return rc;
	}
	geo->size = (uint64_t)st.st_size;
	geo->is_blockdev = S_ISBLK(st.st_mode);
	if (geo->is_blockdev && (rc = bdev_file_blockdev_sizes(*fd, geo)) != 0) {
		snprintf(err, errlen, "field 'filename': cannot size %s: %s", filename,
			 strerror(-rc));
		return rc;
	}
	if (direct && !geo->is_blockdev) {
		geo->dio_align = bdev_file_dio_align(*fd);
	}
	return 0;
}

/*
 * The block size: as given, or, when not, the device's logical block or the
 * unit of a file's direct I/O (512 when its file system does not say). Both
 * refuse direct I/O in smaller units.
 */
static int bdev_file_pick_block_size(const char *filename, const struct bdev_file_geometry *geo,
				     uint32_t *block_size, char *err, size_t errlen)
{
	uint32_t least = geo->is_blockdev ? geo->lbs : geo->dio_align;

	if (*block_size == 0) {
		*block_size = USK_MAX(least, 512u);
	} else if (*block_size < least && geo->is_blockdev) {
		snprintf(err, errlen,
			 "field 'block_size': %u is smaller than the device's logical block size "
			 "(%u)",
			 *block_size, least);
		return -EINVAL;
	} else if (*block_size < least) {
		snprintf(
			err, errlen,
			"field 'block_size': %u is smaller than the %u bytes in multiples of which "
			"the file system of %s takes direct I/O; give %u or more, or leave it out",
			*block_size, least, filename, least);
		return -EINVAL;
	}
	return 0;
}

int bdev_file_blocks(const char *bdev_name, const char *filename,
		     const struct bdev_file_geometry *geo, uint32_t *block_size,
		     uint64_t *num_blocks, char *err, size_t errlen)
{
	int rc = bdev_file_pick_block_size(filename, geo, block_size, err, errlen);

	if (rc != 0) {
		return rc;
	}
	*num_blocks = geo->size / *block_size;
	if (*num_blocks == 0) {
		snprintf(err, errlen, "field 'filename': %s holds no whole block of %u bytes",
			 filename, *block_size);
		return -EINVAL;
	}
	return bdev_geometry_check(bdev_name, *num_blocks, *block_size, err, errlen);
}

void bdev_file_set_io_limits(struct usk_bdev *b, uint32_t block_size)
{
	b->max_transfer_blocks = BDEV_FILE_MAX_RW / block_size;
	/* More buffers than this, and the kernel refuses the I/O with EINVAL. */
	b->max_num_segments = IOV_MAX;
}

int bdev_file_name_check(struct usk_bdev *b, const char *name, uint32_t block_size,
			 const char *uuid, char *err, size_t errlen)
{
	struct bdev_create_opts opts;
	int rc;

	bdev_create_opts_init(&opts);
	opts.name = name;
	opts.num_blocks = 1;
	opts.block_size = block_size != 0 ? block_size : 512;
	opts.uuid = uuid;
	rc = bdev_create_opts_apply(&opts, b, err, errlen);
	/* The layer keeps its own copy of the name. */
	b->name = name;
	return rc;
}

void bdev_file_let_kernel_worker_run(void)
{
	if (!usk_thread_sleeps_when_idle(usk_thread_get_current())) {
		sched_yield();
	}
}

void bdev_file_reset(struct bdev_file_drain *d, struct bdev_file_mark *m, struct usk_bdev_io *io)
{
	if (d->outstanding == 0) {
		usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_SUCCESS);
		return;
	}
	m->seq = d->next_seq;
	m->left = d->outstanding;
	m->reset = io;
	m->next = d->resets;
	d->resets = m;
}

void bdev_file_resets_advance(struct bdev_file_drain *d, uint64_t seq)
{
	struct bdev_file_mark **p = &d->resets, *done = NULL;

	while (*p != NULL) {
		struct bdev_file_mark *r = *p;

		if (seq < r->seq && --r->left == 0) {
			*p = r->next;
			r->next = done;
			done = r;
		} else {
			p = &r->next;
		}
	}
	/* Out of the list first: a callback may start I/O and resets on the channel. */
	while (done != NULL) {
		struct bdev_file_mark *r = done;

		done = r->next;
		usk_bdev_io_complete(r->reset, USK_BDEV_IO_STATUS_SUCCESS);
	}
}
