/* phr — compression of the container body (docs/FORMAT.md §Compression).
 *
 * Methods are wire ids; a dictionary is part of its method's id, so a new
 * dictionary gets a new id and old containers stay readable.
 * Decompression is bounded: the caller passes the declared output size, which
 * is checked against PHR_MAX_BODY before anything is allocated, and the
 * output must be exactly that size (a bomb cannot expand past it).
 */
#ifndef PHR_COMPRESS_H
#define PHR_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

enum phr_compression {
	PHR_COMP_NONE = 0,
	PHR_COMP_DEFLATE = 1,       /* raw DEFLATE (RFC 1951), level 9 */
	PHR_COMP_DEFLATE_DICT1 = 2, /* raw DEFLATE with preset dictionary v1 */
	PHR_COMP_ZSTD_DICT1 = 3,    /* zstd, magicless frame, dictionary v1 */
	PHR_COMP_MAX = 3,
};

#define PHR_MAX_BODY (256 * 1024) /* largest decompressed container body */
size_t phr_max_body(void);

/* zstd-dict frames (docs/FORMAT.md, Compression): the window must hold the
 * whole body plus PHR_ZSTD_DICT_RESERVE bytes (the size of dictionary v1,
 * which bounds its content), rounded up to a power of two; for a body of at
 * most PHR_MAX_BODY that is at most 2^PHR_ZSTD_MAX_WINDOWLOG. */
#define PHR_ZSTD_DICT_RESERVE 32768
#define PHR_ZSTD_MAX_WINDOWLOG 19
/* log2 of the one Window_Size a zstd-dict frame of a body_len-byte body
 * declares: the smallest n >= 10 with 2^n >= body_len + PHR_ZSTD_DICT_RESERVE. */
int phr_zstd_window_log(size_t body_len);

/* The default method for new containers (chosen by measurement). */
int phr_compression_default(void);
const char *phr_compression_name(int method);

/* *out is malloc'd. */
PHR_NODISCARD int phr_compress(int method, const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen);
/* Output is malloc'd, exactly declared bytes; PHR_E_LIMIT if declared >
 * PHR_MAX_BODY, PHR_E_MALFORMED if the data does not decompress to exactly
 * declared bytes. On failure *out is NULL. */
PHR_NODISCARD int phr_decompress(int method, const uint8_t *in, size_t inlen, size_t declared, uint8_t **out);

#endif
