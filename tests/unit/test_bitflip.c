/* Flips every single bit of a two-entry container, a certificate and a trust
 * bundle. No flip may ever be accepted as valid with content different from
 * the original. */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "testlib.h"

static struct fixture fx;

static int same_record(const struct phr_record *a, const struct phr_record *b)
{
	if (memcmp(a->id, b->id, PHR_RECORD_ID_LEN) || a->n_entries != b->n_entries)
		return 0;
	for (size_t i = 0; i < a->n_entries; i++) {
		const struct phr_entry *x = &a->entries[i], *y = &b->entries[i];
		if (x->content_len != y->content_len || memcmp(x->content, y->content, x->content_len) ||
		    x->signed_at != y->signed_at || memcmp(x->cose.kid, y->cose.kid, PHR_KID_LEN))
			return 0;
	}
	return 1;
}

static int test_container_bits(void)
{
	struct phr_record *orig, *d;
	struct phr_report rep;
	uint8_t *c;
	size_t len;
	CHECK(!fx_record(&fx, 2, NULL, &orig));
	size_t accepted_same = 0, rejected = 0, shown_unverified = 0;
	for (int m = 0; m <= 3; m++) {
		CHECK_RC(phr_record_encode(orig, m, &c, &len), PHR_OK);
		for (size_t bit = 0; bit < len * 8; bit++) {
			c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (phr_record_decode(c, len, &d) != PHR_OK) {
				rejected++;
			} else {
				phr_verify_record(d, fx.trust, 0, &rep);
				if (rep.all_valid) {
					if (!same_record(orig, d)) {
						fprintf(stderr, "  method %d bit %zu: accepted as valid with other content\n", m, bit);
						return 1;
					}
					accepted_same++;
				} else {
					shown_unverified++;
				}
				phr_record_destroy(d);
			}
			c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		free(c);
	}
	printf("  container flips: %zu rejected, %zu opened but not valid, %zu valid with identical content\n", rejected,
	       shown_unverified, accepted_same);
	phr_record_destroy(orig);
	return 0;
}

static int test_certificate_bits(void)
{
	uint8_t *c = malloc(fx.cert1_len);
	struct phr_cert orig, d;
	memcpy(c, fx.cert1, fx.cert1_len);
	CHECK_RC(phr_cert_parse(fx.cert1, fx.cert1_len, &orig), PHR_OK);
	size_t accepted = 0;
	for (size_t bit = 0; bit < fx.cert1_len * 8; bit++) {
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (phr_cert_parse(c, fx.cert1_len, &d) == PHR_OK &&
		    phr_cert_verify(&d, phr_seckey_public(fx.auth_a)->pk) == PHR_OK) {
			if (memcmp(&d.subject, &orig.subject, sizeof(d.subject)) || d.not_before != orig.not_before ||
			    d.not_after != orig.not_after) {
				fprintf(stderr, "  certificate bit %zu: accepted with other content\n", bit);
				return 1;
			}
			accepted++;
		}
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	printf("  certificate: %zu bits flipped, %zu accepted (all identical)\n", fx.cert1_len * 8, accepted);
	free(c);
	return 0;
}

static int same_trust(const struct phr_trust *a, const struct phr_trust *b)
{
	if (phr_trust_version(a) != phr_trust_version(b) || phr_trust_issued(a) != phr_trust_issued(b) ||
	    phr_trust_count_authorities(a) != phr_trust_count_authorities(b) ||
	    phr_trust_count_certs(a) != phr_trust_count_certs(b) ||
	    phr_trust_count_revoked(a) != phr_trust_count_revoked(b))
		return 0;
	for (size_t i = 0; i < phr_trust_count_authorities(a); i++)
		if (memcmp(phr_trust_authority_at(a, i), phr_trust_authority_at(b, i), sizeof(struct phr_pubkey)))
			return 0;
	for (size_t i = 0; i < phr_trust_count_certs(a); i++)
		if (memcmp(&phr_trust_cert_at(a, i)->subject, &phr_trust_cert_at(b, i)->subject, sizeof(struct phr_pubkey)))
			return 0;
	for (size_t i = 0; i < phr_trust_count_revoked(a); i++)
		if (memcmp(phr_trust_revoked_at(a, i), phr_trust_revoked_at(b, i), PHR_KID_LEN))
			return 0;
	return 1;
}

static int test_trust_bits(void)
{
	const uint8_t *certs[2] = { fx.cert1, fx.cert2 };
	size_t lens[2] = { fx.cert1_len, fx.cert2_len };
	uint8_t rev[1][PHR_KID_LEN] = { { 1, 2, 3, 4, 5, 6, 7, 8 } };
	struct phr_pubkey a = *phr_seckey_public(fx.auth_a);
	uint8_t *b;
	size_t bl;
	struct phr_trust *orig, *d;
	CHECK_RC(phr_trust_build(fx.auth_a, &a, 1, certs, lens, 2, (const uint8_t(*)[PHR_KID_LEN])rev, 1, 7, FX_T0, FX_T0 + 86400, &b, &bl),
		 PHR_OK);
	CHECK_RC(phr_trust_load(b, bl, &orig), PHR_OK);
	size_t accepted = 0;
	for (size_t bit = 0; bit < bl * 8; bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (phr_trust_load(b, bl, &d) == PHR_OK) {
			if (!same_trust(orig, d)) {
				fprintf(stderr, "  trust bundle bit %zu: accepted with other content\n", bit);
				return 1;
			}
			accepted++;
			phr_trust_destroy(d);
		}
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	printf("  trust bundle: %zu bits flipped, %zu accepted (all identical)\n", bl * 8, accepted);
	phr_trust_destroy(orig);
	free(b);
	return 0;
}

int main(void)
{
	if (fx_init(&fx, "pregnant-hepatitis-b.json")) {
		fprintf(stderr, "fixture: %s\n", phr_last_error());
		return 1;
	}
	static const struct test tests[] = {
		{ "every bit of a two-entry container, every compression", test_container_bits },
		{ "every bit of a certificate", test_certificate_bits },
		{ "every bit of a trust bundle", test_trust_bits },
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	fx_finish(&fx);
	return rc;
}
