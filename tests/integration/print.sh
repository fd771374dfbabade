#!/usr/bin/env bash
# Printing end to end, through real parts only: 'phr print' lays pages out
# with Pango and Cairo, pdftoppm (poppler) renders the PDF at 300 dpi as a
# print shop's RIP would, 'phr scan' must restore the byte-identical record
# from the page images, and ZXingReader (zxing-cpp, an independent decoder)
# must read every code on them to exactly the payloads 'phr qr' makes for
# the same cut. For every example and every built-in layout; records of one
# code and its copy and of several (always with parity); the wallet card
# carrying every one of them (print_codes.sh: codes painted over, where they
# go, a card too small for its record); an unverified record; PNG pages;
# layouts from files; batches of 100 and 1,000 records (peak memory),
# interrupted and with bad records.
# usage: print.sh PHR SOURCE_ROOT SANITIZED(0|1)
# shellcheck disable=SC2015 # "check && ok || bad": ok and bad always succeed
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
SANITIZED=${3:-0}
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Under LeakSanitizer: fontconfig keeps a few hundred bytes of its parsed
# configuration (read by Pango's start-up thread) unreachable for the life
# of the process; that is fontconfig's, not phr's, so it alone is suppressed.
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

same() { # same FILE1 FILE2 DESCRIPTION
	if cmp -s "$1" "$2"; then ok "$3"; else bad "$3: $1 and $2 differ"; fi
}
# field NAME FILE: the first number called NAME in a JSON file
field() { tr -d ' \n' <"$2" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
flag() { tr -d ' \n' <"$2" | grep -o "\"$1\":[a-z]*" | head -1 | cut -d: -f2; }
pages_of() { pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p'; }
# text FILE.pdf: the PDF's text, one line
text() { pdftotext -q "$1" - | tr '\n' ' '; }
has_text() { # has_text FILE.pdf STRING DESCRIPTION
	if text "$1" | grep -qF -- "$2"; then ok "$3: the pages say '$2'"; else bad "$3: the pages lack '$2'"; fi
}

# zxing_pages PDF PREFIX QR_JSON VERSION DESCRIPTION: ZXingReader reads, on
# the 300 dpi pages PREFIX-*.png of PDF, exactly the payloads of QR_JSON
# (phr qr --format json of the same cut), each at least once, and nothing
# else. zxing-cpp 1.4's detector sometimes returns a correct symbol's
# payload with extra characters after it (docs/QR.md); as in qr.sh such a
# read is accepted only when the payload is an exact prefix and
# ZXingReader -ispure, its decoder without the detector, reads that symbol
# (cut out of the page by pdftoppm) exactly; it is reported, never silent.
zxing_pages() {
	local pdf=$1 prefix=$2 qj=$3 version=$4 what=$5 f p got want n=0 wrong=0
	sed -n 's/^ *"payload": "\(.*\)",*$/\1/p' "$qj" | sort -u >"$W/want"
	: >"$W/got"
	for f in "$prefix"-*.png; do
		ZXingReader -1 -format QRCode "$f" 2>/dev/null | sed -n 's/^[^ ]* QRCode "\(.*\)"$/\1/p' | while IFS= read -r got; do
			if grep -qxF -- "$got" "$W/want"; then
				echo "$got" >>"$W/got"
				continue
			fi
			want=$(while IFS= read -r p; do [ "${got:0:${#p}}" = "$p" ] && echo "$p"; done <"$W/want" | head -1)
			if [ -n "$want" ] && pure_read "$pdf" "$f" "$got" "$version" | grep -qxF -- "$want"; then
				echo "    note: ZXingReader's detector added '${got:${#want}}' after a payload on $(basename "$f"); -ispure reads it exactly"
				echo "$want" >>"$W/got"
			else
				echo "    ZXingReader read '${got:0:40}...' on $(basename "$f"): not one of the record's codes"
				echo "!wrong" >>"$W/got"
			fi
		done
	done
	n=$(wc -l <"$W/want")
	wrong=$(grep -c '^!wrong$' "$W/got")
	if [ "$n" -gt 0 ] && [ "$wrong" = 0 ] && [ "$(grep -v '^!wrong$' "$W/got" | sort -u | wc -l)" = "$n" ]; then
		ok "$what: ZXingReader reads all $n codes on the pages to their payloads"
	else
		bad "$what: ZXingReader read $(grep -v '^!wrong$' "$W/got" | sort -u | wc -l) of $n codes, $wrong wrong"
	fi
}
# pure_read PDF PNG PAYLOAD VERSION: the symbol whose detector read was
# PAYLOAD, cut out of its page (with 3 modules of quiet zone) and read by
# ZXingReader -ispure
pure_read() {
	local pdf=$1 png=$2 bad_payload=$3 version=$4 page pos x0 y0 x1 y1 m
	page=$(basename "$png" .png | sed 's/.*-0*\([0-9][0-9]*\)$/\1/')
	pos=$(ZXingReader -format QRCode "$png" 2>/dev/null | awk -v t="Text:       \"$bad_payload\"" '
		index($0, "Text:") == 1 { hit = ($0 == t) } hit && /^Position:/ { print $2, $3, $4, $5; exit }')
	[ -n "$pos" ] || return 0
	read -r x0 y0 x1 y1 < <(echo "$pos" | tr ' ' '\n' | awk -Fx 'NR == 1 { a = c = $1; b = d = $2 }
		{ if ($1 < a) a = $1; if ($1 > c) c = $1; if ($2 < b) b = $2; if ($2 > d) d = $2 } END { print a, b, c, d }')
	m=$(((x1 - x0) * 3 / (17 + 4 * version)))
	pdftoppm -r 300 -f "$page" -l "$page" -x $((x0 - 2 * m)) -y $((y0 - 2 * m)) -W $((x1 - x0 + 4 * m)) \
		-H $((y1 - y0 + 4 * m)) -png "$pdf" "$W/pure" && ZXingReader -ispure -1 -format QRCode "$W"/pure*.png 2>/dev/null |
		sed -n 's/^[^ ]* QRCode "\(.*\)"$/\1/p'
	rm -f "$W"/pure*.png
}

for tool in pdftoppm pdfinfo pdftotext ZXingReader; do
	command -v "$tool" >/dev/null || bad "$tool is not installed (poppler-utils, zxing-cpp-tools)"
done

cd "$W" || exit 1
two_clinics "Lesvos Reception Clinic" GR "Berlin Health Centre" DE

# Records: every example (one code each at the defaults), and two of them
# extended twice by the second clinic (several codes, with parity).
records=()
# languages per record; the records too big for the card (-3) are printed with English
langs=("ar,en" "en,fr" "fa,el" "uk,en" "fr,ar" "en,fa")
i=0
for ex in "$SRC"/examples/*.json; do
	name=$(basename "$ex" .json)
	expect 0 "$name: issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name.phr"
	records+=("$name")
	if [ $i -lt 2 ]; then
		PHR_NOW=2025-07-01 expect 0 "$name: extend" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert \
			--in "$name.phr" --entry "$SRC/examples/entries/lab-result-referral.json" --out "$name-x.phr"
		PHR_NOW=2025-07-02 expect 0 "$name: extend again" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert \
			--in "$name-x.phr" --entry "$SRC/examples/entries/vaccination-given.json" --out "$name-3.phr"
		records+=("$name-3")
	fi
	i=$((i + 1))
done
# Everything from here on reads, verifies and prints at a clock after the
# last signature: verification flags entries signed in the future.
export PHR_NOW=2025-07-03

card_too_big=0
i=0
for name in "${records[@]}"; do
	lang=${langs[$((i % ${#langs[@]}))]}
	i=$((i + 1))
	for layout in a6-booklet id1-card a4-booklet-sheet; do
		d=$name-$layout
		expect 0 "$d: print ($lang)" -- "$PHR" print --layout "$layout" --lang "$lang" --trust trust.bundle --format json \
			"$name.phr" --out "$d.pdf"
		cp "$W/out" "$d.json"
		k=$(field k "$d.json")
		m=$(field m "$d.json")
		version=$(field version "$d.json")
		fit=$(flag fit "$d.json")
		pages=$(pages_of "$d.pdf")
		case $layout in
		a6-booklet) [ -n "$pages" ] && [ $((pages % 4)) = 0 ] && [ "$pages" -ge 8 ] &&
			ok "$d: $pages pages, a multiple of 4" || bad "$d: $pages pages" ;;
		id1-card) [ "$pages" = 2 ] && ok "$d: front and back" || bad "$d: $pages pages" ;;
		a4-booklet-sheet) [ -n "$pages" ] && [ $((pages % 2)) = 0 ] && ok "$d: $pages sheet sides (duplex)" || bad "$d: $pages sheet sides" ;;
		esac
		# every printed record survives the loss of any one code (a record of one code gets its copy)
		[ "$fit" = true ] && { [ "$m" -ge 1 ] && ok "$d: $k codes and $m parity" || bad "$d: $k codes without parity"; }
		rm -f "$d"-*.png
		pdftoppm -r 300 -png "$d.pdf" "$d"
		if [ "$fit" = true ]; then
			expect 0 "$d: scan the pages" -- "$PHR" scan --trust trust.bundle --out "$d.phr" "$d"-*.png
			same "$d.phr" "$name.phr" "$d: the scanned pages restore the record byte for byte"
			# shellcheck disable=SC2086
			expect 0 "$d: phr qr of the same cut" -- "$PHR" qr --parity "$m" --format json --out-dir "$d-qr" "$name.phr"
			[ "$(field k "$W/out")" = "$k" ] && ok "$d: phr qr cuts it into the same $k codes" || bad "$d: phr qr k=$(field k "$W/out"), print k=$k"
			cp "$W/out" "$d-qr.json"
			zxing_pages "$d.pdf" "$d" "$d-qr.json" "$version" "$d"
		else
			card_too_big=$((card_too_big + 1))
			[ "$layout" = id1-card ] && ok "$d: the record does not fit the card ($k codes)" || bad "$d: codes do not fit a $layout"
			message "it was printed without codes and says so" "$d"
			has_text "$d.pdf" "a wallet card holds at most" "$d"
			has_text "$d.pdf" "The full record is in the holder's booklet" "$d"
			expect 8 "$d: no code on the card" -- "$PHR" scan "$d"-*.png
			[ "$(ZXingReader -1 -format QRCode "$d"-*.png 2>/dev/null | grep -c QRCode)" = 0 ] &&
				ok "$d: ZXingReader finds no code either" || bad "$d: ZXingReader found a code on a card that says it has none"
		fi
	done
done
# the card carries every one of them (print_codes.sh prints one too big for it)
[ "$card_too_big" = 0 ] && ok "every record fits the wallet card" || bad "$card_too_big records did not fit the wallet card"

A=${records[0]}
# Imposition: an eight-page booklet on one sheet, saddle-stitch order (docs/PRINT.md)
B=${records[2]}
expect 0 "$B: eight-page booklet on a sheet" -- "$PHR" print --layout a4-booklet-sheet --lang en --trust trust.bundle --format json "$B.phr" --out order.pdf
if [ "$(field pages "$W/out")" = 8 ] && [ "$(pages_of order.pdf)" = 2 ]; then
	pdftotext -q -layout -f 1 -l 1 order.pdf side-a.txt
	pdftotext -q -layout -f 2 -l 2 order.pdf side-b.txt
	grep -q "Page 6 of 8.*Page 3 of 8" side-a.txt && ok "side A, lower spread: pages 6 | 3" || bad "side A, lower spread is not 6 | 3"
	grep -q "Page 2 of 8.*Page 7 of 8" side-b.txt && ok "side B, upper spread: pages 2 | 7" || bad "side B, upper spread is not 2 | 7"
	grep -q "Page 4 of 8.*Page 5 of 8" side-b.txt && ok "side B, lower spread: pages 4 | 5" || bad "side B, lower spread is not 4 | 5"
	grep -q "If found, please return" side-a.txt && grep -q "Personal Health Record" side-a.txt && ok "side A, upper spread: back cover | cover" || bad "side A: covers"
	[ "$(grep -n "If found, please return" side-a.txt | head -1 | cut -d: -f1)" -lt "$(grep -n "Page 6 of 8" side-a.txt | head -1 | cut -d: -f1)" ] &&
		ok "side A: the covers' spread above pages 6 | 3" || bad "side A: spreads in the wrong rows"
	grep -q "Sheet 1A · " side-a.txt && grep -q "Sheet 1B" side-b.txt && grep -q "8 1 | 6 3" side-a.txt && grep -q "2 7 | 4 5" side-b.txt &&
		ok "sheet serials: Sheet 1A (8 1 | 6 3), Sheet 1B (2 7 | 4 5)" || bad "sheet serials"
else
	bad "$B: not an eight-page booklet on one sheet ($(field pages "$W/out") pages, $(pages_of order.pdf) sides)"
fi

# What the pages say: languages, status per entry, signers
expect 0 "booklet in English and Arabic" -- "$PHR" print --lang ar,en --trust trust.bundle "$A-3.phr" --out ar.pdf
has_text ar.pdf "Personal Health Record" "ar,en"
has_text ar.pdf "السجل الصحي الشخصي" "ar,en"
has_text ar.pdf "Signed by: Berlin Health Centre (Germany)" "ar,en"
has_text ar.pdf "Entry 3 · Signature valid" "ar,en"
has_text ar.pdf "3 of 3 entries verified" "ar,en"
text ar.pdf | grep -qF "NOT VERIFIED" && bad "a verified record has lines marked NOT VERIFIED" || ok "a verified record has no NOT VERIFIED mark"

# The cover says how many entries the record holds and who signed the last,
# in both languages: a copy with its last entry dropped verifies too, and
# only this shows it shorter. cover FILE.pdf: page 1 as text (and a PNG).
cover() {
	pdftotext -q -f 1 -l 1 "$1" "${1%.pdf}-cover.txt"
	pdftoppm -r 100 -f 1 -l 1 -singlefile -png "$1" "${1%.pdf}-cover"
}
# after LABEL VALUE FILE: the first line that is not empty after the one
# holding LABEL holds VALUE (pdftotext puts a blank line between blocks)
after() { grep -A3 -F -- "$1" "$3" | sed 1d | grep -v '^$' | head -1 | grep -qF -- "$2"; }
afterx() { grep -A3 -F -- "$1" "$3" | sed 1d | grep -v '^$' | head -1 | grep -qxF -- "$2"; }
cover ar.pdf
grep -qF "Entries in this record" ar-cover.txt && grep -qF "في هذا السجل" ar-cover.txt &&
	grep -qF "Last entry" ar-cover.txt && grep -qF "آخر إدخال" ar-cover.txt &&
	ok "ar,en cover: the entries and the last entry, in both languages" || bad "ar,en cover: labels: $(tr '\n' ' ' <ar-cover.txt)"
afterx "Entries in this record" 3 ar-cover.txt && ok "ar,en cover: 3 entries" || bad "ar,en cover: no count 3"
# the value is an Arabic paragraph: pdftotext gives its parts in visual order
after "Last entry" "2025-07-02" ar-cover.txt && after "Last entry" "Berlin Health Centre" ar-cover.txt &&
	ok "ar,en cover: the last entry, 2025-07-02, Berlin" ||
	bad "ar,en cover: last entry: $(grep -A2 -F "Last entry" ar-cover.txt | tr '\n' ' ')"
expect 0 "the copy of two entries, English and Arabic" -- "$PHR" print --lang en,ar --trust trust.bundle "$A-x.phr" --out short.pdf
cover short.pdf
afterx "Entries in this record" 2 short-cover.txt && ok "shorter copy: the cover says 2 entries" || bad "shorter copy: count"
after "Last entry" "2025-07-01 · Berlin Health Centre (Germany)" short-cover.txt &&
	ok "shorter copy: the cover's last entry is 2025-07-01" || bad "shorter copy: $(grep -A2 -F "Last entry" short-cover.txt | tr '\n' ' ')"
[ -s ar-cover.png ] && [ -s short-cover.png ] && ok "covers rendered (ar-cover.png, short-cover.png)" || bad "covers not rendered"
# phr show and phr verify say the same, for the reader to compare
expect 0 "show the shorter copy" -- "$PHR" show --lang en --trust trust.bundle "$A-x.phr"
grep -qx "Entries in this record: 2" "$W/out" && grep -qx "Last entry: 2025-07-01T00:00:00Z · Berlin Health Centre (Germany)" "$W/out" &&
	ok "show: 2 entries, the last signed 2025-07-01 by Berlin" || bad "show: $(head -4 "$W/out" | tr '\n' '|')"
expect 0 "verify the longer copy" -- "$PHR" verify --trust trust.bundle "$A-3.phr"
grep -qx "record [0-9a-f]\{32\}: 3 entries, the last signed 2025-07-02T00:00:00Z by Berlin Health Centre (DE), all valid" "$W/out" &&
	ok "verify: 3 entries, the last signed 2025-07-02 by Berlin" || bad "verify: $(tail -1 "$W/out")"

# Unverified: no trust bundle, and an entry whose signer is unknown
expect 0 "print without a trust bundle" -- "$PHR" print --lang en,fr "$A.phr" --out untrusted.pdf
message "is not verified (no trust bundle" "no trust bundle"
has_text untrusted.pdf "WARNING: this record could not be verified" "no trust bundle"
has_text untrusted.pdf "Signature valid, signer not checked" "no trust bundle"
has_text untrusted.pdf "NOT VERIFIED" "no trust bundle"
# a clinic certified by an authority the bundle does not list extends the record
expect 0 "another authority" -- "$PHR" authority init --name "Unknown Authority" --country IT --out other.key
expect 0 "its clinic" -- "$PHR" clinic init --name "Rome Clinic" --country IT --out c3.key
expect 0 "certify it" -- "$PHR" authority certify --key other.key --clinic c3.pub --days 365 --from 2025-01-01 --out c3.cert
PHR_NOW=2025-07-01 expect 0 "extend by the unknown clinic" -- "$PHR" extend --key c3.key --cert c3.cert --in "$A.phr" \
	--entry "$SRC/examples/entries/vaccination-given.json" --out unknown.phr
expect 0 "print with an unknown signer" -- "$PHR" print --lang ar,en --trust trust.bundle --format json unknown.phr --out unknown.pdf
[ "$(flag verified "$W/out")" = false ] && ok "unknown signer: JSON says not verified" || bad "unknown signer: JSON verified"
message "entry 1: unknown_signer" "unknown signer"
has_text unknown.pdf "WARNING: this record could not be verified" "unknown signer"
has_text unknown.pdf "Entry 1 · Signature valid" "unknown signer"
has_text unknown.pdf "Entry 2 · Unknown signer" "unknown signer"
has_text unknown.pdf "NOT VERIFIED" "unknown signer"
has_text unknown.pdf "1 of 2 entries verified" "unknown signer"
# every line of the unknown entry is marked: as many marks as phr show has lines for entry 2
"$PHR" show --lang en --trust trust.bundle unknown.phr | sed -n '/^== Entry 2/,$p' | grep -cE '^(  )+[^ ]' >lines2
marks=$(text unknown.pdf | grep -oF "NOT VERIFIED" | wc -l)
[ "$marks" = "$(cat lines2)" ] && ok "unknown signer: all $marks lines of the unverified entry are marked" ||
	bad "unknown signer: $marks marks for $(cat lines2) lines of the unverified entry"

# Text for people (docs/PRINT.md, "What the pages say"): the holder's
# column, on the left, names coded terms without their codes and writes
# units as people do, with the language's decimal separator; the clinic's
# column, on the right, keeps the codes.
# column FILE.pdf left|right: that half of every A6 page, as text (the gap
# between the columns is 50-55 mm from the left edge on either side of a leaf)
column() {
	pdftotext -q -x "$([ "$2" = right ] && echo 150 || echo 0)" -y 0 -W 148 -H 420 "$1" - | sed 's/\xc2\xa0/ /g' | tr '\n' ' '
}
people() { # people FILE.pdf HOLDER_SHOWS CLINIC_SHOWS DESCRIPTION
	local h c
	h=$(column "$1" left)
	c=$(column "$1" right)
	grep -qF -- "$2" <<<"$h" && ok "$4: the holder's column says '$2'" || bad "$4: the holder's column lacks '$2': $h"
	grep -qF -- "$3" <<<"$c" && ok "$4: the clinic's column says '$3'" || bad "$4: the clinic's column lacks '$3': $c"
	grep -qE '\[(loinc|icd11|icd10|atc|snomed):' <<<"$h" && bad "$4: a code in the holder's column: $h" ||
		ok "$4: no code in the holder's column"
	grep -qE '\[(loinc|icd11|atc):' <<<"$c" && ok "$4: codes in the clinic's column" || bad "$4: no code in the clinic's column"
	grep -qE '(^|[^A-Za-z])Cel([^A-Za-z]|$)|mm\[Hg\]|kg/m2' <<<"$h $c" && bad "$4: a UCUM code on the pages" ||
		ok "$4: no UCUM code on the pages"
}
expect 0 "print the child's record, German and English" -- "$PHR" print --lang de,en --trust trust.bundle \
	child-no-vaccination-documents.phr --out people-de.pdf
people people-de.pdf "36,8 °C" "Value: 36.8 °C" "de,en"
people people-de.pdf "Windpocken" "[icd11:1E90]" "de,en"
expect 0 "print the older man's record, English and French" -- "$PHR" print --lang en,fr --trust trust.bundle \
	older-man-chronic.phr --out people-en.pdf
people people-en.pdf "Value: 162 mmHg" "162 mmHg" "en,fr"
people people-en.pdf "29.7 kg/m²" "29,7 kg/m²" "en,fr"

# PNG pages
mkdir -p png
expect 0 "print --png" -- "$PHR" print --png --dpi 300 --lang en,ar --trust trust.bundle --format json "$A-3.phr" --out png/book.png
n=$(field pages "$W/out")
[ -f png/book-01.png ] && [ "$(find png -name 'book-*.png' | wc -l)" = "$n" ] && ok "--png: $n files book-01.png ..." || bad "--png files"
expect 0 "scan the PNG pages" -- "$PHR" scan --out png.phr png/book-*.png
same png.phr "$A-3.phr" "PNG pages restore the record"

# Layouts from files: an A5 booklet that no code knows of, by path and on PHR_LAYOUT_PATH
mkdir -p mylayouts
sed -e 's/"name": "a6-booklet"/"name": "a5-booklet"/' -e 's/"width_mm": 105, "height_mm": 148/"width_mm": 148, "height_mm": 210/' \
	"$SRC/layouts/pages/a6-booklet.json" >mylayouts/a5-booklet.json
expect 0 "--layout FILE.json" -- "$PHR" print --layout mylayouts/a5-booklet.json --lang en,fr --trust trust.bundle "$A.phr" --out a5.pdf
pdfinfo a5.pdf | grep -q 'Page size: *419.528 x 595.276' && ok "A5 pages" || bad "A5 page size: $(pdfinfo a5.pdf | grep 'Page size')"
expect 0 "PHR_LAYOUT_PATH" -- env PHR_LAYOUT_PATH="$W/nowhere:$W/mylayouts" "$PHR" print --layout a5-booklet --lang en,fr --trust trust.bundle "$A.phr" --out a5b.pdf
pdftoppm -r 300 -png a5b.pdf a5b
expect 0 "scan the A5 booklet" -- "$PHR" scan --out a5.phr a5b-*.png
same a5.phr "$A.phr" "a layout from PHR_LAYOUT_PATH restores the record"
sed 's/"bleed_mm"/"bleed_nm"/' "$SRC/layouts/pages/a6-booklet.json" >mylayouts/typo.json
expect 3 "a layout with an unknown key" -- "$PHR" print --layout mylayouts/typo.json "$A.phr" --out x.pdf
message "page.bleed_nm: unknown key" "layout typo"
expect 2 "an unknown layout" -- "$PHR" print --layout a7-leaflet "$A.phr" --out x.pdf
message "a6-booklet, id1-card, a4-booklet-sheet" "unknown layout"
[ ! -e x.pdf ] && ok "nothing written after a failed print" || bad "a failed print left x.pdf"

# Command line
expect 2 "--lang xx" -- "$PHR" print --lang xx,en "$A.phr" --out x.pdf
expect 2 "--batch without --trust" -- "$PHR" print --batch . --out x.pdf
expect 2 "no --out" -- "$PHR" print "$A.phr"
expect 3 "a file that is not a record" -- "$PHR" print --trust trust.bundle trust.bundle --out x.pdf
expect 0 "--list-layouts" -- "$PHR" print --list-layouts
grep -q '^a4-booklet-sheet  *sheet' "$W/out" && ok "--list-layouts lists the sheet" || bad "--list-layouts"
"$PHR" print --help | grep -q "Usage: phr print" && ok "print --help" || bad "print --help"
"$PHR" --help | grep -q '^  print ' && ok "phr --help lists print" || bad "phr --help lacks print"

# ---- batches ----
# 1,000 records: copies of the signed examples (a print shop's batch is
# many records of the same few shapes; their content does not change memory).
mkdir -p b100 b1000
n=0
for k in $(seq 1 1000); do
	name=${records[$((k % ${#records[@]}))]}
	f=$(printf 'r%04d.phr' "$k")
	cp "$name.phr" "b1000/$f"
	[ "$k" -le 100 ] && cp "$name.phr" "b100/$f"
	n=$((n + 1))
done
peak() { # peak KB LOG -- command...: runs the command, its peak RSS (VmHWM) in KB into LOG
	local log=$1
	shift 2
	/usr/bin/time -f '%M' -o "$log.kb" "$@" >"$W/out" 2>"$W/err"
	local rc=$?
	cat "$log.kb" >"$log"
	return $rc
}
peak b100.kb -- "$PHR" print --layout a4-booklet-sheet --lang ar,en --trust trust.bundle --batch b100 --out b100.pdf
[ $? = 0 ] && ok "batch of 100" || bad "batch of 100"
grep -q '^phr print: 100/100 records (100%)' "$W/err" && ok "batch of 100: progress lines" || bad "batch of 100: no progress line"
peak b1000.kb -- "$PHR" print --layout a4-booklet-sheet --lang ar,en --trust trust.bundle --batch b1000 --format json --quiet --out b1000.pdf
[ $? = 0 ] && ok "batch of 1,000" || bad "batch of 1,000"
[ ! -s "$W/err" ] && ok "--quiet: nothing on stderr" || bad "--quiet printed: $(head -1 "$W/err")"
[ "$(field records_printed "$W/out")" = 1000 ] && ok "batch of 1,000: 1,000 records printed" || bad "batch of 1,000: $(field records_printed "$W/out") printed"
cp "$W/out" b1000.json
[ "$(pages_of b1000.pdf)" = "$(field output_pages b1000.json)" ] && ok "batch of 1,000: one PDF of $(pages_of b1000.pdf) sheet sides" || bad "batch PDF pages"
m100=$(tail -1 b100.kb)
m1000=$(tail -1 b1000.kb)
echo "    peak memory (VmHWM): 100 records $m100 KB, 1,000 records $m1000 KB"
if [ "$SANITIZED" = 1 ]; then
	ok "peak memory not compared under the sanitizers (their shadow memory and quarantine dominate)"
elif [ -n "$m100" ] && [ -n "$m1000" ] && [ $((m1000 * 10)) -le $((m100 * 11)) ]; then
	ok "peak memory for 1,000 records within 10% of that for 100"
else
	bad "peak memory for 1,000 records ($m1000 KB) is more than 10% above that for 100 ($m100 KB)"
fi
# the second record's sheets, out of the batch, scan back to it
fs=$(tr -d ' \n' <b1000.json | grep -o '"first_sheet":[0-9]*' | sed -n 2p | cut -d: -f2)
np=$(tr -d ' \n' <b1000.json | grep -o '"printed_pages":[0-9]*' | sed -n 2p | cut -d: -f2)
pdftoppm -r 300 -f $((2 * fs - 1)) -l $((2 * fs + np - 2)) -png b1000.pdf batch
expect 0 "scan the second record's sheets from the batch" -- "$PHR" scan --out batch.phr batch-*.png
same batch.phr "b1000/r0002.phr" "the batch's second booklet restores its record"

# an interrupted batch leaves nothing under the final name, and no partial file
"$PHR" print --layout a4-booklet-sheet --lang ar,en --trust trust.bundle --batch b1000 --quiet --out int.pdf &
pid=$!
for _ in $(seq 1 400); do
	compgen -G '.int.pdf.phr-partial-*' >/dev/null && break
	sleep 0.05
done
compgen -G '.int.pdf.phr-partial-*' >/dev/null && ok "interrupted batch: a partial file while it runs" || bad "interrupted batch: no partial file seen"
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ "$rc" = 130 ] && ok "interrupted batch: killed by SIGINT (exit 130)" || bad "interrupted batch: exit $rc"
[ ! -e int.pdf ] && ok "interrupted batch: no file under the final name" || bad "interrupted batch: int.pdf exists"
compgen -G '.int.pdf.phr-partial-*' >/dev/null && bad "interrupted batch: the partial file was left" || ok "interrupted batch: no partial file left"
"$PHR" print --layout a4-booklet-sheet --lang ar,en --trust trust.bundle --batch b100 --quiet --out term.pdf &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
[ ! -e term.pdf ] && ! compgen -G '.term.pdf.phr-partial-*' >/dev/null && ok "SIGTERM: no output and no partial file" || bad "SIGTERM left a file"

# bad records are skipped and listed; the others are printed
mkdir -p mixed
cp "$A.phr" mixed/1-good.phr
printf 'not a record' >mixed/2-garbage.phr
cp unknown.phr mixed/3-unknown-signer.phr
cp "${records[2]}.phr" mixed/4-good.phr
head -c 200 "$A.phr" >mixed/5-truncated.phr
expect 9 "batch with bad records" -- "$PHR" print --layout a4-booklet-sheet --lang en,fr --trust trust.bundle --batch mixed --format json --out mixed.pdf
message "skipped 3 of 5 records" "bad records"
message "mixed/2-garbage.phr:" "bad records"
message "mixed/3-unknown-signer.phr: entry 1: unknown_signer" "bad records"
message "mixed/5-truncated.phr:" "bad records"
[ "$(field records_printed "$W/out")" = 2 ] && [ "$(field records_skipped "$W/out")" = 3 ] && ok "bad records: 2 printed, 3 skipped (JSON)" || bad "bad records: JSON counts"
[ "$(pages_of mixed.pdf)" = "$(tr -d ' \n' <"$W/out" | grep -o '"output_pages":[0-9]*' | cut -d: -f2)" ] &&
	[ "$(tr -d ' \n' <"$W/out" | grep -o '"file":"mixed/[0-9]-good.phr"' | wc -l)" = 2 ] &&
	ok "bad records: the two good ones are in the PDF" || bad "bad records: $(pages_of mixed.pdf) pages"
printf '%s\n' "# a list" "mixed/2-garbage.phr" "" >list.txt
expect 9 "batch where nothing prints" -- "$PHR" print --layout a4-booklet-sheet --trust trust.bundle --batch list.txt --out none.pdf
message "nothing printed" "all skipped"
[ ! -e none.pdf ] && ok "all skipped: no file written" || bad "all skipped: none.pdf written"
printf '%s\n' "$A.phr" "${records[1]}.phr" >list2.txt
expect 0 "batch from a list on standard input" -- "$PHR" print --layout a6-booklet --lang en --trust trust.bundle --batch - --out list.pdf <list2.txt
[ "$(pages_of list.pdf)" -ge 16 ] && ok "batch list: two booklets in one PDF" || bad "batch list: $(pages_of list.pdf) pages"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
