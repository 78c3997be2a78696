/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For tests that set the machine's hugepage reservation (as root): its
 * value, and a lock they hold meanwhile, so two such tests run by make -j
 * do not change it under each other.
 */
#ifndef USK_TEST_UT_HUGEPAGES_H
#define USK_TEST_UT_HUGEPAGES_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

/* Reads /proc/sys/vm/nr_hugepages, or sets it to @set (>= 0) first; -1 when it cannot. */
static inline long ut_nr_hugepages(long set)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", set >= 0 ? "w" : "r");
	long n = -1;

	if (f == NULL) {
		return -1;
	}
	if (set >= 0) {
		fprintf(f, "%ld\n", set);
		fclose(f);
		return ut_nr_hugepages(-1);
	}
	if (fscanf(f, "%ld", &n) != 1) {
		n = -1;
	}
	fclose(f);
	return n;
}

/* The 2 MiB hugepages reserved and not in use by any process, or -1. */
static inline long ut_free_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	long n = -1;

	if (f == NULL) {
		return -1;
	}
	if (fscanf(f, "%ld", &n) != 1) {
		n = -1;
	}
	fclose(f);
	return n;
}

/*
 * Sets the reservation to @want; if the kernel finds fewer free 2 MiB
 * blocks (memory fragmented by a busy machine's page cache), compacts
 * memory once and tries again. Returns the reservation then.
 */
static inline long ut_nr_hugepages_compacting(long want)
{
	FILE *f;

	if (ut_nr_hugepages(want) >= want) {
		return want;
	}
	f = fopen("/proc/sys/vm/compact_memory", "w");
	if (f != NULL) {
		fputs("1\n", f);
		fclose(f);
	}
	return ut_nr_hugepages(want);
}

/* The lock's file while this process holds it, else -1. */
static int ut_hugepages_lock_fd = -1;

/*
 * Takes the lock; returns what ut_hugepages_unlock() needs. A test that
 * holds it must release it on every path: a _FATAL assert leaves the test
 * at once. Should one still do so, the process's next lock drops the
 * forgotten one instead of waiting for it for ever (a flock on a second
 * file of the same process conflicts with the first).
 */
static inline int ut_hugepages_lock(void)
{
	int fd;

	if (ut_hugepages_lock_fd >= 0) {
		close(ut_hugepages_lock_fd);
	}
	fd = open("/tmp/usk-ut-hugepages.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		flock(fd, LOCK_EX);
	}
	ut_hugepages_lock_fd = fd;
	return fd;
}

static inline void ut_hugepages_unlock(int fd)
{
	if (fd >= 0) {
		close(fd);
	}
	ut_hugepages_lock_fd = -1;
}

#endif /* USK_TEST_UT_HUGEPAGES_H */
