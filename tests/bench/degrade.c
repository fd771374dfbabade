/* Picture degradations for the scan benchmark (degrade.h). */
#include "degrade.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "degrade: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static uint8_t clamp8(double v)
{
	return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

double rng_uniform(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng_next(r) >> 11) / 9007199254740992.0);
}

double rng_gauss(struct rng *r)
{
	double u = rng_uniform(r, 1e-12, 1), v = rng_uniform(r, 0, 1);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

void dimg_init(struct dimg *im, int w, int h, uint8_t v)
{
	im->w = w;
	im->h = h;
	im->p = xmalloc((size_t)w * (size_t)h);
	memset(im->p, v, (size_t)w * (size_t)h);
}

void dimg_free(struct dimg *im)
{
	free(im->p);
	im->p = NULL;
	im->w = im->h = 0;
}

void dimg_paste(struct dimg *dst, const struct dimg *src, int x, int y)
{
	for (int sy = 0; sy < src->h; sy++) {
		int dy = y + sy;
		if (dy < 0 || dy >= dst->h)
			continue;
		for (int sx = 0; sx < src->w; sx++) {
			int dx = x + sx;
			if (dx >= 0 && dx < dst->w)
				dst->p[(size_t)dy * (size_t)dst->w + (size_t)dx] = src->p[(size_t)sy * (size_t)src->w + (size_t)sx];
		}
	}
}

void dg_blur(struct dimg *im, double sigma)
{
	if (sigma <= 0.05)
		return;
	int r = (int)ceil(3 * sigma);
	float *k = xmalloc((size_t)(2 * r + 1) * sizeof(*k));
	double sum = 0;
	for (int i = -r; i <= r; i++)
		sum += k[i + r] = (float)exp(-(double)i * i / (2 * sigma * sigma));
	for (int i = 0; i <= 2 * r; i++)
		k[i] = (float)(k[i] / sum);
	size_t w = (size_t)im->w, h = (size_t)im->h;
	float *tmp = xmalloc(w * h * sizeof(*tmp));
	for (size_t y = 0; y < h; y++) {
		const uint8_t *row = im->p + y * w;
		for (size_t x = 0; x < w; x++) {
			float acc = 0;
			for (int i = -r; i <= r; i++) {
				long xx = (long)x + i;
				xx = xx < 0 ? 0 : xx >= (long)w ? (long)w - 1 : xx;
				acc += k[i + r] * row[xx];
			}
			tmp[y * w + x] = acc;
		}
	}
	float *col = xmalloc(w * sizeof(*col));
	for (size_t y = 0; y < h; y++) {
		memset(col, 0, w * sizeof(*col));
		for (int i = -r; i <= r; i++) {
			long yy = (long)y + i;
			yy = yy < 0 ? 0 : yy >= (long)h ? (long)h - 1 : yy;
			const float *src = tmp + (size_t)yy * w;
			float kk = k[i + r];
			for (size_t x = 0; x < w; x++)
				col[x] += kk * src[x];
		}
		for (size_t x = 0; x < w; x++)
			im->p[y * w + x] = clamp8(col[x]);
	}
	free(col);
	free(tmp);
	free(k);
}

void dg_noise(struct dimg *im, struct rng *r, double sigma)
{
	size_t n = (size_t)im->w * (size_t)im->h;
	for (size_t i = 0; i < n; i++)
		im->p[i] = clamp8(im->p[i] + sigma * rng_gauss(r));
}

void dg_contrast(struct dimg *im, double lo, double hi)
{
	uint8_t map[256];
	for (int v = 0; v < 256; v++)
		map[v] = clamp8(lo + (hi - lo) * v / 255.0);
	size_t n = (size_t)im->w * (size_t)im->h;
	for (size_t i = 0; i < n; i++)
		im->p[i] = map[im->p[i]];
}

void dg_warp(const struct dimg *src, struct dimg *dst, const double H[9], uint8_t bg)
{
	for (int y = 0; y < dst->h; y++) {
		uint8_t *out = dst->p + (size_t)y * (size_t)dst->w;
		double fy = y + 0.5;
		for (int x = 0; x < dst->w; x++) {
			double fx = x + 0.5;
			double zw = H[6] * fx + H[7] * fy + H[8];
			double sx = (H[0] * fx + H[1] * fy + H[2]) / zw - 0.5;
			double sy = (H[3] * fx + H[4] * fy + H[5]) / zw - 0.5;
			if (!(sx > -1 && sy > -1 && sx < src->w && sy < src->h)) {
				out[x] = bg;
				continue;
			}
			int x0 = (int)floor(sx), y0 = (int)floor(sy);
			double ax = sx - x0, ay = sy - y0;
			double v[4];
			for (int j = 0; j < 4; j++) {
				int xx = x0 + (j & 1), yy = y0 + (j >> 1);
				v[j] = (xx < 0 || yy < 0 || xx >= src->w || yy >= src->h)
					       ? bg
					       : src->p[(size_t)yy * (size_t)src->w + (size_t)xx];
			}
			out[x] = clamp8((v[0] * (1 - ax) + v[1] * ax) * (1 - ay) + (v[2] * (1 - ax) + v[3] * ax) * ay);
		}
	}
}

void dg_warp_onto(const struct dimg *src, struct dimg *dst, const double H[9])
{
	for (int y = 0; y < dst->h; y++) {
		uint8_t *out = dst->p + (size_t)y * (size_t)dst->w;
		double fy = y + 0.5;
		for (int x = 0; x < dst->w; x++) {
			double fx = x + 0.5;
			double zw = H[6] * fx + H[7] * fy + H[8];
			double sx = (H[0] * fx + H[1] * fy + H[2]) / zw - 0.5;
			double sy = (H[3] * fx + H[4] * fy + H[5]) / zw - 0.5;
			if (!(sx >= 0 && sy >= 0 && sx < src->w - 1 && sy < src->h - 1))
				continue;
			int x0 = (int)sx, y0 = (int)sy;
			double ax = sx - x0, ay = sy - y0;
			const uint8_t *p = src->p + (size_t)y0 * (size_t)src->w + (size_t)x0;
			out[x] = clamp8((p[0] * (1 - ax) + p[1] * ax) * (1 - ay) +
					(p[src->w] * (1 - ax) + p[src->w + 1] * ax) * ay);
		}
	}
}

int dg_homography(const double src[8], const double dst[8], double H[9])
{
	/* h00..h21 with h22 = 1: two equations per point pair. */
	double a[8][9];
	for (int i = 0; i < 4; i++) {
		double x = dst[2 * i], y = dst[2 * i + 1], u = src[2 * i], v = src[2 * i + 1];
		double r0[9] = { x, y, 1, 0, 0, 0, -u * x, -u * y, u };
		double r1[9] = { 0, 0, 0, x, y, 1, -v * x, -v * y, v };
		memcpy(a[2 * i], r0, sizeof(r0));
		memcpy(a[2 * i + 1], r1, sizeof(r1));
	}
	for (int c = 0; c < 8; c++) {
		int p = c;
		for (int r = c + 1; r < 8; r++)
			if (fabs(a[r][c]) > fabs(a[p][c]))
				p = r;
		if (fabs(a[p][c]) < 1e-12)
			return -1;
		for (int j = 0; j < 9; j++) {
			double t = a[c][j];
			a[c][j] = a[p][j];
			a[p][j] = t;
		}
		for (int r = 0; r < 8; r++) {
			if (r == c)
				continue;
			double f = a[r][c] / a[c][c];
			for (int j = c; j < 9; j++)
				a[r][j] -= f * a[c][j];
		}
	}
	for (int i = 0; i < 8; i++)
		H[i] = a[i][8] / a[i][i];
	H[8] = 1;
	return 0;
}

/* Per output index: the input span and the share of each input pixel. */
struct span {
	int first, n;
	float *wt;
};

static struct span *spans(int in, int out)
{
	struct span *s = xmalloc((size_t)out * sizeof(*s));
	double f = (double)in / out;
	for (int o = 0; o < out; o++) {
		double a = o * f, b = (o + 1) * f;
		int first = (int)floor(a), last = (int)ceil(b);
		if (last > in)
			last = in;
		s[o].first = first;
		s[o].n = last - first;
		s[o].wt = xmalloc((size_t)s[o].n * sizeof(float));
		for (int i = 0; i < s[o].n; i++) {
			double lo = fmax(a, first + i), hi = fmin(b, first + i + 1);
			s[o].wt[i] = (float)((hi - lo) / f);
		}
	}
	return s;
}

static void spans_free(struct span *s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i].wt);
	free(s);
}

