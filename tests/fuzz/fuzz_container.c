/* Record containers: phr_record_decode(), then phr_verify_record() against
 * the fixed trust bundle and without one, then phr_render_json() and
 * phr_render_text().
 *
 * Invariants:
 *  - on failure the output is NULL and the error a malformed, limit or
 *    no-memory code with a message;
 *  - a decoded record has 1..PHR_MAX_ENTRIES entries and at most
 *    PHR_MAX_EMBEDDED_CERTS certificates, all inside its store; an entry's
 *    hash is BLAKE2b-256 of its bytes; readable content validates;
 *    phr_record_body() gives back exactly the decompressed body, and the
 *    record encoded again (method none) decodes to the same record;
 *  - the report has one status per entry, in range; a damaged entry is
 *    MALFORMED and only a damaged one is; without a bundle nothing is VALID;
 *    after an entry that failed, no entry is VALID or SIGNATURE_ONLY;
 *    all_valid and phr_report_error() agree with the statuses;
 *  - a merged record's side entries (docs/FORMAT.md, "Merged records") are
 *    inside the store with their hashes, and only container version 2 has them;
 *  - the JSON view has one element per entry, with the status name and
 *    content exactly when the entry is readable; the text view renders.
 */
#include "fuzz.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/compress.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/render.h"
#include "phr/verify.h"

static int inside(const struct phr_record *r, const uint8_t *p, size_t n)
{
	return p >= r->store && n <= r->store_len && (size_t)(p - r->store) <= r->store_len - n;
}

static void check_record(const struct phr_record *r, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(r->n_entries >= 1 && r->n_entries <= PHR_MAX_ENTRIES, "entry count");
	FUZZ_CHECK(r->n_certs <= PHR_MAX_EMBEDDED_CERTS, "certificate count");
	FUZZ_CHECK(r->compression == data[1], "compression is not the header's");
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct phr_entry *e = &r->entries[i];
		uint8_t h[PHR_HASH_LEN];
		FUZZ_CHECK(e->raw && inside(r, e->raw, e->raw_len), "entry bytes outside the store");
		crypto_generichash(h, sizeof(h), e->raw, e->raw_len, NULL, 0);
		FUZZ_CHECK(memcmp(h, e->hash, PHR_HASH_LEN) == 0, "entry hash");
		if (e->content_err == PHR_OK) {
			FUZZ_CHECK(e->content && inside(r, e->content, e->content_len), "content outside the store");
			FUZZ_CHECK(phr_entry_validate(e->content, e->content_len) == PHR_OK, "readable content invalid");
		} else {
			FUZZ_CHECK_ERR(e->content_err);
			FUZZ_CHECK(e->content == NULL && e->content_len == 0, "damaged entry keeps content");
		}
	}
	/* a merged record: version 2 exactly when there is a side branch */
	FUZZ_CHECK(r->n_side <= PHR_MAX_SIDE_ENTRIES, "side branch count");
	FUZZ_CHECK((data[0] == PHR_CONTAINER_VERSION_MERGED) == (r->n_side > 0), "container version and side branch");
	for (size_t i = 0; i < r->n_side; i++) {
		const struct phr_entry *e = &r->side[i];
		uint8_t h[PHR_HASH_LEN];
		FUZZ_CHECK(e->raw && inside(r, e->raw, e->raw_len), "side entry bytes outside the store");
		crypto_generichash(h, sizeof(h), e->raw, e->raw_len, NULL, 0);
		FUZZ_CHECK(memcmp(h, e->hash, PHR_HASH_LEN) == 0, "side entry hash");
		if (e->content_err == PHR_OK)
			FUZZ_CHECK(e->content && inside(r, e->content, e->content_len), "side content outside the store");
	}
	for (size_t i = 0; i < r->n_certs; i++)
		FUZZ_CHECK(r->certs[i] && inside(r, r->certs[i], r->cert_lens[i]) && r->cert_lens[i] <= PHR_MAX_CERT,
			   "embedded certificate");

	/* The body is exactly what the header and the compressed data say. */
	size_t declared = ((size_t)data[2] << 16) | ((size_t)data[3] << 8) | data[4];
	uint8_t *body = NULL, *mine = NULL;
	size_t mine_len = 0;
	FUZZ_CHECK(phr_decompress(data[1], data + PHR_CONTAINER_HEADER, size - PHR_CONTAINER_HEADER, declared,
				  &body) == PHR_OK,
		   "body does not decompress again");
	FUZZ_CHECK(r->store_len == declared && memcmp(r->store, body, declared) == 0, "store is not the body");
	FUZZ_CHECK(phr_record_body(r, &mine, &mine_len) == PHR_OK, "record body");
	FUZZ_CHECK(mine_len == declared && memcmp(mine, body, declared) == 0,
		   "body written again differs: two encodings of one record accepted");
	free(mine);
	free(body);
}

