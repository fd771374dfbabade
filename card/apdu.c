/* APDU encoding and the parsers of what a card answers (docs/CARD.md).
 * Everything from the card is hostile: every parser is bounded by n and
 * names what was wrong. */
#include <string.h>

#include <zlib.h>

#include "phr/card.h"

size_t phr_card_slot_size(void)
{
	return PHR_CARD_SLOT_SIZE;
}

const char *phr_card_strerror(int err)
{
	return phr_strerror(err);
}

uint32_t phr_card_crc32(const uint8_t *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	while (n) {
		uInt k = n > 1u << 30 ? 1u << 30 : (uInt)n;
		crc = crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)crc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int phr_apdu_build(const struct phr_apdu *a, bool ext, uint8_t *out, size_t cap, size_t *n)
{
	size_t max_lc = ext ? PHR_APDU_EXT_MAX_LC : PHR_APDU_SHORT_MAX_LC;
	size_t max_le = ext ? PHR_APDU_EXT_MAX_LE : PHR_APDU_SHORT_MAX_LE;
	size_t need = 4, k = 0;

	*n = 0;
	if (a->lc > max_lc || (a->lc && !a->data))
		return phr_fail(PHR_E_ARG, "apdu %02X: Lc %zu beyond the %s limit %zu", a->ins, a->lc,
				ext ? "extended" : "short", max_lc);
	if (a->le > max_le)
		return phr_fail(PHR_E_ARG, "apdu %02X: Le %zu beyond the %s limit %zu", a->ins, a->le,
				ext ? "extended" : "short", max_le);
	if (ext) {
		if (a->lc)
			need += 3 + a->lc + (a->le ? 2 : 0);
		else if (a->le)
			need += 3;
	} else {
		need += (a->lc ? 1 + a->lc : 0) + (a->le ? 1 : 0);
	}
	if (need > cap)
		return phr_fail(PHR_E_BUFFER, "apdu %02X: %zu bytes do not fit a buffer of %zu", a->ins, need, cap);
	out[k++] = a->cla;
	out[k++] = a->ins;
	out[k++] = a->p1;
	out[k++] = a->p2;
	if (ext) {
		if (a->lc) {
			out[k++] = 0;
			out[k++] = (uint8_t)(a->lc >> 8);
			out[k++] = (uint8_t)a->lc;
			memcpy(out + k, a->data, a->lc);
			k += a->lc;
			if (a->le) {
				out[k++] = (uint8_t)((a->le & 0xFFFF) >> 8); /* 65536 is 00 00 */
				out[k++] = (uint8_t)a->le;
			}
		} else if (a->le) {
			out[k++] = 0;
			out[k++] = (uint8_t)((a->le & 0xFFFF) >> 8);
			out[k++] = (uint8_t)a->le;
		}
	} else {
		if (a->lc) {
			out[k++] = (uint8_t)a->lc;
			memcpy(out + k, a->data, a->lc);
			k += a->lc;
		}
		if (a->le)
			out[k++] = (uint8_t)a->le; /* 256 is 00 */
	}
	*n = k;
	return PHR_OK;
}

/* Bytes that DO 53 adds around len bytes. */
static size_t wrap53(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

size_t phr_card_max_read(size_t offset, bool ext)
{
	if (offset <= PHR_APDU_MAX_B0_OFFSET)
		return ext ? PHR_APDU_EXT_MAX_RESP - 2 : PHR_APDU_SHORT_MAX_LE;
	return ext ? PHR_APDU_EXT_MAX_RESP - 2 - 4 : PHR_APDU_SHORT_MAX_LE - 3;
}

size_t phr_card_max_write(size_t offset, bool ext)
{
	if (offset <= PHR_APDU_MAX_B0_OFFSET)
		return ext ? PHR_APDU_EXT_MAX_LC : PHR_APDU_SHORT_MAX_LC;
	return ext ? PHR_APDU_EXT_MAX_LC - 9 : PHR_APDU_SHORT_MAX_LC - 8;
}

int phr_apdu_read_binary(size_t offset, size_t count, bool ext, uint8_t *out, size_t cap, size_t *n)
{
	*n = 0;
	if (count == 0 || count > phr_card_max_read(offset, ext) || offset > PHR_CARD_MAX_OFFSET)
		return phr_fail(PHR_E_ARG, "read binary: %zu bytes at offset %zu do not fit one %s APDU", count, offset,
				ext ? "extended" : "short");
	if (offset <= PHR_APDU_MAX_B0_OFFSET) {
		struct phr_apdu a = { 0x00, 0xB0, (uint8_t)(offset >> 8), (uint8_t)offset, NULL, 0, count };
		return phr_apdu_build(&a, ext, out, cap, n);
	}
	uint8_t d[5] = { 0x54, 0x03, (uint8_t)(offset >> 16), (uint8_t)(offset >> 8), (uint8_t)offset };
	struct phr_apdu a = { 0x00, 0xB1, 0x00, 0x00, d, sizeof(d), count + wrap53(count) };
	return phr_apdu_build(&a, ext, out, cap, n);
}

int phr_apdu_update_binary(size_t offset, const uint8_t *data, size_t len, bool ext, uint8_t *out, size_t cap,
			   size_t *n)
{
	*n = 0;
	if (len == 0 || len > phr_card_max_write(offset, ext) || offset > PHR_CARD_MAX_OFFSET)
		return phr_fail(PHR_E_ARG, "update binary: %zu bytes at offset %zu do not fit one %s APDU", len, offset,
				ext ? "extended" : "short");
	if (offset <= PHR_APDU_MAX_B0_OFFSET) {
		struct phr_apdu a = { 0x00, 0xD6, (uint8_t)(offset >> 8), (uint8_t)offset, data, len, 0 };
		return phr_apdu_build(&a, ext, out, cap, n);
	}
	/* D7 data: 54 03 offset, 53 L data; the command body sits after the
	 * header (7 bytes extended, 5 short), so it is built in place. */
	size_t hdr = ext ? 7 : 5, w = wrap53(len), body = 5 + w + len;
	if (hdr + body > cap)
		return phr_fail(PHR_E_BUFFER, "update binary: %zu bytes do not fit a buffer of %zu", hdr + body, cap);
	uint8_t *d = out + hdr;
	size_t k = 0;
	d[k++] = 0x54;
	d[k++] = 0x03;
	d[k++] = (uint8_t)(offset >> 16);
	d[k++] = (uint8_t)(offset >> 8);
	d[k++] = (uint8_t)offset;
	d[k++] = 0x53;
	if (w == 3)
		d[k++] = 0x81;
	else if (w == 4) {
		d[k++] = 0x82;
		d[k++] = (uint8_t)(len >> 8);
	}
	d[k++] = (uint8_t)len;
	memmove(d + k, data, len);
	out[0] = 0x00;
	out[1] = 0xD7;
	out[2] = 0x00;
	out[3] = 0x00;
	if (ext) {
		out[4] = 0x00;
		out[5] = (uint8_t)(body >> 8);
		out[6] = (uint8_t)body;
	} else {
		out[4] = (uint8_t)body;
	}
	*n = hdr + body;
	return PHR_OK;
}

int phr_card_parse_resp(const uint8_t *resp, size_t n, struct phr_card_resp *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 2)
		return phr_fail(PHR_E_CARD_TRANSPORT, "card response: %zu bytes, expected at least SW1 SW2", n);
	out->data = resp;
	out->len = n - 2;
	out->sw = (uint16_t)((resp[n - 2] << 8) | resp[n - 1]);
	return PHR_OK;
}

int phr_card_sw_tries(uint16_t sw)
{
	return (sw & 0xFFF0) == 0x63C0 ? (int)(sw & 0x0F) : -1;
}

const char *phr_card_sw_name(uint16_t sw)
{
	if ((sw & 0xFFF0) == 0x63C0)
		return "verification failed, tries left in low nibble";
	switch (sw) {
	case 0x9000: return "success";
	case 0x6282: return "end of file reached before Le bytes";
	case 0x6581: return "memory failure";
	case 0x6700: return "wrong length";
	case 0x6982: return "security status not satisfied";
	case 0x6983: return "authentication method blocked";
	case 0x6984: return "reference data not usable (not set)";
	case 0x6985: return "conditions of use not satisfied";
	case 0x6986: return "command not allowed, no current EF";
	case 0x6A80: return "incorrect data field";
	case 0x6A81: return "function not supported";
	case 0x6A82: return "file or application not found";
	case 0x6A84: return "not enough memory in the file";
	case 0x6A86: return "incorrect P1 P2";
	case 0x6A88: return "referenced data not found";
	case 0x6A89: return "file already exists";
	case 0x6B00: return "wrong offset";
	case 0x6D00: return "instruction not supported";
	case 0x6E00: return "class not supported";
	default: return "unexpected status word";
	}
}

int phr_card_sw_check(uint16_t sw, const char *what)
{
	int err;
	if (sw == 0x9000)
		return PHR_OK;
	if ((sw & 0xFFF0) == 0x63C0)
		err = PHR_E_CARD_PIN;
	else if (sw == 0x6983)
		err = PHR_E_CARD_BLOCKED;
	else if (sw == 0x6982 || sw == 0x6985)
		err = PHR_E_CARD_DENIED;
	else if (sw == 0x6A82)
		err = PHR_E_CARD_NOT_FOUND;
	else
		err = PHR_E_CARD;
	if (err == PHR_E_CARD_PIN)
		return phr_fail(err, "%s: card answered %04X (wrong PIN or PUK, %d tries left)", what, sw,
				phr_card_sw_tries(sw));
	return phr_fail(err, "%s: card answered %04X (%s)", what, sw, phr_card_sw_name(sw));
}

/* One BER-TLV with a one-byte tag at p[*k]; length forms 1, 81 xx, 82 xx xx. */
static int tlv(const uint8_t *p, size_t n, size_t *k, uint8_t *tag, size_t *len, const char *where)
{
	size_t i = *k, l;
	if (n - i < 2)
		return phr_fail(PHR_E_CARD_RESPONSE, "%s: TLV at byte %zu truncated", where, i);
	*tag = p[i++];
	if ((*tag & 0x1F) == 0x1F)
		return phr_fail(PHR_E_CARD_RESPONSE, "%s: multi-byte tag %02X at byte %zu not used here", where, *tag,
				i - 1);
	l = p[i++];
	if (l == 0x81 || l == 0x82) {
		size_t m = l - 0x80;
		if (n - i < m)
			return phr_fail(PHR_E_CARD_RESPONSE, "%s: length of tag %02X at byte %zu truncated", where,
					*tag, *k);
		l = m == 1 ? p[i] : ((size_t)p[i] << 8) | p[i + 1];
		i += m;
	} else if (l >= 0x80) {
		return phr_fail(PHR_E_CARD_RESPONSE, "%s: length byte %02zX of tag %02X at byte %zu not supported",
				where, l, *tag, *k);
	}
	if (n - i < l)
		return phr_fail(PHR_E_CARD_RESPONSE, "%s: tag %02X at byte %zu says %zu bytes, %zu left", where, *tag,
				*k, l, n - i);
	*len = l;
	*k = i;
	return PHR_OK;
}

int phr_card_unwrap_53(const uint8_t *p, size_t n, size_t expect, const uint8_t **data)
{
	size_t k = 0, len;
	uint8_t tag;
	int rc;
	*data = NULL;
	if ((rc = tlv(p, n, &k, &tag, &len, "read binary B1 response")))
		return rc;
	if (tag != 0x53)
		return phr_fail(PHR_E_CARD_RESPONSE, "read binary B1 response: tag %02X, expected 53", tag);
	if (len != expect || k + len != n)
		return phr_fail(PHR_E_CARD_RESPONSE,
				"read binary B1 response: %zu bytes in DO 53 of %zu, expected exactly %zu", len, n,
				expect);
	*data = p + k;
	return PHR_OK;
}

static int parse_fcp(const uint8_t *p, size_t n, struct phr_card_fcp *out)
{
	size_t k = 0, len;
	uint8_t tag;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tlv(p, n, &k, &tag, &len, "FCP")))
		return rc;
	if (tag != 0x62)
		return phr_fail(PHR_E_CARD_RESPONSE, "FCP: tag %02X, expected 62", tag);
	if (k + len != n)
		return phr_fail(PHR_E_CARD_RESPONSE, "FCP: %zu bytes after the template", n - k - len);
	size_t end = k + len;
	while (k < end) {
		size_t at = k, l;
		if ((rc = tlv(p, end, &k, &tag, &l, "FCP")))
			return rc;
		const uint8_t *v = p + k;
		switch (tag) {
		case 0x80:
			if (out->has_size || l < 1 || l > 4)
				return phr_fail(PHR_E_CARD_RESPONSE, "FCP: tag 80 at byte %zu: %s", at,
						out->has_size ? "repeated" : "size must be 1..4 bytes");
			out->size = 0;
			for (size_t i = 0; i < l; i++)
				out->size = (out->size << 8) | v[i];
			out->has_size = true;
			break;
		case 0x82:
			if (out->has_desc || l < 1 || l > 6)
				return phr_fail(PHR_E_CARD_RESPONSE, "FCP: tag 82 at byte %zu: %s", at,
						out->has_desc ? "repeated" : "descriptor must be 1..6 bytes");
			out->desc = v[0];
			out->has_desc = true;
			break;
		case 0x83:
			if (out->has_fid || l != 2)
				return phr_fail(PHR_E_CARD_RESPONSE, "FCP: tag 83 at byte %zu: %s", at,
						out->has_fid ? "repeated" : "file identifier must be 2 bytes");
			out->fid = (uint16_t)((v[0] << 8) | v[1]);
			out->has_fid = true;
			break;
		default: /* 81, 84, 88, 8A, A1... carry nothing the client needs */
			break;
		}
		k += l;
	}
	return PHR_OK;
}

