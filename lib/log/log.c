/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/util.h"

/* Long enough for any message we write; longer ones are cut with "...". */
#define LOG_LINE_MAX 1024

static _Atomic int g_log_level = USK_LOG_NOTICE;
/* Error: stderr shows no more than the log level lets through until asked. */
static _Atomic int g_print_level = USK_LOG_ERROR;
static _Atomic int g_log_dest = USK_LOG_DEST_STDERR;
static _Atomic uint32_t g_log_flags;
static _Atomic(usk_log_fn) g_log_callback;
static void *_Atomic g_log_callback_ctx;

static const char *const g_level_names[] = {
	[USK_LOG_ERROR] = "error", [USK_LOG_WARN] = "warn",   [USK_LOG_NOTICE] = "notice",
	[USK_LOG_INFO] = "info",   [USK_LOG_DEBUG] = "debug",
};

/* SPDK's names, which its rpc.py sends; "warning" is the one that differs. */
static const char *const g_spdk_level_names[] = {
	[USK_LOG_ERROR] = "ERROR", [USK_LOG_WARN] = "WARNING", [USK_LOG_NOTICE] = "NOTICE",
	[USK_LOG_INFO] = "INFO",   [USK_LOG_DEBUG] = "DEBUG",
};

static const char *const g_component_names[USK_LOG_COMPONENT_COUNT] = {
	[USK_LOG_COMPONENT_LOG] = "log",     [USK_LOG_COMPONENT_UTIL] = "util",
	[USK_LOG_COMPONENT_ENV] = "env",     [USK_LOG_COMPONENT_VFIO] = "vfio",
	[USK_LOG_COMPONENT_NVME] = "nvme",   [USK_LOG_COMPONENT_THREAD] = "thread",
	[USK_LOG_COMPONENT_EVENT] = "event", [USK_LOG_COMPONENT_RPC] = "rpc",
	[USK_LOG_COMPONENT_JSON] = "json",   [USK_LOG_COMPONENT_BDEV] = "bdev",
	[USK_LOG_COMPONENT_APP] = "app",
};

USK_STATIC_ASSERT(USK_LOG_COMPONENT_COUNT <= 32, "component flags live in one 32-bit mask");

static bool log_level_valid(enum usk_log_level level)
{
	return (unsigned int)level <= USK_LOG_DEBUG;
}

int usk_log_set_level(enum usk_log_level level)
{
	if (!log_level_valid(level)) {
		return -EINVAL;
	}
	atomic_store(&g_log_level, (int)level);
	return 0;
}

enum usk_log_level usk_log_get_level(void)
{
	return (enum usk_log_level)atomic_load(&g_log_level);
}

int usk_log_set_print_level(enum usk_log_level level)
{
	if (!log_level_valid(level)) {
		return -EINVAL;
	}
	atomic_store(&g_print_level, (int)level);
	return 0;
}

enum usk_log_level usk_log_get_print_level(void)
{
	return (enum usk_log_level)atomic_load(&g_print_level);
}

