/* card/: APDU encodings, response parsers, and the profile client against
 * the in-memory card of tests/card/model.c (access rules, PIN, PUK, tearing). */
#include <stdlib.h>
#include <string.h>

#include "../card/model.h"
#include "phr/card.h"
#include "testlib.h"

#define PIN "123456"
#define PUK "87654321"

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static struct card_model *new_model(bool ext)
{
	struct card_model *m = malloc(sizeof(*m));
	if (m && card_model_init(m, ext, PIN, PUK) != 0) {
		free(m);
		m = NULL;
	}
	return m;
}

/* A client on m, opened and with the PIN verified. */
static struct phr_card *session(struct card_model *m)
{
	struct phr_card *c = NULL;
	if (phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c) != PHR_OK)
		return NULL;
	if (phr_card_open(c) != PHR_OK || phr_card_verify_pin(c, PIN, NULL) != PHR_OK) {
		phr_card_destroy(c);
		return NULL;
	}
	return c;
}

static int test_apdu_encodings(void)
{
	uint8_t out[PHR_APDU_MAX], data[300];
	size_t n;
	fill(data, sizeof(data), 1);
	struct phr_apdu a = { 0x00, 0xB0, 0x01, 0x02, NULL, 0, 256 };
	CHECK_RC(phr_apdu_build(&a, false, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 5 && !memcmp(out, "\x00\xB0\x01\x02\x00", 5));
	CHECK_RC(phr_apdu_build(&a, true, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 7 && !memcmp(out, "\x00\xB0\x01\x02\x00\x01\x00", 7));
	a.le = 65536;
	CHECK_RC(phr_apdu_build(&a, true, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 7 && !memcmp(out, "\x00\xB0\x01\x02\x00\x00\x00", 7));
	CHECK_RC(phr_apdu_build(&a, false, out, sizeof(out), &n), PHR_E_ARG);
	CHECK(n == 0 && phr_last_error()[0]);
	struct phr_apdu u = { 0x00, 0xD6, 0x00, 0x00, data, 256, 0 };
	CHECK_RC(phr_apdu_build(&u, false, out, sizeof(out), &n), PHR_E_ARG);
	CHECK_RC(phr_apdu_build(&u, true, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 7 + 256 && !memcmp(out, "\x00\xD6\x00\x00\x00\x01\x00", 7) && !memcmp(out + 7, data, 256));
	u.lc = 3;
	u.le = 256;
	CHECK_RC(phr_apdu_build(&u, false, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 9 && out[4] == 3 && out[8] == 0);
	CHECK_RC(phr_apdu_build(&u, true, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 12 && !memcmp(out + 4, "\x00\x00\x03", 3) && !memcmp(out + 10, "\x01\x00", 2));
	CHECK_RC(phr_apdu_build(&u, true, out, 11, &n), PHR_E_BUFFER);
	/* Offsets: B0 up to 32767, B1 with DO 54 beyond. */
	CHECK_RC(phr_apdu_read_binary(32767, 10, false, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 5 && !memcmp(out, "\x00\xB0\x7F\xFF\x0A", 5));
	CHECK_RC(phr_apdu_read_binary(32768, 10, false, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 11 && !memcmp(out, "\x00\xB1\x00\x00\x05\x54\x03\x00\x80\x00\x0C", 11));
	CHECK_RC(phr_apdu_read_binary(40000, 254, false, out, sizeof(out), &n), PHR_E_ARG);
	CHECK_RC(phr_apdu_update_binary(70000, data, 200, false, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 5 + 8 + 200 && !memcmp(out, "\x00\xD7\x00\x00\xD0\x54\x03\x01\x11\x70\x53\x81\xC8", 13));
	CHECK(!memcmp(out + 13, data, 200));
	CHECK_RC(phr_apdu_update_binary(70000, data, 300, true, out, sizeof(out), &n), PHR_OK);
	CHECK(n == 7 + 9 + 300 && !memcmp(out + 4, "\x00\x01\x35\x54\x03\x01\x11\x70\x53\x82\x01\x2C", 12));
	CHECK_RC(phr_apdu_update_binary(0, data, 0, true, out, sizeof(out), &n), PHR_E_ARG);
	return 0;
}

static int test_status_words(void)
{
	CHECK_RC(phr_card_sw_check(0x9000, "x"), PHR_OK);
	CHECK_RC(phr_card_sw_check(0x63C2, "verify"), PHR_E_CARD_PIN);
	CHECK(strstr(phr_last_error(), "63C2") && strstr(phr_last_error(), "2 tries left"));
	CHECK(phr_card_sw_tries(0x63C2) == 2 && phr_card_sw_tries(0x6982) == -1);
	CHECK_RC(phr_card_sw_check(0x6983, "verify"), PHR_E_CARD_BLOCKED);
	CHECK_RC(phr_card_sw_check(0x6982, "read"), PHR_E_CARD_DENIED);
	CHECK_RC(phr_card_sw_check(0x6A82, "select"), PHR_E_CARD_NOT_FOUND);
	CHECK_RC(phr_card_sw_check(0x6F00, "read"), PHR_E_CARD);
	CHECK(strstr(phr_last_error(), "read: card answered 6F00"));
	/* Every status word maps to OK or a card error with a message. */
	for (unsigned w = 0; w <= 0xFFFF; w++) {
		int rc = phr_card_sw_check((uint16_t)w, "sw");
		CHECK((w == 0x9000) == (rc == PHR_OK));
		CHECK(rc == PHR_OK || (rc <= PHR_E_CARD && rc >= -99 && phr_last_error()[0]));
	}
	struct phr_card_resp r;
	CHECK_RC(phr_card_parse_resp((const uint8_t *)"\x90", 1, &r), PHR_E_CARD_TRANSPORT);
	CHECK_RC(phr_card_parse_resp((const uint8_t *)"\x01\x90\x00", 3, &r), PHR_OK);
	CHECK(r.len == 1 && r.sw == 0x9000);
	return 0;
}

static int test_fcp(void)
{
	struct phr_card_fcp f;
	const uint8_t ok[] = { 0x62, 0x0E, 0x82, 0x01, 0x01, 0x83, 0x02, 0xC0, 0x01, 0x80, 0x03, 0x01, 0x00, 0x08,
			       0x8A, 0x01 };
	CHECK_RC(phr_card_parse_fcp(ok, sizeof(ok), &f), PHR_E_CARD_RESPONSE); /* 8A truncated */
	CHECK(strstr(phr_last_error(), "FCP"));
	const uint8_t ok2[] = { 0x62, 0x10, 0x82, 0x01, 0x01, 0x83, 0x02, 0xC0, 0x01, 0x80, 0x03, 0x01, 0x00, 0x08,
				0x8A, 0x01, 0x05 , 0x00};
	CHECK_RC(phr_card_parse_fcp(ok2, sizeof(ok2) - 1, &f), PHR_E_CARD_RESPONSE); /* says 16, has 15 */
	const uint8_t good[] = { 0x62, 0x0E, 0x82, 0x01, 0x01, 0x83, 0x02, 0xC0, 0x01, 0x80, 0x03, 0x01, 0x00,
				 0x08, 0x8A, 0x01, 0x05 };
	CHECK_RC(phr_card_parse_fcp(good, sizeof(good), &f), PHR_E_CARD_RESPONSE); /* one byte after */
	const uint8_t g[] = { 0x62, 0x0F, 0x82, 0x01, 0x01, 0x83, 0x02, 0xC0, 0x01, 0x80, 0x03, 0x01, 0x00, 0x08,
			      0x8A, 0x01, 0x05 };
	CHECK_RC(phr_card_parse_fcp(g, sizeof(g), &f), PHR_OK);
	CHECK(f.has_size && f.size == 0x10008 && f.has_fid && f.fid == 0xC001 && f.has_desc && f.desc == 1);
	const uint8_t bad_tag[] = { 0x6F, 0x00 };
	CHECK_RC(phr_card_parse_fcp(bad_tag, sizeof(bad_tag), &f), PHR_E_CARD_RESPONSE);
	CHECK(strstr(phr_last_error(), "expected 62"));
	const uint8_t big[] = { 0x62, 0x07, 0x80, 0x05, 1, 2, 3, 4, 5 };
	CHECK_RC(phr_card_parse_fcp(big, sizeof(big), &f), PHR_E_CARD_RESPONSE);
	CHECK(strstr(phr_last_error(), "tag 80"));
	const uint8_t twice[] = { 0x62, 0x06, 0x83, 0x02, 0, 1, 0x83, 0x02 };
	CHECK_RC(phr_card_parse_fcp(twice, sizeof(twice), &f), PHR_E_CARD_RESPONSE);
	/* Every input of up to 2 bytes fails cleanly or parses empty. */
	for (unsigned v = 0; v < 65536; v++) {
		uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
		for (size_t n = 0; n <= 2; n++) {
			int rc = phr_card_parse_fcp(b, n, &f);
			CHECK(rc == PHR_OK || (rc == PHR_E_CARD_RESPONSE && phr_last_error()[0]));
		}
	}
	return 0;
}

static int test_status_and_slot_codecs(void)
{
	uint8_t b[PHR_CARD_STATUS_SIZE], slot[64];
	struct phr_card_status s = { 2, 7, 1234, 0 }, t;
	CHECK_RC(phr_card_status_encode(&s, b), PHR_OK);
	s.generation = 8;
	s.active = 1;
	CHECK_RC(phr_card_status_encode(&s, b + PHR_CARD_STATUS_COPY), PHR_OK);
	CHECK_RC(phr_card_status_parse(b, sizeof(b), &t), PHR_OK);
	CHECK(t.active == 1 && t.generation == 8 && t.length == 1234 && t.copy == 1);
	b[PHR_CARD_STATUS_COPY + 3] ^= 1; /* the newer copy torn: the older wins */
	CHECK_RC(phr_card_status_parse(b, sizeof(b), &t), PHR_OK);
	CHECK(t.active == 2 && t.generation == 7 && t.copy == 0);
	b[1] ^= 1;
	CHECK_RC(phr_card_status_parse(b, sizeof(b), &t), PHR_E_CARD_RESPONSE);
	CHECK(strstr(phr_last_error(), "copy 0: CRC mismatch; copy 1: CRC mismatch"));
	CHECK_RC(phr_card_status_parse(b, 27, &t), PHR_E_CARD_RESPONSE);
	struct phr_card_status empty = { 0, 0, 0, 0 };
	CHECK_RC(phr_card_status_encode(&empty, b), PHR_OK); /* docs/CARD.md, formatted status EF */
	CHECK(!memcmp(b, "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0C\x48\x03\x48", 14));
	struct phr_card_status bad = { 0, 1, 5, 0 };
	CHECK_RC(phr_card_status_encode(&bad, b), PHR_E_ARG);

	const uint8_t *c;
	size_t n, len;
	CHECK_RC(phr_card_slot_encode((const uint8_t *)"hello", 5, slot, sizeof(slot), &n), PHR_OK);
	CHECK(n == 13 && !memcmp(slot, "\x00\x00\x00\x05hello", 9));
	CHECK_RC(phr_card_slot_parse(slot, n, 5, &c, &len), PHR_OK);
	CHECK(len == 5 && !memcmp(c, "hello", 5));
	CHECK_RC(phr_card_slot_parse(slot, n, 6, &c, &len), PHR_E_CARD_RESPONSE);
	CHECK(strstr(phr_last_error(), "status EF says 6") && c == NULL && len == 0);
	CHECK_RC(phr_card_slot_parse(slot, n - 1, 0, &c, &len), PHR_E_CARD_RESPONSE);
	slot[6] ^= 0x40;
	CHECK_RC(phr_card_slot_parse(slot, n, 5, &c, &len), PHR_E_CARD_TORN);
	CHECK(strstr(phr_last_error(), "CRC-32"));
	memcpy(slot, "\x00\x01\x00\x01", 4);
	CHECK_RC(phr_card_slot_parse(slot, n, 0, &c, &len), PHR_E_CARD_RESPONSE);
	CHECK(strstr(phr_last_error(), "length 65537"));
	CHECK_RC(phr_card_slot_encode(slot, PHR_MAX_CONTAINER + 1, slot, sizeof(slot), &n), PHR_E_LIMIT);
	CHECK(phr_card_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);
	const uint8_t *d;
	CHECK_RC(phr_card_unwrap_53((const uint8_t *)"\x53\x02\xAA\xBB", 4, 2, &d), PHR_OK);
	CHECK(d[0] == 0xAA);
	CHECK_RC(phr_card_unwrap_53((const uint8_t *)"\x53\x02\xAA\xBB", 4, 3, &d), PHR_E_CARD_RESPONSE);
	CHECK_RC(phr_card_unwrap_53((const uint8_t *)"\x54\x02\xAA\xBB", 4, 2, &d), PHR_E_CARD_RESPONSE);
	return 0;
}

static int round_trips(bool ext)
{
	static const size_t sizes[] = { 1, 100, 247, 255, 256, 300, 4096, 32759, 32760, 40000, 65525, 65526, 65527,
					65528, 65529, PHR_MAX_CONTAINER - 1, PHR_MAX_CONTAINER };
	struct card_model *m = new_model(ext);
	uint8_t *w = malloc(PHR_MAX_CONTAINER), *r = malloc(PHR_MAX_CONTAINER);
	struct phr_card *c;
	size_t len;
	CHECK(m && w && r);
	CHECK((c = session(m)) != NULL);
	CHECK(phr_card_extended(c) == ext);
	CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_E_CARD_EMPTY);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill(w, sizes[i], (uint32_t)i + (ext ? 100 : 0));
		CHECK_RC(phr_card_write(c, w, sizes[i]), PHR_OK);
		unsigned long before = phr_card_apdus(c);
		memset(r, 0, PHR_MAX_CONTAINER);
		CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_OK);
		CHECK(len == sizes[i] && !memcmp(w, r, len));
		/* With extended lengths: the status EF and the slot by SFI, one
		 * READ BINARY each while the slot fits one response. */
		if (ext)
			CHECK(phr_card_apdus(c) - before == (sizes[i] + 8 <= PHR_APDU_EXT_MAX_RESP - 2 ? 2u : 3u));
		/* A fresh session sees the same record. */
		card_model_power_cycle(m);
		struct phr_card *c2 = session(m);
		CHECK(c2 != NULL);
		CHECK_RC(phr_card_read(c2, r, PHR_MAX_CONTAINER, &len), PHR_OK);
		CHECK(len == sizes[i] && !memcmp(w, r, len));
		phr_card_destroy(c);
		c = c2;
	}
	CHECK_RC(phr_card_read(c, r, 10, &len), PHR_E_BUFFER);
	CHECK_RC(phr_card_format(c), PHR_OK);
	CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_E_CARD_EMPTY);
	phr_card_destroy(c);
	free(m);
	free(w);
	free(r);
	return 0;
}

static int test_round_trip_extended(void)
{
	return round_trips(true);
}

static int test_round_trip_short(void)
{
	return round_trips(false);
}

static int test_forced_modes(void)
{
	struct card_model *m = new_model(false);
	struct phr_card *c = NULL;
	CHECK(m);
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_EXTENDED, &c), PHR_OK);
	CHECK_RC(phr_card_open(c), PHR_E_CARD);
	CHECK(strstr(phr_last_error(), "6700"));
	phr_card_destroy(c);
	m->ext = true;
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_SHORT, &c), PHR_OK);
	CHECK_RC(phr_card_open(c), PHR_OK);
	CHECK(!phr_card_extended(c));
	phr_card_destroy(c);
	CHECK_RC(phr_card_create(NULL, m, PHR_CARD_AUTO, &c), PHR_E_ARG);
	free(m);
	return 0;
}

/* Cut the card after every APDU count of one write in turn: afterwards it
 * reads back exactly the old container or exactly the new one. */
static int tearing(bool ext, size_t old_len, size_t new_len)
{
	struct card_model *m = new_model(ext);
	uint8_t *oldc = malloc(old_len), *newc = malloc(new_len), *r = malloc(PHR_MAX_CONTAINER);
	size_t len;
	int saw_old = 0, saw_new = 0;
	CHECK(m && oldc && newc && r);
	fill(oldc, old_len, 7);
	fill(newc, new_len, 8);
	for (long k = 0;; k++) {
		struct phr_card *c;
		CHECK(card_model_init(m, ext, PIN, PUK) == 0);
		CHECK((c = session(m)) != NULL);
		/* Several generations first, so both status copies are in use. */
		for (int g = 0; g < 2 + (int)(k % 2); g++)
			CHECK_RC(phr_card_write(c, oldc, old_len), PHR_OK);
		m->cut_after = k;
		int rc = phr_card_write(c, newc, new_len);
		phr_card_destroy(c);
		bool done = rc == PHR_OK;
		if (!done)
			CHECK(rc == PHR_E_CARD_REMOVED && strstr(phr_last_error(), "cut"));
		card_model_power_cycle(m);
		CHECK((c = session(m)) != NULL);
		CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_OK);
		if (len == new_len && !memcmp(r, newc, len)) {
			saw_new++;
		} else {
			CHECK(len == old_len && !memcmp(r, oldc, len));
			CHECK(!done);
			saw_old++;
			/* The next write after a cut succeeds. */
			CHECK_RC(phr_card_write(c, newc, new_len), PHR_OK);
			CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_OK);
			CHECK(len == new_len && !memcmp(r, newc, len));
		}
		phr_card_destroy(c);
		if (done)
			break;
		CHECK(k < 2000);
	}
	CHECK(saw_old > 0 && saw_new > 0);
	printf("  tearing (%s, %zu -> %zu bytes): %d cuts left the old record, %d the new\n",
	       ext ? "extended" : "short", old_len, new_len, saw_old, saw_new);
	free(m);
	free(oldc);
	free(newc);
	free(r);
	return 0;
}

