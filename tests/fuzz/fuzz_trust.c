/* Trust bundles: phr_trust_load(), the lookups and the checks a verifier
 * makes after loading; and, on the same bytes, the installation's files
 * (docs/TRUST.md): phr_anchors_decode() and phr_trust_state_decode().
 *
 * Invariants:
 *  - on failure the output is NULL and the error one that phr/crypto.h lists;
 *  - a loaded bundle holds at most PHR_MAX_TRUST_ITEMS of each list; every
 *    authority passes fuzz_check_pubkey() and is found by its kid; every
 *    certificate is a clinic's, found by its subject kid, and verifies under
 *    a listed authority; revoked kids are strictly ascending and reported
 *    revoked, and nothing else is; the signer is a listed, non-revoked
 *    authority; issued < expires <= issued + PHR_TRUST_MAX_DAYS days, and
 *    phr_trust_check_time() accepts exactly the times up to expires; the
 *    signer is its own anchor and no other key with its kid is; a first
 *    phr_trust_check_version() records it, the same bundle again changes
 *    nothing, and a higher version recorded makes it older;
 *  - anchors and trust state files that decode encode to the same bytes,
 *    within their limits (authorities of kind 1 with unique kids; states
 *    strictly ascending); a failure leaves the count 0.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static bool listed_revoked(const struct phr_trust *t, const uint8_t kid[PHR_KID_LEN])
{
	for (size_t i = 0; i < phr_trust_count_revoked(t); i++)
		if (memcmp(phr_trust_revoked_at(t, i), kid, PHR_KID_LEN) == 0)
			return true;
	return false;
}

static void check_installation_files(const uint8_t *data, size_t size)
{
	static struct phr_pubkey a[PHR_MAX_ANCHORS];
	static struct phr_trust_seen s[PHR_MAX_ANCHORS];
	uint8_t *out;
	size_t n = 99, len;
	int rc = phr_anchors_decode(data, size, a, &n);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(n == 0, "anchors: count not 0 after a failure");
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "anchors: error code not documented");
	} else {
		FUZZ_CHECK(n <= PHR_MAX_ANCHORS && size <= PHR_MAX_ANCHORS_FILE, "anchors: limits");
		for (size_t i = 0; i < n; i++) {
			fuzz_check_pubkey(&a[i], PHR_KEY_AUTHORITY);
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(memcmp(a[i].kid, a[j].kid, PHR_KID_LEN) != 0, "anchors: a kid twice");
		}
		FUZZ_CHECK(phr_anchors_encode(a, n, &out, &len) == PHR_OK, "anchors: decoded list does not encode");
		FUZZ_CHECK(len == size && memcmp(out, data, size) == 0, "anchors: re-encoding differs");
		free(out);
	}
	n = 99;
	rc = phr_trust_state_decode(data, size, s, &n);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(n == 0, "state: count not 0 after a failure");
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "state: error code not documented");
		return;
	}
	FUZZ_CHECK(n <= PHR_MAX_ANCHORS && size <= PHR_MAX_TRUST_STATE_FILE, "state: limits");
	for (size_t i = 1; i < n; i++)
		FUZZ_CHECK(memcmp(s[i - 1].pk, s[i].pk, PHR_PK_LEN) < 0, "state: not strictly ascending");
	FUZZ_CHECK(phr_trust_state_encode(s, n, &out, &len) == PHR_OK, "state: decoded list does not encode");
	FUZZ_CHECK(len == size && memcmp(out, data, size) == 0, "state: re-encoding differs");
	free(out);
}

/* The checks after loading: time, anchor, version. */
static void check_after_load(const struct phr_trust *t)
{
	static struct phr_trust_seen s[PHR_MAX_ANCHORS];
	uint64_t issued = phr_trust_issued(t), expires = phr_trust_expires(t);
	const struct phr_pubkey *signer = phr_trust_signer(t);
	size_t n = 0;
	bool changed;

	FUZZ_CHECK(issued < expires && expires - issued <= (uint64_t)PHR_TRUST_MAX_DAYS * 86400, "lifetime");
	FUZZ_CHECK(phr_trust_check_time(t, issued) == PHR_OK && phr_trust_check_time(t, expires) == PHR_OK,
		   "refused before it expires");
	FUZZ_CHECK(expires == UINT64_MAX || phr_trust_check_time(t, expires + 1) == PHR_E_UNTRUSTED,
		   "accepted after it expired");
	FUZZ_CHECK(signer != NULL && memcmp(signer->kid, phr_trust_signer_kid(t), PHR_KID_LEN) == 0, "signer");
	FUZZ_CHECK(phr_trust_check_signer(t, signer, 1) == PHR_OK, "signer is not its own anchor");
	struct phr_pubkey other = *signer;
	other.pk[PHR_PK_LEN - 1] ^= 0x80; /* same kid, another key */
	FUZZ_CHECK(phr_trust_check_signer(t, &other, 1) == PHR_E_UNTRUSTED, "anchor compared by kid only");
	FUZZ_CHECK(phr_trust_check_signer(t, signer, 0) == PHR_E_UNTRUSTED, "accepted with no anchors");
	FUZZ_CHECK(phr_trust_check_version(t, s, &n, &changed) == PHR_OK && changed && n == 1, "first version");
	FUZZ_CHECK(phr_trust_check_version(t, s, &n, &changed) == PHR_OK && !changed, "same bundle twice");
	if (phr_trust_version(t) < UINT64_MAX) {
		s[0].version = phr_trust_version(t) + 1;
		FUZZ_CHECK(phr_trust_check_version(t, s, &n, &changed) == PHR_E_UNTRUSTED, "older version accepted");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_trust *t = (struct phr_trust *)&t;
	int rc;

	check_installation_files(data, size);
	rc = phr_trust_load(data, size, &t);

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
	check_after_load(t);
	phr_trust_destroy(t);
	return 0;
}
