/* Sealed sections (phr/seal.h): the typed holder key, the key derivation
 * and AEAD as docs/FORMAT.md states them (recomputed here with libsodium
 * directly), split/merge, and a sealed record that verifies without the
 * key and opens only with the right one at the right place. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fixture.h"
#include "phr/cbor.h"
#include "phr/json.h"
#include "phr/compress.h"
#include "phr/seal.h"
#include "testlib.h"

static struct fixture fx;

/* find() is a GNU extension: the same, here */
static const uint8_t *find(const void *hay, size_t n, const void *needle, size_t m)
{
	const uint8_t *h = hay;
	for (size_t i = 0; m && i + m <= n; i++)
		if (!memcmp(h + i, needle, m))
			return h + i;
	return NULL;
}
static const uint8_t key_a[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				   0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t key_b[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const uint8_t rid_a[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

static int test_key_text(void)
{
	char text[PHR_HOLDER_KEY_TEXT_LEN];
	uint8_t back[16];
	phr_holder_key_format(key_a, text);
	/* RFC 4648 Base32 of 000102...0f is AAAQEAYEAUDAOCAJBIFQYDIOB4 (26 chars
	 * without padding); the check character follows; groups of 4 */
	CHECK(strlen(text) == PHR_HOLDER_KEY_TEXT_LEN - 1);
	CHECK(!strncmp(text, "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4", 32));
	CHECK_RC(phr_holder_key_parse(text, strlen(text), back), PHR_OK);
	CHECK(!memcmp(back, key_a, 16));
	/* typed loosely: lower case, spaces, 0/1/8 for O/I/B, a new line */
	char loose[64];
	size_t o = 0;
	for (size_t i = 0; text[i]; i++) {
		char c = text[i];
		if (c == '-') {
			loose[o++] = ' ';
			continue;
		}
		loose[o++] = c == 'O' ? '0' : c == 'I' ? '1' : c == 'B' ? '8' : (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	loose[o++] = '\n';
	CHECK_RC(phr_holder_key_parse(loose, o, back), PHR_OK);
	CHECK(!memcmp(back, key_a, 16));
	/* every single mistyped character is caught */
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	for (size_t i = 0; text[i]; i++) {
		if (text[i] == '-')
			continue;
		for (size_t a = 0; a < 32; a++) {
			char t2[PHR_HOLDER_KEY_TEXT_LEN];
			memcpy(t2, text, sizeof(t2));
			if (t2[i] == b32[a])
				continue;
			t2[i] = b32[a];
			CHECK_RC(phr_holder_key_parse(t2, strlen(t2), back), PHR_E_SEAL_KEY);
		}
	}
	/* too short, too long, not Base32 */
	CHECK_RC(phr_holder_key_parse(text, strlen(text) - 1, back), PHR_E_SEAL_KEY);
	CHECK_RC(phr_holder_key_parse("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4AA-A", 36, back), PHR_E_SEAL_KEY);
	CHECK_RC(phr_holder_key_parse("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B9", 32, back), PHR_E_SEAL_KEY);
	/* random keys round-trip */
	for (int n = 0; n < 200; n++) {
		uint8_t k[16];
		CHECK_RC(phr_holder_key_generate(k), PHR_OK);
		phr_holder_key_format(k, text);
		CHECK_RC(phr_holder_key_parse(text, strlen(text), back), PHR_OK);
		CHECK(!memcmp(back, k, 16));
	}
	return 0;
}

/* The derivation as FORMAT.md words it, with libsodium directly. */
static int test_derivation_as_specified(void)
{
	uint8_t msg[8 + 16 + 8], want[32], got[32], kid[4], h[16];
	memcpy(msg, "phr-seal", 8);
	memcpy(msg + 8, rid_a, 16);
	memset(msg + 24, 0, 8);
	msg[31] = 5;
	crypto_generichash(want, 32, msg, sizeof(msg), key_a, 16);
	phr_seal_entry_key(key_a, rid_a, 5, got);
	CHECK(!memcmp(want, got, 32));
	crypto_generichash(h, 16, (const uint8_t *)"phr-seal-kid", 12, key_a, 16);
	phr_holder_key_id(key_a, kid);
	CHECK(!memcmp(h, kid, 4));

	/* the envelope decrypts with the specified nonce and AD */
	static const uint8_t plain[] = { 0xa1, 0x13, 0x62, 'h', 'i' }; /* {19: "hi"} */
	static const uint8_t salt[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	uint8_t *env;
	size_t env_len;
	CHECK_RC(phr_seal_v(PHR_SEAL_V1, key_a, rid_a, 5, plain, sizeof(plain), 1, salt, &env, &env_len), PHR_OK);
	struct phr_seal_envelope v;
	CHECK_RC(phr_seal_envelope_parse(env, env_len, &v), PHR_OK);
	CHECK(v.sections == 1 && !memcmp(v.kid, kid, 4) && !memcmp(v.salt, salt, 12));
	/* overhead: array 1, kid 5, sections 1, salt 13, ct head 1, tag 16 */
	CHECK(env_len == sizeof(plain) + 1 + 5 + 1 + 13 + 1 + 16);
	uint8_t nonce[24] = { 0 }, ad[40], out[sizeof(plain)];
	memcpy(nonce, salt, 12);
	memcpy(ad, "phr-seal", 8);
	memcpy(ad + 8, rid_a, 16);
	memset(ad + 24, 0, 8);
	ad[31] = 5;
	memcpy(ad + 32, kid, 4);
	ad[36] = ad[37] = ad[38] = 0;
	ad[39] = 1;
	unsigned long long m;
	CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(out, &m, NULL, v.ct, v.ct_len, ad, 40, nonce, want) == 0);
	CHECK(m == sizeof(plain) && !memcmp(out, plain, m));
	free(env);

	/* v2 (written by phr_seal): one byte string, count, key id, 8-byte
	 * salt, ciphertext; the nonce is the salt and 16 zero bytes */
	CHECK_RC(phr_seal(key_a, rid_a, 5, plain, sizeof(plain), 1, salt, &env, &env_len), PHR_OK);
	/* overhead: bstr head 2 (37 bytes inside), count 1, kid 4, salt 8, tag 16 */
	CHECK(env_len == sizeof(plain) + 2 + 1 + 4 + 8 + 16);
	CHECK(env[0] == 0x58 && env[1] == env_len - 2 && env[2] == 1 && !memcmp(env + 3, kid, 4) &&
	      !memcmp(env + 7, salt, 8));
	CHECK_RC(phr_seal_envelope_parse(env, env_len, &v), PHR_OK);
	CHECK(v.version == 2 && v.salt_len == 8 && v.sections == 1 && v.ct == env + 15);
	memset(nonce, 0, sizeof(nonce));
	memcpy(nonce, salt, 8);
	CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(out, &m, NULL, v.ct, v.ct_len, ad, 40, nonce, want) == 0);
	CHECK(m == sizeof(plain) && !memcmp(out, plain, m));
	uint8_t *back;
	size_t back_len;
	CHECK_RC(phr_seal_open(key_a, rid_a, 5, env, env_len, &back, &back_len), PHR_OK);
	CHECK(back_len == sizeof(plain) && !memcmp(back, plain, back_len));
	free(back);
	/* refused: a count of 0 or 21, bytes after it, too short */
	env[2] = 0;
	CHECK_RC(phr_seal_envelope_parse(env, env_len, &v), PHR_E_MALFORMED);
	env[2] = 21;
	CHECK_RC(phr_seal_envelope_parse(env, env_len, &v), PHR_E_MALFORMED);
	env[2] = 1;
	CHECK(phr_seal_envelope_parse(env, env_len - 1, &v) != PHR_OK);
	static const uint8_t shorty[] = { 0x4d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	CHECK_RC(phr_seal_envelope_parse(shorty, sizeof(shorty), &v), PHR_E_MALFORMED);
	uint8_t *longer = malloc(env_len + 1);
	CHECK(longer != NULL);
	memcpy(longer, env, env_len);
	longer[env_len] = 0;
	CHECK(phr_seal_envelope_parse(longer, env_len + 1, &v) != PHR_OK);
	free(longer);
	/* the count is bound by the AD: changed, the tag fails */
	env[2] = 2;
	CHECK_RC(phr_seal_open(key_a, rid_a, 5, env, env_len, &back, &back_len), PHR_E_SEALED);
	free(env);
	return 0;
}

static int load_example(const char *name, uint8_t **cbor, size_t *len)
{
	char path[256];
	size_t n;
	snprintf(path, sizeof(path), "examples/%s", name);
	char *text = (char *)t_read(path, &n);
	if (!text)
		return 1;
	json_t *j = json_loadb(text, n, 0, NULL);
	free(text);
	if (!j)
		return 1;
	int rc = phr_entry_encode_json(j, cbor, len);
	json_decref(j);
	return rc;
}

static int has_key(const uint8_t *map, size_t len, uint64_t want)
{
	struct phr_cbor_dec d;
	size_t n;
	if (phr_cbor_dec_init(&d, map, len) || phr_cbor_get_map(&d, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		if (phr_cbor_get_uint(&d, &k) || phr_cbor_skip(&d))
			return -1;
		if (k == want)
			return 1;
	}
	return 0;
}

static int test_split_merge(void)
{
	static const char *const ex[] = { "pregnant-hepatitis-b.json", "adult-tb-positive-referral.json",
					  "older-man-chronic.json", "child-no-vaccination-documents.json" };
	for (size_t x = 0; x < sizeof(ex) / sizeof(ex[0]); x++) {
		uint8_t *c, *clear, *plain, *full;
		size_t clen, clear_len, plain_len, full_len;
		unsigned n;
		CHECK(load_example(ex[x], &c, &clen) == 0);
		CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n),
			 PHR_OK);
		CHECK_RC(phr_entry_validate(clear, clear_len), PHR_OK);
		CHECK(has_key(clear, clear_len, 13) == 0 && has_key(clear, clear_len, 14) == 0 &&
		      has_key(clear, clear_len, 19) == 0);
		if (plain) {
			CHECK(n >= 1);
			CHECK_RC(phr_seal_merge(clear, clear_len, plain, plain_len, &full, &full_len), PHR_OK);
			CHECK(full_len == clen && !memcmp(full, c, clen));
			free(full);
			free(plain);
		} else {
			CHECK(clear_len == clen && !memcmp(clear, c, clen));
		}
		/* the whole results array, and nothing */
		free(clear);
		CHECK_RC(phr_seal_split(c, clen, PHR_SEAL_BIT(11), &clear, &clear_len, &plain, &plain_len, &n), PHR_OK);
		CHECK(has_key(clear, clear_len, 11) == 0);
		if (plain) {
			CHECK(n == 1);
			CHECK_RC(phr_seal_merge(clear, clear_len, plain, plain_len, &full, &full_len), PHR_OK);
			CHECK(full_len == clen && !memcmp(full, c, clen));
			free(full);
			free(plain);
		}
		free(clear);
		free(c);
	}
	/* the pregnant example: pregnancy, mental health and the screenings */
	uint8_t *c, *clear, *plain;
	size_t clen, clear_len, plain_len;
	unsigned n;
	CHECK(load_example("pregnant-hepatitis-b.json", &c, &clen) == 0);
	CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n), PHR_OK);
	CHECK(plain && n == 3);
	CHECK(has_key(plain, plain_len, 0) == 1 && has_key(plain, plain_len, 11) == 1 && has_key(plain, plain_len, 13) == 1);
	/* no byte string of the sealed screening codes is left in the clear */
	CHECK(!find(clear, clear_len, "56888-1", 7) && !find(clear, clear_len, "5196-1", 6));
	CHECK(find(plain, plain_len, "56888-1", 7) != NULL);
	/* a sealed part naming a section the clear part has, or kind/date: refused */
	uint8_t *full;
	size_t full_len;
	CHECK_RC(phr_seal_merge(c, clen, plain, plain_len, &full, &full_len), PHR_E_MALFORMED);
	static const uint8_t bad_kind[] = { 0xa1, 0x01, 0x00 };
	CHECK_RC(phr_seal_merge(clear, clear_len, bad_kind, sizeof(bad_kind), &full, &full_len), PHR_E_MALFORMED);
	free(c);
	free(clear);
	free(plain);
	/* sections by name */
	uint32_t mask;
	CHECK_RC(phr_seal_parse_sections("screening,pregnancy,mental_health,notes", &mask), PHR_OK);
	CHECK(mask == phr_seal_default_sections());
	CHECK_RC(phr_seal_parse_sections("kind", &mask), PHR_E_ARG);
	CHECK_RC(phr_seal_parse_sections("identity", &mask), PHR_E_ARG);
	CHECK_RC(phr_seal_parse_sections("nonsense", &mask), PHR_E_ARG);
	return 0;
}

static int test_open_refuses(void)
{
	uint8_t *c, *clear, *plain, *env, *out;
	size_t clen, clear_len, plain_len, env_len, out_len;
	unsigned n;
	uint8_t other_key[16], other_rid[16];
	memcpy(other_key, key_a, 16);
	other_key[15] ^= 1;
	memcpy(other_rid, rid_a, 16);
	other_rid[0] ^= 0x80;
	CHECK(load_example("pregnant-hepatitis-b.json", &c, &clen) == 0);
	CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n), PHR_OK);
	CHECK_RC(phr_seal(key_a, rid_a, 3, plain, plain_len, n, NULL, &env, &env_len), PHR_OK);
	CHECK(!find(env, env_len, "56888-1", 7));
	CHECK_RC(phr_seal_open(key_a, rid_a, 3, env, env_len, &out, &out_len), PHR_OK);
	CHECK(out_len == plain_len && !memcmp(out, plain, out_len));
	free(out);
	CHECK_RC(phr_seal_open(other_key, rid_a, 3, env, env_len, &out, &out_len), PHR_E_SEAL_KEY);
	CHECK_RC(phr_seal_open(key_a, other_rid, 3, env, env_len, &out, &out_len), PHR_E_SEALED);
	CHECK_RC(phr_seal_open(key_a, rid_a, 4, env, env_len, &out, &out_len), PHR_E_SEALED);
	/* every bit of the envelope matters */
	for (size_t i = 0; i < env_len * 8; i++) {
		env[i / 8] ^= (uint8_t)(1u << (i % 8));
		int rc = phr_seal_open(key_a, rid_a, 3, env, env_len, &out, &out_len);
		env[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK(rc != PHR_OK);
		CHECK(out == NULL);
	}
	/* two seals of the same plaintext differ (random salt) */
	uint8_t *env2;
	size_t env2_len;
	CHECK_RC(phr_seal(key_a, rid_a, 3, plain, plain_len, n, NULL, &env2, &env2_len), PHR_OK);
	CHECK(env2_len == env_len && memcmp(env, env2, env_len) != 0);
	free(env2);
	free(env);
	free(c);
	free(clear);
	free(plain);
	return 0;
}

/* A sealed record verifies without the key; opens with it; a sealed part
 * moved to another entry (signed again by a clinic) verifies but does not
 * open; another record's key does not open it. */
/* Re-keying (FORMAT.md "Re-keying"): entry 0 sealed under K; entry 1, a
 * re-keying entry under K2, re-seals it; entry 2 sealed under K2. K2 opens
 * all (entry 0 "re-sealed at entry 1"), K only entry 0; the re-keying
 * plaintext the library builds is the specified one; state of each key. A
 * re-keying entry carrying a bad plaintext for entry 0 leaves entry 0
 * closed, saying where it came from. */
static int rekeyed(uint8_t *const carried, size_t carried_len, struct phr_record **out, uint8_t hk[16],
		   uint8_t hk2[16])
{
	uint8_t *c, *clear, *plain, *env, *rp = NULL;
	size_t clen, clear_len, plain_len, env_len, rp_len, nc;
	unsigned n;
	struct phr_record *r;
	CHECK_RC(phr_holder_key_generate(hk), PHR_OK);
	CHECK_RC(phr_holder_key_generate(hk2), PHR_OK);
	CHECK(load_example("pregnant-hepatitis-b.json", &c, &clen) == 0);
	CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n), PHR_OK);
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_seal_packed(hk, r->id, 0, plain, plain_len, n, NULL, &env, &env_len), PHR_OK);
	CHECK_RC(phr_record_append_sealed(r, fx.clinic1, fx.cert1, fx.cert1_len, clear, clear_len, env, env_len, FX_T0),
		 PHR_OK);
	free(env);
	CHECK_RC(phr_seal_rekey_plaintext(r, hk, &rp, &rp_len, &nc), PHR_OK);
	CHECK(nc == 1 && rp_len > plain_len && rp[0] == 0xa1 && rp[1] == 0x18 && rp[2] == 0x1f && rp[3] == 0xa1 &&
	      rp[4] == 0x00 && !memcmp(rp + rp_len - plain_len, plain, plain_len));
	CHECK_RC(phr_seal(hk2, r->id, 1, carried ? carried : rp, carried ? carried_len : rp_len, 1, NULL, &env, &env_len),
		 PHR_OK);
	CHECK_RC(phr_record_append_sealed(r, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, env, env_len,
					  FX_T0 + FX_DAY),
		 PHR_OK);
	free(env);
	static const uint8_t note[] = { 0xa1, 0x13, 0x64, 'n', 'o', 't', 'e' };
	CHECK_RC(phr_seal(hk2, r->id, 2, note, sizeof(note), 1, NULL, &env, &env_len), PHR_OK);
	CHECK_RC(phr_record_append_sealed(r, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, env, env_len,
					  FX_T0 + 2 * FX_DAY),
		 PHR_OK);
	free(env);
	free(rp);
	free(c);
	free(clear);
	free(plain);
	*out = r;
	return 0;
}

