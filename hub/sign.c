/* Request signatures between clinics and the hub (hub.h). */
#include "hub.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hub_sig_text(const char *method, const char *path, uint64_t t, const char *nonce_hex, const uint8_t *body,
		 size_t body_len, char *out, size_t cap)
{
	uint8_t h[32];
	char hh[65];
	crypto_generichash(h, sizeof(h), body_len ? body : NULL, body_len, NULL, 0);
	sodium_bin2hex(hh, sizeof(hh), h, sizeof(h));
	int n = snprintf(out, cap, HUB_SIG_PREFIX "%s\n%s\n%llu\n%s\n%s", method, path, (unsigned long long)t, nonce_hex,
			 hh);
	if (n < 0 || (size_t)n >= cap)
		return phr_fail(PHR_E_LIMIT, "hub: the request path is too long to sign");
	return PHR_OK;
}

int hub_sign(const struct phr_seckey *k, const char *method, const char *path, uint64_t t, const char *nonce_hex,
	     const uint8_t *body, size_t body_len, char **sig_hex)
{
	char text[HUB_MAX_PATH + 256];
	uint8_t *cose = NULL;
	size_t len = 0;
	*sig_hex = NULL;
	int rc = hub_sig_text(method, path, t, nonce_hex, body, body_len, text, sizeof(text));
	if (rc || (rc = phr_cose_sign1(k, (const uint8_t *)text, strlen(text), (const uint8_t *)HUB_AAD,
				       strlen(HUB_AAD), &cose, &len)))
		return rc;
	if (!(*sig_hex = malloc(2 * len + 1))) {
		free(cose);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	sodium_bin2hex(*sig_hex, 2 * len + 1, cose, len);
	free(cose);
	return PHR_OK;
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	if (!s || sodium_hex2bin(out, cap, s, strlen(s), NULL, &n, NULL) != 0)
		return -1;
	*len = n;
	return 0;
}

int hub_check(const struct phr_trust *trust, uint64_t now, const char *method, const char *path,
	      const char *cert_hex, const char *time_s, const char *nonce_hex, const char *sig_hex,
	      const char *certificate_hex, const uint8_t *body, size_t body_len, struct hub_who *who)
{
	uint8_t kid[PHR_KID_LEN], nonce[HUB_NONCE_LEN];
	size_t n;
	memset(who, 0, sizeof(*who));
	if (!trust)
		return phr_fail(PHR_E_HUB_AUTH, "the hub has no trust bundle");
	if (!cert_hex || !time_s || !nonce_hex || !sig_hex)
		return phr_fail(PHR_E_HUB_AUTH, "the request is not signed (X-Phr-Cert, X-Phr-Time, X-Phr-Nonce, "
				"X-Phr-Signature)");
	if (strlen(cert_hex) != 2 * PHR_KID_LEN || unhex(cert_hex, kid, sizeof(kid), &n) || n != PHR_KID_LEN)
		return phr_fail(PHR_E_HUB_AUTH, "X-Phr-Cert is not a key id (16 hex digits)");
	if (strlen(nonce_hex) != 2 * HUB_NONCE_LEN || unhex(nonce_hex, nonce, sizeof(nonce), &n) || n != HUB_NONCE_LEN)
		return phr_fail(PHR_E_HUB_AUTH, "X-Phr-Nonce is not %d hex digits", 2 * HUB_NONCE_LEN);
	char *end;
	unsigned long long t = strtoull(time_s, &end, 10);
	if (!*time_s || *end || time_s[0] == '-')
		return phr_fail(PHR_E_HUB_AUTH, "X-Phr-Time is not Unix seconds");
	if (t + HUB_WINDOW < now || t > now + HUB_WINDOW)
		return phr_fail(PHR_E_HUB_AUTH, "the request's time is more than %u s from the hub's clock", HUB_WINDOW);
	/* the certificate: the bundle's, else the one sent, issued by a listed authority */
	struct phr_cert sent;
	uint8_t cbuf[HUB_MAX_CERT_HEX / 2];
	const struct phr_cert *c = phr_trust_cert(trust, kid);
	if (!c && certificate_hex && strlen(certificate_hex) <= HUB_MAX_CERT_HEX &&
	    !unhex(certificate_hex, cbuf, sizeof(cbuf), &n) && !phr_cert_parse(cbuf, n, &sent) &&
	    !memcmp(sent.subject.kid, kid, PHR_KID_LEN)) {
		const struct phr_pubkey *a = phr_trust_authority(trust, sent.issuer_kid);
		if (a && !phr_cert_verify(&sent, a->pk))
			c = &sent;
	}
	/* or an authority of the bundle, by its own key */
	const struct phr_pubkey *auth = c ? NULL : phr_trust_authority(trust, kid);
	if (!c && !auth)
		return phr_fail(PHR_E_HUB_AUTH, "clinic %s: no certificate from an authority of the hub's trust bundle",
				cert_hex);
	if (phr_trust_revoked(trust, kid) || (c && phr_trust_revoked(trust, c->issuer_kid)))
		return phr_fail(PHR_E_HUB_AUTH, "%s %s is revoked", auth ? "authority" : "clinic", cert_hex);
	if (c && phr_cert_check_time(c, now))
		return phr_fail(PHR_E_HUB_AUTH, "clinic %s: its certificate is not valid now", cert_hex);
	const struct phr_pubkey *signer = c ? &c->subject : auth;
	/* the signature: by that clinic's key, over this request */
	size_t sl = strlen(sig_hex);
	uint8_t *sig = sl <= HUB_MAX_SIG_HEX ? malloc(sl / 2 + 1) : NULL;
	struct phr_cose cose;
	char text[HUB_MAX_PATH + 256];
	int rc = PHR_E_HUB_AUTH;
	if (!sig || unhex(sig_hex, sig, sl / 2 + 1, &n) || phr_cose_parse(sig, n, &cose)) {
		phr_fail(PHR_E_HUB_AUTH, "X-Phr-Signature is not a signature");
		goto out;
	}
	if (memcmp(cose.kid, kid, PHR_KID_LEN)) {
		phr_fail(PHR_E_HUB_AUTH, "the request is signed by another key than clinic %s's", cert_hex);
		goto out;
	}
	if ((rc = hub_sig_text(method, path, t, nonce_hex, body, body_len, text, sizeof(text))))
		goto out;
	if (cose.payload_len != strlen(text) || sodium_memcmp(cose.payload, text, cose.payload_len) ||
	    phr_cose_verify(&cose, signer->pk, (const uint8_t *)HUB_AAD, strlen(HUB_AAD))) {
		rc = phr_fail(PHR_E_HUB_AUTH, "the signature does not verify for clinic %s and this request", cert_hex);
		goto out;
	}
	memcpy(who->kid, kid, PHR_KID_LEN);
	phr_kid_to_hex(kid, who->kid_hex);
	snprintf(who->name, sizeof(who->name), "%s", signer->name);
	snprintf(who->country, sizeof(who->country), "%s", signer->country);
	who->authority = auth != NULL;
	rc = PHR_OK;
out:
	free(sig);
	return rc;
}
