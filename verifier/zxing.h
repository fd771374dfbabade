/* The second QR decoder of the scan cascade: zxing-cpp (a C++ library)
 * behind a C interface, so that the rest of verifier/ stays C11. Private
 * to verifier/scan.c. */
#ifndef PHR_VERIFIER_ZXING_H
#define PHR_VERIFIER_ZXING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One symbol zxing-cpp located: its payload (valid until the callback
 * returns; NULL and 0 when it could not be decoded) and its corners in the
 * picture's pixel coordinates (top-left, top-right, bottom-right,
 * bottom-left of the symbol). */
struct zx_symbol {
	const uint8_t *data;
	size_t len;
	int failed; /* located, sampled, but not decoded (too damaged) */
	double x[4], y[4];
};
/* Called once per symbol; a negative return stops the scan with it. */
typedef int (*zx_symbol_fn)(void *ctx, const struct zx_symbol *sym);

#define ZX_OK 0
#define ZX_NOMEM (-1)
#define ZX_FAILED (-2) /* zxing-cpp threw something else */

/* QR codes in a w x h grey picture (stride w), every symbol it finds,
 * those it located and could not decode included. Returns ZX_OK, ZX_NOMEM,
 * ZX_FAILED or the callback's negative value. */
int zx_scan(const uint8_t *grey, int w, int h, zx_symbol_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
