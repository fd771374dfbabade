/* phr record (the JSON of phr_render_json) -> FHIR R4 IPS document Bundle. */
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fhir_int.h"
#include "phr/fhir.h"

#define DAR_URL "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
#define URL_LEN 46 /* "urn:uuid:" + 36 + NUL */

enum sec {
	SEC_PROBLEMS,
	SEC_ALLERGIES,
	SEC_MEDICATIONS,
	SEC_IMMUNIZATIONS,
	SEC_PROCEDURES,
	SEC_RESULTS,
	SEC_VITALS,
	SEC_PAST_ILLNESS,
	SEC_FUNCTIONAL,
	SEC_PREGNANCY,
	SEC_PLAN,
	SEC_NOTES,
	SEC_COUNT,
};
static const char *const sec_id[SEC_COUNT] = { "problems", "allergies", "medications", "immunizations",
					       "procedures", "results", "vitals", "past_illness",
					       "functional", "pregnancy", "plan", "notes" };
/* IPS requires these three: present with emptyReason when the record has nothing for them. */
#define SEC_REQUIRED(s) ((s) == SEC_PROBLEMS || (s) == SEC_ALLERGIES || (s) == SEC_MEDICATIONS)

struct ctx {
	int err;                  /* sticky: PHR_E_NOMEM */
	const char *rid;          /* record id, 32 hex digits */
	json_t *bentries;         /* Bundle.entry */
	json_t *omitted;
	json_t *sec[SEC_COUNT];   /* section entries (references) */
	json_t *narr[SEC_COUNT];  /* section narrative items (strings, not yet escaped) */
	json_t *targets;          /* this entry's resources, for its Provenance */
	json_t *orgs;             /* kid -> fullUrl */
	json_t *authors;          /* Composition.author */
	json_t *pracs;            /* "professional\x1frole" -> fullUrl */
	char source[128];         /* meta.source of this entry's resources */
	char patient[URL_LEN];
	long entry;               /* the entry's index (in its branch), -1 outside entries */
	bool side;                /* the entry is in branch B of a merged record */
	char ekey[24];            /* the entry in resource ids: "e3", or "b1" in branch B */
};

static void oom(struct ctx *c, int rc)
{
	if (rc && !c->err)
		c->err = PHR_E_NOMEM;
}

/* Sets key to v (stolen); NULL v is an out-of-memory failure. */
static void put(struct ctx *c, json_t *o, const char *key, json_t *v)
{
	if (!v || !o) {
		c->err = PHR_E_NOMEM;
		json_decref(v);
		return;
	}
	oom(c, json_object_set_new(o, key, v));
}

static void push(struct ctx *c, json_t *a, json_t *v)
{
	if (!v || !a) {
		c->err = PHR_E_NOMEM;
		json_decref(v);
		return;
	}
	oom(c, json_array_append_new(a, v));
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A name-based UUID for what label names in this record (RFC 9562 version 8):
 * the same record gives the same ids, so Bundles compare. */
static void uuid_of(const struct ctx *c, char out[URL_LEN], const char *fmt, ...) PHR_PRINTF(3, 4);
static void uuid_of(const struct ctx *c, char out[URL_LEN], const char *fmt, ...)
{
	char label[256];
	uint8_t h[16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	crypto_generichash_state st;
	crypto_generichash_init(&st, (const uint8_t *)"phr-fhir", 8, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)c->rid, strlen(c->rid));
	crypto_generichash_update(&st, (const uint8_t *)"/", 1);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_final(&st, h, sizeof(h));
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x80);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, URL_LEN,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2],
		 h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

static json_t *ref(const char *url)
{
	return json_pack("{s:s}", "reference", url);
}

static json_t *coding(const char *system, const char *code, const char *display)
{
	json_t *c = json_pack("{s:s, s:s}", "system", system, "code", code);
	if (c && display && *display)
		json_object_set_new(c, "display", json_string(display));
	return c;
}

static json_t *concept1(const char *system, const char *code, const char *display)
{
	json_t *cd = coding(system, code, display);
	return cd ? json_pack("{s:[o]}", "coding", cd) : NULL;
}

/* "system:code" of the record -> CodeableConcept with the system's FHIR URI. */
static json_t *concept(const char *rc)
{
	char sys[16];
	const char *colon = rc ? strchr(rc, ':') : NULL;
	if (!colon || (size_t)(colon - rc) >= sizeof(sys))
		return json_pack("{s:s}", "text", rc ? rc : "?");
	memcpy(sys, rc, (size_t)(colon - rc));
	sys[colon - rc] = '\0';
	const char *uri = phr_fhir_map("system", sys);
	if (!uri)
		return json_pack("{s:s}", "text", rc);
	return concept1(uri, colon + 1, NULL);
}

/* A fixed code of the table ("code" rows: "system|code"). */
static json_t *table_concept(const char *key)
{
	const char *v = phr_fhir_map("code", key);
	const char *bar = v ? strchr(v, '|') : NULL;
	char sys[128];
	if (!bar || (size_t)(bar - v) >= sizeof(sys))
		return NULL;
	memcpy(sys, v, (size_t)(bar - v));
	sys[bar - v] = '\0';
	return concept1(sys, bar + 1, fhir_map_display("code", key));
}

static json_t *dar(const char *code)
{
	return json_pack("{s:[{s:s, s:s}]}", "extension", "url", DAR_URL, "valueCode", code);
}

static json_t *note(const char *text)
{
	return json_pack("[{s:s}]", "text", text);
}

static json_t *quantity(json_t *value, const char *unit)
{
	json_t *q = json_pack("{s:O}", "value", value);
	if (q && unit) {
		json_object_set_new(q, "unit", json_string(unit));
		json_object_set_new(q, "system", json_string(phr_fhir_map("system", "ucum")));
		json_object_set_new(q, "code", json_string(unit));
	}
	return q;
}

