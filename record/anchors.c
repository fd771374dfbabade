/* Trust anchors and trust state of one installation (docs/TRUST.md): the
 * authority keys a verifier trusts to sign trust bundles, and the highest
 * bundle version it has accepted from each. The files are read from disk
 * by the caller; this is their format and the checks. */
#include "crypto_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* ---- anchors: [* authority] ------------------------------------------- */

int phr_anchors_decode(const uint8_t *buf, size_t len, struct phr_pubkey out[PHR_MAX_ANCHORS], size_t *n)
{
	struct phr_cbor_dec d;
	char what[48], hex[PHR_KID_HEX_LEN];
	size_t count, fields;
	int rc;

	if (!out || !n)
		return phr_fail(PHR_E_ARG, "trust anchors: no output given");
	*n = 0;
	if (!buf)
		return phr_fail(PHR_E_ARG, "trust anchors: no input given");
	if (len > PHR_MAX_ANCHORS_FILE)
		return phr_fail(PHR_E_LIMIT, "trust anchors file is %zu bytes, limit is %d", len,
			PHR_MAX_ANCHORS_FILE);
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = phr_cbor_dec_init(&d, buf, len)) || (rc = phr_cbor_get_array(&d, &count)))
		return phr_fail_wrap(rc, "trust anchors");
	if (count > PHR_MAX_ANCHORS)
		return phr_fail(PHR_E_LIMIT, "trust anchors: %zu authorities, limit is %d", count, PHR_MAX_ANCHORS);
	for (size_t i = 0; i < count; i++) {
		snprintf(what, sizeof(what), "trust anchors: authority %zu", i);
		if ((rc = phr_cbor_get_map(&d, &fields)))
			goto fail_wrap;
		if (fields != 4) {
			rc = phr_fail(PHR_E_SCHEMA, "%s: expected a map of 4 fields, found %zu", what, fields);
			goto fail;
		}
		if ((rc = phr_crypto_get_pubkey_fields(&d, &out[i], what, true)))
			goto fail;
		if (out[i].kind != PHR_KEY_AUTHORITY) {
			rc = phr_fail(PHR_E_SCHEMA, "%s (\"%s\"): kind must be 1 (authority)", what, out[i].name);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (memcmp(out[j].kid, out[i].kid, PHR_KID_LEN) == 0) {
				phr_kid_to_hex(out[i].kid, hex);
				rc = phr_fail(PHR_E_MALFORMED, "%s: key id %s is listed twice", what, hex);
				goto fail;
			}
	}
	*n = count;
	return PHR_OK;

fail_wrap:
	rc = phr_fail_wrap(rc, "%s", what);
fail:
	memset(out, 0, count * sizeof(*out));
	return rc;
}

struct anchors {
	const struct phr_pubkey *a;
	size_t n;
};

static void write_anchors(struct phr_cbor_enc *e, const void *ctx)
{
	const struct anchors *x = ctx;
	phr_cbor_put_array(e, x->n);
	for (size_t i = 0; i < x->n; i++) {
		phr_cbor_put_map(e, 4);
		phr_crypto_put_pubkey_fields(e, &x->a[i]);
	}
}

int phr_anchors_encode(const struct phr_pubkey *a, size_t n, uint8_t **out, size_t *len)
{
	struct anchors x = { a, n };
	char what[48], hex[PHR_KID_HEX_LEN];
	int rc;

	if (!out || !len)
		return phr_fail(PHR_E_ARG, "trust anchors: no output given");
	*out = NULL;
	*len = 0;
	if (n && !a)
		return phr_fail(PHR_E_ARG, "trust anchors: list NULL with a count");
	if (n > PHR_MAX_ANCHORS)
		return phr_fail(PHR_E_LIMIT, "trust anchors: %zu authorities, limit is %d", n, PHR_MAX_ANCHORS);
	if ((rc = phr_crypto_init()))
		return rc;
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "trust anchors: authority %zu", i);
		if ((rc = phr_crypto_check_pubkey(&a[i], PHR_KEY_AUTHORITY, what)))
			return rc == PHR_E_SCHEMA ? PHR_E_ARG : rc;
		for (size_t j = 0; j < i; j++)
			if (memcmp(a[j].kid, a[i].kid, PHR_KID_LEN) == 0) {
				phr_kid_to_hex(a[i].kid, hex);
				return phr_fail(PHR_E_ARG, "%s: key id %s is listed twice", what, hex);
			}
	}
	return phr_crypto_encode_alloc(write_anchors, &x, PHR_MAX_ANCHORS_FILE, "trust anchors", out, len);
}

/* ---- trust state: [* [pk, version, digest]], ascending by pk ------------ */

