/* verifier/image.c and verifier/scan.c: every kind of PNG and JPEG to the
 * grey the scanner reads, damaged and oversized files refused with the
 * right code, and QR codes drawn by print/ read back byte for byte (several
 * to a picture, every byte value, rotated, down-scaled), with the stopping
 * rule of the cascade. The pictures are made here with libpng and libjpeg. */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <jpeglib.h>

#include "fixture.h"
#include "phr/chunk.h"
#include "phr/qrimage.h"
#include "phr/scan.h"
#include "testlib.h"

/* ---- pictures in memory ---------------------------------------------------- */

struct mem {
	uint8_t *p;
	size_t len, cap;
};

static void mem_put(struct mem *m, const void *d, size_t n)
{
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->p = realloc(m->p, m->cap);
		if (!m->p)
			abort();
	}
	memcpy(m->p + m->len, d, n);
	m->len += n;
}

static void png_mem_write(png_structp png, png_bytep d, size_t n)
{
	mem_put(png_get_io_ptr(png), d, n);
}

static void png_mem_flush(png_structp png)
{
	(void)png;
}

/* The grey every format test draws: a pattern with every grey level. */
static uint8_t pattern(int x, int y)
{
	return (uint8_t)(x * 7 + y * 13);
}

#define PW 37
#define PH 23

/* A PNG of the pattern in a given layout. channels: 1 grey, 2 grey+alpha,
 * 3 RGB, 4 RGBA, 0 palette; depth 1..16. Alpha is 255 - x * 6; colour
 * channels are all the grey. Palette: depth 8 holds every grey, lower
 * depths the greys i * 255 / (2^depth - 1) and the pattern's top bits. */
