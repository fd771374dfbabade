#!/usr/bin/env bash
# QR transport end to end, through real parts only: 'phr qr' draws codes with
# libqrencode and Cairo, 'phr scan' reads them back with ZBar, and
# ZXingReader (zxing-cpp, an independent decoder) must read every PNG phr
# writes to exactly the payload phr meant. For every example: Base45 and
# byte mode, with and without parity, one code and several; codes lost,
# damaged, foreign; two records in one scan; several codes on a page; a
# JPEG photo of a page.
# usage: qr.sh PHR QRTOOL SOURCE_ROOT
# shellcheck disable=SC2015 # "check && ok || bad": ok and bad always succeed
set -u
PHR=$(readlink -f "$1")
QRTOOL=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# json SUBSTRING DESCRIPTION: checks the last stdout with all blanks removed
json() {
	if tr -d ' \n' <"$W/out" | grep -qF -- "$1"; then ok "$2: JSON has $1"; else
		bad "$2: JSON lacks $1"
	fi
}
same() { # same FILE1 FILE2 DESCRIPTION
	if cmp -s "$1" "$2"; then ok "$3"; else bad "$3: $1 and $2 differ"; fi
}
hex() { od -An -v -tx1 | tr -d ' \n'; }
# field NAME FILE: a number from phr qr's JSON
field() { tr -d ' \n' <"$2" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
# pairs FILE: "png-file payload-hex" per code, from phr qr's JSON
pairs() {
	paste -d' ' <(sed -n 's/^ *"file": "\(.*\)",*$/\1/p' "$1") <(sed -n 's/^ *"payload_hex": "\(.*\)",*$/\1/p' "$1")
}
# payload N FILE: the hex payload of code N (from 1)
payload() { pairs "$2" | sed -n "$1p" | cut -d' ' -f2; }
# zxing FILE DESCRIPTION: ZXingReader reads every PNG phr wrote to its exact payload
# zxing-cpp 1.4's detector sometimes samples a correct symbol at some
# scales so that the payload comes back with extra digits after it (seen at
# 3, 4 and 6 px per module for one V19 symbol that 5, 7, 8 and 10 px read
# exactly). Such a read is accepted only when the payload is an exact prefix
# and ZXingReader -ispure (its decoder without the detector) reads the
# symbol exactly; it is reported, never silent.
zxing() {
	local n=0 wrong=0 f p got pure
	while read -r f p; do
		n=$((n + 1))
		got=$(ZXingReader -bytes "$f" 2>/dev/null | hex)
		if [ "$got" != "$p" ]; then
			pure=$(ZXingReader -ispure -bytes "$f" 2>/dev/null | hex)
			if [ "${got:0:${#p}}" = "$p" ] && [ "$pure" = "$p" ]; then
				echo "    note: ZXingReader's detector added bytes ${got:${#p}} after $(basename "$f")'s payload; -ispure reads it exactly"
				continue
			fi
			wrong=$((wrong + 1))
			echo "    ZXingReader read $(basename "$f") as '${got:0:40}...', want '${p:0:40}...'"
		fi
	done < <(pairs "$1")
	if [ "$n" -gt 0 ] && [ "$wrong" = 0 ]; then ok "$2: ZXingReader reads all $n PNGs to their payloads"; else
		bad "$2: ZXingReader misread $wrong of $n PNGs"
	fi
}
# without DIR N...: the PNGs of DIR except codes N... (numbers from 1)
without() {
	local d=$1 f num skip
	shift
	for f in "$d"/code-*.png; do
		num=$(basename "$f" | sed 's/^code-0*\([0-9]*\)-of-.*/\1/')
		skip=0
		for n in "$@"; do [ "$num" = "$n" ] && skip=1; done
		[ "$skip" = 1 ] || echo "$f"
	done
}

command -v ZXingReader >/dev/null || bad "ZXingReader (Debian zxing-cpp-tools) is not installed"

cd "$W" || exit 1
expect 0 "authority init" -- "$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key
expect 0 "clinic init" -- "$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out c1.key
expect 0 "certify clinic" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert
expect 0 "trust build" -- "$PHR" trust build --key auth.key --cert c1.cert --out trust.bundle
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub

# configurations: tag and phr qr options (the small --max-version makes several codes)
configs=("one:" "b45:--max-version 6" "b45-parity:--max-version 6 --parity 2"
	"bytes:--bytes --max-version 6" "bytes-parity:--bytes --max-version 6 --parity 2")
names=()
for ex in "$SRC"/examples/*.json; do
	name=$(basename "$ex" .json)
	names+=("$name")
	expect 0 "$name: issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name.phr"
	expect 0 "$name: issue unsealed" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name-unsealed.phr" --no-seal
	expect 0 "$name: qr unsealed" -- "$PHR" qr --format json --out-dir "$name-unsealed" "$name-unsealed.phr"
	[ "$(find "$name-unsealed" -name 'code-*.png' | wc -l)" = 1 ] && ok "$name: unsealed, fits one code at the defaults" ||
		bad "$name: unsealed, more than one code at the defaults"
	"$PHR" show --trust trust.bundle --lang en "$name.phr" >"$name.show.txt" 2>/dev/null
	"$PHR" show --trust trust.bundle --lang fr "$name.phr" >"$name.show-fr.txt" 2>/dev/null
	"$PHR" show --trust trust.bundle --format json "$name.phr" >"$name.show.json" 2>/dev/null
	for cfg in "${configs[@]}"; do
		tag=${cfg%%:*}
		opts=${cfg#*:}
		d=$name-$tag
		# shellcheck disable=SC2086
		expect 0 "$d: qr" -- "$PHR" qr $opts --format json --out-dir "$d" "$name.phr"
		cp "$W/out" "$d.json"
		k=$(field k "$d.json")
		m=$(field m "$d.json")
		count=$(find "$d" -name 'code-*.png' | wc -l)
		[ -n "$k" ] && [ "$count" = $((k + m)) ] && ok "$d: one PNG per code ($count)" || bad "$d: $count PNGs for k=$k m=$m"
		case $tag in
		# sealed sections (on by default) cost 65-160 bytes compressed
		# (docs/PERFORMANCE.md, "Sealed sections"): a sealed assessment
		# may need a second code; unsealed, each fits one (checked below)
		one) [ "$count" -le 2 ] && ok "$d: fits two codes at the defaults ($count)" || bad "$d: $count codes at the defaults" ;;
		*) [ "$count" -ge 3 ] && ok "$d: several codes ($count)" || bad "$d: only $count codes at --max-version 6" ;;
		esac
		case $tag in *parity) [ "$m" = 2 ] && ok "$d: two parity codes" || bad "$d: m=$m" ;; esac
		zxing "$d.json" "$d"
		expect 0 "$d: scan" -- "$PHR" scan --trust trust.bundle --out "$d.phr" "$d"/code-*.png
		same "$d.phr" "$name.phr" "$d: scan restores the container byte for byte"
		message "restored from $count of $count codes" "$d: scan"
	done

	d=$name-b45-parity
	k=$(field k "$d.json")
	# shellcheck disable=SC2046
	expect 0 "$d: scan without codes 1 and 3" -- "$PHR" scan --out "$d-lost2.phr" $(without "$d" 1 3)
	same "$d-lost2.phr" "$name.phr" "$d: two lost codes restored from parity"
	# shellcheck disable=SC2046
	expect 8 "$d: scan without codes 1, 2 and 3" -- "$PHR" scan --out "$d-lost3.phr" $(without "$d" 1 2 3)
	message "codes 1, 2 and 3 missing; 1 more code (any of the missing) would restore it" "$d: three lost codes"
	[ ! -e "$d-lost3.phr" ] && ok "$d: nothing saved from an incomplete scan" || bad "$d: incomplete scan saved a file"
	# shellcheck disable=SC2046
	expect 8 "$d: scan without codes 1, 2 and 3, JSON" -- "$PHR" scan --format json $(without "$d" 1 2 3)
	json "\"k\":$k,\"m\":2,\"have\":$((k - 1)),\"complete\":false,\"missing\":[1,2,3],\"need\":1" "$d: incomplete set"
	json '"records":[]' "$d: no record"

	d=$name-bytes
	# shellcheck disable=SC2046
	expect 8 "$d: scan without code 2" -- "$PHR" scan $(without "$d" 2)
	message "code 2 missing; 1 more code would restore it" "$d: one lost code without parity"

	# shown exactly as phr show shows it
	expect 0 "$name: scan --lang en" -- "$PHR" scan --trust trust.bundle --lang en "$name-one"/code-*.png
	same "$W/out" "$name.show.txt" "$name: scan's text is phr show's text"
	expect 0 "$name: scan --lang fr" -- "$PHR" scan --trust trust.bundle --lang fr "$name-b45"/code-*.png
	same "$W/out" "$name.show-fr.txt" "$name: scan's French text is phr show's"
	expect 0 "$name: scan --format json" -- "$PHR" scan --trust trust.bundle --format json "$name-bytes"/code-*.png
	json "\"records\":[$(tr -d ' \n' <"$name.show.json")]" "$name: scan's record is phr show's JSON"
	n=$(find "$name-bytes" -name 'code-*.png' | wc -l)
	json "\"scan\":{\"images\":$n,\"images_read\":$n,\"codes_found\":$n,\"codes_not_ours\":0,\"bad_checksums\":0" "$name: scan counts"
	json "\"have\":$n,\"complete\":true" "$name: the set"
	json '"verified":true' "$name: verified"
done

A=${names[0]}
B=${names[1]}
a_id=$(sed -n 's/^ *"record_id": "\(.*\)",*$/\1/p' "$A-one.json")
b_id=$(sed -n 's/^ *"record_id": "\(.*\)",*$/\1/p' "$B-one.json")

# several codes on one page, and a phone photo of it
expect 0 "page of codes" -- "$QRTOOL" page page.png 3 "$A-b45-parity"/code-*.png
expect 0 "scan a page with several codes" -- "$PHR" scan --out page.phr page.png
same page.phr "$A.phr" "several codes on one page restore the record"
n=$(find "$A-b45-parity" -name 'code-*.png' | wc -l)
message "restored from $n of $n codes" "page"
expect 0 "photo of the page (JPEG)" -- "$QRTOOL" photo page.png photo.jpg 4 70
[ "$(head -c 3 photo.jpg | hex)" = ffd8ff ] && ok "photo.jpg is a JPEG" || bad "photo.jpg is not a JPEG"
expect 0 "scan a JPEG photo" -- "$PHR" scan --trust trust.bundle --out photo.phr photo.jpg
same photo.phr "$A.phr" "a JPEG photo restores the record"

# two records in one scan: kept apart, both shown
# shellcheck disable=SC2046
expect 0 "scan two records' codes" -- "$PHR" scan --trust trust.bundle --lang en "$A-b45"/code-*.png "$B-bytes"/code-*.png
[ "$(grep -c '^Personal Health Record' "$W/out")" = 2 ] && ok "two records shown" || bad "two records: $(grep -c '^Personal Health Record' "$W/out") shown"
message "record ${a_id:0:8}: restored" "two records"
message "record ${b_id:0:8}: restored" "two records"
expect 0 "page with two records' codes" -- "$QRTOOL" page page2.png 4 "$A-b45"/code-*.png "$B-bytes"/code-*.png
expect 0 "scan a page of two records, JSON" -- "$PHR" scan --format json page2.png
json "\"record_id\":\"$a_id\"" "two records on a page"
json "\"record_id\":\"$b_id\"" "two records on a page"
[ "$(tr -d ' \n' <"$W/out" | grep -o '"restored":true' | wc -l)" = 2 ] && ok "two sets restored" || bad "two sets restored"
expect 2 "--out with two records" -- "$PHR" scan --out two.phr page2.png
message "--record" "--out with two records"
[ ! -e two.phr ] && ok "nothing saved when --out is ambiguous" || bad "ambiguous --out saved a file"
expect 0 "--record chooses one" -- "$PHR" scan --record "${b_id:0:10}" --out two.phr page2.png
same two.phr "$B.phr" "--record saves the chosen record"
message "ignored (not --record" "--record"

# Several documents in one photo: a near booklet's code read by the first
# pass completes its record, and the scan must go on for the others (a
# booklet farther away, a wallet card's smaller modules) and report every
# record; a code seen and not read is named, and the exit status says so.
C=${names[2]}
c_id=$(sed -n 's/^ *"record_id": "\(.*\)",*$/\1/p' "$C-one.json")
expect 0 "near booklet code" -- "$PHR" qr --module-px 11 --out-dir near "$A.phr"
expect 0 "far booklet code" -- "$PHR" qr --module-px 2 --out-dir far "$B.phr"
expect 0 "wallet card code" -- "$PHR" qr --module-px 4 --out-dir card "$C.phr"
expect 0 "third booklet code" -- "$PHR" qr --module-px 3 --out-dir third "$C.phr"
expect 0 "two documents" -- "$QRTOOL" page docs2.png 2 near/code-*.png far/code-*.png
expect 0 "two documents, photo" -- "$QRTOOL" photo docs2.png docs2.jpg 5 85
expect 0 "card beside a booklet" -- "$QRTOOL" page card.png 2 card/code-*.png near/code-*.png
expect 0 "card beside a booklet, photo" -- "$QRTOOL" photo card.png card.jpg 4 85
expect 0 "three documents" -- "$QRTOOL" page docs3.png 3 "$A-one"/code-*.png far/code-*.png third/code-*.png
expect 0 "three documents, photo" -- "$QRTOOL" photo docs3.png docs3.jpg 7 80
for f in docs2.png docs2.jpg card.jpg docs3.png docs3.jpg; do
	case $f in docs2*) ids="$a_id $b_id" ;; card*) ids="$a_id $c_id" ;; *) ids="$a_id $b_id $c_id" ;; esac
	n=$(echo "$ids" | wc -w)
	expect 0 "$f: every record" -- "$PHR" scan --format json "$f"
	for id in $ids; do json "\"restored\":true,\"record_id\":\"$id\"" "$f"; done
	[ "$(tr -d ' \n' <"$W/out" | grep -o '"trust_checked"' | wc -l)" = "$n" ] && ok "$f: $n records listed" ||
		bad "$f: $(tr -d ' \n' <"$W/out" | grep -o '"trust_checked"' | wc -l) records listed, want $n"
	json '"codes_unread":0' "$f"
	expect 0 "$f: text" -- "$PHR" scan --lang en "$f"
	[ "$(grep -c '^Personal Health Record' "$W/out")" = "$n" ] && ok "$f: $n records shown" || bad "$f: records shown"
	for id in $ids; do message "record ${id:0:8}: restored" "$f"; done
done
expect 0 "a code with its middle blotted out" -- "$QRTOOL" blot third/code-01-of-01.png blotted.png
expect 0 "a record beside a code that cannot be read" -- "$QRTOOL" page unread.png 2 "$A-one"/code-*.png blotted.png
expect 8 "scan with a code seen and not read" -- "$PHR" scan unread.png
message "unread.png: code at" "unread code"
message "a code is there but could not be read" "unread code"
message "1 code seen but not read" "unread code"
message "record ${a_id:0:8}: restored" "the readable record beside it"
expect 8 "scan with a code seen and not read, JSON" -- "$PHR" scan --format json unread.png
json '"problem":"unread_code"' "unread code"
json '"codes_unread":1' "unread code"
json "\"restored\":true,\"record_id\":\"$a_id\"" "the readable record beside it"

# one record printed twice, cut two ways: restored twice, shown and saved once
cp -r "$A-b45" stale
n=$(find stale -name 'code-*.png' | wc -l)
expect 0 "qr into a directory of an earlier cut" -- "$PHR" qr --format json --out-dir stale "$A.phr"
message "stale also holds $n code images of an earlier run" "earlier codes left in the directory"
cp "$W/out" stale.json
zxing stale.json "stale"
expect 0 "scan two prints of one record" -- "$PHR" scan --format json --out twice.phr stale/code-*.png
message "restored again from" "two prints of one record"
[ "$(tr -d ' \n' <"$W/out" | grep -o '"trust_checked"' | wc -l)" = 1 ] && ok "two prints of one record: shown once" || bad "two prints of one record shown more than once"
[ "$(tr -d ' \n' <"$W/out" | grep -o '"restored":true,"record_id":"[0-9a-f]*","record":0' | wc -l)" = 2 ] &&
	ok "two prints of one record: both sets point to record 0" || bad "two prints of one record: sets"
same twice.phr "$A.phr" "two prints of one record: saved once"

# a damaged code (checksum fails) is named and ignored
P=$A-b45-parity
expect 0 "tampered Base45 chunk" -- "$QRTOOL" tamper "$(payload 1 "$P.json")" tampered.png
[ "$(ZXingReader -bytes tampered.png | hex)" != "$(payload 1 "$P.json")" ] && ok "the tampered code holds other bytes" || bad "tamper changed nothing"
# shellcheck disable=SC2046
expect 0 "scan with a damaged code" -- "$PHR" scan --out tampered.phr tampered.png $(without "$P" 1)
message "tampered.png: code at" "damaged code"
message "phr code 1 of $(find "$P" -name 'code-*.png' | wc -l) (as its header reads): checksum mismatch" "damaged code"
same tampered.phr "$A.phr" "a damaged code is ignored and parity restores the record"
# shellcheck disable=SC2046
expect 0 "scan with a damaged code, JSON" -- "$PHR" scan --format json tampered.png $(without "$P" 1)
json '"bad_checksums":1' "damaged code"
json '"problem":"bad_checksum"' "damaged code"
P=$A-bytes
expect 0 "tampered byte-mode chunk" -- "$QRTOOL" tamper "$(payload 2 "$P.json")" tampered2.png
# shellcheck disable=SC2046
expect 8 "damaged code without parity" -- "$PHR" scan tampered2.png $(without "$P" 2)
message "tampered2.png: code at" "damaged byte-mode code"
message "checksum mismatch" "damaged byte-mode code"
message "code 2 missing" "damaged byte-mode code"

# codes that are not ours are reported, not fatal
url="https://example.org/vaccination-campaign"
expect 0 "URL code" -- "$QRTOOL" code bytes "$(printf '%s' "$url" | hex)" url.png
expect 0 "text code" -- "$QRTOOL" code text "$(printf 'HELLO WORLD 42' | hex)" hello.png
expect 0 "scan with foreign codes" -- "$PHR" scan --out foreign.phr url.png "$A-b45"/code-*.png hello.png
message "url.png: code at" "foreign code"
message "not a phr code (\"$url\")" "foreign code"
message "not a phr code (\"HELLO WORLD 42\")" "foreign text code"
same foreign.phr "$A.phr" "foreign codes do not stop the scan"
expect 8 "scan of only a foreign code" -- "$PHR" scan url.png
message "no phr code found in 1 image" "only a foreign code"
expect 0 "scan with foreign codes, JSON" -- "$PHR" scan --format json url.png hello.png "$A-b45"/code-*.png
json '"codes_not_ours":2' "foreign codes"

# images that cannot be read: named, and the scan goes on
printf 'not a picture\n' >garbage.png
expect 6 "scan with a missing image" -- "$PHR" scan --out missing.phr "$A-b45"/code-*.png missing.png
message "missing.png" "missing image"
message "going on with the other images" "missing image"
same missing.phr "$A.phr" "the other images still restore the record"
expect 3 "scan with an image that is not a picture" -- "$PHR" scan garbage.png "$A-b45"/code-*.png
message "garbage.png" "not a picture"
[ -s "$W/out" ] && ok "the record is shown despite the bad image" || bad "no record shown after a bad image"
expect 6 "scan of nothing readable" -- "$PHR" scan missing.png
expect 0 "blank page" -- "$QRTOOL" page blank.png 1
expect 8 "scan of a page without codes" -- "$PHR" scan blank.png
message "no phr code found" "blank page"

# progress: one line per image with --verbose (stderr is not a terminal here)
expect 0 "scan --verbose" -- "$PHR" scan --verbose "$A-b45"/code-*.png
n=$(find "$A-b45" -name 'code-*.png' | wc -l)
[ "$(grep -c '^phr scan: \[[0-9]*/'"$n"'\]' "$W/err")" = "$n" ] && ok "one progress line per image" || bad "progress lines"
expect 0 "scan, not verbose" -- "$PHR" scan "$A-b45"/code-*.png
grep -q '^phr scan: \[' "$W/err" && bad "progress lines without --verbose off a terminal" || ok "no progress lines off a terminal"

