/* phr authority init|certify, phr clinic init */
#include "cli.h"

#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void init_usage(const char *what)
{
	printf(
	"Usage: phr %s init --name NAME --country CC --out FILE.key [--passphrase-file F]\n"
	"\n"
	"Creates a new Ed25519 %s key. FILE.key holds the secret key sealed with a\n"
	"passphrase (Argon2id + XChaCha20-Poly1305, mode 0600); FILE.pub the public key.\n"
	"The passphrase comes from PHR_PASSPHRASE, --passphrase-file, or a prompt\n"
	"(typed twice); it has at least %d characters (UTF-8 characters, not bytes).\n"
	"  --name NAME       name shown to verifiers (UTF-8, at most 100 bytes)\n"
	"  --country CC      ISO 3166-1 alpha-2 country, e.g. GR\n"
	"  --out FILE.key    where to write; FILE.pub is written beside it\n",
		what, what, CLI_NEW_PASS_MIN);
}

static const char certify_usage[] =
	"Usage: phr authority certify --key AUTH.key --clinic CLINIC.pub --days N --out CLINIC.cert\n"
	"                             [--from DATE] [--passphrase-file F]\n"
	"\n"
	"Signs a clinic's public key: the certificate lets verifiers who trust this\n"
	"authority accept the clinic's entries signed between --from (default: now)\n"
	"and N days later. CLINIC.pub must be a clinic's .pub file as 'phr clinic init'\n"
	"wrote it: signed by its own key, which is not this authority's.\n";

static const struct option init_opts[] = {
	{ "name", required_argument, 0, 'n' }, { "country", required_argument, 0, 'c' },
	{ "out", required_argument, 0, 'o' }, { "passphrase-file", required_argument, 0, 'p' },
	{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };

static int key_init(const char *verb, int kind, int argc, char **argv)
{
	const char *name = NULL, *country = NULL, *out = NULL, *passfile = NULL;
	const char *what = kind == PHR_KEY_AUTHORITY ? "authority" : "clinic";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", init_opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'c': country = optarg; break;
		case 'o': out = optarg; break;
		case 'p': passfile = optarg; break;
		case 'h': init_usage(what); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (!name || !country || !out)
		return cli_usage(verb, "--name, --country and --out are required");
	if (!strcmp(out, "-"))
		return cli_usage(verb, "--out must be a file: it names FILE.pub too");
	struct phr_seckey *k = NULL;
	uint8_t *sealed = NULL, *pub = NULL;
	size_t slen, publen, plen;
	char *pass = NULL, *pubpath = cli_pub_path(out);
	int rc, ex = EXIT_OK_;
	if (!pubpath)
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	if ((rc = phr_key_generate(kind, name, country, &k)) ||
	    (rc = cli_passphrase(passfile, "New passphrase: ", true, &pass, &plen)) ||
	    (rc = phr_key_seal(k, pass, plen, &sealed, &slen)) ||
	    (rc = phr_pubkey_encode(k, &pub, &publen)) ||
	    (rc = cli_write(out, sealed, slen, 0600)) || (rc = cli_write(pubpath, pub, publen, 0666))) {
		ex = cli_fail(verb, rc, NULL);
	} else {
		char hex[PHR_KID_HEX_LEN];
		phr_kid_to_hex(phr_seckey_public(k)->kid, hex);
		fprintf(stderr, "phr %s: wrote %s and %s (key id %s)\n", verb, out, pubpath, hex);
	}
	cli_pass_free(pass);
	phr_seckey_destroy(k);
	free(sealed);
	free(pub);
	free(pubpath);
	return ex;
}

static int certify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, 0, 'k' }, { "clinic", required_argument, 0, 'c' },
		{ "days", required_argument, 0, 'd' }, { "out", required_argument, 0, 'o' },
		{ "from", required_argument, 0, 'f' }, { "passphrase-file", required_argument, 0, 'p' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *verb = "authority certify";
	const char *key = NULL, *clinic = NULL, *days = NULL, *out = NULL, *from = NULL, *passfile = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'c': clinic = optarg; break;
		case 'd': days = optarg; break;
		case 'o': out = optarg; break;
		case 'f': from = optarg; break;
		case 'p': passfile = optarg; break;
		case 'h': fputs(certify_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (!key || !clinic || !days || !out)
		return cli_usage(verb, "--key, --clinic, --days and --out are required");
	char *end;
	long nd = strtol(days, &end, 10);
	if (*end || nd < 1 || nd > 36500)
		return cli_usage(verb, "--days must be a whole number from 1 to 36500");
	uint64_t nb = cli_now();
	int rc;
	if (from && (rc = cli_parse_time(from, &nb)))
		return cli_fail(verb, rc, "--from");
	uint8_t *pubfile = NULL, *cert = NULL;
	size_t publen, certlen;
	struct phr_pubkey pub;
	struct phr_seckey *auth = NULL;
	int ex;
	if ((rc = cli_read(clinic, PHR_MAX_KEYFILE, &pubfile, &publen)))
		return cli_fail(verb, rc, NULL);
	rc = phr_pubkey_decode(pubfile, publen, &pub);
	free(pubfile);
	if (rc)
		return cli_fail(verb, rc, clinic);
	/* The kind is the key holder's statement: phr_pubkey_decode() checked
	 * the .pub file's self-signature. */
	if (pub.kind != PHR_KEY_CLINIC)
		return cli_fail(verb,
				phr_fail(PHR_E_ARG, "%s is an authority public key (kind 1); only clinic keys (kind 2) are certified",
					 clinic),
				NULL);
	if ((ex = cli_load_key(verb, key, passfile, &auth)))
		return ex;
	if (phr_seckey_public(auth)->kind != PHR_KEY_AUTHORITY) {
		phr_seckey_destroy(auth);
		return cli_fail(verb,
				phr_fail(PHR_E_ARG, "%s is a clinic key (kind 2); certificates are signed with an authority key (kind 1)",
					 key),
				NULL);
	}
	if (sodium_memcmp(pub.pk, phr_seckey_public(auth)->pk, PHR_PK_LEN) == 0) {
		phr_seckey_destroy(auth);
		return cli_fail(verb,
				phr_fail(PHR_E_ARG, "%s is the public key of %s itself: an authority does not certify its own key as a clinic",
					 clinic, key),
				NULL);
	}
	if ((rc = phr_cert_issue(auth, &pub, nb, nb + (uint64_t)nd * 86400u, &cert, &certlen)) ||
	    (rc = cli_write(out, cert, certlen, 0666)))
		ex = cli_fail(verb, rc, NULL);
	else
		fprintf(stderr, "phr %s: certified \"%s\" (%s) for %ld days: %s\n", verb, pub.name, pub.country, nd, out);
	phr_seckey_destroy(auth);
	free(cert);
	return ex;
}

int cmd_authority(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "init"))
		return key_init("authority init", PHR_KEY_AUTHORITY, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "certify"))
		return certify(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		init_usage("authority");
		printf("\n%s", certify_usage);
		return EXIT_OK_;
	}
	return cli_usage("authority", "expected 'init' or 'certify'");
}

int cmd_clinic(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "init"))
		return key_init("clinic init", PHR_KEY_CLINIC, argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		init_usage("clinic");
		return EXIT_OK_;
	}
	return cli_usage("clinic", "expected 'init'");
}
