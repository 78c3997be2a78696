/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Discovery log reader (lib/nvme/nvme_discovery.c) against a hostile
 * discovery controller: the input plays the controller. Each Get Log Page
 * the reader sends is answered with the next bytes of the input (the rest
 * of the buffer zeroed), until the input runs out and commands fail, so
 * headers, NUMREC, generation counters that move or not between reads,
 * and every text field come from the input.
 *
 * Invariants: no crash; the reader sends a bounded number of commands;
 * on success at most USK_NVME_DISCOVERY_MAX_ENTRIES entries, each text
 * field NUL-terminated within its array and printable; on failure a
 * negative errno of those the header names, and no entries.
 *
 * Input: [flags] then the answers, back to back. flags bit 0: Identify
 * Controller's LPA bit 2 (the controller takes offsets).
 */
#include "config.h"

#include <errno.h>

#include "fuzz_common.h"
#include "nvme_discovery.c"

static struct usk_nvme_ctrlr g_ctrlr;
static struct usk_nvme_ctrlr_data g_cdata;
static const uint8_t *g_input;
static size_t g_left;
static uint32_t g_cmds;

/* The reader's only way to the controller: answered from the input. */
int usk_nvme_ctrlr_admin_cmd_sync(struct usk_nvme_ctrlr *c, struct usk_nvme_sqe *cmd, void *buf,
				  uint32_t len, struct usk_nvme_cqe *cpl)
{
	size_t n = USK_MIN((size_t)len, g_left);

	FUZZ_CHECK(c == &g_ctrlr && cmd->opcode == USK_NVME_OPC_GET_LOG_PAGE,
		   "a command other than Get Log Page");
	FUZZ_CHECK(len > 0 && len <= DISC_READ_MAX && len % 4 == 0, "a read of %u bytes", len);
	FUZZ_CHECK(((cmd->cdw11 & 0xffff) << 16 | cmd->cdw10 >> 16) + 1 == len / 4,
		   "NUMD does not say the buffer's length");
	g_cmds++;
	if (cpl != NULL) {
		memset(cpl, 0, sizeof(*cpl));
	}
	if (g_left == 0) {
		return -EIO;
	}
	memcpy(buf, g_input, n);
	memset((uint8_t *)buf + n, 0, len - n);
	g_input += n;
	g_left -= n;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	if (usk_env_init(NULL) != 0) {
		return -1;
	}
	g_ctrlr.discovery = true;
	g_ctrlr.numa_node = USK_ENV_NUMA_ANY;
	g_ctrlr.cdata = &g_cdata;
	snprintf(g_ctrlr.name, sizeof(g_ctrlr.name), "fuzz");
	return 0;
}

static bool text_ok(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len == size) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e) {
			return false;
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The longest log: the header and the most entries, a page at a time, and the header again.
	 */
	const uint32_t pass_max =
		(uint32_t)((DISC_HDR_SIZE + USK_NVME_DISCOVERY_MAX_ENTRIES * DISC_ENTRY_SIZE) /
			   DISC_READ_MAX) +
		2;
	struct usk_nvme_discovery_entry *e = NULL;
	uint32_t n = 0;
	int rc;

	if (size == 0) {
		return 0;
	}
	g_cdata.lpa = (data[0] & 1) != 0 ? DISC_LPA_OFFSETS : 0;
	g_input = data + 1;
	g_left = size - 1;
	g_cmds = 0;
	rc = usk_nvme_ctrlr_get_discovery_log(&g_ctrlr, &e, &n, NULL);
	FUZZ_CHECK(g_cmds <= (USK_NVME_DISCOVERY_RETRIES + 1) * pass_max, "%u commands", g_cmds);
	if (rc != 0) {
		FUZZ_CHECK(rc == -EPROTO || rc == -ENOTSUP || rc == -EAGAIN || rc == -EIO ||
				   rc == -ENOMEM,
			   "rc %d", rc);
		FUZZ_CHECK(e == NULL, "entries on failure");
		return 0;
	}
	FUZZ_CHECK(n <= USK_NVME_DISCOVERY_MAX_ENTRIES, "%u entries", n);
	FUZZ_CHECK((n == 0) == (e == NULL), "%u entries at %p", n, (void *)e);
	for (uint32_t i = 0; i < n; i++) {
		FUZZ_CHECK(text_ok(e[i].trid.traddr, sizeof(e[i].trid.traddr)) &&
				   text_ok(e[i].trid.trsvcid, sizeof(e[i].trid.trsvcid)) &&
				   text_ok(e[i].trid.subnqn, sizeof(e[i].trid.subnqn)) &&
				   e[i].trid.hostnqn[0] == '\0',
			   "entry %u's text", i);
	}
	usk_nvme_discovery_log_free(e);
	return 0;
}
