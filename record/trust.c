/* Trust bundle: authority keys, clinic certificates and revoked kids, signed
 * by one of the listed authorities. */
#include "crypto_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "phr/json.h" /* phr_civil_from_days */

#define TRUST_AAD PHR_AAD_TRUST
#define TRUST_AAD_LEN (sizeof(TRUST_AAD) - 1)

typedef uint8_t kid_t[PHR_KID_LEN];

struct phr_trust {
	uint8_t *buf; /* owned copy; cose and certs point into it */
	size_t len;
	struct phr_cose cose;
	uint64_t version, issued, expires;
	uint8_t digest[PHR_TRUST_DIGEST_LEN]; /* BLAKE2b-256 of buf */
	struct phr_pubkey *auth;
	size_t nauth;
	struct phr_cert *certs;
	size_t ncerts;
	kid_t *revoked; /* strictly ascending */
	size_t nrevoked;
};

static int kid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, PHR_KID_LEN);
}

/* Sorts kids (n <= PHR_MAX_TRUST_ITEMS) and returns the index of the first
 * duplicate, or n if there is none. */
static size_t sort_find_dup(kid_t *kids, size_t n)
{
	qsort(kids, n, sizeof(kid_t), kid_cmp);
	for (size_t i = 1; i < n; i++)
		if (memcmp(kids[i - 1], kids[i], PHR_KID_LEN) == 0)
			return i;
	return n;
}

/* Fails if two of n items (stride bytes apart) share the kid found kid_off
 * bytes into each. */
static int check_unique(const void *items, size_t n, size_t stride, size_t kid_off,
	const char *what)
{
	kid_t *kids;
	size_t dup;
	char hex[PHR_KID_HEX_LEN];

	if (n < 2)
		return PHR_OK;
	kids = malloc(n * sizeof(kid_t)); /* n <= PHR_MAX_TRUST_ITEMS: no overflow */
	if (!kids)
		return phr_fail(PHR_E_NOMEM, "trust bundle: cannot allocate %zu kids", n);
	for (size_t i = 0; i < n; i++)
		memcpy(kids[i], (const uint8_t *)items + i * stride + kid_off, PHR_KID_LEN);
	dup = sort_find_dup(kids, n);
	if (dup < n) {
		phr_kid_to_hex(kids[dup], hex);
		free(kids);
		return phr_fail(PHR_E_MALFORMED, "trust bundle: %s kid %s is listed twice", what, hex);
	}
	free(kids);
	return PHR_OK;
}

static const struct phr_pubkey *find_authority(const struct phr_pubkey *auth, size_t n,
	const uint8_t kid[PHR_KID_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(auth[i].kid, kid, PHR_KID_LEN) == 0)
			return &auth[i];
	return NULL;
}

/* issued < expires <= issued + PHR_TRUST_MAX_DAYS days. */
static int check_lifetime(uint64_t issued, uint64_t expires, int err)
{
	if (expires <= issued)
		return phr_fail(err, "trust bundle: expires (%llu) is not after issued (%llu)",
			(unsigned long long)expires, (unsigned long long)issued);
	if (expires - issued > (uint64_t)PHR_TRUST_MAX_DAYS * 86400)
		return phr_fail(err, "trust bundle: valid for %llu days, more than the %d days allowed",
			(unsigned long long)((expires - issued + 86399) / 86400), PHR_TRUST_MAX_DAYS);
	return PHR_OK;
}

static int get_count(struct phr_cbor_dec *d, uint64_t key, const char *what, size_t *n)
{
	int rc;

	if ((rc = phr_cbor_expect_key(d, key)) || (rc = phr_cbor_get_array(d, n)))
		return phr_fail_wrap(rc, "trust bundle: field %llu (%s)", (unsigned long long)key, what);
	if (*n > PHR_MAX_TRUST_ITEMS)
		return phr_fail(PHR_E_LIMIT, "trust bundle: %zu %s, limit is %d", *n, what,
			PHR_MAX_TRUST_ITEMS);
	return PHR_OK;
}

