/* Documents (phr/document.h): the media type told by content, on real files
 * made here by cairo and libjpeg (tests/docgen) and the committed
 * tests/data/lab-result.pdf; cut, damaged and renamed files refused; the
 * hash; the references an entry signs. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "docgen.h"
#include "phr/document.h"
#include "phr/json.h"
#include "phr/schema.h"
#include "testlib.h"

struct sample {
	const char *what, *type;
	uint8_t *p;
	size_t n;
};

#define NSAMPLES 8
static struct sample samples[NSAMPLES];
static size_t nsamples;

static int make_samples(void)
{
	if (nsamples)
		return 0;
	struct sample *s = samples;
	s->what = "cairo PDF";
	s->type = "application/pdf";
	s->p = docgen_pdf(1, &s->n);
	s++;
	s->what = "cairo PDF, 3 pages";
	s->type = "application/pdf";
	s->p = docgen_pdf(3, &s->n);
	s++;
	s->what = "tests/data/lab-result.pdf";
	s->type = "application/pdf";
	s->p = t_read("tests/data/lab-result.pdf", &s->n);
	s++;
	s->what = "cairo PNG, RGB";
	s->type = "image/png";
	s->p = docgen_png(64, 40, 0, &s->n);
	s++;
	s->what = "cairo PNG, RGBA";
	s->type = "image/png";
	s->p = docgen_png(33, 17, 1, &s->n);
	s++;
	s->what = "libjpeg JPEG, baseline";
	s->type = "image/jpeg";
	s->p = docgen_jpeg(48, 32, 0, 0, &s->n);
	s++;
	s->what = "libjpeg JPEG, progressive";
	s->type = "image/jpeg";
	s->p = docgen_jpeg(48, 32, 1, 0, &s->n);
	s++;
	s->what = "libjpeg JPEG, grey";
	s->type = "image/jpeg";
	s->p = docgen_jpeg(20, 20, 0, 1, &s->n);
	s++;
	nsamples = (size_t)(s - samples);
	for (size_t i = 0; i < nsamples; i++)
		CHECK(samples[i].p && samples[i].n > 0);
	return 0;
}

static int test_real_files(void)
{
	CHECK(!make_samples());
	for (size_t i = 0; i < nsamples; i++) {
		const char *mt = "x";
		CHECK_RC(phr_document_sniff(samples[i].p, samples[i].n, &mt), PHR_OK);
		printf("  %-28s %6zu bytes: %s\n", samples[i].what, samples[i].n, mt);
		CHECK(mt && !strcmp(mt, samples[i].type));
		CHECK_RC(phr_document_check(samples[i].p, samples[i].n, samples[i].type), PHR_OK);
	}
	return 0;
}

/* A file cut anywhere is refused; a PDF keeps what follows its "%%EOF". */
static int test_truncated(void)
{
	CHECK(!make_samples());
	for (size_t i = 0; i < nsamples; i++) {
		const struct sample *s = &samples[i];
		size_t keep = s->n; /* shortest cut that is still whole */
		if (!strcmp(s->type, "application/pdf")) {
			const uint8_t *eof = NULL;
			for (size_t k = 0; k + 5 <= s->n; k++)
				if (!memcmp(s->p + k, "%%EOF", 5))
					eof = s->p + k;
			CHECK(eof);
			keep = (size_t)(eof - s->p) + 5;
		}
		for (size_t cut = 0; cut < s->n; cut++) {
			const char *mt = "x";
			int rc = phr_document_sniff(s->p, cut, &mt);
			if (cut < keep) {
				if (rc != PHR_E_MEDIA || mt != NULL) {
					fprintf(stderr, "  %s cut to %zu of %zu bytes: %d\n", s->what, cut, s->n, rc);
					return 1;
				}
			} else {
				CHECK_RC(rc, PHR_OK);
			}
		}
	}
	return 0;
}

/* Every single-bit flip of a PNG is refused (CRC-32 of every chunk), and
 * of a JPEG's markers and lengths in its header. */
