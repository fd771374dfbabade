/* phr trust build|show|pin|install|anchors, and the trust checks every
 * --trust makes (docs/TRUST.md): the bundle's signer is pinned, the bundle
 * has not expired, its version does not go backwards on this installation. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "phr/render.h"

#define MAX_ARGS 256
#define DEFAULT_DAYS 90 /* trust build --days */

static const char build_usage[] =
	"Usage: phr trust build --key AUTH.key [--cert C.cert]... [--authority A.pub]...\n"
	"                       [--revoke KIDHEX]... [--version N] [--days N] --out TRUST.bundle\n"
	"\n"
	"Signs a trust bundle with an authority key. It lists the signing authority,\n"
	"any further --authority keys, the clinic certificates, and revoked key ids.\n"
	"Verifiers use it offline; it travels as a file (and later as QR codes).\n"
	"  --version N   bundle version (default: the current Unix time, so newer\n"
	"                bundles have higher versions); verifiers refuse a version\n"
	"                lower than one they have used, and a second bundle with the\n"
	"                same version\n"
	"  --days N      verifiers refuse the bundle N days from now (default 90,\n"
	"                at most 366): publish a new one before then\n";

static const char show_usage[] =
	"Usage: phr trust show [--trust-dir DIR] [--format text|json] TRUST.bundle\n"
	"\n"
	"Checks a trust bundle and lists its authorities, certificates and revocations,\n"
	"when it expires, and whether its signer is a trust anchor of the installation.\n";

static const char pin_usage[] =
	"Usage: phr trust pin [--trust-dir DIR] AUTH.pub\n"
	"\n"
	"Adds a health authority's public key to the installation's trust anchors,\n"
	"once, when a clinic is set up. Every command given --trust then accepts only\n"
	"bundles signed by an anchor (by the whole public key). Compare the public key\n"
	"it prints with the one the authority published before you rely on it.\n";

static const char install_usage[] =
	"Usage: phr trust install [--trust-dir DIR] [--authority AUTH.pub] TRUST.bundle\n"
	"\n"
	"Checks a trust bundle as --trust does (signed by an anchor, not expired, not\n"
	"older than one used here), records its version and copies it to\n"
	"DIR/trust.bundle, the path to give --trust.\n";

static const char anchors_usage[] =
	"Usage: phr trust anchors [--trust-dir DIR]\n"
	"\n"
	"Lists the installation's trust anchors and the newest bundle version used\n"
	"from each.\n";

static const char dir_help[] =
	"The installation is DIR from --trust-dir, else $PHR_TRUST_DIR, else /etc/phr\n"
	"for root and ${XDG_CONFIG_HOME:-~/.config}/phr for other users.\n";

/* ---- the installation (docs/TRUST.md) ---------------------------------- */

#define ANCHORS_FILE "anchors"
#define STATE_FILE "trust-state"
#define BUNDLE_FILE "trust.bundle"

struct install {
	char dir[4096];
	struct phr_pubkey anchors[PHR_MAX_ANCHORS];
	size_t nanchors;
	bool have_anchors; /* the anchors file exists */
	struct phr_trust_seen seen[PHR_MAX_ANCHORS];
	size_t nseen;
};

static int install_path(const struct install *in, const char *name, char *out, size_t cap)
{
	if ((size_t)snprintf(out, cap, "%s/%s", in->dir, name) >= cap)
		return phr_fail(PHR_E_LIMIT, "trust directory path too long: %s", in->dir);
	return PHR_OK;
}

/* --trust-dir, else PHR_TRUST_DIR, else /etc/phr (root) or the user's XDG
 * configuration directory. */
