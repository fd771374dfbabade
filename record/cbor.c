/* Deterministic CBOR on top of libcbor: libcbor's encoders write the heads
 * (always shortest form) and its streaming decoder tokenises input; this file
 * adds what RFC 8949 §4.2.1 requires and libcbor does not check. */
#include "phr/cbor.h"
#include "cbor_int.h"

#include <cbor.h>
#include <string.h>

size_t phr_cbor_max_depth(void) { return PHR_CBOR_MAX_DEPTH; }
size_t phr_cbor_max_items(void) { return PHR_CBOR_MAX_ITEMS; }

/* ---- encoder ---- */

void phr_cbor_enc_init(struct phr_cbor_enc *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = buf ? cap : 0;
	e->len = 0;
	e->err = PHR_OK;
}

/* Appends n bytes produced by fn-like writes. In counting mode only len grows. */
static void put_bytes_raw(struct phr_cbor_enc *e, const void *p, size_t n)
{
	if (e->len > SIZE_MAX - n) {
		e->err = PHR_E_LIMIT;
		return;
	}
	if (e->buf && e->err == PHR_OK) {
		if (n > e->cap - e->len)
			e->err = PHR_E_BUFFER;
		else if (n)
			memcpy(e->buf + e->len, p, n);
	}
	e->len += n;
}

typedef size_t (*head_fn)(uint64_t, unsigned char *, size_t);

static void put_head(struct phr_cbor_enc *e, uint8_t major, uint64_t v)
{
	unsigned char tmp[9];
	size_t n;
	switch (major) {
	case 0: n = cbor_encode_uint(v, tmp, sizeof(tmp)); break;
	case 1: n = cbor_encode_negint(v, tmp, sizeof(tmp)); break;
	case 2: n = cbor_encode_bytestring_start((size_t)v, tmp, sizeof(tmp)); break;
	case 3: n = cbor_encode_string_start((size_t)v, tmp, sizeof(tmp)); break;
	case 4: n = cbor_encode_array_start((size_t)v, tmp, sizeof(tmp)); break;
	case 5: n = cbor_encode_map_start((size_t)v, tmp, sizeof(tmp)); break;
	case 6: n = cbor_encode_tag(v, tmp, sizeof(tmp)); break;
	default: n = 0; break;
	}
	if (n == 0) {
		e->err = PHR_E_ARG;
		return;
	}
	put_bytes_raw(e, tmp, n);
}

void phr_cbor_put_uint(struct phr_cbor_enc *e, uint64_t v) { put_head(e, 0, v); }

void phr_cbor_put_int(struct phr_cbor_enc *e, int64_t v)
{
	if (v >= 0)
		put_head(e, 0, (uint64_t)v);
	else
		put_head(e, 1, (uint64_t)(-(v + 1)));
}

void phr_cbor_put_bytes_head(struct phr_cbor_enc *e, size_t n) { put_head(e, 2, n); }

void phr_cbor_put_bytes(struct phr_cbor_enc *e, const void *p, size_t n)
{
	put_head(e, 2, n);
	put_bytes_raw(e, p, n);
}

void phr_cbor_put_text(struct phr_cbor_enc *e, const char *s, size_t n)
{
	put_head(e, 3, n);
	put_bytes_raw(e, s, n);
}

void phr_cbor_put_cstr(struct phr_cbor_enc *e, const char *s) { phr_cbor_put_text(e, s, strlen(s)); }

void phr_cbor_put_bool(struct phr_cbor_enc *e, bool v)
{
	uint8_t b = v ? 0xf5 : 0xf4;
	put_bytes_raw(e, &b, 1);
}

void phr_cbor_put_null(struct phr_cbor_enc *e)
{
	uint8_t b = 0xf6;
	put_bytes_raw(e, &b, 1);
}

void phr_cbor_put_array(struct phr_cbor_enc *e, size_t n) { put_head(e, 4, n); }
void phr_cbor_put_map(struct phr_cbor_enc *e, size_t n) { put_head(e, 5, n); }
void phr_cbor_put_tag(struct phr_cbor_enc *e, uint64_t tag) { put_head(e, 6, tag); }
void phr_cbor_put_raw(struct phr_cbor_enc *e, const void *p, size_t n) { put_bytes_raw(e, p, n); }

