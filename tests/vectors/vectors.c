/* Golden vectors: generation (through the library and, for the worked
 * example, independently through libsodium and the CBOR encoder) and the
 * generated parts of docs/FORMAT.md. */
#define ZSTD_STATIC_LINKING_ONLY /* magicless frames, for the refused containers */
#include "vectors.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fec.h>
#include <jansson.h>
#include <sodium.h>
#include <zlib.h>
#include <zstd.h>

#include "phr/base45.h"
#include "phr/cbor.h"
#include "phr/chunk.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/document.h"
#include "phr/json.h"
#include "phr/seal.h"
#include "phr/schema.h"
#include "phr/verify.h" /* PHR_CLOCK_TOLERANCE, for the limits table */

/* ---- fixed inputs (documented in docs/FORMAT.md §Test vectors) ---- */

#define T_NOT_BEFORE 1735689600u /* 2025-01-01T00:00:00Z */
#define T_NOT_AFTER 1798761599u  /* 2026-12-31T23:59:59Z */
#define T_TRUST_ISSUED 1735689600u
#define T_TRUST_EXPIRES 1743465600u /* 2025-04-01T00:00:00Z: issued + 90 days, as phr trust build does */
#define TRUST_VERSION 1u
#define SIGN_HOUR (10u * 3600u)  /* entries are signed at 10:00:00Z on their "date" */
#define KEY_OPSLIMIT 1u
#define KEY_MEMLIMIT 8192u

struct vkey {
	const char *file;
	const char *role;
	int kind;
	const char *name, *country;
	uint8_t seed;
};
enum { K_AUTH, K_CLINIC1, K_CLINIC2, K_REVOKED, K_N };
static const struct vkey vkeys[K_N] = {
	{ "authority", "authority", PHR_KEY_AUTHORITY, "Demo Health Authority", "GR", 0x01 },
	{ "clinic1", "clinic 1", PHR_KEY_CLINIC, "Lesvos Reception Clinic", "GR", 0x02 },
	{ "clinic2", "clinic 2", PHR_KEY_CLINIC, "Berlin Health Centre", "DE", 0x03 },
	{ "revoked", "revoked clinic (kid listed as revoked only)", PHR_KEY_CLINIC, "Retired Clinic Key", "GR", 0x04 },
};

/* Each assessment example becomes a two-entry record: the assessment
 * (entry 0, clinic 1) and a follow-up example (entry 1, clinic 2). */
static const struct {
	const char *assessment, *follow_up;
} pairs[] = {
	{ "adult-tb-positive-referral", "lab-result-referral" },
	{ "child-no-vaccination-documents", "vaccination-given" },
	{ "older-man-chronic", "lab-result-referral" },
	{ "pregnant-hepatitis-b", "vaccination-given" },
};
#define DEFAULT_FOLLOW_UP "vaccination-given"
#define EXAMPLE_ENTRY "vaccination-given"
#define CHAIN_RECORD "child-no-vaccination-documents"
/* The QR example: example-none.phr cut for QR codes of at most version 12
 * at level M, with one parity code; k = 2 follows from the capacity. */
#define CHUNK_MAX_VERSION 12
#define CHUNK_PARITY 1

static const char *const method_suffix[] = { "none", "deflate", "deflate-dict", "zstd-dict" };
static const int method_kind[] = { VEC_EXACT, VEC_ZLIB, VEC_ZLIB, VEC_ZSTD };

static void record_id(uint8_t id[PHR_RECORD_ID_LEN])
{
	for (int i = 0; i < PHR_RECORD_ID_LEN; i++)
		id[i] = (uint8_t)i;
}

static void salt_nonce(uint8_t salt[16], uint8_t nonce[24])
{
	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0xb0 + i);
}

/* ---- small utilities ---- */

static int failf(const char *fmt, ...) PHR_PRINTF(1, 2);
static int failf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("make_vectors: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

struct sb {
	char *p;
	size_t n, cap;
	int err;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_printf(struct sb *b, const char *fmt, ...) PHR_PRINTF(2, 3);
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

static char *sb_take(struct sb *b)
{
	if (b->err) {
		free(b->p);
		return NULL;
	}
	if (!b->p)
		sb_add(b, "", 0);
	return b->p;
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

char *vec_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct sb b = { 0 };
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&b, buf, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return sb_take(&b);
}

char *vec_hex_file(const uint8_t *p, size_t n)
{
	size_t lines = (n + 31) / 32;
	char *out = malloc(2 * n + lines + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 32) {
		size_t k = n - i < 32 ? n - i : 32;
		hex_of(p + i, k, out + o);
		o += 2 * k;
		out[o++] = '\n';
	}
	out[o] = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int vec_unhex_file(const char *t, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *p = malloc(len / 2 + 1);
	size_t n = 0, col = 0;
	if (!p)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\n') {
			/* a short line may only be the last one */
			if (col == 0 || col % 2 || (col < 64 && i + 1 != len))
				goto bad;
			col = 0;
			continue;
		}
		if (hexval(t[i]) < 0 || col == 64)
			goto bad;
		if (col % 2)
			p[n++] = (uint8_t)(hexval(t[i - 1]) << 4 | hexval(t[i]));
		col++;
	}
	if (col != 0)
		goto bad; /* missing final newline */
	*out = p;
	*outlen = n;
	return 0;
bad:
	free(p);
	return -1;
}

const char *vec_zlib_version(void) { return zlibVersion(); }
const char *vec_zstd_version(void) { return ZSTD_versionString(); }

/* ---- scripted randombytes ---- */

static const uint8_t *rng_script;
static size_t rng_left;
static int rng_overrun;

static const char *rng_name(void) { return "phr-vectors"; }

static void rng_buf(void *p, size_t n)
{
	if (rng_script) {
		if (n > rng_left) {
			rng_overrun = 1;
		} else {
			memcpy(p, rng_script, n);
			rng_script += n;
			rng_left -= n;
			return;
		}
	}
	randombytes_sysrandom_implementation.buf(p, n);
}

static uint32_t rng_random(void)
{
	uint32_t v;
	rng_buf(&v, sizeof(v));
	return v;
}

static void rng_stir(void)
{
	if (randombytes_sysrandom_implementation.stir)
		randombytes_sysrandom_implementation.stir();
}

static int rng_close(void)
{
	return randombytes_sysrandom_implementation.close ? randombytes_sysrandom_implementation.close() : 0;
}

static struct randombytes_implementation rng_impl = {
	.implementation_name = rng_name,
	.random = rng_random,
	.stir = rng_stir,
	.uniform = NULL,
	.buf = rng_buf,
	.close = rng_close,
};

int vec_rng_install(void)
{
	return randombytes_set_implementation(&rng_impl);
}

/* ---- the set ---- */

static int add(struct vec_set *s, int kind, const uint8_t *data, size_t len, const char *fmt, ...) PHR_PRINTF(5, 6);
static int add(struct vec_set *s, int kind, const uint8_t *data, size_t len, const char *fmt, ...)
{
	if (s->n == VEC_MAX_ITEMS)
		return failf("more than %d vectors", VEC_MAX_ITEMS);
	struct vec_item *it = &s->item[s->n];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(it->name, sizeof(it->name), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(it->name))
		return failf("vector name too long");
	if (vec_find(s, it->name))
		return failf("vector %s generated twice", it->name);
	it->data = malloc(len ? len : 1);
	if (!it->data)
		return failf("out of memory");
	if (len)
		memcpy(it->data, data, len);
	it->len = len;
	it->kind = kind;
	s->n++;
	return 0;
}

/* Takes ownership of data. */
static int add_own(struct vec_set *s, int kind, uint8_t *data, size_t len, const char *name)
{
	int rc = add(s, kind, data, len, "%s", name);
	free(data);
	return rc;
}

const struct vec_item *vec_find(const struct vec_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->item[i].name, name))
			return &s->item[i];
	return NULL;
}

void vec_free(struct vec_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->item[i].data);
	s->n = 0;
}

char *vec_versions_text(const struct vec_set *s)
{
	struct sb b = { 0 };
	char h[65];
	sb_printf(&b, "# Library versions that made these vectors (make_vectors --update).\n");
	sb_printf(&b, "libsodium %s\n", sodium_version_string());
	sb_printf(&b, "zlib %s\n", zlibVersion());
	sb_printf(&b, "libzstd %s\n", ZSTD_versionString());
	if (s->have_dict) {
		hex_of(s->dict_hash, 32, h);
		sb_printf(&b, "dictionary %s %zu %s\n", VEC_DICT_PATH, s->dict_len, h);
	} else {
		sb_printf(&b, "dictionary %s none\n", VEC_DICT_PATH);
	}
	return sb_take(&b);
}

/* ---- independent constructions (libsodium + the CBOR encoder only) ---- */

static int enc_alloc(void (*fn)(struct phr_cbor_enc *, const void *), const void *ctx, uint8_t **out, size_t *len)
{
	struct phr_cbor_enc e;
	size_t need;
	phr_cbor_enc_init(&e, NULL, 0);
	fn(&e, ctx);
	if (phr_cbor_enc_finish(&e, &need))
		return -1;
	if (!(*out = malloc(need ? need : 1)))
		return -1;
	phr_cbor_enc_init(&e, *out, need);
	fn(&e, ctx);
	if (phr_cbor_enc_finish(&e, len) || *len != need) {
		free(*out);
		return -1;
	}
	return 0;
}

struct span {
	const uint8_t *p;
	size_t n;
};

struct tbs_ctx {
	struct span prot, aad, payload;
};

static void write_tbs(struct phr_cbor_enc *e, const void *ctx)
{
	const struct tbs_ctx *t = ctx;
	phr_cbor_put_array(e, 4);
	phr_cbor_put_cstr(e, "Signature1");
	phr_cbor_put_bytes(e, t->prot.p, t->prot.n);
	phr_cbor_put_bytes(e, t->aad.p, t->aad.n);
	phr_cbor_put_bytes(e, t->payload.p, t->payload.n);
}

struct sign1_ctx {
	struct span prot, payload, sig;
};

static void write_sign1(struct phr_cbor_enc *e, const void *ctx)
{
	const struct sign1_ctx *t = ctx;
	phr_cbor_put_array(e, 4);
	phr_cbor_put_bytes(e, t->prot.p, t->prot.n);
	phr_cbor_put_map(e, 0);
	phr_cbor_put_bytes(e, t->payload.p, t->payload.n);
	phr_cbor_put_bytes(e, t->sig.p, t->sig.n);
}

struct payload_ctx {
	uint64_t index, signed_at;
	struct span content;
};

static void write_payload(struct phr_cbor_enc *e, const void *ctx)
{
	const struct payload_ctx *t = ctx;
	phr_cbor_put_map(e, 3);
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_uint(e, t->index);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_uint(e, t->signed_at);
	phr_cbor_put_uint(e, 3);
	phr_cbor_put_raw(e, t->content.p, t->content.n);
}

/* ---- generation ---- */

struct entry_src {
	char name[64];
	uint8_t *cbor;
	size_t len;
	uint64_t signed_at;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads examples/<dir>*.json, sorted by name, into src[*n...]. */
static int load_examples(const char *root, const char *dir, struct entry_src *src, size_t *n, size_t max)
{
	char path[1024];
	char *names[64];
	size_t k = 0;
	snprintf(path, sizeof(path), "%s/%s", root, dir);
	DIR *d = opendir(path);
	if (!d)
		return failf("cannot open %s", path);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 5 && l < 60 && !strcmp(de->d_name + l - 5, ".json") && k < 64)
			names[k++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, k, sizeof(names[0]), cmp_str);
	int rc = 0;
	for (size_t i = 0; i < k; i++) {
		if (rc == 0) {
			size_t len;
			json_error_t jerr;
			snprintf(path, sizeof(path), "%s/%s/%s", root, dir, names[i]);
			char *text = vec_read_file(path, &len);
			struct entry_src *e = &src[*n];
			if (*n == max)
				rc = failf("too many examples");
			else if (!text)
				rc = failf("cannot read %s", path);
			else if (phr_entry_parse_text(text, len, &e->cbor, &e->len))
				rc = failf("%s: %s", path, phr_last_error());
			if (rc == 0) {
				/* signed at 10:00Z on the entry's date */
				json_t *j = json_loadb(text, len, 0, &jerr);
				const char *date = json_string_value(json_object_get(j, "date"));
				int y, m, dd;
				if (!date || sscanf(date, "%4d-%2d-%2d", &y, &m, &dd) != 3)
					rc = failf("%s: no full date", path);
				else
					e->signed_at = (uint64_t)(phr_days_from_civil(y, m, dd) - 25567) * 86400u + SIGN_HOUR;
				json_decref(j);
				snprintf(e->name, sizeof(e->name), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
				(*n)++;
			}
			free(text);
		}
		free(names[i]);
	}
	return rc;
}

static const struct entry_src *src_find(const struct entry_src *src, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(src[i].name, name))
			return &src[i];
	return NULL;
}

/* Encodes r with every method the build can do. */
static int add_containers(struct vec_set *s, const struct phr_record *r, const char *base)
{
	uint8_t *buf, *body;
	size_t len, blen;
	char name[96];
	if (phr_record_body(r, &body, &blen))
		return failf("%s: body: %s", base, phr_last_error());
	snprintf(name, sizeof(name), "%s.body", base);
	if (add_own(s, VEC_EXACT, body, blen, name))
		return -1;
	for (int m = 0; m <= PHR_COMP_MAX; m++) {
		bool dict = m == PHR_COMP_DEFLATE_DICT1 || m == PHR_COMP_ZSTD_DICT1;
		if (dict && !s->have_dict)
			continue;
		if (phr_record_encode(r, m, &buf, &len))
			return failf("%s: compression %s: %s", base, method_suffix[m], phr_last_error());
		snprintf(name, sizeof(name), "%s-%s.phr", base, method_suffix[m]);
		if (add_own(s, method_kind[m], buf, len, name))
			return -1;
	}
	return 0;
}

