/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver's completion path against a hostile device. A controller is
 * attached to the NVMe model and given I/O queue pairs of a few sizes;
 * then the model stops processing (its halt, as after a surprise removal,
 * with the registers still answering), so the input alone plays the
 * device: reads go into a queue pair, the input writes completion entries
 * straight into its ring, as a device's DMA would, and
 * usk_nvme_qpair_process_completions() reaps them. Bogus CIDs, phase bits
 * either way, any status, entries past the head and around the ring.
 *
 * Invariant: no crash, and every read completes at most once while the
 * input plays the device, and exactly once after what is left is ended
 * the way usk_nvme_ctrlr_free_io_qpair() ends it (nvme_qpair_abort_all).
 * Between inputs the queue pair's ring is emptied as after a reset
 * (nvme_pcie_qpair_reset_ring), so no admin command runs per input.
 *
 * Input: [queue pair][reads] then rounds of
 *   [count][offset][max] count x 16-byte CQEs
 * each written from slot (driver's head + offset) on, wrapping, then
 * reaped with max (0: all).
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvme_internal.h"
#include "nvme_model_internal.h"
#include "usk/env.h"
#include "usk/nvme.h"

/* Queue pair sizes: the smallest, odd ones, and the model's largest. */
static const uint32_t g_sizes[] = {2, 3, 4, 7, 16, 32};
#define FUZZ_QPAIRS (sizeof(g_sizes) / sizeof(g_sizes[0]))
#define FUZZ_MAX_ENTRIES 32
/* Reads beyond the ring's room wait in the driver and go out as entries free up. */
#define FUZZ_MAX_READS (2 * FUZZ_MAX_ENTRIES)

static struct nvme_model *g_model;
static struct usk_nvme_ctrlr *g_ctrlr;
static struct usk_nvme_ns *g_ns;
static struct usk_nvme_qpair *g_qpairs[FUZZ_QPAIRS];
static void *g_buf;
/* Completions seen per read; the reads' callback argument points into it. */
static int g_calls[FUZZ_MAX_READS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct nvme_model_opts mo;

	fuzz_quiet_logs();
	if (usk_env_init(NULL) != 0) {
		return -1;
	}
	nvme_model_opts_init(&mo);
	mo.max_entries = FUZZ_MAX_ENTRIES;
	if (nvme_model_create(&mo, &g_model) != 0 ||
	    usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_ctrlr) != 0) {
		return -1;
	}
	for (size_t i = 0; i < FUZZ_QPAIRS; i++) {
		if (nvme_model_alloc_qpair(g_ctrlr, g_sizes[i], &g_qpairs[i]) != 0) {
			return -1;
		}
	}
	g_ns = usk_nvme_ctrlr_get_ns(g_ctrlr, 1);
	g_buf = usk_dma_zmalloc(4096, 4096, USK_ENV_NUMA_ANY);
	/* From here the model fetches nothing and posts nothing: the rings are the input's. */
	atomic_store(&g_model->halted, true);
	return g_ns != NULL && g_buf != NULL ? 0 : -1;
}

static void read_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	int *calls = arg;

	FUZZ_CHECK(++*calls == 1, "read %td completed twice (CID %u, status 0x%x)",
		   calls - g_calls, cpl->cid, cpl->status);
}

/* Plays the device: the input's rounds of entries, each followed by a reap. */
static void play_device(struct usk_nvme_qpair *q, const uint8_t *data, size_t size)
{
	while (size >= 3) {
		uint32_t count = data[0] % (q->num_entries + 1u);
		uint32_t slot = (q->cq_head + data[1]) % q->num_entries;
		uint32_t max = data[2];

		data += 3;
		size -= 3;
		for (uint32_t i = 0; i < count && size >= sizeof(struct usk_nvme_cqe); i++) {
			memcpy(&q->cq[slot], data, sizeof(struct usk_nvme_cqe));
			slot = (slot + 1) % q->num_entries;
			data += sizeof(struct usk_nvme_cqe);
			size -= sizeof(struct usk_nvme_cqe);
		}
		usk_nvme_qpair_process_completions(q, max);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usk_nvme_qpair *q;
	uint32_t reads, i;

	if (size < 2) {
		return 0;
	}
	q = g_qpairs[data[0] % FUZZ_QPAIRS];
	reads = 1 + data[1] % FUZZ_MAX_READS;
	nvme_pcie_qpair_reset_ring(q);
	memset(g_calls, 0, sizeof(g_calls));
	for (i = 0; i < reads; i++) {
		if (usk_nvme_ns_read(g_ns, q, g_buf, i, 1, read_done, &g_calls[i]) != 0) {
			break;
		}
	}
	/* The driver takes as many as fit in the ring and its waiting list; no fewer. */
	FUZZ_CHECK(i == reads || i >= q->num_entries - 1u, "read %u of %u refused", i, reads);
	reads = i;
	play_device(q, data + 2, size - 2);
	nvme_qpair_abort_all(q);
	for (i = 0; i < reads; i++) {
		FUZZ_CHECK(g_calls[i] == 1, "read %u completed %d times", i, g_calls[i]);
	}
	FUZZ_CHECK(usk_nvme_qpair_get_outstanding(q) == 0, "%u commands left after the abort",
		   usk_nvme_qpair_get_outstanding(q));
	return 0;
}
