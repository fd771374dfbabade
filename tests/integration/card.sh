#!/usr/bin/env bash
# The card path end to end on the real PC/SC stack: pcscd (started here, as
# root) with Debian's vpcd driver, and the project's virtual card
# (tests/card/vicc.c) in its readers. Format, write, read, verify every
# example; read | extend | write; tearing at every APDU of a write; PIN,
# PUK; the card's own refusals; and one clear error and exit code for each
# thing that can be missing or broken.
# usage: card.sh PHR VICC APDU JSONCMP SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
VICC=$(readlink -f "$2")
APDU=$(readlink -f "$3")
JSONCMP=$(readlink -f "$4")
SRC=$(readlink -f "$5")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=card_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/card_env.sh"

cd "$W"
export PHR_PIN=123456
unset PHR_PUK PHR_NEW_PIN

# --- records, as cli.sh makes them ---
two_clinics "Lesvos Reception Clinic" GR "Berlin Health Centre" DE
names=()
for ex in "$SRC"/examples/*.json; do
	name=$(basename "$ex" .json)
	names+=("$name")
	expect 0 "$name: issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name.phr"
done
largest=$(ls -S "${names[@]/%/.phr}" | head -1)
smallest=$(ls -Sr "${names[@]/%/.phr}" | head -1)
# Issued at lib.sh's clock (2025-06-15), extended below at 2025-07-01 and
# 2025-08-01: every other command runs later, so that no entry is signed
# after the clock it is verified at.
export PHR_NOW=2025-09-01

start_pcscd
ok "pcscd started with readers '$R0' and '$R1'"

# --- missing things, each its own exit code ---
expect 21 "no card" -- "$PHR" card read --out x.phr
message "no card in any of the 2 readers" "no card"
[ "$(wc -l <"$W/err")" = 1 ] && ok "no card: one line" || bad "no card: $(wc -l <"$W/err") lines"
expect 20 "no such reader" -- "$PHR" card read --reader "Reader 9" --out x.phr
message "no reader is named 'Reader 9'" "no such reader"
expect 21 "no card in the reader named" -- "$PHR" card show --reader "00 01"
message "no card in the reader '$R1'" "no card in a named reader"

vicc "$R0" card.state
expect 22 "blank card: no phr application" -- "$PHR" card read --out x.phr
message "holds no phr application" "blank card"
[ "$(wc -l <"$W/err")" = 1 ] && ok "blank card: one line" || bad "blank card: $(wc -l <"$W/err") lines"
expect 22 "blank card: show" -- "$PHR" card show

# --- format ---
expect 2 "format: PIN of 5 digits" -- env PHR_PIN=12345 PHR_PUK=12345678 "$PHR" card format
message "6..8" "short PIN"
expect 0 "format" -- env PHR_PUK=12345678 "$PHR" card format
grep -q "PIN and PUK set" "$W/out" && ok "format: PIN and PUK set" || bad "format output: $(cat "$W/out")"
grep -q "^PUK:" "$W/out" && bad "format printed a PUK it did not make" || ok "format: a PUK from PHR_PUK is not printed"
expect 1 "format twice" -- env PHR_PUK=12345678 "$PHR" card format
message "personalised already" "format twice"
expect 27 "empty card" -- "$PHR" card read --out x.phr
message "holds no record yet" "empty card"

# --- every example: write, read back byte for byte, verify, show ---
for name in "${names[@]}"; do
	expect 0 "$name: write" -- "$PHR" card write --replace "$name.phr"
	expect 0 "$name: read" -- "$PHR" card read --out "$name.back"
	cmp -s "$name.phr" "$name.back" && ok "$name: read back byte for byte" || bad "$name: read back differs"
	expect 0 "$name: verify what was read" -- "$PHR" verify --trust trust.bundle "$name.back"
	expect 0 "$name: card show --format json" -- "$PHR" card show --trust trust.bundle --format json
	grep -q '"verified": true' "$W/out" && grep -q '"reader": "Virtual PCD 00 00"' "$W/out" &&
		ok "$name: JSON verified, names the reader" || bad "$name: card show JSON"
	# sensitive sections are sealed by default: the holder key shows them
	expect 0 "$name: card show --entry 0 --holder-key" -- "$PHR" card show --entry 0 --holder-key "$name.phr.key.txt"
	"$JSONCMP" "$SRC/examples/$name.json" "$W/out" && ok "$name: entry 0 round-trips" || bad "$name: entry 0"
done
expect 0 "card show, text, Arabic" -- "$PHR" card show --trust trust.bundle --lang ar
grep -q "slot [AB], generation" "$W/out" && ok "text names slot and generation" || bad "card show text"

# --- read | extend | write | read: two entries ---
expect 0 "write $smallest" -- "$PHR" card write --replace "$smallest"
"$PHR" card read --out - |
	PHR_NOW=2025-07-01 "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in - \
		--entry "$SRC/examples/entries/vaccination-given.json" --out - |
	"$PHR" card write - >"$W/out" 2>"$W/err"
st=("${PIPESTATUS[@]}")
[ "${st[*]}" = "0 0 0" ] && ok "card read | extend | card write" || { bad "pipe exits ${st[*]}"; cat "$W/err"; }
expect 0 "read the extended record" -- "$PHR" card read --out two.phr
# --register: the record read from the card is filed, as met from a card
expect 0 "register init" -- "$PHR" register init card.db
expect 0 "card read --register" -- "$PHR" card read --trust trust.bundle --register card.db --out two-reg.phr
message "new record" "card read --register files the record"
cmp -s two.phr two-reg.phr && ok "card read --register writes the same record" || bad "card read --register output differs"
rid=$("$PHR" inspect two.phr 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1)
expect 0 "the register shows it" -- "$PHR" register show --format json card.db "$rid"
grep -q '"how": "card"' "$W/out" && ok "the sighting says it was met from a card" || bad "no card sighting"
expect 0 "register export of the card's record" -- "$PHR" register export card.db "$rid" --out two-export.phr
cmp -s two.phr two-export.phr && ok "exported byte for byte as read from the card" || bad "export differs from the card's record"
expect 0 "it verifies" -- "$PHR" verify --trust trust.bundle two.phr
[ "$(grep -c '^entry .*valid' "$W/out")" = 2 ] && ok "two valid entries" || bad "two entries: $(cat "$W/out")"
expect 1 "another record over this one" -- "$PHR" card write "$largest"
message "holds another record" "another record"

# --- rollback: the generation goes up by one per write and is shown; a
# copy that lacks entries the card holds is refused (exit 29) ---
gen() { "$PHR" card show --format json | sed -n 's/.*"generation": \([0-9]*\).*/\1/p'; }
g=$(gen)
[ -n "$g" ] && [ "$g" -gt 0 ] && ok "card show --format json: generation $g" || bad "no generation in card show JSON"
PHR_NOW=2025-08-01 "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in two.phr \
	--entry "$SRC/examples/entries/lab-result-referral.json" --out three.phr 2>/dev/null
