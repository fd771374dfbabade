#!/usr/bin/env bash
# Bounded load on the hub over loopback (meson test --benchmark hub-load):
# a PostgreSQL cluster of its own, one hub, 20 clinics (threads of hubload)
# pushing N versions in all (default 10000); prints throughput and latency,
# then checks that every version pushed is on the hub once (zero losses).
# usage: load.sh PHR HUBLOAD SOURCE_ROOT [N]
set -u
PHR=$(readlink -f "$1")
HUBLOAD=$(readlink -f "$2")
SRC=$(readlink -f "$3")
N=${4:-${HUB_LOAD_N:-10000}}
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
. "$SRC/tests/integration/lib.sh"
. "$HERE/pglib.sh"
HUBPID=
cleanup() { [ -n "$HUBPID" ] && kill "$HUBPID" 2>/dev/null; wait 2>/dev/null; pg_stop; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"
t0=$(date -u -d "$PHR_NOW" +%s)
"$HUBLOAD" setup "$W" "$t0" || { bad "hubload setup"; exit 1; }
expect 0 "pin the load test's authority" -- "$PHR" trust pin auth.pub
pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
DBURI=$(pg_uri postgres)
"$PHR" hub --db "$DBURI" --listen 127.0.0.1:0 --trust trust.bundle >hub.out 2>hub.err &
HUBPID=$!
for i in $(seq 1 100); do grep -q "listening on" hub.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on //p' hub.out)
[ -n "$URL" ] && ok "hub listens on $URL" || { bad "hub did not start"; cat hub.err; exit 1; }
if "$HUBLOAD" run "$URL" "$N" "$SRC/examples/child-no-vaccination-documents.json" "$t0" ids.txt; then
	ok "every push answered 201"
else
	bad "some pushes failed"
fi
pushed=$(wc -l <ids.txt)
held=$(psql "$DBURI" -Atc "SELECT count(*) FROM versions")
dups=$(psql "$DBURI" -Atc "SELECT count(*) - count(DISTINCT record) FROM versions")
[ "$pushed" = "$N" ] && [ "$held" = "$N" ] && [ "$dups" = 0 ] && ok "zero losses: $held versions held for $pushed pushed, none twice" \
	|| bad "pushed $pushed, held $held, duplicates $dups"
missing=$(psql "$DBURI" -Atc "SELECT hex FROM records" | sort | comm -23 <(sort ids.txt) - | wc -l)
[ "$missing" = 0 ] && ok "every record id pushed is on the hub" || bad "$missing record ids missing"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
