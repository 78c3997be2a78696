/* SPDX-License-Identifier: BSD-3-Clause */
/* Probing: the controllers bound to vfio-pci, or the one a transport ID names. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/log.h"

struct probe {
	void *ctx;
	usk_nvme_probe_cb probe_cb;
	usk_nvme_attach_cb attach_cb;
	usk_nvme_remove_cb remove_cb;
	int attached;
	int found;
	int rc;
};

/* Attaches one controller if the probe callback wants it. */
static int probe_one(struct probe *p, const struct usk_pci_device_info *info)
{
	struct usk_nvme_ctrlr_opts opts;
	struct usk_pci_device *dev;
	struct usk_nvme_ctrlr *ctrlr;
	int rc;

	p->found++;
	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	if (p->probe_cb != NULL && !p->probe_cb(p->ctx, info, &opts)) {
		return 0;
	}
	rc = usk_pci_device_attach(&info->addr, &dev);
	if (rc == 0) {
		rc = usk_nvme_ctrlr_attach_pci(dev, &opts, &ctrlr);
	}
	if (rc != 0) {
		return rc;
	}
	usk_nvme_ctrlr_set_remove_cb(ctrlr, p->remove_cb, p->ctx);
	p->attached++;
	p->attach_cb(p->ctx, info, ctrlr);
	return 0;
}

static int probe_enum_cb(void *ctx, const struct usk_pci_device_info *info)
{
	char bdf[USK_PCI_ADDR_STRLEN];

	if (strcmp(info->driver, "vfio-pci") == 0) {
		return probe_one(ctx, info);
	}
	usk_pci_addr_fmt(bdf, sizeof(bdf), &info->addr);
	USK_NOTICELOG("%s is on the %s driver, not vfio-pci: scripts/setup.sh binds it", bdf,
		      info->driver[0] != '\0' ? info->driver : "no");
	return 0;
}

int usk_nvme_probe(const char *trid, void *ctx, usk_nvme_probe_cb probe_cb,
		   usk_nvme_attach_cb attach_cb, usk_nvme_remove_cb remove_cb)
{
	struct probe p = {ctx, probe_cb, attach_cb, remove_cb, 0, 0, 0};
	struct usk_pci_device_info info;
	struct usk_nvme_transport_id tr;
	int rc;

	if (attach_cb == NULL) {
		return -EINVAL;
	}
	if (trid == NULL) {
		rc = usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, probe_enum_cb, &p);
	} else {
		rc = usk_nvme_transport_id_parse(trid, &tr);
		if (rc == 0 && tr.trtype != USK_NVME_TRANSPORT_PCIE) {
			USK_ERRLOG("transport ID '%s': probing finds PCIe controllers; attach a "
				   "fabric's with usk_nvme_ctrlr_attach()",
				   trid);
			return -EINVAL;
		}
		if (rc == 0) {
			rc = usk_pci_device_info_get(&tr.pci_addr, &info);
			if (rc == -ENODEV) {
				USK_ERRLOG("transport ID '%s' names no device", trid);
			}
		}
		if (rc == 0) {
			rc = probe_one(&p, &info);
		}
	}
	if (rc != 0) {
		return rc;
	}
	if (p.found == 0) {
		USK_ERRLOG("no NVMe controller is bound to vfio-pci: run scripts/setup.sh as root");
		return -ENODEV;
	}
	return p.attached;
}
