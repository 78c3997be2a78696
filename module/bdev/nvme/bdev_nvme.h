/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev module's shared state: a controller attached by transport
 * ID, whose active namespaces are bdevs <name>n<nsid>, and per-thread
 * channels that each own one I/O queue pair.
 */
#ifndef USK_BDEV_NVME_H
#define USK_BDEV_NVME_H

#include "usk/nvme.h"
#include "bdev_modules.h"

struct nvme_bdev;

/* What bdev_nvme_attach_controller asks for beyond the transport ID. */
struct bdev_nvme_attach_opts {
	uint32_t num_io_queues; /* 0: the driver's default */
	bool hdgst;		/* NVMe/TCP header and data digests */
	bool ddgst;
	char hostnqn[USK_NVMF_NQN_MAX_LEN + 1]; /* empty: the driver's default */
	bool no_interrupts; /* enable_interrupts false: no MSI-X, the queues are polled only */
	/* NVMe/TCP: what a lost connection does (usk_nvme_ctrlr_opts' fields of these names). */
	int32_t ctrlr_loss_timeout_sec;
	uint32_t reconnect_delay_sec;
	uint32_t fast_io_fail_timeout_sec;
};

struct nvme_bdev_ctrlr {
	char *name; /* "Nvme0": the bdevs are Nvme0n1, Nvme0n2... */
	struct usk_nvme_ctrlr *ctrlr;
	/* Where it was attached: its poller runs, and its state changes, only there. */
	struct usk_thread *thread;
	struct usk_poller *admin_poller; /* health and admin completions, every 100 ms */
	/*
	 * The same on every turn of the thread, paused unless admin commands
	 * or resets of ours are under way (nvme_bdev_ctrlr_wake()).
	 */
	struct usk_poller *admin_fast_poller;
	/* With the admin vector: bounds the thread's sleeps (nvme_bdev_ctrlr_sleep()). */
	struct usk_poller *admin_sleep_bound;
	uint32_t resets_pending;	  /* nvme_bdev_ctrlr_reset()s not yet called back */
	struct usk_poller *detach_poller; /* waits for the channels' queue pairs to go */
	bool detaching;			  /* and then polls the detach started */
	struct bdev_nvme_attach_opts attach; /* what the attach asked for, for save_config */
	struct nvme_bdev **bdevs;	  /* by nsid - 1; NULL once destructed */
	uint32_t num_bdevs;		  /* entries of bdevs */
	uint32_t bdevs_left;		  /* registered and not yet destructed */
	bool removing;
	bool released; /* on its way to detach: once only */
	/* Told once the controller is detached (the detach RPC's answer). */
	void (*detached_cb)(void *cb_arg);
	void *detached_arg;
	struct nvme_bdev_ctrlr *next;
};

struct nvme_bdev {
	struct usk_bdev bdev;
	struct nvme_bdev_ctrlr *nc;
	struct usk_nvme_ns *ns;
	uint32_t index; /* in nc->bdevs */
	bool ns_gone;	/* unregistered because its namespace went: the controller stays */
	bool ns_reformatted; /* and to come back in the namespace's new format */
};

struct nvme_bdev_channel;

/* What each bdev_io carries for the module. */
struct nvme_bdev_io {
	struct usk_bdev_io *next; /* in its channel's list of I/O waiting for room or to retry */
	struct nvme_bdev_channel *ch;
	int range_slot;	  /* the channel's DSM range it holds (unmap), or -1 */
	uint32_t retries; /* times it failed and was sent again, those a reset ended not counted */
	struct usk_thread *thread; /* a reset I/O's submitter, where it completes */
	int reset_rc;
};

/* The I/O side (bdev_nvme_io.c). */
void nvme_bdev_submit(struct usk_io_channel *ch, struct usk_bdev_io *io);
bool nvme_bdev_io_type_supported(void *ctxt, enum usk_bdev_io_type type);
struct usk_io_channel *nvme_bdev_get_io_channel(void *ctxt);
/* Registers @nc as the io_device whose channels own the queue pairs. */
int nvme_bdev_io_device_register(struct nvme_bdev_ctrlr *nc);
/*
 * A timed poller that does nothing: being due is its work, to keep the
 * sleeps of a thread that sleeps on the device's interrupts under
 * NVME_BDEV_SLEEP_MAX_US, since only polls find late commands and a
 * controller that is gone.
 */
int nvme_bdev_sleep_bound(void *ctx);
#define NVME_BDEV_SLEEP_MAX_US 1000000

