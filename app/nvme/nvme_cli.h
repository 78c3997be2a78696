/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme: nvme-cli's everyday commands on controllers bound to vfio-pci. */
#ifndef USK_NVME_CLI_H
#define USK_NVME_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "usk/json.h"
#include "usk/nvme.h"

/* The commands usk_nvme knows; each takes its own options, as in nvme-cli. */
enum nvme_cli_verb {
	NVME_CLI_LIST,
	NVME_CLI_ID_CTRL,
	NVME_CLI_ID_NS,
	NVME_CLI_SMART_LOG,
	NVME_CLI_READ,
	NVME_CLI_WRITE,
	NVME_CLI_WRITE_ZEROES,
	NVME_CLI_DSM,
	NVME_CLI_FLUSH,
	NVME_CLI_ERROR_LOG,
	NVME_CLI_FW_LOG,
	NVME_CLI_GET_FEATURE,
	NVME_CLI_FORMAT,
	NVME_CLI_DISCOVER,
};

/* nvme-cli's dsm takes at most 256 ranges (the command's limit). */
#define NVME_CLI_DSM_MAX_RANGES 256

/* The ranges of dsm as nvme-cli's comma-separated -s, -b and -a lists give them. */
struct nvme_cli_dsm_lists {
	uint64_t slbs[NVME_CLI_DSM_MAX_RANGES];	  /* -s, --slbs */
	uint32_t blocks[NVME_CLI_DSM_MAX_RANGES]; /* -b, --blocks: 1's based */
	uint32_t attrs[NVME_CLI_DSM_MAX_RANGES];  /* -a, --ctx-attrs */
	uint32_t nslbs, nblocks, nattrs;
};

struct nvme_cli {
	enum nvme_cli_verb verb;
	const char *device;   /* BDF or transport ID */
	uint32_t nsid;	      /* -n, default 1 */
	bool has_nsid;	      /* -n was given */
	uint64_t start_block; /* -s, --start-block */
	uint32_t block_count; /* -c, --block-count: blocks, 0's based as in nvme-cli */
	const char *data;     /* -d, --data FILE */
	bool json;	      /* -o json, --output-format=json */
	bool raw_binary;      /* -b, --raw-binary: the structure as the device sent it */
	bool human;	      /* -H, --human-readable (the normal output already is) */
	bool vendor_specific; /* id-ctrl, id-ns -v: accepted, the vendor area is not decoded */
	bool verbose;	      /* list -v */
	uint32_t log_entries; /* error-log -e, --log-entries; 0: ELPE + 1 */
	uint32_t feature_id;  /* get-feature -f, --feature-id */
	bool has_feature_id;
	uint32_t sel;	     /* get-feature -s, --sel: current, default, saved, supported */
	uint32_t cdw11;	     /* get-feature, dsm -c, --cdw11 */
	bool has_cdw11;	     /* dsm: --cdw11 replaces the attributes -d, -w, -r make */
	uint32_t data_len;   /* get-feature -l, --data-len: bytes of the feature's data */
	uint32_t uuid_index; /* get-feature -U, --uuid-index: CDW14 6:0 */
	uint32_t lbaf;	     /* format -l, --lbaf */
	bool has_lbaf;
	uint64_t block_size; /* format -b, --block-size: the LBA format with this size, no md */
	uint32_t ses;	     /* format -s, --ses: secure erase setting */
	bool force;   /* format -f, --force: do not ask; read, write --force; id-ns --force */
	uint32_t ms;  /* format -m, --ms: 1 extended LBA, 0 separate */
	uint32_t pi;  /* format -i, --pi: protection information type 0..3 */
	uint32_t pil; /* format -p, --pil: 1 PI in the first 8 bytes of the metadata */
	uint32_t timeout_ms; /* format -t, --timeout; 0: ten minutes */
	bool reset;	     /* format -r, --reset */
	/* read, write and write-zeroes: nvme-cli's submit-io options. */
	const char *metadata;	/* -M, --metadata FILE: the separate metadata */
	uint64_t data_size;	/* -z, --data-size: bytes of the data file */
	uint64_t metadata_size; /* -y, --metadata-size: bytes of the metadata file */
	uint32_t prinfo;	/* -p, --prinfo: PRACT (bit 3), PRCHK (bits 2:0) */
	uint64_t ref_tag;	/* -r, --ref-tag: CDW14 */
	bool has_ref_tag;
	uint32_t app_tag;	/* -a, --app-tag */
	uint32_t app_tag_mask;	/* -m, --app-tag-mask */
	uint64_t storage_tag;	/* -g (write-zeroes -S), --storage-tag */
	bool storage_tag_check; /* -C, --storage-tag-check */
	bool limited_retry;	/* -l, --limited-retry */
	bool fua;		/* -f, --force-unit-access */
	bool deac;		/* write-zeroes -d, --deac */
	uint32_t dtype;		/* write -T, --dir-type */
	uint32_t dspec;		/* write -S, --dir-spec */
	uint32_t dsmgmt;	/* -D, --dsm: CDW13 7:0 */
	bool show;		/* -v, --show-command */
	bool dry_run;		/* -w, --dry-run */
	bool latency;		/* -t, --latency */
	/* dsm: nvme-cli's lists, or usk_nvme's one range from -s and -c. */
	struct nvme_cli_dsm_lists *dsm;
	bool ad, idw, idr; /* dsm -d, -w, -r */
	/* discover: nvme-cli's fabrics options. */
	const char *transport; /* -t, --transport: tcp */
	const char *traddr;    /* -a, --traddr: an IP address */
	const char *trsvcid;   /* -s, --trsvcid; default 8009 */
	const char *hostnqn;   /* -q, --hostnqn */
	bool hdr_digest;       /* -g, --hdr_digest */
	bool data_digest;      /* -G, --data_digest */
	struct usk_nvme_ctrlr *ctrlr;
};

