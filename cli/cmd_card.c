/* phr card: the record on a smartcard, over PC/SC (docs/CARD.md). */
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phr/card.h"
#include "phr/container.h"
#include "phr/render.h"
#include "phr/seal.h"
#include "phr/verify.h"

static const char card_usage[] =
	"Usage: phr card COMMAND [OPTIONS]\n"
	"\n"
	"The record on an ISO 7816-4 smartcard in a PC/SC reader (pcscd).\n"
	"  list         readers, and the card in each\n"
	"  format       create the phr application on a blank card, set PIN and PUK\n"
	"  write        write a record to the card (the old one stays until the new one is proven)\n"
	"  read         read the card's record into a file\n"
	"  show         show the card's record as 'phr show' does\n"
	"  change-pin   change the PIN\n"
	"  unblock      set a new PIN with the PUK (after three wrong PINs)\n"
	"\n"
	"'phr card COMMAND --help' describes a command. The PIN comes from\n"
	"--pin-file, else PHR_PIN, else a prompt on the terminal. Exit status\n"
	"20 no reader (or pcscd not running), 21 no card, 22 no phr application on\n"
	"the card, 23 card removed during the operation, 24 wrong PIN or PUK,\n"
	"25 PIN or PUK blocked, 26 the card's record does not verify, 27 the card\n"
	"holds no record, 28 other card error, 29 'write' refused a copy that lacks\n"
	"entries the card holds ('man phr').\n";

static const char list_usage[] =
	"Usage: phr card list [--format text|json]\n"
	"\n"
	"Lists the readers pcscd knows, and for each whether it holds a card and\n"
	"the card's ATR. Nothing is sent to the cards.\n";

static const char format_usage[] =
	"Usage: phr card format [--reader NAME] [--pin-file F] [--puk-file F] [--erase]\n"
	"\n"
	"Personalises a blank card: creates the phr application (CREATE FILE of\n"
	"its DF and of the status and slot EFs), sets the holder's PIN (6-8\n"
	"digits, asked twice) and the PUK (8 digits), and writes an empty status.\n"
	"Without --puk-file or PHR_PUK, a random PUK is made and printed once: it\n"
	"is the only way to unblock the PIN, give it to the holder with their\n"
	"papers. A format that was cut short is resumed with the same PIN.\n"
	"  --erase         on a card already personalised, remove its record\n"
	"                  (asks for the card's PIN)\n";

static const char write_usage[] =
	"Usage: phr card write [--reader NAME] [--pin-file F] [--trust TRUST.bundle]\n"
	"                      [--replace] [--force] [--holder-key KEY.txt] RECORD.phr\n"
	"\n"
	"Writes a record ('-': standard input) to the card. The record is checked\n"
	"first (with --trust every entry must be valid; without it every signature\n"
	"and the chain). It goes to the card's inactive slot, is read back and\n"
	"compared, and only then does the card's status name it: a card pulled out\n"
	"at any moment holds the old record or the new one. The card's generation\n"
	"goes up by one.\n"
	"A file that lacks entries the card's version of the record holds (an older\n"
	"copy, one with its last entries dropped, or a version that parts from the\n"
	"card's) is refused with exit status 29.\n"
	"  --replace   write over a different record (another record id), or over\n"
	"              a version with entries this file lacks\n"
	"  --force     write a record that does not verify\n"
	"  --holder-key KEY.txt  store the record's holder key on the card with the\n"
	"              record, behind the PIN: 'phr card show' then opens the sealed\n"
	"              sections. Without it, a key the card holds for this record is\n"
	"              kept (unless the record was re-keyed since).\n";

static const char read_usage[] =
	"Usage: phr card read [--reader NAME] [--pin-file F] [--trust TRUST.bundle]\n"
	"                     [--force] [--out RECORD.phr] [--register DB]\n"
	"                     [--holder-key-out KEY.txt]\n"
	"\n"
	"Reads the card's record and writes it, byte for byte, to --out (default\n"
	"'-', standard output, when that is not a terminal), and says on standard\n"
	"output (standard error when the record goes there) what it read: record\n"
	"id, entries, slot and generation. The record must\n"
	"decode and verify (with --trust every entry; without it every signature\n"
	"and the chain), else nothing is written and the exit status is 26;\n"
	"--force writes it anyway. --register DB also files it in the clinic's\n"
	"register (exit 35 for an older copy of a version kept there, 34 when its\n"
	"consent says store: false); with the holder key stored on the card (the\n"
	"PIN opened it) the sealed sections are indexed too.\n"
	"--holder-key-out KEY.txt writes the holder key stored on the card (mode\n"
	"0600), for 'phr extend --holder-key' to seal under it; exit 38 when the\n"
	"card holds none.\n";

static const char show_usage[] =
	"Usage: phr card show [--reader NAME] [--pin-file F] [--trust TRUST.bundle]\n"
	"                     [--authority AUTH.pub] [--lang LL] [--format text|json]\n"
	"                     [--entry N] [--holder-key KEY.txt | --holder-key-qr PICTURE]\n"
	"\n"
	"Reads the card's record and shows it as 'phr show' does, each entry marked\n"
	"with its verification status, after a line naming the reader, slot and\n"
	"generation. --format json prints 'phr show --format json' with a \"card\"\n"
	"member: reader, slot, generation, bytes, extended (APDU lengths).\n"
	"Sealed sections are opened with the holder key stored on the card with the\n"
	"record ('phr card write --holder-key'), read behind the PIN like the record;\n"
	"--holder-key KEY.txt opens them with that key instead; --holder-key-qr\n"
	"PICTURE with the key read from a photo or scan of the key slip's code.\n"
	"Exit status 0 when the record was shown, whatever its status; 26 when the\n"
	"card's slot does not hold a readable record; 38 when it was shown and a\n"
	"sealed part did not open with the holder key.\n";

