/* An aggregated health-status report as a PDF (phr/report_print.h): a page
 * of charts, then the tables. A4 landscape. Everything is placed in
 * logical coordinates (x from the start of the line) and mirrored for
 * right-to-left languages, so Arabic and Farsi read from the right: the
 * labels of the bars, the columns of the tables and the time axis. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/report_print.h"

#define PAGE_W 841.89
#define PAGE_H 595.28
#define MARGIN 36.0
#define FAMILY "Noto Sans, Noto Sans Arabic, Noto Naskh Arabic, DejaVu Sans"
#define MAX_SERIES 5

enum align { A_START, A_END, A_CENTER };

struct pdf {
	const struct phr_report_doc *d;
	cairo_surface_t *s;
	cairo_t *cr;
	PangoFontMap *fm;
	PangoContext *pc;
	int (*write)(void *, const uint8_t *, size_t);
	void *ctx;
	int werr;
	int page;
};

static const double series_rgb[MAX_SERIES][3] = {
	{ 0.13, 0.37, 0.60 }, { 0.85, 0.45, 0.10 }, { 0.75, 0.15, 0.20 }, { 0.20, 0.55, 0.30 }, { 0.50, 0.35, 0.65 },
};

static cairo_status_t out(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf *p = closure;
	if (p->werr)
		return CAIRO_STATUS_WRITE_ERROR;
	p->werr = p->write(p->ctx, data, len);
	return p->werr ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Physical x of a box that starts at logical x and is w wide. */
static double X(const struct pdf *p, double x, double w)
{
	return p->d->rtl ? PAGE_W - x - w : x;
}

/* Digits, signs and Latin letters only: a number, a date, a cell. */
static bool ltr_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* One-line text sits on a common baseline, size * 0.95 below its top,
 * whatever the font (Arabic fonts are taller than Latin ones, so tops
 * aligned would put an Arabic label below the numbers beside it). */
static double shift(PangoLayout *l, double size, bool one_line)
{
	if (!one_line)
		return 0;
	return size * 0.95 - (double)pango_layout_get_baseline(l) / PANGO_SCALE;
}

/* Draws text in the box [x, x + w) (logical), top at y; returns its height.
 * w <= 0: no box, the text starts at x. */
static double text(struct pdf *p, const char *s, double x, double y, double w, double size, bool bold, int align,
		   bool ellipsize)
{
	PangoLayout *l = pango_layout_new(p->pc);
	PangoFontDescription *fd = pango_font_description_from_string(FAMILY);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	if (bold)
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_auto_dir(l, FALSE);
	char buf[600];
	if (p->d->rtl && ltr_only(s)) {
		/* "<5", "2024-03", "12 (40%)": kept in their own order inside
		 * right-to-left text (a left-to-right mark before them) */
		snprintf(buf, sizeof(buf), "\u200e%s\u200e", s);
		s = buf;
	}
	pango_layout_set_text(l, s, -1);
	int iw, ih;
	if (w > 0) {
		pango_layout_set_width(l, (int)(w * PANGO_SCALE));
		if (ellipsize)
			pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
		else
			pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
		/* physical alignment: the start is the right edge in RTL */
		PangoAlignment a = align == A_CENTER ? PANGO_ALIGN_CENTER
				   : ((align == A_START) != p->d->rtl) ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT;
		pango_layout_set_alignment(l, a);
		pango_layout_get_size(l, &iw, &ih);
		cairo_move_to(p->cr, X(p, x, w), y + shift(l, size, ellipsize));
	} else {
		pango_layout_get_size(l, &iw, &ih);
		double tw = (double)iw / PANGO_SCALE;
		cairo_move_to(p->cr, X(p, x, tw), y + shift(l, size, true));
	}
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
	return (double)ih / PANGO_SCALE;
}

static void rect(struct pdf *p, double x, double y, double w, double h)
{
	cairo_rectangle(p->cr, X(p, x, w), y, w, h);
}

static void rgb(struct pdf *p, const double c[3])
{
	cairo_set_source_rgb(p->cr, c[0], c[1], c[2]);
}

