/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes and reads back data through lib/nvme on every controller bound to
 * vfio-pci and every active namespace: random LBAs and sizes from one block
 * to the maximum transfer, buffers at every 4-byte alignment class, with
 * several commands in flight, from two threads that each own a queue pair
 * and half of the namespace. Exits 0 when every byte read back matches.
 *
 * Usage: nvme_rw [ROUNDS [OPTIONS]]   (OPTIONS: "mmio" for no shadow doorbells,
 * "nosgl" for PRPs only, comma-separated). With SGLs buffers start at any byte.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

#define MAX_CTRLRS 8
#define DEPTH	   8

struct io {
	uint8_t *buf;
	uint8_t *expect;
	uint64_t lba;
	uint32_t blocks;
	int done;
	uint16_t status;
};

static struct usk_nvme_ctrlr *g_ctrlrs[MAX_CTRLRS];
static int g_nctrlrs;
static struct usk_nvme_ctrlr_opts g_opts;

/* Each thread draws from its own generator. */
static uint64_t rnd(uint64_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	return *seed;
}

static int attach_one(void *ctx, const struct usk_pci_device_info *info)
{
	struct usk_pci_device *dev;

	if (strcmp(info->driver, "vfio-pci") != 0 || g_nctrlrs == MAX_CTRLRS) {
		return 0;
	}
	if (usk_pci_device_attach(&info->addr, &dev) != 0 ||
	    usk_nvme_ctrlr_attach_pci(dev, &g_opts, &g_ctrlrs[g_nctrlrs]) != 0) {
		return -1;
	}
	g_nctrlrs++;
	return 0;
}

static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct io *io = arg;

	io->done++;
	io->status = USK_NVME_STATUS_CODE(cpl->status);
}

/* Runs DEPTH commands at once (writes or reads) and waits for all. */
static int run_batch(struct usk_nvme_ns *ns, struct usk_nvme_qpair *q, struct io *ios, bool write)
{
	int n = 0;

	for (int i = 0; i < DEPTH; i++) {
		ios[i].done = 0;
		int rc = write ? usk_nvme_ns_write(ns, q, ios[i].buf, ios[i].lba, ios[i].blocks,
						   io_done, &ios[i])
			       : usk_nvme_ns_read(ns, q, ios[i].buf, ios[i].lba, ios[i].blocks,
						  io_done, &ios[i]);
		if (rc != 0) {
			fprintf(stderr, "submit failed: %d\n", rc);
			return -1;
		}
	}
	/* Count requests, not commands: a split request takes several. */
	while (n < DEPTH) {
		usk_nvme_qpair_process_completions(q, 0);
		usk_nvme_ctrlr_process_admin_completions(usk_nvme_qpair_get_ctrlr(q));
		n = 0;
		for (int i = 0; i < DEPTH; i++) {
			n += ios[i].done > 0;
		}
	}
	for (int i = 0; i < DEPTH; i++) {
		if (ios[i].done != 1 || ios[i].status != 0) {
			fprintf(stderr, "I/O at LBA %llu: done %d times, status %s\n",
				(unsigned long long)ios[i].lba, ios[i].done,
				usk_nvme_status_string(ios[i].status));
			return -1;
		}
	}
	return 0;
}

struct half {
	struct usk_nvme_ctrlr *ctrlr;
	struct usk_nvme_ns *ns;
	uint64_t first_lba;
	uint64_t nblocks;
	int rounds;
	uint64_t seed;
	int rc;
};

