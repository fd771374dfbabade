/* bench_verify: how fast a clinic verifies records, against the floor of
 * bare Ed25519 verification of the same messages, timed in the same run.
 *
 *   bench_verify [N]    (N two-entry records, default 2000)
 *
 * Each record: entry 0 by one clinic, entry 1 by another, both clinics'
 * certificates embedded, default compression. phr_verify_record() runs on
 * decoded records against two trust bundles:
 *   - one that lists both clinic certificates: the embedded copies are the
 *     same bytes, which the bundle verified when it was loaded, so per
 *     record 2 entry signatures (COSE_Sign1 with the chain AAD) are checked;
 *   - one that lists only the authority: each embedded certificate's
 *     signature is checked too, 4 signatures per record.
 * "decode + verify" adds phr_record_decode() from the container bytes
 * (decompression included). The floors are crypto_sign_verify_detached()
 * over exactly the same Sig_structure bytes: the 2 entry signatures, and
 * the 4 signatures (entries + certificates). Best of 3 runs each. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phr/cbor.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"
#include "phr/verify.h"

#include "benchlib.h"

const char *const bench_name = "bench_verify";

#ifndef PHR_SOURCE_ROOT
#define PHR_SOURCE_ROOT "."
#endif

#define T0 1750000000u
#define DAY 86400u

static uint8_t *entry_from_file(const char *rel, size_t *len)
{
	const char *root = getenv("PHR_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root ? root : PHR_SOURCE_ROOT, rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_verify: cannot open %s\n", path);
		exit(1);
	}
	char *text = malloc(1 << 20);
	size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	uint8_t *cbor;
	if (!text || phr_entry_parse_text(text, n, &cbor, len))
		bench_die(path);
	free(text);
	return cbor;
}

/* A signed message as Ed25519 sees it. */
struct msg {
	uint8_t *m;
	size_t len;
	const uint8_t *sig, *pk;
};

