/* phr register init|add|find|show|export|documents|audit|forget|check,
 * and --register DB on issue, extend, scan and card read. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "phr/container.h"
#include "phr/document.h"
#include "phr/json.h"
#include "phr/register.h"
#include "phr/render.h"
#include "phr/schema.h"
#include "phr/seal.h"
#include "phr/verify.h"

static const char register_usage[] =
	"Usage: phr register VERB DB [...]\n"
	"\n"
	"The clinic's register: one database file (SQLite) holding every version of\n"
	"every record the clinic met, searchable, with an audit of every lookup.\n"
	"  init DB                      create a register\n"
	"  add DB RECORD.phr...         file records (also: --register DB on issue,\n"
	"                               extend, scan and card read)\n"
	"  find DB [--name ...]         search records\n"
	"  show DB RECORD-ID            the latest version, its versions and documents\n"
	"  export DB RECORD-ID --out F  the latest version as a .phr file\n"
	"  documents DB RECORD-ID       list (or write out) a record's documents\n"
	"  audit DB                     who looked up or changed what, and when\n"
	"  forget DB RECORD-ID          erase a record, leaving no byte of it behind\n"
	"  check DB                     check the file's integrity\n"
	"  report DB --from D --to D    health-status indicators, small cells hidden\n"
	"  user add|set|list DB ...     staff accounts of the web app (phr serve)\n"
	"RECORD-ID is any unique start of a record id (hex).\n"
	"'phr register VERB --help' describes a verb. Audit rows name the\n"
	"operating-system user, and the clerk in PHR_OPERATOR when it is set.\n";

static const char init_usage[] =
	"Usage: phr register init DB\n"
	"\n"
	"Creates the register DB (an SQLite file, journal DB-wal beside it). An\n"
	"existing register is opened and brought to this program's schema.\n";

static const char add_usage[] =
	"Usage: phr register add [--trust TRUST.bundle] [--authority AUTH.pub] [--document FILE]...\n"
	"                        [--holder-key KEY.txt] DB RECORD.phr...\n"
	"\n"
	"Verifies each record and files it: a new record, a new version of one, or\n"
	"one more sighting of a version already kept (versions are what their\n"
	"signatures fix, whatever the container's bytes). The verification report\n"
	"and the trust bundle version are kept with each sighting. A record whose\n"
	"latest consent says store: false is verified, not stored.\n"
	"--document FILE keeps a document's bytes (PDF, PNG, JPEG) with the records\n"
	"that refer to it: a verified entry of one of the records given must have\n"
	"signed its hash (as 'register documents --out-dir' wrote it out).\n"
	"Sealed sections are indexed and counted in reports only with --holder-key\n"
	"KEY.txt (the record's holder key; records it is not the key of are filed\n"
	"without it, exit 38); without it no byte of them is written to the\n"
	"register. Entries filed before without the key keep their index ('register\n"
	"forget', then add with the key, indexes them).\n"
	"Exit status: 0 all filed; 35 a record is an older copy of a version kept\n"
	"(filed all the same; the newer one is named); 34 consent refused storing;\n"
	"10-16 an entry failed verification (filed, marked); 3 or 6 a file\n"
	"cannot be read; 30-32 the database failed; 36 a document is not a PDF, PNG\n"
	"or JPEG; 37 no verified entry of these records signed a document.\n";

static const char find_usage[] =
	"Usage: phr register find DB [--name TEXT] [--born DATE] [--sex S] [--nationality CC]\n"
	"                        [--arrived FROM..TO] [--code SYSTEM:CODE] [--clinic TEXT]\n"
	"                        [--visited FROM..TO] [--record HEXPREFIX] [--field PATH=VALUE]\n"
	"                        [--format text|json]\n"
	"\n"
	"Records matching every option given, best first. Names match in any script,\n"
	"ranked exact > transliterated > fuzzy, with why each matched.\n"
	"  --born DATE       YYYY, YYYY-MM or YYYY-MM-DD (a partial date matches the\n"
	"                    dates in it)\n"
	"  --sex S           female, male, other or unknown\n"
	"  --arrived A..B    migration.arrival from A to B (dates as --born; either side\n"
	"                    may be left out)\n"
	"  --code S:C        a code anywhere in the record (icd11, icd10, atc, loinc, snomed)\n"
	"  --clinic TEXT     part of the name of a clinic that signed an entry\n"
	"  --visited A..B    an entry (a visit) dated from A to B\n"
	"  --field P=V       any indexed field by its path (migration.host_country=DE,\n"
	"                    identity.origin=SY, identity.languages=ar)\n"
	"Exit status: 0 (also when nothing matches; the count is printed).\n";

static const char show_usage[] =
	"Usage: phr register show [--trust TRUST.bundle] [--authority AUTH.pub] [--lang LL]\n"
	"                        [--format text|json] DB RECORD-ID\n"
	"\n"
	"Shows the latest version as 'phr show' does (verified now, against --trust\n"
	"when given), then every version kept with where and when it was met, and the\n"
	"record's documents. Exit status 33 when the register holds no such record.\n";

static const char export_usage[] =
	"Usage: phr register export DB RECORD-ID --out RECORD.phr\n"
	"\n"
	"Writes the latest version, byte for byte as it was first met.\n";

static const char documents_usage[] =
	"Usage: phr register documents [--out-dir DIR] DB RECORD-ID\n"
	"\n"
	"Lists the record's documents (hash, type, size, or \"not on this machine\");\n"
	"with --out-dir each one kept is checked against its hash and written to\n"
	"DIR/HASH.EXT (DIR is made, mode 0700, if it does not exist).\n";

static const char audit_usage[] =
	"Usage: phr register audit [--format text|json] DB\n"
	"\n"
	"Prints the audit: when, who, what (add, find, show, export, documents,\n"
	"forget, check) and which record. Searches name the fields asked, never the\n"
	"values; a forgotten record's rows lose its id.\n";

static const char forget_usage[] =
	"Usage: phr register forget DB RECORD-ID\n"
	"\n"
	"Erases the record: its versions, sightings, index rows and documents; then\n"
	"the journal is emptied and the file rebuilt, so no byte of it is left.\n";

static const char check_usage[] =
	"Usage: phr register check DB\n"
	"\n"
	"Checks the file (SQLite's integrity and foreign-key checks) and that every\n"
	"stored record still decodes to the version it is kept as, and every document\n"
	"to its hash. Exit status 0 when sound, 31 when damaged.\n";

#define MAX_FILES 4096

struct reg_args {
	const char *trust, *pin, *lang, *format, *out, *out_dir, *holder_key;
	struct phr_register_query q;
	char *field_buf;
	char **pos;
	size_t n_pos;
	const char *docs[PHR_MAX_DOCUMENTS * 4]; /* register add --document */
	size_t n_docs;
};

