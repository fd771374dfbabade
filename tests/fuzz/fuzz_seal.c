/* Sealed sections (phr/seal.h): the envelope, its opening, the merge of an
 * opened plaintext into an entry, and the typed holder key.
 *
 * Input: byte 0 selects (mod 3)
 *   0  the rest is a sealed envelope, opened with the fixed holder key
 *      (fuzz_seal_key) for record id fuzz_seal_rid, entry 1, beside the
 *      fixed clear content fuzz_seal_clear (v3 binds to it), then merged
 *      into it; a v3 envelope also beside fuzz_seal_clear_nores (no
 *      results: the positions of sealed results are put back on opening);
 *   1  the rest is a plaintext, merged into fuzz_seal_clear;
 *   2  the rest is a typed holder key.
 * Invariants:
 *  - envelope (v1, the CBOR array, v2 and v3, the byte string; all in
 *    the corpus): a parsed envelope says its version, and its parts lie
 *    inside the input (v2, v3: the ciphertext is the input's tail; v3: a
 *    packing 0..2, no key id, a 4-byte salt); a v3 envelope that
 *    opens does not open beside another clear content; open fails exactly when parse fails, or with PHR_E_SEAL_KEY
 *    (v1, v2: key id not the key's; v3: does not open) or PHR_E_SEALED
 *    (v1, v2: does not open); a failure leaves no output and
 *    says why; an opened plaintext is ct_len - 16 bytes, or, packed, the
 *    length it declares (at most PHR_MAX_SEALED);
 *  - merge: what merges is a valid entry (phr_entry_validate), at most
 *    PHR_MAX_ENTRY_CBOR bytes, the same twice; splitting it again by the
 *    sections the plaintext held gives the clear content back;
 *  - key: a key that parses formats to 33 characters that parse to it.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/json.h"
#include "phr/schema.h"
#include "phr/seal.h"

static void check_merge(const uint8_t *plain, size_t len)
{
	uint8_t *full = (uint8_t *)&full, *again = NULL;
	size_t full_len = 1, again_len = 0;
	int rc = phr_seal_merge(fuzz_seal_clear, fuzz_seal_clear_len, plain, len, &full, &full_len);
	if (rc != PHR_OK) {
		FUZZ_CHECK(full == NULL, "merge: output after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(phr_last_error()[0] != '\0', "merge: failure without a message");
		return;
	}
	FUZZ_CHECK(phr_entry_validate(full, full_len) == PHR_OK, "merged entry does not validate");
	FUZZ_CHECK(phr_seal_merge(fuzz_seal_clear, fuzz_seal_clear_len, plain, len, &again, &again_len) == PHR_OK &&
			   again_len == full_len && !memcmp(again, full, full_len),
		   "merge is not deterministic");
	free(again);
	/* the sections it held, sealed again: the clear content comes back */
	struct phr_cbor_dec d;
	size_t n;
	uint32_t mask = 0;
	FUZZ_CHECK(phr_cbor_dec_init(&d, plain, len) == PHR_OK && phr_cbor_get_map(&d, &n) == PHR_OK,
		   "merged, but the plaintext is not a map");
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		FUZZ_CHECK(phr_cbor_get_uint(&d, &k) == PHR_OK && phr_cbor_skip(&d) == PHR_OK, "plaintext walk");
		if (k && k < 31)
			mask |= PHR_SEAL_BIT(k);
	}
	/* results: only when the clear content kept none would sealing all
	 * of them give it back; the fixed clear content keeps one */
	mask &= ~PHR_SEAL_BIT(11);
	if (!mask)
		goto out;
	uint8_t *clear, *p2;
	size_t clear_len, p2_len;
	unsigned ns;
	int has_results = 0;
	FUZZ_CHECK(phr_cbor_dec_init(&d, plain, len) == PHR_OK && phr_cbor_get_map(&d, &n) == PHR_OK, "plaintext");
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		FUZZ_CHECK(phr_cbor_get_uint(&d, &k) == PHR_OK && phr_cbor_skip(&d) == PHR_OK, "plaintext walk");
		if (k == 11 || k == 0)
			has_results = 1;
	}
	if (has_results)
		goto out;
	FUZZ_CHECK(phr_seal_split(full, full_len, mask, &clear, &clear_len, &p2, &p2_len, &ns) == PHR_OK, "split");
	FUZZ_CHECK(clear_len == fuzz_seal_clear_len && !memcmp(clear, fuzz_seal_clear, clear_len),
		   "split after merge does not give the clear content back");
	FUZZ_CHECK(p2 && p2_len == len && !memcmp(p2, plain, len), "split after merge does not give the plaintext back");
	free(clear);
	free(p2);
out:
	free(full);
}

/* A v3 envelope beside the clear content without results: what opens is
 * a CBOR map within PHR_MAX_SEALED bytes (positions put back when results
 * are sealed: then key 0 is first), and merges into that content or says
 * why not. */
