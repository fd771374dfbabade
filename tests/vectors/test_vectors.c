/* test_vectors: the committed golden vectors (tests/vectors/expected) are
 * exactly what the code produces today, they decode and verify, the
 * example's QR codes restore its container, and the generated blocks of
 * docs/FORMAT.md are current.
 *
 * Compressed containers depend on the zlib / libzstd version: when the
 * running version differs from the one in expected/versions.txt, their
 * bytes are not compared (the test says so) but every committed container
 * must still decode to its committed body and verify. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "phr/base45.h"
#include "phr/chunk.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"
#include "phr/verify.h"
#include "vectors.h"

static int passed, failed, skipped;
static const char *root;
static char expected_dir[1024];

static void fail(const char *fmt, ...) PHR_PRINTF(1, 2);
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	failed++;
}

static void skip(const char *fmt, ...) PHR_PRINTF(1, 2);
static void skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("SKIP ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	skipped++;
}

static void pass(void)
{
	passed++;
}

/* Reads expected/<name>.hex. NULL (and a failure) if missing or malformed. */
static uint8_t *load(const char *name, size_t *len)
{
	char path[1200];
	size_t tl;
	uint8_t *out;
	snprintf(path, sizeof(path), "%s/%s.hex", expected_dir, name);
	char *text = vec_read_file(path, &tl);
	if (!text) {
		fail("%s.hex: missing (run make_vectors --update tests/vectors/expected)", name);
		return NULL;
	}
	if (vec_unhex_file(text, tl, &out, len)) {
		fail("%s.hex: not lowercase hex in lines of 64 digits, each ending in a newline", name);
		free(text);
		return NULL;
	}
	free(text);
	return out;
}

static int first_diff(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t *off)
{
	size_t m = an < bn ? an : bn;
	for (size_t i = 0; i < m; i++)
		if (a[i] != b[i]) {
			*off = i;
			return 1;
		}
	*off = m;
	return an != bn;
}

/* ---- versions ---- */

struct versions {
	char sodium[64], zlib[64], zstd[64], dict[256];
};

static int read_versions(struct versions *v)
{
	char path[1200];
	size_t len;
	memset(v, 0, sizeof(*v));
	snprintf(path, sizeof(path), "%s/versions.txt", expected_dir);
	char *t = vec_read_file(path, &len);
	if (!t)
		return -1;
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "libsodium ", 10))
			snprintf(v->sodium, sizeof(v->sodium), "%s", line + 10);
		else if (!strncmp(line, "zlib ", 5))
			snprintf(v->zlib, sizeof(v->zlib), "%s", line + 5);
		else if (!strncmp(line, "libzstd ", 8))
			snprintf(v->zstd, sizeof(v->zstd), "%s", line + 8);
		else if (!strncmp(line, "dictionary ", 11))
			snprintf(v->dict, sizeof(v->dict), "%s", line + 11);
	}
	free(t);
	return v->zlib[0] && v->zstd[0] && v->dict[0] ? 0 : -1;
}

/* The "dictionary ..." line the current tree would write. */
static void current_dict_line(const struct vec_set *s, char *out, size_t cap)
{
	char *v = vec_versions_text(s);
	char *d = v ? strstr(v, "\ndictionary ") : NULL;
	out[0] = '\0';
	if (d) {
		d += 12;
		char *nl = strchr(d, '\n');
		snprintf(out, cap, "%.*s", (int)(nl ? nl - d : (long)strlen(d)), d);
	}
	free(v);
}

/* ---- byte equality of every vector ---- */

