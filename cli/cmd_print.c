/* phr print: booklets, wallet cards and print-shop sheets (PDF or PNG),
 * one record or a batch streamed into one PDF. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "phr/container.h"
#include "phr/labels.h"
#include "phr/print.h"
#include "phr/render.h"
#include "phr/seal.h"
#include "phr/verify.h"

static const char print_usage[] =
	"Usage: phr print [--layout NAME|FILE.json] [--lang HOLDER,CLINIC] [--trust TRUST.bundle]\n"
	"                 [--authority AUTH.pub] [--png [--dpi N]] [--format text|json] [--quiet]\n"
	"                 [--holder-key KEY.txt|--holder-key-qr PICTURE]\n"
	"                 (RECORD.phr | --batch DIR|LIST) --out FILE\n"
	"       phr print --layout key-slip (--holder-key KEY.txt|--holder-key-qr PICTURE)\n"
	"                 [--lang HOLDER,CLINIC] [--trust TRUST.bundle] RECORD.phr --out FILE\n"
	"       phr print --list-layouts\n"
	"\n"
	"Prints a record as a booklet the holder carries, a wallet card, or imposed\n"
	"sheets for a print shop: the summary in the holder's and the clinic's\n"
	"language side by side, each entry marked with its verification status, and\n"
	"the record as QR codes that 'phr scan' reads back.\n"
	"  --layout NAME      a6-booklet (default), id1-card, a4-booklet-sheet, key-slip,\n"
	"                     or a layout file; NAME.json is also looked for in the\n"
	"                     directories of PHR_LAYOUT_PATH (':'-separated)\n"
	"  --lang H,C         holder's and clinic's languages (one code: both the same);\n"
	"                     'auto' for H takes the record's preferred language (else\n"
	"                     English), for C the environment's (LANG), as phr show does\n"
	"  --trust FILE       verify against this trust bundle; without it the pages say\n"
	"                     that the signers were not checked\n"
	"  --authority FILE   accept the bundle only if this authority signed it\n"
	"  --out FILE         the PDF (written to .FILE.phr-partial-PID-XXXXXX beside it,\n"
	"                     then renamed; a device or FIFO is written to directly)\n"
	"  --png              PNG pages instead: FILE-01.png, FILE-02.png, ... (a\n"
	"                     trailing .png of FILE is dropped first)\n"
	"  --dpi N            PNG resolution, 72 to 1200 (default 300)\n"
	"  --batch DIR|LIST   every *.phr of DIR (sorted by name), or the files named one\n"
	"                     a line in LIST ('-': standard input), into one PDF;\n"
	"                     needs --trust: a record that cannot be read or does not\n"
	"                     verify is skipped and listed at the end\n"
	"  --holder-key FILE  the record's holder key (docs/PRIVACY.md): the booklet\n"
	"                     prints its sealed sections (without it, booklet and card\n"
	"                     say where they are and print none of them); the key-slip\n"
	"                     layout prints the key itself, for the holder to keep apart\n"
	"                     from the booklet. Not with --batch\n"
	"  --holder-key-qr PICTURE  the same, the key read from a photo or scan of the\n"
	"                     key slip's QR code. With either, the output is written\n"
	"                     mode 0600\n"
	"  --format json      print what was printed as JSON on standard output\n"
	"  --quiet            no progress and no warnings on standard error\n"
	"Exit status: 0 printed; 9 a batch skipped records (the others are printed;\n"
	"nothing is written when all were skipped); 19 the batch is empty (DIR holds\n"
	"no *.phr, LIST names no file; nothing is written); 2 usage; 3 a record\n"
	"cannot be read; 4 a record too large for QR codes; 6 a file cannot be read\n"
	"or written; 7 the trust bundle is not trusted; 38 the holder key is not the\n"
	"record's (key-slip: nothing is written), or a sealed part did not open with\n"
	"it (the pages say so and print none of it); 39 --holder-key-qr's picture\n"
	"holds no key code. An interrupted run leaves no file under the final name.\n";

#define DEFAULT_DPI 300
#define PROGRESS_TTY_INTERVAL 0.1 /* seconds between progress bar updates on a terminal */
#define PROGRESS_BAR 28
#define OUT_BUFFER (1 << 20)
#define MAX_LIST_LINE 4096

struct print_args {
	const char *layout, *lang, *trust, *pin, *out, *batch, *file, *holder_key, *holder_key_qr;
	bool png, json, quiet, list;
	int dpi;
};

