#include "pgtest.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void db_name(const char *name, char *out, size_t cap)
{
	size_t j = 0;
	j += (size_t)snprintf(out, cap, "t_");
	for (size_t i = 0; name[i] && j + 1 < cap; i++) {
		char c = name[i];
		out[j++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
	}
	out[j] = '\0';
}

static PGconn *connect_to(const char *db)
{
	const char *host = getenv("PHR_TEST_PG_HOST"), *port = getenv("PHR_TEST_PG_PORT");
	if (!host || !port) {
		fprintf(stderr, "pgtest: PHR_TEST_PG_HOST and PHR_TEST_PG_PORT are not set (run under with_pg.sh)\n");
		return NULL;
	}
	const char *k[] = { "host", "port", "user", "dbname", NULL };
	const char *v[] = { host, port, "phr", db, NULL };
	PGconn *c = PQconnectdbParams(k, v, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgtest: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

const char *pgtest_db(const char *name, bool fresh)
{
	static char uri[600];
	char db[64], sql[200];
	db_name(name, db, sizeof(db));
	if (fresh) {
		PGconn *c = connect_to("postgres");
		if (!c)
			return NULL;
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
		int rc = run(c, sql);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
		if (!rc)
			rc = run(c, sql);
		PQfinish(c);
		if (rc)
			return NULL;
	}
	snprintf(uri, sizeof(uri), "postgresql:///%s?host=%s&port=%s&user=phr", db, getenv("PHR_TEST_PG_HOST"),
		 getenv("PHR_TEST_PG_PORT"));
	return uri;
}

int pgtest_sql(const char *name, const char *sql)
{
	char db[64];
	db_name(name, db, sizeof(db));
	PGconn *c = connect_to(db);
	if (!c)
		return -1;
	int rc = run(c, sql);
	PQfinish(c);
	return rc;
}

int pgtest_holds(const char *name, const void *needle, size_t n)
{
	char db[64], sql[400];
	db_name(name, db, sizeof(db));
	PGconn *c = connect_to(db);
	if (!c)
		return -1;
	PGresult *cols = PQexec(c, "SELECT table_name, column_name, data_type FROM information_schema.columns "
				   "WHERE table_schema = 'public' AND data_type IN ('bytea', 'text')");
	int found = PQresultStatus(cols) == PGRES_TUPLES_OK ? 0 : -1;
	for (int i = 0; found == 0 && i < PQntuples(cols); i++) {
		char *t = PQescapeIdentifier(c, PQgetvalue(cols, i, 0), strlen(PQgetvalue(cols, i, 0)));
		char *k = PQescapeIdentifier(c, PQgetvalue(cols, i, 1), strlen(PQgetvalue(cols, i, 1)));
		bool bytea = !strcmp(PQgetvalue(cols, i, 2), "bytea");
		snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE position($1::bytea IN %s%s%s) > 0 LIMIT 1", t,
			 bytea ? "" : "convert_to(", k, bytea ? "" : ", 'UTF8')");
		PQfreemem(t);
		PQfreemem(k);
		const char *v[1] = { needle };
		int l[1] = { (int)n }, f[1] = { 1 };
		PGresult *r = PQexecParams(c, sql, 1, NULL, v, l, f, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
			found = -1;
		} else if (PQntuples(r) > 0) {
			found = 1;
		}
		PQclear(r);
	}
	PQclear(cols);
	PQfinish(c);
	return found;
}