static const char change_pin_usage[] =
	"Usage: phr card change-pin [--reader NAME] [--pin-file F] [--new-pin-file F]\n"
	"\n"
	"Changes the PIN: the current one from --pin-file, PHR_PIN or a prompt; the\n"
	"new one (6-8 digits) from --new-pin-file, PHR_NEW_PIN or a prompt, twice.\n";

static const char unblock_usage[] =
	"Usage: phr card unblock [--reader NAME] [--puk-file F] [--new-pin-file F]\n"
	"\n"
	"Sets a new PIN with the PUK and gives it its three tries back. The PUK\n"
	"comes from --puk-file, PHR_PUK or a prompt; the new PIN from\n"
	"--new-pin-file, PHR_NEW_PIN or a prompt, twice. Ten wrong PUKs block\n"
	"the PUK for good.\n";

#define SECRET_MAX 16 /* digits read for a PIN or PUK; the card takes 6..8 */

struct card_args {
	const char *reader, *pin_file, *new_pin_file, *puk_file, *trust, *authority, *lang, *format, *out, *file;
	const char *register_db, *holder_key, *holder_key_out, *holder_key_qr;
	bool erase, replace, force;
	long entry;
};

enum {
	O_READER = 1 << 0, O_PIN = 1 << 1, O_NEWPIN = 1 << 2, O_PUK = 1 << 3, O_TRUST = 1 << 4, O_AUTH = 1 << 5,
	O_LANG = 1 << 6, O_FORMAT = 1 << 7, O_OUT = 1 << 8, O_ERASE = 1 << 9, O_REPLACE = 1 << 10,
	O_FORCE = 1 << 11, O_ENTRY = 1 << 12, O_FILE = 1 << 13, O_REGISTER = 1 << 14, O_HOLDER = 1 << 15,
	O_HOLDER_OUT = 1 << 16, O_HOLDER_QR = 1 << 17,
};

/* Parses the options verb allows; returns -1 after --help, else an exit code. */
static int parse(const char *verb, int argc, char **argv, unsigned allow, const char *usage, struct card_args *a)
{
	static const struct option opts[] = {
		{ "reader", required_argument, 0, 'r' },   { "pin-file", required_argument, 0, 'p' },
		{ "new-pin-file", required_argument, 0, 'n' }, { "puk-file", required_argument, 0, 'k' },
		{ "trust", required_argument, 0, 't' },    { "authority", required_argument, 0, 'a' },
		{ "lang", required_argument, 0, 'l' },     { "format", required_argument, 0, 'f' },
		{ "out", required_argument, 0, 'o' },      { "erase", no_argument, 0, 'E' },
		{ "replace", no_argument, 0, 'R' },        { "force", no_argument, 0, 'F' },
		{ "entry", required_argument, 0, 'e' },    { "help", no_argument, 0, 'h' },
		{ "register", required_argument, 0, 'G' }, { "holder-key", required_argument, 0, 'K' },
		{ "holder-key-out", required_argument, 0, 'O' },
		{ "holder-key-qr", required_argument, 0, 'Q' },
		{ 0, 0, 0, 0 } };
	static const struct {
		int c;
		unsigned bit;
	} bits[] = { { 'r', O_READER }, { 'p', O_PIN },    { 'n', O_NEWPIN }, { 'k', O_PUK },   { 't', O_TRUST },
		     { 'a', O_AUTH },   { 'l', O_LANG },   { 'f', O_FORMAT }, { 'o', O_OUT },   { 'E', O_ERASE },
		     { 'R', O_REPLACE }, { 'F', O_FORCE }, { 'e', O_ENTRY }, { 'G', O_REGISTER },
		     { 'K', O_HOLDER }, { 'O', O_HOLDER_OUT }, { 'Q', O_HOLDER_QR } };
	int c;
	memset(a, 0, sizeof(*a));
	a->format = "text";
	a->entry = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
			if (bits[i].c == c)
				bit = bits[i].bit;
		if (!(allow & bit))
			return cli_usage(verb, "unknown option");
		switch (c) {
		case 'r': a->reader = optarg; break;
		case 'p': a->pin_file = optarg; break;
		case 'n': a->new_pin_file = optarg; break;
		case 'k': a->puk_file = optarg; break;
		case 't': a->trust = optarg; break;
		case 'a': a->authority = optarg; break;
		case 'l': a->lang = optarg; break;
		case 'f': a->format = optarg; break;
		case 'o': a->out = optarg; break;
		case 'E': a->erase = true; break;
		case 'R': a->replace = true; break;
		case 'F': a->force = true; break;
		case 'G': a->register_db = optarg; break;
		case 'K': a->holder_key = optarg; break;
		case 'O': a->holder_key_out = optarg; break;
		case 'Q': a->holder_key_qr = optarg; break;
		case 'e': {
			char *end;
			a->entry = strtol(optarg, &end, 10);
			if (*end || !*optarg || a->entry < 0)
				return cli_usage(verb, "--entry takes an entry number from 0");
			break;
		}
		}
	}
	if (allow & O_FILE) {
		if (optind != argc - 1)
			return cli_usage(verb, "expected one RECORD.phr ('-': standard input)");
		a->file = argv[optind];
	} else if (optind != argc) {
		return cli_usage(verb, "unexpected argument");
	}
	if (strcmp(a->format, "text") && strcmp(a->format, "json"))
		return cli_usage(verb, "--format is text or json");
	return EXIT_OK_;
}

