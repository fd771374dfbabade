/* phr verify, phr show */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "phr/container.h"
#include "phr/document.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/render.h"
#include "phr/schema.h"
#include "phr/verify.h"

static const char verify_usage[] =
	"Usage: phr verify --trust TRUST.bundle [--authority AUTH.pub] [--format text|json]\n"
	"                  [--document FILE]... [--holder-key KEY.txt|--holder-key-qr PICTURE] RECORD.phr\n"
	"\n"
	"Checks every entry: signature, signer's certificate (embedded or in the\n"
	"bundle), revocation, validity at signing time, and the chain. Prints one\n"
	"line per entry. Exits 0 only if every entry is valid; otherwise with the\n"
	"code of the first failing entry (10 bad signature, 11 unknown signer,\n"
	"12 revoked, 13 certificate not valid, 14 chain broken, 15 malformed entry).\n"
	"  --authority AUTH.pub  accept the bundle only if this authority signed it\n"
	"  --document FILE       also say whether FILE's bytes are a document an entry\n"
	"                        signed (by BLAKE2b-256 hash, size and media type);\n"
	"                        repeatable. Exit 37 when one is not (and the record\n"
	"                        is valid), else as above.\n"
	"  --holder-key KEY.txt  also open every sealed part with the holder key: a\n"
	"                        line per sealed entry; exit 38 when one does not open\n"
	"                        (and the record is valid). Without it sealed parts are\n"
	"                        verified (the signature covers them), not opened.\n"
	"  --holder-key-qr PICTURE  the same, the key read from a photo or scan of the\n"
	"                        key slip's QR code (exit 39 when none is read)\n";

static const char show_usage[] =
	"Usage: phr show [--trust TRUST.bundle] [--authority AUTH.pub] [--lang LL]\n"
	"                [--format text|json] [--entry N]\n"
	"                [--holder-key KEY.txt|--holder-key-qr PICTURE] RECORD.phr\n"
	"\n"
	"Shows a record entry by entry, each marked with its verification status.\n"
	"A record that does not verify is still shown, clearly marked.\n"
	"  --lang LL        language of the text summary (default: from LANG, else en)\n"
	"  --format json    the record and report as JSON; entries' \"content\" is the\n"
	"                   input format of 'phr issue' and 'phr extend'\n"
	"  --entry N        print only entry N's content, in the input JSON format\n"
	"  --holder-key KEY.txt  show sealed sections too (docs/PRIVACY.md); without\n"
	"                   it an entry says \"sealed: N sections\" and shows none of them\n"
	"  --holder-key-qr PICTURE  the key read from a photo or scan of the key slip's\n"
	"                   QR code instead\n"
	"Exit status: 0 when the record was shown (whatever its status), 3 if it\n"
	"cannot be read at all, 38 if it was shown but a sealed part did not open\n"
	"with the --holder-key given, 39 if --holder-key-qr's picture holds no key code.\n";

#define VERIFY_MAX_DOCUMENTS 64 /* --document options one verify takes */

struct view_args {
	const char *trust, *pin, *lang, *format, *file, *holder_key, *holder_key_qr;
	long entry;
	const char *docs[VERIFY_MAX_DOCUMENTS];
	size_t ndocs;
};

