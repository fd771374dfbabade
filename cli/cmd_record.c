/* phr issue, phr extend, phr rekey */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phr/cbor.h"
#include "phr/compress.h"
#include "phr/schema.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/render.h"
#include "phr/seal.h"
#include "phr/verify.h"

static const char issue_usage[] =
	"Usage: phr issue --key CLINIC.key --cert CLINIC.cert --in RECORD.json --out RECORD.phr\n"
	"                 [--compression NAME] [--no-embed-cert] [--passphrase-file F]\n"
	"                 [--register DB] [--seal SECTION,...|--no-seal]\n"
	"                 [--holder-key-out KEY.txt|--holder-key KEY.txt]\n"
	"\n"
	"Signs a health assessment (JSON, docs/RECORD.md, \"kind\": \"assessment\") as\n"
	"entry 0 of a new record with a fresh random record id. The clinic's\n"
	"certificate is embedded so that verifiers need only the authority's key.\n"
	"The key must be a clinic's, and the certificate for it and valid now.\n"
	"  --compression NAME  zstd-dict (default), deflate-dict, deflate or none\n"
	"  --register DB       also file the new record in the clinic's register DB\n"
	"                      ('phr register init'); exit 34 when its consent says\n"
	"                      store: false (the record is written, not filed)\n"
	"  --seal LIST         seal these sections (screening, pregnancy, mental_health,\n"
	"                      notes, results, history, ...): encrypted under the\n"
	"                      holder key, readable only with it (docs/PRIVACY.md).\n"
	"                      Default: screening,pregnancy,mental_health,notes\n"
	"  --no-seal           seal nothing\n"
	"  --holder-key-out F  write the new holder key there (default: OUT.key.txt,\n"
	"                      mode 0600): print it on the key slip for the holder\n"
	"  --holder-key F      seal under this existing holder key instead; with\n"
	"                      --register, the sealed sections are indexed too (a\n"
	"                      new key is not: 'phr register add --holder-key')\n";

static const char extend_usage[] =
	"Usage: phr extend --key CLINIC.key --cert CLINIC.cert --in RECORD.phr\n"
	"                  --entry ENTRY.json --out NEW.phr [--trust TRUST.bundle]\n"
	"                  [--force] [--no-embed-cert] [--passphrase-file F] [--register DB]\n"
	"\n"
	"Adds what this clinic did (JSON, \"kind\": \"follow_up\") as a new signed entry,\n"
	"chained to the last one. The record is checked first: with --trust every\n"
	"entry must be valid, without it every signature and the chain must hold.\n"
	"--force extends a record that does not verify (its entries stay marked).\n"
	"The key must be a clinic's, and the certificate for it and valid now.\n"
	"--register DB also files the new version in the clinic's register (its\n"
	"sealed sections indexed only when --holder-key is given).\n"
	"--holder-key KEY.txt seals the sections --seal names (default: screening,\n"
	"pregnancy, mental_health, notes) under the record's holder key (refused\n"
	"with exit 38 for another record's key or one that does not open its newest\n"
	"sealed entry, 41 for a key the record replaced: 'phr rekey'). Without the\n"
	"key a clinic can add only unsealed entries: an entry with sections to seal\n"
	"is refused (exit 40), unless --no-seal, which adds it unsealed (anyone with\n"
	"the booklet reads it). --no-seal seals nothing.\n";

static const char rekey_usage[] =
	"Usage: phr rekey --key CLINIC.key --cert CLINIC.cert --in RECORD.phr\n"
	"                 --holder-key OLD.txt --holder-key-out NEW.txt --out NEW.phr\n"
	"                 [--trust TRUST.bundle] [--force] [--no-embed-cert]\n"
	"                 [--passphrase-file F] [--compression NAME] [--register DB]\n"
	"\n"
	"After a lost key slip: makes a new holder key (written to --holder-key-out,\n"
	"mode 0600, before the record) and adds a signed entry, sealed under it, that\n"
	"holds the sealed sections of every earlier entry, opened with the current\n"
	"key (--holder-key) and sealed again. The new key then opens the whole\n"
	"record; the old key opens only the entries before this one, and 'phr extend'\n"
	"refuses it (exit 41). What the old key opened stays readable to whoever\n"
	"holds it and a copy made before (docs/PRIVACY.md). Exit 38 when the key\n"
	"given is not the record's current key or an entry does not open with it.\n";