static int gen_example(struct vec_set *s, struct phr_seckey *const *keys, const uint8_t *cert1, size_t cert1_len,
		       const struct entry_src *ex)
{
	const struct phr_pubkey *pub = phr_seckey_public(keys[K_CLINIC1]);
	uint8_t id[PHR_RECORD_ID_LEN], kid[crypto_generichash_BYTES], prot[5 + PHR_KID_LEN];
	uint8_t aad[PHR_ENTRY_AAD_LEN], lib_aad[PHR_ENTRY_AAD_LEN], seed[32], pk[32], sk[64], sig[64], hash[32];
	uint8_t *payload = NULL, *tbs = NULL, *cose = NULL;
	size_t plen, tlen, clen;
	struct phr_record *r = NULL;
	int rc = -1;

	record_id(id);
	/* kid = BLAKE2b-256(pk)[0..8) */
	memset(seed, vkeys[K_CLINIC1].seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	crypto_generichash(kid, sizeof(kid), pk, sizeof(pk), NULL, 0);
	if (memcmp(pk, pub->pk, 32) || memcmp(kid, pub->kid, PHR_KID_LEN)) {
		failf("example: library key or kid differs from libsodium's");
		goto out;
	}
	/* protected header: a2 01 27 04 48 <kid> */
	memcpy(prot, "\xa2\x01\x27\x04\x48", 5);
	memcpy(prot + 5, kid, PHR_KID_LEN);
	/* external AAD: "phr/entry" || record id || 32 zero bytes (entry 0) */
	memcpy(aad, "phr/entry", 9);
	memcpy(aad + 9, id, PHR_RECORD_ID_LEN);
	memset(aad + 9 + PHR_RECORD_ID_LEN, 0, PHR_HASH_LEN);
	struct payload_ctx pc = { 0, ex->signed_at, { ex->cbor, ex->len } };
	if (enc_alloc(write_payload, &pc, &payload, &plen)) {
		failf("example: payload");
		goto out;
	}
	struct tbs_ctx tc = { { prot, sizeof(prot) }, { aad, sizeof(aad) }, { payload, plen } };
	if (enc_alloc(write_tbs, &tc, &tbs, &tlen)) {
		failf("example: Sig_structure");
		goto out;
	}
	crypto_sign_detached(sig, NULL, tbs, tlen, sk);
	struct sign1_ctx sc = { { prot, sizeof(prot) }, { payload, plen }, { sig, sizeof(sig) } };
	if (enc_alloc(write_sign1, &sc, &cose, &clen)) {
		failf("example: COSE_Sign1");
		goto out;
	}
	crypto_generichash(hash, sizeof(hash), cose, clen, NULL, 0);

	/* The same entry through the library. */
	if (phr_record_create(id, &r) ||
	    phr_record_append(r, keys[K_CLINIC1], cert1, cert1_len, ex->cbor, ex->len, ex->signed_at)) {
		failf("example: record: %s", phr_last_error());
		goto out;
	}
	phr_record_entry_aad(r, 0, lib_aad);
	if (memcmp(lib_aad, aad, sizeof(aad))) {
		failf("example: phr_record_entry_aad differs from the independent AAD");
		goto out;
	}
	if (r->entries[0].raw_len != clen || memcmp(r->entries[0].raw, cose, clen)) {
		failf("example: the library's COSE_Sign1 differs from the independent construction");
		goto out;
	}
	if (memcmp(r->entries[0].hash, hash, sizeof(hash))) {
		failf("example: entry hash differs");
		goto out;
	}
	if (add(s, VEC_EXACT, ex->cbor, ex->len, "example-entry.content") ||
	    add(s, VEC_EXACT, payload, plen, "example-entry.payload") ||
	    add(s, VEC_EXACT, prot, sizeof(prot), "example-entry.protected") ||
	    add(s, VEC_EXACT, aad, sizeof(aad), "example-entry.aad") ||
	    add(s, VEC_EXACT, tbs, tlen, "example-entry.sig-structure") ||
	    add(s, VEC_EXACT, sig, sizeof(sig), "example-entry.signature") ||
	    add(s, VEC_EXACT, cose, clen, "example-entry.cose") ||
	    add(s, VEC_EXACT, hash, sizeof(hash), "example-entry.hash") || add_containers(s, r, "example"))
		goto out;
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	phr_record_destroy(r);
	free(payload);
	free(tbs);
	free(cose);
	return rc;
}

/* Sig_structure of a certificate, built independently and checked. */
static int gen_cert_tbs(struct vec_set *s, const uint8_t *cert, size_t len, const uint8_t auth_pk[32], const char *name)
{
	struct phr_cert c;
	uint8_t *tbs;
	size_t tlen;
	if (phr_cert_parse(cert, len, &c))
		return failf("%s: %s", name, phr_last_error());
	struct tbs_ctx tc = { { c.cose.prot, c.cose.prot_len }, { (const uint8_t *)PHR_AAD_CERT, strlen(PHR_AAD_CERT) },
		{ c.cose.payload, c.cose.payload_len } };
	if (enc_alloc(write_tbs, &tc, &tbs, &tlen))
		return failf("%s: Sig_structure", name);
	if (crypto_sign_verify_detached(c.cose.sig, tbs, tlen, auth_pk) != 0) {
		free(tbs);
		return failf("%s: signature does not verify over the independent Sig_structure", name);
	}
	char n[128];
	snprintf(n, sizeof(n), "%.100s.sig-structure", name);
	return add_own(s, VEC_EXACT, tbs, tlen, n);
}

static int load_dict(const char *root, struct vec_set *s)
{
	char path[1024];
	size_t len;
	snprintf(path, sizeof(path), "%s/%s", root, VEC_DICT_PATH);
	char *d = vec_read_file(path, &len);
	if (!d)
		return failf("cannot read %s", path);
	s->dict_len = len;
	s->have_dict = len > 0;
	crypto_generichash(s->dict_hash, sizeof(s->dict_hash), (const uint8_t *)d, len, NULL, 0);
	if (len >= 8 && (uint8_t)d[0] == 0x37 && (uint8_t)d[1] == 0xa4 && (uint8_t)d[2] == 0x30 && (uint8_t)d[3] == 0xec)
		s->dict_id = (uint32_t)(uint8_t)d[4] | (uint32_t)(uint8_t)d[5] << 8 | (uint32_t)(uint8_t)d[6] << 16 |
			     (uint32_t)(uint8_t)d[7] << 24;
	free(d);
	return 0;
}

/* ---- containers a reader must refuse, and the version id ---- */

/* Generated by bin2c from docs/format/phr-dict-v1.bin (record/meson.build). */
extern const unsigned char phr_dict_v1[];
extern const unsigned long phr_dict_v1_len;

const struct vec_invalid vec_invalid[] = {
	{ "invalid-zstd-checksum.phr", "zstd-dict frame with Content_Checksum_flag 1 (and a correct XXH64 checksum)",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "Content_Checksum_flag" },
	{ "invalid-zstd-dictionary-id.phr", "zstd-dict frame that names dictionary v1's Dictionary_ID (Dictionary_ID_flag 3)",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "Dictionary_ID_flag" },
	{ "invalid-zstd-content-size.phr",
	  "zstd-dict frame with Single_Segment_flag 1 and Frame_Content_Size = the body length, no Window_Descriptor",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "Single_Segment_flag" },
	{ "invalid-zstd-window-small.phr",
	  "zstd-dict frame whose Window_Descriptor is `00` (1 KiB, what libzstd writes for this body by itself and phr "
	  "wrote before this rule) instead of `30` (64 KiB)",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "window of 1024 bytes" },
	{ "invalid-zstd-window-large.phr", "zstd-dict frame whose Window_Descriptor is `38` (128 KiB) instead of `30`",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "window of 131072 bytes" },
	{ "invalid-zstd-window-1g.phr", "zstd-dict frame whose Window_Descriptor asks for 1 GiB (`a0`)", PHR_E_LIMIT,
	  "PHR_E_LIMIT", "more than any container needs" },
	{ "invalid-zstd-two-frames.phr", "the zstd-dict frame twice: a second frame after the first", PHR_E_TRAILING,
	  "PHR_E_TRAILING", "after the end of the frame" },
	{ "invalid-zstd-skippable.phr",
	  "an (empty) skippable frame, `50 2a 4d 18 00 00 00 00`, before the zstd-dict frame: in the magicless format it "
	  "reads as a frame header",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "Frame_Content_Size_flag" },
	{ "invalid-duplicate-certificate.phr", "method none; clinic 1's certificate embedded twice (byte-identical)",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "same" },
	{ "invalid-chunk-prefix", "`invalid-chunk-prefix-0.qr` and `-1.qr`: the example's two data codes with the record "
				  "id prefix `ffffffff` (CRC-32 recomputed, tag unchanged); restored, the container's record "
				  "id does not start with it",
	  PHR_E_MALFORMED, "PHR_E_MALFORMED", "record id" },
};
const size_t vec_ninvalid = sizeof(vec_invalid) / sizeof(vec_invalid[0]);

/* A magicless zstd-dict frame of body made by libzstd with the given frame
 * flags; the Window_Descriptor (none in single-segment mode) set to wd. */
static int zstd_frame(const uint8_t *body, size_t n, int checksum, int dict_id, int content_size, uint8_t wd,
		      uint8_t **out, size_t *olen)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(n);
	uint8_t *buf = malloc(bound);
	int rc = -1;
	if (!cc || !buf || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, content_size)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, dict_id)) ||
	    ZSTD_isError(ZSTD_CCtx_loadDictionary_byReference(cc, phr_dict_v1, (size_t)phr_dict_v1_len))) {
		failf("zstd: cannot set up the encoder");
		goto out;
	}
	size_t z = ZSTD_compress2(cc, buf, bound, body, n);
	if (ZSTD_isError(z) || z < 2) {
		failf("zstd: %s", ZSTD_getErrorName(z));
		goto out;
	}
	if (!(buf[0] & 0x20))
		buf[1] = wd;
	*out = buf;
	*olen = z;
	buf = NULL;
	rc = 0;
out:
	ZSTD_freeCCtx(cc);
	free(buf);
	return rc;
}

/* method, declared body length, data: a container (malloc'd). */
static int container_of(int method, size_t declared, const uint8_t *d, size_t n, const char *name,
			struct vec_set *s, int kind)
{
	uint8_t *c = malloc(PHR_CONTAINER_HEADER + n);
	if (!c)
		return failf("out of memory");
	c[0] = PHR_CONTAINER_VERSION;
	c[1] = (uint8_t)method;
	c[2] = (uint8_t)(declared >> 16);
	c[3] = (uint8_t)(declared >> 8);
	c[4] = (uint8_t)declared;
	memcpy(c + PHR_CONTAINER_HEADER, d, n);
	return add_own(s, kind, c, PHR_CONTAINER_HEADER + n, name);
}

/* The refused containers of vec_invalid (all but the chunks), from the
 * worked example's body, and the example's version id. */
static int gen_invalid(struct vec_set *s)
{
	const struct vec_item *body = vec_find(s, "example.body"), *none = vec_find(s, "example-none.phr");
	struct phr_record *r = NULL;
	uint8_t *f = NULL, *g = NULL, *two = NULL;
	size_t fl, gl;
	int rc = -1;
	if (!body || !none)
		return failf("invalid containers: example.body or example-none.phr missing");
	if (phr_record_decode(none->data, none->len, &r)) {
		failf("example-none.phr: %s", phr_last_error());
		goto out;
	}
	uint8_t vid[PHR_VERSION_ID_LEN];
	if (phr_record_version_id(r, vid) || add(s, VEC_EXACT, vid, sizeof(vid), "example.version-id"))
		goto out;
	if (s->have_dict) {
		const size_t n = body->len;
		const uint8_t wd = (uint8_t)((phr_zstd_window_log(n) - 10) << 3);
		if (wd != 0x30) {
			failf("the example body is meant to need a 64 KiB window");
			goto out;
		}
		static const struct {
			const char *name;
			int checksum, dict_id, content_size;
			uint8_t wd;
		} v[] = {
			{ "invalid-zstd-checksum.phr", 1, 0, 0, 0x30 },
			{ "invalid-zstd-dictionary-id.phr", 0, 1, 0, 0x30 },
			{ "invalid-zstd-content-size.phr", 0, 0, 1, 0 },
			{ "invalid-zstd-window-small.phr", 0, 0, 0, 0x00 },
			{ "invalid-zstd-window-large.phr", 0, 0, 0, 0x38 },
			{ "invalid-zstd-window-1g.phr", 0, 0, 0, 0xa0 },
		};
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			if (zstd_frame(body->data, n, v[i].checksum, v[i].dict_id, v[i].content_size, v[i].wd, &f, &fl) ||
			    container_of(PHR_COMP_ZSTD_DICT1, n, f, fl, v[i].name, s, VEC_ZSTD))
				goto out;
			free(f);
			f = NULL;
		}
		if (phr_compress(PHR_COMP_ZSTD_DICT1, body->data, n, &g, &gl) || !(two = malloc(2 * gl + 8))) {
			failf("zstd-dict: %s", phr_last_error());
			goto out;
		}
		memcpy(two, g, gl);
		memcpy(two + gl, g, gl);
		if (container_of(PHR_COMP_ZSTD_DICT1, n, two, 2 * gl, "invalid-zstd-two-frames.phr", s, VEC_ZSTD))
			goto out;
		memcpy(two, "\x50\x2a\x4d\x18\0\0\0\0", 8);
		memcpy(two + 8, g, gl);
		if (container_of(PHR_COMP_ZSTD_DICT1, n, two, gl + 8, "invalid-zstd-skippable.phr", s, VEC_ZSTD))
			goto out;
	}
	/* The body again with its one certificate twice. */
	{
		struct phr_cbor_enc e;
		size_t need = 0;
		uint8_t *b = NULL;
		for (int pass = 0; pass < 2; pass++) {
			phr_cbor_enc_init(&e, b, need);
			phr_cbor_put_array(&e, 3);
			phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
			phr_cbor_put_array(&e, r->n_entries);
			for (size_t i = 0; i < r->n_entries; i++)
				phr_cbor_put_raw(&e, r->entries[i].raw, r->entries[i].raw_len);
			phr_cbor_put_array(&e, 2);
			phr_cbor_put_bytes(&e, r->certs[0], r->cert_lens[0]);
			phr_cbor_put_bytes(&e, r->certs[0], r->cert_lens[0]);
			if (phr_cbor_enc_finish(&e, &need) || (pass == 0 && !(b = malloc(need)))) {
				free(b);
				failf("duplicate certificate body");
				goto out;
			}
		}
		int arc = container_of(PHR_COMP_NONE, need, b, need, "invalid-duplicate-certificate.phr", s, VEC_EXACT);
		free(b);
		if (arc)
			goto out;
	}
	rc = 0;
out:
	phr_record_destroy(r);
	free(f);
	free(g);
	free(two);
	return rc;
}

/* ---- QR chunks of the worked example ---- */

/* Base45 (RFC 9285), written here apart from record/base45.c. */
static void b45(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v = i + 1 < n ? (unsigned)in[i] << 8 | in[i + 1] : in[i];
		out[o++] = a[v % 45];
		out[o++] = a[v / 45 % 45];
		if (i + 1 < n)
			out[o++] = a[v / 2025];
	}
	out[o] = '\0';
}

/* The chunks of example-none.phr through the library, each checked against
 * one built here from the format: header, data slice with zero padding,
 * parity from libfec's encoder, zlib CRC-32, Base45. */
