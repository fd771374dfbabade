/* Verification against the verifier's clock (signed in the future, out of
 * time order) and keys in the wrong role (an authority key acting as a
 * clinic's). */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "phr/render.h"
#include "testlib.h"

static struct fixture fx;

/* A record: entry 0 by clinic1 at t0, entry 1 by clinic2 at t1. */
static int two_entries(uint64_t t0, uint64_t t1, struct phr_record **out)
{
	struct phr_record *r;
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, fx.cert1, fx.cert1_len, fx.entry0, fx.entry0_len, t0), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic2, fx.cert2, fx.cert2_len, fx.entry1, fx.entry1_len, t1), PHR_OK);
	*out = r;
	return 0;
}

static int test_future_beyond_tolerance(void)
{
	struct phr_record *r;
	struct phr_report rep;
	const uint64_t now = FX_T0;
	/* Entry 1 is dated one second past the tolerance. */
	CHECK(!two_entries(FX_T0 - FX_DAY, now + PHR_CLOCK_TOLERANCE + 1, &r));
	CHECK_RC(phr_verify_record(r, fx.trust, now, &rep), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	CHECK(rep.entries[1].status == PHR_ST_FUTURE);
	CHECK(strstr(rep.entries[1].detail, "after the verifier's clock") != NULL);
	CHECK(!rep.all_valid);
	CHECK_RC(phr_report_error(&rep), PHR_E_FUTURE);
	CHECK(!strcmp(phr_status_name(PHR_ST_FUTURE), "signed_in_future"));
	/* Without a trust bundle too: the clock is not a matter of trust. */
	CHECK_RC(phr_verify_record(r, NULL, now, &rep), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_SIGNATURE_ONLY && rep.entries[1].status == PHR_ST_FUTURE);
	/* No clock: no check. */
	CHECK_RC(phr_verify_record(r, fx.trust, 0, &rep), PHR_OK);
	CHECK(rep.all_valid);
	phr_record_destroy(r);

	/* A future entry 0 fails the entries after it. */
	CHECK(!two_entries(now + 3 * FX_DAY, now + 4 * FX_DAY, &r));
	CHECK_RC(phr_verify_record(r, fx.trust, now, &rep), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_FUTURE);
	CHECK(rep.entries[1].status == PHR_ST_FUTURE || rep.entries[1].status == PHR_ST_CHAIN_BROKEN);
	phr_record_destroy(r);
	return 0;
}

static int test_future_within_tolerance(void)
{
	struct phr_record *r;
	struct phr_report rep;
	const uint64_t now = FX_T0;
	CHECK(!two_entries(FX_T0 - FX_DAY, now + PHR_CLOCK_TOLERANCE, &r));
	CHECK_RC(phr_verify_record(r, fx.trust, now, &rep), PHR_OK);
	CHECK(rep.all_valid);
	CHECK(rep.entries[1].status == PHR_ST_VALID && rep.entries[1].warnings == 0);
	phr_record_destroy(r);
	return 0;
}

static int test_out_of_order_is_a_warning(void)
{
	struct phr_record *r;
	struct phr_report rep;
	/* Entry 1 says it was signed two days before entry 0: a clinic's clock
	 * was wrong. Still valid, but flagged. */
	CHECK(!two_entries(FX_T0, FX_T0 - 2 * FX_DAY, &r));
	CHECK_RC(phr_verify_record(r, fx.trust, FX_T0 + FX_DAY, &rep), PHR_OK);
	CHECK(rep.all_valid);
	CHECK_RC(phr_report_error(&rep), PHR_OK);
	CHECK(rep.entries[0].warnings == 0);
	CHECK(rep.entries[1].warnings == PHR_WARN_SIGNED_BEFORE_PREVIOUS);
	CHECK(!strcmp(phr_warning_name(PHR_WARN_SIGNED_BEFORE_PREVIOUS), "signed_before_previous"));
	CHECK(phr_warning_name(0) == NULL && phr_warning_name(1u << 5) == NULL);

	/* Both renderers show it. */
	json_t *j;
	CHECK_RC(phr_render_json(r, &rep, &j), PHR_OK);
	json_t *w0 = json_object_get(json_array_get(json_object_get(j, "entries"), 0), "warnings");
	json_t *w1 = json_object_get(json_array_get(json_object_get(j, "entries"), 1), "warnings");
	CHECK(json_is_array(w0) && json_array_size(w0) == 0);
	CHECK(json_is_array(w1) && json_array_size(w1) == 1 &&
	      !strcmp(json_string_value(json_array_get(w1, 0)), "signed_before_previous"));
	json_decref(j);
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	CHECK(f);
	CHECK_RC(phr_render_text(r, &rep, "en", f), PHR_OK);
	fclose(f);
	CHECK(strstr(text, "Dated before the previous entry") != NULL);
	free(text);

	/* Same second: in order. */
	phr_record_destroy(r);
	CHECK(!two_entries(FX_T0, FX_T0, &r));
	CHECK_RC(phr_verify_record(r, fx.trust, FX_T0, &rep), PHR_OK);
	CHECK(rep.all_valid && rep.entries[1].warnings == 0);
	phr_record_destroy(r);
	return 0;
}

/* Authority B's key, certified by A as a clinic's: the certificate is
 * well formed and properly signed, but an authority never signs entries,
 * and no bundle may certify one of its own authorities. */
static int test_authority_as_clinic(void)
{
	uint8_t seed[PHR_SEED_LEN];
	struct phr_seckey *b_as_clinic = NULL;
	memset(seed, 2, sizeof(seed)); /* auth_b's seed (fixture.c) */
	CHECK_RC(phr_key_from_seed(PHR_KEY_CLINIC, "Other Authority", "IT", seed, &b_as_clinic), PHR_OK);
	CHECK(!memcmp(phr_seckey_public(b_as_clinic)->pk, phr_seckey_public(fx.auth_b)->pk, PHR_PK_LEN));

	/* phr_cert_issue refuses the issuer's own key as a clinic... */
	uint8_t *cert = NULL;
	size_t cert_len;
	struct phr_pubkey a_as_clinic = *phr_seckey_public(fx.auth_a);
	a_as_clinic.kind = PHR_KEY_CLINIC;
	CHECK_RC(phr_cert_issue(fx.auth_a, &a_as_clinic, FX_T0 - FX_DAY, FX_T0 + FX_DAY, &cert, &cert_len), PHR_E_ARG);
	CHECK(cert == NULL && strstr(phr_last_error(), "issuing authority") != NULL);
	/* ...but cannot know that another authority's key is one. */
	CHECK_RC(phr_cert_issue(fx.auth_a, phr_seckey_public(b_as_clinic), FX_T0 - FX_DAY, FX_T0 + 30 * FX_DAY, &cert,
				&cert_len),
		 PHR_OK);

	/* A bundle listing A and B that holds this certificate is refused. */
	struct phr_pubkey auths[2] = { *phr_seckey_public(fx.auth_a), *phr_seckey_public(fx.auth_b) };
	const uint8_t *certs[1] = { cert };
	uint8_t *b = NULL;
	size_t bl;
	CHECK_RC(phr_trust_build(fx.auth_a, auths, 2, certs, &cert_len, 1, NULL, 0, 1, FX_T0, FX_T0 + 86400, &b, &bl),
		 PHR_E_UNTRUSTED);
	CHECK(strstr(phr_last_error(), "listed authority \"Other Authority\" as a clinic") != NULL);
	CHECK(b == NULL);

	/* With a bundle listing both (no certificate), an entry signed by B
	 * with the certificate embedded is not valid. */
	struct phr_trust *t = NULL;
	CHECK_RC(phr_trust_build(fx.auth_a, auths, 2, NULL, NULL, 0, NULL, 0, 1, FX_T0, FX_T0 + 86400, &b, &bl), PHR_OK);
	CHECK_RC(phr_trust_load(b, bl, &t), PHR_OK);
	free(b);
	struct phr_record *r;
	struct phr_report rep;
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, b_as_clinic, cert, cert_len, fx.entry0, fx.entry0_len, FX_T0), PHR_OK);
	CHECK_RC(phr_verify_record(r, t, FX_T0, &rep), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_UNKNOWN_SIGNER);
	CHECK(strstr(rep.entries[0].detail, "authority \"Other Authority\"") != NULL);
	/* The same entry with a bundle of A alone (B not listed) is valid:
	 * the key is only a clinic's there. */
	CHECK_RC(phr_verify_record(r, fx.trust, FX_T0, &rep), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_VALID);
	phr_record_destroy(r);
	phr_trust_destroy(t);
	phr_seckey_destroy(b_as_clinic);
	free(cert);
	return 0;
}

