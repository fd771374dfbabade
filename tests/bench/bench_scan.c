/* bench_scan: phr's QR scanning against zxing-cpp on degraded photos of the
 * project's own renders (docs/QR.md).
 *
 *   bench_scan [--n N] [--ecc L|M|Q|H] [--max-version V] [--class A,B,...]
 *              [--keep DIR] [--passes] [--no-zxing]
 *   bench_scan --scan FILE...
 *
 * Real chunk payloads: each example signed into a container (as
 * bench_verify does; the first with a second entry by another clinic),
 * cut with phr_chunk_plan/phr_chunk_split (Base45 text form, ECC M and
 * maximum version 20 unless told otherwise, no parity). A page is one
 * record: its codes drawn with phr_qr_png in whole pixels per module on an
 * A6 page at 300 dpi (one code at most 70 mm wide under and over lines of
 * "text"; two stacked; more in two columns). Each class degrades N pages
 * (default 20) with seeded, deterministic treatments (degrade.c) and writes
 * them to a temporary directory, PNG or, where the class is about JPEG,
 * JPEG. Success for a page = every code of the record back, byte for byte.
 *
 * Timing, per image, one run each, wall clock:
 *   phr (in process)   reading the file + phr_image_load + phr_scan_image;
 *   phr scan (process) `$PHR_EXE scan --format json FILE` when PHR_EXE is set,
 *                      spawn to exit (success: the record restored);
 *   ZXingReader        `ZXingReader -bytes FILE`, spawn to exit, nothing
 *                      subtracted (success: every payload in its output).
 * The start-up cost of each process is measured on a tiny picture and
 * printed beside them.
 *
 * --scan FILE... reads each file with phr_scan_image five times and prints
 * what it found and the fastest run's CPU time (for work on the cascade).
 *
 * --passes also runs every treatment of the cascade alone on every image
 * and prints how many pages each reads (the measurements behind the
 * cascade). --keep DIR keeps the images, with params.txt listing each
 * one's drawn parameters and results. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "degrade.h"
#include "phr/chunk.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"
#include "phr/qrimage.h"
#include "phr/scan.h"

#include "benchlib.h"

const char *const bench_name = "bench_scan";

#ifndef PHR_SOURCE_ROOT
#define PHR_SOURCE_ROOT "."
#endif

#define T0 1750000000u
#define DAY 86400u
#define PAGE_W 1240 /* A6 at 300 dpi */
#define PAGE_H 1748
#define CODE_MAX_PX 826 /* 70 mm at 300 dpi */
#define QUIET 4
#define MAX_CODES 8 /* codes of one record on one page */
#define MAX_N 500

extern char **environ;

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0, r;
	uint8_t *buf = malloc(cap);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

/* ---- records and pages -------------------------------------------------- */

/* One record: its container cut into k chunk payloads. */
struct record {
	const char *name;
	uint8_t id_prefix[PHR_CHUNK_PREFIX_BYTES];
	size_t container_len, k;
	uint8_t *p[MAX_CODES];
	size_t len[MAX_CODES];
	int version;
};

static struct record records[8];
static size_t n_records;
static int opt_ecc = PHR_QR_DEFAULT_ECC, opt_maxv = PHR_QR_DEFAULT_MAX_VERSION;

static uint8_t *entry_from_file(const char *rel, size_t *len)
{
	const char *root = getenv("PHR_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root ? root : PHR_SOURCE_ROOT, rel);
	size_t n;
	char *text = (char *)read_all(path, &n);
	uint8_t *cbor;
	if (!text || phr_entry_parse_text(text, n, &cbor, len))
		bench_die(path);
	free(text);
	return cbor;
}

/* The examples, each as a record of one entry (the first with a second
 * entry by another clinic), certificates embedded, default compression,
 * cut into chunks without parity. */
static void make_records(void)
{
	static const char *const examples[] = {
		"adult-tb-positive-referral",
		"child-no-vaccination-documents",
		"older-man-chronic",
		"pregnant-hepatitis-b",
	};
	struct phr_seckey *auth, *c1, *c2;
	auth = bench_key(BENCH_AUTHORITY);
	c1 = bench_key(BENCH_LESVOS);
	c2 = bench_key(BENCH_BERLIN);
	uint8_t *cert1, *cert2;
	size_t cert1_len, cert2_len;
	if (phr_cert_issue(auth, phr_seckey_public(c1), T0 - 30 * DAY, T0 + 365 * DAY, &cert1, &cert1_len) ||
	    phr_cert_issue(auth, phr_seckey_public(c2), T0 - 30 * DAY, T0 + 365 * DAY, &cert2, &cert2_len))
		bench_die("certificate");
	size_t e1_len;
	uint8_t *e1 = entry_from_file("examples/entries/vaccination-given.json", &e1_len);
	printf("Records (Base45 text form, ECC %c, max version %d, no parity):\n", "LMQH"[opt_ecc], opt_maxv);
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char rel[200];
		snprintf(rel, sizeof(rel), "examples/%s.json", examples[i]);
		size_t e0_len;
		uint8_t *e0 = entry_from_file(rel, &e0_len), *cont;
		struct phr_record *r;
		struct record *rec = &records[n_records++];
		uint8_t id[PHR_RECORD_ID_LEN] = { 0 };
		id[0] = (uint8_t)(i + 1);
		memcpy(rec->id_prefix, id, sizeof(rec->id_prefix));
		rec->name = examples[i];
		if (phr_record_create(id, &r) || phr_record_append(r, c1, cert1, cert1_len, e0, e0_len, T0) ||
		    (i == 0 && phr_record_append(r, c2, cert2, cert2_len, e1, e1_len, T0 + DAY)) ||
		    phr_record_encode(r, -1, &cont, &rec->container_len))
			bench_die("record");
		phr_record_destroy(r);
		struct phr_chunk_plan plan;
		struct phr_chunk_set set;
		if (phr_chunk_plan(rec->container_len, PHR_CHUNK_BASE45, opt_ecc, opt_maxv, 0, &plan) ||
		    phr_chunk_split(cont, rec->container_len, &plan, &set))
			bench_die("chunks");
		if (set.n > MAX_CODES) {
			fprintf(stderr, "bench_scan: %s needs %zu codes, more than a page holds here (%d)\n", rec->name,
				set.n, MAX_CODES);
			exit(1);
		}
		rec->k = set.n;
		rec->version = plan.version;
		for (size_t j = 0; j < set.n; j++) {
			rec->len[j] = set.len[j];
			if (!(rec->p[j] = malloc(set.len[j])))
				abort();
			memcpy(rec->p[j], set.payload[j], set.len[j]);
		}
		printf("  %-32s container %4zu B -> %zu code(s) of %zu characters, version %d\n", rec->name,
		       rec->container_len, rec->k, plan.payload_len, plan.version);
		phr_chunk_set_free(&set);
		free(cont);
		free(e0);
	}
	free(e1);
	free(cert1);
	free(cert2);
	phr_seckey_destroy(auth);
	phr_seckey_destroy(c1);
	phr_seckey_destroy(c2);
}

