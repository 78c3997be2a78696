/* SPDX-License-Identifier: BSD-3-Clause */
/* The checks, hooks and completion wait both of USK's fio engines use. */
#include "config.h"

#include "fio.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fio_engine.h"
#include "usk/env.h"

/* Idle polls between two looks at the clock, when fio gave a timeout. */
#define USK_FIO_CLOCK_SPINS 1024

/* fio exports its version string to the engines it loads. */
extern const char fio_version_string[];

int usk_fio_check_job(struct thread_data *td, const char *name)
{
	/*
	 * FIO_IOOPS_VERSION, which fio checks itself, changes with the engine
	 * interface only; thread_data and io_u change between releases too.
	 */
	if (strcmp(fio_version_string, USK_FIO_VERSION) != 0) {
		log_err("%s: this engine was built for %s but runs in %s: rebuild USK with "
			"--with-fio pointing at %s's source\n",
			name, USK_FIO_VERSION, fio_version_string, fio_version_string);
		return 1;
	}
	if (!td->o.use_thread) {
		log_err("%s: job '%s' needs thread=1 (--thread): USK's devices and DMA "
			"memory belong to one process, which fio's forked jobs would not share\n",
			name, td->o.name);
		return 1;
	}
	return 0;
}

int usk_fio_iomem_alloc(struct thread_data *td, size_t total)
{
	/* Page-aligned, as O_DIRECT buffers are; fio aligns each io_u within. */
	td->orig_buffer = usk_dma_malloc(total, 4096, USK_ENV_NUMA_ANY);
	if (td->orig_buffer == NULL) {
		log_err("job '%s': cannot allocate %zu bytes of DMA memory for its buffers: "
			"lower iodepth or bs, or reserve hugepages (scripts/setup.sh)\n",
			td->o.name, total);
		return 1;
	}
	return 0;
}

void usk_fio_iomem_free(struct thread_data *td)
{
	usk_dma_free(td->orig_buffer);
	td->orig_buffer = NULL;
}

int usk_fio_open_file(struct thread_data *td, struct fio_file *f)
{
	return 0;
}

int usk_fio_close_file(struct thread_data *td, struct fio_file *f)
{
	return 0;
}

void usk_fio_io_u_free(struct thread_data *td, struct io_u *io_u)
{
	io_u->engine_data = NULL;
}

int usk_fio_check_block_size(struct thread_data *td, const char *name, const char *file,
			     uint32_t block_size)
{
	for_each_rw_ddir(ddir) {
		if (td->o.min_bs[ddir] % block_size != 0 || td->o.max_bs[ddir] % block_size != 0) {
			log_err("%s: '%s' has %u-byte blocks: bs (and bsrange) must be "
				"multiples of %u\n",
				name, file, block_size, block_size);
			return 1;
		}
	}
	return 0;
}

void usk_fio_file_set_size(struct fio_file *f, uint64_t bytes)
{
	f->real_file_size = bytes;
	f->filetype = FIO_TYPE_BLOCK;
	fio_file_set_size_known(f);
}

int usk_fio_done_init(struct usk_fio_done *d, uint32_t cap)
{
	d->ios = calloc(cap, sizeof(*d->ios));
	d->count = 0;
	d->returned = 0;
	d->cap = cap;
	return d->ios == NULL;
}

void usk_fio_done_fini(struct usk_fio_done *d)
{
	free(d->ios);
	d->ios = NULL;
}

void usk_fio_done_drop_returned(struct usk_fio_done *d)
{
	uint32_t left = d->count - d->returned;

	if (left != 0 && d->returned != 0) {
		memmove(d->ios, d->ios + d->returned, left * sizeof(*d->ios));
	}
	d->count = left;
	d->returned = 0;
}

/*
 * Whether a getevents that began at @p start (CLOCK_MONOTONIC) has used up
 * fio's timeout @p t (NULL: none).
 */
static bool usk_fio_timed_out(const struct timespec *start, const struct timespec *t)
{
	struct timespec now;
	int64_t elapsed_ns;

	if (t == NULL) {
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed_ns = (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 + now.tv_nsec -
		     start->tv_nsec;
	return elapsed_ns >= (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int usk_fio_getevents(struct usk_fio_done *d, unsigned int min, unsigned int max,
		      const struct timespec *t, usk_fio_poll_fn poll, void *job)
{
	struct timespec start;
	uint64_t spins = 0;

	usk_fio_done_drop_returned(d);
	if (t != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &start);
	}
	for (;;) {
		int rc = poll(job, spins);

		if (d->count >= min) {
			break;
		}
		if (rc < 0) {
			return d->count > 0 ? usk_fio_done_return(d, max) : rc;
		}
		if (++spins % USK_FIO_CLOCK_SPINS == 0 && usk_fio_timed_out(&start, t)) {
			break;
		}
	}
	return usk_fio_done_return(d, max);
}