/* The exit code of an error (docs/phr.1): card errors get their own. */
static int card_exit(int err)
{
	switch (err) {
	case PHR_E_CARD_NO_READER: return EXIT_CARD_NO_READER;
	case PHR_E_CARD_ABSENT: return EXIT_CARD_ABSENT;
	case PHR_E_CARD_NO_APP: return EXIT_CARD_NO_APP;
	case PHR_E_CARD_REMOVED: return EXIT_CARD_REMOVED;
	case PHR_E_CARD_PIN: return EXIT_CARD_PIN;
	case PHR_E_CARD_BLOCKED: return EXIT_CARD_BLOCKED;
	case PHR_E_CARD_TORN: return EXIT_CARD_RECORD;
	case PHR_E_CARD_EMPTY: return EXIT_CARD_EMPTY;
	case PHR_E_CARD:
	case PHR_E_CARD_TRANSPORT:
	case PHR_E_CARD_NOT_FOUND:
	case PHR_E_CARD_DENIED:
	case PHR_E_CARD_RESPONSE: return EXIT_CARD;
	default: return cli_exit_code(err);
	}
}

/* "phr card VERB: message" for err, and its exit code. */
static int card_fail(const char *verb, int err)
{
	const char *msg = phr_last_error();
	fprintf(stderr, "phr %s: %s\n", verb, *msg ? msg : phr_card_strerror(err));
	return card_exit(err);
}

/* ---- PIN and PUK ----------------------------------------------------------- */

static int tty_secret(const char *prompt, char *buf, size_t cap)
{
	return cli_tty_secret(prompt, buf, cap, PHR_E_ARG, "no terminal to ask for it");
}

/* A PIN or PUK into out (SECRET_MAX + 2 bytes): the first line of file,
 * else the environment variable env, else a prompt on the terminal without
 * echo (twice with confirm). The card checks the digits. */
static int get_secret(const char *verb, const char *what, const char *file, const char *env, bool confirm,
		      char *out)
{
	const char *e = getenv(env);
	int rc = PHR_OK;
	out[0] = '\0';
	if (file) {
		uint8_t *data;
		size_t n;
		if ((rc = cli_read(file, 256, &data, &n)))
			return cli_fail(verb, rc, NULL);
		size_t line = strcspn((const char *)data, "\r\n");
		if (line > SECRET_MAX) {
			rc = phr_fail(PHR_E_ARG, "%s in %s: longer than %d characters", what, file, SECRET_MAX);
		} else {
			memcpy(out, data, line);
			out[line] = '\0';
		}
		sodium_memzero(data, n);
		free(data);
	} else if (e) {
		if (strlen(e) > SECRET_MAX)
			rc = phr_fail(PHR_E_ARG, "%s in %s: longer than %d characters", what, env, SECRET_MAX);
		else
			strcpy(out, e);
	} else {
		char prompt[64], again[SECRET_MAX + 2];
		snprintf(prompt, sizeof(prompt), "%c%s: ", toupper((unsigned char)what[0]), what + 1);
		if ((rc = tty_secret(prompt, out, SECRET_MAX + 2)) == PHR_OK && confirm) {
			snprintf(prompt, sizeof(prompt), "Repeat the %s: ", what);
			if ((rc = tty_secret(prompt, again, sizeof(again))) == PHR_OK && strcmp(again, out) != 0)
				rc = phr_fail(PHR_E_ARG, "the two entries differ");
			sodium_memzero(again, sizeof(again));
		}
		if (rc)
			rc = phr_fail_wrap(rc, "%s (set %s, or use the --%s-file option)", what, env,
					   !strcmp(env, "PHR_PUK") ? "puk" : !strcmp(env, "PHR_PIN") ? "pin" : "new-pin");
	}
	if (rc) {
		sodium_memzero(out, SECRET_MAX + 2);
		return cli_fail(verb, rc, NULL);
	}
	return EXIT_OK_;
}

/* ---- a session with the card --------------------------------------------- */

struct session {
	struct phr_pcsc *pcsc;
	struct phr_card *card;
};

static void session_close(struct session *s)
{
	phr_card_destroy(s->card);
	phr_pcsc_close(s->pcsc);
	s->card = NULL;
	s->pcsc = NULL;
}

/* A one-line message for a wrong or blocked PIN (or PUK); the exit code. */
static int pin_fail(const char *verb, int rc, const char *what, int tries)
{
	if (rc == PHR_E_CARD_PIN && tries < 0) {
		fprintf(stderr, "phr %s: wrong %s (%s)\n", verb, what, phr_last_error());
		return EXIT_CARD_PIN;
	}
	if (rc == PHR_E_CARD_PIN && tries > 0) {
		fprintf(stderr, "phr %s: wrong %s, %d tr%s left\n", verb, what, tries, tries == 1 ? "y" : "ies");
		return EXIT_CARD_PIN;
	}
	if (rc == PHR_E_CARD_PIN) {
		fprintf(stderr, "phr %s: wrong %s; that was the last try: the %s is now blocked%s\n", verb, what, what,
			!strcmp(what, "PIN") ? " ('phr card unblock' sets a new one with the PUK)"
					     : " for good: restore the record from its booklet onto a new card");
		return EXIT_CARD_PIN;
	}
	if (rc == PHR_E_CARD_BLOCKED) {
		fprintf(stderr, "phr %s: the %s is blocked%s\n", verb, what,
			!strcmp(what, "PIN") ? ": 'phr card unblock' sets a new one with the PUK"
					     : " for good: restore the record from its booklet onto a new card");
		return EXIT_CARD_BLOCKED;
	}
	return card_fail(verb, rc);
}