static int gen_chunks(struct vec_set *s)
{
	const struct vec_item *c = vec_find(s, "example-none.phr");
	struct phr_chunk_plan p;
	struct phr_chunk_set set;
	uint8_t tag[32], chunk[PHR_MAX_QR_PAYLOAD], par[PHR_MAX_QR_PAYLOAD];
	char text[PHR_MAX_QR_PAYLOAD + 1], name[96];
	int rc = -1;

	if (!c)
		return failf("chunks: example-none.phr missing");
	if (phr_chunk_plan(c->len, PHR_CHUNK_BASE45, PHR_ECC_M, CHUNK_MAX_VERSION, CHUNK_PARITY, &p))
		return failf("chunks: plan: %s", phr_last_error());
	if (p.k != 2 || p.m != 1)
		return failf("chunks: the example is meant to need k = 2 codes, the plan gives %u", p.k);
	if (phr_chunk_split(c->data, c->len, &p, &set))
		return failf("chunks: split: %s", phr_last_error());
	crypto_generichash(tag, sizeof(tag), c->data, c->len, NULL, 0);
	size_t l = p.data_len, n = PHR_CHUNK_HEADER + l + PHR_CHUNK_CRC;
	void *rs = n <= sizeof(chunk) ? init_rs_char(8, 0x11d, 1, 1, (int)p.m, 255 - (int)p.k - (int)p.m) : NULL;
	if (!rs) {
		failf("chunks: Reed-Solomon code");
		goto out;
	}
	for (size_t b = 0; b < l; b++) {
		uint8_t col[2], pc[1];
		for (size_t i = 0; i < 2; i++)
			col[i] = i * l + b < c->len ? c->data[i * l + b] : 0;
		encode_rs_char(rs, col, pc);
		par[b] = pc[0];
	}
	free_rs_char(rs);
	for (unsigned i = 0; i < set.n; i++) {
		chunk[0] = 1;
		memcpy(chunk + 1, c->data + PHR_CONTAINER_HEADER + 2, 4); /* body: 83 50 <record id> */
		memcpy(chunk + 5, tag, 4);
		chunk[9] = (uint8_t)i;
		chunk[10] = (uint8_t)p.k;
		chunk[11] = (uint8_t)p.m;
		chunk[12] = (uint8_t)(c->len >> 16);
		chunk[13] = (uint8_t)(c->len >> 8);
		chunk[14] = (uint8_t)c->len;
		for (size_t b = 0; b < l; b++)
			chunk[15 + b] = i < p.k ? (i * l + b < c->len ? c->data[i * l + b] : 0) : par[b];
		uLong crc = crc32(crc32(0L, Z_NULL, 0), chunk, (uInt)(n - 4));
		chunk[n - 4] = (uint8_t)(crc >> 24);
		chunk[n - 3] = (uint8_t)(crc >> 16);
		chunk[n - 2] = (uint8_t)(crc >> 8);
		chunk[n - 1] = (uint8_t)crc;
		memcpy(text, "PH1:", 4);
		b45(chunk, n, text + 4);
		if (set.len[i] != strlen(text) || memcmp(set.payload[i], text, set.len[i])) {
			failf("chunks: the library's code %u differs from the one built from the format", i);
			goto out;
		}
		snprintf(name, sizeof(name), "example-chunk-%u", i);
		if (add(s, VEC_EXACT, chunk, n, "%s", name) ||
		    add(s, VEC_EXACT, (const uint8_t *)text, strlen(text), "%s.qr", name))
			goto out;
		if (i >= p.k)
			continue;
		/* The same data code claiming another record: prefix ffffffff. */
		memset(chunk + 1, 0xff, 4);
		crc = crc32(crc32(0L, Z_NULL, 0), chunk, (uInt)(n - 4));
		chunk[n - 4] = (uint8_t)(crc >> 24);
		chunk[n - 3] = (uint8_t)(crc >> 16);
		chunk[n - 2] = (uint8_t)(crc >> 8);
		chunk[n - 1] = (uint8_t)crc;
		b45(chunk, n, text + 4);
		if (add(s, VEC_EXACT, (const uint8_t *)text, strlen(text), "invalid-chunk-prefix-%u.qr", i))
			goto out;
	}
	rc = 0;
out:
	phr_chunk_set_free(&set);
	return rc;
}

/* Re-keying (docs/FORMAT.md, "Re-keying"): the sealed record above gets
 * entry 1, a follow-up of the next day sealed under holder key 10..1f with
 * salt 0c..17, whose plaintext re-seals entry 0's. The plaintext is built
 * here from the text of the format and compared with the library's; the
 * new key must open entry 0 through it, and the old key must not open
 * entry 1. */
static int gen_rekey(struct vec_set *s, struct phr_seckey *const *keys, const uint8_t *cert1, size_t cert1_len,
		     struct phr_record *r, const uint8_t *hk, const uint8_t *plain0, size_t plain0_len,
		     const struct entry_src *ex)
{
	uint8_t hk2[PHR_HOLDER_KEY_LEN], salt[PHR_SEAL_V1_SALT_LEN], kid[PHR_SEAL_KID_LEN];
	uint8_t *want = NULL, *got = NULL, *env = NULL, *content = NULL, *enc = NULL;
	size_t want_len, got_len, env_len, content_len, enc_len, carried, failed;
	char text[PHR_HOLDER_KEY_TEXT_LEN];
	struct phr_record *d = NULL;
	int rc = -1;
	for (size_t i = 0; i < sizeof(hk2); i++)
		hk2[i] = (uint8_t)(0x10 + i);
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(0x0c + i);
	/* {31: {0: h'<entry 0 plaintext>'}} */
	want_len = 5 + (plain0_len < 24 ? 1 : plain0_len < 256 ? 2 : 3) + plain0_len;
	if (!(want = malloc(want_len)))
		return failf("rekey: out of memory");
	{
		size_t o = 0;
		want[o++] = 0xa1;
		want[o++] = 0x18;
		want[o++] = 0x1f;
		want[o++] = 0xa1;
		want[o++] = 0x00;
		if (plain0_len < 24) {
			want[o++] = (uint8_t)(0x40 + plain0_len);
		} else if (plain0_len < 256) {
			want[o++] = 0x58;
			want[o++] = (uint8_t)plain0_len;
		} else {
			want[o++] = 0x59;
			want[o++] = (uint8_t)(plain0_len >> 8);
			want[o++] = (uint8_t)plain0_len;
		}
		memcpy(want + o, plain0, plain0_len);
	}
	if (phr_seal_rekey_plaintext(r, hk, &got, &got_len, &carried) || carried != 1 || got_len != want_len ||
	    memcmp(got, want, want_len)) {
		failf("rekey: the library's plaintext differs from the independent one (%s)", phr_last_error());
		goto out;
	}
	json_t *j = json_pack("{s:s, s:s}", "kind", "follow_up", "date", "2025-06-16");
	int erc = j ? phr_entry_encode_json(j, &content, &content_len) : -1;
	json_decref(j);
	if (erc || phr_seal_v(PHR_SEAL_V1, hk2, r->id, 1, got, got_len, 1, salt, &env, &env_len) ||
	    phr_record_append_sealed(r, keys[K_CLINIC1], NULL, 0, content, content_len, env, env_len, ex->signed_at + 86400)) {
		failf("rekey: %s", phr_last_error());
		goto out;
	}
	(void)cert1;
	(void)cert1_len;
	/* the new key opens entry 0 through entry 1; the old one not entry 1 */
	if (phr_record_encode(r, PHR_COMP_NONE, &enc, &enc_len) || phr_record_decode(enc, enc_len, &d) ||
	    phr_record_unseal(d, hk2, &failed) || failed || d->entries[0].seal_state != 1 ||
	    d->entries[1].seal_state != 1) {
		failf("rekey: the new key does not open the record (%s)", phr_last_error());
		goto out;
	}
	phr_record_destroy(d);
	d = NULL;
	if (phr_record_decode(enc, enc_len, &d) || phr_record_unseal(d, hk, &failed) || failed != 1 ||
	    d->entries[1].seal_state != PHR_E_SEAL_KEY) {
		failf("rekey: the old key opens the re-keying entry");
		goto out;
	}
	phr_holder_key_id(hk2, kid);
	phr_holder_key_format(hk2, text);
	if (add(s, VEC_EXACT, hk2, sizeof(hk2), "seal.rekey.holder-key") ||
	    add(s, VEC_EXACT, (const uint8_t *)text, strlen(text), "seal.rekey.holder-key.txt") ||
	    add(s, VEC_EXACT, kid, sizeof(kid), "seal.rekey.key-id") ||
	    add(s, VEC_EXACT, got, got_len, "seal.rekey.entry1.plaintext") ||
	    add(s, VEC_EXACT, env, env_len, "seal.rekey.entry1.envelope") ||
	    add(s, VEC_EXACT, r->entries[1].raw, r->entries[1].raw_len, "seal.rekey.entry1.cose"))
		goto out;
	if (add_containers(s, r, "seal.rekey.record"))
		goto out;
	rc = 0;
out:
	phr_record_destroy(d);
	free(enc);
	free(want);
	free(got);
	free(env);
	free(content);
	return rc;
}

/* Envelope v2 (FORMAT.md, "Envelope v2"): entry 0's plaintext sealed as
 * above, salt 00..07. The envelope is built here byte by byte (a CBOR
 * byte string head, the count, the key id, the salt, libsodium's
 * ciphertext with the nonce salt || 16 zero bytes) and compared with the
 * library's; v1 and v2 open to the same plaintext. The packed form of it
 * is zlib-dependent (VEC_ZLIB). */
static size_t bstr_head_len(uint8_t b)
{
	return b < 0x58 ? 1 : b == 0x58 ? 2 : 3;
}

static int gen_seal_v2(struct vec_set *s, const uint8_t *hk, const uint8_t *id, const uint8_t *ek, const uint8_t *ad,
		       const uint8_t *plain, size_t plain_len, unsigned n)
{
	uint8_t salt[8], nonce[24] = { 0 }, kid16[16], *want = NULL, *env = NULL, *back = NULL, *penv = NULL;
	size_t env_len = 0, back_len = 0, penv_len = 0, o = 0;
	size_t inner = 1 + 4 + 8 + plain_len + 16;
	unsigned long long ctl;
	int rc = -1;
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	memcpy(nonce, salt, sizeof(salt));
	crypto_generichash(kid16, sizeof(kid16), (const uint8_t *)"phr-seal-kid", 12, hk, PHR_HOLDER_KEY_LEN);
	if (!(want = malloc(inner + 5)))
		return failf("seal v2: out of memory");
	if (inner < 24) {
		want[o++] = (uint8_t)(0x40 + inner);
	} else if (inner < 256) {
		want[o++] = 0x58;
		want[o++] = (uint8_t)inner;
	} else {
		want[o++] = 0x59;
		want[o++] = (uint8_t)(inner >> 8);
		want[o++] = (uint8_t)inner;
	}
	want[o++] = (uint8_t)n;
	memcpy(want + o, kid16, 4);
	o += 4;
	memcpy(want + o, salt, 8);
	o += 8;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(want + o, &ctl, plain, plain_len, ad, PHR_SEAL_AD_LEN, NULL,
						       nonce, ek)) {
		failf("seal v2: libsodium failed");
		goto out;
	}
	o += (size_t)ctl;
	if (phr_seal(hk, id, 0, plain, plain_len, n, salt, &env, &env_len) || env_len != o || memcmp(env, want, o)) {
		failf("seal v2: the library's envelope differs from the independent one (%s)", phr_last_error());
		goto out;
	}
	if (phr_seal_open(hk, id, 0, env, env_len, &back, &back_len) || back_len != plain_len ||
	    memcmp(back, plain, plain_len)) {
		failf("seal v2: the envelope does not open to the plaintext");
		goto out;
	}
	if (add(s, VEC_EXACT, env, env_len, "seal.v2.entry0.envelope"))
		goto out;
	if (s->have_dict) {
		free(back);
		back = NULL;
		if (phr_seal_packed(hk, id, 0, plain, plain_len, n, salt, &penv, &penv_len) ||
		    phr_seal_open(hk, id, 0, penv, penv_len, &back, &back_len) || back_len != plain_len ||
		    memcmp(back, plain, plain_len) || penv_len >= env_len ||
		    memcmp(penv + bstr_head_len(penv[0]), want + bstr_head_len(want[0]), 13)) {
			failf("seal v2: the packed envelope does not open, is not smaller, or has another head");
			goto out;
		}
		if (add(s, VEC_ZLIB, penv, penv_len, "seal.v2.packed.entry0.envelope"))
			goto out;
	}
	rc = 0;
out:
	free(want);
	free(env);
	free(back);
	free(penv);
	return rc;
}

/* The root vec_generate() reads from (the dictionary, for the v3 packings). */
static const char *gen_root = ".";

/* Envelope v3 (FORMAT.md, "Sealed sections", v3): the same holder key,
 * record id, entry 0 and plaintext, salt 00 01 02 03, beside entry 0's
 * clear content. Nonce, AD and the unpacked envelope are built here with
 * libsodium from the text of the format and compared byte for byte; the
 * packed ones are decrypted here and unpacked with zlib and libzstd
 * directly (dictionary v1 || clear content). Also the entry signed with
 * the shortest envelope, as phr issue writes it. */
