/* Entry content, CBOR -> JSON: phr_entry_decode_json().
 *
 * Invariants:
 *  - decode and phr_entry_validate agree; on failure the output is NULL and
 *    the error is a malformed or limit code with a message;
 *  - what decodes is deterministic CBOR of at most PHR_MAX_ENTRY_CBOR bytes,
 *    and encoding the JSON again gives the input bytes exactly (one encoding
 *    per value), also through the printed JSON text (phr_json_dump ->
 *    phr_entry_parse_text).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/json.h"
#include "phr/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = (json_t *)&j; /* must be overwritten */
	uint8_t *again = NULL;
	size_t again_len = 1;
	int rc = phr_entry_decode_json(data, size, &j);

	FUZZ_CHECK(phr_entry_validate(data, size) == rc, "validate and decode disagree");
	if (rc != PHR_OK) {
		FUZZ_CHECK(j == NULL, "output not NULL after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "decode: error outside malformed/limit");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(json_is_object(j), "an entry decodes to a JSON object");
	FUZZ_CHECK(size <= PHR_MAX_ENTRY_CBOR, "entry larger than PHR_MAX_ENTRY_CBOR accepted");
	FUZZ_CHECK(phr_cbor_validate(data, size) == PHR_OK, "entry is not deterministic CBOR");

	rc = phr_entry_encode_json(j, &again, &again_len);
	FUZZ_CHECK(rc == PHR_OK, "decoded entry does not encode");
	FUZZ_CHECK(again_len == size && memcmp(again, data, size) == 0,
		   "re-encoding differs: two encodings of one value accepted");
	free(again);

	char *text = phr_json_dump(j);
	FUZZ_CHECK(text != NULL, "phr_json_dump failed");
	rc = phr_entry_parse_text(text, strlen(text), &again, &again_len);
	FUZZ_CHECK(rc == PHR_OK, "printed JSON of a valid entry does not parse back");
	FUZZ_CHECK(again_len == size && memcmp(again, data, size) == 0, "printed JSON parses to other CBOR");
	free(again);
	free(text);
	json_decref(j);
	return 0;
}
