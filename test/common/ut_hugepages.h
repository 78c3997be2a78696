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

/* Takes the lock; returns what ut_hugepages_unlock() needs. */
static inline int ut_hugepages_lock(void)
{
	int fd = open("/tmp/usk-ut-hugepages.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0) {
		flock(fd, LOCK_EX);
	}
	return fd;
}

static inline void ut_hugepages_unlock(int fd)
{
	if (fd >= 0) {
		close(fd);
	}
}

#endif /* USK_TEST_UT_HUGEPAGES_H */
