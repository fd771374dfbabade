/* The pages of one record: booklet (cover, summary, codes, forms, back
 * cover) or wallet card (front, back). Planned first (the summary measured
 * and cut into pages, the codes fitted), then drawn page by page in any
 * order, which is what imposition needs. Every paragraph is laid out once
 * per record; labels that every booklet repeats come from the text cache. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/json.h"
#include "phr/labels.h"
#include "phr/schema.h"
#include "print_int.h"

#define MAX_TEXT 2400 /* longest paragraph composed here (a note is at most 1000 bytes) */
#define CARD_HINT_MIN_MM 18.0 /* narrowest column of hints beside a card's codes */
#define CARD_FRONT_GAP_MM 2.0 /* between a card front's text and its codes, and below its title band */

enum row_kind { ROW_WARN, ROW_HEAD, ROW_SIGNER, ROW_SECTION, ROW_FIELD, ROW_ITEM, ROW_SEALED };

/* One summary paragraph in both languages, side by side. */
struct row {
	int kind;
	PangoLayout *a, *b; /* holder's column, clinic's column (b NULL with one language) */
	double indent;      /* from the column's start edge */
	double top;         /* space above */
	double h;           /* height of the taller column */
	bool valid;         /* entry rows: the entry verified */
};

struct page {
	int block;
	size_t first, count; /* summary rows or codes on this page */
	int cols;            /* codes: columns of their grid */
	bool continued;      /* the summary goes on on the next page */
	bool first_summary;
};

struct booklet {
	const struct phr_layout *l;
	struct text *t;
	struct stamps *st;
	const struct phr_print_view *va, *vb; /* &ca, &cb */
	struct phr_print_view ca, cb; /* the views given, every string sanitized */
	GStringChunk *strings;        /* the strings of ca and cb */
	bool two;          /* two languages */
	uint64_t now;
	struct code_plan codes;
	struct row *rows;
	size_t n_rows;
	struct page *pages;
	size_t n_pages;
	double code_top;   /* codes pages: where the grid area starts */
	double summary_top, summary_first_top;
};

/* ---- labels ---- */

static const char *lbl(const char *lang, const char *id, const char *fallback)
{
	return phr_label_or(lang, id, fallback);
}

/* Replaces %d and %s in a label, in order, by args: labels are data and are
 * never used as printf formats. */
