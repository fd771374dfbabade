/* A client of the phr card profile (docs/CARD.md) over any transport. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "phr/card.h"

struct phr_card {
	phr_card_transmit_fn transmit;
	void *ctx;
	enum phr_card_mode mode;
	bool ext;
	unsigned long apdus;
	bool have_last;
	struct phr_card_status last; /* as the status EF was last read or written */
	uint8_t cmd[PHR_APDU_MAX];
	uint8_t resp[PHR_APDU_RESP_MAX];
	uint8_t slot[PHR_CARD_SLOT_SIZE];
	uint8_t back[PHR_CARD_SLOT_SIZE];
};

int phr_card_create(phr_card_transmit_fn transmit, void *ctx, enum phr_card_mode mode, struct phr_card **out)
{
	*out = NULL;
	if (!transmit || (mode != PHR_CARD_AUTO && mode != PHR_CARD_SHORT && mode != PHR_CARD_EXTENDED))
		return phr_fail(PHR_E_ARG, "phr_card_create: no transmit function or unknown mode %d", (int)mode);
	struct phr_card *c = calloc(1, sizeof(*c));
	if (!c)
		return phr_fail(PHR_E_NOMEM, "phr_card_create: %zu bytes", sizeof(*c));
	c->transmit = transmit;
	c->ctx = ctx;
	c->mode = mode;
	c->ext = mode == PHR_CARD_EXTENDED;
	*out = c;
	return PHR_OK;
}

void phr_card_destroy(struct phr_card *c)
{
	if (!c)
		return;
	sodium_memzero(c, sizeof(*c)); /* the command buffer held the PIN */
	free(c);
}

bool phr_card_extended(const struct phr_card *c)
{
	return c->ext;
}

unsigned long phr_card_apdus(const struct phr_card *c)
{
	return c->apdus;
}

/* Sends c->cmd[0..n) and splits the answer; the status word is not checked. */
static int xfer(struct phr_card *c, size_t n, const char *what, struct phr_card_resp *r)
{
	size_t rn = 0;
	int rc;
	c->apdus++;
	rc = c->transmit(c->ctx, c->cmd, n, c->resp, sizeof(c->resp), &rn);
	sodium_memzero(c->cmd, n);
	if (rc <= PHR_E_CARD && rc >= -99)
		return phr_fail_wrap(rc, "%s", what); /* the transport said what happened */
	if (rc != 0)
		return phr_fail(PHR_E_CARD_TRANSPORT, "%s: transmit failed (%d)", what, rc);
	if (rn > sizeof(c->resp))
		return phr_fail(PHR_E_CARD_TRANSPORT, "%s: transport claims %zu response bytes", what, rn);
	if ((rc = phr_card_parse_resp(c->resp, rn, r)))
		return phr_fail_wrap(rc, "%s", what);
	return PHR_OK;
}

static int command(struct phr_card *c, const struct phr_apdu *a, bool ext, const char *what, struct phr_card_resp *r)
{
	size_t n;
	int rc;
	if ((rc = phr_apdu_build(a, ext, c->cmd, sizeof(c->cmd), &n)))
		return rc;
	return xfer(c, n, what, r);
}

