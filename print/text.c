/* Text with Pango: one PangoContext per language and paragraph direction,
 * layouts cached so that a label printed on every booklet is shaped once.
 *
 * Direction. A paragraph is handed to Pango whole, never split, so the
 * Unicode bidi algorithm orders an Arabic name beside a Latin date. Its
 * base direction is the direction of its language's column (right to left
 * for ar, fa, ...) when it holds a letter of that direction, else the
 * other one: an English label that has no translation yet, in an Arabic
 * column, is still laid out left to right. A paragraph is aligned to its
 * start edge (right for right-to-left ones).
 *
 * Layouts do not depend on the scale they are drawn at (no hinting of
 * metrics, no rounding of glyph positions), so a page measured once is
 * drawn the same on an A6 page and shrunk on an imposed sheet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/labels.h"
#include "phr/schema.h"
#include "print_int.h"

#define MAX_CONTEXTS 32
#define CACHE_GENERATION 2048 /* layouts per generation: two are kept */
#define KEY_HEAD 96
#define RTL_LINE_HEIGHT 1.5 /* times the font size (Noto Sans: 1.36) */

struct context {
	char lang[8];
	bool rtl;
	PangoContext *ctx;
};

struct text {
	const struct phr_layout *l;
	PangoFontMap *fm;
	cairo_font_options_t *fo;
	PangoFontDescription *fd[TS_COUNT], *bold[TS_COUNT];
	int line_height[TS_COUNT]; /* Pango units */
	struct context ctx[MAX_CONTEXTS];
	size_t n_ctx;
	GHashTable *young, *old;
	size_t made, hits;
};

static GHashTable *new_cache(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
}

struct text *text_create(const struct phr_layout *l)
{
	struct text *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	const double sizes[TS_COUNT] = { l->title_pt, l->heading_pt, l->body_pt, l->small_pt, l->footer_pt };
	t->l = l;
	/* a font map of its own, released with the engine (the default one
	 * lives as long as the thread, with every font it ever opened) */
	t->fm = pango_cairo_font_map_new();
	t->fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(t->fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(t->fo, CAIRO_HINT_STYLE_NONE);
	for (int s = 0; s < TS_COUNT; s++) {
		t->fd[s] = pango_font_description_from_string(l->family);
		pango_font_description_set_size(t->fd[s], (gint)(sizes[s] * PANGO_SCALE + 0.5));
		t->line_height[s] = (int)(sizes[s] * RTL_LINE_HEIGHT * PANGO_SCALE + 0.5);
		t->bold[s] = pango_font_description_copy(t->fd[s]);
		pango_font_description_set_weight(t->bold[s], PANGO_WEIGHT_BOLD);
	}
	t->young = new_cache();
	t->old = new_cache();
	return t;
}

void text_destroy(struct text *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->young);
	g_hash_table_destroy(t->old);
	for (size_t i = 0; i < t->n_ctx; i++)
		g_object_unref(t->ctx[i].ctx);
	for (int s = 0; s < TS_COUNT; s++) {
		pango_font_description_free(t->fd[s]);
		pango_font_description_free(t->bold[s]);
	}
	cairo_font_options_destroy(t->fo);
	g_object_unref(t->fm);
	free(t);
}

static PangoContext *context(struct text *t, const char *lang, bool rtl)
{
	for (size_t i = 0; i < t->n_ctx; i++)
		if (t->ctx[i].rtl == rtl && !strcmp(t->ctx[i].lang, lang))
			return t->ctx[i].ctx;
	if (t->n_ctx == MAX_CONTEXTS) { /* more languages than any document uses: start over */
		for (size_t i = 0; i < t->n_ctx; i++)
			g_object_unref(t->ctx[i].ctx);
		t->n_ctx = 0;
	}
	PangoContext *c = pango_font_map_create_context(t->fm);
	if (!c)
		return NULL;
	pango_cairo_context_set_resolution(c, 72.0); /* sizes in points are user units */
	pango_cairo_context_set_font_options(c, t->fo);
	pango_context_set_round_glyph_positions(c, FALSE);
	pango_context_set_language(c, pango_language_from_string(lang));
	pango_context_set_base_dir(c, rtl ? PANGO_DIRECTION_RTL : PANGO_DIRECTION_LTR);
	struct context *e = &t->ctx[t->n_ctx++];
	snprintf(e->lang, sizeof(e->lang), "%s", lang);
	e->rtl = rtl;
	e->ctx = c;
	return c;
}

/* Does text hold a letter written right to left (Hebrew, Arabic, Syriac,
 * Thaana, N'Ko and their presentation forms), or one written left to right? */
