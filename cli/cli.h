/* Shared pieces of the phr command: files, passphrases, exit codes. */
#ifndef PHR_CLI_H
#define PHR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "phr/crypto.h"
#include "phr/error.h"

/* Exit codes (docs/phr.1): stable, scripts rely on them. */
enum phr_exit {
	EXIT_OK_ = 0,
	EXIT_FAIL = 1,          /* other failure */
	EXIT_USAGE = 2,         /* bad command line */
	EXIT_MALFORMED = 3,     /* input is not valid JSON / CBOR / container / key file */
	EXIT_LIMIT = 4,         /* input over a size limit */
	EXIT_PASSPHRASE = 5,    /* wrong passphrase or damaged key file */
	EXIT_IO = 6,            /* cannot read or write a file */
	EXIT_UNTRUSTED = 7,     /* trust bundle not signed by a known authority */
	EXIT_INCOMPLETE = 8,    /* scan: codes missing, or no phr code found */
	EXIT_SKIPPED = 9,       /* print --batch: some records were skipped */
	EXIT_BAD_SIGNATURE = 10,
	EXIT_UNKNOWN_SIGNER = 11,
	EXIT_REVOKED = 12,
	EXIT_CERT_VALIDITY = 13,
	EXIT_CHAIN = 14,
	EXIT_ENTRY_MALFORMED = 15,
	EXIT_FUTURE = 16,       /* an entry signed after the verifier's clock (beyond the tolerance) */
	EXIT_BATCH_EMPTY = 19,  /* print --batch: the directory or list names no record */
	/* phr card */
	EXIT_CARD_NO_READER = 20, /* no PC/SC service (pcscd) or no reader */
	EXIT_CARD_ABSENT = 21,    /* no card in the reader */
	EXIT_CARD_NO_APP = 22,    /* the card holds no phr application */
	EXIT_CARD_REMOVED = 23,   /* card removed during the operation */
	EXIT_CARD_PIN = 24,       /* wrong PIN or PUK */
	EXIT_CARD_BLOCKED = 25,   /* PIN or PUK blocked */
	EXIT_CARD_RECORD = 26,    /* the record on the card does not verify */
	EXIT_CARD_EMPTY = 27,     /* the card holds no record */
	EXIT_CARD = 28,           /* other card error */
	EXIT_CARD_OLDER = 29,     /* card write: the file lacks entries the card's record holds */

	/* the register (phr register ..., --register) */
	EXIT_DB = 30,             /* the database failed, or is busy past the timeout */
	EXIT_DB_CORRUPT = 31,     /* the database file is damaged or not a register; or newer than this program */
	EXIT_DB_FULL = 32,        /* disk full: nothing was changed */
	EXIT_NOT_STORED = 33,     /* no such record in the register (never stored, or forgotten); ambiguous prefix */
	EXIT_CONSENT = 34,        /* consent says store: false: verified and shown, not stored */
	EXIT_OLDER = 35,          /* register add/scan: the record met is an older copy of one stored */
	EXIT_MEDIA = 36,          /* attach: document type not accepted, or over the size limit */
	EXIT_DOC_MISMATCH = 37,   /* a document's bytes do not match its signed hash */
	EXIT_HUB_UNREACHABLE = 50, /* sync: the hub could not be reached (the outbox keeps what was not sent) */
	EXIT_HUB_AUTH = 51,        /* the hub refused the request's authentication (revoked, unknown clinic, replay) */
	EXIT_HUB_REFUSED = 52,     /* the record's consent does not allow storing or handing it out */
	EXIT_HUB = 53,             /* the hub answered with another error, or could not start */
	EXIT_HUB_PENDING = 54,     /* sync --once: items are left in the outbox for a later round */
	EXIT_TRUST_NOT_NEWER = 56, /* trust import: the bundle is not newer than the one in use (nothing changed) */
	EXIT_SYNC_BUSY = 60,       /* sync: another round (phr serve --hub, phr sync) held the register past --lock-wait */
	EXIT_SEAL = 38,           /* a holder key was given and a sealed part did not open with it */
	EXIT_NO_KEY_CODE = 39,    /* --holder-key-qr: the picture holds no readable holder key code */
	EXIT_SEAL_NOKEY = 40,     /* issue/extend: sections to seal and no holder key (--no-seal adds them unsealed) */
	EXIT_REKEYED = 41,        /* the holder key given was replaced since (phr rekey): the new key is needed */
	EXIT_FHIR = 47,           /* import: the input is not a FHIR document Bundle it reads */
	EXIT_FHIR_LOSS = 48,      /* import --strict: some items of the Bundle have no place in the record */
	/* staff accounts and phr serve */
	EXIT_USER = 42,           /* register user: the account exists, is unknown, or the password is refused */
	EXIT_MERGE = 55,          /* merge: the copies are unrelated, not a fork, or cannot be joined */
	EXIT_SERVE = 43,          /* serve: cannot listen (address in use, another address without TLS, TLS files) */
};

