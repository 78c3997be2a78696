/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of lib/bdev share: the layer's state of bdevs, descriptors, channels and I/O. */
#ifndef USK_BDEV_INTERNAL_H
#define USK_BDEV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/queue.h>

#include "usk/bdev_module.h"
#include "usk/histogram.h"
#include "usk/pool.h"

/* Buffers a split child can carry; a child needing more ends at the block before. */
#define BDEV_IO_INLINE_IOVS 32

struct usk_bdev_desc {
	struct usk_bdev *bdev;
	struct usk_thread *thread;
	bool write;
	bool closed;
	usk_bdev_event_cb event_cb;
	void *event_ctx;
	TAILQ_ENTRY(usk_bdev_desc) link;
};

#define BDEV_MAX_ALIASES 8

/*
 * A block count that writes must be a multiple of (the write unit) or that
 * I/O must not cross a multiple of (the optimal boundary), ready for the
 * data path: a shift and a mask when it is a power of two, as devices
 * report them; a division only for other values (a stripe of three units,
 * say), which are rare enough to pay for it.
 */
struct bdev_granule {
	uint32_t size;	/* 0: none */
	uint32_t shift; /* log2(size) when pow2 */
	bool pow2;
};

/* Sets @g up for @size blocks (0: none). */
void bdev_granule_init(struct bdev_granule *g, uint32_t size);

/* Which granule @block is in. */
static inline uint64_t bdev_granule_index(const struct bdev_granule *g, uint64_t block)
{
	return g->pow2 ? block >> g->shift : block / g->size;
}

/* Where in its granule @block is. */
static inline uint64_t bdev_granule_offset(const struct bdev_granule *g, uint64_t block)
{
	return g->pow2 ? block & (g->size - 1) : block % g->size;
}

struct bdev_internal {
	char *name;
	char *aliases[BDEV_MAX_ALIASES]; /* guarded by the registry's lock */
	uint32_t alias_count;
	pthread_mutex_t lock; /* descriptors, claim, state */
	TAILQ_HEAD(, usk_bdev_desc) descs;
	bool removing;
	const struct usk_bdev_module *claim;
	/* Made by usk_bdev_unregister, so the end cannot fail for want of memory. */
	struct bdev_unregister_done *unregister_done;
	/* Counters of channels already released. */
	struct usk_bdev_io_stat released_stat;
	struct bdev_qos *_Atomic qos; /* NULL: no limits */
	void *qos_state;	      /* bdev_qos.c's, kept until the bdev goes */
	/* Latency histograms (bdev_histogram.c): on, the type recorded (-1: all). */
	_Atomic bool histogram_on;
	int histogram_type;
	struct usk_histogram *histogram_released; /* channels gone; under lock */
	/* What bdev_get_histogram shows, SPDK's min_nsec and max_nsec in ticks (bdev_rpc_histogram.c). */
	uint64_t histogram_min_ticks;
	uint64_t histogram_max_ticks;
	TAILQ_ENTRY(bdev_internal) link;
	struct usk_bdev *bdev;
	/* What the module said at register (bdev_module.h), kept for the data path. */
	uint32_t io_types;		/* bit t: type t supported, one AND per I/O */
	struct bdev_granule write_unit; /* none when the write unit is 0 or 1 */
	struct bdev_granule boundary;	/* the optimal I/O boundary */
};

/* A thread's channel for one bdev. */
struct bdev_channel {
	struct usk_bdev *bdev;
	struct usk_io_channel *module_ch;
	struct usk_pool_cache *cache;
	struct usk_bdev_io_stat stat;
	/* Callers waiting for a bdev_io, oldest first. */
	struct usk_bdev_io_wait_entry *wait_head;
	struct usk_bdev_io_wait_entry *wait_tail;
	bool starved; /* a submit failed with -ENOMEM since the queue was last served */
	/*
	 * Retries the waiters while there are any, else NULL: the bdev_io they
	 * wait for may be freed on another channel, which never serves this
	 * one's waiters.
	 */
	struct usk_poller *wait_poller;
	/* I/O held back by the bdev's QoS limits, oldest first, and its retry poller. */
	struct usk_bdev_io *qos_head;
	struct usk_bdev_io *qos_tail;
	struct usk_poller *qos_poller;
	/* Latencies of completed I/O while the bdev's histogram is on, else NULL. */
	struct usk_histogram *histogram;
};

/*
 * A bdev's QoS: token buckets refilled by a timed poller on the thread that
 * set the limits, drawn from by every channel with atomics (only bdevs with
 * limits pay for them).
 */
