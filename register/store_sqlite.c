/* The register's SQLite backend: one file per clinic, WAL, foreign keys,
 * a versioned schema migrated forward in order (docs/REGISTER.md). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "phr/schema.h"

#define MAX_QUERY_KEYS 64   /* most keys of one name query (names.h: PHR_NAME_MAX_KEYS) */
/* A name query whose every word is common (the word that drives has more
 * postings than this, in name_key_counts) and that has no other filter
 * reads at most this many of the newest postings of each key of that
 * word, and ranks at most this many candidate names, the newest first
 * (name_candidates): its time no longer grows with the number of holders. */
#define NAME_SCAN_MAX 1000
#ifndef NAME_SCAN_FROM /* the postings past which a query is bounded; only a test build sets it lower */
#define NAME_SCAN_FROM NAME_SCAN_MAX
#endif
#define APP_ID 0x50485252 /* "PHRR": PRAGMA application_id of a phr register */

/* The partial index fields_hit's WHERE, as migration 3 wrote it; migration 6
 * rewrote it as HIT_PATHS (an IN list of three makes SQLite build a
 * temporary b-tree for every row inserted into fields, about a quarter of
 * an add's instructions; three equalities joined by OR cost nothing). A
 * query names the index's WHERE as written, so that SQLite uses it. */
#define HIT_PATHS_V3 "path IN ('identity.birth_date', 'identity.sex', 'identity.nationality')"
#define HIT_PATHS "(path = 'identity.birth_date' OR path = 'identity.sex' OR path = 'identity.nationality')"

/* Migrations: user_version N means the first N have run. Append, never edit. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE records("
	"  id INTEGER PRIMARY KEY,"
	"  record_id BLOB NOT NULL UNIQUE CHECK (length(record_id) = 16),"
	"  hex TEXT NOT NULL UNIQUE,"
	"  first_seen INTEGER NOT NULL,"
	"  latest INTEGER REFERENCES versions(id) ON DELETE SET NULL);"
	"CREATE TABLE versions("
	"  id INTEGER PRIMARY KEY,"
	"  record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  version_id BLOB NOT NULL UNIQUE CHECK (length(version_id) = 48),"
	"  n_entries INTEGER NOT NULL,"
	"  hashes BLOB NOT NULL CHECK (length(hashes) = 32 * n_entries),"
	"  container BLOB NOT NULL,"
	"  facts BLOB NOT NULL,"
	"  first_day INTEGER NOT NULL,"
	"  last_day INTEGER NOT NULL,"
	"  stored_at INTEGER NOT NULL);"
	"CREATE INDEX versions_record ON versions(record);"
	"CREATE INDEX records_latest ON records(latest);"
	"CREATE TABLE sightings("
	"  id INTEGER PRIMARY KEY,"
	"  version INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  how TEXT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  report TEXT NOT NULL,"
	"  trust_version INTEGER NOT NULL);"
	"CREATE INDEX sightings_version ON sightings(version);"
	"CREATE TABLE entries("
	"  id INTEGER PRIMARY KEY,"
	"  record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  clinic TEXT NOT NULL,"
	"  country TEXT NOT NULL,"
	"  UNIQUE (record, hash));"
	"CREATE INDEX entries_day ON entries(day);"
	"CREATE TABLE fields("
	"  entry INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	"  record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  value TEXT NOT NULL,"
	"  num INTEGER NOT NULL);"
	"CREATE INDEX fields_path_value ON fields(path, value);"
	"CREATE INDEX fields_type_value ON fields(type, value);"
	"CREATE INDEX fields_path_num ON fields(path, num);"
	"CREATE INDEX fields_entry ON fields(entry);"
	"CREATE INDEX fields_record ON fields(record);"
	"CREATE TABLE names("
	"  id INTEGER PRIMARY KEY,"
	"  entry INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	"  record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL);"
	"CREATE INDEX names_entry ON names(entry);"
	"CREATE INDEX names_record ON names(record);"
	"CREATE TABLE name_keys("
	"  key TEXT NOT NULL,"
	"  name INTEGER NOT NULL REFERENCES names(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (key, name)) WITHOUT ROWID;"
	"CREATE INDEX name_keys_name ON name_keys(name);"
	"CREATE TABLE documents("
	"  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
	"  media_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  bytes BLOB NOT NULL,"
	"  stored_at INTEGER NOT NULL);"
	"CREATE TABLE record_documents("
	"  record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  PRIMARY KEY (record, hash)) WITHOUT ROWID;"
	"CREATE INDEX record_documents_hash ON record_documents(hash);"
	"CREATE TABLE audit("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  who TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  record TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE INDEX audit_record ON audit(record);",
	/* 2: leaner, faster indexes (measured by tests/bench/bench_register.c,
	 * docs/PERFORMANCE.md "Register"). The code and arrival searches get
	 * partial indexes over the rows they read (type 5 is PHR_T_CODE)
	 * instead of two indexes over every field; the indexes a search
	 * filters by carry the record, so its candidates are read from the
	 * index alone; the per-record lookups of a search's hits (birth date,
	 * sex, nationality) seek (record, path); and records keep the time
	 * they were last seen, so a search orders its candidates without
	 * visiting their sightings. */
	"DROP INDEX fields_type_value;"
	"DROP INDEX fields_path_num;"
	"DROP INDEX fields_record;"
	"DROP INDEX fields_path_value;"
	"DROP INDEX entries_day;"
	/* the partial indexes hold the column of their WHERE too: SQLite reads
	 * the table for it otherwise */
	"CREATE INDEX fields_code ON fields(type, value, record) WHERE type = 5;"
	"CREATE INDEX fields_arrival ON fields(path, num, record) WHERE path = 'migration.arrival';"
	"CREATE INDEX fields_path_value ON fields(path, value, record);"
	"CREATE INDEX fields_record_path ON fields(record, path);"
	"CREATE INDEX entries_day ON entries(day, record);"
	"ALTER TABLE records ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
	"UPDATE records SET last_seen = coalesce((SELECT max(s.at) FROM sightings s JOIN versions v ON v.id = s.version"
	"  WHERE v.record = records.id), 0);",
	/* 3: a name search starts from its rarest keys and ranks all its
	 * candidates (docs/REGISTER.md): name_key_counts holds each key's
	 * number of postings, kept by triggers (a forgotten name's cascade
	 * too; a key no name holds any more is deleted), so the rarest are
	 * found without counting postings; records_last_seen orders the
	 * candidates of a common code or date without sorting them. */
	"CREATE TABLE name_key_counts("
	"  key TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO name_key_counts(key, n) SELECT key, count(*) FROM name_keys GROUP BY key;"
	"CREATE TRIGGER name_keys_counted AFTER INSERT ON name_keys BEGIN"
	"  INSERT INTO name_key_counts(key, n) VALUES (new.key, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER name_keys_uncounted AFTER DELETE ON name_keys BEGIN"
	"  UPDATE name_key_counts SET n = n - 1 WHERE key = old.key;"
	"  DELETE FROM name_key_counts WHERE key = old.key AND n <= 0;"
	" END;"
	"CREATE INDEX records_last_seen ON records(last_seen);"
	/* measurements and flags are no longer indexed (register.c,
	 * index_leaf): 1 2 8 9 are PHR_T_INT, _BOOL, _UNIT, _DECIMAL */
	"DELETE FROM fields WHERE type IN (1, 2, 8, 9);"
	/* a hit's birth date, sex and nationality from the index alone, the
	 * latest first (sq_find names its WHERE, so SQLite uses it) */
	"CREATE INDEX fields_hit ON fields(record, path, entry, value) WHERE " HIT_PATHS_V3 ";",
	/* 4: staff accounts of the clinic's web app (phr serve): a name, a role
	 * (1 clerk, 2 clinician, 3 admin: enum phr_role) and an Argon2id hash
	 * in libsodium's crypto_pwhash_str form. */
	"CREATE TABLE IF NOT EXISTS users("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
	"  hash TEXT NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);",
	/* 5: the outbox of phr sync (hub/sync.c, docs/HUB.md): every record
	 * that gets a new version and every document kept is queued, in the
	 * transaction that stores it, until the hub has it (store and
	 * forward). gen counts the versions queued since a row was read, so
	 * that a version stored while an older one was being sent is sent
	 * too; a forgotten record or document leaves the outbox with it. */
	"CREATE TABLE outbox("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  ref BLOB NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL DEFAULT 0,"
	"  gen INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (kind, ref));"
	"CREATE TRIGGER outbox_version AFTER INSERT ON versions BEGIN"
	"  INSERT OR IGNORE INTO outbox(kind, ref) SELECT 'record', record_id FROM records WHERE id = new.record;"
	"  UPDATE outbox SET gen = gen + 1, tries = 0, next_at = 0"
	"  WHERE kind = 'record' AND ref = (SELECT record_id FROM records WHERE id = new.record);"
	" END;"
	"CREATE TRIGGER outbox_document AFTER INSERT ON documents BEGIN"
	"  INSERT OR IGNORE INTO outbox(kind, ref) VALUES ('document', new.hash);"
	" END;"
	"CREATE TRIGGER outbox_record_forgotten AFTER DELETE ON records BEGIN"
	"  DELETE FROM outbox WHERE kind = 'record' AND ref = old.record_id;"
	" END;"
	"CREATE TRIGGER outbox_document_forgotten AFTER DELETE ON documents BEGIN"
	"  DELETE FROM outbox WHERE kind = 'document' AND ref = old.hash;"
	" END;"
	"INSERT INTO outbox(kind, ref) SELECT 'record', record_id FROM records;"
	"INSERT INTO outbox(kind, ref) SELECT 'document', hash FROM documents;",
	/* 6: fields_hit again, its WHERE without the IN list (HIT_PATHS,
	 * above): measured with tests/bench/bench_register.c, an add of a
	 * record took 23% fewer instructions (docs/PERFORMANCE.md, "Register"). */
	"DROP INDEX fields_hit;"
	"CREATE INDEX fields_hit ON fields(record, path, entry, value) WHERE " HIT_PATHS ";",
	/* 7: the hub's changes cursor (hub/sync.c, docs/HUB.md "Changes since
	 * a cursor"): per hub, the cursor of the last round whose fetches were
	 * all filed, and the arrival number up to which the records held were
	 * covered by that round. record_arrivals numbers each record when it
	 * is first filed (AUTOINCREMENT: a number is never used twice, even
	 * after a forget), so a record filed since a round is pulled whole at
	 * the next; it names the record by its row, and goes with it. */
	"CREATE TABLE hub_cursor("
	"  hub TEXT PRIMARY KEY,"
	"  cursor INTEGER NOT NULL CHECK (cursor >= 0),"
	"  arrivals INTEGER NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE TABLE record_arrivals("
	"  n INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  record INTEGER NOT NULL UNIQUE REFERENCES records(id) ON DELETE CASCADE);"
	"CREATE TRIGGER record_arrival AFTER INSERT ON records BEGIN"
	"  INSERT INTO record_arrivals(record) VALUES (new.id);"
	" END;"
	"CREATE TRIGGER record_arrival_forgotten AFTER DELETE ON records BEGIN"
	"  DELETE FROM record_arrivals WHERE record = old.id;"
	" END;"
	"INSERT INTO record_arrivals(record) SELECT id FROM records ORDER BY id;",
};
_Static_assert(PHR_T_INT == 1 && PHR_T_BOOL == 2 && PHR_T_UNIT == 8 && PHR_T_DECIMAL == 9,
	       "migration 3 names the types of measurements and flags by number");
