/* qrtool: pictures for the QR integration test (qr.sh), made with the
 * project's own QR drawing (print/qrimage.c), Cairo and libjpeg.
 *   qrtool code text|bytes HEX OUT.png   one code holding these bytes
 *   qrtool tamper HEX OUT.png            a phr chunk payload with one data byte
 *                                        changed (checksum left as it was)
 *   qrtool page OUT.png COLUMNS [IN.png...]  images laid out on one white page
 *   qrtool photo IN.png OUT.jpg DEGREES QUALITY  rotated on a grey table, as JPEG
 *   qrtool blot IN.png OUT.png           the middle 40 % of the picture covered with
 *                                        black and white specks (a code's data gone,
 *                                        its finder patterns left whole)
 */
#include <cairo.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h> /* after stdio.h: it uses FILE and size_t */

#include "phr/base45.h"
#include "phr/chunk.h"
#include "phr/qrimage.h"

#define MODULE_PX 6
#define QUIET 4
#define GAP 48

static int die(const char *what)
{
	fprintf(stderr, "qrtool: %s\n", what);
	return 1;
}

static int from_hex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int write_code(const uint8_t *p, size_t len, int mode, const char *out)
{
	struct phr_qr *q;
	uint8_t *png;
	size_t png_len;
	if (phr_qr_make(p, len, mode, PHR_ECC_M, 40, &q))
		return die(phr_last_error());
	int rc = phr_qr_png(q, MODULE_PX, QUIET, &png, &png_len);
	phr_qr_free(q);
	if (rc)
		return die(phr_last_error());
	FILE *f = fopen(out, "wb");
	int bad = !f || fwrite(png, 1, png_len, f) != png_len;
	if (f && fclose(f) != 0)
		bad = 1;
	free(png);
	return bad ? die("cannot write the PNG") : 0;
}

static int code(int argc, char **argv)
{
	static uint8_t p[PHR_MAX_QR_PAYLOAD];
	size_t len;
	if (argc != 5 || from_hex(argv[3], p, sizeof(p), &len))
		return die("usage: qrtool code text|bytes HEX OUT.png");
	return write_code(p, len, strcmp(argv[2], "text") ? PHR_CHUNK_BYTES : PHR_CHUNK_BASE45, argv[4]);
}

/* Changes the first data byte of the chunk and re-encodes it in its own
 * form, so the code is well formed and only the chunk's CRC disagrees. */
static int tamper(int argc, char **argv)
{
	static uint8_t p[PHR_MAX_QR_PAYLOAD], chunk[PHR_MAX_QR_PAYLOAD];
	static char text[PHR_MAX_QR_PAYLOAD + 1];
	size_t len, clen, tlen;
	if (argc != 4 || from_hex(argv[2], p, sizeof(p), &len) || len < PHR_CHUNK_PREFIX_LEN)
		return die("usage: qrtool tamper HEX OUT.png");
	if (!memcmp(p, PHR_CHUNK_TEXT_PREFIX, PHR_CHUNK_PREFIX_LEN)) {
		if (phr_base45_decode((const char *)p + PHR_CHUNK_PREFIX_LEN, len - PHR_CHUNK_PREFIX_LEN, chunk,
				      sizeof(chunk), &clen) ||
		    clen <= PHR_CHUNK_HEADER + PHR_CHUNK_CRC)
			return die("not a Base45 phr chunk");
		chunk[PHR_CHUNK_HEADER] ^= 0x01;
		memcpy(text, PHR_CHUNK_TEXT_PREFIX, PHR_CHUNK_PREFIX_LEN);
		if (phr_base45_encode(chunk, clen, text + PHR_CHUNK_PREFIX_LEN, sizeof(text) - PHR_CHUNK_PREFIX_LEN,
				      &tlen))
			return die(phr_last_error());
		return write_code((const uint8_t *)text, tlen + PHR_CHUNK_PREFIX_LEN, PHR_CHUNK_BASE45, argv[3]);
	}
	if (len <= PHR_CHUNK_PREFIX_LEN + PHR_CHUNK_HEADER + PHR_CHUNK_CRC)
		return die("not a phr chunk");
	p[PHR_CHUNK_PREFIX_LEN + PHR_CHUNK_HEADER] ^= 0x01;
	return write_code(p, len, PHR_CHUNK_BYTES, argv[3]);
}