/* Maps a phr_err to the exit code. */
int cli_exit_code(int err);
/* Prints "phr VERB: what: message" on stderr and returns the exit code. */
int cli_fail(const char *verb, int err, const char *what);
/* The terminal columns of UTF-8 text s (an Arabic letter one, a combining
 * mark none, a CJK character two), whatever the locale. */
size_t cli_columns(const char *s);
/* s on standard output, then spaces up to cols columns (printf's "%-30s"
 * counts bytes: two a letter in Arabic script). */
void cli_print_padded(const char *s, size_t cols);
/* Prints a usage error and returns EXIT_USAGE. */
int cli_usage(const char *verb, const char *msg);

/* Reads a whole file ("-" = stdin), at most max bytes. malloc'd; a NUL is
 * appended (not counted) so text can be parsed in place. */
int cli_read(const char *path, size_t max, uint8_t **out, size_t *len);
/* Writes path ("-": standard output) so that a reader sees the old file or
 * the new one, never a part (docs/phr.1, FILES):
 * - a regular file, or a new one, is written to a partial file beside it,
 *   ".NAME.phr-partial-PID-XXXXXX", fsync'd and renamed over it, and the
 *   directory fsync'd. A new file gets mode & ~umask (0666 for outputs, 0600
 *   for secret keys); a replaced one keeps its mode, limited to mode (so no
 *   output gains execute bits nor a key more readers), and as root its owner
 *   and group. Partial files of the same name left by processes that no
 *   longer run are removed first; SIGINT, SIGTERM, SIGHUP and SIGPIPE remove
 *   the live one before the process dies of the signal.
 * - a symbolic link is followed to its final target, which is replaced so:
 *   the link stays a link. A link to nothing is refused.
 * - a character or block device or a FIFO is written through: opened
 *   without creating or truncating, never replaced.
 * - a directory, a socket or anything else is refused, naming the path. */
int cli_write(const char *path, const void *data, size_t len, unsigned mode);

/* The same, streamed: cli_out_open() (nothing is created before it),
 * cli_out_write() any number of times, then cli_out_commit() to put the
 * file in place or cli_out_abandon() to remove the partial file; both free
 * o. buffer: stdio buffer size (0: the default). */
struct cli_out;
int cli_out_open(const char *path, unsigned mode, size_t buffer, struct cli_out **o);
int cli_out_write(struct cli_out *o, const void *data, size_t len);
int cli_out_commit(struct cli_out *o);
void cli_out_abandon(struct cli_out *o);

/* A new passphrase (authority init, clinic init) has at least this many
 * characters (UTF-8 characters, not bytes); opening a key takes any. */
#define CLI_NEW_PASS_MIN 12

/* Passphrase from PHR_PASSPHRASE, --passphrase-file, or a prompt on the
 * terminal. confirm: a new passphrase, asked twice on the terminal and of
 * at least CLI_NEW_PASS_MIN characters whatever its source. In
 * sodium_malloc memory: free with cli_pass_free(). */
int cli_passphrase(const char *file, const char *prompt, bool confirm, char **pass, size_t *len);
void cli_pass_free(char *pass);