_Static_assert(PHR_T_CODE == 5, "migration 2's partial index fields_code names PHR_T_CODE as 5");
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt {
	S_RECORD_FIND,
	S_RECORD_INSERT,
	S_RECORD_RESOLVE,
	S_VERSIONS,
	S_VERSION_INSERT,
	S_SET_LATEST,
	S_SIGHTING_INSERT,
	S_SEEN,
	S_SIGHTINGS,
	S_LATEST,
	S_ENTRY_INSERT,
	S_FIELD_INSERT,
	S_FIELD_INSERT_REC,
	S_NAME_INSERT,
	S_NAME_INSERT_REC,
	S_KEY_INSERT,
	S_KEY_COUNT,
	S_FACTS,
	S_DOC_PUT,
	S_DOC_GET,
	S_DOC_LINK,
	S_DOCS,
	S_AUDIT_INSERT,
	S_AUDIT,
	S_ENTRY_FIND,
	S_FIELDS_CLEAR,
	S_COUNT,
};

static const char *const stmt_sql[S_COUNT] = {
	[S_RECORD_FIND] = "SELECT id FROM records WHERE record_id = ?1",
	[S_RECORD_INSERT] = "INSERT INTO records(record_id, hex, first_seen) VALUES (?1, ?2, ?3)",
	[S_RECORD_RESOLVE] = "SELECT record_id FROM records WHERE hex >= ?1 AND hex < ?2 ORDER BY hex LIMIT 2",
	[S_VERSIONS] = "SELECT v.id, v.version_id, v.n_entries, v.hashes, v.stored_at, v.id = r.latest "
		       "FROM versions v JOIN records r ON r.id = v.record WHERE v.record = ?1 ORDER BY v.id",
	[S_VERSION_INSERT] = "INSERT INTO versions(record, version_id, n_entries, hashes, container, facts, first_day, "
			     "last_day, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_SET_LATEST] = "UPDATE records SET latest = ?2 WHERE id = ?1 AND (latest IS NULL OR "
			 "(SELECT n_entries FROM versions WHERE id = latest) < ?3)",
	[S_SIGHTING_INSERT] = "INSERT INTO sightings(version, at, how, who, report, trust_version) "
			      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_SEEN] = "UPDATE records SET last_seen = max(last_seen, ?2) WHERE id = (SELECT record FROM versions WHERE id = ?1)",
	[S_SIGHTINGS] = "SELECT v.version_id, s.at, s.how, s.who, s.report, s.trust_version FROM sightings s "
			"JOIN versions v ON v.id = s.version WHERE v.record = ?1 ORDER BY s.id",
	[S_LATEST] = "SELECT v.container FROM records r JOIN versions v ON v.id = r.latest WHERE r.id = ?1",
	[S_ENTRY_INSERT] = "INSERT OR IGNORE INTO entries(record, hash, idx, day, clinic, country) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_FIELD_INSERT] = "INSERT INTO fields(entry, record, path, type, value, num) "
			   "VALUES (?1, (SELECT record FROM entries WHERE id = ?1), ?2, ?3, ?4, ?5)",
	[S_NAME_INSERT] = "INSERT INTO names(entry, record, name) VALUES (?1, (SELECT record FROM entries WHERE id = ?1), ?2)",
	/* the same with the entry's record known (struct sq, entry_row) */
	[S_FIELD_INSERT_REC] = "INSERT INTO fields(entry, record, path, type, value, num) VALUES (?1, ?6, ?2, ?3, ?4, ?5)",
	[S_NAME_INSERT_REC] = "INSERT INTO names(entry, record, name) VALUES (?1, ?3, ?2)",
	[S_KEY_INSERT] = "INSERT OR IGNORE INTO name_keys(key, name) VALUES (?1, ?2)",
	[S_ENTRY_FIND] = "SELECT id FROM entries WHERE record = ?1 AND hash = ?2",
	[S_FIELDS_CLEAR] = "DELETE FROM fields WHERE entry = ?1",
	[S_KEY_COUNT] = "SELECT n FROM name_key_counts WHERE key = ?1",
	[S_FACTS] = "SELECT v.facts FROM records r JOIN versions v ON v.id = r.latest "
		    "WHERE v.first_day <= ?2 AND v.last_day >= ?1 ORDER BY r.id",
	[S_DOC_PUT] = "INSERT OR IGNORE INTO documents(hash, media_type, size, bytes, stored_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DOC_GET] = "SELECT media_type, bytes FROM documents WHERE hash = ?1",
	[S_DOC_LINK] = "INSERT OR IGNORE INTO record_documents(record, hash) VALUES (?1, ?2)",
	[S_DOCS] = "SELECT l.hash, d.media_type, d.size FROM record_documents l LEFT JOIN documents d ON d.hash = l.hash "
		   "WHERE l.record = ?1 ORDER BY l.hash",
	[S_AUDIT_INSERT] = "INSERT INTO audit(at, who, action, record, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_AUDIT] = "SELECT id, at, who, action, record, detail FROM audit ORDER BY id",
};

