/* Deterministic CBOR decoder: phr_cbor_validate(), then the cursor API.
 *
 * Invariants:
 *  - validate and dec_init agree; a failure is a known error code;
 *  - a valid item walked with the typed getters and written back with the
 *    encoder gives the input bytes exactly (one encoding per value), within
 *    PHR_CBOR_MAX_DEPTH / PHR_CBOR_MAX_ITEMS, with map keys strictly
 *    ascending, text valid UTF-8 and only tag 4;
 *  - skip and get_raw cover exactly the input; every sub-item is itself valid;
 *  - a getter of the wrong type fails, sets the sticky error and moves nothing;
 *  - the input minus its last byte, or plus one byte, is not valid.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"

struct walk {
	struct phr_cbor_dec *d;
	struct phr_cbor_enc *e;
	size_t items;
	size_t max_depth;
};

/* A getter for the wrong type on a copy of the cursor must fail and leave
 * the sticky error set in the copy only. */
static void check_wrong_type(const struct phr_cbor_dec *d, enum phr_cbor_type t)
{
	struct phr_cbor_dec c = *d;
	uint64_t u;
	size_t n;
	const uint8_t *p;
	int rc;
	if (t == PHR_CBOR_MAP)
		rc = phr_cbor_get_array(&c, &n);
	else if (t == PHR_CBOR_TEXT)
		rc = phr_cbor_get_bytes(&c, &p, &n);
	else if (t == PHR_CBOR_UINT)
		rc = phr_cbor_get_map(&c, &n);
	else
		rc = phr_cbor_get_uint(&c, &u);
	FUZZ_CHECK(rc != PHR_OK, "getter of the wrong type succeeded");
	FUZZ_CHECK_ERR(rc);
	FUZZ_CHECK(c.err == rc && c.off == d->off, "failed getter did not set the sticky error or moved");
	FUZZ_CHECK(phr_cbor_peek(&c) == PHR_CBOR_NONE && phr_cbor_at_end(&c), "cursor in error still peeks");
	rc = phr_cbor_skip(&c);
	FUZZ_CHECK(rc != PHR_OK, "skip after a sticky error succeeded");
}

static void walk_item(struct walk *w, size_t depth)
{
	struct phr_cbor_dec *d = w->d;
	enum phr_cbor_type t = phr_cbor_peek(d);
	size_t start = d->off, n;
	const uint8_t *raw;

	FUZZ_CHECK(depth <= PHR_CBOR_MAX_DEPTH, "nesting deeper than PHR_CBOR_MAX_DEPTH accepted");
	FUZZ_CHECK(++w->items <= PHR_CBOR_MAX_ITEMS, "more than PHR_CBOR_MAX_ITEMS items accepted");
	if (depth > w->max_depth)
		w->max_depth = depth;
	FUZZ_CHECK(t != PHR_CBOR_NONE, "valid input ends where an item is due");

	/* Every item of a valid item is valid on its own. */
	{
		struct phr_cbor_dec c = *d;
		FUZZ_CHECK(phr_cbor_get_raw(&c, &raw, &n) == PHR_OK, "get_raw failed inside a valid item");
		FUZZ_CHECK(raw == d->p + start && n > 0 && n <= d->len - start, "get_raw span out of the buffer");
		FUZZ_CHECK(phr_cbor_validate(raw, n) == PHR_OK, "a sub-item of a valid item is not valid");
	}
	check_wrong_type(d, t);

	switch (t) {
	case PHR_CBOR_UINT: {
		uint64_t v;
		FUZZ_CHECK(phr_cbor_get_uint(d, &v) == PHR_OK, "get_uint");
		phr_cbor_put_uint(w->e, v);
		break;
	}
	case PHR_CBOR_NINT: {
		/* get_int covers int64 only; the rest of major type 1 is copied. */
		struct phr_cbor_dec sub;
		int64_t v;
		FUZZ_CHECK(phr_cbor_get_raw(d, &raw, &n) == PHR_OK, "get_raw of a negative integer");
		FUZZ_CHECK(phr_cbor_dec_init(&sub, raw, n) == PHR_OK, "negative integer alone");
		if (phr_cbor_get_int(&sub, &v) == PHR_OK) {
			FUZZ_CHECK(v < 0, "negative integer decoded as >= 0");
			phr_cbor_put_int(w->e, v);
		} else {
			FUZZ_CHECK(n == 9 && (raw[1] & 0x80), "get_int refused an int64-range negative integer");
			phr_cbor_put_raw(w->e, raw, n);
		}
		break;
	}
	case PHR_CBOR_BYTES: {
		const uint8_t *p;
		FUZZ_CHECK(phr_cbor_get_bytes(d, &p, &n) == PHR_OK, "get_bytes");
		FUZZ_CHECK(p >= d->p && n <= (size_t)(d->p + d->len - p), "bytes out of the buffer");
		phr_cbor_put_bytes(w->e, p, n);
		break;
	}
	case PHR_CBOR_TEXT: {
		const char *s;
		FUZZ_CHECK(phr_cbor_get_text(d, &s, &n) == PHR_OK, "get_text");
		FUZZ_CHECK((const uint8_t *)s >= d->p && n <= (size_t)(d->p + d->len - (const uint8_t *)s),
			   "text out of the buffer");
		FUZZ_CHECK(fuzz_utf8_ok((const uint8_t *)s, n), "invalid UTF-8 text accepted");
		phr_cbor_put_text(w->e, s, n);
		break;
	}
	case PHR_CBOR_ARRAY:
		FUZZ_CHECK(phr_cbor_get_array(d, &n) == PHR_OK, "get_array");
		phr_cbor_put_array(w->e, n);
		for (size_t i = 0; i < n; i++)
			walk_item(w, depth + 1);
		break;
	case PHR_CBOR_MAP: {
		const uint8_t *prev = NULL;
		size_t prev_n = 0;
		FUZZ_CHECK(phr_cbor_get_map(d, &n) == PHR_OK, "get_map");
		phr_cbor_put_map(w->e, n);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *k = d->p + d->off;
			size_t kstart = d->off;
			walk_item(w, depth + 1);
			size_t kn = d->off - kstart;
			if (prev) {
				int c = memcmp(prev, k, prev_n < kn ? prev_n : kn);
				FUZZ_CHECK(c < 0 || (c == 0 && prev_n < kn), "map keys not strictly ascending");
			}
			prev = k;
			prev_n = kn;
			walk_item(w, depth + 1);
		}
		break;
	}
	case PHR_CBOR_TAG: {
		uint64_t tag;
		FUZZ_CHECK(phr_cbor_get_tag(d, &tag) == PHR_OK, "get_tag");
		FUZZ_CHECK(tag == 4, "a tag other than 4 accepted");
		phr_cbor_put_tag(w->e, tag);
		walk_item(w, depth + 1);
		break;
	}
	case PHR_CBOR_SIMPLE: {
		uint8_t b = d->p[d->off];
		FUZZ_CHECK(b == 0xf4 || b == 0xf5 || b == 0xf6, "simple value other than false/true/null accepted");
		if (b == 0xf6) {
			FUZZ_CHECK(phr_cbor_get_null(d) == PHR_OK, "get_null");
			phr_cbor_put_null(w->e);
		} else {
			bool v;
			struct phr_cbor_dec c = *d;
			FUZZ_CHECK(phr_cbor_get_null(&c) != PHR_OK, "get_null accepted a boolean");
			FUZZ_CHECK(phr_cbor_get_bool(d, &v) == PHR_OK, "get_bool");
			FUZZ_CHECK(v == (b == 0xf5), "boolean value");
			phr_cbor_put_bool(w->e, v);
		}
		break;
	}
	default:
		FUZZ_CHECK(0, "peek returned an unknown type");
	}
	FUZZ_CHECK(d->err == PHR_OK && d->off > start, "cursor did not advance");
}

