/* Writes the seed corpus of every fuzz target: valid examples made through
 * the real API from fixed keys (fuzz.h), and hand-made edge cases (empty,
 * truncated, non-canonical, over the limits, badly signed).
 *
 *   make_seeds SOURCE_ROOT OUT_DIR
 *
 * reads SOURCE_ROOT/examples/ and writes OUT_DIR/<target>/seed-* and edge-*.
 * Everything is deterministic except key files (Argon2 salt and nonce are
 * random): an existing key file that still opens to the same key is kept,
 * and a file whose bytes would not change is not written again, so a rerun
 * changes only the seeds whose format changed. Not a test: run it by hand when the formats change, then grow the
 * corpus with libFuzzer (README.md).
 */
#include "fuzz.h"
#include "phr/seal.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include <jpeglib.h> /* after stdio.h */
#include <png.h>
#include <setjmp.h>

#include "phr/base45.h"
#include "phr/card.h"
#include "phr/cbor.h"
#include "phr/chunk.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/document.h"

#include "docgen.h"

static const char *out_dir;
static int failures;
static size_t written, unchanged;

static _Noreturn void die(const char *what, int rc)
{
	fprintf(stderr, "make_seeds: %s: %s (%s)\n", what, phr_strerror(rc), phr_last_error());
	exit(1);
}

/* The file at path holds exactly p[0..n). */
static bool same_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t buf[4096];
	size_t off = 0, k;
	bool same = true;
	while (same && (k = fread(buf, 1, sizeof(buf), f)) > 0) {
		same = off + k <= n && memcmp(buf, (const uint8_t *)p + off, k) == 0;
		off += k;
	}
	same = same && !ferror(f) && off == n;
	fclose(f);
	return same;
}

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "make_seeds: mkdir %s: %s\n", path, strerror(errno));
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	if (same_bytes(path, p, n)) { /* left as it is: a rerun changes only what changed */
		unchanged++;
		return;
	}
	if (!(f = fopen(path, "wb")) || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "make_seeds: write %s: %s\n", path, strerror(errno));
		failures++;
		return;
	}
	written++;
}

/* Also writes the first half (a truncated copy) as edge-trunc-<name>. */
static void put_and_truncated(const char *target, const char *name, const void *p, size_t n)
{
	char tn[300];
	put(target, name, p, n);
	snprintf(tn, sizeof(tn), "edge-trunc-%s", name + (strncmp(name, "seed-", 5) == 0 ? 5 : 0));
	put(target, tn, p, n / 2);
}

static void put_hex(const char *target, const char *name, const char *hex)
{
	uint8_t buf[256];
	size_t n = 0;
	for (const char *h = hex; h[0] && h[1] && n < sizeof(buf);) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			break;
		buf[n++] = (uint8_t)v;
		h += 2;
	}
	put(target, name, buf, n);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "make_seeds: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Copy of p with the first head (a map or array of < 24 items) written in a
 * two-byte, non-shortest form: the same value, not deterministic CBOR. */
static uint8_t *noncanonical(const uint8_t *p, size_t n, size_t *len)
{
	uint8_t *q = malloc(n + 1);
	if (!q || n == 0 || (p[0] & 0x1f) >= 24)
		die("noncanonical: unexpected head", PHR_E_ARG);
	q[0] = (uint8_t)((p[0] & 0xe0) | 24);
	q[1] = p[0] & 0x1f;
	memcpy(q + 2, p + 1, n - 1);
	*len = n + 1;
	return q;
}

/* Methods with a dictionary need one built in (docs/format/phr-dict-v1.bin); a build
 * without it cannot make their seeds, and says so. */
static int have_method(int m)
{
	uint8_t *c = NULL;
	size_t n;
	int rc = phr_compress(m, (const uint8_t *)"x", 1, &c, &n);
	free(c);
	if (rc == PHR_E_VERSION) {
		static int told[PHR_COMP_MAX + 1];
		if (!told[m]++)
			fprintf(stderr, "make_seeds: skipping %s seeds: %s\n", phr_compression_name(m), phr_last_error());
		return 0;
	}
	return 1;
}

/* ---- examples ------------------------------------------------------------- */

#define MAX_EXAMPLES 16

struct example {
	char name[128]; /* file name without .json */
	char *text;
	size_t text_len;
	uint8_t *cbor;
	size_t cbor_len;
};

static int is_json(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

static size_t load_examples(const char *dir, struct example *ex, size_t max)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_json, alphasort);
	size_t k = 0;
	if (n < 0) {
		fprintf(stderr, "make_seeds: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		char path[1024];
		if (k < max) {
			struct example *e = &ex[k++];
			snprintf(e->name, sizeof(e->name), "%.*s", (int)(strlen(names[i]->d_name) - 5), names[i]->d_name);
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			e->text = (char *)read_file(path, &e->text_len);
			int rc = phr_entry_parse_text(e->text, e->text_len, &e->cbor, &e->cbor_len);
			if (rc)
				die(path, rc);
		}
		free(names[i]);
	}
	free(names);
	if (k == 0) {
		fprintf(stderr, "make_seeds: no examples in %s\n", dir);
		exit(1);
	}
	return k;
}

/* ---- records -------------------------------------------------------------- */

struct spec {
	int clinic;  /* 0..3: FUZZ_CLINIC_1 + clinic */
	int embed;   /* embed the clinic's certificate */
	const struct example *content;
	uint64_t signed_at;
};

static struct phr_record *make_record(const struct fuzz_keys *k, uint8_t id_byte, const struct spec *s, size_t n)
{
	uint8_t id[PHR_RECORD_ID_LEN];
	struct phr_record *r;
	int rc;
	memset(id, id_byte, sizeof(id));
	if ((rc = phr_record_create(id, &r)))
		die("record create", rc);
	for (size_t i = 0; i < n; i++)
		if ((rc = phr_record_append(r, k->key[FUZZ_CLINIC_1 + s[i].clinic],
					    s[i].embed ? k->cert[s[i].clinic] : NULL, k->cert_len[s[i].clinic],
					    s[i].content->cbor, s[i].content->cbor_len, s[i].signed_at)))
			die("record append", rc);
	return r;
}

/* Container bytes for a body. */
static uint8_t *container_of(int method, const uint8_t *body, size_t body_len, size_t *len)
{
	uint8_t *comp, *c;
	size_t comp_len;
	int rc;
	if ((rc = phr_compress(method, body, body_len, &comp, &comp_len)))
		die("compress", rc);
	if (!(c = malloc(comp_len + PHR_CONTAINER_HEADER)))
		die("malloc", PHR_E_NOMEM);
	c[0] = PHR_CONTAINER_VERSION;
	c[1] = (uint8_t)method;
	c[2] = (uint8_t)(body_len >> 16);
	c[3] = (uint8_t)(body_len >> 8);
	c[4] = (uint8_t)body_len;
	memcpy(c + PHR_CONTAINER_HEADER, comp, comp_len);
	free(comp);
	*len = comp_len + PHR_CONTAINER_HEADER;
	return c;
}

/* Body [id, entries of r in the given order (indexes, may repeat), certs of r]. */
static uint8_t *body_with(const struct phr_record *r, const size_t *order, size_t n, size_t *len)
{
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t need = 0;
	int rc;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, need);
		phr_cbor_put_array(&e, 3);
		phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, n);
		for (size_t i = 0; i < n; i++)
			phr_cbor_put_raw(&e, r->entries[order[i]].raw, r->entries[order[i]].raw_len);
		phr_cbor_put_array(&e, r->n_certs);
		for (size_t i = 0; i < r->n_certs; i++)
			phr_cbor_put_bytes(&e, r->certs[i], r->cert_lens[i]);
		if ((rc = phr_cbor_enc_finish(&e, &need)))
			die("body", rc);
		if (pass == 0 && !(buf = malloc(need)))
			die("malloc", PHR_E_NOMEM);
	}
	*len = need;
	return buf;
}

static void put_container(const char *name, int method, const uint8_t *body, size_t body_len)
{
	size_t n;
	if (!have_method(method))
		return;
	uint8_t *c = container_of(method, body, body_len, &n);
	put("container", name, c, n);
	free(c);
}

