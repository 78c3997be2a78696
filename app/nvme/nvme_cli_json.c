/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme -o json: the members nvme-cli 2.x prints for Identify
 * Controller, Identify Namespace, the SMART log and the Error Information
 * log, in its order and with its types, so that scripts written for
 * nvme-cli's JSON read usk_nvme's. Each structure is a table of the
 * fields' byte offsets (NVMe base 2.0 5.17.2.1, NVM command set 4.1.5.1,
 * base 5.16.1.2-3), read little-endian from the bytes the device sent.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_cli.h"
#include "usk/util.h"
#include "usk_internal/utf8.h"

enum field_kind {
	FIELD_NUM,  /* a little-endian unsigned number of 1..8 bytes */
	FIELD_U128, /* a 16-byte counter: nvme-cli writes it as a decimal string */
	FIELD_STR,  /* ASCII, fixed width, with its padding (nvme-cli keeps it) */
	FIELD_UUID, /* 16 bytes as 8-4-4-4-12 hex digits */
	FIELD_HEX,  /* bytes as hex digits, in order */
};

struct field {
	const char *name;
	uint16_t offset;
	uint8_t size;
	enum field_kind kind;
};

#define NUM(name, off, size)               \
	{                                  \
		name, off, size, FIELD_NUM \
	}
#define U128(name, off)                   \
	{                                 \
		name, off, 16, FIELD_U128 \
	}

static uint64_t read_le(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = size; i > 0; i--) {
		v = v << 8 | p[i - 1];
	}
	return v;
}

/* A 128-bit little-endian counter in decimal; @out holds at least 40 characters. */
static void u128_to_decimal(const uint8_t *p, char *out)
{
	unsigned __int128 v = (unsigned __int128)read_le(p + 8, 8) << 64 | read_le(p, 8);
	char digits[40];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++) {
		out[i] = digits[n - 1 - i];
	}
	out[n] = '\0';
}

void nvme_cli_json_device_string(struct usk_json_write_ctx *w, const char *name, const char *text)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *s = (const unsigned char *)text;
	size_t len = USK_MIN(strlen(text), (size_t)NVME_CLI_DEVICE_STRING_MAX);
	char out[3 * NVME_CLI_DEVICE_STRING_MAX + 1];
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		size_t step = s[i] < 0x80 ? 1 : utf8_char_len(s + i, len - i);

		if (step == 0) {
			memcpy(out + n, replacement, 3);
			n += 3;
			i++;
			continue;
		}
		memcpy(out + n, s + i, step);
		n += step;
		i += step;
	}
	out[n] = '\0';
	usk_json_write_named_string(w, name, out);
}

static void write_field(struct usk_json_write_ctx *w, const uint8_t *base, const struct field *f)
{
	const uint8_t *p = base + f->offset;
	char text[260];

	switch (f->kind) {
	case FIELD_NUM:
		usk_json_write_named_uint64(w, f->name, read_le(p, f->size));
		return;
	case FIELD_U128:
		u128_to_decimal(p, text);
		break;
	case FIELD_STR:
		/* Up to the first NUL, padding included, as nvme-cli's "%-.*s". */
		memcpy(text, p, f->size);
		text[f->size] = '\0';
		nvme_cli_json_device_string(w, f->name, text);
		return;
	case FIELD_UUID:
		snprintf(text, sizeof(text),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11],
			 p[12], p[13], p[14], p[15]);
		break;
	case FIELD_HEX:
		for (size_t i = 0; i < f->size; i++) {
			snprintf(text + 2 * i, 3, "%02x", p[i]);
		}
		break;
	}
	usk_json_write_named_string(w, f->name, text);
}

static void write_fields(struct usk_json_write_ctx *w, const void *base, const struct field *f,
			 size_t count)
{
	for (size_t i = 0; i < count; i++) {
		write_field(w, base, &f[i]);
	}
}

