/* phr hub: the regional hub (hub/server.c, docs/HUB.md). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "hub.h"

static const char hub_usage[] =
	"Usage: phr hub --db postgresql://... --trust TRUST.bundle [--listen ADDR:PORT]\n"
	"               [--tls-cert CERT.pem --tls-key KEY.pem] [--threads N]\n"
	"\n"
	"Serves the regional hub's API (docs/HUB.md, docs/hub-openapi.yaml) until\n"
	"SIGINT or SIGTERM: clinics push record versions and documents and pull\n"
	"newer versions and trust bundles, each request signed with the clinic's key.\n"
	"Everything is kept in PostgreSQL (migrated at start), so several hub\n"
	"processes can serve one database behind a load balancer.\n"
	"  --listen ADDR:PORT  IPv4 address and port (default " HUB_DEFAULT_LISTEN "; port 0: any\n"
	"                      free port, printed); an address other than loopback\n"
	"                      needs --tls-cert and --tls-key (PEM)\n"
	"  --threads N         requests served at once, each with its own database\n"
	"                      session (default 8)\n"
	"  --trust FILE        the trust bundle clinics are checked against, checked as\n"
	"                      every --trust is; kept in the database, and the newest\n"
	"                      any hub process was given is the one used and served\n";

static int load_trust(const char *path, struct phr_trust **out)
{
	int ex = cli_load_trust("hub", path, NULL, out);
	return ex ? phr_fail(PHR_E_UNTRUSTED, "the trust bundle was refused") : PHR_OK;
}

int cmd_hub(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, 0, 'd' },       { "listen", required_argument, 0, 'l' },
		{ "trust", required_argument, 0, 't' },    { "tls-cert", required_argument, 0, 'c' },
		{ "tls-key", required_argument, 0, 'k' },  { "threads", required_argument, 0, 'n' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 } };
	struct hub_options o = { .now = cli_now, .load_trust = load_trust };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 'l': o.listen = optarg; break;
		case 't': o.trust_path = optarg; break;
		case 'c': o.tls_cert = optarg; break;
		case 'k': o.tls_key = optarg; break;
		case 'n': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > 256)
				return cli_usage("hub", "--threads is 1 to 256");
			o.threads = (unsigned)v;
			break;
		}
		case 'h': fputs(hub_usage, stdout); return EXIT_OK_;
		default: return cli_usage("hub", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("hub", "unexpected argument");
	if (!o.db || !o.trust_path)
		return cli_usage("hub", "--db and --trust are required");
	int rc = hub_serve(&o);
	if (rc == PHR_E_UNTRUSTED)
		return EXIT_UNTRUSTED;
	if (rc == PHR_E_ARG)
		return cli_usage("hub", phr_last_error());
	if (rc)
		return cli_fail("hub", rc == PHR_E_IO ? PHR_E_HUB : rc, NULL) == EXIT_FAIL ? EXIT_HUB : cli_exit_code(rc);
	return EXIT_OK_;
}