static int select_ef(struct phr_card *c, uint16_t fid, struct phr_card_fcp *fcp)
{
	uint8_t f[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	struct phr_apdu a = { 0x00, 0xA4, 0x02, fcp ? 0x04 : 0x0C, f, 2, fcp ? 256 : 0 };
	struct phr_card_resp r;
	int rc;
	if ((rc = command(c, &a, false, "select EF", &r)) || (rc = phr_card_sw_check(r.sw, "select EF")))
		return rc;
	if (fcp) {
		if ((rc = phr_card_parse_fcp(r.data, r.len, fcp)))
			return phr_fail_wrap(rc, "select EF %04X", fid);
		if (!fcp->has_size)
			return phr_fail(PHR_E_CARD_RESPONSE, "select EF %04X: FCP without a size (tag 80)", fid);
	} else if (r.len) {
		return phr_fail(PHR_E_CARD_RESPONSE, "select EF %04X: %zu data bytes after P2=0C", fid, r.len);
	}
	return PHR_OK;
}

/* Reads count bytes at offset of the current EF into buf, fewest APDUs. */
static int read_range(struct phr_card *c, size_t offset, size_t count, uint8_t *buf)
{
	size_t done = 0;
	while (done < count) {
		size_t at = offset + done, want = count - done, n;
		struct phr_card_resp r;
		const uint8_t *d = NULL;
		int rc;
		if (want > phr_card_max_read(at, c->ext))
			want = phr_card_max_read(at, c->ext);
		if ((rc = phr_apdu_read_binary(at, want, c->ext, c->cmd, sizeof(c->cmd), &n)) ||
		    (rc = xfer(c, n, "read binary", &r)) || (rc = phr_card_sw_check(r.sw, "read binary")))
			return rc;
		if (at <= PHR_APDU_MAX_B0_OFFSET) {
			if (r.len != want)
				return phr_fail(PHR_E_CARD_RESPONSE, "read binary at %zu: %zu bytes, asked for %zu", at,
						r.len, want);
			d = r.data;
		} else if ((rc = phr_card_unwrap_53(r.data, r.len, want, &d))) {
			return phr_fail_wrap(rc, "offset %zu", at);
		}
		memcpy(buf + done, d, want);
		done += want;
	}
	return PHR_OK;
}

/* Reads count bytes from offset 0 of the EF with short identifier sfi:
 * the first READ BINARY names it in P1 (and makes it the current EF), so
 * no SELECT is needed; the rest, if any, continue on the current EF. */
static int read_sfi(struct phr_card *c, uint8_t sfi, size_t count, uint8_t *buf)
{
	size_t want = count, n;
	struct phr_card_resp r;
	int rc;
	if (want > phr_card_max_read(0, c->ext))
		want = phr_card_max_read(0, c->ext);
	struct phr_apdu a = { 0x00, 0xB0, (uint8_t)(0x80 | sfi), 0x00, NULL, 0, want };
	if ((rc = phr_apdu_build(&a, c->ext, c->cmd, sizeof(c->cmd), &n)) || (rc = xfer(c, n, "read binary", &r)) ||
	    (rc = phr_card_sw_check(r.sw, "read binary")))
		return rc;
	if (r.len != want)
		return phr_fail(PHR_E_CARD_RESPONSE, "read binary of SFI %u: %zu bytes, asked for %zu", sfi, r.len, want);
	memcpy(buf, r.data, want);
	return want < count ? read_range(c, want, count - want, buf + want) : PHR_OK;
}

/* UPDATE BINARY of len (<= 255) bytes at offset (<= 255) of the EF with short identifier sfi. */
static int update_sfi(struct phr_card *c, uint8_t sfi, size_t offset, const uint8_t *data, size_t len)
{
	struct phr_apdu a = { 0x00, 0xD6, (uint8_t)(0x80 | sfi), (uint8_t)offset, data, len, 0 };
	struct phr_card_resp r;
	size_t n;
	int rc;
	if (offset > 0xFF || len > PHR_APDU_SHORT_MAX_LC)
		return phr_fail(PHR_E_ARG, "update binary of SFI %u: %zu bytes at %zu", sfi, len, offset);
	if ((rc = phr_apdu_build(&a, c->ext, c->cmd, sizeof(c->cmd), &n)) ||
	    (rc = xfer(c, n, "update binary", &r)) || (rc = phr_card_sw_check(r.sw, "update binary")))
		return rc;
	if (r.len)
		return phr_fail(PHR_E_CARD_RESPONSE, "update binary of SFI %u: %zu unexpected data bytes", sfi, r.len);
	return PHR_OK;
}

static int write_range(struct phr_card *c, size_t offset, const uint8_t *data, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t at = offset + done, want = len - done, n;
		struct phr_card_resp r;
		int rc;
		if (want > phr_card_max_write(at, c->ext))
			want = phr_card_max_write(at, c->ext);
		if ((rc = phr_apdu_update_binary(at, data + done, want, c->ext, c->cmd, sizeof(c->cmd), &n)) ||
		    (rc = xfer(c, n, "update binary", &r)) || (rc = phr_card_sw_check(r.sw, "update binary")))
			return rc;
		if (r.len)
			return phr_fail(PHR_E_CARD_RESPONSE, "update binary at %zu: %zu unexpected data bytes", at, r.len);
		done += want;
	}
	return PHR_OK;
}