static int test_damaged(void)
{
	CHECK(!make_samples());
	for (size_t i = 0; i < nsamples; i++) {
		struct sample *s = &samples[i];
		if (strcmp(s->type, "image/png"))
			continue;
		for (size_t bit = 0; bit < 8 * s->n; bit++) {
			const char *mt;
			s->p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int rc = phr_document_sniff(s->p, s->n, &mt);
			s->p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (rc != PHR_E_MEDIA) {
				fprintf(stderr, "  %s with bit %zu flipped: %d\n", s->what, bit, rc);
				return 1;
			}
		}
	}
	/* a PNG with bytes after IEND; a JPEG without its frame header */
	const struct sample *png = &samples[3], *jpg = &samples[5];
	uint8_t *more = malloc(png->n + 1);
	const char *mt;
	CHECK(more);
	memcpy(more, png->p, png->n);
	more[png->n] = 0;
	CHECK_RC(phr_document_sniff(more, png->n + 1, &mt), PHR_E_MEDIA);
	CHECK(strstr(phr_last_error(), "after its IEND"));
	free(more);
	uint8_t *nosof = malloc(jpg->n);
	CHECK(nosof);
	memcpy(nosof, jpg->p, jpg->n);
	size_t at = 2;
	while (at + 4 < jpg->n && nosof[at + 1] != 0xc0 && nosof[at + 1] != 0xc2)
		at += 2 + ((size_t)nosof[at + 2] << 8 | nosof[at + 3]);
	CHECK(at + 4 < jpg->n);
	nosof[at + 1] = 0xe5; /* SOF0 made an APP5 of the same length */
	CHECK_RC(phr_document_sniff(nosof, jpg->n, &mt), PHR_E_MEDIA);
	CHECK(strstr(phr_last_error(), "frame header"));
	free(nosof);
	return 0;
}

/* The name (the declared type) never decides: a PNG "named" a PDF is refused. */
static int test_renamed(void)
{
	CHECK(!make_samples());
	for (size_t i = 0; i < nsamples; i++)
		for (size_t k = 0; phr_document_media_type(k); k++) {
			const char *declared = phr_document_media_type(k);
			int rc = phr_document_check(samples[i].p, samples[i].n, declared);
			if (!strcmp(declared, samples[i].type)) {
				CHECK_RC(rc, PHR_OK);
			} else {
				CHECK_RC(rc, PHR_E_MEDIA);
				CHECK(strstr(phr_last_error(), samples[i].type) && strstr(phr_last_error(), declared));
			}
		}
	struct phr_document_ref ref;
	CHECK_RC(phr_document_ref_make(samples[3].p, samples[3].n, "application/pdf", "lab_result", "Blood count", &ref),
		 PHR_E_MEDIA);
	CHECK_RC(phr_document_check(samples[3].p, samples[3].n, "image/gif"), PHR_E_MEDIA);
	CHECK_RC(phr_document_check(samples[3].p, samples[3].n, NULL), PHR_E_MEDIA);
	return 0;
}

/* Other kinds of file, and the near misses. */
static int test_others_refused(void)
{
	static const struct {
		const char *what;
		const char *bytes;
		size_t n;
	} no[] = {
		{ "empty", "", 0 },
		{ "text", "Laboratory result: negative\n", 28 },
		{ "GIF", "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", 43 },
		{ "ZIP", "PK\x03\x04\x14\x00\x00\x00\x00\x00", 10 },
		{ "HTML", "<!DOCTYPE html><title>x</title>", 31 },
		{ "PDF header only", "%PDF-1.7\n", 9 },
		{ "PDF without a version", "%PDF-x\n%%EOF\n", 13 },
		{ "PDF, %%EOF but no header", "%!PS-Adobe\n%%EOF\n", 17 },
		{ "PNG signature only", "\x89PNG\r\n\x1a\n", 8 },
		{ "JPEG SOI and EOI only", "\xff\xd8\xff\xd9", 4 },
		{ "JPEG SOI, then garbage", "\xff\xd8\xff\xe0\xff\xff\xff\xd9", 8 },
		{ "BMP", "BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00", 14 },
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		const char *mt = "x";
		int rc = phr_document_sniff((const uint8_t *)no[i].bytes, no[i].n, &mt);
		if (rc != PHR_E_MEDIA || mt != NULL || !phr_last_error()[0]) {
			fprintf(stderr, "  %s: %d\n", no[i].what, rc);
			return 1;
		}
	}
	return 0;
}

