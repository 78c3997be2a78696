/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An NVMe controller model for unit tests: a register file in memory and a
 * thread that processes the admin and I/O queues the way a device does,
 * reaching host memory through the IOVA map. It plugs in under the PCI
 * device interface, so lib/nvme runs unchanged against it.
 */
#ifndef USK_TEST_NVME_MODEL_H
#define USK_TEST_NVME_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usk/pci.h"

#define NVME_MODEL_MAX_NS   4
/* NLBAF 63 (0's based): the 64 formats Identify Namespace holds. */
#define NVME_MODEL_MAX_LBAF 64

/* An LBA format the model offers (Identify Namespace LBAF). */
struct nvme_model_lbaf {
	uint16_t ms;   /* bytes of metadata per block */
	uint8_t lbads; /* 2^lbads bytes of data per block, 9 to 12 */
};

/* A namespace's format, as Format NVM's CDW10 sets it (base 5.23). */
struct nvme_model_ns_format {
	uint8_t lbaf; /* index into the table */
	bool mset;    /* metadata at the end of each block's data (extended LBA) */
	uint8_t pi;   /* protection information type, 0 to 3 */
	bool pil;     /* PI in the first 8 bytes of the metadata */
};

struct nvme_model_opts {
	uint32_t ns_count;
	uint64_t ns_blocks[NVME_MODEL_MAX_NS];
	uint32_t ns_block_shift[NVME_MODEL_MAX_NS]; /* 9 or 12; unused with nlbaf */
	/*
	 * The LBA formats every namespace offers, and each one's format at
	 * creation (ns_blocks then counts blocks of it). 0 formats: one, of
	 * ns_block_shift's size, without metadata. A namespace keeps the bytes
	 * of data it was created with: Format NVM changes its block count.
	 */
	uint8_t nlbaf;
	struct nvme_model_lbaf lbaf[NVME_MODEL_MAX_LBAF];
	struct nvme_model_ns_format ns_format[NVME_MODEL_MAX_NS];
	/*
	 * Largest data transfer, 2^mdts 4 KiB pages, 0 for no limit. A command
	 * moving more data ends with Invalid Field in Command (SCT 0, SC 02h).
	 */
	uint8_t mdts;
	uint32_t max_entries; /* CAP.MQES + 1: 2 to 65536 */
	uint16_t max_io_queues;
	bool dbbuf;		    /* offer Doorbell Buffer Config (OACS bit 8) */
	bool sgls;		    /* offer SGLs for I/O data, any alignment (SGLS 01b) */
	uint16_t noiob;		    /* namespaces' optimal I/O boundary in blocks, 0 for none */
	bool dbbuf_idle_eventidx;   /* never move EventIdx: the host should stop ringing */
	bool abort_unsupported;	    /* answer every Abort "not aborted", as QEMU's device does */
	uint32_t ready_delay_ms;    /* a slow controller: CSTS.RDY this long after CC.EN */
	/* CSTS.RDY clears this long after CC.EN does (removed or in fatal status too) */
	uint32_t disable_delay_ms;
	uint32_t shutdown_delay_ms; /* CSTS.SHST 01b at CC.SHN, 10b this long after */
	uint8_t cap_to;		    /* CAP.TO, 500 ms units (0: 1) */
	/*
	 * The clock the delays count on, in microseconds (called on the
	 * model's thread); NULL: CLOCK_MONOTONIC. A test on the clock it moves
	 * (ut_nvme_ticks.h) passes that one, so the host and the model agree.
	 */
	uint64_t (*now_us)(void);
	/*
	 * Out-of-order completion on I/O queues: completions are held per CQ
	 * until this many are held (or the model has fetched all there is),
	 * then posted in a permutation drawn from @seed. 0 or 1: in order.
	 */
	uint32_t reorder_window;
	/*
	 * Hold I/O completions until this many are ready (or the model has
	 * fetched all there is) and post them together, so one reap finds
	 * several. 0 or 1: each as soon as it is done. In order unless
	 * reorder_window is set too (then the group is shuffled).
	 */
	uint32_t completion_batch;
	uint64_t seed; /* for reorder_window; 0 picks a fixed one */
	/*
	 * CAP.DSTRD: doorbells (and shadow doorbells, EventIdx) are
	 * 4 << dstrd bytes apart; 0 to 15.
	 */
	uint8_t dstrd;
	/*
	 * MSI-X vectors (a capability in configuration space), at most 32;
	 * 0: no MSI-X, the controller can only be polled. A CQ created with
	 * IEN signals its vector's eventfd after posting (the admin CQ vector
	 * 0's); a vector with no eventfd holds the message pending until it
	 * gets one (see nvme_model_msix.c).
	 */
	uint16_t msix_vectors;
	/*
	 * Identify Controller's SUBNQN (controllers of NVMe 1.2.1 on report
	 * it); NULL: zeroes, as older ones. Kept by pointer: it must outlive
	 * the model.
	 */
	const char *subnqn;
	/*
	 * Identify Controller's VWC (base 5.17.2.1): bit 0 a volatile write
	 * cache; bits 2:1 whether Flush takes NSID FFFFFFFFh (10b: it is
	 * refused with Invalid Namespace, as a device that says so does).
	 */
	uint8_t vwc;
	/* The Firmware Slot Information log's FRS1..FRS7, as the device sends them. */
	char frs[7][8];
	/*
	 * Identify Namespace's LBADS for the format each namespace is in, as a
	 * device with garbage there reports it; 0: the true one. The model
	 * still serves the true block size.
	 */
	uint8_t reported_lbads;
};

