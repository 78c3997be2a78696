/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_takeover.c's look at who holds a file: a child process that holds a
 * temporary file (a VFIO group's stand-in) is found, named and seen alive;
 * once it has exited it is seen exiting, and nobody holds the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ut.h"
#include "vfio_internal.h"

static char g_path[PATH_MAX];

/* Forks a child that opens g_path, says so through a pipe, and waits to be killed. */
static pid_t start_holder(void)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
	pid = fork();
	CU_ASSERT_TRUE_FATAL(pid >= 0);
	if (pid == 0) {
		int fd = open(g_path, O_RDONLY);

		prctl(PR_SET_NAME, "ut_holder");
		c = fd >= 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1) {
			_exit(1);
		}
		pause();
		_exit(0);
	}
	close(ready[1]);
	CU_ASSERT_EQUAL(read(ready[0], &c, 1), 1);
	close(ready[0]);
	CU_ASSERT_EQUAL(c, 'y');
	return pid;
}

static void test_live_holder_is_found_and_named(void)
{
	pid_t pid = start_holder();
	char name[32];
	int status;

	CU_ASSERT_EQUAL(vfio_file_holder(g_path), pid);
	CU_ASSERT_FALSE(vfio_pid_exiting(pid));
	vfio_pid_name(pid, name, sizeof(name));
	CU_ASSERT_STRING_EQUAL(name, "ut_holder");
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_EQUAL(vfio_file_holder(g_path), 0);
}

static void test_exited_holder_is_exiting(void)
{
	pid_t pid = start_holder();
	siginfo_t info;

	kill(pid, SIGKILL);
	/* Waited for without reaping: the child stays a zombie, with no files. */
	CU_ASSERT_EQUAL(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	CU_ASSERT_TRUE(vfio_pid_exiting(pid));
	CU_ASSERT_EQUAL(vfio_file_holder(g_path), 0);
	CU_ASSERT_EQUAL(waitpid(pid, NULL, 0), pid);
	/* A process that is gone counts as exiting: nothing is left to wait for. */
	CU_ASSERT_TRUE(vfio_pid_exiting(pid));
}

static void test_own_descriptors_do_not_count(void)
{
	int fd = open(g_path, O_RDONLY);

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(vfio_file_holder(g_path), 0);
	close(fd);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_live_holder_is_found_and_named),
		UT_TEST(test_exited_holder_is_exiting),
		UT_TEST(test_own_descriptors_do_not_count),
	};
	int fd, rc;

	snprintf(g_path, sizeof(g_path), "%s/vfio_takeover_ut.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(g_path);
	if (fd < 0) {
		return 1;
	}
	close(fd);
	rc = UT_RUN("vfio_takeover", tests);
	unlink(g_path);
	return rc;
}
