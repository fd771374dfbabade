/* FHIR R4 document Bundle (an IPS) -> one phr entry, with its losses listed. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir_int.h"
#include "phr/fhir.h"
#include "phr/json.h"

/* Items a record array takes (docs/RECORD.md, Limits). */
#define IM_MAX_ARRAY 64
#define IM_MAX_VITALS 32
#define IM_MAX_REFERRALS 16
#define IM_MAX_NAMES 4
#define IM_MAX_LANGUAGES 8
#define IM_MAX_FIXES 512 /* items dropped one by one before giving up */
/* the sentences phr's export writes for mental_health.referral */
#define REFERRAL_YES "Referral to mental-health services needed."
#define REFERRAL_NO "No referral to mental-health services needed."

struct im {
	int err;
	json_t *root;    /* the parsed Bundle */
	json_t *res;     /* Bundle.entry[].resource, in order */
	json_t *urls;    /* Bundle.entry[].fullUrl (or "") */
	char *used;      /* per resource: consumed */
	json_t *entry;   /* the record entry being built */
	json_t *losses;
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void lose(struct im *m, const char *where, const char *what, const char *fmt, ...) PHR_PRINTF(4, 5);
static void lose(struct im *m, const char *where, const char *what, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	size_t n = json_array_size(m->losses);
	if (n > PHR_FHIR_MAX_LOSSES)
		return;
	json_t *l = n == PHR_FHIR_MAX_LOSSES
			    ? json_pack("{s:s, s:s, s:s}", "where", "Bundle", "what", "more items",
					"why", "the list stops at PHR_FHIR_MAX_LOSSES")
			    : json_pack("{s:s, s:s, s:s}", "where", where, "what", what, "why", why);
	if (!l || json_array_append_new(m->losses, l))
		m->err = PHR_E_NOMEM;
}

/* "Bundle.entry[3] (Condition)" */
static void where_of(const struct im *m, size_t i, char *out, size_t cap)
{
	const char *t = str(json_array_get(m->res, i), "resourceType");
	snprintf(out, cap, "Bundle.entry[%zu] (%s)", i, t ? t : "?");
}

/* Index of the resource a reference names, or -1. */
static long resolve(const struct im *m, const json_t *reference)
{
	const char *r = str(reference, "reference");
	if (!r || !*r)
		return -1;
	size_t n = json_array_size(m->res), rl = strlen(r);
	for (size_t i = 0; i < n; i++) {
		const char *u = json_string_value(json_array_get(m->urls, i));
		if (u && !strcmp(u, r))
			return (long)i;
	}
	/* "Type/id", or an absolute URL ending in it */
	for (size_t i = 0; i < n; i++) {
		const json_t *res = json_array_get(m->res, i);
		const char *t = str(res, "resourceType"), *id = str(res, "id");
		if (!t || !id)
			continue;
		char rel[200];
		int k = snprintf(rel, sizeof(rel), "%s/%s", t, id);
		if (k <= 0 || (size_t)k >= sizeof(rel))
			continue;
		if (!strcmp(r, rel) || (rl > (size_t)k && r[rl - (size_t)k - 1] == '/' && !strcmp(r + rl - k, rel)))
			return (long)i;
	}
	return -1;
}

/* A CodeableConcept -> "system:code" with one of the allowed systems (a
 * comma-separated list of record system names). Other codings are listed
 * as lost. Returns a new JSON string, or NULL (and the loss listed). */
static json_t *code_of(struct im *m, const json_t *cc, const char *allowed, const char *where, const char *what)
{
	json_t *codings = json_object_get(cc, "coding"), *cd, *got = NULL;
	size_t i;
	json_array_foreach(codings, i, cd) {
		const char *sys = str(cd, "system"), *code = str(cd, "code");
		const char *name = sys ? phr_fhir_map_key("system", NULL, sys) : NULL;
		char item[64];
		snprintf(item, sizeof(item), "%s.coding[%zu]", what, i);
		bool ok = name && code && *code && strlen(code) <= 64;
		if (ok) {
			char pat[24];
			snprintf(pat, sizeof(pat), ",%s,", name);
			char list[96];
			snprintf(list, sizeof(list), ",%s,", allowed);
			ok = strstr(list, pat) != NULL;
		}
		if (ok && !got) {
			char v[96];
			snprintf(v, sizeof(v), "%s:%s", name, code);
			got = json_string(v);
			if (!got)
				m->err = PHR_E_NOMEM;
			continue;
		}
		if (ok)
			lose(m, where, item, "%s %s: the record keeps one code here", sys, code);
		else
			lose(m, where, item, "%s %s: code system not one the record takes here (%s)", sys ? sys : "(no system)",
			     code ? code : "(no code)", allowed);
	}
	if (!got) {
		const char *text = str(cc, "text");
		if (text)
			lose(m, where, what, "\"%s\": text without a code the record takes (%s)", text, allowed);
		else if (!json_array_size(codings))
			lose(m, where, what, "no code");
	}
	return got;
}

/* Lists the top-level elements of res that the importer did not read. */
static void rest_lost(struct im *m, const json_t *res, const char *where, const char *read)
{
	const char *k;
	json_t *v;
	char list[600];
	snprintf(list, sizeof(list), ",resourceType,id,meta,text,%s,", read);
	json_object_foreach((json_t *)res, k, v) {
		char pat[80];
		snprintf(pat, sizeof(pat), ",%s,", k);
		if (strstr(list, pat))
			continue;
		lose(m, where, k, "no place in the record");
	}
}

/* Appends item to entry[key] (an array), at most max items. */
static void add_item(struct im *m, json_t *parent, const char *key, json_t *item, size_t max, const char *where)
{
	if (!item) {
		m->err = PHR_E_NOMEM;
		return;
	}
	json_t *a = json_object_get(parent, key);
	if (!a) {
		a = json_array();
		if (!a || json_object_set_new(parent, key, a)) {
			m->err = PHR_E_NOMEM;
			json_decref(item);
			return;
		}
	}
	if (json_array_size(a) >= max) {
		lose(m, where, key, "the record holds at most %zu items here", max);
		json_decref(item);
		return;
	}
	if (json_array_append_new(a, item))
		m->err = PHR_E_NOMEM;
}

static void set(struct im *m, json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v))
		m->err = PHR_E_NOMEM;
}

