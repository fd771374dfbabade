/* print/qrimage.c: symbols as libqrencode makes them, drawn so that every
 * module is whole pixels. Decoding is tested in test_scan.c and the
 * integration suite; here the pixels are read back and compared with the
 * modules, independently of any QR decoder. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include "phr/chunk.h"
#include "phr/qrimage.h"
#include "testlib.h"

struct rd {
	const uint8_t *p;
	size_t len, off;
};

static cairo_status_t mem_read(void *closure, unsigned char *data, unsigned int n)
{
	struct rd *r = closure;
	if (r->len - r->off < n)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->p + r->off, n);
	r->off += n;
	return CAIRO_STATUS_SUCCESS;
}

/* Every pixel of the PNG is the colour of its module (or white in the quiet zone). */
static int check_pixels(const struct phr_qr *q, const uint8_t *png, size_t len, int px, int quiet)
{
	struct rd r = { png, len, 0 };
	cairo_surface_t *s = cairo_image_surface_create_from_png_stream(mem_read, &r);
	CHECK(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
	int side = (q->width + 2 * quiet) * px;
	CHECK(cairo_image_surface_get_width(s) == side && cairo_image_surface_get_height(s) == side);
	cairo_surface_flush(s);
	const uint8_t *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	cairo_format_t f = cairo_image_surface_get_format(s);
	size_t dark = 0;
	for (int y = 0; y < side; y++)
		for (int x = 0; x < side; x++) {
			int mx = x / px - quiet, my = y / px - quiet;
			int want = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
				   q->modules[(size_t)my * (size_t)q->width + (size_t)mx];
			unsigned v = f == CAIRO_FORMAT_A8 ? d[(size_t)y * (size_t)stride + (size_t)x]
							  : d[(size_t)y * (size_t)stride + 4 * (size_t)x]; /* blue byte */
			if (want != (v < 128)) {
				fprintf(stderr, "  pixel %d,%d is %u, module %d,%d is %s\n", x, y, v, mx, my,
					want ? "dark" : "light");
				cairo_surface_destroy(s);
				return 1;
			}
			dark += want;
		}
	cairo_surface_destroy(s);
	CHECK(dark > 0);
	return 0;
}

static int test_alphanumeric_and_bytes(void)
{
	static const char text[] = "PH1:ABC DEF$%*+-./:0123456789";
	uint8_t bytes[256];
	for (int i = 0; i < 256; i++)
		bytes[i] = (uint8_t)i;
	struct phr_qr *q;
	CHECK_RC(phr_qr_make((const uint8_t *)text, strlen(text), PHR_CHUNK_BASE45, PHR_ECC_M, 40, &q), PHR_OK);
	CHECK(q->version >= 1 && q->width == 17 + 4 * q->version);
	uint8_t *png;
	size_t len;
	CHECK_RC(phr_qr_png(q, 3, 4, &png, &len), PHR_OK);
	CHECK(len > 8 && memcmp(png, "\x89PNG", 4) == 0);
	CHECK(check_pixels(q, png, len, 3, 4) == 0);
	free(png);
	phr_qr_free(q);
	CHECK_RC(phr_qr_make(bytes, sizeof(bytes), PHR_CHUNK_BYTES, PHR_ECC_H, 40, &q), PHR_OK);
	CHECK_RC(phr_qr_png(q, 1, 0, &png, &len), PHR_OK);
	CHECK(check_pixels(q, png, len, 1, 0) == 0);
	free(png);
	phr_qr_free(q);
	return 0;
}

static int test_version_grows_and_is_capped(void)
{
	char buf[1200];
	int last = 0;
	for (size_t n = 10; n < sizeof(buf); n += 97) {
		struct phr_qr *q;
		memset(buf, 'A', n);
		CHECK_RC(phr_qr_make((const uint8_t *)buf, n, PHR_CHUNK_BASE45, PHR_ECC_M, 40, &q), PHR_OK);
		CHECK(q->version >= last);
		last = q->version;
		int v = q->version;
		phr_qr_free(q);
		if (v > 1) {
			int rc = phr_qr_make((const uint8_t *)buf, n, PHR_CHUNK_BASE45, PHR_ECC_M, v - 1, &q);
			CHECK(rc == PHR_E_LIMIT && q == NULL);
		}
	}
	CHECK(last > 10);
	return 0;
}

static int test_refusals(void)
{
	struct phr_qr *q = (struct phr_qr *)1;
	CHECK_RC(phr_qr_make((const uint8_t *)"lower case", 10, PHR_CHUNK_BASE45, PHR_ECC_M, 40, &q), PHR_E_ARG);
	CHECK(q == NULL);
	CHECK_RC(phr_qr_make((const uint8_t *)"A", 1, PHR_CHUNK_BASE45, 7, 40, &q), PHR_E_ARG);
	CHECK_RC(phr_qr_make((const uint8_t *)"A", 1, PHR_CHUNK_BASE45, PHR_ECC_M, 41, &q), PHR_E_ARG);
	static uint8_t big[3000];
	CHECK_RC(phr_qr_make(big, sizeof(big), PHR_CHUNK_BYTES, PHR_ECC_H, 40, &q), PHR_E_LIMIT);
	printf("  %s\n", phr_last_error());
	CHECK_RC(phr_qr_make((const uint8_t *)"A", 1, PHR_CHUNK_BASE45, PHR_ECC_M, 40, &q), PHR_OK);
	uint8_t *png = NULL;
	size_t len;
	CHECK_RC(phr_qr_png(q, 0, 4, &png, &len), PHR_E_ARG);
	CHECK_RC(phr_qr_png(q, 2, -1, &png, &len), PHR_E_ARG);
	CHECK(png == NULL);
	phr_qr_free(q);
	return 0;
}

static int test_svg(void)
{
	struct phr_qr *q;
	CHECK_RC(phr_qr_make((const uint8_t *)"PH1:SVG", 7, PHR_CHUNK_BASE45, PHR_ECC_M, 40, &q), PHR_OK);
	char *svg;
	size_t len;
	CHECK_RC(phr_qr_svg(q, 0.5, 4, &svg, &len), PHR_OK);
	CHECK(strlen(svg) == len && strstr(svg, "<svg") && strstr(svg, "</svg>"));
	/* (21 + 8) modules of 0.5 mm = 14.5 mm = 41.1 pt */
	CHECK(strstr(svg, "width=\"41.1") != NULL);
	free(svg);
	phr_qr_free(q);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "alphanumeric and byte symbols, pixels match modules", test_alphanumeric_and_bytes },
		{ "version grows with the payload and is capped", test_version_grows_and_is_capped },
		{ "bad payloads and sizes refused", test_refusals },
		{ "SVG sized in millimetres", test_svg },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
