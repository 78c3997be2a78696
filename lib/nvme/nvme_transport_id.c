/* SPDX-License-Identifier: BSD-3-Clause */
/* Transport IDs: "trtype:PCIe traddr:0000:01:00.0", as SPDK users write them. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "usk/log.h"
#include "usk/nvme.h"

int usk_nvme_transport_id_parse(const char *str, struct usk_pci_addr *addr)
{
	char key[32];
	char value[64];
	bool have_addr = false;
	int n = 0;

	if (str == NULL) {
		return -EINVAL;
	}
	if (usk_pci_addr_parse(addr, str) == 0) {
		return 0;
	}
	for (const char *p = str; *p != '\0'; p += n) {
		if (sscanf(p, " %31[^:= \t]%*[:=]%63s%n", key, value, &n) != 2) {
			if (sscanf(p, " %n", &n) == 0 && p[n] == '\0') {
				break;
			}
			USK_ERRLOG("transport ID '%s': expected key:value pairs such as "
				   "'trtype:PCIe traddr:0000:01:00.0'",
				   str);
			return -EINVAL;
		}
		if (strcasecmp(key, "trtype") == 0) {
			if (strcasecmp(value, "pcie") != 0) {
				USK_ERRLOG("transport ID '%s': trtype %s is not supported; USK "
					   "drives PCIe controllers",
					   str, value);
				return -EINVAL;
			}
		} else if (strcasecmp(key, "traddr") == 0) {
			if (usk_pci_addr_parse(addr, value) != 0) {
				USK_ERRLOG("transport ID '%s': traddr %s is not a PCI address such "
					   "as 0000:01:00.0",
					   str, value);
				return -EINVAL;
			}
			have_addr = true;
		} else {
			USK_ERRLOG("transport ID '%s': unknown key '%s' (use trtype and traddr)",
				   str, key);
			return -EINVAL;
		}
	}
	if (!have_addr) {
		USK_ERRLOG("transport ID '%s' names no traddr", str);
		return -EINVAL;
	}
	return 0;
}
