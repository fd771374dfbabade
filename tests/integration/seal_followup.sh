#!/usr/bin/env bash
# A follow-up's holder key checked against the record's sealed entries
# (phr/seal_check.h) before anything is signed: a well-formed key that is
# not the record's (another record's; one a re-keying replaced; one whose
# id the newest sealed entry names but that does not open it) is refused,
# nothing written; the record's own key seals an entry that opens with it.
# usage: seal_followup.sh PHR SEALTOOL SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SEALTOOL=$(readlink -f "$2")
SRC=$(readlink -f "$3")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$W" || exit 1

two_clinics

EX="$SRC/examples/pregnant-hepatitis-b.json"
printf '{"kind":"follow_up","date":"2025-06-10","notes":"Follow-up talk about violence at home."}\n' >e.json
# extend_refused CODE WHAT IN KEY MESSAGE: refused with CODE, nothing written
extend_refused() {
	rm -f out.phr
	expect "$1" "$2" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in "$3" --entry e.json --out out.phr --holder-key "$4"
	message "$5" "$2"
	[ ! -e out.phr ] && ok "$2: nothing written" || bad "$2: out.phr written"
}

expect 0 "issue r (sealed, key.txt)" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out r.phr --holder-key-out key.txt
expect 0 "issue another record (other.txt)" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out other.phr --holder-key-out other.txt
expect 0 "issue a record with nothing sealed" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out open.phr --no-seal
cmp -s key.txt other.txt && bad "two issues gave the same key" || ok "two records, two keys"

# another record's key: no sealed entry of r is under it
extend_refused 38 "extend with another record's key" r.phr other.txt "not this record's holder key"
# a record with nothing sealed yet takes any key (it starts the seal)
expect 0 "extend a record with nothing sealed, any key" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in open.phr --entry e.json --out open2.phr --holder-key other.txt
expect 0 "its new entry opens with that key" -- "$PHR" show --entry 1 --holder-key other.txt open2.phr
grep -q violence "$W/out" && ok "the sealed note opens" || bad "the sealed note does not open"

# the newest sealed entry does not open with key.txt, an earlier one does:
# a sealed part moved there from entry 0 (sealtool move), or from another
# record sealed under the same key. v3 envelopes name no key: the trial
# opening reads this as a key replaced after entry 0 (41); the entry names
# the clinic that signed it.
"$SEALTOOL" move r.phr c2.key 1749945600 0 moved.phr || bad "sealtool move"
expect 0 "verify: the moved part is signed" -- "$PHR" verify --trust trust.bundle moved.phr
extend_refused 41 "extend when the newest sealed entry does not open" moved.phr key.txt "replaced at entry 1"
expect 0 "issue a second record under the same holder key" -- "$PHR" issue --key c1.key --cert c1.cert --in "$EX" --out same.phr --holder-key key.txt
"$SEALTOOL" move r.phr c2.key 1749945600 0 grafted.phr same.phr || bad "sealtool move from another record"
extend_refused 41 "extend when the newest sealed entry comes from another record" grafted.phr key.txt "replaced at entry 1"

# the record's own key: sealed, and the holder opens the new entry
expect 0 "extend with the record's key" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in r.phr --entry e.json --out r2.phr --holder-key key.txt
expect 0 "show entry 1 with the key" -- "$PHR" show --entry 1 --holder-key key.txt r2.phr
grep -q violence "$W/out" && ok "the follow-up opens with the holder's key" || bad "the follow-up does not open"

# after a re-keying: the old key is refused (41), the new one seals
expect 0 "rekey" -- "$PHR" rekey --trust trust.bundle --key c1.key --cert c1.cert --in r2.phr --holder-key key.txt --holder-key-out new.txt --out rk.phr
extend_refused 41 "extend with the replaced key" rk.phr key.txt "was replaced at entry 2"
expect 0 "extend with the new key" -- "$PHR" extend --trust trust.bundle --key c2.key --cert c2.cert --in rk.phr --entry e.json --out rk2.phr --holder-key new.txt
expect 0 "show entry 3 with the new key" -- "$PHR" show --entry 3 --holder-key new.txt rk2.phr
grep -q violence "$W/out" && ok "after re-keying, the follow-up opens with the new key" || bad "entry 3 does not open"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