static void check_items(const struct vec_set *s, bool zlib_same, bool zstd_same)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct vec_item *it = &s->item[i];
		size_t len, off;
		uint8_t *want = load(it->name, &len);
		if (!want)
			continue;
		bool same = it->kind == VEC_EXACT || (it->kind == VEC_ZLIB && zlib_same) || (it->kind == VEC_ZSTD && zstd_same);
		if (!same) {
			skip("%s: byte equality not checked (made with another %s); checked below that it decodes to its body",
			     it->name, it->kind == VEC_ZLIB ? "zlib" : "libzstd");
		} else if (first_diff(want, len, it->data, it->len, &off)) {
			fail("%s.hex: differs from what the code produces at offset %zu (committed %zu bytes, now %zu)",
			     it->name, off, len, it->len);
		} else {
			pass();
		}
		free(want);
	}
	/* no stale vectors */
	DIR *d = opendir(expected_dir);
	if (!d) {
		fail("cannot open %s", expected_dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".hex"))
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(l - 4), de->d_name);
		if (!vec_find(s, name))
			fail("%s: committed, but the generator no longer makes it (stale vector)", de->d_name);
	}
	closedir(d);
}

/* ---- keys, certificates, trust bundle ---- */

static struct phr_trust *check_pki(struct phr_pubkey *auth, struct phr_pubkey *clinic1)
{
	size_t len;
	uint8_t *b;
	struct phr_trust *t = NULL;
	struct phr_pubkey p[2];
	const char *pubs[2] = { "authority.pub", "clinic1.pub" };

	for (int i = 0; i < 2; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		if (!(b = load(pubs[i], &len)))
			return NULL;
		if (phr_pubkey_decode(b, len, &p[i]))
			fail("%s: does not decode: %s", pubs[i], phr_last_error());
		else
			pass();
		free(b);
	}
	*auth = p[0];
	*clinic1 = p[1];

	/* kid = BLAKE2b-256(pk)[0..8), computed here without the library */
	uint8_t h[32];
	crypto_generichash(h, sizeof(h), auth->pk, 32, NULL, 0);
	if (memcmp(h, auth->kid, PHR_KID_LEN))
		fail("authority kid is not the first 8 bytes of BLAKE2b-256 of its public key");
	else
		pass();

	if ((b = load("clinic1.key", &len))) {
		struct phr_seckey *k;
		if (phr_key_open(b, len, VEC_PASSPHRASE, strlen(VEC_PASSPHRASE), &k)) {
			fail("clinic1.key: does not open with \"%s\": %s", VEC_PASSPHRASE, phr_last_error());
		} else {
			if (memcmp(phr_seckey_public(k)->pk, clinic1->pk, PHR_PK_LEN))
				fail("clinic1.key: holds another key than clinic1.pub");
			else
				pass();
			phr_seckey_destroy(k);
		}
		if (phr_key_open(b, len, "wrong", 5, &k) != PHR_E_PASSPHRASE)
			fail("clinic1.key: opens with a wrong passphrase");
		else
			pass();
		phr_seckey_destroy(k);
		free(b);
	}

	for (int i = 1; i <= 2; i++) {
		char name[32];
		struct phr_cert c;
		snprintf(name, sizeof(name), "clinic%d.cert", i);
		if (!(b = load(name, &len)))
			continue;
		if (phr_cert_parse(b, len, &c) || phr_cert_verify(&c, auth->pk))
			fail("%s: does not parse and verify under authority.pub: %s", name, phr_last_error());
		else
			pass();
		free(b);
	}

	if ((b = load("trust.bundle", &len))) {
		if (phr_trust_load(b, len, &t))
			fail("trust.bundle: does not load: %s", phr_last_error());
		else if (memcmp(phr_trust_signer_kid(t), auth->kid, PHR_KID_LEN))
			fail("trust.bundle: not signed by authority.pub");
		else
			pass();
		free(b);
	}
	return t;
}

/* ---- containers ---- */

static int method_of(const char *name, char *base, size_t cap)
{
	static const char *const suffix[] = { "-none.phr", "-deflate.phr", "-deflate-dict.phr", "-zstd-dict.phr" };
	size_t l = strlen(name);
	for (int m = PHR_COMP_MAX; m >= 0; m--) {
		size_t sl = strlen(suffix[m]);
		if (l > sl && !strcmp(name + l - sl, suffix[m])) {
			snprintf(base, cap, "%.*s", (int)(l - sl), name);
			return m;
		}
	}
	return -1;
}

