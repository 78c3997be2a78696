/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Fabrics commands an initiator sends, whatever the transport (NVMe
 * base 2.0, section 6): Connect for each queue, Property Get and Set in
 * place of register reads and writes. Built as plain SQEs: the fields are
 * at the byte offsets the spec gives, named where they are set.
 */
#ifndef USK_NVME_FABRICS_H
#define USK_NVME_FABRICS_H

#include <stdint.h>

#include "nvme_internal.h"
#include "usk/nvmf_spec.h"
#include "usk/util.h"

/*
 * Connect for queue @qid of @entries entries, with Keep Alive Timeout
 * @kato_ms (admin queue only): RECFMT 0 and QID in CDW10, SQSIZE (0's
 * based) in CDW11, KATO in CDW12.
 */
struct usk_nvme_sqe nvme_fabrics_connect_cmd(uint16_t qid, uint16_t entries, uint32_t kato_ms);

/* Property Get of the 4- or 8-byte (@size) property at @offset: ATTRIB in CDW10, OFST in CDW11. */
struct usk_nvme_sqe nvme_fabrics_property_get_cmd(uint32_t offset, uint8_t size);

/* Property Set: as Get, VALUE in CDW12-13. */
struct usk_nvme_sqe nvme_fabrics_property_set_cmd(uint32_t offset, uint8_t size, uint64_t value);

/*
 * Sends @cmd with @len bytes of @buf on queue pair @q, polling it until
 * the answer or @timeout_us: bring-up and tools only. The caller holds
 * whatever serialises @q. *@cpl gets the completion. Returns 0, -EIO (an
 * error status), -ETIMEDOUT, or the submission's or the poll's error.
 */
int nvme_fabrics_cmd_wait(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd, void *buf,
			  uint32_t len, uint64_t timeout_us, struct usk_nvme_cqe *cpl);

/* Connect's data (base 6.3): host @hostid and @hostnqn ask subsystem @subnqn for @cntlid. */
void nvme_fabrics_connect_data(struct usk_nvmf_connect_data *data, const char *subnqn,
			       const char *hostnqn, const uint8_t hostid[16], uint16_t cntlid);

/*
 * The outcome of queue pair @q's Connect, answered with @cpl: 0, or -EIO
 * with a log line naming the refusal and what to check.
 */
int nvme_fabrics_connect_status(const struct usk_nvme_qpair *q, const char *subnqn,
				const char *hostnqn, const struct usk_nvme_cqe *cpl);

#endif /* USK_NVME_FABRICS_H */
