/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_nvme_perf's command line: options compatible with spdk_nvme_perf
 * where they overlap.
 */
#ifndef USK_PERF_OPTS_H
#define USK_PERF_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PERF_MAX_TRIDS 16
#define PERF_MAX_NSIDS 32

enum perf_pattern {
	PERF_SEQUENTIAL,
	PERF_RANDOM,
};

/* How a worker waits for completions. */
enum perf_wait_mode {
	PERF_WAIT_POLL,	      /* spin (the default) */
	PERF_WAIT_ADAPTIVE,   /* --adaptive: spin while busy, sleep on interrupts after an idle spell */
	PERF_WAIT_INTERRUPTS, /* --interrupts: sleep on interrupts whenever a poll finds nothing */
};

struct perf_opts {
	uint32_t queue_depth;		   /* -q */
	uint32_t io_size;		   /* -o, bytes */
	enum perf_pattern pattern;	   /* from -w */
	uint32_t read_percent;		   /* reads in percent: 100, 0, or -M for mixes */
	uint32_t rwmixread;		   /* -M as given, UINT32_MAX when absent */
	const char *workload;		   /* -w as given */
	uint32_t seconds;		   /* -t */
	uint32_t warmup_seconds;	   /* -T */
	const char *core_mask;		   /* -c, NULL for the current core only */
	const char *trids[PERF_MAX_TRIDS]; /* -r */
	uint32_t trid_count;
	uint32_t nsids[PERF_MAX_NSIDS]; /* -n */
	uint32_t nsid_count;		/* 0: every active namespace */
	uint32_t latency_level;		/* -L: 1 summary, 2 full histogram */
	uint32_t dma_mem_mb;		/* -s, 0: as much as needed */
	uint32_t io_align;		/* --io-align, buffer alignment in bytes */
	bool verify;			/* -V */
	bool json;			/* --json */
	bool mmio_doorbells;		/* --no-shadow-doorbells */
	bool delay_doorbell;		/* --delay-doorbell */
	bool transport_stats;		/* --transport-stats */
	enum perf_wait_mode wait_mode;	/* --adaptive, --interrupts */
	uint32_t rate;			/* --rate: I/Os per second in all, 0: closed loop */
	uint32_t interrupt_keep;	/* --interrupt-keep: interrupt_keep_completions */
	bool help;			/* -h, --help */
};

/*
 * Fills @opts from argv. Returns 0, or -EINVAL after printing a message
 * that names the bad option and its fix to @err.
 */
int perf_opts_parse(struct perf_opts *opts, int argc, char **argv, FILE *err);

/*
 * Parses a decimal count with an optional k/m/g suffix (powers of 1024)
 * into @value. Returns 0; -EINVAL when it is not a number; -ERANGE when it
 * is outside [@min, @max]. usk_bdevperf parses its sizes with it too.
 */
int perf_parse_u32(const char *str, uint32_t min, uint32_t max, bool suffix, uint32_t *value);

/*
 * Whether @bytes of I/O buffers fit in this machine's memory, whose size
 * (MiB) *@mib gets: a run asking for more would only end in the kernel's
 * OOM killer, its buffers being pinned. usk_bdevperf checks with it too.
 */
bool perf_buffers_fit(uint64_t bytes, uint64_t *mib);

/* Prints the --help text to @out. */
void perf_opts_usage(FILE *out);

#endif /* USK_PERF_OPTS_H */
