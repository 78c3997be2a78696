/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_check: reads a region of a block device (through the kernel, with
 * O_DIRECT) and checks every block named in crash_writer's log: a valid
 * header for that LBA, a valid checksum, and a (generation, sequence) no
 * older than the latest the log holds for it (a later write that was not
 * yet flushed when the writer was killed may have replaced it).
 *
 *     crash_check DEVICE FIRST_LBA BLOCKS BLOCK_SIZE LOG
 *
 * A line cut short by the kill of its writer (torn_log_lines) holds a
 * claim that is not whole: it is left out, so a block's check may fall back
 * to an older write of the log, never to a write that was not flushed.
 *
 * Prints "blocks_checked=N failures=F torn_log_lines=T" and exits 0 only
 * when F is 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../examples/nvme/crash_block.h"

struct latest {
	uint64_t gen;
	uint64_t seq;
	int seen;
};

static int newer(uint64_t g1, uint64_t s1, uint64_t g2, uint64_t s2)
{
	return g1 > g2 || (g1 == g2 && s1 > s2);
}

/* The latest (gen, seq) logged for each block of the region; torn lines counted in *@torn. */
static int read_log(const char *path, uint64_t first, uint64_t count, struct latest *l,
		    uint64_t *torn)
{
	FILE *f = fopen(path, "r");
	char line[128];
	uint64_t g, lba, s;

	if (f == NULL) {
		fprintf(stderr, "crash_check: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char end = 0;

		if (line[0] == '\n') {
			continue;
		}
		/* Whole: three numbers, then the line's end. */
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 "%c", &g, &lba, &s, &end) !=
			    4 ||
		    end != '\n') {
			(*torn)++;
			continue;
		}
		if (lba < first || lba >= first + count) {
			fprintf(stderr,
				"crash_check: log line for LBA %" PRIu64 " outside the region\n",
				lba);
			fclose(f);
			return -1;
		}
		struct latest *e = &l[lba - first];
		if (!e->seen || newer(g, s, e->gen, e->seq)) {
			*e = (struct latest){g, s, 1};
		}
	}
	fclose(f);
	return 0;
}

static int check_block(const uint8_t *blk, size_t bs, uint64_t lba, const struct latest *e)
{
	struct crash_block_hdr h;
	const char *why = NULL;

	memcpy(&h, blk, sizeof(h));
	if (h.magic != CRASH_BLOCK_MAGIC) {
		why = "no crash_writer header";
	} else if (h.lba != lba) {
		why = "header names another LBA";
	} else if (h.sum != crash_block_sum(blk, bs)) {
		why = "bad checksum";
	} else if (newer(e->gen, e->seq, h.gen, h.seq)) {
		why = "older than the last flushed write";
	}
	if (why != NULL) {
		printf("FAIL LBA %" PRIu64 ": %s (on disk gen %" PRIu64 " seq %" PRIu64
		       ", logged gen %" PRIu64 " seq %" PRIu64 ")\n",
		       lba, why, h.gen, h.seq, e->gen, e->seq);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: crash_check DEVICE FIRST_LBA BLOCKS BLOCK_SIZE LOG\n");
		return 2;
	}
	uint64_t first = strtoull(argv[2], NULL, 0), count = strtoull(argv[3], NULL, 0);
	size_t bs = strtoul(argv[4], NULL, 0);
	struct latest *l = calloc(count, sizeof(*l));
	uint8_t *buf = NULL;
	uint64_t checked = 0, failures = 0, torn = 0;
	int fd = open(argv[1], O_RDONLY | O_DIRECT);

	if (l == NULL || fd < 0 || bs < 64 || posix_memalign((void **)&buf, 4096, bs * count)) {
		fprintf(stderr, "crash_check: cannot open %s or allocate: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	if (read_log(argv[5], first, count, l, &torn) != 0) {
		return 2;
	}
	if (pread(fd, buf, bs * count, (off_t)(first * bs)) != (ssize_t)(bs * count)) {
		fprintf(stderr, "crash_check: cannot read %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (uint64_t i = 0; i < count; i++) {
		if (l[i].seen) {
			checked++;
			failures += (uint64_t)check_block(buf + i * bs, bs, first + i, &l[i]);
		}
	}
	printf("blocks_checked=%" PRIu64 " failures=%" PRIu64 " torn_log_lines=%" PRIu64 "\n",
	       checked, failures, torn);
	return failures == 0 && checked > 0 ? 0 : 1;
}
