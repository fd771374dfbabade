#!/usr/bin/env bash
# One sync round at a time on a register (docs/HUB.md "One round at a
# time"): a PostgreSQL cluster of the test's own, one hub, one clinic whose
# outbox holds NREC versions. Two `phr sync --once` rounds started together
# on its register: the second says it waits for the first, both exit 0,
# every version is pushed exactly once (the pushed counts add up to NREC,
# the hub holds NREC versions) and both end with "outbox: 0 left". A round
# killed (SIGKILL) while it holds the lock leaves no stale lock; a lock
# held past --lock-wait makes a round exit 60 without running; phr serve
# --hub's background sync waits for the same lock.
# usage: sync_lock.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
NREC=${SYNC_LOCK_RECORDS:-60}
# shellcheck source=../integration/lib.sh
. "$SRC/tests/integration/lib.sh"
# shellcheck source=pglib.sh
. "$HERE/pglib.sh"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pg_stop
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
record_id() { "$PHR" inspect "$1" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
	local n=$(($1 * 20))
	shift
	for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}
LOCK=c1.db.sync-lock
# held: some process holds the register's sync lock (flock(1) cannot take it)
held() { [ -e "$LOCK" ] && ! flock -n "$LOCK" true; }
outbox() { sqlite3 c1.db 'SELECT count(*) FROM outbox'; }
pushed() { sed -n 's/^phr sync: pushed \([0-9]*\),.*/\1/p' "$1"; }

hub_clinics 1
pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
psql_q() { psql "$(pg_uri postgres)" -Atc "$1" 2>/dev/null; }
hub_start
PIDS+=("$HUB_PID")
[ -n "$HUB_URL" ] && ok "the hub listens on $HUB_URL" || { bad "the hub did not start"; cat hub.err; exit 1; }
SYNC=("$PHR" sync --register c1.db --hub "$HUB_URL" --key c1.key --cert c1.cert --trust trust.bundle --once)
sync_cmd() { "${SYNC[@]}" "$@"; }

issue() { # issue FROM TO: records r$FROM..r$TO issued at clinic 1, filed on its register
	local n failed=0
	for n in $(seq "$1" "$2"); do
		"$PHR" issue --key c1.key --cert c1.cert --in "$SRC/examples/older-man-chronic.json" --out "r$n.phr" \
			--register c1.db >/dev/null 2>&1 || failed=$((failed + 1))
	done
	[ "$failed" = 0 ] && ok "records $1 to $2 issued at clinic 1" || bad "$failed of records $1 to $2 not issued"
}
issue 1 "$NREC"
[ "$(outbox)" = "$NREC" ] && ok "the outbox holds $NREC versions" || bad "outbox: $(outbox)"

# ---- two rounds started together
"${SYNC[@]}" >a.out 2>a.err & # phr itself: $! is its pid
A=$!
# the second starts once the first holds the lock (or ends: then there
# was no lock to find, which the checks below catch)
wait_for 30 eval 'held || ! kill -0 $A 2>/dev/null'
"${SYNC[@]}" >b.out 2>b.err &
B=$!
wait "$A"
ra=$?
wait "$B"
rb=$?
[ "$ra" = 0 ] && [ "$rb" = 0 ] && ok "both rounds exit 0" || bad "exits $ra and $rb: $(cat a.err b.err)"
grep -q "another sync round (phr serve --hub or phr sync) holds .*c1.db.sync-lock: waiting for it" b.err &&
	ok "the second round says it waits for the first" || bad "the second round did not wait: $(cat b.err)"
[ "$(grep -c "waiting for it" b.err)" = 1 ] && ok "it says so once" || bad "said $(grep -c "waiting for it" b.err) times"
! grep -q "waiting" a.err && ok "the first did not wait" || bad "the first waited: $(cat a.err)"
pa=$(pushed a.out)
pb=$(pushed b.out)
[ -n "$pa" ] && [ -n "$pb" ] && [ $((pa + pb)) = "$NREC" ] && ok "pushed $pa + $pb = $NREC: every version once" ||
	bad "pushed '$pa' and '$pb' of $NREC"
