/* phr qr: a record as QR codes, one image file per code. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "phr/chunk.h"
#include "phr/container.h"
#include "phr/qrimage.h"
#include "phr/render.h"

static const char qr_usage[] =
	"Usage: phr qr --out-dir DIR [--ecc L|M|Q|H] [--max-version N] [--parity M]\n"
	"              [--bytes] [--svg] [--module-px N] [--format text|json] RECORD.phr\n"
	"\n"
	"Cuts a record into QR codes and writes one PNG per code, named in order:\n"
	"DIR/code-01-of-04.png, DIR/code-02-of-04.png, ... Print them; 'phr scan'\n"
	"reads them back in any order, several to a page, from scans or photos.\n"
	"  --ecc L|M|Q|H     error correction level of each code (default M)\n"
	"  --max-version N   largest QR version, 1 to 40 (default 20): a bigger\n"
	"                    record takes more codes rather than denser ones\n"
	"  --parity M        M extra codes, so that any M codes may be lost (default 0)\n"
	"  --bytes           QR byte mode instead of Base45 text: slightly smaller,\n"
	"                    but phone scanner apps that hand over text may mangle it\n"
	"  --svg             also write DIR/code-NN-of-NN.svg, sized for print\n"
	"  --module-px N     pixels per QR module (default 6: 0.51 mm at 300 dpi)\n"
	"  --format json     print every code's file and payload as JSON\n";

#define QUIET_MODULES 4  /* the quiet zone ISO/IEC 18004 asks for */
#define PRINT_DPI 300.0  /* --module-px is meant in dots of a printer of this resolution */
#define DEFAULT_MODULE_PX 6

struct qr_args {
	const char *out_dir, *file;
	int ecc, max_version, mode, svg, module_px, json;
	unsigned parity;
};

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse(const char *verb, int argc, char **argv, struct qr_args *a)
{
	static const struct option opts[] = {
		{ "out-dir", required_argument, 0, 'o' }, { "ecc", required_argument, 0, 'e' },
		{ "max-version", required_argument, 0, 'v' }, { "parity", required_argument, 0, 'p' },
		{ "bytes", no_argument, 0, 'b' }, { "svg", no_argument, 0, 's' },
		{ "module-px", required_argument, 0, 'm' }, { "format", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	long v;
	memset(a, 0, sizeof(*a));
	a->ecc = PHR_QR_DEFAULT_ECC;
	a->max_version = PHR_QR_DEFAULT_MAX_VERSION;
	a->mode = PHR_CHUNK_BASE45;
	a->module_px = DEFAULT_MODULE_PX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': a->out_dir = optarg; break;
		case 'e': {
			static const char levels[] = "LMQH";
			const char *p = strchr(levels, optarg[0]);
			if (!optarg[0] || optarg[1] || !p)
				return cli_usage(verb, "--ecc is L, M, Q or H");
			a->ecc = (int)(p - levels);
			break;
		}
		case 'v':
			if (parse_int(optarg, 1, 40, &v))
				return cli_usage(verb, "--max-version is a QR version from 1 to 40");
			a->max_version = (int)v;
			break;
		case 'p':
			if (parse_int(optarg, 0, PHR_MAX_CHUNKS - 1, &v))
				return cli_usage(verb, "--parity is a number of codes from 0 to 254");
			a->parity = (unsigned)v;
			break;
		case 'b': a->mode = PHR_CHUNK_BYTES; break;
		case 's': a->svg = 1; break;
		case 'm':
			if (parse_int(optarg, 1, 64, &v))
				return cli_usage(verb, "--module-px is a whole number of pixels from 1 to 64");
			a->module_px = (int)v;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cli_usage(verb, "--format is text or json");
			a->json = !strcmp(optarg, "json");
			break;
		case 'h': fputs(qr_usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one RECORD.phr");
	if (!a->out_dir)
		return cli_usage(verb, "--out-dir is required");
	a->file = argv[optind];
	return EXIT_OK_;
}

/* The output directory, created when missing (its parent must exist). */
static int make_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0755) == 0)
		return PHR_OK;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return PHR_OK;
	if (errno == EEXIST)
		return phr_fail(PHR_E_IO, "%s exists and is not a directory", dir);
	return phr_fail(PHR_E_IO, "cannot create the directory %s: %s", dir, strerror(errno));
}