struct nvme_model;

/*
 * Fills @opts with one 1 MiB namespace of 512-byte blocks, MDTS 5, 64
 * entries, 8 queues, CAP.TO 1, DSTRD 0; no delays, completions in order.
 */
void nvme_model_opts_init(struct nvme_model_opts *opts);

/* Creates the model and starts its thread. Returns 0 or a negative errno. */
int nvme_model_create(const struct nvme_model_opts *opts, struct nvme_model **model);

/* Stops the thread and frees everything. The driver must be done with it. */
void nvme_model_destroy(struct nvme_model *model);

/* The device handle to give to usk_nvme_ctrlr_attach_pci(). */
struct usk_pci_device *nvme_model_pci_device(struct nvme_model *model);

/*
 * The next @count commands with opcode @opcode on I/O queues complete with
 * @status (DNR << 14 | SCT << 8 | SC) instead of being executed.
 */
void nvme_model_inject_status(struct nvme_model *model, uint8_t opcode, uint16_t status,
			      uint32_t count);

/*
 * The next @count admin commands with opcode @opcode complete with @status
 * (SCT << 8 | SC) instead of being run: a controller that refuses them,
 * with nothing changed (a Delete refused leaves the queue there).
 */
void nvme_model_inject_admin_status(struct nvme_model *model, uint8_t opcode, uint16_t status,
				    uint32_t count);

/*
 * The next @count I/O commands are consumed and never completed, unless an
 * Abort names them (the model then completes them with Command Abort
 * Requested) or the controller is reset.
 */
void nvme_model_drop_completions(struct nvme_model *model, uint32_t count);

/*
 * The I/O commands dropped so far and not aborted complete, successfully,
 * soon after this call (on the model's thread): a device that was late,
 * not one that lost them. Their data is not moved.
 */
void nvme_model_complete_dropped(struct nvme_model *model);

/*
 * Waits up to 30 s for the model to have taken every command planned to be
 * dropped (it fetches them on its own thread). Returns whether it has: a
 * test that aborts or resets them must not race the fetch.
 */
bool nvme_model_wait_drops_taken(struct nvme_model *model);

/* Whether the model has taken every I/O command it was told to drop (it does not wait). */
bool nvme_model_drops_taken(struct nvme_model *model);

/* The next @count admin commands are consumed and never completed. */
void nvme_model_drop_admin_completions(struct nvme_model *model, uint32_t count);

/* Whether the model has taken every admin command it was told to drop (it does not wait). */
bool nvme_model_admin_drops_taken(struct nvme_model *model);

/* As nvme_model_drop_admin_completions(), after letting @skip admin commands through. */
void nvme_model_drop_admin_completions_after(struct nvme_model *model, uint32_t skip,
					     uint32_t count);