static int test_tearing_extended(void)
{
	return tearing(true, 3000, PHR_MAX_CONTAINER) || tearing(true, PHR_MAX_CONTAINER, 500);
}

static int test_tearing_short(void)
{
	return tearing(false, 700, 1500) || tearing(false, 1500, 40000);
}

/* The holder key stored with the record (docs/CARD.md, "The holder key"):
 * read back with it; absent after a write without one (an earlier block
 * does not come back); refused when the record leaves no room; not
 * readable without the PIN. */
static int test_holder_key(void)
{
	struct card_model *m = new_model(true);
	struct phr_card *c;
	uint8_t k1[PHR_CARD_KEY_LEN], k2[PHR_CARD_KEY_LEN], got[PHR_CARD_KEY_LEN], *w = malloc(PHR_MAX_CONTAINER),
		*r = malloc(PHR_MAX_CONTAINER);
	size_t len;
	bool has;
	CHECK(m && w && r);
	fill(k1, sizeof(k1), 21);
	fill(k2, sizeof(k2), 22);
	fill(w, PHR_MAX_CONTAINER, 23);
	CHECK((c = session(m)) != NULL);
	CHECK_RC(phr_card_write_key(c, w, 1000, k1), PHR_OK);
	CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_OK);
	CHECK(has && len == 1000 && !memcmp(r, w, len) && !memcmp(got, k1, sizeof(got)));
	/* phr_card_read ignores it */
	CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_OK);
	CHECK(len == 1000 && !memcmp(r, w, len));
	/* the same record again without a key, twice (both slots): no key */
	CHECK_RC(phr_card_write_key(c, w, 1000, NULL), PHR_OK);
	CHECK_RC(phr_card_write(c, w, 1000), PHR_OK);
	CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_OK);
	CHECK(!has && len == 1000);
	/* a key block of another record in the slot is not taken: write k2
	 * with record A, then record B without a key, then (the same slot as
	 * A) record A' of the same length without a key */
	CHECK_RC(phr_card_write_key(c, w, 2000, k2), PHR_OK);
	CHECK_RC(phr_card_write_key(c, w + 1, 3000, NULL), PHR_OK);
	CHECK_RC(phr_card_write_key(c, w + 2, 2000, NULL), PHR_OK);
	CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_OK);
	CHECK(!has && len == 2000 && !memcmp(r, w + 2, len));
	/* the largest container with a key, and one byte more */
	CHECK_RC(phr_card_write_key(c, w, PHR_MAX_CONTAINER - PHR_CARD_KEY_BLOCK, k2), PHR_OK);
	CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_OK);
	CHECK(has && len == PHR_MAX_CONTAINER - PHR_CARD_KEY_BLOCK && !memcmp(got, k2, sizeof(got)));
	CHECK_RC(phr_card_write_key(c, w, PHR_MAX_CONTAINER - PHR_CARD_KEY_BLOCK + 1, k2), PHR_E_LIMIT);
	CHECK_RC(phr_card_write_key(c, w, PHR_MAX_CONTAINER, NULL), PHR_OK);
	CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_OK);
	CHECK(!has && len == PHR_MAX_CONTAINER);
	CHECK_RC(phr_card_write_key(c, w, 500, k1), PHR_OK);
	phr_card_destroy(c);
	/* without the PIN, or with a wrong one: nothing */
	card_model_power_cycle(m);
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
	CHECK_RC(phr_card_open(c), PHR_OK);
	int tries;
	CHECK_RC(phr_card_verify_pin(c, "654321", &tries), PHR_E_CARD_PIN);
	memset(got, 0, sizeof(got));
	has = false;
	CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_E_CARD_DENIED);
	CHECK(!has && len == 0);
	for (size_t i = 0; i < sizeof(got); i++)
		CHECK(got[i] == 0);
	phr_card_destroy(c);
	free(m);
	free(w);
	free(r);
	return 0;
}

