/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Block devices, as storage services use them: find a bdev by name, open
 * a descriptor, get the thread's I/O channel, submit I/O. Every backend
 * (NVMe namespaces, memory, files through io_uring, parts of other bdevs)
 * is a bdev; include/usk/bdev_module.h is the other side, for backends.
 *
 * Thread rules: I/O is submitted on a usk_thread with that thread's
 * channel, and completes on the same thread. Open, close and the
 * lookups run on any usk_thread. A submit either fails at once with a
 * negative errno and no callback, or is accepted and then completes
 * exactly once through its callback. Nothing is allocated per I/O.
 */
#ifndef USK_BDEV_H
#define USK_BDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "usk/histogram.h"
#include "usk/thread.h"
#include "usk/uuid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

struct usk_bdev;
struct usk_bdev_desc;
struct usk_bdev_io;

/** The kinds of I/O. */
enum usk_bdev_io_type {
	USK_BDEV_IO_TYPE_READ = 0,
	USK_BDEV_IO_TYPE_WRITE,
	USK_BDEV_IO_TYPE_WRITE_ZEROES,
	USK_BDEV_IO_TYPE_UNMAP,
	USK_BDEV_IO_TYPE_FLUSH,
	USK_BDEV_IO_TYPE_RESET,
	USK_BDEV_IO_TYPE_COMPARE,
	USK_BDEV_IO_TYPE_COUNT
};

/** What an open descriptor is told about its bdev. */
enum usk_bdev_event_type {
	USK_BDEV_EVENT_REMOVE = 0, /**< the bdev is going: close the descriptor */
	USK_BDEV_EVENT_RESIZE,	   /**< the block count changed */
};

/**
 * Receives a descriptor's events, on the thread that opened it.
 *
 * @param type what happened
 * @param bdev the bdev
 * @param ctx  the pointer given to usk_bdev_open()
 */
typedef void (*usk_bdev_event_cb)(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx);

/**
 * Receives the end of an I/O. Call usk_bdev_free_io() when done with @p io
 * (its NVMe status can be read until then).
 *
 * @param io      the I/O
 * @param success whether it succeeded
 * @param cb_arg  the pointer given when it was submitted
 */
typedef void (*usk_bdev_io_cb)(struct usk_bdev_io *io, bool success, void *cb_arg);

/**
 * Add the bdev subsystem to the app framework, before usk_app_start(): the
 * built-in modules (null, malloc), their RPC methods (bdev_get_bdevs,
 * bdev_get_iostat, bdev_*_create and _delete) and the bdevs' part of
 * save_config. At shutdown, every bdev is unregistered.
 *
 * @return 0, or a negative errno from a registration.
 */
int usk_bdev_subsystem_register(void);

/** @return the bdev called @p name, or with that alias, or NULL. */
struct usk_bdev *usk_bdev_get_by_name(const char *name);

/** @return the first registered bdev, or NULL. */
struct usk_bdev *usk_bdev_first(void);

/** @return the bdev registered after @p prev, or NULL. */
struct usk_bdev *usk_bdev_next(struct usk_bdev *prev);

/** @return the bdev's name. */
const char *usk_bdev_get_name(const struct usk_bdev *bdev);

/** @return the bdev's UUID (never nil once registered). */
const struct usk_uuid *usk_bdev_get_uuid(const struct usk_bdev *bdev);

/** @return what the module calls this kind of bdev ("Malloc disk"...). */
const char *usk_bdev_get_product_name(const struct usk_bdev *bdev);

/** @return the module's name ("malloc", "nvme"...). */
const char *usk_bdev_get_module_name(const struct usk_bdev *bdev);

/** @return bytes per block. */
uint32_t usk_bdev_get_block_size(const struct usk_bdev *bdev);

/** @return the number of blocks. */
uint64_t usk_bdev_get_num_blocks(const struct usk_bdev *bdev);

/** @return the blocks a write must be a multiple of (1 for most). */
uint32_t usk_bdev_get_write_unit_size(const struct usk_bdev *bdev);

/** @return the boundary (in blocks) I/O should not cross, or 0 for none. */
uint32_t usk_bdev_get_optimal_io_boundary(const struct usk_bdev *bdev);