/* Connects, selects the application (unless !app) and verifies pin (unless NULL). */
static int session_open(const char *verb, const struct card_args *a, bool app, const char *pin, struct session *s)
{
	int rc, tries;
	memset(s, 0, sizeof(*s));
	if ((rc = phr_pcsc_open(a->reader, &s->pcsc)))
		return card_fail(verb, rc);
	if ((rc = phr_card_create(phr_pcsc_transmit, s->pcsc, PHR_CARD_AUTO, &s->card))) {
		session_close(s);
		return card_fail(verb, rc);
	}
	if (!app)
		return EXIT_OK_;
	if ((rc = phr_card_open(s->card))) {
		if (rc == PHR_E_CARD_NO_APP)
			fprintf(stderr,
				"phr %s: the card in '%s' holds no phr application (a blank or another card; "
				"'phr card format' personalises a blank one)\n",
				verb, phr_pcsc_reader(s->pcsc));
		int ex = rc == PHR_E_CARD_NO_APP ? EXIT_CARD_NO_APP : card_fail(verb, rc);
		session_close(s);
		return ex;
	}
	if (pin && (rc = phr_card_verify_pin(s->card, pin, &tries))) {
		int ex = pin_fail(verb, rc, "PIN", tries);
		session_close(s);
		return ex;
	}
	return EXIT_OK_;
}

/* ---- records ---------------------------------------------------------------- */

/* Decodes buf and verifies it (against t, or signatures and chain only).
 * On failure prints why, in one line, and returns PHR_E_* (decode) or the
 * first failing entry's error. */
static int check_record(const char *verb, const char *where, const uint8_t *buf, size_t len,
			const struct phr_trust *t, struct phr_record **out)
{
	struct phr_report *rep = calloc(1, sizeof(*rep));
	int rc;
	*out = NULL;
	if (!rep)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if ((rc = phr_record_decode(buf, len, out))) {
		fprintf(stderr, "phr %s: %s is not a readable record: %s\n", verb, where, phr_last_error());
		free(rep);
		return rc;
	}
	(void)phr_verify_record(*out, t, cli_now(), rep);
	/* Without a bundle, good signatures and chain are all there is to ask
	 * for: every entry must be at least that, not only the first. */
	for (size_t i = 0; !t && i < rep->n; i++)
		if (rep->entries[i].status == PHR_ST_SIGNATURE_ONLY)
			rep->entries[i].status = PHR_ST_VALID;
	rc = phr_report_error(rep);
	if (rc) {
		for (size_t i = 0; i < rep->n; i++)
			if (rep->entries[i].status != PHR_ST_VALID && rep->entries[i].status != PHR_ST_SIGNATURE_ONLY) {
				fprintf(stderr, "phr %s: %s does not verify: entry %zu: %s: %s\n", verb, where, i,
					phr_status_name(rep->entries[i].status), rep->entries[i].detail);
				break;
			}
	}
	free(rep);
	return rc;
}

static const char *entries_word(size_t n)
{
	return n == 1 ? "entry" : "entries";
}

/* "entry 2", "entries 2..4": the card's entries from..n-1 (numbered from 0,
 * as 'phr show --entry' does). */
static void dropped(size_t from, size_t n, char *out, size_t cap)
{
	if (n - from == 1)
		snprintf(out, cap, "entry %zu", from);
	else
		snprintf(out, cap, "entries %zu..%zu", from, n - 1);
}

/* How many entries two versions of one record share from the start: the
 * same bytes, compared by their hashes (each also signs the one before). */
static size_t shared_entries(const struct phr_record *a, const struct phr_record *b)
{
	size_t n = 0;
	while (n < a->n_entries && n < b->n_entries && !memcmp(a->entries[n].hash, b->entries[n].hash, PHR_HASH_LEN))
		n++;
	return n;
}

/* The file may replace the card's version of the same record only when it
 * holds every entry of it: the same version, or one extended from it. A
 * strict prefix (an older copy, or one with its last entries dropped) and a
 * version that parts from the card's at some entry would lose entries: one
 * line saying which, and EXIT_CARD_OLDER. */
static int check_version(const char *verb, const struct phr_record *card, const struct phr_record *file)
{
	size_t k = shared_entries(card, file);
	char lost[64];
	if (k == card->n_entries)
		return EXIT_OK_;
	dropped(k, card->n_entries, lost, sizeof(lost));
	if (k == file->n_entries)
		fprintf(stderr,
			"phr %s: the card holds %zu entries of this record; this file holds only the first %zu: it is "
			"an older or truncated copy, and writing it would drop the card's %s (--replace to write it "
			"anyway)\n",
			verb, card->n_entries, k, lost);
	else
		fprintf(stderr,
			"phr %s: the card's version of this record and this file part at entry %zu (the card holds %zu "
			"%s, this file %zu): writing it would drop the card's %s (--replace to write it anyway)\n",
			verb, k, card->n_entries, entries_word(card->n_entries), file->n_entries, lost);
	return EXIT_CARD_OLDER;
}

