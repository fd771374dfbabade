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

#include "phr/chunk.h"
#include "phr/qrimage.h"
#include "phr/render.h"
#include "phr/scan.h"
#include "phr/trust_poster.h"

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


static const char qr_usage[] =
	"Usage: phr trust qr --out-dir DIR [--parity M] [--ecc L|M|Q|H] [--max-version N]\n"
	"                    [--module-px N] [--pdf POSTER.pdf] [--lang LL] TRUST.bundle\n"
	"\n"
	"Cuts a trust bundle into QR codes, as 'phr qr' cuts a record (the same\n"
	"chunks and parity, header kind 2), and writes DIR/code-NN-of-NN.png. Put\n"
	"them on a poster; clinics take the bundle with 'phr trust import --qr'.\n"
	"  --parity M     M extra codes, so that any M codes may be lost (default 2)\n"
	"  --pdf FILE     also an A4 poster: title, version, dates, authorities, codes\n"
	"  --lang LL      language of the poster (default: from LANG, else en)\n";

static const char import_usage[] =
	"Usage: phr trust import [--trust-dir DIR] TRUST.bundle\n"
	"       phr trust import [--trust-dir DIR] --qr PICTURE...\n"
	"\n"
	"Takes a new trust bundle, from a file or from pictures of its poster, only\n"
	"if it is signed by a trust anchor of this installation (phr trust pin) and\n"
	"its version is higher than the bundle in use here (DIR/trust.bundle and the\n"
	"newest version recorded from that authority). Then it replaces\n"
	"DIR/trust.bundle atomically. Otherwise nothing changes: exit 7 for a signer\n"
	"that is not an anchor (its key id is named), 56 for a version that is not\n"
	"newer (both versions are named), 8 when the pictures miss codes.\n"
	"A picture that cannot be read or shows no phr code is named on stderr with\n"
	"the reason and passed over; the other pictures are still read.\n";

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


/* ---- trust by QR (docs/TRUST.md "Trust by QR") -------------------------- */

#define TRUST_QR_DEFAULT_PARITY 2 /* a torn or stained poster still reads */
#define TRUST_QR_MODULE_PX 6      /* 0.51 mm per module at 300 dpi, as phr qr */
#define TRUST_QR_QUIET 4          /* quiet zone, modules (ISO/IEC 18004) */

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* DIR/code-NN-of-NN.png, as phr qr names them. */
static int trust_code_path(const char *dir, size_t i, size_t n, char *out, size_t cap)
{
	int width = n >= 100 ? 3 : 2;
	size_t dl = strlen(dir);
	const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
	int k = snprintf(out, cap, "%s%scode-%0*zu-of-%0*zu.png", dir, sep, width, i + 1, width, n);
	if (k < 0 || (size_t)k >= cap)
		return phr_fail(PHR_E_LIMIT, "output path too long: %s", dir);
	return PHR_OK;
}

