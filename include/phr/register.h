/* phr — the clinic's register (register/): every record a clinic meets,
 * kept and searchable.
 *
 * One database file per clinic (SQLite, WAL, docs/REGISTER.md). The
 * register stores every *version* of every record it meets: a version is
 * what its signatures fix, the record id and the hash of its last entry
 * (phr_record_version_id), never the container's bytes, so two containers
 * that differ only in unsigned parts (compression, embedded certificates)
 * are one version. The first container met of a version is kept as it was
 * met, so export gives those bytes back unchanged. Each meeting of a
 * version is a *sighting*: when, how (issued, extended, scanned, card,
 * add), by whom, and the verification report then, with the trust bundle
 * version used.
 *
 * Searchable fields come from the verified entries only (status valid, or
 * signature_only without a trust bundle), by walking the schema table.
 *
 * Consent: a record whose latest consent says store: false is not stored
 * (PHR_E_CONSENT). phr_register_forget erases a record so that no byte of
 * it is left in the file or its journal.
 *
 * Audit: add, find, forget and check write their audit row themselves;
 * callers that show, export or hand out documents call
 * phr_register_audit_log. "Who" is the operating-system user, and, when
 * PHR_OPERATOR is set (a clerk's name on a shared login), "user (operator
 * NAME)".
 *
 * Errors: PHR_E_DB (SQLite failed; the message says which call),
 * PHR_E_DB_CORRUPT (damaged, or not a phr register), PHR_E_DB_BUSY
 * (another process held it past the busy timeout), PHR_E_DB_FULL (disk full,
 * nothing changed), PHR_E_DB_VERSION (schema newer than this program),
 * PHR_E_NOT_STORED, PHR_E_AMBIGUOUS, PHR_E_CONSENT, PHR_E_DOC_MISMATCH,
 * PHR_E_ARG, PHR_E_NOMEM, PHR_E_LIMIT.
 *
 * Thread safety: one struct phr_register per thread. Any number of
 * processes may open the same file; writers take turns (busy timeout
 * PHR_REG_BUSY_MS).
 */
#ifndef PHR_REGISTER_H
#define PHR_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/error.h"

#define PHR_REG_CREATE 1u   /* create the file (and its schema) if missing */
#define PHR_REG_READONLY 2u /* open for reading only */

#define PHR_REG_BUSY_MS 15000          /* how long a writer waits for another */
#define PHR_REG_MAX_HITS 500           /* most records one find returns */
#define PHR_REG_MAX_DOCUMENT (32u << 20) /* largest document kept, bytes */
#define PHR_REG_MEDIA_TYPE_MAX 64      /* longest media type, NUL included */
#define PHR_REG_WHO_MAX 160            /* the audit's "who", NUL included */
#define PHR_REG_OPERATOR_MAX 64        /* PHR_OPERATOR, bytes */
#define PHR_REG_NAME_MAX 420           /* a stored name as shown, NUL included */
#define PHR_REG_WHY_MAX 200            /* why a name matched, NUL included */

struct phr_register;

/* Opens (PHR_REG_CREATE: creates) the register at path, migrating its
 * schema forward when it is older than this program. flags: PHR_REG_CREATE
 * or PHR_REG_READONLY (or 0). A file that is not a register, or is
 * damaged, gives PHR_E_DB_CORRUPT; a missing file without PHR_REG_CREATE
 * PHR_E_NOT_FOUND. *out is owned by the caller (phr_register_close). */
PHR_NODISCARD int phr_register_open(const char *path, unsigned flags, struct phr_register **out);
void phr_register_close(struct phr_register *reg);
/* The schema version the file has (after open, the newest this program knows). */
int phr_register_schema_version(const struct phr_register *reg);
int phr_register_schema_latest(void);

/* ---- adding ------------------------------------------------------------ */

