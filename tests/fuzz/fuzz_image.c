/* Picture files: phr_image_load() (PNG through libpng, JPEG through
 * libjpeg-turbo). ZBar is not fuzzed here: it reads pixels, not files.
 *
 * Invariants:
 *  - on failure the output is cleared (no pixels, 0 x 0) and the error is
 *    PHR_E_IMAGE, PHR_E_LIMIT or PHR_E_NOMEM, with a message;
 *  - PHR_E_LIMIT for the size comes before the pixels are allocated:
 *    under AddressSanitizer, no allocation of 1 MiB or more was made (the
 *    other PHR_E_LIMIT, libjpeg's working memory, comes while decoding);
 *  - on success the picture has 1..PHR_MAX_IMAGE_PIXELS pixels, every one
 *    of them readable, the file was at most PHR_MAX_IMAGE_FILE bytes, and
 *    decoding again gives the same pixels (nothing depends on memory that
 *    was not written).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/scan.h"

#define LIMIT_MAX_ALLOC ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_image img = { 5, 5, (uint8_t *)&img }, again;
	size_t largest, peak;

	fuzz_alloc_begin();
	int rc = phr_image_load(data, size, &img);
	int counted = fuzz_alloc_end(&largest, &peak);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(rc == PHR_E_IMAGE || rc == PHR_E_LIMIT || rc == PHR_E_NOMEM, "error code");
		FUZZ_CHECK(img.grey == NULL && img.width == 0 && img.height == 0, "output not cleared after a failure");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		/* the one limit met while decoding is libjpeg's working memory */
		if (rc == PHR_E_LIMIT && counted && !strstr(phr_last_error(), "needs more than"))
			FUZZ_CHECK(largest < LIMIT_MAX_ALLOC, "allocated pixels before refusing the size");
		return 0;
	}
	FUZZ_CHECK(size <= PHR_MAX_IMAGE_FILE, "file larger than PHR_MAX_IMAGE_FILE accepted");
	FUZZ_CHECK(img.width > 0 && img.height > 0 && img.grey != NULL, "empty picture");
	size_t n = (size_t)img.width * (size_t)img.height;
	FUZZ_CHECK(n <= PHR_MAX_IMAGE_PIXELS, "picture over PHR_MAX_IMAGE_PIXELS");
	/* read every pixel: AddressSanitizer checks the buffer is that large */
	size_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += img.grey[i];
	FUZZ_CHECK(sum <= 255 * n, "pixel sum");
	FUZZ_CHECK(phr_image_load(data, size, &again) == PHR_OK, "second decode failed");
	FUZZ_CHECK(again.width == img.width && again.height == img.height && memcmp(again.grey, img.grey, n) == 0,
		   "second decode gave other pixels");
	phr_image_free(&again);
	phr_image_free(&img);
	FUZZ_CHECK(img.grey == NULL, "phr_image_free left the pointer");
	return 0;
}
