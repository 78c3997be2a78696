/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme's command line: nvme-cli's options for each command, with the
 * letters nvme-cli gives them there (the same letter means different
 * things in different commands: -r is --ref-tag for read, --reset for
 * format and --idr for dsm), so that nvme-cli's command lines work as
 * they are.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nvme_cli.h"
#include "usk/util.h"

/* What an option means, whatever letter it has in a command. */
enum opt_code {
	OPT_NSID = 256,
	OPT_START_BLOCK,
	OPT_BLOCK_COUNT,
	OPT_DATA,
	OPT_OUTPUT,
	OPT_TRID,
	OPT_HELP,
	OPT_RAW,
	OPT_HUMAN,
	OPT_VENDOR,
	OPT_VERBOSE,
	OPT_LOG_ENTRIES,
	OPT_FEATURE_ID,
	OPT_SEL,
	OPT_CDW11,
	OPT_DATA_LEN,
	OPT_UUID_INDEX,
	OPT_LBAF,
	OPT_SES,
	OPT_FORCE,
	OPT_MS,
	OPT_PI,
	OPT_PIL,
	OPT_TIMEOUT,
	OPT_RESET,
	OPT_BLOCK_SIZE,
	OPT_METADATA,
	OPT_DATA_SIZE,
	OPT_METADATA_SIZE,
	OPT_PRINFO,
	OPT_REF_TAG,
	OPT_APP_TAG,
	OPT_APP_TAG_MASK,
	OPT_STORAGE_TAG,
	OPT_STORAGE_TAG_CHECK,
	OPT_LIMITED_RETRY,
	OPT_FUA,
	OPT_DEAC,
	OPT_DIR_TYPE,
	OPT_DIR_SPEC,
	OPT_DSMGMT,
	OPT_SHOW,
	OPT_DRY_RUN,
	OPT_LATENCY,
	OPT_SLBS,
	OPT_BLOCKS,
	OPT_CTX_ATTRS,
	OPT_AD,
	OPT_IDW,
	OPT_IDR,
	OPT_TRANSPORT,
	OPT_TRADDR,
	OPT_TRSVCID,
	OPT_HOSTNQN,
	OPT_HDR_DIGEST,
	OPT_DATA_DIGEST,
};

#define V(verb)	  (1u << NVME_CLI_##verb)
#define ALL_VERBS 0xffffu
#define IO_VERBS  (V(READ) | V(WRITE))
/* The commands where -r means something of nvme-cli's (discover: --raw), not --trid. */
#define R_TAKEN (IO_VERBS | V(WRITE_ZEROES) | V(DSM) | V(FORMAT) | V(DISCOVER))

/* One option of some commands: its long name, its letter there (0: none), its meaning. */
struct opt_def {
	const char *name;
	int has_arg;
	char letter;
	uint32_t verbs;
	enum opt_code code;
};