/** @return the most blocks one I/O may carry to the module, or 0 for no limit. */
uint32_t usk_bdev_get_max_transfer_blocks(const struct usk_bdev *bdev);

/** @return bytes of metadata per block, 0 when the bdev has none. */
uint32_t usk_bdev_get_md_size(const struct usk_bdev *bdev);

/**
 * @return whether the metadata is at the end of each block in the data
 *         buffers: usk_bdev_get_block_size() then counts data and metadata,
 *         and the byte-offset functions (usk_bdev_read()...) refuse the
 *         bdev with -EINVAL; use the _blocks ones.
 */
bool usk_bdev_is_md_interleaved(const struct usk_bdev *bdev);

/** @return the protection information type in the metadata: 0 (none) to 3. */
uint32_t usk_bdev_get_dif_type(const struct usk_bdev *bdev);

/** @return whether the protection information is the first 8 bytes of the metadata. */
bool usk_bdev_is_dif_head_of_md(const struct usk_bdev *bdev);

/**
 * The longest bdev name or alias, in bytes (without the NUL). Names and
 * aliases may hold no control characters (bytes below 0x20, and 0x7f), so
 * that a name cannot forge a log line.
 */
#define USK_BDEV_NAME_MAX 255

/**
 * Give a bdev another name it can be opened and found by.
 *
 * @return 0; -EINVAL for an empty alias, one longer than USK_BDEV_NAME_MAX
 *         or with a control character; -EEXIST when a bdev has that name
 *         or alias; -ENOSPC beyond 8 aliases; -ENOMEM. Any thread.
 */
int usk_bdev_alias_add(struct usk_bdev *bdev, const char *alias);

/** Remove an alias. @return 0, or -ENOENT when the bdev has no such alias. */
int usk_bdev_alias_del(struct usk_bdev *bdev, const char *alias);

/**
 * Copy up to @p max of the bdev's aliases into @p aliases (valid while the
 * alias stays). @return how many were copied.
 */
uint32_t usk_bdev_get_aliases(const struct usk_bdev *bdev, const char **aliases, uint32_t max);

/** @return whether a module has claimed the bdev (a split claims its base). */
bool usk_bdev_is_claimed(const struct usk_bdev *bdev);

/** @return whether the bdev does I/O of @p type, as its module said when it registered. */
bool usk_bdev_io_type_supported(const struct usk_bdev *bdev, enum usk_bdev_io_type type);

/**
 * Open a bdev.
 *
 * @param name     the bdev's name or alias
 * @param write    open for writing too
 * @param event_cb receives the descriptor's events; required
 * @param ctx      passed to @p event_cb
 * @param desc     where the descriptor is stored
 * @return 0; -EINVAL for a missing argument or when not on a thread;
 *         -ENODEV when no bdev has that name; -EPERM when opening for
 *         writing a bdev a module has claimed; -EBUSY when it is being
 *         removed; -ENOMEM.
 */
int usk_bdev_open(const char *name, bool write, usk_bdev_event_cb event_cb, void *ctx,
		  struct usk_bdev_desc **desc);

/**
 * Close a descriptor, on the thread that opened it. Its I/O must have
 * completed. A removed bdev is freed when its last descriptor closes.
 */
void usk_bdev_close(struct usk_bdev_desc *desc);

/** @return the descriptor's bdev. */
struct usk_bdev *usk_bdev_desc_get_bdev(struct usk_bdev_desc *desc);

/**
 * Get the current thread's I/O channel for the descriptor's bdev; put it
 * with usk_io_channel_put() when done, once every I/O submitted on it has
 * completed (an I/O counts into its channel and gives its bdev_io back to
 * it: one still with the module when the last put frees the channel would
 * complete into freed memory).
 *
 * @return the channel, or NULL when not on a thread or memory is short.
 */
struct usk_io_channel *usk_bdev_get_io_channel(struct usk_bdev_desc *desc);

