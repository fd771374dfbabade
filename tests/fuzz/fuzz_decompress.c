/* Body decompression: phr_decompress() for every method.
 *
 * Input: data[0] = method (0..PHR_COMP_MAX; 0xff stands for -1, anything else
 * is an unknown id), data[1..3] = declared size (24 bits, big-endian, as in
 * the container header), the rest = compressed data.
 *
 * Invariants:
 *  - a declared size above PHR_MAX_BODY fails with PHR_E_LIMIT before any
 *    allocation; an unknown method fails with PHR_E_VERSION;
 *  - on failure the output is NULL and the error a malformed, limit or
 *    no-memory code with a message;
 *  - on success the output is exactly the declared size (method none: the
 *    input itself), and compressing it again and decompressing gives it back;
 *  - memory (counted under AddressSanitizer only): no single allocation is
 *    larger than the output buffer (PHR_MAX_BODY + 1: the extra byte detects
 *    a stream that goes on), and the peak of live allocations stays under
 *    MAX_PEAK (record/compress.c promises "< 1 MiB"). Only the decompression
 *    call is counted: recompressing (zstd level 19) legitimately takes more,
 *    so do not run this target with libFuzzer's -malloc_limit_mb=1.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/compress.h"

#define MAX_SINGLE ((size_t)PHR_MAX_BODY + 1)
#define MAX_PEAK ((size_t)1024 * 1024)
#define ROUNDTRIP_MAX 16384 /* recompressing (zstd level 19) larger outputs is too slow */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = (uint8_t *)&out;
	size_t largest, peak;
	int rc, counted;

	if (size < 4)
		return 0;
	int method = data[0] == 0xff ? -1 : data[0];
	size_t declared = ((size_t)data[1] << 16) | ((size_t)data[2] << 8) | data[3];
	const uint8_t *in = data + 4;
	size_t inlen = size - 4;

	fuzz_alloc_begin();
	rc = phr_decompress(method, in, inlen, declared, &out);
	counted = fuzz_alloc_end(&largest, &peak);

	if (counted) {
		FUZZ_CHECK(largest <= MAX_SINGLE, "an allocation larger than PHR_MAX_BODY + 1");
		FUZZ_CHECK(peak <= MAX_PEAK, "peak memory above 1 MiB");
	}
	if (declared > PHR_MAX_BODY) {
		FUZZ_CHECK(rc == PHR_E_LIMIT, "declared size above PHR_MAX_BODY not refused with PHR_E_LIMIT");
		FUZZ_CHECK(!counted || largest == 0, "allocated before refusing the declared size");
	} else if (method < 0 || method > PHR_COMP_MAX) {
		FUZZ_CHECK(rc == PHR_E_VERSION, "unknown method not refused with PHR_E_VERSION");
	}
	if (rc != PHR_OK) {
		FUZZ_CHECK(out == NULL, "output not NULL after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT || rc == PHR_E_NOMEM, "error code");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(out != NULL && method >= 0 && method <= PHR_COMP_MAX && declared <= PHR_MAX_BODY,
		   "success outside the documented range");
	if (method == PHR_COMP_NONE)
		FUZZ_CHECK(inlen == declared && memcmp(out, in, declared) == 0, "method none changed the bytes");
	if (declared <= ROUNDTRIP_MAX) {
		uint8_t *comp = NULL, *back = NULL;
		size_t comp_len = 0;
		FUZZ_CHECK(phr_compress(method, out, declared, &comp, &comp_len) == PHR_OK, "compress");
		FUZZ_CHECK(phr_decompress(method, comp, comp_len, declared, &back) == PHR_OK, "decompress own output");
		FUZZ_CHECK(memcmp(back, out, declared) == 0, "compress/decompress round trip changed the bytes");
		free(comp);
		free(back);
	}
	free(out);
	return 0;
}