static struct mem make_png(int channels, int depth, int interlace)
{
	struct mem m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
	static const int types[5] = { PNG_COLOR_TYPE_PALETTE, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
				      PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
	png_set_IHDR(png, info, PW, PH, depth, types[channels],
		     interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	if (channels == 0) {
		png_color pal[256];
		int n = 1 << depth;
		for (int i = 0; i < n; i++)
			pal[i].red = pal[i].green = pal[i].blue = (png_byte)(i * 255 / (n - 1));
		png_set_PLTE(png, info, pal, n);
	}
	png_write_info(png, info);
	int passes = png_set_interlace_handling(png);
	size_t bpp = (size_t)(channels ? channels : 1) * (depth == 16 ? 2 : 1);
	uint8_t row[PW * 8];
	for (int pass = 0; pass < passes; pass++)
		for (int y = 0; y < PH; y++) {
			memset(row, 0, sizeof(row));
			for (int x = 0; x < PW; x++) {
				uint8_t g = pattern(x, y), a = (uint8_t)(255 - x * 6);
				if (depth < 8) {
					/* packed: the top bits of the grey, most significant pixel first */
					unsigned v = (unsigned)g >> (8 - depth);
					row[(size_t)x * (size_t)depth / 8] |=
						(uint8_t)(v << (8 - depth - (x * depth) % 8));
					continue;
				}
				uint8_t *px = row + (size_t)x * bpp;
				int nch = channels ? channels : 1;
				for (int c = 0; c < nch; c++) {
					uint8_t v = (c == 1 && channels == 2) || (c == 3 && channels == 4) ? a : g;
					if (depth == 16) {
						px[2 * c] = v;
						px[2 * c + 1] = v; /* v * 257 */
					} else {
						px[c] = v;
					}
				}
			}
			png_write_row(png, row);
		}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return m;
}

/* The grey a layout should load as. */
static int expected(int channels, int depth, int x, int y)
{
	uint8_t g = pattern(x, y);
	if (depth < 8) {
		int n = (1 << depth) - 1;
		return ((g >> (8 - depth)) * 255 + n / 2) / n;
	}
	if (channels == 2 || channels == 4) {
		int a = 255 - x * 6;
		return (g * a + 255 * (255 - a) + 127) / 255;
	}
	return g;
}

static int check_grey(const struct phr_image *img, int channels, int depth, int tol)
{
	CHECK(img->width == PW && img->height == PH && img->grey);
	for (int y = 0; y < PH; y++)
		for (int x = 0; x < PW; x++) {
			int got = img->grey[y * PW + x], want = expected(channels, depth, x, y);
			if (abs(got - want) > tol) {
				fprintf(stderr, "  channels %d depth %d: pixel %d,%d is %d, expected %d\n", channels, depth,
					x, y, got, want);
				return 1;
			}
		}
	return 0;
}

static int test_png_kinds(void)
{
	static const struct {
		int channels, depth, tol;
	} kinds[] = {
		{ 1, 8, 0 }, { 1, 16, 0 }, { 1, 1, 0 }, { 1, 2, 0 }, { 1, 4, 0 }, /* grey */
		{ 2, 8, 1 }, { 2, 16, 1 },                                        /* grey + alpha */
		{ 3, 8, 1 }, { 3, 16, 1 },                                        /* RGB */
		{ 4, 8, 1 }, { 4, 16, 1 },                                        /* RGBA */
		{ 0, 8, 0 }, { 0, 4, 0 }, { 0, 1, 0 },                            /* palette */
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (int interlace = 0; interlace < 2; interlace++) {
			int ch = kinds[k].channels, depth = kinds[k].depth;
			struct mem m = make_png(ch, depth, interlace);
			struct phr_image img;
			CHECK_RC(phr_image_load(m.p, m.len, &img), PHR_OK);
			/* a palette of 2^depth greys is drawn like grey of that depth */
			if (check_grey(&img, ch == 0 ? 1 : ch, depth, kinds[k].tol)) {
				fprintf(stderr, "  (interlace %d)\n", interlace);
				return 1;
			}
			phr_image_free(&img);
			CHECK(img.grey == NULL && img.width == 0);
			free(m.p);
		}
	return 0;
}

/* Colour is weighted to grey, not averaged: pure red is dark, pure green
 * light (libpng's default coefficients, Rec. 709). */
static int test_png_colour_weights(void)
{
	struct mem m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
	png_set_IHDR(png, info, 3, 1, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	uint8_t row[9] = { 255, 0, 0, 0, 255, 0, 0, 0, 255 };
	png_write_row(png, row);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	struct phr_image img;
	CHECK_RC(phr_image_load(m.p, m.len, &img), PHR_OK);
	CHECK(abs(img.grey[0] - 54) <= 2 && abs(img.grey[1] - 182) <= 2 && abs(img.grey[2] - 18) <= 2);
	phr_image_free(&img);
	free(m.p);
	return 0;
}

/* ---- JPEG ---------------------------------------------------------------- */

/* Blocks of two greys, 16 px squares: JPEG keeps flat blocks nearly exact. */
static uint8_t blocks(int x, int y)
{
	return ((x / 16 + y / 16) & 1) ? 200 : 40;
}

#define JW 64
#define JH 48

/* components 1 grey, 3 RGB (written as YCbCr), 4 CMYK (inverted, as Adobe
 * writes it; libjpeg adds the Adobe marker). */
static struct mem make_jpeg(int components, int progressive, int quality)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &out_len);
	c.image_width = JW;
	c.image_height = JH;
	c.input_components = components;
	c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	uint8_t row[JW * 4];
	while (c.next_scanline < JH) {
		for (int x = 0; x < JW; x++) {
			uint8_t g = blocks(x, (int)c.next_scanline);
			for (int k = 0; k < components; k++)
				row[x * components + k] = components == 4 ? (k < 3 ? 255 : g) : g;
		}
		JSAMPROW r = row;
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	struct mem m = { 0 };
	mem_put(&m, out, out_len);
	free(out);
	return m;
}

static int check_blocks(const struct phr_image *img)
{
	CHECK(img->width == JW && img->height == JH);
	double err = 0;
	for (int y = 0; y < JH; y++)
		for (int x = 0; x < JW; x++)
			err += abs(img->grey[y * JW + x] - blocks(x, y));
	err /= JW * JH;
	if (err > 3) {
		fprintf(stderr, "  mean error %.2f grey levels\n", err);
		return 1;
	}
	return 0;
}

static int test_jpeg_kinds(void)
{
	static const int comps[3] = { 1, 3, 4 };
	for (int i = 0; i < 3; i++)
		for (int prog = 0; prog < 2; prog++) {
			struct mem m = make_jpeg(comps[i], prog, 95);
			struct phr_image img;
			CHECK_RC(phr_image_load(m.p, m.len, &img), PHR_OK);
			if (check_blocks(&img)) {
				fprintf(stderr, "  components %d, progressive %d\n", comps[i], prog);
				return 1;
			}
			phr_image_free(&img);
			free(m.p);
		}
	return 0;
}

/* ---- damaged files ----------------------------------------------------------- */

static int expect_image_error(const uint8_t *p, size_t len, int want)
{
	struct phr_image img = { 7, 7, (uint8_t *)&img };
	phr_clear_error();
	CHECK_RC(phr_image_load(p, len, &img), want);
	CHECK(img.grey == NULL && img.width == 0 && img.height == 0);
	CHECK(phr_last_error()[0] != '\0');
	return 0;
}

static int test_damaged_png(void)
{
	struct mem m = make_png(1, 8, 0);
	/* every truncation point refuses the file, none crashes or leaks */
	for (size_t n = 0; n < m.len - 12; n += n < 64 ? 1 : 7)
		if (expect_image_error(m.p, n, PHR_E_IMAGE))
			return 1;
	CHECK(strstr(phr_last_error(), "PNG") != NULL);
	/* a flipped bit in the compressed pixel data */
	for (size_t i = 0; i + 8 < m.len; i++)
		if (memcmp(m.p + i + 4, "IDAT", 4) == 0) {
			m.p[i + 12] ^= 0x10;
			break;
		}
	if (expect_image_error(m.p, m.len, PHR_E_IMAGE))
		return 1;
	fprintf(stderr, "  (flipped bit: %s)\n", phr_last_error());
	free(m.p);
	static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00";
	if (expect_image_error(gif, sizeof(gif) - 1, PHR_E_IMAGE) || expect_image_error(gif, 0, PHR_E_IMAGE))
		return 1;
	return 0;
}

static int test_damaged_jpeg(void)
{
	struct mem m = make_jpeg(3, 0, 90);
	for (size_t n = 0; n < m.len - 2; n += n < 64 ? 1 : 13)
		if (expect_image_error(m.p, n, PHR_E_IMAGE))
			return 1;
	CHECK(strstr(phr_last_error(), "JPEG") != NULL);
	fprintf(stderr, "  (truncated: %s)\n", phr_last_error());
	/* garbage in the entropy-coded data */
	for (size_t i = m.len / 2; i < m.len - 2; i++)
		m.p[i] = (uint8_t)(i * 37);
	if (expect_image_error(m.p, m.len, PHR_E_IMAGE))
		return 1;
	free(m.p);
	struct mem p = make_jpeg(1, 1, 90);
	if (expect_image_error(p.p, p.len * 2 / 3, PHR_E_IMAGE))
		return 1;
	free(p.p);
	return 0;
}

/* ---- limits ---------------------------------------------------------------- */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Signature and an IHDR chunk claiming w x h, 8-bit grey, valid CRC; then
 * a few bytes of IDAT so that a decoder that went on would fail otherwise. */
static size_t png_header(uint8_t *out, uint32_t w, uint32_t h)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	memcpy(out, sig, 8);
	be32(out + 8, 13);
	memcpy(out + 12, "IHDR", 4);
	be32(out + 16, w);
	be32(out + 20, h);
	out[24] = 8; /* depth */
	out[25] = 0; /* grey */
	out[26] = out[27] = out[28] = 0;
	be32(out + 29, (uint32_t)crc32(0, out + 12, 17));
	be32(out + 33, 2);
	memcpy(out + 37, "IDAT\x78\x9c", 6);
	be32(out + 43, 0);
	return 47;
}

/* A baseline JPEG header claiming w x h with one component. */
static size_t jpeg_header(uint8_t *out, uint16_t w, uint16_t h)
{
	size_t n = 0;
	out[n++] = 0xff, out[n++] = 0xd8;
	out[n++] = 0xff, out[n++] = 0xdb, out[n++] = 0, out[n++] = 67, out[n++] = 0;
	for (int i = 0; i < 64; i++)
		out[n++] = 1;
	out[n++] = 0xff, out[n++] = 0xc0, out[n++] = 0, out[n++] = 11, out[n++] = 8;
	out[n++] = (uint8_t)(h >> 8), out[n++] = (uint8_t)h, out[n++] = (uint8_t)(w >> 8), out[n++] = (uint8_t)w;
	out[n++] = 1, out[n++] = 1, out[n++] = 0x11, out[n++] = 0;
	/* DC and AC tables of one code each, then the scan header, one byte of
	 * data and EOI: enough for jpeg_read_header to return */
	for (int t = 0; t < 2; t++) {
		out[n++] = 0xff, out[n++] = 0xc4, out[n++] = 0, out[n++] = 20, out[n++] = (uint8_t)(t << 4);
		out[n++] = 1;
		for (int i = 1; i < 16; i++)
			out[n++] = 0;
		out[n++] = 0;
	}
	out[n++] = 0xff, out[n++] = 0xda, out[n++] = 0, out[n++] = 8, out[n++] = 1, out[n++] = 1, out[n++] = 0;
	out[n++] = 0, out[n++] = 63, out[n++] = 0;
	out[n++] = 0x00;
	out[n++] = 0xff, out[n++] = 0xd9;
	return n;
}

#ifndef UNDER_SANITIZER
static long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}
#endif

/* In a child whose address space has 48 MiB to spare, so that allocating
 * the claimed pixels (over 100 MB) before checking the limit would fail
 * with PHR_E_NOMEM instead of PHR_E_LIMIT. */
static int limit_in_child(const uint8_t *p, size_t len)
{
#ifdef UNDER_SANITIZER
	/* shadow memory needs the whole address space: check the code only */
	CHECK(expect_image_error(p, len, PHR_E_LIMIT) == 0);
	CHECK(strstr(phr_last_error(), "limit") != NULL);
	return 0;
#else
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		long kb = vm_size_kb();
		struct rlimit rl = { (rlim_t)(kb + 48 * 1024) * 1024, (rlim_t)(kb + 48 * 1024) * 1024 };
		if (kb < 0 || setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		_exit(expect_image_error(p, len, PHR_E_LIMIT) || !strstr(phr_last_error(), "limit") ? 1 : 0);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
#endif
}

static int test_limits(void)
{
	uint8_t buf[256];
	/* just over PHR_MAX_IMAGE_PIXELS, and far over it */
	if (limit_in_child(buf, png_header(buf, 20000, 5001)) || limit_in_child(buf, png_header(buf, 1000000, 1000000)))
		return 1;
	if (limit_in_child(buf, jpeg_header(buf, 65000, 60000)) || limit_in_child(buf, jpeg_header(buf, 10001, 10000)))
		return 1;
	/* at the limit the header is accepted and the missing data is the error */
	if (expect_image_error(buf, png_header(buf, 10000, 10000), PHR_E_IMAGE))
		return 1;
	/* a file larger than PHR_MAX_IMAGE_FILE is refused before it is read */
	uint8_t *big = calloc(1, (size_t)PHR_MAX_IMAGE_FILE + 1);
	CHECK(big != NULL);
	memcpy(big, buf, 8);
	if (expect_image_error(big, (size_t)PHR_MAX_IMAGE_FILE + 1, PHR_E_LIMIT))
		return 1;
	free(big);
	return 0;
}

/* ---- scanning ------------------------------------------------------------------ */

struct canvas {
	int w, h;
	uint8_t *p;
};

static struct canvas canvas(int w, int h)
{
	struct canvas c = { w, h, malloc((size_t)w * (size_t)h) };
	if (!c.p)
		abort();
	memset(c.p, 255, (size_t)w * (size_t)h);
	return c;
}

/* Draws payload as a QR code (mode, ECC M) at x, y; returns its side. */
static int draw_code(struct canvas *c, const uint8_t *payload, size_t len, int mode, int px, int x, int y)
{
	struct phr_qr *q;
	uint8_t *png;
	size_t png_len;
	struct phr_image img;
	if (phr_qr_make(payload, len, mode, PHR_ECC_M, 40, &q) || phr_qr_png(q, px, 4, &png, &png_len) ||
	    phr_image_load(png, png_len, &img))
		abort();
	for (int yy = 0; yy < img.height; yy++)
		for (int xx = 0; xx < img.width; xx++)
			if (x + xx < c->w && y + yy < c->h)
				c->p[(size_t)(y + yy) * (size_t)c->w + (size_t)(x + xx)] =
					img.grey[(size_t)yy * (size_t)img.width + (size_t)xx];
	int side = img.width;
	phr_image_free(&img);
	free(png);
	phr_qr_free(q);
	return side;
}

static const struct phr_code *find(const struct phr_scan_result *r, const void *payload, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->codes[i].len == len && memcmp(r->codes[i].data, payload, len) == 0)
			return &r->codes[i];
	return NULL;
}

static int scan(const struct canvas *c, struct phr_scan_result *r)
{
	struct phr_image img = { c->w, c->h, c->p };
	return phr_scan_image(&img, r);
}

static int test_several_codes(void)
{
	static const char *const text[3] = { "PH1:HELLO WORLD 1", "PH1:$%*+-./: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ",
					     "HTTPS://EXAMPLE.ORG/NOT-OURS" };
	struct canvas c = canvas(900, 700);
	int cx[3], cy[3];
	for (int i = 0; i < 3; i++) {
		int x = 40 + i * 290, y = 60 + i * 150;
		int side = draw_code(&c, (const uint8_t *)text[i], strlen(text[i]), PHR_CHUNK_BASE45, 6, x, y);
		cx[i] = x + side / 2;
		cy[i] = y + side / 2;
	}
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	CHECK_RC(scan(&c, r), PHR_OK);
	CHECK(r->n == 3);
	for (int i = 0; i < 3; i++) {
		const struct phr_code *k = find(r, text[i], strlen(text[i]));
		CHECK(k != NULL);
		CHECK(abs(k->x - cx[i]) <= 6 && abs(k->y - cy[i]) <= 6);
	}
	/* none is a phr set left incomplete: one pass was enough */
	CHECK(r->passes == 1);
	phr_scan_result_free(r);
	CHECK(r->n == 0);
	free(r);
	free(c.p);
	return 0;
}

static int test_every_byte(void)
{
	uint8_t bytes[512];
	for (int i = 0; i < 512; i++)
		bytes[i] = (uint8_t)(i < 256 ? i : 255 - (i - 256)); /* 0..255, then 255..0 */
	struct canvas c = canvas(700, 700);
	draw_code(&c, bytes, sizeof(bytes), PHR_CHUNK_BYTES, 5, 20, 20);
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	CHECK_RC(scan(&c, r), PHR_OK);
	CHECK(r->n == 1 && find(r, bytes, sizeof(bytes)) != NULL);
	phr_scan_result_free(r);
	free(r);
	free(c.p);
	return 0;
}

/* Bilinear rotation of src by deg degrees about its centre, white around. */
static struct canvas rotate(const struct canvas *src, double deg)
{
	double a = deg * 3.14159265358979323846 / 180, co = cos(a), si = sin(a);
	int w = (int)(fabs(src->w * co) + fabs(src->h * si)) + 2, h = (int)(fabs(src->w * si) + fabs(src->h * co)) + 2;
	struct canvas d = canvas(w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double dx = x + 0.5 - w / 2.0, dy = y + 0.5 - h / 2.0;
			double sx = co * dx + si * dy + src->w / 2.0 - 0.5, sy = -si * dx + co * dy + src->h / 2.0 - 0.5;
			int x0 = (int)floor(sx), y0 = (int)floor(sy);
			if (x0 < 0 || y0 < 0 || x0 + 1 >= src->w || y0 + 1 >= src->h)
				continue;
			double fx = sx - x0, fy = sy - y0;
			const uint8_t *p = src->p + (size_t)y0 * (size_t)src->w + (size_t)x0;
			double v = (p[0] * (1 - fx) + p[1] * fx) * (1 - fy) + (p[src->w] * (1 - fx) + p[src->w + 1] * fx) * fy;
			d.p[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(v + 0.5);
		}
	return d;
}

static int test_rotated(void)
{
	static const char text[] = "PH1:ROTATED CODE 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct canvas c = canvas(400, 400);
	draw_code(&c, (const uint8_t *)text, strlen(text), PHR_CHUNK_BASE45, 6, 60, 60);
	static const double angles[] = { 17, 45, 90, 133, 200, 301 };
	for (size_t i = 0; i < sizeof(angles) / sizeof(angles[0]); i++) {
		struct canvas r = rotate(&c, angles[i]);
		struct phr_scan_result *res = malloc(sizeof(*res));
		CHECK(res);
		CHECK_RC(scan(&r, res), PHR_OK);
		if (!find(res, text, strlen(text))) {
			fprintf(stderr, "  not read at %.0f degrees\n", angles[i]);
			return 1;
		}
		phr_scan_result_free(res);
		free(res);
		free(r.p);
	}
	free(c.p);
	return 0;
}

/* Drawn at 6 px per module, area-averaged by 3 (2 px per module) and by 4
 * (1.5 px per module, which the cascade's upscale reads). */
static int test_downscaled(void)
{
	static const char text[] = "PH1:SMALL MODULES 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789";
	struct canvas c = canvas(480, 480);
	draw_code(&c, (const uint8_t *)text, strlen(text), PHR_CHUNK_BASE45, 6, 30, 30);
	for (int f = 3; f <= 4; f++) {
		struct canvas d = canvas(c.w / f, c.h / f);
		for (int y = 0; y < d.h; y++)
			for (int x = 0; x < d.w; x++) {
				unsigned s = 0;
				for (int dy = 0; dy < f; dy++)
					for (int dx = 0; dx < f; dx++)
						s += c.p[(size_t)(y * f + dy) * (size_t)c.w + (size_t)(x * f + dx)];
				d.p[(size_t)y * (size_t)d.w + (size_t)x] = (uint8_t)((s + (unsigned)(f * f) / 2) / (unsigned)(f * f));
			}
		struct phr_scan_result *r = malloc(sizeof(*r));
		CHECK(r);
		CHECK_RC(scan(&d, r), PHR_OK);
		if (!find(r, text, strlen(text))) {
			fprintf(stderr, "  not read at 1/%d size\n", f);
			return 1;
		}
		phr_scan_result_free(r);
		free(r);
		free(d.p);
	}
	free(c.p);
	return 0;
}

static int test_no_code(void)
{
	struct canvas c = canvas(300, 200);
	uint32_t s = 1;
	for (size_t i = 0; i < (size_t)c.w * (size_t)c.h / 2; i++) {
		s = s * 1103515245u + 12345u;
		c.p[i] = (uint8_t)(s >> 24);
	}
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	CHECK_RC(scan(&c, r), PHR_OK);
	CHECK(r->n == 0);
	CHECK(r->passes >= 5); /* nothing found: the whole cascade ran */
	phr_scan_result_free(r);
	struct phr_image tiny = { 1, 1, c.p };
	CHECK_RC(phr_scan_image(&tiny, r), PHR_OK);
	CHECK(r->n == 0);
	free(r);
	free(c.p);
	return 0;
}

static int test_bad_arguments(void)
{
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	uint8_t px = 0;
	struct phr_image none = { 0, 0, NULL }, negative = { -1, 5, &px };
	CHECK_RC(phr_scan_image(&none, r), PHR_E_ARG);
	CHECK(r->n == 0);
	CHECK_RC(phr_scan_image(&negative, r), PHR_E_ARG);
	CHECK_RC(phr_scan_image(NULL, r), PHR_E_ARG);
	struct phr_image huge = { 100000, 100000, &px }; /* not read: refused by size */
	CHECK_RC(phr_scan_image(&huge, r), PHR_E_LIMIT);
	CHECK_RC(phr_scan_pass(&negative, PHR_PASS_AS_IS, r), PHR_E_ARG);
	struct phr_image one = { 1, 1, &px };
	CHECK_RC(phr_scan_pass(&one, PHR_PASS_COUNT, r), PHR_E_ARG);
	CHECK_RC(phr_image_load(NULL, 5, &none), PHR_E_ARG);
	phr_scan_result_free(NULL);
	phr_image_free(NULL);
	for (int p = 0; p < PHR_PASS_COUNT; p++)
		CHECK(strcmp(phr_scan_pass_name(p), "unknown") != 0);
	CHECK(strcmp(phr_scan_pass_name(PHR_PASS_COUNT), "unknown") == 0);
	free(r);
	return 0;
}

/* The stopping rule: a page holding every chunk of a set stops after the
 * first pass that reads them; a page holding part of a set goes through
 * the whole cascade, since the rest might be on it too. */
static int test_stopping_rule(void)
{
	struct fixture fx;
	struct phr_record *rec;
	uint8_t id[PHR_RECORD_ID_LEN] = { 0x42 }, *cont;
	size_t cont_len;
	CHECK(fx_init(&fx, "adult-tb-positive-referral.json") == 0);
	CHECK_RC(fx_record(&fx, 2, id, &rec), PHR_OK);
	CHECK_RC(phr_record_encode(rec, -1, &cont, &cont_len), PHR_OK);
	struct phr_chunk_plan plan;
	struct phr_chunk_set set;
	/* small codes: the record needs at least two */
	CHECK_RC(phr_chunk_plan(cont_len, PHR_CHUNK_BASE45, PHR_ECC_M, 12, 0, &plan), PHR_OK);
	CHECK(plan.k >= 2 && plan.k <= 6);
	CHECK_RC(phr_chunk_split(cont, cont_len, &plan, &set), PHR_OK);
	struct canvas all = canvas(1400, 1000), part = canvas(1400, 1000);
	for (size_t i = 0; i < set.n; i++) {
		int x = 20 + (int)(i % 3) * 460, y = 20 + (int)(i / 3) * 480;
		draw_code(&all, set.payload[i], set.len[i], PHR_CHUNK_BASE45, 5, x, y);
		if (i + 1 < set.n)
			draw_code(&part, set.payload[i], set.len[i], PHR_CHUNK_BASE45, 5, x, y);
	}
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	CHECK_RC(scan(&all, r), PHR_OK);
	CHECK(r->n == set.n && r->passes == 1);
	for (size_t i = 0; i < set.n; i++)
		CHECK(find(r, set.payload[i], set.len[i]) != NULL);
	phr_scan_result_free(r);
	CHECK_RC(scan(&part, r), PHR_OK);
	CHECK(r->n == set.n - 1 && r->passes > 3);
	phr_scan_result_free(r);
	free(r);
	free(all.p);
	free(part.p);
	phr_chunk_set_free(&set);
	free(cont);
	phr_record_destroy(rec);
	fx_finish(&fx);
	return 0;
}

/* ---- several documents in one photo ------------------------------------------ */

/* A record (fixture entries, id byte idb) cut into codes of at most
 * version max_v. */
static int chunks_of(struct fixture *fx, uint8_t idb, int max_v, struct phr_chunk_set *set)
{
	struct phr_record *rec;
	uint8_t id[PHR_RECORD_ID_LEN] = { idb, idb }, *cont;
	size_t cont_len;
	struct phr_chunk_plan plan;
	CHECK_RC(fx_record(fx, 1 + idb % 2, id, &rec), PHR_OK);
	CHECK_RC(phr_record_encode(rec, -1, &cont, &cont_len), PHR_OK);
	CHECK_RC(phr_chunk_plan(cont_len, PHR_CHUNK_BASE45, PHR_ECC_M, max_v, 0, &plan), PHR_OK);
	CHECK_RC(phr_chunk_split(cont, cont_len, &plan, set), PHR_OK);
	free(cont);
	phr_record_destroy(rec);
	return 0;
}

/* A canvas holding the codes of set side by side at px per module. */
static struct canvas document(const struct phr_chunk_set *set, int px)
{
	struct canvas tmp = canvas(4000, 1200);
	int x = 10, h = 0;
	for (size_t i = 0; i < set->n; i++) {
		int side = draw_code(&tmp, set->payload[i], set->len[i], PHR_CHUNK_BASE45, px, x, 10);
		x += side + 10;
		h = side + 20 > h ? side + 20 : h;
	}
	struct canvas d = canvas(x, h);
	for (int y = 0; y < h; y++)
		memcpy(d.p + (size_t)y * (size_t)x, tmp.p + (size_t)y * (size_t)tmp.w, (size_t)x);
	free(tmp.p);
	return d;
}

/* src seen at an angle: a projective view whose right side (left, with
 * -k) is 1 / (1 + k) as large as the middle, bilinear, white around. ZBar
 * reads affine distortion but not a keystone of more than a few per cent. */
static struct canvas keystoned(const struct canvas *src, double k)
{
	struct canvas d = canvas(src->w * 3 / 2, src->h * 3 / 2);
	double p = 2 * k / src->w, cx = d.w / 2.0, cy = d.h / 2.0;
	for (int y = 0; y < d.h; y++)
		for (int x = 0; x < d.w; x++) {
			double w = 1 + p * (x + 0.5 - cx);
			double sx = (x + 0.5 - cx) / w + src->w / 2.0 - 0.5, sy = (y + 0.5 - cy) / w + src->h / 2.0 - 0.5;
			int x0 = (int)floor(sx), y0 = (int)floor(sy);
			if (x0 < 0 || y0 < 0 || x0 + 1 >= src->w || y0 + 1 >= src->h)
				continue;
			double fx = sx - x0, fy = sy - y0;
			const uint8_t *q = src->p + (size_t)y0 * (size_t)src->w + (size_t)x0;
			double v = (q[0] * (1 - fx) + q[1] * fx) * (1 - fy) + (q[src->w] * (1 - fx) + q[src->w + 1] * fx) * fy;
			d.p[(size_t)y * (size_t)d.w + (size_t)x] = (uint8_t)(v + 0.5);
		}
	return d;
}

static void paste(struct canvas *dst, const struct canvas *src, int x, int y)
{
	for (int yy = 0; yy < src->h && y + yy < dst->h; yy++)
		memcpy(dst->p + (size_t)(y + yy) * (size_t)dst->w + (size_t)x, src->p + (size_t)yy * (size_t)src->w,
		       (size_t)(x + src->w <= dst->w ? src->w : dst->w - x));
}

static int all_codes(const struct phr_scan_result *r, const struct phr_chunk_set *set, const char *what)
{
	for (size_t i = 0; i < set->n; i++)
		if (!find(r, set->payload[i], set->len[i])) {
			fprintf(stderr, "  %s: code %zu of %zu not read (%zu codes found, %u passes)\n", what, i + 1, set->n,
				r->n, r->passes);
			return 1;
		}
	return 0;
}

/* Two and three documents in one picture: the first is read by the first
 * pass and completes its record; the others (a booklet seen at an angle,
 * a wallet card of smaller modules seen at an angle) need later
 * treatments. The scan must not stop at the first complete record: every
 * code of every document comes back, and nothing is left unread. */
static int test_several_documents(void)
{
	struct fixture fx;
	struct phr_chunk_set a, b, c;
	CHECK(fx_init(&fx, "adult-tb-positive-referral.json") == 0);
	CHECK(chunks_of(&fx, 0x11, 20, &a) == 0);
	CHECK(chunks_of(&fx, 0x22, 20, &b) == 0);
	CHECK(chunks_of(&fx, 0x33, 12, &c) == 0);
	struct canvas da = document(&a, 4), db0 = document(&b, 4), dc0 = document(&c, 3);
	struct canvas db = keystoned(&db0, 0.15), dc = keystoned(&dc0, -0.15);
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	for (int three = 0; three < 2; three++) {
		int w = 40 + da.w + 40 + db.w + (three ? 40 + dc.w : 0) + 40;
		int h = 80 + (da.h > db.h ? da.h : db.h) + 80;
		struct canvas photo = canvas(w, h > dc.h + 160 ? h : dc.h + 160);
		paste(&photo, &da, 40, 80);
		paste(&photo, &db, 80 + da.w, 80);
		if (three)
			paste(&photo, &dc, 120 + da.w + db.w, 80);
		CHECK_RC(scan(&photo, r), PHR_OK);
		const char *what = three ? "three documents" : "two documents";
		if (all_codes(r, &a, what) || all_codes(r, &b, what) || (three && all_codes(r, &c, what)))
			return 1;
		CHECK(r->n == a.n + b.n + (three ? c.n : 0));
		CHECK(r->n_unread == 0);
		/* the first document alone completes a record in the first pass;
		 * the one at an angle needs a later treatment (without looking
		 * on after a complete record, it would be lost) */
		CHECK(find(r, a.payload[0], a.len[0])->pass <= PHR_PASS_AS_IS);
		CHECK(find(r, b.payload[0], b.len[0])->pass > PHR_PASS_AS_IS);
		phr_scan_result_free(r);
		free(photo.p);
	}
	free(r);
	free(da.p);
	free(db0.p);
	free(db.p);
	free(dc0.p);
	free(dc.p);
	phr_chunk_set_free(&a);
	phr_chunk_set_free(&b);
	phr_chunk_set_free(&c);
	fx_finish(&fx);
	return 0;
}

/* A code whose finder patterns are there and whose data is not (a stain
 * over its middle) beside a readable record: the readable one comes back,
 * and the other is reported as seen and not read, where it is. */
static int test_unread_code(void)
{
	struct fixture fx;
	struct phr_chunk_set a, b;
	CHECK(fx_init(&fx, "adult-tb-positive-referral.json") == 0);
	CHECK(chunks_of(&fx, 0x44, 20, &a) == 0);
	CHECK(chunks_of(&fx, 0x55, 20, &b) == 0);
	struct canvas da = document(&a, 4), db = document(&b, 4);
	struct canvas photo = canvas(da.w + db.w + 120, (da.h > db.h ? da.h : db.h) + 80);
	paste(&photo, &da, 40, 40);
	int bx = 80 + da.w;
	paste(&photo, &db, bx, 40);
	/* the stain: the middle of b's first code, finder patterns left whole */
	int side = db.h - 20, quiet = 4 * 4, mods = (side - 2 * quiet) / 4;
	int x0 = bx + 10 + quiet + 9 * 4, y0 = 40 + 10 + quiet + 9 * 4, x1 = x0 + (mods - 18) * 4, y1 = y0 + (mods - 18) * 4;
	uint32_t s = 7;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			s = s * 1103515245u + 12345u;
			photo.p[(size_t)y * (size_t)photo.w + (size_t)x] = (s >> 16) & 1 ? 30 : 200;
		}
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	CHECK_RC(scan(&photo, r), PHR_OK);
	CHECK(all_codes(r, &a, "beside an unreadable code") == 0);
	CHECK(!find(r, b.payload[0], b.len[0]));
	CHECK(r->n_unread == 1);
	int cx = bx + 10 + side / 2, cy = 40 + 10 + side / 2;
	if (abs(r->unread[0].x - cx) > side / 8 || abs(r->unread[0].y - cy) > side / 8) {
		fprintf(stderr, "  unread code reported at %d,%d, it is at %d,%d\n", r->unread[0].x, r->unread[0].y, cx, cy);
		return 1;
	}
	CHECK(r->unread[0].side > side / 2 && r->unread[0].side < side * 3 / 2);
	/* the whole cascade ran, looking for it */
	CHECK(r->passes >= PHR_PASS_COUNT - 2);
	/* a page of clean codes and text-like marks: nothing seen unread */
	phr_scan_result_free(r);
	free(photo.p);
	free(r);
	free(da.p);
	free(db.p);
	phr_chunk_set_free(&a);
	phr_chunk_set_free(&b);
	fx_finish(&fx);
	return 0;
}

/* A PNG and a JPEG of a code, loaded from the file bytes and scanned, as
 * `phr scan` does. */
static int test_file_to_codes(void)
{
	static const char text[] = "PH1:FROM A FILE";
	struct canvas c = canvas(JW * 4, JH * 5);
	draw_code(&c, (const uint8_t *)text, strlen(text), PHR_CHUNK_BASE45, 6, 10, 10);
	/* as a grey JPEG at quality 60 */
	struct jpeg_compress_struct jc;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	jc.err = jpeg_std_error(&err);
	jpeg_create_compress(&jc);
	jpeg_mem_dest(&jc, &out, &out_len);
	jc.image_width = (JDIMENSION)c.w;
	jc.image_height = (JDIMENSION)c.h;
	jc.input_components = 1;
	jc.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&jc);
	jpeg_set_quality(&jc, 60, TRUE);
	jpeg_start_compress(&jc, TRUE);
	while (jc.next_scanline < jc.image_height) {
		JSAMPROW row = c.p + (size_t)jc.next_scanline * (size_t)c.w;
		jpeg_write_scanlines(&jc, &row, 1);
	}
	jpeg_finish_compress(&jc);
	jpeg_destroy_compress(&jc);
	struct phr_image img;
	CHECK_RC(phr_image_load(out, out_len, &img), PHR_OK);
	struct phr_scan_result *r = malloc(sizeof(*r));
	CHECK(r);
	CHECK_RC(phr_scan_image(&img, r), PHR_OK);
	CHECK(r->n == 1 && find(r, text, strlen(text)));
	phr_scan_result_free(r);
	phr_image_free(&img);
	free(out);
	free(r);
	free(c.p);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "png_kinds", test_png_kinds },
		{ "png_colour_weights", test_png_colour_weights },
		{ "jpeg_kinds", test_jpeg_kinds },
		{ "damaged_png", test_damaged_png },
		{ "damaged_jpeg", test_damaged_jpeg },
		{ "limits", test_limits },
		{ "several_codes", test_several_codes },
		{ "every_byte", test_every_byte },
		{ "rotated", test_rotated },
		{ "downscaled", test_downscaled },
		{ "no_code", test_no_code },
		{ "bad_arguments", test_bad_arguments },
		{ "stopping_rule", test_stopping_rule },
		{ "file_to_codes", test_file_to_codes },
		{ "several_documents", test_several_documents },
		{ "unread_code", test_unread_code },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