/* SELECT of the application by AID; *found is false on 6A82. */
static int select_app(struct phr_card *c, bool *found)
{
	struct phr_apdu sel = { 0x00, 0xA4, 0x04, 0x0C, (const uint8_t *)PHR_CARD_AID, PHR_CARD_AID_LEN, 0 };
	struct phr_card_resp r;
	int rc;
	c->have_last = false;
	*found = false;
	if ((rc = command(c, &sel, false, "select phr application", &r)))
		return rc;
	if (r.sw == 0x6A82)
		return PHR_OK;
	if ((rc = phr_card_sw_check(r.sw, "select phr application")))
		return rc;
	if (r.len)
		return phr_fail(PHR_E_CARD_RESPONSE, "select phr application: %zu data bytes after P2=0C", r.len);
	*found = true;
	return PHR_OK;
}

/* The extended-length probe (SELECT of EF.STATUS with FCP), and the size of EF.STATUS. */
static int probe(struct phr_card *c)
{
	uint8_t f[2] = { PHR_CARD_FID_STATUS >> 8, PHR_CARD_FID_STATUS & 0xFF };
	struct phr_apdu fcp_ext = { 0x00, 0xA4, 0x02, 0x04, f, 2, PHR_APDU_EXT_MAX_LE };
	struct phr_card_resp r;
	struct phr_card_fcp fcp;
	int rc;

	if (c->mode == PHR_CARD_SHORT) {
		c->ext = false;
		rc = select_ef(c, PHR_CARD_FID_STATUS, &fcp);
	} else {
		/* The probe: a card without extended lengths refuses the 3-byte
		 * Le (6700 is the usual answer; any refusal counts). */
		if ((rc = command(c, &fcp_ext, true, "extended-length probe", &r)))
			return rc;
		if (r.sw == 0x9000) {
			c->ext = true;
			if ((rc = phr_card_parse_fcp(r.data, r.len, &fcp)))
				return phr_fail_wrap(rc, "select status EF");
			if (!fcp.has_size)
				return phr_fail(PHR_E_CARD_RESPONSE, "select status EF: FCP without a size (tag 80)");
		} else if (c->mode == PHR_CARD_EXTENDED) {
			return phr_card_sw_check(r.sw, "extended-length probe (extended mode forced)");
		} else {
			c->ext = false;
			rc = select_ef(c, PHR_CARD_FID_STATUS, &fcp);
		}
	}
	if (rc)
		return rc;
	if (fcp.size != PHR_CARD_STATUS_SIZE)
		return phr_fail(PHR_E_CARD_RESPONSE, "status EF: %zu bytes on the card, the profile says %d", fcp.size,
				PHR_CARD_STATUS_SIZE);
	return PHR_OK;
}

int phr_card_open(struct phr_card *c)
{
	bool found;
	int rc;
	if ((rc = select_app(c, &found)))
		return rc;
	if (!found)
		return phr_fail(PHR_E_CARD_NO_APP, "no phr application on the card (SELECT of AID %s answered 6A82)",
				"F0 70 68 72 01");
	return probe(c);
}

