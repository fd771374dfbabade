#!/usr/bin/env bash
# End-to-end through the phr command: keys, certificates, trust, and for every
# example issue -> verify -> extend by a second clinic -> verify -> show
# (JSON round trip), plus the command-line rows of the negative table.
# usage: cli.sh PHR JSONCMP SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
JSONCMP=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$W"
expect 0 "authority init" -- "$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key
expect 0 "second authority init" -- "$PHR" authority init --name "Unknown Authority" --country IT --out other.key
expect 0 "pin the authority on this installation" -- "$PHR" trust pin auth.pub
# site NAME [AUTH.pub]: another installation, pinned to AUTH.pub (default
# auth.pub); for a verifier of another authority, and for bundles built in
# the same second as trust.bundle (same version, other bytes), which this
# installation refuses once it has used trust.bundle (docs/TRUST.md)
site() { PHR_TRUST_DIR="$W/site-$1" "$PHR" trust pin "${2:-auth.pub}" >/dev/null 2>&1; echo "$W/site-$1"; }
expect 0 "clinic init" -- "$PHR" clinic init --name "Lesvos Reception Clinic" --country GR --out c1.key
expect 0 "second clinic init" -- "$PHR" clinic init --name "Berlin Health Centre" --country DE --out c2.key
[ "$(stat -c %a auth.key)" = 600 ] && ok "key file mode 0600" || bad "key file mode $(stat -c %a auth.key)"
expect 0 "certify clinic 1" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert
expect 0 "certify clinic 2" -- "$PHR" authority certify --key auth.key --clinic c2.pub --days 365 --from 2025-01-01 --out c2.cert
expect 0 "trust build" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --out trust.bundle
expect 0 "trust show" -- "$PHR" trust show trust.bundle
grep -q "Berlin Health Centre" "$W/out" && ok "trust show lists the clinics" || bad "trust show output"

