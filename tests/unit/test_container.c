#define _GNU_SOURCE
/* The chain and the verification report: the negative table of docs. */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "phr/cbor.h"
#include "phr/compress.h"
#include "phr/json.h"
#include "testlib.h"

static struct fixture fx;

/* Decodes container bytes and verifies them with trust. */
static int check(const uint8_t *c, size_t len, const struct phr_trust *t, struct phr_report *rep, struct phr_record **keep)
{
	struct phr_record *r;
	int rc = phr_record_decode(c, len, &r);
	if (rc)
		return rc;
	phr_verify_record(r, t, 0, rep);
	if (keep)
		*keep = r;
	else
		phr_record_destroy(r);
	return PHR_OK;
}

static int roundtrip(struct phr_record *r, int method, struct phr_report *rep)
{
	uint8_t *c;
	size_t len;
	if (phr_record_encode(r, method, &c, &len))
		return -1;
	int rc = check(c, len, fx.trust, rep, NULL);
	free(c);
	return rc;
}

static int test_valid_chain_every_compression(void)
{
	struct phr_record *r;
	struct phr_report rep;
	CHECK(!fx_record(&fx, 3, NULL, &r));
	for (int m = 0; m <= PHR_COMP_MAX; m++) {
		CHECK_RC(roundtrip(r, m, &rep), PHR_OK);
		CHECK(rep.n == 3 && rep.all_valid);
		CHECK(rep.entries[0].cert_embedded && !strcmp(rep.entries[0].clinic, "Lesvos Reception Clinic"));
		CHECK(!strcmp(rep.entries[2].country, "DE"));
		CHECK(rep.entries[1].signed_at == FX_T0 + FX_DAY);
	}
	CHECK(r->n_certs == 2); /* clinic2's certificate embedded once */
	phr_verify_record(r, NULL, 0, &rep);
	CHECK(!rep.all_valid && rep.entries[0].status == PHR_ST_SIGNATURE_ONLY);
	phr_record_destroy(r);
	return 0;
}

static int test_bad_signature(void)
{
	struct phr_record *r;
	struct phr_report rep;
	uint8_t *body, *c;
	size_t blen, clen;
	CHECK(!fx_record(&fx, 2, NULL, &r));
	CHECK_RC(phr_record_body(r, &body, &blen), PHR_OK);
	/* change one letter of the assessment's "professional" text: still valid CBOR */
	const char *needle = "Bianchi";
	uint8_t *hit = memmem(body, blen, needle, strlen(needle));
	if (!hit)
		hit = memmem(body, blen, "kg", 2);
	CHECK(hit);
	hit[0] ^= 0x01;
	c = fx_container(body, blen, &clen);
	CHECK_RC(check(c, clen, fx.trust, &rep, NULL), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_BAD_SIGNATURE);
	CHECK(rep.entries[1].status == PHR_ST_CHAIN_BROKEN); /* follows a failed entry */
	CHECK(!rep.all_valid);
	CHECK(phr_report_error(&rep) == PHR_E_BAD_SIGNATURE);
	free(body);
	free(c);
	phr_record_destroy(r);
	return 0;
}

static int test_unknown_signer(void)
{
	struct phr_record *r;
	struct phr_report rep;
	CHECK(!fx_record(&fx, 1, NULL, &r));
	phr_verify_record(r, fx.trust_b, 0, &rep); /* certificate from an authority B does not trust */
	CHECK(rep.entries[0].status == PHR_ST_UNKNOWN_SIGNER);
	CHECK(strstr(rep.entries[0].detail, "not from a trusted authority"));
	phr_record_destroy(r);
	/* no embedded certificate and none in the bundle */
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, NULL, 0, fx.entry0, fx.entry0_len, FX_T0), PHR_OK);
	phr_verify_record(r, fx.trust_b, 0, &rep);
	CHECK(rep.entries[0].status == PHR_ST_UNKNOWN_SIGNER && strstr(rep.entries[0].detail, "no certificate"));
	phr_verify_record(r, fx.trust, 0, &rep); /* the bundle has the certificate */
	CHECK(rep.all_valid && !rep.entries[0].cert_embedded);
	phr_record_destroy(r);
	return 0;
}

static int test_revoked(void)
{
	struct phr_record *r;
	struct phr_report rep;
	CHECK(!fx_record(&fx, 2, NULL, &r));
	phr_verify_record(r, fx.trust_revoked, 0, &rep);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	CHECK(rep.entries[1].status == PHR_ST_REVOKED);
	CHECK(phr_report_error(&rep) == PHR_E_REVOKED);
	phr_record_destroy(r);
	return 0;
}

