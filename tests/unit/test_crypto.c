/* Unit tests for include/phr/crypto.h: keys, key files, COSE_Sign1,
 * certificates and trust bundles. A table of small functions; main() runs
 * them all and exits non-zero if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "phr/cbor.h"
#include "phr/crypto.h"

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n  last error: %s\n", \
				__FILE__, __LINE__, __func__, #cond, phr_last_error());     \
			return 1;                                                       \
		}                                                                       \
	} while (0)

#define CHECK_RC(expr, want)                                                             \
	do {                                                                             \
		int rc_ = (expr);                                                        \
		if (rc_ != (want)) {                                                     \
			fprintf(stderr, "%s:%d: %s: %s returned %d (%s), expected %d\n"  \
				"  last error: %s\n", __FILE__, __LINE__, __func__, #expr, \
				rc_, phr_strerror(rc_), (want), phr_last_error());       \
			return 1;                                                        \
		}                                                                        \
	} while (0)

/* Cheap Argon2id limits: the format allows them and they keep tests fast. */
#define FAST_OPS 1
#define FAST_MEM 8192

/* RFC 8032 §7.1 test 1 and test 2 secret keys (Ed25519 seeds). */
static const char *const SEED_AUTH =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *const SEED_CLINIC =
	"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

/* Computed independently (Python: hashlib.blake2b, cryptography's Ed25519,
 * CBOR written by hand) for the two keys above: the clinic's .pub file and
 * a certificate for it, name "Clinic A", country "GR", valid 1700000000 ..
 * 1800000000, issued by authority "Authority" (kid 7849ac3049680be1).
 * GOLDEN_CLINIC_PUB_FIELDS is the map of fields 1..4 (the payload of the
 * self-signature); the .pub file adds field 5, the self-signature. */
static const char *const GOLDEN_CLINIC_PUB_FIELDS =
	"a401020268436c696e69632041036247520458203d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
static const char *const GOLDEN_CLINIC_PUB =
	"a501020268436c696e69632041036247520458203d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
	"055840ae4e6ddb2cf4863905ee824ddda2025bf5ea6eeab8e094071d8579c0ee5343dd1e98542b40d71f33982d0958972191ef"
	"b417925f0c79bb7824246a0a8b0d3600";
static const char *const GOLDEN_CERT =
	"844da2012704487849ac3049680be1a05840a601020268436c696e69632041036247520458203d4017c3e843895a92b7"
	"0aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c051a6553f100061a6b49d2005840758fbc98dc44b571754cf37b"
	"f2d1f7e1882fc8ff1b6f99ad14e66e27f0a02f9d0658b026a090e179c20a085d966fbf23fbd809ec86337e52119c7f2b"
	"80d49404";

/* ---- helpers ------------------------------------------------------------ */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	if (n > cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct phr_seckey *seed_key(int kind, const char *name, const char *country,
	uint8_t fill)
{
	uint8_t seed[PHR_SEED_LEN];
	struct phr_seckey *k = NULL;
	memset(seed, fill, sizeof(seed));
	if (phr_key_from_seed(kind, name, country, seed, &k) != PHR_OK)
		return NULL;
	return k;
}

static struct phr_seckey *hex_key(int kind, const char *name, const char *hexseed)
{
	uint8_t seed[PHR_SEED_LEN];
	struct phr_seckey *k = NULL;
	if (unhex(hexseed, seed, sizeof(seed)) != sizeof(seed))
		return NULL;
	if (phr_key_from_seed(kind, name, "GR", seed, &k) != PHR_OK)
		return NULL;
	return k;
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* Copies the map in `in`, replacing the value of `key` by the encoded item
 * raw. Returns the new length or 0. */
static size_t replace_field(const uint8_t *in, size_t inlen, uint64_t key, const uint8_t *raw,
	size_t rawlen, uint8_t *out, size_t cap)
{
	struct phr_cbor_dec d;
	struct phr_cbor_enc e;
	size_t n, len;
	if (phr_cbor_dec_init(&d, in, inlen) || phr_cbor_get_map(&d, &n))
		return 0;
	phr_cbor_enc_init(&e, out, cap);
	phr_cbor_put_map(&e, n);
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		const uint8_t *p;
		size_t pl;
		if (phr_cbor_get_uint(&d, &k) || phr_cbor_get_raw(&d, &p, &pl))
			return 0;
		phr_cbor_put_uint(&e, k);
		if (k == key)
			phr_cbor_put_raw(&e, raw, rawlen);
		else
			phr_cbor_put_raw(&e, p, pl);
	}
	if (phr_cbor_enc_finish(&e, &len))
		return 0;
	return len;
}

static size_t enc_uint(uint64_t v, uint8_t *out, size_t cap)
{
	struct phr_cbor_enc e;
	size_t n;
	phr_cbor_enc_init(&e, out, cap);
	phr_cbor_put_uint(&e, v);
	return phr_cbor_enc_finish(&e, &n) ? 0 : n;
}

/* A trust bundle written here rather than by phr_trust_build(), so that the
 * tests can produce bundles the builder would refuse. */
struct raw_bundle {
	const struct phr_pubkey *auth;
	size_t nauth;
	const uint8_t *const *certs;
	const size_t *lens;
	size_t ncerts;
	const uint8_t (*rev)[PHR_KID_LEN];
	size_t nrev;
	uint64_t expires; /* 0: a day after issued (1700000000) */
};

static void write_raw_bundle(struct phr_cbor_enc *e, const struct raw_bundle *b)
{
	phr_cbor_put_map(e, 6);
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_uint(e, 7);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_uint(e, 1700000000);
	phr_cbor_put_uint(e, 3);
	phr_cbor_put_array(e, b->nauth);
	for (size_t i = 0; i < b->nauth; i++) {
		const struct phr_pubkey *p = &b->auth[i];
		phr_cbor_put_map(e, 4);
		phr_cbor_put_uint(e, 1);
		phr_cbor_put_uint(e, (uint64_t)p->kind);
		phr_cbor_put_uint(e, 2);
		phr_cbor_put_cstr(e, p->name);
		phr_cbor_put_uint(e, 3);
		phr_cbor_put_cstr(e, p->country);
		phr_cbor_put_uint(e, 4);
		phr_cbor_put_bytes(e, p->pk, PHR_PK_LEN);
	}
	phr_cbor_put_uint(e, 4);
	phr_cbor_put_array(e, b->ncerts);
	for (size_t i = 0; i < b->ncerts; i++)
		phr_cbor_put_bytes(e, b->certs[i], b->lens[i]);
	phr_cbor_put_uint(e, 5);
	phr_cbor_put_array(e, b->nrev);
	for (size_t i = 0; i < b->nrev; i++)
		phr_cbor_put_bytes(e, b->rev[i], PHR_KID_LEN);
	phr_cbor_put_uint(e, 6);
	phr_cbor_put_uint(e, b->expires ? b->expires : 1700000000 + 86400);
}

static int sign_raw_bundle(const struct phr_seckey *signer, const char *aad,
	const struct raw_bundle *b, uint8_t **out, size_t *len)
{
	static uint8_t payload[64 * 1024];
	struct phr_cbor_enc e;
	size_t plen;
	int rc;
	phr_cbor_enc_init(&e, payload, sizeof(payload));
	write_raw_bundle(&e, b);
	if ((rc = phr_cbor_enc_finish(&e, &plen)))
		return rc;
	return phr_cose_sign1(signer, payload, plen, (const uint8_t *)aad, strlen(aad), out, len);
}

/* ---- keys --------------------------------------------------------------- */

static int test_kid_fixed(void)
{
	struct phr_seckey *k = hex_key(PHR_KEY_AUTHORITY, "Authority", SEED_AUTH);
	uint8_t want_pk[PHR_PK_LEN], kid[PHR_KID_LEN];
	char hex[PHR_KID_HEX_LEN];
	CHECK(k);
	const struct phr_pubkey *p = phr_seckey_public(k);
	/* RFC 8032 test 1 public key. */
	CHECK(unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		want_pk, sizeof(want_pk)) == PHR_PK_LEN);
	CHECK(memcmp(p->pk, want_pk, PHR_PK_LEN) == 0);
	phr_kid_to_hex(p->kid, hex);
	CHECK(strcmp(hex, "7849ac3049680be1") == 0);
	phr_kid_of(p->pk, kid);
	CHECK(memcmp(kid, p->kid, PHR_KID_LEN) == 0);
	CHECK(p->kind == PHR_KEY_AUTHORITY);
	CHECK(strcmp(p->name, "Authority") == 0 && strcmp(p->country, "GR") == 0);
	phr_seckey_destroy(k);
	phr_seckey_destroy(NULL);
	return 0;
}