static const struct opt_def g_opts[] = {
	{"help", no_argument, 'h', ALL_VERBS, OPT_HELP},
	{"namespace-id", required_argument, 'n', ALL_VERBS & ~V(LIST) & ~V(DISCOVER), OPT_NSID},
	{"output-format", required_argument, 'o', ALL_VERBS, OPT_OUTPUT},
	{"trid", required_argument, 'r', ALL_VERBS & ~R_TAKEN & ~V(LIST), OPT_TRID},
	{"trid", required_argument, 0, R_TAKEN | V(LIST), OPT_TRID},
	{"raw-binary", no_argument, 'b',
	 V(ID_CTRL) | V(ID_NS) | V(SMART_LOG) | V(ERROR_LOG) | V(FW_LOG) | V(GET_FEATURE), OPT_RAW},
	{"human-readable", no_argument, 'H', V(ID_CTRL) | V(ID_NS) | V(SMART_LOG) | V(GET_FEATURE),
	 OPT_HUMAN},
	{"vendor-specific", no_argument, 'v', V(ID_CTRL) | V(ID_NS), OPT_VENDOR},
	{"verbose", no_argument, 'v', V(LIST), OPT_VERBOSE},
	{"log-entries", required_argument, 'e', V(ERROR_LOG), OPT_LOG_ENTRIES},
	/* get-feature */
	{"feature-id", required_argument, 'f', V(GET_FEATURE), OPT_FEATURE_ID},
	{"sel", required_argument, 's', V(GET_FEATURE), OPT_SEL},
	{"data-len", required_argument, 'l', V(GET_FEATURE), OPT_DATA_LEN},
	{"cdw11", required_argument, 'c', V(GET_FEATURE) | V(DSM), OPT_CDW11},
	{"uuid-index", required_argument, 'U', V(GET_FEATURE), OPT_UUID_INDEX},
	/* format; --force is also read's and write's, and id-ns's */
	{"lbaf", required_argument, 'l', V(FORMAT), OPT_LBAF},
	{"ses", required_argument, 's', V(FORMAT), OPT_SES},
	{"force", no_argument, 'f', V(FORMAT), OPT_FORCE},
	{"force", no_argument, 0, IO_VERBS | V(ID_NS), OPT_FORCE},
	{"ms", required_argument, 'm', V(FORMAT), OPT_MS},
	{"pi", required_argument, 'i', V(FORMAT), OPT_PI},
	{"pil", required_argument, 'p', V(FORMAT), OPT_PIL},
	{"timeout", required_argument, 't', V(FORMAT), OPT_TIMEOUT},
	{"reset", no_argument, 'r', V(FORMAT), OPT_RESET},
	{"block-size", required_argument, 'b', V(FORMAT), OPT_BLOCK_SIZE},
	/* read, write, write-zeroes */
	{"start-block", required_argument, 's', IO_VERBS | V(WRITE_ZEROES), OPT_START_BLOCK},
	{"block-count", required_argument, 'c', IO_VERBS | V(WRITE_ZEROES), OPT_BLOCK_COUNT},
	{"block-count", required_argument, 0, V(DSM), OPT_BLOCK_COUNT},
	{"data", required_argument, 'd', IO_VERBS, OPT_DATA},
	{"metadata", required_argument, 'M', IO_VERBS, OPT_METADATA},
	{"data-size", required_argument, 'z', IO_VERBS, OPT_DATA_SIZE},
	{"metadata-size", required_argument, 'y', IO_VERBS, OPT_METADATA_SIZE},
	{"prinfo", required_argument, 'p', IO_VERBS | V(WRITE_ZEROES), OPT_PRINFO},
	{"ref-tag", required_argument, 'r', IO_VERBS | V(WRITE_ZEROES), OPT_REF_TAG},
	{"app-tag", required_argument, 'a', IO_VERBS | V(WRITE_ZEROES), OPT_APP_TAG},
	{"app-tag-mask", required_argument, 'm', IO_VERBS | V(WRITE_ZEROES), OPT_APP_TAG_MASK},
	{"storage-tag", required_argument, 'g', IO_VERBS, OPT_STORAGE_TAG},
	{"storage-tag", required_argument, 'S', V(WRITE_ZEROES), OPT_STORAGE_TAG},
	{"storage-tag-check", no_argument, 'C', IO_VERBS | V(WRITE_ZEROES), OPT_STORAGE_TAG_CHECK},
	{"limited-retry", no_argument, 'l', IO_VERBS | V(WRITE_ZEROES), OPT_LIMITED_RETRY},
	{"force-unit-access", no_argument, 'f', IO_VERBS | V(WRITE_ZEROES), OPT_FUA},
	{"deac", no_argument, 'd', V(WRITE_ZEROES), OPT_DEAC},
	{"dir-type", required_argument, 'T', IO_VERBS, OPT_DIR_TYPE},
	{"dir-spec", required_argument, 'S', IO_VERBS, OPT_DIR_SPEC},
	{"dsm", required_argument, 'D', IO_VERBS, OPT_DSMGMT},
	{"show-command", no_argument, 'v', IO_VERBS, OPT_SHOW},
	{"dry-run", no_argument, 'w', IO_VERBS, OPT_DRY_RUN},
	{"latency", no_argument, 't', IO_VERBS, OPT_LATENCY},
	/* dsm */
	{"slbs", required_argument, 's', V(DSM), OPT_SLBS},
	{"start-block", required_argument, 0, V(DSM), OPT_SLBS},
	{"blocks", required_argument, 'b', V(DSM), OPT_BLOCKS},
	{"ctx-attrs", required_argument, 'a', V(DSM), OPT_CTX_ATTRS},
	{"ad", no_argument, 'd', V(DSM), OPT_AD},
	{"idw", no_argument, 'w', V(DSM), OPT_IDW},
	{"idr", no_argument, 'r', V(DSM), OPT_IDR},
	/* discover */
	{"transport", required_argument, 't', V(DISCOVER), OPT_TRANSPORT},
	{"traddr", required_argument, 'a', V(DISCOVER), OPT_TRADDR},
	{"trsvcid", required_argument, 's', V(DISCOVER), OPT_TRSVCID},
	{"hostnqn", required_argument, 'q', V(DISCOVER), OPT_HOSTNQN},
	{"hdr_digest", no_argument, 'g', V(DISCOVER), OPT_HDR_DIGEST},
	{"data_digest", no_argument, 'G', V(DISCOVER), OPT_DATA_DIGEST},
};