static int parse(const char *verb, int argc, char **argv, struct print_args *a)
{
	static const struct option opts[] = {
		{ "layout", required_argument, 0, 'L' }, { "lang", required_argument, 0, 'l' },
		{ "trust", required_argument, 0, 't' }, { "authority", required_argument, 0, 'a' },
		{ "out", required_argument, 0, 'o' }, { "png", no_argument, 0, 'p' },
		{ "dpi", required_argument, 0, 'd' }, { "batch", required_argument, 0, 'b' },
		{ "format", required_argument, 0, 'f' }, { "quiet", no_argument, 0, 'q' },
		{ "list-layouts", no_argument, 0, 'T' }, { "holder-key", required_argument, 0, 'K' },
		{ "holder-key-qr", required_argument, 0, 'Q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	memset(a, 0, sizeof(*a));
	a->layout = "a6-booklet";
	a->lang = "auto,auto";
	a->dpi = DEFAULT_DPI;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'L': a->layout = optarg; break;
		case 'l': a->lang = optarg; break;
		case 't': a->trust = optarg; break;
		case 'a': a->pin = optarg; break;
		case 'o': a->out = optarg; break;
		case 'p': a->png = true; break;
		case 'd': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 72 || v > 1200)
				return cli_usage(verb, "--dpi is a whole number from 72 to 1200");
			a->dpi = (int)v;
			break;
		}
		case 'b': a->batch = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cli_usage(verb, "--format is text or json");
			a->json = !strcmp(optarg, "json");
			break;
		case 'q': a->quiet = true; break;
		case 'T': a->list = true; break;
		case 'K': a->holder_key = optarg; break;
		case 'Q': a->holder_key_qr = optarg; break;
		case 'h': fputs(print_usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (a->list)
		return optind == argc ? EXIT_OK_ : cli_usage(verb, "--list-layouts takes no record");
	if (a->batch ? optind != argc : optind != argc - 1)
		return cli_usage(verb, a->batch ? "--batch takes no RECORD.phr besides" : "expected one RECORD.phr (or --batch)");
	if (!a->out)
		return cli_usage(verb, "--out is required");
	if (a->batch && a->png)
		return cli_usage(verb, "--batch writes one PDF; --png is for one record");
	if (a->batch && !a->trust)
		return cli_usage(verb, "--batch needs --trust: a print shop prints only records that verify");
	if (a->holder_key && a->holder_key_qr)
		return cli_usage(verb, "--holder-key and --holder-key-qr: one of them");
	if (a->batch && (a->holder_key || a->holder_key_qr))
		return cli_usage(verb, "--holder-key opens one record's sealed sections: not with --batch");
	if (a->png && !strcmp(a->out, "-"))
		return cli_usage(verb, "--png writes files: --out names them");
	a->file = a->batch ? NULL : argv[optind];
	return EXIT_OK_;
}

/* ---- output: written as cli_write() does (a partial file renamed into
 * place, removed on signals; a device or FIFO written through) ---- */

struct output {
	const char *final;
	struct cli_out *out; /* from the first bytes on */
	uint64_t bytes;
	bool failed;       /* writing the output failed: a batch stops */
	unsigned mode;     /* 0666, or 0600 for what holds the holder key or sealed sections */
	/* PNG pages */
	char *stem;
	json_t *files;
};

static int out_write(void *ctx, const uint8_t *data, size_t len)
{
	struct output *o = ctx;
	int rc;
	/* the first bytes: create the partial file (nothing before, so a batch
	 * where nothing prints writes nothing) */
	if ((!o->out && (rc = cli_out_open(o->final, o->mode, OUT_BUFFER, &o->out))) ||
	    (rc = cli_out_write(o->out, data, len))) {
		o->failed = true;
		return rc;
	}
	o->bytes += len;
	return PHR_OK;
}

/* Flushes, fsyncs and renames the partial file to its final name. */
static int out_commit(struct output *o)
{
	struct cli_out *out = o->out;
	o->out = NULL;
	return out ? cli_out_commit(out) : PHR_OK;
}

static void out_abandon(struct output *o)
{
	cli_out_abandon(o->out);
	o->out = NULL;
}

static int out_page(void *ctx, size_t number, size_t total, const uint8_t *png, size_t len)
{
	struct output *o = ctx;
	int width = 2;
	for (size_t t = total; t >= 100; t /= 10)
		width++;
	size_t n = strlen(o->stem) + 32;
	char *path = malloc(n);
	if (!path)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	snprintf(path, n, "%s-%0*zu.png", o->stem, width, number);
	int rc = cli_write(path, png, len, o->mode);
	o->failed |= rc != PHR_OK;
	if (!rc && o->files && json_array_append_new(o->files, json_string(path)))
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
	free(path);
	o->bytes += len;
	return rc;
}

/* ---- one record ---- */

struct job {
	const char *verb;
	const struct phr_layout *layout;
	const struct print_args *a;
	struct phr_trust *trust;
	struct phr_print_doc *doc;
	struct phr_report *rep;
	char holder[8], clinic[8]; /* "auto" or a language */
	bool batch;
	bool slip;                           /* the layout is a key slip */
	bool have_key;
	uint8_t key[PHR_HOLDER_KEY_LEN];     /* --holder-key, wiped at the end */
	int seal_ex;                         /* EXIT_SEAL when a sealed part did not open */
	size_t printed, skipped, pages;
	bool first_json, json_started;
};

/* The holder's language: the one asked for, else the record's preferred
 * language when its labels are compiled in, else English. */
static const char *holder_lang(const struct job *j, const struct phr_print_view *v)
{
	if (strcmp(j->holder, "auto"))
		return j->holder;
	if (v->preferred_language[0] && phr_label_has_lang(v->preferred_language))
		return v->preferred_language;
	return "en";
}

/* The first entry that is not valid, as "entry N: status: detail". */
static void why_unverified(const struct phr_report *rep, char *out, size_t cap)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->entries[i].status != PHR_ST_VALID) {
			snprintf(out, cap, "entry %zu: %s: %s", i, phr_status_name(rep->entries[i].status),
				 rep->entries[i].detail);
			return;
		}
	snprintf(out, cap, "no entries");
}