enum {
	R_TRUST = 1 << 0, R_LANG = 1 << 1, R_FORMAT = 1 << 2, R_OUT = 1 << 3, R_OUT_DIR = 1 << 4, R_FIND = 1 << 5, R_DOCUMENT = 1 << 6,
	R_HOLDER = 1 << 7,
};

/* "YYYY[-MM[-DD]]" -> its first (last: its last) day. */
static int parse_day(const char *s, size_t n, bool last, int64_t *day)
{
	int y, m = 1, d = 1;
	char buf[11];
	if (n != 4 && n != 7 && n != 10)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!(isdigit((unsigned char)buf[i]) || ((i == 4 || i == 7) && buf[i] == '-')))
			return -1;
	y = atoi(buf);
	if (n >= 7)
		m = atoi(buf + 5);
	if (n == 10)
		d = atoi(buf + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	if (!last || n == 10) {
		*day = phr_days_from_civil(y, m, d);
	} else if (n == 7) {
		*day = (m == 12 ? phr_days_from_civil(y + 1, 1, 1) : phr_days_from_civil(y, m + 1, 1)) - 1;
	} else {
		*day = phr_days_from_civil(y + 1, 1, 1) - 1;
	}
	int yy, mm, dd;
	phr_civil_from_days(phr_days_from_civil(y, m, d), &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? 0 : -1;
}

/* FROM..TO (dates as parse_day; a side may be left out) into [*from, *to]. */
static int parse_range(const char *verb, const char *opt, const char *s, int64_t *from, int64_t *to)
{
	char msg[160];
	const char *dots = strstr(s, "..");
	*from = INT32_MIN;
	*to = INT32_MAX;
	if (!dots || (dots == s && !dots[2])) {
		snprintf(msg, sizeof(msg), "%s is FROM..TO (dates YYYY, YYYY-MM or YYYY-MM-DD; one side may be left out)",
			 opt);
		return cli_usage(verb, msg);
	}
	if ((dots > s && parse_day(s, (size_t)(dots - s), false, from)) ||
	    (dots[2] && parse_day(dots + 2, strlen(dots + 2), true, to))) {
		snprintf(msg, sizeof(msg), "%s: a date is not YYYY, YYYY-MM or YYYY-MM-DD", opt);
		return cli_usage(verb, msg);
	}
	return EXIT_OK_;
}

static int parse(const char *verb, int argc, char **argv, unsigned allow, const char *usage, size_t min_pos,
		 size_t max_pos, struct reg_args *a)
{
	static const struct option opts[] = {
		{ "trust", required_argument, 0, 't' }, { "authority", required_argument, 0, 'a' },
		{ "lang", required_argument, 0, 'l' }, { "format", required_argument, 0, 'f' },
		{ "out", required_argument, 0, 'o' }, { "out-dir", required_argument, 0, 'D' },
		{ "name", required_argument, 0, 'n' }, { "born", required_argument, 0, 'b' },
		{ "sex", required_argument, 0, 's' }, { "nationality", required_argument, 0, 'N' },
		{ "arrived", required_argument, 0, 'A' }, { "code", required_argument, 0, 'c' },
		{ "clinic", required_argument, 0, 'C' }, { "record", required_argument, 0, 'r' },
		{ "field", required_argument, 0, 'F' }, { "visited", required_argument, 0, 'V' },
		{ "document", required_argument, 0, 'd' }, { "help", no_argument, 0, 'h' },
		{ "holder-key", required_argument, 0, 'K' }, { 0, 0, 0, 0 } };
	int c, ex;
	memset(a, 0, sizeof(*a));
	a->format = "text";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		unsigned need = 0;
		switch (c) {
		case 'h': fputs(usage, stdout); return -1;
		case 't': case 'a': need = R_TRUST; break;
		case 'l': need = R_LANG; break;
		case 'f': need = R_FORMAT; break;
		case 'o': need = R_OUT; break;
		case 'D': need = R_OUT_DIR; break;
		case 'd': need = R_DOCUMENT; break;
		case 'K': need = R_HOLDER; break;
		case '?': return cli_usage(verb, "unknown option");
		default: need = R_FIND; break;
		}
		if (!(allow & need))
			return cli_usage(verb, "unknown option");
		switch (c) {
		case 't': a->trust = optarg; break;
		case 'a': a->pin = optarg; break;
		case 'l': a->lang = optarg; break;
		case 'f': a->format = optarg; break;
		case 'o': a->out = optarg; break;
		case 'D': a->out_dir = optarg; break;
		case 'K': a->holder_key = optarg; break;
		case 'd':
			if (a->n_docs == sizeof(a->docs) / sizeof(a->docs[0]))
				return cli_usage(verb, "too many --document files");
			a->docs[a->n_docs++] = optarg;
			break;
		case 'n': a->q.name = optarg; break;
		case 'b': a->q.born = optarg; break;
		case 's': a->q.sex = optarg; break;
		case 'N': a->q.nationality = optarg; break;
		case 'A':
			if ((ex = parse_range(verb, "--arrived", optarg, &a->q.arrived_from, &a->q.arrived_to)))
				return ex;
			a->q.arrived = true;
			break;
		case 'V':
			if ((ex = parse_range(verb, "--visited", optarg, &a->q.visited_from, &a->q.visited_to)))
				return ex;
			a->q.visited = true;
			break;
		case 'c': a->q.code = optarg; break;
		case 'C': a->q.clinic = optarg; break;
		case 'r': a->q.record = optarg; break;
		case 'F': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cli_usage(verb, "--field is PATH=VALUE");
			*eq = '\0';
			a->q.field_path = optarg;
			a->q.field_value = eq + 1;
			break;
		}
		}
	}
	a->pos = argv + optind;
	a->n_pos = (size_t)(argc - optind);
	if (a->n_pos < min_pos || a->n_pos > max_pos)
		return cli_usage(verb, min_pos == max_pos && min_pos == 1 ? "expected DB"
				 : min_pos == max_pos			  ? "expected DB RECORD-ID"
									  : "expected DB RECORD.phr...");
	if (strcmp(a->format, "text") && strcmp(a->format, "json"))
		return cli_usage(verb, "--format is text or json");
	return EXIT_OK_;
}

