/* The register's PostgreSQL backend (libpq): the same table of operations
 * as store_sqlite.c over a PostgreSQL database named by a postgresql://
 * URI, with versioned migrations of its own (phr_schema), so that the
 * regional hub (docs/HUB.md) keeps what clinics push with the register's
 * own logic. Several processes may use one database at once: an add takes
 * a transaction-scoped advisory lock on its record id, so two hub processes
 * filing versions of one record take turns, and everything else they write
 * is idempotent (ON CONFLICT DO NOTHING). */
#include "store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/schema.h"

#define PG_MAX_PARAMS 160     /* most parameters of one statement (a name query: keys + filters) */
#define PG_LOCK_TIMEOUT "15s" /* PHR_REG_BUSY_MS: how long a writer waits for a lock */
#define PG_MIGRATE_LOCK 0x5048525250470001LL /* advisory lock: one process migrates at a time */
#define PG_MAX_QUEUED 256     /* statements sent ahead in a transaction before their answers are read */

/* Migrations: phr_schema.version N means the first N have run. Append, never edit. */
static const char *const pg_migrations[] = {
	/* 1: the register's tables (store_sqlite.c migrations 1-3, in PostgreSQL terms) */
	"CREATE TABLE records("
	"  id BIGSERIAL PRIMARY KEY,"
	"  record_id BYTEA NOT NULL UNIQUE CHECK (length(record_id) = 16),"
	"  hex TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  first_seen BIGINT NOT NULL,"
	"  last_seen BIGINT NOT NULL DEFAULT 0,"
	"  latest BIGINT);"
	"CREATE TABLE versions("
	"  id BIGSERIAL PRIMARY KEY,"
	"  record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  version_id BYTEA NOT NULL UNIQUE CHECK (length(version_id) = 48),"
	"  n_entries BIGINT NOT NULL,"
	"  hashes BYTEA NOT NULL CHECK (length(hashes) = 32 * n_entries),"
	"  container BYTEA NOT NULL,"
	"  facts BYTEA NOT NULL,"
	"  first_day BIGINT NOT NULL,"
	"  last_day BIGINT NOT NULL,"
	"  stored_at BIGINT NOT NULL);"
	"ALTER TABLE records ADD FOREIGN KEY (latest) REFERENCES versions(id) ON DELETE SET NULL;"
	"CREATE INDEX versions_record ON versions(record);"
	"CREATE INDEX records_latest ON records(latest);"
	"CREATE INDEX records_last_seen ON records(last_seen);"
	"CREATE TABLE sightings("
	"  id BIGSERIAL PRIMARY KEY,"
	"  version BIGINT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
	"  at BIGINT NOT NULL,"
	"  how TEXT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  report TEXT NOT NULL,"
	"  trust_version BIGINT NOT NULL);"
	"CREATE INDEX sightings_version ON sightings(version);"
	"CREATE TABLE entries("
	"  id BIGSERIAL PRIMARY KEY,"
	"  record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  hash BYTEA NOT NULL,"
	"  idx BIGINT NOT NULL,"
	"  day BIGINT NOT NULL,"
	"  clinic TEXT NOT NULL,"
	"  country TEXT NOT NULL,"
	"  UNIQUE (record, hash));"
	"CREATE INDEX entries_day ON entries(day, record);"
	"CREATE TABLE fields("
	"  entry BIGINT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	"  record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  path TEXT COLLATE \"C\" NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  value TEXT COLLATE \"C\" NOT NULL,"
	"  num BIGINT NOT NULL);"
	"CREATE INDEX fields_code ON fields(type, value, record) WHERE type = 5;"
	"CREATE INDEX fields_arrival ON fields(path, num, record) WHERE path = 'migration.arrival';"
	"CREATE INDEX fields_path_value ON fields(path, value, record);"
	"CREATE INDEX fields_record_path ON fields(record, path);"
	"CREATE INDEX fields_entry ON fields(entry);"
	"CREATE TABLE names("
	"  id BIGSERIAL PRIMARY KEY,"
	"  entry BIGINT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	"  record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL);"
	"CREATE INDEX names_entry ON names(entry);"
	"CREATE INDEX names_record ON names(record);"
	"CREATE TABLE name_keys("
	"  key TEXT COLLATE \"C\" NOT NULL,"
	"  name BIGINT NOT NULL REFERENCES names(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (key, name));"
	"CREATE INDEX name_keys_name ON name_keys(name);"
	"CREATE TABLE documents("
	"  hash BYTEA PRIMARY KEY CHECK (length(hash) = 32),"
	"  media_type TEXT NOT NULL,"
	"  size BIGINT NOT NULL,"
	"  bytes BYTEA NOT NULL,"
	"  stored_at BIGINT NOT NULL);"
	"CREATE TABLE record_documents("
	"  record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	"  hash BYTEA NOT NULL CHECK (length(hash) = 32),"
	"  PRIMARY KEY (record, hash));"
	"CREATE INDEX record_documents_hash ON record_documents(hash);"
	"CREATE TABLE audit("
	"  id BIGSERIAL PRIMARY KEY,"
	"  at BIGINT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  record TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE INDEX audit_record ON audit(record);",
	/* 2: the regional hub's own tables (hub/server.c, docs/HUB.md): the
	 * nonces of signed requests seen (a replay is refused; rows older than
	 * the time window are deleted), and the trust bundles it was given */
	"CREATE TABLE hub_nonces("
	"  kid BYTEA NOT NULL,"
	"  nonce BYTEA NOT NULL,"
	"  at BIGINT NOT NULL,"
	"  PRIMARY KEY (kid, nonce));"
	"CREATE INDEX hub_nonces_at ON hub_nonces(at);"
	"CREATE TABLE hub_trust("
	"  version BIGINT PRIMARY KEY,"
	"  bundle BYTEA NOT NULL,"
	"  stored_at BIGINT NOT NULL);",
};
#define PG_N_MIGRATIONS ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))
_Static_assert(PHR_T_CODE == 5, "pg migration 1's partial index fields_code names PHR_T_CODE as 5");

/* The fixed statements, prepared once per connection. */
enum pstmt {
	P_RECORD_LOCK,
	P_RECORD_FIND,
	P_RECORD_INSERT,
	P_RECORD_RESOLVE,
	P_VERSIONS,
	P_VERSION_INSERT,
	P_SET_LATEST,
	P_SIGHTING_INSERT,
	P_SEEN,
	P_SIGHTINGS,
	P_LATEST,
	P_ENTRY_INSERT,
	P_FIELD_INSERT,
	P_NAME_INSERT,
	P_KEY_INSERT,
	P_FACTS,
	P_DOC_PUT,
	P_DOC_GET,
	P_DOC_LINK,
	P_DOCS,
	P_AUDIT_INSERT,
	P_AUDIT,
	P_HIT,
	P_ENTRY_REINDEX,
	P_FIELDS_INSERT,
	P_KEYS_INSERT,
	P_COUNT,
};