static struct phr_record *reread(const struct phr_record *r)
{
	uint8_t *buf;
	size_t len;
	struct phr_record *d = NULL;
	if (phr_record_encode(r, -1, &buf, &len) == PHR_OK) {
		if (phr_record_decode(buf, len, &d) != PHR_OK)
			d = NULL;
		free(buf);
	}
	return d;
}

static int test_rekey(void)
{
	uint8_t hk[16], hk2[16], hk3[16];
	size_t failed, at, rekeyed_at;
	struct phr_record *r, *d;
	CHECK(rekeyed(NULL, 0, &r, hk, hk2) == 0);
	/* by opening: the new key opens the newest, the old one only entries
	 * before the re-keying, another key none */
	CHECK(phr_record_seal_key_state(r, hk2, &at, &rekeyed_at) == PHR_SEAL_KEY_NEWEST && at == 2);
	CHECK(phr_record_seal_key_state(r, hk, &at, &rekeyed_at) == PHR_SEAL_KEY_REPLACED && rekeyed_at == 1 && at == 2);
	memcpy(hk3, hk, 16);
	hk3[0] ^= 1;
	CHECK(phr_record_seal_key_state(r, hk3, &at, &rekeyed_at) == PHR_SEAL_KEY_OTHER && at == 2);
	/* the new key: everything */
	CHECK((d = reread(r)) != NULL);
	CHECK_RC(phr_record_unseal(d, hk2, &failed), PHR_OK);
	CHECK(failed == 0 && d->entries[0].seal_state == 1 && strstr(d->entries[0].seal_why, "re-sealed at entry 1"));
	CHECK(d->entries[1].seal_state == 1 && d->entries[2].seal_state == 1);
	CHECK(find(d->entries[0].content, d->entries[0].content_len, "56888-1", 7));
	phr_record_destroy(d);
	/* the old key: entry 0 only */
	CHECK((d = reread(r)) != NULL);
	CHECK_RC(phr_record_unseal(d, hk, &failed), PHR_OK);
	CHECK(failed == 2 && d->entries[0].seal_state == 1 && d->entries[1].seal_state == PHR_E_SEAL_KEY &&
	      d->entries[2].seal_state == PHR_E_SEAL_KEY && strstr(d->entries[2].seal_why, "re-keyed at entry 1"));
	phr_record_destroy(d);
	/* re-keying again from the new key carries entry 0 and marks entry 1 */
	uint8_t *rp;
	size_t rp_len, nc;
	CHECK_RC(phr_seal_rekey_plaintext(r, hk2, &rp, &rp_len, &nc), PHR_OK);
	const uint8_t *ptr[PHR_MAX_ENTRIES];
	size_t lens[PHR_MAX_ENTRIES];
	CHECK(nc == 2);
	CHECK_RC(phr_seal_rekey_parse(rp, rp_len, 3, ptr, lens), 1);
	CHECK(ptr[0] && ptr[1] && ptr[2] && lens[1] == 4 && !memcmp(ptr[1], "\xa1\x18\x1f\xa0", 4));
	CHECK_RC(phr_seal_rekey_parse(rp, rp_len, 2, ptr, lens), PHR_E_MALFORMED);
	free(rp);
	/* the old key cannot re-key */
	CHECK(phr_seal_rekey_plaintext(r, hk, &rp, &rp_len, &nc) != PHR_OK && rp == NULL);
	phr_record_destroy(r);
	/* a re-keying entry carrying a bad plaintext for entry 0 */
	static uint8_t bad[] = { 0xa1, 0x18, 0x1f, 0xa1, 0x00, 0x43, 0xa1, 0x01, 0x00 }; /* {31: {0: h'a10100'}}: kind */
	CHECK(rekeyed(bad, sizeof(bad), &r, hk, hk2) == 0);
	CHECK((d = reread(r)) != NULL);
	CHECK_RC(phr_record_unseal(d, hk2, &failed), PHR_OK);
	CHECK(failed == 1 && d->entries[0].seal_state != 1 && strstr(d->entries[0].seal_why, "re-sealed at entry 1"));
	CHECK(d->entries[1].seal_state == 1 && d->entries[2].seal_state == 1);
	phr_record_destroy(d);
	phr_record_destroy(r);
	return 0;
}

