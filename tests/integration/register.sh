#!/usr/bin/env bash
# The clinic's register end to end through the phr command: records issued,
# extended, scanned and added are filed (--register and 'register add'),
# found by every search option, shown with their versions, exported byte for
# byte; older copies and forks reported; consent store: false honoured;
# forget leaves no byte of a record in the file or its journal; the audit;
# a corrupted file; four processes adding at once lose nothing.
# usage: register.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The report PDF goes through Pango: fontconfig keeps a cache for the life
# of the process, which LeakSanitizer reports (as in print.sh); that alone
# is suppressed.
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

cd "$W"
# same FILE1 FILE2 DESCRIPTION
same() { if cmp -s "$1" "$2"; then ok "$3"; else bad "$3"; fi; }
# has PATTERN DESCRIPTION: checks the last stdout
has() { if grep -qF -- "$1" "$W/out"; then ok "$2"; else bad "$2: stdout lacks '$1'"; sed 's/^/    /' "$W/out" | head -8; fi; }
hasnt() { if grep -qF -- "$1" "$W/out"; then bad "$2: stdout has '$1'"; else ok "$2"; fi; }
# bytes_in_db DB NEEDLE: how many of the register's files hold NEEDLE
bytes_in_db() { cat "$1" "$1-wal" "$1-shm" 2>/dev/null | grep -c -a -F -- "$2"; }
record_id() { "$PHR" inspect "$1" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1; }

two_clinics "Lesvos Reception Clinic" GR "Berlin Health Centre" DE

DB="$W/clinic.db"
expect 6 "a register that does not exist is not made by add" -- "$PHR" register add "$DB" nothing.phr
message "phr register init" "missing register"
expect 0 "register init" -- "$PHR" register init "$DB"
has "schema version 7" "init names the schema version"
[ "$(stat -c %a "$DB")" = 600 ] && ok "the register is readable by its owner only (0600)" || bad "register mode $(stat -c %a "$DB")"
: >empty.db
expect 31 "an empty file is not a register" -- "$PHR" register find empty.db --sex male
expect 0 "register init again (opens, nothing lost)" -- "$PHR" register init "$DB"
expect 0 "register --help" -- "$PHR" register --help
for v in init add find show export documents audit forget check; do
	expect 0 "register $v --help" -- "$PHR" register "$v" --help
	has "Usage: phr register $v" "register $v --help"
done
expect 2 "register: unknown verb" -- "$PHR" register frobnicate "$DB"

