/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * USK's polled NVMe driver: controllers, namespaces, I/O queue pairs.
 *
 * Thread rules: a controller's attach, detach, queue pair allocation and
 * admin commands may be called from any thread (the admin queue is locked).
 * An I/O queue pair belongs to one thread at a time: its submissions and
 * usk_nvme_qpair_process_completions() must not run concurrently. Nothing
 * on the I/O path takes a lock, makes a system call or allocates memory.
 */
#ifndef USK_NVME_H
#define USK_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "usk/nvme_spec.h"
#include "usk/nvmf_spec.h"
#include "usk/pci.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

struct usk_nvme_ctrlr;
struct usk_nvme_ns;
struct usk_nvme_qpair;

/** How a controller is reached: NVMe-oF's TRTYPE values, PCIe apart (SPDK uses 256 for it). */
enum usk_nvme_transport_type {
	USK_NVME_TRANSPORT_PCIE = 0,
	USK_NVME_TRANSPORT_TCP = 3,
};

/** The longest traddr and trsvcid, without the NUL (the Discovery Log Page's fields). */
#define USK_NVMF_TRADDR_MAX_LEN	 255
#define USK_NVMF_TRSVCID_MAX_LEN 31
/** NVMe/TCP's IANA port, trsvcid's default. */
#define USK_NVMF_TCP_DEFAULT_PORT "4420"
/** The host NQN used when usk_nvme_ctrlr_opts.hostnqn is empty. */
#define USK_NVME_DEFAULT_HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:usk-host"

/** A controller's address (usk_nvme_transport_id_parse()). */
struct usk_nvme_transport_id {
	enum usk_nvme_transport_type trtype;
	/** PCIe: the device. */
	struct usk_pci_addr pci_addr;
	/** Fabrics: the address family (USK_NVMF_ADRFAM_*), address (an IP literal), port, subsystem. */
	uint8_t adrfam;
	char traddr[USK_NVMF_TRADDR_MAX_LEN + 1];
	char trsvcid[USK_NVMF_TRSVCID_MAX_LEN + 1];
	char subnqn[USK_NVMF_NQN_MAX_LEN + 1];
	/** Not part of the ID: a "hostnqn:" key the string carried, else empty. */
	char hostnqn[USK_NVMF_NQN_MAX_LEN + 1];
};

/**
 * Called once for each command when it completes, successfully or not.
 *
 * @param cb_arg the pointer given at submission
 * @param cpl    the completion entry; USK_NVME_STATUS_CODE(cpl->status) is
 *               0 on success, else the NVMe status (SCT << 8 | SC). A
 *               command the driver itself ends (e.g. on detach) completes
 *               with SCT 0, SC 0x07 (Command Abort Requested).
 */
typedef void (*usk_nvme_cmd_cb)(void *cb_arg, const struct usk_nvme_cqe *cpl);

/** usk_nvme_ctrlr_opts.arbitration_burst: leave the controller's own value. */
#define USK_NVME_ARB_BURST_KEEP 0xff
/** usk_nvme_ctrlr_opts.arbitration_burst: no limit (AB 111b). */
#define USK_NVME_ARB_BURST_NO_LIMIT 7

/** What the driver does when an I/O command times out (usk_nvme_ctrlr_opts.io_timeout_action). */
enum usk_nvme_timeout_action {
	/** send an Abort; if the command is still out one more timeout later, reset */
	USK_NVME_TIMEOUT_ABORT,
	/** reset the controller at once */
	USK_NVME_TIMEOUT_RESET,
};

/** Controller options. Fill with usk_nvme_ctrlr_opts_init() first. */
struct usk_nvme_ctrlr_opts {
	/** sizeof(struct usk_nvme_ctrlr_opts) as the caller knows it. */
	size_t opts_size;
	/** I/O queue pairs to ask the controller for (default 16). */
	uint32_t num_io_queues;
	/** Entries of each I/O queue, capped by CAP.MQES+1 and 65535 (default 256). */
	uint32_t io_queue_size;
	/**
	 * Entries of the admin queue (default 32; below 2 taken as 2, above
	 * 4096 as 4096). Asynchronous event requests wait in it, up to 4,
	 * always leaving two entries for commands: below 5 entries fewer
	 * events are asked for.
	 */
	uint32_t admin_queue_size;
	/**
	 * How long an admin command may take, in milliseconds (default 10000).
	 * One that takes longer fails with -ETIMEDOUT and the controller is
	 * reset (see usk_nvme_ctrlr_reset()), which frees its queue entry.
	 */
	uint32_t admin_timeout_ms;
	/**
	 * Shadow doorbells with EventIdx when the controller offers Doorbell
	 * Buffer Config (OACS bit 8): I/O queue doorbells go to memory and the
	 * MMIO register is written only when the controller asks (default true).
	 */
	bool shadow_doorbells;
	/**
	 * Hardware SGLs for I/O data when the controller reports them (SGLS):
	 * buffers then may start at any byte (SGLS 01b) or dword (10b), and
	 * need not be page-contiguous in IOVA (default true). PRPs otherwise.
	 */
	bool sgls;
	/**
	 * How long an I/O command may take, in milliseconds, 0 for no limit
	 * (default 30000). What follows is io_timeout_action's; the late command
	 * completes with Command Abort Requested, the others the reset ends as
	 * usk_nvme_ctrlr_reset() says. With a limit, each poll reads the CPU's
	 * clock once. The poll that finds a late command never waits: the Abort
	 * is sent and its answer left to the admin poll, and the reset is done
	 * by the next usk_nvme_ctrlr_process_admin_completions() of the
	 * controller, which an application with timeouts must therefore call
	 * periodically.
	 */
	uint32_t io_timeout_ms;
	/**
	 * Arbitration Burst (Set Features Arbitration, base 5.27.1.1): the
	 * controller takes up to 2^n commands from a queue at a time; 0 to 6,
	 * USK_NVME_ARB_BURST_NO_LIMIT, or USK_NVME_ARB_BURST_KEEP (default).
	 * Set at bring-up and again after each reset.
	 */
	uint8_t arbitration_burst;
	/**
	 * What a late I/O command gets (default USK_NVME_TIMEOUT_ABORT): an
	 * Abort and one more period before the reset, or the reset at once. The
	 * late command ends with Command Abort Requested either way.
	 */
	enum usk_nvme_timeout_action io_timeout_action;
	/**
	 * Set up MSI-X at attach (default false), so that queue pairs made
	 * with usk_nvme_io_qpair_opts.interrupts can wake a sleeping thread:
	 * vector 0 serves the admin queue (usk_nvme_ctrlr_get_admin_interrupt_fd())
	 * and vectors 1..V-1 the I/O queue pairs, V being the smaller of the
	 * device's MSI-X table size and the I/O queues granted + 1; with fewer
	 * vectors than queue pairs they share (queue ID q takes vector
	 * (q - 1) % (V - 1) + 1). Each vector has an eventfd. A device without
	 * MSI-X (or whose MSI-X cannot be enabled) is attached anyway, says
	 * once in the log that it is polled only, and its queue pairs have no
	 * interrupt (-ENOTSUP).
	 */
	bool interrupts;
	/**
	 * The host NQN a fabric controller is connected with (SPDK's hostnqn
	 * option); empty: USK_NVME_DEFAULT_HOSTNQN. PCIe ignores it.
	 */
	char hostnqn[USK_NVMF_NQN_MAX_LEN + 1];
	/** NVMe/TCP: ask for header digests (CRC32C over each PDU header; default false). */
	bool header_digest;
	/** NVMe/TCP: ask for data digests (CRC32C over each PDU's data; default false). */
	bool data_digest;
	/**
	 * Keep Alive Timeout of a fabric controller in milliseconds (default
	 * 10000, 0: none): the admin poll sends Keep Alive every half of it, so
	 * the application must call usk_nvme_ctrlr_process_admin_completions()
	 * at least that often. A Keep Alive unanswered for this long loses the
	 * connection (the controller fails, or reconnects).
	 */
	uint32_t keep_alive_timeout_ms;
	/**
	 * A fabric controller whose connection is lost, or that needs a reset,
	 * reconnects (a new admin connection and association, then the reset's
	 * steps; each I/O queue pair makes a new connection on its owner's
	 * thread): seconds from the loss during which it tries, before it
	 * fails as it does without reconnecting (SPDK's ctrlr_loss_timeout_sec).
	 * 0 (default): no reconnect, a lost connection fails the controller at
	 * once; -1: for ever. Commands out on a lost connection end with
	 * Command Aborted due to SQ Deletion (to be sent again); commands
	 * submitted meanwhile wait in the queue pair. PCIe ignores it.
	 * usk_nvme_reconnect_opts_check() says which combinations of the three
	 * reconnect options are allowed; the attach refuses others (-EINVAL).
	 */
	int32_t ctrlr_loss_timeout_sec;
	/** Seconds between reconnect attempts (SPDK's reconnect_delay_sec; 0 without reconnect). */
	uint32_t reconnect_delay_sec;
	/**
	 * Seconds from the loss after which I/O stops waiting for the reconnect
	 * (SPDK's fast_io_fail_timeout_sec): commands waiting in I/O queue pairs
	 * end with Command Abort Requested and new ones are refused (-ENXIO)
	 * until the controller is back. 0 (default): they wait until it is back
	 * or has failed.
	 */
	uint32_t fast_io_fail_timeout_sec;
};