static void fmt(char *out, size_t cap, const char *tmpl, const char *const *args, size_t n)
{
	size_t o = 0, a = 0;
	for (const char *p = tmpl; *p && o + 1 < cap; p++) {
		if (p[0] == '%' && (p[1] == 'd' || p[1] == 's')) {
			const char *s = a < n ? args[a] : "";
			a++;
			p++;
			while (*s && o + 1 < cap)
				out[o++] = *s++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

void label_num(char *out, size_t cap, const char *tmpl, long x, long y)
{
	char a[24], b[24];
	snprintf(a, sizeof(a), "%ld", x);
	snprintf(b, sizeof(b), "%ld", y);
	const char *args[2] = { a, b };
	fmt(out, cap, tmpl, args, 2);
}

static bool rtl(const struct phr_print_view *v)
{
	return phr_lang_is_rtl(v->lang);
}

/* "x / y", once when both say the same. Each part is a Unicode first-strong
 * isolate (FSI ... PDI), so that an Arabic sentence and an English one on
 * one line each keep their own direction and punctuation. */
static void join2(const struct booklet *b, const char *x, const char *y, char *out, size_t cap)
{
	if (!b->two || !strcmp(x, y))
		snprintf(out, cap, "%s", x);
	else
		snprintf(out, cap, "\u2068%s\u2069 / \u2068%s\u2069", x, y);
}

/* "holder / clinic" of one label, once when both say the same. */
static void both(const struct booklet *b, const char *id, const char *fallback, char *out, size_t cap)
{
	const char *x = lbl(b->va->lang, id, fallback), *y = lbl(b->vb->lang, id, fallback);
	join2(b, x, y, out, cap);
}

/* The labels of forms, which clinics fill in: "clinic / holder". */
static void form_label(const struct booklet *b, const char *id, const char *fallback, char *out, size_t cap)
{
	const char *x = lbl(b->vb->lang, id, fallback), *y = lbl(b->va->lang, id, fallback);
	join2(b, x, y, out, cap);
}

/* ---- drawing helpers ---- */

static PangoLayout *lay(const struct booklet *b, const char *lang, int style, int flags, double w, const char *s)
{
	return text_layout(b->t, lang, style, flags, w, s, 0);
}

/* Draws a paragraph at x, y in a box w wide and returns its height; NULL
 * layouts (out of memory) draw nothing. */
static double put(cairo_t *cr, PangoLayout *pl, double x, double y, const struct rgb *c)
{
	double h = 0;
	if (!pl)
		return 0;
	text_size(pl, NULL, &h);
	text_draw(cr, pl, x, y, c);
	g_object_unref(pl);
	return h;
}

static double height_of(PangoLayout *pl)
{
	double h = 0;
	if (pl)
		text_size(pl, NULL, &h);
	return h;
}

static void rect(cairo_t *cr, double x, double y, double w, double h, const struct rgb *c)
{
	cairo_set_source_rgb(cr, c->r, c->g, c->b);
	cairo_rectangle(cr, x, y, w, h);
	cairo_fill(cr);
}

static void hline(cairo_t *cr, double x0, double x1, double y, double width, const struct rgb *c)
{
	cairo_set_source_rgb(cr, c->r, c->g, c->b);
	cairo_set_line_width(cr, width);
	cairo_move_to(cr, x0, y);
	cairo_line_to(cr, x1, y);
	cairo_stroke(cr);
}

static const struct rgb white = { 1, 1, 1 }, black = { 0, 0, 0 };

/* Content box of page i (0-based): margins mirrored, inner at the fold. */
struct box {
	double x, y, w, h;
};

static struct box content(const struct booklet *b, size_t i)
{
	const struct phr_layout *l = b->l;
	bool right_page = l->kind == KIND_CARD || i % 2 == 0; /* page 1 is a right-hand page */
	struct box c;
	c.x = right_page ? l->m_inner : l->m_outer;
	c.y = l->m_top;
	c.w = l->width - l->m_inner - l->m_outer;
	c.h = l->height - l->m_top - l->m_bottom;
	return c;
}

/* A title in both languages: the holder's, then the clinic's smaller
 * beneath it (once when they are the same). Returns the height used. */
static double title2(const struct booklet *b, cairo_t *cr, const char *id, const char *fallback, double x, double y,
		     double w, int flags, const struct rgb *c, const struct rgb *c2)
{
	const char *x1 = lbl(b->va->lang, id, fallback), *x2 = lbl(b->vb->lang, id, fallback);
	double h = put(cr, lay(b, b->va->lang, TS_HEADING, TF_BOLD | flags, w, x1), x, y, c);
	if (b->two && strcmp(x1, x2))
		h += put(cr, lay(b, b->vb->lang, TS_SMALL, flags, w, x2), x, y + h, c2);
	return h;
}

static double title2_height(const struct booklet *b, const char *id, const char *fallback, double w)
{
	const char *x1 = lbl(b->va->lang, id, fallback), *x2 = lbl(b->vb->lang, id, fallback);
	PangoLayout *p = lay(b, b->va->lang, TS_HEADING, TF_BOLD, w, x1);
	double h = height_of(p);
	if (p)
		g_object_unref(p);
	if (b->two && strcmp(x1, x2)) {
		p = lay(b, b->vb->lang, TS_SMALL, 0, w, x2);
		h += height_of(p);
		if (p)
			g_object_unref(p);
	}
	return h;
}

/* Record id as "60e6 20d1 acc7 4602 de20 87b8 9e6e 838c". */
static void grouped_id(const char *hex, char out[40])
{
	size_t o = 0;
	for (size_t i = 0; i < 32 && hex[i]; i++) {
		if (i && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

/* ---- the summary ---- */

static int add_row(struct booklet *b, size_t *cap, int kind, PangoLayout *a, PangoLayout *c, double indent,
		   double top, bool valid)
{
	if (!a || (b->two && !c)) {
		if (a)
			g_object_unref(a);
		if (c)
			g_object_unref(c);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	if (b->n_rows == *cap) {
		size_t ncap = *cap ? 2 * *cap : 128;
		struct row *r = realloc(b->rows, ncap * sizeof(*r));
		if (!r) {
			g_object_unref(a);
			if (c)
				g_object_unref(c);
			return phr_fail(PHR_E_NOMEM, "out of memory");
		}
		b->rows = r;
		*cap = ncap;
	}
	struct row *r = &b->rows[b->n_rows++];
	double ha = height_of(a), hc = c ? height_of(c) : 0;
	r->kind = kind;
	r->a = a;
	r->b = c;
	r->indent = indent;
	r->top = top;
	r->h = (ha > hc ? ha : hc) + top + b->l->para_gap;
	r->valid = valid;
	return PHR_OK;
}

static double column_width(const struct booklet *b)
{
	double w = b->l->width - b->l->m_inner - b->l->m_outer;
	return b->two ? (w - b->l->col_gap) / 2 : w;
}

/* One paragraph of a summary line in one language (as long as the line:
 * a list item may carry several free-text fields). The holder's column
 * shows coded terms by their label alone; the clinic's, and the one column
 * of a booklet in one language, with their codes (docs/PRINT.md). */
static PangoLayout *line_layout(const struct booklet *b, const struct phr_print_view *v, size_t i, bool holder,
				double w)
{
	const struct phr_print_line *ln = &v->lines[i];
	const char *mark = ln->unverified ? lbl(v->lang, "ui.print.entry_unverified_mark", "NOT VERIFIED") : "";
	const char *value = holder && v->plain && v->plain[i] ? v->plain[i] : ln->value;
	size_t cap = strlen(mark) + strlen(ln->label) + strlen(value) + 16;
	char *s = malloc(cap);
	size_t pre = 0;
	int flags = 0;
	if (!s)
		return NULL;
	if (ln->unverified) {
		snprintf(s, cap, "%s ", mark);
		pre = strlen(s);
		flags |= TF_MARK;
	}
	size_t o = pre;
	switch (ln->kind) {
	case PHR_PL_SECTION:
		snprintf(s + o, cap - o, "%s", ln->label);
		if (!ln->unverified)
			flags |= TF_BOLD;
		break;
	case PHR_PL_ITEM:
		snprintf(s + o, cap - o, "\u2022 %s", value);
		break;
	default:
		snprintf(s + o, cap - o, "%s: %s", ln->label, value);
		if (!ln->unverified) {
			flags |= TF_LABEL;
			pre = strlen(ln->label) + 1;
		}
		break;
	}
	PangoLayout *pl = text_layout(b->t, v->lang, TS_BODY, flags, w, s, pre);
	free(s);
	return pl;
}

/* Where an entry's sealed sections are, in lang: how many, and whether
 * they are printed (opened with the holder key), not printed (no key), or
 * not printed because they did not open. Never what they say. */
static void sealed_text(const char *lang, const struct phr_print_entry *e, char *out, size_t cap)
{
	if (e->seal_state == 1)
		label_num(out, cap,
			  lbl(lang, "ui.print.sealed_opened",
			      "Sealed sections: %d, opened with the holder key and printed here. Keep this booklet private."),
			  (long)e->sealed_sections, 0);
	else if (e->seal_state)
		label_num(out, cap,
			  lbl(lang, "ui.print.sealed_failed",
			      "Sealed sections: %d, not printed: they did not open with the key given."),
			  (long)e->sealed_sections, 0);
	else
		label_num(out, cap,
			  lbl(lang, "ui.print.sealed_closed",
			      "Sealed sections: %d, not printed. Ask the holder for the key slip."),
			  (long)e->sealed_sections, 0);
}

static int build_summary(struct booklet *b)
{
	const struct phr_layout *l = b->l;
	size_t cap = 0, li = 0;
	double w = column_width(b);
	int rc;
	char s[MAX_TEXT];
	const struct phr_print_view *va = b->va, *vb = b->vb;
	if (!va->all_valid) {
		PangoLayout *x = lay(b, va->lang, TS_SMALL, TF_BOLD, w - 6,
				     lbl(va->lang, "ui.warning_unverified", "WARNING: this record could not be verified."));
		PangoLayout *y = b->two ? lay(b, vb->lang, TS_SMALL, TF_BOLD, w - 6,
					      lbl(vb->lang, "ui.warning_unverified",
						  "WARNING: this record could not be verified."))
					: NULL;
		if ((rc = add_row(b, &cap, ROW_WARN, x, y, 0, 0, false)))
			return rc;
		b->rows[b->n_rows - 1].h += 6;
	}
	size_t n_lines = va->n_lines < vb->n_lines ? va->n_lines : vb->n_lines;
	for (size_t e = 0; e < va->n_entries && e < vb->n_entries; e++) {
		const struct phr_print_entry *ea = &va->entries[e], *eb = &vb->entries[e];
		PangoLayout *x, *y = NULL;
		snprintf(s, sizeof(s), "%s \u00b7 %s", ea->title, ea->status_text);
		x = lay(b, va->lang, TS_BODY, TF_BOLD, w - 4, s);
		if (b->two) {
			snprintf(s, sizeof(s), "%s \u00b7 %s", eb->title, eb->status_text);
			y = lay(b, vb->lang, TS_BODY, TF_BOLD, w - 4, s);
		}
		if ((rc = add_row(b, &cap, ROW_HEAD, x, y, 2, e ? 5 : 2, ea->valid)))
			return rc;
		b->rows[b->n_rows - 1].h += 2;
		snprintf(s, sizeof(s), "%s: %s, %s", lbl(va->lang, "ui.signed_by", "Signed by"), ea->signer, ea->signed_on);
		x = text_layout(b->t, va->lang, TS_SMALL, TF_LABEL, w, s, strlen(lbl(va->lang, "ui.signed_by", "Signed by")) + 1);
		if (b->two) {
			snprintf(s, sizeof(s), "%s: %s, %s", lbl(vb->lang, "ui.signed_by", "Signed by"), eb->signer,
				 eb->signed_on);
			y = text_layout(b->t, vb->lang, TS_SMALL, TF_LABEL, w, s,
					strlen(lbl(vb->lang, "ui.signed_by", "Signed by")) + 1);
		}
		if ((rc = add_row(b, &cap, ROW_SIGNER, x, y, 0, 0, ea->valid)))
			return rc;
		if (ea->sealed_sections) {
			sealed_text(va->lang, ea, s, sizeof(s));
			x = lay(b, va->lang, TS_SMALL, TF_BOLD, w - 4, s);
			y = NULL;
			if (b->two) {
				sealed_text(vb->lang, eb, s, sizeof(s));
				y = lay(b, vb->lang, TS_SMALL, TF_BOLD, w - 4, s);
			}
			if ((rc = add_row(b, &cap, ROW_SEALED, x, y, 0, 2, ea->valid)))
				return rc;
			b->rows[b->n_rows - 1].h += 2;
		}
		for (; li < n_lines && va->lines[li].entry == e; li++) {
			const struct phr_print_line *la = &va->lines[li];
			double indent = la->depth * l->indent;
			int kind = la->kind == PHR_PL_SECTION ? ROW_SECTION : la->kind == PHR_PL_ITEM ? ROW_ITEM : ROW_FIELD;
			x = line_layout(b, va, li, b->two, w - indent);
			y = b->two ? line_layout(b, vb, li, false, w - indent) : NULL;
			if ((rc = add_row(b, &cap, kind, x, y, indent,
					  kind == ROW_SECTION && la->depth == 0 ? l->para_gap * 2 : 0, ea->valid)))
				return rc;
		}
	}
	return PHR_OK;
}

/* Cuts the summary rows into pages of avail points (first page first_avail).
 * A heading is kept with the row after it. */
static size_t paginate(const struct booklet *b, double first_avail, double avail, struct page *out, size_t max)
{
	size_t n = 0, i = 0;
	if (!b->n_rows) {
		if (out && max)
			out[0] = (struct page){ .block = BLK_SUMMARY, .first_summary = true };
		return 1;
	}
	while (i < b->n_rows) {
		double room = n == 0 ? first_avail : avail, used = 0;
		size_t first = i;
		while (i < b->n_rows) {
			double h = b->rows[i].h;
			int k = b->rows[i].kind;
			if (used + h > room && i > first)
				break;
			/* keep a heading with what follows it */
			if ((k == ROW_HEAD || k == ROW_SIGNER || k == ROW_SECTION) && i + 1 < b->n_rows && i > first &&
			    used + h + b->rows[i + 1].h > room)
				break;
			used += h;
			i++;
		}
		if (out && n < max)
			out[n] = (struct page){ .block = BLK_SUMMARY, .first = first, .count = i - first,
						.continued = i < b->n_rows, .first_summary = n == 0 };
		n++;
	}
	return n;
}

/* Heights of the summary page heads: column titles (and on the first page
 * the section title). */
static double summary_head(const struct booklet *b, bool first)
{
	double h = 0;
	if (first)
		h += title2_height(b, "ui.summary", "Summary", column_width(b) * (b->two ? 2 : 1)) + 4;
	PangoLayout *p = lay(b, b->va->lang, TS_SMALL, TF_BOLD, 0, "Ag");
	h += height_of(p) + 4;
	if (p)
		g_object_unref(p);
	return h;
}

static double footer_height(const struct booklet *b)
{
	PangoLayout *p = lay(b, b->va->lang, TS_FOOTER, 0, 0, "Ag");
	double h = height_of(p);
	if (p)
		g_object_unref(p);
	return 2 * h + 4; /* the footer line and a "continued" note above it */
}

/* ---- codes pages ---- */

static double codes_head(const struct booklet *b, double w);

static double code_label_height(const struct booklet *b)
{
	PangoLayout *p = lay(b, b->va->lang, TS_SMALL, 0, 0, "Ag");
	double h = height_of(p) + 2;
	if (p)
		g_object_unref(p);
	return h;
}

/* A card front's title band, w wide: the title in both languages (t2
 * NULL with one; the caller draws or unrefs them). Returns where the band
 * ends. */
static double card_band(const struct booklet *b, double w, PangoLayout **t1, PangoLayout **t2)
{
	const struct phr_print_view *va = b->va, *vb = b->vb;
	struct box c = content(b, 0);
	*t1 = lay(b, va->lang, TS_HEADING, TF_BOLD | TF_ELLIPSIZE, w, lbl(va->lang, "ui.title", "Personal Health Record"));
	*t2 = b->two ? lay(b, vb->lang, TS_FOOTER, TF_ELLIPSIZE, w, lbl(vb->lang, "ui.title", "Personal Health Record"))
		     : NULL;
	return c.y + height_of(*t1) + height_of(*t2) + 2;
}

/* Where a card front's codes go: beside its text (title band included),
 * the whole height of the face, so that what they hold does not depend
 * on the languages of the title. */
static struct box card_front_codes(const struct booklet *b)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, 0), r;
	r.w = c.w - l->card_front_text - CARD_FRONT_GAP_MM * PT_PER_MM;
	r.x = rtl(b->va) ? c.x : c.x + c.w - r.w; /* at the end of the holder's lines */
	r.y = c.y;
	r.h = c.h;
	return r;
}

/* ---- planning ---- */

static int add_page(struct page **pages, size_t *n, size_t *cap, struct page p)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct page *np = realloc(*pages, ncap * sizeof(*np));
		if (!np)
			return phr_fail(PHR_E_NOMEM, "out of memory");
		*pages = np;
		*cap = ncap;
	}
	(*pages)[(*n)++] = p;
	return PHR_OK;
}

/* Where fill pages go: after the last page of the fill's kind (follow-up
 * forms stay together), else before the last page (the back cover). */
static size_t fill_at(const struct booklet *b)
{
	for (size_t k = b->n_pages; k-- > 0;)
		if (b->pages[k].block == b->l->fill)
			return k + 1;
	return b->n_pages > 1 ? b->n_pages - 1 : 0;
}

static int add_fill(struct booklet *b, size_t *cap, size_t count)
{
	for (size_t j = 0; j < count; j++) {
		size_t at = fill_at(b);
		int rc = add_page(&b->pages, &b->n_pages, cap, (struct page){ 0 });
		if (rc)
			return rc;
		memmove(b->pages + at + 1, b->pages + at, (b->n_pages - 1 - at) * sizeof(*b->pages));
		b->pages[at] = (struct page){ .block = b->l->fill };
	}
	return PHR_OK;
}

/* Pages that may trade places with pages of codes: forms and fill. */
static bool movable(int block)
{
	return block == BLK_CODES || block == BLK_FOLLOWUP || block == BLK_EXTRA_LAB || block == BLK_BLANK;
}

/* The booklet's movable pages with e fill pages more, all at the fill's
 * place `at`. */
static void movable_with(const struct booklet *b, size_t at, size_t e, bool *mov)
{
	for (size_t i = 0; i < b->n_pages + e; i++)
		mov[i] = i < at ? movable(b->pages[i].block) : i < at + e || movable(b->pages[i - e].block);
}

/* Puts the pages of codes where codes_place says (docs/PRINT.md, "Codes:
 * pages"): no two on one leaf or facing each other, and on an imposed
 * booklet all on one sheet side, with up to a sheet's worth of fill pages
 * more when that is what it takes (or as many as keeping them apart
 * takes). The other forms keep their order in the places left; covers and
 * summary stay where they are. */
static int place_codes(struct booklet *b, size_t *cap)
{
	const struct phr_layout *l = b->l;
	int rows = l->imposed_rows;
	size_t n = b->n_pages, c = b->codes.pages, at = fill_at(b), extra = (size_t)-1;
	size_t side_most = rows > 0 ? 4 * (size_t)rows : 0, most = 4 * c + 4;
	if (most < side_most)
		most = side_most;
	bool *mov = malloc(n + most);
	size_t *pos = malloc(c * sizeof(*pos));
	struct page *codes = malloc((n + most) * sizeof(*codes)), *rest = malloc((n + most) * sizeof(*rest));
	int rc = PHR_OK;
	if (!mov || !pos || !codes || !rest) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t e = 0; rows > 0 && extra == (size_t)-1 && e <= side_most; e += 4) {
		movable_with(b, at, e, mov);
		if (codes_place(mov, n + e, c, rows, pos) == PLACE_SIDE)
			extra = e;
	}
	for (size_t e = 0; extra == (size_t)-1 && e <= most; e += 4) { /* no sheet side holds them */
		movable_with(b, at, e, mov);
		if (codes_place(mov, n + e, c, 0, pos) == PLACE_LEAVES)
			extra = e;
	}
	if (extra == (size_t)-1) {
		extra = 0;
		movable_with(b, at, 0, mov);
		codes_place(mov, n, c, 0, pos);
	}
	if (extra && (rc = add_fill(b, cap, extra)))
		goto out;
	n = b->n_pages;
	size_t nc = 0, nr = 0;
	for (size_t i = 0; i < n; i++)
		if (b->pages[i].block == BLK_CODES)
			codes[nc++] = b->pages[i];
		else if (movable(b->pages[i].block))
			rest[nr++] = b->pages[i];
	for (size_t i = 0, ci = 0, ri = 0; i < n; i++)
		if (movable(b->pages[i].block))
			b->pages[i] = ci < c && pos[ci] == i ? codes[ci++] : rest[ri++];
out:
	free(mov);
	free(pos);
	free(codes);
	free(rest);
	return rc;
}

/* ---- the views, as drawn ---- */

/* s as it may be drawn (phr_text_sanitize), kept in sc. */
static const char *clean_str(GStringChunk *sc, const char *s)
{
	size_t n = s ? strlen(s) : 0, m = phr_text_sanitize(NULL, 0, s, n);
	char *tmp = g_malloc(m + 1);
	phr_text_sanitize(tmp, m + 1, s, n);
	const char *out = g_string_chunk_insert_len(sc, tmp, (gssize)m);
	g_free(tmp);
	return out;
}

/* A language code or record id: printable ASCII, else '?'. */
static void clean_fixed(char *s, size_t size)
{
	for (size_t i = 0; i < size && s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
	s[size - 1] = '\0';
}

/* *v = a copy of in whose every string is sanitized. The views of
 * verifier/render.c already are; print/ draws nothing from a record, a
 * certificate or a bundle with a control or bidi formatting character in
 * it, whoever made the view. */
static int clean_view(struct booklet *b, const struct phr_print_view *in, struct phr_print_view *v)
{
	*v = *in;
	v->store = NULL;
	v->entries = in->n_entries ? calloc(in->n_entries, sizeof(*v->entries)) : NULL;
	v->lines = in->n_lines ? calloc(in->n_lines, sizeof(*v->lines)) : NULL;
	v->plain = in->n_lines && in->plain ? calloc(in->n_lines, sizeof(*v->plain)) : NULL;
	if ((in->n_entries && !v->entries) || (in->n_lines && !v->lines) || (in->n_lines && in->plain && !v->plain))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	clean_fixed(v->lang, sizeof(v->lang));
	clean_fixed(v->record_id, sizeof(v->record_id));
	clean_fixed(v->preferred_language, sizeof(v->preferred_language));
	v->holder_name = clean_str(b->strings, in->holder_name);
	v->holder_other = clean_str(b->strings, in->holder_other);
	v->birth_date = clean_str(b->strings, in->birth_date);
	v->issued_on = clean_str(b->strings, in->issued_on);
	v->issuer = clean_str(b->strings, in->issuer);
	for (size_t i = 0; i < in->n_entries; i++) {
		struct phr_print_entry *e = &v->entries[i];
		*e = in->entries[i];
		e->title = clean_str(b->strings, e->title);
		e->status_text = clean_str(b->strings, e->status_text);
		e->signer = clean_str(b->strings, e->signer);
		e->signed_on = clean_str(b->strings, e->signed_on);
	}
	for (size_t i = 0; i < in->n_lines; i++) {
		struct phr_print_line *ln = &v->lines[i];
		*ln = in->lines[i];
		ln->label = clean_str(b->strings, ln->label);
		ln->value = clean_str(b->strings, ln->value);
		if (v->plain)
			v->plain[i] = in->plain[i] ? clean_str(b->strings, in->plain[i]) : NULL;
	}
	return PHR_OK;
}

int booklet_plan(const struct phr_layout *l, struct text *t, struct stamps *st, const struct device *dev,
		 const uint8_t *container,
		 size_t len, const struct phr_print_view *holder, const struct phr_print_view *clinic, uint64_t now,
		 struct booklet **out)
{
	struct booklet *b = calloc(1, sizeof(*b));
	int rc;
	size_t cap = 0;
	*out = NULL;
	if (!b)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	b->l = l;
	b->t = t;
	b->st = st;
	b->strings = g_string_chunk_new(4096);
	if ((rc = clean_view(b, holder, &b->ca)) || (rc = clean_view(b, clinic, &b->cb)))
		goto fail;
	b->va = &b->ca;
	b->vb = &b->cb;
	b->two = strcmp(b->va->lang, b->vb->lang) != 0;
	b->now = now;
	struct box c = content(b, 0);
	/* codes: the box left on a codes page; a card's front beside its text
	 * (when the layout says so), then its whole back */
	double label_h = code_label_height(b);
	struct code_box boxes[2];
	size_t n_box = 0;
	if (l->kind == KIND_CARD) {
		if (l->card_front_text > 0) {
			struct box f = card_front_codes(b);
			boxes[n_box++] = (struct code_box){ f.w, f.h };
		}
		boxes[n_box++] = (struct code_box){ c.w, c.h };
	} else {
		/* to the foot of the content: the page number is below it, and
		 * a page of codes has no "continued" note above it */
		b->code_top = codes_head(b, c.w);
		boxes[n_box++] = (struct code_box){ c.w, c.h - b->code_top };
	}
	if ((rc = codes_plan(l, dev, container, len, boxes, n_box, label_h, &b->codes)))
		goto fail;
	bool has_summary = false;
	for (int i = 0; i < l->n_pages; i++)
		has_summary |= l->pages[i] == BLK_SUMMARY;
	if (has_summary && (rc = build_summary(b)))
		goto fail;
	double foot = footer_height(b);
	double first_avail = c.h - summary_head(b, true) - foot, avail = c.h - summary_head(b, false) - foot;
	for (int i = 0; i < l->n_pages; i++) {
		int blk = l->pages[i];
		if (blk == BLK_SUMMARY) {
			size_t n = paginate(b, first_avail, avail, NULL, 0);
			for (size_t j = 0; j < n; j++)
				if ((rc = add_page(&b->pages, &b->n_pages, &cap, (struct page){ 0 })))
					goto fail;
			paginate(b, first_avail, avail, b->pages + b->n_pages - n, n);
		} else if (blk == BLK_CODES) {
			size_t n = b->codes.fits ? b->codes.pages : 1;
			for (size_t j = 0; j < n; j++) {
				struct page pg = { .block = blk };
				if (b->codes.fits) {
					pg.first = b->codes.group[j].first;
					pg.count = b->codes.group[j].count;
					pg.cols = b->codes.group[j].cols;
				}
				if ((rc = add_page(&b->pages, &b->n_pages, &cap, pg)))
					goto fail;
			}
		} else {
			/* a card's faces: the codes dealt to their boxes */
			int face = blk == BLK_CARD_BACK ? (int)n_box - 1 : blk == BLK_CARD_FRONT && n_box == 2 ? 0 : -1;
			struct page pg = { .block = blk };
			for (size_t j = 0; face >= 0 && b->codes.fits && j < b->codes.pages; j++)
				if (b->codes.group[j].box == face) {
					pg.first = b->codes.group[j].first;
					pg.count = b->codes.group[j].count;
					pg.cols = b->codes.group[j].cols;
				}
			if ((rc = add_page(&b->pages, &b->n_pages, &cap, pg)))
				goto fail;
		}
	}
	/* fill to a multiple (saddle stitch: 4) */
	if (l->page_multiple > 1 && b->n_pages % (size_t)l->page_multiple &&
	    (rc = add_fill(b, &cap, (size_t)l->page_multiple - b->n_pages % (size_t)l->page_multiple)))
		goto fail;
	if (l->kind == KIND_BOOKLET && b->codes.pages && (rc = place_codes(b, &cap)))
		goto fail;
	*out = b;
	return PHR_OK;
fail:
	booklet_free(b);
	return rc;
}

const char *booklet_record_id(const struct booklet *b)
{
	return b->va->record_id;
}

const char *booklet_lang(const struct booklet *b, int which)
{
	return which ? b->vb->lang : b->va->lang;
}

size_t booklet_pages(const struct booklet *b)
{
	return b->n_pages;
}

const struct code_plan *booklet_codes(const struct booklet *b)
{
	return &b->codes;
}

size_t booklet_summary_pages(const struct booklet *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n_pages; i++)
		n += b->pages[i].block == BLK_SUMMARY;
	return n;
}

size_t booklet_code_pages(const struct booklet *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n_pages; i++)
		n += (b->pages[i].block == BLK_CODES || b->pages[i].block == BLK_CARD_FRONT ||
		      b->pages[i].block == BLK_CARD_BACK) && b->pages[i].count;
	return n;
}

int booklet_page(const struct booklet *b, size_t i, size_t *first, size_t *count)
{
	*first = i < b->n_pages ? b->pages[i].first : 0;
	*count = i < b->n_pages && b->pages[i].block != BLK_SUMMARY ? b->pages[i].count : 0;
	return i < b->n_pages ? b->pages[i].block : -1;
}

void booklet_free(struct booklet *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_rows; i++) {
		g_object_unref(b->rows[i].a);
		if (b->rows[i].b)
			g_object_unref(b->rows[i].b);
	}
	free(b->rows);
	free(b->pages);
	codes_free(&b->codes);
	free(b->ca.entries);
	free(b->ca.lines);
	free(b->ca.plain);
	free(b->cb.entries);
	free(b->cb.lines);
	free(b->cb.plain);
	if (b->strings)
		g_string_chunk_free(b->strings);
	free(b);
}