static void grey(struct pdf *p, double g)
{
	cairo_set_source_rgb(p->cr, g, g, g);
}

/* A hidden value: a hatched box, never drawn at the value's size. */
static void hatch(struct pdf *p, double x, double y, double w, double h)
{
	cairo_save(p->cr);
	rect(p, x, y, w, h);
	cairo_clip_preserve(p->cr);
	grey(p, 0.92);
	cairo_fill(p->cr);
	grey(p, 0.55);
	cairo_set_line_width(p->cr, 0.6);
	double px = X(p, x, w);
	for (double k = -h; k < w; k += 4) {
		cairo_move_to(p->cr, px + k, y + h);
		cairo_line_to(p->cr, px + k + h, y);
	}
	cairo_stroke(p->cr);
	cairo_restore(p->cr);
}

static void footer(struct pdf *p)
{
	char n[16];
	snprintf(n, sizeof(n), "%d", p->page);
	grey(p, 0.4);
	text(p, p->d->footer, MARGIN, PAGE_H - MARGIN + 8, PAGE_W - 2 * MARGIN - 40, 7, false, A_START, true);
	text(p, n, PAGE_W - MARGIN - 40, PAGE_H - MARGIN + 8, 40, 7, false, A_END, false);
}

static void new_page(struct pdf *p)
{
	if (p->page)
		cairo_show_page(p->cr);
	p->page++;
	footer(p);
}

static const struct phr_report_table *chart_tables(const struct phr_report_doc *d, const struct phr_report_table **t)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_tables && n < MAX_SERIES; i++)
		if (d->tables[i].chart)
			t[n++] = &d->tables[i];
	for (size_t i = n; i < MAX_SERIES; i++)
		t[i] = NULL;
	return t[0];
}

static int64_t total_cell(const struct phr_report_doc *d, const struct phr_report_table *t, size_t col)
{
	return t->cells[t->n_rows * d->n_cols + col];
}

static double nice_max(double v)
{
	if (v <= 5)
		return 5;
	double e = pow(10, floor(log10(v)));
	for (double m = 1; m <= 10; m *= 2) {
		if (m * e >= v)
			return m * e;
		if (m * 2.5 * e >= v && m == 2)
			return 5 * e;
	}
	return 10 * e;
}

/* Bars: each headline indicator over the whole period, all groups. */
static double bars(struct pdf *p, const struct phr_report_table *const *t, double y)
{
	const struct phr_report_doc *d = p->d;
	size_t all = d->n_cols - 1;
	double lw = 200, x0 = MARGIN + lw + 8, bw = PAGE_W - 2 * MARGIN - lw - 70, bh = 14;
	double max = 0;
	for (int i = 0; i < MAX_SERIES && t[i]; i++)
		if (total_cell(d, t[i], all) > max)
			max = (double)total_cell(d, t[i], all);
	max = nice_max(max);
	grey(p, 0);
	y += text(p, d->chart_bars_title, MARGIN, y, PAGE_W - 2 * MARGIN, 11, true, A_START, true) + 6;
	for (int i = 0; i < MAX_SERIES && t[i]; i++) {
		int64_t v = total_cell(d, t[i], all);
		grey(p, 0.1);
		text(p, t[i]->title, MARGIN, y + 1, lw, 8.5, false, A_START, true);
		char num[32];
		if (v == PHR_REPORT_SUPPRESSED) {
			hatch(p, x0, y, 18, bh);
			snprintf(num, sizeof(num), "%s", d->suppressed_text);
		} else {
			rgb(p, series_rgb[i]);
			rect(p, x0, y, bw * (double)v / max, bh);
			cairo_fill(p->cr);
			snprintf(num, sizeof(num), "%lld", (long long)v);
		}
		double end = v == PHR_REPORT_SUPPRESSED ? 18 : bw * (double)v / max;
		grey(p, 0.1);
		text(p, num, x0 + end + 4, y + 1, 0, 8.5, true, A_START, false);
		y += bh + 7;
	}
	/* axis */
	grey(p, 0.5);
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, X(p, x0, 0), y - 4);
	cairo_line_to(p->cr, X(p, x0 + bw, 0), y - 4);
	cairo_stroke(p->cr);
	for (int k = 0; k <= 4; k++) {
		char s[32];
		snprintf(s, sizeof(s), "%.0f", max * k / 4);
		text(p, s, x0 + bw * k / 4 - 20, y - 2, 40, 7, false, A_CENTER, false);
	}
	return y + 12;
}

