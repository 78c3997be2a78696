/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme, a fio ioengine over USK's polled NVMe driver: each fio job (a
 * thread: thread=1) gets a queue pair on each controller it uses, submits
 * fio's io_us straight from their DMA buffers, and reaps completions in
 * getevents. doc/fio.md has the options and a job file.
 */
#include "config.h"

#include "fio.h"
#include "optgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fio_engine.h"
#include "fio_nvme_ctrlr.h"
#include "fio_nvme_filename.h"
#include "usk/env.h"
#include "usk/nvme.h"

#define ENGINE "usk_nvme"
/* Controllers one job may use: one queue pair each. */
#define NVME_JOB_MAX_QPAIRS 16
/* Idle polls between two looks at the admin queue (timeouts, events). */
#define NVME_ADMIN_POLL_SPINS 65536

/* The engine's own options (fio's 'pad' rule: no option may sit at offset 0). */
struct nvme_engine_opts {
	void *pad;
	unsigned int enable_sgl;
	unsigned int shadow_doorbells;
	unsigned int delay_doorbell;
	unsigned int io_queue_size;
	unsigned int io_timeout_ms;
};

struct nvme_job;

/* One per io_u: what its completion needs, and its trim range in DMA memory. */
struct nvme_slot {
	struct nvme_job *job;
	struct io_u *io_u;
	struct usk_nvme_dsm_range *range;
	uint16_t status; /* the NVMe status of a failed command, for errdetails */
};

/* What an io_u on a fio file is submitted to. */
struct nvme_file {
	struct usk_nvme_ns *ns;
	struct usk_nvme_qpair *qpair;
	uint32_t block_shift;
};

struct nvme_job {
	struct usk_fio_done done;
	/* Here, not in fio's files: fio frees those before the engine's cleanup. */
	struct nvme_file *files;
	uint32_t nfiles;
	struct nvme_slot *slots;
	uint32_t nslots;
	uint32_t slots_used;
	struct usk_nvme_dsm_range *ranges;
	uint32_t nqpairs;
	struct usk_nvme_qpair *qpairs[NVME_JOB_MAX_QPAIRS];
	struct usk_fio_nvme_ctrlr *ctrlrs[NVME_JOB_MAX_QPAIRS];
	bool delay_doorbell;
};

/* The controller and namespace a fio file names; NULL after a line saying why. */
static struct usk_nvme_ns *nvme_file_lookup(struct thread_data *td, struct fio_file *f,
					    struct usk_fio_nvme_ctrlr **ctrlr)
{
	const struct nvme_engine_opts *eo = td->eo;
	struct usk_nvme_ctrlr_opts opts;
	struct usk_pci_addr addr;
	struct usk_nvme_ns *ns;
	const char *why;
	uint32_t nsid;
	char err[256];

	if (usk_fio_nvme_filename_parse(f->file_name, &addr, &nsid, err, sizeof(err)) != 0) {
		log_err(ENGINE ": filename '%s': %s\n", f->file_name, err);
		return NULL;
	}
	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	opts.sgls = eo->enable_sgl != 0;
	opts.shadow_doorbells = eo->shadow_doorbells != 0;
	opts.io_timeout_ms = eo->io_timeout_ms;
	*ctrlr = usk_fio_nvme_ctrlr_get(&addr, &opts, f->file_name);
	if (*ctrlr == NULL) {
		return NULL;
	}
	ns = usk_nvme_ctrlr_get_ns((*ctrlr)->ctrlr, nsid);
	if (ns == NULL) {
		log_err(ENGINE ": '%s': the controller has no active namespace %u\n",
			f->file_name, nsid);
		return NULL;
	}
	why = usk_nvme_ns_get_unsupported_reason(ns);
	if (why == NULL && usk_nvme_ns_get_md_size(ns) != 0) {
		why = "its format has metadata, which fio's buffers do not carry";
	}
	if (why != NULL) {
		log_err(ENGINE ": '%s': namespace %u cannot be used: %s\n", f->file_name, nsid,
			why);
		return NULL;
	}
	return ns;
}

