/* The hub's request authentication: hub_check() (hub/sign.c) on headers
 * and a body from outside.
 *
 * Input: METHOD \n PATH \n X-Phr-Cert \n X-Phr-Time \n X-Phr-Nonce \n
 * X-Phr-Signature \n X-Phr-Certificate \n BODY (a missing line is a
 * missing header), checked against the fuzz trust bundle at FUZZ_T0.
 *
 * Invariants:
 *  - the answer is PHR_OK or PHR_E_HUB_AUTH / PHR_E_LIMIT with a message;
 *    on failure *who is all zeros;
 *  - accepted: the clinic is one of the fuzz clinics with a certificate
 *    from authority A that is not revoked (clinic 1, or clinic 4 with its
 *    certificate sent), or authority A itself (marked an authority), who
 *    names it, and signing the same request with
 *    that clinic's key gives the signature received byte for byte (Ed25519
 *    is deterministic): nobody but the key's holder made it.
 * With FUZZ_HUBAUTH_SEEDS=DIR set, the first call writes seeds there: a
 * request signed by clinic 1, one by clinic 4 with its certificate, one by
 * a revoked clinic, one by authority A.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hub.h"

#define MAX_FIELD 4096

static struct fuzz_keys keys;
static int have_keys;

static void seed(const char *dir, const char *name, int clinic, bool send_cert)
{
	static const char body[] = "a record version";
	char nonce[2 * HUB_NONCE_LEN + 1], *sig = NULL, path[600], kid[PHR_KID_HEX_LEN];
	memset(nonce, 'a', sizeof(nonce) - 1);
	nonce[sizeof(nonce) - 1] = '\0';
	const struct phr_seckey *k = keys.key[clinic];
	if (hub_sign(k, "POST", "/v1/versions", FUZZ_T0, nonce, (const uint8_t *)body, sizeof(body) - 1, &sig))
		abort();
	phr_kid_to_hex(phr_seckey_public(k)->kid, kid);
	bool auth = clinic < FUZZ_CLINIC_1;
	char *cert = calloc(1, auth ? 1 : 2 * keys.cert_len[clinic - FUZZ_CLINIC_1] + 1);
	if (send_cert && !auth)
		sodium_bin2hex(cert, 2 * keys.cert_len[clinic - FUZZ_CLINIC_1] + 1, keys.cert[clinic - FUZZ_CLINIC_1],
			       keys.cert_len[clinic - FUZZ_CLINIC_1]);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fprintf(f, "POST\n/v1/versions\n%s\n%u\n%s\n%s\n%s\n%s", kid, FUZZ_T0, nonce, sig, cert, body);
	fclose(f);
	/* the seeds are what they say: clinics 1 and 4 accepted, 2 refused */
	struct hub_who who;
	char t[24];
	snprintf(t, sizeof(t), "%u", FUZZ_T0);
	int rc = hub_check(fuzz_trust(), FUZZ_T0, "POST", "/v1/versions", kid, t, nonce, sig, cert, (const uint8_t *)body,
			   sizeof(body) - 1, &who);
	if ((rc == PHR_OK) != (clinic != FUZZ_CLINIC_2)) {
		fprintf(stderr, "fuzz_hubauth: seed %s: %s\n", name, rc ? phr_last_error() : "accepted");
		abort();
	}
	free(sig);
	free(cert);
}

/* The next line of the input, NUL-terminated in out; NULL when none. */
static const char *line(const uint8_t **p, const uint8_t *end, char *out)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);
	if (n >= MAX_FIELD)
		n = MAX_FIELD - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl ? nl + 1 : end;
	return out; /* an embedded NUL just shortens the header */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char f[7][MAX_FIELD];
	const char *v[7];
	const uint8_t *p = data, *end = data + size;
	if (!have_keys) {
		if (fuzz_keys_init(&keys))
			abort();
		have_keys = 1;
		const char *dir = getenv("FUZZ_HUBAUTH_SEEDS");
		if (dir && *dir) {
			seed(dir, "clinic1", FUZZ_CLINIC_1, false);
			seed(dir, "clinic4-cert-sent", FUZZ_CLINIC_4, true);
			seed(dir, "clinic2-revoked", FUZZ_CLINIC_2, false);
			seed(dir, "authority-a", FUZZ_AUTH_A, false);
		}
	}
	for (int i = 0; i < 7; i++)
		v[i] = line(&p, end, f[i]);
	if (!v[0] || !v[1])
		return 0;
	struct hub_who who, zero;
	memset(&who, 0xa5, sizeof(who));
	memset(&zero, 0, sizeof(zero));
	int rc = hub_check(fuzz_trust(), FUZZ_T0, v[0], v[1], v[2], v[3], v[4], v[5], v[6], p, (size_t)(end - p), &who);
	if (rc) {
		FUZZ_CHECK(rc == PHR_E_HUB_AUTH || rc == PHR_E_LIMIT, "an error other than auth or limit");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		FUZZ_CHECK(memcmp(&who, &zero, sizeof(who)) == 0, "who not wiped after a failure");
		return 0;
	}
	int clinic = -1;
	for (int i = 0; i < FUZZ_NKEYS; i++)
		if (!memcmp(phr_seckey_public(keys.key[i])->kid, who.kid, PHR_KID_LEN))
			clinic = i;
	/* a clinic with a valid certificate, or authority A (B is revoked) */
	FUZZ_CHECK(clinic == FUZZ_CLINIC_1 || clinic == FUZZ_CLINIC_4 || clinic == FUZZ_AUTH_A,
		   "accepted a signer that is not valid");
	FUZZ_CHECK(who.authority == (clinic == FUZZ_AUTH_A), "an authority taken for a clinic, or the reverse");
	char *again = NULL;
	uint64_t t = strtoull(v[3], NULL, 10);
	FUZZ_CHECK(hub_sign(keys.key[clinic], v[0], v[1], t, v[4], p, (size_t)(end - p), &again) == PHR_OK, "sign again");
	FUZZ_CHECK(!strcmp(again, v[5]), "accepted a signature the clinic's key did not make");
	free(again);
	return 0;
}