/* How a version was met. */
#define PHR_REG_HOW_ADD "add"
#define PHR_REG_HOW_ISSUED "issued"
#define PHR_REG_HOW_EXTENDED "extended"
#define PHR_REG_HOW_SCANNED "scanned"
#define PHR_REG_HOW_CARD "card"

struct phr_register_added {
	char record_hex[33];
	char version_hex[PHR_VERSION_ID_HEX_LEN];
	size_t n_entries;
	bool new_record;   /* the register did not know the record */
	bool new_version;  /* nor this version of it (else: one more sighting) */
	bool older;        /* a strict prefix of a stored version: an older copy */
	char newer_hex[PHR_VERSION_ID_HEX_LEN]; /* older: the stored version with the most entries it is a prefix of */
	size_t newer_entries;
	bool fork;         /* a stored version shares a prefix with it, then differs */
	char fork_hex[PHR_VERSION_ID_HEX_LEN];  /* fork: one such version */
	size_t fork_common; /* fork: entries the two share */
	int verify_err;    /* phr_report_error of the report stored (PHR_OK: all valid) */
	bool failed;       /* an entry failed verification (not valid, nor signature_only) */
	size_t consent_entry; /* PHR_E_CONSENT: the entry whose consent refused */
	size_t sealed_opened; /* phr_register_add_key: sealed entries opened and indexed */
	size_t sealed_closed; /* sealed entries left closed (no key, or they did not open) */
};

/* Decodes and verifies a container (against trust, NULL: signatures and
 * chain only, at clock now) and files it: a new version, or one more
 * sighting of a known one. how: PHR_REG_HOW_*. out says what was found
 * (older copy, fork). Returns PHR_OK when filed (whatever the record's
 * verification status: out->verify_err says it), PHR_E_CONSENT when the
 * latest consent says store: false (nothing of it written, not even to the
 * audit), the decoder's error for bytes that are not a container, or a
 * database error (nothing changed). */
PHR_NODISCARD int phr_register_add(struct phr_register *reg, const uint8_t *container, size_t len,
				   const struct phr_trust *trust, uint64_t now, const char *how,
				   struct phr_register_added *out);
/* The same, opening the sealed sections (docs/FORMAT.md, "Sealed
 * sections") with the holder key (16 bytes; NULL: as phr_register_add)
 * after verification: what opens is indexed (names, codes, fields) and
 * counted in the facts like the clear content. Without the key nothing of
 * a sealed section is written anywhere: the container holds it encrypted,
 * the index and the facts never see it. An entry indexed before without
 * its sealed sections (an earlier version, or this one, filed without the
 * key) is indexed again when they open now; the facts of a version already
 * stored stay as they were made (docs/REGISTER.md). */
PHR_NODISCARD int phr_register_add_key(struct phr_register *reg, const uint8_t *container, size_t len,
				       const struct phr_trust *trust, uint64_t now, const char *how,
				       const uint8_t *holder_key, struct phr_register_added *out);

/* Batches: after phr_register_begin, the adds up to phr_register_commit
 * share one transaction (each add is a savepoint inside it: an add that
 * fails is undone alone, the others stay). The file is written once per
 * batch instead of once per add, which is what makes a bulk import fast.
 * Until the commit, nothing of the batch is seen by other processes or
 * survives a crash, and the writer lock is held, so other writers wait
 * (PHR_REG_BUSY_MS): keep batches to a few thousand records.
 * phr_register_rollback undoes the whole batch; closing the register with a
 * batch open does too. When SQLite itself ends the transaction (a full
 * disk, an I/O error), the batch is lost with it and the commit fails.
 * forget is refused inside a batch (PHR_E_ARG), and a second begin, or a
 * commit without a begin, is PHR_E_ARG. */
PHR_NODISCARD int phr_register_begin(struct phr_register *reg);
PHR_NODISCARD int phr_register_commit(struct phr_register *reg);
void phr_register_rollback(struct phr_register *reg);

/* ---- looking up --------------------------------------------------------- */