/* Pads a PIN (min..max digits) with FF to PHR_CARD_PIN_MAX bytes. */
static int pad_pin(const char *pin, size_t min, size_t max, uint8_t out[PHR_CARD_PIN_MAX], const char *what)
{
	size_t n = pin ? strnlen(pin, max + 1) : 0;
	if (n < min || n > max)
		return phr_fail(PHR_E_ARG, "%s: %zu digits, expected %zu..%zu", what, n, min, max);
	for (size_t i = 0; i < n; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return phr_fail(PHR_E_ARG, "%s: character %zu is not a digit", what, i + 1);
	memset(out, 0xFF, PHR_CARD_PIN_MAX);
	memcpy(out, pin, n);
	return PHR_OK;
}

static int pin_command(struct phr_card *c, uint8_t ins, const uint8_t *data, size_t len, const char *what,
		       int *tries_left)
{
	struct phr_apdu a = { 0x00, ins, 0x00, PHR_CARD_PIN_REF, data, len, 0 };
	struct phr_card_resp r;
	int rc;
	if (tries_left)
		*tries_left = -1;
	if ((rc = command(c, &a, false, what, &r)))
		return rc;
	if (tries_left)
		*tries_left = r.sw == 0x6983 ? 0 : phr_card_sw_tries(r.sw);
	return phr_card_sw_check(r.sw, what);
}

/* CHANGE REFERENCE DATA with P1=01: new reference data only, which the
 * card takes once, on an unset reference. */
static int pin_command1(struct phr_card *c, uint8_t ref, const uint8_t *data, size_t len, const char *what)
{
	struct phr_apdu a = { 0x00, 0x24, 0x01, ref, data, len, 0 };
	struct phr_card_resp r;
	int rc;
	if ((rc = command(c, &a, false, what, &r)))
		return rc;
	return phr_card_sw_check(r.sw, what);
}

int phr_card_verify_pin(struct phr_card *c, const char *pin, int *tries_left)
{
	uint8_t p[PHR_CARD_PIN_MAX];
	int rc = pad_pin(pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, p, "PIN");
	if (rc == PHR_OK)
		rc = pin_command(c, 0x20, p, sizeof(p), "verify PIN", tries_left);
	sodium_memzero(p, sizeof(p));
	return rc;
}

int phr_card_pin_tries(struct phr_card *c, int *tries_left)
{
	struct phr_apdu a = { 0x00, 0x20, 0x00, PHR_CARD_PIN_REF, NULL, 0, 0 };
	struct phr_card_resp r;
	int rc;
	*tries_left = -1;
	if ((rc = command(c, &a, false, "PIN tries", &r)))
		return rc;
	if (r.sw == 0x9000) {
		*tries_left = PHR_CARD_PIN_TRIES;
		return PHR_OK;
	}
	if (phr_card_sw_tries(r.sw) >= 0) {
		*tries_left = phr_card_sw_tries(r.sw);
		return PHR_OK;
	}
	if (r.sw == 0x6983)
		*tries_left = 0;
	return phr_card_sw_check(r.sw, "PIN tries");
}

int phr_card_change_pin(struct phr_card *c, const char *old_pin, const char *new_pin)
{
	uint8_t p[2 * PHR_CARD_PIN_MAX];
	int rc;
	if ((rc = pad_pin(old_pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, p, "old PIN")) == PHR_OK &&
	    (rc = pad_pin(new_pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, p + PHR_CARD_PIN_MAX, "new PIN")) == PHR_OK)
		rc = pin_command(c, 0x24, p, sizeof(p), "change PIN", NULL);
	sodium_memzero(p, sizeof(p));
	return rc;
}

int phr_card_unblock_pin(struct phr_card *c, const char *puk, const char *new_pin, int *tries_left)
{
	uint8_t p[PHR_CARD_PUK_LEN + PHR_CARD_PIN_MAX];
	int rc;
	if (tries_left)
		*tries_left = -1;
	if ((rc = pad_pin(puk, PHR_CARD_PUK_LEN, PHR_CARD_PUK_LEN, p, "PUK")) == PHR_OK &&
	    (rc = pad_pin(new_pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, p + PHR_CARD_PUK_LEN, "new PIN")) == PHR_OK)
		rc = pin_command(c, 0x2C, p, sizeof(p), "reset retry counter", tries_left);
	sodium_memzero(p, sizeof(p));
	return rc;
}

static int read_status(struct phr_card *c, struct phr_card_status *s)
{
	uint8_t b[PHR_CARD_STATUS_SIZE];
	int rc;
	if ((rc = read_sfi(c, PHR_CARD_SFI_STATUS, sizeof(b), b)) || (rc = phr_card_status_parse(b, sizeof(b), s)))
		return rc;
	c->last = *s;
	c->have_last = true;
	return PHR_OK;
}

int phr_card_state(struct phr_card *c, struct phr_card_status *out)
{
	return read_status(c, out);
}

bool phr_card_last_state(const struct phr_card *c, struct phr_card_status *out)
{
	if (c->have_last)
		*out = c->last;
	return c->have_last;
}

/* Both status copies: no record, at generation g. */
static int write_empty(struct phr_card *c, uint32_t g)
{
	struct phr_card_status s = { 0, g, 0, 0 };
	uint8_t b[PHR_CARD_STATUS_SIZE];
	int rc;
	if ((rc = phr_card_status_encode(&s, b)))
		return rc;
	memcpy(b + PHR_CARD_STATUS_COPY, b, PHR_CARD_STATUS_COPY);
	if ((rc = update_sfi(c, PHR_CARD_SFI_STATUS, 0, b, sizeof(b))))
		return rc;
	c->last = s;
	c->have_last = true;
	return PHR_OK;
}

int phr_card_format(struct phr_card *c)
{
	struct phr_card_status s;
	uint8_t b[PHR_CARD_STATUS_SIZE];
	int rc;
	/* The generation goes on counting: it never goes backwards on a card,
	 * so a record written after an erase is not taken for an older one. */
	if ((rc = read_sfi(c, PHR_CARD_SFI_STATUS, sizeof(b), b)))
		return rc;
	if (phr_card_status_parse(b, sizeof(b), &s) != PHR_OK) {
		phr_clear_error();
		return write_empty(c, 0);
	}
	if (s.generation == UINT32_MAX)
		return phr_fail(PHR_E_LIMIT, "card: generation counter exhausted");
	return write_empty(c, s.generation + 1);
}

/* ---- personalisation ------------------------------------------------------ */

/* The FCP template of CREATE FILE for an EF of the profile: size (80),
 * transparent working EF (82 01), FID (83), SFI (88), and the compact
 * security attributes (8C): access mode 03 = UPDATE BINARY and READ
 * BINARY, each under security condition 10 = user authentication (the
 * PIN). */
static size_t ef_fcp(uint16_t fid, uint8_t sfi, size_t size, uint8_t out[32])
{
	const uint8_t t[] = { 0x62, 0x14, 0x80, 0x03, (uint8_t)(size >> 16), (uint8_t)(size >> 8), (uint8_t)size,
			      0x82, 0x01, 0x01, 0x83, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid, 0x88, 0x01,
			      (uint8_t)(sfi << 3), 0x8C, 0x03, 0x03, 0x10, 0x10 };
	memcpy(out, t, sizeof(t));
	return sizeof(t);
}

static int create_file(struct phr_card *c, const uint8_t *fcp, size_t len, const char *what)
{
	struct phr_apdu a = { 0x00, 0xE0, 0x00, 0x00, fcp, len, 0 };
	struct phr_card_resp r;
	int rc;
	if ((rc = command(c, &a, false, what, &r)) || (rc = phr_card_sw_check(r.sw, what)))
		return rc;
	return PHR_OK;
}

/* VERIFY without data on ref: *set is false when the card answers 6984
 * (reference data not usable: not set yet). */
static int ref_is_set(struct phr_card *c, uint8_t ref, bool *set, const char *what)
{
	struct phr_apdu a = { 0x00, 0x20, 0x00, ref, NULL, 0, 0 };
	struct phr_card_resp r;
	int rc;
	*set = true;
	if ((rc = command(c, &a, false, what, &r)))
		return rc;
	if (r.sw == 0x6984) {
		*set = false;
		return PHR_OK;
	}
	if (r.sw == 0x9000 || r.sw == 0x6983 || phr_card_sw_tries(r.sw) >= 0)
		return PHR_OK;
	return phr_card_sw_check(r.sw, what);
}

int phr_card_personalise(struct phr_card *c, const char *pin, const char *puk, struct phr_card_perso *out)
{
	static const struct {
		uint16_t fid;
		uint8_t sfi;
		size_t size;
	} efs[3] = { { PHR_CARD_FID_STATUS, PHR_CARD_SFI_STATUS, PHR_CARD_STATUS_SIZE },
		     { PHR_CARD_FID_SLOT_A, PHR_CARD_SFI_SLOT_A, PHR_CARD_SLOT_SIZE },
		     { PHR_CARD_FID_SLOT_B, PHR_CARD_SFI_SLOT_B, PHR_CARD_SLOT_SIZE } };
	/* DF: descriptor 38 (DF), name 84 = the AID. */
	static const uint8_t df[] = { 0x62, 0x0A, 0x82, 0x01, 0x38, 0x84, 0x05, 0xF0, 0x70, 0x68, 0x72, 0x01 };
	uint8_t p[PHR_CARD_PIN_MAX], k[PHR_CARD_PUK_LEN], fcp[32], b[PHR_CARD_STATUS_SIZE];
	struct phr_card_resp r;
	struct phr_card_status st;
	bool found, set;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pad_pin(pin, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, p, "PIN")) ||
	    (rc = pad_pin(puk, PHR_CARD_PUK_LEN, PHR_CARD_PUK_LEN, k, "PUK")))
		goto out;
	if ((rc = select_app(c, &found)))
		goto out;
	if (!found) {
		if ((rc = create_file(c, df, sizeof(df), "create application DF")) || (rc = select_app(c, &found)))
			goto out;
		if (!found) {
			rc = phr_fail(PHR_E_CARD_RESPONSE, "the application created is not found by its AID");
			goto out;
		}
		out->created_app = true;
	}
	for (int i = 0; i < 3; i++) {
		uint8_t f[2] = { (uint8_t)(efs[i].fid >> 8), (uint8_t)efs[i].fid };
		struct phr_apdu sel = { 0x00, 0xA4, 0x02, 0x04, f, 2, 256 };
		struct phr_card_fcp got;
		if ((rc = command(c, &sel, false, "select EF", &r)))
			goto out;
		if (r.sw == 0x6A82) {
			size_t n = ef_fcp(efs[i].fid, efs[i].sfi, efs[i].size, fcp);
			if ((rc = create_file(c, fcp, n, "create EF")))
				goto out;
			out->created_efs++;
			continue;
		}
		if ((rc = phr_card_sw_check(r.sw, "select EF")))
			goto out;
		if ((rc = phr_card_parse_fcp(r.data, r.len, &got))) {
			rc = phr_fail_wrap(rc, "select EF %04X", efs[i].fid);
			goto out;
		}
		if (!got.has_size || got.size != efs[i].size) {
			rc = phr_fail(PHR_E_CARD_RESPONSE, "EF %04X: %zu bytes on the card, the profile says %zu",
				      efs[i].fid, got.size, efs[i].size);
			goto out;
		}
	}
	if ((rc = probe(c)))
		goto out;
	/* The PUK is set last, so a card whose PUK is set is complete. */
	if ((rc = ref_is_set(c, PHR_CARD_PUK_REF, &set, "PUK state")))
		goto out;
	if (set && !out->created_app && !out->created_efs) {
		/* No VERIFY here: the PIN given is meant as a new one, and a wrong
		 * try would count against the holder's. */
		rc = phr_fail(PHR_E_CARD_EXISTS, "the card already holds a personalised phr application");
		goto out;
	}
	bool puk_set = set;
	if ((rc = ref_is_set(c, PHR_CARD_PIN_REF, &set, "PIN state")))
		goto out;
	if (!set) {
		if ((rc = pin_command1(c, PHR_CARD_PIN_REF, p, sizeof(p), "set PIN")))
			goto out;
		out->set_pin = true;
	}
	if ((rc = pin_command(c, 0x20, p, sizeof(p), "verify PIN", NULL)))
		goto out;
	if (read_sfi(c, PHR_CARD_SFI_STATUS, sizeof(b), b) == PHR_OK && phr_card_status_parse(b, sizeof(b), &st) == PHR_OK) {
		c->last = st;
		c->have_last = true;
	} else {
		phr_clear_error();
		if ((rc = write_empty(c, 0)))
			goto out;
		out->wrote_status = true;
	}
	if (!puk_set) {
		out->sent_puk = true;
		if ((rc = pin_command1(c, PHR_CARD_PUK_REF, k, sizeof(k), "set PUK")))
			goto out;
		out->set_puk = true;
	}
	rc = PHR_OK;
