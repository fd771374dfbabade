#!/usr/bin/env bash
# Documents end to end through the phr command: issue a record, attach a
# PDF (made by cairo), verify, show, check the file against the signed
# reference (hash and size compared with coreutils' b2sum and stat, not
# with phr); files refused by content (a PNG named .pdf, a cut PDF, text),
# by size (PHR_MAX_DOCUMENT) and by type; a document whose entry is not valid.
# usage: attach.sh PHR MKDOC SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
MKDOC=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$W"
expect 0 "authority init" -- "$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
expect 0 "clinic init" -- "$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out c1.key
expect 0 "second clinic init" -- "$PHR" clinic init --name "Athens Laboratory" --country GR --out c2.key
expect 0 "certify clinic 1" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert
expect 0 "certify clinic 2" -- "$PHR" authority certify --key auth.key --clinic c2.pub --days 365 --from 2025-01-01 --out c2.cert
# clinic 2 is certified but not in the bundle: without its embedded
# certificate, its entries have an unknown signer
expect 0 "trust build" -- "$PHR" trust build --key auth.key --cert c1.cert --out trust.bundle
expect 0 "issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$SRC/examples/older-man-chronic.json" --out r.phr

"$MKDOC" pdf lab.pdf && "$MKDOC" png scan.png && "$MKDOC" jpeg photo.jpg || { bad "mkdoc"; exit 1; }
if command -v pdfinfo >/dev/null; then
	pdfinfo lab.pdf >/dev/null 2>&1 && ok "lab.pdf is a PDF to poppler" || bad "poppler refuses lab.pdf"
fi
size=$(stat -c %s lab.pdf)
hash=$(b2sum -l 256 lab.pdf | cut -d' ' -f1)

# attach, verify, show
expect 0 "attach a PDF" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr --file lab.pdf \
	--type lab-result --title "IGRA result, regional laboratory" --out r2.phr
message "BLAKE2b-256 $hash" "attach"
expect 0 "verify the record with the document entry" -- "$PHR" verify --trust trust.bundle r2.phr
grep -q "^entry 1: valid" "$W/out" && ok "entry 1 is valid" || bad "entry 1: $(cat "$W/out")"
expect 0 "show" -- "$PHR" show --trust trust.bundle --lang en r2.phr
want="Document: IGRA result, regional laboratory (Laboratory result, application/pdf, $size bytes)"
grep -qF "$want" "$W/out" && ok "show lists the document" || { bad "show lacks '$want'"; sed 's/^/    /' "$W/out" | tail -5; }
expect 0 "show in French" -- "$PHR" show --trust trust.bundle --lang fr r2.phr
want="Document : IGRA result, regional laboratory (Résultat de laboratoire, application/pdf, $size octets)"
want2="Document: IGRA result, regional laboratory (Résultat de laboratoire, application/pdf, $size octets)"
grep -qF -e "$want" -e "$want2" "$W/out" && ok "show in French names the kind and the unit in French" ||
	{ bad "show --lang fr lacks '$want2'"; grep -i document "$W/out" | sed 's/^/    /'; }
expect 0 "show entry 1 as JSON" -- "$PHR" show --entry 1 r2.phr
python3 - "$W/out" "$hash" "$size" <<'EOF' && ok "entry 1 signs b2sum's hash, stat's size, the media type, today's date" || bad "entry 1's reference"
import json, sys
e = json.load(open(sys.argv[1]))
d = e["documents"]
assert e["kind"] == "follow_up" and e["date"] == "2025-06-15", e
assert len(d) == 1 and d[0]["hash"] == sys.argv[2] and d[0]["size"] == int(sys.argv[3]), d
assert d[0]["media_type"] == "application/pdf" and d[0]["type"] == "lab_result", d
assert set(e) == {"kind", "date", "documents"}, e
EOF

