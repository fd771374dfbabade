/* The record model: every example round-trips JSON -> CBOR -> JSON, the
 * encoding is unique, and every kind of bad field is named in the error. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/json.h"
#include "phr/schema.h"
#include "testlib.h"

/* JSON equality with numbers compared by value (36 == 36.0). */
static int json_same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return fabs(json_number_value(a) - json_number_value(b)) < 1e-9;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) if (!json_object_get(b, k) || !json_same(v, json_object_get(b, k))) return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

static int roundtrip_file(const char *path)
{
	size_t len, clen, clen2;
	uint8_t *text = t_read(path, &len), *cbor = NULL, *cbor2 = NULL;
	json_t *in = NULL, *out = NULL;
	int bad = 1;
	if (!text)
		return 1;
	in = json_loadb((char *)text, len, 0, NULL);
	if (!in || phr_entry_parse_text((char *)text, len, &cbor, &clen) != PHR_OK) {
		fprintf(stderr, "  %s: %s\n", path, phr_last_error());
		goto out;
	}
	if (phr_entry_decode_json(cbor, clen, &out) != PHR_OK) {
		fprintf(stderr, "  %s: decode: %s\n", path, phr_last_error());
		goto out;
	}
	if (!json_same(in, out)) {
		char *s = phr_json_dump(out);
		fprintf(stderr, "  %s: JSON differs after the round trip:\n%s\n", path, s);
		free(s);
		goto out;
	}
	if (phr_entry_encode_json(out, &cbor2, &clen2) != PHR_OK || clen2 != clen || memcmp(cbor, cbor2, clen)) {
		fprintf(stderr, "  %s: re-encoding gives other bytes\n", path);
		goto out;
	}
	printf("  %-50s %4zu bytes JSON -> %4zu bytes CBOR\n", path, len, clen);
	bad = 0;
out:
	json_decref(in);
	json_decref(out);
	free(text);
	free(cbor);
	free(cbor2);
	return bad;
}

static int test_examples_roundtrip(void)
{
	char *names[64];
	size_t n = t_list("examples", ".json", names, 64);
	size_t m = t_list("examples/entries", ".json", names + n, 64 - n);
	CHECK(n >= 4);
	CHECK(m >= 2);
	int bad = 0;
	for (size_t i = 0; i < n + m; i++) {
		bad |= roundtrip_file(names[i]);
		free(names[i]);
	}
	CHECK(!bad);
	return 0;
}

/* Encodes JSON text; checks the error code and that the message holds want. */
static int expect(const char *json, int code, const char *want)
{
	uint8_t *cbor = NULL;
	size_t n;
	int rc = phr_entry_parse_text(json, strlen(json), &cbor, &n);
	free(cbor);
	if (rc != code || (want && !strstr(phr_last_error(), want))) {
		fprintf(stderr, "  %s\n    -> %d '%s' (want %d, '%s')\n", json, rc, phr_last_error(), code,
			want ? want : "");
		return 1;
	}
	return 0;
}

#define HEAD "{\"kind\":\"assessment\",\"date\":\"2025-03-01\""