static int open_db(const char *verb, const char *path, unsigned flags, struct phr_register **reg)
{
	int rc = phr_register_open(path, flags, reg);
	if (rc)
		return cli_fail(verb, rc, NULL);
	phr_register_set_clock(*reg, cli_now());
	return EXIT_OK_;
}

/* Resolves RECORD-ID (a unique prefix) to an id. */
static int resolve(const char *verb, struct phr_register *reg, const char *prefix, uint8_t id[PHR_RECORD_ID_LEN],
		   char hex[33])
{
	int rc = phr_register_resolve(reg, prefix, id);
	if (rc)
		return cli_fail(verb, rc, NULL);
	phr_record_id_hex(id, hex);
	return EXIT_OK_;
}

static int audit(const char *verb, struct phr_register *reg, const char *action, const char *hex, const char *detail)
{
	int rc = phr_register_audit_log(reg, action, hex, detail);
	return rc ? cli_fail(verb, rc, "the audit could not be written") : EXIT_OK_;
}

/* ---- init, add, --register ------------------------------------------------- */

static int reg_init(int argc, char **argv)
{
	const char *verb = "register init";
	struct reg_args a;
	struct phr_register *reg;
	int ex = parse(verb, argc, argv, 0, init_usage, 1, 1, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = open_db(verb, a.pos[0], PHR_REG_CREATE, &reg)))
		return ex;
	ex = audit(verb, reg, "init", NULL, NULL);
	if (!ex)
		printf("register %s: schema version %d\n", a.pos[0], phr_register_schema_version(reg));
	phr_register_close(reg);
	return ex;
}

/* Files one container and says what happened on stderr (prefix: the
 * file's name or the verb's output). Returns an exit code. */
static int file_one(const char *verb, struct phr_register *reg, const char *what, const uint8_t *buf, size_t len,
		    const struct phr_trust *t, const char *how, const uint8_t *key)
{
	struct phr_register_added r;
	int key_ex = EXIT_OK_;
	if (key) {
		/* the key of this record's newest sealed entry, else filed without it */
		struct phr_record *rec = NULL;
		size_t at, rekeyed;
		if (phr_record_decode(buf, len, &rec) == PHR_OK) {
			int st = phr_record_seal_key_state(rec, key, &at, &rekeyed);
			if (st == PHR_SEAL_KEY_OTHER || st == PHR_SEAL_KEY_REPLACED) {
				fprintf(stderr,
					"phr %s: %s: the holder key given is %s: filed without it, its sealed sections are not indexed\n",
					verb, what,
					st == PHR_SEAL_KEY_OTHER ? "not this record's" : "one this record replaced (re-keyed)");
				key = NULL;
				key_ex = st == PHR_SEAL_KEY_OTHER ? EXIT_SEAL : EXIT_REKEYED;
			}
		}
		phr_record_destroy(rec);
		phr_clear_error();
	}
	int rc = phr_register_add_key(reg, buf, len, t, cli_now(), how, key, &r);
	if (rc == PHR_E_CONSENT) {
		fprintf(stderr, "phr %s: %s: record %s: its consent (entry %zu) says store: false: verified and shown, "
				"NOT stored in the register\n",
			verb, what, r.record_hex, r.consent_entry);
		return EXIT_CONSENT;
	}
	if (rc)
		return cli_fail(verb, rc, what);
	fprintf(stderr, "phr %s: %s: record %s, version %.16s… (%zu entr%s): %s\n", verb, what, r.record_hex,
		r.version_hex + 2 * PHR_RECORD_ID_LEN, r.n_entries, r.n_entries == 1 ? "y" : "ies",
		r.new_record ? "new record" : r.new_version ? "new version" : "version already kept, seen again");
	if (r.fork)
		fprintf(stderr, "phr %s: %s: FORK: shares %zu entr%s with version %.16s… and then differs; both are kept\n",
			verb, what, r.fork_common, r.fork_common == 1 ? "y" : "ies", r.fork_hex + 2 * PHR_RECORD_ID_LEN);
	if (r.failed)
		fprintf(stderr, "phr %s: %s: NOT VALID: %s (kept, marked; see 'phr register show')\n", verb, what,
			phr_strerror(r.verify_err));
	if (key && (r.sealed_opened || r.sealed_closed))
		fprintf(stderr, "phr %s: %s: sealed sections of %zu entr%s opened with the holder key and indexed%s\n", verb,
			what, r.sealed_opened, r.sealed_opened == 1 ? "y" : "ies",
			r.sealed_closed ? "; some did not open and are not indexed" : "");
	else if (r.sealed_closed && r.new_version)
		fprintf(stderr, "phr %s: %s: %zu entr%s with sealed sections: not indexed (no holder key)\n", verb, what,
			r.sealed_closed, r.sealed_closed == 1 ? "y" : "ies");
	if (key && r.sealed_closed && !key_ex)
		key_ex = EXIT_SEAL;
	if (r.older) {
		fprintf(stderr, "phr %s: %s: older copy; newer: %s (%zu entries)\n", verb, what, r.newer_hex,
			r.newer_entries);
		return r.failed ? cli_exit_code(r.verify_err) : EXIT_OLDER;
	}
	return r.failed ? cli_exit_code(r.verify_err) : key_ex;
}

