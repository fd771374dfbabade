/* phr — error codes shared by every module.
 *
 * Every fallible function returns PHR_OK (0) or a negative enum phr_err.
 * Failures are grouped by range so a caller can test the class:
 *   -1 .. -19   malformed input          (PHR_ERR_IS_MALFORMED)
 *   -20 .. -39  limit exceeded / resources
 *   -40 .. -59  verification failed      (PHR_ERR_IS_VERIFY)
 *   -60 .. -79  I/O and environment
 *   -80 .. -99  smartcard
 *
 * A function that fails also records a one-line message saying what was wrong
 * and where ("identity.birth_date: expected YYYY, YYYY-MM or YYYY-MM-DD").
 * phr_last_error() returns it. The message is thread-local and stays valid
 * until the next failing phr_* call on the same thread.
 */
#ifndef PHR_ERROR_H
#define PHR_ERROR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define PHR_NODISCARD __attribute__((warn_unused_result))
#define PHR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PHR_NODISCARD
#define PHR_PRINTF(a, b)
#endif

enum phr_err {
	PHR_OK = 0,

	/* malformed input */
	PHR_E_MALFORMED = -1,      /* structure is not what the format says */
	PHR_E_TRUNCATED = -2,      /* input ends before the item does */
	PHR_E_NONCANONICAL = -3,   /* valid CBOR but not deterministic encoding */
	PHR_E_DUPLICATE_KEY = -4,  /* a map holds the same key twice */
	PHR_E_TRAILING = -5,       /* bytes left after the item */
	PHR_E_JSON = -6,           /* JSON text does not parse */
	PHR_E_SCHEMA = -7,         /* a field is unknown, missing or of the wrong type */
	PHR_E_CODE_SYSTEM = -8,    /* unknown code system or malformed code */
	PHR_E_VERSION = -9,        /* unsupported format version or algorithm */
	PHR_E_ARG = -10,           /* invalid argument from the caller */
	PHR_E_NOT_OURS = -11,      /* a QR code, file or image that is not phr's */
	PHR_E_CHECKSUM = -12,      /* a chunk's checksum does not match its bytes */
	PHR_E_INCOMPLETE = -13,    /* too few chunks to restore a container */
	PHR_E_IMAGE = -14,         /* an image file cannot be decoded */

	/* limits and resources */
	PHR_E_LIMIT = -20,         /* a named PHR_MAX_* limit was exceeded */
	PHR_E_NOMEM = -21,         /* allocation failed */
	PHR_E_BUFFER = -22,        /* caller's buffer too small */

	/* verification */
	PHR_E_BAD_SIGNATURE = -40, /* signature does not verify */
	PHR_E_UNKNOWN_SIGNER = -41,/* no trusted certificate/key for the kid */
	PHR_E_REVOKED = -42,       /* signer kid is revoked in the trust bundle */
	PHR_E_CERT_VALIDITY = -43, /* certificate not valid at signing time */
	PHR_E_CHAIN = -44,         /* entries reordered, removed or from another record */
	PHR_E_UNTRUSTED = -45,     /* trust bundle not signed by a known authority */
	PHR_E_PASSPHRASE = -46,    /* wrong passphrase or tampered key file */
	PHR_E_CRYPTO = -47,        /* crypto library failure */
	PHR_E_FUTURE = -48,        /* signed after the verifier's clock beyond the tolerance */
	PHR_E_SEAL_KEY = -49,      /* holder key malformed, or not the key an entry was sealed under */
	PHR_E_SEALED = -50,        /* a sealed part does not open: altered, or moved from elsewhere */

	/* I/O and environment */
	PHR_E_IO = -60,            /* read/write/rename failed */
	PHR_E_NOT_FOUND = -61,     /* file or item not found */

	/* smartcard (range reserved for card/) */
	PHR_E_CARD = -80,          /* card refused a command (unexpected status word) */
	PHR_E_CARD_TRANSPORT = -81,/* transmit failed or response shorter than 2 bytes */
	PHR_E_CARD_NOT_FOUND = -82,/* 6A82: phr application or file not on the card */
	PHR_E_CARD_DENIED = -83,   /* 6982/6985: PIN not verified, access refused */
	PHR_E_CARD_PIN = -84,      /* 63Cx: wrong PIN or PUK, tries left given */
	PHR_E_CARD_BLOCKED = -85,  /* 6983: PIN or PUK blocked */
	PHR_E_CARD_RESPONSE = -86, /* malformed response, FCP, status EF or slot */
	PHR_E_CARD_TORN = -87,     /* slot checksum or read-back mismatch */
	PHR_E_CARD_EMPTY = -88,    /* the card holds no record yet */
	PHR_E_CARD_NO_READER = -89,/* no PC/SC service (pcscd), no reader, or none of the name asked for */
	PHR_E_CARD_ABSENT = -90,   /* the reader holds no card */
	PHR_E_CARD_REMOVED = -91,  /* the card was removed, or stopped answering, during the operation */
	PHR_E_CARD_NO_APP = -92,   /* the card answers but holds no phr application (6A82 to SELECT by AID) */
	PHR_E_CARD_EXISTS = -93,   /* personalisation: the card already holds a complete phr application */