/**
 * Fill @p opts with the defaults.
 *
 * @param opts      the options to fill
 * @param opts_size sizeof(struct usk_nvme_ctrlr_opts) as the caller knows it
 */
void usk_nvme_ctrlr_opts_init(struct usk_nvme_ctrlr_opts *opts, size_t opts_size);

/**
 * Check a reconnect policy (usk_nvme_ctrlr_opts.ctrlr_loss_timeout_sec,
 * reconnect_delay_sec, fast_io_fail_timeout_sec) by SPDK's rules:
 * ctrlr_loss_timeout_sec -1 or more; with 0 the other two are 0; otherwise
 * reconnect_delay_sec is at least 1 and at most ctrlr_loss_timeout_sec, and
 * fast_io_fail_timeout_sec is 0 or from reconnect_delay_sec to
 * ctrlr_loss_timeout_sec (no upper bound with -1).
 *
 * @param why where a sentence naming the rule broken is stored (NULL when none is)
 * @return 0, or -EINVAL
 *
 * Thread rules: any thread.
 */
int usk_nvme_reconnect_opts_check(int32_t ctrlr_loss_timeout_sec, uint32_t reconnect_delay_sec,
				  uint32_t fast_io_fail_timeout_sec, const char **why);

/**
 * Parse a transport ID as SPDK writes it: "trtype:PCIe traddr:0000:01:00.0"
 * or a bare PCI address; "trtype:TCP adrfam:IPv4 traddr:127.0.0.1
 * trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1" (IPv6 too). Keys in any
 * case and order, ':' or '=' after each. For TCP, adrfam defaults to the
 * address's family, trsvcid to 4420 and subnqn to the discovery NQN.
 * "hostnqn:NQN" is taken too, as SPDK's perf takes it: it is not part of
 * the ID but goes into @p trid->hostnqn for usk_nvme_ctrlr_opts.hostnqn.
 *
 * @param str  the text
 * @param trid where the transport ID is stored
 * @return 0, or -EINVAL (with a log line naming what is wrong).
 */
int usk_nvme_transport_id_parse(const char *str, struct usk_nvme_transport_id *trid);

/**
 * Bring up the controller on an open PCI device: reset it, set up the admin
 * queue, identify it and its active namespaces, waiting for it:
 * usk_nvme_ctrlr_attach_pci_async() and a loop of usk_nvme_attach_poll()
 * with short naps, for tools. A service attaches asynchronously: this call
 * occupies its thread for as long as the controller takes to come ready
 * (up to twice CAP.TO, which may be 127.5 s).
 *
 * Thread rules: a thread that may sleep.
 *
 * @param dev   the device, from usk_pci_device_attach() or a test model;
 *              the controller owns it from now on and detaches it
 * @param opts  options, or NULL for the defaults
 * @param ctrlr where the controller is stored on success
 * @return 0; -ETIMEDOUT when the controller does not become ready within
 *         CAP.TO; -EIO when a bring-up command fails; -ENOMEM; -ENODEV
 *         when registers read all ones (the device is gone).
 */
int usk_nvme_ctrlr_attach_pci(struct usk_pci_device *dev, const struct usk_nvme_ctrlr_opts *opts,
			      struct usk_nvme_ctrlr **ctrlr);

/**
 * Attach the controller named by a transport ID: for PCIe open its device
 * through VFIO, then as usk_nvme_ctrlr_attach_pci(); for TCP connect the
 * admin queue (ICReq, Fabrics Connect), enable the controller through its
 * properties and identify it, waiting for each answer. Both poll
 * usk_nvme_ctrlr_attach_async() with short naps. usk_env_init() first.
 * A "hostnqn:" in the string is used when @p opts names none.
 *
 * @return 0, or a negative errno (see usk_pci_device_attach() and
 *         usk_nvme_ctrlr_attach_pci()).
 */
int usk_nvme_ctrlr_attach(const char *trid, const struct usk_nvme_ctrlr_opts *opts,
			  struct usk_nvme_ctrlr **ctrlr);

/** A bring-up under way (usk_nvme_ctrlr_attach_async()). */
struct usk_nvme_attach_ctx;

/**
 * Start bringing up the controller on an open PCI device without waiting
 * for it. usk_nvme_attach_poll() then moves it on, never waiting: disable,
 * wait for CSTS.RDY to clear, enable with the admin queue, wait for
 * CSTS.RDY (CAP.TO is each wait's deadline), Identify Controller, Set
 * Features Number of Queues (and Arbitration if the options say),
 * Doorbell Buffer Config, Asynchronous Event Configuration and the event
 * requests, then the active namespace list and Identify Namespace for each:
 * the steps a reset takes, one command or one register read per poll.
 *
 * @param dev   the device; the bring-up owns it from now on (released on failure)
 * @param opts  options, or NULL for the defaults
 * @param ctx   where the bring-up is stored on success
 *
 * Thread rules: any thread; the one that polls @p ctx afterwards may differ,
 * one at a time.
 *
 * @return 0 (poll @p ctx to its end); -ENOMEM; -ENODEV when registers read
 *         all ones; -ENOTSUP when the controller does not take 4 KiB pages;
 *         -EINVAL for impossible options.
 */
int usk_nvme_ctrlr_attach_pci_async(struct usk_pci_device *dev,
				    const struct usk_nvme_ctrlr_opts *opts,
				    struct usk_nvme_attach_ctx **ctx);

/**
 * As usk_nvme_ctrlr_attach_pci_async(), for the controller named by a
 * transport ID: a PCI device is opened through VFIO first. An NVMe/TCP
 * controller goes through the same steps, none waiting for the target:
 * this starts the TCP connect; the polls finish it, send ICReq and Fabrics
 * Connect for the admin queue, then read CAP and each register a step
 * needs with a Property Get/Set, each answered on a later poll. The admin
 * timeout bounds the connection and each command (-ETIMEDOUT).
 */
int usk_nvme_ctrlr_attach_async(const char *trid, const struct usk_nvme_ctrlr_opts *opts,
				struct usk_nvme_attach_ctx **ctx);

/**
 * Move a bring-up on by what can be done without waiting, and return.
 * Poll it often (each step costs a poll); a poller on a reactor may call
 * it every turn.
 *
 * @param ctx   from usk_nvme_ctrlr_attach_async(); freed once this returns
 *              anything but -EAGAIN
 * @param ctrlr where the controller is stored when it is ready
 * @return -EAGAIN while under way; 0 once the controller is ready (as after
 *         usk_nvme_ctrlr_attach()); or why it failed, the controller then
 *         stopped and released: -ETIMEDOUT (not ready within CAP.TO, or an
 *         admin command not answered within the admin timeout), -EIO (a
 *         bring-up command refused), -ENODEV (registers read all ones),
 *         -ENOMEM.
 */
int usk_nvme_attach_poll(struct usk_nvme_attach_ctx *ctx, struct usk_nvme_ctrlr **ctrlr);

/**
 * Called by usk_nvme_probe() for each controller found, before attaching.
 *
 * @param ctx  the pointer given to usk_nvme_probe()
 * @param info what sysfs says about the device
 * @param opts the options the controller will be attached with: defaults,
 *             which the callback may change
 * @return true to attach the controller, false to skip it.
 */
typedef bool (*usk_nvme_probe_cb)(void *ctx, const struct usk_pci_device_info *info,
				  struct usk_nvme_ctrlr_opts *opts);

/** Called by usk_nvme_probe() for each controller it attached. */
typedef void (*usk_nvme_attach_cb)(void *ctx, const struct usk_pci_device_info *info,
				   struct usk_nvme_ctrlr *ctrlr);

typedef void (*usk_nvme_remove_cb)(void *ctx, struct usk_nvme_ctrlr *ctrlr);

