/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What USK's two fio engines share: the checks that the fio loading them is
 * the one they were built for, io_u buffers in USK's DMA memory, the part
 * of the engine table they fill alike, and getevents' wait for completions.
 * Included after fio's own headers (fio.h, optgroup.h).
 */
#ifndef USK_FIO_ENGINE_H
#define USK_FIO_ENGINE_H

/*
 * What both engines tell fio: raw block I/O to a device fio cannot stat
 * or extend (the engine's setup sizes the files), with aligned buffers.
 */
#define USK_FIO_ENGINE_FLAGS \
	(FIO_RAWIO | FIO_NOEXTEND | FIO_NODISKUTIL | FIO_MEMALIGN | FIO_DISKLESSIO)

/*
 * The part of an engine's struct ioengine_ops that both engines fill the
 * same way: its @p name, fio's interface version, the flags above, the
 * file, memory and io_u_free hooks below, and its options (@p opts_struct,
 * the engine's option struct; @p options, its fio_option table). The
 * engine adds its own setup, init, queue, commit, getevents, event,
 * cleanup and io_u_init hooks.
 */
#define USK_FIO_ENGINE_OPS(engine_name, opts_struct, option_table)                          \
	.name = (engine_name), .version = FIO_IOOPS_VERSION, .flags = USK_FIO_ENGINE_FLAGS, \
	.open_file = usk_fio_open_file, .close_file = usk_fio_close_file,                   \
	.iomem_alloc = usk_fio_iomem_alloc, .iomem_free = usk_fio_iomem_free,               \
	.io_u_free = usk_fio_io_u_free, .option_struct_size = sizeof(opts_struct),          \
	.options = (option_table)

/* Where an engine's fio_option entries sit in fio's option listing. */
#define USK_FIO_ENGINE_OPTION .category = FIO_OPT_C_ENGINE, .group = FIO_OPT_G_INVALID

/*
 * 0 when @p td may run under engine @p name: fio is the version the
 * engine was built against and runs jobs as threads (thread=1), since
 * USK's DMA memory and devices belong to one process. Otherwise 1, after
 * one line on stderr that says what to do.
 */
int usk_fio_check_job(struct thread_data *td, const char *name);

/* fio's iomem_alloc hook: the job's io_u buffers in DMA memory, so no copy. */
int usk_fio_iomem_alloc(struct thread_data *td, size_t total);

/* fio's iomem_free hook. */
void usk_fio_iomem_free(struct thread_data *td);

/*
 * fio's open_file and close_file hooks: nothing to do, the device is the
 * job's from init to cleanup.
 */
int usk_fio_open_file(struct thread_data *td, struct fio_file *f);
int usk_fio_close_file(struct thread_data *td, struct fio_file *f);

/* fio's io_u_free hook: forgets what io_u_init attached. */
void usk_fio_io_u_free(struct thread_data *td, struct io_u *io_u);

/*
 * 0 when every block size the job may use is a multiple of @p block_size,
 * else 1 after a line naming the option to change.
 */
int usk_fio_check_block_size(struct thread_data *td, const char *name, const char *file,
			     uint32_t block_size);

/*
 * Setup's last word on file @p f: a block device of @p bytes, whose size
 * fio must not look up itself.
 */
void usk_fio_file_set_size(struct fio_file *f, uint64_t bytes);

/*
 * Whether @p io_u cannot go to a device of 2^@p block_shift-byte blocks:
 * a read, write or trim whose offset or length is not a whole number of
 * blocks (usk_fio_check_block_size() keeps fio's own offsets aligned;
 * bsrange's may not be). Syncs carry no range.
 */
static inline bool usk_fio_io_u_misaligned(const struct io_u *io_u, uint32_t block_shift)
{
	uint64_t mask = (1ull << block_shift) - 1;

	return ((io_u->offset | io_u->xfer_buflen) & mask) != 0 && !ddir_sync(io_u->ddir);
}

/*
 * The io_us a job has seen complete and fio has not yet taken with its
 * event hook. getevents may find more than fio asked for (max): those wait
 * here for the next call. Sized for every io_u of the job, so a push never
 * fails.
 */
struct usk_fio_done {
	struct io_u **ios;
	uint32_t count;	   /* io_us in ios[] */
	uint32_t returned; /* the first ones, handed to fio by the last getevents */
	uint32_t cap;
};

/* 0, or 1 when memory is short. */
int usk_fio_done_init(struct usk_fio_done *d, uint32_t cap);
void usk_fio_done_fini(struct usk_fio_done *d);

static inline void usk_fio_done_push(struct usk_fio_done *d, struct io_u *io_u)
{
	d->ios[d->count++] = io_u;
}

/*
 * Before anything may complete again (getevents, and a commit that polls):
 * forget the io_us fio took after the last getevents.
 */
void usk_fio_done_drop_returned(struct usk_fio_done *d);

/* At the end of getevents: hands fio up to @p max; returns how many. */
static inline int usk_fio_done_return(struct usk_fio_done *d, unsigned int max)
{
	d->returned = d->count < max ? d->count : max;
	return (int)d->returned;
}

/* fio's event hook over a completion list. */
static inline struct io_u *usk_fio_done_event(struct usk_fio_done *d, int i)
{
	return d->ios[i];
}

/*
 * One poll of a job's completions, pushing what completed to its done
 * list. @p idle_polls: how many polls of this getevents came before it
 * and left fewer than fio's minimum done. Returns 0, or a negative errno
 * when nothing more will complete (a failed controller).
 */
typedef int (*usk_fio_poll_fn)(void *job, uint64_t idle_polls);

/*
 * fio's getevents hook over @p d: polls @p job with @p poll (at least
 * once, also for @p min 0: fio then reaps what is there) until @p min
 * io_us are done or fio's timeout @p t (NULL: none) has passed. Returns
 * how many of them, up to @p max, fio may take with usk_fio_done_event();
 * a poll's negative errno when it failed with none done.
 */
int usk_fio_getevents(struct usk_fio_done *d, unsigned int min, unsigned int max,
		      const struct timespec *t, usk_fio_poll_fn poll, void *job);

#endif /* USK_FIO_ENGINE_H */
