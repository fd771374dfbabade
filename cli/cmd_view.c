/* phr verify, phr show */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "phr/container.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/render.h"
#include "phr/verify.h"

static const char verify_usage[] =
	"Usage: phr verify --trust TRUST.bundle [--authority AUTH.pub] [--format text|json] RECORD.phr\n"
	"\n"
	"Checks every entry: signature, signer's certificate (embedded or in the\n"
	"bundle), revocation, validity at signing time, and the chain. Prints one\n"
	"line per entry. Exits 0 only if every entry is valid; otherwise with the\n"
	"code of the first failing entry (10 bad signature, 11 unknown signer,\n"
	"12 revoked, 13 certificate not valid, 14 chain broken, 15 malformed entry).\n"
	"  --authority AUTH.pub  accept the bundle only if this authority signed it\n";

static const char show_usage[] =
	"Usage: phr show [--trust TRUST.bundle] [--authority AUTH.pub] [--lang LL]\n"
	"                [--format text|json] [--entry N] RECORD.phr\n"
	"\n"
	"Shows a record entry by entry, each marked with its verification status.\n"
	"A record that does not verify is still shown, clearly marked.\n"
	"  --lang LL        language of the text summary (default: from LANG, else en)\n"
	"  --format json    the record and report as JSON; entries' \"content\" is the\n"
	"                   input format of 'phr issue' and 'phr extend'\n"
	"  --entry N        print only entry N's content, in the input JSON format\n"
	"Exit status: 0 when the record was shown (whatever its status), 3 if it\n"
	"cannot be read at all.\n";

struct view_args {
	const char *trust, *pin, *lang, *format, *file;
	long entry;
};