static int test_errors_name_the_field(void)
{
	CHECK(!expect(HEAD "}", PHR_OK, NULL));
	CHECK(!expect(HEAD ",\"identity\":{\"birth_date\":\"1985-02-30\"}}", PHR_E_SCHEMA, "identity.birth_date"));
	CHECK(!expect(HEAD ",\"identity\":{\"birth_date\":\"1985\"}}", PHR_OK, NULL));
	CHECK(!expect("{\"kind\":\"assessment\",\"date\":\"2025-03\"}", PHR_E_SCHEMA, "date: a full date"));
	CHECK(!expect(HEAD ",\"identity\":{\"colour\":1}}", PHR_E_SCHEMA, "identity: unknown field 'colour'"));
	CHECK(!expect(HEAD ",\"vaccinations\":[{\"vaccine\":\"atc:J07BD52\"},{\"vaccine\":\"xyz:1\"}]}",
		      PHR_E_CODE_SYSTEM, "vaccinations[1].vaccine: unknown code system 'xyz'"));
	CHECK(!expect(HEAD ",\"vaccinations\":[{\"vaccine\":\"icd11:1B10\"}]}", PHR_E_CODE_SYSTEM,
		      "code system 'icd11' is not allowed here (use atc)"));
	CHECK(!expect(HEAD ",\"results\":[{\"test\":\"loinc:8302-3\",\"result\":\"negative\"}]}", PHR_E_CODE_SYSTEM,
		      "check digit"));
	CHECK(!expect(HEAD ",\"results\":[{\"test\":\"loinc:8302-2\"}]}", PHR_E_SCHEMA,
		      "results[0]: missing required field 'result'"));
	CHECK(!expect(HEAD ",\"identity\":{\"sex\":\"f\"}}", PHR_E_SCHEMA, "'f' is not one of: female, male"));
	CHECK(!expect(HEAD ",\"identity\":{\"nationality\":\"sy\"}}", PHR_E_SCHEMA, "identity.nationality"));
	CHECK(!expect(HEAD ",\"history\":[]}", PHR_E_SCHEMA, "history: empty array"));
	CHECK(!expect(HEAD ",\"identity\":{}}", PHR_E_SCHEMA, "identity: empty object"));
	CHECK(!expect(HEAD ",\"vitals\":[{\"code\":\"loinc:8310-5\",\"value\":36.6543219,\"unit\":\"Cel\"}]}",
		      PHR_E_SCHEMA, "vitals[0].value"));
	CHECK(!expect(HEAD ",\"vaccinations\":[{\"vaccine\":\"atc:J07BD52\",\"dose\":0}]}", PHR_E_SCHEMA,
		      "vaccinations[0].dose: 0 is out of range"));
	CHECK(!expect("{\"kind\":\"assessment\",\"date\":\"2025-03-01\",}", PHR_E_JSON, "line 1"));
	CHECK(!expect("{\"kind\":\"assessment\",\"kind\":\"follow_up\",\"date\":\"2025-03-01\"}", PHR_E_JSON,
		      "duplicate"));
	CHECK(!expect("{\"date\":\"2025-03-01\"}", PHR_E_SCHEMA, "missing required field 'kind'"));
	CHECK(!expect("[1]", PHR_E_SCHEMA, "entry: expected an object"));
	return 0;
}

static int test_wire_encodings(void)
{
	/* {1: 0 (assessment), 2: 45350 (2024-03-01 as days since 1900), 3: {2: [1985]}} */
	uint8_t *cbor;
	size_t n;
	const char *j = "{\"kind\":\"assessment\",\"date\":\"2024-03-01\",\"identity\":{\"birth_date\":\"1985\"}}";
	CHECK_RC(phr_entry_parse_text(j, strlen(j), &cbor, &n), PHR_OK);
	CHECK(phr_days_from_civil(2024, 3, 1) == 45350);
	CHECK(phr_days_from_civil(1900, 1, 1) == 0);
	int y, m, d;
	phr_civil_from_days(45350, &y, &m, &d);
	CHECK(y == 2024 && m == 3 && d == 1);
	static const uint8_t exact[] = { 0xa3, 0x01, 0x00, 0x02, 0x19, 0xb1, 0x26, 0x03, 0xa1, 0x02, 0x81, 0x19, 0x07, 0xc1 };
	CHECK(n == sizeof(exact) && memcmp(cbor, exact, n) == 0);
	free(cbor);
	/* decimals: 36.6 -> tag 4 [-1, 366]; 70 -> 70 */
	j = "{\"kind\":\"assessment\",\"date\":\"2024-03-01\",\"vitals\":[{\"code\":\"loinc:8310-5\",\"value\":36.6,\"unit\":\"Cel\"}]}";
	CHECK_RC(phr_entry_parse_text(j, strlen(j), &cbor, &n), PHR_OK);
	static const uint8_t dec[] = { 0xc4, 0x82, 0x20, 0x19, 0x01, 0x6e };
	CHECK(memmem(cbor, n, dec, sizeof(dec)) != NULL);
	free(cbor);
	return 0;
}