/* A FHIR date or dateTime -> a record date (the date part). */
static json_t *date_of(const char *s)
{
	char d[11];
	if (!s)
		return NULL;
	size_t n = strcspn(s, "T");
	if (n != 4 && n != 7 && n != 10)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return json_string(d);
}

static const char *note_text(const json_t *res)
{
	return str(json_array_get(json_object_get(res, "note"), 0), "text");
}

static void more_notes(struct im *m, const json_t *res, const char *where)
{
	for (size_t i = 1; i < json_array_size(json_object_get(res, "note")); i++) {
		char what[32];
		snprintf(what, sizeof(what), "note[%zu]", i);
		lose(m, where, what, "the record keeps one note per item");
	}
}

static const char *status_code(const json_t *cc)
{
	return str(json_array_get(json_object_get(cc, "coding"), 0), "code");
}

static void im_condition(struct im *m, const json_t *r, const char *where, bool past)
{
	bool diagnosis = false;
	const char *cat_text = NULL;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(r, "category"), i, c) {
		const char *code = status_code(c);
		if (code && !strcmp(code, "encounter-diagnosis"))
			diagnosis = true;
		if (str(c, "text"))
			cat_text = str(c, "text");
	}
	json_t *code = code_of(m, json_object_get(r, "code"), "icd11,icd10,snomed", where, "code");
	if (!code)
		return;
	const char *nt = note_text(r);
	if (diagnosis && !past) {
		json_t *d = json_pack("{s:o}", "code", code);
		if (d && nt)
			set(m, d, "note", json_string(nt));
		add_item(m, m->entry, "diagnoses", d, IM_MAX_ARRAY, where);
		more_notes(m, r, where);
		rest_lost(m, r, where, "code,category,subject,note,clinicalStatus,recordedDate");
		return;
	}
	json_t *h = json_pack("{s:o}", "code", code);
	if (!h) {
		m->err = PHR_E_NOMEM;
		return;
	}
	static const char *const cats[] = { "chronic", "past_infection", "disability", "other" };
	for (size_t k = 0; cat_text && k < sizeof(cats) / sizeof(cats[0]); k++)
		if (!strcmp(cat_text, cats[k]))
			set(m, h, "category", json_string(cats[k]));
	json_t *onset = date_of(str(r, "onsetDateTime"));
	if (onset)
		set(m, h, "onset", onset);
	else if (json_object_get(r, "onsetDateTime") || json_object_get(r, "onsetPeriod") ||
		 json_object_get(r, "onsetAge") || json_object_get(r, "onsetString") || json_object_get(r, "onsetRange"))
		lose(m, where, "onset[x]", "only a date is kept as the onset");
	const char *cs = status_code(json_object_get(r, "clinicalStatus"));
	const char *st = cs ? phr_fhir_map_key("enum", "history.status:", cs) : NULL;
	if (!st && cs && (!strcmp(cs, "remission") || !strcmp(cs, "inactive")))
		st = "resolved", lose(m, where, "clinicalStatus", "%s read as resolved", cs);
	else if (!st && cs && !strcmp(cs, "recurrence"))
		st = "active", lose(m, where, "clinicalStatus", "%s read as active", cs);
	if (!st && past)
		st = "resolved";
	if (st)
		set(m, h, "status", json_string(st));
	if (nt)
		set(m, h, "note", json_string(nt));
	more_notes(m, r, where);
	add_item(m, m->entry, "history", h, IM_MAX_ARRAY, where);
	rest_lost(m, r, where, "code,category,subject,note,clinicalStatus,onsetDateTime,onsetPeriod,onsetAge,onsetString,onsetRange");
}

static void im_procedure(struct im *m, const json_t *r, const char *where)
{
	json_t *code = code_of(m, json_object_get(r, "code"), "icd11,icd10,snomed", where, "code");
	if (!code)
		return;
	json_t *h = json_pack("{s:o, s:s}", "code", code, "category", "surgery");
	json_t *d = date_of(str(r, "performedDateTime"));
	if (!d)
		d = date_of(str(json_object_get(r, "performedPeriod"), "start"));
	if (h && d)
		set(m, h, "onset", d);
	if (h)
		set(m, h, "status", json_string("resolved"));
	const char *nt = note_text(r);
	if (h && nt)
		set(m, h, "note", json_string(nt));
	more_notes(m, r, where);
	add_item(m, m->entry, "history", h, IM_MAX_ARRAY, where);
	rest_lost(m, r, where, "code,subject,note,status,performedDateTime,_performedDateTime,performedPeriod");
}

static void im_medication(struct im *m, const json_t *r, const char *where)
{
	json_t *code = NULL;
	if (json_object_get(r, "medicationCodeableConcept")) {
		code = code_of(m, json_object_get(r, "medicationCodeableConcept"), "atc", where, "medicationCodeableConcept");
	} else if (json_object_get(r, "medicationReference")) {
		long k = resolve(m, json_object_get(r, "medicationReference"));
		if (k < 0) {
			lose(m, where, "medicationReference", "does not resolve inside the Bundle");
			return;
		}
		m->used[k] = 1;
		char w2[128];
		where_of(m, (size_t)k, w2, sizeof(w2));
		const json_t *med = json_array_get(m->res, (size_t)k);
		code = code_of(m, json_object_get(med, "code"), "atc", w2, "code");
		rest_lost(m, med, w2, "code");
	} else {
		lose(m, where, "medication[x]", "no medicine named");
	}
	if (!code)
		return;
	const char *cat = status_code(json_object_get(r, "category"));
	bool treatment = cat && !strcmp(cat, "outpatient");
	json_t *it = json_pack("{s:o}", "code", code);
	if (!it) {
		m->err = PHR_E_NOMEM;
		return;
	}
	const char *dosage = str(json_array_get(json_object_get(r, "dosage"), 0), "text");
	if (dosage)
		set(m, it, "dosage", json_string(dosage));
	else if (json_array_size(json_object_get(r, "dosage")))
		lose(m, where, "dosage", "structured dosage without text: the record keeps the dosage as text");
	for (size_t i = 1; i < json_array_size(json_object_get(r, "dosage")); i++)
		lose(m, where, "dosage", "the record keeps one dosage text");
	if (!treatment) {
		json_t *since = date_of(str(json_object_get(r, "effectivePeriod"), "start"));
		if (!since)
			since = date_of(str(r, "effectiveDateTime"));
		if (since)
			set(m, it, "since", since);
	}
	const char *nt = note_text(r);
	if (nt)
		set(m, it, "note", json_string(nt));
	more_notes(m, r, where);
	add_item(m, m->entry, treatment ? "treatments" : "medications", it, IM_MAX_ARRAY, where);
	rest_lost(m, r, where,
		  treatment ? "medicationCodeableConcept,medicationReference,subject,status,category,dosage,note,effectivePeriod"
			    : "medicationCodeableConcept,medicationReference,subject,status,dosage,note,effectivePeriod,"
			      "effectiveDateTime,_effectiveDateTime");
}