/* How bad an exit code is, to report the worst of several files. */
static int severity(int ex)
{
	if (ex == EXIT_OK_)
		return 0;
	if (ex == EXIT_OLDER)
		return 1;
	if (ex == EXIT_CONSENT)
		return 2;
	if (ex >= EXIT_BAD_SIGNATURE && ex <= EXIT_FUTURE)
		return 3;
	return 4;
}

int cli_register_file(const char *verb, const char *db, const uint8_t *container, size_t len,
		      const struct phr_trust *t, const char *how)
{
	return cli_register_file_key(verb, db, container, len, t, how, NULL);
}

int cli_register_file_key(const char *verb, const char *db, const uint8_t *container, size_t len,
			  const struct phr_trust *t, const char *how, const uint8_t *key)
{
	struct phr_register *reg;
	int ex = open_db(verb, db, 0, &reg);
	if (ex)
		return ex;
	ex = file_one(verb, reg, db, container, len, t, how, key);
	phr_register_close(reg);
	return ex;
}

static bool find_ref(const struct phr_record *r, const uint8_t hash[PHR_HASH_LEN], struct phr_document_ref *out,
		     size_t *entry);

/* register add --document FILE: the file's bytes are kept when a verified
 * entry of one of the records given signed its hash, size and type. */
static int keep_document(const char *verb, struct phr_register *reg, const char *path, char **records, size_t n_records,
			 const struct phr_trust *t)
{
	uint8_t *doc = NULL, hash[PHR_DOCUMENT_HASH_LEN];
	size_t len = 0;
	const char *media = NULL;
	int rc = cli_read(path, PHR_MAX_DOCUMENT, &doc, &len);
	if (rc)
		return cli_fail(verb, rc, path);
	if ((rc = phr_document_sniff(doc, len, &media)) || (rc = phr_document_hash(doc, len, hash))) {
		free(doc);
		return cli_fail(verb, rc, path);
	}
	bool signed_ref = false;
	for (size_t i = 0; i < n_records && !signed_ref; i++) {
		uint8_t *buf;
		size_t blen;
		struct phr_record *r = NULL;
		struct phr_report *rep = calloc(1, sizeof(*rep));
		if (rep && !cli_read(records[i], PHR_MAX_CONTAINER, &buf, &blen)) {
			if (!phr_record_decode(buf, blen, &r)) {
				(void)phr_verify_record(r, t, cli_now(), rep);
				struct phr_document_ref ref;
				size_t entry;
				if (find_ref(r, hash, &ref, &entry) && ref.size == len && !strcmp(ref.media_type, media) &&
				    (rep->entries[entry].status == PHR_ST_VALID ||
				     rep->entries[entry].status == PHR_ST_SIGNATURE_ONLY))
					signed_ref = true;
				phr_record_destroy(r);
			}
			free(buf);
		}
		free(rep);
	}
	if (!signed_ref) {
		free(doc);
		return cli_fail(verb, phr_fail(PHR_E_DOC_MISMATCH, "no verified entry of the records given signed this document's hash, size and type"), path);
	}
	rc = phr_register_put_document(reg, hash, media, doc, len);
	free(doc);
	if (rc)
		return cli_fail(verb, rc, path);
	fprintf(stderr, "phr %s: %s: kept (%s, %zu bytes)\n", verb, path, media, len);
	return EXIT_OK_;
}

#define ADD_BATCH 500 /* files added in one transaction by 'register add' */

