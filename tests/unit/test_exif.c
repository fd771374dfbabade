/* JPEG EXIF orientation (verifier/image.c): phr_image_load gives the
 * picture upright, as the camera meant it, for each of the 8 orientations,
 * in both byte orders; a damaged, missing or out-of-range tag leaves it as
 * stored and never stops it from being read; and the scanner reads a code
 * in a photo stored on its side, at its upright place. The JPEGs are
 * written here with libjpeg, the APP1 Exif segment inserted by hand. */
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "phr/chunk.h"
#include "phr/qrimage.h"
#include "phr/scan.h"
#include "testlib.h"

struct pic {
	int w, h;
	uint8_t *p;
};

static struct pic pic_new(int w, int h)
{
	struct pic r = { w, h, calloc((size_t)w * (size_t)h, 1) };
	if (!r.p)
		abort();
	return r;
}

static uint8_t at(const struct pic *s, int x, int y)
{
	return s->p[(size_t)y * (size_t)s->w + (size_t)x];
}

/* The operations EXIF names (CIPA DC-008, tag 0x0112), each a new picture. */
static struct pic rotate_cw(const struct pic *s) /* a quarter turn clockwise */
{
	struct pic r = pic_new(s->h, s->w);
	for (int y = 0; y < r.h; y++)
		for (int x = 0; x < r.w; x++)
			r.p[(size_t)y * (size_t)r.w + (size_t)x] = at(s, y, s->h - 1 - x);
	return r;
}

static struct pic rotate_ccw(const struct pic *s)
{
	struct pic r = pic_new(s->h, s->w);
	for (int y = 0; y < r.h; y++)
		for (int x = 0; x < r.w; x++)
			r.p[(size_t)y * (size_t)r.w + (size_t)x] = at(s, s->w - 1 - y, x);
	return r;
}

static struct pic mirror(const struct pic *s, int vertical)
{
	struct pic r = pic_new(s->w, s->h);
	for (int y = 0; y < r.h; y++)
		for (int x = 0; x < r.w; x++)
			r.p[(size_t)y * (size_t)r.w + (size_t)x] =
				vertical ? at(s, x, s->h - 1 - y) : at(s, s->w - 1 - x, y);
	return r;
}

/* What a camera stores for an upright scene u when it writes orientation
 * o: the inverse of the operation a viewer applies (1 none, 2 mirror, 3
 * half turn, 4 flip, 5 mirror then a quarter anticlockwise, 6 a quarter
 * clockwise, 7 mirror then a quarter clockwise, 8 a quarter anticlockwise). */
static struct pic stored_for(const struct pic *u, int o)
{
	struct pic a, b;
	switch (o) {
	case 2: return mirror(u, 0);
	case 3: a = rotate_cw(u), b = rotate_cw(&a); free(a.p); return b;
	case 4: return mirror(u, 1);
	case 5: a = rotate_cw(u), b = mirror(&a, 0); free(a.p); return b;
	case 6: return rotate_ccw(u);
	case 7: a = rotate_ccw(u), b = mirror(&a, 0); free(a.p); return b;
	case 8: return rotate_cw(u);
	default: a = pic_new(u->w, u->h); memcpy(a.p, u->p, (size_t)u->w * (size_t)u->h); return a;
	}
}

/* A greyscale baseline JPEG of s at quality 100. */
static uint8_t *write_jpeg(const struct pic *s, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &out_len);
	c.image_width = (JDIMENSION)s->w;
	c.image_height = (JDIMENSION)s->h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 100, TRUE);
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < s->h; y++) {
		JSAMPROW row = s->p + (size_t)y * (size_t)s->w;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*len = out_len;
	return out;
}

static void put16(uint8_t *p, unsigned v, int be)
{
	p[be ? 0 : 1] = (uint8_t)(v >> 8);
	p[be ? 1 : 0] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v, int be)
{
	for (int i = 0; i < 4; i++)
		p[be ? i : 3 - i] = (uint8_t)(v >> (8 * (3 - i)));
}

/* An APP1 Exif segment: IFD0 with Make ("phr"), Orientation o as type
 * type and count count, then XResolution; the TIFF header's byte order
 * big-endian when be. Returns its length (marker included). */
