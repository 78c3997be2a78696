/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks lib/env end to end on a real (emulated) device: attaches the first
 * NVMe controller on vfio-pci, reads CAP and VS through the BAR, routes
 * MSI-X vector 0 to an eventfd, and runs one Identify Controller by hand
 * with admin queues in DMA memory. Prints the model number; exits 0 when it
 * matches argv[1] and the completion raised the interrupt.
 *
 * Usage: env_identify EXPECTED_MODEL [auto|on|off]
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/pci.h"
#include "usk/util.h"

/* NVMe base specification 2.0, 3.1.3: controller registers. */
#define REG_CAP	      0x00
#define REG_VS	      0x08
#define REG_CC	      0x14
#define REG_CSTS      0x1c
#define REG_AQA	      0x24
#define REG_ASQ	      0x28
#define REG_ACQ	      0x30
#define REG_DOORBELLS 0x1000
#define QUEUE_ENTRIES 8

struct sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10_15[6];
};

struct cqe {
	uint32_t dw0;
	uint32_t dw1;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status; /* bit 0: phase */
};

USK_STATIC_ASSERT(sizeof(struct sqe) == 64, "SQE is 64 bytes");
USK_STATIC_ASSERT(sizeof(struct cqe) == 16, "CQE is 16 bytes");

static volatile uint8_t *g_bar;

static uint32_t reg32(uint32_t off)
{
	return *(volatile uint32_t *)(g_bar + off);
}

static uint64_t reg64(uint32_t off)
{
	return *(volatile uint64_t *)(g_bar + off);
}

static void wreg32(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(g_bar + off) = v;
}

static void wreg64(uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(g_bar + off) = v;
}

/* Waits for CSTS.RDY to become @ready, within CAP.TO (units of 500 ms). */
static int wait_ready(uint64_t cap, uint32_t ready)
{
	struct timespec nap = {0, 1000000};
	uint64_t ms = ((cap >> 24) & 0xff) * 500 + 500;

	for (uint64_t i = 0; i < ms; i++) {
		if ((reg32(REG_CSTS) & 1) == ready) {
			return 0;
		}
		nanosleep(&nap, NULL);
	}
	return -ETIMEDOUT;
}

static int find_first(void *ctx, const struct usk_pci_device_info *info)
{
	if (strcmp(info->driver, "vfio-pci") != 0) {
		return 0;
	}
	*(struct usk_pci_addr *)ctx = info->addr;
	return 1;
}

static int identify(uint64_t cap, char *model)
{
	struct sqe *sq = usk_dma_zmalloc(QUEUE_ENTRIES * sizeof(*sq), 4096, USK_ENV_NUMA_ANY);
	struct cqe *cq = usk_dma_zmalloc(QUEUE_ENTRIES * sizeof(*cq), 4096, USK_ENV_NUMA_ANY);
	uint8_t *data = usk_dma_zmalloc(4096, 4096, USK_ENV_NUMA_ANY);
	int rc = -ENOMEM;

	if (sq == NULL || cq == NULL || data == NULL) {
		goto free_memory;
	}
	wreg32(REG_CC, 0);
	if ((rc = wait_ready(cap, 0)) != 0) {
		goto free_memory;
	}
	wreg32(REG_AQA, (QUEUE_ENTRIES - 1) << 16 | (QUEUE_ENTRIES - 1));
	wreg64(REG_ASQ, usk_vtoiova(sq, NULL));
	wreg64(REG_ACQ, usk_vtoiova(cq, NULL));
	/* CC: EN, NVM command set, 4 KiB pages, SQE 2^6, CQE 2^4 bytes. */
	wreg32(REG_CC, 1u | 6u << 16 | 4u << 20);
	if ((rc = wait_ready(cap, 1)) != 0) {
		goto free_memory;
	}
	sq[0] = (struct sqe){.opcode = 0x06, .cid = 7, .prp1 = usk_vtoiova(data, NULL)};
	sq[0].cdw10_15[0] = 1;			 /* CNS 1: Identify Controller */
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the SQE is in memory before the doorbell */
	uint64_t start = (uint64_t)clock();

	wreg32(REG_DOORBELLS, 1);
	while ((__atomic_load_n(&cq[0].status, __ATOMIC_ACQUIRE) & 1) == 0) {
		if ((uint64_t)clock() - start > 5 * (uint64_t)CLOCKS_PER_SEC) {
			rc = -ETIMEDOUT;
			goto free_memory;
		}
	}
	wreg32(REG_DOORBELLS + (4u << ((cap >> 32) & 0xf)), 1);
	rc = (cq[0].status >> 1) == 0 && cq[0].cid == 7 ? 0 : -EIO;
	memcpy(model, data + 24, 40);
	model[40] = '\0';
	for (int i = 39; i >= 0 && model[i] == ' '; i--) {
		model[i] = '\0';
	}
	wreg32(REG_CC, 0);
free_memory:
	usk_dma_free(data);
	usk_dma_free(cq);
	usk_dma_free(sq);
	return rc;
}

