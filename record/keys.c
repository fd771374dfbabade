/* Keys: generation, .pub encoding, passphrase-sealed .key files. */
#include "crypto_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static_assert(PHR_PK_LEN == crypto_sign_PUBLICKEYBYTES, "pk size");
static_assert(PHR_SEED_LEN == crypto_sign_SEEDBYTES, "seed size");
static_assert(sizeof(((struct phr_seckey *)0)->sk) == crypto_sign_SECRETKEYBYTES, "sk size");
static_assert(crypto_generichash_BYTES == 32, "BLAKE2b-256");

#define SALT_LEN crypto_pwhash_SALTBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define CT_LEN (PHR_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
static_assert(SALT_LEN == 16 && NONCE_LEN == 24 && AEAD_KEY_LEN == 32 && CT_LEN == 48,
	"key file field sizes are part of the format");
/* A key file's AAD (map of fields 1..7) is at most this long: every field is
 * bounded, the name by PHR_MAX_NAME. */
#define KEY_AAD_MAX 256

int phr_crypto_init(void)
{
	if (sodium_init() < 0)
		return phr_fail(PHR_E_CRYPTO, "libsodium failed to initialise");
	return PHR_OK;
}

void phr_kid_of(const uint8_t pk[PHR_PK_LEN], uint8_t kid[PHR_KID_LEN])
{
	uint8_t h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof(h), pk, PHR_PK_LEN, NULL, 0);
	memcpy(kid, h, PHR_KID_LEN);
}

void phr_kid_to_hex(const uint8_t kid[PHR_KID_LEN], char out[PHR_KID_HEX_LEN])
{
	sodium_bin2hex(out, PHR_KID_HEX_LEN, kid, PHR_KID_LEN);
}

/* ---- field checks ----------------------------------------------------- */

/* UTF-8 (RFC 3629: shortest form, no surrogates, <= U+10FFFF) without
 * C0, DEL or C1 controls, bidi embeddings, overrides or isolates, or
 * U+2028/U+2029: names end up on terminals and printed pages. */
static int check_name(const char *s, size_t n, const char *what)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	if (n == 0)
		return phr_fail(PHR_E_SCHEMA, "%s: name is empty", what);
	if (n > PHR_MAX_NAME)
		return phr_fail(PHR_E_SCHEMA, "%s: name is longer than %d bytes", what, PHR_MAX_NAME);
	while (i < n) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t extra;
		if (c < 0x80) {
			cp = c;
			extra = 0;
		} else if (c >= 0xc2 && c <= 0xdf) {
			cp = c & 0x1f;
			extra = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			cp = c & 0x0f;
			extra = 2;
		} else if (c >= 0xf0 && c <= 0xf4) {
			cp = c & 0x07;
			extra = 3;
		} else {
			return phr_fail(PHR_E_SCHEMA, "%s: name is not UTF-8 (byte %zu)", what, i);
		}
		if (extra > n - i - 1)
			return phr_fail(PHR_E_SCHEMA, "%s: name is not UTF-8 (byte %zu)", what, i);
		for (size_t j = 1; j <= extra; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return phr_fail(PHR_E_SCHEMA, "%s: name is not UTF-8 (byte %zu)",
					what, i + j);
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return phr_fail(PHR_E_SCHEMA, "%s: name is not UTF-8 (byte %zu)", what, i);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return phr_fail(PHR_E_SCHEMA,
				"%s: name holds control character U+%04X at byte %zu",
				what, (unsigned)cp, i);
		/* the bidi rule of text fields (phr_text_forbidden) */
		if (cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return phr_fail(PHR_E_SCHEMA,
				"%s: name holds U+%04X at byte %zu, a bidi override, embedding, isolate "
				"or line break", what, (unsigned)cp, i);
		i += extra + 1;
	}
	return PHR_OK;
}