/* The head of the JSON summary, printed with the first record (or at the
 * end), so that a run that fails early prints no half document. */
static void json_head(struct job *j)
{
	if (j->json_started)
		return;
	j->json_started = true;
	printf("{\n  \"layout\": \"%s\",\n  \"kind\": \"%s\",\n  \"records\": [", phr_layout_name(j->layout),
	       phr_layout_kind(j->layout));
}

static void json_record(struct job *j, const char *file, const struct phr_print_view *hv,
			const struct phr_print_view *cv, const struct phr_print_result *res)
{
	json_t *codes = json_pack("{s:I, s:I, s:i, s:i, s:f, s:I, s:b}", "k", (json_int_t)res->k, "m",
				  (json_int_t)res->m, "version", res->version, "module_px", res->module_px, "module_mm",
				  (double)(long)(res->module_mm * 1000 + 0.5) / 1000, "pages", (json_int_t)res->code_pages,
				  "fit", res->codes_fit);
	if (codes && !res->codes_fit)
		json_object_set_new(codes, "card_holds", json_integer(res->card_capacity));
	json_t *r = json_pack("{s:s, s:s, s:b, s:b, s:[s,s], s:I, s:I, s:I, s:o}", "file", file, "record_id",
			      hv->record_id, "verified", hv->all_valid, "trust_checked", hv->trust_checked, "languages",
			      hv->lang, cv->lang, "pages", (json_int_t)res->pages, "summary_pages",
			      (json_int_t)res->summary_pages, "printed_pages", (json_int_t)res->sheets, "codes",
			      codes ? codes : json_null());
	if (r && res->first_sheet)
		json_object_set_new(r, "first_sheet", json_integer((json_int_t)res->first_sheet));
	unsigned sealed = 0, opened = 0;
	for (size_t i = 0; i < hv->n_entries; i++) {
		sealed += hv->entries[i].sealed_sections;
		opened += hv->entries[i].seal_state == 1 ? hv->entries[i].sealed_sections : 0;
	}
	if (r)
		json_object_set_new(r, "sealed", json_pack("{s:I, s:I}", "sections", (json_int_t)sealed, "printed",
							   (json_int_t)opened));
	char *s = r ? json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4)) : NULL;
	json_head(j);
	if (s) {
		/* indented one level more, inside "records": [...] */
		printf("%s\n    ", j->first_json ? "" : ",");
		for (const char *p = s; *p; p++) {
			putchar(*p);
			if (*p == '\n')
				fputs("    ", stdout);
		}
	}
	j->first_json = false;
	free(s);
	json_decref(r);
}