struct sq {
	struct phr_store base;
	sqlite3 *db;
	int version;
	bool readonly;
	int depth; /* begin() calls not yet committed or rolled back: 1 a transaction, more savepoints in it */
	sqlite3_stmt *st[S_COUNT];
	int (*rank)(void *ctx, const char *names); /* the running name search's (phr_rank in SQL) */
	/* The entry row last inserted or looked up and its record: the field
	 * and name rows that follow it get their record without a lookup
	 * (set again by every entry insert, so a row id reused after a
	 * rollback is never taken for the old one). */
	int64_t entry_row, entry_record;
	void *rank_ctx;
};

static struct sq *SQ(struct phr_store *s)
{
	return (struct sq *)s;
}

/* Whether a write that failed did so for want of room: SQLite reports the
 * errno of its last system call, which a later call may have changed, so
 * the room left is looked at too (the file size limit, the free space of
 * the register's file system). */
static bool out_of_room(sqlite3 *db, int sys)
{
	if (sys == ENOSPC || sys == EFBIG || sys == EDQUOT)
		return true;
	const char *path = db ? sqlite3_db_filename(db, "main") : NULL;
	if (!path || !*path)
		return false;
	struct rlimit rl;
	struct stat sb;
	off_t biggest = 0;
	char wal[4096];
	if (stat(path, &sb) == 0)
		biggest = sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0 && sb.st_size > biggest)
		biggest = sb.st_size;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)biggest + 65536 >= (uint64_t)rl.rlim_cur)
		return true;
	struct statvfs vfs;
	return statvfs(path, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < (1u << 20);
}

/* An SQLite result code as a phr error, with what was being done. */
static int fail(sqlite3 *db, int rc, const char *what)
{
	int prim = rc & 0xff;
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int sys = db ? sqlite3_system_errno(db) : 0;
	switch (prim) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return phr_fail(PHR_E_DB_BUSY, "register: %s: another process held the database for more than %d s (%s)",
				what, PHR_REG_BUSY_MS / 1000, msg);
	case SQLITE_FULL:
		return phr_fail(PHR_E_DB_FULL, "register: %s: the disk is full; nothing was changed (%s)", what, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return phr_fail(PHR_E_DB_CORRUPT, "register: %s: the file is damaged or is not a phr register (%s)", what,
				msg);
	case SQLITE_NOMEM:
		return phr_fail(PHR_E_NOMEM, "register: %s: out of memory", what);
	case SQLITE_IOERR:
		if (rc != SQLITE_IOERR_NOMEM && out_of_room(db, sys))
			return phr_fail(PHR_E_DB_FULL, "register: %s: the disk is full or a file size limit was reached; "
					"nothing was changed (%s)", what, msg);
		break;
	default:
		break;
	}
	return phr_fail(PHR_E_DB, "register: %s: %s", what, msg);
}

static int prep(struct sq *q, enum stmt k, sqlite3_stmt **out)
{
	if (!q->st[k]) {
		int rc = sqlite3_prepare_v3(q->db, stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT, &q->st[k], NULL);
		if (rc != SQLITE_OK)
			return fail(q->db, rc, "prepare");
	}
	sqlite3_reset(q->st[k]);
	sqlite3_clear_bindings(q->st[k]);
	*out = q->st[k];
	return PHR_OK;
}

/* Runs a statement to its end; SQLITE_DONE is success. */
static int run(struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, what);
}

static int exec(struct sq *q, const char *sql, const char *what)
{
	char *err = NULL;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, &err);
	sqlite3_free(err);
	return rc == SQLITE_OK ? PHR_OK : fail(q->db, rc, what);
}

static int pragma_int(struct sq *q, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "read the register's header");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read the register's header");
}

static const char *text_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* ---- operations ------------------------------------------------------- */

static void sq_close(struct phr_store *s)
{
	struct sq *q = SQ(s);
	if (!q)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	free(q);
}

static int sq_schema_version(struct phr_store *s)
{
	return SQ(s)->version;
}

/* Transactions nest: the outermost begin() is a transaction, the ones
 * inside it savepoints, so an add inside a caller's batch is undone alone. */
static int sq_begin(struct phr_store *s)
{
	struct sq *q = SQ(s);
	if (q->depth && sqlite3_get_autocommit(q->db))
		q->depth = 0; /* SQLite rolled the transaction back itself (full disk, I/O error) */
	int rc = exec(q, q->depth ? "SAVEPOINT phr_add" : "BEGIN IMMEDIATE", "begin a change");
	if (!rc)
		q->depth++;
	return rc;
}

static int sq_commit(struct phr_store *s)
{
	struct sq *q = SQ(s);
	int rc = exec(q, q->depth > 1 ? "RELEASE phr_add" : "COMMIT", "commit");
	if (!rc && q->depth)
		q->depth--;
	return rc;
}

static void sq_rollback(struct phr_store *s)
{
	struct sq *q = SQ(s);
	q->entry_row = 0;
	if (sqlite3_get_autocommit(q->db)) {
		q->depth = 0;
		return;
	}
	if (q->depth > 1 &&
	    sqlite3_exec(q->db, "ROLLBACK TO phr_add; RELEASE phr_add", NULL, NULL, NULL) == SQLITE_OK) {
		q->depth--;
		return;
	}
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	q->depth = 0;
}

static int sq_record_find(struct phr_store *s, const uint8_t id[PHR_RECORD_ID_LEN], int64_t *row)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_RECORD_FIND, &st);
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, id, PHR_RECORD_ID_LEN, SQLITE_STATIC);
	*row = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*row = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "look up a record");
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int sq_record_insert(struct phr_store *s, const uint8_t id[PHR_RECORD_ID_LEN], int64_t at, int64_t *row)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char hex[2 * PHR_RECORD_ID_LEN + 1];
	int rc = prep(q, S_RECORD_INSERT, &st);
	if (rc)
		return rc;
	to_hex(id, PHR_RECORD_ID_LEN, hex);
	sqlite3_bind_blob(st, 1, id, PHR_RECORD_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at);
	if ((rc = run(q, st, "store a record")))
		return rc;
	*row = sqlite3_last_insert_rowid(q->db);
	return PHR_OK;
}

static int sq_record_resolve(struct phr_store *s, const char *prefix, uint8_t id[PHR_RECORD_ID_LEN])
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char hi[2 * PHR_RECORD_ID_LEN + 2];
	int rc = prep(q, S_RECORD_RESOLVE, &st);
	if (rc)
		return rc;
	snprintf(hi, sizeof(hi), "%sg", prefix); /* 'g' sorts after every hex digit */
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	int n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0 && sqlite3_column_bytes(st, 0) == PHR_RECORD_ID_LEN)
			memcpy(id, sqlite3_column_blob(st, 0), PHR_RECORD_ID_LEN);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(q->db, rc, "look up a record id");
	if (n == 0)
		return phr_fail(PHR_E_NOT_STORED, "the register holds no record %s (never stored, or forgotten)", prefix);
	if (n > 1)
		return phr_fail(PHR_E_AMBIGUOUS, "%s is the start of more than one record id: give more digits", prefix);
	return PHR_OK;
}

static int sq_versions_each(struct phr_store *s, int64_t record_row,
			    int (*cb)(void *ctx, const struct phr_store_version *v), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_VERSIONS, &st), r = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct phr_store_version v = { 0 };
		v.row = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != PHR_VERSION_ID_LEN) {
			sqlite3_reset(st);
			return phr_fail(PHR_E_DB_CORRUPT, "register: version row %lld has a damaged id", (long long)v.row);
		}
		memcpy(v.version_id, sqlite3_column_blob(st, 1), PHR_VERSION_ID_LEN);
		v.n_entries = (size_t)sqlite3_column_int64(st, 2);
		v.hashes = sqlite3_column_blob(st, 3);
		if ((size_t)sqlite3_column_bytes(st, 3) != v.n_entries * PHR_HASH_LEN) {
			sqlite3_reset(st);
			return phr_fail(PHR_E_DB_CORRUPT, "register: version row %lld has damaged entry hashes",
					(long long)v.row);
		}
		v.stored_at = sqlite3_column_int64(st, 4);
		v.latest = sqlite3_column_int(st, 5) != 0;
		if ((r = cb(ctx, &v)))
			break;
	}
	sqlite3_reset(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read a record's versions");
}