/* The record id of a unique hex prefix (1..32 hex digits, any case).
 * PHR_E_NOT_STORED when none matches, PHR_E_AMBIGUOUS when several do,
 * PHR_E_ARG when it is not hex. */
PHR_NODISCARD int phr_register_resolve(struct phr_register *reg, const char *hex_prefix,
				       uint8_t id[PHR_RECORD_ID_LEN]);

/* The latest version's container (the first container met of it), malloc'd.
 * The latest version: the one with most entries, tie: the first stored. */
PHR_NODISCARD int phr_register_latest(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
				      uint8_t **container, size_t *len);

struct phr_register_version {
	char version_hex[PHR_VERSION_ID_HEX_LEN];
	size_t n_entries;
	bool latest;
	bool older;       /* a strict prefix of another stored version */
	bool fork;        /* neither a prefix of, nor extended by, some other stored version (a fork
			     a stored merged version joined is none: see merged_into) */
	int64_t stored_at; /* Unix seconds */
	bool merged;      /* a merged record (container version 2, docs/FORMAT.md "Merged records") */
	bool merged_into; /* one of the branches (or an older copy of one) that the stored merged
			     version merged_into_hex joined, which forked from another such branch */
	char merged_into_hex[PHR_VERSION_ID_HEX_LEN];
};
/* The container of one stored version (version_hex: lower-case hex, as
 * phr_register_each_version gives it), as first met, malloc'd.
 * PHR_E_NOT_STORED when the register holds no such version of the record. */
PHR_NODISCARD int phr_register_version_container(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
						 const char *version_hex, uint8_t **container, size_t *len);

struct phr_register_sighting {
	const char *version_hex;
	int64_t at;        /* Unix seconds */
	const char *how;   /* PHR_REG_HOW_* */
	const char *who;
	const char *report; /* JSON: the verification report (phr verify --format json) */
	uint64_t trust_version; /* 0: no trust bundle */
};
/* Each stored version of a record, oldest first, then each sighting, oldest
 * first. A callback returning non-zero stops the walk, which returns it. */
PHR_NODISCARD int phr_register_each_version(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
					    int (*cb)(void *ctx, const struct phr_register_version *v), void *ctx);
PHR_NODISCARD int phr_register_each_sighting(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
					     int (*cb)(void *ctx, const struct phr_register_sighting *s),
					     void *ctx);

/* A search. Unset fields (NULL, false) do not filter; the set ones all must
 * hold. At least one must be set. */
struct phr_register_query {
	const char *name;        /* any script; phr_name_query_keys, ranked by phr_name_rank */
	const char *born;        /* YYYY, YYYY-MM or YYYY-MM-DD; a partial date matches the dates in it, and a
				    stored partial date matches the full dates it holds */
	const char *sex;         /* female, male, other, unknown */
	const char *nationality; /* ISO 3166-1 alpha-2, any case */
	bool arrived;            /* migration.arrival within [arrived_from, arrived_to] (days, inclusive) */
	int64_t arrived_from, arrived_to;
	bool visited;            /* an entry (a visit) dated within [visited_from, visited_to] (days, inclusive) */
	int64_t visited_from, visited_to;
	const char *code;        /* "system:code" anywhere in the record (diagnoses, vaccines, results...) */
	const char *clinic;      /* part of the name of a clinic that signed an entry, ASCII case ignored */
	const char *record;      /* record id hex prefix */
	const char *field_path;  /* any indexed field: its path ("migration.host_country") ... */
	const char *field_value; /* ... and value as the JSON form writes it ("DE") */
};
struct phr_register_hit {
	char record_hex[33];
	int rank;              /* enum phr_name_rank with a name query, else 0 */
	char why[PHR_REG_WHY_MAX];   /* with a name query: why it matched */
	char name[PHR_REG_NAME_MAX]; /* a stored name (the best matching one), "" if none */
	char born[11];         /* identity.birth_date as written, "" if none */
	char sex[8];
	char nationality[3];
	size_t n_versions;
	int64_t last_seen;     /* Unix seconds of the newest sighting */
};
/* Records matching q, best first (name rank, then the most recently seen),
 * at most PHR_REG_MAX_HITS. Writes an audit row "find" naming the fields
 * asked for (never their values) and the number of hits. */
