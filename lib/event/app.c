/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The app's life: start-up on the app thread (subsystems, JSON config, RPC
 * server, the app's start function), and the orderly shutdown.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/rpc.h"
#include "event_internal.h"

struct event_app g_app;

static usk_msg_fn g_start_fn;
static void *g_start_ctx;
static struct sigaction g_old_sigint, g_old_sigterm;
/*
 * A shutdown asked for while subsystems start, or while the JSON config
 * loads, waits for that to end: a config call still pending may use the
 * subsystems, which the shutdown would finish under it.
 */
static bool g_starting;
static bool g_shutdown_deferred;

/* Fills the fields the caller's structure has room for. */
#define APP_OPT_SET(opts, size, field, value)                                                 \
	do {                                                                                  \
		if (offsetof(struct usk_app_opts, field) + sizeof((opts)->field) <= (size)) { \
			(opts)->field = (value);                                              \
		}                                                                             \
	} while (0)

void usk_app_opts_init(struct usk_app_opts *opts, size_t size)
{
	memset(opts, 0, size);
	APP_OPT_SET(opts, size, opts_size, size);
	APP_OPT_SET(opts, size, name, "usk_app");
	APP_OPT_SET(opts, size, cpumask, "0x1");
	APP_OPT_SET(opts, size, rpc_addr, USK_RPC_DEFAULT_SOCKET);
	APP_OPT_SET(opts, size, idle_threshold_us, 1000);
}

bool usk_app_is_stopping(void)
{
	return atomic_load(&g_app.stopping);
}

struct usk_thread *usk_app_get_thread(void)
{
	return g_app.app_thread;
}

uint32_t usk_app_get_core_count(void)
{
	return g_app.nreactors;
}

int usk_app_get_core(uint32_t index)
{
	return index < g_app.nreactors ? g_app.reactors[index].core : -1;
}

static void app_thread_exit_msg(void *ctx)
{
	struct usk_thread *t = usk_thread_get_current();

	if (t != g_app.app_thread) {
		usk_thread_exit(t);
	}
}

/* Every other thread was asked to exit: the app thread goes last. */
static void app_threads_asked(void *ctx)
{
	usk_thread_exit(g_app.app_thread);
	atomic_store_explicit(&g_app.threads_exiting, true, memory_order_release);
	reactors_wake_all();
}

static void app_subsystems_finished(void)
{
	if (usk_thread_for_each(app_thread_exit_msg, NULL, app_threads_asked) != 0) {
		app_threads_asked(NULL);
	}
}

static void app_shutdown_msg(void *ctx)
{
	if (g_starting) {
		g_shutdown_deferred = true;
		return;
	}
	usk_rpc_close();
	subsystems_fini(app_subsystems_finished);
}

void usk_app_stop(int rc)
{
	bool expected = false;

	if (!atomic_load(&g_app.running) ||
	    !atomic_compare_exchange_strong(&g_app.stopping, &expected, true)) {
		return;
	}
	g_app.rc = rc;
	if (usk_thread_send_msg(g_app.app_thread, app_shutdown_msg, NULL) != 0) {
		USK_ERRLOG("%s: cannot reach the app thread to shut down", g_app.opts.name);
	}
}

/* Start-up failed at some step: say where, and shut down with @rc. */
static void app_start_failed(const char *step, int rc)
{
	USK_ERRLOG("%s: start-up failed: %s: %s", g_app.opts.name, step, strerror(-rc));
	usk_app_stop(rc);
}

static void app_config_applied(int rc)
{
	g_starting = false;
	if (g_shutdown_deferred) {
		app_shutdown_msg(NULL);
		return;
	}
	/* A stop (its message on the way) cut the load short: the user's, not a failed start. */
	if (usk_app_is_stopping()) {
		return;
	}
	if (rc != 0) {
		app_start_failed("JSON config", rc);
		return;
	}
	if (g_app.opts.rpc_addr != NULL) {
		rc = usk_rpc_listen(g_app.opts.rpc_addr);
		if (rc != 0) {
			app_start_failed("RPC server", rc);
			return;
		}
	}
	USK_INFOLOG("%s: started on %u core(s)", g_app.opts.name, g_app.nreactors);
	if (g_start_fn != NULL) {
		g_start_fn(g_start_ctx);
	}
}

