#!/usr/bin/env bash
# The regional hub end to end (docs/HUB.md): a PostgreSQL cluster of the
# test's own, two hub processes on loopback in front of it, five clinic
# registers syncing. A record issued at clinic 1 and extended at clinics 2
# and 3 reaches the others in its countries; consent not to share keeps it
# from clinic 5 (another country); a hub killed mid-push loses and
# duplicates nothing; a replayed request, a stale one, a key signing for
# another clinic's id and a revoked clinic are refused; a newer trust bundle
# reaches a clinic.
# usage: hub.sh PHR HUBREQ SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
HUBREQ=$(readlink -f "$2")
SRC=$(readlink -f "$3")
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=../integration/lib.sh
. "$SRC/tests/integration/lib.sh"
# shellcheck source=pglib.sh
. "$HERE/pglib.sh"
HUBS=()
cleanup() {
	for p in "${HUBS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pg_stop
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"

kid() { "$PHR" inspect "$1" | sed -n 's/.*key id: //p'; }
record_id() { "$PHR" inspect "$1" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; }

# ---- an authority, five clinics, a trust bundle
expect 0 "authority init" -- "$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
countries=(x GR GR DE DE IT)
certs=()
for i in 1 2 3 4 5; do
	expect 0 "clinic $i init" -- "$PHR" clinic init --name "Clinic $i" --country "${countries[$i]}" --out "c$i.key"
	expect 0 "certify clinic $i" -- "$PHR" authority certify --key auth.key --clinic "c$i.pub" --days 365 --from 2025-01-01 --out "c$i.cert"
	certs+=(--cert "c$i.cert")
	expect 0 "clinic $i register" -- "$PHR" register init "c$i.db"
done
expect 0 "trust build" -- "$PHR" trust build --key auth.key "${certs[@]}" --version 100 --out trust.bundle

# ---- PostgreSQL and two hubs
pg_start "$W/pg" || { bad "PostgreSQL did not start"; exit 1; }
ok "PostgreSQL started (port $PGPORT)"
DBURI=$(pg_uri postgres)
# start_hub N [TRUST]: starts hub N, sets HUB_URL[N]
declare -A HUB_URL HUB_PID
start_hub() {
	local n=$1 t=${2:-trust.bundle}
	rm -f "hub$n.out" "hub$n.err" # a restarted hub's: the old line must not be read before the shell truncates it
	"$PHR" hub --db "$DBURI" --listen 127.0.0.1:0 --trust "$t" >"hub$n.out" 2>"hub$n.err" &
	HUB_PID[$n]=$!
	HUBS+=($!)
	local i
	for i in $(seq 1 100); do
		grep -q "listening on" "hub$n.out" 2>/dev/null && break
		sleep 0.1
	done
	HUB_URL[$n]=$(sed -n 's/.*listening on //p' "hub$n.out" | head -1)
	if [ -n "${HUB_URL[$n]}" ]; then ok "hub $n listens on ${HUB_URL[$n]}"; else
		bad "hub $n did not start"
		sed 's/^/    /' "hub$n.err" | head -5
	fi
}
expect 2 "a hub on an address other than loopback without TLS is refused" -- "$PHR" hub --db "$DBURI" --listen 0.0.0.0:0 --trust trust.bundle
message "not a loopback address" "phr hub without TLS"
start_hub 1
start_hub 2
psql_q() { psql "$DBURI" -Atc "$1" 2>/dev/null; }
[ "$(psql_q 'SELECT version FROM phr_schema')" = 2 ] && ok "the hub's database is at schema version 2" || bad "schema version"

# sync N HUB [extra...]: one round of clinic N with hub HUB
sync_once() {
	local n=$1 h=$2
	shift 2
	"$PHR" sync --register "c$n.db" --hub "${HUB_URL[$h]}" --key "c$n.key" --cert "c$n.cert" --once "$@"
}

# ---- a record issued at clinic 1, extended at 2 and 3, reaches the others
ex="$SRC/examples/child-no-vaccination-documents.json" # consent: store, share with GR and DE
expect 0 "clinic 1 issues" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out a1.phr --register c1.db
id=$(record_id a1.phr)
for i in 2 3 4 5; do # the holder shows the card at each clinic
	expect 0 "clinic $i files the record as met" -- "$PHR" register add --trust trust.bundle "c$i.db" a1.phr
done
expect 0 "clinic 1 syncs (hub 1)" -- sync_once 1 1 --trust trust.bundle
[ "$(psql_q "SELECT count(*) FROM versions")" = 1 ] && ok "the hub holds the first version" || bad "hub versions after clinic 1"
# every machine's clock is the same (PHR_NOW, lib.sh); clinics 2 and 3 sign
# their entries an hour and two later (within the verifiers' tolerance)
t0=$(date -u -d 2025-06-15 +%s)
PHR_NOW=$((t0 + 3600)) expect 0 "clinic 2 extends" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in a1.phr --entry "$SRC/examples/entries/vaccination-given.json" --out a2.phr --register c2.db
expect 0 "clinic 2 syncs (hub 2)" -- sync_once 2 2 --trust trust.bundle
expect 0 "clinic 3 syncs (hub 1): pulls clinic 2's version" -- sync_once 3 1 --trust trust.bundle
grep -q "pulled 1 versions" "$W/out" && ok "clinic 3 pulled one version" || { bad "clinic 3 pull"; cat "$W/out"; }
expect 0 "clinic 3 exports its latest" -- "$PHR" register export c3.db "$id" --out a2-at-3.phr
cmp -s a2.phr a2-at-3.phr && ok "clinic 3 holds clinic 2's bytes" || bad "clinic 3's copy differs"
PHR_NOW=$((t0 + 7200)) expect 0 "clinic 3 extends" -- "$PHR" extend --trust trust.bundle --key c3.key --cert c3.cert --in a2-at-3.phr --entry "$SRC/examples/entries/lab-result-referral.json" --out a3.phr --register c3.db
expect 0 "clinic 3 syncs (hub 2)" -- sync_once 3 2 --trust trust.bundle
for i in 1 2 4; do
	expect 0 "clinic $i syncs" -- sync_once "$i" $(( (i % 2) + 1 )) --trust trust.bundle
	"$PHR" register export "c$i.db" "$id" --out "latest-$i.phr" 2>/dev/null
	cmp -s a3.phr "latest-$i.phr" && ok "clinic $i has the three-entry version" || bad "clinic $i lacks clinic 3's version"
done
[ "$(psql_q "SELECT count(*) FROM versions")" = 3 ] && ok "the hub holds three versions, one row each" || bad "hub versions: $(psql_q 'SELECT count(*) FROM versions')"
# a fork made offline: clinics 1 and 2 extend the same version; both
# branches reach clinic 4, whose register reports the fork
PHR_NOW=$((t0 + 10800)) expect 0 "clinic 1 extends offline" -- "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in a3.phr --entry "$SRC/examples/entries/vaccination-given.json" --out f1.phr --register c1.db
PHR_NOW=$((t0 + 10800)) expect 0 "clinic 2 extends the same version offline" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in a3.phr --entry "$SRC/examples/entries/lab-result-referral.json" --out f2.phr --register c2.db
expect 0 "clinic 1 syncs its branch" -- sync_once 1 1 --trust trust.bundle
expect 0 "clinic 2 syncs its branch" -- sync_once 2 2 --trust trust.bundle
expect 0 "clinic 4 syncs" -- sync_once 4 1 --trust trust.bundle
grep -q "pulled 2 versions" "$W/out" && ok "clinic 4 pulled both branches" || { bad "clinic 4 fork pull"; cat "$W/out"; }
[ "$(sqlite3 c4.db "SELECT count(*) FROM versions v JOIN records r ON r.id = v.record WHERE r.hex = '$id' AND v.n_entries = 4")" = 2 ] \
	&& ok "clinic 4 holds both four-entry branches" || bad "clinic 4 lacks a branch"
expect 0 "clinic 4 shows the record" -- "$PHR" register show --trust trust.bundle c4.db "$id"
grep -qi "fork" "$W/out" && ok "clinic 4's register reports the fork" || bad "no fork reported"
expect 0 "clinic 1 syncs again" -- sync_once 1 2 --trust trust.bundle
[ "$(sqlite3 c1.db "SELECT count(*) FROM versions v JOIN records r ON r.id = v.record WHERE r.hex = '$id' AND v.n_entries = 4")" = 2 ] \
	&& ok "clinic 1 got clinic 2's branch" || bad "clinic 1 lacks clinic 2's branch"
# clinic 4 joins the fork (phr merge); the merged version holds both
# branches, so it is the record's one head: clinic 3, which met neither
# branch, pulls it alone (not the side branch beside it)
PHR_NOW=$((t0 + 14400)) expect 0 "clinic 4 merges the two branches" -- "$PHR" merge --trust trust.bundle --key c4.key --cert c4.cert f1.phr f2.phr --out m.phr --register c4.db
expect 0 "clinic 4 syncs the merged version" -- sync_once 4 1 --trust trust.bundle
expect 0 "clinic 3 syncs after the merge" -- sync_once 3 1 --trust trust.bundle
grep -q "pulled 1 versions" "$W/out" && ok "clinic 3 pulled the merged version alone" || { bad "clinic 3 merge pull"; cat "$W/out"; }
"$PHR" register export c3.db "$id" --out latest-3m.phr 2>/dev/null
cmp -s m.phr latest-3m.phr && ok "clinic 3's latest is the merged record" || bad "clinic 3's latest is not the merged record"

# consent shares with GR and DE: clinic 5 (IT) is not handed the record
expect 0 "clinic 5 (IT) syncs" -- sync_once 5 1 --trust trust.bundle
"$PHR" register export c5.db "$id" --out latest-5.phr 2>/dev/null
cmp -s a1.phr latest-5.phr && ok "clinic 5 still has only the version it met (consent: not shared with IT)" || bad "clinic 5 was handed the record"
"$HUBREQ" c5.key c5.cert "${HUB_URL[1]}" GET "/v1/records/$id" >req.out
[ "$(cat req.out)" = 403 ] && ok "GET by clinic 5: 403" || bad "GET by clinic 5: $(cat req.out)"
"$HUBREQ" c5.key c5.cert "${HUB_URL[1]}" GET "/v1/records/$id/emergency" >req.out
[ "$(cat req.out)" = 200 ] && ok "emergency GET by clinic 5: 200 (emergency_access: true)" || bad "emergency GET: $(cat req.out)"
[ "$(psql_q "SELECT count(*) FROM audit WHERE action = 'emergency'")" = 1 ] && ok "the emergency access is in the audit" || bad "no emergency audit row"
# a version whose consent refuses storing is not accepted
python3 - "$ex" <<'PY' >nostore.json
import json, sys
e = json.load(open(sys.argv[1])); e["consent"]["store"] = False; print(json.dumps(e))
PY
expect 0 "a record with store: false" -- "$PHR" issue --key c1.key --cert c1.cert --in nostore.json --out nostore.phr
"$HUBREQ" c1.key c1.cert "${HUB_URL[1]}" POST /v1/versions --body nostore.phr >req.out
[ "$(cat req.out)" = 403 ] && ok "push with store: false: 403" || bad "push with store: false: $(cat req.out)"
# a merged record whose branch B narrowed the consent (clinic 2: share with
# GR only, no emergency access) while branch A kept GR and DE: the stricter
# governs, so a DE clinic (3) is not handed it, a GR clinic (2) is, and the
# IT clinic (5) gets no emergency access (docs/HUB.md)
python3 - "$ex" <<'PY' >narrow.json
import json, sys
e = {"kind": "follow_up", "date": "2025-06-15",
     "consent": dict(json.load(open(sys.argv[1]))["consent"], share_with=["GR"], emergency_access=False),
     "author": {"professional": "Dr Eleni Pappa", "role": "physician"}}
print(json.dumps(e))
PY
expect 0 "a record to fork (consent: GR and DE)" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out n0.phr
PHR_NOW=$((t0 + 3600)) expect 0 "branch B: clinic 2 narrows share_with to GR" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in n0.phr --entry narrow.json --no-seal --out nb.phr
PHR_NOW=$((t0 + 3600)) expect 0 "branch A: clinic 1 extends" -- "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in n0.phr --entry "$SRC/examples/entries/vaccination-given.json" --no-seal --out na1.phr
PHR_NOW=$((t0 + 7200)) expect 0 "branch A: clinic 1 again" -- "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in na1.phr --entry "$SRC/examples/entries/vaccination-given.json" --no-seal --out na.phr
PHR_NOW=$((t0 + 10800)) expect 0 "clinic 1 merges the consent fork" -- "$PHR" merge --trust trust.bundle --key c1.key --cert c1.cert na.phr nb.phr --out nm.phr
nid=$(record_id nm.phr)
"$HUBREQ" c1.key c1.cert "${HUB_URL[1]}" POST /v1/versions --body nm.phr >req.out
[ "$(cat req.out)" = 201 ] && ok "push of the merged record: 201" || bad "push of the merged record: $(cat req.out)"
"$HUBREQ" c3.key c3.cert "${HUB_URL[1]}" GET "/v1/records/$nid" >req.out
[ "$(cat req.out)" = 403 ] && ok "GET by clinic 3 (DE, removed on branch B): 403" || bad "GET by clinic 3 of the narrowed merged record: $(cat req.out)"
"$HUBREQ" c2.key c2.cert "${HUB_URL[1]}" GET "/v1/records/$nid" >req.out
[ "$(cat req.out)" = 200 ] && ok "GET by clinic 2 (GR, shared by both branches): 200" || bad "GET by clinic 2: $(cat req.out)"
"$HUBREQ" c5.key c5.cert "${HUB_URL[1]}" GET "/v1/records/$nid/emergency" >req.out
[ "$(cat req.out)" = 403 ] && ok "emergency GET by clinic 5: 403 (branch B refused emergency access)" || bad "emergency GET of the narrowed merged record: $(cat req.out)"

# ---- an authority's aggregate report across clinics (small cells suppressed)
HUBREQ_BODY=report.json "$HUBREQ" auth.key auth.pub "${HUB_URL[2]}" GET /v1/reports/2025-01-01/2025-12-31/nationality >req.out
[ "$(cat req.out)" = 200 ] && ok "the authority gets a report" || bad "report: $(cat req.out)"
python3 - report.json <<'PY' && ok "the report is JSON and counts the shared record as a small (suppressed) cell" || bad "report content: $(head -c 300 report.json)"
import json, sys
r = json.load(open(sys.argv[1]))
s = json.dumps(r)
assert "<5" in s or "< 5" in s, s[:300]
PY
"$HUBREQ" c1.key c1.cert "${HUB_URL[2]}" GET /v1/reports/2025-01-01/2025-12-31/nationality >req.out
[ "$(cat req.out)" = 403 ] && ok "a clinic does not get reports" || bad "report by a clinic: $(cat req.out)"
"$HUBREQ" auth.key auth.pub "${HUB_URL[2]}" GET "/v1/records/$id" >req.out
[ "$(cat req.out)" = 403 ] && ok "an authority does not get records" || bad "record by the authority: $(cat req.out)"

# ---- requests refused
"$HUBREQ" c1.key c1.cert "${HUB_URL[1]}" GET "/v1/records/$id" --twice >req.out
[ "$(tr '\n' ' ' <req.out)" = "200 401 " ] && ok "a replayed request is refused (200, then 401)" || bad "replay: $(tr '\n' ' ' <req.out)"
"$HUBREQ" c1.key c1.cert "${HUB_URL[2]}" GET "/v1/records/$id" --skew 3600 >req.out
[ "$(cat req.out)" = 401 ] && ok "a request an hour off is refused" || bad "stale time: $(cat req.out)"
"$HUBREQ" c1.key c1.cert "${HUB_URL[2]}" GET "/v1/records/$id" --as c3.cert >req.out
[ "$(cat req.out)" = 401 ] && ok "clinic 1's key signing for clinic 3's id is refused" || bad "signed for another id: $(cat req.out)"
python3 -c '
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1]).status)
except urllib.error.HTTPError as e:
    print(e.code)' "${HUB_URL[1]}/v1/records/$id" >req.out