int phr_cbor_enc_finish(struct phr_cbor_enc *e, size_t *len)
{
	*len = e->len;
	if (e->err == PHR_E_BUFFER)
		return phr_fail(PHR_E_BUFFER, "CBOR encoder: buffer of %zu bytes too small, %zu needed",
				e->cap, e->len);
	if (e->err != PHR_OK)
		return phr_fail(e->err, "CBOR encoder: invalid value");
	return PHR_OK;
}

/* ---- tokeniser: one libcbor stream-decode step ---- */

struct token {
	int major;         /* 0..7, -1 for unsupported */
	uint64_t val;      /* int value, length, count, tag */
	const uint8_t *data; /* string payload */
	int simple;        /* for major 7: 20 false, 21 true, 22 null */
	int bad;           /* indefinite, float, undefined, break */
	const char *bad_what;
};

#define TOK(t) struct token *t = ctx
static void cb_u8(void *ctx, uint8_t v) { TOK(t); t->major = 0; t->val = v; }
static void cb_u16(void *ctx, uint16_t v) { TOK(t); t->major = 0; t->val = v; }
static void cb_u32(void *ctx, uint32_t v) { TOK(t); t->major = 0; t->val = v; }
static void cb_u64(void *ctx, uint64_t v) { TOK(t); t->major = 0; t->val = v; }
static void cb_n8(void *ctx, uint8_t v) { TOK(t); t->major = 1; t->val = v; }
static void cb_n16(void *ctx, uint16_t v) { TOK(t); t->major = 1; t->val = v; }
static void cb_n32(void *ctx, uint32_t v) { TOK(t); t->major = 1; t->val = v; }
static void cb_n64(void *ctx, uint64_t v) { TOK(t); t->major = 1; t->val = v; }
static void cb_bstr(void *ctx, cbor_data d, size_t n) { TOK(t); t->major = 2; t->val = n; t->data = d; }
static void cb_tstr(void *ctx, cbor_data d, size_t n) { TOK(t); t->major = 3; t->val = n; t->data = d; }
static void cb_arr(void *ctx, size_t n) { TOK(t); t->major = 4; t->val = n; }
static void cb_map(void *ctx, size_t n) { TOK(t); t->major = 5; t->val = n; }
static void cb_tag(void *ctx, uint64_t v) { TOK(t); t->major = 6; t->val = v; }
static void cb_bool(void *ctx, bool v) { TOK(t); t->major = 7; t->simple = v ? 21 : 20; }
static void cb_null(void *ctx) { TOK(t); t->major = 7; t->simple = 22; }
static void cb_indef(void *ctx) { TOK(t); t->bad = 1; t->bad_what = "indefinite-length item"; }
static void cb_undef(void *ctx) { TOK(t); t->bad = 1; t->bad_what = "undefined value"; }
static void cb_brk(void *ctx) { TOK(t); t->bad = 1; t->bad_what = "break code"; }
static void cb_f(void *ctx, float v) { (void)v; TOK(t); t->bad = 1; t->bad_what = "floating-point value"; }
static void cb_d(void *ctx, double v) { (void)v; TOK(t); t->bad = 1; t->bad_what = "floating-point value"; }
#undef TOK

static const struct cbor_callbacks callbacks = {
	.uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
	.negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32, .negint64 = cb_n64,
	.byte_string_start = cb_indef, .byte_string = cb_bstr,
	.string = cb_tstr, .string_start = cb_indef,
	.indef_array_start = cb_indef, .array_start = cb_arr,
	.indef_map_start = cb_indef, .map_start = cb_map,
	.tag = cb_tag,
	.float2 = cb_f, .float4 = cb_f, .float8 = cb_d,
	.undefined = cb_undef, .null = cb_null, .boolean = cb_bool, .indef_break = cb_brk,
};

static size_t shortest_head(uint64_t v)
{
	if (v < 24) return 1;
	if (v <= 0xff) return 2;
	if (v <= 0xffff) return 3;
	if (v <= 0xffffffffu) return 5;
	return 9;
}

