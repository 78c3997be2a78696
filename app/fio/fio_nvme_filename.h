/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The usk_nvme engine's filename: "trtype=PCIe traddr=0000.01.00.0 ns=1",
 * SPDK's fio plugin's spelling. fio splits filenames on colons, so the
 * PCI address has dots where it would have colons.
 */
#ifndef USK_FIO_NVME_FILENAME_H
#define USK_FIO_NVME_FILENAME_H

#include <stddef.h>
#include <stdint.h>

#include "usk/pci.h"

/*
 * Parse @p name: space-separated key=value pairs, keys in any case:
 * trtype (PCIe, the default), traddr (required; dots or colons), ns (the
 * namespace ID, default 1).
 *
 * Returns 0, or -EINVAL with @p err (of @p err_len bytes) saying what is
 * wrong and how to write it.
 */
int usk_fio_nvme_filename_parse(const char *name, struct usk_pci_addr *addr, uint32_t *nsid,
				char *err, size_t err_len);

#endif /* USK_FIO_NVME_FILENAME_H */