struct page {
	struct dimg im;
	size_t n;
	int box[MAX_CODES][4]; /* each symbol without its quiet zone: x0, y0, x1, y1 */
	int module_px;
};

/* Dark dashes like lines of 10 pt text (about 40 px a line at 300 dpi). */
static void text_lines(struct dimg *im, struct rng *r, int y0, int y1)
{
	for (int ly = y0; ly + 30 < y1; ly += 42) {
		int lx = 90;
		for (;;) {
			int wlen = (int)rng_uniform(r, 20, 120);
			if (lx + wlen > PAGE_W - 90)
				break;
			for (int yy = ly + 8; yy < ly + 30; yy++)
				for (int xx = lx; xx < lx + wlen; xx++)
					if (rng_next(r) % 3)
						im->p[(size_t)yy * (size_t)im->w + (size_t)xx] = 40;
			lx += wlen + 22;
		}
	}
}

/* The record's codes on an A6 page: one code at most 70 mm wide with text
 * above and below; two codes stacked, each as large as fits; more in two
 * columns. Whole pixels per module, the same for every code of the page. */
static void render_page(const struct record *rec, struct rng *r, struct page *pg)
{
	struct phr_qr *q[MAX_CODES];
	int width = 0;
	for (size_t j = 0; j < rec->k; j++) {
		if (phr_qr_make(rec->p[j], rec->len[j], PHR_CHUNK_BASE45, opt_ecc, 40, &q[j]))
			bench_die("QR symbol");
		if (q[j]->width > width)
			width = q[j]->width;
	}
	int cols = rec->k <= 2 ? 1 : 2, rows = (int)((rec->k + (size_t)cols - 1) / (size_t)cols);
	int box = rec->k == 1 ? CODE_MAX_PX + 2 * QUIET * (CODE_MAX_PX / width) : (PAGE_H - 120) / rows;
	if (cols == 2 && box > (PAGE_W - 60) / 2)
		box = (PAGE_W - 60) / 2;
	pg->module_px = rec->k == 1 ? CODE_MAX_PX / width : box / (width + 2 * QUIET);
	if (pg->module_px > CODE_MAX_PX / width)
		pg->module_px = CODE_MAX_PX / width;
	if (pg->module_px < 1)
		pg->module_px = 1;
	dimg_init(&pg->im, PAGE_W, PAGE_H, 255);
	pg->n = rec->k;
	int y_end = 0;
	for (size_t j = 0; j < rec->k; j++) {
		uint8_t *png;
		size_t png_len;
		struct phr_image code;
		if (phr_qr_png(q[j], pg->module_px, QUIET, &png, &png_len) || phr_image_load(png, png_len, &code))
			bench_die("QR image");
		free(png);
		int side = code.width, col = (int)j % cols, row = (int)j / cols;
		int x = cols == 1 ? (PAGE_W - side) / 2 : 30 + col * (PAGE_W - 60) / 2 + ((PAGE_W - 60) / 2 - side) / 2;
		int y = rec->k == 1 ? 200 : 60 + row * box + (box - side) / 2;
		struct dimg cd = { code.width, code.height, code.grey };
		dimg_paste(&pg->im, &cd, x, y);
		int quiet = QUIET * pg->module_px;
		pg->box[j][0] = x + quiet;
		pg->box[j][1] = y + quiet;
		pg->box[j][2] = x + side - quiet;
		pg->box[j][3] = y + side - quiet;
		if (y + side > y_end)
			y_end = y + side;
		phr_image_free(&code);
		phr_qr_free(q[j]);
	}
	if (rec->k == 1) {
		text_lines(&pg->im, r, 60, 180);
		text_lines(&pg->im, r, y_end + 40, PAGE_H - 60);
	}
}

/* ---- classes --------------------------------------------------------------- */

/* Severity ranges, drawn uniformly per image: from what both decoders read
 * to past where either fails (docs/QR.md). */
#define BLUR_LO 0.25 /* sigma, in modules */
#define BLUR_HI 0.6
#define JPEG_LO 2 /* quality */
#define JPEG_HI 15
#define NOISE_LO 30 /* sigma, grey levels */
#define NOISE_HI 110
#define PERSPECTIVE_MAX 25 /* % of the page each corner moves, at most */
#define CONTRAST_LO 8 /* width of the grey band */
#define CONTRAST_HI 40
#define STAIN_LO 5 /* % of the symbol covered */
#define STAIN_HI 30
#define STR_(x) #x
#define STR(x) STR_(x)

/* Writes the degraded page of image i to path; returns 0 or -1. The
 * parameters drawn are printed to param (for the listing with --keep). */
typedef int (*gen_fn)(struct page *pg, struct rng *r, const char *path, char *param, size_t cap);

static int gen_clean(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	(void)r;
	snprintf(param, cap, "-");
	return dg_write_png(path, &pg->im);
}