static int reg_add(int argc, char **argv)
{
	const char *verb = "register add";
	struct reg_args a;
	struct phr_register *reg;
	struct phr_trust *t = NULL;
	uint8_t hkey[PHR_HOLDER_KEY_LEN];
	int ex = parse(verb, argc, argv, R_TRUST | R_DOCUMENT | R_HOLDER, add_usage, 2, MAX_FILES, &a), worst = EXIT_OK_;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (a.holder_key && (ex = cli_load_holder_key(verb, a.holder_key, hkey)))
		return ex;
	if (a.trust && (ex = cli_load_trust(verb, a.trust, a.pin, &t)))
		return ex;
	if ((ex = open_db(verb, a.pos[0], 0, &reg))) {
		phr_trust_destroy(t);
		return ex;
	}
	/* Several files go in batches (one transaction each, an add that fails
	 * undone alone): the file is written once per batch, not per record. */
	bool batched = a.n_pos > 2;
	size_t in_batch = 0, batch_first = 1;
	for (size_t i = 1; i < a.n_pos; i++) {
		uint8_t *buf;
		size_t len;
		if (batched && !in_batch) {
			int brc = phr_register_begin(reg);
			if (brc) {
				worst = cli_fail(verb, brc, a.pos[0]);
				break;
			}
			batch_first = i;
		}
		int rc = cli_read(a.pos[i], PHR_MAX_CONTAINER, &buf, &len);
		if (rc) {
			ex = cli_fail(verb, rc, NULL);
		} else {
			ex = file_one(verb, reg, a.pos[i], buf, len, t, PHR_REG_HOW_ADD, a.holder_key ? hkey : NULL);
			free(buf);
		}
		if (severity(ex) > severity(worst))
			worst = ex;
		bool db_failed = ex == EXIT_DB || ex == EXIT_DB_CORRUPT || ex == EXIT_DB_FULL;
		if (batched && (++in_batch == ADD_BATCH || i + 1 == a.n_pos || db_failed)) {
			in_batch = 0;
			int crc = phr_register_commit(reg);
			if (crc) {
				phr_register_rollback(reg);
				ex = cli_fail(verb, crc, a.pos[0]);
				fprintf(stderr, "phr %s: %s .. %s: NOT stored (their batch was undone)\n", verb,
					a.pos[batch_first], a.pos[i]);
				if (severity(ex) > severity(worst) && !db_failed)
					worst = ex;
				break;
			}
		}
		if (db_failed)
			break; /* the database itself failed: the next file would too */
	}
	for (size_t i = 0; i < a.n_docs && worst != EXIT_DB && worst != EXIT_DB_CORRUPT && worst != EXIT_DB_FULL; i++) {
		ex = keep_document(verb, reg, a.docs[i], a.pos + 1, a.n_pos - 1, t);
		if (severity(ex) > severity(worst))
			worst = ex;
	}
	phr_register_close(reg);
	phr_trust_destroy(t);
	sodium_memzero(hkey, sizeof(hkey));
	return worst;
}

/* ---- find ------------------------------------------------------------------ */

static const char *rank_name(int rank)
{
	switch (rank) {
	case 3: return "exact";
	case 2: return "transliterated";
	case 1: return "fuzzy";
	default: return "";
	}
}

struct find_out {
	bool json, name;
	json_t *arr;
	size_t n;
};

static int print_hit(void *ctx, const struct phr_register_hit *h)
{
	struct find_out *o = ctx;
	char seen[21], name[3 * PHR_REG_NAME_MAX], why[3 * PHR_REG_WHY_MAX];
	phr_format_time((uint64_t)h->last_seen, seen);
	o->n++;
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "record_id", h->record_hex, "name", h->name,
				      "born", h->born, "sex", h->sex, "nationality", h->nationality, "versions",
				      (json_int_t)h->n_versions, "last_seen", seen);
		if (!j)
			return phr_fail(PHR_E_NOMEM, "out of memory");
		if (o->name) {
			json_object_set_new(j, "match", json_string(rank_name(h->rank)));
			json_object_set_new(j, "why", json_string(h->why));
		}
		return json_array_append_new(o->arr, j) ? phr_fail(PHR_E_NOMEM, "out of memory") : 0;
	}
	/* Names come from records: shown sanitized, never raw on a terminal. */
	phr_text_sanitize(name, sizeof(name), h->name, strlen(h->name));
	phr_text_sanitize(why, sizeof(why), h->why, strlen(h->why));
	printf("%s  ", h->record_hex);
	cli_print_padded(*name ? name : "(no name)", 30);
	printf("  born %-10s  %-7s  %-2s  %zu version%s, last seen %s", *h->born ? h->born : "?", *h->sex ? h->sex : "?", *h->nationality ? h->nationality : "?", h->n_versions,
	       h->n_versions == 1 ? "" : "s", seen);
	if (o->name) /* the why names the kind of match ("transliterated: ...") */
		printf("  [%s]", *why ? why : rank_name(h->rank));
	putchar('\n');
	return 0;
}

static int reg_find(int argc, char **argv)
{
	const char *verb = "register find";
	struct reg_args a;
	struct phr_register *reg;
	int ex = parse(verb, argc, argv, R_FIND | R_FORMAT, find_usage, 1, 1, &a), rc;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = open_db(verb, a.pos[0], 0, &reg)))
		return ex;
	struct find_out o = { .json = !strcmp(a.format, "json"), .name = a.q.name != NULL };
	if (o.json && !(o.arr = json_array())) {
		phr_register_close(reg);
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	}
	rc = phr_register_find(reg, &a.q, print_hit, &o);
	if (rc)
		ex = cli_fail(verb, rc, NULL);
	else if (o.json && (rc = cli_print_json(o.arr)))
		ex = cli_fail(verb, rc, NULL);
	else if (!o.json)
		fprintf(stderr, "phr %s: %zu record%s\n", verb, o.n, o.n == 1 ? "" : "s");
	json_decref(o.arr);
	phr_register_close(reg);
	return ex;
}

/* ---- show --------------------------------------------------------------------- */

struct show_out {
	bool json;
	size_t n_documents;
	json_t *versions, *sightings, *documents;
	struct phr_register *reg;
	const struct phr_record *r; /* the latest version: the references its entries sign */
};