static void narrate(struct ctx *c, enum sec s, const char *fmt, ...) PHR_PRINTF(3, 4);
static void narrate(struct ctx *c, enum sec s, const char *fmt, ...)
{
	char line[1600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	push(c, c->narr[s], json_string(line));
}

/* Adds a resource made from this entry (res is stolen): id, meta.source,
 * Bundle entry, section entry (s < 0: none), Provenance target. */
static void add(struct ctx *c, json_t *res, int s, const char *url)
{
	if (!res) {
		c->err = PHR_E_NOMEM;
		return;
	}
	/* resourceType, id and meta first, as FHIR writes them */
	json_t *o = json_pack("{s:O, s:s, s:{s:s}}", "resourceType", json_object_get(res, "resourceType"), "id", url + 9,
			      "meta", "source", c->source);
	if (!o || json_object_update_missing(o, res)) {
		c->err = PHR_E_NOMEM;
		json_decref(o);
		json_decref(res);
		return;
	}
	json_decref(res);
	res = o;
	push(c, c->bentries, json_pack("{s:s, s:o}", "fullUrl", url, "resource", res));
	if (s >= 0)
		push(c, c->sec[s], ref(url));
	if (c->targets)
		push(c, c->targets, ref(url));
}

static void omit(struct ctx *c, const char *what, const char *why)
{
	if (c->omitted)
		push(c, c->omitted,
		     c->side ? json_pack("{s:I, s:s, s:s, s:s}", "entry", (json_int_t)c->entry, "branch", "B", "what", what,
					 "why", why)
			     : json_pack("{s:I, s:s, s:s}", "entry", (json_int_t)c->entry, "what", what, "why", why));
}

static void omit_item(struct ctx *c, const char *sec, size_t i, const char *field, const char *why)
{
	char what[96];
	snprintf(what, sizeof(what), "%s[%zu].%s", sec, i, field);
	omit(c, what, why);
}

static void ex_history(struct ctx *c, json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN];
		const char *code = str(it, "code"), *cat = str(it, "category"), *onset = str(it, "onset");
		const char *status = str(it, "status"), *nt = str(it, "note");
		uuid_of(c, url, "%s/history/%zu", c->ekey, i);
		json_t *r;
		int s;
		if (cat && !strcmp(cat, "surgery")) {
			r = json_pack("{s:s, s:s, s:o, s:o}", "resourceType", "Procedure", "status", "completed", "code",
				      concept(code), "subject", ref(c->patient));
			if (onset)
				put(c, r, "performedDateTime", json_string(onset));
			else
				put(c, r, "_performedDateTime", dar("unknown"));
			s = SEC_PROCEDURES;
			if (status)
				omit_item(c, "history", i, "status", "a Procedure has no clinical status");
			narrate(c, s, "%s%s%s", code ? code : "?", onset ? ", " : "", onset ? onset : "");
		} else {
			json_t *cats = json_pack("[{s:[{s:s, s:s}]}]", "coding", "system",
						 "http://terminology.hl7.org/CodeSystem/condition-category", "code",
						 "problem-list-item");
			if (cats && cat)
				json_array_append_new(cats, json_pack("{s:s}", "text", cat));
			r = json_pack("{s:s, s:o, s:o, s:o}", "resourceType", "Condition", "category", cats, "code",
				      concept(code), "subject", ref(c->patient));
			const char *cs = status ? phr_fhir_map("enum", status[0] == 'a' ? "history.status:active" :
								       status[0] == 'r' ? "history.status:resolved" : "-") : NULL;
			if (cs)
				put(c, r, "clinicalStatus",
				    concept1("http://terminology.hl7.org/CodeSystem/condition-clinical", cs, NULL));
			if (onset)
				put(c, r, "onsetDateTime", json_string(onset));
			s = status && !strcmp(status, "resolved") ? SEC_PAST_ILLNESS : SEC_PROBLEMS;
			narrate(c, s, "%s%s%s%s%s%s", code ? code : "?", status ? " (" : "", status ? status : "",
				status ? ")" : "", onset ? ", since " : "", onset ? onset : "");
		}
		if (nt)
			put(c, r, "note", note(nt));
		add(c, r, s, url);
	}
}

static void ex_diagnoses(struct ctx *c, json_t *items, const char *date)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN];
		const char *code = str(it, "code"), *nt = str(it, "note");
		uuid_of(c, url, "%s/diagnoses/%zu", c->ekey, i);
		json_t *r = json_pack("{s:s, s:o, s:[{s:[{s:s, s:s}]}], s:o, s:o, s:s}", "resourceType", "Condition",
				      "clinicalStatus",
				      concept1("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", NULL),
				      "category", "coding", "system", "http://terminology.hl7.org/CodeSystem/condition-category",
				      "code", "encounter-diagnosis", "code", concept(code), "subject", ref(c->patient),
				      "recordedDate", date);
		if (nt)
			put(c, r, "note", note(nt));
		narrate(c, SEC_PROBLEMS, "%s (diagnosis, %s)", code ? code : "?", date);
		add(c, r, SEC_PROBLEMS, url);
	}
}