static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) { i++; continue; }
		if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; }
		else return 0;
		if (n - i <= k) return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80) return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000))
			return 0; /* overlong */
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* Reads one head (and for strings, the payload) at off. Checks shortest form
 * and support, and with check_utf8 that a text string is valid UTF-8 (the
 * cursor reads only bytes phr_cbor_validate() has checked, so it skips
 * that walk over every string); sets *used to the bytes consumed. */
static int next_token(const uint8_t *p, size_t len, size_t off, struct token *t, size_t *used, bool check_utf8)
{
	memset(t, 0, sizeof(*t));
	t->major = -1;
	if (off >= len)
		return phr_fail(PHR_E_TRUNCATED, "CBOR: input ends at offset %zu where an item was expected", off);
	struct cbor_decoder_result r = cbor_stream_decode(p + off, len - off, &callbacks, t);
	if (r.status == CBOR_DECODER_NEDATA)
		return phr_fail(PHR_E_TRUNCATED, "CBOR: item at offset %zu needs %zu more bytes",
				off, r.required > len - off ? r.required - (len - off) : (size_t)1);
	if (r.status != CBOR_DECODER_FINISHED)
		return phr_fail(PHR_E_MALFORMED, "CBOR: malformed item at offset %zu (initial byte 0x%02x)",
				off, p[off]);
	if (t->bad)
		return phr_fail(PHR_E_NONCANONICAL, "CBOR: %s at offset %zu is not allowed", t->bad_what, off);
	if (t->major < 0)
		return phr_fail(PHR_E_MALFORMED, "CBOR: unsupported item at offset %zu (initial byte 0x%02x)",
				off, p[off]);
	size_t head = r.read;
	if (t->major == 2 || t->major == 3) {
		if (t->val > r.read)
			return phr_fail(PHR_E_MALFORMED, "CBOR: bad string at offset %zu", off);
		head = r.read - (size_t)t->val;
	}
	if (t->major == 7) {
		if (head != 1)
			return phr_fail(PHR_E_NONCANONICAL, "CBOR: simple value at offset %zu not in shortest form", off);
	} else if (head != shortest_head(t->val)) {
		return phr_fail(PHR_E_NONCANONICAL,
				"CBOR: integer or length %llu at offset %zu is not in shortest form (%zu-byte head)",
				(unsigned long long)t->val, off, head);
	}
	if (check_utf8 && t->major == 3 && !utf8_valid(t->data, (size_t)t->val))
		return phr_fail(PHR_E_MALFORMED, "CBOR: text string at offset %zu is not valid UTF-8", off);
	*used = r.read;
	return PHR_OK;
}

/* ---- validation ---- */

struct vstate {
	const uint8_t *p;
	size_t len;
	size_t items;
};

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	/* RFC 8949 §4.2.1: bytewise lexicographic order of the encoded keys */
	size_t m = an < bn ? an : bn;
	int c = memcmp(a, b, m);
	if (c)
		return c;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static int validate_item(struct vstate *v, size_t *off, unsigned depth)
{
	struct token t;
	size_t used;
	int rc;
	if (depth > PHR_CBOR_MAX_DEPTH)
		return phr_fail(PHR_E_LIMIT, "CBOR: nesting deeper than %d at offset %zu", PHR_CBOR_MAX_DEPTH, *off);
	if (++v->items > PHR_CBOR_MAX_ITEMS)
		return phr_fail(PHR_E_LIMIT, "CBOR: more than %d items", PHR_CBOR_MAX_ITEMS);
	size_t start = *off;
	rc = next_token(v->p, v->len, *off, &t, &used, true);
	if (rc)
		return rc;
	*off += used;
	switch (t.major) {
	case 4:
		/* each child takes at least one byte: reject absurd counts before looping */
		if (t.val > v->len - *off)
			return phr_fail(PHR_E_TRUNCATED, "CBOR: array at offset %zu claims %llu items, input too short",
					start, (unsigned long long)t.val);
		for (uint64_t i = 0; i < t.val; i++)
			if ((rc = validate_item(v, off, depth + 1)))
				return rc;
		break;
	case 5: {
		if (t.val > (v->len - *off) / 2)
			return phr_fail(PHR_E_TRUNCATED, "CBOR: map at offset %zu claims %llu pairs, input too short",
					start, (unsigned long long)t.val);
		const uint8_t *prev = NULL;
		size_t prev_len = 0;
		for (uint64_t i = 0; i < t.val; i++) {
			size_t kstart = *off;
			if ((rc = validate_item(v, off, depth + 1)))
				return rc;
			const uint8_t *k = v->p + kstart;
			size_t klen = *off - kstart;
			if (prev) {
				int c = cmp_bytes(prev, prev_len, k, klen);
				if (c == 0)
					return phr_fail(PHR_E_DUPLICATE_KEY, "CBOR: duplicate map key at offset %zu", kstart);
				if (c > 0)
					return phr_fail(PHR_E_NONCANONICAL,
							"CBOR: map keys out of canonical order at offset %zu", kstart);
			}
			prev = k;
			prev_len = klen;
			if ((rc = validate_item(v, off, depth + 1)))
				return rc;
		}
		break;
	}
	case 6:
		if (t.val != 4)
			return phr_fail(PHR_E_MALFORMED, "CBOR: tag %llu at offset %zu is not allowed",
					(unsigned long long)t.val, start);
		return validate_item(v, off, depth + 1);
	default:
		break;
	}
	return PHR_OK;
}