/* One thread: its own queue pair, writes and reads back in its half. */
static void *test_half(void *arg)
{
	struct half *h = arg;
	uint32_t bs = usk_nvme_ns_get_block_size(h->ns);
	/* Up to 4 x MDTS: the driver splits what the controller cannot take at once. */
	uint32_t max_xfer = 4 * usk_nvme_ctrlr_get_max_xfer_size(h->ctrlr);
	uint32_t max_blocks = max_xfer / bs;
	struct usk_nvme_qpair *q;
	struct io ios[DEPTH];
	void *bases[DEPTH];
	int rc = usk_nvme_ctrlr_alloc_io_qpair(h->ctrlr, NULL, &q);

	if (rc != 0) {
		h->rc = rc;
		return NULL;
	}
	for (int i = 0; i < DEPTH; i++) {
		bases[i] = usk_dma_malloc(max_xfer + 4096, 4096, -1);
		ios[i].expect = malloc(max_xfer);
	}
	for (int r = 0; r < h->rounds && rc == 0; r++) {
		/* Disjoint stripes, so the commands in flight never overlap. */
		uint64_t stripe = h->nblocks / DEPTH;

		for (int i = 0; i < DEPTH; i++) {
			struct io *io = &ios[i];
			uint32_t blocks = 1 + (uint32_t)(rnd(&h->seed) % max_blocks);

			blocks = blocks > stripe ? (uint32_t)stripe : blocks;
			io->blocks = blocks;
			io->lba = h->first_lba + (uint64_t)i * stripe +
				  rnd(&h->seed) % (stripe - blocks + 1);
			/* Buffers at every alignment class the data pointers allow. */
			io->buf = (uint8_t *)bases[i] + (usk_nvme_ctrlr_uses_sgls(h->ctrlr)
								 ? rnd(&h->seed) % 4096
								 : 4 * (rnd(&h->seed) % 1024));
			for (uint32_t b = 0; b < blocks * bs; b++) {
				io->expect[b] = (uint8_t)rnd(&h->seed);
			}
			memcpy(io->buf, io->expect, (size_t)blocks * bs);
		}
		rc = run_batch(h->ns, q, ios, true);
		for (int i = 0; i < DEPTH && rc == 0; i++) {
			memset(ios[i].buf, 0, (size_t)ios[i].blocks * bs);
		}
		rc = rc != 0 ? rc : run_batch(h->ns, q, ios, false);
		for (int i = 0; i < DEPTH && rc == 0; i++) {
			if (memcmp(ios[i].buf, ios[i].expect, (size_t)ios[i].blocks * bs) != 0) {
				fprintf(stderr, "%s ns %u: data at LBA %llu (%u blocks) differs\n",
					usk_nvme_ctrlr_get_name(h->ctrlr),
					usk_nvme_ns_get_id(h->ns), (unsigned long long)ios[i].lba,
					ios[i].blocks);
				rc = -1;
			}
		}
	}
	for (int i = 0; i < DEPTH; i++) {
		usk_dma_free(bases[i]);
		free(ios[i].expect);
	}
	usk_nvme_ctrlr_free_io_qpair(q);
	h->rc = rc;
	return NULL;
}

static int test_ns(struct usk_nvme_ctrlr *c, struct usk_nvme_ns *ns, int rounds)
{
	uint64_t nblocks = usk_nvme_ns_get_num_blocks(ns);
	struct half halves[2];
	pthread_t threads[2];
	int rc = 0;

	for (int t = 0; t < 2; t++) {
		halves[t] = (struct half){.ctrlr = c,
					  .ns = ns,
					  .first_lba = t * (nblocks / 2),
					  .nblocks = nblocks / 2,
					  .rounds = rounds,
					  .seed = 88172645463325252ull + (uint64_t)t * 7919};
		if (pthread_create(&threads[t], NULL, test_half, &halves[t]) != 0) {
			return -1;
		}
	}
	for (int t = 0; t < 2; t++) {
		pthread_join(threads[t], NULL);
		rc |= halves[t].rc;
	}
	printf("%s ns %u: %u-byte blocks, %llu blocks, max %u blocks per I/O, 2 threads: %s\n",
	       usk_nvme_ctrlr_get_name(c), usk_nvme_ns_get_id(ns), usk_nvme_ns_get_block_size(ns),
	       (unsigned long long)nblocks,
	       usk_nvme_ctrlr_get_max_xfer_size(c) / usk_nvme_ns_get_block_size(ns),
	       rc == 0 ? "ok" : "FAILED");
	return rc;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	int rc = 0;
	int tested = 0;

	usk_nvme_ctrlr_opts_init(&g_opts, sizeof(g_opts));
	g_opts.shadow_doorbells = !(argc > 2 && strstr(argv[2], "mmio") != NULL);
	g_opts.sgls = !(argc > 2 && strstr(argv[2], "nosgl") != NULL);
	usk_log_set_level(USK_LOG_INFO);
	if (usk_env_init(NULL) != 0 ||
	    usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, attach_one, NULL) != 0 ||
	    g_nctrlrs == 0) {
		fprintf(stderr, "no controller could be attached\n");
		return 1;
	}
	for (int i = 0; i < g_nctrlrs; i++) {
		const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(g_ctrlrs[i]);

		printf("%s: model '%.40s' serial '%.20s' fw '%.8s'\n",
		       usk_nvme_ctrlr_get_name(g_ctrlrs[i]), cd->mn, cd->sn, cd->fr);
		for (uint32_t nsid = 1; nsid <= usk_nvme_ctrlr_get_num_ns(g_ctrlrs[i]); nsid++) {
			struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(g_ctrlrs[i], nsid);

			if (ns != NULL) {
				rc |= test_ns(g_ctrlrs[i], ns, rounds);
				tested++;
			}
		}
		rc |= usk_nvme_ctrlr_detach(g_ctrlrs[i]);
	}
	usk_env_fini();
	return rc == 0 && tested > 0 ? 0 : 1;
}