static void check_container(const char *name, const struct phr_trust *t)
{
	char base[256], bodyname[300];
	size_t len, blen, off;
	int m = method_of(name, base, sizeof(base));
	uint8_t *c = load(name, &len), *body = NULL, *got = NULL;
	struct phr_record *r = NULL;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	snprintf(bodyname, sizeof(bodyname), "%s.body", base);
	if (!c || !rep || m < 0 || !(body = load(bodyname, &blen)))
		goto out;
	if (len < PHR_CONTAINER_HEADER || c[0] != PHR_CONTAINER_VERSION || c[1] != m ||
	    ((size_t)c[2] << 16 | (size_t)c[3] << 8 | c[4]) != blen) {
		fail("%s: header is not version 1, compression %d, body length %zu", name, m, blen);
		goto out;
	}
	if (phr_decompress(m, c + PHR_CONTAINER_HEADER, len - PHR_CONTAINER_HEADER, blen, &got)) {
		fail("%s: does not decompress: %s", name, phr_last_error());
		goto out;
	}
	if (first_diff(got, blen, body, blen, &off)) {
		fail("%s: decompresses to bytes that differ from %s at offset %zu", name, bodyname, off);
		goto out;
	}
	if (phr_record_decode(c, len, &r)) {
		fail("%s: does not decode: %s", name, phr_last_error());
		goto out;
	}
	phr_verify_record(r, t, rep);
	if (!rep->all_valid) {
		for (size_t i = 0; i < rep->n; i++)
			if (rep->entries[i].status != PHR_ST_VALID)
				fail("%s: entry %zu is %s against trust.bundle: %s", name, i,
				     phr_status_name(rep->entries[i].status), rep->entries[i].detail);
		goto out;
	}
	phr_verify_record(r, NULL, rep);
	for (size_t i = 0; i < rep->n; i++)
		if (rep->entries[i].status != PHR_ST_SIGNATURE_ONLY) {
			fail("%s: entry %zu is %s without a trust bundle (expected signature_only)", name, i,
			     phr_status_name(rep->entries[i].status));
			goto out;
		}
	pass();
out:
	phr_record_destroy(r);
	free(rep);
	free(c);
	free(body);
	free(got);
}

static void check_containers(const struct phr_trust *t)
{
	DIR *d = opendir(expected_dir);
	if (!d)
		return;
	struct dirent *de;
	char *names[VEC_MAX_ITEMS];
	size_t n = 0;
	while ((de = readdir(d)) && n < VEC_MAX_ITEMS) {
		size_t l = strlen(de->d_name);
		if (l > 8 && !strcmp(de->d_name + l - 8, ".phr.hex"))
			names[n++] = strndup(de->d_name, l - 4);
	}
	closedir(d);
	if (n == 0)
		fail("no committed containers in %s", expected_dir);
	for (size_t i = 0; i < n; i++) {
		check_container(names[i], t);
		free(names[i]);
	}
}

/* ---- JSON round trips of the entry contents ---- */