int phr_cbor_validate(const uint8_t *buf, size_t len)
{
	struct vstate v = { buf, len, 0 };
	size_t off = 0;
	if (!buf && len)
		return phr_fail(PHR_E_ARG, "CBOR: NULL buffer");
	int rc = validate_item(&v, &off, 0);
	if (rc)
		return rc;
	if (off != len)
		return phr_fail(PHR_E_TRAILING, "CBOR: %zu trailing bytes after the item at offset %zu", len - off, off);
	return PHR_OK;
}

void phr_cbor_dec_init_nested(struct phr_cbor_dec *d, const uint8_t *buf, size_t len)
{
	d->p = buf;
	d->len = len;
	d->off = 0;
	d->err = PHR_OK;
}

int phr_cbor_dec_init(struct phr_cbor_dec *d, const uint8_t *buf, size_t len)
{
	d->p = buf;
	d->len = len;
	d->off = 0;
	d->err = phr_cbor_validate(buf, len);
	if (d->err)
		d->len = 0;
	return d->err;
}

/* ---- cursor ---- */

bool phr_cbor_at_end(const struct phr_cbor_dec *d)
{
	return d->err != PHR_OK || d->off >= d->len;
}

enum phr_cbor_type phr_cbor_peek(const struct phr_cbor_dec *d)
{
	if (phr_cbor_at_end(d))
		return PHR_CBOR_NONE;
	return (enum phr_cbor_type)(d->p[d->off] >> 5);
}

static const char *major_name(int m)
{
	static const char *const names[] = { "unsigned integer", "negative integer", "byte string",
		"text string", "array", "map", "tag", "simple value" };
	return (m >= 0 && m <= 7) ? names[m] : "nothing";
}

static int take(struct phr_cbor_dec *d, int want_major, struct token *t)
{
	size_t used;
	if (d->err)
		return d->err;
	if (d->off >= d->len)
		return d->err = phr_fail(PHR_E_MALFORMED, "CBOR: expected %s at offset %zu, found end of input",
					 major_name(want_major), d->off);
	int rc = next_token(d->p, d->len, d->off, t, &used, false);
	if (rc)
		return d->err = rc;
	if (want_major >= 0 && t->major != want_major)
		return d->err = phr_fail(PHR_E_MALFORMED, "CBOR: expected %s at offset %zu, found %s",
					 major_name(want_major), d->off, major_name(t->major));
	d->off += used;
	return PHR_OK;
}

int phr_cbor_get_uint(struct phr_cbor_dec *d, uint64_t *v)
{
	struct token t;
	int rc = take(d, 0, &t);
	*v = rc ? 0 : t.val;
	return rc;
}

int phr_cbor_get_int(struct phr_cbor_dec *d, int64_t *v)
{
	struct token t;
	*v = 0;
	int rc = take(d, -1, &t);
	if (rc)
		return rc;
	if ((t.major != 0 && t.major != 1) || t.val > INT64_MAX) {
		d->err = phr_fail(PHR_E_MALFORMED, "CBOR: expected an integer in 64-bit range before offset %zu", d->off);
		return d->err;
	}
	*v = t.major == 0 ? (int64_t)t.val : -1 - (int64_t)t.val;
	return PHR_OK;
}

