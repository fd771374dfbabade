/* Internal to record/: the CBOR cursor over bytes already validated. */
#ifndef PHR_CBOR_INT_H
#define PHR_CBOR_INT_H

#include "phr/cbor.h"

/* A cursor over buf, which must be one complete item inside a buffer that
 * phr_cbor_dec_init() accepted (so it is canonical, within the limits and
 * with nothing after it). Skips the validation walk phr_cbor_dec_init()
 * would repeat. */
void phr_cbor_dec_init_nested(struct phr_cbor_dec *d, const uint8_t *buf, size_t len);

#endif