static int test_cert_not_valid_at_signing_time(void)
{
	struct phr_record *r;
	struct phr_report rep;
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, fx.cert1_future, fx.cert1_future_len, fx.entry0, fx.entry0_len, FX_T0),
		 PHR_OK);
	phr_verify_record(r, fx.trust_b, 0, &rep);
	CHECK(rep.entries[0].status == PHR_ST_UNKNOWN_SIGNER);
	/* trust A: its own certificate for clinic 1 wins over the embedded one
	 * (docs/FORMAT.md, Verification 2.1) */
	phr_verify_record(r, fx.trust, 0, &rep);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	/* a bundle of A without clinic 1's certificate: the embedded one serves,
	 * and it is not yet valid */
	struct phr_pubkey a = *phr_seckey_public(fx.auth_a);
	struct phr_trust *t;
	uint8_t *b;
	size_t bl;
	CHECK_RC(phr_trust_build(fx.auth_a, &a, 1, NULL, NULL, 0, NULL, 0, 1, FX_T0, FX_T0 + 86400, &b, &bl), PHR_OK);
	CHECK_RC(phr_trust_load(b, bl, &t), PHR_OK);
	free(b);
	phr_verify_record(r, t, 0, &rep);
	CHECK(rep.entries[0].status == PHR_ST_CERT_VALIDITY);
	phr_trust_destroy(t);
	phr_record_destroy(r);
	return 0;
}