static int gen_blur(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	double s = rng_uniform(r, BLUR_LO, BLUR_HI) * pg->module_px;
	snprintf(param, cap, "sigma %.2f px", s);
	dg_blur(&pg->im, s);
	return dg_write_png(path, &pg->im);
}

static int gen_jpeg(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	int q = (int)rng_uniform(r, JPEG_LO, JPEG_HI + 1);
	snprintf(param, cap, "quality %d", q);
	return dg_write_jpeg(path, &pg->im, q, NULL);
}

static int gen_noise(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	double s = rng_uniform(r, NOISE_LO, NOISE_HI);
	snprintf(param, cap, "sigma %.0f", s);
	dg_noise(&pg->im, r, s);
	return dg_write_png(path, &pg->im);
}

/* H mapping destination to source for a rotation by a about the centres. */
static void rot_h(double a, double scx, double scy, double dcx, double dcy, double H[9])
{
	double c = cos(a), s = sin(a);
	/* src = R(-a) (dst - dc) + sc */
	H[0] = c;
	H[1] = s;
	H[2] = scx - c * dcx - s * dcy;
	H[3] = -s;
	H[4] = c;
	H[5] = scy + s * dcx - c * dcy;
	H[6] = 0;
	H[7] = 0;
	H[8] = 1;
}

static int gen_rotation(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	double deg = rng_uniform(r, 0, 360), a = deg * M_PI / 180;
	snprintf(param, cap, "%.1f degrees", deg);
	int w = (int)ceil(fabs(PAGE_W * cos(a)) + fabs(PAGE_H * sin(a)));
	int h = (int)ceil(fabs(PAGE_W * sin(a)) + fabs(PAGE_H * cos(a)));
	struct dimg out;
	double H[9];
	dimg_init(&out, w, h, 255);
	rot_h(a, PAGE_W / 2.0, PAGE_H / 2.0, w / 2.0, h / 2.0, H);
	dg_warp(&pg->im, &out, H, 255);
	int rc = dg_write_png(path, &out);
	dimg_free(&out);
	return rc;
}

/* A camera tilted against the page: each page corner moves by up to d of
 * the page size; the picture is the whole moved page on white. */
static int warp_corners(struct page *pg, struct rng *r, double d, struct dimg *out, char *param, size_t cap)
{
	double src[8] = { 0, 0, PAGE_W, 0, PAGE_W, PAGE_H, 0, PAGE_H }, dst[8], H[9];
	double minx = 1e9, miny = 1e9, maxx = -1e9, maxy = -1e9;
	for (int i = 0; i < 4; i++) {
		dst[2 * i] = src[2 * i] + rng_uniform(r, -d, d) * PAGE_W;
		dst[2 * i + 1] = src[2 * i + 1] + rng_uniform(r, -d, d) * PAGE_H;
		minx = fmin(minx, dst[2 * i]);
		miny = fmin(miny, dst[2 * i + 1]);
		maxx = fmax(maxx, dst[2 * i]);
		maxy = fmax(maxy, dst[2 * i + 1]);
	}
	for (int i = 0; i < 4; i++) {
		dst[2 * i] += 40 - minx;
		dst[2 * i + 1] += 40 - miny;
	}
	/* the ratio of the longest to the shortest edge (each relative to the
	 * page's), as a measure of the tilt */
	double lo = 1e9, hi = 0;
	for (int i = 0; i < 4; i++) {
		double e = hypot(dst[2 * ((i + 1) % 4)] - dst[2 * i], dst[2 * ((i + 1) % 4) + 1] - dst[2 * i + 1]) /
			   (i % 2 ? PAGE_H : PAGE_W);
		lo = fmin(lo, e);
		hi = fmax(hi, e);
	}
	snprintf(param, cap, "edge ratio %.2f", hi / lo);
	if (dg_homography(src, dst, H))
		return -1;
	dimg_init(out, (int)ceil(maxx - minx) + 80, (int)ceil(maxy - miny) + 80, 255);
	dg_warp(&pg->im, out, H, 255);
	return 0;
}

static int gen_perspective(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	struct dimg out;
	if (warp_corners(pg, r, PERSPECTIVE_MAX / 100.0, &out, param, cap))
		return -1;
	int rc = dg_write_png(path, &out);
	dimg_free(&out);
	return rc;
}

static int gen_contrast(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	double range = rng_uniform(r, CONTRAST_LO, CONTRAST_HI), lo = rng_uniform(r, 40, 200 - range);
	snprintf(param, cap, "grey %.0f-%.0f", lo, lo + range);
	dg_contrast(&pg->im, lo, lo + range);
	return dg_write_png(path, &pg->im);
}

