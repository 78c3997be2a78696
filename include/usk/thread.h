/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Lightweight threads: a message queue and a set of pollers, run by whoever
 * calls usk_thread_poll(). The app framework (usk/event.h) runs them on
 * reactors pinned to cores; an embedder can run them from its own loop.
 * I/O devices give every thread that uses them a channel of its own, so the
 * data path needs no locks.
 *
 * Thread rules: "the thread" below means the usk_thread whose
 * usk_thread_poll() is running on the calling pthread, as returned by
 * usk_thread_get_current(). Functions that act on the current thread say
 * so. usk_thread_send_msg() may be called from any pthread.
 */
#ifndef USK_THREAD_H
#define USK_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

struct usk_thread;
struct usk_poller;
struct usk_io_channel;
struct usk_io_channel_iter;

/** Let usk_thread_create() place the thread on any core. */
#define USK_THREAD_CORE_ANY (-1)
/**
 * Have usk_thread_create() leave the thread to its creator: the schedule
 * function is not called, and the creator's pthread polls the thread itself
 * (usk_thread_poll()), inside an app that runs reactors too. USK's fio
 * engine runs each fio job's thread so, on fio's own pthread.
 */
#define USK_THREAD_CORE_NONE (-2)

/** What a poller returns: it did nothing, or it did some work. */
#define USK_POLLER_IDLE 0
#define USK_POLLER_BUSY 1

/** A message: a function called with its context on the receiving thread. */
typedef void (*usk_msg_fn)(void *ctx);

/** A poller: returns USK_POLLER_BUSY if it did work, USK_POLLER_IDLE if not. */
typedef int (*usk_poller_fn)(void *ctx);

/**
 * Places a new thread where it will be polled (the app framework puts it on
 * a reactor).
 *
 * @param thread    the new thread
 * @param core_hint the core asked for in usk_thread_create(), or
 *                  USK_THREAD_CORE_ANY
 * @return 0, or a negative errno to make usk_thread_create() fail.
 */
typedef int (*usk_thread_schedule_fn)(struct usk_thread *thread, int core_hint);

/**
 * Set up the thread library. Call once, before any other function here.
 *
 * @param schedule called for every new thread, or NULL when the creator
 *                 polls its threads itself
 * @return 0, or -EALREADY if already set up (it allocates nothing).
 */
int usk_thread_lib_init(usk_thread_schedule_fn schedule);

/**
 * Tear the thread library down. Every thread must have been destroyed and
 * every I/O device unregistered.
 */
void usk_thread_lib_fini(void);

/**
 * Create a thread. It runs nothing until someone polls it.
 *
 * @param name      for logs and statistics; copied (63 characters kept)
 * @param core_hint the core to run on, or USK_THREAD_CORE_ANY; passed to
 *                  the schedule function; or USK_THREAD_CORE_NONE: the
 *                  caller polls the thread and the schedule function is
 *                  not called
 * @return the thread, or NULL when memory is short or the schedule
 *         function refused it. Any pthread may call it.
 */
struct usk_thread *usk_thread_create(const char *name, int core_hint);

/**
 * Ask the current thread to exit. It keeps being polled, and keeps
 * receiving messages, until its pollers are unregistered, its I/O
 * channels released, the I/O devices it unregistered have called their
 * done callback on it and the walks it started (usk_thread_for_each(),
 * usk_io_channel_for_each()) have completed on it; then it is exited
 * (usk_thread_is_exited()). After 5
 * seconds it exits anyway and logs what was still held.
 *
 * @param thread the current thread
 * @return 0; -EINVAL when @p thread is not the current thread.
 */
int usk_thread_exit(struct usk_thread *thread);

/** @return whether @p thread has exited. Any pthread may call it. */
bool usk_thread_is_exited(const struct usk_thread *thread);

/**
 * Free an exited thread, with the messages and pollers it still had. Call
 * it from the pthread that polled it, after usk_thread_is_exited().
 */
void usk_thread_destroy(struct usk_thread *thread);

/**
 * Run a thread once: up to @p max_msgs of the messages it sent itself, then
 * up to @p max_msgs of those from elsewhere, then every active poller, then
 * every timed poller whose time has come. The thread is the current thread
 * while this runs.
 *
 * @param thread   the thread; one pthread at a time may poll it
 * @param max_msgs messages to run at most from each of the two queues; 0
 *                 for the default (32)
 * @param now      the time in ticks (usk_ticks()), or 0 to read it
 * @return > 0 if a message or a poller did work, 0 if the thread was idle.
 */
