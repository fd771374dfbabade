/* Entry forms (web/form.h): each example record typed into the form's
 * fields comes back as the example; the form has an input for every field
 * of the table; refused values are named by their label in the clinic's
 * language.
 *
 * The fields are made from the examples by this test's own walk of the
 * JSON (not of the schema table): "e." and the JSON path, array positions
 * as numbers, strings as they are, numbers as printed, true/false. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "form.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/schema.h"
#include "testlib.h"

/* What the form cannot express, removed from an example before it is
 * typed and compared:
 *  - "kind": the form kind decides it (assessment or follow_up);
 *  - "documents": a reference holds the document's hash and size, which
 *    nobody types: the follow-up page makes it from the uploaded file
 *    (record/document.c), as phr attach does. */
static const char *const cannot_express[] = { "kind", "documents" };

#define MAXF 1024

struct fields {
	struct phr_web_field f[MAXF];
	char *names[MAXF];
	char *values[MAXF];
	size_t n;
};

static void fields_free(struct fields *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->names[i]);
		free(fs->values[i]);
	}
	fs->n = 0;
}

static int add(struct fields *fs, const char *name, const char *value)
{
	if (fs->n >= MAXF)
		return 1;
	fs->names[fs->n] = strdup(name);
	fs->values[fs->n] = strdup(value);
	fs->f[fs->n].name = fs->names[fs->n];
	fs->f[fs->n].value = fs->values[fs->n];
	fs->f[fs->n].value_len = strlen(value);
	fs->n++;
	return 0;
}

/* How a person types a value: the test's own rules, with options. */
struct typing {
	char decimal_sep;   /* '.' or ',' */
	const char *code_label_lang; /* type codes as their label in this language (NULL: as codes) */
	int lower_countries;
};

static int flatten(struct fields *fs, const json_t *v, const char *name, const struct typing *t)
{
	char buf[256];
	if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach((json_t *)v, k, c) {
			snprintf(buf, sizeof(buf), "%s.%s", name, k);
			if (flatten(fs, c, buf, t))
				return 1;
		}
		return 0;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c) {
			snprintf(buf, sizeof(buf), "%s.%zu", name, i);
			if (flatten(fs, c, buf, t))
				return 1;
		}
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		const char *colon = strchr(s, ':');
		if (t && t->code_label_lang && colon && colon - s <= 6 && !strchr(s, ' ')) {
			char id[128];
			snprintf(id, sizeof(id), "code.%.*s.%s", (int)(colon - s), s, colon + 1);
			const char *l = phr_label(t->code_label_lang, id);
			if (l)
				return add(fs, name, l);
		}
		if (t && t->lower_countries && strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z') {
			char lc[3] = { (char)(s[0] + 32), (char)(s[1] + 32), 0 };
			return add(fs, name, lc);
		}
		return add(fs, name, s);
	}
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return add(fs, name, buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		if (t && t->decimal_sep == ',')
			for (char *p = buf; *p; p++)
				if (*p == '.')
					*p = ',';
		return add(fs, name, buf);
	}
	if (json_is_boolean(v))
		return add(fs, name, json_is_true(v) ? "true" : "false");
	return 1;
}

static json_t *load(const char *rel)
{
	size_t len;
	uint8_t *b = t_read(rel, &len);
	if (!b)
		return NULL;
	json_error_t e;
	json_t *j = json_loadb((const char *)b, len, 0, &e);
	free(b);
	return j;
}

/* The example without what the form cannot express. */
static json_t *expressible_part(const json_t *ex)
{
	json_t *c = json_deep_copy(ex);
	for (size_t i = 0; i < sizeof(cannot_express) / sizeof(cannot_express[0]); i++)
		json_object_del(c, cannot_express[i]);
	return c;
}

static char *html_of(const char *kind, const char *lang, const json_t *prefill, const json_t *errors)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int rc = phr_web_form_html(f, kind, lang, prefill, errors);
	fclose(f);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Types ex into the form of kind and parses it back; 0 if it comes back
 * equal to ex apart from what the form cannot express. */