static void ex_medications(struct ctx *c, json_t *items, const char *date, bool treatment)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN];
		const char *code = str(it, "code"), *dosage = str(it, "dosage"), *since = str(it, "since");
		const char *nt = str(it, "note");
		uuid_of(c, url, "%s/%s/%zu", c->ekey, treatment ? "treatments" : "medications", i);
		json_t *r = json_pack("{s:s, s:s, s:o, s:o}", "resourceType", "MedicationStatement", "status", "active",
				      "medicationCodeableConcept", concept(code), "subject", ref(c->patient));
		if (treatment) {
			put(c, r, "category",
			    json_pack("{s:[{s:s, s:s}], s:s}", "coding", "system",
				      "http://terminology.hl7.org/CodeSystem/medication-statement-category", "code", "outpatient",
				      "text", "treatment given or prescribed at this visit"));
			put(c, r, "effectivePeriod", json_pack("{s:s}", "start", date));
		} else if (since) {
			put(c, r, "effectivePeriod", json_pack("{s:s}", "start", since));
		} else {
			put(c, r, "_effectiveDateTime", dar("unknown"));
		}
		if (dosage)
			put(c, r, "dosage", json_pack("[{s:s}]", "text", dosage));
		if (nt)
			put(c, r, "note", note(nt));
		narrate(c, SEC_MEDICATIONS, "%s%s%s%s", code ? code : "?", dosage ? ": " : "", dosage ? dosage : "",
			treatment ? " (given or prescribed at this visit)" : "");
		add(c, r, SEC_MEDICATIONS, url);
	}
}

static void ex_allergies(struct ctx *c, json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN], key[64];
		const char *code = str(it, "code"), *crit = str(it, "criticality"), *reaction = str(it, "reaction");
		uuid_of(c, url, "%s/allergies/%zu", c->ekey, i);
		json_t *r = json_pack("{s:s, s:o, s:o, s:o}", "resourceType", "AllergyIntolerance", "clinicalStatus",
				      concept1("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active",
					       NULL),
				      "code", concept(code), "patient", ref(c->patient));
		if (crit) {
			snprintf(key, sizeof(key), "allergies.criticality:%s", crit);
			const char *v = phr_fhir_map("enum", key);
			if (v)
				put(c, r, "criticality", json_string(v));
		}
		if (reaction)
			put(c, r, "reaction", json_pack("[{s:[{s:s}]}]", "manifestation", "text", reaction));
		narrate(c, SEC_ALLERGIES, "%s%s%s%s%s", code ? code : "?", crit ? ", criticality " : "", crit ? crit : "",
			reaction ? ": " : "", reaction ? reaction : "");
		add(c, r, SEC_ALLERGIES, url);
	}
}

static void location_of(struct ctx *c, const char *country, char url[URL_LEN])
{
	uuid_of(c, url, "location/%s", country);
	for (size_t i = 0; i < json_array_size(c->bentries); i++)
		if (!strcmp(str(json_array_get(c->bentries, i), "fullUrl"), url))
			return;
	json_t *r = json_pack("{s:s, s:s, s:s, s:{s:s}}", "resourceType", "Location", "id", url + 9, "name", country,
			      "address", "country", country);
	if (r)
		put(c, r, "meta", json_pack("{s:s}", "source", c->source));
	push(c, c->bentries, json_pack("{s:s, s:o}", "fullUrl", url, "resource", r));
}

static void ex_vaccinations(struct ctx *c, json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN], key[64];
		const char *vac = str(it, "vaccine"), *date = str(it, "date"), *country = str(it, "country");
		const char *lot = str(it, "lot"), *src = str(it, "source");
		json_t *dose = json_object_get(it, "dose"), *of = json_object_get(it, "of");
		uuid_of(c, url, "%s/vaccinations/%zu", c->ekey, i);
		json_t *r = json_pack("{s:s, s:s, s:o, s:o}", "resourceType", "Immunization", "status", "completed",
				      "vaccineCode", concept(vac), "patient", ref(c->patient));
		if (date)
			put(c, r, "occurrenceDateTime", json_string(date));
		else
			put(c, r, "occurrenceString", json_string("unknown"));
		if (src) {
			snprintf(key, sizeof(key), "vaccinations.source:%s", src);
			const char *v = phr_fhir_map("enum", key);
			put(c, r, "primarySource", json_boolean(!strcmp(src, "given")));
			if (v)
				put(c, r, "reportOrigin",
				    concept1("http://terminology.hl7.org/CodeSystem/immunization-origin", v, NULL));
		}
		if (lot)
			put(c, r, "lotNumber", json_string(lot));
		if (country) {
			char lurl[URL_LEN];
			location_of(c, country, lurl);
			put(c, r, "location", ref(lurl));
		}
		if (dose || of) {
			json_t *pa = json_object();
			if (dose)
				put(c, pa, "doseNumberPositiveInt", json_copy(dose));
			else
				put(c, pa, "doseNumberString", json_string("unknown"));
			if (of)
				put(c, pa, "seriesDosesPositiveInt", json_copy(of));
			put(c, r, "protocolApplied", json_pack("[o]", pa));
		}
		narrate(c, SEC_IMMUNIZATIONS, "%s%s%s%s%s", vac ? vac : "?", date ? ", " : "", date ? date : "",
			src ? ", " : "", src ? src : "");
		add(c, r, SEC_IMMUNIZATIONS, url);
	}
}

static json_t *observation(struct ctx *c, const char *category, json_t *code, const char *when)
{
	json_t *r = json_pack("{s:s, s:s, s:[{s:[{s:s, s:s}]}], s:o, s:o}", "resourceType", "Observation", "status",
			      "final", "category", "coding", "system",
			      "http://terminology.hl7.org/CodeSystem/observation-category", "code", category, "code", code,
			      "subject", ref(c->patient));
	if (when)
		put(c, r, "effectiveDateTime", json_string(when));
	else
		put(c, r, "_effectiveDateTime", dar("unknown"));
	return r;
}

static json_t *interpretation(const char *v)
{
	return json_pack("[o]",
			 concept1("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", v, NULL));
}

