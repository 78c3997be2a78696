/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "fio.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fio_bdev_app.h"
#include "usk/bdev.h"
#include "usk/event.h"
#include "usk_internal/cpumask.h"

enum app_state { APP_STOPPED, APP_STARTING, APP_RUNNING, APP_FAILED };

static pthread_mutex_t g_app_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_app_cond = PTHREAD_COND_INITIALIZER;
static enum app_state g_state = APP_STOPPED;
static pthread_t g_app_pthread;
static char *g_json_conf;
static char *g_cpumask;

static void app_set_state(enum app_state state)
{
	pthread_mutex_lock(&g_app_lock);
	g_state = state;
	pthread_cond_broadcast(&g_app_cond);
	pthread_mutex_unlock(&g_app_lock);
}

static void app_started(void *ctx)
{
	app_set_state(APP_RUNNING);
}

static void *app_main(void *arg)
{
	struct usk_app_opts opts;
	int rc;

	usk_app_opts_init(&opts, sizeof(opts));
	opts.name = "usk_bdev";
	opts.cpumask = g_cpumask;
	opts.rpc_addr = NULL;
	opts.json_config_file = g_json_conf;
	/* fio's jobs do the I/O; the reactors only serve the bdevs' own pollers. */
	opts.idle_sleep = true;
	rc = usk_app_start(&opts, app_started, NULL);
	/* Start-up failed (rc < 0), or the app stopped: nothing will run again. */
	app_set_state(rc < 0 ? APP_FAILED : APP_STOPPED);
	return NULL;
}

/* Waits while the app starts; fio's signal handlers are put back once it has. */
static int app_wait_started(const struct sigaction *fio_int, const struct sigaction *fio_term)
{
	pthread_mutex_lock(&g_app_lock);
	while (g_state == APP_STARTING) {
		pthread_cond_wait(&g_app_cond, &g_app_lock);
	}
	pthread_mutex_unlock(&g_app_lock);
	/* Ctrl-C stops fio, which then closes the jobs and stops the app in order. */
	sigaction(SIGINT, fio_int, NULL);
	sigaction(SIGTERM, fio_term, NULL);
	return g_state == APP_RUNNING ? 0 : 1;
}

static int app_launch(const char *json_conf, const char *cpumask)
{
	struct sigaction fio_int, fio_term;
	static bool registered;

	if (!registered && usk_bdev_subsystem_register() != 0) {
		log_err("usk_bdev: cannot register the bdev subsystem\n");
		return 1;
	}
	registered = true;
	g_json_conf = strdup(json_conf);
	g_cpumask = strdup(cpumask);
	if (g_json_conf == NULL || g_cpumask == NULL) {
		return 1;
	}
	sigaction(SIGINT, NULL, &fio_int);
	sigaction(SIGTERM, NULL, &fio_term);
	g_state = APP_STARTING;
	if (pthread_create(&g_app_pthread, NULL, app_main, NULL) != 0) {
		g_state = APP_FAILED;
		return 1;
	}
	if (app_wait_started(&fio_int, &fio_term) != 0) {
		pthread_join(g_app_pthread, NULL);
		log_err("usk_bdev: USK did not start with usk_json_conf '%s' and usk_cpumask "
			"'%s' (the lines above say why)\n",
			json_conf, cpumask);
		return 1;
	}
	return 0;
}

/* "0x3" and "[0-1]" name the same reactors: the masks are compared as sets. */
static bool same_cores(const char *a, const char *b)
{
	int cores_a[EVENT_MAX_CORES], cores_b[EVENT_MAX_CORES];
	uint32_t count_a, count_b;
	char err[128];

	if (event_cpumask_parse(a, cores_a, EVENT_MAX_CORES, &count_a, err, sizeof(err)) != 0 ||
	    event_cpumask_parse(b, cores_b, EVENT_MAX_CORES, &count_b, err, sizeof(err)) != 0) {
		return strcmp(a, b) == 0;
	}
	return count_a == count_b && memcmp(cores_a, cores_b, count_a * sizeof(int)) == 0;
}

int usk_fio_bdev_app_start(const char *json_conf, const char *cpumask)
{
	int rc = 0;

	pthread_mutex_lock(&g_app_lock);
	if (g_state == APP_RUNNING && strcmp(g_json_conf, json_conf) != 0) {
		log_err("usk_bdev: one fio process runs one USK config: '%s' is already "
			"loaded, '%s' cannot be too; give every job the same usk_json_conf\n",
			g_json_conf, json_conf);
		rc = 1;
	} else if (g_state == APP_RUNNING && !same_cores(g_cpumask, cpumask)) {
		log_err("usk_bdev: one fio process runs one USK: its reactors are already on "
			"usk_cpumask '%s', not '%s'; give every job the same usk_cpumask\n",
			g_cpumask, cpumask);
		rc = 1;
	} else if (g_state == APP_FAILED) {
		rc = 1;
	}
	pthread_mutex_unlock(&g_app_lock);
	if (rc != 0 || g_state == APP_RUNNING) {
		return rc;
	}
	/* Jobs are set up one after another by fio's main thread: no race here. */
	return app_launch(json_conf, cpumask);
}

struct app_call {
	usk_msg_fn fn;
	void *ctx;
	bool done;
};

static void app_call_msg(void *arg)
{
	struct app_call *call = arg;

	call->fn(call->ctx);
	pthread_mutex_lock(&g_app_lock);
	call->done = true;
	pthread_cond_broadcast(&g_app_cond);
	pthread_mutex_unlock(&g_app_lock);
}

int usk_fio_bdev_app_call(usk_msg_fn fn, void *ctx)
{
	struct app_call call = {.fn = fn, .ctx = ctx, .done = false};
	int rc = usk_thread_send_msg(usk_app_get_thread(), app_call_msg, &call);

	if (rc != 0) {
		log_err("usk_bdev: USK's app thread takes no message: %s\n", strerror(-rc));
		return 1;
	}
	pthread_mutex_lock(&g_app_lock);
	while (!call.done) {
		pthread_cond_wait(&g_app_cond, &g_app_lock);
	}
	pthread_mutex_unlock(&g_app_lock);
	return 0;
}

/* fio unloads the engine after its last job has closed its bdevs. */
__attribute__((destructor)) static void app_stop(void)
{
	if (g_state == APP_RUNNING) {
		usk_app_stop(0);
		pthread_join(g_app_pthread, NULL);
	}
	free(g_json_conf);
	free(g_cpumask);
}
