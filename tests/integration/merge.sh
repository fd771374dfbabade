#!/usr/bin/env bash
# Forks joined with phr merge (docs/FORMAT.md, "Merged records"): one
# record issued at clinic 1 is extended offline at clinics 2 and 3 (a
# fork); clinic 1 merges the two copies; the merged record verifies with
# every entry of both branches. Damage to any entry of either branch, to
# the merge entry's second-parent reference, or to the side branch is
# refused naming the entry; unrelated copies and a copy that holds the
# other are refused; a register takes the merged record as the newer
# version of both branches. Run under AddressSanitizer too.
# usage: merge.sh PHR_TESTCLOCK MERGETOOL SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
TOOL=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$W"
A="$SRC/examples/older-man-chronic.json"
E1="$SRC/examples/entries/vaccination-given.json"
E2="$SRC/examples/entries/lab-result-referral.json"

expect 0 "authority init" -- "$PHR" authority init --name "Merge Authority" --country GR --out auth.key
for c in 1 2 3; do
	expect 0 "clinic $c init" -- "$PHR" clinic init --name "Clinic $c" --country GR --out c$c.key
	expect 0 "certify clinic $c" -- "$PHR" authority certify --key auth.key --clinic c$c.pub --days 365 --from 2025-01-01 --out c$c.cert
done
expect 0 "trust build" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --cert c3.cert --out trust.bundle
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
T=(--trust trust.bundle)

# --- the fork: one copy extended apart at clinics 2 and 3 -----------------
expect 0 "issue at clinic 1" -- "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out r.phr
expect 0 "extend at clinic 2" -- "$PHR" extend --key c2.key --cert c2.cert --in r.phr --entry "$E1" --out a.phr --no-seal
expect 0 "extend at clinic 3" -- env PHR_NOW=2025-06-16 "$PHR" extend --key c3.key --cert c3.cert --in r.phr --entry "$E2" --out b1.phr --no-seal
expect 0 "clinic 3 again" -- env PHR_NOW=2025-06-17 "$PHR" extend --key c3.key --cert c3.cert --in b1.phr --entry "$E1" --out b.phr --no-seal
expect 0 "unrelated record" -- "$PHR" issue --key c2.key --cert c2.cert --in "$A" --out other.phr

# --- merge ----------------------------------------------------------------
expect 0 "merge the fork" -- env PHR_NOW=2025-06-18 "$PHR" merge --key c1.key --cert c1.cert "${T[@]}" a.phr b.phr --out m.phr
message "joined 1 entry of a.phr as branch B after entry 0" "merge (the longer copy b.phr is the main chain)"
export PHR_NOW=2025-06-20 # the verifier's clock from here on
expect 0 "verify the merged record" -- "$PHR" verify "${T[@]}" m.phr
grep -q "^merged at entry 3 by Clinic 1 (GR)" "$W/out" && ok "verify says where and by whom" || bad "verify: no 'merged at entry 3 by Clinic 1': $(cat "$W/out")"
[ "$(grep -c ": valid " "$W/out")" = 5 ] && ok "verify: 5 entries valid (4 main, 1 branch B)" || bad "verify: want 5 valid lines: $(cat "$W/out")"
grep -q "^branch B entry 1: valid .*Clinic 2" "$W/out" && ok "verify lists clinic 2's entry as branch B" || bad "verify: branch B line missing"
# every entry of both copies is in the merged record, signature bytes as they were
expect 0 "verify json" -- "$PHR" verify "${T[@]}" --format json m.phr
tr -d ' \n' <"$W/out" | grep -q '"merged_at":3' && ok "verify json: merged_at 3" || bad "verify json: no merged_at 3"
tr -d ' \n' <"$W/out" | grep -q '"branch_b":\[{"index":1,"status":"valid"' && ok "verify json: branch_b entry 1 valid" || bad "verify json: branch_b: $(head -c 600 "$W/out")"
expect 0 "show the merged record" -- "$PHR" show "${T[@]}" m.phr
grep -q "merged at entry 4 by Clinic 1" "$W/out" && ok "show says merged at entry 4 by Clinic 1" || bad "show: no merge line"
grep -q "== Entry 2 (branch B)" "$W/out" && grep -q "== Entry 3 (branch A)" "$W/out" && ok "show lists both branches" || bad "show: branches not listed"
# the merged record can be extended like any other
expect 0 "extend the merged record" -- env PHR_NOW=2025-06-19 "$PHR" extend --key c2.key --cert c2.cert --in m.phr --entry "$E1" --out m2.phr --no-seal
expect 0 "verify the extended merged record" -- "$PHR" verify "${T[@]}" m2.phr