static void ex_results(struct ctx *c, json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN], key[64];
		const char *test = str(it, "test"), *date = str(it, "date"), *res = str(it, "result");
		const char *unit = str(it, "unit"), *nt = str(it, "note");
		json_t *value = json_object_get(it, "value");
		uuid_of(c, url, "%s/results/%zu", c->ekey, i);
		json_t *r = observation(c, "laboratory", concept(test), date);
		snprintf(key, sizeof(key), "results.result:%s", res ? res : "");
		const char *v = phr_fhir_map("enum", key);
		if (res && (!strcmp(res, "pending") || !strcmp(res, "not_done"))) {
			if (v)
				put(c, r, "status", json_string(v));
			if (!strcmp(res, "not_done"))
				put(c, r, "dataAbsentReason",
				    concept1("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed", NULL));
		} else if (v) {
			put(c, r, "interpretation", interpretation(v));
		}
		if (value && !(res && !strcmp(res, "not_done")))
			put(c, r, "valueQuantity", quantity(value, unit));
		else if (value)
			omit_item(c, "results", i, "value", "a test not done carries no value in FHIR (obs-6)");
		if (unit && !value)
			omit_item(c, "results", i, "unit", "a unit without a value has no place in FHIR");
		if (nt)
			put(c, r, "note", note(nt));
		narrate(c, SEC_RESULTS, "%s: %s%s%s", test ? test : "?", res ? res : "?", date ? ", " : "", date ? date : "");
		add(c, r, SEC_RESULTS, url);
	}
}

static void ex_vitals(struct ctx *c, json_t *items, const char *date)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char url[URL_LEN];
		const char *code = str(it, "code"), *unit = str(it, "unit");
		json_t *value = json_object_get(it, "value");
		uuid_of(c, url, "%s/vitals/%zu", c->ekey, i);
		json_t *r = observation(c, "vital-signs", concept(code), date);
		if (value)
			put(c, r, "valueQuantity", quantity(value, unit));
		char *v = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(9)) : NULL;
		narrate(c, SEC_VITALS, "%s: %s %s", code ? code : "?", v ? v : "?", unit ? unit : "");
		free(v);
		add(c, r, SEC_VITALS, url);
	}
}

static void ex_pregnancy(struct ctx *c, json_t *p, const char *date)
{
	char url[URL_LEN], key[64];
	const char *status = str(p, "status"), *edd = str(p, "expected_delivery");
	json_t *g = json_object_get(p, "gravida"), *para = json_object_get(p, "para");
	json_t *members = json_array();
	if (edd) {
		uuid_of(c, url, "%s/pregnancy/expected_delivery", c->ekey);
		json_t *r = observation(c, "exam", table_concept("pregnancy.expected_delivery"), date);
		put(c, r, "valueDateTime", json_string(edd));
		push(c, members, ref(url));
		add(c, r, SEC_PREGNANCY, url);
	}
	if (g) {
		uuid_of(c, url, "%s/pregnancy/gravida", c->ekey);
		json_t *r = observation(c, "exam", table_concept("pregnancy.gravida"), date);
		put(c, r, "valueInteger", json_copy(g));
		add(c, r, SEC_PREGNANCY, url);
	}
	if (para) {
		uuid_of(c, url, "%s/pregnancy/para", c->ekey);
		json_t *r = observation(c, "exam", table_concept("pregnancy.para"), date);
		put(c, r, "valueInteger", json_copy(para));
		add(c, r, SEC_PREGNANCY, url);
	}
	uuid_of(c, url, "%s/pregnancy/status", c->ekey);
	json_t *r = observation(c, "exam", table_concept("pregnancy.status"), date);
	snprintf(key, sizeof(key), "pregnancy.status:%s", status ? status : "");
	const char *v = phr_fhir_map("enum", key);
	if (v)
		put(c, r, "valueCodeableConcept", concept1(phr_fhir_map("system", "snomed"), v, NULL));
	if (json_array_size(members))
		put(c, r, "hasMember", members);
	else
		json_decref(members);
	narrate(c, SEC_PREGNANCY, "%s%s%s", status ? status : "?", edd ? ", expected delivery " : "", edd ? edd : "");
	add(c, r, SEC_PREGNANCY, url);
}

static void ex_mental(struct ctx *c, json_t *m, const char *date)
{
	char url[URL_LEN], key[64];
	const char *scr = str(m, "screening"), *tool = str(m, "tool"), *nt = str(m, "note");
	json_t *referral = json_object_get(m, "referral");
	uuid_of(c, url, "%s/mental_health", c->ekey);
	json_t *code = tool ? concept(tool) : json_pack("{s:s}", "text", "Mental health screening");
	json_t *r = observation(c, "survey", code, date);
	snprintf(key, sizeof(key), "mental_health.screening:%s", scr ? scr : "");
	const char *v = phr_fhir_map("enum", key);
	if (scr && !strcmp(scr, "not_done"))
		put(c, r, "dataAbsentReason",
		    concept1("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed", NULL));
	else if (v)
		put(c, r, "interpretation", interpretation(v));
	json_t *notes = json_array();
	if (nt)
		push(c, notes, json_pack("{s:s}", "text", nt));
	if (referral)
		push(c, notes, json_pack("{s:s}", "text",
					 json_is_true(referral) ? "Referral to mental-health services needed."
								: "No referral to mental-health services needed."));
	if (json_array_size(notes))
		put(c, r, "note", notes);
	else
		json_decref(notes);
	narrate(c, SEC_FUNCTIONAL, "Mental health screening%s%s: %s", tool ? " " : "", tool ? tool : "", scr ? scr : "?");
	add(c, r, SEC_FUNCTIONAL, url);
}