int usk_thread_poll(struct usk_thread *thread, uint32_t max_msgs, uint64_t now);

/** Most wake fds (usk_thread_add_wake_fd()) one thread may have. */
#define USK_THREAD_MAX_WAKE_FDS 8

/**
 * Have the current thread's reactor wake from an idle sleep when @p fd, an
 * eventfd, becomes readable: for a poller that waits on the kernel, e.g. an
 * io_uring whose completions signal an eventfd (io_uring_register_eventfd()).
 * The reactor drains the eventfd when it wakes; the poller need not read it.
 *
 * @return 0; -EINVAL when not called on a thread or for a negative fd;
 *         -ENOSPC when the thread has USK_THREAD_MAX_WAKE_FDS already.
 */
int usk_thread_add_wake_fd(int fd);

/**
 * Undo usk_thread_add_wake_fd() on the current thread; call it before
 * closing @p fd.
 *
 * @return 0, or -ENOENT when @p fd is not one of the thread's.
 */
int usk_thread_remove_wake_fd(int fd);

/**
 * For whoever polls threads (the app framework's reactors): copies up to
 * @p max of @p thread's wake fds into @p fds. Call it where the thread is
 * polled.
 *
 * @return how many were copied.
 */
uint32_t usk_thread_get_wake_fds(const struct usk_thread *thread, int *fds, uint32_t max);

/**
 * @return the tick at which the thread's next timed poller is due, or
 * UINT64_MAX when it has none. Call it where the thread is polled; the app
 * framework uses it to decide how long an idle reactor may sleep.
 */
uint64_t usk_thread_next_poller_tick(const struct usk_thread *thread);

/**
 * Most fds one thread asks a sleep to watch: its wake fds and its pollers'
 * armed interrupt sources (usk_poller_set_interrupt()).
 */
#define USK_THREAD_MAX_SLEEP_FDS 32

/** What a sleep needs of a thread, filled by usk_thread_arm_sleep(). */
struct usk_thread_sleep {
	/** the fds to watch: first the thread's wake fds, then its armed sources' */
	int fds[USK_THREAD_MAX_SLEEP_FDS];
	/** how many of @c fds are set */
	uint32_t nfds;
	/**
	 * how many of @c fds (the first) are wake fds: the sleeper drains those
	 * eventfds when they wake it; the sources' disarm drains theirs
	 */
	uint32_t nwake_fds;
	/** the tick by which the thread must be polled again (its next timed
	 *  poller without an interrupt source), or UINT64_MAX */
	uint64_t deadline;
	/**
	 * an active poller has no interrupt source (or its arm failed, or the
	 * fds did not fit), or the thread is exiting: nothing is sure to wake
	 * the sleeper when it has work, so it must sleep no longer than its
	 * own short cap (the app framework's: 10 ms)
	 */
	bool capped;
};

/**
 * For whoever polls threads and wants to sleep when they are idle (the app
 * framework's reactors): arm the interrupt source of every poller of
 * @p thread that has one (paused pollers excepted), and say what the sleep
 * must watch. Call it where the thread is polled, after a poll that found
 * nothing, and then usk_thread_end_sleep() once the sleep is over, or
 * instead of sleeping. The thread is the current thread while its sources
 * are armed.
 *
 * @param thread the thread
 * @param sleep  filled in
 * @return 0: armed, sleep may begin; 1: a source found work already
 *         pending: every source armed here has been disarmed again, the
 *         thread must be polled and the sleep must not happen (do not call
 *         usk_thread_end_sleep()).
 */
int usk_thread_arm_sleep(struct usk_thread *thread, struct usk_thread_sleep *sleep);

/** Why a sleep ended, as seen by one of the threads that slept. */
enum usk_thread_wake_cause {
	/** it did not sleep after all: another thread's source had work pending */
	USK_THREAD_WAKE_ABANDONED = 0,
	/** a message for it arrived */
	USK_THREAD_WAKE_MESSAGE,
	/** its time came: a timed poller was due, or the cap ran out */
	USK_THREAD_WAKE_TIMER,
	/** one of its own fds (a wake fd or an interrupt source) became readable */
	USK_THREAD_WAKE_DEVICE,
	/** the sleeper woke for another thread sharing it, or for a signal */
	USK_THREAD_WAKE_OTHER,
};

