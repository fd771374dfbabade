# shellcheck shell=bash
# The PC/SC stack of the card tests (card.sh, card_seal.sh), sourced after
# lib.sh with PHR and VICC set: checks root, pcscd and the vpcd driver;
# defines the readers R0 and R1, poll, reader_state, start_pcscd,
# stop_pcscd, vicc, reap and unvicc; the EXIT trap stops every pcscd and
# card started here and removes $W; takes the machine's card-test lock (one
# pcscd per machine) and refuses a pcscd someone else runs.
CARD_TEST=$(basename "$0")
if [ "$(id -u)" != 0 ]; then
	echo "FAIL $CARD_TEST must run as root: it starts its own pcscd (run the suite as root, as CI does)"
	exit 1
fi
PCSCD=$(command -v pcscd || echo /usr/sbin/pcscd)
if [ ! -x "$PCSCD" ] || [ ! -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ]; then
	echo "FAIL $CARD_TEST needs pcscd and the vpcd driver (Debian packages pcscd and vsmartcard-vpcd)"
	exit 1
fi

R0="Virtual PCD 00 00" # vpcd port 35963
R1="Virtual PCD 00 01" # vpcd port 35964
PCSCD_PID=
VPIDS=()

# Everything started here is stopped here, whatever happens.
cleanup() {
	local p
	for p in "${VPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${VPIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "$PCSCD_PID" ]; then
		kill "$PCSCD_PID" 2>/dev/null
		wait "$PCSCD_PID" 2>/dev/null
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# poll LIMIT_S command...: runs the command until it succeeds (20 ms apart).
poll() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}
reader_state() { # READER present|absent
	local want="card present"
	[ "$2" = absent ] && want="no card"
	"$PHR" card list 2>/dev/null | grep -qxF -- "$1: $want" ||
		"$PHR" card list 2>/dev/null | grep -q -- "^$1: $want"
}
pcscd_up() { "$PHR" card list >/dev/null 2>&1; }

start_pcscd() {
	rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
	"$PCSCD" -f >>"$W/pcscd.log" 2>&1 9>&- &
	PCSCD_PID=$!
	poll 10 pcscd_up && poll 10 reader_state "$R0" absent && return 0
	echo "FAIL pcscd did not come up with the vpcd readers:"
	sed 's/^/    /' "$W/pcscd.log" | tail -20
	exit 1
}
stop_pcscd() {
	kill "$PCSCD_PID" 2>/dev/null
	wait "$PCSCD_PID" 2>/dev/null
	PCSCD_PID=
}

# vicc READER STATE [options]: a virtual card in READER, on its state file;
# returns once pcscd sees it (its pid in $VPID).
vicc() {
	local reader=$1 state=$2 port=35963
	shift 2
	[ "$reader" = "$R1" ] && port=35964
	"$VICC" --state "$state" --port "$port" "$@" 2>>"$W/vicc.log" 9>&- &
	VPID=$!
	VPIDS+=("$VPID")
	poll 5 reader_state "$reader" present || { bad "card in '$reader' not seen by pcscd"; tail -5 "$W/vicc.log"; }
}
# reap PID: waits for a card process that ended (or was stopped), returns
# its exit status and forgets it, so that cleanup never signals a reused pid.
reap() {
	local p rest=() rc
	wait "$1" 2>/dev/null
	rc=$?
	for p in "${VPIDS[@]}"; do [ "$p" = "$1" ] || rest+=("$p"); done
	VPIDS=("${rest[@]}")
	return $rc
}
# unvicc READER [PID]: stops the card, until pcscd sees it gone.
unvicc() {
	local reader=$1 pid=${2:-$VPID}
	kill "$pid" 2>/dev/null
	reap "$pid"
	poll 5 reader_state "$reader" absent || bad "card in '$reader' still seen after it left"
}

# One pcscd per machine: runs of this test from several build directories
# take turns (the lock is released when this shell exits)...
exec 9>/run/lock/phr-card-test.lock
flock -w 480 9 || { echo "FAIL another run of card.sh or card_seal.sh (or the web-card test) held the lock for 8 minutes"; exit 1; }
# ...and a pcscd of someone else would take the readers: refuse, do not share.
if [ -S /run/pcscd/pcscd.comm ] && "$PHR" card list >/dev/null 2>&1; then
	echo "FAIL another pcscd is running (pid $(tr -d '\0' </run/pcscd/pcscd.pid 2>/dev/null)); stop it first"
	exit 1
fi
