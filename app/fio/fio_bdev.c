/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_bdev, a fio ioengine over USK's bdevs: the bdevs come from a JSON
 * config (usk_json_conf=, the config usk_tgt and usk_bdevperf read), which
 * the app framework loads once per fio process. Each fio job (a thread:
 * thread=1) runs a usk_thread of its own on fio's pthread: queue() puts
 * io_us aside, that thread's poller submits them, and getevents polls the
 * thread, so completions arrive where they were submitted. doc/fio.md has
 * the options and a job file.
 */
#include "config.h"

#include "fio.h"
#include "optgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fio_bdev_app.h"
#include "fio_engine.h"
#include "usk/bdev.h"

#define ENGINE "usk_bdev"

/* The engine's own options (fio's 'pad' rule: no option may sit at offset 0). */
struct bdev_engine_opts {
	void *pad;
	char *json_conf;
	char *cpumask;
};

/* What an io_u on a fio file is submitted to. */
struct bdev_file {
	struct usk_bdev_desc *desc;
	struct usk_io_channel *ch;
	uint32_t block_shift;
};

struct bdev_job {
	struct thread_data *td;
	/* Here, not in fio's files: fio frees those before the engine's cleanup. */
	struct bdev_file *files;
	uint32_t nfiles;
	struct usk_thread *thread;
	struct usk_poller *submitter;
	struct usk_fio_done done;
	/* io_us queue() put aside, for the thread's poller to submit in order. */
	struct io_u **pending;
	uint32_t npending;
	bool call_done;
	int call_rc;
};

/* A bdev's size, looked up on the app thread for fio's main thread. */
struct bdev_lookup {
	const char *name;
	bool found;
	uint32_t block_size;
	uint64_t num_blocks;
};

static void bdev_lookup_msg(void *arg)
{
	struct bdev_lookup *l = arg;
	struct usk_bdev *bdev = usk_bdev_get_by_name(l->name);

	l->found = bdev != NULL;
	if (bdev != NULL) {
		l->block_size = usk_bdev_get_block_size(bdev);
		l->num_blocks = usk_bdev_get_num_blocks(bdev);
	}
}

static int bdev_check_conf(struct thread_data *td, const struct bdev_engine_opts *eo)
{
	if (eo->json_conf == NULL || eo->json_conf[0] == '\0') {
		log_err(ENGINE ": job '%s' needs usk_json_conf=FILE, the JSON config that "
			"creates its bdevs (doc/fio.md)\n",
			td->o.name);
		return 1;
	}
	if (access(eo->json_conf, R_OK) != 0) {
		log_err(ENGINE ": usk_json_conf '%s': %s\n", eo->json_conf, strerror(errno));
		return 1;
	}
	return 0;
}

/* fio's main thread, before the jobs start: the app framework, the files' sizes. */
static int bdev_setup(struct thread_data *td)
{
	const struct bdev_engine_opts *eo = td->eo;
	struct fio_file *f;
	unsigned int i;

	if (usk_fio_check_job(td, ENGINE) != 0 || bdev_check_conf(td, eo) != 0 ||
	    usk_fio_bdev_app_start(eo->json_conf, eo->cpumask) != 0) {
		return 1;
	}
	for_each_file(td, f, i) {
		struct bdev_lookup l = {.name = f->file_name};

		if (usk_fio_bdev_app_call(bdev_lookup_msg, &l) != 0) {
			return 1;
		}
		if (!l.found) {
			log_err(ENGINE ": no bdev '%s' in '%s': filename= takes a bdev's name\n",
				f->file_name, eo->json_conf);
			return 1;
		}
		if (usk_fio_check_block_size(td, ENGINE, f->file_name, l.block_size) != 0) {
			return 1;
		}
		usk_fio_file_set_size(f, l.num_blocks * l.block_size);
	}
	return 0;
}

/* Runs @p fn on the job's thread, polling it from this pthread until done. */
static int bdev_job_call(struct bdev_job *job, usk_msg_fn fn)
{
	job->call_done = false;
	job->call_rc = usk_thread_send_msg(job->thread, fn, job);
	if (job->call_rc != 0) {
		return job->call_rc;
	}
	while (!job->call_done) {
		usk_thread_poll(job->thread, 0, 0);
	}
	return job->call_rc;
}

static void bdev_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	log_info(ENGINE ": bdev '%s' is going away: the job's I/O to it will fail\n",
		 usk_bdev_get_name(bdev));
}

