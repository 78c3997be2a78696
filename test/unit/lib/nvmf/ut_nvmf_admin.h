/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The harness of the admin command tests (nvmf_admin_ut, nvmf_features_ut):
 * a controller made by hand as Connect makes one (no transport, no poll
 * group), in a subsystem with two namespaces over malloc bdevs, on one
 * thread polled by hand; commands go straight to nvmf_admin_exec(), and the
 * admin queue pair's completions, which only AERs send, land in g_sent.
 */
#ifndef UT_NVMF_ADMIN_H
#define UT_NVMF_ADMIN_H

#include <stdint.h>

#include "nvmf_internal.h"
#include "ut_nvmf_spec.h"

#define NQN   "nqn.2016-06.io.spdk:cnode1"
#define HOST1 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define SN    "USK0001"
#define MN    "USK test controller"
/* NSID 1 over M512 (512-byte blocks), NSID 3 over M4K (4 KiB blocks): NSID 2 is inactive. */
#define M512_BLOCKS 256
#define M4K_BLOCKS  64

#define INVALID_FIELD  UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD)
#define INVALID_LOG    UT_NVME_STATUS(USK_NVME_SCT_COMMAND_SPECIFIC, USK_NVME_SC_INVALID_LOG_PAGE)
#define LENGTH_INVALID UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID)

/* A command with a data buffer of @length bytes (none for 0), filled with 0xee. */
struct cmd {
	struct nvmf_req req;
	uint8_t data[8192];
};

extern struct usk_thread *g_thread;
extern struct nvmf_subsystem *g_subsys;
/* The controller under test, its admin queue pair. */
extern struct nvmf_ctrlr g_ctrlr;
extern struct nvmf_qpair g_admin;
/* NSID 3's UUID. */
extern const struct usk_uuid g_uuid3;
/* What the admin queue pair sent back (AERs only: the rest is answered in place). */
extern struct nvmf_req *g_sent[8];
extern int g_nsent;

/* A new command (free() it), its buffer of @length bytes given to the request. */
struct cmd *cmd_new(uint8_t opcode, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, uint32_t length);

/* Runs @c; returns its status as (SCT << 8 | SC), the command answered in place. */
uint16_t run(struct cmd *c);

/* Identify of @cns for @nsid, into a new command *out; returns its status. */
uint16_t identify(struct cmd **out, uint8_t cns, uint32_t nsid);

/*
 * Get Log Page of @lid for @nsid, @bytes (a multiple of 4) from byte @offset,
 * RAE clear, with a data buffer of @length bytes.
 */
uint16_t get_log_buf(struct cmd **out, uint32_t nsid, uint8_t lid, uint32_t bytes, uint64_t offset,
		     uint32_t length);

/* The same with a buffer of @bytes, what the command moves. */
uint16_t get_log_ns(struct cmd **out, uint32_t nsid, uint8_t lid, uint32_t bytes, uint64_t offset);

/* A controller-wide log page: NSID FFFFFFFFh. */
uint16_t get_log(struct cmd **out, uint8_t lid, uint32_t bytes, uint64_t offset);

/* Set Features (@cdw10: FID and SV), dword 0 of the answer in *dw0; returns its status. */
uint16_t set_feature(uint32_t cdw10, uint32_t cdw11, uint32_t *dw0);

/* Get Features of @fid, with @cdw11 saying which of its values (Temperature Threshold's). */
uint16_t get_feature_of(uint8_t fid, uint32_t cdw11, uint32_t *dw0);

/* Get Features of @fid, CDW11 0. */
uint16_t get_feature(uint8_t fid, uint32_t *dw0);

/* On the test thread: the malloc bdevs M512 and M4K made, and deleted (counting in *ctx). */
void malloc_create_msg(void *ctx);
void malloc_delete_msg(void *ctx);

/* The controller as Connect leaves it: one admin queue, all I/O queues on offer. */
void ctrlr_init(struct nvmf_subsystem *s);

/* The subsystem (NSIDs 1 and 3) and its controller, made and freed; the _msg halves on the thread.
 */
void setup_msg(void *ctx);
void setup(void);
void teardown_msg(void *ctx);
void teardown(void);

/* An Asynchronous Event Request into *out: its status, or 0xffff while it waits. */
uint16_t aer(struct cmd **out);

#endif
