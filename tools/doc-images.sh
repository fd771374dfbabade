#!/usr/bin/env bash
# Renders the booklet pages shown in the README (docs/images/): a demo
# authority and two clinics sign two example records, and phr print writes
# every page of each booklet as a PNG at 100 dpi.
#   booklet-ar-en-NN.png  Arabic (holder) and English (clinic)
#   booklet-fa-el-NN.png  Farsi (holder) and Greek (clinic)
# usage: tools/doc-images.sh PATH/TO/phr-testclock   (the test build: the pages are dated by PHR_NOW)
set -euo pipefail
PHR=$(readlink -f "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
export PHR_PASSPHRASE="demo passphrase - not for real keys" PHR_NOW=2025-06-01
"$PHR" authority init --name "Demo Health Authority" --country GR --out authority.key
"$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out lesvos.key
"$PHR" clinic init --name "Berlin Health Centre" --country DE --out berlin.key
"$PHR" authority certify --key authority.key --clinic lesvos.pub --days 365 --out lesvos.cert
"$PHR" authority certify --key authority.key --clinic berlin.pub --days 365 --out berlin.cert
"$PHR" trust build --key authority.key --cert lesvos.cert --cert berlin.cert --out trust.bundle
export PHR_TRUST_DIR="$W/installation" # docs/TRUST.md: a scratch installation, pinned to the demo authority
"$PHR" trust pin authority.pub
"$PHR" issue --key lesvos.key --cert lesvos.cert --in "$SRC/examples/child-no-vaccination-documents.json" --out child.phr
PHR_NOW=2025-07-01 "$PHR" extend --trust trust.bundle --key berlin.key --cert berlin.cert --in child.phr \
	--entry "$SRC/examples/entries/vaccination-given.json" --out child-2.phr
"$PHR" issue --key lesvos.key --cert lesvos.cert --in "$SRC/examples/pregnant-hepatitis-b.json" --out zahra.phr
mkdir -p "$SRC/docs/images"
rm -f "$SRC"/docs/images/booklet-ar-en-*.png "$SRC"/docs/images/booklet-fa-el-*.png
PHR_NOW=2025-07-01 "$PHR" print --png --dpi 100 --lang ar,en --trust trust.bundle child-2.phr --out "$SRC/docs/images/booklet-ar-en"
PHR_NOW=2025-07-01 "$PHR" print --png --dpi 100 --lang fa,el --trust trust.bundle zahra.phr --out "$SRC/docs/images/booklet-fa-el"
ls -l "$SRC"/docs/images/booklet-*.png
