/* For the tests: fresh databases in the PostgreSQL cluster that
 * tests/hub/with_pg.sh started (PHR_TEST_PG_HOST, PHR_TEST_PG_PORT). */
#ifndef PHR_TEST_PGTEST_H
#define PHR_TEST_PGTEST_H

#include <stdbool.h>
#include <stddef.h>

/* The postgresql:// URI of a database named after name (letters and
 * digits kept, the rest '_'); fresh: dropped and made again, empty.
 * A static buffer; NULL (with a message on stderr) when it fails. */
const char *pgtest_db(const char *name, bool fresh);
/* Runs one SQL statement in the database of name; 0 when it succeeded. */
int pgtest_sql(const char *name, const char *sql);
/* 1 when a bytea or text column of any table of the database of name holds
 * the n bytes of needle, 0 when none does, -1 when the search failed. */
int pgtest_holds(const char *name, const void *needle, size_t n);

#endif