static void records(const struct fuzz_keys *k, const struct example *ex, size_t nex, const struct example *ent,
		    size_t nent)
{
	char name[300];
	uint8_t idb = 1;
	const struct example *ext0 = &ent[0], *ext1 = nent > 1 ? &ent[1] : &ent[0];

	for (size_t i = 0; i < nex; i++) {
		/* One entry; then the same extended by a clinic known only by its
		 * embedded certificate and by the first clinic again. */
		const struct spec one[1] = { { 0, 1, &ex[i], FUZZ_T0 } };
		const struct spec three[3] = { { 0, 1, &ex[i], FUZZ_T0 },
					       { 3, 1, ext0, FUZZ_T0 + FUZZ_DAY },
					       { 0, 1, ext1, FUZZ_T0 + 2 * FUZZ_DAY } };
		struct phr_record *r1 = make_record(k, idb++, one, 1), *r3 = make_record(k, idb++, three, 3);
		for (int m = 0; m <= PHR_COMP_MAX; m++) {
			uint8_t *c;
			size_t n;
			int rc;
			if (!have_method(m))
				continue;
			for (int which = 0; which < 2; which++) {
				if ((rc = phr_record_encode(which ? r3 : r1, m, &c, &n)))
					die("record encode", rc);
				snprintf(name, sizeof(name), "seed-%.100s-%d-%s", ex[i].name, which ? 3 : 1,
					 phr_compression_name(m));
				put("container", name, c, n);
				/* The same compressed body, as decompress input. */
				snprintf(name, sizeof(name), "seed-%.100s-%d-%s", ex[i].name, which ? 3 : 1,
					 phr_compression_name(m));
				put("decompress", name, c + 1, n - 1);
				free(c);
			}
		}
		uint8_t *body;
		size_t blen;
		if (phr_record_body(r3, &body, &blen))
			die("record body", PHR_E_ARG);
		snprintf(name, sizeof(name), "seed-body-%.100s", ex[i].name);
		put("cbor", name, body, blen);
		free(body);
		phr_record_destroy(r1);
		phr_record_destroy(r3);
	}

	/* Trust cases, one entry each: revoked clinic, revoked issuer, no
	 * embedded certificate (found in the bundle), signed after the
	 * certificate expired, signed before it was valid. */
	static const struct {
		const char *name;
		int clinic, embed;
		int64_t at;
	} cases[] = {
		{ "revoked-signer", 1, 1, 0 },
		{ "revoked-issuer", 2, 1, 0 },
		{ "cert-in-bundle", 0, 0, 0 },
		{ "unknown-signer", 3, 0, 0 },
		{ "expired", 0, 1, 400 * (int64_t)FUZZ_DAY },
		{ "not-yet-valid", 0, 1, -40 * (int64_t)FUZZ_DAY },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spec s[1] = { { cases[i].clinic, cases[i].embed, &ex[0],
					     (uint64_t)((int64_t)FUZZ_T0 + cases[i].at) } };
		struct phr_record *r = make_record(k, idb++, s, 1);
		uint8_t *c;
		size_t n;
		if (phr_record_encode(r, PHR_COMP_NONE, &c, &n))
			die("record encode", PHR_E_ARG);
		snprintf(name, sizeof(name), "seed-%s", cases[i].name);
		put("container", name, c, n);
		free(c);
		phr_record_destroy(r);
	}

	/* A longer chain, then broken in every way the verifier names. */
	struct spec chain[6];
	for (size_t i = 0; i < 6; i++)
		chain[i] = (struct spec){ (int)(i % 2 ? 3 : 0), 1, i ? &ent[i % nent] : &ex[0], FUZZ_T0 + i * FUZZ_DAY };
	struct phr_record *r = make_record(k, idb++, chain, 6);
	static const struct {
		const char *name;
		size_t order[6], n;
	} breaks[] = {
		{ "chain-6", { 0, 1, 2, 3, 4, 5 }, 6 },
		{ "chain-swapped", { 0, 2, 1, 3, 4, 5 }, 6 },
		{ "chain-missing", { 0, 1, 3, 4, 5 }, 5 },
		{ "chain-first-missing", { 1, 2, 3, 4, 5 }, 5 },
		{ "chain-repeated", { 0, 1, 1, 2, 3, 4 }, 6 },
		{ "chain-reversed", { 5, 4, 3, 2, 1, 0 }, 6 },
	};
	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		size_t blen;
		uint8_t *body = body_with(r, breaks[i].order, breaks[i].n, &blen);
		snprintf(name, sizeof(name), "seed-%s", breaks[i].name);
		put_container(name, PHR_COMP_NONE, body, blen);
		if (i == 0) {
			size_t nlen;
			uint8_t *nc = noncanonical(body, blen, &nlen);
			put_container("edge-noncanonical-body", PHR_COMP_NONE, nc, nlen);
			put_container("edge-noncanonical-body-zstd", PHR_COMP_ZSTD_DICT1, nc, nlen);
			free(nc);
			/* Header declares more, or less, than the body holds. */
			size_t n;
			uint8_t *c = container_of(PHR_COMP_DEFLATE, body, blen, &n);
			c[4] ^= 1;
			put("container", "edge-declared-off-by-one", c, n);
			free(c);
		}
		free(body);
	}
	/* Too many entries (PHR_MAX_ENTRIES + 1 copies of entry 0), and an
	 * entry whose COSE bytes are damaged (kept, shown as malformed). */
	{
		size_t order[PHR_MAX_ENTRIES + 1] = { 0 }, blen;
		uint8_t *body = body_with(r, order, PHR_MAX_ENTRIES + 1, &blen);
		put_container("edge-too-many-entries", PHR_COMP_DEFLATE, body, blen);
		free(body);
		size_t ord2[2] = { 0, 1 };
		body = body_with(r, ord2, 2, &blen);
		/* The last entry ends 64 signature bytes before the certificates;
		 * flipping a byte inside a bstr keeps the CBOR valid. */
		size_t at = 3 + PHR_RECORD_ID_LEN + r->entries[0].raw_len + 20;
		body[at] ^= 0x55;
		put_container("edge-damaged-entry-payload", PHR_COMP_NONE, body, blen);
		free(body);
	}
	phr_record_destroy(r);

	/* Hand-made headers. */
	put("container", "edge-empty", "", 0);
	put_hex("container", "edge-header-only", "01 00 00 00 00");
	put_hex("container", "edge-version-2", "02 00 00 00 01 80");
	put_hex("container", "edge-unknown-method", "01 04 00 00 01 80");
	put_hex("container", "edge-declared-huge", "01 00 ff ff ff 80");
	put_hex("container", "edge-body-empty-array", "01 00 00 00 01 80");
	put_hex("container", "edge-body-no-entries", "01 00 00 00 14 83 50 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 80");
}

/* ---- QR chunks ---------------------------------------------------------- */

/* A chunk target input: payloads, each a 2-byte big-endian length and its
 * bytes (fuzz_chunk.c). */
struct payloads {
	uint8_t *p;
	size_t n, cap;
};