/*
 * I/O. Offsets and lengths are in blocks for the *_blocks functions and
 * in bytes (multiples of the block size) for the others. Each returns 0
 * when the I/O was accepted, or: -EINVAL for a range outside the bdev, a
 * zero length, a length that is not a multiple of the write unit, bad
 * iovecs, or a byte offset or length that is not a multiple of the block
 * size; -EBADF for a descriptor not open for writing (writes, zeroes,
 * unmap, reset); -ENOTSUP when the bdev does not do that type; -ENODEV
 * when the bdev is being removed; -ENOMEM when no bdev_io is free (see
 * usk_bdev_queue_io_wait()).
 */

/** Read @p num_blocks blocks at @p offset_blocks into @p buf. */
int usk_bdev_read_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			 uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			 void *cb_arg);

/** Read into the buffers of @p iov (their lengths add up to the blocks read). */
int usk_bdev_readv_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, struct iovec *iov,
			  int iovcnt, uint64_t offset_blocks, uint64_t num_blocks,
			  usk_bdev_io_cb cb, void *cb_arg);

/** Write @p num_blocks blocks at @p offset_blocks from @p buf. */
int usk_bdev_write_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg);

/** Write from the buffers of @p iov. */
int usk_bdev_writev_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, struct iovec *iov,
			   int iovcnt, uint64_t offset_blocks, uint64_t num_blocks,
			   usk_bdev_io_cb cb, void *cb_arg);

/** Compare the blocks with @p buf; a mismatch fails with NVMe's compare-failure status. */
int usk_bdev_compare_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			    uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			    void *cb_arg);

/** Write zeroes to the blocks, with no data buffer. */
int usk_bdev_write_zeroes_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
				 uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
				 void *cb_arg);

/** Deallocate the blocks (their content becomes undefined, or zeroes where the bdev says). */
int usk_bdev_unmap_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg);

/** Make written blocks durable. */
int usk_bdev_flush_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg);

/** Reset the bdev (for NVMe, the controller). */
int usk_bdev_reset(struct usk_bdev_desc *desc, struct usk_io_channel *ch, usk_bdev_io_cb cb,
		   void *cb_arg);

/** usk_bdev_read_blocks() with a byte offset and length. */
int usk_bdev_read(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf, uint64_t offset,
		  uint64_t nbytes, usk_bdev_io_cb cb, void *cb_arg);

/** usk_bdev_write_blocks() with a byte offset and length. */
int usk_bdev_write(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
		   uint64_t offset, uint64_t nbytes, usk_bdev_io_cb cb, void *cb_arg);

/** Give a completed I/O back; call it once, from its completion callback or later. */
void usk_bdev_free_io(struct usk_bdev_io *io);

/**
 * Read a completed I/O's NVMe status: for a module that is not NVMe, a
 * success is (0, 0) and a failure (0, 6), NVMe's internal error; a compare
 * that found a difference is (2, 0x85).
 *
 * @param io  the I/O, not yet freed
 * @param sct where the status code type is stored
 * @param sc  where the status code is stored
 */
void usk_bdev_io_get_nvme_status(const struct usk_bdev_io *io, int *sct, int *sc);

/** Waits for a bdev_io to be free; fill bdev, cb and cb_arg. */
struct usk_bdev_io_wait_entry {
	struct usk_bdev *bdev;
	usk_msg_fn cb;
	void *cb_arg;
	struct usk_bdev_io_wait_entry *next; /**< the layer's; leave alone */
};

/**
 * After a submit failed with -ENOMEM: call @p entry->cb(@p entry->cb_arg)
 * on this thread once a bdev_io is free, so the caller can submit again.
 * The callback runs even when the channel has no I/O of its own in flight
 * and the bdev_io is freed elsewhere (another bdev, another thread): at
 * once when one comes back to this channel, else within about 100 us of
 * one being free in the shared pool. Callers run oldest first; one whose
 * submit comes up short again queues itself anew, and the rest wait on.
 * The entry must stay valid until its callback runs; a channel released
 * with callers still waiting drops them, their callbacks never run.
 *
 * @return 0; -EINVAL when no submit on this channel is short of bdev_io;
 *         -ENOMEM when memory is short for the retry (the caller is not
 *         queued).
 */
int usk_bdev_queue_io_wait(struct usk_bdev *bdev, struct usk_io_channel *ch,
			   struct usk_bdev_io_wait_entry *entry);