static int expect_decode(const char *hex, int code, const char *want)
{
	uint8_t buf[128];
	size_t n = t_unhex(hex, buf, sizeof(buf));
	json_t *out;
	int rc = phr_entry_decode_json(buf, n, &out);
	json_decref(out);
	if (rc != code || (want && !strstr(phr_last_error(), want))) {
		fprintf(stderr, "  %s -> %d '%s' (want %d '%s')\n", hex, rc, phr_last_error(), code, want ? want : "");
		return 1;
	}
	return 0;
}

static int test_decoder_rejects(void)
{
	CHECK(!expect_decode("a201000219b126", PHR_OK, NULL));
	CHECK(!expect_decode("a301000219b1261863f5", PHR_E_SCHEMA, "unknown key 99"));     /* unknown key */
	CHECK(!expect_decode("a201090219b126", PHR_E_SCHEMA, "kind: unknown value 9"));    /* enum out of range */
	CHECK(!expect_decode("a20100028118e9", PHR_E_SCHEMA, "date"));                     /* partial date in root */
	CHECK(!expect_decode("a1010002", PHR_E_TRAILING, NULL));
	CHECK(!expect_decode("a10100", PHR_E_SCHEMA, "missing required field 'date'"));
	/* vital value 36.0 written as tag 4 [-1, 360]: not the shortest decimal */
	CHECK(!expect_decode("a301000219b1260c81a3018204" "66383331302d35" "02c482201901" "6e" "0363" "43656c", PHR_OK, NULL));
	CHECK(!expect_decode("a301000219b1260c81a3018204" "66383331302d35" "02c482201901" "68" "0363" "43656c",
			     PHR_E_NONCANONICAL, "vitals[0].value"));
	CHECK(!expect_decode("a20118000219b126", PHR_E_NONCANONICAL, "shortest")); /* kind 0 in 2 bytes */
	return 0;
}

/* "documents" (key 20): the bytes a document reference is, written out here
 * from docs/FORMAT.md, and what both directions refuse. */
#define DOC_HASH "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define DOC_JSON(fields) "{\"kind\":\"follow_up\",\"date\":\"2025-03-15\",\"documents\":[" fields "]}"
#define DOC_ONE "{\"type\":\"imaging_report\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":100,\"hash\":\"" DOC_HASH "\"}"
/* {1: 1, 2: 45729, 20: [{1: 1, 2: "T", 3: 1, 4: 100, 5: h'00..1f'}]} */
#define DOC_CBOR "a30101" "0219b2a1" "1481" "a5" "0101" "026154" "0301" "041864" "055820" DOC_HASH