static int install_dir(const char *given, struct install *in)
{
	const char *env = getenv("PHR_TRUST_DIR"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;
	if (given && *given)
		n = snprintf(in->dir, sizeof(in->dir), "%s", given);
	else if (env && *env)
		n = snprintf(in->dir, sizeof(in->dir), "%s", env);
	else if (geteuid() == 0)
		n = snprintf(in->dir, sizeof(in->dir), "/etc/phr");
	else if (xdg && *xdg == '/')
		n = snprintf(in->dir, sizeof(in->dir), "%s/phr", xdg);
	else if (home && *home)
		n = snprintf(in->dir, sizeof(in->dir), "%s/.config/phr", home);
	else
		return phr_fail(PHR_E_NOT_FOUND, "no trust directory: set PHR_TRUST_DIR (or HOME)");
	if (n < 0 || (size_t)n >= sizeof(in->dir))
		return phr_fail(PHR_E_LIMIT, "trust directory path too long");
	return PHR_OK;
}

/* Reads one file of the installation; a missing file is not an error
 * (*buf = NULL). */
static int install_read(const struct install *in, const char *name, size_t max, uint8_t **buf, size_t *len)
{
	char path[4200];
	int rc;
	*buf = NULL;
	*len = 0;
	if ((rc = install_path(in, name, path, sizeof(path))))
		return rc;
	rc = cli_read(path, max, buf, len);
	return rc == PHR_E_NOT_FOUND ? PHR_OK : rc;
}

/* Directory, anchors and state. */
static int install_open(const char *given, struct install *in)
{
	uint8_t *buf;
	size_t len;
	int rc;
	memset(in, 0, sizeof(*in));
	if ((rc = install_dir(given, in)) ||
	    (rc = install_read(in, ANCHORS_FILE, PHR_MAX_ANCHORS_FILE, &buf, &len)))
		return rc;
	if (buf) {
		in->have_anchors = true;
		rc = phr_anchors_decode(buf, len, in->anchors, &in->nanchors);
		free(buf);
		if (rc)
			return phr_fail_wrap(rc, "%s/%s", in->dir, ANCHORS_FILE);
	}
	if ((rc = install_read(in, STATE_FILE, PHR_MAX_TRUST_STATE_FILE, &buf, &len)))
		return rc;
	if (buf) {
		rc = phr_trust_state_decode(buf, len, in->seen, &in->nseen);
		free(buf);
		if (rc)
			return phr_fail_wrap(rc, "%s/%s (remove it only if you know why it is damaged: it is what "
						 "refuses older trust bundles)",
					     in->dir, STATE_FILE);
	}
	return PHR_OK;
}

static int mkdirs(const char *dir)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return phr_fail(PHR_E_LIMIT, "trust directory path too long");
	for (char *c = p + 1;; c++) {
		if (*c == '/' || *c == '\0') {
			char was = *c;
			*c = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				return phr_fail(PHR_E_IO, "cannot create %s: %s", p, strerror(errno));
			*c = was;
			if (!was)
				break;
		}
	}
	return PHR_OK;
}

static int install_write(const struct install *in, const char *name, const uint8_t *buf, size_t len)
{
	char path[4200];
	int rc = install_path(in, name, path, sizeof(path));
	return rc ? rc : cli_write(path, buf, len, 0666);
}

static const char how_to_pin[] =
	"verify, show, scan, print and card show also take --authority AUTHORITY.pub for one command";

/* The checks of docs/TRUST.md, in order: signer pinned (pin, else the
 * anchors), not expired, version not older than one used here. Returns 1
 * when the state changed and should be written back. *unpinned: the signer
 * is not an anchor (the caller says how to pin). */
static int check_bundle(const char *path, const char *pin, struct install *in, const struct phr_trust *t,
			bool *unpinned)
{
	const struct phr_pubkey *signer = phr_trust_signer(t);
	char kid[PHR_KID_HEX_LEN];
	bool changed;
	int rc;

	phr_kid_to_hex(signer->kid, kid);
	if (pin) {
		struct phr_pubkey p;
		uint8_t *buf;
		size_t len;
		if ((rc = cli_read(pin, PHR_MAX_KEYFILE, &buf, &len)))
			return rc;
		rc = phr_pubkey_decode(buf, len, &p);
		free(buf);
		if (rc)
			return phr_fail_wrap(rc, "%s", pin);
		if (p.kind != PHR_KEY_AUTHORITY)
			return phr_fail(PHR_E_ARG, "%s: --authority takes an authority key (kind 1), not a clinic's", pin);
		/* The whole key, not only its 8-byte kid: a kid is short enough
		 * that a second key sharing it is not out of reach. */
		if (phr_trust_check_signer(t, &p, 1) != PHR_OK) {
			char b[PHR_KID_HEX_LEN];
			phr_kid_to_hex(p.kid, b);
			return phr_fail(PHR_E_UNTRUSTED, "%s is signed by \"%s\", key id %s, not by the pinned authority "
					"\"%s\" (%s, key id %s)", path, signer->name, kid, p.name, pin, b);
		}
	} else if (in->nanchors == 0) {
		*unpinned = true;
		return phr_fail(PHR_E_UNTRUSTED, "%s is signed by \"%s\" (%s), key id %s, and this installation has no "
				"trust anchors (%s/%s %s)", path, signer->name, signer->country, kid, in->dir,
				ANCHORS_FILE, in->have_anchors ? "lists none" : "does not exist");
	} else if ((rc = phr_trust_check_signer(t, in->anchors, in->nanchors))) {
		*unpinned = true;
		return phr_fail_wrap(rc, "%s", path);
	}
	if ((rc = phr_trust_check_time(t, cli_now())) ||
	    (rc = phr_trust_check_version(t, in->seen, &in->nseen, &changed)))
		return phr_fail_wrap(rc, "%s", path);
	return changed ? 1 : PHR_OK;
}

