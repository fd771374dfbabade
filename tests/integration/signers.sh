#!/usr/bin/env bash
# Every verb that loads a signing key, with keys and certificates that must
# be refused: wrong or missing passphrase, a certificate for another key or
# that does not parse, a missing key file, a key of the wrong kind, a
# certificate not valid now. Each exits with its documented code and never
# aborts (134: the double free of issue 9). Then signing times against the
# verifier's clock, and an authority key trying to act as a clinic's.
# Run under AddressSanitizer too.
# usage: signers.sh PHR_TESTCLOCK SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$W"
A="$SRC/examples/older-man-chronic.json"
E="$SRC/examples/entries/vaccination-given.json"
good_pass=$PHR_PASSPHRASE

expect 0 "authority init" -- "$PHR" authority init --name "Signers Authority" --country GR --out auth.key
expect 0 "second authority init" -- "$PHR" authority init --name "Other Authority" --country IT --out auth2.key
expect 0 "clinic init" -- "$PHR" clinic init --name "Signers Clinic" --country GR --out c1.key
expect 0 "second clinic init" -- "$PHR" clinic init --name "Other Clinic" --country DE --out c2.key
expect 0 "certify clinic 1" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert
expect 0 "certify clinic 2" -- "$PHR" authority certify --key auth.key --clinic c2.pub --days 365 --from 2025-01-01 --out c2.cert
expect 0 "trust build" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --out trust.bundle
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
expect 0 "issue" -- "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out r.phr
head -c 60 c1.cert >broken.cert
echo "not a passphrase" >wrong.pass

# run_no_tty CMD...: no PHR_PASSPHRASE and no controlling terminal, so
# /dev/tty cannot be opened and nothing can be prompted for.
run_no_tty() { env -u PHR_PASSPHRASE setsid -w "$@" </dev/null; }

# --- issue and extend -------------------------------------------------------
for verb in issue extend; do
	if [ "$verb" = issue ]; then
		args=(--in "$A" --out x.phr)
	else
		# --force: at the clocks below, r.phr's entry may itself be out of range
		args=(--in r.phr --entry "$E" --out x.phr --force)
	fi
	expect 5 "$verb: wrong passphrase" -- "$PHR" $verb --key c1.key --cert c1.cert --passphrase-file wrong.pass "${args[@]}"
	message "wrong passphrase" "$verb: wrong passphrase"
	expect 5 "$verb: no passphrase and no terminal" -- run_no_tty "$PHR" $verb --key c1.key --cert c1.cert "${args[@]}"
	message "no passphrase" "$verb: no passphrase"
	expect 2 "$verb: certificate for another key" -- "$PHR" $verb --key c1.key --cert c2.cert "${args[@]}"
	message "c2.cert certifies key" "$verb: certificate for another key"
	expect 3 "$verb: certificate that does not parse" -- "$PHR" $verb --key c1.key --cert broken.cert "${args[@]}"
	message "broken.cert" "$verb: unparseable certificate"
	expect 6 "$verb: missing key file" -- "$PHR" $verb --key missing.key --cert c1.cert "${args[@]}"
	message "missing.key" "$verb: missing key file"
	expect 6 "$verb: missing certificate file" -- "$PHR" $verb --key c1.key --cert missing.cert "${args[@]}"
	expect 2 "$verb: an authority key" -- "$PHR" $verb --key auth.key --cert c1.cert "${args[@]}"
	message "auth.key is an authority key (kind 1)" "$verb: authority key"
	expect 13 "$verb: certificate expired" -- env PHR_NOW=2026-01-02 "$PHR" $verb --key c1.key --cert c1.cert "${args[@]}"
	message "is valid from 2025-01-01T00:00:00Z to 2026-01-01T00:00:00Z, and it is now 2026-01-02T00:00:00Z: expired" "$verb: expired"
	expect 13 "$verb: certificate not valid yet" -- env PHR_NOW=2024-12-31 "$PHR" $verb --key c1.key --cert c1.cert "${args[@]}"
	message "not valid yet" "$verb: not valid yet"
	[ ! -e x.phr ] && ok "$verb: nothing written" || bad "$verb: a refused signing left x.phr"
done

# --- authority certify ------------------------------------------------------
expect 5 "certify: wrong passphrase" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 30 --passphrase-file wrong.pass --out x.cert
expect 5 "certify: no passphrase and no terminal" -- run_no_tty "$PHR" authority certify --key auth.key --clinic c1.pub --days 30 --out x.cert
expect 6 "certify: missing key file" -- "$PHR" authority certify --key missing.key --clinic c1.pub --days 30 --out x.cert
expect 6 "certify: missing .pub file" -- "$PHR" authority certify --key auth.key --clinic missing.pub --days 30 --out x.cert
expect 3 "certify: a certificate given as the .pub" -- "$PHR" authority certify --key auth.key --clinic c1.cert --days 30 --out x.cert
expect 2 "certify: with a clinic key" -- "$PHR" authority certify --key c2.key --clinic c1.pub --days 30 --out x.cert
message "c2.key is a clinic key (kind 2)" "certify with a clinic key"
[ ! -e x.cert ] && ok "certify: nothing written" || bad "certify: a refused certification left x.cert"

