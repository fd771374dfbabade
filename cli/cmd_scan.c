/* phr scan: QR codes in pictures back to a record, shown as 'phr show' does. */
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "phr/chunk.h"
#include "phr/container.h"
#include "phr/render.h"
#include "phr/scan.h"
#include "phr/schema.h"
#include "phr/seal_qr.h"

#define SAY_MAX 2048 /* longest message line, before sanitizing */

static const char scan_usage[] =
	"Usage: phr scan [--trust TRUST.bundle] [--authority AUTH.pub] [--lang LL]\n"
	"                [--format text|json] [--out RECORD.phr] [--record HEX]\n"
	"                [--verbose] [--register DB]\n"
	"                [--holder-key KEY.txt|--holder-key-qr PICTURE] IMAGE...\n"
	"\n"
	"Reads the QR codes of a record from PNG or JPEG images (scans or phone\n"
	"photos, several codes to an image, images in any order), restores the\n"
	"record, verifies it and shows it as 'phr show' does. Codes of several\n"
	"records are kept apart and each record is shown in turn. A code that is\n"
	"not phr's, or a phr code that is damaged, is reported and ignored; an\n"
	"image that cannot be read is reported and the scan goes on.\n"
	"  --lang LL        language of the text summary (default: from LANG, else en)\n"
	"  --format json    {\"scan\": what was found, \"records\": [as 'phr show' prints]}\n"
	"  --out RECORD.phr save the restored record, byte for byte as it was printed\n"
	"  --record HEX     keep only the record whose id starts with HEX\n"
	"  --verbose        one line per image on stderr (the default on a terminal)\n"
	"  --register DB    file each restored record in the clinic's register DB\n"
	"                   (exit 35 for an older copy of a version kept there, 34\n"
	"                   when consent says store: false)\n"
	"  --holder-key KEY.txt  show each restored record's sealed sections too, as\n"
	"                   'phr show' does; a sealed part that does not open with it\n"
	"                   is named, the rest of the record shown (exit 38)\n"
	"  --holder-key-qr PICTURE  the same, the key read from a photo or scan of the\n"
	"                   key slip's QR code (exit 39 when none is read there)\n"
	"A key slip's code met among the IMAGEs is reported, never shown.\n"
	"A trust bundle's codes (a 'phr trust qr' poster) are recognised: the scan\n"
	"names the bundle (version, signer), --out saves it, JSON sets say\n"
	"\"kind\": \"trust-bundle\"; 'phr trust import' is what installs one.\n"
	"Every code in every image is looked for, also after a record is complete\n"
	"(several documents in one photo).\n"
	"Exit status: 0 when every record found was restored and shown, whatever\n"
	"its verification status; 8 when codes are missing (the message says which),\n"
	"a code was seen that could not be read (the message says where), or no\n"
	"phr code was found; 3 or 6 when an image or the restored record\n"
	"cannot be read; 2 for a bad command line, or --out with several records;\n"
	"38 when a sealed part did not open with the holder key given; 39 when\n"
	"--holder-key-qr's picture holds no key code.\n";

struct scan_args {
	const char *trust, *pin, *lang, *out, *record, *register_db, *holder_key, *holder_key_qr;
	int json, verbose;
	char **images;
	size_t n_images;
};

