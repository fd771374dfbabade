/* A table of small test functions, no framework (QCBOR run_tests.c style). */
#ifndef PHR_TESTLIB_H
#define PHR_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "phr/error.h"

struct test {
	const char *name;
	int (*fn)(void); /* 0 = pass */
};

#define CHECK(cond)                                                                                   \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed [last error: %s]\n", __FILE__, __LINE__, \
				#cond, phr_last_error());                                             \
			return 1;                                                                     \
		}                                                                                     \
	} while (0)

#define CHECK_RC(expr, want)                                                                          \
	do {                                                                                          \
		int rc_ = (expr);                                                                     \
		if (rc_ != (want)) {                                                                  \
			fprintf(stderr, "  %s:%d: %s returned %d (%s), expected %d [last error: %s]\n", \
				__FILE__, __LINE__, #expr, rc_, phr_strerror(rc_), (int)(want),       \
				phr_last_error());                                                    \
			return 1;                                                                     \
		}                                                                                     \
	} while (0)

/* Runs the table; prints one line per test and "N passed, N failed". */
int run_tests(const struct test *t, size_t n);
/* Reads a file relative to the source tree ($PHR_SOURCE_ROOT). malloc'd, NUL-terminated. */
uint8_t *t_read(const char *relpath, size_t *len);
/* Lists files in a source-tree directory with a suffix; returns count, fills
 * names (malloc'd strings) up to max. */
size_t t_list(const char *reldir, const char *suffix, char **names, size_t max);
/* Parses hex into bytes; returns length. */
size_t t_unhex(const char *hex, uint8_t *out, size_t cap);
/* Peak resident memory of this program image in KiB (VmHWM from
 * /proc/self/status, which starts afresh at exec, unlike getrusage's
 * ru_maxrss, which on Linux keeps the parent's peak — meson's Python —
 * across fork and exec); -1 when unknown. */
long t_peak_rss_kb(void);
/* Test body: peak resident memory of this process under limit_kb (prints
 * the figure; not checked under a sanitizer). */
int t_check_peak_rss(long limit_kb);

/* Decompression bombs: total zeros streamed, with little memory, through
 * raw DEFLATE (level 9) or a magicless zstd frame (no content size, no
 * dictionary id, window 2^window_log) into out; dict (may be NULL) is the
 * preset dictionary. Return the compressed length, 0 when it does not fit
 * cap or the library fails. */
size_t t_deflate_bomb(uint64_t total, const uint8_t *dict, size_t dictlen, uint8_t *out, size_t cap);
size_t t_zstd_bomb(uint64_t total, int window_log, const uint8_t *dict, size_t dictlen, uint8_t *out, size_t cap);

/* Memory figures mean nothing under a sanitizer (shadow memory). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(UNDER_SANITIZER)
#define UNDER_SANITIZER 1
#endif

#endif