static int gen_seal_v3(struct vec_set *s, struct phr_seckey *const *keys, const uint8_t *cert1, size_t cert1_len,
		       const struct entry_src *ex, const uint8_t *hk, const uint8_t *id, const uint8_t *ek,
		       const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len, unsigned n)
{
	static const uint8_t salt[4] = { 0, 1, 2, 3 };
	static const char *const names[3] = { "seal.v3.entry0.envelope", "seal.v3.deflate.entry0.envelope",
					      "seal.v3.zstd.entry0.envelope" };
	uint8_t nonce[24], kid16[16], ad[PHR_SEAL_AD_LEN], *env[3] = { NULL, NULL, NULL }, *dict = NULL, *dec = NULL,
								  *un = NULL, *back = NULL, *want = NULL;
	size_t env_len[3] = { 0, 0, 0 }, dict_len = 0, d1_len = 0, back_len = 0, sp_len = plain_len;
	const uint8_t *sp = plain;
	uint8_t *spb = NULL;
	struct phr_record *r = NULL;
	crypto_generichash_state st;
	char path[1024];
	int rc = -1;
	memcpy(nonce, salt, 4);
	crypto_generichash_init(&st, NULL, 0, 20);
	crypto_generichash_update(&st, (const uint8_t *)"phr-seal3", 9);
	crypto_generichash_update(&st, clear, clear_len);
	crypto_generichash_final(&st, nonce + 4, 20);
	crypto_generichash(kid16, sizeof(kid16), (const uint8_t *)"phr-seal-kid", 12, hk, PHR_HOLDER_KEY_LEN);
	memcpy(ad, "phr-seal", 8);
	memcpy(ad + 8, id, PHR_RECORD_ID_LEN);
	memset(ad + 24, 0, 8);
	memcpy(ad + 32, kid16, 4);
	ad[36] = ad[37] = ad[38] = 0;
	snprintf(path, sizeof(path), "%s/%s", gen_root, VEC_DICT_PATH);
	char *d1 = vec_read_file(path, &d1_len);
	if (!d1 || !(dict = malloc(d1_len + clear_len)) || !(dec = malloc(plain_len + 16)) ||
	    !(un = malloc(plain_len + 1)) || !(want = malloc(plain_len + 32))) {
		free(d1);
		failf("seal v3: cannot read %s, or out of memory", path);
		goto out;
	}
	memcpy(dict, d1, d1_len);
	memcpy(dict + d1_len, clear, clear_len);
	dict_len = d1_len + clear_len;
	free(d1);
	/* what is sealed: the plaintext, its positions (key 0, first: 00, an
	 * array of small numbers) left out when the clear content has no
	 * results (key 11); the example seals all its results */
	{
		struct phr_cbor_dec cd;
		size_t cn;
		uint64_t ck;
		int clear_results = 0;
		if (phr_cbor_dec_init(&cd, clear, clear_len) || phr_cbor_get_map(&cd, &cn)) {
			failf("seal v3: clear content");
			goto out;
		}
		for (size_t i = 0; i < cn; i++) {
			if (phr_cbor_get_uint(&cd, &ck) || phr_cbor_skip(&cd)) {
				failf("seal v3: clear content");
				goto out;
			}
			clear_results |= ck == 11;
		}
		if (clear_results || plain[1] != 0x00 || plain[0] < 0xa2 || plain[0] > 0xb7 || plain[2] < 0x80 ||
		    plain[2] > 0x97) {
			failf("seal v3: the example should seal all its results");
			goto out;
		}
		size_t skip = 2 + (size_t)(plain[2] - 0x80);
		if (!(spb = malloc(plain_len))) {
			failf("seal v3: out of memory");
			goto out;
		}
		spb[0] = (uint8_t)(plain[0] - 1);
		memcpy(spb + 1, plain + 1 + skip, plain_len - 1 - skip);
		sp = spb;
		sp_len = plain_len - skip;
	}
	for (int pack = 0; pack < 3; pack++) {
		struct phr_seal_envelope v;
		unsigned long long dl;
		uint8_t head = (uint8_t)(0x80 | pack << 5 | n);
		if (pack && !s->have_dict)
			break;
		ad[39] = head;
		if (phr_seal_v3(hk, id, 0, clear, clear_len, plain, plain_len, n, pack, salt, &env[pack], &env_len[pack]) ||
		    phr_seal_envelope_parse(env[pack], env_len[pack], &v)) {
			failf("seal v3 (packing %d): %s", pack, phr_last_error());
			goto out;
		}
		size_t h = bstr_head_len(env[pack][0]);
		if (env[pack][h] != head || memcmp(env[pack] + h + 1, salt, 4) || v.ct != env[pack] + h + 5 ||
		    crypto_aead_xchacha20poly1305_ietf_decrypt(dec, &dl, NULL, v.ct, v.ct_len, ad, sizeof(ad), nonce, ek)) {
			failf("seal v3 (packing %d): head, salt, nonce or AD differ from the format's", pack);
			goto out;
		}
		size_t ul = 0;
		if (pack == 0) {
			/* the whole envelope, independently */
			unsigned long long ctl;
			size_t o = 0, inner = 5 + sp_len + 16;
			want[o++] = inner < 24 ? (uint8_t)(0x40 + inner) : 0x58;
			if (inner >= 24)
				want[o++] = (uint8_t)inner;
			want[o++] = head; /* no key id */
			memcpy(want + o, salt, 4);
			o += 4;
			crypto_aead_xchacha20poly1305_ietf_encrypt(want + o, &ctl, sp, sp_len, ad, sizeof(ad), NULL, nonce, ek);
			o += (size_t)ctl;
			if (inner > 255 || o != env_len[0] || memcmp(want, env[0], o)) {
				failf("seal v3: the library's envelope differs from the independent one");
				goto out;
			}
			memcpy(un, dec, (size_t)dl);
			ul = (size_t)dl;
		} else if (pack == 1) {
			z_stream z;
			const uint8_t *dd = dict;
			size_t ddl = dict_len;
			if (ddl > 32768) {
				dd += ddl - 32768;
				ddl = 32768;
			}
			memset(&z, 0, sizeof(z));
			if (inflateInit2(&z, -15) != Z_OK || inflateSetDictionary(&z, dd, (uInt)ddl) != Z_OK) {
				failf("seal v3: zlib");
				goto out;
			}
			z.next_in = dec;
			z.avail_in = (uInt)dl;
			z.next_out = un;
			z.avail_out = (uInt)sp_len + 1;
			int zr = inflate(&z, Z_FINISH);
			ul = z.total_out;
			inflateEnd(&z);
			if (zr != Z_STREAM_END)
				ul = 0;
		} else {
			/* the magic number, the frame header 00 38 and the block
			 * header (last, compressed, the size) put back: a zstd frame */
			uint8_t *f = malloc((size_t)dl + 9);
			ZSTD_DCtx *dc = ZSTD_createDCtx();
			uint32_t bh = (uint32_t)dl << 3 | 2u << 1 | 1u;
			if (!f || !dc) {
				free(f);
				ZSTD_freeDCtx(dc);
				failf("seal v3: out of memory");
				goto out;
			}
			memcpy(f, "\x28\xb5\x2f\xfd\x00\x38", 6);
			f[6] = (uint8_t)bh;
			f[7] = (uint8_t)(bh >> 8);
			f[8] = (uint8_t)(bh >> 16);
			memcpy(f + 9, dec, (size_t)dl);
			size_t zr = ZSTD_decompress_usingDict(dc, un, sp_len + 1, f, (size_t)dl + 9, dict, dict_len);
			ul = ZSTD_isError(zr) ? 0 : zr;
			free(f);
			ZSTD_freeDCtx(dc);
		}
		if (ul != sp_len || memcmp(un, sp, sp_len)) {
			failf("seal v3 (packing %d): what the envelope holds does not unpack to the plaintext", pack);
			goto out;
		}
		free(back);
		back = NULL;
		if (phr_seal_open_entry(hk, id, 0, clear, clear_len, env[pack], env_len[pack], &back, &back_len) ||
		    back_len != plain_len || memcmp(back, plain, plain_len)) {
			failf("seal v3 (packing %d): the envelope does not open to the plaintext", pack);
			goto out;
		}
		if (pack == 0 && (add(s, VEC_EXACT, nonce, sizeof(nonce), "seal.v3.entry0.nonce") ||
				  add(s, VEC_EXACT, ad, sizeof(ad), "seal.v3.entry0.ad")))
			goto out;
		if (add(s, pack == 0 ? VEC_EXACT : pack == 1 ? VEC_ZLIB : VEC_ZSTD, env[pack], env_len[pack], "%s",
			names[pack]))
			goto out;
	}
	if (s->have_dict) {
		/* the entry as phr issue writes it: the shortest envelope */
		int best = 0;
		for (int i = 1; i < 3; i++)
			if (env[i] && env_len[i] < env_len[best])
				best = i;
		if (phr_record_create(id, &r) || phr_record_append_sealed(r, keys[K_CLINIC1], cert1, cert1_len, clear,
									  clear_len, env[best], env_len[best], ex->signed_at) ||
		    add(s, best == 1 ? VEC_ZLIB : VEC_ZSTD, r->entries[0].raw, r->entries[0].raw_len, "seal.v3.entry0.cose")) {
			failf("seal v3: record: %s", phr_last_error());
			goto out;
		}
	}
	rc = 0;
out:
	phr_record_destroy(r);
	for (int i = 0; i < 3; i++)
		free(env[i]);
	free(spb);
	free(dict);
	free(dec);
	free(un);
	free(back);
	free(want);
	return rc;
}

/* Sealed sections (docs/FORMAT.md, "Sealed sections"): holder key 00..0f,
 * the example record id, entry 0, salt 00..0b; the per-entry key, key id
 * and AD are built here with libsodium from the text of the format and
 * compared with the library's. */
#define SEAL_EXAMPLE "pregnant-hepatitis-b"
static int gen_seal(struct vec_set *s, struct phr_seckey *const *keys, const uint8_t *cert1, size_t cert1_len,
		    const struct entry_src *ex)
{
	uint8_t hk[PHR_HOLDER_KEY_LEN], id[PHR_RECORD_ID_LEN], salt[PHR_SEAL_V1_SALT_LEN];
	uint8_t msg[8 + PHR_RECORD_ID_LEN + 8], ek[32], lek[32], kid16[16], kid[4], ad[PHR_SEAL_AD_LEN],
		lad[PHR_SEAL_AD_LEN];
	uint8_t *clear = NULL, *plain = NULL, *env = NULL;
	size_t clear_len, plain_len, env_len;
	unsigned n;
	char text[PHR_HOLDER_KEY_TEXT_LEN];
	struct phr_record *r = NULL;
	int rc = -1;
	for (size_t i = 0; i < sizeof(hk); i++)
		hk[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	record_id(id);
	memcpy(msg, "phr-seal", 8);
	memcpy(msg + 8, id, PHR_RECORD_ID_LEN);
	memset(msg + 8 + PHR_RECORD_ID_LEN, 0, 8); /* entry 0 */
	crypto_generichash(ek, sizeof(ek), msg, sizeof(msg), hk, sizeof(hk));
	crypto_generichash(kid16, sizeof(kid16), (const uint8_t *)"phr-seal-kid", 12, hk, sizeof(hk));
	memcpy(kid, kid16, 4);
	phr_seal_entry_key(hk, id, 0, lek);
	if (memcmp(ek, lek, sizeof(ek))) {
		failf("seal: the library's entry key differs from the independent one");
		goto out;
	}
	if (phr_seal_split(ex->cbor, ex->len, phr_seal_default_sections(), &clear, &clear_len, &plain, &plain_len, &n) ||
	    !plain) {
		failf("seal: split: %s", phr_last_error());
		goto out;
	}
	memcpy(ad, "phr-seal", 8);
	memcpy(ad + 8, id, PHR_RECORD_ID_LEN);
	memset(ad + 24, 0, 8);
	memcpy(ad + 32, kid, 4);
	ad[36] = ad[37] = ad[38] = 0;
	ad[39] = (uint8_t)n;
	phr_seal_ad(id, 0, kid, n, lad);
	if (memcmp(ad, lad, sizeof(ad))) {
		failf("seal: the library's AD differs from the independent one");
		goto out;
	}
	if (phr_seal_v(PHR_SEAL_V1, hk, id, 0, plain, plain_len, n, salt, &env, &env_len)) {
		failf("seal: %s", phr_last_error());
		goto out;
	}
	/* the ciphertext, independently: the envelope's last bytes */
	{
		uint8_t nonce[24] = { 0 }, *ct = malloc(plain_len + 16);
		unsigned long long ctl;
		memcpy(nonce, salt, sizeof(salt));
		if (!ct || crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctl, plain, plain_len, ad, sizeof(ad), NULL, nonce,
								      ek) ||
		    ctl > env_len || memcmp(env + env_len - ctl, ct, ctl)) {
			free(ct);
			failf("seal: the library's ciphertext differs from the independent one");
			goto out;
		}
		free(ct);
	}
	phr_holder_key_format(hk, text);
	if (phr_record_create(id, &r) ||
	    phr_record_append_sealed(r, keys[K_CLINIC1], cert1, cert1_len, clear, clear_len, env, env_len, ex->signed_at)) {
		failf("seal: record: %s", phr_last_error());
		goto out;
	}
	if (add(s, VEC_EXACT, hk, sizeof(hk), "seal.holder-key") ||
	    add(s, VEC_EXACT, (const uint8_t *)text, strlen(text), "seal.holder-key.txt") ||
	    add(s, VEC_EXACT, kid, sizeof(kid), "seal.key-id") || add(s, VEC_EXACT, ek, sizeof(ek), "seal.entry0.key") ||
	    add(s, VEC_EXACT, ad, sizeof(ad), "seal.entry0.ad") ||
	    add(s, VEC_EXACT, clear, clear_len, "seal.entry0.clear-content") ||
	    add(s, VEC_EXACT, plain, plain_len, "seal.entry0.plaintext") ||
	    add(s, VEC_EXACT, env, env_len, "seal.entry0.envelope") ||
	    add(s, VEC_EXACT, r->entries[0].raw, r->entries[0].raw_len, "seal.entry0.cose"))
		goto out;
	if (add_containers(s, r, "seal.record"))
		goto out;
	if (gen_rekey(s, keys, cert1, cert1_len, r, hk, plain, plain_len, ex))
		goto out;
	/* Packed (FORMAT.md "Packed plaintexts"): entry 0's plaintext packed
	 * with deflate-dict, sealed with the same key, record id, index and
	 * salt. The packed bytes are built here (01, the length, zlib's raw
	 * DEFLATE with the dictionary) and found again by decrypting the
	 * library's envelope with libsodium; zlib-dependent, so VEC_ZLIB. */
	if (s->have_dict) {
		uint8_t *z = NULL, *pk = NULL, *penv = NULL, *dec = NULL, *back = NULL;
		size_t zl = 0, pl, penv_len = 0, back_len = 0;
		unsigned long long dl;
		int prc = -1;
		if (phr_compress(PHR_COMP_DEFLATE_DICT1, plain, plain_len, &z, &zl) || !(pk = malloc(zl + 3)) ||
		    phr_seal_packed_v(PHR_SEAL_V1, hk, id, 0, plain, plain_len, n, salt, &penv, &penv_len)) {
			failf("seal: packed: %s", phr_last_error());
			goto packed_out;
		}
		pk[0] = 0x01;
		pk[1] = (uint8_t)(plain_len >> 8);
		pk[2] = (uint8_t)plain_len;
		memcpy(pk + 3, z, zl);
		pl = zl + 3;
		struct phr_seal_envelope pv;
		uint8_t nonce[24] = { 0 };
		memcpy(nonce, salt, sizeof(salt));
		if (phr_seal_envelope_parse(penv, penv_len, &pv) || !(dec = malloc(pv.ct_len)) ||
		    crypto_aead_xchacha20poly1305_ietf_decrypt(dec, &dl, NULL, pv.ct, pv.ct_len, ad, sizeof(ad), nonce, ek) ||
		    dl != pl || memcmp(dec, pk, pl)) {
			failf("seal: the packed envelope does not hold 01 || length || deflate-dict of the plaintext");
			goto packed_out;
		}
		if (phr_seal_open(hk, id, 0, penv, penv_len, &back, &back_len) || back_len != plain_len ||
		    memcmp(back, plain, plain_len) || penv_len >= env_len) {
			failf("seal: the packed envelope does not open to the plaintext, or is not smaller");
			goto packed_out;
		}
		if (add(s, VEC_ZLIB, pk, pl, "seal.packed.entry0.sealed-bytes") ||
		    add(s, VEC_ZLIB, penv, penv_len, "seal.packed.entry0.envelope"))
			goto packed_out;
		prc = 0;
packed_out:
		free(z);
		free(pk);
		free(penv);
		free(dec);
		free(back);
		if (prc)
			goto out;
	}
	if (gen_seal_v2(s, hk, id, ek, ad, plain, plain_len, n))
		goto out;
	if (gen_seal_v3(s, keys, cert1, cert1_len, ex, hk, id, ek, clear, clear_len, plain, plain_len, n))
		goto out;
	rc = 0;
out:
	phr_record_destroy(r);
	free(clear);
	free(plain);
	free(env);
	return rc;
}

/* A fork and its merge (docs/FORMAT.md, "Merged records"): the older-man
 * record issued by clinic 1, extended at clinic 2 with one entry (branch
 * B) and at clinic 1 with two (branch A, the longer: the main chain), then
 * joined by clinic 2's merge entry. Containers uncompressed, so that the
 * bytes depend on nothing but the format. */
