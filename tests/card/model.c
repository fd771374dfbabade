/* The card side of the phr profile, in memory (model.h). */
#include "model.h"

#include <string.h>

static const uint16_t fids[3] = { PHR_CARD_FID_STATUS, PHR_CARD_FID_SLOT_A, PHR_CARD_FID_SLOT_B };

static int pad(const char *digits, size_t min, size_t max, uint8_t *out)
{
	size_t n = strlen(digits);
	if (n < min || n > max)
		return -1;
	memset(out, 0xFF, max);
	memcpy(out, digits, n);
	return 0;
}

int card_model_init(struct card_model *m, bool ext, const char *pin, const char *puk)
{
	struct phr_card_status s = { 0, 0, 0, 0 };
	memset(m, 0, sizeof(*m));
	m->ext = ext;
	if (pad(pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, m->pin) || pad(puk, PHR_CARD_PUK_LEN, PHR_CARD_PUK_LEN, m->puk))
		return -1;
	m->pin_tries = PHR_CARD_PIN_TRIES;
	m->puk_tries = PHR_CARD_PUK_TRIES;
	m->cur = -1;
	m->cut_after = -1;
	if (phr_card_status_encode(&s, m->status) != PHR_OK)
		return -1;
	memcpy(m->status + PHR_CARD_STATUS_COPY, m->status, PHR_CARD_STATUS_COPY);
	return 0;
}

void card_model_power_cycle(struct card_model *m)
{
	m->app = false;
	m->pin_ok = false;
	m->cur = -1;
	m->dead = false;
	m->cut_after = -1;
}

static uint8_t *file(struct card_model *m, int idx, size_t *size)
{
	if (idx == 0) {
		*size = PHR_CARD_STATUS_SIZE;
		return m->status;
	}
	*size = PHR_CARD_SLOT_SIZE;
	return m->slot[idx - 1];
}

static size_t sw(uint8_t *resp, size_t k, uint16_t w)
{
	resp[k] = (uint8_t)(w >> 8);
	resp[k + 1] = (uint8_t)w;
	return k + 2;
}

/* A valid reference value: min..max digits, then FF to the end. */
static bool well_formed(const uint8_t *p, size_t len, size_t min)
{
	size_t i = 0;
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i < min)
		return false;
	for (; i < len; i++)
		if (p[i] != 0xFF)
			return false;
	return true;
}

/* Checks the PIN, counting a failure; 0 on success or the status word. */
static uint16_t check_pin(struct card_model *m, const uint8_t *p)
{
	if (m->pin_tries == 0)
		return 0x6983;
	if (memcmp(p, m->pin, PHR_CARD_PIN_MAX) != 0) {
		m->pin_ok = false;
		m->pin_tries--;
		return (uint16_t)(0x63C0 | m->pin_tries);
	}
	m->pin_tries = PHR_CARD_PIN_TRIES;
	m->pin_ok = true;
	return 0;
}

/* Offset DO 54 (3 bytes) at d; returns its offset or -1. */
static long offset54(const uint8_t *d, size_t lc)
{
	if (lc < 5 || d[0] != 0x54 || d[1] != 0x03)
		return -1;
	return ((long)d[2] << 16) | ((long)d[3] << 8) | d[4];
}