int phr_trust_state_decode(const uint8_t *buf, size_t len, struct phr_trust_seen out[PHR_MAX_ANCHORS], size_t *n)
{
	struct phr_cbor_dec d;
	size_t count, fields, i = 0;
	int rc;

	if (!out || !n)
		return phr_fail(PHR_E_ARG, "trust state: no output given");
	*n = 0;
	if (!buf)
		return phr_fail(PHR_E_ARG, "trust state: no input given");
	if (len > PHR_MAX_TRUST_STATE_FILE)
		return phr_fail(PHR_E_LIMIT, "trust state file is %zu bytes, limit is %d", len,
			PHR_MAX_TRUST_STATE_FILE);
	if ((rc = phr_cbor_dec_init(&d, buf, len)) || (rc = phr_cbor_get_array(&d, &count)))
		return phr_fail_wrap(rc, "trust state");
	if (count > PHR_MAX_ANCHORS)
		return phr_fail(PHR_E_LIMIT, "trust state: %zu authorities, limit is %d", count, PHR_MAX_ANCHORS);
	for (i = 0; i < count; i++) {
		struct phr_trust_seen *s = &out[i];
		if ((rc = phr_cbor_get_array(&d, &fields)))
			goto fail_wrap;
		if (fields != 3) {
			rc = phr_fail(PHR_E_SCHEMA, "trust state: item %zu: expected an array of 3, found %zu", i, fields);
			goto fail;
		}
		if ((rc = phr_cbor_get_bytes_exact(&d, s->pk, PHR_PK_LEN)) ||
		    (rc = phr_cbor_get_uint(&d, &s->version)) ||
		    (rc = phr_cbor_get_bytes_exact(&d, s->digest, PHR_TRUST_DIGEST_LEN)))
			goto fail_wrap;
		if (i > 0 && memcmp(out[i - 1].pk, s->pk, PHR_PK_LEN) >= 0) {
			rc = phr_fail(PHR_E_MALFORMED, "trust state: item %zu: keys must be strictly ascending", i);
			goto fail;
		}
	}
	*n = count;
	return PHR_OK;

fail_wrap:
	rc = phr_fail_wrap(rc, "trust state: item %zu", i);
fail:
	memset(out, 0, count * sizeof(*out));
	return rc;
}

struct state {
	const struct phr_trust_seen *s;
	size_t n;
};

static void write_state(struct phr_cbor_enc *e, const void *ctx)
{
	const struct state *x = ctx;
	phr_cbor_put_array(e, x->n);
	for (size_t i = 0; i < x->n; i++) {
		phr_cbor_put_array(e, 3);
		phr_cbor_put_bytes(e, x->s[i].pk, PHR_PK_LEN);
		phr_cbor_put_uint(e, x->s[i].version);
		phr_cbor_put_bytes(e, x->s[i].digest, PHR_TRUST_DIGEST_LEN);
	}
}

int phr_trust_state_encode(const struct phr_trust_seen *s, size_t n, uint8_t **out, size_t *len)
{
	struct state x = { s, n };

	if (!out || !len)
		return phr_fail(PHR_E_ARG, "trust state: no output given");
	*out = NULL;
	*len = 0;
	if (n && !s)
		return phr_fail(PHR_E_ARG, "trust state: list NULL with a count");
	if (n > PHR_MAX_ANCHORS)
		return phr_fail(PHR_E_LIMIT, "trust state: %zu authorities, limit is %d", n, PHR_MAX_ANCHORS);
	for (size_t i = 1; i < n; i++)
		if (memcmp(s[i - 1].pk, s[i].pk, PHR_PK_LEN) >= 0)
			return phr_fail(PHR_E_ARG, "trust state: item %zu: keys must be strictly ascending", i);
	return phr_crypto_encode_alloc(write_state, &x, PHR_MAX_TRUST_STATE_FILE, "trust state", out, len);
}

int phr_trust_check_version(const struct phr_trust *t, struct phr_trust_seen s[PHR_MAX_ANCHORS], size_t *n,
	bool *changed)
{
	const struct phr_pubkey *signer;
	char hex[PHR_KID_HEX_LEN];
	size_t at;
	uint64_t v;

	if (!t || !s || !n || !changed || *n > PHR_MAX_ANCHORS)
		return phr_fail(PHR_E_ARG, "trust state: bad arguments");
	*changed = false;
	signer = phr_trust_signer(t);
	v = phr_trust_version(t);
	phr_kid_to_hex(signer->kid, hex);
	for (at = 0; at < *n && memcmp(s[at].pk, signer->pk, PHR_PK_LEN) < 0; at++)
		;
	if (at < *n && memcmp(s[at].pk, signer->pk, PHR_PK_LEN) == 0) {
		if (v < s[at].version)
			return phr_fail(PHR_E_UNTRUSTED, "trust bundle version %llu from \"%s\" (key id %s) is older "
				"than version %llu already used here: a newer bundle may revoke what this one "
				"trusts; use the newest", (unsigned long long)v, signer->name, hex,
				(unsigned long long)s[at].version);
		if (v == s[at].version) {
			if (sodium_memcmp(s[at].digest, phr_trust_digest(t), PHR_TRUST_DIGEST_LEN) != 0)
				return phr_fail(PHR_E_UNTRUSTED, "trust bundle version %llu from \"%s\" (key id %s) "
					"differs from the version %llu already used here: one version, one bundle",
					(unsigned long long)v, signer->name, hex, (unsigned long long)v);
			return PHR_OK;
		}
	} else {
		if (*n == PHR_MAX_ANCHORS)
			return phr_fail(PHR_E_LIMIT, "trust state: already %d authorities, the limit: cannot "
				"remember \"%s\" (key id %s)", PHR_MAX_ANCHORS, signer->name, hex);
		memmove(&s[at + 1], &s[at], (*n - at) * sizeof(*s));
		(*n)++;
		memcpy(s[at].pk, signer->pk, PHR_PK_LEN);
	}
	s[at].version = v;
	memcpy(s[at].digest, phr_trust_digest(t), PHR_TRUST_DIGEST_LEN);
	*changed = true;
	return PHR_OK;
}