/* Identify Controller up to MAXCNA; SUBNQN and the fabrics fields follow it. */
static const struct field g_id_ctrl[] = {
	NUM("vid", 0, 2),	   NUM("ssvid", 2, 2),	     {"sn", 4, 20, FIELD_STR},
	{"mn", 24, 40, FIELD_STR}, {"fr", 64, 8, FIELD_STR}, NUM("rab", 72, 1),
	NUM("ieee", 73, 3),	   NUM("cmic", 76, 1),	     NUM("mdts", 77, 1),
	NUM("cntlid", 78, 2),	   NUM("ver", 80, 4),	     NUM("rtd3r", 84, 4),
	NUM("rtd3e", 88, 4),	   NUM("oaes", 92, 4),	     NUM("ctratt", 96, 4),
	NUM("rrls", 100, 2),	   NUM("cntrltype", 111, 1), {"fguid", 112, 16, FIELD_UUID},
	NUM("crdt1", 128, 2),	   NUM("crdt2", 130, 2),     NUM("crdt3", 132, 2),
	NUM("nvmsr", 253, 1),	   NUM("vwci", 254, 1),	     NUM("mec", 255, 1),
	NUM("oacs", 256, 2),	   NUM("acl", 258, 1),	     NUM("aerl", 259, 1),
	NUM("frmw", 260, 1),	   NUM("lpa", 261, 1),	     NUM("elpe", 262, 1),
	NUM("npss", 263, 1),	   NUM("avscc", 264, 1),     NUM("apsta", 265, 1),
	NUM("wctemp", 266, 2),	   NUM("cctemp", 268, 2),    NUM("mtfa", 270, 2),
	NUM("hmpre", 272, 4),	   NUM("hmmin", 276, 4),     U128("tnvmcap", 280),
	U128("unvmcap", 296),	   NUM("rpmbs", 312, 4),     NUM("edstt", 316, 2),
	NUM("dsto", 318, 1),	   NUM("fwug", 319, 1),	     NUM("kas", 320, 2),
	NUM("hctma", 322, 2),	   NUM("mntmt", 324, 2),     NUM("mxtmt", 326, 2),
	NUM("sanicap", 328, 4),	   NUM("hmminds", 332, 4),   NUM("hmmaxd", 336, 2),
	NUM("nsetidmax", 338, 2),  NUM("endgidmax", 340, 2), NUM("anatt", 342, 1),
	NUM("anacap", 343, 1),	   NUM("anagrpmax", 344, 4), NUM("nanagrpid", 348, 4),
	NUM("pels", 352, 4),	   NUM("domainid", 356, 2),  U128("megcap", 368),
	NUM("sqes", 512, 1),	   NUM("cqes", 513, 1),	     NUM("maxcmd", 514, 2),
	NUM("nn", 516, 4),	   NUM("oncs", 520, 2),	     NUM("fuses", 522, 2),
	NUM("fna", 524, 1),	   NUM("vwc", 525, 1),	     NUM("awun", 526, 2),
	NUM("awupf", 528, 2),	   NUM("icsvscc", 530, 1),   NUM("nwpc", 531, 1),
	NUM("acwu", 532, 2),	   NUM("ocfs", 534, 2),	     NUM("sgls", 536, 4),
	NUM("mnan", 540, 4),	   U128("maxdna", 544),	     NUM("maxcna", 560, 4),
};

#define ID_CTRL_SUBNQN	   768
#define ID_CTRL_SUBNQN_LEN 256

static const struct field g_id_ctrl_fabrics[] = {
	NUM("ioccsz", 1792, 4), NUM("iorcsz", 1796, 4), NUM("icdoff", 1800, 2),
	NUM("fcatt", 1802, 1),	NUM("msdbd", 1803, 1),	NUM("ofcs", 1804, 2),
};

/* A power state descriptor (32 bytes from byte 2048, one per state, NPSS + 1). */
#define ID_CTRL_PSD	 2048
#define ID_CTRL_PSD_SIZE 32

static const struct field g_psd[] = {
	NUM("max_power", 0, 2),	  NUM("flags", 3, 1),	   NUM("entry_lat", 4, 4),
	NUM("exit_lat", 8, 4),	  NUM("read_tput", 12, 1), NUM("read_lat", 13, 1),
	NUM("write_tput", 14, 1), NUM("write_lat", 15, 1), NUM("idle_power", 16, 2),
};

static void write_psd(struct usk_json_write_ctx *w, const uint8_t *psd)
{
	usk_json_write_object_begin(w);
	write_fields(w, psd, g_psd, USK_COUNTOF(g_psd));
	/* The power scales are the top two bits of IPS (byte 18) and APWS (byte 22). */
	usk_json_write_named_uint64(w, "idle_scale", psd[18] >> 6);
	usk_json_write_named_uint64(w, "active_power", read_le(psd + 20, 2));
	usk_json_write_named_uint64(w, "active_power_work", psd[22] & 0x7);
	usk_json_write_named_uint64(w, "active_scale", psd[22] >> 6);
	usk_json_write_object_end(w);
}

