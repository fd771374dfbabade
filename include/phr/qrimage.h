/* QR symbols as images (print/): libqrencode for the symbol, Cairo for PNG
 * and SVG. Output goes to memory; the caller writes files (atomically). */
#ifndef PHR_QRIMAGE_H
#define PHR_QRIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

/* A QR symbol: width x width modules, 1 = dark. */
struct phr_qr {
	int version;
	int width;
	uint8_t *modules; /* width * width bytes, row-major */
};

/* Encodes payload as one symbol: mode PHR_CHUNK_BASE45 in alphanumeric mode
 * (the payload must be in the alphanumeric set), PHR_CHUNK_BYTES in byte
 * mode (no ECI header). The smallest version that holds it, at level ecc
 * (enum phr_qr_ecc). PHR_E_LIMIT when no version up to max_version does. */
PHR_NODISCARD int phr_qr_make(const uint8_t *payload, size_t len, int mode, int ecc, int max_version,
			      struct phr_qr **out);
void phr_qr_free(struct phr_qr *q);

/* Renders q with module_px pixels per module (a whole number, so that no
 * module straddles pixels) and a quiet zone of quiet modules, black on
 * white. PNG: 8-bit grey. SVG: one path, sized in millimetres when mm_per_module
 * > 0, else in pixels. *out is malloc'd. */
PHR_NODISCARD int phr_qr_png(const struct phr_qr *q, int module_px, int quiet, uint8_t **out, size_t *len);
PHR_NODISCARD int phr_qr_svg(const struct phr_qr *q, double mm_per_module, int quiet, char **out, size_t *len);

#endif
