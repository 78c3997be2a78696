/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The bdev layer's side for backends: a module registers bdevs, each with
 * a function table, and completes the I/O the layer hands it. The layer
 * has already checked every I/O (range, type, descriptor) and split it at
 * the bdev's max transfer size, optimal boundary and most buffers an I/O.
 *
 * Thread rules: submit_request runs on the thread of the channel it is
 * given; the module completes the I/O on that thread. Register and
 * unregister run on any usk_thread.
 */
#ifndef USK_BDEV_MODULE_H
#define USK_BDEV_MODULE_H

#include <stddef.h>

#include "usk/bdev.h"
#include "usk/json.h"
#include "usk/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** How an I/O ended, as a module reports it. */
enum usk_bdev_io_status {
	USK_BDEV_IO_STATUS_SUCCESS = 0,
	USK_BDEV_IO_STATUS_FAILED,     /**< an error with no NVMe status */
	USK_BDEV_IO_STATUS_MISCOMPARE, /**< a compare found a difference */
	USK_BDEV_IO_STATUS_ABORTED,    /**< ended by a reset or a removal */
	USK_BDEV_IO_STATUS_NVME_ERROR, /**< see usk_bdev_io_complete_nvme_status() */
};

/** What a module does for each of its bdevs. */
struct usk_bdev_fn_table {
	/** Free the module's part of the bdev, once it is unregistered and closed. */
	void (*destruct)(void *ctxt);
	/** Start @p io on @p ch (the module's channel from get_io_channel). */
	void (*submit_request)(struct usk_io_channel *ch, struct usk_bdev_io *io);
	/** Whether the bdev does I/O of @p type; asked for each type once, at register. */
	bool (*io_type_supported)(void *ctxt, enum usk_bdev_io_type type);
	/** Get the current thread's channel of the module for this bdev. */
	struct usk_io_channel *(*get_io_channel)(void *ctxt);
	/** Write the RPC call that recreates the bdev, {"method":..., "params":...}; NULL: none. */
	void (*write_config_json)(struct usk_bdev *bdev, struct usk_json_write_ctx *w);
	/**
	 * Write what is the module's own of the bdev (a file name, a PCI
	 * address...) as named values of an object bdev_get_bdevs has opened
	 * ("driver_specific"); NULL: nothing.
	 */
	void (*dump_info_json)(void *ctxt, struct usk_json_write_ctx *w);
};

/** A backend. Register it before the bdev subsystem starts. */
struct usk_bdev_module {
	/** the module's name ("malloc") */
	const char *name;
	/** set up (on the app thread); returns 0 or a negative errno */
	int (*module_init)(void);
	/** tear down; its bdevs are already unregistered */
	void (*module_fini)(void);
	/** bytes each bdev_io carries for the module (usk_bdev_io_driver_ctx()) */
	size_t driver_ctx_size;
};

/**
 * What the layer needs to know of a bdev; the module fills it, then
 * registers. The layer reads write_unit_size and optimal_io_boundary (and
 * the answers of io_type_supported) once, at register, and keeps them in
 * the form its data path tests with a mask; a change afterwards is not seen.
 */
struct usk_bdev {
	/** unique among bdevs, 1 to USK_BDEV_NAME_MAX bytes, no control characters; copied */
	const char *name;
	/** the kind of device, for humans ("Malloc disk") */
	const char *product_name;
	/**
	 * bytes per block, a power of two from 512; with md_interleave, that
	 * plus md_len (each block's data, then its metadata)
	 */
	uint32_t blocklen;
	/** the number of blocks */
	uint64_t blockcnt;
	/** writes must be a multiple of this many blocks (0 or 1: any) */
	uint32_t write_unit_size;
	/** I/O is split so that none crosses a multiple of this (0: none) */
	uint32_t optimal_io_boundary;
	/** I/O is split so that none carries more blocks than this (0: no limit) */
	uint32_t max_transfer_blocks;
	/**
	 * I/O is split so that none carries more buffers (iovecs) than this (0:
	 * no limit); a block spread over more buffers than this fails
	 */
	uint32_t max_num_segments;
	/** bytes of metadata per block (0: none) */
	uint32_t md_len;
	/**
	 * the metadata is at the end of each block in the data buffers
	 * (blocklen counts it); false: in separate buffers
	 */
	bool md_interleave;
	/** protection information type in the metadata: 0 (none) to 3; needs md_len >= 8 */
	uint8_t dif_type;
	/** the protection information is the metadata's first 8 bytes (else its last) */
	bool dif_is_head_of_md;
	/**
	 * the bdev's identity, kept across restarts by save_config; left nil,
	 * the layer makes a random one at register
	 */
	struct usk_uuid uuid;
	/** the module's own pointer, passed to its functions */
	void *ctxt;
	/** the module's functions */
	const struct usk_bdev_fn_table *fn_table;
	/** the module */
	const struct usk_bdev_module *module;
	/** the layer's state; leave alone */
	struct bdev_internal *internal;
};