int usk_log_level_parse(const char *name, enum usk_log_level *level)
{
	for (size_t i = 0; name != NULL && i < USK_COUNTOF(g_level_names); i++) {
		if (strcasecmp(name, g_level_names[i]) == 0 ||
		    strcasecmp(name, g_spdk_level_names[i]) == 0) {
			*level = (enum usk_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *usk_log_level_name(enum usk_log_level level)
{
	return log_level_valid(level) ? g_level_names[level] : "unknown";
}

const char *usk_log_level_spdk_name(enum usk_log_level level)
{
	return log_level_valid(level) ? g_spdk_level_names[level] : "unknown";
}

int usk_log_set_dest(enum usk_log_dest dest, const char *ident)
{
	switch (dest) {
	case USK_LOG_DEST_STDERR:
		if (atomic_exchange(&g_log_dest, USK_LOG_DEST_STDERR) == USK_LOG_DEST_SYSLOG) {
			closelog();
		}
		return 0;
	case USK_LOG_DEST_SYSLOG:
		openlog(ident, LOG_PID, LOG_USER);
		atomic_store(&g_log_dest, USK_LOG_DEST_SYSLOG);
		return 0;
	}
	return -EINVAL;
}

void usk_log_set_callback(usk_log_fn fn, void *ctx)
{
	/* The context goes first so a logger that sees the new callback also
	 * sees its context. */
	atomic_store(&g_log_callback_ctx, ctx);
	atomic_store(&g_log_callback, fn);
}

int usk_log_set_flag(const char *name, bool enable)
{
	uint32_t mask = 0;

	if (name == NULL) {
		return -ENOENT;
	}
	if (strcmp(name, "all") == 0) {
		mask = (uint32_t)((UINT64_C(1) << USK_LOG_COMPONENT_COUNT) - 1);
	}
	for (int i = 0; i < USK_LOG_COMPONENT_COUNT && mask == 0; i++) {
		if (strcmp(name, g_component_names[i]) == 0) {
			mask = UINT32_C(1) << i;
		}
	}
	if (mask == 0) {
		return -ENOENT;
	}
	if (enable) {
		atomic_fetch_or(&g_log_flags, mask);
	} else {
		atomic_fetch_and(&g_log_flags, ~mask);
	}
	return 0;
}

bool usk_log_get_flag(enum usk_log_component component)
{
	return (unsigned int)component < USK_LOG_COMPONENT_COUNT &&
	       ((atomic_load_explicit(&g_log_flags, memory_order_relaxed) >> component) & 1);
}

bool usk_log_flag_enabled(enum usk_log_component component)
{
	if ((unsigned int)component >= USK_LOG_COMPONENT_COUNT ||
	    (atomic_load_explicit(&g_log_level, memory_order_relaxed) < USK_LOG_DEBUG &&
	     atomic_load_explicit(&g_print_level, memory_order_relaxed) < USK_LOG_DEBUG)) {
		return false;
	}
	return (atomic_load_explicit(&g_log_flags, memory_order_relaxed) >> component) & 1;
}

const char *usk_log_component_name(enum usk_log_component component)
{
	if ((unsigned int)component >= USK_LOG_COMPONENT_COUNT) {
		return NULL;
	}
	return g_component_names[component];
}

static const char *log_basename(const char *file)
{
	const char *slash = strrchr(file, '/');

	return slash != NULL ? slash + 1 : file;
}

static int log_syslog_priority(enum usk_log_level level)
{
	static const int priorities[] = {
		[USK_LOG_ERROR] = LOG_ERR,     [USK_LOG_WARN] = LOG_WARNING,
		[USK_LOG_NOTICE] = LOG_NOTICE, [USK_LOG_INFO] = LOG_INFO,
		[USK_LOG_DEBUG] = LOG_DEBUG,
	};

	return priorities[level];
}

/* Formats "file:line: message" into buf, marking a cut message with "...". */
static void log_format_message(char *buf, size_t size, const char *file, int line, const char *fmt,
			       va_list ap) __attribute__((format(printf, 5, 0)));

static void log_format_message(char *buf, size_t size, const char *file, int line, const char *fmt,
			       va_list ap)
{
	int len = snprintf(buf, size, "%s:%d: ", log_basename(file), line);

	if (len < 0 || (size_t)len >= size) {
		return;
	}
	int msg_len = vsnprintf(buf + len, size - (size_t)len, fmt, ap);

	if (msg_len > 0 && (size_t)(len + msg_len) >= size) {
		memcpy(buf + size - 4, "...", 4);
	}
	/* Messages are single lines; a trailing newline is the caller's habit. */
	size_t end = strlen(buf);

	if (end > 0 && buf[end - 1] == '\n') {
		buf[end - 1] = '\0';
	}
}

static void log_write_stderr(enum usk_log_level level, const char *msg)
{
	char line[LOG_LINE_MAX + 64];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	int len = snprintf(line, sizeof(line), "[%04d-%02d-%02d %02d:%02d:%02d.%06ld] %s: %s\n",
			   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			   tm.tm_sec, now.tv_nsec / 1000, g_level_names[level], msg);

	if (len > 0) {
		size_t n = (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1;
		/* Nothing useful can be done if stderr is gone. */
		ssize_t rc = write(STDERR_FILENO, line, n);
		(void)rc;
	}
}

void usk_vlog(enum usk_log_level level, const char *file, int line, const char *fmt, va_list ap)
{
	usk_log_fn callback = atomic_load(&g_log_callback);
	char msg[LOG_LINE_MAX];
	bool to_dest, to_stderr;

	if (!log_level_valid(level)) {
		return;
	}
	to_dest = (int)level <= atomic_load(&g_log_level);
	/* An embedder's callback is its console: the print level is for stderr. */
	to_stderr = callback == NULL && (int)level <= atomic_load(&g_print_level);
	if (!to_dest && !to_stderr) {
		return;
	}
	log_format_message(msg, sizeof(msg), file, line, fmt, ap);
	if (callback != NULL) {
		callback(atomic_load(&g_log_callback_ctx), level, msg);
	} else if (atomic_load(&g_log_dest) == USK_LOG_DEST_SYSLOG) {
		if (to_dest) {
			syslog(log_syslog_priority(level), "%s", msg);
		}
		if (to_stderr) {
			log_write_stderr(level, msg);
		}
	} else {
		/* stderr is both: once is enough. */
		log_write_stderr(level, msg);
	}
}

void usk_log(enum usk_log_level level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usk_vlog(level, file, line, fmt, ap);
	va_end(ap);
}