/* Packed plaintexts (FORMAT.md "Packed plaintexts"): smaller when the
 * plaintext compresses, opened back exactly; a short one stays as it is;
 * an envelope holding neither a CBOR map nor a packed plaintext that
 * inflates to what it declares is refused. */
static int test_packed(void)
{
	static const char *const ex[] = { "pregnant-hepatitis-b.json", "adult-tb-positive-referral.json",
					  "child-no-vaccination-documents.json", "older-man-chronic.json" };
	for (size_t e = 0; e < sizeof(ex) / sizeof(ex[0]); e++) {
		uint8_t *c, *clear, *plain, *env, *penv, *out;
		size_t clen, clear_len, plain_len, env_len, penv_len, out_len;
		unsigned n;
		CHECK(load_example(ex[e], &c, &clen) == 0);
		CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n),
			 PHR_OK);
		CHECK_RC(phr_seal(key_a, rid_a, 3, plain, plain_len, n, NULL, &env, &env_len), PHR_OK);
		CHECK_RC(phr_seal_packed(key_a, rid_a, 3, plain, plain_len, n, NULL, &penv, &penv_len), PHR_OK);
		CHECK(penv_len <= env_len);
		printf("  %s: sealed part %zu bytes, envelope %zu, packed %zu\n", ex[e], plain_len, env_len, penv_len);
		CHECK_RC(phr_seal_open(key_a, rid_a, 3, penv, penv_len, &out, &out_len), PHR_OK);
		CHECK(out_len == plain_len && !memcmp(out, plain, out_len));
		free(out);
		if (e == 0)
			CHECK(penv_len + 50 < env_len); /* six screenings, pregnancy, mental health: compresses well */
		free(c);
		free(clear);
		free(plain);
		free(env);
		free(penv);
	}
	/* too short to gain: as it is */
	static const uint8_t note[] = { 0xa1, 0x13, 0x62, 'h', 'i' };
	uint8_t *env, *out;
	size_t env_len, out_len;
	CHECK_RC(phr_seal_packed(key_a, rid_a, 1, note, sizeof(note), 1, NULL, &env, &env_len), PHR_OK);
	CHECK(env_len == sizeof(note) + 2 + 1 + 4 + 8 + 16); /* envelope v2 */
	free(env);
	/* not a map, not packed: refused after the tag checks */
	static const uint8_t odd[] = { 0x02, 0x00, 0x05, 'x', 'y' };
	CHECK_RC(phr_seal(key_a, rid_a, 1, odd, sizeof(odd), 1, NULL, &env, &env_len), PHR_OK);
	CHECK_RC(phr_seal_open(key_a, rid_a, 1, env, env_len, &out, &out_len), PHR_E_MALFORMED);
	CHECK(out == NULL && strstr(phr_last_error(), "neither a CBOR map nor a packed plaintext"));
	free(env);
	/* packed, declaring another length than it inflates to */
	uint8_t *z;
	size_t zl;
	CHECK_RC(phr_compress(PHR_COMP_DEFLATE_DICT1, note, sizeof(note), &z, &zl), PHR_OK);
	uint8_t bad[64];
	CHECK(zl + 3 <= sizeof(bad));
	bad[0] = PHR_SEAL_PACKED_DEFLATE_DICT1;
	bad[1] = 0;
	bad[2] = (uint8_t)(sizeof(note) + 1);
	memcpy(bad + 3, z, zl);
	CHECK_RC(phr_seal(key_a, rid_a, 1, bad, zl + 3, 1, NULL, &env, &env_len), PHR_OK);
	CHECK(phr_seal_open(key_a, rid_a, 1, env, env_len, &out, &out_len) != PHR_OK && out == NULL);
	free(env);
	bad[2] = (uint8_t)sizeof(note);
	CHECK_RC(phr_seal(key_a, rid_a, 1, bad, zl + 3, 1, NULL, &env, &env_len), PHR_OK);
	CHECK_RC(phr_seal_open(key_a, rid_a, 1, env, env_len, &out, &out_len), PHR_OK);
	CHECK(out_len == sizeof(note) && !memcmp(out, note, sizeof(note)));
	free(out);
	free(env);
	free(z);
	return 0;
}