static void add_payload(struct payloads *b, const uint8_t *p, size_t n)
{
	if (b->n + n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 2)
			cap *= 2;
		uint8_t *q = realloc(b->p, cap);
		if (!q)
			die("malloc", PHR_E_NOMEM);
		b->p = q;
		b->cap = cap;
	}
	b->p[b->n++] = (uint8_t)(n >> 8);
	b->p[b->n++] = (uint8_t)n;
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put_payloads(const char *name, struct payloads *b)
{
	put("chunk", name, b->p, b->n);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* The plan for a chosen k (phr_chunk_plan picks the smallest). */
static struct phr_chunk_plan plan_with_k(size_t len, int mode, unsigned k, unsigned m)
{
	struct phr_chunk_plan p = { .mode = mode, .ecc = PHR_ECC_M, .max_version = 40, .k = k, .m = m };
	p.data_len = (len + k - 1) / k;
	size_t chunk = PHR_CHUNK_HEADER + p.data_len + PHR_CHUNK_CRC;
	p.payload_len = PHR_CHUNK_PREFIX_LEN + (mode == PHR_CHUNK_BASE45 ? phr_base45_encoded_len(chunk) : chunk);
	p.version = phr_qr_version_for(p.payload_len, p.ecc, mode);
	return p;
}

static void split_or_die(const uint8_t *c, size_t len, int mode, unsigned k, unsigned m, struct phr_chunk_set *s)
{
	struct phr_chunk_plan p = plan_with_k(len, mode, k, m);
	int rc = phr_chunk_split(c, len, &p, s);
	if (rc)
		die("chunk split", rc);
}

/* Chunk bytes (header, data, CRC) in byte form. */
static void reseal_chunk(uint8_t *ch, size_t n)
{
	uLong c = crc32(crc32(0L, Z_NULL, 0), ch, (uInt)(n - 4));
	ch[n - 4] = (uint8_t)(c >> 24);
	ch[n - 3] = (uint8_t)(c >> 16);
	ch[n - 2] = (uint8_t)(c >> 8);
	ch[n - 1] = (uint8_t)c;
}

static void chunk_seeds(const struct fuzz_keys *k, const struct example *ex, const struct example *ent)
{
	const struct spec one[1] = { { 0, 1, &ex[0], FUZZ_T0 } };
	const struct spec small[1] = { { 0, 0, &ent[0], FUZZ_T0 } };
	struct phr_record *r1 = make_record(k, 0x51, one, 1), *r2 = make_record(k, 0x52, small, 1);
	uint8_t *c1, *c2;
	size_t l1, l2;
	int rc;
	if ((rc = phr_record_encode(r1, -1, &c1, &l1)) || (rc = phr_record_encode(r2, PHR_COMP_NONE, &c2, &l2)))
		die("record encode", rc);

	static const struct {
		const char *name;
		int which, mode;
		unsigned k, m;
	} sets[] = {
		{ "b45-3-2", 1, PHR_CHUNK_BASE45, 3, 2 }, { "bytes-2-1", 1, PHR_CHUNK_BYTES, 2, 1 },
		{ "b45-1-0", 2, PHR_CHUNK_BASE45, 1, 0 }, { "bytes-4-0", 2, PHR_CHUNK_BYTES, 4, 0 },
		{ "bytes-1-3", 2, PHR_CHUNK_BYTES, 1, 3 },
	};
	struct payloads b = { 0 };
	char name[128];
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct phr_chunk_set s;
		split_or_die(sets[i].which == 1 ? c1 : c2, sets[i].which == 1 ? l1 : l2, sets[i].mode, sets[i].k,
			     sets[i].m, &s);
		for (size_t j = 0; j < s.n; j++)
			add_payload(&b, s.payload[j], s.len[j]);
		snprintf(name, sizeof(name), "seed-%s-all", sets[i].name);
		put_payloads(name, &b);
		if (sets[i].m) {
			/* the first data codes lost, the rest read backwards */
			unsigned lost = sets[i].m < sets[i].k ? sets[i].m : sets[i].k;
			for (size_t j = s.n; j-- > lost;)
				add_payload(&b, s.payload[j], s.len[j]);
			snprintf(name, sizeof(name), "seed-%s-parity", sets[i].name);
			put_payloads(name, &b);
		}
		/* one short */
		for (size_t j = 1 + sets[i].m; j < s.n; j++)
			add_payload(&b, s.payload[j], s.len[j]);
		if (b.n) {
			snprintf(name, sizeof(name), "seed-%s-incomplete", sets[i].name);
			put_payloads(name, &b);
		}
		phr_chunk_set_free(&s);
	}

	/* two records mixed, with repeats; one damaged and one contradicting
	 * code */
	struct phr_chunk_set sa, sb;
	split_or_die(c1, l1, PHR_CHUNK_BASE45, 3, 1, &sa);
	split_or_die(c2, l2, PHR_CHUNK_BYTES, 2, 1, &sb);
	for (size_t j = 0; j < 4; j++) {
		add_payload(&b, sa.payload[j], sa.len[j]);
		if (j < 3)
			add_payload(&b, sb.payload[2 - j], sb.len[2 - j]);
	}
	add_payload(&b, sa.payload[1], sa.len[1]);
	put_payloads("seed-two-records", &b);

	uint8_t ch[PHR_MAX_QR_PAYLOAD + 8];
	size_t n = sb.len[0] - 4;
	memcpy(ch, sb.payload[0] + 4, n);
	uint8_t *pl = malloc(n + 4);
	if (!pl)
		die("malloc", PHR_E_NOMEM);
	memcpy(pl, "PH1\0", 4);
	memcpy(pl + 4, ch, n);
	pl[4 + 20] ^= 0x08; /* a flipped bit: checksum */
	add_payload(&b, pl, n + 4);
	add_payload(&b, sb.payload[1], sb.len[1]);
	add_payload(&b, sb.payload[2], sb.len[2]);
	put_payloads("edge-damaged-code", &b);
	reseal_chunk(pl + 4, n); /* the same, resealed: contradicts code 1 */
	add_payload(&b, sb.payload[0], sb.len[0]);
	add_payload(&b, pl, n + 4);
	add_payload(&b, sb.payload[1], sb.len[1]);
	put_payloads("edge-contradicting-code", &b);
	add_payload(&b, pl, n + 4);
	add_payload(&b, sb.payload[1], sb.len[1]);
	put_payloads("edge-wrong-tag", &b);

	/* each header field out of range, with a valid CRC */
	static const struct {
		const char *name;
		size_t at;
		uint8_t v;
	} f[] = {
		{ "edge-version-2", 0, 2 }, { "edge-k-0", 10, 0 },        { "edge-m-too-many", 11, 254 },
		{ "edge-index-out", 9, 3 }, { "edge-length-0", 12, 0 },    { "edge-length-over-max", 12, 0x02 },
		{ "edge-data-length", 10, 1 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		memcpy(pl + 4, ch, n);
		pl[4 + f[i].at] = f[i].v;
		if (f[i].at == 12 && f[i].v == 0)
			pl[4 + 13] = pl[4 + 14] = 0;
		reseal_chunk(pl + 4, n);
		add_payload(&b, pl, n + 4);
		put_payloads(f[i].name, &b);
	}
	/* padding that is not zero: the last data code of an uneven cut */
	{
		struct phr_chunk_set s;
		size_t odd = l2 % 2 ? l2 : l2 - 1;
		split_or_die(c2, l2, PHR_CHUNK_BYTES, 2, 0, &s);
		if (odd == l2) {
			uint8_t *q = malloc(s.len[1]);
			if (!q)
				die("malloc", PHR_E_NOMEM);
			memcpy(q, s.payload[1], s.len[1]);
			q[s.len[1] - 5] = 0x5a; /* the last data byte is padding */
			reseal_chunk(q + 4, s.len[1] - 4);
			add_payload(&b, s.payload[0], s.len[0]);
			add_payload(&b, q, s.len[1]);
			put_payloads("edge-padding-not-zero", &b);
			free(q);
		}
		phr_chunk_set_free(&s);
	}
	/* more sets than an assembler keeps: one-byte containers, one code each */
	for (int i = 0; i <= PHR_MAX_SETS; i++) {
		uint8_t one_code[PHR_CHUNK_PREFIX_LEN + PHR_CHUNK_HEADER + 1 + PHR_CHUNK_CRC] = { 'P', 'H', '1', 0, 1, 0x53,
			0x53, 0x53, 0x53, (uint8_t)i, 0, 0, 1, 0, 0, 0, 1, (uint8_t)i };
		reseal_chunk(one_code + 4, sizeof(one_code) - 4);
		add_payload(&b, one_code, sizeof(one_code));
	}
	put_payloads("edge-too-many-sets", &b);

	/* not ours, empty, short, bad Base45 */
	static const char *const foreign[] = { "HC1:6BFOXN%TS3DH0YOJ58S", "shc:/56762909524320603460", "", "PH1:",
					       "PH1:BB8b", "PH1:GGW" };
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		add_payload(&b, (const uint8_t *)foreign[i], strlen(foreign[i]));
	put_payloads("edge-not-ours-and-short", &b);
	put("chunk", "edge-empty", "", 0);

	free(pl);
	phr_chunk_set_free(&sa);
	phr_chunk_set_free(&sb);
	free(c1);
	free(c2);
	phr_record_destroy(r1);
	phr_record_destroy(r2);
}

/* ---- decompress edge cases ------------------------------------------------ */

static void decompress_edges(void)
{
	char name[64];
	/* A small declared size with data that expands far past it. */
	uint8_t *zeros = calloc(1, 65536);
	if (!zeros)
		die("malloc", PHR_E_NOMEM);
	for (int m = 0; m <= PHR_COMP_MAX; m++) {
		uint8_t *comp, *in;
		size_t clen;
		int rc;
		if (!have_method(m))
			continue;
		if ((rc = phr_compress(m, zeros, m == PHR_COMP_NONE ? 100 : 65536, &comp, &clen)))
			die("compress", rc);
		if (!(in = malloc(clen + 4)))
			die("malloc", PHR_E_NOMEM);
		in[0] = (uint8_t)m;
		in[1] = 0;
		in[2] = 0x03;
		in[3] = 0xe8; /* declared 1000 */
		memcpy(in + 4, comp, clen);
		snprintf(name, sizeof(name), "edge-bomb-%s", phr_compression_name(m));
		put("decompress", name, in, clen + 4);
		/* Declared exactly right: the largest valid output of the seeds. */
		in[1] = 0x01;
		in[2] = 0x00;
		in[3] = 0x00;
		snprintf(name, sizeof(name), "seed-zeros-64k-%s", phr_compression_name(m));
		if (m != PHR_COMP_NONE)
			put("decompress", name, in, clen + 4);
		/* Cut short. */
		snprintf(name, sizeof(name), "edge-cut-%s", phr_compression_name(m));
		put("decompress", name, in, 4 + clen / 2);
		free(in);
		free(comp);
		snprintf(name, sizeof(name), "edge-declared-0-%s", phr_compression_name(m));
		uint8_t empty[4] = { (uint8_t)m, 0, 0, 0 };
		put("decompress", name, empty, 4);
	}
	free(zeros);
	put_hex("decompress", "edge-declared-over-max", "00 04 00 01 00");
	put_hex("decompress", "edge-declared-max", "01 04 00 00 03 00");
	put_hex("decompress", "edge-method-4", "04 00 00 01 00");
	put_hex("decompress", "edge-method-minus-1", "ff 00 00 01 00");
	put("decompress", "edge-empty", "", 0);
	/* A zstd frame header asking for a 1 GiB window (magicless). */
	put_hex("decompress", "edge-zstd-window-1g", "03 00 10 00 00 90 00 00 00");
}

/* ---- keys, certificates, trust -------------------------------------------- */

/* {1: kind, 2: name, 3: country, 4: pk} (+ key file fields when kf). */
static void put_pub_fields(struct phr_cbor_enc *e, int kind, const char *name, const char *country, const uint8_t *pk)
{
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_uint(e, (uint64_t)kind);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_cstr(e, name);
	phr_cbor_put_uint(e, 3);
	phr_cbor_put_cstr(e, country);
	phr_cbor_put_uint(e, 4);
	phr_cbor_put_bytes(e, pk, PHR_PK_LEN);
}

/* A key file with arbitrary Argon2 limits (the ciphertext will not open). */
static void put_keyfile_raw(const char *name, const struct phr_pubkey *p, uint64_t ops, uint64_t mem)
{
	uint8_t buf[PHR_MAX_KEYFILE], z[48] = { 0 };
	struct phr_cbor_enc e;
	size_t len;
	phr_cbor_enc_init(&e, buf, sizeof(buf));
	phr_cbor_put_map(&e, 9);
	put_pub_fields(&e, p->kind, p->name, p->country, p->pk);
	phr_cbor_put_uint(&e, 5);
	phr_cbor_put_bytes(&e, z, 16);
	phr_cbor_put_uint(&e, 6);
	phr_cbor_put_uint(&e, ops);
	phr_cbor_put_uint(&e, 7);
	phr_cbor_put_uint(&e, mem);
	phr_cbor_put_uint(&e, 8);
	phr_cbor_put_bytes(&e, z, 24);
	phr_cbor_put_uint(&e, 9);
	phr_cbor_put_bytes(&e, z, 48);
	if (phr_cbor_enc_finish(&e, &len))
		die("key file", PHR_E_BUFFER);
	put("keyfile", name, buf, len);
}

/* k sealed under pass (Argon2id at 1 pass, 8 MiB) as .key file bytes:
 * those of the file already at target/name when it opens under pass to
 * this very key (a seal is random: sealed again, the bytes would differ
 * for nothing), else a new seal. */
static int key_file_bytes(const char *target, const char *name, const struct phr_seckey *k, const char *pass,
			  uint8_t **b, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	FILE *f = fopen(path, "rb");
	if (f) {
		uint8_t buf[PHR_MAX_KEYFILE];
		size_t len = fread(buf, 1, sizeof(buf), f);
		struct phr_seckey *old = NULL;
		fclose(f);
		if (phr_key_open(buf, len, pass, strlen(pass), &old) == PHR_OK) {
			bool same = memcmp(phr_seckey_public(old)->pk, phr_seckey_public(k)->pk, PHR_PK_LEN) == 0;
			phr_seckey_destroy(old);
			if (same && (*b = malloc(len))) {
				memcpy(*b, buf, len);
				*n = len;
				return PHR_OK;
			}
		}
	}
	return phr_key_seal_params(k, pass, strlen(pass), 1, 8192, b, n);
}

static void keys_and_certs(const struct fuzz_keys *k)
{
	char name[128];
	int rc;
	for (int i = 0; i < FUZZ_NKEYS; i++) {
		uint8_t *b;
		size_t n;
		if ((rc = phr_pubkey_encode(k->key[i], &b, &n)))
			die("pubkey encode", rc);
		snprintf(name, sizeof(name), "seed-key%d.pub", i);
		put_and_truncated("pubkey", name, b, n);
		snprintf(name, sizeof(name), "seed-key%d.pub", i);
		put("cbor", name, b, n);
		if (i == 0) {
			size_t nn;
			uint8_t *nc = noncanonical(b, n, &nn);
			put("pubkey", "edge-noncanonical.pub", nc, nn);
			free(nc);
			/* The kind byte changed (an authority passed off as a clinic
			 * or back): the self-signature no longer verifies. */
			b[2] ^= 3;
			put("pubkey", "edge-kind-changed.pub", b, n);
			b[2] ^= 3;
			/* The form before the self-signature: fields 1..4 only. */
			b[0] = 0xa4;
			put("pubkey", "edge-no-self-signature.pub", b, n - 3 - PHR_SIG_LEN);
			b[0] = 0xa5;
		}
		free(b);
		snprintf(name, sizeof(name), "seed-key%d.key", i);
		if ((rc = key_file_bytes("keyfile", name, k->key[i], FUZZ_PASS, &b, &n)))
			die("key seal", rc);
		put_and_truncated("keyfile", name, b, n);
		if (i == 0)
			put("cbor", "seed-key0.key", b, n);
		free(b);
	}
	/* Another passphrase; Argon2 limits out of bounds; in bounds but costly
	 * (the target skips it: see fuzz_keyfile.c). */
	uint8_t *b;
	size_t n;
	if ((rc = key_file_bytes("keyfile", "seed-other-passphrase.key", k->key[FUZZ_CLINIC_1], "not fuzz", &b, &n)))
		die("key seal", rc);
	put("keyfile", "seed-other-passphrase.key", b, n);
	free(b);
	const struct phr_pubkey *p = phr_seckey_public(k->key[FUZZ_CLINIC_1]);
	put_keyfile_raw("edge-opslimit-0.key", p, 0, 8192);
	put_keyfile_raw("edge-opslimit-21.key", p, PHR_KEY_MAX_OPSLIMIT + 1, 8192);
	put_keyfile_raw("edge-memlimit-small.key", p, 1, PHR_KEY_MIN_MEMLIMIT - 1);
	put_keyfile_raw("edge-memlimit-huge.key", p, 1, (uint64_t)PHR_KEY_MAX_MEMLIMIT + 1);
	put_keyfile_raw("edge-memlimit-u64max.key", p, UINT64_MAX, UINT64_MAX);
	put_keyfile_raw("edge-costly.key", p, PHR_KEY_MAX_OPSLIMIT, PHR_KEY_MAX_MEMLIMIT);
	put_keyfile_raw("edge-zero-ciphertext.key", p, 1, 8192);
	put("keyfile", "edge-empty", "", 0);
	put("pubkey", "edge-empty", "", 0);

	for (int i = 0; i < FUZZ_NCERTS; i++) {
		snprintf(name, sizeof(name), "seed-cert%d", i);
		put_and_truncated("cert", name, k->cert[i], k->cert_len[i]);
		put("cbor", name, k->cert[i], k->cert_len[i]);
	}
	put("cert", "edge-empty", "", 0);
	/* Valid certificate with its signature damaged. */
	{
		uint8_t c[PHR_MAX_CERT];
		memcpy(c, k->cert[0], k->cert_len[0]);
		c[k->cert_len[0] - 1] ^= 1;
		put("cert", "edge-bad-signature", c, k->cert_len[0]);
	}
}

/* Signs a hand-made payload as A with aad (certificates, bundles). */
static void put_signed(const char *target, const char *name, const struct phr_seckey *signer, const uint8_t *payload,
		       size_t plen, const char *aad)
{
	uint8_t *c;
	size_t n;
	int rc;
	if ((rc = phr_cose_sign1(signer, payload, plen, (const uint8_t *)aad, strlen(aad), &c, &n)))
		die("sign", rc);
	put(target, name, c, n);
	free(c);
}

static void hand_certs(const struct fuzz_keys *k)
{
	const struct phr_pubkey *c1 = phr_seckey_public(k->key[FUZZ_CLINIC_1]);
	static const struct {
		const char *name;
		int kind;
		const char *cname, *country;
		uint64_t nb, na;
	} v[] = {
		{ "edge-cert-authority-kind", 1, "Fuzz Clinic One", "GR", 0, 1 },
		{ "edge-cert-nb-after-na", 2, "Fuzz Clinic One", "GR", 2, 1 },
		{ "edge-cert-control-char", 2, "Fuzz\x01" "Clinic", "GR", 0, 1 },
		{ "edge-cert-c1-control", 2, "Fuzz\xc2\x85 Clinic", "GR", 0, 1 },
		{ "edge-cert-lowercase-country", 2, "Fuzz Clinic One", "gr", 0, 1 },
		{ "seed-cert-forever", 2, "Fuzz Clinic One", "GR", 0, UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t buf[PHR_MAX_CERT];
		struct phr_cbor_enc e;
		size_t len;
		phr_cbor_enc_init(&e, buf, sizeof(buf));
		phr_cbor_put_map(&e, 6);
		put_pub_fields(&e, v[i].kind, v[i].cname, v[i].country, c1->pk);
		phr_cbor_put_uint(&e, 5);
		phr_cbor_put_uint(&e, v[i].nb);
		phr_cbor_put_uint(&e, 6);
		phr_cbor_put_uint(&e, v[i].na);
		if (phr_cbor_enc_finish(&e, &len))
			die("cert payload", PHR_E_BUFFER);
		put_signed("cert", v[i].name, k->key[FUZZ_AUTH_A], buf, len, PHR_AAD_CERT);
	}
}

/* A hand-made bundle payload: authorities (indexes into keys), certs,
 * revoked kids (as given, in that order), valid for a day. */
static uint64_t hand_expires = FUZZ_T0 + 86400;
static void hand_bundle(const struct fuzz_keys *k, const char *name, int signer, const int *auth, size_t nauth,
			const int *certs, size_t ncerts, const int *revoked, size_t nrev)
{
	uint8_t *buf = NULL;
	size_t need = 0;
	struct phr_cbor_enc e;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, need);
		phr_cbor_put_map(&e, hand_expires ? 6 : 5);
		phr_cbor_put_uint(&e, 1);
		phr_cbor_put_uint(&e, 7);
		phr_cbor_put_uint(&e, 2);
		phr_cbor_put_uint(&e, FUZZ_T0);
		phr_cbor_put_uint(&e, 3);
		phr_cbor_put_array(&e, nauth);
		for (size_t i = 0; i < nauth; i++) {
			const struct phr_pubkey *p = phr_seckey_public(k->key[auth[i]]);
			phr_cbor_put_map(&e, 4);
			put_pub_fields(&e, p->kind, p->name, p->country, p->pk);
		}
		phr_cbor_put_uint(&e, 4);
		phr_cbor_put_array(&e, ncerts);
		for (size_t i = 0; i < ncerts; i++)
			phr_cbor_put_bytes(&e, k->cert[certs[i]], k->cert_len[certs[i]]);
		phr_cbor_put_uint(&e, 5);
		phr_cbor_put_array(&e, nrev);
		for (size_t i = 0; i < nrev; i++)
			phr_cbor_put_bytes(&e, phr_seckey_public(k->key[revoked[i]])->kid, PHR_KID_LEN);
		if (hand_expires) {
			phr_cbor_put_uint(&e, 6);
			phr_cbor_put_uint(&e, hand_expires);
		}
		if (phr_cbor_enc_finish(&e, &need))
			die("bundle payload", PHR_E_BUFFER);
		if (pass == 0 && !(buf = malloc(need)))
			die("malloc", PHR_E_NOMEM);
	}
	put_signed("trust", name, k->key[signer], buf, need, PHR_AAD_TRUST);
	free(buf);
}

