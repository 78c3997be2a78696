/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme discover: nvme-cli's discover through USK's initiator. It
 * attaches the discovery controller at -t/-a/-s (or --trid), reads its
 * whole Discovery log and prints it as nvme-cli 2.x does: the same lines,
 * words and JSON members, so that scripts reading nvme-cli's output read
 * this too.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvme_cli.h"
#include "usk/json.h"
#include "usk/nvme_discovery.h"
#include "usk/nvme_tcp.h"

/* nvme-cli's words for each field's values (libnvme's tables), "unrecognized" beyond. */
static const char *trtype_str(uint8_t v)
{
	return v == 1	  ? "rdma"
	       : v == 2	  ? "fc"
	       : v == 3	  ? "tcp"
	       : v == 254 ? "loop"
			  : "unrecognized";
}

static const char *adrfam_str(uint8_t v)
{
	static const char *const names[] = {"", "ipv4", "ipv6", "infiniband", "fibre-channel"};

	return v >= 1 && v <= 4 ? names[v] : v == 254 ? "pci" : "unrecognized";
}

static const char *subtype_str(uint8_t v)
{
	return v == 1	? "discovery subsystem referral"
	       : v == 2 ? "nvme subsystem"
	       : v == 3 ? "current discovery subsystem"
			: "unrecognized";
}

/* TREQ bits 1:0 the secure channel, bit 2 SQ flow control disable. */
static void treq_str(uint8_t v, char *buf, size_t size)
{
	static const char *const names[] = {"not specified", "required", "not required",
					    "reserved"};

	snprintf(buf, size, "%s%s", names[v & 3],
		 v & 4 ? ", sq flow control disable supported" : "");
}

/* EFLAGS bits 0 to 2, comma separated, "none" without any. */
static void eflags_str(uint16_t v, char *buf, size_t size)
{
	static const char *const names[] = {"duplicate discovery information",
					    "explicit discovery connections",
					    "no cdc connectivity"};
	size_t used = 0;

	buf[0] = '\0';
	for (int bit = 0; bit < 3; bit++) {
		if (v & (1u << bit)) {
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
						 names[bit]);
		}
	}
	if (used == 0) {
		snprintf(buf, size, "none");
	}
}

static const char *sectype_str(uint8_t v)
{
	return v == 0 ? "none" : v == 1 ? "tls" : v == 2 ? "tls13" : "unrecognized";
}

static void print_normal(const struct usk_nvme_discovery_entry *e, uint32_t n, uint64_t genctr)
{
	char treq[64], eflags[128];

	printf("\nDiscovery Log Number of Records %u, Generation counter %" PRIu64 "\n", n, genctr);
	for (uint32_t i = 0; i < n; i++) {
		treq_str(e[i].treq, treq, sizeof(treq));
		eflags_str(e[i].eflags, eflags, sizeof(eflags));
		printf("=====Discovery Log Entry %u======\n", i);
		printf("trtype:  %s\n", trtype_str((uint8_t)e[i].trid.trtype));
		printf("adrfam:  %s\n", adrfam_str(e[i].trid.adrfam));
		printf("subtype: %s\n", subtype_str(e[i].subtype));
		printf("treq:    %s\n", treq);
		printf("portid:  %u\n", e[i].portid);
		printf("trsvcid: %s\n", e[i].trid.trsvcid);
		printf("subnqn:  %s\n", e[i].trid.subnqn);
		printf("traddr:  %s\n", e[i].trid.traddr);
		printf("eflags:  %s\n", eflags);
		if (e[i].trid.trtype == USK_NVME_TRANSPORT_TCP) {
			printf("sectype: %s\n", sectype_str(e[i].sectype));
		}
	}
}

static int print_json(const struct usk_nvme_discovery_entry *e, uint32_t n, uint64_t genctr)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char treq[64], eflags[128];

	if (w == NULL) {
		fprintf(stderr, "usk_nvme discover: no memory for the JSON\n");
		return 1;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_uint64(w, "genctr", genctr);
	usk_json_write_named_array_begin(w, "records");
	for (uint32_t i = 0; i < n; i++) {
		treq_str(e[i].treq, treq, sizeof(treq));
		eflags_str(e[i].eflags, eflags, sizeof(eflags));
		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "trtype", trtype_str((uint8_t)e[i].trid.trtype));
		usk_json_write_named_string(w, "adrfam", adrfam_str(e[i].trid.adrfam));
		usk_json_write_named_string(w, "subtype", subtype_str(e[i].subtype));
		usk_json_write_named_string(w, "treq", treq);
		usk_json_write_named_uint64(w, "portid", e[i].portid);
		usk_json_write_named_string(w, "trsvcid", e[i].trid.trsvcid);
		usk_json_write_named_string(w, "subnqn", e[i].trid.subnqn);
		usk_json_write_named_string(w, "traddr", e[i].trid.traddr);
		usk_json_write_named_string(w, "eflags", eflags);
		if (e[i].trid.trtype == USK_NVME_TRANSPORT_TCP) {
			usk_json_write_named_string(w, "sectype", sectype_str(e[i].sectype));
		}
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
	usk_json_write_object_end(w);
	return nvme_cli_json_print(w);
}

/* The discovery controller's transport ID from -t, -a and -s (checked by the parser). */
static void discover_trid(const struct nvme_cli *cli, char *buf, size_t size)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", USK_NVME_TCP_DISCOVERY_PORT);
	snprintf(buf, size, "trtype:TCP traddr:%s trsvcid:%s subnqn:%s", cli->traddr,
		 cli->trsvcid != NULL ? cli->trsvcid : port, USK_NVMF_DISCOVERY_NQN);
}

int nvme_cli_discover(struct nvme_cli *cli)
{
	struct usk_nvme_discovery_entry *entries;
	struct usk_nvme_ctrlr_opts opts;
	char trid[USK_NVMF_TRADDR_MAX_LEN + USK_NVMF_NQN_MAX_LEN + 64];
	uint64_t genctr;
	uint32_t n;
	int rc;

	if (cli->device == NULL) {
		discover_trid(cli, trid, sizeof(trid));
	} else {
		snprintf(trid, sizeof(trid), "%s", cli->device);
	}
	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	if (cli->hostnqn != NULL) {
		snprintf(opts.hostnqn, sizeof(opts.hostnqn), "%s", cli->hostnqn);
	}
	opts.header_digest = cli->hdr_digest;
	opts.data_digest = cli->data_digest;
	if (usk_nvme_ctrlr_attach(trid, &opts, &cli->ctrlr) != 0) {
		fprintf(stderr, "usk_nvme discover: cannot connect to %s (the log says why)\n",
			trid);
		return 2;
	}
	if (!usk_nvme_ctrlr_is_discovery(cli->ctrlr)) {
		fprintf(stderr, "usk_nvme discover: %s is not a discovery controller\n", trid);
		return 2;
	}
	rc = usk_nvme_ctrlr_get_discovery_log(cli->ctrlr, &entries, &n, &genctr);
	if (rc != 0) {
		fprintf(stderr, "usk_nvme discover: reading the discovery log failed: %s\n",
			strerror(-rc));
		return 1;
	}
	if (cli->json) {
		rc = print_json(entries, n, genctr);
	} else {
		print_normal(entries, n, genctr);
	}
	usk_nvme_discovery_log_free(entries);
	return rc;
}
