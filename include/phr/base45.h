/* Base45 (RFC 9285): bytes as text in the QR alphanumeric set. */
#ifndef PHR_BASE45_H
#define PHR_BASE45_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

/* Characters Base45 needs for n bytes: 3 per 2 bytes, 2 for a last odd byte. */
size_t phr_base45_encoded_len(size_t n);

/* Writes phr_base45_encoded_len(n) characters to out (no NUL). Returns
 * PHR_OK, or PHR_E_BUFFER when cap is too small. */
PHR_NODISCARD int phr_base45_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen);

/* Decodes n characters. Refuses (PHR_E_MALFORMED, naming the offset) a
 * character outside the alphabet, a length of 1 mod 3, and a group whose
 * value exceeds 65535 (or 255 for a last group of 2). PHR_E_BUFFER when
 * cap is too small. */
PHR_NODISCARD int phr_base45_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);

#endif
