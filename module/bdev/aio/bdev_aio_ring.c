/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user-space side of the kernel's AIO completion ring (fs/aio.c): the
 * kernel writes an event, then publishes it by moving the tail; the reaper
 * copies events out, then frees their slots by moving the head, which the
 * kernel reads when it counts the free slots. Head and tail are indices
 * below nr: each wraps to 0.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "usk/util.h"
#include "bdev_aio_ring.h"

_Static_assert(sizeof(struct aio_ring_header) == 32, "fs/aio.c's struct aio_ring header");
_Static_assert(offsetof(struct aio_ring_header, head) == 8, "aio_ring.head");
_Static_assert(offsetof(struct aio_ring_header, tail) == 12, "aio_ring.tail");
_Static_assert(offsetof(struct aio_ring_header, incompat_features) == 24,
	       "aio_ring.incompat_features");
_Static_assert(sizeof(struct io_event) == 32, "the kernel's struct io_event");

/* A ring laid out otherwise, or one the kernel might change under us: ask the kernel. */
static int aio_ring_reap_syscall(io_context_t ctx, struct io_event *events, uint32_t max)
{
	struct timespec zero = {0, 0};

	return io_getevents(ctx, 0, (long)max, events, &zero);
}

/* Whether the ring's header is the one fs/aio.c is known to lay out. */
static bool aio_ring_known(const struct aio_ring_header *ring)
{
	return ring->magic == AIO_RING_MAGIC && ring->incompat_features == 0;
}

int aio_ring_reap(io_context_t ctx, struct io_event *events, uint32_t max)
{
	struct aio_ring_header *ring = (struct aio_ring_header *)ctx;
	const struct io_event *slots;
	uint32_t head, tail, nr, count, first;

	if (!aio_ring_known(ring)) {
		return aio_ring_reap_syscall(ctx, events, max);
	}
	nr = ring->nr;
	head = ring->head;
	/* Acquire: the events before the tail the kernel published are read after it. */
	tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	if (head == tail || head >= nr || tail >= nr) {
		/* Nothing completed; or indices no ring has, which only the kernel can sort out. */
		return head == tail ? 0 : aio_ring_reap_syscall(ctx, events, max);
	}
	count = USK_MIN(tail > head ? tail - head : nr - head + tail, max);
	slots = (const struct io_event *)((const char *)ring + ring->header_length);
	first = USK_MIN(count, nr - head);
	memcpy(events, &slots[head], first * sizeof(*events));
	memcpy(events + first, &slots[0], (count - first) * sizeof(*events));
	head += count;
	if (head >= nr) {
		head -= nr;
	}
	/* Release: the events are copied before the kernel may reuse their slots. */
	__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	return (int)count;
}

int aio_ring_pending(io_context_t ctx)
{
	const struct aio_ring_header *ring = (const struct aio_ring_header *)ctx;

	if (!aio_ring_known(ring)) {
		return -ENOTSUP;
	}
	/*
	 * Sequentially consistent: a caller that cleared its eventfd before
	 * asking reads the tail after that, so an event published later
	 * signals the eventfd afterwards (the kernel moves the tail first).
	 */
	return ring->head != __atomic_load_n(&ring->tail, __ATOMIC_SEQ_CST);
}
