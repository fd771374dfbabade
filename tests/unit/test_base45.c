/* phr/base45.h: the RFC 9285 examples, every 1- and 2-byte input, every
 * 2- and 3-character input (each decodes exactly when its value is in
 * range, and then back to the same text), and every rejection with the
 * offset it names. */
#include <stdlib.h>
#include <string.h>

#include "phr/base45.h"
#include "testlib.h"

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static int enc_is(const char *in, size_t n, const char *want)
{
	char out[64];
	size_t len = 99;
	CHECK(phr_base45_encoded_len(n) == strlen(want));
	CHECK_RC(phr_base45_encode((const uint8_t *)in, n, out, sizeof(out), &len), PHR_OK);
	CHECK(len == strlen(want) && !memcmp(out, want, len));
	return 0;
}

static int dec_is(const char *in, const char *want, size_t wn)
{
	uint8_t out[64];
	size_t len = 99;
	CHECK_RC(phr_base45_decode(in, strlen(in), out, sizeof(out), &len), PHR_OK);
	CHECK(len == wn && !memcmp(out, want, wn));
	return 0;
}

/* RFC 9285 §4.3 and §4.4. */
static int test_rfc9285_examples(void)
{
	CHECK(!enc_is("AB", 2, "BB8"));
	CHECK(!enc_is("Hello!!", 7, "%69 VD92EX0"));
	CHECK(!enc_is("base-45", 7, "UJCLQE7W581"));
	CHECK(!dec_is("QED8WEX0", "ietf!", 5));
	CHECK(!dec_is("BB8", "AB", 2));
	CHECK(!dec_is("%69 VD92EX0", "Hello!!", 7));
	CHECK(!dec_is("UJCLQE7W581", "base-45", 7));
	/* the empty string both ways */
	CHECK(!enc_is("", 0, ""));
	CHECK(!dec_is("", "", 0));
	return 0;
}

/* The value a group of characters stands for, computed here from the
 * alphabet (c + 45 d + 2025 e), independently of record/base45.c. */
static unsigned value(const char *s, size_t n)
{
	unsigned v = 0, mul = 1;
	for (size_t i = 0; i < n; i++) {
		v += (unsigned)(strchr(alphabet, s[i]) - alphabet) * mul;
		mul *= 45;
	}
	return v;
}

static int test_every_short_input_round_trips(void)
{
	uint8_t in[2], back[2];
	char text[3];
	size_t n, m;
	for (unsigned v = 0; v < 65536; v++) {
		in[0] = (uint8_t)(v >> 8);
		in[1] = (uint8_t)v;
		CHECK_RC(phr_base45_encode(in, 2, text, sizeof(text), &n), PHR_OK);
		CHECK(n == 3 && value(text, 3) == v);
		CHECK_RC(phr_base45_decode(text, 3, back, sizeof(back), &m), PHR_OK);
		CHECK(m == 2 && !memcmp(in, back, 2));
	}
	for (unsigned v = 0; v < 256; v++) {
		in[0] = (uint8_t)v;
		CHECK_RC(phr_base45_encode(in, 1, text, sizeof(text), &n), PHR_OK);
		CHECK(n == 2 && value(text, 2) == v);
		CHECK_RC(phr_base45_decode(text, 2, back, sizeof(back), &m), PHR_OK);
		CHECK(m == 1 && back[0] == v);
	}
	return 0;
}

/* Exhaustive on short text: every 2- and 3-character string over the
 * alphabet decodes exactly when its value is in range, and re-encodes to
 * itself (one text per byte string). */
static int test_every_short_text(void)
{
	char t[3], again[3];
	uint8_t out[2];
	size_t n, m;
	size_t ok3 = 0, ok2 = 0;
	for (int a = 0; a < 45; a++)
		for (int b = 0; b < 45; b++) {
			t[0] = alphabet[a];
			t[1] = alphabet[b];
			int rc = phr_base45_decode(t, 2, out, sizeof(out), &n);
			if (value(t, 2) <= 255) {
				CHECK_RC(rc, PHR_OK);
				CHECK(n == 1 && out[0] == value(t, 2));
				CHECK_RC(phr_base45_encode(out, 1, again, sizeof(again), &m), PHR_OK);
				CHECK(m == 2 && !memcmp(again, t, 2));
				ok2++;
			} else {
				CHECK_RC(rc, PHR_E_MALFORMED);
				CHECK(strstr(phr_last_error(), "offset 0") && strstr(phr_last_error(), "255"));
				CHECK(n == 0);
			}
			for (int c = 0; c < 45; c++) {
				t[2] = alphabet[c];
				rc = phr_base45_decode(t, 3, out, sizeof(out), &n);
				if (value(t, 3) <= 65535) {
					CHECK_RC(rc, PHR_OK);
					CHECK(n == 2 && (out[0] << 8 | out[1]) == (int)value(t, 3));
					CHECK_RC(phr_base45_encode(out, 2, again, sizeof(again), &m), PHR_OK);
					CHECK(m == 3 && !memcmp(again, t, 3));
					ok3++;
				} else {
					CHECK_RC(rc, PHR_E_MALFORMED);
					CHECK(strstr(phr_last_error(), "65535"));
				}
			}
		}
	CHECK(ok3 == 65536 && ok2 == 256);
	return 0;
}

