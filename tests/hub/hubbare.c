/* hubbare: the bare-PostgreSQL side of the hub benchmark (tests/hub/bench.sh,
 * docs/PERFORMANCE.md "Regional hub: pushes per core, fetch at a million").
 *   hubbare URI [AFTER] [--pipeline]
 * After a hub has filed pushes into the database at URI, copies the tables
 * a push writes (records, versions, sightings, entries, fields, names,
 * name_keys, audit) into a schema "bare" with the same columns, checks,
 * indexes and foreign keys, reads every pushed record's rows into memory,
 * then inserts them again through libpq as the hub does: one transaction
 * per push (BEGIN, the record's advisory lock, one prepared INSERT per row,
 * the records row's latest set after its version, COMMIT), one connection.
 * Only records whose row id is above AFTER (default 0) are taken: the pushes
 * of the last round. Prints the pushes per second; the schema is dropped
 * afterwards. With --pipeline, each push's statements are sent in libpq's
 * pipeline mode and their answers read after one sync: one round trip a
 * push (the hub's backend needs about 11), the strongest bare baseline. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { T_RECORDS, T_VERSIONS, T_SIGHTINGS, T_ENTRIES, T_FIELDS, T_NAMES, T_NAME_KEYS, T_AUDIT, T_N };

static const char *const tname[T_N] = { "records", "versions", "sightings", "entries",
					"fields",  "names",    "name_keys", "audit" };
/* each table's rows of one pushed record ($1: records.id; audit's: records.hex);
 * records' latest is left NULL here and set after the version (the FK) */
static const char *const tsel[T_N] = {
	"SELECT id, record_id, hex, first_seen, last_seen, NULL::bigint FROM public.records WHERE id = $1::bigint",
	"SELECT * FROM public.versions WHERE record = $1::bigint ORDER BY id",
	("SELECT * FROM public.sightings WHERE version IN (SELECT id FROM public.versions WHERE record = $1::bigint) "
	 "ORDER BY id"),
	"SELECT * FROM public.entries WHERE record = $1::bigint ORDER BY id",
	"SELECT * FROM public.fields WHERE record = $1::bigint",
	"SELECT * FROM public.names WHERE record = $1::bigint ORDER BY id",
	"SELECT * FROM public.name_keys WHERE name IN (SELECT id FROM public.names WHERE record = $1::bigint)",
	"SELECT * FROM public.audit WHERE record = $1::text ORDER BY id",
};
static const char *const fks[] = {
	"ALTER TABLE bare.versions ADD FOREIGN KEY (record) REFERENCES bare.records(id) ON DELETE CASCADE",
	"ALTER TABLE bare.records ADD FOREIGN KEY (latest) REFERENCES bare.versions(id) ON DELETE SET NULL",
	"ALTER TABLE bare.sightings ADD FOREIGN KEY (version) REFERENCES bare.versions(id) ON DELETE CASCADE",
	"ALTER TABLE bare.entries ADD FOREIGN KEY (record) REFERENCES bare.records(id) ON DELETE CASCADE",
	"ALTER TABLE bare.fields ADD FOREIGN KEY (entry) REFERENCES bare.entries(id) ON DELETE CASCADE",
	"ALTER TABLE bare.fields ADD FOREIGN KEY (record) REFERENCES bare.records(id) ON DELETE CASCADE",
	"ALTER TABLE bare.names ADD FOREIGN KEY (entry) REFERENCES bare.entries(id) ON DELETE CASCADE",
	"ALTER TABLE bare.names ADD FOREIGN KEY (record) REFERENCES bare.records(id) ON DELETE CASCADE",
	"ALTER TABLE bare.name_keys ADD FOREIGN KEY (name) REFERENCES bare.names(id) ON DELETE CASCADE",
};

struct push {
	char id[24], hex[40], latest[24];
	PGresult *rows[T_N];
};

static void die(PGconn *c, const char *what)
{
	fprintf(stderr, "hubbare: %s: %s", what, PQerrorMessage(c));
	exit(1);
}

static void exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(c, sql);
	PQclear(r);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One push's transaction in pipeline mode: every statement sent, one sync,
 * then every answer read; any error ends the run. */
static void push_pipelined(PGconn *c, struct push *p)
{
	char name[16];
	const char *lk[1] = { p->id };
	if (!PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(c, "lock", 1, lk, NULL, NULL, 0))
		die(c, "send");
	for (int t = 0; t < T_N; t++) {
		PGresult *rows = p->rows[t];
		int nf = PQnfields(rows);
		const char *pv[16];
		snprintf(name, sizeof(name), "ins%d", t);
		for (int row = 0; row < PQntuples(rows); row++) {
			for (int f = 0; f < nf && f < 16; f++)
				pv[f] = PQgetisnull(rows, row, f) ? NULL : PQgetvalue(rows, row, f);
			if (!PQsendQueryPrepared(c, name, nf, pv, NULL, NULL, 0))
				die(c, tname[t]);
		}
		if (t == T_VERSIONS && p->latest[0]) {
			const char *lv[2] = { p->id, p->latest };
			if (!PQsendQueryPrepared(c, "latest", 2, lv, NULL, NULL, 0))
				die(c, "latest");
		}
	}
	if (!PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(c))
		die(c, "sync");
	for (;;) {
		PGresult *r = PQgetResult(c);
		if (!r)
			continue; /* the end of one statement's answers */
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			die(c, "a pipelined statement");
	}
}

