/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers: waiting for completions by time, and a closed loop of reads. */
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

int nvme_model_loop_submit(struct nvme_model_loop *l)
{
	/* Spread over the first 1024 blocks, one block each. */
	int rc = usk_nvme_ns_read(l->ns, l->q, l->buf, (uint64_t)l->submitted % 1024, 1,
				  nvme_model_loop_done, l);

	l->submitted += rc == 0;
	return rc;
}

void nvme_model_loop_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_model_loop *l = arg;

	l->completed++;
	l->errors += USK_NVME_STATUS_CODE(cpl->status) != 0;
	if (l->submitted < l->target) {
		l->errors += nvme_model_loop_submit(l) != 0;
	}
}
