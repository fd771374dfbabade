#!/usr/bin/env bash
# A clinic killed mid-pull (docs/HUB.md): a PostgreSQL cluster of the
# test's own, one hub on loopback, two clinics. Clinic 1 issues NREC records
# that clinic 2 files as met, then extends every one of them and pushes the
# newer versions; clinic 2's pull of them is killed (SIGKILL) once a random
# number of them are filed, RUNS times, each time from the same register
# copy. After one more `phr sync --once` the register passes `phr register check`, every record
# holds both versions exactly once, the outbox holds nothing, and the hub
# holds every version once.
# usage: pull_fault.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
NREC=${PULL_FAULT_RECORDS:-40}
RUNS=${PULL_FAULT_RUNS:-5}
# shellcheck source=../integration/lib.sh
. "$SRC/tests/integration/lib.sh"
# shellcheck source=pglib.sh
. "$HERE/pglib.sh"
HUBPID=
cleanup() { [ -n "$HUBPID" ] && kill "$HUBPID" 2>/dev/null; wait 2>/dev/null; pg_stop; rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 1
record_id() { "$PHR" inspect "$1" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; }

hub_clinics 2 # pglib.sh

pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
DBURI=$(pg_uri postgres)
psql_q() { psql "$DBURI" -Atc "$1" 2>/dev/null; }
hub_start # pglib.sh
HUBPID=$HUB_PID
URL=$HUB_URL
[ -n "$URL" ] && ok "hub listens on $URL" || { bad "hub did not start"; cat hub.err; exit 1; }
sync_once() {
	local n=$1 db=$2
	shift 2
	"$PHR" sync --register "$db" --hub "$URL" --key "c$n.key" --cert "c$n.cert" --trust trust.bundle --once "$@"
}

# ---- NREC records met at both clinics, then a newer version of each at clinic 1
ex="$SRC/examples/child-no-vaccination-documents.json" # consent: store, share with GR and DE
failed=0
for n in $(seq 1 "$NREC"); do
	"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "r$n.phr" --register c1.db >/dev/null 2>&1 &&
		"$PHR" register add --trust trust.bundle c2.db "r$n.phr" >/dev/null 2>&1 || failed=$((failed + 1))
done
[ "$failed" = 0 ] && ok "$NREC records issued at clinic 1 and filed at clinic 2" || bad "$failed records not issued or filed"
expect 0 "clinic 1 syncs" -- sync_once 1 c1.db
expect 0 "clinic 2 syncs" -- sync_once 2 c2.db
t0=$(date -u -d "$PHR_NOW" +%s)
failed=0
for n in $(seq 1 "$NREC"); do
	PHR_NOW=$((t0 + 3600)) "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in "r$n.phr" \
		--entry "$SRC/examples/entries/vaccination-given.json" --out "s$n.phr" --register c1.db >/dev/null 2>&1 ||
		failed=$((failed + 1))
done
[ "$failed" = 0 ] && ok "clinic 1 extends all $NREC records" || bad "$failed extensions failed"
expect 0 "clinic 1 pushes the newer versions" -- sync_once 1 c1.db
[ "$(psql_q 'SELECT count(*) FROM versions')" = $((2 * NREC)) ] && ok "the hub holds $((2 * NREC)) versions" ||
	bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"
[ "$(sqlite3 c2.db 'SELECT count(*) FROM outbox')" = 0 ] && ok "clinic 2's outbox is empty before the pull" || bad "clinic 2's outbox not empty"
cp c2.db c2.orig.db

# how long a whole pull takes here, on a copy
cp c2.orig.db full.db
s=$(date +%s%N)
expect 0 "a whole pull (measured)" -- sync_once 2 full.db
ms=$((($(date +%s%N) - s) / 1000000))
grep -q "pulled $NREC versions" "$W/out" && ok "the whole pull takes $NREC versions in $ms ms" || { bad "whole pull"; cat "$W/out"; }

# check DB LABEL: the register after a pull
check_register() {
	local db=$1 label=$2
	expect 0 "$label: register check" -- "$PHR" register check "$db"
	local per
	per=$(sqlite3 "$db" 'SELECT count(*) FROM versions GROUP BY record' | sort | uniq -c | sed 's/^ *//')
	[ "$per" = "$NREC 2" ] && ok "$label: each of the $NREC records holds its two versions, once" ||
		bad "$label: versions per record (count, versions): $(echo "$per" | tr '\n' ' ')"
	local dupv
	dupv=$(sqlite3 "$db" 'SELECT count(*) - count(DISTINCT version_id) FROM versions')
	[ "$dupv" = 0 ] && ok "$label: no version twice" || bad "$label: $dupv versions twice"
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM outbox')" = 0 ] && ok "$label: the outbox holds nothing" ||
		bad "$label: outbox: $(sqlite3 "$db" 'SELECT kind, hex(ref) FROM outbox' | tr '\n' ' ')"
	# independently of the register's tables: its JSON export of one newer version
	local k=$((RANDOM % NREC + 1)) rid
	rid=$(record_id "s$k.phr")
	"$PHR" register export "$db" "$rid" --out "$label.latest.phr" 2>/dev/null
	cmp -s "s$k.phr" "$label.latest.phr" && ok "$label: record $k's latest is clinic 1's bytes" || bad "$label: record $k's latest differs"
}
check_register full.db "whole pull"

# ---- RUNS pulls killed at a random point: once a random number of the
# newer versions are filed (read from the register while it pulls)
for run in $(seq 1 "$RUNS"); do
	db="run$run.db"
	cp c2.orig.db "$db"
	# aimed at most two thirds in: the poller below (a sqlite3 process
	# every few ms) must see the count before the pull ends; aimed at 38
	# of 40 it once saw the end first (about 6 ms a version here)
	target=$((RANDOM % (NREC * 2 / 3) + 1))
	# phr itself in the background, not the sync_once function: a function
	# run with & is a subshell, and SIGKILL to its pid left phr running
	# (and filing versions) beside the next round; that is what made the
	# next round end with a row in the outbox once (exit 54)
	"$PHR" sync --register "$db" --hub "$URL" --key c2.key --cert c2.cert --trust trust.bundle --once \
		>"run$run.out" 2>&1 &
	spid=$!
	for i in $(seq 1 2000); do
		got=$(sqlite3 "$db" 'SELECT count(*) FROM versions' 2>/dev/null)
		[ "${got:-0}" -ge $((NREC + target)) ] && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.005
	done
	if kill -9 "$spid" 2>/dev/null; then
		wait "$spid" 2>/dev/null
		got=$(sqlite3 "$db" 'SELECT count(*) FROM versions' 2>/dev/null)
		ok "run $run: clinic 2 killed mid-pull, $((got - NREC)) of $NREC newer versions filed (aimed at $target), $(sqlite3 "$db" 'SELECT count(*) FROM outbox' 2>/dev/null) outbox rows left"
	else
		wait "$spid"
		bad "run $run: the pull ended before the kill (aimed at $target of $NREC)"
	fi
	pgrep -f -- "--register $db " >/dev/null && bad "run $run: the killed pull still runs"
	# the next round drains what the kill left (a version filed, its
	# outbox row not yet taken out: pushed again, harmlessly) and pulls
	# the rest: exit 0, nothing left
	expect 0 "run $run: clinic 2 syncs again" -- sync_once 2 "$db"
	grep -q "outbox: 0 left" "$W/out" && ok "run $run: the round ends with the outbox empty" ||
		bad "run $run: the round said: $(cat "$W/out")"
	check_register "$db" "run $run"
done

# the hub: nothing doubled by the killed clinics' rounds
[ "$(psql_q 'SELECT count(*) FROM versions')" = $((2 * NREC)) ] && ok "the hub still holds $((2 * NREC)) versions" ||
	bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"
[ "$(psql_q 'SELECT count(*) FROM records')" = "$NREC" ] && ok "the hub holds $NREC records" ||
	bad "hub records: $(psql_q 'SELECT count(*) FROM records')"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