static int test_generate(void)
{
	struct phr_seckey *a = NULL, *b = NULL;
	CHECK_RC(phr_key_generate(PHR_KEY_CLINIC, "Κλινική Λέσβου", "GR", &a), PHR_OK);
	CHECK_RC(phr_key_generate(PHR_KEY_CLINIC, "Κλινική Λέσβου", "GR", &b), PHR_OK);
	const struct phr_pubkey *pa = phr_seckey_public(a), *pb = phr_seckey_public(b);
	CHECK(memcmp(pa->pk, pb->pk, PHR_PK_LEN) != 0);
	CHECK(strcmp(pa->name, "Κλινική Λέσβου") == 0);
	phr_seckey_destroy(a);
	phr_seckey_destroy(b);
	return 0;
}

static int test_key_args(void)
{
	struct phr_seckey *k = (struct phr_seckey *)1;
	uint8_t seed[PHR_SEED_LEN] = { 0 };
	char name[PHR_MAX_NAME + 2];

	CHECK_RC(phr_key_from_seed(3, "X", "GR", seed, &k), PHR_E_ARG);
	CHECK(k == NULL);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "", "GR", seed, &k), PHR_E_ARG);
	CHECK(contains(phr_last_error(), "empty"));
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "bad\nname", "GR", seed, &k), PHR_E_ARG);
	CHECK(contains(phr_last_error(), "control character"));
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "esc\x1b[2J", "GR", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "c1 \xc2\x9b", "GR", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "bad \xff utf8", "GR", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "overlong \xc0\xaf", "GR", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "surrogate \xed\xa0\x80", "GR", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "cut \xe2\x82", "GR", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "X", "gr", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "X", "GRC", seed, &k), PHR_E_ARG);
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "X", "G", seed, &k), PHR_E_ARG);
	memset(name, 'n', sizeof(name));
	name[PHR_MAX_NAME + 1] = '\0';
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, name, "GR", seed, &k), PHR_E_ARG);
	name[PHR_MAX_NAME] = '\0';
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, name, "GR", seed, &k), PHR_OK);
	CHECK(strlen(phr_seckey_public(k)->name) == PHR_MAX_NAME);
	phr_seckey_destroy(k);
	return 0;
}

static int test_pub_roundtrip(void)
{
	struct phr_seckey *k = hex_key(PHR_KEY_CLINIC, "Clinic A", SEED_CLINIC);
	struct phr_pubkey p;
	uint8_t *buf = NULL, golden[256];
	size_t len, glen;
	CHECK(k);
	CHECK_RC(phr_pubkey_encode(k, &buf, &len), PHR_OK);
	glen = unhex(GOLDEN_CLINIC_PUB, golden, sizeof(golden));
	CHECK(glen == 1 + 51 + 3 + PHR_SIG_LEN && len == glen && memcmp(buf, golden, len) == 0);
	CHECK_RC(phr_pubkey_decode(buf, len, &p), PHR_OK);
	CHECK(p.kind == PHR_KEY_CLINIC && strcmp(p.name, "Clinic A") == 0);
	CHECK(strcmp(p.country, "GR") == 0);
	CHECK(memcmp(p.pk, phr_seckey_public(k)->pk, PHR_PK_LEN) == 0);
	CHECK(memcmp(p.kid, phr_seckey_public(k)->kid, PHR_KID_LEN) == 0);
	/* Every proper prefix fails, and wipes the output. */
	for (size_t i = 0; i < len; i++) {
		CHECK(phr_pubkey_decode(buf, i, &p) != PHR_OK);
		CHECK(p.kind == 0 && p.name[0] == '\0');
	}
	free(buf);
	buf = (uint8_t *)1;
	CHECK_RC(phr_pubkey_encode(NULL, &buf, &len), PHR_E_ARG);
	CHECK(buf == NULL);

	uint8_t bad[256];
	/* Not an Ed25519 point (y = 0 has small order). */
	memcpy(bad, golden, glen);
	memset(bad + 20, 0, PHR_PK_LEN);
	CHECK_RC(phr_pubkey_decode(bad, glen, &p), PHR_E_MALFORMED);
	/* Kind 3. */
	memcpy(bad, golden, glen);
	bad[2] = 3;
	CHECK_RC(phr_pubkey_decode(bad, glen, &p), PHR_E_SCHEMA);
	/* Kind 1: a clinic's key passed off as an authority's. */
	memcpy(bad, golden, glen);
	bad[2] = PHR_KEY_AUTHORITY;
	CHECK_RC(phr_pubkey_decode(bad, glen, &p), PHR_E_MALFORMED);
	CHECK(contains(phr_last_error(), "self-signature") && p.kind == 0);
	/* Another name of the same length. */
	memcpy(bad, golden, glen);
	bad[11] = 'B';
	CHECK_RC(phr_pubkey_decode(bad, glen, &p), PHR_E_MALFORMED);
	/* A flipped bit in the self-signature. */
	memcpy(bad, golden, glen);
	bad[glen - 1] ^= 0x01;
	CHECK_RC(phr_pubkey_decode(bad, glen, &p), PHR_E_MALFORMED);
	/* Lowercase country. */
	memcpy(bad, golden, glen);
	bad[15] = 'g';
	CHECK_RC(phr_pubkey_decode(bad, glen, &p), PHR_E_SCHEMA);
	/* Trailing byte. */
	memcpy(bad, golden, glen);
	bad[glen] = 0;
	CHECK_RC(phr_pubkey_decode(bad, glen + 1, &p), PHR_E_TRAILING);
	/* A .pub file of the old form, without field 5. */
	size_t olen = unhex(GOLDEN_CLINIC_PUB_FIELDS, bad, sizeof(bad));
	CHECK_RC(phr_pubkey_decode(bad, olen, &p), PHR_E_SCHEMA);
	CHECK(contains(phr_last_error(), "self-signature"));

	/* Field 5 signed by another key, or by this key for another purpose. */
	struct phr_seckey *other = hex_key(PHR_KEY_CLINIC, "Clinic A", SEED_AUTH);
	uint8_t *cose = NULL, raw[2 + PHR_SIG_LEN] = { 0x58, PHR_SIG_LEN };
	size_t clen, mlen;
	struct phr_cose c;
	CHECK(other);
	const struct { const struct phr_seckey *key; const char *aad; } forge[] = {
		{ other, PHR_AAD_PUB }, { k, PHR_AAD_CERT }, { k, "" },
	};
	for (size_t i = 0; i < sizeof(forge) / sizeof(forge[0]); i++) {
		uint8_t fields[128];
		size_t flen = unhex(GOLDEN_CLINIC_PUB_FIELDS, fields, sizeof(fields));
		CHECK_RC(phr_cose_sign1(forge[i].key, fields, flen, (const uint8_t *)forge[i].aad, strlen(forge[i].aad),
					&cose, &clen),
			 PHR_OK);
		CHECK_RC(phr_cose_parse(cose, clen, &c), PHR_OK);
		memcpy(raw + 2, c.sig, PHR_SIG_LEN);
		free(cose);
		CHECK((mlen = replace_field(golden, glen, 5, raw, sizeof(raw), bad, sizeof(bad))) == glen);
		CHECK_RC(phr_pubkey_decode(bad, mlen, &p), PHR_E_MALFORMED);
	}
	phr_seckey_destroy(other);
	phr_seckey_destroy(k);
	return 0;
}

/* Signs with a and checks the signature under b's public key. */
static int same_key(const struct phr_seckey *a, const struct phr_seckey *b)
{
	static const uint8_t msg[] = "same key?";
	uint8_t *cose = NULL;
	size_t len;
	struct phr_cose c;
	int rc;
	if (phr_cose_sign1(a, msg, sizeof(msg), NULL, 0, &cose, &len) ||
	    phr_cose_parse(cose, len, &c)) {
		free(cose);
		return 0;
	}
	rc = phr_cose_verify(&c, phr_seckey_public(b)->pk, NULL, 0);
	free(cose);
	return rc == PHR_OK;
}

