/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of lib/thread share: the thread, poller and channel structures. */
#ifndef USK_THREAD_INTERNAL_H
#define USK_THREAD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/queue.h>

#include "msg_ring.h"
#include "usk/thread.h"
#include "usk_internal/utf8.h"

#define THREAD_NAME_LEN 64

/* @name into a name field, cut on a whole character: names go out in JSON. */
static inline void thread_name_copy(char dst[THREAD_NAME_LEN], const char *name)
{
	snprintf(dst, THREAD_NAME_LEN, "%s", name != NULL ? name : "");
	utf8_trim(dst);
}

enum thread_state {
	THREAD_RUNNING = 0,
	THREAD_EXITING,
	THREAD_EXITED,
};

enum poller_state {
	POLLER_WAITING = 0,
	POLLER_RUNNING,
	POLLER_PAUSED,
	/* Left in its list until the poll loop reaches it, so loops stay safe. */
	POLLER_UNREGISTERED,
};

struct usk_poller {
	TAILQ_ENTRY(usk_poller) link;
	/* Whose lists hold it. */
	struct usk_thread *thread;
	usk_poller_fn fn;
	void *ctx;
	uint64_t period_us;
	uint64_t period_ticks;
	uint64_t next_tick;
	enum poller_state state;
	/* A paused timed poller out of the timed list (in paused_timed_pollers) until resumed. */
	bool parked;
	uint64_t runs;
	uint64_t busy_runs;
	/* Its interrupt source (usk_poller_set_interrupt()); irq_fd -1: none. */
	int irq_fd;
	int (*irq_arm)(void *ctx);
	int (*irq_disarm)(void *ctx);
	void *irq_ctx;
	/* Armed for a sleep (its arm returned 0 or 1): disarm is owed. */
	bool irq_armed;
	char name[THREAD_NAME_LEN];
};

TAILQ_HEAD(poller_list, usk_poller);
TAILQ_HEAD(io_channel_list, usk_io_channel);

struct usk_thread {
	uint64_t id;
	char name[THREAD_NAME_LEN];
	int core_hint;
	void *ctx;
	_Atomic int state;
	uint64_t exit_deadline;
	struct msg_ring msgs;
	/* What it sent to itself: no other pthread writes these. */
	struct msg_local own_msgs;
	void (*waker)(void *ctx);
	void *waker_ctx;
	struct poller_list active_pollers;
	/* Sorted by next_tick, soonest first. */
	struct poller_list timed_pollers;
	/* Paused timed pollers: they have no turn, so a sleep need not end for them. */
	struct poller_list paused_timed_pollers;
	/* Counts of live pollers; read by other pthreads for statistics. */
	_Atomic uint32_t n_active;
	_Atomic uint32_t n_timed;
	_Atomic uint32_t n_paused;
	/* Guarded by g_devlist_lock, so a channel walk can look from afar. */
	struct io_channel_list channels;
	/* I/O devices it unregistered whose done callback has yet to run on it. */
	uint32_t pending_unregisters;
	/* Walks (threads', channels') it started whose completion has yet to run on it. */
	uint32_t pending_walks;
	uint64_t last_poll;
	bool last_busy;
	_Atomic uint64_t busy_ticks;
	_Atomic uint64_t idle_ticks;
	_Atomic uint64_t msgs_run;
	/* Eventfds that wake the reactor from an idle sleep (usk_thread_add_wake_fd()). */
	int wake_fds[USK_THREAD_MAX_WAKE_FDS];
	uint32_t n_wake_fds;
	/* Sleeps with its sources armed (thread_sleep.c); read by other pthreads. */
	_Atomic uint64_t sleeps;
	_Atomic uint64_t wakeups_message;
	_Atomic uint64_t wakeups_timer;
	_Atomic uint64_t wakeups_device;
	_Atomic uint64_t asleep_ticks;
	TAILQ_ENTRY(usk_thread) link;
};

TAILQ_HEAD(thread_list, usk_thread);

/* Every thread, in order of id; the lock also keeps listed threads alive. */
extern pthread_mutex_t g_threads_lock;
extern struct thread_list g_threads;
/* I/O devices and every thread's channel list. Taken after g_threads_lock. */
extern pthread_mutex_t g_devlist_lock;

/*
 * For a thread forced out of its exit: the devices it is unregistering
 * report on whichever thread releases their last channel instead.
 */
void io_device_orphan_unregisters(struct usk_thread *thread);
/*
 * Sends fn(ctx) to the first live thread whose id is above *last_id and
 * that @match accepts (NULL: any), and records its id there. Returns 0;
 * -ENOENT when no thread is left; -ENOMEM when that thread's queue is full
 * (*last_id is left before it, to try it again).
 */
int thread_send_to_next(uint64_t *last_id, bool (*match)(struct usk_thread *t, void *arg),
			usk_msg_fn fn, void *ctx);
/*
 * One step of a walk over the threads: thread_send_to_next(), or when no
 * thread is left, done(ctx) on @home; when the queue it sends to is full,
 * again(ctx) on the current thread, to take the step once more. Returns
 * false when even that failed (logged): the caller frees the walk.
 */
bool thread_walk_step(uint64_t *last_id, bool (*match)(struct usk_thread *t, void *arg),
		      usk_msg_fn visit, usk_msg_fn done, struct usk_thread *home, usk_msg_fn again,
		      void *ctx);
/* Makes @thread the current thread (NULL: none); returns the one before. */
struct usk_thread *thread_set_current(struct usk_thread *thread);
/* Runs the thread's pollers once; returns whether one did work. */
int thread_run_pollers(struct usk_thread *thread, uint64_t now);
/* Moves every timed poller's next turn @back ticks earlier (the clock went back). */
void thread_shift_timed_pollers_back(struct usk_thread *thread, uint64_t back);
/* Frees every poller of a thread that is being destroyed. */
void thread_free_pollers(struct usk_thread *thread);
/* Logs what keeps a thread from exiting. */
void thread_log_pollers(const struct usk_thread *thread);
/* Destroys the channels a thread still holds as it is destroyed. */
void thread_release_channels(struct usk_thread *thread);
/* Whether the thread holds no channel. */
bool thread_has_channels(struct usk_thread *thread);

#endif /* USK_THREAD_INTERNAL_H */
