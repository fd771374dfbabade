/* COSE_Sign1 (RFC 9052 §4.2), untagged, EdDSA only, kid in the protected header. */
#include "crypto_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define COSE_ALG_EDDSA (-8)
#define COSE_LABEL_ALG 1
#define COSE_LABEL_KID 4
/* A2 01 27 04 48 <kid>: {1: -8, 4: h'<8 bytes>'} */
#define PROT_LEN (5 + PHR_KID_LEN)

static const uint8_t empty_aad[1];

static int encode_protected(const uint8_t kid[PHR_KID_LEN], uint8_t prot[PROT_LEN])
{
	struct phr_cbor_enc e;
	size_t n;
	int rc;

	phr_cbor_enc_init(&e, prot, PROT_LEN);
	phr_cbor_put_map(&e, 2);
	phr_cbor_put_uint(&e, COSE_LABEL_ALG);
	phr_cbor_put_int(&e, COSE_ALG_EDDSA);
	phr_cbor_put_uint(&e, COSE_LABEL_KID);
	phr_cbor_put_bytes(&e, kid, PHR_KID_LEN);
	if ((rc = phr_cbor_enc_finish(&e, &n)) || n != PROT_LEN)
		return phr_fail(rc ? rc : PHR_E_BUFFER, "COSE_Sign1: encoding the protected header");
	return PHR_OK;
}

struct tbs {
	const uint8_t *prot, *aad, *payload;
	size_t prot_len, aad_len, payload_len;
};

static void write_tbs(struct phr_cbor_enc *e, const void *ctx)
{
	const struct tbs *t = ctx;
	phr_cbor_put_array(e, 4);
	phr_cbor_put_text(e, "Signature1", 10);
	phr_cbor_put_bytes(e, t->prot, t->prot_len);
	phr_cbor_put_bytes(e, t->aad, t->aad_len);
	phr_cbor_put_bytes(e, t->payload, t->payload_len);
}

/* Sig_structure ["Signature1", protected, external_aad, payload] into a
 * malloc'd buffer. Ed25519 has no streaming form (the message is hashed
 * twice), so the whole structure must exist in memory. */
static int sig_structure(const struct tbs *t, uint8_t **out, size_t *len)
{
	size_t total;

	/* Heads add at most 9 bytes each; 64 covers them and "Signature1". */
	if (!phr_size_add(t->prot_len, t->aad_len, &total) ||
	    !phr_size_add(total, t->payload_len, &total) || !phr_size_add(total, 64, &total))
		return phr_fail(PHR_E_LIMIT, "COSE_Sign1: payload and AAD sizes overflow");
	return phr_crypto_encode_alloc(write_tbs, t, total, "COSE Sig_structure", out, len);
}

struct sign1 {
	const uint8_t *prot, *payload, *sig;
	size_t payload_len;
};

static void write_sign1(struct phr_cbor_enc *e, const void *ctx)
{
	const struct sign1 *s = ctx;
	phr_cbor_put_array(e, 4);
	phr_cbor_put_bytes(e, s->prot, PROT_LEN);
	phr_cbor_put_map(e, 0);
	phr_cbor_put_bytes(e, s->payload, s->payload_len);
	phr_cbor_put_bytes(e, s->sig, PHR_SIG_LEN);
}

int phr_cose_sign1(const struct phr_seckey *k, const uint8_t *payload, size_t plen,
	const uint8_t *aad, size_t aadlen, uint8_t **out, size_t *outlen)
{
	uint8_t prot[PROT_LEN];
	uint8_t sig[PHR_SIG_LEN];
	uint8_t *tbs = NULL;
	size_t tbs_len, limit;
	int rc;

	if (!out || !outlen)
		return phr_fail(PHR_E_ARG, "COSE_Sign1: no output pointer given");
	*out = NULL;
	*outlen = 0;
	if (!k || (!payload && plen) || (!aad && aadlen))
		return phr_fail(PHR_E_ARG, "COSE_Sign1: key, payload or AAD missing");
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = encode_protected(k->pub.kid, prot)))
		return rc;
	struct tbs t = { prot, aad ? aad : empty_aad, payload ? payload : empty_aad,
		PROT_LEN, aadlen, plen };
	if ((rc = sig_structure(&t, &tbs, &tbs_len)))
		return rc;
	if (crypto_sign_detached(sig, NULL, tbs, tbs_len, k->sk) != 0) {
		rc = phr_fail(PHR_E_CRYPTO, "COSE_Sign1: Ed25519 signing failed");
		goto cleanup;
	}
	struct sign1 s = { prot, t.payload, sig, plen };
	if (!phr_size_add(plen, PROT_LEN + PHR_SIG_LEN + 32, &limit)) {
		rc = phr_fail(PHR_E_LIMIT, "COSE_Sign1: payload size overflows");
		goto cleanup;
	}
	rc = phr_crypto_encode_alloc(write_sign1, &s, limit, "COSE_Sign1", out, outlen);

cleanup:
	free(tbs);
	return rc;
}