static int test_seal_open(void)
{
	struct phr_seckey *k = seed_key(PHR_KEY_CLINIC, "Clinic B", "IT", 7), *o = NULL;
	uint8_t *file = NULL;
	size_t len;
	CHECK(k);
	CHECK_RC(phr_key_seal_params(k, "correct horse", 13, FAST_OPS, FAST_MEM, &file, &len), PHR_OK);
	CHECK(len <= PHR_MAX_KEYFILE);
	CHECK_RC(phr_key_open(file, len, "correct horse", 13, &o), PHR_OK);
	CHECK(memcmp(phr_seckey_public(o), phr_seckey_public(k), sizeof(struct phr_pubkey)) == 0);
	CHECK(same_key(o, k));
	phr_seckey_destroy(o);
	o = (struct phr_seckey *)1;
	CHECK_RC(phr_key_open(file, len, "correct horsE", 13, &o), PHR_E_PASSPHRASE);
	CHECK(o == NULL);
	CHECK_RC(phr_key_open(file, len, "correct horse", 12, &o), PHR_E_PASSPHRASE);
	CHECK_RC(phr_key_open(file, len, NULL, 0, &o), PHR_E_PASSPHRASE);
	/* Truncations never reach Argon2 and never succeed. */
	for (size_t i = 0; i < len; i++)
		CHECK(phr_key_open(file, i, "correct horse", 13, &o) != PHR_OK && o == NULL);
	free(file);
	CHECK_RC(phr_key_seal_params(k, "", 0, FAST_OPS, FAST_MEM, &file, &len), PHR_E_ARG);
	CHECK(file == NULL);
	CHECK_RC(phr_key_seal_params(k, "x", 1, 0, FAST_MEM, &file, &len), PHR_E_ARG);
	CHECK_RC(phr_key_seal_params(k, "x", 1, 1, 4096, &file, &len), PHR_E_ARG);
	phr_seckey_destroy(k);
	return 0;
}

static int test_seal_interactive(void)
{
	struct phr_seckey *k = seed_key(PHR_KEY_AUTHORITY, "Ministry", "DE", 9), *o = NULL;
	struct phr_cbor_dec d;
	uint8_t *file = NULL;
	size_t len, n;
	uint64_t key, ops = 0, mem = 0;
	CHECK(k);
	CHECK_RC(phr_key_seal(k, "pw", 2, &file, &len), PHR_OK);
	CHECK_RC(phr_cbor_dec_init(&d, file, len), PHR_OK);
	CHECK_RC(phr_cbor_get_map(&d, &n), PHR_OK);
	CHECK(n == 9);
	for (size_t i = 0; i < n; i++) {
		CHECK_RC(phr_cbor_get_uint(&d, &key), PHR_OK);
		if (key == 6)
			CHECK_RC(phr_cbor_get_uint(&d, &ops), PHR_OK);
		else if (key == 7)
			CHECK_RC(phr_cbor_get_uint(&d, &mem), PHR_OK);
		else
			CHECK_RC(phr_cbor_skip(&d), PHR_OK);
	}
	CHECK(ops == 2 && mem == 64u * 1024 * 1024); /* libsodium INTERACTIVE */
	CHECK_RC(phr_key_open(file, len, "pw", 2, &o), PHR_OK);
	CHECK(same_key(o, k));
	phr_seckey_destroy(o);
	phr_seckey_destroy(k);
	free(file);
	return 0;
}

