# Shared by the integration scripts (sourced): a scratch directory, the
# fixed passphrase and clock, and the check helpers. Each script prints
# "ok"/"FAIL" lines and exits non-zero when a check failed.
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export PHR_PASSPHRASE="correct horse battery staple"
export PHR_NOW=2025-06-15
# The installation's trust anchors and state (docs/TRUST.md): a scratch one,
# never the user's. Scripts pin their authority with 'phr trust pin'.
export PHR_TRUST_DIR="$W/installation"
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# expect CODE DESCRIPTION -- command...   (stdout in $W/out, stderr in $W/err)
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$W/out" 2>"$W/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok "$what (exit $got)"; else
		bad "$what: exit $got, want $want"
		sed 's/^/    /' "$W/err" | head -8
	fi
}
# message SUBSTRING DESCRIPTION: checks the last stderr
message() {
	if grep -qF -- "$1" "$W/err"; then ok "$2 says '$1'"; else
		bad "$2: stderr lacks '$1'"
		sed 's/^/    /' "$W/err" | head -8
	fi
}
# two_clinics [NAME1 CC1 NAME2 CC2]: in the current directory, a pinned
# authority (auth.key), two clinics (c1, c2; Zagreb HR and Ljubljana SI
# unless named) certified for 2025 (c1.cert, c2.cert) and trust.bundle
# listing both; one check line. Needs $PHR.
two_clinics() {
	local n1=${1:-Zagreb Clinic} c1=${2:-HR} n2=${3:-Ljubljana Clinic} c2=${4:-SI}
	"$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key >/dev/null 2>&1 &&
		"$PHR" trust pin auth.pub >/dev/null 2>&1 &&
		"$PHR" clinic init --name "$n1" --country "$c1" --out c1.key >/dev/null 2>&1 &&
		"$PHR" clinic init --name "$n2" --country "$c2" --out c2.key >/dev/null 2>&1 &&
		"$PHR" authority certify --key auth.key --clinic c1.pub --days 365 --from 2025-01-01 --out c1.cert >/dev/null 2>&1 &&
		"$PHR" authority certify --key auth.key --clinic c2.pub --days 365 --from 2025-01-01 --out c2.cert >/dev/null 2>&1 &&
		"$PHR" trust build --key auth.key --cert c1.cert --cert c2.cert --out trust.bundle >/dev/null 2>&1 &&
		ok "keys, certificates, trust bundle, the authority pinned" || bad "keys and trust bundle"
}
