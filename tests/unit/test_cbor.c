/* Deterministic CBOR: encoder vectors (RFC 8949 App. A), every rejection
 * rule, and exhaustive short inputs: whatever the decoder accepts re-encodes
 * to the same bytes (one encoding per value). */
#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "testlib.h"

static int enc_eq(void (*build)(struct phr_cbor_enc *), const char *hex)
{
	uint8_t buf[64], want[64];
	struct phr_cbor_enc e;
	size_t n, wn = t_unhex(hex, want, sizeof(want));
	phr_cbor_enc_init(&e, buf, sizeof(buf));
	build(&e);
	if (phr_cbor_enc_finish(&e, &n) != PHR_OK || n != wn || memcmp(buf, want, n) != 0) {
		fprintf(stderr, "  encoding mismatch for %s\n", hex);
		return 1;
	}
	if (phr_cbor_validate(buf, n) != PHR_OK) {
		fprintf(stderr, "  decoder rejects its own %s: %s\n", hex, phr_last_error());
		return 1;
	}
	return 0;
}

static void b0(struct phr_cbor_enc *e) { phr_cbor_put_uint(e, 0); }
static void b23(struct phr_cbor_enc *e) { phr_cbor_put_uint(e, 23); }
static void b24(struct phr_cbor_enc *e) { phr_cbor_put_uint(e, 24); }
static void b1000(struct phr_cbor_enc *e) { phr_cbor_put_uint(e, 1000); }
static void b1e6(struct phr_cbor_enc *e) { phr_cbor_put_uint(e, 1000000); }
static void bmax(struct phr_cbor_enc *e) { phr_cbor_put_uint(e, UINT64_MAX); }
static void bm1(struct phr_cbor_enc *e) { phr_cbor_put_int(e, -1); }
static void bm1000(struct phr_cbor_enc *e) { phr_cbor_put_int(e, -1000); }
static void bmin(struct phr_cbor_enc *e) { phr_cbor_put_int(e, INT64_MIN); }
static void bietf(struct phr_cbor_enc *e) { phr_cbor_put_cstr(e, "IETF"); }
static void bbytes(struct phr_cbor_enc *e) { phr_cbor_put_bytes(e, "\x01\x02\x03\x04", 4); }
static void barr(struct phr_cbor_enc *e)
{
	phr_cbor_put_array(e, 2);
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_array(e, 2);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_uint(e, 3);
}
static void bmap(struct phr_cbor_enc *e)
{
	phr_cbor_put_map(e, 2);
	phr_cbor_put_uint(e, 1);
	phr_cbor_put_uint(e, 2);
	phr_cbor_put_uint(e, 3);
	phr_cbor_put_uint(e, 4);
}
static void bsimple(struct phr_cbor_enc *e)
{
	phr_cbor_put_array(e, 3);
	phr_cbor_put_bool(e, true);
	phr_cbor_put_bool(e, false);
	phr_cbor_put_null(e);
}
static void bdec(struct phr_cbor_enc *e)
{
	phr_cbor_put_tag(e, 4);
	phr_cbor_put_array(e, 2);
	phr_cbor_put_int(e, -2);
	phr_cbor_put_int(e, 27315);
}

static int test_encoder_vectors(void)
{
	CHECK(!enc_eq(b0, "00"));
	CHECK(!enc_eq(b23, "17"));
	CHECK(!enc_eq(b24, "1818"));
	CHECK(!enc_eq(b1000, "1903e8"));
	CHECK(!enc_eq(b1e6, "1a000f4240"));
	CHECK(!enc_eq(bmax, "1bffffffffffffffff"));
	CHECK(!enc_eq(bm1, "20"));
	CHECK(!enc_eq(bm1000, "3903e7"));
	CHECK(!enc_eq(bmin, "3b7fffffffffffffff"));
	CHECK(!enc_eq(bietf, "6449455446"));
	CHECK(!enc_eq(bbytes, "4401020304"));
	CHECK(!enc_eq(barr, "8201820203"));
	CHECK(!enc_eq(bmap, "a201020304"));
	CHECK(!enc_eq(bsimple, "83f5f4f6"));
	CHECK(!enc_eq(bdec, "c48221196ab3"));
	return 0;
}

static int test_encoder_overflow_sticky(void)
{
	uint8_t buf[3];
	struct phr_cbor_enc e;
	size_t n;
	phr_cbor_enc_init(&e, buf, sizeof(buf));
	phr_cbor_put_cstr(&e, "too long");
	phr_cbor_put_uint(&e, 1);
	CHECK_RC(phr_cbor_enc_finish(&e, &n), PHR_E_BUFFER);
	CHECK(n == 10); /* tells the size needed */
	phr_cbor_enc_init(&e, NULL, 0);
	phr_cbor_put_cstr(&e, "too long");
	CHECK_RC(phr_cbor_enc_finish(&e, &n), PHR_OK);
	CHECK(n == 9);
	return 0;
}