/** The largest QoS limits: tokens are counted in signed 64 bits, bytes for MiB. */
#define USK_BDEV_QOS_MAX_IOS_PER_S    ((uint64_t)INT64_MAX)
#define USK_BDEV_QOS_MAX_MBYTES_PER_S ((uint64_t)INT64_MAX >> 20)

/**
 * Set a bdev's QoS limits, for reads and writes together; 0 lifts a limit,
 * and the read-only and write-only bandwidth limits are lifted too.
 * The limits hold across every thread: I/O over them waits, in order, on
 * its channel. They can be changed while I/O runs.
 *
 * @param bdev         the bdev
 * @param ios_per_s    I/O per second, or 0; at most USK_BDEV_QOS_MAX_IOS_PER_S
 * @param mbytes_per_s MiB per second, or 0; at most USK_BDEV_QOS_MAX_MBYTES_PER_S
 * @return 0; -EINVAL when not on a thread, or not on the thread that set
 *         the bdev's limits first; -ERANGE when a limit is above its maximum
 *         (the limits set before stay); -ENOMEM.
 */
int usk_bdev_set_qos_limit(struct usk_bdev *bdev, uint64_t ios_per_s, uint64_t mbytes_per_s);

/** Read a bdev's IOPS and read-and-write MiB/s limits (0: none). Any thread. */
void usk_bdev_get_qos_limit(const struct usk_bdev *bdev, uint64_t *ios_per_s,
			    uint64_t *mbytes_per_s);

/**
 * A bdev's QoS limits, SPDK's four; 0 means none. A value struct the
 * caller fills whole: a new kind of limit would come with new functions.
 */
struct usk_bdev_qos_limits {
	uint64_t rw_ios_per_s;	  /**< reads and writes together; at most USK_BDEV_QOS_MAX_IOS_PER_S */
	uint64_t rw_mbytes_per_s; /**< MiB/s of reads and writes; at most USK_BDEV_QOS_MAX_MBYTES_PER_S */
	uint64_t r_mbytes_per_s;  /**< MiB/s of reads; the same maximum */
	uint64_t w_mbytes_per_s;  /**< MiB/s of writes; the same maximum */
};

/**
 * Set all of a bdev's QoS limits at once, replacing those set before (a 0
 * lifts one). An I/O waits until every bucket it draws from has tokens:
 * every I/O draws from the IOPS one, reads and writes (by their bytes) from
 * the read-and-write bandwidth one, reads from the read one, writes from
 * the write one. Thread rules as usk_bdev_set_qos_limit().
 *
 * @return 0; -EINVAL when not on a thread, not on the thread that set the
 *         bdev's limits first, or for NULL @p limits; -ERANGE when a limit
 *         is above its maximum; -ENOMEM. On an error, the limits set
 *         before stay in force.
 */
int usk_bdev_set_qos_limits(struct usk_bdev *bdev, const struct usk_bdev_qos_limits *limits);

/** Read all of a bdev's QoS limits. Any thread. */
void usk_bdev_get_qos_limits(const struct usk_bdev *bdev, struct usk_bdev_qos_limits *limits);

/**
 * I/O counters of a bdev, in operations, bytes and ticks of usk_ticks().
 * Only I/O that succeeded counts in the operations, bytes and latencies;
 * every failure counts in num_errors and in one of the four kinds below.
 */
struct usk_bdev_io_stat {
	uint64_t bytes_read;
	uint64_t num_read_ops;
	uint64_t bytes_written;
	uint64_t num_write_ops;
	uint64_t num_unmap_ops;
	uint64_t num_other_ops; /**< write zeroes, flush, reset, compare */
	uint64_t num_errors;
	uint64_t read_latency_ticks;  /**< summed */
	uint64_t write_latency_ticks; /**< summed */
	uint64_t bytes_unmapped;
	uint64_t unmap_latency_ticks; /**< summed */
	/** The smallest and largest latency of each kind; a min is UINT64_MAX while none was seen. */
	uint64_t min_read_latency_ticks;
	uint64_t max_read_latency_ticks;
	uint64_t min_write_latency_ticks;
	uint64_t max_write_latency_ticks;
	uint64_t min_unmap_latency_ticks;
	uint64_t max_unmap_latency_ticks;
	/** Failures by kind, as the module ended them (usk_bdev_io_get_nvme_status()). */
	uint64_t num_failed;	  /**< NVMe's internal error (0, 6): USK_BDEV_IO_STATUS_FAILED */
	uint64_t num_aborted;	  /**< aborted by request (0, 7): USK_BDEV_IO_STATUS_ABORTED */
	uint64_t num_miscompares; /**< compare failure (2, 0x85) */
	uint64_t num_nvme_errors; /**< any other NVMe status */
};

