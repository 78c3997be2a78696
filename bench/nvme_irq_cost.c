/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the two ways of quieting a queue pair's interrupt cost, on a real
 * (or QEMU's) NVMe controller through VFIO:
 *   - masking it while polling: usk_nvme_qpair_arm_interrupt() and
 *     usk_nvme_qpair_disarm_interrupt() on a queue pair made with
 *     interrupt_keep_completions 0, each a VFIO_DEVICE_SET_IRQS call that
 *     routes or unroutes one vector's eventfd: microseconds a switch;
 *   - leaving it enabled while polling: the same switches on a queue pair
 *     with the default, which keeps its vector unmasked between sleeps
 *     (the arm only empties the eventfd), and the interrupts the device
 *     sends meanwhile, counted in /proc/interrupts (the vfio-msix lines of
 *     the device), per I/O at queue depth 1 and 32, next to the same run
 *     with the vector masked.
 * Prints the figures; a benchmark, not a test (bench/interrupts.sh runs it).
 *
 * Usage: nvme_irq_cost BDF [SWITCHES] [IOS]   (defaults 2000 and 20000)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The interrupts the kernel has taken for @bdf's vfio-msix vectors, all CPUs. */
static unsigned long long vfio_interrupts(const char *bdf)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024];
	unsigned long long total = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, ':');

		if (p == NULL || strstr(line, "vfio-msix") == NULL || strstr(line, bdf) == NULL) {
			continue;
		}
		for (char *end;; p = end) {
			unsigned long long n = strtoull(p + 1, &end, 10);

			if (end == p + 1) {
				break;
			}
			total += n;
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	return total;
}

static int g_done;

static void read_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	(void)arg;
	(void)cpl;
	g_done++;
}

/* @ios 4 KiB reads at depth @qd, polled; returns 0 or the first error. */
static int polled_reads(struct usk_nvme_ns *ns, struct usk_nvme_qpair *q, char *buf, int qd,
			int ios)
{
	uint64_t blocks = usk_nvme_ns_get_num_blocks(ns);
	uint32_t per = 4096 / usk_nvme_ns_get_block_size(ns);
	int started = 0;

	g_done = 0;
	while (g_done < ios) {
		while (started < ios && started - g_done < qd) {
			uint64_t lba = ((uint64_t)started * 7919 % (blocks / per)) * per;
			int rc = usk_nvme_ns_read(ns, q, buf + (started % qd) * 4096, lba, per,
						  read_done, NULL);

			if (rc != 0) {
				return rc;
			}
			started++;
		}
		if (usk_nvme_qpair_process_completions(q, 0) < 0) {
			return -EIO;
		}
	}
	return 0;
}

/* Prints interrupts and CPU per I/O of a polled run, armed (vector enabled) or not. */
static int run_polled(const char *bdf, struct usk_nvme_ns *ns, struct usk_nvme_qpair *q,
		      char *buf, int qd, int ios, bool armed)
{
	unsigned long long irq0;
	double cpu0;
	int rc;

	if (armed && usk_nvme_qpair_arm_interrupt(q) < 0) {
		return -EIO;
	}
	irq0 = vfio_interrupts(bdf);
	cpu0 = cpu_us();
	rc = polled_reads(ns, q, buf, qd, ios);
	printf("polling, vector %-8s qd %2d: %.3f interrupts per I/O, %.2f us CPU per I/O\n",
	       armed ? "enabled" : "masked", qd, (double)(vfio_interrupts(bdf) - irq0) / ios,
	       (cpu_us() - cpu0) / ios);
	if (armed) {
		usk_nvme_qpair_disarm_interrupt(q);
	}
	return rc;
}

/* Times @switches arm/disarm pairs on an idle queue pair; @how says what each does. */
static int time_switches(struct usk_nvme_qpair *q, int switches, const char *how)
{
	double arm = 0, disarm = 0, worst_arm = 0, worst_disarm = 0;

	for (int i = 0; i < switches; i++) {
		double t0 = now_us();

		if (usk_nvme_qpair_arm_interrupt(q) != 0) {
			return -EIO;
		}
		double t1 = now_us();

		if (usk_nvme_qpair_disarm_interrupt(q) != 0) {
			return -EIO;
		}
		double t2 = now_us();

		arm += t1 - t0;
		disarm += t2 - t1;
		worst_arm = t1 - t0 > worst_arm ? t1 - t0 : worst_arm;
		worst_disarm = t2 - t1 > worst_disarm ? t2 - t1 : worst_disarm;
	}
	printf("%s: arm %.2f us average, %.1f us worst; disarm %.2f us average, %.1f us worst\n",
	       how, arm / switches, worst_arm, disarm / switches, worst_disarm);
	return 0;
}

/* A queue pair with interrupts whose disarm leaves its vector unmasked for @keep completions. */
static int alloc_qpair(struct usk_nvme_ctrlr *c, uint32_t keep, struct usk_nvme_qpair **q)
{
	struct usk_nvme_io_qpair_opts qo;

	usk_nvme_io_qpair_opts_init(&qo, sizeof(qo));
	qo.interrupts = true;
	qo.io_queue_size = 64;
	qo.interrupt_keep_completions = keep;
	return usk_nvme_ctrlr_alloc_io_qpair(c, &qo, q);
}

int main(int argc, char **argv)
{
	struct usk_nvme_ctrlr_opts co;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q, *kept = NULL;
	int switches = argc > 2 ? atoi(argv[2]) : 2000;
	int ios = argc > 3 ? atoi(argv[3]) : 20000;
	int rc;

	if (argc < 2 || switches <= 0 || ios <= 0) {
		fprintf(stderr, "usage: nvme_irq_cost BDF [SWITCHES] [IOS]\n");
		return 2;
	}
	usk_log_set_level(USK_LOG_WARN);
	if (usk_env_init(NULL) != 0) {
		return 1;
	}
	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.interrupts = true;
	rc = usk_nvme_ctrlr_attach(argv[1], &co, &c);
	if (rc == 0) {
		rc = alloc_qpair(c, 0, &q);
		if (rc == 0) {
			rc = alloc_qpair(c, USK_NVME_IRQ_KEEP_COMPLETIONS, &kept);
			if (rc != 0) {
				usk_nvme_ctrlr_free_io_qpair(q);
			}
		}
		if (rc != 0) {
			usk_nvme_ctrlr_detach(c);
		}
	}
	if (rc != 0) {
		fprintf(stderr, "nvme_irq_cost: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	char *buf = usk_dma_malloc(32 * 4096, 4096, USK_ENV_NUMA_ANY);
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, 1);

	rc = buf == NULL || ns == NULL || usk_nvme_qpair_get_interrupt_fd(q) < 0 ? -ENOTSUP : 0;
	if (rc == 0) {
		rc = time_switches(q, switches,
				   "masked at each switch (VFIO_DEVICE_SET_IRQS each way)");
	}
	if (rc == 0) {
		rc = time_switches(kept, switches,
				   "kept unmasked between switches (arm: read() of the eventfd)");
	}
	for (int qd = 1; rc == 0 && qd <= 32; qd += 31) {
		rc = run_polled(argv[1], ns, q, buf, qd, ios, false);
		if (rc == 0) {
			rc = run_polled(argv[1], ns, q, buf, qd, ios, true);
		}
	}
	usk_dma_free(buf);
	usk_nvme_ctrlr_free_io_qpair(kept);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	usk_env_fini();
	if (rc != 0) {
		fprintf(stderr, "nvme_irq_cost: %s\n", strerror(-rc));
	}
	return rc == 0 ? 0 : 1;
}
