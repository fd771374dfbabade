/* Shared fixture: fixed keys, certificates, trust bundles and records. */
#ifndef PHR_TEST_FIXTURE_H
#define PHR_TEST_FIXTURE_H

#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/verify.h"

#define FX_T0 1750000000u /* 2025-06-15T15:06:40Z */
#define FX_DAY 86400u

struct fixture {
	struct phr_seckey *auth_a, *auth_b, *clinic1, *clinic2;
	uint8_t *cert1, *cert2, *cert1_future;
	size_t cert1_len, cert2_len, cert1_future_len;
	struct phr_trust *trust;         /* A; cert1, cert2 */
	struct phr_trust *trust_revoked; /* A; cert1, cert2; clinic2 revoked */
	struct phr_trust *trust_b;       /* B only */
	uint8_t *entry0, *entry1;        /* an assessment, a follow-up (CBOR) */
	size_t entry0_len, entry1_len;
};

int fx_init(struct fixture *f, const char *example);
void fx_finish(struct fixture *f);
/* A record of n entries: entry 0 by clinic1, the others by clinic2, one day apart. */
int fx_record(const struct fixture *f, size_t n, const uint8_t *id, struct phr_record **out);
/* Container bytes (compression none) for a body. malloc'd. */
uint8_t *fx_container(const uint8_t *body, size_t body_len, size_t *len);
/* Body [id, entries (given raw), certs of r]. malloc'd. */
uint8_t *fx_body(const struct phr_record *r, const uint8_t *const *raw, const size_t *raw_len, size_t n, size_t *len);

#endif