static void check_again(const struct phr_record *r)
{
	uint8_t *c = NULL;
	size_t n = 0;
	struct phr_record *r2 = NULL;
	int rc = phr_record_encode(r, PHR_COMP_NONE, &c, &n);
	if (rc == PHR_E_LIMIT) /* a body near PHR_MAX_BODY may not fit PHR_MAX_CONTAINER uncompressed */
		return;
	FUZZ_CHECK(rc == PHR_OK, "a decoded record does not encode");
	FUZZ_CHECK(phr_record_decode(c, n, &r2) == PHR_OK, "an encoded record does not decode");
	FUZZ_CHECK(r2->n_entries == r->n_entries && r2->n_certs == r->n_certs &&
			   memcmp(r2->id, r->id, PHR_RECORD_ID_LEN) == 0 && r2->store_len == r->store_len &&
			   memcmp(r2->store, r->store, r->store_len) == 0,
		   "decode(encode(r)) is another record");
	for (size_t i = 0; i < r->n_entries; i++)
		FUZZ_CHECK(r2->entries[i].content_err == r->entries[i].content_err &&
				   r2->entries[i].index == r->entries[i].index &&
				   r2->entries[i].signed_at == r->entries[i].signed_at,
			   "decode(encode(r)) changed an entry");
	phr_record_destroy(r2);
	free(c);
}

/* A verifier's clock half a day after the seeds' first entry: their
 * entries dated two days later are beyond PHR_CLOCK_TOLERANCE. */
#define FUZZ_NOW (FUZZ_T0 + FUZZ_DAY / 2)

static void check_report(const struct phr_record *r, const struct phr_report *rep, bool with_trust, uint64_t now)
{
	bool all = true, failed = false;
	FUZZ_CHECK(rep->n == r->n_entries && rep->trust_checked == with_trust, "report header");
	for (size_t i = 0; i < rep->n; i++) {
		const struct phr_entry_report *e = &rep->entries[i];
		FUZZ_CHECK(e->status >= 0 && e->status < PHR_ST_COUNT, "status out of range");
		FUZZ_CHECK((e->status == PHR_ST_MALFORMED) == (r->entries[i].content_err != PHR_OK),
			   "MALFORMED is not exactly the damaged entries");
		FUZZ_CHECK(e->detail[0] != '\0' && memchr(e->detail, '\0', sizeof(e->detail)), "detail text");
		FUZZ_CHECK(e->status != PHR_ST_FUTURE || (now && r->entries[i].signed_at > now + PHR_CLOCK_TOLERANCE),
			   "SIGNED_IN_FUTURE without a clock, or within the tolerance");
		FUZZ_CHECK(e->status == PHR_ST_MALFORMED || !now || r->entries[i].signed_at <= now + PHR_CLOCK_TOLERANCE ||
				   (e->status != PHR_ST_VALID && e->status != PHR_ST_SIGNATURE_ONLY),
			   "an entry signed in the future is trusted");
		FUZZ_CHECK(!!(e->warnings & PHR_WARN_SIGNED_BEFORE_PREVIOUS) ==
				   (i > 0 && !r->entries[i].content_err && !r->entries[i - 1].content_err &&
				    r->entries[i].signed_at < r->entries[i - 1].signed_at),
			   "signed_before_previous warning");
		if (!with_trust)
			FUZZ_CHECK(e->status != PHR_ST_VALID, "VALID without a trust bundle");
		else
			FUZZ_CHECK(e->status != PHR_ST_SIGNATURE_ONLY, "SIGNATURE_ONLY with a trust bundle");
		if (e->status == PHR_ST_VALID || e->status == PHR_ST_SIGNATURE_ONLY) {
			FUZZ_CHECK(!failed, "an entry after a failed one is trusted");
			FUZZ_CHECK(e->have_signer && r->entries[i].index == i, "trusted entry without signer or in the wrong place");
		} else {
			failed = true;
		}
		if (e->have_signer) {
			size_t cl = strnlen(e->clinic, sizeof(e->clinic));
			FUZZ_CHECK(cl >= 1 && cl <= PHR_MAX_NAME && fuzz_utf8_ok((const uint8_t *)e->clinic, cl),
				   "signer clinic name");
		}
		if (e->status != PHR_ST_VALID)
			all = false;
	}
	FUZZ_CHECK(rep->all_valid == all, "all_valid disagrees with the statuses");
	FUZZ_CHECK((phr_report_error(rep) == PHR_OK) == all, "phr_report_error disagrees with all_valid");
}