static int sq_version_insert(struct phr_store *s, int64_t record_row, const struct phr_store_version *v,
			     const uint8_t *container, size_t len, const uint8_t *facts, size_t facts_len,
			     int64_t first_day, int64_t last_day, int64_t *row)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_VERSION_INSERT, &st);
	if (rc)
		return rc;
	static const uint8_t none = 0;
	sqlite3_bind_int64(st, 1, record_row);
	sqlite3_bind_blob(st, 2, v->version_id, PHR_VERSION_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)v->n_entries);
	sqlite3_bind_blob(st, 4, v->hashes, (int)(v->n_entries * PHR_HASH_LEN), SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, container, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, facts ? facts : &none, (int)facts_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, first_day);
	sqlite3_bind_int64(st, 8, last_day);
	sqlite3_bind_int64(st, 9, v->stored_at);
	if ((rc = run(q, st, "store a version")))
		return rc;
	*row = sqlite3_last_insert_rowid(q->db);
	if ((rc = prep(q, S_SET_LATEST, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	sqlite3_bind_int64(st, 2, *row);
	sqlite3_bind_int64(st, 3, (int64_t)v->n_entries);
	return run(q, st, "mark the latest version");
}

static int sq_sighting_insert(struct phr_store *s, int64_t version_row, int64_t at, const char *how, const char *who,
			      const char *report_json, uint64_t trust_version)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_SIGHTING_INSERT, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, version_row);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, how, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, report_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)trust_version);
	if ((rc = run(q, st, "store a sighting")) || (rc = prep(q, S_SEEN, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, version_row);
	sqlite3_bind_int64(st, 2, at);
	return run(q, st, "store a sighting");
}

static int sq_sightings_each(struct phr_store *s, int64_t record_row,
			     int (*cb)(void *ctx, const struct phr_register_sighting *v), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_SIGHTINGS, &st), r = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char vhex[PHR_VERSION_ID_HEX_LEN] = "";
		if (sqlite3_column_bytes(st, 0) == PHR_VERSION_ID_LEN)
			to_hex(sqlite3_column_blob(st, 0), PHR_VERSION_ID_LEN, vhex);
		struct phr_register_sighting g = {
			.version_hex = vhex,
			.at = sqlite3_column_int64(st, 1),
			.how = text_col(st, 2),
			.who = text_col(st, 3),
			.report = text_col(st, 4),
			.trust_version = (uint64_t)sqlite3_column_int64(st, 5),
		};
		if ((r = cb(ctx, &g)))
			break;
	}
	sqlite3_reset(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read a record's sightings");
}

static int sq_latest(struct phr_store *s, int64_t record_row, uint8_t **container, size_t *len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_LATEST, &st);
	*container = NULL;
	*len = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		if (!(*container = malloc(n ? n : 1))) {
			sqlite3_reset(st);
			return phr_fail(PHR_E_NOMEM, "out of memory");
		}
		memcpy(*container, sqlite3_column_blob(st, 0), n);
		*len = n;
		sqlite3_reset(st);
		return PHR_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return phr_fail(PHR_E_NOT_STORED, "the register holds no version of this record");
	return fail(q->db, rc, "read the latest version");
}

static int sq_version_container(struct phr_store *s, int64_t version_row, uint8_t **container, size_t *len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	*container = NULL;
	*len = 0;
	int rc = sqlite3_prepare_v2(q->db, "SELECT container FROM versions WHERE id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "read a version");
	sqlite3_bind_int64(st, 1, version_row);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		if ((*container = malloc(n ? n : 1)) && n)
			memcpy(*container, sqlite3_column_blob(st, 0), n);
		*len = n;
		sqlite3_finalize(st);
		return *container ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return phr_fail(PHR_E_NOT_STORED, "the register holds no such version");
	return fail(q->db, rc, "read a version");
}

static int sq_entry_insert(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN], size_t index,
			   int64_t day, const char *clinic, const char *country, int64_t *row)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_ENTRY_INSERT, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	sqlite3_bind_blob(st, 2, hash, PHR_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)index);
	sqlite3_bind_int64(st, 4, day);
	sqlite3_bind_text(st, 5, clinic, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, country, -1, SQLITE_STATIC);
	q->entry_row = 0;
	if ((rc = run(q, st, "index an entry")))
		return rc;
	*row = sqlite3_changes(q->db) ? sqlite3_last_insert_rowid(q->db) : 0;
	if (*row) {
		q->entry_row = *row;
		q->entry_record = record_row;
	}
	return PHR_OK;
}

static int sq_entry_reindex(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN], int64_t *row)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_ENTRY_FIND, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	sqlite3_bind_blob(st, 2, hash, PHR_HASH_LEN, SQLITE_STATIC);
	*row = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*row = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(q->db, rc, "look up an entry");
	if (!*row)
		return PHR_OK;
	q->entry_row = *row;
	q->entry_record = record_row;
	if ((rc = prep(q, S_FIELDS_CLEAR, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, *row);
	return run(q, st, "index an entry again");
}

static int sq_field_insert(struct phr_store *s, int64_t entry_row, const struct phr_store_field *f)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool known = entry_row && entry_row == q->entry_row;
	int rc = prep(q, known ? S_FIELD_INSERT_REC : S_FIELD_INSERT, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, entry_row);
	sqlite3_bind_text(st, 2, f->path, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, f->type);
	sqlite3_bind_text(st, 4, f->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, f->num);
	if (known)
		sqlite3_bind_int64(st, 6, q->entry_record);
	return run(q, st, "index a field");
}

static int sq_name_insert(struct phr_store *s, int64_t entry_row, const char *name, const char *const *keys,
			  size_t n_keys)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool known = entry_row && entry_row == q->entry_row;
	int rc = prep(q, known ? S_NAME_INSERT_REC : S_NAME_INSERT, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, entry_row);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (known)
		sqlite3_bind_int64(st, 3, q->entry_record);
	if ((rc = run(q, st, "index a name")))
		return rc;
	int64_t name_row = sqlite3_last_insert_rowid(q->db);
	for (size_t i = 0; i < n_keys; i++) {
		if ((rc = prep(q, S_KEY_INSERT, &st)))
			return rc;
		sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, name_row);
		if ((rc = run(q, st, "index a name key")))
			return rc;
	}
	return PHR_OK;
}

/* ---- find --------------------------------------------------------------- */