/*
 * Completes a waiting Asynchronous Event Request with @dw0 (type, info,
 * log page), once one is waiting; a request arriving later takes it.
 */
void nvme_model_raise_event(struct nvme_model *model, uint32_t dw0);

/* Asynchronous Event Requests the host has waiting now. */
uint32_t nvme_model_aers_waiting(struct nvme_model *model);

/* The events the host chose with Set Features Async Event Configuration (0 if it did not). */
uint32_t nvme_model_async_event_config(struct nvme_model *model);

/*
 * Changes namespace @nsid's size: up to its size at creation (no new
 * memory); 0 detaches it (it leaves the active namespace list).
 */
void nvme_model_set_ns_blocks(struct nvme_model *model, uint32_t nsid, uint64_t blocks);

/*
 * The next enable (CC.EN 0 to 1) takes @ms before CSTS.RDY, on the
 * model's clock, instead of opts.ready_delay_ms; later ones do not.
 */
void nvme_model_set_ready_delay(struct nvme_model *model, uint32_t ms);

/* Whether the host has the controller enabled now (CC.EN). */
bool nvme_model_enabled(struct nvme_model *model);

/*
 * Whether the model's thread has seen CC.EN set and has not set CSTS.RDY
 * yet: a slow controller counting its ready_delay_ms, or a removed or
 * failed one that will never be ready.
 */
bool nvme_model_waiting_ready(struct nvme_model *model);

/*
 * Whether the model's thread has seen CC.SHN set (and counts its
 * shutdown_delay_ms from then), until the host clears it.
 */
bool nvme_model_shutting_down(struct nvme_model *model);

/* How many times the host has enabled the controller (1 after bring-up). */
uint32_t nvme_model_enable_count(struct nvme_model *model);

/* The I/O submission queues still there when the host last disabled the controller. */
uint32_t nvme_model_live_sqs_at_disable(struct nvme_model *model);

/* Hot-unplug: the device asks to be released and stops processing. */
void nvme_model_remove(struct nvme_model *model);

/* Sets CSTS.CFS, as a controller does on a fatal internal error, and stops processing. */
void nvme_model_set_cfs(struct nvme_model *model);

/*
 * Stops (@pause true) or restarts fetching commands; registers, CC and
 * posting carry on. Pausing returns once the model's thread has finished
 * the pass it was in, so a test can line up a batch the model will then
 * see at once (to make a reorder window fill, say).
 */
void nvme_model_pause(struct nvme_model *model, bool pause);

/* Completion queue entries the model has written on I/O queues. */
uint64_t nvme_model_io_cqes_posted(struct nvme_model *model);

/* Waits (up to 30 s) until nvme_model_io_cqes_posted() reaches @count; returns whether it has. */
bool nvme_model_wait_io_cqes_posted(struct nvme_model *model, uint64_t count);

/*
 * Bad doorbell writes the model has seen: an SQ tail past the ring, a CQ
 * head past the ring or past what the model posted (Invalid Doorbell Write
 * Value), a write to the doorbell of a queue that does not exist (Invalid
 * Doorbell Register). Each is ignored and reported to the host as an
 * Asynchronous Event of type 0 (Error), info 01h or 00h, log page 01h; the
 * next one is sent after the host has read log page 01h.
 */
uint64_t nvme_model_doorbell_errors(struct nvme_model *model);

/* Doorbell writes the model has seen on I/O submission queues. */
uint64_t nvme_model_sq_doorbell_writes(struct nvme_model *model);

/* I/O commands the model has completed. */
uint64_t nvme_model_io_completed(struct nvme_model *model);

/* Abort commands the model has received, whether it could abort or not. */
uint32_t nvme_model_aborts(struct nvme_model *model);

/*
 * Waits up to 30 s for the model to have done every admin command the host
 * has sent so far (answered, dropped or held, as an event request is).
 * Returns whether it has: a test that sent one without waiting for it (an
 * Abort) then sees what it did.
 */
bool nvme_model_admin_settle(struct nvme_model *model);

/*
 * Calls @hook (NULL: none) on the host's thread each time the host routes
 * an eventfd to a vector (usk_pci_device_set_msix_vector() with an fd),
 * after the model has taken it and before the call returns: a test makes
 * something happen exactly between the driver's assign and what follows.
 */
