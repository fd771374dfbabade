/* The card side of the phr profile, in memory (model.h). */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC "PHRVICC1"

static int pad(const char *digits, size_t min, size_t max, uint8_t *out)
{
	size_t n = strlen(digits);
	if (n < min || n > max)
		return -1;
	memset(out, 0xFF, max);
	memcpy(out, digits, n);
	return 0;
}

void card_model_init_blank(struct card_model *m, bool ext)
{
	memset(m, 0, sizeof(*m));
	m->ext = ext;
	m->cur = -1;
	m->cut_after = -1;
}

static void add_ef(struct card_model *m, uint16_t fid, uint8_t sfi, size_t size)
{
	struct card_ef *e = &m->ef[m->n_efs++];
	e->fid = fid;
	e->sfi = sfi;
	e->read_sc = e->update_sc = CARD_SC_PIN;
	e->size = size;
}

int card_model_init(struct card_model *m, bool ext, const char *pin, const char *puk)
{
	struct phr_card_status s = { 0, 0, 0, 0 };
	card_model_init_blank(m, ext);
	m->app = true;
	memcpy(m->aid, PHR_CARD_AID, PHR_CARD_AID_LEN);
	m->aid_len = PHR_CARD_AID_LEN;
	add_ef(m, PHR_CARD_FID_STATUS, PHR_CARD_SFI_STATUS, PHR_CARD_STATUS_SIZE);
	add_ef(m, PHR_CARD_FID_SLOT_A, PHR_CARD_SFI_SLOT_A, PHR_CARD_SLOT_SIZE);
	add_ef(m, PHR_CARD_FID_SLOT_B, PHR_CARD_SFI_SLOT_B, PHR_CARD_SLOT_SIZE);
	if (pad(pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, m->pin) || pad(puk, PHR_CARD_PUK_LEN, PHR_CARD_PUK_LEN, m->puk))
		return -1;
	m->pin_set = m->puk_set = true;
	m->pin_tries = PHR_CARD_PIN_TRIES;
	m->puk_tries = PHR_CARD_PUK_TRIES;
	if (phr_card_status_encode(&s, m->ef[0].data) != PHR_OK)
		return -1;
	memcpy(m->ef[0].data + PHR_CARD_STATUS_COPY, m->ef[0].data, PHR_CARD_STATUS_COPY);
	return 0;
}

void card_model_power_cycle(struct card_model *m)
{
	m->in_app = false;
	m->pin_ok = false;
	m->cur = -1;
	m->dead = false;
	m->tear = false;
	m->cut_after = -1;
}

struct card_ef *card_model_ef(struct card_model *m, uint16_t fid)
{
	for (size_t i = 0; i < m->n_efs; i++)
		if (m->ef[i].fid == fid)
			return &m->ef[i];
	return NULL;
}

static int ef_index_sfi(const struct card_model *m, uint8_t sfi)
{
	for (size_t i = 0; i < m->n_efs; i++)
		if (m->ef[i].sfi == sfi)
			return (int)i;
	return -1;
}

static size_t sw(uint8_t *resp, size_t k, uint16_t w)
{
	resp[k] = (uint8_t)(w >> 8);
	resp[k + 1] = (uint8_t)w;
	return k + 2;
}

/* A valid reference value: min..len digits, then FF to the end. */
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
		m->changes++;
		return (uint16_t)(0x63C0 | m->pin_tries);
	}
	if (m->pin_tries != PHR_CARD_PIN_TRIES) {
		m->pin_tries = PHR_CARD_PIN_TRIES;
		m->changes++;
	}
	m->pin_ok = true;
	return 0;
}

/* Whether the security condition sc holds now. */
static bool allowed(const struct card_model *m, uint8_t sc)
{
	return sc == CARD_SC_ALWAYS || (sc == CARD_SC_PIN && m->pin_ok);
}

/* Offset DO 54 (3 bytes) at d; returns its offset or -1. */
static long offset54(const uint8_t *d, size_t lc)
{
	if (lc < 5 || d[0] != 0x54 || d[1] != 0x03)
		return -1;
	return ((long)d[2] << 16) | ((long)d[3] << 8) | d[4];
}