struct sqlbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sqlbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* Each key's postings, from name_key_counts (kept by triggers). */
static int key_counts(struct sq *q, const struct phr_store_query *qq, int64_t *cnt)
{
	for (size_t i = 0; i < qq->n_keys; i++) {
		sqlite3_stmt *st;
		int rc = prep(q, S_KEY_COUNT, &st);
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, qq->keys[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		cnt[i] = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return fail(q->db, rc, "search");
	}
	return PHR_OK;
}

static void sb_keys(struct sqlbuf *b, const struct phr_store_query *qq, uint32_t word, bool with)
{
	char num[32];
	bool first = true;
	for (size_t i = 0; i < qq->n_keys; i++)
		if (((qq->key_words[i] >> word) & 1) == with) {
			snprintf(num, sizeof(num), "%s:k%zu", first ? "" : ", ", i);
			sb_add(b, num);
			first = false;
		}
}

/* The names that are candidates for a name query, as a subquery over
 * name_keys: a name must hold need of the query's keys and a key of each
 * word of need_words (phr_name_covers). The word whose keys have the
 * fewest postings drives: its postings are grouped by name, and each
 * group is checked for the other words and the count, by seeks on
 * (key, name). Without words to cover, the old rule: a name with need of
 * n keys has one of any n - need + 1, so those rarest drive. */
/* Whether a search has a filter besides the name. */
static bool other_filters(const struct phr_store_query *qq)
{
	return qq->born || qq->sex || qq->nationality || qq->arrived || qq->visited || qq->code || qq->clinic ||
	       qq->record_prefix || qq->field_path;
}

/* The bounded form of name_candidates, for a query of common words only:
 * the newest NAME_SCAN_MAX postings of each driving key (drive[i] set),
 * each name then checked by seeks on (key, name) for a key of every other
 * word to cover and for need keys in all, the newest NAME_SCAN_MAX kept. */
static void capped_candidates(struct sqlbuf *b, const struct phr_store_query *qq, const bool *drive, uint32_t skip_word,
			      bool by_words)
{
	char num[160];
	bool first = true;
	sb_add(b, "SELECT d.name FROM (");
	for (size_t i = 0; i < qq->n_keys; i++) {
		if (!drive[i])
			continue;
		snprintf(num, sizeof(num), "%sSELECT name FROM (SELECT name FROM name_keys WHERE key = :k%zu"
			 " ORDER BY name DESC LIMIT :cap)", first ? "" : " UNION ", i);
		sb_add(b, num);
		first = false;
	}
	sb_add(b, ") d WHERE 1");
	for (uint32_t w = 0; by_words && w < 32; w++) {
		if (w == skip_word || !((qq->need_words >> w) & 1))
			continue;
		sb_add(b, " AND EXISTS (SELECT 1 FROM name_keys e WHERE e.name = d.name AND e.key IN (");
		sb_keys(b, qq, w, true);
		sb_add(b, "))");
	}
	sb_add(b, " AND (SELECT count(*) FROM name_keys e WHERE e.name = d.name AND e.key IN (");
	for (size_t i = 0; i < qq->n_keys; i++) {
		snprintf(num, sizeof(num), "%s:k%zu", i ? ", " : "", i);
		sb_add(b, num);
	}
	sb_add(b, ")) >= :need ORDER BY d.name DESC LIMIT :cap");
}

static int name_candidates(struct sq *q, const struct phr_store_query *qq, struct sqlbuf *b)
{
	int64_t cnt[MAX_QUERY_KEYS];
	bool driving[MAX_QUERY_KEYS] = { false };
	char num[64];
	size_t n = qq->n_keys, need = qq->need ? qq->need : 1;
	if (n > MAX_QUERY_KEYS)
		return phr_fail(PHR_E_LIMIT, "register: a name query has at most %d keys", MAX_QUERY_KEYS);
	int rc = key_counts(q, qq, cnt);
	if (rc)
		return rc;
	bool cap = !other_filters(qq);
	if (qq->key_words && qq->need_words) {
		uint32_t drive = 0;
		int64_t best = -1;
		for (uint32_t w = 0; w < 32; w++) {
			if (!((qq->need_words >> w) & 1))
				continue;
			int64_t c = 0;
			for (size_t i = 0; i < n; i++)
				if ((qq->key_words[i] >> w) & 1)
					c += cnt[i];
			if (best < 0 || c < best) {
				best = c;
				drive = w;
			}
		}
		if (cap && best > NAME_SCAN_FROM) {
			for (size_t i = 0; i < n; i++)
				driving[i] = (qq->key_words[i] >> drive) & 1;
			capped_candidates(b, qq, driving, drive, true);
			return PHR_OK;
		}
		sb_add(b, "SELECT name FROM name_keys WHERE key IN (");
		sb_keys(b, qq, drive, true);
		sb_add(b, ") GROUP BY name HAVING 1");
		for (uint32_t w = 0; w < 32; w++) {
			if (w == drive || !((qq->need_words >> w) & 1))
				continue;
			sb_add(b, " AND EXISTS (SELECT 1 FROM name_keys e WHERE e.name = name_keys.name AND e.key IN (");
			sb_keys(b, qq, w, true);
			sb_add(b, "))");
		}
		/* the keys of the driver held, plus the others held */
		sb_add(b, " AND count(*) + (SELECT count(*) FROM name_keys e WHERE e.name = name_keys.name AND e.key IN (");
		bool any = false;
		for (size_t i = 0; i < n; i++)
			if (!((qq->key_words[i] >> drive) & 1)) {
				snprintf(num, sizeof(num), "%s:k%zu", any ? ", " : "", i);
				sb_add(b, num);
				any = true;
			}
		if (!any)
			sb_add(b, "NULL");
		sb_add(b, ")) >= :need");
		return PHR_OK;
	}
	size_t order[MAX_QUERY_KEYS];
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++) /* insertion sort by postings, rarest first */
		for (size_t j = i; j > 0 && cnt[order[j]] < cnt[order[j - 1]]; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	size_t n_drive = need > n ? 1 : n - need + 1;
	int64_t postings = 0;
	for (size_t i = 0; i < n_drive; i++)
		postings += cnt[order[i]];
	if (cap && postings > NAME_SCAN_FROM) {
		for (size_t i = 0; i < n_drive; i++)
			driving[order[i]] = true;
		capped_candidates(b, qq, driving, 32, false);
		return PHR_OK;
	}
	sb_add(b, "SELECT name FROM name_keys WHERE key IN (");
	for (size_t i = 0; i < n_drive; i++) {
		snprintf(num, sizeof(num), "%s:k%zu", i ? ", " : "", order[i]);
		sb_add(b, num);
	}
	sb_add(b, ") GROUP BY name HAVING count(*) >= :need");
	if (n_drive < n) {
		sb_add(b, " OR count(*) + (SELECT count(*) FROM name_keys e WHERE e.name = name_keys.name AND e.key IN (");
		for (size_t i = n_drive; i < n; i++) {
			snprintf(num, sizeof(num), "%s:k%zu", i > n_drive ? ", " : "", order[i]);
			sb_add(b, num);
		}
		sb_add(b, ")) >= :need");
	}
	return PHR_OK;
}

/* phr_rank(names): the running search's rank callback (sq_find). */
static void sql_rank(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	struct sq *q = sqlite3_user_data(c);
	const unsigned char *names = argc == 1 ? sqlite3_value_text(argv[0]) : NULL;
	if (!q->rank) {
		sqlite3_result_int(c, 0);
		return;
	}
	sqlite3_result_int(c, q->rank(q->rank_ctx, names ? (const char *)names : ""));
}

/* One filter of a search: the record rows whose `table` rows meet
 * `cond`, as mode says. */
enum filter_mode {
	F_READ,  /* the set of matching records, read through the index */
	F_WALK,  /* checked on each record met in last_seen order: a seek */
	F_COUNT, /* ", (its rows, counted up to :upto)", for should_walk's min() */
};

static void sb_filter(struct sqlbuf *b, enum filter_mode mode, const char *table, const char *cond)
{
	if (mode == F_COUNT) {
		sb_add(b, ", (SELECT count(*) FROM (SELECT 1 FROM ");
		sb_add(b, table);
		sb_add(b, " WHERE ");
		sb_add(b, cond);
		sb_add(b, " LIMIT :upto))");
		return;
	}
	if (mode == F_WALK) {
		sb_add(b, " AND EXISTS (SELECT 1 FROM ");
		sb_add(b, table);
		sb_add(b, " WHERE record = r.id AND ");
	} else {
		sb_add(b, " AND r.id IN (SELECT record FROM ");
		sb_add(b, table);
		sb_add(b, " WHERE ");
	}
	sb_add(b, cond);
	sb_add(b, ")");
}

/* The filters of a search other than the name (bindings by name). */
static void add_filters(struct sqlbuf *b, const struct phr_store_query *qq, enum filter_mode walk)
{
	char cond[96];
	if (qq->born)
		sb_filter(b, walk, "fields", "path = 'identity.birth_date' AND"
			  " (value = :born OR value LIKE :born || '-%' OR :born LIKE value || '-%')");
	if (qq->sex)
		sb_filter(b, walk, "fields", "path = 'identity.sex' AND value = :sex");
	if (qq->nationality)
		sb_filter(b, walk, "fields", "path = 'identity.nationality' AND value = :nat");
	if (qq->arrived) /* fields_arrival */
		sb_filter(b, walk, "fields", "path = 'migration.arrival' AND num BETWEEN :afrom AND :ato");
	if (qq->visited) /* entries_day */
		sb_filter(b, walk, "entries", "day BETWEEN :vfrom AND :vto");
	if (qq->code) { /* fields_code */
		snprintf(cond, sizeof(cond), "type = %d AND value = :code", PHR_T_CODE);
		sb_filter(b, walk, "fields", cond);
	}
	if (qq->clinic)
		sb_filter(b, walk, "entries", "instr(lower(clinic), lower(:clinic)) > 0");
	if (qq->record_prefix)
		sb_add(b, walk == F_COUNT ? ", (SELECT count(*) FROM (SELECT 1 FROM records WHERE hex >= :rlo AND hex < :rhi"
					    " LIMIT :upto))"
					  : " AND r.hex >= :rlo AND r.hex < :rhi");
	if (qq->field_path)
		sb_filter(b, walk, "fields", "path = :fpath AND value = :fvalue");
}

/* Binds a search's values by name; rhi: room for the prefix's upper bound. */
static void bind_query(sqlite3_stmt *st, const struct phr_store_query *qq, char *rhi, size_t rhi_cap)
{
	char num[32];
#define BIND_TEXT(name, v)                                                                     \
	do {                                                                                   \
		int i_ = sqlite3_bind_parameter_index(st, name);                               \
		if (i_)                                                                        \
			sqlite3_bind_text(st, i_, v, -1, SQLITE_STATIC);                       \
	} while (0)
#define BIND_INT(name, v)                                                                      \
	do {                                                                                   \
		int i_ = sqlite3_bind_parameter_index(st, name);                               \
		if (i_)                                                                        \
			sqlite3_bind_int64(st, i_, v);                                         \
	} while (0)
	BIND_TEXT(":born", qq->born);
	BIND_TEXT(":sex", qq->sex);
	BIND_TEXT(":nat", qq->nationality);
	BIND_INT(":afrom", qq->arrived_from);
	BIND_INT(":ato", qq->arrived_to);
	BIND_INT(":vfrom", qq->visited_from);
	BIND_INT(":vto", qq->visited_to);
	BIND_TEXT(":code", qq->code);
	BIND_TEXT(":clinic", qq->clinic);
	if (qq->record_prefix) {
		snprintf(rhi, rhi_cap, "%sg", qq->record_prefix);
		BIND_TEXT(":rlo", qq->record_prefix);
		BIND_TEXT(":rhi", rhi);
	}
	BIND_TEXT(":fpath", qq->field_path);
	BIND_TEXT(":fvalue", qq->field_value);
	for (size_t i = 0; i < qq->n_keys; i++) {
		snprintf(num, sizeof(num), ":k%zu", i);
		BIND_TEXT(num, qq->keys[i]);
	}
	BIND_INT(":need", (int64_t)qq->need);
	BIND_INT(":cap", NAME_SCAN_MAX);
#undef BIND_TEXT
#undef BIND_INT
}

/* Whether a search without a name should walk the records newest first,
 * checking each (one seek per filter), rather than read every matching
 * record and sort them: it should when many match, as a common code or a
 * busy week does. Reading c matches costs about c; walking, about
 * max * N / c records until max are found: each filter's rows are counted
 * (through its index) up to where the two meet, sqrt(max * N), at least
 * 4 * max; the search walks when the rarest filter reaches it. */
static int should_walk(struct sq *q, const struct phr_store_query *qq, size_t max, bool *walk)
{
	struct sqlbuf b = { 0 };
	char rhi[2 * PHR_RECORD_ID_LEN + 2];
	sqlite3_stmt *st;
	int64_t n = 0, found = 0;
	*walk = false;
	int rc = pragma_int(q, "SELECT coalesce(max(id), 0) FROM records", &n);
	if (rc)
		return rc;
	double cut = sqrt((double)max * (double)n);
	int64_t upto = cut > 4.0 * (double)max ? (int64_t)cut : 4 * (int64_t)max;
	if (n <= upto)
		return PHR_OK;
	sb_add(&b, "SELECT min(9223372036854775807");
	add_filters(&b, qq, F_COUNT);
	sb_add(&b, ")");
	if (b.oom) {
		free(b.p);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	rc = sqlite3_prepare_v2(q->db, b.p, -1, &st, NULL);
	free(b.p);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "search");
	bind_query(st, qq, rhi, sizeof(rhi));
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":upto"), upto);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		found = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return fail(q->db, rc, "search");
	*walk = found >= upto;
	return PHR_OK;
}