void nvme_model_set_assign_hook(struct nvme_model *model,
				void (*hook)(void *ctx, uint32_t vector), void *ctx);

/* Whether vector @vector has an eventfd (enabled and unmasked) now. */
bool nvme_model_vector_assigned(struct nvme_model *model, uint32_t vector);

/* How many times the host has routed an eventfd to @vector one vector at a time. */
uint64_t nvme_model_vector_assigns(struct nvme_model *model, uint32_t vector);

/* Messages the model has sent to eventfds (pending ones once sent). */
uint64_t nvme_model_msix_signals(struct nvme_model *model);

/* The vector CQ @cqid was last created with, -1 when without interrupts (IEN 0) or never. */
int32_t nvme_model_cq_vector(struct nvme_model *model, uint16_t cqid);

/* The namespace's backing memory, for checking what was written. */
uint8_t *nvme_model_ns_data(struct nvme_model *model, uint32_t nsid);

/*
 * The namespace's metadata, MS bytes per block in LBA order, whichever
 * way the host moves it (extended or separate); protection information
 * in it is big-endian: guard (CRC-16 T10-DIF of the block's data),
 * application tag, reference tag. NULL when the format has none.
 */
uint8_t *nvme_model_ns_md(struct nvme_model *model, uint32_t nsid);

/* Format NVM commands the model has run (successful or not). */
uint32_t nvme_model_formats(struct nvme_model *model);

/*
 * The model reaches host memory as a device behind an IOMMU does: through
 * a table of what the driver mapped (lib/env's DMA map hooks), not through
 * the driver's own translation. An address not in the table fails the
 * command with Data Transfer Error (SCT 0, SC 04h) and counts a fault.
 */

/* Times @model could not reach host memory it was pointed at (data, lists, rings). */
uint64_t nvme_model_dma_faults(struct nvme_model *model);

/*
 * Takes the pages of [@vaddr, @vaddr + @len) out of the models' DMA table
 * only (the driver still thinks them mapped): an IOMMU that lost the
 * mappings. Every model of the process sees it. Returns 0, or -EINVAL
 * when the memory is not registered DMA memory.
 */
int nvme_model_dma_revoke(void *vaddr, size_t len);

/* Puts back what nvme_model_dma_revoke() took, with the driver's IOVAs. Returns 0 or -errno. */
int nvme_model_dma_restore(void *vaddr, size_t len);

/* Inspection (nvme_model_inspect.c). */
struct usk_nvme_sqe;

/*
 * The CQ head doorbell of queue @qid as the model reads it now: the last
 * value the host wrote, to the shadow doorbell when Doorbell Buffer Config
 * set one up (I/O queues), else to the MMIO register. 0 for a new queue.
 */
uint32_t nvme_model_cq_head(struct nvme_model *model, uint16_t qid);

/* Copies to @out the last command the model fetched from SQ @qid (zeroes: none yet). */
void nvme_model_last_sqe(struct nvme_model *model, uint16_t qid, struct usk_nvme_sqe *out);

/*
 * Posts a successful completion with CID @cid, which the host never issued,
 * on the CQ of SQ @qid, and waits (up to 30 s) until it is in the ring.
 * Returns whether it was posted (false: the queue is not live).
 */
bool nvme_model_post_bogus(struct nvme_model *model, uint16_t qid, uint16_t cid);

/*
 * Waits (up to 30 s) until the model has completed @count I/O commands in
 * all (nvme_model_io_completed()): it has fetched and run them and posted
 * their completions (unless the CQ is full, or a reorder window or a
 * completion batch holds them back), whether or not the host has reaped
 * them. Returns whether it has.
 */
bool nvme_model_wait_io_completed(struct nvme_model *model, uint64_t count);

struct usk_nvme_qpair;
struct usk_nvme_cqe;

/* What a test keeps of one command: its callbacks, its last status code, when it ended. */
struct nvme_model_result {
	int calls;
	uint16_t status; /* USK_NVME_STATUS_CODE() of the last completion */
	int order;	 /* completions before it, counted from nvme_model_results_restart() */
};