PHR_NODISCARD int phr_register_find(struct phr_register *reg, const struct phr_register_query *q,
				    int (*cb)(void *ctx, const struct phr_register_hit *h), void *ctx);

/* One call per stored record: its latest version's facts blob
 * (register/facts.h) when [first_day, last_day] of that version overlaps
 * [from_day, to_day] (days since 1900-01-01, phr_days_from_civil). A
 * callback returning non-zero stops the walk, which returns it. */
PHR_NODISCARD int phr_register_each_facts(struct phr_register *reg, int64_t from_day, int64_t to_day,
					  int (*cb)(void *ctx, const uint8_t *facts, size_t len), void *ctx);

/* ---- documents ------------------------------------------------------------ */

/* Keeps a document by its BLAKE2b-256 hash. PHR_E_DOC_MISMATCH when the
 * bytes do not hash to hash, PHR_E_LIMIT over PHR_REG_MAX_DOCUMENT,
 * PHR_E_ARG for a media type that is empty, too long or not printable ASCII.
 * Storing the same document again is not an error. */
PHR_NODISCARD int phr_register_put_document(struct phr_register *reg, const uint8_t hash[PHR_HASH_LEN],
					    const char *media_type, const uint8_t *bytes, size_t len);
/* The document's bytes (malloc'd) and media type. PHR_E_NOT_FOUND when not
 * on this machine, PHR_E_DOC_MISMATCH when its bytes no longer hash to it. */
PHR_NODISCARD int phr_register_get_document(struct phr_register *reg, const uint8_t hash[PHR_HASH_LEN],
					    char media_type[PHR_REG_MEDIA_TYPE_MAX], uint8_t **bytes, size_t *len);
/* Links a kept (or not yet kept) document to a record, so that it is listed
 * with the record and erased with it. */
PHR_NODISCARD int phr_register_link_document(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
					     const uint8_t hash[PHR_HASH_LEN]);
struct phr_register_document {
	uint8_t hash[PHR_HASH_LEN];
	bool present;   /* its bytes are on this machine */
	char media_type[PHR_REG_MEDIA_TYPE_MAX];
	size_t size;
};
PHR_NODISCARD int phr_register_each_document(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
					     int (*cb)(void *ctx, const struct phr_register_document *d),
					     void *ctx);

/* ---- consent, audit, integrity ------------------------------------------ */

/* Erases the record, its versions, sightings, index rows and the documents
 * linked to it alone; the audit rows that named it lose its id; then the
 * journal is checkpointed and truncated and the file vacuumed, with SQLite's
 * secure_delete on, so that none of its bytes are left. PHR_E_NOT_STORED
 * when the register does not hold it; PHR_E_DB_BUSY when another process
 * keeps the journal from being emptied (the record is erased, but old
 * pages may remain in the journal until the next forget, or until the
 * last connection closes). */
PHR_NODISCARD int phr_register_forget(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN]);

/* The audit's "who" for this process (see above). */
void phr_register_who(char out[PHR_REG_WHO_MAX]);
/* Writes an audit row. action: a short word (add, find, show, export,
 * documents, forget, check, report...); record_hex and detail may be NULL. */
PHR_NODISCARD int phr_register_audit_log(struct phr_register *reg, const char *action, const char *record_hex,
					 const char *detail);
struct phr_register_audit_row {
	int64_t id;
	int64_t at; /* Unix seconds */
	const char *who, *action, *record_hex, *detail; /* record_hex, detail: "" if none */
};
PHR_NODISCARD int phr_register_each_audit(struct phr_register *reg,
					  int (*cb)(void *ctx, const struct phr_register_audit_row *r), void *ctx);