static int rejects(const char *hex, int want)
{
	uint8_t buf[64];
	size_t n = t_unhex(hex, buf, sizeof(buf));
	int rc = phr_cbor_validate(buf, n);
	if (rc != want) {
		fprintf(stderr, "  %s: got %d (%s), want %d\n", hex, rc, phr_last_error(), want);
		return 1;
	}
	if (!strstr(phr_last_error(), "offset") && !strstr(phr_last_error(), "items")) {
		fprintf(stderr, "  %s: message does not say where: %s\n", hex, phr_last_error());
		return 1;
	}
	return 0;
}

static int test_rejects_noncanonical(void)
{
	CHECK(!rejects("1817", PHR_E_NONCANONICAL));           /* 23 in a 1-byte extension */
	CHECK(!rejects("190017", PHR_E_NONCANONICAL));         /* 23 in 2 bytes */
	CHECK(!rejects("1900ff", PHR_E_NONCANONICAL));         /* 255 in 2 bytes */
	CHECK(!rejects("1a0000ffff", PHR_E_NONCANONICAL));
	CHECK(!rejects("1b00000000ffffffff", PHR_E_NONCANONICAL));
	CHECK(!rejects("3800", PHR_E_NONCANONICAL));           /* -1 in 1 extra byte */
	CHECK(!rejects("580100", PHR_E_NONCANONICAL));         /* bstr length 1 in ext */
	CHECK(!rejects("780161", PHR_E_NONCANONICAL));         /* tstr length 1 in ext */
	CHECK(!rejects("980100", PHR_E_NONCANONICAL));         /* array count in ext */
	CHECK(!rejects("b8010102", PHR_E_NONCANONICAL));       /* map count in ext */
	CHECK(!rejects("5f4101ff", PHR_E_NONCANONICAL));       /* indefinite bstr */
	CHECK(!rejects("7f6161ff", PHR_E_NONCANONICAL));       /* indefinite tstr */
	CHECK(!rejects("9f01ff", PHR_E_NONCANONICAL));         /* indefinite array */
	CHECK(!rejects("bf0102ff", PHR_E_NONCANONICAL));       /* indefinite map */
	CHECK(!rejects("f93c00", PHR_E_NONCANONICAL));         /* half float */
	CHECK(!rejects("fa3f800000", PHR_E_NONCANONICAL));     /* float */
	CHECK(!rejects("fb3ff0000000000000", PHR_E_NONCANONICAL));
	CHECK(!rejects("f7", PHR_E_NONCANONICAL));             /* undefined */
	CHECK(!rejects("a203040102", PHR_E_NONCANONICAL));     /* keys out of order */
	CHECK(!rejects("a220010102", PHR_E_NONCANONICAL));     /* -1 (0x20) sorts after 1 (0x01) */
	CHECK(!rejects("a2616201616101", PHR_E_NONCANONICAL)); /* "b" before "a" */
	return 0;
}

static int test_rejects_other(void)
{
	CHECK(!rejects("a201020103", PHR_E_DUPLICATE_KEY));
	CHECK(!rejects("a2616101616102", PHR_E_DUPLICATE_KEY));
	CHECK(!rejects("0000", PHR_E_TRAILING));
	CHECK(!rejects("18", PHR_E_TRUNCATED));
	CHECK(!rejects("1903", PHR_E_TRUNCATED));
	CHECK(!rejects("6261", PHR_E_TRUNCATED));
	CHECK(!rejects("8201", PHR_E_TRUNCATED));
	CHECK(!rejects("a101", PHR_E_TRUNCATED));
	CHECK(!rejects("9b0000000100000000", PHR_E_TRUNCATED)); /* huge count, no items */
	CHECK(!rejects("c100", PHR_E_MALFORMED));              /* tag 1 not allowed */
	CHECK(!rejects("62c328", PHR_E_MALFORMED));            /* invalid UTF-8 */
	CHECK(!rejects("62c0af", PHR_E_MALFORMED));            /* overlong UTF-8 */
	CHECK(!rejects("63eda080", PHR_E_MALFORMED));          /* UTF-16 surrogate */
	CHECK(!rejects("e0", PHR_E_MALFORMED));                /* simple value 0 */
	uint8_t deep[40];
	memset(deep, 0x81, sizeof(deep));
	deep[sizeof(deep) - 1] = 0x00;
	CHECK_RC(phr_cbor_validate(deep, sizeof(deep)), PHR_E_LIMIT);
	CHECK_RC(phr_cbor_validate(deep, 0), PHR_E_TRUNCATED);
	return 0;
}