/**
 * Find NVMe controllers and attach those the probe callback wants.
 *
 * @param trid      a transport ID or PCI address, or NULL for every NVMe
 *                  controller bound to vfio-pci
 * @param ctx       passed to the callbacks unchanged
 * @param probe_cb  decides and sets options per controller; NULL attaches
 *                  every one with the defaults
 * @param attach_cb receives each attached controller (required)
 * @param remove_cb set as each controller's remove callback (see
 *                  usk_nvme_ctrlr_set_remove_cb()); may be NULL
 * @return the number of controllers attached; -ENODEV when none was found
 *         (the log names controllers left on other drivers and the fix);
 *         or the first attach error (controllers attached before it stay
 *         attached and were passed to @p attach_cb).
 */
int usk_nvme_probe(const char *trid, void *ctx, usk_nvme_probe_cb probe_cb,
		   usk_nvme_attach_cb attach_cb, usk_nvme_remove_cb remove_cb);

/**
 * Shut the controller down (CC.SHN, waiting for SHST, then CC.EN cleared,
 * waiting for CSTS.RDY to clear) and release it and its device. Every I/O
 * queue pair must be freed first. usk_nvme_ctrlr_detach_async() and a loop
 * of usk_nvme_ctrlr_detach_poll() with short naps, for tools: this call
 * occupies its thread for as long as the controller takes (up to twice
 * CAP.TO); a service detaches asynchronously.
 *
 * Thread rules: a thread that may sleep; nothing else may use the controller.
 *
 * @return 0, or -EBUSY while I/O queue pairs remain (nothing is done), or
 *         -ETIMEDOUT if the shutdown did not complete (it is released anyway).
 */
int usk_nvme_ctrlr_detach(struct usk_nvme_ctrlr *ctrlr);

/**
 * Start detaching the controller without waiting: asks for a normal
 * shutdown (CC.SHN). usk_nvme_ctrlr_detach_poll() then moves it on, one
 * register read per call, and releases the controller at the end. A gone
 * or failed controller is released by the first poll. Nothing else may
 * use the controller from now on (no admin poll either).
 *
 * Thread rules: one thread, the one that then polls; never waits.
 *
 * @return 0; -EBUSY while I/O queue pairs remain (nothing is done);
 *         -EALREADY when a detach is under way.
 */
int usk_nvme_ctrlr_detach_async(struct usk_nvme_ctrlr *ctrlr);

/**
 * Move a detach started by usk_nvme_ctrlr_detach_async() on: one CSTS
 * read, never a wait. The shutdown and then the disable each have CAP.TO
 * as their deadline.
 *
 * @return -EAGAIN while under way (call again later); otherwise the
 *         controller and its device are released (@p ctrlr must not be
 *         used again) and the outcome is returned: 0, or -ETIMEDOUT when
 *         the controller did not complete its shutdown or stop in time.
 *         -EINVAL when no detach was started (nothing is done).
 */
int usk_nvme_ctrlr_detach_poll(struct usk_nvme_ctrlr *ctrlr);

/*
 * usk_nvme_remove_cb, declared above: called once when the controller is
 * found gone (hot-unplug: the kernel's VFIO request, or registers reading
 * all ones) or failed (CSTS.CFS). By then every command of the controller
 * has completed or will complete with Command Abort Requested on its queue
 * pair's next poll; detach it.
 */

/**
 * Set the callback for removal and failure (one per controller; NULL clears).
 * Thread rules: call before the controller is polled from other threads.
 */
void usk_nvme_ctrlr_set_remove_cb(struct usk_nvme_ctrlr *ctrlr, usk_nvme_remove_cb cb, void *ctx);

/**
 * Reset the controller (CC.EN to 0, then bring-up again) and wait until it
 * is ready: usk_nvme_ctrlr_reset_async() and a loop of
 * usk_nvme_ctrlr_process_admin_completions() with short naps, for tools.
 * A service calls usk_nvme_ctrlr_reset_async() instead: this call occupies
 * its thread for as long as the controller takes (up to twice CAP.TO).
 *
 * While the controller answers, its I/O queues are deleted first (queue
 * pairs' threads wait meanwhile), so the disable finds no command the
 * controller has fetched and not yet finished.
 *
 * Every command outstanding completes exactly once: admin commands with
 * Command Abort Requested, from the admin poll that finds the controller
 * disabled; I/O commands on their queue pair's next poll with Command
 * Aborted due to SQ Deletion (DNR clear: the controller never finished
 * them, so they may be sent again), except a command whose timeout caused
 * the reset, which ends with Command Abort Requested. While the controller
 * resets, new I/O is not refused: it waits in its queue pair (up to the
 * queue pair's waiting room, then -EAGAIN) and goes out once that queue
 * pair's queues are created again, which its own polls do after the reset
 * (two admin commands, which the admin poll answers). Admin commands from
 * callers are refused meanwhile (-EBUSY); synchronous ones wait for the end
 * of the reset and then go out.
 *
 * Thread rules: any thread that may sleep; not from an I/O or admin
 * completion callback (use usk_nvme_ctrlr_reset_async() there).
 *
 * @return 0 when the controller is ready again; -ENXIO when it had already
 *         failed or failed meanwhile; else the error that made the reset
 *         fail (-ETIMEDOUT: CSTS.RDY did not change within CAP.TO or a
 *         command of the reset was not answered; -EIO: one was refused;
 *         -ENODEV: the device is gone): the controller is then failed and
 *         its remove callback called, as on hot-unplug.
 */
int usk_nvme_ctrlr_reset(struct usk_nvme_ctrlr *ctrlr);

/**
 * Called once a reset asked for with usk_nvme_ctrlr_reset_async() is done.
 *
 * @param cb_arg the pointer given with the request
 * @param ctrlr  the controller
 * @param rc     as usk_nvme_ctrlr_reset() returns
 */
typedef void (*usk_nvme_reset_cb)(void *cb_arg, struct usk_nvme_ctrlr *ctrlr, int rc);

/**
 * Ask for a reset without waiting for it. The reset is a sequence of steps
 * (delete the I/O queues, clear CC.EN, see CSTS.RDY clear, set up the admin
 * queue and CC.EN, see CSTS.RDY set, set the features bring-up set); each
 * call of usk_nvme_ctrlr_process_admin_completions() does the steps that
 * need no waiting and returns, so a controller that takes seconds to come
 * ready holds up no thread, nor the other controllers its thread polls.
 * Poll often while usk_nvme_ctrlr_admin_busy() says so. @p cb then runs,
 * once, from such a call, with no lock held: when the admin side is ready
 * again (each I/O queue pair's own polls then create its queues again).
 * Requests made before the reset starts share it; one made during a reset
 * gets a reset of its own after it. What it does to commands is as for
 * usk_nvme_ctrlr_reset().
 *
 * Thread rules: any thread, including an I/O thread and a completion
 * callback; never waits.
 *
 * @return 0 (the callback will run); -ENXIO when the controller has
 *         failed; -ENOMEM.
 */
int usk_nvme_ctrlr_reset_async(struct usk_nvme_ctrlr *ctrlr, usk_nvme_reset_cb cb, void *cb_arg);

/**
 * Whether a reset of the controller is under way (started, not yet done or
 * failed), or a failing controller is being stopped (CC.EN cleared, the
 * admin poll waiting up to 100 ms for CSTS.RDY to clear before it reports
 * the failure).
 * Thread rules: any thread (one atomic load).
 */
bool usk_nvme_ctrlr_is_resetting(const struct usk_nvme_ctrlr *ctrlr);

/** An asynchronous event's type, from its Dword 0 (base 5.2.1). */
#define USK_NVME_AER_TYPE(dw0) ((uint8_t)((dw0)&0x7))
/** The event's information: what happened, within its type. */
#define USK_NVME_AER_INFO(dw0) ((uint8_t)(((dw0) >> 8) & 0xff))
/** The log page that tells more (and that the driver has read). */
#define USK_NVME_AER_LOG_PAGE(dw0) ((uint8_t)(((dw0) >> 16) & 0xff))
#define USK_NVME_AER_TYPE_ERROR	   0 /**< an error, e.g. an invalid doorbell write */
#define USK_NVME_AER_TYPE_SMART	   1 /**< SMART / health: info 1 temperature, 2 spare... */
#define USK_NVME_AER_TYPE_NOTICE   2 /**< a notice, e.g. namespace attributes changed */
/** Notice: namespace attributes changed (the driver has refreshed its namespaces). */
#define USK_NVME_AER_NOTICE_NS_CHANGED 0

