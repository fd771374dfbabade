/* Documents: phr_document_sniff(), and the entry phr attach signs
 * (phr_document_ref_make -> phr_document_entry -> JSON -> CBOR -> JSON).
 *
 * Input: byte 0 picks the document type (mod 7; 6 is not a type), byte 1 is
 * the title's length L, the next L bytes the title, the rest the document.
 * The whole input is also sniffed as a document.
 *
 * Invariants:
 *  - sniff accepts with one of the three media types, or refuses with
 *    PHR_E_MEDIA, a message and no type; it gives the same answer twice;
 *    what it accepts, phr_document_check accepts with that type and refuses
 *    with the two others; a PNG or JPEG it accepts is refused one byte
 *    shorter (both end with a marker);
 *  - a reference is made exactly when the type is known, the title is 1..200
 *    bytes of allowed text and the document sniffs; its size and hash are
 *    the document's;
 *  - its entry decodes, encodes again to the same bytes (also through the
 *    printed JSON), and phr_document_refs gives the reference back.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "phr/document.h"
#include "phr/json.h"
#include "phr/schema.h"

static const char *sniff_checked(const uint8_t *b, size_t n)
{
	const char *mt = "x", *again = "y";
	int rc = phr_document_sniff(b, n, &mt);
	FUZZ_CHECK(phr_document_sniff(b, n, &again) == rc && mt == again, "sniff is not deterministic");
	if (rc != PHR_OK) {
		FUZZ_CHECK(rc == PHR_E_MEDIA, "sniff: an error other than PHR_E_MEDIA");
		FUZZ_CHECK(mt == NULL, "sniff: a media type left after a refusal");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "sniff: a refusal without a message");
		return NULL;
	}
	FUZZ_CHECK(n >= 1 && n <= PHR_MAX_DOCUMENT, "sniff accepted a size out of range");
	int known = 0;
	for (size_t i = 0; phr_document_media_type(i); i++) {
		const char *t = phr_document_media_type(i);
		int same = t == mt;
		known |= same;
		FUZZ_CHECK((phr_document_check(b, n, t) == PHR_OK) == same, "check disagrees with sniff");
	}
	FUZZ_CHECK(known, "sniff returned a type not in the list");
	if (strcmp(mt, "application/pdf") != 0) {
		const char *shorter;
		FUZZ_CHECK(phr_document_sniff(b, n - 1, &shorter) == PHR_E_MEDIA, "a cut PNG or JPEG accepted");
	}
	return mt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sodium_init() < 0)
		return 0;
	sniff_checked(data, size);
	if (size < 2)
		return 0;

	const char *type = phr_document_type(data[0] % 7u);
	size_t tl = data[1];
	if (tl > size - 2)
		tl = size - 2;
	char title[256];
	memcpy(title, data + 2, tl);
	title[tl] = '\0';
	const uint8_t *doc = data + 2 + tl;
	size_t dn = size - 2 - tl;
	const char *mt = sniff_checked(doc, dn);

	struct phr_document_ref ref;
	int rc = phr_document_ref_make(doc, dn, NULL, type, title, &ref);
	size_t cl = strlen(title); /* a NUL in the input ends the title */
	int title_ok = cl >= 1 && cl <= PHR_MAX_DOCUMENT_TITLE && phr_text_check(title, cl, "title") == PHR_OK;
	FUZZ_CHECK((rc == PHR_OK) == (type != NULL && title_ok && mt != NULL), "ref_make decided otherwise");
	if (rc != PHR_OK) {
		FUZZ_CHECK(rc == PHR_E_MEDIA || rc == PHR_E_SCHEMA, "ref_make: unexpected error");
		return 0;
	}
	uint8_t h[PHR_DOCUMENT_HASH_LEN];
	crypto_generichash(h, sizeof(h), doc, dn, NULL, 0);
	FUZZ_CHECK(ref.size == dn && ref.media_type == mt && !memcmp(ref.hash, h, sizeof(h)) && !strcmp(ref.title, title),
		   "reference does not describe the document");

	uint8_t *cbor = NULL, *again = NULL;
	size_t len, again_len;
	json_t *j = NULL;
	FUZZ_CHECK(phr_document_entry("2025-06-15", &ref, 1, &cbor, &len) == PHR_OK, "a valid reference does not encode");
	FUZZ_CHECK(phr_entry_decode_json(cbor, len, &j) == PHR_OK, "the attach entry does not decode");
	FUZZ_CHECK(phr_entry_encode_json(j, &again, &again_len) == PHR_OK && again_len == len &&
			   !memcmp(again, cbor, len),
		   "the attach entry re-encodes to other bytes");
	free(again);
	char *text = phr_json_dump(j);
	FUZZ_CHECK(text && phr_entry_parse_text(text, strlen(text), &again, &again_len) == PHR_OK && again_len == len &&
			   !memcmp(again, cbor, len),
		   "the attach entry's printed JSON parses to other bytes");
	free(again);
	free(text);
	json_decref(j);

	struct phr_document_ref back;
	size_t n;
	FUZZ_CHECK(phr_document_refs(cbor, len, &back, 1, &n) == PHR_OK && n == 1, "the reference is not read back");
	FUZZ_CHECK(!strcmp(back.type, ref.type) && !strcmp(back.title, ref.title) && back.media_type == ref.media_type &&
			   back.size == ref.size && !memcmp(back.hash, ref.hash, sizeof(h)),
		   "the reference read back differs");
	free(cbor);
	return 0;
}
