/* QR codes in a grey picture: ZBar and zxing-cpp (zxing.h), and a cascade
 * of treatments for what they miss (docs/QR.md gives the measurements
 * behind each one). Every code of the picture is looked for: once every
 * record seen is complete, a survey of finder patterns tells whether
 * another code is there, not read yet (another document in the photo);
 * the ones no treatment reads are reported as seen and not read.
 *
 * ZBar is used with QR only and its binary option, so that the bytes of a
 * byte-mode symbol come back as they were encoded (without it ZBar guesses
 * a character set and rewrites bytes >= 0x80). Every treatment is plain C
 * on the grey buffer and holds at most two pictures at a time besides the
 * one passed in (the one it starts from and the one it makes), each no
 * larger than the input or, for the 2x upscale and the rectified views,
 * a fixed number of pixels. */
#include "phr/scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#include "phr/chunk.h"
#include "zxing.h"

/* A picture with a longer side than REDUCE_ABOVE gets a first pass on an
 * area-averaged copy whose longer side is at most REDUCE_TARGET: a 12 MP
 * phone photo of an A6 page still has 3-5 px per module after it, and
 * ZBar's time grows with the pixels it scans. */
#define REDUCE_ABOVE 2000
#define REDUCE_TARGET 1400
/* The filters (stretch, median, thresholds) of a picture with a longer
 * side above WORK_SIDE work on an area-averaged copy no larger: a 12 MP
 * photo's modules are large enough at half size, and each filter costs 4x
 * less there. 300 dpi scans of A4 pages stay whole. */
#define WORK_SIDE 3600
/* Contrast stretch: skipped when the 1st-99th percentile range is already
 * this wide. */
#define STRETCH_MIN_RANGE 160
/* Adaptive threshold: local mean over a block x block window, a pixel is
 * dark when it is more than THRESH_C below it. Two passes: THRESH_BLOCK
 * (several modules: noise, low contrast, stains) and THRESH_FINE_BLOCK
 * (about two modules at 300 dpi: heavy blur, where it acts as a sharpening;
 * it leaves large dark areas hollow, hence the first one). */
#define THRESH_BLOCK 41
#define THRESH_FINE_BLOCK 21
#define THRESH_C 5
/* The 2x upscale quadruples the pixels: only for pictures up to this size
 * after upscaling, where small modules are likely. */
#define UPSCALE_MAX_PIXELS (16u * 1000 * 1000)
/* The survey (finder patterns, for rectification and for the codes seen
 * and not read) works on the picture area-averaged to a longer side of at
 * most SURVEY_SIDE: a 12 MP photo whole, so that a wallet card's code
 * seen at an angle beside a booklet (2-3 px per module) is seen; about
 * 45 ms there, at half size it missed one card in five. Rectification
 * makes views of at most RECTIFY_OUT pixels a side, for at most
 * RECTIFY_TRIES triples of finder patterns. */
#define SURVEY_SIDE 4096
#define RECTIFY_OUT 2400
#define RECTIFY_TRIES 4
#define MAX_FINDERS 256
/* Keystone bank: the picture, area-averaged to a longer side of about
 * KEYSTONE_SIDE, warped by a keystone of strength KEYSTONE_STRENGTH in
 * each of KEYSTONE_DIRS directions in turn. */
#define KEYSTONE_SIDE 1000
#define KEYSTONE_STRENGTH 0.2
#define KEYSTONE_DIRS 8

/* Codes seen but not read: at most MAX_CANDIDATES finder patterns (not in
 * a code read) are paired into symbols, and at most that many symbols
 * zxing-cpp located without decoding them are kept. A triple of finder
 * patterns counts as a symbol only when it looks like one closely:
 * pattern sizes within CAND_SIZE_RATIO, the two legs within
 * CAND_LEG_RATIO of each other and at least CAND_MIN_LEG modules long
 * (version 1: 14). */
#define MAX_CANDIDATES 64
#define CAND_SIZE_RATIO 2.0
#define CAND_LEG_RATIO 1.6
#define CAND_MIN_LEG 12
#define CAND_MAX_LEG 180 /* version 40: 170 */
#define CAND_SQUARE 1.5  /* a finder pattern's width against its height */
#define CAND_TIMING 0.7  /* timing modules that must alternate as they should */

#define PI 3.14159265358979323846

/* A grey picture: the one passed in, or one a treatment made. Its points
 * map to the picture passed in through hm (to the base it was warped from,
 * in continuous coordinates: pixel i covers [i, i + 1)), then the base's
 * scale: image = (base + 0.5) * s - 0.5. */
struct view {
	int w, h;
	const uint8_t *p;
	uint8_t *owned;
	double sx, sy;
	int warped;
	double hm[9];
};

/* A phr chunk set as seen so far, for the stopping rule. */
struct seen_set {
	uint8_t prefix[PHR_CHUNK_PREFIX_BYTES], tag[PHR_CHUNK_TAG_LEN];
	unsigned k, m;
	size_t container_len, data_len;
	uint8_t have[PHR_MAX_CHUNKS / 8 + 1];
	unsigned n_have;
};

struct finder;

struct scanner {
	zbar_image_scanner_t *zs;
	const struct phr_image *img;
	struct phr_scan_result *out;
	int stop; /* apply the stopping rule (not for phr_scan_pass) */
	/* the survey, made once: finder patterns on a threshold of the picture
	 * reduced to SURVEY_SIDE (base), for rectify and for the codes seen
	 * and not read */
	int surveyed;
	struct view base, bin; /* the picture the survey saw, and its threshold */
	struct finder *f;
	size_t n_f;
	/* symbols zxing-cpp located and could not decode (image coordinates) */
	double failed[MAX_CANDIDATES][4][2];
	size_t n_failed;
	/* corners of every code found, in image coordinates: the rectifier
	 * skips finder patterns inside them */
	double quad[PHR_MAX_CODES_PER_IMAGE][4][2];
	int has_quad[PHR_MAX_CODES_PER_IMAGE];
	struct seen_set sets[PHR_MAX_CODES_PER_IMAGE];
	size_t n_sets;
	uint8_t chunk_buf[PHR_MAX_QR_PAYLOAD];
};

static const char *const pass_names[PHR_PASS_COUNT] = {
	"reduced", "as-is", "zxing", "half", "smooth", "rectify", "stretch", "median", "threshold", "threshold-fine", "upscale", "keystone",
};

const char *phr_scan_pass_name(int pass)
{
	return pass >= 0 && pass < PHR_PASS_COUNT ? pass_names[pass] : "unknown";
}

static void view_of_image(const struct phr_image *img, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->w = img->width;
	v->h = img->height;
	v->p = img->grey;
	v->sx = v->sy = 1;
}

/* A new view of src's geometry (and src's map to the image), owning out. */
static int made(const struct view *src, int w, int h, uint8_t *out, struct view *v)
{
	*v = *src;
	v->w = w;
	v->h = h;
	v->p = v->owned = out;
	return 1;
}

static int no_memory(const char *what, const struct view *src)
{
	return phr_fail(PHR_E_NOMEM, "scan: no memory to %s a %d x %d picture", what, src->w, src->h);
}

/* ---- treatments: each returns 1 with a view made, 0 when it does not
 * apply to this picture, or a negative phr error ------------------------- */

