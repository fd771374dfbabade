/* A trust bundle's QR codes on an A4 poster (print/trust_poster.c,
 * docs/TRUST.md "Trust by QR"): what the bundle is (version, dates, the
 * authority that signed it, the authorities it lists) in one language, and
 * every code of its chunk set, numbered, sized for a camera or a scanner. */
#ifndef PHR_TRUST_POSTER_H
#define PHR_TRUST_POSTER_H

#include <stddef.h>
#include <stdint.h>

#include "phr/chunk.h"
#include "phr/crypto.h"
#include "phr/error.h"

#define PHR_POSTER_MIN_MODULE_MM 0.5 /* smallest module drawn; more pages rather than smaller codes */

/* Draws the poster as PDF into *pdf (malloc'd, the caller frees it). set
 * holds the payloads of phr_chunk_split_trust (Base45 text), cut at ecc
 * and max_version; k and m as the plan says. lang is a label language
 * (phr/labels.h; labels "ui.trustposter.*", English where one is missing).
 * PHR_E_LIMIT when a code cannot be made; PHR_E_NOMEM; PHR_E_IO when Cairo
 * fails. */
PHR_NODISCARD int phr_print_trust_poster(const struct phr_trust *t, const struct phr_chunk_set *set, unsigned k,
					 unsigned m, int ecc, int max_version, const char *lang, uint8_t **pdf,
					 size_t *pdf_len);

#endif