/**
 * End a sleep prepared by usk_thread_arm_sleep(): call the disarm function
 * of every source that was armed (once each), and count the sleep in the
 * thread's statistics (usk_thread_get_stats()), except an abandoned one.
 *
 * @param thread       the thread
 * @param cause        why the sleep ended, for this thread
 * @param asleep_ticks how long it lasted, in ticks of usk_ticks()
 */
void usk_thread_end_sleep(struct usk_thread *thread, enum usk_thread_wake_cause cause,
			  uint64_t asleep_ticks);

/** @return whether a message is waiting for @p thread. Any pthread. */
bool usk_thread_has_msgs(const struct usk_thread *thread);

/**
 * @return the tick at which the current thread's poll began: a clock that
 * costs nothing to read, behind usk_ticks() by what this poll has run so
 * far. usk_ticks() when not on a thread.
 */
uint64_t usk_thread_get_poll_tick(void);

/** @return the thread being polled on this pthread, or NULL. */
struct usk_thread *usk_thread_get_current(void);

/** @return the thread's name. */
const char *usk_thread_get_name(const struct usk_thread *thread);

/** @return the thread's id: unique, from 1 upwards, never reused. */
uint64_t usk_thread_get_id(const struct usk_thread *thread);

/** @return the core hint given to usk_thread_create(). */
int usk_thread_get_core_hint(const struct usk_thread *thread);

/**
 * Attach a pointer for whoever runs the thread (the app framework keeps its
 * reactor there).
 */
void usk_thread_set_ctx(struct usk_thread *thread, void *ctx);

/** @return the pointer set by usk_thread_set_ctx(), or NULL. */
void *usk_thread_get_ctx(const struct usk_thread *thread);

/**
 * Have usk_thread_send_msg() call @p fn after it queues a message for
 * @p thread: a sleeping loop gets woken. @p fn runs on the sender's pthread
 * and must be safe there. Set it before messages flow; NULL removes it.
 */
void usk_thread_set_waker(struct usk_thread *thread, void (*fn)(void *ctx), void *ctx);

/**
 * Whether whoever runs @p thread may put it to sleep when it is idle: a
 * waker is set (the app framework's reactors with idle sleep do so). A
 * poller waiting on a kernel worker can then leave the core to it by
 * going idle, with no sched_yield() that would keep the loop from its
 * sleep. Call it on the thread's own pthread.
 *
 * @return true when a waker is set.
 */
bool usk_thread_sleeps_when_idle(const struct usk_thread *thread);

/**
 * Send a message: @p fn(@p ctx) runs on @p thread when it is next polled.
 * Messages from one sender run in the order they were sent. No lock is
 * taken and nothing is allocated: the message goes straight into the
 * thread's queue, which holds 16384. A thread's messages to itself (sent
 * while it is the current thread) go to a second queue of 16384 that
 * needs no atomic instruction, and run before the others (see
 * usk_thread_poll()); no waker is called for them.
 *
 * @return 0; -EINVAL for a NULL thread or function; -EIO when the thread
 *         has exited; -ENOMEM when the thread's queue is full (try later).
 *         Any pthread may call it.
 */
int usk_thread_send_msg(struct usk_thread *thread, usk_msg_fn fn, void *ctx);

/**
 * Run @p fn(@p ctx) on every thread in turn (in order of creation), then
 * @p cpl(@p ctx) on the current thread. Threads created meanwhile may be
 * missed; threads exited meanwhile are skipped; a thread whose queue is
 * full is waited for.
 *
 * @return 0; -EINVAL when not called on a thread; -ENOMEM.
 */
int usk_thread_for_each(usk_msg_fn fn, void *ctx, usk_msg_fn cpl);