static void trust(const struct fuzz_keys *k)
{
	uint8_t *b;
	size_t n;
	int rc;
	put_and_truncated("trust", "seed-bundle", k->trust, k->trust_len);
	put("cbor", "seed-bundle", k->trust, k->trust_len);

	/* Built through the API: A alone, no revocation, certificates 0, 1, 3. */
	struct phr_pubkey a = *phr_seckey_public(k->key[FUZZ_AUTH_A]);
	const uint8_t *certs[3] = { k->cert[0], k->cert[1], k->cert[3] };
	const size_t lens[3] = { k->cert_len[0], k->cert_len[1], k->cert_len[3] };
	if ((rc = phr_trust_build(k->key[FUZZ_AUTH_A], &a, 1, certs, lens, 3, NULL, 0, 2, FUZZ_T0, FUZZ_T0 + 86400, &b, &n)))
		die("trust build", rc);
	put("trust", "seed-bundle-a-only", b, n);
	free(b);
	if ((rc = phr_trust_build(k->key[FUZZ_AUTH_A], &a, 1, NULL, NULL, 0, NULL, 0, 1, 0, 1, &b, &n)))
		die("trust build", rc);
	put("trust", "seed-bundle-minimal", b, n);
	free(b);

	/* Hand-made, each wrong in one way. */
	const int ab[2] = { FUZZ_AUTH_A, FUZZ_AUTH_B }, aa[2] = { FUZZ_AUTH_A, FUZZ_AUTH_A };
	const int c012[3] = { 0, 1, 2 }, c00[2] = { 0, 0 }, c2[1] = { 2 };
	int rev_sorted[2] = { FUZZ_CLINIC_2, FUZZ_AUTH_B };
	if (memcmp(phr_seckey_public(k->key[FUZZ_CLINIC_2])->kid, phr_seckey_public(k->key[FUZZ_AUTH_B])->kid,
		   PHR_KID_LEN) > 0) {
		rev_sorted[0] = FUZZ_AUTH_B;
		rev_sorted[1] = FUZZ_CLINIC_2;
	}
	const int rev_unsorted[2] = { rev_sorted[1], rev_sorted[0] }, rev_dup[2] = { FUZZ_AUTH_B, FUZZ_AUTH_B };
	const int rev_a[1] = { FUZZ_AUTH_A };
	hand_bundle(k, "seed-hand-bundle", FUZZ_AUTH_A, ab, 2, c012, 3, rev_sorted, 2);
	hand_bundle(k, "edge-signer-not-listed", FUZZ_CLINIC_1, ab, 2, c012, 3, rev_sorted, 2);
	hand_bundle(k, "edge-signer-revoked", FUZZ_AUTH_A, ab, 2, c012, 3, rev_a, 1);
	hand_bundle(k, "edge-revoked-unsorted", FUZZ_AUTH_A, ab, 2, c012, 3, rev_unsorted, 2);
	hand_bundle(k, "edge-revoked-duplicate", FUZZ_AUTH_A, ab, 2, c012, 3, rev_dup, 2);
	hand_bundle(k, "edge-authority-twice", FUZZ_AUTH_A, aa, 2, c012, 2, NULL, 0);
	hand_bundle(k, "edge-cert-twice", FUZZ_AUTH_A, ab, 2, c00, 2, NULL, 0);
	hand_bundle(k, "edge-cert-issuer-not-listed", FUZZ_AUTH_A, ab, 1, c2, 1, NULL, 0);
	hand_bundle(k, "edge-no-authority", FUZZ_AUTH_A, ab, 0, c012, 0, NULL, 0);
	put("trust", "edge-empty", "", 0);
	/* Expiry (field 6): before issued, at issued, past the longest
	 * lifetime, at it; and a bundle of the format before expiry. */
	const uint64_t exp[][2] = { { FUZZ_T0 - 1, 0 }, { FUZZ_T0, 0 },
		{ FUZZ_T0 + (uint64_t)PHR_TRUST_MAX_DAYS * 86400 + 1, 0 }, { FUZZ_T0 + (uint64_t)PHR_TRUST_MAX_DAYS * 86400, 1 } };
	for (size_t i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s-expires-%zu", exp[i][1] ? "seed-hand-bundle" : "edge", i);
		hand_expires = exp[i][0];
		hand_bundle(k, name, FUZZ_AUTH_A, ab, 2, c012, 3, rev_sorted, 2);
	}
	hand_expires = 0;
	hand_bundle(k, "edge-no-expires", FUZZ_AUTH_A, ab, 2, c012, 3, rev_sorted, 2);
	hand_expires = FUZZ_T0 + 86400;

	/* The installation's files (docs/TRUST.md), which the target also reads. */
	struct phr_pubkey two[2] = { *phr_seckey_public(k->key[FUZZ_AUTH_A]), *phr_seckey_public(k->key[FUZZ_AUTH_B]) };
	if ((rc = phr_anchors_encode(two, 2, &b, &n)))
		die("anchors encode", rc);
	put_and_truncated("trust", "seed-anchors", b, n);
	b[3] = 2; /* kind of the first: clinic */
	put("trust", "edge-anchors-clinic", b, n);
	free(b);
	struct phr_pubkey twice[2] = { two[0], two[0] };
	uint8_t raw[1024];
	struct phr_cbor_enc e;
	phr_cbor_enc_init(&e, raw, sizeof(raw));
	phr_cbor_put_array(&e, 2);
	for (int i = 0; i < 2; i++) {
		phr_cbor_put_map(&e, 4);
		put_pub_fields(&e, twice[i].kind, twice[i].name, twice[i].country, twice[i].pk);
	}
	if ((rc = phr_cbor_enc_finish(&e, &n)))
		die("anchors", rc);
	put("trust", "edge-anchors-twice", raw, n);
	if ((rc = phr_anchors_encode(NULL, 0, &b, &n)))
		die("anchors encode", rc);
	put("trust", "seed-anchors-empty", b, n);
	free(b);
	struct phr_trust_seen seen[2];
	memset(seen, 0, sizeof(seen));
	memcpy(seen[0].pk, two[0].pk, PHR_PK_LEN);
	memcpy(seen[1].pk, two[1].pk, PHR_PK_LEN);
	if (memcmp(seen[0].pk, seen[1].pk, PHR_PK_LEN) > 0) {
		memcpy(seen[0].pk, two[1].pk, PHR_PK_LEN);
		memcpy(seen[1].pk, two[0].pk, PHR_PK_LEN);
	}
	seen[0].version = 7;
	seen[1].version = 23; /* one-byte versions: items of one size, swapped below */
	memset(seen[1].digest, 0xd1, PHR_TRUST_DIGEST_LEN);
	if ((rc = phr_trust_state_encode(seen, 2, &b, &n)))
		die("state encode", rc);
	put_and_truncated("trust", "seed-state", b, n);
	/* the two entries swapped: not ascending */
	uint8_t *sw = malloc(n);
	if (!sw)
		die("malloc", PHR_E_NOMEM);
	size_t item = (n - 1) / 2;
	sw[0] = b[0];
	memcpy(sw + 1, b + 1 + item, item);
	memcpy(sw + 1 + item, b + 1, item);
	if (n == 1 + 2 * item)
		put("trust", "edge-state-unsorted", sw, n);
	free(sw);
	free(b);
}