static void bdev_io_done(struct usk_bdev_io *io, bool success, void *cb_arg)
{
	struct io_u *io_u = cb_arg;
	struct bdev_job *job = io_u->engine_data;

	usk_bdev_free_io(io);
	io_u->error = success ? 0 : EIO;
	usk_fio_done_push(&job->done, io_u);
}

static int bdev_submit(struct bdev_file *bf, struct io_u *io_u)
{
	uint64_t lba = io_u->offset >> bf->block_shift;
	uint64_t blocks = io_u->xfer_buflen >> bf->block_shift;

	switch (io_u->ddir) {
	case DDIR_READ:
		return usk_bdev_read_blocks(bf->desc, bf->ch, io_u->xfer_buf, lba, blocks,
					    bdev_io_done, io_u);
	case DDIR_WRITE:
		return usk_bdev_write_blocks(bf->desc, bf->ch, io_u->xfer_buf, lba, blocks,
					     bdev_io_done, io_u);
	case DDIR_TRIM:
		return usk_bdev_unmap_blocks(bf->desc, bf->ch, lba, blocks, bdev_io_done, io_u);
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		return usk_bdev_flush_blocks(bf->desc, bf->ch, 0,
					     usk_bdev_get_num_blocks(usk_bdev_desc_get_bdev(bf->desc)),
					     bdev_io_done, io_u);
	default:
		return -ENOTSUP;
	}
}

/* The job thread's poller: submits what queue() put aside, in order. */
static int bdev_submit_pending(void *arg)
{
	struct bdev_job *job = arg;
	uint32_t i;

	if (job->npending == 0) {
		return USK_POLLER_IDLE;
	}
	for (i = 0; i < job->npending; i++) {
		struct io_u *io_u = job->pending[i];
		int rc = bdev_submit(FILE_ENG_DATA(io_u->file), io_u);

		/* No bdev_io free: the rest waits for this poll's completions. */
		if (rc == -ENOMEM) {
			break;
		}
		if (rc != 0) {
			io_u->error = -rc;
			usk_fio_done_push(&job->done, io_u);
		}
	}
	if (i != 0 && i < job->npending) {
		memmove(job->pending, job->pending + i, (job->npending - i) * sizeof(*job->pending));
	}
	job->npending -= i;
	return USK_POLLER_BUSY;
}

static int bdev_file_open(struct bdev_job *job, struct fio_file *f, struct bdev_file *bf)
{
	struct thread_data *td = job->td;
	bool write = td_write(td) || td_trim(td);
	int rc;

	FILE_SET_ENG_DATA(f, bf);
	rc = usk_bdev_open(f->file_name, write, bdev_event, job, &bf->desc);
	if (rc != 0) {
		log_err(ENGINE ": job '%s': cannot open bdev '%s': %s\n", td->o.name,
			f->file_name, strerror(-rc));
		return rc;
	}
	bf->ch = usk_bdev_get_io_channel(bf->desc);
	if (bf->ch == NULL) {
		log_err(ENGINE ": job '%s': no I/O channel for bdev '%s'\n", td->o.name,
			f->file_name);
		return -ENOMEM;
	}
	bf->block_shift = (uint32_t)__builtin_ctz(
		usk_bdev_get_block_size(usk_bdev_desc_get_bdev(bf->desc)));
	return 0;
}

/* On the job's thread: open every file's bdev, start the submitting poller. */
static void bdev_job_open_msg(void *arg)
{
	struct bdev_job *job = arg;
	struct fio_file *f;
	unsigned int i;

	job->call_rc = 0;
	for_each_file(job->td, f, i) {
		job->call_rc = bdev_file_open(job, f, &job->files[i]);
		if (job->call_rc != 0) {
			break;
		}
	}
	if (job->call_rc == 0) {
		job->submitter = usk_poller_register(bdev_submit_pending, job, 0, "fio_submit");
		job->call_rc = job->submitter == NULL ? -ENOMEM : 0;
	}
	job->call_done = true;
}

/* On the job's thread: release everything the open took, then exit. */
static void bdev_job_close_msg(void *arg)
{
	struct bdev_job *job = arg;

	usk_poller_unregister(&job->submitter);
	for (uint32_t i = 0; i < job->nfiles; i++) {
		struct bdev_file *bf = &job->files[i];

		if (bf->ch != NULL) {
			usk_io_channel_put(bf->ch);
		}
		if (bf->desc != NULL) {
			usk_bdev_close(bf->desc);
		}
	}
	usk_thread_exit(usk_thread_get_current());
	job->call_done = true;
}

