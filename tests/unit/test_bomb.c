/* Decompression bombs: containers whose few kilobytes expand to a gigabyte.
 * Each must be refused, and the whole process must stay under 16 MiB of
 * peak memory (VmHWM, see t_peak_rss_kb). The bombs are built by streaming
 * with small buffers so that building them costs little memory too. */
#include <stdlib.h>
#include <string.h>

#include "phr/compress.h"
#include "phr/container.h"
#include "testlib.h"

#define PEAK_LIMIT_KB (16 * 1024)
#define OUT_CAP (PHR_MAX_CONTAINER - PHR_CONTAINER_HEADER)

static uint8_t out[PHR_MAX_CONTAINER];

static size_t zstd_bomb(uint64_t total)
{
	return t_zstd_bomb(total, 17, NULL, 0, out + PHR_CONTAINER_HEADER, OUT_CAP);
}

static size_t deflate_bomb(uint64_t total)
{
	return t_deflate_bomb(total, NULL, 0, out + PHR_CONTAINER_HEADER, OUT_CAP);
}

static int try_bomb(int method, size_t clen)
{
	struct phr_record *r;
	size_t declared = PHR_MAX_BODY;
	out[0] = PHR_CONTAINER_VERSION;
	out[1] = (uint8_t)method;
	out[2] = (uint8_t)(declared >> 16);
	out[3] = (uint8_t)(declared >> 8);
	out[4] = (uint8_t)declared;
	int rc = phr_record_decode(out, clen + PHR_CONTAINER_HEADER, &r);
	printf("  %s bomb of %zu bytes: %s\n", phr_compression_name(method), clen + PHR_CONTAINER_HEADER,
	       phr_last_error());
	CHECK(rc != PHR_OK);
	CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT);
	CHECK(rc != PHR_E_VERSION); /* refused for what it is, not for lack of a decoder */
	return 0;
}

static int test_zstd_bomb(void)
{
	size_t n = zstd_bomb(1024ull * 1024 * 1024);
	CHECK(n > 0);
	return try_bomb(PHR_COMP_ZSTD_DICT1, n);
}

static int test_deflate_bomb(void)
{
	size_t n = deflate_bomb(60ull * 1024 * 1024);
	CHECK(n > 0);
	CHECK(!try_bomb(PHR_COMP_DEFLATE, n));
	return try_bomb(PHR_COMP_DEFLATE_DICT1, n);
}

static int test_peak_memory(void)
{
	return t_check_peak_rss(PEAK_LIMIT_KB);
}

int main(void)
{
	static const struct test tests[] = {
		{ "zstd bomb (1 GiB of zeros) is refused", test_zstd_bomb },
		{ "DEFLATE bomb (60 MiB of zeros) is refused", test_deflate_bomb },
		{ "peak memory stays under 16 MiB", test_peak_memory },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