/* ---- CBOR and JSON edge cases --------------------------------------------- */

static void cbor_edges(void)
{
	static const struct {
		const char *name, *hex;
	} v[] = {
		{ "edge-uint-noncanonical", "18 05" },
		{ "edge-uint64-max", "1b ff ff ff ff ff ff ff ff" },
		{ "edge-nint64-max", "3b ff ff ff ff ff ff ff ff" },
		{ "edge-nint-int64-min", "3b 7f ff ff ff ff ff ff ff" },
		{ "edge-indefinite-bstr", "5f 41 00 ff" },
		{ "edge-indefinite-array", "9f 00 ff" },
		{ "edge-indefinite-map", "bf 01 00 ff" },
		{ "edge-map-unordered", "a2 02 00 01 00" },
		{ "edge-map-duplicate", "a2 01 00 01 00" },
		{ "edge-map-length-first", "a2 0a 00 18 64 00" },
		{ "edge-map-text-keys", "a2 61 61 00 62 61 61 00" },
		{ "edge-float16", "f9 3c 00" },
		{ "edge-float64", "fb 3f f0 00 00 00 00 00 00" },
		{ "edge-undefined", "f7" },
		{ "edge-simple-16", "f0" },
		{ "edge-simple-255", "f8 ff" },
		{ "edge-break", "ff" },
		{ "edge-tag-1", "c1 00" },
		{ "edge-tag-4-decimal", "c4 82 21 19 01 00" },
		{ "edge-tag-4-noncanonical", "d8 04 82 21 00" },
		{ "edge-utf8-invalid", "62 c3 28" },
		{ "edge-utf8-surrogate", "63 ed a0 80" },
		{ "edge-utf8-overlong", "62 c0 80" },
		{ "edge-utf8-4byte", "64 f0 9f 98 80" },
		{ "edge-utf8-above-max", "64 f4 90 80 80" },
		{ "edge-array-huge-count", "9b ff ff ff ff ff ff ff ff" },
		{ "edge-bstr-huge-length", "5b 7f ff ff ff ff ff ff ff 00" },
		{ "edge-trailing", "00 00" },
		{ "edge-truncated-head", "19 01" },
		{ "edge-depth-16", "81 81 81 81 81 81 81 81 81 81 81 81 81 81 81 81 00" },
		{ "edge-depth-17", "81 81 81 81 81 81 81 81 81 81 81 81 81 81 81 81 81 00" },
		{ "edge-mixed", "a4 01 f4 02 f5 03 f6 04 83 20 40 60" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		put_hex("cbor", v[i].name, v[i].hex);
	put("cbor", "edge-empty", "", 0);
}

static void entry_and_json(const struct example *ex, size_t n)
{
	char name[300];
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "seed-%s.cbor", ex[i].name);
		put_and_truncated("entry", name, ex[i].cbor, ex[i].cbor_len);
		snprintf(name, sizeof(name), "seed-entry-%s", ex[i].name);
		put("cbor", name, ex[i].cbor, ex[i].cbor_len);
		snprintf(name, sizeof(name), "seed-%s.json", ex[i].name);
		put_and_truncated("json", name, ex[i].text, ex[i].text_len);
		if (i == 0) {
			size_t nn;
			uint8_t *nc = noncanonical(ex[i].cbor, ex[i].cbor_len, &nn);
			snprintf(name, sizeof(name), "edge-noncanonical-%s.cbor", ex[i].name);
			put("entry", name, nc, nn);
			free(nc);
		}
	}
	put("entry", "edge-empty", "", 0);
	put_hex("entry", "edge-empty-map", "a0");
	put_hex("entry", "edge-unknown-key", "a1 18 63 00");
	static const struct {
		const char *name, *text;
	} j[] = {
		{ "edge-empty", "" },
		{ "edge-empty-object", "{}" },
		{ "edge-array", "[]" },
		{ "edge-null", "null" },
		{ "edge-duplicate-key", "{\"kind\": \"assessment\", \"kind\": \"follow_up\"}" },
		{ "edge-unknown-field", "{\"kind\": \"assessment\", \"date\": \"2025-01-01\", \"colour\": \"red\"}" },
		{ "edge-bad-date", "{\"kind\": \"assessment\", \"date\": \"2025-02-30\"}" },
		{ "edge-partial-date", "{\"kind\": \"assessment\", \"date\": \"2025-02\"}" },
		{ "edge-float-noise", "{\"kind\": \"assessment\", \"date\": \"2025-01-01\", \"vitals\": {\"weight\": 70.10000000000001}}" },
		{ "edge-big-int", "{\"kind\": \"assessment\", \"date\": \"2025-01-01\", \"vitals\": {\"weight\": 1e300}}" },
		{ "edge-nul-escape", "{\"kind\": \"assess\\u0000ment\"}" },
		{ "edge-bad-utf8", "{\"kind\": \"\xc3\x28\"}" },
		{ "edge-deep", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" },
		{ "edge-code", "{\"kind\": \"follow_up\", \"date\": \"2025-01-01\", \"vaccinations\": [{\"vaccine\": \"atc:J07BD52\", \"date\": \"2025-01-01\"}]}" },
		{ "edge-bad-code-system", "{\"kind\": \"follow_up\", \"date\": \"2025-01-01\", \"vaccinations\": [{\"vaccine\": \"xyz:J07BD52\", \"date\": \"2025-01-01\"}]}" },
	};
	for (size_t i = 0; i < sizeof(j) / sizeof(j[0]); i++)
		put("json", j[i].name, j[i].text, strlen(j[i].text));
}

/* ---- pictures (fuzz_image.c) ------------------------------------------- */

struct membuf {
	uint8_t *p;
	size_t n, cap;
};

static void membuf_put(struct membuf *m, const void *d, size_t n)
{
	if (m->n + n > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->n + n)
			cap *= 2;
		uint8_t *q = realloc(m->p, cap);
		if (!q)
			die("malloc", PHR_E_NOMEM);
		m->p = q;
		m->cap = cap;
	}
	memcpy(m->p + m->n, d, n);
	m->n += n;
}