static int parse_protected(const uint8_t *prot, size_t len, uint8_t kid[PHR_KID_LEN])
{
	struct phr_cbor_dec d;
	size_t n;
	int64_t alg;
	int rc;

	if ((rc = phr_cbor_dec_init(&d, prot, len)) || (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "COSE_Sign1 protected header");
	if (n != 2)
		return phr_fail(PHR_E_MALFORMED,
			"COSE_Sign1 protected header: expected exactly {1: alg, 4: kid}, found %zu labels", n);
	if ((rc = phr_cbor_expect_key(&d, COSE_LABEL_ALG)) || (rc = phr_cbor_get_int(&d, &alg)))
		return phr_fail_wrap(rc, "COSE_Sign1 protected header: label 1 (alg)");
	if (alg != COSE_ALG_EDDSA)
		return phr_fail(PHR_E_VERSION,
			"COSE_Sign1 protected header: alg %lld is not supported, only -8 (EdDSA)",
			(long long)alg);
	if ((rc = phr_cbor_expect_key(&d, COSE_LABEL_KID)) ||
	    (rc = phr_cbor_get_bytes_exact(&d, kid, PHR_KID_LEN)))
		return phr_fail_wrap(rc, "COSE_Sign1 protected header: label 4 (kid of %d bytes)",
			PHR_KID_LEN);
	return PHR_OK;
}

static int parse_sign1(const uint8_t *buf, size_t len, struct phr_cose *c)
{
	struct phr_cbor_dec d;
	size_t n;
	int rc;

	if ((rc = phr_cbor_dec_init(&d, buf, len)) || (rc = phr_cbor_get_array(&d, &n)))
		return phr_fail_wrap(rc, "COSE_Sign1");
	if (n != 4)
		return phr_fail(PHR_E_MALFORMED, "COSE_Sign1: expected an array of 4, found %zu items", n);
	if ((rc = phr_cbor_get_bytes(&d, &c->prot, &c->prot_len)))
		return phr_fail_wrap(rc, "COSE_Sign1: item 0 (protected header)");
	if ((rc = parse_protected(c->prot, c->prot_len, c->kid)))
		return rc;
	if ((rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "COSE_Sign1: item 1 (unprotected header)");
	if (n != 0)
		return phr_fail(PHR_E_MALFORMED,
			"COSE_Sign1: unprotected header must be empty, has %zu labels", n);
	if ((rc = phr_cbor_get_bytes(&d, &c->payload, &c->payload_len)))
		return phr_fail_wrap(rc, "COSE_Sign1: item 2 (payload)");
	if ((rc = phr_cbor_get_bytes(&d, &c->sig, &n)))
		return phr_fail_wrap(rc, "COSE_Sign1: item 3 (signature)");
	if (n != PHR_SIG_LEN)
		return phr_fail(PHR_E_MALFORMED, "COSE_Sign1: signature is %zu bytes, expected %d",
			n, PHR_SIG_LEN);
	return PHR_OK;
}

int phr_cose_parse(const uint8_t *buf, size_t len, struct phr_cose *out)
{
	int rc;

	if (!out)
		return phr_fail(PHR_E_ARG, "COSE_Sign1: no output given");
	memset(out, 0, sizeof(*out));
	if (!buf)
		return phr_fail(PHR_E_ARG, "COSE_Sign1: no input given");
	if ((rc = parse_sign1(buf, len, out)))
		memset(out, 0, sizeof(*out));
	return rc;
}

int phr_cose_verify(const struct phr_cose *c, const uint8_t pk[PHR_PK_LEN],
	const uint8_t *aad, size_t aadlen)
{
	uint8_t kid[PHR_KID_LEN];
	char want[PHR_KID_HEX_LEN], got[PHR_KID_HEX_LEN];
	uint8_t *tbs = NULL;
	size_t tbs_len;
	int rc;

	if (!c || !c->prot || !c->sig || !pk || (!aad && aadlen) || (!c->payload && c->payload_len))
		return phr_fail(PHR_E_ARG, "COSE_Sign1 verify: missing argument");
	if ((rc = phr_crypto_init()))
		return rc;
	phr_kid_of(pk, kid);
	if (sodium_memcmp(kid, c->kid, PHR_KID_LEN) != 0) {
		phr_kid_to_hex(c->kid, got);
		phr_kid_to_hex(kid, want);
		return phr_fail(PHR_E_BAD_SIGNATURE,
			"COSE_Sign1: signed by kid %s, but the verifying key is kid %s", got, want);
	}
	struct tbs t = { c->prot, aad ? aad : empty_aad, c->payload ? c->payload : empty_aad,
		c->prot_len, aadlen, c->payload_len };
	if ((rc = sig_structure(&t, &tbs, &tbs_len)))
		return rc;
	if (crypto_sign_verify_detached(c->sig, tbs, tbs_len, pk) != 0) {
		phr_kid_to_hex(kid, want);
		rc = phr_fail(PHR_E_BAD_SIGNATURE, "COSE_Sign1: signature does not verify under kid %s",
			want);
	}
	free(tbs);
	return rc;
}