static void letters(const char *text, bool *has_rtl, bool *has_ltr)
{
	*has_rtl = *has_ltr = false;
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if ((unsigned char)*p < 0x80) {
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				*has_ltr = true;
			continue;
		}
		if ((c >= 0x0590 && c <= 0x08ff) || (c >= 0xfb1d && c <= 0xfdff) || (c >= 0xfe70 && c <= 0xfeff))
			*has_rtl = true;
		else if (g_unichar_isalpha(c))
			*has_ltr = true;
	}
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of an ISO date (YYYY-MM-DD or YYYY-MM) at p, 0 if none. */
static size_t iso_date(const char *p)
{
	for (int i = 0; i < 4; i++)
		if (!digit(p[i]))
			return 0;
	if (p[4] != '-' || !digit(p[5]) || !digit(p[6]))
		return 0;
	size_t n = p[7] == '-' && digit(p[8]) && digit(p[9]) ? 10 : 7;
	return digit(p[n]) ? 0 : n;
}

/* In a right-to-left paragraph the bidi algorithm turns the digits of an
 * ISO date that follows Arabic letters into Arabic numbers, which '-' does
 * not join: 2025-05-06 would read 06-05-2025. Each date is wrapped in a
 * left-to-right isolate (U+2066 ... U+2069), so it reads as the record
 * writes it, the same in both columns. NULL when there is none (or no
 * memory: the text is then used as it is). */
static char *isolate_dates(const char *text, size_t len, size_t *prefix_len)
{
	static const char lri[] = "\u2066", pdi[] = "\u2069";
	size_t n = 0;
	for (size_t i = 0; i + 7 <= len; i++)
		if ((i == 0 || !digit(text[i - 1])) && iso_date(text + i))
			n++;
	if (!n)
		return NULL;
	char *out = g_try_malloc(len + n * 6 + 1);
	if (!out)
		return NULL;
	size_t o = 0, pre = *prefix_len;
	for (size_t i = 0; i < len;) {
		size_t d = (i == 0 || !digit(text[i - 1])) && i + 7 <= len ? iso_date(text + i) : 0;
		if (!d) {
			out[o++] = text[i++];
			continue;
		}
		if (i < *prefix_len)
			pre += 6;
		memcpy(out + o, lri, 3);
		memcpy(out + o + 3, text + i, d);
		memcpy(out + o + 3 + d, pdi, 3);
		o += d + 6;
		i += d;
	}
	out[o] = '\0';
	*prefix_len = pre;
	return out;
}

static PangoLayout *text_layout_clean(struct text *t, const char *lang, int style, int flags, double width,
				      const char *text, size_t prefix_len);

/* Does text hold something clean_text() replaces? */
static bool needs_cleaning(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae))
			return true;
	return !g_utf8_validate(text, -1, NULL);
}

/* The paragraph as Pango may lay it out: a control character (but the new
 * lines a label breaks its lines with), a bidi embedding or override
 * (U+202A..U+202E, which Pango applies), U+2028, U+2029 and every byte
 * that is not UTF-8 become U+FFFD. The isolates U+2066..U+2069 stay: the
 * booklet wraps labels and dates in them itself; a record's strings reach
 * print/ without any (verifier/render.c, and booklet.c's copy of the
 * views). *prefix_len moves with the bytes before it. NULL when out of
 * memory. */
