/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C throughput of lib/util's two paths, side by side: the SSE4.2
 * instructions (three streams at once) and the slicing-by-8 table, at the
 * sizes NVMe/TCP digests cover (a 24-byte header to a 128 KiB data PDU).
 *
 *   crc32c [SECONDS_PER_FIGURE]
 *
 * Prints GB/s (10^9 bytes a second) per size and path, on one core. The
 * seconds are the thread's CPU time, not the wall clock: on a shared,
 * loaded machine the figure is still what the code does with a core.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crc32c_internal.h"
#include "usk/crc32c.h"

typedef uint32_t (*crc_fn)(uint32_t reg, const uint8_t *p, size_t len);

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GB/s of @fn over @len bytes, run for about @seconds. */
static double measure(crc_fn fn, const uint8_t *buf, size_t len, double seconds)
{
	/* The register chains through every call, so no call can be skipped or overlapped away. */
	uint32_t reg = 0;
	uint64_t bytes = 0;
	double start = cpu_s(), elapsed;
	size_t batch = 1 + (1u << 20) / len;

	do {
		for (size_t i = 0; i < batch; i++) {
			reg = fn(reg, buf, len);
		}
		bytes += batch * len;
		elapsed = cpu_s() - start;
	} while (elapsed < seconds);
	if (reg == 0x12345678u) {
		printf(" ");
	}
	return (double)bytes / elapsed / 1e9;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {24, 72, 512, 4096, 8192, 65536, 131072};
	double seconds = argc > 1 ? atof(argv[1]) : 0.5;
	uint8_t *buf = aligned_alloc(64, 131072);

	if (buf == NULL || seconds <= 0) {
		fprintf(stderr, "usage: crc32c [SECONDS_PER_FIGURE]\n");
		return 2;
	}
	for (size_t i = 0; i < 131072; i++) {
		buf[i] = (uint8_t)(i * 31 + 7);
	}
	crc32c_init();
	printf("crc32c: usk_crc32c_update uses %s\n", usk_crc32c_impl_name());
	printf("%8s %10s %10s\n", "bytes", "sse4.2", "table");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double table = measure(crc32c_table_update, buf, sizes[i], seconds);

		if (crc32c_hw_supported()) {
			double hw = measure(crc32c_hw_update, buf, sizes[i], seconds);

			printf("%8zu %8.2f GB/s %6.2f GB/s\n", sizes[i], hw, table);
		} else {
			printf("%8zu %10s %6.2f GB/s\n", sizes[i], "-", table);
		}
	}
	free(buf);
	return 0;
}
