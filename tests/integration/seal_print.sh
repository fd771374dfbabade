#!/usr/bin/env bash
# Sealed sections on paper (docs/PRINT.md "The key slip" and "Sealed
# sections", docs/PRIVACY.md): the key slip's code, rendered by pdftoppm and
# read by ZBar's own zbarimg, is the holder key, and its typed groups are the
# key; --holder-key-qr reads the key back from the slip's picture (and from
# a rotated JPEG photo of it) for show, verify, scan and print; a booklet
# printed without the key holds no sealed value (pdftotext) and says where
# the sealed sections are, in the holder's language; with the key it prints
# them; its codes scan back to the very record, which verifies; phr scan
# --holder-key opens the sealed sections, a wrong key is named and the rest
# shown (exit 38).
# usage: seal_print.sh PHR QRTOOL SOURCE_ROOT
# shellcheck disable=SC2015 # "check && ok || bad": ok and bad always succeed
set -u
PHR=$(readlink -f "$1")
QRTOOL=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# fontconfig's one process-long allocation is not phr's (as in print.sh)
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for tool in pdftoppm pdftotext zbarimg jq; do
	command -v "$tool" >/dev/null || bad "$tool is not installed (poppler-utils, zbar-tools, jq)"
done
cd "$W" || exit 1
# text FILE.pdf: the PDF's text on one line, white space collapsed, bidi
# marks dropped. (pdftotext takes Arabic lam-alef ligatures and Persian
# zero-width non-joiners apart: the phrases looked for avoid them.)
text() { pdftotext -q "$1" - | LC_ALL=C sed 's/\xe2\x80[\xaa-\xae]//g; s/\xe2\x81[\xa6-\xa9]//g' | tr '\n' ' ' | tr -s ' '; }

two_clinics

