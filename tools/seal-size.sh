#!/usr/bin/env bash
# The sealing overhead per example (docs/PERFORMANCE.md, "Sealed sections"):
# each example issued with --no-seal and with the default sealing, one
# embedded certificate, without compression and with the default
# (zstd-dict), and cut into QR codes (ECC M, max V20; and one code up to V40).
# usage: tools/seal-size.sh build/cli/phr-testclock .
set -eu
P=$(readlink -f "$1"); SRC=$(readlink -f "$2")
W=$(mktemp -d); cd "$W"
export PHR_PASSPHRASE="correct horse battery staple" PHR_NOW=2025-06-15 PHR_TRUST_DIR="$W/installation"
"$P" authority init --name "Demo Health Authority" --country GR --out auth.key >/dev/null 2>&1
"$P" clinic init --name "Zagreb Clinic" --country HR --out c1.key >/dev/null 2>&1
"$P" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert >/dev/null 2>&1
for ex in adult-tb-positive-referral child-no-vaccination-documents older-man-chronic pregnant-hepatitis-b; do
  in="$SRC/examples/$ex.json"
  "$P" issue --key c1.key --cert c1.cert --in "$in" --out u.phr --no-seal >/dev/null 2>&1
  "$P" issue --key c1.key --cert c1.cert --in "$in" --out s.phr --holder-key-out k.txt >/dev/null 2>&1
  "$P" issue --key c1.key --cert c1.cert --in "$in" --out ur.phr --no-seal --compression none >/dev/null 2>&1
  "$P" issue --key c1.key --cert c1.cert --in "$in" --out sr.phr --holder-key k.txt --compression none >/dev/null 2>&1
  qr() { rm -rf q; "$P" qr --out-dir q --format json "$@" 2>/dev/null | jq -r '[(.codes|length), (.codes[0].version)] | "\(.[0]) × V\(.[1])"'; }
  qr40() { rm -rf q; "$P" qr --out-dir q --max-version 40 --format json "$1" 2>/dev/null | jq -r '"V\(.codes[0].version)"'; }
  u=$(stat -c %s u.phr); s=$(stat -c %s s.phr); ur=$(stat -c %s ur.phr); sr=$(stat -c %s sr.phr)
  printf '%-32s | %6d %8d %+7d     | %6d %8d %+7d        | %-9s %-12s | %s → %s\n' "$ex" "$ur" "$sr" $((sr-ur)) "$u" "$s" $((s-u)) "$(qr u.phr)" "$(qr s.phr)" "$(qr40 u.phr)" "$(qr40 s.phr)"
done
rm -rf "$W"