/* Lines: each headline indicator per week or month, all groups. */
static double lines(struct pdf *p, const struct phr_report_table *const *t, double y)
{
	const struct phr_report_doc *d = p->d;
	size_t nb = d->n_cols - 1;
	double gx = MARGIN + 40, gw = PAGE_W - 2 * MARGIN - 40 - 200, gh = PAGE_H - y - MARGIN - 70;
	double max = 0;
	for (int i = 0; i < MAX_SERIES && t[i]; i++)
		for (size_t c = 0; c < nb; c++)
			if (total_cell(d, t[i], c) > max)
				max = (double)total_cell(d, t[i], c);
	max = nice_max(max);
	grey(p, 0);
	y += text(p, d->chart_lines_title, MARGIN, y, PAGE_W - 2 * MARGIN, 11, true, A_START, true) + 8;
	double top = y, base = y + gh;
	/* the band where hidden values lie: below the suppression threshold */
	bool hides = d->suppressed_text[0] != 0; /* "" with --min-cell 1 */
	int thr = hides ? atoi(d->suppressed_text + 1) : 0;
	double band = gh * (thr > 0 ? thr : 0) / max;
	if (band < 5)
		band = 5; /* visible, and where the open markers sit */
	if (hides) {
		cairo_save(p->cr);
		cairo_rectangle(p->cr, X(p, gx, gw), base - band, gw, band);
		cairo_set_source_rgba(p->cr, 0.6, 0.6, 0.6, 0.18);
		cairo_fill(p->cr);
		cairo_restore(p->cr);
	}
	grey(p, 0.85);
	cairo_set_line_width(p->cr, 0.4);
	for (int k = 0; k <= 4; k++) {
		double yy = base - gh * k / 4;
		cairo_move_to(p->cr, X(p, gx, 0), yy);
		cairo_line_to(p->cr, X(p, gx + gw, 0), yy);
		cairo_stroke(p->cr);
		char s[32];
		snprintf(s, sizeof(s), "%.0f", max * k / 4);
		grey(p, 0.35);
		text(p, s, MARGIN, yy - 5, 36, 7, false, A_END, false);
		grey(p, 0.85);
	}
	double step = nb > 1 ? gw / (double)(nb - 1) : 0;
	/* x labels, thinned out to fit */
	size_t every = 1;
	while (nb / every > 14)
		every++;
	grey(p, 0.35);
	for (size_t c = 0; c < nb; c += every)
		text(p, d->col_labels[c], gx + step * (double)c - 25, base + 4, 50, 7, false, A_CENTER, false);
	for (int i = 0; i < MAX_SERIES && t[i]; i++) {
		rgb(p, series_rgb[i]);
		cairo_set_line_width(p->cr, 1.6);
		cairo_new_path(p->cr);
		bool pen = false;
		for (size_t c = 0; c < nb; c++) {
			int64_t v = total_cell(d, t[i], c);
			double px = X(p, gx + step * (double)c, 0);
			if (v == PHR_REPORT_SUPPRESSED) {
				if (pen)
					cairo_stroke(p->cr);
				pen = false;
				continue;
			}
			double py = base - gh * (double)v / max;
			if (pen)
				cairo_line_to(p->cr, px, py);
			else
				cairo_move_to(p->cr, px, py);
			pen = true;
		}
		if (pen)
			cairo_stroke(p->cr);
		for (size_t c = 0; c < nb; c++) {
			int64_t v = total_cell(d, t[i], c);
			double px = X(p, gx + step * (double)c, 0);
			cairo_new_path(p->cr); /* no line from the last text drawn */
			if (v == PHR_REPORT_SUPPRESSED) {
				/* hollow marker inside the grey band: "fewer than N" */
				cairo_set_line_width(p->cr, 1);
				cairo_arc(p->cr, px, base - band * (i + 1) / (MAX_SERIES + 1), 2.5, 0, 2 * M_PI);
				cairo_stroke(p->cr);
			} else {
				cairo_arc(p->cr, px, base - gh * (double)v / max, 2.2, 0, 2 * M_PI);
				cairo_fill(p->cr);
			}
		}
		/* legend */
		double ly = top + 4 + i * 16;
		rect(p, gx + gw + 16, ly + 3, 14, 4);
		cairo_fill(p->cr);
		grey(p, 0.1);
		text(p, t[i]->title, gx + gw + 36, ly, 160, 8, false, A_START, true);
	}
	if (hides) {
		double ly = top + 4 + MAX_SERIES * 16 + 6;
		cairo_set_source_rgba(p->cr, 0.6, 0.6, 0.6, 0.35);
		rect(p, gx + gw + 16, ly, 14, 10);
		cairo_fill(p->cr);
		grey(p, 0.1);
		text(p, d->suppressed_text, gx + gw + 36, ly - 1, 160, 8, false, A_START, true);
	}
	return base + 20;
}

