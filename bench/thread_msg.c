/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of lib/thread under the app framework: messages per
 * second from one reactor to another, and poller iterations per second on
 * one reactor, each next to the same work done with a pthread mutex and
 * condition variable, the usual way without USK.
 *
 *   thread_msg [-t SECONDS] [-m CORES]
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usk/event.h"
#include "usk/log.h"
#include "usk/ticks.h"
#include "usk_internal/counter.h"

/* Messages a sender keeps in flight, so the rings never fill. */
#define BENCH_IN_FLIGHT 4096
#define BENCH_QUEUE_CAP 4096

static double g_seconds = 2.0;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int core)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(core, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* --- USK: messages from a poller on reactor 0 to a thread on reactor 1. --- */

static struct usk_thread *g_receiver;
static _Atomic uint64_t g_received;
static uint64_t g_sent;
static uint64_t g_poller_runs;
static double g_msg_rate, g_poll_rate;

static void bench_msg(void *ctx)
{
	/* One writer: a plain store, so the figure is the ring's, not a locked add's. */
	usk_counter_add(&g_received, 1);
}

static int bench_send(void *ctx)
{
	uint64_t received = atomic_load_explicit(&g_received, memory_order_relaxed);

	while (g_sent - received < BENCH_IN_FLIGHT &&
	       usk_thread_send_msg(g_receiver, bench_msg, NULL) == 0) {
		g_sent++;
	}
	return USK_POLLER_BUSY;
}

/* A poller that finds nothing to do, as the reference finds its queue empty. */
static int bench_count(void *ctx)
{
	g_poller_runs++;
	return USK_POLLER_IDLE;
}

struct bench_phase {
	struct usk_poller *work;
	struct usk_poller *timer;
	double start;
	int phase;
};

static struct bench_phase g_phase;

/* Ends a measurement after g_seconds, and the app with it. */
static int bench_timer(void *ctx)
{
	double elapsed = now_s() - g_phase.start;

	if (elapsed < g_seconds) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&g_phase.work);
	usk_poller_unregister(&g_phase.timer);
	if (g_phase.phase == 0) {
		g_msg_rate = (double)atomic_load(&g_received) / elapsed;
	} else {
		g_poll_rate = (double)g_poller_runs / elapsed;
	}
	usk_app_stop(0);
	return USK_POLLER_BUSY;
}

static void bench_start(void *ctx)
{
	g_phase.start = now_s();
	if (g_phase.phase == 0) {
		g_receiver = usk_thread_create("receiver",
					       usk_app_get_core(usk_app_get_core_count() - 1));
		g_phase.work = usk_poller_register(bench_send, NULL, 0, "send");
	} else {
		g_phase.work = usk_poller_register(bench_count, NULL, 0, "count");
	}
	g_phase.timer = usk_poller_register(bench_timer, NULL, 10000, "timer");
}

/* --- Reference: a mutex and condition variable around a bounded queue. --- */

struct locked_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	uint32_t len;
	bool stop;
	uint64_t received;
	int core;
};

