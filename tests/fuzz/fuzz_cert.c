/* Clinic certificates: phr_cert_parse(), phr_cert_verify() under the fixed
 * authority A, phr_cert_check_time().
 *
 * Invariants:
 *  - on failure the output is all zeros and the error a known malformed,
 *    limit or version code;
 *  - a parsed certificate spans the input, its subject is a clinic key that
 *    passes fuzz_check_pubkey(), not_before <= not_after, and the validity
 *    check is exactly not_before <= t <= not_after;
 *  - verify fails for any other issuer kid; when it succeeds, re-issuing the
 *    parsed fields with A gives the input bytes (Ed25519 is deterministic):
 *    nothing but A's own certificates verifies.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct phr_pubkey *auth = fuzz_authority();
	struct phr_cert c, zero;
	int rc;

	memset(&c, 0xa5, sizeof(c));
	memset(&zero, 0, sizeof(zero));
	rc = phr_cert_parse(data, size, &c);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "parse: error outside malformed/limit");
		FUZZ_CHECK(memcmp(&c, &zero, sizeof(c)) == 0, "output not wiped after a failure");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(size <= PHR_MAX_CERT, "certificate larger than PHR_MAX_CERT accepted");
	FUZZ_CHECK(c.raw == data && c.raw_len == size, "raw does not span the input");
	FUZZ_CHECK(memcmp(c.issuer_kid, c.cose.kid, PHR_KID_LEN) == 0, "issuer kid is not the COSE kid");
	FUZZ_CHECK(c.cose.payload >= data && c.cose.payload_len <= (size_t)(data + size - c.cose.payload) &&
			   c.cose.sig >= data && PHR_SIG_LEN <= data + size - c.cose.sig,
		   "COSE pointers out of the input");
	fuzz_check_pubkey(&c.subject, PHR_KEY_CLINIC);
	FUZZ_CHECK(c.not_before <= c.not_after, "not_before after not_after accepted");

	FUZZ_CHECK(phr_cert_check_time(&c, c.not_before) == PHR_OK, "not valid at not_before");
	FUZZ_CHECK(phr_cert_check_time(&c, c.not_after) == PHR_OK, "not valid at not_after");
	if (c.not_before > 0)
		FUZZ_CHECK(phr_cert_check_time(&c, c.not_before - 1) == PHR_E_CERT_VALIDITY, "valid before not_before");
	if (c.not_after < UINT64_MAX)
		FUZZ_CHECK(phr_cert_check_time(&c, c.not_after + 1) == PHR_E_CERT_VALIDITY, "valid after not_after");

	rc = phr_cert_verify(&c, auth->pk);
	if (memcmp(c.issuer_kid, auth->kid, PHR_KID_LEN) != 0)
		FUZZ_CHECK(rc != PHR_OK, "verified under a key whose kid is not the issuer kid");
	if (rc != PHR_OK) {
		FUZZ_CHECK(rc == PHR_E_BAD_SIGNATURE || rc == PHR_E_LIMIT || rc == PHR_E_NOMEM, "verify: error code");
		return 0;
	}
	uint8_t *again = NULL;
	size_t again_len = 0;
	rc = phr_cert_issue(fuzz_authority_key(), &c.subject, c.not_before, c.not_after, &again, &again_len);
	FUZZ_CHECK(rc == PHR_OK, "re-issuing a verified certificate failed");
	FUZZ_CHECK(again_len == size && memcmp(again, data, size) == 0,
		   "a certificate verified that A did not issue in these bytes");
	free(again);
	return 0;
}
