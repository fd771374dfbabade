/* Sealed sections: holder keys, per-entry keys, the envelope, and the
 * split/merge of an entry's content (docs/FORMAT.md, "Sealed sections"). */
#define ZSTD_STATIC_LINKING_ONLY /* magicless frames */
#include "phr/seal.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "phr/cbor.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/schema.h"
#include "cbor_int.h"
#include "compress_int.h"

#define KEY_RESULTS 11
#define SEAL_DOMAIN "phr-seal"
#define SEAL_DOMAIN_LEN 8
#define KID_DOMAIN "phr-seal-kid"
#define NONCE3_DOMAIN "phr-seal3"
#define NONCE3_HASH_LEN 20 /* XChaCha20 nonce (24) - v3 salt (4) */
#define DEFLATE_WINDOW 32768
#define KEY_DATA_CHARS 26 /* ceil(128 / 5) */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* HIV, hepatitis B, hepatitis C, syphilis (LOINC). */
static const char *const sensitive_loinc[] = {
	"56888-1", "75622-1", "7917-8",             /* HIV */
	"5196-1", "16933-4", "22322-2", "16935-9", /* hepatitis B */
	"16128-1", "11259-9", "13955-0",           /* hepatitis C */
	"20507-0", "22587-0", "5292-8",            /* syphilis */
	0 };

/* Root sections that may never be sealed: a reader needs them to know
 * what the entry is, and who it is about and allows. */
static int unsealable(uint32_t key)
{
	return key == 1 || key == 2 || key == 3 || key == 5;
}

uint32_t phr_seal_default_sections(void)
{
	return PHR_SEAL_SCREENING | PHR_SEAL_BIT(13) | PHR_SEAL_BIT(14) | PHR_SEAL_BIT(19);
}

int phr_seal_sensitive_loinc(const char *code, size_t len)
{
	for (size_t i = 0; sensitive_loinc[i]; i++)
		if (strlen(sensitive_loinc[i]) == len && !memcmp(sensitive_loinc[i], code, len))
			return 1;
	return 0;
}

int phr_seal_parse_sections(const char *list, uint32_t *mask)
{
	const struct phr_field *root = phr_schema_root()[0].children;
	*mask = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int found = 0;
		if (n == 9 && !memcmp(p, "screening", 9)) {
			*mask |= PHR_SEAL_SCREENING;
			found = 1;
		}
		for (size_t i = 0; !found && root[i].name; i++) {
			if (strlen(root[i].name) != n || memcmp(root[i].name, p, n))
				continue;
			if (unsealable(root[i].key))
				return phr_fail(PHR_E_ARG, "section '%s' cannot be sealed (kind, date, identity and consent stay readable)",
						root[i].name);
			*mask |= PHR_SEAL_BIT(root[i].key);
			found = 1;
		}
		if (!found)
			return phr_fail(PHR_E_ARG, "'%.*s' is not a section that can be sealed (screening, or a section name: pregnancy, mental_health, notes, results, history, ...)",
					(int)(n > 40 ? 40 : n), p);
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return phr_fail(PHR_E_ARG, "no section named to seal");
	return PHR_OK;
}

/* ---- holder keys ---- */

int phr_holder_key_generate(uint8_t key[PHR_HOLDER_KEY_LEN])
{
	if (sodium_init() < 0)
		return phr_fail(PHR_E_CRYPTO, "libsodium could not be initialised");
	randombytes_buf(key, PHR_HOLDER_KEY_LEN);
	return PHR_OK;
}

void phr_holder_key_id(const uint8_t key[PHR_HOLDER_KEY_LEN], uint8_t kid[PHR_SEAL_KID_LEN])
{
	uint8_t h[crypto_generichash_BYTES_MIN];
	crypto_generichash(h, sizeof(h), (const uint8_t *)KID_DOMAIN, strlen(KID_DOMAIN), key, PHR_HOLDER_KEY_LEN);
	memcpy(kid, h, PHR_SEAL_KID_LEN);
}

/* Luhn mod 32 over values 0..31: the check value that makes the sum 0. */
static unsigned luhn32(const unsigned char *v, size_t n)
{
	unsigned sum = 0, factor = 2;
	for (size_t i = n; i-- > 0;) {
		unsigned a = factor * v[i];
		sum += a / 32 + a % 32;
		factor = factor == 2 ? 1 : 2;
	}
	return (32 - sum % 32) % 32;
}

static void key_values(const uint8_t key[PHR_HOLDER_KEY_LEN], unsigned char v[KEY_DATA_CHARS])
{
	for (size_t i = 0; i < KEY_DATA_CHARS; i++) {
		unsigned val = 0;
		for (size_t b = 0; b < 5; b++) {
			size_t bit = i * 5 + b;
			unsigned x = bit < 128 ? (key[bit / 8] >> (7 - bit % 8)) & 1u : 0;
			val = val << 1 | x;
		}
		v[i] = (unsigned char)val;
	}
}

void phr_holder_key_format(const uint8_t key[PHR_HOLDER_KEY_LEN], char out[PHR_HOLDER_KEY_TEXT_LEN])
{
	unsigned char v[KEY_DATA_CHARS + 1];
	key_values(key, v);
	v[KEY_DATA_CHARS] = (unsigned char)luhn32(v, KEY_DATA_CHARS);
	size_t o = 0;
	for (size_t i = 0; i < KEY_DATA_CHARS + 1; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[v[i]];
	}
	out[o] = '\0';
}

int phr_holder_key_parse(const char *s, size_t n, uint8_t key[PHR_HOLDER_KEY_LEN])
{
	unsigned char v[KEY_DATA_CHARS + 1];
	size_t k = 0;
	if (n > PHR_MAX_HOLDER_KEY_TEXT)
		return phr_fail(PHR_E_SEAL_KEY, "holder key: longer than PHR_MAX_HOLDER_KEY_TEXT (%d characters)",
				PHR_MAX_HOLDER_KEY_TEXT);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '-' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '0')
			c = 'O';
		else if (c == '1')
			c = 'I';
		else if (c == '8')
			c = 'B';
		const char *at = c ? strchr(b32, c) : NULL;
		if (!at)
			return phr_fail(PHR_E_SEAL_KEY, "holder key: character %zu ('%c') is not one of A-Z and 2-7", i + 1,
					(unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?');
		if (k == KEY_DATA_CHARS + 1)
			return phr_fail(PHR_E_SEAL_KEY, "holder key: more than %d characters", KEY_DATA_CHARS + 1);
		v[k++] = (unsigned char)(at - b32);
	}
	if (k != KEY_DATA_CHARS + 1)
		return phr_fail(PHR_E_SEAL_KEY, "holder key: %zu characters, expected %d (26 and a check character)", k,
				KEY_DATA_CHARS + 1);
	if (luhn32(v, KEY_DATA_CHARS) != v[KEY_DATA_CHARS] || (v[KEY_DATA_CHARS - 1] & 3u))
		return phr_fail(PHR_E_SEAL_KEY, "holder key: the check character does not match (a character mistyped?)");
	memset(key, 0, PHR_HOLDER_KEY_LEN);
	for (size_t i = 0; i < 128; i++) {
		unsigned bit = (v[i / 5] >> (4 - i % 5)) & 1u;
		key[i / 8] |= (uint8_t)(bit << (7 - i % 8));
	}
	return PHR_OK;
}

/* ---- keys, AD ---- */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void phr_seal_entry_key(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
			uint8_t out[PHR_SEAL_KEY_LEN])
{
	uint8_t msg[SEAL_DOMAIN_LEN + 16 + 8];
	memcpy(msg, SEAL_DOMAIN, SEAL_DOMAIN_LEN);
	memcpy(msg + SEAL_DOMAIN_LEN, record_id, 16);
	put_u64(msg + SEAL_DOMAIN_LEN + 16, index);
	crypto_generichash(out, PHR_SEAL_KEY_LEN, msg, sizeof(msg), key, PHR_HOLDER_KEY_LEN);
}

void phr_seal_ad(const uint8_t record_id[16], uint64_t index, const uint8_t kid[PHR_SEAL_KID_LEN], uint32_t sections,
		 uint8_t ad[PHR_SEAL_AD_LEN])
{
	memcpy(ad, SEAL_DOMAIN, SEAL_DOMAIN_LEN);
	memcpy(ad + 8, record_id, 16);
	put_u64(ad + 24, index);
	memcpy(ad + 32, kid, PHR_SEAL_KID_LEN);
	ad[36] = (uint8_t)(sections >> 24);
	ad[37] = (uint8_t)(sections >> 16);
	ad[38] = (uint8_t)(sections >> 8);
	ad[39] = (uint8_t)sections;
}

/* ---- envelope ---- */

/* The ciphertext's limits, for both versions. */
static int check_ct(const struct phr_seal_envelope *env)
{
	if (env->ct_len <= PHR_SEAL_TAG_LEN)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope: ciphertext of %zu bytes, shorter than a tag and one byte",
				env->ct_len);
	if (env->ct_len - PHR_SEAL_TAG_LEN > PHR_MAX_SEALED)
		return phr_fail(PHR_E_LIMIT, "sealed envelope: more than PHR_MAX_SEALED (%d) bytes sealed", PHR_MAX_SEALED);
	return PHR_OK;
}

static int check_sections(uint64_t sections)
{
	if (sections < 1 || sections > PHR_MAX_SEALED_SECTIONS)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope: %llu sections, expected 1 to %d",
				(unsigned long long)sections, PHR_MAX_SEALED_SECTIONS);
	return PHR_OK;
}

