/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaches one PCI device through lib/env and detaches it: the VM tests use
 * it to see the errors users get. Usage: env_attach BDF. Exit 0 on success.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "usk/env.h"
#include "usk/pci.h"

int main(int argc, char **argv)
{
	struct usk_pci_addr addr;
	struct usk_pci_device *dev;
	int rc;

	if (argc != 2 || usk_pci_addr_parse(&addr, argv[1]) != 0) {
		fprintf(stderr, "usage: env_attach BDF (e.g. 0000:01:00.0)\n");
		return 2;
	}
	rc = usk_env_init(NULL);
	if (rc == 0) {
		rc = usk_pci_device_attach(&addr, &dev);
	}
	if (rc == 0) {
		usk_pci_device_detach(dev);
	}
	usk_env_fini();
	printf("attach %s: %s\n", argv[1], rc == 0 ? "ok" : strerror(-rc));
	return rc == 0 ? 0 : 1;
}