PHR_NOW=2025-08-01 "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in "$smallest" \
	--entry "$SRC/examples/entries/lab-result-referral.json" --out fork.phr 2>/dev/null
expect 0 "write three entries" -- "$PHR" card write three.phr
grep -q "(3 entries, .*generation $((g + 1))\$" "$W/out" && ok "write: 3 entries, generation $((g + 1))" ||
	bad "write output: $(cat "$W/out")"
expect 0 "write the same version again" -- "$PHR" card write three.phr
grep -q "generation $((g + 2))\$" "$W/out" && ok "write: generation $((g + 2))" || bad "write output: $(cat "$W/out")"
expect 29 "truncated copy (last entry dropped) over the record" -- "$PHR" card write two.phr
message "the card holds 3 entries of this record; this file holds only the first 2" "truncated copy"
message "would drop the card's entry 2" "truncated copy"
[ "$(wc -l <"$W/err")" = 1 ] && ok "truncated copy: one line" || bad "truncated copy: $(wc -l <"$W/err") lines"
expect 29 "older copy (first entry only) over the record" -- "$PHR" card write "$smallest"
message "this file holds only the first 1" "older copy"
message "entries 1..2" "older copy"
expect 29 "a version that parts from the card's" -- "$PHR" card write fork.phr
message "part at entry 1 (the card holds 3 entries, this file 2)" "diverging version"
expect 0 "card read" -- "$PHR" card read --out x.phr
cmp -s x.phr three.phr && ok "refused writes left the record" || bad "record changed by a refused write"
grep -qx "read record [0-9a-f]\{32\} (3 entries, [0-9]* bytes) from the card in '$R0': slot [AB], generation $((g + 2))" \
	"$W/out" && ok "read: says entries and generation $((g + 2)), unchanged by refusals" || bad "read output: $(cat "$W/out")"