static char slot_name(int active)
{
	return active == 1 ? 'A' : active == 2 ? 'B' : '-';
}

/* Reads the card's container into *buf (malloc'd); an exit code. */
static int read_card(const char *verb, const struct card_args *a, struct session *s, const char *pin,
		     uint8_t **buf, size_t *len, uint8_t key[PHR_CARD_KEY_LEN], bool *has_key)
{
	int ex, rc;
	*buf = NULL;
	if ((ex = session_open(verb, a, true, pin, s)))
		return ex;
	if (!(*buf = malloc(PHR_MAX_CONTAINER))) {
		session_close(s);
		return card_fail(verb, phr_fail(PHR_E_NOMEM, "out of memory"));
	}
	if ((rc = phr_card_read_key(s->card, *buf, PHR_MAX_CONTAINER, len, key, has_key))) {
		if (rc == PHR_E_CARD_EMPTY)
			fprintf(stderr, "phr %s: the card in '%s' holds no record yet\n", verb, phr_pcsc_reader(s->pcsc));
		else if (rc == PHR_E_CARD_TORN)
			fprintf(stderr, "phr %s: the record on the card is damaged: %s\n", verb, phr_last_error());
		ex = rc == PHR_E_CARD_EMPTY || rc == PHR_E_CARD_TORN ? card_exit(rc) : card_fail(verb, rc);
		free(*buf);
		*buf = NULL;
		session_close(s);
		return ex;
	}
	return EXIT_OK_;
}

/* ---- the verbs ------------------------------------------------------------- */

static int card_list(int argc, char **argv)
{
	const char *verb = "card list";
	struct card_args a;
	struct phr_pcsc_reader r[PHR_PCSC_MAX_READERS];
	size_t n;
	int ex = parse(verb, argc, argv, O_FORMAT, list_usage, &a), rc;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((rc = phr_pcsc_list(r, PHR_PCSC_MAX_READERS, &n)))
		return card_fail(verb, rc);
	if (!strcmp(a.format, "json")) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			char atr[2 * PHR_PCSC_ATR_MAX + 1];
			sodium_bin2hex(atr, sizeof(atr), r[i].atr, r[i].atr_len);
			json_array_append_new(arr, json_pack("{s:s, s:b, s:s, s:b, s:b}", "reader", r[i].name, "card",
							     r[i].card, "atr", atr, "in_use", r[i].in_use, "mute",
							     r[i].mute));
		}
		json_t *j = json_pack("{s:o}", "readers", arr);
		rc = cli_print_json(j);
		json_decref(j);
		return rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
	}
	for (size_t i = 0; i < n; i++) {
		if (!r[i].card) {
			printf("%s: no card\n", r[i].name);
			continue;
		}
		char atr[2 * PHR_PCSC_ATR_MAX + 1];
		sodium_bin2hex(atr, sizeof(atr), r[i].atr, r[i].atr_len);
		printf("%s: card present, ATR %s%s%s\n", r[i].name, atr, r[i].in_use ? ", in exclusive use" : "",
		       r[i].mute ? ", mute" : "");
	}
	return EXIT_OK_;
}

static void random_puk(char out[PHR_CARD_PUK_LEN + 1])
{
	for (int i = 0; i < PHR_CARD_PUK_LEN; i++)
		out[i] = (char)('0' + randombytes_uniform(10));
	out[PHR_CARD_PUK_LEN] = '\0';
}

static int card_format(int argc, char **argv)
{
	const char *verb = "card format";
	struct card_args a;
	struct session s;
	struct phr_card_perso p;
	char pin[SECRET_MAX + 2], puk[SECRET_MAX + 2];
	bool made_puk = false;
	int ex = parse(verb, argc, argv, O_READER | O_PIN | O_PUK | O_ERASE, format_usage, &a), rc;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = get_secret(verb, a.erase ? "PIN" : "new PIN", a.pin_file, "PHR_PIN", !a.erase, pin)))
		return ex;
	if (a.puk_file || getenv("PHR_PUK")) {
		if ((ex = get_secret(verb, "PUK", a.puk_file, "PHR_PUK", false, puk)))
			goto out;
	} else {
		random_puk(puk);
		made_puk = true;
	}
	if ((ex = session_open(verb, &a, false, NULL, &s)))
		goto out;
	rc = phr_card_personalise(s.card, pin, puk, &p);
	if (rc == PHR_E_CARD_EXISTS && a.erase) {
		int tries;
		if ((rc = phr_card_open(s.card)) == PHR_OK && (rc = phr_card_verify_pin(s.card, pin, &tries))) {
			ex = pin_fail(verb, rc, "PIN", tries);
			session_close(&s);
			goto out;
		}
		if (rc == PHR_OK && (rc = phr_card_format(s.card)) == PHR_OK)
			printf("the card in '%s' is personalised already: its record is removed\n",
			       phr_pcsc_reader(s.pcsc));
		session_close(&s);
		ex = rc ? card_fail(verb, rc) : EXIT_OK_;
		goto out;
	}
	const char *reader = phr_pcsc_reader(s.pcsc);
	if (rc == PHR_E_CARD_EXISTS) {
		fprintf(stderr,
			"phr %s: the card in '%s' is personalised already ('phr card format --erase' removes its "
			"record, with its PIN)\n",
			verb, reader);
		session_close(&s);
		ex = EXIT_FAIL;
		goto out;
	}
	if (rc) {
		ex = rc == PHR_E_CARD_PIN || rc == PHR_E_CARD_BLOCKED ? pin_fail(verb, rc, "PIN", -1)
								      : card_fail(verb, rc);
		if (made_puk && p.sent_puk)
			printf("PUK sent to the card just before it failed: %s (if the card took it, it is "
			       "this card's PUK: run 'phr card format' again with PHR_PUK=%s)\n",
			       puk, puk);
		session_close(&s);
		goto out;
	}
	bool resumed = !p.created_app;
	printf("personalised the card in '%s'%s: phr application, %s\n", reader,
	       resumed ? " (an interrupted format finished)" : "",
	       p.set_puk ? "PIN and PUK set" : "PIN set, PUK kept from the interrupted format");
	if (made_puk && p.set_puk)
		printf("PUK: %s\n"
		       "Give the PUK to the holder with their papers: it unblocks the PIN after three wrong tries,\n"
		       "and it is not shown again.\n",
		       puk);
	session_close(&s);
	ex = EXIT_OK_;
