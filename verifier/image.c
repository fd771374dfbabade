/* PNG and JPEG files to 8-bit grey (include/phr/scan.h).
 *
 * Both libraries report errors by calling a function that must not return;
 * here it records the library's message and longjmps back to the decode
 * function, which frees what it holds and returns PHR_E_IMAGE. Everything
 * that must survive the longjmp lives in a context struct reached through a
 * pointer that never changes after setjmp (C11 7.13.2.1: only non-volatile
 * locals of the function that called setjmp become indeterminate).
 *
 * The pixel limit is checked after the header is parsed and before any
 * pixel memory is allocated. libjpeg's own working memory is capped too
 * (JPEG_MAX_MEMORY), which bounds progressive files, whose coefficients it
 * keeps for the whole image. A JPEG's EXIF orientation is applied: the
 * picture comes out upright, as the camera meant it, for anything that
 * shows or saves it, and the positions reported are in that upright grid. */
#include "phr/scan.h"

#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

/* libjpeg's working memory beyond the output rows. A progressive 4:2:0
 * image needs about 3 bytes a pixel of coefficients, so this admits about
 * 80 MP progressive and any size of baseline file up to the pixel limit. */
#define JPEG_MAX_MEMORY (256L * 1024 * 1024)
/* Scans of one progressive JPEG: real encoders write about 10; a hostile
 * file can declare thousands, each one a pass over the whole image. */
#define JPEG_MAX_SCANS 256
/* Ancillary PNG chunks (ICC profile, text) kept in memory while reading. */
#define PNG_MAX_CHUNK (8u * 1024 * 1024)

static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static void clear(struct phr_image *out)
{
	out->width = 0;
	out->height = 0;
	out->grey = NULL;
}

/* PHR_E_LIMIT if w x h is over the pixel limit; called before allocating. */
static int check_size(const char *kind, unsigned long w, unsigned long h)
{
	if (w == 0 || h == 0)
		return phr_fail(PHR_E_IMAGE, "%s: image has no pixels (%lu x %lu)", kind, w, h);
	if (w > PHR_MAX_IMAGE_PIXELS || h > PHR_MAX_IMAGE_PIXELS / w)
		return phr_fail(PHR_E_LIMIT, "%s: %lu x %lu pixels is more than the limit of %u pixels", kind, w, h,
				PHR_MAX_IMAGE_PIXELS);
	return PHR_OK;
}

/* Rec. 601 luma in 8.8 fixed point, as JPEG's YCbCr uses. */
static inline uint8_t luma(unsigned r, unsigned g, unsigned b)
{
	return (uint8_t)((77 * r + 150 * g + 29 * b + 128) >> 8);
}

/* ---- PNG ------------------------------------------------------------- */

struct png_ctx {
	jmp_buf jmp;
	char msg[200];
	const uint8_t *buf;
	size_t len, pos;
	int rc;         /* phr error to return after a longjmp */
	uint8_t *grey;  /* the output */
	uint8_t *tmp;   /* one row, or the whole image when interlaced */
	png_bytep *rows;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *c = png_get_error_ptr(png);
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	longjmp(c->jmp, 1);
}

/* Warnings (a damaged ancillary chunk, an odd gamma) do not stop decoding;
 * the library must not print, so they are dropped. */
static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_read_mem(png_structp png, png_bytep data, size_t n)
{
	struct png_ctx *c = png_get_io_ptr(png);
	if (n > c->len - c->pos)
		png_error(png, "file is truncated");
	memcpy(data, c->buf + c->pos, n);
	c->pos += n;
}

/* Grey (and alpha, composited on white paper) to the output row. */
static void png_row_to_grey(const uint8_t *in, int channels, size_t w, uint8_t *out)
{
	if (channels == 1) {
		memcpy(out, in, w);
		return;
	}
	for (size_t x = 0; x < w; x++) {
		unsigned g = in[2 * x], a = in[2 * x + 1];
		out[x] = (uint8_t)((g * a + 255 * (255 - a) + 127) / 255);
	}
}