static int sq_find(struct phr_store *s, const struct phr_store_query *qq, size_t max,
		   int (*cb)(void *ctx, const struct phr_store_hit *h), void *ctx)
{
	struct sq *q = SQ(s);
	struct sqlbuf b = { 0 };
	char lim[160], rhi[2 * PHR_RECORD_ID_LEN + 2];
	bool ranked = qq->n_keys && qq->rank, walk = false;
	int rc;
	/* The inner query picks the candidates through the indexes, and keeps
	 * the max best; only those are looked up further (names, identity,
	 * versions), by the outer query. */
	sb_add(&b, "SELECT r.id, r.record_id,"
		   " (SELECT group_concat(name, char(31)) FROM names WHERE record = r.id),"
		   " (SELECT count(*) FROM names WHERE record = r.id),"
		   " (SELECT value FROM fields WHERE record = r.id AND path = 'identity.birth_date' AND " HIT_PATHS
		   " ORDER BY entry DESC LIMIT 1),"
		   " (SELECT value FROM fields WHERE record = r.id AND path = 'identity.sex' AND " HIT_PATHS
		   " ORDER BY entry DESC LIMIT 1),"
		   " (SELECT value FROM fields WHERE record = r.id AND path = 'identity.nationality' AND " HIT_PATHS
		   " ORDER BY entry DESC LIMIT 1),"
		   " (SELECT count(*) FROM versions WHERE record = r.id),"
		   " r.last_seen FROM (");
	if (ranked) {
		/* A name search ranks all its candidates (phr_rank, once each:
		 * they are materialized) before any is left out. */
		sb_add(&b, "WITH c AS MATERIALIZED (SELECT r.id, r.record_id, r.last_seen, r.hex,"
			   " phr_rank((SELECT group_concat(name, char(31)) FROM names WHERE record = r.id)) AS rk"
			   " FROM records r WHERE 1");
		add_filters(&b, qq, F_READ);
		sb_add(&b, " AND r.id IN (SELECT n.record FROM names n WHERE n.id IN (");
		if ((rc = name_candidates(q, qq, &b))) {
			free(b.p);
			return rc;
		}
		snprintf(lim, sizeof(lim), "))) SELECT * FROM c WHERE rk > 0 ORDER BY rk DESC, last_seen DESC, hex LIMIT %zu) r"
			 " ORDER BY r.rk DESC, r.last_seen DESC, r.hex", max);
		sb_add(&b, lim);
	} else {
		if ((rc = should_walk(q, qq, max, &walk))) {
			free(b.p);
			return rc;
		}
		/* walking: records newest first through records_last_seen, each
		 * checked; else the matches read through the filters' indexes
		 * and sorted ('+' keeps records_last_seen from driving) */
		sb_add(&b, walk ? "SELECT r.id, r.record_id, r.last_seen FROM records r INDEXED BY records_last_seen WHERE 1"
				: "SELECT r.id, r.record_id, r.last_seen FROM records r WHERE 1");
		add_filters(&b, qq, walk ? F_WALK : F_READ);
		snprintf(lim, sizeof(lim), " ORDER BY %sr.last_seen DESC, r.id DESC LIMIT %zu) r ORDER BY r.last_seen DESC, r.id DESC",
			 walk ? "" : "+", max);
		sb_add(&b, lim);
	}
	if (b.oom) {
		free(b.p);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(q->db, b.p, -1, &st, NULL);
	int r = 0;
	free(b.p);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "search");
	bind_query(st, qq, rhi, sizeof(rhi));
	q->rank = ranked ? qq->rank : NULL;
	q->rank_ctx = qq->rank_ctx;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct phr_store_hit h = { 0 };
		if (sqlite3_column_bytes(st, 1) != PHR_RECORD_ID_LEN)
			continue;
		memcpy(h.record_id, sqlite3_column_blob(st, 1), PHR_RECORD_ID_LEN);
		h.names = text_col(st, 2);
		h.n_names = (size_t)sqlite3_column_int64(st, 3);
		h.born = text_col(st, 4);
		h.sex = text_col(st, 5);
		h.nationality = text_col(st, 6);
		h.n_versions = (size_t)sqlite3_column_int64(st, 7);
		h.last_seen = sqlite3_column_int64(st, 8);
		if ((r = cb(ctx, &h)))
			break;
	}
	q->rank = NULL;
	q->rank_ctx = NULL;
	if (r) {
		sqlite3_finalize(st);
		return r;
	}
	int out = rc == SQLITE_DONE || rc == SQLITE_ROW ? PHR_OK : fail(q->db, rc, "search");
	sqlite3_finalize(st);
	return out;
}