/** A thread's counters, in ticks of usk_ticks(). */
struct usk_thread_stats {
	uint64_t busy_ticks;	  /**< time in messages and pollers that did work */
	uint64_t idle_ticks;	  /**< time in pollers that did nothing */
	uint64_t msgs;		  /**< messages run */
	uint32_t active_pollers;  /**< pollers run on every iteration */
	uint32_t timed_pollers;	  /**< pollers run on a period */
	uint32_t paused_pollers;  /**< pollers paused (of both kinds) */
	uint64_t sleeps;	  /**< sleeps it took part in (usk_thread_end_sleep()) */
	uint64_t wakeups_message; /**< sleeps ended by a message for it */
	uint64_t wakeups_timer;	  /**< sleeps ended by a due timed poller or the cap */
	uint64_t wakeups_device;  /**< sleeps ended by one of its fds */
	uint64_t asleep_ticks;	  /**< time asleep, summed over its sleeps */
};

/**
 * Read a thread's counters. Any pthread may call it; the figures are a
 * snapshot.
 */
void usk_thread_get_stats(const struct usk_thread *thread, struct usk_thread_stats *stats);

/**
 * Register a poller on the current thread.
 *
 * @param fn        the poller
 * @param ctx       passed to @p fn
 * @param period_us 0 for an active poller (run on every iteration), else
 *                  the period of a timed poller in microseconds
 * @param name      for statistics; copied (63 characters kept)
 * @return the poller, or NULL when not called on a thread, for a NULL
 *         function, or when memory is short.
 */
struct usk_poller *usk_poller_register(usk_poller_fn fn, void *ctx, uint64_t period_us,
				       const char *name);

/**
 * Unregister a poller of the current thread, also from inside the poller
 * itself; it is not run again. Sets *@p poller to NULL; NULL is ignored.
 * Called on another thread than the poller's, it logs an error and leaves
 * the poller running (its thread must unregister it).
 */
void usk_poller_unregister(struct usk_poller **poller);

/**
 * Give a poller of the current thread an interrupt source, so that its
 * thread may sleep while the poller has nothing to do (see
 * usk_thread_arm_sleep(); the app framework's reactors sleep so with
 * idle sleep on). Without one, an active poller keeps its thread's sleeps
 * short (a capped sleep); a timed poller bounds them by its period, which
 * an armed source lifts: it is then run when its fd wakes the thread (or
 * something else does) and its time has come.
 *
 * @param poller the poller
 * @param fd     readable while the source is armed and the poller has
 *               work (an eventfd, a socket, an epoll fd); -1 takes the
 *               source away
 * @param arm    called before a sleep: make @p fd signal work, then look
 *               once more; returns 1 when work is already pending (the
 *               sleep does not happen), 0 when armed with nothing
 *               pending, a negative errno when it cannot (the sleep is
 *               then capped, as without a source)
 * @param disarm called after every arm that returned 0 or 1, once, when
 *               the sleep ends or is abandoned and before the poller runs
 *               again: go back to polling, and drain @p fd if it counts
 * @param ctx    passed to @p arm and @p disarm
 * @return 0; -EINVAL when not called on a thread (the poller's), for a
 *         NULL poller, or for an @p fd >= 0 without both functions.
 */
int usk_poller_set_interrupt(struct usk_poller *poller, int fd, int (*arm)(void *ctx),
			     int (*disarm)(void *ctx), void *ctx);

/**
 * Stop running a poller of the current thread until it is resumed. Called
 * on another thread than the poller's, it logs an error and does nothing.
 */
void usk_poller_pause(struct usk_poller *poller);

/**
 * Run a paused poller of the current thread again (a timed one after a
 * full period). Called on another thread, it logs an error and does nothing.
 */
void usk_poller_resume(struct usk_poller *poller);

/** One poller's identity and counters, for usk_thread_for_each_poller(). */
struct usk_poller_info {
	const char *name;
	uint64_t period_us; /**< 0 for an active poller */
	bool paused;
	uint64_t runs;	    /**< times it was called */
	uint64_t busy_runs; /**< times it returned USK_POLLER_BUSY */
};

/**
 * Call @p fn for every poller of the current thread. @p fn must not
 * register or unregister pollers.
 */
void usk_thread_for_each_poller(void (*fn)(const struct usk_poller_info *info, void *ctx),
				void *ctx);

/**
 * Creates the per-thread context of a channel.
 *
 * @param io_device the device's handle
 * @param ctx       the channel's context, zeroed, of the registered size
 * @return 0, or a negative errno to make usk_io_channel_get() fail.
 */
