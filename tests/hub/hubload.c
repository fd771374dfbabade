/* hubload: bounded load on the hub over loopback (docs/HUB.md, "Load").
 *   hubload setup DIR T0         writes DIR/auth.pub and DIR/trust.bundle: an
 *                                authority and HUBLOAD_CLINICS clinics, keys
 *                                derived from fixed seeds, valid around T0
 *   hubload run URL N ENTRY.json T0 OUT.ids
 *                                HUBLOAD_CLINICS threads, one per clinic, push
 *                                N one-entry records in all (ENTRY signed at
 *                                T0), each request signed; prints throughput
 *                                and latency percentiles, writes every record
 *                                id pushed to OUT.ids; exit 1 when a push
 *                                failed (anything but 201).
 *   hubload fetch URL IDS N T0   one clinic (GR) fetches N records by id, ids
 *                                drawn at random from the file IDS (one hex
 *                                a line), one signed GET at a time; prints
 *                                latency percentiles; exit 1 unless every
 *                                answer is 200 with a version.
 * The request clock is T0 (the hub's PHR_NOW). */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/render.h"

#define HUBLOAD_CLINICS 20

static struct phr_seckey *auth, *clinic[HUBLOAD_CLINICS];
static uint8_t *cert[HUBLOAD_CLINICS];
static size_t cert_len[HUBLOAD_CLINICS];

static int keys(uint64_t t0)
{
	uint8_t s[PHR_SEED_LEN];
	memset(s, 0x41, sizeof(s));
	if (phr_key_from_seed(PHR_KEY_AUTHORITY, "Load Test Authority", "GR", s, &auth))
		return -1;
	for (int i = 0; i < HUBLOAD_CLINICS; i++) {
		char name[40];
		snprintf(name, sizeof(name), "Load Clinic %d", i + 1);
		memset(s, 0x50 + i, sizeof(s));
		if (phr_key_from_seed(PHR_KEY_CLINIC, name, i % 2 ? "DE" : "GR", s, &clinic[i]) ||
		    phr_cert_issue(auth, phr_seckey_public(clinic[i]), t0 - 30 * 86400, t0 + 365 * 86400, &cert[i],
				   &cert_len[i]))
			return -1;
	}
	return 0;
}

static int write_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	int ok = f && fwrite(b, 1, n, f) == n;
	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