/* fio's main thread, before the jobs start: attach, size the files. */
static int nvme_setup(struct thread_data *td)
{
	struct usk_fio_nvme_ctrlr *ctrlr;
	struct fio_file *f;
	unsigned int i;

	if (usk_fio_check_job(td, ENGINE) != 0) {
		return 1;
	}
	for_each_file(td, f, i) {
		struct usk_nvme_ns *ns = nvme_file_lookup(td, f, &ctrlr);

		if (ns == NULL || usk_fio_check_block_size(td, ENGINE, f->file_name,
							   usk_nvme_ns_get_block_size(ns)) != 0) {
			return 1;
		}
		usk_fio_file_set_size(f, usk_nvme_ns_get_num_blocks(ns) *
						 usk_nvme_ns_get_block_size(ns));
	}
	return 0;
}

/* The job's queue pair on @p ctrlr, created on first use. */
static struct usk_nvme_qpair *nvme_job_qpair(struct thread_data *td, struct nvme_job *job,
					     struct usk_fio_nvme_ctrlr *ctrlr)
{
	const struct nvme_engine_opts *eo = td->eo;
	struct usk_nvme_io_qpair_opts opts;
	int rc;

	for (uint32_t i = 0; i < job->nqpairs; i++) {
		if (job->ctrlrs[i] == ctrlr) {
			return job->qpairs[i];
		}
	}
	if (job->nqpairs == NVME_JOB_MAX_QPAIRS) {
		log_err(ENGINE ": job '%s' uses more than %d controllers\n", td->o.name,
			NVME_JOB_MAX_QPAIRS);
		return NULL;
	}
	usk_nvme_io_qpair_opts_init(&opts, sizeof(opts));
	opts.io_queue_size = eo->io_queue_size;
	/* Every io_u may wait in the queue pair when its ring is smaller than iodepth. */
	opts.io_queue_requests = td->o.iodepth * 2 > 64 ? td->o.iodepth * 2 : 64;
	opts.delay_doorbell = eo->delay_doorbell != 0;
	rc = usk_nvme_ctrlr_alloc_io_qpair(ctrlr->ctrlr, &opts, &job->qpairs[job->nqpairs]);
	if (rc != 0) {
		log_err(ENGINE ": job '%s': no I/O queue pair on %s: %s\n", td->o.name,
			usk_nvme_ctrlr_get_name(ctrlr->ctrlr), strerror(-rc));
		return NULL;
	}
	job->ctrlrs[job->nqpairs] = ctrlr;
	return job->qpairs[job->nqpairs++];
}

static int nvme_job_files_init(struct thread_data *td, struct nvme_job *job)
{
	struct usk_fio_nvme_ctrlr *ctrlr;
	struct fio_file *f;
	unsigned int i;

	for_each_file(td, f, i) {
		struct nvme_file *nf = &job->files[i];

		FILE_SET_ENG_DATA(f, nf);
		nf->ns = nvme_file_lookup(td, f, &ctrlr);
		if (nf->ns == NULL) {
			return 1;
		}
		nf->qpair = nvme_job_qpair(td, job, ctrlr);
		if (nf->qpair == NULL) {
			return 1;
		}
		nf->block_shift = (uint32_t)__builtin_ctz(usk_nvme_ns_get_block_size(nf->ns));
	}
	return 0;
}

static void nvme_cleanup(struct thread_data *td)
{
	struct nvme_job *job = td->io_ops_data;

	if (job == NULL) {
		return;
	}
	for (uint32_t q = 0; q < job->nqpairs; q++) {
		usk_nvme_ctrlr_free_io_qpair(job->qpairs[q]);
	}
	usk_dma_free(job->ranges);
	free(job->slots);
	free(job->files);
	usk_fio_done_fini(&job->done);
	free(job);
	td->io_ops_data = NULL;
}

