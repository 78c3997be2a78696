/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's inspection controls: what the host last told it (an SQE, a
 * CQ head) and completions no command asked for, for tests that check the
 * driver's side of the rings.
 */
#include "config.h"

#include <sched.h>
#include <time.h>

#include "nvme_model_internal.h"

void model_note_sqe(struct nvme_model *m, uint16_t qid, const struct usk_nvme_sqe *cmd)
{
	pthread_mutex_lock(&m->fault_lock);
	m->last_sqe[qid] = *cmd;
	pthread_mutex_unlock(&m->fault_lock);
}

void model_inspect_work(struct nvme_model *m)
{
	if (!atomic_load(&m->bogus_requested)) {
		return;
	}
	uint16_t qid = m->bogus_qid;

	/* Only onto a queue the host has: a bogus entry elsewhere would be lost anyway. */
	if (m->sq[qid].live && m->cq[m->sq[qid].cqid].live) {
		model_post(m, &m->sq[qid], qid, m->bogus_cid, 0, 0);
		/* Into the ring now, even from a CQ that holds completions back. */
		model_cq_flush(m, m->sq[qid].cqid);
		atomic_fetch_add(&m->bogus_posted, 1);
	}
	atomic_store(&m->bogus_requested, false);
}

uint32_t nvme_model_cq_head(struct nvme_model *m, uint16_t qid)
{
	return qid < MODEL_QUEUES ? model_cq_doorbell(m, qid) : 0;
}

void nvme_model_last_sqe(struct nvme_model *m, uint16_t qid, struct usk_nvme_sqe *out)
{
	pthread_mutex_lock(&m->fault_lock);
	*out = qid < MODEL_QUEUES ? m->last_sqe[qid] : (struct usk_nvme_sqe){0};
	pthread_mutex_unlock(&m->fault_lock);
}

bool nvme_model_post_bogus(struct nvme_model *m, uint16_t qid, uint16_t cid)
{
	uint64_t posted = atomic_load(&m->bogus_posted);
	struct timespec start, now;

	if (qid >= MODEL_QUEUES) {
		return false;
	}
	m->bogus_qid = qid;
	m->bogus_cid = cid;
	atomic_store(&m->bogus_requested, true);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&m->bogus_requested)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 5) {
			return false;
		}
		sched_yield();
	}
	return atomic_load(&m->bogus_posted) != posted;
}

/* Waits up to 30 s for the model's own thread to bring @counter to @count. */
static bool model_wait_count(_Atomic uint64_t *counter, uint64_t count)
{
	time_t start = time(NULL);

	while (atomic_load(counter) < count) {
		if (time(NULL) - start > 30) {
			return false;
		}
		sched_yield();
	}
	return true;
}

bool nvme_model_wait_io_completed(struct nvme_model *m, uint64_t count)
{
	return model_wait_count(&m->io_completed, count);
}

bool nvme_model_wait_io_cqes_posted(struct nvme_model *m, uint64_t count)
{
	return model_wait_count(&m->io_cqes_posted, count);
}
