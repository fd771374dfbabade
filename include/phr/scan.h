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

/* 8-bit luminance, row-major, stride = width. */
struct phr_image {
	int width, height;
	uint8_t *grey;
};

/* Decodes a PNG or JPEG (told apart by their magic bytes) into grey.
 * PHR_E_IMAGE naming the problem for anything else or a damaged file;
 * PHR_E_LIMIT beyond PHR_MAX_IMAGE_PIXELS, checked before the pixels are
 * allocated. */
PHR_NODISCARD int phr_image_load(const uint8_t *buf, size_t len, struct phr_image *out);
void phr_image_free(struct phr_image *img);

/* One code found: its payload exactly as encoded, and where it was (centre,
 * in the coordinates of the image passed in). */
struct phr_code {
	uint8_t *data;
	size_t len;
	int x, y;
};

struct phr_scan_result {
	size_t n;
	struct phr_code codes[PHR_MAX_CODES_PER_IMAGE];
	unsigned passes; /* treatments tried before the scan stopped */
};

/* Finds every QR code in img; identical payloads are reported once.
 * Treatments (docs/QR.md): a reduced-size first pass for large photos,
 * then the image as is, and on to further treatments only while
 * phr_scan_result says a phr set is still incomplete or nothing was found.
 * Returns PHR_OK (also when nothing is found: n == 0). */
PHR_NODISCARD int phr_scan_image(const struct phr_image *img, struct phr_scan_result *out);
void phr_scan_result_free(struct phr_scan_result *r);

#endif
