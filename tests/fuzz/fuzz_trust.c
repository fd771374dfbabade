/* Trust bundles: phr_trust_load() and the lookups.
 *
 * Invariants:
 *  - on failure the output is NULL and the error one that phr/crypto.h lists;
 *  - a loaded bundle holds at most PHR_MAX_TRUST_ITEMS of each list; every
 *    authority passes fuzz_check_pubkey() and is found by its kid; every
 *    certificate is a clinic's, found by its subject kid, and verifies under
 *    a listed authority; revoked kids are strictly ascending and reported
 *    revoked, and nothing else is; the signer is a listed, non-revoked
 *    authority.
 */
#include "fuzz.h"

#include <string.h>

static bool listed_revoked(const struct phr_trust *t, const uint8_t kid[PHR_KID_LEN])
{
	for (size_t i = 0; i < phr_trust_count_revoked(t); i++)
		if (memcmp(phr_trust_revoked_at(t, i), kid, PHR_KID_LEN) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_trust *t = (struct phr_trust *)&t;
	int rc = phr_trust_load(data, size, &t);

	if (rc != PHR_OK) {
		FUZZ_CHECK(t == NULL, "output not NULL after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT || rc == PHR_E_NOMEM ||
				   rc == PHR_E_UNTRUSTED || rc == PHR_E_REVOKED || rc == PHR_E_BAD_SIGNATURE,
			   "load: error code not documented");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(t != NULL && size <= PHR_MAX_TRUST, "bundle size");
	size_t na = phr_trust_count_authorities(t), nc = phr_trust_count_certs(t), nr = phr_trust_count_revoked(t);
	FUZZ_CHECK(na >= 1 && na <= PHR_MAX_TRUST_ITEMS && nc <= PHR_MAX_TRUST_ITEMS && nr <= PHR_MAX_TRUST_ITEMS,
		   "list sizes");

	for (size_t i = 0; i < na; i++) {
		const struct phr_pubkey *a = phr_trust_authority_at(t, i);
		fuzz_check_pubkey(a, PHR_KEY_AUTHORITY);
		FUZZ_CHECK(phr_trust_authority(t, a->kid) == a, "authority not found by its kid (or listed twice)");
		FUZZ_CHECK(phr_trust_revoked(t, a->kid) == listed_revoked(t, a->kid), "revocation lookup of an authority");
		FUZZ_CHECK(phr_trust_cert(t, a->kid) == NULL || phr_trust_cert(t, a->kid)->subject.kind == PHR_KEY_CLINIC,
			   "authority kid maps to a non-clinic certificate");
	}
	for (size_t i = 0; i < nc; i++) {
		const struct phr_cert *c = phr_trust_cert_at(t, i);
		fuzz_check_pubkey(&c->subject, PHR_KEY_CLINIC);
		FUZZ_CHECK(c->not_before <= c->not_after, "certificate validity");
		FUZZ_CHECK(phr_trust_cert(t, c->subject.kid) == c, "certificate not found by its kid (or listed twice)");
		const struct phr_pubkey *a = phr_trust_authority(t, c->issuer_kid);
		FUZZ_CHECK(a != NULL, "certificate issued by an authority that is not listed");
		FUZZ_CHECK(phr_cert_verify(c, a->pk) == PHR_OK, "certificate does not verify under its issuer");
		FUZZ_CHECK(phr_trust_revoked(t, c->subject.kid) == listed_revoked(t, c->subject.kid),
			   "revocation lookup of a clinic");
	}
	for (size_t i = 0; i < nr; i++) {
		const uint8_t *k = phr_trust_revoked_at(t, i);
		FUZZ_CHECK(phr_trust_revoked(t, k), "listed revoked kid not reported revoked");
		if (i > 0)
			FUZZ_CHECK(memcmp(phr_trust_revoked_at(t, i - 1), k, PHR_KID_LEN) < 0,
				   "revoked kids not strictly ascending");
	}
	const uint8_t *signer = phr_trust_signer_kid(t);
	FUZZ_CHECK(signer != NULL && phr_trust_authority(t, signer) != NULL, "signer is not a listed authority");
	FUZZ_CHECK(!phr_trust_revoked(t, signer), "signer is revoked");
	phr_trust_destroy(t);
	return 0;
}
