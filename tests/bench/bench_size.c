/* bench_size: how big each example record is on the wire, against two
 * baselines built in the same run from the same entry:
 *
 *   ours  record with one entry, one embedded clinic certificate, default
 *         compression; "PH1:" + Base45, QR alphanumeric mode.
 *   SHC   SMART Health Card style: the entry as a FHIR R4 Bundle (Patient,
 *         Immunization, Observation, Condition, MedicationStatement,
 *         AllergyIntolerance; resource:N references, no ids, no narrative) in
 *         a JWS payload {"iss","nbf","vc":{"type","credentialSubject":
 *         {"fhirVersion","fhirBundle"}}}, raw DEFLATE level 9, compact JWS
 *         with header {"zip":"DEF","alg":"ES256","kid":<43 chars>} and a
 *         64-byte signature; "shc:/" + 2 digits per base64url character, QR
 *         numeric mode (the prefix in byte mode).
 *   DCC   EU Digital COVID Certificate style: the whole entry as CBOR with
 *         the JSON names as string keys (generic jansson -> libcbor), in a
 *         CWT {1: iss, 4: exp, 6: iat, -260: {1: entry}}, COSE_Sign1 (tag 18,
 *         protected {1: -7, 4: kid(8)}, 64-byte signature), zlib level 9 over
 *         the COSE message (as the DCC does), "HC1:" + Base45, QR
 *         alphanumeric mode. The DCC embeds no certificate; ours does.
 *
 * The FHIR mapping leaves out what FHIR has no core place for (migration,
 * consent, plan, author, free-text notes at entry level): the SHC baseline
 * carries less than ours, so the comparison favours it.
 *
 * QR versions come from the library (record/qrcap.c: phr_qr_version_for,
 * phr_qr_version_segments), that is ISO/IEC 18004:2015 Table 7 and the
 * segment bit costs of clause 7.4; tests/unit/test_chunk.c checks them
 * against the published capacities, the measured values of
 * ../shared/notes/qr.md and the versions libqrencode picks. */
#include <cbor.h>
#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "phr/base45.h"
#include "phr/chunk.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"

#ifndef PHR_SOURCE_ROOT
#define PHR_SOURCE_ROOT "."
#endif

#define T0 1750000000u

/* ---- QR capacity ----------------------------------------------------------- */

/* Version at ECC M of a single alphanumeric segment. */
static int qr_version_alnum(size_t chars)
{
	return phr_qr_version_for(chars, PHR_ECC_M, PHR_CHUNK_BASE45);
}

static size_t b64url_len(size_t n)
{
	return (4 * n + 2) / 3;
}

/* ---- deflate helpers ------------------------------------------------------- */

static size_t zlib_size(const uint8_t *in, size_t n, int raw)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, raw ? -15 : 15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	uLong cap = deflateBound(&z, (uLong)n);
	uint8_t *out = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (!out || deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	size_t len = (size_t)z.total_out;
	deflateEnd(&z);
	free(out);
	return len;
}

/* ---- SHC-style baseline ---------------------------------------------------- */