static int roundtrip(const char *what, const json_t *ex, const char *kind, const char *lang, const struct typing *t)
{
	struct fields fs = { 0 };
	json_t *typed = expressible_part(ex);
	json_t *want = json_deep_copy(ex);
	json_object_del(want, "documents");
	CHECK(typed && want);
	CHECK(flatten(&fs, typed, "e", t) == 0);
	/* a CSRF token and a button beside the entry's fields are not the parser's */
	CHECK(add(&fs, "csrf", "0123456789abcdef") == 0);
	CHECK(add(&fs, "action", "review") == 0);

	/* the form shows an input for every field typed, prefilled from the example */
	char *html = html_of(kind, lang, typed, NULL);
	CHECK(html);
	for (size_t i = 0; i < fs.n; i++) {
		if (strncmp(fs.names[i], "e.", 2) != 0)
			continue;
		char needle[300];
		snprintf(needle, sizeof(needle), "name=\"%s\"", fs.names[i]);
		if (!strstr(html, needle)) {
			fprintf(stderr, "  %s: the form has no field %s\n", what, fs.names[i]);
			free(html);
			return 1;
		}
	}
	free(html);

	json_t *entry = NULL, *errors = NULL;
	int rc = phr_web_form_parse(fs.f, fs.n, kind, lang, &entry, &errors);
	if (rc) {
		char *e = errors ? json_dumps(errors, JSON_INDENT(1)) : NULL;
		fprintf(stderr, "  %s: parse %d: %s\n", what, rc, e ? e : phr_last_error());
		free(e);
		return 1;
	}
	CHECK(errors == NULL);
	if (!json_equal(entry, want)) {
		char *a = json_dumps(entry, JSON_INDENT(1)), *b = json_dumps(want, JSON_INDENT(1));
		fprintf(stderr, "  %s: parsed\n%s\n  expected\n%s\n", what, a, b);
		free(a);
		free(b);
		return 1;
	}
	/* and phr issue / extend would take it */
	uint8_t *cbor;
	size_t len;
	CHECK_RC(phr_entry_encode_json(entry, &cbor, &len), PHR_OK);
	free(cbor);
	json_decref(entry);
	json_decref(typed);
	json_decref(want);
	fields_free(&fs);
	return 0;
}

static const struct {
	const char *file, *kind;
} examples[] = {
	{ "examples/adult-tb-positive-referral.json", "assessment" },
	{ "examples/child-no-vaccination-documents.json", "assessment" },
	{ "examples/older-man-chronic.json", "assessment" },
	{ "examples/pregnant-hepatitis-b.json", "assessment" },
	{ "examples/entries/vaccination-given.json", "followup-vaccination" },
	{ "examples/entries/lab-result-referral.json", "followup-lab" },
	/* its "documents" is the uploaded file's reference: the rest is typed */
	{ "examples/entries/document-lab-result.json", "followup-lab" },
};

static int every_example_comes_back(void)
{
	/* every example file is in the table above */
	char *names[32];
	size_t n = t_list("examples", ".json", names, 32);
	size_t m = t_list("examples/entries", ".json", names + n, 32 - n);
	CHECK(n + m == sizeof(examples) / sizeof(examples[0]));
	for (size_t i = 0; i < n + m; i++)
		free(names[i]);
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		json_t *ex = load(examples[i].file);
		CHECK(ex);
		static const char *const langs[] = { "en", "ar" };
		for (size_t l = 0; l < 2; l++)
			if (roundtrip(examples[i].file, ex, examples[i].kind, langs[l], NULL))
				return 1;
		json_decref(ex);
	}
	return 0;
}

/* Typed the way staff type: decimals with a comma (German), codes picked
 * by their label in the clinic's language, countries in small letters. */
static int typed_like_staff(void)
{
	static const char *const langs[] = { "de", "fr", "ar", "uk" };
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		json_t *ex = load(examples[i].file);
		CHECK(ex);
		for (size_t l = 0; l < 4; l++) {
			struct typing t = { .decimal_sep = l == 0 ? ',' : '.', .code_label_lang = langs[l],
					    .lower_countries = 1 };
			if (roundtrip(examples[i].file, ex, examples[i].kind, langs[l], &t))
				return 1;
		}
		json_decref(ex);
	}
	return 0;
}