/* ---- drawing pages ---- */

static void footer(const struct booklet *b, cairo_t *cr, size_t i, const struct page *pg)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	char s[200];
	PangoLayout *p = lay(b, b->va->lang, TS_FOOTER, 0, 0, "Ag");
	double fh = height_of(p);
	if (p)
		g_object_unref(p);
	double y = l->height - l->m_bottom + (l->m_bottom - fh) / 2;
	if (y < c.y + c.h)
		y = c.y + c.h;
	bool right_page = i % 2 == 0;
	/* page number at the outer edge, the record id at the inner one */
	label_num(s, sizeof(s), lbl(b->va->lang, "ui.page", "Page %d of %d"), (long)i + 1, (long)b->n_pages);
	p = lay(b, b->va->lang, TS_FOOTER, 0, 0, s);
	double w = 0;
	if (p)
		text_size(p, &w, NULL);
	put(cr, p, right_page ? c.x + c.w - w : c.x, y, &l->grey);
	char id[40];
	grouped_id(b->va->record_id, id);
	snprintf(s, sizeof(s), "%.9s", id);
	p = lay(b, b->va->lang, TS_FOOTER, 0, 0, s);
	if (p)
		text_size(p, &w, NULL);
	put(cr, p, right_page ? c.x : c.x + c.w - w, y, &l->grey);
	if (pg && pg->continued) {
		both(b, "ui.print.continued", "continued on the next page", s, sizeof(s));
		p = lay(b, b->va->lang, TS_FOOTER, TF_CENTER, c.w, s);
		put(cr, p, c.x, y - fh - 1, &l->accent);
	}
}

