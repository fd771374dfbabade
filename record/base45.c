/* Base45 (RFC 9285). */
#include "phr/base45.h"

#include <stdint.h>
#include <string.h>

/* Exactly the 45 characters, no terminating NUL: a NUL byte in the input is
 * then refused like any other character outside the alphabet. */
static const char alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static int value_of(unsigned char c)
{
	const char *p = memchr(alphabet, c, sizeof(alphabet));
	return p ? (int)(p - alphabet) : -1;
}

size_t phr_base45_encoded_len(size_t n)
{
	return n / 2 * 3 + n % 2 * 2;
}

int phr_base45_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen)
{
	*outlen = 0;
	/* n / 2 * 3 + 2 fits a size_t for every n up to SIZE_MAX / 2 */
	if (n > SIZE_MAX / 2)
		return phr_fail(PHR_E_ARG, "base45: %zu bytes are too many to encode", n);
	size_t need = phr_base45_encoded_len(n);
	if (cap < need)
		return phr_fail(PHR_E_BUFFER, "base45: %zu bytes need %zu characters, buffer holds %zu", n, need, cap);
	size_t o = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned v = (unsigned)in[i] << 8 | in[i + 1];
		out[o++] = alphabet[v % 45];
		out[o++] = alphabet[v / 45 % 45];
		out[o++] = alphabet[v / 2025];
	}
	if (n % 2) {
		unsigned v = in[n - 1];
		out[o++] = alphabet[v % 45];
		out[o++] = alphabet[v / 45];
	}
	*outlen = o;
	return PHR_OK;
}

int phr_base45_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	int rc = PHR_OK;
	size_t o = 0;
	*outlen = 0;
	if (n % 3 == 1)
		return phr_fail(PHR_E_MALFORMED,
				"base45: %zu characters: a length of 1 more than a multiple of 3 is not Base45 "
				"(the last group, at offset %zu, has one character)",
				n, n - 1);
	size_t need = n / 3 * 2 + (n % 3 == 2);
	if (cap < need)
		return phr_fail(PHR_E_BUFFER, "base45: %zu characters decode to %zu bytes, buffer holds %zu", n, need,
				cap);
	for (size_t i = 0; i < n; i += 3) {
		size_t g = n - i < 3 ? n - i : 3;
		unsigned v = 0, mul = 1;
		for (size_t j = 0; j < g; j++) {
			unsigned char c = (unsigned char)in[i + j];
			int d = value_of(c);
			if (d < 0) {
				rc = c >= 0x20 && c < 0x7f
					     ? phr_fail(PHR_E_MALFORMED, "base45: character '%c' at offset %zu is not in the alphabet",
							c, i + j)
					     : phr_fail(PHR_E_MALFORMED, "base45: byte 0x%02x at offset %zu is not in the alphabet",
							c, i + j);
				goto fail;
			}
			v += (unsigned)d * mul;
			mul *= 45;
		}
		if (g == 3) {
			if (v > 0xffff) {
				rc = phr_fail(PHR_E_MALFORMED, "base45: group at offset %zu has the value %u, more than 65535", i,
					      v);
				goto fail;
			}
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
		} else {
			if (v > 0xff) {
				rc = phr_fail(PHR_E_MALFORMED, "base45: last group at offset %zu has the value %u, more than 255",
					      i, v);
				goto fail;
			}
			out[o++] = (uint8_t)v;
		}
	}
	*outlen = o;
	return PHR_OK;
fail:
	/* what was decoded before the bad group is not handed out */
	if (o)
		memset(out, 0, o);
	return rc;
}
