/* Card responses: phr_card_parse_resp() + phr_card_sw_check(),
 * phr_card_parse_fcp(), phr_card_status_parse(), phr_card_slot_parse() and
 * phr_card_unwrap_53(), all on the same bytes.
 *
 * Invariants:
 *  - a failure is a card or buffer error code with a message, and leaves the
 *    output cleared;
 *  - only 9000 passes phr_card_sw_check; 63Cx gives PHR_E_CARD_PIN;
 *  - an accepted status EF has a consistent winner (active 0..2, length 0
 *    exactly when no slot is active, within PHR_MAX_CONTAINER) whose copy
 *    encodes again to the very bytes it came from, and no valid copy has a
 *    higher generation;
 *  - an accepted slot points inside the input, within PHR_MAX_CONTAINER, and
 *    encodes again to the input's first header + length + CRC bytes;
 *  - an accepted FCP reports sizes that fit in 32 bits;
 *  - DO 53 unwrapped points inside the input, at its last bytes.
 *
 * The same bytes also go to the card side (tests/card/model.c, the virtual
 * card of the tests), whose parsers read what a client sends:
 *  - as a saved card state (card_model_load), as given and with its CRC
 *    made right: an accepted state saves again to the very same bytes;
 *  - as one command APDU to a blank and to a personalised card with the PIN
 *    verified, and as a sequence of vpcd frames (2-byte big-endian length,
 *    payload; a 1-byte payload is a reader control byte) to a blank card:
 *    every answer is 2..PHR_APDU_RESP_MAX bytes; a refusal (any status but
 *    9000 and 63Cx) changes nothing that the card keeps; READ or UPDATE
 *    BINARY of an EF that needs the PIN never succeeds without it; the
 *    card's limits (EFs, sizes, retry counters) hold after every command.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "../card/model.h"
#include "phr/card.h"

static void check_fail(int rc)
{
	FUZZ_CHECK_ERR(rc);
	FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
}

static void check_model(const struct card_model *m)
{
	FUZZ_CHECK(m->n_efs <= CARD_MODEL_MAX_EFS && (m->app || m->n_efs == 0), "card: EFs");
	FUZZ_CHECK(m->cur >= -1 && m->cur < (int)m->n_efs, "card: current EF");
	FUZZ_CHECK(m->pin_tries >= 0 && m->pin_tries <= PHR_CARD_PIN_TRIES && m->puk_tries >= 0 &&
			   m->puk_tries <= PHR_CARD_PUK_TRIES,
		   "card: retry counters");
	FUZZ_CHECK(m->aid_len <= CARD_MODEL_MAX_AID && (m->aid_len > 0) == m->app, "card: application name");
	for (size_t i = 0; i < m->n_efs; i++)
		FUZZ_CHECK(m->ef[i].size >= 1 && m->ef[i].size <= CARD_MODEL_MAX_EF_SIZE, "card: EF size");
	FUZZ_CHECK(!m->pin_ok || m->pin_set, "card: PIN verified but never set");
}

/* One command to the card, and what a card must never do. */
static void command(struct card_model *m, const uint8_t *apdu, size_t n, uint8_t *resp)
{
	unsigned long before = m->changes;
	bool pin_ok = m->pin_ok;
	size_t rn = card_model_process(m, apdu, n, resp);
	FUZZ_CHECK(rn >= 2 && rn <= PHR_APDU_RESP_MAX, "card: answer length");
	uint16_t sw = (uint16_t)(resp[rn - 2] << 8 | resp[rn - 1]);
	if (sw != 0x9000 && (sw & 0xFFF0) != 0x63C0)
		FUZZ_CHECK(m->changes == before, "card: a refused command changed the card");
	if (sw == 0x9000 && n >= 2 && (apdu[1] == 0xB0 || apdu[1] == 0xB1 || apdu[1] == 0xD6 || apdu[1] == 0xD7)) {
		FUZZ_CHECK(m->cur >= 0, "card: READ/UPDATE without an EF");
		const struct card_ef *e = &m->ef[m->cur];
		uint8_t sc = apdu[1] <= 0xB1 ? e->read_sc : e->update_sc;
		FUZZ_CHECK(sc == CARD_SC_ALWAYS || (sc == CARD_SC_PIN && pin_ok), "card: access rule not enforced");
	}
	check_model(m);
}