/* Names of every expressible leaf of the table, first row of each array. */
static int leaves_in_html(const struct phr_field *fields, const char *name, const char *html, int *count)
{
	for (const struct phr_field *f = fields; f->name; f++) {
		char n[256];
		snprintf(n, sizeof(n), "%s.%s", name, f->name);
		const struct phr_field *x = f;
		if (x->type == PHR_T_ARRAY) {
			snprintf(n, sizeof(n), "%s.%s.0", name, f->name);
			x = &f->children[0];
		}
		if (x->type == PHR_T_OBJECT) {
			if (leaves_in_html(x->children, n, html, count))
				return 1;
			continue;
		}
		char needle[300];
		snprintf(needle, sizeof(needle), "name=\"%s\"", n);
		int has_bytes = x->type == PHR_T_BYTES;
		int want = !has_bytes && strcmp(n, "e.kind") != 0 && strncmp(n, "e.documents.", 12) != 0;
		if ((strstr(html, needle) != NULL) != want) {
			fprintf(stderr, "  %s %s on the assessment form\n", n, want ? "missing" : "wrongly");
			return 1;
		}
		*count += want;
	}
	return 0;
}

static int form_has_every_field_of_the_table(void)
{
	char *html = html_of("assessment", "en", NULL, NULL);
	CHECK(html);
	int count = 0;
	CHECK(leaves_in_html(phr_schema_root()->children, "e", html, &count) == 0);
	CHECK(count > 60);
	/* labels from layouts/po, lists of code labels, add-row templates */
	CHECK(strstr(html, ">Date of birth<"));
	CHECK(strstr(html, "<datalist id=\"phr-dl-country\">"));
	CHECK(strstr(html, "<option value=\"atc:J07BD52\">"));
	CHECK(strstr(html, "<option value=\"Cel\">"));
	CHECK(strstr(html, "name=\"e.vaccinations.__i0__.vaccine\""));
	CHECK(strstr(html, "class=\"phr-add\""));
	free(html);

	/* in Arabic: the labels and the code list are Arabic */
	html = html_of("assessment", "ar", NULL, NULL);
	CHECK(html);
	const char *l = phr_label("ar", "field.identity.birth_date");
	CHECK(l && strstr(html, l));
	l = phr_label("ar", "code.atc.J07BD52");
	CHECK(l && strstr(html, l));
	free(html);

	/* follow-ups show only their sections */
	for (size_t i = 1; phr_web_form_kind(i); i++) {
		html = html_of(phr_web_form_kind(i), "en", NULL, NULL);
		CHECK(html);
		CHECK(strstr(html, "name=\"e.date\""));
		CHECK(strstr(html, "name=\"e.author.professional\""));
		CHECK(!strstr(html, "name=\"e.identity.sex\""));
		CHECK(!strstr(html, "name=\"e.documents"));
		free(html);
	}
	html = html_of("followup-vaccination", "en", NULL, NULL);
	CHECK(html && strstr(html, "name=\"e.vaccinations.0.lot\"") && !strstr(html, "name=\"e.results.0.test\""));
	free(html);
	html = html_of("followup-lab", "en", NULL, NULL);
	CHECK(html && strstr(html, "name=\"e.results.0.value\""));
	free(html);
	CHECK(html_of("nonsense", "en", NULL, NULL) == NULL);
	return 0;
}

static int parse_fields(struct fields *fs, const char *kind, const char *lang, json_t **entry, json_t **errors)
{
	return phr_web_form_parse(fs->f, fs->n, kind, lang, entry, errors);
}