static int envelope_parse_v3(const uint8_t *b, size_t bl, struct phr_seal_envelope *env);

/* v2 (head byte 1..20) and v3 (head byte with bit 7 set): one byte string, sections || key id || salt || ciphertext || tag. */
static int envelope_parse_v2(const uint8_t *p, size_t len, struct phr_seal_envelope *env)
{
	struct phr_cbor_dec d;
	const uint8_t *b;
	size_t bl;
	int rc;
	if ((rc = phr_cbor_dec_init(&d, p, len)) || (rc = phr_cbor_get_bytes(&d, &b, &bl)))
		return phr_fail_wrap(rc, "sealed envelope");
	if (d.off != d.len)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope: bytes after the byte string");
	if (bl && (b[0] & PHR_SEAL_V3_FLAG))
		return envelope_parse_v3(b, bl, env);
	if (bl < PHR_SEAL_V2_HEAD)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope: %zu bytes, shorter than sections, key id and salt", bl);
	if ((rc = check_sections(b[0])))
		return rc;
	env->version = PHR_SEAL_V2;
	env->sections = b[0];
	env->kid_len = PHR_SEAL_KID_LEN;
	memcpy(env->kid, b + 1, PHR_SEAL_KID_LEN);
	memcpy(env->salt, b + 1 + PHR_SEAL_KID_LEN, PHR_SEAL_SALT_LEN);
	env->salt_len = PHR_SEAL_SALT_LEN;
	env->ct = b + PHR_SEAL_V2_HEAD;
	env->ct_len = bl - PHR_SEAL_V2_HEAD;
	return check_ct(env);
}

/* v3: one byte string, head || salt (4) || ciphertext || tag. */
static int envelope_parse_v3(const uint8_t *b, size_t bl, struct phr_seal_envelope *env)
{
	int rc;
	if (bl < PHR_SEAL_V3_HEAD)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope v3: %zu bytes, shorter than head, key id and salt", bl);
	unsigned pack = (b[0] >> 5) & 3u;
	if (pack > PHR_SEAL_PACK_ZSTD)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope v3: packing %u is not defined (head byte %02x)", pack, b[0]);
	if ((rc = check_sections(b[0] & 0x1fu)))
		return rc;
	env->version = PHR_SEAL_V3;
	env->sections = b[0] & 0x1fu;
	env->pack = pack;
	env->kid_len = 0;
	memcpy(env->salt, b + 1, PHR_SEAL_V3_SALT_LEN);
	env->salt_len = PHR_SEAL_V3_SALT_LEN;
	env->ct = b + PHR_SEAL_V3_HEAD;
	env->ct_len = bl - PHR_SEAL_V3_HEAD;
	return check_ct(env);
}

int phr_seal_kid_match(const struct phr_seal_envelope *env, const uint8_t kid[PHR_SEAL_KID_LEN])
{
	if (env->version == PHR_SEAL_V3)
		return 1;
	size_t n = env->kid_len ? env->kid_len : PHR_SEAL_KID_LEN;
	return !memcmp(env->kid, kid, n);
}

void phr_seal_kid_format(const struct phr_seal_envelope *env, char out[PHR_SEAL_KID_TEXT_LEN])
{
	size_t n = env->version == PHR_SEAL_V3 ? 0 :
		   env->kid_len && env->kid_len <= PHR_SEAL_KID_LEN ? env->kid_len : PHR_SEAL_KID_LEN;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", env->kid[i]);
	out[2 * n] = '\0';
}

int phr_seal_envelope_parse(const uint8_t *p, size_t len, struct phr_seal_envelope *env)
{
	struct phr_cbor_dec d;
	size_t n;
	uint64_t sections;
	int rc;
	memset(env, 0, sizeof(*env));
	if (len > PHR_MAX_ENVELOPE)
		return phr_fail(PHR_E_LIMIT, "sealed envelope of %zu bytes, more than PHR_MAX_ENVELOPE (%d)", len,
				PHR_MAX_ENVELOPE);
	/* a byte string (major type 2) is v2; anything else is read as v1 */
	if (len && (p[0] >> 5) == 2)
		return envelope_parse_v2(p, len, env);
	if ((rc = phr_cbor_dec_init(&d, p, len)) || (rc = phr_cbor_get_array(&d, &n)))
		return phr_fail_wrap(rc, "sealed envelope");
	if (n != 4)
		return phr_fail(PHR_E_MALFORMED, "sealed envelope must be [key id, sections, salt, ciphertext], has %zu items", n);
	if ((rc = phr_cbor_get_bytes_exact(&d, env->kid, PHR_SEAL_KID_LEN)))
		return phr_fail_wrap(rc, "sealed envelope: key id");
	if ((rc = phr_cbor_get_uint(&d, &sections)))
		return phr_fail_wrap(rc, "sealed envelope: sections");
	if ((rc = check_sections(sections)))
		return rc;
	env->sections = (uint32_t)sections;
	env->version = PHR_SEAL_V1;
	env->kid_len = PHR_SEAL_KID_LEN;
	env->salt_len = PHR_SEAL_V1_SALT_LEN;
	if ((rc = phr_cbor_get_bytes_exact(&d, env->salt, PHR_SEAL_V1_SALT_LEN)))
		return phr_fail_wrap(rc, "sealed envelope: salt");
	if ((rc = phr_cbor_get_bytes(&d, &env->ct, &env->ct_len)))
		return phr_fail_wrap(rc, "sealed envelope: ciphertext");
	return check_ct(env);
}

/* XChaCha20-Poly1305 of plain into dst, which holds exactly ct_len bytes
 * (plain_len + the tag): the one encryption of every envelope version. */
static int aead_seal_into(uint8_t *dst, size_t ct_len, const uint8_t *plain, size_t plain_len, const uint8_t *ad,
			  size_t ad_len, const uint8_t *nonce, const uint8_t *k)
{
	unsigned long long clen;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(dst, &clen, plain, plain_len, ad, ad_len, NULL, nonce, k) != 0 ||
	    clen != ct_len)
		return phr_fail(PHR_E_CRYPTO, "XChaCha20-Poly1305 failed");
	return PHR_OK;
}

int phr_seal(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index, const uint8_t *plain,
	     size_t plain_len, unsigned n, const uint8_t *salt, uint8_t **env, size_t *env_len)
{
	return phr_seal_v(PHR_SEAL_V2, key, record_id, index, plain, plain_len, n, salt, env, env_len);
}

int phr_seal_v(int version, const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
	       const uint8_t *plain, size_t plain_len, unsigned n, const uint8_t *salt, uint8_t **env, size_t *env_len)
{
	uint8_t k[PHR_SEAL_KEY_LEN], ad[PHR_SEAL_AD_LEN], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = { 0 };
	uint8_t kid[PHR_SEAL_KID_LEN];
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;
	*env = NULL;
	*env_len = 0;
	if (sodium_init() < 0)
		return phr_fail(PHR_E_CRYPTO, "libsodium could not be initialised");
	if (!plain_len || plain_len > PHR_MAX_SEALED || n < 1 || n > PHR_MAX_SEALED_SECTIONS)
		return phr_fail(PHR_E_ARG, "nothing to seal, or more than PHR_MAX_SEALED bytes or sections");
	if (version != PHR_SEAL_V1 && version != PHR_SEAL_V2)
		return phr_fail(PHR_E_ARG, "sealed envelope version %d: phr writes 1 or 2", version);
	size_t salt_len = version == PHR_SEAL_V1 ? PHR_SEAL_V1_SALT_LEN : PHR_SEAL_SALT_LEN;
	if (salt)
		memcpy(nonce, salt, salt_len);
	else
		randombytes_buf(nonce, salt_len);
	phr_holder_key_id(key, kid);
	phr_seal_entry_key(key, record_id, index, k);
	phr_seal_ad(record_id, index, kid, n, ad);
	size_t ct_len = plain_len + PHR_SEAL_TAG_LEN;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, len);
		if (version == PHR_SEAL_V1) {
			phr_cbor_put_array(&e, 4);
			phr_cbor_put_bytes(&e, kid, PHR_SEAL_KID_LEN);
			phr_cbor_put_uint(&e, n);
			phr_cbor_put_bytes(&e, nonce, PHR_SEAL_V1_SALT_LEN);
			phr_cbor_put_bytes_head(&e, ct_len);
		} else {
			phr_cbor_put_bytes_head(&e, PHR_SEAL_V2_HEAD + ct_len);
		}
		if ((rc = phr_cbor_enc_finish(&e, &len)))
			goto out;
		if (pass == 1 && version == PHR_SEAL_V2) {
			buf[len] = (uint8_t)n;
			memcpy(buf + len + 1, kid, PHR_SEAL_KID_LEN);
			memcpy(buf + len + 1 + PHR_SEAL_KID_LEN, nonce, PHR_SEAL_SALT_LEN);
		}
		if (pass == 0 && !(buf = malloc(len + PHR_SEAL_V2_HEAD + ct_len))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (version == PHR_SEAL_V2)
		len += PHR_SEAL_V2_HEAD;
	if ((rc = aead_seal_into(buf + len, ct_len, plain, plain_len, ad, sizeof(ad), nonce, k)))
		goto out;
	*env = buf;
	*env_len = len + ct_len;
	buf = NULL;
	rc = PHR_OK;
out:
	sodium_memzero(k, sizeof(k));
	free(buf);
	return rc;
}