/* Area average over f x f blocks (the last partial row and column dropped). */
static int area_down(const struct view *src, int f, struct view *v)
{
	size_t w = (size_t)src->w / (size_t)f, h = (size_t)src->h / (size_t)f;
	if (src->warped || w < 21 || h < 21)
		return 0; /* smaller than one version-1 symbol: nothing to find */
	uint8_t *out = malloc(w * h);
	uint32_t *acc = malloc(w * sizeof(*acc));
	if (!out || !acc) {
		free(out);
		free(acc);
		return no_memory("reduce", src);
	}
	unsigned area = (unsigned)(f * f);
	for (size_t y = 0; y < h; y++) {
		memset(acc, 0, w * sizeof(*acc));
		for (int dy = 0; dy < f; dy++) {
			const uint8_t *row = src->p + (y * (size_t)f + (size_t)dy) * (size_t)src->w;
			for (size_t x = 0; x < w; x++) {
				const uint8_t *p = row + x * (size_t)f;
				uint32_t s = 0;
				for (int dx = 0; dx < f; dx++)
					s += p[dx];
				acc[x] += s;
			}
		}
		for (size_t x = 0; x < w; x++)
			out[y * w + x] = (uint8_t)((acc[x] + area / 2) / area);
	}
	free(acc);
	made(src, (int)w, (int)h, out, v);
	v->sx *= f;
	v->sy *= f;
	return 1;
}

/* Min-max stretch between the 1st and 99th percentiles, so that a few
 * specks do not hold the range. Skipped when the range is already wide. */