static const char *const pstmt_sql[P_COUNT] = {
	[P_RECORD_LOCK] = "SELECT pg_advisory_xact_lock($1::bigint)",
	[P_RECORD_FIND] = "SELECT id FROM records WHERE record_id = $1::bytea",
	[P_RECORD_INSERT] = "INSERT INTO records(record_id, hex, first_seen) VALUES ($1::bytea, $2::text, $3::bigint) "
			    "RETURNING id",
	[P_RECORD_RESOLVE] = "SELECT record_id FROM records WHERE hex >= $1::text AND hex < $2::text ORDER BY hex LIMIT 2",
	[P_VERSIONS] = "SELECT v.id, v.version_id, v.n_entries, v.hashes, v.stored_at, (v.id = r.latest)::int "
		       "FROM versions v JOIN records r ON r.id = v.record WHERE v.record = $1::bigint ORDER BY v.id",
	[P_VERSION_INSERT] = "INSERT INTO versions(record, version_id, n_entries, hashes, container, facts, first_day, "
			     "last_day, stored_at) VALUES ($1::bigint, $2::bytea, $3::bigint, $4::bytea, $5::bytea, "
			     "$6::bytea, $7::bigint, $8::bigint, $9::bigint) RETURNING id",
	[P_SET_LATEST] = "UPDATE records SET latest = $2::bigint WHERE id = $1::bigint AND (latest IS NULL OR "
			 "(SELECT n_entries FROM versions WHERE id = records.latest) < $3::bigint)",
	[P_SIGHTING_INSERT] = "INSERT INTO sightings(version, at, how, who, report, trust_version) "
			      "VALUES ($1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::bigint)",
	[P_SEEN] = "UPDATE records SET last_seen = greatest(last_seen, $2::bigint) "
		   "WHERE id = (SELECT record FROM versions WHERE id = $1::bigint)",
	[P_SIGHTINGS] = "SELECT v.version_id, s.at, s.how, s.who, s.report, s.trust_version FROM sightings s "
			"JOIN versions v ON v.id = s.version WHERE v.record = $1::bigint ORDER BY s.id",
	[P_LATEST] = "SELECT v.container FROM records r JOIN versions v ON v.id = r.latest WHERE r.id = $1::bigint",
	[P_ENTRY_INSERT] = "INSERT INTO entries(record, hash, idx, day, clinic, country) VALUES ($1::bigint, $2::bytea, "
			   "$3::bigint, $4::bigint, $5::text, $6::text) ON CONFLICT (record, hash) DO NOTHING RETURNING id",
	[P_FIELD_INSERT] = "INSERT INTO fields(entry, record, path, type, value, num) "
			   "SELECT $1::bigint, record, $2::text, $3::int, $4::text, $5::bigint FROM entries WHERE id = $1::bigint",
	[P_NAME_INSERT] = "INSERT INTO names(entry, record, name) SELECT $1::bigint, record, $2::text FROM entries "
			  "WHERE id = $1::bigint RETURNING id",
	[P_KEY_INSERT] = "INSERT INTO name_keys(key, name) VALUES ($1::text, $2::bigint) ON CONFLICT DO NOTHING",
	/* an entry's fields, and a name's keys, in one statement each (arrays
	 * in text form, in the order they were given) */
	[P_FIELDS_INSERT] = "INSERT INTO fields(entry, record, path, type, value, num) "
			    "SELECT $1::bigint, e.record, f.path, f.type, f.value, f.num FROM entries e, "
			    "unnest($2::text[], $3::int[], $4::text[], $5::bigint[]) WITH ORDINALITY "
			    "AS f(path, type, value, num, k) WHERE e.id = $1::bigint ORDER BY f.k",
	[P_KEYS_INSERT] = "INSERT INTO name_keys(key, name) SELECT k, $2::bigint FROM unnest($1::text[]) "
			  "WITH ORDINALITY AS t(k, i) ORDER BY i ON CONFLICT DO NOTHING",
	[P_ENTRY_REINDEX] = "WITH e AS (SELECT id FROM entries WHERE record = $1::bigint AND hash = $2::bytea), "
			    "d AS (DELETE FROM fields WHERE entry IN (SELECT id FROM e)) SELECT id FROM e",
	[P_FACTS] = "SELECT v.facts FROM records r JOIN versions v ON v.id = r.latest "
		    "WHERE v.first_day <= $2::bigint AND v.last_day >= $1::bigint ORDER BY r.id",
	[P_DOC_PUT] = "INSERT INTO documents(hash, media_type, size, bytes, stored_at) VALUES ($1::bytea, $2::text, "
		      "$3::bigint, $4::bytea, $5::bigint) ON CONFLICT (hash) DO NOTHING",
	[P_DOC_GET] = "SELECT media_type, bytes FROM documents WHERE hash = $1::bytea",
	[P_DOC_LINK] = "INSERT INTO record_documents(record, hash) VALUES ($1::bigint, $2::bytea) ON CONFLICT DO NOTHING",
	[P_DOCS] = "SELECT l.hash, d.media_type, d.size FROM record_documents l LEFT JOIN documents d ON d.hash = l.hash "
		   "WHERE l.record = $1::bigint ORDER BY l.hash",
	[P_AUDIT_INSERT] = "INSERT INTO audit(at, who, action, record, detail) VALUES ($1::bigint, $2::text, $3::text, "
			   "$4::text, $5::text)",
	[P_AUDIT] = "SELECT id, at, who, action, record, detail FROM audit ORDER BY id",
	/* a search hit's details (store_sqlite.c sq_find's outer query) */
	[P_HIT] = "SELECT r.record_id,"
		  " (SELECT string_agg(name, chr(31) ORDER BY id) FROM names WHERE record = r.id),"
		  " (SELECT count(*) FROM names WHERE record = r.id),"
		  " (SELECT value FROM fields WHERE record = r.id AND path = 'identity.birth_date' ORDER BY entry DESC LIMIT 1),"
		  " (SELECT value FROM fields WHERE record = r.id AND path = 'identity.sex' ORDER BY entry DESC LIMIT 1),"
		  " (SELECT value FROM fields WHERE record = r.id AND path = 'identity.nationality' ORDER BY entry DESC LIMIT 1),"
		  " (SELECT count(*) FROM versions WHERE record = r.id),"
		  " r.last_seen FROM records r WHERE r.id = $1::bigint",
};

struct pg {
	struct phr_store base;
	PGconn *c;
	int version;
	bool readonly;
	int depth; /* begin() calls not yet committed or rolled back */
	bool prepared[P_COUNT];
	/* Statements sent ahead (libpq's pipeline mode), answers not read yet:
	 * inside a transaction, a statement whose rows nobody reads (an index
	 * row, a sighting, the audit, BEGIN and COMMIT) is sent without
	 * waiting for its answer; the answers are read before the next
	 * statement whose rows are read, and at commit, in one round trip.
	 * The first failure among them fails that statement or the commit
	 * (the transaction is then rolled back, as before). */
	int queued;
	const char *queued_what[PG_MAX_QUEUED];
	/* An entry's fields, gathered until the next other statement
	 * (flush_fields): one INSERT for all of them. */
	int64_t fields_entry;
	size_t n_fields;
	struct arr {
		char *p;
		size_t len, cap;
		bool nomem;
	} f_path, f_type, f_value, f_num;
};

static struct pg *PG(struct phr_store *s)
{
	return (struct pg *)s;
}

/* ---- parameters and results ------------------------------------------ */

/* A statement's parameters, every one sent in binary. */
struct args {
	int n;
	const char *v[PG_MAX_PARAMS];
	int l[PG_MAX_PARAMS];
	int f[PG_MAX_PARAMS];
	uint8_t ints[PG_MAX_PARAMS][8];
	bool over;
};

static void a_int(struct args *a, int64_t v)
{
	if (a->n >= PG_MAX_PARAMS) {
		a->over = true;
		return;
	}
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		a->ints[a->n][i] = (uint8_t)(u >> (56 - 8 * i));
	a->v[a->n] = (const char *)a->ints[a->n];
	a->l[a->n] = 8;
	a->f[a->n] = 1;
	a->n++;
}

static void a_blob(struct args *a, const void *p, size_t n)
{
	if (a->n >= PG_MAX_PARAMS) {
		a->over = true;
		return;
	}
	static const char none = 0;
	a->v[a->n] = n ? (const char *)p : &none;
	a->l[a->n] = (int)n;
	a->f[a->n] = 1;
	a->n++;
}

static void a_text(struct args *a, const char *s)
{
	a_blob(a, s ? s : "", s ? strlen(s) : 0);
}

static int64_t g_int(const PGresult *r, int row, int col)
{
	const uint8_t *p = (const uint8_t *)PQgetvalue(r, row, col);
	int n = PQgetlength(r, row, col);
	uint64_t u = 0;
	if (PQgetisnull(r, row, col) || (n != 8 && n != 4 && n != 2))
		return 0;
	for (int i = 0; i < n; i++)
		u = (u << 8) | p[i];
	if (n == 4)
		return (int64_t)(int32_t)(uint32_t)u;
	if (n == 2)
		return (int64_t)(int16_t)(uint16_t)u;
	return (int64_t)u;
}