static uint64_t t0;
static const uint8_t *entry;
static size_t entry_len;
static const char *url;
static size_t per_clinic;
static double *lat; /* ms, per push */
static char (*ids)[33];
static size_t failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t sink(char *d, size_t s, size_t n, void *c)
{
	(void)d;
	(void)c;
	return s * n;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *worker(void *arg)
{
	int c = (int)(intptr_t)arg;
	CURL *h = curl_easy_init();
	char kid[PHR_KID_HEX_LEN], certhex[2 * 512 + 1];
	phr_kid_to_hex(phr_seckey_public(clinic[c])->kid, kid);
	sodium_bin2hex(certhex, sizeof(certhex), cert[c], cert_len[c]);
	for (size_t k = 0; k < per_clinic; k++) {
		size_t slot = (size_t)c * per_clinic + k;
		struct phr_record *r;
		uint8_t *body = NULL;
		size_t len = 0;
		if (phr_record_create(NULL, &r) || phr_record_append(r, clinic[c], cert[c], cert_len[c], entry, entry_len, t0) ||
		    phr_record_encode(r, 0, &body, &len)) {
			pthread_mutex_lock(&lock);
			failures++;
			pthread_mutex_unlock(&lock);
			continue;
		}
		phr_record_id_hex(r->id, ids[slot]);
		phr_record_destroy(r);
		uint8_t n[HUB_NONCE_LEN];
		char nh[2 * HUB_NONCE_LEN + 1], *sig = NULL, hdr[5][1200], u[600];
		randombytes_buf(n, sizeof(n));
		sodium_bin2hex(nh, sizeof(nh), n, sizeof(n));
		if (hub_sign(clinic[c], "POST", "/v1/versions", t0, nh, body, len, &sig))
			abort();
		snprintf(hdr[0], sizeof(hdr[0]), "X-Phr-Cert: %s", kid);
		snprintf(hdr[1], sizeof(hdr[1]), "X-Phr-Time: %llu", (unsigned long long)t0);
		snprintf(hdr[2], sizeof(hdr[2]), "X-Phr-Nonce: %s", nh);
		snprintf(hdr[3], sizeof(hdr[3]), "X-Phr-Signature: %s", sig);
		snprintf(hdr[4], sizeof(hdr[4]), "X-Phr-Certificate: %s", certhex);
		free(sig);
		struct curl_slist *hl = NULL;
		for (int i = 0; i < 5; i++)
			hl = curl_slist_append(hl, hdr[i]);
		hl = curl_slist_append(hl, "Content-Type: application/octet-stream");
		hl = curl_slist_append(hl, "Expect:");
		snprintf(u, sizeof(u), "%s/v1/versions", url);
		curl_easy_setopt(h, CURLOPT_URL, u);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		double a = now_ms();
		long status = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		lat[slot] = now_ms() - a;
		curl_slist_free_all(hl);
		free(body);
		if (status != 201) {
			pthread_mutex_lock(&lock);
			if (failures++ < 5)
				fprintf(stderr, "hubload: clinic %d push %zu: HTTP %ld\n", c + 1, k, status);
			pthread_mutex_unlock(&lock);
			ids[slot][0] = '\0';
		}
	}
	curl_easy_cleanup(h);
	return NULL;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

struct fbuf {
	char *p;
	size_t len;
};

static size_t keep(char *d, size_t s, size_t n, void *c)
{
	struct fbuf *b = c;
	char *p = realloc(b->p, b->len + s * n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, d, s * n);
	b->p = p;
	b->len += s * n;
	b->p[b->len] = '\0';
	return s * n;
}

/* hubload fetch URL IDS N T0 */
static int fetch(const char *base, const char *ids_path, size_t n)
{
	FILE *f = fopen(ids_path, "r");
	size_t cap = 1024, m = 0;
	char(*all)[33] = malloc(cap * sizeof(*all)), line[128];
	while (f && all && fgets(line, sizeof(line), f)) {
		if (strlen(line) < 32)
			continue;
		if (m == cap) {
			void *q = realloc(all, 2 * cap * sizeof(*all));
			if (!q)
				break;
			all = q;
			cap *= 2;
		}
		memcpy(all[m], line, 32);
		all[m++][32] = '\0';
	}
	if (f)
		fclose(f);
	if (!m || !n)
		return 2;
	double *l = calloc(n, sizeof(*l));
	CURL *h = curl_easy_init();
	char kid[PHR_KID_HEX_LEN], certhex[2 * 512 + 1];
	phr_kid_to_hex(phr_seckey_public(clinic[0])->kid, kid);
	sodium_bin2hex(certhex, sizeof(certhex), cert[0], cert_len[0]);
	size_t bad = 0;
	double start = now_ms();
	for (size_t k = 0; k < n; k++) {
		char path[80], u[700], nh[2 * HUB_NONCE_LEN + 1], *sig = NULL, hdr[5][1200];
		uint8_t nn[HUB_NONCE_LEN];
		snprintf(path, sizeof(path), "/v1/records/%s", all[randombytes_uniform((uint32_t)m)]);
		randombytes_buf(nn, sizeof(nn));
		sodium_bin2hex(nh, sizeof(nh), nn, sizeof(nn));
		double a = now_ms();
		if (hub_sign(clinic[0], "GET", path, t0, nh, NULL, 0, &sig))
			abort();
		snprintf(hdr[0], sizeof(hdr[0]), "X-Phr-Cert: %s", kid);
		snprintf(hdr[1], sizeof(hdr[1]), "X-Phr-Time: %llu", (unsigned long long)t0);
		snprintf(hdr[2], sizeof(hdr[2]), "X-Phr-Nonce: %s", nh);
		snprintf(hdr[3], sizeof(hdr[3]), "X-Phr-Signature: %s", sig);
		snprintf(hdr[4], sizeof(hdr[4]), "X-Phr-Certificate: %s", certhex);
		free(sig);
		struct curl_slist *hl = NULL;
		for (int i = 0; i < 5; i++)
			hl = curl_slist_append(hl, hdr[i]);
		snprintf(u, sizeof(u), "%s%s", base, path);
		struct fbuf b = { 0 };
		curl_easy_setopt(h, CURLOPT_URL, u);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		long status = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		l[k] = now_ms() - a;
		curl_slist_free_all(hl);
		if (status != 200 || !b.p || !strstr(b.p, "\"container\"")) {
			if (bad++ < 5)
				fprintf(stderr, "hubload: GET %s: HTTP %ld\n", path, status);
		}
		free(b.p);
	}
	double secs = (now_ms() - start) / 1e3;
	curl_easy_cleanup(h);
	free(all);
	qsort(l, n, sizeof(*l), cmp_d);
	printf("hubload: %zu fetches by id (of %zu ids) in %.1f s, one at a time: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
	       "max %.1f ms; %zu failed\n",
	       n, m, secs, l[n / 2], l[(size_t)((double)n * 0.9)], l[(size_t)((double)n * 0.99)], l[n - 1], bad);
	free(l);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 6 && !strcmp(argv[1], "fetch")) {
		t0 = strtoull(argv[5], NULL, 10);
		if (keys(t0))
			return 2;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		return fetch(argv[2], argv[3], strtoull(argv[4], NULL, 10));
	}
	if (argc == 4 && !strcmp(argv[1], "setup")) {
		t0 = strtoull(argv[3], NULL, 10);
		if (keys(t0))
			return 2;
		uint8_t *pub, *bundle;
		size_t pl, bl;
		struct phr_pubkey a = *phr_seckey_public(auth);
		if (phr_pubkey_encode(auth, &pub, &pl) ||
		    phr_trust_build(auth, &a, 1, (const uint8_t *const *)cert, cert_len, HUBLOAD_CLINICS, NULL, 0, 1, t0,
				    t0 + 90 * 86400, &bundle, &bl) ||
		    write_file(argv[2], "auth.pub", pub, pl) || write_file(argv[2], "trust.bundle", bundle, bl))
			return 2;
		free(pub);
		free(bundle);
		return 0;
	}
	if (argc != 7 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: hubload setup DIR T0 | hubload run URL N ENTRY.json T0 OUT.ids\n");
		return 2;
	}
	url = argv[2];
	size_t n = strtoull(argv[3], NULL, 10);
	t0 = strtoull(argv[5], NULL, 10);
	per_clinic = n / HUBLOAD_CLINICS;
	n = per_clinic * HUBLOAD_CLINICS;
	FILE *f = fopen(argv[4], "rb");
	static char text[1 << 16];
	size_t tl = f ? fread(text, 1, sizeof(text), f) : 0;
	if (f)
		fclose(f);
	uint8_t *e;
	if (!tl || keys(t0) || phr_entry_parse_text(text, tl, &e, &entry_len))
		return 2;
	entry = e;
	lat = calloc(n ? n : 1, sizeof(*lat));
	ids = calloc(n ? n : 1, sizeof(*ids));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_t th[HUBLOAD_CLINICS];
	double start = now_ms();
	for (int i = 0; i < HUBLOAD_CLINICS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < HUBLOAD_CLINICS; i++)
		pthread_join(th[i], NULL);
	double secs = (now_ms() - start) / 1e3;
	FILE *o = fopen(argv[6], "w");
	for (size_t i = 0; o && i < n; i++)
		if (ids[i][0])
			fprintf(o, "%s\n", ids[i]);
	if (o)
		fclose(o);
	qsort(lat, n, sizeof(*lat), cmp_d);
	printf("hubload: %d clinics pushed %zu versions in %.1f s: %.0f pushes/s; latency p50 %.1f ms, p99 %.1f ms, "
	       "max %.1f ms; %zu failed\n",
	       HUBLOAD_CLINICS, n, secs, (double)n / secs, lat[n / 2], lat[(size_t)((double)n * 0.99)], lat[n - 1],
	       failures);
	free(lat);
	free(ids);
	return failures ? 1 : 0;
}
