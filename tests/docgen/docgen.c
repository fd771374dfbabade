/* Sample documents for the tests (docgen.h). */
#include "docgen.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <jpeglib.h>

struct membuf {
	uint8_t *p;
	size_t n, cap;
	int err;
};

static cairo_status_t mem_write(void *closure, const unsigned char *data, unsigned int n)
{
	struct membuf *m = closure;
	if (m->n + n > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->n + n)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p) {
			m->err = 1;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->n, data, n);
	m->n += n;
	return CAIRO_STATUS_SUCCESS;
}

/* A heading and lines of "text" drawn as bars: no fonts, so no fontconfig
 * (whose caches outlive the process, which LeakSanitizer reports). */
static void lab_text(cairo_t *cr, double scale)
{
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_rectangle(cr, 20 * scale, 20 * scale, 160 * scale, 10 * scale);
	for (int i = 0; i < 6; i++)
		cairo_rectangle(cr, 20 * scale, (42 + 9 * i) * scale, (120 + 37 * (i % 3)) * scale, 4 * scale);
	cairo_fill(cr);
}

uint8_t *docgen_pdf(int pages, size_t *len)
{
	struct membuf m = { 0 };
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(mem_write, &m, 595, 842);
	/* a fixed date: the same PDF on every run (seeds, tests) */
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2025-01-01T00:00:00Z");
	cairo_t *cr = cairo_create(s);
	for (int i = 0; i < (pages < 1 ? 1 : pages); i++) {
		lab_text(cr, 1.5);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	int bad = cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || m.err;
	cairo_surface_destroy(s);
	if (bad) {
		free(m.p);
		return NULL;
	}
	*len = m.n;
	return m.p;
}

uint8_t *docgen_png(int w, int h, int alpha, size_t *len)
{
	struct membuf m = { 0 };
	cairo_surface_t *s = cairo_image_surface_create(alpha ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(s);
	cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, w, h);
	cairo_pattern_add_color_stop_rgba(g, 0, 1, 1, 1, 1);
	cairo_pattern_add_color_stop_rgba(g, 1, 0.6, 0.7, 0.9, alpha ? 0.5 : 1);
	cairo_set_source(cr, g);
	cairo_paint(cr);
	cairo_pattern_destroy(g);
	lab_text(cr, w / 400.0);
	cairo_destroy(cr);
	int bad = cairo_surface_write_to_png_stream(s, mem_write, &m) != CAIRO_STATUS_SUCCESS || m.err;
	cairo_surface_destroy(s);
	if (bad) {
		free(m.p);
		return NULL;
	}
	*len = m.n;
	return m.p;
}

uint8_t *docgen_jpeg(int w, int h, int progressive, int gray, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL;
	unsigned long n = 0;
	int comps = gray ? 1 : 3;
	unsigned char *row = malloc((size_t)w * (size_t)comps);
	if (!row)
		return NULL;
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &n);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = comps;
	c.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 80, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		for (int x = 0; x < w; x++)
			for (int k = 0; k < comps; k++)
				row[x * comps + k] = (unsigned char)((x * 255 / w + (int)c.next_scanline * (k + 1)) & 0xff);
		JSAMPROW rp = row;
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	uint8_t *copy = malloc(n);
	if (copy)
		memcpy(copy, out, n);
	free(out);
	*len = n;
	return copy;
}