static int stretch(const struct view *src, struct view *v)
{
	size_t n = (size_t)src->w * (size_t)src->h, hist[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		hist[src->p[i]]++;
	size_t cut = n / 100, c = 0;
	int lo = 0, hi = 255;
	while (lo < 255 && (c += hist[lo]) <= cut)
		lo++;
	c = 0;
	while (hi > 0 && (c += hist[hi]) <= cut)
		hi--;
	if (hi - lo >= STRETCH_MIN_RANGE || hi <= lo)
		return 0;
	uint8_t map[256];
	for (int i = 0; i < 256; i++)
		map[i] = i <= lo ? 0 : i >= hi ? 255 : (uint8_t)((i - lo) * 255 / (hi - lo));
	uint8_t *out = malloc(n);
	if (!out)
		return no_memory("stretch", src);
	for (size_t i = 0; i < n; i++)
		out[i] = map[src->p[i]];
	return made(src, src->w, src->h, out, v);
}

#define SORT2(a, b)                       \
	do {                              \
		if ((a) > (b)) {          \
			uint8_t t_ = (a); \
			(a) = (b);        \
			(b) = t_;         \
		}                         \
	} while (0)

/* Median of 9 with 19 compare-exchanges (Paeth's network). */
static uint8_t med9(uint8_t p0, uint8_t p1, uint8_t p2, uint8_t p3, uint8_t p4, uint8_t p5, uint8_t p6, uint8_t p7,
		    uint8_t p8)
{
	SORT2(p1, p2); SORT2(p4, p5); SORT2(p7, p8); SORT2(p0, p1); SORT2(p3, p4); SORT2(p6, p7);
	SORT2(p1, p2); SORT2(p4, p5); SORT2(p7, p8); SORT2(p0, p3); SORT2(p5, p8); SORT2(p4, p7);
	SORT2(p3, p6); SORT2(p1, p4); SORT2(p2, p5); SORT2(p4, p7); SORT2(p4, p2); SORT2(p6, p4);
	SORT2(p4, p2);
	return p4;
}

/* 3 x 3 median; the border rows and columns are copied. */
static int median3(const struct view *src, struct view *v)
{
	size_t w = (size_t)src->w, h = (size_t)src->h;
	if (w < 3 || h < 3)
		return 0;
	uint8_t *out = malloc(w * h);
	if (!out)
		return no_memory("filter", src);
	memcpy(out, src->p, w);
	memcpy(out + (h - 1) * w, src->p + (h - 1) * w, w);
	for (size_t y = 1; y + 1 < h; y++) {
		const uint8_t *a = src->p + (y - 1) * w, *b = a + w, *c = b + w;
		uint8_t *o = out + y * w;
		o[0] = b[0];
		o[w - 1] = b[w - 1];
		for (size_t x = 1; x + 1 < w; x++)
			o[x] = med9(a[x - 1], a[x], a[x + 1], b[x - 1], b[x], b[x + 1], c[x - 1], c[x], c[x + 1]);
	}
	return made(src, src->w, src->h, out, v);
}

/* Black where a pixel is THRESH_C below the mean of its block x block
 * window (clipped at the borders), white elsewhere. Column sums slide down
 * the picture, so the extra memory is one row of sums. */
static int threshold(const struct view *src, int block, struct view *v)
{
	size_t w = (size_t)src->w, h = (size_t)src->h;
	const size_t r = (size_t)block / 2;
	uint8_t *out = malloc(w * h);
	uint32_t *col = calloc(w, sizeof(*col));
	if (!out || !col) {
		free(out);
		free(col);
		return no_memory("threshold", src);
	}
	/* col[x] = sum of rows [top, bottom) in column x */
	size_t top = 0, bottom = 0;
	for (size_t y = 0; y < h; y++) {
		size_t want_top = y > r ? y - r : 0, want_bottom = y + r + 1 < h ? y + r + 1 : h;
		for (; bottom < want_bottom; bottom++)
			for (size_t x = 0; x < w; x++)
				col[x] += src->p[bottom * w + x];
		for (; top < want_top; top++)
			for (size_t x = 0; x < w; x++)
				col[x] -= src->p[top * w + x];
		uint32_t rows = (uint32_t)(bottom - top), sum = 0;
		size_t left = 0, right = 0;
		const uint8_t *in = src->p + y * w;
		uint8_t *o = out + y * w;
		for (size_t x = 0; x < w; x++) {
			size_t want_left = x > r ? x - r : 0, want_right = x + r + 1 < w ? x + r + 1 : w;
			for (; right < want_right; right++)
				sum += col[right];
			for (; left < want_left; left++)
				sum -= col[left];
			uint64_t n = (uint64_t)rows * (uint64_t)(right - left);
			/* in < mean - C  <=>  (in + C) * n < sum */
			o[x] = ((uint64_t)in[x] + THRESH_C) * n < sum ? 0 : 255;
		}
	}
	free(col);
	return made(src, src->w, src->h, out, v);
}

/* The binomial 1 4 6 4 1 both ways (about a Gaussian of sigma 1), in
 * place: the blur itself, or with unsharp set the unsharp mask
 * p + (p - blur(p)). Horizontal sums of rows not yet overwritten pass
 * through a ring of 5 rows, the extra memory. */
static int binomial5(uint8_t *p, size_t w, size_t h, int unsharp)
{
	uint16_t *ring = malloc(5 * w * sizeof(*ring));
	if (!ring)
		return phr_fail(PHR_E_NOMEM, "scan: no memory to filter a %zu x %zu picture", w, h);
	for (size_t y = 0; y < h + 2; y++) {
		if (y < h) {
			const uint8_t *in = p + y * w;
			uint16_t *o = ring + (y % 5) * w;
			for (size_t x = 0; x < w; x++) {
				size_t x0 = x >= 2 ? x - 2 : 0, x1 = x >= 1 ? x - 1 : 0;
				size_t x3 = x + 1 < w ? x + 1 : w - 1, x4 = x + 2 < w ? x + 2 : w - 1;
				o[x] = (uint16_t)(in[x0] + 4 * in[x1] + 6 * in[x] + 4 * in[x3] + in[x4]);
			}
		}
		/* row y - 2 now has the sums of its four neighbours (clamped) */
		if (y < 2)
			continue;
		size_t c = y - 2;
		const uint16_t *r[5];
		for (int k = -2; k <= 2; k++) {
			long yy = (long)c + k;
			yy = yy < 0 ? 0 : yy >= (long)h ? (long)h - 1 : yy;
			r[k + 2] = ring + ((size_t)yy % 5) * w;
		}
		uint8_t *o = p + c * w;
		for (size_t x = 0; x < w; x++) {
			int blur = (r[0][x] + 4 * r[1][x] + 6 * r[2][x] + 4 * r[3][x] + r[4][x] + 128) >> 8;
			int v = unsharp ? 2 * o[x] - blur : blur;
			o[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
	free(ring);
	return PHR_OK;
}

/* Half size, then the binomial blur: together about a Gaussian of sigma 2
 * at full size, which averages out noise that 2 x 2 blocks leave. */
static int smooth(const struct view *src, struct view *v)
{
	int rc = area_down(src, 2, v);
	if (rc <= 0)
		return rc;
	if ((rc = binomial5(v->owned, (size_t)v->w, (size_t)v->h, 0)) < 0) {
		free(v->owned);
		return rc;
	}
	return 1;
}

/* Bilinear 2x, then the unsharp mask: output pixel centres fall at quarter
 * positions of the input; sharpening undoes part of the blur that area
 * averaging put into modules of 1-2 px. */
static int upscale2(const struct view *src, struct view *v)
{
	size_t w = (size_t)src->w, h = (size_t)src->h;
	if (src->warped || w * h > UPSCALE_MAX_PIXELS / 4)
		return 0;
	size_t ow = 2 * w, oh = 2 * h;
	uint8_t *out = malloc(ow * oh);
	if (!out)
		return no_memory("upscale", src);
	for (size_t oy = 0; oy < oh; oy++) {
		/* the two source rows and the weight of the second, in quarters */
		size_t y0 = oy / 2, y1 = y0;
		unsigned wy = 0;
		if (oy & 1) {
			y1 = y0 + 1 < h ? y0 + 1 : y0;
			wy = 1;
		} else if (oy > 0) {
			y0 = oy / 2 - 1;
			y1 = oy / 2;
			wy = 3;
		}
		const uint8_t *a = src->p + y0 * w, *b = src->p + y1 * w;
		uint8_t *o = out + oy * ow;
		for (size_t ox = 0; ox < ow; ox++) {
			size_t x0 = ox / 2, x1 = x0;
			unsigned wx = 0;
			if (ox & 1) {
				x1 = x0 + 1 < w ? x0 + 1 : x0;
				wx = 1;
			} else if (ox > 0) {
				x0 = ox / 2 - 1;
				x1 = ox / 2;
				wx = 3;
			}
			unsigned t = a[x0] * (4 - wx) + a[x1] * wx, bt = b[x0] * (4 - wx) + b[x1] * wx;
			o[ox] = (uint8_t)((t * (4 - wy) + bt * wy + 8) / 16);
		}
	}
	int rc = binomial5(out, ow, oh, 1);
	if (rc < 0) {
		free(out);
		return rc;
	}
	made(src, (int)ow, (int)oh, out, v);
	v->sx *= 0.5;
	v->sy *= 0.5;
	return 1;
}

/* ---- geometry -------------------------------------------------------------- */

static void mat_mul(const double a[9], const double b[9], double out[9])
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
}

/* Point x, y (continuous) through the homography m. 0 when behind the eye. */
static int project(const double m[9], double x, double y, double *ox, double *oy)
{
	double w = m[6] * x + m[7] * y + m[8];
	if (!(w > 1e-9))
		return 0;
	*ox = (m[0] * x + m[1] * y + m[2]) / w;
	*oy = (m[3] * x + m[4] * y + m[5]) / w;
	return 1;
}

/* A w x h view whose pixel centre (X + 0.5, Y + 0.5) shows src at m(X +
 * 0.5, Y + 0.5), bilinear, white outside src. src must not be warped. */
static int warp(const struct view *src, const double m[9], int w, int h, struct view *v)
{
	size_t ow = (size_t)w, oh = (size_t)h, sw = (size_t)src->w;
	uint8_t *out = malloc(ow * oh);
	if (!out)
		return no_memory("warp", src);
	for (size_t y = 0; y < oh; y++) {
		double yc = (double)y + 0.5;
		for (size_t x = 0; x < ow; x++) {
			double sx, sy;
			uint8_t *o = out + y * ow + x;
			if (!project(m, (double)x + 0.5, yc, &sx, &sy) || !(sx >= 0.5 && sy >= 0.5) ||
			    !(sx < src->w - 0.5 && sy < src->h - 0.5)) {
				*o = 255;
				continue;
			}
			sx -= 0.5;
			sy -= 0.5;
			size_t x0 = (size_t)sx, y0 = (size_t)sy;
			unsigned ax = (unsigned)((sx - (double)x0) * 256), ay = (unsigned)((sy - (double)y0) * 256);
			const uint8_t *a = src->p + y0 * sw + x0, *b = a + sw;
			unsigned t = a[0] * (256 - ax) + a[1] * ax, bt = b[0] * (256 - ax) + b[1] * ax;
			*o = (uint8_t)((t * (256 - ay) + bt * ay + 32768) >> 16);
		}
	}
	made(src, w, h, out, v);
	v->warped = 1;
	memcpy(v->hm, m, sizeof(v->hm));
	return 1;
}

/* A point of a view (pixel coordinates) in the picture passed in. */
static void view_to_image(const struct view *v, double x, double y, double *ix, double *iy)
{
	if (v->warped && project(v->hm, x + 0.5, y + 0.5, &x, &y)) {
		x -= 0.5;
		y -= 0.5;
	}
	*ix = (x + 0.5) * v->sx - 0.5;
	*iy = (y + 0.5) * v->sy - 0.5;
}

/* The base a geometric pass works on: the picture, area-averaged when its
 * longer side is above side (f rounded as round or ceil says). */
static int geometry_base(const struct phr_image *img, int side, int ceil_f, struct view *base)
{
	int longer = img->width > img->height ? img->width : img->height;
	int f = ceil_f ? (longer + side - 1) / side : (longer + side / 2) / side;
	view_of_image(img, base);
	return f > 1 ? area_down(base, f, base) : 1;
}

/* The keystone x' = x / w, y' = y / w, w = 1 + p x + q y, about the centre
 * of src (p, q relative to its half diagonal): a view of the whole of src. */
static int keystone(const struct view *src, double kp, double kq, struct view *v)
{
	double cx = src->w / 2.0, cy = src->h / 2.0, r = sqrt(cx * cx + cy * cy);
	double p = kp / r, q = kq / r, minx = 1e30, miny = 1e30, maxx = -1e30, maxy = -1e30;
	for (int i = 0; i < 4; i++) {
		double x = (i & 1 ? src->w : 0) - cx, y = (i & 2 ? src->h : 0) - cy, w = 1 + p * x + q * y;
		minx = fmin(minx, x / w);
		maxx = fmax(maxx, x / w);
		miny = fmin(miny, y / w);
		maxy = fmax(maxy, y / w);
	}
	/* the inverse, (x, y) = (x', y') / (1 - p x' - q y'), shifted so that
	 * the view starts at (minx, miny) and src's centre is the origin */
	double t[9] = { 1, 0, minx, 0, 1, miny, 0, 0, 1 };
	double inv[9] = { 1 - p * cx, -q * cx, cx, -p * cy, 1 - q * cy, cy, -p, -q, 1 };
	double m[9];
	mat_mul(inv, t, m);
	return warp(src, m, (int)(maxx - minx) + 1, (int)(maxy - miny) + 1, v);
}

/* ---- finder patterns and rectification ----------------------------------- */

struct finder {
	double x, y, sh, sv; /* centre (continuous coordinates); extent along the row and the column */
	int hits;
};

/* Runs b w b w b in the proportions 1:1:3:1:1, within half a module. */
static int finder_ratio(const int r[5])
{
	int total = r[0] + r[1] + r[2] + r[3] + r[4];
	if (total < 7)
		return 0;
	double m = total / 7.0, tol = m * 0.6;
	return fabs(r[0] - m) <= tol && fabs(r[1] - m) <= tol && fabs(r[2] - 3 * m) <= 3 * tol &&
	       fabs(r[3] - m) <= tol && fabs(r[4] - m) <= tol;
}

/* The five runs through (x, y) along the column (dx = 0) or row (dx = 1)
 * of a binary picture; the centre run holds (x, y). Sets *centre (the
 * middle of the centre run) and *total; 0 when the runs are not a finder. */
static int cross_check(const struct view *bin, int x, int y, int dx, int max_total, double *centre, int *total)
{
	int len = dx ? bin->w : bin->h, pos = dx ? x : y;
	const uint8_t *p = dx ? bin->p + (size_t)y * (size_t)bin->w : bin->p + x;
	size_t step = dx ? 1 : (size_t)bin->w;
#define AT(i) (p[(size_t)(i) * step] == 0)
	if (!AT(pos))
		return 0;
	int r[5] = { 0 }, i = pos, end_lo, end_hi;
	/* up or left: centre, light, dark */
	while (i >= 0 && AT(i) && r[2] <= max_total)
		r[2]++, i--;
	while (i >= 0 && !AT(i) && r[1] <= max_total)
		r[1]++, i--;
	while (i >= 0 && AT(i) && r[0] <= max_total)
		r[0]++, i--;
	end_lo = pos - r[2] + 1;
	i = pos + 1;
	while (i < len && AT(i) && r[2] <= max_total)
		r[2]++, i++;
	end_hi = i;
	while (i < len && !AT(i) && r[3] <= max_total)
		r[3]++, i++;
	while (i < len && AT(i) && r[4] <= max_total)
		r[4]++, i++;
#undef AT
	if (!r[0] || !r[1] || !r[3] || !r[4] || !finder_ratio(r))
		return 0;
	*centre = (end_lo + end_hi) / 2.0;
	*total = r[0] + r[1] + r[2] + r[3] + r[4];
	return *total <= max_total;
}

/* A real finder pattern is hit on every row through its centre run, 3 of
 * its 7 modules, and is about as tall as it is wide; patterns in a
 * symbol's data are hit on a few rows only. */
static int finder_real(const struct finder *f)
{
	return f->hits >= 2 && f->hits >= 0.3 * f->sv && f->sh < 3 * f->sv && f->sv < 3 * f->sh;
}

static void add_finder(struct finder *f, size_t *n, double x, double y, double sh, double sv, int row)
{
	for (size_t i = 0; i < *n; i++) {
		if (fabs(f[i].x - x) < f[i].sh / 3 && fabs(f[i].y - y) < f[i].sv / 3 && sh < 1.5 * f[i].sh &&
		    f[i].sh < 1.5 * sh && sv < 1.5 * f[i].sv && f[i].sv < 1.5 * sv) {
			double k = f[i].hits;
			f[i].x = (f[i].x * k + x) / (k + 1);
			f[i].y = (f[i].y * k + y) / (k + 1);
			f[i].sh = (f[i].sh * k + sh) / (k + 1);
			f[i].sv = (f[i].sv * k + sv) / (k + 1);
			f[i].hits++;
			return;
		}
	}
	if (*n == MAX_FINDERS) {
		/* full: forget the patterns the scan has left behind that were not real */
		size_t kept = 0;
		for (size_t i = 0; i < *n; i++)
			if (f[i].y + f[i].sv / 2 >= row || finder_real(&f[i]))
				f[kept++] = f[i];
		*n = kept;
	}
	if (*n < MAX_FINDERS)
		f[(*n)++] = (struct finder){ x, y, sh, sv, 1 };
}

/* Finder patterns of a binary picture: 1:1:3:1:1 along a row, confirmed
 * along the column through its centre and again along the row through the
 * confirmed centre. Returns how many (at most MAX_FINDERS). */
static size_t find_finders(const struct view *bin, struct finder *f)
{
	size_t n = 0;
	int max_total = (bin->w < bin->h ? bin->w : bin->h) / 3;
	for (int y = 0; y < bin->h; y++) {
		const uint8_t *row = bin->p + (size_t)y * (size_t)bin->w;
		int r[5] = { 0 }, nr = 0, x = 0;
		while (x < bin->w) {
			int dark = row[x] == 0, start = x;
			while (x < bin->w && (row[x] == 0) == dark)
				x++;
			/* keep the last five runs, the newest at r[4] */
			memmove(r, r + 1, 4 * sizeof(*r));
			r[4] = x - start;
			nr++;
			if (!dark || nr < 5 || !finder_ratio(r))
				continue;
			int cx = x - r[4] - r[3] - r[2] + r[2] / 2, tv, th;
			double cy, cx2;
			if (cross_check(bin, cx, y, 0, max_total, &cy, &tv) &&
			    cross_check(bin, cx, (int)cy, 1, max_total, &cx2, &th))
				add_finder(f, &n, cx2, cy, th, tv, y);
		}
	}
	return n;
}

static int inside_quad(const double q[4][2], double x, double y)
{
	int pos = 0, neg = 0;
	for (int i = 0; i < 4; i++) {
		const double *a = q[i], *b = q[(i + 1) % 4];
		double c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
		pos += c > 0;
		neg += c < 0;
	}
	return !pos || !neg;
}

/* A finder pattern lies in a code already read. */
static int already_read(const struct scanner *s, const struct view *v, const struct finder *f)
{
	double ix, iy;
	view_to_image(v, f->x - 0.5, f->y - 0.5, &ix, &iy); /* continuous to pixel coordinates */
	for (size_t i = 0; i < s->out->n; i++)
		if (s->has_quad[i] && inside_quad(s->quad[i], ix, iy))
			return 1;
	return 0;
}

struct triple {
	int ul, ur, dl;
	double score;
};

/* Three finder patterns that may be one code's: UL at the corner opposite
 * the longest side, UR and DL in the order that keeps the code unmirrored,
 * sizes within a factor 3, legs of at least two finders and within a
 * factor 3 of each other, an angle of 45-135 degrees at UL. */
static int make_triple(const struct finder *f, int a, int b, int c, struct triple *t)
{
	int id[3] = { a, b, c };
	double d[3];
	for (int i = 0; i < 3; i++) {
		const struct finder *p = &f[id[(i + 1) % 3]], *q = &f[id[(i + 2) % 3]];
		d[i] = hypot(p->x - q->x, p->y - q->y);
	}
	int u = d[0] >= d[1] && d[0] >= d[2] ? 0 : d[1] >= d[2] ? 1 : 2;
	const struct finder *ul = &f[id[u]], *r = &f[id[(u + 1) % 3]], *l = &f[id[(u + 2) % 3]];
	double s[3], smin = 1e30, smax = 0;
	for (int i = 0; i < 3; i++) {
		s[i] = sqrt(f[id[i]].sh * f[id[i]].sv);
		smin = fmin(smin, s[i]);
		smax = fmax(smax, s[i]);
	}
	double ax = r->x - ul->x, ay = r->y - ul->y, bx = l->x - ul->x, by = l->y - ul->y;
	double la = hypot(ax, ay), lb = hypot(bx, by), cross = ax * by - ay * bx;
	if (smax > 3 * smin || la < 1.8 * smin || lb < 1.8 * smin || la > 3 * lb || lb > 3 * la ||
	    fabs(ax * bx + ay * by) > 0.7072 * la * lb)
		return 0;
	t->ul = id[u];
	t->ur = cross > 0 ? id[(u + 1) % 3] : id[(u + 2) % 3];
	t->dl = cross > 0 ? id[(u + 2) % 3] : id[(u + 1) % 3];
	/* how much it looks like a code: each pattern hit on all rows of its
	 * centre run, similar sizes, a right angle */
	t->score = fabs(ax * bx + ay * by) / (la * lb) * -1 + smin / smax;
	for (int i = 0; i < 3; i++)
		t->score += fmin(1, f[id[i]].hits / (3.0 / 7 * f[id[i]].sv));
	return 1;
}

/* The view of one code, corrected for perspective. In code coordinates
 * (UL = 0,0, UR = 1,0, DL = 0,1) the picture is x = (a u + b v + c) / w,
 * w = g u + h v + 1. A projective map scales areas by 1 / w^3, so the sizes
 * of the three finder patterns give w at UR and DL against UL:
 * 1 + g = (size UL / size UR)^(2/3), and the centres give the rest. What
 * remains is a small error that ZBar absorbs. */
static int rectify(const struct view *base, const struct finder *f, const struct triple *t, struct view *v)
{
	const struct finder *ul = &f[t->ul], *ur = &f[t->ur], *dl = &f[t->dl];
	double s_ul = sqrt(ul->sh * ul->sv), s_ur = sqrt(ur->sh * ur->sv), s_dl = sqrt(dl->sh * dl->sv);
	double g = pow(s_ul / s_ur, 2.0 / 3) - 1, h = pow(s_ul / s_dl, 2.0 / 3) - 1;
	double code[9] = { ur->x * (1 + g) - ul->x, dl->x * (1 + h) - ul->x, ul->x,
			   ur->y * (1 + g) - ul->y, dl->y * (1 + h) - ul->y, ul->y,
			   g, h, 1 };
	double la = hypot(ur->x - ul->x, ur->y - ul->y), lb = hypot(dl->x - ul->x, dl->y - ul->y);
	/* margin: 8 modules (half a finder, the quiet zone and some slack)
	 * beyond the finder centres, in code units */
	double module = (s_ul + s_ur + s_dl) / 21, mu = 8 * module / fmin(la, lb);
	mu = mu < 0.12 ? 0.12 : mu > 1 ? 1 : mu;
	double px = 1.25 * fmax(la, lb);
	if (px * (1 + 2 * mu) > RECTIFY_OUT)
		px = RECTIFY_OUT / (1 + 2 * mu);
	int side = (int)(px * (1 + 2 * mu));
	for (int i = 0; i < 4; i++) {
		double u = i & 1 ? 1 + mu : -mu, vv = i & 2 ? 1 + mu : -mu;
		if (!(g * u + h * vv + 1 > 0.05))
			return 0;
	}
	double to_code[9] = { 1 / px, 0, -mu, 0, 1 / px, -mu, 0, 0, 1 }, m[9];
	mat_mul(code, to_code, m);
	return warp(base, m, side, side, v);
}

/* ---- ZBar and the results ------------------------------------------------- */

/* Notes a phr chunk in its set; other payloads are ignored here. */
static void note_chunk(struct scanner *s, const uint8_t *data, size_t len)
{
	struct phr_chunk c;
	if (phr_chunk_parse(data, len, s->chunk_buf, sizeof(s->chunk_buf), &c) != PHR_OK) {
		phr_clear_error();
		return;
	}
	struct seen_set *set = NULL;
	for (size_t i = 0; i < s->n_sets && !set; i++) {
		struct seen_set *t = &s->sets[i];
		if (!memcmp(t->prefix, c.record_prefix, sizeof(t->prefix)) && !memcmp(t->tag, c.tag, sizeof(t->tag)) &&
		    t->k == c.k && t->m == c.m && t->container_len == c.container_len && t->data_len == c.data_len)
			set = t;
	}
	if (!set) {
		if (s->n_sets == PHR_MAX_CODES_PER_IMAGE)
			return;
		set = &s->sets[s->n_sets++];
		memset(set, 0, sizeof(*set));
		memcpy(set->prefix, c.record_prefix, sizeof(set->prefix));
		memcpy(set->tag, c.tag, sizeof(set->tag));
		set->k = c.k;
		set->m = c.m;
		set->container_len = c.container_len;
		set->data_len = c.data_len;
	}
	if (c.index < PHR_MAX_CHUNKS && !(set->have[c.index / 8] & (1u << (c.index % 8)))) {
		set->have[c.index / 8] |= (uint8_t)(1u << (c.index % 8));
		set->n_have++;
	}
}

/* Every phr set seen holds k distinct chunks (enough to restore its
 * container, parity included). */
static int sets_complete(const struct scanner *s)
{
	for (size_t i = 0; i < s->n_sets; i++)
		if (s->sets[i].n_have < s->sets[i].k)
			return 0;
	return 1;
}

/* A point of the picture lies in a code read. */
static int in_code_read(const struct scanner *s, double ix, double iy)
{
	for (size_t i = 0; i < s->out->n; i++)
		if (s->has_quad[i] && inside_quad(s->quad[i], ix, iy))
			return 1;
	return 0;
}

/* Three finder patterns that look like one symbol closely enough to say a
 * code is there (make_triple is looser: it only picks what to rectify). */
static int looks_like_code(const struct finder *f, const struct triple *t)
{
	const struct finder *ul = &f[t->ul], *ur = &f[t->ur], *dl = &f[t->dl];
	double s[3] = { sqrt(ul->sh * ul->sv), sqrt(ur->sh * ur->sv), sqrt(dl->sh * dl->sv) };
	double smin = fmin(s[0], fmin(s[1], s[2])), smax = fmax(s[0], fmax(s[1], s[2]));
	double module = (s[0] + s[1] + s[2]) / 21;
	double la = hypot(ur->x - ul->x, ur->y - ul->y), lb = hypot(dl->x - ul->x, dl->y - ul->y);
	for (int i = 0; i < 3; i++) {
		const struct finder *p = &f[i == 0 ? t->ul : i == 1 ? t->ur : t->dl];
		if (p->sh > CAND_SQUARE * p->sv || p->sv > CAND_SQUARE * p->sh)
			return 0;
	}
	return smax <= CAND_SIZE_RATIO * smin && la <= CAND_LEG_RATIO * lb && lb <= CAND_LEG_RATIO * la &&
	       fmin(la, lb) >= CAND_MIN_LEG * module;
}

/* The timing patterns of the symbol t would be: row 6 from UL towards UR
 * and column 6 from UL towards DL alternate dark and light, one module
 * each, between the separators. Sampled on the survey's threshold through
 * the affine frame of the three finder centres (exact at the finders,
 * close along the legs under mild perspective); at least CAND_TIMING of
 * the modules must match on each. Text and pictures that happen to hold
 * three finder-like marks do not alternate so. */
static int timing_ok(const struct scanner *s, const struct triple *t)
{
	const struct finder *f = s->f, *ul = &f[t->ul], *ur = &f[t->ur], *dl = &f[t->dl];
	double module = (sqrt(ul->sh * ul->sv) + sqrt(ur->sh * ur->sv) + sqrt(dl->sh * dl->sv)) / 21;
	double la = hypot(ur->x - ul->x, ur->y - ul->y), lb = hypot(dl->x - ul->x, dl->y - ul->y);
	/* centre to centre: N - 7 modules, N = 17 + 4 version */
	int version = (int)lround(((la + lb) / 2 / module - 10) / 4);
	if (version < 1 || version > 40)
		return 0;
	double d = 10 + 4 * version;
	double ux = (ur->x - ul->x) / d, uy = (ur->y - ul->y) / d, vx = (dl->x - ul->x) / d, vy = (dl->y - ul->y) / d;
	for (int leg = 0; leg < 2; leg++) {
		int match = 0, total = 0;
		for (int c = 8; c <= 17 + 4 * version - 9; c++) {
			/* module (c, 6) or (6, c), relative to UL's centre at (3.5, 3.5) */
			double a = c + 0.5 - 3.5, b = 6.5 - 3.5, u = leg ? b : a, v = leg ? a : b;
			double x = ul->x + u * ux + v * vx, y = ul->y + u * uy + v * vy;
			int px = (int)floor(x), py = (int)floor(y);
			if (px < 0 || py < 0 || px >= s->bin.w || py >= s->bin.h)
				return 0;
			int dark = s->bin.p[(size_t)py * (size_t)s->bin.w + (size_t)px] == 0;
			match += dark == (c % 2 == 0);
			total++;
		}
		if (match < CAND_TIMING * total)
			return 0;
	}
	return 1;
}

/* The codes seen and not read: symbols made of finder patterns that lie in
 * no code read (the best triple first, each pattern used once; with
 * confirmed, only those whose timing patterns are there too), then the
 * symbols zxing-cpp located and could not decode whose centre lies in no
 * code read and in no symbol listed. Returns how many; fills u (image
 * coordinates) up to cap. Needs the survey for the first kind. */
static size_t codes_unread(const struct scanner *s, int confirmed, struct phr_unread *u, size_t cap)
{
	size_t n = 0, idx[MAX_CANDIDATES], n_idx = 0;
	double cx[PHR_MAX_UNREAD_PER_IMAGE], cy[PHR_MAX_UNREAD_PER_IMAGE], half[PHR_MAX_UNREAD_PER_IMAGE];
	for (size_t i = 0; i < s->n_f && n_idx < MAX_CANDIDATES; i++)
		if (!already_read(s, &s->base, &s->f[i]))
			idx[n_idx++] = i;
	uint8_t used[MAX_CANDIDATES] = { 0 };
	while (n < PHR_MAX_UNREAD_PER_IMAGE) {
		struct triple best = { 0, 0, 0, -1e30 };
		size_t bi[3] = { 0 };
		for (size_t a = 0; a < n_idx; a++)
			for (size_t b = a + 1; b < n_idx && !used[a]; b++)
				for (size_t c = b + 1; c < n_idx && !used[b]; c++) {
					struct triple t;
					if (used[c] || !make_triple(s->f, (int)idx[a], (int)idx[b], (int)idx[c], &t) ||
					    t.score <= best.score || !looks_like_code(s->f, &t) ||
					    (confirmed && !timing_ok(s, &t)))
						continue;
					best = t;
					bi[0] = a, bi[1] = b, bi[2] = c;
				}
		if (best.score == -1e30)
			break;
		used[bi[0]] = used[bi[1]] = used[bi[2]] = 1;
		/* the centre: halfway between UR and DL */
		const struct finder *ur = &s->f[best.ur], *dl = &s->f[best.dl];
		double x0, y0, x1, y1;
		view_to_image(&s->base, ur->x - 0.5, ur->y - 0.5, &x0, &y0);
		view_to_image(&s->base, dl->x - 0.5, dl->y - 0.5, &x1, &y1);
		cx[n] = (x0 + x1) / 2;
		cy[n] = (y0 + y1) / 2;
		half[n] = hypot(x1 - x0, y1 - y0) / 2;
		n++;
	}
	for (size_t i = 0; i < s->n_failed && n < PHR_MAX_UNREAD_PER_IMAGE; i++) {
		const double(*q)[2] = s->failed[i];
		double x = (q[0][0] + q[1][0] + q[2][0] + q[3][0]) / 4, y = (q[0][1] + q[1][1] + q[2][1] + q[3][1]) / 4;
		int known = in_code_read(s, x, y);
		for (size_t j = 0; j < n && !known; j++)
			known = hypot(x - cx[j], y - cy[j]) < half[j];
		if (known)
			continue;
		cx[n] = x;
		cy[n] = y;
		half[n] = hypot(q[2][0] - q[0][0], q[2][1] - q[0][1]) / 2;
		n++;
	}
	for (size_t i = 0; i < n && i < cap; i++) {
		u[i].x = (int)lround(cx[i]);
		u[i].y = (int)lround(cy[i]);
		u[i].side = (int)lround(half[i] * 2 / sqrt(2));
	}
	return n;
}

/* Two finder patterns outside every code read that may be two corners of
 * one symbol (similar sizes, CAND_MIN_LEG to CAND_MAX_LEG modules apart):
 * in a photo at an angle the third is often too distorted to confirm.
 * Not enough to say a code is there, but enough to look on. */
static int finder_pair_unread(const struct scanner *s)
{
	size_t idx[MAX_CANDIDATES], n = 0;
	for (size_t i = 0; i < s->n_f && n < MAX_CANDIDATES; i++)
		if (!already_read(s, &s->base, &s->f[i]))
			idx[n++] = i;
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			const struct finder *p = &s->f[idx[a]], *q = &s->f[idx[b]];
			double sp = sqrt(p->sh * p->sv), sq = sqrt(q->sh * q->sv), module = (sp + sq) / 14;
			double d = hypot(p->x - q->x, p->y - q->y);
			if (sp <= 1.5 * sq && sq <= 1.5 * sp && d >= CAND_MIN_LEG * module && d <= CAND_MAX_LEG * module &&
			    p->sh <= CAND_SQUARE * p->sv && p->sv <= CAND_SQUARE * p->sh && q->sh <= CAND_SQUARE * q->sv &&
			    q->sv <= CAND_SQUARE * q->sh)
				return 1;
		}
	return 0;
}

/* The stopping rule: something was found, every phr set seen holds k
 * distinct chunks, the survey was made and it shows no code that is not
 * read yet, nor two finder patterns that may be one. */
static int done(const struct scanner *s)
{
	return s->stop && s->out->n > 0 && sets_complete(s) && s->surveyed && codes_unread(s, 0, NULL, 0) == 0 &&
	       !finder_pair_unread(s);
}

/* A payload found in view v, with its corners (view coordinates, n of
 * them: 4 for a QR code) when the decoder gave them. */
static int add_payload(struct scanner *s, const uint8_t *data, size_t len, const double (*corner)[2], unsigned n,
		       const struct view *v, int pass)
{
	struct phr_scan_result *r = s->out;
	if (!data || len == 0)
		return PHR_OK;
	for (size_t i = 0; i < r->n; i++)
		if (r->codes[i].len == len && memcmp(r->codes[i].data, data, len) == 0)
			return PHR_OK;
	if (r->n == PHR_MAX_CODES_PER_IMAGE)
		return PHR_OK; /* documented: the first PHR_MAX_CODES_PER_IMAGE distinct codes */
	struct phr_code *c = &r->codes[r->n];
	if (!(c->data = malloc(len)))
		return phr_fail(PHR_E_NOMEM, "scan: no memory for a code of %zu bytes", len);
	memcpy(c->data, data, len);
	c->len = len;
	double x = 0, y = 0;
	for (unsigned i = 0; i < n; i++) {
		x += corner[i][0];
		y += corner[i][1];
	}
	if (n) {
		x /= n;
		y /= n;
	}
	double ix, iy;
	view_to_image(v, x, y, &ix, &iy);
	c->x = (int)lround(ix);
	c->y = (int)lround(iy);
	c->pass = pass;
	s->has_quad[r->n] = n == 4;
	for (unsigned i = 0; i < 4 && n == 4; i++)
		view_to_image(v, corner[i][0], corner[i][1], &s->quad[r->n][i][0], &s->quad[r->n][i][1]);
	r->n++;
	note_chunk(s, c->data, c->len);
	return PHR_OK;
}

static int add_code(struct scanner *s, const zbar_symbol_t *sym, const struct view *v, int pass)
{
	double corner[4][2];
	unsigned n = zbar_symbol_get_loc_size(sym);
	if (n > 4)
		n = 0; /* not a QR code's four corners: no position */
	for (unsigned i = 0; i < n; i++) {
		corner[i][0] = zbar_symbol_get_loc_x(sym, i);
		corner[i][1] = zbar_symbol_get_loc_y(sym, i);
	}
	return add_payload(s, (const uint8_t *)zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym),
			   (const double(*)[2])corner, n, v, pass);
}

static int zbar_pass(struct scanner *s, const struct view *v, int pass)
{
	zbar_image_t *zi = zbar_image_create();
	if (!zi)
		return phr_fail(PHR_E_NOMEM, "scan: ZBar could not make an image");
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)v->w, (unsigned)v->h);
	/* no cleanup handler: the buffer stays ours */
	zbar_image_set_data(zi, v->p, (unsigned long)v->w * (unsigned long)v->h, NULL);
	int rc = PHR_OK;
	if (zbar_scan_image(s->zs, zi) < 0) {
		rc = phr_fail(PHR_E_IMAGE, "scan: ZBar failed on a %d x %d picture (%s)", v->w, v->h,
			      phr_scan_pass_name(pass));
	} else {
		for (const zbar_symbol_t *sym = zbar_image_first_symbol(zi); sym && rc == PHR_OK;
		     sym = zbar_symbol_next(sym))
			if (zbar_symbol_get_type(sym) == ZBAR_QRCODE)
				rc = add_code(s, sym, v, pass);
	}
	zbar_image_destroy(zi);
	return rc;
}