static int test_middle_entry_removed(void)
{
	struct phr_record *r;
	struct phr_report rep;
	size_t blen, clen;
	CHECK(!fx_record(&fx, 3, NULL, &r));
	const uint8_t *raw[2] = { r->entries[0].raw, r->entries[2].raw };
	size_t lens[2] = { r->entries[0].raw_len, r->entries[2].raw_len };
	uint8_t *body = fx_body(r, raw, lens, 2, &blen), *c = fx_container(body, blen, &clen);
	CHECK_RC(check(c, clen, fx.trust, &rep, NULL), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	CHECK(rep.entries[1].status == PHR_ST_CHAIN_BROKEN);
	CHECK(strstr(rep.entries[1].detail, "missing"));
	free(body);
	free(c);
	phr_record_destroy(r);
	return 0;
}

static int test_entries_reordered(void)
{
	struct phr_record *r;
	struct phr_report rep;
	size_t blen, clen;
	CHECK(!fx_record(&fx, 3, NULL, &r));
	const uint8_t *raw[3] = { r->entries[0].raw, r->entries[2].raw, r->entries[1].raw };
	size_t lens[3] = { r->entries[0].raw_len, r->entries[2].raw_len, r->entries[1].raw_len };
	uint8_t *body = fx_body(r, raw, lens, 3, &blen), *c = fx_container(body, blen, &clen);
	CHECK_RC(check(c, clen, fx.trust, &rep, NULL), PHR_OK);
	CHECK(rep.entries[1].status == PHR_ST_CHAIN_BROKEN);
	CHECK(rep.entries[2].status == PHR_ST_CHAIN_BROKEN);
	CHECK(phr_report_error(&rep) == PHR_E_CHAIN);
	free(body);
	free(c);
	phr_record_destroy(r);
	return 0;
}

static int test_entry_moved_from_another_record(void)
{
	struct phr_record *x, *y;
	struct phr_report rep;
	size_t blen, clen;
	CHECK(!fx_record(&fx, 3, NULL, &x));
	CHECK(!fx_record(&fx, 1, NULL, &y));
	/* x's entry 1 appended to y at the same position */
	const uint8_t *raw[2] = { y->entries[0].raw, x->entries[1].raw };
	size_t lens[2] = { y->entries[0].raw_len, x->entries[1].raw_len };
	uint8_t *body = fx_body(y, raw, lens, 2, &blen), *c = fx_container(body, blen, &clen);
	CHECK_RC(check(c, clen, fx.trust, &rep, NULL), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	CHECK(rep.entries[1].status == PHR_ST_BAD_SIGNATURE);
	CHECK(strstr(rep.entries[1].detail, "another record"));
	free(body);
	free(c);
	/* x's entry 2 appended to y at position 1: the index gives it away */
	raw[1] = x->entries[2].raw;
	lens[1] = x->entries[2].raw_len;
	body = fx_body(y, raw, lens, 2, &blen);
	c = fx_container(body, blen, &clen);
	CHECK_RC(check(c, clen, fx.trust, &rep, NULL), PHR_OK);
	CHECK(rep.entries[1].status == PHR_ST_CHAIN_BROKEN);
	/* the whole record id swapped: every entry fails */
	uint8_t *hit = memmem(body, blen, y->id, PHR_RECORD_ID_LEN);
	CHECK(hit);
	memcpy(hit, x->id, PHR_RECORD_ID_LEN);
	free(c);
	c = fx_container(body, blen, &clen);
	CHECK_RC(check(c, clen, fx.trust, &rep, NULL), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_BAD_SIGNATURE);
	free(body);
	free(c);
	phr_record_destroy(x);
	phr_record_destroy(y);
	return 0;
}

static int test_truncated_and_oversized(void)
{
	struct phr_record *r, *d;
	uint8_t *c;
	size_t len;
	CHECK(!fx_record(&fx, 2, NULL, &r));
	for (int m = 0; m <= PHR_COMP_MAX; m++) {
		CHECK_RC(phr_record_encode(r, m, &c, &len), PHR_OK);
		for (size_t cut = 0; cut < len; cut++) {
			int rc = phr_record_decode(c, cut, &d);
			CHECK(rc != PHR_OK && PHR_ERR_IS_MALFORMED(rc));
			CHECK(phr_last_error()[0]);
		}
		free(c);
	}
	uint8_t *big = calloc(1, PHR_MAX_CONTAINER + 1);
	big[0] = 1;
	CHECK_RC(phr_record_decode(big, PHR_MAX_CONTAINER + 1, &d), PHR_E_LIMIT);
	CHECK(strstr(phr_last_error(), "PHR_MAX_CONTAINER"));
	/* declared body over the limit: refused before decompressing */
	big[1] = 0;
	big[2] = 0x10; /* 1 MiB */
	CHECK_RC(phr_record_decode(big, 100, &d), PHR_E_LIMIT);
	CHECK(strstr(phr_last_error(), "PHR_MAX_BODY"));
	big[0] = 9;
	CHECK_RC(phr_record_decode(big, 100, &d), PHR_E_VERSION);
	free(big);
	phr_record_destroy(r);
	return 0;
}

/* Builds a one-entry container whose signed content is not canonical. */
/* The payload is a byte string, so the body stays canonical: the entry is
 * kept, marked malformed with the reason, and never verifies. */
static int signed_noncanonical(const uint8_t *content, size_t clen, int want)
{
	struct phr_record *r;
	struct phr_cbor_enc e;
	uint8_t payload[256], aad[PHR_ENTRY_AAD_LEN], *cose, *body, *c;
	size_t plen, cose_len, blen, len;
	if (phr_record_create(NULL, &r))
		return 1;
	phr_cbor_enc_init(&e, payload, sizeof(payload));
	phr_cbor_put_map(&e, 3);
	phr_cbor_put_uint(&e, 1);
	phr_cbor_put_uint(&e, 0);
	phr_cbor_put_uint(&e, 2);
	phr_cbor_put_uint(&e, FX_T0);
	phr_cbor_put_uint(&e, 3);
	phr_cbor_put_raw(&e, content, clen);
	if (phr_cbor_enc_finish(&e, &plen))
		return 1;
	phr_record_entry_aad(r, 0, aad);
	if (phr_cose_sign1(fx.clinic1, payload, plen, aad, sizeof(aad), &cose, &cose_len))
		return 1;
	const uint8_t *raw[1] = { cose };
	body = fx_body(r, raw, &cose_len, 1, &blen);
	c = fx_container(body, blen, &len);
	struct phr_record *d;
	int rc = phr_record_decode(c, len, &d);
	free(cose);
	free(body);
	free(c);
	phr_record_destroy(r);
	if (rc != PHR_OK)
		return 1;
	struct phr_report rep;
	phr_verify_record(d, fx.trust, 0, &rep);
	int got = d->entries[0].content_err;
	phr_record_destroy(d);
	if (got != want || rep.entries[0].status != PHR_ST_MALFORMED || rep.all_valid) {
		fprintf(stderr, "  got %d (%s), want %d\n", got, phr_last_error(), want);
		return 1;
	}
	return 0;
}

static int test_signed_but_not_canonical(void)
{
	/* {1: 0, 2: 45350, 2: 45350}: a duplicate key, signed by a trusted clinic */
	static const uint8_t dup[] = { 0xa3, 0x01, 0x00, 0x02, 0x19, 0xb1, 0x26, 0x02, 0x19, 0xb1, 0x26 };
	CHECK(!signed_noncanonical(dup, sizeof(dup), PHR_E_DUPLICATE_KEY));
	/* {1: 0 as a 1-byte extension, 2: 45350} */
	static const uint8_t longint[] = { 0xa2, 0x01, 0x18, 0x00, 0x02, 0x19, 0xb1, 0x26 };
	CHECK(!signed_noncanonical(longint, sizeof(longint), PHR_E_NONCANONICAL));
	CHECK(strstr(phr_last_error(), "shortest"));
	return 0;
}

static int test_damaged_entry_is_kept_and_marked(void)
{
	/* an entry whose COSE structure is broken: the record still opens, the
	 * other entries are still verified, the damaged one is marked */
	struct phr_record *r;
	struct phr_report rep;
	size_t blen, clen;
	CHECK(!fx_record(&fx, 2, NULL, &r));
	static const uint8_t junk[] = { 0x83, 0x01, 0x02, 0x03 };
	const uint8_t *raw[2] = { r->entries[0].raw, junk };
	size_t lens[2] = { r->entries[0].raw_len, sizeof(junk) };
	uint8_t *body = fx_body(r, raw, lens, 2, &blen), *c = fx_container(body, blen, &clen);
	struct phr_record *d;
	CHECK_RC(check(c, clen, fx.trust, &rep, &d), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	CHECK(rep.entries[1].status == PHR_ST_MALFORMED);
	/* and it may not be extended */
	CHECK_RC(phr_record_append(d, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, FX_T0), PHR_E_MALFORMED);
	phr_record_destroy(d);
	free(body);
	free(c);
	phr_record_destroy(r);
	return 0;
}

static int test_append_checks(void)
{
	struct phr_record *r;
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	/* a certificate for another key */
	CHECK_RC(phr_record_append(r, fx.clinic1, fx.cert2, fx.cert2_len, fx.entry0, fx.entry0_len, FX_T0), PHR_E_ARG);
	/* content that is not an entry */
	static const uint8_t notentry[] = { 0x01 };
	CHECK(phr_record_append(r, fx.clinic1, fx.cert1, fx.cert1_len, notentry, 1, FX_T0) != PHR_OK);
	CHECK(r->n_entries == 0);
	for (size_t i = 0; i < PHR_MAX_ENTRIES; i++)
		CHECK_RC(phr_record_append(r, fx.clinic1, NULL, 0, fx.entry1, fx.entry1_len, FX_T0), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, NULL, 0, fx.entry1, fx.entry1_len, FX_T0), PHR_E_LIMIT);
	phr_record_destroy(r);
	return 0;
}

/* ---- canonical container (FORMAT.md, Container) ---- */

/* Container (compression none) of r's id and entries with the given
 * certificate list. malloc'd. */
static uint8_t *with_certs(const struct phr_record *r, const uint8_t *const *c, const size_t *cl, size_t nc,
			   size_t *len)
{
	struct phr_cbor_enc e;
	uint8_t *body = NULL;
	size_t need = 0;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, body, need);
		phr_cbor_put_array(&e, 3);
		phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, r->n_entries);
		for (size_t i = 0; i < r->n_entries; i++)
			phr_cbor_put_raw(&e, r->entries[i].raw, r->entries[i].raw_len);
		phr_cbor_put_array(&e, nc);
		for (size_t i = 0; i < nc; i++)
			phr_cbor_put_bytes(&e, c[i], cl[i]);
		if (phr_cbor_enc_finish(&e, &need) || (pass == 0 && !(body = malloc(need)))) {
			free(body);
			return NULL;
		}
	}
	uint8_t *out = fx_container(body, need, len);
	free(body);
	return out;
}