[ "$(cat req.out)" = 401 ] && ok "an unsigned request is refused" || bad "unsigned: $(cat req.out)"

# ---- the hub killed mid-push: nothing lost, nothing duplicated
NB=30
for n in $(seq 1 $NB); do
	"$PHR" issue --key c4.key --cert c4.cert --in "$SRC/examples/adult-tb-positive-referral.json" --out "bulk$n.phr" --register c4.db 2>/dev/null >/dev/null
done
[ "$(sqlite3 c4.db 'SELECT count(*) FROM outbox')" -ge $NB ] && ok "clinic 4's outbox holds its $NB new records" || bad "outbox: $(sqlite3 c4.db 'SELECT count(*) FROM outbox')"
before=$(psql_q "SELECT count(*) FROM versions")
sync_once 4 1 >kill.out 2>&1 &
spid=$!
for i in $(seq 1 500); do # until the hub has taken a few
	[ "$(psql_q "SELECT count(*) FROM versions")" -gt $((before + 3)) ] && break
	sleep 0.01
done
kill -9 "${HUB_PID[1]}"
wait "$spid"
left=$(sqlite3 c4.db 'SELECT count(*) FROM outbox')
ok "hub 1 killed mid-push; $left rows left in clinic 4's outbox"
expect 0 "clinic 4 syncs again (hub 2)" -- sync_once 4 2
[ "$(sqlite3 c4.db 'SELECT count(*) FROM outbox')" = 0 ] && ok "clinic 4's outbox is empty" || bad "outbox not drained"
missing=0
for n in $(seq 1 $NB); do
	rid=$(record_id "bulk$n.phr")
	c=$(psql_q "SELECT count(*) FROM versions v JOIN records r ON r.id = v.record WHERE r.hex = '$rid'")
	[ "$c" = 1 ] || missing=$((missing + 1))