static size_t exif_segment(uint8_t *seg, int o, int be, unsigned type, uint32_t count)
{
	uint8_t *t = seg + 10; /* FF E1, length, "Exif\0\0" */
	memcpy(seg, "\xff\xe1\0\0Exif\0\0", 10);
	memcpy(t, be ? "MM" : "II", 2);
	put16(t + 2, 42, be);
	put32(t + 4, 8, be);
	put16(t + 8, 3, be);
	uint8_t *e = t + 10;
	put16(e, 0x010f, be), put16(e + 2, 2, be), put32(e + 4, 4, be), memcpy(e + 8, "phr", 4);
	put16(e + 12, 0x0112, be), put16(e + 14, type, be), put32(e + 16, count, be), put32(e + 20, 0, be);
	put16(e + 20, (unsigned)o, be);
	put16(e + 24, 0x011a, be), put16(e + 26, 5, be), put32(e + 28, 1, be), put32(e + 32, 50, be);
	put32(e + 36, 0, be);                  /* no IFD1 */
	put32(t + 50, 72, be), put32(t + 54, 1, be); /* XResolution 72/1 */
	size_t len = 10 + 58;
	seg[2] = (uint8_t)((len - 2) >> 8);
	seg[3] = (uint8_t)(len - 2);
	return len;
}

/* jpeg with seg inserted after SOI (at = 2) or at another offset. */
static uint8_t *with_segment(const uint8_t *jpeg, size_t len, const uint8_t *seg, size_t seg_len, size_t at,
			     size_t *out_len)
{
	uint8_t *r = malloc(len + seg_len);
	if (!r)
		abort();
	memcpy(r, jpeg, at);
	memcpy(r + at, seg, seg_len);
	memcpy(r + at + seg_len, jpeg + at, len - at);
	*out_len = len + seg_len;
	return r;
}

/* An upright scene no turn or mirror maps onto itself: 8 x 8 blocks (one
 * JPEG block each, so quality 100 keeps them) of distinct greys. */
static struct pic scene(void)
{
	struct pic u = pic_new(48, 32);
	for (int y = 0; y < u.h; y++)
		for (int x = 0; x < u.w; x++)
			u.p[(size_t)y * 48 + (size_t)x] = (uint8_t)(20 + 9 * ((x / 8) + 6 * (y / 8)));
	return u;
}

/* img shows u, within JPEG's rounding. */
static int same(const struct phr_image *img, const struct pic *u)
{
	if (img->width != u->w || img->height != u->h)
		return fprintf(stderr, "  %d x %d, expected %d x %d\n", img->width, img->height, u->w, u->h), 0;
	for (int y = 0; y < u->h; y++)
		for (int x = 0; x < u->w; x++) {
			int d = img->grey[(size_t)y * (size_t)u->w + (size_t)x] - at(u, x, y);
			if (d < -2 || d > 2)
				return fprintf(stderr, "  pixel %d,%d: %d, expected %d\n", x, y,
					       img->grey[(size_t)y * (size_t)u->w + (size_t)x], at(u, x, y)), 0;
		}
	return 1;
}

static int every_orientation(void)
{
	struct pic u = scene();
	int bad = 0;
	for (int be = 0; be < 2; be++)
		for (int o = 1; o <= 8; o++) {
			struct pic s = stored_for(&u, o);
			size_t jl, fl, sl;
			uint8_t seg[128];
			uint8_t *j = write_jpeg(&s, &jl);
			sl = exif_segment(seg, o, be, 3, 1);
			uint8_t *f = with_segment(j, jl, seg, sl, 2, &fl);
			struct phr_image img;
			int rc = phr_image_load(f, fl, &img);
			if (rc != PHR_OK || !same(&img, &u)) {
				fprintf(stderr, "  orientation %d (%s): not upright\n", o, be ? "MM" : "II");
				bad = 1;
			}
			/* without the tag: as stored */
			phr_image_free(&img);
			if (phr_image_load(j, jl, &img) != PHR_OK || !same(&img, &s)) {
				fprintf(stderr, "  orientation %d: the file without EXIF is not as stored\n", o);
				bad = 1;
			}
			phr_image_free(&img);
			free(f);
			free(j);
			free(s.p);
		}
	free(u.p);
	return bad;
}