/* A clinic whose certificate was renewed (same key, a new period) carries
 * both certificates: each entry is checked with the one valid when it was
 * signed, whichever comes first in the container. */
static int test_renewed_certificate(void)
{
	const struct phr_pubkey *c1 = phr_seckey_public(fx.clinic1);
	uint8_t *old_cert = NULL, *new_cert = NULL, *b = NULL;
	size_t old_len, new_len, bl;
	CHECK_RC(phr_cert_issue(fx.auth_a, c1, FX_T0 - 100 * FX_DAY, FX_T0 - 10 * FX_DAY, &old_cert, &old_len),
		 PHR_OK);
	CHECK_RC(phr_cert_issue(fx.auth_a, c1, FX_T0 - 10 * FX_DAY + 1, FX_T0 + 100 * FX_DAY, &new_cert, &new_len),
		 PHR_OK);
	struct phr_record *r;
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, old_cert, old_len, fx.entry0, fx.entry0_len, FX_T0 - 20 * FX_DAY),
		 PHR_OK);
	CHECK_RC(phr_record_append(r, fx.clinic1, new_cert, new_len, fx.entry1, fx.entry1_len, FX_T0), PHR_OK);
	CHECK(r->n_certs == 2);
	struct phr_report rep;
	CHECK_RC(phr_verify_record(r, NULL, FX_T0, &rep), PHR_OK);
	CHECK(rep.entries[0].status == PHR_ST_SIGNATURE_ONLY);
	CHECK(rep.entries[1].status == PHR_ST_SIGNATURE_ONLY);
	/* A bundle of the authority alone: both certificates come from the
	 * container, and both entries are valid. */
	struct phr_pubkey auth = *phr_seckey_public(fx.auth_a);
	struct phr_trust *t = NULL;
	CHECK_RC(phr_trust_build(fx.auth_a, &auth, 1, NULL, NULL, 0, NULL, 0, 1, FX_T0, FX_T0 + 86400, &b, &bl), PHR_OK);
	CHECK_RC(phr_trust_load(b, bl, &t), PHR_OK);
	CHECK_RC(phr_verify_record(r, t, FX_T0, &rep), PHR_OK);
	CHECK(rep.all_valid);
	phr_trust_destroy(t);
	phr_record_destroy(r);
	free(b);
	free(old_cert);
	free(new_cert);
	return 0;
}

int main(void)
{
	if (fx_init(&fx, "older-man-chronic.json")) {
		fprintf(stderr, "fixture: %s\n", phr_last_error());
		return 1;
	}
	static const struct test tests[] = {
		{ "signed in the future, beyond the tolerance", test_future_beyond_tolerance },
		{ "signed in the future, within the tolerance", test_future_within_tolerance },
		{ "entries out of time order: a warning", test_out_of_order_is_a_warning },
		{ "authority key acting as a clinic", test_authority_as_clinic },
		{ "renewed certificate: each entry with the one valid when signed", test_renewed_certificate },
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	fx_finish(&fx);
	return rc;
}
