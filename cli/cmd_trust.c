/* phr trust build|show */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "phr/render.h"

#define MAX_ARGS 256

static const char build_usage[] =
	"Usage: phr trust build --key AUTH.key [--cert C.cert]... [--authority A.pub]...\n"
	"                       [--revoke KIDHEX]... [--version N] --out TRUST.bundle\n"
	"\n"
	"Signs a trust bundle with an authority key. It lists the signing authority,\n"
	"any further --authority keys, the clinic certificates, and revoked key ids.\n"
	"Verifiers use it offline; it travels as a file (and later as QR codes).\n"
	"  --version N   bundle version (default: the current Unix time, so newer\n"
	"                bundles have higher versions)\n";

static const char show_usage[] =
	"Usage: phr trust show [--format text|json] TRUST.bundle\n"
	"\n"
	"Checks a trust bundle and lists its authorities, certificates and revocations.\n";

int cli_load_trust(const char *verb, const char *path, const char *pin, struct phr_trust **out)
{
	uint8_t *buf;
	size_t len;
	int rc;
	*out = NULL;
	if ((rc = cli_read(path, PHR_MAX_TRUST, &buf, &len)))
		return cli_fail(verb, rc, NULL);
	rc = phr_trust_load(buf, len, out);
	free(buf);
	if (rc)
		return cli_fail(verb, rc, path);
	if (pin) {
		struct phr_pubkey p;
		if ((rc = cli_read(pin, PHR_MAX_KEYFILE, &buf, &len)))
			goto fail;
		rc = phr_pubkey_decode(buf, len, &p);
		free(buf);
		if (rc)
			goto fail;
		/* The whole key, not only its 8-byte kid: a kid is short enough
		 * that a second key sharing it is not out of reach. */
		const struct phr_pubkey *signer = phr_trust_authority(*out, phr_trust_signer_kid(*out));
		if (!signer || sodium_memcmp(p.pk, signer->pk, PHR_PK_LEN) != 0) {
			char a[PHR_KID_HEX_LEN], b[PHR_KID_HEX_LEN];
			phr_kid_to_hex(phr_trust_signer_kid(*out), a);
			phr_kid_to_hex(p.kid, b);
			rc = phr_fail(PHR_E_UNTRUSTED, "%s is signed by %s, not by the pinned authority %s", path, a, b);
			goto fail;
		}
	}
	return EXIT_OK_;
fail:
	phr_trust_destroy(*out);
	*out = NULL;
	return cli_fail(verb, rc, NULL);
}

