/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Logging: levels, per-component debug flags, output to stderr, syslog or
 * a callback.
 *
 * Thread rules: every function may be called from any thread. The settings
 * (level, destination, flags, callback) are meant to be changed at start-up
 * or from a control path; a message logged concurrently with a change sees
 * either the old or the new setting. Each message is written with a single
 * write, so lines from different threads do not interleave.
 */
#ifndef USK_LOG_H
#define USK_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** Severity of a message; a lower value is more severe. */
enum usk_log_level {
	USK_LOG_ERROR = 0,
	USK_LOG_WARN = 1,
	USK_LOG_NOTICE = 2,
	USK_LOG_INFO = 3,
	USK_LOG_DEBUG = 4,
};

/** Where messages go. */
enum usk_log_dest {
	USK_LOG_DEST_STDERR = 0,
	USK_LOG_DEST_SYSLOG = 1,
};

/**
 * Components that have their own debug flag. Debug messages of a component
 * are printed only when its flag is on and the level is USK_LOG_DEBUG.
 */
enum usk_log_component {
	USK_LOG_COMPONENT_LOG = 0,
	USK_LOG_COMPONENT_UTIL,
	USK_LOG_COMPONENT_ENV,
	USK_LOG_COMPONENT_VFIO,
	USK_LOG_COMPONENT_NVME,
	USK_LOG_COMPONENT_THREAD,
	USK_LOG_COMPONENT_EVENT,
	USK_LOG_COMPONENT_RPC,
	USK_LOG_COMPONENT_JSON,
	USK_LOG_COMPONENT_BDEV,
	USK_LOG_COMPONENT_APP,
	USK_LOG_COMPONENT_COUNT
};

/**
 * Receives every message that passes the level and flag filters, instead
 * of stderr or syslog.
 *
 * @param ctx   the pointer given to usk_log_set_callback()
 * @param level the message's level
 * @param msg   the formatted message, without a trailing newline
 */
typedef void (*usk_log_fn)(void *ctx, enum usk_log_level level, const char *msg);

/**
 * Set the log level: the most verbose level sent to the destination
 * (stderr, syslog or the callback; default USK_LOG_NOTICE).
 *
 * @return 0, or -EINVAL if @p level is not a valid level.
 */
int usk_log_set_level(enum usk_log_level level);

/** @return the log level. */
enum usk_log_level usk_log_get_level(void);

/**
 * Set the print level: the most verbose level also written to stderr, as
 * SPDK's print level is. With syslog as the destination, a message goes to
 * syslog when the log level lets it through and to stderr when the print
 * level does. With stderr as the destination it is written once, when
 * either level lets it through. A callback (usk_log_set_callback()) gets
 * what the log level lets through and nothing goes to stderr. The default,
 * USK_LOG_ERROR, adds nothing to stderr that the log level would not
 * already print there, so only the log level matters until this is called.
 *
 * @return 0, or -EINVAL if @p level is not a valid level.
 */
int usk_log_set_print_level(enum usk_log_level level);

/** @return the print level. */
enum usk_log_level usk_log_get_print_level(void);

/**
 * Parse a level name, USK's or SPDK's, in any case: "error", "warn" or
 * "warning", "notice", "info" or "debug".
 *
 * @param name  the name to parse
 * @param level where the level is stored on success
 * @return 0, or -EINVAL if @p name is not a level's name.
 */
int usk_log_level_parse(const char *name, enum usk_log_level *level);

/** @return the name of @p level ("error", "warn"...), as log lines show it, or "unknown". */
const char *usk_log_level_name(enum usk_log_level level);

/**
 * @return the name of @p level as SPDK spells it ("ERROR", "WARNING",
 * "NOTICE", "INFO", "DEBUG"): what SPDK's tools send and expect back from
 * the log methods. "unknown" for an invalid level.
 */
const char *usk_log_level_spdk_name(enum usk_log_level level);

/**
 * Send messages to stderr (the default) or to syslog.
 *
 * @param dest  USK_LOG_DEST_STDERR or USK_LOG_DEST_SYSLOG
 * @param ident the syslog identity (program name); ignored for stderr and
 *              may be NULL, in which case syslog uses the program's name.
 *              The string must stay valid while syslog is in use.
 * @return 0, or -EINVAL if @p dest is not a valid destination.
 */
int usk_log_set_dest(enum usk_log_dest dest, const char *ident);

/**
 * Route every message to @p fn instead of stderr or syslog; NULL restores
 * the destination set by usk_log_set_dest(). Used by embedders with their
 * own logging, and by tests.
 *
 * @param fn  the callback, or NULL
 * @param ctx passed to @p fn unchanged
 */
void usk_log_set_callback(usk_log_fn fn, void *ctx);

/**
 * Turn a component's debug flag on or off by name.
 *
 * @param name   a component's name ("nvme", "env"...), or "all"
 * @param enable true to turn the flag on
 * @return 0, or -ENOENT if no component has that name.
 */
int usk_log_set_flag(const char *name, bool enable);

/** @return whether @p component's debug flag is on, whatever the level. */
bool usk_log_get_flag(enum usk_log_component component);

/**
 * @return whether debug messages of @p component are printed: its flag is
 * on and the log level or the print level is USK_LOG_DEBUG.
 */
bool usk_log_flag_enabled(enum usk_log_component component);

/**
 * @return the name of @p component ("nvme"...), or NULL when it is out of
 * range. Callers list the valid flags with it (e.g. for --help).
 */
const char *usk_log_component_name(enum usk_log_component component);

/**
 * Log a message if @p level passes the level filter. Prefer the USK_*LOG
 * macros, which fill in the source location.
 *
 * @param level severity
 * @param file  source file (its base name is printed)
 * @param line  source line
 * @param fmt   printf-style format, followed by its arguments
 */
void usk_log(enum usk_log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** usk_log() with a va_list. */
void usk_vlog(enum usk_log_level level, const char *file, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#define USK_ERRLOG(...)	   usk_log(USK_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define USK_WARNLOG(...)   usk_log(USK_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define USK_NOTICELOG(...) usk_log(USK_LOG_NOTICE, __FILE__, __LINE__, __VA_ARGS__)
#define USK_INFOLOG(...)   usk_log(USK_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)

/** A debug message of one component, printed only when its flag is on. */
#define USK_DEBUGLOG(component, ...)                                             \
	do {                                                                     \
		if (usk_log_flag_enabled(USK_LOG_COMPONENT_##component)) {       \
			usk_log(USK_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); \
		}                                                                \
	} while (0)

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_LOG_H */
