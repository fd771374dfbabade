#!/usr/bin/env bash
# The holder key on the card (docs/CARD.md "The holder key", docs/PRIVACY.md):
# 'phr card write --holder-key' stores it with the record behind the PIN;
# 'phr card show' opens the sealed sections with it; a wrong PIN gives
# nothing of it; 'card read --holder-key-out' gives it back; a later write
# keeps it, a re-keyed record drops the old one; a write cut at every APDU
# leaves the old record with its key or the new with its own.
# Same pcscd and virtual card as card.sh (and the same lock).
# usage: card_seal.sh PHR VICC APDU SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
VICC=$(readlink -f "$2")
APDU=$(readlink -f "$3")
SRC=$(readlink -f "$4")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=card_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/card_env.sh"

cd "$W"
# Under AddressSanitizer: fontconfig (the key slip printed for
# --holder-key-qr) keeps a cache for the life of the process, which
# LeakSanitizer would report at exit (as in print.sh); that alone is
# suppressed.
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export PHR_PIN=123456
unset PHR_PUK PHR_NEW_PIN

two_clinics "Lesvos Reception Clinic" GR "Berlin Health Centre" DE

EX="$SRC/examples/pregnant-hepatitis-b.json"
# sealed values to look for, read from the input (as seal.sh does)
mapfile -t SECRET < <(jq -r '
	(.results[] | .test | select(test("loinc:(56888-1|75622-1|7917-8|5196-1|16933-4|22322-2|16935-9|16128-1|11259-9|13955-0|20507-0|22587-0|5292-8)$")) | sub("loinc:"; "")),
	(.pregnancy.expected_delivery // empty), (.notes // empty)' "$EX")
[ "${#SECRET[@]}" -ge 4 ] && ok "${#SECRET[@]} sealed values to look for" || bad "sealed values: ${SECRET[*]}"
no_secret() { # FILE WHAT
	local s found=""
	for s in "${SECRET[@]}" 'Pregnancy status' "$(cat key.txt)" "$(tr -d '-' <key.txt)"; do
		grep -qF -- "$s" "$1" && found="$found '$s'"
	done
	[ -z "$found" ] && ok "$2: nothing sealed, no key" || bad "$2 shows:$found"
}
expect 0 "issue, sealed" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out r.phr --holder-key-out key.txt
expect 0 "issue another record" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out other.phr --holder-key-out other.txt
printf '{"kind":"follow_up","date":"2025-06-10","notes":"Talked about violence at home."}\n' >e.json
expect 0 "extend with the key" -- "$PHR" extend --key c2.key --cert c2.cert --in r.phr --entry e.json --out r2.phr --holder-key key.txt
export PHR_NOW=2025-09-01

start_pcscd
vicc "$R0" card.state
expect 0 "format" -- env PHR_PUK=12345678 "$PHR" card format

# --- write with the key ---
expect 38 "write with another record's key: refused" -- "$PHR" card write --holder-key other.txt r.phr
message "not this record's holder key" "another record's key"
expect 27 "the refused write left the card empty" -- "$PHR" card read --out x.phr
expect 0 "write with the holder key" -- "$PHR" card write --holder-key key.txt r.phr
grep -q "with its holder key" "$W/out" && ok "write says: with its holder key" || bad "write: $(cat "$W/out")"
expect 0 "card show opens the sealed sections with the card's key" -- "$PHR" card show --trust trust.bundle
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q "opened with the holder key stored on the card" "$W/out" &&
	ok "the sealed sections are shown" || bad "card show: sealed sections not opened"
expect 0 "card show --format json" -- "$PHR" card show --format json
[ "$(jq -c '[.card.holder_key, .entries[0].sealed.opened]' "$W/out")" = '[true,true]' ] &&
	ok "JSON: holder_key true, entry 0 opened" || bad "JSON: $(jq -c '.card, .entries[0].sealed' "$W/out")"

# --- a wrong PIN gives nothing: no record, no key, no sealed byte ---
expect 24 "card show, wrong PIN" -- env PHR_PIN=654321 "$PHR" card show --trust trust.bundle
cat "$W/out" "$W/err" >wrong.txt
no_secret wrong.txt "card show with a wrong PIN"
[ ! -s "$W/out" ] && ok "wrong PIN: nothing on standard output" || bad "wrong PIN: output $(head -3 "$W/out")"
expect 24 "card read --holder-key-out, wrong PIN" -- env PHR_PIN=654321 "$PHR" card read --out x.phr --holder-key-out wk.txt
[ ! -e wk.txt ] && ok "wrong PIN: no key file written" || bad "wrong PIN wrote a key file"
# the card itself: without VERIFY, READ BINARY of both slots is refused
SEL=00A4040C05F070687201
"$APDU" $SEL 00B0820000 00B0830000 >"$W/out" 2>"$W/err"
printf '9000 \n6982 \n6982 \n' | cmp -s - "$W/out" && ok "no PIN: the card refuses to read the slots (raw APDUs)" ||
	{ bad "raw slot reads without PIN:"; sed 's/^/    /' "$W/out" "$W/err"; }
expect 0 "a right PIN after two wrong ones" -- "$PHR" card show

# --- read --holder-key-out ---
expect 0 "card read --holder-key-out" -- "$PHR" card read --out x.phr --holder-key-out k2.txt
cmp -s k2.txt key.txt && ok "the key read from the card is the key written" || bad "key from the card differs"
# --- read --register: filed with the card's key, the sealed code is indexed ---
CODE=$(jq -r '[.results[] | .test | select(test("loinc:(5196-1|16933-4|22322-2|56888-1)$"))][0]' "$EX")
RID=$(jq -r .record_id <("$PHR" show --format json r.phr 2>/dev/null))
"$PHR" register init cr.db >/dev/null 2>&1 && "$PHR" register init cr0.db >/dev/null 2>&1 || bad "register init"
expect 0 "card read --register with the key on the card" -- "$PHR" card read --out x.phr --trust trust.bundle --register cr.db
message "opened with the holder key and indexed" "card read --register"
expect 0 "find by the sealed code" -- "$PHR" register find --code "$CODE" cr.db
grep -q "$RID" "$W/out" && ok "card read --register: the card's key indexed the sealed code" ||
	bad "card read --register: sealed code not found: $(cat "$W/out")"
# the same record filed from its file without the key: the code finds nothing
expect 0 "register add without the key" -- "$PHR" register add --trust trust.bundle cr0.db r.phr
expect 0 "find by the sealed code, filed without the key" -- "$PHR" register find --code "$CODE" cr0.db
grep -q "$RID" "$W/out" && bad "filed without the key, the sealed code found the record" ||
	ok "without the key the sealed code finds nothing (the check above can fail)"
[ "$(stat -c %a k2.txt)" = 600 ] && ok "key file from the card: mode 0600" || bad "k2.txt mode $(stat -c %a k2.txt)"
cmp -s x.phr r.phr && ok "record read back byte for byte" || bad "record differs"

# --- later writes keep the key; another record drops it ---
expect 0 "write the extended record, no --holder-key" -- "$PHR" card write r2.phr
grep -q "keeping the holder key the card held" "$W/out" && ok "the card's key is kept" || bad "write r2: $(cat "$W/out")"
expect 0 "show the extended record" -- "$PHR" card show --trust trust.bundle
grep -q "violence" "$W/out" && grep -q "Pregnancy status: Pregnant" "$W/out" && ok "both sealed entries open with the card's key" ||
	bad "extended record: not opened"
# --- re-keyed: the old key on the card is not kept, the new one is taken ---
PHR_NOW=2025-08-01 expect 0 "rekey the extended record" -- "$PHR" rekey --key c1.key --cert c1.cert --in r2.phr --holder-key key.txt --holder-key-out new.txt --out rk.phr
expect 41 "card write --holder-key with the replaced key" -- "$PHR" card write --holder-key key.txt rk.phr
expect 0 "card write the re-keyed record, no --holder-key" -- "$PHR" card write rk.phr
message "is not this record's newest key (the record was re-keyed)" "re-keyed record"
expect 0 "card show: no key kept" -- "$PHR" card show --format json
[ "$(jq -c '.card.holder_key' "$W/out")" = false ] && ok "the old key is gone from the card" || bad "old key kept: $(jq -c .card "$W/out")"
expect 0 "card write the new key" -- "$PHR" card write --holder-key new.txt rk.phr
expect 0 "card show opens everything with the new key" -- "$PHR" card show --trust trust.bundle
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q violence "$W/out" && grep -q "re-sealed at entry 2" "$W/out" &&
	ok "the card's new key opens the re-sealed entries" || bad "new key on the card: not opened"
expect 0 "write another record over it (--replace)" -- "$PHR" card write --replace other.phr
message "was another record's: it is removed" "another record"
expect 0 "show: no key now" -- "$PHR" card show --format json
[ "$(jq -c '[.card.holder_key, .entries[0].sealed.opened]' "$W/out")" = '[false,false]' ] &&
	ok "the other record: no key, not opened" || bad "JSON: $(jq -c '.card' "$W/out")"
expect 38 "read --holder-key-out without a key on the card" -- "$PHR" card read --out x.phr --holder-key-out none.txt
message "holds no holder key" "no key on the card"
expect 0 "--holder-key overrides the card" -- "$PHR" card show --holder-key other.txt
grep -q "Pregnancy status: Pregnant" "$W/out" && ok "opened with the key given" || bad "--holder-key on card show"
# --holder-key-qr: the key from a picture of the key slip
if command -v pdftoppm >/dev/null; then
	expect 0 "print other's key slip" -- "$PHR" print --layout key-slip --holder-key other.txt other.phr --out oslip.pdf
	pdftoppm -r 300 -png oslip.pdf oslip && [ -s oslip-1.png ] || bad "pdftoppm: the slip"
	expect 0 "print this record's key slip" -- "$PHR" print --layout key-slip --holder-key key.txt r.phr --out rslip.pdf
	pdftoppm -r 300 -png rslip.pdf rslip && [ -s rslip-1.png ] || bad "pdftoppm: the slip"
	expect 0 "card show --holder-key-qr (the slip's picture)" -- "$PHR" card show --trust trust.bundle --holder-key-qr oslip-1.png
	grep -q "Pregnancy status: Pregnant" "$W/out" && ! grep -q "stored on the card" "$W/out" &&
		ok "card show --holder-key-qr opened the sealed sections" || bad "card show --holder-key-qr: not opened"
	expect 38 "card show --holder-key-qr, another record's slip" -- "$PHR" card show --trust trust.bundle --holder-key-qr rslip-1.png
	message "does not open with the key given" "another record's slip"
	grep -q "Pregnancy status: Pregnant" "$W/out" && bad "another record's slip opened it" ||
		ok "another record's slip opens nothing, the record is shown"
	expect 2 "--holder-key and --holder-key-qr together" -- "$PHR" card show --holder-key other.txt --holder-key-qr oslip-1.png
else
	bad "pdftoppm missing (poppler-utils): card show --holder-key-qr not tested"
fi
unvicc "$R0"

# --- tearing: the record and its key change together ---
# old: other.phr with other.txt; new: r.phr with key.txt. After a cut at
# every APDU count in turn, the card shows one record opened by the key it
# holds (a record with the other's key would not open: exit 38).
cp card.state tear0.state
vicc "$R0" tear0.state
"$PHR" card write --replace --holder-key other.txt other.phr >/dev/null 2>&1 || bad "tearing: old record written"
unvicc "$R0"
k=0
olds=0
news=0
while :; do
	k=$((k + 1))
	cp tear0.state tear.state
	vicc "$R0" tear.state --vanish-after $k --applied half
	"$PHR" card write --replace --holder-key key.txt r.phr >"$W/out" 2>"$W/err"
	rc=$?
	if [ $rc = 0 ]; then
		unvicc "$R0"
	else
		reap "$VPID"
		poll 5 reader_state "$R0" absent || bad "cut $k: card still seen"
	fi
	vicc "$R0" tear.state
	"$PHR" card read --out got.phr --holder-key-out got.txt >/dev/null 2>"$W/err"
	if cmp -s got.phr r.phr && cmp -s got.txt key.txt; then
		[ $rc = 0 ] || news=$((news + 1))
	elif cmp -s got.phr other.phr && cmp -s got.txt other.txt; then
		[ $rc = 0 ] && bad "cut $k: the write succeeded, the card holds the old record"
		olds=$((olds + 1))
	else
		bad "cut $k: the card holds a record and a key that do not belong together: $(cat "$W/err")"
	fi
	rm -f got.txt
	unvicc "$R0"
	[ $rc = 0 ] && break
	[ $k -lt 60 ] || { bad "tearing: no end after 60 cuts"; break; }
done
[ $olds -gt 0 ] && [ $news -gt 0 ] && [ $((olds + news)) = $((k - 1)) ] &&
	ok "tearing: cut at each of the write's $((k - 1)) APDUs: $olds times the old record and key, $news times the new" ||
	bad "tearing: $olds old, $news new of $((k - 1)) cuts"

# --- help ---
"$PHR" card write --help | grep -q -- "--holder-key KEY.txt" && ok "card write --help names --holder-key" || bad "write --help"
"$PHR" card read --help | grep -q -- "--holder-key-out" && ok "card read --help names --holder-key-out" || bad "read --help"
"$PHR" card show --help | grep -q -- "--holder-key-qr PICTURE" && ok "card show --help names --holder-key-qr" || bad "show --help"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