static void ex_plan(struct ctx *c, json_t *p)
{
	char url[URL_LEN], key[64];
	const char *fu = str(p, "follow_up"), *nt = str(p, "notes");
	json_t *refs = json_object_get(p, "referrals"), *acts = json_array(), *it;
	size_t i;
	json_array_foreach(refs, i, it) {
		char rurl[URL_LEN];
		const char *reason = str(it, "reason"), *to = str(it, "to"), *urg = str(it, "urgency");
		uuid_of(c, rurl, "%s/plan/referrals/%zu", c->ekey, i);
		json_t *r = json_pack("{s:s, s:s, s:s, s:o, s:[o]}", "resourceType", "ServiceRequest", "status", "active",
				      "intent", "order", "subject", ref(c->patient), "reasonCode", concept(reason));
		put(c, r, "code", json_pack("{s:s}", "text", "Referral"));
		if (to)
			put(c, r, "performerType", json_pack("{s:s}", "text", to));
		if (urg) {
			snprintf(key, sizeof(key), "plan.referrals.urgency:%s", urg);
			const char *v = phr_fhir_map("enum", key);
			if (v)
				put(c, r, "priority", json_string(v));
		}
		push(c, acts, json_pack("{s:o}", "reference", ref(rurl)));
		narrate(c, SEC_PLAN, "Referral: %s%s%s%s%s", reason ? reason : "?", to ? " to " : "", to ? to : "",
			urg ? ", " : "", urg ? urg : "");
		add(c, r, SEC_PLAN, rurl);
	}
	if (fu) {
		push(c, acts, json_pack("{s:{s:s, s:s, s:{s:s}, s:s}}", "detail", "kind", "Appointment", "status", "scheduled",
					"scheduledPeriod", "start", fu, "description", "Next visit"));
		narrate(c, SEC_PLAN, "Next visit: %s", fu);
	}
	if (nt)
		narrate(c, SEC_PLAN, "%s", nt);
	uuid_of(c, url, "%s/plan", c->ekey);
	json_t *r = json_pack("{s:s, s:s, s:s, s:o}", "resourceType", "CarePlan", "status", "active", "intent", "plan",
			      "subject", ref(c->patient));
	if (nt)
		put(c, r, "description", json_string(nt));
	if (json_array_size(acts))
		put(c, r, "activity", acts);
	else
		json_decref(acts);
	add(c, r, SEC_PLAN, url);
}

/* The Organization of the signing clinic (one per key). */
static void org_of(struct ctx *c, const json_t *signer, char url[URL_LEN])
{
	const char *kid = str(signer, "kid"), *clinic = str(signer, "clinic"), *country = str(signer, "country");
	uuid_of(c, url, "organization/%s", kid ? kid : "?");
	if (json_object_get(c->orgs, url))
		return;
	oom(c, json_object_set_new(c->orgs, url, json_true()));
	char name[200];
	if (clinic)
		snprintf(name, sizeof(name), "%s", clinic);
	else
		snprintf(name, sizeof(name), "Unidentified signer (key %s)", kid ? kid : "?");
	json_t *r = json_pack("{s:s, s:s, s:{s:s}, s:[{s:s, s:s}], s:s}", "resourceType", "Organization", "id", url + 9,
			      "meta", "source", c->source, "identifier", "system", "urn:ietf:rfc:3986", "value", "", "name",
			      name);
	if (r) {
		char v[64];
		snprintf(v, sizeof(v), "urn:phr:kid:%s", kid ? kid : "unknown");
		json_object_set_new(json_array_get(json_object_get(r, "identifier"), 0), "value", json_string(v));
		if (country)
			put(c, r, "address", json_pack("[{s:s}]", "country", country));
	}
	push(c, c->bentries, json_pack("{s:s, s:o}", "fullUrl", url, "resource", r));
	push(c, c->authors, ref(url));
}

static void prac_of(struct ctx *c, const json_t *author, char url[URL_LEN])
{
	const char *prof = str(author, "professional"), *role = str(author, "role");
	char key[200];
	snprintf(key, sizeof(key), "%s\x1f%s", prof ? prof : "", role ? role : "");
	uuid_of(c, url, "practitioner/%s", key);
	if (json_object_get(c->pracs, url))
		return;
	oom(c, json_object_set_new(c->pracs, url, json_true()));
	json_t *r = json_pack("{s:s, s:s, s:{s:s}}", "resourceType", "Practitioner", "id", url + 9, "meta", "source",
			      c->source);
	if (prof)
		put(c, r, "name", json_pack("[{s:s}]", "text", prof));
	if (role)
		put(c, r, "qualification", json_pack("[{s:{s:s}}]", "code", "text", role));
	push(c, c->bentries, json_pack("{s:s, s:o}", "fullUrl", url, "resource", r));
	push(c, c->authors, ref(url));
}

/* identity fields, the latest entry's value of each winning */
static void merge_identity(json_t *acc, const json_t *id)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)id, k, v)
		json_object_set(acc, k, v);
}