done
[ "$missing" = 0 ] && ok "all $NB records are on the hub, one version row each" || bad "$missing records lost or doubled"
start_hub 1

# ---- PostgreSQL restarted under the hubs: they reconnect, nothing is lost
for n in 1 2 3; do
	"$PHR" issue --key c3.key --cert c3.cert --in "$SRC/examples/older-man-chronic.json" --out "pgr$n.phr" --register c3.db 2>/dev/null >/dev/null
done
pg_restart && ok "PostgreSQL restarted" || bad "PostgreSQL did not restart"
"$HUBREQ" c1.key c1.cert "${HUB_URL[2]}" GET "/v1/records/$id" >req.out
[ "$(cat req.out)" = 200 ] && ok "hub 2 hands out a record right after the restart" || bad "GET after the restart: $(cat req.out)"
expect 0 "clinic 1 pulls after the restart (hub 2)" -- sync_once 1 2
sync_once 3 1 >/dev/null 2>&1 # the hub may find its connections gone: what it did not take stays in the outbox
expect 0 "clinic 3 syncs after the restart" -- sync_once 3 2
[ "$(sqlite3 c3.db 'SELECT count(*) FROM outbox')" = 0 ] && ok "clinic 3's outbox drained" || bad "outbox not drained after the restart"
lost=0
for n in 1 2 3; do
	rid=$(record_id "pgr$n.phr")
	[ "$(psql_q "SELECT count(*) FROM records WHERE hex = '$rid'")" = 1 ] || lost=$((lost + 1))