static void im_allergy(struct im *m, const json_t *r, const char *where)
{
	json_t *code = code_of(m, json_object_get(r, "code"), "snomed,atc,icd11,icd10", where, "code");
	if (!code)
		return;
	json_t *a = json_pack("{s:o}", "code", code);
	if (!a) {
		m->err = PHR_E_NOMEM;
		return;
	}
	const char *crit = str(r, "criticality");
	const char *c = crit ? phr_fhir_map_key("enum", "allergies.criticality:", crit) : NULL;
	if (c)
		set(m, a, "criticality", json_string(c));
	json_t *reactions = json_object_get(r, "reaction");
	char text[201] = "";
	size_t i, j;
	json_t *rx, *mf;
	json_array_foreach(reactions, i, rx) {
		json_array_foreach(json_object_get(rx, "manifestation"), j, mf) {
			const char *t = str(mf, "text");
			if (!t)
				t = str(json_array_get(json_object_get(mf, "coding"), 0), "display");
			if (!t) {
				lose(m, where, "reaction.manifestation", "a coded manifestation without text or display");
				continue;
			}
			size_t have = strlen(text);
			if (have + strlen(t) + 2 >= sizeof(text)) {
				lose(m, where, "reaction.manifestation", "\"%s\": more than the 200 bytes of reaction text", t);
				continue;
			}
			snprintf(text + have, sizeof(text) - have, "%s%s", have ? "; " : "", t);
		}
	}
	if (*text)
		set(m, a, "reaction", json_string(text));
	add_item(m, m->entry, "allergies", a, IM_MAX_ARRAY, where);
	rest_lost(m, r, where, "code,patient,clinicalStatus,criticality,reaction");
}

static void im_immunization(struct im *m, const json_t *r, const char *where)
{
	json_t *code = code_of(m, json_object_get(r, "vaccineCode"), "atc", where, "vaccineCode");
	if (!code)
		return;
	json_t *v = json_pack("{s:o}", "vaccine", code);
	if (!v) {
		m->err = PHR_E_NOMEM;
		return;
	}
	const json_t *pa = json_array_get(json_object_get(r, "protocolApplied"), 0);
	json_t *dose = json_object_get(pa, "doseNumberPositiveInt"), *of = json_object_get(pa, "seriesDosesPositiveInt");
	if (json_is_integer(dose))
		set(m, v, "dose", json_copy(dose));
	if (json_is_integer(of))
		set(m, v, "of", json_copy(of));
	json_t *d = date_of(str(r, "occurrenceDateTime"));
	if (d)
		set(m, v, "date", d);
	long k = json_object_get(r, "location") ? resolve(m, json_object_get(r, "location")) : -1;
	if (k >= 0) {
		m->used[k] = 1;
		const char *country = str(json_object_get(json_array_get(m->res, (size_t)k), "address"), "country");
		if (country && strlen(country) == 2)
			set(m, v, "country", json_string(country));
		else
			lose(m, where, "location", "no ISO 3166 country in the Location's address");
	} else if (json_object_get(r, "location")) {
		lose(m, where, "location", "does not resolve inside the Bundle");
	}
	const char *lot = str(r, "lotNumber");
	if (lot)
		set(m, v, "lot", json_string(lot));
	const char *origin = status_code(json_object_get(r, "reportOrigin"));
	const char *src = origin ? phr_fhir_map_key("enum", "vaccinations.source:", origin) : NULL;
	if (!src && json_is_true(json_object_get(r, "primarySource")))
		src = "given";
	if (src)
		set(m, v, "source", json_string(src));
	add_item(m, m->entry, "vaccinations", v, IM_MAX_ARRAY, where);
	rest_lost(m, r, where,
		  "vaccineCode,patient,status,protocolApplied,occurrenceDateTime,occurrenceString,location,lotNumber,"
		  "reportOrigin,primarySource");
}

static json_t *quantity_value(struct im *m, const json_t *q, const char **unit, const char *where)
{
	json_t *v = json_object_get(q, "value");
	const char *sys = str(q, "system");
	*unit = str(q, "code");
	if (*unit && (!sys || strcmp(sys, phr_fhir_map("system", "ucum")))) {
		lose(m, where, "valueQuantity.code", "unit %s is not UCUM", *unit);
		*unit = NULL;
	}
	return json_is_number(v) ? json_copy(v) : NULL;
}

