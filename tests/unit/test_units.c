/* Units and numbers as people write them (docs/PRINT.md, "What the pages
 * say"): every UCUM unit docs/RECORD.md lists has a human form in every
 * compiled-in language, any other code its UCUM print form, and a decimal
 * the language's separator; the holder's column of the printable view
 * shows coded terms without their codes, the clinic's and phr show with
 * them, and neither shows "36.8 Cel". */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include "fixture.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/print.h"
#include "phr/render.h"
#include "testlib.h"

#define NBSP "\u00a0"
#define LRM "\u200e"
#define MAX_DOC_UNITS 64

static struct fixture fx;

/* The UCUM codes of docs/RECORD.md's "Units." paragraph, in backticks. */
static size_t documented_units(char units[][32], size_t max)
{
	size_t len, n = 0;
	char *doc = (char *)t_read("docs/RECORD.md", &len);
	if (!doc)
		return 0;
	const char *p = strstr(doc, "**Units.**");
	const char *end = p ? strstr(p, "UCUM is case-sensitive") : NULL;
	while (p && end && n < max && (p = strchr(p, '`')) && p < end) {
		const char *q = strchr(p + 1, '`');
		if (!q || q - p - 1 >= 32)
			break;
		memcpy(units[n], p + 1, (size_t)(q - p - 1));
		units[n][q - p - 1] = '\0';
		n++;
		p = q + 1;
	}
	free(doc);
	return n;
}

/* Only a bare annotation ("{score}"): UCUM's unity, the number alone. */
static bool annotation_only(const char *u)
{
	return u[0] == '{' && strchr(u, '}') == u + strlen(u) - 1;
}

static int every_documented_unit_in_every_language(void)
{
	static char units[MAX_DOC_UNITS][32];
	size_t n = documented_units(units, MAX_DOC_UNITS);
	CHECK(n >= 17);
	int bad = 0;
	for (size_t l = 0; l < phr_label_lang_count(); l++) {
		const char *lang = phr_label_lang_at(l);
		for (size_t i = 0; i < n; i++) {
			char out[200], id[64];
			const char *u = units[i];
			phr_unit_text(lang, u, out, sizeof(out));
			snprintf(id, sizeof(id), "unit.%.31s", u);
			/* a label of its own, unless the UCUM code is the same in
			 * every language ("%") or shows nothing ("{score}") */
			bool own = strcmp(u, "%") != 0 && !annotation_only(u);
			if (own && !phr_label(lang, id)) {
				fprintf(stderr, "  %s: no label %s\n", lang, id);
				bad = 1;
			}
			if (annotation_only(u) ? *out != '\0' : *out == '\0') {
				fprintf(stderr, "  %s: %s shown as \"%s\"\n", lang, u, out);
				bad = 1;
			}
			/* nothing of UCUM's machine syntax is left */
			if (strstr(out, "Cel") || strpbrk(out, "[]{}*^")) {
				fprintf(stderr, "  %s: %s shown as \"%s\"\n", lang, u, out);
				bad = 1;
			}
		}
	}
	return bad;
}

static int english_and_others(void)
{
	static const struct {
		const char *lang, *code, *want;
	} cases[] = {
		{ "en", "Cel", "\u00b0C" },
		{ "en", "mm[Hg]", "mmHg" },
		{ "en", "/min", "/min" },
		{ "en", "%", "%" },
		{ "en", "kg/m2", "kg/m\u00b2" },
		{ "en", "[IU]/mL", "IU/mL" },
		{ "en", "10*9/L", "10\u2079/L" },
		{ "en", "umol/L", "\u00b5mol/L" },
		{ "en", "{score}", "" },
		{ "fr", "[IU]/mL", "UI/mL" },
		{ "de", "mmol/L", "mmol/l" },
		{ "el", "/min", "/\u03bb\u03b5\u03c0\u03c4\u03cc" },
		{ "uk", "mm[Hg]", "\u043c\u043c \u0440\u0442. \u0441\u0442." },
		{ "uk", "kg", "\u043a\u0433" },
		{ "bg", "/min", "/\u043c\u0438\u043d" },
		{ "sr", "kg", "kg" },
		{ "ar", "Cel", "\u00b0\u0645" },
		{ "ar", "/min", "\u0641\u064a \u0627\u0644\u062f\u0642\u064a\u0642\u0629" },
		{ "fa", "/min", "\u062f\u0631 \u062f\u0642\u06cc\u0642\u0647" },
		/* a language not compiled in: English */
		{ "xx", "mm[Hg]", "mmHg" },
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[200];
		phr_unit_text(cases[i].lang, cases[i].code, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0) {
			fprintf(stderr, "  %s %s: \"%s\", expected \"%s\"\n", cases[i].lang, cases[i].code, out, cases[i].want);
			bad = 1;
		}
	}
	return bad;
}

