#!/usr/bin/env bash
# Size of an IPS Bundle of each example against phr's container
# (docs/PERFORMANCE.md, "FHIR IPS"). Each example is issued as phr issue does
# by default (zstd-dict, sealed sections) and exported with the holder key,
# so the Bundle carries everything the container does.
# usage: sizes.sh PHR SOURCE_ROOT      (meson test --benchmark fhir-sizes)
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
. "$SRC/tests/integration/lib.sh"
cd "$W" || exit 1
"$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key >/dev/null 2>&1 &&
	"$PHR" trust pin auth.pub >/dev/null 2>&1 &&
	"$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out c1.key >/dev/null 2>&1 &&
	"$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert >/dev/null 2>&1 &&
	"$PHR" trust build --key auth.key --cert c1.cert --out trust.bundle >/dev/null 2>&1 || { echo "setup failed"; exit 1; }
deflated() { python3 -c 'import sys, zlib; c = zlib.compressobj(9, zlib.DEFLATED, -15); print(len(c.compress(sys.stdin.buffer.read()) + c.flush()))'; }
echo "| example | phr container (zstd-dict) | IPS Bundle JSON (as written) | minified | minified, deflated (raw, level 9) | resources | deflated Bundle / container |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for ex in "$SRC"/examples/*.json; do
	n=$(basename "$ex" .json)
	"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$n.phr" --holder-key-out "$n.key" >/dev/null 2>&1 &&
		"$PHR" export --format fhir-ips --trust trust.bundle --holder-key "$n.key" "$n.phr" --out "$n.json" 2>/dev/null ||
		{ echo "$n: failed"; exit 1; }
	c=$(stat -c %s "$n.phr")
	j=$(stat -c %s "$n.json")
	jq -c . "$n.json" >"$n.min.json"
	m=$(stat -c %s "$n.min.json")
	d=$(deflated <"$n.min.json")
	r=$(jq '.entry | length' "$n.json")
	echo "| $n | $c | $j | $m | $d | $r | $(python3 -c "print(f'{$d / $c:.1f}x')") |"
done