static int parse_payload(struct phr_trust *t)
{
	static_assert(PHR_MAX_TRUST_ITEMS <= SIZE_MAX / sizeof(struct phr_cert), "item arrays fit");
	struct phr_cbor_dec d;
	char what[64];
	size_t n;
	int rc;

	if ((rc = phr_cbor_dec_init(&d, t->cose.payload, t->cose.payload_len)) ||
	    (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "trust bundle payload");
	if (n != 6)
		return phr_fail(PHR_E_SCHEMA, "trust bundle payload: expected a map of 6 fields, found %zu%s", n,
			n == 5 ? " (a bundle without an expiry, field 6, from an older phr: build it again)" : "");
	if ((rc = phr_cbor_expect_key(&d, 1)) || (rc = phr_cbor_get_uint(&d, &t->version)))
		return phr_fail_wrap(rc, "trust bundle: field 1 (version)");
	if ((rc = phr_cbor_expect_key(&d, 2)) || (rc = phr_cbor_get_uint(&d, &t->issued)))
		return phr_fail_wrap(rc, "trust bundle: field 2 (issued)");

	if ((rc = get_count(&d, 3, "authorities", &t->nauth)))
		return rc;
	t->auth = calloc(t->nauth ? t->nauth : 1, sizeof(*t->auth));
	if (!t->auth)
		return phr_fail(PHR_E_NOMEM, "trust bundle: cannot allocate %zu authorities", t->nauth);
	for (size_t i = 0; i < t->nauth; i++) {
		snprintf(what, sizeof(what), "trust bundle: authority %zu", i);
		if ((rc = phr_cbor_get_map(&d, &n)))
			return phr_fail_wrap(rc, "%s", what);
		if (n != 4)
			return phr_fail(PHR_E_SCHEMA, "%s: expected a map of 4 fields, found %zu", what, n);
		if ((rc = phr_crypto_get_pubkey_fields(&d, &t->auth[i], what, true)))
			return rc;
		if (t->auth[i].kind != PHR_KEY_AUTHORITY)
			return phr_fail(PHR_E_SCHEMA, "%s: kind must be 1 (authority)", what);
	}
	if ((rc = check_unique(t->auth, t->nauth, sizeof(*t->auth),
		     offsetof(struct phr_pubkey, kid), "authority")))
		return rc;

	if ((rc = get_count(&d, 4, "certificates", &t->ncerts)))
		return rc;
	t->certs = calloc(t->ncerts ? t->ncerts : 1, sizeof(*t->certs));
	if (!t->certs)
		return phr_fail(PHR_E_NOMEM, "trust bundle: cannot allocate %zu certificates", t->ncerts);
	/* Only the spans here: certificates are parsed once the bundle's
	 * signature holds (check_signatures), so that a bad one is the
	 * signer's fault (PHR_E_UNTRUSTED), not transport damage. */
	for (size_t i = 0; i < t->ncerts; i++)
		if ((rc = phr_cbor_get_bytes(&d, &t->certs[i].raw, &t->certs[i].raw_len)))
			return phr_fail_wrap(rc, "trust bundle: cert %zu", i);

	if ((rc = get_count(&d, 5, "revoked kids", &t->nrevoked)))
		return rc;
	t->revoked = malloc((t->nrevoked ? t->nrevoked : 1) * sizeof(kid_t));
	if (!t->revoked)
		return phr_fail(PHR_E_NOMEM, "trust bundle: cannot allocate %zu revoked kids", t->nrevoked);
	for (size_t i = 0; i < t->nrevoked; i++) {
		if ((rc = phr_cbor_get_bytes_exact(&d, t->revoked[i], PHR_KID_LEN)))
			return phr_fail_wrap(rc, "trust bundle: revoked kid %zu", i);
		if (i > 0 && memcmp(t->revoked[i - 1], t->revoked[i], PHR_KID_LEN) >= 0) {
			char hex[PHR_KID_HEX_LEN];
			phr_kid_to_hex(t->revoked[i], hex);
			return phr_fail(PHR_E_MALFORMED,
				"trust bundle: revoked kid %zu (%s) is not greater than the one before "
				"(the list must be sorted, without duplicates)", i, hex);
		}
	}
	if ((rc = phr_cbor_expect_key(&d, 6)) || (rc = phr_cbor_get_uint(&d, &t->expires)))
		return phr_fail_wrap(rc, "trust bundle: field 6 (expires)");
	return check_lifetime(t->issued, t->expires, PHR_E_SCHEMA);
}

static int check_signatures(struct phr_trust *t)
{
	const struct phr_pubkey *signer, *issuer;
	char hex[PHR_KID_HEX_LEN];
	int rc;

	signer = find_authority(t->auth, t->nauth, t->cose.kid);
	if (!signer) {
		phr_kid_to_hex(t->cose.kid, hex);
		return phr_fail(PHR_E_UNTRUSTED, "trust bundle signed by unknown key %s", hex);
	}
	if (phr_trust_revoked(t, signer->kid)) {
		phr_kid_to_hex(signer->kid, hex);
		return phr_fail(PHR_E_REVOKED, "trust bundle signed by key %s, which it lists as revoked",
			hex);
	}
	if ((rc = phr_cose_verify(&t->cose, signer->pk, (const uint8_t *)TRUST_AAD, TRUST_AAD_LEN)))
		return phr_fail_wrap(rc, "trust bundle");
	for (size_t i = 0; i < t->ncerts; i++) {
		struct phr_cert *c = &t->certs[i];
		if (phr_cert_parse(c->raw, c->raw_len, c) != PHR_OK)
			return phr_fail_wrap(PHR_E_UNTRUSTED, "trust bundle: cert %zu", i);
		issuer = find_authority(t->auth, t->nauth, c->issuer_kid);
		if (!issuer) {
			phr_kid_to_hex(c->issuer_kid, hex);
			return phr_fail(PHR_E_UNTRUSTED,
				"trust bundle: cert %zu (\"%s\"): issuer kid %s is not a listed authority",
				i, c->subject.name, hex);
		}
		if (phr_cert_verify(c, issuer->pk) != PHR_OK)
			return phr_fail_wrap(PHR_E_UNTRUSTED, "trust bundle: cert %zu", i);
		/* An authority key never acts as a clinic. */
		const struct phr_pubkey *as_auth = find_authority(t->auth, t->nauth, c->subject.kid);
		if (as_auth && memcmp(as_auth->pk, c->subject.pk, PHR_PK_LEN) == 0)
			return phr_fail(PHR_E_UNTRUSTED,
				"trust bundle: cert %zu (\"%s\") certifies the key of the listed authority \"%s\" as a clinic",
				i, c->subject.name, as_auth->name);
	}
	return check_unique(t->certs, t->ncerts, sizeof(*t->certs),
		offsetof(struct phr_cert, subject) + offsetof(struct phr_pubkey, kid),
		"certificate subject");
}

void phr_trust_destroy(struct phr_trust *t)
{
	if (!t)
		return;
	free(t->revoked);
	free(t->certs);
	free(t->auth);
	free(t->buf);
	free(t);
}

int phr_trust_load(const uint8_t *buf, size_t len, struct phr_trust **out)
{
	struct phr_trust *t = NULL;
	int rc;

	if (!out)
		return phr_fail(PHR_E_ARG, "trust bundle: no output pointer given");
	*out = NULL;
	if (!buf)
		return phr_fail(PHR_E_ARG, "trust bundle: no input given");
	if (len > PHR_MAX_TRUST)
		return phr_fail(PHR_E_LIMIT, "trust bundle is %zu bytes, limit is %d", len, PHR_MAX_TRUST);
	if ((rc = phr_crypto_init()))
		return rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return phr_fail(PHR_E_NOMEM, "trust bundle: out of memory");
	t->buf = malloc(len ? len : 1);
	if (!t->buf) {
		rc = phr_fail(PHR_E_NOMEM, "trust bundle: cannot allocate %zu bytes", len);
		goto cleanup;
	}
	memcpy(t->buf, buf, len);
	t->len = len;
	crypto_generichash(t->digest, sizeof(t->digest), t->buf, t->len, NULL, 0);
	if ((rc = phr_cose_parse(t->buf, t->len, &t->cose))) {
		rc = phr_fail_wrap(rc, "trust bundle");
		goto cleanup;
	}
	if ((rc = parse_payload(t)))
		goto cleanup;
	if ((rc = check_signatures(t)))
		goto cleanup;
	*out = t;
	t = NULL;

cleanup:
	phr_trust_destroy(t);
	return rc;
}

struct bundle {
	const struct phr_pubkey *auth;
	size_t nauth;
	const uint8_t *const *certs;
	const size_t *cert_lens;
	size_t ncerts;
	const kid_t *revoked;
	size_t nrevoked;
	uint64_t version, issued, expires;
};

static void write_bundle(struct phr_cbor_enc *e, const void *ctx)
{
	const struct bundle *b = ctx;
	phr_cbor_put_map(e, 6);
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_uint(e, b->version);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_uint(e, b->issued);
	phr_cbor_put_uint(e, 3);
	phr_cbor_put_array(e, b->nauth);
	for (size_t i = 0; i < b->nauth; i++) {
		phr_cbor_put_map(e, 4);
		phr_crypto_put_pubkey_fields(e, &b->auth[i]);
	}
	phr_cbor_put_uint(e, 4);
	phr_cbor_put_array(e, b->ncerts);
	for (size_t i = 0; i < b->ncerts; i++)
		phr_cbor_put_bytes(e, b->certs[i], b->cert_lens[i]);
	phr_cbor_put_uint(e, 5);
	phr_cbor_put_array(e, b->nrevoked);
	for (size_t i = 0; i < b->nrevoked; i++)
		phr_cbor_put_bytes(e, b->revoked[i], PHR_KID_LEN);
	phr_cbor_put_uint(e, 6);
	phr_cbor_put_uint(e, b->expires);
}

static int check_build_args(const struct phr_seckey *signer, const struct phr_pubkey *auth,
	size_t nauth, const uint8_t *const *certs, const size_t *cert_lens, size_t ncerts,
	const uint8_t (*revoked)[PHR_KID_LEN], size_t nrevoked)
{
	char what[64], hex[PHR_KID_HEX_LEN];
	bool listed = false;
	int rc;

	if (!signer)
		return phr_fail(PHR_E_ARG, "trust bundle: no signing key given");
	if (signer->pub.kind != PHR_KEY_AUTHORITY)
		return phr_fail(PHR_E_ARG, "trust bundle: signer \"%s\" is not an authority key",
			signer->pub.name);
	if (nauth > PHR_MAX_TRUST_ITEMS || ncerts > PHR_MAX_TRUST_ITEMS ||
	    nrevoked > PHR_MAX_TRUST_ITEMS)
		return phr_fail(PHR_E_LIMIT, "trust bundle: more than %d authorities, certificates "
			"or revoked kids", PHR_MAX_TRUST_ITEMS);
	if ((nauth && !auth) || (ncerts && (!certs || !cert_lens)) || (nrevoked && !revoked))
		return phr_fail(PHR_E_ARG, "trust bundle: a list is NULL but its count is not 0");
	for (size_t i = 0; i < nauth; i++) {
		snprintf(what, sizeof(what), "trust bundle: authority %zu", i);
		if ((rc = phr_crypto_check_pubkey(&auth[i], PHR_KEY_AUTHORITY, what)))
			return rc == PHR_E_SCHEMA ? PHR_E_ARG : rc;
		if (memcmp(auth[i].pk, signer->pub.pk, PHR_PK_LEN) == 0)
			listed = true;
	}
	if (!listed) {
		phr_kid_to_hex(signer->pub.kid, hex);
		return phr_fail(PHR_E_ARG, "trust bundle: signer kid %s is not among the listed authorities",
			hex);
	}
	for (size_t i = 0; i < ncerts; i++)
		if (!certs[i] || cert_lens[i] > PHR_MAX_CERT)
			return phr_fail(PHR_E_ARG, "trust bundle: cert %zu is missing or over %d bytes",
				i, PHR_MAX_CERT);
	return PHR_OK;
}

int phr_trust_build(const struct phr_seckey *signer, const struct phr_pubkey *authorities,
	size_t nauth, const uint8_t *const *certs, const size_t *cert_lens, size_t ncerts,
	const uint8_t (*revoked)[PHR_KID_LEN], size_t nrevoked, uint64_t version,
	uint64_t issued, uint64_t expires, uint8_t **out, size_t *len)
{
	struct bundle b = { authorities, nauth, certs, cert_lens, ncerts, NULL, 0, version, issued, expires };
	struct phr_trust *check = NULL;
	kid_t *rev = NULL;
	uint8_t *payload = NULL;
	size_t plen;
	int rc;

	if (!out || !len)
		return phr_fail(PHR_E_ARG, "trust bundle: no output pointer given");
	*out = NULL;
	*len = 0;
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = check_build_args(signer, authorities, nauth, certs, cert_lens, ncerts, revoked,
		     nrevoked)) || (rc = check_lifetime(issued, expires, PHR_E_ARG)))
		return rc;

	rev = malloc((nrevoked ? nrevoked : 1) * sizeof(kid_t)); /* bounded above */
	if (!rev)
		return phr_fail(PHR_E_NOMEM, "trust bundle: cannot allocate %zu revoked kids", nrevoked);
	if (nrevoked)
		memcpy(rev, revoked, nrevoked * sizeof(kid_t));
	qsort(rev, nrevoked, sizeof(kid_t), kid_cmp);
	for (size_t i = 0; i < nrevoked; i++)
		if (b.nrevoked == 0 || memcmp(rev[b.nrevoked - 1], rev[i], PHR_KID_LEN) != 0)
			memmove(rev[b.nrevoked++], rev[i], PHR_KID_LEN);
	b.revoked = (const kid_t *)rev;

	if ((rc = phr_crypto_encode_alloc(write_bundle, &b, PHR_MAX_TRUST, "trust bundle payload",
		     &payload, &plen)))
		goto cleanup;
	if ((rc = phr_cose_sign1(signer, payload, plen, (const uint8_t *)TRUST_AAD, TRUST_AAD_LEN,
		     out, len)))
		goto cleanup;
	if (*len > PHR_MAX_TRUST) {
		rc = phr_fail(PHR_E_LIMIT, "trust bundle is %zu bytes, limit is %d", *len, PHR_MAX_TRUST);
		goto cleanup;
	}
	/* Never hand out a bundle that phr_trust_load() would refuse. */
	if ((rc = phr_trust_load(*out, *len, &check)))
		rc = phr_fail_wrap(rc, "built trust bundle does not load");