/* The columns of one chunk of a table: buckets c0..c1 (c1 == n_cols: the
 * whole period too), the widths, row height and font size. */
struct cols {
	size_t c0, c1;
	double lw, cw, cl, rh, fs;
};

/* A table's header row (the row title, the column labels) at y, tw wide;
 * the y below it. Drawn at the top of the table and again on every page
 * the table runs over to. */
static double header_row(struct pdf *p, const struct phr_report_table *t, const struct cols *k, double tw, double y)
{
	const struct phr_report_doc *d = p->d;
	cairo_set_source_rgb(p->cr, 0.90, 0.93, 0.97);
	rect(p, MARGIN, y, tw, k->rh);
	cairo_fill(p->cr);
	grey(p, 0.1);
	text(p, t->row_title, MARGIN + 3, y + 1.5, k->lw - 6, k->fs, true, A_START, true);
	for (size_t c = k->c0; c < k->c1; c++)
		text(p, d->col_labels[c], MARGIN + k->lw + k->cw * (double)(c - k->c0), y + 1.5,
		     (c + 1 == d->n_cols ? k->cl : k->cw) - 4, k->fs, true, A_END, true);
	return y + k->rh;
}

/* One table, its columns in chunks that fit the page width; a table longer
 * than the page repeats its header row on each page it runs over to. */