static json_t *patient(struct ctx *c, const json_t *id)
{
	json_t *r = json_pack("{s:s, s:s, s:{s:s}, s:[{s:s, s:s}]}", "resourceType", "Patient", "id", c->patient + 9,
			      "meta", "source", "", "identifier", "system", "urn:ietf:rfc:3986", "value", "");
	if (!r)
		return NULL;
	char v[96];
	snprintf(v, sizeof(v), "urn:phr:record:%s", c->rid);
	json_object_set_new(json_object_get(r, "meta"), "source", json_string(v));
	json_object_set_new(json_array_get(json_object_get(r, "identifier"), 0), "value", json_string(v));
	json_t *names = json_object_get(id, "names"), *it;
	size_t i;
	json_t *fn = json_array();
	json_array_foreach(names, i, it) {
		json_t *n = json_object();
		const char *fam = str(it, "family"), *giv = str(it, "given"), *lang = str(it, "lang");
		if (fam)
			put(c, n, "family", json_string(fam));
		if (giv)
			put(c, n, "given", json_pack("[s]", giv));
		if (lang)
			put(c, n, "extension", json_pack("[{s:s, s:s}]", "url",
							 "http://hl7.org/fhir/StructureDefinition/language", "valueCode", lang));
		if (!fam && !giv)
			put(c, n, "text", json_string("(name not given)"));
		push(c, fn, n);
	}
	if (!json_array_size(fn)) /* a pseudonymous record: IPS wants a name element all the same */
		push(c, fn, json_pack("{s:s, s:[{s:s, s:s}]}", "text", "pseudonymous record: no name given", "extension",
				      "url", DAR_URL, "valueCode", "masked"));
	put(c, r, "name", fn);
	const char *sex = str(id, "sex"), *bd = str(id, "birth_date"), *nat = str(id, "nationality");
	if (sex)
		put(c, r, "gender", json_string(sex));
	if (bd)
		put(c, r, "birthDate", json_string(bd));
	else
		put(c, r, "_birthDate", dar("unknown"));
	json_t *ext = json_array();
	if (nat)
		push(c, ext, json_pack("{s:s, s:[{s:s, s:o}]}", "url",
				       "http://hl7.org/fhir/StructureDefinition/patient-nationality", "extension", "url", "code",
				       "valueCodeableConcept", concept1(phr_fhir_map("system", "iso3166"), nat, NULL)));
	json_t *interp = json_object_get(id, "interpreter");
	if (interp)
		push(c, ext, json_pack("{s:s, s:O}", "url", "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired",
				       "valueBoolean", interp));
	if (json_array_size(ext))
		put(c, r, "extension", ext);
	else
		json_decref(ext);
	json_t *langs = json_object_get(id, "languages"), *comm = json_array();
	const char *pref = str(id, "preferred_language");
	bool pref_done = false;
	json_array_foreach(langs, i, it) {
		const char *l = json_string_value(it);
		json_t *cm = json_pack("{s:o}", "language", concept1(phr_fhir_map("system", "bcp47"), l ? l : "und", NULL));
		if (pref && l && !strcmp(pref, l)) {
			put(c, cm, "preferred", json_true());
			pref_done = true;
		}
		push(c, comm, cm);
	}
	if (pref && !pref_done)
		push(c, comm, json_pack("{s:o, s:b}", "language", concept1(phr_fhir_map("system", "bcp47"), pref, NULL),
					"preferred", 1));
	if (json_array_size(comm))
		put(c, r, "communication", comm);
	else
		json_decref(comm);
	return r;
}

static const char *verification_status(const char *st)
{
	if (st && !strcmp(st, "valid"))
		return "validated";
	if (st && !strcmp(st, "signature_only"))
		return "req-revalid"; /* no trust bundle given: the signers were not checked */
	return "val-fail";
}

/* Appends s to the buffer, escaped for XHTML text when esc. */
static void append(struct ctx *c, char **out, size_t *len, size_t *cap, const char *s, bool esc)
{
	for (; s && *s && !c->err; s++) {
		const char *rep = !esc ? NULL : *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
		size_t n = rep ? strlen(rep) : 1;
		if (*len + n + 1 > *cap) {
			size_t nc = (*cap ? *cap * 2 : 256) + n;
			char *p = realloc(*out, nc);
			if (!p) {
				c->err = PHR_E_NOMEM;
				return;
			}
			*out = p;
			*cap = nc;
		}
		memcpy(*out + *len, rep ? rep : s, n);
		*len += n;
		(*out)[*len] = '\0';
	}
}

/* Section.text: the items as an XHTML list (or the empty sentence). */
static json_t *narrative(struct ctx *c, json_t *lines, const char *empty)
{
	char *d = NULL;
	size_t len = 0, cap = 0, i;
	json_t *l;
	append(c, &d, &len, &cap, "<div xmlns=\"http://www.w3.org/1999/xhtml\">", false);
	if (!json_array_size(lines)) {
		append(c, &d, &len, &cap, "<p>", false);
		append(c, &d, &len, &cap, empty, true);
		append(c, &d, &len, &cap, "</p>", false);
	} else {
		append(c, &d, &len, &cap, "<ul>", false);
		json_array_foreach(lines, i, l) {
			append(c, &d, &len, &cap, "<li>", false);
			append(c, &d, &len, &cap, json_string_value(l), true);
			append(c, &d, &len, &cap, "</li>", false);
		}
		append(c, &d, &len, &cap, "</ul>", false);
	}
	append(c, &d, &len, &cap, "</div>", false);
	json_t *t = c->err ? NULL : json_pack("{s:s, s:s}", "status", "generated", "div", d);
	free(d);
	return t;
}

/* One entry of the shown record (main chain, or branch B when c->side)
 * into the Bundle: its resources, its Provenance and VerificationResult,
 * the identity it gives, an attester when its signature is valid. */
