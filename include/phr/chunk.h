/* QR transport: a container cut into chunks, each one QR code, with
 * optional Reed–Solomon parity chunks so that any k of k+m restore it.
 * docs/FORMAT.md, "QR chunks", is the normative description.
 *
 * A chunk on the wire (what a QR code holds):
 *   text form  "PH1:" + Base45(chunk)        (QR alphanumeric mode; default)
 *   byte form  "PH1" 0x00 + chunk             (QR byte mode)
 * chunk = header (15 bytes) || data (L bytes) || CRC-32 (4 bytes, big-endian,
 *         zlib crc32 over header || data)
 * header:
 *   0      version, 1
 *   1..4   first 4 bytes of the record id
 *   5..8   container tag: first 4 bytes of BLAKE2b-256(container)
 *   9      index: 0..k-1 data, k..k+m-1 parity
 *   10     k, data chunks, 1..255
 *   11     m, parity chunks, 0..255-k
 *   12..14 container length in bytes, big-endian, 1..PHR_MAX_CONTAINER
 * Every chunk of a set has the same L = ceil(length / k); data chunk i holds
 * container bytes [i*L, (i+1)*L), the last one zero-padded. Parity chunk
 * k+j holds, for each byte position b, parity symbol j of the Reed–Solomon
 * code over GF(256) (polynomial 0x11d, first consecutive root 1, primitive
 * element 1 — libfec's init_rs_char(8, 0x11d, 1, 1, m, 255-k-m)) whose data
 * symbols are byte b of data chunks 0..k-1. */
#ifndef PHR_CHUNK_H
#define PHR_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_CHUNK_VERSION 1
/* Header byte 0 is also the kind of what the codes carry: 1 a record
 * container, 2 a trust bundle (docs/FORMAT.md "QR chunks", docs/TRUST.md
 * "Trust by QR"). A trust bundle's chunks carry PHR_CHUNK_TRUST_PREFIX in
 * bytes 1..4 where a record's carry its id. */
#define PHR_CHUNK_VERSION_TRUST 2
#define PHR_CHUNK_TRUST_PREFIX "TRST"
enum phr_chunk_kind { PHR_CHUNK_RECORD = 0, PHR_CHUNK_TRUST = 1 };
#define PHR_CHUNK_TEXT_PREFIX "PH1:"
#define PHR_CHUNK_PREFIX_LEN 4
#define PHR_CHUNK_HEADER 15
#define PHR_CHUNK_CRC 4
#define PHR_MAX_CHUNKS 255          /* k + m */
#define PHR_MAX_QR_PAYLOAD 4296     /* most characters a QR code holds (V40-L alphanumeric) */
#define PHR_CHUNK_PREFIX_BYTES 4    /* record id bytes a chunk carries */
#define PHR_CHUNK_TAG_LEN 4
#define PHR_MAX_SETS 32             /* sets (records or versions) one assembler keeps apart */

enum phr_qr_ecc { PHR_ECC_L = 0, PHR_ECC_M = 1, PHR_ECC_Q = 2, PHR_ECC_H = 3 };
enum phr_chunk_mode { PHR_CHUNK_BASE45 = 0, PHR_CHUNK_BYTES = 1 };

/* Defaults, from measurements (docs/QR.md). */
#define PHR_QR_DEFAULT_ECC PHR_ECC_M
#define PHR_QR_DEFAULT_MAX_VERSION 20

/* ISO/IEC 18004 Table 7: characters (BASE45: alphanumeric mode) or bytes
 * (BYTES: byte mode) one symbol of this version (1..40) and level holds;
 * 0 for an invalid argument. */
size_t phr_qr_capacity(int version, int ecc, int mode);
/* The smallest version whose symbol holds a payload of len characters
 * (BASE45) or bytes (BYTES); 0 if none does. */
int phr_qr_version_for(size_t len, int ecc, int mode);

/* For payloads that are not one phr chunk (measurements of other
 * encodings, e.g. a byte-mode prefix followed by numeric digits): a run of
 * len characters in one QR mode, as ISO/IEC 18004 clause 7.4 codes it
 * (4-bit mode indicator, character count indicator, data). */
enum phr_qr_seg_mode { PHR_QR_NUMERIC = 0, PHR_QR_ALNUM = 1, PHR_QR_BYTE = 2 };
struct phr_qr_segment {
	int mode; /* enum phr_qr_seg_mode */
	size_t len;
};
/* Data bits one symbol of this version and level holds (Table 7 data
 * codewords x 8); 0 for an invalid argument. */
size_t phr_qr_data_bits(int version, int ecc);
/* The smallest version whose symbol at ecc holds the n segments, in this
 * order; 0 if none does or an argument is invalid. */
int phr_qr_version_segments(const struct phr_qr_segment *seg, size_t n, int ecc);

/* How a container is cut: k data chunks of data_len bytes each, m parity
 * chunks; the QR payload of every chunk fits max_version at ecc. */
struct phr_chunk_plan {
	int mode, ecc, max_version;
	unsigned k, m;
	size_t data_len;      /* L */
	size_t payload_len;   /* characters or bytes of each chunk's QR payload */
	int version;          /* the QR version each chunk needs */
};
/* PHR_E_ARG for a bad level, version or mode; PHR_E_LIMIT when the
 * container needs more than PHR_MAX_CHUNKS chunks or is larger than
 * PHR_MAX_CONTAINER. */
