#!/usr/bin/env bash
# Printed codes that survive the loss of any one of them (docs/PRINT.md,
# "Codes"), end to end: every example record, and each with three
# follow-up entries, printed on every layout that carries codes (a6-booklet,
# id1-card, a4-booklet-sheet), rendered by pdftoppm at 300 dpi as a print
# shop's RIP would. Each code in turn is painted over with white (where
# ZXingReader finds it) and 'phr scan' must still restore the record byte
# for byte. The pages of a booklet that carry codes are never the two sides
# of one leaf nor facing pages; a data code and its copy are on two pages
# (two card faces); a print-shop sheet side alone restores its record. The
# wallet card carries every one of these records, on both faces, and says
# so when a record is larger than the largest it carries.
# usage: print_codes.sh PHR PNGFILL SOURCE_ROOT
# shellcheck disable=SC2015 # "check && ok || bad": ok and bad always succeed
set -u
PHR=$(readlink -f "$1")
PNGFILL=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# fontconfig keeps its parsed configuration for the life of the process
# (as in print.sh): that alone is suppressed under LeakSanitizer
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
CARD_CARRIES=1250 # bytes: the largest record on the wallet card (docs/PRINT.md; tests/unit/test_print.c)

same() { # same FILE1 FILE2 DESCRIPTION
	if cmp -s "$1" "$2"; then ok "$3"; else bad "$3: $1 and $2 differ"; fi
}
field() { tr -d ' \n' <"$2" | grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
flag() { tr -d ' \n' <"$2" | grep -o "\"$1\":[a-z]*" | head -1 | cut -d: -f2; }
# codes_on PNG: "x0 y0 x1 y1" of every QR code ZXingReader finds on the page
codes_on() {
	ZXingReader -format QRCode "$1" 2>/dev/null | awk '/^Position:/ {
		x0 = y0 = 1e9; x1 = y1 = 0
		for (i = 2; i <= NF; i++) {
			split($i, p, "x")
			if (p[1] < x0) x0 = p[1]; if (p[1] > x1) x1 = p[1]
			if (p[2] < y0) y0 = p[2]; if (p[2] > y1) y1 = p[2]
		}
		print x0, y0, x1, y1 }'
}
# png_size PNG: "width height" from its header
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'; }
# page number of pdftoppm's PREFIX-07.png
num() { basename "$1" .png | sed 's/.*-0*\([0-9][0-9]*\)$/\1/'; }
# together P Q: two booklet pages that one tear or stain takes together: the
# two sides of one leaf (2i+1, 2i+2) or two facing pages (2i, 2i+1)
together() { [ $((($1 - 1) / 2)) = $((($2 - 1) / 2)) ] || [ $(($1 / 2)) = $(($2 / 2)) ]; }

for tool in pdftoppm ZXingReader; do
	command -v "$tool" >/dev/null || bad "$tool is not installed (poppler-utils, zxing-cpp-tools)"
done

cd "$W" || exit 1
two_clinics "Lesvos Reception Clinic" GR "Berlin Health Centre" DE