# --- damage: each refused, naming the entry --------------------------------
check_refused() { # FILE WHAT PATTERN
	"$PHR" verify "${T[@]}" "$1" >"$W/out" 2>"$W/err"
	local got=$?
	if [ $got -ne 0 ] && grep -qE -- "$3" "$W/out"; then ok "$2 refused (exit $got), naming it"; else
		bad "$2: exit $got, or no line matching '$3'"
		sed 's/^/    /' "$W/out" | head -8
	fi
}
for i in 0 1 2 3; do
	"$TOOL" flip m.phr t.phr main $i || bad "mergetool flip main $i"
	check_refused t.phr "main entry $i altered" "^entry $i: bad_signature"
done
"$TOOL" flip m.phr t.phr side 0 || bad "mergetool flip side 0"
check_refused t.phr "branch B entry altered" "^branch B entry 1: bad_signature"
grep -q "^entry 3: chain_broken .*second parent does not match" "$W/out" && ok "the merge entry fails with its branch B (its head hash changed)" || bad "merge entry not failed with branch B"
"$TOOL" ref m.phr t.phr || bad "mergetool ref"
check_refused t.phr "merge entry's second-parent reference altered" "^entry 3: bad_signature"
grep -q "^branch B entry 1: chain_broken .*not the one the merge entry names" "$W/out" && ok "branch B not joined by the altered reference" || bad "branch B status after ref damage"
"$TOOL" add m.phr t.phr b1.phr || bad "mergetool add"
check_refused t.phr "an entry added to branch B" "^entry 3: chain_broken .*second parent does not match"
"$TOOL" v1 m.phr t.phr || bad "mergetool v1"
expect 3 "verify: version 1 with a side branch" -- "$PHR" verify "${T[@]}" t.phr
message "container version 1 cannot carry a side branch" "version 1 with a side branch"
# extending or merging a damaged merged record is refused too
"$TOOL" flip m.phr t.phr side 0
expect 14 "extend a merged record with a damaged branch B" -- "$PHR" extend --key c2.key --cert c2.cert --in t.phr --entry "$E1" --out x.phr --no-seal "${T[@]}"
message "side branch entry 0: bad_signature" "extend names the damaged branch B entry"

# --- refusals --------------------------------------------------------------
expect 55 "merge two unrelated records" -- "$PHR" merge --key c1.key --cert c1.cert a.phr other.phr --out x.phr
message "different records" "unrelated records"
expect 55 "merge a copy with its own newer copy" -- "$PHR" merge --key c1.key --cert c1.cert r.phr b.phr --out x.phr
message "not a fork, the newer copy is b.phr" "prefix"
expect 55 "the same the other way round" -- "$PHR" merge --key c1.key --cert c1.cert b.phr b1.phr --out x.phr
message "not a fork, the newer copy is b.phr" "prefix, reversed"
expect 55 "merge a copy with itself" -- "$PHR" merge --key c1.key --cert c1.cert a.phr a.phr --out x.phr
message "same version" "same copy"
expect 55 "merge a merged record again" -- "$PHR" merge --key c1.key --cert c1.cert m2.phr a.phr --out x.phr
message "merged record already" "merged twice"
[ ! -e x.phr ] && ok "nothing written by a refused merge" || bad "a refused merge wrote x.phr"

