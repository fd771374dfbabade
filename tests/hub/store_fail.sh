#!/usr/bin/env bash
# A statement sent ahead fails (docs/HUB.md, "Round trips"): the register's
# PostgreSQL backend sends a change's index rows without waiting for their
# answers; here a trigger makes every name_keys INSERT fail. Each push then
# answers 503 and leaves nothing (no record, version or field row of it),
# and the same hub session (one server thread) files the next pushes
# whole once the trigger is gone.
# usage: store_fail.sh PHR HUBLOAD SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
HUBLOAD=$(readlink -f "$2")
SRC=$(readlink -f "$3")
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=../integration/lib.sh
. "$SRC/tests/integration/lib.sh"
# shellcheck source=pglib.sh
. "$HERE/pglib.sh"
HUBPID=
cleanup() { [ -n "$HUBPID" ] && kill "$HUBPID" 2>/dev/null; wait 2>/dev/null; pg_stop; rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 1
t0=$(date -u -d "$PHR_NOW" +%s)
"$HUBLOAD" setup "$W" "$t0" || { bad "hubload setup"; exit 1; }
expect 0 "pin the test's authority" -- "$PHR" trust pin auth.pub
pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
DBURI=$(pg_uri postgres)
q() { psql "$DBURI" -Atc "$1" 2>/dev/null; }
"$PHR" hub --db "$DBURI" --listen 127.0.0.1:0 --trust trust.bundle --threads 1 >hub.out 2>hub.err &
HUBPID=$!
for i in $(seq 1 100); do grep -q "listening on" hub.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on //p' hub.out)
[ -n "$URL" ] && ok "hub listens on $URL" || { bad "hub did not start"; cat hub.err; exit 1; }
ex="$SRC/examples/child-no-vaccination-documents.json"
expect 0 "20 pushes filed" -- "$HUBLOAD" run "$URL" 20 "$ex" "$t0" ids1.txt
fields=$(q "SELECT count(*) FROM fields")
[ "$(q 'SELECT count(*) FROM versions')" = 20 ] && [ "${fields:-0}" -gt 0 ] && ok "20 versions, $fields field rows" ||
	bad "after 20 pushes: $(q 'SELECT count(*) FROM versions') versions, $fields fields"
q "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'boom'; END\$\$" >/dev/null
q "CREATE TRIGGER boom BEFORE INSERT ON name_keys FOR EACH ROW EXECUTE FUNCTION boom()" >/dev/null
expect 1 "20 pushes while name_keys refuses rows: every one fails" -- "$HUBLOAD" run "$URL" 20 "$ex" "$t0" ids2.txt
grep -q "20 failed" "$W/out" && ok "all 20 answered other than 201" || bad "hubload said: $(cat "$W/out")"
grep -q "HTTP 503" "$W/err" && ok "the hub answered 503 (retry later)" || bad "hubload: $(head -3 "$W/err")"
[ "$(q 'SELECT count(*) FROM versions')" = 20 ] && [ "$(q 'SELECT count(*) FROM records')" = 20 ] &&
	[ "$(q 'SELECT count(*) FROM fields')" = "$fields" ] && ok "nothing of the failed pushes is kept" ||
	bad "after the failed pushes: $(q 'SELECT count(*) FROM versions') versions, $(q 'SELECT count(*) FROM records') records, $(q 'SELECT count(*) FROM fields') fields"
q "DROP TRIGGER boom ON name_keys" >/dev/null
expect 0 "20 more pushes on the same session once the trigger is gone" -- "$HUBLOAD" run "$URL" 20 "$ex" "$t0" ids3.txt
[ "$(q 'SELECT count(*) FROM versions')" = 40 ] && [ "$(q 'SELECT count(*) FROM fields')" = $((2 * fields)) ] &&
	ok "40 versions, each with its field rows" ||
	bad "at the end: $(q 'SELECT count(*) FROM versions') versions, $(q 'SELECT count(*) FROM fields') fields"
k=$(q "SELECT count(*) FROM name_keys k JOIN names n ON n.id = k.name JOIN records r ON r.id = n.record WHERE r.hex = '$(tail -1 ids3.txt)'")
[ "${k:-0}" -gt 0 ] && ok "the last record's names have their $k keys" || bad "the last record has no name keys"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
