/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The usk_nvme engine's controllers: attached once per fio process, when
 * the first job names them, shared by every job, detached when fio unloads
 * the engine.
 */
#ifndef USK_FIO_NVME_CTRLR_H
#define USK_FIO_NVME_CTRLR_H

#include <pthread.h>
#include <stdbool.h>

#include "usk/nvme.h"

struct usk_fio_nvme_ctrlr {
	struct usk_pci_addr addr;
	struct usk_nvme_ctrlr *ctrlr;
	/* What the first job asked for; every later job must ask the same. */
	struct usk_nvme_ctrlr_opts opts;
	/* The admin queue is polled by one job at a time: whoever gets this. */
	pthread_mutex_t admin_lock;
	struct usk_fio_nvme_ctrlr *next;
};

/*
 * The controller at @p addr, attached with @p opts if this is its first
 * use; the environment is set up on the first call. NULL after one line on
 * stderr when the device is missing, on another driver or fails to attach,
 * or when it is already attached with other options.
 * @p file names the fio file in that line.
 */
struct usk_fio_nvme_ctrlr *usk_fio_nvme_ctrlr_get(const struct usk_pci_addr *addr,
						  const struct usk_nvme_ctrlr_opts *opts,
						  const char *file);

/* Polls the controller's admin queue unless another job is doing so. */
void usk_fio_nvme_ctrlr_poll_admin(struct usk_fio_nvme_ctrlr *c);

#endif /* USK_FIO_NVME_CTRLR_H */