# --- trust build -------------------------------------------------------------
expect 5 "trust build: wrong passphrase" -- "$PHR" trust build --key auth.key --cert c1.cert --passphrase-file wrong.pass --out x.bundle
expect 5 "trust build: no passphrase and no terminal" -- run_no_tty "$PHR" trust build --key auth.key --cert c1.cert --out x.bundle
expect 6 "trust build: missing key file" -- "$PHR" trust build --key missing.key --cert c1.cert --out x.bundle
expect 2 "trust build: with a clinic key" -- "$PHR" trust build --key c1.key --cert c1.cert --out x.bundle
message "c1.key is a clinic key (kind 2)" "trust build with a clinic key"
expect 7 "trust build: a certificate that does not parse" -- "$PHR" trust build --key auth.key --cert broken.cert --out x.bundle
[ ! -e x.bundle ] && ok "trust build: nothing written" || bad "trust build: a refused bundle left x.bundle"

# --- signing times against the verifier's clock --------------------------------
PHR_NOW=2025-06-20 expect 0 "issue dated 5 days ahead of the verifier" -- "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out future.phr
PHR_NOW=2025-06-15 expect 16 "verify: signed in the future" -- "$PHR" verify --trust trust.bundle future.phr
grep -q "signed_in_future" "$W/out" && ok "verify names signed_in_future" || bad "verify output lacks signed_in_future"
PHR_NOW=2025-06-15 expect 0 "show: the future entry is shown, marked" -- "$PHR" show --trust trust.bundle future.phr
grep -q "WARNING" "$W/out" && grep -q "Signing date in the future" "$W/out" && ok "show marks the future entry" ||
	bad "show does not mark the future entry"
PHR_NOW=2025-06-25 expect 0 "verify: the same record five days later" -- "$PHR" verify --trust trust.bundle future.phr
PHR_NOW=$(( $(date -u -d 2025-06-15 +%s) + 23 * 3600 )) expect 0 "issue 23 hours ahead" -- "$PHR" issue --key c1.key --cert c1.cert --in "$A" --out ahead.phr
PHR_NOW=2025-06-15 expect 0 "verify: 23 hours ahead is within the tolerance" -- "$PHR" verify --trust trust.bundle ahead.phr
PHR_NOW=2025-06-15 expect 16 "extend refuses a record signed in the future" -- "$PHR" extend --key c2.key --cert c2.cert --in future.phr --entry "$E" --out x.phr
message "signed_in_future" "extend names the future entry"
PHR_NOW=$(date -u -d "2025-06-14 12:00" +%s) expect 0 "extend dated 12 hours before entry 0 (a clinic's clock was wrong)" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r.phr --entry "$E" --out back.phr
PHR_NOW=2025-06-16 expect 0 "verify: out of order is still valid" -- "$PHR" verify --trust trust.bundle back.phr
grep -q "signed_before_previous" "$W/out" && ok "verify reports signed_before_previous" || bad "verify output lacks the warning"
PHR_NOW=2025-06-16 expect 0 "show --format json" -- "$PHR" show --format json --trust trust.bundle back.phr
grep -q '"signed_before_previous"' "$W/out" && ok "JSON carries the warning" || bad "JSON lacks the warning"
PHR_NOW=2025-06-16 expect 0 "show" -- "$PHR" show --trust trust.bundle back.phr
grep -q "Dated before the previous entry" "$W/out" && ok "text shows the warning" || bad "text lacks the warning"

# --- an authority key acting as a clinic's --------------------------------------
expect 2 "certify an authority's .pub" -- "$PHR" authority certify --key auth.key --clinic auth2.pub --days 30 --out x.cert
message "auth2.pub is an authority public key (kind 1)" "certify an authority's .pub"
expect 2 "certify the authority's own .pub" -- "$PHR" authority certify --key auth.key --clinic auth.pub --days 30 --out x.cert
# The kind byte (offset 2: a5 01 <kind>) turned from 1 into 2.
cp auth2.pub forged.pub
printf '\x02' | dd of=forged.pub bs=1 seek=2 conv=notrunc status=none
[ "$(od -An -tx1 -j2 -N1 forged.pub | tr -d ' ')" = 02 ] && ok "forged.pub says kind 2" || bad "forging the kind byte"
expect 3 "certify an authority's .pub with its kind byte changed" -- "$PHR" authority certify --key auth.key --clinic forged.pub --days 30 --out x.cert
message "self-signature (field 5) does not verify" "forged kind"
expect 3 "trust build with a forged authority .pub" -- "$PHR" trust build --key auth.key --authority forged.pub --out x.bundle
expect 3 "inspect a forged .pub" -- "$PHR" inspect forged.pub
[ ! -e x.cert ] && [ ! -e x.bundle ] && ok "nothing certified" || bad "an authority key was certified as a clinic"
expect 2 "issue with an authority key and a clinic certificate" -- "$PHR" issue --key auth2.key --cert c1.cert --in "$A" --out x.phr
message "authority key (kind 1)" "issue with an authority key"

echo "signers: $pass passed, $fail failed"
[ "$fail" = 0 ]