cleanup:
	if (rc) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	phr_trust_destroy(check);
	free(payload);
	free(rev);
	return rc;
}

/* ---- checks a verifier makes after loading ---------------------------- */

/* "YYYY-MM-DD HH:MM UTC" */
static void format_utc(uint64_t t, char out[24])
{
	int y, m, d;
	if (t > 253402300799u) /* 9999-12-31T23:59:59Z */
		t = 253402300799u;
	phr_civil_from_days((int64_t)(t / 86400) + phr_days_from_civil(1970, 1, 1), &y, &m, &d);
	snprintf(out, 24, "%04d-%02d-%02d %02u:%02u UTC", y % 10000, m % 100, d % 100,
		(unsigned)(t % 86400 / 3600), (unsigned)(t % 3600 / 60));
}

int phr_trust_check_time(const struct phr_trust *t, uint64_t now)
{
	char when[24], hex[PHR_KID_HEX_LEN];

	if (!t)
		return phr_fail(PHR_E_ARG, "trust bundle: none given");
	if (now <= t->expires)
		return PHR_OK;
	format_utc(t->expires, when);
	phr_kid_to_hex(t->cose.kid, hex);
	return phr_fail(PHR_E_UNTRUSTED, "trust bundle version %llu from \"%s\" (key id %s) expired on %s: "
		"get a newer one from that authority", (unsigned long long)t->version,
		phr_trust_signer(t)->name, hex, when);
}

