/* tests/vectors: deterministic golden vectors of the wire format, shared by
 * make_vectors (writes them) and test_vectors (regenerates and compares).
 *
 * Everything comes from fixed inputs: keys from fixed 32-byte seeds
 * (phr_key_from_seed), record id 00 01 .. 0f, fixed times, entry contents
 * from examples/. The one random input of the library, the salt and nonce of
 * a sealed .key file, is fixed by installing a libsodium randombytes
 * implementation (vec_rng_install) that hands out scripted bytes while armed.
 *
 * The same code renders the generated parts of docs/FORMAT.md (annotated
 * hex dumps, the content CDDL, the limits tables), between the markers
 *   <!-- make_vectors:begin NAME --> ... <!-- make_vectors:end NAME -->
 */
#ifndef PHR_TEST_VECTORS_H
#define PHR_TEST_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VEC_MAX_ITEMS 160
#define VEC_PASSPHRASE "phr test vector passphrase"
#define VEC_DICT_PATH "docs/format/phr-dict-v1.bin"
/* Dictionary v1 as docs/FORMAT.md publishes it. Pinned here as well as in
 * expected/versions.txt, which make_vectors rewrites: a changed dictionary
 * is a new compression method, never a regenerated vector. */
#define VEC_DICT_V1_LEN 32768
#define VEC_DICT_V1_HASH "2cf854e98a77a4bdb8eb6b09f2bbc4fb886f2e5095d8402910a9a3b23a31b62e"

/* Which library produced an item's bytes: compressed outputs depend on the
 * zlib / libzstd version, everything else only on the format. */
enum vec_kind {
	VEC_EXACT = 0,
	VEC_ZLIB = 1,
	VEC_ZSTD = 2,
};

struct vec_item {
	char name[96]; /* file name under expected/, without ".hex" */
	uint8_t *data;
	size_t len;
	int kind; /* enum vec_kind */
};

struct vec_set {
	struct vec_item item[VEC_MAX_ITEMS];
	size_t n;
	bool have_dict;          /* docs/format/phr-dict-v1.bin is not empty */
	size_t dict_len;
	uint8_t dict_hash[32];   /* BLAKE2b-256 of the dictionary file */
	uint32_t dict_id;        /* Dictionary_ID of a zstd dictionary (0: not one) */
};

/* Installs the scripted randombytes implementation. Call first in main(),
 * before any phr_* or sodium_* call. 0 on success. */
int vec_rng_install(void);

/* Generates every vector from the source tree at root. 0 on success, else
 * prints why on stderr and returns -1. Free with vec_free(). */
int vec_generate(const char *root, struct vec_set *s);
void vec_free(struct vec_set *s);
const struct vec_item *vec_find(const struct vec_set *s, const char *name);

/* The versions.txt text for s (malloc'd). */
char *vec_versions_text(const struct vec_set *s);
/* Runtime library versions. */
const char *vec_zlib_version(void);
const char *vec_zstd_version(void);

/* Hex files: lowercase, 64 digits per line, every line ends in '\n'. */
char *vec_hex_file(const uint8_t *p, size_t n);
/* Strict parser of the above. 0 on success (*out malloc'd), -1 if the text
 * is not in exactly that form. */
int vec_unhex_file(const char *text, size_t len, uint8_t **out, size_t *outlen);

/* Vectors a reader must refuse (expected/<name>.hex, except
 * "invalid-chunk-prefix", the codes invalid-chunk-prefix-0.qr and -1.qr):
 * what is wrong, the error code, and a fragment of phr's message. */
struct vec_invalid {
	const char *name;
	const char *what;
	int rc;
	const char *rc_name;
	const char *message;
};
extern const struct vec_invalid vec_invalid[];
extern const size_t vec_ninvalid;

/* Reads a whole file (malloc'd, NUL-terminated). NULL if it cannot. */
char *vec_read_file(const char *path, size_t *len);

/* ---- docs/FORMAT.md ---- */

struct vec_doc_block {
	const char *name;
	int kind; /* enum vec_kind: VEC_EXACT, or the library whose output it shows */
};
extern const struct vec_doc_block vec_doc_blocks[];
extern const size_t vec_doc_nblocks;

/* Renders block name (Markdown, ends with '\n'). malloc'd; NULL on error. */
char *vec_doc_render(const struct vec_set *s, const char *name);
/* Finds block name in doc; sets *start and *end to its body (between the marker
 * lines). false if the markers are missing. */
bool vec_doc_find(const char *doc, const char *name, size_t *start, size_t *end);

#endif
