/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "perf_wait.h"
#include "usk/ticks.h"
#include "usk/util.h"

void perf_wait_init(struct perf_wait *wait, const struct perf_opts *opts)
{
	*wait = (struct perf_wait){
		.mode = opts->wait_mode,
		.paced = opts->rate != 0,
	};
	usk_idle_spell_init(&wait->spell, usk_us_to_ticks(USK_IDLE_SPELL_MIN_US),
			    usk_us_to_ticks(PERF_ADAPTIVE_MAX_SPELL_US),
			    usk_us_to_ticks(USK_IDLE_SPELL_FIRST_US));
}

/* Disarms the first @armed workers' queue pairs. */
static void perf_disarm(struct perf_ns_worker *workers, uint32_t armed)
{
	for (uint32_t i = 0; i < armed; i++) {
		workers[i].ops->disarm(workers[i].qpair);
	}
}

/* Adds @fd to @fds unless there already (queue pairs may share a vector). */
static nfds_t perf_add_fd(struct pollfd *fds, nfds_t n, int fd)
{
	for (nfds_t i = 0; i < n; i++) {
		if (fds[i].fd == fd) {
			return n;
		}
	}
	fds[n] = (struct pollfd){.fd = fd, .events = POLLIN};
	return n + 1;
}

/* Sleeps in ppoll() on @fds until one signals or @until (ticks) comes, PERF_MAX_SLEEP_US at most.
 */
static void perf_ppoll(struct perf_wait *wait, struct pollfd *fds, nfds_t n, uint64_t now,
		       uint64_t until)
{
	uint64_t left_us = until > now ? (until - now) * 1000000 / usk_ticks_hz() : 0;
	struct timespec timeout = {0, 0};

	left_us = USK_MIN(left_us, (uint64_t)PERF_MAX_SLEEP_US);
	timeout.tv_sec = (time_t)(left_us / 1000000);
	timeout.tv_nsec = (long)(left_us % 1000000) * 1000;
	wait->sleeps++;
	ppoll(fds, n, &timeout, NULL);
}

/*
 * Arms every queue pair and sleeps on their eventfds until one signals or
 * @until (ticks) comes; then disarms them all. Does not sleep when an arm
 * finds work there or cannot arm (no interrupts: the worker keeps polling).
 */
static void perf_sleep(struct perf_wait *wait, struct perf_ns_worker *workers, uint32_t count,
		       uint64_t now, uint64_t until)
{
	struct pollfd fds[64];
	nfds_t n = 0;
	uint32_t armed = 0;
	uint64_t cpu_start = wait->mode == PERF_WAIT_ADAPTIVE ? usk_cpu_time_ns() : 0;

	for (; armed < count && armed < 64; armed++) {
		struct perf_ns_worker *w = &workers[armed];
		int fd = w->ops->interrupt_fd != NULL ? w->ops->interrupt_fd(w->qpair) : -ENOTSUP;

		if (fd < 0 || w->ops->arm(w->qpair) != 0) {
			wait->arm_busy++;
			perf_disarm(workers, armed + (fd >= 0));
			return;
		}
		n = perf_add_fd(fds, n, fd);
	}
	perf_ppoll(wait, fds, n, now, until);
	perf_disarm(workers, armed);
	if (wait->mode == PERF_WAIT_ADAPTIVE) {
		usk_idle_spell_add_sleep(&wait->spell,
					 usk_ns_to_ticks(usk_cpu_time_ns() - cpu_start));
	}
}

static bool perf_nothing_in_flight(const struct perf_ns_worker *workers, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		if (workers[i].in_flight != 0) {
			return false;
		}
	}
	return true;
}

uint32_t perf_wait_turn(struct perf_wait *wait, struct perf_ns_worker *workers, uint32_t count,
			uint64_t deadline)
{
	uint64_t next_due = UINT64_MAX;
	uint64_t quiet = 0;
	uint32_t found = 0;
	uint64_t now, until;

	for (uint32_t i = 0; i < count; i++) {
		int n = perf_ns_worker_poll(&workers[i]);

		found += n > 0 ? (uint32_t)n : 0;
	}
	if (!wait->paced && (wait->mode == PERF_WAIT_POLL || found > 0)) {
		wait->idle_since = 0;
		return found;
	}
	now = usk_ticks();
	for (uint32_t i = 0; wait->paced && i < count; i++) {
		next_due = USK_MIN(next_due, perf_ns_worker_pace(&workers[i], now));
	}
	if (wait->mode == PERF_WAIT_POLL || found > 0) {
		wait->idle_since = 0;
		return found;
	}
	if (wait->idle_since == 0) {
		wait->idle_since = now;
	}
	until = USK_MIN(next_due, deadline);
	if (perf_nothing_in_flight(workers, count)) {
		/* Only the worker's own next submission (or the deadline) can end this quiet. */
		quiet = until > now ? until - now : 0;
	}
	if (wait->mode == PERF_WAIT_ADAPTIVE &&
	    !usk_idle_spell_over(&wait->spell, now - wait->idle_since, quiet)) {
		return found;
	}
	if (quiet > 0) {
		perf_ppoll(wait, NULL, 0, now, until);
	} else {
		perf_sleep(wait, workers, count, now, until);
	}
	wait->idle_since = 0;
	return found;
}
