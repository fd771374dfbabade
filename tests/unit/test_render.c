/* The views never show a control or bidi formatting character, whatever
 * the input: content the schema would refuse (this test builds render.c
 * with phr_entry_decode_json replaced by test_entry_decode_json, which
 * returns the entry's bytes read as JSON, unchecked), and a clinic name and
 * a detail from a hand-filled report; then print/'s text engine, which
 * Pango would otherwise let apply a U+202E. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "phr/container.h"
#include "phr/print.h"
#include "phr/render.h"
#include "phr/verify.h"
#include "print_int.h"
#include "testlib.h"

int test_entry_decode_json(const uint8_t *cbor, size_t len, json_t **out);

/* The test backend: the "content" is JSON text, taken as it is. */
int test_entry_decode_json(const uint8_t *cbor, size_t len, json_t **out)
{
	*out = json_loadb((const char *)cbor, len, JSON_ALLOW_NUL, NULL);
	return *out ? PHR_OK : phr_fail(PHR_E_JSON, "test content is not JSON");
}

#define ESC_ATTACK "Fine.\\u001b[2J\\u001b[H\\u001b[1;32mAll entries valid\\u001b[0m\\r\\u0007\\u009b2J"
static const char *const contents[] = {
	"{\"kind\":\"assessment\",\"date\":\"2025-03-01\","
	"\"identity\":{\"names\":[{\"given\":\"Sara\\u202e\",\"family\":\"Ali\\u2067x\\u2069\\u001b[8m\"},"
	"{\"family\":\"\\u0639\\u0644\\u06cc\\u200f\"}],\"birth_date\":\"1990\\u001b[2J\",\"preferred_language\":\"a\\u001b\"},"
	"\"allergies\":[{\"code\":\"atc:J01CA04\",\"reaction\":\"rash\\u2028\\u2029x\\u202a\\u202b\\u202c\\u202d\\u2066\\u2068\"}],"
	"\"plan\":{\"notes\":\"" ESC_ATTACK "\"},\"notes\":\"line\\nline\\ttab\\u007f\\u0085\"}",
	"{\"kind\":\"follow_up\",\"date\":\"2025-04-01\\u001b]0;title\\u0007\",\"notes\":\"Dose 1 of 3\\u202e3 fo 1\"}",
};

static void fake_record(struct phr_record *r, struct phr_report *rep)
{
	memset(r, 0, sizeof(*r));
	memset(rep, 0, sizeof(*rep));
	r->n_entries = rep->n = 2;
	for (size_t i = 0; i < 2; i++) {
		r->entries[i].content = (const uint8_t *)contents[i];
		r->entries[i].content_len = strlen(contents[i]);
		rep->entries[i].have_signer = true;
		snprintf(rep->entries[i].clinic, sizeof(rep->entries[i].clinic), "Clinic\x1b[2J\xe2\x80\xae\xc2\x9b");
		memcpy(rep->entries[i].country, "G\x1b", 3);
	}
	rep->entries[0].status = PHR_ST_VALID;
	rep->entries[1].status = PHR_ST_BAD_SIGNATURE;
	snprintf(rep->entries[1].detail, sizeof(rep->entries[1].detail), "detail\x1b[31m\r\x07\xe2\x81\xa6");
}