/* DIR/code-NN-of-NN.EXT; numbers from 1, at least two digits, all as wide as the total. */
static char *code_path(const char *dir, size_t i, size_t n, const char *ext)
{
	int width = n >= 100 ? 3 : 2;
	size_t dl = strlen(dir);
	const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
	int need = snprintf(NULL, 0, "%s%scode-%0*zu-of-%0*zu.%s", dir, sep, width, i + 1, width, n, ext);
	char *p = need < 0 ? NULL : malloc((size_t)need + 1);
	if (p)
		snprintf(p, (size_t)need + 1, "%s%scode-%0*zu-of-%0*zu.%s", dir, sep, width, i + 1, width, n, ext);
	return p;
}

/* Code images in dir that this run did not write (an earlier run cut into
 * another number of codes): printed or scanned with the new ones, they
 * would bring an old record along. */
static size_t stale_codes(const char *dir, size_t n)
{
	char ours[40];
	size_t stale = 0;
	struct dirent *e;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	snprintf(ours, sizeof(ours), "code-*-of-%0*zu.*", n >= 100 ? 3 : 2, n);
	while ((e = readdir(d)))
		if (!fnmatch("code-*-of-*.png", e->d_name, 0) && fnmatch(ours, e->d_name, 0))
			stale++;
	closedir(d);
	return stale;
}

/* Draws code i and writes its PNG (and SVG). Returns a phr_err. */
static int write_code(const struct qr_args *a, const struct phr_chunk_set *set, size_t i, json_t *codes,
		      int *version)
{
	struct phr_qr *q = NULL;
	uint8_t *png = NULL;
	char *svg = NULL, *png_path = NULL, *svg_path = NULL, *hex = NULL;
	size_t png_len, svg_len;
	int rc = phr_qr_make(set->payload[i], set->len[i], a->mode, a->ecc, a->max_version, &q);
	if (rc)
		return phr_fail_wrap(rc, "code %zu of %zu", i + 1, set->n);
	*version = q->version;
	if (!(png_path = code_path(a->out_dir, i, set->n, "png")) ||
	    (a->svg && !(svg_path = code_path(a->out_dir, i, set->n, "svg")))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = phr_qr_png(q, a->module_px, QUIET_MODULES, &png, &png_len)) ||
	    (rc = cli_write(png_path, png, png_len, 0666)))
		goto out;
	if (a->svg && ((rc = phr_qr_svg(q, a->module_px * 25.4 / PRINT_DPI, QUIET_MODULES, &svg, &svg_len)) ||
		       (rc = cli_write(svg_path, svg, svg_len, 0666))))
		goto out;
	if (codes) {
		hex = malloc(2 * set->len[i] + 1);
		json_t *c = json_object();
		if (!hex || !c) {
			json_decref(c);
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
		sodium_bin2hex(hex, 2 * set->len[i] + 1, set->payload[i], set->len[i]);
		json_object_set_new(c, "number", json_integer((json_int_t)i + 1));
		json_object_set_new(c, "file", json_string(png_path));
		if (svg_path)
			json_object_set_new(c, "svg", json_string(svg_path));
		json_object_set_new(c, "version", json_integer(q->version));
		if (a->mode == PHR_CHUNK_BASE45)
			json_object_set_new(c, "payload", json_stringn((const char *)set->payload[i], set->len[i]));
		json_object_set_new(c, "payload_hex", json_string(hex));
		if (json_array_append_new(codes, c))
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
	}
out:
	phr_qr_free(q);
	free(png);
	free(svg);
	free(png_path);
	free(svg_path);
	free(hex);
	return rc;
}

