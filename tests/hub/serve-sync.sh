#!/usr/bin/env bash
# phr serve --hub: the web app syncs its register with a hub in the
# background (docs/HUB.md, "phr sync"). A PostgreSQL cluster of the test's
# own and one hub; clinic 1 runs phr serve with --hub; a record filed on its
# register (phr register add, the card a holder showed) reaches the hub
# without any phr sync run; a record clinic 2 pushed comes back; the Trust
# page shows the last sync and the outbox; the hub stopped makes the outbox
# wait and the page say so, and the hub back drains it; SIGTERM stops the
# server and its sync cleanly.
# usage: serve-sync.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
. "$SRC/tests/integration/lib.sh"
. "$HERE/pglib.sh"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pg_stop
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
record_id() { "$PHR" inspect "$1" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds (a function: tried anew each time)
wait_for() {
	local n=$(( $1 * 10 ))
	shift
	for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}

hub_clinics 2 # pglib.sh
pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
DBURI=$(pg_uri postgres)
psql_q() { psql "$DBURI" -Atc "$1" 2>/dev/null; }
start_hub() {
	hub_start "$@" # pglib.sh
	HUBPID=$HUB_PID
	PIDS+=("$HUB_PID")
}
start_hub
[ -n "$HUB_URL" ] && ok "the hub listens on $HUB_URL" || { bad "the hub did not start"; cat hub.err; exit 1; }
HUB_PORT=${HUB_URL##*:}

expect 2 "--sync-interval without --hub is refused" -- "$PHR" serve --register c1.db --key c1.key --cert c1.cert --trust trust.bundle --sync-interval 5
expect 2 "--hub that is not a URL is refused" -- "$PHR" serve --register c1.db --key c1.key --cert c1.cert --trust trust.bundle --hub ftp://x

# ---- clinic 1's web app, syncing every second
PHR_USER_PASSWORD='staff password 1' expect 0 "a clerk account" -- "$PHR" register user add c1.db clerk --role clerk
"$PHR" serve --register c1.db --key c1.key --cert c1.cert --trust trust.bundle --listen 127.0.0.1:0 \
	--hub "$HUB_URL" --sync-interval 1 >serve.out 2>serve.err &
SERVEPID=$!
PIDS+=($!)
wait_for 10 grep -q "listening on" serve.out
WEB=$(sed -n 's/.*listening on \(http:[^ ]*\)\/ .*/\1/p' serve.out)
[ -n "$WEB" ] && ok "phr serve --hub listens on $WEB" || { bad "phr serve did not start"; cat serve.err; exit 1; }

# a record a holder shows at clinic 1: filed on its register, not synced by hand
ex="$SRC/examples/child-no-vaccination-documents.json" # consent: store, share with GR and DE
expect 0 "clinic 2 issues a record (not synced)" -- "$PHR" issue --key c2.key --cert c2.cert --in "$ex" --out met.phr
id=$(record_id met.phr)
expect 0 "clinic 1 files the record shown to it" -- "$PHR" register add --trust trust.bundle c1.db met.phr
on_hub() { [ "$(psql_q "SELECT count(*) FROM records WHERE hex = '$1'")" = 1 ]; }
outbox_empty() { [ "$(sqlite3 c1.db 'SELECT count(*) FROM outbox')" = 0 ]; }
if wait_for 20 on_hub "$id"; then
	ok "the record reached the hub through the web app's background sync"
else
	bad "the record did not reach the hub"
	cat serve.err
fi
wait_for 10 outbox_empty && ok "clinic 1's outbox drained" || bad "outbox: $(sqlite3 c1.db 'SELECT count(*) FROM outbox')"

# a newer version made elsewhere comes back (clinic 2 extends and pushes)
expect 0 "clinic 2 files its record" -- "$PHR" register add --trust trust.bundle c2.db met.phr
t0=$(date -u -d 2025-06-15 +%s)
PHR_NOW=$((t0 + 3600)) expect 0 "clinic 2 extends" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in met.phr --entry "$SRC/examples/entries/vaccination-given.json" --out met2.phr --register c2.db
expect 0 "clinic 2 syncs" -- "$PHR" sync --register c2.db --hub "$HUB_URL" --key c2.key --cert c2.cert --once
two() { [ "$(sqlite3 c1.db "SELECT count(*) FROM versions v JOIN records r ON r.id = v.record WHERE r.hex = '$id'")" = 2 ]; }
wait_for 20 two && ok "clinic 1's register pulled clinic 2's newer version in the background" || bad "no newer version at clinic 1"

# ---- the Trust page's status line (signed in as the clerk)
trust_page() {
	rm -f jar
	local token
	token=$(curl -s -c jar "$WEB/login" | sed -n 's/.*name="login_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
	curl -s -b jar -c jar -o /dev/null --data-urlencode "login_token=$token" --data-urlencode name=clerk \
		--data-urlencode "password=staff password 1" "$WEB/login"
	curl -s -b jar "$WEB/trust" >trust.html
}
trust_page
grep -q 'id="sync-status"' trust.html && ok "the Trust page has the sync status line" || { bad "no sync status line"; head -c 600 trust.html; }
last=$(sed -n 's/.*id="sync-last">\([^<]*\)<.*/\1/p' trust.html)
[ -n "$last" ] && [ "$last" != "-" ] && ok "it shows the last sync ($last)" || bad "no last sync time: '$last'"
[ "$(sed -n 's/.*id="sync-outbox">\([0-9]*\)<.*/\1/p' trust.html)" = 0 ] && ok "it shows an empty outbox" || bad "outbox shown: $(grep -o 'sync-outbox">[^<]*' trust.html)"

# ---- the hub gone: the outbox waits and the page says so; back: it drains
kill "$HUBPID"; wait "$HUBPID" 2>/dev/null
expect 0 "clinic 1 issues while the hub is down" -- "$PHR" issue --key c1.key --cert c1.cert --in "$SRC/examples/adult-tb-positive-referral.json" --out down.phr --register c1.db
down=$(record_id down.phr)
# (a round may fail before the record is filed: the next one counts it)
erred() { trust_page; grep -q 'id="sync-error"' trust.html && [ "$(sed -n 's/.*id="sync-outbox">\([0-9]*\)<.*/\1/p' trust.html)" -ge 1 ]; }
wait_for 20 erred && ok "the Trust page shows the sync's error and the outbox waiting ($(sed -n 's/.*id="sync-outbox">\([0-9]*\)<.*/\1/p' trust.html)) while the hub is down" \
	|| bad "no sync error and waiting outbox shown: $(grep -o 'sync-[a-z]*">[^<]*' trust.html | tr '\n' ' ')"
start_hub "$HUB_PORT"
[ -n "$HUB_URL" ] && ok "the hub is back on the same port" || bad "the hub did not come back"
# the sync backs off after failures (up to 4 s after two failed rounds at 1 s): it still comes back quickly
if wait_for 30 on_hub "$down"; then
	ok "the record made while the hub was down reached it"
else
	bad "the record made while the hub was down did not reach the hub"
fi
wait_for 10 outbox_empty && ok "the outbox drained" || bad "outbox not drained"
[ "$(psql_q "SELECT count(*) FROM versions")" = 3 ] && ok "the hub holds 3 versions, none twice" || bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"

# ---- a clean stop
s0=$(date +%s)
kill -TERM "$SERVEPID"
wait "$SERVEPID"
st=$?
s1=$(date +%s)
[ "$st" = 0 ] && ok "phr serve stopped with status 0" || bad "phr serve exited $st"
[ $((s1 - s0)) -le 5 ] && ok "it stopped within $((s1 - s0)) s (the sync thread joined)" || bad "stopping took $((s1 - s0)) s"
grep -q "stopped" serve.err && ok "it said it stopped" || bad "no stop message"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