static void draw_cover(const struct booklet *b, cairo_t *cr, size_t i)
{
	const struct phr_layout *l = b->l;
	const struct phr_print_view *va = b->va, *vb = b->vb;
	struct box c = content(b, i);
	char s[MAX_TEXT];
	/* band across the top, into the bleed */
	double band = l->height * 0.22;
	rect(cr, -l->bleed, -l->bleed, l->width + 2 * l->bleed, band + l->bleed, &l->accent);
	double y = c.y;
	y += put(cr, lay(b, va->lang, TS_TITLE, TF_BOLD, c.w, lbl(va->lang, "ui.title", "Personal Health Record")), c.x, y,
		 &white);
	if (b->two)
		put(cr, lay(b, vb->lang, TS_HEADING, 0, c.w, lbl(vb->lang, "ui.title", "Personal Health Record")), c.x,
		    y + 2, &white);
	y = band + 10;
	/* the holder */
	both(b, "ui.print.holder", "Holder", s, sizeof(s));
	y += put(cr, lay(b, va->lang, TS_SMALL, 0, c.w, s), c.x, y, &l->grey) + 1;
	const char *name = *va->holder_name ? va->holder_name : "\u2014";
	y += put(cr, lay(b, va->lang, TS_TITLE, TF_BOLD, c.w, name), c.x, y, &black);
	if (*va->holder_other)
		y += put(cr, lay(b, va->lang, TS_BODY, 0, c.w, va->holder_other), c.x, y, &black);
	if (!va->holder_verified && *va->holder_name) {
		snprintf(s, sizeof(s), "%s", lbl(va->lang, "ui.print.entry_unverified_mark", "NOT VERIFIED"));
		y += put(cr, lay(b, va->lang, TS_SMALL, TF_BOLD, c.w, s), c.x, y, &l->warn);
	}
	y += 6;
	/* born, issued, how many entries and the last one, record id: label
	 * above value. The count and the last entry are there because a copy
	 * with its newest entries dropped still verifies: the holder, or a
	 * clinic, sees that a copy is shorter (docs/PRINT.md, "Cover"). */
	struct {
		const char *id, *fallback, *value;
	} facts[] = {
		{ "ui.print.born", "Born", va->birth_date },
		{ "ui.print.issued", "Issued", NULL },
		{ "ui.entry_count", "Entries in this record", NULL },
		{ "ui.last_entry", "Last entry", NULL },
		{ "ui.record_id", "Record ID", NULL },
	};
	char issued[400], count[24], last[500], rid[40];
	snprintf(issued, sizeof(issued), "%s \u00b7 %s", va->issued_on, va->issuer);
	snprintf(count, sizeof(count), "%zu", va->n_entries);
	if (va->n_entries) {
		const struct phr_print_entry *le = &va->entries[va->n_entries - 1];
		snprintf(last, sizeof(last), "%s \u00b7 %s%s%s", le->signed_on, le->signer, le->valid ? "" : " \u00b7 ",
			 le->valid ? "" : lbl(va->lang, "ui.print.entry_unverified_mark", "NOT VERIFIED"));
	} else {
		last[0] = '\0';
	}
	grouped_id(va->record_id, rid);
	facts[1].value = issued;
	facts[2].value = count;
	facts[3].value = last;
	facts[4].value = rid;
	for (size_t f = 0; f < sizeof(facts) / sizeof(facts[0]); f++) {
		if (!facts[f].value || !*facts[f].value)
			continue;
		both(b, facts[f].id, facts[f].fallback, s, sizeof(s));
		y += put(cr, lay(b, va->lang, TS_SMALL, 0, c.w, s), c.x, y, &l->grey);
		y += put(cr, lay(b, va->lang, TS_BODY, 0, c.w, facts[f].value), c.x, y, &black) + 4;
	}
	/* verification */
	y += 2;
	double box_top = y, pad = 4;
	PangoLayout *x1, *x2 = NULL;
	if (va->all_valid) {
		label_num(s, sizeof(s), lbl(va->lang, "ui.print.verified_entries", "%d of %d entries verified"),
			(long)va->n_valid, (long)va->n_entries);
		x1 = lay(b, va->lang, TS_BODY, TF_BOLD, c.w - 2 * pad, s);
		if (b->two) {
			label_num(s, sizeof(s), lbl(vb->lang, "ui.print.verified_entries", "%d of %d entries verified"),
				(long)vb->n_valid, (long)vb->n_entries);
			x2 = lay(b, vb->lang, TS_SMALL, 0, c.w - 2 * pad, s);
		}
	} else {
		/* the warning, then how many entries are verified */
		char n[200];
		label_num(n, sizeof(n), lbl(va->lang, "ui.print.verified_entries", "%d of %d entries verified"),
			  (long)va->n_valid, (long)va->n_entries);
		snprintf(s, sizeof(s), "%s\n%s", lbl(va->lang, "ui.warning_unverified", "WARNING: this record could not be verified."), n);
		x1 = lay(b, va->lang, TS_BODY, TF_BOLD, c.w - 2 * pad, s);
		if (b->two) {
			label_num(n, sizeof(n), lbl(vb->lang, "ui.print.verified_entries", "%d of %d entries verified"),
				  (long)vb->n_valid, (long)vb->n_entries);
			snprintf(s, sizeof(s), "%s\n%s", lbl(vb->lang, "ui.warning_unverified", "WARNING: this record could not be verified."), n);
			x2 = lay(b, vb->lang, TS_SMALL, TF_BOLD, c.w - 2 * pad, s);
		}
	}
	double bh = height_of(x1) + height_of(x2) + 2 * pad + (x2 ? 2 : 0);
	rect(cr, c.x, box_top, c.w, bh, va->all_valid ? &l->tint : &l->warn_tint);
	rect(cr, c.x, box_top, 2, bh, va->all_valid ? &l->ok : &l->warn);
	double ty = box_top + pad;
	ty += put(cr, x1, c.x + pad, ty, va->all_valid ? &l->ok : &l->warn) + 2;
	if (x2)
		put(cr, x2, c.x + pad, ty, va->all_valid ? &l->ok : &l->warn);
	y = box_top + bh + 6;
	/* the holder's notice, at the foot of the page */
	PangoLayout *n1 = lay(b, va->lang, TS_SMALL, 0, c.w,
			      lbl(va->lang, "ui.holder_notice", "This record belongs to its holder."));
	PangoLayout *n2 = b->two ? lay(b, vb->lang, TS_FOOTER, 0, c.w,
				       lbl(vb->lang, "ui.holder_notice", "This record belongs to its holder."))
				 : NULL;
	double nh = height_of(n1) + height_of(n2) + 2;
	double ny = c.y + c.h - nh;
	if (ny < y)
		ny = y;
	ny += put(cr, n1, c.x, ny, &black) + 2;
	if (n2)
		put(cr, n2, c.x, ny, &l->grey);
}