static int test_rejections_name_the_offset(void)
{
	uint8_t out[16];
	size_t n = 7;
	/* RFC 9285 §6: "GGW" is 65536 */
	CHECK_RC(phr_base45_decode("GGW", 3, out, sizeof(out), &n), PHR_E_MALFORMED);
	CHECK(n == 0 && strstr(phr_last_error(), "offset 0") && strstr(phr_last_error(), "65536"));
	CHECK_RC(phr_base45_decode("BB8GGW", 6, out, sizeof(out), &n), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "offset 3"));
	/* what was decoded before the bad group is wiped */
	CHECK(n == 0 && out[0] == 0 && out[1] == 0);
	/* largest values accepted */
	CHECK(!dec_is("FGW", "\xff\xff", 2));
	CHECK(!dec_is("U5", "\xff", 1));
	CHECK_RC(phr_base45_decode("BB8V5", 5, out, sizeof(out), &n), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "offset 3") && strstr(phr_last_error(), "256"));
	/* lengths of 1 mod 3 */
	static const char *const bad_len[] = { "A", "BB8A", "BB8BB8B" };
	for (size_t i = 0; i < 3; i++) {
		CHECK_RC(phr_base45_decode(bad_len[i], strlen(bad_len[i]), out, sizeof(out), &n), PHR_E_MALFORMED);
		char want[32];
		snprintf(want, sizeof(want), "offset %zu", strlen(bad_len[i]) - 1);
		CHECK(strstr(phr_last_error(), want));
	}
	/* every byte outside the alphabet, at every position of a group */
	for (int c = 0; c < 256; c++) {
		if (c && strchr(alphabet, c))
			continue;
		for (size_t pos = 0; pos < 6; pos++) {
			char t[6];
			memcpy(t, "BB8BB8", 6);
			t[pos] = (char)c;
			CHECK_RC(phr_base45_decode(t, 6, out, sizeof(out), &n), PHR_E_MALFORMED);
			char want[32];
			snprintf(want, sizeof(want), "offset %zu", pos);
			CHECK(strstr(phr_last_error(), want) && strstr(phr_last_error(), "alphabet"));
			CHECK(n == 0);
		}
	}
	/* lowercase is not Base45 (QR alphanumeric has none) */
	CHECK_RC(phr_base45_decode("bb8", 3, out, sizeof(out), &n), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "'b'"));
	return 0;
}

static int test_buffers(void)
{
	char text[8];
	uint8_t out[8];
	size_t n = 5;
	CHECK_RC(phr_base45_encode((const uint8_t *)"Hello", 5, text, 7, &n), PHR_E_BUFFER);
	CHECK(n == 0);
	CHECK_RC(phr_base45_encode((const uint8_t *)"Hello", 5, text, 8, &n), PHR_OK);
	CHECK(n == 8);
	CHECK_RC(phr_base45_decode(text, 8, out, 4, &n), PHR_E_BUFFER);
	CHECK(n == 0);
	CHECK_RC(phr_base45_decode(text, 8, out, 5, &n), PHR_OK);
	CHECK(n == 5 && !memcmp(out, "Hello", 5));
	/* lengths: 3 per 2 bytes, 2 for a last odd byte */
	for (size_t k = 0; k < 100; k++)
		CHECK(phr_base45_encoded_len(k) == k / 2 * 3 + (k % 2 ? 2 : 0));
	return 0;
}

/* Random lengths and bytes (fixed seed) round trip. */
static int test_random_round_trips(void)
{
	uint8_t in[600], back[600];
	char text[900];
	uint32_t x = 0x9e3779b9u;
	for (int t = 0; t < 2000; t++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t n = x % sizeof(in), m, k;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			in[i] = (uint8_t)x;
		}
		CHECK_RC(phr_base45_encode(in, n, text, sizeof(text), &m), PHR_OK);
		CHECK(m == phr_base45_encoded_len(n));
		for (size_t i = 0; i < m; i++)
			CHECK(text[i] && strchr(alphabet, text[i]));
		CHECK_RC(phr_base45_decode(text, m, back, sizeof(back), &k), PHR_OK);
		CHECK(k == n && !memcmp(in, back, n));
	}
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "rfc9285_examples", test_rfc9285_examples },
		{ "every_short_input_round_trips", test_every_short_input_round_trips },
		{ "every_short_text", test_every_short_text },
		{ "rejections_name_the_offset", test_rejections_name_the_offset },
		{ "buffers", test_buffers },
		{ "random_round_trips", test_random_round_trips },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