#define MERGE_RECORD "older-man-chronic"
static int gen_merge(struct vec_set *s, struct phr_seckey *const *keys, const uint8_t *const *cert,
		     const size_t *cert_len, const struct entry_src *as, const struct entry_src *fu)
{
	uint8_t id[PHR_RECORD_ID_LEN], *enc = NULL;
	size_t enc_len;
	struct phr_record *a = NULL, *b = NULL, *m = NULL;
	int newer, rc = -1;
	record_id(id);
	id[0] ^= 0x4d; /* not the other records' id */
	if (phr_record_create(id, &a) ||
	    phr_record_append(a, keys[K_CLINIC1], cert[0], cert_len[0], as->cbor, as->len, as->signed_at) ||
	    phr_record_create(id, &b) ||
	    phr_record_append(b, keys[K_CLINIC1], cert[0], cert_len[0], as->cbor, as->len, as->signed_at) ||
	    phr_record_append(b, keys[K_CLINIC2], cert[1], cert_len[1], fu->cbor, fu->len, fu->signed_at + 86400) ||
	    phr_record_append(a, keys[K_CLINIC1], cert[0], cert_len[0], fu->cbor, fu->len, fu->signed_at + 2 * 86400) ||
	    phr_record_append(a, keys[K_CLINIC1], cert[0], cert_len[0], fu->cbor, fu->len, fu->signed_at + 3 * 86400) ||
	    phr_record_merge(b, a, keys[K_CLINIC2], cert[1], cert_len[1], fu->signed_at + 4 * 86400, &newer, &m)) {
		failf("merge vectors: %s", phr_last_error());
		goto out;
	}
	const struct phr_record *rs[3] = { a, b, m };
	const char *names[3] = { "merge.branch-a.phr-none", "merge.branch-b.phr-none", "merge.merged.phr-none" };
	for (int i = 0; i < 3; i++) {
		if (phr_record_encode(rs[i], PHR_COMP_NONE, &enc, &enc_len)) {
			failf("%s: %s", names[i], phr_last_error());
			goto out;
		}
		int arc = add(s, VEC_EXACT, enc, enc_len, "%s", names[i]);
		free(enc);
		enc = NULL;
		if (arc)
			goto out;
	}
	int at = phr_record_merge_at(m);
	if (at < 0 || add(s, VEC_EXACT, m->entries[at].raw, m->entries[at].raw_len, "merge.merge-entry.cose") ||
	    add(s, VEC_EXACT, m->entries[at].cose.payload, m->entries[at].cose.payload_len, "merge.merge-entry.payload"))
		goto out;
	rc = 0;
out:
	free(enc);
	phr_record_destroy(a);
	phr_record_destroy(b);
	phr_record_destroy(m);
	return rc;
}

int vec_generate(const char *root, struct vec_set *s)
{
	struct phr_seckey *keys[K_N] = { 0 };
	uint8_t *buf = NULL, *cert[2] = { 0 };
	size_t len, cert_len[2] = { 0 };
	struct entry_src src[32];
	size_t nsrc = 0;
	int rc = -1;
	char name[96];

	memset(s, 0, sizeof(*s));
	memset(src, 0, sizeof(src));
	gen_root = root;
	if (sodium_init() < 0)
		return failf("libsodium does not start");
	if (load_dict(root, s))
		return -1;

	/* keys and .pub files */
	for (int i = 0; i < K_N; i++) {
		uint8_t seed[PHR_SEED_LEN];
		memset(seed, vkeys[i].seed, sizeof(seed));
		if (phr_key_from_seed(vkeys[i].kind, vkeys[i].name, vkeys[i].country, seed, &keys[i])) {
			failf("key %s: %s", vkeys[i].file, phr_last_error());
			goto out;
		}
		if (i == K_REVOKED)
			continue;
		if (phr_pubkey_encode(keys[i], &buf, &len)) {
			failf("%s.pub: %s", vkeys[i].file, phr_last_error());
			goto out;
		}
		snprintf(name, sizeof(name), "%s.pub", vkeys[i].file);
		if (add_own(s, VEC_EXACT, buf, len, name))
			goto out;
	}

	/* clinic1.key with a scripted salt and nonce */
	{
		uint8_t script[40];
		salt_nonce(script, script + 16);
		rng_script = script;
		rng_left = sizeof(script);
		rng_overrun = 0;
		int krc = phr_key_seal_params(keys[K_CLINIC1], VEC_PASSPHRASE, strlen(VEC_PASSPHRASE), KEY_OPSLIMIT,
					      KEY_MEMLIMIT, &buf, &len);
		size_t left = rng_left;
		rng_script = NULL;
		rng_left = 0;
		if (krc) {
			failf("clinic1.key: %s", phr_last_error());
			goto out;
		}
		if (left || rng_overrun) {
			free(buf);
			failf("clinic1.key: phr_key_seal_params did not draw exactly salt (16) and nonce (24) "
			      "from randombytes; the key file vector cannot be fixed");
			goto out;
		}
		if (add_own(s, VEC_EXACT, buf, len, "clinic1.key"))
			goto out;
	}

	/* certificates, their Sig_structures, the trust bundle */
	const struct phr_pubkey *auth_pub = phr_seckey_public(keys[K_AUTH]);
	for (int i = 0; i < 2; i++) {
		if (phr_cert_issue(keys[K_AUTH], phr_seckey_public(keys[K_CLINIC1 + i]), T_NOT_BEFORE, T_NOT_AFTER,
				   &cert[i], &cert_len[i])) {
			failf("clinic%d.cert: %s", i + 1, phr_last_error());
			goto out;
		}
		snprintf(name, sizeof(name), "clinic%d.cert", i + 1);
		if (add(s, VEC_EXACT, cert[i], cert_len[i], "%s", name) ||
		    gen_cert_tbs(s, cert[i], cert_len[i], auth_pub->pk, name))
			goto out;
	}
	{
		const uint8_t *cp[2] = { cert[0], cert[1] };
		uint8_t revoked[1][PHR_KID_LEN];
		memcpy(revoked[0], phr_seckey_public(keys[K_REVOKED])->kid, PHR_KID_LEN);
		if (phr_trust_build(keys[K_AUTH], auth_pub, 1, cp, cert_len, 2, (const uint8_t(*)[PHR_KID_LEN])revoked, 1,
				    TRUST_VERSION, T_TRUST_ISSUED, T_TRUST_EXPIRES, &buf, &len)) {
			failf("trust.bundle: %s", phr_last_error());
			goto out;
		}
		if (add_own(s, VEC_EXACT, buf, len, "trust.bundle"))
			goto out;
	}

	/* entry contents */
	if (load_examples(root, "examples", src, &nsrc, 32) || load_examples(root, "examples/entries", src, &nsrc, 32))
		goto out;
	for (size_t i = 0; i < nsrc; i++)
		if (add(s, VEC_EXACT, src[i].cbor, src[i].len, "entry-%s.cbor", src[i].name))
			goto out;

	/* two-entry records */
	for (size_t i = 0; i < nsrc; i++) {
		json_t *j = NULL;
		if (phr_entry_decode_json(src[i].cbor, src[i].len, &j)) {
			failf("%s: %s", src[i].name, phr_last_error());
			goto out;
		}
		int assessment = !strcmp(json_string_value(json_object_get(j, "kind")), "assessment");
		json_decref(j);
		if (!assessment)
			continue;
		const char *fu = DEFAULT_FOLLOW_UP;
		for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
			if (!strcmp(pairs[k].assessment, src[i].name))
				fu = pairs[k].follow_up;
		const struct entry_src *f = src_find(src, nsrc, fu);
		if (!f) {
			failf("follow-up example %s missing", fu);
			goto out;
		}
		uint8_t id[PHR_RECORD_ID_LEN];
		struct phr_record *r;
		record_id(id);
		if (phr_record_create(id, &r) ||
		    phr_record_append(r, keys[K_CLINIC1], cert[0], cert_len[0], src[i].cbor, src[i].len,
				      src[i].signed_at) ||
		    phr_record_append(r, keys[K_CLINIC2], cert[1], cert_len[1], f->cbor, f->len, f->signed_at)) {
			failf("record-%s: %s", src[i].name, phr_last_error());
			goto out;
		}
		snprintf(name, sizeof(name), "record-%.60s", src[i].name);
		int arc = add_containers(s, r, name);
		if (arc == 0 && !strcmp(src[i].name, CHAIN_RECORD)) {
			/* entry 1's AAD, built independently */
			uint8_t aad[PHR_ENTRY_AAD_LEN], lib[PHR_ENTRY_AAD_LEN];
			memcpy(aad, "phr/entry", 9);
			memcpy(aad + 9, id, PHR_RECORD_ID_LEN);
			crypto_generichash(aad + 9 + PHR_RECORD_ID_LEN, PHR_HASH_LEN, r->entries[0].raw, r->entries[0].raw_len,
					   NULL, 0);
			phr_record_entry_aad(r, 1, lib);
			if (memcmp(aad, lib, sizeof(aad)))
				arc = failf("%s: entry 1 AAD differs from the independent one", name);
			else
				arc = add(s, VEC_EXACT, aad, sizeof(aad), "%s.entry1.aad", name);
		}
		phr_record_destroy(r);
		if (arc)
			goto out;
	}

	const struct entry_src *ex = src_find(src, nsrc, EXAMPLE_ENTRY);
	if (!ex) {
		failf("examples/entries/%s.json missing", EXAMPLE_ENTRY);
		goto out;
	}
	if (gen_example(s, keys, cert[0], cert_len[0], ex) || gen_chunks(s) || gen_invalid(s))
		goto out;
	const struct entry_src *sx = src_find(src, nsrc, SEAL_EXAMPLE);
	if (!sx) {
		failf("examples/%s.json missing", SEAL_EXAMPLE);
		goto out;
	}
	if (gen_seal(s, keys, cert[0], cert_len[0], sx))
		goto out;
	const struct entry_src *ma = src_find(src, nsrc, MERGE_RECORD), *mf = src_find(src, nsrc, DEFAULT_FOLLOW_UP);
	if (!ma || !mf) {
		failf("examples for the merge vectors missing");
		goto out;
	}
	if (gen_merge(s, keys, (const uint8_t *const *)cert, cert_len, ma, mf))
		goto out;
	rc = 0;
out:
	for (int i = 0; i < K_N; i++)
		phr_seckey_destroy(keys[i]);
	for (size_t i = 0; i < nsrc; i++)
		free(src[i].cbor);
	free(cert[0]);
	free(cert[1]);
	if (rc)
		vec_free(s);
	return rc;
}

/* ======================================================================
 * Annotated hex dumps (cbor.me style): the hex of each head or chunk on a
 * line, nested by indentation, with a '#' comment. Removing every comment
 * and all white space gives the exact bytes back (checked when rendering).
 * ====================================================================== */

struct aline {
	int depth;
	char hex[80];
	char comment[200];
};

struct ann {
	const uint8_t *p;
	size_t len, off;
	struct aline *l;
	size_t n, cap;
	int err;
};

#define BAIL(a) do { (a)->err = 1; return; } while (0)

struct head {
	int major;
	int ai;
	uint64_t val;
	size_t hlen;
};

static int peek(const struct ann *a, struct head *h)
{
	if (a->err || a->off >= a->len)
		return 0;
	uint8_t ib = a->p[a->off];
	h->major = ib >> 5;
	h->ai = ib & 31;
	size_t extra = h->ai < 24 ? 0 : h->ai == 24 ? 1 : h->ai == 25 ? 2 : h->ai == 26 ? 4 : h->ai == 27 ? 8 : 99;
	if (extra == 99 || a->off + 1 + extra > a->len)
		return 0;
	h->val = h->ai < 24 ? (uint64_t)h->ai : 0;
	for (size_t i = 0; i < extra; i++)
		h->val = h->val << 8 | a->p[a->off + 1 + i];
	h->hlen = 1 + extra;
	return 1;
}

static void line(struct ann *a, int depth, const uint8_t *p, size_t n, int split, const char *comment)
{
	if (a->err)
		return;
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct aline *l = realloc(a->l, cap * sizeof(*l));
		if (!l) {
			a->err = 1;
			return;
		}
		a->l = l;
		a->cap = cap;
	}
	struct aline *l = &a->l[a->n++];
	l->depth = depth;
	hex_of(p, split ? 1 : n, l->hex);
	if (split && n > 1) {
		strcat(l->hex, " ");
		hex_of(p + 1, n - 1, l->hex + strlen(l->hex));
	}
	snprintf(l->comment, sizeof(l->comment), "%s", comment ? comment : "");
}

/* Comment formatting into a small ring of buffers. */
static const char *cf(const char *fmt, ...) PHR_PRINTF(1, 2);
static const char *cf(const char *fmt, ...)
{
	static char ring[8][200];
	static int k;
	char *b = ring[k++ & 7];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, 200, fmt, ap);
	va_end(ap);
	return b;
}

/* Emits the next head; returns it (major -1 on error). */
static struct head ann_head(struct ann *a, int depth, const char *comment)
{
	struct head h = { -1, 0, 0, 0 };
	if (!peek(a, &h)) {
		a->err = 1;
		h.major = -1;
		return h;
	}
	line(a, depth, a->p + a->off, h.hlen, 1, comment);
	a->off += h.hlen;
	return h;
}

/* Emits n raw bytes, 16 per line; comment on the first line. */
static void ann_raw(struct ann *a, int depth, size_t n, const char *comment)
{
	if (a->err || n > a->len - a->off) {
		a->err = 1;
		return;
	}
	for (size_t i = 0; i < n; i += 16) {
		size_t k = n - i < 16 ? n - i : 16;
		line(a, depth, a->p + a->off + i, k, 0, i == 0 ? comment : NULL);
	}
	a->off += n;
}

