/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aio_ring_reap against the kernel's own AIO rings: completions are read
 * from the mapped ring with no io_getevents call (ut_aio_getevents.c counts
 * them), whether none, one or many completed, across the ring's wrap; each
 * completion is reaped once, in order. A ring whose header is not the
 * known one (another magic, an incompatible feature) is reaped through
 * io_getevents instead. aio_ring_pending tells whether events wait
 * without taking them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bdev_aio_ring.h"
#include "ut_aio_getevents.h"
#include "ut.h"

#define BLOCK 512

/* A file of @blocks blocks, block i filled with byte i; its fd, unlinked already. */
static int make_file(int blocks)
{
	char path[] = "/tmp/bdev_aio_ring_ut.XXXXXX";
	int fd = mkstemp(path);
	uint8_t block[BLOCK];

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	for (int i = 0; i < blocks; i++) {
		memset(block, i, sizeof(block));
		CU_ASSERT_FATAL(pwrite(fd, block, BLOCK, (off_t)i * BLOCK) == BLOCK);
	}
	return fd;
}

static struct aio_ring_header *ring_of(io_context_t ctx)
{
	return (struct aio_ring_header *)ctx;
}

static void test_the_kernel_ring_has_the_known_header(void)
{
	io_context_t ctx = 0;

	CU_ASSERT_EQUAL_FATAL(io_setup(8, &ctx), 0);
	CU_ASSERT_EQUAL(ring_of(ctx)->magic, AIO_RING_MAGIC);
	CU_ASSERT_EQUAL(ring_of(ctx)->incompat_features, 0);
	CU_ASSERT_EQUAL(ring_of(ctx)->header_length, sizeof(struct aio_ring_header));
	CU_ASSERT(ring_of(ctx)->nr >= 8);
	io_destroy(ctx);
}

/*
 * A poll request on a pipe stays in the kernel until the pipe is written:
 * while it does, the reaper finds nothing and makes no system call; then
 * it finds exactly that request, still with none.
 */
static void test_nothing_completed_costs_no_system_call(void)
{
	io_context_t ctx = 0;
	struct iocb iocb, *list[1] = {&iocb};
	struct io_event ev[4];
	int fds[2];

	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL_FATAL(io_setup(8, &ctx), 0);
	g_ut_getevents_calls = 0;
	CU_ASSERT_EQUAL(aio_ring_reap(ctx, ev, 4), 0);

	io_prep_poll(&iocb, fds[0], POLLIN);
	iocb.data = &iocb;
	CU_ASSERT_EQUAL_FATAL(io_submit(ctx, 1, list), 1);
	for (int i = 0; i < 1000; i++) {
		CU_ASSERT_EQUAL(aio_ring_reap(ctx, ev, 4), 0);
	}
	CU_ASSERT_EQUAL(write(fds[1], "x", 1), 1);
	for (int i = 0; i < 100000 && aio_ring_reap(ctx, ev, 4) == 0; i++) {
		sched_yield();
	}
	CU_ASSERT_PTR_EQUAL(ev[0].data, &iocb);
	CU_ASSERT_PTR_EQUAL(ev[0].obj, &iocb);
	CU_ASSERT(ev[0].res & POLLIN);
	CU_ASSERT_EQUAL(aio_ring_reap(ctx, ev, 4), 0);
	CU_ASSERT_EQUAL(g_ut_getevents_calls, 0);
	io_destroy(ctx);
	close(fds[0]);
	close(fds[1]);
}

/*
 * A poll request on a pipe, carrying an eventfd: nothing pending until the
 * pipe is written; once the eventfd signals, the event is in the ring, and
 * looking does not take it. The reap does.
 */
static void test_pending_tells_without_taking(void)
{
	io_context_t ctx = 0;
	struct iocb iocb, *list[1] = {&iocb};
	struct io_event ev[4];
	struct pollfd p;
	int fds[2];
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	CU_ASSERT_FATAL(efd >= 0);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL_FATAL(io_setup(8, &ctx), 0);
	g_ut_getevents_calls = 0;
	CU_ASSERT_EQUAL(aio_ring_pending(ctx), 0);
	io_prep_poll(&iocb, fds[0], POLLIN);
	io_set_eventfd(&iocb, efd);
	iocb.data = &iocb;
	CU_ASSERT_EQUAL_FATAL(io_submit(ctx, 1, list), 1);
	CU_ASSERT_EQUAL(aio_ring_pending(ctx), 0);
	CU_ASSERT_EQUAL(write(fds[1], "x", 1), 1);
	p = (struct pollfd){.fd = efd, .events = POLLIN};
	/* Bounded only so that a lost signal fails rather than hangs. */
	CU_ASSERT_EQUAL(poll(&p, 1, 30000), 1);
	CU_ASSERT_EQUAL(aio_ring_pending(ctx), 1);
	CU_ASSERT_EQUAL(aio_ring_pending(ctx), 1);
	CU_ASSERT_EQUAL(aio_ring_reap(ctx, ev, 4), 1);
	CU_ASSERT_PTR_EQUAL(ev[0].data, &iocb);
	CU_ASSERT_EQUAL(aio_ring_pending(ctx), 0);
	CU_ASSERT_EQUAL(g_ut_getevents_calls, 0);
	io_destroy(ctx);
	close(fds[0]);
	close(fds[1]);
	close(efd);
}

