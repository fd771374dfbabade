#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/json.h"
#include "testlib.h"

static void seed(uint8_t s[PHR_SEED_LEN], uint8_t v)
{
	memset(s, v, PHR_SEED_LEN);
}

int fx_init(struct fixture *f, const char *example)
{
	uint8_t s[PHR_SEED_LEN];
	size_t len;
	memset(f, 0, sizeof(*f));
	seed(s, 1);
	if (phr_key_from_seed(PHR_KEY_AUTHORITY, "Demo Health Authority", "GR", s, &f->auth_a))
		return 1;
	seed(s, 2);
	if (phr_key_from_seed(PHR_KEY_AUTHORITY, "Other Authority", "IT", s, &f->auth_b))
		return 1;
	seed(s, 3);
	if (phr_key_from_seed(PHR_KEY_CLINIC, "Lesvos Reception Clinic", "GR", s, &f->clinic1))
		return 1;
	seed(s, 4);
	if (phr_key_from_seed(PHR_KEY_CLINIC, "Berlin Health Centre", "DE", s, &f->clinic2))
		return 1;
	if (phr_cert_issue(f->auth_a, phr_seckey_public(f->clinic1), FX_T0 - 30 * FX_DAY, FX_T0 + 365 * FX_DAY,
			   &f->cert1, &f->cert1_len) ||
	    phr_cert_issue(f->auth_a, phr_seckey_public(f->clinic2), FX_T0 - 30 * FX_DAY, FX_T0 + 365 * FX_DAY,
			   &f->cert2, &f->cert2_len) ||
	    phr_cert_issue(f->auth_a, phr_seckey_public(f->clinic1), FX_T0 + 10 * FX_DAY, FX_T0 + 20 * FX_DAY,
			   &f->cert1_future, &f->cert1_future_len))
		return 1;
	const uint8_t *certs[2] = { f->cert1, f->cert2 };
	size_t lens[2] = { f->cert1_len, f->cert2_len };
	uint8_t revoked[1][PHR_KID_LEN];
	memcpy(revoked[0], phr_seckey_public(f->clinic2)->kid, PHR_KID_LEN);
	uint8_t *b;
	size_t bl;
	struct phr_pubkey a = *phr_seckey_public(f->auth_a), bb = *phr_seckey_public(f->auth_b);
	if (phr_trust_build(f->auth_a, &a, 1, certs, lens, 2, NULL, 0, 1, FX_T0, FX_T0 + 86400, &b, &bl) ||
	    phr_trust_load(b, bl, &f->trust))
		return 1;
	free(b);
	if (phr_trust_build(f->auth_a, &a, 1, certs, lens, 2, (const uint8_t(*)[PHR_KID_LEN])revoked, 1, 2, FX_T0, FX_T0 + 86400, &b,
			    &bl) ||
	    phr_trust_load(b, bl, &f->trust_revoked))
		return 1;
	free(b);
	if (phr_trust_build(f->auth_b, &bb, 1, NULL, NULL, 0, NULL, 0, 1, FX_T0, FX_T0 + 86400, &b, &bl) ||
	    phr_trust_load(b, bl, &f->trust_b))
		return 1;
	free(b);
	char path[256];
	snprintf(path, sizeof(path), "examples/%s", example);
	char *text = (char *)t_read(path, &len);
	if (!text || phr_entry_parse_text(text, len, &f->entry0, &f->entry0_len))
		return 1;
	free(text);
	text = (char *)t_read("examples/entries/vaccination-given.json", &len);
	if (!text || phr_entry_parse_text(text, len, &f->entry1, &f->entry1_len))
		return 1;
	free(text);
	return 0;
}

void fx_finish(struct fixture *f)
{
	phr_seckey_destroy(f->auth_a);
	phr_seckey_destroy(f->auth_b);
	phr_seckey_destroy(f->clinic1);
	phr_seckey_destroy(f->clinic2);
	free(f->cert1);
	free(f->cert2);
	free(f->cert1_future);
	phr_trust_destroy(f->trust);
	phr_trust_destroy(f->trust_revoked);
	phr_trust_destroy(f->trust_b);
	free(f->entry0);
	free(f->entry1);
}

int fx_record(const struct fixture *f, size_t n, const uint8_t *id, struct phr_record **out)
{
	struct phr_record *r;
	if (phr_record_create(id, &r))
		return 1;
	for (size_t i = 0; i < n; i++) {
		int rc = i == 0 ? phr_record_append(r, f->clinic1, f->cert1, f->cert1_len, f->entry0, f->entry0_len, FX_T0)
				: phr_record_append(r, f->clinic2, f->cert2, f->cert2_len, f->entry1, f->entry1_len,
						    FX_T0 + i * FX_DAY);
		if (rc) {
			phr_record_destroy(r);
			return 1;
		}
	}
	*out = r;
	return 0;
}

uint8_t *fx_container(const uint8_t *body, size_t body_len, size_t *len)
{
	uint8_t *c = malloc(body_len + PHR_CONTAINER_HEADER);
	c[0] = PHR_CONTAINER_VERSION;
	c[1] = 0;
	c[2] = (uint8_t)(body_len >> 16);
	c[3] = (uint8_t)(body_len >> 8);
	c[4] = (uint8_t)body_len;
	memcpy(c + PHR_CONTAINER_HEADER, body, body_len);
	*len = body_len + PHR_CONTAINER_HEADER;
	return c;
}

uint8_t *fx_body(const struct phr_record *r, const uint8_t *const *raw, const size_t *raw_len, size_t n, size_t *len)
{
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t need = 0;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, need);
		phr_cbor_put_array(&e, 3);
		phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, n);
		for (size_t i = 0; i < n; i++)
			phr_cbor_put_raw(&e, raw[i], raw_len[i]);
		phr_cbor_put_array(&e, r->n_certs);
		for (size_t i = 0; i < r->n_certs; i++)
			phr_cbor_put_bytes(&e, r->certs[i], r->cert_lens[i]);
		if (phr_cbor_enc_finish(&e, &need))
			return NULL;
		if (pass == 0)
			buf = malloc(need);
	}
	*len = need;
	return buf;
}