static int check_country(const char *s, size_t n, const char *what)
{
	if (n != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return phr_fail(PHR_E_SCHEMA,
			"%s: country must be two uppercase letters (ISO 3166-1 alpha-2)", what);
	return PHR_OK;
}

static int check_kind(uint64_t kind, int want_kind, const char *what)
{
	if (kind != PHR_KEY_AUTHORITY && kind != PHR_KEY_CLINIC)
		return phr_fail(PHR_E_SCHEMA, "%s: key kind %llu is neither 1 (authority) nor 2 (clinic)",
			what, (unsigned long long)kind);
	if (want_kind && kind != (uint64_t)want_kind)
		return phr_fail(PHR_E_SCHEMA, "%s: key kind is %s, expected %s", what,
			kind == PHR_KEY_AUTHORITY ? "authority" : "clinic",
			want_kind == PHR_KEY_AUTHORITY ? "authority" : "clinic");
	return PHR_OK;
}

static int check_pk(const uint8_t pk[PHR_PK_LEN], const char *what)
{
	if (!crypto_core_ed25519_is_valid_point(pk))
		return phr_fail(PHR_E_MALFORMED, "%s: public key is not a valid Ed25519 point", what);
	return PHR_OK;
}

int phr_crypto_check_pubkey(const struct phr_pubkey *p, int want_kind, const char *what)
{
	int rc;
	size_t n;

	if (!p)
		return phr_fail(PHR_E_ARG, "%s: no public key given", what);
	if ((rc = check_kind((uint64_t)(unsigned)p->kind, want_kind, what)))
		return rc;
	n = strnlen(p->name, sizeof(p->name));
	if (n == sizeof(p->name))
		return phr_fail(PHR_E_ARG, "%s: name is not NUL-terminated", what);
	if ((rc = check_name(p->name, n, what)))
		return rc;
	if ((rc = check_country(p->country, strnlen(p->country, sizeof(p->country)), what)))
		return rc;
	return check_pk(p->pk, what);
}

/* ---- shared encoding helpers ------------------------------------------ */

void phr_crypto_put_pubkey_fields(struct phr_cbor_enc *e, const struct phr_pubkey *p)
{
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_uint(e, (uint64_t)p->kind);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_text(e, p->name, strlen(p->name));
	phr_cbor_put_uint(e, 3);
	phr_cbor_put_text(e, p->country, 2);
	phr_cbor_put_uint(e, 4);
	phr_cbor_put_bytes(e, p->pk, PHR_PK_LEN);
}

int phr_crypto_get_pubkey_fields(struct phr_cbor_dec *d, struct phr_pubkey *p, const char *what, bool check_point)
{
	uint64_t kind;
	const char *s;
	size_t n;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = phr_cbor_expect_key(d, 1)) || (rc = phr_cbor_get_uint(d, &kind)))
		return phr_fail_wrap(rc, "%s: field 1 (kind)", what);
	if ((rc = check_kind(kind, 0, what)))
		return rc;
	p->kind = (int)kind;
	if ((rc = phr_cbor_expect_key(d, 2)) || (rc = phr_cbor_get_text(d, &s, &n)))
		return phr_fail_wrap(rc, "%s: field 2 (name)", what);
	if ((rc = check_name(s, n, what)))
		return rc;
	memcpy(p->name, s, n);
	if ((rc = phr_cbor_expect_key(d, 3)) || (rc = phr_cbor_get_text(d, &s, &n)))
		return phr_fail_wrap(rc, "%s: field 3 (country)", what);
	if ((rc = check_country(s, n, what)))
		return rc;
	memcpy(p->country, s, 2);
	if ((rc = phr_cbor_expect_key(d, 4)) || (rc = phr_cbor_get_bytes_exact(d, p->pk, PHR_PK_LEN)))
		return phr_fail_wrap(rc, "%s: field 4 (public key)", what);
	if (check_point && (rc = check_pk(p->pk, what)))
		return rc;
	phr_kid_of(p->pk, p->kid);
	return PHR_OK;
}

