/* Documents: media type by content, hash, and the references an entry
 * signs (phr/document.h). */
#include "phr/document.h"
#include "phr/json.h"
#include "phr/schema.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static_assert(crypto_generichash_BYTES == PHR_DOCUMENT_HASH_LEN, "BLAKE2b-256");

size_t phr_max_document(void) { return PHR_MAX_DOCUMENT; }

/* The same lists, in the same order, as the enums of "documents" in
 * schema_table.c (the wire holds the index); test_document checks it. */
static const char *const media_types[PHR_DOCUMENT_MEDIA_TYPES] = { "application/pdf", "image/png", "image/jpeg" };
static const char *const doc_types[PHR_DOCUMENT_TYPES] = { "lab_result", "imaging_report", "discharge_letter",
	"referral_letter", "prescription", "other" };

enum { MT_PDF, MT_PNG, MT_JPEG };

const char *phr_document_media_type(size_t i)
{
	return i < PHR_DOCUMENT_MEDIA_TYPES ? media_types[i] : NULL;
}

const char *phr_document_type(size_t i)
{
	return i < PHR_DOCUMENT_TYPES ? doc_types[i] : NULL;
}

int phr_document_type_known(const char *name)
{
	for (size_t i = 0; name && i < PHR_DOCUMENT_TYPES; i++)
		if (!strcmp(name, doc_types[i]))
			return 1;
	return 0;
}

/* ---- sniffing ---- */

#define PNG_MAX_DIM 0x7fffffffu
#define PNG_CHUNK_OVERHEAD 12 /* length, type, CRC */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_pdf(const uint8_t *b, size_t n, const char **why)
{
	if (n < 8 || memcmp(b, "%PDF-", 5) != 0) {
		*why = NULL;
		return 0;
	}
	if (!(b[5] >= '1' && b[5] <= '9' && b[6] == '.' && b[7] >= '0' && b[7] <= '9')) {
		*why = "a PDF header without a version (\"%PDF-1.7\")";
		return 0;
	}
	size_t from = n > PHR_DOCUMENT_PDF_TAIL ? n - PHR_DOCUMENT_PDF_TAIL : 8;
	for (size_t i = n >= 5 ? n - 5 + 1 : 0; i-- > from;)
		if (!memcmp(b + i, "%%EOF", 5))
			return 1;
	*why = "a PDF without \"%%EOF\" at its end (cut short?)";
	return 0;
}

static int png_depth_ok(uint8_t type, uint8_t depth)
{
	switch (type) {
	case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
	case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
	case 2:
	case 4:
	case 6: return depth == 8 || depth == 16;
	default: return 0;
	}
}

static int is_png(const uint8_t *b, size_t n, const char **why)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	*why = NULL;
	if (n < sizeof(sig) || memcmp(b, sig, sizeof(sig)) != 0)
		return 0;
	size_t at = sizeof(sig);
	int first = 1;
	for (;;) {
		if (n - at < PNG_CHUNK_OVERHEAD) {
			*why = "a PNG cut short (no IEND chunk at its end)";
			return 0;
		}
		uint32_t len = be32(b + at);
		const uint8_t *type = b + at + 4;
		if (len > 0x7fffffffu || len > n - at - PNG_CHUNK_OVERHEAD) {
			*why = "a PNG cut short or damaged (a chunk runs past the end)";
			return 0;
		}
		for (int i = 0; i < 4; i++)
			if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z'))) {
				*why = "a damaged PNG (a chunk type that is not four letters)";
				return 0;
			}
		uLong crc = crc32(crc32(0L, Z_NULL, 0), type, (uInt)len + 4);
		if (crc != be32(type + 4 + len)) {
			*why = "a damaged PNG (a chunk's CRC does not match)";
			return 0;
		}
		if (first) {
			const uint8_t *h = type + 4;
			if (memcmp(type, "IHDR", 4) != 0 || len != 13) {
				*why = "a damaged PNG (IHDR is not its first chunk)";
				return 0;
			}
			if (be32(h) == 0 || be32(h) > PNG_MAX_DIM || be32(h + 4) == 0 || be32(h + 4) > PNG_MAX_DIM ||
			    !png_depth_ok(h[9], h[8]) || h[10] != 0 || h[11] != 0 || h[12] > 1) {
				*why = "a damaged PNG (its IHDR is not valid)";
				return 0;
			}
			first = 0;
		} else if (!memcmp(type, "IHDR", 4)) {
			*why = "a damaged PNG (two IHDR chunks)";
			return 0;
		}
		at += PNG_CHUNK_OVERHEAD + len;
		if (!memcmp(type, "IEND", 4)) {
			if (at != n) {
				*why = "a PNG with bytes after its IEND chunk";
				return 0;
			}
			return 1;
		}
	}
}