int phr_seal_packed(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
		    const uint8_t *plain, size_t plain_len, unsigned n, const uint8_t *salt, uint8_t **env,
		    size_t *env_len)
{
	return phr_seal_packed_v(PHR_SEAL_V2, key, record_id, index, plain, plain_len, n, salt, env, env_len);
}

int phr_seal_packed_v(int version, const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16],
		      uint64_t index, const uint8_t *plain, size_t plain_len, unsigned n, const uint8_t *salt,
		      uint8_t **env, size_t *env_len)
{
	uint8_t *z = NULL, *packed = NULL;
	size_t zl = 0;
	int rc;
	*env = NULL;
	*env_len = 0;
	if (!plain_len || plain_len > PHR_MAX_SEALED)
		return phr_seal_v(version, key, record_id, index, plain, plain_len, n, salt, env, env_len);
	/* deflate with dictionary v1; kept only when it is smaller, and never
	 * when this build has no dictionary (then the plaintext goes as it is) */
	if (phr_compress(PHR_COMP_DEFLATE_DICT1, plain, plain_len, &z, &zl) != PHR_OK) {
		phr_clear_error();
		return phr_seal_v(version, key, record_id, index, plain, plain_len, n, salt, env, env_len);
	}
	if (PHR_SEAL_PACKED_HEAD + zl >= plain_len) {
		free(z);
		return phr_seal_v(version, key, record_id, index, plain, plain_len, n, salt, env, env_len);
	}
	if (!(packed = malloc(PHR_SEAL_PACKED_HEAD + zl))) {
		free(z);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	packed[0] = PHR_SEAL_PACKED_DEFLATE_DICT1;
	packed[1] = (uint8_t)(plain_len >> 8);
	packed[2] = (uint8_t)plain_len;
	memcpy(packed + PHR_SEAL_PACKED_HEAD, z, zl);
	rc = phr_seal_v(version, key, record_id, index, packed, PHR_SEAL_PACKED_HEAD + zl, n, salt, env, env_len);
	sodium_memzero(z, zl);
	sodium_memzero(packed, PHR_SEAL_PACKED_HEAD + zl);
	free(z);
	free(packed);
	return rc;
}

/* ---- envelope v3: packing with the entry's clear content ---- */

/* dictionary v1 || clear content, malloc'd (the packing dictionary) */
static int pack_dict(const uint8_t *clear, size_t clear_len, uint8_t **dict, size_t *dict_len)
{
	size_t dl = 0;
	const uint8_t *d1 = phr_dict_v1_bytes(&dl);
	if (!dl)
		return phr_fail(PHR_E_VERSION, "packing a sealed part needs dictionary v1, which this build lacks");
	if (clear_len > PHR_MAX_SEALED)
		return phr_fail(PHR_E_LIMIT, "clear content of %zu bytes, more than PHR_MAX_SEALED", clear_len);
	if (!(*dict = malloc(dl + clear_len)))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	memcpy(*dict, d1, dl);
	if (clear_len)
		memcpy(*dict + dl, clear, clear_len);
	*dict_len = dl + clear_len;
	return PHR_OK;
}

/* raw DEFLATE of in with the last 32 KiB of dict preset; *out malloc'd */
static int pack_deflate(const uint8_t *dict, size_t dict_len, const uint8_t *in, size_t in_len, uint8_t **out,
			size_t *out_len)
{
	z_stream z;
	size_t cap = in_len + in_len / 8 + 64;
	if (dict_len > DEFLATE_WINDOW) {
		dict += dict_len - DEFLATE_WINDOW;
		dict_len = DEFLATE_WINDOW;
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return phr_fail(PHR_E_NOMEM, "deflate: cannot initialise zlib");
	if (!(*out = malloc(cap)) || deflateSetDictionary(&z, dict, (uInt)dict_len) != Z_OK) {
		deflateEnd(&z);
		free(*out);
		*out = NULL;
		return phr_fail(PHR_E_NOMEM, "deflate: out of memory");
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)in_len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return phr_fail(PHR_E_NOMEM, "deflate: stream did not end");
	}
	return PHR_OK;
}

/* zstd, magicless frame, no checksum, content size or dictionary id,
 * window 2^17, of one compressed block: written without its frame header
 * (00 38) and block header (3 bytes, which the length gives back); *out
 * malloc'd, NULL (PHR_OK) when zstd made anything else of it. */
#define ZSTD_HEADS 5 /* frame header 2, block header 3 */

/* RFC 8878 3.1.1.2: Last_Block 1, Block_Type 2 (compressed), Block_Size */
static uint32_t block_head(size_t size)
{
	return (uint32_t)size << 3 | 2u << 1 | 1u;
}

static int pack_zstd(const uint8_t *dict, size_t dict_len, const uint8_t *in, size_t in_len, uint8_t **out,
		     size_t *out_len)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(in_len);
	uint8_t *buf = malloc(bound);
	int rc = PHR_OK;
	*out = NULL;
	if (!cc || !buf) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, PHR_SEAL_ZSTD_WINDOWLOG)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_loadDictionary(cc, dict, dict_len))) {
		rc = phr_fail(PHR_E_NOMEM, "zstd: cannot set up the compressor");
		goto out;
	}
	size_t n = ZSTD_compress2(cc, buf, bound, in, in_len);
	if (ZSTD_isError(n)) {
		rc = phr_fail(PHR_E_NOMEM, "zstd: %s", ZSTD_getErrorName(n));
		goto out;
	}
	/* the frame header 00 and a window of at most 2^17 (read as 2^17),
	 * then one block, the last, compressed, filling the rest */
	if (n < ZSTD_HEADS + 1 || buf[0] != 0 || (buf[1] & 7) || 10 + (buf[1] >> 3) > PHR_SEAL_ZSTD_WINDOWLOG ||
	    block_head(n - ZSTD_HEADS) != ((uint32_t)buf[2] | (uint32_t)buf[3] << 8 | (uint32_t)buf[4] << 16))
		goto out; /* not this packing */
	memmove(buf, buf + ZSTD_HEADS, n - ZSTD_HEADS);
	*out = buf;
	*out_len = n - ZSTD_HEADS;
	buf = NULL;
out:
	free(buf);
	ZSTD_freeCCtx(cc);
	return rc;
}

/* The packed bytes in, inflated into *out (at most PHR_MAX_SEALED bytes). */
static int unpack_deflate(const uint8_t *dict, size_t dict_len, const uint8_t *in, size_t in_len, uint8_t *out,
			  size_t *out_len)
{
	z_stream z;
	int rc = PHR_OK, zr;
	if (dict_len > DEFLATE_WINDOW) {
		dict += dict_len - DEFLATE_WINDOW;
		dict_len = DEFLATE_WINDOW;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return phr_fail(PHR_E_NOMEM, "inflate: cannot initialise zlib");
	if (inflateSetDictionary(&z, dict, (uInt)dict_len) != Z_OK) {
		inflateEnd(&z);
		return phr_fail(PHR_E_NOMEM, "inflate: zlib refused the dictionary");
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = PHR_MAX_SEALED + 1;
	do
		zr = inflate(&z, Z_NO_FLUSH);
	while (zr == Z_OK && z.avail_out > 0);
	if (z.total_out > PHR_MAX_SEALED)
		rc = phr_fail(PHR_E_LIMIT, "packed sealed part inflates past PHR_MAX_SEALED (%d) bytes", PHR_MAX_SEALED);
	else if (zr != Z_STREAM_END)
		rc = phr_fail(zr == Z_MEM_ERROR ? PHR_E_NOMEM : PHR_E_MALFORMED,
			      "packed sealed part: the DEFLATE stream is corrupt or cut short");
	else if (z.avail_in)
		rc = phr_fail(PHR_E_TRAILING, "packed sealed part: %u bytes after the DEFLATE stream", z.avail_in);
	*out_len = z.total_out;
	inflateEnd(&z);
	return rc;
}

static int unpack_zstd(const uint8_t *dict, size_t dict_len, const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t *out_len)
{
	uint8_t *frame = NULL;
	ZSTD_DCtx *dc = NULL;
	int rc = PHR_OK;
	if (!in_len || in_len > PHR_MAX_ENVELOPE)
		return phr_fail(PHR_E_MALFORMED, "packed sealed part: %zu bytes of zstd block", in_len);
	if (!(frame = malloc(in_len + ZSTD_HEADS)) || !(dc = ZSTD_createDCtx())) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	uint32_t bh = block_head(in_len);
	frame[0] = 0;
	frame[1] = (uint8_t)((PHR_SEAL_ZSTD_WINDOWLOG - 10) << 3);
	frame[2] = (uint8_t)bh;
	frame[3] = (uint8_t)(bh >> 8);
	frame[4] = (uint8_t)(bh >> 16);
	memcpy(frame + ZSTD_HEADS, in, in_len);
	if (ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_format, ZSTD_f_zstd1_magicless)) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, PHR_SEAL_ZSTD_WINDOWLOG)) ||
	    ZSTD_isError(ZSTD_DCtx_loadDictionary(dc, dict, dict_len))) {
		rc = phr_fail(PHR_E_NOMEM, "zstd: cannot set up the decoder");
		goto out;
	}
	/* one frame of one last block that takes every byte: nothing after it */
	size_t n = ZSTD_decompressDCtx(dc, out, PHR_MAX_SEALED + 1, frame, in_len + ZSTD_HEADS);
	if (ZSTD_isError(n))
		rc = phr_fail(ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall ? PHR_E_LIMIT : PHR_E_MALFORMED,
			      "packed sealed part: zstd: %s", ZSTD_getErrorName(n));
	else if (n > PHR_MAX_SEALED)
		rc = phr_fail(PHR_E_LIMIT, "packed sealed part unpacks past PHR_MAX_SEALED (%d) bytes", PHR_MAX_SEALED);
	else
		*out_len = n;