static void im_result(struct im *m, const json_t *r, const char *where, bool vital)
{
	json_t *code = code_of(m, json_object_get(r, "code"), "loinc", where, "code");
	if (!code)
		return;
	const char *unit = NULL;
	json_t *value = json_object_get(r, "valueQuantity") ? quantity_value(m, json_object_get(r, "valueQuantity"), &unit, where) : NULL;
	if (vital) {
		if (!value || !unit) {
			lose(m, where, "valueQuantity", "a vital sign needs a value and a UCUM unit");
			json_decref(code);
			json_decref(value);
			return;
		}
		add_item(m, m->entry, "vitals", json_pack("{s:o, s:o, s:s}", "code", code, "value", value, "unit", unit),
			 IM_MAX_VITALS, where);
		rest_lost(m, r, where, "code,status,category,subject,effectiveDateTime,_effectiveDateTime,valueQuantity");
		return;
	}
	const char *status = str(r, "status");
	const char *interp = status_code(json_array_get(json_object_get(r, "interpretation"), 0));
	const char *res = interp ? phr_fhir_map_key("enum", "results.result:", interp) : NULL;
	if (!res && interp && (!strcmp(interp, "H") || !strcmp(interp, "L") || !strcmp(interp, "HH") ||
			       !strcmp(interp, "LL") || !strcmp(interp, "AA")))
		res = "abnormal", lose(m, where, "interpretation", "%s read as abnormal", interp);
	if (status && phr_fhir_map_key("enum", "results.result:", status) &&
	    (!strcmp(status, "registered") || !strcmp(status, "cancelled")))
		res = phr_fhir_map_key("enum", "results.result:", status);
	if (!res && status && !strcmp(status, "preliminary"))
		res = "pending";
	if (!res) {
		lose(m, where, "interpretation", "no interpretation the record takes: the result is required");
		json_decref(code);
		json_decref(value);
		return;
	}
	json_t *it = json_pack("{s:o}", "test", code);
	if (!it) {
		m->err = PHR_E_NOMEM;
		return;
	}
	json_t *d = date_of(str(r, "effectiveDateTime"));
	if (d)
		set(m, it, "date", d);
	set(m, it, "result", json_string(res));
	if (value)
		set(m, it, "value", value);
	if (value && unit)
		set(m, it, "unit", json_string(unit));
	const char *nt = note_text(r);
	if (nt)
		set(m, it, "note", json_string(nt));
	more_notes(m, r, where);
	if (json_object_get(r, "valueCodeableConcept") || json_object_get(r, "valueString"))
		lose(m, where, "value[x]", "only a quantity is kept as the value");
	add_item(m, m->entry, "results", it, IM_MAX_ARRAY, where);
	rest_lost(m, r, where,
		  "code,status,category,subject,effectiveDateTime,_effectiveDateTime,valueQuantity,valueCodeableConcept,"
		  "valueString,interpretation,note,dataAbsentReason");
}

static bool has_code(const json_t *cc, const char *key)
{
	const char *v = phr_fhir_map("code", key);
	const char *bar = v ? strchr(v, '|') : NULL;
	size_t i;
	json_t *cd;
	if (!bar)
		return false;
	json_array_foreach(json_object_get(cc, "coding"), i, cd) {
		const char *s = str(cd, "system"), *c = str(cd, "code");
		if (s && c && strlen(s) == (size_t)(bar - v) && !strncmp(s, v, (size_t)(bar - v)) && !strcmp(c, bar + 1))
			return true;
	}
	return false;
}

static json_t *section_object(struct im *m, const char *key)
{
	json_t *o = json_object_get(m->entry, key);
	if (!o) {
		o = json_object();
		if (!o || json_object_set_new(m->entry, key, o)) {
			m->err = PHR_E_NOMEM;
			return NULL;
		}
	}
	return o;
}

static void im_pregnancy(struct im *m, const json_t *r, const char *where)
{
	const json_t *code = json_object_get(r, "code");
	json_t *p = section_object(m, "pregnancy");
	if (!p)
		return;
	if (has_code(code, "pregnancy.status")) {
		const char *v = status_code(json_object_get(r, "valueCodeableConcept"));
		const char *st = v ? phr_fhir_map_key("enum", "pregnancy.status:", v) : NULL;
		set(m, p, "status", json_string(st ? st : "unknown"));
		if (!st)
			lose(m, where, "valueCodeableConcept", "pregnancy status %s read as unknown", v ? v : "(none)");
		rest_lost(m, r, where, "code,status,category,subject,effectiveDateTime,valueCodeableConcept,hasMember");
	} else if (has_code(code, "pregnancy.expected_delivery")) {
		json_t *d = date_of(str(r, "valueDateTime"));
		if (d)
			set(m, p, "expected_delivery", d);
		else
			lose(m, where, "valueDateTime", "no date");
		rest_lost(m, r, where, "code,status,category,subject,effectiveDateTime,valueDateTime");
	} else if (has_code(code, "pregnancy.gravida") || has_code(code, "pregnancy.para")) {
		json_t *v = json_object_get(r, "valueInteger");
		if (!v && json_is_number(json_object_get(json_object_get(r, "valueQuantity"), "value")))
			v = json_object_get(json_object_get(r, "valueQuantity"), "value");
		if (json_is_integer(v))
			set(m, p, has_code(code, "pregnancy.gravida") ? "gravida" : "para", json_copy(v));
		else
			lose(m, where, "value[x]", "no whole number");
		rest_lost(m, r, where, "code,status,category,subject,effectiveDateTime,valueInteger,valueQuantity");
	} else {
		lose(m, where, "code", "a pregnancy observation the record has no field for");
	}
}

static void im_mental(struct im *m, const json_t *r, const char *where)
{
	if (json_object_get(m->entry, "mental_health")) {
		lose(m, where, "Observation", "the record holds one mental health screening per entry");
		return;
	}
	const char *interp = status_code(json_array_get(json_object_get(r, "interpretation"), 0));
	const char *scr = interp ? phr_fhir_map_key("enum", "mental_health.screening:", interp) : NULL;
	if (!scr && json_object_get(r, "dataAbsentReason"))
		scr = "not_done";
	if (!scr) {
		lose(m, where, "interpretation", "no screening result (positive, negative) the record takes");
		return;
	}
	json_t *mh = json_pack("{s:s}", "screening", scr);
	json_t *codes = json_object_get(json_object_get(r, "code"), "coding");
	if (mh && json_array_size(codes)) {
		json_t *tool = code_of(m, json_object_get(r, "code"), "loinc", where, "code");
		if (tool)
			set(m, mh, "tool", tool);
	}
	/* the notes: the referral sentence phr's export writes, and one free text */
	size_t i;
	json_t *nj;
	bool have_note = false;
	json_array_foreach(json_object_get(r, "note"), i, nj) {
		const char *t = str(nj, "text");
		if (!t || !mh)
			continue;
		if (!strcmp(t, REFERRAL_YES) || !strcmp(t, REFERRAL_NO)) {
			set(m, mh, "referral", json_boolean(!strcmp(t, REFERRAL_YES)));
		} else if (!have_note) {
			set(m, mh, "note", json_string(t));
			have_note = true;
		} else {
			char what[32];
			snprintf(what, sizeof(what), "note[%zu]", i);
			lose(m, where, what, "the record keeps one note per item");
		}
	}
	set(m, m->entry, "mental_health", mh);
	rest_lost(m, r, where, "code,status,category,subject,effectiveDateTime,interpretation,dataAbsentReason,note");
}