static bool certs_are(const struct phr_record *r, const uint8_t *const *c, const size_t *cl, size_t nc)
{
	if (r->n_certs != nc)
		return false;
	for (size_t i = 0; i < nc; i++)
		if (r->cert_lens[i] != cl[i] || memcmp(r->certs[i], c[i], cl[i]))
			return false;
	return true;
}

static int test_canonical_certs(void)
{
	struct phr_record *r, *d;
	uint8_t *c;
	size_t len;
	const uint8_t *c12[] = { fx.cert1, fx.cert2 }, *c21[] = { fx.cert2, fx.cert1 };
	const size_t l12[] = { fx.cert1_len, fx.cert2_len }, l21[] = { fx.cert2_len, fx.cert1_len };

	/* clinic 1, clinic 2, clinic 1 again: each certificate once, in order of first use */
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, fx.cert1, fx.cert1_len, fx.entry0, fx.entry0_len, FX_T0), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, FX_T0 + FX_DAY),
		 PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, fx.cert1, fx.cert1_len, fx.entry1, fx.entry1_len,
				   FX_T0 + 2 * FX_DAY),
		 PHR_OK);
	CHECK(certs_are(r, c12, l12, 2));

	/* a list in another order, read back and extended: written in order again */
	CHECK((c = with_certs(r, c21, l21, 2, &len)) != NULL);
	CHECK_RC(phr_record_decode(c, len, &d), PHR_OK);
	free(c);
	CHECK(certs_are(d, c21, l21, 2)); /* readable as it is */
	CHECK_RC(phr_record_append(d, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len,
				   FX_T0 + 3 * FX_DAY),
		 PHR_OK);
	CHECK(certs_are(d, c12, l12, 2));
	phr_record_destroy(d);

	/* a certificate no entry's signer has is dropped when the record is written */
	const uint8_t *c2[] = { fx.cert2 };
	const size_t l2[] = { fx.cert2_len };
	struct phr_record *one;
	CHECK_RC(phr_record_create(NULL, &one), PHR_OK);
	CHECK_RC(phr_record_append(one, fx.clinic1, NULL, 0, fx.entry0, fx.entry0_len, FX_T0), PHR_OK);
	CHECK((c = with_certs(one, c2, l2, 1, &len)) != NULL);
	CHECK_RC(phr_record_decode(c, len, &d), PHR_OK);
	free(c);
	CHECK(d->n_certs == 1);
	CHECK_RC(phr_record_append(d, fx.clinic1, fx.cert1, fx.cert1_len, fx.entry1, fx.entry1_len, FX_T0 + FX_DAY),
		 PHR_OK);
	CHECK(certs_are(d, c12, l12, 1));
	phr_record_destroy(d);
	phr_record_destroy(one);

	/* of two certificates for one key, the one valid at no signing time goes,
	 * unless no certificate of that key is valid then */
	const uint8_t *cf[] = { fx.cert1_future };
	const size_t lf[] = { fx.cert1_future_len };
	CHECK_RC(phr_record_create(NULL, &d), PHR_OK);
	CHECK_RC(phr_record_append(d, fx.clinic1, fx.cert1_future, fx.cert1_future_len, fx.entry0, fx.entry0_len,
				   FX_T0),
		 PHR_OK);
	CHECK(certs_are(d, cf, lf, 1)); /* the only one: kept, verification says why it fails */
	CHECK_RC(phr_record_append(d, fx.clinic1, fx.cert1, fx.cert1_len, fx.entry1, fx.entry1_len, FX_T0 + FX_DAY),
		 PHR_OK);
	CHECK(certs_are(d, c12, l12, 1)); /* cert1 is valid for both entries */
	/* signed inside the future certificate's period: both are valid then */
	CHECK_RC(phr_record_append(d, fx.clinic1, fx.cert1_future, fx.cert1_future_len, fx.entry1, fx.entry1_len,
				   FX_T0 + 15 * FX_DAY),
		 PHR_OK);
	const uint8_t *c1f[] = { fx.cert1, fx.cert1_future };
	const size_t l1f[] = { fx.cert1_len, fx.cert1_future_len };
	CHECK(certs_are(d, c1f, l1f, 2)); /* cert1 first used by entry 0 */
	phr_record_destroy(d);
	phr_record_destroy(r);
	return 0;
}

