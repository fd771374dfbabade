/* phr serve (the clinic's web app, web/) and phr register user (its staff accounts). */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "phr/labels.h"
#include "phr/register.h"
#include "phr/render.h"
#include "phr/verify.h"
#include "hub.h"
#include "web.h"

static const char serve_usage[] =
	"Usage: phr serve --register DB --key CLINIC.key --cert CLINIC.cert --trust TRUST.bundle\n"
	"                 [--authority AUTH.pub] [--listen ADDRESS:PORT] [--lang LL]\n"
	"                 [--tls-cert CERT.pem --tls-key KEY.pem] [--idle SECONDS] [--trust-warn DAYS]\n"
	"                 [--hub URL [--sync-interval S] [--ca-file CA.pem]]\n"
	"\n"
	"The clinic's web app: staff sign in (accounts: 'phr register user add'),\n"
	"scan booklets, search the register, see and print records, in any of the\n"
	"13 languages. Pages are served by phr itself; nothing is fetched from\n"
	"elsewhere. The clinic key is unsealed once at start (PHR_PASSPHRASE or a\n"
	"prompt) and kept in guarded memory.\n"
	"  --listen A:P     address and port (default 127.0.0.1:8470; port 0: any\n"
	"                   free port, printed at start). An address other than\n"
	"                   loopback needs --tls-cert and --tls-key.\n"
	"  --lang LL        the pages' language before a user chooses one (default en)\n"
	"  --idle SECONDS   a session ends after this long without a request (900)\n"
	"  --trust-warn DAYS  the Trust page warns when the bundle is older (30)\n"
	"  --routes         list every page and action with the least role it needs\n"
	"  --hub URL        sync the register with this hub in the background, as\n"
	"                   'phr sync' does (docs/HUB.md); the Trust page shows the\n"
	"                   last sync and the outbox\n"
	"  --sync-interval S  seconds between sync rounds (default 30; longer after\n"
	"                   failures, up to 600)\n"
	"  --ca-file CA.pem the CA that checks an https:// hub's certificate\n"
	"Stops on SIGINT or SIGTERM. Exit status: 0 stopped; 43 cannot listen;\n"
	"2 bad command line; 5 wrong passphrase; 7 untrusted bundle; 30-31 register.\n";

static const char user_usage[] =
	"Usage: phr register user add DB NAME --role clerk|clinician|admin\n"
	"       phr register user set DB NAME [--role ROLE] [--password] [--disable|--enable]\n"
	"       phr register user list DB\n"
	"\n"
	"Staff accounts of the web app (phr serve). Clerks scan, search, view and\n"
	"print; clinicians also sign; admins also import trust bundles and manage\n"
	"accounts. The password (at least 10 characters) comes from\n"
	"PHR_USER_PASSWORD or is asked twice on the terminal; it is stored as an\n"
	"Argon2id hash only. Exit status 42 when the account exists (add) or does\n"
	"not (set).\n";

static volatile sig_atomic_t stop_flag;
static const char *serve_pin; /* --authority, for bundles imported on the Trust page */

static int trust_load(const char *path, struct phr_trust **out)
{
	*out = NULL;
	phr_clear_error();
	int ex = cli_load_trust("serve", path, serve_pin, out);
	if (ex == EXIT_OK_)
		return PHR_OK;
	return *phr_last_error() ? PHR_E_UNTRUSTED : phr_fail(PHR_E_UNTRUSTED, "the bundle does not check (exit %d)", ex);
}

/* ---- background sync (--hub): hub/sync.c's loop in a thread ---------- */

static struct {
	pthread_mutex_t lock;
	struct web_sync_status st;
	bool stop;
	struct sync_options o;
} bg = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool bg_should_stop(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&bg.lock);
	bool s = bg.stop;
	pthread_mutex_unlock(&bg.lock);
	return s;
}