static int test_sealed_record(void)
{
	uint8_t *c, *clear, *plain, *env, *env1, *buf;
	size_t clen, clear_len, plain_len, env_len, env1_len, len;
	unsigned n;
	struct phr_record *r, *d;
	struct phr_report rep;
	uint8_t hk[16];
	CHECK_RC(phr_holder_key_generate(hk), PHR_OK);
	CHECK(load_example("pregnant-hepatitis-b.json", &c, &clen) == 0);
	CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n), PHR_OK);
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_seal(hk, r->id, 0, plain, plain_len, n, NULL, &env, &env_len), PHR_OK);
	CHECK_RC(phr_record_append_sealed(r, fx.clinic1, fx.cert1, fx.cert1_len, clear, clear_len, env, env_len, FX_T0),
		 PHR_OK);
	/* entry 1 carries entry 0's sealed part: moved */
	CHECK_RC(phr_record_append_sealed(r, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, env, env_len,
					  FX_T0 + FX_DAY),
		 PHR_OK);
	/* entry 2: sealed properly for index 2 */
	static const uint8_t note[] = { 0xa1, 0x13, 0x64, 'n', 'o', 't', 'e' };
	CHECK_RC(phr_seal(hk, r->id, 2, note, sizeof(note), 1, NULL, &env1, &env1_len), PHR_OK);
	CHECK_RC(phr_record_append_sealed(r, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, env1, env1_len,
					  FX_T0 + 2 * FX_DAY),
		 PHR_OK);
	CHECK_RC(phr_record_encode(r, -1, &buf, &len), PHR_OK);
	CHECK(!find(buf, len, "56888-1", 7));
	CHECK_RC(phr_record_decode(buf, len, &d), PHR_OK);
	CHECK(d->entries[0].sealed && d->entries[0].sealed_sections == 3);
	CHECK_RC(phr_verify_record(d, fx.trust, FX_T0 + 3 * FX_DAY, &rep), PHR_OK);
	CHECK(rep.all_valid);
	size_t failed;
	CHECK_RC(phr_record_unseal(d, hk, &failed), PHR_OK);
	CHECK(failed == 1);
	CHECK(d->entries[0].seal_state == 1);
	CHECK(d->entries[0].content_len == clen && !memcmp(d->entries[0].content, c, clen));
	CHECK(d->entries[1].seal_state == PHR_E_SEALED && strstr(d->entries[1].seal_why, "entry 1"));
	CHECK(d->entries[1].content_len == fx.entry1_len); /* the rest is still there */
	CHECK(d->entries[2].seal_state == 1);
	phr_record_destroy(d);
	/* another key (another record's) opens nothing */
	uint8_t other[16];
	CHECK_RC(phr_holder_key_generate(other), PHR_OK);
	CHECK_RC(phr_record_decode(buf, len, &d), PHR_OK);
	CHECK_RC(phr_record_unseal(d, other, &failed), PHR_OK);
	CHECK(failed == 3 && d->entries[0].seal_state == PHR_E_SEAL_KEY);
	CHECK(d->entries[0].content_len == clear_len);
	phr_record_destroy(d);
	/* a flipped ciphertext bit is a bad signature first of all */
	free(plain);
	CHECK_RC(phr_record_body(r, &plain, &plain_len), PHR_OK);
	uint8_t *hit = (uint8_t *)find(plain, plain_len, env + env_len - 20, 8);
	CHECK(hit != NULL);
	hit[3] ^= 0x10;
	size_t blen;
	uint8_t *cont = fx_container(plain, plain_len, &blen);
	CHECK(cont);
	CHECK_RC(phr_record_decode(cont, blen, &d), PHR_OK);
	(void)phr_verify_record(d, fx.trust, FX_T0 + 3 * FX_DAY, &rep);
	CHECK(phr_report_error(&rep) != PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_BAD_SIGNATURE);
	CHECK_RC(phr_record_unseal(d, hk, &failed), PHR_OK);
	CHECK(d->entries[0].seal_state == PHR_E_SEALED && d->entries[2].seal_state == 1);
	phr_record_destroy(d);
	free(cont);
	phr_record_destroy(r);
	free(buf);
	free(env);
	free(env1);
	free(c);
	free(clear);
	free(plain);
	return 0;
}

