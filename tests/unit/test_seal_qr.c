/* The holder key as a QR code (phr/seal_qr.h): the FORMAT.md vector, what
 * a reader takes and refuses, and a code drawn by print/ read back by the
 * scanner (ZBar) as exactly that payload. */
#include <stdlib.h>
#include <string.h>

#include "phr/chunk.h"
#include "phr/qrimage.h"
#include "phr/scan.h"
#include "phr/seal_qr.h"
#include "testlib.h"

static const uint8_t key_a[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static int parses(const char *s, const uint8_t want[16])
{
	uint8_t k[16];
	return phr_holder_key_qr_parse((const uint8_t *)s, strlen(s), k) == PHR_OK && !memcmp(k, want, 16);
}

static int test_vector(void)
{
	char p[PHR_HOLDER_KEY_QR_LEN];
	phr_holder_key_qr_payload(key_a, p);
	/* docs/FORMAT.md, "The holder key as a QR code" */
	CHECK(!strcmp(p, "PHRK:AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4Y"));
	CHECK(parses(p, key_a));
	CHECK(parses("phrk:aaaq eaye auda ocaj bifq ydio b4y", key_a));
	CHECK(parses("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4Y", key_a)); /* the typed form alone */
	CHECK(parses("AAAQEAYEAUDAOCAJBIFQYDIOB4Y", key_a));
	return 0;
}

static int test_refused(void)
{
	uint8_t k[16];
	const char *not_key[] = { "PH1:ABC", "https://example.org/", "HC1:6BFOXN", "AAAQ-EAYE", "" };
	for (size_t i = 0; i < sizeof(not_key) / sizeof(not_key[0]); i++) {
		CHECK(!phr_holder_key_qr_is_key((const uint8_t *)not_key[i], strlen(not_key[i])));
		CHECK_RC(phr_holder_key_qr_parse((const uint8_t *)not_key[i], strlen(not_key[i]), k), PHR_E_NOT_OURS);
	}
	/* a key code with its check character wrong, or something else after the prefix */
	CHECK_RC(phr_holder_key_qr_parse((const uint8_t *)"PHRK:AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4A", 38, k), PHR_E_SEAL_KEY);
	CHECK_RC(phr_holder_key_qr_parse((const uint8_t *)"PHRK:hello", 10, k), PHR_E_SEAL_KEY);
	CHECK_RC(phr_holder_key_qr_parse((const uint8_t *)"PHRK:AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4Y\n", 39, k),
		 PHR_E_SEAL_KEY);
	char big[PHR_MAX_HOLDER_KEY_QR + 2];
	memset(big, 'A', sizeof(big));
	memcpy(big, "PHRK:", 5);
	CHECK_RC(phr_holder_key_qr_parse((const uint8_t *)big, sizeof(big), k), PHR_E_LIMIT);
	return 0;
}

/* The payload as print/ encodes it (alphanumeric, level Q), drawn and read
 * back by the scanner: the very bytes, at version 3. */
static int test_drawn_and_read(void)
{
	char p[PHR_HOLDER_KEY_QR_LEN];
	struct phr_qr *q;
	uint8_t *png;
	size_t len;
	struct phr_image img = { 0 };
	phr_holder_key_qr_payload(key_a, p);
	CHECK_RC(phr_qr_make((const uint8_t *)p, strlen(p), PHR_CHUNK_BASE45, PHR_ECC_Q, 40, &q), PHR_OK);
	CHECK(q->version == 3);
	CHECK_RC(phr_qr_png(q, 6, 4, &png, &len), PHR_OK);
	phr_qr_free(q);
	struct phr_scan_result *res = calloc(1, sizeof(*res));
	CHECK(res);
	int ok = phr_image_load(png, len, &img) == PHR_OK && phr_scan_image(&img, res) == PHR_OK && res->n == 1 &&
		 res->codes[0].len == strlen(p) && !memcmp(res->codes[0].data, p, strlen(p));
	phr_scan_result_free(res);
	free(res);
	phr_image_free(&img);
	free(png);
	CHECK(ok);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "payload: the FORMAT.md vector, read back loosely", test_vector },
		{ "not a key code, a wrong check character, over the limit", test_refused },
		{ "drawn at level Q, version 3, read back by the scanner", test_drawn_and_read },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