out:
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(puk, sizeof(puk));
	return ex;
}

static int card_write(int argc, char **argv)
{
	const char *verb = "card write";
	struct card_args a;
	struct session s = { 0 };
	struct phr_trust *t = NULL;
	struct phr_record *r = NULL, *old = NULL;
	uint8_t *buf = NULL, *cur = NULL, hkey[PHR_CARD_KEY_LEN], card_key[PHR_CARD_KEY_LEN];
	size_t len, cur_len;
	char pin[SECRET_MAX + 2] = "";
	bool have_key = false, card_has_key = false;
	const char *key_note = "";
	int ex = parse(verb, argc, argv, O_READER | O_PIN | O_TRUST | O_REPLACE | O_FORCE | O_FILE | O_HOLDER, write_usage,
		       &a),
	    rc;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (a.trust && (ex = cli_load_trust(verb, a.trust, NULL, &t)))
		return ex;
	if ((rc = cli_read(a.file, PHR_MAX_CONTAINER, &buf, &len))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if ((rc = check_record(verb, strcmp(a.file, "-") ? a.file : "the record on standard input", buf, len, t, &r))) {
		if (!r || !a.force) {
			if (r)
				fprintf(stderr, "phr %s: refusing to write a record that does not verify (--force to do it "
						"anyway)\n",
					verb);
			ex = cli_exit_code(rc);
			goto out;
		}
	}
	/* The holder key given must be the record's (the newest sealed entry's
	 * key), before the card is touched. */
	if (a.holder_key) {
		if ((ex = cli_load_holder_key(verb, a.holder_key, hkey)) ||
		    (ex = cli_check_holder_key(verb, r, hkey, a.holder_key)))
			goto out;
		have_key = true;
		key_note = " with its holder key";
	}
	if ((ex = get_secret(verb, "PIN", a.pin_file, "PHR_PIN", false, pin)))
		goto out;
	if ((ex = session_open(verb, &a, true, pin, &s)))
		goto out;
	/* What the card holds now: another person's record, or a version of
	 * this one with entries the file lacks, is not overwritten without
	 * --replace. */
	if (!(cur = malloc(PHR_MAX_CONTAINER))) {
		ex = card_fail(verb, phr_fail(PHR_E_NOMEM, "out of memory"));
		goto out;
	}
	rc = phr_card_read_key(s.card, cur, PHR_MAX_CONTAINER, &cur_len, card_key, &card_has_key);
	if (rc == PHR_E_CARD_REMOVED || rc == PHR_E_CARD_TRANSPORT) {
		ex = card_fail(verb, rc);
		goto out;
	}
	if (rc == PHR_OK && phr_record_decode(cur, cur_len, &old) == PHR_OK && !a.replace) {
		char have[33], want[33];
		phr_record_id_hex(old->id, have);
		phr_record_id_hex(r->id, want);
		if (memcmp(old->id, r->id, PHR_RECORD_ID_LEN) != 0) {
			fprintf(stderr, "phr %s: the card holds another record (%s, this is %s): --replace to write over it\n",
				verb, have, want);
			ex = EXIT_FAIL;
			goto out;
		}
		if ((ex = check_version(verb, old, r)))
			goto out;
	}
	/* The card's holder key for this record is kept, unless the record
	 * was re-keyed since (then it is the old key, and not written back). */
	if (!have_key && card_has_key && old && !memcmp(old->id, r->id, PHR_RECORD_ID_LEN)) {
		size_t at, rekeyed;
		int st = phr_record_seal_key_state(r, card_key, &at, &rekeyed);
		if (st == PHR_SEAL_KEY_NEWEST || st == PHR_SEAL_KEY_NONE) {
			memcpy(hkey, card_key, sizeof(hkey));
			have_key = true;
			key_note = ", keeping the holder key the card held";
		} else {
			fprintf(stderr,
				"phr %s: the holder key the card held is not this record's newest key (%s): it is not "
				"kept; give --holder-key with the new key\n",
				verb, st == PHR_SEAL_KEY_REPLACED ? "the record was re-keyed" : "another key");
		}
	} else if (!have_key && card_has_key) {
		fprintf(stderr, "phr %s: the holder key the card held was another record's: it is removed\n", verb);
	}
	phr_clear_error();
	if ((rc = phr_card_write_key(s.card, buf, len, have_key ? hkey : NULL))) {
		if (rc == PHR_E_CARD_REMOVED)
			fprintf(stderr, "phr %s: %s; the card holds the old record or the new one, never a mix\n", verb,
				phr_last_error());
		ex = rc == PHR_E_CARD_REMOVED ? EXIT_CARD_REMOVED : card_fail(verb, rc);
		goto out;
	}
	struct phr_card_status st;
	char id[33];
	phr_record_id_hex(r->id, id);
	if (phr_card_last_state(s.card, &st))
		printf("wrote record %s (%zu entr%s, %zu bytes)%s to the card in '%s': slot %c, generation %lu\n", id,
		       r->n_entries, r->n_entries == 1 ? "y" : "ies", len, key_note, phr_pcsc_reader(s.pcsc),
		       slot_name(st.active), (unsigned long)st.generation);
	ex = EXIT_OK_;
out:
	session_close(&s);
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(hkey, sizeof(hkey));
	sodium_memzero(card_key, sizeof(card_key));
	phr_record_destroy(r);
	phr_record_destroy(old);
	phr_trust_destroy(t);
	free(buf);
	free(cur);
	return ex;
}

static int card_read(int argc, char **argv)
{
	const char *verb = "card read";
	struct card_args a;
	struct session s;
	struct phr_trust *t = NULL;
	struct phr_record *r = NULL;
	struct phr_card_status st = { 0, 0, 0, 0 };
	uint8_t *buf = NULL, hkey[PHR_CARD_KEY_LEN];
	size_t len;
	bool has_key = false;
	char pin[SECRET_MAX + 2], reader[PHR_PCSC_READER_MAX];
	int ex = parse(verb, argc, argv, O_READER | O_PIN | O_TRUST | O_FORCE | O_OUT | O_REGISTER | O_HOLDER_OUT,
		       read_usage, &a),
	    rc;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if (!a.out)
		a.out = "-";
	if (!strcmp(a.out, "-") && isatty(STDOUT_FILENO))
		return cli_usage(verb, "not writing a record to a terminal: give --out FILE");
	if (a.trust && (ex = cli_load_trust(verb, a.trust, NULL, &t)))
		return ex;
	if ((ex = get_secret(verb, "PIN", a.pin_file, "PHR_PIN", false, pin)))
		goto out;
	ex = read_card(verb, &a, &s, pin, &buf, &len, hkey, &has_key);
	if (!ex) {
		snprintf(reader, sizeof(reader), "%s", phr_pcsc_reader(s.pcsc));
		(void)phr_card_last_state(s.card, &st);
	}
	session_close(&s); /* the card is free before anything is written */
	if (ex)
		goto out;
	if ((rc = check_record(verb, "the record on the card", buf, len, t, &r)) && !a.force) {
		ex = EXIT_CARD_RECORD;
		goto out;
	}
	if ((rc = cli_write(a.out, buf, len, 0666))) {
		ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	if (r) {
		char id[33];
		phr_record_id_hex(r->id, id);
		fprintf(strcmp(a.out, "-") ? stdout : stderr,
			"read record %s (%zu %s, %zu bytes) from the card in '%s': slot %c, generation %lu\n", id,
			r->n_entries, entries_word(r->n_entries), len, reader, slot_name(st.active),
			(unsigned long)st.generation);
	}
	if (a.holder_key_out && !has_key) {
		fprintf(stderr, "phr %s: the card holds no holder key with its record (--holder-key-out): nothing written\n",
			verb);
		ex = EXIT_SEAL;
	} else if (a.holder_key_out) {
		ex = cli_write_holder_key(verb, a.holder_key_out, hkey);
		if (!ex)
			fprintf(stderr, "phr %s: the holder key stored on the card is in %s (mode 0600): delete it when done\n",
				verb, a.holder_key_out);
	}
	/* the card's holder key (read behind the PIN) lets the register index
	 * the sealed sections too (docs/REGISTER.md) */
	if (a.register_db && !ex)
		ex = cli_register_file_key(verb, a.register_db, buf, len, t, "card", has_key ? hkey : NULL);
out:
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(hkey, sizeof(hkey));
	phr_record_destroy(r);
	phr_trust_destroy(t);
	free(buf);
	return ex;
}

static int card_show(int argc, char **argv)
{
	const char *verb = "card show";
	struct card_args a;
	struct session s;
	struct phr_trust *t = NULL;
	struct phr_record *r = NULL;
	struct phr_card_status st = { 0, 0, 0, 0 };
	uint8_t *buf = NULL, hkey[PHR_CARD_KEY_LEN];
	size_t len;
	char pin[SECRET_MAX + 2], reader[PHR_PCSC_READER_MAX];
	bool ext, has_key = false;
	int ex = parse(verb, argc, argv, O_READER | O_PIN | O_TRUST | O_AUTH | O_LANG | O_FORMAT | O_ENTRY | O_HOLDER |
				      O_HOLDER_QR,
		       show_usage, &a),
	    rc;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	struct cli_view v = { .json = !strcmp(a.format, "json"), .entry = a.entry };
	if ((ex = cli_view_lang(verb, a.lang, &v.lang)))
		return ex;
	if (a.trust && (ex = cli_load_trust(verb, a.trust, a.authority, &t)))
		return ex;
	if ((ex = get_secret(verb, "PIN", a.pin_file, "PHR_PIN", false, pin)))
		goto out;
	if ((ex = read_card(verb, &a, &s, pin, &buf, &len, hkey, &has_key)))
		goto out;
	snprintf(reader, sizeof(reader), "%s", phr_pcsc_reader(s.pcsc));
	ext = phr_card_extended(s.card);
	(void)phr_card_last_state(s.card, &st);
	session_close(&s);
	if ((rc = phr_record_decode(buf, len, &r))) {
		fprintf(stderr, "phr %s: the record on the card is not a readable record: %s\n", verb, phr_last_error());
		ex = EXIT_CARD_RECORD;
		goto out;
	}
	bool given = a.holder_key || a.holder_key_qr;
	int sex = given ? cli_unseal_any(verb, r, a.holder_key, a.holder_key_qr)
			: has_key ? cli_unseal_key(verb, r, hkey) : EXIT_OK_;
	sodium_memzero(hkey, sizeof(hkey));
	bool card_key = has_key && !given;
	if (sex && sex != EXIT_SEAL) {
		ex = sex;
		goto out;
	}
	if (v.json && v.entry < 0) {
		json_t *arr = json_array(), *obj;
		if ((ex = cli_view_record(verb, r, t, &v, arr)) == EXIT_OK_ && (obj = json_array_get(arr, 0))) {
			char slot[2] = { slot_name(st.active), '\0' };
			json_object_set_new(obj, "card",
					    json_pack("{s:s, s:s, s:I, s:I, s:b, s:b}", "reader", reader, "slot", slot,
						      "generation", (json_int_t)st.generation, "bytes", (json_int_t)len,
						      "extended", ext, "holder_key", has_key));
			if ((rc = cli_print_json(obj)))
				ex = cli_fail(verb, rc, NULL);
		}
		json_decref(arr);
	} else {
		if (v.entry < 0)
			printf("Card in '%s': slot %c, generation %lu, %zu bytes%s\n\n", reader, slot_name(st.active),
			       (unsigned long)st.generation, len,
			       card_key ? "; sealed sections opened with the holder key stored on the card" : "");
		ex = cli_view_record(verb, r, t, &v, NULL);
	}
	if (!ex)
		ex = sex;
out:
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(hkey, sizeof(hkey));
	phr_record_destroy(r);
	phr_trust_destroy(t);
	free(buf);
	return ex;
}

static int card_change_pin(int argc, char **argv)
{
	const char *verb = "card change-pin";
	struct card_args a;
	struct session s;
	char pin[SECRET_MAX + 2], npin[SECRET_MAX + 2] = "";
	int ex = parse(verb, argc, argv, O_READER | O_PIN | O_NEWPIN, change_pin_usage, &a), rc, tries = -1;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = get_secret(verb, "PIN", a.pin_file, "PHR_PIN", false, pin)) ||
	    (ex = get_secret(verb, "new PIN", a.new_pin_file, "PHR_NEW_PIN", true, npin)))
		goto out;
	if ((ex = session_open(verb, &a, true, NULL, &s)))
		goto out;
	if ((rc = phr_card_change_pin(s.card, pin, npin))) {
		if (rc == PHR_E_CARD_PIN && phr_card_pin_tries(s.card, &tries) != PHR_OK && tries != 0)
			tries = -1;
		ex = pin_fail(verb, rc, "PIN", tries);
	} else {
		printf("PIN changed on the card in '%s'\n", phr_pcsc_reader(s.pcsc));
	}
	session_close(&s);
out:
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(npin, sizeof(npin));
	return ex;
}