/* Codes no .po file lists: UCUM's print form, the same in every language. */
static int print_form_of_other_codes(void)
{
	static const struct {
		const char *code, *want;
	} cases[] = {
		{ "10*3/uL", "10\u00b3/\u00b5L" },
		{ "10^12/L", "10\u00b9\u00b2/L" },
		{ "ug/mL", "\u00b5g/mL" },
		{ "[degF]", "\u00b0F" },
		{ "cm[H2O]", "cmH\u2082O" },
		{ "mg.kg-1", "mg\u00b7kg\u207b\u00b9" },
		{ "mL/min/{1.73_m2}", "mL/min/1.73 m2" },
		{ "m2", "m\u00b2" },
		{ "[IU]/L", "IU/L" },
		{ "U/L", "U/L" },
		{ "mm/h", "mm/h" },
		{ "[pH]", "pH" },
		{ "{beats}/min", "beats/min" },
		{ "/[HPF]", "/HPF" },
		{ "u", "u" },
		{ "Cel.", "\u00b0C\u00b7" },
		{ "[unclosed", "unclosed" },
		{ "10*", "10*" },
	};
	int bad = 0;
	for (size_t l = 0; l < phr_label_lang_count(); l++) {
		const char *lang = phr_label_lang_at(l);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char out[200];
			phr_unit_text(lang, cases[i].code, out, sizeof(out));
			if (strcmp(out, cases[i].want) != 0) {
				fprintf(stderr, "  %s %s: \"%s\", expected \"%s\"\n", lang, cases[i].code, out, cases[i].want);
				bad = 1;
			}
		}
	}
	return bad;
}

/* Not a unit the schema takes: given back sanitized, never overrun. */
static int odd_input_and_small_buffers(void)
{
	char out[64];
	CHECK(phr_unit_text("en", NULL, out, sizeof(out)) == out && out[0] == '\0');
	CHECK(*phr_unit_text("en", "", out, sizeof(out)) == '\0');
	CHECK(phr_unit_text("en", "kg", NULL, 0) == NULL);
	phr_unit_text("en", "\x1b[31mkg", out, sizeof(out));
	CHECK(!strchr(out, '\x1b') && strstr(out, "\xef\xbf\xbd[31mkg"));
	phr_unit_text("en", "abcdefghijklmnopqrstuvwxyz", out, sizeof(out));
	CHECK(!strcmp(out, "abcdefghijklmnopqrstuvwxyz"));
	/* a cut falls between characters */
	for (size_t cap = 1; cap < 12; cap++) {
		char small[12];
		memset(small, 'x', sizeof(small));
		phr_unit_text("en", "10*9/L", small, cap);
		CHECK(strlen(small) < cap && g_utf8_validate(small, -1, NULL));
		phr_unit_text("uk", "mm[Hg]", small, cap);
		CHECK(strlen(small) < cap && g_utf8_validate(small, -1, NULL));
	}
	return 0;
}

/* Any code of 1-20 printable characters: UTF-8 out, within the buffer. */
static int random_codes(void)
{
	uint32_t x = 2463534242u;
	for (int i = 0; i < 200000; i++) {
		char code[21], out[80];
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		size_t n = 1 + x % 20;
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			static const char alpha[] = "10*^.-+/[]{}_uCelmgLkHg'%2389";
			code[k] = x & 1 ? alpha[(x >> 1) % (sizeof(alpha) - 1)] : (char)(0x21 + (x >> 1) % 94);
		}
		code[n] = '\0';
		size_t cap = i % 3 ? sizeof(out) : 1 + (size_t)i % 9;
		phr_unit_text(i & 1 ? "ar" : "de", code, out, cap);
		if (strlen(out) >= cap || !g_utf8_validate(out, -1, NULL)) {
			fprintf(stderr, "  \"%s\" (cap %zu) gave \"%s\"\n", code, cap, out);
			return 1;
		}
	}
	return 0;
}