/* The code points no view shows (docs/FORMAT.md, "Entry content"). */
static bool forbidden(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* s is UTF-8 and holds no forbidden code point but new lines where allowed. */
static int clean(const char *s, size_t n, bool newlines)
{
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return 0;
	for (const char *p = s; p < s + n; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (forbidden(c) && !(newlines && c == '\n'))
			return 0;
	}
	return 1;
}

static int test_text_view(void)
{
	static struct phr_record r;
	static struct phr_report rep;
	char *buf = NULL;
	size_t len = 0;
	fake_record(&r, &rep);
	FILE *f = open_memstream(&buf, &len);
	CHECK(f);
	CHECK_RC(phr_render_text(&r, &rep, "en", f), PHR_OK);
	fclose(f);
	int ok = clean(buf, len, true);
	if (!ok)
		fprintf(stderr, "%s\n", buf);
	CHECK(ok);
	/* the text is shown, its controls as U+FFFD */
	CHECK(strstr(buf, "Fine.\xef\xbf\xbd[2J\xef\xbf\xbd[H\xef\xbf\xbd[1;32mAll entries valid"));
	CHECK(strstr(buf, "Clinic\xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd"));
	CHECK(strstr(buf, "detail\xef\xbf\xbd[31m"));
	CHECK(strstr(buf, "\xd8\xb9\xd9\x84\xdb\x8c\xe2\x80\x8f")); /* an allowed mark stays */
	free(buf);
	return 0;
}

static int view_clean(const struct phr_print_view *v)
{
	const char *s[] = { v->holder_name, v->holder_other, v->birth_date, v->issued_on, v->issuer };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!clean(s[i], strlen(s[i]), false))
			return fprintf(stderr, "  view string %zu: %s\n", i, s[i]), 0;
	for (size_t i = 0; i < v->n_entries; i++) {
		const struct phr_print_entry *e = &v->entries[i];
		if (!clean(e->title, strlen(e->title), false) || !clean(e->status_text, strlen(e->status_text), false) ||
		    !clean(e->signer, strlen(e->signer), false) || !clean(e->signed_on, strlen(e->signed_on), false))
			return fprintf(stderr, "  entry %zu\n", i), 0;
	}
	for (size_t i = 0; i < v->n_lines; i++)
		if (!clean(v->lines[i].label, strlen(v->lines[i].label), false) ||
		    !clean(v->lines[i].value, strlen(v->lines[i].value), false))
			return fprintf(stderr, "  line %zu: %s: %s\n", i, v->lines[i].label, v->lines[i].value), 0;
	return strlen(v->preferred_language) == 0;
}

static int test_print_view(void)
{
	static struct phr_record r;
	static struct phr_report rep;
	struct phr_print_view *v;
	fake_record(&r, &rep);
	CHECK_RC(phr_render_print_view(&r, &rep, "en", &v), PHR_OK);
	int ok = view_clean(v);
	CHECK(strstr(v->holder_name, "Sara\xef\xbf\xbd"));
	phr_render_print_view_free(v);
	CHECK(ok);
	return 0;
}

/* print/'s text engine: whatever it is handed, the paragraph Pango lays
 * out holds no control character but new lines, no embedding or override. */
static int test_text_engine(void)
{
	struct phr_layout *l;
	CHECK_RC(phr_layout_load("a6-booklet", &l), PHR_OK);
	struct text *t = text_create(l);
	CHECK(t);
	static const struct {
		const char *in, *lang;
		size_t prefix;
	} cases[] = {
		{ "Signed by: Clinic\x1b[2J\xe2\x80\xae evil \xc2\x9b\r\x07 2025-03-01", "en", 10 },
		{ "\x1b[1mNOT VERIFIED \xe2\x80\xae" "enilc", "ar", 14 },
		{ "\xd8\xb3\xd8\xa7\xd8\xb1\xd8\xa9 2025-05-06 \xe2\x80\xad\xe2\x80\xa8x\xe2\x80\xa9\x7f", "fa", 0 },
		{ "bad \xff\xc0 utf8\tand tab", "en", 4 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PangoLayout *pl = text_layout(t, cases[i].lang, TS_BODY, TF_LABEL, 100, cases[i].in, cases[i].prefix);
		CHECK(pl);
		const char *s = pango_layout_get_text(pl);
		int ok = g_utf8_validate(s, -1, NULL) && !strpbrk(s, "\x1b\r\x07\t\x7f") && !strstr(s, "\xc2\x9b") &&
			 !strstr(s, "\xe2\x80\xae") && !strstr(s, "\xe2\x80\xad") && !strstr(s, "\xe2\x80\xa8") &&
			 !strstr(s, "\xe2\x80\xa9") && strstr(s, "\xef\xbf\xbd");
		if (!ok)
			fprintf(stderr, "  case %zu: laid out '%s'\n", i, s);
		g_object_unref(pl);
		CHECK(ok);
	}
	/* what the booklet itself writes is kept: new lines, and the isolates
	 * it wraps labels and dates in */
	const char *own = "WARNING\nsecond line \xe2\x81\xa8label\xe2\x81\xa9 / \xe2\x81\xa8\xd8\xa8\xe2\x81\xa9";
	PangoLayout *pl = text_layout(t, "en", TS_BODY, 0, 100, own, 0);
	CHECK(pl && !strcmp(pango_layout_get_text(pl), own));
	g_object_unref(pl);
	text_destroy(t);
	phr_layout_destroy(l);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "text view: no control or bidi character from content, names or details", test_text_view },
		{ "printable view: every string sanitized", test_print_view },
		{ "print text engine: never lays out a control or an override", test_text_engine },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
