/* SPDX-License-Identifier: BSD-3-Clause */
/* The NVMe model's state, shared by its queue engine and its PCI face. */
#ifndef USK_TEST_NVME_MODEL_INTERNAL_H
#define USK_TEST_NVME_MODEL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "nvme_model.h"
#include "usk/nvme_spec.h"
#include "usk/util.h"

/*
 * How long a test helper waits for the model's own thread (1 ms naps or
 * the real clock): a bound, never an oracle, as long as the tests' other
 * bounds, so a loaded host's slow thread does not fail a test.
 */
#define MODEL_WAIT_LIMIT_MS 30000

#define MODEL_QUEUES 17 /* admin + 16 I/O */
#define MODEL_MSIX_MAX 32 /* most MSI-X vectors a model may have */
#define MODEL_PAGE   4096u
/* Asynchronous Event Requests the model keeps (Identify Controller AERL + 1). */
#define MODEL_AER_MAX 4
/* Dropped I/O commands the model remembers, so an Abort can end them. */
#define MODEL_DROPPED_MAX 1024
/* CSTS.SHST 01b: shutdown processing occurring (base 3.1.x, CSTS). */
#define MODEL_CSTS_SHST_OCCURRING (1u << 2)
/* What an I/O SQ doorbell register holds until the host writes it. */
#define MODEL_DOORBELL_UNWRITTEN UINT32_MAX

struct model_queue {
	bool live;
	uint64_t base; /* IOVA */
	uint32_t entries; /* up to 65536 (QSIZE FFFFh) */
	uint16_t head; /* SQ: next to fetch; CQ: next to post */
	uint16_t cqid; /* SQ only */
	uint8_t phase; /* CQ only */
	bool ien;      /* CQ only: interrupts enabled, on vector @iv */
	uint16_t iv;
};

/* A completion made but not posted yet. */
struct model_cpl {
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;
	uint32_t dw0;
};

/* A CQ's completions not posted yet: the first @ready are released, in posting order. */
struct model_cq_pending {
	struct model_cpl *cpl;
	uint32_t count;
	uint32_t ready;
	uint32_t capacity;
};

/* A namespace's format in use (nvme_model_ns.c); the model's thread only after creation. */
struct model_ns {
	struct nvme_model_ns_format format;
	uint32_t shift; /* 2^shift bytes of data per block */
	uint32_t ms;	/* bytes of metadata per block */
	uint64_t bytes; /* of ns_data: what the namespace holds whatever its format */
};