/* The getopt tables for one command; longs[] ends with a zeroed entry. */
struct opt_tables {
	struct option longs[USK_COUNTOF(g_opts) + 1];
	char letters[2 * USK_COUNTOF(g_opts) + 2];
};

static void build_tables(enum nvme_cli_verb verb, struct opt_tables *t)
{
	size_t nlong = 0, nletters = 0;

	/* Leading ':' makes getopt report a missing value apart from an unknown option. */
	t->letters[nletters++] = ':';
	for (size_t i = 0; i < USK_COUNTOF(g_opts); i++) {
		const struct opt_def *d = &g_opts[i];

		if ((d->verbs & (1u << verb)) == 0) {
			continue;
		}
		t->longs[nlong++] = (struct option){d->name, d->has_arg, NULL, (int)d->code};
		if (d->letter != 0) {
			t->letters[nletters++] = d->letter;
			if (d->has_arg == required_argument) {
				t->letters[nletters++] = ':';
			}
		}
	}
	t->longs[nlong] = (struct option){0};
	t->letters[nletters] = '\0';
}

/* The meaning of letter @c in command @verb, or 0 when it has none there. */
static enum opt_code letter_code(enum nvme_cli_verb verb, int c)
{
	for (size_t i = 0; i < USK_COUNTOF(g_opts); i++) {
		if (g_opts[i].letter == c && (g_opts[i].verbs & (1u << verb)) != 0) {
			return g_opts[i].code;
		}
	}
	return 0;
}

/*
 * A number as nvme-cli reads one: decimal, 0x hex or 0 octal; with
 * @suffix also a binary suffix (K, M, G, T, P: 2^10.., "Ki" spelling too).
 * Returns 0 or -EINVAL.
 */