static void bg_on_round(void *ctx, const struct sync_round *r)
{
	(void)ctx;
	uint64_t now = cli_now();
	pthread_mutex_lock(&bg.lock);
	bg.st.last_try = now;
	bg.st.outbox = r->left;
	if (r->rc == PHR_OK) {
		bg.st.last_ok = now;
		bg.st.error[0] = '\0';
	} else {
		snprintf(bg.st.error, sizeof(bg.st.error), "%s", phr_last_error());
	}
	pthread_mutex_unlock(&bg.lock);
	if (r->rc)
		fprintf(stderr, "phr serve: sync: %s\n", phr_last_error());
	else if (r->pushed || r->pulled || r->docs_pulled || r->refused || r->trust_pulled)
		fprintf(stderr, "phr serve: sync: pushed %zu, refused %zu, pulled %zu versions and %zu documents; "
			"outbox: %zu left\n", r->pushed, r->refused, r->pulled, r->docs_pulled, r->left);
}

static void bg_status(struct web_sync_status *out)
{
	pthread_mutex_lock(&bg.lock);
	*out = bg.st;
	pthread_mutex_unlock(&bg.lock);
}

static void *bg_run(void *arg)
{
	(void)arg;
	if (sync_run(&bg.o))
		fprintf(stderr, "phr serve: sync stopped: %s\n", phr_last_error());
	return NULL;
}