static char *clean_text(const char *text, size_t len, size_t *prefix_len)
{
	static const char fffd[] = "\xef\xbf\xbd";
	char *out = g_try_malloc(3 * len + 1);
	size_t o = 0, pre = *prefix_len;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		gunichar c = g_utf8_get_char_validated(text + i, (gssize)(len - i));
		size_t n = c >= 0x80000000u ? 1 : (size_t)(g_utf8_next_char(text + i) - (text + i));
		bool bad = c >= 0x80000000u || (c != '\n' && phr_text_forbidden(c) && !(c >= 0x2066 && c <= 0x2069));
		if (bad) {
			memcpy(out + o, fffd, 3);
			o += 3;
			if (i < *prefix_len)
				pre = pre + 3 - n;
		} else {
			memcpy(out + o, text + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	*prefix_len = pre;
	return out;
}

PangoLayout *text_layout(struct text *t, const char *lang, int style, int flags, double width, const char *text,
			 size_t prefix_len)
{
	char *cleaned = NULL;
	if (needs_cleaning(text)) {
		if (!(cleaned = clean_text(text, strlen(text), &prefix_len)))
			return NULL;
		text = cleaned;
	}
	PangoLayout *pl = text_layout_clean(t, lang, style, flags, width, text, prefix_len);
	g_free(cleaned);
	return pl;
}

static PangoLayout *text_layout_clean(struct text *t, const char *lang, int style, int flags, double width,
				      const char *text, size_t prefix_len)
{
	char head[KEY_HEAD];
	int hn = snprintf(head, sizeof(head), "%d|%d|%.3f|%zu|%s|", style, flags, width, prefix_len, lang);
	size_t tn = strlen(text);
	char *key = g_malloc((size_t)hn + tn + 1);
	memcpy(key, head, (size_t)hn);
	memcpy(key + hn, text, tn + 1);
	if (flags & TF_NOCACHE) {
		g_free(key);
		key = NULL;
	}
	PangoLayout *pl = key ? g_hash_table_lookup(t->young, key) : NULL;
	if (!pl && key && (pl = g_hash_table_lookup(t->old, key))) {
		/* still in use: move it to the young generation */
		g_hash_table_insert(t->young, g_strdup(key), g_object_ref(pl));
	}
	if (pl) {
		g_free(key);
		t->hits++;
		return g_object_ref(pl);
	}
	bool has_rtl, has_ltr, rtl;
	letters(text, &has_rtl, &has_ltr);
	rtl = phr_lang_is_rtl(lang) ? (has_rtl || !has_ltr) : (has_rtl && !has_ltr);
	PangoContext *c = context(t, lang, rtl);
	if (!c || !(pl = pango_layout_new(c))) {
		g_free(key);
		return NULL;
	}
	char *shown = rtl ? isolate_dates(text, tn, &prefix_len) : NULL;
	if (shown)
		tn = strlen(shown);
	pango_layout_set_auto_dir(pl, FALSE);
	pango_layout_set_font_description(pl, (flags & TF_BOLD) ? t->bold[style] : t->fd[style]);
	if (width > 0) {
		pango_layout_set_width(pl, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
		if (flags & TF_ELLIPSIZE)
			pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
	}
	pango_layout_set_alignment(pl, (flags & TF_CENTER) ? PANGO_ALIGN_CENTER
				       : rtl		  ? PANGO_ALIGN_RIGHT
							  : PANGO_ALIGN_LEFT);
	PangoAttrList *al = pango_attr_list_new();
	if (has_rtl) {
		/* Arabic-script fonts have line heights of twice their size, for
		 * stacked marks that Arabic and Persian prose rarely uses; lines as
		 * tall as Latin ones keep the two columns of a summary in step. */
		PangoAttribute *a = pango_attr_line_height_new_absolute(t->line_height[style]);
		pango_attr_list_insert(al, a);
	}
	if ((flags & (TF_MARK | TF_LABEL | TF_GREY)) && prefix_len <= tn) {
		const struct rgb *g = &t->l->grey, *w = &t->l->warn;
		if (flags & TF_LABEL) {
			PangoAttribute *a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
			a->start_index = 0;
			a->end_index = (guint)prefix_len;
			pango_attr_list_insert(al, a);
		}
		if (flags & (TF_MARK | TF_GREY)) {
			PangoAttribute *a = pango_attr_foreground_new((guint16)(g->r * 65535), (guint16)(g->g * 65535),
								      (guint16)(g->b * 65535));
			a->start_index = (flags & TF_MARK) ? (guint)prefix_len : 0;
			a->end_index = PANGO_ATTR_INDEX_TO_TEXT_END;
			pango_attr_list_insert(al, a);
		}
		if (flags & TF_MARK) {
			PangoAttribute *a = pango_attr_foreground_new((guint16)(w->r * 65535), (guint16)(w->g * 65535),
								      (guint16)(w->b * 65535));
			a->start_index = 0;
			a->end_index = (guint)prefix_len;
			pango_attr_list_insert(al, a);
			a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
			a->start_index = 0;
			a->end_index = (guint)prefix_len;
			pango_attr_list_insert(al, a);
		}
	}
	pango_layout_set_attributes(pl, al);
	pango_attr_list_unref(al);
	pango_layout_set_text(pl, shown ? shown : text, shown ? -1 : (int)tn);
	g_free(shown);
	t->made++;
	if (!key)
		return pl;
	if (g_hash_table_size(t->young) >= CACHE_GENERATION) {
		g_hash_table_destroy(t->old);
		t->old = t->young;
		t->young = new_cache();
	}
	g_hash_table_insert(t->young, key, g_object_ref(pl));
	return pl;
}

void text_size(PangoLayout *pl, double *w, double *h)
{
	int iw, ih;
	pango_layout_get_size(pl, &iw, &ih);
	if (w)
		*w = (double)iw / PANGO_SCALE;
	if (h)
		*h = (double)ih / PANGO_SCALE;
}

void text_draw(cairo_t *cr, PangoLayout *pl, double x, double y, const struct rgb *c)
{
	cairo_set_source_rgb(cr, c->r, c->g, c->b);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, pl);
}

void text_stats(const struct text *t, size_t *made, size_t *hits)
{
	*made = t->made;
	*hits = t->hits;
}