/* The characters of print forms, drawn by the booklet's fonts. */
static int print_forms_have_glyphs(void)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 8, 8);
	cairo_t *cr = cairo_create(s);
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_from_string("Noto Sans, Noto Naskh Arabic, Noto Sans Arabic 10");
	pango_layout_set_font_description(l, fd);
	pango_layout_set_text(l, "\u00b0C \u00b0F H\u2082O \u00b5g 10\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079 "
				 "kg\u00b7m\u207b\u00b2 \u207a 36.8" NBSP "\u00b0C " LRM "mmHg",
			      -1);
	int unknown = pango_layout_get_unknown_glyphs_count(l);
	pango_font_description_free(fd);
	g_object_unref(l);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	CHECK(unknown == 0);
	return 0;
}

/* ---- the views of a record ---- */

static const char follow_up[] =
	"{\"kind\":\"follow_up\",\"date\":\"2025-06-20\","
	"\"results\":[{\"test\":\"loinc:2345-7\",\"result\":\"normal\",\"value\":5.5,\"unit\":\"mmol/L\"},"
	"{\"test\":\"loinc:711-2\",\"result\":\"normal\",\"value\":0.000001,\"unit\":\"10*3/uL\"},"
	"{\"test\":\"loinc:718-7\",\"result\":\"normal\",\"unit\":\"g/dL\"}],"
	"\"vitals\":[{\"code\":\"loinc:8867-4\",\"value\":88,\"unit\":\"/min\"},"
	"{\"code\":\"loinc:8480-6\",\"value\":120,\"unit\":\"mm[Hg]\"}],"
	"\"diagnoses\":[{\"code\":\"icd11:1E90\"},{\"code\":\"icd11:XY99\"}]}";

static int make_record(struct phr_record **out, struct phr_report *rep)
{
	uint8_t *cbor;
	size_t len;
	struct phr_record *r;
	CHECK_RC(phr_entry_parse_text(follow_up, strlen(follow_up), &cbor, &len), PHR_OK);
	CHECK(!fx_record(&fx, 1, NULL, &r));
	CHECK_RC(phr_record_append(r, fx.clinic2, fx.cert2, fx.cert2_len, cbor, len, FX_T0 + FX_DAY), PHR_OK);
	free(cbor);
	CHECK_RC(phr_verify_record(r, fx.trust, FX_T0 + FX_DAY, rep), PHR_OK);
	CHECK(rep->all_valid);
	*out = r;
	return 0;
}

/* Some line of v (its plain values when holder) holds s. */
static bool view_has(const struct phr_print_view *v, bool holder, const char *s)
{
	for (size_t i = 0; i < v->n_lines; i++)
		if (strstr(holder ? v->plain[i] : v->lines[i].value, s))
			return true;
	return false;
}

static int check_view(const struct phr_record *r, const struct phr_report *rep, const char *lang,
		      const char *const *holder_has, const char *const *clinic_has)
{
	struct phr_print_view *v;
	CHECK_RC(phr_render_print_view(r, rep, lang, &v), PHR_OK);
	int bad = v->plain == NULL;
	for (size_t i = 0; !bad && i < v->n_lines; i++) {
		const char *p = v->plain[i], *val = v->lines[i].value;
		/* the holder's column: no code of a term with a label, no UCUM */
		if (strstr(p, "[loinc:") || strstr(p, "[icd11:") || strstr(p, "[atc:") || strstr(p, "Cel") ||
		    strstr(val, " Cel") || strstr(p, "mm[Hg]") || strstr(val, "mm[Hg]") || strstr(p, "e-0")) {
			fprintf(stderr, "  %s line %zu: \"%s\" / \"%s\"\n", lang, i, p, val);
			bad = 1;
		}
	}
	for (size_t i = 0; holder_has[i]; i++)
		if (!view_has(v, true, holder_has[i]))
			fprintf(stderr, "  %s: the holder's column lacks \"%s\"\n", lang, holder_has[i]), bad = 1;
	for (size_t i = 0; clinic_has[i]; i++)
		if (!view_has(v, false, clinic_has[i]))
			fprintf(stderr, "  %s: the clinic's column lacks \"%s\"\n", lang, clinic_has[i]), bad = 1;
	phr_render_print_view_free(v);
	return bad;
}

