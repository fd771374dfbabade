/* Entry content, JSON text -> CBOR: phr_entry_parse_text().
 *
 * Invariants:
 *  - on failure the output is NULL with length 0, and the error is a
 *    malformed or limit code with a message;
 *  - what parses gives deterministic CBOR of at most PHR_MAX_ENTRY_CBOR bytes
 *    that phr_entry_decode_json() accepts, and the decoded JSON encodes to
 *    the same bytes again (the conversion is a fixed point after one step).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/json.h"
#include "phr/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *cbor = (uint8_t *)&cbor, *again = NULL;
	size_t len = 1, again_len = 0;
	json_t *j = NULL;
	int rc = phr_entry_parse_text((const char *)data, size, &cbor, &len);

	if (rc != PHR_OK) {
		FUZZ_CHECK(cbor == NULL && len == 0, "output not wiped after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "parse: error outside malformed/limit");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(cbor != NULL && len > 0 && len <= PHR_MAX_ENTRY_CBOR, "output size");
	FUZZ_CHECK(phr_cbor_validate(cbor, len) == PHR_OK, "output is not deterministic CBOR");
	rc = phr_entry_decode_json(cbor, len, &j);
	FUZZ_CHECK(rc == PHR_OK && j != NULL, "what parse_text produced does not decode");
	rc = phr_entry_encode_json(j, &again, &again_len);
	FUZZ_CHECK(rc == PHR_OK, "decoded entry does not encode");
	FUZZ_CHECK(again_len == len && memcmp(again, cbor, len) == 0, "JSON -> CBOR -> JSON -> CBOR changed the bytes");
	free(again);
	json_decref(j);
	free(cbor);
	return 0;
}