/* One BER-TLV (one-byte tag; lengths L, 81 L, 82 L L) at d[*k] within end. */
static bool tlv(const uint8_t *d, size_t end, size_t *k, uint8_t *tag, size_t *len)
{
	size_t i = *k, l;
	if (end - i < 2)
		return false;
	*tag = d[i++];
	l = d[i++];
	if (l == 0x81 || l == 0x82) {
		size_t w = l - 0x80;
		if (end - i < w)
			return false;
		l = w == 1 ? d[i] : ((size_t)d[i] << 8) | d[i + 1];
		i += w;
	} else if (l > 0x80) {
		return false;
	}
	if (end - i < l)
		return false;
	*len = l;
	*k = i;
	return true;
}

/* CREATE FILE (ISO 7816-9): the data field is an FCP template. */
static uint16_t create_file(struct card_model *m, const uint8_t *d, size_t lc)
{
	size_t k = 0, len, end;
	uint8_t tag;
	bool has_size = false, has_fid = false, has_desc = false, has_name = false, has_sfi = false;
	size_t size = 0, name_len = 0;
	uint16_t fid = 0;
	uint8_t desc = 0, sfi = 0, read_sc = CARD_SC_NEVER, update_sc = CARD_SC_NEVER;
	const uint8_t *name = NULL;

	if (!tlv(d, lc, &k, &tag, &len) || tag != 0x62 || k + len != lc)
		return 0x6A80;
	end = lc;
	while (k < end) {
		size_t l;
		if (!tlv(d, end, &k, &tag, &l))
			return 0x6A80;
		const uint8_t *v = d + k;
		switch (tag) {
		case 0x80: /* bytes in a transparent EF */
			if (has_size || l < 1 || l > 4)
				return 0x6A80;
			for (size_t i = 0; i < l; i++)
				size = (size << 8) | v[i];
			has_size = true;
			break;
		case 0x82: /* file descriptor byte, then optional coding bytes */
			if (has_desc || l < 1 || l > 6)
				return 0x6A80;
			desc = v[0];
			has_desc = true;
			break;
		case 0x83:
			if (has_fid || l != 2)
				return 0x6A80;
			fid = (uint16_t)((v[0] << 8) | v[1]);
			has_fid = true;
			break;
		case 0x84:
			if (has_name || l < 1 || l > CARD_MODEL_MAX_AID)
				return 0x6A80;
			name = v;
			name_len = l;
			has_name = true;
			break;
		case 0x88: /* SFI in bits 8-4; empty: no SFI */
			if (has_sfi || l > 1 || (l == 1 && ((v[0] & 7) || (v[0] >> 3) == 0 || (v[0] >> 3) == 31)))
				return 0x6A80;
			sfi = l ? (uint8_t)(v[0] >> 3) : 0;
			has_sfi = true;
			break;
		case 0x8A: /* life cycle status: the card keeps none */
			if (l != 1)
				return 0x6A80;
			break;
		case 0x8C: { /* compact security attributes: AM, then one SC per AM bit b7..b1 */
			size_t need = 1;
			if (l < 1 || (v[0] & 0x80))
				return 0x6A80;
			for (int b = 6; b >= 0; b--)
				need += (v[0] >> b) & 1;
			if (l != need)
				return 0x6A80;
			size_t at = 1;
			for (int b = 6; b >= 0; b--) {
				if (!((v[0] >> b) & 1))
					continue;
				uint8_t sc = v[at++];
				if (b > 1)
					continue; /* commands the card does not offer */
				if (sc == 0x90)
					sc = CARD_SC_PIN;
				if (sc != CARD_SC_ALWAYS && sc != CARD_SC_PIN && sc != CARD_SC_NEVER)
					return 0x6A80;
				if (b == 1)
					update_sc = sc;
				else
					read_sc = sc;
			}
			break;
		}
		default:
			return 0x6A80;
		}
		k += l;
	}
	if (!has_desc)
		return 0x6A80;
	if (desc == 0x38) { /* DF */
		if (!has_name || has_size || has_sfi)
			return 0x6A80;
		if (m->in_app)
			return 0x6985; /* no DF inside the application */
		if (m->app)
			return m->aid_len == name_len && !memcmp(m->aid, name, name_len) ? 0x6A89 : 0x6A84;
		m->app = true;
		memset(m->aid, 0, sizeof(m->aid));
		memcpy(m->aid, name, name_len);
		m->aid_len = name_len;
		m->n_efs = 0;
		m->in_app = true;
		m->pin_ok = false;
		m->cur = -1;
		m->changes++;
		return 0x9000;
	}
	if (desc != 0x01 || has_name)
		return 0x6A80;
	if (!has_fid || !has_size || size == 0 || fid == 0x3F00 || fid == 0x3FFF || fid == 0xFFFF)
		return 0x6A80;
	if (!m->in_app || m->pin_set)
		return 0x6985; /* EFs only in the application, and only before its PIN is set */
	if (card_model_ef(m, fid))
		return 0x6A89;
	if (!has_sfi) /* ISO 7816-4: the SFI is then bits 5-1 of the FID */
		sfi = (fid & 0x1F) == 0x1F ? 0 : fid & 0x1F;
	if (sfi && ef_index_sfi(m, sfi) >= 0)
		return 0x6A89;
	if (m->n_efs == CARD_MODEL_MAX_EFS || size > CARD_MODEL_MAX_EF_SIZE)
		return 0x6A84;
	struct card_ef *e = &m->ef[m->n_efs];
	memset(e, 0, sizeof(*e));
	e->fid = fid;
	e->sfi = sfi;
	e->read_sc = read_sc;
	e->update_sc = update_sc;
	e->size = size;
	m->cur = (int)m->n_efs++;
	m->changes++;
	return 0x9000;
}

