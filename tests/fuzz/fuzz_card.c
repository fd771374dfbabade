/* Card responses: phr_card_parse_resp() + phr_card_sw_check(),
 * phr_card_parse_fcp(), phr_card_status_parse(), phr_card_slot_parse() and
 * phr_card_unwrap_53(), all on the same bytes.
 *
 * Invariants:
 *  - a failure is a card or buffer error code with a message, and leaves the
 *    output cleared;
 *  - only 9000 passes phr_card_sw_check; 63Cx gives PHR_E_CARD_PIN;
 *  - an accepted status EF has a consistent winner (active 0..2, length 0
 *    exactly when no slot is active, within PHR_MAX_CONTAINER) whose copy
 *    encodes again to the very bytes it came from, and no valid copy has a
 *    higher generation;
 *  - an accepted slot points inside the input, within PHR_MAX_CONTAINER, and
 *    encodes again to the input's first header + length + CRC bytes;
 *  - an accepted FCP reports sizes that fit in 32 bits;
 *  - DO 53 unwrapped points inside the input, at its last bytes.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/card.h"

static void check_fail(int rc)
{
	FUZZ_CHECK_ERR(rc);
	FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_card_resp r;
	int rc;

	phr_clear_error();
	rc = phr_card_parse_resp(data, size, &r);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_TRANSPORT && size < 2 && r.data == NULL, "short response");
	} else {
		FUZZ_CHECK(r.data == data && r.len == size - 2, "response data");
		rc = phr_card_sw_check(r.sw, "fuzz");
		FUZZ_CHECK((rc == PHR_OK) == (r.sw == 0x9000), "only 9000 is success");
		if (rc != PHR_OK) {
			check_fail(rc);
			FUZZ_CHECK(rc <= PHR_E_CARD && rc >= PHR_E_CARD_EMPTY, "status word maps outside the card range");
			FUZZ_CHECK((rc == PHR_E_CARD_PIN) == (phr_card_sw_tries(r.sw) >= 0), "63Cx and PHR_E_CARD_PIN");
		}
	}

	struct phr_card_fcp f;
	rc = phr_card_parse_fcp(data, size, &f);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE, "FCP: error code");
		FUZZ_CHECK(!f.has_size && !f.has_fid && !f.has_desc, "FCP: output not cleared");
	} else {
		FUZZ_CHECK(size >= 2 && data[0] == 0x62, "FCP accepted without tag 62");
		FUZZ_CHECK(f.size <= 0xFFFFFFFFu && (f.has_size || f.size == 0), "FCP size");
	}

	struct phr_card_status s;
	rc = phr_card_status_parse(data, size, &s);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE, "status EF: error code");
	} else {
		uint8_t again[PHR_CARD_STATUS_COPY];
		FUZZ_CHECK(size == PHR_CARD_STATUS_SIZE, "status EF size");
		FUZZ_CHECK(s.active >= 0 && s.active <= 2 && (s.active == 0) == (s.length == 0) &&
				   s.length <= PHR_MAX_CONTAINER && (s.copy == 0 || s.copy == 1),
			   "status EF: inconsistent state accepted");
		FUZZ_CHECK(phr_card_status_encode(&s, again) == PHR_OK &&
				   memcmp(again, data + (size_t)s.copy * PHR_CARD_STATUS_COPY, sizeof(again)) == 0,
			   "status EF: winner does not encode to its bytes");
		struct phr_card_status o;
		const uint8_t *other = data + (size_t)(1 - s.copy) * PHR_CARD_STATUS_COPY;
		uint8_t two[PHR_CARD_STATUS_SIZE];
		memcpy(two, other, PHR_CARD_STATUS_COPY);
		memcpy(two + PHR_CARD_STATUS_COPY, other, PHR_CARD_STATUS_COPY);
		if (phr_card_status_parse(two, sizeof(two), &o) == PHR_OK)
			FUZZ_CHECK(o.generation <= s.generation, "status EF: the older copy won");
	}

	const uint8_t *c = NULL;
	size_t len = 0;
	rc = phr_card_slot_parse(data, size, 0, &c, &len);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE || rc == PHR_E_CARD_TORN, "slot: error code");
		FUZZ_CHECK(c == NULL && len == 0, "slot: output not cleared");
	} else {
		size_t n = 0, total = PHR_CARD_SLOT_HEADER + len + PHR_CARD_SLOT_TRAILER;
		FUZZ_CHECK(len >= 1 && len <= PHR_MAX_CONTAINER && c == data + PHR_CARD_SLOT_HEADER && total <= size,
			   "slot: container outside the input");
		uint8_t *again = malloc(total);
		FUZZ_CHECK(again != NULL, "out of memory");
		FUZZ_CHECK(phr_card_slot_encode(c, len, again, total, &n) == PHR_OK && n == total &&
				   memcmp(again, data, total) == 0,
			   "slot: does not encode to its bytes");
		free(again);
	}

	if (size >= 2) {
		const uint8_t *d = NULL;
		size_t expect = data[1] < 0x80 ? data[1] : size > 4 ? size - 4 : 0;
		rc = phr_card_unwrap_53(data, size, expect, &d);
		if (rc != PHR_OK) {
			check_fail(rc);
			FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE && d == NULL, "DO 53: error");
		} else {
			FUZZ_CHECK(data[0] == 0x53 && d && d >= data && d + expect == data + size, "DO 53: data");
		}
	}
	return 0;
}
