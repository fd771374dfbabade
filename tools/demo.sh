#!/usr/bin/env bash
# The end-to-end demo on the embedded defaults: a demo health authority, two
# clinics, and the example records. Output goes to ./demo-output/.
# usage: tools/demo.sh PATH/TO/phr PATH/TO/phr-vicc
# (phr-vicc is the virtual card of tests/card/, put in a reader of the real
# pcscd through Debian's vpcd driver; the card part needs root for pcscd.)
set -euo pipefail
PHR=$(readlink -f "$1")
VICC=$(readlink -f "${2:-$(dirname "$1")/../tests/card/phr-vicc}")
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=$SRC/demo-output
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
# Demo keys only: real keys get a passphrase typed at the prompt.
export PHR_PASSPHRASE="demo passphrase - not for real keys"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$PHR#phr#g; s#$SRC/##g"; "$@"; }

step "A health authority creates its key"
run "$PHR" authority init --name "Demo Health Authority" --country GR --out authority.key
step "Two clinics create keys; the authority certifies them for a year"
run "$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out lesvos.key
run "$PHR" clinic init --name "Berlin Health Centre" --country DE --out berlin.key
run "$PHR" authority certify --key authority.key --clinic lesvos.pub --days 365 --out lesvos.cert
run "$PHR" authority certify --key authority.key --clinic berlin.pub --days 365 --out berlin.cert
step "The authority publishes a trust bundle (works offline)"
run "$PHR" trust build --key authority.key --cert lesvos.cert --cert berlin.cert --out trust.bundle
step "Each clinic's installation is pinned once to its health authority: only bundles it signs count"
# The demo's installation lives in demo-output/ (a real one: /etc/phr, or
# ~/.config/phr; docs/TRUST.md).
export PHR_TRUST_DIR=$OUT/installation
printf '$ export PHR_TRUST_DIR=%s\n' "${PHR_TRUST_DIR#"$SRC/"}"
run "$PHR" trust pin authority.pub
run "$PHR" trust show trust.bundle
step "Lesvos issues a record from an assessment"
run "$PHR" issue --key lesvos.key --cert lesvos.cert --in "$SRC/examples/child-no-vaccination-documents.json" --out record.phr
run "$PHR" verify --trust trust.bundle record.phr
step "Berlin verifies it, gives a vaccine and signs what it did"
run "$PHR" extend --trust trust.bundle --key berlin.key --cert berlin.cert --in record.phr \
	--entry "$SRC/examples/entries/vaccination-given.json" --out record-2.phr
run "$PHR" verify --trust trust.bundle record-2.phr
step "The record as the clinic reads it (English)"
run "$PHR" show --trust trust.bundle --lang en record-2.phr
step "The same record for the holder (Arabic)"
run "$PHR" show --trust trust.bundle --lang ar record-2.phr
step "The same record for a machine (JSON, first lines)"
"$PHR" show --trust trust.bundle --format json record-2.phr > record-2.json
head -n 20 record-2.json
step "Another authority's bundle does not count on this installation"
run "$PHR" authority init --name "Some Other Authority" --country IT --out other.key
run "$PHR" trust build --key other.key --out other.bundle
run "$PHR" verify --trust other.bundle record-2.phr || echo "(phr verify exit status $?: not signed by an authority pinned here)"
step "A verifier that does not trust this authority (pinned to its own) still sees the record, marked"
other_site=(env PHR_TRUST_DIR="$OUT/other-installation")
run "${other_site[@]}" "$PHR" trust pin other.pub
run "${other_site[@]}" "$PHR" verify --trust other.bundle record-2.phr || echo "(phr verify exit status $?: not valid for this verifier)"
"${other_site[@]}" "$PHR" show --trust other.bundle --lang en record-2.phr > other-view.txt || true
head -n 8 other-view.txt
step "Berlin prints the record as QR codes for the holder's booklet, with one spare"
run "$PHR" qr --parity 1 --out-dir qr record-2.phr
ls qr
step "A clinic further on scans the codes back (one is lost) and sees the record, verified"
codes=(qr/code-*.png)
printf '$ phr scan --trust trust.bundle --lang en --out scanned.phr %s\n' "${codes[*]:1}"
"$PHR" scan --trust trust.bundle --lang en --out scanned.phr "${codes[@]:1}" > scanned.txt
head -n 8 scanned.txt
cmp -s scanned.phr record-2.phr && echo "(scanned.phr is, byte for byte, the record Berlin printed)"
step "Berlin prints the holder's booklet: summary in Arabic (holder) and English (clinic), codes, follow-up pages"
run "$PHR" print --layout a6-booklet --lang ar,en --trust trust.bundle record-2.phr --out booklet.pdf
step "A clinic further on scans the printed booklet (rendered at 300 dpi) and verifies it"
run pdftoppm -r 300 -png booklet.pdf page
run "$PHR" scan --trust trust.bundle --lang en --out from-booklet.phr page-*.png > from-booklet.txt
head -n 8 from-booklet.txt
run "$PHR" verify --trust trust.bundle from-booklet.phr
cmp -s from-booklet.phr record-2.phr && echo "(from-booklet.phr is, byte for byte, the record in the booklet)"
step "Lesvos keeps a register: every record it meets, every version, searchable"
run "$PHR" register init lesvos.db
for ex in adult-tb-positive-referral older-man-chronic pregnant-hepatitis-b; do
	run "$PHR" issue --key lesvos.key --cert lesvos.cert --in "$SRC/examples/$ex.json" --out "$ex.phr" --register lesvos.db