static struct msg sig_structure(const struct phr_cose *c, const uint8_t *aad, size_t aadlen, const uint8_t *pk)
{
	struct phr_cbor_enc e;
	struct msg m = { NULL, 0, c->sig, pk };
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, m.m, m.len);
		phr_cbor_put_array(&e, 4);
		phr_cbor_put_cstr(&e, "Signature1");
		phr_cbor_put_bytes(&e, c->prot, c->prot_len);
		phr_cbor_put_bytes(&e, aad, aadlen);
		phr_cbor_put_bytes(&e, c->payload, c->payload_len);
		if (phr_cbor_enc_finish(&e, &m.len))
			bench_die("Sig_structure");
		if (pass == 0 && !(m.m = malloc(m.len)))
			abort();
	}
	return m;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	if (n == 0 || sodium_init() < 0)
		return 2;
	struct phr_seckey *auth, *c1, *c2;
	auth = bench_key(BENCH_AUTHORITY);
	c1 = bench_key(BENCH_LESVOS);
	c2 = bench_key(BENCH_BERLIN);
	uint8_t *cert1, *cert2, *tb;
	size_t cert1_len, cert2_len, tb_len;
	if (phr_cert_issue(auth, phr_seckey_public(c1), T0 - 30 * DAY, T0 + 365 * DAY, &cert1, &cert1_len) ||
	    phr_cert_issue(auth, phr_seckey_public(c2), T0 - 30 * DAY, T0 + 365 * DAY, &cert2, &cert2_len))
		bench_die("certificate");
	const uint8_t *certs[2] = { cert1, cert2 };
	size_t lens[2] = { cert1_len, cert2_len };
	struct phr_pubkey ap = *phr_seckey_public(auth);
	struct phr_trust *trust, *trust_auth;
	if (phr_trust_build(auth, &ap, 1, certs, lens, 2, NULL, 0, 1, T0, T0 + 86400, &tb, &tb_len) ||
	    phr_trust_load(tb, tb_len, &trust))
		bench_die("trust bundle");
	free(tb);
	if (phr_trust_build(auth, &ap, 1, NULL, NULL, 0, NULL, 0, 1, T0, T0 + 86400, &tb, &tb_len) ||
	    phr_trust_load(tb, tb_len, &trust_auth))
		bench_die("trust bundle");
	size_t e0_len, e1_len;
	uint8_t *e0 = entry_from_file("examples/adult-tb-positive-referral.json", &e0_len);
	uint8_t *e1 = entry_from_file("examples/entries/vaccination-given.json", &e1_len);

	uint8_t **cont = calloc(n, sizeof(*cont));
	size_t *cont_len = calloc(n, sizeof(*cont_len));
	struct phr_record **rec = calloc(n, sizeof(*rec));
	struct msg *msgs = calloc(4 * n, sizeof(*msgs));
	struct phr_report *rep = malloc(sizeof(*rep));
	if (!cont || !cont_len || !rec || !msgs || !rep)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct phr_record *r;
		uint8_t id[PHR_RECORD_ID_LEN] = { 0 };
		memcpy(id, &i, sizeof(i));
		if (phr_record_create(id, &r) || phr_record_append(r, c1, cert1, cert1_len, e0, e0_len, T0) ||
		    phr_record_append(r, c2, cert2, cert2_len, e1, e1_len, T0 + DAY) ||
		    phr_record_encode(r, -1, &cont[i], &cont_len[i]))
			bench_die("record");
		phr_record_destroy(r);
		if (phr_record_decode(cont[i], cont_len[i], &rec[i]))
			bench_die("decode");
		const struct phr_record *d = rec[i];
		const uint8_t *pks[2] = { phr_seckey_public(c1)->pk, phr_seckey_public(c2)->pk };
		for (size_t k = 0; k < 2; k++) {
			uint8_t aad[PHR_ENTRY_AAD_LEN];
			phr_record_entry_aad(d, k, aad);
			msgs[4 * i + k] = sig_structure(&d->entries[k].cose, aad, sizeof(aad), pks[k]);
			struct phr_cert c;
			if (phr_cert_parse(d->certs[k], d->cert_lens[k], &c))
				bench_die("certificate");
			msgs[4 * i + 2 + k] = sig_structure(&c.cose, (const uint8_t *)PHR_AAD_CERT, strlen(PHR_AAD_CERT), ap.pk);
		}
	}

	enum { VERIFY, VERIFY_AUTH, DECODE_VERIFY, DECODE_VERIFY_AUTH, BARE2, BARE4, NT };
	double best[NT];
	for (int k = 0; k < NT; k++)
		best[k] = 1e30;
	for (int run = 0; run < 3; run++) {
		double v[NT];
		for (int k = 0; k < NT; k++) {
			const struct phr_trust *t = (k == VERIFY || k == DECODE_VERIFY) ? trust : trust_auth;
			double t0 = bench_now();
			if (k == VERIFY || k == VERIFY_AUTH) {
				for (size_t i = 0; i < n; i++) {
					phr_verify_record(rec[i], t, T0 + 2 * DAY, rep);
					if (!rep->all_valid)
						bench_die("a record did not verify");
				}
			} else if (k == DECODE_VERIFY || k == DECODE_VERIFY_AUTH) {
				for (size_t i = 0; i < n; i++) {
					struct phr_record *r;
					if (phr_record_decode(cont[i], cont_len[i], &r))
						bench_die("decode");
					phr_verify_record(r, t, T0 + 2 * DAY, rep);
					if (!rep->all_valid)
						bench_die("a record did not verify");
					phr_record_destroy(r);
				}
			} else if (k == BARE2) {
				for (size_t i = 0; i < 2 * n; i++) {
					const struct msg *m = &msgs[4 * (i / 2) + i % 2];
					if (crypto_sign_verify_detached(m->sig, m->m, m->len, m->pk))
						bench_die("bare verify");
				}
			} else {
				for (size_t i = 0; i < 4 * n; i++)
					if (crypto_sign_verify_detached(msgs[i].sig, msgs[i].m, msgs[i].len, msgs[i].pk))
						bench_die("bare verify");
			}
			v[k] = bench_now() - t0;
		}
		for (int k = 0; k < NT; k++)
			if (v[k] < best[k])
				best[k] = v[k];
	}
	printf("Verification throughput: %zu two-entry records (container %zu B, compression %s), best of 3 runs.\n",
	       n, cont_len[0], phr_compression_name(phr_compression_default()));
	printf("Two clinics, both certificates embedded; chain, validity and revocation checks included.\n\n");
	static const char *const labels[NT] = {
		"verify, bundle lists the certificates",
		"verify, bundle lists the authority only",
		"decode + verify, bundle lists the certificates",
		"decode + verify, bundle lists the authority only",
		"bare Ed25519, 2 entry signatures",
		"bare Ed25519, 4 signatures (entries + certificates)",
	};
	static const int floor_of[NT] = { BARE2, BARE4, BARE2, BARE4, BARE2, BARE4 };
	printf("%-52s %11s %10s %13s %10s\n", "", "records/s", "us/record", "time / bare", "% of bare");
	for (int k = 0; k < NT; k++)
		printf("%-52s %11.0f %10.1f %13.2f %9.0f%%\n", labels[k], (double)n / best[k], best[k] * 1e6 / (double)n,
		       best[k] / best[floor_of[k]], 100.0 * best[floor_of[k]] / best[k]);
	printf("\nbare = crypto_sign_verify_detached over the same signatures (2 with the certificates in the\n"
	       "bundle, 4 with the authority only); the rest is COSE/CBOR parsing, chain hashes and policy.\n"
	       "%% of bare = throughput as a share of bare Ed25519's (goal: at least 85%%).\n");

	for (size_t i = 0; i < n; i++) {
		free(cont[i]);
		phr_record_destroy(rec[i]);
	}
	for (size_t i = 0; i < 4 * n; i++)
		free(msgs[i].m);
	free(cont), free(cont_len), free(rec), free(msgs), free(rep);
	free(e0), free(e1), free(cert1), free(cert2), free(tb);
	phr_trust_destroy(trust);
	phr_trust_destroy(trust_auth);
	phr_seckey_destroy(auth), phr_seckey_destroy(c1), phr_seckey_destroy(c2);
	return 0;
}