# Clinic 2 signs half a day after clinic 1: later than that, verifiers at
# PHR_NOW would see entries from the future (more than 24 hours ahead).
later=$(($(date -u -d 2025-06-15 +%s) + 12 * 3600))
n=0
for ex in "$SRC"/examples/*.json; do
	name=$(basename "$ex" .json)
	n=$((n + 1))
	expect 0 "$name: issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$ex" --out "$name.phr"
	expect 0 "$name: verify" -- "$PHR" verify --trust trust.bundle "$name.phr"
	# sensitive sections are sealed by default (docs/PRIVACY.md): the
	# holder key, written beside the record, shows the whole entry
	[ -s "$name.phr.key.txt" ] && ok "$name: holder key written" || bad "$name: no holder key file"
	expect 0 "$name: show --entry 0 --holder-key" -- "$PHR" show --entry 0 --holder-key "$name.phr.key.txt" "$name.phr"
	"$JSONCMP" "$ex" "$W/out" && ok "$name: entry 0 round-trips the input JSON" || bad "$name: JSON round trip"
	entry="$SRC/examples/entries/vaccination-given.json"
	[ $((n % 2)) = 0 ] && entry="$SRC/examples/entries/lab-result-referral.json"
	PHR_NOW=$later expect 0 "$name: extend by clinic 2" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in "$name.phr" --entry "$entry" --out "$name-2.phr"
	expect 0 "$name: verify two entries" -- "$PHR" verify --trust trust.bundle "$name-2.phr"
	[ "$(grep -c '^entry .*valid' "$W/out")" = 2 ] && ok "$name: two valid entries reported" || bad "$name: report"
	expect 0 "$name: show entry 1" -- "$PHR" show --entry 1 "$name-2.phr"
	"$JSONCMP" "$entry" "$W/out" && ok "$name: entry 1 round-trips" || bad "$name: entry 1 round trip"
	expect 0 "$name: show --format json" -- "$PHR" show --trust trust.bundle --format json "$name-2.phr"
	grep -q '"verified": true' "$W/out" && ok "$name: JSON says verified" || bad "$name: JSON verified flag"
	for po in "$SRC"/layouts/po/*.po; do
		lang=$(basename "$po" .po)
		expect 0 "$name: show --lang $lang" -- "$PHR" show --trust trust.bundle --lang "$lang" "$name-2.phr"
		# the summary is in that language: its title is the .po's ui.title
		title=$(awk '/^msgid "ui.title"$/ { getline; sub(/^msgstr "/, ""); sub(/"$/, ""); print }' "$po")
		grep -qF -- "$title" "$W/out" && ok "$name: summary titled in $lang" || bad "$name: no '$title' in the $lang summary"
		[ "$lang" = en ] || ! grep -qw "Signature valid" "$W/out" && ok "$name: no English status in $lang" || bad "$name: English status line in the $lang summary"
	done
done
grep -q "Berlin Health Centre" "$W/out" && ok "text summary names the signer" || bad "text summary signer"

# pipes: - for stdin/stdout
"$PHR" show --entry 0 adult-tb-positive-referral.phr | "$PHR" issue --key c1.key --cert c1.cert --in - --out - >pipe.phr 2>"$W/err" &&
	"$PHR" verify --trust trust.bundle - <pipe.phr >/dev/null 2>&1 && ok "stdin/stdout pipes" || bad "stdin/stdout pipes"

# --- negative table, command-line rows ---
# extend without --trust: a broken later entry is not hidden by an earlier
# entry whose signer is merely unchecked
"$PHR" issue --key c1.key --cert c1.cert --compression none --in "$SRC/examples/older-man-chronic.json" --out plain.phr 2>/dev/null
PHR_NOW=$later "$PHR" extend --key c2.key --cert c2.cert --in plain.phr --compression none \
	--entry "$SRC/examples/entries/vaccination-given.json" --out plain2.phr 2>/dev/null
off=$(LC_ALL=C grep -obUaF "Maria Georgiou" plain2.phr | head -1 | cut -d: -f1)
cp plain2.phr tampered2.phr
printf N | dd of=tampered2.phr bs=1 seek="$off" conv=notrunc 2>/dev/null
expect 10 "extend without --trust refuses a record whose second entry is altered" -- \
	"$PHR" extend --key c2.key --cert c2.cert --in tampered2.phr --entry "$SRC/examples/entries/vaccination-given.json" --out x.phr
R=adult-tb-positive-referral.phr
expect 5 "wrong passphrase" -- env PHR_PASSPHRASE=wrong "$PHR" issue --key c1.key --cert c1.cert --in "$SRC/examples/older-man-chronic.json" --out x.phr
message "wrong passphrase" "wrong passphrase"
printf '{"kind":"assessment","date":"2025-06-15","identity":{"birth_date":"1985-13-01"}}' >bad-field.json
expect 3 "malformed field" -- "$PHR" issue --key c1.key --cert c1.cert --in bad-field.json --out x.phr
message "identity.birth_date" "malformed field"
printf '{"kind":"assessment","date":"2025-06-15",' >bad-syntax.json
expect 3 "malformed JSON" -- "$PHR" issue --key c1.key --cert c1.cert --in bad-syntax.json --out x.phr
message "line 1" "malformed JSON"
printf '{"kind":"assessment","date":"2025-06-15","diagnoses":[{"code":"medcode:123"}]}' >bad-code.json
expect 3 "unknown code system" -- "$PHR" issue --key c1.key --cert c1.cert --in bad-code.json --out x.phr
message "diagnoses[0].code: unknown code system 'medcode'" "unknown code system"
[ ! -e x.phr ] && ok "no output file after a failed issue" || bad "failed issue left x.phr"

expect 0 "trust with clinic 2 revoked" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --revoke "$("$PHR" inspect c2.pub | sed -n 's/.*key id: //p')" --out revoked.bundle
PHR_TRUST_DIR=$(site revoked) expect 12 "revoked signer" -- "$PHR" verify --trust revoked.bundle adult-tb-positive-referral-2.phr
grep -q "revoked" "$W/out" && ok "report names the revoked entry" || bad "revoked report"
expect 0 "bundle of another authority" -- "$PHR" trust build --key other.key --out other.bundle
PHR_TRUST_DIR=$(site other other.pub) expect 11 "unknown signer" -- "$PHR" verify --trust other.bundle "$R"
expect 7 "trust bundle signed by an unpinned authority" -- "$PHR" verify --trust other.bundle --authority auth.pub "$R"
message "not by the pinned authority" "pinned authority"
expect 0 "short certificate" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 1 --from 2025-01-01 --out c1-old.cert
PHR_NOW=2025-06-15 expect 13 "issue refuses an expired certificate" -- "$PHR" issue --key c1.key --cert c1-old.cert --in "$SRC/examples/older-man-chronic.json" --out expired.phr
message "and it is now 2025-06-15" "expired certificate"
# Signed while valid, without embedding; the bundle then holds the short certificate.
expect 0 "issue without embedding the certificate" -- "$PHR" issue --no-embed-cert --key c1.key --cert c1.cert --in "$SRC/examples/older-man-chronic.json" --out expired.phr
expect 0 "trust with the short certificate" -- "$PHR" trust build --key auth.key --cert c1-old.cert --out old.bundle
PHR_TRUST_DIR=$(site old) expect 13 "certificate not valid at signing time" -- "$PHR" verify --trust old.bundle expired.phr
head -c 100 "$R" >trunc.phr
expect 3 "truncated container" -- "$PHR" verify --trust trust.bundle trunc.phr
head -c 70000 /dev/zero >big.phr
expect 4 "container over the limit" -- "$PHR" verify --trust trust.bundle big.phr
message "limit" "container over the limit"
expect 2 "usage error" -- "$PHR" verify "$R"
PHR_TRUST_DIR=$(site other other.pub) expect 0 "show still shows an unverified record" -- "$PHR" show --trust other.bundle "$R"
grep -q "WARNING" "$W/out" && ok "unverified record carries a warning" || bad "no warning on unverified record"
PHR_TRUST_DIR=$(site other other.pub) expect 11 "extend refuses an unverified record" -- "$PHR" extend --trust other.bundle --key c2.key --cert c2.cert --in "$R" --entry "$SRC/examples/entries/vaccination-given.json" --out y.phr
for cmd in "authority init" "authority certify" "clinic init" "trust build" "trust show" issue extend verify show inspect schema; do
	# shellcheck disable=SC2086
	"$PHR" $cmd --help >"$W/out" 2>&1 && grep -q "Usage: phr" "$W/out" && ok "$cmd --help" || bad "$cmd --help"
done
expect 0 "inspect a record" -- "$PHR" inspect "$R"
grep -q "record container" "$W/out" && ok "inspect names a record" || bad "inspect output"

# phr sync's numeric options: out of range or not a whole number, a usage
# error naming the option, before anything is opened
for bad in "--interval 0" "--interval 86401" "--interval 5x" "--changes-batch 1001" "--lock-wait -1" "--lock-wait x"; do
	# shellcheck disable=SC2086 # the option and its value, split on purpose
	expect 2 "sync $bad" -- "$PHR" sync --register none.db --hub http://127.0.0.1:1 --key c1.key --cert c1.cert --once $bad
	message "${bad%% *} is 1 to" "sync $bad"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
