/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver's own cost per I/O: at queue depth 1 on the first controller
 * bound to vfio-pci, the TSC cycles spent in usk_nvme_ns_read() (submit) and
 * in the usk_nvme_qpair_process_completions() call that reaps the I/O
 * (reap, callback included), as histograms, so that a change to the hot
 * path is measured per I/O rather than guessed. Prints figures; exits 0
 * unless an I/O failed.
 *
 * Usage: nvme_overhead [SECONDS] [mmio]   (mmio: no shadow doorbells)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/histogram.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/ticks.h"

static struct usk_histogram g_submit;
static struct usk_histogram g_reap;
static int g_done;
static int g_errors;

static void io_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	g_done = 1;
	g_errors += USK_NVME_STATUS_CODE(cpl->status) != 0;
}

static int first_on_vfio(void *ctx, const struct usk_pci_device_info *info)
{
	if (strcmp(info->driver, "vfio-pci") != 0) {
		return 0;
	}
	usk_pci_addr_fmt(ctx, USK_PCI_ADDR_STRLEN, &info->addr);
	return 1;
}

static void print_histogram(const char *name, const struct usk_histogram *h, uint64_t hz)
{
	static const double pct[] = {1, 50, 90, 99, 99.9};

	printf("%-7s avg %7.0f cycles %7.0f ns |", name, usk_histogram_mean(h),
	       usk_histogram_mean(h) * 1e9 / (double)hz);
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		uint64_t t = usk_histogram_percentile(h, pct[i]);

		printf(" p%g %llu (%.0f ns)", pct[i], (unsigned long long)t,
		       (double)t * 1e9 / (double)hz);
	}
	printf("\n");
}

/* One read at a time: the submit call and the reap call that finds it, timed apart. */
static void measure(struct usk_nvme_ns *ns, struct usk_nvme_qpair *q, void *buf, uint64_t end)
{
	uint64_t lba = 0;
	uint64_t blocks = usk_nvme_ns_get_num_blocks(ns) - 8;

	while (usk_ticks() < end) {
		g_done = 0;
		uint64_t t0 = usk_ticks();

		if (usk_nvme_ns_read(ns, q, buf, lba, 4096 / usk_nvme_ns_get_block_size(ns),
				     io_done, NULL) != 0) {
			g_errors++;
			return;
		}
		usk_histogram_record(&g_submit, usk_ticks() - t0);
		for (;;) {
			uint64_t t1 = usk_ticks();
			int n = usk_nvme_qpair_process_completions(q, 0);
			uint64_t t2 = usk_ticks();

			if (n < 0) {
				g_errors++;
				return;
			}
			if (n > 0) {
				usk_histogram_record(&g_reap, t2 - t1);
				break;
			}
		}
		lba = (lba + 4099 * 8) % blocks;
	}
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 3;
	char bdf[USK_PCI_ADDR_STRLEN];
	struct usk_nvme_ctrlr_opts opts;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct usk_nvme_ns *ns;
	uint64_t hz = usk_ticks_hz();

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	opts.shadow_doorbells = !(argc > 2 && strcmp(argv[2], "mmio") == 0);
	if (usk_env_init(NULL) != 0 ||
	    usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, first_on_vfio, bdf) != 1 ||
	    usk_nvme_ctrlr_attach(bdf, &opts, &c) != 0) {
		fprintf(stderr, "nvme_overhead: no controller on vfio-pci: run scripts/setup.sh\n");
		return 2;
	}
	ns = usk_nvme_ctrlr_get_ns(c, 1);
	void *buf = usk_dma_malloc(4096, 4096, -1);

	if (ns == NULL || buf == NULL || usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q) != 0) {
		return 1;
	}
	usk_histogram_init(&g_submit);
	usk_histogram_init(&g_reap);
	measure(ns, q, buf, usk_ticks() + (uint64_t)seconds * hz);
	printf("nvme_overhead: %s, 4 KiB reads at queue depth 1, %s doorbells, %llu I/Os, "
	       "TSC %.0f MHz\n",
	       bdf, opts.shadow_doorbells ? "shadow" : "MMIO",
	       (unsigned long long)usk_histogram_count(&g_reap), (double)hz / 1e6);
	print_histogram("submit", &g_submit, hz);
	print_histogram("reap", &g_reap, hz);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_dma_free(buf);
	usk_nvme_ctrlr_detach(c);
	usk_env_fini();
	return g_errors == 0 ? 0 : 1;
}