expect 0 "card show, text" -- "$PHR" card show
grep -q "^Card in '$R0': slot [AB], generation $((g + 2))," "$W/out" && ok "show: generation $((g + 2))" ||
	bad "show: $(head -1 "$W/out")"
"$PHR" card read --out - 2>"$W/err" >/dev/null
grep -q "generation $((g + 2))\$" "$W/err" && ok "read --out -: the line on standard error" || bad "read --out -: $(cat "$W/err")"
expect 0 "--replace writes the older copy" -- "$PHR" card write --replace two.phr
grep -q "(2 entries, .*generation $((g + 3))\$" "$W/out" && ok "--replace: generation $((g + 3))" ||
	bad "--replace output: $(cat "$W/out")"
expect 0 "format --erase" -- "$PHR" card format --erase
[ "$(gen 2>/dev/null)" = "" ] || bad "erased card shows a record"
expect 0 "write after the erase" -- "$PHR" card write two.phr
grep -q "generation $((g + 5))\$" "$W/out" && ok "the erase counted: generation $((g + 5)), never back" ||
	bad "after erase: $(cat "$W/out")"

# --- the card refuses by itself: raw APDUs, no PIN ---
SEL=00A4040C05F070687201                 # SELECT the application
VERIFY=0020008108313233343536FFFF         # VERIFY PIN 123456
"$APDU" $SEL 00B081001C 00B0820000 00B0810000001C 00A4020C02C001 00B0000010 \
	00D681000E0102030405060708090A0B0C0D0E 00D6820004DEADBEEF >"$W/out" 2>"$W/err"
printf '9000 \n6982 \n6982 \n6982 \n9000 \n6982 \n6982 \n6982 \n' | cmp -s - "$W/out" &&
	ok "no PIN: the card refuses READ and UPDATE BINARY (SFI, extended, selected)" ||
	{ bad "raw APDUs without PIN:"; sed 's/^/    /' "$W/out" "$W/err"; }
"$APDU" $SEL $VERIFY 00B081001C >"$W/out" 2>"$W/err"
[ "$(sed -n 3p "$W/out" | cut -c1-4)" = 9000 ] && ok "with the PIN the same READ BINARY works" ||
	bad "raw read with PIN: $(cat "$W/out")"
expect 0 "record intact after the refused writes" -- "$PHR" card read --out x.phr
cmp -s x.phr two.phr && ok "record unchanged" || bad "record changed"

# --- PIN, PUK ---
expect 24 "wrong PIN" -- env PHR_PIN=000000 "$PHR" card read --out x.phr
message "wrong PIN, 2 tries left" "wrong PIN"
expect 0 "right PIN gives the tries back" -- "$PHR" card read --out x.phr
expect 24 "wrong PIN" -- env PHR_PIN=000000 "$PHR" card read --out x.phr
message "wrong PIN, 2 tries left" "tries back"
expect 24 "wrong PIN again" -- env PHR_PIN=111111 "$PHR" card show
message "wrong PIN, 1 try left" "wrong PIN again"
expect 24 "last wrong PIN" -- env PHR_PIN=222222 "$PHR" card write two.phr
message "the PIN is now blocked" "last wrong PIN"
expect 25 "blocked, even with the right PIN" -- "$PHR" card read --out x.phr
message "the PIN is blocked" "blocked"
expect 24 "unblock with a wrong PUK" -- env PHR_PUK=87654321 PHR_NEW_PIN=654321 "$PHR" card unblock
message "wrong PUK, 9 tries left" "wrong PUK"
expect 0 "unblock with the PUK" -- env PHR_PUK=12345678 PHR_NEW_PIN=654321 "$PHR" card unblock
expect 24 "the old PIN no longer" -- "$PHR" card read --out x.phr
expect 0 "the new PIN" -- env PHR_PIN=654321 "$PHR" card read --out x.phr
printf '654321\n' >pin.txt
printf '123456\n' >newpin.txt
expect 0 "change-pin (files)" -- env -u PHR_PIN "$PHR" card change-pin --pin-file pin.txt --new-pin-file newpin.txt
expect 0 "the changed PIN" -- "$PHR" card read --out x.phr
cmp -s x.phr two.phr && ok "record intact through PIN changes" || bad "record after PIN changes"
expect 2 "no PIN and no terminal" -- setsid env -u PHR_PIN "$PHR" card read --out x.phr </dev/null
message "PIN" "no PIN"