done
run "$PHR" register add --trust trust.bundle lesvos.db record.phr
step "The holder comes back; Lesvos scans the booklet on arrival and files it in the same step"
run "$PHR" scan --trust trust.bundle --register lesvos.db --out arrival.phr page-*.png >/dev/null
step "A clerk types names in Latin letters; the records hold them in Cyrillic and Farsi script"
run "$PHR" register find lesvos.db --name "Mykola Kovalenko"
run "$PHR" register find lesvos.db --name "Zahra Ahmadi"
run "$PHR" register find lesvos.db --code icd11:1B10.1
rid=$("$PHR" inspect record.phr | grep -o '[0-9a-f]\{32\}' | head -1)
run "$PHR" register show --trust trust.bundle --lang en lesvos.db "${rid:0:8}" >register-show.txt
tail -n 8 register-show.txt
step "Lesvos writes the monthly health-status report for its authority (cells under 5 persons hidden)"
run "$PHR" register report lesvos.db --from 2025-01-01 --to 2025-12-31 --by month --group sex --format pdf --lang en --out report.pdf
run "$PHR" register report lesvos.db --from 2025-01-01 --to 2025-12-31 --by month --format csv --out report.csv
run "$PHR" register audit lesvos.db | tail -n 4
step "The holder also gets a smartcard: a virtual card in a PC/SC reader (pcscd + vpcd)"
CARD_PIDS=()
stop_card() {
	local p
	for p in "${CARD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	CARD_PIDS=()
}
trap stop_card EXIT
wait_for() { # wait_for SECONDS command...: polls until the command succeeds
	local i
	for ((i = 0; i < $1 * 50; i++)); do "${@:2}" >/dev/null 2>&1 && return 0; sleep 0.02; done
	return 1
}
card_seen() { "$PHR" card list 2>/dev/null | grep -q "^Virtual PCD 00 00: card present"; }
if [ "$(id -u)" != 0 ] || ! command -v pcscd >/dev/null; then
	echo "(skipped: the card part starts pcscd, which needs root and the pcscd package)"
else
	if ! "$PHR" card list >/dev/null 2>&1; then
		rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
		pcscd -f >pcscd.log 2>&1 &
		CARD_PIDS+=($!)
		wait_for 10 "$PHR" card list || { echo "pcscd did not start"; exit 1; }
	fi
	"$VICC" --state card.state --port 35963 2>vicc.log &
	CARD_PIDS=($! "${CARD_PIDS[@]}")
	wait_for 10 card_seen || { echo "the virtual card was not seen by pcscd"; exit 1; }
	run "$PHR" card list
	export PHR_PIN=246810 PHR_PUK=13572468 # demo PIN and PUK; a holder types theirs
	run "$PHR" card format
	run "$PHR" card write record-2.phr
	run "$PHR" card read --out from-card.phr
	cmp -s from-card.phr record-2.phr && echo "(from-card.phr is, byte for byte, the record written)"
	run "$PHR" card show --trust trust.bundle --lang ar >card-view.txt
	head -n 8 card-view.txt
	echo "$ PHR_PIN=000000 phr card read --out x.phr      # a wrong PIN"
	PHR_PIN=000000 "$PHR" card read --out x.phr || echo "(exit status $?)"
	stop_card
fi
echo
echo "Files are in $OUT."
