/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/log.h"
#include "ut.h"

/* What the capturing callback saw last. */
static struct {
	int calls;
	enum usk_log_level level;
	char msg[2048];
} g_seen;

static void capture(void *ctx, enum usk_log_level level, const char *msg)
{
	int *tag = ctx;

	CU_ASSERT_EQUAL(*tag, 42);
	g_seen.calls++;
	g_seen.level = level;
	snprintf(g_seen.msg, sizeof(g_seen.msg), "%s", msg);
}

static int g_tag = 42;

static void capture_start(enum usk_log_level level)
{
	memset(&g_seen, 0, sizeof(g_seen));
	usk_log_set_callback(capture, &g_tag);
	CU_ASSERT_EQUAL(usk_log_set_level(level), 0);
	usk_log_set_flag("all", false);
}

static void capture_stop(void)
{
	usk_log_set_callback(NULL, NULL);
	usk_log_set_level(USK_LOG_NOTICE);
	usk_log_set_flag("all", false);
}

static void test_level_set_get(void)
{
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_NOTICE);
	CU_ASSERT_EQUAL(usk_log_set_level(USK_LOG_DEBUG), 0);
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_DEBUG);
	CU_ASSERT_EQUAL(usk_log_set_level((enum usk_log_level)5), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_set_level((enum usk_log_level) - 1), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_DEBUG);
	CU_ASSERT_EQUAL(usk_log_set_level(USK_LOG_NOTICE), 0);
}

static void test_level_parse(void)
{
	enum usk_log_level level = USK_LOG_ERROR;

	CU_ASSERT_EQUAL(usk_log_level_parse("warn", &level), 0);
	CU_ASSERT_EQUAL(level, USK_LOG_WARN);
	CU_ASSERT_EQUAL(usk_log_level_parse("DEBUG", &level), 0);
	CU_ASSERT_EQUAL(level, USK_LOG_DEBUG);
	CU_ASSERT_EQUAL(usk_log_level_parse("verbose", &level), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_level_parse("", &level), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_level_parse(NULL, &level), -EINVAL);
	CU_ASSERT_EQUAL(level, USK_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(usk_log_level_name(USK_LOG_NOTICE), "notice");
	CU_ASSERT_STRING_EQUAL(usk_log_level_name((enum usk_log_level)9), "unknown");
}

static void test_level_filters_messages(void)
{
	capture_start(USK_LOG_WARN);
	USK_INFOLOG("not shown");
	USK_NOTICELOG("not shown either");
	CU_ASSERT_EQUAL(g_seen.calls, 0);
	USK_WARNLOG("disk %d is slow", 3);
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	CU_ASSERT_EQUAL(g_seen.level, USK_LOG_WARN);
	USK_ERRLOG("disk %s failed", "nvme0");
	CU_ASSERT_EQUAL(g_seen.calls, 2);
	CU_ASSERT_EQUAL(g_seen.level, USK_LOG_ERROR);
	capture_stop();
}

static void test_message_has_location(void)
{
	char want[128];
	int line;

	capture_start(USK_LOG_NOTICE);
	line = __LINE__ + 1;
	USK_NOTICELOG("0000:00:03.0: controller ready in %u ms", 12u);
	snprintf(want, sizeof(want), "log_ut.c:%d: 0000:00:03.0: controller ready in 12 ms", line);
	CU_ASSERT_STRING_EQUAL(g_seen.msg, want);
	capture_stop();
}

static void test_trailing_newline_dropped(void)
{
	capture_start(USK_LOG_NOTICE);
	usk_log(USK_LOG_ERROR, "dir/file.c", 7, "bad LBA %d\n", 9);
	CU_ASSERT_STRING_EQUAL(g_seen.msg, "file.c:7: bad LBA 9");
	capture_stop();
}

static void test_long_message_cut(void)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_start(USK_LOG_NOTICE);
	usk_log(USK_LOG_ERROR, "f.c", 1, "%s", big);
	CU_ASSERT_EQUAL(strlen(g_seen.msg), 1023);
	CU_ASSERT_STRING_EQUAL(g_seen.msg + 1020, "...");
	CU_ASSERT_EQUAL(strncmp(g_seen.msg, "f.c:1: xxxx", 11), 0);
	capture_stop();
}