static void draw_summary(const struct booklet *b, cairo_t *cr, size_t i, const struct page *pg)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	double cw = column_width(b), y = c.y;
	double xa = c.x, xb = c.x + cw + l->col_gap;
	if (pg->first_summary) {
		y += title2(b, cr, "ui.summary", "Summary", c.x, y, c.w, 0, &l->accent, &l->grey) + 4;
	}
	/* column heads: each language named in itself */
	char id[16];
	snprintf(id, sizeof(id), "lang.%s", b->va->lang);
	PangoLayout *ha = lay(b, b->va->lang, TS_SMALL, TF_BOLD, cw, lbl(b->va->lang, id, b->va->lang));
	double hh = height_of(ha);
	put(cr, ha, xa, y, &l->accent);
	if (b->two) {
		snprintf(id, sizeof(id), "lang.%s", b->vb->lang);
		put(cr, lay(b, b->vb->lang, TS_SMALL, TF_BOLD, cw, lbl(b->vb->lang, id, b->vb->lang)), xb, y, &l->accent);
	}
	y += hh + 1;
	hline(cr, c.x, c.x + c.w, y, 0.5, &l->accent);
	y += 3;
	for (size_t r = pg->first; r < pg->first + pg->count; r++) {
		const struct row *rw = &b->rows[r];
		double top = y + rw->top;
		double body = rw->h - rw->top - l->para_gap;
		if (rw->kind == ROW_SEALED) {
			/* a tinted box with a bar: where sealed sections are */
			rect(cr, c.x, top - 1, c.w, body + 2, &l->tint);
			rect(cr, c.x, top - 1, 1.5, body + 2, &l->grey);
			text_draw(cr, rw->a, xa + (rtl(b->va) ? 0 : 2.5), top, &l->accent);
			if (rw->b)
				text_draw(cr, rw->b, xb + (rtl(b->vb) ? 0 : 2.5), top, &l->accent);
		} else if (rw->kind == ROW_HEAD || rw->kind == ROW_WARN) {
			const struct rgb *bg = rw->kind == ROW_WARN || !rw->valid ? &l->warn_tint : &l->tint;
			const struct rgb *fg = rw->kind == ROW_WARN || !rw->valid ? &l->warn : &l->accent;
			double pad = rw->kind == ROW_WARN ? 3 : 1;
			rect(cr, c.x, top - pad, c.w, body + 2 * pad, bg);
			rect(cr, c.x, top - pad, 1.5, body + 2 * pad, fg);
			text_draw(cr, rw->a, xa + (rtl(b->va) ? 0 : pad + 1), top, fg);
			if (rw->b)
				text_draw(cr, rw->b, xb + (rtl(b->vb) ? 0 : pad + 1), top, fg);
		} else {
			const struct rgb *fg = rw->valid ? &black : &l->grey;
			if (!rw->valid) /* a bar along every line of an entry that is not verified */
				rect(cr, c.x - 3, top, 1, body, &l->warn);
			text_draw(cr, rw->a, xa + (rtl(b->va) ? 0 : rw->indent), top, fg);
			if (rw->b)
				text_draw(cr, rw->b, xb + (rtl(b->vb) ? 0 : rw->indent), top, fg);
		}
		y += rw->h;
	}
	if (b->two) {
		cairo_set_source_rgb(cr, l->rule.r, l->rule.g, l->rule.b);
		cairo_set_line_width(cr, 0.3);
		cairo_move_to(cr, c.x + cw + l->col_gap / 2, c.y + (pg->first_summary ? 0 : 0) + 1);
		cairo_line_to(cr, c.x + cw + l->col_gap / 2, y);
		cairo_stroke(cr);
	}
	footer(b, cr, i, pg);
}