/* PHR_MAX_DOCUMENT bytes pass, one more is refused before anything is read. */
static int test_size_limit(void)
{
	size_t n = PHR_MAX_DOCUMENT + 1;
	uint8_t *b = malloc(n);
	const char *mt;
	CHECK(b);
	CHECK(phr_max_document() == PHR_MAX_DOCUMENT && PHR_MAX_DOCUMENT == 16u << 20);
	memset(b, ' ', n);
	memcpy(b, "%PDF-1.4\n", 9);
	memcpy(b + PHR_MAX_DOCUMENT - 6, "%%EOF\n", 6);
	CHECK_RC(phr_document_sniff(b, PHR_MAX_DOCUMENT, &mt), PHR_OK);
	memcpy(b + n - 6, "%%EOF\n", 6);
	CHECK_RC(phr_document_sniff(b, n, &mt), PHR_E_MEDIA);
	CHECK(strstr(phr_last_error(), "PHR_MAX_DOCUMENT"));
	uint8_t h[PHR_DOCUMENT_HASH_LEN];
	CHECK_RC(phr_document_hash(b, n, h), PHR_E_LIMIT);
	free(b);
	return 0;
}

static int test_hash(void)
{
	/* BLAKE2b-256("abc"), RFC 7693's algorithm with a 32-byte output */
	uint8_t h[PHR_DOCUMENT_HASH_LEN], want[PHR_DOCUMENT_HASH_LEN];
	CHECK(t_unhex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319", want, sizeof(want)) == 32);
	CHECK_RC(phr_document_hash((const uint8_t *)"abc", 3, h), PHR_OK);
	CHECK(!memcmp(h, want, sizeof(h)));
	/* the example entry refers to the committed PDF by its hash and size */
	size_t n, tn;
	uint8_t *pdf = t_read("tests/data/lab-result.pdf", &n);
	char *text = (char *)t_read("examples/entries/document-lab-result.json", &tn);
	CHECK(pdf && text);
	json_t *j = json_loadb(text, tn, 0, NULL);
	CHECK(j);
	const json_t *d = json_array_get(json_object_get(j, "documents"), 0);
	CHECK(t_unhex(json_string_value(json_object_get(d, "hash")), want, sizeof(want)) == 32);
	CHECK_RC(phr_document_hash(pdf, n, h), PHR_OK);
	CHECK(!memcmp(h, want, sizeof(h)));
	CHECK((size_t)json_integer_value(json_object_get(d, "size")) == n);
	json_decref(j);
	free(pdf);
	free(text);
	return 0;
}

/* The lists of phr_document_type() and _media_type() are the schema's enums, in order. */
static int test_lists_match_schema(void)
{
	const struct phr_field *root = phr_schema_root(), *docs = NULL;
	for (const struct phr_field *f = root->children; f->name; f++)
		if (!strcmp(f->name, "documents"))
			docs = f;
	CHECK(docs && docs->key == 20 && docs->type == PHR_T_ARRAY && docs->max == PHR_MAX_DOCUMENTS);
	const struct phr_field *item = docs->children[0].children;
	size_t seen = 0;
	for (const struct phr_field *f = item; f->name; f++) {
		if (!strcmp(f->name, "type") || !strcmp(f->name, "media_type")) {
			int media = !strcmp(f->name, "media_type");
			size_t k = 0;
			for (; f->enums[k]; k++)
				CHECK(!strcmp(f->enums[k], media ? phr_document_media_type(k) : phr_document_type(k)));
			CHECK(k == (media ? PHR_DOCUMENT_MEDIA_TYPES : PHR_DOCUMENT_TYPES));
			CHECK(!(media ? phr_document_media_type(k) : phr_document_type(k)));
			seen++;
		}
		if (!strcmp(f->name, "hash")) {
			CHECK(f->type == PHR_T_BYTES && f->max == PHR_DOCUMENT_HASH_LEN);
			seen++;
		}
		if (!strcmp(f->name, "title")) {
			CHECK(f->max == PHR_MAX_DOCUMENT_TITLE);
			seen++;
		}
		if (!strcmp(f->name, "size")) {
			CHECK(f->min == 1 && f->max == PHR_MAX_DOCUMENT);
			seen++;
		}
	}
	CHECK(seen == 5);
	return 0;
}

/* ref_make -> phr_document_entry -> CBOR -> phr_document_refs gives the
 * same references; bad types and titles are refused. */
static int test_entry_roundtrip(void)
{
	CHECK(!make_samples());
	struct phr_document_ref refs[PHR_MAX_DOCUMENTS + 1], back[PHR_MAX_DOCUMENTS];
	static const char *const titles[] = { "Chest X-ray report", "\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1",
		"Lettre de sortie", "Blood count" };
	for (size_t i = 0; i < PHR_MAX_DOCUMENTS + 1; i++) {
		const struct sample *s = &samples[i % nsamples];
		CHECK_RC(phr_document_ref_make(s->p, s->n, i % 2 ? s->type : NULL, phr_document_type(i % PHR_DOCUMENT_TYPES),
					       titles[i % 4], &refs[i]),
			 PHR_OK);
		CHECK(refs[i].size == s->n && !strcmp(refs[i].media_type, s->type));
	}
	uint8_t *cbor;
	size_t len, n;
	CHECK_RC(phr_document_entry("2025-06-15", refs, PHR_MAX_DOCUMENTS + 1, &cbor, &len), PHR_E_LIMIT);
	CHECK_RC(phr_document_entry("2025-06-15", refs, 0, &cbor, &len), PHR_E_LIMIT);
	CHECK_RC(phr_document_entry("2025-06-15", refs, PHR_MAX_DOCUMENTS, &cbor, &len), PHR_OK);
	CHECK_RC(phr_document_refs(cbor, len, back, PHR_MAX_DOCUMENTS, &n), PHR_OK);
	CHECK(n == PHR_MAX_DOCUMENTS);
	for (size_t i = 0; i < n; i++) {
		CHECK(!strcmp(back[i].type, refs[i].type) && !strcmp(back[i].title, refs[i].title));
		CHECK(back[i].media_type == refs[i].media_type && back[i].size == refs[i].size);
		CHECK(!memcmp(back[i].hash, refs[i].hash, PHR_DOCUMENT_HASH_LEN));
	}
	/* fewer slots than references: n still says how many */
	CHECK_RC(phr_document_refs(cbor, len, back, 2, &n), PHR_OK);
	CHECK(n == PHR_MAX_DOCUMENTS);
	json_t *j;
	CHECK_RC(phr_entry_decode_json(cbor, len, &j), PHR_OK);
	CHECK(!strcmp(json_string_value(json_object_get(j, "kind")), "follow_up"));
	json_decref(j);
	free(cbor);
	/* an entry without documents has none */
	const char *plain = "{\"kind\":\"follow_up\",\"date\":\"2025-06-15\",\"notes\":\"x\"}";
	CHECK_RC(phr_entry_parse_text(plain, strlen(plain), &cbor, &len), PHR_OK);
	CHECK_RC(phr_document_refs(cbor, len, back, PHR_MAX_DOCUMENTS, &n), PHR_OK);
	CHECK(n == 0);
	free(cbor);

	struct phr_document_ref r;
	const struct sample *s = &samples[0];
	char longt[PHR_MAX_DOCUMENT_TITLE + 2];
	memset(longt, 'a', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = '\0';
	CHECK_RC(phr_document_ref_make(s->p, s->n, NULL, "x-ray", "T", &r), PHR_E_SCHEMA);
	CHECK_RC(phr_document_ref_make(s->p, s->n, NULL, "other", "", &r), PHR_E_SCHEMA);
	CHECK_RC(phr_document_ref_make(s->p, s->n, NULL, "other", longt, &r), PHR_E_SCHEMA);
	longt[PHR_MAX_DOCUMENT_TITLE] = '\0';
	CHECK_RC(phr_document_ref_make(s->p, s->n, NULL, "other", longt, &r), PHR_OK);
	CHECK_RC(phr_document_ref_make(s->p, s->n, NULL, "other", "Report\x1b[2J", &r), PHR_E_SCHEMA);
	CHECK_RC(phr_document_ref_make(s->p, s->n, NULL, "other", "Report \xe2\x80\xae", &r), PHR_E_SCHEMA);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "real PDF, PNG and JPEG files are told by their content", test_real_files },
		{ "every truncation is refused", test_truncated },
		{ "damaged files are refused (every bit of a PNG)", test_damaged },
		{ "a file declared as another type is refused", test_renamed },
		{ "other kinds of file and near misses are refused", test_others_refused },
		{ "PHR_MAX_DOCUMENT: the limit passes, one byte more is refused", test_size_limit },
		{ "BLAKE2b-256, and the example's reference to tests/data", test_hash },
		{ "the type and media type lists are the schema's", test_lists_match_schema },
		{ "references: made, signed as an entry, read back", test_entry_roundtrip },
	};
	if (sodium_init() < 0)
		return 1;
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	for (size_t i = 0; i < nsamples; i++)
		free(samples[i].p);
	return rc;
}