/* Writes the state back; the directory must exist (it does once an
 * authority is pinned). A failure is reported, not fatal: the bundle
 * itself passed every check. */
static void remember(const char *verb, const struct install *in)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	int rc;
	if (stat(in->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return; /* no installation: a one-off --authority pin */
	if ((rc = phr_trust_state_encode(in->seen, in->nseen, &buf, &len)) == PHR_OK) {
		rc = install_write(in, STATE_FILE, buf, len);
		free(buf);
	}
	if (rc)
		fprintf(stderr, "phr %s: warning: cannot record the trust bundle's version in %s/%s (%s): an older "
				"bundle will not be refused on this installation\n",
			verb, in->dir, STATE_FILE, phr_last_error());
}

static int load_checked(const char *verb, const char *path, const char *pin, const char *dir,
			struct phr_trust **out, uint8_t **bytes, size_t *nbytes)
{
	struct install *in = NULL;
	bool unpinned = false;
	uint8_t *buf;
	size_t len;
	int rc, ex;
	*out = NULL;
	if ((rc = cli_read(path, PHR_MAX_TRUST, &buf, &len)))
		return cli_fail(verb, rc, NULL);
	if ((rc = phr_trust_load(buf, len, out))) {
		free(buf);
		return cli_fail(verb, rc, path);
	}
	if (!(in = malloc(sizeof(*in)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = install_open(dir, in)))
		goto fail;
	if ((rc = check_bundle(path, pin, in, *out, &unpinned)) < 0)
		goto fail;
	if (rc == 1)
		remember(verb, in);
	free(in);
	if (bytes) {
		*bytes = buf;
		*nbytes = len;
	} else {
		free(buf);
	}
	return EXIT_OK_;
fail:
	ex = cli_fail(verb, rc, NULL);
	if (unpinned)
		fprintf(stderr, "phr %s: if \"%s\" is your health authority, pin it once with 'phr trust pin "
				"AUTHORITY.pub' (anchors: %s/%s); %s\n",
			verb, phr_trust_signer(*out)->name, in->dir, ANCHORS_FILE, how_to_pin);
	free(in);
	free(buf);
	phr_trust_destroy(*out);
	*out = NULL;
	return ex;
}

int cli_load_trust(const char *verb, const char *path, const char *pin, struct phr_trust **out)
{
	return load_checked(verb, path, pin, NULL, out, NULL, NULL);
}

static int build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, 0, 'k' }, { "cert", required_argument, 0, 'c' },
		{ "authority", required_argument, 0, 'a' }, { "revoke", required_argument, 0, 'r' },
		{ "version", required_argument, 0, 'v' }, { "out", required_argument, 0, 'o' },
		{ "days", required_argument, 0, 'd' },
		{ "passphrase-file", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *verb = "trust build";
	const char *key = NULL, *out = NULL, *passfile = NULL, *version = NULL, *days = NULL;
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
		case 'd': days = optarg; break;
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
	uint64_t ndays = DEFAULT_DAYS;
	if (days) {
		char *end;
		ndays = strtoull(days, &end, 10);
		if (*end || !*days || days[0] == '-' || ndays < 1 || ndays > PHR_TRUST_MAX_DAYS)
			return cli_usage(verb, "--days must be a whole number from 1 to 366");
	}
	uint64_t issued = cli_now(), expires = issued + ndays * 86400;
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
				  (const uint8_t(*)[PHR_KID_LEN])revoked, nr, ver, issued, expires, &bundle, &blen)))
		goto out;
	if ((rc = cli_write(out, bundle, blen, 0666)))
		goto out;
	char until[21];
	phr_format_time(expires, until);
	fprintf(stderr, "phr %s: wrote %s (version %llu: %zu authorities, %zu certificates, %zu revoked; expires %s)\n",
		verb, out, (unsigned long long)ver, na + 1, nc, nr, until);
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
		{ "trust-dir", required_argument, 0, 'D' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *verb = "trust show", *format = "text", *dir = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'D': dir = optarg; break;
		case 'h': printf("%s%s", show_usage, dir_help); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one TRUST.bundle");
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage(verb, "--format is text or json");
	/* Shown whatever the installation thinks of it; what it thinks is
	 * said (status), and nothing is recorded. */
	struct phr_trust *t;
	struct install *in;
	uint8_t *buf;
	size_t len;
	int rc;
	if ((rc = cli_read(argv[optind], PHR_MAX_TRUST, &buf, &len)))
		return cli_fail(verb, rc, NULL);
	rc = phr_trust_load(buf, len, &t);
	free(buf);
	if (rc)
		return cli_fail(verb, rc, argv[optind]);
	if (!(in = malloc(sizeof(*in))) || (rc = install_open(dir, in))) {
		rc = in ? rc : phr_fail(PHR_E_NOMEM, "out of memory");
		free(in);
		phr_trust_destroy(t);
		return cli_fail(verb, rc, NULL);
	}
	bool unpinned = false;
	char status[PHR_ERRMSG_MAX];
	rc = check_bundle(argv[optind], NULL, in, t, &unpinned);
	snprintf(status, sizeof(status), "%s", rc < 0 ? phr_last_error() : "accepted by this installation");
	bool anchored = phr_trust_check_signer(t, in->anchors, in->nanchors) == PHR_OK;
	bool expired = phr_trust_check_time(t, cli_now()) != PHR_OK;
	free(in);
	char kid[PHR_KID_HEX_LEN], when[21], until[21], nb[21], na[21];
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
	phr_format_time(phr_trust_expires(t), until);
	json_t *root = json_pack("{s:I, s:s, s:s, s:b, s:s, s:b, s:s, s:o, s:o, s:o}", "version",
				 (json_int_t)phr_trust_version(t), "issued", when, "expires", until, "expired", expired,
				 "signer", kid, "anchored", anchored, "status", status, "authorities", auths,
				 "certificates", certs, "revoked", revoked);
	if (!strcmp(format, "json")) {
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
	} else {
		printf("Trust bundle version %llu, issued %s, expires %s%s, signed by %s\n",
		       (unsigned long long)phr_trust_version(t), when, until, expired ? " (EXPIRED)" : "", kid);
		printf("Here: %s\n", status);
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

/* Options of pin, install and anchors: --trust-dir, --authority (install). */
static int install_args(const char *verb, const char *usage, int argc, char **argv, bool authority,
			const char **dir, const char **pin, int want)
{
	static const struct option opts[] = { { "trust-dir", required_argument, 0, 'D' },
		{ "authority", required_argument, 0, 'a' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	*dir = NULL;
	*pin = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': *dir = optarg; break;
		case 'a':
			if (!authority)
				return cli_usage(verb, "unknown option");
			*pin = optarg;
			break;
		case 'h': printf("%s%s", usage, dir_help); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (argc - optind != want)
		return cli_usage(verb, want ? "expected one file" : "expected no file");
	return EXIT_OK_;
}

static int pin_authority(int argc, char **argv)
{
	const char *verb = "trust pin", *dir, *unused;
	struct install *in = NULL;
	struct phr_pubkey p;
	char kid[PHR_KID_HEX_LEN], pk[2 * PHR_PK_LEN + 1];
	uint8_t *buf = NULL;
	size_t len;
	int rc, ex = install_args(verb, pin_usage, argc, argv, false, &dir, &unused, 1);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	const char *file = argv[optind];
	if ((rc = cli_read(file, PHR_MAX_KEYFILE, &buf, &len)))
		return cli_fail(verb, rc, NULL);
	rc = phr_pubkey_decode(buf, len, &p);
	free(buf);
	buf = NULL;
	if (rc)
		return cli_fail(verb, rc, file);
	if (p.kind != PHR_KEY_AUTHORITY)
		return cli_fail(verb, phr_fail(PHR_E_ARG, "%s is a clinic key: only a health authority's key is a trust anchor",
					       file), NULL);
	phr_kid_to_hex(p.kid, kid);
	sodium_bin2hex(pk, sizeof(pk), p.pk, PHR_PK_LEN);
	if (!(in = malloc(sizeof(*in)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = install_open(dir, in)))
		goto out;
	for (size_t i = 0; i < in->nanchors; i++) {
		if (memcmp(in->anchors[i].pk, p.pk, PHR_PK_LEN) == 0) {
			fprintf(stderr, "phr %s: \"%s\" (%s), key id %s, is already a trust anchor in %s/%s\n", verb,
				p.name, p.country, kid, in->dir, ANCHORS_FILE);
			goto out;
		}
		if (memcmp(in->anchors[i].kid, p.kid, PHR_KID_LEN) == 0) {
			rc = phr_fail(PHR_E_UNTRUSTED, "%s: another key with the same key id %s (\"%s\") is already a "
					"trust anchor in %s/%s: one of the two is not what it claims to be",
				      file, kid, in->anchors[i].name, in->dir, ANCHORS_FILE);
			goto out;
		}
	}
	if (in->nanchors == PHR_MAX_ANCHORS) {
		rc = phr_fail(PHR_E_LIMIT, "%s/%s already holds %d trust anchors, the limit", in->dir, ANCHORS_FILE,
			      PHR_MAX_ANCHORS);
		goto out;
	}
	in->anchors[in->nanchors++] = p;
	if ((rc = phr_anchors_encode(in->anchors, in->nanchors, &buf, &len)) || (rc = mkdirs(in->dir)) ||
	    (rc = install_write(in, ANCHORS_FILE, buf, len)))
		goto out;
	printf("pinned \"%s\" (%s), key id %s\n  public key %s\n  in %s/%s\n", p.name, p.country, kid, pk, in->dir,
	       ANCHORS_FILE);
	fprintf(stderr, "phr %s: compare that public key with the one your health authority published\n", verb);
out:
	free(buf);
	free(in);
	return rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
}

static int install_bundle(int argc, char **argv)
{
	const char *verb = "trust install", *dir, *pin;
	struct phr_trust *t = NULL;
	struct install *in = NULL;
	uint8_t *buf = NULL;
	size_t len;
	char path[4200], until[21], kid[PHR_KID_HEX_LEN];
	int rc, ex = install_args(verb, install_usage, argc, argv, true, &dir, &pin, 1);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	/* The directory first, so that the version is recorded even under a
	 * one-off --authority pin on a new installation. */
	if (!(in = malloc(sizeof(*in))))
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
	else if (!(rc = install_dir(dir, in)) && !(rc = mkdirs(in->dir)))
		rc = install_path(in, BUNDLE_FILE, path, sizeof(path));
	if (rc) {
		free(in);
		return cli_fail(verb, rc, NULL);
	}
	if ((ex = load_checked(verb, argv[optind], pin, in->dir, &t, &buf, &len))) {
		free(in);
		return ex;
	}
	if ((rc = cli_write(path, buf, len, 0666))) {
		ex = cli_fail(verb, rc, NULL);
	} else {
		const struct phr_pubkey *s = phr_trust_signer(t);
		phr_kid_to_hex(s->kid, kid);
		phr_format_time(phr_trust_expires(t), until);
		printf("installed trust bundle version %llu from \"%s\" (key id %s), expires %s\n  as %s\n",
		       (unsigned long long)phr_trust_version(t), s->name, kid, until, path);
	}
	free(in);
	free(buf);
	phr_trust_destroy(t);
	return ex;
}

static int list_anchors(int argc, char **argv)
{
	const char *verb = "trust anchors", *dir, *unused;
	struct install *in;
	int rc, ex = install_args(verb, anchors_usage, argc, argv, false, &dir, &unused, 0);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!(in = malloc(sizeof(*in))))
		return cli_fail(verb, phr_fail(PHR_E_NOMEM, "out of memory"), NULL);
	if ((rc = install_open(dir, in))) {
		free(in);
		return cli_fail(verb, rc, NULL);
	}
	printf("Trust anchors in %s/%s: %zu%s\n", in->dir, ANCHORS_FILE, in->nanchors,
	       in->have_anchors ? "" : " (no file: pin one with 'phr trust pin AUTHORITY.pub')");
	for (size_t i = 0; i < in->nanchors; i++) {
		const struct phr_pubkey *a = &in->anchors[i];
		char kid[PHR_KID_HEX_LEN], pk[2 * PHR_PK_LEN + 1];
		phr_kid_to_hex(a->kid, kid);
		sodium_bin2hex(pk, sizeof(pk), a->pk, PHR_PK_LEN);
		printf("authority   %s  %s (%s)\n            public key %s\n", kid, a->name, a->country, pk);
		for (size_t j = 0; j < in->nseen; j++)
			if (memcmp(in->seen[j].pk, a->pk, PHR_PK_LEN) == 0)
				printf("            newest bundle used here: version %llu\n",
				       (unsigned long long)in->seen[j].version);
	}
	free(in);
	return EXIT_OK_;
}

int cmd_trust(int argc, char **argv)
{
	static const struct {
		const char *name;
		cli_cmd_fn fn;
	} verbs[] = { { "build", build }, { "show", show }, { "pin", pin_authority }, { "install", install_bundle },
		      { "anchors", list_anchors } };
	for (size_t i = 0; argc >= 2 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s\n%s\n%s\n%s\n%s\n%s", build_usage, show_usage, pin_usage, install_usage, anchors_usage, dir_help);
		return EXIT_OK_;
	}
	return cli_usage("trust", "expected 'build', 'show', 'pin', 'install' or 'anchors'");
}