static void test_debug_flags(void)
{
	capture_start(USK_LOG_DEBUG);
	USK_DEBUGLOG(NVME, "flag off");
	CU_ASSERT_EQUAL(g_seen.calls, 0);

	CU_ASSERT_EQUAL(usk_log_set_flag("nvme", true), 0);
	CU_ASSERT_TRUE(usk_log_flag_enabled(USK_LOG_COMPONENT_NVME));
	CU_ASSERT_FALSE(usk_log_flag_enabled(USK_LOG_COMPONENT_ENV));
	USK_DEBUGLOG(NVME, "qpair %d", 1);
	USK_DEBUGLOG(ENV, "env flag is off");
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	CU_ASSERT_EQUAL(g_seen.level, USK_LOG_DEBUG);

	/* A flag alone is not enough: the level must be debug too. */
	usk_log_set_level(USK_LOG_INFO);
	CU_ASSERT_FALSE(usk_log_flag_enabled(USK_LOG_COMPONENT_NVME));
	CU_ASSERT_TRUE(usk_log_get_flag(USK_LOG_COMPONENT_NVME));
	CU_ASSERT_FALSE(usk_log_get_flag(USK_LOG_COMPONENT_ENV));
	CU_ASSERT_FALSE(usk_log_get_flag(USK_LOG_COMPONENT_COUNT));
	USK_DEBUGLOG(NVME, "level too low");
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	usk_log_set_level(USK_LOG_DEBUG);

	CU_ASSERT_EQUAL(usk_log_set_flag("all", true), 0);
	for (int i = 0; i < USK_LOG_COMPONENT_COUNT; i++) {
		CU_ASSERT_TRUE(usk_log_flag_enabled((enum usk_log_component)i));
	}
	CU_ASSERT_EQUAL(usk_log_set_flag("nvme", false), 0);
	CU_ASSERT_FALSE(usk_log_flag_enabled(USK_LOG_COMPONENT_NVME));
	CU_ASSERT_TRUE(usk_log_flag_enabled(USK_LOG_COMPONENT_BDEV));
	CU_ASSERT_EQUAL(usk_log_set_flag("nvmf", true), -ENOENT);
	CU_ASSERT_EQUAL(usk_log_set_flag(NULL, true), -ENOENT);
	CU_ASSERT_FALSE(usk_log_flag_enabled(USK_LOG_COMPONENT_COUNT));
	capture_stop();
}

static void test_component_names(void)
{
	CU_ASSERT_STRING_EQUAL(usk_log_component_name(USK_LOG_COMPONENT_NVME), "nvme");
	CU_ASSERT_STRING_EQUAL(usk_log_component_name(USK_LOG_COMPONENT_APP), "app");
	CU_ASSERT_PTR_NULL(usk_log_component_name(USK_LOG_COMPONENT_COUNT));
	/* Every component's name is a valid flag name. */
	for (int i = 0; i < USK_LOG_COMPONENT_COUNT; i++) {
		const char *name = usk_log_component_name((enum usk_log_component)i);

		CU_ASSERT_PTR_NOT_NULL_FATAL(name);
		CU_ASSERT_EQUAL(usk_log_set_flag(name, true), 0);
		CU_ASSERT_EQUAL(usk_log_set_flag(name, false), 0);
	}
}

static void test_stderr_format(void)
{
	char path[] = "/tmp/usk-log-ut.XXXXXX";
	char out[512] = "";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	unlink(path);
	CU_ASSERT_EQUAL(usk_log_set_dest(USK_LOG_DEST_STDERR, NULL), 0);
	dup2(fd, STDERR_FILENO);
	usk_log(USK_LOG_ERROR, "lib/nvme/nvme_ctrlr.c", 42, "CSTS.CFS is set");
	usk_log(USK_LOG_INFO, "x.c", 1, "below the level");
	dup2(saved, STDERR_FILENO);
	close(saved);

	ssize_t n = pread(fd, out, sizeof(out) - 1, 0);

	close(fd);
	CU_ASSERT_FATAL(n > 0);
	/* "[YYYY-MM-DD hh:mm:ss.uuuuuu] " is 29 characters. */
	CU_ASSERT_EQUAL(out[0], '[');
	CU_ASSERT_EQUAL(out[27], ']');
	CU_ASSERT_STRING_EQUAL(out + 29, "error: nvme_ctrlr.c:42: CSTS.CFS is set\n");
	CU_ASSERT_EQUAL(usk_log_set_dest((enum usk_log_dest)7, NULL), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_level_set_get),
		UT_TEST(test_level_parse),
		UT_TEST(test_level_filters_messages),
		UT_TEST(test_message_has_location),
		UT_TEST(test_trailing_newline_dropped),
		UT_TEST(test_long_message_cut),
		UT_TEST(test_debug_flags),
		UT_TEST(test_component_names),
		UT_TEST(test_stderr_format),
	};

	return UT_RUN("log", tests);
}