static int test_notes(void)
{
	size_t at;
	CHECK(phr_seal_note("re-sealed at entry 2", &at) == PHR_SEAL_NOTE_RESEALED && at == 2);
	CHECK(phr_seal_note("re-sealed at entry 17", &at) == PHR_SEAL_NOTE_RESEALED && at == 17);
	CHECK(phr_seal_note("re-keying: the holder key was replaced here", &at) == PHR_SEAL_NOTE_REKEYING && at == 0);
	CHECK(phr_seal_note("re-keying: the holder key was replaced here (re-sealed at entry 3)", &at) ==
		      PHR_SEAL_NOTE_REKEYING_RESEALED &&
	      at == 3);
	static const char *const no[] = { "", "re-sealed at entry ", "re-sealed at entry 02", "re-sealed at entry 2x",
					   "re-sealed at entry -1", "re-keying: the holder key was replaced here (re-sealed at entry 3",
					   "re-keying: the holder key was replaced here (re-sealed at entry 3) ",
					   "entry 1: sealed under holder key 4b1c0000", "re-sealed at entry 1234567" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(phr_seal_note(no[i], &at) == PHR_SEAL_NOTE_NONE);
	CHECK(phr_seal_note(NULL, &at) == PHR_SEAL_NOTE_NONE);
	return 0;
}

/* FORMAT.md, v3: the positions (key 0, first) are left out of what is
 * sealed when the clear content has no results (key 11), and written as
 * a bitmask (one CBOR uint, bit i for position i) when it has some. Done
 * here on the bytes: a map head of one byte, key 0, an array of small
 * numbers. */
static size_t v3_sealed_form(const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len,
			     uint8_t *out)
{
	struct phr_cbor_dec d;
	size_t n;
	int clear_results = 0;
	CHECK(phr_cbor_dec_init(&d, clear, clear_len) == PHR_OK && phr_cbor_get_map(&d, &n) == PHR_OK);
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		CHECK(phr_cbor_get_uint(&d, &k) == PHR_OK && phr_cbor_skip(&d) == PHR_OK);
		clear_results |= k == 11;
	}
	memcpy(out, plain, plain_len);
	if (plain[1] != 0x00)
		return plain_len;
	CHECK(plain[0] > 0xa1 && plain[0] < 0xb8 && plain[2] >= 0x80 && plain[2] < 0x98);
	size_t m = (size_t)(plain[2] - 0x80), skip = 2 + m; /* 00, the array head, its small numbers */
	if (clear_results) {
		uint64_t mask = 0;
		uint8_t u[9];
		size_t ul;
		for (size_t i = 0; i < m; i++) {
			CHECK(plain[3 + i] < 24 && (i == 0 || plain[3 + i] > plain[2 + i]));
			mask |= (uint64_t)1 << plain[3 + i];
		}
		if (mask < 24) {
			u[0] = (uint8_t)mask;
			ul = 1;
		} else if (mask < 256) {
			u[0] = 0x18;
			u[1] = (uint8_t)mask;
			ul = 2;
		} else {
			CHECK(mask < 65536);
			u[0] = 0x19;
			u[1] = (uint8_t)(mask >> 8);
			u[2] = (uint8_t)mask;
			ul = 3;
		}
		memcpy(out + 2, u, ul);
		memcpy(out + 2 + ul, plain + 3 + m, plain_len - 3 - m);
		return plain_len - (1 + m) + ul;
	}
	out[0] = (uint8_t)(plain[0] - 1);
	memcpy(out + 1, plain + 1 + skip, plain_len - 1 - skip);
	return plain_len - skip;
}