/** What a reset of the counters clears. */
enum usk_bdev_reset_stat_mode {
	USK_BDEV_RESET_STAT_ALL = 0, /**< everything */
	USK_BDEV_RESET_STAT_MAXMIN,  /**< the smallest and largest latencies */
	USK_BDEV_RESET_STAT_ERROR,   /**< num_errors and the failures by kind */
	USK_BDEV_RESET_STAT_NONE,    /**< nothing */
};

/** Empty @p stat: zeroes, and the smallest latencies at UINT64_MAX (none seen). */
void usk_bdev_io_stat_init(struct usk_bdev_io_stat *stat);

/** Clear what @p mode says of @p stat. */
void usk_bdev_io_stat_reset(struct usk_bdev_io_stat *stat, enum usk_bdev_reset_stat_mode mode);

/** Read the counters of one channel (on its thread). */
void usk_bdev_get_channel_stat(struct usk_io_channel *ch, struct usk_bdev_io_stat *stat);

/**
 * Sum the counters of every thread's channel for @p bdev, and of channels
 * already released; @p cb(@p bdev, @p stat, @p rc, @p cb_arg) runs on this
 * thread when done.
 *
 * @return 0; -EINVAL when not on a thread; -ENOMEM.
 */
int usk_bdev_get_device_stat(struct usk_bdev *bdev, struct usk_bdev_io_stat *stat,
			     void (*cb)(struct usk_bdev *bdev, struct usk_bdev_io_stat *stat,
					int rc, void *cb_arg),
			     void *cb_arg);

/**
 * Clear what @p mode says of the counters of every channel of @p bdev (each
 * on its own thread) and of channels already released; @p cb(@p bdev, @p rc,
 * @p cb_arg) runs on this thread when done. Every reader of the counters
 * sees the reset.
 *
 * @return 0; -EINVAL when not on a thread or for an unknown mode; -ENOMEM.
 */
int usk_bdev_reset_device_stat(struct usk_bdev *bdev, enum usk_bdev_reset_stat_mode mode,
			       void (*cb)(struct usk_bdev *bdev, int rc, void *cb_arg),
			       void *cb_arg);

/**
 * Start or stop recording the latency (in ticks of usk_ticks(), from
 * submit to completion, success or not) of @p bdev's I/O of @p type, or of
 * every type when @p type is -1, in a histogram per channel. Starting
 * again starts afresh; stopping drops what was recorded. @p cb(@p bdev,
 * @p rc, @p cb_arg) runs on this thread once every channel has heard.
 *
 * @return 0; -EINVAL when not on a thread or for an unknown type; -ENOMEM.
 */
int usk_bdev_histogram_enable(struct usk_bdev *bdev, bool enable, int type,
			      void (*cb)(struct usk_bdev *bdev, int rc, void *cb_arg),
			      void *cb_arg);

/** @return whether @p bdev records latencies (usk_bdev_histogram_enable()). */
bool usk_bdev_histogram_enabled(const struct usk_bdev *bdev);

/**
 * Merge the latencies every channel of @p bdev recorded (and those of
 * channels already released) into @p histogram, which the caller has
 * initialised; @p cb(@p bdev, @p histogram, @p rc, @p cb_arg) runs on this
 * thread when done.
 *
 * @return 0; -EINVAL when not on a thread; -ENOENT when the histogram is
 *         off; -ENOMEM.
 */
int usk_bdev_histogram_get(struct usk_bdev *bdev, struct usk_histogram *histogram,
			   void (*cb)(struct usk_bdev *bdev, struct usk_histogram *histogram,
				      int rc, void *cb_arg),
			   void *cb_arg);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_BDEV_H */