/* The reference to hash signed in r's entries (the last one), and its entry. */
static bool find_ref(const struct phr_record *r, const uint8_t hash[PHR_HASH_LEN], struct phr_document_ref *out,
		     size_t *entry)
{
	bool found = false;
	for (size_t i = 0; r && i < r->n_entries; i++) {
		struct phr_document_ref refs[PHR_MAX_DOCUMENTS];
		size_t n = 0;
		if (r->entries[i].content_err ||
		    phr_document_refs(r->entries[i].content, r->entries[i].content_len, refs, PHR_MAX_DOCUMENTS, &n))
			continue;
		for (size_t k = 0; k < n; k++)
			if (!memcmp(refs[k].hash, hash, PHR_HASH_LEN)) {
				*out = refs[k];
				*entry = i;
				found = true;
			}
	}
	return found;
}

static int show_version(void *ctx, const struct phr_register_version *v)
{
	struct show_out *o = ctx;
	char when[21];
	phr_format_time((uint64_t)v->stored_at, when);
	const char *state = v->latest ? "latest" : v->older ? "older copy" : "";
	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:b, s:b, s:b, s:b, s:s?, s:s}", "version_id", v->version_hex, "entries",
				      (json_int_t)v->n_entries, "latest", v->latest, "older", v->older, "fork", v->fork,
				      "merged", v->merged, "merged_into", v->merged_into ? v->merged_into_hex : NULL,
				      "stored_at", when);
		return !j || json_array_append_new(o->versions, j) ? phr_fail(PHR_E_NOMEM, "out of memory") : 0;
	}
	printf("  %s  %zu entr%s  first kept %s%s%s%s%s%s%s%.16s%s\n", v->version_hex + 2 * PHR_RECORD_ID_LEN,
	       v->n_entries, v->n_entries == 1 ? "y" : "ies", when, *state ? "  " : "", state, v->fork ? "  " : "",
	       v->fork ? "FORK (another version shares its start, then differs)" : "",
	       v->merged ? "  MERGED (joins two branches)" : "", v->merged_into ? "  merged into " : "",
	       v->merged_into ? v->merged_into_hex + 2 * PHR_RECORD_ID_LEN : "", v->merged_into ? "…" : "");
	return 0;
}

static int show_sighting(void *ctx, const struct phr_register_sighting *s)
{
	struct show_out *o = ctx;
	char when[21], who[3 * PHR_REG_WHO_MAX];
	phr_format_time((uint64_t)s->at, when);
	json_error_t jerr;
	json_t *rep = json_loads(s->report, 0, &jerr);
	/* valid against the bundle; without one, signatures and chain only */
	bool valid = json_is_true(json_object_get(rep, "verified")), sig_only = !valid && rep;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(rep, "entries"), i, e)
		sig_only &= !strcmp(json_string_value(json_object_get(e, "status")) ? json_string_value(json_object_get(e, "status")) : "",
				    "signature_only");
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "version_id", s->version_hex, "at", when, "how",
				      s->how, "who", s->who, "trust_version", (json_int_t)s->trust_version, "report",
				      rep ? rep : json_null());
		return !j || json_array_append_new(o->sightings, j) ? phr_fail(PHR_E_NOMEM, "out of memory") : 0;
	}
	phr_text_sanitize(who, sizeof(who), s->who, strlen(s->who));
	printf("  %s  %-8s  %s  by %s  version %.16s…  %s", when, s->how, valid ? "verified" : sig_only ? "signatures only" : "NOT VALID", who,
	       s->version_hex + 2 * PHR_RECORD_ID_LEN,
	       s->trust_version ? "trust bundle " : "no trust bundle");
	if (s->trust_version)
		printf("%llu", (unsigned long long)s->trust_version);
	putchar('\n');
	json_decref(rep);
	return 0;
}

/* A document of the record: what its entry signed (title, kind), and
 * whether its bytes are here and still hash to what was signed. */
static int show_document(void *ctx, const struct phr_register_document *d)
{
	struct show_out *o = ctx;
	char hex[2 * PHR_HASH_LEN + 1], title[3 * PHR_MAX_DOCUMENT_TITLE + 1] = "", media[PHR_REG_MEDIA_TYPE_MAX];
	struct phr_document_ref ref;
	size_t entry = 0, len = 0;
	uint8_t *bytes = NULL;
	o->n_documents++;
	for (size_t i = 0; i < PHR_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d->hash[i]);
	bool signed_ref = find_ref(o->r, d->hash, &ref, &entry);
	if (signed_ref)
		phr_text_sanitize(title, sizeof(title), ref.title, strlen(ref.title));
	const char *status = "not_on_this_machine";
	if (d->present) {
		int rc = phr_register_get_document(o->reg, d->hash, media, &bytes, &len);
		free(bytes);
		if (rc == PHR_E_DOC_MISMATCH)
			status = "damaged";
		else if (rc)
			return rc;
		else
			status = "verified";
	}
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:b, s:s, s:I}", "hash", hex, "status", status, "present", d->present,
				      "media_type", d->media_type, "size", (json_int_t)d->size);
		if (j && signed_ref)
			json_object_update_new(j, json_pack("{s:s, s:s, s:I}", "title", title, "type", ref.type, "entry",
							    (json_int_t)entry));
		return !j || json_array_append_new(o->documents, j) ? phr_fail(PHR_E_NOMEM, "out of memory") : 0;
	}
	if (signed_ref)
		printf("  %s (%s, entry %zu)\n", title, ref.type, entry);
	if (!strcmp(status, "verified"))
		printf("    %s  %s  %zu bytes: verified (its bytes match the signed hash)\n", hex, d->media_type, d->size);
	else if (!strcmp(status, "damaged"))
		printf("    %s  %s: DAMAGED: the bytes kept no longer match the signed hash\n", hex, d->media_type);
	else
		printf("    %s  not on this machine\n", hex);
	return 0;
}