static void im_service_request(struct im *m, const json_t *r, const char *where)
{
	json_t *reason = code_of(m, json_array_get(json_object_get(r, "reasonCode"), 0), "icd11,icd10,snomed", where,
				 "reasonCode");
	if (!reason)
		return;
	json_t *plan = section_object(m, "plan");
	json_t *it = json_pack("{s:o}", "reason", reason);
	if (!plan || !it) {
		json_decref(it);
		m->err = PHR_E_NOMEM;
		return;
	}
	const char *to = str(json_object_get(r, "performerType"), "text");
	if (to)
		set(m, it, "to", json_string(to));
	const char *prio = str(r, "priority");
	const char *u = prio ? phr_fhir_map_key("enum", "plan.referrals.urgency:", prio) : NULL;
	if (!u && prio && !strcmp(prio, "asap"))
		u = "urgent", lose(m, where, "priority", "asap read as urgent");
	if (u)
		set(m, it, "urgency", json_string(u));
	add_item(m, plan, "referrals", it, IM_MAX_REFERRALS, where);
	rest_lost(m, r, where, "reasonCode,subject,status,intent,code,performerType,priority");
}

static void im_careplan(struct im *m, const json_t *r, const char *where)
{
	json_t *plan = section_object(m, "plan");
	if (!plan)
		return;
	const char *d = str(r, "description");
	if (d && !json_object_get(plan, "notes"))
		set(m, plan, "notes", json_string(d));
	else if (d)
		lose(m, where, "description", "the record keeps one plan text per entry");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(r, "activity"), i, a) {
		const json_t *det = json_object_get(a, "detail");
		if (json_object_get(a, "reference")) {
			long k = resolve(m, json_object_get(a, "reference"));
			if (k < 0) {
				lose(m, where, "activity.reference", "does not resolve inside the Bundle");
			} else if (!m->used[k]) {
				char w2[128];
				m->used[k] = 1;
				where_of(m, (size_t)k, w2, sizeof(w2));
				if (!strcmp(str(json_array_get(m->res, (size_t)k), "resourceType"), "ServiceRequest"))
					im_service_request(m, json_array_get(m->res, (size_t)k), w2);
				else
					lose(m, w2, "resource", "a plan activity the record has no field for");
			}
		} else if (det && str(det, "kind") && !strcmp(str(det, "kind"), "Appointment") &&
			   str(json_object_get(det, "scheduledPeriod"), "start")) {
			json_t *fu = date_of(str(json_object_get(det, "scheduledPeriod"), "start"));
			if (fu && !json_object_get(plan, "follow_up"))
				set(m, plan, "follow_up", fu);
			else {
				json_decref(fu);
				lose(m, where, "activity.detail", "the record keeps one next visit");
			}
		} else {
			lose(m, where, "activity", "a plan activity the record has no field for");
		}
	}
	rest_lost(m, r, where, "status,intent,subject,description,activity");
}

static void im_patient(struct im *m, const json_t *p, const char *where)
{
	json_t *id = json_object();
	size_t i;
	json_t *n;
	if (!id) {
		m->err = PHR_E_NOMEM;
		return;
	}
	json_array_foreach(json_object_get(p, "name"), i, n) {
		const char *fam = str(n, "family");
		json_t *given = json_object_get(n, "given");
		char gv[101] = "";
		size_t k;
		json_t *g;
		json_array_foreach(given, k, g) {
			const char *s = json_string_value(g);
			size_t have = strlen(gv);
			if (s && have + strlen(s) + 1 < sizeof(gv))
				snprintf(gv + have, sizeof(gv) - have, "%s%s", have ? " " : "", s);
		}
		if (!fam && !*gv) {
			if (str(n, "text"))
				lose(m, where, "name.text", "\"%s\": a name as one text (the record keeps family and given)",
				     str(n, "text"));
			continue;
		}
		json_t *nm = json_object();
		if (fam)
			set(m, nm, "family", json_string(fam));
		if (*gv)
			set(m, nm, "given", json_string(gv));
		size_t e;
		json_t *x;
		json_array_foreach(json_object_get(n, "extension"), e, x)
			if (str(x, "url") && !strcmp(str(x, "url"), "http://hl7.org/fhir/StructureDefinition/language") &&
			    str(x, "valueCode") && strlen(str(x, "valueCode")) >= 2) {
				char l[3] = { str(x, "valueCode")[0], str(x, "valueCode")[1], 0 };
				set(m, nm, "lang", json_string(l));
			}
		if (json_object_get(n, "prefix") || json_object_get(n, "suffix") || json_object_get(n, "use"))
			lose(m, where, "name.prefix/suffix/use", "not kept");
		add_item(m, id, "names", nm, IM_MAX_NAMES, where);
	}
	const char *g = str(p, "gender");
	if (g)
		set(m, id, "sex", json_string(g));
	json_t *bd = date_of(str(p, "birthDate"));
	if (bd)
		set(m, id, "birth_date", bd);
	json_t *x;
	json_array_foreach(json_object_get(p, "extension"), i, x) {
		const char *url = str(x, "url");
		if (url && !strcmp(url, "http://hl7.org/fhir/StructureDefinition/patient-nationality")) {
			size_t k;
			json_t *sub;
			json_array_foreach(json_object_get(x, "extension"), k, sub) {
				const json_t *cd = json_array_get(json_object_get(json_object_get(sub, "valueCodeableConcept"), "coding"), 0);
				const char *c = str(cd, "code");
				if (str(sub, "url") && !strcmp(str(sub, "url"), "code") && c && strlen(c) == 2)
					set(m, id, "nationality", json_string(c));
			}
		} else if (url && !strcmp(url, "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired") &&
			   json_is_boolean(json_object_get(x, "valueBoolean"))) {
			set(m, id, "interpreter", json_copy(json_object_get(x, "valueBoolean")));
		} else {
			lose(m, where, "extension", "%s: no place in the record", url ? url : "(no url)");
		}
	}
	json_t *c;
	json_array_foreach(json_object_get(p, "communication"), i, c) {
		const char *l = status_code(json_object_get(c, "language"));
		if (!l || strlen(l) < 2 || (l[2] && l[2] != '-')) {
			lose(m, where, "communication.language", "%s: not an ISO 639-1 language", l ? l : "(none)");
			continue;
		}
		char two[3] = { l[0], l[1], 0 };
		add_item(m, id, "languages", json_string(two), IM_MAX_LANGUAGES, where);
		if (json_is_true(json_object_get(c, "preferred")))
			set(m, id, "preferred_language", json_string(two));
	}
	if (json_object_size(id))
		set(m, m->entry, "identity", id);
	else
		json_decref(id);
	rest_lost(m, p, where, "name,gender,birthDate,_birthDate,extension,communication,identifier");
}