static bool json_same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v) {
			json_t *w = json_object_get(b, k);
			if (!w || !json_same(v, w))
				return false;
		}
		return true;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_same(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

static void check_json(const struct vec_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *n = s->item[i].name;
		size_t l = strlen(n), len, tl, clen, off;
		if (strncmp(n, "entry-", 6) || l < 11 || strcmp(n + l - 5, ".cbor"))
			continue;
		char path[1200], base[128];
		snprintf(base, sizeof(base), "%.*s", (int)(l - 11), n + 6);
		snprintf(path, sizeof(path), "%s/examples/%s.json", root, base);
		char *text = vec_read_file(path, &tl);
		if (!text) {
			snprintf(path, sizeof(path), "%s/examples/entries/%s.json", root, base);
			text = vec_read_file(path, &tl);
		}
		uint8_t *cbor = load(n, &len), *again = NULL;
		json_t *orig = text ? json_loadb(text, tl, 0, NULL) : NULL, *dec = NULL;
		if (!text || !orig)
			fail("%s: example JSON for %s not found", n, base);
		else if (!cbor)
			; /* reported by load() */
		else if (phr_entry_decode_json(cbor, len, &dec))
			fail("%s: does not decode to JSON: %s", n, phr_last_error());
		else if (!json_same(orig, dec))
			fail("%s: decodes to JSON different from %s", n, path);
		else if (phr_entry_encode_json(dec, &again, &clen))
			fail("%s: decoded JSON does not encode again: %s", n, phr_last_error());
		else if (first_diff(again, clen, cbor, len, &off))
			fail("%s: JSON round trip changes the CBOR at offset %zu", n, off);
		else
			pass();
		json_decref(orig);
		json_decref(dec);
		free(text);
		free(cbor);
		free(again);
	}
}

/* ---- the worked example, checked from the committed files alone ---- */

static void check_example(const struct phr_pubkey *clinic1)
{
	static const char *const names[] = { "example-entry.protected", "example-entry.aad", "example-entry.payload",
		"example-entry.sig-structure", "example-entry.signature", "example-entry.cose", "example-entry.hash" };
	uint8_t *v[7] = { 0 };
	size_t n[7];
	int ok = 1;
	for (int i = 0; i < 7; i++)
		if (!(v[i] = load(names[i], &n[i])))
			ok = 0;
	if (!ok)
		goto out;
	uint8_t h[32], want[1024];
	size_t w = 0;
	/* protected header: a2 01 27 04 48 || kid */
	crypto_generichash(h, sizeof(h), clinic1->pk, 32, NULL, 0);
	memcpy(want, "\xa2\x01\x27\x04\x48", 5);
	memcpy(want + 5, h, 8);
	if (n[0] != 13 || memcmp(v[0], want, 13)) {
		fail("example-entry.protected is not a2 01 27 04 48 || kid(clinic1.pub)");
		goto out;
	}
	/* AAD: "phr/entry" || 00..0f || 32 zero bytes */
	memcpy(want, "phr/entry", 9);
	for (int i = 0; i < 16; i++)
		want[9 + i] = (uint8_t)i;
	memset(want + 25, 0, 32);
	if (n[1] != 57 || memcmp(v[1], want, 57)) {
		fail("example-entry.aad is not \"phr/entry\" || record id || 32 zero bytes");
		goto out;
	}
	/* Sig_structure = 84 6a "Signature1" 4d prot 58 39 aad 58 <len> payload */
	if (n[2] < 24 || n[2] > 255) {
		fail("example-entry.payload: unexpected size %zu", n[2]);
		goto out;
	}
	w = 0;
	want[w++] = 0x84;
	want[w++] = 0x6a;
	memcpy(want + w, "Signature1", 10);
	w += 10;
	want[w++] = 0x4d;
	memcpy(want + w, v[0], 13);
	w += 13;
	want[w++] = 0x58;
	want[w++] = 57;
	memcpy(want + w, v[1], 57);
	w += 57;
	want[w++] = 0x58;
	want[w++] = (uint8_t)n[2];
	memcpy(want + w, v[2], n[2]);
	w += n[2];
	if (n[3] != w || memcmp(v[3], want, w)) {
		fail("example-entry.sig-structure is not [\"Signature1\", protected, aad, payload]");
		goto out;
	}
	if (n[4] != 64 || crypto_sign_verify_detached(v[4], v[3], n[3], clinic1->pk) != 0) {
		fail("example-entry.signature does not verify over the Sig_structure under clinic1.pub");
		goto out;
	}
	/* COSE_Sign1 = 84 4d prot a0 58 <len> payload 58 40 sig */
	w = 0;
	want[w++] = 0x84;
	want[w++] = 0x4d;
	memcpy(want + w, v[0], 13);
	w += 13;
	want[w++] = 0xa0;
	want[w++] = 0x58;
	want[w++] = (uint8_t)n[2];
	memcpy(want + w, v[2], n[2]);
	w += n[2];
	want[w++] = 0x58;
	want[w++] = 0x40;
	memcpy(want + w, v[4], 64);
	w += 64;
	if (n[5] != w || memcmp(v[5], want, w)) {
		fail("example-entry.cose is not [protected, {}, payload, signature]");
		goto out;
	}
	crypto_generichash(h, sizeof(h), v[5], n[5], NULL, 0);
	if (n[6] != 32 || memcmp(v[6], h, 32)) {
		fail("example-entry.hash is not BLAKE2b-256 of example-entry.cose");
		goto out;
	}
	pass();
out:
	for (int i = 0; i < 7; i++)
		free(v[i]);
}