static int is_jpeg(const uint8_t *b, size_t n, const char **why)
{
	*why = NULL;
	if (n < 4 || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff)
		return 0;
	size_t at = 2;
	int frame = 0;
	for (;;) {
		/* a marker: one or more 0xFF fill bytes, then its code */
		if (at >= n || b[at] != 0xff) {
			*why = "a damaged JPEG (no marker where a segment should start)";
			return 0;
		}
		while (at < n && b[at] == 0xff)
			at++;
		if (at >= n) {
			*why = "a JPEG cut short";
			return 0;
		}
		uint8_t m = b[at++];
		if (m == 0x00 || m == 0xd8 || m == 0xd9 || (m >= 0xd0 && m <= 0xd7)) {
			*why = "a damaged JPEG (a marker out of place before the first scan)";
			return 0;
		}
		if (m == 0x01) /* TEM: no length */
			continue;
		size_t len = n - at < 2 ? 0 : (size_t)b[at] << 8 | b[at + 1];
		if (len < 2 || len > n - at) {
			*why = "a JPEG cut short or damaged (a segment runs past the end)";
			return 0;
		}
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
			frame = 1;
		at += len;
		if (m == 0xda)
			break;
	}
	if (!frame) {
		*why = "a damaged JPEG (a scan without a frame header)";
		return 0;
	}
	if (n - at < 2 || b[n - 2] != 0xff || b[n - 1] != 0xd9) {
		*why = "a JPEG cut short (no EOI marker at its end)";
		return 0;
	}
	return 1;
}

int phr_document_sniff(const uint8_t *b, size_t n, const char **media_type)
{
	const char *why = NULL;
	*media_type = NULL;
	if (n == 0)
		return phr_fail(PHR_E_MEDIA, "the document is empty");
	if (n > PHR_MAX_DOCUMENT)
		return phr_fail(PHR_E_MEDIA, "the document has %zu bytes, more than PHR_MAX_DOCUMENT (%u bytes, %u MiB)", n,
				PHR_MAX_DOCUMENT, PHR_MAX_DOCUMENT >> 20);
	if (is_pdf(b, n, &why)) {
		*media_type = media_types[MT_PDF];
		return PHR_OK;
	}
	if (!why && is_png(b, n, &why)) {
		*media_type = media_types[MT_PNG];
		return PHR_OK;
	}
	if (!why && is_jpeg(b, n, &why)) {
		*media_type = media_types[MT_JPEG];
		return PHR_OK;
	}
	if (why)
		return phr_fail(PHR_E_MEDIA, "the document is %s", why);
	return phr_fail(PHR_E_MEDIA, "the document is not a PDF, PNG or JPEG file (by its content)");
}

int phr_document_check(const uint8_t *b, size_t n, const char *declared)
{
	const char *found;
	int rc = phr_document_sniff(b, n, &found);
	if (rc)
		return rc;
	if (!declared || strcmp(found, declared) != 0) {
		char shown[64];
		phr_text_sanitize(shown, sizeof(shown), declared ? declared : "(none)",
				  declared ? strlen(declared) : 6);
		return phr_fail(PHR_E_MEDIA, "the document is %s by its content, not %s", found, shown);
	}
	return PHR_OK;
}

int phr_document_hash(const uint8_t *b, size_t n, uint8_t out[PHR_DOCUMENT_HASH_LEN])
{
	if (n > PHR_MAX_DOCUMENT)
		return phr_fail(PHR_E_LIMIT, "the document has %zu bytes, more than PHR_MAX_DOCUMENT (%u)", n,
				PHR_MAX_DOCUMENT);
	crypto_generichash(out, PHR_DOCUMENT_HASH_LEN, b, n, NULL, 0);
	return PHR_OK;
}

/* ---- references ---- */