static const char *system_uri(const char *code, const char **rest)
{
	static const struct {
		const char *prefix, *uri;
	} map[] = {
		{ "icd11:", "http://id.who.int/icd/release/11/mms" }, { "icd10:", "http://hl7.org/fhir/sid/icd-10" },
		{ "atc:", "http://www.whocc.no/atc" },                 { "loinc:", "http://loinc.org" },
		{ "snomed:", "http://snomed.info/sct" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(code, map[i].prefix, strlen(map[i].prefix))) {
			*rest = code + strlen(map[i].prefix);
			return map[i].uri;
		}
	*rest = code;
	return "urn:unknown";
}

static json_t *concept(const char *code)
{
	const char *c;
	const char *sys = system_uri(code, &c);
	return json_pack("{s:[{s:s,s:s}]}", "coding", "system", sys, "code", c);
}

static json_t *concept_sys(const char *sys, const char *code)
{
	return json_pack("{s:[{s:s,s:s}]}", "coding", "system", sys, "code", code);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *note(const char *text)
{
	return json_pack("[{s:s}]", "text", text);
}

static json_t *subject(void)
{
	return json_pack("{s:s}", "reference", "resource:0");
}

static const char *interpretation(const char *result)
{
	static const char *const map[][2] = { { "positive", "POS" }, { "negative", "NEG" }, { "indeterminate", "IND" },
		{ "normal", "N" }, { "abnormal", "A" } };
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(result, map[i][0]))
			return map[i][1];
	return NULL;
}

static void add_resource(json_t *entries, json_t *res)
{
	char url[32];
	snprintf(url, sizeof(url), "resource:%zu", json_array_size(entries));
	json_array_append_new(entries, json_pack("{s:s,s:o}", "fullUrl", url, "resource", res));
}

static json_t *observation(const char *code, const char *date, const char *status)
{
	json_t *o = json_pack("{s:s,s:s,s:o,s:o}", "resourceType", "Observation", "status", status, "code", concept(code),
			      "subject", subject());
	set_str(o, "effectiveDateTime", date);
	return o;
}

static void quantity(json_t *o, json_t *value, const char *unit)
{
	json_t *q = json_pack("{s:O}", "value", value);
	if (unit) {
		json_object_set_new(q, "system", json_string("http://unitsofmeasure.org"));
		json_object_set_new(q, "code", json_string(unit));
	}
	json_object_set_new(o, "valueQuantity", q);
}

static json_t *fhir_bundle(const json_t *e)
{
	json_t *entries = json_array(), *v;
	size_t i;
	const char *date = str(e, "date");
	const json_t *id = json_object_get(e, "identity");

	json_t *pat = json_pack("{s:s}", "resourceType", "Patient");
	if ((v = json_object_get(id, "names")) && json_array_size(v)) {
		json_t *names = json_array(), *n;
		json_array_foreach(v, i, n) {
			json_t *fn = json_object();
			set_str(fn, "family", str(n, "family"));
			if (str(n, "given"))
				json_object_set_new(fn, "given", json_pack("[s]", str(n, "given")));
			json_array_append_new(names, fn);
		}
		json_object_set_new(pat, "name", names);
	}
	set_str(pat, "gender", str(id, "sex"));
	set_str(pat, "birthDate", str(id, "birth_date"));
	if ((v = json_object_get(id, "languages")) && json_array_size(v)) {
		json_t *comm = json_array(), *l;
		json_array_foreach(v, i, l) {
			json_t *c = json_pack("{s:o}", "language", concept_sys("urn:ietf:bcp:47", json_string_value(l)));
			if (str(id, "preferred_language") && !strcmp(json_string_value(l), str(id, "preferred_language")))
				json_object_set_new(c, "preferred", json_true());
			json_array_append_new(comm, c);
		}
		json_object_set_new(pat, "communication", comm);
	}
	add_resource(entries, pat);

	json_t *x;
	json_array_foreach(json_object_get(e, "vaccinations"), i, x) {
		json_t *im = json_pack("{s:s,s:s,s:o,s:o}", "resourceType", "Immunization", "status", "completed",
				       "vaccineCode", concept(str(x, "vaccine")), "patient", subject());
		set_str(im, "occurrenceDateTime", str(x, "date"));
		json_object_set_new(im, "primarySource", json_boolean(!strcmp(str(x, "source"), "given")));
		if (str(x, "country"))
			json_object_set_new(im, "location", json_pack("{s:s}", "display", str(x, "country")));
		set_str(im, "lotNumber", str(x, "lot"));
		if (json_object_get(x, "dose"))
			json_object_set_new(im, "protocolApplied",
					    json_pack("[{s:O,s:O}]", "doseNumberPositiveInt", json_object_get(x, "dose"),
						      "seriesDosesPositiveInt", json_object_get(x, "of")));
		add_resource(entries, im);
	}
	json_array_foreach(json_object_get(e, "results"), i, x) {
		const char *res = str(x, "result");
		json_t *o = observation(str(x, "test"), str(x, "date"),
					!strcmp(res, "pending") ? "registered" : !strcmp(res, "not_done") ? "cancelled" : "final");
		if (json_object_get(x, "value"))
			quantity(o, json_object_get(x, "value"), str(x, "unit"));
		if (interpretation(res))
			json_object_set_new(o, "interpretation",
					    json_pack("[o]", concept_sys("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
									 interpretation(res))));
		if (str(x, "note"))
			json_object_set_new(o, "note", note(str(x, "note")));
		add_resource(entries, o);
	}
	json_array_foreach(json_object_get(e, "vitals"), i, x) {
		json_t *o = observation(str(x, "code"), date, "final");
		quantity(o, json_object_get(x, "value"), str(x, "unit"));
		add_resource(entries, o);
	}
	if ((v = json_object_get(e, "pregnancy"))) {
		static const char *const snomed[][2] = { { "pregnant", "77386006" }, { "not_pregnant", "60001007" },
			{ "unknown", "261665006" } };
		json_t *o = observation("loinc:82810-3", date, "final");
		for (size_t k = 0; k < 3; k++)
			if (!strcmp(str(v, "status"), snomed[k][0]))
				json_object_set_new(o, "valueCodeableConcept", concept_sys("http://snomed.info/sct", snomed[k][1]));
		add_resource(entries, o);
		if (str(v, "expected_delivery")) {
			o = observation("loinc:11778-8", date, "final");
			json_object_set_new(o, "valueDateTime", json_string(str(v, "expected_delivery")));
			add_resource(entries, o);
		}
		if (json_object_get(v, "gravida")) {
			o = observation("loinc:11996-6", date, "final");
			json_object_set_new(o, "valueInteger", json_deep_copy(json_object_get(v, "gravida")));
			add_resource(entries, o);
		}
		if (json_object_get(v, "para")) {
			o = observation("loinc:11977-6", date, "final");
			json_object_set_new(o, "valueInteger", json_deep_copy(json_object_get(v, "para")));
			add_resource(entries, o);
		}
	}
	if ((v = json_object_get(e, "mental_health"))) {
		const char *scr = str(v, "screening");
		json_t *o = observation(str(v, "tool") ? str(v, "tool") : "loinc:44249-1", date,
					!strcmp(scr, "not_done") ? "cancelled" : "final");
		if (interpretation(scr))
			json_object_set_new(o, "interpretation",
					    json_pack("[o]", concept_sys("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
									 interpretation(scr))));
		if (str(v, "note"))
			json_object_set_new(o, "note", note(str(v, "note")));
		add_resource(entries, o);
	}
	const char *cond_lists[2] = { "history", "diagnoses" };
	for (int k = 0; k < 2; k++)
		json_array_foreach(json_object_get(e, cond_lists[k]), i, x) {
			json_t *c = json_pack("{s:s}", "resourceType", "Condition");
			const char *st = str(x, "status");
			if (st && strcmp(st, "unknown"))
				json_object_set_new(c, "clinicalStatus",
						    concept_sys("http://terminology.hl7.org/CodeSystem/condition-clinical", st));
			json_object_set_new(c, "code", concept(str(x, "code")));
			json_object_set_new(c, "subject", subject());
			set_str(c, "onsetDateTime", str(x, "onset"));
			if (k == 1)
				set_str(c, "recordedDate", date);
			if (str(x, "note"))
				json_object_set_new(c, "note", note(str(x, "note")));
			add_resource(entries, c);
		}
	const char *med_lists[2] = { "medications", "treatments" };
	for (int k = 0; k < 2; k++)
		json_array_foreach(json_object_get(e, med_lists[k]), i, x) {
			json_t *m = json_pack("{s:s,s:s,s:o,s:o}", "resourceType", "MedicationStatement", "status", "active",
					      "medicationCodeableConcept", concept(str(x, "code")), "subject", subject());
			set_str(m, "effectiveDateTime", k == 0 ? str(x, "since") : date);
			if (str(x, "dosage"))
				json_object_set_new(m, "dosage", json_pack("[{s:s}]", "text", str(x, "dosage")));
			if (str(x, "note"))
				json_object_set_new(m, "note", note(str(x, "note")));
			add_resource(entries, m);
		}
	json_array_foreach(json_object_get(e, "allergies"), i, x) {
		json_t *a = json_pack("{s:s}", "resourceType", "AllergyIntolerance");
		const char *crit = str(x, "criticality");
		if (crit)
			json_object_set_new(a, "criticality",
					    json_string(!strcmp(crit, "unable_to_assess") ? "unable-to-assess" : crit));
		json_object_set_new(a, "code", concept(str(x, "code")));
		json_object_set_new(a, "patient", subject());
		if (str(x, "reaction"))
			json_object_set_new(a, "reaction", json_pack("[{s:[{s:s}]}]", "manifestation", "text", str(x, "reaction")));
		add_resource(entries, a);
	}
	return json_pack("{s:s,s:s,s:o}", "resourceType", "Bundle", "type", "collection", "entry", entries);
}

struct shc {
	size_t payload_json, deflated, jws, qr_chars;
	int version;
};

static struct shc shc_size(const json_t *e)
{
	struct shc s;
	json_t *payload = json_pack("{s:s,s:I,s:{s:[s],s:{s:s,s:o}}}", "iss", "https://clinic.example.org/issuer",
				    "nbf", (json_int_t)T0, "vc", "type", "https://smarthealth.cards#health-card",
				    "credentialSubject", "fhirVersion", "4.0.1", "fhirBundle", fhir_bundle(e));
	char *text = json_dumps(payload, JSON_COMPACT | JSON_REAL_PRECISION(9));
	if (getenv("BENCH_DUMP_SHC"))
		fprintf(stderr, "%s\n", text);
	if (!text)
		abort();
	s.payload_json = strlen(text);
	s.deflated = zlib_size((const uint8_t *)text, s.payload_json, 1);
	/* a JWK thumbprint kid is 43 base64url characters */
	static const char header[] = "{\"zip\":\"DEF\",\"alg\":\"ES256\",\"kid\":\"3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s\"}";
	s.jws = b64url_len(strlen(header)) + 1 + b64url_len(s.deflated) + 1 + b64url_len(64);
	s.qr_chars = 5 + 2 * s.jws;
	const struct phr_qr_segment seg[2] = { { PHR_QR_BYTE, 5 }, { PHR_QR_NUMERIC, 2 * s.jws } };
	s.version = phr_qr_version_segments(seg, 2, PHR_ECC_M);
	free(text);
	json_decref(payload);
	return s;
}

/* ---- DCC-style baseline ---------------------------------------------------- */

static cbor_item_t *to_cbor(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		cbor_item_t *m = cbor_new_definite_map(json_object_size(v));
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)(uintptr_t)v, k, x)
			cbor_map_add(m, (struct cbor_pair){ .key = cbor_move(cbor_build_string(k)),
							    .value = cbor_move(to_cbor(x)) });
		return m;
	}
	case JSON_ARRAY: {
		cbor_item_t *a = cbor_new_definite_array(json_array_size(v));
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			cbor_array_push(a, cbor_move(to_cbor(x)));
		return a;
	}
	case JSON_STRING:
		return cbor_build_stringn(json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);
		return n >= 0 ? cbor_build_uint64((uint64_t)n) : cbor_build_negint64((uint64_t)(-1 - n));
	}
	case JSON_REAL: {
		double d = json_real_value(v);
		return (double)(float)d == d ? cbor_build_float4((float)d) : cbor_build_float8(d);
	}
	case JSON_TRUE:
		return cbor_build_bool(true);
	case JSON_FALSE:
		return cbor_build_bool(false);
	default:
		return cbor_new_null();
	}
}