/* zxing-cpp's symbols into the result. */
struct zx_ctx {
	struct scanner *s;
	const struct view *v;
	int pass, rc;
};

/* zxing-cpp 1.4 sometimes returns a correct symbol's payload with a few
 * digits after it (docs/QR.md). A phr chunk ends with its CRC-32: when the
 * payload does not parse and a shorter one does, the shorter one is what
 * the symbol holds. Returns the length to keep. */
static size_t zx_trim(struct scanner *s, const uint8_t *data, size_t len)
{
	struct phr_chunk c;
	if (len < PHR_CHUNK_PREFIX_LEN || memcmp(data, PHR_CHUNK_TEXT_PREFIX, 3) != 0 ||
	    phr_chunk_parse(data, len, s->chunk_buf, sizeof(s->chunk_buf), &c) == PHR_OK) {
		phr_clear_error();
		return len;
	}
	for (size_t cut = 1; cut <= 16 && cut + PHR_CHUNK_PREFIX_LEN < len; cut++)
		if (phr_chunk_parse(data, len - cut, s->chunk_buf, sizeof(s->chunk_buf), &c) == PHR_OK) {
			phr_clear_error();
			return len - cut;
		}
	phr_clear_error();
	return len;
}

static int zx_symbol(void *ctx, const struct zx_symbol *sym)
{
	struct zx_ctx *z = ctx;
	double corner[4][2];
	for (int i = 0; i < 4; i++) {
		corner[i][0] = sym->x[i];
		corner[i][1] = sym->y[i];
	}
	if (sym->failed) {
		if (z->s->n_failed < MAX_CANDIDATES) {
			double(*q)[2] = z->s->failed[z->s->n_failed++];
			for (int i = 0; i < 4; i++)
				view_to_image(z->v, corner[i][0], corner[i][1], &q[i][0], &q[i][1]);
		}
		return 0;
	}
	z->rc = add_payload(z->s, sym->data, zx_trim(z->s, sym->data, sym->len), (const double(*)[2])corner, 4, z->v,
			    z->pass);
	return z->rc < 0 ? -1 : 0;
}