int phr_trust_check_signer(const struct phr_trust *t, const struct phr_pubkey *anchors, size_t n)
{
	const struct phr_pubkey *s;
	char hex[PHR_KID_HEX_LEN];

	if (!t || (n && !anchors))
		return phr_fail(PHR_E_ARG, "trust bundle: no bundle, or anchors NULL with a count");
	s = phr_trust_signer(t);
	/* The whole key: a kid is 64 bits, short enough that a second key
	 * sharing one is within an attacker's reach. */
	for (size_t i = 0; i < n; i++)
		if (anchors[i].kind == PHR_KEY_AUTHORITY && memcmp(anchors[i].pk, s->pk, PHR_PK_LEN) == 0)
			return PHR_OK;
	phr_kid_to_hex(s->kid, hex);
	return phr_fail(PHR_E_UNTRUSTED, "trust bundle signed by \"%s\" (%s), key id %s, which is not a "
		"trust anchor here", s->name, s->country, hex);
}

/* ---- lookups ---------------------------------------------------------- */

const struct phr_pubkey *phr_trust_authority(const struct phr_trust *t, const uint8_t kid[PHR_KID_LEN])
{
	return t && kid ? find_authority(t->auth, t->nauth, kid) : NULL;
}

const struct phr_cert *phr_trust_cert(const struct phr_trust *t, const uint8_t subject_kid[PHR_KID_LEN])
{
	if (!t || !subject_kid)
		return NULL;
	for (size_t i = 0; i < t->ncerts; i++)
		if (memcmp(t->certs[i].subject.kid, subject_kid, PHR_KID_LEN) == 0)
			return &t->certs[i];
	return NULL;
}