done
[ "$lost" = 0 ] && ok "the 3 records made around the restart are on the hub" || bad "$lost records lost"

# ---- unreachable hub: the outbox keeps it, then drains
expect 0 "clinic 2 issues offline" -- "$PHR" issue --key c2.key --cert c2.cert --in "$SRC/examples/pregnant-hepatitis-b.json" --out off.phr --register c2.db
expect 50 "sync with no hub there" -- "$PHR" sync --register c2.db --hub http://127.0.0.1:9 --key c2.key --cert c2.cert --once
[ "$(sqlite3 c2.db 'SELECT count(*) FROM outbox')" -ge 1 ] && ok "the outbox kept the version" || bad "outbox emptied without a hub"
expect 0 "sync when the hub is back" -- sync_once 2 1
[ "$(sqlite3 c2.db 'SELECT count(*) FROM outbox')" = 0 ] && ok "the outbox drained" || bad "outbox not drained"

# ---- a revoked clinic, and a newer trust bundle reaching a clinic
expect 0 "trust build revoking clinic 5" -- "$PHR" trust build --key auth.key "${certs[@]}" --revoke "$(kid c5.pub)" --version 200 --out trust2.bundle
start_hub 3 trust2.bundle
expect 51 "clinic 5 (revoked) is refused" -- sync_once 5 2
message "revoked" "clinic 5's sync"
# clinic 1's own installation (the hub's recorded version 200 already)
mkdir -p c1inst
PHR_TRUST_DIR=$W/c1inst expect 0 "clinic 1 pins the authority" -- "$PHR" trust pin auth.pub
cp trust.bundle c1-trust.bundle
PHR_TRUST_DIR=$W/c1inst expect 0 "clinic 1 syncs with its trust bundle" -- sync_once 1 1 --trust c1-trust.bundle
cmp -s trust2.bundle c1-trust.bundle && ok "clinic 1 took the newer trust bundle" || bad "clinic 1's trust bundle not replaced"

# ---- TLS: a hub with a certificate; sync checks it (--ca-file), and
# refuses a hub it cannot check
if openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 30 -subj "/CN=localhost" \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1; then
	"$PHR" hub --db "$DBURI" --listen 127.0.0.1:0 --trust trust2.bundle --tls-cert tls.crt --tls-key tls.key >hubtls.out 2>hubtls.err &
	HUBS+=($!)
	for i in $(seq 1 100); do grep -q "listening on" hubtls.out 2>/dev/null && break; sleep 0.1; done
	TLS_URL=$(sed -n 's/.*listening on //p' hubtls.out)
	case "$TLS_URL" in https://*) ok "a hub with TLS listens on $TLS_URL" ;; *) bad "no TLS hub: $(cat hubtls.err)" ;; esac
	expect 0 "clinic 2 syncs over TLS, the hub's certificate checked" -- "$PHR" sync --register c2.db --hub "$TLS_URL" --key c2.key --cert c2.cert --once --ca-file tls.crt
	expect 50 "a hub whose certificate cannot be checked is not talked to" -- "$PHR" sync --register c2.db --hub "$TLS_URL" --key c2.key --cert c2.cert --once
else
	bad "openssl could not make a test certificate"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