int phr_document_ref_make(const uint8_t *b, size_t n, const char *declared, const char *type, const char *title,
			  struct phr_document_ref *ref)
{
	const char *mt;
	int rc;
	memset(ref, 0, sizeof(*ref));
	if (!phr_document_type_known(type)) {
		char shown[64];
		phr_text_sanitize(shown, sizeof(shown), type ? type : "", type ? strlen(type) : 0);
		return phr_fail(PHR_E_SCHEMA,
				"'%s' is not a document type (lab_result, imaging_report, discharge_letter, "
				"referral_letter, prescription, other)",
				shown);
	}
	size_t tl = title ? strlen(title) : 0;
	if (tl == 0 || tl > PHR_MAX_DOCUMENT_TITLE)
		return phr_fail(PHR_E_SCHEMA, "a document's title has 1 to %d bytes, this one %zu", PHR_MAX_DOCUMENT_TITLE, tl);
	if ((rc = phr_text_check(title, tl, "title")))
		return rc;
	if ((rc = phr_document_sniff(b, n, &mt)))
		return rc;
	if (declared && (rc = phr_document_check(b, n, declared)))
		return rc;
	if ((rc = phr_document_hash(b, n, ref->hash)))
		return rc;
	snprintf(ref->type, sizeof(ref->type), "%s", type);
	memcpy(ref->title, title, tl + 1);
	ref->media_type = mt;
	ref->size = n;
	return PHR_OK;
}

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int phr_document_refs(const uint8_t *content, size_t len, struct phr_document_ref *out, size_t cap, size_t *n)
{
	json_t *j;
	int rc;
	*n = 0;
	if ((rc = phr_entry_decode_json(content, len, &j)))
		return rc;
	const json_t *docs = json_object_get(j, "documents");
	size_t i;
	const json_t *d;
	json_array_foreach(docs, i, d) {
		if (i < cap) {
			/* The decoder checked every field: these are all present and valid. */
			struct phr_document_ref *r = &out[i];
			const char *hex = json_string_value(json_object_get(d, "hash"));
			const char *mt = json_string_value(json_object_get(d, "media_type"));
			memset(r, 0, sizeof(*r));
			snprintf(r->type, sizeof(r->type), "%s", json_string_value(json_object_get(d, "type")));
			snprintf(r->title, sizeof(r->title), "%s", json_string_value(json_object_get(d, "title")));
			for (size_t k = 0; k < PHR_DOCUMENT_MEDIA_TYPES; k++)
				if (!strcmp(mt, media_types[k]))
					r->media_type = media_types[k];
			r->size = (uint64_t)json_integer_value(json_object_get(d, "size"));
			for (size_t k = 0; k < PHR_DOCUMENT_HASH_LEN; k++)
				r->hash[k] = (uint8_t)((unsigned)hex_nibble(hex[2 * k]) << 4 | (unsigned)hex_nibble(hex[2 * k + 1]));
		}
		(*n)++;
	}
	json_decref(j);
	return PHR_OK;
}

int phr_document_entry(const char *date, const struct phr_document_ref *refs, size_t n, uint8_t **cbor, size_t *len)
{
	static const char hexd[] = "0123456789abcdef";
	json_t *docs = json_array();
	*cbor = NULL;
	*len = 0;
	if (n == 0 || n > PHR_MAX_DOCUMENTS) {
		json_decref(docs);
		return phr_fail(PHR_E_LIMIT, "an entry refers to 1 to %d documents, not %zu", PHR_MAX_DOCUMENTS, n);
	}
	json_t *e = json_pack("{s:s, s:s, s:o}", "kind", "follow_up", "date", date ? date : "", "documents", docs);
	if (!e)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char hex[2 * PHR_DOCUMENT_HASH_LEN + 1];
		for (size_t k = 0; k < PHR_DOCUMENT_HASH_LEN; k++) {
			hex[2 * k] = hexd[refs[i].hash[k] >> 4];
			hex[2 * k + 1] = hexd[refs[i].hash[k] & 15];
		}
		hex[sizeof(hex) - 1] = '\0';
		json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:s}", "type", refs[i].type, "title", refs[i].title,
				      "media_type", refs[i].media_type ? refs[i].media_type : "", "size",
				      (json_int_t)refs[i].size, "hash", hex);
		if (!d || json_array_append_new(docs, d)) {
			json_decref(e);
			return phr_fail(PHR_E_SCHEMA, "documents[%zu]: type, title or media type missing or not UTF-8", i);
		}
	}
	int rc = phr_entry_encode_json(e, cbor, len);
	json_decref(e);
	return rc;
}