static int zxing_pass(struct scanner *s, const struct view *v, int pass)
{
	struct zx_ctx z = { s, v, pass, PHR_OK };
	int rc = zx_scan(v->p, v->w, v->h, zx_symbol, &z);
	if (z.rc < 0)
		return z.rc;
	if (rc == ZX_NOMEM)
		return phr_fail(PHR_E_NOMEM, "scan: zxing-cpp ran out of memory on a %d x %d picture", v->w, v->h);
	if (rc < 0)
		return phr_fail(PHR_E_IMAGE, "scan: zxing-cpp failed on a %d x %d picture (%s)", v->w, v->h,
				phr_scan_pass_name(pass));
	return PHR_OK;
}

/* The survey (once): finder patterns on a threshold of the picture reduced
 * to SURVEY_SIDE. */
static int survey(struct scanner *s)
{
	if (s->surveyed)
		return PHR_OK;
	s->surveyed = 1;
	if (!(s->f = malloc(MAX_FINDERS * sizeof(*s->f))))
		return phr_fail(PHR_E_NOMEM, "scan: out of memory");
	int rc = geometry_base(s->img, SURVEY_SIDE, 1, &s->base);
	if (rc <= 0)
		return rc;
	if ((rc = threshold(&s->base, THRESH_BLOCK, &s->bin)) <= 0)
		return rc;
	size_t n = find_finders(&s->bin, s->f), kept = 0;
	for (size_t i = 0; i < n; i++)
		if (finder_real(&s->f[i]))
			s->f[kept++] = s->f[i];
	s->n_f = kept;
	return PHR_OK;
}