static size_t fcp_of(const struct card_ef *e, uint8_t *resp)
{
	size_t k = 0;
	resp[k++] = 0x62;
	resp[k++] = 0;
	resp[k++] = 0x80;
	resp[k++] = 0x03;
	resp[k++] = (uint8_t)(e->size >> 16);
	resp[k++] = (uint8_t)(e->size >> 8);
	resp[k++] = (uint8_t)e->size;
	resp[k++] = 0x82;
	resp[k++] = 0x01;
	resp[k++] = 0x01;
	resp[k++] = 0x83;
	resp[k++] = 0x02;
	resp[k++] = (uint8_t)(e->fid >> 8);
	resp[k++] = (uint8_t)e->fid;
	if (e->sfi) {
		resp[k++] = 0x88;
		resp[k++] = 0x01;
		resp[k++] = (uint8_t)(e->sfi << 3);
	}
	resp[k++] = 0x8C;
	resp[k++] = 0x03;
	resp[k++] = 0x03;
	resp[k++] = e->update_sc;
	resp[k++] = e->read_sc;
	resp[1] = (uint8_t)(k - 2);
	return k;
}

/* READ/UPDATE BINARY with P1 bit 8 set name the EF by SFI (P2 = offset). */
static uint16_t locate(struct card_model *m, const uint8_t *a, long *off)
{
	if (a[2] & 0x80) {
		uint8_t sfi = a[2] & 0x1F;
		int i;
		if ((a[2] & 0x60) || sfi == 0 || sfi == 31)
			return 0x6A86;
		if (!m->in_app || (i = ef_index_sfi(m, sfi)) < 0)
			return 0x6A82;
		m->cur = i;
		*off = a[3];
		return 0;
	}
	if (m->cur < 0)
		return 0x6986;
	*off = (a[2] << 8) | a[3];
	return 0;
}

