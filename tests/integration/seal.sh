#!/usr/bin/env bash
# Sealed sections (docs/FORMAT.md "Sealed sections", docs/PRIVACY.md): issue
# with the default sealing; without the holder key no byte of a sealed
# section in show (text, JSON), print or the register; with it the entry
# round-trips exactly; a wrong key, another record's key, a flipped bit and
# a sealed part moved to another entry are each refused, naming the entry,
# with the rest of the record shown.
# usage: seal.sh PHR JSONCMP SEALTOOL SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
JSONCMP=$(readlink -f "$2")
SEALTOOL=$(readlink -f "$3")
SRC=$(readlink -f "$4")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$W" || exit 1

two_clinics

EX="$SRC/examples/pregnant-hepatitis-b.json"
# What the default seals in this example, read from the input itself: the
# screening codes (HIV, hepatitis B/C, syphilis), pregnancy, mental health.
mapfile -t SECRET < <(jq -r '
	(.results[] | .test | select(test("loinc:(56888-1|75622-1|7917-8|5196-1|16933-4|22322-2|16935-9|16128-1|11259-9|13955-0|20507-0|22587-0|5292-8)$")) | sub("loinc:"; "")),
	(.pregnancy.expected_delivery // empty), (.mental_health.tool // empty | sub("loinc:"; "")), (.notes // empty)' "$EX")
[ "${#SECRET[@]}" -ge 6 ] && ok "the example has ${#SECRET[@]} sealed values to look for" || bad "sealed values: ${SECRET[*]}"
# no_secret FILE WHAT: none of them, nor the sections' names and labels
no_secret() {
	local s found=""
	for s in "${SECRET[@]}" '"pregnancy"' '"mental_health"' 'Pregnancy status' 'Mental health' 'Hepatitis B virus' 'HIV 1+2'; do
		grep -qF -- "$s" "$1" && found="$found '$s'"
	done
	[ -z "$found" ] && ok "$2: no sealed value in it" || bad "$2 shows sealed values:$found"
}

expect 0 "issue with the default sealing" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out r.phr --holder-key-out key.txt
message "sealed results, pregnancy, mental_health" "issue"
grep -qE '^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}-[A-Z2-7]{3}$' key.txt && ok "holder key: Base32 groups with a check character" || bad "key.txt: $(cat key.txt)"
[ "$(stat -c %a key.txt)" = 600 ] && ok "holder key file is mode 0600" || bad "key.txt mode $(stat -c %a key.txt)"
expect 0 "issue uncompressed too" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out raw.phr --compression none --holder-key key.txt
no_secret raw.phr "the uncompressed container"

# Without the key: every entry verifies; the sections are not shown.
expect 0 "verify without the key" -- "$PHR" verify --trust trust.bundle r.phr
expect 0 "show without the key" -- "$PHR" show --trust trust.bundle r.phr
grep -q "Sealed sections: 3 (the holder key opens them)" "$W/out" && ok "show says: Sealed sections: 3" || bad "show: no sealed line"
grep -q "Current medicines" "$W/out" && ok "the unsealed sections are shown" || bad "show lost the unsealed sections"
expect 0 "show without the key, in Arabic" -- "$PHR" show --trust trust.bundle --lang ar r.phr
grep -qF "أقسام مختومة: 3 (يفتحها مفتاح صاحب السجل)" "$W/out" && ok "the sealed line in the reader's language" ||
	bad "show --lang ar: no Arabic sealed line"
no_secret "$W/out" "show (text)"
expect 0 "show --format json without the key" -- "$PHR" show --trust trust.bundle --format json r.phr
[ "$(jq -c '.entries[0].sealed' "$W/out")" = '{"sections":3,"opened":false}' ] && ok "JSON: sealed 3, not opened" ||
	bad "JSON sealed: $(jq -c '.entries[0].sealed' "$W/out")"
no_secret "$W/out" "show (JSON)"
expect 0 "show --entry 0 without the key" -- "$PHR" show --entry 0 r.phr
no_secret "$W/out" "show --entry 0"
message "entry 0: sealed: 3 sections not shown" "show --entry 0 without the key"

# With the key: exactly the input.
expect 0 "show --entry 0 with the key" -- "$PHR" show --entry 0 --holder-key key.txt r.phr
"$JSONCMP" "$EX" "$W/out" && ok "with the key, entry 0 round-trips the input" || bad "round trip with the key"
expect 0 "show with the key" -- "$PHR" show --trust trust.bundle --holder-key key.txt r.phr
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q "opened with the holder key" "$W/out" && ok "text shows the sealed sections" ||
	bad "text with the key"
expect 0 "verify with the key" -- "$PHR" verify --trust trust.bundle --holder-key key.txt r.phr
grep -q "entry 0: sealed: 3 sections, opened" "$W/out" && ok "verify says it opened" || bad "verify --holder-key"

# Another record's key; a mistyped key.
expect 0 "issue another record" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out other.phr --holder-key-out other.txt
expect 38 "show with another record's key" -- "$PHR" show --trust trust.bundle --holder-key other.txt r.phr
message "entry 0: does not open with the key given" "another record's key"
grep -q "Current medicines" "$W/out" && grep -q "NOT OPENED" "$W/out" && ok "the rest is shown, the entry marked" || bad "rest not shown"
no_secret "$W/out" "show with another record's key"
# one character mistyped (every single substitution is caught)
k=$(cat key.txt)
if [ "${k:0:1}" = A ]; then c=B; else c=A; fi
printf '%s%s\n' "$c" "${k:1}" >mistyped.txt
expect 38 "a key with one character mistyped" -- "$PHR" show --holder-key mistyped.txt r.phr
message "check character does not match" "mistyped key"
expect 38 "verify with another record's key" -- "$PHR" verify --trust trust.bundle --holder-key other.txt r.phr

# A flipped ciphertext bit: a bad signature, and the part does not open.
"$SEALTOOL" flip r.phr 0 flip.phr || bad "sealtool flip"
expect 10 "verify: a flipped sealed bit breaks the signature" -- "$PHR" verify --trust trust.bundle flip.phr
expect 38 "show: a flipped sealed bit" -- "$PHR" show --trust trust.bundle --holder-key key.txt flip.phr
message "entry 0: does not open with the key given" "flipped bit"
grep -q "Current medicines" "$W/out" && ok "flipped: the rest is shown" || bad "flipped: rest not shown"
no_secret "$W/out" "show of the flipped record"

# Extend: without the key an entry with sections to seal is refused (exit
# 40), --no-seal adds it unsealed and says so; with the key, sealed; with
# another record's key, refused.
printf '{"kind":"follow_up","date":"2025-06-10","notes":"Follow-up talk about violence at home."}\n' >e.json
expect 40 "extend without the key: refused" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r.phr --entry e.json --out r2.phr
message "this entry has sections to seal (notes) and no --holder-key was given" "extend without the key"
message "--no-seal" "extend without the key"
[ ! -e r2.phr ] && ok "extend without the key wrote nothing" || bad "extend without the key wrote r2.phr"
expect 0 "extend without the key, --no-seal" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r.phr --entry e.json --out r2.phr --no-seal
message "this entry is added UNSEALED; its notes can be read" "extend --no-seal"
"$PHR" show --entry 1 r2.phr 2>/dev/null | grep -q violence && ok "--no-seal: the note is in the clear" || bad "--no-seal: note not in the clear"
printf '{"kind":"follow_up","date":"2025-06-10","vaccinations":[]}\n' >plain.json
jq -e '.vaccinations' plain.json >/dev/null || bad "plain.json"
expect 38 "extend with another record's key" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r.phr --entry e.json --out bad.phr --holder-key other.txt
message "not this record's holder key" "extend with another record's key"
expect 0 "extend with the key" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r.phr --entry e.json --out r3.phr --holder-key key.txt
message "sealed notes under the holder key" "extend with the key"
expect 0 "show the extended record without the key" -- "$PHR" show --trust trust.bundle r3.phr
grep -q "violence" "$W/out" && bad "the sealed note is shown" || ok "the sealed note is not shown"
expect 0 "show entry 1 with the key" -- "$PHR" show --entry 1 --holder-key key.txt r3.phr
"$JSONCMP" e.json "$W/out" && ok "entry 1 round-trips with the key" || bad "entry 1 round trip"

# Re-keying (FORMAT.md "Re-keying"): r3 has sealed entries 0 and 1 under
# key.txt. rekey adds entry 2, sealed under a new key, re-sealing both.
expect 38 "rekey with another record's key" -- "$PHR" rekey --trust trust.bundle --key c1.key --cert c1.cert --in r3.phr --holder-key other.txt --holder-key-out new.txt --out rk.phr
[ ! -e new.txt ] && [ ! -e rk.phr ] && ok "refused rekey wrote nothing" || bad "refused rekey wrote files"
expect 2 "rekey without --holder-key-out" -- "$PHR" rekey --key c1.key --cert c1.cert --in r3.phr --holder-key key.txt --out rk.phr
expect 0 "rekey" -- "$PHR" rekey --trust trust.bundle --key c1.key --cert c1.cert --in r3.phr --holder-key key.txt --holder-key-out new.txt --out rk.phr
message "entry 2 re-seals the sealed sections of 2 entries under the new holder key" "rekey"
[ "$(stat -c %a new.txt)" = 600 ] && ! cmp -s new.txt key.txt && ok "a new key, mode 0600" || bad "new.txt"
expect 0 "verify the re-keyed record without a key" -- "$PHR" verify --trust trust.bundle rk.phr
expect 0 "show the re-keyed record without a key" -- "$PHR" show --trust trust.bundle rk.phr
no_secret "$W/out" "re-keyed record, no key"
grep -q violence "$W/out" && bad "re-keyed record shows the sealed note" || ok "re-keyed record: the note stays sealed"
# the new key opens everything: entries 0 and 1 through entry 2
expect 0 "show with the new key" -- "$PHR" show --trust trust.bundle --holder-key new.txt rk.phr
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q violence "$W/out" && ok "the new key opens entries 0 and 1" ||
	bad "new key: old entries not opened"
grep -q "re-sealed at entry 2" "$W/out" && ok "show says they were re-sealed at entry 2" || bad "no re-sealed note"
# the re-keying notes in the reader's language (layouts/po)
expect 0 "show with the new key, in German" -- "$PHR" show --trust trust.bundle --holder-key new.txt --lang de rk.phr
grep -qF "neu versiegelt bei Eintrag 2" "$W/out" && grep -qF "Schlüsselwechsel: Der Schlüssel der Inhaberin oder des Inhabers wurde hier ersetzt" "$W/out" &&
	! grep -qF "re-sealed at entry" "$W/out" && ok "German: re-sealed at entry 2, re-keying, no English left" ||
	bad "German re-keying notes: $(grep -F "Versiegelte" "$W/out")"
expect 0 "show with the new key, in Arabic" -- "$PHR" show --trust trust.bundle --holder-key new.txt --lang ar rk.phr
grep -qF "أُعيد ختمها في الإدخال 2" "$W/out" && grep -qF "تغيير المفتاح: استُبدل مفتاح صاحب السجل هنا" "$W/out" &&
	ok "Arabic: the re-keying notes" || bad "Arabic re-keying notes: $(grep -F "مختومة" "$W/out")"
expect 0 "entry 0 with the new key" -- "$PHR" show --entry 0 --holder-key new.txt rk.phr
"$JSONCMP" "$EX" "$W/out" && ok "entry 0 round-trips with the new key" || bad "entry 0 with the new key"
expect 0 "entry 1 with the new key" -- "$PHR" show --entry 1 --holder-key new.txt rk.phr
"$JSONCMP" e.json "$W/out" && ok "entry 1 round-trips with the new key" || bad "entry 1 with the new key"
# a clinic extending with the old key after re-keying: refused (41); with the new key: sealed
expect 41 "extend with the old key after rekey" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in rk.phr --entry e.json --out x.phr --holder-key key.txt
message "was replaced at entry 2" "old key after rekey"
[ ! -e x.phr ] && ok "nothing written" || bad "x.phr written"
printf '{"kind":"follow_up","date":"2025-06-12","notes":"Second talk, new key."}\n' >e2.json
expect 0 "extend with the new key" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in rk.phr --entry e2.json --out rk2.phr --holder-key new.txt
# the old key opens the old entries only
expect 38 "show with the old key" -- "$PHR" show --trust trust.bundle --holder-key key.txt rk2.phr
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q "violence" "$W/out" && ok "the old key opens entries 0 and 1" ||
	bad "old key: old entries"
grep -q "Second talk" "$W/out" && bad "the old key opens entry 3" || ok "the old key does not open entry 3"
message "entry 3: sealed under a newer holder key: re-keyed at entry 2" "old key, entry 3"
message "entry 2: sealed under a newer holder key" "old key, entry 2"
expect 0 "show with the new key: all" -- "$PHR" show --trust trust.bundle --holder-key new.txt rk2.phr
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q violence "$W/out" && grep -q "Second talk" "$W/out" &&
	ok "the new key opens the re-sealed entries and the later one" || bad "new key on rk2"
# re-keying twice: the third key opens all, through the second re-keying entry
expect 0 "rekey again" -- "$PHR" rekey --trust trust.bundle --key c2.key --cert c2.cert --in rk2.phr --holder-key new.txt --holder-key-out third.txt --out rk3.phr
message "entry 4 re-seals the sealed sections of 3 entries" "second rekey"
expect 0 "show with the third key" -- "$PHR" show --trust trust.bundle --holder-key third.txt rk3.phr
grep -q "Pregnancy status: Pregnant" "$W/out" && grep -q violence "$W/out" && grep -q "Second talk" "$W/out" &&
	ok "the third key opens everything" || bad "third key"
expect 38 "the second key after the second rekey" -- "$PHR" show --holder-key new.txt rk3.phr
expect 41 "rekey with a replaced key" -- "$PHR" rekey --key c1.key --cert c1.cert --in rk3.phr --holder-key new.txt --holder-key-out y.txt --out y.phr
"$PHR" rekey --help | grep -q "^Usage: phr rekey" && ok "rekey --help" || bad "rekey --help"

# A sealed part moved to another entry (signed again by a clinic): the
# record verifies, the part does not open there, entry 0 still does. v3
# envelopes name no key: what does not open after an entry that does reads
# as a newer key, or a part the signing clinic sealed under another key.
"$SEALTOOL" move r.phr c2.key 1749945600 0 moved.phr || bad "sealtool move"
expect 0 "verify: the moved part is signed" -- "$PHR" verify --trust trust.bundle moved.phr
expect 38 "show: a sealed part moved to entry 1" -- "$PHR" show --trust trust.bundle --holder-key key.txt moved.phr
message "entry 1: sealed under a newer holder key" "moved part"
message "or its signing clinic used another key" "moved part"
grep -q "Pregnancy status: Pregnant" "$W/out" && ok "moved: entry 0 still opens" || bad "moved: entry 0 not shown"
# ... and from another record sealed under the same holder key, into entry 1
expect 0 "issue a second record under the same holder key" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out same.phr --holder-key key.txt
"$SEALTOOL" move r.phr c2.key 1749945600 0 grafted.phr same.phr || bad "sealtool move from another record"
expect 0 "verify: the part from another record is signed" -- "$PHR" verify --trust trust.bundle grafted.phr
expect 38 "show: a sealed part from another record" -- "$PHR" show --trust trust.bundle --holder-key key.txt grafted.phr
message "or its signing clinic used another key" "part from another record"
grep -q "Pregnancy status: Pregnant" "$W/out" && ok "from another record: entry 0 still opens" || bad "grafted: entry 0 not shown"

# print and the register see the envelope only: no crash, no sealed byte.
# (Under LeakSanitizer, fontconfig's one cache allocation that lives as long
# as the process is not phr's: suppressed, as in print.sh.)
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
expect 0 "print a sealed record" -- "$PHR" print --trust trust.bundle --out r.pdf r.phr
if [ -s r.pdf ]; then
	pdftotext r.pdf r.txt && no_secret r.txt "the printed booklet (pdftotext)"
else
	bad "print wrote no PDF"
fi
expect 0 "register init" -- "$PHR" register init reg.db
expect 0 "register add a sealed record" -- "$PHR" register add --trust trust.bundle reg.db r3.phr
sqlite3 reg.db .dump >dump.sql 2>/dev/null
no_secret dump.sql "the register's database"
grep -q "violence" dump.sql && bad "the register stored the sealed note" || ok "the register holds no sealed note"
expect 0 "register show" -- "$PHR" register show --format json reg.db "$(jq -r .record_id <("$PHR" show --format json r.phr 2>/dev/null))"
no_secret "$W/out" "register show"

# The register with and without the holder key: without it no sealed byte
# in the database file or its journal, and a sealed code finds nothing;
# with it (register add, issue/extend --register) the code finds the record.
CODE=$(jq -r '[.results[] | .test | select(test("loinc:(5196-1|16933-4|22322-2|56888-1)$"))][0]' "$EX")
RID=$(jq -r .record_id <("$PHR" show --format json r3.phr 2>/dev/null))
[ -n "$CODE" ] && [ "$CODE" != null ] && ok "a sealed code to look for: $CODE" || bad "no sealed code in the example"
# bytes_clean FILE... : no sealed value, raw bytes of the files
bytes_clean() {
	local f s found=""
	for f in "$@"; do
		[ -e "$f" ] || continue
		for s in "${SECRET[@]}" violence "${CODE#loinc:}"; do
			grep -qaF -- "$s" "$f" && found="$found $f:'$s'"
		done
	done
	[ -z "$found" ] && ok "no sealed byte in $*" || bad "sealed bytes in the register files:$found"
}
expect 0 "register init (no key)" -- "$PHR" register init nokey.db
expect 0 "register add without the key" -- "$PHR" register add --trust trust.bundle nokey.db r3.phr
message "with sealed sections: not indexed (no holder key)" "register add without the key"
expect 0 "register add the re-keyed record without the key" -- "$PHR" register add --trust trust.bundle nokey.db rk3.phr
bytes_clean nokey.db nokey.db-wal nokey.db-journal
expect 0 "find by a sealed code, no key" -- "$PHR" register find --code "$CODE" nokey.db
grep -q "$RID" "$W/out" && bad "a sealed code found the record without the key" || ok "a sealed code finds nothing without the key"
message "0 records" "find by a sealed code, no key"
expect 0 "register add with the key" -- "$PHR" register init withkey.db
expect 0 "register add --holder-key" -- "$PHR" register add --trust trust.bundle --holder-key key.txt withkey.db r3.phr
message "sealed sections of 2 entries opened with the holder key and indexed" "register add --holder-key"
cat withkey.db withkey.db-wal 2>/dev/null | grep -qaF -- "${CODE#loinc:}" && ok "with the key the code is in the database file (the byte check can see it)" ||
	bad "with the key the code is not in the file: the byte check proves nothing"
expect 0 "find by the sealed code, with the key" -- "$PHR" register find --code "$CODE" withkey.db
grep -q "$RID" "$W/out" && ok "with the key, the sealed code finds the record" || bad "with the key: not found: $(cat "$W/out")"
expect 38 "register add with another record's key" -- "$PHR" register add --trust trust.bundle --holder-key key.txt withkey.db other.phr
message "not this record's: filed without it" "register add, another record's key"
expect 41 "register add with a key the record replaced" -- "$PHR" register add --trust trust.bundle --holder-key key.txt withkey.db rk3.phr
expect 0 "register add the re-keyed record with its newest key" -- "$PHR" register init rk.db
expect 0 "register add rk3 --holder-key third.txt" -- "$PHR" register add --trust trust.bundle --holder-key third.txt rk.db rk3.phr
expect 0 "find in the re-keyed record" -- "$PHR" register find --code "$CODE" rk.db
grep -q "$RID" "$W/out" && ok "the newest key indexes the re-sealed sections" || bad "re-keyed record: code not found"
# --register on issue and extend: with --holder-key indexed, without not
"$PHR" register init issued.db >/dev/null 2>&1 && "$PHR" register init issued2.db >/dev/null 2>&1 || bad "register init"
expect 0 "issue --holder-key --register" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out ir.phr --holder-key key.txt --register issued.db
R2=$(jq -r .record_id <("$PHR" show --format json ir.phr 2>/dev/null))
expect 0 "find in the issued register" -- "$PHR" register find --code "$CODE" issued.db
grep -q "$R2" "$W/out" && ok "issue --holder-key --register indexes the sealed code" || bad "issue --register with key: not found"
expect 0 "issue --register, a new key" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out in.phr --holder-key-out in.txt --register issued2.db
bytes_clean issued2.db issued2.db-wal
expect 0 "extend --holder-key --register" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in in.phr --entry e.json --out in2.phr --holder-key in.txt --register issued2.db
message "opened with the holder key and indexed" "extend --register with the key"
# entry 0 was filed without the key at issue; the extension, filed with the
# key, opens it too, and the register indexes its sealed sections then
R3=$(jq -r .record_id <("$PHR" show --format json in.phr 2>/dev/null))
expect 0 "find the extended record by the code sealed at issue" -- "$PHR" register find --code "$CODE" issued2.db
grep -q "$R3" "$W/out" && ok "entry 0, filed without the key at issue, is indexed when filed again with the key" ||
	bad "entry 0 kept its index without the sealed code: $(cat "$W/out")"
# the same version filed again with the key (not a new version) does the same
"$PHR" register init again.db >/dev/null 2>&1 || bad "register init"
expect 0 "register add without the key" -- "$PHR" register add --trust trust.bundle again.db in.phr
expect 0 "find: not yet" -- "$PHR" register find --code "$CODE" again.db
grep -q "$R3" "$W/out" && bad "found without the key" || ok "without the key the sealed code finds nothing"
expect 0 "register add the same version with the key" -- "$PHR" register add --trust trust.bundle --holder-key in.txt again.db in.phr
message "opened with the holder key and indexed" "the same version with the key"
expect 0 "find: now" -- "$PHR" register find --code "$CODE" again.db
grep -q "$R3" "$W/out" && ok "the same version filed again with the key: its sealed code is indexed" ||
	bad "the same version with the key: not indexed: $(cat "$W/out")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
