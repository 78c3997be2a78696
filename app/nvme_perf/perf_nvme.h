/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme_perf on USK's NVMe driver: finding controllers, and the queue-pair ops. */
#ifndef USK_PERF_NVME_H
#define USK_PERF_NVME_H

#include <stdio.h>

#include "perf_engine.h"
#include "perf_opts.h"
#include "usk/nvme.h"

#define PERF_MAX_CTRLRS	 16
#define PERF_MAX_TARGETS 64

/* A namespace to drive, and its name in the tables. */
struct perf_target {
	struct usk_nvme_ctrlr *ctrlr;
	struct usk_nvme_ns *ns;
	char name[64];
};

/* The queue pair a worker drives one namespace through. */
struct perf_nvme_qpair {
	struct usk_nvme_ns *ns;
	struct usk_nvme_qpair *qpair;
};

extern const struct perf_qpair_ops g_perf_nvme_ops;

/*
 * Attaches the controllers -r names, or every one bound to vfio-pci, and
 * lists the namespaces to drive (-n, or all active ones) in @targets.
 * Returns the number of targets, or -EINVAL after telling @err what is
 * wrong and how to fix it (the caller exits 2).
 */
int perf_nvme_attach(const struct perf_opts *opts, struct usk_nvme_ctrlr **ctrlrs, int *nctrlrs,
		     struct perf_target *targets, FILE *err);

/*
 * Prints @q's counters (usk_nvme_qpair_get_stats) under @name, and its
 * doorbell writes per completion: the device work behind the run's I/Os,
 * over the whole run (warm-up and drain included). Call it on the thread
 * that drove @q, or after that thread was joined.
 */
void perf_nvme_print_stats(FILE *out, const char *name, const struct perf_nvme_qpair *q);

/* Fills @qo for a worker's queue pair on @ctrlr: room for -q I/Os of -o bytes, the wait mode. */
void perf_nvme_qpair_opts(const struct perf_opts *o, const struct usk_nvme_ctrlr *ctrlr,
			  struct usk_nvme_io_qpair_opts *qo);

/* Detaches what perf_nvme_attach() attached. */
void perf_nvme_detach(struct usk_nvme_ctrlr **ctrlrs, int nctrlrs);

#endif /* USK_PERF_NVME_H */
