/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of lib/event share: reactors, the app's state, subsystems. */
#ifndef USK_EVENT_INTERNAL_H
#define USK_EVENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "usk/event.h"
#include "usk/ring.h"
#include "usk/rpc.h"
#include "usk/util.h"
#include "usk/idle_spell.h"
#include "usk_internal/cpumask.h"

/* A thread placed on a reactor, with what its part of the current sleep watches. */
struct reactor_thread {
	struct usk_thread *thread;
	uint32_t nfds;	    /* its fds among the sleep's pollfds, after the previous threads' */
	uint32_t nwake_fds; /* the first of those: wake fds, drained by the reactor */
};

/* One per core, in an array: each on cache lines of its own, so no two cores write one line. */
struct reactor {
	_Alignas(USK_CACHE_LINE_SIZE) uint32_t index;
	int core;
	pthread_t tid;
	/* Threads placed here by other pthreads, taken in by the reactor. */
	struct usk_ring *incoming;
	/* Owned by the reactor's pthread. */
	struct reactor_thread *threads;
	uint32_t nthreads;
	uint32_t threads_cap;
	int efd; /* wakes the reactor from an idle sleep */
	_Atomic bool sleeping;
	uint64_t last_busy;
	/* How long it stays idle before it sleeps: what its sleeps cost, up to idle_threshold_us.
	 */
	struct usk_idle_spell spell;
	_Atomic uint64_t busy_ticks;
	_Atomic uint64_t idle_ticks;
	/* Written by the reactor only (usk_counter_add()), read by RPCs. */
	_Atomic uint64_t sleeps;
	_Atomic uint64_t wakeups; /* sleeps a message, a signal or an fd cut short */
	_Atomic uint64_t wakeups_message;
	_Atomic uint64_t wakeups_timer;	 /* a timed poller came due, or the cap ran out */
	_Atomic uint64_t wakeups_device; /* a wake fd or an interrupt source */
	_Atomic uint64_t sleep_aborts;	 /* an interrupt source had work as it was armed */
	_Atomic uint64_t asleep_ticks;
	_Atomic uint64_t idle_spell_ticks; /* the spell as the last sleep left it */
};

struct event_app {
	struct usk_app_opts opts;
	struct reactor *reactors;
	uint32_t nreactors;
	_Atomic uint32_t next_reactor;
	struct usk_thread *app_thread;
	_Atomic bool running;
	_Atomic bool stopping;
	/* Every thread was asked to exit: reactors end when theirs have. */
	_Atomic bool threads_exiting;
	/* usk_env_init() was ours to call, so usk_env_fini() is ours too. */
	bool env_owned;
	int rc;
};

extern struct event_app g_app;

/* Sets up one reactor per core (not running yet). */
int reactors_create(const int *cores, uint32_t count);
/* Runs reactor 0 on this pthread and the others on their own, until all end. */
void reactors_run(void);
/* Destroys every thread left on the reactors, then the reactors. */
void reactors_free(void);
/* The thread library's schedule function: puts a new thread on a reactor. */
int reactor_schedule_thread(struct usk_thread *thread, int core_hint);
/* Whether a reactor has a message, a new thread or (reactor 0) a signal waiting. */
bool reactor_has_work(const struct reactor *r);
/*
 * Sleeps an idle reactor until a message, an fd of its threads, a due
 * timed poller or (with a poller that has no interrupt source) a short
 * cap; returns whether it slept. What the sleep cost goes into the
 * reactor's idle spell.
 */
bool reactor_sleep(struct reactor *r, uint64_t now);
/* Wakes every sleeping reactor. */
void reactors_wake_all(void);
/* Records a signal for reactor 0 to act on (async-signal-safe). */
void reactor_signal(int signo);

/* Initialises the subsystems in order; calls @done with 0 or the first failure. */
void subsystems_init(void (*done)(int rc));
/* Finishes the initialised subsystems in reverse order, then calls @done. */
void subsystems_fini(void (*done)(void));
/* Whether a subsystem of that name is registered. */
bool subsystem_exists(const char *name);
/* Writes {"subsystems": [...]} with every subsystem's configuration. */
void subsystems_write_config(struct usk_json_write_ctx *w);
/* Writes one subsystem's config array, as save_config has it; -ENOENT for an unknown name. */
int subsystem_write_config(const char *name, struct usk_json_write_ctx *w);
/* Writes [{"subsystem": NAME, "depends_on": []}, ...] in initialisation order. */
void subsystems_write_list(struct usk_json_write_ctx *w);
/* The log subsystem, always first. */
extern const struct usk_subsystem g_log_subsystem;

/* Applies a JSON config file through RPC calls, then calls @done(0 or -errno). */
void app_config_load(const char *path, void (*done)(int rc));
/*
 * Whether @method is one of SPDK's that USK has no use for, with @params
 * (NULL: none): 0 when it may be skipped; -EINVAL when @params holds a
 * field (*@field) that is not SPDK's default and asks for a behaviour USK
 * does not give; -ENOENT when USK does not know it as such.
 */
int app_config_spdk_unused(const char *method, const struct usk_json_val *params,
			   const char **field);

struct app_rpc_method {
	const char *name;
	usk_rpc_method_fn fn;
};

/* Registers a table of methods; returns 0 or the first failure. */
int app_rpc_register_table(const struct app_rpc_method *methods, size_t count);
/* An RPC answer gathered thread by thread (thread_rpc.c). */
struct app_thread_walk {
	struct usk_rpc_request *req;
	struct usk_json_write_ctx *w;
	const char *array;
	void (*visit)(struct app_thread_walk *walk, struct usk_thread *thread);
	void (*finish)(struct app_thread_walk *walk);
	void *ctx;   /* a visit's own state: NULL or malloc'd, freed with the walk */
	bool failed; /* a visit ran out of memory: the answer is an error */
};

/*
 * Answers @req with {"tick_rate": ..., then an array named @array (or no
 * array when NULL) holding what @visit writes on each thread, then what
 * @finish writes (NULL: nothing)}. Params must be empty.
 */
void app_rpc_thread_walk(struct usk_rpc_request *req, const struct usk_json_val *params,
			 const char *array,
			 void (*visit)(struct app_thread_walk *walk, struct usk_thread *thread),
			 void (*finish)(struct app_thread_walk *walk));
/* The thread_get_stats, thread_get_pollers and thread_get_io_channels methods. */
void rpc_thread_get_stats(struct usk_rpc_request *req, const struct usk_json_val *params);
void rpc_thread_get_pollers(struct usk_rpc_request *req, const struct usk_json_val *params);
void rpc_thread_get_io_channels(struct usk_rpc_request *req, const struct usk_json_val *params);
/* Registers the framework's RPC methods (reactors, threads, config, kill). */
int app_rpc_register(void);
/*
 * Start-up got past the subsystems (@rc 0) or failed (@rc): answers the
 * framework_wait_init calls waiting, with true or an error; later calls
 * are answered at once. On the app thread.
 */
void app_rpc_init_finished(int rc);
/* The app is gone: framework_wait_init waits again (for the next start). */
void app_rpc_init_reset(void);

/* USK's version, split as SPDK's spdk_get_version answers it. */
struct app_version {
	uint32_t major;
	uint32_t minor;
	uint32_t patch;
	const char *suffix; /* what follows the numbers ("-pre"), or "" */
};

/* Splits "MAJOR.MINOR[.PATCH][SUFFIX]"; returns 0 or -EINVAL. */
int app_version_parse(const char *text, struct app_version *v);
/* Registers the log subsystem's RPC methods. */
int log_rpc_register(void);

#endif /* USK_EVENT_INTERNAL_H */