int cmd_qr(int argc, char **argv)
{
	static const char *const ecc_names[] = { "L", "M", "Q", "H" };
	const char *verb = "qr";
	struct qr_args a;
	int ex = parse(verb, argc, argv, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	uint8_t *buf = NULL;
	size_t len;
	struct phr_record *r = NULL;
	struct phr_chunk_plan plan;
	struct phr_chunk_set set = { 0 };
	json_t *doc = NULL, *codes = NULL;
	char hex[33];
	int rc, max_version = 0;
	if ((rc = cli_read(a.file, PHR_MAX_CONTAINER, &buf, &len))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	/* Only a record goes out as codes: a scan must restore something phr can read. */
	if ((rc = phr_record_decode(buf, len, &r))) {
		ex = cli_fail(verb, rc, a.file);
		goto out;
	}
	phr_record_id_hex(r->id, hex);
	if ((rc = phr_chunk_plan(len, a.mode, a.ecc, a.max_version, a.parity, &plan))) {
		ex = cli_fail(verb, rc, a.file);
		if (rc == PHR_E_LIMIT)
			fprintf(stderr, "phr %s: raise --max-version (now %d), or lower --ecc (now %s) or --parity (now %u)\n",
				verb, a.max_version, ecc_names[a.ecc], a.parity);
		goto out;
	}
	if ((rc = phr_chunk_split(buf, len, &plan, &set)) || (rc = make_dir(a.out_dir))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (a.json && (!(doc = json_object()) || !(codes = json_array()))) {
		ex = cli_fail(verb, phr_fail(PHR_E_NOMEM, "out of memory"), NULL);
		goto out;
	}
	for (size_t i = 0; i < set.n; i++) {
		int v = 0;
		if ((rc = write_code(&a, &set, i, codes, &v))) {
			ex = cli_fail(verb, rc, NULL);
			goto out;
		}
		if (v > max_version)
			max_version = v;
	}
	const char *mode_name = a.mode == PHR_CHUNK_BASE45 ? "base45" : "bytes";
	if (doc) {
		json_object_set_new(doc, "record_id", json_string(hex));
		json_object_set_new(doc, "container_bytes", json_integer((json_int_t)len));
		json_object_set_new(doc, "mode", json_string(mode_name));
		json_object_set_new(doc, "ecc", json_string(ecc_names[a.ecc]));
		json_object_set_new(doc, "version", json_integer(max_version));
		json_object_set_new(doc, "k", json_integer(plan.k));
		json_object_set_new(doc, "m", json_integer(plan.m));
		json_object_set_new(doc, "module_px", json_integer(a.module_px));
		json_object_set_new(doc, "codes", codes);
		codes = NULL;
		if ((rc = cli_print_json(doc))) {
			ex = cli_fail(verb, rc, NULL);
			goto out;
		}
	}
	size_t stale = stale_codes(a.out_dir, set.n);
	if (stale)
		fprintf(stderr, "phr %s: warning: %s also holds %zu code image%s of an earlier run; remove %s before "
				"printing or scanning the directory\n",
			verb, a.out_dir, stale, stale == 1 ? "" : "s", stale == 1 ? "it" : "them");
	char *first = code_path(a.out_dir, 0, set.n, "png");
	fprintf(stderr, "phr %s: record %s, %zu bytes as %zu code%s (%u data, %u parity), QR version %d at ECC %s, %s, "
			"%d px per module: %s%s\n",
		verb, hex, len, set.n, set.n == 1 ? "" : "s", plan.k, plan.m, max_version, ecc_names[a.ecc],
		a.mode == PHR_CHUNK_BASE45 ? "Base45 text" : "byte mode", a.module_px, first ? first : a.out_dir,
		set.n > 1 ? " and on" : "");
	free(first);
out:
	json_decref(codes);
	json_decref(doc);
	phr_chunk_set_free(&set);
	phr_record_destroy(r);
	free(buf);
	return ex;
}