/* Narrative text of a section: the XHTML's text, tags dropped, entities read. */
static json_t *narrative_text(const json_t *sec)
{
	const char *div = str(json_object_get(sec, "text"), "div");
	if (!div)
		return NULL;
	size_t n = strlen(div);
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	bool in_tag = false;
	for (const char *p = div; *p; p++) {
		if (*p == '<') {
			in_tag = true;
			if (!strncmp(p, "</li>", 5) && o > out)
				{
				*o++ = ';';
				*o++ = ' ';
			}
			continue;
		}
		if (*p == '>') {
			in_tag = false;
			continue;
		}
		if (in_tag)
			continue;
		if (*p == '&') {
			static const struct { const char *e; char c; } ents[] = { { "&amp;", '&' }, { "&lt;", '<' },
									    { "&gt;", '>' }, { "&quot;", '"' },
									    { "&apos;", '\'' } };
			bool done = false;
			for (size_t k = 0; k < 5 && !done; k++)
				if (!strncmp(p, ents[k].e, strlen(ents[k].e))) {
					*o++ = ents[k].c;
					p += strlen(ents[k].e) - 1;
					done = true;
				}
			if (done)
				continue;
		}
		*o++ = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
	}
	while (o > out && (o[-1] == ' ' || o[-1] == ';'))
		o--;
	*o = '\0';
	json_t *t = *out ? json_string(out) : NULL;
	free(out);
	return t;
}

static void im_section(struct im *m, const json_t *sec, size_t si)
{
	char where[128];
	snprintf(where, sizeof(where), "Composition.section[%zu]", si);
	const json_t *cd = json_array_get(json_object_get(json_object_get(sec, "code"), "coding"), 0);
	const char *loinc = str(cd, "system") && !strcmp(str(cd, "system"), "http://loinc.org") ? str(cd, "code") : NULL;
	const char *id = loinc ? phr_fhir_map_key("section", NULL, loinc) : NULL;
	const char *title = str(sec, "title");
	if (id && !strcmp(id, "notes")) {
		json_t *t = narrative_text(sec);
		if (t && !json_object_get(m->entry, "notes"))
			set(m, m->entry, "notes", t);
		else
			json_decref(t);
	}
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sec, "entry"), i, r) {
		long k = resolve(m, r);
		char w[128];
		if (k < 0) {
			char wr[192];
			snprintf(wr, sizeof(wr), "%s.entry[%zu]", where, i);
			lose(m, wr, str(r, "reference") ? str(r, "reference") : "(no reference)",
			     "does not resolve inside the Bundle");
			continue;
		}
		if (m->used[k])
			continue;
		m->used[k] = 1;
		where_of(m, (size_t)k, w, sizeof(w));
		const json_t *res = json_array_get(m->res, (size_t)k);
		const char *type = str(res, "resourceType");
		if (!id) {
			lose(m, w, type, "section %s \"%s\" has no place in the record", loinc ? loinc : "(no LOINC code)",
			     title ? title : "");
			continue;
		}
		if (!strcmp(type, "Condition") && (!strcmp(id, "problems") || !strcmp(id, "past_illness")))
			im_condition(m, res, w, !strcmp(id, "past_illness"));
		else if (!strcmp(type, "Procedure") && !strcmp(id, "procedures"))
			im_procedure(m, res, w);
		else if (!strcmp(type, "AllergyIntolerance") && !strcmp(id, "allergies"))
			im_allergy(m, res, w);
		else if ((!strcmp(type, "MedicationStatement") || !strcmp(type, "MedicationRequest")) &&
			 !strcmp(id, "medications"))
			im_medication(m, res, w);
		else if (!strcmp(type, "Immunization") && !strcmp(id, "immunizations"))
			im_immunization(m, res, w);
		else if (!strcmp(type, "Observation") && !strcmp(id, "results"))
			im_result(m, res, w, false);
		else if (!strcmp(type, "Observation") && !strcmp(id, "vitals"))
			im_result(m, res, w, true);
		else if (!strcmp(type, "Observation") && !strcmp(id, "pregnancy"))
			im_pregnancy(m, res, w);
		else if (!strcmp(type, "Observation") && !strcmp(id, "functional"))
			im_mental(m, res, w);
		else if (!strcmp(type, "CarePlan") && !strcmp(id, "plan"))
			im_careplan(m, res, w);
		else if (!strcmp(type, "ServiceRequest") && !strcmp(id, "plan"))
			im_service_request(m, res, w);
		else
			lose(m, w, type, "a %s in section %s \"%s\": the record has no field for it", type, loinc,
			     title ? title : "");
	}
}

