/* Labels of every compiled-in language: complete, printf directives kept,
 * and every label shaped by Pango with the fonts the booklet uses, with no
 * unknown glyph (tofu) and no fallback to a font outside that set. */
#include "testlib.h"

#include "phr/labels.h"

#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

/* The families the print layouts name (layouts/pages/); every script of
 * every language must come from one of them (Debian fonts-noto-core). */
#define FONT_FAMILIES "Noto Sans, Noto Naskh Arabic, Noto Sans Arabic"
static const char *const allowed_prefix = "Noto ";

/* The sequence of printf directives of s ("dds" for "%d ... %d ... %s"). */
static void directives(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = s; *p; p++) {
		if (p[0] != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		if (n + 1 < cap)
			out[n++] = p[1] ? p[1] : '?';
		if (p[1])
			p++;
	}
	out[n] = '\0';
}

static int every_language_is_complete(void)
{
	size_t nen = phr_label_count("en");
	CHECK(nen > 400);
	CHECK(phr_label_lang_count() >= 3);
	int bad = 0;
	for (size_t l = 0; l < phr_label_lang_count(); l++) {
		const char *lang = phr_label_lang_at(l);
		size_t missing = 0;
		for (size_t i = 0; i < nen; i++) {
			const char *id = phr_label_id_at("en", i);
			if (!phr_label(lang, id)) {
				if (missing < 5)
					fprintf(stderr, "  %s: no translation of %s\n", lang, id);
				missing++;
			}
		}
		size_t extra = phr_label_count(lang) + missing - nen;
		if (missing || extra) {
			fprintf(stderr, "  %s: %zu labels missing, %zu not in en\n", lang, missing, extra);
			bad = 1;
		}
	}
	return bad;
}

static int directives_are_kept(void)
{
	int bad = 0;
	for (size_t l = 0; l < phr_label_lang_count(); l++) {
		const char *lang = phr_label_lang_at(l);
		for (size_t i = 0; i < phr_label_count("en"); i++) {
			const char *id = phr_label_id_at("en", i);
			const char *en = phr_label("en", id), *tr = phr_label(lang, id);
			if (!tr)
				continue;
			char a[16], b[16];
			directives(en, a, sizeof(a));
			directives(tr, b, sizeof(b));
			if (strcmp(a, b) != 0) {
				fprintf(stderr, "  %s %s: directives \"%s\", English has \"%s\"\n", lang, id, b, a);
				bad = 1;
			}
		}
	}
	return bad;
}

struct shaper {
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoLayout *layout;
};

static int shaper_open(struct shaper *s)
{
	s->surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 8, 8);
	s->cr = cairo_create(s->surface);
	s->layout = pango_cairo_create_layout(s->cr);
	PangoFontDescription *fd = pango_font_description_from_string(FONT_FAMILIES " 10");
	pango_layout_set_font_description(s->layout, fd);
	pango_font_description_free(fd);
	pango_layout_set_auto_dir(s->layout, TRUE);
	return cairo_status(s->cr) == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

static void shaper_close(struct shaper *s)
{
	g_object_unref(s->layout);
	cairo_destroy(s->cr);
	cairo_surface_destroy(s->surface);
}

/* Shapes text; returns the number of unknown glyphs, and names in fallback
 * (cap bytes) the first font used that is not one of the allowed families. */
static int shape(struct shaper *s, const char *text, char *fallback, size_t cap)
{
	fallback[0] = '\0';
	pango_layout_set_text(s->layout, text, -1);
	int unknown = pango_layout_get_unknown_glyphs_count(s->layout);
	PangoLayoutIter *it = pango_layout_get_iter(s->layout);
	do {
		PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
		if (!run || fallback[0])
			continue;
		PangoFontDescription *d = pango_font_describe(run->item->analysis.font);
		const char *fam = pango_font_description_get_family(d);
		if (!fam || strncmp(fam, allowed_prefix, strlen(allowed_prefix)) != 0)
			snprintf(fallback, cap, "%s", fam ? fam : "(none)");
		pango_font_description_free(d);
	} while (pango_layout_iter_next_run(it));
	pango_layout_iter_free(it);
	return unknown;
}

/* The detector itself: a private-use character has no glyph in any font. */
static int detector_sees_tofu(void)
{
	struct shaper s;
	CHECK(shaper_open(&s) == 0);
	char fb[64];
	int ok = shape(&s, "abc \xEE\x80\x80 \xF4\x8F\xBF\xBD", fb, sizeof(fb)) >= 1;
	int clean = shape(&s, "Personal Health Record", fb, sizeof(fb)) == 0 && fb[0] == '\0';
	shaper_close(&s);
	CHECK(ok);
	CHECK(clean);
	return 0;
}

static int every_label_has_glyphs(void)
{
	struct shaper s;
	CHECK(shaper_open(&s) == 0);
	int bad = 0;
	size_t shaped = 0;
	for (size_t l = 0; l < phr_label_lang_count(); l++) {
		const char *lang = phr_label_lang_at(l);
		size_t n = phr_label_count(lang), tofu = 0, fell = 0;
		for (size_t i = 0; i < n; i++) {
			const char *id = phr_label_id_at(lang, i);
			const char *text = phr_label(lang, id);
			char fb[64];
			int u = shape(&s, text, fb, sizeof(fb));
			shaped++;
			if (u > 0) {
				if (tofu++ < 5)
					fprintf(stderr, "  %s %s: %d unknown glyph(s) in \"%s\"\n", lang, id, u, text);
			} else if (fb[0]) {
				if (fell++ < 5)
					fprintf(stderr, "  %s %s: shaped with \"%s\", not a layout font: \"%s\"\n", lang,
						id, fb, text);
			}
		}
		if (tofu || fell) {
			fprintf(stderr, "  %s: %zu labels with unknown glyphs, %zu with a fallback font\n", lang,
				tofu, fell);
			bad = 1;
		}
	}
	shaper_close(&s);
	fprintf(stderr, "  %zu labels shaped in %zu languages\n", shaped, phr_label_lang_count());
	return bad;
}

int main(void)
{
	static const struct test t[] = {
		{ "every_language_is_complete", every_language_is_complete },
		{ "directives_are_kept", directives_are_kept },
		{ "detector_sees_tofu", detector_sees_tofu },
		{ "every_label_has_glyphs", every_label_has_glyphs },
	};
	int rc = run_tests(t, sizeof(t) / sizeof(t[0]));
	/* Let fontconfig, Pango and Cairo free their caches, so that the leak
	 * checker sees only this program's own leaks. */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
	return rc;
}