int cmd_serve(int argc, char **argv)
{
	const char *verb = "serve";
	static const struct option opts[] = {
		{ "register", required_argument, 0, 'r' }, { "key", required_argument, 0, 'k' },
		{ "cert", required_argument, 0, 'c' }, { "trust", required_argument, 0, 't' },
		{ "authority", required_argument, 0, 'a' }, { "listen", required_argument, 0, 'l' },
		{ "lang", required_argument, 0, 'L' }, { "tls-cert", required_argument, 0, 'C' },
		{ "tls-key", required_argument, 0, 'K' }, { "idle", required_argument, 0, 'i' },
		{ "passphrase-file", required_argument, 0, 'p' }, { "routes", no_argument, 0, 'R' },
		{ "trust-warn", required_argument, 0, 'W' },
		{ "hub", required_argument, 0, 'H' }, { "sync-interval", required_argument, 0, 'S' },
		{ "ca-file", required_argument, 0, 'A' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *db = NULL, *key = NULL, *cert = NULL, *trust = NULL, *pin = NULL, *passfile = NULL;
	const char *hub = NULL, *ca_file = NULL;
	unsigned sync_interval = 0;
	struct web_config cfg = { .listen = "127.0.0.1:8470", .lang = "en", .now = cli_now };
	int c, ex, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': db = optarg; break;
		case 'k': key = optarg; break;
		case 'c': cert = optarg; break;
		case 't': trust = optarg; break;
		case 'a': pin = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 'L': cfg.lang = optarg; break;
		case 'C': cfg.tls_cert = optarg; break;
		case 'K': cfg.tls_key = optarg; break;
		case 'p': passfile = optarg; break;
		case 'i': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 10 || v > 86400)
				return cli_usage(verb, "--idle takes 10 to 86400 seconds");
			cfg.idle_seconds = (unsigned)v;
			break;
		}
		case 'W': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 366)
				return cli_usage(verb, "--trust-warn takes 1 to 366 days");
			cfg.trust_warn_days = (unsigned)v;
			break;
		}
		case 'H': hub = optarg; break;
		case 'A': ca_file = optarg; break;
		case 'S': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > 86400)
				return cli_usage(verb, "--sync-interval takes 1 to 86400 seconds");
			sync_interval = (unsigned)v;
			break;
		}
		case 'R':
			/* every route of every table: METHOD PATH[*] ROLE [no-csrf] (the tests walk them) */
			for (size_t t = 0; web_route_tables[t]; t++)
				for (const struct web_route *r = web_route_tables[t]; r->path; r++)
					printf("%s %s%s %s%s\n", r->method, r->path, (r->flags & WEB_PREFIX) ? "*" : "",
					       r->role ? phr_role_name(r->role) : "public", (r->flags & WEB_NO_CSRF) ? " no-csrf" : "");
			return EXIT_OK_;
		case 'h': fputs(serve_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(verb, "unexpected argument");
	if (!db || !key || !cert || !trust)
		return cli_usage(verb, "--register, --key, --cert and --trust are required");
	if (!phr_label_has_lang(cfg.lang))
		return cli_view_lang(verb, cfg.lang, &cfg.lang);
	if (!cfg.tls_cert != !cfg.tls_key)
		return cli_usage(verb, "--tls-cert and --tls-key go together");
	if (!hub && (sync_interval || ca_file))
		return cli_usage(verb, "--sync-interval and --ca-file go with --hub");
	if (hub && strncmp(hub, "http://", 7) && strncmp(hub, "https://", 8))
		return cli_usage(verb, "--hub is an http:// or https:// URL");
	/* the register exists and is brought to this program's schema */
	struct phr_register *reg;
	if ((rc = phr_register_open(db, 0, &reg)))
		return cli_fail(verb, rc, NULL);
	phr_register_close(reg);
	cfg.register_path = db;
	cfg.trust_path = trust;
	cfg.trust_load = trust_load;
	if (hub)
		cfg.sync_status = bg_status;
	serve_pin = pin;
	if ((ex = cli_load_trust(verb, trust, pin, &cfg.trust)))
		return ex;
	if ((ex = cli_load_signer(verb, key, cert, passfile, cli_now(), &cfg.key, &cfg.cert, &cfg.cert_len))) {
		phr_trust_destroy(cfg.trust);
		return ex;
	}
	/* Signals are taken by this thread alone (sigwait): the server's
	 * threads inherit the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct web_server *srv;
	if ((rc = web_server_start(&cfg, &srv))) /* owns trust, key and cert from here, even on failure */
		return cli_fail(verb, rc, NULL);
	const char *colon = strrchr(cfg.listen, ':');
	printf("phr serve: listening on %s://%.*s:%u/ (register %s)\n", cfg.tls_cert ? "https" : "http",
	       (int)(colon - cfg.listen), cfg.listen, web_server_port(srv), db);
	fflush(stdout);
	/* the background sync signs with the clinic's key, which the server
	 * owns: it is stopped and joined before the server */
	pthread_t sync_thread;
	bool syncing = false;
	if (hub) {
		snprintf(bg.st.hub, sizeof(bg.st.hub), "%s", hub);
		bg.o = (struct sync_options){ .db = db, .hub = hub, .key = cfg.key, .cert = cfg.cert,
					      .cert_len = cfg.cert_len, .trust_path = trust, .ca_file = ca_file,
					      .interval = sync_interval, .now = cli_now, .load_trust = trust_load,
					      .quiet = true, .should_stop = bg_should_stop, .on_round = bg_on_round };
		if (pthread_create(&sync_thread, NULL, bg_run, NULL))
			fprintf(stderr, "phr serve: cannot start the sync with %s\n", hub);
		else
			syncing = true;
	}
	int sig = 0;
	while (!stop_flag && sigwait(&set, &sig) == 0)
		if (sig == SIGINT || sig == SIGTERM)
			break;
	if (syncing) {
		pthread_mutex_lock(&bg.lock);
		bg.stop = true;
		pthread_mutex_unlock(&bg.lock);
		pthread_join(sync_thread, NULL);
	}
	web_server_stop(srv);
	fprintf(stderr, "phr serve: stopped\n");
	return EXIT_OK_;
}

/* ---- phr register user ------------------------------------------------- */