/* Nesting depth of JSON text (brackets outside strings), without parsing. */
static size_t depth_of(const char *t, size_t len)
{
	size_t d = 0, max = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char ch = t[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++d > max)
				max = d;
		} else if ((ch == '}' || ch == ']') && d) {
			d--;
		}
	}
	return max;
}

/* FHIR text often holds line breaks and tabs, which the record's text may
 * not (RECORD.md, "General rules"): they become spaces, and each text so
 * changed is listed. */
static void unbreak(struct im *m, json_t *v, const char *path)
{
	char sub[160];
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
			unbreak(m, x, sub);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			unbreak(m, x, sub);
		}
	} else if (json_is_string(v) && strpbrk(json_string_value(v), "\n\r\t")) {
		size_t n = json_string_length(v);
		char *t = malloc(n + 1);
		if (!t) {
			m->err = PHR_E_NOMEM;
			return;
		}
		memcpy(t, json_string_value(v), n + 1);
		for (char *p = t; (p = strpbrk(p, "\n\r\t")); p++)
			*p = ' ';
		if (json_string_setn(v, t, n))
			m->err = PHR_E_NOMEM;
		free(t);
		lose(m, path, "text", "line breaks and tabs written as spaces");
	}
}

/* Drops what the schema refuses, one item at a time, listing each.
 * Returns PHR_OK when the entry encodes. */
static int settle(struct im *m)
{
	static const char *const shrink[] = { "results", "vitals", "history", "medications", "treatments", "vaccinations",
					      "allergies", "diagnoses" };
	for (int round = 0; round < IM_MAX_FIXES; round++) {
		uint8_t *cbor = NULL;
		size_t len = 0;
		int rc = phr_entry_encode_json(m->entry, &cbor, &len);
		free(cbor);
		if (rc == PHR_OK)
			return PHR_OK;
		if (rc == PHR_E_NOMEM)
			return rc;
		char msg[PHR_ERRMSG_MAX];
		snprintf(msg, sizeof(msg), "%s", phr_last_error());
		if (rc == PHR_E_LIMIT && !strncmp(msg, "entry encodes", 13)) {
			bool cut = false;
			for (size_t k = 0; k < sizeof(shrink) / sizeof(shrink[0]) && !cut; k++) {
				json_t *a = json_object_get(m->entry, shrink[k]);
				if (json_array_size(a)) {
					char w[48];
					snprintf(w, sizeof(w), "%s[%zu]", shrink[k], json_array_size(a) - 1);
					lose(m, w, "item", "the entry would be over PHR_MAX_ENTRY_CBOR (16384 bytes)");
					json_array_remove(a, json_array_size(a) - 1);
					if (!json_array_size(a))
						json_object_del(m->entry, shrink[k]);
					cut = true;
				}
			}
			if (!cut)
				break;
			continue;
		}
		/* the message starts with the field's path: "history[2].code: ..." */
		size_t pl = strcspn(msg, ": ");
		char path[128];
		if (!pl || pl >= sizeof(path) || msg[pl] != ':')
			break;
		memcpy(path, msg, pl);
		path[pl] = '\0';
		/* walk the path; drop the deepest array item on it, else the leaf */
		json_t *node = m->entry, *drop_parent = NULL;
		const char *drop_key = NULL;
		long drop_idx = -1;
		char keybuf[128], dropkey[128] = "";
		char *p = path;
		json_t *parent = NULL;
		while (*p && node) {
			size_t kl = strcspn(p, ".[");
			memcpy(keybuf, p, kl);
			keybuf[kl] = '\0';
			parent = node;
			node = json_object_get(node, keybuf);
			p += kl;
			snprintf(dropkey, sizeof(dropkey), "%s", keybuf);
			drop_key = dropkey;
			drop_parent = parent;
			drop_idx = -1;
			while (*p == '[' && node) {
				long idx = strtol(p + 1, &p, 10);
				if (*p == ']')
					p++;
				drop_parent = node; /* the array */
				drop_idx = idx;
				node = json_array_get(node, (size_t)idx);
			}
			if (*p == '.')
				p++;
		}
		if (!drop_parent || !drop_key)
			break;
		lose(m, path, drop_idx >= 0 ? "item" : "field", "refused by the record's schema: %s", msg + pl + 2);
		if (drop_idx >= 0 && json_is_array(drop_parent)) {
			if (json_array_remove(drop_parent, (size_t)drop_idx))
				break;
			if (!json_array_size(drop_parent)) {
				/* an empty array is refused: remove its key from its object */
				json_t *holder = m->entry;
				const char *last = NULL;
				char buf2[128];
				snprintf(buf2, sizeof(buf2), "%s", path);
				char *q = buf2, *tok;
				json_t *obj = m->entry;
				while ((tok = strsep(&q, ".")) && obj) {
					char *br = strchr(tok, '[');
					if (br)
						*br = '\0';
					holder = obj;
					last = tok;
					if (br)
						break;
					obj = json_object_get(obj, tok);
				}
				if (holder && last)
					json_object_del(holder, last);
			}
		} else if (json_is_object(drop_parent)) {
			if (json_object_del(drop_parent, drop_key))
				break;
		} else {
			break;
		}
		/* a section left empty is refused too */
		const char *k;
		json_t *v, *tmp;
		json_object_foreach_safe(m->entry, tmp, k, v)
			if ((json_is_object(v) && !json_object_size(v)) || (json_is_array(v) && !json_array_size(v)))
				json_object_del(m->entry, k);
	}
	return phr_fail(PHR_E_FHIR, "fhir import: the entry does not settle: %s", phr_last_error());
}