static void check_nores(const uint8_t *p, size_t n)
{
	uint8_t *q = (uint8_t *)&q, *full = NULL;
	size_t ql = 1, full_len = 0;
	int rc = phr_seal_open_entry(fuzz_seal_key, fuzz_seal_rid, 1, fuzz_seal_clear_nores, fuzz_seal_clear_nores_len,
				     p, n, &q, &ql);
	if (rc != PHR_OK) {
		FUZZ_CHECK(q == NULL && ql == 0, "open (no clear results): output after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(phr_last_error()[0] != '\0', "open (no clear results): failure without a message");
		return;
	}
	FUZZ_CHECK(ql >= 1 && ql <= PHR_MAX_SEALED && q[0] >= 0xa0 && q[0] <= 0xbb,
		   "open (no clear results): not a map within PHR_MAX_SEALED");
	rc = phr_seal_merge(fuzz_seal_clear_nores, fuzz_seal_clear_nores_len, q, ql, &full, &full_len);
	if (rc == PHR_OK)
		FUZZ_CHECK(phr_entry_validate(full, full_len) == PHR_OK, "merged entry (no clear results) does not validate");
	else
		FUZZ_CHECK_ERR(rc);
	free(full);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0: {
		struct phr_seal_envelope env;
		uint8_t *plain = (uint8_t *)&plain;
		size_t plain_len = 1;
		int prc = phr_seal_envelope_parse(p, n, &env);
		int rc = phr_seal_open_entry(fuzz_seal_key, fuzz_seal_rid, 1, fuzz_seal_clear, fuzz_seal_clear_len, p, n,
					     &plain, &plain_len);
		if (prc == PHR_OK && env.version == PHR_SEAL_V3)
			check_nores(p, n);
		if (prc != PHR_OK)
			FUZZ_CHECK(rc == prc, "open and parse disagree");
		else
			FUZZ_CHECK((env.version == PHR_SEAL_V1 && env.salt_len == PHR_SEAL_V1_SALT_LEN) ||
					   (env.version == PHR_SEAL_V2 && env.salt_len == PHR_SEAL_SALT_LEN &&
					    env.ct + env.ct_len == p + n &&
					    env.ct_len + PHR_SEAL_V2_HEAD + 1 <= n) ||
					   (env.version == PHR_SEAL_V3 && env.salt_len == PHR_SEAL_V3_SALT_LEN &&
					    env.kid_len == 0 && env.pack <= PHR_SEAL_PACK_ZSTD &&
					    env.ct + env.ct_len == p + n && env.ct_len + PHR_SEAL_V3_HEAD + 1 <= n),
				   "envelope: version, salt or ciphertext out of place");
		if (rc != PHR_OK) {
			FUZZ_CHECK(plain == NULL && plain_len == 0, "open: output after a failure");
			FUZZ_CHECK_ERR(rc);
			FUZZ_CHECK(prc != PHR_OK || rc == PHR_E_SEAL_KEY || rc == PHR_E_SEALED, "open: unexpected error");
			FUZZ_CHECK(phr_last_error()[0] != '\0', "open: failure without a message");
			return 0;
		}
		FUZZ_CHECK(prc == PHR_OK && (plain_len == env.ct_len - 16 || (plain_len >= 1 && plain_len <= PHR_MAX_SEALED)),
			   "opened plaintext length");
		/* another entry: never opens */
		uint8_t *other = NULL;
		size_t other_len;
		FUZZ_CHECK(phr_seal_open_entry(fuzz_seal_key, fuzz_seal_rid, 2, fuzz_seal_clear, fuzz_seal_clear_len, p, n,
					       &other, &other_len) ==
				   (env.version == PHR_SEAL_V3 ? PHR_E_SEAL_KEY : PHR_E_SEALED),
			   "an envelope opens at another entry");
		if (env.version == PHR_SEAL_V3)
			FUZZ_CHECK(phr_seal_open_entry(fuzz_seal_key, fuzz_seal_rid, 1, fuzz_seal_clear, fuzz_seal_clear_len - 1, p,
						       n, &other, &other_len) == PHR_E_SEAL_KEY,
				   "a v3 envelope opens beside another clear content");
		check_merge(plain, plain_len);
		free(plain);
		break;
	}
	case 1:
		if (n <= PHR_MAX_SEALED)
			check_merge(p, n);
		break;
	default: {
		uint8_t key[PHR_HOLDER_KEY_LEN], back[PHR_HOLDER_KEY_LEN];
		char text[PHR_HOLDER_KEY_TEXT_LEN];
		int rc = phr_holder_key_parse((const char *)p, n, key);
		if (rc != PHR_OK) {
			FUZZ_CHECK(rc == PHR_E_SEAL_KEY, "key parse: unexpected error");
			return 0;
		}
		phr_holder_key_format(key, text);
		FUZZ_CHECK(strlen(text) == PHR_HOLDER_KEY_TEXT_LEN - 1, "formatted key length");
		FUZZ_CHECK(phr_holder_key_parse(text, strlen(text), back) == PHR_OK && !memcmp(key, back, sizeof(key)),
			   "formatted key does not parse back");
		break;
	}
	}
	return 0;
}
