/* QR symbols as images: libqrencode makes the symbol, Cairo draws it. */
#include "phr/qrimage.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "phr/chunk.h"
#include "print_int.h"

#define MAX_MODULE_PX 64
#define MAX_QUIET 64

int phr_qr_make(const uint8_t *payload, size_t len, int mode, int ecc, int max_version, struct phr_qr **out)
{
	static const QRecLevel levels[] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };
	*out = NULL;
	if (!payload || !len || ecc < PHR_ECC_L || ecc > PHR_ECC_H || max_version < 1 || max_version > 40 ||
	    (mode != PHR_CHUNK_BASE45 && mode != PHR_CHUNK_BYTES) || len > PHR_MAX_QR_PAYLOAD)
		return phr_fail(PHR_E_ARG, "QR: bad payload, level, mode or version");
	QRinput *in = QRinput_new2(0, levels[ecc]);
	if (!in)
		return phr_fail(PHR_E_NOMEM, "QR: out of memory");
	/* Alphanumeric mode for the text form: one segment, no ECI header. */
	if (QRinput_append(in, mode == PHR_CHUNK_BASE45 ? QR_MODE_AN : QR_MODE_8, (int)len, payload) != 0) {
		QRinput_free(in);
		return phr_fail(mode == PHR_CHUNK_BASE45 ? PHR_E_ARG : PHR_E_NOMEM,
				"QR: payload cannot be encoded in %s mode", mode == PHR_CHUNK_BASE45 ? "alphanumeric" : "byte");
	}
	errno = 0;
	QRcode *qr = QRcode_encodeInput(in);
	QRinput_free(in);
	if (!qr)
		return errno == ERANGE ? phr_fail(PHR_E_LIMIT, "QR: %zu %s do not fit any QR version at this level", len,
						  mode == PHR_CHUNK_BASE45 ? "characters" : "bytes")
				       : phr_fail(PHR_E_NOMEM, "QR: encoding failed");
	if (qr->version > max_version) {
		int v = qr->version;
		QRcode_free(qr);
		return phr_fail(PHR_E_LIMIT, "QR: payload of %zu needs version %d, more than the maximum %d", len, v,
				max_version);
	}
	struct phr_qr *q = calloc(1, sizeof(*q));
	if (q)
		q->modules = malloc((size_t)qr->width * (size_t)qr->width);
	if (!q || !q->modules) {
		free(q);
		QRcode_free(qr);
		return phr_fail(PHR_E_NOMEM, "QR: out of memory");
	}
	q->version = qr->version;
	q->width = qr->width;
	for (size_t i = 0; i < (size_t)qr->width * (size_t)qr->width; i++)
		q->modules[i] = qr->data[i] & 1;
	QRcode_free(qr);
	*out = q;
	return PHR_OK;
}

void phr_qr_free(struct phr_qr *q)
{
	if (!q)
		return;
	free(q->modules);
	free(q);
}

cairo_status_t phr_membuf_write(void *closure, const unsigned char *data, unsigned int n)
{
	struct phr_membuf *m = closure;
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->len + n)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p) {
			m->failed = 1;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, data, n);
	m->len += n;
	return CAIRO_STATUS_SUCCESS;
}

/* Dark modules as rectangles, one row run at a time, then one fill. */
static void draw_modules(cairo_t *cr, const struct phr_qr *q, double unit, int quiet)
{
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int y = 0; y < q->width; y++) {
		for (int x = 0; x < q->width;) {
			if (!q->modules[(size_t)y * (size_t)q->width + (size_t)x]) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < q->width && q->modules[(size_t)y * (size_t)q->width + (size_t)(x + run)])
				run++;
			cairo_rectangle(cr, (x + quiet) * unit, (y + quiet) * unit, run * unit, unit);
			x += run;
		}
	}
	cairo_fill(cr);
}

int phr_qr_png(const struct phr_qr *q, int module_px, int quiet, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!q || module_px < 1 || module_px > MAX_MODULE_PX || quiet < 0 || quiet > MAX_QUIET)
		return phr_fail(PHR_E_ARG, "QR image: module size must be 1..%d px and the quiet zone 0..%d modules",
				MAX_MODULE_PX, MAX_QUIET);
	int side = (q->width + 2 * quiet) * module_px;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side);
	cairo_t *cr = cairo_create(s);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
	draw_modules(cr, q, module_px, quiet);
	cairo_destroy(cr);
	struct phr_membuf m = { 0 };
	cairo_status_t st = cairo_surface_write_to_png_stream(s, phr_membuf_write, &m);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		free(m.p);
		return phr_fail(m.failed ? PHR_E_NOMEM : PHR_E_IO, "QR image: PNG: %s", cairo_status_to_string(st));
	}
	*out = m.p;
	*len = m.len;
	return PHR_OK;
}

int phr_qr_svg(const struct phr_qr *q, double mm_per_module, int quiet, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!q || quiet < 0 || quiet > MAX_QUIET || mm_per_module < 0 || mm_per_module > 100)
		return phr_fail(PHR_E_ARG, "QR image: bad module size or quiet zone");
	/* Cairo sizes SVG surfaces in points; 1 mm = 72 / 25.4 pt. */
	double unit = mm_per_module > 0 ? mm_per_module * 72.0 / 25.4 : 1.0;
	double side = (q->width + 2 * quiet) * unit;
	struct phr_membuf m = { 0 };
	cairo_surface_t *s = cairo_svg_surface_create_for_stream(phr_membuf_write, &m, side, side);
	cairo_t *cr = cairo_create(s);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
	draw_modules(cr, q, unit, quiet);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	/* A closing NUL, so that the text can be used as a C string. */
	if (st == CAIRO_STATUS_SUCCESS && !m.failed)
		phr_membuf_write(&m, (const unsigned char *)"", 1);
	if (st != CAIRO_STATUS_SUCCESS || m.failed) {
		free(m.p);
		return phr_fail(m.failed ? PHR_E_NOMEM : PHR_E_IO, "QR image: SVG: %s", cairo_status_to_string(st));
	}
	*out = (char *)m.p;
	*len = m.len - 1;
	return PHR_OK;
}