/* The part of PNG decoding that may longjmp; c holds everything to free. */
static int png_decode(struct png_ctx *c, png_structp png, png_infop info, struct phr_image *out)
{
	if (setjmp(c->jmp))
		return c->rc ? c->rc : phr_fail(PHR_E_IMAGE, "PNG: %s", c->msg);
	png_set_read_fn(png, c, png_read_mem);
	png_set_chunk_malloc_max(png, PNG_MAX_CHUNK);
	png_read_info(png, info);

	png_uint_32 w, h;
	int depth, type, interlace;
	png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
	int rc = check_size("PNG", w, h);
	if (rc)
		return rc;

	/* Every kind of PNG to 8-bit grey, with alpha when it has any:
	 * palette and low-depth grey expanded, tRNS made alpha, 16-bit scaled
	 * (not truncated), colour weighted to grey. */
	png_set_expand(png);
	png_set_scale_16(png);
	if (type & PNG_COLOR_MASK_COLOR)
		png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, -1, -1);
	int passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	int channels = png_get_channels(png, info);
	if (png_get_bit_depth(png, info) != 8 || (channels != 1 && channels != 2))
		png_error(png, "unexpected pixel layout after conversion");

	size_t sw = w, sh = h;
	if (!(c->grey = malloc(sw * sh))) {
		c->rc = phr_fail(PHR_E_NOMEM, "PNG: no memory for %zu x %zu pixels", sw, sh);
		longjmp(c->jmp, 1);
	}
	if (passes > 1) {
		/* Interlaced rows are filled over 7 passes: keep the whole image
		 * (at most 2 bytes a pixel), then convert it. */
		c->tmp = malloc(sw * sh * (size_t)channels);
		c->rows = malloc(sh * sizeof(*c->rows));
		if (!c->tmp || !c->rows) {
			c->rc = phr_fail(PHR_E_NOMEM, "PNG: no memory for an interlaced %zu x %zu image", sw, sh);
			longjmp(c->jmp, 1);
		}
		for (size_t y = 0; y < sh; y++)
			c->rows[y] = c->tmp + y * sw * (size_t)channels;
		png_read_image(png, c->rows);
		for (size_t y = 0; y < sh; y++)
			png_row_to_grey(c->rows[y], channels, sw, c->grey + y * sw);
	} else {
		if (!(c->tmp = malloc(sw * (size_t)channels))) {
			c->rc = phr_fail(PHR_E_NOMEM, "PNG: no memory for a row");
			longjmp(c->jmp, 1);
		}
		for (size_t y = 0; y < sh; y++) {
			png_read_row(png, c->tmp, NULL);
			png_row_to_grey(c->tmp, channels, sw, c->grey + y * sw);
		}
	}
	out->width = (int)w;
	out->height = (int)h;
	out->grey = c->grey;
	c->grey = NULL;
	return PHR_OK;
}

/* Every chunk length the file declares fits in what is left of it. libpng
 * allocates a text or unknown chunk's declared length before reading it,
 * whatever the file holds (2 GB for a flipped bit), so the lengths are
 * checked against the file first: then no chunk buffer is larger than the
 * file, which PHR_MAX_IMAGE_FILE bounds. */
static int png_chunks_fit(const uint8_t *buf, size_t len)
{
	size_t pos = sizeof(png_magic);
	while (len - pos >= 8) {
		uint32_t n = (uint32_t)buf[pos] << 24 | (uint32_t)buf[pos + 1] << 16 | (uint32_t)buf[pos + 2] << 8 |
			     buf[pos + 3];
		char type[5];
		for (int i = 0; i < 4; i++) {
			uint8_t c = buf[pos + 4 + (size_t)i];
			type[i] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? (char)c : '?';
		}
		type[4] = '\0';
		if (n > len - pos - 8)
			return phr_fail(PHR_E_IMAGE, "PNG: chunk %s at byte %zu declares %u bytes, the file has %zu more",
					type, pos, n, len - pos - 8);
		if (memcmp(buf + pos + 4, "IEND", 4) == 0 || len - pos - 8 - n < 4)
			break; /* the end, or a missing CRC that libpng reports */
		pos += 12 + (size_t)n;
	}
	return PHR_OK;
}

