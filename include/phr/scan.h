/* Reading QR codes from pictures (verifier/): PNG and JPEG files (scans,
 * phone photos), ZBar with its binary option so bytes come back exactly,
 * and a cascade of image treatments for what a first pass misses. */
#ifndef PHR_SCAN_H
#define PHR_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_MAX_IMAGE_FILE (64u * 1024 * 1024)   /* bytes of one image file */
#define PHR_MAX_IMAGE_PIXELS (100u * 1000 * 1000) /* width * height */
#define PHR_MAX_CODES_PER_IMAGE 256
#define PHR_MAX_UNREAD_PER_IMAGE 32 /* codes seen but not read, reported */

/* 8-bit luminance, row-major, stride = width. */
struct phr_image {
	int width, height;
	uint8_t *grey;
};

/* Decodes a PNG or JPEG (told apart by their magic bytes) into grey:
 * every PNG colour type, depth and interlacing (alpha composited on
 * white); greyscale, YCbCr, RGB, CMYK and YCCK JPEG, baseline, progressive
 * or arithmetic. A JPEG's EXIF orientation (1-8) is applied: the picture
 * comes out upright, as the camera meant it, and positions are in that
 * grid; a damaged or missing tag reads as 1 (as stored).
 * Returns PHR_E_IMAGE naming the problem for anything else or a damaged
 * file (a truncated or corrupt JPEG included); PHR_E_LIMIT for a file
 * over PHR_MAX_IMAGE_FILE, or a picture over PHR_MAX_IMAGE_PIXELS (checked
 * from the header, before the pixels are allocated) or whose JPEG decoding
 * would need more than 256 MB of working memory; PHR_E_NOMEM; PHR_E_ARG
 * for a NULL out, or NULL buf with len > 0. On failure *out is 0 x 0 with
 * grey NULL. On success out->grey is malloc'd: phr_image_free.
 * Thread-safe (no shared state). */
PHR_NODISCARD int phr_image_load(const uint8_t *buf, size_t len, struct phr_image *out);
/* Frees img->grey and sets img to 0 x 0; NULL is a no-op. */
void phr_image_free(struct phr_image *img);

/* The treatments of the scan cascade, in the order phr_scan_image tries
 * them (docs/QR.md says what each does and which pictures it rescues). */
enum phr_scan_pass {
	PHR_PASS_REDUCED,   /* area-averaged copy of a large photo */
	PHR_PASS_AS_IS,     /* the picture itself */
	PHR_PASS_ZXING,     /* the picture itself, read by zxing-cpp */
	PHR_PASS_HALF,      /* area-averaged to half size */
	PHR_PASS_SMOOTH,    /* half size, then a binomial blur */
	PHR_PASS_RECTIFY,   /* each code's perspective undone from its finder patterns */
	PHR_PASS_STRETCH,   /* min-max contrast stretch */
	PHR_PASS_MEDIAN,    /* 3 x 3 median filter */
	PHR_PASS_THRESHOLD, /* adaptive threshold, local mean over 41 x 41 */
	PHR_PASS_THRESHOLD_FINE, /* the same over 21 x 21 */
	PHR_PASS_UPSCALE,   /* 2x bilinear upscale, sharpened */
	PHR_PASS_KEYSTONE,  /* keystone pre-warps in 8 directions */
	PHR_PASS_COUNT
};
/* Short name of a treatment ("half"); "unknown" for another number. */
const char *phr_scan_pass_name(int pass);

/* One code found: its payload exactly as encoded, where it was (centre,
 * in the coordinates of the image passed in), and the treatment that
 * found it. */
struct phr_code {
	uint8_t *data;
	size_t len;
	int x, y;
	int pass; /* enum phr_scan_pass */
};

/* A code seen but not read: three finder patterns that make a symbol, or
 * a symbol zxing-cpp located but could not decode, outside every code
 * read. Centre and approximate side in the coordinates of the image. */
struct phr_unread {
	int x, y, side;
};

struct phr_scan_result {
	size_t n;
	struct phr_code codes[PHR_MAX_CODES_PER_IMAGE];
	unsigned passes; /* treatments tried before the scan stopped */
	size_t n_unread; /* at most PHR_MAX_UNREAD_PER_IMAGE */
	struct phr_unread unread[PHR_MAX_UNREAD_PER_IMAGE];
};

/* Finds every QR code in img; identical payloads are reported once, at
 * most PHR_MAX_CODES_PER_IMAGE. The treatments of enum phr_scan_pass run
 * in order (docs/QR.md) until the stopping rule holds: at least one code
 * was found, every phr chunk set among the codes (phr_chunk_parse) holds
 * k distinct chunks, and no code was seen that is not read yet (finder
 * patterns of a symbol outside every code read: another document in the
 * photo). A picture with nothing readable, with part of a set only, or
 * with a code that none of them reads, goes through them all; the codes
 * seen and never read are listed in unread.
 * Returns PHR_OK (also when nothing is found: n == 0); PHR_E_ARG for a
 * NULL or empty img; PHR_E_LIMIT for more than PHR_MAX_IMAGE_PIXELS;
 * PHR_E_NOMEM. out is caller memory (large: put it on the heap); its
 * payloads are malloc'd, freed by phr_scan_result_free; on failure it
 * holds nothing. Thread-safe: each call has its own ZBar scanner. */
PHR_NODISCARD int phr_scan_image(const struct phr_image *img, struct phr_scan_result *out);
/* One treatment alone, whatever it finds, without the stopping rule (for
 * measurements). PHR_OK with passes == 0 when the treatment does not apply
 * to img (the reduced pass on a small picture, the upscale on a large
 * one); PHR_E_ARG for a pass outside the enum. */
PHR_NODISCARD int phr_scan_pass(const struct phr_image *img, int pass, struct phr_scan_result *out);
/* Frees the payloads and empties r; NULL is a no-op. */
void phr_scan_result_free(struct phr_scan_result *r);

#endif