static int test_documents(void)
{
	uint8_t *cbor, want[128];
	size_t n, wn = t_unhex(DOC_CBOR, want, sizeof(want));
	json_t *j;
	CHECK(wn == 23 + 32);
	CHECK_RC(phr_entry_parse_text(DOC_JSON(DOC_ONE), strlen(DOC_JSON(DOC_ONE)), &cbor, &n), PHR_OK);
	CHECK(n == wn && memcmp(cbor, want, n) == 0);
	CHECK_RC(phr_entry_decode_json(cbor, n, &j), PHR_OK);
	const json_t *d = json_array_get(json_object_get(j, "documents"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(d, "hash")), DOC_HASH));
	CHECK(!strcmp(json_string_value(json_object_get(d, "media_type")), "image/png"));
	CHECK(!strcmp(json_string_value(json_object_get(d, "type")), "imaging_report"));
	CHECK(json_integer_value(json_object_get(d, "size")) == 100);
	json_decref(j);
	free(cbor);

	/* the hash: exactly 64 lowercase hex digits */
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":1,"
			       "\"hash\":\"000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\"}"),
		      PHR_E_SCHEMA, "documents[0].hash: expected 64 lowercase hex digits"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":1,"
			       "\"hash\":\"0001\"}"),
		      PHR_E_SCHEMA, "documents[0].hash"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":1,"
			       "\"hash\":\"" DOC_HASH "00\"}"),
		      PHR_E_SCHEMA, "documents[0].hash"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":1,"
			       "\"hash\":\"" "g01102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" "\"}"),
		      PHR_E_SCHEMA, "documents[0].hash"));
	/* every field required; size, media type and type from their lists */
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":1}"),
		      PHR_E_SCHEMA, "missing required field 'hash'"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/gif\",\"size\":1,"
			       "\"hash\":\"" DOC_HASH "\"}"),
		      PHR_E_SCHEMA, "documents[0].media_type: 'image/gif' is not one of"));
	CHECK(!expect(DOC_JSON("{\"type\":\"xray\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":1,"
			       "\"hash\":\"" DOC_HASH "\"}"),
		      PHR_E_SCHEMA, "documents[0].type"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":0,"
			       "\"hash\":\"" DOC_HASH "\"}"),
		      PHR_E_SCHEMA, "documents[0].size"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"T\",\"media_type\":\"image/png\",\"size\":16777217,"
			       "\"hash\":\"" DOC_HASH "\"}"),
		      PHR_E_SCHEMA, "documents[0].size"));
	CHECK(!expect(DOC_JSON("{\"type\":\"other\",\"title\":\"\",\"media_type\":\"image/png\",\"size\":1,"
			       "\"hash\":\"" DOC_HASH "\"}"),
		      PHR_E_SCHEMA, "documents[0].title"));
	/* at most 8 */
	CHECK(!expect(DOC_JSON(DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE),
		      PHR_OK, NULL));
	CHECK(!expect(DOC_JSON(DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE "," DOC_ONE
			       "," DOC_ONE),
		      PHR_E_LIMIT, "documents: 9 items, at most 8"));

	/* decoding: a byte string of 32 bytes, nothing else */
	CHECK(!expect_decode(DOC_CBOR, PHR_OK, NULL));
	CHECK(!expect_decode("a30101" "0219b2a1" "1481" "a5" "0101" "026154" "0301" "041864" "05581f"
			     "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			     PHR_E_SCHEMA, "documents[0].hash: 31 bytes"));
	CHECK(!expect_decode("a30101" "0219b2a1" "1481" "a5" "0101" "026154" "0301" "041864" "057820" DOC_HASH,
			     PHR_E_MALFORMED, NULL)); /* a text string where the byte string goes */
	CHECK(!expect_decode("a30101" "0219b2a1" "1481" "a5" "0101" "026154" "0303" "041864" "055820" DOC_HASH,
			     PHR_E_SCHEMA, "documents[0].media_type: unknown value 3"));
	CHECK(!expect_decode("a30101" "0219b2a1" "1481" "a5" "0101" "026154" "0301" "041a01000001" "055820" DOC_HASH,
			     PHR_E_SCHEMA, "documents[0].size"));
	return 0;
}

static int test_code_checks(void)
{
	CHECK_RC(phr_code_check(PHR_CS_ICD11, "1B10.0", 6), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_ICD11, "5A11", 4), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_ICD11, "1B10.0&XK8G", 11), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_ICD11, "1B", 2), PHR_E_CODE_SYSTEM);
	CHECK_RC(phr_code_check(PHR_CS_ICD10, "A15.0", 5), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_ICD10, "A1", 2), PHR_E_CODE_SYSTEM);
	CHECK_RC(phr_code_check(PHR_CS_ATC, "J07BD52", 7), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_ATC, "J07", 3), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_ATC, "J7BD52", 6), PHR_E_CODE_SYSTEM);
	CHECK_RC(phr_code_check(PHR_CS_LOINC, "29463-7", 7), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_LOINC, "29463-8", 7), PHR_E_CODE_SYSTEM);
	CHECK_RC(phr_code_check(PHR_CS_SNOMED, "80146002", 8), PHR_OK);
	CHECK_RC(phr_code_check(PHR_CS_SNOMED, "80146003", 8), PHR_E_CODE_SYSTEM);
	CHECK_RC(phr_code_check(9, "x", 1), PHR_E_CODE_SYSTEM);
	return 0;
}

