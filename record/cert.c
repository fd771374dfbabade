/* Clinic certificates: a clinic's public key signed by an authority. */
#include "crypto_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define CERT_AAD PHR_AAD_CERT
#define CERT_AAD_LEN (sizeof(CERT_AAD) - 1)

struct cert_payload {
	const struct phr_pubkey *subject;
	uint64_t not_before, not_after;
};

static void write_cert_payload(struct phr_cbor_enc *e, const void *ctx)
{
	const struct cert_payload *c = ctx;
	phr_cbor_put_map(e, 6);
	phr_crypto_put_pubkey_fields(e, c->subject);
	phr_cbor_put_uint(e, 5);
	phr_cbor_put_uint(e, c->not_before);
	phr_cbor_put_uint(e, 6);
	phr_cbor_put_uint(e, c->not_after);
}

int phr_cert_issue(const struct phr_seckey *auth, const struct phr_pubkey *clinic,
	uint64_t not_before, uint64_t not_after, uint8_t **out, size_t *len)
{
	struct cert_payload cp = { clinic, not_before, not_after };
	uint8_t *payload = NULL;
	size_t plen;
	int rc;

	if (!out || !len)
		return phr_fail(PHR_E_ARG, "certificate: no output pointer given");
	*out = NULL;
	*len = 0;
	if (!auth)
		return phr_fail(PHR_E_ARG, "certificate: no authority key given");
	if ((rc = phr_crypto_init()))
		return rc;
	if (auth->pub.kind != PHR_KEY_AUTHORITY)
		return phr_fail(PHR_E_ARG, "certificate: issuer \"%s\" is not an authority key",
			auth->pub.name);
	if ((rc = phr_crypto_check_pubkey(clinic, PHR_KEY_CLINIC, "certificate subject")))
		return rc == PHR_E_SCHEMA ? PHR_E_ARG : rc;
	if (sodium_memcmp(clinic->pk, auth->pub.pk, PHR_PK_LEN) == 0)
		return phr_fail(PHR_E_ARG, "certificate: subject \"%s\" is the key of the issuing authority \"%s\": "
			"an authority key is never certified as a clinic", clinic->name, auth->pub.name);
	if (not_before > not_after)
		return phr_fail(PHR_E_ARG, "certificate: not_before %llu is after not_after %llu",
			(unsigned long long)not_before, (unsigned long long)not_after);
	if ((rc = phr_crypto_encode_alloc(write_cert_payload, &cp, PHR_MAX_CERT,
		     "certificate payload", &payload, &plen)))
		return rc;
	rc = phr_cose_sign1(auth, payload, plen, (const uint8_t *)CERT_AAD, CERT_AAD_LEN, out, len);
	if (rc == PHR_OK && *len > PHR_MAX_CERT) {
		rc = phr_fail(PHR_E_LIMIT, "certificate is %zu bytes, limit is %d", *len, PHR_MAX_CERT);
		free(*out);
		*out = NULL;
		*len = 0;
	}
	free(payload);
	return rc;
}

static int parse_cert(const uint8_t *buf, size_t len, struct phr_cert *c)
{
	struct phr_cbor_dec d;
	size_t n;
	int rc;

	if ((rc = phr_cose_parse(buf, len, &c->cose)))
		return phr_fail_wrap(rc, "certificate");
	memcpy(c->issuer_kid, c->cose.kid, PHR_KID_LEN);
	if ((rc = phr_cbor_dec_init(&d, c->cose.payload, c->cose.payload_len)) ||
	    (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "certificate payload");
	if (n != 6)
		return phr_fail(PHR_E_SCHEMA, "certificate payload: expected a map of 6 fields, found %zu", n);
	/* No subgroup check here: the authority made it when it certified the
	 * key (phr_cert_issue), its signature covers these bytes, and
	 * crypto_sign_verify_detached refuses a key that is not a canonical
	 * point or of small order. Checking again would double the cost of
	 * verifying a record whose certificates are embedded. */
	if ((rc = phr_crypto_get_pubkey_fields(&d, &c->subject, "certificate subject", false)))
		return rc;
	if (c->subject.kind != PHR_KEY_CLINIC)
		return phr_fail(PHR_E_SCHEMA, "certificate subject: kind must be 2 (clinic)");
	if ((rc = phr_cbor_expect_key(&d, 5)) || (rc = phr_cbor_get_uint(&d, &c->not_before)))
		return phr_fail_wrap(rc, "certificate payload: field 5 (not_before)");
	if ((rc = phr_cbor_expect_key(&d, 6)) || (rc = phr_cbor_get_uint(&d, &c->not_after)))
		return phr_fail_wrap(rc, "certificate payload: field 6 (not_after)");
	if (c->not_before > c->not_after)
		return phr_fail(PHR_E_SCHEMA, "certificate: not_before %llu is after not_after %llu",
			(unsigned long long)c->not_before, (unsigned long long)c->not_after);
	c->raw = buf;
	c->raw_len = len;
	return PHR_OK;
}

int phr_cert_parse(const uint8_t *buf, size_t len, struct phr_cert *out)
{
	int rc;

	if (!out)
		return phr_fail(PHR_E_ARG, "certificate: no output given");
	memset(out, 0, sizeof(*out));
	if (!buf)
		return phr_fail(PHR_E_ARG, "certificate: no input given");
	if (len > PHR_MAX_CERT)
		return phr_fail(PHR_E_LIMIT, "certificate is %zu bytes, limit is %d", len, PHR_MAX_CERT);
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = parse_cert(buf, len, out)))
		memset(out, 0, sizeof(*out));
	return rc;
}

int phr_cert_verify(const struct phr_cert *c, const uint8_t auth_pk[PHR_PK_LEN])
{
	int rc;

	if (!c || !auth_pk)
		return phr_fail(PHR_E_ARG, "certificate verify: missing argument");
	if ((rc = phr_cose_verify(&c->cose, auth_pk, (const uint8_t *)CERT_AAD, CERT_AAD_LEN)))
		return phr_fail_wrap(rc, "certificate of \"%s\"", c->subject.name);
	return PHR_OK;
}

int phr_cert_check_time(const struct phr_cert *c, uint64_t t)
{
	if (!c)
		return phr_fail(PHR_E_ARG, "certificate time check: no certificate given");
	if (t < c->not_before || t > c->not_after)
		return phr_fail(PHR_E_CERT_VALIDITY,
			"certificate of \"%s\" is valid %llu..%llu, not at %llu", c->subject.name,
			(unsigned long long)c->not_before, (unsigned long long)c->not_after,
			(unsigned long long)t);
	return PHR_OK;
}
