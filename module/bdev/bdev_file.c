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

int bdev_file_open(const char *kind, const char *bdev_name, const char *filename, bool readonly,
		   int *fd, struct bdev_file_geometry *geo, char *err, size_t errlen)
{
	int mode = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int rc;

	*geo = (struct bdev_file_geometry){0};
	*fd = open(filename, mode | O_DIRECT);
	if (*fd < 0 && errno == EINVAL) {
		USK_NOTICELOG("%s bdev '%s': %s does not take O_DIRECT; using the page cache", kind,
			      bdev_name, filename);
		*fd = open(filename, mode);
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
	return 0;
}

/*
 * The block size: as given, or the device's own when not (512 for a file,
 * which has none). A device refuses direct I/O in units smaller than its
 * logical block.
 */
static int bdev_file_pick_block_size(uint32_t *block_size, uint32_t lbs, char *err, size_t errlen)
{
	if (*block_size == 0) {
		*block_size = lbs != 0 ? lbs : 512;
	} else if (*block_size < lbs) {
		snprintf(err, errlen,
			 "field 'block_size': %u is smaller than the device's logical block size "
			 "(%u)",
			 *block_size, lbs);
		return -EINVAL;
	}
	return 0;
}

int bdev_file_blocks(const char *bdev_name, const char *filename,
		     const struct bdev_file_geometry *geo, uint32_t *block_size,
		     uint64_t *num_blocks, char *err, size_t errlen)
{
	int rc = bdev_file_pick_block_size(block_size, geo->lbs, err, errlen);

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