/* Cut after every APDU count of a write of a new record with a new key
 * over an old record with its key: the card reads the old record with the
 * old key, or the new with the new, never a mix. */
static int test_tearing_key(void)
{
	struct card_model *m = new_model(true);
	uint8_t k1[PHR_CARD_KEY_LEN], k2[PHR_CARD_KEY_LEN], got[PHR_CARD_KEY_LEN], oldc[1500], newc[1500],
		*r = malloc(PHR_MAX_CONTAINER);
	size_t len;
	bool has;
	int saw_old = 0, saw_new = 0;
	CHECK(m && r);
	fill(k1, sizeof(k1), 31);
	fill(k2, sizeof(k2), 32);
	fill(oldc, sizeof(oldc), 33);
	memcpy(newc, oldc, sizeof(newc)); /* the same record: only the key changes */
	for (long k = 0;; k++) {
		struct phr_card *c;
		CHECK(card_model_init(m, true, PIN, PUK) == 0);
		CHECK((c = session(m)) != NULL);
		for (int g = 0; g < 2 + (int)(k % 2); g++)
			CHECK_RC(phr_card_write_key(c, oldc, sizeof(oldc), k1), PHR_OK);
		m->cut_after = k;
		int rc = phr_card_write_key(c, newc, sizeof(newc), k2);
		phr_card_destroy(c);
		bool done = rc == PHR_OK;
		if (!done)
			CHECK(rc == PHR_E_CARD_REMOVED);
		card_model_power_cycle(m);
		CHECK((c = session(m)) != NULL);
		CHECK_RC(phr_card_read_key(c, r, PHR_MAX_CONTAINER, &len, got, &has), PHR_OK);
		CHECK(has && len == sizeof(oldc) && !memcmp(r, oldc, len));
		if (!memcmp(got, k2, sizeof(got))) {
			saw_new++;
		} else {
			CHECK(!memcmp(got, k1, sizeof(got)) && !done);
			saw_old++;
		}
		phr_card_destroy(c);
		if (done)
			break;
		CHECK(k < 200);
	}
	CHECK(saw_old > 0 && saw_new > 0);
	printf("  tearing with the holder key: %d cuts left the old key, %d the new\n", saw_old, saw_new);
	free(m);
	free(r);
	return 0;
}