/* ---- the QR chunks of the worked example, from the committed files ---- */

static void check_chunks(void)
{
	uint8_t *c = NULL, *chunk[3] = { 0 }, *qr[3] = { 0 };
	size_t clen = 0, n[3], qn[3];
	int ok = 1;
	if (!(c = load("example-none.phr", &clen)))
		ok = 0;
	for (int i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof(name), "example-chunk-%d", i);
		if (!(chunk[i] = load(name, &n[i])))
			ok = 0;
		snprintf(name, sizeof(name), "example-chunk-%d.qr", i);
		if (!(qr[i] = load(name, &qn[i])))
			ok = 0;
	}
	if (!ok)
		goto out;
	/* each payload is "PH1:" + Base45 of its chunk */
	for (int i = 0; i < 3; i++) {
		uint8_t back[PHR_MAX_QR_PAYLOAD];
		size_t bn;
		if (qn[i] < 4 || memcmp(qr[i], "PH1:", 4) ||
		    phr_base45_decode((const char *)qr[i] + 4, qn[i] - 4, back, sizeof(back), &bn) || bn != n[i] ||
		    memcmp(back, chunk[i], bn)) {
			fail("example-chunk-%d.qr is not \"PH1:\" + Base45 of example-chunk-%d", i, i);
			goto out;
		}
	}
	/* any two of the three codes restore example-none.phr; one does not */
	for (int drop = 0; drop < 3; drop++) {
		struct phr_assembler *a = NULL;
		uint8_t *out = NULL;
		size_t olen = 0;
		int rc = phr_assembler_new(&a);
		for (int i = 0; i < 3 && rc == PHR_OK; i++)
			if (i != drop)
				rc = phr_assembler_add(a, qr[i], qn[i], NULL, NULL);
		if (rc == PHR_OK)
			rc = phr_assembler_container(a, 0, &out, &olen);
		if (rc != PHR_OK || olen != clen || memcmp(out, c, clen))
			fail("example-chunk-*.qr without code %d do not restore example-none.phr: %s", drop + 1,
			     rc ? phr_last_error() : "other bytes");
		else
			pass();
		free(out);
		phr_assembler_free(a);
		if (phr_assembler_new(&a) == PHR_OK && phr_assembler_add(a, qr[drop], qn[drop], NULL, NULL) == PHR_OK &&
		    phr_assembler_container(a, 0, &out, &olen) == PHR_E_INCOMPLETE)
			pass();
		else
			fail("example-chunk-%d.qr alone is not reported incomplete", drop);
		phr_assembler_free(a);
	}
out:
	free(c);
	for (int i = 0; i < 3; i++) {
		free(chunk[i]);
		free(qr[i]);
	}
}

/* ---- docs/FORMAT.md ---- */

