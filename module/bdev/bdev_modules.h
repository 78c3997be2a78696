/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in bdev modules, for the bdev subsystem and the tests: how
 * each makes and removes its bdevs, and registers its RPC methods.
 */
#ifndef USK_BDEV_MODULES_H
#define USK_BDEV_MODULES_H

#include "usk/bdev_module.h"
#include "usk/rpc.h"

/* Registers every built-in module and its RPC methods. */
int bdev_modules_register(void);

/*
 * What bdev_malloc_create and bdev_null_create take, with SPDK's names; the
 * strings are the caller's (bdev_create_opts_free() frees the RPC's).
 */
struct bdev_create_opts {
	const char *name;
	uint64_t num_blocks;
	uint32_t block_size;
	/* reported in save_config only; 0: the block size */
	uint32_t physical_block_size;
	/* blocks; I/O is split so that none crosses a multiple (malloc only; 0: none) */
	uint32_t optimal_io_boundary;
	/* the UUID's text; NULL (or the nil UUID): a random one */
	const char *uuid;
};

/* Fills @opts with the defaults: no name, 512-byte blocks, a random UUID. */
void bdev_create_opts_init(struct bdev_create_opts *opts);

/* Frees the strings the RPC decoded into @opts. */
void bdev_create_opts_free(struct bdev_create_opts *opts);

/*
 * Checks @opts (the geometry, the physical block size, the UUID, which must
 * be free) and fills @b's uuid and optimal_io_boundary from it; fills @err
 * on failure.
 */
int bdev_create_opts_apply(const struct bdev_create_opts *opts, struct usk_bdev *b, char *err,
			   size_t errlen);

/* Makes a bdev from @opts; fills @err on failure. */
typedef int (*bdev_create_fn)(const struct bdev_create_opts *opts, struct usk_bdev **bdev,
			      char *err, size_t errlen);
/* @create with the defaults but for @name, @num_blocks and @block_size. */
int bdev_create_sized(bdev_create_fn create, const char *name, uint64_t num_blocks,
		      uint32_t block_size, struct usk_bdev **bdev, char *err, size_t errlen);
/* Removes the module's bdev called @name; @cb hears when it is gone. */
typedef int (*bdev_delete_fn)(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);

/*
 * What a *_create method decodes: @decoders (into struct bdev_create_opts)
 * and @compat, the members of SPDK's that it accepts without using.
 */
struct bdev_create_method {
	const struct usk_json_object_decoder *decoders;
	size_t num_decoders;
	const struct usk_json_compat_member *compat;
	size_t num_compat;
	bdev_create_fn create;
};

/* A *_create method: decodes the params, makes the bdev, answers its name. */
void bdev_rpc_create(struct usk_rpc_request *req, const struct usk_json_val *params,
		     const struct bdev_create_method *method);
/*
 * Answers a *_create method whose create returned @rc: the bdev's @name,
 * or (rc not 0) invalid params with the message @err.
 */
void bdev_rpc_create_answer(struct usk_rpc_request *req, int rc, const char *name, const char *err);
/* A *_delete method: decodes {name}, answers true once the bdev is gone. */
void bdev_rpc_delete(struct usk_rpc_request *req, const struct usk_json_val *params,
		     bdev_delete_fn delete_bdev, const char *kind);

/*
 * Opens the call that recreates @bdev: {"method": @method, "params":
 * {"name", "uuid" and what the caller adds before bdev_write_config_end().
 */
void bdev_write_config_begin(struct usk_bdev *bdev, const char *method,
			     struct usk_json_write_ctx *w);
/* Closes what bdev_write_config_begin() opened. */
void bdev_write_config_end(struct usk_json_write_ctx *w);

/*
 * Writes the call that recreates a malloc or null bdev, with SPDK's names:
 * name, uuid, num_blocks, block_size, physical_block_size and, when not 0,
 * optimal_io_boundary.
 */
void bdev_write_create_config(struct usk_bdev *bdev, const char *method,
			      uint32_t physical_block_size, struct usk_json_write_ctx *w);

/*
 * Checks what every made-up bdev needs: a free name, blocks, and a block
 * size that is a power of two from 512 to 64 KiB; fills @err on failure.
 */
int bdev_geometry_check(const char *name, uint64_t num_blocks, uint32_t block_size, char *err,
			size_t errlen);

/*
 * Fills the rest of @b (its name and ctxt are set) and registers it; says
 * why in @err on failure.
 */
int bdev_simple_register(struct usk_bdev *b, const char *product, uint64_t num_blocks,
			 uint32_t block_size, const struct usk_bdev_fn_table *fn,
			 const struct usk_bdev_module *module, char *err, size_t errlen);

/* @module's first bdev in the layer's list (save_config's order), or NULL. */
/*
 * The bdev subsystem's save_config entries: the modules' own (options, NVMe
 * controllers), then what recreates every bdev, in order; a bdev comes
 * after what it stands on.
 */