static void export_entry(struct ctx *c, const json_t *e, const char *now, const char *comp_url, json_t *identity,
			 json_t *attesters, const char **last_signed, bool *sealed_opened)
{
	const json_t *content = json_object_get(e, "content"), *signer = json_object_get(e, "signer");
	const char *status = str(e, "status"), *signed_at = str(e, "signed_at"), *detail = str(e, "detail");
	const json_t *sealed = json_object_get(e, "sealed");
	if (sealed && !json_is_true(json_object_get(sealed, "opened"))) {
		char why[160];
		snprintf(why, sizeof(why), "%lld sealed section(s) not opened: the holder key opens them",
			 (long long)json_integer_value(json_object_get(sealed, "sections")));
		omit(c, "sealed sections", why);
	} else if (sealed) {
		*sealed_opened = true;
	}
	char org[URL_LEN], prov[URL_LEN], vr[URL_LEN];
	org_of(c, signer, org);
	if (!json_is_object(content)) {
		omit(c, "content", "the entry cannot be read");
		return;
	}
	c->targets = json_array();
	const char *date = str(content, "date");
	if (!date)
		date = "1900-01-01";
	const json_t *id = json_object_get(content, "identity");
	if (json_is_object(id)) {
		merge_identity(identity, id);
		if (json_object_get(id, "origin"))
			omit(c, "identity.origin", "FHIR has no element for the country of origin");
		push(c, c->targets, ref(c->patient));
	}
	ex_history(c, json_object_get(content, "history"));
	ex_diagnoses(c, json_object_get(content, "diagnoses"), date);
	ex_medications(c, json_object_get(content, "medications"), date, false);
	ex_medications(c, json_object_get(content, "treatments"), date, true);
	ex_allergies(c, json_object_get(content, "allergies"));
	ex_vaccinations(c, json_object_get(content, "vaccinations"));
	if (json_is_true(json_object_get(content, "no_vaccination_documents"))) {
		narrate(c, SEC_IMMUNIZATIONS, "No vaccination documents (%s): treated as unvaccinated", date);
	}
	ex_results(c, json_object_get(content, "results"));
	ex_vitals(c, json_object_get(content, "vitals"), date);
	if (json_is_object(json_object_get(content, "pregnancy")))
		ex_pregnancy(c, json_object_get(content, "pregnancy"), date);
	if (json_is_object(json_object_get(content, "mental_health")))
		ex_mental(c, json_object_get(content, "mental_health"), date);
	if (json_is_object(json_object_get(content, "plan")))
		ex_plan(c, json_object_get(content, "plan"));
	if (str(content, "notes"))
		narrate(c, SEC_NOTES, "%s", str(content, "notes"));
	const json_t *author = json_object_get(content, "author");
	char prac[URL_LEN] = "";
	if (json_is_object(author) && (str(author, "professional") || str(author, "role")))
		prac_of(c, author, prac);
	if (json_is_object(author) && str(author, "mediator"))
		omit(c, "author.mediator", "FHIR has no place for a cultural mediator in a summary");
	if (json_object_get(content, "migration"))
		omit(c, "migration", "not part of a patient summary");
	if (json_object_get(content, "consent"))
		omit(c, "consent", "a FHIR Consent needs a policy the record does not carry");
	if (json_object_get(content, "documents"))
		omit(c, "documents", "the documents' bytes are not in the record");
	/* Provenance: who signed this entry, when, and which resources it gave. */
	uuid_of(c, prov, "%s/provenance", c->ekey);
	if (!json_array_size(c->targets))
		push(c, c->targets, ref(comp_url));
	json_t *agents = json_pack("[{s:{s:[{s:s, s:s}]}, s:o}]", "type", "coding", "system",
				   "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code",
				   "author", "who", ref(org));
	if (prac[0])
		push(c, agents, json_pack("{s:{s:[{s:s, s:s}]}, s:o, s:o}", "type", "coding", "system",
					   "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code",
					   "performer", "who", ref(prac), "onBehalfOf", ref(org)));
	char disp[128];
	const char *what = c->source; /* the entry's own URN */
	snprintf(disp, sizeof(disp), "phr record %s, %sentry %ld", c->rid, c->side ? "branch B, " : "", c->entry);
	json_t *p = json_pack("{s:s, s:o, s:s, s:s, s:o, s:[{s:s, s:{s:{s:s, s:s}, s:s}}], s:[{s:[{s:s, s:s, s:s}], "
			      "s:s, s:o, s:s}]}",
			      "resourceType", "Provenance", "target", c->targets, "occurredDateTime", date, "recorded",
			      signed_at ? signed_at : now, "agent", agents, "entity", "role", "source", "what",
			      "identifier", "system", "urn:ietf:rfc:3986", "value", what, "display", disp, "signature",
			      "type", "system", "urn:iso-astm:E1762-95:2013", "code", "1.2.840.10065.1.12.1.1",
			      "display", "Author's Signature", "when", signed_at ? signed_at : now, "who", ref(org),
			      "sigFormat", "application/cose");
	c->targets = NULL;
	add(c, p, -1, prov);
	/* VerificationResult: what phr's check of the signature, certificate and chain found. */
	char process[400];
	snprintf(process, sizeof(process), "phr verification (signature, certificate, revocation, chain): %s%s%s",
		 status ? status : "unknown", detail && *detail ? ": " : "", detail ? detail : "");
	uuid_of(c, vr, "%s/verification", c->ekey);
	json_t *v = json_pack("{s:s, s:[o], s:s, s:s, s:{s:[{s:s, s:s}]}, s:[{s:s}], s:s}", "resourceType",
			      "VerificationResult", "target", ref(prov), "status", verification_status(status),
			      "statusDate", now, "validationType", "coding", "system",
			      "http://terminology.hl7.org/CodeSystem/verificationresult-validation-type", "code",
			      "primary", "validationProcess", "text", process, "lastPerformed", now);
	add(c, v, -1, vr);
	if (status && !strcmp(status, "valid") && signed_at)
		push(c, attesters, json_pack("{s:s, s:s, s:o}", "mode", "legal", "time", signed_at, "party", ref(org)));
	if (signed_at)
		*last_signed = signed_at;
}