/* The generation: one more after every write and every erase, never
 * back to 0 on a card in use; a write or an erase at 2^32-1 is refused. */
static int test_generation(void)
{
	struct card_model *m = new_model(true);
	struct phr_card *c;
	struct phr_card_status st;
	uint8_t r[16];
	size_t len;
	CHECK(m);
	CHECK((c = session(m)) != NULL);
	CHECK_RC(phr_card_state(c, &st), PHR_OK);
	CHECK(st.active == 0 && st.generation == 0);
	for (uint32_t g = 1; g <= 5; g++) {
		CHECK_RC(phr_card_write(c, (const uint8_t *)"record", 6), PHR_OK);
		CHECK(phr_card_last_state(c, &st) && st.generation == g && st.active == (g % 2 ? 1 : 2));
		card_model_power_cycle(m); /* what the card holds, not what the client remembers */
		phr_card_destroy(c);
		CHECK((c = session(m)) != NULL);
		CHECK_RC(phr_card_state(c, &st), PHR_OK);
		CHECK(st.generation == g);
	}
	CHECK_RC(phr_card_format(c), PHR_OK); /* the erase counts too */
	CHECK_RC(phr_card_state(c, &st), PHR_OK);
	CHECK(st.active == 0 && st.generation == 6 && st.length == 0);
	CHECK_RC(phr_card_read(c, r, sizeof(r), &len), PHR_E_CARD_EMPTY);
	CHECK(strstr(phr_last_error(), "generation 6"));
	CHECK_RC(phr_card_write(c, (const uint8_t *)"again", 5), PHR_OK);
	CHECK(phr_card_last_state(c, &st) && st.generation == 7);
	/* The last generation: the status EF at 2^32-2, one write left. */
	struct phr_card_status last = { 1, UINT32_MAX - 1, 5, 0 };
	CHECK_RC(phr_card_status_encode(&last, m->ef[0].data), PHR_OK);
	CHECK_RC(phr_card_status_encode(&last, m->ef[0].data + PHR_CARD_STATUS_COPY), PHR_OK);
	CHECK_RC(phr_card_write(c, (const uint8_t *)"final", 5), PHR_OK);
	CHECK(phr_card_last_state(c, &st) && st.generation == UINT32_MAX);
	CHECK_RC(phr_card_write(c, (const uint8_t *)"more", 4), PHR_E_LIMIT);
	CHECK_RC(phr_card_format(c), PHR_E_LIMIT);
	CHECK(strstr(phr_last_error(), "generation counter exhausted"));
	CHECK_RC(phr_card_read(c, r, sizeof(r), &len), PHR_OK);
	CHECK(len == 5 && !memcmp(r, "final", 5));
	phr_card_destroy(c);
	free(m);
	return 0;
}