static void walk(const uint8_t *data, size_t size)
{
	struct phr_cbor_dec d;
	struct phr_cbor_enc e;
	uint8_t *out = malloc(size);
	size_t len;
	FUZZ_CHECK(out != NULL, "out of memory");

	FUZZ_CHECK(phr_cbor_dec_init(&d, data, size) == PHR_OK, "dec_init refused what validate accepted");
	phr_cbor_enc_init(&e, out, size);
	struct walk w = { &d, &e, 0, 0 };
	walk_item(&w, 0);
	FUZZ_CHECK(phr_cbor_at_end(&d) && d.off == size, "walk did not end at the end of the input");
	FUZZ_CHECK(phr_cbor_peek(&d) == PHR_CBOR_NONE, "peek at the end");
	FUZZ_CHECK(phr_cbor_enc_finish(&e, &len) == PHR_OK && len == size, "re-encoding has another size");
	FUZZ_CHECK(memcmp(out, data, size) == 0, "re-encoding differs: two encodings of one value accepted");
	free(out);

	FUZZ_CHECK(phr_cbor_dec_init(&d, data, size) == PHR_OK, "dec_init");
	{
		const uint8_t *p;
		size_t n;
		FUZZ_CHECK(phr_cbor_get_raw(&d, &p, &n) == PHR_OK && p == data && n == size, "get_raw of the whole");
	}
	FUZZ_CHECK(phr_cbor_dec_init(&d, data, size) == PHR_OK && phr_cbor_skip(&d) == PHR_OK &&
			   phr_cbor_at_end(&d),
		   "skip of the whole");
	FUZZ_CHECK(phr_cbor_skip(&d) != PHR_OK, "skip past the end succeeded");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_cbor_dec d;
	int rc = phr_cbor_validate(data, size);

	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT, "validate: error outside malformed/limit");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		FUZZ_CHECK(phr_cbor_dec_init(&d, data, size) == rc, "dec_init and validate disagree");
		FUZZ_CHECK(phr_cbor_at_end(&d) && phr_cbor_peek(&d) == PHR_CBOR_NONE, "failed decoder still reads");
		return 0;
	}
	FUZZ_CHECK(size > 0, "empty input accepted");
	walk(data, size);

	/* One byte less is truncated; one byte more is trailing. */
	FUZZ_CHECK(phr_cbor_validate(data, size - 1) != PHR_OK, "valid item minus its last byte is valid");
	uint8_t *more = malloc(size + 1);
	FUZZ_CHECK(more != NULL, "out of memory");
	memcpy(more, data, size);
	more[size] = 0;
	FUZZ_CHECK(phr_cbor_validate(more, size + 1) == PHR_E_TRAILING, "trailing byte not reported");
	free(more);
	return 0;
}
