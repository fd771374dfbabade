/* .pub files: phr_pubkey_decode().
 *
 * Invariants:
 *  - on failure the output is all zeros and the error a known malformed or
 *    limit code with a message;
 *  - a decoded key passes fuzz_check_pubkey(), and, the self-signature
 *    having verified, is one of the fuzz keys whose phr_pubkey_encode()
 *    gives the input bytes exactly (one encoding per key, and nobody but
 *    the key's holder writes its .pub file).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_pubkey p, zero;
	uint8_t *again = NULL;
	size_t again_len = 0;
	int rc;

	memset(&p, 0xa5, sizeof(p));
	memset(&zero, 0, sizeof(zero));
	rc = phr_pubkey_decode(data, size, &p);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "decode: error outside malformed/limit");
		FUZZ_CHECK(memcmp(&p, &zero, sizeof(p)) == 0, "output not wiped after a failure");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(size <= PHR_MAX_KEYFILE, ".pub larger than PHR_MAX_KEYFILE accepted");
	fuzz_check_pubkey(&p, 0);
	static struct fuzz_keys keys; /* the seeds' keys, kept for the life of the process */
	if (!keys.key[0])
		FUZZ_CHECK(fuzz_keys_init(&keys) == PHR_OK, "cannot build the fixed keys");
	const struct phr_seckey *holder = NULL;
	for (int i = 0; i < FUZZ_NKEYS && !holder; i++)
		if (memcmp(phr_seckey_public(keys.key[i])->pk, p.pk, PHR_PK_LEN) == 0)
			holder = keys.key[i];
	FUZZ_CHECK(holder != NULL, "a .pub file of a key nobody here holds was accepted (forged self-signature)");
	rc = phr_pubkey_encode(holder, &again, &again_len);
	FUZZ_CHECK(rc == PHR_OK, "a decoded key does not encode");
	FUZZ_CHECK(again_len == size && memcmp(again, data, size) == 0,
		   "re-encoding differs: two encodings of one key accepted");
	free(again);
	return 0;
}