int phr_crypto_encode_alloc(phr_crypto_writer write, const void *ctx, size_t limit,
	const char *what, uint8_t **out, size_t *len)
{
	struct phr_cbor_enc e;
	uint8_t *buf;
	size_t need, got;
	int rc;

	phr_cbor_enc_init(&e, NULL, 0);
	write(&e, ctx);
	if ((rc = phr_cbor_enc_finish(&e, &need)))
		return phr_fail_wrap(rc, "encoding %s", what);
	if (need > limit)
		return phr_fail(PHR_E_LIMIT, "%s would be %zu bytes, limit is %zu", what, need, limit);
	buf = malloc(need ? need : 1);
	if (!buf)
		return phr_fail(PHR_E_NOMEM, "%s: cannot allocate %zu bytes", what, need);
	phr_cbor_enc_init(&e, buf, need);
	write(&e, ctx);
	rc = phr_cbor_enc_finish(&e, &got);
	if (rc || got != need) {
		free(buf);
		return rc ? phr_fail_wrap(rc, "encoding %s", what)
			  : phr_fail(PHR_E_BUFFER, "encoding %s: size changed between passes", what);
	}
	*out = buf;
	*len = need;
	return PHR_OK;
}

/* ---- key creation ----------------------------------------------------- */

static int make_key(int kind, const char *name, const char *country,
	const uint8_t seed[PHR_SEED_LEN], struct phr_seckey **out)
{
	struct phr_seckey *k;
	size_t n;
	int rc;

	if (!out)
		return phr_fail(PHR_E_ARG, "key: no output pointer given");
	*out = NULL;
	if (!name || !country || !seed)
		return phr_fail(PHR_E_ARG, "key: name, country and seed are required");
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = check_kind((uint64_t)(unsigned)kind, 0, "key")))
		return rc == PHR_E_SCHEMA ? PHR_E_ARG : rc;
	n = strnlen(name, PHR_MAX_NAME + 1);
	if ((rc = check_name(name, n, "key")))
		return PHR_E_ARG;
	if ((rc = check_country(country, strnlen(country, 3), "key")))
		return PHR_E_ARG;

	k = sodium_malloc(sizeof(*k));
	if (!k)
		return phr_fail(PHR_E_NOMEM, "key: cannot allocate secure memory");
	memset(k, 0, sizeof(*k));
	k->pub.kind = kind;
	memcpy(k->pub.name, name, n);
	memcpy(k->pub.country, country, 2);
	memcpy(k->seed, seed, PHR_SEED_LEN);
	if (crypto_sign_seed_keypair(k->pub.pk, k->sk, k->seed) != 0) {
		sodium_free(k);
		return phr_fail(PHR_E_CRYPTO, "key: Ed25519 key derivation failed");
	}
	phr_kid_of(k->pub.pk, k->pub.kid);
	sodium_mprotect_readonly(k);
	*out = k;
	return PHR_OK;
}

int phr_key_from_seed(int kind, const char *name, const char *country,
	const uint8_t seed[PHR_SEED_LEN], struct phr_seckey **out)
{
	return make_key(kind, name, country, seed, out);
}

int phr_key_generate(int kind, const char *name, const char *country, struct phr_seckey **out)
{
	uint8_t *seed;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = phr_crypto_init()))
		return rc;
	seed = sodium_malloc(PHR_SEED_LEN);
	if (!seed)
		return phr_fail(PHR_E_NOMEM, "key: cannot allocate secure memory");
	randombytes_buf(seed, PHR_SEED_LEN);
	rc = make_key(kind, name, country, seed, out);
	sodium_free(seed);
	return rc;
}

void phr_seckey_destroy(struct phr_seckey *k)
{
	/* sodium_free() makes the region writable and zeroes it before unmapping. */
	if (k)
		sodium_free(k);
}

const struct phr_pubkey *phr_seckey_public(const struct phr_seckey *k)
{
	return k ? &k->pub : NULL;
}

/* ---- .pub files ------------------------------------------------------- */

