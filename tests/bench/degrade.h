/* Seeded, deterministic picture degradations for the scan benchmark: what
 * a worn booklet and a phone camera do to a printed QR code. Grey images,
 * plain C, no image library beyond libpng and libjpeg for the files. */
#ifndef PHR_BENCH_DEGRADE_H
#define PHR_BENCH_DEGRADE_H

#include <stddef.h>
#include <stdint.h>

struct dimg {
	int w, h;
	uint8_t *p; /* w * h, row-major */
};

/* splitmix64: small, seedable, the same sequence on every machine. */
struct rng {
	uint64_t s;
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r, double lo, double hi);
double rng_gauss(struct rng *r); /* mean 0, sd 1 */

/* Allocates a w x h image filled with v; aborts when out of memory. */
void dimg_init(struct dimg *im, int w, int h, uint8_t v);
void dimg_free(struct dimg *im);
/* Copies src into dst at (x, y), clipped. */
void dimg_paste(struct dimg *dst, const struct dimg *src, int x, int y);

/* Gaussian blur of standard deviation sigma pixels (separable, edges
 * clamped). */
void dg_blur(struct dimg *im, double sigma);
/* Adds Gaussian noise of standard deviation sigma grey levels. */
void dg_noise(struct dimg *im, struct rng *r, double sigma);
/* Maps 0..255 linearly onto lo..hi. */
void dg_contrast(struct dimg *im, double lo, double hi);
/* dst(x, y) = src(H (x, y, 1)) with bilinear sampling; H (row-major 3x3)
 * maps destination to source coordinates (pixel centres at +0.5);
 * outside the source: bg. dst must be allocated. */
void dg_warp(const struct dimg *src, struct dimg *dst, const double H[9], uint8_t bg);
/* The same, but only where H maps into src: the rest of dst is left as it
 * is (a document laid on a table beside others). */
void dg_warp_onto(const struct dimg *src, struct dimg *dst, const double H[9]);
/* The homography H with H(dst[i]) = src[i] for four point pairs
 * (x0, y0, x1, y1, ...). Returns -1 if degenerate. */
int dg_homography(const double src[8], const double dst[8], double H[9]);
/* Area-average resampling of src onto dst's size (any factor <= 1). */
void dg_resize(const struct dimg *src, struct dimg *dst);
/* Dark blobs with soft, blurred edges over the box [x0,x1) x [y0,y1),
 * together about `coverage` of its area. */
void dg_stains(struct dimg *im, struct rng *r, int x0, int y0, int x1, int y1, double coverage);
/* Uneven light: multiplies by a smooth field between lo and 1 (a linear
 * gradient in a random direction and a vignette). */
void dg_light(struct dimg *im, struct rng *r, double lo);

/* Files. 0 on success, -1 (with a message on stderr) on failure. */
int dg_write_png(const char *path, const struct dimg *im);
/* Grey JPEG (one component), or, with tint, a YCbCr colour JPEG with 2x2
 * chroma subsampling whose RGB is the grey times (tint[0..2]), as a phone
 * writes. */
int dg_write_jpeg(const char *path, const struct dimg *im, int quality, const double *tint);

#endif