# ---- every example: issued into the register, found, exported byte for byte
later=$(($(date -u -d 2025-06-15 +%s) + 12 * 3600))
for ex in "$SRC"/examples/*.json; do
	name=$(basename "$ex" .json)
	expect 0 "$name: issue --register" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name.phr" --register "$DB"
	message "new record" "$name: issue --register"
	id=$(record_id "$name.phr")
	[ ${#id} = 32 ] && ok "$name: record id $id" || bad "$name: no record id from inspect"
	expect 0 "$name: find --record prefix" -- "$PHR" register find "$DB" --record "${id:0:10}"
	has "$id" "$name: found by its id's first 10 digits"
	expect 0 "$name: export" -- "$PHR" register export "$DB" "${id:0:12}" --out "$name-export.phr"
	same "$name.phr" "$name-export.phr" "$name: exported byte for byte as issued"
	# search by what the example says (read here with python's json, not phr)
	read -r born sex nat arrival host code <<<"$(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
i = e.get("identity", {}); m = e.get("migration", {})
codes = [d["code"] for d in e.get("diagnoses", [])] + [h["code"] for h in e.get("history", [])] + [v["vaccine"] for v in e.get("vaccinations", [])]
print(i.get("birth_date", "-"), i.get("sex", "-"), i.get("nationality", "-"), m.get("arrival", "-"), m.get("host_country", "-"), codes[0] if codes else "-")
' "$ex")"
	[ "$born" != - ] && { expect 0 "$name: find --born $born" -- "$PHR" register find "$DB" --born "$born"; has "$id" "$name: found by date of birth"; }
	[ "$born" != - ] && { expect 0 "$name: find --born ${born:0:4}" -- "$PHR" register find "$DB" --born "${born:0:4}"; has "$id" "$name: found by year of birth"; }
	[ "$sex" != - ] && { expect 0 "$name: find --sex" -- "$PHR" register find "$DB" --sex "$sex"; has "$id" "$name: found by sex"; }
	[ "$nat" != - ] && { expect 0 "$name: find --nationality" -- "$PHR" register find "$DB" --nationality "${nat,,}"; has "$id" "$name: found by nationality (any case)"; }
	[ "$arrival" != - ] && { expect 0 "$name: find --arrived" -- "$PHR" register find "$DB" --arrived "$arrival..$arrival"; has "$id" "$name: found by arrival day"; }
	[ "$host" != - ] && { expect 0 "$name: find --field host country" -- "$PHR" register find "$DB" --field "migration.host_country=$host"; has "$id" "$name: found by host country"; }
	[ "$code" != - ] && { expect 0 "$name: find --code $code" -- "$PHR" register find "$DB" --code "$code"; has "$id" "$name: found by a code"; }
done
expect 0 "find --clinic" -- "$PHR" register find "$DB" --clinic lesvos
[ "$(grep -c '^[0-9a-f]\{32\} ' "$W/out")" = "$(ls "$SRC"/examples/*.json | wc -l)" ] && ok "every example found by clinic" || bad "find --clinic count"
expect 0 "find --clinic Berlin (none yet)" -- "$PHR" register find "$DB" --clinic berlin
message "0 records" "find with no match"
expect 0 "find --visited (the examples' visit dates)" -- "$PHR" register find "$DB" --visited 2020..2026
[ "$(grep -c '^[0-9a-f]\{32\} ' "$W/out")" = "$(ls "$SRC"/examples/*.json | wc -l)" ] && ok "every example found by visit date" || bad "find --visited count"
# the columns line up whatever the script of the name (Arabic, Cyrillic,
# Latin): "born" at the same character of every line
cols=$(LC_ALL=C.UTF-8 bash -c 'while IFS= read -r l; do p=${l%%  born *}; echo ${#p}; done' <"$W/out" | sort -u)
grep -q "$(printf '\xd8\xa7')" "$W/out" && [ "$(echo "$cols" | wc -l)" = 1 ] && ok "find: columns aligned for names in Arabic script" ||
	bad "find: 'born' at characters $(echo $cols) of the lines"
expect 0 "find --visited before any visit" -- "$PHR" register find "$DB" --visited ..2000-01-01
message "0 records" "find --visited out of range"
expect 0 "find --arrived with no match" -- "$PHR" register find "$DB" --arrived 1990..1990-12
message "0 records" "find --arrived out of range"
expect 0 "find --format json" -- "$PHR" register find "$DB" --clinic lesvos --format json
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if len(a) >= 4 and all(len(h["record_id"]) == 32 for h in a) else 1)' "$W/out" \
	&& ok "find --format json is an array of hits" || bad "find --format json"
expect 0 "find --name" -- "$PHR" register find "$DB" --name "Abdirahman Warsame"
has "Warsame" "found by name"
has "[" "a name hit says why it matched"
expect 2 "find with nothing to search for" -- "$PHR" register find "$DB"
expect 2 "find --born with a bad date" -- "$PHR" register find "$DB" --born 1990-13
expect 2 "find --sex M" -- "$PHR" register find "$DB" --sex M
expect 2 "find --arrived without dots" -- "$PHR" register find "$DB" --arrived 2025

# ---- versions: extended, older copy, fork
base=adult-tb-positive-referral
id=$(record_id "$base.phr")
PHR_NOW=$later expect 0 "extend --register" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in "$base.phr" --entry "$SRC/examples/entries/vaccination-given.json" --out "$base-2.phr" --register "$DB"
message "new version" "extend --register"
expect 35 "add the older copy" -- "$PHR" register add --trust trust.bundle "$DB" "$base.phr"
message "older copy; newer: $id" "add older copy"
expect 0 "add the newer copy again" -- "$PHR" register add --trust trust.bundle "$DB" "$base-2.phr"
message "seen again" "add the same version again"
# the same signed version in other bytes: another compression, certificates not embedded
PHR_NOW=$later expect 0 "extend once more (other bytes for the next test)" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in "$base-2.phr" --entry "$SRC/examples/entries/lab-result-referral.json" --out "$base-3.phr"
expect 0 "add the 3-entry version" -- "$PHR" register add "$DB" "$base-3.phr"
message "new version" "3 entries: a new version"
# fork: clinic 1 extends the 2-entry copy too, differently
PHR_NOW=$((later + 600)) expect 0 "extend the 2-entry copy elsewhere" -- "$PHR" extend --trust trust.bundle --key c1.key --cert c1.cert --in "$base-2.phr" --entry "$SRC/examples/entries/vaccination-given.json" --out "$base-fork.phr"
expect 0 "add the fork" -- "$PHR" register add --trust trust.bundle "$DB" "$base-fork.phr"
message "FORK: shares 2 entries" "fork reported"
expect 0 "show the record" -- "$PHR" register show --trust trust.bundle "$DB" "${id:0:8}"
has "Versions kept:" "show lists versions"
[ "$(grep -c '^  [0-9a-f]\{64\}  ' "$W/out")" = 4 ] && ok "four versions kept" || bad "versions: $(grep -c '^  [0-9a-f]\{64\}  ' "$W/out")"
has "older copy" "show marks the older copies"
has "FORK" "show marks the fork"
has "latest" "show marks the latest"
has "issued" "show says where it was met (issued)"
has "extended" "show says where it was met (extended)"
has "Documents:" "show lists documents"
expect 0 "show --format json" -- "$PHR" register show --format json "$DB" "$id"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["record"]["record_id"] == sys.argv[2]
assert len(d["versions"]) == 4 and sum(v["latest"] for v in d["versions"]) == 1
assert sum(v["fork"] for v in d["versions"]) == 2
assert all("report" in s and s["report"]["record_id"] == sys.argv[2] for s in d["sightings"])
assert {s["how"] for s in d["sightings"]} == {"issued", "extended", "add"}
' "$W/out" "$id" && ok "show --format json: record, versions, sightings with reports" || bad "show --format json"
expect 0 "export the latest (the longest version)" -- "$PHR" register export "$DB" "$id" --out latest.phr
same "$base-3.phr" latest.phr "the latest is the 3-entry version"
expect 0 "show --lang ar" -- "$PHR" register show --lang ar "$DB" "$id"
expect 0 "documents (none yet)" -- "$PHR" register documents "$DB" "$id"

# ---- scan --register: codes printed, scanned on arrival, filed
expect 0 "qr of the latest version" -- "$PHR" qr --out-dir codes "$base-3.phr"
expect 0 "scan --register" -- "$PHR" scan --trust trust.bundle --register "$DB" codes/code-*.png
message "seen again" "scan files the record"
expect 0 "qr of the older copy" -- "$PHR" qr --out-dir codes1 "$base.phr"
expect 35 "scan --register of an older copy" -- "$PHR" scan --register "$DB" codes1/code-*.png
message "older copy" "scan says older copy"

# ---- consent store: false: verified and shown, not stored
sed 's/"store": true/"store": false/' "$SRC/examples/older-man-chronic.json" >noconsent.json
grep -q '"store": false' noconsent.json && ok "a record without consent to store" || bad "noconsent.json"
expect 34 "issue --register with store: false" -- "$PHR" issue --key c1.key --cert c1.cert --in noconsent.json --out noconsent.phr --register "$DB"
message "NOT stored" "consent refusal is said"
[ -s noconsent.phr ] && ok "the record is still written" || bad "noconsent.phr missing"
nid=$(record_id noconsent.phr)
expect 34 "register add with store: false" -- "$PHR" register add "$DB" noconsent.phr
expect 33 "show of a record not stored" -- "$PHR" register show "$DB" "$nid"
[ "$(bytes_in_db "$DB" "$nid")" = 0 ] && ok "not even its id in the register" || bad "the refused record's id is in the register"

# ---- forget: no byte of it left
fam=Warsame
[ "$(bytes_in_db "$DB" "$fam")" != 0 ] && ok "the name is in the register before forget" || bad "name not found before forget"
expect 0 "forget" -- "$PHR" register forget "$DB" "${id:0:12}"
has "forgotten" "forget says so"
[ "$(bytes_in_db "$DB" "$fam")" = 0 ] && ok "no byte of the name left in the file or journal" || bad "the name is still in the register files"
[ "$(bytes_in_db "$DB" "$id")" = 0 ] && ok "no trace of the record id (hex)" || bad "the record id is still in the register files"
rawid=$(printf '%s' "$id" | sed 's/../\\x&/g')
printf "$rawid" >rawid.bin
python3 -c '
import sys
raw = open(sys.argv[1], "rb").read()
for suffix in ("", "-wal", "-shm"):
    try:
        if raw in open(sys.argv[2] + suffix, "rb").read(): sys.exit(1)
    except FileNotFoundError: pass
' rawid.bin "$DB" && ok "no trace of the record id (bytes)" || bad "the record id bytes are still in the register"
expect 33 "show a forgotten record" -- "$PHR" register show "$DB" "$id"
expect 33 "export a forgotten record" -- "$PHR" register export "$DB" "$id" --out x.phr
expect 33 "forget again" -- "$PHR" register forget "$DB" "$id"
expect 0 "the others are still there" -- "$PHR" register find "$DB" --clinic lesvos
[ "$(grep -c '^[0-9a-f]\{32\} ' "$W/out")" = "$(($(ls "$SRC"/examples/*.json | wc -l) - 1))" ] && ok "the other records are kept" || bad "other records lost"

# ---- audit
PHR_OPERATOR="Nadia K." expect 0 "audit" -- "$PHR" register audit "$DB"
for act in init add find show export forget; do has " $act " "audit has $act rows"; done
hasnt "$id" "the audit no longer names the forgotten record"
hasnt "Abdirahman" "the audit never holds searched names"
expect 0 "audit --format json" -- "$PHR" register audit --format json "$DB"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if a and all({"at","who","action"} <= set(r) for r in a) else 1)' "$W/out" \
	&& ok "audit --format json rows" || bad "audit json"
PHR_OPERATOR="Nadia K." expect 0 "a search by a named clerk" -- "$PHR" register find "$DB" --sex male
expect 0 "audit" -- "$PHR" register audit "$DB"
has "(operator Nadia K.)" "the audit names the clerk from PHR_OPERATOR"

# ---- check, corrupted files
expect 0 "check" -- "$PHR" register check "$DB"
has ": ok" "check says ok"
cp "$DB" bad.db
dd if=/dev/urandom of=bad.db bs=1 count=100 conv=notrunc status=none
expect 31 "a register whose header is damaged" -- "$PHR" register find bad.db --sex male
message "damaged or is not a phr register" "damaged header"
expect 31 "check of a damaged header" -- "$PHR" register check bad.db
head -c 20000 /dev/urandom >noise.db
expect 31 "a file that is not a database" -- "$PHR" register add noise.db "$base.phr"
message "noise.db" "the message names the file"
# a damaged page in the middle (the index pages): check finds it
cp "$DB" mid.db
size=$(stat -c %s mid.db)
dd if=/dev/zero of=mid.db bs=4096 seek=$((size / 4096 / 2)) count=1 conv=notrunc status=none
"$PHR" register check mid.db >"$W/out" 2>"$W/err"
rc=$?
[ "$rc" != 0 ] && ok "check of a page zeroed in the middle fails (exit $rc)" || bad "check passed a zeroed page"
grep -q "damaged\|integrity_check\|no longer" "$W/err" && ok "check says what is wrong" || { bad "check message"; head -3 "$W/err"; }

# ---- four processes adding at once lose nothing
DB4="$W/four.db"
expect 0 "init a register for the concurrent adds" -- "$PHR" register init "$DB4"
n=0
for p in 1 2 3 4; do
	for k in 1 2 3 4 5; do
		for ex in "$SRC"/examples/*.json; do
			n=$((n + 1))
			"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "p$p-$k-$(basename "$ex" .json).phr" 2>/dev/null
		done
	done
done
pids=()
for p in 1 2 3 4; do
	"$PHR" register add "$DB4" p"$p"-*.phr >"$W/add$p.out" 2>"$W/add$p.err" &
	pids+=($!)
done
allok=1
for i in 0 1 2 3; do
	wait "${pids[$i]}" || { allok=0; head -3 "$W/add$((i + 1)).err"; }
done
[ $allok = 1 ] && ok "four processes adding at once all succeed" || bad "a concurrent add failed"
expect 0 "find all the concurrently added records" -- "$PHR" register find "$DB4" --clinic lesvos --format json
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/out")
[ "$got" = "$n" ] && ok "all $n records are there" || bad "$got of $n records after concurrent adds"
expect 0 "audit after the concurrent adds" -- "$PHR" register audit --format json "$DB4"
adds=$(python3 -c 'import json,sys; print(sum(r["action"] == "add" for r in json.load(open(sys.argv[1]))))' "$W/out")
[ "$adds" = "$n" ] && ok "one audit row per add ($n)" || bad "$adds audit rows for $n adds"
expect 0 "check after the concurrent adds" -- "$PHR" register check "$DB4"

# the report over the register: every record counted once, no cell under
# the threshold, a PDF, and the report in the audit
expect 0 "report (JSON)" -- "$PHR" register report "$DB4" --from 2020-01-01 --to 2026-12-31 --by month \
	--group sex --format json --out "$W/report.json"
python3 - "$W/report.json" "$n" <<'PYEOF' && ok "report: $n persons assessed in all, no cell under 5" || bad "report: $(head -c 600 "$W/report.json")"
import json, sys
d = json.load(open(sys.argv[1]))
t = [t for t in d["tables"] if t["id"] == "assessed"][0]
total = [r for r in t["rows"] if r.get("total")][0]["persons"][-1]
assert total == int(sys.argv[2]), total
for tab in d["tables"]:
    for r in tab["rows"]:
        for v in r.get("persons", []):
            assert not isinstance(v, int) or v >= 5, (tab["id"], r["label"], v)
PYEOF
expect 0 "report (PDF, Arabic)" -- "$PHR" register report "$DB4" --from 2020-01-01 --to 2026-12-31 \
	--format pdf --lang ar --out "$W/report.pdf"
[ "$(head -c 5 "$W/report.pdf")" = "%PDF-" ] && ok "the report is a PDF" || bad "report.pdf is not a PDF"
expect 0 "audit after the report" -- "$PHR" register audit --format json "$DB4"
python3 -c 'import json,sys; sys.exit(0 if any(r["action"] == "report" for r in json.load(open(sys.argv[1]))) else 1)' "$W/out" &&
	ok "the report is in the audit" || bad "no report row in the audit"
expect 2 "report: --from after --to" -- "$PHR" register report "$DB4" --from 2026-01-01 --to 2025-01-01 --out -

# names across scripts through the command: each record holds its name in
# one script (or two), the clerk types it in another
DBN="$W/names.db"
expect 0 "init a register for names" -- "$PHR" register init "$DBN"
expect 0 "file the four examples" -- "$PHR" register add "$DBN" p1-1-*.phr
name_finds() { # name_finds QUERY EXAMPLE-FILE RANK
	local want
	want=$("$PHR" inspect "$2" 2>/dev/null | grep -o '[0-9a-f]\{32\}' | head -1)
	"$PHR" register find "$DBN" --name "$1" --format json >"$W/out" 2>&1
	python3 - "$W/out" "$want" "$3" <<'PYEOF' && ok "'$1' finds $2 ($3)" || bad "'$1' should find $2 ($3): $(cat "$W/out")"
import json, sys
hits = json.load(open(sys.argv[1]))
assert hits and hits[0]["record_id"] == sys.argv[2], hits
assert hits[0]["match"] == sys.argv[3], hits[0]
PYEOF
}
name_finds "Mykola Kovalenko" p1-1-older-man-chronic.phr transliterated
name_finds "Zahra Ahmadi" p1-1-pregnant-hepatitis-b.phr transliterated
name_finds "سارة الأحمد" p1-1-child-no-vaccination-documents.phr exact
name_finds "ahmad-AL, SARA" p1-1-child-no-vaccination-documents.phr exact
name_finds "Сара Аль-Ахмад" p1-1-child-no-vaccination-documents.phr transliterated
expect 0 "a name nobody has" -- "$PHR" register find "$DBN" --name "Omar Khalil" --format json
[ "$(tr -d ' \n' <"$W/out")" = "[]" ] && ok "'Omar Khalil' finds no one" || bad "'Omar Khalil': $(cat "$W/out")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
