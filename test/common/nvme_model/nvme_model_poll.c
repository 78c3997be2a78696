/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers: the usual set-up, waiting for completions by time, a closed loop of reads. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#include "nvme_model.h"
#include "usk/env.h"
#include "usk/nvme.h"

int nvme_model_alloc_qpair(struct usk_nvme_ctrlr *c, uint32_t entries, struct usk_nvme_qpair **q)
{
	struct usk_nvme_io_qpair_opts opts;

	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.io_queue_size = entries;
	return usk_nvme_ctrlr_alloc_io_qpair(c, &opts, q);
}

int nvme_model_fixture_up(struct nvme_model_fixture *f, const struct nvme_model_opts *mo,
			  const struct usk_nvme_ctrlr_opts *co, uint32_t entries)
{
	struct nvme_model_opts defaults;
	int rc;

	*f = (struct nvme_model_fixture){0};
	nvme_model_opts_init(&defaults);
	rc = nvme_model_create(mo != NULL ? mo : &defaults, &f->model);
	if (rc == 0) {
		rc = usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(f->model), co, &f->c);
	}
	if (rc == 0) {
		f->ns = usk_nvme_ctrlr_get_ns(f->c, 1);
		rc = nvme_model_alloc_qpair(f->c, entries, &f->q);
	}
	if (rc == 0) {
		f->buf = usk_dma_zmalloc(256 * 1024, 4096, USK_ENV_NUMA_ANY);
		rc = f->buf != NULL ? 0 : -ENOMEM;
	}
	return rc;
}

int nvme_model_fixture_down(struct nvme_model_fixture *f)
{
	int rc = f->q != NULL ? usk_nvme_ctrlr_free_io_qpair(f->q) : 0;
	int detach_rc = f->c != NULL ? usk_nvme_ctrlr_detach(f->c) : 0;

	if (f->model != NULL) {
		nvme_model_destroy(f->model);
	}
	usk_dma_free(f->buf);
	return rc != 0 ? rc : detach_rc;
}

/* Whether more than @seconds have passed since @start. */
static bool poll_expired(const struct timespec *start, unsigned int seconds)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec > (time_t)seconds;
}

int nvme_model_poll_until(struct usk_nvme_qpair *qpair, const int *counter, int want,
			  unsigned int seconds)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (*(const volatile int *)counter < want) {
		/* The admin poll too: it does the resets I/O timeouts ask for. */
		usk_nvme_ctrlr_process_admin_completions(usk_nvme_qpair_get_ctrlr(qpair));
		if (usk_nvme_qpair_process_completions(qpair, 0) == 0) {
			sched_yield();
		}
		if (poll_expired(&start, seconds)) {
			break;
		}
	}
	return *counter;
}

bool nvme_model_admin_poll_while_busy(struct usk_nvme_ctrlr *ctrlr, unsigned int seconds)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (usk_nvme_ctrlr_admin_busy(ctrlr) && !poll_expired(&start, seconds)) {
		if (usk_nvme_ctrlr_process_admin_completions(ctrlr) < 0) {
			/* Failed: the callbacks ran in that call; nothing more will come. */
			break;
		}
		sched_yield();
	}
	return !usk_nvme_ctrlr_admin_busy(ctrlr) || usk_nvme_ctrlr_is_failed(ctrlr);
}

int nvme_model_loop_poll(struct nvme_model_loop *l, unsigned int seconds)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (l->completed < l->target && !poll_expired(&start, seconds)) {
		int submitted = l->submitted;

		if (usk_nvme_qpair_process_completions(l->q, 0) == 0) {
			sched_yield();
		}
		l->batches += l->submitted != submitted;
	}
	return l->completed;
}

struct usk_nvme_qpair_stats nvme_model_qpair_stats(const struct usk_nvme_qpair *qpair)
{
	struct usk_nvme_qpair_stats stats = {.stats_size = sizeof(stats)};

	usk_nvme_qpair_get_stats(qpair, &stats);
	return stats;
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

static int g_result_order;

void nvme_model_result_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_model_result *r = arg;

	r->calls++;
	r->status = USK_NVME_STATUS_CODE(cpl->status);
	r->order = g_result_order++;
}

void nvme_model_reset_done(void *arg, struct usk_nvme_ctrlr *ctrlr, int rc)
{
	struct nvme_model_reset_result *r = arg;

	r->calls++;
	r->rc = rc;
}

void nvme_model_results_restart(void)
{
	g_result_order = 0;
}

int nvme_model_read_window(struct nvme_model_fixture *f)
{
	struct nvme_model_result r[NVME_MODEL_WINDOW_READS] = {{0}};
	int done = 0;

	for (int i = 0; i < NVME_MODEL_WINDOW_READS; i++) {
		if (usk_nvme_ns_read(f->ns, f->q, f->buf + i * 512, (uint64_t)i, 1,
				     nvme_model_result_done, &r[i]) != 0) {
			return done;
		}
	}
	for (int i = 0; i < NVME_MODEL_WINDOW_READS; i++) {
		done += nvme_model_poll_until(f->q, &r[i].calls, 1, 30);
	}
	return done;
}