static int load_png(const uint8_t *buf, size_t len, struct phr_image *out)
{
	int rc = png_chunks_fit(buf, len);
	if (rc)
		return rc;
	struct png_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return phr_fail(PHR_E_NOMEM, "PNG: out of memory");
	c->buf = buf;
	c->len = len;
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	rc = info ? png_decode(c, png, info, out) : phr_fail(PHR_E_NOMEM, "PNG: out of memory");
	png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
	free(c->grey);
	free(c->tmp);
	free(c->rows);
	free(c);
	return rc;
}

/* ---- JPEG ------------------------------------------------------------ */

struct jpeg_ctx {
	struct jpeg_error_mgr err; /* first: libjpeg passes &err as cinfo->err */
	struct jpeg_progress_mgr progress;
	jmp_buf jmp;
	char msg[JMSG_LENGTH_MAX];
	int rc;
	uint8_t *grey;
	uint8_t *row; /* one CMYK row */
};

static void jpeg_on_error(j_common_ptr cinfo)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;
	(*cinfo->err->format_message)(cinfo, c->msg);
	longjmp(c->jmp, 1);
}

/* Warnings (level -1) mean damaged data: libjpeg would go on and fill the
 * rest of a truncated file with grey. A damaged photo is refused instead,
 * so that the user takes another; only the two warnings about unknown
 * header versions are harmless. Trace messages (level >= 0) are dropped. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	if (level >= 0)
		return;
	int code = cinfo->err->msg_code;
	if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM)
		return;
	jpeg_on_error(cinfo);
}

static void jpeg_on_progress(j_common_ptr cinfo)
{
	j_decompress_ptr d = (j_decompress_ptr)cinfo;
	struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->err;
	if (cinfo->is_decompressor && d->input_scan_number > JPEG_MAX_SCANS) {
		c->rc = phr_fail(PHR_E_LIMIT, "JPEG: more than %d scans", JPEG_MAX_SCANS);
		longjmp(c->jmp, 1);
	}
}

static void cmyk_to_grey(const uint8_t *in, size_t w, int adobe, uint8_t *out)
{
	for (size_t x = 0; x < w; x++) {
		unsigned cc = in[4 * x], m = in[4 * x + 1], y = in[4 * x + 2], k = in[4 * x + 3];
		/* Adobe writes CMYK inverted (0 = full ink): then c * k / 255 is
		 * already the light left; otherwise invert first. */
		if (!adobe) {
			cc = 255 - cc;
			m = 255 - m;
			y = 255 - y;
			k = 255 - k;
		}
		out[x] = luma(cc * k / 255, m * k / 255, y * k / 255);
	}
}

/* ---- JPEG: EXIF orientation ------------------------------------------ */

/* Marker segments looked at before the first scan: a phone writes about
 * ten (APP0, APP1 Exif, APP2 ICC and MPF, DQT, SOF, DHT). */
#define EXIF_MAX_SEGMENTS 64
/* Entries of IFD0 read: a camera writes about a dozen, Orientation among
 * the first. */
#define EXIF_MAX_IFD_ENTRIES 256