static int parse_number(const char *s, bool suffix, uint64_t max, uint64_t *out)
{
	static const char units[] = "kmgtp";
	char *end;
	uint64_t v;

	/* strtoull() skips blanks, and then takes a sign that wraps the value. */
	if (*s == '\0' || *s == '-' || isspace((unsigned char)*s)) {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	/* No digits: a suffix alone would make 0 of it. */
	if (errno != 0 || end == s) {
		return -EINVAL;
	}
	if (suffix && *end != '\0') {
		const char *u = strchr(units, tolower((unsigned char)*end));
		unsigned int shift = u != NULL ? 10u * (unsigned int)(u - units + 1) : 0;

		if (u == NULL || *u == '\0' || (end[1] != '\0' && strcmp(end + 1, "i") != 0) ||
		    v > (UINT64_MAX >> shift)) {
			return -EINVAL;
		}
		v <<= shift;
		end = end + strlen(end);
	}
	if (*end != '\0' || v > max) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A comma-separated list of numbers (dsm's -s, -b, -a); returns 0 or -EINVAL. */
static int parse_list(const char *s, uint64_t max, void *out, size_t elem_size, uint32_t *count)
{
	char buf[4096];
	char *save = NULL;
	uint32_t n = 0;

	if (strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (n == NVME_CLI_DSM_MAX_RANGES || parse_number(tok, false, max, &v) != 0) {
			return -EINVAL;
		}
		if (elem_size == sizeof(uint64_t)) {
			((uint64_t *)out)[n++] = v;
		} else {
			((uint32_t *)out)[n++] = (uint32_t)v;
		}
	}
	*count = n;
	return n > 0 ? 0 : -EINVAL;
}

/* Where an option's number goes, its largest value and whether it takes a suffix. */
struct number_opt {
	enum opt_code code;
	size_t offset;
	uint8_t size; /* bytes of the field in struct nvme_cli */
	uint64_t max;
	bool suffix;
};

#define NUM(code, field, max, suffix)                                                          \
	{                                                                                      \
		code, offsetof(struct nvme_cli, field), sizeof(((struct nvme_cli *)0)->field), \
			max, suffix                                                            \
	}

static const struct number_opt g_numbers[] = {
	NUM(OPT_NSID, nsid, UINT32_MAX, false),
	NUM(OPT_START_BLOCK, start_block, UINT64_MAX, true),
	NUM(OPT_BLOCK_COUNT, block_count, UINT32_MAX, false),
	NUM(OPT_LOG_ENTRIES, log_entries, UINT32_MAX, false),
	NUM(OPT_FEATURE_ID, feature_id, 0xff, false),
	NUM(OPT_SEL, sel, 0xff, false),
	NUM(OPT_CDW11, cdw11, UINT32_MAX, false),
	NUM(OPT_DATA_LEN, data_len, UINT32_MAX, false),
	NUM(OPT_UUID_INDEX, uuid_index, 0xff, false),
	NUM(OPT_LBAF, lbaf, 0xff, false),
	NUM(OPT_SES, ses, 0xff, false),
	NUM(OPT_MS, ms, 0xff, false),
	NUM(OPT_PI, pi, 0xff, false),
	NUM(OPT_PIL, pil, 0xff, false),
	NUM(OPT_TIMEOUT, timeout_ms, UINT32_MAX, false),
	NUM(OPT_BLOCK_SIZE, block_size, UINT64_MAX, true),
	NUM(OPT_DATA_SIZE, data_size, UINT64_MAX, true),
	NUM(OPT_METADATA_SIZE, metadata_size, UINT64_MAX, true),
	NUM(OPT_PRINFO, prinfo, 0xff, false),
	NUM(OPT_REF_TAG, ref_tag, UINT64_MAX, true),
	NUM(OPT_APP_TAG, app_tag, 0xffff, false),
	NUM(OPT_APP_TAG_MASK, app_tag_mask, 0xffff, false),
	NUM(OPT_STORAGE_TAG, storage_tag, UINT64_MAX, true),
	NUM(OPT_DIR_TYPE, dtype, 0xff, false),
	NUM(OPT_DIR_SPEC, dspec, 0xffff, false),
	NUM(OPT_DSMGMT, dsmgmt, 0xff, false),
};

/* Stores a numeric option; returns 1 when @code is not one, 0 or -EINVAL. */
static int set_number(struct nvme_cli *cli, enum opt_code code, const char *arg)
{
	for (size_t i = 0; i < USK_COUNTOF(g_numbers); i++) {
		const struct number_opt *n = &g_numbers[i];
		uint64_t v;

		if (n->code != code) {
			continue;
		}
		if (parse_number(arg, n->suffix, n->max, &v) != 0) {
			return -EINVAL;
		}
		if (n->size == sizeof(uint64_t)) {
			*(uint64_t *)((char *)cli + n->offset) = v;
		} else {
			*(uint32_t *)((char *)cli + n->offset) = (uint32_t)v;
		}
		return 0;
	}
	return 1;
}

/* Records what was given, beyond the value; a flag or a string when @code is one. */
static int set_other(struct nvme_cli *cli, enum opt_code code, const char *arg)
{
	struct nvme_cli_dsm_lists *l = cli->dsm;

	switch (code) {
	case OPT_DATA:
		cli->data = arg;
		return 0;
	case OPT_METADATA:
		cli->metadata = arg;
		return 0;
	case OPT_TRID:
		cli->device = arg;
		return 0;
	case OPT_TRANSPORT:
		cli->transport = arg;
		return 0;
	case OPT_TRADDR:
		cli->traddr = arg;
		return 0;
	case OPT_TRSVCID:
		cli->trsvcid = arg;
		return 0;
	case OPT_HOSTNQN:
		cli->hostnqn = arg;
		return 0;
	case OPT_OUTPUT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "normal") != 0) {
			return -EINVAL;
		}
		cli->json = strcmp(arg, "json") == 0;
		return 0;
	case OPT_SLBS:
		return parse_list(arg, UINT64_MAX, l->slbs, sizeof(l->slbs[0]), &l->nslbs);
	case OPT_BLOCKS:
		return parse_list(arg, UINT32_MAX, l->blocks, sizeof(l->blocks[0]), &l->nblocks);
	case OPT_CTX_ATTRS:
		return parse_list(arg, UINT32_MAX, l->attrs, sizeof(l->attrs[0]), &l->nattrs);
	default:
		break;
	}
	bool *flag = code == OPT_RAW		     ? &cli->raw_binary
		     : code == OPT_HUMAN	     ? &cli->human
		     : code == OPT_VENDOR	     ? &cli->vendor_specific
		     : code == OPT_VERBOSE	     ? &cli->verbose
		     : code == OPT_FORCE	     ? &cli->force
		     : code == OPT_RESET	     ? &cli->reset
		     : code == OPT_STORAGE_TAG_CHECK ? &cli->storage_tag_check
		     : code == OPT_LIMITED_RETRY     ? &cli->limited_retry
		     : code == OPT_FUA		     ? &cli->fua
		     : code == OPT_DEAC		     ? &cli->deac
		     : code == OPT_SHOW		     ? &cli->show
		     : code == OPT_DRY_RUN	     ? &cli->dry_run
		     : code == OPT_LATENCY	     ? &cli->latency
		     : code == OPT_AD		     ? &cli->ad
		     : code == OPT_IDW		     ? &cli->idw
		     : code == OPT_IDR		     ? &cli->idr
		     : code == OPT_HDR_DIGEST	     ? &cli->hdr_digest
		     : code == OPT_DATA_DIGEST	     ? &cli->data_digest
						     : NULL;

	if (flag == NULL) {
		return -EINVAL;
	}
	*flag = true;
	return 0;
}

static void note_given(struct nvme_cli *cli, enum opt_code code)
{
	cli->has_nsid |= code == OPT_NSID;
	cli->has_feature_id |= code == OPT_FEATURE_ID;
	cli->has_lbaf |= code == OPT_LBAF;
	cli->has_ref_tag |= code == OPT_REF_TAG;
	cli->has_cdw11 |= code == OPT_CDW11;
}

/* Says what is wrong with option @word: getopt's answer @c, or a bad @value. */
static void print_bad_option(FILE *err, const char *cmd, int c, const char *word, const char *value)
{
	if (c == '?') {
		fprintf(err, "usk_nvme %s: unknown option '%s'; try --help\n", cmd, word);
	} else if (c == ':') {
		fprintf(err, "usk_nvme %s: option '%s' needs a value\n", cmd, word);
	} else {
		fprintf(err, "usk_nvme %s: '%s' is not a valid value there; try --help\n", cmd,
			value != NULL ? value : word);
	}
}

static int read_options(struct nvme_cli *cli, int argc, char **argv, FILE *err)
{
	struct opt_tables t;
	int c;

	build_tables(cli->verb, &t);
	/* 0, not 1: glibc's getopt starts afresh, so that a second parse works too. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, t.letters, t.longs, NULL)) != -1) {
		enum opt_code code = c < 256 ? letter_code(cli->verb, c) : (enum opt_code)c;
		int rc;

		if (code == OPT_HELP) {
			return NVME_CLI_PARSE_HELP;
		}
		rc = code == 0 ? -EINVAL : set_number(cli, code, optarg);
		rc = rc == 1 ? set_other(cli, code, optarg) : rc;
		if (rc != 0) {
			print_bad_option(err, argv[0], code == 0 ? c : 0,
					 argv[USK_MIN(optind, argc) - 1], optarg);
			return NVME_CLI_PARSE_BAD;
		}
		note_given(cli, code);
	}
	/* The device: -r/--trid, as SPDK's tools take it, or the first word after the options. */
	if (cli->device == NULL && optind < argc) {
		cli->device = argv[optind];
	}
	return NVME_CLI_PARSE_OK;
}

/* Checks read's, write's and write-zeroes' options; returns a problem or NULL. */
static const char *io_problem(const struct nvme_cli *cli)
{
	bool is_io = cli->verb == NVME_CLI_READ || cli->verb == NVME_CLI_WRITE;

	if (is_io && cli->data == NULL) {
		return "--data FILE is required";
	}
	/* Write Zeroes is one command, whose NLB (CDW12 15:0) is 16 bits. */
	if (cli->verb == NVME_CLI_WRITE_ZEROES && cli->block_count > 0xffff) {
		return "-c/--block-count: Write Zeroes takes at most 65536 blocks at once "
		       "(-c 65535)";
	}
	if (cli->prinfo > 15) {
		return "-p/--prinfo: PRINFO is 0..15: PRACT (8), PRCHK guard (4), app tag (2), "
		       "ref tag (1)";
	}
	if (cli->storage_tag != 0 || cli->storage_tag_check) {
		return "--storage-tag, --storage-tag-check: USK serves no format with storage tags";
	}
	if (cli->dtype > 0xf) {
		return "-T/--dir-type: a directive type is 0..15";
	}
	if (cli->metadata_size != 0 && cli->metadata == NULL) {
		return "-y/--metadata-size needs -M/--metadata FILE";
	}
	return NULL;
}

/* Checks dsm's ranges: nvme-cli's lists (with -b), or -s and -c; returns a problem or NULL. */
static const char *dsm_problem(struct nvme_cli *cli)
{
	struct nvme_cli_dsm_lists *l = cli->dsm;

	if (l->nblocks == 0) {
		/* usk_nvme's form: one range, -s and a 0's based -c, deallocated. */
		if (l->nslbs > 1 || l->nattrs > 0) {
			return "several ranges need -b/--blocks, as in nvme-cli";
		}
		cli->start_block = l->nslbs == 1 ? l->slbs[0] : cli->start_block;
		if (cli->has_cdw11) {
			cli->block_count = cli->cdw11;
			cli->has_cdw11 = false;
		}
		/* The range's length is 32 bits and -c one less than it. */
		return cli->block_count == UINT32_MAX
			       ? "-c/--block-count: a range holds at most 4294967295 blocks "
				 "(-c 4294967294)"
			       : NULL;
	}
	if ((l->nslbs != 0 && l->nslbs != l->nblocks) ||
	    (l->nattrs != 0 && l->nattrs != l->nblocks)) {
		return "-s/--slbs, -b/--blocks and -a/--ctx-attrs need as many values each";
	}
	return NULL;
}

/* Checks discover's address: --trid, or nvme-cli's -t, -a and -s; returns a problem or NULL. */
static const char *discover_problem(const struct nvme_cli *cli)
{
	unsigned char ip[sizeof(struct in6_addr)];
	uint64_t port;

	if (cli->device != NULL) {
		return cli->transport != NULL || cli->traddr != NULL || cli->trsvcid != NULL
			       ? "give the discovery controller once: --trid TRID, or -t, -a and -s"
			       : NULL;
	}
	if (cli->transport == NULL || cli->traddr == NULL) {
		return "-t tcp and -a ADDRESS are required, e.g. usk_nvme discover -t tcp -a "
		       "10.0.0.1 -s 4420";
	}
	if (strcasecmp(cli->transport, "tcp") != 0) {
		return "-t/--transport: USK's initiator speaks NVMe/TCP only: -t tcp";
	}
	if (inet_pton(AF_INET, cli->traddr, ip) != 1 && inet_pton(AF_INET6, cli->traddr, ip) != 1) {
		return "-a/--traddr: an IPv4 or IPv6 address (host names are not looked up)";
	}
	if (cli->trsvcid != NULL &&
	    (parse_number(cli->trsvcid, false, 65535, &port) != 0 || port == 0 ||
	     strspn(cli->trsvcid, "0123456789") != strlen(cli->trsvcid))) {
		return "-s/--trsvcid: a port number, 1 to 65535";
	}
	if (cli->hostnqn != NULL &&
	    (cli->hostnqn[0] == '\0' || strlen(cli->hostnqn) > USK_NVMF_NQN_MAX_LEN)) {
		return "-q/--hostnqn: an NQN of 1 to 223 bytes";
	}
	return NULL;
}

/* Checks what the options cannot say alone; returns a problem or NULL. */
static const char *problem(struct nvme_cli *cli)
{
	switch (cli->verb) {
	case NVME_CLI_DISCOVER:
		return discover_problem(cli);
	case NVME_CLI_READ:
	case NVME_CLI_WRITE:
	case NVME_CLI_WRITE_ZEROES:
		return io_problem(cli);
	case NVME_CLI_DSM:
		return dsm_problem(cli);
	case NVME_CLI_GET_FEATURE:
		if (!cli->has_feature_id) {
			return "-f FID is required, e.g. -f 7 for the Number of Queues";
		}
		return cli->sel > 3 ? "-s/--sel: SEL is 0 (current), 1 (default), 2 (saved) or 3 "
				      "(supported)"
				    : NULL;
	case NVME_CLI_FORMAT:
		if (!cli->has_nsid) {
			return "-n NSID is required: which namespace to erase?";
		}
		/* NLBAF is at most 63: FLBAS and Format NVM carry a 6-bit index. */
		if (cli->lbaf > 63) {
			return "-l/--lbaf: LBAF is 0..63";
		}
		if (cli->ms > 1 || cli->pil > 1) {
			return "-m/--ms and -p/--pil are 0 or 1";
		}
		if (cli->pi > 3) {
			return "-i/--pi: PI is 0 (none) or a protection information type, 1..3";
		}
		if (cli->has_lbaf && cli->block_size != 0) {
			return "-l/--lbaf and -b/--block-size choose the same thing: give one";
		}
		return cli->ses > 2 ? "-s/--ses: SES is 0 (none), 1 (user data erase) or 2 "
				      "(cryptographic erase)"
				    : NULL;
	default:
		return NULL;
	}
}

enum nvme_cli_parse_result nvme_cli_parse(struct nvme_cli *cli, int argc, char **argv, FILE *err)
{
	enum nvme_cli_parse_result rc = read_options(cli, argc, argv, err);
	const char *why;

	if (rc != NVME_CLI_PARSE_OK) {
		return rc;
	}
	if (cli->verb != NVME_CLI_LIST && cli->verb != NVME_CLI_DISCOVER && cli->device == NULL) {
		fprintf(err, "usk_nvme %s: which device? e.g. usk_nvme %s 0000:01:00.0\n", argv[0],
			argv[0]);
		return NVME_CLI_PARSE_BAD;
	}
	why = problem(cli);
	if (why != NULL) {
		fprintf(err, "usk_nvme %s: %s\n", argv[0], why);
		return NVME_CLI_PARSE_BAD;
	}
	return NVME_CLI_PARSE_OK;
}

void nvme_cli_usage(FILE *out)
{
	fprintf(out,
		"Usage: usk_nvme COMMAND [DEVICE] [options]\n\n"
		"nvme-cli's everyday commands through USK, for controllers bound to vfio-pci\n"
		"(scripts/setup.sh) or reached over NVMe/TCP, with nvme-cli's options. DEVICE\n"
		"is a PCI address (0000:01:00.0) or a transport ID ('trtype:PCIe\n"
		"traddr:0000:01:00.0', 'trtype:TCP traddr:10.0.0.1 trsvcid:4420 subnqn:NQN').\n\n"
		"Commands and their options (doc/usk_nvme.md says more):\n"
		"  list         [-o json] [-v] [--trid TRID: that controller only]\n"
		"  id-ctrl      [-o json] [-b] [-H] [-v]\n"
		"  id-ns        -n NSID [-o json] [-b] [-H] [-v] [--force]\n"
		"  smart-log    [-n NSID] [-o json] [-b] [-H]\n"
		"  error-log    [-e N] [-o json] [-b]\n"
		"  fw-log       [-o json] [-b]\n"
		"  get-feature  -f FID [-n NSID] [-s SEL] [-c CDW11] [-l LEN] [-U UUID] [-b] [-H]\n"
		"  read, write  -n NSID -s LBA -c N -d FILE [-z BYTES] [-M FILE] [-y BYTES]\n"
		"               [-p PRINFO] [-r REFTAG] [-a APPTAG] [-m MASK] [-f] [-l]\n"
		"               [-D DSM] [-T DTYPE] [-S DSPEC] [-v] [-w] [-t] [--force]\n"
		"  write-zeroes -n NSID -s LBA -c N [-d] [-f] [-l] [-p PRINFO] [-r REFTAG]\n"
		"               [-a APPTAG] [-m MASK]\n"
		"  dsm          -n NSID -s LBA[,LBA..] -b N[,N..] [-a ATTR[,..]] [-d] [-w] [-r]\n"
		"               [-c CDW11]; or usk_nvme's -s LBA -c N (deallocate N+1 blocks)\n"
		"  flush        -n NSID (0xffffffff: every namespace)\n"
		"  format       -n NSID [-l LBAF | -b BYTES] [-s SES] [-m MS] [-i PI] [-p PIL]\n"
		"               [-t MS] [-r] [-f|--force]\n"
		"  discover     -t tcp -a ADDRESS [-s PORT] [-q HOSTNQN] [-g] [-G] [-o json]\n"
		"               (no DEVICE; or --trid TRID of a discovery controller)\n\n"
		"  -c/--block-count is 0's based, as in nvme-cli: -c 7 moves 8 blocks.\n"
		"  --trid TRID gives the device as SPDK's tools do (also -r where -r is free).\n"
		"  -o/--output-format normal or json; -h/--help this text.\n");
}
