/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NVMe over Fabrics discovery from the host's side (NVMe base 2.0, 3.1.3.3
 * and the Discovery log page, 5.16.1.23): a discovery controller is
 * attached as any other, with usk_nvme_ctrlr_attach() on a transport ID
 * whose subnqn is USK_NVMF_DISCOVERY_NQN (or that names no subnqn:
 * "trtype:TCP traddr:10.0.0.1 trsvcid:8009"), and its log tells which
 * subsystems are reachable at which addresses.
 *
 * A discovery controller has an admin queue only: its bring-up stops after
 * Identify Controller (no Number of Queues, no event configuration, no
 * namespaces), usk_nvme_ctrlr_alloc_io_qpair() fails on it with -ENOSPC,
 * and it is connected with no Keep Alive Timeout, as a host that reads the
 * log and disconnects is (base 3.9.2, non-persistent connections).
 */
#ifndef USK_NVME_DISCOVERY_H
#define USK_NVME_DISCOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "usk/nvme.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/** Retries of a log read whose generation counter changed under it, before -EAGAIN. */
#define USK_NVME_DISCOVERY_RETRIES 10
/** The most entries USK takes from one log: a larger NUMREC fails with -EPROTO. */
#define USK_NVME_DISCOVERY_MAX_ENTRIES 4096

/** One discovery log entry: a subsystem (or a discovery controller) at one address. */
struct usk_nvme_discovery_entry {
	/**
	 * The address as a transport ID: trtype (the entry's TRTYPE: RDMA 1,
	 * FC 2, TCP 3, intra-host 254; usk_nvme_transport_type names TCP, the
	 * one USK attaches), adrfam, traddr, trsvcid and subnqn, with trailing
	 * spaces and NULs taken off. hostnqn is empty.
	 */
	struct usk_nvme_transport_id trid;
	/** SUBTYPE: USK_NVMF_SUBTYPE_NVME, a referral (1) or USK_NVMF_SUBTYPE_DISCOVERY_CUR. */
	uint8_t subtype;
	/** TREQ: bits 1:0 secure channel (0 unspecified, 1 required, 2 not required). */
	uint8_t treq;
	/** PORTID: the port the entry's address belongs to. */
	uint16_t portid;
	/** CNTLID: the controller to ask for, USK_NVMF_CNTLID_DYNAMIC for any. */
	uint16_t cntlid;
	/** ASQSZ: the most admin queue entries the controller takes. */
	uint16_t asqsz;
	/** EFLAGS: entry flags (base 5.16.1.23). */
	uint16_t eflags;
	/** TSAS byte 0: for TCP, SECTYPE (0: no security). */
	uint8_t sectype;
};

/** @return whether @p ctrlr is a discovery controller (connected to a discovery NQN, or
 *  whose Identify Controller says CNTRLTYPE 2). */
bool usk_nvme_ctrlr_is_discovery(const struct usk_nvme_ctrlr *ctrlr);

/**
 * Read the whole Discovery log page of a discovery controller: its header
 * first, then the entries with Get Log Page commands of at most 4 KiB at
 * increasing offsets (which the controller must support, Identify
 * Controller LPA bit 2, when the log is longer), then the header again:
 * when its generation counter moved meanwhile, the read is thrown away and
 * done again, up to USK_NVME_DISCOVERY_RETRIES times. NUMREC is checked
 * against USK_NVME_DISCOVERY_MAX_ENTRIES before anything is allocated, and
 * no text field is read past its width.
 *
 * @param ctrlr   a discovery controller (usk_nvme_ctrlr_is_discovery())
 * @param entries where a malloc'd array of the entries is stored (NULL
 *                when there are none); free it with usk_nvme_discovery_log_free()
 * @param count   where the number of entries is stored
 * @param genctr  NULL, or where the generation counter of the log read is stored
 * @return 0; -EINVAL when @p ctrlr is not a discovery controller; -EPROTO
 *         when the log breaks the specification (a record format other than
 *         0, NUMREC above the limit, an NQN that does not end within its
 *         field); -ENOTSUP for a log longer than one read from a controller
 *         without offsets; -EAGAIN when the log kept changing; -ENOMEM; or
 *         the error of a Get Log Page (see usk_nvme_ctrlr_admin_cmd_sync()).
 *
 * Thread rules: as usk_nvme_ctrlr_admin_cmd_sync(): waits for each command.
 */
int usk_nvme_ctrlr_get_discovery_log(struct usk_nvme_ctrlr *ctrlr,
				     struct usk_nvme_discovery_entry **entries, uint32_t *count,
				     uint64_t *genctr);

/** Free what usk_nvme_ctrlr_get_discovery_log() returned; NULL is fine. */
void usk_nvme_discovery_log_free(struct usk_nvme_discovery_entry *entries);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_NVME_DISCOVERY_H */