static int sq_facts_each(struct phr_store *s, int64_t from_day, int64_t to_day,
			 int (*cb)(void *ctx, const uint8_t *facts, size_t len), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_FACTS, &st), r = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, from_day);
	sqlite3_bind_int64(st, 2, to_day);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *f = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		static const uint8_t empty = 0;
		if ((r = cb(ctx, f ? f : &empty, n)))
			break;
	}
	sqlite3_reset(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read the facts");
}

/* ---- documents -------------------------------------------------------- */

static int sq_doc_put(struct phr_store *s, const uint8_t hash[PHR_HASH_LEN], const char *media_type,
		      const uint8_t *bytes, size_t len, int64_t at)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_DOC_PUT, &st);
	if (rc)
		return rc;
	static const uint8_t none = 0;
	sqlite3_bind_blob(st, 1, hash, PHR_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, media_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)len);
	sqlite3_bind_blob64(st, 4, len ? bytes : &none, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, at);
	return run(q, st, "store a document");
}

static int sq_doc_get(struct phr_store *s, const uint8_t hash[PHR_HASH_LEN], char media_type[PHR_REG_MEDIA_TYPE_MAX],
		      uint8_t **bytes, size_t *len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_DOC_GET, &st);
	*bytes = NULL;
	*len = 0;
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, hash, PHR_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(media_type, PHR_REG_MEDIA_TYPE_MAX, "%s", text_col(st, 0));
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		if (!(*bytes = malloc(n ? n : 1))) {
			sqlite3_reset(st);
			return phr_fail(PHR_E_NOMEM, "out of memory");
		}
		if (n)
			memcpy(*bytes, sqlite3_column_blob(st, 1), n);
		*len = n;
		sqlite3_reset(st);
		return PHR_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return phr_fail(PHR_E_NOT_FOUND, "the document is not on this machine");
	return fail(q->db, rc, "read a document");
}

static int sq_doc_link(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN])
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_DOC_LINK, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	sqlite3_bind_blob(st, 2, hash, PHR_HASH_LEN, SQLITE_STATIC);
	return run(q, st, "link a document");
}

static int sq_docs_each(struct phr_store *s, int64_t record_row,
			int (*cb)(void *ctx, const struct phr_register_document *d), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_DOCS, &st), r = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, record_row);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct phr_register_document d = { 0 };
		if (sqlite3_column_bytes(st, 0) != PHR_HASH_LEN)
			continue;
		memcpy(d.hash, sqlite3_column_blob(st, 0), PHR_HASH_LEN);
		d.present = sqlite3_column_type(st, 1) != SQLITE_NULL;
		snprintf(d.media_type, sizeof(d.media_type), "%s", text_col(st, 1));
		d.size = (size_t)sqlite3_column_int64(st, 2);
		if ((r = cb(ctx, &d)))
			break;
	}
	sqlite3_reset(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "list documents");
}

/* ---- forget, audit, checks ------------------------------------------- */

static int sq_forget(struct phr_store *s, int64_t record_row, const char *record_hex)
{
	struct sq *q = SQ(s);
	q->entry_row = 0;
	static const char *const sql[] = {
		("DELETE FROM documents WHERE hash IN (SELECT hash FROM record_documents WHERE record = ?1)"
		 " AND hash NOT IN (SELECT hash FROM record_documents WHERE record <> ?1)"),
		"DELETE FROM records WHERE id = ?1",
		"UPDATE audit SET record = '', detail = '(a record since forgotten)' WHERE record = ?2",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(q->db, sql[i], -1, &st, NULL);
		if (rc != SQLITE_OK)
			return fail(q->db, rc, "forget");
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_int64(st, 1, record_row);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_text(st, 2, record_hex, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return fail(q->db, rc, "forget");
	}
	return PHR_OK;
}

/* Checkpoints the journal into the file and truncates it to nothing. */
static int checkpoint(struct sq *q)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc == SQLITE_BUSY || (rc == SQLITE_OK && log > 0 && done < log))
		return phr_fail(PHR_E_DB_BUSY, "register: another process keeps the journal open; erased pages may "
				"stay in it until the next forget or check");
	return rc == SQLITE_OK ? PHR_OK : fail(q->db, rc, "checkpoint the journal");
}

static int sq_purge(struct phr_store *s)
{
	struct sq *q = SQ(s);
	int rc;
	/* The erased rows' pages were overwritten (secure_delete) in the WAL;
	 * moved into the file, the file rebuilt without free pages, and the
	 * WAL that VACUUM wrote moved in and truncated too. */
	if ((rc = checkpoint(q)) || (rc = exec(q, "VACUUM", "vacuum")) || (rc = checkpoint(q)))
		return rc;
	return PHR_OK;
}

static int sq_audit_insert(struct phr_store *s, int64_t at, const char *who, const char *action,
			   const char *record_hex, const char *detail)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_AUDIT_INSERT, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, record_hex ? record_hex : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC);
	return run(q, st, "write the audit");
}

static int sq_audit_each(struct phr_store *s, int (*cb)(void *ctx, const struct phr_register_audit_row *r), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = prep(q, S_AUDIT, &st), r = 0;
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct phr_register_audit_row a = {
			.id = sqlite3_column_int64(st, 0),
			.at = sqlite3_column_int64(st, 1),
			.who = text_col(st, 2),
			.action = text_col(st, 3),
			.record_hex = text_col(st, 4),
			.detail = text_col(st, 5),
		};
		if ((r = cb(ctx, &a)))
			break;
	}
	sqlite3_reset(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read the audit");
}

static int sq_check_storage(struct phr_store *s, void (*cb)(void *ctx, const char *problem), void *ctx,
			    size_t *problems)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char line[600];
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "integrity check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = text_col(st, 0);
		if (strcmp(t, "ok")) {
			snprintf(line, sizeof(line), "integrity_check: %s", t);
			(*problems)++;
			if (cb)
				cb(ctx, line);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(q->db, rc, "integrity check");
	if ((rc = sqlite3_prepare_v2(q->db, "PRAGMA foreign_key_check", -1, &st, NULL)) != SQLITE_OK)
		return fail(q->db, rc, "foreign key check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(line, sizeof(line), "foreign_key_check: table %s row %lld refers to a missing row of %s",
			 text_col(st, 0), (long long)sqlite3_column_int64(st, 1), text_col(st, 2));
		(*problems)++;
		if (cb)
			cb(ctx, line);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "foreign key check");
}

static int sq_containers_each(struct phr_store *s,
			      int (*cb)(void *ctx, const uint8_t vid[PHR_VERSION_ID_LEN], const uint8_t *c, size_t len),
			      void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "SELECT version_id, container FROM versions ORDER BY id", -1, &st, NULL), r = 0;
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "read the versions");
	static const uint8_t zero[PHR_VERSION_ID_LEN];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *vid = sqlite3_column_bytes(st, 0) == PHR_VERSION_ID_LEN ? sqlite3_column_blob(st, 0) : zero;
		const uint8_t *c = sqlite3_column_blob(st, 1);
		if ((r = cb(ctx, vid, c ? c : zero, (size_t)sqlite3_column_bytes(st, 1))))
			break;
	}
	sqlite3_finalize(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read the versions");
}

static int sq_documents_all(struct phr_store *s,
			    int (*cb)(void *ctx, const uint8_t hash[PHR_HASH_LEN], const uint8_t *b, size_t len), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "SELECT hash, bytes FROM documents", -1, &st, NULL), r = 0;
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "read the documents");
	static const uint8_t zero[PHR_HASH_LEN];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *h = sqlite3_column_bytes(st, 0) == PHR_HASH_LEN ? sqlite3_column_blob(st, 0) : zero;
		const uint8_t *b = sqlite3_column_blob(st, 1);
		if ((r = cb(ctx, h, b ? b : zero, (size_t)sqlite3_column_bytes(st, 1))))
			break;
	}
	sqlite3_finalize(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read the documents");
}

/* ---- staff accounts --------------------------------------------------- */

static int sq_user_insert(struct phr_store *s, const char *name, int role, const char *hash, int64_t at)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "INSERT INTO users(name, role, hash, created) VALUES (?1, ?2, ?3, ?4)", -1,
				    &st, NULL);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "add a staff account");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, role);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return phr_fail(PHR_E_USER_EXISTS, "register: a staff account named '%s' exists already", name);
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "add a staff account");
}