out:
	free(frame);
	ZSTD_freeDCtx(dc);
	return rc;
}

/* Does map p (an entry's clear content or a plaintext) hold key? 0 when
 * it does not, or is not a map. */
static int map_has(const uint8_t *p, size_t len, uint64_t key)
{
	struct phr_cbor_dec d;
	size_t n;
	uint64_t k;
	if (!p || !len || phr_cbor_dec_init(&d, p, len) || phr_cbor_get_map(&d, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (phr_cbor_get_uint(&d, &k) || phr_cbor_skip(&d))
			return 0;
		if (k == key)
			return 1;
	}
	return 0;
}

/* How a v3 plaintext gives the positions of its sealed results (key 0). */
enum pos_form {
	POS_LEFT_OUT, /* none: they are 0, 1, ..., n-1 */
	POS_RANGE,    /* an array 0, 1, ..., n-1 */
	POS_MASK,     /* a uint, bit i set for position i */
	POS_BITS,     /* an array of the bits set in a mask */
};
#define POS_MASK_BITS 64 /* positions below this can go in the bitmask */

/* map {0: positions as form says (n or mask), the rest's n_rest keys},
 * malloc'd into *out. */
static int put_positions(enum pos_form form, uint64_t v, const uint8_t *rest, size_t rest_len, size_t n_rest,
			 uint8_t **out, size_t *out_len)
{
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t len = 0, m = 0;
	int rc;
	if (form == POS_BITS)
		for (unsigned b = 0; b < POS_MASK_BITS; b++)
			m += (v >> b) & 1;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, len);
		phr_cbor_put_map(&e, n_rest + (form != POS_LEFT_OUT));
		if (form != POS_LEFT_OUT)
			phr_cbor_put_uint(&e, 0);
		if (form == POS_MASK)
			phr_cbor_put_uint(&e, v);
		else if (form == POS_RANGE) {
			phr_cbor_put_array(&e, (size_t)v);
			for (uint64_t i = 0; i < v; i++)
				phr_cbor_put_uint(&e, i);
		} else if (form == POS_BITS) {
			phr_cbor_put_array(&e, m);
			for (unsigned b = 0; b < POS_MASK_BITS; b++)
				if ((v >> b) & 1)
					phr_cbor_put_uint(&e, b);
		}
		if (rest_len)
			phr_cbor_put_raw(&e, rest, rest_len);
		if ((rc = phr_cbor_enc_finish(&e, &len))) {
			if (buf) {
				sodium_memzero(buf, len);
				free(buf);
			}
			return rc;
		}
		if (pass == 0 && !(buf = malloc(len ? len : 1)))
			return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	if (len > PHR_MAX_SEALED) {
		sodium_memzero(buf, len);
		free(buf);
		return phr_fail(PHR_E_LIMIT, "sealed part: more than PHR_MAX_SEALED (%d) bytes with its positions",
				PHR_MAX_SEALED);
	}
	*out = buf;
	*out_len = len;
	return PHR_OK;
}

/* v3 writes the positions (key 0) in fewer bytes than the array split()
 * gives: left out when the clear content has no results (they are then
 * 0, 1, ..., n-1), else a bitmask over the full results array when every
 * position is below 64 (FORMAT.md, "Sealed sections", v3). The plaintext
 * so written, malloc'd, or NULL (PHR_OK) when it stays as it is. */
static int positions_out(const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len,
			 uint8_t **out, size_t *out_len)
{
	struct phr_cbor_dec d;
	size_t n, m;
	uint64_t k, v, prev = 0, mask = 0;
	int range = 1, fits = 1;
	*out = NULL;
	*out_len = 0;
	if (phr_cbor_dec_init(&d, plain, plain_len) || phr_cbor_get_map(&d, &n) || n < 2 || phr_cbor_get_uint(&d, &k) ||
	    k != 0 || phr_cbor_get_array(&d, &m) || !m)
		return PHR_OK;
	for (size_t i = 0; i < m; i++) {
		if (phr_cbor_get_uint(&d, &v))
			return PHR_OK;
		if (v != i)
			range = 0;
		if (v >= POS_MASK_BITS || (i && v <= prev))
			fits = 0;
		else
			mask |= (uint64_t)1 << v;
		prev = v;
	}
	if (map_has(clear, clear_len, KEY_RESULTS)) {
		if (!fits)
			return PHR_OK;
		return put_positions(POS_MASK, mask, plain + d.off, plain_len - d.off, n - 1, out, out_len);
	}
	if (!range)
		return PHR_OK;
	return put_positions(POS_LEFT_OUT, 0, plain + d.off, plain_len - d.off, n - 1, out, out_len);
}

/* The reverse, on an opened v3 plaintext: a bitmask in key 0 read back
 * into the array of positions; or, when the clear content has no results,
 * key 0 put back (0, 1, ..., n-1) when results are sealed and the
 * plaintext names no positions. Takes *p. */
static int positions_in(const uint8_t *clear, size_t clear_len, uint8_t **p, size_t *len)
{
	struct phr_cbor_dec d;
	size_t n, m = 0, head;
	uint64_t k, mask;
	int results = 0, rc;
	uint8_t *buf = NULL;
	size_t blen = 0;
	if (phr_cbor_dec_init(&d, *p, *len) || phr_cbor_get_map(&d, &n))
		return PHR_OK; /* merge says what is wrong with it */
	head = d.off;
	if (map_has(clear, clear_len, KEY_RESULTS)) {
		if (!n || phr_cbor_get_uint(&d, &k) || k != 0 || phr_cbor_peek(&d) != PHR_CBOR_UINT ||
		    phr_cbor_get_uint(&d, &mask))
			return PHR_OK; /* an array, or no positions: merge checks them */
		rc = put_positions(POS_BITS, mask, *p + d.off, *len - d.off, n - 1, &buf, &blen);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (phr_cbor_get_uint(&d, &k))
				break;
			if (k == 0)
				return PHR_OK; /* written with the positions */
			if (k == KEY_RESULTS) {
				if (!phr_cbor_get_array(&d, &m))
					results = 1;
				break;
			}
			if (phr_cbor_skip(&d))
				break;
		}
		if (!results || m > PHR_MAX_ARRAY)
			return PHR_OK;
		rc = put_positions(POS_RANGE, m, *p + head, *len - head, n, &buf, &blen);
	}
	if (rc)
		return rc;
	sodium_memzero(*p, *len);
	free(*p);
	*p = buf;
	*len = blen;
	return PHR_OK;
}

/* salt || BLAKE2b-160("phr-seal3" || clear) */
static void nonce_v3(const uint8_t salt[PHR_SEAL_V3_SALT_LEN], const uint8_t *clear, size_t clear_len,
		     uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES])
{
	crypto_generichash_state st;
	memcpy(nonce, salt, PHR_SEAL_V3_SALT_LEN);
	crypto_generichash_init(&st, NULL, 0, NONCE3_HASH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)NONCE3_DOMAIN, strlen(NONCE3_DOMAIN));
	if (clear_len)
		crypto_generichash_update(&st, clear, clear_len);
	crypto_generichash_final(&st, nonce + PHR_SEAL_V3_SALT_LEN, NONCE3_HASH_LEN);
}