/* Loads jpeg with seg at offset at; 0 when it comes out as stored. */
static int as_stored(const uint8_t *jpeg, size_t len, const uint8_t *seg, size_t seg_len, size_t at,
		     const struct pic *stored, const char *what)
{
	size_t fl;
	uint8_t *f = with_segment(jpeg, len, seg, seg_len, at, &fl);
	struct phr_image img;
	int rc = phr_image_load(f, fl, &img);
	int ok = rc == PHR_OK && same(&img, stored);
	if (!ok)
		fprintf(stderr, "  %s: rc %d, not as stored\n", what, rc);
	phr_image_free(&img);
	free(f);
	return !ok;
}

/* A tag that is wrong in any way reads as 1; the picture is still read. */
static int damaged_tags(void)
{
	struct pic u = scene();
	struct pic s = stored_for(&u, 6);
	size_t jl, sl;
	uint8_t seg[128], bad_seg[128];
	uint8_t *j = write_jpeg(&s, &jl);
	int bad = 0;
	sl = exif_segment(seg, 0, 0, 3, 1);
	bad |= as_stored(j, jl, seg, sl, 2, &s, "orientation 0");
	sl = exif_segment(seg, 9, 1, 3, 1);
	bad |= as_stored(j, jl, seg, sl, 2, &s, "orientation 9");
	sl = exif_segment(seg, 6, 0, 4, 1);
	bad |= as_stored(j, jl, seg, sl, 2, &s, "type LONG");
	sl = exif_segment(seg, 6, 0, 3, 2);
	bad |= as_stored(j, jl, seg, sl, 2, &s, "count 2");
	/* the TIFF header: byte order, 42, IFD0 offset */
	sl = exif_segment(seg, 6, 0, 3, 1);
	memcpy(bad_seg, seg, sl), memcpy(bad_seg + 10, "IM", 2);
	bad |= as_stored(j, jl, bad_seg, sl, 2, &s, "byte order IM");
	memcpy(bad_seg, seg, sl), bad_seg[12] = 43;
	bad |= as_stored(j, jl, bad_seg, sl, 2, &s, "not 42");
	memcpy(bad_seg, seg, sl), put32(bad_seg + 14, 0xfffffff0u, 0);
	bad |= as_stored(j, jl, bad_seg, sl, 2, &s, "IFD0 beyond the segment");
	memcpy(bad_seg, seg, sl), put32(bad_seg + 14, 4, 0);
	bad |= as_stored(j, jl, bad_seg, sl, 2, &s, "IFD0 inside the header");
	memcpy(bad_seg, seg, sl), put16(bad_seg + 18, 0xffff, 0);
	put16(bad_seg + 20 + 12, 0x0113, 0); /* the orientation entry is another tag: read on, past the end */
	bad |= as_stored(j, jl, bad_seg, sl, 2, &s, "65535 entries");
	/* cut short: the segment ends inside the orientation entry */
	for (size_t cut = 10; cut < 44; cut += 3) {
		memcpy(bad_seg, seg, sl);
		bad_seg[2] = 0, bad_seg[3] = (uint8_t)(cut - 2);
		char what[40];
		snprintf(what, sizeof(what), "segment of %zu bytes", cut);
		bad |= as_stored(j, jl, bad_seg, cut, 2, &s, what);
	}
	/* a segment length past the end of the file: libjpeg refuses the
	 * file, the orientation reader reads nothing beyond it */
	memcpy(bad_seg, seg, sl), bad_seg[2] = 0xff, bad_seg[3] = 0xff;
	size_t fl;
	uint8_t *f = with_segment(j, jl, bad_seg, sl, 2, &fl);
	struct phr_image img;
	CHECK_RC(phr_image_load(f, fl, &img), PHR_E_IMAGE);
	free(f);
	/* APP1 that is not Exif (XMP) */
	memcpy(bad_seg, seg, sl), memcpy(bad_seg + 4, "Exig", 4);
	bad |= as_stored(j, jl, bad_seg, sl, 2, &s, "not Exif");
	/* an Exif segment after the first scan is not the picture's */
	size_t sos = 0;
	for (size_t i = 2; i + 1 < jl && !sos; i++)
		if (j[i] == 0xff && j[i + 1] == 0xda)
			sos = i;
	CHECK(sos > 0);
	sl = exif_segment(seg, 6, 0, 3, 1);
	bad |= as_stored(j, jl, seg, sl, jl - 2, &s, "Exif after the scan");
	free(u.p);
	free(j);
	free(s.p);
	return bad;
}