int phr_cbor_get_bytes(struct phr_cbor_dec *d, const uint8_t **p, size_t *n)
{
	struct token t;
	int rc = take(d, 2, &t);
	*p = rc ? NULL : t.data;
	*n = rc ? 0 : (size_t)t.val;
	return rc;
}

int phr_cbor_get_bytes_exact(struct phr_cbor_dec *d, uint8_t *out, size_t n)
{
	const uint8_t *p;
	size_t got;
	size_t at = d->off;
	int rc = phr_cbor_get_bytes(d, &p, &got);
	if (rc)
		return rc;
	if (got != n)
		return d->err = phr_fail(PHR_E_MALFORMED, "CBOR: byte string at offset %zu has %zu bytes, expected %zu",
					 at, got, n);
	memcpy(out, p, n);
	return PHR_OK;
}

int phr_cbor_get_text(struct phr_cbor_dec *d, const char **s, size_t *n)
{
	struct token t;
	int rc = take(d, 3, &t);
	*s = rc ? NULL : (const char *)t.data;
	*n = rc ? 0 : (size_t)t.val;
	return rc;
}

int phr_cbor_get_bool(struct phr_cbor_dec *d, bool *v)
{
	struct token t;
	size_t at = d->off;
	int rc = take(d, 7, &t);
	*v = false;
	if (rc)
		return rc;
	if (t.simple != 20 && t.simple != 21)
		return d->err = phr_fail(PHR_E_MALFORMED, "CBOR: expected true or false at offset %zu", at);
	*v = t.simple == 21;
	return PHR_OK;
}

int phr_cbor_get_null(struct phr_cbor_dec *d)
{
	struct token t;
	size_t at = d->off;
	int rc = take(d, 7, &t);
	if (rc)
		return rc;
	if (t.simple != 22)
		return d->err = phr_fail(PHR_E_MALFORMED, "CBOR: expected null at offset %zu", at);
	return PHR_OK;
}

int phr_cbor_get_array(struct phr_cbor_dec *d, size_t *n)
{
	struct token t;
	int rc = take(d, 4, &t);
	*n = rc ? 0 : (size_t)t.val;
	return rc;
}

int phr_cbor_get_map(struct phr_cbor_dec *d, size_t *n)
{
	struct token t;
	int rc = take(d, 5, &t);
	*n = rc ? 0 : (size_t)t.val;
	return rc;
}

int phr_cbor_get_tag(struct phr_cbor_dec *d, uint64_t *tag)
{
	struct token t;
	int rc = take(d, 6, &t);
	*tag = rc ? 0 : t.val;
	return rc;
}

int phr_cbor_skip(struct phr_cbor_dec *d)
{
	struct token t;
	int rc = take(d, -1, &t);
	if (rc)
		return rc;
	uint64_t children = 0;
	if (t.major == 4)
		children = t.val;
	else if (t.major == 5)
		children = 2 * t.val; /* validated: fits */
	else if (t.major == 6)
		children = 1;
	for (uint64_t i = 0; i < children; i++)
		if ((rc = phr_cbor_skip(d)))
			return rc;
	return PHR_OK;
}

int phr_cbor_get_raw(struct phr_cbor_dec *d, const uint8_t **p, size_t *n)
{
	size_t start = d->off;
	int rc = phr_cbor_skip(d);
	*p = rc ? NULL : d->p + start;
	*n = rc ? 0 : d->off - start;
	return rc;
}

int phr_cbor_expect_key(struct phr_cbor_dec *d, uint64_t want)
{
	uint64_t k;
	size_t at = d->off;
	int rc = phr_cbor_get_uint(d, &k);
	if (rc)
		return rc;
	if (k != want)
		return d->err = phr_fail(PHR_E_MALFORMED, "CBOR: expected map key %llu at offset %zu, found %llu",
					 (unsigned long long)want, at, (unsigned long long)k);
	return PHR_OK;
}