# --- the register: the merged record resolves the fork ----------------------
expect 0 "register init" -- "$PHR" register init reg.db
expect 0 "register add branch A" -- "$PHR" register add "${T[@]}" reg.db a.phr
expect 0 "register add branch B" -- "$PHR" register add "${T[@]}" reg.db b.phr
message "FORK" "register sees the fork"
expect 0 "register add the merged record" -- "$PHR" register add "${T[@]}" reg.db m.phr
if grep -q "FORK" "$W/err"; then bad "register still reports a fork for the merged record: $(cat "$W/err")"; else ok "register: no fork reported for the merged record"; fi
message "new version" "the merged record is a new version"
expect 35 "register add a.phr (branch B) again: an older copy of the merged record now" -- "$PHR" register add "${T[@]}" reg.db a.phr
if grep -q "FORK" "$W/err"; then bad "register: branch B still a fork: $(cat "$W/err")"; else ok "register: branch B is an older copy, no fork"; fi
expect 35 "register add b1.phr (an older copy of branch A)" -- "$PHR" register add "${T[@]}" reg.db b1.phr
if grep -q "FORK" "$W/err"; then bad "register: b1.phr (older than the merged version) still a fork with branch B: $(cat "$W/err")"; else ok "register: b1.phr is an older copy, no fork with branch B"; fi
id=$("$PHR" register show "${T[@]}" reg.db "$(grep -o '[0-9a-f]\{32\}' "$W/err" | head -1)" 2>/dev/null | grep -c latest)
[ "$id" -ge 1 ] && ok "register show marks a latest version" || bad "register show: no latest"
# register show: the merged version is the newest, the branches it joined
# (and their older copies) are merged into it, no fork is left open
rid=$(grep -o '[0-9a-f]\{32\}' "$W/err" | head -1)
expect 35 "register add a.phr once more: names the merged version as the newer" -- "$PHR" register add "${T[@]}" reg.db a.phr
mvid=$(grep -o 'newer: [0-9a-f]\{96\}' "$W/err" | head -1 | cut -c8-)
[ -n "$mvid" ] && ok "the merged version's id: ${mvid:0:16}…" || bad "no newer version named: $(cat "$W/err")"
expect 0 "register show after the merge" -- "$PHR" register show "${T[@]}" reg.db "$rid"
sed -n '/^Versions kept:/,/^Met:/p' "$W/out" >versions.txt
if grep -q "FORK" versions.txt; then bad "register show: a fork still open after the merge: $(cat versions.txt)"; else ok "register show: no FORK after the merge"; fi
grep -q "^  ${mvid:32}  4 entries .*  latest  MERGED" versions.txt && ok "register show: the merged version is the latest, MERGED" || bad "register show: merged version not latest/MERGED: $(cat versions.txt)"
[ "$(grep -c "merged into ${mvid:32:16}" versions.txt)" = 3 ] && ok "register show: both branches and b1 merged into it" || bad "register show: want 3 'merged into': $(cat versions.txt)"
expect 0 "register show json" -- "$PHR" register show "${T[@]}" --format json reg.db "$rid"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["versions"]; m=sys.argv[2]; assert not [x for x in v if x["fork"]], v' "$W/out" "$mvid" && ok "register show json: no fork" || bad "register show json: forks left"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["versions"]; m=sys.argv[2]; assert [x["version_id"] for x in v if x["latest"] and x["merged"]]==[m], v' "$W/out" "$mvid" && ok "register show json: the merged version latest and merged" || bad "register show json: merged version"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["versions"]; m=sys.argv[2]; o=[x for x in v if x["version_id"]!=m]; assert len(o)==3 and all(x["merged_into"]==m and not x["merged"] for x in o), v' "$W/out" "$mvid" && ok "register show json: the others merged_into it" || bad "register show json: merged_into"

