#!/usr/bin/env bash
# The register under faults: 'phr register add' killed with SIGKILL at
# random points (60 runs) leaves a register that passes 'check' and holds,
# for every record, the old state or the new one; a file size limit
# (RLIMIT_FSIZE, as a full disk) gives a clear error, exit 32, and no
# damage.
# usage: register_faults.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$W"
expect 0 "authority init" -- "$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key
expect 0 "clinic init" -- "$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out c1.key
expect 0 "certify the clinic" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert

# 40 records, and for 10 of them a second version
mkdir recs
for k in $(seq 1 10); do
	for ex in "$SRC"/examples/*.json; do
		"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "recs/r$k-$(basename "$ex" .json).phr" 2>/dev/null
	done
done
for f in recs/r1-*.phr recs/r2-*.phr recs/r3-*.phr; do
	"$PHR" extend --key c1.key --cert c1.cert --in "$f" --entry "$SRC/examples/entries/vaccination-given.json" --out "${f%.phr}-v2.phr" 2>/dev/null
done
n=$(ls recs/*.phr | wc -l)
[ "$n" -ge 50 ] && ok "$n records to add" || bad "only $n records made"

# state DB: each record id, its versions' count, and the latest exported,
# one line per record, sorted; independent of how the register says it
state() {
	"$PHR" register find "$1" --clinic lesvos --format json 2>/dev/null |
		python3 -c 'import json,sys; [print(h["record_id"], h["versions"]) for h in json.load(sys.stdin)]' | sort
}
# the expected state after adding files F...: computed from the files
expected() {
	for f in "$@"; do "$PHR" inspect "$f" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; done |
		sort | uniq -c | awk '{ print $2, $1 }'
}

base=(recs/r1-*.phr recs/r2-*.phr) # in the register before each kill
rest=()
for f in recs/*.phr; do
	case " ${base[*]} " in *" $f "*) ;; *) rest+=("$f") ;; esac
done
expect 0 "the register before the kills" -- "$PHR" register init base.db
expect 35 "add the first records (older copies among them)" -- "$PHR" register add base.db "${base[@]}"
old=$(state base.db)
[ -n "$old" ] && ok "old state: $(echo "$old" | wc -l) records" || bad "old state empty"

full_state=$(expected "${base[@]}" "${rest[@]}")
runs=60
killed=0 sound=0 consistent=0
for i in $(seq 1 $runs); do
	rm -f k.db k.db-wal k.db-shm
	cp base.db k.db
	# one transaction per batch of files: the kill lands before, inside or after one
	"$PHR" register add k.db "${rest[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 90 + 5))"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
	"$PHR" register check k.db >/dev/null 2>"$W/err" && sound=$((sound + 1)) || { echo "    run $i: check failed"; head -3 "$W/err"; }
	# every record in the register is either one the old state held, or
	# one the new files brought in whole: its versions as the files say
	now=$(state k.db)
	bad_lines=$(python3 - "$W" <<EOF
import sys
old = dict(l.split() for l in """$old""".splitlines() if l.strip())
now = dict(l.split() for l in """$now""".splitlines() if l.strip())
full = dict(l.split() for l in """$full_state""".splitlines() if l.strip())
bad = 0
for rid, v in now.items():
    if rid in old:
        if int(v) < int(old[rid]) or int(v) > int(full[rid]): bad += 1
    elif rid not in full or int(v) > int(full[rid]) or int(v) < 1: bad += 1
bad += sum(1 for rid in old if rid not in now)
print(bad)
EOF
)
	[ "$bad_lines" = 0 ] && consistent=$((consistent + 1)) || echo "    run $i: $bad_lines records in neither state"
done
[ "$killed" -ge $((runs / 2)) ] && ok "$killed of $runs adds killed in flight" || bad "only $killed adds were killed before they ended"
[ "$sound" = "$runs" ] && ok "check passes after every kill ($runs)" || bad "check failed after $((runs - sound)) kills"
[ "$consistent" = "$runs" ] && ok "every record in its old or its new state after every kill" || bad "$((runs - consistent)) runs left a record half added"
# and an export after a kill is still byte for byte a file that was added
rid=$(state k.db | head -1 | cut -d' ' -f1)
expect 0 "export after the kills" -- "$PHR" register export k.db "$rid" --out after.phr
match=0
for f in recs/*.phr; do cmp -s after.phr "$f" && match=1; done
[ $match = 1 ] && ok "the exported record is one of the files, byte for byte" || bad "export after kill differs from every file"

# ---- a full disk (a file size limit): clear error, nothing damaged
rm -f full.db full.db-wal full.db-shm
cp base.db full.db
"$PHR" register check full.db >/dev/null 2>&1
sz=$(( ($(stat -c %s full.db) + 8191) / 1024 ))
(
	ulimit -f "$sz"
	trap '' XFSZ # write() fails with EFBIG instead of the signal killing phr
	exec "$PHR" register add full.db "${rest[@]}"
) >"$W/out" 2>"$W/err"
rc=$?
[ "$rc" = 32 ] && ok "a file size limit: exit 32" || { bad "a file size limit: exit $rc, want 32"; head -5 "$W/err"; }
grep -q "full\|size limit" "$W/err" && ok "the message says the disk is full" || bad "no clear message: $(tail -1 "$W/err")"
expect 0 "check after the full disk" -- "$PHR" register check full.db
expect 35 "add again once there is room (older copies among them)" -- "$PHR" register add full.db "${rest[@]}"
[ "$(state full.db)" = "$full_state" ] && ok "every record there once there is room" || bad "records missing after the full disk"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
