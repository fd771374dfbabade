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
