/* The key slip (docs/PRINT.md, "The key slip"): one small page the holder
 * keeps apart from the booklet, with the record's holder key as a QR code
 * (phr/seal_qr.h) and in its typed form, the record id it belongs to, and
 * in the holder's language (and the clinic's) what it is and that it must
 * be kept apart. No name, no birth date: a slip found alone says whose
 * record it opens only to someone who also holds the booklet.
 *
 * The key is a secret: its text is laid out uncached (TF_NOCACHE) and
 * every copy made here is wiped. */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "phr/labels.h"
#include "phr/seal.h"
#include "print_int.h"

#define SLIP_GAP_MM 2.0 /* between the code and the text, and under the title band */

static const struct rgb white = { 1, 1, 1 }, black = { 0, 0, 0 };

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

/* "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4Y" as two lines of groups split by
 * spaces: "AAAQ EAYE AUDA OCAJ\nBIFQ YDIO B4Y" (a reader ignores spaces). */
static void key_lines(const char *typed, char *out, size_t cap)
{
	size_t o = 0, group = 0;
	for (const char *p = typed; *p && o + 2 < cap; p++) {
		if (*p == '-') {
			group++;
			out[o++] = group == 4 ? '\n' : ' ';
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

int slip_draw(const struct phr_layout *l, struct text *t, const struct device *dev, cairo_t *cr, const char *payload,
	      const char *key_text, const struct phr_print_view *va, const struct phr_print_view *vb,
	      struct phr_print_result *res)
{
	struct phr_qr *q = NULL;
	int rc = phr_qr_make((const uint8_t *)payload, strlen(payload), PHR_CHUNK_BASE45, l->ecc, 40, &q);
	if (rc)
		return rc;
	bool two = strcmp(va->lang, vb->lang) != 0, rtl = phr_lang_is_rtl(va->lang);
	double x = l->m_inner, y = l->m_top, w = l->width - l->m_inner - l->m_outer, h = l->height - l->m_top - l->m_bottom;
	char s[1200], lines[64], rid[64];

	/* the title band, into the bleed */
	const char *t1 = phr_label_or(va->lang, "ui.keyslip.title", "Holder key");
	const char *t2 = phr_label_or(vb->lang, "ui.keyslip.title", "Holder key");
	PangoLayout *p1 = text_layout(t, va->lang, TS_HEADING, TF_BOLD | TF_ELLIPSIZE, w, t1, 0);
	PangoLayout *p2 = two && strcmp(t1, t2) ? text_layout(t, vb->lang, TS_FOOTER, TF_ELLIPSIZE, w, t2, 0) : NULL;
	double band = y + height_of(p1) + height_of(p2) + 1.5;
	cairo_set_source_rgb(cr, l->accent.r, l->accent.g, l->accent.b);
	cairo_rectangle(cr, -l->bleed, -l->bleed, l->width + 2 * l->bleed, band + l->bleed);
	cairo_fill(cr);
	double ty = y - 0.5;
	ty += put(cr, p1, x, ty, &white);
	if (p2)
		put(cr, p2, x, ty, &white);
	double top = band + SLIP_GAP_MM * PT_PER_MM, room = y + h - top;

	/* the code: the first module size of the layout that leaves the text
	 * half the width, at the end of the holder's lines */
	struct code_plan cp;
	memset(&cp, 0, sizeof(cp));
	cp.qr[0] = q;
	cp.n = 1;
	cp.quiet = l->quiet;
	cp.dot = dev->dot;
	int modules = q->width + 2 * l->quiet;
	for (int i = 0; i < l->n_module_px; i++) {
		double dots = floor(l->module_px[i] * dev->dots_per_px + 0.5);
		cp.module_px = l->module_px[i];
		cp.module_dev = (dots < 1 ? 1 : dots) * dev->dot;
		cp.side = modules * cp.module_dev / dev->dev_per_pt;
		if (cp.side <= room && cp.side <= w / 2)
			break;
	}
	if (cp.side > room || cp.side > w / 2) {
		sodium_memzero(q->modules, (size_t)q->width * (size_t)q->width);
		phr_qr_free(q);
		return phr_fail(PHR_E_LIMIT, "layout %s: the key's code (%d modules) does not fit the slip at any of its "
					     "module sizes",
				l->name, modules);
	}
	cp.module_mm = cp.module_dev * dev->mm_per_dev;
	double cx = rtl ? x : x + w - cp.side;
	codes_draw(cr, &cp, 0, cx, top + (room - cp.side) / 2);
	double tw = w - cp.side - SLIP_GAP_MM * PT_PER_MM, tx = rtl ? x + w - tw : x;

	/* the typed key, in two lines of groups, always left to right */
	double cy = top;
	cy += put(cr, text_layout(t, va->lang, TS_FOOTER, 0, tw,
				  phr_label_or(va->lang, "ui.keyslip.key_label", "Key to type (the last character is a check):"),
				  0),
		  tx, cy, &l->grey) + 0.5;
	key_lines(key_text, lines, sizeof(lines));
	snprintf(s, sizeof(s), "\u2066%s\u2069", lines);
	PangoLayout *kl = text_layout(t, "en", TS_TITLE, TF_BOLD | TF_NOCACHE, 0, s, 0);
	double kw = 0;
	if (kl)
		text_size(kl, &kw, NULL);
	cy += put(cr, kl, rtl ? tx + tw - kw : tx, cy, &black) + 1.5;
	sodium_memzero(s, sizeof(s));
	sodium_memzero(lines, sizeof(lines));

	/* the record it opens */
	size_t o = 0;
	for (size_t i = 0; i < 32 && va->record_id[i]; i++) {
		if (i && i % 4 == 0) { /* a no-break space: the id stays on one line */
			rid[o++] = '\xc2';
			rid[o++] = '\xa0';
		}
		rid[o++] = va->record_id[i];
	}
	rid[o] = '\0';
	snprintf(s, sizeof(s), "%s: \u2066%s\u2069", phr_label_or(va->lang, "ui.record_id", "Record ID"), rid);
	cy += put(cr, text_layout(t, va->lang, TS_FOOTER, 0, tw, s, 0), tx, cy, &black) + 1.5;

	/* what it is and how to keep it: the holder's language, then the clinic's */
	const char *n1 = phr_label_or(va->lang, "ui.keyslip.notice",
				      "This key opens the sealed parts of your health record. Keep it apart from your "
				      "booklet and show it only to health workers you choose.");
	const char *n2 = phr_label_or(vb->lang, "ui.keyslip.notice",
				      "This key opens the sealed parts of your health record. Keep it apart from your "
				      "booklet and show it only to health workers you choose.");
	cy += put(cr, text_layout(t, va->lang, TS_SMALL, TF_BOLD, tw, n1, 0), tx, cy, &black) + 1;
	if (two && strcmp(n1, n2))
		cy += put(cr, text_layout(t, vb->lang, TS_FOOTER, 0, tw, n2, 0), tx, cy, &l->grey);
	(void)cy;

	res->pages = res->sheets = 1;
	res->k = 1;
	res->version = q->version;
	res->module_px = cp.module_px;
	res->module_mm = cp.module_mm;
	res->code_pages = 1;
	res->codes_fit = true;
	sodium_memzero(q->modules, (size_t)q->width * (size_t)q->width);
	phr_qr_free(q);
	return PHR_OK;
}