out:
	sodium_memzero(p, sizeof(p));
	sodium_memzero(k, sizeof(k));
	return rc;
}

static uint16_t slot_fid(int slot)
{
	return slot == 1 ? PHR_CARD_FID_SLOT_A : PHR_CARD_FID_SLOT_B;
}

static uint8_t slot_sfi(int slot)
{
	return slot == 1 ? PHR_CARD_SFI_SLOT_A : PHR_CARD_SFI_SLOT_B;
}

/* The key block after the slot's CRC (docs/CARD.md, "The holder key"):
 * magic | holder key | CRC-32 of the whole slot up to here, so that a block
 * left over from an earlier record in the slot never passes for this
 * record's. */
static void key_block(uint8_t *slot, size_t n, const uint8_t key[PHR_CARD_KEY_LEN])
{
	uint8_t *b = slot + n;
	memcpy(b, PHR_CARD_KEY_MAGIC, 4);
	memcpy(b + 4, key, PHR_CARD_KEY_LEN);
	uint32_t crc = phr_card_crc32(slot, n + 4 + PHR_CARD_KEY_LEN);
	b[20] = (uint8_t)(crc >> 24);
	b[21] = (uint8_t)(crc >> 16);
	b[22] = (uint8_t)(crc >> 8);
	b[23] = (uint8_t)crc;
}