/* Envelope v3 (FORMAT.md, "Sealed sections", v3): layout, the crypto
 * recomputed with libsodium, each packing round-trips, the shortest is
 * chosen, and it opens only beside its own clear content. */
static int test_v3(void)
{
	static const char *const ex[] = { "adult-tb-positive-referral.json", "child-no-vaccination-documents.json",
					  "older-man-chronic.json", "pregnant-hepatitis-b.json" };
	static const uint8_t salt[4] = { 0xde, 0xad, 0xbe, 0xef };
	for (size_t x = 0; x < sizeof(ex) / sizeof(ex[0]); x++) {
		uint8_t *c, *clear, *plain, *env, *out;
		size_t clen, clear_len, plain_len, env_len, out_len, sizes[3] = { 0, 0, 0 };
		unsigned n;
		CHECK(load_example(ex[x], &c, &clen) == 0);
		CHECK_RC(phr_seal_split(c, clen, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n),
			 PHR_OK);
		CHECK(plain != NULL);
		for (int pack = PHR_SEAL_PACK_NONE; pack <= PHR_SEAL_PACK_ZSTD; pack++) {
			struct phr_seal_envelope v;
			CHECK_RC(phr_seal_v3(key_a, rid_a, 7, clear, clear_len, plain, plain_len, n, pack, salt, &env,
					     &env_len),
				 PHR_OK);
			CHECK_RC(phr_seal_envelope_parse(env, env_len, &v), PHR_OK);
			CHECK(v.version == PHR_SEAL_V3 && v.kid_len == 0 && v.salt_len == 4 && v.sections == n &&
			      v.pack == (unsigned)pack);
			/* bstr head (2 bytes: 0x58, length), head byte, salt; no key id */
			uint8_t kid[PHR_SEAL_KID_LEN];
			phr_holder_key_id(key_a, kid);
			CHECK(env[0] == 0x58 && env[1] == env_len - 2);
			CHECK(env[2] == (0x80 | pack << 5 | n) && !memcmp(env + 3, salt, 4));
			CHECK(v.ct == env + 7 && v.ct_len == env_len - 7);
			sizes[pack] = env_len;
			/* the crypto, recomputed: nonce = salt || BLAKE2b-160("phr-seal3" || clear) */
			uint8_t nonce[24], k[32], ad[PHR_SEAL_AD_LEN], *msg = malloc(9 + clear_len), *dec = malloc(v.ct_len);
			CHECK(msg && dec);
			memcpy(nonce, salt, 4);
			memcpy(msg, "phr-seal3", 9);
			memcpy(msg + 9, clear, clear_len);
			crypto_generichash(nonce + 4, 20, msg, 9 + clear_len, NULL, 0);
			uint8_t km[8 + 16 + 8] = { 'p', 'h', 'r', '-', 's', 'e', 'a', 'l' };
			memcpy(km + 8, rid_a, 16);
			km[31] = 7;
			crypto_generichash(k, 32, km, sizeof(km), key_a, 16);
			memcpy(ad, km, 32);
			memcpy(ad + 32, kid, 4);
			ad[36] = ad[37] = ad[38] = 0;
			ad[39] = env[2];
			unsigned long long m;
			CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(dec, &m, NULL, v.ct, v.ct_len, ad, sizeof(ad), nonce, k) ==
			      0);
			uint8_t form[PHR_MAX_SEALED];
			size_t form_len = v3_sealed_form(clear, clear_len, plain, plain_len, form);
			if (x == 3) /* all six results sealed: their positions left out */
				CHECK(form_len == plain_len - 8);
			if (x == 0) /* results 4 and 5 sealed: [4, 5] (3 bytes) as bitmask 0x30 (2 bytes) */
				CHECK(form_len == plain_len - 1 && plain[1] == 0 && plain[2] == 0x82 && plain[3] == 4 &&
				      plain[4] == 5);
			if (pack == PHR_SEAL_PACK_NONE)
				CHECK(m == form_len && !memcmp(dec, form, form_len));
			else
				CHECK(m < form_len);
			free(msg);
			free(dec);
			CHECK_RC(phr_seal_open_entry(key_a, rid_a, 7, clear, clear_len, env, env_len, &out, &out_len), PHR_OK);
			CHECK(out_len == plain_len && !memcmp(out, plain, plain_len));
			free(out);
			/* another clear content, none, another index or record: refused */
			/* (v3 names no key: what does not open is taken for another key's) */
			clear[clear_len - 1] ^= 1;
			CHECK_RC(phr_seal_open_entry(key_a, rid_a, 7, clear, clear_len, env, env_len, &out, &out_len),
				 PHR_E_SEAL_KEY);
			clear[clear_len - 1] ^= 1;
			CHECK_RC(phr_seal_open(key_a, rid_a, 7, env, env_len, &out, &out_len), PHR_E_SEAL_KEY);
			CHECK_RC(phr_seal_open_entry(key_a, rid_a, 6, clear, clear_len, env, env_len, &out, &out_len),
				 PHR_E_SEAL_KEY);
			CHECK_RC(phr_seal_open_entry(key_b, rid_a, 7, clear, clear_len, env, env_len, &out, &out_len),
				 PHR_E_SEAL_KEY);
			CHECK(strstr(phr_last_error(), "does not open with the key given") != NULL);
			/* every bit of the envelope matters */
			for (size_t i = 0; i < env_len * 8; i++) {
				env[i / 8] ^= (uint8_t)(1u << (i % 8));
				int rc = phr_seal_open_entry(key_a, rid_a, 7, clear, clear_len, env, env_len, &out, &out_len);
				env[i / 8] ^= (uint8_t)(1u << (i % 8));
				CHECK(rc != PHR_OK && out == NULL);
			}
			free(env);
		}
		/* the writers' choice: the shortest, ties to the lower number */
		CHECK_RC(phr_seal_v3(key_a, rid_a, 7, clear, clear_len, plain, plain_len, n, PHR_SEAL_PACK_BEST, salt, &env,
				     &env_len),
			 PHR_OK);
		size_t best = sizes[0];
		for (int i = 1; i < 3; i++)
			if (sizes[i] && sizes[i] < best)
				best = sizes[i];
		CHECK(env_len == best);
		CHECK(sizes[1] < sizes[0] && sizes[2] < sizes[0]);
		free(env);
		free(c);
		free(clear);
		free(plain);
	}
	return 0;
}