void nvme_cli_json_id_ctrl(struct usk_json_write_ctx *w, const struct usk_nvme_ctrlr_data *cd)
{
	const uint8_t *raw = (const uint8_t *)cd;
	char subnqn[ID_CTRL_SUBNQN_LEN + 1];

	write_fields(w, raw, g_id_ctrl, USK_COUNTOF(g_id_ctrl));
	memcpy(subnqn, raw + ID_CTRL_SUBNQN, ID_CTRL_SUBNQN_LEN);
	subnqn[ID_CTRL_SUBNQN_LEN] = '\0';
	if (subnqn[0] != '\0') {
		nvme_cli_json_device_string(w, "subnqn", subnqn);
	}
	write_fields(w, raw, g_id_ctrl_fabrics, USK_COUNTOF(g_id_ctrl_fabrics));
	usk_json_write_named_array_begin(w, "psds");
	for (uint32_t i = 0; i <= cd->npss; i++) {
		write_psd(w, raw + ID_CTRL_PSD + i * ID_CTRL_PSD_SIZE);
	}
	usk_json_write_array_end(w);
}

static const struct field g_id_ns_head[] = {
	NUM("nsze", 0, 8),    NUM("ncap", 8, 8),    NUM("nuse", 16, 8),	     NUM("nsfeat", 24, 1),
	NUM("nlbaf", 25, 1),  NUM("flbas", 26, 1),  NUM("mc", 27, 1),	     NUM("dpc", 28, 1),
	NUM("dps", 29, 1),    NUM("nmic", 30, 1),   NUM("rescap", 31, 1),    NUM("fpi", 32, 1),
	NUM("dlfeat", 33, 1), NUM("nawun", 34, 2),  NUM("nawupf", 36, 2),    NUM("nacwu", 38, 2),
	NUM("nabsn", 40, 2),  NUM("nabo", 42, 2),   NUM("nabspf", 44, 2),    NUM("noiob", 46, 2),
	U128("nvmcap", 48),   NUM("nsattr", 99, 1), NUM("nvmsetid", 100, 2),
};

/* Present when NSFEAT bit 4 says the namespace reports its I/O optimisation fields. */
static const struct field g_id_ns_opt[] = {
	NUM("npwg", 64, 2), NUM("npwa", 66, 2), NUM("npdg", 68, 2),
	NUM("npda", 70, 2), NUM("nows", 72, 2),
};

static const struct field g_id_ns_tail[] = {
	NUM("mssrl", 74, 2),	      NUM("mcl", 76, 4),
	NUM("msrc", 80, 1),	      NUM("nulbaf", 82, 1),
	NUM("anagrpid", 92, 4),	      NUM("endgid", 102, 2),
	{"eui64", 120, 8, FIELD_HEX}, {"nguid", 104, 16, FIELD_HEX},
};

#define ID_NS_NSFEAT_OPTPERF 0x10