static const uint8_t *g_blob(const PGresult *r, int row, int col, size_t *n)
{
	*n = (size_t)PQgetlength(r, row, col);
	return (const uint8_t *)PQgetvalue(r, row, col);
}

/* libpq ends every value, binary ones too, with a NUL. */
static const char *g_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

/* A failed result (or a lost connection) as a phr error, with what was being done. */
static int pg_fail(struct pg *p, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : NULL;
	char clean[300];
	if (!msg || !*msg)
		msg = PQerrorMessage(p->c);
	snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
	for (char *e = clean + strlen(clean); e > clean && (e[-1] == '\n' || e[-1] == ' '); e--)
		e[-1] = '\0';
	if (PQstatus(p->c) == CONNECTION_BAD)
		return phr_fail(PHR_E_DB, "register (PostgreSQL): %s: the connection to the server is lost (%s)", what,
				clean);
	if (state) {
		if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
			return phr_fail(PHR_E_DB_BUSY, "register (PostgreSQL): %s: another session held the rows past "
					"the lock timeout (%s)", what, clean);
		if (!strcmp(state, "53100") || !strcmp(state, "53200"))
			return phr_fail(PHR_E_DB_FULL, "register (PostgreSQL): %s: the server is out of room; nothing "
					"was changed (%s)", what, clean);
		if (!strcmp(state, "25006"))
			return phr_fail(PHR_E_DB, "register (PostgreSQL): %s: opened read-only", what);
	}
	return phr_fail(PHR_E_DB, "register (PostgreSQL): %s: %s", what, clean);
}

static int reconnect_if_lost(struct pg *p);

/* ---- arrays in PostgreSQL's text form ({"a","b"}) -------------------- */

static void arr_put(struct arr *a, const char *s, size_t n)
{
	if (a->nomem)
		return;
	if (a->len + n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		while (cap < a->len + n + 2)
			cap *= 2;
		char *q = realloc(a->p, cap);
		if (!q) {
			a->nomem = true;
			return;
		}
		a->p = q;
		a->cap = cap;
	}
	memcpy(a->p + a->len, s, n);
	a->len += n;
	a->p[a->len] = '\0';
}

/* Adds an element: quoted, with " and \ escaped. */
static void arr_add(struct arr *a, const char *v)
{
	arr_put(a, a->len ? ",\"" : "{\"", 2);
	for (const char *c = v ? v : ""; *c; c++) {
		if (*c == '"' || *c == '\\')
			arr_put(a, "\\", 1);
		arr_put(a, c, 1);
	}
	arr_put(a, "\"", 1);
}

static void arr_add_int(struct arr *a, int64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", (long long)v);
	arr_add(a, b);
}

/* The array as a text-form parameter; "{}" when empty. */
static void a_arr(struct args *a, struct arr *r)
{
	arr_put(r, r->len ? "}" : "{}", r->len ? 1 : 2);
	if (a->n >= PG_MAX_PARAMS) {
		a->over = true;
		return;
	}
	a->v[a->n] = r->p ? r->p : "{}";
	a->l[a->n] = 0;
	a->f[a->n] = 0;
	a->n++;
}

static void arr_reset(struct arr *a)
{
	a->len = 0;
	a->nomem = false;
}

static void arr_free(struct arr *a)
{
	free(a->p);
	memset(a, 0, sizeof(*a));
}

/* Reads the answers of the statements sent ahead (see struct pg), and
 * leaves pipeline mode. *last_status, when given: the command tag of the
 * last one ("COMMIT", or "ROLLBACK" when the server rolled back). */
static int drain(struct pg *p, char *last_status, size_t cap)
{
	if (!p->queued)
		return PHR_OK;
	int rc = PHR_OK, n = p->queued;
	p->queued = 0;
	if (last_status && cap)
		last_status[0] = '\0';
	if (PQpipelineSync(p->c) != 1) {
		/* no sync point: their answers would never come; the change is
		 * lost either way, so the connection is made again */
		rc = pg_fail(p, NULL, p->queued_what[0]);
		PQreset(p->c);
		memset(p->prepared, 0, sizeof(p->prepared));
		p->depth = 0;
		p->n_fields = 0;
		return rc;
	}
	for (int i = 0; i < n && PQstatus(p->c) != CONNECTION_BAD; i++) {
		PGresult *r;
		while ((r = PQgetResult(p->c))) {
			ExecStatusType st = PQresultStatus(r);
			if ((st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_PIPELINE_ABORTED) && !rc)
				rc = pg_fail(p, r, p->queued_what[i]);
			if (i == n - 1 && last_status && st == PGRES_COMMAND_OK)
				snprintf(last_status, cap, "%s", PQcmdStatus(r));
			PQclear(r);
			if (PQstatus(p->c) == CONNECTION_BAD)
				break;
		}
	}
	if (PQstatus(p->c) != CONNECTION_BAD) {
		PGresult *r = PQgetResult(p->c); /* the sync point's own answer */
		if (PQresultStatus(r) != PGRES_PIPELINE_SYNC && !rc)
			rc = pg_fail(p, r, p->queued_what[n - 1]);
		PQclear(r);
	}
	if (PQexitPipelineMode(p->c) != 1 && !rc)
		rc = pg_fail(p, NULL, p->queued_what[n - 1]);
	if (rc && PQstatus(p->c) == CONNECTION_BAD)
		rc = pg_fail(p, NULL, p->queued_what[n - 1]);
	return rc;
}

/* Sends a prepared statement (name) or fixed SQL (sql) ahead, see struct pg. */
static int send_ahead(struct pg *p, const char *name, const char *sql, const struct args *a, const char *what)
{
	if (!p->queued && PQenterPipelineMode(p->c) != 1)
		return pg_fail(p, NULL, what);
	int ok = name ? PQsendQueryPrepared(p->c, name, a ? a->n : 0, a ? a->v : NULL, a ? a->l : NULL,
					    a ? a->f : NULL, 1)
		      : PQsendQueryParams(p->c, sql, 0, NULL, NULL, NULL, NULL, 1);
	if (ok != 1) {
		int rc = pg_fail(p, NULL, what);
		if (p->queued)
			(void)drain(p, NULL, 0);
		else
			(void)PQexitPipelineMode(p->c);
		return rc;
	}
	p->queued_what[p->queued++] = what;
	return p->queued == PG_MAX_QUEUED ? drain(p, NULL, 0) : PHR_OK;
}

/* Whether a statement that failed outside a transaction may run again on a
 * new connection (the old one was lost: the server restarted, a failover). */
static bool retry_lost(struct pg *p)
{
	return p->depth == 0 && PQstatus(p->c) == CONNECTION_BAD && reconnect_if_lost(p) == PHR_OK;
}

static int flush_fields(struct pg *p);

/* Runs a prepared statement; *out (when given) holds its rows. */
static int pexec(struct pg *p, enum pstmt k, const struct args *a, PGresult **out, const char *what)
{
	char name[16];
	if (k != P_FIELDS_INSERT && p->n_fields) {
		int frc = flush_fields(p);
		if (frc)
			return frc;
	}
	if (out)
		*out = NULL;
	if (a && a->over)
		return phr_fail(PHR_E_LIMIT, "register (PostgreSQL): %s: more than %d parameters", what, PG_MAX_PARAMS);
	snprintf(name, sizeof(name), "phr%d", (int)k);
	bool retried = false;
	int qrc;
	if (!p->prepared[k] || out) {
		/* a statement prepared here, or whose rows are read, waits for those sent ahead */
		if ((qrc = drain(p, NULL, 0)))
			return qrc;
	}
	if (!out && p->depth && p->prepared[k])
		return send_ahead(p, name, NULL, a, what);
again:
	if (!p->prepared[k]) {
		PGresult *r = PQprepare(p->c, name, pstmt_sql[k], 0, NULL);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		int rc = ok ? PHR_OK : pg_fail(p, r, what);
		PQclear(r);
		if (rc && !retried && retry_lost(p)) {
			retried = true;
			goto again;
		}
		if (rc)
			return rc;
		p->prepared[k] = true;
	}
	PGresult *r = PQexecPrepared(p->c, name, a ? a->n : 0, a ? a->v : NULL, a ? a->l : NULL, a ? a->f : NULL, 1);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		int rc = pg_fail(p, r, what);
		PQclear(r);
		if (!retried && retry_lost(p)) {
			retried = true;
			goto again;
		}
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return PHR_OK;
}