/* Each command returns the process exit status: 0, 1 (it failed) or 2 (bad input). */
int nvme_cli_list(struct nvme_cli *cli);
int nvme_cli_id_ctrl(struct nvme_cli *cli);
int nvme_cli_id_ns(struct nvme_cli *cli);
int nvme_cli_smart_log(struct nvme_cli *cli);
int nvme_cli_read(struct nvme_cli *cli);
int nvme_cli_write(struct nvme_cli *cli);
int nvme_cli_write_zeroes(struct nvme_cli *cli);
int nvme_cli_dsm(struct nvme_cli *cli);
int nvme_cli_flush(struct nvme_cli *cli);
int nvme_cli_error_log(struct nvme_cli *cli);
int nvme_cli_fw_log(struct nvme_cli *cli);
int nvme_cli_get_feature(struct nvme_cli *cli);
int nvme_cli_format(struct nvme_cli *cli);
/* Attaches the discovery controller itself (cli->ctrlr, for main to detach). */
int nvme_cli_discover(struct nvme_cli *cli);

/* What nvme_cli_parse() found. */
enum nvme_cli_parse_result {
	NVME_CLI_PARSE_OK,
	NVME_CLI_PARSE_HELP, /* -h: print nvme_cli_usage() and exit 0 */
	NVME_CLI_PARSE_BAD,  /* said why on @err: exit 2 */
};

/*
 * Fills @cli (zeroed, with verb set, nsid 1, dsm pointing at lists to
 * fill) from the options of argv[1..argc-1] (argv[0] is the command),
 * in nvme-cli's spelling for cli->verb, and checks what the options
 * cannot say alone. The device, when not given with --trid, is the first
 * word that is not an option. Problems are written to @err.
 */
enum nvme_cli_parse_result nvme_cli_parse(struct nvme_cli *cli, int argc, char **argv, FILE *err);

/* The help text: the commands and every option. */
void nvme_cli_usage(FILE *out);

/* Identify Namespace @nsid into @nd (DMA-able); returns 0 or a negative errno. */
int nvme_cli_identify_ns(struct nvme_cli *cli, uint32_t nsid, struct usk_nvme_ns_data *nd);

/*
 * The bytes of a block of 2^@lbads, or 0 for an LBADS of 64 or more (a
 * device's garbage, which no shift may take).
 */
uint64_t nvme_cli_lba_bytes(uint8_t lbads);

/* Copies a fixed-width, space-padded identify string into a C string. */
void nvme_cli_trim(char *out, const char *field, size_t width);

/*
 * JSON as nvme-cli 2.x prints it (same members, order and types: 128-bit
 * counters as decimal strings). Each adds the structure's members to the
 * innermost open object of @w.
 */
void nvme_cli_json_id_ctrl(struct usk_json_write_ctx *w, const struct usk_nvme_ctrlr_data *cd);
void nvme_cli_json_id_ns(struct usk_json_write_ctx *w, const struct usk_nvme_ns_data *nd);
/*
 * @log: the 512-byte SMART / Health Information log page; @human (-H):
 * critical_warning as an object of its bits, as nvme-cli's.
 */
void nvme_cli_json_smart_log(struct usk_json_write_ctx *w, const void *log, bool human);
/* An "errors" array of @entries Error Information log entries. */
void nvme_cli_json_error_log(struct usk_json_write_ctx *w, const struct usk_nvme_error_info *log,
			     uint32_t entries);

/* The longest device string (SUBNQN) nvme_cli_json_device_string() writes whole. */
#define NVME_CLI_DEVICE_STRING_MAX 256

/*
 * Adds member @name, a string the device sent (identify strings, firmware
 * revisions), to @w: a JSON text is UTF-8 (RFC 8259 8.1) and the writer
 * refuses anything else, so each byte that starts no well-formed UTF-8
 * character becomes U+FFFD, as a decoder replacing errors does (nvme-cli
 * hands them to json-c unchecked, and its output is then not UTF-8).
 */
void nvme_cli_json_device_string(struct usk_json_write_ctx *w, const char *name, const char *text);

/* Ends @w and prints the document, indented, on stdout; returns 0 or exit status 1. */
int nvme_cli_json_print(struct usk_json_write_ctx *w);

/* Writes @len bytes of @buf to stdout, for -b/--raw-binary; returns 0 or exit status 1. */
int nvme_cli_print_raw(const void *buf, size_t len);

#endif /* USK_NVME_CLI_H */
