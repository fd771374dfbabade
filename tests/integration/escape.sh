#!/usr/bin/env bash
# Terminal escape injection. Text in a record could clear the screen and
# paint a fake "valid" line over the warning, or reorder what a reader sees
# (U+202E). phr issue and phr extend refuse such text and name the field;
# an entry that holds it anyway, correctly signed, is shown as malformed,
# and nothing raw reaches the terminal from phr show, verify or scan.
# usage: escape.sh PHR ESCREC SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
ESCREC=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$W"

# raw FILE DESCRIPTION: FILE holds no ESC, BEL, CR, C1 control (UTF-8 c2 80..9f)
# or bidi embedding, override or isolate (e2 80 aa..ae, e2 81 a6..a9)
raw() {
	if LC_ALL=C grep -qP '[\x1b\x07\r]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"; then
		bad "$2: raw control or bidi bytes in $(basename "$1"):"
		od -c "$1" | head -6 | sed 's/^/    /'
	else
		ok "$2: no raw control or bidi byte in $(basename "$1")"
	fi
}
# entry KIND JSON-STRING: e.json, an entry whose plan notes are the JSON string
entry() {
	printf '{"kind":"%s","date":"2025-06-15","plan":{"notes":"%s"}}\n' "$1" "$2" >e.json
}

expect 0 "authority init" -- "$PHR" authority init --name "Escape Authority" --country GR --out auth.key
expect 0 "clinic init" -- "$PHR" clinic init --name "Escape Clinic" --country GR --out c.key
expect 0 "certify" -- "$PHR" authority certify --key auth.key --clinic c.pub --days 365 --out c.cert
expect 0 "trust bundle" -- "$PHR" trust build --key auth.key --cert c.cert --out trust.bundle
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
expect 0 "issue a clean record" -- "$PHR" issue --key c.key --cert c.cert \
	--in "$SRC/examples/older-man-chronic.json" --out r.phr

# ---- writing: refused, with the field, the character and where ----
for c in '\u001b[2J:U+001B (escape' '\u0007:U+0007 (bell' '\r:U+000D (carriage return' \
	'\nline two:U+000A (new line' '\t:U+0009 (tab' '\u007f:U+007F (delete' '\u009b31m:U+009B' \
	'\u2028:U+2028 (line separator' '\u202e:U+202E (right-to-left override' '\u202a:U+202A' \
	'\u2067:U+2067' '\u2069:U+2069'; do
	text=${c%%:*} want=${c#*:}
	entry assessment "Seen.$text"
	expect 3 "issue refuses $want)" -- "$PHR" issue --key c.key --cert c.cert --in e.json --out x.phr
	message "plan.notes: $want" "issue"
	message "at byte 5 is not allowed in text" "issue"
	raw "$W/err" "issue refusing $want"
	[ -e x.phr ] && bad "issue wrote x.phr" && rm -f x.phr
done
entry follow_up '\u001b]0;owned\u0007'
expect 3 "extend refuses ESC in an entry" -- "$PHR" extend --key c.key --cert c.cert --in r.phr --entry e.json --out x.phr
message "plan.notes: U+001B (escape" "extend"
raw "$W/err" "extend refusing"
printf '{"kind":"assessment","date":"2025-06-15","identity":{"names":[{"given":"Ali\\u202e","family":"x"}]}}\n' >n.json
expect 3 "issue refuses U+202E in a name" -- "$PHR" issue --key c.key --cert c.cert --in n.json --out x.phr
message "identity.names[0].given: U+202E" "issue"
# the marks that reorder nothing, which Arabic and Farsi text uses, are kept
entry follow_up 'سارة\u200f (2025)\u061c \u200e-\u200c'
expect 0 "extend accepts U+200E, U+200F, U+061C, U+200C" -- \
	"$PHR" extend --key c.key --cert c.cert --in r.phr --entry e.json --out marks.phr
expect 0 "show the marks" -- "$PHR" show --trust trust.bundle marks.phr
grep -q $'\u200f (2025)\u061c \u200e-\u200c' "$W/out" && ok "the marks are shown as written" ||
	bad "the marks were not shown as written"

# ---- reading: a correctly signed entry with the bytes in it ----
esc=$'Fine.\e[2J\e[H\e[1;32mAll entries valid\e[0m\r\a\e]0;title\a'
bidi=$'Dose 1 of 3\u202e3 fo 1 esoD\u2067x\u2069'
c1=$'Dose \xc2\x9b2J'
n=0
for text in "$esc" "$bidi" "$c1"; do
	n=$((n + 1))
	"$ESCREC" r.phr c.key 1749945600 "$text" bad$n.phr || bad "escrec $n"
	expect 0 "show: record $n with a bad entry" -- "$PHR" show --trust trust.bundle bad$n.phr
	raw "$W/out" "show $n (stdout)"
	raw "$W/err" "show $n (stderr)"
	grep -q "== Entry 2: .*malformed\|== Entry 2: Malformed" "$W/out" && ok "show $n: entry 2 is malformed" ||
		bad "show $n: entry 2 is not shown malformed"
	grep -q "entry cannot be read: notes: U+" "$W/out" && ok "show $n: the detail names the field and the character" ||
		bad "show $n: the detail does not name the field: $(grep '!!' "$W/out" | tail -1)"
	expect 0 "show --format json: record $n" -- "$PHR" show --trust trust.bundle --format json bad$n.phr
	raw "$W/out" "show --format json $n"
	expect 3 "verify: record $n" -- "$PHR" verify --trust trust.bundle bad$n.phr
	raw "$W/out" "verify $n (stdout)"
	raw "$W/err" "verify $n (stderr)"
	expect 3 "show --entry 1: record $n" -- "$PHR" show --trust trust.bundle --entry 1 bad$n.phr
	raw "$W/out" "show --entry 1 $n (stdout)"
	raw "$W/err" "show --entry 1 $n (stderr)"
done

# ---- through QR codes: phr scan shows it the same way ----
expect 0 "qr" -- "$PHR" qr --out-dir codes bad1.phr
expect 0 "scan" -- "$PHR" scan --trust trust.bundle codes/*.png
raw "$W/out" "scan (stdout)"
raw "$W/err" "scan (stderr)"
grep -q "entry cannot be read: notes: U+001B (escape" "$W/out" && ok "scan: the detail names the field" ||
	bad "scan: the detail does not name the field"

echo "escape: $pass passed, $fail failed"
[ "$fail" = 0 ]