/* A .pub file is {1..4: the key, 5: self-signature}. The self-signature is
 * the key's own Ed25519 signature of the COSE Sig_structure ["Signature1",
 * protected {1: -8, 4: kid}, external AAD "phr/pub", payload = the map of
 * fields 1..4]: proof that the holder of the secret key stated this kind,
 * name and country, so that nobody else can turn an authority's .pub into a
 * clinic's (docs/FORMAT.md, "Key files"). */
#define PUB_AAD PHR_AAD_PUB
#define PUB_AAD_LEN (sizeof(PUB_AAD) - 1)
/* The map of fields 1..4: every field is bounded, the name by PHR_MAX_NAME. */
#define PUB_PAYLOAD_MAX 192

struct pubfile {
	const struct phr_pubkey *pub;
	uint8_t sig[PHR_SIG_LEN];
};

static int pub_payload(const struct phr_pubkey *p, uint8_t out[PUB_PAYLOAD_MAX], size_t *len)
{
	struct phr_cbor_enc e;
	int rc;

	phr_cbor_enc_init(&e, out, PUB_PAYLOAD_MAX);
	phr_cbor_put_map(&e, 4);
	phr_crypto_put_pubkey_fields(&e, p);
	if ((rc = phr_cbor_enc_finish(&e, len)))
		return phr_fail_wrap(rc, ".pub file: encoding fields 1..4");
	return PHR_OK;
}

static void write_pub(struct phr_cbor_enc *e, const void *ctx)
{
	const struct pubfile *f = ctx;
	phr_cbor_put_map(e, 5);
	phr_crypto_put_pubkey_fields(e, f->pub);
	phr_cbor_put_uint(e, 5);
	phr_cbor_put_bytes(e, f->sig, PHR_SIG_LEN);
}

int phr_pubkey_encode(const struct phr_seckey *k, uint8_t **out, size_t *len)
{
	struct pubfile f;
	struct phr_cose c;
	uint8_t payload[PUB_PAYLOAD_MAX], *signed_pub = NULL;
	size_t plen, slen;
	int rc;

	if (!out || !len)
		return phr_fail(PHR_E_ARG, ".pub file: no output pointer given");
	*out = NULL;
	*len = 0;
	if (!k)
		return phr_fail(PHR_E_ARG, ".pub file: no key given");
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = phr_crypto_check_pubkey(&k->pub, 0, ".pub file")))
		return rc == PHR_E_SCHEMA ? PHR_E_ARG : rc;
	if ((rc = pub_payload(&k->pub, payload, &plen)))
		return rc;
	/* The COSE_Sign1 machinery builds the Sig_structure; only its
	 * signature is kept. */
	if ((rc = phr_cose_sign1(k, payload, plen, (const uint8_t *)PUB_AAD, PUB_AAD_LEN, &signed_pub, &slen)))
		return phr_fail_wrap(rc, ".pub file: self-signature");
	if ((rc = phr_cose_parse(signed_pub, slen, &c))) {
		free(signed_pub);
		return phr_fail_wrap(rc, ".pub file: self-signature");
	}
	f.pub = &k->pub;
	memcpy(f.sig, c.sig, PHR_SIG_LEN);
	free(signed_pub);
	return phr_crypto_encode_alloc(write_pub, &f, PHR_MAX_KEYFILE, ".pub file", out, len);
}

/* Checks sig, the self-signature of p's fields 1..4 by p's own key. */
static int check_self_signature(const struct phr_pubkey *p, const uint8_t sig[PHR_SIG_LEN])
{
	uint8_t payload[PUB_PAYLOAD_MAX];
	uint8_t prot[5 + PHR_KID_LEN] = { 0xa2, 0x01, 0x27, 0x04, 0x40 | PHR_KID_LEN };
	size_t plen;
	int rc;

	if ((rc = pub_payload(p, payload, &plen)))
		return rc;
	memcpy(prot + 5, p->kid, PHR_KID_LEN);
	struct phr_cose c = { prot, sizeof(prot), { 0 }, payload, plen, sig };
	memcpy(c.kid, p->kid, PHR_KID_LEN);
	rc = phr_cose_verify(&c, p->pk, (const uint8_t *)PUB_AAD, PUB_AAD_LEN);
	if (rc == PHR_E_BAD_SIGNATURE)
		return phr_fail(PHR_E_MALFORMED,
			".pub file: the self-signature (field 5) does not verify: kind, name, country or "
			"key changed since the key's holder signed them");
	return rc ? phr_fail_wrap(rc, ".pub file: self-signature") : PHR_OK;
}