/* Runs SQL made at run time (a search), with parameters. */
static int qexec(struct pg *p, const char *sql, const struct args *a, PGresult **out, const char *what)
{
	*out = NULL;
	if (a->over)
		return phr_fail(PHR_E_LIMIT, "register (PostgreSQL): %s: more than %d parameters", what, PG_MAX_PARAMS);
	int rc0 = flush_fields(p);
	if (rc0 || (rc0 = drain(p, NULL, 0)))
		return rc0;
	PGresult *r = PQexecParams(p->c, sql, a->n, NULL, a->v, a->l, a->f, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		int rc = pg_fail(p, r, what);
		PQclear(r);
		if (!retry_lost(p))
			return rc;
		r = PQexecParams(p->c, sql, a->n, NULL, a->v, a->l, a->f, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = pg_fail(p, r, what);
			PQclear(r);
			return rc;
		}
	}
	*out = r;
	return PHR_OK;
}

/* Runs SQL without parameters (transaction control, migrations). */
static int sexec(struct pg *p, const char *sql, const char *what)
{
	int rc0 = flush_fields(p);
	if (rc0 || (rc0 = drain(p, NULL, 0)))
		return rc0;
	PGresult *r = PQexec(p->c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? PHR_OK : pg_fail(p, r, what);
	PQclear(r);
	return rc;
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

/* ---- connection and transactions ------------------------------------- */

static void pg_close(struct phr_store *s)
{
	struct pg *p = PG(s);
	if (!p)
		return;
	PQfinish(p->c);
	arr_free(&p->f_path);
	arr_free(&p->f_type);
	arr_free(&p->f_value);
	arr_free(&p->f_num);
	free(p);
}

static int pg_schema_version(struct phr_store *s)
{
	return PG(s)->version;
}

/* A connection lost between transactions (the server restarted, a
 * failover) is made again once; one lost inside a transaction fails it. */
static int reconnect_if_lost(struct pg *p)
{
	if (PQstatus(p->c) != CONNECTION_BAD)
		return PHR_OK;
	PQreset(p->c);
	memset(p->prepared, 0, sizeof(p->prepared));
	p->depth = 0;
	p->queued = 0;
	p->n_fields = 0;
	if (PQpipelineStatus(p->c) != PQ_PIPELINE_OFF)
		(void)PQexitPipelineMode(p->c); /* a pipeline the lost connection was in */
	if (PQstatus(p->c) != CONNECTION_OK)
		return phr_fail(PHR_E_DB, "register (PostgreSQL): the server cannot be reached: %s", PQerrorMessage(p->c));
	return sexec(p, "SET lock_timeout = '" PG_LOCK_TIMEOUT "'", "set up the connection");
}

static int pg_begin(struct phr_store *s)
{
	struct pg *p = PG(s);
	if (p->depth && PQtransactionStatus(p->c) == PQTRANS_IDLE)
		p->depth = 0;
	if (!p->depth) {
		int rc = reconnect_if_lost(p);
		if (rc)
			return rc;
	}
	/* BEGIN goes with the statements that follow it. The transaction
	 * takes its xid at once, before any versions.id: the hub's changes
	 * cursor (hub/server.c, docs/HUB.md "Changes since a cursor") waits
	 * for the transactions in progress after reading the sequence, and a
	 * transaction that held an id but no xid yet would be in no snapshot. */
	int rc = p->depth ? sexec(p, "SAVEPOINT phr_add", "begin a change")
			  : send_ahead(p, NULL, "BEGIN", NULL, "begin a change");
	if (!rc && !p->depth)
		rc = send_ahead(p, NULL, "SELECT pg_current_xact_id()", NULL, "begin a change");
	if (!rc)
		p->depth++;
	return rc;
}

static int pg_commit(struct phr_store *s)
{
	struct pg *p = PG(s);
	int frc = flush_fields(p);
	if (frc)
		return frc;
	if (p->depth == 1 && p->queued) {
		/* COMMIT goes with the statements sent ahead: one round trip */
		char tag[32] = "";
		int rc = p->queued >= PG_MAX_QUEUED - 1 ? drain(p, NULL, 0) : PHR_OK;
		if (!rc)
			rc = send_ahead(p, NULL, "COMMIT", NULL, "commit");
		if (!rc)
			rc = drain(p, tag, sizeof(tag));
		/* a transaction that failed ends with COMMIT answered by ROLLBACK */
		if (!rc && strcmp(tag, "COMMIT"))
			rc = phr_fail(PHR_E_DB, "register (PostgreSQL): commit: the server rolled the transaction back");
		if (!rc || PQtransactionStatus(p->c) == PQTRANS_IDLE)
			p->depth = 0;
		return rc;
	}
	int rc0 = drain(p, NULL, 0);
	if (rc0)
		return rc0;
	if (PQtransactionStatus(p->c) == PQTRANS_INERROR)
		return phr_fail(PHR_E_DB, "register (PostgreSQL): commit: the transaction failed earlier");
	if (p->depth > 1) {
		int rc = sexec(p, "RELEASE SAVEPOINT phr_add", "commit");
		if (!rc)
			p->depth--;
		return rc;
	}
	PGresult *r = PQexec(p->c, "COMMIT");
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? PHR_OK : pg_fail(p, r, "commit");
	/* a transaction that failed ends with COMMIT answered by ROLLBACK */
	if (!rc && strcmp(PQcmdStatus(r), "COMMIT"))
		rc = phr_fail(PHR_E_DB, "register (PostgreSQL): commit: the server rolled the transaction back");
	PQclear(r);
	if (!rc)
		p->depth = 0;
	return rc;
}

static void pg_rollback(struct phr_store *s)
{
	struct pg *p = PG(s);
	p->n_fields = 0; /* gathered for a change that does not happen */
	(void)drain(p, NULL, 0); /* a failure among them is why this rolls back */
	if (PQtransactionStatus(p->c) == PQTRANS_IDLE || PQstatus(p->c) == CONNECTION_BAD) {
		p->depth = 0;
		return;
	}
	if (p->depth > 1 && !sexec(p, "ROLLBACK TO SAVEPOINT phr_add; RELEASE SAVEPOINT phr_add", "roll back")) {
		p->depth--;
		return;
	}
	PQclear(PQexec(p->c, "ROLLBACK"));
	p->depth = 0;
}

/* ---- records and versions -------------------------------------------- */

static int pg_record_find(struct phr_store *s, const uint8_t id[PHR_RECORD_ID_LEN], int64_t *row)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	int rc;
	*row = 0;
	if (p->depth) {
		/* adds of one record take turns across processes (until commit) */
		int64_t key = 0;
		for (int i = 0; i < 8; i++)
			key = (int64_t)(((uint64_t)key << 8) | id[i]);
		a_int(&a, key);
		if ((rc = pexec(p, P_RECORD_LOCK, &a, NULL, "lock a record")))
			return rc;
		a = (struct args){ 0 };
	}
	a_blob(&a, id, PHR_RECORD_ID_LEN);
	if ((rc = pexec(p, P_RECORD_FIND, &a, &r, "look up a record")))
		return rc;
	if (PQntuples(r) > 0)
		*row = g_int(r, 0, 0);
	PQclear(r);
	return PHR_OK;
}

static int pg_record_insert(struct phr_store *s, const uint8_t id[PHR_RECORD_ID_LEN], int64_t at, int64_t *row)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	char hex[2 * PHR_RECORD_ID_LEN + 1];
	PGresult *r;
	to_hex(id, PHR_RECORD_ID_LEN, hex);
	a_blob(&a, id, PHR_RECORD_ID_LEN);
	a_text(&a, hex);
	a_int(&a, at);
	int rc = pexec(p, P_RECORD_INSERT, &a, &r, "store a record");
	if (rc)
		return rc;
	*row = PQntuples(r) ? g_int(r, 0, 0) : 0;
	PQclear(r);
	return PHR_OK;
}