/**
 * Called for each asynchronous event of a controller, once the driver has
 * read the log page it names (which lets the controller report the next
 * event of that kind) and, for a namespace attribute change, identified
 * the namespaces again: usk_nvme_ctrlr_get_ns() then tells what is active,
 * with its new size.
 *
 * @param ctx   the pointer given to usk_nvme_ctrlr_set_aer_cb()
 * @param ctrlr the controller
 * @param dw0   the event: USK_NVME_AER_TYPE(), USK_NVME_AER_INFO(), USK_NVME_AER_LOG_PAGE()
 *
 * Thread rules: it runs inside usk_nvme_ctrlr_process_admin_completions(),
 * on that caller's thread, with no lock held: it may send admin commands
 * and reset the controller.
 */
typedef void (*usk_nvme_aer_cb)(void *ctx, struct usk_nvme_ctrlr *ctrlr, uint32_t dw0);

/**
 * Set the callback for asynchronous events (one per controller; NULL
 * clears: events are then only logged). Events are enabled at bring-up:
 * SMART critical warnings, and namespace attribute notices when the
 * controller offers them (OAES bit 8).
 * Thread rules: as usk_nvme_ctrlr_set_remove_cb().
 */
void usk_nvme_ctrlr_set_aer_cb(struct usk_nvme_ctrlr *ctrlr, usk_nvme_aer_cb cb, void *ctx);

/**
 * Check the controller's health, reap admin completions and run the
 * callbacks of commands sent with usk_nvme_ctrlr_cmd_admin_raw(). Call it
 * periodically (every 100 ms is plenty while usk_nvme_ctrlr_admin_busy()
 * is false; as often as you like while it is true): it is how removal and
 * fatal errors are noticed, how a caller's admin command that the
 * controller lost (no answer within the admin timeout) is found, and the
 * only place callers' admin callbacks run. It reads a register and may
 * make a system call, so it stays off the I/O path. Asynchronous events
 * reaped are handled here too (see usk_nvme_aer_cb).
 *
 * Thread rules: any thread, one at a time per controller.
 *
 * @return admin completions reaped, or -ENXIO once the controller is gone
 *         or failed (the remove callback has then been called, once; the
 *         callbacks of commands it ended have run, with Command Abort
 *         Requested).
 */
int usk_nvme_ctrlr_process_admin_completions(struct usk_nvme_ctrlr *ctrlr);

/**
 * The eventfd of the admin queue's vector (vector 0), signalled by every
 * admin completion, asynchronous events included, for as long as the
 * controller is attached with usk_nvme_ctrlr_opts.interrupts: the wake-up
 * of a sleeping admin poller. The caller drains it (reads the count) when
 * it wakes; it must not close it.
 *
 * @return the fd, or -ENOTSUP when the controller has no interrupts.
 *
 * Thread rules: any thread; the fd lives as long as the controller.
 */
int usk_nvme_ctrlr_get_admin_interrupt_fd(const struct usk_nvme_ctrlr *ctrlr);

/**
 * Send an admin command without waiting for it. The driver sets the CID and
 * the data pointer; every other field of @p cmd is sent as given, so it
 * serves commands USK has no helper for (vendor-specific ones included).
 * The callback runs exactly once, from a later
 * usk_nvme_ctrlr_process_admin_completions() on that caller's thread, with
 * no lock held: it may send admin commands again and may call the
 * synchronous helpers. A command the controller does not answer within the
 * admin timeout has the controller reset, which ends it with Command Abort
 * Requested; a failure of the controller ends it the same way.
 *
 * @param ctrlr  the controller
 * @param cmd    the command (copied; need not outlive the call)
 * @param buf    DMA-able data buffer, or NULL; kept until the callback runs
 * @param len    its length in bytes (up to what one PRP list covers: 2 MiB)
 * @param cb     called with the completion; not NULL
 * @param cb_arg passed to @p cb
 *
 * Thread rules: any thread; never waits (the admin lock is taken only to
 * put the command in the ring).
 *
 * @return 0; -EINVAL for a NULL @p cb or a buffer that is not DMA-able or
 *         too long; -EAGAIN when the admin queue and its waiting room are
 *         full (poll, then send again); -EBUSY while the controller resets
 *         (send again once usk_nvme_ctrlr_is_resetting() is false);
 *         -ENXIO when the controller has failed.
 */
