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
		{ "code syntax and check digits", test_code_checks },
		{ "every code in layouts/codes.tsv is well-formed", test_codes_table_valid },
		{ "docs/record.schema.json matches the model", test_schema_file_current },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
