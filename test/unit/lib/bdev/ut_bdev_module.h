/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What lib/bdev's unit tests share: a test module that holds every I/O until
 * the test completes it, one bdev "ut0" on it, and two threads polled by hand.
 */
#ifndef USK_TEST_UT_BDEV_MODULE_H
#define USK_TEST_UT_BDEV_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "bdev_internal.h"
#include "ut.h"

#define UT_MAX_IOS 64

/* The test module's channel: the I/O it holds, in arrival order. */
struct ut_module_channel {
	struct usk_bdev_io *ios[UT_MAX_IOS];
	int count;
};

/* One opener of ut0 per thread, with what its callbacks saw, for the tests to assert on. */
struct user {
	struct usk_bdev_desc *desc;
	struct usk_io_channel *ch;
	int removes;
	int done;
	int failed;
	int last_sct, last_sc;
	struct usk_bdev_io *last_io;
};

/* The module ut0 sits on; claims name it as their owner. */
extern const struct usk_bdev_module g_ut_module;
/* Per thread, so a test sees which thread each I/O reached the module on. */
extern struct ut_module_channel g_module_channels[2];
/* Two threads, for what crosses threads; g_threads is lib/thread's own, hence the name. */
extern struct usk_thread *g_ut_threads[2];
/* Counts the module's destruct calls: a bdev must be destroyed once, after its last close. */
extern int g_destructs;
/* Makes the module refuse unmap, to reach the layer's unsupported-type check. */
extern bool g_no_unmap;
/* When set, the module hands each I/O to it instead of holding it (to complete it inline, say). */
extern void (*g_ut_submit_hook)(struct usk_bdev_io *io);
/* The bdev under test; setup() registers it afresh for each test. */
extern struct usk_bdev g_bdev;
/* What setup() gives g_bdev before registering it: the layer reads these once, at register. */
struct ut_bdev_shape {
	uint32_t write_unit_size;
	uint32_t optimal_io_boundary;
	uint32_t max_transfer_blocks;
	uint32_t max_num_segments;
};
extern struct ut_bdev_shape g_shape;
/* The opener on each thread; setup() opens g_users[0] for writing on thread 0. */
extern struct user g_users[2];
/* A caller waiting for a bdev_io (usk_bdev_queue_io_wait()), and its turns so far. */
extern struct usk_bdev_io_wait_entry g_wait;
extern int g_waited;
/* g_wait's callback: counts a turn and reads a block as the user @arg. */
void waited_read(void *arg);
/* Unregister completions seen, so a test can tell when the bdev is really gone. */
extern int g_unregistered;
/* A read-only descriptor opened by open_reader(), to test what readers may do. */
extern struct usk_bdev_desc *g_reader;
/* open_reader()'s or a claim's return code, read back on the main thread. */
extern int g_open_rc;
/* A submit's return code on a test thread, read back on the main thread. */
extern int g_check_rc;
/* The data buffer of every I/O; the module never touches it, so one is enough. */
extern char g_buf[64 * 1024];

/* The index of the calling thread, so callbacks pick that thread's user and channel. */
int thread_index(void);
/* Runs fn(ctx) on thread @i and polls both until quiet, so the test sees every effect. */
void on_thread(int i, usk_msg_fn fn, void *ctx);
/* Counts remove events into the user given as ctx; the event callback every open needs. */
void user_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx);
/* On a thread: opens ut0 for that thread's user, for writing when ctx is not NULL. */
void user_open_rw(void *ctx);
/* On a thread: a user leaves, so a test can see what a close or a last close does. */
void user_close(void *ctx);
/* The I/O callback: counts done and failed and keeps the NVMe status into the user. */
void io_done(struct usk_bdev_io *io, bool success, void *cb_arg);
/* On a thread: the module completes all it holds there with the status in ctx. */
void module_complete_all(void *ctx);
/* On a thread: the module completes the oldest I/O it holds there, successfully. */
void module_complete_first(void *ctx);
/* On a thread: unregisters ut0, for teardown and for a hot remove with openers left. */
void unregister_bdev(void *ctx);
/* On a thread: opens the bdev named ctx read-only into g_reader; rc in g_open_rc. */
void open_reader(void *ctx);
/* On a thread: closes g_reader where it was opened, as descriptors must be. */
void close_reader(void *ctx);
/* On a thread: one I/O of every type, to see each counted by the layer or ended by a remove. */
void submit_every_type(void *ctx);
/* Starts a test: registers ut0 and opens it for writing on thread 0. */
void setup(void);
/* Ends a test and checks that ut0 went away cleanly, so the next test starts clean. */
void teardown(void);

/*
 * Sets up the thread library, the bdev layer (32 bdev_io per pool), the test
 * module and both threads, runs @tests (@count entries) in suite @suite, and
 * tears it all down. Returns ut_run()'s status, or 99 when set-up failed.
 */
int ut_bdev_module_run(const char *suite, const struct ut_test *tests, size_t count);

#define UT_BDEV_MODULE_RUN(suite, tests) \
	ut_bdev_module_run(suite, tests, sizeof(tests) / sizeof((tests)[0]))

#endif /* USK_TEST_UT_BDEV_MODULE_H */