int phr_card_read_key(struct phr_card *c, uint8_t *buf, size_t cap, size_t *len, uint8_t key[PHR_CARD_KEY_LEN],
		      bool *has_key)
{
	struct phr_card_status s;
	const uint8_t *p;
	size_t n, want, clen;
	int rc;

	*len = 0;
	if (has_key)
		*has_key = false;
	if ((rc = read_status(c, &s)))
		return rc;
	if (s.active == 0)
		return phr_fail(PHR_E_CARD_EMPTY, "card: status EF names no active slot (generation %lu)",
				(unsigned long)s.generation);
	if (s.length > cap)
		return phr_fail(PHR_E_BUFFER, "card: container of %zu bytes, buffer of %zu", s.length, cap);
	n = PHR_CARD_SLOT_HEADER + s.length + PHR_CARD_SLOT_TRAILER;
	/* the key block is read with the slot, in the same READ BINARY */
	want = has_key && n + PHR_CARD_KEY_BLOCK <= PHR_CARD_SLOT_SIZE ? n + PHR_CARD_KEY_BLOCK : n;
	if ((rc = read_sfi(c, slot_sfi(s.active), want, c->slot)))
		return rc;
	if ((rc = phr_card_slot_parse(c->slot, n, s.length, &p, &clen)))
		return phr_fail_wrap(rc, "slot %c, generation %lu", s.active == 1 ? 'A' : 'B',
				     (unsigned long)s.generation);
	memcpy(buf, p, clen);
	*len = clen;
	if (want > n && !memcmp(c->slot + n, PHR_CARD_KEY_MAGIC, 4)) {
		const uint8_t *b = c->slot + n + 4 + PHR_CARD_KEY_LEN;
		uint32_t crc = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		if (crc == phr_card_crc32(c->slot, n + 4 + PHR_CARD_KEY_LEN)) {
			memcpy(key, c->slot + n + 4, PHR_CARD_KEY_LEN);
			*has_key = true;
		}
	}
	sodium_memzero(c->slot + n, want - n);
	return PHR_OK;
}