static void quoted(const uint8_t *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < n && o + 6 < cap; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
		} else {
			out[o++] = (char)s[i];
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void ann_text_body(struct ann *a, int depth, size_t n)
{
	char q[200];
	if (a->err || n > a->len - a->off) {
		a->err = 1;
		return;
	}
	quoted(a->p + a->off, n, q, sizeof(q));
	ann_raw(a, depth, n, q);
}

/* A whole item without schema knowledge. */
static void ann_any(struct ann *a, int depth, const char *label)
{
	struct head h;
	const char *pre = label ? label : "";
	const char *sep = label ? ": " : "";
	if (!peek(a, &h)) {
		a->err = 1;
		return;
	}
	switch (h.major) {
	case 0:
		ann_head(a, depth, cf("%s%sunsigned(%llu)", pre, sep, (unsigned long long)h.val));
		break;
	case 1:
		ann_head(a, depth, cf("%s%snegative(-%llu)", pre, sep, (unsigned long long)h.val + 1));
		break;
	case 2:
		ann_head(a, depth, cf("%s%sbytes(%llu)", pre, sep, (unsigned long long)h.val));
		ann_raw(a, depth + 1, (size_t)h.val, NULL);
		break;
	case 3:
		ann_head(a, depth, cf("%s%stext(%llu)", pre, sep, (unsigned long long)h.val));
		ann_text_body(a, depth + 1, (size_t)h.val);
		break;
	case 4:
		ann_head(a, depth, cf("%s%sarray(%llu)", pre, sep, (unsigned long long)h.val));
		for (uint64_t i = 0; i < h.val && !a->err; i++)
			ann_any(a, depth + 1, NULL);
		break;
	case 5:
		ann_head(a, depth, cf("%s%smap(%llu)", pre, sep, (unsigned long long)h.val));
		for (uint64_t i = 0; i < h.val && !a->err; i++) {
			ann_any(a, depth + 1, "key");
			ann_any(a, depth + 1, NULL);
		}
		break;
	case 6:
		ann_head(a, depth, cf("%s%stag(%llu)", pre, sep, (unsigned long long)h.val));
		ann_any(a, depth + 1, NULL);
		break;
	default:
		ann_head(a, depth, cf("%s%s%s", pre, sep, h.ai == 20 ? "false" : h.ai == 21 ? "true" : h.ai == 22 ? "null" : "simple"));
		break;
	}
}

static void iso_time(uint64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A value described by a schema field. */
static void ann_field(struct ann *a, int depth, const struct phr_field *f, const char *path)
{
	struct head h;
	if (!peek(a, &h)) {
		a->err = 1;
		return;
	}
	switch (f->type) {
	case PHR_T_OBJECT: {
		ann_head(a, depth, cf("map(%llu): %s", (unsigned long long)h.val, path));
		for (uint64_t i = 0; i < h.val && !a->err; i++) {
			struct head k;
			if (!peek(a, &k) || k.major != 0) {
				a->err = 1;
				return;
			}
			const struct phr_field *c = f->children;
			while (c->name && c->key != k.val)
				c++;
			if (!c->name) {
				a->err = 1;
				return;
			}
			ann_head(a, depth + 1, cf("key %llu: %s", (unsigned long long)k.val, c->name));
			char sub[160];
			snprintf(sub, sizeof(sub), "%s%s%s", f == phr_schema_root() ? "" : path,
				 f == phr_schema_root() ? "" : ".", c->name);
			ann_field(a, depth + 1, c, sub);
		}
		break;
	}
	case PHR_T_ARRAY:
		ann_head(a, depth, cf("array(%llu): %s", (unsigned long long)h.val, path));
		for (uint64_t i = 0; i < h.val && !a->err; i++) {
			char sub[160];
			snprintf(sub, sizeof(sub), "%s[%llu]", path, (unsigned long long)i);
			ann_field(a, depth + 1, &f->children[0], sub);
		}
		break;
	case PHR_T_TEXT:
	case PHR_T_COUNTRY:
	case PHR_T_LANG:
	case PHR_T_UNIT:
		ann_head(a, depth, cf("text(%llu)", (unsigned long long)h.val));
		ann_text_body(a, depth + 1, (size_t)h.val);
		break;
	case PHR_T_ENUM:
		ann_head(a, depth, cf("%llu = \"%s\"", (unsigned long long)h.val, f->enums[h.val]));
		break;
	case PHR_T_DATE:
		if (h.major == 0) {
			int y, m, d;
			phr_civil_from_days((int64_t)h.val, &y, &m, &d);
			ann_head(a, depth, cf("%llu = %04d-%02d-%02d (days since 1900-01-01)", (unsigned long long)h.val, y, m, d));
		} else {
			ann_head(a, depth, cf("array(%llu): partial date", (unsigned long long)h.val));
			ann_any(a, depth + 1, "year");
			if (h.val == 2)
				ann_any(a, depth + 1, "month");
		}
		break;
	case PHR_T_CODE: {
		ann_head(a, depth, "array(2): code [system, code]");
		struct head sh;
		if (!peek(a, &sh)) {
			a->err = 1;
			return;
		}
		ann_head(a, depth + 1, cf("system %llu = %s", (unsigned long long)sh.val, phr_code_system_name((int)sh.val)));
		if (!peek(a, &sh)) {
			a->err = 1;
			return;
		}
		ann_head(a, depth + 1, cf("text(%llu)", (unsigned long long)sh.val));
		ann_text_body(a, depth + 2, (size_t)sh.val);
		break;
	}
	case PHR_T_BYTES:
	case PHR_T_INT:
	case PHR_T_BOOL:
	case PHR_T_DECIMAL:
		if (h.major == 6) {
			ann_head(a, depth, "tag(4): decimal fraction");
			ann_head(a, depth + 1, "array(2)");
			ann_any(a, depth + 2, "exponent");
			ann_any(a, depth + 2, "mantissa");
		} else {
			ann_any(a, depth, NULL);
		}
		break;
	}
}

/* Renders the lines as a Markdown code block. Checks that the hex, with
 * comments and white space removed, is exactly the input. */
static void ann_render(struct ann *a, struct sb *out)
{
	size_t width = 0;
	struct sb check = { 0 };
	if (!a->err && a->off != a->len)
		a->err = 1;
	for (size_t i = 0; i < a->n; i++) {
		size_t w = (size_t)a->l[i].depth * 3 + strlen(a->l[i].hex);
		if (w > width)
			width = w;
	}
	sb_printf(out, "```text\n");
	for (size_t i = 0; i < a->n && !a->err; i++) {
		const struct aline *l = &a->l[i];
		size_t w = (size_t)l->depth * 3 + strlen(l->hex);
		sb_printf(out, "%*s%s", l->depth * 3, "", l->hex);
		if (l->comment[0])
			sb_printf(out, "%*s# %s", (int)(width - w + 2), "", l->comment);
		sb_printf(out, "\n");
		for (const char *c = l->hex; *c; c++)
			if (*c != ' ')
				sb_add(&check, c, 1);
	}
	sb_printf(out, "```\n");
	char *hex = malloc(2 * a->len + 1);
	if (!hex || a->err || check.err || !check.p || strlen(check.p) != 2 * a->len) {
		out->err = 1;
	} else {
		hex_of(a->p, a->len, hex);
		if (strcmp(hex, check.p))
			out->err = 1;
	}
	free(hex);
	free(check.p);
	free(a->l);
	a->l = NULL;
	a->n = a->cap = 0;
}

static void ann_start(struct ann *a, const struct vec_item *it)
{
	memset(a, 0, sizeof(*a));
	if (!it) {
		a->err = 1;
		return;
	}
	a->p = it->data;
	a->len = it->len;
}

/* ---- structure annotators ---- */

static void ann_pubkey_fields(struct ann *a, int depth, const char *role)
{
	ann_head(a, depth, "key 1: kind");
	struct head h;
	if (!peek(a, &h))
		BAIL(a);
	ann_head(a, depth, cf("%llu = %s", (unsigned long long)h.val, h.val == 1 ? "authority" : "clinic"));
	ann_head(a, depth, "key 2: name");
	ann_any(a, depth, NULL);
	ann_head(a, depth, "key 3: country");
	ann_any(a, depth, NULL);
	ann_head(a, depth, "key 4: public key");
	ann_head(a, depth, "bytes(32)");
	ann_raw(a, depth + 1, 32, cf("Ed25519 public key of %s", role));
}

static void ann_protected(struct ann *a, int depth, const char *signer)
{
	ann_head(a, depth, "map(2)");
	ann_head(a, depth + 1, "label 1: alg");
	ann_head(a, depth + 1, "-8 = EdDSA");
	ann_head(a, depth + 1, "label 4: kid");
	ann_head(a, depth + 1, "bytes(8)");
	ann_raw(a, depth + 2, 8, cf("kid of %s", signer));
}

typedef void (*payload_fn)(struct ann *a, int depth);

/* A COSE_Sign1 whose payload is annotated by fn (NULL: raw bytes). */
static void ann_sign1(struct ann *a, int depth, const char *what, const char *signer, payload_fn fn)
{
	struct head h;
	ann_head(a, depth, cf("array(4): COSE_Sign1 (untagged) of %s", what));
	if (!peek(a, &h))
		BAIL(a);
	ann_head(a, depth + 1, cf("bytes(%llu): protected header", (unsigned long long)h.val));
	ann_protected(a, depth + 2, signer);
	ann_head(a, depth + 1, "map(0): unprotected header, empty");
	if (!peek(a, &h))
		BAIL(a);
	ann_head(a, depth + 1, cf("bytes(%llu): payload", (unsigned long long)h.val));
	if (fn)
		fn(a, depth + 2);
	else
		ann_raw(a, depth + 2, (size_t)h.val, "payload bytes (annotated above)");
	ann_head(a, depth + 1, "bytes(64): signature");
	ann_raw(a, depth + 2, 64, cf("Ed25519 signature by %s", signer));
}

static void ann_cert_payload(struct ann *a, int depth)
{
	struct head h;
	ann_head(a, depth, "map(6): certificate payload");
	ann_pubkey_fields(a, depth + 1, "the clinic");
	ann_head(a, depth + 1, "key 5: not_before");
	if (!peek(a, &h))
		BAIL(a);
	char t[32];
	iso_time(h.val, t, sizeof(t));
	ann_head(a, depth + 1, cf("%llu = %s", (unsigned long long)h.val, t));
	ann_head(a, depth + 1, "key 6: not_after");
	if (!peek(a, &h))
		BAIL(a);
	iso_time(h.val, t, sizeof(t));
	ann_head(a, depth + 1, cf("%llu = %s", (unsigned long long)h.val, t));
}

static void ann_cert(struct ann *a, int depth)
{
	ann_sign1(a, depth, "a certificate", "the authority", ann_cert_payload);
}

static void ann_trust_payload(struct ann *a, int depth)
{
	struct head h;
	char t[32];
	ann_head(a, depth, "map(6): trust bundle payload");
	ann_head(a, depth + 1, "key 1: version");
	ann_any(a, depth + 1, NULL);
	ann_head(a, depth + 1, "key 2: issued");
	if (!peek(a, &h))
		BAIL(a);
	iso_time(h.val, t, sizeof(t));
	ann_head(a, depth + 1, cf("%llu = %s", (unsigned long long)h.val, t));
	ann_head(a, depth + 1, "key 3: authorities");
	if (!peek(a, &h))
		BAIL(a);
	ann_head(a, depth + 1, cf("array(%llu)", (unsigned long long)h.val));
	for (uint64_t i = 0; i < h.val && !a->err; i++) {
		ann_head(a, depth + 2, "map(4): authority key (as in a .pub file)");
		ann_pubkey_fields(a, depth + 3, "the authority");
	}
	ann_head(a, depth + 1, "key 4: certificates");
	if (!peek(a, &h))
		BAIL(a);
	uint64_t nc = h.val;
	ann_head(a, depth + 1, cf("array(%llu)", (unsigned long long)nc));
	for (uint64_t i = 0; i < nc && !a->err; i++) {
		struct head c;
		if (!peek(a, &c))
			BAIL(a);
		ann_head(a, depth + 2, cf("bytes(%llu): certificate", (unsigned long long)c.val));
		ann_raw(a, depth + 3, (size_t)c.val, cf("clinic%llu.cert, byte for byte", (unsigned long long)i + 1));
	}
	ann_head(a, depth + 1, "key 5: revoked kids (strictly ascending)");
	if (!peek(a, &h))
		BAIL(a);
	uint64_t nr = h.val;
	ann_head(a, depth + 1, cf("array(%llu)", (unsigned long long)nr));
	for (uint64_t i = 0; i < nr && !a->err; i++) {
		ann_head(a, depth + 2, "bytes(8)");
		ann_raw(a, depth + 3, 8, "a revoked kid");
	}
	ann_head(a, depth + 1, "key 6: expires");
	if (!peek(a, &h))
		BAIL(a);
	iso_time(h.val, t, sizeof(t));
	ann_head(a, depth + 1, cf("%llu = %s", (unsigned long long)h.val, t));
}

static void ann_trust(struct ann *a, int depth)
{
	ann_sign1(a, depth, "the trust bundle", "the authority", ann_trust_payload);
}

static void ann_entry_payload(struct ann *a, int depth)
{
	struct head h;
	char t[32];
	ann_head(a, depth, "map(3): entry payload");
	ann_head(a, depth + 1, "key 1: index");
	ann_any(a, depth + 1, NULL);
	ann_head(a, depth + 1, "key 2: signed-at");
	if (!peek(a, &h))
		BAIL(a);
	iso_time(h.val, t, sizeof(t));
	ann_head(a, depth + 1, cf("%llu = %s", (unsigned long long)h.val, t));
	ann_head(a, depth + 1, "key 3: content");
	ann_field(a, depth + 1, phr_schema_root(), "entry content");
}

static void ann_aad(struct ann *a, int depth, const char *hash_what)
{
	ann_raw(a, depth, 9, "\"phr/entry\"");
	ann_raw(a, depth, PHR_RECORD_ID_LEN, "record id");
	ann_raw(a, depth, PHR_HASH_LEN, hash_what);
}

static void ann_body(struct ann *a, int depth)
{
	struct head h;
	ann_head(a, depth, "array(3): container body");
	ann_head(a, depth + 1, "bytes(16): record id");
	ann_raw(a, depth + 2, 16, NULL);
	if (!peek(a, &h))
		BAIL(a);
	uint64_t ne = h.val;
	ann_head(a, depth + 1, cf("array(%llu): entries", (unsigned long long)ne));
	for (uint64_t i = 0; i < ne && !a->err; i++) {
		/* the COSE_Sign1 is an array item here, not a byte string */
		ann_sign1(a, depth + 2, cf("entry %llu", (unsigned long long)i), "clinic 1", NULL);
	}
	if (!peek(a, &h))
		BAIL(a);
	uint64_t nc = h.val;
	ann_head(a, depth + 1, cf("array(%llu): embedded certificates", (unsigned long long)nc));
	for (uint64_t i = 0; i < nc && !a->err; i++) {
		struct head c;
		if (!peek(a, &c))
			BAIL(a);
		ann_head(a, depth + 2, cf("bytes(%llu): certificate", (unsigned long long)c.val));
		ann_raw(a, depth + 3, (size_t)c.val, "clinic1.cert, byte for byte");
	}
}

static void ann_container(struct ann *a, const char *method_name, int method, int body_annotated)
{
	if (a->err || a->len < 5)
		BAIL(a);
	size_t declared = (size_t)a->p[2] << 16 | (size_t)a->p[3] << 8 | a->p[4];
	ann_raw(a, 0, 1, "version 1");
	ann_raw(a, 0, 1, cf("compression id %d = %s", method, method_name));
	ann_raw(a, 0, 3, cf("body length %zu (24-bit big-endian, uncompressed)", declared));
	if (method == PHR_COMP_NONE && body_annotated)
		ann_body(a, 0);
	else
		ann_raw(a, 0, a->len - 5, method == PHR_COMP_NONE ? "the body (above), byte for byte" : cf("%s data (%zu bytes)", method_name, a->len - 5));
}

/* ======================================================================
 * Documentation blocks
 * ====================================================================== */

const struct vec_doc_block vec_doc_blocks[] = {
	{ "keys", VEC_EXACT },
	{ "qr-chunks", VEC_EXACT },
	{ "dictionary", VEC_EXACT },
	{ "limits", VEC_EXACT },
	{ "content-cddl", VEC_EXACT },
	{ "example", VEC_EXACT },
	{ "example-compressed", VEC_ZSTD },
	{ "chain", VEC_EXACT },
	{ "invalid", VEC_EXACT },
};
const size_t vec_doc_nblocks = sizeof(vec_doc_blocks) / sizeof(vec_doc_blocks[0]);

static void doc_keys(const struct vec_set *s, struct sb *b)
{
	(void)s;
	sb_printf(b, "| key | seed (32 bytes) | name, country | Ed25519 public key | kid |\n");
	sb_printf(b, "|---|---|---|---|---|\n");
	for (int i = 0; i < K_N; i++) {
		uint8_t seed[32], pk[32], sk[64], h[32];
		char pkh[65], kidh[17];
		memset(seed, vkeys[i].seed, sizeof(seed));
		crypto_sign_seed_keypair(pk, sk, seed);
		sodium_memzero(sk, sizeof(sk));
		crypto_generichash(h, sizeof(h), pk, sizeof(pk), NULL, 0);
		hex_of(pk, 32, pkh);
		hex_of(h, 8, kidh);
		sb_printf(b, "| %s | 32 × `%02x` | %s, %s | `%s` | `%s` |\n", vkeys[i].role, vkeys[i].seed, vkeys[i].name,
			  vkeys[i].country, pkh, kidh);
	}
}

static void doc_dictionary(const struct vec_set *s, struct sb *b)
{
	if (!s->have_dict) {
		sb_printf(b, "> **TO BE FILLED** — dictionary v1 (`%s`) is still empty in this tree: its size and\n"
			     "> BLAKE2b-256 go here. Regenerate this block with `make_vectors --doc docs/FORMAT.md`\n"
			     "> once the dictionary is committed.\n",
			  VEC_DICT_PATH);
		return;
	}
	char h[65];
	hex_of(s->dict_hash, 32, h);
	sb_printf(b, "| dictionary | file | size | BLAKE2b-256 of the file | zstd Dictionary_ID |\n|---|---|---|---|---|\n");
	if (s->dict_id)
		sb_printf(b, "| v1 (methods 2, 3) | `%s` | %zu bytes | `%s` | %u (0x%08x) |\n", VEC_DICT_PATH, s->dict_len, h,
			  (unsigned)s->dict_id, (unsigned)s->dict_id);
	else
		sb_printf(b, "| v1 (methods 2, 3) | `%s` | %zu bytes | `%s` | none: raw content dictionary |\n",
			  VEC_DICT_PATH, s->dict_len, h);
}

static void doc_limits(const struct vec_set *s, struct sb *b)
{
	(void)s;
	static const struct {
		const char *name;
		unsigned long long v;
		const char *what;
	} lim[] = {
		{ "PHR_MAX_CONTAINER", PHR_MAX_CONTAINER, "container bytes (5-byte header + compressed body); checked before anything else" },
		{ "PHR_MAX_BODY", PHR_MAX_BODY, "declared (= decompressed) body length; checked before allocating" },
		{ "PHR_MAX_ENTRIES", PHR_MAX_ENTRIES, "entries in one container (at least 1)" },
		{ "PHR_MAX_EMBEDDED_CERTS", PHR_MAX_EMBEDDED_CERTS, "certificates embedded in one container" },
		{ "PHR_MAX_CERT", PHR_MAX_CERT, "one encoded certificate (embedded or in a trust bundle)" },
		{ "PHR_MAX_ENTRY_CBOR", PHR_MAX_ENTRY_CBOR, "encoded entry content (the map at payload key 3)" },
		{ "PHR_MAX_TEXT", PHR_MAX_TEXT, "longest free-text field of the content, bytes" },
		{ "PHR_MAX_ARRAY", PHR_MAX_ARRAY, "most items of a content array (some fields allow fewer)" },
		{ "PHR_MAX_DOCUMENTS", PHR_MAX_DOCUMENTS, "document references in one entry ([Documents](#documents))" },
		{ "PHR_MAX_DOCUMENT_TITLE", PHR_MAX_DOCUMENT_TITLE, "a document reference's title, bytes of UTF-8" },
		{ "PHR_MAX_DOCUMENT", PHR_MAX_DOCUMENT, "size of a document an entry refers to, bytes (16 MiB)" },
		{ "PHR_CBOR_MAX_DEPTH", PHR_CBOR_MAX_DEPTH, "nesting depth below the top-level item of one decoded CBOR buffer" },
		{ "PHR_CBOR_MAX_ITEMS", PHR_CBOR_MAX_ITEMS, "data items (map keys and tags included) in one decoded CBOR buffer" },
		{ "PHR_MAX_NAME", PHR_MAX_NAME, "key, clinic or authority name, bytes of UTF-8" },
		{ "PHR_MAX_KEYFILE", PHR_MAX_KEYFILE, ".pub and .key files" },
		{ "PHR_MAX_TRUST", PHR_MAX_TRUST, "encoded trust bundle" },
		{ "PHR_MAX_TRUST_ITEMS", PHR_MAX_TRUST_ITEMS, "authorities, certificates, revoked kids of a trust bundle: each" },
		{ "PHR_TRUST_MAX_DAYS", PHR_TRUST_MAX_DAYS, "days from a trust bundle's issued to its expires, at most" },
		{ "PHR_MAX_ANCHORS", PHR_MAX_ANCHORS, "trust anchors of one installation; entries of its trust state (TRUST.md)" },
		{ "PHR_MAX_ANCHORS_FILE", PHR_MAX_ANCHORS_FILE, "trust anchors file, bytes (TRUST.md)" },
		{ "PHR_MAX_TRUST_STATE_FILE", PHR_MAX_TRUST_STATE_FILE, "trust state file, bytes (TRUST.md)" },
		{ "PHR_KEY_MAX_OPSLIMIT", PHR_KEY_MAX_OPSLIMIT, "Argon2id passes in a .key file (at least 1)" },
		{ "PHR_KEY_MIN_MEMLIMIT", PHR_KEY_MIN_MEMLIMIT, "Argon2id memory in a .key file, bytes, at least" },
		{ "PHR_KEY_MAX_MEMLIMIT", PHR_KEY_MAX_MEMLIMIT, "Argon2id memory in a .key file, bytes, at most" },
		{ "PHR_MAX_CHUNKS", PHR_MAX_CHUNKS, "QR codes of one container, data and parity (k + m)" },
		{ "PHR_MAX_QR_PAYLOAD", PHR_MAX_QR_PAYLOAD, "characters or bytes of one QR payload read (V40-L alphanumeric)" },
		{ "PHR_MAX_SETS", PHR_MAX_SETS, "containers (records or versions) one reader keeps apart while scanning" },
		{ "PHR_ZSTD_MAX_WINDOWLOG", PHR_ZSTD_MAX_WINDOWLOG, "log2 of a zstd-dict frame's window, at most ([Compression](#compression))" },
		{ "PHR_CLOCK_TOLERANCE", PHR_CLOCK_TOLERANCE, "seconds an entry may be dated after the verifier's clock ([Verification](#verification))" },
	};
	static const struct {
		const char *name;
		unsigned long long v;
		const char *what;
	} fixed[] = {
		{ "PHR_CONTAINER_VERSION", PHR_CONTAINER_VERSION, "container format version (byte 0)" },
		{ "PHR_CONTAINER_HEADER", PHR_CONTAINER_HEADER, "container header bytes" },
		{ "PHR_COMP_MAX", PHR_COMP_MAX, "highest compression id" },
		{ "PHR_RECORD_ID_LEN", PHR_RECORD_ID_LEN, "record id bytes" },
		{ "PHR_HASH_LEN", PHR_HASH_LEN, "entry hash bytes (BLAKE2b-256)" },
		{ "PHR_ENTRY_AAD_LEN", PHR_ENTRY_AAD_LEN, "entry external AAD bytes" },
		{ "PHR_KID_LEN", PHR_KID_LEN, "kid bytes" },
		{ "PHR_PK_LEN", PHR_PK_LEN, "Ed25519 public key bytes" },
		{ "PHR_SEED_LEN", PHR_SEED_LEN, "Ed25519 seed (secret key) bytes" },
		{ "PHR_SIG_LEN", PHR_SIG_LEN, "Ed25519 signature bytes" },
		{ "PHR_CHUNK_VERSION", PHR_CHUNK_VERSION, "QR chunk format version (chunk byte 0)" },
		{ "PHR_CHUNK_PREFIX_LEN", PHR_CHUNK_PREFIX_LEN, "prefix of a QR payload, `PH1:` or `PH1` 00" },
		{ "PHR_CHUNK_HEADER", PHR_CHUNK_HEADER, "chunk header bytes" },
		{ "PHR_CHUNK_CRC", PHR_CHUNK_CRC, "chunk CRC-32 bytes" },
		{ "PHR_CHUNK_PREFIX_BYTES", PHR_CHUNK_PREFIX_BYTES, "record id bytes a chunk carries" },
		{ "PHR_CHUNK_TAG_LEN", PHR_CHUNK_TAG_LEN, "container tag bytes" },
		{ "PHR_ZSTD_DICT_RESERVE", PHR_ZSTD_DICT_RESERVE, "bytes a zstd-dict window holds beyond the body: dictionary v1's size" },
		{ "PHR_VERSION_ID_LEN", PHR_VERSION_ID_LEN, "record version id bytes: record id || hash of the last entry" },
		{ "PHR_DOCUMENT_HASH_LEN", PHR_DOCUMENT_HASH_LEN, "document hash bytes (BLAKE2b-256 of the document)" },
	};
	sb_printf(b, "| limit | value | bounds |\n|---|---|---|\n");
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++)
		sb_printf(b, "| `%s` | %llu | %s |\n", lim[i].name, lim[i].v, lim[i].what);
	sb_printf(b, "\n| constant | value | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		sb_printf(b, "| `%s` | %llu | %s |\n", fixed[i].name, fixed[i].v, fixed[i].what);
}

/* ---- content CDDL from the schema table ---- */

static void rule_name(const struct phr_field *f, char *out, size_t cap)
{
	if (f == phr_schema_root()) {
		snprintf(out, cap, "entry-content");
		return;
	}
	size_t i = 0;
	for (; f->name[i] && i + 1 < cap; i++)
		out[i] = f->name[i] == '_' ? '-' : f->name[i];
	out[i] = '\0';
}

static void cddl_type(const struct phr_field *f, char *out, size_t cap, char *note, size_t ncap)
{
	note[0] = '\0';
	switch (f->type) {
	case PHR_T_TEXT:
		snprintf(out, cap, "tstr .size (%lld..%lld)", (long long)f->min, (long long)f->max);
		break;
	case PHR_T_INT:
		snprintf(out, cap, "%lld..%lld", (long long)f->min, (long long)f->max);
		break;
	case PHR_T_BOOL:
		snprintf(out, cap, "bool");
		break;
	case PHR_T_DATE:
		snprintf(out, cap, "%s", f->min == 1 ? "full-date" : "date");
		break;
	case PHR_T_ENUM: {
		int n = 0;
		size_t o = 0;
		while (f->enums[n]) {
			o += (size_t)snprintf(note + o, ncap - o, "%s%d %s", n ? ", " : "", n, f->enums[n]);
			if (o >= ncap)
				o = ncap - 1;
			n++;
		}
		snprintf(out, cap, "0..%d", n - 1);
		break;
	}
	case PHR_T_CODE: {
		size_t o = 0;
		out[0] = '\0';
		for (int i = 1; i <= PHR_CS_MAX; i++)
			if (f->systems & PHR_CS_BIT(i)) {
				o += (size_t)snprintf(out + o, cap - o, "%scode-%s", o ? " / " : "", phr_code_system_name(i));
				if (o >= cap)
					o = cap - 1;
			}
		break;
	}
	case PHR_T_COUNTRY:
		snprintf(out, cap, "country");
		break;
	case PHR_T_LANG:
		snprintf(out, cap, "lang");
		break;
	case PHR_T_UNIT:
		snprintf(out, cap, "unit");
		break;
	case PHR_T_DECIMAL:
		snprintf(out, cap, "decimal");
		break;
	case PHR_T_BYTES:
		snprintf(out, cap, "bstr .size %lld", (long long)f->max);
		break;
	case PHR_T_OBJECT:
		rule_name(f, out, cap);
		break;
	case PHR_T_ARRAY: {
		char item[128], inote[256];
		cddl_type(&f->children[0], item, sizeof(item), inote, sizeof(inote));
		snprintf(out, cap, "[1*%lld %s]", (long long)f->max, item);
		snprintf(note, ncap, "%s", inote);
		break;
	}
	}
}

static void cddl_object(const struct phr_field *obj, struct sb *b)
{
	char name[64];
	rule_name(obj, name, sizeof(name));
	sb_printf(b, "%s = {\n", name);
	size_t n = 0;
	for (const struct phr_field *c = obj->children; c->name; c++)
		n++;
	size_t i = 0;
	for (const struct phr_field *c = obj->children; c->name; c++, i++) {
		char t[256], note[256], entry[320];
		cddl_type(c, t, sizeof(t), note, sizeof(note));
		snprintf(entry, sizeof(entry), "  %s%u => %s%s", c->required ? "" : "? ", (unsigned)c->key, t,
			 i + 1 < n ? "," : "");
		sb_printf(b, "%-58s ; %s%s%s\n", entry, c->name, note[0] ? ": " : "", note);
	}
	sb_printf(b, "}\n");
	for (const struct phr_field *c = obj->children; c->name; c++) {
		const struct phr_field *sub = c->type == PHR_T_OBJECT ? c
					      : c->type == PHR_T_ARRAY && c->children[0].type == PHR_T_OBJECT ? &c->children[0]
					      : NULL;
		if (sub) {
			sb_printf(b, "\n");
			cddl_object(sub, b);
		}
	}
}

static void doc_content_cddl(const struct vec_set *s, struct sb *b)
{
	(void)s;
	int64_t maxday = phr_days_from_civil(2199, 12, 31);
	sb_printf(b, "```cddl\n");
	cddl_object(phr_schema_root(), b);
	sb_printf(b, "\n; ---- value types ----\n");
	sb_printf(b, "date = full-date / partial-date\n");
	sb_printf(b, "full-date = 0..%lld                  ; days since 1900-01-01 (0) up to 2199-12-31\n",
		  (long long)maxday);
	sb_printf(b, "partial-date = [year] / [year, 1..12]  ; \"YYYY\" / \"YYYY-MM\"\n");
	sb_printf(b, "year = 1900..2199\n");
	for (int i = 1; i <= PHR_CS_MAX; i++)
		sb_printf(b, "code-%s = [%d, tstr .size (1..64)]%*s; syntax: FORMAT.md, Code systems\n",
			  phr_code_system_name(i), i, (int)(8 - strlen(phr_code_system_name(i))), "");
	sb_printf(b, "country = tstr .regexp \"[A-Z]{2}\"     ; ISO 3166-1 alpha-2\n");
	sb_printf(b, "lang = tstr .regexp \"[a-z]{2}\"        ; ISO 639-1\n");
	sb_printf(b, "unit = tstr .regexp \"[!-~]{1,20}\"     ; UCUM, printable ASCII\n");
	sb_printf(b, "decimal = -999999999..999999999 / decfrac\n");
	sb_printf(b, "decfrac = #6.4([exponent: -6..-1, mantissa: -999999999..999999999])\n");
	sb_printf(b, "                                      ; mantissa neither 0 nor a multiple of 10\n");
	sb_printf(b, "```\n");
}

/* ---- worked example ---- */

static void dump_item(const struct vec_set *s, struct sb *b, const char *name, const char *title)
{
	const struct vec_item *it = vec_find(s, name);
	if (!it) {
		b->err = 1;
		return;
	}
	sb_printf(b, "%s — `tests/vectors/expected/%s.hex`, %zu bytes:\n\n", title, name, it->len);
}

static void ann_keyfile(struct ann *a)
{
	ann_head(a, 0, "map(9): .key file");
	ann_pubkey_fields(a, 1, "clinic 1");
	ann_head(a, 1, "key 5: Argon2id salt");
	ann_head(a, 1, "bytes(16)");
	ann_raw(a, 2, 16, NULL);
	ann_head(a, 1, "key 6: Argon2id opslimit (passes)");
	ann_any(a, 1, NULL);
	ann_head(a, 1, "key 7: Argon2id memlimit (bytes)");
	ann_any(a, 1, NULL);
	ann_head(a, 1, "key 8: XChaCha20-Poly1305 nonce");
	ann_head(a, 1, "bytes(24)");
	ann_raw(a, 2, 24, NULL);
	ann_head(a, 1, "key 9: ciphertext of the 32-byte seed || 16-byte tag");
	ann_head(a, 1, "bytes(48)");
	ann_raw(a, 2, 48, NULL);
}

static void doc_example(const struct vec_set *s, struct sb *b)
{
	struct ann a;

	dump_item(s, b, "authority.pub", "**authority.pub**, the authority's public key file");
	ann_start(&a, vec_find(s, "authority.pub"));
	ann_head(&a, 0, "map(5): .pub file");
	ann_pubkey_fields(&a, 1, "the authority");
	ann_head(&a, 1, "key 5: self-signature");
	ann_head(&a, 1, "bytes(64)");
	ann_raw(&a, 2, 64, "the authority's own signature of keys 1..4 (external AAD \"phr/pub\")");
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "clinic1.key",
		  "**clinic1.key**, clinic 1's sealed key (passphrase `\"" VEC_PASSPHRASE "\"`, opslimit 1, memlimit "
		  "8192, salt a0 … af and nonce b0 … c7 fixed for the vector)");
	ann_start(&a, vec_find(s, "clinic1.key"));
	ann_keyfile(&a);
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "clinic1.cert", "**clinic1.cert**, clinic 1's certificate, signed by the authority");
	ann_start(&a, vec_find(s, "clinic1.cert"));
	ann_cert(&a, 0);
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "clinic1.cert.sig-structure",
		  "Its **Sig_structure** (what the authority signed; external AAD `\"phr/cert\"`)");
	ann_start(&a, vec_find(s, "clinic1.cert.sig-structure"));
	ann_head(&a, 0, "array(4): Sig_structure");
	ann_any(&a, 1, "context");
	ann_head(&a, 1, "bytes(13): body_protected");
	ann_raw(&a, 2, 13, "the certificate's protected header");
	ann_head(&a, 1, "bytes(8): external_aad");
	ann_raw(&a, 2, 8, "\"phr/cert\"");
	{
		struct head h;
		if (peek(&a, &h)) {
			ann_head(&a, 1, cf("bytes(%llu): payload", (unsigned long long)h.val));
			ann_raw(&a, 2, (size_t)h.val, "the certificate payload (annotated above)");
		} else {
			a.err = 1;
		}
	}
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "trust.bundle",
		  "**trust.bundle**: the authority, both clinic certificates, one revoked kid (the \"revoked clinic\" key)");
	ann_start(&a, vec_find(s, "trust.bundle"));
	ann_trust(&a, 0);
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.payload",
		  "The **entry payload**: index 0, signed-at, and the content of "
		  "`examples/entries/" EXAMPLE_ENTRY ".json`");
	ann_start(&a, vec_find(s, "example-entry.payload"));
	ann_entry_payload(&a, 0);
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.protected", "The **protected header** of clinic 1");
	ann_start(&a, vec_find(s, "example-entry.protected"));
	ann_protected(&a, 0, "clinic 1");
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.aad", "The **external AAD** of entry 0 (raw bytes, not CBOR)");
	ann_start(&a, vec_find(s, "example-entry.aad"));
	ann_aad(&a, 0, "previous entry hash: 32 zero bytes for entry 0");
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.sig-structure", "The **Sig_structure**, the exact bytes Ed25519 signs");
	ann_start(&a, vec_find(s, "example-entry.sig-structure"));
	ann_head(&a, 0, "array(4): Sig_structure");
	ann_any(&a, 1, "context");
	ann_head(&a, 1, "bytes(13): body_protected");
	ann_raw(&a, 2, 13, "protected header (above)");
	ann_head(&a, 1, cf("bytes(%d): external_aad", PHR_ENTRY_AAD_LEN));
	ann_raw(&a, 2, PHR_ENTRY_AAD_LEN, "external AAD (above)");
	{
		struct head h;
		if (peek(&a, &h)) {
			ann_head(&a, 1, cf("bytes(%llu): payload", (unsigned long long)h.val));
			ann_raw(&a, 2, (size_t)h.val, "entry payload (above)");
		} else {
			a.err = 1;
		}
	}
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.signature",
		  "The **signature**: Ed25519 (RFC 8032, pure) by clinic 1's key over the Sig_structure");
	ann_start(&a, vec_find(s, "example-entry.signature"));
	ann_raw(&a, 0, 64, "R || S");
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.cose", "The **COSE_Sign1** of the entry");
	ann_start(&a, vec_find(s, "example-entry.cose"));
	ann_sign1(&a, 0, "entry 0", "clinic 1", NULL);
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-entry.hash",
		  "The **entry hash**, BLAKE2b-256 of the COSE_Sign1 bytes: an entry 1 would carry it in its AAD");
	ann_start(&a, vec_find(s, "example-entry.hash"));
	ann_raw(&a, 0, 32, "BLAKE2b-256(COSE_Sign1)");
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example.body", "The **body**: record id 00 01 … 0f, one entry, clinic 1's certificate embedded");
	ann_start(&a, vec_find(s, "example.body"));
	ann_body(&a, 0);
	ann_render(&a, b);

	sb_printf(b, "\n");
	dump_item(s, b, "example-none.phr", "The **container** with compression 0 (none)");
	ann_start(&a, vec_find(s, "example-none.phr"));
	ann_container(&a, "none", 0, 0);
	ann_render(&a, b);
}