/* The key slip is for the record's current holder key: the key the newest
 * sealed entry opens with (docs/FORMAT.md, "Re-keying"). A record with
 * nothing sealed yet cannot say; the slip is printed with a warning. */
static int slip_key_matches(const struct job *j, const struct phr_record *r)
{
	size_t at, rekeyed;
	int st = phr_record_seal_key_state(r, j->key, &at, &rekeyed);
	if (st == PHR_SEAL_KEY_NEWEST)
		return PHR_OK;
	if (st == PHR_SEAL_KEY_REPLACED)
		return phr_fail(PHR_E_REKEYED,
				"the holder key given was replaced at entry %zu (the record was re-keyed there); no key slip printed",
				rekeyed);
	if (st == PHR_SEAL_KEY_OTHER)
		return phr_fail(PHR_E_SEAL_KEY,
				"not this record's holder key: it does not open this record's sealed entries (entry %zu); no key slip printed",
				at);
	if (!j->a->quiet)
		fprintf(stderr, "phr %s: warning: the record has no sealed sections yet: the key could not be checked "
				"against it\n",
			j->verb);
	return PHR_OK;
}

/* Reads, verifies and prints one record. Returns PHR_OK, or the error that
 * made it skip (why names it). */
static int print_one(struct job *j, const char *file, char *why, size_t cap)
{
	uint8_t *buf = NULL;
	size_t len;
	struct phr_record *r = NULL;
	struct phr_print_view *cv = NULL, *hv = NULL;
	struct phr_print_result res;
	int rc;
	why[0] = '\0';
	if ((rc = cli_read(file, PHR_MAX_CONTAINER, &buf, &len)) || (rc = phr_record_decode(buf, len, &r))) {
		snprintf(why, cap, "%s", phr_last_error());
		goto out;
	}
	(void)phr_verify_record(r, j->trust, cli_now(), j->rep);
	if (j->batch && !j->rep->all_valid) {
		why_unverified(j->rep, why, cap);
		rc = phr_report_error(j->rep);
		goto out;
	}
	if (j->slip && (rc = slip_key_matches(j, r)))
		goto fail;
	if (j->have_key && !j->slip) {
		/* the sealed sections are printed; one that does not open is
		 * said so on the pages, and none of it printed */
		size_t failed = 0;
		if ((rc = phr_record_unseal(r, j->key, &failed)))
			goto fail;
		for (size_t i = 0; i < r->n_entries; i++)
			if (r->entries[i].sealed && r->entries[i].seal_state && r->entries[i].seal_state != 1)
				fprintf(stderr, "phr %s: %s (the pages say so; the rest of the record is printed)\n", j->verb,
					r->entries[i].seal_why);
		if (failed)
			j->seal_ex = EXIT_SEAL;
	}
	const char *clinic = j->clinic;
	if ((rc = phr_render_print_view(r, j->rep, clinic, &cv)))
		goto fail;
	const char *holder = holder_lang(j, cv);
	if (!strcmp(holder, clinic))
		hv = cv;
	else if ((rc = phr_render_print_view(r, j->rep, holder, &hv)))
		goto fail;
	if (j->slip ? (rc = phr_print_key_slip(j->doc, j->key, hv, cv, &res))
		    : (rc = phr_print_record(j->doc, buf, len, hv, cv, &res)))
		goto fail;
	j->pages += res.sheets;
	if (!j->batch && !j->a->quiet && !j->rep->all_valid) {
		char w[400];
		if (!j->trust)
			snprintf(w, sizeof(w), "no trust bundle: the signers were not checked");
		else
			why_unverified(j->rep, w, sizeof(w));
		fprintf(stderr, "phr %s: warning: record %s is not verified (%s)%s\n", j->verb, cv->record_id, w,
			j->slip ? "" : "; the pages say so");
	}
	if (!res.codes_fit && !j->a->quiet) {
		fprintf(stderr,
			"phr %s: warning: %s needs %u QR codes of version %d (%u data, %u parity) and the %s holds %u: "
			"it was printed without codes and says so; print the booklet for the codes\n",
			j->verb, file, res.k + res.m, res.version, res.k, res.m, phr_layout_name(j->layout),
			res.card_capacity);
	}
	if (j->a->json)
		json_record(j, file, hv, cv, &res);
	goto out;
fail:
	snprintf(why, cap, "%s", phr_last_error());
out:
	if (hv != cv)
		phr_render_print_view_free(hv);
	phr_render_print_view_free(cv);
	phr_record_destroy(r);
	free(buf);
	return rc;
}