static void card_side(const uint8_t *data, size_t size)
{
	static struct card_model *m, *t;
	static uint8_t *resp, *buf;
	if (!m) {
		m = malloc(sizeof(*m));
		t = malloc(sizeof(*t));
		resp = malloc(PHR_APDU_RESP_MAX);
		buf = malloc(CARD_MODEL_STATE_MAX);
		FUZZ_CHECK(m && t && resp && buf, "out of memory");
	}
	/* a saved state, as given and with a right CRC */
	for (int fix = 0; fix < 2 && size <= CARD_MODEL_STATE_MAX; fix++) {
		const uint8_t *p = data;
		uint8_t *copy = NULL;
		size_t n = 0;
		if (fix) {
			if (size < 4 || !(copy = malloc(size)))
				break;
			memcpy(copy, data, size);
			uint32_t crc = phr_card_crc32(copy, size - 4);
			copy[size - 4] = (uint8_t)(crc >> 24), copy[size - 3] = (uint8_t)(crc >> 16);
			copy[size - 2] = (uint8_t)(crc >> 8), copy[size - 1] = (uint8_t)crc;
			p = copy;
		}
		card_model_init_blank(t, true);
		phr_clear_error();
		int rc = card_model_load(t, p, size);
		if (rc != PHR_OK) {
			check_fail(rc);
			FUZZ_CHECK(!t->app && t->n_efs == 0, "card state: model changed by a refused state");
		} else {
			check_model(t);
			FUZZ_CHECK(card_model_save(t, buf, CARD_MODEL_STATE_MAX, &n) == PHR_OK && n == size &&
					   memcmp(buf, p, n) == 0,
				   "card state: does not save to its bytes");
			command(t, (const uint8_t *)"\x00\xA4\x04\x0C\x05\xF0\x70\x68\x72\x01", 10, resp);
		}
		free(copy);
	}
	/* one command APDU: a blank card, and a personalised one with the PIN verified */
	card_model_init_blank(m, true);
	command(m, data, size, resp);
	FUZZ_CHECK(card_model_init(m, size % 2 == 0, "123456", "12345678") == 0, "card model");
	m->in_app = m->pin_ok = true;
	m->cur = (int)(size % 4) - 1;
	command(m, data, size, resp);
	/* vpcd frames to a blank card */
	card_model_init_blank(m, true);
	for (size_t k = 0; k + 2 <= size;) {
		size_t n = (size_t)data[k] << 8 | data[k + 1];
		k += 2;
		if (n > size - k)
			n = size - k;
		if (n == 1 && data[k] <= 2)
			card_model_power_cycle(m);
		else if (n != 1)
			command(m, data + k, n, resp);
		k += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_card_resp r;
	int rc;

	phr_clear_error();
	rc = phr_card_parse_resp(data, size, &r);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_TRANSPORT && size < 2 && r.data == NULL, "short response");
	} else {
		FUZZ_CHECK(r.data == data && r.len == size - 2, "response data");
		rc = phr_card_sw_check(r.sw, "fuzz");
		FUZZ_CHECK((rc == PHR_OK) == (r.sw == 0x9000), "only 9000 is success");
		if (rc != PHR_OK) {
			check_fail(rc);
			FUZZ_CHECK(rc <= PHR_E_CARD && rc >= PHR_E_CARD_EMPTY, "status word maps outside the card range");
			FUZZ_CHECK((rc == PHR_E_CARD_PIN) == (phr_card_sw_tries(r.sw) >= 0), "63Cx and PHR_E_CARD_PIN");
		}
	}

	struct phr_card_fcp f;
	rc = phr_card_parse_fcp(data, size, &f);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE, "FCP: error code");
		FUZZ_CHECK(!f.has_size && !f.has_fid && !f.has_desc, "FCP: output not cleared");
	} else {
		FUZZ_CHECK(size >= 2 && data[0] == 0x62, "FCP accepted without tag 62");
		FUZZ_CHECK(f.size <= 0xFFFFFFFFu && (f.has_size || f.size == 0), "FCP size");
	}

	struct phr_card_status s;
	rc = phr_card_status_parse(data, size, &s);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE, "status EF: error code");
	} else {
		uint8_t again[PHR_CARD_STATUS_COPY];
		FUZZ_CHECK(size == PHR_CARD_STATUS_SIZE, "status EF size");
		FUZZ_CHECK(s.active >= 0 && s.active <= 2 && (s.active == 0) == (s.length == 0) &&
				   s.length <= PHR_MAX_CONTAINER && (s.copy == 0 || s.copy == 1),
			   "status EF: inconsistent state accepted");
		FUZZ_CHECK(phr_card_status_encode(&s, again) == PHR_OK &&
				   memcmp(again, data + (size_t)s.copy * PHR_CARD_STATUS_COPY, sizeof(again)) == 0,
			   "status EF: winner does not encode to its bytes");
		struct phr_card_status o;
		const uint8_t *other = data + (size_t)(1 - s.copy) * PHR_CARD_STATUS_COPY;
		uint8_t two[PHR_CARD_STATUS_SIZE];
		memcpy(two, other, PHR_CARD_STATUS_COPY);
		memcpy(two + PHR_CARD_STATUS_COPY, other, PHR_CARD_STATUS_COPY);
		if (phr_card_status_parse(two, sizeof(two), &o) == PHR_OK)
			FUZZ_CHECK(o.generation <= s.generation, "status EF: the older copy won");
	}

	const uint8_t *c = NULL;
	size_t len = 0;
	rc = phr_card_slot_parse(data, size, 0, &c, &len);
	if (rc != PHR_OK) {
		check_fail(rc);
		FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE || rc == PHR_E_CARD_TORN, "slot: error code");
		FUZZ_CHECK(c == NULL && len == 0, "slot: output not cleared");
	} else {
		size_t n = 0, total = PHR_CARD_SLOT_HEADER + len + PHR_CARD_SLOT_TRAILER;
		FUZZ_CHECK(len >= 1 && len <= PHR_MAX_CONTAINER && c == data + PHR_CARD_SLOT_HEADER && total <= size,
			   "slot: container outside the input");
		uint8_t *again = malloc(total);
		FUZZ_CHECK(again != NULL, "out of memory");
		FUZZ_CHECK(phr_card_slot_encode(c, len, again, total, &n) == PHR_OK && n == total &&
				   memcmp(again, data, total) == 0,
			   "slot: does not encode to its bytes");
		free(again);
	}

	if (size >= 2) {
		const uint8_t *d = NULL;
		size_t expect = data[1] < 0x80 ? data[1] : size > 4 ? size - 4 : 0;
		rc = phr_card_unwrap_53(data, size, expect, &d);
		if (rc != PHR_OK) {
			check_fail(rc);
			FUZZ_CHECK(rc == PHR_E_CARD_RESPONSE && d == NULL, "DO 53: error");
		} else {
			FUZZ_CHECK(data[0] == 0x53 && d && d >= data && d + expect == data + size, "DO 53: data");
		}
	}

	card_side(data, size);
	return 0;
}