static void png_seed_write(png_structp png, png_bytep d, size_t n)
{
	membuf_put(png_get_io_ptr(png), d, n);
}

static void png_seed_flush(png_structp png)
{
	(void)png;
}

#define SEED_W 24
#define SEED_H 20

/* A small PNG of a pattern with every kind of pixel the loader converts:
 * type is a PNG colour type, depth its bit depth; palettes hold
 * 2^depth entries and, with trns, a transparent first entry. */
static void png_seed(const char *name, int type, int depth, int interlace, int trns)
{
	struct membuf m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!info || setjmp(png_jmpbuf(png)))
		die("libpng", PHR_E_IMAGE);
	png_set_write_fn(png, &m, png_seed_write, png_seed_flush);
	png_set_IHDR(png, info, SEED_W, SEED_H, depth, type, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (type == PNG_COLOR_TYPE_PALETTE) {
		png_color pal[256];
		png_byte alpha[1] = { 0 };
		for (int i = 0; i < (1 << depth); i++) {
			pal[i].red = (png_byte)(i * 37);
			pal[i].green = (png_byte)(i * 91);
			pal[i].blue = (png_byte)(255 - i);
		}
		png_set_PLTE(png, info, pal, 1 << depth);
		if (trns)
			png_set_tRNS(png, info, alpha, 1, NULL);
	} else if (trns) {
		png_color_16 key = { 0, 10, 20, 30, 5 };
		png_set_tRNS(png, info, NULL, 0, &key);
	}
	png_set_gAMA(png, info, 0.45455);
	png_text text = { PNG_TEXT_COMPRESSION_NONE, "Comment", "phr seed", 8, 0, NULL, NULL };
	png_set_text(png, info, &text, 1);
	png_write_info(png, info);
	int channels = type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_PALETTE ? 1
		       : type == PNG_COLOR_TYPE_GRAY_ALPHA				   ? 2
		       : type == PNG_COLOR_TYPE_RGB					   ? 3
											   : 4;
	int passes = png_set_interlace_handling(png);
	uint8_t row[SEED_W * 8];
	for (int pass = 0; pass < passes; pass++)
		for (int y = 0; y < SEED_H; y++) {
			memset(row, 0, sizeof(row));
			for (int x = 0; x < SEED_W; x++)
				for (int c = 0; c < channels; c++) {
					unsigned v = (unsigned)(x * 11 + y * 7 + c * 50) & 0xff;
					if (depth < 8)
						row[(x * depth) / 8] |= (uint8_t)((v >> (8 - depth)) << (8 - depth - (x * depth) % 8));
					else if (depth == 8)
						row[x * channels + c] = (uint8_t)v;
					else
						row[2 * (x * channels + c)] = (uint8_t)v, row[2 * (x * channels + c) + 1] = (uint8_t)(v ^ 0x5a);
				}
			png_write_row(png, row);
		}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	put_and_truncated("image", name, m.p, m.n);
	free(m.p);
}

/* A small JPEG: components 1 (grey), 3 (YCbCr) or 4 (CMYK, Adobe marker);
 * flags choose 4:4:4 sampling, progressive, arithmetic coding, restarts. */
enum { J444 = 1, JPROG = 2, JARITH = 4, JRESTART = 8 };
static void jpeg_seed(const char *name, int components, int flags, int quality)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	c.err = jpeg_std_error(&err); /* the seed maker's own images: exit on a libjpeg error is fine */
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &out_len);
	c.image_width = SEED_W;
	c.image_height = SEED_H;
	c.input_components = components;
	c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	if (flags & J444)
		for (int i = 0; i < c.num_components; i++)
			c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
	if (flags & JPROG)
		jpeg_simple_progression(&c);
	if (flags & JARITH)
		c.arith_code = TRUE;
	if (flags & JRESTART)
		c.restart_in_rows = 1;
	jpeg_start_compress(&c, TRUE);
	uint8_t row[SEED_W * 4];
	while (c.next_scanline < SEED_H) {
		for (int x = 0; x < SEED_W; x++)
			for (int k = 0; k < components; k++)
				row[x * components + k] = (uint8_t)(x * 11 + (int)c.next_scanline * 7 + k * 60);
		JSAMPROW r = row;
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	put_and_truncated("image", name, out, out_len);
	free(out);
}

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The PNG signature and an IHDR claiming w x h (8-bit grey), CRC right or
 * wrong, then an empty IDAT and IEND. */
static void png_header_edge(const char *name, uint32_t w, uint32_t h, int bad_crc)
{
	uint8_t b[64] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	be32_put(b + 8, 13);
	memcpy(b + 12, "IHDR", 4);
	be32_put(b + 16, w);
	be32_put(b + 20, h);
	b[24] = 8;
	be32_put(b + 29, (uint32_t)crc32(0, b + 12, 17) ^ (bad_crc ? 1u : 0u));
	be32_put(b + 33, 0);
	memcpy(b + 37, "IDAT", 4);
	be32_put(b + 41, (uint32_t)crc32(0, b + 37, 4));
	be32_put(b + 45, 0);
	memcpy(b + 49, "IEND", 4);
	be32_put(b + 53, (uint32_t)crc32(0, b + 49, 4));
	put("image", name, b, 57);
}

/* A baseline JPEG header claiming w x h, one component, with tables and a
 * scan header so that the header parses, then one byte of data. */
static void jpeg_header_edge(const char *name, uint16_t w, uint16_t h)
{
	uint8_t b[200];
	size_t n = 0;
	b[n++] = 0xff, b[n++] = 0xd8, b[n++] = 0xff, b[n++] = 0xdb, b[n++] = 0, b[n++] = 67, b[n++] = 0;
	for (int i = 0; i < 64; i++)
		b[n++] = 1;
	b[n++] = 0xff, b[n++] = 0xc0, b[n++] = 0, b[n++] = 11, b[n++] = 8, b[n++] = (uint8_t)(h >> 8), b[n++] = (uint8_t)h;
	b[n++] = (uint8_t)(w >> 8), b[n++] = (uint8_t)w, b[n++] = 1, b[n++] = 1, b[n++] = 0x11, b[n++] = 0;
	for (int t = 0; t < 2; t++) {
		b[n++] = 0xff, b[n++] = 0xc4, b[n++] = 0, b[n++] = 20, b[n++] = (uint8_t)(t << 4), b[n++] = 1;
		for (int i = 1; i < 16; i++)
			b[n++] = 0;
		b[n++] = 0;
	}
	b[n++] = 0xff, b[n++] = 0xda, b[n++] = 0, b[n++] = 8, b[n++] = 1, b[n++] = 1, b[n++] = 0, b[n++] = 0;
	b[n++] = 63, b[n++] = 0, b[n++] = 0, b[n++] = 0xff, b[n++] = 0xd9;
	put("image", name, b, n);
}

/* Card responses (fuzz_card): every parser reads every input, so the seeds
 * are one of each kind, valid and just broken. */
static void card_seeds(void)
{
	struct phr_card_status s = { 0, 0, 0, 0 };
	uint8_t st[PHR_CARD_STATUS_SIZE], slot[64];
	size_t n;
	int rc;

	put_hex("card", "seed-sw-9000", "9000");
	put_hex("card", "seed-sw-63c2", "63C2");
	put_hex("card", "seed-sw-data-6282", "0102036282");
	put_hex("card", "seed-fcp-status", "620C8003 00001C 820101 8302C000");
	put_hex("card", "seed-fcp-slot", "620F8003 010008 820101 8302C001 8A0105");
	put_hex("card", "edge-fcp-long-length", "6281 0C 8003 00001C 820101 8302C000");
	put_hex("card", "edge-fcp-size-5-bytes", "62078005 0102030405");
	put_hex("card", "seed-do53", "5303AABBCC");
	put_hex("card", "seed-do53-81", "5381 04 01020304");
	if ((rc = phr_card_status_encode(&s, st)))
		die("card status", rc);
	memcpy(st + PHR_CARD_STATUS_COPY, st, PHR_CARD_STATUS_COPY);
	put("card", "seed-status-formatted", st, sizeof(st));
	s = (struct phr_card_status){ 2, 41, 1200, 0 };
	if ((rc = phr_card_status_encode(&s, st + PHR_CARD_STATUS_COPY)))
		die("card status", rc);
	put("card", "seed-status-gen41", st, sizeof(st));
	st[PHR_CARD_STATUS_COPY + 4] ^= 0x20; /* the newer copy torn */
	put("card", "edge-status-torn-copy", st, sizeof(st));
	if ((rc = phr_card_slot_encode((const uint8_t *)"\x01\x00\x00\x05hello", 9, slot, sizeof(slot), &n)))
		die("card slot", rc);
	put("card", "seed-slot", slot, n);
	slot[6] ^= 1;
	put("card", "edge-slot-crc", slot, n);
}