/* Codes laid out in the page's grid, each row centred, "code n of k" under each. */
static void draw_codes_grid(const struct booklet *b, cairo_t *cr, struct box c, double top, double bottom,
			    const struct page *pg)
{
	const struct code_plan *p = &b->codes;
	const struct phr_layout *l = b->l;
	size_t cols = pg->cols > 0 ? (size_t)pg->cols : 1;
	size_t rows_used = (pg->count + cols - 1) / cols;
	double cell_h = p->side + p->label_h;
	double grid_h = rows_used * cell_h + (rows_used ? rows_used - 1 : 0) * l->code_gap;
	double y0 = top + ((bottom - top) - grid_h) / 2;
	if (y0 < top)
		y0 = top;
	char s[256], one[100];
	for (size_t r = 0; r < rows_used; r++) {
		size_t in_row = pg->count - r * cols;
		if (in_row > cols)
			in_row = cols;
		double row_w = in_row * p->side + (in_row - 1) * l->code_gap;
		double x0 = c.x + (c.w - row_w) / 2;
		for (size_t k = 0; k < in_row; k++) {
			size_t idx = pg->first + r * cols + k;
			double x = x0 + k * (p->side + l->code_gap), y = y0 + r * (cell_h + l->code_gap);
			codes_draw(cr, p, idx, x, y);
			label_num(one, sizeof(one), lbl(b->va->lang, "ui.print.code_n_of_k", "Code %d of %d"), (long)idx + 1,
				(long)p->n);
			char two[100];
			label_num(two, sizeof(two), lbl(b->vb->lang, "ui.print.code_n_of_k", "Code %d of %d"), (long)idx + 1,
				  (long)p->n);
			join2(b, one, two, s, sizeof(s));
			put(cr, lay(b, b->va->lang, TS_SMALL, TF_CENTER | TF_BOLD, p->side + l->code_gap, s),
			    x - l->code_gap / 2, y + p->side, &black);
		}
	}
}

/* The hints of codes in one language: how to scan them, how many restore
 * the record, and where the others are (others: "6" or "4, 9", "" when
 * none). both: a card with codes on both faces. */
static void hint_text(const struct booklet *b, const char *lang, long k, long n, bool both, const char *others, char *s,
		      size_t cap)
{
	char r[300] = "", o[300] = "";
	if (k == 1 && n > 1)
		snprintf(r, sizeof(r), "%s",
			 lbl(lang, "ui.print.one_code_restores", "Each code restores the whole record on its own."));
	else if (n > k)
		label_num(r, sizeof(r), lbl(lang, "ui.print.any_k_of_n", "Any %d of these %d codes restore the whole record."),
			  k, n);
	else if (n > 1)
		label_num(r, sizeof(r), lbl(lang, "ui.print.all_codes_needed", "All %d codes are needed to restore the record."),
			  n, 0);
	if (*others) {
		const char *args[1] = { others };
		fmt(o, sizeof(o), lbl(lang, "ui.print.codes_other_pages", "Other codes of this record: page %s."), args, 1);
	}
	const char *scan = both ? lbl(lang, "ui.print.card_scan_both",
				      "Scan the codes on both sides of the card, in any order.")
				: lbl(lang, "ui.scan_hint", "Scan every code on this page, in any order.");
	snprintf(s, cap, "%s%s%s%s%s", scan, *r ? " " : "", r, *o ? " " : "", o);
}

static double codes_head(const struct booklet *b, double w)
{
	/* the hints at their longest: two-digit counts, two other pages */
	const struct phr_print_view *v[2] = { b->va, b->vb };
	double h = title2_height(b, "ui.print.codes_title", "Machine-readable copy of this record", w) + 3;
	char s[900];
	for (int k = 0; k < (b->two ? 2 : 1); k++) {
		hint_text(b, v[k]->lang, 10, 11, false, "10, 11", s, sizeof(s));
		PangoLayout *p = lay(b, v[k]->lang, TS_SMALL, 0, w, s);
		double one = height_of(p) + 1, two_lines = 2 * (b->l->small_pt * 1.45);
		h += one > two_lines ? one : two_lines;
		if (p)
			g_object_unref(p);
	}
	return h + 4;
}

/* The other pages of codes than page i: "6" or "4, 9". */
static void other_code_pages(const struct booklet *b, size_t i, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	if (b->l->kind == KIND_CARD)
		return;
	for (size_t j = 0; j < b->n_pages && o + 1 < cap; j++)
		if (j != i && b->pages[j].block == BLK_CODES && b->pages[j].count) {
			int w = snprintf(out + o, cap - o, "%s%zu", o ? ", " : "", j + 1);
			if (w < 0 || (size_t)w >= cap - o)
				break;
			o += (size_t)w;
		}
}

/* A card whose front carries codes. */
static bool card_front_has_codes(const struct booklet *b)
{
	for (size_t j = 0; j < b->n_pages; j++)
		if (b->pages[j].block == BLK_CARD_FRONT && b->pages[j].count)
			return true;
	return false;
}

/* The hints of page i's codes, both languages, w wide; returns the height
 * (draws nothing when cr is NULL). */
static double code_hints(const struct booklet *b, cairo_t *cr, size_t i, double x, double y, double w, int style)
{
	const struct code_plan *p = &b->codes;
	const struct phr_print_view *v[2] = { b->va, b->vb };
	char s[900], others[200];
	double y0 = y;
	other_code_pages(b, i, others, sizeof(others));
	for (int k = 0; k < (b->two ? 2 : 1); k++) {
		hint_text(b, v[k]->lang, (long)p->chunk.k, (long)p->n, card_front_has_codes(b), others, s, sizeof(s));
		PangoLayout *pl = lay(b, v[k]->lang, style, 0, w, s);
		if (cr)
			y += put(cr, pl, x, y, k ? &b->l->grey : &black) + 1;
		else if (pl) {
			y += height_of(pl) + 1;
			g_object_unref(pl);
		}
	}
	return y - y0;
}