static int reg_show(int argc, char **argv)
{
	const char *verb = "register show";
	struct reg_args a;
	struct phr_register *reg = NULL;
	struct phr_trust *t = NULL;
	struct phr_record *r = NULL;
	uint8_t id[PHR_RECORD_ID_LEN], *buf = NULL;
	size_t len;
	char hex[33];
	int rc, ex = parse(verb, argc, argv, R_TRUST | R_LANG | R_FORMAT, show_usage, 2, 2, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	struct cli_view v = { .json = !strcmp(a.format, "json"), .entry = -1 };
	struct show_out o = { .json = v.json };
	json_t *collect = NULL;
	if ((ex = cli_view_lang(verb, a.lang, &v.lang)))
		return ex;
	if (a.trust && (ex = cli_load_trust(verb, a.trust, a.pin, &t)))
		return ex;
	if ((ex = open_db(verb, a.pos[0], 0, &reg)) || (ex = resolve(verb, reg, a.pos[1], id, hex)))
		goto out;
	if ((rc = phr_register_latest(reg, id, &buf, &len)) || (rc = phr_record_decode(buf, len, &r))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (v.json && (!(collect = json_array()) || !(o.versions = json_array()) || !(o.sightings = json_array()) ||
		       !(o.documents = json_array()))) {
		ex = cli_fail(verb, PHR_E_NOMEM, NULL);
		goto out;
	}
	if ((ex = cli_view_record(verb, r, t, &v, collect)))
		goto out;
	if (!v.json)
		printf("\nVersions kept:\n");
	if ((rc = phr_register_each_version(reg, id, show_version, &o))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (!v.json)
		printf("\nMet:\n");
	if ((rc = phr_register_each_sighting(reg, id, show_sighting, &o))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (!v.json)
		printf("\nDocuments:\n");
	o.reg = reg;
	o.r = r;
	if ((rc = phr_register_each_document(reg, id, show_document, &o))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (!v.json && o.n_documents == 0)
		printf("  none\n");
	if (v.json) {
		json_t *doc = json_pack("{s:O, s:O, s:O, s:O}", "record", json_array_get(collect, 0), "versions", o.versions,
					"sightings", o.sightings, "documents", o.documents);
		rc = doc ? cli_print_json(doc) : phr_fail(PHR_E_NOMEM, "out of memory");
		json_decref(doc);
		if (rc) {
			ex = cli_fail(verb, rc, NULL);
			goto out;
		}
	}
	ex = audit(verb, reg, "show", hex, NULL);
out:
	json_decref(collect);
	json_decref(o.versions);
	json_decref(o.sightings);
	json_decref(o.documents);
	phr_record_destroy(r);
	free(buf);
	phr_trust_destroy(t);
	phr_register_close(reg);
	return ex;
}

/* ---- export, documents ---------------------------------------------------------- */

static int reg_export(int argc, char **argv)
{
	const char *verb = "register export";
	struct reg_args a;
	struct phr_register *reg = NULL;
	uint8_t id[PHR_RECORD_ID_LEN], *buf = NULL;
	size_t len;
	char hex[33];
	int rc, ex = parse(verb, argc, argv, R_OUT, export_usage, 2, 2, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!a.out)
		return cli_usage(verb, "--out is required");
	if ((ex = open_db(verb, a.pos[0], 0, &reg)) || (ex = resolve(verb, reg, a.pos[1], id, hex)))
		goto out;
	if ((rc = phr_register_latest(reg, id, &buf, &len)) || (rc = cli_write(a.out, buf, len, 0666))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	fprintf(stderr, "phr %s: record %s, %zu bytes: %s\n", verb, hex, len, a.out);
	ex = audit(verb, reg, "export", hex, NULL);
out:
	free(buf);
	phr_register_close(reg);
	return ex;
}

static const char *extension(const char *media_type)
{
	static const struct {
		const char *type, *ext;
	} map[] = { { "application/pdf", "pdf" }, { "image/png", "png" }, { "image/jpeg", "jpg" } };
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(media_type, map[i].type))
			return map[i].ext;
	return "bin";
}

struct docs_out {
	const char *verb, *dir;
	struct phr_register *reg;
	size_t written;
	int ex;
};

static int write_document(void *ctx, const struct phr_register_document *d)
{
	struct docs_out *o = ctx;
	char hex[2 * PHR_HASH_LEN + 1], path[4096], type[PHR_REG_MEDIA_TYPE_MAX];
	uint8_t *bytes;
	size_t len;
	for (size_t i = 0; i < PHR_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d->hash[i]);
	if (!d->present) {
		printf("%s  not on this machine\n", hex);
		return 0;
	}
	printf("%s  %s  %zu bytes", hex, d->media_type, d->size);
	if (!o->dir) {
		putchar('\n');
		return 0;
	}
	int rc = phr_register_get_document(o->reg, d->hash, type, &bytes, &len);
	if (rc) {
		putchar('\n');
		int e = cli_fail(o->verb, rc, hex);
		if (!o->ex)
			o->ex = e;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s.%s", o->dir, hex, extension(type));
	rc = cli_write(path, bytes, len, 0666);
	free(bytes);
	if (rc) {
		putchar('\n');
		int e = cli_fail(o->verb, rc, NULL);
		if (!o->ex)
			o->ex = e;
		return 0;
	}
	printf("  -> %s\n", path);
	o->written++;
	return 0;
}

static int reg_documents(int argc, char **argv)
{
	const char *verb = "register documents";
	struct reg_args a;
	struct phr_register *reg = NULL;
	uint8_t id[PHR_RECORD_ID_LEN];
	char hex[33];
	struct stat sb;
	int rc, ex = parse(verb, argc, argv, R_OUT_DIR, documents_usage, 2, 2, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	/* a missing directory is made (mode 0700: these are health documents) */
	if (a.out_dir && stat(a.out_dir, &sb) && errno == ENOENT && mkdir(a.out_dir, 0700))
		return cli_fail(verb, phr_fail(PHR_E_IO, "%s: cannot make the directory: %s", a.out_dir, strerror(errno)),
				NULL);
	if (a.out_dir && (stat(a.out_dir, &sb) || !S_ISDIR(sb.st_mode)))
		return cli_fail(verb, phr_fail(PHR_E_IO, "%s is not a directory", a.out_dir), NULL);
	if ((ex = open_db(verb, a.pos[0], 0, &reg)) || (ex = resolve(verb, reg, a.pos[1], id, hex)))
		goto out;
	struct docs_out o = { .verb = verb, .dir = a.out_dir, .reg = reg };
	if ((rc = phr_register_each_document(reg, id, write_document, &o))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	ex = audit(verb, reg, "documents", hex, a.out_dir ? "written out" : "listed");
	if (!ex)
		ex = o.ex;
out:
	phr_register_close(reg);
	return ex;
}

/* ---- audit, forget, check -------------------------------------------------------- */

struct audit_out {
	bool json;
	json_t *arr;
};

static int print_audit(void *ctx, const struct phr_register_audit_row *r)
{
	struct audit_out *o = ctx;
	char when[21], who[3 * PHR_REG_WHO_MAX], detail[1200];
	phr_format_time((uint64_t)r->at, when);
	if (o->json) {
		json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id, "at", when, "who", r->who,
				      "action", r->action, "record_id", r->record_hex, "detail", r->detail);
		return !j || json_array_append_new(o->arr, j) ? phr_fail(PHR_E_NOMEM, "out of memory") : 0;
	}
	phr_text_sanitize(who, sizeof(who), r->who, strlen(r->who));
	phr_text_sanitize(detail, sizeof(detail), r->detail, strlen(r->detail));
	printf("%lld  %s  %-10s %-9s %s%s%s\n", (long long)r->id, when, who, r->action,
	       *r->record_hex ? r->record_hex : "-", *detail ? "  " : "", detail);
	return 0;
}

static int reg_audit(int argc, char **argv)
{
	const char *verb = "register audit";
	struct reg_args a;
	struct phr_register *reg;
	int rc, ex = parse(verb, argc, argv, R_FORMAT, audit_usage, 1, 1, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = open_db(verb, a.pos[0], 0, &reg)))
		return ex;
	struct audit_out o = { .json = !strcmp(a.format, "json") };
	if (o.json && !(o.arr = json_array()))
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
	else if (!(rc = phr_register_each_audit(reg, print_audit, &o)) && o.json)
		rc = cli_print_json(o.arr);
	if (rc)
		ex = cli_fail(verb, rc, NULL);
	json_decref(o.arr);
	phr_register_close(reg);
	return ex;
}

static int reg_forget(int argc, char **argv)
{
	const char *verb = "register forget";
	struct reg_args a;
	struct phr_register *reg;
	uint8_t id[PHR_RECORD_ID_LEN];
	char hex[33];
	int rc, ex = parse(verb, argc, argv, 0, forget_usage, 2, 2, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = open_db(verb, a.pos[0], 0, &reg)))
		return ex;
	if (!(ex = resolve(verb, reg, a.pos[1], id, hex))) {
		if ((rc = phr_register_forget(reg, id)))
			ex = cli_fail(verb, rc, NULL);
		else
			printf("record %s forgotten: nothing of it is left in %s\n", hex, a.pos[0]);
	}
	phr_register_close(reg);
	return ex;
}

static void print_problem(void *ctx, const char *line)
{
	char shown[2048];
	phr_text_sanitize(shown, sizeof(shown), line, strlen(line));
	fprintf(stderr, "phr %s: %s\n", (const char *)ctx, shown);
}

static int reg_check(int argc, char **argv)
{
	const char *verb = "register check";
	struct reg_args a;
	struct phr_register *reg;
	int rc, ex = parse(verb, argc, argv, 0, check_usage, 1, 1, &a);
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = open_db(verb, a.pos[0], 0, &reg)))
		return ex;
	if ((rc = phr_register_check(reg, print_problem, (void *)verb)))
		ex = cli_fail(verb, rc, a.pos[0]);
	else
		printf("register %s: ok\n", a.pos[0]);
	phr_register_close(reg);
	return ex;
}

/* One line per verb. */
static const struct {
	const char *name;
	cli_cmd_fn fn;
} verbs[] = {
	{ "init", reg_init },
	{ "add", reg_add },
	{ "find", reg_find },
	{ "show", reg_show },
	{ "export", reg_export },
	{ "documents", reg_documents },
	{ "audit", reg_audit },
	{ "forget", reg_forget },
	{ "check", reg_check },
	{ "report", cmd_register_report }, /* cmd_report.c */
	{ "user", cmd_register_user }, /* cmd_serve.c */
};

int cmd_register(int argc, char **argv)
{
	if (argc < 2) {
		fputs(register_usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(register_usage, stdout);
		return EXIT_OK_;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "phr register: unknown verb '%s' (see 'phr register --help')\n", argv[1]);
	return EXIT_USAGE;
}