static uint8_t *serialize(const cbor_item_t *item, size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	*len = cbor_serialize_alloc(item, &buf, &cap);
	if (!*len)
		abort();
	return buf;
}

static void map_put(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	cbor_map_add(m, (struct cbor_pair){ .key = cbor_move(k), .value = cbor_move(v) });
}

struct dcc {
	size_t cbor, cose, zlib, chars;
	int version;
};

static struct dcc dcc_size(const json_t *e)
{
	struct dcc s;
	static const uint8_t kid[8] = { 0x53, 0x1d, 0x9b, 0xa4, 0x51, 0x1c, 0x07, 0x2f };
	static const uint8_t sig[64] = { 0x5a };
	size_t n;

	cbor_item_t *entry = to_cbor(e);
	uint8_t *eb = serialize(entry, &s.cbor);
	free(eb);
	cbor_item_t *hcert = cbor_new_definite_map(1);
	map_put(hcert, cbor_build_uint8(1), entry);
	cbor_item_t *cwt = cbor_new_definite_map(4);
	map_put(cwt, cbor_build_uint8(1), cbor_build_string("GR"));
	map_put(cwt, cbor_build_uint8(4), cbor_build_uint32(T0 + 365u * 86400u));
	map_put(cwt, cbor_build_uint8(6), cbor_build_uint32(T0));
	map_put(cwt, cbor_build_negint16(259), hcert); /* -260 */
	uint8_t *payload = serialize(cwt, &n);
	cbor_decref(&cwt);