int usk_nvme_ctrlr_cmd_admin_raw(struct usk_nvme_ctrlr *ctrlr, const struct usk_nvme_sqe *cmd,
				 void *buf, uint32_t len, usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * Whether the admin side has work under way: admin commands sent with
 * usk_nvme_ctrlr_cmd_admin_raw() whose callbacks are still to run, or a
 * reset asked for or under way. A poller may call
 * usk_nvme_ctrlr_process_admin_completions() often while this is true and
 * slowly otherwise.
 *
 * Thread rules: any thread (one atomic load).
 */
bool usk_nvme_ctrlr_admin_busy(const struct usk_nvme_ctrlr *ctrlr);

/** @return whether the controller has been found gone or failed. */
bool usk_nvme_ctrlr_is_failed(const struct usk_nvme_ctrlr *ctrlr);

/** @return the Identify Controller data. */
const struct usk_nvme_ctrlr_data *usk_nvme_ctrlr_get_data(const struct usk_nvme_ctrlr *ctrlr);

/** @return the controller's name: its PCI address ("0000:01:00.0"), or a fabric's "traddr:trsvcid". */
const char *usk_nvme_ctrlr_get_name(const struct usk_nvme_ctrlr *ctrlr);

/** How the controller is reached (any thread). */
enum usk_nvme_transport_type usk_nvme_ctrlr_get_trtype(const struct usk_nvme_ctrlr *ctrlr);

/**
 * The transport ID the controller was attached by (any thread; valid until
 * it is detached): PCIe's with traddr the canonical address, a fabric's
 * with every field set, the defaults filled in.
 */
const struct usk_nvme_transport_id *usk_nvme_ctrlr_get_transport_id(
	const struct usk_nvme_ctrlr *ctrlr);

/** @return the largest I/O in bytes the controller takes in one command. */
uint32_t usk_nvme_ctrlr_get_max_xfer_size(const struct usk_nvme_ctrlr *ctrlr);

/** @return whether I/O commands describe their data with SGLs (see the options). */
bool usk_nvme_ctrlr_uses_sgls(const struct usk_nvme_ctrlr *ctrlr);

/** @return the highest namespace ID (Identify Controller NN). */
uint32_t usk_nvme_ctrlr_get_num_ns(const struct usk_nvme_ctrlr *ctrlr);

/**
 * @return namespace @p nsid, or NULL when it is not active. A namespace
 *         whose format the driver cannot serve is returned too: see
 *         usk_nvme_ns_get_unsupported_reason().
 */
struct usk_nvme_ns *usk_nvme_ctrlr_get_ns(struct usk_nvme_ctrlr *ctrlr, uint32_t nsid);

/** @return the namespace's ID. */
uint32_t usk_nvme_ns_get_id(const struct usk_nvme_ns *ns);

/** @return the logical block size in bytes: data only, without metadata. */
uint32_t usk_nvme_ns_get_block_size(const struct usk_nvme_ns *ns);

/** @return the number of logical blocks. */
uint64_t usk_nvme_ns_get_num_blocks(const struct usk_nvme_ns *ns);

/** @return the optimal I/O boundary in blocks (0: none). */
uint32_t usk_nvme_ns_get_optimal_io_boundary(const struct usk_nvme_ns *ns);

/** @return the controller the namespace belongs to. */
struct usk_nvme_ctrlr *usk_nvme_ns_get_ctrlr(const struct usk_nvme_ns *ns);

/*
 * A namespace's format (Identify Namespace's FLBAS, LBA format, DPS), as
 * read when the controller was attached, after an event said it changed,
 * or after usk_nvme_ctrlr_format(). Thread rules for all: any thread, but
 * the values change while a format is read again, which must not happen
 * while I/O runs on the namespace (doc/nvme.md, "Metadata").
 */

/** @return the bytes of metadata per block (the format's MS), 0 when none. */
uint32_t usk_nvme_ns_get_md_size(const struct usk_nvme_ns *ns);

/**
 * @return whether the metadata is at the end of each block's data in the
 *         data buffer (extended LBA, FLBAS bit 4); false: a separate
 *         buffer (usk_nvme_io_opts.md), or no metadata.
 */
bool usk_nvme_ns_supports_extended_lba(const struct usk_nvme_ns *ns);

/**
 * @return the bytes per block in a data buffer: block size + metadata size
 *         when the metadata is extended, else the block size.
 */
uint32_t usk_nvme_ns_get_extended_block_size(const struct usk_nvme_ns *ns);

/** Protection information types (DPS bits 2:0, NVM command set). */
enum usk_nvme_pi_type {
	USK_NVME_PI_NONE = 0,
	USK_NVME_PI_TYPE1 = 1,
	USK_NVME_PI_TYPE2 = 2,
	USK_NVME_PI_TYPE3 = 3,
};

/** @return the protection information type the namespace is formatted with. */
enum usk_nvme_pi_type usk_nvme_ns_get_pi_type(const struct usk_nvme_ns *ns);

/** @return whether the PI is in the first 8 bytes of the metadata (else the last 8). */
bool usk_nvme_ns_pi_is_first(const struct usk_nvme_ns *ns);

/**
 * @return NULL when the driver serves the namespace's format; else a
 *         sentence naming the format and why not (blocks above 4 KiB,
 *         protection information with less than 8 bytes of metadata, a
 *         format index beyond the table). Every I/O on such a namespace
 *         is refused with -ENOTSUP; usk_nvme_ctrlr_format() can change it.
 */
const char *usk_nvme_ns_get_unsupported_reason(const struct usk_nvme_ns *ns);

/** What Format NVM (base 5.23) makes of a namespace. Fill with usk_nvme_format_opts_init(). */
struct usk_nvme_format_opts {
	/** sizeof(struct usk_nvme_format_opts) as the caller knows it. */
	size_t opts_size;
	/** the LBA format, an index into Identify Namespace's table, 0..63 (default 0) */
	uint32_t lbaf;
	/** MSET: metadata at the end of each block's data; false: separate (default) */
	bool mset;
	/** PI: protection information type 0 (none, default) to 3 */
	uint8_t pi;
	/** PIL: PI in the first 8 bytes of the metadata; false: the last (default) */
	bool pil;
	/** SES: 0 no secure erase (default), 1 user data erase, 2 cryptographic erase */
	uint8_t ses;
};

/**
 * Fill @p opts with the defaults.
 *
 * @param opts      the options to fill
 * @param opts_size sizeof(struct usk_nvme_format_opts) as the caller knows it
 *
 * Thread rules: any thread.
 */
void usk_nvme_format_opts_init(struct usk_nvme_format_opts *opts, size_t opts_size);

/**
 * Format namespace @p nsid (0xffffffff: all) with Format NVM, then read
 * every namespace's format again. The data is lost.
 *
 * The command waits for the controller's admin_timeout_ms option, like
 * every admin command: a format that erases the medium can take minutes,
 * so a tool attaches with a long one (usk_nvme uses 10 minutes).
 *
 * @param ctrlr the controller
 * @param nsid  the namespace, or 0xffffffff for all
 * @param opts  the format (not NULL)
 * @param cpl   where the completion is stored, or NULL
 * @return 0; -EINVAL for options out of range or an opts_size this
 *         library does not know; -EIO when the controller refuses (@p cpl
 *         has the status, e.g. Invalid Format); -ETIMEDOUT; -ENXIO when
 *         the controller is gone; or the error of identifying the
 *         namespaces again.
 *
 * Thread rules: any thread but an I/O thread (it waits); no I/O may run on
 * the namespace meanwhile, nor be built for its old format afterwards.
 */
int usk_nvme_ctrlr_format(struct usk_nvme_ctrlr *ctrlr, uint32_t nsid,
			  const struct usk_nvme_format_opts *opts, struct usk_nvme_cqe *cpl);

/** Options of one I/O queue pair. Fill with usk_nvme_io_qpair_opts_init() first. */
struct usk_nvme_io_qpair_opts {
	/** sizeof(struct usk_nvme_io_qpair_opts) as the caller knows it. */
	size_t opts_size;
	/**
	 * Entries of the queues (default 0: the controller's io_queue_size
	 * option); capped by CAP.MQES+1 and 65535; 1 is refused. One entry always
	 * stays empty, so entries - 1 commands are in the ring at most.
	 */
	uint32_t io_queue_size;
	/**
	 * Commands that may wait, in order, for a ring entry when the ring is
	 * full (default 0: twice the entries); at most 1048576.
	 */
	uint32_t io_queue_requests;
	/**
	 * Write the SQ tail doorbell only at the next
	 * usk_nvme_qpair_process_completions() or usk_nvme_qpair_flush(), not
	 * at each submission (default false): a batch of submissions between
	 * two polls costs one doorbell write. Such a queue pair must be polled
	 * or flushed after submitting, or its commands never reach the
	 * controller (and, with nobody polling, never time out either).
	 */
	bool delay_doorbell;
	/**
	 * Return from usk_nvme_ctrlr_alloc_io_qpair() at once, without waiting
	 * for the controller to create the queues (default false: wait). The
	 * Creates then move on from the owner's polls and submissions, which
	 * never wait for them: commands submitted meanwhile wait in the queue
	 * pair, as when the ring is full, and go out once the queues exist;
	 * polls reap nothing until then. If the controller refuses the queues,
	 * polls and submissions return -EIO and the commands that waited
	 * complete with Command Abort Requested: free the queue pair. Someone
	 * must poll the controller's admin side meanwhile
	 * (usk_nvme_ctrlr_process_admin_completions()), for a Create the
	 * controller loses is found and ended there.
	 */
	bool connect_async;
	/**
	 * Create the completion queue with interrupts enabled on its vector
	 * (IEN, IV; default false), also when a reset re-creates it, so that
	 * usk_nvme_qpair_arm_interrupt() can make it wake its thread. Needs a
	 * controller attached with usk_nvme_ctrlr_opts.interrupts; without
	 * MSI-X the queue pair is made anyway and is polled only.
	 */
	bool interrupts;
	/**
	 * With interrupts: how many completions the queue pair may reap after
	 * usk_nvme_qpair_disarm_interrupt(), without arming again, before its
	 * vector is masked (default USK_NVME_IRQ_KEEP_COMPLETIONS; 0: masked
	 * at every disarm). Until then the vector stays unmasked, so the next
	 * arm makes no VFIO call; the price is an interrupt per completion
	 * batch the controller posts meanwhile. The mask, when it comes, is
	 * one VFIO call made by usk_nvme_qpair_process_completions().
	 */
	uint32_t interrupt_keep_completions;
};

/**
 * The default of usk_nvme_io_qpair_opts.interrupt_keep_completions. A
 * completion costs one interrupt at most (at queue depth 1; one batch
 * carries many deeper), and an interrupt about what the mask or the unmask
 * call costs: a few hundred interrupts are worth the two calls that stop
 * them, and a queue pair that sleeps between shorter bursts of work makes
 * no VFIO call at all.
 */
#define USK_NVME_IRQ_KEEP_COMPLETIONS 256

/**
 * Fill @p opts with the defaults.
 *
 * @param opts      the options to fill
 * @param opts_size sizeof(struct usk_nvme_io_qpair_opts) as the caller knows it
 *
 * Thread rules: any thread.
 */
void usk_nvme_io_qpair_opts_init(struct usk_nvme_io_qpair_opts *opts, size_t opts_size);

/**
 * Create an I/O queue pair on the controller.
 *
 * @param ctrlr the controller
 * @param opts  options, or NULL for the defaults
 * @param qpair where the queue pair is stored
 * @return 0; -EINVAL for options no queue pair can have (an opts_size this
 *         library does not know, 1 entry, too many requests: the log says
 *         which); -ENOSPC when every I/O queue the controller granted is in
 *         use; -ENOMEM; -EIO when the controller refuses (the log has its
 *         status); -ETIMEDOUT when it does not answer; -ENXIO when it is
 *         gone. With connect_async the refusal and the timeout come later
 *         (see usk_nvme_io_qpair_opts.connect_async). On NVMe/TCP the queue
 *         is a connection of its own (TCP connect, ICReq, Fabrics Connect),
 *         made the same way: waited for, or moved on by the owner's polls
 *         with connect_async; a refused Connect is -EIO, no answer within
 *         the admin timeout -ETIMEDOUT.
 *
 * Thread rules: any thread; without connect_async it sends two admin
 * commands and waits for them, so it is not for an I/O path, and with it
 * it never waits (the admin lock is only tried). The queue pair then
 * belongs to the thread that submits on it and polls it.
 */
int usk_nvme_ctrlr_alloc_io_qpair(struct usk_nvme_ctrlr *ctrlr,
				  const struct usk_nvme_io_qpair_opts *opts,
				  struct usk_nvme_qpair **qpair);

/**
 * Start taking an I/O queue pair's queues off the controller, without
 * waiting: it posts Delete I/O SQ (or, if the admin lock is busy or a
 * controller reset is under way, leaves that to the next poll). From here
 * on submissions fail with -ENXIO, and usk_nvme_qpair_process_completions()
 * moves the disconnection on: it reaps what the controller completes,
 * including the commands the SQ deletion ends (Command Aborted due to SQ
 * Deletion), then posts Delete I/O CQ; once that is answered it returns
 * -ENOTCONN, every command has completed exactly once (what never reached
 * the controller, such as commands waiting for a ring entry or a delayed
 * doorbell's batch not yet written, with Command Abort Requested) and the
 * queue ID is free for another queue pair. A
 * reset of the controller meanwhile takes the queues with it: no Delete is
 * sent during one, and once it is over the queue pair is disconnected. A
 * Delete the controller refuses, or does not answer within the admin
 * timeout, has the controller reset for the same end; the admin side must
 * therefore be polled meanwhile (usk_nvme_ctrlr_process_admin_completions()).
 * Then free the queue pair with usk_nvme_ctrlr_free_io_qpair(), which
 * does not wait for a disconnected one. Once disconnected, the queue pair
 * no longer refers to its controller, which may be detached before it is
 * freed.
 *
 * @param qpair an I/O queue pair
 * @return 0; -EINVAL for the admin queue pair; -EALREADY when it is already
 *         being disconnected. When its queues are gone already (a reset, a
 *         failed controller, queues never made) it may be disconnected
 *         before this returns, with the callbacks of what it held run.
 *
 * Thread rules: the thread that owns @p qpair, also from a completion
 * callback of its own; never waits (the admin lock is only tried).
 */
int usk_nvme_qpair_disconnect(struct usk_nvme_qpair *qpair);

/**
 * Delete an I/O queue pair and free it. A queue pair disconnected with
 * usk_nvme_qpair_disconnect() (its poll returned -ENOTCONN) is freed at
 * once. Otherwise this disconnects it as usk_nvme_qpair_disconnect() says
 * and waits until that is done, polling the admin queue itself: for tools,
 * not for an I/O path. Commands still outstanding complete once: those the
 * controller had fetched with the status it ends them with (Command
 * Aborted due to SQ Deletion), the rest (commands waiting for a ring
 * entry, a delayed doorbell's batch never written, commands a reset
 * ended meanwhile) with Command Abort Requested.
 *
 * Thread rules: the thread that owns @p qpair.
 *
 * @return 0; or the first error of a Delete command (-EIO refused,
 *         -ETIMEDOUT not answered): the controller is then reset, so that
 *         it holds no queue on the freed memory, and the queue pair is
 *         freed anyway.
 */
int usk_nvme_ctrlr_free_io_qpair(struct usk_nvme_qpair *qpair);

/**
 * Read @p lba_count blocks from @p lba into @p buf, DMA-able memory
 * (usk_dma_malloc() or usk_mem_register()).
 *
 * When every queue entry is in use the command waits, in submission order,
 * and goes out as entries free (io_queue_requests may wait). While the
 * controller resets (usk_nvme_ctrlr_is_resetting()), or the queue pair's
 * queues are being created, new commands wait the same way: queued, not
 * refused, they go out once its queues are there. A request
 * above the maximum transfer, or across the namespace's optimal I/O
 * boundary, goes out as several commands, all accepted or none; the
 * callback runs once, with the first failure if any.
 *
 * On a namespace with metadata at the end of each block (extended LBA),
 * @p buf holds usk_nvme_ns_get_extended_block_size() bytes per block,
 * data and metadata. A namespace with separate metadata needs the
 * metadata buffer of usk_nvme_ns_read_ext().
 *
 * @return 0 when submitted (the callback then runs exactly once);
 *         -EINVAL for a range beyond the namespace, a transfer above the
 *         maximum, or a buffer that is not DMA-able or not 4-byte aligned
 *         (any alignment with SGLs that allow it), or a namespace with
 *         separate metadata;
 *         -ENOTSUP on a namespace whose format the driver cannot serve
 *         (usk_nvme_ns_get_unsupported_reason());
 *         -EAGAIN when the queue and its waiting room are full (complete
 *         some first); -ENXIO when the controller is gone.
 */
int usk_nvme_ns_read(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, void *buf, uint64_t lba,
		     uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg);

/** Write; as usk_nvme_ns_read(). */
int usk_nvme_ns_write(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
		      uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * Read into the buffers of @p iov, in order (readv(2)'s way).
 *
 * The elements are DMA-able memory. One element is as usk_nvme_ns_read().
 * Several go out as one command, or, above the maximum transfer or across
 * the optimal I/O boundary, as several that each take their part of the
 * elements, as usk_nvme_ns_read() splits. With PRPs (no SGLs) the
 * elements must meet on page boundaries: only the first may start, and
 * only the last may end, inside a page. The array must stay valid until
 * the callback runs.
 *
 * @return as usk_nvme_ns_read(); -EINVAL also when the elements do not
 *         add up to @p lba_count blocks, or break the rules above.
 */
int usk_nvme_ns_readv(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const struct iovec *iov,
		      int iovcnt, uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb,
		      void *cb_arg);

/** Write from the buffers of @p iov; as usk_nvme_ns_readv(). */
int usk_nvme_ns_writev(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       usk_nvme_cmd_cb cb, void *cb_arg);

/*
 * Per-I/O flags (usk_nvme_io_opts.io_flags): bits of a read's or write's
 * Command Dword 12 (NVM 3.2.4, 3.2.6), sent as they are.
 */
/** protection information: check the reference tag (PRCHK bit 0) */
#define USK_NVME_IO_FLAGS_PRCHK_REFTAG (1u << 26)
/** protection information: check the application tag (PRCHK bit 1) */
#define USK_NVME_IO_FLAGS_PRCHK_APPTAG (1u << 27)
/** protection information: check the guard (PRCHK bit 2) */
#define USK_NVME_IO_FLAGS_PRCHK_GUARD (1u << 28)
/** protection information action: the controller inserts (write) or strips (read) it */
#define USK_NVME_IO_FLAGS_PRACT (1u << 29)
/** Force Unit Access: the data is on non-volatile media before the command completes */
#define USK_NVME_IO_FLAGS_FUA (1u << 30)
/** Limited Retry: the controller tries less hard to recover the data before failing */
#define USK_NVME_IO_FLAGS_LIMITED_RETRY (1u << 31)
/** Every flag this library knows; others are refused. */
#define USK_NVME_IO_FLAGS_VALID_MASK 0xfc000000u

/** Options of one I/O. Fill with usk_nvme_io_opts_init() first. */
struct usk_nvme_io_opts {
	/** sizeof(struct usk_nvme_io_opts) as the caller knows it. */
	size_t opts_size;
	/** USK_NVME_IO_FLAGS_* ORed (default 0). */
	uint32_t io_flags;
	/**
	 * The metadata buffer (default NULL), for a namespace formatted with
	 * separate metadata: usk_nvme_ns_get_md_size() bytes per block, in
	 * DMA-able memory that is contiguous in the IOVA map (one
	 * usk_dma_malloc() buffer). Required there, except with PRACT on a
	 * format whose metadata is only the 8 bytes of protection
	 * information (the controller inserts and strips it); refused
	 * elsewhere. It must stay valid until the callback runs.
	 */
	void *md;
	/** Application tag (CDW15 15:0) the controller inserts or checks (default 0). */
	uint16_t apptag;
	/** Bits of the application tag that are checked (CDW15 31:16, default 0). */
	uint16_t apptag_mask;
};

/**
 * Fill @p opts with the defaults.
 *
 * @param opts      the options to fill
 * @param opts_size sizeof(struct usk_nvme_io_opts) as the caller knows it
 *
 * Thread rules: any thread.
 */
void usk_nvme_io_opts_init(struct usk_nvme_io_opts *opts, size_t opts_size);

/**
 * usk_nvme_ns_read() with per-I/O options. A request the driver splits
 * into several commands sends the flags and tags with each of them, and
 * each its part of the metadata buffer. On a namespace with protection
 * information of type 1 or 2 the reference tag of the first block
 * (CDW14) is the low 32 bits of its LBA. With PRACT on a format whose
 * metadata is only the 8 bytes of PI, an extended LBA's data buffer holds
 * the data alone (usk_nvme_ns_get_block_size() bytes per block).
 *
 * @param opts the options, or NULL: as usk_nvme_ns_read()
 * @return as usk_nvme_ns_read(); -EINVAL also for an opts_size this library
 *         does not know, a flag outside USK_NVME_IO_FLAGS_VALID_MASK, a
 *         metadata buffer missing where the format needs one (or given
 *         where it has no place), or one that is not DMA-able and
 *         contiguous for the blocks.
 *
 * Thread rules: the thread that owns @p qpair.
 */
int usk_nvme_ns_read_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, void *buf,
			 uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg,
			 const struct usk_nvme_io_opts *opts);

/** usk_nvme_ns_write() with per-I/O options; as usk_nvme_ns_read_ext(). */
int usk_nvme_ns_write_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
			  uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg,
			  const struct usk_nvme_io_opts *opts);

/** usk_nvme_ns_readv() with per-I/O options; as usk_nvme_ns_read_ext(). */
int usk_nvme_ns_readv_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			  const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			  usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts);