static int pg_record_resolve(struct phr_store *s, const char *prefix, uint8_t id[PHR_RECORD_ID_LEN])
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	char hi[2 * PHR_RECORD_ID_LEN + 2];
	PGresult *r;
	snprintf(hi, sizeof(hi), "%sg", prefix); /* 'g' sorts after every hex digit */
	a_text(&a, prefix);
	a_text(&a, hi);
	int rc = pexec(p, P_RECORD_RESOLVE, &a, &r, "look up a record id");
	if (rc)
		return rc;
	int n = PQntuples(r);
	size_t len;
	if (n >= 1) {
		const uint8_t *b = g_blob(r, 0, 0, &len);
		if (len == PHR_RECORD_ID_LEN)
			memcpy(id, b, PHR_RECORD_ID_LEN);
	}
	PQclear(r);
	if (n == 0)
		return phr_fail(PHR_E_NOT_STORED, "the register holds no record %s (never stored, or forgotten)", prefix);
	if (n > 1)
		return phr_fail(PHR_E_AMBIGUOUS, "%s is the start of more than one record id: give more digits", prefix);
	return PHR_OK;
}

static int pg_versions_each(struct phr_store *s, int64_t record_row,
			    int (*cb)(void *ctx, const struct phr_store_version *v), void *ctx)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, record_row);
	int rc = pexec(p, P_VERSIONS, &a, &r, "read a record's versions");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		struct phr_store_version v = { 0 };
		size_t n, hn;
		v.row = g_int(r, i, 0);
		const uint8_t *vid = g_blob(r, i, 1, &n);
		if (n != PHR_VERSION_ID_LEN) {
			rc = phr_fail(PHR_E_DB_CORRUPT, "register: version row %lld has a damaged id", (long long)v.row);
			break;
		}
		memcpy(v.version_id, vid, PHR_VERSION_ID_LEN);
		v.n_entries = (size_t)g_int(r, i, 2);
		v.hashes = g_blob(r, i, 3, &hn);
		if (hn != v.n_entries * PHR_HASH_LEN) {
			rc = phr_fail(PHR_E_DB_CORRUPT, "register: version row %lld has damaged entry hashes",
				      (long long)v.row);
			break;
		}
		v.stored_at = g_int(r, i, 4);
		v.latest = g_int(r, i, 5) != 0;
		rc = cb(ctx, &v);
	}
	PQclear(r);
	return rc;
}

static int pg_version_insert(struct phr_store *s, int64_t record_row, const struct phr_store_version *v,
			     const uint8_t *container, size_t len, const uint8_t *facts, size_t facts_len,
			     int64_t first_day, int64_t last_day, int64_t *row)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, record_row);
	a_blob(&a, v->version_id, PHR_VERSION_ID_LEN);
	a_int(&a, (int64_t)v->n_entries);
	a_blob(&a, v->hashes, v->n_entries * PHR_HASH_LEN);
	a_blob(&a, container, len);
	a_blob(&a, facts, facts ? facts_len : 0);
	a_int(&a, first_day);
	a_int(&a, last_day);
	a_int(&a, v->stored_at);
	int rc = pexec(p, P_VERSION_INSERT, &a, &r, "store a version");
	if (rc)
		return rc;
	*row = PQntuples(r) ? g_int(r, 0, 0) : 0;
	PQclear(r);
	a = (struct args){ 0 };
	a_int(&a, record_row);
	a_int(&a, *row);
	a_int(&a, (int64_t)v->n_entries);
	return pexec(p, P_SET_LATEST, &a, NULL, "mark the latest version");
}

static int pg_sighting_insert(struct phr_store *s, int64_t version_row, int64_t at, const char *how, const char *who,
			      const char *report_json, uint64_t trust_version)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	a_int(&a, version_row);
	a_int(&a, at);
	a_text(&a, how);
	a_text(&a, who);
	a_text(&a, report_json);
	a_int(&a, (int64_t)trust_version);
	int rc = pexec(p, P_SIGHTING_INSERT, &a, NULL, "store a sighting");
	if (rc)
		return rc;
	a = (struct args){ 0 };
	a_int(&a, version_row);
	a_int(&a, at);
	return pexec(p, P_SEEN, &a, NULL, "store a sighting");
}

static int pg_sightings_each(struct phr_store *s, int64_t record_row,
			     int (*cb)(void *ctx, const struct phr_register_sighting *v), void *ctx)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, record_row);
	int rc = pexec(p, P_SIGHTINGS, &a, &r, "read a record's sightings");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		char vhex[PHR_VERSION_ID_HEX_LEN] = "";
		size_t n;
		const uint8_t *vid = g_blob(r, i, 0, &n);
		if (n == PHR_VERSION_ID_LEN)
			to_hex(vid, PHR_VERSION_ID_LEN, vhex);
		struct phr_register_sighting g = {
			.version_hex = vhex,
			.at = g_int(r, i, 1),
			.how = g_text(r, i, 2),
			.who = g_text(r, i, 3),
			.report = g_text(r, i, 4),
			.trust_version = (uint64_t)g_int(r, i, 5),
		};
		rc = cb(ctx, &g);
	}
	PQclear(r);
	return rc;
}

/* A malloc'd copy of one value. */
static int copy_out(const PGresult *r, int row, int col, uint8_t **out, size_t *len)
{
	size_t n;
	const uint8_t *b = g_blob(r, row, col, &n);
	if (!(*out = malloc(n ? n : 1)))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if (n)
		memcpy(*out, b, n);
	*len = n;
	return PHR_OK;
}

static int pg_latest(struct phr_store *s, int64_t record_row, uint8_t **container, size_t *len)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	*container = NULL;
	*len = 0;
	a_int(&a, record_row);
	int rc = pexec(p, P_LATEST, &a, &r, "read the latest version");
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = phr_fail(PHR_E_NOT_STORED, "the register holds no version of this record");
	else
		rc = copy_out(r, 0, 0, container, len);
	PQclear(r);
	return rc;
}

static int pg_version_container(struct phr_store *s, int64_t version_row, uint8_t **container, size_t *len)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	*container = NULL;
	*len = 0;
	a_int(&a, version_row);
	int rc = qexec(p, "SELECT container FROM versions WHERE id = $1::bigint", &a, &r, "read a version");
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = phr_fail(PHR_E_NOT_STORED, "the register holds no such version");
	else
		rc = copy_out(r, 0, 0, container, len);
	PQclear(r);
	return rc;
}

/* ---- the index ----------------------------------------------------------- */

static int pg_entry_insert(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN], size_t index,
			   int64_t day, const char *clinic, const char *country, int64_t *row)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, record_row);
	a_blob(&a, hash, PHR_HASH_LEN);
	a_int(&a, (int64_t)index);
	a_int(&a, day);
	a_text(&a, clinic);
	a_text(&a, country);
	int rc = pexec(p, P_ENTRY_INSERT, &a, &r, "index an entry");
	if (rc)
		return rc;
	*row = PQntuples(r) ? g_int(r, 0, 0) : 0;
	PQclear(r);
	return PHR_OK;
}

static int pg_entry_reindex(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN], int64_t *row)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, record_row);
	a_blob(&a, hash, PHR_HASH_LEN);
	int rc = pexec(p, P_ENTRY_REINDEX, &a, &r, "index an entry again");
	if (rc)
		return rc;
	*row = PQntuples(r) ? g_int(r, 0, 0) : 0;
	PQclear(r);
	return PHR_OK;
}