struct nvme_model {
	struct usk_pci_device pci;
	struct nvme_model_opts opts;
	uint8_t *regs;
	uint8_t cfg[256];
	uint8_t *ns_data[NVME_MODEL_MAX_NS];
	uint8_t *ns_md[NVME_MODEL_MAX_NS]; /* ms bytes per block; room for any format */
	struct model_ns ns[NVME_MODEL_MAX_NS];
	atomic_uint formats;
	uint64_t ns_capacity[NVME_MODEL_MAX_NS]; /* blocks of ns_data */
	struct model_queue sq[MODEL_QUEUES];
	struct model_queue cq[MODEL_QUEUES];
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t fault_lock;
	uint8_t fault_opcode;
	uint16_t fault_status;
	uint32_t fault_count;
	uint32_t drop_count;
	uint32_t admin_drop_count;
	uint32_t admin_drop_skip; /* admin commands let through before the drops */
	/* Admin commands with this opcode answered with a status instead of run. */
	uint8_t admin_fault_opcode;
	uint16_t admin_fault_status;
	uint32_t admin_fault_count;
	/* Dropped I/O commands by SQ ID << 16 | CID; the model's thread only. */
	uint32_t dropped[MODEL_DROPPED_MAX];
	uint32_t dropped_count;
	atomic_bool complete_dropped; /* the test asked them to complete now */
	atomic_uint enable_count;
	atomic_uint live_sqs_at_disable; /* I/O SQs the host had not deleted at the last disable */
	bool enable_seen;		 /* CC.EN has been seen set since it was last clear */
	uint64_t enable_seen_us;	 /* when, on the ready_delay_ms clock */
	/* That clock on opts.now_us: its last reading, and how far the test stepped it back. */
	uint64_t clock_last_us;
	uint64_t clock_step_us;
	atomic_bool waiting_ready;	 /* CC.EN seen set, CSTS.RDY not set yet */
	/* Asynchronous Event Requests waiting (CIDs), and an event to send. */
	uint16_t aer_cids[MODEL_AER_MAX];
	uint32_t aer_count;
	atomic_bool event_raised;
	uint32_t event_dw0;
	_Atomic uint64_t sq_doorbell_writes;
	_Atomic uint64_t io_completed;
	atomic_uint aborts; /* Abort commands received */
	/*
	 * Set while the model takes the admin SQ tail doorbell and runs what it
	 * fetched (nvme_model_admin_settle(): a taken doorbell with this clear
	 * means every admin command written so far is done).
	 */
	atomic_bool admin_fetching;
	uint32_t last_tail[MODEL_QUEUES];
	/* With shadow doorbells an idle SQ sleeps until its MMIO doorbell is written. */
	bool sq_awake[MODEL_QUEUES];
	uint32_t arbitration;  /* Set Features Arbitration's CDW11 */
	uint32_t async_event_config; /* Set Features Async Event Configuration's CDW11 */
	uint64_t dbbuf_shadow; /* IOVAs from Doorbell Buffer Config, 0 when off */
	uint64_t dbbuf_eventidx;
	bool thread_started;
	atomic_bool removed;
	atomic_bool halted;	     /* stop processing commands (removal, CFS) */
	_Atomic uint64_t dma_faults; /* host memory it could not reach */
	/* Completions waiting per CQ (the model's thread only; kept across enables). */
	struct model_cq_pending pending[MODEL_QUEUES];
	uint64_t rng; /* reordering's random state, from opts.seed */
	_Atomic uint64_t io_cqes_posted;
	atomic_bool paused;	 /* fetch no commands (a test lines up a batch) */
	_Atomic uint64_t passes; /* the thread's loops, for nvme_model_pause() */
	/* CQ head doorbells: the register's last value seen, and the last valid one. */
	uint32_t cq_db_raw[MODEL_QUEUES];
	uint32_t cq_head_db[MODEL_QUEUES];
	_Atomic uint64_t doorbell_errors;
	/* An Error event (type 0) to send, and whether such events wait for log page 01h. */
	bool error_event_pending;
	uint8_t error_event_info;
	bool error_event_masked;
	/* The next enable's ready delay (nvme_model_set_ready_delay), or -1 for opts'. */
	_Atomic int64_t next_ready_delay_ms;
	uint64_t ready_delay_us; /* this enable's */
	bool disable_seen;	 /* CC.EN seen clear while CSTS.RDY was set */
	uint64_t disable_seen_us;
	atomic_bool shutdown_seen; /* CC.SHN seen set */
	uint64_t shutdown_seen_us;
	/* Inspection (nvme_model_inspect.c); fault_lock guards last_sqe. */
	struct usk_nvme_sqe last_sqe[MODEL_QUEUES]; /* the last command fetched, per SQ */
	uint16_t bogus_qid; /* a completion to post with CID bogus_cid, when requested */
	uint16_t bogus_cid;
	atomic_bool bogus_requested;
	_Atomic uint64_t bogus_posted;
	/* MSI-X (nvme_model_msix.c); msix_lock guards all but the counter. */
	pthread_mutex_t msix_lock;
	uint32_t msix_enabled; /* vectors the host enabled, 0: MSI-X off */
	int msix_fd[MODEL_MSIX_MAX]; /* -1: no eventfd, the vector is masked */
	bool msix_pending[MODEL_MSIX_MAX];
	uint64_t msix_assigns[MODEL_MSIX_MAX];
	int32_t cq_vector[MODEL_QUEUES]; /* each CQ's vector as last created, -1 without IEN */
	void (*assign_hook)(void *ctx, uint32_t vector);
	void *assign_hook_ctx;
	_Atomic uint64_t msix_signals;
};

static inline volatile uint32_t *model_reg32(struct nvme_model *m, uint32_t off)
{
	return (volatile uint32_t *)(m->regs + off);
}

/*
 * Where @qid's SQ tail (or CQ head) doorbell is, in bytes from the first:
 * (2 * qid + cq) * (4 << CAP.DSTRD) (base 3.1.x, SQyTDBL / CQyHDBL). The
 * shadow doorbell and EventIdx buffers use the same offsets (base 5.8).
 */
static inline uint32_t model_db_offset(const struct nvme_model *m, uint16_t qid, bool cq)
{
	return (2u * qid + cq) * (4u << m->opts.dstrd);
}

/* The register file's size: the doorbells of every queue the model has, whole pages. */
static inline uint32_t model_regs_size(const struct nvme_model *m)
{
	uint32_t end = USK_NVME_REG_DOORBELL_BASE + model_db_offset(m, MODEL_QUEUES, false);

	return (end + MODEL_PAGE - 1) & ~(MODEL_PAGE - 1);
}

/* The model's thread: watches CC and the doorbells, runs commands (nvme_model.c). */
void *nvme_model_thread_main(void *arg);

/*
 * Takes a fault planned for @cmd on @qid, if any: returns true to drop it,
 * or sets *@status (nvme_model.c).
 */
bool model_take_fault(struct nvme_model *m, uint16_t qid, const struct usk_nvme_sqe *cmd,
		      uint16_t *status);

/* Host memory (nvme_model_dma.c). */

/*
 * Takes (and gives back) the process's DMA table: the first model alive
 * installs lib/env's DMA map hooks, the last removes them. Returns 0 or
 * the error of installing them.
 */
int model_dma_get(void);
void model_dma_put(void);

/*
 * Where @len bytes at @iova are in this process, through the model's own
 * table, or NULL (counted as a DMA fault of @m) when they are not all mapped.
 */
void *model_host(struct nvme_model *m, uint64_t iova, uint64_t len);