/* Opens a .key file with the passphrase. */
int cli_load_key(const char *verb, const char *path, const char *passfile, struct phr_seckey **out);

/* Current time in Unix seconds. In phr-testclock (built with
 * PHR_TEST_CLOCK, for the test suites only) PHR_NOW overrides it. */
uint64_t cli_now(void);

/* Parses "YYYY-MM-DD" or Unix seconds. */
int cli_parse_time(const char *s, uint64_t *out);
/* Parses 16 hex digits into a kid. */
int cli_parse_kid(const char *s, uint8_t kid[PHR_KID_LEN]);

/* "FILE.key" -> "FILE.pub"; otherwise appends ".pub". malloc'd. */
char *cli_pub_path(const char *key_path);

struct phr_trust;
/* Loads and checks a trust bundle; with pin (an authority .pub), the bundle
 * must be signed by that authority. Returns an exit code. */
int cli_load_trust(const char *verb, const char *path, const char *pin, struct phr_trust **out);
/* Prints JSON the way phr does (phr_json_dump) on stdout, with a newline. */
int cli_print_json(const json_t *j);

/* How 'phr show' presents a record (cmd_view.c); 'phr scan' shows the same. */
struct cli_view {
	const char *lang; /* text summary language, resolved by cli_view_lang() */
	bool json;        /* the JSON object (phr/render.h) instead of text */
	long entry;       /* >= 0: only this entry's content, in the input JSON format */
};
/* Resolves --lang (NULL: from LC_ALL, LC_MESSAGES or LANG, else en); when
 * the language has no labels, says which exist. Returns an exit code. */
int cli_view_lang(const char *verb, const char *want, const char **lang);
struct phr_record;
/* Verifies r against t (NULL: signatures and chain only) and shows it as
 * 'phr show' does. With v->json and collect (a JSON array), the record's
 * object is appended to collect instead of printed. Returns 0 when the
 * record was shown, whatever its status, else an exit code. */
int cli_view_record(const char *verb, const struct phr_record *r, const struct phr_trust *t,
		    const struct cli_view *v, json_t *collect);

/* Loads a clinic's key and certificate and checks that they may sign at
 * now, as phr issue and phr extend do. The caller owns *key and *cert on
 * success. Returns an exit code (the message printed). */
int cli_load_signer(const char *verb, const char *key_path, const char *cert_path, const char *passfile, uint64_t now,
		    struct phr_seckey **key, uint8_t **cert, size_t *cert_len);
/* Encodes r with compression and writes it to out (cli_write), with the
 * one-line summary phr issue and phr extend print. Returns an exit code. */
struct phr_report;
/* Before signing onto the record in (extend, attach): lists each entry that
 * does not verify and, unless force, refuses (its exit code) a record that
 * does not verify; without a trust bundle, unchecked signers are accepted. */
int cli_refuse_unverified(const char *verb, const char *in, const struct phr_report *rep, bool trusted, bool force,
			  const char *doing);
struct phr_trust;
struct phr_record;
/* Before signing onto a record (extend, attach): loads the trust bundle at
 * trust_path (when given) into *trust, reads and decodes in into *buf and *r,
 * verifies it into rep and refuses it as cli_refuse_unverified does.
 * Returns an exit code; the caller frees what was loaded either way. */
int cli_load_to_sign(const char *verb, const char *in, const char *trust_path, bool force, const char *doing,
		     uint64_t now, struct phr_trust **trust, uint8_t **buf, size_t *len, struct phr_record **r,
		     struct phr_report *rep);
/* Writes r to out as phr extend does and, with db, files it in that
 * register (as extended); returns an exit code. */
int cli_write_record(const char *verb, struct phr_record *r, int compression, const char *out, const char *db,
		     const struct phr_trust *trust);