static void *locked_consumer(void *arg)
{
	struct locked_queue *q = arg;

	pin(q->core);
	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		while (q->len == 0 && !q->stop) {
			pthread_cond_wait(&q->not_empty, &q->lock);
		}
		/* One item at a time, as a message handler takes them. */
		if (q->len > 0) {
			q->len--;
			q->received++;
			pthread_cond_signal(&q->not_full);
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static double locked_queue_rate(int producer_core, int consumer_core)
{
	struct locked_queue q = {.core = consumer_core};
	pthread_t consumer;
	double start, elapsed;

	pthread_mutex_init(&q.lock, NULL);
	pthread_cond_init(&q.not_empty, NULL);
	pthread_cond_init(&q.not_full, NULL);
	pin(producer_core);
	pthread_create(&consumer, NULL, locked_consumer, &q);
	start = now_s();
	do {
		for (int i = 0; i < 1024; i++) {
			pthread_mutex_lock(&q.lock);
			while (q.len == BENCH_QUEUE_CAP) {
				pthread_cond_wait(&q.not_full, &q.lock);
			}
			q.len++;
			pthread_cond_signal(&q.not_empty);
			pthread_mutex_unlock(&q.lock);
		}
		elapsed = now_s() - start;
	} while (elapsed < g_seconds);
	pthread_mutex_lock(&q.lock);
	q.stop = true;
	pthread_cond_signal(&q.not_empty);
	pthread_mutex_unlock(&q.lock);
	pthread_join(consumer, NULL);
	return (double)q.received / elapsed;
}

/* A polling loop without USK: each turn checks a locked queue for work. */
static double locked_poll_rate(int core)
{
	struct locked_queue q = {0};
	uint64_t turns = 0;
	double start = now_s(), elapsed;

	pthread_mutex_init(&q.lock, NULL);
	pin(core);
	do {
		for (int i = 0; i < 4096; i++) {
			pthread_mutex_lock(&q.lock);
			if (q.len > 0) {
				q.len--;
			}
			pthread_mutex_unlock(&q.lock);
			turns++;
		}
		elapsed = now_s() - start;
	} while (elapsed < g_seconds);
	return (double)turns / elapsed;
}

static void print_row(const char *what, double usk, double ref)
{
	printf("%-36s %12.2f M %12.2f M %8.1fx\n", what, usk / 1e6, ref / 1e6, usk / ref);
}

int main(int argc, char **argv)
{
	struct usk_app_opts opts;
	const char *mask = NULL;
	double msg_ref, poll_ref;
	int opt, first, last;
	cpu_set_t allowed;
	char auto_mask[32], one_core[32];

	while ((opt = getopt(argc, argv, "t:m:h")) != -1) {
		if (opt == 't') {
			g_seconds = atof(optarg);
		} else if (opt == 'm') {
			mask = optarg;
		} else {
			fprintf(stderr,
				"usage: %s [-t SECONDS (2)] [-m CORES ([first,last] allowed)]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (first = 0; !CPU_ISSET(first, &allowed); first++) {
	}
	for (last = CPU_SETSIZE - 1; !CPU_ISSET(last, &allowed); last--) {
	}
	snprintf(auto_mask, sizeof(auto_mask), "[%d,%d]", first, last);
	snprintf(one_core, sizeof(one_core), "[%d]", first);
	usk_app_opts_init(&opts, sizeof(opts));
	opts.name = "thread_msg";
	opts.cpumask = mask ? mask : auto_mask;
	opts.rpc_addr = NULL;
	if (usk_app_start(&opts, bench_start, NULL) != 0) {
		return 1;
	}
	/* Alone on its core, as the reference loop will be. */
	g_phase.phase = 1;
	opts.cpumask = one_core;
	if (usk_app_start(&opts, bench_start, NULL) != 0) {
		return 1;
	}
	msg_ref = locked_queue_rate(first, last);
	poll_ref = locked_poll_rate(first);

	printf("USK threads vs a pthread mutex+condvar queue, %.1f s per figure, cores %s\n\n",
	       g_seconds, mask ? mask : auto_mask);
	printf("%-36s %14s %14s %9s\n", "figure", "usk", "mutex+condvar", "ratio");
	print_row("messages/s, one core to another", g_msg_rate, msg_ref);
	print_row("poll iterations/s, one core", g_poll_rate, poll_ref);
	printf("\nMessages: a poller on the first core sends to a thread on the second,\n"
	       "keeping %d in flight; the reference moves items through a mutex-guarded\n"
	       "queue with condition variables between the same two cores.\n"
	       "Poll iterations: one reactor alone on the first core runs a poller that\n"
	       "finds nothing to do; the reference checks a mutex-guarded queue per turn.\n",
	       BENCH_IN_FLIGHT);
	return 0;
}