/* Reads blocks @first to @first + @n - 1 of @fd into @bufs; each request says its block. */
static void submit_reads(io_context_t ctx, int fd, int first, int n, struct iocb *iocbs,
			 uint8_t (*bufs)[BLOCK])
{
	struct iocb *list[64];

	for (int i = 0; i < n; i++) {
		io_prep_pread(&iocbs[i], fd, bufs[i], BLOCK, (long long)(first + i) * BLOCK);
		iocbs[i].data = (void *)(uintptr_t)(first + i);
		list[i] = &iocbs[i];
	}
	CU_ASSERT_EQUAL_FATAL(io_submit(ctx, n, list), n);
}

/* Reaps until @n events came, at most @max a call; checks they are blocks @first on, in order. */
static void reap_in_order(io_context_t ctx, int first, int n, uint32_t max, uint8_t (*bufs)[BLOCK])
{
	struct io_event ev[64];
	int got = 0;

	for (int spins = 0; got < n && spins < 1000000; spins++) {
		int k = aio_ring_reap(ctx, ev, max);

		CU_ASSERT_FATAL(k >= 0 && (uint32_t)k <= max && got + k <= n);
		for (int i = 0; i < k; i++, got++) {
			int block = (int)(uintptr_t)ev[i].data;

			CU_ASSERT_EQUAL(block, first + got);
			CU_ASSERT_EQUAL(ev[i].res, BLOCK);
			CU_ASSERT_EQUAL(bufs[block - first][BLOCK - 1], (uint8_t)block);
		}
	}
	CU_ASSERT_EQUAL(got, n);
}

/*
 * Reads from a file in the page cache complete inside io_submit. Batches
 * of 48 reaped 5 at most at a time go round the ring many times; every
 * event is reaped once, in order, and no call goes to the kernel.
 */
static void test_the_ring_wraps_and_every_event_comes_once(void)
{
	static uint8_t bufs[48][BLOCK];
	struct iocb iocbs[48];
	io_context_t ctx = 0;
	int fd = make_file(256);
	uint32_t nr;

	CU_ASSERT_EQUAL_FATAL(io_setup(64, &ctx), 0);
	nr = ring_of(ctx)->nr;
	g_ut_getevents_calls = 0;
	for (int batch = 0; batch < 12; batch++) {
		int first = batch * 48 % 208;

		submit_reads(ctx, fd, first, 48, iocbs, bufs);
		reap_in_order(ctx, first, 48, 5, bufs);
	}
	/* 12 batches of 48 are more than the ring holds, so it wrapped. */
	CU_ASSERT(12 * 48 > nr);
	CU_ASSERT_EQUAL(g_ut_getevents_calls, 0);
	io_destroy(ctx);
	close(fd);
}

/*
 * A header that is not the known one (@value in its 32-bit member at
 * @offset): the events come through io_getevents.
 */
static void check_fallback(size_t offset, uint32_t value)
{
	static uint8_t bufs[4][BLOCK];
	struct iocb iocbs[4];
	io_context_t ctx = 0;
	int fd = make_file(4);
	uint32_t *field, saved;

	CU_ASSERT_EQUAL_FATAL(io_setup(8, &ctx), 0);
	field = (uint32_t *)((char *)ring_of(ctx) + offset);
	saved = *field;
	/* The kernel writes the header once, at io_setup, and never reads these back. */
	*field = value;
	CU_ASSERT_EQUAL(aio_ring_pending(ctx), -ENOTSUP);
	g_ut_getevents_calls = 0;
	submit_reads(ctx, fd, 0, 4, iocbs, bufs);
	reap_in_order(ctx, 0, 4, 64, bufs);
	CU_ASSERT(g_ut_getevents_calls >= 1);
	*field = saved;
	io_destroy(ctx);
	close(fd);
}

static void test_an_unknown_magic_goes_through_io_getevents(void)
{
	check_fallback(offsetof(struct aio_ring_header, magic), 0x12345678);
}

static void test_an_incompatible_feature_goes_through_io_getevents(void)
{
	check_fallback(offsetof(struct aio_ring_header, incompat_features), 1);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_the_kernel_ring_has_the_known_header),
		UT_TEST(test_nothing_completed_costs_no_system_call),
		UT_TEST(test_pending_tells_without_taking),
		UT_TEST(test_the_ring_wraps_and_every_event_comes_once),
		UT_TEST(test_an_unknown_magic_goes_through_io_getevents),
		UT_TEST(test_an_incompatible_feature_goes_through_io_getevents),
	};

	return UT_RUN("bdev_aio_ring", tests);
}
