/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_writer: the writer of the crash test (test/functional/crash). It
 * writes the blocks of a region of a namespace in random order, each one
 * carrying a header (crash_block.h), in batches; after each batch it sends
 * a Flush and, once the Flush has completed, appends "GEN LBA SEQ" to a
 * log file for every block of the batch: those writes are acknowledged and
 * flushed, and must survive a kill -9 at any moment. It runs until killed.
 *
 * It prints once, on stdout, how long it took from main() to its first
 * completed write:  first_write_us=N mono_us=M  (M: CLOCK_MONOTONIC at
 * that moment, comparable with the guest's /proc/uptime).
 *
 *     crash_writer -a BDF -n NSID -s FIRST_LBA -c BLOCKS -g GEN -l LOG [-b BATCH]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <usk/env.h>
#include <usk/nvme.h>

#include "crash_block.h"

#define MAX_BATCH    256
#define LOG_LINE_MAX 64 /* three 20-digit numbers, two spaces, a newline */

struct writer {
	const char *bdf;
	uint32_t nsid;
	uint64_t first;
	uint32_t count;
	uint64_t gen;
	uint32_t batch;
	int log_fd;
	uint64_t start_us;
	bool reported;
	struct usk_nvme_ctrlr *ctrlr;
	struct usk_nvme_ns *ns;
	struct usk_nvme_qpair *qpair;
	uint8_t *buf;
	uint32_t bs;
	uint32_t *order; /* a permutation of 0..count-1, walked in batches */
	uint32_t next;
	uint64_t seq;
	uint64_t rng;
	int pending;
	uint16_t status;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t rng_next(struct writer *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static void shuffle(struct writer *w)
{
	for (uint32_t i = w->count - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng_next(w) % (i + 1));
		uint32_t t = w->order[i];

		w->order[i] = w->order[j];
		w->order[j] = t;
	}
	w->next = 0;
}

static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct writer *w = arg;
	uint16_t status = USK_NVME_STATUS_CODE(cpl->status);

	if (status != 0 && w->status == 0) {
		w->status = status;
	}
	w->pending--;
	if (!w->reported && status == 0) {
		uint64_t t = now_us();

		w->reported = true;
		printf("first_write_us=%" PRIu64 " mono_us=%" PRIu64 "\n", t - w->start_us, t);
		fflush(stdout);
	}
}

/* Polls until every command in flight has completed; 0 if all succeeded. */
static int wait_all(struct writer *w, const char *what)
{
	while (w->pending > 0) {
		/* The admin poll does the reset a late command asks for. */
		usk_nvme_ctrlr_process_admin_completions(usk_nvme_qpair_get_ctrlr(w->qpair));
		if (usk_nvme_qpair_process_completions(w->qpair, 0) < 0) {
			fprintf(stderr, "crash_writer: %s: controller %s failed\n", what, w->bdf);
			return -1;
		}
	}
	if (w->status != 0) {
		fprintf(stderr, "crash_writer: %s failed on %s: %s\n", what, w->bdf,
			usk_nvme_status_string(w->status));
		return -1;
	}
	return 0;
}

static int submit(struct writer *w, int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "crash_writer: %s on %s not submitted: %s\n", what, w->bdf,
			strerror(-rc));
		return -1;
	}
	w->pending++;
	return 0;
}