int phr_pubkey_decode(const uint8_t *buf, size_t len, struct phr_pubkey *out)
{
	struct phr_cbor_dec d;
	uint8_t sig[PHR_SIG_LEN];
	size_t n;
	int rc;

	if (!out)
		return phr_fail(PHR_E_ARG, ".pub file: no output given");
	memset(out, 0, sizeof(*out));
	if (!buf)
		return phr_fail(PHR_E_ARG, ".pub file: no input given");
	if (len > PHR_MAX_KEYFILE)
		return phr_fail(PHR_E_LIMIT, ".pub file is %zu bytes, limit is %d", len, PHR_MAX_KEYFILE);
	if ((rc = phr_crypto_init()))
		return rc;
	if ((rc = phr_cbor_dec_init(&d, buf, len)) || (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, ".pub file");
	if (n != 5)
		return phr_fail(PHR_E_SCHEMA, ".pub file: expected a map of 5 fields, found %zu%s", n,
			n == 4 ? " (a .pub file without the self-signature of field 5: write it again "
				 "with 'phr authority init' or 'phr clinic init')" : "");
	if ((rc = phr_crypto_get_pubkey_fields(&d, out, ".pub file", true)))
		goto fail;
	if ((rc = phr_cbor_expect_key(&d, 5)) || (rc = phr_cbor_get_bytes_exact(&d, sig, PHR_SIG_LEN))) {
		rc = phr_fail_wrap(rc, ".pub file: field 5 (self-signature)");
		goto fail;
	}
	if ((rc = check_self_signature(out, sig)))
		goto fail;
	return PHR_OK;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- .key files ------------------------------------------------------- */

struct keyfile {
	const struct phr_pubkey *pub;
	uint8_t salt[SALT_LEN];
	uint64_t opslimit, memlimit;
	uint8_t nonce[NONCE_LEN];
	uint8_t ct[CT_LEN];
};

static void write_key_fields_1_7(struct phr_cbor_enc *e, const struct keyfile *f)
{
	phr_crypto_put_pubkey_fields(e, f->pub);
	phr_cbor_put_uint(e, 5);
	phr_cbor_put_bytes(e, f->salt, SALT_LEN);
	phr_cbor_put_uint(e, 6);
	phr_cbor_put_uint(e, f->opslimit);
	phr_cbor_put_uint(e, 7);
	phr_cbor_put_uint(e, f->memlimit);
}

static void write_keyfile(struct phr_cbor_enc *e, const void *ctx)
{
	const struct keyfile *f = ctx;
	phr_cbor_put_map(e, 9);
	write_key_fields_1_7(e, f);
	phr_cbor_put_uint(e, 8);
	phr_cbor_put_bytes(e, f->nonce, NONCE_LEN);
	phr_cbor_put_uint(e, 9);
	phr_cbor_put_bytes(e, f->ct, CT_LEN);
}

/* AAD = deterministic CBOR of the map of fields 1..7, so that changing the
 * name, kind, public key or Argon2 parameters makes decryption fail. */
static int key_aad(const struct keyfile *f, uint8_t aad[KEY_AAD_MAX], size_t *aadlen)
{
	struct phr_cbor_enc e;
	int rc;

	phr_cbor_enc_init(&e, aad, KEY_AAD_MAX);
	phr_cbor_put_map(&e, 7);
	write_key_fields_1_7(&e, f);
	if ((rc = phr_cbor_enc_finish(&e, aadlen)))
		return phr_fail_wrap(rc, "key file: encoding the AAD");
	return PHR_OK;
}

static int check_pwhash_limits(uint64_t opslimit, uint64_t memlimit, int err)
{
	if (opslimit < 1 || opslimit > PHR_KEY_MAX_OPSLIMIT)
		return phr_fail(err, "key file: Argon2id opslimit %llu outside 1..%d",
			(unsigned long long)opslimit, PHR_KEY_MAX_OPSLIMIT);
	if (memlimit < PHR_KEY_MIN_MEMLIMIT || memlimit > PHR_KEY_MAX_MEMLIMIT)
		return phr_fail(err, "key file: Argon2id memlimit %llu outside %u..%u bytes",
			(unsigned long long)memlimit, PHR_KEY_MIN_MEMLIMIT, PHR_KEY_MAX_MEMLIMIT);
	return PHR_OK;
}

static int derive_key(uint8_t *key, const char *pass, size_t passlen, const struct keyfile *f)
{
	static const char empty[1] = "";
	if (crypto_pwhash(key, AEAD_KEY_LEN, pass ? pass : empty, passlen, f->salt,
		    (unsigned long long)f->opslimit, (size_t)f->memlimit,
		    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return phr_fail(PHR_E_NOMEM, "key file: Argon2id failed (out of memory for %llu bytes?)",
			(unsigned long long)f->memlimit);
	return PHR_OK;
}

int phr_key_seal_params(const struct phr_seckey *k, const char *pass, size_t passlen,
	uint64_t opslimit, uint64_t memlimit, uint8_t **out, size_t *outlen)
{
	struct keyfile f;
	uint8_t aad[KEY_AAD_MAX];
	size_t aadlen;
	unsigned long long ctlen;
	uint8_t *key = NULL;
	int rc;

	if (!out || !outlen)
		return phr_fail(PHR_E_ARG, "key file: no output pointer given");
	*out = NULL;
	*outlen = 0;
	if (!k)
		return phr_fail(PHR_E_ARG, "key file: no key given");
	if (!pass || passlen == 0)
		return phr_fail(PHR_E_ARG, "key file: the passphrase is empty");
	if ((rc = check_pwhash_limits(opslimit, memlimit, PHR_E_ARG)))
		return rc;
	if ((rc = phr_crypto_init()))
		return rc;

	memset(&f, 0, sizeof(f));
	f.pub = &k->pub;
	f.opslimit = opslimit;
	f.memlimit = memlimit;
	randombytes_buf(f.salt, sizeof(f.salt));
	randombytes_buf(f.nonce, sizeof(f.nonce));

	key = sodium_malloc(AEAD_KEY_LEN);
	if (!key) {
		rc = phr_fail(PHR_E_NOMEM, "key file: cannot allocate secure memory");
		goto cleanup;
	}
	if ((rc = derive_key(key, pass, passlen, &f)))
		goto cleanup;
	if ((rc = key_aad(&f, aad, &aadlen)))
		goto cleanup;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(f.ct, &ctlen, k->seed, PHR_SEED_LEN,
		    aad, aadlen, NULL, f.nonce, key) != 0 || ctlen != CT_LEN) {
		rc = phr_fail(PHR_E_CRYPTO, "key file: encryption failed");
		goto cleanup;
	}
	rc = phr_crypto_encode_alloc(write_keyfile, &f, PHR_MAX_KEYFILE, "key file", out, outlen);

cleanup:
	sodium_free(key);
	return rc;
}

int phr_key_seal(const struct phr_seckey *k, const char *pass, size_t passlen,
	uint8_t **out, size_t *outlen)
{
	return phr_key_seal_params(k, pass, passlen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
		crypto_pwhash_MEMLIMIT_INTERACTIVE, out, outlen);
}

static int parse_keyfile(const uint8_t *file, size_t len, struct phr_pubkey *pub,
	struct keyfile *f)
{
	struct phr_cbor_dec d;
	size_t n;
	int rc;

	if ((rc = phr_cbor_dec_init(&d, file, len)) || (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "key file");
	if (n != 9)
		return phr_fail(PHR_E_SCHEMA, "key file: expected a map of 9 fields, found %zu", n);
	if ((rc = phr_crypto_get_pubkey_fields(&d, pub, "key file", true)))
		return rc;
	f->pub = pub;
	if ((rc = phr_cbor_expect_key(&d, 5)) ||
	    (rc = phr_cbor_get_bytes_exact(&d, f->salt, SALT_LEN)))
		return phr_fail_wrap(rc, "key file: field 5 (salt)");
	if ((rc = phr_cbor_expect_key(&d, 6)) || (rc = phr_cbor_get_uint(&d, &f->opslimit)))
		return phr_fail_wrap(rc, "key file: field 6 (opslimit)");
	if ((rc = phr_cbor_expect_key(&d, 7)) || (rc = phr_cbor_get_uint(&d, &f->memlimit)))
		return phr_fail_wrap(rc, "key file: field 7 (memlimit)");
	if ((rc = phr_cbor_expect_key(&d, 8)) ||
	    (rc = phr_cbor_get_bytes_exact(&d, f->nonce, NONCE_LEN)))
		return phr_fail_wrap(rc, "key file: field 8 (nonce)");
	if ((rc = phr_cbor_expect_key(&d, 9)) || (rc = phr_cbor_get_bytes_exact(&d, f->ct, CT_LEN)))
		return phr_fail_wrap(rc, "key file: field 9 (ciphertext)");
	return PHR_OK;
}

int phr_key_open(const uint8_t *file, size_t len, const char *pass, size_t passlen,
	struct phr_seckey **out)
{
	struct phr_pubkey pub;
	struct keyfile f;
	uint8_t aad[KEY_AAD_MAX];
	size_t aadlen;
	unsigned long long seedlen;
	uint8_t *key = NULL, *seed = NULL;
	struct phr_seckey *k = NULL;
	int rc;

	if (!out)
		return phr_fail(PHR_E_ARG, "key file: no output pointer given");
	*out = NULL;
	if (!file)
		return phr_fail(PHR_E_ARG, "key file: no input given");
	if (!pass && passlen)
		return phr_fail(PHR_E_ARG, "key file: passphrase is NULL");
	if (len > PHR_MAX_KEYFILE)
		return phr_fail(PHR_E_LIMIT, "key file is %zu bytes, limit is %d", len, PHR_MAX_KEYFILE);
	if ((rc = phr_crypto_init()))
		return rc;
	memset(&f, 0, sizeof(f));
	if ((rc = parse_keyfile(file, len, &pub, &f)))
		return rc;
	/* Before Argon2: a hostile file must not make us burn time or memory. */
	if ((rc = check_pwhash_limits(f.opslimit, f.memlimit, PHR_E_LIMIT)))
		return rc;

	key = sodium_malloc(AEAD_KEY_LEN);
	seed = sodium_malloc(PHR_SEED_LEN);
	if (!key || !seed) {
		rc = phr_fail(PHR_E_NOMEM, "key file: cannot allocate secure memory");
		goto cleanup;
	}
	if ((rc = derive_key(key, pass, passlen, &f)))
		goto cleanup;
	if ((rc = key_aad(&f, aad, &aadlen)))
		goto cleanup;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, &seedlen, NULL, f.ct, CT_LEN,
		    aad, aadlen, f.nonce, key) != 0 || seedlen != PHR_SEED_LEN) {
		rc = phr_fail(PHR_E_PASSPHRASE, "key file: wrong passphrase, or the file was modified");
		goto cleanup;
	}
	if ((rc = make_key(pub.kind, pub.name, pub.country, seed, &k)))
		goto cleanup;
	if (sodium_memcmp(k->pub.pk, pub.pk, PHR_PK_LEN) != 0) {
		rc = phr_fail(PHR_E_PASSPHRASE,
			"key file: the sealed key does not match the public key in field 4");
		goto cleanup;
	}
	*out = k;
	k = NULL;

cleanup:
	phr_seckey_destroy(k);
	sodium_free(seed);
	sodium_free(key);
	return rc;
}
