/* The trust poster (docs/TRUST.md "Trust by QR"): a trust bundle's codes
 * on A4 pages with what the bundle is, for a clinic's wall or a district
 * office's notice board. Plain Cairo and Pango: one page size, one font
 * list, the language's direction from its text (Pango's auto direction). */
#include <cairo-pdf.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/labels.h"
#include "phr/qrimage.h"
#include "phr/render.h"
#include "phr/trust_poster.h"
#include "print_int.h"

#define A4_W_PT 595.2756
#define A4_H_PT 841.8898
#define MM_PT (72.0 / 25.4)
#define MARGIN_MM 15.0
#define GAP_MM 6.0       /* between codes */
#define LABEL_MM 6.0     /* the "code 1 of 5" line under a code */
#define QUIET 4          /* modules of quiet zone, ISO/IEC 18004 */
#define POSTER_FONTS "Noto Sans, Noto Sans Arabic, Noto Naskh Arabic, DejaVu Sans"
#define MAX_LINE 1024

/* Module sizes tried, largest first: whole dots of a 300 dpi printer. */
static const double module_mm[] = { 8 * 25.4 / 300, 7 * 25.4 / 300, 6 * 25.4 / 300 };

struct poster {
	cairo_t *cr;
	PangoContext *pc;
	const char *lang;
	double y; /* next line, pt from the top */
};

/* One paragraph at the current line, the full width; returns its height. */
static double para(struct poster *p, double size, bool bold, const char *text, double grey)
{
	PangoLayout *pl = pango_layout_new(p->pc);
	PangoFontDescription *fd = pango_font_description_from_string(POSTER_FONTS);
	pango_font_description_set_size(fd, (gint)(size * PANGO_SCALE));
	if (bold)
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	pango_layout_set_font_description(pl, fd);
	pango_font_description_free(fd);
	pango_layout_set_auto_dir(pl, TRUE);
	pango_layout_set_width(pl, (int)((A4_W_PT - 2 * MARGIN_MM * MM_PT) * PANGO_SCALE));
	pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(pl, text, -1);
	int w, h;
	pango_layout_get_size(pl, &w, &h);
	cairo_set_source_rgb(p->cr, grey, grey, grey);
	cairo_move_to(p->cr, MARGIN_MM * MM_PT, p->y);
	pango_cairo_show_layout(p->cr, pl);
	g_object_unref(pl);
	double dh = (double)h / PANGO_SCALE;
	p->y += dh;
	return dh;
}

/* A small centred line (the code's number) under a code. */
static void caption(struct poster *p, double cx, double y, const char *text)
{
	PangoLayout *pl = pango_layout_new(p->pc);
	PangoFontDescription *fd = pango_font_description_from_string(POSTER_FONTS);
	pango_font_description_set_size(fd, 9 * PANGO_SCALE);
	pango_layout_set_font_description(pl, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(pl, text, -1);
	int w, h;
	pango_layout_get_size(pl, &w, &h);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	cairo_move_to(p->cr, cx - (double)w / PANGO_SCALE / 2, y);
	pango_cairo_show_layout(p->cr, pl);
	g_object_unref(pl);
}

static void draw_code(cairo_t *cr, const struct phr_qr *q, double x, double y, double mod)
{
	double side = (q->width + 2 * QUIET) * mod;
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, side, side);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int r = 0; r < q->width; r++)
		for (int c = 0; c < q->width; c++)
			if (q->modules[(size_t)r * (size_t)q->width + (size_t)c])
				cairo_rectangle(cr, x + (QUIET + c) * mod, y + (QUIET + r) * mod, mod, mod);
	cairo_fill(cr);
}