/* Appends one "GEN LBA SEQ" line per block of the batch just flushed. */
static int log_batch(struct writer *w, uint32_t n)
{
	static char line[MAX_BATCH * LOG_LINE_MAX];
	size_t len = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct crash_block_hdr *h = (const void *)(w->buf + (size_t)i * w->bs);

		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", h->gen, h->lba,
					h->seq);
	}
	if (write(w->log_fd, line, len) != (ssize_t)len) {
		fprintf(stderr, "crash_writer: cannot append to the log: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* One batch: write blocks in random order, wait, Flush, wait, log. */
static int run_batch(struct writer *w)
{
	uint32_t n = 0;

	if (w->next == w->count) {
		shuffle(w);
	}
	while (n < w->batch && w->next < w->count) {
		uint8_t *blk = w->buf + (size_t)n * w->bs;
		uint64_t lba = w->first + w->order[w->next++];

		crash_block_fill(blk, w->bs, lba, w->gen, ++w->seq);
		if (submit(w, usk_nvme_ns_write(w->ns, w->qpair, blk, lba, 1, io_done, w),
			   "write") != 0) {
			return -1;
		}
		n++;
	}
	if (wait_all(w, "write") != 0 ||
	    submit(w, usk_nvme_ns_flush(w->ns, w->qpair, io_done, w), "flush") != 0 ||
	    wait_all(w, "flush") != 0) {
		return -1;
	}
	return log_batch(w, n);
}

static int usage(void)
{
	fprintf(stderr, "usage: crash_writer -a BDF -n NSID -s FIRST_LBA -c BLOCKS -g GEN -l LOG"
			" [-b BATCH (1..256, default 32)]\n");
	return 2;
}

static int parse_args(struct writer *w, int argc, char **argv)
{
	const char *log = NULL;
	int c;

	while ((c = getopt(argc, argv, "a:n:s:c:g:l:b:")) != -1) {
		switch (c) {
		case 'a':
			w->bdf = optarg;
			break;
		case 'n':
			w->nsid = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			w->first = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			w->count = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'g':
			w->gen = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			log = optarg;
			break;
		case 'b':
			w->batch = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		default:
			return usage();
		}
	}
	if (w->bdf == NULL || log == NULL || w->count == 0 || w->batch == 0 ||
	    w->batch > MAX_BATCH) {
		return usage();
	}
	w->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (w->log_fd < 0) {
		fprintf(stderr, "crash_writer: cannot open the log %s: %s\n", log, strerror(errno));
		return 1;
	}
	/*
	 * A SIGKILL can cut the last writer's append short (a write to a file
	 * stops at a fatal signal): its torn line ends here, on a line of its
	 * own, instead of running into this writer's first one.
	 */
	if (write(w->log_fd, "\n", 1) != 1) {
		fprintf(stderr, "crash_writer: cannot append to the log: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* Attaches the controller, finds the namespace and checks the region. */
static int open_device(struct writer *w)
{
	int rc = usk_nvme_ctrlr_attach(w->bdf, NULL, &w->ctrlr);

	if (rc != 0) {
		fprintf(stderr, "crash_writer: cannot attach %s: %s (run scripts/setup.sh)\n",
			w->bdf, strerror(-rc));
		return -1;
	}
	w->ns = usk_nvme_ctrlr_get_ns(w->ctrlr, w->nsid);
	if (w->ns == NULL) {
		fprintf(stderr, "crash_writer: %s has no active namespace %u\n", w->bdf, w->nsid);
		return -1;
	}
	if (w->first + w->count > usk_nvme_ns_get_num_blocks(w->ns)) {
		fprintf(stderr, "crash_writer: blocks %" PRIu64 "..+%u are beyond namespace %u\n",
			w->first, w->count, w->nsid);
		return -1;
	}
	w->bs = usk_nvme_ns_get_block_size(w->ns);
	rc = usk_nvme_ctrlr_alloc_io_qpair(w->ctrlr, NULL, &w->qpair);
	if (rc != 0) {
		fprintf(stderr, "crash_writer: no I/O queue pair on %s: %s\n", w->bdf,
			strerror(-rc));
		return -1;
	}
	w->buf = usk_dma_zmalloc((size_t)w->bs * w->batch, 4096, USK_ENV_NUMA_ANY);
	w->order = malloc(sizeof(*w->order) * w->count);
	if (w->buf == NULL || w->order == NULL) {
		fprintf(stderr, "crash_writer: out of memory\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct writer w = {.nsid = 1, .batch = 32, .start_us = now_us()};
	int rc = parse_args(&w, argc, argv);

	if (rc != 0) {
		return rc;
	}
	if (usk_env_init(NULL) != 0) {
		fprintf(stderr, "crash_writer: usk_env_init failed\n");
		return 1;
	}
	if (open_device(&w) != 0) {
		return 1; /* the process exit releases the device, as a kill does */
	}
	w.rng = ((w.gen + 1) * 0x9e3779b97f4a7c15ull ^ w.start_us) | 1;
	for (uint32_t i = 0; i < w.count; i++) {
		w.order[i] = i;
	}
	shuffle(&w);
	while (run_batch(&w) == 0) {
	}
	return 1;
}