static int test_codes_table_valid(void)
{
	/* every code in the curated table passes the syntax check */
	size_t len;
	char *tsv = (char *)t_read("layouts/codes.tsv", &len);
	CHECK(tsv);
	size_t count = 0;
	int bad = 0;
	for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t');
		if (!tab || line[0] == '#' || !strncmp(line, "system\t", 7))
			continue;
		char *code = tab + 1, *tab2 = strchr(code, '\t');
		if (!tab2)
			continue;
		int sys = phr_code_system_id(line, (size_t)(tab - line));
		if (!sys || phr_code_check(sys, code, (size_t)(tab2 - code)) != PHR_OK) {
			fprintf(stderr, "  codes.tsv: %.*s: %s\n", (int)(tab2 - line), line, phr_last_error());
			bad = 1;
		}
		count++;
	}
	free(tsv);
	CHECK(!bad);
	CHECK(count >= 100);
	return 0;
}

static int test_schema_file_current(void)
{
	json_t *s;
	CHECK_RC(phr_schema_json_schema(&s), PHR_OK);
	size_t len;
	char *committed = (char *)t_read("docs/record.schema.json", &len);
	CHECK(committed);
	json_t *c = json_loadb(committed, len, 0, NULL);
	free(committed);
	int same = c && json_equal(s, c);
	if (!same)
		fprintf(stderr, "  docs/record.schema.json is out of date: run 'phr schema > docs/record.schema.json'\n");
	json_decref(s);
	json_decref(c);
	CHECK(same);
	return 0;
}

/* ---- text a reader sees: no controls, no bidi overrides ---- */

/* The rule, written out again from docs/FORMAT.md ("Entry content"). */
static int forbidden_by_the_spec(uint32_t cp)
{
	return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* No byte of the message is a control or bidi formatting character: a
 * refusal never prints what it refuses. */
static int message_clean(void)
{
	const char *m = phr_last_error();
	char shown[3 * PHR_ERRMSG_MAX + 1];
	phr_text_sanitize(shown, sizeof(shown), m, strlen(m));
	return strcmp(shown, m) == 0;
}

static int test_text_rule_every_code_point(void)
{
	size_t refused = 0;
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		char s[8] = "ab";
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		size_t n = 2 + utf8_put(cp, s + 2);
		int want = forbidden_by_the_spec(cp);
		if ((int)phr_text_forbidden(cp) != want || (phr_text_check(s, n, "t") != PHR_OK) != want) {
			fprintf(stderr, "  U+%04X: forbidden %d, check %d, want %d\n", (unsigned)cp, phr_text_forbidden(cp),
				phr_text_check(s, n, "t"), want);
			return 1;
		}
		if (want) {
			char tag[16];
			snprintf(tag, sizeof(tag), "U+%04X", (unsigned)cp);
			CHECK(strstr(phr_last_error(), tag) && strstr(phr_last_error(), "at byte 2"));
			CHECK(message_clean());
		}
		refused += want;
	}
	CHECK(refused == 32 + 1 + 32 + 2 + 5 + 4);
	/* not UTF-8: refused too (the CBOR and JSON readers never hand such text on) */
	CHECK_RC(phr_text_check("a\xc0\xafz", 4, "t"), PHR_E_SCHEMA);
	CHECK_RC(phr_text_check("a\xe2\x80", 3, "t"), PHR_E_SCHEMA);
	return 0;
}

#define NOTE(j) HEAD ",\"plan\":{\"notes\":\"" j "\"}}"