static double table(struct pdf *p, const struct phr_report_table *t, double y)
{
	const struct phr_report_doc *d = p->d;
	const struct phr_report_table *den = NULL;
	for (size_t i = 0; t->denominator && i < d->n_tables; i++)
		if (strcmp(d->tables[i].id, t->denominator) == 0 && d->tables[i].n_rows == t->n_rows)
			den = &d->tables[i];
	double fs = 7.5, rh = 11.5, lw = 150, cw = den ? 62 : 46, cl = den ? 80 : 66;
	/* the whole period, last, is a wider column */
	size_t per = (size_t)((PAGE_W - 2 * MARGIN - lw - cl) / cw), nb = d->n_cols - 1;
	/* the weeks or months in chunks that fit the page; the whole period
	 * goes with the last chunk */
	for (size_t c0 = 0; c0 < nb || (nb == 0 && c0 == 0); c0 += per) {
		size_t c1 = c0 + per < nb ? c0 + per : d->n_cols;
		double need = 22 + rh * (double)(t->n_rows + 2);
		if (y + (need < 120 ? need : 120) > PAGE_H - MARGIN) {
			new_page(p);
			y = MARGIN;
		}
		grey(p, 0);
		y += text(p, t->title, MARGIN, y, PAGE_W - 2 * MARGIN, 10, true, A_START, true) + 3;
		struct cols cs = { c0, c1, lw, cw, cl, rh, fs };
		double tw = lw + cw * (double)(c1 - c0) + (c1 == d->n_cols ? cl - cw : 0);
		y = header_row(p, t, &cs, tw, y);
		for (size_t k = 0; k <= t->n_rows; k++) {
			if (y + rh > PAGE_H - MARGIN) {
				/* a table that runs over the page: its header row again */
				new_page(p);
				y = header_row(p, t, &cs, tw, MARGIN);
			}
			bool total = k == t->n_rows;
			if (total || k % 2) {
				grey(p, total ? 0.88 : 0.965);
				rect(p, MARGIN, y, tw, rh);
				cairo_fill(p->cr);
			}
			grey(p, 0.1);
			text(p, total ? d->total_label : t->row_labels[k], MARGIN + 3, y + 1.5, lw - 6, fs, total, A_START, true);
			for (size_t c = c0; c < c1; c++) {
				int64_t v = t->cells[k * d->n_cols + c];
				char s[48];
				if (v == PHR_REPORT_SUPPRESSED) {
					snprintf(s, sizeof(s), "%s", d->suppressed_text);
					grey(p, 0.45);
				} else {
					int64_t n = den ? den->cells[k * d->n_cols + c] : 0;
					if (den && n > 0)
						snprintf(s, sizeof(s), "%lld (%.0f%%)", (long long)v, 100.0 * (double)v / (double)n);
					else
						snprintf(s, sizeof(s), "%lld", (long long)v);
					grey(p, 0.1);
				}
				text(p, s, MARGIN + lw + cw * (double)(c - c0), y + 1.5, (c + 1 == d->n_cols ? cl : cw) - 4, fs,
				     total, A_END, true);
			}
			y += rh;
		}
		y += 10;
	}
	return y;
}

int phr_report_pdf(const struct phr_report_doc *d, int (*write)(void *ctx, const uint8_t *data, size_t len), void *ctx)
{
	if (!d || !write || d->n_cols < 2 || !d->title)
		return phr_fail(PHR_E_ARG, "report pdf: missing argument");
	struct pdf p = { .d = d, .write = write, .ctx = ctx };
	int e = PHR_OK;
	p.s = cairo_pdf_surface_create_for_stream(out, &p, PAGE_W, PAGE_H);
	p.cr = cairo_create(p.s);
	p.fm = pango_cairo_font_map_new();
	p.pc = pango_font_map_create_context(p.fm);
	pango_cairo_context_set_resolution(p.pc, 72.0);
	pango_context_set_language(p.pc, pango_language_from_string(d->lang));
	pango_context_set_base_dir(p.pc, d->rtl ? PANGO_DIRECTION_RTL : PANGO_DIRECTION_LTR);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(p.pc, fo);
	cairo_font_options_destroy(fo);

	new_page(&p);
	double y = MARGIN;
	grey(&p, 0);
	y += text(&p, d->title, MARGIN, y, PAGE_W - 2 * MARGIN, 18, true, A_START, true) + 2;
	grey(&p, 0.2);
	y += text(&p, d->subtitle, MARGIN, y, PAGE_W - 2 * MARGIN, 9.5, false, A_START, false) + 2;
	grey(&p, 0.4);
	y += text(&p, d->note, MARGIN, y, PAGE_W - 2 * MARGIN, 8, false, A_START, false) + 12;
	const struct phr_report_table *t[MAX_SERIES];
	if (chart_tables(d, t)) {
		y = bars(&p, t, y);
		y = lines(&p, t, y + 6);
	}
	new_page(&p);
	y = MARGIN;
	for (size_t i = 0; i < d->n_tables; i++)
		y = table(&p, &d->tables[i], y);

	cairo_show_page(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(p.s);
	if (cairo_surface_status(p.s) != CAIRO_STATUS_SUCCESS && !p.werr)
		e = phr_fail(PHR_E_IO, "report pdf: %s", cairo_status_to_string(cairo_surface_status(p.s)));
	cairo_surface_destroy(p.s);
	g_object_unref(p.pc);
	g_object_unref(p.fm);
	return p.werr ? p.werr : e;
}