	/* the clinic's register (range reserved for register/) */
	PHR_E_DB = -100,           /* the database failed (SQLite error, message says which) */
	PHR_E_DB_CORRUPT = -101,   /* the database file is damaged or is not a phr register */
	PHR_E_DB_BUSY = -102,      /* another process held the database past the busy timeout */
	PHR_E_DB_FULL = -103,      /* the disk is full or a file size limit was reached */
	PHR_E_DB_VERSION = -104,   /* the register's schema is newer than this program */
	PHR_E_NOT_STORED = -105,   /* the register holds no such record (never stored, or forgotten) */
	PHR_E_CONSENT = -106,      /* the record's latest consent does not allow storing it */
	PHR_E_AMBIGUOUS = -107,    /* a record id prefix matches more than one record */
	PHR_E_NAME_ICU = -108,     /* ICU transliteration or normalisation failed */
	PHR_E_MEDIA = -110,        /* a document's content is not an accepted type, or not the type named */
	PHR_E_DOC_MISMATCH = -111, /* a document's bytes do not match the hash its entry signed */
	PHR_E_NO_KEY_CODE = -116,  /* a picture holds no readable holder key code (key slip) */
	PHR_E_SEAL_NOKEY = -120,   /* an entry has sections to seal and no holder key was given */
	PHR_E_REKEYED = -121,      /* the holder key given was replaced by a re-keying entry */
	/* FHIR (range -150 .. -159 reserved for fhir/) */
	PHR_E_FHIR = -150,         /* not a FHIR document Bundle the importer reads (docs/FHIR.md) */

	/* staff accounts and the clinic's web app (phr serve) */
	PHR_E_USER_EXISTS = -130,  /* a staff account of that name exists already */
	PHR_E_AUTH = -131,         /* wrong name or password, or the account is disabled */
	PHR_E_HTTP = -132,         /* the web server cannot start (address in use, TLS files) */

	/* the clinic workstation's entry forms (web/form.c) */
	PHR_E_FORM = -140,         /* a posted form's fields fail the record's checks (each named by its label) */

	/* the regional hub and sync (hub/, docs/HUB.md) */
	PHR_E_HUB = -160,             /* the hub answered with an error */
	PHR_E_HUB_AUTH = -161,        /* the request's signature, certificate, time or nonce was refused */
	PHR_E_HUB_REFUSED = -162,     /* the record's consent does not allow it (storing, or handing out) */
	PHR_E_HUB_UNREACHABLE = -163, /* the hub could not be reached */

	/* joining two branches of a forked record (phr merge, docs/FORMAT.md "Merged records") */
	PHR_E_UNRELATED = -170,       /* the two records share no entry (another record, or another id) */
	PHR_E_NOT_FORK = -171,        /* one copy holds the other: nothing to join, the newer copy is the record */
	PHR_E_MERGE = -172,           /* a merge the format cannot carry (already merged, side branch too long) */
	/* trust by QR (docs/TRUST.md "Trust by QR") */
	PHR_E_TRUST_NOT_NEWER = -173, /* trust import: the bundle is not newer than the one in use */
	/* phr sync (docs/HUB.md "One round at a time") */
	PHR_E_SYNC_BUSY = -180,       /* another sync round held the register's sync lock past the wait */
};

#define PHR_ERR_IS_MALFORMED(e) ((e) <= -1 && (e) >= -19)
#define PHR_ERR_IS_LIMIT(e) ((e) <= -20 && (e) >= -39)
#define PHR_ERR_IS_VERIFY(e) ((e) <= -40 && (e) >= -59)

/* Short fixed English name of a code, e.g. "bad signature". Never NULL. */
const char *phr_strerror(int err);

/* Message of the last failure on this thread ("" if none). */
const char *phr_last_error(void);

/* Records a message for err and returns err, so a failing path can say
 * `return phr_fail(PHR_E_SCHEMA, "%s: expected a date", path);`.
 * The message is truncated to PHR_ERRMSG_MAX - 1 bytes. */
#define PHR_ERRMSG_MAX 512
int phr_fail(int err, const char *fmt, ...) PHR_PRINTF(2, 3);

/* Prefixes the current message with "prefix: " (for nested context). Returns err. */
int phr_fail_wrap(int err, const char *fmt, ...) PHR_PRINTF(2, 3);

/* Clears the message. */
void phr_clear_error(void);

#endif