int phr_card_read(struct phr_card *c, uint8_t *buf, size_t cap, size_t *len)
{
	return phr_card_read_key(c, buf, cap, len, NULL, NULL);
}

int phr_card_write(struct phr_card *c, const uint8_t *container, size_t len)
{
	return phr_card_write_key(c, container, len, NULL);
}

int phr_card_write_key(struct phr_card *c, const uint8_t *container, size_t len, const uint8_t key[PHR_CARD_KEY_LEN])
{
	struct phr_card_status s, now;
	struct phr_card_fcp fcp;
	uint8_t copy[PHR_CARD_STATUS_COPY];
	size_t n, rec;
	int rc, target;

	if ((rc = phr_card_slot_encode(container, len, c->slot, sizeof(c->slot), &n)))
		return rc;
	rec = n;
	/* The holder key goes in the same slot as the record, after its CRC,
	 * and becomes current with it at the flip: a cut leaves the old record
	 * with the old key or the new with the new. Without a key, zeros: no
	 * earlier key block is left behind in the slot. */
	if (n + PHR_CARD_KEY_BLOCK <= sizeof(c->slot)) {
		if (key)
			key_block(c->slot, n, key);
		else
			memset(c->slot + n, 0, PHR_CARD_KEY_BLOCK);
		n += PHR_CARD_KEY_BLOCK;
	} else if (key) {
		return phr_fail(PHR_E_LIMIT, "card: a container of %zu bytes leaves no room for the holder key (at most %d bytes with it)",
				len, PHR_MAX_CONTAINER - PHR_CARD_KEY_BLOCK);
	}
	if ((rc = read_status(c, &s)))
		goto out;
	if (s.generation == UINT32_MAX) {
		rc = phr_fail(PHR_E_LIMIT, "card: generation counter exhausted");
		goto out;
	}
	target = s.active == 1 ? 2 : 1;
	if ((rc = select_ef(c, slot_fid(target), &fcp)))
		goto out;
	if (fcp.size < rec) {
		rc = phr_fail(PHR_E_LIMIT, "card: slot %c holds %zu bytes, the record needs %zu", target == 1 ? 'A' : 'B',
			      fcp.size, rec);
		goto out;
	}
	if (fcp.size < n) {
		if (key) {
			rc = phr_fail(PHR_E_LIMIT, "card: slot %c holds %zu bytes, the record and the holder key need %zu",
				      target == 1 ? 'A' : 'B', fcp.size, n);
			goto out;
		}
		n = rec;
	}
	/* 1. the inactive slot; 2. read back: what the status will name is
	 * known good before it is named. */
	if ((rc = write_range(c, 0, c->slot, n)) || (rc = read_range(c, 0, n, c->back)))
		goto out;
	if (memcmp(c->slot, c->back, n) != 0) {
		rc = phr_fail(PHR_E_CARD_TORN, "card: slot %c read back differs from what was written",
			      target == 1 ? 'A' : 'B');
		goto out;
	}
	/* 3. the flip: the copy that does not hold the current state. */
	struct phr_card_status next = { target, s.generation + 1, len, 0 };
	if ((rc = phr_card_status_encode(&next, copy)) ||
	    (rc = update_sfi(c, PHR_CARD_SFI_STATUS, (size_t)(1 - s.copy) * PHR_CARD_STATUS_COPY, copy, sizeof(copy))))
		goto out;
	if ((rc = read_status(c, &now)))
		goto out;
	if (now.active != target || now.generation != next.generation || now.length != len) {
		rc = phr_fail(PHR_E_CARD_TORN, "card: status EF after the flip names slot %d generation %lu",
			      now.active, (unsigned long)now.generation);
		goto out;
	}
	rc = PHR_OK;
out:
	sodium_memzero(c->slot + rec, sizeof(c->slot) - rec < PHR_CARD_KEY_BLOCK ? sizeof(c->slot) - rec : PHR_CARD_KEY_BLOCK);
	sodium_memzero(c->back + rec, sizeof(c->back) - rec < PHR_CARD_KEY_BLOCK ? sizeof(c->back) - rec : PHR_CARD_KEY_BLOCK);
	return rc;
}