static void bdev_cleanup(struct thread_data *td)
{
	struct bdev_job *job = td->io_ops_data;

	if (job == NULL) {
		return;
	}
	if (job->thread != NULL) {
		bdev_job_call(job, bdev_job_close_msg);
		while (!usk_thread_is_exited(job->thread)) {
			usk_thread_poll(job->thread, 0, 0);
		}
		usk_thread_destroy(job->thread);
	}
	usk_fio_done_fini(&job->done);
	free(job->pending);
	free(job->files);
	free(job);
	td->io_ops_data = NULL;
}

/* The job's pthread: its usk_thread, its bdevs and channels. */
static int bdev_init(struct thread_data *td)
{
	struct bdev_job *job = calloc(1, sizeof(*job));

	if (job == NULL) {
		return 1;
	}
	td->io_ops_data = job;
	job->td = td;
	job->nfiles = td->files_index;
	job->files = calloc(job->nfiles, sizeof(*job->files));
	job->pending = calloc(td->o.iodepth, sizeof(*job->pending));
	if (job->files == NULL || job->pending == NULL ||
	    usk_fio_done_init(&job->done, td->o.iodepth) != 0) {
		bdev_cleanup(td);
		return 1;
	}
	job->thread = usk_thread_create(td->o.name, USK_THREAD_CORE_NONE);
	if (job->thread == NULL || bdev_job_call(job, bdev_job_open_msg) != 0) {
		bdev_cleanup(td);
		return 1;
	}
	return 0;
}

static int bdev_io_u_init(struct thread_data *td, struct io_u *io_u)
{
	io_u->engine_data = td->io_ops_data;
	return 0;
}

static enum fio_q_status bdev_queue(struct thread_data *td, struct io_u *io_u)
{
	struct bdev_job *job = td->io_ops_data;
	struct bdev_file *bf = FILE_ENG_DATA(io_u->file);

	if (usk_fio_io_u_misaligned(io_u, bf->block_shift)) {
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	job->pending[job->npending++] = io_u;
	return FIO_Q_QUEUED;
}

/*
 * One poll of the job's thread sends what queue() put aside. fio commits
 * before each getevents too: io_us it took since then may complete again
 * in this poll, so their old entries go first.
 */
static int bdev_commit(struct thread_data *td)
{
	struct bdev_job *job = td->io_ops_data;

	usk_fio_done_drop_returned(&job->done);
	usk_thread_poll(job->thread, 0, 0);
	return 0;
}

/* usk_fio_getevents()'s poll: one poll of the job's thread. */
static int bdev_poll(void *arg, uint64_t idle_polls)
{
	struct bdev_job *job = arg;

	usk_thread_poll(job->thread, 0, 0);
	return 0;
}

static int bdev_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			  const struct timespec *t)
{
	struct bdev_job *job = td->io_ops_data;

	return usk_fio_getevents(&job->done, min, max, t, bdev_poll, job);
}

static struct io_u *bdev_event_io_u(struct thread_data *td, int i)
{
	struct bdev_job *job = td->io_ops_data;

	return usk_fio_done_event(&job->done, i);
}

static struct fio_option g_bdev_options[] = {
	{
		.name = "usk_json_conf",
		.lname = "USK JSON config",
		.type = FIO_OPT_STR_STORE,
		.off1 = offsetof(struct bdev_engine_opts, json_conf),
		.help = "The JSON config that creates the bdevs (usk_tgt's and usk_bdevperf's)",
		USK_FIO_ENGINE_OPTION,
	},
	{
		.name = "usk_cpumask",
		.lname = "USK reactor cores",
		.type = FIO_OPT_STR_STORE,
		.off1 = offsetof(struct bdev_engine_opts, cpumask),
		.def = "0x1",
		.help = "Cores of USK's reactors, which run the bdevs' own pollers (default 0x1)",
		USK_FIO_ENGINE_OPTION,
	},
	{.name = NULL},
};

/* fio finds an external engine by this symbol's name; the only one exported. */
__attribute__((visibility("default"))) struct ioengine_ops ioengine = {
	USK_FIO_ENGINE_OPS(ENGINE, struct bdev_engine_opts, g_bdev_options),
	.setup = bdev_setup,
	.init = bdev_init,
	.queue = bdev_queue,
	.commit = bdev_commit,
	.getevents = bdev_getevents,
	.event = bdev_event_io_u,
	.cleanup = bdev_cleanup,
	.io_u_init = bdev_io_u_init,
};