int phr_seal_v3(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
		const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len, unsigned n, int pack,
		const uint8_t *salt, uint8_t **env, size_t *env_len)
{
	uint8_t k[PHR_SEAL_KEY_LEN], ad[PHR_SEAL_AD_LEN], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t kid[PHR_SEAL_KID_LEN], s[PHR_SEAL_V3_SALT_LEN];
	uint8_t *dict = NULL, *cand[3] = { NULL, NULL, NULL }, *buf = NULL;
	size_t dict_len = 0, cand_len[3] = { 0, 0, 0 };
	int rc;
	*env = NULL;
	*env_len = 0;
	if (sodium_init() < 0)
		return phr_fail(PHR_E_CRYPTO, "libsodium could not be initialised");
	if (!plain_len || plain_len > PHR_MAX_SEALED || n < 1 || n > PHR_MAX_SEALED_SECTIONS)
		return phr_fail(PHR_E_ARG, "nothing to seal, or more than PHR_MAX_SEALED bytes or sections");
	if (pack < PHR_SEAL_PACK_BEST || pack > PHR_SEAL_PACK_ZSTD)
		return phr_fail(PHR_E_ARG, "sealed envelope v3: packing %d is not defined", pack);
	/* the candidates: as it is (without positions the reader can tell),
	 * DEFLATE, zstd */
	if ((rc = positions_out(clear, clear_len, plain, plain_len, &cand[0], &cand_len[0])))
		return rc;
	if (cand[0]) {
		plain = cand[0];
		plain_len = cand_len[0];
	} else if (!(cand[0] = malloc(plain_len))) {
		return phr_fail(PHR_E_NOMEM, "out of memory");
	} else {
		memcpy(cand[0], plain, plain_len);
		cand_len[0] = plain_len;
	}
	if (pack != PHR_SEAL_PACK_NONE) {
		if ((rc = pack_dict(clear, clear_len, &dict, &dict_len))) {
			if (pack != PHR_SEAL_PACK_BEST)
				goto out;
			phr_clear_error(); /* no dictionary: unpacked */
		} else {
			if ((pack == PHR_SEAL_PACK_BEST || pack == PHR_SEAL_PACK_DEFLATE) &&
			    (rc = pack_deflate(dict, dict_len, plain, plain_len, &cand[1], &cand_len[1])))
				goto out;
			if ((pack == PHR_SEAL_PACK_BEST || pack == PHR_SEAL_PACK_ZSTD) &&
			    (rc = pack_zstd(dict, dict_len, plain, plain_len, &cand[2], &cand_len[2])))
				goto out;
		}
	}
	int use = pack == PHR_SEAL_PACK_BEST ? 0 : pack;
	if (pack == PHR_SEAL_PACK_BEST)
		for (int i = 1; i < 3; i++)
			if (cand[i] && cand_len[i] < cand_len[use])
				use = i;
	if (!cand[use] || cand_len[use] > PHR_MAX_SEALED) {
		rc = phr_fail(PHR_E_ARG, "sealed part: packing %d gives nothing usable", use);
		goto out;
	}
	if (salt)
		memcpy(s, salt, sizeof(s));
	else
		randombytes_buf(s, sizeof(s));
	uint8_t head = (uint8_t)(PHR_SEAL_V3_FLAG | (unsigned)use << 5 | n);
	phr_holder_key_id(key, kid);
	phr_seal_entry_key(key, record_id, index, k);
	phr_seal_ad(record_id, index, kid, head, ad);
	nonce_v3(s, clear, clear_len, nonce);
	size_t ct_len = cand_len[use] + PHR_SEAL_TAG_LEN, body = PHR_SEAL_V3_HEAD + ct_len, len = 0;
	struct phr_cbor_enc e;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, len);
		phr_cbor_put_bytes_head(&e, body);
		if ((rc = phr_cbor_enc_finish(&e, &len)))
			goto out;
		if (pass == 0 && !(buf = malloc(len + body))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
	}
	buf[len] = head;
	memcpy(buf + len + 1, s, PHR_SEAL_V3_SALT_LEN);
	if ((rc = aead_seal_into(buf + len + PHR_SEAL_V3_HEAD, ct_len, cand[use], cand_len[use], ad, sizeof(ad), nonce,
				 k)))
		goto out;
	*env = buf;
	*env_len = len + body;
	buf = NULL;
	rc = PHR_OK;
out:
	sodium_memzero(k, sizeof(k));
	for (int i = 0; i < 3; i++)
		if (cand[i]) {
			sodium_memzero(cand[i], cand_len[i]);
			free(cand[i]);
		}
	free(dict);
	free(buf);
	return rc;
}

/* A v3 plaintext unpacked as head says; takes *p. */
static int unpack_v3(unsigned pack, const uint8_t *clear, size_t clear_len, uint8_t **p, size_t *len)
{
	uint8_t *in = *p, *out = NULL, *dict = NULL;
	size_t n = *len, dict_len = 0, got = 0;
	int rc = PHR_OK;
	if (pack != PHR_SEAL_PACK_NONE) {
		if ((rc = pack_dict(clear, clear_len, &dict, &dict_len)))
			goto done;
		if (!(out = malloc(PHR_MAX_SEALED + 1))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto done;
		}
		rc = pack == PHR_SEAL_PACK_DEFLATE ? unpack_deflate(dict, dict_len, in, n, out, &got) :
						     unpack_zstd(dict, dict_len, in, n, out, &got);
		if (rc)
			goto done;
		sodium_memzero(in, n);
		free(in);
		in = out;
		n = got;
		out = NULL;
	}
	if (!n || in[0] < 0xa0 || in[0] > 0xbb) {
		rc = phr_fail(PHR_E_MALFORMED, "sealed part: not a CBOR map (first byte %02x)", n ? in[0] : 0);
		goto done;
	}
	if ((rc = positions_in(clear, clear_len, &in, &n)))
		goto done;
done:
	free(dict);
	if (out) {
		sodium_memzero(out, PHR_MAX_SEALED + 1);
		free(out);
	}
	if (rc) {
		sodium_memzero(in, n);
		free(in);
		*p = NULL;
		*len = 0;
		return rc;
	}
	*p = in;
	*len = n;
	return PHR_OK;
}

/* The decrypted bytes: a CBOR map as they are, or a packed plaintext
 * (FORMAT.md, "Packed plaintexts") inflated. Takes *p. */
static int unpack(uint8_t **p, size_t *len)
{
	uint8_t *in = *p, *out = NULL;
	size_t n = *len;
	if (n && in[0] >= 0xa0 && in[0] <= 0xbb)
		return PHR_OK;
	int rc;
	if (n < PHR_SEAL_PACKED_HEAD + 1 || in[0] != PHR_SEAL_PACKED_DEFLATE_DICT1) {
		rc = phr_fail(PHR_E_MALFORMED, "sealed part: neither a CBOR map nor a packed plaintext (first byte %02x)",
			      n ? in[0] : 0);
		goto fail;
	}
	size_t declared = (size_t)in[1] << 8 | in[2];
	if (!declared || declared > PHR_MAX_SEALED) {
		rc = phr_fail(PHR_E_LIMIT, "packed sealed part: %zu bytes declared, expected 1..PHR_MAX_SEALED (%d)", declared,
			      PHR_MAX_SEALED);
		goto fail;
	}
	if ((rc = phr_decompress(PHR_COMP_DEFLATE_DICT1, in + PHR_SEAL_PACKED_HEAD, n - PHR_SEAL_PACKED_HEAD, declared,
				 &out))) {
		rc = phr_fail_wrap(rc, "packed sealed part");
		goto fail;
	}
	sodium_memzero(in, n);
	free(in);
	*p = out;
	*len = declared;
	return PHR_OK;
fail:
	sodium_memzero(in, n);
	free(in);
	*p = NULL;
	*len = 0;
	return rc;
}

int phr_seal_open(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
		  const uint8_t *env, size_t env_len, uint8_t **plain, size_t *plain_len)
{
	return phr_seal_open_entry(key, record_id, index, NULL, 0, env, env_len, plain, plain_len);
}

int phr_seal_open_entry(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
			const uint8_t *clear, size_t clear_len, const uint8_t *env, size_t env_len, uint8_t **plain,
			size_t *plain_len)
{
	struct phr_seal_envelope v;
	uint8_t k[PHR_SEAL_KEY_LEN], ad[PHR_SEAL_AD_LEN], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = { 0 };
	uint8_t kid[PHR_SEAL_KID_LEN];
	int rc;
	*plain = NULL;
	*plain_len = 0;
	if (sodium_init() < 0)
		return phr_fail(PHR_E_CRYPTO, "libsodium could not be initialised");
	if ((rc = phr_seal_envelope_parse(env, env_len, &v)))
		return rc;
	phr_holder_key_id(key, kid);
	if (!phr_seal_kid_match(&v, kid)) {
		return phr_fail(PHR_E_SEAL_KEY,
				"sealed under holder key %02x%02x%02x%02x, and the key given is %02x%02x%02x%02x (another record's key, a key replaced since, or a wrong key)",
				v.kid[0], v.kid[1], v.kid[2], v.kid[3], kid[0], kid[1], kid[2], kid[3]);
	}
	phr_seal_entry_key(key, record_id, index, k);
	if (v.version == PHR_SEAL_V3) {
		nonce_v3(v.salt, clear, clear_len, nonce);
		phr_seal_ad(record_id, index, kid, (uint32_t)(PHR_SEAL_V3_FLAG | v.pack << 5 | v.sections), ad);
	} else {
		memcpy(nonce, v.salt, v.salt_len);
		phr_seal_ad(record_id, index, v.kid, v.sections, ad);
	}
	size_t n = v.ct_len - PHR_SEAL_TAG_LEN;
	uint8_t *out = malloc(n);
	if (!out) {
		sodium_memzero(k, sizeof(k));
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	unsigned long long m;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &m, NULL, v.ct, v.ct_len, ad, sizeof(ad), nonce, k) != 0) {
		sodium_memzero(k, sizeof(k));
		free(out);
		/* v3 names no key: its signature vouches for the envelope, so
		 * what does not open was sealed under another key */
		if (v.version == PHR_SEAL_V3)
			return phr_fail(PHR_E_SEAL_KEY,
					"does not open with the key given: sealed under another holder key (another record's key, a key replaced since by re-keying, or a wrong key), or altered after signing (its signature then fails)");
		return phr_fail(PHR_E_SEALED,
				"the sealed part does not open with this key: it was altered, or moved here from another entry or record");
	}
	sodium_memzero(k, sizeof(k));
	size_t got = (size_t)m;
	int rc2 = v.version == PHR_SEAL_V3 ? unpack_v3(v.pack, clear, clear_len, &out, &got) : unpack(&out, &got);
	if (rc2)
		return rc2;
	*plain = out;
	*plain_len = got;
	return PHR_OK;
}

/* ---- split and merge ---- */

/* Is this result item (a result map) a sensitive screening? */
static int result_sensitive(const uint8_t *p, size_t len)
{
	struct phr_cbor_dec d;
	size_t n, m;
	uint64_t k, sys;
	const char *code;
	size_t clen;
	phr_cbor_dec_init_nested(&d, p, len);
	if (phr_cbor_get_map(&d, &n) || !n || phr_cbor_get_uint(&d, &k) || k != 1 || phr_cbor_get_array(&d, &m) ||
	    m != 2 || phr_cbor_get_uint(&d, &sys) || phr_cbor_get_text(&d, &code, &clen))
		return 0;
	return sys == PHR_CS_LOINC && phr_seal_sensitive_loinc(code, clen);
}