/* Checks the file: SQLite's integrity_check and foreign_key_check, then
 * that every stored container still decodes and has the version id it is
 * stored under, and every document its hash. Each problem is passed to cb
 * (may be NULL) as one line; returns PHR_OK when there is none,
 * PHR_E_DB_CORRUPT when there is. Writes an audit row "check". */
PHR_NODISCARD int phr_register_check(struct phr_register *reg, void (*cb)(void *ctx, const char *problem), void *ctx);

/* The clock of the register's own timestamps (sightings, audit): Unix
 * seconds. 0 (the default) means time(NULL). For tests and phr-testclock. */
void phr_register_set_clock(struct phr_register *reg, uint64_t now);

/* ---- staff accounts (phr serve) --------------------------------------------
 * The people who use the clinic's web app: a name, a role and an Argon2id
 * password hash (libsodium crypto_pwhash_str, interactive limits). The
 * password itself is never stored. Adding, changing and a failed check
 * write an audit row ("user"), naming the account, never the password. */

#define PHR_REG_USER_NAME_MAX 64     /* longest staff name, bytes, NUL not counted */
#define PHR_REG_PASSWORD_MIN 10      /* shortest password accepted, characters */
#define PHR_REG_PASSWORD_MAX 1024    /* longest password accepted, bytes */

enum phr_role {
	PHR_ROLE_NONE = 0,
	PHR_ROLE_CLERK = 1,     /* scan, search, view, print */
	PHR_ROLE_CLINICIAN = 2, /* also sign: issue, extend, attach */
	PHR_ROLE_ADMIN = 3,     /* also import trust bundles and manage accounts */
};
/* "clerk", "clinician", "admin" <-> enum phr_role (PHR_ROLE_NONE if unknown). */
const char *phr_role_name(int role);
int phr_role_parse(const char *name);

struct phr_register_user {
	const char *name;
	int role;        /* enum phr_role */
	bool disabled;
	int64_t created; /* Unix seconds */
};

/* Adds a staff account: name 1..PHR_REG_USER_NAME_MAX bytes of UTF-8
 * without control characters, role a PHR_ROLE_*, password of at least
 * PHR_REG_PASSWORD_MIN characters (at most PHR_REG_PASSWORD_MAX bytes),
 * hashed here. PHR_E_USER_EXISTS when the name is taken, PHR_E_ARG for a bad
 * name, role or password. Takes about 0.1 s and 64 MiB (Argon2id). */
PHR_NODISCARD int phr_register_user_add(struct phr_register *reg, const char *name, int role, const char *password,
					size_t password_len);
/* Changes an account: role (PHR_ROLE_NONE: unchanged), password (NULL:
 * unchanged), disabled (-1: unchanged, 0 or 1). PHR_E_NOT_FOUND when there
 * is no such account. */
PHR_NODISCARD int phr_register_user_set(struct phr_register *reg, const char *name, int role, const char *password,
					size_t password_len, int disabled);
/* Checks a password in constant time against the stored hash. PHR_OK and
 * *role set when it matches an enabled account; PHR_E_AUTH otherwise
 * (unknown name, wrong password, disabled account: one error for all, and
 * an unknown name costs the same time as a known one). */
PHR_NODISCARD int phr_register_user_check(struct phr_register *reg, const char *name, const char *password,
					  size_t password_len, int *role);
/* Each account, by name. A callback returning non-zero stops the walk. */
PHR_NODISCARD int phr_register_user_each(struct phr_register *reg,
					 int (*cb)(void *ctx, const struct phr_register_user *u), void *ctx);
/* The audit's "who" for this handle from now on (the web app: the staff
 * member signed in, "NAME (clinician, web)"); NULL goes back to
 * phr_register_who(). Sanitized and cut to PHR_REG_WHO_MAX. */
void phr_register_set_who(struct phr_register *reg, const char *who);

#endif