grep -q "outbox: 0 left$" a.out && grep -q "outbox: 0 left$" b.out && ok "both say 'outbox: 0 left'" ||
	bad "left: $(cat a.out b.out)"
[ "$(outbox)" = 0 ] && ok "the outbox is empty" || bad "outbox: $(outbox)"
[ "$(psql_q 'SELECT count(*) FROM versions')" = "$NREC" ] && ok "the hub holds $NREC versions, none twice" ||
	bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"

# ---- a round killed while it holds the lock leaves none behind
issue $((NREC + 1)) $((NREC + 20))
"${SYNC[@]}" >k.out 2>k.err &
K=$!
if wait_for 30 held; then
	kill -KILL "$K"
	wait "$K" 2>/dev/null
	ok "a round killed (SIGKILL) while it held the lock"
	s0=$(date +%s%N)
	expect 0 "the next round runs at once" -- sync_cmd --lock-wait 5
	s1=$(date +%s%N)
	! grep -q "waiting" err && ok "without waiting (the kernel dropped the lock)" || bad "it waited: $(cat err)"
	grep -q "outbox: 0 left$" out && ok "and drains the outbox" || bad "$(cat out)"
	echo "    (took $(((s1 - s0) / 1000000)) ms)"
else
	bad "the round never held the lock"
	wait "$K"
fi
[ "$(psql_q 'SELECT count(*) FROM versions')" = $((NREC + 20)) ] && ok "the hub holds $((NREC + 20)) versions" ||
	bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"

# ---- a lock held past --lock-wait: exit 60, nothing done
issue $((NREC + 21)) $((NREC + 21))
flock -o "$LOCK" sleep 30 & # -o: flock itself holds it, not sleep
HOLDER=$!
PIDS+=("$HOLDER")
wait_for 10 held
expect 60 "a round that waits past --lock-wait 1: exit 60" -- sync_cmd --lock-wait 1
message "waiting for it to end, up to 1 s" "the busy round"
message "held c1.db.sync-lock for 1 s" "the busy round"
message "it did not run" "the busy round"
[ "$(outbox)" = 1 ] && ok "the outbox still holds the new version" || bad "outbox: $(outbox)"
expect 2 "--lock-wait 0 is refused" -- sync_cmd --lock-wait 0

# ---- phr serve --hub's background rounds take the same lock
"$PHR" serve --register c1.db --key c1.key --cert c1.cert --trust trust.bundle --listen 127.0.0.1:0 \
	--hub "$HUB_URL" --sync-interval 1 >serve.out 2>serve.err &
SERVE=$!
PIDS+=("$SERVE")
wait_for 20 grep -q "waiting for it" serve.err && ok "serve's background sync waits for the lock" ||
	bad "serve did not wait: $(cat serve.err)"
sleep 1
[ "$(outbox)" = 1 ] && ok "and pushes nothing while another round holds it" || bad "outbox: $(outbox)"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
outbox_empty() { [ "$(outbox)" = 0 ]; }
wait_for 20 outbox_empty && ok "once it is free, serve's round pushes the version" || bad "outbox: $(outbox)"
[ "$(psql_q 'SELECT count(*) FROM versions')" = $((NREC + 21)) ] && ok "the hub holds $((NREC + 21)) versions" ||
	bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"
# a round by hand while serve syncs every second: it waits at most a round
expect 0 "a round by hand beside serve's" -- sync_cmd --lock-wait 60
grep -q "outbox: 0 left$" out && ok "it says 'outbox: 0 left'" || bad "$(cat out)"
kill -TERM "$SERVE"
wait "$SERVE"
st=$?
[ "$st" = 0 ] && ok "phr serve stopped with status 0" || bad "phr serve exited $st"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