void dg_resize(const struct dimg *src, struct dimg *dst)
{
	struct span *sx = spans(src->w, dst->w), *sy = spans(src->h, dst->h);
	float *tmp = xmalloc((size_t)dst->w * (size_t)src->h * sizeof(float));
	for (int y = 0; y < src->h; y++) {
		const uint8_t *row = src->p + (size_t)y * (size_t)src->w;
		for (int x = 0; x < dst->w; x++) {
			float acc = 0;
			for (int i = 0; i < sx[x].n; i++)
				acc += sx[x].wt[i] * row[sx[x].first + i];
			tmp[(size_t)y * (size_t)dst->w + (size_t)x] = acc;
		}
	}
	for (int y = 0; y < dst->h; y++)
		for (int x = 0; x < dst->w; x++) {
			float acc = 0;
			for (int i = 0; i < sy[y].n; i++)
				acc += sy[y].wt[i] * tmp[(size_t)(sy[y].first + i) * (size_t)dst->w + (size_t)x];
			dst->p[(size_t)y * (size_t)dst->w + (size_t)x] = clamp8(acc);
		}
	free(tmp);
	spans_free(sx, dst->w);
	spans_free(sy, dst->h);
}

void dg_stains(struct dimg *im, struct rng *r, int x0, int y0, int x1, int y1, double coverage)
{
	int n = 1 + (int)(rng_next(r) % 3);
	double area = coverage * (double)(x1 - x0) * (double)(y1 - y0) / n;
	/* Darkness as a multiplier field, blurred so that edges are soft like a
	 * dried drop's, then applied to the picture. */
	size_t w = (size_t)im->w, h = (size_t)im->h;
	struct dimg mask;
	dimg_init(&mask, im->w, im->h, 0);
	for (int b = 0; b < n; b++) {
		double ratio = rng_uniform(r, 0.5, 2.0);
		double ra = sqrt(area * ratio / M_PI), rb = sqrt(area / ratio / M_PI);
		double cx = rng_uniform(r, x0, x1), cy = rng_uniform(r, y0, y1), th = rng_uniform(r, 0, M_PI);
		double dark = rng_uniform(r, 0.35, 0.85);
		double ct = cos(th), st = sin(th), rm = fmax(ra, rb);
		for (long y = (long)(cy - rm); y <= (long)(cy + rm); y++) {
			if (y < 0 || y >= (long)h)
				continue;
			for (long x = (long)(cx - rm); x <= (long)(cx + rm); x++) {
				if (x < 0 || x >= (long)w)
					continue;
				double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
				double u = (dx * ct + dy * st) / ra, v = (-dx * st + dy * ct) / rb;
				/* a wobbly outline: the radius varies with the angle */
				double ang = atan2(v, u), wob = 1 + 0.15 * sin(3 * ang + th) + 0.08 * sin(5 * ang);
				if (u * u + v * v <= wob * wob) {
					uint8_t d = (uint8_t)(dark * 255);
					uint8_t *m = &mask.p[(size_t)y * w + (size_t)x];
					if (d > *m)
						*m = d;
				}
			}
		}
	}
	double edge = sqrt(area) * 0.06;
	dg_blur(&mask, edge < 1 ? 1 : edge);
	for (size_t i = 0; i < w * h; i++)
		im->p[i] = (uint8_t)(im->p[i] * (255 - mask.p[i]) / 255);
	dimg_free(&mask);
}

