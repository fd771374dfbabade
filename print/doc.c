/* A printed document: records added one at a time to one PDF stream (or
 * PNG pages), booklets and cards page by page, sheets imposed.
 *
 * Imposition (saddle stitch, docs/PRINT.md): a booklet of N pages (a
 * multiple of 4) is N/4 spreads; spread j (0 = outermost) carries pages
 * N-2j | 1+2j on its front and 2+2j | N-1-2j on its back, as seen from that
 * side. A sheet holds `rows` spreads one above the other, printed duplex
 * (flipped on the long edge: the back's rows stay where they are). Cut the
 * sheet between the rows, nest the spreads in order, fold and staple. */
#include <cairo-pdf.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/json.h"
#include "phr/labels.h"
#include "phr/seal_qr.h"
#include "print_int.h"

struct phr_print_doc {
	const struct phr_layout *l;    /* what is printed: booklet, card or sheet */
	const struct phr_layout *pl;   /* the page layout (the booklet a sheet imposes) */
	struct phr_print_options o;
	struct text *t;
	struct stamps *st;
	cairo_surface_t *pdf;
	cairo_t *cr;
	int err;                       /* first error of the write callback */
	size_t sheet_serial;           /* last sheet printed */
	size_t records;
};

int phr_print_open(const struct phr_layout *l, const struct phr_print_options *o, struct phr_print_doc **out)
{
	*out = NULL;
	if (!l || !o || (!o->png && !o->write) || (o->png && (!o->page || o->dpi < 72 || o->dpi > 1200)))
		return phr_fail(PHR_E_ARG, "print: a PDF needs a writer, PNG pages a page callback and 72 to 1200 dpi");
	struct phr_print_doc *d = calloc(1, sizeof(*d));
	if (!d)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	d->l = l;
	d->pl = l->kind == KIND_SHEET ? l->imposed : l;
	d->o = *o;
	if (!(d->t = text_create(d->pl)) || !(d->st = stamps_create())) {
		text_destroy(d->t);
		free(d);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	*out = d;
	return PHR_OK;
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct phr_print_doc *d = closure;
	if (d->err)
		return CAIRO_STATUS_WRITE_ERROR;
	if ((d->err = d->o.write(d->o.ctx, data, len)))
		return CAIRO_STATUS_WRITE_ERROR;
	return CAIRO_STATUS_SUCCESS;
}

static int surface_error(struct phr_print_doc *d, cairo_status_t st, const char *what)
{
	if (d->err)
		return d->err;
	return phr_fail(st == CAIRO_STATUS_NO_MEMORY ? PHR_E_NOMEM : PHR_E_IO, "print: %s: %s", what,
			cairo_status_to_string(st));
}

static double out_width(const struct phr_print_doc *d)
{
	return d->l->kind == KIND_SHEET ? d->l->sheet_w : d->l->width;
}

static double out_height(const struct phr_print_doc *d)
{
	return d->l->kind == KIND_SHEET ? d->l->sheet_h : d->l->height;
}

static int open_pdf(struct phr_print_doc *d)
{
	char date[32];
	int y, m, dd;
	phr_civil_from_days((int64_t)(d->o.now / 86400) + phr_days_from_civil(1970, 1, 1), &y, &m, &dd);
	snprintf(date, sizeof(date), "%04d-%02d-%02dT%02u:%02u:%02u", y % 10000, m % 100, dd % 100,
		 (unsigned)(d->o.now / 3600 % 24), (unsigned)(d->o.now / 60 % 60), (unsigned)(d->o.now % 60));
	d->pdf = cairo_pdf_surface_create_for_stream(pdf_write, d, out_width(d), out_height(d));
	cairo_pdf_surface_set_metadata(d->pdf, CAIRO_PDF_METADATA_TITLE, "Personal Health Record");
	cairo_pdf_surface_set_metadata(d->pdf, CAIRO_PDF_METADATA_CREATOR, "phr print");
	cairo_pdf_surface_set_metadata(d->pdf, CAIRO_PDF_METADATA_CREATE_DATE, date);
	d->cr = cairo_create(d->pdf);
	cairo_status_t st = cairo_status(d->cr);
	return st ? surface_error(d, st, "PDF") : PHR_OK;
}

static void set_device(const struct phr_print_doc *d, struct device *dev)
{
	double scale = d->l->kind == KIND_SHEET ? d->l->scale : 1;
	if (d->o.png) {
		dev->dev_per_pt = d->o.dpi / 72.0 * scale;
		dev->dot = 1;
		dev->dots_per_px = (double)d->o.dpi / d->pl->dpi;
		dev->mm_per_dev = 25.4 / d->o.dpi;
	} else {
		dev->dev_per_pt = scale;
		dev->dot = 72.0 / d->pl->dpi;
		dev->dots_per_px = 1;
		dev->mm_per_dev = 25.4 / 72.0;
	}
}

/* One output page: on the PDF, or a new PNG surface (white) drawn by
 * draw(ctx, cr) and handed to the page callback. */
static int emit_page(struct phr_print_doc *d, size_t number, size_t total,
		     void (*draw)(struct phr_print_doc *, cairo_t *, const void *), const void *ctx)
{
	if (!d->o.png) {
		if (!d->pdf) {
			int rc = open_pdf(d);
			if (rc)
				return rc;
		}
		cairo_save(d->cr);
		draw(d, d->cr, ctx);
		cairo_restore(d->cr);
		cairo_show_page(d->cr);
		cairo_status_t st = cairo_status(d->cr);
		return st || d->err ? surface_error(d, st, "PDF") : PHR_OK;
	}
	double k = d->o.dpi / 72.0;
	int w = (int)ceil(out_width(d) * k - 0.01), h = (int)ceil(out_height(d) * k - 0.01);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, k, k);
	draw(d, cr, ctx);
	cairo_destroy(cr);
	struct phr_membuf m = { 0 };
	cairo_status_t st = cairo_surface_status(s);
	if (!st)
		st = cairo_surface_write_to_png_stream(s, phr_membuf_write, &m);
	cairo_surface_destroy(s);
	int rc = st ? phr_fail(m.failed || st == CAIRO_STATUS_NO_MEMORY ? PHR_E_NOMEM : PHR_E_IO, "print: PNG: %s",
			       cairo_status_to_string(st))
		    : d->o.page(d->o.ctx, number, total, m.p, m.len);
	free(m.p);
	return rc;
}

