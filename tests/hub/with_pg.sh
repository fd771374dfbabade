#!/usr/bin/env bash
# with_pg.sh PROGRAM [ARGS...]: runs PROGRAM with a PostgreSQL cluster of its
# own (pglib.sh), PHR_TEST_PG_HOST and PHR_TEST_PG_PORT set for it; the
# cluster is stopped and removed whatever happens.
set -u
. "$(dirname "$0")/pglib.sh"
D=$(mktemp -d "${TMPDIR:-/tmp}/phr-pg-XXXXXX")
trap 'pg_stop; rm -rf "$D"' EXIT
pg_start "$D/pg" || { echo "with_pg: could not start PostgreSQL" >&2; exit 1; }
export PHR_TEST_PG_HOST=$PGHOST PHR_TEST_PG_PORT=$PGPORT
"$@"