/*
 * Polls the controller's admin side on every turn of its thread for as
 * long as there is admin work (the channels' queue creation, a reset): a
 * message to the controller's thread. Any thread.
 */
void nvme_bdev_ctrlr_wake(struct nvme_bdev_ctrlr *nc);
/*
 * Resets the controller from its own thread (its admin poll does the
 * work) and calls @cb there once done. Any thread; returns 0, or the error
 * of the message that would start it (@cb is then not called).
 */
int nvme_bdev_ctrlr_reset(struct nvme_bdev_ctrlr *nc, usk_nvme_reset_cb cb, void *cb_arg);
/*
 * Fills @bdev's geometry from namespace @ns's format: block size (data,
 * and metadata when it follows each block's data), metadata and PI
 * fields. -ENOTSUP, saying why in @err, for a namespace that gets no
 * bdev: one the driver does not serve, or with separate metadata
 * (bdev_nvme_ns.c).
 */
int nvme_bdev_ns_geometry(struct usk_nvme_ns *ns, struct usk_bdev *bdev, char *err, size_t errlen);
/*
 * Whether namespace @ns is in another format than @bdev was made for
 * (block size, metadata, PI), or in one no bdev is made for.
 */
bool nvme_bdev_ns_reformatted(struct usk_nvme_ns *ns, const struct usk_bdev *bdev);

/* The bdev's last user is gone; on the controller's thread. */
void nvme_bdev_ctrlr_bdev_gone(struct nvme_bdev *nb);

/*
 * How an attach went: @nc on success; else @rc, with why in @err (as a
 * params error names a field). On the thread that asked.
 */
typedef void (*bdev_nvme_attach_cb)(void *cb_arg, struct nvme_bdev_ctrlr *nc, int rc,
				    const char *err);
/*
 * Attaches the controller at @trid with @opts (NULL: the defaults; with
 * no_interrupts its queues are polled only, and a thread that sleeps looks
 * at them every few ms) and registers a bdev <name>n<nsid> for each active
 * namespace, without waiting: a poller of the calling thread moves the
 * bring-up on, and @cb hears at the end. Returns 0 (@cb will be called) or
 * an error with why in @err (it will not): the name is taken, also by an
 * attach under way, or the device cannot be opened.
 */
int bdev_nvme_attach(const char *name, const char *trid, const struct bdev_nvme_attach_opts *opts,
		     bdev_nvme_attach_cb cb, void *cb_arg, char *err, size_t errlen);
/*
 * As bdev_nvme_attach(), for a controller already attached (e.g. on a
 * test's model); it is detached on failure.
 */
int bdev_nvme_attach_ctrlr(const char *name, struct usk_nvme_ctrlr *ctrlr,
			   struct nvme_bdev_ctrlr **nc, char *err, size_t errlen);
/*
 * Unregisters the controller's bdevs, then detaches it; @cb hears once it
 * is detached. -ENODEV for an unknown name, -EBUSY when already going.
 */
int bdev_nvme_detach(const char *name, void (*cb)(void *cb_arg), void *cb_arg);

/* The controller called @name, or NULL. */
struct nvme_bdev_ctrlr *nvme_bdev_ctrlr_get(const char *name);

/* The first controller (NULL: none), and the one after @nc, in attach order (newest first). */
struct nvme_bdev_ctrlr *nvme_bdev_ctrlr_first(void);
struct nvme_bdev_ctrlr *nvme_bdev_ctrlr_next(const struct nvme_bdev_ctrlr *nc);

/* Writes {"trtype": "PCIe", "traddr": ...} members of the controller's transport ID. */
void nvme_bdev_ctrlr_write_trid(const struct nvme_bdev_ctrlr *nc, struct usk_json_write_ctx *w);

/* The module's options (bdev_nvme_options.c): bdev_nvme_set_options. */
int bdev_nvme_options_rpc_register(void);
/* Puts the options set by bdev_nvme_set_options, if any, into a controller's @opts. */
void nvme_bdev_options_apply(struct usk_nvme_ctrlr_opts *opts);
/* Fills @ao's reconnect policy with bdev_nvme_set_options' (0, 0, 0 until set). */
void nvme_bdev_options_reconnect_defaults(struct bdev_nvme_attach_opts *ao);
/* Whether a failed I/O sent again @retries times before may go once more (bdev_retry_count). */
bool nvme_bdev_options_may_retry(uint32_t retries);
/* Writes the bdev_nvme_set_options call, if the options were set. */
void nvme_bdev_options_write_config(struct usk_json_write_ctx *w);

#endif /* USK_BDEV_NVME_H */