# --- a slot whose content does not verify ---
PHR_NOW=2025-06-15 "$PHR" issue --key c1.key --cert c1.cert --compression none --in "$SRC/examples/older-man-chronic.json" --out plain.phr 2>/dev/null
off=$(LC_ALL=C grep -obUaF "Коваленко" plain.phr | head -1 | cut -d: -f1)
cp plain.phr tampered.phr
printf '\x9b' | dd of=tampered.phr bs=1 seek=$((off + 1)) conv=notrunc 2>/dev/null # К -> Л
expect 10 "write refuses a record that does not verify" -- "$PHR" card write --replace tampered.phr
# entry 0 good, entry 1 altered: without --trust too, every entry counts
PHR_NOW=2025-07-01 "$PHR" extend --key c2.key --cert c2.cert --in plain.phr --compression none \
	--entry "$SRC/examples/entries/vaccination-given.json" --out plain2.phr 2>/dev/null
off=$(LC_ALL=C grep -obUaF "Maria Georgiou" plain2.phr | head -1 | cut -d: -f1)
cp plain2.phr tampered2.phr
printf N | dd of=tampered2.phr bs=1 seek="$off" conv=notrunc 2>/dev/null
expect 10 "write refuses a record whose second entry does not verify" -- "$PHR" card write --replace tampered2.phr
message "entry 1: bad_signature" "second entry altered"
expect 0 "write --force" -- "$PHR" card write --replace --force tampered.phr
expect 26 "read: the card's record does not verify" -- "$PHR" card read --out x.phr
message "does not verify: entry 0: bad_signature" "bad slot content"
[ "$(wc -l <"$W/err")" = 1 ] && ok "bad slot content: one line" || bad "bad slot content: $(wc -l <"$W/err") lines"
[ ! -e x.phr ] || cmp -s x.phr two.phr && ok "nothing written" || bad "read wrote the bad record"
expect 0 "show still shows it, marked" -- "$PHR" card show --trust trust.bundle --format json
grep -q '"verified": false' "$W/out" && ok "show: marked not verified" || bad "show of a bad record"
expect 0 "write a good record back" -- "$PHR" card write --replace "$largest"
slot=$("$PHR" card show --format json | sed -n 's/.*"slot": "\(.\)".*/\1/p')
sfi=82
[ "$slot" = B ] && sfi=83
byte=$("$APDU" $SEL $VERIFY 00B0${sfi}1001 | sed -n 3p | cut -c6-7)
flip=$(printf '%02X' $((0x$byte ^ 0x40)))
"$APDU" $SEL $VERIFY 00D6${sfi}1001$flip >/dev/null
expect 26 "read: slot damaged (CRC)" -- "$PHR" card read --out x.phr
message "CRC-32" "damaged slot"
[ "$(wc -l <"$W/err")" = 1 ] && ok "damaged slot: one line" || bad "damaged slot: $(wc -l <"$W/err") lines"
expect 26 "show: slot damaged" -- "$PHR" card show
expect 0 "a write repairs it" -- "$PHR" card write --replace "$largest"
expect 0 "and it reads" -- "$PHR" card read --out x.phr

# --- card removed mid-read: select, probe, verify, status, slot (the 5th APDU) ---
unvicc "$R0"
vicc "$R0" card.state --vanish-after 5
expect 23 "card removed mid-read" -- "$PHR" card read --out x.phr
message "card removed from '$R0' during the operation" "removed mid-read"
[ "$(wc -l <"$W/err")" = 1 ] && ok "removed mid-read: one line" || bad "removed mid-read: $(wc -l <"$W/err") lines"
unvicc "$R0"