/* The header of every page: title, what the bundle is, how to take it. */
static void header(struct poster *p, const struct phr_trust *t, unsigned k, unsigned m, bool first)
{
	const char *L = p->lang;
	char line[MAX_LINE], issued[21], expires[21], kid[PHR_KID_HEX_LEN];
	const struct phr_pubkey *s = phr_trust_signer(t);
	phr_format_time(phr_trust_issued(t), issued);
	phr_format_time(phr_trust_expires(t), expires);
	issued[10] = expires[10] = '\0'; /* the date */
	phr_kid_to_hex(s->kid, kid);
	p->y = MARGIN_MM * MM_PT;
	para(p, 22, true, phr_label_or(L, "ui.trustposter.title", "Trust bundle for clinics"), 0);
	p->y += 4;
	/* numbers, dates and key ids isolated left to right (U+2066..2069) */
	snprintf(line, sizeof(line), "%s: \u2066%llu\u2069", phr_label_or(L, "ui.trustposter.version", "Version"),
		 (unsigned long long)phr_trust_version(t));
	para(p, 14, true, line, 0);
	snprintf(line, sizeof(line), "%s: \u2066%s\u2069    %s: \u2066%s\u2069",
		 phr_label_or(L, "ui.trustposter.issued", "Issued"), issued,
		 phr_label_or(L, "ui.trustposter.expires", "Expires"), expires);
	para(p, 12, false, line, 0);
	snprintf(line, sizeof(line), "%s: \u2068%s (%s)\u2069, \u2066%s\u2069",
		 phr_label_or(L, "ui.trustposter.signed_by", "Signed by"),
		 s->name, s->country, kid);
	para(p, 12, false, line, 0);
	if (!first)
		return;
	size_t o = (size_t)snprintf(line, sizeof(line), "%s: ",
				    phr_label_or(L, "ui.trustposter.authorities", "Health authorities in it"));
	for (size_t i = 0; i < phr_trust_count_authorities(t) && o < sizeof(line); i++) {
		const struct phr_pubkey *a = phr_trust_authority_at(t, i);
		int n = snprintf(line + o, sizeof(line) - o, "%s\u2068%s (%s)\u2069", i ? "; " : "", a->name, a->country);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	para(p, 11, false, line, 0);
	snprintf(line, sizeof(line), "%s: \u2066%zu\u2069", phr_label_or(L, "ui.trustposter.certificates", "Clinics"),
		 phr_trust_count_certs(t));
	para(p, 11, false, line, 0);
	p->y += 4;
	para(p, 10, false,
	     phr_label_or(L, "ui.trustposter.howto",
			  "Photograph every code on this poster and import them with: phr trust import --qr PHOTO... "
			  "A clinic takes the bundle only if its health authority signed it and it is newer than the one "
			  "in use."),
	     0.25);
	snprintf(line, sizeof(line), "%s: \u2066%u / %u\u2069",
		 phr_label_or(L, "ui.trustposter.spare", "Codes that may be lost (torn or stained)"), m, k + m);
	para(p, 10, false, line, 0.25);
	p->y += 6;
}

int phr_print_trust_poster(const struct phr_trust *t, const struct phr_chunk_set *set, unsigned k, unsigned m,
			   int ecc, int max_version, const char *lang, uint8_t **pdf, size_t *pdf_len)
{
	struct phr_qr *q[PHR_MAX_CHUNKS] = { 0 };
	struct phr_membuf mb = { 0 };
	struct poster p = { .lang = lang };
	cairo_surface_t *surf = NULL;
	PangoFontMap *fm = NULL;
	int rc = PHR_OK, width = 0;
	*pdf = NULL;
	*pdf_len = 0;
	for (size_t i = 0; i < set->n; i++) {
		if ((rc = phr_qr_make(set->payload[i], set->len[i], PHR_CHUNK_BASE45, ecc, max_version, &q[i]))) {
			phr_fail_wrap(rc, "poster: code %zu of %zu", i + 1, set->n);
			goto out;
		}
		if (q[i]->width > width)
			width = q[i]->width;
	}
	surf = cairo_pdf_surface_create_for_stream(phr_membuf_write, &mb, A4_W_PT, A4_H_PT);
	p.cr = cairo_create(surf);
	fm = pango_cairo_font_map_new();
	p.pc = pango_font_map_create_context(fm);
	pango_context_set_language(p.pc, pango_language_from_string(lang));
	pango_cairo_update_context(p.cr, p.pc);

	/* the first page's header, measured by drawing it */
	header(&p, t, k, m, true);
	double top = p.y, avail_w = A4_W_PT - 2 * MARGIN_MM * MM_PT, bottom = A4_H_PT - MARGIN_MM * MM_PT;
	double mod = module_mm[sizeof(module_mm) / sizeof(module_mm[0]) - 1] * MM_PT;
	for (size_t i = 0; i < sizeof(module_mm) / sizeof(module_mm[0]); i++) {
		double side = (width + 2 * QUIET) * module_mm[i] * MM_PT, gap = GAP_MM * MM_PT;
		int cols = (int)((avail_w + gap) / (side + gap));
		int rows = (int)((bottom - top + gap) / (side + LABEL_MM * MM_PT + gap));
		if (cols > 0 && rows > 0 && (size_t)cols * (size_t)rows >= set->n) {
			mod = module_mm[i] * MM_PT;
			break;
		}
	}
	double side = (width + 2 * QUIET) * mod, gap = GAP_MM * MM_PT, cell_h = side + LABEL_MM * MM_PT + gap;
	int cols = (int)((avail_w + gap) / (side + gap));
	if (cols < 1) {
		rc = phr_fail(PHR_E_LIMIT, "poster: a code of %d modules does not fit the width of A4", width);
		goto out;
	}
	double x0 = MARGIN_MM * MM_PT + (avail_w - (cols * side + (cols - 1) * gap)) / 2;
	size_t col = 0;
	double y = top;
	char label[64];
	for (size_t i = 0; i < set->n; i++) {
		if (col == 0 && y + side + LABEL_MM * MM_PT > bottom) {
			cairo_show_page(p.cr);
			header(&p, t, k, m, false);
			y = p.y;
		}
		double x = x0 + (double)col * (side + gap);
		double ox = (side - (q[i]->width + 2 * QUIET) * mod) / 2; /* a smaller code centred in its cell */
		draw_code(p.cr, q[i], x + ox, y + ox, mod);
		snprintf(label, sizeof(label), "%zu / %zu", i + 1, set->n);
		caption(&p, x + side / 2, y + side + 1, label);
		if (++col == (size_t)cols) {
			col = 0;
			y += cell_h;
		}
	}
	cairo_show_page(p.cr);
	cairo_destroy(p.cr);
	p.cr = NULL;
	cairo_surface_finish(surf);
	cairo_status_t st = cairo_surface_status(surf);
	if (st || mb.failed) {
		rc = phr_fail(mb.failed || st == CAIRO_STATUS_NO_MEMORY ? PHR_E_NOMEM : PHR_E_IO, "poster: PDF: %s",
			      cairo_status_to_string(st));
		goto out;
	}
	*pdf = mb.p;
	*pdf_len = mb.len;
	mb.p = NULL;
out:
	if (p.cr)
		cairo_destroy(p.cr);
	if (surf)
		cairo_surface_destroy(surf);
	if (p.pc)
		g_object_unref(p.pc);
	if (fm)
		g_object_unref(fm);
	free(mb.p);
	for (size_t i = 0; i < set->n; i++)
		phr_qr_free(q[i]);
	return rc;
}