static void check_doc(const struct vec_set *s, bool zlib_same, bool zstd_same)
{
	char path[1200];
	size_t len;
	snprintf(path, sizeof(path), "%s/docs/FORMAT.md", root);
	char *doc = vec_read_file(path, &len);
	if (!doc) {
		fail("docs/FORMAT.md: missing");
		return;
	}
	for (size_t i = 0; i < vec_doc_nblocks; i++) {
		const char *name = vec_doc_blocks[i].name;
		size_t start, end;
		if (!vec_doc_find(doc, name, &start, &end)) {
			fail("docs/FORMAT.md: generated block '%s' is missing", name);
			continue;
		}
		if (vec_doc_blocks[i].kind != VEC_EXACT && !(zlib_same && zstd_same)) {
			skip("docs/FORMAT.md block '%s': shows compressed bytes of other library versions", name);
			continue;
		}
		char *want = vec_doc_render(s, name);
		if (!want) {
			fail("docs/FORMAT.md block '%s': cannot be rendered", name);
			continue;
		}
		size_t wl = strlen(want), off;
		if (first_diff((const uint8_t *)doc + start, end - start, (const uint8_t *)want, wl, &off)) {
			size_t line = 1;
			for (size_t k = 0; k < start + off; k++)
				line += doc[k] == '\n';
			fail("docs/FORMAT.md block '%s' is out of date from line %zu: run make_vectors --doc docs/FORMAT.md",
			     name, line);
		} else {
			pass();
		}
		free(want);
	}
	free(doc);
}

int main(void)
{
	struct versions v;
	struct vec_set *s = calloc(1, sizeof(*s));
	struct phr_pubkey auth, clinic1;
	char dline[300];

	if (vec_rng_install() != 0 || !s) {
		printf("FAIL cannot start\n");
		return 1;
	}
	root = getenv("PHR_SOURCE_ROOT");
	if (!root)
		root = ".";
	snprintf(expected_dir, sizeof(expected_dir), "%s/tests/vectors/expected", root);
	if (vec_generate(root, s)) {
		printf("FAIL the generator failed (see above)\n0 passed, 1 failed\n");
		return 1;
	}
	if (read_versions(&v)) {
		printf("FAIL %s/versions.txt is missing or incomplete\n0 passed, 1 failed\n", expected_dir);
		return 1;
	}
	bool zlib_same = !strcmp(v.zlib, vec_zlib_version());
	bool zstd_same = !strcmp(v.zstd, vec_zstd_version());
	printf("vectors made with libsodium %s, zlib %s, libzstd %s\n", v.sodium, v.zlib, v.zstd);
	printf("running with      libsodium %s, zlib %s, libzstd %s\n", sodium_version_string(), vec_zlib_version(),
	       vec_zstd_version());
	if (!zstd_same)
		printf("libzstd differs: zstd-dict containers are checked by decoding only\n");
	if (!zlib_same)
		printf("zlib differs: deflate containers are checked by decoding only\n");

	current_dict_line(s, dline, sizeof(dline));
	if (strcmp(dline, v.dict)) {
		if (!strstr(v.dict, " none") && s->have_dict)
			fail("dictionary v1 changed since the vectors were made (%s, now %s): containers of methods 2 and 3 "
			     "made with the old one no longer decode; a new dictionary needs a new method id",
			     v.dict, dline);
		else
			fail("dictionary v1 is %s, vectors were made with %s: run make_vectors --update "
			     "tests/vectors/expected --doc docs/FORMAT.md",
			     dline, v.dict);
	} else {
		pass();
	}
	if (!s->have_dict)
		skip("dictionary v1 is empty: no deflate-dict or zstd-dict vectors");

	check_items(s, zlib_same, zstd_same);
	struct phr_trust *t = check_pki(&auth, &clinic1);
	if (t)
		check_containers(t);
	check_json(s);
	check_example(&clinic1);
	check_chunks();
	check_doc(s, zlib_same, zstd_same);
	phr_trust_destroy(t);
	vec_free(s);
	free(s);

	printf("%d passed, %d failed", passed, failed);
	if (skipped)
		printf(", %d skipped", skipped);
	printf("\n");
	return failed ? 1 : 0;
}
