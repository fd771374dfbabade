#!/usr/bin/env bash
# Trust anchoring (docs/TRUST.md): a bundle counts only when its signer is a
# pinned anchor of the installation (or --authority, compared in full); it
# expires; its version never goes backwards on one installation; the
# bundle's certificate for a key wins over an embedded one; a certificate
# from a revoked authority makes the entries it covers REVOKED.
# usage: trust.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$W"
kid() { "$PHR" inspect "$1" | sed -n 's/.*key id: //p'; }
EX="$SRC/examples/older-man-chronic.json"

# the health authority, and a made-up one with the same name
"$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key >/dev/null 2>&1
"$PHR" authority init --name "Demo Health Authority" --country GR --out rogue.key >/dev/null 2>&1
"$PHR" authority init --name "Second Authority" --country DE --out auth2.key >/dev/null 2>&1
for c in c1 c2 c3 c9; do "$PHR" clinic init --name "Clinic $c" --country GR --out $c.key >/dev/null 2>&1; done
"$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert >/dev/null 2>&1
"$PHR" authority certify --key auth.key --clinic c2.pub --days 365 --from 2025-01-01 --out c2.cert >/dev/null 2>&1
"$PHR" authority certify --key auth2.key --clinic c3.pub --days 365 --from 2025-01-01 --out c3.cert >/dev/null 2>&1
"$PHR" authority certify --key rogue.key --clinic c9.pub --days 365 --from 2025-01-01 --out c9.cert >/dev/null 2>&1
"$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out r.phr >/dev/null 2>&1
"$PHR" issue --key c9.key --cert c9.cert --in "$EX" --out rogue.phr >/dev/null 2>&1
"$PHR" issue --key c3.key --cert c3.cert --in "$EX" --out r3.phr >/dev/null 2>&1
[ -s r.phr ] && [ -s rogue.phr ] && [ -s r3.phr ] && ok "keys, certificates, records" || bad "setup"
expect 0 "bundle version 1" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --version 1 --out v1.bundle
expect 0 "made-up authority's bundle" -- "$PHR" trust build --key rogue.key --cert c9.cert --version 1 --out rogue.bundle

# --- pinning ---
expect 7 "no anchors: a bundle is refused, not silently accepted" -- "$PHR" verify --trust v1.bundle r.phr
message "no trust anchors" "no anchors"
message "phr trust pin" "no anchors"
[ ! -e "$PHR_TRUST_DIR/trust-state" ] && ok "a refused bundle leaves no state" || bad "state written for a refused bundle"
expect 2 "a clinic key is not an anchor" -- "$PHR" trust pin c1.pub
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
grep -qF "$(kid auth.pub)" "$W/out" && ok "pin names the key id" || bad "pin output lacks the key id"
[ -s "$PHR_TRUST_DIR/anchors" ] && ok "anchors file in PHR_TRUST_DIR" || bad "no anchors file"
expect 0 "pin again: nothing changes" -- "$PHR" trust pin auth.pub
message "already a trust anchor" "pin again"
expect 0 "trust anchors lists it" -- "$PHR" trust anchors
grep -qF "$(kid auth.pub)" "$W/out" && ok "anchors list the key id" || bad "anchors list"
expect 0 "verify with the pinned authority's bundle" -- "$PHR" verify --trust v1.bundle r.phr

expect 7 "made-up authority's bundle refused (verify)" -- "$PHR" verify --trust rogue.bundle rogue.phr
message "\"Demo Health Authority\"" "made-up authority"
message "$(kid rogue.pub)" "made-up authority"
message "not a trust anchor here" "made-up authority"
message "phr trust pin" "made-up authority"
expect 7 "made-up authority's bundle refused (show)" -- "$PHR" show --trust rogue.bundle rogue.phr
expect 7 "made-up authority's bundle refused (extend)" -- "$PHR" extend --trust rogue.bundle --key c9.key --cert c9.cert \
	--in rogue.phr --entry "$SRC/examples/entries/vaccination-given.json" --out x.phr
expect 7 "made-up authority's bundle refused (print)" -- "$PHR" print --trust rogue.bundle rogue.phr --out x.pdf
[ ! -e x.phr ] && [ ! -e x.pdf ] && ok "nothing written" || bad "output written under a refused bundle"
expect 0 "without --trust the rogue record is shown unverified" -- "$PHR" show rogue.phr
grep -q "WARNING" "$W/out" && ok "and marked" || bad "unverified rogue record not marked"
expect 7 "--authority is compared with the signer in full" -- "$PHR" verify --trust rogue.bundle --authority auth.pub rogue.phr
message "not by the pinned authority" "--authority"
expect 2 "--authority takes an authority key" -- "$PHR" verify --trust v1.bundle --authority c1.pub r.phr
expect 11 "a one-off --authority pin: that authority's view" -- "$PHR" verify --trust rogue.bundle --authority rogue.pub r.phr
expect 0 "trust show of an unpinned bundle says so" -- "$PHR" trust show rogue.bundle
grep -q "not a trust anchor here" "$W/out" && ok "trust show: not an anchor" || bad "trust show status"
other="$W/elsewhere"
expect 0 "--trust-dir: another installation" -- "$PHR" trust pin --trust-dir "$other" rogue.pub
PHR_TRUST_DIR="$other" expect 11 "that installation trusts its own authority only" -- "$PHR" verify --trust rogue.bundle r.phr

