#!/usr/bin/env bash
# The hub's "changed since" cursor (docs/HUB.md, "Changes since a cursor"):
# a PostgreSQL cluster of the test's own (pglib.sh), one hub, three clinics
# (1 and 2 in GR, 3 in IT; the records' consent shares with GR and DE).
# Clinic 1 issues NREC records that clinics 2 and 3 file as met.
#  - clinic 2's first round is a whole pull and stores the hub's cursor;
#  - a second round with nothing changed makes one changes request per
#    batch (counted in the hub's audit, against the records clinic 2 holds
#    and --changes-batch) and fetches nothing;
#  - versions clinic 1 pushes between rounds are answered and pulled, only
#    they; a record filed at clinic 2 since its last round is pulled whole;
#  - clinic 3 (IT) is never answered a record as changed (consent);
#  - a round whose fetch of one changed record is answered 503 stores no
#    cursor, and the next round asks again from the old one;
#  - pushes slowed in PostgreSQL (a trigger sleeps after each version's id
#    is taken) run from clinic 1 in a loop while clinic 2 runs rounds:
#    after every round, each version the hub holds at or below clinic 2's
#    stored cursor is in clinic 2's register, the cursor advances, and at
#    the end clinic 2 holds every version;
#  - --full pulls whole again.
#  - a hand-made request (hubreq) is answered only the ids it named; a
#    body that is not one, or names more than 1000 ids, is refused.
# usage: changes.sh PHR HUBREQ SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
HUBREQ=$(readlink -f "$2")
SRC=$(readlink -f "$3")
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
NREC=${CHANGES_RECORDS:-24}
BATCH=${CHANGES_BATCH:-7}
LOOP=${CHANGES_LOOP:-8}
# shellcheck source=../integration/lib.sh
. "$SRC/tests/integration/lib.sh"
# shellcheck source=pglib.sh
. "$HERE/pglib.sh"
HUBPID=
PUSHPID=
cleanup() {
	[ -n "$PUSHPID" ] && kill "$PUSHPID" 2>/dev/null
	[ -n "$HUBPID" ] && kill "$HUBPID" 2>/dev/null
	wait 2>/dev/null
	pg_stop
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
record_id() { "$PHR" inspect "$1" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; }
kid() { "$PHR" inspect "$1" | sed -n 's/.*key id: //p'; }

hub_clinics 3 GR GR IT
KID2=$(kid c2.pub)
KID3=$(kid c3.pub)

pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
DBURI=$(pg_uri postgres)
psql_q() { psql "$DBURI" -Atc "$1" 2>/dev/null; }
hub_start
HUBPID=$HUB_PID
URL=$HUB_URL
[ -n "$URL" ] && ok "hub listens on $URL" || { bad "hub did not start"; cat hub.err; exit 1; }
# sync_once N DB [options]: one round; its stdout in $W/out
sync_once() {
	local n=$1 db=$2
	shift 2
	"$PHR" sync --register "$db" --hub "$URL" --key "c$n.key" --cert "c$n.cert" --trust trust.bundle --once "$@"
}
# the hub's audit rows of an action for a clinic after audit row MARK
audit_n() { psql_q "SELECT count(*) FROM audit WHERE id > $1 AND action = '$2' AND detail LIKE '% clinic $3 %'"; }
audit_mark() { psql_q "SELECT coalesce(max(id), 0) FROM audit"; }
cursor_of() { sqlite3 -cmd ".timeout 10000" "$1" "SELECT cursor FROM hub_cursor WHERE hub = '$URL'"; }
# versions (hex ids) the hub holds of the records a register holds, at or below id MAX
hub_versions() {
	local db=$1 max=$2 ids
	ids=$(sqlite3 -cmd ".timeout 10000" "$db" "SELECT '''' || hex || '''' FROM records" | paste -sd,)
	[ -n "$ids" ] || return 1
	psql "$DBURI" -Atc "SELECT encode(v.version_id, 'hex') FROM versions v JOIN records r ON r.id = v.record
		WHERE r.hex IN ($ids) AND v.id <= $max ORDER BY 1"
}
reg_versions() { sqlite3 -cmd ".timeout 10000" "$1" "SELECT lower(hex(version_id)) FROM versions ORDER BY 1"; }
# lacking DB MAX: hub versions at or below MAX the register does not hold
# ("error", and why on stderr, when either side could not be read)
lacking() {
	if ! hub_versions "$1" "$2" >"$W/hubv" 2>"$W/v.err" || ! reg_versions "$1" >"$W/regv" 2>>"$W/v.err" ||
		! [ -s "$W/regv" ]; then
		echo error
		echo "    could not read the versions: $(cat "$W/v.err")" >&2
		return
	fi
	comm -23 "$W/hubv" "$W/regv" | wc -l
}

# ---- NREC records issued at clinic 1, filed at clinics 2 and 3
ex="$SRC/examples/child-no-vaccination-documents.json" # consent: store, share with GR and DE
failed=0
for n in $(seq 1 "$NREC"); do
	"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "r$n.phr" --register c1.db >/dev/null 2>&1 &&
		"$PHR" register add --trust trust.bundle c2.db "r$n.phr" >/dev/null 2>&1 &&
		"$PHR" register add --trust trust.bundle c3.db "r$n.phr" >/dev/null 2>&1 || failed=$((failed + 1))
done
[ "$failed" = 0 ] && ok "$NREC records issued at clinic 1, filed at clinics 2 and 3" || bad "$failed records not issued or filed"
expect 0 "clinic 1 pushes" -- sync_once 1 c1.db

# ---- the first round: whole, the cursor stored
s=$(date +%s%N)
expect 0 "clinic 2's first round" -- sync_once 2 c2.db
whole_ms=$((($(date +%s%N) - s) / 1000000))
grep -q "whole pull of $NREC records" "$W/out" && ok "the first round is a whole pull" || bad "first round: $(cat "$W/out")"
hubmax=$(psql_q "SELECT max(id) FROM versions")
[ "$(cursor_of c2.db)" = "$hubmax" ] && ok "the cursor stored is the hub's newest version id ($hubmax)" ||
	bad "cursor $(cursor_of c2.db), hub's newest version id $hubmax"
expect 0 "clinic 3's first round" -- sync_once 3 c3.db

# ---- nothing changed: one changes request per batch, no fetch
held=$(sqlite3 c2.db "SELECT count(*) FROM records")
mark=$(audit_mark)
s=$(date +%s%N)
expect 0 "clinic 2: a round with nothing changed" -- sync_once 2 c2.db --changes-batch "$BATCH"
none_ms=$((($(date +%s%N) - s) / 1000000))
echo "    $held records: the whole pull took $whole_ms ms, a round with nothing changed $none_ms ms (batches of $BATCH)"
want=$(((held + BATCH - 1) / BATCH))
got=$(audit_n "$mark" changes "$KID2")
[ "$got" = "$want" ] && ok "one changes request per batch of $BATCH: $got for $held records (hub's audit)" ||
	bad "changes requests: $got in the hub's audit, want $want for $held records in batches of $BATCH"
named=$(psql_q "SELECT sum(substring(detail from ': ([0-9]+) records named')::int) FROM audit WHERE id > $mark AND action = 'changes'")
[ "$named" = "$held" ] && ok "the requests named each record held once ($named)" || bad "records named: $named, held $held"
[ "$(audit_n "$mark" 'hand out' "$KID2")" = 0 ] && ok "no record fetched (hub's audit)" ||
	bad "fetched: $(audit_n "$mark" 'hand out' "$KID2")"
grep -q "$held records named in $want requests, 0 changed" "$W/out" && ok "the round says so" || bad "round: $(cat "$W/out")"

# ---- versions pushed by clinic 1 between rounds come in the next round
t0=$(date -u -d "$PHR_NOW" +%s)
extend() { # extend N AT: clinic 1 extends record N (its latest file: cur$N.phr)
	local n=$1 at=$2
	[ -f "cur$n.phr" ] || cp "r$n.phr" "cur$n.phr"
	PHR_NOW=$at "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in "cur$n.phr" \
		--entry "$SRC/examples/entries/vaccination-given.json" --out "next$n.phr" --register c1.db >/dev/null 2>&1 &&
		mv "next$n.phr" "cur$n.phr"
}
# a record clinic 2 will file after a round whose cursor is past both its
# versions on the hub: only the record's arrival number brings it in
# (both versions pushed, so that clinic 2's push of the older one later is
# no new version on the hub)
"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out late.phr --register c1.db >/dev/null 2>&1
expect 0 "clinic 1 pushes a record" -- sync_once 1 c1.db
PHR_NOW=$((t0 + 3600)) "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in late.phr \
	--entry "$SRC/examples/entries/vaccination-given.json" --out late2.phr --register c1.db >/dev/null 2>&1
expect 0 "clinic 1 pushes its newer version" -- sync_once 1 c1.db
expect 0 "clinic 2's round past them" -- sync_once 2 c2.db
grep -q " 0 changed" "$W/out" && ok "nothing of clinic 2's changed" || bad "round: $(cat "$W/out")"
[ "$(cursor_of c2.db)" = "$(psql_q "SELECT max(id) FROM versions")" ] && ok "its cursor is past the record's versions" ||
	bad "cursor $(cursor_of c2.db)"
expect 0 "clinic 2 files the record's older version" -- "$PHR" register add --trust trust.bundle c2.db late.phr
latemax=$(psql_q "SELECT max(id) FROM versions")
failed=0
for n in 1 2 3 4 5; do extend "$n" $((t0 + 3600)) || failed=$((failed + 1)); done
[ "$failed" = 0 ] && ok "clinic 1 extends 5 records" || bad "$failed extensions failed"
expect 0 "clinic 1 pushes them" -- sync_once 1 c1.db
before=$(cursor_of c2.db)
mark=$(audit_mark)
expect 0 "clinic 2's next round" -- sync_once 2 c2.db --changes-batch "$BATCH"
grep -q "5 changed, 1 filed here since" "$W/out" && ok "5 records answered changed, 1 filed here since" || bad "round: $(cat "$W/out")"
[ "$(audit_n "$mark" 'hand out' "$KID2")" = 6 ] && ok "6 records fetched (hub's audit)" ||
	bad "fetched: $(audit_n "$mark" 'hand out' "$KID2")"
grep -q "pulled 6 versions" "$W/out" && ok "the 6 newer versions pulled" || bad "round: $(cat "$W/out")"
[ "$(psql_q "SELECT count(*) FROM versions WHERE id > $latemax")" = 5 ] &&
	ok "clinic 2's push of the record made no version on the hub: only its arrival brought the newer one" ||
	bad "the hub got versions past $latemax: $(psql_q "SELECT count(*) FROM versions WHERE id > $latemax")"
hubmax=$(psql_q "SELECT max(id) FROM versions")
[ "$(cursor_of c2.db)" = "$hubmax" ] && [ "$hubmax" -gt "$before" ] && ok "the cursor advanced from $before to $hubmax" ||
	bad "cursor $(cursor_of c2.db) (was $before), hub's newest $hubmax"
[ "$(lacking c2.db "$hubmax")" = 0 ] && ok "clinic 2 holds every version of its records" || bad "clinic 2 lacks $(lacking c2.db "$hubmax") versions"

# ---- clinic 3 (IT): the records are not shared with it, never answered
mark=$(audit_mark)
expect 0 "clinic 3's round" -- sync_once 3 c3.db
grep -q "$NREC records named in 1 requests, 0 changed" "$W/out" && ok "clinic 3: no record answered changed (consent)" ||
	bad "clinic 3's round: $(cat "$W/out")"
[ "$(audit_n "$mark" 'hand out' "$KID3")" = 0 ] && ok "clinic 3: nothing handed out" || bad "clinic 3 fetched"

# ---- a round that fails mid-pull stores no cursor: the hub answers 503 to
# the fetch of one record changed (its hand-out's audit row fails)
failed=0
for n in 6 7 8; do extend "$n" $((t0 + 5400)) || failed=$((failed + 1)); done
[ "$failed" = 0 ] && ok "clinic 1 extends 3 more records" || bad "$failed extensions failed"
expect 0 "clinic 1 pushes them" -- sync_once 1 c1.db
rid7=$(record_id r7.phr)
psql_q "CREATE FUNCTION no_hand_out() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN IF NEW.action = 'hand out' AND NEW.record = '$rid7' THEN RAISE EXCEPTION 'no'; END IF; RETURN NEW; END\$\$" >/dev/null
psql_q "CREATE TRIGGER no_hand_out BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION no_hand_out()" >/dev/null
before=$(cursor_of c2.db)
sync_once 2 c2.db >"$W/out" 2>"$W/err"
st=$?
[ "$st" != 0 ] && grep -q "(not stored)" "$W/out" && ok "a fetch answered 503: the round fails (exit $st), its cursor not stored" ||
	bad "round with a 503: exit $st, $(cat "$W/out" "$W/err")"
[ "$(cursor_of c2.db)" = "$before" ] && ok "the cursor stays $before" || bad "the cursor moved to $(cursor_of c2.db)"
[ "$(lacking c2.db "$(psql_q "SELECT max(id) FROM versions")")" -ge 1 ] && ok "record 7's newer version is not held yet" ||
	bad "nothing missing after the failed round"
psql_q "DROP TRIGGER no_hand_out ON audit" >/dev/null
expect 0 "clinic 2's next round" -- sync_once 2 c2.db
grep -q "3 changed" "$W/out" && ok "the next round asks from the old cursor: 3 changed again" || bad "round: $(cat "$W/out")"
hubmax=$(psql_q "SELECT max(id) FROM versions")
[ "$(lacking c2.db "$hubmax")" = 0 ] && [ "$(cursor_of c2.db)" = "$hubmax" ] &&
	ok "every version held, the cursor at $hubmax" || bad "lacking $(lacking c2.db "$hubmax"), cursor $(cursor_of c2.db)"

# ---- pushes that commit while changes are answered: slowed in PostgreSQL
# (each version row sleeps after its id is taken, before it commits)
psql_q "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END\$\$" >/dev/null
psql_q "CREATE TRIGGER slow BEFORE INSERT ON versions FOR EACH ROW EXECUTE FUNCTION slow()" >/dev/null
(
	for k in $(seq 1 "$LOOP"); do
		n=$((k % NREC + 6))
		[ "$n" -gt "$NREC" ] && n=$((n - NREC))
		extend "$n" $((t0 + 7200 + k)) && sync_once 1 c1.db >/dev/null 2>&1
	done
) &
PUSHPID=$!
rounds=0 bad_rounds=0 moved=0 prev=$(cursor_of c2.db)
while kill -0 "$PUSHPID" 2>/dev/null && [ "$rounds" -lt 60 ]; do
	sync_once 2 c2.db >"round$rounds.out" 2>&1 || { bad "clinic 2's round $rounds: $(cat "round$rounds.out")"; }
	cur=$(cursor_of c2.db)
	miss=$(lacking c2.db "$cur")
	[ "$miss" = 0 ] || { bad_rounds=$((bad_rounds + 1)); echo "    round $rounds: cursor $cur, $miss versions at or below it missing"; }
	[ "$cur" -gt "$prev" ] && moved=$((moved + 1))
	[ "$cur" -lt "$prev" ] && bad "round $rounds: the cursor went back ($prev to $cur)"
	prev=$cur
	rounds=$((rounds + 1))
done
wait "$PUSHPID"
PUSHPID=
[ "$rounds" -ge 3 ] && ok "clinic 2 ran $rounds rounds while clinic 1 pushed $LOOP slowed versions" || bad "only $rounds rounds"
[ "$bad_rounds" = 0 ] && ok "after every round, each hub version at or below the cursor was held" ||
	bad "$bad_rounds rounds left a version at or below the cursor out"
[ "$moved" -ge 2 ] && ok "the cursor advanced in $moved of those rounds" || bad "the cursor advanced in $moved rounds"
grep -h "cursor" round*.out | grep -q "(kept" && echo "    (a request waited past the hub's bound: cursor kept)"
expect 0 "clinic 2's last round" -- sync_once 2 c2.db
hubmax=$(psql_q "SELECT max(id) FROM versions")
[ "$(cursor_of c2.db)" = "$hubmax" ] && ok "the cursor is the hub's newest version id ($hubmax)" ||
	bad "cursor $(cursor_of c2.db), hub's newest $hubmax"
[ "$(lacking c2.db "$hubmax")" = 0 ] && ok "clinic 2 holds every version the hub holds of its records" ||
	bad "clinic 2 lacks $(lacking c2.db "$hubmax") versions"
psql_q "DROP TRIGGER slow ON versions" >/dev/null

# ---- by hand: only the ids named are answered; bodies refused
rid1=$(record_id r1.phr)
printf '{"cursor":0,"records":["%s","0123456789abcdef0123456789abcdef"]}' "$rid1" >ask.json
st=$(HUBREQ_BODY=ans.json "$HUBREQ" c2.key c2.cert "$URL" POST /v1/changes --body ask.json)
got=$(python3 -c 'import json,sys; a=json.load(open("ans.json")); print(",".join(a["changed"]), a["cursor"])' 2>/dev/null)
hubmax=$(psql_q "SELECT max(id) FROM versions")
[ "$st" = 200 ] && [ "$got" = "$rid1 $hubmax" ] &&
	ok "a request naming a record and an unknown id is answered that record only, cursor $hubmax" ||
	bad "answer $st: $got (want $rid1 $hubmax)"
printf '{"cursor":0,"records":[]}' >ask.json
st=$(HUBREQ_BODY=ans.json "$HUBREQ" c2.key c2.cert "$URL" POST /v1/changes --body ask.json)
[ "$st" = 200 ] && grep -q '"changed":\[\]' ans.json && ok "naming nothing is answered nothing (and a cursor)" ||
	bad "empty request: $st $(cat ans.json)"
printf '{"cursor":"0","records":[]}' >ask.json
st=$("$HUBREQ" c2.key c2.cert "$URL" POST /v1/changes --body ask.json)
[ "$st" = 400 ] && ok "a cursor that is not an integer: 400" || bad "bad cursor: $st"
python3 -c 'import json; print(json.dumps({"cursor": 0, "records": ["%032x" % i for i in range(1001)]}))' >ask.json
st=$("$HUBREQ" c2.key c2.cert "$URL" POST /v1/changes --body ask.json)
[ "$st" = 413 ] && ok "1001 ids: 413" || bad "1001 ids: $st"

# ---- --full: a whole pull again
mark=$(audit_mark)
expect 0 "clinic 2 with --full" -- sync_once 2 c2.db --full
held=$(sqlite3 c2.db "SELECT count(*) FROM records")
grep -q "whole pull of $held records" "$W/out" && ok "--full pulls whole" || bad "--full: $(cat "$W/out")"
[ "$(audit_n "$mark" 'hand out' "$KID2")" = "$held" ] && ok "--full fetches every record held ($held)" ||
	bad "--full fetched $(audit_n "$mark" 'hand out' "$KID2") of $held"
expect 0 "register check" -- "$PHR" register check c2.db
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
