/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The app framework: one reactor per core, each a pthread pinned to its
 * core that polls the usk_threads placed on it; the app thread that runs
 * subsystems, the JSON config and the JSON-RPC server; an orderly shutdown
 * on usk_app_stop(), SIGINT or SIGTERM.
 *
 * Start-up, on the app thread: subsystems are initialised in the order
 * they were registered, the JSON config (--json) is applied by calling its
 * RPC methods, the RPC server starts listening, then the app's start
 * function runs. Shutdown: the RPC server stops, subsystems are finished
 * in reverse order, then every thread is asked to exit; reactors stop once
 * all their threads have exited.
 *
 * Thread rules: usk_app_opts_init(), usk_app_parse_args(),
 * usk_subsystem_register() and usk_app_start() are called from the
 * program's main pthread; usk_app_stop() from any pthread; the rest on the
 * app thread unless stated.
 */
#ifndef USK_EVENT_H
#define USK_EVENT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "usk/json.h"
#include "usk/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** How an app runs. Fill with usk_app_opts_init() first. */
struct usk_app_opts {
	/** sizeof(struct usk_app_opts) as the caller knows it */
	size_t opts_size;
	/** the program's name, for logs and --help (default "usk_app") */
	const char *name;
	/** cores to run reactors on: a hex mask ("0x3") or a list ("[0,2-3]");
	 *  default "0x1" */
	const char *cpumask;
	/** the RPC socket's path (default USK_RPC_DEFAULT_SOCKET); NULL: no server */
	const char *rpc_addr;
	/** a JSON config file to apply at start, or NULL */
	const char *json_config_file;
	/**
	 * let a reactor sleep when idle, instead of spinning (default off): after
	 * idle_threshold_us with nothing done it arms its pollers' interrupt
	 * sources (usk_poller_set_interrupt()) and sleeps until a message, an
	 * fd or a timed poller wakes it; a poller with no source caps the
	 * sleep at 10 ms
	 */
	bool idle_sleep;
	/** how long a reactor must be idle before it sleeps (default 1000 us) */
	uint32_t idle_threshold_us;
};

/**
 * Fill @p opts with the defaults.
 *
 * @param opts the options
 * @param size sizeof(*opts) as the caller was built with
 */
void usk_app_opts_init(struct usk_app_opts *opts, size_t size);

/** What usk_app_parse_args() found. */
enum usk_app_parse_result {
	USK_APP_PARSE_OK = 0,	 /**< run the app */
	USK_APP_PARSE_EXIT = 1,	 /**< --help was printed: exit with status 0 */
	USK_APP_PARSE_ERROR = 2, /**< a bad option was explained on stderr: exit with 2 */
};

/**
 * Parse the options every app shares (-m/--cpumask, -r/--rpc-socket,
 * -c/--json, --idle-sleep, --no-idle-sleep, --idle-threshold-us, -L/--logflag,
 * --log-level, -h/--help) and the app's own.
 *
 * @param argc        from main()
 * @param argv        from main()
 * @param opts        filled in (what is set before is the default: an app
 *                    that sleeps by default sets idle_sleep first)
 * @param app_short   the app's short options in getopt's syntax, or NULL
 * @param app_long    the app's long options (ending with a zeroed entry),
 *                    or NULL
 * @param app_parse   called for each of the app's options with getopt's
 *                    value and argument; returns 0, or non-zero when the
 *                    argument is bad (after saying why on stderr)
 * @param app_usage   prints the app's own options for --help, or NULL
 * @return a usk_app_parse_result. Non-option arguments are an error.
 */
enum usk_app_parse_result usk_app_parse_args(int argc, char **argv, struct usk_app_opts *opts,
					     const char *app_short, const struct option *app_long,
					     int (*app_parse)(int ch, const char *arg),
					     void (*app_usage)(FILE *out));

/**
 * Run the app: start the reactors, then call @p start_fn(@p ctx) on the
 * app thread once start-up is done. Returns when the app has stopped.
 *
 * @return the status given to usk_app_stop(); or a negative errno when
 *         start-up failed (bad core mask, a subsystem or the JSON config
 *         failed, the RPC socket is taken), after logging why.
 */
int usk_app_start(const struct usk_app_opts *opts, usk_msg_fn start_fn, void *ctx);

/**
 * Begin the orderly shutdown; the first call's @p rc is what
 * usk_app_start() returns. Any pthread may call it; later calls do
 * nothing.
 */
void usk_app_stop(int rc);

/** @return whether a shutdown has begun. Any pthread. */
bool usk_app_is_stopping(void);

/** @return the app thread, or NULL when no app runs. Any pthread. */
struct usk_thread *usk_app_get_thread(void);

/** @return the number of reactors (cores) of the running app. Any pthread. */
uint32_t usk_app_get_core_count(void);

/** @return the core of reactor @p index (0 is the main core), or -1. Any pthread. */
int usk_app_get_core(uint32_t index);

/**
 * A subsystem: a part of a service with state to set up before the app
 * starts and tear down when it stops, and configuration to save.
 */
struct usk_subsystem {
	/** the name JSON config files use ("subsystem": "...") */
	const char *name;
	/** sets up, then calls usk_subsystem_init_done(); NULL: nothing to do */
	void (*init)(void);
	/** tears down, then calls usk_subsystem_fini_done(); NULL: nothing to do */
	void (*fini)(void);
	/** writes the subsystem's configuration as the elements of an array, each
	 *  {"method": ..., "params": {...}}; NULL: none */
	void (*write_config_json)(struct usk_json_write_ctx *w);
};

/**
 * Register a subsystem, before usk_app_start(). The structure must stay
 * valid while the app runs. The built-in "log" subsystem comes first.
 *
 * @return 0; -EINVAL for a missing name; -EEXIST for a name already
 *         registered; -ENOSPC beyond 32 subsystems.
 */
int usk_subsystem_register(const struct usk_subsystem *subsystem);

/** Report that the subsystem being initialised is ready (0) or failed (negative errno). */
void usk_subsystem_init_done(int rc);

/** Report that the subsystem being finished is done. */
void usk_subsystem_fini_done(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_EVENT_H */