size_t card_model_process(struct card_model *m, const uint8_t *a, size_t n, uint8_t *resp)
{
	size_t body, lc = 0, le = 0, size = 0;
	const uint8_t *d = NULL;
	uint8_t *f;

	m->apdus++;
	if (n < 4)
		return sw(resp, 0, 0x6700);
	body = n - 4;
	if (body == 1) {
		le = a[4] ? a[4] : 256;
	} else if (body > 1 && a[4] != 0) {
		lc = a[4];
		d = a + 5;
		if (body == 2 + lc)
			le = a[n - 1] ? a[n - 1] : 256;
		else if (body != 1 + lc)
			return sw(resp, 0, 0x6700);
	} else if (body > 1) {
		if (!m->ext || body < 3)
			return sw(resp, 0, 0x6700);
		if (body == 3) {
			le = ((size_t)a[5] << 8) | a[6];
			le = le ? le : 65536;
		} else {
			lc = ((size_t)a[5] << 8) | a[6];
			d = a + 7;
			if (lc == 0)
				return sw(resp, 0, 0x6700);
			if (body == 5 + lc) {
				le = ((size_t)a[n - 2] << 8) | a[n - 1];
				le = le ? le : 65536;
			} else if (body != 3 + lc) {
				return sw(resp, 0, 0x6700);
			}
		}
	}
	if (a[0] != 0x00)
		return sw(resp, 0, 0x6E00);

	switch (a[1]) {
	case 0xA4: /* SELECT */
		if (a[2] == 0x04) {
			if (lc != PHR_CARD_AID_LEN || memcmp(d, PHR_CARD_AID, PHR_CARD_AID_LEN) != 0)
				return sw(resp, 0, 0x6A82);
			m->app = true;
			m->pin_ok = false;
			m->cur = -1;
			return sw(resp, 0, 0x9000);
		}
		if (a[2] != 0x02 || (a[3] != 0x0C && a[3] != 0x04))
			return sw(resp, 0, 0x6A86);
		if (!m->app)
			return sw(resp, 0, 0x6A82);
		if (lc != 2)
			return sw(resp, 0, 0x6700);
		for (int i = 0; i < 3; i++) {
			if (((d[0] << 8) | d[1]) != fids[i])
				continue;
			m->cur = i;
			if (a[3] == 0x0C)
				return sw(resp, 0, 0x9000);
			file(m, i, &size);
			uint8_t fcp[] = { 0x62, 0x0C, 0x80, 0x03, (uint8_t)(size >> 16), (uint8_t)(size >> 8),
					  (uint8_t)size, 0x82, 0x01, 0x01, 0x83, 0x02, d[0], d[1] };
			if (le < sizeof(fcp))
				return sw(resp, 0, 0x6700);
			memcpy(resp, fcp, sizeof(fcp));
			return sw(resp, sizeof(fcp), 0x9000);
		}
		return sw(resp, 0, 0x6A82);

	case 0xB0: /* READ BINARY */
	case 0xB1: {
		long off;
		if (m->cur < 0)
			return sw(resp, 0, 0x6986);
		if (!m->pin_ok)
			return sw(resp, 0, 0x6982);
		if (a[1] == 0xB0) {
			if (a[2] & 0x80)
				return sw(resp, 0, 0x6A86);
			off = (a[2] << 8) | a[3];
			if (lc)
				return sw(resp, 0, 0x6700);
		} else {
			if (a[2] || a[3])
				return sw(resp, 0, 0x6A86);
			if ((off = offset54(d, lc)) < 0 || lc != 5)
				return sw(resp, 0, 0x6A80);
		}
		if (le == 0)
			return sw(resp, 0, 0x6700);
		f = file(m, m->cur, &size);
		if ((size_t)off > size)
			return sw(resp, 0, 0x6B00);
		size_t avail = size - (size_t)off, cnt = le < avail ? le : avail, k = 0;
		if (a[1] == 0xB1) {
			while (cnt && cnt + (cnt < 0x80 ? 2 : cnt < 0x100 ? 3 : 4) > le)
				cnt--;
			resp[k++] = 0x53;
			if (cnt >= 0x100) {
				resp[k++] = 0x82;
				resp[k++] = (uint8_t)(cnt >> 8);
			} else if (cnt >= 0x80) {
				resp[k++] = 0x81;
			}
			resp[k++] = (uint8_t)cnt;
		}
		memcpy(resp + k, f + off, cnt);
		k += cnt;
		return sw(resp, k, cnt < avail || k == le ? 0x9000 : 0x6282);
	}

	case 0xD6: /* UPDATE BINARY */
	case 0xD7: {
		long off;
		const uint8_t *src = d;
		size_t len = lc;
		if (m->cur < 0)
			return sw(resp, 0, 0x6986);
		if (!m->pin_ok)
			return sw(resp, 0, 0x6982);
		if (a[1] == 0xD6) {
			if (a[2] & 0x80)
				return sw(resp, 0, 0x6A86);
			off = (a[2] << 8) | a[3];
		} else {
			size_t k = 5, l;
			if (a[2] || a[3])
				return sw(resp, 0, 0x6A86);
			if ((off = offset54(d, lc)) < 0 || lc < 7 || d[k] != 0x53)
				return sw(resp, 0, 0x6A80);
			k++;
			if (d[k] == 0x81 && lc >= 8) {
				l = d[k + 1];
				k += 2;
			} else if (d[k] == 0x82 && lc >= 9) {
				l = ((size_t)d[k + 1] << 8) | d[k + 2];
				k += 3;
			} else if (d[k] < 0x80) {
				l = d[k];
				k++;
			} else {
				return sw(resp, 0, 0x6A80);
			}
			if (k + l != lc)
				return sw(resp, 0, 0x6A80);
			src = d + k;
			len = l;
		}
		if (len == 0)
			return sw(resp, 0, 0x6700);
		f = file(m, m->cur, &size);
		if ((size_t)off > size)
			return sw(resp, 0, 0x6B00);
		if (len > size - (size_t)off)
			return sw(resp, 0, 0x6A84);
		/* A cut during this APDU leaves half of it written. */
		memcpy(f + off, src, m->cut_after == 0 ? len / 2 : len);
		return sw(resp, 0, 0x9000);
	}

	case 0x20: /* VERIFY */
		if (a[2] != 0x00 || a[3] != PHR_CARD_PIN_REF)
			return sw(resp, 0, 0x6A88);
		if (lc == 0)
			return sw(resp, 0, m->pin_tries == 0 ? 0x6983 : m->pin_ok ? 0x9000 : (uint16_t)(0x63C0 | m->pin_tries));
		if (lc != PHR_CARD_PIN_MAX)
			return sw(resp, 0, 0x6700);
		{
			uint16_t w = check_pin(m, d);
			return sw(resp, 0, w ? w : 0x9000);
		}

	case 0x24: /* CHANGE REFERENCE DATA */
		if (a[2] != 0x00 || a[3] != PHR_CARD_PIN_REF)
			return sw(resp, 0, 0x6A88);
		if (lc != 2 * PHR_CARD_PIN_MAX)
			return sw(resp, 0, 0x6700);
		if (!well_formed(d + PHR_CARD_PIN_MAX, PHR_CARD_PIN_MAX, PHR_CARD_PIN_MIN))
			return sw(resp, 0, 0x6A80);
		{
			uint16_t w = check_pin(m, d);
			if (w)
				return sw(resp, 0, w);
		}
		memcpy(m->pin, d + PHR_CARD_PIN_MAX, PHR_CARD_PIN_MAX);
		return sw(resp, 0, 0x9000);

	case 0x2C: /* RESET RETRY COUNTER: PUK || new PIN */
		if (a[2] != 0x00 || a[3] != PHR_CARD_PIN_REF)
			return sw(resp, 0, 0x6A86);
		if (lc != PHR_CARD_PUK_LEN + PHR_CARD_PIN_MAX)
			return sw(resp, 0, 0x6700);
		if (m->puk_tries == 0)
			return sw(resp, 0, 0x6983);
		if (!well_formed(d + PHR_CARD_PUK_LEN, PHR_CARD_PIN_MAX, PHR_CARD_PIN_MIN))
			return sw(resp, 0, 0x6A80);
		if (memcmp(d, m->puk, PHR_CARD_PUK_LEN) != 0) {
			m->puk_tries--;
			return sw(resp, 0, (uint16_t)(0x63C0 | m->puk_tries));
		}
		m->puk_tries = PHR_CARD_PUK_TRIES;
		memcpy(m->pin, d + PHR_CARD_PUK_LEN, PHR_CARD_PIN_MAX);
		m->pin_tries = PHR_CARD_PIN_TRIES;
		m->pin_ok = false; /* the holder proves the new PIN with VERIFY */
		return sw(resp, 0, 0x9000);

	default:
		return sw(resp, 0, 0x6D00);
	}
}

int card_model_transmit(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn)
{
	struct card_model *m = ctx;
	*rn = 0;
	if (m->dead || cap < PHR_APDU_RESP_MAX)
		return -1;
	if (m->cut_after == 0) {
		card_model_process(m, apdu, n, resp); /* torn: the answer never arrives */
		m->dead = true;
		return -1;
	}
	if (m->cut_after > 0)
		m->cut_after--;
	*rn = card_model_process(m, apdu, n, resp);
	return 0;
}
