/* seal-levers: what each change from envelope v2 to v3 saves, in bytes of
 * the sealed envelope, for the default sealing of each example
 * (docs/PERFORMANCE.md, "Sealed sections", envelope v3). Ciphertext does
 * not compress, so a byte saved here is a byte saved in the compressed
 * container too (tools/seal-size.sh measures that, with its noise).
 *   build/tests/bench/phr-seal-levers        (from the source root)
 * Columns, each with the changes before it:
 *   v2        the envelope v2 phr wrote (packed: 01, length, deflate-dict)
 *   flag      the packing in the head byte instead of the 3-byte packed head
 *   kid2      a 2-byte key id instead of 4
 *   salt4     a 4-byte salt instead of 8
 *   +clear    DEFLATE with dictionary v1 || the entry's clear content
 *   +zstd     the shorter of that and zstd (dictionary v1 || clear, frame
 *             and block headers left out)
 *   nokid     no key id at all (which key opens it is found by opening)
 *   v3        and the positions left out when every result is sealed, or
 *             a bitmask when some are clear: the envelope phr_seal_v3()
 *             writes */
#define ZSTD_STATIC_LINKING_ONLY
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "compress_int.h"
#include "phr/compress.h"
#include "phr/json.h"
#include "phr/seal.h"

static size_t bstr(size_t n)
{
	return (n < 24 ? 1 : n < 256 ? 2 : 3) + n;
}

static size_t deflate_len(const uint8_t *dict, size_t dl, const uint8_t *in, size_t n)
{
	z_stream z;
	static uint8_t buf[1 << 16];
	if (dl > 32768) {
		dict += dl - 32768;
		dl = 32768;
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK ||
	    deflateSetDictionary(&z, dict, (uInt)dl) != Z_OK)
		exit(1);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = sizeof(buf);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		exit(1);
	size_t r = sizeof(buf) - z.avail_out;
	deflateEnd(&z);
	return r;
}

static size_t zstd_len(const uint8_t *dict, size_t dl, const uint8_t *in, size_t n)
{
	static uint8_t buf[1 << 16];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, PHR_SEAL_ZSTD_WINDOWLOG);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0);
	ZSTD_CCtx_loadDictionary(cc, dict, dl);
	size_t r = ZSTD_compress2(cc, buf, sizeof(buf), in, n);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(r) || r < 6)
		exit(1);
	return r - 5; /* frame header 2, block header 3 */
}

int main(void)
{
	static const char *const ex[] = { "adult-tb-positive-referral", "child-no-vaccination-documents",
					  "older-man-chronic", "pregnant-hepatitis-b" };
	static const uint8_t key[16] = { 1 }, rid[16] = { 2 };
	size_t d1l;
	const uint8_t *d1 = phr_dict_v1_bytes(&d1l);
	if (!d1l) {
		fprintf(stderr, "phr-seal-levers: this build has no dictionary v1\n");
		return 1;
	}
	printf("%-32s %5s %5s %5s %6s %7s %6s %6s %5s   (envelope bytes)\n", "example", "v2", "flag", "kid2", "salt4",
	       "+clear", "+zstd", "nokid", "v3");
	for (size_t x = 0; x < sizeof(ex) / sizeof(ex[0]); x++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/examples/%s.json", PHR_SOURCE_ROOT, ex[x]);
		json_t *j = json_load_file(path, 0, NULL);
		uint8_t *c, *clear, *plain, *env2, *env3, *z;
		size_t cl, clear_len, plain_len, env2_len, env3_len, zl;
		unsigned n;
		if (!j || phr_entry_encode_json(j, &c, &cl) ||
		    phr_seal_split(c, cl, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n) || !plain ||
		    phr_seal_packed(key, rid, 0, plain, plain_len, n, NULL, &env2, &env2_len) ||
		    phr_seal_v3(key, rid, 0, clear, clear_len, plain, plain_len, n, PHR_SEAL_PACK_BEST, NULL, &env3, &env3_len) ||
		    phr_compress(PHR_COMP_DEFLATE_DICT1, plain, plain_len, &z, &zl)) {
			fprintf(stderr, "phr-seal-levers: %s: %s\n", ex[x], phr_last_error());
			return 1;
		}
		uint8_t *dict = malloc(d1l + clear_len);
		memcpy(dict, d1, d1l);
		memcpy(dict + d1l, clear, clear_len);
		size_t packed = zl < plain_len ? zl : plain_len; /* v2 packs only when shorter */
		size_t flag = bstr(1 + 4 + 8 + packed + 16), kid2 = flag - 2, salt4 = kid2 - 4;
		size_t dc = deflate_len(dict, d1l + clear_len, plain, plain_len);
		size_t zs = zstd_len(dict, d1l + clear_len, plain, plain_len);
		size_t best = dc < zs ? dc : zs;
		best = best < plain_len ? best : plain_len;
		printf("%-32s %5zu %5zu %5zu %6zu %7zu %6zu %6zu %5zu\n", ex[x], env2_len, flag, kid2, salt4,
		       bstr(7 + dc + 16), bstr(7 + best + 16), bstr(5 + best + 16), env3_len);
		free(dict);
		free(c);
		free(clear);
		free(plain);
		free(env2);
		free(env3);
		free(z);
		json_decref(j);
	}
	return 0;
}