static int test_text_rule_at_encode(void)
{
	static const struct {
		const char *json, *want;
	} bad[] = {
		{ NOTE("x\\u001b[2J"), "plan.notes: U+001B (escape, a control character) at byte 1" },
		{ NOTE("x\\u0007"), "plan.notes: U+0007 (bell" },
		{ NOTE("x\\r"), "plan.notes: U+000D (carriage return" },
		{ NOTE("line\\nline"), "plan.notes: U+000A (new line, a control character) at byte 4" },
		{ NOTE("a\\tb"), "plan.notes: U+0009 (tab" },
		{ NOTE("x\\u007f"), "plan.notes: U+007F (delete" },
		{ NOTE("x\\u0085"), "plan.notes: U+0085 (a control character)" },
		{ NOTE("x\\u009b2J"), "plan.notes: U+009B (a control character)" },
		{ NOTE("x\\u2028"), "plan.notes: U+2028 (line separator)" },
		{ NOTE("x\\u2029"), "plan.notes: U+2029 (paragraph separator)" },
		{ NOTE("x\\u202a"), "plan.notes: U+202A (a bidi embedding)" },
		{ NOTE("x\\u202b"), "plan.notes: U+202B (a bidi embedding)" },
		{ NOTE("x\\u202c"), "plan.notes: U+202C (a bidi embedding)" },
		{ NOTE("x\\u202d"), "plan.notes: U+202D (left-to-right override" },
		{ NOTE("x\\u202e"), "plan.notes: U+202E (right-to-left override, a bidi control) at byte 1" },
		{ NOTE("x\\u2066"), "plan.notes: U+2066 (a bidi isolate)" },
		{ NOTE("x\\u2067"), "plan.notes: U+2067 (a bidi isolate)" },
		{ NOTE("x\\u2068"), "plan.notes: U+2068 (a bidi isolate)" },
		{ NOTE("x\\u2069"), "plan.notes: U+2069 (a bidi isolate)" },
		/* every kind of text field: names, reactions, lots, authors, notes in lists */
		{ HEAD ",\"identity\":{\"names\":[{\"given\":\"Sara\"},{\"family\":\"\\u0633\\u202e\"}]}}",
		  "identity.names[1].family: U+202E (right-to-left override, a bidi control) at byte 2" },
		{ HEAD ",\"allergies\":[{\"code\":\"atc:J01CA04\",\"reaction\":\"rash\\u001b[8m\"}]}",
		  "allergies[0].reaction: U+001B" },
		{ HEAD ",\"vaccinations\":[{\"vaccine\":\"atc:J07BD52\",\"lot\":\"A\\r\"}]}", "vaccinations[0].lot: U+000D" },
		{ HEAD ",\"author\":{\"professional\":\"Dr \\u2067X\"}}", "author.professional: U+2067" },
		{ HEAD ",\"history\":[{\"code\":\"icd10:E11\",\"note\":\"a\\u0085\"}]}", "history[0].note: U+0085" },
		{ HEAD ",\"notes\":\"\\u001b]0;title\\u0007\"}", "notes: U+001B (escape, a control character) at byte 0" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!expect(bad[i].json, PHR_E_SCHEMA, bad[i].want));
		CHECK(message_clean());
	}
	/* NUL, which JSON text cannot carry to phr_entry_parse_text, from a json_t */
	json_t *j = json_pack("{s:s, s:s, s:{s:s%}}", "kind", "assessment", "date", "2025-03-01", "plan", "notes",
			      "x\0y", (size_t)3);
	uint8_t *cbor = NULL;
	size_t clen;
	CHECK(j);
	CHECK_RC(phr_entry_encode_json(j, &cbor, &clen), PHR_E_SCHEMA);
	CHECK(strstr(phr_last_error(), "plan.notes: U+0000 (NUL, a control character) at byte 1"));
	CHECK(cbor == NULL);
	json_decref(j);
	/* the marks that reorder nothing (Arabic and Farsi text uses them), ZWNJ/ZWJ, and others */
	CHECK(!expect(NOTE("\\u0633\\u200f (2025)\\u061c \\u200e-\\u200c\\u200d\\u00a0\\u00b7 \\ufeff"), PHR_OK, NULL));
	CHECK(!expect(HEAD ",\"identity\":{\"names\":[{\"family\":\"\\u0639\\u0644\\u06cc\\u200c\\u200f\"}]}}", PHR_OK,
		      NULL));
	return 0;
}

/* Quoting what the encoder refuses never copies a control character into
 * the message (enums, code systems, codes). */
static int test_refusals_quote_safely(void)
{
	CHECK(!expect(HEAD ",\"identity\":{\"sex\":\"f\\u001b[2J\"}}", PHR_E_SCHEMA, "identity.sex: 'f"));
	CHECK(message_clean());
	CHECK(!expect(HEAD ",\"vaccinations\":[{\"vaccine\":\"a\\u001btc:J07BD52\"}]}", PHR_E_CODE_SYSTEM,
		      "unknown code system"));
	CHECK(message_clean());
	CHECK(!expect(HEAD ",\"vaccinations\":[{\"vaccine\":\"\\u202eJ07BD52\"}]}", PHR_E_SCHEMA, "expected a code"));
	CHECK(message_clean());
	CHECK(!expect(HEAD ",\"vaccinations\":[{\"vaccine\":\"atc:J07\\u001b[2J\"}]}", PHR_E_CODE_SYSTEM,
		      "byte 0x1b at 3"));
	CHECK(message_clean());
	CHECK_RC(phr_code_check(PHR_CS_ATC, "J0\x9b", 3), PHR_E_CODE_SYSTEM);
	CHECK(message_clean());
	return 0;
}