/* ---- batch ---- */

struct skip {
	char *file, *why;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

struct progress {
	bool tty, quiet;
	size_t total, last_decile;
	double start, last;
};

static void progress(struct progress *p, size_t done, size_t skipped, bool final)
{
	if (p->quiet || !p->total)
		return;
	double t = now_s(), rate = t > p->start ? (double)done / (t - p->start) : 0;
	if (p->tty) {
		if (!final && t - p->last < PROGRESS_TTY_INTERVAL)
			return;
		p->last = t;
		int fill = (int)((double)PROGRESS_BAR * (double)done / (double)p->total);
		char bar[PROGRESS_BAR + 1];
		for (int i = 0; i < PROGRESS_BAR; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[PROGRESS_BAR] = '\0';
		fprintf(stderr, "\rphr print: [%s] %zu/%zu records, %.1f/s, %zu skipped%s", bar, done, p->total, rate, skipped,
			final ? "\n" : "");
		return;
	}
	size_t decile = done * 10 / p->total;
	if (decile > p->last_decile || final) {
		p->last_decile = decile;
		fprintf(stderr, "phr print: %zu/%zu records (%zu%%), %.1f/s, %zu skipped\n", done, p->total,
			done * 100 / p->total, rate, skipped);
	}
}

/* The records of a batch: a directory's *.phr (sorted) or a list file. */
struct source {
	struct dirent **names;
	int n_names;
	const char *dir;
	FILE *list;
	bool list_stdin;
	size_t total, next;
	char line[MAX_LIST_LINE];
	char path[MAX_LIST_LINE + 256];
};

static int only_phr(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 4 && !strcmp(e->d_name + n - 4, ".phr") && e->d_name[0] != '.';
}

/* Next list line that names a file: blank lines and # comments skipped. */
static const char *list_next(struct source *s)
{
	while (fgets(s->line, sizeof(s->line), s->list)) {
		s->line[strcspn(s->line, "\r\n")] = '\0';
		char *p = s->line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#')
			return p;
	}
	return NULL;
}

static int source_open(const char *verb, const char *what, struct source *s)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (strcmp(what, "-") && stat(what, &st) == 0 && S_ISDIR(st.st_mode)) {
		s->dir = what;
		s->n_names = scandir(what, &s->names, only_phr, alphasort);
		if (s->n_names < 0)
			return cli_fail(verb, phr_fail(PHR_E_IO, "cannot read the directory %s: %s", what, strerror(errno)), NULL);
		s->total = (size_t)s->n_names;
		return EXIT_OK_;
	}
	if (!strcmp(what, "-")) {
		/* standard input cannot be read twice: keep it in a temporary file */
		s->list = tmpfile();
		s->list_stdin = true;
		char buf[65536];
		size_t n;
		while (s->list && (n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			fwrite(buf, 1, n, s->list);
		if (!s->list || ferror(stdin) || fflush(s->list))
			return cli_fail(verb, phr_fail(PHR_E_IO, "cannot read the list from standard input"), NULL);
	} else if (!(s->list = fopen(what, "r"))) {
		return cli_fail(verb, phr_fail(errno == ENOENT ? PHR_E_NOT_FOUND : PHR_E_IO, "cannot open %s: %s", what,
					       strerror(errno)),
				NULL);
	}
	rewind(s->list);
	while (list_next(s))
		s->total++;
	rewind(s->list);
	return EXIT_OK_;
}

static const char *source_next(struct source *s)
{
	if (s->dir) {
		if (s->next >= (size_t)s->n_names)
			return NULL;
		snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, s->names[s->next++]->d_name);
		return s->path;
	}
	return list_next(s);
}

static void source_close(struct source *s)
{
	for (int i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->names);
	if (s->list)
		fclose(s->list);
}

/* ---- the command ---- */

static int parse_langs(const char *verb, const char *spec, struct job *j)
{
	char h[16], c[16];
	const char *comma = strchr(spec, ',');
	if (comma) {
		if ((size_t)(comma - spec) >= sizeof(h) || strlen(comma + 1) >= sizeof(c) || strchr(comma + 1, ','))
			return cli_usage(verb, "--lang is HOLDER,CLINIC, e.g. ar,en");
		snprintf(h, sizeof(h), "%.*s", (int)(comma - spec), spec);
		snprintf(c, sizeof(c), "%s", comma + 1);
	} else {
		if (strlen(spec) >= sizeof(h))
			return cli_usage(verb, "--lang is HOLDER,CLINIC, e.g. ar,en");
		snprintf(h, sizeof(h), "%s", spec);
		snprintf(c, sizeof(c), "%s", spec);
	}
	const char *lang;
	int ex = cli_view_lang(verb, strcmp(c, "auto") ? c : NULL, &lang);
	if (ex)
		return ex;
	snprintf(j->clinic, sizeof(j->clinic), "%s", lang);
	if (strcmp(h, "auto")) {
		if ((ex = cli_view_lang(verb, h, &lang)))
			return ex;
		snprintf(j->holder, sizeof(j->holder), "%s", lang);
	} else {
		snprintf(j->holder, sizeof(j->holder), "auto");
	}
	return EXIT_OK_;
}

static int list_layouts(void)
{
	for (size_t i = 0; i < phr_layout_builtin_count(); i++) {
		struct phr_layout *l;
		if (phr_layout_load(phr_layout_builtin_name(i), &l) == PHR_OK) {
			printf("%-20s %s\n", phr_layout_name(l), phr_layout_kind(l));
			phr_layout_destroy(l);
		}
	}
	return EXIT_OK_;
}

int cmd_print(int argc, char **argv)
{
	const char *verb = "print";
	struct print_args a;
	struct job j = { .verb = verb, .a = &a, .first_json = true };
	struct output o = { 0 };
	struct phr_layout *layout = NULL;
	struct skip *skips = NULL;
	size_t n_skips = 0;
	struct source src = { 0 };
	int rc;
	int ex = parse(verb, argc, argv, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (a.list)
		return list_layouts();
	if ((ex = parse_langs(verb, a.lang, &j)))
		return ex;
	if ((rc = phr_layout_load(a.layout, &layout))) {
		ex = cli_fail(verb, rc, "--layout");
		/* a name that is no layout is a usage error; a file that cannot be read is not */
		return rc == PHR_E_NOT_FOUND && !strchr(a.layout, '/') && !strstr(a.layout, ".json") ? EXIT_USAGE : ex;
	}
	j.layout = layout;
	j.slip = !strcmp(phr_layout_kind(layout), "slip");
	if (j.slip && a.batch) {
		ex = cli_usage(verb, "a key slip is printed for one record: not with --batch");
		goto out;
	}
	if (j.slip && !a.holder_key && !a.holder_key_qr) {
		ex = cli_usage(verb, "--layout key-slip prints the holder key: give it with --holder-key KEY.txt or "
				     "--holder-key-qr PICTURE");
		goto out;
	}
	if ((ex = cli_holder_key(verb, a.holder_key, a.holder_key_qr, j.key, &j.have_key)))
		goto out;
	if (a.trust && (ex = cli_load_trust(verb, a.trust, a.pin, &j.trust)))
		goto out;
	if (!(j.rep = calloc(1, sizeof(*j.rep)))) {
		ex = cli_fail(verb, PHR_E_NOMEM, NULL);
		goto out;
	}
	j.batch = a.batch != NULL;
	if (j.batch && (ex = source_open(verb, a.batch, &src)))
		goto out;
	if (j.batch && !src.total) {
		fprintf(stderr, "phr %s: nothing to print: %s %s; %s was not written\n", verb,
			!strcmp(a.batch, "-") ? "standard input" : a.batch,
			src.dir ? "holds no *.phr file" : "names no file", a.out);
		ex = EXIT_BATCH_EMPTY;
		goto out;
	}
	o.final = a.out;
	/* a key slip holds the key, a booklet printed with it the sealed
	 * sections: written mode 0600, as the key file is */
	o.mode = j.have_key ? 0600 : 0666;
	if (a.png) {
		size_t n = strlen(a.out);
		if (!(o.stem = strdup(a.out))) {
			ex = cli_fail(verb, PHR_E_NOMEM, NULL);
			goto out;
		}
		if (n > 4 && !strcmp(o.stem + n - 4, ".png"))
			o.stem[n - 4] = '\0';
		if (a.json)
			o.files = json_array();
	}
	struct phr_print_options po = { .png = a.png, .dpi = a.dpi, .now = cli_now(), .write = out_write,
					.page = out_page, .ctx = &o };
	if ((rc = phr_print_open(layout, &po, &j.doc))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	char why[600];
	if (!j.batch) {
		if ((rc = print_one(&j, a.file, why, sizeof(why)))) {
			ex = cli_exit_code(rc);
			fprintf(stderr, "phr %s: %s: %s\n", verb, a.file, why);
			out_abandon(&o);
			goto out;
		}
		j.printed = 1;
		ex = j.seal_ex;
	} else {
		struct progress pr = { .tty = isatty(STDERR_FILENO), .quiet = a.quiet, .total = src.total,
				       .start = now_s() };
		const char *file;
		size_t done = 0;
		while ((file = source_next(&src))) {
			rc = print_one(&j, file, why, sizeof(why));
			done++;
			if (rc == PHR_OK) {
				j.printed++;
			} else if (o.failed) {
				ex = cli_fail(verb, rc, NULL); /* the output failed: stop */
				out_abandon(&o);
				goto out;
			} else {
				struct skip *ns = realloc(skips, (n_skips + 1) * sizeof(*ns));
				if (!ns) {
					ex = cli_fail(verb, PHR_E_NOMEM, NULL);
					out_abandon(&o);
					goto out;
				}
				skips = ns;
				skips[n_skips].file = strdup(file);
				skips[n_skips].why = strdup(why);
				n_skips++;
			}
			progress(&pr, done, n_skips, false);
		}
		progress(&pr, done, n_skips, true);
	}
	if ((rc = phr_print_close(j.doc)) || (rc = out_commit(&o))) {
		ex = cli_fail(verb, rc, NULL);
		out_abandon(&o);
		goto out;
	}
	if (j.batch && n_skips) {
		fprintf(stderr, "phr %s: skipped %zu of %zu records:\n", verb, n_skips, src.total);
		for (size_t i = 0; i < n_skips; i++)
			fprintf(stderr, "  %s: %s\n", skips[i].file ? skips[i].file : "?", skips[i].why ? skips[i].why : "");
		ex = EXIT_SKIPPED;
	}
	if (j.batch && !j.printed)
		fprintf(stderr, "phr %s: nothing printed: no record of %s could be printed; %s was not written\n", verb,
			a.batch, a.out);
	if (a.json) {
		json_head(&j);
		printf("%s],\n  \"records_printed\": %zu,\n  \"records_skipped\": %zu,\n  \"output_pages\": %zu,\n",
		       j.first_json ? "" : "\n  ", j.printed, n_skips, j.pages);
		json_t *sk = json_array();
		for (size_t i = 0; sk && i < n_skips; i++)
			json_array_append_new(sk, json_pack("{s:s, s:s}", "file", skips[i].file ? skips[i].file : "?",
							    "error", skips[i].why ? skips[i].why : ""));
		char *s = json_dumps(sk, JSON_COMPACT);
		printf("  \"skipped\": %s,\n", s ? s : "[]");
		free(s);
		json_decref(sk);
		if (a.png) {
			s = json_dumps(o.files, 0);
			printf("  \"files\": %s\n}\n", s ? s : "[]");
			free(s);
		} else {
			json_t *name = json_string(a.out);
			s = json_dumps(name, JSON_ENCODE_ANY);
			printf("  \"output\": %s\n}\n", j.printed && s ? s : "null");
			free(s);
			json_decref(name);
		}
		fflush(stdout);
	}
	if (!a.quiet && j.printed && !a.json)
		fprintf(stderr, "phr %s: %zu record%s, %zu page%s (%s): %s%s\n", verb, j.printed, j.printed == 1 ? "" : "s",
			j.pages, j.pages == 1 ? "" : "s", phr_layout_name(layout), a.png ? o.stem : a.out,
			a.png ? "-NN.png" : "");
out:
	sodium_memzero(j.key, sizeof(j.key));
	for (size_t i = 0; i < n_skips; i++) {
		free(skips[i].file);
		free(skips[i].why);
	}
	free(skips);
	source_close(&src);
	phr_print_doc_destroy(j.doc);
	phr_trust_destroy(j.trust);
	phr_layout_destroy(layout);
	free(j.rep);
	free(o.stem);
	json_decref(o.files);
	return ex;
}