static int test_pin_puk(void)
{
	struct card_model *m = new_model(true);
	struct phr_card *c = NULL;
	int tries;
	CHECK(m);
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
	CHECK_RC(phr_card_open(c), PHR_OK);
	CHECK_RC(phr_card_pin_tries(c, &tries), PHR_OK);
	CHECK(tries == 3);
	CHECK_RC(phr_card_verify_pin(c, "12345", &tries), PHR_E_ARG);
	CHECK_RC(phr_card_verify_pin(c, "12345a", &tries), PHR_E_ARG);
	CHECK_RC(phr_card_verify_pin(c, "000000", &tries), PHR_E_CARD_PIN);
	CHECK(tries == 2 && strstr(phr_last_error(), "2 tries left"));
	CHECK_RC(phr_card_verify_pin(c, PIN, &tries), PHR_OK); /* a good PIN resets the counter */
	CHECK_RC(phr_card_pin_tries(c, &tries), PHR_OK);
	CHECK(tries == 3);
	CHECK_RC(phr_card_verify_pin(c, "000000", &tries), PHR_E_CARD_PIN);
	CHECK(tries == 2);
	CHECK_RC(phr_card_verify_pin(c, "0000000", &tries), PHR_E_CARD_PIN);
	CHECK(tries == 1);
	CHECK_RC(phr_card_verify_pin(c, "00000000", &tries), PHR_E_CARD_PIN);
	CHECK(tries == 0);
	CHECK_RC(phr_card_verify_pin(c, PIN, &tries), PHR_E_CARD_BLOCKED);
	CHECK(tries == 0);
	CHECK_RC(phr_card_pin_tries(c, &tries), PHR_E_CARD_BLOCKED);
	uint8_t buf[16];
	size_t len;
	CHECK_RC(phr_card_read(c, buf, sizeof(buf), &len), PHR_E_CARD_DENIED);
	/* PUK: a wrong one counts down its own counter. */
	CHECK_RC(phr_card_unblock_pin(c, "11111111", "654321", &tries), PHR_E_CARD_PIN);
	CHECK(tries == 9);
	CHECK_RC(phr_card_unblock_pin(c, "1234567", "654321", &tries), PHR_E_ARG);
	CHECK_RC(phr_card_unblock_pin(c, PUK, "654321", &tries), PHR_OK);
	CHECK_RC(phr_card_pin_tries(c, &tries), PHR_OK);
	CHECK(tries == 3);
	CHECK_RC(phr_card_verify_pin(c, PIN, &tries), PHR_E_CARD_PIN);
	CHECK_RC(phr_card_verify_pin(c, "654321", &tries), PHR_OK);
	CHECK_RC(phr_card_change_pin(c, "654321", "24681357"), PHR_OK);
	CHECK_RC(phr_card_change_pin(c, "654321", "111111"), PHR_E_CARD_PIN);
	card_model_power_cycle(m);
	CHECK_RC(phr_card_open(c), PHR_OK);
	CHECK_RC(phr_card_verify_pin(c, "24681357", &tries), PHR_OK);
	/* The PUK blocks after PHR_CARD_PUK_TRIES failures, for good. */
	for (int i = 0; i < PHR_CARD_PUK_TRIES; i++)
		CHECK_RC(phr_card_unblock_pin(c, "11111111", "654321", &tries), PHR_E_CARD_PIN);
	CHECK(tries == 0);
	CHECK_RC(phr_card_unblock_pin(c, PUK, "654321", &tries), PHR_E_CARD_BLOCKED);
	phr_card_destroy(c);
	free(m);
	return 0;
}

static uint16_t raw(struct card_model *m, const struct phr_apdu *a, bool ext, uint8_t *resp, size_t *rn)
{
	uint8_t cmd[PHR_APDU_MAX];
	size_t n;
	if (phr_apdu_build(a, ext, cmd, sizeof(cmd), &n) != PHR_OK)
		return 0;
	*rn = card_model_process(m, cmd, n, resp);
	return (uint16_t)((resp[*rn - 2] << 8) | resp[*rn - 1]);
}

/* The card itself refuses, whatever the client does. */
static int test_model_access_rules(void)
{
	struct card_model *m = new_model(true);
	static uint8_t resp[PHR_APDU_RESP_MAX];
	uint8_t fid[2] = { 0xC0, 0x01 }, pin[8] = { '1', '2', '3', '4', '5', '6', 0xFF, 0xFF }, cmd[64];
	size_t rn, n;
	CHECK(m);
	struct phr_apdu sel_ef = { 0, 0xA4, 0x02, 0x0C, fid, 2, 0 };
	CHECK(raw(m, &sel_ef, false, resp, &rn) == 0x6A82); /* no application selected */
	struct phr_apdu sel = { 0, 0xA4, 0x04, 0x0C, (const uint8_t *)PHR_CARD_AID, PHR_CARD_AID_LEN, 0 };
	CHECK(raw(m, &sel, false, resp, &rn) == 0x9000);
	struct phr_apdu rb = { 0, 0xB0, 0, 0, NULL, 0, 16 };
	CHECK(raw(m, &rb, false, resp, &rn) == 0x6986); /* no current EF */
	for (int f = 0; f < 3; f++) {
		fid[1] = (uint8_t)f;
		CHECK(raw(m, &sel_ef, false, resp, &rn) == 0x9000);
		CHECK(raw(m, &rb, false, resp, &rn) == 0x6982 && rn == 2);
		CHECK(raw(m, &rb, true, resp, &rn) == 0x6982);
		struct phr_apdu ub = { 0, 0xD6, 0, 0, pin, 8, 0 };
		CHECK(raw(m, &ub, false, resp, &rn) == 0x6982);
		CHECK_RC(phr_apdu_read_binary(40000, 10, false, cmd, sizeof(cmd), &n), PHR_OK);
		rn = card_model_process(m, cmd, n, resp);
		CHECK(rn == 2 && resp[0] == 0x69 && resp[1] == 0x82);
		CHECK_RC(phr_apdu_update_binary(40000, pin, 8, false, cmd, sizeof(cmd), &n), PHR_OK);
		rn = card_model_process(m, cmd, n, resp);
		CHECK(rn == 2 && resp[0] == 0x69 && resp[1] == 0x82);
	}
	CHECK(!memcmp(card_model_ef(m, PHR_CARD_FID_SLOT_A)->data, "\0\0\0\0", 4));
	struct phr_apdu vf = { 0, 0x20, 0, PHR_CARD_PIN_REF, pin, 8, 0 };
	CHECK(raw(m, &vf, false, resp, &rn) == 0x9000);
	CHECK(raw(m, &rb, false, resp, &rn) == 0x9000 && rn == 18);
	/* Re-selecting the application drops the PIN. */
	CHECK(raw(m, &sel, false, resp, &rn) == 0x9000);
	CHECK(raw(m, &sel_ef, false, resp, &rn) == 0x9000);
	CHECK(raw(m, &rb, false, resp, &rn) == 0x6982);
	/* Without extended lengths the card answers 6700 to a 3-byte Le. */
	m->ext = false;
	CHECK(raw(m, &rb, true, resp, &rn) == 0x6700);
	CHECK(card_model_process(m, (const uint8_t *)"\x00\xB0", 2, resp) == 2 && resp[0] == 0x67);
	CHECK(card_model_process(m, (const uint8_t *)"\x80\xB0\x00\x00\x10", 5, resp) == 2 && resp[0] == 0x6E);
	CHECK(card_model_process(m, (const uint8_t *)"\x00\xCA\x00\x00", 4, resp) == 2 && resp[0] == 0x6D);
	/* The client reports the refusal. */
	struct phr_card *c = NULL;
	uint8_t buf[8];
	size_t len;
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
	CHECK_RC(phr_card_open(c), PHR_OK);
	CHECK_RC(phr_card_read(c, buf, sizeof(buf), &len), PHR_E_CARD_DENIED);
	CHECK(strstr(phr_last_error(), "6982"));
	CHECK_RC(phr_card_write(c, buf, sizeof(buf)), PHR_E_CARD_DENIED);
	phr_card_destroy(c);
	free(m);
	return 0;
}

/* A transport that damages one chosen response. */
struct evil {
	struct card_model *m;
	unsigned long at; /* APDU number to damage (1-based) */
	int how;          /* 0 short response, 1 flip a data byte, 2 drop a data byte, 3 bogus SW, 4 1 byte */
	unsigned long count;
};