static int sq_user_get(struct phr_store *s, const char *name, int *role, bool *disabled, char *hash, size_t cap)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "SELECT role, disabled, hash FROM users WHERE name = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "read a staff account");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*role = sqlite3_column_int(st, 0);
		*disabled = sqlite3_column_int(st, 1) != 0;
		snprintf(hash, cap, "%s", text_col(st, 2));
		sqlite3_finalize(st);
		return PHR_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return phr_fail(PHR_E_NOT_FOUND, "register: no staff account named '%s'", name);
	return fail(q->db, rc, "read a staff account");
}

static int sq_user_update(struct phr_store *s, const char *name, int role, const char *hash, int disabled)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db,
				    "UPDATE users SET role = coalesce(?2, role), hash = coalesce(?3, hash), "
				    "disabled = coalesce(?4, disabled) WHERE name = ?1",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "change a staff account");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (role)
		sqlite3_bind_int(st, 2, role);
	if (hash)
		sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	if (disabled >= 0)
		sqlite3_bind_int(st, 4, disabled);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(q->db, rc, "change a staff account");
	if (sqlite3_changes(q->db) == 0)
		return phr_fail(PHR_E_NOT_FOUND, "register: no staff account named '%s'", name);
	return PHR_OK;
}

static int sq_users_each(struct phr_store *s, int (*cb)(void *ctx, const struct phr_register_user *u), void *ctx)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "SELECT name, role, disabled, created FROM users ORDER BY name", -1, &st,
				    NULL), r = 0;
	if (rc != SQLITE_OK)
		return fail(q->db, rc, "read the staff accounts");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct phr_register_user u = {
			.name = text_col(st, 0),
			.role = sqlite3_column_int(st, 1),
			.disabled = sqlite3_column_int(st, 2) != 0,
			.created = sqlite3_column_int64(st, 3),
		};
		if ((r = cb(ctx, &u)))
			break;
	}
	sqlite3_finalize(st);
	if (r)
		return r;
	return rc == SQLITE_DONE ? PHR_OK : fail(q->db, rc, "read the staff accounts");
}

static const struct phr_store_ops sqlite_ops = {
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.record_find = sq_record_find,
	.record_insert = sq_record_insert,
	.record_resolve = sq_record_resolve,
	.versions_each = sq_versions_each,
	.version_insert = sq_version_insert,
	.sighting_insert = sq_sighting_insert,
	.sightings_each = sq_sightings_each,
	.latest = sq_latest,
	.version_container = sq_version_container,
	.entry_insert = sq_entry_insert,
	.field_insert = sq_field_insert,
	.entry_reindex = sq_entry_reindex,
	.name_insert = sq_name_insert,
	.find = sq_find,
	.facts_each = sq_facts_each,
	.doc_put = sq_doc_put,
	.doc_get = sq_doc_get,
	.doc_link = sq_doc_link,
	.docs_each = sq_docs_each,
	.forget = sq_forget,
	.purge = sq_purge,
	.audit_insert = sq_audit_insert,
	.audit_each = sq_audit_each,
	.check_storage = sq_check_storage,
	.containers_each = sq_containers_each,
	.documents_all = sq_documents_all,
	.user_insert = sq_user_insert,
	.user_get = sq_user_get,
	.user_update = sq_user_update,
	.users_each = sq_users_each,
};

/* ---- open and migrate ------------------------------------------------- */

static int migrate(struct sq *q, bool create)
{
	int64_t v = 0, app = 0, tables = 0;
	int rc;
	if ((rc = pragma_int(q, "PRAGMA user_version", &v)) || (rc = pragma_int(q, "PRAGMA application_id", &app)) ||
	    (rc = pragma_int(q, "SELECT count(*) FROM sqlite_schema", &tables)))
		return rc;
	if (app != APP_ID && (app != 0 || tables != 0 || v != 0))
		return phr_fail(PHR_E_DB_CORRUPT, "register: this SQLite file is not a phr register");
	if (v == 0 && tables == 0 && !create)
		return phr_fail(PHR_E_DB_CORRUPT, "register: the file is empty, not a phr register (make one with "
				"'phr register init')");
	if (v > N_MIGRATIONS)
		return phr_fail(PHR_E_DB_VERSION, "register: its schema is version %lld, newer than this program's %d: "
				"use a newer phr", (long long)v, N_MIGRATIONS);
	if (v == N_MIGRATIONS) {
		q->version = (int)v;
		return PHR_OK;
	}
	if (q->readonly)
		return phr_fail(PHR_E_DB, "register: its schema is version %lld; open it once for writing so it is "
				"brought to version %d", (long long)v, N_MIGRATIONS);
	if ((rc = exec(q, "BEGIN IMMEDIATE", "migrate")))
		return rc;
	/* Another process may have migrated while we waited for the lock. */
	if ((rc = pragma_int(q, "PRAGMA user_version", &v)))
		goto fail;
	for (; v < N_MIGRATIONS; v++) {
		char sql[64];
		if ((rc = exec(q, migrations[v], "migrate the schema")))
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v + 1);
		if ((rc = exec(q, sql, "migrate the schema")))
			goto fail;
	}
	{
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", APP_ID);
		if ((rc = exec(q, sql, "migrate the schema")))
			goto fail;
	}
	if ((rc = exec(q, "COMMIT", "migrate")))
		goto fail;
	q->version = N_MIGRATIONS;
	return PHR_OK;
fail:
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int phr_store_sqlite_schema_latest(void)
{
	return N_MIGRATIONS;
}

int phr_store_sqlite_open(const char *path, unsigned flags, struct phr_store **out)
{
	struct stat sb;
	int rc;
	*out = NULL;
	if (!path || !*path)
		return phr_fail(PHR_E_ARG, "register: no file named");
	bool exists = stat(path, &sb) == 0;
	if (!exists && !(flags & PHR_REG_CREATE))
		return phr_fail(PHR_E_NOT_FOUND, "%s: no such register (create it with 'phr register init')", path);
	if (exists && !S_ISREG(sb.st_mode))
		return phr_fail(PHR_E_ARG, "%s: not a regular file", path);
	if (!exists) {
		/* A register holds health data: only its owner reads it. SQLite
		 * gives the journal files the mode of the database file. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return phr_fail(errno == ENOSPC ? PHR_E_DB_FULL : PHR_E_IO, "%s: cannot create: %s", path,
					strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	struct sq *q = calloc(1, sizeof(*q));
	if (!q)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	q->base.ops = &sqlite_ops;
	q->readonly = (flags & PHR_REG_READONLY) != 0;
	int oflags = q->readonly ? SQLITE_OPEN_READONLY
				 : SQLITE_OPEN_READWRITE | ((flags & PHR_REG_CREATE) ? SQLITE_OPEN_CREATE : 0);
	oflags |= SQLITE_OPEN_NOMUTEX;
	if ((rc = sqlite3_open_v2(path, &q->db, oflags, NULL)) != SQLITE_OK) {
		rc = fail(q->db, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, PHR_REG_BUSY_MS);
	if ((rc = sqlite3_create_function(q->db, "phr_rank", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, q, sql_rank, NULL,
					  NULL)) != SQLITE_OK) {
		rc = fail(q->db, rc, "open");
		goto fail;
	}
	/* Reading the header first tells a file that is not a database. */
	int64_t dummy;
	if ((rc = pragma_int(q, "PRAGMA application_id", &dummy)))
		goto fail;
	if ((rc = exec(q, "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
		       "set up the connection")))
		goto fail;
	if (!q->readonly) {
		sqlite3_stmt *st;
		if ((rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode", -1, &st, NULL)) != SQLITE_OK) {
			rc = fail(q->db, rc, "read the journal mode");
			goto fail;
		}
		bool wal = sqlite3_step(st) == SQLITE_ROW && !strcmp(text_col(st, 0), "wal");
		sqlite3_finalize(st);
		if (!wal && (rc = exec(q, "PRAGMA journal_mode = WAL", "switch the journal to WAL")))
			goto fail;
	}
	if ((rc = migrate(q, (flags & PHR_REG_CREATE) != 0)))
		goto fail;
	*out = &q->base;
	return PHR_OK;
fail:
	sq_close(&q->base);
	if (rc == PHR_E_DB_CORRUPT || rc == PHR_E_DB_VERSION)
		return phr_fail_wrap(rc, "%s", path);
	return rc;
}