int main(int argc, char **argv)
{
	struct usk_env_opts opts;
	struct usk_pci_addr addr;
	struct usk_pci_device *dev;
	char model[41] = "";
	uint64_t bar_size;
	void *bar;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: env_identify EXPECTED_MODEL [auto|on|off]\n");
		return 2;
	}
	usk_env_opts_init(&opts, sizeof(opts));
	opts.hugepages = argc > 2 && strcmp(argv[2], "on") == 0	   ? USK_ENV_HUGEPAGES_ON
			 : argc > 2 && strcmp(argv[2], "off") == 0 ? USK_ENV_HUGEPAGES_OFF
								   : USK_ENV_HUGEPAGES_AUTO;
	usk_log_set_level(USK_LOG_INFO);
	if ((rc = usk_env_init(&opts)) != 0 ||
	    (rc = usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, find_first, &addr)) != 1) {
		fprintf(stderr, "no NVMe controller on vfio-pci (rc %d)\n", rc);
		return 1;
	}
	if ((rc = usk_pci_device_attach(&addr, &dev)) != 0 ||
	    (rc = usk_pci_device_map_bar(dev, 0, &bar, &bar_size)) != 0 ||
	    (rc = usk_pci_device_enable_bus_master(dev)) != 0) {
		fprintf(stderr, "attach failed: %s\n", strerror(-rc));
		return 1;
	}
	g_bar = bar;
	uint64_t cap = reg64(REG_CAP);
	uint32_t vs = reg32(REG_VS);

	printf("CAP 0x%016llx VS %u.%u.%u BAR0 %llu KiB\n", (unsigned long long)cap, vs >> 16,
	       (vs >> 8) & 0xff, vs & 0xff, (unsigned long long)bar_size >> 10);
	/* The admin completion queue interrupts on vector 0 (base 3.3.1.2). */
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int msix_rc = efd >= 0 ? usk_pci_device_set_msix(dev, &efd, 1) : -errno;

	rc = identify(cap, model);
	printf("identify: %s, model '%s'\n", rc == 0 ? "ok" : strerror(-rc), model);

	struct pollfd pfd = {.fd = efd, .events = POLLIN};
	bool interrupted = msix_rc == 0 && poll(&pfd, 1, 2000) == 1;

	printf("MSI-X vector 0 through an eventfd: %s\n",
	       msix_rc != 0 ? strerror(-msix_rc)
			    : (interrupted ? "interrupt seen" : "no interrupt"));
	if (msix_rc == 0) {
		usk_pci_device_set_msix(dev, NULL, 0);
	}
	if (efd >= 0) {
		close(efd);
	}
	rc = rc == 0 && !interrupted ? -EIO : rc;
	usk_pci_device_unmap_bar(dev, 0, bar);
	usk_pci_device_detach(dev);
	usk_env_fini();
	return rc == 0 && strcmp(model, argv[1]) == 0 && vs >= 0x10000 ? 0 : 1;
}