void nvme_cli_json_id_ns(struct usk_json_write_ctx *w, const struct usk_nvme_ns_data *nd)
{
	write_fields(w, nd, g_id_ns_head, USK_COUNTOF(g_id_ns_head));
	if ((nd->nsfeat & ID_NS_NSFEAT_OPTPERF) != 0) {
		write_fields(w, nd, g_id_ns_opt, USK_COUNTOF(g_id_ns_opt));
	}
	write_fields(w, nd, g_id_ns_tail, USK_COUNTOF(g_id_ns_tail));
	usk_json_write_named_array_begin(w, "lbafs");
	/* NLBAF is 0's based. */
	for (uint32_t i = 0; i <= nd->nlbaf && i < USK_COUNTOF(nd->lbaf); i++) {
		usk_json_write_object_begin(w);
		usk_json_write_named_uint64(w, "ms", nd->lbaf[i].ms);
		usk_json_write_named_uint64(w, "ds", nd->lbaf[i].lbads);
		usk_json_write_named_uint64(w, "rp", nd->lbaf[i].rp);
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
}

static const struct field g_smart_head[] = {
	NUM("temperature", 1, 2),
	NUM("avail_spare", 3, 1),
	NUM("spare_thresh", 4, 1),
	NUM("percent_used", 5, 1),
	NUM("endurance_grp_critical_warning_summary", 6, 1),
	U128("data_units_read", 32),
	U128("data_units_written", 48),
	U128("host_read_commands", 64),
	U128("host_write_commands", 80),
	U128("controller_busy_time", 96),
	U128("power_cycles", 112),
	U128("power_on_hours", 128),
	U128("unsafe_shutdowns", 144),
	U128("media_errors", 160),
	U128("num_err_log_entries", 176),
	NUM("warning_temp_time", 192, 4),
	NUM("critical_comp_time", 196, 4),
};

static const struct field g_smart_tail[] = {
	NUM("thm_temp1_trans_count", 216, 4),
	NUM("thm_temp2_trans_count", 220, 4),
	NUM("thm_temp1_total_time", 224, 4),
	NUM("thm_temp2_total_time", 228, 4),
};

/* Eight temperature sensors, 2 bytes each from byte 200; nvme-cli leaves out those at 0. */
#define SMART_TEMP_SENSORS 200

/* nvme-cli's -H: Critical Warning (byte 0) as an object of its bits, base 5.16.1.3. */
static void write_critical_warning(struct usk_json_write_ctx *w, uint8_t v)
{
	static const char *const bits[] = {"available_spare",	   "temp_threshold",
					   "reliability_degraded", "ro",
					   "vmbu_failed",	   "pmr_ro"};

	usk_json_write_named_object_begin(w, "critical_warning");
	usk_json_write_named_uint64(w, "value", v);
	for (uint32_t i = 0; i < USK_COUNTOF(bits); i++) {
		usk_json_write_named_uint64(w, bits[i], (v >> i) & 1u);
	}
	usk_json_write_object_end(w);
}

void nvme_cli_json_smart_log(struct usk_json_write_ctx *w, const void *log, bool human)
{
	const uint8_t *raw = log;
	char name[32];

	if (human) {
		write_critical_warning(w, raw[0]);
	} else {
		usk_json_write_named_uint64(w, "critical_warning", raw[0]);
	}
	write_fields(w, raw, g_smart_head, USK_COUNTOF(g_smart_head));
	for (uint32_t i = 0; i < 8; i++) {
		uint64_t kelvin = read_le(raw + SMART_TEMP_SENSORS + 2 * i, 2);

		if (kelvin != 0) {
			snprintf(name, sizeof(name), "temperature_sensor_%u", i + 1);
			usk_json_write_named_uint64(w, name, kelvin);
		}
	}
	write_fields(w, raw, g_smart_tail, USK_COUNTOF(g_smart_tail));
}

/* An Error Information log entry's members before and after its status field (byte 12). */
static const struct field g_error_head[] = {
	NUM("error_count", 0, 8),
	NUM("sqid", 8, 2),
	NUM("cmdid", 10, 2),
};

static const struct field g_error_tail[] = {
	NUM("parm_error_location", 14, 2),
	NUM("lba", 16, 8),
	NUM("nsid", 24, 4),
	NUM("vs", 28, 1),
	NUM("trtype", 29, 1),
	NUM("cs", 32, 8),
	NUM("trtype_spec_info", 40, 2),
};

void nvme_cli_json_error_log(struct usk_json_write_ctx *w, const struct usk_nvme_error_info *log,
			     uint32_t entries)
{
	usk_json_write_named_array_begin(w, "errors");
	for (uint32_t i = 0; i < entries; i++) {
		usk_json_write_object_begin(w);
		write_fields(w, &log[i], g_error_head, USK_COUNTOF(g_error_head));
		/* Bit 0 is the phase tag the failed command's CQE had; the status is above it. */
		usk_json_write_named_uint64(w, "status_field", log[i].status >> 1);
		usk_json_write_named_uint64(w, "phase_tag", log[i].status & 1u);
		write_fields(w, &log[i], g_error_tail, USK_COUNTOF(g_error_tail));
		usk_json_write_object_end(w);
	}
	usk_json_write_array_end(w);
}

int nvme_cli_json_print(struct usk_json_write_ctx *w)
{
	char *text = NULL;

	if (usk_json_write_end(w, true, &text) != 0) {
		fprintf(stderr, "usk_nvme: cannot build the JSON output (out of memory?)\n");
		return 1;
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

int nvme_cli_print_raw(const void *buf, size_t len)
{
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "usk_nvme: cannot write the raw data to stdout\n");
		return 1;
	}
	return 0;
}