int phr_fhir_export(const json_t *shown, const struct phr_fhir_export_opts *opts, json_t **bundle, json_t **omitted)
{
	struct ctx c;
	json_t *comp = NULL, *b = NULL, *identity = NULL, *attesters = NULL;
	char now[32], comp_url[URL_LEN], bundle_url[URL_LEN];
	const char *last_signed = NULL;
	bool sealed_opened = false;
	*bundle = NULL;
	if (omitted)
		*omitted = NULL;
	memset(&c, 0, sizeof(c));
	const json_t *entries = json_object_get(shown, "entries");
	c.rid = str(shown, "record_id");
	if (!json_is_array(entries) || !c.rid || strlen(c.rid) != 32)
		return phr_fail(PHR_E_ARG, "fhir export: not the JSON of a shown record (record_id, entries)");
	if (!fhir_map_ok())
		return phr_fail(PHR_E_NOMEM, "fhir export: the mapping table did not load");
	time_t t = (time_t)opts->now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	c.bentries = json_array();
	c.omitted = json_array();
	c.orgs = json_object();
	c.pracs = json_object();
	c.authors = json_array();
	identity = json_object();
	attesters = json_array();
	for (int s = 0; s < SEC_COUNT; s++) {
		c.sec[s] = json_array();
		c.narr[s] = json_array();
	}
	if (!c.bentries || !c.omitted || !c.orgs || !c.pracs || !c.authors || !identity || !attesters)
		c.err = PHR_E_NOMEM;
	uuid_of(&c, comp_url, "composition");
	uuid_of(&c, c.patient, "patient");
	/* The Composition comes first and the Patient second (a document Bundle's rule). */
	push(&c, c.bentries, json_pack("{s:s}", "fullUrl", comp_url));
	push(&c, c.bentries, json_pack("{s:s}", "fullUrl", c.patient));
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		if (c.err)
			break;
		c.entry = (long)i;
		snprintf(c.ekey, sizeof(c.ekey), "e%zu", i);
		snprintf(c.source, sizeof(c.source), "urn:phr:record:%s:entry:%zu", c.rid, i);
		export_entry(&c, e, now, comp_url, identity, attesters, &last_signed, &sealed_opened);
	}
	/* A merged record: branch B's entries too (docs/FORMAT.md, "Merged
	 * records"), each named by its index in its branch. */
	json_array_foreach(json_object_get(shown, "branch_b"), i, e) {
		if (c.err)
			break;
		json_int_t bi = json_integer_value(json_object_get(e, "index"));
		c.entry = (long)bi;
		c.side = true;
		snprintf(c.ekey, sizeof(c.ekey), "b%lld", (long long)bi);
		snprintf(c.source, sizeof(c.source), "urn:phr:record:%s:branch-b:entry:%lld", c.rid, (long long)bi);
		export_entry(&c, e, now, comp_url, identity, attesters, &last_signed, &sealed_opened);
	}
	c.side = false;
	if (c.err)
		goto done;
	c.entry = -1;
	/* Patient: second in the Bundle */
	json_t *pat = patient(&c, identity);
	if (!pat) {
		c.err = PHR_E_NOMEM;
		goto done;
	}
	put(&c, json_array_get(c.bentries, 1), "resource", pat);
	/* Composition */
	char title[128], cid[128];
	snprintf(title, sizeof(title), "International Patient Summary (phr record %s)", c.rid);
	snprintf(cid, sizeof(cid), "urn:phr:record:%s:version:%s", c.rid,
		 str(shown, "version_id") ? str(shown, "version_id") : "none");
	comp = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s}, s:s, s:o, s:o, s:s, s:O, s:s, s:s}", "resourceType",
			 "Composition", "id", comp_url + 9, "meta", "source", "", "identifier", "system",
			 "urn:ietf:rfc:3986", "value", cid, "status", "final", "type", table_concept("composition.type"),
			 "subject", ref(c.patient), "date", last_signed ? last_signed : now, "author", c.authors, "title",
			 title, "confidentiality", sealed_opened ? "R" : "N");
	if (!comp) {
		c.err = PHR_E_NOMEM;
		goto done;
	}
	char src[96];
	snprintf(src, sizeof(src), "urn:phr:record:%s", c.rid);
	json_object_set_new(json_object_get(comp, "meta"), "source", json_string(src));
	if (json_array_size(attesters))
		put(&c, comp, "attester", json_incref(attesters));
	json_t *sections = json_array();
	for (int s = 0; s < SEC_COUNT; s++) {
		bool has = json_array_size(c.sec[s]) || json_array_size(c.narr[s]);
		if (!has && !SEC_REQUIRED(s))
			continue;
		const char *loinc = phr_fhir_map("section", sec_id[s]);
		const char *ttl = fhir_map_display("section", sec_id[s]);
		json_t *sec = json_pack("{s:s, s:o}", "title", ttl ? ttl : sec_id[s], "code",
					concept1(phr_fhir_map("system", "loinc"), loinc ? loinc : "?", ttl));
		put(&c, sec, "text", narrative(&c, c.narr[s], "No information about this in the record."));
		if (json_array_size(c.sec[s]))
			put(&c, sec, "entry", json_incref(c.sec[s]));
		else if (s != SEC_NOTES)
			put(&c, sec, "emptyReason",
			    json_pack("{s:[{s:s, s:s, s:s}]}", "coding", "system",
				      "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code", "unavailable",
				      "display", "Unavailable"));
		push(&c, sections, sec);
	}
	put(&c, comp, "section", sections);
	put(&c, json_array_get(c.bentries, 0), "resource", comp);
	comp = NULL;
	uuid_of(&c, bundle_url, "bundle/%s/%d", str(shown, "version_id") ? str(shown, "version_id") : "none",
		sealed_opened);
	b = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:O}", "resourceType", "Bundle", "id", bundle_url + 9,
		      "identifier", "system", "urn:ietf:rfc:3986", "value", bundle_url, "type", "document", "timestamp",
		      now, "entry", c.bentries);
	if (!b)
		c.err = PHR_E_NOMEM;
done:
	json_decref(comp);
	json_decref(identity);
	json_decref(attesters);
	json_decref(c.bentries);
	json_decref(c.orgs);
	json_decref(c.pracs);
	json_decref(c.authors);
	for (int s = 0; s < SEC_COUNT; s++) {
		json_decref(c.sec[s]);
		json_decref(c.narr[s]);
	}
	if (c.err) {
		json_decref(b);
		json_decref(c.omitted);
		return phr_fail(c.err, "fhir export: out of memory");
	}
	*bundle = b;
	if (omitted)
		*omitted = c.omitted;
	else
		json_decref(c.omitted);
	return PHR_OK;
}

char *phr_fhir_dump(const json_t *bundle)
{
	return json_dumps(bundle, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
}