static void draw_codes(const struct booklet *b, cairo_t *cr, size_t i, const struct page *pg)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	double y = c.y;
	y += title2(b, cr, "ui.print.codes_title", "Machine-readable copy of this record", c.x, y, c.w, 0, &l->accent,
		    &l->grey) + 3;
	code_hints(b, cr, i, c.x, y, c.w, TS_SMALL);
	draw_codes_grid(b, cr, c, c.y + b->code_top, c.y + c.h, pg);
	footer(b, cr, i, NULL);
}

/* A label above a writing line: returns the line's y. */
static double write_line(const struct booklet *b, cairo_t *cr, const char *id, const char *fallback, double x,
			 double y, double w)
{
	char s[300];
	form_label(b, id, fallback, s, sizeof(s));
	put(cr, lay(b, b->vb->lang, TS_FOOTER, 0, w, s), x, y, &b->l->grey);
	double ly = y + b->l->line_pitch;
	hline(cr, x, x + w, ly, 0.4, &b->l->rule);
	return ly;
}

static void note_handwritten(const struct booklet *b, cairo_t *cr, struct box c)
{
	char s[600];
	both(b, "ui.print.handwritten_note", "Handwritten entries are not part of the signed record.", s, sizeof(s));
	PangoLayout *p = lay(b, b->va->lang, TS_FOOTER, TF_CENTER, c.w, s);
	double h = height_of(p);
	put(cr, p, c.x, c.y + c.h - h - footer_height(b) / 2, &b->l->grey);
}

static void draw_followup(const struct booklet *b, cairo_t *cr, size_t i)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	double y = c.y + title2(b, cr, "ui.print.followup", "Follow-up visits", c.x, c.y, c.w, 0, &l->accent, &l->grey) + 4;
	double bottom = c.y + c.h - 2 * footer_height(b);
	double pitch = l->line_pitch, half = (c.w - 6) / 2;
	double visit = 6 * pitch + 8; /* date and clinic, four lines of findings, signature */
	while (y + visit <= bottom) {
		write_line(b, cr, "ui.print.date", "Date", c.x, y, half);
		write_line(b, cr, "ui.clinic", "Clinic", c.x + half + 6, y, half);
		y += pitch + 2;
		write_line(b, cr, "ui.print.findings", "Findings, treatment and advice", c.x, y, c.w);
		for (int k = 2; k <= 4; k++)
			hline(cr, c.x, c.x + c.w, y + k * pitch, 0.4, &l->rule);
		y += 4 * pitch + 2;
		write_line(b, cr, "ui.print.signature", "Signature and stamp", c.x + half + 6, y, half);
		y += pitch + 4;
		hline(cr, c.x, c.x + c.w, y - 2, 0.8, &l->accent);
		y += 2;
	}
	note_handwritten(b, cr, c);
}

static void draw_extra_lab(const struct booklet *b, cairo_t *cr, size_t i)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	double y = c.y + title2(b, cr, "ui.print.extra_lab", "Additional laboratory tests", c.x, c.y, c.w, 0, &l->accent,
				&l->grey) + 4;
	double bottom = c.y + c.h - 2 * footer_height(b);
	static const struct {
		const char *id, *fallback;
		double share;
	} cols[] = { { "ui.print.date", "Date", 0.2 }, { "ui.print.test", "Test", 0.36 },
		     { "ui.print.result", "Result", 0.22 }, { "ui.print.signature", "Signature and stamp", 0.22 } };
	double x = c.x, head_h = 0;
	char s[300];
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
		double w = cols[k].share * c.w;
		form_label(b, cols[k].id, cols[k].fallback, s, sizeof(s));
		PangoLayout *p = lay(b, b->vb->lang, TS_FOOTER, TF_BOLD, w - 2, s);
		double h = height_of(p);
		put(cr, p, x + 1, y, &l->accent);
		if (h > head_h)
			head_h = h;
		x += w;
	}
	y += head_h + 1;
	hline(cr, c.x, c.x + c.w, y, 0.8, &l->accent);
	double top = y;
	while (y + l->line_pitch <= bottom) {
		y += l->line_pitch;
		hline(cr, c.x, c.x + c.w, y, 0.4, &l->rule);
	}
	cairo_set_source_rgb(cr, l->rule.r, l->rule.g, l->rule.b);
	cairo_set_line_width(cr, 0.4);
	x = c.x;
	for (size_t k = 0; k + 1 < sizeof(cols) / sizeof(cols[0]); k++) {
		x += cols[k].share * c.w;
		cairo_move_to(cr, x, top);
		cairo_line_to(cr, x, y);
	}
	cairo_stroke(cr);
	note_handwritten(b, cr, c);
}

static void draw_back(const struct booklet *b, cairo_t *cr, size_t i)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	double band = l->height * 0.12;
	rect(cr, -l->bleed, l->height - band, l->width + 2 * l->bleed, band + l->bleed, &l->accent);
	double y = c.y + c.h * 0.25;
	y += put(cr, lay(b, b->va->lang, TS_HEADING, TF_BOLD | TF_CENTER, c.w,
			 lbl(b->va->lang, "ui.print.lost_found", "If found, please return to the holder or to any health clinic.")),
		 c.x, y, &black) + 3;
	if (b->two)
		y += put(cr, lay(b, b->vb->lang, TS_BODY, TF_CENTER, c.w,
				 lbl(b->vb->lang, "ui.print.lost_found",
				     "If found, please return to the holder or to any health clinic.")),
			 c.x, y, &l->grey) + 3;
	y += 10;
	y += put(cr, lay(b, b->va->lang, TS_SMALL, TF_CENTER, c.w,
			 lbl(b->va->lang, "ui.print.handwritten_note", "Handwritten entries are not part of the signed record.")),
		 c.x, y, &l->grey) + 8;
}

/* What differs from one back cover to the next: the date and the record. */
static void draw_back_record(const struct booklet *b, cairo_t *cr, size_t i)
{
	const struct phr_layout *l = b->l;
	struct box c = content(b, i);
	char s[600], when[16];
	double band = l->height * 0.12;
	uint64_t days = b->now / 86400;
	int yy, mm, dd;
	phr_civil_from_days((int64_t)days + phr_days_from_civil(1970, 1, 1), &yy, &mm, &dd);
	snprintf(when, sizeof(when), "%04d-%02d-%02d", yy % 10000, mm % 100, dd % 100);
	const char *args[1] = { when };
	fmt(s, sizeof(s), lbl(b->vb->lang, "ui.printed", "Printed on %s"), args, 1);
	char rid[40], line[700];
	grouped_id(b->va->record_id, rid);
	snprintf(line, sizeof(line), "%s \u00b7 %s %s", s, lbl(b->vb->lang, "ui.record_id", "Record ID"), rid);
	put(cr, lay(b, b->vb->lang, TS_FOOTER, TF_CENTER, c.w, line), c.x, l->height - band - 12, &l->grey);
}

/* ---- the wallet card ---- */

/* The width of a card face's grid of codes. */
static double grid_width(const struct booklet *b, const struct page *pg)
{
	size_t cols = pg->count < (size_t)pg->cols ? pg->count : (size_t)pg->cols;
	return cols * b->codes.side + (cols ? cols - 1 : 0) * b->l->code_gap;
}