static void check_render(const struct phr_record *r, const struct phr_report *rep)
{
	json_t *j = NULL;
	FUZZ_CHECK(phr_render_json(r, rep, &j) == PHR_OK && json_is_object(j), "render_json");
	json_t *entries = json_object_get(j, "entries");
	FUZZ_CHECK(json_is_array(entries) && json_array_size(entries) == r->n_entries, "JSON entries");
	FUZZ_CHECK(json_is_boolean(json_object_get(j, "verified")) &&
			   json_is_true(json_object_get(j, "verified")) == rep->all_valid,
		   "JSON verified");
	for (size_t i = 0; i < r->n_entries; i++) {
		json_t *e = json_array_get(entries, i);
		const char *st = json_string_value(json_object_get(e, "status"));
		FUZZ_CHECK(st && strcmp(st, phr_status_name(rep->entries[i].status)) == 0, "JSON status");
		json_t *content = json_object_get(e, "content");
		FUZZ_CHECK(content && json_is_null(content) == (r->entries[i].content_err != PHR_OK),
			   "JSON content present exactly when the entry is readable");
	}
	char *s = json_dumps(j, JSON_COMPACT);
	FUZZ_CHECK(s != NULL, "JSON view does not serialise");
	free(s);
	json_decref(j);

	static const char *const langs[] = { "en", "ar" };
	for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		FUZZ_CHECK(f != NULL, "open_memstream");
		FUZZ_CHECK(phr_render_text(r, rep, langs[l], f) == PHR_OK, "render_text");
		FUZZ_CHECK(fclose(f) == 0 && len > 0, "text view is empty");
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_record *r = (struct phr_record *)&r;
	struct phr_report *rep;
	int rc = phr_record_decode(data, size, &r);

	if (rc != PHR_OK) {
		FUZZ_CHECK(r == NULL, "output not NULL after a failure");
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT || rc == PHR_E_NOMEM, "decode: error code");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(r != NULL && size >= PHR_CONTAINER_HEADER && size <= PHR_MAX_CONTAINER, "container size");
	check_record(r, data, size);
	check_again(r);

	rep = malloc(sizeof(*rep)); /* ~20 KiB: not on the stack */
	FUZZ_CHECK(rep != NULL, "out of memory");
	FUZZ_CHECK(phr_verify_record(r, fuzz_trust(), 0, rep) == PHR_OK, "verify with trust");
	check_report(r, rep, true, 0);
	check_render(r, rep);
	FUZZ_CHECK(phr_verify_record(r, NULL, 0, rep) == PHR_OK, "verify without trust");
	check_report(r, rep, false, 0);
	check_render(r, rep);
	/* At a clock: the seeds' entries are dated in 2025. */
	FUZZ_CHECK(phr_verify_record(r, fuzz_trust(), FUZZ_NOW, rep) == PHR_OK, "verify with trust at a clock");
	check_report(r, rep, true, FUZZ_NOW);
	free(rep);
	phr_record_destroy(r);
	return 0;
}