static void doc_example_compressed(const struct vec_set *s, struct sb *b)
{
	struct ann a;
	char name[64];
	for (int m = 1; m <= PHR_COMP_MAX; m++) {
		snprintf(name, sizeof(name), "example-%s.phr", method_suffix[m]);
		if (!vec_find(s, name))
			continue;
		if (m > 1)
			sb_printf(b, "\n");
		char title[160];
		snprintf(title, sizeof(title), "The same body, compression %d (%s)", m, method_suffix[m]);
		dump_item(s, b, name, title);
		ann_start(&a, vec_find(s, name));
		ann_container(&a, method_suffix[m], m, 0);
		ann_render(&a, b);
	}
	if (!s->have_dict)
		sb_printf(b, "\n> **TO BE FILLED** — the deflate-dict and zstd-dict containers of this example need\n"
			     "> dictionary v1, which is still empty in this tree. `make_vectors --doc docs/FORMAT.md`\n"
			     "> adds them once it is committed.\n");
}

static void doc_chain(const struct vec_set *s, struct sb *b)
{
	struct ann a;
	char name[96];
	snprintf(name, sizeof(name), "record-%s.entry1.aad", CHAIN_RECORD);
	dump_item(s, b, name,
		  "The external AAD of **entry 1** of `record-" CHAIN_RECORD "` (the assessment by clinic 1, "
		  "then `" DEFAULT_FOLLOW_UP "` by clinic 2)");
	ann_start(&a, vec_find(s, name));
	ann_aad(&a, 0, "BLAKE2b-256 of entry 0's COSE_Sign1 bytes");
	ann_render(&a, b);
}

