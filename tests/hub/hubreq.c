/* hubreq: one signed request to the hub, for the tests' faults (a replay,
 * a key signing for another clinic's id, a stale time).
 * usage: hubreq KEY CERT URL METHOD PATH [options]
 *   --body FILE    request body
 *   --as CERT      put this other clinic's key id in X-Phr-Cert (and its certificate)
 *   --nonce HEX    this nonce (default random)
 *   --skew S       add S seconds (may be negative) to the clock
 *   --twice        send the identical request twice (a replay)
 * CERT may be an authority's .pub: the request is then signed as that
 * authority (KEY its key), without X-Phr-Certificate.
 * Prints the HTTP status of each answer, one a line; PHR_PASSPHRASE opens
 * the key, PHR_NOW is the clock when set (as phr-testclock reads it). */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *b = malloc(HUB_MAX_BODY);
	*len = b ? fread(b, 1, HUB_MAX_BODY, f) : 0;
	fclose(f);
	return b;
}

struct resp_buf {
	char *p;
	size_t len;
};

static size_t keep(char *d, size_t s, size_t n, void *c)
{
	struct resp_buf *b = c;
	char *p = realloc(b->p, b->len + s * n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, d, s * n);
	b->p = p;
	b->len += s * n;
	return s * n;
}

int main(int argc, char **argv)
{
	if (argc < 6 || sodium_init() < 0) {
		fprintf(stderr, "usage: hubreq KEY CERT URL METHOD PATH [--body F] [--as CERT] [--nonce HEX] [--skew S] [--twice]\n");
		return 2;
	}
	const char *body_path = NULL, *as = NULL, *nonce_hex = NULL;
	long skew = 0;
	int twice = 0;
	for (int i = 6; i < argc; i++) {
		if (!strcmp(argv[i], "--body") && i + 1 < argc)
			body_path = argv[++i];
		else if (!strcmp(argv[i], "--as") && i + 1 < argc)
			as = argv[++i];
		else if (!strcmp(argv[i], "--nonce") && i + 1 < argc)
			nonce_hex = argv[++i];
		else if (!strcmp(argv[i], "--skew") && i + 1 < argc)
			skew = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--twice"))
			twice = 1;
		else
			return 2;
	}
	size_t kl, cl, bl = 0;
	uint8_t *kf = slurp(argv[1], &kl), *cert = slurp(as ? as : argv[2], &cl), *body = NULL;
	const char *pass = getenv("PHR_PASSPHRASE");
	struct phr_seckey *k;
	if (!kf || !cert || !pass || phr_key_open(kf, kl, pass, strlen(pass), &k)) {
		fprintf(stderr, "hubreq: cannot open the key or certificate\n");
		return 2;
	}
	if (body_path && !(body = slurp(body_path, &bl)))
		return 2;
	struct phr_cert pc;
	struct phr_pubkey pub;
	bool is_auth = false;
	if (phr_cert_parse(cert, cl, &pc)) {
		if (phr_pubkey_decode(cert, cl, &pub))
			return 2;
		pc.subject = pub;
		is_auth = true;
	}
	uint64_t now = (uint64_t)time(NULL);
	const char *pn = getenv("PHR_NOW");
	if (pn && *pn) {
		struct tm tm = { 0 };
		if (sscanf(pn, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			now = (uint64_t)timegm(&tm);
		}
	}
	now = (uint64_t)((int64_t)now + skew);
	char nh[2 * HUB_NONCE_LEN + 1], *sig = NULL, kid[PHR_KID_HEX_LEN];
	if (nonce_hex) {
		snprintf(nh, sizeof(nh), "%s", nonce_hex);
	} else {
		uint8_t n[HUB_NONCE_LEN];
		randombytes_buf(n, sizeof(n));
		sodium_bin2hex(nh, sizeof(nh), n, sizeof(n));
	}
	if (hub_sign(k, argv[4], argv[5], now, nh, body, bl, &sig))
		return 2;
	phr_kid_to_hex(pc.subject.kid, kid);
	char h[5][HUB_MAX_CERT_HEX + 64], certhex[HUB_MAX_CERT_HEX + 1];
	sodium_bin2hex(certhex, sizeof(certhex), cert, cl);
	snprintf(h[0], sizeof(h[0]), "X-Phr-Cert: %s", kid);
	snprintf(h[1], sizeof(h[1]), "X-Phr-Time: %llu", (unsigned long long)now);
	snprintf(h[2], sizeof(h[2]), "X-Phr-Nonce: %s", nh);
	snprintf(h[3], sizeof(h[3]), "X-Phr-Signature: %s", sig);
	snprintf(h[4], sizeof(h[4]), "X-Phr-Certificate: %s", certhex);
	struct curl_slist *hl = NULL;
	for (int i = 0; i < (is_auth ? 4 : 5); i++)
		hl = curl_slist_append(hl, h[i]);
	hl = curl_slist_append(hl, "Content-Type: application/octet-stream");
	char url[600];
	snprintf(url, sizeof(url), "%s%s", argv[3], argv[5]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = 0;
	for (int t = 0; t <= twice; t++) {
		CURL *c = curl_easy_init();
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		if (!strcmp(argv[4], "POST")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bl);
		}
		long status = 0;
		struct resp_buf rb = { 0 };
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &rb);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		else
			rc = 1;
		printf("%ld\n", status);
		const char *out = getenv("HUBREQ_BODY"); /* the last answer's body, when named */
		FILE *bf = out && *out ? fopen(out, "wb") : NULL;
		if (bf) {
			if (rb.len)
				fwrite(rb.p, 1, rb.len, bf);
			fclose(bf);
		}
		free(rb.p);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(hl);
	free(sig);
	free(kf);
	free(cert);
	free(body);
	phr_seckey_destroy(k);
	return rc;
}