/* v3 keeps 2 bytes of the key id: a wrong key with the same 2 bytes (one
 * in 65,536) is caught by the tag, as "does not open" rather than "wrong
 * key" (PRIVACY.md). Undefined packing 3 is refused. */
/* v3 names no key: any other key is refused by the tag alone, as
 * sealed under another key; the right one opens. */
static int test_v3_no_kid(void)
{
	static const uint8_t plain[] = { 0xa1, 0x13, 0x61, 'x' };
	uint8_t other[16], *env, *out;
	size_t env_len, out_len;
	struct phr_seal_envelope v;
	CHECK_RC(phr_seal_v3(key_a, rid_a, 1, NULL, 0, plain, sizeof(plain), 1, PHR_SEAL_PACK_NONE, NULL, &env, &env_len),
		 PHR_OK);
	/* bstr head (58 19), head byte, salt 4, the map (4 bytes) sealed, tag 16 */
	CHECK(env_len == 2 + 1 + 4 + sizeof(plain) + 16 && env[0] == 0x58 && env[1] == env_len - 2 && env[2] == 0x81);
	memcpy(other, key_a, 16);
	for (int i = 0; i < 16; i++) {
		other[i] ^= 0x80;
		out = (uint8_t *)&out;
		CHECK_RC(phr_seal_open_entry(other, rid_a, 1, NULL, 0, env, env_len, &out, &out_len), PHR_E_SEAL_KEY);
		CHECK(out == NULL);
		other[i] ^= 0x80;
	}
	CHECK_RC(phr_seal_open_entry(key_a, rid_a, 1, NULL, 0, env, env_len, &out, &out_len), PHR_OK);
	CHECK(out_len == sizeof(plain) && !memcmp(out, plain, sizeof(plain)));
	free(out);
	env[2] = (uint8_t)(env[2] | 0x60); /* packing 3 */
	CHECK_RC(phr_seal_envelope_parse(env, env_len, &v), PHR_E_MALFORMED);
	free(env);
	return 0;
}

/* An envelope v3 around any sealed bytes, built here from the format's
 * text (what a clinic with the key, or a faulty writer, could make). */