# --- expiry ---
expect 2 "--days above 366" -- "$PHR" trust build --key auth.key --cert c1.cert --days 367 --out x.bundle
expect 0 "bundle version 2, 30 days" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --version 2 --days 30 --out v2.bundle
message "expires 2025-07-15" "trust build"
expect 0 "trust show gives the expiry" -- "$PHR" trust show v2.bundle
grep -q "expires 2025-07-15T00:00:00Z" "$W/out" && ok "trust show: expires" || bad "trust show lacks the expiry"
PHR_NOW=2025-07-16 expect 7 "expired bundle refused" -- "$PHR" verify --trust v2.bundle r.phr
message "trust bundle version 2 from \"Demo Health Authority\"" "expired"
message "expired on 2025-07-15 00:00 UTC: get a newer one" "expired"
PHR_NOW=2025-07-16 expect 0 "trust show marks it" -- "$PHR" trust show v2.bundle
grep -q "EXPIRED" "$W/out" && ok "trust show: EXPIRED" || bad "trust show does not mark an expired bundle"
PHR_NOW=2025-07-15 expect 0 "valid on its last day" -- "$PHR" verify --trust v2.bundle r.phr

# --- versions never go backwards ---
expect 7 "version 1 after version 2 was used" -- "$PHR" verify --trust v1.bundle r.phr
message "version 1 from \"Demo Health Authority\"" "older version"
message "is older than version 2 already used here" "older version"
expect 0 "trust anchors shows the version" -- "$PHR" trust anchors
grep -q "version 2" "$W/out" && ok "anchors list the newest version used" || bad "anchors list lacks the version"
expect 0 "another bundle, same version 2" -- "$PHR" trust build --key auth.key --cert c1.cert --version 2 --out v2b.bundle
expect 7 "same version, other bytes" -- "$PHR" verify --trust v2b.bundle r.phr
message "differs from the version 2 already used here" "same version"
# a revocation cannot be undone by a stale bundle
expect 0 "version 3 revokes clinic 1" -- "$PHR" trust build --key auth.key --cert c1.cert --version 3 --revoke "$(kid c1.pub)" --out v3.bundle
expect 12 "revoked with version 3" -- "$PHR" verify --trust v3.bundle r.phr
expect 7 "version 2 no longer undoes the revocation" -- "$PHR" verify --trust v2.bundle r.phr
expect 7 "nor does trust install" -- "$PHR" trust install v2.bundle
expect 0 "install version 4" -- "$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --version 4 --out v4.bundle
expect 0 "trust install" -- "$PHR" trust install v4.bundle
cmp -s v4.bundle "$PHR_TRUST_DIR/trust.bundle" && ok "installed as DIR/trust.bundle" || bad "installed bundle"
expect 0 "verify with the installed bundle" -- "$PHR" verify --trust "$PHR_TRUST_DIR/trust.bundle" r.phr
printf 'not cbor' >"$W/damaged"
cp "$PHR_TRUST_DIR/trust-state" state.keep
cp "$W/damaged" "$PHR_TRUST_DIR/trust-state"
expect 3 "a damaged state file is refused, not reset" -- "$PHR" verify --trust v4.bundle r.phr
message "trust-state" "damaged state"
cp state.keep "$PHR_TRUST_DIR/trust-state"

# --- the bundle's certificate wins over an embedded one ---
expect 0 "short certificate for clinic 1" -- "$PHR" authority certify --key auth.key --clinic c1.pub --days 10 --from 2025-01-01 --out c1-short.cert
expect 0 "version 5 shortens clinic 1" -- "$PHR" trust build --key auth.key --cert c1-short.cert --version 5 --out v5.bundle
expect 13 "r.phr embeds the year-long certificate; the bundle's 10 days win" -- "$PHR" verify --trust v5.bundle r.phr
expect 0 "a clinic the bundle does not list: the embedded certificate serves" -- \
	"$PHR" trust build --key auth.key --version 6 --out v6.bundle
expect 0 "verified through its embedded certificate" -- "$PHR" verify --trust v6.bundle r.phr

# --- revoked authorities ---
expect 0 "a bundle listing a second authority, revoked, with its clinic" -- "$PHR" trust build --key auth.key \
	--authority auth2.pub --cert c1.cert --cert c3.cert --revoke "$(kid auth2.pub)" --version 7 --out v7.bundle
expect 0 "it loads" -- "$PHR" trust show v7.bundle
expect 12 "an entry under the revoked authority's certificate is REVOKED" -- "$PHR" verify --trust v7.bundle r3.phr
grep -q "authority that certified the signer is revoked" "$W/out" && ok "and says why" || bad "revoked authority report"
expect 0 "the other authority's clinic still verifies" -- "$PHR" verify --trust v7.bundle r.phr
expect 12 "a bundle that revokes its own signer is not built" -- "$PHR" trust build --key auth.key --revoke "$(kid auth.pub)" --version 8 --out x.bundle

for cmd in "trust pin" "trust install" "trust anchors"; do
	# shellcheck disable=SC2086
	"$PHR" $cmd --help >"$W/out" 2>&1 && grep -q "Usage: phr" "$W/out" && ok "$cmd --help" || bad "$cmd --help"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