/* A rectified view for each plausible triple of the survey's finder
 * patterns (best first, at most RECTIFY_TRIES) whose patterns are not in a
 * code already read. */
static int rectify_pass(struct scanner *s)
{
	int rc = survey(s);
	if (rc < 0 || !s->base.p)
		return rc;
	const struct finder *f = s->f;
	size_t n = s->n_f;
	s->out->passes++;
	/* The best triple of patterns not in a code read so far, again after
	 * every attempt: a code read takes its patterns out of play. */
	struct triple tried[RECTIFY_TRIES];
	for (size_t attempt = 0; attempt < RECTIFY_TRIES && rc == PHR_OK && !done(s); attempt++) {
		struct triple best = { 0, 0, 0, -1e30 };
		for (size_t a = 0; a < n; a++) {
			if (already_read(s, &s->base, &f[a]))
				continue;
			for (size_t b = a + 1; b < n; b++) {
				if (already_read(s, &s->base, &f[b]))
					continue;
				for (size_t c = b + 1; c < n; c++) {
					struct triple cand;
					int seen = 0;
					if (already_read(s, &s->base, &f[c]) || !make_triple(f, (int)a, (int)b, (int)c, &cand) ||
					    cand.score <= best.score)
						continue;
					for (size_t i = 0; i < attempt; i++)
						seen |= tried[i].ul == cand.ul && tried[i].ur == cand.ur && tried[i].dl == cand.dl;
					if (!seen)
						best = cand;
				}
			}
		}
		if (best.score == -1e30)
			break;
		tried[attempt] = best;
		struct view v = { 0 };
		if ((rc = rectify(&s->base, f, &best, &v)) <= 0)
			continue;
		rc = zbar_pass(s, &v, PHR_PASS_RECTIFY);
		free(v.owned);
	}
	return rc < 0 ? rc : PHR_OK;
}

