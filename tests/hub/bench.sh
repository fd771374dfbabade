#!/usr/bin/env bash
# The hub benchmark (meson test --benchmark hub-bench; docs/PERFORMANCE.md,
# "Regional hub: pushes per core, fetch at a million"). A PostgreSQL cluster
# of its own; one hub process with one server thread, pinned to core 0
# (taskset -c 0).
# 1. Pushes per hub core, in HUB_BENCH_ROUNDS rounds (default 3): 20 clinics
#    (hubload) push N one-entry versions (default 2000) through the hub; the
#    hub process's CPU time is read from /proc before and after. Then
#    hubbare inserts the very rows the hub wrote in that round, into a copy
#    of the same tables (same indexes, checks, foreign keys), through libpq,
#    one transaction per push, one connection. The ratio of the two rates
#    is printed per round, and the median (the goal is at least 0.5).
# 2. Fetch by id at a million: the hub's records and versions tables are
#    filled to HUB_BENCH_RECORDS records (default 1,000,000) in SQL from the
#    N x ROUNDS real pushed ones (each generated record a copy of a real one's
#    records and newest versions rows, its record id and version id made
#    new, the container the real one's bytes), ANALYZE; then one clinic
#    fetches HUB_BENCH_FETCHES records (default 2000) by id, drawn at random,
#    through the API, signed, one at a time: p50, p99.
# usage: bench.sh PHR HUBLOAD HUBBARE SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
HUBLOAD=$(readlink -f "$2")
HUBBARE=$(readlink -f "$3")
SRC=$(readlink -f "$4")
N=${HUB_BENCH_N:-2000}
M=${HUB_BENCH_RECORDS:-1000000}
F=${HUB_BENCH_FETCHES:-2000}
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
. "$SRC/tests/integration/lib.sh"
. "$HERE/pglib.sh"
HUBPID=
cleanup() { [ -n "$HUBPID" ] && kill "$HUBPID" 2>/dev/null; wait 2>/dev/null; pg_stop; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"
t0=$(date -u -d "$PHR_NOW" +%s)
"$HUBLOAD" setup "$W" "$t0" || { bad "hubload setup"; exit 1; }
expect 0 "pin the benchmark's authority" -- "$PHR" trust pin auth.pub
pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
DBURI=$(pg_uri postgres)
taskset -c 0 "$PHR" hub --db "$DBURI" --listen 127.0.0.1:0 --trust trust.bundle --threads 1 >hub.out 2>hub.err &
HUBPID=$!
for i in $(seq 1 100); do grep -q "listening on" hub.out 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on //p' hub.out)
[ -n "$URL" ] && ok "hub (1 thread, core 0) listens on $URL" || { bad "hub did not start"; cat hub.err; exit 1; }
TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$HUBPID/stat"; }

# ---- 1. pushes per hub core against bare libpq inserts, in R rounds
# (the machine is shared: a round of the hub, then a round of bare inserts
# of that round's rows, so both see the same load; the median round counts)
R=${HUB_BENCH_ROUNDS:-3}
: >ids.txt
ratios=()
ratios_p=()
for r in $(seq 1 "$R"); do
	after=$(psql "$DBURI" -Atc "SELECT coalesce(max(id), 0) FROM records")
	c0=$(cpu)
	s0=$(date +%s.%N)
	"$HUBLOAD" run "$URL" "$N" "$SRC/examples/child-no-vaccination-documents.json" "$t0" ids-$r.txt \
		&& ok "round $r: every push answered 201" || bad "round $r: some pushes failed"
	s1=$(date +%s.%N)
	c1=$(cpu)
	cat ids-$r.txt >>ids.txt
	hub_rate=$(awk -v n="$N" -v a="$s0" -v b="$s1" 'BEGIN { printf "%.0f", n / (b - a) }')
	hub_cpu=$(awk -v t="$TCK" -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", (b - a) / t }')
	per_cpu=$(awk -v n="$N" -v c="$hub_cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')
	"$HUBBARE" "$DBURI" "$after" >bare.out 2>bare.err || { bad "hubbare failed"; cat bare.err; }
	bare_rate=$(sed -n 's/.*: \([0-9]*\) pushes\/s$/\1/p' bare.out)
	[ -n "$bare_rate" ] && [ "$bare_rate" -gt 0 ] || { bad "round $r: no bare rate"; bare_rate=1; }
	ratio=$(awk -v a="$hub_rate" -v b="$bare_rate" 'BEGIN { printf "%.2f", a / b }')
	ratios+=("$ratio")
	# the same rows again, each push's statements pipelined: one round
	# trip a push, the strongest bare baseline
	"$HUBBARE" "$DBURI" "$after" --pipeline >barep.out 2>barep.err || { bad "hubbare --pipeline failed"; cat barep.err; }
	barep_rate=$(sed -n 's/.*: \([0-9]*\) pushes\/s$/\1/p' barep.out)
	[ -n "$barep_rate" ] && [ "$barep_rate" -gt 0 ] || { bad "round $r: no pipelined bare rate"; barep_rate=1; }
	ratio_p=$(awk -v a="$hub_rate" -v b="$barep_rate" 'BEGIN { printf "%.2f", a / b }')
	ratios_p+=("$ratio_p")
	echo "hub-bench: round $r: hub (1 thread on core 0) $hub_rate pushes/s, $hub_cpu s of hub CPU for $N pushes" \
		"($per_cpu pushes per hub CPU-second); bare libpq inserts of the same rows $bare_rate pushes/s" \
		"($(sed -n 's/.*rows, \([0-9.]*\) a push.*/\1/p' bare.out) rows a push); hub/bare $ratio;" \
		"bare pipelined $barep_rate pushes/s, hub/bare-pipelined $ratio_p"
done
held=$(psql "$DBURI" -Atc "SELECT count(*) FROM versions")
[ "$held" = $((N * R)) ] && ok "the hub holds $held versions, one a push" || bad "the hub holds $held versions for $((N * R)) pushed"
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "hub-bench: hub/bare over $R rounds: ${ratios[*]}; median $median (goal >= 0.5)"
median_p=$(printf '%s\n' "${ratios_p[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "hub-bench: hub/bare-pipelined over $R rounds: ${ratios_p[*]}; median $median_p (goal >= 0.5)"

# ---- 2. fetch by id at a million records
"$HUBLOAD" fetch "$URL" ids.txt "$F" "$t0" | sed "s/^/at $((N * R)) records: /" || bad "fetches at $N records failed"
g0=$(date +%s)
psql -q "$DBURI" -v ON_ERROR_STOP=1 >gen.out 2>&1 <<SQL || { bad "generating the rows failed"; cat gen.out; exit 1; }
CREATE TEMP TABLE tpl AS
  SELECT row_number() OVER (ORDER BY r.id) - 1 AS k, r.first_seen, r.last_seen, v.n_entries, v.hashes, v.container,
         v.facts, v.first_day, v.last_day, v.stored_at
  FROM records r JOIN versions v ON v.id = r.latest;
CREATE TEMP TABLE gen AS
  SELECT g, md5('phr-bench-' || g) AS h, g % (SELECT count(*) FROM tpl) AS k
  FROM generate_series(1, $M - (SELECT count(*) FROM records)) g;
INSERT INTO records(record_id, hex, first_seen, last_seen)
  SELECT decode(gen.h, 'hex'), gen.h, tpl.first_seen, tpl.last_seen FROM gen JOIN tpl USING (k) ORDER BY gen.g;
INSERT INTO versions(record, version_id, n_entries, hashes, container, facts, first_day, last_day, stored_at)
  SELECT r.id, decode(md5('v1' || gen.h) || md5('v2' || gen.h) || md5('v3' || gen.h), 'hex'), tpl.n_entries,
         tpl.hashes, tpl.container, tpl.facts, tpl.first_day, tpl.last_day, tpl.stored_at
  FROM gen JOIN tpl USING (k) JOIN records r ON r.hex = gen.h ORDER BY gen.g;
UPDATE records SET latest = v.id FROM versions v WHERE v.record = records.id AND records.latest IS NULL;
SQL
psql -q "$DBURI" -c "VACUUM ANALYZE records" -c "VACUUM ANALYZE versions" >/dev/null 2>&1
g1=$(date +%s)
nr=$(psql "$DBURI" -Atc "SELECT count(*) FROM records")
nv=$(psql "$DBURI" -Atc "SELECT count(*) FROM versions")
size=$(psql "$DBURI" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")
[ "$nr" = "$M" ] && [ "$nv" = "$M" ] && ok "$nr records, $nv versions in PostgreSQL ($size, made in $((g1 - g0)) s)" \
	|| bad "records $nr, versions $nv (wanted $M)"
psql "$DBURI" -Atc "SELECT hex FROM records ORDER BY random() LIMIT 100000" >all-ids.txt
"$HUBLOAD" fetch "$URL" all-ids.txt "$F" "$t0" | sed "s/^/at $nr records: /" && ok "every fetch answered 200" \
	|| bad "fetches at $nr records failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
