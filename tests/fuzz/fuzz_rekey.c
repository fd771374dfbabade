/* Re-keying plaintexts (phr/seal.h, docs/FORMAT.md "Re-keying"): the
 * plaintext of a re-keying entry, {31: {index: plaintext}}, as
 * phr_record_unseal and phr_seal_rekey_plaintext read it after opening.
 *
 * Input: byte 0 is the re-keying entry's index (mod PHR_MAX_ENTRIES + 1);
 * the rest is the plaintext.
 * Invariants:
 *  - the result is 1, 0 or an error with a message, and the same twice;
 *  - on 1: every entry carried is below the index, points inside the input
 *    and is 1..PHR_MAX_SEALED bytes; re-encoding the map gives the input
 *    back (it is deterministic CBOR); each carried plaintext merges into a
 *    fixed clear content or fails with a message;
 *  - on 0 or an error: nothing is carried.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/container.h"
#include "phr/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t *ptr[PHR_MAX_ENTRIES], *ptr2[PHR_MAX_ENTRIES];
	static size_t lens[PHR_MAX_ENTRIES], lens2[PHR_MAX_ENTRIES];
	if (size < 1)
		return 0;
	size_t at = data[0] % (PHR_MAX_ENTRIES + 1);
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	int rc = phr_seal_rekey_parse(p, n, at, ptr, lens);
	int rc2 = phr_seal_rekey_parse(p, n, at, ptr2, lens2);
	FUZZ_CHECK(rc == rc2 && !memcmp(ptr, ptr2, sizeof(ptr)) && !memcmp(lens, lens2, sizeof(lens)),
		   "parse is not deterministic");
	if (rc != 1) {
		for (size_t i = 0; i < PHR_MAX_ENTRIES; i++)
			FUZZ_CHECK(!ptr[i] && !lens[i], "carried entries without a re-keying plaintext");
		if (rc < 0) {
			FUZZ_CHECK_ERR(rc);
			FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		}
		return 0;
	}
	size_t count = 0;
	for (size_t i = 0; i < PHR_MAX_ENTRIES; i++) {
		if (!ptr[i])
			continue;
		count++;
		FUZZ_CHECK(i < at, "an entry carried at or after the re-keying entry");
		FUZZ_CHECK(ptr[i] >= p && ptr[i] + lens[i] <= p + n, "carried bytes outside the input");
		FUZZ_CHECK(lens[i] >= 1 && lens[i] <= PHR_MAX_SEALED, "carried length out of range");
		uint8_t *full = NULL;
		size_t full_len;
		int mrc = phr_seal_merge(fuzz_seal_clear, fuzz_seal_clear_len, ptr[i], lens[i], &full, &full_len);
		if (mrc)
			FUZZ_CHECK(!full && phr_last_error()[0], "merge failure without a message, or with output");
		free(full);
	}
	/* re-encode: the same bytes */
	struct phr_cbor_enc e;
	size_t len = 0;
	uint8_t *buf = malloc(n ? n : 1);
	FUZZ_CHECK(buf != NULL, "out of memory");
	phr_cbor_enc_init(&e, buf, n);
	phr_cbor_put_map(&e, 1);
	phr_cbor_put_uint(&e, PHR_SEAL_CARRIED);
	phr_cbor_put_map(&e, count);
	for (size_t i = 0; i < PHR_MAX_ENTRIES; i++)
		if (ptr[i]) {
			phr_cbor_put_uint(&e, i);
			phr_cbor_put_bytes(&e, ptr[i], lens[i]);
		}
	FUZZ_CHECK(phr_cbor_enc_finish(&e, &len) == PHR_OK && len == n && !memcmp(buf, p, n),
		   "a re-keying plaintext that parses does not re-encode to itself");
	free(buf);
	return 0;
}
