/* phr — deterministic CBOR (RFC 8949 §4.2.1) over libcbor.
 *
 * The encoder writes the shortest form of every head, definite lengths only,
 * into a caller buffer. It keeps a sticky error: calls after an overflow do
 * nothing, and phr_cbor_enc_finish() reports it once. With buf == NULL it only
 * counts, so a first pass gives the exact size to allocate.
 * Map keys must be emitted in canonical order by the caller; the decoder
 * rejects any other order, so a mistake is caught by every round-trip test.
 *
 * The decoder accepts only what this format uses: unsigned and negative
 * integers, byte strings, UTF-8 text strings, arrays, maps, false, true, null,
 * and tag 4 (decimal fraction). It rejects every non-deterministic encoding:
 * non-shortest heads, indefinite lengths, maps whose keys are not in strictly
 * increasing bytewise order (so duplicate keys too), floats, undefined,
 * simple values, other tags, invalid UTF-8, nesting deeper than
 * PHR_CBOR_MAX_DEPTH, more than PHR_CBOR_MAX_ITEMS items, and trailing bytes.
 * phr_cbor_dec_init() validates the whole buffer once; the get functions then
 * read it as a cursor and fail (with a message naming the offset) on a type
 * mismatch. Byte and text strings are returned as pointers into the buffer:
 * they live as long as the buffer.
 *
 * Thread safety: none needed; an encoder or decoder is used by one thread.
 */
#ifndef PHR_CBOR_H
#define PHR_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_CBOR_MAX_DEPTH 16
#define PHR_CBOR_MAX_ITEMS 65536
size_t phr_cbor_max_depth(void);
size_t phr_cbor_max_items(void);

enum phr_cbor_type {
	PHR_CBOR_UINT = 0,
	PHR_CBOR_NINT = 1,
	PHR_CBOR_BYTES = 2,
	PHR_CBOR_TEXT = 3,
	PHR_CBOR_ARRAY = 4,
	PHR_CBOR_MAP = 5,
	PHR_CBOR_TAG = 6,
	PHR_CBOR_SIMPLE = 7, /* false, true, null */
	PHR_CBOR_NONE = -1,  /* end of buffer or error */
};

struct phr_cbor_enc {
	uint8_t *buf; /* NULL: count only */
	size_t cap;
	size_t len;
	int err;
};

void phr_cbor_enc_init(struct phr_cbor_enc *e, uint8_t *buf, size_t cap);
void phr_cbor_put_uint(struct phr_cbor_enc *e, uint64_t v);
void phr_cbor_put_int(struct phr_cbor_enc *e, int64_t v);
void phr_cbor_put_bytes(struct phr_cbor_enc *e, const void *p, size_t n);
void phr_cbor_put_text(struct phr_cbor_enc *e, const char *s, size_t n);
void phr_cbor_put_cstr(struct phr_cbor_enc *e, const char *s);
void phr_cbor_put_bool(struct phr_cbor_enc *e, bool v);
void phr_cbor_put_null(struct phr_cbor_enc *e);
void phr_cbor_put_array(struct phr_cbor_enc *e, size_t n);
void phr_cbor_put_map(struct phr_cbor_enc *e, size_t n);
void phr_cbor_put_tag(struct phr_cbor_enc *e, uint64_t tag);
/* Copies an already encoded item (caller vouches that it is canonical). */
void phr_cbor_put_raw(struct phr_cbor_enc *e, const void *p, size_t n);
/* Writes the head of a byte string of n bytes; the caller then writes n bytes
 * with phr_cbor_put_raw(). */
void phr_cbor_put_bytes_head(struct phr_cbor_enc *e, size_t n);
/* PHR_OK and *len = bytes written (or needed, in counting mode), or
 * PHR_E_BUFFER if the buffer was too small (*len = bytes needed). */
PHR_NODISCARD int phr_cbor_enc_finish(struct phr_cbor_enc *e, size_t *len);

struct phr_cbor_dec {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

/* Validates buf[0..len) as exactly one deterministic CBOR item (see above)
 * and positions the cursor before it. Returns PHR_OK or a malformed/limit
 * error with a message naming the offset. */
PHR_NODISCARD int phr_cbor_dec_init(struct phr_cbor_dec *d, const uint8_t *buf, size_t len);
/* Same validation without a cursor. */
PHR_NODISCARD int phr_cbor_validate(const uint8_t *buf, size_t len);

enum phr_cbor_type phr_cbor_peek(const struct phr_cbor_dec *d);
bool phr_cbor_at_end(const struct phr_cbor_dec *d);
PHR_NODISCARD int phr_cbor_get_uint(struct phr_cbor_dec *d, uint64_t *v);
/* Accepts unsigned and negative integers in int64 range. */
PHR_NODISCARD int phr_cbor_get_int(struct phr_cbor_dec *d, int64_t *v);
PHR_NODISCARD int phr_cbor_get_bytes(struct phr_cbor_dec *d, const uint8_t **p, size_t *n);
PHR_NODISCARD int phr_cbor_get_text(struct phr_cbor_dec *d, const char **s, size_t *n);
PHR_NODISCARD int phr_cbor_get_bool(struct phr_cbor_dec *d, bool *v);
PHR_NODISCARD int phr_cbor_get_null(struct phr_cbor_dec *d);
PHR_NODISCARD int phr_cbor_get_array(struct phr_cbor_dec *d, size_t *n);
PHR_NODISCARD int phr_cbor_get_map(struct phr_cbor_dec *d, size_t *n);
PHR_NODISCARD int phr_cbor_get_tag(struct phr_cbor_dec *d, uint64_t *tag);
/* Skips one whole item (with its children). */
PHR_NODISCARD int phr_cbor_skip(struct phr_cbor_dec *d);
/* Returns the encoded span of the next whole item and skips it. */
PHR_NODISCARD int phr_cbor_get_raw(struct phr_cbor_dec *d, const uint8_t **p, size_t *n);
/* Reads a byte string of exactly n bytes into out. */
PHR_NODISCARD int phr_cbor_get_bytes_exact(struct phr_cbor_dec *d, uint8_t *out, size_t n);
/* Reads an unsigned map key and checks it equals want. */
PHR_NODISCARD int phr_cbor_expect_key(struct phr_cbor_dec *d, uint64_t want);

#endif