# --- two cards, --reader; a PUK made by format ---
vicc "$R0" card.state
P0=$VPID
vicc "$R1" second.state
P1=$VPID
expect 28 "two cards, no reader named" -- "$PHR" card read --out x.phr
message "choose one with --reader" "two cards"
expect 0 "format the second card, PUK made" -- "$PHR" card format --reader "00 01"
puk=$(sed -n 's/^PUK: \([0-9]\{8\}\)$/\1/p' "$W/out")
[ -n "$puk" ] && ok "format printed the PUK it made" || bad "no PUK printed: $(cat "$W/out")"
for p in 000001 000002 000003; do
	PHR_PIN=$p "$PHR" card read --reader "$R1" --out x.phr >/dev/null 2>&1
done
expect 25 "second card blocked" -- "$PHR" card read --reader "$R1" --out x.phr
expect 0 "unblock with the printed PUK" -- env PHR_PUK="$puk" PHR_NEW_PIN=123456 "$PHR" card unblock --reader "$R1"
expect 27 "second card: empty, PIN good" -- "$PHR" card read --reader "$R1" --out x.phr
expect 0 "first card untouched" -- "$PHR" card read --reader "00 00" --out x.phr
unvicc "$R1" "$P1"
unvicc "$R0" "$P0"

# --- tearing: the write of the largest example over an existing record,
# the card vanishing at every APDU count in turn, three ways ---
tear() { # MODE [--short-only]
	local mode=$1 short=${2:-} k=0 olds=0 news=0 rc vrc
	cp card.state tear0.state
	vicc "$R0" tear0.state $short
	"$PHR" card write --replace "$smallest" >/dev/null 2>&1 || bad "tearing: old record written"
	unvicc "$R0"
	while :; do
		k=$((k + 1))
		cp tear0.state tear.state
		vicc "$R0" tear.state $short --vanish-after $k --applied "$mode"
		"$PHR" card write --replace "$largest" >"$W/out" 2>"$W/err"
		rc=$?
		if [ $rc = 0 ]; then
			unvicc "$R0"
		else
			reap "$VPID"
			vrc=$?
			[ $rc = 23 ] && [ $vrc = 3 ] || { bad "cut $k: write exit $rc, card exit $vrc"; cat "$W/err"; }
			poll 5 reader_state "$R0" absent || bad "cut $k: card still seen"
		fi
		vicc "$R0" tear.state $short
		if "$PHR" card read --out got.phr >/dev/null 2>"$W/err" && "$PHR" verify --trust trust.bundle got.phr >/dev/null 2>&1; then
			if cmp -s got.phr "$largest"; then
				[ $rc = 0 ] || news=$((news + 1))
			elif cmp -s got.phr "$smallest"; then
				[ $rc = 0 ] || olds=$((olds + 1))
				[ $rc = 0 ] && bad "cut $k ($mode): the write succeeded, the card holds the old record"
			else
				bad "cut $k ($mode): the card holds neither record"
			fi
		else
			bad "cut $k ($mode): the card does not read back a record that verifies: $(cat "$W/err")"
		fi
		unvicc "$R0"
		[ $rc = 0 ] && break
		[ $k -lt 100 ] || { bad "tearing: no end after 100 cuts"; break; }
	done
	[ $olds -gt 0 ] && [ $news -gt 0 ] && [ $((olds + news)) = $((k - 1)) ] &&
		ok "tearing, applied=$mode${short:+ $short}: the card vanished at each of the write's $((k - 1)) APDUs in turn: $olds times it read back the old record, $news times the new" ||
		bad "tearing, applied=$mode${short:+ $short}: $olds old, $news new of $((k - 1)) cuts"
}
for mode in no yes half; do
	tear $mode
	tear $mode --short-only
done

# --- no reader: pcscd stopped ---
stop_pcscd
expect 20 "no PC/SC service" -- "$PHR" card list
message "pcscd is not running" "no pcscd"
expect 20 "no PC/SC service: read" -- "$PHR" card read --out x.phr
[ "$(wc -l <"$W/err")" = 1 ] && ok "no PC/SC service: one line" || bad "no PC/SC service: $(wc -l <"$W/err") lines"

# --- help ---
for v in list format write read show change-pin unblock; do
	"$PHR" card "$v" --help | grep -q "^Usage: phr card $v" && ok "card $v --help" || bad "card $v --help"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