static int evil_transmit(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn)
{
	struct evil *e = ctx;
	int rc = card_model_transmit(e->m, apdu, n, resp, cap, rn);
	if (rc || ++e->count != e->at)
		return rc;
	switch (e->how) {
	case 0: *rn = 0; break;
	case 1: if (*rn > 2) resp[(*rn - 2) / 2] ^= 0x10; break;
	case 2: if (*rn > 2) { memmove(resp + *rn - 3, resp + *rn - 2, 2); (*rn)--; } break;
	case 3: resp[*rn - 2] = 0x6F; resp[*rn - 1] = 0x00; break;
	default: *rn = 1; break;
	}
	return 0;
}

static int test_malformed_responses(void)
{
	struct card_model *m = new_model(true);
	uint8_t *w = malloc(5000), *r = malloc(PHR_MAX_CONTAINER);
	size_t len;
	CHECK(m && w && r);
	fill(w, 5000, 3);
	{
		struct phr_card *c = session(m);
		CHECK(c != NULL);
		CHECK_RC(phr_card_write(c, w, 5000), PHR_OK);
		phr_card_destroy(c);
	}
	/* A read is: select AID, probe, verify, read status, read slot (both
	 * by SFI). Damage each response in each way. */
	for (unsigned long at = 1; at <= 5; at++) {
		for (int how = 0; how <= 4; how++) {
			struct evil e = { m, at, how, 0 };
			struct phr_card *c = NULL;
			int rc;
			card_model_power_cycle(m);
			CHECK_RC(phr_card_create(evil_transmit, &e, PHR_CARD_AUTO, &c), PHR_OK);
			phr_clear_error();
			if ((rc = phr_card_open(c)) == PHR_OK && (rc = phr_card_verify_pin(c, PIN, NULL)) == PHR_OK)
				rc = phr_card_read(c, r, PHR_MAX_CONTAINER, &len);
			phr_card_destroy(c);
			if (rc == PHR_OK) {
				/* Only damage that changes nothing the client uses may
				 * pass, and then the record is intact. Every damage to
				 * the status EF (4) and slot (5) reads is caught. */
				CHECK(len == 5000 && !memcmp(r, w, 5000));
				bool no_data = at == 1 || at == 3;
				CHECK((no_data && (how == 1 || how == 2)) ||
				      (at == 2 && how == 3) /* probe refused: short APDUs */ ||
				      (at == 2 && how == 1) /* FCP tag 82 turned into 92: an unknown tag, skipped */);
				continue;
			}
			CHECK(rc <= PHR_E_CARD && rc >= PHR_E_CARD_EMPTY);
			CHECK(phr_last_error()[0] != '\0');
		}
	}
	/* A flipped byte in the slot is a CRC failure. */
	card_model_ef(m, PHR_CARD_FID_SLOT_A)->data[100] ^= 1;
	card_model_power_cycle(m);
	{
		struct phr_card *c = session(m);
		CHECK(c != NULL);
		CHECK_RC(phr_card_read(c, r, PHR_MAX_CONTAINER, &len), PHR_E_CARD_TORN);
		CHECK(strstr(phr_last_error(), "slot A") && strstr(phr_last_error(), "CRC-32"));
		phr_card_destroy(c);
	}
	free(m);
	free(w);
	free(r);
	return 0;
}

/* The card model is the vpcd emulator's card (tests/card/vicc.c): hostile command
 * APDUs of every shape get a well-formed answer (ASan checks the reads). */
static int test_model_random_commands(void)
{
	static const uint8_t ins[] = { 0xA4, 0xB0, 0xB1, 0xD6, 0xD7, 0x20, 0x24, 0x2C, 0xE0, 0xCA };
	static uint8_t resp[PHR_APDU_RESP_MAX];
	struct card_model *m = new_model(true);
	uint8_t cmd[48];
	uint32_t x = 12345;
	CHECK(m);
	for (int i = 0; i < 200000; i++) {
		size_t n;
		if (i % 1000 == 0) { /* now and then a verified session, so reads and writes run */
			CHECK(card_model_init(m, i % 2000 == 0, PIN, PUK) == 0);
			m->in_app = m->pin_ok = true;
			m->cur = (i / 1000) % 3;
		}
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = x % sizeof(cmd);
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			cmd[k] = (uint8_t)(x >> 8);
		}
		if (n > 1) {
			cmd[0] = 0;
			cmd[1] = ins[x % sizeof(ins)];
		}
		if (n > 5 && (x & 0x300) == 0) { /* a consistent short Lc */
			cmd[4] = (uint8_t)(n - 5);
		}
		size_t rn = card_model_process(m, cmd, n, resp);
		CHECK(rn >= 2 && rn <= PHR_APDU_RESP_MAX);
	}
	free(m);
	return 0;
}

/* phr_card_personalise() on a blank card: the application, EFs, PIN and
 * PUK as given, an empty record; a second call finds it complete. */
static int test_personalise(void)
{
	struct card_model *m = malloc(sizeof(*m));
	struct phr_card *c = NULL;
	struct phr_card_perso p;
	struct phr_card_status st;
	uint8_t buf[64];
	size_t len;
	int tries;
	CHECK(m);
	card_model_init_blank(m, true);
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
	CHECK_RC(phr_card_open(c), PHR_E_CARD_NO_APP);
	CHECK(strstr(phr_last_error(), "6A82"));
	CHECK_RC(phr_card_personalise(c, "12345", PUK, &p), PHR_E_ARG); /* checked before any APDU */
	CHECK_RC(phr_card_personalise(c, PIN, "1234567", &p), PHR_E_ARG);
	CHECK(!m->app);
	CHECK_RC(phr_card_personalise(c, PIN, PUK, &p), PHR_OK);
	CHECK(p.created_app && p.created_efs == 3 && p.set_pin && p.set_puk && p.wrote_status);
	CHECK(phr_card_extended(c));
	CHECK(phr_card_last_state(c, &st) && st.active == 0 && st.generation == 0);
	CHECK_RC(phr_card_read(c, buf, sizeof(buf), &len), PHR_E_CARD_EMPTY);
	CHECK_RC(phr_card_write(c, (const uint8_t *)"record", 6), PHR_OK);
	/* The EFs as the profile says: sizes, SFIs, PIN for READ and UPDATE. */
	struct card_ef *e = card_model_ef(m, PHR_CARD_FID_SLOT_B);
	CHECK(e && e->size == PHR_CARD_SLOT_SIZE && e->sfi == PHR_CARD_SFI_SLOT_B && e->read_sc == CARD_SC_PIN &&
	      e->update_sc == CARD_SC_PIN);
	e = card_model_ef(m, PHR_CARD_FID_STATUS);
	CHECK(e && e->size == PHR_CARD_STATUS_SIZE && e->sfi == PHR_CARD_SFI_STATUS);
	CHECK(m->aid_len == PHR_CARD_AID_LEN && !memcmp(m->aid, PHR_CARD_AID, PHR_CARD_AID_LEN));
	/* Complete: refused without a VERIFY, so a wrong PIN costs no try. */
	card_model_power_cycle(m);
	CHECK_RC(phr_card_personalise(c, "999999", "11111111", &p), PHR_E_CARD_EXISTS);
	CHECK(!p.created_app && !p.created_efs && !p.set_pin && !p.set_puk);
	CHECK(m->pin_tries == PHR_CARD_PIN_TRIES);
	CHECK_RC(phr_card_open(c), PHR_OK);
	CHECK_RC(phr_card_pin_tries(c, &tries), PHR_OK);
	CHECK(tries == PHR_CARD_PIN_TRIES);
	CHECK_RC(phr_card_verify_pin(c, PIN, NULL), PHR_OK);
	CHECK_RC(phr_card_read(c, buf, sizeof(buf), &len), PHR_OK);
	CHECK(len == 6 && !memcmp(buf, "record", 6));
	/* Short APDUs only: the same. */
	phr_card_destroy(c);
	card_model_init_blank(m, false);
	CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
	CHECK_RC(phr_card_personalise(c, PIN, PUK, &p), PHR_OK);
	CHECK(!phr_card_extended(c));
	CHECK_RC(phr_card_write(c, (const uint8_t *)"record", 6), PHR_OK);
	phr_card_destroy(c);
	free(m);
	return 0;
}