/* The keystone bank on a reduced copy, stopping as soon as the scan is done. */
static int keystone_pass(struct scanner *s, const struct phr_image *img)
{
	struct view base;
	int rc = geometry_base(img, KEYSTONE_SIDE, 0, &base);
	if (rc <= 0)
		return rc;
	rc = PHR_OK;
	s->out->passes++;
	for (int d = 0; d < KEYSTONE_DIRS && rc == PHR_OK && !done(s); d++) {
		/* the axes first (a phone tilted forwards or sideways over an
		 * upright code), then the diagonals */
		static const double deg[KEYSTONE_DIRS] = { 0, 180, 90, 270, 135, 315, 45, 225 };
		double a = deg[d] * (PI / 180);
		struct view v = { 0 };
		if ((rc = keystone(&base, KEYSTONE_STRENGTH * cos(a), KEYSTONE_STRENGTH * sin(a), &v)) < 0)
			break;
		rc = zbar_pass(s, &v, PHR_PASS_KEYSTONE);
		free(v.owned);
	}
	free(base.owned);
	return rc;
}

static int run_pass(struct scanner *s, const struct phr_image *img, int pass)
{
	struct view src, work = { 0 }, v = { 0 };
	int rc, longer = img->width > img->height ? img->width : img->height;
	view_of_image(img, &src);
	/* the filters work on a copy of a large photo reduced to WORK_SIDE */
	if (longer > WORK_SIDE && (pass == PHR_PASS_STRETCH || pass == PHR_PASS_MEDIAN || pass == PHR_PASS_THRESHOLD ||
				   pass == PHR_PASS_THRESHOLD_FINE)) {
		if ((rc = area_down(&src, (longer + WORK_SIDE - 1) / WORK_SIDE, &work)) <= 0)
			return rc;
		src = work;
	}
	switch (pass) {
	case PHR_PASS_REDUCED:
		rc = longer > REDUCE_ABOVE ? area_down(&src, (longer + REDUCE_TARGET - 1) / REDUCE_TARGET, &v) : 0;
		break;
	case PHR_PASS_AS_IS:
		v = src;
		rc = 1;
		break;
	case PHR_PASS_HALF: rc = area_down(&src, 2, &v); break;
	case PHR_PASS_SMOOTH: rc = smooth(&src, &v); break;
	case PHR_PASS_STRETCH: rc = stretch(&src, &v); break;
	case PHR_PASS_MEDIAN: rc = median3(&src, &v); break;
	case PHR_PASS_THRESHOLD: rc = threshold(&src, THRESH_BLOCK, &v); break;
	case PHR_PASS_THRESHOLD_FINE: rc = threshold(&src, THRESH_FINE_BLOCK, &v); break;
	case PHR_PASS_UPSCALE: rc = upscale2(&src, &v); break;
	case PHR_PASS_ZXING:
		s->out->passes++;
		return zxing_pass(s, &src, pass);
	case PHR_PASS_RECTIFY: return rectify_pass(s);
	case PHR_PASS_KEYSTONE: return keystone_pass(s, img);
	default: return phr_fail(PHR_E_ARG, "scan: no treatment %d", pass);
	}
	if (rc > 0) {
		s->out->passes++;
		rc = zbar_pass(s, &v, pass);
		free(v.owned);
	}
	free(work.owned);
	return rc;
}