# extend IN OUT DAY ENTRY: one follow-up by the second clinic, on 2025-06-DAY
extend() {
	PHR_NOW=2025-06-$3 expect 0 "$2: extend" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert \
		--in "$1" --entry "$SRC/examples/entries/$4.json" --out "$2"
}
# Every example, and each with three follow-up entries (issued on the
# 15th, followed up on the 16th to the 18th, printed on the 20th).
records=()
for ex in "$SRC"/examples/*.json; do
	name=$(basename "$ex" .json)
	expect 0 "$name: issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name.phr"
	extend "$name.phr" "$name-1.phr" 16 lab-result-referral
	extend "$name-1.phr" "$name-2.phr" 17 vaccination-given
	extend "$name-2.phr" "$name-f3.phr" 18 lab-result-referral
	records+=("$name" "$name-f3")
done
export PHR_NOW=2025-06-20

langs=("ar,en" "en,fr" "fa,el" "uk,en" "fr,ar" "en,fa" "de,uk" "el,ar")
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
		# sealed sections (on by default) make a record 65-160 bytes
		# larger (docs/PERFORMANCE.md): the pregnant woman's with three
		# follow-ups passes what the card carries, and the card says so
		if [ "$layout" = id1-card ] && [ "$(stat -c %s "$name.phr")" -gt "$CARD_CARRIES" ]; then
			[ "$(flag fit "$d.json")" = false ] && [ "$(field card_holds "$d.json")" = 3 ] &&
				ok "$d: $(stat -c %s "$name.phr") bytes, over the $CARD_CARRIES the card carries: printed without codes, and says so" ||
				bad "$d: over the card's capacity, but fit=$(flag fit "$d.json")"
			continue
		fi
		[ "$(flag fit "$d.json")" = true ] && ok "$d: the codes fit ($(stat -c %s "$name.phr") bytes, $k + $m codes, $(field module_mm "$d.json") mm modules)" ||
			bad "$d: the codes do not fit"
		[ "${m:-0}" -ge 1 ] && ok "$d: $m parity code(s) for $k data code(s)" || bad "$d: no parity"
		n=$((k + m))
		rm -f "$d"-*.png
		pdftoppm -r 300 -png "$d.pdf" "$d"
		: >"$d.boxes"
		for f in "$d"-*.png; do
			codes_on "$f" | while read -r x0 y0 x1 y1; do echo "$f $x0 $y0 $x1 $y1"; done >>"$d.boxes"
		done
		[ "$(wc -l <"$d.boxes")" = "$n" ] && ok "$d: ZXingReader finds the $n codes" ||
			bad "$d: ZXingReader finds $(wc -l <"$d.boxes") codes, $n printed"
		mapfile -t pages < <(cut -d' ' -f1 "$d.boxes" | sort -u)
		[ "${#pages[@]}" -ge 1 ] || continue
		# where the codes are
		case $layout in
		a6-booklet)
			far=1
			for ((a = 0; a < ${#pages[@]}; a++)); do
				for ((b = a + 1; b < ${#pages[@]}; b++)); do
					together "$(num "${pages[a]}")" "$(num "${pages[b]}")" && far=0
				done
			done
			[ "$far" = 1 ] && ok "$d: no two pages of codes on one leaf or facing (pages $(for p in "${pages[@]}"; do num "$p"; done | tr '\n' ' '))" ||
				bad "$d: pages of codes on one leaf or facing: $(for p in "${pages[@]}"; do num "$p"; done | tr '\n' ' ')"
			;;
		id1-card)
			[ "${#pages[@]}" = 2 ] && ok "$d: codes on both faces" || bad "$d: codes on ${#pages[@]} face(s)"
			;;
		a4-booklet-sheet)
			if [ "${#pages[@]}" = 1 ]; then
				ok "$d: every code on one sheet side ($(basename "${pages[0]}"))"
				expect 0 "$d: scan that side alone" -- "$PHR" scan --out "$d-side.phr" "${pages[0]}"
				same "$d-side.phr" "$name.phr" "$d: one sheet side restores the record"
			else
				bad "$d: codes on ${#pages[@]} sheet sides"
			fi
			;;
		esac
		# a data code and its copy: on two pages (a sheet side holds four
		# pages, one in each quarter)
		if [ "$k" = 1 ]; then
			while read -r f x0 y0 x1 y1; do
				if [ "$layout" = a4-booklet-sheet ]; then
					read -r w h < <(png_size "$f")
					echo "$f $(((x0 + x1) / w)) $(((y0 + y1) / h))"
				else
					echo "$f"
				fi
			done <"$d.boxes" | sort | uniq -d | grep -q . && bad "$d: one data code and its copy on one page" ||
				ok "$d: a data code and its copy on two pages"
		fi
		# each code in turn painted over: the others restore the record
		j=0
		while read -r f x0 y0 x1 y1; do
			j=$((j + 1))
			rm -rf "$d-blank"
			mkdir "$d-blank"
			cp "${pages[@]}" "$d-blank/"
			"$PNGFILL" "$f" "$d-blank/$(basename "$f")" $((x0 - 8)) $((y0 - 8)) $((x1 + 8)) $((y1 + 8))
			before=$(codes_on "$f" | wc -l)
			after=$(codes_on "$d-blank/$(basename "$f")" | wc -l)
			[ "$after" = $((before - 1)) ] || bad "$d: code $j is still readable after it was painted over"
			if "$PHR" scan --out "$d-blank.phr" "$d-blank"/*.png >"$W/out" 2>"$W/err" && cmp -s "$d-blank.phr" "$name.phr"; then
				ok "$d: code $j of $n painted over ($(basename "$f")): the record is restored byte for byte"
			else
				bad "$d: code $j of $n painted over ($(basename "$f")): not restored"
				sed 's/^/    /' "$W/err" | head -4
			fi
		done <"$d.boxes"
	done
done

# The largest record the wallet card carries: one of the records extended
# until it is larger than that; the last one within it is printed with
# its codes, the first one beyond says on the card and on standard error
# what it leaves out.
r=${records[1]}
day=21
while [ "$(stat -c %s "$r.phr")" -le "$CARD_CARRIES" ] && [ "$day" -lt 28 ]; do
	fits=$r
	PHR_NOW=2025-06-$day expect 0 "extend $r" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert \
		--in "$r.phr" --entry "$SRC/examples/entries/vaccination-given.json" --out "big$day.phr"
	r=big$day
	day=$((day + 1))
done
PHR_NOW=2025-06-30
export PHR_NOW
big=$r
echo "    largest record within $CARD_CARRIES bytes: $(stat -c %s "$fits.phr") bytes; the next: $(stat -c %s "$big.phr") bytes"
expect 0 "card of $(stat -c %s "$fits.phr") bytes" -- "$PHR" print --layout id1-card --lang en,ar --trust trust.bundle --format json \
	"$fits.phr" --out fits.pdf
[ "$(flag fit "$W/out")" = true ] && ok "a record of $(stat -c %s "$fits.phr") bytes fits the card" || bad "a record of $(stat -c %s "$fits.phr") bytes does not fit the card"
pdftoppm -r 300 -png fits.pdf fits
expect 0 "scan both faces" -- "$PHR" scan --out fits-scan.phr fits-*.png
same fits-scan.phr "$fits.phr" "the card of $(stat -c %s "$fits.phr") bytes restores its record"
expect 0 "card of $(stat -c %s "$big.phr") bytes" -- "$PHR" print --layout id1-card --lang en,ar --trust trust.bundle --format json \
	"$big.phr" --out big.pdf
[ "$(flag fit "$W/out")" = false ] && [ "$(field card_holds "$W/out")" = 3 ] &&
	ok "a record of $(stat -c %s "$big.phr") bytes does not fit: the card holds 3 codes (JSON)" || bad "big record: $(tr -d '\n ' <"$W/out")"
grep -q "needs 4 QR codes of version [0-9]* (3 data, 1 parity) and the id1-card holds 3: it was printed without codes" "$W/err" &&
	ok "the command says what the card leaves out" || bad "the command's warning: $(cat "$W/err")"
pdftotext -q big.pdf - | tr '\n' ' ' | grep -qF "This record needs 4 codes; a wallet card holds at most 3. Use the booklet." &&
	ok "the card says what it leaves out" || bad "the card does not say it leaves the codes out"
pdftoppm -r 300 -png big.pdf big
[ "$(for f in big-*.png; do codes_on "$f"; done | wc -l)" = 0 ] && ok "nothing on that card looks like a code" || bad "a code on a card that says it has none"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