/* The job's thread: its queue pairs and per-io_u state. */
static int nvme_init(struct thread_data *td)
{
	const struct nvme_engine_opts *eo = td->eo;
	struct nvme_job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		return 1;
	}
	td->io_ops_data = job;
	job->nslots = td->o.iodepth;
	job->delay_doorbell = eo->delay_doorbell != 0;
	job->slots = calloc(job->nslots, sizeof(*job->slots));
	job->nfiles = td->files_index;
	job->files = calloc(job->nfiles, sizeof(*job->files));
	job->ranges = usk_dma_zmalloc(job->nslots * sizeof(*job->ranges), 64, USK_ENV_NUMA_ANY);
	if (job->slots == NULL || job->files == NULL || job->ranges == NULL ||
	    usk_fio_done_init(&job->done, job->nslots) != 0 || nvme_job_files_init(td, job) != 0) {
		nvme_cleanup(td);
		return 1;
	}
	return 0;
}

static int nvme_io_u_init(struct thread_data *td, struct io_u *io_u)
{
	struct nvme_job *job = td->io_ops_data;
	struct nvme_slot *slot;

	if (job->slots_used == job->nslots) {
		log_err(ENGINE ": job '%s' has more io_us than iodepth %u\n", td->o.name,
			job->nslots);
		return 1;
	}
	slot = &job->slots[job->slots_used];
	slot->job = job;
	slot->io_u = io_u;
	slot->range = &job->ranges[job->slots_used++];
	io_u->engine_data = slot;
	return 0;
}

static void nvme_io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_slot *slot = arg;
	uint16_t status = USK_NVME_STATUS_CODE(cpl->status);

	slot->status = status;
	slot->io_u->error = status == 0 ? 0 : EIO;
	usk_fio_done_push(&slot->job->done, slot->io_u);
}

static int nvme_submit(struct nvme_file *nf, struct nvme_slot *slot, struct io_u *io_u)
{
	uint64_t lba = io_u->offset >> nf->block_shift;
	uint32_t blocks = (uint32_t)(io_u->xfer_buflen >> nf->block_shift);

	switch (io_u->ddir) {
	case DDIR_READ:
		return usk_nvme_ns_read(nf->ns, nf->qpair, io_u->xfer_buf, lba, blocks,
					nvme_io_done, slot);
	case DDIR_WRITE:
		return usk_nvme_ns_write(nf->ns, nf->qpair, io_u->xfer_buf, lba, blocks,
					 nvme_io_done, slot);
	case DDIR_TRIM:
		slot->range->lba = lba;
		slot->range->lba_count = blocks;
		slot->range->attributes = 0;
		return usk_nvme_ns_deallocate(nf->ns, nf->qpair, slot->range, 1, nvme_io_done,
					      slot);
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		return usk_nvme_ns_flush(nf->ns, nf->qpair, nvme_io_done, slot);
	default:
		return -ENOTSUP;
	}
}

static enum fio_q_status nvme_queue(struct thread_data *td, struct io_u *io_u)
{
	struct nvme_file *nf = FILE_ENG_DATA(io_u->file);
	struct nvme_slot *slot = io_u->engine_data;
	int rc;

