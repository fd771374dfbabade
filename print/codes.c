/* A record's QR codes on printed pages: cut as 'phr qr' cuts them, sized in
 * whole printer dots, fitted to as few pages as the layout allows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "print_int.h"

/* Parity when the layout says "auto": none for a single code (a second
 * copy would double the codes for one lost code), else one code in four
 * may be lost: 2-4 data codes get 1, 5-8 get 2, ... */
static unsigned auto_parity(unsigned k)
{
	return k <= 1 ? 0 : (k + 3) / 4;
}

struct fit {
	int parity_choice, module_choice;
	struct phr_chunk_plan plan;
	int module_px;
	double module_dev, side;
	int cols, rows;
	size_t per_page, pages;
};

/* Codes of n per page in a w x h box: as many columns and rows as fit. */
static void grid(const struct phr_layout *l, double side, double w, double h, double label_h, struct fit *f, size_t n)
{
	double gap = l->code_gap;
	f->cols = side > w ? 0 : (int)((w + gap) / (side + gap));
	f->rows = side + label_h > h ? 0 : (int)((h + gap) / (side + label_h + gap));
	f->per_page = (size_t)f->cols * (size_t)f->rows;
	f->pages = f->per_page ? (n + f->per_page - 1) / f->per_page : (size_t)-1;
}

int codes_plan(const struct phr_layout *l, const struct device *dev, const uint8_t *container, size_t len, double w,
	       double h, double label_h, struct code_plan *out)
{
	struct phr_chunk_plan base;
	struct fit best = { 0 }, last = { 0 };
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	rc = phr_chunk_plan(len, PHR_CHUNK_BASE45, PHR_QR_DEFAULT_ECC, PHR_QR_DEFAULT_MAX_VERSION, 0, &base);
	if (rc)
		return rc;
	for (int pc = 0; pc < l->n_parity && !found; pc++) {
		unsigned m = l->parity[pc] < 0 ? auto_parity(base.k) : (unsigned)l->parity[pc];
		struct fit cand = { .parity_choice = pc };
		if (base.k + m > PHR_MAX_CHUNKS ||
		    phr_chunk_plan(len, PHR_CHUNK_BASE45, PHR_QR_DEFAULT_ECC, PHR_QR_DEFAULT_MAX_VERSION, m, &cand.plan))
			continue;
		size_t n = cand.plan.k + cand.plan.m;
		int modules = 17 + 4 * cand.plan.version + 2 * l->quiet;
		struct fit here = { 0 };
		here.pages = (size_t)-1;
		for (int mc = 0; mc < l->n_module_px; mc++) {
			/* a whole number of the output's dots per module */
			double dots = floor(l->module_px[mc] * dev->dots_per_px + 0.5);
			cand.module_choice = mc;
			cand.module_px = l->module_px[mc];
			cand.module_dev = (dots < 1 ? 1 : dots) * dev->dot;
			cand.side = modules * cand.module_dev / dev->dev_per_pt;
			grid(l, cand.side, w, h, label_h, &cand, n);
			if (cand.pages < here.pages)
				here = cand;
			last = cand;
		}
		if (here.pages != (size_t)-1 && (!l->max_code_pages || here.pages <= (size_t)l->max_code_pages)) {
			best = here;
			found = true;
		}
	}
	if (!found) {
		if (!last.plan.k)
			return phr_fail(PHR_E_LIMIT, "the record cannot be cut into QR codes");
		best = last;
	}
	out->chunk = best.plan;
	out->n = best.plan.k + best.plan.m;
	out->module_px = best.module_px;
	out->module_dev = best.module_dev;
	out->dot = dev->dot;
	out->side = best.side;
	out->label_h = label_h;
	out->cols = best.cols;
	out->rows = best.rows;
	out->per_page = best.per_page;
	out->pages = found ? best.pages : 0;
	out->fits = found;
	out->capacity = (unsigned)(last.per_page < PHR_MAX_CHUNKS ? last.per_page : PHR_MAX_CHUNKS);
	out->module_mm = best.module_dev * dev->mm_per_dev;
	out->quiet = l->quiet;
	if (!found)
		return PHR_OK;
	if ((rc = phr_chunk_split(container, len, &out->chunk, &out->set)))
		return rc;
	for (size_t i = 0; i < out->n; i++)
		if ((rc = phr_qr_make(out->set.payload[i], out->set.len[i], PHR_CHUNK_BASE45, out->chunk.ecc,
				      out->chunk.max_version, &out->qr[i]))) {
			codes_free(out);
			return rc;
		}
	return PHR_OK;
}

void codes_free(struct code_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		phr_qr_free(p->qr[i]);
		p->qr[i] = NULL;
	}
	phr_chunk_set_free(&p->set);
}

void codes_draw(cairo_t *cr, const struct code_plan *p, size_t i, double x, double y)
{
	const struct phr_qr *q = p->qr[i];
	double md = p->module_dev, dot = p->dot;
	cairo_user_to_device(cr, &x, &y);
	x = floor(x / dot + 0.5) * dot;
	y = floor(y / dot + 0.5) * dot;
	double side_dev = md * (q->width + 2 * p->quiet);
	cairo_save(cr);
	cairo_identity_matrix(cr);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
	cairo_new_path(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, side_dev, side_dev);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	double ox = x + p->quiet * md, oy = y + p->quiet * md;
	for (int r = 0; r < q->width; r++) {
		const uint8_t *row = q->modules + (size_t)r * (size_t)q->width;
		for (int c = 0; c < q->width;) {
			if (!row[c]) {
				c++;
				continue;
			}
			int run = 1;
			while (c + run < q->width && row[c + run])
				run++;
			cairo_rectangle(cr, ox + c * md, oy + r * md, run * md, md);
			c += run;
		}
	}
	cairo_fill(cr);
	cairo_restore(cr);
}