static int build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, 0, 'k' }, { "cert", required_argument, 0, 'c' },
		{ "authority", required_argument, 0, 'a' }, { "revoke", required_argument, 0, 'r' },
		{ "version", required_argument, 0, 'v' }, { "out", required_argument, 0, 'o' },
		{ "passphrase-file", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *verb = "trust build";
	const char *key = NULL, *out = NULL, *passfile = NULL, *version = NULL;
	const char *certs[MAX_ARGS], *auths[MAX_ARGS], *revs[MAX_ARGS];
	size_t nc = 0, na = 0, nr = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'o': out = optarg; break;
		case 'p': passfile = optarg; break;
		case 'v': version = optarg; break;
		case 'c': if (nc == MAX_ARGS) return cli_usage(verb, "too many --cert"); certs[nc++] = optarg; break;
		case 'a': if (na + 1 == MAX_ARGS) return cli_usage(verb, "too many --authority"); auths[na++] = optarg; break;
		case 'r': if (nr == MAX_ARGS) return cli_usage(verb, "too many --revoke"); revs[nr++] = optarg; break;
		case 'h': fputs(build_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (!key || !out)
		return cli_usage(verb, "--key and --out are required");
	uint64_t ver = cli_now();
	if (version) {
		char *end;
		ver = strtoull(version, &end, 10);
		if (*end || !*version || version[0] == '-')
			return cli_usage(verb, "--version must be a whole number");
	}
	static struct phr_pubkey authorities[MAX_ARGS];
	static uint8_t revoked[MAX_ARGS][PHR_KID_LEN];
	uint8_t *cert_bufs[MAX_ARGS] = { 0 };
	size_t cert_lens[MAX_ARGS];
	struct phr_seckey *auth = NULL;
	uint8_t *bundle = NULL;
	size_t blen;
	int rc = PHR_OK, ex;
	for (size_t i = 0; i < nr; i++)
		if ((rc = cli_parse_kid(revs[i], revoked[i])))
			return cli_fail(verb, rc, "--revoke");
	if ((ex = cli_load_key(verb, key, passfile, &auth)))
		return ex;
	if (phr_seckey_public(auth)->kind != PHR_KEY_AUTHORITY) {
		rc = phr_fail(PHR_E_ARG, "%s is a clinic key (kind 2); trust bundles are signed with an authority key (kind 1)",
			      key);
		goto out;
	}
	authorities[0] = *phr_seckey_public(auth);
	for (size_t i = 0; i < na; i++) {
		uint8_t *b;
		size_t l;
		if ((rc = cli_read(auths[i], PHR_MAX_KEYFILE, &b, &l)))
			goto out;
		rc = phr_pubkey_decode(b, l, &authorities[i + 1]);
		free(b);
		if (rc) {
			phr_fail_wrap(rc, "%s", auths[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < nc; i++) {
		if ((rc = cli_read(certs[i], PHR_MAX_CERT, &cert_bufs[i], &cert_lens[i])))
			goto out;
	}
	if ((rc = phr_trust_build(auth, authorities, na + 1, (const uint8_t *const *)cert_bufs, cert_lens, nc,
				  (const uint8_t(*)[PHR_KID_LEN])revoked, nr, ver, cli_now(), &bundle, &blen)))
		goto out;
	if ((rc = cli_write(out, bundle, blen, 0666)))
		goto out;
	fprintf(stderr, "phr %s: wrote %s (version %llu: %zu authorities, %zu certificates, %zu revoked)\n", verb, out,
		(unsigned long long)ver, na + 1, nc, nr);
out:
	ex = rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
	for (size_t i = 0; i < nc; i++)
		free(cert_bufs[i]);
	free(bundle);
	phr_seckey_destroy(auth);
	return ex;
}

static json_t *pub_json(const struct phr_pubkey *p)
{
	char kid[PHR_KID_HEX_LEN];
	phr_kid_to_hex(p->kid, kid);
	return json_pack("{s:s, s:s, s:s}", "kid", kid, "name", p->name, "country", p->country);
}

static int show(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *verb = "trust show", *format = "text";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'h': fputs(show_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one TRUST.bundle");
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage(verb, "--format is text or json");
	struct phr_trust *t;
	int ex = cli_load_trust(verb, argv[optind], NULL, &t);
	if (ex)
		return ex;
	char kid[PHR_KID_HEX_LEN], when[21], nb[21], na[21];
	json_t *auths = json_array(), *certs = json_array(), *revoked = json_array();
	for (size_t i = 0; i < phr_trust_count_authorities(t); i++)
		json_array_append_new(auths, pub_json(phr_trust_authority_at(t, i)));
	for (size_t i = 0; i < phr_trust_count_certs(t); i++) {
		const struct phr_cert *ct = phr_trust_cert_at(t, i);
		json_t *j = pub_json(&ct->subject);
		phr_kid_to_hex(ct->issuer_kid, kid);
		phr_format_time(ct->not_before, nb);
		phr_format_time(ct->not_after, na);
		json_object_set_new(j, "issuer", json_string(kid));
		json_object_set_new(j, "not_before", json_string(nb));
		json_object_set_new(j, "not_after", json_string(na));
		json_object_set_new(j, "revoked", json_boolean(phr_trust_revoked(t, ct->subject.kid)));
		json_array_append_new(certs, j);
	}
	for (size_t i = 0; i < phr_trust_count_revoked(t); i++) {
		phr_kid_to_hex(phr_trust_revoked_at(t, i), kid);
		json_array_append_new(revoked, json_string(kid));
	}
	phr_kid_to_hex(phr_trust_signer_kid(t), kid);
	phr_format_time(phr_trust_issued(t), when);
	json_t *root = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "version", (json_int_t)phr_trust_version(t),
				 "issued", when, "signer", kid, "authorities", auths, "certificates", certs, "revoked",
				 revoked);
	if (!strcmp(format, "json")) {
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
	} else {
		printf("Trust bundle version %llu, issued %s, signed by %s\n", (unsigned long long)phr_trust_version(t),
		       when, kid);
		size_t i;
		json_t *v;
		json_array_foreach(auths, i, v)
			printf("authority   %s  %s (%s)\n", json_string_value(json_object_get(v, "kid")),
			       json_string_value(json_object_get(v, "name")), json_string_value(json_object_get(v, "country")));
		json_array_foreach(certs, i, v)
			printf("clinic      %s  %s (%s), valid %s to %s%s\n", json_string_value(json_object_get(v, "kid")),
			       json_string_value(json_object_get(v, "name")), json_string_value(json_object_get(v, "country")),
			       json_string_value(json_object_get(v, "not_before")),
			       json_string_value(json_object_get(v, "not_after")),
			       json_is_true(json_object_get(v, "revoked")) ? ", REVOKED" : "");
		json_array_foreach(revoked, i, v)
			printf("revoked     %s\n", json_string_value(v));
	}
	json_decref(root);
	phr_trust_destroy(t);
	return EXIT_OK_;
}

int cmd_trust(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "build"))
		return build(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return show(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s\n%s", build_usage, show_usage);
		return EXIT_OK_;
	}
	return cli_usage("trust", "expected 'build' or 'show'");
}
