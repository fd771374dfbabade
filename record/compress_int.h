/* Private to record/ and its measurement tools (tools/dict-train.c): the
 * compression methods with an explicit dictionary, so that a candidate
 * dictionary is measured through exactly the code that ships. */
#ifndef PHR_COMPRESS_INT_H
#define PHR_COMPRESS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "phr/compress.h"

/* The dictionary built into this library (docs/format/phr-dict-v1.bin);
 * *len is 0 if the build has none. */
const uint8_t *phr_dict_v1_bytes(size_t *len);

/* As phr_compress()/phr_decompress(), with dict/dictlen standing in for the
 * built-in dictionary of the *_DICT1 methods (ignored by the others). */
PHR_NODISCARD int phr_compress_with(int method, const uint8_t *dict, size_t dictlen, const uint8_t *in,
				    size_t inlen, uint8_t **out, size_t *outlen);
PHR_NODISCARD int phr_decompress_with(int method, const uint8_t *dict, size_t dictlen, const uint8_t *in,
				      size_t inlen, size_t declared, uint8_t **out);

#endif