	cbor_item_t *prot = cbor_new_definite_map(2);
	map_put(prot, cbor_build_uint8(1), cbor_build_negint8(6)); /* alg -7, ES256 */
	map_put(prot, cbor_build_uint8(4), cbor_build_bytestring(kid, sizeof(kid)));
	size_t pl;
	uint8_t *pb = serialize(prot, &pl);
	cbor_decref(&prot);

	cbor_item_t *arr = cbor_new_definite_array(4);
	cbor_array_push(arr, cbor_move(cbor_build_bytestring(pb, pl)));
	cbor_array_push(arr, cbor_move(cbor_new_definite_map(0)));
	cbor_array_push(arr, cbor_move(cbor_build_bytestring(payload, n)));
	cbor_array_push(arr, cbor_move(cbor_build_bytestring(sig, sizeof(sig))));
	cbor_item_t *tagged = cbor_build_tag(18, cbor_move(arr));
	uint8_t *cose = serialize(tagged, &s.cose);
	cbor_decref(&tagged);
	s.zlib = zlib_size(cose, s.cose, 0);
	s.chars = 4 + phr_base45_encoded_len(s.zlib);
	s.version = qr_version_alnum(s.chars);
	free(cose);
	free(pb);
	free(payload);
	return s;
}

/* ---- ours ------------------------------------------------------------------ */

