/* phr attach: a signed follow-up entry that refers to a document (a lab
 * result, an imaging report, a letter) by its hash; the bytes stay out of
 * the record. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "phr/container.h"
#include "phr/document.h"
#include "phr/register.h"
#include "phr/json.h"
#include "phr/render.h"
#include "phr/verify.h"

static const char attach_usage[] =
	"Usage: phr attach --key CLINIC.key --cert CLINIC.cert --in RECORD.phr\n"
	"                  --file DOCUMENT --type TYPE --title TEXT --out NEW.phr\n"
	"                  [--media-type TYPE] [--trust TRUST.bundle] [--force]\n"
	"                  [--register DB] [--no-embed-cert] [--passphrase-file F]\n"
	"\n"
	"Adds a signed follow-up entry, dated today, that refers to a document by\n"
	"its BLAKE2b-256 hash, size, media type and title. The document's bytes are\n"
	"not put in the record (nor in its QR codes or card): keep the file, or file\n"
	"it in a register with --register; 'phr verify --document FILE' tells\n"
	"whether a file is the one the entry signed.\n"
	"The document must be a PDF, PNG or JPEG file, told by its content, of at\n"
	"most 16 MiB. A file named .pdf, .png, .jpg or .jpeg must hold that type\n"
	"(so must --media-type when given); otherwise it is refused (exit 36).\n"
	"  --type TYPE        lab_result, imaging_report, discharge_letter,\n"
	"                     referral_letter, prescription or other ('-' for '_' too)\n"
	"  --title TEXT       what the document is, 1 to 200 bytes (\"Chest X-ray report\")\n"
	"  --media-type TYPE  application/pdf, image/png or image/jpeg\n"
	"  --register DB      also keep the document's bytes in the clinic's register\n"
	"The record is checked first, as 'phr extend' does: with --trust every entry\n"
	"must be valid, without it every signature and the chain; --force attaches\n"
	"to a record that does not verify. The key must be a clinic's, and the\n"
	"certificate for it and valid now.\n";

struct attach_args {
	const char *key, *cert, *in, *out, *file, *type, *title, *media_type, *passfile, *trust, *db;
	int embed, force;
};

static int parse(const char *verb, int argc, char **argv, struct attach_args *a)
{
	static const struct option opts[] = {
		{ "key", required_argument, 0, 'k' }, { "cert", required_argument, 0, 'c' },
		{ "in", required_argument, 0, 'i' }, { "out", required_argument, 0, 'o' },
		{ "file", required_argument, 0, 'F' }, { "type", required_argument, 0, 'T' },
		{ "title", required_argument, 0, 'N' }, { "media-type", required_argument, 0, 'm' },
		{ "passphrase-file", required_argument, 0, 'p' }, { "trust", required_argument, 0, 't' },
		{ "register", required_argument, 0, 'r' }, { "no-embed-cert", no_argument, 0, 'n' },
		{ "force", no_argument, 0, 'f' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	int c;
	memset(a, 0, sizeof(*a));
	a->embed = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': a->key = optarg; break;
		case 'c': a->cert = optarg; break;
		case 'i': a->in = optarg; break;
		case 'o': a->out = optarg; break;
		case 'F': a->file = optarg; break;
		case 'T': a->type = optarg; break;
		case 'N': a->title = optarg; break;
		case 'm': a->media_type = optarg; break;
		case 'p': a->passfile = optarg; break;
		case 't': a->trust = optarg; break;
		case 'r': a->db = optarg; break;
		case 'n': a->embed = 0; break;
		case 'f': a->force = 1; break;
		case 'h': fputs(attach_usage, stdout); return -1;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(verb, "unexpected argument");
	if (!a->key || !a->cert || !a->in || !a->out || !a->file || !a->type || !a->title)
		return cli_usage(verb, "--key, --cert, --in, --out, --file, --type and --title are required");
	if (!strcmp(a->in, "-") && !strcmp(a->file, "-"))
		return cli_usage(verb, "--in and --file cannot both be standard input");
	if (a->media_type) {
		int known = 0;
		for (size_t i = 0; phr_document_media_type(i); i++)
			known |= !strcmp(a->media_type, phr_document_media_type(i));
		if (!known)
			return cli_usage(verb, "--media-type is application/pdf, image/png or image/jpeg");
	}
	return EXIT_OK_;
}

/* The media type a file's name declares (by its extension), or NULL when
 * the name says nothing this command knows. */