# A record with HIV and hepatitis results, a pregnancy and mental health
# sealed (entry 1), and a second entry whose note about violence is sealed.
EX="$SRC/examples/pregnant-hepatitis-b.json"
expect 0 "issue with the default sealing" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out r0.phr --holder-key-out key.txt
NOTE="Disclosed violence at home by her partner; referred to the shelter counsellor."
printf '{"kind":"follow_up","date":"2025-06-10","notes":"%s"}\n' "$NOTE" >e.json
expect 0 "extend, the note sealed" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r0.phr --entry e.json --out r.phr --holder-key key.txt
expect 0 "another record, another key" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out other.phr --holder-key-out other.txt
KEY=$(cat key.txt)
# The sealed values, read from the inputs: screening results by LOINC
# code (HIV, hepatitis B/C, syphilis), the expected delivery date, the
# mental health tool, the notes; and the labels of those sections.
mapfile -t SECRET < <(jq -r '
	(.results[] | .test | select(test("loinc:(56888-1|75622-1|7917-8|5196-1|16933-4|22322-2|16935-9|16128-1|11259-9|13955-0|20507-0|22587-0|5292-8)$")) | sub("loinc:"; "")),
	(.pregnancy.expected_delivery // empty), (.mental_health.tool // empty | sub("loinc:"; ""))' "$EX")
SECRET+=("violence at home" "Pregnancy status" "Mental health" "Hepatitis B virus")
[ "${#SECRET[@]}" -ge 8 ] && ok "${#SECRET[@]} sealed values to look for" || bad "sealed values: ${SECRET[*]}"
secrets_in() { # secrets_in FILE: how many of them FILE holds
	local s n=0
	for s in "${SECRET[@]}"; do grep -qF -- "$s" "$1" && n=$((n + 1)); done
	echo "$n"
}

# ---- 1. the key slip ----
expect 0 "print the key slip (ar,en)" -- "$PHR" print --layout key-slip --lang ar,en --trust trust.bundle --holder-key key.txt r.phr --out slip.pdf
[ "$(stat -c %a slip.pdf)" = 600 ] && ok "the slip is written mode 0600, as the key file" || bad "slip.pdf mode $(stat -c %a slip.pdf)"
pdftoppm -r 300 -png slip.pdf slip && [ -s slip-1.png ] && ok "pdftoppm renders the slip" || bad "pdftoppm: slip"
got=$(zbarimg -q --raw slip-1.png 2>/dev/null)
[ "$got" = "PHRK:$KEY" ] && ok "zbarimg reads the slip's code: PHRK: and the holder key" || bad "zbarimg read '$got', want 'PHRK:$KEY'"
typed=$(pdftotext -q slip.pdf - | LC_ALL=C sed 's/\xe2\x80[\xaa-\xae]//g; s/\xe2\x81[\xa6-\xa9]//g' | grep -E '^[A-Z2-7]{4}( [A-Z2-7]{3,4})+$' | tr -d ' \n')
[ "$typed" = "$(tr -d -- '-\n' <key.txt)" ] && ok "the slip's typed groups are the key, check character last" ||
	bad "typed on the slip: '$typed', key $KEY"
text slip.pdf >slip.txt
grep -qF "يفتح هذا المفتاح" slip.txt && grep -qF "Keep it apart from your booklet" slip.txt &&
	ok "the slip says what it is in Arabic and English" || bad "slip text: $(head -c 400 slip.txt)"
grep -qF "$(jq -r .record_id <("$PHR" show --format json r.phr 2>/dev/null) | cut -c1-4)" slip.txt && ok "the slip names the record" || bad "record id not on the slip"
grep -qF "Zahra" slip.txt && bad "the slip shows the holder's name" || ok "the slip does not name the holder"
for l in fr fa; do
	expect 0 "key slip in $l" -- "$PHR" print --layout key-slip --lang $l --holder-key key.txt r.phr --out slip-$l.pdf
done
text slip-fr.pdf | grep -qF "Conservez-la à part de votre carnet" && ok "the slip in French" || bad "slip-fr: no French notice"
text slip-fa.pdf | grep -qF "جدا از دفترچه" && ok "the slip in Persian" || bad "slip-fa: no Persian notice"
expect 2 "key slip without --holder-key" -- "$PHR" print --layout key-slip r.phr --out none.pdf
message "--holder-key" "key slip without a key"
expect 38 "key slip with another record's key" -- "$PHR" print --layout key-slip --holder-key other.txt r.phr --out wrong.pdf
message "not this record's holder key" "key slip with another record's key"
[ ! -e wrong.pdf ] && ok "no slip written for another record's key" || bad "wrong.pdf written"

# ---- 2. the key from a picture of the slip ----
expect 0 "show --holder-key-qr (the slip's page)" -- "$PHR" show --trust trust.bundle --holder-key-qr slip-1.png r.phr
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -qF "violence at home" "$W/out" && ok "the slip's picture opens both entries" ||
	bad "show --holder-key-qr opened nothing"
"$QRTOOL" photo slip-1.png photo.jpg 9 80 && ok "a rotated JPEG photo of the slip" || bad "qrtool photo"
expect 0 "verify --holder-key-qr (JPEG photo)" -- "$PHR" verify --trust trust.bundle --holder-key-qr photo.jpg r.phr
grep -q "entry 0: sealed: 3 sections, opened" "$W/out" && grep -q "entry 1: sealed: 1 section, opened" "$W/out" &&
	ok "verify opens both from the photo" || bad "verify --holder-key-qr: $(cat "$W/out")"
expect 39 "a picture with no key code" -- "$PHR" show --holder-key-qr "$SRC/docs/images/$(ls "$SRC/docs/images" | grep -m1 '\.png$')" r.phr
message "no holder key code read in the picture" "no key code"
# a key code whose check character is wrong: named, not taken
bad_key="${KEY:0:32}$([ "${KEY:32:1}" = A ] && echo B || echo A)"
"$QRTOOL" code text "$(printf 'PHRK:%s' "$bad_key" | od -An -tx1 | tr -d ' \n')" badkey.png || bad "qrtool code"
expect 38 "a key code with a wrong check character" -- "$PHR" show --holder-key-qr badkey.png r.phr
message "check character does not match" "wrong check character"
expect 2 "--holder-key and --holder-key-qr together" -- "$PHR" show --holder-key key.txt --holder-key-qr slip-1.png r.phr

# ---- 3. the booklet and the card ----
expect 0 "booklet without the key (ar,en)" -- "$PHR" print --lang ar,en --trust trust.bundle r.phr --out closed.pdf
text closed.pdf >closed.txt
n=$(secrets_in closed.txt)
[ "$n" = 0 ] && ok "pdftotext: no sealed value in the booklet printed without the key" || bad "$n sealed values printed without the key"
grep -qF "Sealed sections: 3, not printed. Ask the holder for the key slip." closed.txt &&
	grep -qF "Sealed sections: 1, not printed. Ask the holder for the key slip." closed.txt &&
	ok "the booklet says where sealed sections are (entries 1 and 2)" || bad "no sealed marker in English"
grep -qF "أقسام مختومة" closed.txt && grep -qF "لم تُطبع" closed.txt && ok "... and in the holder's language (Arabic)" || bad "no Arabic sealed marker"
expect 0 "booklet with the key" -- "$PHR" print --lang ar,en --trust trust.bundle --holder-key key.txt r.phr --out open.pdf
[ "$(stat -c %a open.pdf)" = 600 ] && ok "a booklet printed with the key is written mode 0600" || bad "open.pdf mode $(stat -c %a open.pdf)"
text open.pdf >open.txt
n=$(secrets_in open.txt)
[ "$n" = "${#SECRET[@]}" ] && ok "pdftotext: every sealed value printed with the key ($n)" || bad "$n of ${#SECRET[@]} sealed values printed with the key"
grep -qF "opened with the holder key and printed here" open.txt && ok "the booklet says they were opened" || bad "no opened marker"
expect 0 "booklet with the key from the slip's picture" -- "$PHR" print --lang en --holder-key-qr photo.jpg --format json r.phr --out open2.pdf
[ "$(jq -c '.records[0].sealed' "$W/out")" = '{"sections":4,"printed":4}' ] && ok "JSON: 4 sealed sections, 4 printed" ||
	bad "JSON sealed: $(jq -c '.records[0].sealed' "$W/out")"
expect 38 "booklet with another record's key" -- "$PHR" print --lang en --holder-key other.txt r.phr --out wrongkey.pdf
message "does not open with the key given" "booklet with another record's key"
text wrongkey.pdf >wrongkey.txt
[ "$(secrets_in wrongkey.txt)" = 0 ] && grep -qF "did not open with the key given" wrongkey.txt &&
	ok "another record's key: nothing sealed printed, the pages say so" || bad "wrong key booklet"
expect 0 "wallet card without the key" -- "$PHR" print --layout id1-card --lang fr,en r.phr --out card.pdf
text card.pdf >card.txt
[ "$(secrets_in card.txt)" = 0 ] && grep -qF "Sections scellées : 4. La fiche de clé du titulaire les ouvre." card.txt &&
	ok "the card: no sealed value, how many sealed sections (French)" || bad "card: $(head -c 300 card.txt)"
expect 2 "--holder-key with --batch" -- "$PHR" print --trust trust.bundle --holder-key key.txt --batch . --out b.pdf

# The codes of the booklet printed with the key are the record's own bytes.
pdftoppm -r 300 -png open.pdf page || bad "pdftoppm: booklet"
expect 0 "scan the booklet printed with the key" -- "$PHR" scan --verbose --trust trust.bundle --out back.phr page-*.png
# the pages that carry codes (scanning the others again only takes time)
mapfile -t CODES < <(sed -n 's/^phr scan: \[[0-9]*\/[0-9]*\] \(page-[0-9]*\.png\): .*, [1-9][0-9]* of them phr,.*/\1/p' "$W/err")
[ "${#CODES[@]}" -ge 1 ] && ok "codes on ${CODES[*]}" || { bad "no page with codes"; CODES=(page-*.png); }
cmp -s back.phr r.phr && ok "its codes restore the record byte for byte" || bad "scanned record differs"
expect 0 "the scanned record verifies" -- "$PHR" verify --trust trust.bundle back.phr
[ "$(secrets_in "$W/out")" = 0 ] && ok "scan without the key shows no sealed value" || bad "scan without the key shows sealed values"

# ---- 4. scan --holder-key ----
expect 0 "scan --holder-key" -- "$PHR" scan --trust trust.bundle --holder-key key.txt "${CODES[@]}"
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -qF "violence at home" "$W/out" && ok "scan opens the sealed sections" ||
	bad "scan --holder-key shows no sealed section"
expect 0 "scan --holder-key-qr, the slip among the pages" -- "$PHR" scan --trust trust.bundle --holder-key-qr photo.jpg "${CODES[@]}" slip-1.png
message "a holder key code (a key slip), not shown" "the slip among the scanned pictures"
grep -qF "$KEY" "$W/out" "$W/err" && bad "scan showed the holder key" || ok "the key itself is not shown"
expect 0 "scan --format json, the slip among the pages" -- "$PHR" scan --format json "${CODES[@]}" slip-1.png
grep -qF "${KEY:0:9}" "$W/out" && bad "the JSON holds the key" || ok "the JSON holds no key"
[ "$(jq -r '.scan.problems[] | select(.problem == "holder_key") | .image' "$W/out")" = slip-1.png ] &&
	ok "JSON: problem holder_key" || bad "JSON: no holder_key problem"
expect 38 "scan with another record's key" -- "$PHR" scan --trust trust.bundle --holder-key other.txt "${CODES[@]}"
message "entry 0: does not open with the key given" "scan with another record's key"
grep -q "Current medicines" "$W/out" && [ "$(secrets_in "$W/out")" = 0 ] && ok "the rest shown, nothing sealed" || bad "scan, wrong key: rest not shown"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