void bdev_modules_write_config(struct usk_json_write_ctx *w);

struct usk_bdev *bdev_module_first_bdev(const struct usk_bdev_module *module);

/* Unregisters @module's bdev called @name; -ENODEV when it has none by that name. */
int bdev_module_delete(const struct usk_bdev_module *module, const char *name,
		       void (*cb)(void *cb_arg, int rc), void *cb_arg);

/* Null: completes I/O without touching data. */
extern const struct usk_bdev_module g_bdev_null_module;
int bdev_null_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		     struct usk_bdev **bdev, char *err, size_t errlen);
int bdev_null_create_ext(const struct bdev_create_opts *opts, struct usk_bdev **bdev, char *err,
			 size_t errlen);
/*
 * Grows null bdev @name to @new_size_mib MiB (SPDK's unit); fills @err on
 * failure: -ENODEV when no null bdev has the name, -EINVAL for a size that
 * shrinks it or holds no whole block.
 */
int bdev_null_resize(const char *name, uint64_t new_size_mib, char *err, size_t errlen);
int bdev_null_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_null_rpc_register(void);

/* Malloc: memory-backed, data copied through the I/O path. */
extern const struct usk_bdev_module g_bdev_malloc_module;
int bdev_malloc_create(const char *name, uint64_t num_blocks, uint32_t block_size,
		       struct usk_bdev **bdev, char *err, size_t errlen);
int bdev_malloc_create_ext(const struct bdev_create_opts *opts, struct usk_bdev **bdev, char *err,
			   size_t errlen);
/*
 * Where malloc reads the memory available ("/proc/meminfo"): a seam for
 * tests; NULL puts the default back.
 */
void bdev_malloc_set_meminfo_path(const char *path);
int bdev_malloc_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_malloc_rpc_register(void);

/* Split: a base bdev cut into equal parts <base>p0, <base>p1... */
extern const struct usk_bdev_module g_bdev_split_module;
/*
 * Cuts @base_name into @count parts: equal ones filling it, or of @size_mb
 * MiB each when not 0, and then (as SPDK) no more than fit. *@made (may be
 * NULL) says how many were made; @err says why on failure.
 */
int bdev_split_create(const char *base_name, uint32_t count, uint64_t size_mb, uint32_t *made,
		      char *err, size_t errlen);
int bdev_split_delete(const char *base_name);
int bdev_split_rpc_register(void);

/* What a bdev over a kernel file or block device (uring, aio) learns when it opens it. */
struct bdev_file_geometry {
	uint64_t size; /* bytes */
	uint32_t lbs;  /* a block device's logical block size; 0 for a file */
	uint32_t pbs;  /* its physical block size; 0 for a file */
	/* a file opened direct: the unit of its direct I/O (statx); 0: not known */
	uint32_t dio_align;
	bool is_blockdev;
};

/*
 * Opens @filename for @kind's bdev @bdev_name ("uring", "Uring0": for the
 * log), read-only or for reading and writing, direct where the file system
 * takes O_DIRECT (a notice says when it does not); fills *@fd and @geo.
 * Returns 0, or a negative errno with @err naming the field.
 */
int bdev_file_open(const char *kind, const char *bdev_name, const char *filename, bool readonly,
		   int *fd, struct bdev_file_geometry *geo, char *err, size_t errlen);

/*
 * The blocks of a bdev over the file @geo describes: *@block_size as given,
 * or (0) the device's logical block size, for a file the unit of its direct
 * I/O (512 when not known); *@num_blocks the whole blocks it holds. Returns
 * 0, or -EINVAL with @err naming the field: a block size below the device's
 * or the direct I/O unit, no whole block, or a geometry
 * bdev_geometry_check() refuses.
 */
int bdev_file_blocks(const char *bdev_name, const char *filename,
		     const struct bdev_file_geometry *geo, uint32_t *block_size,
		     uint64_t *num_blocks, char *err, size_t errlen);

/*
 * Sets what one system call of the kernel's takes as @b's limits (blocks
 * of @block_size bytes): the layer splits I/O that carries more bytes or
 * more buffers.
 */
void bdev_file_set_io_limits(struct usk_bdev *b, uint32_t block_size);

/*
 * What a file bdev checks before it touches its file: @name free, a
 * @block_size (0: 512 until the file says) the layer takes, and @uuid
 * (text; NULL: a random one) free, which goes into @b with @name. Returns
 * 0, or a negative errno with @err naming the field.
 */
int bdev_file_name_check(struct usk_bdev *b, const char *name, uint32_t block_size,
			 const char *uuid, char *err, size_t errlen);