PHR_NODISCARD int phr_chunk_plan(size_t container_len, int mode, int ecc, int max_version, unsigned parity,
				 struct phr_chunk_plan *out);

/* The QR payloads of a container, index order (k data then m parity);
 * each payload is malloc'd and owned by the set (phr_chunk_set_free).
 * The container must be readable (phr_record_decode: that is where the
 * record id comes from); its error is returned otherwise. plan is what
 * phr_chunk_plan gave for this length, or a plan with another k whose
 * fields agree the same way (PHR_E_ARG if they do not). On failure *out
 * holds nothing. */
struct phr_chunk_set {
	size_t n;
	uint8_t *payload[PHR_MAX_CHUNKS];
	size_t len[PHR_MAX_CHUNKS];
};
PHR_NODISCARD int phr_chunk_split(const uint8_t *container, size_t len, const struct phr_chunk_plan *plan,
				  struct phr_chunk_set *out);
/* The same for a trust bundle (header byte 0 = PHR_CHUNK_VERSION_TRUST):
 * the bundle must load (phr_trust_load), its error is returned otherwise. */
PHR_NODISCARD int phr_chunk_split_trust(const uint8_t *bundle, size_t len, const struct phr_chunk_plan *plan,
					struct phr_chunk_set *out);
void phr_chunk_set_free(struct phr_chunk_set *s);

/* One chunk as read from a QR payload. data points into the buf passed to
 * phr_chunk_parse. */
struct phr_chunk {
	int mode;
	int kind; /* enum phr_chunk_kind, from header byte 0 */
	uint8_t record_prefix[PHR_CHUNK_PREFIX_BYTES];
	uint8_t tag[PHR_CHUNK_TAG_LEN];
	unsigned index, k, m;
	size_t container_len;
	const uint8_t *data;
	size_t data_len;
};
/* Parses a QR payload (either form) into c, decoding into buf (cap >=
 * PHR_MAX_QR_PAYLOAD is always enough). PHR_E_NOT_OURS when the payload
 * does not start with a phr prefix; PHR_E_CHECKSUM when the CRC fails;
 * PHR_E_MALFORMED / PHR_E_VERSION / PHR_E_LIMIT for the rest, each naming
 * the field. */
PHR_NODISCARD int phr_chunk_parse(const uint8_t *payload, size_t len, uint8_t *buf, size_t cap,
				  struct phr_chunk *c);

/* Reassembly: chunks of any number of containers, in any order, duplicates
 * harmless. A set is the chunks that share record prefix, tag, k, m, length
 * and data length (the same chunk read in text and in byte form is one
 * chunk). At most PHR_MAX_SETS sets; a chunk that would start one more gets
 * PHR_E_LIMIT. Messages name a chunk as "code i of n" with i = index + 1,
 * the way printed labels count. Not thread-safe: one assembler, one thread. */
struct phr_assembler;
PHR_NODISCARD int phr_assembler_new(struct phr_assembler **out);
void phr_assembler_free(struct phr_assembler *a);
/* Adds one QR payload. PHR_OK when it joined a set (or repeated a chunk the
 * set had: *duplicate is then true); otherwise the error of
 * phr_chunk_parse, or PHR_E_MALFORMED when it contradicts a chunk of the
 * same set already held (same index, other bytes). *set receives the index
 * of the set (0-based, in order of first appearance) when PHR_OK. */
PHR_NODISCARD int phr_assembler_add(struct phr_assembler *a, const uint8_t *payload, size_t len, size_t *set,
				    bool *duplicate);
size_t phr_assembler_count(const struct phr_assembler *a);

struct phr_set_info {
	uint8_t record_prefix[PHR_CHUNK_PREFIX_BYTES];
	uint8_t tag[PHR_CHUNK_TAG_LEN];
	unsigned k, m, have;       /* have: distinct chunks held */
	bool complete;             /* have >= k */
	size_t n_missing;          /* indexes 0..k+m-1 not held */
	uint8_t missing[PHR_MAX_CHUNKS];
	unsigned need;             /* how many more chunks would restore it (0 if complete) */
	size_t container_len;
	int mode;                  /* of the first chunk read */
	int kind;                  /* enum phr_chunk_kind */
};
void phr_assembler_info(const struct phr_assembler *a, size_t set, struct phr_set_info *out);
/* Restores set's container (from data chunks, with parity where data is
 * missing), checks it against the tag, reads it (phr_record_decode) and
 * checks that its record id starts with the set's prefix. *out is
 * malloc'd. Returns PHR_E_INCOMPLETE naming the missing indexes and how
 * many more are needed ("codes 2, 5 of 6 are missing; any 1 more restores
 * the record"); PHR_E_CHECKSUM when the restored bytes do not match the tag
 * or the chunks held disagree; the error of phr_record_decode when the
 * restored container cannot be read; PHR_E_MALFORMED when its record id
 * does not start with the prefix the codes carry; PHR_E_ARG for a set that
 * does not exist. A trust bundle's set (kind PHR_CHUNK_TRUST) is read with
 * phr_trust_load instead, and its error returned. */
PHR_NODISCARD int phr_assembler_container(const struct phr_assembler *a, size_t set, uint8_t **out, size_t *len);

#endif