static int trust_qr(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out-dir", required_argument, 0, 'o' }, { "parity", required_argument, 0, 'p' },
		{ "ecc", required_argument, 0, 'e' }, { "max-version", required_argument, 0, 'v' },
		{ "module-px", required_argument, 0, 'm' }, { "pdf", required_argument, 0, 'P' },
		{ "lang", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	static const char *const ecc_names[] = { "L", "M", "Q", "H" };
	const char *verb = "trust qr", *out_dir = NULL, *pdf = NULL, *lang_want = NULL, *lang = NULL;
	int ecc = PHR_QR_DEFAULT_ECC, max_version = PHR_QR_DEFAULT_MAX_VERSION, module_px = TRUST_QR_MODULE_PX;
	unsigned parity = TRUST_QR_DEFAULT_PARITY;
	long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_dir = optarg; break;
		case 'P': pdf = optarg; break;
		case 'l': lang_want = optarg; break;
		case 'p':
			if (parse_num(optarg, 0, PHR_MAX_CHUNKS - 1, &v))
				return cli_usage(verb, "--parity is a number of codes from 0 to 254");
			parity = (unsigned)v;
			break;
		case 'e': {
			static const char levels[] = "LMQH";
			const char *p = strchr(levels, optarg[0]);
			if (!optarg[0] || optarg[1] || !p)
				return cli_usage(verb, "--ecc is L, M, Q or H");
			ecc = (int)(p - levels);
			break;
		}
		case 'v':
			if (parse_num(optarg, 1, 40, &v))
				return cli_usage(verb, "--max-version is a QR version from 1 to 40");
			max_version = (int)v;
			break;
		case 'm':
			if (parse_num(optarg, 1, 64, &v))
				return cli_usage(verb, "--module-px is a whole number of pixels from 1 to 64");
			module_px = (int)v;
			break;
		case 'h': fputs(qr_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one TRUST.bundle");
	if (!out_dir)
		return cli_usage(verb, "--out-dir is required");
	int ex;
	if (pdf && (ex = cli_view_lang(verb, lang_want, &lang)))
		return ex;
	const char *file = argv[optind];
	struct phr_trust *t = NULL;
	struct phr_chunk_plan plan;
	struct phr_chunk_set set = { 0 };
	uint8_t *buf = NULL, *png = NULL;
	size_t len, png_len;
	char path[4200], kid[PHR_KID_HEX_LEN];
	int rc;
	if ((rc = cli_read(file, PHR_MAX_TRUST, &buf, &len)))
		goto out;
	if ((rc = phr_trust_load(buf, len, &t))) {
		phr_fail_wrap(rc, "%s", file);
		goto out;
	}
	if ((rc = phr_chunk_plan(len, PHR_CHUNK_BASE45, ecc, max_version, parity, &plan))) {
		phr_fail_wrap(rc, "%s (raise --max-version, now %d, or lower --ecc, now %s, or --parity, now %u)", file,
			      max_version, ecc_names[ecc], parity);
		goto out;
	}
	if ((rc = phr_chunk_split_trust(buf, len, &plan, &set)) || (rc = mkdirs(out_dir)))
		goto out;
	for (size_t i = 0; i < set.n; i++) {
		struct phr_qr *q = NULL;
		if ((rc = phr_qr_make(set.payload[i], set.len[i], PHR_CHUNK_BASE45, ecc, max_version, &q))) {
			phr_fail_wrap(rc, "code %zu of %zu", i + 1, set.n);
			goto out;
		}
		rc = phr_qr_png(q, module_px, TRUST_QR_QUIET, &png, &png_len);
		phr_qr_free(q);
		if (rc || (rc = trust_code_path(out_dir, i, set.n, path, sizeof(path))) ||
		    (rc = cli_write(path, png, png_len, 0666)))
			goto out;
		free(png);
		png = NULL;
	}
	if (pdf) {
		uint8_t *doc = NULL;
		size_t doc_len;
		if ((rc = phr_print_trust_poster(t, &set, plan.k, plan.m, ecc, max_version, lang, &doc, &doc_len)))
			goto out;
		rc = cli_write(pdf, doc, doc_len, 0666);
		free(doc);
		if (rc)
			goto out;
	}
	const struct phr_pubkey *s = phr_trust_signer(t);
	phr_kid_to_hex(s->kid, kid);
	(void)trust_code_path(out_dir, 0, set.n, path, sizeof(path));
	fprintf(stderr, "phr %s: trust bundle version %llu from \"%s\" (key id %s), %zu bytes as %zu code%s (%u data, "
			"%u parity), QR version %d at ECC %s: %s%s%s%s\n",
		verb, (unsigned long long)phr_trust_version(t), s->name, kid, len, set.n, set.n == 1 ? "" : "s", plan.k,
		plan.m, plan.version, ecc_names[ecc], path, set.n > 1 ? " and on" : "", pdf ? "; poster " : "",
		pdf ? pdf : "");
out:
	ex = rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
	phr_chunk_set_free(&set);
	phr_trust_destroy(t);
	free(png);
	free(buf);
	return ex;
}

/* Why a picture gave no code: "" when it did. A picture that cannot be
 * opened or decoded says so (phr_image_load's message); one that decodes
 * but shows no phr code says that. Errors other than out of memory stay
 * with the picture: the others are still read. */
static int read_picture(const char *pic, struct phr_scan_result *res, struct phr_assembler *as, size_t *n_codes,
			size_t *n_phr, bool *unread, char *why, size_t cap)
{
	uint8_t *buf = NULL;
	size_t blen;
	struct phr_image img = { 0 };
	int rc;
	*n_codes = *n_phr = 0;
	*unread = false;
	why[0] = 0;
	if (!(rc = cli_read(pic, PHR_MAX_IMAGE_FILE, &buf, &blen))) {
		rc = phr_image_load(buf, blen, &img);
		free(buf);
		if (!rc)
			rc = phr_scan_image(&img, res);
		phr_image_free(&img);
	}
	if (rc == PHR_E_NOMEM)
		return rc;
	if (rc) {
		snprintf(why, cap, "%s", phr_last_error()[0] ? phr_last_error() : phr_strerror(rc));
		phr_clear_error();
		return PHR_OK;
	}
	for (size_t j = 0; j < res->n; j++) {
		size_t set;
		bool dup;
		if (phr_assembler_add(as, res->codes[j].data, res->codes[j].len, &set, &dup) == PHR_OK)
			(*n_phr)++;
	}
	*n_codes = res->n;
	*unread = res->n_unread > 0;
	if (*n_phr == 0)
		snprintf(why, cap, "%s", res->n_unread ? "codes seen, none of them could be read"
				  : res->n ? "no phr code in it" : "no code found in it");
	phr_scan_result_free(res);
	return PHR_OK;
}

/* The names of the pictures that gave nothing, for the closing message:
 * "a.png, b.png" (cut short with ", ..." past TRUST_QR_NAMES). */
#define TRUST_QR_NAMES 300
static void add_name(char *names, const char *pic)
{
	size_t l = strlen(names);
	if (l >= TRUST_QR_NAMES)
		return;
	snprintf(names + l, TRUST_QR_NAMES + 8 - l, "%s%s", l ? ", " : "", pic);
	if (strlen(names) > TRUST_QR_NAMES)
		snprintf(names + TRUST_QR_NAMES, 8, ", ...");
}

/* The bundle held by the codes in pictures (a photo or scan of the
 * poster): codes of other things are passed over; the bundle's set must be
 * complete (parity makes up for missing codes). A picture that cannot be
 * read, or shows no phr code, is named on stderr with the reason and
 * passed over: the others may still hold every code needed. */
static int bundle_from_pictures(const char *verb, char **pics, size_t n, uint8_t **out, size_t *len)
{
	struct phr_assembler *as = NULL;
	struct phr_scan_result *res = NULL;
	char names[TRUST_QR_NAMES + 8] = "", why[PHR_ERRMSG_MAX], failed[TRUST_QR_NAMES + 80] = "";
	size_t n_failed = 0;
	int rc;
	*out = NULL;
	*len = 0;
	if ((rc = phr_assembler_new(&as)))
		return rc;
	if (!(res = calloc(1, sizeof(*res)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t codes, got;
		bool unread;
		if ((rc = read_picture(pics[i], res, as, &codes, &got, &unread, why, sizeof(why)))) {
			phr_fail_wrap(rc, "%s", pics[i]);
			goto out;
		}
		if (why[0]) {
			fprintf(stderr, "phr %s: %s: unreadable, passed over: %s\n", verb, pics[i], why);
			n_failed++;
			add_name(names, pics[i]);
			continue;
		}
		fprintf(stderr, "phr %s: %s: %zu code%s, %zu of them phr%s\n", verb, pics[i], codes,
			codes == 1 ? "" : "s", got, unread ? " (and codes seen that could not be read)" : "");
	}
	if (n_failed)
		snprintf(failed, sizeof(failed), " (%zu of %zu picture%s unreadable: %s)", n_failed, n,
			 n == 1 ? "" : "s", names);
	long found = -1;
	for (size_t s = 0; s < phr_assembler_count(as); s++) {
		struct phr_set_info info;
		phr_assembler_info(as, s, &info);
		if (info.kind != PHR_CHUNK_TRUST)
			continue;
		if (found >= 0) {
			rc = phr_fail(PHR_E_ARG, "the pictures hold the codes of more than one trust bundle: photograph "
						 "one poster only");
			goto out;
		}
		found = (long)s;
	}
	if (found < 0) {
		rc = phr_fail(PHR_E_INCOMPLETE, "no trust bundle's code in %zu picture%s%s", n, n == 1 ? "" : "s",
			      failed);
		goto out;
	}
	if ((rc = phr_assembler_container(as, (size_t)found, out, len)))
		phr_fail_wrap(rc, "trust bundle%s", failed);
out:
	if (res)
		phr_scan_result_free(res);
	free(res);
	phr_assembler_free(as);
	return rc;
}

static int import_bundle(int argc, char **argv)
{
	static const struct option opts[] = { { "trust-dir", required_argument, 0, 'D' },
		{ "qr", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *verb = "trust import", *dir = NULL;
	bool qr = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': dir = optarg; break;
		case 'q': qr = true; break;
		case 'h': printf("%s%s", import_usage, dir_help); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (qr ? optind >= argc : optind != argc - 1)
		return cli_usage(verb, qr ? "--qr takes at least one PICTURE" : "expected one TRUST.bundle");
	const char *what = qr ? "the trust bundle read from the pictures" : argv[optind];
	struct install *in = NULL;
	struct phr_trust *t = NULL, *cur = NULL;
	uint8_t *buf = NULL, *cur_buf = NULL, *state = NULL;
	size_t len, cur_len, state_len;
	char kid[PHR_KID_HEX_LEN], path[4200], until[21];
	bool unpinned = false, changed;
	int rc;
	if (qr)
		rc = bundle_from_pictures(verb, argv + optind, (size_t)(argc - optind), &buf, &len);
	else
		rc = cli_read(argv[optind], PHR_MAX_TRUST, &buf, &len);
	if (rc)
		goto out;
	if ((rc = phr_trust_load(buf, len, &t))) {
		phr_fail_wrap(rc, "%s", what);
		goto out;
	}
	const struct phr_pubkey *s = phr_trust_signer(t);
	const uint64_t ver = phr_trust_version(t);
	phr_kid_to_hex(s->kid, kid);
	if (!(in = malloc(sizeof(*in)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = install_open(dir, in)) || (rc = install_path(in, BUNDLE_FILE, path, sizeof(path))))
		goto out;
	/* Only an anchor already pinned here: no --authority for a one-off. */
	if (in->nanchors == 0) {
		unpinned = true;
		rc = phr_fail(PHR_E_UNTRUSTED, "%s is signed by \"%s\" (%s), key id %s, and this installation has no "
				"trust anchors (%s/%s %s)", what, s->name, s->country, kid, in->dir, ANCHORS_FILE,
			      in->have_anchors ? "lists none" : "does not exist");
		goto out;
	}
	if ((rc = phr_trust_check_signer(t, in->anchors, in->nanchors))) {
		unpinned = true;
		phr_fail_wrap(rc, "%s", what);
		goto out;
	}
	if ((rc = phr_trust_check_time(t, cli_now()))) {
		phr_fail_wrap(rc, "%s", what);
		goto out;
	}
	/* Newer than the bundle in use (whatever authority signed it) and
	 * than any version recorded from this authority. */
	if ((rc = install_read(in, BUNDLE_FILE, PHR_MAX_TRUST, &cur_buf, &cur_len)))
		goto out;
	if (cur_buf && phr_trust_load(cur_buf, cur_len, &cur) == PHR_OK && phr_trust_version(cur) >= ver) {
		uint64_t cv = phr_trust_version(cur);
		rc = phr_fail(PHR_E_TRUST_NOT_NEWER, cv == ver
				? "%s is version %llu, the version in use here already (%s, version %llu): nothing changed"
				: "%s is version %llu, older than the bundle in use here (%s, version %llu): nothing changed",
			      what, (unsigned long long)ver, path, (unsigned long long)cv);
		goto out;
	}
	for (size_t i = 0; i < in->nseen; i++)
		if (!memcmp(in->seen[i].pk, s->pk, PHR_PK_LEN) && in->seen[i].version >= ver) {
			rc = phr_fail(PHR_E_TRUST_NOT_NEWER,
				      "%s is version %llu, not newer than version %llu already used here from \"%s\" "
				      "(key id %s): nothing changed",
				      what, (unsigned long long)ver, (unsigned long long)in->seen[i].version, s->name, kid);
			goto out;
		}
	if ((rc = phr_trust_check_version(t, in->seen, &in->nseen, &changed))) {
		phr_fail_wrap(rc, "%s", what);
		goto out;
	}
	/* Each file replaced atomically (cli_write): the bundle first, so that
	 * a failure in between leaves a state that still accepts it again. */
	if ((rc = mkdirs(in->dir)) || (rc = install_write(in, BUNDLE_FILE, buf, len)) ||
	    (rc = phr_trust_state_encode(in->seen, in->nseen, &state, &state_len)) ||
	    (rc = install_write(in, STATE_FILE, state, state_len)))
		goto out;
	phr_format_time(phr_trust_expires(t), until);
	printf("imported trust bundle version %llu from \"%s\" (key id %s), expires %s\n  as %s", (unsigned long long)ver,
	       s->name, kid, until, path);
	if (cur)
		printf(" (was version %llu)", (unsigned long long)phr_trust_version(cur));
	putchar('\n');
out:;
	int ex = rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
	if (unpinned)
		fprintf(stderr, "phr %s: only a bundle signed by a trust anchor pinned here is imported ('phr trust "
				"anchors' lists them; 'phr trust pin AUTHORITY.pub' adds one)\n",
			verb);
	free(in);
	free(buf);
	free(cur_buf);
	free(state);
	phr_trust_destroy(t);
	phr_trust_destroy(cur);
	return ex;
}

int cmd_trust(int argc, char **argv)
{
	static const struct {
		const char *name;
		cli_cmd_fn fn;
	} verbs[] = { { "build", build }, { "show", show }, { "pin", pin_authority }, { "install", install_bundle },
		      { "anchors", list_anchors }, { "qr", trust_qr }, { "import", import_bundle } };
	for (size_t i = 0; argc >= 2 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s", build_usage, show_usage, pin_usage, install_usage, anchors_usage,
		       qr_usage, import_usage, dir_help);
		return EXIT_OK_;
	}
	return cli_usage("trust", "expected 'build', 'show', 'pin', 'install', 'anchors', 'qr' or 'import'");
}