struct span {
	uint64_t key;
	const uint8_t *p;
	size_t len;
};

/* Writes map {spans..., results} in key order: results (key 11) as an
 * array of items when n_items or has_results. */
static void put_map(struct phr_cbor_enc *e, const struct span *s, size_t n, const struct span *items, size_t n_items,
		    int has_results, const uint64_t *pos, size_t n_pos)
{
	size_t total = n + (has_results ? 1 : 0) + (pos ? 1 : 0);
	phr_cbor_put_map(e, total);
	if (pos) {
		phr_cbor_put_uint(e, 0);
		phr_cbor_put_array(e, n_pos);
		for (size_t i = 0; i < n_pos; i++)
			phr_cbor_put_uint(e, pos[i]);
	}
	size_t i = 0;
	for (; i < n && s[i].key < KEY_RESULTS; i++) {
		phr_cbor_put_uint(e, s[i].key);
		phr_cbor_put_raw(e, s[i].p, s[i].len);
	}
	if (has_results) {
		phr_cbor_put_uint(e, KEY_RESULTS);
		phr_cbor_put_array(e, n_items);
		for (size_t j = 0; j < n_items; j++)
			phr_cbor_put_raw(e, items[j].p, items[j].len);
	}
	for (; i < n; i++) {
		phr_cbor_put_uint(e, s[i].key);
		phr_cbor_put_raw(e, s[i].p, s[i].len);
	}
}

static int encode_map(const struct span *s, size_t n, const struct span *items, size_t n_items, int has_results,
		      const uint64_t *pos, size_t n_pos, uint8_t **out, size_t *out_len)
{
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, len);
		put_map(&e, s, n, items, n_items, has_results, pos, n_pos);
		if ((rc = phr_cbor_enc_finish(&e, &len))) {
			free(buf);
			return rc;
		}
		if (pass == 0 && !(buf = malloc(len ? len : 1)))
			return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	*out = buf;
	*out_len = len;
	return PHR_OK;
}

#define MAX_ROOT 32

int phr_seal_split(const uint8_t *content, size_t len, uint32_t mask, uint8_t **clear, size_t *clear_len,
		   uint8_t **plain, size_t *plain_len, unsigned *n_sections)
{
	struct phr_cbor_dec d;
	struct span cs[MAX_ROOT], ps[MAX_ROOT], citems[PHR_MAX_ARRAY], pitems[PHR_MAX_ARRAY];
	uint64_t pos[PHR_MAX_ARRAY];
	size_t nc = 0, np = 0, nci = 0, npi = 0, n;
	int had_results = 0, rc;
	*clear = *plain = NULL;
	*clear_len = *plain_len = 0;
	*n_sections = 0;
	if ((rc = phr_entry_validate(content, len)))
		return rc;
	if ((rc = phr_cbor_dec_init(&d, content, len)) || (rc = phr_cbor_get_map(&d, &n)))
		return rc;
	if (n > MAX_ROOT)
		return phr_fail(PHR_E_LIMIT, "entry has %zu sections", n);
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		struct span sp;
		if ((rc = phr_cbor_get_uint(&d, &key)))
			return rc;
		sp.key = key;
		if (key == KEY_RESULTS && (mask & (PHR_SEAL_SCREENING | PHR_SEAL_BIT(KEY_RESULTS)))) {
			size_t m;
			had_results = 1;
			if ((rc = phr_cbor_get_array(&d, &m)))
				return rc;
			if (m > PHR_MAX_ARRAY)
				return phr_fail(PHR_E_LIMIT, "results: %zu items", m);
			for (size_t j = 0; j < m; j++) {
				if ((rc = phr_cbor_get_raw(&d, &sp.p, &sp.len)))
					return rc;
				if ((mask & PHR_SEAL_BIT(KEY_RESULTS)) || result_sensitive(sp.p, sp.len)) {
					pos[npi] = j;
					pitems[npi++] = sp;
				} else {
					citems[nci++] = sp;
				}
			}
			continue;
		}
		if ((rc = phr_cbor_get_raw(&d, &sp.p, &sp.len)))
			return rc;
		if (key < 31 && (mask & PHR_SEAL_BIT(key)) && !unsealable((uint32_t)key))
			ps[np++] = sp;
		else
			cs[nc++] = sp;
	}
	if ((rc = encode_map(cs, nc, citems, nci, had_results && nci > 0, NULL, 0, clear, clear_len)))
		return rc;
	if (!np && !npi)
		return PHR_OK;
	if ((rc = encode_map(ps, np, pitems, npi, npi > 0, npi ? pos : NULL, npi, plain, plain_len))) {
		free(*clear);
		*clear = NULL;
		return rc;
	}
	*n_sections = (unsigned)(np + (npi > 0));
	return PHR_OK;
}

int phr_seal_merge(const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len, uint8_t **full,
		   size_t *full_len)
{
	struct phr_cbor_dec d;
	struct span s[2 * MAX_ROOT], items[2 * PHR_MAX_ARRAY], citems[PHR_MAX_ARRAY], pitems[PHR_MAX_ARRAY];
	uint64_t pos[PHR_MAX_ARRAY];
	size_t ns = 0, nci = 0, npi = 0, npos = 0, n;
	int have_pos = 0, have_presults = 0, rc;
	*full = NULL;
	*full_len = 0;
	if (plain_len > PHR_MAX_SEALED)
		return phr_fail(PHR_E_LIMIT, "sealed part: more than PHR_MAX_SEALED (%d) bytes", PHR_MAX_SEALED);
	/* the clear content */
	if ((rc = phr_cbor_dec_init(&d, clear, clear_len)) || (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "entry content");
	if (n > MAX_ROOT)
		return phr_fail(PHR_E_LIMIT, "entry has %zu sections", n);
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		if ((rc = phr_cbor_get_uint(&d, &key)))
			return rc;
		if (key == KEY_RESULTS) {
			size_t m;
			if ((rc = phr_cbor_get_array(&d, &m)))
				return rc;
			if (m > PHR_MAX_ARRAY)
				return phr_fail(PHR_E_LIMIT, "results: %zu items", m);
			for (size_t j = 0; j < m; j++)
				if ((rc = phr_cbor_get_raw(&d, &citems[nci].p, &citems[nci].len)))
					return rc;
				else
					nci++;
			continue;
		}
		s[ns].key = key;
		if ((rc = phr_cbor_get_raw(&d, &s[ns].p, &s[ns].len)))
			return rc;
		ns++;
	}
	size_t n_clear = ns;
	/* the sealed part */
	if ((rc = phr_cbor_dec_init(&d, plain, plain_len)) || (rc = phr_cbor_get_map(&d, &n)))
		return phr_fail_wrap(rc, "sealed part");
	if (n > MAX_ROOT)
		return phr_fail(PHR_E_LIMIT, "sealed part has %zu sections", n);
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		if ((rc = phr_cbor_get_uint(&d, &key)))
			return phr_fail_wrap(rc, "sealed part");
		if (key == 0) {
			size_t m;
			if ((rc = phr_cbor_get_array(&d, &m)))
				return phr_fail_wrap(rc, "sealed part: positions");
			if (m > PHR_MAX_ARRAY)
				return phr_fail(PHR_E_LIMIT, "sealed part: %zu positions", m);
			for (size_t j = 0; j < m; j++)
				if ((rc = phr_cbor_get_uint(&d, &pos[j])))
					return phr_fail_wrap(rc, "sealed part: positions");
			npos = m;
			have_pos = 1;
			continue;
		}
		if (key == KEY_RESULTS) {
			size_t m;
			if ((rc = phr_cbor_get_array(&d, &m)))
				return phr_fail_wrap(rc, "sealed part: results");
			if (m > PHR_MAX_ARRAY)
				return phr_fail(PHR_E_LIMIT, "sealed part: %zu results", m);
			for (size_t j = 0; j < m; j++)
				if ((rc = phr_cbor_get_raw(&d, &pitems[npi].p, &pitems[npi].len)))
					return phr_fail_wrap(rc, "sealed part: results");
				else
					npi++;
			have_presults = 1;
			continue;
		}
		if (key > 31 || unsealable((uint32_t)key))
			return phr_fail(PHR_E_MALFORMED, "sealed part holds section %llu, which is never sealed",
					(unsigned long long)key);
		for (size_t j = 0; j < n_clear; j++)
			if (s[j].key == key)
				return phr_fail(PHR_E_MALFORMED, "sealed part holds section %llu, which the entry also has unsealed",
						(unsigned long long)key);
		s[ns].key = key;
		if ((rc = phr_cbor_get_raw(&d, &s[ns].p, &s[ns].len)))
			return phr_fail_wrap(rc, "sealed part");
		ns++;
	}
	if (have_pos != have_presults || npos != npi || (have_presults && !npi))
		return phr_fail(PHR_E_MALFORMED, "sealed part: %zu results for %zu positions", npi, npos);
	if (!have_presults && ns == n_clear)
		return phr_fail(PHR_E_MALFORMED, "sealed part holds no section");
	/* results: sealed items at their positions, the clear ones between */
	size_t total = nci + npi, ci = 0, pi = 0;
	for (size_t j = 0; j < total; j++) {
		if (pi < npi && pos[pi] == j) {
			items[j] = pitems[pi++];
		} else {
			if (ci == nci)
				return phr_fail(PHR_E_MALFORMED, "sealed part: result position %llu is out of order or range",
						(unsigned long long)pos[pi]);
			items[j] = citems[ci++];
		}
	}
	if (pi != npi)
		return phr_fail(PHR_E_MALFORMED, "sealed part: result positions out of order or range");
	/* key order */
	for (size_t i = 1; i < ns; i++)
		for (size_t j = i; j > 0 && s[j - 1].key > s[j].key; j--) {
			struct span t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	if ((rc = encode_map(s, ns, items, total, total > 0, NULL, 0, full, full_len)))
		return rc;
	if ((rc = phr_entry_validate(*full, *full_len))) {
		free(*full);
		*full = NULL;
		return phr_fail_wrap(rc, "entry with its sealed part");
	}
	return PHR_OK;
}