static int parse(const char *verb, int argc, char **argv, struct view_args *a, const char *usage)
{
	static const struct option opts[] = {
		{ "trust", required_argument, 0, 't' }, { "authority", required_argument, 0, 'a' },
		{ "lang", required_argument, 0, 'l' }, { "format", required_argument, 0, 'f' },
		{ "entry", required_argument, 0, 'e' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	memset(a, 0, sizeof(*a));
	a->format = "text";
	a->entry = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->trust = optarg; break;
		case 'a': a->pin = optarg; break;
		case 'l': a->lang = optarg; break;
		case 'f': a->format = optarg; break;
		case 'e': {
			char *end;
			a->entry = strtol(optarg, &end, 10);
			if (*end || !*optarg || a->entry < 0)
				return cli_usage(verb, "--entry takes an entry number from 0");
			break;
		}
		case 'h': fputs(usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one RECORD.phr");
	if (strcmp(a->format, "text") && strcmp(a->format, "json"))
		return cli_usage(verb, "--format is text or json");
	a->file = argv[optind];
	return EXIT_OK_;
}

/* Loads the trust bundle (when given) and the record; returns an exit code. */
static int load(const char *verb, const struct view_args *a, struct phr_record **r, struct phr_trust **t)
{
	uint8_t *buf;
	size_t len;
	int rc, ex;
	*r = NULL;
	*t = NULL;
	if (a->trust && (ex = cli_load_trust(verb, a->trust, a->pin, t)))
		return ex;
	if ((rc = cli_read(a->file, PHR_MAX_CONTAINER, &buf, &len))) {
		phr_trust_destroy(*t);
		*t = NULL;
		return cli_fail(verb, rc, NULL);
	}
	rc = phr_record_decode(buf, len, r);
	free(buf);
	if (rc) {
		phr_trust_destroy(*t);
		*t = NULL;
		return cli_fail(verb, rc, a->file);
	}
	return EXIT_OK_;
}

int cmd_verify(int argc, char **argv)
{
	const char *verb = "verify";
	struct view_args a;
	struct phr_record *r;
	struct phr_trust *t;
	int ex = parse(verb, argc, argv, &a, verify_usage);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!a.trust)
		return cli_usage(verb, "--trust is required");
	struct phr_report *rep = calloc(1, sizeof(*rep));
	if (!rep)
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	if ((ex = load(verb, &a, &r, &t))) {
		free(rep);
		return ex;
	}
	(void)phr_verify_record(r, t, cli_now(), rep);
	char hex[33], kid[PHR_KID_HEX_LEN], when[21];
	phr_record_id_hex(r->id, hex);
	if (!strcmp(a.format, "json")) {
		json_t *j;
		int rc = phr_render_json(r, rep, &j);
		if (!rc) {
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(j, "entries"), i, e)
				json_object_del(e, "content");
			rc = cli_print_json(j);
			json_decref(j);
		}
		if (rc)
			ex = cli_fail(verb, rc, NULL);
	} else {
		for (size_t i = 0; i < rep->n; i++) {
			const struct phr_entry_report *e = &rep->entries[i];
			phr_kid_to_hex(e->kid, kid);
			phr_format_time(e->signed_at, when);
			if (e->have_signer)
				printf("entry %zu: %-14s %s (%s) key %s signed %s — %s\n", i, phr_status_name(e->status),
				       e->clinic, e->country, kid, when, e->detail);
			else
				printf("entry %zu: %-14s unidentified signer, key %s, signed %s — %s\n", i,
				       phr_status_name(e->status), kid, when, e->detail);
			if (e->warnings & PHR_WARN_SIGNED_BEFORE_PREVIOUS)
				printf("entry %zu: warning: %s — dated before entry %zu (a clinic's clock may be wrong)\n", i,
				       phr_warning_name(PHR_WARN_SIGNED_BEFORE_PREVIOUS), i - 1);
		}
		/* The count and the newest entry: a copy with its last entries
		 * dropped verifies too, so a reader compares them with the card
		 * or the booklet (docs/FORMAT.md, "What a record cannot prove"). */
		printf("record %s: %zu entr%s", hex, rep->n, rep->n == 1 ? "y" : "ies");
		if (rep->n) {
			const struct phr_entry_report *last = &rep->entries[rep->n - 1];
			phr_format_time(last->signed_at, when);
			if (last->have_signer)
				printf(", the last signed %s by %s (%s)", when, last->clinic, last->country);
			else
				printf(", the last signed %s by an unidentified signer", when);
		}
		printf(", %s\n", rep->all_valid ? "all valid" : "NOT VALID");
	}
	if (!ex)
		ex = cli_exit_code(phr_report_error(rep));
	phr_record_destroy(r);
	phr_trust_destroy(t);
	free(rep);
	return ex;
}

static const char *default_lang(void)
{
	static char buf[3];
	const char *env = getenv("LC_ALL");
	if (!env || !*env)
		env = getenv("LC_MESSAGES");
	if (!env || !*env)
		env = getenv("LANG");
	if (env && env[0] >= 'a' && env[0] <= 'z' && env[1] >= 'a' && env[1] <= 'z') {
		buf[0] = env[0];
		buf[1] = env[1];
		buf[2] = '\0';
		if (phr_label_has_lang(buf))
			return buf;
	}
	return "en";
}

int cli_view_lang(const char *verb, const char *want, const char **lang)
{
	*lang = want ? want : default_lang();
	if (phr_label_has_lang(*lang))
		return EXIT_OK_;
	fprintf(stderr, "phr %s: language '%s' is not available; available:", verb, *lang);
	for (size_t i = 0; i < phr_label_lang_count(); i++)
		fprintf(stderr, " %s", phr_label_lang_at(i));
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int cli_view_record(const char *verb, const struct phr_record *r, const struct phr_trust *t,
		    const struct cli_view *v, json_t *collect)
{
	int rc = PHR_OK;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	if (!rep)
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	(void)phr_verify_record(r, t, cli_now(), rep);
	if (v->entry >= 0) {
		if ((size_t)v->entry >= r->n_entries) {
			rc = phr_fail(PHR_E_ARG, "the record has %zu entries (0 to %zu)", r->n_entries, r->n_entries - 1);
		} else if (!r->entries[v->entry].content) {
			rc = phr_fail(PHR_E_MALFORMED, "entry %ld cannot be read", v->entry);
		} else {
			json_t *j;
			const struct phr_entry *e = &r->entries[v->entry];
			if (!(rc = phr_entry_decode_json(e->content, e->content_len, &j))) {
				rc = cli_print_json(j);
				json_decref(j);
			}
			if (rep->entries[v->entry].status != PHR_ST_VALID)
				fprintf(stderr, "phr %s: warning: entry %ld is not verified (%s: %s)\n", verb, v->entry,
					phr_status_name(rep->entries[v->entry].status), rep->entries[v->entry].detail);
		}
	} else if (v->json) {
		json_t *j;
		if (!(rc = phr_render_json(r, rep, &j))) {
			if (collect) {
				if (json_array_append_new(collect, j))
					rc = phr_fail(PHR_E_NOMEM, "out of memory");
			} else {
				rc = cli_print_json(j);
				json_decref(j);
			}
		}
	} else {
		rc = phr_render_text(r, rep, v->lang, stdout);
	}
	free(rep);
	return rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
}

int cmd_show(int argc, char **argv)
{
	const char *verb = "show";
	struct view_args a;
	struct phr_record *r;
	struct phr_trust *t;
	int ex = parse(verb, argc, argv, &a, show_usage);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	struct cli_view v = { .json = !strcmp(a.format, "json"), .entry = a.entry };
	if ((ex = cli_view_lang(verb, a.lang, &v.lang)) || (ex = load(verb, &a, &r, &t)))
		return ex;
	ex = cli_view_record(verb, r, t, &v, NULL);
	phr_record_destroy(r);
	phr_trust_destroy(t);
	return ex;
}