static int holder_column_without_codes(void)
{
	struct phr_record *r;
	static struct phr_report rep;
	CHECK(!make_record(&r, &rep));
	static const char *const en_h[] = { "36.8" NBSP "\u00b0C", "14.2" NBSP "kg", "5.5" NBSP "mmol/L",
					    "0.000001" NBSP "10\u00b3/\u00b5L", "88/min", "120" NBSP "mmHg",
					    "Unit: g/dL", "Varicella", "icd11:XY99", NULL };
	static const char *const en_c[] = { "[loinc:8310-5]; Value: 36.8" NBSP "\u00b0C", "[icd11:1E90]",
					    "88/min", NULL };
	static const char *const de_h[] = { "36,8" NBSP "\u00b0C", "5,5" NBSP "mmol/l", "0,000001", "120" NBSP "mmHg",
					    NULL };
	static const char *const de_c[] = { "36,8" NBSP "\u00b0C", "[loinc:8310-5]", NULL };
	static const char *const ar_h[] = { "36.8" NBSP "\u00b0\u0645", "5.5" NBSP "\u0645\u0644\u064a\u0645\u0648\u0644/\u0644",
					    "0.000001" NBSP LRM "10\u00b3/\u00b5L", NULL };
	static const char *const ar_c[] = { "[loinc:8310-5]", NULL };
	static const char *const uk_h[] = { "36,8" NBSP "\u00b0C", "120" NBSP "\u043c\u043c" NBSP "\u0440\u0442." NBSP "\u0441\u0442.",
					    "88/\u0445\u0432", NULL };
	int bad = check_view(r, &rep, "en", en_h, en_c) || check_view(r, &rep, "de", de_h, de_c) ||
		  check_view(r, &rep, "ar", ar_h, ar_c) || check_view(r, &rep, "uk", uk_h, ar_c);
	for (size_t l = 0; l < phr_label_lang_count(); l++) {
		static const char *const none[] = { NULL };
		bad |= check_view(r, &rep, phr_label_lang_at(l), none, ar_c);
	}
	phr_record_destroy(r);
	return bad;
}

/* phr show is the clinic's view: codes kept, units the human way. */
static int text_summary_keeps_codes(void)
{
	struct phr_record *r;
	static struct phr_report rep;
	CHECK(!make_record(&r, &rep));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f);
	CHECK_RC(phr_render_text(r, &rep, "fr", f), PHR_OK);
	fclose(f);
	phr_record_destroy(r);
	int ok = strstr(buf, "[loinc:8310-5]") && strstr(buf, "[icd11:1E90]") && strstr(buf, "36,8" NBSP "\u00b0C") &&
		 strstr(buf, "120" NBSP "mmHg") && !strstr(buf, "Cel") && !strstr(buf, "mm[Hg]");
	if (!ok)
		fprintf(stderr, "%s", buf);
	free(buf);
	CHECK(ok);
	return 0;
}

int main(void)
{
	if (fx_init(&fx, "child-no-vaccination-documents.json")) {
		fprintf(stderr, "fixture: %s\n", phr_last_error());
		return 1;
	}
	static const struct test tests[] = {
		{ "every unit of docs/RECORD.md in every language", every_documented_unit_in_every_language },
		{ "units in English and other languages", english_and_others },
		{ "other UCUM codes: their print form", print_form_of_other_codes },
		{ "odd input and small buffers", odd_input_and_small_buffers },
		{ "random codes", random_codes },
		{ "print forms have glyphs", print_forms_have_glyphs },
		{ "holder's column without codes, clinic's with", holder_column_without_codes },
		{ "phr show keeps codes, units the human way", text_summary_keeps_codes },
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	fx_finish(&fx);
	/* fontconfig, Pango and Cairo free their caches, as in test_labels, so
	 * that the leak checker sees only this program's own leaks */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
	return rc;
}
