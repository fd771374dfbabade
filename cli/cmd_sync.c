/* phr sync: the clinic's register with the hub (hub/sync.c, docs/HUB.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "hub.h"

static const char sync_usage[] =
	"Usage: phr sync --register DB --hub URL --key CLINIC.key --cert CLINIC.cert\n"
	"                [--trust TRUST.bundle] [--ca-file CA.pem] [--once] [--interval S]\n"
	"                [--full] [--changes-batch N]\n"
	"                [--lock-wait S]\n"
	"\n"
	"Sends the register's outbox (every version and document stored since it was\n"
	"last sent) to the hub, then pulls newer versions of the records the register\n"
	"holds, their documents, and a newer trust bundle (taken only if --trust would\n"
	"accept it and it is newer: it then replaces the --trust file). What the hub\n"
	"did not take stays in the outbox and is sent again later, with exponential\n"
	"backoff; stopping and starting again loses nothing.\n"
	"  --once        one round, every outbox row tried now; exit 54 when some are\n"
	"                left, 50 when the hub could not be reached\n"
	"  --interval S  seconds between rounds (default 30) without --once\n"
	"  --full        pull every record held (as the first round with a hub does),\n"
	"                not only those the hub answers changed since the last round\n"
	"  --changes-batch N  record ids named per changes request (1 to 1000,\n"
	"                default 1000)\n"
	"  --lock-wait S a round holds DB.sync-lock; one that finds another round\n"
	"                holding it (phr serve --hub, another phr sync) says so and\n"
	"                waits up to S seconds (default 300); past that, exit 60\n";

static int load_trust(const char *path, struct phr_trust **out)
{
	int ex = cli_load_trust("sync", path, NULL, out);
	return ex ? phr_fail(PHR_E_UNTRUSTED, "the trust bundle was refused") : PHR_OK;
}

/* A whole decimal number 1..max in s, into *out. */
static bool uint_arg(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || *s == '-' || errno || v < 1 || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "register", required_argument, 0, 'r' }, { "hub", required_argument, 0, 'u' },
		{ "key", required_argument, 0, 'k' },      { "cert", required_argument, 0, 'c' },
		{ "trust", required_argument, 0, 't' },    { "ca-file", required_argument, 0, 'a' },
		{ "once", no_argument, 0, 'o' },           { "interval", required_argument, 0, 'i' },
		{ "passphrase-file", required_argument, 0, 'p' },
		{ "full", no_argument, 0, 'F' },           { "changes-batch", required_argument, 0, 'B' },
		{ "lock-wait", required_argument, 0, 'w' },
		{ "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 } };
	const char *key = NULL, *cert = NULL, *passfile = NULL;
	size_t left = 0;
	struct sync_options o = { .now = cli_now, .load_trust = load_trust, .left = &left };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.db = optarg; break;
		case 'u': o.hub = optarg; break;
		case 'k': key = optarg; break;
		case 'c': cert = optarg; break;
		case 't': o.trust_path = optarg; break;
		case 'a': o.ca_file = optarg; break;
		case 'o': o.once = true; break;
		case 'p': passfile = optarg; break;
		case 'i':
			if (!uint_arg(optarg, 86400, &o.interval))
				return cli_usage("sync", "--interval is 1 to 86400 seconds");
			break;
		case 'F': o.full = true; break;
		case 'B':
			if (!uint_arg(optarg, HUB_MAX_CHANGES, &o.changes_batch))
				return cli_usage("sync", "--changes-batch is 1 to 1000");
			break;
		case 'w':
			if (!uint_arg(optarg, SYNC_LOCK_WAIT_MAX, &o.lock_wait))
				return cli_usage("sync", "--lock-wait is 1 to 86400 seconds");
			break;
		case 'h': fputs(sync_usage, stdout); return EXIT_OK_;
		default: return cli_usage("sync", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("sync", "unexpected argument");
	if (!o.db || !o.hub || !key || !cert)
		return cli_usage("sync", "--register, --hub, --key and --cert are required");
	struct phr_seckey *k = NULL;
	uint8_t *cb = NULL;
	size_t cl = 0;
	int ex = cli_load_key("sync", key, passfile, &k);
	if (ex)
		return ex;
	if ((ex = cli_read(cert, PHR_MAX_CERT, &cb, &cl))) {
		phr_seckey_destroy(k);
		return ex;
	}
	o.key = k;
	o.cert = cb;
	o.cert_len = cl;
	int rc = sync_run(&o);
	phr_seckey_destroy(k);
	free(cb);
	if (rc == PHR_E_UNTRUSTED)
		return EXIT_UNTRUSTED;
	if (rc == PHR_E_ARG)
		return cli_usage("sync", phr_last_error());
	if (rc)
		return cli_fail("sync", rc, NULL);
	return o.once && left ? EXIT_HUB_PENDING : EXIT_OK_;
}