static int flush_fields(struct pg *p)
{
	if (!p->n_fields)
		return PHR_OK;
	struct args a = { 0 };
	a_int(&a, p->fields_entry);
	a_arr(&a, &p->f_path);
	a_arr(&a, &p->f_type);
	a_arr(&a, &p->f_value);
	a_arr(&a, &p->f_num);
	p->n_fields = 0;
	if (p->f_path.nomem || p->f_type.nomem || p->f_value.nomem || p->f_num.nomem)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	return pexec(p, P_FIELDS_INSERT, &a, NULL, "index an entry's fields");
}

/* Fields are gathered per entry (flush_fields) inside a change; one at a
 * time outside one. */
static int pg_field_insert(struct phr_store *s, int64_t entry_row, const struct phr_store_field *f)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	if (p->depth) {
		if (p->n_fields && p->fields_entry != entry_row) {
			int rc = flush_fields(p);
			if (rc)
				return rc;
		}
		if (!p->n_fields) {
			arr_reset(&p->f_path);
			arr_reset(&p->f_type);
			arr_reset(&p->f_value);
			arr_reset(&p->f_num);
			p->fields_entry = entry_row;
		}
		arr_add(&p->f_path, f->path);
		arr_add_int(&p->f_type, f->type);
		arr_add(&p->f_value, f->value);
		arr_add_int(&p->f_num, f->num);
		p->n_fields++;
		return PHR_OK;
	}
	a_int(&a, entry_row);
	a_text(&a, f->path);
	/* int4 in binary: the low 4 bytes of the int8 form */
	a_int(&a, f->type);
	a.v[a.n - 1] += 4;
	a.l[a.n - 1] = 4;
	a_text(&a, f->value);
	a_int(&a, f->num);
	return pexec(p, P_FIELD_INSERT, &a, NULL, "index a field");
}

static int pg_name_insert(struct phr_store *s, int64_t entry_row, const char *name, const char *const *keys,
			  size_t n_keys)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, entry_row);
	a_text(&a, name);
	int rc = pexec(p, P_NAME_INSERT, &a, &r, "index a name");
	if (rc)
		return rc;
	int64_t name_row = PQntuples(r) ? g_int(r, 0, 0) : 0;
	PQclear(r);
	if (n_keys > 1) {
		/* all keys in one statement */
		struct arr k = { 0 };
		for (size_t i = 0; i < n_keys; i++)
			arr_add(&k, keys[i]);
		a = (struct args){ 0 };
		a_arr(&a, &k);
		a_int(&a, name_row);
		rc = k.nomem ? phr_fail(PHR_E_NOMEM, "out of memory") : pexec(p, P_KEYS_INSERT, &a, NULL, "index a name's keys");
		arr_free(&k);
		return rc;
	}
	for (size_t i = 0; i < n_keys && !rc; i++) {
		a = (struct args){ 0 };
		a_text(&a, keys[i]);
		a_int(&a, name_row);
		rc = pexec(p, P_KEY_INSERT, &a, NULL, "index a name key");
	}
	return rc;
}

/* ---- find --------------------------------------------------------------- */

/* SQL made at run time with its parameters ($1, $2, ... in order added). */
struct qb {
	char *p;
	size_t len, cap;
	bool oom;
	struct args a;
	char hi[2 * PHR_RECORD_ID_LEN + 2]; /* a record prefix's upper bound: a parameter, so it lives as long as the query */
};

static void qb_add(struct qb *b, const char *s)
{
	size_t n = strlen(s);
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* Adds a text parameter and its place in the SQL ($N::text). */
static void qb_text(struct qb *b, const char *v)
{
	char num[24];
	a_text(&b->a, v);
	snprintf(num, sizeof(num), "$%d::text", b->a.n);
	qb_add(b, num);
}

static void qb_int(struct qb *b, int64_t v)
{
	char num[24];
	a_int(&b->a, v);
	snprintf(num, sizeof(num), "$%d::bigint", b->a.n);
	qb_add(b, num);
}

/* " AND r.id IN (SELECT record FROM table WHERE " ... ")" around a condition. */
static void qb_in(struct qb *b, const char *table)
{
	qb_add(b, " AND r.id IN (SELECT record FROM ");
	qb_add(b, table);
	qb_add(b, " WHERE ");
}

static void add_filters(struct qb *b, const struct phr_store_query *q)
{
	if (q->born) {
		qb_in(b, "fields");
		qb_add(b, "path = 'identity.birth_date' AND (value = ");
		qb_text(b, q->born);
		qb_add(b, " OR value LIKE ");
		qb_text(b, q->born);
		qb_add(b, " || '-%' OR ");
		qb_text(b, q->born);
		qb_add(b, " LIKE value || '-%'))");
	}
	if (q->sex) {
		qb_in(b, "fields");
		qb_add(b, "path = 'identity.sex' AND value = ");
		qb_text(b, q->sex);
		qb_add(b, ")");
	}
	if (q->nationality) {
		qb_in(b, "fields");
		qb_add(b, "path = 'identity.nationality' AND value = ");
		qb_text(b, q->nationality);
		qb_add(b, ")");
	}
	if (q->arrived) {
		qb_in(b, "fields");
		qb_add(b, "path = 'migration.arrival' AND num BETWEEN ");
		qb_int(b, q->arrived_from);
		qb_add(b, " AND ");
		qb_int(b, q->arrived_to);
		qb_add(b, ")");
	}
	if (q->visited) {
		qb_in(b, "entries");
		qb_add(b, "day BETWEEN ");
		qb_int(b, q->visited_from);
		qb_add(b, " AND ");
		qb_int(b, q->visited_to);
		qb_add(b, ")");
	}
	if (q->code) {
		qb_in(b, "fields");
		qb_add(b, "type = 5 AND value = ");
		qb_text(b, q->code);
		qb_add(b, ")");
	}
	if (q->clinic) {
		qb_in(b, "entries");
		qb_add(b, "strpos(lower(clinic), lower(");
		qb_text(b, q->clinic);
		qb_add(b, ")) > 0)");
	}
	if (q->record_prefix) {
		snprintf(b->hi, sizeof(b->hi), "%sg", q->record_prefix);
		qb_add(b, " AND r.hex >= ");
		qb_text(b, q->record_prefix);
		qb_add(b, " AND r.hex < ");
		qb_text(b, b->hi);
	}
	if (q->field_path) {
		qb_in(b, "fields");
		qb_add(b, "path = ");
		qb_text(b, q->field_path);
		qb_add(b, " AND value = ");
		qb_text(b, q->field_value ? q->field_value : "");
		qb_add(b, ")");
	}
}

/* The keys of one word (with) or of the other words (!with), as a list. */
static void qb_keys(struct qb *b, const struct phr_store_query *q, int word)
{
	bool first = true;
	for (size_t i = 0; i < q->n_keys; i++) {
		if (word >= 0 && !((q->key_words[i] >> word) & 1))
			continue;
		if (!first)
			qb_add(b, ", ");
		qb_text(b, q->keys[i]);
		first = false;
	}
	if (first)
		qb_add(b, "NULL");
}

/* The names that hold need of the query's keys and a key of each word of
 * need_words (the same rule as store_sqlite.c's name_candidates; the
 * planner picks the order). */
static void name_candidates(struct qb *b, const struct phr_store_query *q)
{
	qb_add(b, "SELECT name FROM name_keys WHERE key IN (");
	qb_keys(b, q, -1);
	qb_add(b, ") GROUP BY name HAVING count(*) >= ");
	qb_int(b, (int64_t)(q->need ? q->need : 1));
	if (q->key_words && q->need_words)
		for (int w = 0; w < 32; w++) {
			if (!((q->need_words >> w) & 1))
				continue;
			qb_add(b, " AND bool_or(key IN (");
			qb_keys(b, q, w);
			qb_add(b, "))");
		}
}

struct cand {
	int64_t row, last_seen;
	char hex[2 * PHR_RECORD_ID_LEN + 1];
	int rank;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	return strcmp(a->hex, b->hex);
}

/* A hit's details, to cb. */
static int emit_hit(struct pg *p, int64_t row, int (*cb)(void *ctx, const struct phr_store_hit *h), void *ctx)
{
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, row);
	int rc = pexec(p, P_HIT, &a, &r, "search");
	if (rc)
		return rc;
	if (PQntuples(r) == 1) {
		struct phr_store_hit h = { 0 };
		size_t n;
		const uint8_t *id = g_blob(r, 0, 0, &n);
		if (n == PHR_RECORD_ID_LEN) {
			memcpy(h.record_id, id, PHR_RECORD_ID_LEN);
			h.names = g_text(r, 0, 1);
			h.n_names = (size_t)g_int(r, 0, 2);
			h.born = g_text(r, 0, 3);
			h.sex = g_text(r, 0, 4);
			h.nationality = g_text(r, 0, 5);
			h.n_versions = (size_t)g_int(r, 0, 6);
			h.last_seen = g_int(r, 0, 7);
			rc = cb(ctx, &h);
		}
	}
	PQclear(r);
	return rc;
}