/* The same rule on the way in: content a clinic signed with a forbidden
 * character decodes and validates as a schema error naming the field. */
static int test_text_rule_at_decode(void)
{
	/* {1: 0, 2: 2024-03-01, 19: "ab" + X}: notes */
	static const struct {
		const char *hex, *want;
	} bad[] = {
		{ "a301000219b1261363" "61621b", "notes: U+001B (escape, a control character) at byte 2" },
		{ "a301000219b1261363" "616207", "notes: U+0007 (bell" },
		{ "a301000219b1261363" "61620d", "notes: U+000D (carriage return" },
		{ "a301000219b1261363" "61620a", "notes: U+000A (new line" },
		{ "a301000219b1261363" "616200", "notes: U+0000 (NUL" },
		{ "a301000219b1261363" "61627f", "notes: U+007F (delete" },
		{ "a301000219b1261364" "6162c29b", "notes: U+009B" },
		{ "a301000219b1261365" "6162e280a8", "notes: U+2028" },
		{ "a301000219b1261365" "6162e280ae", "notes: U+202E (right-to-left override" },
		{ "a301000219b1261365" "6162e281a6", "notes: U+2066 (a bidi isolate)" },
		/* {1: 0, 2: ..., 17: {3: "ab" ESC}}: plan.notes */
		{ "a301000219b12611a10363" "61621b", "plan.notes: U+001B" },
		/* {1: 0, 2: ..., 3: {1: [{1: "ab" RLO}]}}: identity.names[0].family */
		{ "a301000219b12603a10181a10165" "6162e280ae", "identity.names[0].family: U+202E" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[64];
		size_t n = t_unhex(bad[i].hex, buf, sizeof(buf));
		CHECK(!expect_decode(bad[i].hex, PHR_E_SCHEMA, bad[i].want));
		CHECK(message_clean());
		CHECK_RC(phr_entry_validate(buf, n), PHR_E_SCHEMA);
		CHECK(strstr(phr_last_error(), bad[i].want));
	}
	/* allowed marks decode: "ab" U+200F U+061C U+200E */
	CHECK(!expect_decode("a301000219b126136a" "6162e2808fd89ce2808e", PHR_OK, NULL));
	/* a code whose text holds ESC: refused, and not quoted raw */
	CHECK(!expect_decode("a301000219b12609" "81a101820364" "4a30371b", PHR_E_CODE_SYSTEM, "byte 0x1b at 3"));
	CHECK(message_clean());
	return 0;
}

static int test_text_sanitize(void)
{
	char out[64];
	const char *in = "a\x1b[2J\r\n\x07\x7f\xc2\x9b\xe2\x80\xae\xe2\x81\xa7z";
	size_t n = phr_text_sanitize(out, sizeof(out), in, strlen(in));
	CHECK(strcmp(out, "a\xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			  "\xef\xbf\xbd\xef\xbf\xbdz") == 0);
	CHECK(n == strlen(out));
	/* allowed text is copied as it is */
	const char *ar = "\xd8\xb3\xd8\xa7\xd8\xb1\xd8\xa9\xe2\x80\x8f (2025)";
	CHECK(phr_text_sanitize(out, sizeof(out), ar, strlen(ar)) == strlen(ar) && !strcmp(out, ar));
	/* bytes that are not UTF-8: one U+FFFD each */
	CHECK(phr_text_sanitize(out, sizeof(out), "\xff\xc0\xaf", 3) == 9);
	CHECK(!strcmp(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	CHECK(phr_text_sanitize(out, sizeof(out), "x\xe2\x80", 3) == 7); /* cut sequence */
	/* cut at a character, never inside one; the return says how much is needed */
	CHECK(phr_text_sanitize(out, 5, "ab\xd8\xb3\xd8\xa7", 6) == 6 && !strcmp(out, "ab\xd8\xb3"));
	CHECK(phr_text_sanitize(out, 4, "ab\xd8\xb3", 4) == 4 && !strcmp(out, "ab"));
	CHECK(phr_text_sanitize(out, 3, "a\x1b", 2) == 4 && !strcmp(out, "a"));
	CHECK(phr_text_sanitize(NULL, 0, "a\x1b", 2) == 4);
	CHECK(phr_text_sanitize(out, 1, "abc", 3) == 3 && out[0] == '\0');
	return 0;
}

/* The decoder records which fields of an object it saw in a 64-bit mask. */
static int widest_object(const struct phr_field *f)
{
	int n = 0, widest = 0;
	if (f->type == PHR_T_ARRAY)
		return widest_object(&f->children[0]);
	if (f->type != PHR_T_OBJECT)
		return 0;
	for (const struct phr_field *c = f->children; c->name; c++) {
		int w = widest_object(c);
		n++;
		widest = w > widest ? w : widest;
	}
	return n > widest ? n : widest;
}

static int test_objects_fit_the_seen_mask(void)
{
	int w = widest_object(phr_schema_root());
	printf("  widest object: %d fields\n", w);
	CHECK(w > 0 && w < 64);
	return 0;
}

/* A validate-only decode (phr_entry_validate) and a full decode agree. */
static int test_validate_agrees_with_decode(void)
{
	char *names[32];
	size_t n = t_list("examples", ".json", names, 32);
	CHECK(n >= 4);
	for (size_t i = 0; i < n; i++) {
		size_t len, clen;
		uint8_t *cbor;
		json_t *v;
		char *text = (char *)t_read(names[i], &len);
		CHECK(text);
		CHECK_RC(phr_entry_parse_text(text, len, &cbor, &clen), PHR_OK);
		CHECK_RC(phr_entry_validate(cbor, clen), PHR_OK);
		CHECK_RC(phr_entry_decode_json(cbor, clen, &v), PHR_OK);
		json_decref(v);
		/* every truncation fails both ways with the same code */
		for (size_t cut = 0; cut < clen; cut++) {
			int a = phr_entry_validate(cbor, cut);
			int b = phr_entry_decode_json(cbor, cut, &v);
			CHECK(a != PHR_OK && a == b && v == NULL);
		}
		/* every single-bit flip gets the same verdict both ways */
		size_t refused = 0;
		for (size_t bit = 0; bit < 8 * clen; bit++) {
			cbor[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int a = phr_entry_validate(cbor, clen);
			int b = phr_entry_decode_json(cbor, clen, &v);
			json_decref(v);
			cbor[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			CHECK(a == b);
			refused += a != PHR_OK;
		}
		CHECK(refused > 0);
		free(cbor);
		free(text);
		free(names[i]);
	}
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "every object fits the decoder's 64-field mask", test_objects_fit_the_seen_mask },
		{ "validate-only and full decode agree", test_validate_agrees_with_decode },
		{ "every example round-trips JSON -> CBOR -> JSON", test_examples_roundtrip },
		{ "errors name the field and the problem", test_errors_name_the_field },
		{ "wire encodings of dates, enums, decimals", test_wire_encodings },
		{ "decoder rejects what the encoder never writes", test_decoder_rejects },
		{ "documents: wire bytes of a reference, and what is refused", test_documents },
		{ "code syntax and check digits", test_code_checks },
		{ "every code in layouts/codes.tsv is well-formed", test_codes_table_valid },
		{ "docs/record.schema.json matches the model", test_schema_file_current },
		{ "text rule: every code point, as FORMAT.md lists it", test_text_rule_every_code_point },
		{ "text rule at encode: each forbidden class refused, the field named", test_text_rule_at_encode },
		{ "refusals quote what they refuse without its control characters", test_refusals_quote_safely },
		{ "text rule at decode and validate: the field named", test_text_rule_at_decode },
		{ "phr_text_sanitize shows forbidden characters as U+FFFD", test_text_sanitize },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