/*
 * For a file bdev's poller that found nothing done while the kernel holds
 * its I/O: what the kernel finishes after the submit runs in a kernel
 * worker, which may share this core, so the core is yielded to it now
 * rather than when the scheduler takes it. Not on a thread that sleeps
 * when idle (usk_thread_sleeps_when_idle()): its sleep leaves the core to
 * the worker, and a yield at every idle turn would, on a loaded host, let
 * each completion land before the loop could reach that sleep.
 */
void bdev_file_let_kernel_worker_run(void);

/*
 * A reset of a file bdev cannot stop what the kernel holds: it completes
 * once the I/O started on its channel before it did. A channel numbers its
 * I/O as they start; a reset waits for those numbered before it.
 */
struct bdev_file_mark {
	uint64_t seq;		     /* an I/O's number; a reset's: the next I/O's when it came */
	uint64_t left;		     /* a reset: the I/O before it not yet complete */
	struct usk_bdev_io *reset;   /* a reset: its bdev_io */
	struct bdev_file_mark *next; /* a reset: the next one waiting */
};

/* A file bdev channel's count of its I/O, and the resets waiting for them. */
struct bdev_file_drain {
	uint64_t next_seq;    /* the number of the next I/O to start */
	uint64_t outstanding; /* started, not yet complete */
	struct bdev_file_mark *resets;
};

/* Numbers the I/O whose driver context holds @m, as it is given to the kernel's queue. */
static inline void bdev_file_io_start(struct bdev_file_drain *d, struct bdev_file_mark *m)
{
	m->seq = d->next_seq++;
	d->outstanding++;
}

/* Counts resets' waits down for I/O number @seq; completes those it ends. */
void bdev_file_resets_advance(struct bdev_file_drain *d, uint64_t seq);

/*
 * I/O number @seq, started with bdev_file_io_start(), is complete: called
 * after its completion, so a reset it ends completes after it (its number
 * read before, as the bdev_io may be reused since).
 */
static inline void bdev_file_io_end(struct bdev_file_drain *d, uint64_t seq)
{
	d->outstanding--;
	if (d->resets != NULL) {
		bdev_file_resets_advance(d, seq);
	}
}

/* Completes reset @io, whose driver context holds @m, once the I/O started before it are. */
void bdev_file_reset(struct bdev_file_drain *d, struct bdev_file_mark *m, struct usk_bdev_io *io);

/* Uring: a file or kernel block device through io_uring (with liburing only). */
extern const struct usk_bdev_module g_bdev_uring_module;
/*
 * Makes uring bdev @name over @filename, with blocks of @block_size bytes
 * (0: a block device's logical block size; for a file, the unit of its
 * direct I/O, 512 when its file system does not say) and UUID @uuid (text;
 * NULL: a random one); @err says why on failure. Where the host
 * forbids io_uring (kernel.io_uring_disabled, a seccomp profile) it fails
 * with -EPERM or -ENOSYS and @err names bdev_aio_create instead.
 */
int bdev_uring_create(const char *name, const char *filename, uint32_t block_size, const char *uuid,
		      char *err, size_t errlen);
int bdev_uring_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_uring_rpc_register(void);
/* bdev_uring_set_options as save_config writes it: when set, or when a uring bdev exists. */
void bdev_uring_write_module_config(struct usk_json_write_ctx *w);
/*
 * Where uring reads kernel.io_uring_disabled
 * ("/proc/sys/kernel/io_uring_disabled"), which bdev_uring_create checks: a
 * seam for tests; NULL puts the default back.
 */
void bdev_uring_set_disabled_path(const char *path);

/* Aio: a file or kernel block device through Linux AIO (with libaio only). */
extern const struct usk_bdev_module g_bdev_aio_module;
/* What bdev_aio_create takes, with SPDK's names; the strings are the caller's. */
struct bdev_aio_opts {
	const char *name;
	const char *filename;
	/* bytes; 0: a block device's logical block size, for a file its direct I/O unit or 512 */
	uint32_t block_size;
	/* opened read-only: writes, unmap and write zeroes are refused */
	bool readonly;
	/* unmap and write zeroes through fallocate(), in the submitting thread */
	bool fallocate;
	/* the UUID's text; NULL: a random one */
	const char *uuid;
	/* reads and writes with RWF_NOWAIT, retried without it when refused (block devices only) */
	bool nowait;
};
/* Makes the aio bdev @opts describe; @err says why on failure, naming the field. */
int bdev_aio_create(const struct bdev_aio_opts *opts, char *err, size_t errlen);
int bdev_aio_delete(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
int bdev_aio_rpc_register(void);

/* NVMe: a controller through the polled driver, a bdev per namespace. */
extern const struct usk_bdev_module g_bdev_nvme_module;
int bdev_nvme_rpc_register(void);
/* bdev_nvme_set_options when set, then an attach call per controller, bdevs or not. */
void bdev_nvme_write_module_config(struct usk_json_write_ctx *w);

#endif /* USK_BDEV_MODULES_H */