	if (usk_fio_io_u_misaligned(io_u, nf->block_shift)) {
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	slot->status = 0;
	rc = nvme_submit(nf, slot, io_u);
	if (rc == 0) {
		return FIO_Q_QUEUED;
	}
	if (rc == -EAGAIN) {
		return FIO_Q_BUSY;
	}
	io_u->error = -rc;
	return FIO_Q_COMPLETED;
}

static int nvme_commit(struct thread_data *td)
{
	struct nvme_job *job = td->io_ops_data;

	if (job->delay_doorbell) {
		for (uint32_t q = 0; q < job->nqpairs; q++) {
			usk_nvme_qpair_flush(job->qpairs[q]);
		}
	}
	return 0;
}

/*
 * usk_fio_getevents()'s poll: every queue pair once, and the admin queues
 * (timeouts, events) after each NVME_ADMIN_POLL_SPINS idle polls. A
 * negative errno when a controller failed: it completes what it had, and
 * nothing more will come.
 */
static int nvme_poll_qpairs(void *arg, uint64_t idle_polls)
{
	struct nvme_job *job = arg;
	int failed = 0;

	if (idle_polls != 0 && idle_polls % NVME_ADMIN_POLL_SPINS == 0) {
		for (uint32_t q = 0; q < job->nqpairs; q++) {
			usk_fio_nvme_ctrlr_poll_admin(job->ctrlrs[q]);
		}
	}
	for (uint32_t q = 0; q < job->nqpairs; q++) {
		int rc = usk_nvme_qpair_process_completions(job->qpairs[q], 0);

		if (rc < 0) {
			failed = rc;
		}
	}
	return failed;
}

static int nvme_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			  const struct timespec *t)
{
	struct nvme_job *job = td->io_ops_data;

	return usk_fio_getevents(&job->done, min, max, t, nvme_poll_qpairs, job);
}

static struct io_u *nvme_event(struct thread_data *td, int i)
{
	struct nvme_job *job = td->io_ops_data;

	return usk_fio_done_event(&job->done, i);
}

/* fio prints this beside a failed io_u: the NVMe status, not just EIO. */
static char *nvme_errdetails(struct io_u *io_u)
{
	struct nvme_slot *slot = io_u->engine_data;

	if (slot == NULL || slot->status == 0) {
		return NULL;
	}
	return strdup(usk_nvme_status_string(slot->status));
}

static struct fio_option g_nvme_options[] = {
	{
		.name = "enable_sgl",
		.lname = "Hardware SGLs",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct nvme_engine_opts, enable_sgl),
		.def = "1",
		.help = "SGLs for data when the controller has them (0: PRPs always)",
		USK_FIO_ENGINE_OPTION,
	},
	{
		.name = "shadow_doorbells",
		.lname = "Shadow doorbells",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct nvme_engine_opts, shadow_doorbells),
		.def = "1",
		.help = "Doorbell Buffer Config when the controller has it (0: MMIO doorbells)",
		USK_FIO_ENGINE_OPTION,
	},
	{
		.name = "delay_doorbell",
		.lname = "Delay the SQ doorbell",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct nvme_engine_opts, delay_doorbell),
		.def = "0",
		.help = "Ring the submission doorbell once per fio batch (commit), not per I/O",
		USK_FIO_ENGINE_OPTION,
	},
	{
		.name = "io_queue_size",
		.lname = "I/O queue entries",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct nvme_engine_opts, io_queue_size),
		.def = "0",
		.help = "Entries of each job's queue pair (0: the driver's default, 256)",
		USK_FIO_ENGINE_OPTION,
	},
	{
		.name = "io_timeout_ms",
		.lname = "I/O timeout",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct nvme_engine_opts, io_timeout_ms),
		.def = "30000",
		.help = "Milliseconds before a command is aborted, then the controller reset (0: none)",
		USK_FIO_ENGINE_OPTION,
	},
	{.name = NULL},
};

/* fio finds an external engine by this symbol's name; the only one exported. */
__attribute__((visibility("default"))) struct ioengine_ops ioengine = {
	USK_FIO_ENGINE_OPS(ENGINE, struct nvme_engine_opts, g_nvme_options),
	.setup = nvme_setup,
	.init = nvme_init,
	.queue = nvme_queue,
	.commit = nvme_commit,
	.getevents = nvme_getevents,
	.event = nvme_event,
	.errdetails = nvme_errdetails,
	.cleanup = nvme_cleanup,
	.io_u_init = nvme_io_u_init,
};