int cli_compression(const char *name)
{
	static const char *const names[] = { "none", "deflate", "deflate-dict", "zstd-dict" };
	for (int i = 0; i <= PHR_COMP_MAX; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

struct sign_args {
	const char *key, *cert, *in, *entry, *out, *passfile, *trust, *register_db;
	const char *holder_key, *holder_key_out;
	uint32_t seal;
	int compression, embed, force;
};

static int parse(const char *verb, int argc, char **argv, struct sign_args *a, const char *usage)
{
	static const struct option opts[] = {
		{ "key", required_argument, 0, 'k' }, { "cert", required_argument, 0, 'c' },
		{ "in", required_argument, 0, 'i' }, { "entry", required_argument, 0, 'e' },
		{ "out", required_argument, 0, 'o' }, { "passphrase-file", required_argument, 0, 'p' },
		{ "trust", required_argument, 0, 't' }, { "compression", required_argument, 0, 'z' },
		{ "no-embed-cert", no_argument, 0, 'n' }, { "force", no_argument, 0, 'f' },
		{ "register", required_argument, 0, 'g' },
		{ "seal", required_argument, 0, 's' }, { "no-seal", no_argument, 0, 'S' },
		{ "holder-key", required_argument, 0, 'H' }, { "holder-key-out", required_argument, 0, 'O' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int seal_set = 0, rc;
	int c;
	memset(a, 0, sizeof(*a));
	a->compression = -1;
	a->embed = 1;
	a->seal = phr_seal_default_sections();
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': a->key = optarg; break;
		case 'c': a->cert = optarg; break;
		case 'i': a->in = optarg; break;
		case 'e': a->entry = optarg; break;
		case 'o': a->out = optarg; break;
		case 'p': a->passfile = optarg; break;
		case 't': a->trust = optarg; break;
		case 'g': a->register_db = optarg; break;
		case 'n': a->embed = 0; break;
		case 'f': a->force = 1; break;
		case 's':
			if (seal_set)
				return cli_usage(verb, "--seal and --no-seal: one of them, once");
			seal_set = 1;
			if ((rc = phr_seal_parse_sections(optarg, &a->seal)))
				return cli_fail(verb, rc, "--seal");
			break;
		case 'S':
			if (seal_set)
				return cli_usage(verb, "--seal and --no-seal: one of them, once");
			seal_set = 1;
			a->seal = 0;
			break;
		case 'H': a->holder_key = optarg; break;
		case 'O': a->holder_key_out = optarg; break;
		case 'z':
			if ((a->compression = cli_compression(optarg)) < 0)
				return cli_usage(verb, "--compression is zstd-dict, deflate-dict, deflate or none");
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(verb, "unexpected argument");
	if (a->holder_key && a->holder_key_out && strcmp(verb, "rekey"))
		return cli_usage(verb, "--holder-key and --holder-key-out: one of them");
	if (a->holder_key_out && strcmp(verb, "issue") && strcmp(verb, "rekey"))
		return cli_usage(verb, "--holder-key-out is an option of 'phr issue' (the holder key is made once)");
	return EXIT_OK_;
}

/* The names of the sealed sections of a plaintext, for messages. */
static void sealed_names(const uint8_t *plain, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	/* the plaintext is a partial entry map (key 0: positions): its root
	 * keys named through the schema table */
	const struct phr_field *root = phr_schema_root()[0].children;
	struct phr_cbor_dec d;
	size_t n;
	if (phr_cbor_dec_init(&d, plain, len) || phr_cbor_get_map(&d, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		if (phr_cbor_get_uint(&d, &k) || phr_cbor_skip(&d))
			return;
		for (size_t f = 0; k && root[f].name; f++)
			if (root[f].key == k)
				o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s", o ? ", " : "",
						      root[f].name);
		if (o >= cap)
			break;
	}
}

/* Splits content by a->seal and seals what is to be sealed for entry
 * index of r under key: *clear is then what to sign as content and *env
 * the envelope (NULL when nothing is sealed). */
static int seal_content(const char *verb, const struct sign_args *a, const struct phr_record *r,
			const uint8_t *content, size_t clen, const uint8_t *key, uint8_t **clear, size_t *clear_len,
			uint8_t **env, size_t *env_len, char *names, size_t names_cap)
{
	uint8_t *plain = NULL;
	size_t plain_len;
	unsigned n;
	int rc;
	*env = NULL;
	*env_len = 0;
	names[0] = '\0';
	if ((rc = phr_seal_split(content, clen, a->seal, clear, clear_len, &plain, &plain_len, &n)))
		return cli_fail(verb, rc, NULL);
	if (!plain)
		return EXIT_OK_;
	sealed_names(plain, plain_len, names, names_cap);
	if (key)
		rc = phr_seal_v3(key, r->id, r->n_entries, *clear, *clear_len, plain, plain_len, n, PHR_SEAL_PACK_BEST,
				 NULL, env, env_len);
	sodium_memzero(plain, plain_len);
	free(plain);
	if (rc) {
		free(*clear);
		*clear = NULL;
		return cli_fail(verb, rc, NULL);
	}
	return EXIT_OK_;
}

/* Reads an entry JSON file, checks its kind, encodes it. */
static int load_entry(const char *path, const char *want_kind, uint8_t **cbor, size_t *len)
{
	uint8_t *text;
	size_t tlen;
	json_error_t jerr;
	int rc;
	if ((rc = cli_read(path, 1024 * 1024, &text, &tlen)))
		return rc;
	json_t *j = json_loadb((const char *)text, tlen, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!j)
		return phr_fail(PHR_E_JSON, "%s line %d column %d: %s", path, jerr.line, jerr.column, jerr.text);
	const char *kind = json_string_value(json_object_get(j, "kind"));
	if (kind && strcmp(kind, want_kind) != 0) {
		rc = phr_fail(PHR_E_SCHEMA, "%s: kind is \"%s\", but this command takes \"%s\"%s", path, kind, want_kind,
			      !strcmp(want_kind, "assessment") ? " (use 'phr extend' for later entries)"
							      : " (entry 0 is the only assessment)");
		json_decref(j);
		return rc;
	}
	rc = phr_entry_encode_json(j, cbor, len);
	json_decref(j);
	if (rc)
		return phr_fail_wrap(rc, "%s", path);
	return PHR_OK;
}

/* Loads key and certificate and checks that they may sign now: the key is
 * a clinic's, the certificate is for that key and valid at the signing
 * time. On success the caller owns *key and *cert; on failure both are
 * NULL and nothing is left for the caller to free. */
static int load_signer(const char *verb, const struct sign_args *a, uint64_t now, struct phr_seckey **key,
		       uint8_t **cert, size_t *cert_len)
{
	struct phr_seckey *k = NULL;
	uint8_t *buf = NULL;
	size_t len;
	struct phr_cert c;
	int ex, rc;
	*key = NULL;
	*cert = NULL;
	*cert_len = 0;
	if ((rc = cli_read(a->cert, PHR_MAX_CERT, &buf, &len)))
		return cli_fail(verb, rc, NULL);
	if ((rc = phr_cert_parse(buf, len, &c))) {
		ex = cli_fail(verb, rc, a->cert);
		goto fail;
	}
	if ((ex = cli_load_key(verb, a->key, a->passfile, &k)))
		goto fail;
	/* The kind is authenticated: it is part of the key file's AAD. */
	if (phr_seckey_public(k)->kind != PHR_KEY_CLINIC) {
		ex = cli_fail(verb,
			      phr_fail(PHR_E_ARG, "%s is an authority key (kind 1); entries are signed with a clinic key (kind 2)",
				       a->key),
			      NULL);
		goto fail;
	}
	if (memcmp(c.subject.pk, phr_seckey_public(k)->pk, PHR_PK_LEN) != 0) {
		char want[PHR_KID_HEX_LEN], got[PHR_KID_HEX_LEN];
		phr_kid_to_hex(c.subject.kid, want);
		phr_kid_to_hex(phr_seckey_public(k)->kid, got);
		ex = cli_fail(verb,
			      phr_fail(PHR_E_ARG, "%s certifies key %s, but %s is key %s", a->cert, want, a->key, got),
			      NULL);
		goto fail;
	}
	if (phr_cert_check_time(&c, now) != PHR_OK) {
		char nb[21], na[21], at[21];
		phr_format_time(c.not_before, nb);
		phr_format_time(c.not_after, na);
		phr_format_time(now, at);
		ex = cli_fail(verb,
			      phr_fail(PHR_E_CERT_VALIDITY, "%s is valid from %s to %s, and it is now %s: %s", a->cert, nb,
				       na, at, now < c.not_before ? "not valid yet" : "expired"),
			      NULL);
		goto fail;
	}
	*key = k;
	*cert = buf;
	*cert_len = len;
	return EXIT_OK_;
fail:
	phr_seckey_destroy(k);
	free(buf);
	return ex;
}

static int finish(const char *verb, struct phr_record *r, int compression, const char *out, const char *db,
		  const struct phr_trust *trust, const char *how, const uint8_t *hkey)
{
	uint8_t *buf;
	size_t len;
	int rc = phr_record_encode(r, compression, &buf, &len);
	if (rc)
		return cli_fail(verb, rc, NULL);
	rc = cli_write(out, buf, len, 0666);
	int used = len > 1 ? buf[1] : -1; /* the container's compression id byte */
	if (rc) {
		free(buf);
		return cli_fail(verb, rc, NULL);
	}
	char hex[33];
	phr_record_id_hex(r->id, hex);
	fprintf(stderr, "phr %s: record %s, %zu entr%s, %zu bytes (%s): %s\n", verb, hex, r->n_entries,
		r->n_entries == 1 ? "y" : "ies", len, phr_compression_name(used), out);
	int ex = db ? cli_register_file_key(verb, db, buf, len, trust, how, hkey) : EXIT_OK_;
	free(buf);
	return ex;
}

int cmd_issue(int argc, char **argv)
{
	const char *verb = "issue";
	struct sign_args a;
	int ex = parse(verb, argc, argv, &a, issue_usage);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!a.key || !a.cert || !a.in || !a.out)
		return cli_usage(verb, "--key, --cert, --in and --out are required");
	uint8_t *content = NULL, *cert = NULL;
	size_t clen, certlen;
	struct phr_seckey *key = NULL;
	struct phr_record *r = NULL;
	int rc;
	if ((rc = load_entry(a.in, "assessment", &content, &clen)))
		return cli_fail(verb, rc, NULL);
	uint64_t now = cli_now();
	if ((ex = load_signer(verb, &a, now, &key, &cert, &certlen))) {
		free(content);
		return ex;
	}
	uint8_t hkey[PHR_HOLDER_KEY_LEN], *clear = NULL, *env = NULL;
	size_t clear_len = 0, env_len = 0;
	char names[256], *key_path = NULL;
	if ((rc = phr_record_create(NULL, &r))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (a.seal) {
		if (a.holder_key) {
			if ((ex = cli_load_holder_key(verb, a.holder_key, hkey)))
				goto out;
		} else if ((rc = phr_holder_key_generate(hkey))) {
			ex = cli_fail(verb, rc, NULL);
			goto out;
		}
		if ((ex = seal_content(verb, &a, r, content, clen, hkey, &clear, &clear_len, &env, &env_len, names,
				       sizeof(names))))
			goto out;
	}
	if (env && !a.holder_key) {
		/* the key is written before the record: a record whose key was
		 * lost could never be opened */
		if (a.holder_key_out) {
			key_path = strdup(a.holder_key_out);
		} else if (strcmp(a.out, "-")) {
			size_t n = strlen(a.out) + sizeof(".key.txt");
			if ((key_path = malloc(n)))
				snprintf(key_path, n, "%s.key.txt", a.out);
		} else {
			ex = cli_usage(verb, "the record goes to standard output: give --holder-key-out KEY.txt for its holder key (or --no-seal)");
			goto out;
		}
		if (!key_path) {
			ex = cli_fail(verb, PHR_E_NOMEM, NULL);
			goto out;
		}
		if ((ex = cli_write_holder_key(verb, key_path, hkey)))
			goto out;
	}
	if (env) {
		uint8_t kid[PHR_SEAL_KID_LEN];
		phr_holder_key_id(hkey, kid);
		fprintf(stderr, "phr %s: sealed %s under holder key %02x%02x%02x%02x%s%s%s\n", verb, names, kid[0], kid[1],
			kid[2], kid[3], key_path ? "; the key is in " : "", key_path ? key_path : "",
			key_path ? ": print it on the holder's key slip, keep it apart from the booklet, and delete the file" : "");
	} else if (a.holder_key_out) {
		fprintf(stderr, "phr %s: nothing in this entry is sealed: no holder key written\n", verb);
	}
	if ((rc = phr_record_append_sealed(r, key, a.embed ? cert : NULL, certlen, env ? clear : content,
					   env ? clear_len : clen, env, env_len, now)))
		ex = cli_fail(verb, rc, NULL);
	else
		ex = finish(verb, r, a.compression, a.out, a.register_db, NULL, "issued", a.holder_key ? hkey : NULL);
out:
	sodium_memzero(hkey, sizeof(hkey));
	free(key_path);
	free(clear);
	free(env);
	phr_record_destroy(r);
	phr_seckey_destroy(key);
	free(content);
	free(cert);
	return ex;
}

int cmd_extend(int argc, char **argv)
{
	const char *verb = "extend";
	struct sign_args a;
	int ex = parse(verb, argc, argv, &a, extend_usage);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!a.key || !a.cert || !a.in || !a.entry || !a.out)
		return cli_usage(verb, "--key, --cert, --in, --entry and --out are required");
	if (!strcmp(a.in, "-") && !strcmp(a.entry, "-"))
		return cli_usage(verb, "--in and --entry cannot both be standard input");
	uint8_t *buf = NULL, *content = NULL, *cert = NULL;
	size_t len, clen, certlen;
	struct phr_seckey *key = NULL;
	struct phr_record *r = NULL;
	struct phr_trust *trust = NULL;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	uint64_t now = cli_now();
	uint8_t hkey[PHR_HOLDER_KEY_LEN] = { 0 }, *clear = NULL, *env = NULL;
	size_t clear_len = 0, env_len = 0;
	char names[256] = "";
	int have_key = 0;
	int rc;
	if (!rep)
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	if ((ex = cli_load_to_sign(verb, a.in, a.trust, a.force, "extend", now, &trust, &buf, &len, &r, rep)))
		goto out;
	if ((rc = load_entry(a.entry, "follow_up", &content, &clen))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if ((ex = load_signer(verb, &a, now, &key, &cert, &certlen)))
		goto out;
	if (a.seal && a.holder_key) {
		if ((ex = cli_load_holder_key(verb, a.holder_key, hkey)))
			goto out;
		have_key = 1;
		/* the key the record's newest sealed entry names: not another
		 * record's (38), not one the record replaced (41) */
		if ((ex = cli_check_holder_key(verb, r, hkey, a.holder_key)))
			goto out;
	}
	if (a.seal && (ex = seal_content(verb, &a, r, content, clen, have_key ? hkey : NULL, &clear, &clear_len, &env,
					 &env_len, names, sizeof(names))))
		goto out;
	if (!a.seal) { /* --no-seal: say what anyone will read */
		struct sign_args d = a;
		uint8_t *c2 = NULL, *e2 = NULL;
		size_t c2l, e2l;
		d.seal = phr_seal_default_sections();
		if (seal_content(verb, &d, r, content, clen, NULL, &c2, &c2l, &e2, &e2l, names, sizeof(names)) == EXIT_OK_ &&
		    names[0])
			fprintf(stderr, "phr %s: --no-seal: this entry is added UNSEALED; its %s can be read by anyone who holds the booklet\n",
				verb, names);
		free(c2);
		free(e2);
		names[0] = '\0';
	}
	if (clear && !env && names[0]) {
		/* Without the key a clinic can only add unsealed entries: it
		 * says so, and does not do it unasked. */
		size_t sealed = 0;
		for (size_t i = 0; i < r->n_entries; i++)
			sealed += r->entries[i].sealed != NULL;
		if (!sealed)
			ex = cli_fail(verb,
				      phr_fail(PHR_E_SEAL_NOKEY, "this entry has sections to seal (%s), and %s has no holder key (nothing in it is sealed): add the entry UNSEALED with --no-seal, and anyone who holds the booklet will read them, or leave them out",
					       names, a.in),
				      NULL);
		else
			ex = cli_fail(verb,
				      phr_fail(PHR_E_SEAL_NOKEY, "this entry has sections to seal (%s) and no --holder-key was given: ask the holder for the key slip (or for the card's PIN: 'phr card read --holder-key-out KEY.txt'), or add the entry UNSEALED with --no-seal, and anyone who holds the booklet will read them",
					       names),
				      NULL);
		goto out;
	} else if (env)
		fprintf(stderr, "phr %s: sealed %s under the holder key\n", verb, names);
	if ((rc = phr_record_append_sealed(r, key, a.embed ? cert : NULL, certlen, env ? clear : content,
					   env ? clear_len : clen, env, env_len, now))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	ex = finish(verb, r, a.compression >= 0 ? a.compression : r->compression, a.out, a.register_db, trust,
		    "extended", have_key ? hkey : NULL);
out:
	sodium_memzero(hkey, sizeof(hkey));
	free(clear);
	free(env);
	free(rep);
	free(buf);
	free(content);
	free(cert);
	phr_record_destroy(r);
	phr_seckey_destroy(key);
	phr_trust_destroy(trust);
	return ex;
}

int cmd_rekey(int argc, char **argv)
{
	const char *verb = "rekey";
	struct sign_args a;
	int ex = parse(verb, argc, argv, &a, rekey_usage);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!a.key || !a.cert || !a.in || !a.out || !a.holder_key || !a.holder_key_out)
		return cli_usage(verb, "--key, --cert, --in, --holder-key, --holder-key-out and --out are required");
	if (!strcmp(a.holder_key, a.holder_key_out))
		return cli_usage(verb, "--holder-key-out must not overwrite the current key (--holder-key): give another file");
	uint8_t *buf = NULL, *cert = NULL, *content = NULL, *plain = NULL, *env = NULL;
	size_t len, certlen, clen = 0, plain_len = 0, env_len = 0, carried = 0;
	struct phr_seckey *key = NULL;
	struct phr_record *r = NULL;
	struct phr_trust *trust = NULL;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	uint64_t now = cli_now();
	uint8_t old[PHR_HOLDER_KEY_LEN], fresh[PHR_HOLDER_KEY_LEN];
	int rc;
	if (!rep)
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	if ((ex = cli_load_to_sign(verb, a.in, a.trust, a.force, "re-key", now, &trust, &buf, &len, &r, rep)))
		goto out;
	if ((ex = load_signer(verb, &a, now, &key, &cert, &certlen)))
		goto out;
	if ((ex = cli_load_holder_key(verb, a.holder_key, old)) ||
	    (ex = cli_check_holder_key(verb, r, old, a.holder_key)))
		goto out;
	/* every sealed entry opened with the current key, to be sealed again */
	if ((rc = phr_seal_rekey_plaintext(r, old, &plain, &plain_len, &carried))) {
		ex = cli_fail(verb, phr_fail_wrap(rc, "%s: cannot re-seal", a.in), NULL);
		goto out;
	}
	/* the new entry: a follow-up of today with nothing in the clear */
	char date[16];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	json_t *j = json_pack("{s:s, s:s}", "kind", "follow_up", "date", date);
	rc = j ? phr_entry_encode_json(j, &content, &clen) : PHR_E_NOMEM;
	json_decref(j);
	if (rc) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if ((rc = phr_holder_key_generate(fresh)) ||
	    (rc = phr_seal_v3(fresh, r->id, r->n_entries, content, clen, plain, plain_len, 1, PHR_SEAL_PACK_BEST, NULL,
			      &env, &env_len))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	size_t at = r->n_entries;
	if ((rc = phr_record_append_sealed(r, key, a.embed ? cert : NULL, certlen, content, clen, env, env_len, now))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	/* the key is written before the record: a record whose key was lost
	 * could never be opened */
	if ((ex = cli_write_holder_key(verb, a.holder_key_out, fresh)))
		goto out;
	uint8_t kid_old[PHR_SEAL_KID_LEN], kid_new[PHR_SEAL_KID_LEN];
	phr_holder_key_id(old, kid_old);
	phr_holder_key_id(fresh, kid_new);
	fprintf(stderr,
		"phr %s: entry %zu re-seals the sealed sections of %zu entr%s under the new holder key %02x%02x%02x%02x "
		"(in %s: print it on a new key slip for the holder, and delete the file); the old key %02x%02x%02x%02x "
		"opens no entry from %zu on\n",
		verb, at, carried, carried == 1 ? "y" : "ies", kid_new[0], kid_new[1], kid_new[2], kid_new[3],
		a.holder_key_out, kid_old[0], kid_old[1], kid_old[2], kid_old[3], at);
	ex = finish(verb, r, a.compression >= 0 ? a.compression : r->compression, a.out, a.register_db, trust,
		    "extended", fresh);
out:
	sodium_memzero(old, sizeof(old));
	sodium_memzero(fresh, sizeof(fresh));
	if (plain) {
		sodium_memzero(plain, plain_len);
		free(plain);
	}
	free(env);
	free(content);
	free(rep);
	free(buf);
	free(cert);
	phr_record_destroy(r);
	phr_seckey_destroy(key);
	phr_trust_destroy(trust);
	return ex;
}

int cli_refuse_unverified(const char *verb, const char *in, const struct phr_report *rep, bool trusted, bool force,
			  const char *doing)
{
	int vrc = phr_report_error(rep);
	if (trusted ? vrc == PHR_OK : (vrc == PHR_OK || vrc == PHR_E_UNTRUSTED))
		return EXIT_OK_;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->entries[i].status != PHR_ST_VALID && rep->entries[i].status != PHR_ST_SIGNATURE_ONLY)
			fprintf(stderr, "phr %s: %s: entry %zu: %s: %s\n", verb, in, i, phr_status_name(rep->entries[i].status),
				rep->entries[i].detail);
	for (size_t j = 0; j < rep->n_side; j++)
		if (rep->side[j].status != PHR_ST_VALID && rep->side[j].status != PHR_ST_SIGNATURE_ONLY)
			fprintf(stderr, "phr %s: %s: side branch entry %zu: %s: %s\n", verb, in, j,
				phr_status_name(rep->side[j].status), rep->side[j].detail);
	if (force)
		return EXIT_OK_;
	fprintf(stderr, "phr %s: refusing to %s a record that does not verify (--force to do it anyway)\n", verb, doing);
	return cli_exit_code(vrc);
}

int cli_load_to_sign(const char *verb, const char *in, const char *trust_path, bool force, const char *doing,
		     uint64_t now, struct phr_trust **trust, uint8_t **buf, size_t *len, struct phr_record **r,
		     struct phr_report *rep)
{
	int ex, rc;
	if (trust_path && (ex = cli_load_trust(verb, trust_path, NULL, trust)))
		return ex;
	if ((rc = cli_read(in, PHR_MAX_CONTAINER, buf, len)) || (rc = phr_record_decode(*buf, *len, r)))
		return cli_fail(verb, rc, in);
	(void)phr_verify_record(*r, *trust, now, rep);
	return cli_refuse_unverified(verb, in, rep, *trust != NULL, force, doing);
}

/* For phr attach (cmd_attach.c): the same signer checks and the same
 * output as phr extend. */
int cli_load_signer(const char *verb, const char *key_path, const char *cert_path, const char *passfile, uint64_t now,
		    struct phr_seckey **key, uint8_t **cert, size_t *cert_len)
{
	struct sign_args a = { .key = key_path, .cert = cert_path, .passfile = passfile };
	return load_signer(verb, &a, now, key, cert, cert_len);
}

int cli_write_record(const char *verb, struct phr_record *r, int compression, const char *out, const char *db,
		     const struct phr_trust *trust)
{
	return finish(verb, r, compression, out, db, trust, "extended", NULL);
}