typedef int (*usk_io_channel_create_fn)(void *io_device, void *ctx);

/** Releases what the create function set up in @p ctx. */
typedef void (*usk_io_channel_destroy_fn)(void *io_device, void *ctx);

/**
 * Register an I/O device: any unique pointer that threads will get
 * channels for.
 *
 * @param io_device the device's handle
 * @param create    called on a thread when it gets its first channel
 * @param destroy   called on that thread when its channel is released
 * @param ctx_size  bytes of per-channel context
 * @param name      for logs; copied (63 characters kept)
 * @return 0; -EINVAL for a NULL device or function; -EEXIST when
 *         already registered; -ENOMEM. Any pthread may call it.
 */
int usk_io_device_register(void *io_device, usk_io_channel_create_fn create,
			   usk_io_channel_destroy_fn destroy, uint32_t ctx_size, const char *name);

/**
 * Unregister an I/O device: no new channel can be got; @p done(@p io_device)
 * runs on the current thread once the last channel is released and every
 * walk over its channels (usk_io_channel_for_each()) has completed (the
 * thread does not exit before that, even when asked to).
 *
 * @return 0; -ENOENT when not registered; -EBUSY when already being
 *         unregistered; -EINVAL when not called on a thread.
 */
int usk_io_device_unregister(void *io_device, void (*done)(void *io_device));

/**
 * Get the current thread's channel for @p io_device, creating it on first
 * use; every get takes a reference.
 *
 * @return the channel, or NULL when not called on a thread, when the
 *         device is not registered or is being unregistered, or when
 *         its create function failed.
 */
struct usk_io_channel *usk_io_channel_get(void *io_device);

/**
 * Drop a reference to a channel, on the thread that got it. After the last
 * one, the channel is destroyed when the thread is next polled (unless it
 * is got again before).
 */
void usk_io_channel_put(struct usk_io_channel *ch);

/** @return the channel's context (the create function filled it in). */
void *usk_io_channel_get_ctx(struct usk_io_channel *ch);

/** @return the thread that owns the channel. */
struct usk_thread *usk_io_channel_get_thread(struct usk_io_channel *ch);

/** @return the channel's device. */
void *usk_io_channel_get_io_device(struct usk_io_channel *ch);

/** One I/O channel's identity, for usk_thread_for_each_io_channel(). */
struct usk_io_channel_info {
	const char *name; /**< its device's name, as registered */
	uint32_t ref;	  /**< gets not yet put (0 while its destruction is pending) */
};

/**
 * Call @p fn for every I/O channel of the current thread, in the order they
 * were first got. A read-only look, for statistics: @p fn must not get or
 * put channels, nor register or unregister devices (a lock is held).
 * Nothing happens when not called on a thread.
 */
void usk_thread_for_each_io_channel(void (*fn)(const struct usk_io_channel_info *info, void *ctx),
				    void *ctx);

/**
 * Visit every thread's channel for @p io_device, one thread after another:
 * @p fn runs on each channel's thread and must call
 * usk_io_channel_iter_continue() (then or later, on that thread). Then
 * @p cpl runs on the calling thread with the first non-zero status a visit
 * gave (which ends the walk early), or 0.
 *
 * @return 0; -EINVAL when not called on a thread; -ENOENT when the device
 *         is not registered, or is being unregistered and nothing holds it
 *         any more (its done callback is on its way); -ENOMEM.
 */
int usk_io_channel_for_each(void *io_device, void (*fn)(struct usk_io_channel_iter *iter),
			    void *ctx, void (*cpl)(struct usk_io_channel_iter *iter, int status));

/** Finish a visit of usk_io_channel_for_each(); non-zero ends the walk. */
void usk_io_channel_iter_continue(struct usk_io_channel_iter *iter, int status);

/** @return the channel being visited (NULL in the completion). */
struct usk_io_channel *usk_io_channel_iter_get_channel(struct usk_io_channel_iter *iter);

/** @return the context given to usk_io_channel_for_each(). */
void *usk_io_channel_iter_get_ctx(struct usk_io_channel_iter *iter);

/** @return the device being walked. */
void *usk_io_channel_iter_get_io_device(struct usk_io_channel_iter *iter);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_THREAD_H */