static unsigned exif_u16(const uint8_t *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t exif_u32(const uint8_t *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The EXIF Orientation (tag 0x0112 of IFD0, 1..8) of a JPEG file, read
 * from the first APP1 "Exif" segment before the first scan; 1 (as
 * stored) when there is none or anything about it is out of bounds or
 * out of range: a damaged tag never stops a photo from being read. */
static int jpeg_exif_orientation(const uint8_t *buf, size_t len)
{
	size_t pos = 2; /* after SOI */
	for (int seg = 0; seg < EXIF_MAX_SEGMENTS; seg++) {
		while (pos < len && buf[pos] == 0xff && pos + 1 < len && buf[pos + 1] == 0xff)
			pos++; /* fill bytes */
		if (len - pos < 4 || buf[pos] != 0xff)
			return 1;
		unsigned marker = buf[pos + 1];
		if (marker == 0xda || marker == 0xd9)
			return 1; /* start of scan, end of image: no EXIF before them */
		if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
			pos += 2; /* standalone markers */
			continue;
		}
		size_t seglen = (size_t)buf[pos + 2] << 8 | buf[pos + 3];
		if (seglen < 2 || seglen > len - pos - 2)
			return 1;
		const uint8_t *s = buf + pos + 4;
		size_t n = seglen - 2;
		pos += 2 + seglen;
		if (marker != 0xe1 || n < 6 || memcmp(s, "Exif\0\0", 6) != 0)
			continue;
		/* TIFF header: byte order, 42, offset of IFD0 */
		const uint8_t *t = s + 6;
		size_t tn = n - 6;
		if (tn < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M')))
			return 1;
		int be = t[0] == 'M';
		uint32_t ifd = exif_u32(t + 4, be);
		if (exif_u16(t + 2, be) != 42 || ifd < 8 || ifd > tn - 2)
			return 1;
		unsigned count = exif_u16(t + ifd, be);
		for (unsigned i = 0; i < count && i < EXIF_MAX_IFD_ENTRIES; i++) {
			size_t e = ifd + 2 + 12 * (size_t)i;
			if (tn < 12 || e > tn - 12)
				return 1;
			/* tag 0x0112, type SHORT (3), count 1, value in place */
			if (exif_u16(t + e, be) != 0x0112)
				continue;
			unsigned v = exif_u16(t + e + 8, be);
			return exif_u16(t + e + 2, be) == 3 && exif_u32(t + e + 4, be) == 1 && v >= 1 && v <= 8 ? (int)v : 1;
		}
		return 1; /* the first Exif segment decides */
	}
	return 1;
}

/* img turned upright by EXIF orientation o: 2 mirrored, 3 turned half a
 * turn, 4 flipped, 5 transposed, 6 to be turned a quarter clockwise, 7
 * transversed, 8 a quarter anticlockwise. PHR_E_NOMEM leaves img as it
 * was. */
static int jpeg_orient(struct phr_image *img, int o)
{
	if (o <= 1 || o > 8)
		return PHR_OK;
	size_t w = (size_t)img->width, h = (size_t)img->height;
	int swap = o >= 5;
	size_t dw = swap ? h : w, dh = swap ? w : h;
	uint8_t *up = malloc(w * h);
	if (!up)
		return phr_fail(PHR_E_NOMEM, "JPEG: no memory to turn a %zu x %zu image upright", w, h);
	for (size_t dy = 0; dy < dh; dy++) {
		uint8_t *row = up + dy * dw;
		for (size_t dx = 0; dx < dw; dx++) {
			size_t sx, sy;
			switch (o) {
			case 2: sx = w - 1 - dx, sy = dy; break;
			case 3: sx = w - 1 - dx, sy = h - 1 - dy; break;
			case 4: sx = dx, sy = h - 1 - dy; break;
			case 5: sx = dy, sy = dx; break;
			case 6: sx = dy, sy = h - 1 - dx; break;
			case 7: sx = w - 1 - dy, sy = h - 1 - dx; break;
			default: sx = w - 1 - dy, sy = dx; break; /* 8 */
			}
			row[dx] = img->grey[sy * w + sx];
		}
	}
	free(img->grey);
	img->grey = up;
	img->width = (int)dw;
	img->height = (int)dh;
	return PHR_OK;
}

static int jpeg_decode(struct jpeg_ctx *c, struct jpeg_decompress_struct *d, const uint8_t *buf, size_t len,
		       struct phr_image *out)
{
	if (setjmp(c->jmp)) {
		if (c->rc)
			return c->rc;
		/* libjpeg asks for a temporary file when its working memory would
		 * pass JPEG_MAX_MEMORY (a large progressive file) */
		if (c->err.msg_code == JERR_NO_BACKING_STORE)
			return phr_fail(PHR_E_LIMIT, "JPEG: decoding this %u x %u image needs more than %ld MB",
					d->image_width, d->image_height, JPEG_MAX_MEMORY / (1024 * 1024));
		return phr_fail(PHR_E_IMAGE, "JPEG: %s", c->msg);
	}
	jpeg_create_decompress(d);
	d->mem->max_memory_to_use = JPEG_MAX_MEMORY;
	d->progress = &c->progress;
	jpeg_mem_src(d, buf, (unsigned long)len);
	jpeg_read_header(d, TRUE);
	int rc = check_size("JPEG", d->image_width, d->image_height);
	if (rc)
		return rc;
	int cmyk = d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
	/* For YCbCr, grey is the Y plane: no chroma is upsampled or converted. */
	d->out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
	d->dct_method = JDCT_ISLOW;
	size_t w = d->image_width, h = d->image_height;
	if (!(c->grey = malloc(w * h)) || (cmyk && !(c->row = malloc(w * 4)))) {
		c->rc = phr_fail(PHR_E_NOMEM, "JPEG: no memory for %zu x %zu pixels", w, h);
		longjmp(c->jmp, 1);
	}
	jpeg_start_decompress(d);
	if (d->output_width != w || d->output_height != h || d->output_components != (cmyk ? 4 : 1))
		ERREXIT(d, JERR_BAD_LENGTH);
	while (d->output_scanline < h) {
		size_t y = d->output_scanline;
		JSAMPROW row = cmyk ? c->row : c->grey + y * w;
		if (jpeg_read_scanlines(d, &row, 1) != 1)
			ERREXIT(d, JERR_BAD_LENGTH);
		if (cmyk)
			cmyk_to_grey(c->row, w, d->saw_Adobe_marker, c->grey + y * w);
	}
	jpeg_finish_decompress(d);
	out->width = (int)w;
	out->height = (int)h;
	out->grey = c->grey;
	c->grey = NULL;
	return PHR_OK;
}

static int load_jpeg(const uint8_t *buf, size_t len, struct phr_image *out)
{
	struct jpeg_ctx *c = calloc(1, sizeof(*c));
	struct jpeg_decompress_struct *d = calloc(1, sizeof(*d));
	if (!c || !d) {
		free(c);
		free(d);
		return phr_fail(PHR_E_NOMEM, "JPEG: out of memory");
	}
	d->err = jpeg_std_error(&c->err);
	c->err.error_exit = jpeg_on_error;
	c->err.emit_message = jpeg_on_message;
	c->progress.progress_monitor = jpeg_on_progress;
	int rc = jpeg_decode(c, d, buf, len, out);
	jpeg_destroy_decompress(d);
	free(c->grey);
	free(c->row);
	free(c);
	free(d);
	/* upright, as the camera meant it: for whatever shows or saves it */
	if (rc == PHR_OK && (rc = jpeg_orient(out, jpeg_exif_orientation(buf, len))))
		phr_image_free(out);
	return rc;
}

/* ---- entry points ---------------------------------------------------- */

int phr_image_load(const uint8_t *buf, size_t len, struct phr_image *out)
{
	if (!out)
		return phr_fail(PHR_E_ARG, "image: no output");
	clear(out);
	if (!buf && len)
		return phr_fail(PHR_E_ARG, "image: no input");
	if (len > PHR_MAX_IMAGE_FILE)
		return phr_fail(PHR_E_LIMIT, "image: file of %zu bytes is larger than the limit of %u", len,
				PHR_MAX_IMAGE_FILE);
	if (len >= sizeof(png_magic) && memcmp(buf, png_magic, sizeof(png_magic)) == 0)
		return load_png(buf, len, out);
	if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		return load_jpeg(buf, len, out);
	return phr_fail(PHR_E_IMAGE, "image: %s", len ? "neither a PNG nor a JPEG file" : "empty file");
}

void phr_image_free(struct phr_image *img)
{
	if (!img)
		return;
	free(img->grey);
	clear(img);
}