static int pg_find(struct phr_store *s, const struct phr_store_query *q, size_t max,
		   int (*cb)(void *ctx, const struct phr_store_hit *h), void *ctx)
{
	struct pg *p = PG(s);
	struct qb b = { 0 };
	bool ranked = q->n_keys && q->rank;
	char lim[64];
	PGresult *r = NULL;
	int rc;
	qb_add(&b, "SELECT r.id, r.last_seen, r.hex");
	if (ranked)
		qb_add(&b, ", (SELECT string_agg(name, chr(31) ORDER BY id) FROM names WHERE record = r.id)");
	qb_add(&b, " FROM records r WHERE true");
	add_filters(&b, q);
	if (q->n_keys) {
		qb_add(&b, " AND r.id IN (SELECT n.record FROM names n WHERE n.id IN (");
		name_candidates(&b, q);
		qb_add(&b, "))");
	}
	if (!ranked) {
		/* without a rank, the newest max; ranked, every candidate is ranked first */
		snprintf(lim, sizeof(lim), " ORDER BY r.last_seen DESC, r.id DESC LIMIT %zu", max);
		qb_add(&b, lim);
	}
	if (b.oom) {
		free(b.p);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	rc = qexec(p, b.p, &b.a, &r, "search");
	free(b.p);
	if (rc)
		return rc;
	int n = PQntuples(r);
	struct cand *c = calloc((size_t)n + 1, sizeof(*c));
	if (!c) {
		PQclear(r);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	size_t kept = 0;
	for (int i = 0; i < n; i++) {
		struct cand *k = &c[kept];
		k->row = g_int(r, i, 0);
		k->last_seen = g_int(r, i, 1);
		snprintf(k->hex, sizeof(k->hex), "%s", g_text(r, i, 2));
		if (ranked) {
			/* names as a hit gives them (char(31) between), as in store_sqlite.c */
			k->rank = q->rank(q->rank_ctx, g_text(r, i, 3));
			if (k->rank <= 0)
				continue;
		}
		kept++;
	}
	PQclear(r);
	if (ranked)
		qsort(c, kept, sizeof(*c), cand_cmp);
	if (kept > max)
		kept = max;
	rc = PHR_OK;
	for (size_t i = 0; i < kept && !rc; i++)
		rc = emit_hit(p, c[i].row, cb, ctx);
	free(c);
	return rc;
}

static int pg_facts_each(struct phr_store *s, int64_t from_day, int64_t to_day,
			 int (*cb)(void *ctx, const uint8_t *facts, size_t len), void *ctx)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, from_day);
	a_int(&a, to_day);
	int rc = pexec(p, P_FACTS, &a, &r, "read the facts");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		size_t n;
		const uint8_t *f = g_blob(r, i, 0, &n);
		rc = cb(ctx, f, n);
	}
	PQclear(r);
	return rc;
}

/* ---- documents -------------------------------------------------------- */

static int pg_doc_put(struct phr_store *s, const uint8_t hash[PHR_HASH_LEN], const char *media_type,
		      const uint8_t *bytes, size_t len, int64_t at)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	a_blob(&a, hash, PHR_HASH_LEN);
	a_text(&a, media_type);
	a_int(&a, (int64_t)len);
	a_blob(&a, bytes, len);
	a_int(&a, at);
	return pexec(p, P_DOC_PUT, &a, NULL, "store a document");
}

static int pg_doc_get(struct phr_store *s, const uint8_t hash[PHR_HASH_LEN], char media_type[PHR_REG_MEDIA_TYPE_MAX],
		      uint8_t **bytes, size_t *len)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	*bytes = NULL;
	*len = 0;
	a_blob(&a, hash, PHR_HASH_LEN);
	int rc = pexec(p, P_DOC_GET, &a, &r, "read a document");
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = phr_fail(PHR_E_NOT_FOUND, "the document is not on this machine");
	} else {
		snprintf(media_type, PHR_REG_MEDIA_TYPE_MAX, "%s", g_text(r, 0, 0));
		rc = copy_out(r, 0, 1, bytes, len);
	}
	PQclear(r);
	return rc;
}

static int pg_doc_link(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN])
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	a_int(&a, record_row);
	a_blob(&a, hash, PHR_HASH_LEN);
	return pexec(p, P_DOC_LINK, &a, NULL, "link a document");
}

static int pg_docs_each(struct phr_store *s, int64_t record_row,
			int (*cb)(void *ctx, const struct phr_register_document *d), void *ctx)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	a_int(&a, record_row);
	int rc = pexec(p, P_DOCS, &a, &r, "list documents");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		struct phr_register_document d = { 0 };
		size_t n;
		const uint8_t *h = g_blob(r, i, 0, &n);
		if (n != PHR_HASH_LEN)
			continue;
		memcpy(d.hash, h, PHR_HASH_LEN);
		d.present = !PQgetisnull(r, i, 1);
		snprintf(d.media_type, sizeof(d.media_type), "%s", g_text(r, i, 1));
		d.size = (size_t)g_int(r, i, 2);
		rc = cb(ctx, &d);
	}
	PQclear(r);
	return rc;
}

/* ---- forget, audit, checks ------------------------------------------- */

static int pg_forget(struct phr_store *s, int64_t record_row, const char *record_hex)
{
	struct pg *p = PG(s);
	static const char *const sql[] = {
		("DELETE FROM documents WHERE hash IN (SELECT hash FROM record_documents WHERE record = $1::bigint)"
		 " AND hash NOT IN (SELECT hash FROM record_documents WHERE record <> $1::bigint)"),
		"DELETE FROM records WHERE id = $1::bigint",
		"UPDATE audit SET record = '', detail = '(a record since forgotten)' WHERE record = $1::text",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		struct args a = { 0 };
		PGresult *r;
		if (i < 2)
			a_int(&a, record_row);
		else
			a_text(&a, record_hex);
		int rc = qexec(p, sql[i], &a, &r, "forget");
		PQclear(r);
		if (rc)
			return rc;
	}
	return PHR_OK;
}

/* The server keeps dead rows until they are vacuumed: vacuumed now. Its
 * write-ahead log, archives and replicas keep the old pages until they are
 * recycled (docs/HUB.md). */
static int pg_purge(struct phr_store *s)
{
	struct pg *p = PG(s);
	if (p->depth)
		return PHR_OK;
	return sexec(p, "VACUUM records, versions, sightings, entries, fields, names, name_keys, documents, "
		     "record_documents, audit", "vacuum");
}

static int pg_audit_insert(struct phr_store *s, int64_t at, const char *who, const char *action,
			   const char *record_hex, const char *detail)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	a_int(&a, at);
	a_text(&a, who);
	a_text(&a, action);
	a_text(&a, record_hex ? record_hex : "");
	a_text(&a, detail ? detail : "");
	return pexec(p, P_AUDIT_INSERT, &a, NULL, "write the audit");
}

