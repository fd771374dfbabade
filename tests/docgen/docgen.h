/* Sample documents for the tests, made by the libraries that make real
 * ones (not by phr): a PDF and a PNG drawn with cairo, a JPEG written by
 * libjpeg. Each returns malloc'd bytes (free()) or NULL. */
#ifndef PHR_TEST_DOCGEN_H
#define PHR_TEST_DOCGEN_H

#include <stddef.h>
#include <stdint.h>

/* An A4 PDF of pages pages (at least 1), each with a heading and lines drawn. */
uint8_t *docgen_pdf(int pages, size_t *len);
/* A w x h RGB (alpha: ARGB) PNG with a gradient and lines drawn. */
uint8_t *docgen_png(int w, int h, int alpha, size_t *len);
/* A w x h JPEG; progressive: a progressive one; gray: one component. */
uint8_t *docgen_jpeg(int w, int h, int progressive, int gray, size_t *len);

#endif