# the document checked against the signed reference
expect 0 "verify --document with the file" -- "$PHR" verify --trust trust.bundle --document lab.pdf r2.phr
grep -qF "document lab.pdf: verified: entry 1 signed it" "$W/out" && ok "the file is verified" || bad "verify --document: $(cat "$W/out")"
cp lab.pdf other.pdf && printf '\n' >>other.pdf
expect 37 "verify --document with another file" -- "$PHR" verify --trust trust.bundle --document other.pdf r2.phr
grep -qF "document other.pdf: NOT VERIFIED" "$W/out" && ok "the other file is not verified" || bad "verify --document other: $(cat "$W/out")"
expect 37 "one of two files differs" -- "$PHR" verify --trust trust.bundle --document lab.pdf --document scan.png r2.phr
expect 0 "verify --document --format json" -- "$PHR" verify --trust trust.bundle --format json --document lab.pdf r2.phr
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["documents"][0]; assert d["verified"] and d["entry"]==1 and d["hash"]==sys.argv[2], d' \
	"$W/out" "$hash" && ok "JSON says verified, entry 1, the hash" || bad "verify --format json documents"
expect 2 "show refuses --document" -- "$PHR" show --document lab.pdf r2.phr

# files refused by content, size or type; nothing written
cp scan.png scan.pdf
expect 36 "a PNG named .pdf is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr --file scan.pdf \
	--type lab_result --title "X" --out bad.phr
message "image/png by its content, not application/pdf" "the PNG named .pdf"
expect 36 "a PNG declared --media-type image/jpeg is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr \
	--file scan.png --media-type image/jpeg --type imaging_report --title "X" --out bad.phr
head -c $((size / 2)) lab.pdf >cut.pdf
expect 36 "a cut PDF is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr --file cut.pdf \
	--type lab_result --title "X" --out bad.phr
message "cut short" "the cut PDF"
printf 'IGRA negative\n' >note.txt
expect 36 "a text file is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr --file note.txt \
	--type other --title "X" --out bad.phr
"$MKDOC" bigpdf big.pdf $((16 * 1024 * 1024 + 1)) || bad "mkdoc bigpdf"
expect 36 "a PDF of PHR_MAX_DOCUMENT + 1 bytes is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr \
	--file big.pdf --type other --title "X" --out bad.phr
message "PHR_MAX_DOCUMENT" "the big PDF"
expect 37 "verify --document of a file over the limit" -- "$PHR" verify --trust trust.bundle --document big.pdf r2.phr
expect 2 "an unknown --type is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr --file lab.pdf \
	--type xray --title "X" --out bad.phr
expect 3 "a title with an escape character is refused" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr \
	--file lab.pdf --type other --title $'X\e[2J' --out bad.phr
"$PHR" attach --key c1.key --cert c1.cert --in r.phr --file lab.pdf --type other --title "X" \
	--register missing.db --out bad.phr >"$W/out" 2>&1
st=$?
[ "$st" -ne 0 ] && grep -q "missing.db" "$W/out" && ok "--register: a register that does not exist is refused (exit $st), naming it" ||
	bad "--register missing.db: exit $st: $(cat "$W/out")"
[ ! -e bad.phr ] && ok "no refused attach wrote a record" || bad "a refused attach wrote bad.phr"
"$MKDOC" bigpdf max.pdf $((16 * 1024 * 1024)) || bad "mkdoc bigpdf"
expect 0 "a PDF of exactly PHR_MAX_DOCUMENT bytes is accepted" -- "$PHR" attach --key c1.key --cert c1.cert \
	--in r2.phr --file max.pdf --type discharge_letter --title "Discharge letter" --out r3.phr
before=$(stat -c %s r2.phr)
after=$(stat -c %s r3.phr)
[ $((after - before)) -lt 400 ] && ok "the record grew by $((after - before)) bytes for a 16 MiB document" ||
	bad "the record grew by $((after - before)) bytes for a 16 MiB document"

# a JPEG; then a PNG by another clinic whose certificate is neither
# embedded nor in the bundle: that entry is not valid, nor is its document
expect 0 "attach a JPEG" -- "$PHR" attach --key c1.key --cert c1.cert --in r3.phr --file photo.jpg \
	--type other --title "Photo of a vaccination card" --out r4.phr
expect 0 "attach a PNG, certificate not embedded" -- "$PHR" attach --key c2.key --cert c2.cert --no-embed-cert \
	--in r4.phr --file scan.png --type imaging_report --title "Chest X-ray" --out r5.phr
