/* .key files: phr_key_open() with passphrase "fuzz".
 *
 * Invariants:
 *  - on failure the output is NULL and the error one that phr/crypto.h lists;
 *  - an opened key's public half passes fuzz_check_pubkey(), equals fields
 *    1..4 of the file byte for byte, signs what its public key verifies, and
 *    the same file with another passphrase fails with PHR_E_PASSPHRASE.
 *
 * Argon2id cost: phr_key_open() bounds it (PHR_KEY_MAX_*), but a file within
 * the bounds may still ask for a second of hashing and 1 GiB, which would
 * drown the fuzzer. Such inputs are skipped (return -1: libFuzzer does not
 * keep them); only the parsing up to the cost check is of interest, and files
 * with out-of-bounds costs are still run since they must fail before hashing.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"

#define CHEAP_OPSLIMIT 2
#define CHEAP_MEMLIMIT (64u * 1024u)

/* 1 if the file asks for Argon2id within the API bounds but above the cheap
 * limits. Walks the top-level map loosely; anything unexpected means "not
 * expensive" because phr_key_open() will refuse it before hashing. */
static int expensive(const uint8_t *data, size_t size)
{
	struct phr_cbor_dec d;
	uint64_t ops = 0, mem = 0;
	size_t n;

	if (phr_cbor_dec_init(&d, data, size) != PHR_OK || phr_cbor_get_map(&d, &n) != PHR_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		if (phr_cbor_peek(&d) != PHR_CBOR_UINT || phr_cbor_get_uint(&d, &key) != PHR_OK)
			return 0;
		if ((key == 6 || key == 7) && phr_cbor_peek(&d) == PHR_CBOR_UINT) {
			if (phr_cbor_get_uint(&d, key == 6 ? &ops : &mem) != PHR_OK)
				return 0;
		} else if (phr_cbor_skip(&d) != PHR_OK) {
			return 0;
		}
	}
	if (ops < 1 || ops > PHR_KEY_MAX_OPSLIMIT || mem < PHR_KEY_MIN_MEMLIMIT || mem > PHR_KEY_MAX_MEMLIMIT)
		return 0;
	return ops > CHEAP_OPSLIMIT || mem > CHEAP_MEMLIMIT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_seckey *k = (struct phr_seckey *)&k;
	int rc;

	if (expensive(data, size))
		return -1;
	rc = phr_key_open(data, size, FUZZ_PASS, strlen(FUZZ_PASS), &k);
	if (rc != PHR_OK) {
		FUZZ_CHECK(k == NULL, "output not NULL after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT || rc == PHR_E_PASSPHRASE ||
				   rc == PHR_E_NOMEM || rc == PHR_E_CRYPTO,
			   "open: error code not documented");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(k != NULL && size <= PHR_MAX_KEYFILE, "key file size");
	const struct phr_pubkey *pub = phr_seckey_public(k);
	fuzz_check_pubkey(pub, 0);

	/* Fields 1..4 of the file are the .pub encoding of the key. */
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	FUZZ_CHECK(phr_pubkey_encode(k, &enc, &enc_len) == PHR_OK, "public half does not encode");
	/* .pub: a5, fields 1..4, then 05 58 40 and the self-signature. */
	size_t fields_len = enc_len - 1 - 3 - PHR_SIG_LEN;
	FUZZ_CHECK(data[0] == 0xa9 && enc[0] == 0xa5 && fields_len < size && memcmp(data + 1, enc + 1, fields_len) == 0,
		   "public half differs from fields 1..4 of the file");
	free(enc);

	/* The key signs, and its public key verifies. */
	static const uint8_t msg[] = "fuzz";
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	struct phr_cose c;
	FUZZ_CHECK(phr_cose_sign1(k, msg, sizeof(msg), NULL, 0, &sig, &sig_len) == PHR_OK, "sign");
	FUZZ_CHECK(phr_cose_parse(sig, sig_len, &c) == PHR_OK && phr_cose_verify(&c, pub->pk, NULL, 0) == PHR_OK,
		   "signature of an opened key does not verify under its public key");
	free(sig);
	phr_seckey_destroy(k);

	struct phr_seckey *k2 = NULL;
	rc = phr_key_open(data, size, FUZZ_PASS "!", strlen(FUZZ_PASS) + 1, &k2);
	FUZZ_CHECK(rc == PHR_E_PASSPHRASE && k2 == NULL, "wrong passphrase not refused");
	return 0;
}
