/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transports: how a controller's registers are reached and how a queue
 * pair's commands and completions travel. pcie (nvme_pcie_*.c) maps BAR 0
 * and rings in DMA memory; tcp (nvme_tcp_*.c) reads and writes properties
 * with Fabrics commands and carries capsules over a socket.
 *
 * The hot path (submit, reap, flush) tests the queue pair's trtype and
 * calls pcie's functions directly, so the compiler inlines them as before
 * the table existed: pcie pays a compare on a field already in cache, and
 * the other transports one indirect call each.
 */
#ifndef USK_NVME_TRANSPORT_H
#define USK_NVME_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usk/nvme.h"

struct nvme_payload;
struct nvme_tracker;

struct nvme_transport_ops {
	const char *name;
	/* sizeof the transport's controller and queue pair, whose first member is the base. */
	size_t qpair_size;
	/*
	 * Registers (pcie: MMIO) or properties (fabrics: Property Get/Set, which
	 * waits for the answer: failure, detach and tools only; the reset's
	 * steps send them as polled commands, see @regs_by_command). A read
	 * that fails gives all ones, as a removed PCIe device does.
	 */
	uint32_t (*reg_read32)(struct usk_nvme_ctrlr *c, uint32_t off);
	uint64_t (*reg_read64)(struct usk_nvme_ctrlr *c, uint32_t off);
	void (*reg_write32)(struct usk_nvme_ctrlr *c, uint32_t off, uint32_t value);
	void (*reg_write64)(struct usk_nvme_ctrlr *c, uint32_t off, uint64_t value);
	/*
	 * Registers are Fabrics properties: the reset's steps read and write
	 * them with Property Get/Set on the admin queue, one command per poll,
	 * instead of the calls above, and read CAP themselves after the connect.
	 */
	bool regs_by_command;
	/*
	 * Starts reaching the controller, without waiting (pcie: maps BAR 0,
	 * done on return; tcp: makes the admin queue pair and starts its TCP
	 * connect). Returns 0 or a negative errno.
	 */
	int (*ctrlr_connect)(struct usk_nvme_ctrlr *c);
	/*
	 * NULL when ctrlr_connect is done on return. Otherwise moves the connect
	 * on from the reset's steps without waiting (tcp: ICReq/ICResp, Fabrics
	 * Connect of the admin queue): 0 once properties can travel, -EAGAIN
	 * meanwhile, or the error (its deadline passed: -ETIMEDOUT). The admin
	 * lock is held.
	 */
	int (*ctrlr_connect_poll)(struct usk_nvme_ctrlr *c);
	/*
	 * NULL: the transport does not reconnect. Otherwise the first step of
	 * its reset, the admin lock held: ends what the admin queue holds and
	 * starts a new admin connection, without waiting (ctrlr_connect_poll
	 * then moves it on). 0 or a negative errno.
	 */
	int (*ctrlr_reconnect)(struct usk_nvme_ctrlr *c);
	/* pcie: tells the controller where its admin queue is and sets CC.EN. */
	void (*ctrlr_start)(struct usk_nvme_ctrlr *c);
	/*
	 * A failing controller must stop moving data, without waiting: pcie
	 * clears CC.EN (the failure then watches CSTS.RDY); tcp closes the
	 * admin connection, which ends the association (TCP transport 3.4).
	 */
	void (*ctrlr_halt)(struct usk_nvme_ctrlr *c);
	/* Why the controller cannot go on (gone, fatal status, connection lost), or NULL. */
	const char *(*ctrlr_fault)(struct usk_nvme_ctrlr *c);
	/* Whether a reset can rebuild the controller (pcie in place, tcp by reconnecting). */
	bool can_reset;
	/* Releases what the transport holds for the controller (its qpairs are gone). */
	void (*ctrlr_fini)(struct usk_nvme_ctrlr *c);
	/* Sets up a queue pair the generic code has allocated (rings, buffers); 0 or -errno. */
	int (*qpair_init)(struct usk_nvme_qpair *q);
	void (*qpair_fini)(struct usk_nvme_qpair *q);
	/*
	 * Brings an I/O queue pair whose synced_state is behind the controller's
	 * in line, on its owner's thread, never waiting (nvme_qpair_resync()):
	 * ends what the old queues held and moves their making on (pcie:
	 * Create I/O CQ and SQ; tcp: a new connection, ICReq, Fabrics Connect).
	 * 0 once in sync, -EAGAIN meanwhile, else the error. -ECANCELED is
	 * -EAGAIN past fast_io_fail_timeout_sec: its making goes on, but what
	 * waits for it ends and new commands are refused.
	 */
	int (*qpair_rebuild)(struct usk_nvme_qpair *q);
	/*
	 * The rest the generic code calls for transports other than pcie only:
	 * pcie's are called directly, so the compiler inlines them.
	 */
	/* usk_nvme_qpair_disconnect(): closes the queue; the next poll ends what was out. */
	int (*qpair_disconnect)(struct usk_nvme_qpair *q);
	/* Sends @cmd with tracker @cid taken for it; 0 or -errno (the tracker is then given back). */
	int (*qpair_submit)(struct usk_nvme_qpair *q, uint16_t cid, const struct usk_nvme_sqe *cmd,
			    const struct nvme_payload *data);
	/* usk_nvme_qpair_process_completions(). */
	int (*qpair_process_completions)(struct usk_nvme_qpair *q, uint32_t max);
	/* Pushes out what submissions left to send (pcie: the SQ tail doorbell). */
	void (*qpair_flush)(struct usk_nvme_qpair *q);
	/* Whether @data can be carried (pcie: DMA-able, within a PRP list); checked before waiting. */
	bool (*qpair_payload_fits)(const struct usk_nvme_qpair *q, const struct nvme_payload *data);
};

extern const struct nvme_transport_ops g_nvme_pcie_ops;
extern const struct nvme_transport_ops g_nvme_tcp_ops;

/*
 * Starts attaching the NVMe/TCP controller @trid names, as
 * usk_nvme_ctrlr_attach_async() (nvme_tcp_ctrlr.c): the TCP connect,
 * ICReq/ICResp, Fabrics Connect and each property access are steps
 * usk_nvme_attach_poll() moves on, none waits for the target.
 */
int nvme_tcp_ctrlr_attach_async(const struct usk_nvme_transport_id *trid,
				const struct usk_nvme_ctrlr_opts *opts,
				struct usk_nvme_attach_ctx **ctx);

#endif /* USK_NVME_TRANSPORT_H */