# phr qr: SVG, limits, command line
expect 0 "qr --svg" -- "$PHR" qr --svg --max-version 6 --format json --out-dir svg "$A.phr"
cp "$W/out" svg.json
zxing svg.json "--svg"
[ "$(find svg -name 'code-*.svg' | wc -l)" = "$(find svg -name 'code-*.png' | wc -l)" ] && grep -q '<svg' svg/code-01-of-*.svg &&
	ok "an SVG beside every PNG" || bad "SVG files"
expect 0 "qr --ecc H --module-px 3" -- "$PHR" qr --ecc H --module-px 3 --format json --out-dir h "$A.phr"
grep -q '"ecc": "H"' "$W/out" && ok "ECC H in the JSON" || bad "ECC H"
cp "$W/out" h.json
zxing h.json "ECC H, 3 px modules"
expect 0 "scan ECC H" -- "$PHR" scan --out h.phr h/code-*.png
same h.phr "$A.phr" "ECC H restores"
expect 4 "qr --max-version 1" -- "$PHR" qr --max-version 1 --out-dir v1 "$A.phr"
message "--max-version" "record too big for version 1"
expect 3 "qr of a file that is not a record" -- "$PHR" qr --out-dir x garbage.png
message "garbage.png" "qr of a non-record"
expect 2 "qr without --out-dir" -- "$PHR" qr "$A.phr"
expect 2 "qr --ecc X" -- "$PHR" qr --ecc X --out-dir x "$A.phr"
expect 2 "qr --max-version 41" -- "$PHR" qr --max-version 41 --out-dir x "$A.phr"
expect 2 "scan without images" -- "$PHR" scan --trust trust.bundle
expect 2 "scan --lang xx" -- "$PHR" scan --lang xx "$A-one"/code-*.png
for cmd in qr scan; do
	"$PHR" $cmd --help >"$W/out" 2>&1 && grep -q "Usage: phr $cmd" "$W/out" && ok "$cmd --help" || bad "$cmd --help"
done
"$PHR" --help | grep -q '^  scan ' && ok "phr --help lists scan" || bad "phr --help lacks scan"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