static int parse(const char *verb, int argc, char **argv, struct scan_args *a)
{
	static const struct option opts[] = {
		{ "trust", required_argument, 0, 't' }, { "authority", required_argument, 0, 'a' },
		{ "lang", required_argument, 0, 'l' }, { "format", required_argument, 0, 'f' },
		{ "out", required_argument, 0, 'o' }, { "record", required_argument, 0, 'r' },
		{ "verbose", no_argument, 0, 'v' }, { "register", required_argument, 0, 'g' },
		{ "holder-key", required_argument, 0, 'K' }, { "holder-key-qr", required_argument, 0, 'Q' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	memset(a, 0, sizeof(*a));
	a->verbose = isatty(STDERR_FILENO);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->trust = optarg; break;
		case 'a': a->pin = optarg; break;
		case 'l': a->lang = optarg; break;
		case 'o': a->out = optarg; break;
		case 'g': a->register_db = optarg; break;
		case 'v': a->verbose = 1; break;
		case 'K': a->holder_key = optarg; break;
		case 'Q': a->holder_key_qr = optarg; break;
		case 'r': {
			size_t n = strlen(optarg);
			if (n < 2 || n > 2 * PHR_RECORD_ID_LEN || strspn(optarg, "0123456789abcdefABCDEF") != n)
				return cli_usage(verb, "--record takes 2 to 32 hex digits of a record id");
			a->record = optarg;
			break;
		}
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cli_usage(verb, "--format is text or json");
			a->json = !strcmp(optarg, "json");
			break;
		case 'h': fputs(scan_usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage(verb, "expected at least one IMAGE (PNG or JPEG)");
	if (a->holder_key && a->holder_key_qr)
		return cli_usage(verb, "--holder-key and --holder-key-qr: one of them");
	a->images = argv + optind;
	a->n_images = (size_t)(argc - optind);
	return EXIT_OK_;
}

/* What the scan met, for the messages, the JSON "scan" object and the exit status. */
struct scan_state {
	const char *verb;
	struct phr_assembler *as;
	size_t images_read, codes, not_ours, bad_checksum, malformed, duplicates;
	size_t unread;     /* codes seen in a picture that no treatment could read */
	int image_ex;      /* exit code of the first image that could not be read */
	json_t *problems;  /* with --format json */
};

/* One line on stderr with every control or bidi formatting character in
 * it (from a file name, a code's text, a message about a record) shown as
 * U+FFFD: what a scan meets never drives the terminal. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char raw[SAY_MAX], shown[3 * SAY_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	phr_text_sanitize(shown, sizeof(shown), raw, strlen(raw));
	fprintf(stderr, "%s\n", shown);
}

static void problem(struct scan_state *st, const char *image, const struct phr_code *code, const char *kind,
		    const char *detail)
{
	if (code)
		say("phr %s: %s: code at %d,%d: %s", st->verb, image, code->x, code->y, detail);
	else
		say("phr %s: %s; going on with the other images", st->verb, detail);
	if (!st->problems)
		return;
	json_t *p = json_pack("{s:s, s:s, s:s}", "image", image, "problem", kind, "detail", detail);
	if (p && code) {
		json_object_set_new(p, "x", json_integer(code->x));
		json_object_set_new(p, "y", json_integer(code->y));
	}
	json_array_append_new(st->problems, p);
}

/* A code that is not ours, as the user may recognise it: its text, or its size. */
static void describe_foreign(const struct phr_code *c, char *out, size_t cap)
{
	size_t printable = 0;
	while (printable < c->len && c->data[printable] >= 0x20 && c->data[printable] < 0x7f)
		printable++;
	if (printable == c->len)
		snprintf(out, cap, "not a phr code (\"%.*s%s\"), ignored", c->len > 60 ? 60 : (int)c->len,
			 (const char *)c->data, c->len > 60 ? "..." : "");
	else
		snprintf(out, cap, "not a phr code (%zu bytes of binary data), ignored", c->len);
}

static void add_code(struct scan_state *st, const char *image, const struct phr_code *c, size_t *phr_codes)
{
	char msg[PHR_ERRMSG_MAX + 100];
	size_t set;
	bool duplicate = false;
	st->codes++;
	phr_clear_error();
	int rc = phr_assembler_add(st->as, c->data, c->len, &set, &duplicate);
	const char *why = *phr_last_error() ? phr_last_error() : phr_strerror(rc);
	switch (rc) {
	case PHR_OK:
		(*phr_codes)++;
		st->duplicates += duplicate;
		return;
	case PHR_E_NOT_OURS:
		st->not_ours++;
		if (phr_holder_key_qr_is_key(c->data, c->len)) {
			/* a key slip: a secret, never shown, never in the JSON */
			sodium_memzero(c->data, c->len);
			problem(st, image, c, "holder_key",
				"a holder key code (a key slip), not shown; to open sealed sections give this picture as "
				"--holder-key-qr");
			return;
		}
		describe_foreign(c, msg, sizeof(msg));
		problem(st, image, c, "not_ours", msg);
		return;
	case PHR_E_CHECKSUM:
		st->bad_checksum++;
		snprintf(msg, sizeof(msg), "%s (ignored)", why);
		problem(st, image, c, "bad_checksum", msg);
		return;
	default:
		st->malformed++;
		snprintf(msg, sizeof(msg), "%s (ignored)", why);
		problem(st, image, c, rc == PHR_E_LIMIT ? "limit" : "malformed", msg);
		return;
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One image: read, decode, find codes, hand them to the assembler. A
 * failure is reported and remembered; the scan goes on. */
static void scan_image(struct scan_state *st, const char *path, size_t nth, size_t total, int verbose)
{
	char msg[PHR_ERRMSG_MAX + 100];
	uint8_t *buf = NULL;
	size_t len, phr_codes = 0;
	struct phr_image img = { 0 };
	struct phr_scan_result *res = calloc(1, sizeof(*res));
	double t0 = now_ms();
	int rc;
	if (!res) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		snprintf(msg, sizeof(msg), "%s: %s", path, phr_last_error());
	} else if ((rc = cli_read(path, PHR_MAX_IMAGE_FILE, &buf, &len))) {
		snprintf(msg, sizeof(msg), "%s", phr_last_error());
	} else {
		phr_clear_error();
		rc = phr_image_load(buf, len, &img);
		if (!rc) {
			phr_clear_error();
			rc = phr_scan_image(&img, res);
		}
		if (rc)
			snprintf(msg, sizeof(msg), "%s: %s", path,
				 *phr_last_error() ? phr_last_error() : phr_strerror(rc));
	}
	if (rc) {
		if (!st->image_ex)
			st->image_ex = cli_exit_code(rc);
		problem(st, path, NULL, "unreadable_image", msg);
	} else {
		st->images_read++;
		for (size_t i = 0; i < res->n; i++)
			add_code(st, path, &res->codes[i], &phr_codes);
		for (size_t i = 0; i < res->n_unread; i++) {
			struct phr_code at = { .x = res->unread[i].x, .y = res->unread[i].y };
			st->unread++;
			problem(st, path, &at, "unread_code",
				"a code is there but could not be read (damaged, or too small or blurred in the "
				"picture: take a closer, sharper photo of it)");
		}
		if (verbose)
			say("phr %s: [%zu/%zu] %s: %dx%d px, %zu code%s, %zu of them phr, %.0f ms", st->verb, nth, total,
			    path, img.width, img.height, res->n, res->n == 1 ? "" : "s", phr_codes, now_ms() - t0);
	}
	if (res)
		phr_scan_result_free(res);
	free(res);
	phr_image_free(&img);
	free(buf);
}

/* One set of codes (one printed record) and what became of it. */
struct found {
	struct phr_set_info info;
	char prefix[2 * PHR_CHUNK_PREFIX_BYTES + 1];
	bool wanted;            /* --record matches (or none was given) */
	uint8_t *container;     /* restored bytes */
	size_t len;
	struct phr_record *r;   /* decoded from them */
	struct phr_trust *bundle; /* or: a trust bundle's codes (docs/TRUST.md "Trust by QR") */
	long same_as;           /* the set that restored the same bytes (another cut), or -1 */
	long shown_as;          /* place in "records", or -1 */
	char detail[PHR_ERRMSG_MAX];
};

static bool hex_prefix_matches(const char *hex, const char *want)
{
	for (size_t i = 0; hex[i] && want[i]; i++)
		if (hex[i] != tolower((unsigned char)want[i]))
			return false;
	return true;
}

/* "2, 5 and 7": the missing codes as printed (numbered from 1). */
static void missing_list(const struct phr_set_info *in, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < in->n_missing && o < cap; i++) {
		const char *sep = i == 0 ? "" : i + 1 == in->n_missing ? " and " : ", ";
		int n = snprintf(out + o, cap - o, "%s%u", sep, in->missing[i] + 1u);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* A trust bundle's codes (a poster of 'phr trust qr'): restored and named,
 * never shown as a record; 'phr trust import' is what takes it. */
static void restore_bundle(struct scan_state *st, const struct scan_args *a, struct found *fs, size_t s)
{
	char list[4 * PHR_MAX_CHUNKS], kid[PHR_KID_HEX_LEN];
	struct found *f = &fs[s];
	unsigned total = f->info.k + f->info.m;
	f->wanted = !a->record;
	if (!f->wanted) {
		fprintf(stderr, "phr %s: a trust bundle: %u of %u codes, ignored (not --record %s)\n", st->verb,
			f->info.have, total, a->record);
		return;
	}
	if (!f->info.complete) {
		missing_list(&f->info, list, sizeof(list));
		snprintf(f->detail, sizeof(f->detail), "%u of %u codes read", f->info.have, total);
		fprintf(stderr, "phr %s: a trust bundle: incomplete: %u of %u codes read, code%s %s missing; %u more "
				"code%s would restore it\n",
			st->verb, f->info.have, total, f->info.n_missing == 1 ? "" : "s", list, f->info.need,
			f->info.need == 1 ? "" : "s");
		return;
	}
	phr_clear_error();
	int rc = phr_assembler_container(st->as, s, &f->container, &f->len);
	if (!rc)
		rc = phr_trust_load(f->container, f->len, &f->bundle);
	if (rc) {
		snprintf(f->detail, sizeof(f->detail), "%s", *phr_last_error() ? phr_last_error() : phr_strerror(rc));
		say("phr %s: a trust bundle: %u of %u codes read, but it cannot be restored: %s", st->verb, f->info.have,
		    total, f->detail);
		free(f->container);
		f->container = NULL;
		f->len = 0;
		return;
	}
	for (size_t i = 0; i < s; i++) {
		if (!fs[i].bundle || fs[i].len != f->len || memcmp(fs[i].container, f->container, f->len))
			continue;
		fprintf(stderr, "phr %s: the same trust bundle again, from codes of another print\n", st->verb);
		f->same_as = (long)i;
		phr_trust_destroy(f->bundle);
		f->bundle = NULL;
		free(f->container);
		f->container = NULL;
		return;
	}
	const struct phr_pubkey *signer = phr_trust_signer(f->bundle);
	phr_kid_to_hex(signer->kid, kid);
	say("phr %s: a trust bundle, version %llu, signed by \"%s\" (%s), key id %s: restored from %u of %u codes (%u "
	    "data, %u parity), %zu bytes; not a record ('phr trust import' takes it)",
	    st->verb, (unsigned long long)phr_trust_version(f->bundle), signer->name, signer->country, kid, f->info.have,
	    total, f->info.k, f->info.m, f->len);
}

/* Restores set s when complete; says on stderr what became of it. */
static void restore(struct scan_state *st, const struct scan_args *a, struct found *fs, size_t s)
{
	char list[4 * PHR_MAX_CHUNKS];
	struct found *f = &fs[s];
	f->same_as = f->shown_as = -1;
	phr_assembler_info(st->as, s, &f->info);
	if (f->info.kind == PHR_CHUNK_TRUST) {
		restore_bundle(st, a, fs, s);
		return;
	}
	for (size_t i = 0; i < PHR_CHUNK_PREFIX_BYTES; i++)
		snprintf(f->prefix + 2 * i, 3, "%02x", f->info.record_prefix[i]);
	f->wanted = !a->record || hex_prefix_matches(f->prefix, a->record);
	unsigned total = f->info.k + f->info.m;
	if (!f->wanted) {
		fprintf(stderr, "phr %s: record %s: %u of %u codes, ignored (not --record %s)\n", st->verb, f->prefix,
			f->info.have, total, a->record);
		return;
	}
	if (!f->info.complete) {
		missing_list(&f->info, list, sizeof(list));
		snprintf(f->detail, sizeof(f->detail), "%u of %u codes read", f->info.have, total);
		fprintf(stderr, "phr %s: record %s: incomplete: %u of %u codes read, code%s %s missing; %u more code%s%s "
				"would restore it\n",
			st->verb, f->prefix, f->info.have, total, f->info.n_missing == 1 ? "" : "s", list, f->info.need,
			f->info.need == 1 ? "" : "s", f->info.need < f->info.n_missing ? " (any of the missing)" : "");
		return;
	}
	phr_clear_error();
	int rc = phr_assembler_container(st->as, s, &f->container, &f->len);
	if (!rc)
		rc = phr_record_decode(f->container, f->len, &f->r);
	if (!rc && a->record) {
		char hex[33];
		phr_record_id_hex(f->r->id, hex);
		f->wanted = hex_prefix_matches(hex, a->record);
		if (!f->wanted) {
			fprintf(stderr, "phr %s: record %s: ignored (not --record %s)\n", st->verb, hex, a->record);
			phr_record_destroy(f->r);
			f->r = NULL;
			free(f->container);
			f->container = NULL;
			return;
		}
	}
	if (rc) {
		snprintf(f->detail, sizeof(f->detail), "%s", *phr_last_error() ? phr_last_error() : phr_strerror(rc));
		say("phr %s: record %s: %u of %u codes read, but the record cannot be restored: %s", st->verb, f->prefix,
		    f->info.have, total, f->detail);
		free(f->container);
		f->container = NULL;
		f->len = 0;
		return;
	}
	for (size_t i = 0; i < s; i++) {
		if (!fs[i].r || fs[i].len != f->len || memcmp(fs[i].container, f->container, f->len))
			continue;
		/* The same record printed twice, cut another way: one record. */
		fprintf(stderr, "phr %s: record %s: restored again from %u of %u codes of another print (%u data, %u "
				"parity); shown once\n",
			st->verb, f->prefix, f->info.have, total, f->info.k, f->info.m);
		f->same_as = (long)i;
		phr_record_destroy(f->r);
		f->r = NULL;
		free(f->container);
		f->container = NULL;
		return;
	}
	fprintf(stderr, "phr %s: record %s: restored from %u of %u codes (%u data, %u parity), %zu bytes\n", st->verb,
		f->prefix, f->info.have, total, f->info.k, f->info.m, f->len);
}

static json_t *set_json(const struct found *fs, size_t s)
{
	const struct found *f = &fs[s];
	const struct found *shown = f->same_as >= 0 ? &fs[f->same_as] : f;
	json_t *missing = json_array();
	for (size_t i = 0; missing && i < f->info.n_missing; i++)
		json_array_append_new(missing, json_integer(f->info.missing[i] + 1));
	json_t *j = json_pack("{s:s, s:i, s:i, s:i, s:b, s:o, s:i, s:b, s:b}", "record_id_prefix", f->prefix, "k",
			      (int)f->info.k, "m", (int)f->info.m, "have", (int)f->info.have, "complete",
			      f->info.complete, "missing", missing, "need", (int)f->info.need, "wanted", f->wanted,
			      "restored", shown->r != NULL);
	if (!j)
		return NULL;
	if (f->info.kind == PHR_CHUNK_TRUST) {
		const struct found *b = f->same_as >= 0 ? &fs[f->same_as] : f;
		json_object_set_new(j, "kind", json_string("trust-bundle"));
		json_object_del(j, "record_id_prefix");
		json_object_set_new(j, "restored", json_boolean(b->bundle != NULL));
		json_object_set_new(j, "record", json_null());
		if (b->bundle) {
			char kid[PHR_KID_HEX_LEN], issued[21], expires[21];
			const struct phr_pubkey *sg = phr_trust_signer(b->bundle);
			phr_kid_to_hex(sg->kid, kid);
			phr_format_time(phr_trust_issued(b->bundle), issued);
			phr_format_time(phr_trust_expires(b->bundle), expires);
			json_object_set_new(j, "trust_bundle",
					    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "version",
						      (json_int_t)phr_trust_version(b->bundle), "signer", kid, "signer_name",
						      sg->name, "signer_country", sg->country, "issued", issued, "expires",
						      expires, "bytes", (json_int_t)b->len));
		} else if (f->detail[0]) {
			json_object_set_new(j, "detail", json_string(f->detail));
		}
		return j;
	}
	if (shown->r) {
		char hex[33];
		phr_record_id_hex(shown->r->id, hex);
		json_object_set_new(j, "record_id", json_string(hex));
		json_object_set_new(j, "record", json_integer(shown->shown_as));
	} else {
		json_object_set_new(j, "record", json_null());
	}
	if (f->detail[0] && !shown->r)
		json_object_set_new(j, "detail", json_string(f->detail));
	json_object_set_new(j, "kind", json_string("record")); /* last: earlier members keep their order */
	return j;
}

/* {"scan": what the scan met, "records": [as 'phr show' prints them]} on stdout. */
static int print_json(const struct scan_state *st, size_t images, const struct found *fs, size_t n, json_t *records)
{
	json_t *sets = json_array();
	for (size_t s = 0; sets && s < n; s++)
		json_array_append_new(sets, set_json(fs, s));
	json_t *scan = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:O, s:o}", "images", (int)images, "images_read",
				 (int)st->images_read, "codes_found", (int)st->codes, "codes_not_ours", (int)st->not_ours,
				 "bad_checksums", (int)st->bad_checksum, "codes_malformed", (int)st->malformed,
				 "duplicates", (int)st->duplicates, "problems", st->problems, "sets", sets);
	if (scan)
		json_object_set_new(scan, "codes_unread", json_integer((json_int_t)st->unread));
	json_t *doc = scan ? json_pack("{s:o, s:O}", "scan", scan, "records", records) : NULL;
	int rc = doc ? cli_print_json(doc) : phr_fail(PHR_E_NOMEM, "out of memory");
	json_decref(doc);
	return rc;
}

/* --out: the one restored record (only wanted records are restored), written atomically. */
static int save(const char *verb, const char *out, const struct found *fs, size_t n)
{
	const struct found *one = NULL;
	size_t restored = 0;
	for (size_t i = 0; i < n; i++)
		if (fs[i].r || fs[i].bundle) {
			restored++;
			one = &fs[i];
		}
	if (restored == 1 && one->bundle) {
		int rc = cli_write(out, one->container, one->len, 0666);
		if (rc)
			return cli_fail(verb, rc, NULL);
		fprintf(stderr, "phr %s: trust bundle version %llu saved: %s\n", verb,
			(unsigned long long)phr_trust_version(one->bundle), out);
		return EXIT_OK_;
	}
	for (size_t i = 0; i < n; i++)
		if (fs[i].bundle) {
			fprintf(stderr, "phr %s: the scan holds a trust bundle and %zu other thing%s; --out saves one: scan "
					"the poster alone. %s not written\n",
				verb, restored - 1, restored == 2 ? "" : "s", out);
			return EXIT_USAGE;
		}
	if (restored == 0) {
		fprintf(stderr, "phr %s: no record restored; %s not written\n", verb, out);
		return EXIT_OK_;
	}
	bool one_id = true;
	for (size_t i = 0; i < n; i++)
		if (fs[i].r && memcmp(fs[i].r->id, one->r->id, PHR_RECORD_ID_LEN))
			one_id = false;
	if (restored > 1 && one_id) {
		fprintf(stderr, "phr %s: the scan holds %zu versions of record %s (codes of an earlier print mixed in?); "
				"scan the codes of one print only. %s not written\n",
			verb, restored, one->prefix, out);
		return EXIT_USAGE;
	}
	if (restored > 1) {
		fprintf(stderr, "phr %s: the scan holds %zu records (", verb, restored);
		for (size_t i = 0, k = 0; i < n; i++)
			if (fs[i].r)
				fprintf(stderr, "%s%s", k++ ? ", " : "", fs[i].prefix);
		fprintf(stderr, "); --out saves one: choose it with --record HEX. %s not written\n", out);
		return EXIT_USAGE;
	}
	int rc = cli_write(out, one->container, one->len, 0666);
	if (rc)
		return cli_fail(verb, rc, NULL);
	fprintf(stderr, "phr %s: record %s saved: %s\n", verb, one->prefix, out);
	return EXIT_OK_;
}

int cmd_scan(int argc, char **argv)
{
	const char *verb = "scan";
	struct scan_args a;
	struct scan_state st = { .verb = verb };
	struct phr_trust *t = NULL;
	struct found *fs = NULL;
	json_t *records = NULL;
	size_t n = 0, restored = 0, wanted = 0;
	int rc, incomplete = 0, record_ex = 0, view_ex = 0, out_ex = 0, reg_ex = 0, seal_ex = 0;
	uint8_t key[PHR_HOLDER_KEY_LEN];
	bool have_key = false;
	int ex = parse(verb, argc, argv, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	struct cli_view v = { .json = a.json, .entry = -1 };
	if ((ex = cli_view_lang(verb, a.lang, &v.lang)))
		return ex;
	if ((ex = cli_holder_key(verb, a.holder_key, a.holder_key_qr, key, &have_key)))
		return ex;
	if (a.trust && (ex = cli_load_trust(verb, a.trust, a.pin, &t))) {
		sodium_memzero(key, sizeof(key));
		return ex;
	}
	if ((rc = phr_assembler_new(&st.as)) ||
	    (a.json && (!(st.problems = json_array()) || !(records = json_array()))))
		goto nomem;

	for (size_t i = 0; i < a.n_images; i++)
		scan_image(&st, a.images[i], i + 1, a.n_images, a.verbose);

	n = phr_assembler_count(st.as);
	if (n && !(fs = calloc(n, sizeof(*fs))))
		goto nomem;
	for (size_t s = 0; s < n; s++) {
		restore(&st, &a, fs, s);
		wanted += fs[s].wanted;
		if (!fs[s].wanted)
			continue;
		if (!fs[s].info.complete)
			incomplete = 1;
		else if (!fs[s].r && !fs[s].bundle && fs[s].same_as < 0 && !record_ex)
			record_ex = EXIT_MALFORMED;
	}
	if (st.unread) {
		/* a code seen and not read may be another record's: never silent */
		incomplete = 1;
		fprintf(stderr, "phr %s: %zu code%s seen but not read (see above): a record may be missing or "
				"incomplete\n",
			verb, st.unread, st.unread == 1 ? "" : "s");
	}
	if (!wanted && st.images_read) {
		incomplete = 1;
		if (a.record)
			fprintf(stderr, "phr %s: no codes of record %s in %zu image%s\n", verb, a.record, st.images_read,
				st.images_read == 1 ? "" : "s");
		else
			fprintf(stderr, "phr %s: no phr code found in %zu image%s\n", verb, st.images_read,
				st.images_read == 1 ? "" : "s");
	}

	for (size_t s = 0; s < n; s++) {
		if (!fs[s].r || !fs[s].wanted)
			continue;
		if (!a.json && restored)
			putchar('\n');
		fs[s].shown_as = (long)restored;
		int e;
		/* sealed sections opened in memory only: --out and --register
		 * keep the record's bytes as they were printed */
		if (have_key && (e = cli_unseal_key(verb, fs[s].r, key)) && !seal_ex)
			seal_ex = e;
		e = cli_view_record(verb, fs[s].r, t, &v, records);
		if (e && !view_ex)
			view_ex = e;
		restored++;
		if (a.register_db && (e = cli_register_file(verb, a.register_db, fs[s].container, fs[s].len, t, "scanned")) &&
		    !reg_ex)
			reg_ex = e;
	}
	if (a.json && (rc = print_json(&st, a.n_images, fs, n, records)) && !view_ex)
		view_ex = cli_fail(verb, rc, NULL);
	if (a.out)
		out_ex = save(verb, a.out, fs, n);
	ex = out_ex ? out_ex
	   : view_ex ? view_ex
	   : reg_ex ? reg_ex
	   : incomplete ? EXIT_INCOMPLETE
	   : record_ex ? record_ex
	   : seal_ex ? seal_ex
	   : st.image_ex;
	goto out;
nomem:
	ex = cli_fail(verb, phr_fail(PHR_E_NOMEM, "out of memory"), NULL);
out:
	sodium_memzero(key, sizeof(key));
	for (size_t s = 0; fs && s < n; s++) {
		phr_record_destroy(fs[s].r);
		phr_trust_destroy(fs[s].bundle);
		free(fs[s].container);
	}
	free(fs);
	json_decref(records);
	json_decref(st.problems);
	phr_assembler_free(st.as);
	phr_trust_destroy(t);
	return ex;
}
