/* A record's QR codes on printed pages: cut as 'phr qr' cuts them, sized in
 * whole printer dots, fitted to as few pages (or card faces) as the layout
 * allows, and the booklet pages that carry them chosen so that no single
 * tear takes two of them and a print-shop sheet side holds them all
 * (docs/PRINT.md, "Codes"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "print_int.h"

unsigned codes_auto_parity(unsigned k)
{
	return (k + 3) / 4;
}

/* Codes of one size a box holds: as many columns and rows as fit. */
static size_t box_holds(const struct phr_layout *l, double side, double label_h, const struct code_box *b, int *cols)
{
	double gap = l->code_gap;
	int c = side > b->w ? 0 : (int)((b->w + gap) / (side + gap));
	int r = side + label_h > b->h ? 0 : (int)((b->h + gap) / (side + label_h + gap));
	*cols = c;
	return (size_t)c * (size_t)r;
}

struct fit {
	struct phr_chunk_plan plan;
	int module_px;
	double module_dev, side;
	size_t pages, capacity;
	struct code_group group[PHR_MAX_CHUNKS];
};

/* Deals f's codes out to the boxes in order (a booklet's one box as often as
 * it takes): f->pages is the pages or faces used, 0 when they do not fit.
 * One data code and its copy (k = 1) go on two pages. */
static void deal(const struct phr_layout *l, const struct code_box *box, size_t n_box, double label_h, struct fit *f)
{
	bool repeat = l->kind != KIND_CARD;
	size_t n = f->plan.k + f->plan.m, at = 0, used = 0;
	size_t most = !repeat ? n_box : l->max_code_pages ? (size_t)l->max_code_pages : PHR_MAX_CHUNKS;
	f->pages = 0;
	f->capacity = 0;
	for (size_t i = 0; i < (repeat ? 1 : n_box); i++) {
		int cols;
		size_t holds = box_holds(l, f->side, label_h, &box[i], &cols);
		f->capacity += repeat ? holds * most : holds;
	}
	if (f->capacity > PHR_MAX_CHUNKS)
		f->capacity = PHR_MAX_CHUNKS;
	for (size_t i = 0; at < n && used < most && (repeat || i < n_box); i++) {
		const struct code_box *b = &box[repeat ? 0 : i];
		int cols;
		size_t holds = box_holds(l, f->side, label_h, b, &cols);
		if (f->plan.k == 1 && holds > 1)
			holds = 1;
		if (!holds) {
			if (repeat)
				return;
			continue;
		}
		size_t take = holds < n - at ? holds : n - at;
		f->group[used++] = (struct code_group){ at, take, cols, repeat ? 0 : (int)i };
		at += take;
	}
	if (at == n)
		f->pages = used;
}

int codes_fit(const struct phr_layout *l, const struct device *dev, size_t len, const struct code_box *box,
	      size_t n_box, double label_h, struct code_plan *out)
{
	struct phr_chunk_plan base;
	struct fit best = { 0 }, last = { 0 };
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!n_box)
		return phr_fail(PHR_E_ARG, "print: no room for codes");
	rc = phr_chunk_plan(len, PHR_CHUNK_BASE45, PHR_QR_DEFAULT_ECC, PHR_QR_DEFAULT_MAX_VERSION, 0, &base);
	if (rc)
		return rc;
	for (int pc = 0; pc < l->n_parity && !found; pc++) {
		unsigned m = l->parity[pc] < 0 ? codes_auto_parity(base.k) : (unsigned)l->parity[pc];
		struct fit cand = { 0 };
		if (base.k + m > PHR_MAX_CHUNKS ||
		    phr_chunk_plan(len, PHR_CHUNK_BASE45, PHR_QR_DEFAULT_ECC, PHR_QR_DEFAULT_MAX_VERSION, m, &cand.plan))
			continue;
		int modules = 17 + 4 * cand.plan.version + 2 * l->quiet;
		struct fit here = { 0 };
		for (int mc = 0; mc < l->n_module_px; mc++) {
			/* a whole number of the output's dots per module */
			double dots = floor(l->module_px[mc] * dev->dots_per_px + 0.5);
			cand.module_px = l->module_px[mc];
			cand.module_dev = (dots < 1 ? 1 : dots) * dev->dot;
			cand.side = modules * cand.module_dev / dev->dev_per_pt;
			deal(l, box, n_box, label_h, &cand);
			if (cand.pages && (!here.pages || cand.pages < here.pages))
				here = cand;
			last = cand;
		}
		if (here.pages) {
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
	out->pages = found ? best.pages : 0;
	memcpy(out->group, best.group, out->pages * sizeof(out->group[0]));
	out->fits = found;
	out->capacity = (unsigned)last.capacity;
	out->module_mm = best.module_dev * dev->mm_per_dev;
	out->quiet = l->quiet;
	return PHR_OK;
}

int codes_plan(const struct phr_layout *l, const struct device *dev, const uint8_t *container, size_t len,
	       const struct code_box *box, size_t n_box, double label_h, struct code_plan *out)
{
	int rc = codes_fit(l, dev, len, box, n_box, label_h, out);
	if (rc || !out->fits)
		return rc;
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

/* ---- which pages ---- */

size_t codes_sheet_side(size_t n, size_t p, int rows)
{
	size_t j;
	bool back;
	if (p <= n / 2) { /* the first half: page 2j + 1 on spread j's front, 2j + 2 on its back */
		j = (p - 1) / 2;
		back = p % 2 == 0;
	} else { /* the second half: page n - 2j on the front, n - 2j - 1 on the back */
		j = (n - p) / 2;
		back = (n - p) % 2 == 1;
	}
	return 2 * (j / (size_t)(rows > 0 ? rows : 1)) + back;
}

/* Pages i and j (0-based) that one tear, stain or fold may take together:
 * the two sides of one leaf (pages 2k + 1 and 2k + 2), or two pages that
 * face each other when the booklet is closed (2k and 2k + 1). */
static bool together(size_t i, size_t j)
{
	return i / 2 == j / 2 || (i + 1) / 2 == (j + 1) / 2;
}

/* The first c movable pages (on sheet side `side` when rows > 0), none
 * together with one taken before it; returns how many were found. */
static size_t pick(const bool *movable, size_t n, size_t c, size_t side, int rows, size_t *out)
{
	size_t got = 0;
	for (size_t i = 0; i < n && got < c; i++) {
		if (!movable[i] || (rows > 0 && codes_sheet_side(n, i + 1, rows) != side))
			continue;
		bool ok = true;
		for (size_t k = 0; k < got && ok; k++)
			ok = !together(out[k], i);
		if (ok)
			out[got++] = i;
	}
	return got;
}

int codes_place(const bool *movable, size_t n, size_t c, int rows, size_t *out)
{
	if (!c)
		return PLACE_SIDE;
	if (rows > 0 && n % 4 == 0) {
		/* the sheet side whose pages start earliest */
		size_t sides = 2 * ((n / 4 + (size_t)rows - 1) / (size_t)rows), best = (size_t)-1, best_first = n;
		for (size_t s = 0; s < sides; s++)
			if (pick(movable, n, c, s, rows, out) == c && out[0] < best_first) {
				best = s;
				best_first = out[0];
			}
		if (best != (size_t)-1) {
			pick(movable, n, c, best, rows, out);
			return PLACE_SIDE;
		}
	}
	if (pick(movable, n, c, 0, 0, out) == c)
		return PLACE_LEAVES;
	size_t got = 0;
	for (size_t i = 0; i < n && got < c; i++)
		if (movable[i])
			out[got++] = i;
	return PLACE_ANY;
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