static size_t v3_raw(uint8_t head, const uint8_t *clear, size_t clear_len, const uint8_t *sealed, size_t n,
		     uint8_t *env)
{
	uint8_t kid[PHR_SEAL_KID_LEN], k[32], nonce[24], ad[PHR_SEAL_AD_LEN], msg[9 + 64];
	unsigned long long cl;
	size_t inner = 5 + n + 16, o = 0;
	phr_holder_key_id(key_a, kid);
	phr_seal_entry_key(key_a, rid_a, 1, k);
	phr_seal_ad(rid_a, 1, kid, head, ad);
	memset(nonce, 0x77, 4);
	memcpy(msg, "phr-seal3", 9);
	memcpy(msg + 9, clear, clear_len);
	crypto_generichash(nonce + 4, 20, msg, 9 + clear_len, NULL, 0);
	if (inner < 24) {
		env[o++] = (uint8_t)(0x40 + inner);
	} else if (inner < 256) {
		env[o++] = 0x58;
		env[o++] = (uint8_t)inner;
	} else {
		env[o++] = 0x59;
		env[o++] = (uint8_t)(inner >> 8);
		env[o++] = (uint8_t)inner;
	}
	env[o++] = head;
	memset(env + o, 0x77, 4);
	o += 4;
	crypto_aead_xchacha20poly1305_ietf_encrypt(env + o, &cl, sealed, n, ad, sizeof(ad), NULL, nonce, k);
	return o + (size_t)cl;
}

static size_t raw_deflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	CHECK(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	size_t r = cap - z.avail_out;
	deflateEnd(&z);
	return r;
}

/* Sealed bytes that authenticate but do not unpack to a sealed part are
 * refused, with no output: a bad DEFLATE or zstd stream, one with bytes
 * after it, one that inflates past PHR_MAX_SEALED, one that is no map;
 * well-formed ones open. */
static int test_v3_bad_packing(void)
{
	static const uint8_t clear[] = { 0xa2, 0x01, 0x01, 0x02, 0x19, 0xb2, 0xff };
	static const uint8_t note[] = { 0xa1, 0x13, 0x64, 'n', 'o', 't', 'e' };
	static uint8_t env[PHR_MAX_ENVELOPE + 64], big[PHR_MAX_SEALED + 100], z[PHR_MAX_SEALED];
	uint8_t *out;
	size_t env_len, out_len, zl;
	/* a DEFLATE stream without back-references opens with any preset dictionary */
	zl = raw_deflate(note, sizeof(note), z, sizeof(z));
	env_len = v3_raw(0x80 | 1 << 5 | 1, clear, sizeof(clear), z, zl, env);
	CHECK_RC(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len), PHR_OK);
	CHECK(out_len == sizeof(note) && !memcmp(out, note, sizeof(note)));
	free(out);
	/* a byte after the stream */
	z[zl] = 0;
	env_len = v3_raw(0x80 | 1 << 5 | 1, clear, sizeof(clear), z, zl + 1, env);
	CHECK(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len) != PHR_OK);
	CHECK(out == NULL && out_len == 0);
	/* cut short */
	env_len = v3_raw(0x80 | 1 << 5 | 1, clear, sizeof(clear), z, zl - 1, env);
	CHECK(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len) != PHR_OK);
	CHECK(out == NULL);
	/* garbage, as DEFLATE and as a zstd block */
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x13 };
	for (unsigned pack = 1; pack <= 2; pack++) {
		env_len = v3_raw((uint8_t)(0x80 | pack << 5 | 1), clear, sizeof(clear), junk, sizeof(junk), env);
		CHECK(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len) != PHR_OK);
		CHECK(out == NULL);
	}
	/* more than PHR_MAX_SEALED once inflated: a map head and filler */
	big[0] = 0xa1;
	memset(big + 1, 0x13, sizeof(big) - 1);
	zl = raw_deflate(big, sizeof(big), z, sizeof(z));
	env_len = v3_raw(0x80 | 1 << 5 | 1, clear, sizeof(clear), z, zl, env);
	CHECK_RC(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len), PHR_E_LIMIT);
	CHECK(out == NULL);
	/* not a map, unpacked and packed */
	static const uint8_t arr[] = { 0x81, 0x00 };
	env_len = v3_raw(0x80 | 1, clear, sizeof(clear), arr, sizeof(arr), env);
	CHECK_RC(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len),
		 PHR_E_MALFORMED);
	zl = raw_deflate(arr, sizeof(arr), z, sizeof(z));
	env_len = v3_raw(0x80 | 1 << 5 | 1, clear, sizeof(clear), z, zl, env);
	CHECK_RC(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len),
		 PHR_E_MALFORMED);
	CHECK(out == NULL);
	/* the same bytes unpacked open as they are */
	env_len = v3_raw(0x80 | 1, clear, sizeof(clear), note, sizeof(note), env);
	CHECK_RC(phr_seal_open_entry(key_a, rid_a, 1, clear, sizeof(clear), env, env_len, &out, &out_len), PHR_OK);
	CHECK(out_len == sizeof(note) && !memcmp(out, note, sizeof(note)));
	free(out);
	return 0;
}

int main(void)
{
	if (fx_init(&fx, "adult-tb-positive-referral.json")) {
		fprintf(stderr, "fixture failed: %s\n", phr_last_error());
		return 1;
	}
	static const struct test tests[] = {
		{ "holder key: typed form, check character", test_key_text },
		{ "per-entry key, key id, nonce and AD as specified", test_derivation_as_specified },
		{ "split and merge: exact round trip", test_split_merge },
		{ "open refuses wrong key, record, index, any flipped bit", test_open_refuses },
		{ "sealed record: verifies without key, opens with it, moved part refused", test_sealed_record },
		{ "packed plaintexts: smaller, opened exactly, malformed ones refused", test_packed },
		{ "re-keying: the new key opens all, the old one the entries before", test_rekey },
		{ "re-keying notes read back (phr_seal_note)", test_notes },
		{ "envelope v3: layout, crypto recomputed, packings, clear content bound", test_v3 },
		{ "envelope v3: no key id; another key is refused by the tag", test_v3_no_kid },
		{ "envelope v3: sealed bytes that do not unpack are refused", test_v3_bad_packing },
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	fx_finish(&fx);
	return rc;
}