/* ---- re-keying ---- */

/* A re-keying entry's plaintext is {31: {index: plaintext, ...}}: the map
 * holds that one key. Returns 1 (and the carried map, d positioned at its
 * first key, *n its size) for one, 0 for an ordinary plaintext, or an
 * error for a malformed one. */
static int carried_map(const uint8_t *plain, size_t len, struct phr_cbor_dec *d, size_t *n)
{
	size_t m;
	uint64_t k;
	int rc;
	if ((rc = phr_cbor_dec_init(d, plain, len)) || (rc = phr_cbor_get_map(d, &m)))
		return phr_fail_wrap(rc, "sealed part");
	for (size_t i = 0; i < m; i++) {
		if ((rc = phr_cbor_get_uint(d, &k)))
			return phr_fail_wrap(rc, "sealed part");
		if (k == PHR_SEAL_CARRIED) {
			if (m != 1)
				return phr_fail(PHR_E_MALFORMED, "sealed part: key %d (re-sealed entries) beside other sections",
						PHR_SEAL_CARRIED);
			if ((rc = phr_cbor_get_map(d, n)))
				return phr_fail_wrap(rc, "sealed part: re-sealed entries");
			if (*n > PHR_MAX_ENTRIES)
				return phr_fail(PHR_E_LIMIT, "sealed part: %zu re-sealed entries", *n);
			return 1;
		}
		if ((rc = phr_cbor_skip(d)))
			return phr_fail_wrap(rc, "sealed part");
	}
	return 0;
}

/* Reads the carried plaintexts of a re-keying entry at index at into
 * carried[] (pointers into plain): each index below at, ascending. */
static int carried_read(struct phr_cbor_dec *d, size_t n, size_t at, const uint8_t **cp, size_t *cl)
{
	int rc;
	for (size_t j = 0; j < n; j++) {
		uint64_t idx;
		const uint8_t *p;
		size_t l;
		if ((rc = phr_cbor_get_uint(d, &idx)) || (rc = phr_cbor_get_bytes(d, &p, &l)))
			return phr_fail_wrap(rc, "sealed part: re-sealed entries");
		if (idx >= at)
			return phr_fail(PHR_E_MALFORMED, "re-keying entry %zu re-seals entry %llu, which is not before it", at,
					(unsigned long long)idx);
		if (!l || l > PHR_MAX_SEALED)
			return phr_fail(PHR_E_MALFORMED, "re-keying entry %zu: entry %llu's sealed part is %zu bytes", at,
					(unsigned long long)idx, l);
		cp[idx] = p;
		cl[idx] = l;
	}
	return PHR_OK;
}

int phr_seal_rekey_parse(const uint8_t *plain, size_t len, size_t at, const uint8_t **ptr, size_t *lens)
{
	struct phr_cbor_dec d;
	size_t n;
	for (size_t i = 0; i < PHR_MAX_ENTRIES; i++) {
		ptr[i] = NULL;
		lens[i] = 0;
	}
	if (len > PHR_MAX_SEALED)
		return phr_fail(PHR_E_LIMIT, "sealed part: more than PHR_MAX_SEALED (%d) bytes", PHR_MAX_SEALED);
	if (at > PHR_MAX_ENTRIES)
		return phr_fail(PHR_E_ARG, "re-keying entry index %zu beyond PHR_MAX_ENTRIES", at);
	int k = carried_map(plain, len, &d, &n);
	if (k != 1)
		return k;
	int rc = carried_read(&d, n, at, ptr, lens);
	if (rc) {
		for (size_t i = 0; i < PHR_MAX_ENTRIES; i++) {
			ptr[i] = NULL;
			lens[i] = 0;
		}
		return rc;
	}
	return 1;
}

/* Does entry i of r open with key? */
static int entry_opens(const struct phr_record *r, size_t i, const uint8_t key[PHR_HOLDER_KEY_LEN])
{
	const struct phr_entry *e = &r->entries[i];
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	int rc = phr_seal_open_entry(key, r->id, i, e->clear, e->clear_len, e->sealed, e->sealed_len, &plain, &plain_len);
	if (plain) {
		sodium_memzero(plain, plain_len);
		free(plain);
	}
	return rc == PHR_OK;
}

int phr_record_seal_key_state(const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *newest_at,
			      size_t *rekeyed_at)
{
	int have = 0, mine = 0;
	size_t last_mine = 0;
	*newest_at = *rekeyed_at = 0;
	for (size_t i = 0; i < r->n_entries; i++) {
		if (!r->entries[i].sealed)
			continue;
		*newest_at = i;
		have = 1;
		if (entry_opens(r, i, key)) {
			mine = 1;
			last_mine = i;
		}
	}
	phr_clear_error();
	if (!have)
		return PHR_SEAL_KEY_NONE;
	if (mine && last_mine == *newest_at)
		return PHR_SEAL_KEY_NEWEST;
	if (!mine)
		return PHR_SEAL_KEY_OTHER;
	/* the first sealed entry after the last one that opens */
	for (size_t i = last_mine + 1; i < r->n_entries; i++)
		if (r->entries[i].sealed) {
			*rekeyed_at = i;
			break;
		}
	return PHR_SEAL_KEY_REPLACED;
}

/* {31: {}}: what a re-keying entry re-seals of an earlier re-keying entry */
static const uint8_t empty_rekey[] = { 0xa1, 0x18, PHR_SEAL_CARRIED, 0xa0 };

int phr_seal_rekey_plaintext(const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], uint8_t **plain,
			     size_t *plain_len, size_t *carried)
{
	uint8_t **own = calloc(PHR_MAX_ENTRIES, sizeof(*own));
	size_t *own_len = calloc(PHR_MAX_ENTRIES, sizeof(*own_len)), *cl = calloc(PHR_MAX_ENTRIES, sizeof(*cl));
	const uint8_t **cp = calloc(PHR_MAX_ENTRIES, sizeof(*cp));
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t len = 0, n_out = 0;
	int rc = PHR_OK;
	*plain = NULL;
	*plain_len = 0;
	*carried = 0;
	if (!own || !own_len || !cl || !cp) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	/* pass 1: open what this key opens; re-keying entries give the
	 * entries before them (a later one wins) */
	uint8_t *is_rekey = calloc(PHR_MAX_ENTRIES, 1);
	int *why = calloc(PHR_MAX_ENTRIES, sizeof(*why));
	if (!is_rekey || !why) {
		free(is_rekey);
		free(why);
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->n_entries && i < PHR_MAX_ENTRIES; i++) {
		const struct phr_entry *en = &r->entries[i];
		struct phr_cbor_dec d;
		size_t n;
		if (!en->sealed)
			continue;
		rc = phr_seal_open_entry(key, r->id, i, en->clear, en->clear_len, en->sealed, en->sealed_len, &own[i],
					 &own_len[i]);
		if (rc == PHR_E_NOMEM)
			break;
		if (rc) {
			why[i] = rc;
			phr_clear_error();
			rc = PHR_OK;
			continue;
		}
		int k = carried_map(own[i], own_len[i], &d, &n);
		if (k < 0) {
			rc = phr_fail_wrap(k, "entry %zu", i);
			break;
		}
		if (k == 1) {
			is_rekey[i] = 1;
			if ((rc = carried_read(&d, n, i, cp, cl))) {
				rc = phr_fail_wrap(rc, "entry %zu", i);
				break;
			}
		}
	}
	/* pass 2: each sealed entry's own plaintext, else the re-sealed one */
	for (size_t i = 0; !rc && i < r->n_entries && i < PHR_MAX_ENTRIES; i++) {
		if (!r->entries[i].sealed)
			continue;
		if (is_rekey[i]) {
			/* carried as an empty re-keying plaintext: a reader with
			 * the new key knows it for what it is */
			cp[i] = empty_rekey;
			cl[i] = sizeof(empty_rekey);
			continue;
		}
		if (own[i]) {
			cp[i] = own[i];
			cl[i] = own_len[i];
		} else if (!cp[i]) {
			/* say why, with the key given */
			uint8_t *tmp = NULL;
			size_t tl = 0;
			rc = phr_seal_open_entry(key, r->id, i, r->entries[i].clear, r->entries[i].clear_len,
						 r->entries[i].sealed, r->entries[i].sealed_len, &tmp, &tl);
			free(tmp);
			rc = phr_fail_wrap(rc ? rc : why[i], "entry %zu", i);
		}
	}
	free(is_rekey);
	free(why);
	if (rc)
		goto out;
	size_t n_sections = 0; /* entries with sealed sections, not re-keying ones */
	for (size_t i = 0; i < r->n_entries && i < PHR_MAX_ENTRIES; i++)
		if (cp[i]) {
			n_out++;
			n_sections += cp[i] != empty_rekey;
		}
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, len);
		phr_cbor_put_map(&e, 1);
		phr_cbor_put_uint(&e, PHR_SEAL_CARRIED);
		phr_cbor_put_map(&e, n_out);
		for (size_t i = 0; i < r->n_entries && i < PHR_MAX_ENTRIES; i++)
			if (cp[i]) {
				phr_cbor_put_uint(&e, i);
				phr_cbor_put_bytes(&e, cp[i], cl[i]);
			}
		if ((rc = phr_cbor_enc_finish(&e, &len)))
			goto out;
		if (pass == 0 && !(buf = malloc(len))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (len > PHR_MAX_SEALED) {
		rc = phr_fail(PHR_E_LIMIT, "the sealed sections to re-seal take %zu bytes, more than PHR_MAX_SEALED (%d)", len,
			      PHR_MAX_SEALED);
		goto out;
	}
	*plain = buf;
	*plain_len = len;
	*carried = n_sections;
	buf = NULL;
	rc = PHR_OK;
out:
	if (buf) {
		sodium_memzero(buf, len);
		free(buf);
	}
	for (size_t i = 0; own && i < PHR_MAX_ENTRIES; i++)
		if (own[i]) {
			sodium_memzero(own[i], own_len[i]);
			free(own[i]);
		}
	free(own);
	free(own_len);
	free(cp);
	free(cl);
	return rc;
}