/* A personalisation cut after every APDU count in turn is finished by the
 * next call, which keeps what the card holds; the card then works with the
 * PIN and PUK given. */
static int test_personalise_cut(void)
{
	struct card_model *m = malloc(sizeof(*m));
	int resumed = 0;
	CHECK(m);
	for (long k = 0;; k++) {
		struct phr_card *c = NULL;
		struct phr_card_perso p;
		uint8_t buf[16];
		size_t len;
		int tries;
		card_model_init_blank(m, k % 2 == 0);
		m->cut_after = k;
		CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
		int rc = phr_card_personalise(c, PIN, PUK, &p);
		phr_card_destroy(c);
		if (rc == PHR_OK)
			break;
		CHECK(rc == PHR_E_CARD_REMOVED);
		card_model_power_cycle(m);
		CHECK_RC(phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c), PHR_OK);
		bool sent_puk = p.sent_puk;
		rc = phr_card_personalise(c, PIN, PUK, &p);
		/* Cut in the last command (set PUK), which the card took: complete. */
		if (rc == PHR_E_CARD_EXISTS) {
			CHECK(sent_puk);
			CHECK_RC(phr_card_open(c), PHR_OK);
			CHECK_RC(phr_card_verify_pin(c, PIN, NULL), PHR_OK);
		} else {
			CHECK_RC(rc, PHR_OK);
			CHECK(p.set_puk && (!p.created_app || k == 0));
		}
		resumed++;
		CHECK_RC(phr_card_write(c, (const uint8_t *)"abc", 3), PHR_OK);
		card_model_power_cycle(m);
		CHECK_RC(phr_card_open(c), PHR_OK);
		CHECK_RC(phr_card_verify_pin(c, "000000", &tries), PHR_E_CARD_PIN);
		CHECK(tries == 2);
		CHECK_RC(phr_card_unblock_pin(c, PUK, PIN, &tries), PHR_OK);
		CHECK_RC(phr_card_verify_pin(c, PIN, NULL), PHR_OK);
		CHECK_RC(phr_card_read(c, buf, sizeof(buf), &len), PHR_OK);
		CHECK(len == 3 && !memcmp(buf, "abc", 3));
		phr_card_destroy(c);
		CHECK(k < 100);
	}
	CHECK(resumed >= 10);
	printf("  personalisation cut after 0..%d APDUs: each resumed\n", resumed - 1);
	free(m);
	return 0;
}

/* Personalisation rules the card itself enforces. */
static int test_model_personalisation_rules(void)
{
	struct card_model *m = malloc(sizeof(*m));
	static uint8_t resp[PHR_APDU_RESP_MAX];
	size_t rn;
	CHECK(m);
	card_model_init_blank(m, true);
	const uint8_t df[] = { 0x62, 0x0A, 0x82, 0x01, 0x38, 0x84, 0x05, 0xF0, 0x70, 0x68, 0x72, 0x01 };
	const uint8_t ef[] = { 0x62, 0x14, 0x80, 0x03, 0x00, 0x00, 0x10, 0x82, 0x01, 0x01, 0x83, 0x02, 0xC0, 0x07,
			       0x88, 0x01, 0x38, 0x8C, 0x03, 0x03, 0x10, 0x00 };
	struct phr_apdu cr_ef = { 0, 0xE0, 0, 0, ef, sizeof(ef), 0 };
	struct phr_apdu cr_df = { 0, 0xE0, 0, 0, df, sizeof(df), 0 };
	struct phr_apdu vf0 = { 0, 0x20, 0, PHR_CARD_PIN_REF, NULL, 0, 0 };
	CHECK(raw(m, &cr_ef, false, resp, &rn) == 0x6985); /* no EF outside the application */
	CHECK(raw(m, &vf0, false, resp, &rn) == 0x6A88);   /* no PIN outside it either */
	CHECK(raw(m, &cr_df, false, resp, &rn) == 0x9000 && m->in_app);
	CHECK(raw(m, &vf0, false, resp, &rn) == 0x6984);   /* not set yet */
	CHECK(raw(m, &cr_ef, false, resp, &rn) == 0x9000);
	CHECK(raw(m, &cr_ef, false, resp, &rn) == 0x6A89); /* exists */
	struct card_ef *e = card_model_ef(m, 0xC007);
	CHECK(e && e->size == 16 && e->sfi == 7 && e->read_sc == CARD_SC_ALWAYS && e->update_sc == CARD_SC_PIN);
	/* Read always, update with the PIN: by SFI, no SELECT needed. */
	struct phr_apdu rd = { 0, 0xB0, 0x87, 0, NULL, 0, 16 };
	struct phr_apdu up = { 0, 0xD6, 0x87, 0, (const uint8_t *)"xy", 2, 0 };
	CHECK(raw(m, &rd, false, resp, &rn) == 0x9000 && rn == 18);
	CHECK(raw(m, &up, false, resp, &rn) == 0x6982);
	/* Malformed templates. */
	uint8_t bad[sizeof(ef)];
	struct phr_apdu cr_bad = { 0, 0xE0, 0, 0, bad, sizeof(bad), 0 };
	memcpy(bad, ef, sizeof(ef));
	bad[1] = 0x13; /* template length one short */
	CHECK(raw(m, &cr_bad, false, resp, &rn) == 0x6A80);
	memcpy(bad, ef, sizeof(ef));
	bad[18] = 0x04; /* 8C with L=4 */
	CHECK(raw(m, &cr_bad, false, resp, &rn) == 0x6A80);
	memcpy(bad, ef, sizeof(ef));
	bad[21] = 0x20; /* SC the card does not know */
	CHECK(raw(m, &cr_bad, false, resp, &rn) == 0x6A80);
	memcpy(bad, ef, sizeof(ef));
	bad[4] = 0x02; /* 128 KiB */
	bad[13] = 0x08;
	bad[16] = 0x40;
	CHECK(raw(m, &cr_bad, false, resp, &rn) == 0x6A84);
	/* The PIN once, by P1=01; then neither P1=01 nor new EFs. */
	uint8_t pin[8] = { '1', '2', '3', '4', '5', '6', 0xFF, 0xFF }, puk[8] = { '1', '2', '3', '4', '5', '6', '7', '8' };
	struct phr_apdu set_pin = { 0, 0x24, 0x01, PHR_CARD_PIN_REF, pin, 8, 0 };
	struct phr_apdu set_puk = { 0, 0x24, 0x01, PHR_CARD_PUK_REF, puk, 8, 0 };
	struct phr_apdu short_puk = { 0, 0x24, 0x01, PHR_CARD_PUK_REF, pin, 8, 0 };
	CHECK(raw(m, &short_puk, false, resp, &rn) == 0x6A80); /* a PUK has 8 digits */
	CHECK(raw(m, &set_pin, false, resp, &rn) == 0x9000);
	CHECK(raw(m, &set_pin, false, resp, &rn) == 0x6985);
	CHECK(raw(m, &vf0, false, resp, &rn) == 0x63C3);
	memcpy(bad, ef, sizeof(ef));
	bad[13] = 0x08;
	bad[16] = 0x40;
	CHECK(raw(m, &cr_bad, false, resp, &rn) == 0x6985);
	struct phr_apdu vpuk = { 0, 0x20, 0, PHR_CARD_PUK_REF, NULL, 0, 0 };
	CHECK(raw(m, &vpuk, false, resp, &rn) == 0x6984);
	CHECK(raw(m, &set_puk, false, resp, &rn) == 0x9000);
	CHECK(raw(m, &vpuk, false, resp, &rn) == 0x63CA);
	struct phr_apdu vpuk_data = { 0, 0x20, 0, PHR_CARD_PUK_REF, puk, 8, 0 };
	CHECK(raw(m, &vpuk_data, false, resp, &rn) == 0x6985); /* the PUK is not a second PIN */
	CHECK(raw(m, &cr_df, false, resp, &rn) == 0x6985);     /* no DF inside the application */
	struct phr_apdu mf = { 0, 0xA4, 0x00, 0x0C, (const uint8_t *)"\x3F\x00", 2, 0 };
	CHECK(raw(m, &mf, false, resp, &rn) == 0x9000 && !m->in_app);
	CHECK(raw(m, &cr_df, false, resp, &rn) == 0x6A89);
	free(m);
	return 0;
}