/* Re-encodes the item at the cursor. */
static int reencode(struct phr_cbor_dec *d, struct phr_cbor_enc *e)
{
	uint64_t u;
	int64_t i;
	const uint8_t *p;
	const char *s;
	size_t n;
	bool b;
	switch (phr_cbor_peek(d)) {
	case PHR_CBOR_UINT:
		if (phr_cbor_get_uint(d, &u)) return 1;
		phr_cbor_put_uint(e, u);
		return 0;
	case PHR_CBOR_NINT: {
		/* may be below INT64_MIN: copy raw */
		if (phr_cbor_get_raw(d, &p, &n)) return 1;
		phr_cbor_put_raw(e, p, n);
		(void)i;
		return 0;
	}
	case PHR_CBOR_BYTES:
		if (phr_cbor_get_bytes(d, &p, &n)) return 1;
		phr_cbor_put_bytes(e, p, n);
		return 0;
	case PHR_CBOR_TEXT:
		if (phr_cbor_get_text(d, &s, &n)) return 1;
		phr_cbor_put_text(e, s, n);
		return 0;
	case PHR_CBOR_ARRAY:
		if (phr_cbor_get_array(d, &n)) return 1;
		phr_cbor_put_array(e, n);
		for (size_t k = 0; k < n; k++)
			if (reencode(d, e)) return 1;
		return 0;
	case PHR_CBOR_MAP:
		if (phr_cbor_get_map(d, &n)) return 1;
		phr_cbor_put_map(e, n);
		for (size_t k = 0; k < 2 * n; k++)
			if (reencode(d, e)) return 1;
		return 0;
	case PHR_CBOR_TAG:
		if (phr_cbor_get_tag(d, &u)) return 1;
		phr_cbor_put_tag(e, u);
		return reencode(d, e);
	case PHR_CBOR_SIMPLE:
		if (d->p[d->off] == 0xf6) {
			if (phr_cbor_get_null(d)) return 1;
			phr_cbor_put_null(e);
			return 0;
		}
		if (phr_cbor_get_bool(d, &b)) return 1;
		phr_cbor_put_bool(e, b);
		return 0;
	default:
		return 1;
	}
}

static int roundtrip_if_valid(const uint8_t *in, size_t n, size_t *accepted)
{
	struct phr_cbor_dec d;
	if (phr_cbor_dec_init(&d, in, n) != PHR_OK)
		return 0;
	(*accepted)++;
	uint8_t out[64];
	struct phr_cbor_enc e;
	size_t m;
	phr_cbor_enc_init(&e, out, sizeof(out));
	if (reencode(&d, &e) || phr_cbor_enc_finish(&e, &m) || m != n || memcmp(in, out, n) != 0) {
		fprintf(stderr, "  accepted input does not re-encode to itself:");
		for (size_t k = 0; k < n; k++)
			fprintf(stderr, " %02x", in[k]);
		fputc('\n', stderr);
		return 1;
	}
	return 0;
}

static int test_exhaustive_short_inputs(void)
{
	uint8_t b[3];
	size_t accepted = 0;
	for (unsigned x = 0; x < 256; x++) {
		b[0] = (uint8_t)x;
		CHECK(!roundtrip_if_valid(b, 1, &accepted));
		for (unsigned y = 0; y < 256; y++) {
			b[1] = (uint8_t)y;
			CHECK(!roundtrip_if_valid(b, 2, &accepted));
		}
	}
	/* 3-byte inputs: all with a map/array/tag/string head first */
	for (unsigned x = 0x40; x < 0xe0; x++)
		for (unsigned y = 0; y < 256; y++)
			for (unsigned z = 0; z < 256; z++) {
				b[0] = (uint8_t)x;
				b[1] = (uint8_t)y;
				b[2] = (uint8_t)z;
				CHECK(!roundtrip_if_valid(b, 3, &accepted));
			}
	printf("  %zu short inputs accepted, each re-encodes to itself\n", accepted);
	CHECK(accepted > 1000);
	return 0;
}

static int test_cursor_type_errors_name_offset(void)
{
	uint8_t buf[] = { 0x82, 0x01, 0x61, 0x61 };
	struct phr_cbor_dec d;
	size_t n;
	uint64_t u;
	CHECK_RC(phr_cbor_dec_init(&d, buf, sizeof(buf)), PHR_OK);
	CHECK_RC(phr_cbor_get_array(&d, &n), PHR_OK);
	CHECK(n == 2);
	CHECK_RC(phr_cbor_get_uint(&d, &u), PHR_OK);
	CHECK_RC(phr_cbor_get_uint(&d, &u), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "offset 2"));
	CHECK(strstr(phr_last_error(), "text string"));
	/* sticky: later calls fail too */
	CHECK(phr_cbor_get_uint(&d, &u) != PHR_OK);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "encoder vectors (RFC 8949 App. A)", test_encoder_vectors },
		{ "encoder overflow is sticky, counting mode", test_encoder_overflow_sticky },
		{ "rejects non-deterministic encodings", test_rejects_noncanonical },
		{ "rejects duplicates, truncation, tags, bad UTF-8, depth", test_rejects_other },
		{ "exhaustive 1-, 2- and 3-byte inputs", test_exhaustive_short_inputs },
		{ "cursor type errors name the offset", test_cursor_type_errors_name_offset },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
