/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcie transport's controller: BAR 0 mapped through VFIO, registers
 * read and written in place, the admin queue's address in AQA/ASQ/ACQ.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "nvme_pcie.h"
#include "usk/env.h"
#include "usk/log.h"

static uint32_t nvme_pcie_reg_read32(struct usk_nvme_ctrlr *c, uint32_t off)
{
	return *(const volatile uint32_t *)(c->regs + off);
}

static uint64_t nvme_pcie_reg_read64(struct usk_nvme_ctrlr *c, uint32_t off)
{
	return *(const volatile uint64_t *)(c->regs + off);
}

static void nvme_pcie_reg_write32(struct usk_nvme_ctrlr *c, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(c->regs + off) = v;
}

static void nvme_pcie_reg_write64(struct usk_nvme_ctrlr *c, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(c->regs + off) = v;
}

static int nvme_pcie_ctrlr_connect(struct usk_nvme_ctrlr *c)
{
	void *regs;
	int rc = usk_pci_device_map_bar(c->dev, 0, &regs, &c->regs_size);

	if (rc != 0) {
		return rc;
	}
	c->regs = regs;
	return usk_pci_device_enable_bus_master(c->dev);
}

void nvme_ctrlr_start_admin(struct usk_nvme_ctrlr *c)
{
	uint16_t entries = c->admin->num_entries;

	nvme_reg_write32(c, USK_NVME_REG_AQA, (uint32_t)(entries - 1) << 16 | (entries - 1));
	nvme_reg_write64(c, USK_NVME_REG_ASQ, usk_vtoiova(c->admin->sq, NULL));
	nvme_reg_write64(c, USK_NVME_REG_ACQ, usk_vtoiova(c->admin->cq, NULL));
	nvme_ctrlr_set_enable(c);
}

/*
 * A device that still answers (the kernel asking for it back, a fatal
 * status, a reset gone wrong) could still move data: it is disabled before
 * its commands are reported ended and their buffers handed back.
 */
static void nvme_pcie_ctrlr_halt(struct usk_nvme_ctrlr *c)
{
	uint32_t cc = nvme_reg_read32(c, USK_NVME_REG_CC);

	if (cc != UINT32_MAX && (cc & USK_NVME_CC_EN)) {
		nvme_reg_write32(c, USK_NVME_REG_CC, cc & ~USK_NVME_CC_EN);
	}
}

static const char *nvme_pcie_ctrlr_fault(struct usk_nvme_ctrlr *c)
{
	uint32_t csts;

	if (usk_pci_device_removal_requested(c->dev)) {
		return "the device is being removed (hot-unplug)";
	}
	csts = nvme_reg_read32(c, USK_NVME_REG_CSTS);
	if (csts == UINT32_MAX) {
		return "its registers read all ones: the device is gone";
	}
	if (csts & USK_NVME_CSTS_CFS) {
		return "controller fatal status (CSTS.CFS)";
	}
	return NULL;
}

static void nvme_pcie_ctrlr_fini(struct usk_nvme_ctrlr *c)
{
	if (c->regs != NULL) {
		usk_pci_device_unmap_bar(c->dev, 0, (void *)(uintptr_t)c->regs);
	}
	usk_pci_device_detach(c->dev);
}

const struct nvme_transport_ops g_nvme_pcie_ops = {
	.name = "PCIe",
	.qpair_size = sizeof(struct usk_nvme_qpair),
	.reg_read32 = nvme_pcie_reg_read32,
	.reg_read64 = nvme_pcie_reg_read64,
	.reg_write32 = nvme_pcie_reg_write32,
	.reg_write64 = nvme_pcie_reg_write64,
	.ctrlr_connect = nvme_pcie_ctrlr_connect,
	.ctrlr_start = nvme_ctrlr_start_admin,
	.ctrlr_halt = nvme_pcie_ctrlr_halt,
	.ctrlr_fault = nvme_pcie_ctrlr_fault,
	.can_reset = true,
	.ctrlr_fini = nvme_pcie_ctrlr_fini,
	.qpair_init = nvme_pcie_qpair_init,
	.qpair_fini = nvme_pcie_qpair_fini,
	.qpair_rebuild = nvme_pcie_qpair_rebuild,
	/* The hot path and the disconnection call pcie's own functions directly (nvme_pcie.h). */
};