/* The emulator's state bytes: a round trip, and every damage refused. */
static int test_model_state(void)
{
	struct card_model *m = new_model(true), *t = malloc(sizeof(*t));
	uint8_t *b = malloc(CARD_MODEL_STATE_MAX), *b2 = malloc(CARD_MODEL_STATE_MAX);
	size_t n, n2;
	CHECK(m && t && b && b2);
	{
		struct phr_card *c = session(m);
		uint8_t w[3000];
		fill(w, sizeof(w), 9);
		CHECK(c != NULL);
		CHECK_RC(phr_card_write(c, w, sizeof(w)), PHR_OK);
		CHECK_RC(phr_card_verify_pin(c, "000000", NULL), PHR_E_CARD_PIN);
		phr_card_destroy(c);
	}
	CHECK_RC(card_model_save(m, b, CARD_MODEL_STATE_MAX, &n), PHR_OK);
	CHECK(n == CARD_MODEL_STATE_HEADER + 3 * CARD_MODEL_STATE_EF_HEADER + PHR_CARD_STATUS_SIZE +
			   2 * PHR_CARD_SLOT_SIZE + 4);
	CHECK_RC(card_model_save(m, b2, n - 1, &n2), PHR_E_BUFFER);
	card_model_init_blank(t, true);
	CHECK_RC(card_model_load(t, b, n), PHR_OK);
	CHECK(t->pin_tries == 2 && t->app && t->n_efs == 3 && !t->in_app && !t->pin_ok && t->cur == -1);
	CHECK_RC(card_model_save(t, b2, CARD_MODEL_STATE_MAX, &n2), PHR_OK);
	CHECK(n2 == n && !memcmp(b, b2, n));
	/* A blank card too. */
	card_model_init_blank(t, false);
	CHECK_RC(card_model_save(t, b2, CARD_MODEL_STATE_MAX, &n2), PHR_OK);
	CHECK(n2 == CARD_MODEL_STATE_HEADER + 4);
	CHECK_RC(card_model_load(m, b2, n2), PHR_OK);
	CHECK(!m->app && m->n_efs == 0);
	/* Truncated, a flipped byte, and fields out of range with a good CRC. */
	CHECK_RC(card_model_load(t, b, n - 1), PHR_E_CHECKSUM);
	CHECK_RC(card_model_load(t, b, 10), PHR_E_MALFORMED);
	b[100] ^= 1;
	CHECK_RC(card_model_load(t, b, n), PHR_E_CHECKSUM);
	b[100] ^= 1;
	static const struct {
		size_t at;
		uint8_t v;
		int rc;
	} bad[] = { { 0, 'X', PHR_E_MALFORMED },  { 8, 0x0F, PHR_E_MALFORMED }, { 9, 4, PHR_E_MALFORMED },
		    { 11, 'A', PHR_E_MALFORMED }, { 27, 17, PHR_E_MALFORMED }, { 44, 5, PHR_E_LIMIT },
		    { 44, 2, PHR_E_MALFORMED },   { 48, 0x20, PHR_E_MALFORMED }, { 50, 0x02, PHR_E_LIMIT } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t keep = b[bad[i].at];
		b[bad[i].at] = bad[i].v;
		uint32_t crc = phr_card_crc32(b, n - 4);
		uint8_t old[4];
		memcpy(old, b + n - 4, 4);
		b[n - 4] = (uint8_t)(crc >> 24), b[n - 3] = (uint8_t)(crc >> 16), b[n - 2] = (uint8_t)(crc >> 8),
		b[n - 1] = (uint8_t)crc;
		CHECK_RC(card_model_load(t, b, n), bad[i].rc);
		CHECK(phr_last_error()[0] != '\0');
		b[bad[i].at] = keep;
		memcpy(b + n - 4, old, 4);
	}
	CHECK_RC(card_model_load(t, b, CARD_MODEL_STATE_MAX + 1), PHR_E_LIMIT);
	free(m);
	free(t);
	free(b);
	free(b2);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "apdu_encodings", test_apdu_encodings },
		{ "status_words", test_status_words },
		{ "fcp", test_fcp },
		{ "status_and_slot_codecs", test_status_and_slot_codecs },
		{ "round_trip_extended", test_round_trip_extended },
		{ "round_trip_short", test_round_trip_short },
		{ "forced_modes", test_forced_modes },
		{ "tearing_extended", test_tearing_extended },
		{ "tearing_short", test_tearing_short },
		{ "generation", test_generation },
		{ "holder_key", test_holder_key },
		{ "tearing_key", test_tearing_key },
		{ "pin_puk", test_pin_puk },
		{ "model_access_rules", test_model_access_rules },
		{ "malformed_responses", test_malformed_responses },
		{ "model_random_commands", test_model_random_commands },
		{ "personalise", test_personalise },
		{ "personalise_cut", test_personalise_cut },
		{ "model_personalisation_rules", test_model_personalisation_rules },
		{ "model_state", test_model_state },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