/* Marks entry i as not opened, with the message of rc. */
static void seal_failed(struct phr_entry *e, size_t i, int rc)
{
	e->seal_state = rc;
	snprintf(e->seal_why, sizeof(e->seal_why), "entry %zu: %s", i, phr_last_error());
}

/* Merges plain into entry i's clear content and makes it the content. */
static int seal_apply(struct phr_record *r, size_t i, const uint8_t *plain, size_t plain_len)
{
	struct phr_entry *e = &r->entries[i];
	uint8_t *full = NULL;
	size_t full_len = 0;
	int rc = phr_seal_merge(e->content, e->content_len, plain, plain_len, &full, &full_len);
	if (rc)
		return rc;
	if (r->unsealed[i])
		sodium_memzero(r->unsealed[i], r->unsealed_len[i]);
	free(r->unsealed[i]);
	r->unsealed[i] = full;
	r->unsealed_len[i] = full_len;
	e->content = full;
	e->content_len = full_len;
	e->seal_state = 1;
	return PHR_OK;
}

int phr_record_unseal(struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *failed)
{
	uint8_t **kept = calloc(PHR_MAX_ENTRIES, sizeof(*kept)); /* re-keying plaintexts, kept for pass 2 */
	size_t *kept_len = calloc(PHR_MAX_ENTRIES, sizeof(*kept_len)), *cl = calloc(PHR_MAX_ENTRIES, sizeof(*cl)),
	       *from = calloc(PHR_MAX_ENTRIES, sizeof(*from));
	const uint8_t **cp = calloc(PHR_MAX_ENTRIES, sizeof(*cp));
	int rc = PHR_OK;
	*failed = 0;
	if (!kept || !kept_len || !cl || !cp || !from) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	/* pass 1: every entry sealed under this key */
	for (size_t i = 0; i < r->n_entries && i < PHR_MAX_ENTRIES; i++) {
		struct phr_entry *e = &r->entries[i];
		uint8_t *plain = NULL;
		size_t plain_len = 0;
		struct phr_cbor_dec d;
		size_t n;
		if (!e->sealed || !e->content || e->seal_state == 1)
			continue;
		rc = phr_seal_open_entry(key, r->id, i, e->clear, e->clear_len, e->sealed, e->sealed_len, &plain,
					 &plain_len);
		if (rc == PHR_OK) {
			int k = carried_map(plain, plain_len, &d, &n);
			if (k == 1 && (rc = carried_read(&d, n, i, cp, cl)) == PHR_OK) {
				/* a re-keying entry: its content is the clear one; what
				 * it carries opens the entries before it (pass 2) */
				kept[i] = plain;
				kept_len[i] = plain_len;
				plain = NULL;
				for (size_t j = 0; j < i; j++)
					if (cp[j] && cp[j] >= kept[i] && cp[j] < kept[i] + kept_len[i])
						from[j] = i;
				e->seal_state = 1;
				snprintf(e->seal_why, sizeof(e->seal_why), "%s", PHR_SEAL_NOTE_REKEYING_TEXT);
			} else if (k == 0) {
				rc = seal_apply(r, i, plain, plain_len);
			} else if (k < 0) {
				rc = k;
			}
			if (k == 1 && rc != PHR_OK) /* nothing may point into plain once it is freed */
				for (size_t j = 0; j < i; j++)
					if (cp[j] && cp[j] >= plain && cp[j] < plain + plain_len)
						cp[j] = NULL;
		}
		if (plain) {
			sodium_memzero(plain, plain_len);
			free(plain);
		}
		if (rc == PHR_E_NOMEM)
			goto out;
		if (rc)
			seal_failed(e, i, rc);
		rc = PHR_OK;
	}
	/* pass 2: entries sealed under an earlier key, opened through the
	 * newest re-keying entry that re-sealed them */
	for (size_t i = 0; i < r->n_entries && i < PHR_MAX_ENTRIES; i++) {
		struct phr_entry *e = &r->entries[i];
		struct phr_cbor_dec d;
		size_t n;
		if (!e->sealed || !e->content || e->seal_state == 1 || !cp[i])
			continue;
		int k = carried_map(cp[i], cl[i], &d, &n);
		if (k == 1 && n == 0) { /* an earlier re-keying entry */
			e->seal_state = 1;
			snprintf(e->seal_why, sizeof(e->seal_why), PHR_SEAL_NOTE_REKEYING_TEXT " (" PHR_SEAL_NOTE_RESEALED_FMT ")",
				 from[i]);
			continue;
		}
		rc = k ? (k < 0 ? k : phr_fail(PHR_E_MALFORMED, "re-sealed entries inside re-sealed entries")) :
			 seal_apply(r, i, cp[i], cl[i]);
		if (rc == PHR_E_NOMEM)
			goto out;
		if (rc) {
			phr_fail_wrap(rc, "as re-sealed at entry %zu", from[i]);
			seal_failed(e, i, rc);
		} else {
			snprintf(e->seal_why, sizeof(e->seal_why), PHR_SEAL_NOTE_RESEALED_FMT, from[i]);
		}
		rc = PHR_OK;
	}
	int state = -1;
	size_t at = 0, rekeyed = 0;
	for (size_t i = 0; i < r->n_entries; i++) {
		struct phr_entry *e = &r->entries[i];
		if (!e->sealed || !e->content || e->seal_state == 1)
			continue;
		(*failed)++;
		if (e->seal_state == PHR_E_SEAL_KEY) {
			/* a key the record replaced: say so */
			if (state < 0)
				state = phr_record_seal_key_state(r, key, &at, &rekeyed);
			if (state == PHR_SEAL_KEY_REPLACED && i >= rekeyed)
				snprintf(e->seal_why, sizeof(e->seal_why),
					 "entry %zu: sealed under a newer holder key: re-keyed at entry %zu, the key given opens only entries before it; or its signing clinic used another key",
					 i, rekeyed);
		}
	}
out:
	for (size_t i = 0; kept && i < PHR_MAX_ENTRIES; i++)
		if (kept[i]) {
			sodium_memzero(kept[i], kept_len[i]);
			free(kept[i]);
		}
	free(kept);
	free(kept_len);
	free(cp);
	free(cl);
	free(from);
	return rc;
}

/* "re-sealed at entry N" exactly, N decimal without sign or leading zero;
 * the length read in *used. */
static int resealed_at(const char *p, size_t *at, size_t *used)
{
	static const char head[] = "re-sealed at entry ";
	size_t n = sizeof(head) - 1, v = 0, i = n;
	if (strncmp(p, head, n) || p[i] < '0' || p[i] > '9' || (p[i] == '0' && p[i + 1] >= '0' && p[i + 1] <= '9'))
		return 0;
	for (; p[i] >= '0' && p[i] <= '9' && i < n + 6; i++)
		v = v * 10 + (size_t)(p[i] - '0');
	if (p[i] >= '0' && p[i] <= '9')
		return 0;
	*at = v;
	*used = i;
	return 1;
}

int phr_seal_note(const char *why, size_t *at)
{
	static const char rk[] = PHR_SEAL_NOTE_REKEYING_TEXT;
	size_t used, n = sizeof(rk) - 1;
	*at = 0;
	if (!why)
		return PHR_SEAL_NOTE_NONE;
	if (resealed_at(why, at, &used) && !why[used])
		return PHR_SEAL_NOTE_RESEALED;
	if (strncmp(why, rk, n))
		return PHR_SEAL_NOTE_NONE;
	if (!why[n])
		return PHR_SEAL_NOTE_REKEYING;
	if (why[n] == ' ' && why[n + 1] == '(' && resealed_at(why + n + 2, at, &used) && why[n + 2 + used] == ')' &&
	    !why[n + 3 + used])
		return PHR_SEAL_NOTE_REKEYING_RESEALED;
	*at = 0;
	return PHR_SEAL_NOTE_NONE;
}
