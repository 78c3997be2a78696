/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per 4 KiB read through usk_nvme_perf's engine, against the
 * NVMe controller model (test/common/nvme_model) in this process, for
 * bench/nvme_cost.sh to count under callgrind: unlike a time, the count is
 * the same on a busy machine and a quiet one.
 *
 * Queue depth 1. Each round waits, outside what is counted, until the
 * model has posted the read's completion; then one perf_ns_worker_poll()
 * (the function callgrind counts) reaps exactly that read and, from its
 * callback, starts the next. No empty poll is counted, so the figure is
 * the path's own cost, not the model's speed.
 *
 * Usage: nvme_cost [READS [prp|sgl]]   (default 20000, prp)
 *
 * sgl: the model offers SGLs, as QEMU's device does, and the driver
 * describes the data by SGL (its default where the controller has them).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_model.h"
#include "perf_engine.h"
#include "perf_nvme.h"
#include "usk/env.h"
#include "usk/log.h"

#define COST_BLOCK_SHIFT 12
#define COST_NS_BLOCKS	 4096 /* 16 MiB: random reads spread over many PRP pages */

/*
 * The model as the VM lab's QEMU device looks to the driver: 4 KiB blocks,
 * shadow doorbells, and SGLs when @sgls.
 */
static int cost_model_up(struct nvme_model_fixture *f, bool sgls)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_blocks[0] = COST_NS_BLOCKS;
	mo.ns_block_shift[0] = COST_BLOCK_SHIFT;
	mo.dbbuf = true;
	mo.sgls = sgls;
	return nvme_model_fixture_up(f, &mo, NULL, 0);
}

/* usk_nvme_perf -q 1 -o 4096 -w randread, as its option parser would set it. */
static void cost_perf_opts(struct perf_opts *o)
{
	*o = (struct perf_opts){
		.queue_depth = 1,
		.io_size = 4096,
		.pattern = PERF_RANDOM,
		.read_percent = 100,
		.io_align = 4096,
	};
}

static int cost_run(struct nvme_model_fixture *f, uint64_t reads)
{
	struct perf_nvme_qpair q = {.ns = f->ns, .qpair = f->q};
	void *buffers[1] = {f->buf};
	struct perf_ns_worker_params p = {
		.ops = &g_perf_nvme_ops,
		.qpair = &q,
		.buffers = buffers,
		.ns_blocks = usk_nvme_ns_get_num_blocks(f->ns),
		.block_size = usk_nvme_ns_get_block_size(f->ns),
		.worker_count = 1,
		.seed = 1,
	};
	/* Static: the queue pair's free, after this returns, ends the last read through them. */
	static struct usk_histogram latency;
	static struct perf_ns_worker w;
	static struct perf_task task;
	struct perf_opts o;
	uint64_t done = nvme_model_io_completed(f->model);

	cost_perf_opts(&o);
	if (perf_ns_worker_init(&w, &o, &p, &task, &latency) != 0 ||
	    perf_ns_worker_start(&w) != 0) {
		return -1;
	}
	for (uint64_t i = 1; i <= reads; i++) {
		if (!nvme_model_wait_io_completed(f->model, done + i) ||
		    perf_ns_worker_poll(&w) != 1) {
			return -1;
		}
	}
	/* The read still in flight ends when the queue pair is freed, uncounted. */
	perf_ns_worker_stop(&w);
	printf("nvme_cost: %llu 4 KiB random reads at queue depth 1 measured with %s, %llu "
	       "errors\n",
	       (unsigned long long)reads, usk_nvme_ctrlr_uses_sgls(f->c) ? "sgl" : "prp",
	       (unsigned long long)w.result.errors);
	return w.result.errors == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t reads = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000;
	const char *pointers = argc > 2 ? argv[2] : "prp";
	bool sgls = strcmp(pointers, "sgl") == 0;
	struct nvme_model_fixture f;
	int rc;

	if (reads == 0 || (!sgls && strcmp(pointers, "prp") != 0)) {
		fprintf(stderr, "usage: nvme_cost [READS [prp|sgl]]\n");
		return 2;
	}
	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0 || cost_model_up(&f, sgls) != 0) {
		fprintf(stderr, "nvme_cost: the controller model did not come up\n");
		return 2;
	}
	rc = cost_run(&f, reads);
	nvme_model_fixture_down(&f);
	usk_env_fini();
	return rc == 0 ? 0 : 1;
}