static int page(int argc, char **argv)
{
	if (argc < 4 || atoi(argv[3]) < 1)
		return die("usage: qrtool page OUT.png COLUMNS [IN.png...]");
	int cols = atoi(argv[3]), n = argc - 4, cell = 0;
	cairo_surface_t **in = calloc((size_t)n + 1, sizeof(*in));
	if (!in)
		return die("out of memory");
	for (int i = 0; i < n; i++) {
		in[i] = cairo_image_surface_create_from_png(argv[4 + i]);
		if (cairo_surface_status(in[i]) != CAIRO_STATUS_SUCCESS)
			return die("cannot read an input PNG");
		int w = cairo_image_surface_get_width(in[i]), h = cairo_image_surface_get_height(in[i]);
		cell = w > cell ? w : cell;
		cell = h > cell ? h : cell;
	}
	if (!cell)
		cell = 300;
	int rows = n ? (n + cols - 1) / cols : 1;
	int pw = GAP + cols * (cell + GAP), ph = GAP + rows * (cell + GAP);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	for (int i = 0; i < n; i++) {
		cairo_set_source_surface(cr, in[i], GAP + (i % cols) * (cell + GAP), GAP + (i / cols) * (cell + GAP));
		cairo_paint(cr);
		cairo_surface_destroy(in[i]);
	}
	free(in);
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(s, argv[2]);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS ? 0 : die("cannot write the page");
}

static int photo(int argc, char **argv)
{
	if (argc != 6)
		return die("usage: qrtool photo IN.png OUT.jpg DEGREES QUALITY");
	cairo_surface_t *in = cairo_image_surface_create_from_png(argv[2]);
	if (cairo_surface_status(in) != CAIRO_STATUS_SUCCESS)
		return die("cannot read the input PNG");
	int w = cairo_image_surface_get_width(in), h = cairo_image_surface_get_height(in);
	int ow = w + w / 3, oh = h + h / 3;
	double a = atof(argv[4]) * M_PI / 180.0;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, ow, oh);
	cairo_t *cr = cairo_create(s);
	/* A grey table under a slightly darker, unevenly lit sheet. */
	cairo_set_source_rgb(cr, 0.45, 0.42, 0.40);
	cairo_paint(cr);
	cairo_translate(cr, ow / 2.0, oh / 2.0);
	cairo_rotate(cr, a);
	cairo_translate(cr, -w / 2.0, -h / 2.0);
	cairo_set_source_surface(cr, in, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
	cairo_paint(cr);
	cairo_pattern_t *light = cairo_pattern_create_linear(0, 0, w, h);
	cairo_pattern_add_color_stop_rgba(light, 0, 0, 0, 0, 0.0);
	cairo_pattern_add_color_stop_rgba(light, 1, 0, 0, 0, 0.25);
	cairo_rectangle(cr, 0, 0, w, h);
	cairo_set_source(cr, light);
	cairo_fill(cr);
	cairo_pattern_destroy(light);
	cairo_destroy(cr);
	cairo_surface_destroy(in);
	cairo_surface_flush(s);

	FILE *f = fopen(argv[3], "wb");
	if (!f) {
		cairo_surface_destroy(s);
		return die("cannot write the JPEG");
	}
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)ow;
	c.image_height = (JDIMENSION)oh;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, atoi(argv[5]), TRUE);
	jpeg_start_compress(&c, TRUE);
	const uint8_t *px = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	JSAMPLE *row = malloc((size_t)ow * 3);
	for (int y = 0; row && y < oh; y++) {
		const uint32_t *src = (const uint32_t *)(const void *)(px + (size_t)y * (size_t)stride);
		for (int x = 0; x < ow; x++) {
			row[3 * x] = (JSAMPLE)(src[x] >> 16 & 0xff);
			row[3 * x + 1] = (JSAMPLE)(src[x] >> 8 & 0xff);
			row[3 * x + 2] = (JSAMPLE)(src[x] & 0xff);
		}
		JSAMPROW rp = row;
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	cairo_surface_destroy(s);
	return fclose(f) == 0 && row ? 0 : die("cannot write the JPEG");
}

static int blot(int argc, char **argv)
{
	if (argc != 4)
		return die("usage: qrtool blot IN.png OUT.png");
	cairo_surface_t *s = cairo_image_surface_create_from_png(argv[2]);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		return die("cannot read the input PNG");
	int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
	cairo_t *cr = cairo_create(s);
	unsigned seed = 12345;
	for (int y = h * 3 / 10; y < h * 7 / 10; y += 2)
		for (int x = w * 3 / 10; x < w * 7 / 10; x += 2) {
			seed = seed * 1103515245u + 12345u;
			double v = (seed >> 16) & 1 ? 0.1 : 0.9;
			cairo_set_source_rgb(cr, v, v, v);
			cairo_rectangle(cr, x, y, 2, 2);
			cairo_fill(cr);
		}
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(s, argv[3]);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS ? 0 : die("cannot write the picture");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "code"))
		return code(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "tamper"))
		return tamper(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "page"))
		return page(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "photo"))
		return photo(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "blot"))
		return blot(argc, argv);
	return die("usage: qrtool code|tamper|page|photo|blot ...");
}
