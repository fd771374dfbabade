/* The holder key as a QR code (phr/seal_qr.h; docs/FORMAT.md, "The holder
 * key as a QR code"). */
#include <sodium.h>
#include <string.h>

#include "phr/seal_qr.h"

#define KEY_CHARS 27 /* 26 Base32 characters and the check character */

void phr_holder_key_qr_payload(const uint8_t key[PHR_HOLDER_KEY_LEN], char out[PHR_HOLDER_KEY_QR_LEN])
{
	memcpy(out, PHR_HOLDER_KEY_QR_PREFIX, PHR_HOLDER_KEY_QR_PREFIX_LEN);
	phr_holder_key_format(key, out + PHR_HOLDER_KEY_QR_PREFIX_LEN);
}

static bool has_prefix(const uint8_t *p, size_t len)
{
	if (len < PHR_HOLDER_KEY_QR_PREFIX_LEN)
		return false;
	for (size_t i = 0; i < PHR_HOLDER_KEY_QR_PREFIX_LEN; i++) {
		uint8_t c = p[i];
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 'a' + 'A');
		if (c != (uint8_t)PHR_HOLDER_KEY_QR_PREFIX[i])
			return false;
	}
	return true;
}

bool phr_holder_key_qr_is_key(const uint8_t *p, size_t len)
{
	if (!p)
		return false;
	if (has_prefix(p, len))
		return true;
	if (len > PHR_MAX_HOLDER_KEY_TEXT)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (c == '-' || c == ' ')
			continue;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7') || c == '0' || c == '1' ||
		    c == '8')
			n++;
		else
			return false;
	}
	return n == KEY_CHARS;
}

int phr_holder_key_qr_parse(const uint8_t *p, size_t len, uint8_t key[PHR_HOLDER_KEY_LEN])
{
	if (!p && len)
		return phr_fail(PHR_E_ARG, "holder key code: no payload");
	if (len > PHR_MAX_HOLDER_KEY_QR)
		return phr_fail(PHR_E_LIMIT, "holder key code: longer than PHR_MAX_HOLDER_KEY_QR (%d characters)",
				PHR_MAX_HOLDER_KEY_QR);
	if (!phr_holder_key_qr_is_key(p, len))
		return phr_fail(PHR_E_NOT_OURS, "not a holder key code");
	size_t skip = has_prefix(p, len) ? PHR_HOLDER_KEY_QR_PREFIX_LEN : 0;
	/* the typed form's reader ignores new lines too; a code holds none */
	for (size_t i = skip; i < len; i++)
		if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t' || p[i] == '\0')
			return phr_fail(PHR_E_SEAL_KEY, "holder key code: a control character in it");
	int rc = phr_holder_key_parse((const char *)p + skip, len - skip, key);
	if (rc)
		return phr_fail_wrap(rc, "holder key code");
	return PHR_OK;
}