static void image_seeds(void)
{
	static const struct {
		const char *name;
		int type, depth, interlace, trns;
	} pngs[] = {
		{ "seed-png-grey1", PNG_COLOR_TYPE_GRAY, 1, 0, 0 },
		{ "seed-png-grey2", PNG_COLOR_TYPE_GRAY, 2, 0, 0 },
		{ "seed-png-grey4-trns", PNG_COLOR_TYPE_GRAY, 4, 0, 1 },
		{ "seed-png-grey8", PNG_COLOR_TYPE_GRAY, 8, 0, 0 },
		{ "seed-png-grey16-adam7", PNG_COLOR_TYPE_GRAY, 16, 1, 0 },
		{ "seed-png-greyalpha8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0 },
		{ "seed-png-greyalpha16-adam7", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 1, 0 },
		{ "seed-png-rgb8-trns", PNG_COLOR_TYPE_RGB, 8, 0, 1 },
		{ "seed-png-rgb16", PNG_COLOR_TYPE_RGB, 16, 0, 0 },
		{ "seed-png-rgba8-adam7", PNG_COLOR_TYPE_RGB_ALPHA, 8, 1, 0 },
		{ "seed-png-rgba16", PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 0 },
		{ "seed-png-palette1", PNG_COLOR_TYPE_PALETTE, 1, 0, 0 },
		{ "seed-png-palette4-trns-adam7", PNG_COLOR_TYPE_PALETTE, 4, 1, 1 },
		{ "seed-png-palette8-trns", PNG_COLOR_TYPE_PALETTE, 8, 0, 1 },
	};
	for (size_t i = 0; i < sizeof(pngs) / sizeof(pngs[0]); i++)
		png_seed(pngs[i].name, pngs[i].type, pngs[i].depth, pngs[i].interlace, pngs[i].trns);
	jpeg_seed("seed-jpeg-grey", 1, 0, 75);
	jpeg_seed("seed-jpeg-ycc420", 3, 0, 75);
	jpeg_seed("seed-jpeg-ycc444-q10", 3, J444, 10);
	jpeg_seed("seed-jpeg-progressive", 3, JPROG, 75);
	jpeg_seed("seed-jpeg-grey-progressive", 1, JPROG, 90);
	jpeg_seed("seed-jpeg-arith", 3, JARITH, 75);
	jpeg_seed("seed-jpeg-restart", 3, JRESTART, 75);
	jpeg_seed("seed-jpeg-cmyk", 4, 0, 75);
	png_header_edge("edge-png-over-limit", 20000, 5001, 0);
	png_header_edge("edge-png-huge", 0x7fffffff, 0x7fffffff, 0);
	png_header_edge("edge-png-zero-width", 0, 10, 0);
	png_header_edge("edge-png-bad-ihdr-crc", 24, 20, 1);
	png_header_edge("edge-png-no-data", 24, 20, 0);
	jpeg_header_edge("edge-jpeg-over-limit", 10001, 10000);
	jpeg_header_edge("edge-jpeg-huge", 65535, 65535);
	jpeg_header_edge("edge-jpeg-zero-height", 24, 0);
	jpeg_header_edge("edge-jpeg-no-data", 24, 20);
	put("image", "edge-empty", "", 0);
	put_hex("image", "edge-png-signature", "89504e470d0a1a0a");
	put_hex("image", "edge-jpeg-soi", "ffd8ff");
	put_hex("image", "edge-gif", "4749463839610100010000");
}

/* fuzz_document: byte 0 the type (mod 7), byte 1 the title's length, the
 * title, then the document; real files made by cairo and libjpeg. */
static void put_document(const char *name, unsigned type, const char *title, const uint8_t *doc, size_t n)
{
	size_t tl = strlen(title);
	uint8_t *b = malloc(2 + tl + n);
	if (!b)
		die("out of memory", PHR_E_NOMEM);
	b[0] = (uint8_t)type;
	b[1] = (uint8_t)tl;
	memcpy(b + 2, title, tl);
	memcpy(b + 2 + tl, doc, n);
	put_and_truncated("document", name, b, 2 + tl + n);
	free(b);
}

static void document_seeds(void)
{
	size_t n;
	uint8_t *p;
	if ((p = docgen_pdf(1, &n))) {
		put_document("seed-pdf", 0, "IGRA result", p, n);
		put_document("seed-pdf-no-title", 5, "", p, n);
		free(p);
	}
	if ((p = docgen_png(24, 16, 0, &n))) {
		put_document("seed-png", 1, "Chest X-ray", p, n);
		put_document("seed-png-bad-type", 6, "Chest X-ray", p, n);
		put("document", "seed-png-raw", p, n);
		free(p);
	}
	if ((p = docgen_png(9, 5, 1, &n))) {
		put_document("seed-png-alpha", 4, "\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1", p, n);
		free(p);
	}
	if ((p = docgen_jpeg(16, 16, 0, 0, &n))) {
		put_document("seed-jpeg", 2, "Lettre de sortie", p, n);
		put("document", "seed-jpeg-raw", p, n);
		free(p);
	}
	if ((p = docgen_jpeg(16, 8, 1, 1, &n))) {
		put_document("seed-jpeg-progressive", 3, "Referral", p, n);
		free(p);
	}
	static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
	put_document("seed-pdf-minimal", 0, "Lab", (const uint8_t *)pdf, sizeof(pdf) - 1);
	put_document("edge-title-escape", 0, "Lab\x1b[2J", (const uint8_t *)pdf, sizeof(pdf) - 1);
	put_document("edge-title-rlo", 0, "Lab \xe2\x80\xae", (const uint8_t *)pdf, sizeof(pdf) - 1);
	put_hex("document", "edge-png-signature", "00 01 89504e470d0a1a0a");
	put_hex("document", "edge-png-ihdr-only", "00 01 41 89504e470d0a1a0a 0000000d 49484452 00000001 00000001 0800000000 3a7e9b55");
	put_hex("document", "edge-jpeg-soi-eoi", "00 01 41 ffd8ffd9");
	put_hex("document", "edge-jpeg-no-sof", "00 01 41 ffd8 ffe0 0004 0000 ffda 0002 00 ffd9");
	put_hex("document", "edge-jpeg-len-past-end", "00 01 41 ffd8 ffe0 ffff 00 ffd9");
	put_hex("document", "edge-gif", "00 01 41 474946383961");
	put_hex("document", "edge-empty", "");
}

/* fuzz_seal: envelopes sealed with the fixed key for entry 1, the
 * plaintexts, and typed keys (tests/fuzz/fuzz_seal.c for the layout). */
static void seal_one_v(int version, const char *name, const uint8_t *plain, size_t n, unsigned sections)
{
	uint8_t *env, buf[PHR_MAX_ENVELOPE + 1], salt[PHR_SEAL_V1_SALT_LEN];
	size_t env_len;
	char nm[128];
	int rc;
	const char *tag = version == PHR_SEAL_V1 ? "" : version == PHR_SEAL_V2 ? "2" : "3";
	memset(salt, 0x33, sizeof(salt)); /* fixed: the corpus is reproducible */
	if (version == PHR_SEAL_V3) /* beside the clear content fuzz_seal opens it with */
		rc = phr_seal_v3(fuzz_seal_key, fuzz_seal_rid, 1, fuzz_seal_clear, fuzz_seal_clear_len, plain, n, sections,
				 PHR_SEAL_PACK_NONE, salt, &env, &env_len);
	else
		rc = phr_seal_v(version, fuzz_seal_key, fuzz_seal_rid, 1, plain, n, sections, salt, &env, &env_len);
	if (rc)
		die("seal", rc);
	buf[0] = 0;
	memcpy(buf + 1, env, env_len);
	snprintf(nm, sizeof(nm), "seed-env%s-%s", tag, name);
	put_and_truncated("seal", nm, buf, env_len + 1);
	buf[1 + env_len - 3] ^= 0x01; /* a flipped tag bit */
	snprintf(nm, sizeof(nm), "edge-env%s-flipped-%s", tag, name);
	put("seal", nm, buf, env_len + 1);
	free(env);
	if (version != PHR_SEAL_V1)
		return; /* the plaintext seeds are the same for both */
	buf[0] = 1;
	memcpy(buf + 1, plain, n);
	snprintf(nm, sizeof(nm), "seed-plain-%s", name);
	put_and_truncated("seal", nm, buf, n + 1);
}

/* v1 and v2 envelopes (read, no longer written) and v3 (FORMAT.md,
 * "Envelope v3") */
static void seal_one(const char *name, const uint8_t *plain, size_t n, unsigned sections)
{
	seal_one_v(PHR_SEAL_V1, name, plain, n, sections);
	seal_one_v(PHR_SEAL_V2, name, plain, n, sections);
	seal_one_v(PHR_SEAL_V3, name, plain, n, sections);
}

static void seal_seeds(void)
{
	/* {0: [0], 11: [{1: [4, "56888-1"], 3: 0}]}: an HIV result before the clear one */
	static const uint8_t results[] = { 0xa2, 0x00, 0x81, 0x00, 0x0b, 0x81, 0xa2, 0x01, 0x82, 0x04, 0x67, '5', '6',
					   '8', '8', '8', '-', '1', 0x03, 0x00 };
	/* {13: {1: 1, 3: 2}, 19: "note"}: pregnancy and notes */
	static const uint8_t preg[] = { 0xa2, 0x0d, 0xa2, 0x01, 0x01, 0x03, 0x02, 0x13, 0x64, 'n', 'o', 't', 'e' };
	/* {0: [1], 11: [...], 14: {1: 0}} */
	static const uint8_t both[] = { 0xa3, 0x00, 0x81, 0x01, 0x0b, 0x81, 0xa2, 0x01, 0x82, 0x04, 0x66, '5', '1', '9',
					'6', '-', '1', 0x03, 0x01, 0x0e, 0xa1, 0x01, 0x00 };
	seal_one("results", results, sizeof(results), 1);
	/* v3 beside the clear content without results: the positions left
	 * out, put back on opening (fuzz_seal.c, check_nores) */
	{
		static const uint8_t both_first[] = { 0xa3, 0x00, 0x81, 0x00, 0x0b, 0x81, 0xa2, 0x01, 0x82, 0x04, 0x66, '5',
						      '1', '9', '6', '-', '1', 0x03, 0x01, 0x0e, 0xa1, 0x01, 0x00 };
		const uint8_t *pl[2] = { results, both_first };
		size_t pn[2] = { sizeof(results), sizeof(both_first) };
		const char *nm[2] = { "seed-env3-nores-results", "seed-env3-nores-results-mental" };
		for (int i = 0; i < 2; i++)
			for (int pack = PHR_SEAL_PACK_NONE; pack <= PHR_SEAL_PACK_ZSTD; pack++) {
				uint8_t *env, buf[PHR_MAX_ENVELOPE + 1], salt[PHR_SEAL_V3_SALT_LEN];
				size_t env_len;
				char name[96];
				int rc;
				memset(salt, 0x55, sizeof(salt));
				if ((rc = phr_seal_v3(fuzz_seal_key, fuzz_seal_rid, 1, fuzz_seal_clear_nores,
						      fuzz_seal_clear_nores_len, pl[i], pn[i], 1 + (unsigned)i, pack, salt, &env,
						      &env_len)))
					die("seal v3", rc);
				buf[0] = 0;
				memcpy(buf + 1, env, env_len);
				snprintf(name, sizeof(name), "%s-%d", nm[i], pack);
				put("seal", name, buf, env_len + 1);
				free(env);
			}
	}
	seal_one("pregnancy-notes", preg, sizeof(preg), 2);
	seal_one("results-mental", both, sizeof(both), 2);
	/* a plaintext naming kind (never sealed) and one naming a clear key */
	static const uint8_t kind[] = { 0x01, 0xa1, 0x01, 0x00 };
	put("seal", "edge-plain-kind", kind, sizeof(kind));
	static const uint8_t dup[] = { 0x01, 0xa1, 0x02, 0x19, 0xb2, 0xff };
	put("seal", "edge-plain-date", dup, sizeof(dup));
	char text[PHR_HOLDER_KEY_TEXT_LEN + 1];
	text[0] = 2;
	phr_holder_key_format(fuzz_seal_key, text + 1);
	put("seal", "seed-key", text, strlen(text + 1) + 1);
	text[5] = text[5] == 'A' ? 'B' : 'A';
	put("seal", "edge-key-mistyped", text, strlen(text + 1) + 1);
}

/* fuzz_container: a record whose entry 0 carries a sealed envelope (the
 * default sections of each example, the fixed holder key), and one whose
 * entry 1 carries entry 0's envelope (moved). */
static void sealed_records(const struct fuzz_keys *k, const struct example *ex, size_t nex)
{
	for (size_t i = 0; i < nex; i++) {
		uint8_t *clear, *plain, *env, *body, salt[PHR_SEAL_V1_SALT_LEN];
		size_t clear_len, plain_len, env_len, blen;
		unsigned n;
		struct phr_record *r;
		char name[200];
		int rc;
		if ((rc = phr_seal_split(ex[i].cbor, ex[i].cbor_len, phr_seal_default_sections(), &clear, &clear_len, &plain,
					 &plain_len, &n)))
			die("seal split", rc);
		if (!plain) {
			free(clear);
			continue;
		}
		memset(salt, 0x44, sizeof(salt));
		if ((rc = phr_record_create(fuzz_seal_rid, &r)) ||
		    (rc = phr_seal_v(PHR_SEAL_V1, fuzz_seal_key, fuzz_seal_rid, 0, plain, plain_len, n, salt, &env,
				     &env_len)) ||
		    (rc = phr_record_append_sealed(r, k->key[FUZZ_CLINIC_1], k->cert[0], k->cert_len[0], clear, clear_len, env,
						   env_len, FUZZ_T0)) ||
		    (rc = phr_record_body(r, &body, &blen)))
			die("sealed record", rc);
		snprintf(name, sizeof(name), "seed-sealed-%.60s", ex[i].name);
		put_container(name, PHR_COMP_NONE, body, blen);
		/* fuzz_seal: the same plaintext packed (FORMAT.md "Packed
		 * plaintexts"), sealed for entry 1, in envelope v1 and v2 */
		for (int version = PHR_SEAL_V1; version <= PHR_SEAL_V2; version++) {
			uint8_t *penv, *pb;
			size_t penv_len;
			if ((rc = phr_seal_packed_v(version, fuzz_seal_key, fuzz_seal_rid, 1, plain, plain_len, n, salt,
						    &penv, &penv_len)))
				die("packed seal", rc);
			if (!(pb = malloc(penv_len + 1)))
				die("packed seal", PHR_E_NOMEM);
			pb[0] = 0;
			memcpy(pb + 1, penv, penv_len);
			snprintf(name, sizeof(name), version == PHR_SEAL_V1 ? "seed-env-packed-%.60s" : "seed-env2-packed-%.60s",
				 ex[i].name);
			put("seal", name, pb, penv_len + 1);
			free(pb);
			free(penv);
		}
		/* v3, packed with DEFLATE and with zstd, beside fuzz_seal's clear content */
		for (int pack = PHR_SEAL_PACK_DEFLATE; pack <= PHR_SEAL_PACK_ZSTD; pack++) {
			uint8_t *penv, *pb;
			size_t penv_len;
			if ((rc = phr_seal_v3(fuzz_seal_key, fuzz_seal_rid, 1, fuzz_seal_clear, fuzz_seal_clear_len, plain,
					      plain_len, n, pack, salt, &penv, &penv_len)))
				die("seal v3", rc);
			if (!(pb = malloc(penv_len + 1)))
				die("seal v3", PHR_E_NOMEM);
			pb[0] = 0;
			memcpy(pb + 1, penv, penv_len);
			snprintf(name, sizeof(name), "seed-env3-%s-%.60s", pack == PHR_SEAL_PACK_DEFLATE ? "deflate" : "zstd",
				 ex[i].name);
			put("seal", name, pb, penv_len + 1);
			free(pb);
			free(penv);
		}
		/* fuzz_container: the record with a v3 envelope, as phr issue writes it */
		{
			uint8_t *env3, *body3;
			size_t env3_len, blen3;
			struct phr_record *r3;
			if ((rc = phr_record_create(fuzz_seal_rid, &r3)) ||
			    (rc = phr_seal_v3(fuzz_seal_key, fuzz_seal_rid, 0, clear, clear_len, plain, plain_len, n,
					      PHR_SEAL_PACK_BEST, salt, &env3, &env3_len)) ||
			    (rc = phr_record_append_sealed(r3, k->key[FUZZ_CLINIC_1], k->cert[0], k->cert_len[0], clear,
							   clear_len, env3, env3_len, FUZZ_T0)) ||
			    (rc = phr_record_body(r3, &body3, &blen3)))
				die("sealed record v3", rc);
			snprintf(name, sizeof(name), "seed-sealed3-%.60s", ex[i].name);
			put_container(name, PHR_COMP_NONE, body3, blen3);
			free(body3);
			free(env3);
			phr_record_destroy(r3);
		}
		snprintf(name, sizeof(name), "seed-sealed-%.60s-zstd", ex[i].name);
		put_container(name, PHR_COMP_ZSTD_DICT1, body, blen);
		free(body);
		if ((rc = phr_record_append_sealed(r, k->key[FUZZ_CLINIC_2], k->cert[1], k->cert_len[1], clear, clear_len, env,
						   env_len, FUZZ_T0 + FUZZ_DAY)) ||
		    (rc = phr_record_body(r, &body, &blen)))
			die("sealed record, moved", rc);
		snprintf(name, sizeof(name), "seed-sealed-moved-%.60s", ex[i].name);
		put_container(name, PHR_COMP_NONE, body, blen);
		free(body);
		phr_record_destroy(r);
		free(env);
		free(clear);
		free(plain);
	}
}

int main(int argc, char **argv)
{
	struct fuzz_keys k;
	struct example ex[MAX_EXAMPLES], ent[MAX_EXAMPLES];
	char dir[1024];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SOURCE_ROOT OUT_DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[2];
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "make_seeds: mkdir %s: %s\n", out_dir, strerror(errno));
		return 1;
	}
	if ((rc = fuzz_keys_init(&k)))
		die("fixed keys", rc);
	snprintf(dir, sizeof(dir), "%s/examples", argv[1]);
	size_t nex = load_examples(dir, ex, MAX_EXAMPLES);
	snprintf(dir, sizeof(dir), "%s/examples/entries", argv[1]);
	size_t nent = load_examples(dir, ent, MAX_EXAMPLES);

	entry_and_json(ex, nex);
	entry_and_json(ent, nent);
	records(&k, ex, nex, ent, nent);
	chunk_seeds(&k, ex, ent);
	decompress_edges();
	keys_and_certs(&k);
	hand_certs(&k);
	trust(&k);
	cbor_edges();
	image_seeds();
	card_seeds();
	document_seeds();
	seal_seeds();
	sealed_records(&k, ex, nex);

	for (size_t i = 0; i < nex; i++) {
		free(ex[i].text);
		free(ex[i].cbor);
	}
	for (size_t i = 0; i < nent; i++) {
		free(ent[i].text);
		free(ent[i].cbor);
	}
	fuzz_keys_finish(&k);
	printf("make_seeds: %zu files written to %s, %zu already as they are\n", written, out_dir, unchanged);
	return failures ? 1 : 0;
}