# --- sealed entries on branch B open with the holder key, as main ones ---
export PHR_NOW=2025-06-15
expect 0 "issue a sealed record" -- "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out s.phr --holder-key-out s.key.txt
expect 0 "clinic 2 seals its plan (branch B)" -- "$PHR" extend --key c2.key --cert c2.cert --in s.phr --entry "$E1" --holder-key s.key.txt --seal plan --out sa.phr
expect 0 "clinic 3 extends (branch A)" -- env PHR_NOW=2025-06-16 "$PHR" extend --key c3.key --cert c3.cert --in s.phr --entry "$E2" --holder-key s.key.txt --out sb1.phr
expect 0 "clinic 3 again" -- env PHR_NOW=2025-06-17 "$PHR" extend --key c3.key --cert c3.cert --in sb1.phr --entry "$E2" --holder-key s.key.txt --no-seal --out sb.phr
expect 0 "merge the sealed fork" -- env PHR_NOW=2025-06-18 "$PHR" merge --key c1.key --cert c1.cert "${T[@]}" sa.phr sb.phr --out sm.phr
export PHR_NOW=2025-06-20
expect 0 "show without the key" -- "$PHR" show "${T[@]}" sm.phr
sed -n '/== Entry 2 (branch B)/,/-- merged at/p' "$W/out" >sideb.txt
grep -q "Hexavalent dose 3 due" sideb.txt && bad "branch B's sealed plan shown without the key" || ok "branch B's sealed plan closed without the key"
expect 0 "show with the holder key" -- "$PHR" show "${T[@]}" --holder-key s.key.txt sm.phr
sed -n '/== Entry 2 (branch B)/,/-- merged at/p' "$W/out" >sideb.txt
grep -q "Sealed sections: 1 (opened with the holder key)" sideb.txt && grep -q "Notes: Hexavalent dose 3 due" sideb.txt &&
	ok "show --holder-key opens branch B's sealed plan" || bad "show --holder-key: branch B not opened: $(cat sideb.txt)"
expect 0 "show json with the holder key" -- "$PHR" show "${T[@]}" --format json --holder-key s.key.txt sm.phr
python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["branch_b"]; assert len(b)==1 and b[0]["sealed"] and b[0]["content"]["plan"]["notes"]=="Hexavalent dose 3 due.", b' "$W/out" &&
	ok "show json: branch B's plan opened" || bad "show json: branch B's plan not opened"
expect 0 "verify with the holder key" -- "$PHR" verify "${T[@]}" --holder-key s.key.txt sm.phr
grep -q "^branch B entry 1: sealed: 1 section, opened with the holder key" "$W/out" && ok "verify --holder-key: branch B entry 1 opened" || bad "verify: branch B sealed line: $(cat "$W/out")"
expect 38 "show with another record's key" -- "$PHR" show "${T[@]}" --holder-key r.phr.key.txt sm.phr
message "branch B entry 1: does not open with the key given" "a wrong key names branch B's entry too"