/** usk_nvme_ns_writev() with per-I/O options; as usk_nvme_ns_read_ext(). */
int usk_nvme_ns_writev_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			   const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			   usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts);

/** Compare with the buffers of @p iov; as usk_nvme_ns_compare() and usk_nvme_ns_readv(). */
int usk_nvme_ns_comparev(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			 const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			 usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * Write zeroes to @p lba_count blocks from @p lba (NVM 3.2.8), without a
 * data buffer; as usk_nvme_ns_read() otherwise.
 */
int usk_nvme_ns_write_zeroes(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint64_t lba,
			     uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * Compare @p lba_count blocks from @p lba with @p buf (NVM 3.2.2): the
 * command completes with Compare Failure (SCT 2, SC 0x85) when they differ.
 * As usk_nvme_ns_read() otherwise.
 */
int usk_nvme_ns_compare(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
			uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg);

/** A range for usk_nvme_ns_deallocate() (NVM 4.1.3.4, the DSM range). */
struct usk_nvme_dsm_range {
	uint32_t attributes;
	uint32_t lba_count;
	uint64_t lba;
};
USK_STATIC_ASSERT(sizeof(struct usk_nvme_dsm_range) == 16, "a DSM range is 16 bytes");

/**
 * Deallocate (trim) ranges with Dataset Management (NVM 3.2.3, AD bit).
 *
 * @param ranges up to 256 ranges, in DMA-able memory that stays valid
 *               until the callback runs
 * @param count  how many
 * @return as usk_nvme_ns_read(); -EINVAL also for 0 or more than 256
 *         ranges, or a range beyond the namespace.
 */
int usk_nvme_ns_deallocate(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			   const struct usk_nvme_dsm_range *ranges, uint16_t count,
			   usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * Flush the volatile write cache; returns as usk_nvme_ns_read() (-EAGAIN,
 * -ENXIO, -ENOTSUP), though none of its -EINVAL cases applies: a flush
 * names no range and moves no data.
 */
int usk_nvme_ns_flush(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, usk_nvme_cmd_cb cb,
		      void *cb_arg);

/**
 * Send an I/O command as the caller built it (a vendor command, or one the
 * driver has no function for) on @p qpair. The driver sets the CID, the
 * data pointer from @p buf (PRPs or SGL, and PSDT to match) and MPTR to 0;
 * everything else, NSID included, goes as it is. Nothing is split: the
 * command must fit the maximum transfer. The completion comes as for
 * usk_nvme_ns_read(), with the controller's status (e.g. Invalid Command
 * Opcode for an opcode it does not know).
 *
 * @param ctrlr  the controller
 * @param qpair  one of @p ctrlr's I/O queue pairs
 * @param cmd    the command; copied, so it need not outlive the call
 * @param buf    DMA-able data buffer, or NULL with @p len 0
 * @param len    bytes of data, at most usk_nvme_ctrlr_get_max_xfer_size()
 * @param cb     called once when the command completes
 * @param cb_arg passed to @p cb
 * @return 0 when submitted (the callback then runs exactly once); -EINVAL
 *         when @p qpair is not an I/O queue pair of @p ctrlr, or for a
 *         buffer above the maximum transfer, not DMA-able or not aligned
 *         as usk_nvme_ns_read() says; -EAGAIN when the queue and its
 *         waiting room are full; -ENXIO when the controller is gone.
 *
 * Thread rules: the thread that owns @p qpair.
 */
int usk_nvme_ctrlr_cmd_io_raw(struct usk_nvme_ctrlr *ctrlr, struct usk_nvme_qpair *qpair,
			      const struct usk_nvme_sqe *cmd, void *buf, uint32_t len,
			      usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * usk_nvme_ctrlr_cmd_io_raw() with a separate metadata buffer: MPTR is
 * the IOVA of @p md.
 *
 * @param md     DMA-able metadata, IOVA-contiguous for @p md_len bytes
 *               (one usk_dma_malloc() allocation is)
 * @param md_len its length in bytes, > 0
 * @return as usk_nvme_ctrlr_cmd_io_raw(); -EINVAL also when @p md is NULL,
 *         not registered, or not IOVA-contiguous for @p md_len bytes, or
 *         @p md_len is 0.
 *
 * Thread rules: the thread that owns @p qpair.
 */
int usk_nvme_ctrlr_cmd_io_raw_with_md(struct usk_nvme_ctrlr *ctrlr, struct usk_nvme_qpair *qpair,
				      const struct usk_nvme_sqe *cmd, void *buf, uint32_t len,
				      void *md, uint32_t md_len, usk_nvme_cmd_cb cb, void *cb_arg);

/**
 * Reap completions and call their callbacks; submissions made from the
 * callbacks, and on a queue pair with delay_doorbell those made since the
 * last poll, go out with one doorbell write at the end.
 *
 * @param qpair the queue pair
 * @param max   most completions to reap, 0 for all that are ready
 * @return the number of commands reaped (a request the driver split into
 *         several commands counts each; its callback runs once, after the
 *         last), or -ENXIO when the controller is gone or
 *         failed: every command still outstanding has then completed, once,
 *         with Command Abort Requested, and new submissions fail with -ENXIO;
 *         -ENOTCONN once a disconnection (usk_nvme_qpair_disconnect()) is
 *         done; -EIO when the controller refused the queues of a queue pair
 *         made with connect_async.
 *
 * Thread rules: the thread that owns @p qpair. No system call, but one: on
 * a queue pair with interrupts, the VFIO call that masks the vector a
 * disarm left unmasked, once per
 * usk_nvme_io_qpair_opts.interrupt_keep_completions reaped without a sleep.
 */
int usk_nvme_qpair_process_completions(struct usk_nvme_qpair *qpair, uint32_t max);

/**
 * Write the SQ tail doorbell now if commands went into the ring since it
 * was last written: on a queue pair with delay_doorbell, to send a batch
 * without waiting for the next poll. Nothing to do on other queue pairs
 * (their submissions ring at once), nor while a reset holds the queue pair
 * off (what waited for the rebuild goes out at the first poll or flush
 * after it).
 *
 * Thread rules: the thread that owns @p qpair.
 */
void usk_nvme_qpair_flush(struct usk_nvme_qpair *qpair);

/**
 * Abort the commands submitted on @p qpair with @p cb_arg (base 5.1). Those
 * still waiting for the ring complete now with Command Abort Requested;
 * each the controller has gets an Abort command. A controller that aborts
 * one completes it with Command Abort Requested on a later poll; one may
 * decline (QEMU's does), and the command then completes as it would have.
 * Either way each callback still runs exactly once.
 *
 * Thread rules: the thread that owns @p qpair. It does not wait for the
 * Abort commands' answers (usk_nvme_ctrlr_process_admin_completions() reaps
 * them), only for the admin lock, which is held briefly except through a
 * reset under way.
 *
 * @return how many commands were ended or asked to abort (a split request
 *         counts each piece); -ENXIO when the controller is gone.
 */
int usk_nvme_qpair_abort(struct usk_nvme_qpair *qpair, const void *cb_arg);

/** @return commands submitted on @p qpair and not yet completed, waiting ones included. */
uint32_t usk_nvme_qpair_get_outstanding(const struct usk_nvme_qpair *qpair);

/** @return the controller @p qpair belongs to. Thread rules: any thread. */
struct usk_nvme_ctrlr *usk_nvme_qpair_get_ctrlr(const struct usk_nvme_qpair *qpair);

/**
 * The eventfd that @p qpair's completion queue signals while its interrupt
 * is armed (see usk_nvme_qpair_arm_interrupt()): for a thread that sleeps
 * in poll(), epoll or a reactor until completions arrive. Queue pairs that
 * share a vector share the eventfd. Do not read or close it: arming
 * empties it when nobody else sleeps on it (readers of a shared one would
 * steal another thread's wake-up). Between a disarm and the next arm it
 * may count completions the polls reap anyway: wait on it only armed.
 *
 * @return the fd; -ENOTSUP when the queue pair has no interrupt (not made
 *         with usk_nvme_io_qpair_opts.interrupts, its controller attached
 *         without usk_nvme_ctrlr_opts.interrupts or without MSI-X, or
 *         usk_nvme_qpair_disconnect() called: that disarms it for good).
 *
 * Thread rules: any thread; the fd lives as long as the controller.
 */
int usk_nvme_qpair_get_interrupt_fd(const struct usk_nvme_qpair *qpair);

/**
 * Before the owner thread goes to sleep on the queue pair's eventfd: let
 * the completion queue's vector signal it, then look at the queue once
 * more. A completion posted before the vector could signal is thus seen
 * here (or, held pending by the masked vector, signals the eventfd as soon
 * as it is armed): none is lost between the last poll and the sleep.
 *
 * While armed, each batch of completions the controller posts signals the
 * eventfd; polling goes on working as before (usk_nvme_qpair_process_completions()).
 * Arming an armed queue pair only looks at the queue again. On a shared
 * vector the first arm unmasks it and the others count.
 *
 * @return 0: armed, nothing to reap, the thread may sleep on the fd; 1:
 *         armed, but there is something to do (a completion is there, or
 *         commands wait for the ring, a delayed doorbell is to write, or a
 *         reset holds the queue pair): poll instead of sleeping (and
 *         disarm when done); -ENOTSUP: no interrupt, keep polling; or a
 *         negative errno from the device (VFIO), the queue pair stays disarmed.
 *
 * Thread rules: the thread that owns @p qpair. It makes a system call: the
 * unmask through VFIO when the vector is masked, else a read() that
 * empties the eventfd (a disarm leaves the vector unmasked for a while:
 * usk_nvme_io_qpair_opts.interrupt_keep_completions). A control path, for
 * the switch from polling to sleeping, never per I/O. A thread that
 * sleeps with commands outstanding and relies on command timeouts must
 * not sleep longer than the I/O timeout: only its polls check them.
 */
int usk_nvme_qpair_arm_interrupt(struct usk_nvme_qpair *qpair);

/**
 * Back to polling. The vector stays unmasked, so that the next arm needs
 * no VFIO call, until the queue pair has reaped
 * usk_nvme_io_qpair_opts.interrupt_keep_completions completions without
 * arming again: then usk_nvme_qpair_process_completions() masks it (unless
 * another armed queue pair shares it). With that option 0 the vector is
 * masked here and the eventfd emptied. Polls after this find what arrived
 * meanwhile. Does nothing on a queue pair that is not armed.
 *
 * @return 0; -ENOTSUP when the queue pair has no interrupt; or a negative
 *         errno from the device (the queue pair counts as disarmed anyway).
 *
 * Thread rules: as usk_nvme_qpair_arm_interrupt(); no system call unless
 * the vector is masked here.
 */
int usk_nvme_qpair_disarm_interrupt(struct usk_nvme_qpair *qpair);

/**
 * What a queue pair has done since it was allocated. Each field counts from
 * 0 and only grows; compare two reads to measure a stretch of work.
 */
struct usk_nvme_qpair_stats {
	/** sizeof(struct usk_nvme_qpair_stats) as the caller knows it. */
	size_t stats_size;
	/** calls of usk_nvme_qpair_process_completions() */
	uint64_t polls;
	/** polls that found no completion entry */
	uint64_t idle_polls;
	/** commands completed by the controller and reaped */
	uint64_t completions;
	/** completion entries with a CID no outstanding command has: logged, skipped */
	uint64_t bogus_completions;
	/** SQ tail doorbell writes to the MMIO register */
	uint64_t sq_mmio_doorbells;
	/** SQ tail writes to the shadow doorbell (Doorbell Buffer Config) */
	uint64_t sq_shadow_updates;
	/** CQ head doorbell writes to the MMIO register */
	uint64_t cq_mmio_doorbells;
	/** CQ head writes to the shadow doorbell */
	uint64_t cq_shadow_updates;
	/** usk_nvme_qpair_arm_interrupt() calls that armed the interrupt */
	uint64_t interrupt_arms;
	/** of those, the ones whose re-check found a completion already there (returned 1) */
	uint64_t interrupt_arm_pending;
	/** usk_nvme_qpair_disarm_interrupt() calls that disarmed it */
	uint64_t interrupt_disarms;
};

/**
 * Read a queue pair's counters. A doorbell write counts once in
 * *_mmio_doorbells, whether the queue has shadow doorbells (and the
 * controller's EventIdx asked for the MMIO write) or not; with shadow
 * doorbells each update of the shadow also counts in *_shadow_updates.
 *
 * @param qpair the queue pair
 * @param stats where the counters go; set stats->stats_size to
 *              sizeof(struct usk_nvme_qpair_stats) first: at most that many
 *              bytes are written, and stats_size is left as it was
 *
 * Thread rules: the thread that owns @p qpair. The counters are plain
 * integers that its submissions and polls update, with no atomics: read
 * from another thread they may be torn or stale.
 */
void usk_nvme_qpair_get_stats(const struct usk_nvme_qpair *qpair,
			      struct usk_nvme_qpair_stats *stats);

/**
 * Send an admin command and wait for it (up to the admin timeout), for
 * tools and bring-up. It reaps the admin queue itself while it waits, and
 * holds no lock meanwhile: other threads may send and reap admin commands,
 * and a callback of usk_nvme_ctrlr_cmd_admin_raw() may call it. A command
 * that times out has the controller reset (once it is up), which ends it.
 *
 * Thread rules: any thread that may block for the admin timeout; not an
 * I/O path.
 *
 * @param ctrlr the controller
 * @param cmd   the command; its CID is set by the driver
 * @param buf   DMA-able data buffer or NULL; PRPs are filled from it
 * @param len   its length, at most 4 pages
 * @param cpl   where the completion is copied (may be NULL)
 * @return 0 when the command succeeded; -EIO when it completed with an
 *         error status (in @p cpl); -ETIMEDOUT; -EINVAL for a bad buffer;
 *         -EAGAIN when the admin queue's waiting room is full; -ENXIO when
 *         the controller failed meanwhile.
 */
int usk_nvme_ctrlr_admin_cmd_sync(struct usk_nvme_ctrlr *ctrlr, struct usk_nvme_sqe *cmd, void *buf,
				  uint32_t len, struct usk_nvme_cqe *cpl);

/**
 * Read a log page (base 5.16): e.g. 01h error information, 02h SMART /
 * health information, 03h firmware slot information.
 *
 * @param lid  log page identifier
 * @param nsid namespace, or 0xffffffff for the controller as a whole
 * @param buf  DMA-able buffer of @p len bytes, a multiple of 4 up to 16 KiB
 * @return 0; -EINVAL for a bad length; else as usk_nvme_ctrlr_admin_cmd_sync().
 */
int usk_nvme_ctrlr_get_log_page(struct usk_nvme_ctrlr *ctrlr, uint8_t lid, uint32_t nsid, void *buf,
				uint32_t len);

/**
 * Get Features (base 5.15) without a data buffer.
 *
 * @param fid   feature identifier, e.g. USK_NVME_FEAT_ARBITRATION
 * @param cdw11 the command's CDW11, 0 for most features
 * @param value where Dword 0 of the completion (the feature's value) goes
 * @return as usk_nvme_ctrlr_admin_cmd_sync().
 */
int usk_nvme_ctrlr_get_feature(struct usk_nvme_ctrlr *ctrlr, uint8_t fid, uint32_t cdw11,
			       uint32_t *value);

/**
 * Set Features (base 5.27) without a data buffer.
 *
 * @param fid    feature identifier
 * @param cdw11  the value to set, as the feature defines CDW11
 * @param result NULL, or where Dword 0 of the completion goes
 * @return as usk_nvme_ctrlr_admin_cmd_sync().
 */
int usk_nvme_ctrlr_set_feature(struct usk_nvme_ctrlr *ctrlr, uint8_t fid, uint32_t cdw11,
			       uint32_t *result);

/**
 * @return a readable name for an NVMe status (SCT << 8 | SC), e.g.
 * "Unrecovered Read Error"; "Unknown status" for codes it does not know.
 */
const char *usk_nvme_status_string(uint16_t status);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_NVME_H */