/* ---- entry points ---------------------------------------------------------- */

static int scanner_start(struct scanner **out_s, const struct phr_image *img, struct phr_scan_result *out)
{
	*out_s = NULL;
	if (!out)
		return phr_fail(PHR_E_ARG, "scan: no result");
	memset(out, 0, sizeof(*out));
	if (!img || !img->grey || img->width <= 0 || img->height <= 0)
		return phr_fail(PHR_E_ARG, "scan: no picture");
	if ((size_t)img->width * (size_t)img->height > PHR_MAX_IMAGE_PIXELS)
		return phr_fail(PHR_E_LIMIT, "scan: %d x %d pixels is more than the limit of %u", img->width,
				img->height, PHR_MAX_IMAGE_PIXELS);
	struct scanner *s = calloc(1, sizeof(*s));
	if (!s)
		return phr_fail(PHR_E_NOMEM, "scan: out of memory");
	s->out = out;
	s->img = img;
	if (!(s->zs = zbar_image_scanner_create())) {
		free(s);
		return phr_fail(PHR_E_NOMEM, "scan: ZBar could not start");
	}
	/* QR only (nothing else is ours, and each symbology costs time), bytes
	 * as encoded, and the corners for the position. */
	if (zbar_image_scanner_set_config(s->zs, 0, ZBAR_CFG_ENABLE, 0) ||
	    zbar_image_scanner_set_config(s->zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) ||
	    zbar_image_scanner_set_config(s->zs, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1) ||
	    zbar_image_scanner_set_config(s->zs, 0, ZBAR_CFG_POSITION, 1)) {
		zbar_image_scanner_destroy(s->zs);
		free(s);
		return phr_fail(PHR_E_IMAGE, "scan: ZBar refused its configuration");
	}
	*out_s = s;
	return PHR_OK;
}

static int scanner_finish(struct scanner *s, int rc)
{
	zbar_image_scanner_destroy(s->zs);
	if (rc >= 0 && s->stop)
		s->out->n_unread = codes_unread(s, 1, s->out->unread, PHR_MAX_UNREAD_PER_IMAGE);
	if (rc < 0)
		phr_scan_result_free(s->out);
	free(s->base.owned);
	free(s->bin.owned);
	free(s->f);
	free(s);
	return rc < 0 ? rc : PHR_OK;
}

int phr_scan_image(const struct phr_image *img, struct phr_scan_result *out)
{
	struct scanner *s;
	int rc = scanner_start(&s, img, out);
	if (rc)
		return rc;
	s->stop = 1;
	for (int pass = 0; pass < PHR_PASS_COUNT && rc == PHR_OK; pass++) {
		rc = run_pass(s, img, pass);
		/* every set complete: look for codes not read yet before stopping
		 * (another document beside this one) */
		if (rc == PHR_OK && s->out->n > 0 && sets_complete(s))
			rc = survey(s);
		if (rc == PHR_OK && done(s))
			break;
	}
	/* the codes seen and not read are reported (scanner_finish) */
	if (rc == PHR_OK)
		rc = survey(s);
	return scanner_finish(s, rc);
}

int phr_scan_pass(const struct phr_image *img, int pass, struct phr_scan_result *out)
{
	struct scanner *s;
	int rc = scanner_start(&s, img, out);
	if (rc)
		return rc;
	rc = pass >= 0 && pass < PHR_PASS_COUNT ? run_pass(s, img, pass)
						: phr_fail(PHR_E_ARG, "scan: no treatment %d", pass);
	return scanner_finish(s, rc);
}

void phr_scan_result_free(struct phr_scan_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->codes[i].data);
	memset(r, 0, sizeof(*r));
}