static void app_subsystems_ready(int rc)
{
	bool cancelled = g_shutdown_deferred || usk_app_is_stopping();

	app_rpc_init_finished(rc != 0 ? rc : cancelled ? -ECANCELED : 0);
	if (cancelled || rc != 0) {
		g_starting = false;
	}
	if (g_shutdown_deferred) {
		app_shutdown_msg(NULL);
		return;
	}
	if (rc != 0) {
		app_start_failed("subsystems", rc);
		return;
	}
	if (usk_app_is_stopping()) {
		return;
	}
	if (g_app.opts.json_config_file != NULL) {
		app_config_load(g_app.opts.json_config_file, app_config_applied);
	} else {
		app_config_applied(0);
	}
}

static void app_start_msg(void *ctx)
{
	int rc = app_rpc_register();

	if (rc == 0) {
		rc = log_rpc_register();
	}
	if (rc != 0) {
		app_start_failed("RPC methods", rc);
		return;
	}
	g_starting = true;
	g_shutdown_deferred = false;
	subsystems_init(app_subsystems_ready);
}

static void app_signal_handler(int signo)
{
	reactor_signal(signo);
}

static void app_signals_install(void)
{
	struct sigaction sa = {.sa_handler = app_signal_handler};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &g_old_sigint);
	sigaction(SIGTERM, &sa, &g_old_sigterm);
}

static void app_signals_restore(void)
{
	sigaction(SIGINT, &g_old_sigint, NULL);
	sigaction(SIGTERM, &g_old_sigterm, NULL);
}

/* Copies the caller's options, however old its structure is. */
static int app_opts_copy(const struct usk_app_opts *opts)
{
	usk_app_opts_init(&g_app.opts, sizeof(g_app.opts));
	if (opts == NULL || opts->opts_size == 0 || opts->opts_size > sizeof(g_app.opts)) {
		USK_ERRLOG("usk_app_start: fill the options with usk_app_opts_init() first");
		return -EINVAL;
	}
	memcpy(&g_app.opts, opts, opts->opts_size);
	if (g_app.opts.name == NULL) {
		g_app.opts.name = "usk_app";
	}
	return 0;
}

static int app_setup(const struct usk_app_opts *opts)
{
	int cores[EVENT_MAX_CORES];
	uint32_t ncores;
	char err[256];
	int rc;

	rc = app_opts_copy(opts);
	if (rc != 0) {
		return rc;
	}
	if (g_app.opts.cpumask == NULL) {
		g_app.opts.cpumask = "0x1";
	}
	rc = event_cpumask_parse(g_app.opts.cpumask, cores, EVENT_MAX_CORES, &ncores, err,
				 sizeof(err));
	if (rc != 0) {
		USK_ERRLOG("%s: --cpumask '%s': %s", g_app.opts.name, g_app.opts.cpumask, err);
		return rc;
	}
	/* DMA memory for the modules that drive devices; an embedder may have set it up. */
	rc = usk_env_init(NULL);
	if (rc != 0 && rc != -EALREADY) {
		USK_ERRLOG("%s: cannot set up the environment: %s", g_app.opts.name, strerror(-rc));
		return rc;
	}
	g_app.env_owned = rc == 0;
	rc = usk_thread_lib_init(reactor_schedule_thread);
	if (rc != 0) {
		USK_ERRLOG("%s: cannot set up threads: %s", g_app.opts.name, strerror(-rc));
		return rc;
	}
	rc = reactors_create(cores, ncores);
	if (rc != 0) {
		return rc;
	}
	atomic_store(&g_app.running, true);
	g_app.app_thread = usk_thread_create("app_thread", cores[0]);
	if (g_app.app_thread == NULL) {
		return -ENOMEM;
	}
	return usk_thread_send_msg(g_app.app_thread, app_start_msg, NULL);
}

static void app_teardown(void)
{
	app_rpc_init_reset();
	reactors_free();
	usk_thread_lib_fini();
	if (g_app.env_owned) {
		usk_env_fini();
		g_app.env_owned = false;
	}
	g_app.app_thread = NULL;
	atomic_store(&g_app.running, false);
	atomic_store(&g_app.stopping, false);
	atomic_store(&g_app.threads_exiting, false);
	atomic_store(&g_app.next_reactor, 0);
}

int usk_app_start(const struct usk_app_opts *opts, usk_msg_fn start_fn, void *ctx)
{
	int rc;

	if (atomic_load(&g_app.running)) {
		return -EBUSY;
	}
	g_app.rc = 0;
	g_start_fn = start_fn;
	g_start_ctx = ctx;
	rc = app_setup(opts);
	if (rc != 0) {
		app_teardown();
		return rc;
	}
	app_signals_install();
	reactors_run();
	app_signals_restore();
	rc = g_app.rc;
	app_teardown();
	return rc;
}