static int starts_with(const char *s, const char *prefix)
{
	return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *err_at(const json_t *errors, const char *name)
{
	return json_string_value(json_object_get(errors, name));
}

/* Messages name the field by its label in the clinic's language. */
static int messages_in_the_clinics_language(void)
{
	struct fields fs = { 0 };
	json_t *entry = NULL, *errors = NULL;
	add(&fs, "e.date", "2025-06-11");
	add(&fs, "e.vaccinations.3.vaccine", "atc:J07BD52");
	add(&fs, "e.vaccinations.3.date", "2025-13-01");
	add(&fs, "e.vaccinations.7.lot", "X1");
	add(&fs, "e.vaccinations.8.vaccine", "icd11:1B10.0");
	add(&fs, "e.vaccinations.8.dose", "21");
	CHECK_RC(parse_fields(&fs, "followup-vaccination", "ar", &entry, &errors), PHR_E_FORM);
	CHECK(entry == NULL && errors);
	char want[512];
	snprintf(want, sizeof(want), "%s: ", phr_label("ar", "field.vaccinations.date"));
	CHECK(starts_with(err_at(errors, "e.vaccinations.3.date"), want));
	CHECK(strstr(err_at(errors, "e.vaccinations.3.date"), "YYYY-MM-DD"));
	snprintf(want, sizeof(want), "%s: %s", phr_label("ar", "field.vaccinations.vaccine"),
		 phr_label("ar", "web.form.err.required") + 4);
	CHECK(err_at(errors, "e.vaccinations.7.vaccine") && strcmp(err_at(errors, "e.vaccinations.7.vaccine"), want) == 0);
	snprintf(want, sizeof(want), "%s: ", phr_label("ar", "field.vaccinations.vaccine"));
	CHECK(starts_with(err_at(errors, "e.vaccinations.8.vaccine"), want));
	CHECK(strstr(err_at(errors, "e.vaccinations.8.vaccine"), "(atc)"));
	CHECK(strstr(err_at(errors, "e.vaccinations.8.dose"), "1") && strstr(err_at(errors, "e.vaccinations.8.dose"), "20"));
	CHECK(json_object_size(errors) == 4);
	/* phr_last_error() holds one of them */
	CHECK(strstr(phr_last_error(), phr_label("ar", "field.vaccinations.vaccine")) ||
	      strstr(phr_last_error(), phr_label("ar", "field.vaccinations.date")));

	/* shown again: the posted values kept, each message beside its field */
	json_t *values = phr_web_form_values(fs.f, fs.n);
	CHECK(values);
	char *html = html_of("followup-vaccination", "ar", values, errors);
	CHECK(html);
	CHECK(strstr(html, "value=\"2025-13-01\""));
	CHECK(strstr(html, "aria-invalid=\"true\""));
	CHECK(strstr(html, "id=\"err-e.vaccinations.3.date\""));
	CHECK(strstr(html, "name=\"e.vaccinations.8.dose\""));
	CHECK(strstr(html, "class=\"phr-errors\""));
	free(html);
	json_decref(values);
	json_decref(errors);
	fields_free(&fs);

	/* the entry's own date must be a full date, required */
	add(&fs, "e.date", "2025-06");
	CHECK_RC(parse_fields(&fs, "followup-note", "en", &entry, &errors), PHR_E_FORM);
	CHECK(starts_with(err_at(errors, "e.date"), "Date of visit: expected a full date"));
	json_decref(errors);
	fields_free(&fs);
	add(&fs, "e.notes", "Seen.");
	CHECK_RC(parse_fields(&fs, "followup-note", "fr", &entry, &errors), PHR_E_FORM);
	snprintf(want, sizeof(want), "%s : obligatoire", phr_label("fr", "field.date"));
	CHECK(err_at(errors, "e.date") && strcmp(err_at(errors, "e.date"), want) == 0);
	json_decref(errors);
	fields_free(&fs);

	/* a required field of a section typed in (consent needs its date) */
	add(&fs, "e.date", "2025-06-11");
	add(&fs, "e.consent.store", "true");
	add(&fs, "e.notes", "line one\nline two");
	add(&fs, "e.vitals.0.value", "36.1234567");
	add(&fs, "e.vitals.1.value", "36.5");
	add(&fs, "e.identity.nationality", "Syria ");
	add(&fs, "e.identity.languages.0", "xyz");
	CHECK_RC(parse_fields(&fs, "assessment", "en", &entry, &errors), PHR_E_FORM);
	CHECK(starts_with(err_at(errors, "e.consent.date"), "Date of consent: required") ||
	      starts_with(err_at(errors, "e.consent.date"), phr_label("en", "field.consent.date")));
	CHECK(starts_with(err_at(errors, "e.notes"), phr_label("en", "field.notes")));
	CHECK(err_at(errors, "e.vitals.0.value"));
	CHECK(err_at(errors, "e.vitals.1.code")); /* required in a row typed in */
	CHECK(err_at(errors, "e.vitals.1.unit"));
	CHECK(err_at(errors, "e.identity.nationality") == NULL); /* "Syria" is the label of SY */
	CHECK(err_at(errors, "e.identity.languages.0"));
	json_decref(errors);
	fields_free(&fs);
	return 0;
}

/* Rows removed on the page leave gaps; empty rows and sections vanish. */
static int rows_with_gaps(void)
{
	struct fields fs = { 0 };
	json_t *entry = NULL, *errors = NULL;
	add(&fs, "e.date", "2025-05-14");
	add(&fs, "e.history.9.code", "icd11:5A11");
	add(&fs, "e.history.2.code", "icd11:1E90");
	add(&fs, "e.history.2.onset", "2023");
	add(&fs, "e.history.4.code", "");
	add(&fs, "e.history.4.note", "   ");
	add(&fs, "e.migration.departure", "");
	add(&fs, "e.identity.languages.3", "fa");
	add(&fs, "e.identity.languages.0", "PS");
	add(&fs, "e.vitals.0.code", "8302-2"); /* bare LOINC: the only system the field takes */
	add(&fs, "e.vitals.0.value", "99,5");
	add(&fs, "e.vitals.0.unit", "°C");
	add(&fs, "e.consent.store", "false");
	add(&fs, "e.consent.date", "2025-05-14");
	CHECK_RC(parse_fields(&fs, "assessment", "en", &entry, &errors), PHR_OK);
	json_t *want = json_pack("{s:s, s:s, s:{s:[s,s]}, s:{s:b, s:s}, s:[{s:s, s:s}, {s:s}], s:[{s:s, s:f, s:s}]}",
				 "kind", "assessment", "date", "2025-05-14", "identity", "languages", "ps", "fa", "consent",
				 "store", 0, "date", "2025-05-14", "history", "code", "icd11:1E90", "onset", "2023", "code",
				 "icd11:5A11", "vitals", "code", "loinc:8302-2", "value", 99.5, "unit", "Cel");
	CHECK(want);
	if (!json_equal(entry, want)) {
		char *a = json_dumps(entry, JSON_INDENT(1));
		fprintf(stderr, "  parsed %s\n", a);
		free(a);
		return 1;
	}
	json_decref(want);
	json_decref(entry);

	/* shown again as posted: the rows at their positions, no others */
	json_t *values = phr_web_form_values(fs.f, fs.n);
	json_t *errs = json_pack("{s:s}", "e.history.6.code", "Condition: required");
	char *html = html_of("assessment", "en", values, errs);
	CHECK(html);
	CHECK(strstr(html, "name=\"e.history.2.code\" id=\"e.history.2.code\""));
	CHECK(strstr(html, "name=\"e.history.9.code\" id=\"e.history.9.code\" list=\"phr-dl-code-38\" autocomplete=\"off\" dir=\"ltr\" value=\"icd11:5A11\""));
	CHECK(strstr(html, "name=\"e.history.6.code\""));
	CHECK(!strstr(html, "name=\"e.history.0.code\""));
	CHECK(!strstr(html, "name=\"e.history.5.code\""));
	CHECK(strstr(html, "name=\"e.identity.languages.3\""));
	free(html);
	json_decref(errs);
	json_decref(values);
	fields_free(&fs);
	return 0;
}

/* Names that are not the form's, repeated names and limits. */
static int refused_names_and_limits(void)
{
	struct fields fs = { 0 };
	json_t *entry = NULL, *errors = NULL;
	static const char *const bad[] = {
		"e.kind", "e.documents.0.title", "e.documents.0.hash", "e.identity.nick", "e.identity",
		"e.vaccinations.01.lot", "e.vaccinations.1000.lot", "e.vaccinations.x.lot", "e.vaccinations.0",
		"e.vaccinations.0.lot.x", "e.identity.languages.0.x", "e.", "e..date", "e.date.", "e.identity.sex",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fields_free(&fs);
		add(&fs, "e.date", "2025-05-14");
		add(&fs, bad[i], "a");
		/* identity is not on a note form */
		CHECK_RC(parse_fields(&fs, "followup-note", "en", &entry, &errors), PHR_E_FORM);
		CHECK(err_at(errors, ""));
		json_decref(errors);
	}
	/* the same field twice */
	fields_free(&fs);
	add(&fs, "e.date", "2025-05-14");
	add(&fs, "e.date", "2025-05-15");
	CHECK_RC(parse_fields(&fs, "followup-note", "en", &entry, &errors), PHR_E_FORM);
	json_decref(errors);
	/* a value over PHR_WEB_FORM_MAX_VALUE */
	fields_free(&fs);
	char *big = malloc(PHR_WEB_FORM_MAX_VALUE + 2);
	CHECK(big);
	memset(big, 'a', PHR_WEB_FORM_MAX_VALUE + 1);
	big[PHR_WEB_FORM_MAX_VALUE + 1] = '\0';
	add(&fs, "e.date", "2025-05-14");
	add(&fs, "e.notes", big);
	free(big);
	CHECK_RC(parse_fields(&fs, "followup-note", "en", &entry, &errors), PHR_E_FORM);
	CHECK(starts_with(err_at(errors, "e.notes"), "Notes: too long"));
	json_decref(errors);
	/* more fields than PHR_WEB_FORM_MAX_FIELDS */
	struct phr_web_field *many = calloc(PHR_WEB_FORM_MAX_FIELDS + 1, sizeof(*many));
	CHECK(many);
	for (size_t i = 0; i <= PHR_WEB_FORM_MAX_FIELDS; i++)
		many[i] = (struct phr_web_field){ "x", "", 0 };
	CHECK_RC(phr_web_form_parse(many, PHR_WEB_FORM_MAX_FIELDS + 1, "assessment", "en", &entry, &errors), PHR_E_LIMIT);
	CHECK(entry == NULL && errors == NULL);
	free(many);
	CHECK_RC(phr_web_form_parse(fs.f, fs.n, "nonsense", "en", &entry, &errors), PHR_E_ARG);
	fields_free(&fs);

	/* what only the schema's whole-entry check sees: the encoded size */
	add(&fs, "e.date", "2025-05-14");
	char note[1001];
	memset(note, 'n', 1000);
	note[1000] = '\0';
	for (int i = 0; i < 20; i++) {
		char name[64];
		snprintf(name, sizeof(name), "e.history.%d.code", i);
		add(&fs, name, "icd11:5A11");
		snprintf(name, sizeof(name), "e.history.%d.note", i);
		add(&fs, name, note);
	}
	CHECK_RC(parse_fields(&fs, "assessment", "en", &entry, &errors), PHR_E_FORM);
	CHECK(strstr(err_at(errors, ""), "PHR_MAX_ENTRY_CBOR"));
	json_decref(errors);
	fields_free(&fs);
	/* too many rows */
	add(&fs, "e.date", "2025-05-14");
	for (int i = 0; i < 17; i++) {
		char name[64];
		snprintf(name, sizeof(name), "e.plan.referrals.%d.reason", i);
		add(&fs, name, "icd11:1B10.0");
	}
	CHECK_RC(parse_fields(&fs, "followup-referral", "en", &entry, &errors), PHR_E_FORM);
	CHECK(starts_with(err_at(errors, "e.plan.referrals"), "Referrals: too many (at most 16)"));
	json_decref(errors);
	fields_free(&fs);
	return 0;
}

/* Values are escaped in the page. */
static int html_escapes_values(void)
{
	json_t *pre = json_pack("{s:s, s:s}", "e.notes", "\"><script>alert(1)</script>", "e.author.role", "a&b'c");
	char *html = html_of("followup-note", "en", pre, NULL);
	CHECK(html);
	CHECK(!strstr(html, "<script>"));
	CHECK(strstr(html, "&quot;&gt;&lt;script&gt;"));
	CHECK(strstr(html, "a&amp;b&#39;c"));
	free(html);
	json_decref(pre);
	return 0;
}

/* The summary before signing: labels and coded values in the language. */
static int summary_names_fields_and_codes(void)
{
	json_t *ex = load("examples/child-no-vaccination-documents.json");
	CHECK(ex);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f);
	CHECK_RC(phr_web_form_summary_html(f, ex, "ar"), PHR_OK);
	fclose(f);
	CHECK(strstr(buf, phr_label("ar", "field.vaccinations.lot")));
	CHECK(strstr(buf, phr_label("ar", "code.atc.J07BD52")));
	CHECK(strstr(buf, phr_label("ar", "enum.consent.given_by.parent")));
	CHECK(strstr(buf, phr_label("ar", "country.GR")));
	CHECK(strstr(buf, "MMR5140A"));
	CHECK(strstr(buf, "14.1"));
	free(buf);
	json_decref(ex);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "every example comes back", every_example_comes_back },
		{ "typed like staff", typed_like_staff },
		{ "form has every field of the table", form_has_every_field_of_the_table },
		{ "messages in the clinic's language", messages_in_the_clinics_language },
		{ "rows with gaps", rows_with_gaps },
		{ "refused names and limits", refused_names_and_limits },
		{ "html escapes values", html_escapes_values },
		{ "summary names fields and codes", summary_names_fields_and_codes },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
