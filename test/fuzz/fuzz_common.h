/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer targets of test/fuzz share: a quiet log, the input
 * as a C string or as an argv, and a loud stop when an invariant breaks.
 */
#ifndef USK_TEST_FUZZ_COMMON_H
#define USK_TEST_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/log.h"

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Breaks the run with a message when @cond is false: libFuzzer counts the
 * trap as a crash and keeps the input that caused it.
 */
#define FUZZ_CHECK(cond, ...)                                                                  \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz: invariant broken: " __VA_ARGS__);               \
			fputc('\n', stderr);                                                   \
			__builtin_trap();                                                      \
		}                                                                              \
	} while (0)

static void fuzz_log_discard(void *ctx, enum usk_log_level level, const char *msg)
{
}

/*
 * Messages are still formatted (that code runs too) but not printed: bad
 * input is what a fuzzer feeds, and printing each refusal would cost more
 * than the parse.
 */
static inline void fuzz_quiet_logs(void)
{
	usk_log_set_callback(fuzz_log_discard, NULL);
	usk_log_set_level(USK_LOG_ERROR);
}

/*
 * For a command-line parser's target: quiet logs, and *@devnull the stream
 * the parser explains refusals (and -h) on. Returns 0, or -1 as
 * LLVMFuzzerInitialize() does when /dev/null cannot be opened.
 */
static inline int fuzz_init_option_parser(FILE **devnull)
{
	fuzz_quiet_logs();
	*devnull = fopen("/dev/null", "w");
	return *devnull != NULL ? 0 : -1;
}

/* @data as a NUL-terminated string (cut at its first NUL); free() it. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* An argv made from the input, with the program's name in argv[0]. */
struct fuzz_argv {
	int argc;
	char **argv;
};

/*
 * Splits @data at its NUL bytes into at most @max arguments after
 * argv[0] = @prog; a trailing piece without NUL counts too. Each string is
 * its own allocation, so ASan sees a read past any one of them. Returns 0
 * or -1 when memory is short.
 */
static inline int fuzz_argv_split(struct fuzz_argv *a, const char *prog, const uint8_t *data,
				  size_t size, int max)
{
	size_t pos = 0;

	a->argc = 0;
	a->argv = calloc((size_t)max + 2, sizeof(*a->argv));
	if (a->argv == NULL) {
		return -1;
	}
	a->argv[a->argc++] = strdup(prog);
	while (pos < size && a->argc <= max) {
		const uint8_t *end = memchr(data + pos, '\0', size - pos);
		size_t len = end != NULL ? (size_t)(end - (data + pos)) : size - pos;

		a->argv[a->argc++] = fuzz_strdup(data + pos, len);
		pos += len + 1;
	}
	for (int i = 0; i < a->argc; i++) {
		if (a->argv[i] == NULL) {
			return -1;
		}
	}
	return 0;
}

static inline void fuzz_argv_free(struct fuzz_argv *a)
{
	for (int i = 0; i < a->argc; i++) {
		free(a->argv[i]);
	}
	free(a->argv);
}

/*
 * Starts getopt afresh. glibc keeps, besides optind, a pointer into the
 * last argv element it was reading (a cluster such as "-hC" stopped at
 * 'h'); only optind = 0 drops it, and the previous input's argv is freed
 * by now. A parser that sets optind = 1 itself would read that freed
 * string in glibc's uninstrumented getopt, out of ASan's sight, so each
 * input starts from a clean getopt instead (see FINDINGS.md).
 */
static inline void fuzz_getopt_reset(void)
{
	char prog[] = "fuzz";
	char *argv[] = {prog, NULL};

	optind = 0;
	opterr = 0;
	while (getopt(1, argv, "") != -1) {
	}
}

#endif /* USK_TEST_FUZZ_COMMON_H */