static int test_duplicate_cert_refused(void)
{
	struct phr_record *r, *d = (struct phr_record *)1;
	uint8_t *c;
	size_t len;
	const uint8_t *cc[] = { fx.cert1, fx.cert2, fx.cert1 };
	const size_t cl[] = { fx.cert1_len, fx.cert2_len, fx.cert1_len };
	CHECK(!fx_record(&fx, 2, NULL, &r));
	CHECK((c = with_certs(r, cc, cl, 3, &len)) != NULL);
	CHECK_RC(phr_record_decode(c, len, &d), PHR_E_MALFORMED);
	CHECK(d == NULL && strstr(phr_last_error(), "certificates 0 and 2"));
	free(c);
	CHECK((c = with_certs(r, cc, cl, 2, &len)) != NULL); /* each once: read */
	CHECK_RC(phr_record_decode(c, len, &d), PHR_OK);
	phr_record_destroy(d);
	free(c);
	phr_record_destroy(r);
	return 0;
}

static int test_version_id(void)
{
	struct phr_record *r, *d, *other;
	uint8_t v[PHR_VERSION_ID_LEN], w[PHR_VERSION_ID_LEN], *c;
	char hex[PHR_VERSION_ID_HEX_LEN];
	size_t len;
	CHECK(!fx_record(&fx, 2, NULL, &r));
	CHECK_RC(phr_record_version_id(r, v), PHR_OK);
	CHECK(!memcmp(v, r->id, PHR_RECORD_ID_LEN) && !memcmp(v + PHR_RECORD_ID_LEN, r->entries[1].hash, PHR_HASH_LEN));
	CHECK_RC(phr_record_version_id_hex(r, hex), PHR_OK);
	CHECK(strlen(hex) == 2 * PHR_VERSION_ID_LEN);
	/* every compression, and other certificate lists: the same version */
	for (int m = 0; m <= PHR_COMP_MAX; m++) {
		CHECK_RC(phr_record_encode(r, m, &c, &len), PHR_OK);
		CHECK_RC(phr_record_decode(c, len, &d), PHR_OK);
		CHECK_RC(phr_record_version_id(d, w), PHR_OK);
		CHECK(!memcmp(v, w, sizeof(v)));
		phr_record_destroy(d);
		free(c);
	}
	const uint8_t *cc[] = { fx.cert2 };
	const size_t cl[] = { fx.cert2_len };
	for (size_t nc = 0; nc <= 1; nc++) {
		CHECK((c = with_certs(r, cc, cl, nc, &len)) != NULL);
		CHECK_RC(phr_record_decode(c, len, &d), PHR_OK);
		CHECK_RC(phr_record_version_id(d, w), PHR_OK);
		CHECK(!memcmp(v, w, sizeof(v)));
		phr_record_destroy(d);
		free(c);
	}
	/* another last entry, one entry fewer, another record: another version */
	CHECK(!fx_record(&fx, 3, r->id, &other));
	CHECK_RC(phr_record_version_id(other, w), PHR_OK);
	CHECK(memcmp(v, w, sizeof(v)) != 0);
	phr_record_destroy(other);
	CHECK(!fx_record(&fx, 1, r->id, &other));
	CHECK_RC(phr_record_version_id(other, w), PHR_OK);
	CHECK(memcmp(v, w, sizeof(v)) != 0 && !memcmp(v, w, PHR_RECORD_ID_LEN));
	phr_record_destroy(other);
	CHECK(!fx_record(&fx, 2, NULL, &other));
	CHECK_RC(phr_record_version_id(other, w), PHR_OK);
	CHECK(memcmp(v, w, PHR_RECORD_ID_LEN) != 0);
	phr_record_destroy(other);
	/* no entries, no version */
	CHECK_RC(phr_record_create(NULL, &other), PHR_OK);
	CHECK_RC(phr_record_version_id(other, w), PHR_E_ARG);
	phr_record_destroy(other);
	phr_record_destroy(r);
	return 0;
}

