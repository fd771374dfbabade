#!/usr/bin/env bash
# The installed phr has no clock override: PHR_NOW (honoured only by the
# test build phr-testclock) must not change when an entry is signed, or a
# clinic whose certificate has expired could backdate its entries.
# usage: clock.sh PHR PHR_TESTCLOCK SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
TESTCLOCK=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$W"
unset PHR_NOW
expect 0 "authority init" -- "$PHR" authority init --name "Clock Authority" --country GR --out auth.key
expect 0 "clinic init" -- "$PHR" clinic init --name "Clock Clinic" --country GR --out c.key
expect 0 "certify from today" -- "$PHR" authority certify --key auth.key --clinic c.pub --days 30 --out c.cert
today=$(date -u +%Y-%m-%d)
PHR_NOW=2001-01-01 expect 0 "issue with PHR_NOW set" -- "$PHR" issue --key c.key --cert c.cert \
	--in "$SRC/examples/older-man-chronic.json" --out r.phr
expect 0 "show as JSON" -- "$PHR" show --format json r.phr
grep -q "\"signed_at\": \"$today" "$W/out" && ok "phr signs at the system's time ($today), whatever PHR_NOW says" ||
	bad "phr signed at $(grep -o '"signed_at": "[^"]*"' "$W/out"), not today ($today): PHR_NOW is honoured"
expect 0 "version" -- "$PHR" --version
grep -q "test build" "$W/out" && bad "the installed phr says it is a test build" || ok "phr --version is not a test build"
expect 0 "test build version" -- "$TESTCLOCK" --version
grep -q "test build" "$W/out" && ok "phr-testclock says it is a test build" || bad "phr-testclock --version"
PHR_NOW=2001-01-01 expect 0 "test build: certify in 2001" -- "$TESTCLOCK" authority certify --key auth.key --clinic c.pub --days 30 --out old.cert
PHR_NOW=2001-01-02 expect 0 "test build: issue in 2001" -- "$TESTCLOCK" issue --key c.key --cert old.cert \
	--in "$SRC/examples/older-man-chronic.json" --out old.phr
expect 0 "show the 2001 record" -- "$PHR" show --format json old.phr
grep -q '"signed_at": "2001-01-02' "$W/out" && ok "phr-testclock honours PHR_NOW" || bad "phr-testclock ignored PHR_NOW"
echo "clock: $pass passed, $fail failed"
[ "$fail" = 0 ]
