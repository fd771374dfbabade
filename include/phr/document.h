/* phr — documents attached to a record: a lab result, an imaging report, a
 * discharge letter (PDF, PNG or JPEG).
 *
 * A document's bytes never travel in the record (nor its QR codes, nor its
 * card): a signed entry refers to them by their BLAKE2b-256 hash, their size,
 * their media type and a title (docs/FORMAT.md, "Documents";
 * docs/RECORD.md, "documents"). Whoever holds the bytes can show that they
 * are the ones a clinic signed for.
 *
 * The media type is decided by the content, never by a file name: a PNG
 * named "lab.pdf" is a PNG, and a file that is none of the three, or is cut
 * short, is refused:
 *   application/pdf  "%PDF-" then a version digit at byte 0, and "%%EOF"
 *                    within the last PHR_DOCUMENT_PDF_TAIL bytes
 *   image/png        the 8-byte signature, IHDR first (13 bytes, width and
 *                    height 1..2^31-1, a valid depth for the colour type),
 *                    then a chain of chunks, each with its CRC-32 right,
 *                    ending with IEND at the very end of the file
 *   image/jpeg       SOI (FF D8), then marker segments, each within the file,
 *                    a frame header (SOFn) before the first scan (SOS), and
 *                    EOI (FF D9) as the last two bytes
 * Only the structure is checked, not that an image decodes or that a PDF
 * renders; the signature is over the bytes whatever they hold.
 *
 * Thread safety: every function is reentrant; the strings returned are
 * static.
 */
#ifndef PHR_DOCUMENT_H
#define PHR_DOCUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_MAX_DOCUMENT (16u * 1024 * 1024) /* largest document, bytes */
#define PHR_MAX_DOCUMENTS 8                  /* most documents one entry refers to */
#define PHR_MAX_DOCUMENT_TITLE 200           /* longest title, bytes of UTF-8 */
#define PHR_DOCUMENT_HASH_LEN 32             /* BLAKE2b-256 */
#define PHR_DOCUMENT_PDF_TAIL 1024           /* "%%EOF" must start within this many bytes of the end */
size_t phr_max_document(void);

/* The media types accepted, in their order on the wire (CBOR uint index of
 * the "media_type" enum): "application/pdf", "image/png", "image/jpeg". */
#define PHR_DOCUMENT_MEDIA_TYPES 3
const char *phr_document_media_type(size_t i); /* NULL past the last */

/* The kinds of document ("type" of a reference), in their order on the
 * wire: lab_result, imaging_report, discharge_letter, referral_letter,
 * prescription, other. */
#define PHR_DOCUMENT_TYPES 6
const char *phr_document_type(size_t i); /* NULL past the last */
/* 1 if name is one of them. */
int phr_document_type_known(const char *name);

/* Says what b[0..n) is by its content. On success *media_type is one of the
 * static strings above. Fails with PHR_E_MEDIA (and *media_type NULL) when
 * the bytes are none of the three, or one of them cut short or damaged, or
 * n is 0 or more than PHR_MAX_DOCUMENT; the message says which. */
PHR_NODISCARD int phr_document_sniff(const uint8_t *b, size_t n, const char **media_type);

/* phr_document_sniff(), and the type found must be declared (a media type
 * string): PHR_E_MEDIA naming both when it is not. */
PHR_NODISCARD int phr_document_check(const uint8_t *b, size_t n, const char *declared);

/* BLAKE2b-256 of b[0..n) into out. PHR_E_LIMIT when n > PHR_MAX_DOCUMENT. */
PHR_NODISCARD int phr_document_hash(const uint8_t *b, size_t n, uint8_t out[PHR_DOCUMENT_HASH_LEN]);

/* One reference as an entry signs it (the items of "documents"). */
struct phr_document_ref {
	char type[32];                      /* one of phr_document_type() */
	char title[PHR_MAX_DOCUMENT_TITLE + 1]; /* UTF-8, NUL-terminated */
	const char *media_type;             /* static: phr_document_media_type() */
	uint64_t size;                      /* bytes, 1..PHR_MAX_DOCUMENT */
	uint8_t hash[PHR_DOCUMENT_HASH_LEN];
};

/* Fills ref for the document b[0..n): checks it (phr_document_sniff; with
 * declared != NULL, phr_document_check), hashes it, copies type and title.
 * PHR_E_MEDIA, PHR_E_SCHEMA (unknown type; title empty, too long or with
 * a character the text rule forbids, phr/schema.h) or PHR_E_LIMIT. */
PHR_NODISCARD int phr_document_ref_make(const uint8_t *b, size_t n, const char *declared, const char *type,
					const char *title, struct phr_document_ref *ref);

/* The references an entry's content (CBOR, as signed) makes: up to cap of
 * them into out, *n set to how many the entry holds (0 when none). Fails
 * as phr_entry_decode_json() does on content that is not a valid entry. */
PHR_NODISCARD int phr_document_refs(const uint8_t *content, size_t len, struct phr_document_ref *out, size_t cap,
				    size_t *n);

/* The entry content that attaches documents: a follow_up on date
 * ("YYYY-MM-DD") whose "documents" holds refs[0..n), n 1..PHR_MAX_DOCUMENTS.
 * *cbor is malloc'd (free()). Errors of phr_entry_encode_json(). */
PHR_NODISCARD int phr_document_entry(const char *date, const struct phr_document_ref *refs, size_t n,
				     uint8_t **cbor, size_t *len);

#endif