/* A completion callback for a struct nvme_model_result. */
void nvme_model_result_done(void *arg, const struct usk_nvme_cqe *cpl);

/* What a reset asked for with usk_nvme_ctrlr_reset_async() called back. */
struct nvme_model_reset_result {
	int calls;
	int rc;
};

struct usk_nvme_ctrlr;

/* A usk_nvme_reset_cb for a struct nvme_model_reset_result. */
void nvme_model_reset_done(void *arg, struct usk_nvme_ctrlr *ctrlr, int rc);

/* Counts the order of the next completions from 0. */
void nvme_model_results_restart(void);

/*
 * Polls @qpair until *@counter reaches @want or @seconds pass, yielding the
 * CPU between empty polls so the model's thread runs on a busy machine.
 * Returns *@counter.
 */
int nvme_model_poll_until(struct usk_nvme_qpair *qpair, const int *counter, int want,
			  unsigned int seconds);

struct usk_nvme_ns;
struct usk_nvme_ctrlr_opts;

/*
 * Polls @ctrlr's admin queue while usk_nvme_ctrlr_admin_busy() says so (a
 * reset's steps, callbacks to run), or until it fails, for up to @seconds
 * of real time: a bound, not an oracle. Returns whether it settled.
 */
bool nvme_model_admin_poll_while_busy(struct usk_nvme_ctrlr *ctrlr, unsigned int seconds);

/* An I/O queue pair of @entries (0: the controller's default), other options default. */
int nvme_model_alloc_qpair(struct usk_nvme_ctrlr *ctrlr, uint32_t entries,
			   struct usk_nvme_qpair **qpair);

/* The usual set-up of a test: a model, its controller attached, namespace 1, a queue pair. */
struct nvme_model_fixture {
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_ns *ns; /* namespace 1 */
	struct usk_nvme_qpair *q;
	uint8_t *buf; /* 256 KiB of DMA memory */
};

/*
 * Sets @f up: the model with @mo, attached with @co (NULL: defaults for
 * either), a queue pair of @entries. Returns 0 or the first error.
 */
int nvme_model_fixture_up(struct nvme_model_fixture *f, const struct nvme_model_opts *mo,
			  const struct usk_nvme_ctrlr_opts *co, uint32_t entries);

/* The one-block reads nvme_model_read_window() makes. */
#define NVME_MODEL_WINDOW_READS 8

/*
 * NVME_MODEL_WINDOW_READS one-block reads of blocks 0.. on @f's queue pair,
 * polled to completion (30 s each at most): a window of I/O, for tests
 * that show another controller's slowness holds up none of it. Returns
 * how many completed (all of them unless a submission failed).
 */
int nvme_model_read_window(struct nvme_model_fixture *f);

/* Frees the queue pair, detaches, destroys the model. Returns 0 or the first error. */
int nvme_model_fixture_down(struct nvme_model_fixture *f);

/*
 * A closed loop of one-block reads for tests: start @submitted reads with
 * nvme_model_loop_done as callback; each completion starts the next until
 * @target were started.
 */
struct nvme_model_loop {
	struct usk_nvme_ns *ns;
	struct usk_nvme_qpair *q;
	void *buf;
	int submitted;
	int completed;
	int target;
	int errors;
	/*
	 * Polls of nvme_model_loop_poll() whose callbacks started reads: each
	 * such poll writes the SQ tail doorbell once, at its end.
	 */
	int batches;
};

/* The loop's completion callback (arg: the struct nvme_model_loop). */
void nvme_model_loop_done(void *arg, const struct usk_nvme_cqe *cpl);

/* Starts one read of the loop; returns 0 or the submission's error. */
int nvme_model_loop_submit(struct nvme_model_loop *loop);

/*
 * Polls the loop's queue pair until @target reads completed or @seconds
 * pass, counting loop->batches. Returns loop->completed.
 */
int nvme_model_loop_poll(struct nvme_model_loop *loop, unsigned int seconds);

struct usk_nvme_qpair_stats;

/* The queue pair's counters (usk_nvme_qpair_get_stats()); the owner thread only. */
struct usk_nvme_qpair_stats nvme_model_qpair_stats(const struct usk_nvme_qpair *qpair);

#endif /* USK_TEST_NVME_MODEL_H */