static int card_unblock(int argc, char **argv)
{
	const char *verb = "card unblock";
	struct card_args a;
	struct session s;
	char puk[SECRET_MAX + 2], npin[SECRET_MAX + 2] = "";
	int ex = parse(verb, argc, argv, O_READER | O_PUK | O_NEWPIN, unblock_usage, &a), rc, tries = -1;
	if (ex)
		return ex < 0 ? EXIT_OK_ : ex;
	if ((ex = get_secret(verb, "PUK", a.puk_file, "PHR_PUK", false, puk)) ||
	    (ex = get_secret(verb, "new PIN", a.new_pin_file, "PHR_NEW_PIN", true, npin)))
		goto out;
	if ((ex = session_open(verb, &a, true, NULL, &s)))
		goto out;
	if ((rc = phr_card_unblock_pin(s.card, puk, npin, &tries)))
		ex = pin_fail(verb, rc, "PUK", tries);
	else
		printf("PIN unblocked and set on the card in '%s': %d tries\n", phr_pcsc_reader(s.pcsc),
		       PHR_CARD_PIN_TRIES);
	session_close(&s);
out:
	sodium_memzero(puk, sizeof(puk));
	sodium_memzero(npin, sizeof(npin));
	return ex;
}

int cmd_card(int argc, char **argv)
{
	static const struct {
		const char *name;
		cli_cmd_fn fn;
	} verbs[] = {
		{ "list", card_list },	 { "format", card_format },	    { "write", card_write },
		{ "read", card_read },	 { "show", card_show },		    { "change-pin", card_change_pin },
		{ "unblock", card_unblock },
	};
	if (argc < 2) {
		fputs(card_usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(card_usage, stdout);
		return EXIT_OK_;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "phr card: unknown command '%s' (see 'phr card --help')\n", argv[1]);
	return EXIT_USAGE;
}