static int test_keyfile_tamper(void)
{
	struct phr_seckey *k = seed_key(PHR_KEY_CLINIC, "Clinic C", "ES", 3), *o = NULL;
	struct phr_seckey *other = seed_key(PHR_KEY_CLINIC, "Clinic C", "ES", 4);
	uint8_t *file = NULL, mod[PHR_MAX_KEYFILE + 16], raw[64];
	size_t len, mlen, rlen;
	CHECK(k && other);
	CHECK_RC(phr_key_seal_params(k, "pw", 2, FAST_OPS, FAST_MEM, &file, &len), PHR_OK);

	/* Each field that is authenticated by the AAD or the AEAD itself. */
	raw[0] = 0x01; /* kind 1 (authority) */
	CHECK((mlen = replace_field(file, len, 1, raw, 1, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	memcpy(raw, "\x68" "Clinic D", 9);
	CHECK((mlen = replace_field(file, len, 2, raw, 9, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	memcpy(raw, "\x62" "PT", 3);
	CHECK((mlen = replace_field(file, len, 3, raw, 3, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	raw[0] = 0x58;
	raw[1] = 0x20;
	memcpy(raw + 2, phr_seckey_public(other)->pk, PHR_PK_LEN);
	CHECK((mlen = replace_field(file, len, 4, raw, 2 + PHR_PK_LEN, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	CHECK((rlen = enc_uint(2, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 6, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	CHECK((rlen = enc_uint(16384, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 7, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	/* Another salt. */
	memcpy(raw, "\x50" "0123456789abcdef", 17);
	CHECK((mlen = replace_field(file, len, 5, raw, 17, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	/* A flipped bit in the ciphertext and in the nonce. The file ends with
	 * 08 58 18 <nonce 24> 09 58 30 <ciphertext 48>. */
	memcpy(mod, file, len);
	mod[len - 1] ^= 0x01;
	CHECK_RC(phr_key_open(mod, len, "pw", 2, &o), PHR_E_PASSPHRASE);
	memcpy(mod, file, len);
	CHECK(mod[len - 51] == 0x09 && mod[len - 50] == 0x58);
	mod[len - 52] ^= 0x80;
	CHECK_RC(phr_key_open(mod, len, "pw", 2, &o), PHR_E_PASSPHRASE);
	CHECK(o == NULL);
	/* The untouched file still opens. */
	CHECK_RC(phr_key_open(file, len, "pw", 2, &o), PHR_OK);
	phr_seckey_destroy(o);
	phr_seckey_destroy(other);
	phr_seckey_destroy(k);
	free(file);
	return 0;
}

/* A file whose AEAD opens (right passphrase, consistent AAD) but whose
 * sealed seed belongs to another public key than field 4 says. */
static int test_keyfile_pk_mismatch(void)
{
	struct phr_seckey *k = seed_key(PHR_KEY_CLINIC, "Clinic C", "ES", 3), *o = NULL;
	struct phr_seckey *other = seed_key(PHR_KEY_CLINIC, "Clinic C", "ES", 4);
	uint8_t *file = NULL, mod[PHR_MAX_KEYFILE], mod2[PHR_MAX_KEYFILE], raw[64];
	uint8_t aad[256], key[32], seed[PHR_SEED_LEN], nonce[24], ct[48], salt[16];
	size_t len, mlen, n, aadlen;
	struct phr_cbor_dec d;
	struct phr_cbor_enc e;
	unsigned long long ctlen;
	CHECK(k && other);
	CHECK_RC(phr_key_seal_params(k, "pw", 2, FAST_OPS, FAST_MEM, &file, &len), PHR_OK);
	raw[0] = 0x58;
	raw[1] = 0x20;
	memcpy(raw + 2, phr_seckey_public(other)->pk, PHR_PK_LEN);
	CHECK((mlen = replace_field(file, len, 4, raw, 2 + PHR_PK_LEN, mod, sizeof(mod))));
	/* AAD = map of fields 1..7 as they now stand. */
	CHECK_RC(phr_cbor_dec_init(&d, mod, mlen), PHR_OK);
	CHECK_RC(phr_cbor_get_map(&d, &n), PHR_OK);
	phr_cbor_enc_init(&e, aad, sizeof(aad));
	phr_cbor_put_map(&e, 7);
	for (uint64_t i = 1; i <= 7; i++) {
		const uint8_t *p;
		size_t pl;
		CHECK_RC(phr_cbor_expect_key(&d, i), PHR_OK);
		CHECK_RC(phr_cbor_get_raw(&d, &p, &pl), PHR_OK);
		if (i == 5)
			memcpy(salt, p + 1, sizeof(salt));
		phr_cbor_put_uint(&e, i);
		phr_cbor_put_raw(&e, p, pl);
	}
	CHECK_RC(phr_cbor_enc_finish(&e, &aadlen), PHR_OK);
	CHECK(crypto_pwhash(key, sizeof(key), "pw", 2, salt, FAST_OPS, FAST_MEM,
		crypto_pwhash_ALG_ARGON2ID13) == 0);
	memset(seed, 3, sizeof(seed)); /* k's seed */
	randombytes_buf(nonce, sizeof(nonce));
	CHECK(crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, seed, sizeof(seed), aad, aadlen,
		NULL, nonce, key) == 0);
	raw[0] = 0x58;
	raw[1] = 24;
	memcpy(raw + 2, nonce, 24);
	CHECK((mlen = replace_field(mod, mlen, 8, raw, 26, mod2, sizeof(mod2))));
	raw[1] = 48;
	memcpy(raw + 2, ct, 48);
	CHECK((mlen = replace_field(mod2, mlen, 9, raw, 50, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_PASSPHRASE);
	CHECK(contains(phr_last_error(), "does not match the public key"));
	CHECK(o == NULL);
	sodium_memzero(key, sizeof(key));
	phr_seckey_destroy(other);
	phr_seckey_destroy(k);
	free(file);
	return 0;
}

static int test_keyfile_limits(void)
{
	struct phr_seckey *k = seed_key(PHR_KEY_CLINIC, "Clinic C", "ES", 3), *o = NULL;
	uint8_t *file = NULL, mod[PHR_MAX_KEYFILE + 16], raw[16];
	size_t len, mlen, rlen;
	CHECK(k);
	CHECK_RC(phr_key_seal_params(k, "pw", 2, FAST_OPS, FAST_MEM, &file, &len), PHR_OK);
	/* Refused before Argon2 runs (4 GiB would not be quick to allocate). */
	CHECK((rlen = enc_uint(4ull << 30, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 7, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_LIMIT);
	CHECK(contains(phr_last_error(), "memlimit"));
	CHECK((rlen = enc_uint((1u << 30) + 1, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 7, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_LIMIT);
	CHECK((rlen = enc_uint(8191, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 7, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_LIMIT);
	CHECK((rlen = enc_uint(21, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 6, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_LIMIT);
	CHECK(contains(phr_last_error(), "opslimit"));
	CHECK((rlen = enc_uint(0, raw, sizeof(raw))));
	CHECK((mlen = replace_field(file, len, 6, raw, rlen, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_LIMIT);
	/* Salt of the wrong size. */
	memcpy(raw, "\x4f" "0123456789abcde", 16);
	CHECK((mlen = replace_field(file, len, 5, raw, 16, mod, sizeof(mod))));
	CHECK_RC(phr_key_open(mod, mlen, "pw", 2, &o), PHR_E_MALFORMED);
	/* Over the size limit. */
	memset(mod, 0, sizeof(mod));
	CHECK_RC(phr_key_open(mod, PHR_MAX_KEYFILE + 1, "pw", 2, &o), PHR_E_LIMIT);
	CHECK(o == NULL);
	phr_seckey_destroy(k);
	free(file);
	return 0;
}

/* ---- COSE_Sign1 ------------------------------------------------------------ */

static int test_cose_roundtrip(void)
{
	struct phr_seckey *k = seed_key(PHR_KEY_CLINIC, "Clinic A", "GR", 1);
	struct phr_seckey *other = seed_key(PHR_KEY_CLINIC, "Clinic A", "GR", 2);
	static const uint8_t payload[] = { 0xa1, 0x01, 0x02 };
	static const uint8_t aad[] = "phr/entry-test";
	uint8_t *buf = NULL, prot[13] = { 0xa2, 0x01, 0x27, 0x04, 0x48 };
	size_t len;
	struct phr_cose c;
	CHECK(k && other);
	const uint8_t *pk = phr_seckey_public(k)->pk;
	CHECK_RC(phr_cose_sign1(k, payload, sizeof(payload), aad, sizeof(aad), &buf, &len), PHR_OK);
	CHECK_RC(phr_cose_parse(buf, len, &c), PHR_OK);
	memcpy(prot + 5, phr_seckey_public(k)->kid, PHR_KID_LEN);
	CHECK(buf[0] == 0x84 && buf[1] == 0x4d); /* untagged array(4), bstr(13) */
	CHECK(c.prot_len == sizeof(prot) && memcmp(c.prot, prot, sizeof(prot)) == 0);
	CHECK(memcmp(c.kid, phr_seckey_public(k)->kid, PHR_KID_LEN) == 0);
	CHECK(c.payload_len == sizeof(payload) && memcmp(c.payload, payload, sizeof(payload)) == 0);
	CHECK(c.sig == buf + len - PHR_SIG_LEN);
	CHECK_RC(phr_cose_verify(&c, pk, aad, sizeof(aad)), PHR_OK);
	CHECK_RC(phr_cose_verify(&c, pk, aad, sizeof(aad) - 1), PHR_E_BAD_SIGNATURE);
	CHECK_RC(phr_cose_verify(&c, pk, NULL, 0), PHR_E_BAD_SIGNATURE);
	CHECK_RC(phr_cose_verify(&c, phr_seckey_public(other)->pk, aad, sizeof(aad)),
		PHR_E_BAD_SIGNATURE);
	CHECK(contains(phr_last_error(), "verifying key"));
	/* Every single-bit flip in the signature or payload fails. */
	for (size_t i = len - PHR_SIG_LEN - 3 - 1; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (phr_cose_parse(buf, len, &c) == PHR_OK)
				CHECK(phr_cose_verify(&c, pk, aad, sizeof(aad)) == PHR_E_BAD_SIGNATURE);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(buf);

	/* Empty payload, no AAD. */
	CHECK_RC(phr_cose_sign1(k, NULL, 0, NULL, 0, &buf, &len), PHR_OK);
	CHECK_RC(phr_cose_parse(buf, len, &c), PHR_OK);
	CHECK(c.payload_len == 0);
	CHECK_RC(phr_cose_verify(&c, pk, NULL, 0), PHR_OK);
	free(buf);
	phr_seckey_destroy(other);
	phr_seckey_destroy(k);
	return 0;
}

enum cose_variant {
	V_OK,
	V_ARRAY3,
	V_ARRAY5,
	V_ALG_ES256,
	V_EXTRA_LABEL,
	V_NO_KID,
	V_KID7,
	V_KID_TEXT,
	V_UNPROT_KID,
	V_SIG63,
	V_SIG_TEXT,
	V_PROT_EMPTY,
	V_PROT_TRAILING,
	V_PAYLOAD_TEXT,
};

static size_t make_cose(enum cose_variant v, uint8_t *out, size_t cap)
{
	static const uint8_t kid[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint8_t sig[PHR_SIG_LEN];
	uint8_t prot[64];
	struct phr_cbor_enc e;
	size_t plen, n;

	phr_cbor_enc_init(&e, prot, sizeof(prot));
	if (v != V_PROT_EMPTY) {
		phr_cbor_put_map(&e, v == V_EXTRA_LABEL ? 3 : v == V_NO_KID ? 1 : 2);
		phr_cbor_put_uint(&e, 1);
		phr_cbor_put_int(&e, v == V_ALG_ES256 ? -7 : -8);
		if (v == V_EXTRA_LABEL) {
			phr_cbor_put_uint(&e, 3);
			phr_cbor_put_uint(&e, 60);
		}
		if (v != V_NO_KID) {
			phr_cbor_put_uint(&e, 4);
			if (v == V_KID_TEXT)
				phr_cbor_put_text(&e, "abcdefgh", 8);
			else
				phr_cbor_put_bytes(&e, kid, v == V_KID7 ? 7 : 8);
		}
		if (v == V_PROT_TRAILING)
			phr_cbor_put_uint(&e, 0);
	}
	if (phr_cbor_enc_finish(&e, &plen))
		return 0;
	phr_cbor_enc_init(&e, out, cap);
	phr_cbor_put_array(&e, v == V_ARRAY3 ? 3 : v == V_ARRAY5 ? 5 : 4);
	phr_cbor_put_bytes(&e, prot, plen);
	if (v == V_UNPROT_KID) {
		phr_cbor_put_map(&e, 1);
		phr_cbor_put_uint(&e, 4);
		phr_cbor_put_bytes(&e, kid, 8);
	} else {
		phr_cbor_put_map(&e, 0);
	}
	if (v == V_PAYLOAD_TEXT)
		phr_cbor_put_text(&e, "hi", 2);
	else
		phr_cbor_put_bytes(&e, "hi", 2);
	if (v != V_ARRAY3) {
		if (v == V_SIG_TEXT)
			phr_cbor_put_text(&e, "x", 1);
		else
			phr_cbor_put_bytes(&e, sig, v == V_SIG63 ? 63 : PHR_SIG_LEN);
	}
	if (v == V_ARRAY5)
		phr_cbor_put_null(&e);
	return phr_cbor_enc_finish(&e, &n) ? 0 : n;
}

static int test_cose_parse_rejects(void)
{
	static const struct {
		enum cose_variant v;
		int want;
		const char *msg; /* expected in the error message */
	} cases[] = {
		{ V_OK, PHR_OK, "" },
		{ V_ARRAY3, PHR_E_MALFORMED, "array of 4" },
		{ V_ARRAY5, PHR_E_MALFORMED, "array of 4" },
		{ V_ALG_ES256, PHR_E_VERSION, "alg -7" },
		{ V_EXTRA_LABEL, PHR_E_MALFORMED, "found 3 labels" },
		{ V_NO_KID, PHR_E_MALFORMED, "found 1 labels" },
		{ V_KID7, PHR_E_MALFORMED, "label 4 (kid" },
		{ V_KID_TEXT, PHR_E_MALFORMED, "label 4 (kid" },
		{ V_UNPROT_KID, PHR_E_MALFORMED, "unprotected header must be empty" },
		{ V_SIG63, PHR_E_MALFORMED, "signature is 63 bytes" },
		{ V_SIG_TEXT, PHR_E_MALFORMED, "item 3 (signature)" },
		{ V_PROT_EMPTY, PHR_E_TRUNCATED, "protected header" },
		{ V_PROT_TRAILING, PHR_E_TRAILING, "protected header" },
		{ V_PAYLOAD_TEXT, PHR_E_MALFORMED, "item 2 (payload)" },
	};
	uint8_t buf[256];
	struct phr_cose c;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK((len = make_cose(cases[i].v, buf, sizeof(buf))));
		phr_clear_error();
		int rc = phr_cose_parse(buf, len, &c);
		if (rc != cases[i].want || !contains(phr_last_error(), cases[i].msg)) {
			fprintf(stderr, "  variant %d: got %d, want %d (%s)\n", (int)cases[i].v, rc,
				cases[i].want, phr_last_error());
			return 1;
		}
		if (rc != PHR_OK)
			CHECK(c.prot == NULL && c.payload == NULL && c.sig == NULL);
	}
	/* Tagged (COSE_Sign1 tag 18) is not accepted: the format is untagged. */
	CHECK((len = make_cose(V_OK, buf + 1, sizeof(buf) - 1)));
	buf[0] = 0xd2;
	CHECK(phr_cose_parse(buf, len + 1, &c) != PHR_OK);
	/* Trailing byte. */
	CHECK((len = make_cose(V_OK, buf, sizeof(buf))));
	buf[len] = 0x00;
	CHECK_RC(phr_cose_parse(buf, len + 1, &c), PHR_E_TRAILING);
	/* Every prefix fails. */
	for (size_t i = 0; i < len; i++)
		CHECK(phr_cose_parse(buf, i, &c) != PHR_OK);
	return 0;
}

/* Every input of up to 2 bytes is refused cleanly by every decoder. */
static int test_short_inputs(void)
{
	uint8_t b[2] = { 0 };
	struct phr_cose c;
	struct phr_cert cert;
	struct phr_pubkey p;
	struct phr_trust *t = NULL;
	struct phr_seckey *k = NULL;

	CHECK(phr_cose_parse(b, 0, &c) != PHR_OK);
	for (unsigned v = 0; v < 65536 + 256; v++) {
		size_t n = v < 256 ? 1 : 2;
		if (n == 1) {
			b[0] = (uint8_t)v;
		} else {
			b[0] = (uint8_t)((v - 256) >> 8);
			b[1] = (uint8_t)(v - 256);
		}
		CHECK(phr_cose_parse(b, n, &c) != PHR_OK);
		CHECK(phr_cert_parse(b, n, &cert) != PHR_OK);
		CHECK(phr_pubkey_decode(b, n, &p) != PHR_OK);
		CHECK(phr_trust_load(b, n, &t) != PHR_OK && t == NULL);
		CHECK(phr_key_open(b, n, "pw", 2, &k) != PHR_OK && k == NULL);
	}
	return 0;
}

/* ---- certificates -------------------------------------------------------- */

static int test_cert_golden(void)
{
	struct phr_seckey *auth = hex_key(PHR_KEY_AUTHORITY, "Authority", SEED_AUTH);
	struct phr_seckey *clinic = hex_key(PHR_KEY_CLINIC, "Clinic A", SEED_CLINIC);
	uint8_t *buf = NULL, golden[PHR_MAX_CERT];
	size_t len, glen;
	struct phr_cert c;
	CHECK(auth && clinic);
	CHECK_RC(phr_cert_issue(auth, phr_seckey_public(clinic), 1700000000, 1800000000, &buf, &len),
		PHR_OK);
	glen = unhex(GOLDEN_CERT, golden, sizeof(golden));
	CHECK(glen == 148 && len == glen && memcmp(buf, golden, len) == 0);
	CHECK_RC(phr_cert_parse(golden, glen, &c), PHR_OK);
	CHECK_RC(phr_cert_verify(&c, phr_seckey_public(auth)->pk), PHR_OK);
	free(buf);
	phr_seckey_destroy(clinic);
	phr_seckey_destroy(auth);
	return 0;
}

static int test_cert(void)
{
	struct phr_seckey *auth = seed_key(PHR_KEY_AUTHORITY, "Ministry of Health", "GR", 10);
	struct phr_seckey *auth2 = seed_key(PHR_KEY_AUTHORITY, "Other Ministry", "IT", 11);
	struct phr_seckey *clinic = seed_key(PHR_KEY_CLINIC, "Lesvos Clinic", "GR", 12);
	uint8_t *buf = NULL, *bad = NULL;
	size_t len, badlen;
	struct phr_cert c;
	CHECK(auth && auth2 && clinic);
	const struct phr_pubkey *cp = phr_seckey_public(clinic);

	CHECK_RC(phr_cert_issue(auth, cp, 100, 200, &buf, &len), PHR_OK);
	CHECK(len <= PHR_MAX_CERT);
	CHECK_RC(phr_cert_parse(buf, len, &c), PHR_OK);
	CHECK(memcmp(c.issuer_kid, phr_seckey_public(auth)->kid, PHR_KID_LEN) == 0);
	CHECK(memcmp(&c.subject, cp, sizeof(*cp)) == 0);
	CHECK(c.not_before == 100 && c.not_after == 200);
	CHECK(c.raw == buf && c.raw_len == len);
	CHECK_RC(phr_cert_verify(&c, phr_seckey_public(auth)->pk), PHR_OK);
	CHECK_RC(phr_cert_verify(&c, phr_seckey_public(auth2)->pk), PHR_E_BAD_SIGNATURE);
	CHECK_RC(phr_cert_check_time(&c, 100), PHR_OK);
	CHECK_RC(phr_cert_check_time(&c, 200), PHR_OK);
	CHECK_RC(phr_cert_check_time(&c, 99), PHR_E_CERT_VALIDITY);
	CHECK_RC(phr_cert_check_time(&c, 201), PHR_E_CERT_VALIDITY);

	/* A flipped bit in the signature. */
	buf[len - 10] ^= 0x04;
	CHECK_RC(phr_cert_parse(buf, len, &c), PHR_OK);
	CHECK_RC(phr_cert_verify(&c, phr_seckey_public(auth)->pk), PHR_E_BAD_SIGNATURE);
	buf[len - 10] ^= 0x04;

	/* The same payload signed for another purpose does not pass as a cert. */
	CHECK_RC(phr_cert_parse(buf, len, &c), PHR_OK);
	CHECK_RC(phr_cose_sign1(auth, c.cose.payload, c.cose.payload_len,
		(const uint8_t *)PHR_AAD_TRUST, strlen(PHR_AAD_TRUST), &bad, &badlen), PHR_OK);
	CHECK_RC(phr_cert_parse(bad, badlen, &c), PHR_OK);
	CHECK_RC(phr_cert_verify(&c, phr_seckey_public(auth)->pk), PHR_E_BAD_SIGNATURE);
	free(bad);

	/* Issue refuses wrong kinds and inverted validity. */
	uint8_t *out = (uint8_t *)1;
	CHECK_RC(phr_cert_issue(clinic, cp, 1, 2, &out, &len), PHR_E_ARG);
	CHECK(out == NULL);
	CHECK_RC(phr_cert_issue(auth, phr_seckey_public(auth2), 1, 2, &out, &len), PHR_E_ARG);
	CHECK_RC(phr_cert_issue(auth, cp, 3, 2, &out, &len), PHR_E_ARG);

	/* A certificate whose subject is an authority, or with not_before >
	 * not_after, does not parse even when properly signed. */
	static uint8_t payload[256];
	struct phr_cbor_enc e;
	size_t plen;
	phr_cbor_enc_init(&e, payload, sizeof(payload));
	phr_cbor_put_map(&e, 6);
	phr_cbor_put_uint(&e, 1);
	phr_cbor_put_uint(&e, 1);
	phr_cbor_put_uint(&e, 2);
	phr_cbor_put_cstr(&e, "X");
	phr_cbor_put_uint(&e, 3);
	phr_cbor_put_cstr(&e, "GR");
	phr_cbor_put_uint(&e, 4);
	phr_cbor_put_bytes(&e, cp->pk, PHR_PK_LEN);
	phr_cbor_put_uint(&e, 5);
	phr_cbor_put_uint(&e, 1);
	phr_cbor_put_uint(&e, 6);
	phr_cbor_put_uint(&e, 2);
	CHECK_RC(phr_cbor_enc_finish(&e, &plen), PHR_OK);
	CHECK_RC(phr_cose_sign1(auth, payload, plen, (const uint8_t *)PHR_AAD_CERT,
		strlen(PHR_AAD_CERT), &bad, &badlen), PHR_OK);
	CHECK_RC(phr_cert_parse(bad, badlen, &c), PHR_E_SCHEMA);
	free(bad);
	payload[2] = 2;            /* kind: clinic */
	payload[plen - 3] = 9;     /* not_before 9 > not_after 2 */
	CHECK_RC(phr_cose_sign1(auth, payload, plen, (const uint8_t *)PHR_AAD_CERT,
		strlen(PHR_AAD_CERT), &bad, &badlen), PHR_OK);
	CHECK_RC(phr_cert_parse(bad, badlen, &c), PHR_E_SCHEMA);
	CHECK(contains(phr_last_error(), "not_before"));
	free(bad);

	/* Over the size limit. */
	uint8_t big[PHR_MAX_CERT + 1] = { 0 };
	CHECK_RC(phr_cert_parse(big, sizeof(big), &c), PHR_E_LIMIT);

	free(buf);
	phr_seckey_destroy(clinic);
	phr_seckey_destroy(auth2);
	phr_seckey_destroy(auth);
	return 0;
}

/* ---- trust bundle ----------------------------------------------------------- */

struct pki {
	struct phr_seckey *a1, *a2, *c1, *c2, *c3, *rogue;
	struct phr_pubkey auth[2];
	uint8_t *cert[3];
	size_t cert_len[3];
};

static void pki_free(struct pki *p)
{
	phr_seckey_destroy(p->a1);
	phr_seckey_destroy(p->a2);
	phr_seckey_destroy(p->c1);
	phr_seckey_destroy(p->c2);
	phr_seckey_destroy(p->c3);
	phr_seckey_destroy(p->rogue);
	for (int i = 0; i < 3; i++)
		free(p->cert[i]);
}

static int pki_init(struct pki *p)
{
	memset(p, 0, sizeof(*p));
	p->a1 = seed_key(PHR_KEY_AUTHORITY, "Ministry GR", "GR", 20);
	p->a2 = seed_key(PHR_KEY_AUTHORITY, "Ministry IT", "IT", 21);
	p->c1 = seed_key(PHR_KEY_CLINIC, "Lesvos", "GR", 22);
	p->c2 = seed_key(PHR_KEY_CLINIC, "Lampedusa", "IT", 23);
	p->c3 = seed_key(PHR_KEY_CLINIC, "Rogue-issued", "IT", 24);
	p->rogue = seed_key(PHR_KEY_AUTHORITY, "Rogue", "XX", 25);
	CHECK(p->a1 && p->a2 && p->c1 && p->c2 && p->c3 && p->rogue);
	p->auth[0] = *phr_seckey_public(p->a1);
	p->auth[1] = *phr_seckey_public(p->a2);
	CHECK_RC(phr_cert_issue(p->a1, phr_seckey_public(p->c1), 0, 2000000000, &p->cert[0],
		&p->cert_len[0]), PHR_OK);
	CHECK_RC(phr_cert_issue(p->a2, phr_seckey_public(p->c2), 0, 2000000000, &p->cert[1],
		&p->cert_len[1]), PHR_OK);
	CHECK_RC(phr_cert_issue(p->rogue, phr_seckey_public(p->c3), 0, 2000000000, &p->cert[2],
		&p->cert_len[2]), PHR_OK);
	return 0;
}

static int test_trust_roundtrip(void)
{
	struct pki p;
	struct phr_trust *t = NULL;
	uint8_t *buf = NULL;
	size_t len;
	const uint8_t rev[4][PHR_KID_LEN] = {
		{ 9, 9, 9, 9, 9, 9, 9, 9 },
		{ 1, 2, 3, 4, 5, 6, 7, 8 },
		{ 9, 9, 9, 9, 9, 9, 9, 9 },
		{ 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	if (pki_init(&p))
		return 1;
	const uint8_t *const certs[2] = { p.cert[0], p.cert[1] };
	CHECK_RC(phr_trust_build(p.a2, p.auth, 2, certs, p.cert_len, 2, rev, 4, 42, 1700000123,
		1700000123 + 86400, &buf, &len), PHR_OK);
	CHECK(len <= PHR_MAX_TRUST);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_OK);
	free(buf); /* the bundle keeps its own copy */
	CHECK(phr_trust_version(t) == 42 && phr_trust_issued(t) == 1700000123);
	CHECK(memcmp(phr_trust_signer_kid(t), p.auth[1].kid, PHR_KID_LEN) == 0);
	CHECK(phr_trust_count_authorities(t) == 2);
	CHECK(memcmp(phr_trust_authority_at(t, 0), &p.auth[0], sizeof(p.auth[0])) == 0);
	CHECK(phr_trust_authority_at(t, 2) == NULL);
	CHECK(phr_trust_authority(t, p.auth[1].kid) == phr_trust_authority_at(t, 1));
	CHECK(phr_trust_authority(t, phr_seckey_public(p.rogue)->kid) == NULL);
	CHECK(phr_trust_count_certs(t) == 2);
	const struct phr_cert *c = phr_trust_cert(t, phr_seckey_public(p.c2)->kid);
	CHECK(c && c == phr_trust_cert_at(t, 1));
	CHECK(strcmp(c->subject.name, "Lampedusa") == 0);
	CHECK(memcmp(c->issuer_kid, p.auth[1].kid, PHR_KID_LEN) == 0);
	CHECK(c->raw_len == p.cert_len[1] && memcmp(c->raw, p.cert[1], c->raw_len) == 0);
	CHECK(phr_trust_cert(t, phr_seckey_public(p.c3)->kid) == NULL);
	CHECK(phr_trust_cert(t, p.auth[0].kid) == NULL);
	/* Revoked: sorted, duplicates dropped. */
	CHECK(phr_trust_count_revoked(t) == 3);
	CHECK(memcmp(phr_trust_revoked_at(t, 0), rev[3], PHR_KID_LEN) == 0);
	CHECK(memcmp(phr_trust_revoked_at(t, 1), rev[1], PHR_KID_LEN) == 0);
	CHECK(memcmp(phr_trust_revoked_at(t, 2), rev[0], PHR_KID_LEN) == 0);
	CHECK(phr_trust_revoked_at(t, 3) == NULL);
	CHECK(phr_trust_revoked(t, rev[1]));
	CHECK(phr_trust_revoked(t, rev[0]) && phr_trust_revoked(t, rev[3]));
	CHECK(!phr_trust_revoked(t, p.auth[0].kid));
	phr_trust_destroy(t);
	phr_trust_destroy(NULL);

	/* Empty lists (but the signer) are fine too. */
	CHECK_RC(phr_trust_build(p.a1, p.auth, 1, NULL, NULL, 0, NULL, 0, 1, 2, 3, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_OK);
	CHECK(phr_trust_count_certs(t) == 0 && phr_trust_count_revoked(t) == 0);
	CHECK(!phr_trust_revoked(t, rev[0]));
	phr_trust_destroy(t);
	free(buf);
	pki_free(&p);
	return 0;
}

static int test_trust_build_refuses(void)
{
	struct pki p;
	uint8_t *buf = (uint8_t *)1;
	size_t len;
	if (pki_init(&p))
		return 1;
	const uint8_t *const certs[3] = { p.cert[0], p.cert[1], p.cert[2] };
	/* Signer not listed. */
	CHECK_RC(phr_trust_build(p.rogue, p.auth, 2, NULL, NULL, 0, NULL, 0, 1, 1, 2, &buf, &len),
		PHR_E_ARG);
	CHECK(buf == NULL);
	/* Signer is a clinic. */
	CHECK_RC(phr_trust_build(p.c1, p.auth, 2, NULL, NULL, 0, NULL, 0, 1, 1, 2, &buf, &len),
		PHR_E_ARG);
	/* A clinic key in the authority list. */
	struct phr_pubkey mixed[2] = { p.auth[0], *phr_seckey_public(p.c1) };
	CHECK_RC(phr_trust_build(p.a1, mixed, 2, NULL, NULL, 0, NULL, 0, 1, 1, 2, &buf, &len),
		PHR_E_ARG);
	/* A cert by an authority not listed: the self-check load refuses it. */
	CHECK_RC(phr_trust_build(p.a1, p.auth, 2, certs, p.cert_len, 3, NULL, 0, 1, 1, 2, &buf, &len),
		PHR_E_UNTRUSTED);
	CHECK(buf == NULL);
	CHECK(contains(phr_last_error(), "cert 2"));
	/* The same authority twice. */
	struct phr_pubkey twice[2] = { p.auth[0], p.auth[0] };
	CHECK_RC(phr_trust_build(p.a1, twice, 2, NULL, NULL, 0, NULL, 0, 1, 1, 2, &buf, &len),
		PHR_E_MALFORMED);
	/* The same cert twice. */
	const uint8_t *const dup[2] = { p.cert[0], p.cert[0] };
	const size_t dup_len[2] = { p.cert_len[0], p.cert_len[0] };
	CHECK_RC(phr_trust_build(p.a1, p.auth, 2, dup, dup_len, 2, NULL, 0, 1, 1, 2, &buf, &len),
		PHR_E_MALFORMED);
	/* Revoking the signer itself. */
	const uint8_t (*self)[PHR_KID_LEN] = (const uint8_t (*)[PHR_KID_LEN])p.auth[0].kid;
	CHECK_RC(phr_trust_build(p.a1, p.auth, 2, NULL, NULL, 0, self, 1, 1, 1, 2, &buf, &len),
		PHR_E_REVOKED);
	/* Over the item limit. */
	CHECK_RC(phr_trust_build(p.a1, p.auth, PHR_MAX_TRUST_ITEMS + 1, NULL, NULL, 0, NULL, 0, 1, 1, 2,
		&buf, &len), PHR_E_LIMIT);
	pki_free(&p);
	return 0;
}

static int test_trust_load_rejects(void)
{
	struct pki p;
	struct phr_trust *t = (struct phr_trust *)1;
	uint8_t *buf = NULL;
	size_t len;
	char hex[PHR_KID_HEX_LEN], want[80];
	if (pki_init(&p))
		return 1;
	const uint8_t *const certs[3] = { p.cert[0], p.cert[1], p.cert[2] };
	struct raw_bundle b = { p.auth, 2, certs, p.cert_len, 2, NULL, 0, 0 };

	/* The raw writer agrees with the builder: this one loads. */
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_OK);
	phr_trust_destroy(t);
	/* A flipped bit in the bundle's signature. */
	buf[len - 1] ^= 0x20;
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_BAD_SIGNATURE);
	CHECK(t == NULL);
	free(buf);

	/* Signed by a key the bundle does not list. */
	CHECK_RC(sign_raw_bundle(p.rogue, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_UNTRUSTED);
	phr_kid_to_hex(phr_seckey_public(p.rogue)->kid, hex);
	snprintf(want, sizeof(want), "trust bundle signed by unknown key %s", hex);
	CHECK(strcmp(phr_last_error(), want) == 0);
	free(buf);

	/* Signed with the certificate AAD. */
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_CERT, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_BAD_SIGNATURE);
	free(buf);

	/* A cert from an unlisted authority. */
	b.ncerts = 3;
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "cert 2"));
	free(buf);

	/* A flipped bit in a cert's signature. */
	uint8_t badcert[PHR_MAX_CERT];
	memcpy(badcert, p.cert[1], p.cert_len[1]);
	badcert[p.cert_len[1] - 5] ^= 0x01;
	const uint8_t *const certs2[2] = { p.cert[0], badcert };
	b.certs = certs2;
	b.ncerts = 2;
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "cert 1"));
	CHECK(contains(phr_last_error(), "signature"));
	free(buf);
	b.certs = certs;

	/* A cert that does not parse. */
	uint8_t junk[3] = { 0x83, 0x01, 0x02 };
	const uint8_t *const certs3[1] = { junk };
	const size_t junk_len[1] = { 2 };
	struct raw_bundle bj = { p.auth, 2, certs3, junk_len, 1, NULL, 0, 0 };
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &bj, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "cert 0"));
	free(buf);

	/* Revoked kids out of order, and duplicated. */
	const uint8_t rev[2][PHR_KID_LEN] = { { 2 }, { 1 } };
	b.rev = rev;
	b.nrev = 2;
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_MALFORMED);
	CHECK(contains(phr_last_error(), "revoked kid 1"));
	free(buf);
	const uint8_t rev2[2][PHR_KID_LEN] = { { 1 }, { 1 } };
	b.rev = rev2;
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_MALFORMED);
	free(buf);
	b.nrev = 0;

	/* A clinic key listed as an authority. */
	struct phr_pubkey mixed[2] = { p.auth[0], *phr_seckey_public(p.c1) };
	b.auth = mixed;
	b.ncerts = 1;
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_SCHEMA);
	CHECK(contains(phr_last_error(), "authority 1"));
	free(buf);

	/* Over the size limit. */
	CHECK_RC(phr_trust_load(p.cert[0], PHR_MAX_TRUST + 1, &t), PHR_E_LIMIT);
	CHECK(t == NULL);
	pki_free(&p);
	return 0;
}

/* ---- trust anchors, expiry, versions (docs/TRUST.md) ------------------------ */

static int build_v(struct pki *p, uint64_t version, size_t ncerts, struct phr_trust **t)
{
	uint8_t *buf;
	size_t len;
	const uint8_t *const certs[2] = { p->cert[0], p->cert[1] };
	CHECK_RC(phr_trust_build(p->a1, p->auth, 2, certs, p->cert_len, ncerts, NULL, 0, version, 1700000000,
		1700000000 + 90 * 86400, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, t), PHR_OK);
	free(buf);
	return 0;
}

static int test_trust_anchor_full_key(void)
{
	struct pki p;
	struct phr_trust *t = NULL;
	if (pki_init(&p) || build_v(&p, 1, 1, &t))
		return 1;
	CHECK(phr_trust_signer(t) && memcmp(phr_trust_signer(t)->pk, p.auth[0].pk, PHR_PK_LEN) == 0);
	/* The signer itself, among others: accepted. */
	struct phr_pubkey anchors[2] = { p.auth[1], p.auth[0] };
	CHECK_RC(phr_trust_check_signer(t, anchors, 2), PHR_OK);
	/* No anchors: refused, never accepted by default. */
	CHECK_RC(phr_trust_check_signer(t, anchors, 0), PHR_E_UNTRUSTED);
	/* Another authority: refused, naming the signer. */
	CHECK_RC(phr_trust_check_signer(t, &p.auth[1], 1), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "\"Ministry GR\" (GR)"));
	CHECK(contains(phr_last_error(), "not a trust anchor"));
	/* Same kid, same name, another key: the comparison is over all 32
	 * bytes, whichever byte differs. */
	for (size_t i = 0; i < PHR_PK_LEN; i++) {
		struct phr_pubkey fake = p.auth[0];
		fake.pk[i] ^= 0x01;
		CHECK(memcmp(fake.kid, p.auth[0].kid, PHR_KID_LEN) == 0);
		CHECK_RC(phr_trust_check_signer(t, &fake, 1), PHR_E_UNTRUSTED);
	}
	/* A clinic key with the signer's bytes is not an anchor either. */
	struct phr_pubkey as_clinic = p.auth[0];
	as_clinic.kind = PHR_KEY_CLINIC;
	CHECK_RC(phr_trust_check_signer(t, &as_clinic, 1), PHR_E_UNTRUSTED);
	phr_trust_destroy(t);
	pki_free(&p);
	return 0;
}

static int test_trust_expiry(void)
{
	struct pki p;
	struct phr_trust *t = NULL;
	uint8_t *buf = NULL;
	size_t len;
	if (pki_init(&p) || build_v(&p, 3, 1, &t))
		return 1;
	uint64_t until = 1700000000 + 90 * 86400;
	CHECK(phr_trust_expires(t) == until);
	CHECK_RC(phr_trust_check_time(t, 1700000000), PHR_OK);
	CHECK_RC(phr_trust_check_time(t, until), PHR_OK); /* inclusive */
	CHECK_RC(phr_trust_check_time(t, until + 1), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "trust bundle version 3 from \"Ministry GR\""));
	CHECK(contains(phr_last_error(), "expired on 2024-02-12 22:13 UTC: get a newer one"));
	phr_trust_destroy(t);
	/* The builder: expires after issued, at most PHR_TRUST_MAX_DAYS later. */
	CHECK_RC(phr_trust_build(p.a1, p.auth, 1, NULL, NULL, 0, NULL, 0, 1, 1000, 1000, &buf, &len), PHR_E_ARG);
	CHECK(contains(phr_last_error(), "not after issued"));
	CHECK_RC(phr_trust_build(p.a1, p.auth, 1, NULL, NULL, 0, NULL, 0, 1, 1000,
		1000 + (uint64_t)PHR_TRUST_MAX_DAYS * 86400 + 1, &buf, &len), PHR_E_ARG);
	CHECK_RC(phr_trust_build(p.a1, p.auth, 1, NULL, NULL, 0, NULL, 0, 1, 1000,
		1000 + (uint64_t)PHR_TRUST_MAX_DAYS * 86400, &buf, &len), PHR_OK);
	free(buf);
	/* The reader refuses the same, signed or not. */
	struct raw_bundle b = { p.auth, 1, NULL, NULL, 0, NULL, 0, 1700000000 };
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_SCHEMA);
	CHECK(contains(phr_last_error(), "expires"));
	free(buf);
	b.expires = 1700000000 + (uint64_t)PHR_TRUST_MAX_DAYS * 86400 + 1;
	CHECK_RC(sign_raw_bundle(p.a1, PHR_AAD_TRUST, &b, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_load(buf, len, &t), PHR_E_SCHEMA);
	CHECK(contains(phr_last_error(), "days"));
	free(buf);
	pki_free(&p);
	return 0;
}

static int test_trust_versions(void)
{
	struct pki p;
	struct phr_trust *v1 = NULL, *v1b = NULL, *v2 = NULL, *v2b = NULL;
	struct phr_trust_seen seen[PHR_MAX_ANCHORS], back[PHR_MAX_ANCHORS];
	size_t n = 0, nb;
	bool changed;
	uint8_t *buf;
	size_t len;
	if (pki_init(&p) || build_v(&p, 1, 1, &v1) || build_v(&p, 1, 1, &v1b) || build_v(&p, 2, 1, &v2) ||
	    build_v(&p, 2, 2, &v2b))
		return 1;
	CHECK(memcmp(phr_trust_digest(v1), phr_trust_digest(v1b), PHR_TRUST_DIGEST_LEN) == 0);
	CHECK(memcmp(phr_trust_digest(v2), phr_trust_digest(v2b), PHR_TRUST_DIGEST_LEN) != 0);
	CHECK_RC(phr_trust_check_version(v1, seen, &n, &changed), PHR_OK);
	CHECK(changed && n == 1 && seen[0].version == 1);
	CHECK_RC(phr_trust_check_version(v1b, seen, &n, &changed), PHR_OK); /* the same bytes again */
	CHECK(!changed && n == 1);
	CHECK_RC(phr_trust_check_version(v2, seen, &n, &changed), PHR_OK);
	CHECK(changed && n == 1 && seen[0].version == 2);
	/* Older after newer: refused, the state unchanged. */
	CHECK_RC(phr_trust_check_version(v1, seen, &n, &changed), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "version 1 from \"Ministry GR\""));
	CHECK(contains(phr_last_error(), "is older than version 2 already used here"));
	CHECK(!changed && seen[0].version == 2);
	/* The same version with other bytes. */
	CHECK_RC(phr_trust_check_version(v2b, seen, &n, &changed), PHR_E_UNTRUSTED);
	CHECK(contains(phr_last_error(), "differs from the version 2"));
	/* Through the file format and back. */
	CHECK_RC(phr_trust_state_encode(seen, n, &buf, &len), PHR_OK);
	CHECK_RC(phr_trust_state_decode(buf, len, back, &nb), PHR_OK);
	CHECK(nb == 1 && memcmp(back, seen, sizeof(seen[0])) == 0);
	CHECK_RC(phr_trust_state_decode(buf, len - 1, back, &nb), PHR_E_TRUNCATED);
	CHECK(nb == 0);
	free(buf);
	/* Entries out of order, and over the limit. */
	struct phr_trust_seen two[2];
	memset(two, 0, sizeof(two));
	two[0].pk[0] = 2;
	two[1].pk[0] = 1;
	CHECK_RC(phr_trust_state_encode(two, 2, &buf, &len), PHR_E_ARG);
	two[0].pk[0] = 0;
	CHECK_RC(phr_trust_state_encode(two, 2, &buf, &len), PHR_OK);
	uint8_t *pos = memchr(buf, 0x01, len); /* two[1].pk[0] */
	CHECK(pos != NULL);
	*pos = 0x00;                           /* now equal to two[0].pk */
	CHECK_RC(phr_trust_state_decode(buf, len, back, &nb), PHR_E_MALFORMED);
	free(buf);
	uint8_t big[2 + PHR_MAX_ANCHORS + 1] = { 0x98, PHR_MAX_ANCHORS + 1 }; /* array of 65 zeros */
	CHECK_RC(phr_trust_state_decode(big, sizeof(big), back, &nb), PHR_E_LIMIT);
	phr_trust_destroy(v1);
	phr_trust_destroy(v1b);
	phr_trust_destroy(v2);
	phr_trust_destroy(v2b);
	pki_free(&p);
	return 0;
}

static int test_anchors_file(void)
{
	struct pki p;
	struct phr_pubkey back[PHR_MAX_ANCHORS];
	size_t n;
	uint8_t *buf;
	size_t len;
	if (pki_init(&p))
		return 1;
	CHECK_RC(phr_anchors_encode(p.auth, 2, &buf, &len), PHR_OK);
	CHECK_RC(phr_anchors_decode(buf, len, back, &n), PHR_OK);
	CHECK(n == 2 && memcmp(&back[0], &p.auth[0], sizeof(back[0])) == 0 &&
	      memcmp(&back[1], &p.auth[1], sizeof(back[1])) == 0);
	CHECK_RC(phr_anchors_decode(buf, len - 1, back, &n), PHR_E_TRUNCATED);
	CHECK(n == 0);
	free(buf);
	CHECK_RC(phr_anchors_encode(NULL, 0, &buf, &len), PHR_OK); /* an empty list is a file */
	CHECK_RC(phr_anchors_decode(buf, len, back, &n), PHR_OK);
	CHECK(n == 0);
	free(buf);
	/* A clinic key, and the same key twice. */
	struct phr_pubkey clinic = *phr_seckey_public(p.c1), twice[2] = { p.auth[0], p.auth[0] };
	CHECK_RC(phr_anchors_encode(&clinic, 1, &buf, &len), PHR_E_ARG);
	CHECK_RC(phr_anchors_encode(twice, 2, &buf, &len), PHR_E_ARG);
	/* The reader checks what the writer would: kind flipped in the bytes. */
	CHECK_RC(phr_anchors_encode(p.auth, 1, &buf, &len), PHR_OK);
	CHECK(buf[0] == 0x81 && buf[1] == 0xa4 && buf[2] == 0x01 && buf[3] == 0x01);
	buf[3] = 0x02;
	CHECK_RC(phr_anchors_decode(buf, len, back, &n), PHR_E_SCHEMA);
	free(buf);
	uint8_t big[2 + PHR_MAX_ANCHORS + 1] = { 0x98, PHR_MAX_ANCHORS + 1 }; /* array of 65 zeros */
	CHECK_RC(phr_anchors_decode(big, sizeof(big), back, &n), PHR_E_LIMIT);
	static const uint8_t huge[PHR_MAX_ANCHORS_FILE + 1];
	CHECK_RC(phr_anchors_decode(huge, sizeof(huge), back, &n), PHR_E_LIMIT);
	pki_free(&p);
	return 0;
}

/* ---- runner ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "kid_fixed", test_kid_fixed },
	{ "generate", test_generate },
	{ "key_args", test_key_args },
	{ "pub_roundtrip", test_pub_roundtrip },
	{ "seal_open", test_seal_open },
	{ "seal_interactive", test_seal_interactive },
	{ "keyfile_tamper", test_keyfile_tamper },
	{ "keyfile_pk_mismatch", test_keyfile_pk_mismatch },
	{ "keyfile_limits", test_keyfile_limits },
	{ "cose_roundtrip", test_cose_roundtrip },
	{ "cose_parse_rejects", test_cose_parse_rejects },
	{ "short_inputs", test_short_inputs },
	{ "cert_golden", test_cert_golden },
	{ "cert", test_cert },
	{ "trust_roundtrip", test_trust_roundtrip },
	{ "trust_build_refuses", test_trust_build_refuses },
	{ "trust_load_rejects", test_trust_load_rejects },
	{ "trust_anchor_full_key", test_trust_anchor_full_key },
	{ "trust_expiry", test_trust_expiry },
	{ "trust_versions", test_trust_versions },
	{ "anchors_file", test_anchors_file },
};

int main(void)
{
	int passed = 0, failed = 0;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		phr_clear_error();
		if (tests[i].fn() == 0) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s\n", tests[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