struct keys {
	struct phr_seckey *auth, *clinic;
	uint8_t *cert;
	size_t cert_len;
};

static int keys_init(struct keys *k)
{
	uint8_t s[PHR_SEED_LEN];
	memset(s, 1, sizeof(s));
	if (phr_key_from_seed(PHR_KEY_AUTHORITY, "Demo Health Authority", "GR", s, &k->auth))
		return 1;
	memset(s, 3, sizeof(s));
	if (phr_key_from_seed(PHR_KEY_CLINIC, "Lesvos Reception Clinic", "GR", s, &k->clinic))
		return 1;
	return phr_cert_issue(k->auth, phr_seckey_public(k->clinic), T0 - 30 * 86400u, T0 + 365 * 86400u, &k->cert,
			      &k->cert_len) != PHR_OK;
}

struct ours {
	size_t entry_cbor, body, container, chars;
	int version;
};

static int ours_size(const struct keys *k, const char *text, size_t len, struct ours *o)
{
	struct phr_record *r;
	uint8_t *cbor, *buf, *body;
	size_t clen, blen;
	static const uint8_t id[PHR_RECORD_ID_LEN] = { 0x70, 0x68, 0x72, 0x2d, 0x62, 0x65, 0x6e, 0x63,
						       0x68, 0x2d, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x01 };
	if (phr_entry_parse_text(text, len, &cbor, &clen) || phr_record_create(id, &r))
		return 1;
	if (phr_record_append(r, k->clinic, k->cert, k->cert_len, cbor, clen, T0) ||
	    phr_record_encode(r, -1, &buf, &o->container) || phr_record_body(r, &body, &blen))
		return 1;
	o->entry_cbor = clen;
	o->body = blen;
	o->chars = 4 + phr_base45_encoded_len(o->container);
	o->version = qr_version_alnum(o->chars);
	free(body);
	free(buf);
	free(cbor);
	phr_record_destroy(r);
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);
	*len = 0;
	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *root = getenv("PHR_SOURCE_ROOT");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/examples", root ? root : PHR_SOURCE_ROOT);
	if (sodium_init() < 0)
		return 1;
	struct keys k;
	if (keys_init(&k)) {
		fprintf(stderr, "bench_size: keys: %s\n", phr_last_error());
		return 1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "bench_size: cannot open %s\n", dir);
		return 1;
	}
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);

	printf("Record size against SMART Health Card (SHC) and EU DCC style encodings of the same entry.\n");
	printf("ours: one entry + one embedded certificate (%zu B), compression %s, \"PH1:\" + Base45.\n", k.cert_len,
	       phr_compression_name(phr_compression_default()));
	printf("QR versions at ECC M (ISO/IEC 18004 Table 7). Ratio = ours / baseline.\n\n");
	struct row {
		char label[40];
		struct ours o;
		struct shc s;
		struct dcc c;
	} *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t done = 0;
	int rc = 0;
	if (!rows)
		abort();
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		json_error_t jerr;
		json_t *e = json_load_file(path, 0, &jerr);
		size_t tlen = 0;
		char *text = e ? read_file(path, &tlen) : NULL;
		struct row *w = &rows[done];
		if (!e || !text || ours_size(&k, text, tlen, &w->o)) {
			fprintf(stderr, "bench_size: %s: %s\n", names[i], e ? phr_last_error() : jerr.text);
			rc = 1;
		} else {
			w->s = shc_size(e);
			w->c = dcc_size(e);
			snprintf(w->label, sizeof(w->label), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
			done++;
		}
		json_decref(e);
		free(text);
	}

	printf("Sizes (bytes; chars = QR payload characters; QR = version at ECC M)\n\n");
	printf("%-32s | %-25s | %-33s | %-25s\n", "", "ours", "SHC-style", "DCC-style");
	printf("%-32s | %5s %5s %6s %5s | %5s %5s %5s %6s %5s | %5s %5s %6s %5s\n", "example", "entry", "cont.", "chars",
	       "QR", "JSON", "zip", "JWS", "chars", "QR", "CBOR", "zlib", "chars", "QR");
	for (size_t i = 0; i < done; i++) {
		const struct row *w = &rows[i];
		printf("%-32s | %5zu %5zu %6zu   V%-2d | %5zu %5zu %5zu %6zu   V%-2d | %5zu %5zu %6zu   V%-2d\n", w->label,
		       w->o.entry_cbor, w->o.container, w->o.chars, w->o.version, w->s.payload_json, w->s.deflated,
		       w->s.jws, w->s.qr_chars, w->s.version, w->c.cbor, w->c.zlib, w->c.chars, w->c.version);
	}
	printf("\nRatios ours / baseline\n\n");
	printf("%-32s | %-27s | %-27s\n", "", "vs SHC-style", "vs DCC-style");
	printf("%-32s | %8s %8s %8s | %8s %8s %8s\n", "example", "bytes", "chars", "version", "bytes", "chars",
	       "version");
	double sum[6] = { 0 };
	for (size_t i = 0; i < done; i++) {
		const struct row *w = &rows[i];
		double r[6] = { (double)w->o.container / (double)w->s.jws, (double)w->o.chars / (double)w->s.qr_chars,
				(double)w->o.version / w->s.version, (double)w->o.container / (double)w->c.zlib,
				(double)w->o.chars / (double)w->c.chars, (double)w->o.version / w->c.version };
		printf("%-32s | %8.2f %8.2f %8.2f | %8.2f %8.2f %8.2f\n", w->label, r[0], r[1], r[2], r[3], r[4], r[5]);
		for (int j = 0; j < 6; j++)
			sum[j] += r[j];
	}
	if (done) {
		printf("%-32s | %8.2f %8.2f %8.2f | %8.2f %8.2f %8.2f\n", "mean", sum[0] / (double)done,
		       sum[1] / (double)done, sum[2] / (double)done, sum[3] / (double)done, sum[4] / (double)done,
		       sum[5] / (double)done);
		printf("\nbytes: ours = container; SHC = the JWS (text, as it goes into the QR code); DCC = zlib(COSE_Sign1)\n"
		       "(binary, before Base45). chars: ours \"PH1:\"+Base45; SHC \"shc:/\"+2 digits per JWS character\n"
		       "(numeric mode); DCC \"HC1:\"+Base45.\n"
		       "The SHC bundle leaves out migration, consent, plan, author and entry notes (ours carries them);\n"
		       "the DCC carries no certificate (ours embeds %zu B of one). Both favour the baselines.\n",
		       k.cert_len);
	}
	free(rows);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(k.cert);
	phr_seckey_destroy(k.auth);
	phr_seckey_destroy(k.clinic);
	return rc;
}
