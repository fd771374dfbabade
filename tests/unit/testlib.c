#include "testlib.h"

#define ZSTD_STATIC_LINKING_ONLY /* magicless frames */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

int run_tests(const struct test *t, size_t n)
{
	size_t pass = 0, fail = 0;
	for (size_t i = 0; i < n; i++) {
		phr_clear_error();
		if (t[i].fn() == 0) {
			printf("ok   %s\n", t[i].name);
			pass++;
		} else {
			printf("FAIL %s\n", t[i].name);
			fail++;
		}
		fflush(stdout);
	}
	printf("%zu passed, %zu failed\n", pass, fail);
	return fail ? 1 : 0;
}

static const char *root(void)
{
	const char *r = getenv("PHR_SOURCE_ROOT");
	return r ? r : ".";
}

uint8_t *t_read(const char *relpath, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root(), relpath);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "  cannot open %s\n", path);
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap + 1);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t t_list(const char *reldir, const char *suffix, char **names, size_t max)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root(), reldir);
	DIR *d = opendir(path);
	size_t n = 0, sl = strlen(suffix);
	struct dirent *e;
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		size_t l = strlen(e->d_name);
		if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0) {
			size_t need = strlen(reldir) + l + 2;
			names[n] = malloc(need);
			snprintf(names[n], need, "%s/%s", reldir, e->d_name);
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmpstr);
	return n;
}

size_t t_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = hex; p[0] && p[1] && n < cap; p += 2) {
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

long t_peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

int t_check_peak_rss(long limit_kb)
{
	long kb = t_peak_rss_kb();
#ifdef UNDER_SANITIZER
	printf("  peak resident memory %ld KiB: not checked under a sanitizer (shadow memory)\n", kb);
	return 0;
#endif
	printf("  peak resident memory of this process: %ld KiB (limit %ld KiB)\n", kb, limit_kb);
	CHECK(kb > 0 && kb < limit_kb);
	return 0;
}

static const uint8_t bomb_zeros[64 * 1024];

size_t t_deflate_bomb(uint64_t total, const uint8_t *dict, size_t dictlen, uint8_t *out, size_t cap)
{
	z_stream z;
	size_t n = 0;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	if (dict && deflateSetDictionary(&z, dict, (uInt)dictlen) != Z_OK)
		goto out;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	for (uint64_t done = 0; done < total; done += sizeof(bomb_zeros)) {
		z.next_in = (Bytef *)bomb_zeros;
		z.avail_in = sizeof(bomb_zeros);
		while (z.avail_in)
			if (deflate(&z, Z_NO_FLUSH) != Z_OK || z.avail_out == 0)
				goto out;
	}
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = cap - z.avail_out;
out:
	deflateEnd(&z);
	return n;
}

size_t t_zstd_bomb(uint64_t total, int window_log, const uint8_t *dict, size_t dictlen, uint8_t *out, size_t cap)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t n = 0, left;
	if (!cc)
		return 0;
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, window_log);
	if (dict && ZSTD_isError(ZSTD_CCtx_loadDictionary(cc, dict, dictlen)))
		goto out;
	ZSTD_outBuffer ob = { out, cap, 0 };
	for (uint64_t done = 0; done < total; done += sizeof(bomb_zeros)) {
		ZSTD_inBuffer ib = { bomb_zeros, sizeof(bomb_zeros), 0 };
		while (ib.pos < ib.size)
			if (ZSTD_isError(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue)) || ob.pos == ob.size)
				goto out;
	}
	ZSTD_inBuffer end = { bomb_zeros, 0, 0 };
	while ((left = ZSTD_compressStream2(cc, &ob, &end, ZSTD_e_end)) != 0)
		if (ZSTD_isError(left) || ob.pos == ob.size)
			goto out;
	n = ob.pos;
out:
	ZSTD_freeCCtx(cc);
	return n;
}