static const char *declared_by_name(const char *path)
{
	static const struct {
		const char *ext, *type;
	} ext[] = { { ".pdf", "application/pdf" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
		    { ".jpeg", "image/jpeg" }, { ".jpe", "image/jpeg" } };
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcasecmp(dot, ext[i].ext))
			return ext[i].type;
	return NULL;
}

/* ---- the register ----
 * With --register, the document's bytes are kept in the register before the
 * record that refers to them is written; the new version is then filed as
 * phr extend --register files it, which links the document to the record. */
static int attach_store(const char *db, const uint8_t hash[PHR_DOCUMENT_HASH_LEN], const char *media_type,
			const uint8_t *bytes, size_t len)
{
	struct phr_register *reg;
	int rc = phr_register_open(db, 0, &reg);
	if (rc)
		return phr_fail_wrap(rc, "%s", db);
	rc = phr_register_put_document(reg, hash, media_type, bytes, len);
	phr_register_close(reg);
	return rc;
}

/* Today's date at now, UTC, "YYYY-MM-DD". */
static void today(uint64_t now, char out[16])
{
	int y, m, d;
	phr_civil_from_days((int64_t)(now / 86400) + 25567, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

int cmd_attach(int argc, char **argv)
{
	const char *verb = "attach";
	struct attach_args a;
	int ex = parse(verb, argc, argv, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	char type[32];
	snprintf(type, sizeof(type), "%s", a.type);
	for (char *p = type; *p; p++)
		if (*p == '-')
			*p = '_';
	if (!phr_document_type_known(type))
		return cli_usage(verb, "--type is lab_result, imaging_report, discharge_letter, referral_letter, "
				       "prescription or other");

	uint8_t *buf = NULL, *doc = NULL, *content = NULL, *cert = NULL;
	size_t len, doclen, clen, certlen;
	struct phr_seckey *key = NULL;
	struct phr_record *r = NULL;
	struct phr_trust *trust = NULL;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	struct phr_document_ref ref;
	uint64_t now = cli_now();
	int rc;
	if (!rep)
		return cli_fail(verb, PHR_E_NOMEM, NULL);

	/* the document first: a refused file costs no passphrase */
	if ((rc = cli_read(a.file, PHR_MAX_DOCUMENT, &doc, &doclen))) {
		if (rc == PHR_E_LIMIT)
			rc = phr_fail(PHR_E_MEDIA, "%s is larger than PHR_MAX_DOCUMENT (%u bytes, %u MiB)", a.file,
				      PHR_MAX_DOCUMENT, PHR_MAX_DOCUMENT >> 20);
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	const char *declared = a.media_type ? a.media_type : declared_by_name(a.file);
	if ((rc = phr_document_ref_make(doc, doclen, declared, type, a.title, &ref))) {
		ex = cli_fail(verb, rc, a.file);
		goto out;
	}

	if ((ex = cli_load_to_sign(verb, a.in, a.trust, a.force, "attach to", now, &trust, &buf, &len, &r, rep)))
		goto out;

	char date[16];
	today(now, date);
	if ((rc = phr_document_entry(date, &ref, 1, &content, &clen))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if ((ex = cli_load_signer(verb, a.key, a.cert, a.passfile, now, &key, &cert, &certlen)))
		goto out;
	if ((rc = phr_record_append(r, key, a.embed ? cert : NULL, certlen, content, clen, now))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	/* the bytes are kept before a record that refers to them is written */
	if (a.db && (rc = attach_store(a.db, ref.hash, ref.media_type, doc, doclen))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if ((ex = cli_write_record(verb, r, r->compression, a.out, a.db, trust)))
		goto out;
	char hex[2 * PHR_DOCUMENT_HASH_LEN + 1];
	for (size_t i = 0; i < PHR_DOCUMENT_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", ref.hash[i]);
	fprintf(stderr, "phr %s: entry %zu refers to %s (%s, %zu bytes, BLAKE2b-256 %s)\n", verb, r->n_entries - 1,
		a.file, ref.media_type, doclen, hex);
out:
	free(rep);
	free(buf);
	free(doc);
	free(content);
	free(cert);
	phr_record_destroy(r);
	phr_seckey_destroy(key);
	phr_trust_destroy(trust);
	return ex;
}