/** What the module sees of an I/O. */
struct usk_bdev_io {
	/** the bdev */
	struct usk_bdev *bdev;
	/** the kind of I/O */
	enum usk_bdev_io_type type;
	/** the data buffers (none for zeroes, unmap, flush, reset) */
	struct iovec *iovs;
	/** entries of @p iovs */
	int iovcnt;
	/** the first block */
	uint64_t offset_blocks;
	/** the number of blocks */
	uint64_t num_blocks;
	/** the layer's state; leave alone */
	struct bdev_io_internal *internal;
};

/**
 * Register a module; call before the bdev subsystem starts (usk_tgt and
 * usk_bdevperf register the built-in ones).
 *
 * @return 0; -EEXIST for a name already registered; -EINVAL; -ENOSPC.
 */
int usk_bdev_module_register(const struct usk_bdev_module *module);

/**
 * Register a bdev; it can be opened once this returns.
 *
 * @return 0; -EINVAL for a missing name, one longer than USK_BDEV_NAME_MAX
 *         or with a control character, a missing function, a block size that is not
 *         a power of two of at least 512, or zero blocks; -EEXIST when
 *         the name or the UUID is taken; -ENOMEM.
 */
int usk_bdev_register(struct usk_bdev *bdev);

/**
 * Unregister a bdev: new opens and new I/O fail, every open descriptor is
 * told USK_BDEV_EVENT_REMOVE; once the last one closes, the module's
 * destruct runs and @p cb(@p cb_arg, 0) is called on this thread.
 *
 * @return 0; -ENODEV when not registered; -EBUSY when already going;
 *         -ENOMEM (the bdev stays registered).
 */
int usk_bdev_unregister(struct usk_bdev *bdev, void (*cb)(void *cb_arg, int rc), void *cb_arg);

/**
 * Change a bdev's block count; every open descriptor hears
 * USK_BDEV_EVENT_RESIZE on its thread.
 *
 * @return 0; -EINVAL for zero blocks; -ENODEV once the bdev is gone (its
 *         destruct has run or is on its way).
 */
int usk_bdev_notify_blockcnt_change(struct usk_bdev *bdev, uint64_t blockcnt);

/**
 * Claim a bdev for a module (a split claims its base): nobody else may
 * then open it for writing, nor claim it.
 *
 * @return 0; -EPERM when already claimed or open for writing by another
 *         descriptor.
 */
int usk_bdev_module_claim_bdev(struct usk_bdev *bdev, struct usk_bdev_desc *desc,
			       const struct usk_bdev_module *module);

/** Release a claim. */
void usk_bdev_module_release_bdev(struct usk_bdev *bdev);

/** @return the module's bytes of @p io (driver_ctx_size of them). */
void *usk_bdev_io_driver_ctx(struct usk_bdev_io *io);

/** Complete @p io with @p status, on the thread it was submitted on. */
void usk_bdev_io_complete(struct usk_bdev_io *io, enum usk_bdev_io_status status);

/**
 * Complete @p io with @p status once the current thread has returned to
 * its poll loop: for modules that finish I/O inside submit_request, so a
 * caller that submits again from its callback does not grow the stack.
 */
void usk_bdev_io_complete_deferred(struct usk_bdev_io *io, enum usk_bdev_io_status status);

/** Complete @p io with an NVMe status (0, 0 is a success). */
void usk_bdev_io_complete_nvme_status(struct usk_bdev_io *io, int sct, int sc);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_BDEV_MODULE_H */