int phr_card_parse_fcp(const uint8_t *p, size_t n, struct phr_card_fcp *out)
{
	int rc = parse_fcp(p, n, out);
	if (rc != PHR_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

int phr_card_status_encode(const struct phr_card_status *s, uint8_t out[PHR_CARD_STATUS_COPY])
{
	if (s->active < 0 || s->active > 2 || (s->active == 0) != (s->length == 0) || s->length > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_ARG, "status EF: active slot %d with length %zu", s->active, s->length);
	out[0] = PHR_CARD_STATUS_VERSION;
	out[1] = (uint8_t)s->active;
	put_be32(out + 2, s->generation);
	put_be32(out + 6, (uint32_t)s->length);
	put_be32(out + 10, phr_card_crc32(out, 10));
	return PHR_OK;
}

/* Why copy p is not valid, or NULL. */
static const char *status_copy(const uint8_t *p, struct phr_card_status *s)
{
	if (get_be32(p + 10) != phr_card_crc32(p, 10))
		return "CRC mismatch";
	if (p[0] != PHR_CARD_STATUS_VERSION)
		return "unknown version";
	if (p[1] > 2)
		return "active slot not 0, 1 or 2";
	s->active = p[1];
	s->generation = get_be32(p + 2);
	s->length = get_be32(p + 6);
	if ((s->active == 0) != (s->length == 0))
		return "length and active slot disagree";
	if (s->length > PHR_MAX_CONTAINER)
		return "length beyond PHR_MAX_CONTAINER";
	return NULL;
}

int phr_card_status_parse(const uint8_t *p, size_t n, struct phr_card_status *out)
{
	struct phr_card_status s[2];
	const char *why[2];

	memset(out, 0, sizeof(*out));
	if (n != PHR_CARD_STATUS_SIZE)
		return phr_fail(PHR_E_CARD_RESPONSE, "status EF: %zu bytes, expected %d", n, PHR_CARD_STATUS_SIZE);
	memset(s, 0, sizeof(s));
	why[0] = status_copy(p, &s[0]);
	why[1] = status_copy(p + PHR_CARD_STATUS_COPY, &s[1]);
	if (why[0] && why[1])
		return phr_fail(PHR_E_CARD_RESPONSE, "status EF: copy 0: %s; copy 1: %s", why[0], why[1]);
	int w = why[0] ? 1 : why[1] ? 0 : (s[1].generation > s[0].generation ? 1 : 0);
	*out = s[w];
	out->copy = w;
	return PHR_OK;
}

int phr_card_slot_encode(const uint8_t *c, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	*n = 0;
	if (len == 0 || len > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_LIMIT, "card slot: container of %zu bytes, expected 1..%d", len,
				PHR_MAX_CONTAINER);
	size_t total = PHR_CARD_SLOT_HEADER + len + PHR_CARD_SLOT_TRAILER;
	if (cap < total)
		return phr_fail(PHR_E_BUFFER, "card slot: %zu bytes do not fit a buffer of %zu", total, cap);
	put_be32(out, (uint32_t)len);
	memmove(out + PHR_CARD_SLOT_HEADER, c, len);
	put_be32(out + PHR_CARD_SLOT_HEADER + len, phr_card_crc32(out, PHR_CARD_SLOT_HEADER + len));
	*n = total;
	return PHR_OK;
}

int phr_card_slot_parse(const uint8_t *p, size_t n, size_t expect, const uint8_t **c, size_t *len)
{
	*c = NULL;
	*len = 0;
	if (n < PHR_CARD_SLOT_HEADER + PHR_CARD_SLOT_TRAILER)
		return phr_fail(PHR_E_CARD_RESPONSE, "card slot: %zu bytes, shorter than header and CRC", n);
	size_t l = get_be32(p);
	if (l == 0 || l > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_CARD_RESPONSE, "card slot: length %zu, expected 1..%d", l, PHR_MAX_CONTAINER);
	if (expect && l != expect)
		return phr_fail(PHR_E_CARD_RESPONSE, "card slot: length %zu, the status EF says %zu", l, expect);
	if (l > n - PHR_CARD_SLOT_HEADER - PHR_CARD_SLOT_TRAILER)
		return phr_fail(PHR_E_CARD_RESPONSE, "card slot: length %zu, only %zu bytes read", l,
				n - PHR_CARD_SLOT_HEADER - PHR_CARD_SLOT_TRAILER);
	if (get_be32(p + PHR_CARD_SLOT_HEADER + l) != phr_card_crc32(p, PHR_CARD_SLOT_HEADER + l))
		return phr_fail(PHR_E_CARD_TORN, "card slot: CRC-32 mismatch over %zu bytes (torn or damaged)", l);
	*c = p + PHR_CARD_SLOT_HEADER;
	*len = l;
	return PHR_OK;
}