int main(int argc, char **argv)
{
	int pipeline = argc >= 3 && strcmp(argv[argc - 1], "--pipeline") == 0;
	if (pipeline)
		argc--;
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: hubbare URI [AFTER] [--pipeline]\n");
		return 2;
	}
	PGconn *c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK)
		die(c, "connect");
	exec_ok(c, "DROP SCHEMA IF EXISTS bare CASCADE");
	exec_ok(c, "CREATE SCHEMA bare");
	char sql[4096];
	for (int t = 0; t < T_N; t++) {
		snprintf(sql, sizeof(sql), "CREATE TABLE bare.%s (LIKE public.%s INCLUDING ALL)", tname[t], tname[t]);
		exec_ok(c, sql);
	}
	for (size_t i = 0; i < sizeof(fks) / sizeof(fks[0]); i++)
		exec_ok(c, fks[i]);
	/* the pushed records' rows, read before the clock starts */
	const char *after[1] = { argc == 3 ? argv[2] : "0" };
	PGresult *ids = PQexecParams(c, "SELECT id, hex, latest FROM public.records WHERE id > $1::bigint ORDER BY id", 1,
				     NULL, after, NULL, NULL, 0);
	if (PQresultStatus(ids) != PGRES_TUPLES_OK)
		die(c, "records");
	int n = PQntuples(ids);
	struct push *p = calloc((size_t)(n ? n : 1), sizeof(*p));
	long nrows = 0;
	for (int i = 0; i < n; i++) {
		snprintf(p[i].id, sizeof(p[i].id), "%s", PQgetvalue(ids, i, 0));
		snprintf(p[i].hex, sizeof(p[i].hex), "%s", PQgetvalue(ids, i, 1));
		snprintf(p[i].latest, sizeof(p[i].latest), "%s", PQgetvalue(ids, i, 2));
		for (int t = 0; t < T_N; t++) {
			const char *pv[1] = { t == T_AUDIT ? p[i].hex : p[i].id };
			p[i].rows[t] = PQexecParams(c, tsel[t], 1, NULL, pv, NULL, NULL, 0);
			if (PQresultStatus(p[i].rows[t]) != PGRES_TUPLES_OK)
				die(c, tsel[t]);
			nrows += PQntuples(p[i].rows[t]);
		}
	}
	PQclear(ids);
	/* one prepared INSERT per table, every value as text */
	for (int t = 0; t < T_N && n; t++) {
		int nf = PQnfields(p[0].rows[t]);
		int k = snprintf(sql, sizeof(sql), "INSERT INTO bare.%s VALUES (", tname[t]);
		for (int f = 0; f < nf; f++)
			k += snprintf(sql + k, sizeof(sql) - (size_t)k, "%s$%d", f ? ", " : "", f + 1);
		snprintf(sql + k, sizeof(sql) - (size_t)k, ")");
		char name[16];
		snprintf(name, sizeof(name), "ins%d", t);
		PGresult *r = PQprepare(c, name, sql, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die(c, sql);
		PQclear(r);
	}
	PGresult *r = PQprepare(c, "lock", "SELECT pg_advisory_xact_lock($1::bigint)", 0, NULL);
	PQclear(r);
	r = PQprepare(c, "latest", "UPDATE bare.records SET latest = $2::bigint WHERE id = $1::bigint", 0, NULL);
	PQclear(r);
	double t0 = now_s();
	if (pipeline) {
		if (!PQenterPipelineMode(c))
			die(c, "pipeline mode");
		for (int i = 0; i < n; i++)
			push_pipelined(c, &p[i]);
		if (!PQexitPipelineMode(c))
			die(c, "leaving pipeline mode");
	}
	for (int i = 0; i < n && !pipeline; i++) {
		exec_ok(c, "BEGIN");
		const char *lk[1] = { p[i].id };
		PQclear(PQexecPrepared(c, "lock", 1, lk, NULL, NULL, 0));
		for (int t = 0; t < T_N; t++) {
			PGresult *rows = p[i].rows[t];
			int nf = PQnfields(rows);
			const char *pv[16];
			char name[16];
			snprintf(name, sizeof(name), "ins%d", t);
			for (int row = 0; row < PQntuples(rows); row++) {
				for (int f = 0; f < nf && f < 16; f++)
					pv[f] = PQgetisnull(rows, row, f) ? NULL : PQgetvalue(rows, row, f);
				r = PQexecPrepared(c, name, nf, pv, NULL, NULL, 0);
				if (PQresultStatus(r) != PGRES_COMMAND_OK)
					die(c, tname[t]);
				PQclear(r);
			}
			if (t == T_VERSIONS && p[i].latest[0]) {
				const char *lv[2] = { p[i].id, p[i].latest };
				r = PQexecPrepared(c, "latest", 2, lv, NULL, NULL, 0);
				if (PQresultStatus(r) != PGRES_COMMAND_OK)
					die(c, "latest");
				PQclear(r);
			}
		}
		exec_ok(c, "COMMIT");
	}
	double secs = now_s() - t0;
	printf("hubbare: %d pushes' rows (%ld rows, %.1f a push) inserted in %.2f s, one transaction each%s: "
	       "%.0f pushes/s\n", n, nrows, n ? (double)nrows / n : 0.0, secs, pipeline ? ", pipelined" : "", secs > 0 ? n / secs : 0.0);
	for (int i = 0; i < n; i++)
		for (int t = 0; t < T_N; t++)
			PQclear(p[i].rows[t]);
	free(p);
	exec_ok(c, "DROP SCHEMA bare CASCADE");
	PQfinish(c);
	return 0;
}