/* Parses a compression name (none, deflate, deflate-dict, zstd-dict); -1 if unknown. */
int cli_compression(const char *name);
/* Holder keys (phr/seal.h) in their typed form, one line in a file. */
int cli_load_holder_key(const char *verb, const char *path, uint8_t key[16]);
int cli_write_holder_key(const char *verb, const char *path, const uint8_t key[16]);
/* Opens the sealed entries of r with the key in path (NULL: nothing to
 * do); prints a line per entry that does not open. EXIT_SEAL when one did
 * not, else EXIT_OK_. */
int cli_unseal(const char *verb, struct phr_record *r, const char *path);
/* The holder key from a file of its typed form (--holder-key FILE) or from
 * a photo or scan of the key slip (--holder-key-qr PICTURE: its QR code,
 * docs/FORMAT.md "The holder key as a QR code"); both NULL: *have false and
 * EXIT_OK_. Both given: a usage error. Returns an exit code (the message
 * printed): EXIT_NO_KEY_CODE when the picture holds no key code, EXIT_SEAL
 * for a key whose check character fails, EXIT_IO, EXIT_MALFORMED for a
 * picture that cannot be read. The caller wipes key. */
int cli_holder_key(const char *verb, const char *file, const char *photo, uint8_t key[16], bool *have);
/* cli_unseal with the key from a file or a photo (cli_holder_key);
 * nothing to do when both are NULL. */
int cli_unseal_any(const char *verb, struct phr_record *r, const char *file, const char *photo);
/* cli_unseal with a key in hand (the card's, or read by cli_holder_key). */
int cli_unseal_key(const char *verb, struct phr_record *r, const uint8_t key[16]);
/* Checks that key is the holder key of r's newest sealed entry (a record
 * with no sealed entry takes any key): EXIT_SEAL for another record's key,
 * or for a key whose id that entry names but that does not open it (a
 * trial open, phr_record_seal_key_check); EXIT_REKEYED for a key replaced
 * by re-keying; what names the key in messages (the wording is
 * phr_record_seal_key_check's, as the web form says it). */
int cli_check_holder_key(const char *verb, const struct phr_record *r, const uint8_t key[16], const char *what);

typedef int (*cli_cmd_fn)(int argc, char **argv);

int cmd_authority(int argc, char **argv);
int cmd_clinic(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_extend(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_qr(int argc, char **argv);
int cmd_scan(int argc, char **argv);
/* Reads one line from /dev/tty without echo after prompt, into buf (cap
 * bytes, line end removed). Fails with err and no_tty when there is no
 * terminal, with err "nothing entered" at end of input. */
int cli_tty_secret(const char *prompt, char *buf, size_t cap, int err, const char *no_tty);
int cmd_print(int argc, char **argv);
int cmd_card(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
/* phr register user (cmd_register.c calls it; argv[0] is "user"). */
int cmd_register_user(int argc, char **argv);
/* phr serve: the clinic's web app (cmd_serve.c, web/). */
int cmd_serve(int argc, char **argv);
int cmd_hub(int argc, char **argv);  /* cmd_hub.c: the regional hub (docs/HUB.md) */
int cmd_sync(int argc, char **argv); /* cmd_sync.c: a clinic's register with the hub */
int cmd_merge(int argc, char **argv); /* cmd_merge.c: joins two branches of a forked record */
struct phr_trust;
/* --register DB (issue, extend, scan, card read): files a container met by
 * verb in the register DB (which must exist), how as PHR_REG_HOW_*, and
 * says on stderr what the register made of it. Returns an exit code:
 * EXIT_OLDER for an older copy, EXIT_CONSENT when consent refuses storing,
 * 10-16 when an entry fails verification (filed all the same). */
int cli_register_file(const char *verb, const char *db, const uint8_t *container, size_t len,
		      const struct phr_trust *t, const char *how);
/* The same, opening sealed sections with the holder key (NULL: none)
 * so that they are indexed (phr_register_add_key). */
int cli_register_file_key(const char *verb, const char *db, const uint8_t *container, size_t len,
			  const struct phr_trust *t, const char *how, const uint8_t *key);
/* phr register report (cmd_report.c); argv[0] is "report". */
int cmd_register_report(int argc, char **argv);

#endif