size_t card_model_process(struct card_model *m, const uint8_t *a, size_t n, uint8_t *resp)
{
	size_t body, lc = 0, le = 0;
	const uint8_t *d = NULL;
	struct card_ef *f;

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
		if (a[3] != 0x0C && a[3] != 0x04 && a[3] != 0x00)
			return sw(resp, 0, 0x6A86);
		if (a[2] == 0x00) { /* MF */
			if (lc != 0 && (lc != 2 || d[0] != 0x3F || d[1] != 0x00))
				return sw(resp, 0, 0x6A82);
			m->in_app = m->pin_ok = false;
			m->cur = -1;
			return sw(resp, 0, 0x9000);
		}
		if (a[2] == 0x04) {
			if (!m->app || lc != m->aid_len || memcmp(d, m->aid, lc) != 0)
				return sw(resp, 0, 0x6A82);
			m->in_app = true;
			m->pin_ok = false;
			m->cur = -1;
			if (a[3] == 0x0C)
				return sw(resp, 0, 0x9000);
			size_t k = 0;
			resp[k++] = 0x62;
			resp[k++] = (uint8_t)(5 + m->aid_len);
			resp[k++] = 0x82;
			resp[k++] = 0x01;
			resp[k++] = 0x38;
			resp[k++] = 0x84;
			resp[k++] = (uint8_t)m->aid_len;
			memcpy(resp + k, m->aid, m->aid_len);
			k += m->aid_len;
			if (le < k)
				return sw(resp, 0, 0x6700);
			return sw(resp, k, 0x9000);
		}
		if (a[2] != 0x02)
			return sw(resp, 0, 0x6A86);
		if (!m->in_app)
			return sw(resp, 0, 0x6A82);
		if (lc != 2)
			return sw(resp, 0, 0x6700);
		for (size_t i = 0; i < m->n_efs; i++) {
			if (((d[0] << 8) | d[1]) != m->ef[i].fid)
				continue;
			m->cur = (int)i;
			if (a[3] == 0x0C)
				return sw(resp, 0, 0x9000);
			size_t k = fcp_of(&m->ef[i], resp);
			if (le < k)
				return sw(resp, 0, 0x6700);
			return sw(resp, k, 0x9000);
		}
		return sw(resp, 0, 0x6A82);

	case 0xB0: /* READ BINARY */
	case 0xB1: {
		long off;
		uint16_t w;
		if (a[1] == 0xB0) {
			if ((w = locate(m, a, &off)))
				return sw(resp, 0, w);
			if (lc)
				return sw(resp, 0, 0x6700);
		} else {
			if (m->cur < 0)
				return sw(resp, 0, 0x6986);
			if (a[2] || a[3])
				return sw(resp, 0, 0x6A86);
			if ((off = offset54(d, lc)) < 0 || lc != 5)
				return sw(resp, 0, 0x6A80);
		}
		f = &m->ef[m->cur];
		if (!allowed(m, f->read_sc))
			return sw(resp, 0, 0x6982);
		if (le == 0)
			return sw(resp, 0, 0x6700);
		if ((size_t)off > f->size)
			return sw(resp, 0, 0x6B00);
		size_t avail = f->size - (size_t)off, cnt = le < avail ? le : avail, k = 0;
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
		memcpy(resp + k, f->data + off, cnt);
		k += cnt;
		return sw(resp, k, cnt < avail || k == le ? 0x9000 : 0x6282);
	}

	case 0xD6: /* UPDATE BINARY */
	case 0xD7: {
		long off;
		uint16_t w;
		const uint8_t *src = d;
		size_t len = lc;
		if (a[1] == 0xD6) {
			if ((w = locate(m, a, &off)))
				return sw(resp, 0, w);
		} else {
			size_t k = 5, l;
			if (m->cur < 0)
				return sw(resp, 0, 0x6986);
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
		f = &m->ef[m->cur];
		if (!allowed(m, f->update_sc))
			return sw(resp, 0, 0x6982);
		if (len == 0)
			return sw(resp, 0, 0x6700);
		if ((size_t)off > f->size)
			return sw(resp, 0, 0x6B00);
		if (len > f->size - (size_t)off)
			return sw(resp, 0, 0x6A84);
		/* A cut during this APDU leaves half of it written. */
		memcpy(f->data + off, src, m->tear || m->cut_after == 0 ? len / 2 : len);
		m->changes++;
		return sw(resp, 0, 0x9000);
	}

	case 0xE0: /* CREATE FILE */
		if (a[2] || a[3])
			return sw(resp, 0, 0x6A86);
		if (lc < 2)
			return sw(resp, 0, 0x6700);
		return sw(resp, 0, create_file(m, d, lc));

	case 0x20: /* VERIFY */
		if (a[2] != 0x00)
			return sw(resp, 0, 0x6A86);
		if (!m->in_app || (a[3] != PHR_CARD_PIN_REF && a[3] != PHR_CARD_PUK_REF))
			return sw(resp, 0, 0x6A88);
		if (a[3] == PHR_CARD_PUK_REF) { /* tries only: the PUK is presented with RESET RETRY COUNTER */
			if (!m->puk_set)
				return sw(resp, 0, 0x6984);
			if (lc)
				return sw(resp, 0, 0x6985);
			return sw(resp, 0, m->puk_tries == 0 ? 0x6983 : (uint16_t)(0x63C0 | m->puk_tries));
		}
		if (!m->pin_set)
			return sw(resp, 0, 0x6984);
		if (lc == 0)
			return sw(resp, 0, m->pin_tries == 0 ? 0x6983 : m->pin_ok ? 0x9000 : (uint16_t)(0x63C0 | m->pin_tries));
		if (lc != PHR_CARD_PIN_MAX)
			return sw(resp, 0, 0x6700);
		{
			uint16_t w = check_pin(m, d);
			return sw(resp, 0, w ? w : 0x9000);
		}

	case 0x24: /* CHANGE REFERENCE DATA */
		if (!m->in_app || (a[3] != PHR_CARD_PIN_REF && a[3] != PHR_CARD_PUK_REF))
			return sw(resp, 0, 0x6A88);
		if (a[2] == 0x01) { /* new reference data only: once, on an unset reference */
			bool is_pin = a[3] == PHR_CARD_PIN_REF;
			if (is_pin ? m->pin_set : m->puk_set)
				return sw(resp, 0, 0x6985);
			if (lc != PHR_CARD_PIN_MAX)
				return sw(resp, 0, 0x6700);
			if (!well_formed(d, PHR_CARD_PIN_MAX, is_pin ? PHR_CARD_PIN_MIN : PHR_CARD_PUK_LEN))
				return sw(resp, 0, 0x6A80);
			if (is_pin) {
				memcpy(m->pin, d, PHR_CARD_PIN_MAX);
				m->pin_set = true;
				m->pin_tries = PHR_CARD_PIN_TRIES;
			} else {
				memcpy(m->puk, d, PHR_CARD_PUK_LEN);
				m->puk_set = true;
				m->puk_tries = PHR_CARD_PUK_TRIES;
			}
			m->changes++;
			return sw(resp, 0, 0x9000);
		}
		if (a[2] != 0x00)
			return sw(resp, 0, 0x6A86);
		if (a[3] == PHR_CARD_PUK_REF)
			return sw(resp, 0, 0x6985); /* the PUK is not changed */
		if (!m->pin_set)
			return sw(resp, 0, 0x6984);
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
		m->changes++;
		return sw(resp, 0, 0x9000);

	case 0x2C: /* RESET RETRY COUNTER: PUK || new PIN */
		if (a[2] != 0x00 || a[3] != PHR_CARD_PIN_REF)
			return sw(resp, 0, 0x6A86);
		if (!m->in_app)
			return sw(resp, 0, 0x6A88);
		if (!m->puk_set)
			return sw(resp, 0, 0x6984);
		if (lc != PHR_CARD_PUK_LEN + PHR_CARD_PIN_MAX)
			return sw(resp, 0, 0x6700);
		if (m->puk_tries == 0)
			return sw(resp, 0, 0x6983);
		if (!well_formed(d + PHR_CARD_PUK_LEN, PHR_CARD_PIN_MAX, PHR_CARD_PIN_MIN))
			return sw(resp, 0, 0x6A80);
		m->changes++;
		if (memcmp(d, m->puk, PHR_CARD_PUK_LEN) != 0) {
			m->puk_tries--;
			return sw(resp, 0, (uint16_t)(0x63C0 | m->puk_tries));
		}
		m->puk_tries = PHR_CARD_PUK_TRIES;
		memcpy(m->pin, d + PHR_CARD_PUK_LEN, PHR_CARD_PIN_MAX);
		m->pin_set = true;
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
	if (cap < PHR_APDU_RESP_MAX)
		return phr_fail(PHR_E_CARD_TRANSPORT, "card model: response buffer of %zu bytes", cap);
	if (m->dead)
		return phr_fail(PHR_E_CARD_REMOVED, "card model: the card was cut off");
	if (m->cut_after == 0) {
		card_model_process(m, apdu, n, resp); /* torn: the answer never arrives */
		m->dead = true;
		return phr_fail(PHR_E_CARD_REMOVED, "card model: cut during the command");
	}
	if (m->cut_after > 0)
		m->cut_after--;
	*rn = card_model_process(m, apdu, n, resp);
	return 0;
}

/* ---- state bytes ---------------------------------------------------------- */

static void put_be(uint8_t *p, uint32_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_be(const uint8_t *p, int bytes)
{
	uint32_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

int card_model_save(const struct card_model *m, uint8_t *out, size_t cap, size_t *n)
{
	size_t need = CARD_MODEL_STATE_HEADER + 4, k = 0;
	*n = 0;
	for (size_t i = 0; i < m->n_efs; i++)
		need += CARD_MODEL_STATE_EF_HEADER + m->ef[i].size;
	if (need > cap)
		return phr_fail(PHR_E_BUFFER, "card state: %zu bytes do not fit a buffer of %zu", need, cap);
	memcpy(out, STATE_MAGIC, 8);
	k = 8;
	out[k++] = (uint8_t)((m->app ? 1 : 0) | (m->pin_set ? 2 : 0) | (m->puk_set ? 4 : 0));
	out[k++] = (uint8_t)m->pin_tries;
	out[k++] = (uint8_t)m->puk_tries;
	memcpy(out + k, m->pin, PHR_CARD_PIN_MAX);
	k += PHR_CARD_PIN_MAX;
	memcpy(out + k, m->puk, PHR_CARD_PUK_LEN);
	k += PHR_CARD_PUK_LEN;
	out[k++] = (uint8_t)m->aid_len;
	memcpy(out + k, m->aid, CARD_MODEL_MAX_AID);
	k += CARD_MODEL_MAX_AID;
	out[k++] = (uint8_t)m->n_efs;
	for (size_t i = 0; i < m->n_efs; i++) {
		const struct card_ef *e = &m->ef[i];
		put_be(out + k, e->fid, 2);
		out[k + 2] = e->sfi;
		out[k + 3] = e->read_sc;
		out[k + 4] = e->update_sc;
		put_be(out + k + 5, (uint32_t)e->size, 3);
		k += CARD_MODEL_STATE_EF_HEADER;
		memcpy(out + k, e->data, e->size);
		k += e->size;
	}
	put_be(out + k, phr_card_crc32(out, k), 4);
	*n = k + 4;
	return PHR_OK;
}

static bool zeros(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool sc_ok(uint8_t sc)
{
	return sc == CARD_SC_ALWAYS || sc == CARD_SC_PIN || sc == CARD_SC_NEVER;
}

static int load(struct card_model *t, const uint8_t *p, size_t n)
{
	size_t k;
	if (n > CARD_MODEL_STATE_MAX)
		return phr_fail(PHR_E_LIMIT, "card state: %zu bytes, more than CARD_MODEL_STATE_MAX (%zu)", n,
				(size_t)CARD_MODEL_STATE_MAX);
	if (n < CARD_MODEL_STATE_HEADER + 4)
		return phr_fail(PHR_E_MALFORMED, "card state: %zu bytes, shorter than its header", n);
	if (get_be(p + n - 4, 4) != phr_card_crc32(p, n - 4))
		return phr_fail(PHR_E_CHECKSUM, "card state: CRC-32 mismatch");
	if (memcmp(p, STATE_MAGIC, 8) != 0)
		return phr_fail(PHR_E_MALFORMED, "card state: not a card state (magic)");
	uint8_t flags = p[8];
	if (flags & ~7u)
		return phr_fail(PHR_E_MALFORMED, "card state: unknown flags %02X", flags);
	t->app = flags & 1;
	t->pin_set = (flags & 2) != 0;
	t->puk_set = (flags & 4) != 0;
	t->pin_tries = p[9];
	t->puk_tries = p[10];
	memcpy(t->pin, p + 11, PHR_CARD_PIN_MAX);
	memcpy(t->puk, p + 19, PHR_CARD_PUK_LEN);
	if (t->pin_set ? (t->pin_tries > PHR_CARD_PIN_TRIES || !well_formed(t->pin, PHR_CARD_PIN_MAX, PHR_CARD_PIN_MIN))
		       : (t->pin_tries != 0 || !zeros(t->pin, PHR_CARD_PIN_MAX)))
		return phr_fail(PHR_E_MALFORMED, "card state: PIN and its retry counter");
	if (t->puk_set ? (t->puk_tries > PHR_CARD_PUK_TRIES || !well_formed(t->puk, PHR_CARD_PUK_LEN, PHR_CARD_PUK_LEN))
		       : (t->puk_tries != 0 || !zeros(t->puk, PHR_CARD_PUK_LEN)))
		return phr_fail(PHR_E_MALFORMED, "card state: PUK and its retry counter");
	t->aid_len = p[27];
	memcpy(t->aid, p + 28, CARD_MODEL_MAX_AID);
	if (t->app ? (t->aid_len < 1 || t->aid_len > CARD_MODEL_MAX_AID ||
		      !zeros(t->aid + t->aid_len, CARD_MODEL_MAX_AID - t->aid_len))
		   : (t->aid_len != 0 || !zeros(t->aid, CARD_MODEL_MAX_AID)))
		return phr_fail(PHR_E_MALFORMED, "card state: application name");
	t->n_efs = p[44];
	if (t->n_efs > CARD_MODEL_MAX_EFS)
		return phr_fail(PHR_E_LIMIT, "card state: %zu EFs, more than CARD_MODEL_MAX_EFS (%d)", t->n_efs,
				CARD_MODEL_MAX_EFS);
	if (!t->app && (t->n_efs || t->pin_set || t->puk_set))
		return phr_fail(PHR_E_MALFORMED, "card state: EFs or reference data without an application");
	k = CARD_MODEL_STATE_HEADER;
	for (size_t i = 0; i < t->n_efs; i++) {
		struct card_ef *e = &t->ef[i];
		if (n - 4 - k < CARD_MODEL_STATE_EF_HEADER)
			return phr_fail(PHR_E_MALFORMED, "card state: EF %zu header truncated", i);
		e->fid = (uint16_t)get_be(p + k, 2);
		e->sfi = p[k + 2];
		e->read_sc = p[k + 3];
		e->update_sc = p[k + 4];
		e->size = get_be(p + k + 5, 3);
		k += CARD_MODEL_STATE_EF_HEADER;
		if (e->fid == 0x3F00 || e->fid == 0x3FFF || e->fid == 0xFFFF || e->sfi > 30 || !sc_ok(e->read_sc) ||
		    !sc_ok(e->update_sc))
			return phr_fail(PHR_E_MALFORMED, "card state: EF %zu: identifier or access condition", i);
		if (e->size == 0 || e->size > CARD_MODEL_MAX_EF_SIZE)
			return phr_fail(PHR_E_LIMIT, "card state: EF %04X of %zu bytes, expected 1..%d", e->fid, e->size,
					CARD_MODEL_MAX_EF_SIZE);
		for (size_t j = 0; j < i; j++)
			if (t->ef[j].fid == e->fid || (e->sfi && t->ef[j].sfi == e->sfi))
				return phr_fail(PHR_E_MALFORMED, "card state: EF %04X: identifier used twice", e->fid);
		if (n - 4 - k < e->size)
			return phr_fail(PHR_E_MALFORMED, "card state: EF %04X: %zu bytes, %zu left", e->fid, e->size,
					n - 4 - k);
		memcpy(e->data, p + k, e->size);
		k += e->size;
	}
	if (k != n - 4)
		return phr_fail(PHR_E_MALFORMED, "card state: %zu bytes after the last EF", n - 4 - k);
	return PHR_OK;
}

int card_model_load(struct card_model *m, const uint8_t *p, size_t n)
{
	struct card_model *t = malloc(sizeof(*t));
	int rc;
	if (!t)
		return phr_fail(PHR_E_NOMEM, "card state: out of memory");
	card_model_init_blank(t, m->ext);
	if ((rc = load(t, p, n)) == PHR_OK)
		memcpy(m, t, sizeof(*m));
	free(t);
	return rc;
}
