/* SPDX-License-Identifier: BSD-3-Clause */
/* Waiting for completions in tests: bounded by time, not by a spin count. */
#include "config.h"

#include <sched.h>
#include <time.h>

#include "nvme_model.h"
#include "usk/nvme.h"

int nvme_model_poll_until(struct usk_nvme_qpair *qpair, const int *counter, int want,
			  unsigned int seconds)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (*(const volatile int *)counter < want) {
		if (usk_nvme_qpair_process_completions(qpair, 0) == 0) {
			sched_yield();
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > (time_t)seconds) {
			break;
		}
	}
	return *counter;
}