static int pg_audit_each(struct phr_store *s, int (*cb)(void *ctx, const struct phr_register_audit_row *r), void *ctx)
{
	struct pg *p = PG(s);
	PGresult *r;
	int rc = pexec(p, P_AUDIT, NULL, &r, "read the audit");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		struct phr_register_audit_row row = {
			.id = g_int(r, i, 0),
			.at = g_int(r, i, 1),
			.who = g_text(r, i, 2),
			.action = g_text(r, i, 3),
			.record_hex = g_text(r, i, 4),
			.detail = g_text(r, i, 5),
		};
		rc = cb(ctx, &row);
	}
	PQclear(r);
	return rc;
}

/* The server checks its own pages (checksums, if the cluster has them)
 * and enforces the foreign keys; what is left to look at is what no
 * constraint says: each record's latest version is one of its own. */
static int pg_check_storage(struct phr_store *s, void (*cb)(void *ctx, const char *problem), void *ctx,
			    size_t *problems)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	int rc = qexec(p, "SELECT r.hex FROM records r WHERE r.latest IS NOT NULL AND NOT EXISTS "
		       "(SELECT 1 FROM versions v WHERE v.id = r.latest AND v.record = r.id) ORDER BY r.hex",
		       &a, &r, "check the records");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		char line[200];
		snprintf(line, sizeof(line), "record %s: its latest version belongs to another record", g_text(r, i, 0));
		(*problems)++;
		if (cb)
			cb(ctx, line);
	}
	PQclear(r);
	return PHR_OK;
}

static int pg_containers_each(struct phr_store *s,
			      int (*cb)(void *ctx, const uint8_t vid[PHR_VERSION_ID_LEN], const uint8_t *c, size_t len),
			      void *ctx)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	static const uint8_t zero[PHR_VERSION_ID_LEN];
	int rc = qexec(p, "SELECT version_id, container FROM versions ORDER BY id", &a, &r, "read the versions");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		size_t n, cl;
		const uint8_t *vid = g_blob(r, i, 0, &n);
		const uint8_t *c = g_blob(r, i, 1, &cl);
		rc = cb(ctx, n == PHR_VERSION_ID_LEN ? vid : zero, c, cl);
	}
	PQclear(r);
	return rc;
}

static int pg_documents_all(struct phr_store *s,
			    int (*cb)(void *ctx, const uint8_t hash[PHR_HASH_LEN], const uint8_t *b, size_t len), void *ctx)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *r;
	static const uint8_t zero[PHR_HASH_LEN];
	int rc = qexec(p, "SELECT hash, bytes FROM documents ORDER BY hash", &a, &r, "read the documents");
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		size_t n, bl;
		const uint8_t *h = g_blob(r, i, 0, &n);
		const uint8_t *b = g_blob(r, i, 1, &bl);
		rc = cb(ctx, n == PHR_HASH_LEN ? h : zero, b, bl);
	}
	PQclear(r);
	return rc;
}

static const struct phr_store_ops pg_ops = {
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.record_find = pg_record_find,
	.record_insert = pg_record_insert,
	.record_resolve = pg_record_resolve,
	.versions_each = pg_versions_each,
	.version_insert = pg_version_insert,
	.sighting_insert = pg_sighting_insert,
	.sightings_each = pg_sightings_each,
	.latest = pg_latest,
	.version_container = pg_version_container,
	.entry_insert = pg_entry_insert,
	.field_insert = pg_field_insert,
	.entry_reindex = pg_entry_reindex,
	.name_insert = pg_name_insert,
	.find = pg_find,
	.facts_each = pg_facts_each,
	.doc_put = pg_doc_put,
	.doc_get = pg_doc_get,
	.doc_link = pg_doc_link,
	.docs_each = pg_docs_each,
	.forget = pg_forget,
	.purge = pg_purge,
	.audit_insert = pg_audit_insert,
	.audit_each = pg_audit_each,
	.check_storage = pg_check_storage,
	.containers_each = pg_containers_each,
	.documents_all = pg_documents_all,
};

/* ---- open and migrate ------------------------------------------------- */

static int read_version(struct pg *p, int64_t *v, bool *exists)
{
	PGresult *r = PQexec(p->c, "SELECT to_regclass('phr_schema') IS NOT NULL");
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? PHR_OK : pg_fail(p, r, "read the schema version");
	*exists = !rc && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	*v = 0;
	if (rc || !*exists)
		return rc;
	r = PQexec(p->c, "SELECT coalesce(max(version), 0) FROM phr_schema");
	rc = PQresultStatus(r) == PGRES_TUPLES_OK ? PHR_OK : pg_fail(p, r, "read the schema version");
	if (!rc && PQntuples(r) == 1)
		*v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

static int migrate(struct pg *p, bool create)
{
	int64_t v;
	bool exists;
	int rc = read_version(p, &v, &exists);
	if (rc)
		return rc;
	if (!exists && !create)
		return phr_fail(PHR_E_DB_CORRUPT, "register: the database holds no phr register (make one with "
				"'phr register init')");
	if (v > PG_N_MIGRATIONS)
		return phr_fail(PHR_E_DB_VERSION, "register: its schema is version %lld, newer than this program's %d: "
				"use a newer phr", (long long)v, PG_N_MIGRATIONS);
	if (v == PG_N_MIGRATIONS) {
		p->version = (int)v;
		return PHR_OK;
	}
	if (p->readonly)
		return phr_fail(PHR_E_DB, "register: its schema is version %lld; open it once for writing so it is "
				"brought to version %d", (long long)v, PG_N_MIGRATIONS);
	char sql[128];
	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%lld)", (long long)PG_MIGRATE_LOCK);
	if ((rc = sexec(p, sql, "migrate")) ||
	    (rc = sexec(p, "CREATE TABLE IF NOT EXISTS phr_schema(version BIGINT NOT NULL)", "migrate")) ||
	    (rc = read_version(p, &v, &exists))) /* another process may have migrated meanwhile */
		goto fail;
	for (; v < PG_N_MIGRATIONS; v++) {
		if ((rc = sexec(p, pg_migrations[v], "migrate the schema")))
			goto fail;
		snprintf(sql, sizeof(sql), "DELETE FROM phr_schema; INSERT INTO phr_schema VALUES (%lld)", (long long)v + 1);
		if ((rc = sexec(p, sql, "migrate the schema")))
			goto fail;
	}
	if ((rc = sexec(p, "COMMIT", "migrate")))
		goto fail;
	p->version = PG_N_MIGRATIONS;
	return PHR_OK;
fail:
	PQclear(PQexec(p->c, "ROLLBACK"));
	return rc;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

bool phr_store_pg_uri(const char *path)
{
	return path && (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11));
}

int phr_store_pg_schema_latest(void)
{
	return PG_N_MIGRATIONS;
}

int phr_store_pg_open(const char *uri, unsigned flags, struct phr_store **out)
{
	*out = NULL;
	if (!phr_store_pg_uri(uri))
		return phr_fail(PHR_E_ARG, "register: not a postgresql:// URI");
	struct pg *p = calloc(1, sizeof(*p));
	if (!p)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	p->base.ops = &pg_ops;
	p->readonly = (flags & PHR_REG_READONLY) != 0;
	int rc;
	p->c = PQconnectdb(uri);
	if (!p->c) {
		free(p);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	if (PQstatus(p->c) != CONNECTION_OK) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(p->c));
		for (char *e = msg + strlen(msg); e > msg && e[-1] == '\n'; e--)
			e[-1] = '\0';
		pg_close(&p->base);
		/* the URI may hold a password: it is not repeated */
		return phr_fail(PHR_E_DB, "register (PostgreSQL): cannot connect: %s", msg);
	}
	PQsetNoticeProcessor(p->c, quiet, NULL);
	if ((rc = sexec(p, "SET lock_timeout = '" PG_LOCK_TIMEOUT "'; SET client_min_messages = warning",
			"set up the connection")))
		goto fail;
	if (p->readonly && (rc = sexec(p, "SET default_transaction_read_only = on", "set up the connection")))
		goto fail;
	if ((rc = migrate(p, (flags & PHR_REG_CREATE) != 0)))
		goto fail;
	*out = &p->base;
	return PHR_OK;
fail:
	pg_close(&p->base);
	return rc;
}