void dg_light(struct dimg *im, struct rng *r, double lo)
{
	double th = rng_uniform(r, 0, 2 * M_PI), gx = cos(th), gy = sin(th);
	double cx = rng_uniform(r, 0.3, 0.7) * im->w, cy = rng_uniform(r, 0.3, 0.7) * im->h;
	double diag = hypot(im->w, im->h) / 2;
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++) {
			double nx = (x - im->w / 2.0) / diag, ny = (y - im->h / 2.0) / diag;
			double grad = 0.5 + 0.5 * (nx * gx + ny * gy);       /* 0..1 across the frame */
			double vig = hypot(x - cx, y - cy) / diag;            /* 0 at the light's centre */
			double f = 1 - (1 - lo) * (0.6 * grad + 0.4 * fmin(1, vig));
			uint8_t *p = &im->p[(size_t)y * (size_t)im->w + (size_t)x];
			*p = clamp8(*p * f);
		}
}

int dg_write_png(const char *path, const struct dimg *im)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		fprintf(stderr, "%s: PNG write failed\n", path);
		return -1;
	}
	png_init_io(png, f);
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < im->h; y++)
		png_write_row(png, im->p + (size_t)y * (size_t)im->w);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return fclose(f) == 0 ? 0 : -1;
}

int dg_write_jpeg(const char *path, const struct dimg *im, int quality, const double *tint)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	c.err = jpeg_std_error(&err); /* the benchmark's own files: libjpeg's exit on error is fine */
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)im->w;
	c.image_height = (JDIMENSION)im->h;
	c.input_components = tint ? 3 : 1;
	c.in_color_space = tint ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	uint8_t *rgb = tint ? xmalloc((size_t)im->w * 3) : NULL;
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = im->p + (size_t)c.next_scanline * (size_t)im->w;
		if (tint) {
			for (int x = 0; x < im->w; x++)
				for (int k = 0; k < 3; k++)
					rgb[3 * x + k] = clamp8(row[x] * tint[k]);
			row = rgb;
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(rgb);
	return fclose(f) == 0 ? 0 : -1;
}