int main(void)
{
	if (fx_init(&fx, "adult-tb-positive-referral.json")) {
		fprintf(stderr, "fixture: %s\n", phr_last_error());
		return 1;
	}
	static const struct test tests[] = {
		{ "valid chain, every compression method", test_valid_chain_every_compression },
		{ "bad signature (content altered)", test_bad_signature },
		{ "unknown signer", test_unknown_signer },
		{ "revoked signer", test_revoked },
		{ "certificate not valid at signing time", test_cert_not_valid_at_signing_time },
		{ "chain broken: middle entry removed", test_middle_entry_removed },
		{ "chain broken: entries reordered", test_entries_reordered },
		{ "entry moved from another record", test_entry_moved_from_another_record },
		{ "truncated container, over the limit, bad version", test_truncated_and_oversized },
		{ "signed duplicate key and non-shortest integer", test_signed_but_not_canonical },
		{ "damaged entry is kept and marked", test_damaged_entry_is_kept_and_marked },
		{ "append checks certificate, content and limit", test_append_checks },
		{ "certificate list: used ones, order of first use, once", test_canonical_certs },
		{ "a certificate embedded twice is refused", test_duplicate_cert_refused },
		{ "version id: what is signed, not how it is packed", test_version_id },
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	fx_finish(&fx);
	return rc;
}