static void draw_card_front(const struct booklet *b, cairo_t *cr, size_t i, const struct page *pg)
{
	const struct phr_layout *l = b->l;
	const struct phr_print_view *va = b->va, *vb = b->vb;
	struct box c = content(b, i);
	char s[MAX_TEXT], rid[40];
	/* the codes (if any) at the end of the holder's lines, the text and
	 * its title band in the rest */
	double tx = c.x, tw = c.w, bx = -l->bleed, bw = l->width + 2 * l->bleed;
	if (pg->count) {
		struct box f = card_front_codes(b);
		double gw = grid_width(b, pg);
		struct box g = { rtl(va) ? c.x : c.x + c.w - gw, f.y, gw, f.h };
		draw_codes_grid(b, cr, g, f.y, f.y + f.h, pg);
		tw = c.w - gw - CARD_FRONT_GAP_MM * PT_PER_MM;
		tx = rtl(va) ? c.x + c.w - tw : c.x;
		bw = rtl(va) ? l->width + l->bleed - (tx - CARD_FRONT_GAP_MM / 2 * PT_PER_MM) : tx + tw + l->bleed +
											       CARD_FRONT_GAP_MM / 2 * PT_PER_MM;
		bx = rtl(va) ? tx - CARD_FRONT_GAP_MM / 2 * PT_PER_MM : -l->bleed;
	}
	PangoLayout *t1, *t2;
	double band = card_band(b, tw, &t1, &t2);
	rect(cr, bx, -l->bleed, bw, band + l->bleed, &l->accent);
	double y = c.y - 1;
	y += put(cr, t1, tx, y, &white);
	if (t2)
		put(cr, t2, tx, y, &white);
	y = band + 2.5;
	const char *name = *va->holder_name ? va->holder_name : "\u2014";
	y += put(cr, lay(b, va->lang, TS_TITLE, TF_BOLD | TF_ELLIPSIZE, tw, name), tx, y, &black);
	if (*va->birth_date) {
		snprintf(s, sizeof(s), "%s: %s", lbl(va->lang, "ui.print.born", "Born"), va->birth_date);
		y += put(cr, lay(b, va->lang, TS_BODY, TF_ELLIPSIZE, tw, s), tx, y, &black);
	}
	/* beside codes the column is narrow: the issuer and the record id
	 * wrap; each value is an isolate, so that a Latin clinic name or the
	 * groups of the id keep their order after an Arabic label */
	int wrap = pg->count ? 0 : TF_ELLIPSIZE;
	snprintf(s, sizeof(s), "%s: \u2068%s\u2069 \u00b7 \u2068%s\u2069", lbl(va->lang, "ui.print.issued", "Issued"),
		 va->issued_on, va->issuer);
	y += put(cr, lay(b, va->lang, TS_SMALL, wrap, tw, s), tx, y, &black);
	grouped_id(va->record_id, rid);
	snprintf(s, sizeof(s), "%s: \u2066%s\u2069", lbl(va->lang, "ui.record_id", "Record ID"), rid);
	y += put(cr, lay(b, va->lang, TS_SMALL, wrap, tw, s), tx, y, &black) + 1.5;
	for (int k = 0; k < (b->two ? 2 : 1); k++) {
		const struct phr_print_view *v = k ? vb : va;
		if (v->all_valid)
			label_num(s, sizeof(s), lbl(v->lang, "ui.print.verified_entries", "%d of %d entries verified"),
				(long)v->n_valid, (long)v->n_entries);
		else
			snprintf(s, sizeof(s), "%s", lbl(v->lang, "ui.warning_unverified", "WARNING: this record could not be verified."));
		y += put(cr, lay(b, v->lang, k ? TS_FOOTER : TS_SMALL, TF_BOLD, tw, s), tx, y, v->all_valid ? &l->ok : &l->warn);
	}
	/* sealed sections: how many (the card shows none of the content) */
	unsigned sealed = 0;
	for (size_t e = 0; e < va->n_entries; e++)
		sealed += va->entries[e].sealed_sections;
	if (sealed) {
		label_num(s, sizeof(s),
			  lbl(va->lang, "ui.print.card_sealed", "Sealed sections: %d. The holder's key slip opens them."),
			  (long)sealed, 0);
		y += put(cr, lay(b, va->lang, TS_FOOTER, TF_BOLD, tw, s), tx, y, &l->accent);
	}
	/* at the foot: where the rest is */
	both(b, "ui.print.card_see_booklet", "The full record is in the holder's booklet.", s, sizeof(s));
	PangoLayout *p = lay(b, va->lang, TS_FOOTER, 0, tw, s);
	double h = height_of(p);
	double fy = c.y + c.h - h;
	put(cr, p, tx, fy > y ? fy : y, &l->grey);
}

static void draw_card_back(const struct booklet *b, cairo_t *cr, size_t i, const struct page *pg)
{
	const struct phr_layout *l = b->l;
	const struct code_plan *p = &b->codes;
	struct box c = content(b, i);
	char s[MAX_TEXT];
	if (p->fits) {
		/* the codes at the start, the hints beside them when there is
		 * room, else at the foot */
		double grid_w = grid_width(b, pg);
		double text_w = c.w - grid_w - 3 * PT_PER_MM;
		if (!pg->count) {
			code_hints(b, cr, i, c.x, c.y + 2, c.w, TS_FOOTER);
		} else if (text_w >= CARD_HINT_MIN_MM * PT_PER_MM) {
			struct box g = { c.x, c.y, grid_w, c.h };
			draw_codes_grid(b, cr, g, c.y, c.y + c.h, pg);
			code_hints(b, cr, i, c.x + c.w - text_w, c.y + 2, text_w, TS_FOOTER);
		} else {
			size_t cols = (size_t)pg->cols, rows = (pg->count + cols - 1) / cols;
			double grid_h = rows * (p->side + p->label_h) + (rows - 1) * l->code_gap;
			double hint_h = code_hints(b, NULL, i, c.x, 0, c.w, TS_FOOTER);
			draw_codes_grid(b, cr, c, c.y, c.y + grid_h, pg);
			code_hints(b, cr, i, c.x, c.y + c.h - hint_h, c.w, TS_FOOTER);
		}
		return;
	}
	/* the record does not fit: say so plainly, in both languages */
	rect(cr, c.x, c.y, c.w, c.h, &l->warn_tint);
	rect(cr, c.x, c.y, 2, c.h, &l->warn);
	double y = c.y + 3;
	for (int k = 0; k < (b->two ? 2 : 1); k++) {
		const char *lang = k ? b->vb->lang : b->va->lang;
		char msg[600];
		label_num(msg, sizeof(msg),
			lbl(lang, "ui.print.card_too_big", "This record needs %d codes; a wallet card holds at most %d. Use the booklet."),
			(long)p->n, (long)p->capacity);
		snprintf(s, sizeof(s), "%s %s", msg, lbl(lang, "ui.print.card_see_booklet", "The full record is in the holder's booklet."));
		y += put(cr, lay(b, lang, k ? TS_SMALL : TS_BODY, TF_BOLD, c.w - 8, s), c.x + 5, y, &l->warn) + 3;
	}
}

struct stamp_ctx {
	const struct booklet *b;
	size_t i;
	void (*draw)(const struct booklet *b, cairo_t *cr, size_t i);
};

static void stamp_draw(const void *ctx, cairo_t *cr)
{
	const struct stamp_ctx *s = ctx;
	s->draw(s->b, cr, s->i);
}

/* A page that is the same in every booklet of this language pair (and
 * side: margins are mirrored) is painted from its stamp. */
static void stamp(const struct booklet *b, cairo_t *cr, size_t i, void (*draw)(const struct booklet *, cairo_t *, size_t))
{
	const struct phr_layout *l = b->l;
	char key[64];
	struct stamp_ctx ctx = { b, i, draw };
	cairo_rectangle_t ext = { -l->bleed, -l->bleed, l->width + 2 * l->bleed, l->height + 2 * l->bleed };
	snprintf(key, sizeof(key), "%s|%zu|%s|%s", block_name(b->pages[i].block), i % 2, b->va->lang, b->vb->lang);
	if (b->st)
		stamps_paint(b->st, cr, key, &ext, stamp_draw, &ctx);
	else
		draw(b, cr, i);
}

void booklet_draw(const struct booklet *b, cairo_t *cr, size_t i)
{
	const struct page *pg = &b->pages[i];
	cairo_save(cr);
	switch (pg->block) {
	case BLK_COVER: draw_cover(b, cr, i); break;
	case BLK_SUMMARY: draw_summary(b, cr, i, pg); break;
	case BLK_CODES: draw_codes(b, cr, i, pg); break;
	case BLK_FOLLOWUP:
		stamp(b, cr, i, draw_followup);
		footer(b, cr, i, NULL);
		break;
	case BLK_EXTRA_LAB:
		stamp(b, cr, i, draw_extra_lab);
		footer(b, cr, i, NULL);
		break;
	case BLK_BACK_COVER:
		stamp(b, cr, i, draw_back);
		draw_back_record(b, cr, i);
		break;
	case BLK_CARD_FRONT: draw_card_front(b, cr, i, pg); break;
	case BLK_CARD_BACK: draw_card_back(b, cr, i, pg); break;
	default: break; /* blank */
	}
	cairo_restore(cr);
}