struct bdev_qos {
	_Atomic int64_t ios;	 /* tokens left */
	_Atomic int64_t bytes;	 /* tokens left, reads and writes */
	_Atomic int64_t r_bytes; /* tokens left, reads only */
	_Atomic int64_t w_bytes; /* tokens left, writes only */
	uint64_t ios_per_s;	 /* 0: no limit */
	uint64_t bytes_per_s;	 /* 0: no limit */
	uint64_t r_bytes_per_s;	 /* 0: no limit */
	uint64_t w_bytes_per_s;	 /* 0: no limit */
	uint64_t last_refill;
	struct usk_poller *refill;
};

struct bdev_io_internal {
	struct bdev_channel *ch;
	usk_bdev_io_cb cb;
	void *cb_arg;
	uint64_t submit_tick;
	int sct;
	int sc;
	bool success;
	enum usk_bdev_io_status deferred_status;
	/* Split: the parent counts children out and back. */
	struct usk_bdev_io *parent;
	uint64_t split_next_block;    /* parent: the first block not yet sent */
	uint32_t split_outstanding;   /* parent: children not yet back */
	bool split_issuing;	      /* parent: its loop is issuing children */
	struct usk_bdev_io *qos_next; /* in the channel's QoS queue */
	struct iovec iov;	      /* a single buffer's iovec */
	struct iovec child_iovs[BDEV_IO_INLINE_IOVS];
};

/* The I/O pool, set up by the subsystem. */
extern struct usk_pool *g_bdev_io_pool;
extern size_t g_bdev_io_size;
extern uint32_t g_bdev_io_count;

/* Sets up the layer: the bdev_io pool sized for the registered modules. */
int bdev_layer_init(uint32_t pool_size);
void bdev_layer_fini(void);

/*
 * Whether @io may go now under its bdev's QoS; when not, it is queued on
 * its channel and sent by the channel's QoS poller later.
 */
bool bdev_qos_admit(struct usk_bdev_io *io);
/* Fails the I/O a channel holds for QoS and stops its poller (the channel goes). */
void bdev_qos_channel_fini(struct bdev_channel *ch);
/* Stops a bdev's QoS as it is unregistered. */
void bdev_qos_free(struct usk_bdev *bdev);
/* Sends @io to the module or splits it. */
void bdev_io_start(struct usk_bdev_io *io);
/* Writes bdev_set_qos_limit for @bdev if it has limits. */
void bdev_qos_write_config(struct usk_bdev *bdev, struct usk_json_write_ctx *w);
/* Writes the four limits of @l as named members, with SPDK's names. */
void bdev_qos_write_limits(struct usk_json_write_ctx *w, const struct usk_bdev_qos_limits *l);

/* Registers the layer's RPC methods (bdev_get_bdevs, bdev_get_iostat...). */
int bdev_rpc_register(void);
/* Registers the per-bdev io_device (its channels). */
int bdev_channel_register(struct usk_bdev *bdev);
/* Unregisters it; @done runs once every channel is gone. */
void bdev_channel_unregister(struct usk_bdev *bdev, void (*done)(void *io_device));
/* Adds a channel's counters into @sum (the smallest of the mins, the largest of the maxes). */
void bdev_stat_add(struct usk_bdev_io_stat *sum, const struct usk_bdev_io_stat *add);
/* Sees one channel's counters, on its thread, before they are reset. */
typedef void (*bdev_stat_visit_fn)(void *cb_arg, uint64_t thread_id,
				   const struct usk_bdev_io_stat *stat);
/* Ends a walk: @sum (NULL if none was asked) holds the sum, @rc the walk's status. */
typedef void (*bdev_stat_done_fn)(struct usk_bdev *bdev, struct usk_bdev_io_stat *sum, int rc,
				  void *cb_arg);
/*
 * Walks @b's channels, each on its thread: adds its counters into @sum
 * (unless NULL; released channels' counters come first), shows them to
 * @visit (unless NULL), then resets them per @mode; @done runs on this
 * thread at the end. Returns 0, or -EINVAL / -ENOMEM with no callback.
 */
int bdev_stat_walk(struct usk_bdev *b, struct usk_bdev_io_stat *sum,
		   enum usk_bdev_reset_stat_mode mode, bdev_stat_visit_fn visit,
		   bdev_stat_done_fn done, void *cb_arg);
/* A new channel records latencies if the bdev's histogram is on; -ENOMEM. */
int bdev_histogram_channel_init(struct bdev_channel *ch);
/* A channel goes: its latencies stay with the bdev's. */
void bdev_histogram_channel_fini(struct bdev_channel *ch);
/* The bdev goes: its histogram with it. */
void bdev_histogram_free(struct usk_bdev *b);
/* Calls the callers waiting on @ch for a bdev_io while some are free. */
void bdev_channel_serve_waiters(struct bdev_channel *ch);

#endif /* USK_BDEV_INTERNAL_H */