# --- a register indexes and counts branch B like the main chain -----------
# Branch B (clinic 4, 2025-05-20) holds a TB screening, a BCG dose and, in
# its sealed plan, a TB referral; the main chain holds none of them, nor
# clinic 4, nor that day. Filed by phr merge --register, by register add,
# and after both branches were filed: found by each, counted once.
expect 0 "clinic 4 init" -- "$PHR" clinic init --name "Clinic Four" --country GR --out c4.key
expect 0 "certify clinic 4" -- "$PHR" authority certify --key auth.key --clinic c4.pub --days 365 --from 2025-01-01 --out c4.cert
expect 0 "trust build with clinic 4" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --cert c3.cert --cert c4.cert --out trust4.bundle
T4=(--trust trust4.bundle)
cat >bside.json <<'JSON'
{
  "kind": "follow_up",
  "date": "2025-05-20",
  "results": [{"test": "loinc:1648-5", "date": "2025-05-20", "result": "negative"}],
  "vaccinations": [{"vaccine": "atc:J07AN01", "dose": 1, "of": 1, "date": "2025-05-20", "country": "GR", "source": "given"}],
  "plan": {"referrals": [{"reason": "icd11:1B12.0", "to": "TB clinic", "urgency": "routine"}]},
  "author": {"professional": "Dr Eleni Pappa", "role": "physician"}
}
JSON
export PHR_NOW=2025-05-21
expect 0 "issue (register fork)" -- "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out q.phr --holder-key-out q.key.txt
expect 0 "clinic 4 screens and seals its plan (branch B)" -- "$PHR" extend --key c4.key --cert c4.cert --in q.phr --entry bside.json --holder-key q.key.txt --seal plan --out qb.phr
expect 0 "clinic 2 (branch A)" -- env PHR_NOW=2025-06-12 "$PHR" extend --key c2.key --cert c2.cert --in q.phr --entry "$E1" --holder-key q.key.txt --no-seal --out qa1.phr
expect 0 "clinic 2 again (branch A)" -- env PHR_NOW=2025-06-13 "$PHR" extend --key c2.key --cert c2.cert --in qa1.phr --entry "$E1" --holder-key q.key.txt --no-seal --out qa.phr
export PHR_NOW=2025-06-20
expect 0 "register init (merged record only)" -- "$PHR" register init qm.db
expect 0 "merge into the register" -- "$PHR" merge --key c1.key --cert c1.cert "${T4[@]}" qa.phr qb.phr --register qm.db --out qm.phr
qid=$("$PHR" register find qm.db --visited 2000..2030 2>/dev/null | grep -o '^[0-9a-f]\{32\}' | head -1)
[ -n "$qid" ] && ok "merged record filed" || bad "merged record not in the register"
found() { # DB WHAT ARGS...: the record is found
	local db=$1 what=$2
	shift 2
	expect 0 "find $what" -- "$PHR" register find "$db" "$@"
	grep -q "^$qid " "$W/out" && ok "found by $what" || bad "not found by $what: $(cat "$W/out")"
}
not_found() { # DB WHAT ARGS...
	local db=$1 what=$2
	shift 2
	expect 0 "find $what" -- "$PHR" register find "$db" "$@"
	grep -q "^$qid " "$W/out" && bad "found by $what: $(cat "$W/out")" || ok "not found by $what"
}
# counts of the report over 2025 (no cell hidden): a table's whole-period total
counts() { # DB -> "screened vaccinated referred"
	"$PHR" register report "$1" --from 2025-01-01 --to 2025-12-31 --min-cell 1 --format json --out "$W/qr.json" >/dev/null 2>&1 ||
		{ echo "report failed"; return; }
	python3 - "$W/qr.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
def total(tid):
    for t in d["tables"]:
        if t["id"] == tid:
            v = [r for r in t["rows"] if r.get("total")][0]["persons"][-1]
            return v if isinstance(v, int) else 0
    return 0
print(total("tb.screened"), total("vacc.atc:J07AN01"), total("tb.referred"))
PYEOF
}
branch_b_finds() { # DB
	found "$1" "branch B's code (loinc:1648-5)" --code loinc:1648-5
	found "$1" "branch B's clinic" --clinic "clinic four"
	found "$1" "branch B's visit day" --visited 2025-05-20..2025-05-20
}
branch_b_finds qm.db
not_found qm.db "the sealed code without the key" --code icd11:1B12.0
got=$(counts qm.db)
[ "$got" = "1 1 0" ] && ok "report: branch B's screening and BCG counted once, the sealed referral not (no key)" || bad "report over the merged record: want '1 1 0', got '$got'"
expect 0 "register add the merged record with the holder key" -- "$PHR" register add "${T4[@]}" --holder-key q.key.txt qm.db qm.phr
found qm.db "the sealed code, now with the key" --code icd11:1B12.0

expect 0 "register init (with the key)" -- "$PHR" register init qk.db
expect 0 "register add the merged record with the key" -- "$PHR" register add "${T4[@]}" --holder-key q.key.txt qk.db qm.phr
found qk.db "branch B's sealed code with the key" --code icd11:1B12.0
branch_b_finds qk.db
got=$(counts qk.db)
[ "$got" = "1 1 1" ] && ok "report with the key: branch B's sealed referral counted once" || bad "report with the key: want '1 1 1', got '$got'"

expect 0 "register init (both branches first)" -- "$PHR" register init qb.db
expect 0 "register add branch A" -- "$PHR" register add "${T4[@]}" qb.db qa.phr
expect 0 "register add branch B" -- "$PHR" register add "${T4[@]}" qb.db qb.phr
expect 0 "register add the merged record" -- "$PHR" register add "${T4[@]}" qb.db qm.phr
branch_b_finds qb.db
got=$(counts qb.db)
[ "$got" = "1 1 0" ] && ok "report after both branches and the merge: branch B counted once" || bad "report, both branches filed: want '1 1 0', got '$got'"
expect 35 "branch B filed again after the merge" -- "$PHR" register add "${T4[@]}" qb.db qb.phr
got=$(counts qb.db)
[ "$got" = "1 1 0" ] && ok "report: still once after branch B is filed again" || bad "report after branch B again: want '1 1 0', got '$got'"
for db in qm.db qk.db qb.db; do expect 0 "register check $db" -- "$PHR" register check "$db"; done

