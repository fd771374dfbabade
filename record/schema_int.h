/* Internal to record/: schema checks on content already validated as CBOR. */
#ifndef PHR_SCHEMA_INT_H
#define PHR_SCHEMA_INT_H

#include <stddef.h>
#include <stdint.h>

/* phr_entry_validate() for content that is one complete item inside a
 * buffer phr_cbor_dec_init() accepted (an entry payload): the same checks
 * but the CBOR validation walk. */
int phr_entry_validate_nested(const uint8_t *cbor, size_t len);

#endif