int phr_fhir_import(const char *text, size_t len, json_t **entry, json_t **losses)
{
	struct im m;
	json_error_t jerr;
	int rc = PHR_OK;
	*entry = NULL;
	*losses = NULL;
	memset(&m, 0, sizeof(m));
	if (len > PHR_FHIR_MAX_INPUT)
		return phr_fail(PHR_E_LIMIT, "fhir import: %zu bytes, more than PHR_FHIR_MAX_INPUT (%u)", len,
				PHR_FHIR_MAX_INPUT);
	if (depth_of(text, len) > PHR_FHIR_MAX_DEPTH)
		return phr_fail(PHR_E_LIMIT, "fhir import: nested deeper than PHR_FHIR_MAX_DEPTH (%u)", PHR_FHIR_MAX_DEPTH);
	if (!fhir_map_ok())
		return phr_fail(PHR_E_NOMEM, "fhir import: the mapping table did not load");
	m.root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!m.root)
		return phr_fail(PHR_E_JSON, "fhir import: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
	const json_t *bentries = json_object_get(m.root, "entry");
	if (!str(m.root, "resourceType") || strcmp(str(m.root, "resourceType"), "Bundle")) {
		rc = phr_fail(PHR_E_FHIR, "fhir import: not a FHIR Bundle (resourceType)");
		goto done;
	}
	if (!str(m.root, "type") || strcmp(str(m.root, "type"), "document")) {
		rc = phr_fail(PHR_E_FHIR, "fhir import: Bundle.type is not \"document\"");
		goto done;
	}
	size_t n = json_array_size(bentries);
	if (n > PHR_FHIR_MAX_RESOURCES) {
		rc = phr_fail(PHR_E_LIMIT, "fhir import: %zu resources, more than PHR_FHIR_MAX_RESOURCES (%u)", n,
			      PHR_FHIR_MAX_RESOURCES);
		goto done;
	}
	m.res = json_array();
	m.urls = json_array();
	m.losses = json_array();
	m.entry = json_object();
	m.used = calloc(n ? n : 1, 1);
	if (!m.res || !m.urls || !m.losses || !m.entry || !m.used) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *be = json_array_get(bentries, i);
		json_t *res = json_object_get(be, "resource");
		if (!json_is_object(res) || !str(res, "resourceType")) {
			rc = phr_fail(PHR_E_FHIR, "fhir import: Bundle.entry[%zu] holds no resource", i);
			goto done;
		}
		const char *u = str(be, "fullUrl");
		if (json_array_append(m.res, res) || json_array_append_new(m.urls, json_string(u ? u : ""))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto done;
		}
	}
	const json_t *comp = json_array_get(m.res, 0);
	if (!comp || strcmp(str(comp, "resourceType"), "Composition")) {
		rc = phr_fail(PHR_E_FHIR, "fhir import: a document Bundle's first resource is its Composition");
		goto done;
	}
	m.used[0] = 1;
	long pk = resolve(&m, json_object_get(comp, "subject"));
	if (pk < 0 || strcmp(str(json_array_get(m.res, (size_t)pk), "resourceType"), "Patient")) {
		rc = phr_fail(PHR_E_FHIR, "fhir import: Composition.subject is not a Patient in the Bundle");
		goto done;
	}
	json_t *date = date_of(str(comp, "date"));
	if (!date || strlen(json_string_value(date)) != 10) {
		json_decref(date);
		rc = phr_fail(PHR_E_FHIR, "fhir import: Composition.date is not a full date");
		goto done;
	}
	set(&m, m.entry, "kind", json_string("assessment"));
	set(&m, m.entry, "date", date);
	char w[128];
	m.used[pk] = 1;
	where_of(&m, (size_t)pk, w, sizeof(w));
	im_patient(&m, json_array_get(m.res, (size_t)pk), w);
	size_t i;
	json_t *sec;
	json_array_foreach(json_object_get(comp, "section"), i, sec)
		im_section(&m, sec, i);
	/* The authors: the first Practitioner named becomes the entry's author. */
	json_t *a;
	json_array_foreach(json_object_get(comp, "author"), i, a) {
		long k = resolve(&m, a);
		if (k < 0)
			continue;
		const json_t *r = json_array_get(m.res, (size_t)k);
		if (strcmp(str(r, "resourceType"), "Practitioner") || json_object_get(m.entry, "author"))
			continue;
		m.used[k] = 1;
		const json_t *nm = json_array_get(json_object_get(r, "name"), 0);
		const char *t = str(nm, "text");
		char buf[101] = "";
		if (t)
			snprintf(buf, sizeof(buf), "%s", t);
		else if (nm) {
			size_t k2;
			json_t *g;
			json_array_foreach(json_object_get(nm, "given"), k2, g)
				if (json_string_value(g))
					snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s ", json_string_value(g));
			if (str(nm, "family"))
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s", str(nm, "family"));
		}
		json_t *au = json_object();
		if (*buf)
			set(&m, au, "professional", json_string(buf));
		const char *role = str(json_object_get(json_array_get(json_object_get(r, "qualification"), 0), "code"), "text");
		if (!role)
			role = str(json_array_get(json_object_get(json_object_get(json_array_get(json_object_get(r, "qualification"), 0), "code"), "coding"), 0), "display");
		if (role)
			set(&m, au, "role", json_string(role));
		if (json_object_size(au))
			set(&m, m.entry, "author", au);
		else
			json_decref(au);
	}
	/* Whatever no section or author reached */
	for (size_t k = 0; k < n; k++) {
		if (m.used[k])
			continue;
		const char *t = str(json_array_get(m.res, k), "resourceType");
		where_of(&m, k, w, sizeof(w));
		if (!strcmp(t, "Provenance") || !strcmp(t, "VerificationResult"))
			lose(&m, w, t, "signatures and their checks stay with the source: the clinic that signs the import vouches anew");
		else if (!strcmp(t, "Organization") || !strcmp(t, "Practitioner") || !strcmp(t, "PractitionerRole"))
			lose(&m, w, t, "the signing clinic is the one that issues the entry");
		else
			lose(&m, w, t, "not in a section the record reads");
	}
	if (m.err) {
		rc = phr_fail(m.err, "out of memory");
		goto done;
	}
	unbreak(&m, m.entry, "");
	if ((rc = settle(&m)))
		goto done;
	if (m.err) {
		rc = phr_fail(m.err, "out of memory");
		goto done;
	}
	*entry = m.entry;
	*losses = m.losses;
	m.entry = m.losses = NULL;
done:
	json_decref(m.root);
	json_decref(m.res);
	json_decref(m.urls);
	json_decref(m.entry);
	json_decref(m.losses);
	free(m.used);
	return rc;
}
