/* The holder key as a QR code (phr/seal_qr.h): the payload a scan of a key
 * slip hands to --holder-key-qr.
 * Invariants:
 *  - parse fails with PHR_E_NOT_OURS exactly when phr_holder_key_qr_is_key
 *    says no (within PHR_MAX_HOLDER_KEY_QR), else PHR_E_LIMIT over it, else
 *    it succeeds or fails with PHR_E_SEAL_KEY; a failure says why and
 *    leaves the key untouched;
 *  - a key that parses gives a payload of PHR_HOLDER_KEY_QR_LEN - 1
 *    characters, all in the QR alphanumeric set, that is a key code and
 *    parses back to the same key; so does the typed form alone.
 */
#include "fuzz.h"

#include <string.h>

#include "phr/seal_qr.h"

static int alphanumeric(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || strchr(" $%*+-./:", *s)))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[PHR_HOLDER_KEY_LEN], back[PHR_HOLDER_KEY_LEN];
	char payload[PHR_HOLDER_KEY_QR_LEN];
	memset(key, 0xa5, sizeof(key));
	phr_clear_error();
	bool is_key = phr_holder_key_qr_is_key(data, size);
	int rc = phr_holder_key_qr_parse(data, size, key);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		for (size_t i = 0; i < sizeof(key); i++)
			FUZZ_CHECK(key[i] == 0xa5, "key written after a failure");
		if (size > PHR_MAX_HOLDER_KEY_QR)
			FUZZ_CHECK(rc == PHR_E_LIMIT, "over the limit: not PHR_E_LIMIT");
		else if (!is_key)
			FUZZ_CHECK(rc == PHR_E_NOT_OURS, "not a key code: not PHR_E_NOT_OURS");
		else
			FUZZ_CHECK(rc == PHR_E_SEAL_KEY, "a key code that does not parse: not PHR_E_SEAL_KEY");
		return 0;
	}
	FUZZ_CHECK(is_key, "parsed, but not a key code");
	phr_holder_key_qr_payload(key, payload);
	FUZZ_CHECK(strlen(payload) == PHR_HOLDER_KEY_QR_LEN - 1, "payload length");
	FUZZ_CHECK(alphanumeric(payload), "payload outside the QR alphanumeric set");
	FUZZ_CHECK(phr_holder_key_qr_is_key((const uint8_t *)payload, strlen(payload)), "payload is not a key code");
	FUZZ_CHECK(phr_holder_key_qr_parse((const uint8_t *)payload, strlen(payload), back) == PHR_OK &&
			   !memcmp(key, back, sizeof(key)),
		   "payload does not parse back");
	const char *typed = payload + PHR_HOLDER_KEY_QR_PREFIX_LEN;
	FUZZ_CHECK(phr_holder_key_qr_parse((const uint8_t *)typed, strlen(typed), back) == PHR_OK &&
			   !memcmp(key, back, sizeof(key)),
		   "typed form alone does not parse back");
	return 0;
}