static void doc_invalid(const struct vec_set *s, struct sb *b)
{
	char hex[2 * PHR_VERSION_ID_LEN + 1];
	const struct vec_item *v = vec_find(s, "example.version-id");
	if (!v || v->len != PHR_VERSION_ID_LEN) {
		b->err = 1;
		return;
	}
	hex_of(v->data, v->len, hex);
	sb_printf(b, "The version id of the worked example (`example.version-id`), the same for `example-none.phr`, "
		     "`example-deflate.phr`, `example-deflate-dict.phr` and `example-zstd-dict.phr`:\n\n```text\n%.32s  "
		     "# record id\n%.64s  # BLAKE2b-256 of entry 0's COSE_Sign1\n```\n\n",
		  hex, hex + 32);
	sb_printf(b, "| vector | what is wrong | `phr_record_decode` (or, for codes, `phr_assembler_container`) |\n"
		     "|---|---|---|\n");
	for (size_t i = 0; i < vec_ninvalid; i++)
		sb_printf(b, "| `%s` | %s | `%s`, \"…%s…\" |\n", vec_invalid[i].name, vec_invalid[i].what,
			  vec_invalid[i].rc_name, vec_invalid[i].message);
}

static void doc_chunks(const struct vec_set *s, struct sb *b)
{
	const struct vec_item *c = vec_find(s, "example-none.phr");
	struct phr_chunk_plan p;
	if (!c || phr_chunk_plan(c->len, PHR_CHUNK_BASE45, PHR_ECC_M, CHUNK_MAX_VERSION, CHUNK_PARITY, &p)) {
		b->err = 1;
		return;
	}
	sb_printf(b,
		  "The container is `example-none.phr` of the [worked example](#worked-example), %zu bytes. "
		  "`phr_chunk_plan(%zu, PHR_CHUNK_BASE45, PHR_ECC_M, %d, %d)` — QR codes of at most version %d at "
		  "level M, which holds %zu alphanumeric characters, and one parity code — gives k = %u: one code would "
		  "need %zu characters. L = ⌈%zu / %u⌉ = %zu, so data code 1 ends in %zu byte%s of zero padding; each "
		  "code is %d + %zu + %d = %zu bytes, %zu characters with the prefix, a version %d symbol.\n\n",
		  c->len, c->len, CHUNK_MAX_VERSION, CHUNK_PARITY, CHUNK_MAX_VERSION,
		  phr_qr_capacity(CHUNK_MAX_VERSION, PHR_ECC_M, PHR_CHUNK_BASE45), p.k,
		  PHR_CHUNK_PREFIX_LEN + phr_base45_encoded_len(PHR_CHUNK_HEADER + c->len + PHR_CHUNK_CRC), c->len, p.k,
		  p.data_len, p.k * p.data_len - c->len, p.k * p.data_len - c->len == 1 ? "" : "s", PHR_CHUNK_HEADER,
		  p.data_len, PHR_CHUNK_CRC, PHR_CHUNK_HEADER + p.data_len + PHR_CHUNK_CRC, p.payload_len, p.version);
	for (unsigned i = 0; i < p.k + p.m; i++) {
		char name[64], title[160];
		struct ann a;
		snprintf(name, sizeof(name), "example-chunk-%u", i);
		const struct vec_item *it = vec_find(s, name);
		if (!it) {
			b->err = 1;
			return;
		}
		size_t l = p.data_len, start = (size_t)i * l;
		snprintf(title, sizeof(title), "**Code %u of %u** (index %u, %s)", i + 1, p.k + p.m, i,
			 i < p.k ? "data" : "parity");
		if (i)
			sb_printf(b, "\n");
		dump_item(s, b, name, title);
		ann_start(&a, it);
		ann_raw(&a, 0, 1, "version 1");
		ann_raw(&a, 0, 4, "record id, first 4 bytes");
		ann_raw(&a, 0, 4, "container tag: BLAKE2b-256(container), first 4 bytes");
		ann_raw(&a, 0, 1, cf("index %u", i));
		ann_raw(&a, 0, 1, cf("k = %u data codes", p.k));
		ann_raw(&a, 0, 1, cf("m = %u parity code%s", p.m, p.m == 1 ? "" : "s"));
		ann_raw(&a, 0, 3, cf("container length %zu", c->len));
		if (i < p.k && start + l > c->len) {
			ann_raw(&a, 0, c->len - start, cf("container bytes %zu..%zu", start, c->len - 1));
			ann_raw(&a, 0, start + l - c->len, "zero padding");
		} else if (i < p.k) {
			ann_raw(&a, 0, l, cf("container bytes %zu..%zu", start, start + l - 1));
		} else {
			ann_raw(&a, 0, l, cf("parity symbol %u of each byte position", i - p.k));
		}
		ann_raw(&a, 0, 4, cf("CRC-32 of the %zu bytes above, big-endian", PHR_CHUNK_HEADER + l));
		ann_render(&a, b);
		snprintf(name, sizeof(name), "example-chunk-%u.qr", i);
		it = vec_find(s, name);
		if (!it) {
			b->err = 1;
			return;
		}
		sb_printf(b, "\nIts QR payload, `\"PH1:\"` + Base45 — `tests/vectors/expected/%s.hex`, %zu characters, "
			     "one line (cut here into quoted pieces of 64):\n\n```text\n",
			  name, it->len);
		for (size_t o = 0; o < it->len; o += 64)
			sb_printf(b, "\"%.*s\"\n", (int)(it->len - o < 64 ? it->len - o : 64), (const char *)it->data + o);
		sb_printf(b, "```\n");
	}
}

char *vec_doc_render(const struct vec_set *s, const char *name)
{
	struct sb b = { 0 };
	if (!strcmp(name, "keys"))
		doc_keys(s, &b);
	else if (!strcmp(name, "dictionary"))
		doc_dictionary(s, &b);
	else if (!strcmp(name, "limits"))
		doc_limits(s, &b);
	else if (!strcmp(name, "content-cddl"))
		doc_content_cddl(s, &b);
	else if (!strcmp(name, "example"))
		doc_example(s, &b);
	else if (!strcmp(name, "example-compressed"))
		doc_example_compressed(s, &b);
	else if (!strcmp(name, "chain"))
		doc_chain(s, &b);
	else if (!strcmp(name, "qr-chunks"))
		doc_chunks(s, &b);
	else if (!strcmp(name, "invalid"))
		doc_invalid(s, &b);
	else
		b.err = 1;
	return sb_take(&b);
}

bool vec_doc_find(const char *doc, const char *name, size_t *start, size_t *end)
{
	char begin[128], fin[128];
	snprintf(begin, sizeof(begin), "<!-- make_vectors:begin %s -->\n", name);
	snprintf(fin, sizeof(fin), "<!-- make_vectors:end %s -->", name);
	const char *b = strstr(doc, begin);
	if (!b)
		return false;
	const char *e = strstr(b, fin);
	if (!e)
		return false;
	*start = (size_t)(b - doc) + strlen(begin);
	*end = (size_t)(e - doc);
	return true;
}