static int parse(const char *verb, int argc, char **argv, struct view_args *a, const char *usage)
{
	static const struct option opts[] = {
		{ "trust", required_argument, 0, 't' }, { "authority", required_argument, 0, 'a' },
		{ "lang", required_argument, 0, 'l' }, { "format", required_argument, 0, 'f' },
		{ "entry", required_argument, 0, 'e' }, { "document", required_argument, 0, 'd' },
		{ "holder-key", required_argument, 0, 'k' }, { "holder-key-qr", required_argument, 0, 'Q' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
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
		case 'k': a->holder_key = optarg; break;
		case 'Q': a->holder_key_qr = optarg; break;
		case 'f': a->format = optarg; break;
		case 'e': {
			char *end;
			a->entry = strtol(optarg, &end, 10);
			if (*end || !*optarg || a->entry < 0)
				return cli_usage(verb, "--entry takes an entry number from 0");
			break;
		}
		case 'd':
			if (a->ndocs == VERIFY_MAX_DOCUMENTS)
				return cli_usage(verb, "too many --document options");
			a->docs[a->ndocs++] = optarg;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one RECORD.phr");
	if (a->ndocs && strcmp(verb, "verify"))
		return cli_usage(verb, "--document is an option of 'phr verify'");
	for (size_t i = 0; i < a->ndocs; i++)
		if (!strcmp(a->docs[i], "-") && !strcmp(argv[optind], "-"))
			return cli_usage(verb, "the record and a --document cannot both be standard input");
	if (strcmp(a->format, "text") && strcmp(a->format, "json"))
		return cli_usage(verb, "--format is text or json");
	if (a->holder_key && a->holder_key_qr)
		return cli_usage(verb, "--holder-key and --holder-key-qr: one of them");
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

/* What --document FILE found. */
enum doc_verdict { DOC_VERIFIED, DOC_ENTRY_NOT_VALID, DOC_DIFFERS, DOC_UNKNOWN, DOC_UNREADABLE };

struct doc_check {
	enum doc_verdict verdict;
	long entry;                   /* the entry whose reference matched, or -1 */
	struct phr_document_ref ref;  /* that reference */
	char hash[2 * PHR_DOCUMENT_HASH_LEN + 1];
	const char *found;            /* media type by content, or NULL */
	size_t size;
	char why[200];
};

/* Looks for FILE's hash among the references of every entry; a valid entry
 * that signed it wins over one that is not valid. */
static int check_document(const struct phr_record *r, const struct phr_report *rep, const char *path,
			  struct doc_check *c)
{
	uint8_t *b = NULL, hash[PHR_DOCUMENT_HASH_LEN];
	size_t n;
	int rc;
	memset(c, 0, sizeof(*c));
	c->entry = -1;
	if ((rc = cli_read(path, PHR_MAX_DOCUMENT, &b, &n))) {
		if (rc == PHR_E_LIMIT) { /* larger than any document a record may refer to */
			c->verdict = DOC_UNKNOWN;
			snprintf(c->why, sizeof(c->why), "larger than PHR_MAX_DOCUMENT (%u bytes): no entry can refer to it",
				 PHR_MAX_DOCUMENT);
			return PHR_OK;
		}
		c->verdict = DOC_UNREADABLE;
		snprintf(c->why, sizeof(c->why), "%s", phr_last_error());
		return rc;
	}
	c->size = n;
	if ((rc = phr_document_hash(b, n, hash))) {
		free(b);
		return rc;
	}
	if (phr_document_sniff(b, n, &c->found) != PHR_OK)
		c->found = NULL;
	free(b);
	for (size_t i = 0; i < PHR_DOCUMENT_HASH_LEN; i++)
		snprintf(c->hash + 2 * i, 3, "%02x", hash[i]);
	c->verdict = DOC_UNKNOWN;
	snprintf(c->why, sizeof(c->why), "no entry of this record refers to a document with its hash");
	for (size_t i = 0; i < r->n_entries && c->verdict != DOC_VERIFIED; i++) {
		struct phr_document_ref refs[PHR_MAX_DOCUMENTS];
		size_t k;
		if (!r->entries[i].content ||
		    phr_document_refs(r->entries[i].content, r->entries[i].content_len, refs, PHR_MAX_DOCUMENTS, &k))
			continue;
		for (size_t j = 0; j < k && j < PHR_MAX_DOCUMENTS; j++) {
			if (sodium_memcmp(refs[j].hash, hash, PHR_DOCUMENT_HASH_LEN) != 0)
				continue;
			bool valid = rep->entries[i].status == PHR_ST_VALID;
			if (c->entry >= 0 && !valid)
				continue; /* keep the first; a valid one replaces it below */
			c->entry = (long)i;
			c->ref = refs[j];
			if (refs[j].size != n || !c->found || strcmp(refs[j].media_type, c->found)) {
				c->verdict = DOC_DIFFERS;
				snprintf(c->why, sizeof(c->why), "entry %zu signed its hash, but as %llu bytes of %s, and it is %zu bytes of %s",
					 i, (unsigned long long)refs[j].size, refs[j].media_type, n,
					 c->found ? c->found : "no accepted type");
			} else if (!valid) {
				c->verdict = DOC_ENTRY_NOT_VALID;
				snprintf(c->why, sizeof(c->why), "entry %zu refers to it, but that entry is not valid (%s)", i,
					 phr_status_name(rep->entries[i].status));
			} else {
				c->verdict = DOC_VERIFIED;
				break;
			}
		}
	}
	return PHR_OK;
}

static const char *const doc_verdict_name[] = { "verified", "entry_not_valid", "differs", "not_signed", "unreadable" };

/* Checks every --document; prints a line each (text) or adds "documents"
 * to j (JSON). Returns EXIT_DOC_MISMATCH when one is not verified, else
 * EXIT_OK_ (EXIT_IO when a file cannot be read). */
static int verify_documents(const char *verb, const struct phr_record *r, const struct phr_report *rep,
			    const struct view_args *a, json_t *j)
{
	int ex = EXIT_OK_;
	json_t *arr = j ? json_array() : NULL;
	for (size_t i = 0; i < a->ndocs; i++) {
		struct doc_check c;
		int rc = check_document(r, rep, a->docs[i], &c);
		if (rc && c.verdict != DOC_UNREADABLE) {
			json_decref(arr);
			return cli_fail(verb, rc, a->docs[i]);
		}
		if (c.verdict == DOC_UNREADABLE) {
			fprintf(stderr, "phr %s: %s\n", verb, c.why);
			if (!ex)
				ex = EXIT_IO;
		} else if (c.verdict != DOC_VERIFIED && ex != EXIT_IO) {
			ex = EXIT_DOC_MISMATCH;
		}
		if (arr) {
			json_t *d = json_pack("{s:s, s:s, s:b}", "file", a->docs[i], "verdict", doc_verdict_name[c.verdict],
					      "verified", c.verdict == DOC_VERIFIED);
			if (d && c.hash[0])
				json_object_set_new(d, "hash", json_string(c.hash));
			if (d && c.entry >= 0) {
				json_object_set_new(d, "entry", json_integer(c.entry));
				json_object_set_new(d, "title", json_string(c.ref.title));
				json_object_set_new(d, "type", json_string(c.ref.type));
				json_object_set_new(d, "media_type", json_string(c.ref.media_type));
				json_object_set_new(d, "size", json_integer((json_int_t)c.ref.size));
			}
			if (d && c.verdict != DOC_VERIFIED)
				json_object_set_new(d, "detail", json_string(c.why));
			if (!d || json_array_append_new(arr, d)) {
				json_decref(arr);
				return cli_fail(verb, PHR_E_NOMEM, NULL);
			}
		} else if (c.verdict == DOC_VERIFIED) {
			char title[3 * PHR_MAX_DOCUMENT_TITLE + 1];
			phr_text_sanitize(title, sizeof(title), c.ref.title, strlen(c.ref.title));
			printf("document %s: verified: entry %ld signed it, \"%s\" (%s, %s, %llu bytes)\n", a->docs[i], c.entry,
			       title, c.ref.type, c.ref.media_type, (unsigned long long)c.ref.size);
		} else if (c.verdict != DOC_UNREADABLE) {
			printf("document %s: NOT VERIFIED: %s%s%s\n", a->docs[i], c.why, c.hash[0] ? "; BLAKE2b-256 " : "",
			       c.hash);
		}
	}
	if (arr)
		json_object_set_new(j, "documents", arr);
	return ex;
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
	int sex = cli_unseal_any(verb, r, a.holder_key, a.holder_key_qr); /* what --holder-key found */
	if (sex && sex != EXIT_SEAL) {
		phr_record_destroy(r);
		phr_trust_destroy(t);
		free(rep);
		return sex;
	}
	int dex = EXIT_OK_; /* what --document found */
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
			json_array_foreach(json_object_get(j, "branch_b"), i, e)
				json_object_del(e, "content");
			dex = verify_documents(verb, r, rep, &a, j);
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
		/* A merged record: the side branch's entries, each with its
		 * status, and where the branches were joined, by whom. */
		for (size_t j = 0; j < rep->n_side; j++) {
			const struct phr_entry_report *e = &rep->side[j];
			unsigned long long n = (unsigned long long)(r->side[0].content_err ? j : r->side[0].index + j);
			phr_kid_to_hex(e->kid, kid);
			phr_format_time(e->signed_at, when);
			if (e->have_signer)
				printf("branch B entry %llu: %-14s %s (%s) key %s signed %s — %s\n", n,
				       phr_status_name(e->status), e->clinic, e->country, kid, when, e->detail);
			else
				printf("branch B entry %llu: %-14s unidentified signer, key %s, signed %s — %s\n", n,
				       phr_status_name(e->status), kid, when, e->detail);
		}
		if (rep->merge_at >= 0) {
			const struct phr_entry_report *m = &rep->entries[rep->merge_at];
			printf("merged at entry %d by %s%s%s%s: branch A is entries %llu to %d, branch B entries %llu to %llu\n",
			       rep->merge_at, m->have_signer ? m->clinic : "an unidentified signer", m->have_signer ? " (" : "",
			       m->have_signer ? m->country : "", m->have_signer ? ")" : "",
			       (unsigned long long)r->entries[rep->merge_at].merge_fork, rep->merge_at - 1,
			       (unsigned long long)r->entries[rep->merge_at].merge_fork,
			       (unsigned long long)(r->entries[rep->merge_at].merge_fork + rep->n_side - 1));
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
		if (rep->n_side)
			printf(", and %zu in branch B", rep->n_side);
		printf(", %s\n", rep->all_valid ? "all valid" : "NOT VALID");
		for (size_t i = 0; (a.holder_key || a.holder_key_qr) && i < r->n_entries; i++) {
			const struct phr_entry *en = &r->entries[i];
			if (en->sealed && en->seal_state == 1)
				printf("entry %zu: sealed: %u section%s, opened with the holder key%s%s\n", i, en->sealed_sections,
				       en->sealed_sections == 1 ? "" : "s", en->seal_why[0] ? ": " : "", en->seal_why);
			else if (en->sealed)
				printf("entry %zu: sealed: %u section%s, NOT OPENED\n", i, en->sealed_sections,
				       en->sealed_sections == 1 ? "" : "s");
		}
		for (size_t j = 0; (a.holder_key || a.holder_key_qr) && j < r->n_side; j++) {
			const struct phr_entry *en = &r->side[j];
			unsigned long long n = (unsigned long long)(r->side[0].content_err ? j : r->side[0].index + j);
			if (en->sealed && en->seal_state == 1)
				printf("branch B entry %llu: sealed: %u section%s, opened with the holder key%s%s\n", n,
				       en->sealed_sections, en->sealed_sections == 1 ? "" : "s", en->seal_why[0] ? ": " : "",
				       en->seal_why);
			else if (en->sealed)
				printf("branch B entry %llu: sealed: %u section%s, NOT OPENED\n", n, en->sealed_sections,
				       en->sealed_sections == 1 ? "" : "s");
		}
		dex = verify_documents(verb, r, rep, &a, NULL);
	}
	if (!ex)
		ex = cli_exit_code(phr_report_error(rep));
	if (!ex)
		ex = dex;
	if (!ex)
		ex = sex;
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
			if (e->sealed && e->seal_state != 1)
				fprintf(stderr, "phr %s: entry %ld: sealed: %u section%s not shown (%s)\n", verb, v->entry,
					e->sealed_sections, e->sealed_sections == 1 ? "" : "s",
					e->seal_state ? "they did not open with the holder key" : "--holder-key KEY.txt shows them");
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
	int sex = cli_unseal_any(verb, r, a.holder_key, a.holder_key_qr);
	if (sex && sex != EXIT_SEAL) {
		phr_record_destroy(r);
		phr_trust_destroy(t);
		return sex;
	}
	ex = cli_view_record(verb, r, t, &v, NULL);
	if (!ex)
		ex = sex;
	phr_record_destroy(r);
	phr_trust_destroy(t);
	return ex;
}
