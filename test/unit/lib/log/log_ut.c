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
	static const char *const names[] = {"ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};
	enum usk_log_level level = USK_LOG_ERROR;

	/* SPDK's spelling, in any case, both ways; USK's own names, as before. */
	for (int l = USK_LOG_ERROR; l <= USK_LOG_DEBUG; l++) {
		CU_ASSERT_STRING_EQUAL(usk_log_level_spdk_name(l), names[l]);
		level = USK_LOG_DEBUG - l;
		CU_ASSERT_EQUAL(usk_log_level_parse(usk_log_level_name(l), &level), 0);
		CU_ASSERT_EQUAL((int)level, l);
		level = USK_LOG_DEBUG - l;
		CU_ASSERT_EQUAL(usk_log_level_parse(names[l], &level), 0);
		CU_ASSERT_EQUAL((int)level, l);
	}
	CU_ASSERT_EQUAL(usk_log_level_parse("warning", &level), 0);
	CU_ASSERT_EQUAL(level, USK_LOG_WARN);
	CU_ASSERT_EQUAL(usk_log_level_parse("debug", &level), 0);
	CU_ASSERT_EQUAL(level, USK_LOG_DEBUG);
	/* USK's older name for it, which configs saved before still hold. */
	CU_ASSERT_EQUAL(usk_log_level_parse("warn", &level), 0);
	CU_ASSERT_EQUAL(level, USK_LOG_WARN);
	CU_ASSERT_EQUAL(usk_log_level_parse("Warn", &level), 0);
	CU_ASSERT_EQUAL(level, USK_LOG_WARN);
	CU_ASSERT_EQUAL(usk_log_level_parse("verbose", &level), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_level_parse("warnings", &level), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_level_parse("DISABLED", &level), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_level_parse("", &level), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_level_parse(NULL, &level), -EINVAL);
	CU_ASSERT_EQUAL(level, USK_LOG_WARN);
	CU_ASSERT_STRING_EQUAL(usk_log_level_name(USK_LOG_WARN), "warn");
	CU_ASSERT_STRING_EQUAL(usk_log_level_name((enum usk_log_level)9), "unknown");
	CU_ASSERT_STRING_EQUAL(usk_log_level_spdk_name((enum usk_log_level)9), "unknown");
}

static void test_print_level_set_get(void)
{
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_ERROR);
	CU_ASSERT_EQUAL(usk_log_set_print_level(USK_LOG_INFO), 0);
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_INFO);
	CU_ASSERT_EQUAL(usk_log_set_print_level((enum usk_log_level)5), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_set_print_level((enum usk_log_level) - 1), -EINVAL);
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_INFO);
	/* Separate from the log level. */
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_NOTICE);
	CU_ASSERT_EQUAL(usk_log_set_print_level(USK_LOG_ERROR), 0);
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

/* What @fn logs to stderr, in @out (NUL-terminated, cut to @size). */
static void stderr_of(void (*fn)(void), char *out, size_t size)
{
	char path[] = "/tmp/usk-log-ut.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	unlink(path);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, size - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
}

static void log_ctrlr_error(void)
{
	usk_log(USK_LOG_ERROR, "lib/nvme/nvme_ctrlr.c", 42, "CSTS.CFS is set");
	usk_log(USK_LOG_INFO, "x.c", 1, "below the level");
}

static void test_stderr_format(void)
{
	char out[512];

	CU_ASSERT_EQUAL(usk_log_set_dest(USK_LOG_DEST_STDERR, NULL), 0);
	stderr_of(log_ctrlr_error, out, sizeof(out));
	/* "[YYYY-MM-DD hh:mm:ss.uuuuuu] " is 29 characters. */
	CU_ASSERT_FATAL(strlen(out) > 29);
	CU_ASSERT_EQUAL(out[0], '[');
	CU_ASSERT_EQUAL(out[27], ']');
	CU_ASSERT_STRING_EQUAL(out + 29, "error: nvme_ctrlr.c:42: CSTS.CFS is set\n");
	CU_ASSERT_EQUAL(usk_log_set_dest((enum usk_log_dest)7, NULL), -EINVAL);
}

/* One message of each level, each naming its own. */
static void log_every_level(void)
{
	for (int l = USK_LOG_ERROR; l <= USK_LOG_DEBUG; l++) {
		usk_log(l, "x.c", 1, "<%s>", usk_log_level_name(l));
	}
}

/* Each level's message appears on stderr as often as @counts says (error first). */
static void assert_stderr_counts(const char *out, const int *counts)
{
	for (int l = USK_LOG_ERROR; l <= USK_LOG_DEBUG; l++) {
		char tag[16];
		int seen = 0;

		snprintf(tag, sizeof(tag), "<%s>", usk_log_level_name(l));
		for (const char *p = strstr(out, tag); p != NULL; p = strstr(p + 1, tag)) {
			seen++;
		}
		CU_ASSERT_EQUAL(seen, counts[l]);
	}
}

/* stderr is the destination: a message is written once if either level lets it through. */
static void test_print_level_adds_to_stderr_once(void)
{
	static const int info_and_above[] = {1, 1, 1, 1, 0};
	static const int notice_and_above[] = {1, 1, 1, 0, 0};
	char out[2048];

	usk_log_set_dest(USK_LOG_DEST_STDERR, NULL);
	usk_log_set_level(USK_LOG_ERROR);
	usk_log_set_print_level(USK_LOG_INFO);
	stderr_of(log_every_level, out, sizeof(out));
	assert_stderr_counts(out, info_and_above);
	usk_log_set_level(USK_LOG_INFO);
	usk_log_set_print_level(USK_LOG_NOTICE);
	stderr_of(log_every_level, out, sizeof(out));
	assert_stderr_counts(out, info_and_above);
	/* The default print level adds nothing: the log level alone decides. */
	usk_log_set_level(USK_LOG_NOTICE);
	usk_log_set_print_level(USK_LOG_ERROR);
	stderr_of(log_every_level, out, sizeof(out));
	assert_stderr_counts(out, notice_and_above);
}

/* With syslog as the destination, stderr gets what the print level lets through. */
static void test_print_level_is_stderrs_beside_syslog(void)
{
	static const int warnings_and_above[] = {1, 1, 0, 0, 0};
	static const int none[] = {0, 0, 0, 0, 0};
	char out[2048];

	usk_log_set_level(USK_LOG_ERROR);
	usk_log_set_print_level(USK_LOG_WARN);
	CU_ASSERT_EQUAL(usk_log_set_dest(USK_LOG_DEST_SYSLOG, "log_ut"), 0);
	stderr_of(log_every_level, out, sizeof(out));
	usk_log_set_dest(USK_LOG_DEST_STDERR, NULL);
	assert_stderr_counts(out, warnings_and_above);
	/* A callback is the embedder's console: nothing goes to stderr beside it. */
	capture_start(USK_LOG_ERROR);
	usk_log_set_print_level(USK_LOG_DEBUG);
	stderr_of(log_every_level, out, sizeof(out));
	assert_stderr_counts(out, none);
	CU_ASSERT_EQUAL(g_seen.calls, 1);
	/* A debug print level turns a flagged component's debug messages on. */
	usk_log_set_flag("nvme", true);
	CU_ASSERT_TRUE(usk_log_flag_enabled(USK_LOG_COMPONENT_NVME));
	capture_stop();
	usk_log_set_print_level(USK_LOG_ERROR);
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
		UT_TEST(test_print_level_set_get),
		UT_TEST(test_print_level_adds_to_stderr_once),
		UT_TEST(test_print_level_is_stderrs_beside_syslog),
	};

	return UT_RUN("log", tests);
}