expect 11 "verify: entry 4 has an unknown signer" -- "$PHR" verify --trust trust.bundle --document photo.jpg \
	--document scan.png --document max.pdf r5.phr
grep -qF "document photo.jpg: verified: entry 3" "$W/out" && grep -qF "document max.pdf: verified: entry 2" "$W/out" &&
	ok "documents of valid entries verified" || bad "verify r5: $(cat "$W/out")"
grep -qF "document scan.png: NOT VERIFIED: entry 4 refers to it, but that entry is not valid (unknown_signer)" "$W/out" &&
	ok "the document of the entry that is not valid is not verified" || bad "verify r5 scan: $(cat "$W/out")"
expect 11 "attach refuses a record with an unknown signer" -- "$PHR" attach --key c1.key --cert c1.cert --in r5.phr \
	--file lab.pdf --type other --title "X" --out bad.phr
expect 11 "attach --trust refuses it too" -- "$PHR" attach --trust trust.bundle --key c1.key \
	--cert c1.cert --in r5.phr --file lab.pdf --type other --title "X" --out bad.phr
[ ! -e bad.phr ] && ok "nothing written" || bad "a refused attach wrote bad.phr"
expect 0 "attach --force to it" -- "$PHR" attach --force --key c1.key --cert c1.cert --in r5.phr \
	--file lab.pdf --type other --title "Copy" --out r6.phr
expect 0 "show with five documents" -- "$PHR" show --lang en r6.phr
[ "$(grep -c '  Document: ' "$W/out")" = 5 ] && ok "show lists five documents" || bad "show r6: $(grep document "$W/out")"

# --register: the bytes are kept in the register, linked to the record,
# and written out again byte for byte; the new version is filed
expect 0 "register init" -- "$PHR" register init clinic.db
expect 0 "attach --register" -- "$PHR" attach --key c1.key --cert c1.cert --in r.phr --file lab.pdf \
	--type lab_result --title "IGRA result" --register clinic.db --out rr.phr
rid=$("$PHR" inspect rr.phr 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1)
expect 0 "register show lists the version" -- "$PHR" register show --trust trust.bundle clinic.db "$rid"
grep -qF "$hash" "$W/out" && ok "register show lists the document by its hash" || bad "register show: $(cat "$W/out")"
expect 0 "register documents --out-dir" -- "$PHR" register documents --out-dir docs clinic.db "$rid"
cmp -s lab.pdf "docs/$hash.pdf" && ok "the document comes out of the register byte for byte" ||
	bad "docs/: $(ls docs 2>&1)"
expect 0 "register export" -- "$PHR" register export clinic.db "$rid" --out exported.phr
cmp -s rr.phr exported.phr && ok "the filed version is the attached record" || bad "export differs from rr.phr"
expect 0 "register show: the document verified" -- "$PHR" register show clinic.db "$rid"
grep -qF "IGRA result (lab_result, entry 1)" "$W/out" && grep -q "verified (its bytes match the signed hash)" "$W/out" &&
	ok "register show names the document and says its bytes match" || bad "register show: $(cat "$W/out")"
# another clinic's register: the record, then its document brought in beside it
expect 0 "a second register" -- "$PHR" register init other.db
expect 0 "the record filed alone" -- "$PHR" register add other.db exported.phr
expect 0 "its document: not on this machine" -- "$PHR" register show other.db "$rid"
grep -q "not on this machine" "$W/out" && ok "a referenced document without its bytes is 'not on this machine'" ||
	bad "register show other.db: $(cat "$W/out")"
expect 37 "a document no entry signed is refused" -- "$PHR" register add --document photo.jpg other.db exported.phr
expect 0 "register add --document" -- "$PHR" register add --document "docs/$hash.pdf" other.db exported.phr
expect 0 "show after the import" -- "$PHR" register show --format json other.db "$rid"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["documents"]; assert len(d)==1 and d[0]["status"]=="verified" and d[0]["hash"]==sys.argv[2], d' \
	"$W/out" "$hash" && ok "the imported document is verified" || bad "show json: $(cat "$W/out")"

echo "attach: $pass passed, $fail failed"
[ "$fail" = 0 ]