static int gen_small(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	/* a random sub-pixel phase, then area-average so a module is 1.5 px */
	double f = 1.5 / pg->module_px, H[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	H[2] = rng_uniform(r, 0, 1);
	H[5] = rng_uniform(r, 0, 1);
	snprintf(param, cap, "1.5 px/module, scale %.3f", f);
	struct dimg shifted, out;
	dimg_init(&shifted, PAGE_W, PAGE_H, 255);
	dg_warp(&pg->im, &shifted, H, 255);
	dimg_init(&out, (int)lround(PAGE_W * f), (int)lround(PAGE_H * f), 255);
	dg_resize(&shifted, &out);
	int rc = dg_write_png(path, &out);
	dimg_free(&shifted);
	dimg_free(&out);
	return rc;
}

static int gen_stain(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	double c = rng_uniform(r, STAIN_LO / 100.0, STAIN_HI / 100.0);
	snprintf(param, cap, "%.0f%% of the symbol", 100 * c);
	for (size_t j = 0; j < pg->n; j++)
		dg_stains(&pg->im, r, pg->box[j][0], pg->box[j][1], pg->box[j][2], pg->box[j][3], c);
	return dg_write_png(path, &pg->im);
}

/* A 12 MP phone photo (4000 x 3000) of the page on a darker table: the page
 * about 2400-2800 px tall, turned 2-8 degrees, +-3 % perspective, uneven
 * light, blur sigma 1-2 px, sensor noise, colour JPEG at quality 70. */
static int gen_photo(struct page *pg, struct rng *r, const char *path, char *param, size_t cap)
{
	const int W = 4000, H = 3000;
	double scale = rng_uniform(r, 2400, 2800) / PAGE_H;
	double deg = rng_uniform(r, 2, 8) * (rng_next(r) & 1 ? 1 : -1), a = deg * M_PI / 180;
	double cx = W / 2.0 + rng_uniform(r, -300, 300), cy = H / 2.0 + rng_uniform(r, -60, 60);
	double src[8] = { 0, 0, PAGE_W, 0, PAGE_W, PAGE_H, 0, PAGE_H }, dst[8], Hm[9];
	for (int i = 0; i < 4; i++) {
		double x = (src[2 * i] - PAGE_W / 2.0) * scale, y = (src[2 * i + 1] - PAGE_H / 2.0) * scale;
		dst[2 * i] = cx + x * cos(a) - y * sin(a) + rng_uniform(r, -0.03, 0.03) * PAGE_W * scale;
		dst[2 * i + 1] = cy + x * sin(a) + y * cos(a) + rng_uniform(r, -0.03, 0.03) * PAGE_H * scale;
	}
	double sigma = rng_uniform(r, 1, 2), lo = rng_uniform(r, 0.55, 0.8);
	snprintf(param, cap, "%.1f degrees, %.2f px/module, blur %.2f, light %.2f", deg, pg->module_px * scale, sigma,
		 lo);
	if (dg_homography(src, dst, Hm))
		return -1;
	/* paper is not pure white under a phone's light */
	dg_contrast(&pg->im, 25, 235);
	struct dimg out;
	dimg_init(&out, W, H, 90);
	dg_warp(&pg->im, &out, Hm, 90);
	dg_light(&out, r, lo);
	dg_blur(&out, sigma);
	dg_noise(&out, r, 3);
	static const double tint[3] = { 1.0, 0.96, 0.88 };
	int rc = dg_write_jpeg(path, &out, 70, tint);
	dimg_free(&out);
	return rc;
}


/* ---- photos of several documents, and from a distance ------------------------ */

#define CARD_W 1011 /* ID-1 wallet card at 300 dpi */
#define CARD_H 638
#define A4_W 2480 /* A4 print-shop sheet at 300 dpi: 2 x 2 A6 pages */
#define A4_H 3508
#define MAX_DOCS 4
#define FAR_LO 2.0 /* px per module */
#define FAR_HI 3.0
#define SHEET_LO 2.2
#define SHEET_HI 3.2

/* The record's codes on a wallet card: side by side, each as large as the
 * card allows, whole pixels per module, as on the printed card (5 px =
 * 0.42 mm for a version 20 code). */
static void render_card(const struct record *rec, struct page *pg)
{
	struct phr_qr *q[MAX_CODES];
	int width = 0;
	for (size_t j = 0; j < rec->k; j++) {
		if (phr_qr_make(rec->p[j], rec->len[j], PHR_CHUNK_BASE45, opt_ecc, 40, &q[j]))
			bench_die("QR symbol");
		if (q[j]->width > width)
			width = q[j]->width;
	}
	int box = (CARD_W - 40) / (int)rec->k;
	if (box > CARD_H - 40)
		box = CARD_H - 40;
	pg->module_px = box / (width + 2 * QUIET);
	if (pg->module_px < 1)
		pg->module_px = 1;
	dimg_init(&pg->im, CARD_W, CARD_H, 255);
	pg->n = rec->k;
	for (size_t j = 0; j < rec->k; j++) {
		uint8_t *png;
		size_t png_len;
		struct phr_image code;
		if (phr_qr_png(q[j], pg->module_px, QUIET, &png, &png_len) || phr_image_load(png, png_len, &code))
			bench_die("QR image");
		free(png);
		int x = 20 + (int)j * box + (box - code.width) / 2, y = (CARD_H - code.height) / 2;
		struct dimg cd = { code.width, code.height, code.grey };
		dimg_paste(&pg->im, &cd, x, y);
		phr_image_free(&code);
		phr_qr_free(q[j]);
	}
}

/* A phone photo of documents lying side by side on a darker table: each
 * turned up to 6 degrees its own way, all at s photo pixels per document
 * pixel, in a W x H frame; the phone tilted sideways by tilt (the far
 * side's documents 1 / (1 + 2 tilt) as large as the near side's); then
 * uneven light, lens blur of sigma px, sensor noise and a colour JPEG at
 * quality q. */
static int shoot(struct dimg *doc, size_t n, double s, int W, int H, double tilt, struct rng *r, double sigma,
		 int q, const char *path)
{
	double gap = 0.03 * W, total = gap * (double)(n - 1);
	for (size_t i = 0; i < n; i++)
		total += doc[i].w * s;
	struct dimg out;
	dimg_init(&out, W, H, 90);
	double x = (W - total) / 2 + rng_uniform(r, -0.02, 0.02) * W;
	for (size_t i = 0; i < n; i++) {
		double a = rng_uniform(r, -6, 6) * M_PI / 180, c = cos(a), sn = sin(a);
		double dcx = x + doc[i].w * s / 2, dcy = H / 2.0 + rng_uniform(r, -0.03, 0.03) * H;
		double scx = doc[i].w / 2.0, scy = doc[i].h / 2.0;
		/* photo to document: src = R(-a) (dst - dc) / s + sc */
		double Hm[9] = { c / s, sn / s, scx - (c * dcx + sn * dcy) / s,
				 -sn / s, c / s, scy - (-sn * dcx + c * dcy) / s, 0, 0, 1 };
		dg_contrast(&doc[i], 25, 235); /* paper is not pure white under a phone's light */
		dg_warp_onto(&doc[i], &out, Hm);
		x += doc[i].w * s + gap;
	}
	if (tilt > 0) {
		/* the photo's corners on the table: the far edge (left or right)
		 * sees 1 + 2 tilt times as much of it */
		int left = (int)(rng_next(r) & 1);
		double e = tilt * H, tp[8] = { 0, left ? -e : 0, W, left ? 0 : -e, W, left ? H : H + e, 0, left ? H + e : H };
		double ph[8] = { 0, 0, W, 0, W, H, 0, H }, Hm[9];
		/* keep the scene's middle where it was: scale the table about its centre */
		for (int i = 0; i < 4; i++) {
			tp[2 * i] = W / 2.0 + (tp[2 * i] - W / 2.0) * (1 + tilt);
			tp[2 * i + 1] = H / 2.0 + (tp[2 * i + 1] - H / 2.0) * (1 + tilt / 2);
		}
		struct dimg tilted;
		dimg_init(&tilted, W, H, 90);
		if (dg_homography(tp, ph, Hm))
			bench_die("tilt");
		dg_warp(&out, &tilted, Hm, 90);
		dimg_free(&out);
		out = tilted;
	}
	dg_light(&out, r, rng_uniform(r, 0.6, 0.85));
	dg_blur(&out, sigma);
	dg_noise(&out, r, 3);
	static const double tint[3] = { 1.0, 0.96, 0.88 };
	int rc = dg_write_jpeg(path, &out, q, tint);
	dimg_free(&out);
	return rc;
}

/* Documents of one photo: the records' A6 code pages (card: the first as a
 * wallet card). Returns the smallest module in document pixels. */
static int render_docs(const struct record *const *recs, size_t n, int card, struct rng *r, struct dimg *doc)
{
	int module = 1 << 20;
	for (size_t i = 0; i < n; i++) {
		struct page pg;
		if (card && i == 0)
			render_card(recs[i], &pg);
		else
			render_page(recs[i], r, &pg);
		doc[i] = pg.im;
		if (pg.module_px < module)
			module = pg.module_px;
	}
	return module;
}

/* Two or three booklets' code pages, or a wallet card beside a booklet,
 * side by side in a 12 MP photo, together 70-90 % of its width. */
static int gen_docs(const struct record *const *recs, size_t n, int card, struct rng *r, const char *path,
		    char *param, size_t cap)
{
	struct dimg doc[MAX_DOCS];
	int module = render_docs(recs, n, card, r, doc);
	double width = 0.03 * 4000 * (double)(n - 1), height = 0;
	for (size_t i = 0; i < n; i++) {
		width += doc[i].w;
		height = fmax(height, doc[i].h);
	}
	double s = fmin(rng_uniform(r, 0.75, 0.9) * 4000 / width, 0.85 * 3000 / height);
	double sigma = rng_uniform(r, 1, 1.6), tilt = rng_uniform(r, 0.05, 0.25);
	snprintf(param, cap, "%zu documents, smallest module %.1f px before a tilt of %.2f, blur %.2f", n, module * s,
		 tilt, sigma);
	int rc = shoot(doc, n, s, 4000, 3000, tilt, r, sigma, 80, path);
	for (size_t i = 0; i < n; i++)
		dimg_free(&doc[i]);
	return rc;
}

static int gen_two(const struct record *const *recs, struct rng *r, const char *path, char *param, size_t cap)
{
	return gen_docs(recs, 2, 0, r, path, param, cap);
}

static int gen_three(const struct record *const *recs, struct rng *r, const char *path, char *param, size_t cap)
{
	return gen_docs(recs, 3, 0, r, path, param, cap);
}

static int gen_card_booklet(const struct record *const *recs, struct rng *r, const char *path, char *param,
			    size_t cap)
{
	return gen_docs(recs, 2, 1, r, path, param, cap);
}

/* One A6 code page from a distance: FAR_LO-FAR_HI px per module in a 12 MP
 * photo, with a phone's mild blur (sigma 0.4-0.8 px) and JPEG (quality
 * 75-92). */
static int gen_far(const struct record *const *recs, struct rng *r, const char *path, char *param, size_t cap)
{
	struct dimg doc[1];
	int module = render_docs(recs, 1, 0, r, doc);
	double px = rng_uniform(r, FAR_LO, FAR_HI), sigma = rng_uniform(r, 0.4, 0.8);
	int q = (int)rng_uniform(r, 75, 93);
	snprintf(param, cap, "%.2f px/module, blur %.2f, quality %d", px, sigma, q);
	int rc = shoot(doc, 1, px / module, 4000, 3000, 0, r, sigma, q, path);
	dimg_free(&doc[0]);
	return rc;
}

/* A print-shop A4 sheet of four records (2 x 2 A6 code pages) photographed
 * whole: SHEET_LO-SHEET_HI px per module in a 3 MP portrait photo. */
static int gen_sheet(const struct record *const *recs, struct rng *r, const char *path, char *param, size_t cap)
{
	struct dimg doc[MAX_DOCS], sheet;
	int module = render_docs(recs, 4, 0, r, doc);
	dimg_init(&sheet, A4_W, A4_H, 255);
	for (int i = 0; i < 4; i++) {
		dimg_paste(&sheet, &doc[i], (i % 2) * (A4_W / 2), (i / 2) * (A4_H / 2));
		dimg_free(&doc[i]);
	}
	double px = rng_uniform(r, SHEET_LO, SHEET_HI), sigma = rng_uniform(r, 0.4, 0.8);
	int q = (int)rng_uniform(r, 75, 93);
	snprintf(param, cap, "%.2f px/module, blur %.2f, quality %d", px, sigma, q);
	int rc = shoot(&sheet, 1, px / module, 1536, 2048, 0, r, sigma, q, path);
	dimg_free(&sheet);
	return rc;
}

/* A class of photos with several records: writes the photo of recs. */
typedef int (*mgen_fn)(const struct record *const *recs, struct rng *r, const char *path, char *param, size_t cap);

struct class {
	const char *name, *what, *ext;
	gen_fn gen;
	size_t docs; /* records in each photo, drawn by mgen instead of gen */
	mgen_fn mgen;
};

static const struct class classes[] = {
	{ "clean", "the render as printed", "png", gen_clean, 0, NULL },
	{ "blur", "Gaussian blur, sigma " STR(BLUR_LO) "-" STR(BLUR_HI) " module", "png", gen_blur, 0, NULL },
	{ "jpeg", "grey JPEG at quality " STR(JPEG_LO) "-" STR(JPEG_HI), "jpg", gen_jpeg, 0, NULL },
	{ "noise", "Gaussian noise, sigma " STR(NOISE_LO) "-" STR(NOISE_HI) " grey levels", "png", gen_noise, 0, NULL },
	{ "rotation", "rotated 0-360 degrees, bilinear", "png", gen_rotation, 0, NULL },
	{ "perspective", "page corners moved up to " STR(PERSPECTIVE_MAX) "% of the page each", "png",
	  gen_perspective, 0, NULL },
	{ "contrast", "all greys within a band " STR(CONTRAST_LO) "-" STR(CONTRAST_HI) " levels wide", "png",
	  gen_contrast, 0, NULL },
	{ "small", "down-scaled to 1.5 px per module (area average)", "png", gen_small, 0, NULL },
	{ "stain", "1-3 dark blurred blobs over " STR(STAIN_LO) "-" STR(STAIN_HI) "% of each symbol", "png",
	  gen_stain, 0, NULL },
	{ "photo12mp", "12 MP phone photo of the A6 page, JPEG q70", "jpg", gen_photo, 0, NULL },
	{ "far", "12 MP photo of the A6 page at " STR(FAR_LO) "-" STR(FAR_HI) " px/module, blur, JPEG q75-92", "jpg",
	  NULL, 1, gen_far },
	{ "a4sheet", "A4 sheet of 4 records photographed whole, " STR(SHEET_LO) "-" STR(SHEET_HI) " px/module, 3 MP",
	  "jpg", NULL, 4, gen_sheet },
	{ "two-docs", "2 booklets' code pages side by side, 12 MP photo, tilted 5-25%", "jpg", NULL, 2, gen_two },
	{ "three-docs", "3 booklets' code pages side by side, 12 MP photo, tilted 5-25%", "jpg", NULL, 3, gen_three },
	{ "card+booklet", "a wallet card beside a booklet's code page, 12 MP photo, tilted 5-25%", "jpg", NULL, 2,
	  gen_card_booklet },
};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

/* ---- decoders ------------------------------------------------------------- */

/* The records of one picture. */
struct shot {
	const struct record *rec[MAX_DOCS];
	size_t n;
};

/* Every code of every record somewhere in out (ZXingReader -bytes writes
 * the bytes of each symbol one after the other). */
static int has_record(const uint8_t *out, size_t out_len, const struct shot *sh)
{
	if (!sh)
		return 0;
	for (size_t d = 0; d < sh->n; d++) {
		const struct record *rec = sh->rec[d];
		for (size_t j = 0; j < rec->k; j++) {
			size_t i = 0;
			while (i + rec->len[j] <= out_len && memcmp(out + i, rec->p[j], rec->len[j]) != 0)
				i++;
			if (i + rec->len[j] > out_len)
				return 0;
		}
	}
	return 1;
}

/* Runs argv with stdout into a buffer; returns the exit status (-1 if it
 * could not run) and the wall time. */
static int run(char *const argv[], uint8_t **out, size_t *out_len, double *secs)
{
	int fd[2];
	*out = NULL;
	*out_len = 0;
	if (pipe(fd))
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	pid_t pid;
	double t0 = bench_now();
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc) {
		close(fd[0]);
		return -1;
	}
	size_t cap = 0;
	for (;;) {
		if (*out_len == cap) {
			cap = cap ? 2 * cap : 65536;
			*out = realloc(*out, cap);
			if (!*out)
				abort();
		}
		ssize_t n = read(fd[0], *out + *out_len, cap - *out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*out_len += (size_t)n;
	}
	close(fd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*secs = bench_now() - t0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int zxing(const char *file, const struct shot *rec, double *secs)
{
	char *argv[] = { "ZXingReader", "-bytes", (char *)file, NULL };
	uint8_t *out;
	size_t len;
	int rc = run(argv, &out, &len, secs);
	int ok = rc >= 0 && has_record(out, len, rec);
	free(out);
	return rc < 0 ? -1 : ok;
}

/* `phr scan --format json FILE`: exit 0 and every record restored (its
 * container matched the tag its chunks carry, so every byte came back). */
static int phr_exe(const char *exe, const char *file, const struct shot *sh, double *secs)
{
	char *argv[] = { (char *)exe, "scan", "--format", "json", (char *)file, NULL };
	uint8_t *out;
	size_t len;
	int rc = run(argv, &out, &len, secs);
	int ok = sh != NULL;
	json_t *doc = rc == 0 && sh ? json_loadb((const char *)out, len, 0, NULL) : NULL;
	json_t *sets = json_object_get(json_object_get(doc, "scan"), "sets");
	for (size_t d = 0; sh && d < sh->n; d++) {
		char hex[2 * PHR_CHUNK_PREFIX_BYTES + 1];
		int restored = 0;
		for (size_t i = 0; i < PHR_CHUNK_PREFIX_BYTES; i++)
			snprintf(hex + 2 * i, 3, "%02x", sh->rec[d]->id_prefix[i]);
		for (size_t i = 0; i < json_array_size(sets); i++) {
			json_t *set = json_array_get(sets, i);
			const char *prefix = json_string_value(json_object_get(set, "record_id_prefix"));
			restored |= prefix && !strcmp(prefix, hex) && json_is_true(json_object_get(set, "restored"));
		}
		ok &= restored;
	}
	json_decref(doc);
	free(out);
	return rc < 0 ? -1 : ok;
}

/* In process, as `phr scan` runs it: file to grey, grey to codes. pass < 0:
 * the whole cascade. */
static int phr_inproc(const char *file, const struct shot *sh, int pass, double *secs, unsigned *passes)
{
	double t0 = bench_now();
	size_t len;
	uint8_t *buf = read_all(file, &len);
	struct phr_image img;
	struct phr_scan_result *res = malloc(sizeof(*res));
	if (!buf || !res)
		bench_die(file);
	if (phr_image_load(buf, len, &img))
		bench_die(file);
	free(buf);
	if ((pass < 0 ? phr_scan_image(&img, res) : phr_scan_pass(&img, pass, res)) != PHR_OK)
		bench_die(file);
	*secs = bench_now() - t0;
	size_t found = 0, want = 0;
	for (size_t d = 0; d < sh->n; d++) {
		const struct record *rec = sh->rec[d];
		want += rec->k;
		for (size_t j = 0; j < rec->k; j++)
			for (size_t i = 0; i < res->n; i++)
				if (res->codes[i].len == rec->len[j] &&
				    memcmp(res->codes[i].data, rec->p[j], rec->len[j]) == 0) {
					found++;
					break;
				}
	}
	int ok = found == want;
	if (passes)
		*passes = res->passes;
	phr_scan_result_free(res);
	free(res);
	phr_image_free(&img);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Start-up cost: median wall time of 9 runs on a 64 x 64 white PNG. */
static double startup(const char *dir, const char *exe)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/tiny.png", dir);
	struct dimg t;
	dimg_init(&t, 64, 64, 255);
	if (dg_write_png(path, &t))
		bench_die("tiny image");
	dimg_free(&t);
	double v[9];
	for (int i = 0; i < 9; i++) {
		int rc = exe ? phr_exe(exe, path, NULL, &v[i]) : zxing(path, NULL, &v[i]);
		if (rc < 0)
			return NAN;
	}
	return median(v, 9);
}

/* --scan: each file, its codes, unread codes, passes and the least CPU
 * time of five runs. */
static int scan_files(char **files, int n)
{
	for (int f = 0; f < n; f++) {
		size_t len;
		uint8_t *buf = read_all(files[f], &len);
		struct phr_image img;
		struct phr_scan_result *res = malloc(sizeof(*res));
		if (!buf || !res || phr_image_load(buf, len, &img))
			bench_die(files[f]);
		double best = 1e9;
		for (int i = 0; i < 5; i++) {
			struct timespec a, b;
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
			if (phr_scan_image(&img, res))
				bench_die(files[f]);
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
			best = fmin(best, (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
			if (i < 4)
				phr_scan_result_free(res);
		}
		printf("%s: %dx%d, %zu codes, %zu unread, %u passes, %.1f ms CPU\n", files[f], img.width, img.height,
		       res->n, res->n_unread, res->passes, best);
		for (size_t i = 0; i < res->n; i++)
			printf("  code at %d,%d (%s), %zu bytes\n", res->codes[i].x, res->codes[i].y,
			       phr_scan_pass_name(res->codes[i].pass), res->codes[i].len);
		for (size_t i = 0; i < res->n_unread; i++)
			printf("  unread code at %d,%d, side %d\n", res->unread[i].x, res->unread[i].y, res->unread[i].side);
		phr_scan_result_free(res);
		free(res);
		phr_image_free(&img);
		free(buf);
	}
	return 0;
}

static int rm_dir(const char *dir)
{
	char cmd[4300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_scan [--n N] [--ecc L|M|Q|H] [--max-version V] [--class A,B,...] "
			"[--keep DIR] [--passes] [--no-zxing]\n       bench_scan --scan FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t n = 20;
	const char *only = NULL, *keep = NULL;
	int do_passes = 0, do_zxing = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--n") && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ecc") && i + 1 < argc && strchr("LMQH", argv[i + 1][0]))
			opt_ecc = (int)(strchr("LMQH", argv[++i][0]) - "LMQH");
		else if (!strcmp(argv[i], "--max-version") && i + 1 < argc)
			opt_maxv = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--class") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else if (!strcmp(argv[i], "--passes"))
			do_passes = 1;
		else if (!strcmp(argv[i], "--no-zxing"))
			do_zxing = 0;
		else if (!strcmp(argv[i], "--scan") && i + 1 < argc)
			return scan_files(argv + i + 1, argc - i - 1);
		else
			usage();
	}
	if (n == 0 || n > MAX_N || opt_maxv < 1 || opt_maxv > 40 || sodium_init() < 0)
		usage();
	const char *exe = getenv("PHR_EXE");
	if (exe && !*exe)
		exe = NULL;

	char dir[4096];
	if (keep) {
		snprintf(dir, sizeof(dir), "%s", keep);
		if (mkdir(dir, 0777) && errno != EEXIST)
			bench_die(dir);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/phr-bench-scan-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	}
	make_records();
	double zx_start = do_zxing ? startup(dir, NULL) : NAN;
	if (do_zxing && isnan(zx_start)) {
		fprintf(stderr, "bench_scan: ZXingReader does not run (Debian: apt-get install zxing-cpp-tools); "
				"measuring phr only\n");
		do_zxing = 0;
	}
	double phr_start = exe ? startup(dir, exe) : NAN;

	printf("\n%zu images per class, seeded; pages: A6 at 300 dpi, code at most 70 mm wide in whole pixels per "
	       "module.\n",
	       n);
	printf("phr        = reading the file + phr_image_load + phr_scan_image, in this process (one core)\n");
	if (exe)
		printf("phr scan   = `%s scan --format json FILE` as a process, spawn to exit (start-up on a 64x64 PNG: %.1f ms)\n",
		       exe, phr_start * 1e3);
	if (do_zxing)
		printf("ZXing      = `ZXingReader -bytes FILE` (zxing-cpp) as a process, spawn to exit, nothing "
		       "subtracted\n             (its start-up on a 64x64 PNG: %.1f ms)\n",
		       zx_start * 1e3);
	printf("success    = every code of the page back, byte for byte; ms = median over the class's images\n\n");

	printf("%-12s %4s  %8s %9s", "class", "n", "phr", "phr ms");
	if (exe)
		printf("  %8s %9s", "phr scan", "ms");
	if (do_zxing)
		printf("  %8s %9s", "ZXing", "ZXing ms");
	printf("  %s\n", "degradation");

	double *t_phr = malloc(n * sizeof(double)), *t_exe = malloc(n * sizeof(double)),
	       *t_zx = malloc(n * sizeof(double)), *t_pass = malloc(n * sizeof(double));
	unsigned pass_ok[N_CLASSES][PHR_PASS_COUNT] = { { 0 } }, pass_ran[N_CLASSES][PHR_PASS_COUNT] = { { 0 } };
	double pass_ms[N_CLASSES][PHR_PASS_COUNT] = { { 0 } };
	int all_goals = 1;
	double photo_median = NAN;
	if (!t_phr || !t_exe || !t_zx || !t_pass)
		abort();
	FILE *list = NULL;
	if (keep) {
		char lp[4200];
		snprintf(lp, sizeof(lp), "%s/params.txt", dir);
		list = fopen(lp, "w");
	}
	for (size_t c = 0; c < N_CLASSES; c++) {
		const struct class *cl = &classes[c];
		if (only) {
			const char *p = strstr(only, cl->name);
			size_t nl = strlen(cl->name);
			if (!p || (p != only && p[-1] != ',') || (p[nl] && p[nl] != ','))
				continue;
		}
		size_t ok_phr = 0, ok_exe = 0, ok_zx = 0;
		for (size_t i = 0; i < n; i++) {
			struct shot sh = { { &records[(i + c) % n_records] }, 1 };
			struct rng r;
			rng_seed(&r, 0x9e3779b97f4a7c15u * (c + 1) + i);
			char path[4200], param[200];
			snprintf(path, sizeof(path), "%s/%s-%02zu.%s", dir, cl->name, i, cl->ext);
			if (cl->mgen) {
				sh.n = cl->docs;
				for (size_t d = 0; d < sh.n; d++)
					sh.rec[d] = &records[(i + c + d) % n_records];
				if (cl->mgen(sh.rec, &r, path, param, sizeof(param)))
					bench_die(path);
			} else {
				struct page pg;
				render_page(sh.rec[0], &r, &pg);
				if (cl->gen(&pg, &r, path, param, sizeof(param)))
					bench_die(path);
				dimg_free(&pg.im);
			}
			const struct shot *rec = &sh;
			unsigned passes = 0;
			int ok = phr_inproc(path, rec, -1, &t_phr[i], &passes);
			ok_phr += (size_t)ok;
			int zok = -1;
			if (do_zxing)
				ok_zx += (size_t)(zok = zxing(path, rec, &t_zx[i]) > 0);
			if (exe)
				ok_exe += (size_t)(phr_exe(exe, path, rec, &t_exe[i]) > 0);
			if (list)
				fprintf(list, "%s-%02zu.%s\tv%d\t%s\tphr %s (%u passes, %.0f ms)\tzxing %s", cl->name, i,
					cl->ext, rec->rec[0]->version, param, ok ? "ok" : "MISS", passes, t_phr[i] * 1e3,
					zok < 0 ? "-" : zok ? "ok" : "MISS");
			if (do_passes)
				for (int p = 0; p < PHR_PASS_COUNT; p++) {
					double t;
					unsigned ran;
					int pok = phr_inproc(path, rec, p, &t, &ran);
					pass_ok[c][p] += (unsigned)pok;
					pass_ran[c][p] += ran;
					pass_ms[c][p] += ran ? t * 1e3 : 0;
					if (list)
						fprintf(list, "\t%s=%d:%.1f", phr_scan_pass_name(p), ran ? pok : -1, t * 1e3);
				}
			if (list)
				fprintf(list, "\n");
			if (!keep)
				unlink(path);
		}
		double m_phr = median(t_phr, n) * 1e3;
		printf("%-12s %4zu  %7.0f%% %9.1f", cl->name, n, 100.0 * (double)ok_phr / (double)n, m_phr);
		if (exe)
			printf("  %7.0f%% %9.1f", 100.0 * (double)ok_exe / (double)n, median(t_exe, n) * 1e3);
		if (do_zxing)
			printf("  %7.0f%% %9.1f", 100.0 * (double)ok_zx / (double)n, median(t_zx, n) * 1e3);
		printf("  %s\n", cl->what);
		fflush(stdout);
		if (do_zxing && ok_phr < ok_zx)
			all_goals = 0;
		if (!strcmp(cl->name, "photo12mp"))
			photo_median = m_phr;
	}
	if (list)
		fclose(list);
	if (do_passes) {
		printf("\nEach treatment alone (images read / images it ran on, mean ms when it ran):\n%-12s", "class");
		for (int p = 0; p < PHR_PASS_COUNT; p++)
			printf(" %16s", phr_scan_pass_name(p));
		printf("\n");
		for (size_t c = 0; c < N_CLASSES; c++) {
			unsigned any = 0;
			for (int p = 0; p < PHR_PASS_COUNT; p++)
				any += pass_ran[c][p];
			if (!any)
				continue;
			printf("%-12s", classes[c].name);
			for (int p = 0; p < PHR_PASS_COUNT; p++) {
				char cell[40];
				if (pass_ran[c][p])
					snprintf(cell, sizeof(cell), "%u/%u %.0fms", pass_ok[c][p], pass_ran[c][p],
						 pass_ms[c][p] / pass_ran[c][p]);
				else
					snprintf(cell, sizeof(cell), "-");
				printf(" %16s", cell);
			}
			printf("\n");
		}
	}
	printf("\nGoals: phr's rate >= ZXing's in every class: %s; 12 MP photo median <= 150 ms: %s\n",
	       !do_zxing ? "not measured" : all_goals ? "met" : "NOT met",
	       isnan(photo_median) ? "not measured" : photo_median <= 150 ? "met" : "NOT met");
	if (keep)
		printf("Images and parameters kept in %s\n", dir);
	else if (rm_dir(dir) != 0)
		fprintf(stderr, "bench_scan: could not remove %s\n", dir);
	for (size_t i = 0; i < n_records; i++)
		for (size_t j = 0; j < records[i].k; j++)
			free(records[i].p[j]);
	free(t_phr);
	free(t_exe);
	free(t_zx);
	free(t_pass);
	return 0;
}
