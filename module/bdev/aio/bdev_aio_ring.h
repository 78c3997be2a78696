/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reaping Linux AIO completions from user space. The kernel maps each io
 * context's completion ring into the process, at the very address io_setup()
 * returns as the io_context_t: a header, then the events. While the header
 * is the one described here (its magic, no incompatible feature), the
 * events are read and the head moved with no system call; otherwise
 * io_getevents() does it.
 */
#ifndef USK_BDEV_AIO_RING_H
#define USK_BDEV_AIO_RING_H

#include <libaio.h>
#include <stdint.h>

/* The kernel's struct aio_ring (fs/aio.c), the header of the mapped ring. */
struct aio_ring_header {
	uint32_t id;
	uint32_t nr;   /* events the ring holds */
	uint32_t head; /* the next event to reap: written by the reaper */
	uint32_t tail; /* one past the last event: written by the kernel */
	uint32_t magic;
	uint32_t compat_features;
	uint32_t incompat_features;
	uint32_t header_length; /* bytes from the header's start to the first event */
};

/* The magic of a ring this layout describes (fs/aio.c's AIO_RING_MAGIC). */
#define AIO_RING_MAGIC 0xa10a10a1u

/*
 * Takes up to @max completed events of @ctx into @events, oldest first,
 * without waiting: from the mapped ring with no system call when its header
 * is the known one, else through io_getevents() with a zero timeout.
 * Returns how many (0 when none completed), or a negative errno from
 * io_getevents(). Only one thread may reap a context.
 */
int aio_ring_reap(io_context_t ctx, struct io_event *events, uint32_t max);

/*
 * Whether @ctx holds completed events not yet reaped, without taking them:
 * 1 or 0 from the mapped ring; -ENOTSUP when its header is not the known
 * one (only io_getevents() could tell, and it would take them). The same
 * thread as aio_ring_reap().
 */
int aio_ring_pending(io_context_t ctx);

#endif /* USK_BDEV_AIO_RING_H */