# --- consent given on branch B governs the merged record too ---------------
# Branch B (clinic 3) records the holder's store: false; branch A (clinic 2,
# the longer, main chain) does not. The merged record verifies and shows,
# but no register stores it, until an entry after the merge says store:
# true again (docs/PRIVACY.md, "Consent of a merged record").
cat >nostore.json <<'JSON'
{
  "kind": "follow_up",
  "date": "2025-06-12",
  "consent": {"store": false, "date": "2025-06-12"},
  "author": {"professional": "Dr Eleni Pappa", "role": "physician"}
}
JSON
sed 's/"store": false/"store": true/; s/2025-06-12/2025-06-21/g' nostore.json >restore.json
export PHR_NOW=2025-06-20
expect 0 "issue (consent fork)" -- env PHR_NOW=2025-06-10 "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out n.phr
expect 0 "clinic 3: store: false (branch B)" -- env PHR_NOW=2025-06-12 "$PHR" extend --key c3.key --cert c3.cert --in n.phr --entry nostore.json --no-seal --out nb.phr
expect 0 "clinic 2 (branch A)" -- env PHR_NOW=2025-06-13 "$PHR" extend --key c2.key --cert c2.cert --in n.phr --entry "$E1" --no-seal --out na1.phr
expect 0 "clinic 2 again (branch A)" -- env PHR_NOW=2025-06-14 "$PHR" extend --key c2.key --cert c2.cert --in na1.phr --entry "$E1" --no-seal --out na.phr
expect 0 "register init (consent)" -- "$PHR" register init nc.db
expect 34 "merge --register: branch B's store: false" -- "$PHR" merge --key c1.key --cert c1.cert "${T4[@]}" na.phr nb.phr --register nc.db --out nm.phr
message "NOT stored" "merge --register says the refusal"
message "(entry 1) says store: false" "the refusal names branch B's entry 1"
[ -s nm.phr ] && ok "the merged record is still written" || bad "nm.phr missing"
expect 0 "verify the merged record with branch B's refusal" -- "$PHR" verify "${T4[@]}" nm.phr
grep -q "^branch B entry 1: valid " "$W/out" && ok "branch B's consent entry is verified" || bad "branch B entry 1 not valid: $(cat "$W/out")"
expect 0 "show it" -- "$PHR" show "${T4[@]}" nm.phr
expect 34 "register add: branch B's store: false" -- "$PHR" register add "${T4[@]}" nc.db nm.phr
message "NOT stored" "register add says the refusal"
nmid=$("$PHR" inspect nm.phr 2>/dev/null | grep -o "[0-9a-f]\{32\}" | head -1)
expect 33 "show of the merged record not stored" -- "$PHR" register show nc.db "$nmid"
expect 0 "register add branch A alone (its own consent stores)" -- "$PHR" register add "${T4[@]}" nc.db na.phr
expect 34 "register add branch B alone" -- "$PHR" register add "${T4[@]}" nc.db nb.phr
# store: true given after the merge, knowing both branches, governs
expect 0 "store: true after the merge" -- env PHR_NOW=2025-06-21 "$PHR" extend --key c1.key --cert c1.cert --in nm.phr --entry restore.json --no-seal --out nm2.phr
expect 0 "register add: consent given again after the merge" -- env PHR_NOW=2025-06-22 "$PHR" register add "${T4[@]}" nc.db nm2.phr
# and store: false after the merge refuses over two branches that store
sed 's/"store": true/"store": false/; s/2025-06-21/2025-06-22/g' restore.json >nostore2.json
expect 0 "store: false after the merge" -- env PHR_NOW=2025-06-22 "$PHR" extend --key c1.key --cert c1.cert --in m.phr --entry nostore2.json --no-seal --out m3.phr
expect 34 "register add: store: false after the merge" -- env PHR_NOW=2025-06-23 "$PHR" register add "${T4[@]}" nc.db m3.phr

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