/* ---- booklets and cards: one page each ---- */

struct one_page {
	const struct booklet *b;
	size_t i;
};

static void rounded(cairo_t *cr, double w, double h, double r)
{
	cairo_new_sub_path(cr);
	cairo_arc(cr, w - r, r, r, -M_PI / 2, 0);
	cairo_arc(cr, w - r, h - r, r, 0, M_PI / 2);
	cairo_arc(cr, r, h - r, r, M_PI / 2, M_PI);
	cairo_arc(cr, r, r, r, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
}

static void draw_one(struct phr_print_doc *d, cairo_t *cr, const void *ctx)
{
	const struct one_page *p = ctx;
	if (d->pl->corner > 0) { /* nothing where a card's corners are cut off */
		rounded(cr, d->pl->width, d->pl->height, d->pl->corner);
		cairo_clip(cr);
	}
	booklet_draw(p->b, cr, p->i);
}

/* ---- sheets ---- */

struct side {
	const struct booklet *b;
	size_t n;        /* booklet pages */
	size_t sheet;    /* 0-based sheet of this booklet */
	bool back;
	size_t serial;
	size_t sheets;   /* sheets of this booklet */
};

/* Pages (1-based) on the left and right of spread j's front or back. */
static void spread_pages(size_t n, size_t j, bool back, size_t *left, size_t *right)
{
	if (!back) {
		*left = n - 2 * j;
		*right = 1 + 2 * j;
	} else {
		*left = 2 + 2 * j;
		*right = n - 1 - 2 * j;
	}
}

static void mark(cairo_t *cr, double x0, double y0, double x1, double y1)
{
	cairo_move_to(cr, x0, y0);
	cairo_line_to(cr, x1, y1);
}

static void draw_side(struct phr_print_doc *d, cairo_t *cr, const void *ctx)
{
	const struct side *s = ctx;
	const struct phr_layout *L = d->l, *P = d->pl;
	double sc = L->scale, pw = P->width * sc, ph = P->height * sc, bleed = P->bleed * sc;
	double sw = 2 * pw, total = L->rows * ph + (L->rows - 1) * L->row_gap;
	double x0 = (L->sheet_w - sw) / 2, y0 = (L->sheet_h - total) / 2;
	size_t spreads = s->n / 4;
	char pages[200] = "";
	for (int r = 0; r < L->rows; r++) {
		size_t j = s->sheet * (size_t)L->rows + (size_t)r;
		if (j >= spreads)
			break;
		size_t left, right;
		spread_pages(s->n, j, s->back, &left, &right);
		double top = y0 + r * (ph + L->row_gap);
		for (int k = 0; k < 2; k++) {
			double x = x0 + k * pw;
			cairo_save(cr);
			/* the bleed on the outer edges only: the fold has none */
			cairo_rectangle(cr, k == 0 ? x - bleed : x, top - bleed, pw + bleed, ph + 2 * bleed);
			cairo_clip(cr);
			cairo_translate(cr, x, top);
			cairo_scale(cr, sc, sc);
			booklet_draw(s->b, cr, (k == 0 ? left : right) - 1);
			cairo_restore(cr);
		}
		size_t len = strlen(pages);
		snprintf(pages + len, sizeof(pages) - len, "%s%zu %zu", r ? " | " : "", left, right);
		/* crop marks at the trim corners, outside the bleed; fold marks at the spine */
		double off = bleed + L->mark_offset, ln = L->mark_length;
		double up = r == 0 ? ln : fmin(ln, L->row_gap / 2 - off);
		double down = r == L->rows - 1 || j + 1 >= spreads ? ln : fmin(ln, L->row_gap / 2 - off);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_set_line_width(cr, L->mark_line);
		for (int e = 0; e < 2; e++) {
			double x = x0 + e * sw, dir = e ? 1 : -1, y;
			for (int f = 0; f < 2; f++) {
				y = top + f * ph;
				mark(cr, x + dir * off, y, x + dir * (off + ln), y); /* horizontal, beside the sheet */
			}
			if (up > 0)
				mark(cr, x, top - off, x, top - off - up);
			if (down > 0)
				mark(cr, x, top + ph + off, x, top + ph + off + down);
		}
		if (up > 0)
			mark(cr, x0 + pw, top - off, x0 + pw, top - off - up / 2);
		if (down > 0)
			mark(cr, x0 + pw, top + ph + off, x0 + pw, top + ph + off + down / 2);
		cairo_stroke(cr);
	}
	/* the sheet's serial, in the margin below the last row */
	char serial[160], line[600];
	const char *lang = booklet_lang(s->b, 1);
	label_num(serial, sizeof(serial), phr_label_or(lang, "ui.print.sheet", "Sheet %d"), (long)s->serial, 0);
	snprintf(line, sizeof(line), "%s%s \u00b7 %.8s \u00b7 %zu/%zu \u00b7 %s", serial, s->back ? "B" : "A",
		 booklet_record_id(s->b), s->sheet + 1, s->sheets, pages);
	PangoLayout *pl = text_layout(d->t, lang, TS_FOOTER, TF_CENTER | TF_NOCACHE, L->sheet_w, line, 0);
	if (pl) {
		double h;
		text_size(pl, NULL, &h);
		double bottom = y0 + total, y = bottom + (L->sheet_h - bottom - h) / 2;
		text_draw(cr, pl, 0, y, &P->grey);
		g_object_unref(pl);
	}
}

int phr_print_record(struct phr_print_doc *d, const uint8_t *container, size_t len, const struct phr_print_view *holder,
		     const struct phr_print_view *clinic, struct phr_print_result *res)
{
	struct device dev;
	struct booklet *b = NULL;
	int rc;
	memset(res, 0, sizeof(*res));
	if (d->err)
		return d->err;
	if (d->l->kind == KIND_SLIP)
		return phr_fail(PHR_E_ARG, "print: layout %s is a key slip: it prints a holder key, not a record", d->l->name);
	set_device(d, &dev);
	if ((rc = booklet_plan(d->pl, d->t, d->st, &dev, container, len, holder, clinic, d->o.now, &b)))
		return rc;
	size_t n = booklet_pages(b);
	const struct code_plan *c = booklet_codes(b);
	res->pages = n;
	res->k = c->chunk.k;
	res->m = c->chunk.m;
	res->version = c->chunk.version;
	res->module_px = c->module_px;
	res->module_mm = c->module_mm;
	res->code_pages = booklet_code_pages(b);
	res->codes_fit = c->fits;
	res->card_capacity = c->capacity;
	res->summary_pages = booklet_summary_pages(b);
	if (d->l->kind != KIND_SHEET) {
		for (size_t i = 0; i < n && !rc; i++) {
			struct one_page p = { b, i };
			rc = emit_page(d, i + 1, n, draw_one, &p);
		}
		res->sheets = n;
	} else {
		size_t spreads = n / 4, sheets = (spreads + (size_t)d->l->rows - 1) / (size_t)d->l->rows;
		res->first_sheet = d->sheet_serial + 1;
		for (size_t s = 0; s < sheets && !rc; s++) {
			d->sheet_serial++;
			for (int back = 0; back < 2 && !rc; back++) {
				struct side sd = { b, n, s, back, d->sheet_serial, sheets };
				rc = emit_page(d, 2 * s + (size_t)back + 1, 2 * sheets, draw_side, &sd);
			}
		}
		res->sheets = 2 * sheets;
	}
	booklet_free(b);
	if (!rc)
		d->records++;
	return rc;
}

/* ---- the key slip ---- */

struct slip_page {
	const char *payload, *typed;
	const struct phr_print_view *holder, *clinic;
	struct phr_print_result *res;
	int rc;
};

static void draw_slip(struct phr_print_doc *d, cairo_t *cr, const void *ctx)
{
	struct slip_page *p = (struct slip_page *)ctx;
	struct device dev;
	set_device(d, &dev);
	if (d->pl->corner > 0) {
		rounded(cr, d->pl->width, d->pl->height, d->pl->corner);
		cairo_clip(cr);
	}
	p->rc = slip_draw(d->pl, d->t, &dev, cr, p->payload, p->typed, p->holder, p->clinic, p->res);
}

int phr_print_key_slip(struct phr_print_doc *d, const uint8_t key[PHR_HOLDER_KEY_LEN],
		       const struct phr_print_view *holder, const struct phr_print_view *clinic,
		       struct phr_print_result *res)
{
	char payload[PHR_HOLDER_KEY_QR_LEN];
	memset(res, 0, sizeof(*res));
	if (d->err)
		return d->err;
	if (d->l->kind != KIND_SLIP)
		return phr_fail(PHR_E_ARG, "print: layout %s is a %s, not a key slip", d->l->name, phr_layout_kind(d->l));
	phr_holder_key_qr_payload(key, payload);
	struct slip_page p = { payload, payload + PHR_HOLDER_KEY_QR_PREFIX_LEN, holder, clinic, res, PHR_OK };
	/* the page is drawn before it goes out: a code that does not fit
	 * writes nothing (a PNG is drawn, then handed over) */
	int rc = emit_page(d, 1, 1, draw_slip, &p);
	sodium_memzero(payload, sizeof(payload));
	if (!rc)
		rc = p.rc;
	if (!rc)
		d->records++;
	return rc;
}

int phr_print_close(struct phr_print_doc *d)
{
	if (!d || !d->pdf)
		return d && d->err ? d->err : PHR_OK;
	cairo_destroy(d->cr);
	d->cr = NULL;
	cairo_surface_finish(d->pdf);
	cairo_status_t st = cairo_surface_status(d->pdf);
	cairo_surface_destroy(d->pdf);
	d->pdf = NULL;
	return st || d->err ? surface_error(d, st, "PDF") : PHR_OK;
}

void phr_print_doc_destroy(struct phr_print_doc *d)
{
	if (!d)
		return;
	if (d->cr)
		cairo_destroy(d->cr);
	if (d->pdf)
		cairo_surface_destroy(d->pdf);
	stamps_destroy(d->st);
	text_destroy(d->t);
	free(d);
}