/* Fill bytes, other segments first, and two Exif segments: the first counts. */
static int segments_before(void)
{
	struct pic u = scene();
	struct pic s = stored_for(&u, 8);
	size_t jl, sl, f1l, f2l;
	uint8_t seg[128], two[260];
	uint8_t *j = write_jpeg(&s, &jl); /* SOI, then APP0 (JFIF) */
	sl = exif_segment(seg, 8, 1, 3, 1);
	memcpy(two, "\xff\xff\xff", 3); /* fill bytes before the marker */
	memcpy(two + 3, seg, sl);
	size_t tl = 3 + sl + exif_segment(two + 3 + sl, 3, 0, 3, 1);
	size_t app0 = 4 + ((size_t)j[4] << 8 | j[5]); /* after the JFIF segment */
	uint8_t *f1 = with_segment(j, jl, two, tl, app0, &f1l);
	struct phr_image img;
	CHECK_RC(phr_image_load(f1, f1l, &img), PHR_OK);
	int ok = same(&img, &u);
	phr_image_free(&img);
	/* and a segment beyond EXIF_MAX_SEGMENTS is not looked at */
	uint8_t *many = malloc(70 * 4 + sl);
	CHECK(many);
	for (int i = 0; i < 70; i++)
		memcpy(many + 4 * i, "\xff\xe2\x00\x02", 4);
	memcpy(many + 280, seg, sl);
	uint8_t *f2 = with_segment(j, jl, many, 280 + sl, 2, &f2l);
	CHECK_RC(phr_image_load(f2, f2l, &img), PHR_OK);
	ok = ok && same(&img, &s);
	phr_image_free(&img);
	free(many);
	free(f1);
	free(f2);
	free(j);
	free(s.p);
	free(u.p);
	CHECK(ok);
	return 0;
}

/* A photo of a page stored on its side (orientation 6, as a phone held
 * upright writes it): the code is read, at its upright place. */
static int scanner_sees_it_upright(void)
{
	static const char payload[] = "EXIF ORIENTATION TEST 0123456789";
	struct phr_qr *q;
	uint8_t *png;
	size_t png_len;
	struct phr_image code, img;
	CHECK_RC(phr_qr_make((const uint8_t *)payload, strlen(payload), PHR_CHUNK_BASE45, PHR_ECC_M, 10, &q), PHR_OK);
	CHECK_RC(phr_qr_png(q, 4, 4, &png, &png_len), PHR_OK);
	CHECK_RC(phr_image_load(png, png_len, &code), PHR_OK);
	struct pic u = pic_new(400, 240);
	memset(u.p, 255, 400 * 240);
	for (int y = 0; y < code.height; y++) /* top left of the upright page */
		memcpy(u.p + (size_t)(16 + y) * 400 + 16, code.grey + (size_t)y * (size_t)code.width, (size_t)code.width);
	struct pic s = stored_for(&u, 6);
	size_t jl, sl, fl;
	uint8_t seg[128];
	uint8_t *j = write_jpeg(&s, &jl);
	sl = exif_segment(seg, 6, 1, 3, 1);
	uint8_t *f = with_segment(j, jl, seg, sl, 2, &fl);
	CHECK_RC(phr_image_load(f, fl, &img), PHR_OK);
	CHECK(img.width == 400 && img.height == 240);
	struct phr_scan_result *r = calloc(1, sizeof(*r));
	CHECK(r);
	CHECK_RC(phr_scan_image(&img, r), PHR_OK);
	CHECK(r->n == 1 && r->codes[0].len == strlen(payload) && !memcmp(r->codes[0].data, payload, r->codes[0].len));
	int cx = 16 + code.width / 2, cy = 16 + code.height / 2;
	CHECK(abs(r->codes[0].x - cx) < 12 && abs(r->codes[0].y - cy) < 12);
	phr_scan_result_free(r);
	free(r);
	phr_image_free(&img);
	phr_image_free(&code);
	free(f);
	free(j);
	free(s.p);
	free(u.p);
	free(png);
	phr_qr_free(q);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "each of the 8 orientations, both byte orders", every_orientation },
		{ "a damaged tag reads as 1", damaged_tags },
		{ "fill bytes, segments before, the first Exif counts", segments_before },
		{ "the scanner reads a photo stored on its side", scanner_sees_it_upright },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