/* Moves a command's data between host memory and @buf, by SGL or PRPs; returns a status. */
uint16_t model_data_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			 uint64_t len, bool to_host);

/* Queues and doorbells (nvme_model_queue.c). */

/* Sets @qid's doorbell register as a newly created queue finds it. */
void model_doorbell_init(struct nvme_model *m, uint16_t qid, bool cq);

/* Sets every doorbell as a controller just enabled has them: only the admin queue's live. */
void model_doorbells_reset(struct nvme_model *m);

/* Marks @qid's doorbell register as one no queue has (writing it is an error). */
void model_doorbell_retire(struct nvme_model *m, uint16_t qid, bool cq);

/*
 * Checks the doorbells of queues the model has no work for: a write to a
 * queue that does not exist, a CQ head out of range (each pass).
 */
void model_check_doorbells(struct nvme_model *m);

/*
 * Makes a completion for @cid of @sqid on the CQ @sq feeds: posted now if
 * the CQ has room and nothing is held back, else kept until it can be.
 */
void model_post(struct nvme_model *m, struct model_queue *sq, uint16_t sqid, uint16_t cid,
		uint16_t status, uint32_t dw0);

/* Releases @cqid's held completions and posts what the CQ has room for. */
void model_cq_flush(struct nvme_model *m, uint16_t cqid);

/* model_cq_flush() on every CQ (each pass: every SQ has been drained). */
void model_cqs_flush(struct nvme_model *m);

/* Forgets @cqid's unposted completions (the CQ was deleted or the controller reset). */
void model_cq_discard(struct nvme_model *m, uint16_t cqid);

/* Fetches and runs what the host put on @qid's SQ. */
void model_process_sq(struct nvme_model *m, uint16_t qid);

/* Commands (nvme_model_admin.c, nvme_model_io.c); each returns the status. */
uint16_t model_admin(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t *dw0);
uint16_t model_abort(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t *dw0);
uint16_t model_io(struct nvme_model *m, const struct usk_nvme_sqe *cmd);

/* Namespaces and their formats (nvme_model_ns.c). */

/* Allocates the namespaces' data and metadata for opts; returns 0 or -errno. */
int model_ns_create(struct nvme_model *m);

/* Frees them. */
void model_ns_destroy(struct nvme_model *m);

/* Fills Identify Namespace for @nsid: size, format table, FLBAS, MC, DPC, DPS. */
void model_identify_ns(struct nvme_model *m, uint32_t nsid, struct usk_nvme_ns_data *nd);

/* Format NVM (base 5.23): LBAF, MSET, PI, PIL; the data and metadata are erased. */
uint16_t model_format(struct nvme_model *m, const struct usk_nvme_sqe *cmd);

/* Protection information (nvme_model_pi.c). */

/* The 8 bytes of PI for @data (@len bytes): CRC-16 T10-DIF guard, @apptag, @reftag. */
void model_pi_generate(uint8_t *pi, const uint8_t *data, uint32_t len, uint16_t apptag,
		       uint32_t reftag);

/*
 * Checks @pi against @data for the PRCHK bits of @cdw12 (end-to-end data protection):
 * returns 0, or Guard / Application Tag / Reference Tag Check Error.
 * @cdw15 holds the expected application tag and its mask; @reftag the
 * expected reference tag (checked for PI types 1 and 2 only).
 */
uint16_t model_pi_check(const uint8_t *pi, const uint8_t *data, uint32_t len, uint8_t pi_type,
			uint32_t cdw12, uint32_t cdw15, uint32_t reftag);

/*
 * The CQ head doorbell of @qid as the host last wrote it (the shadow one
 * for an I/O queue once Doorbell Buffer Config set them up, else the MMIO
 * register), read without taking it: any thread, no checks, no state.
 */
uint32_t model_cq_doorbell(struct nvme_model *m, uint16_t qid);

/* MSI-X (nvme_model_msix.c). */

/* Puts the capability in configuration space (opts.msix_vectors) and masks every vector. */
void model_msix_init(struct nvme_model *m);
void model_msix_fini(struct nvme_model *m);

/* Sends @cqid's interrupt (the model's thread, after posting to it), or holds it pending. */
void model_msix_raise(struct nvme_model *m, uint16_t cqid);

/* The PCI ops: enable @count vectors with @fds (-1: masked); one vector's eventfd. */
int model_msix_set(struct nvme_model *m, const int *fds, uint32_t count);
int model_msix_set_vector(struct nvme_model *m, uint32_t vector, int fd);

/* Notes a CQ's IEN and IV as Create I/O CQ set them, for nvme_model_cq_vector(). */
void model_msix_note_cq(struct nvme_model *m, uint16_t cqid, bool ien, uint16_t iv);

/* Inspection (nvme_model_inspect.c). */

/* Notes the command the model just fetched from @qid's SQ. */
void model_note_sqe(struct nvme_model *m, uint16_t qid, const struct usk_nvme_sqe *cmd);

/* The model's thread, each pass while running: posts a requested bogus completion. */
void model_inspect_work(struct nvme_model *m);

#endif /* USK_TEST_NVME_MODEL_INTERNAL_H */