bool phr_trust_revoked(const struct phr_trust *t, const uint8_t kid[PHR_KID_LEN])
{
	if (!t || !kid || t->nrevoked == 0)
		return false;
	return bsearch(kid, t->revoked, t->nrevoked, sizeof(kid_t), kid_cmp) != NULL;
}

uint64_t phr_trust_version(const struct phr_trust *t)
{
	return t ? t->version : 0;
}

uint64_t phr_trust_issued(const struct phr_trust *t)
{
	return t ? t->issued : 0;
}

uint64_t phr_trust_expires(const struct phr_trust *t)
{
	return t ? t->expires : 0;
}

const uint8_t *phr_trust_digest(const struct phr_trust *t)
{
	return t ? t->digest : NULL;
}

const struct phr_pubkey *phr_trust_signer(const struct phr_trust *t)
{
	/* Never NULL for a loaded bundle: its signer is a listed authority. */
	return t ? find_authority(t->auth, t->nauth, t->cose.kid) : NULL;
}

const uint8_t *phr_trust_signer_kid(const struct phr_trust *t)
{
	return t ? t->cose.kid : NULL;
}

size_t phr_trust_count_authorities(const struct phr_trust *t)
{
	return t ? t->nauth : 0;
}

const struct phr_pubkey *phr_trust_authority_at(const struct phr_trust *t, size_t i)
{
	return t && i < t->nauth ? &t->auth[i] : NULL;
}

size_t phr_trust_count_certs(const struct phr_trust *t)
{
	return t ? t->ncerts : 0;
}

const struct phr_cert *phr_trust_cert_at(const struct phr_trust *t, size_t i)
{
	return t && i < t->ncerts ? &t->certs[i] : NULL;
}

size_t phr_trust_count_revoked(const struct phr_trust *t)
{
	return t ? t->nrevoked : 0;
}

const uint8_t *phr_trust_revoked_at(const struct phr_trust *t, size_t i)
{
	return t && i < t->nrevoked ? t->revoked[i] : NULL;
}