static int read_password(const char *verb, char **pw, size_t *len)
{
	const char *env = getenv("PHR_USER_PASSWORD");
	size_t cap = PHR_REG_PASSWORD_MAX + 2;
	char *a = sodium_malloc(cap), *b = sodium_malloc(cap);
	int rc;
	if (!a || !b) {
		sodium_free(a);
		sodium_free(b);
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	}
	if (env) {
		snprintf(a, cap, "%s", env);
	} else if ((rc = cli_tty_secret("Password for the account: ", a, cap, PHR_E_ARG,
					"no terminal to ask a password on: set PHR_USER_PASSWORD")) ||
		   (rc = cli_tty_secret("The same password again: ", b, cap, PHR_E_ARG,
					"no terminal to ask a password on: set PHR_USER_PASSWORD"))) {
		sodium_free(a);
		sodium_free(b);
		return cli_fail(verb, rc, NULL);
	} else if (strcmp(a, b)) {
		sodium_free(a);
		sodium_free(b);
		fprintf(stderr, "phr %s: the two passwords differ\n", verb);
		return EXIT_USAGE;
	}
	sodium_free(b);
	*pw = a;
	*len = strlen(a);
	return EXIT_OK_;
}

static int print_user(void *ctx, const struct phr_register_user *u)
{
	(void)ctx;
	char when[21];
	phr_format_time((uint64_t)u->created, when);
	printf("%-24s %-10s %s%s\n", u->name, phr_role_name(u->role), when, u->disabled ? "  disabled" : "");
	return 0;
}

int cmd_register_user(int argc, char **argv)
{
	const char *verb = "register user";
	static const struct option opts[] = {
		{ "role", required_argument, 0, 'r' }, { "password", no_argument, 0, 'p' },
		{ "disable", no_argument, 0, 'd' }, { "enable", no_argument, 0, 'e' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c, role = PHR_ROLE_NONE, disabled = -1, rc, ex = EXIT_OK_;
	bool password = false;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(user_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK_;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!(role = phr_role_parse(optarg)))
				return cli_usage(verb, "--role is clerk, clinician or admin");
			break;
		case 'p': password = true; break;
		case 'd': disabled = 1; break;
		case 'e': disabled = 0; break;
		case 'h': fputs(user_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	int npos = argc - optind;
	char **pos = argv + optind;
	struct phr_register *reg = NULL;
	char *pw = NULL;
	size_t pwlen = 0;
	if (!strcmp(sub, "list")) {
		if (npos != 1)
			return cli_usage(verb, "list takes DB");
		if ((rc = phr_register_open(pos[0], PHR_REG_READONLY, &reg)))
			return cli_fail(verb, rc, NULL);
		if ((rc = phr_register_user_each(reg, print_user, NULL)))
			ex = cli_fail(verb, rc, NULL);
		phr_register_close(reg);
		return ex;
	}
	if (strcmp(sub, "add") && strcmp(sub, "set"))
		return cli_usage(verb, "the verbs are add, set and list");
	if (npos != 2)
		return cli_usage(verb, "expected DB NAME");
	if (!strcmp(sub, "add") && !role)
		return cli_usage(verb, "add needs --role clerk|clinician|admin");
	if (!strcmp(sub, "add") && (password || disabled >= 0))
		return cli_usage(verb, "add takes --role only (the password is always asked)");
	if (!strcmp(sub, "set") && !role && !password && disabled < 0)
		return cli_usage(verb, "set needs --role, --password, --disable or --enable");
	if ((rc = phr_register_open(pos[0], 0, &reg)))
		return cli_fail(verb, rc, NULL);
	phr_register_set_clock(reg, cli_now());
	if ((!strcmp(sub, "add") || password) && (ex = read_password(verb, &pw, &pwlen)))
		goto out;
	if (!strcmp(sub, "add"))
		rc = phr_register_user_add(reg, pos[1], role, pw, pwlen);
	else
		rc = phr_register_user_set(reg, pos[1], role, pw, pwlen, disabled);
	if (rc == PHR_E_NOT_FOUND)
		rc = phr_fail(PHR_E_AUTH, "%s", phr_last_error());
	if (rc)
		ex = cli_fail(verb, rc, NULL);
	else
		fprintf(stderr, "phr %s: %s %s\n", verb, sub[0] == 'a' ? "added" : "changed", pos[1]);
out:
	if (pw)
		sodium_free(pw);
	phr_register_close(reg);
	return ex;
}
