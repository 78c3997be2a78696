/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening a VFIO group that a previous owner may still hold. The kernel
 * lets one process at a time open a group. After a crash (kill -9) the dead
 * process's exit takes a while, unpinning its DMA memory and resetting the
 * device, and open() says EBUSY meanwhile: a restart waits for that,
 * bounded and said aloud. A live owner is named and refused at once.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vfio_internal.h"
#include "usk/log.h"

/* How long a restart waits for a dying owner to let go of the group. */
#define VFIO_TAKEOVER_WAIT_MS 10000
#define VFIO_TAKEOVER_STEP_MS 10

/* Whether process @pid has a file descriptor open on @path. */
static bool vfio_pid_holds(const char *pid, const char *path)
{
	char dir_path[64], link_path[PATH_MAX], target[PATH_MAX];
	struct dirent *fd;
	bool holds = false;
	DIR *dir;

	snprintf(dir_path, sizeof(dir_path), "/proc/%s/fd", pid);
	dir = opendir(dir_path);
	if (dir == NULL) {
		return false;
	}
	while (!holds && (fd = readdir(dir)) != NULL) {
		ssize_t n;

		snprintf(link_path, sizeof(link_path), "%s/%s", dir_path, fd->d_name);
		n = readlink(link_path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			holds = strcmp(target, path) == 0;
		}
	}
	closedir(dir);
	return holds;
}

pid_t vfio_file_holder(const char *path)
{
	struct dirent *entry;
	pid_t holder = 0;
	DIR *proc = opendir("/proc");

	if (proc == NULL) {
		return 0;
	}
	while (holder == 0 && (entry = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)entry->d_name[0]) ||
		    atoi(entry->d_name) == (int)getpid()) {
			continue;
		}
		if (vfio_pid_holds(entry->d_name, path)) {
			holder = (pid_t)atoi(entry->d_name);
		}
	}
	closedir(proc);
	return holder;
}

bool vfio_pid_exiting(pid_t pid)
{
	char path[64], line[256];
	bool exiting = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return true; /* gone already */
	}
	while (!exiting && fgets(line, sizeof(line), f) != NULL) {
		unsigned long long mask;
		char state;

		if (sscanf(line, "State: %c", &state) == 1) {
			exiting = state == 'Z' || state == 'X';
		} else if (sscanf(line, "SigPnd: %llx", &mask) == 1 ||
			   sscanf(line, "ShdPnd: %llx", &mask) == 1) {
			/* SIGKILL is bit 8: a process with it pending is on its way out. */
			exiting = (mask & (1ull << 8)) != 0;
		}
	}
	fclose(f);
	return exiting;
}

void vfio_pid_name(pid_t pid, char *name, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f == NULL || fgets(name, (int)len, f) == NULL) {
		snprintf(name, len, "?");
	}
	name[strcspn(name, "\n")] = '\0';
	if (f != NULL) {
		fclose(f);
	}
}

/*
 * Whether it is worth waiting for @path: nobody holds it any more (the
 * last owner's release is still running) or its holder is exiting.
 * Otherwise names the live holder and says what to do.
 */
static bool vfio_owner_leaving(const char *path, bool said)
{
	pid_t holder = vfio_file_holder(path);
	char name[32];

	if (holder == 0 || vfio_pid_exiting(holder)) {
		if (!said) {
			USK_NOTICELOG("%s is busy: its last owner is exiting; waiting up to %d s "
				      "for it to let go",
				      path, VFIO_TAKEOVER_WAIT_MS / 1000);
		}
		return true;
	}
	vfio_pid_name(holder, name, sizeof(name));
	USK_ERRLOG("%s is in use by %s[%d]: stop that process, or choose another device "
		   "(scripts/setup.sh status shows who holds what)",
		   path, name, (int)holder);
	return false;
}

static uint64_t vfio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vfio_group_open_file(const char *path)
{
	const struct timespec step = {0, VFIO_TAKEOVER_STEP_MS * 1000000L};
	uint64_t start = vfio_now_ms();
	bool waited = false;

	for (;;) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			if (waited) {
				USK_NOTICELOG("%s: taken over after %" PRIu64 " ms", path,
					      vfio_now_ms() - start);
			}
			return fd;
		}
		if (errno != EBUSY) {
			return -errno;
		}
		if (!vfio_owner_leaving(path, waited)) {
			return -EBUSY;
		}
		if (vfio_now_ms() - start >= VFIO_TAKEOVER_WAIT_MS) {
			USK_ERRLOG("%s: still busy after %d s; its last owner has not let go", path,
				   VFIO_TAKEOVER_WAIT_MS / 1000);
			return -EBUSY;
		}
		waited = true;
		nanosleep(&step, NULL);
	}
}
