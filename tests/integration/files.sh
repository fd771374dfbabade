#!/usr/bin/env bash
# How phr writes files (docs/phr.1, FILES): the umask for new files, the
# mode of a file it replaces, symbolic links followed, devices and FIFOs
# written through and never replaced, directories and sockets refused,
# partial files named for what they are and those of dead processes
# removed; an empty print batch fails; a new key's passphrase has a minimum.
# usage: files.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Under LeakSanitizer: fontconfig's parsed configuration, as in print.sh.
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
EX="$SRC/examples/older-man-chronic.json"
ENTRY="$SRC/examples/entries/vaccination-given.json"
mode() { stat -c %a "$1"; }
partials() { find "$1" -maxdepth 1 -name '*phr-partial*' | wc -l; }

cd "$W"
umask 022
expect 0 "authority init" -- "$PHR" authority init --name "Files Authority" --country GR --out auth.key
expect 0 "clinic init" -- "$PHR" clinic init --name "Files Clinic" --country GR --out c.key
expect 0 "certify" -- "$PHR" authority certify --key auth.key --clinic c.pub --days 365 --from 2025-01-01 --out c.cert
expect 0 "trust build" -- "$PHR" trust build --key auth.key --cert c.cert --out trust.bundle
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
issue() { "$PHR" issue --key c.key --cert c.cert --in "$EX" --out "$1" 2>"$W/err"; }
extend() { "$PHR" extend --trust trust.bundle --key c.key --cert c.cert --in "$1" --entry "$ENTRY" --out "$2" 2>"$W/err"; }
verifies() { "$PHR" verify --trust trust.bundle "$1" >/dev/null 2>&1; }

# ---- the umask for new files, the old mode for replaced ones ----
(umask 077 && issue u077.phr) && [ "$(mode u077.phr)" = 600 ] && ok "umask 077: a new record is 0600" ||
	bad "umask 077: a new record is $(mode u077.phr)"
(umask 002 && issue u002.phr) && [ "$(mode u002.phr)" = 664 ] && ok "umask 002: a new record is 0664" ||
	bad "umask 002: a new record is $(mode u002.phr)"
(umask 000 && "$PHR" clinic init --name "Open Clinic" --country GR --out open.key 2>"$W/err") &&
	[ "$(mode open.key)" = 600 ] && [ "$(mode open.pub)" = 666 ] && ok "umask 000: a key is still 0600, its .pub 0666" ||
	bad "umask 000: key $(mode open.key), pub $(mode open.pub)"
issue r.phr && chmod 600 r.phr
extend r.phr r.phr && verifies r.phr && [ "$(mode r.phr)" = 600 ] && ok "in-place extend of a 0600 record keeps 0600" ||
	bad "in-place extend: mode $(mode r.phr)"
issue g.phr && chmod 640 g.phr
(umask 077 && extend g.phr g.phr) && [ "$(mode g.phr)" = 640 ] && ok "umask 077 does not narrow a replaced 0640 record" ||
	bad "replaced 0640 record is $(mode g.phr)"
issue x.phr && chmod 755 x.phr && extend x.phr x.phr && [ "$(mode x.phr)" = 644 ] &&
	ok "a replaced 0755 record loses its execute bits (0644)" || bad "replaced 0755 record is $(mode x.phr)"
if [ "$(id -u)" = 0 ]; then
	issue own.phr && chown 12345:23456 own.phr && chmod 604 own.phr && extend own.phr own.phr &&
		[ "$(stat -c %u:%g:%a own.phr)" = 12345:23456:604 ] && ok "as root: owner, group and mode of a replaced file kept" ||
		bad "as root: replaced file is $(stat -c %u:%g:%a own.phr)"
else
	ok "owner and group (skipped: not root)"
fi
[ "$(partials .)" = 0 ] && ok "no partial file left after the writes" || bad "partial files left: $(ls -A | grep partial)"

# ---- symbolic links: followed, the link stays ----
mkdir -p real && issue real/target.phr && chmod 600 real/target.phr && ln -s real/target.phr link.phr
before=$(cksum <real/target.phr)
extend link.phr link.phr && [ -L link.phr ] && [ "$(readlink link.phr)" = real/target.phr ] &&
	[ "$(cksum <real/target.phr)" != "$before" ] && verifies real/target.phr &&
	ok "a symbolic link is followed: its target is replaced, the link stays" ||
	bad "symbolic link: $(ls -l link.phr real/)"
[ "$(mode real/target.phr)" = 600 ] && [ "$(partials real)" = 0 ] && [ "$(partials .)" = 0 ] &&
	ok "the link's target keeps its mode, no partial file left" || bad "link target mode $(mode real/target.phr)"
ln -s real/to-be-made.phr dangling.phr
expect 6 "a dangling symbolic link is refused" -- "$PHR" issue --key c.key --cert c.cert --in "$EX" --out dangling.phr
message "dangling.phr: it is a symbolic link to real/to-be-made.phr, which does not exist" "dangling link"
[ -L dangling.phr ] && [ ! -e real/to-be-made.phr ] && ok "dangling link: the link stays, nothing created" ||
	bad "dangling link: $(ls -l dangling.phr real/)"

# ---- devices and FIFOs written through; directories and sockets refused ----
mkfifo pipe.phr
timeout 20 cat pipe.phr >fromfifo.phr &
reader=$!
timeout 20 "$PHR" issue --key c.key --cert c.cert --in "$EX" --out pipe.phr 2>"$W/err"
rc=$?
wait $reader
[ "$rc" = 0 ] && [ -p pipe.phr ] && verifies fromfifo.phr && ok "a FIFO is written through and stays a FIFO" ||
	bad "FIFO: exit $rc, $(ls -l pipe.phr), read $(wc -c <fromfifo.phr) bytes"
if [ "$(id -u)" = 0 ] && mknod null.dev c 1 3 2>/dev/null; then
	expect 0 "issue to a character device (1,3)" -- "$PHR" issue --key c.key --cert c.cert --in "$EX" --out null.dev
	[ -c null.dev ] && [ "$(stat -c %t:%T null.dev)" = 1:3 ] && ok "the character device is still the device" ||
		bad "character device replaced: $(ls -l null.dev)"
	ln -s null.dev null-link
	expect 0 "a symbolic link to the device" -- "$PHR" trust build --key auth.key --cert c.cert --out null-link
	[ -L null-link ] && [ -c null.dev ] && ok "link to a device: link and device stay" || bad "link to a device: $(ls -l null-link null.dev)"
else
	ok "character device (skipped: not root, or mknod not permitted)"
fi
[ "$(partials .)" = 0 ] && ok "no partial file beside a FIFO or device" || bad "partial files: $(ls -A | grep partial)"
mkdir dir.phr
expect 6 "a directory is refused" -- "$PHR" issue --key c.key --cert c.cert --in "$EX" --out dir.phr
message "cannot write dir.phr: it is a directory" "directory"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock.phr
expect 6 "a socket is refused" -- "$PHR" issue --key c.key --cert c.cert --in "$EX" --out sock.phr
message "cannot write sock.phr: it is a socket" "socket"
[ -S sock.phr ] && [ -d dir.phr ] && ok "the socket and the directory are untouched" || bad "socket or directory replaced"

# ---- partial files: named for what they are, stale ones removed ----
sleep 0 &
dead=$!
wait $dead
sleep 60 &
alive=$!
issue s.phr
: >".s.phr.phr-partial-$dead-AbC123"
: >".s.phr.phr-partial-$alive-XyZ789"
: >".other.phr.phr-partial-$dead-AbC123"
extend s.phr s.phr || bad "extend over s.phr: $(cat "$W/err")"
[ ! -e ".s.phr.phr-partial-$dead-AbC123" ] && ok "a partial file of a dead process is removed on the next write" ||
	bad "stale partial file of PID $dead kept"
[ -e ".s.phr.phr-partial-$alive-XyZ789" ] && ok "a partial file of a live process is kept" ||
	bad "the partial file of live PID $alive was removed"
[ -e ".other.phr.phr-partial-$dead-AbC123" ] && ok "another file's partial files are left alone" ||
	bad "another file's partial file was removed"
kill $alive 2>/dev/null
wait $alive 2>/dev/null
rm -f .s.phr.phr-partial-* .other.phr.phr-partial-*

# ---- phr print: the same rules ----
expect 0 "print into a symbolic link" -- "$PHR" print --lang en --trust trust.bundle --out booklet-link.pdf s.phr
mv booklet-link.pdf booklet.pdf && ln -s booklet.pdf booklet-link.pdf && chmod 600 booklet.pdf
expect 0 "print again into the link" -- "$PHR" print --lang en --trust trust.bundle --out booklet-link.pdf s.phr
[ -L booklet-link.pdf ] && [ "$(mode booklet.pdf)" = 600 ] && [ "$(head -c 5 booklet.pdf)" = "%PDF-" ] &&
	ok "print: the link stays, its 0600 target is replaced" || bad "print into a link: $(ls -l booklet*)"
mkfifo pdf.fifo
timeout 60 cat pdf.fifo >fromfifo.pdf &
reader=$!
timeout 60 "$PHR" print --lang en --trust trust.bundle --quiet --out pdf.fifo s.phr 2>"$W/err"
rc=$?
wait $reader
[ "$rc" = 0 ] && [ -p pdf.fifo ] && [ "$(head -c 5 fromfifo.pdf)" = "%PDF-" ] && ok "print: a FIFO is written through" ||
	bad "print to a FIFO: exit $rc, $(ls -l pdf.fifo)"
[ "$(partials .)" = 0 ] && ok "print: no partial file left" || bad "print: partial files $(ls -A | grep partial)"

# ---- an empty batch fails ----
mkdir empty
expect 19 "print --batch of an empty directory" -- "$PHR" print --trust trust.bundle --batch empty --out e.pdf
message "nothing to print: empty holds no *.phr file; e.pdf was not written" "empty directory"
printf '%s\n' "# nothing yet" "" >empty.list
expect 19 "print --batch of a list naming no file" -- "$PHR" print --trust trust.bundle --batch empty.list --out e.pdf
message "nothing to print: empty.list names no file" "empty list"
expect 19 "print --batch of an empty standard input" -- "$PHR" print --trust trust.bundle --batch - --out e.pdf </dev/null
[ ! -e e.pdf ] && ok "empty batch: nothing written" || bad "empty batch: e.pdf written"

# ---- a new key's passphrase: at least 12 characters ----
PHR_PASSPHRASE=x expect 5 "authority init with a one-character passphrase" -- \
	"$PHR" authority init --name "Short Authority" --country GR --out short-a.key
message "has 1 character: a new key's passphrase needs at least 12 characters" "short authority passphrase"
PHR_PASSPHRASE=elevenchars expect 5 "clinic init with an 11-character passphrase" -- \
	"$PHR" clinic init --name "Short Clinic" --country GR --out short-c.key
message "needs at least 12 characters" "short clinic passphrase"
printf 'short\n' >short.pass
expect 5 "clinic init with a short --passphrase-file" -- \
	"$PHR" clinic init --name "Short Clinic" --country GR --out short-c.key --passphrase-file short.pass
message "the new passphrase (--passphrase-file) has 5 characters" "short passphrase file"
PHR_PASSPHRASE=ééééééééééé expect 5 "11 characters in 22 bytes are too few" -- \
	"$PHR" clinic init --name "Short Clinic" --country GR --out short-c.key
message "has 11 characters" "characters, not bytes"
[ ! -e short-a.key ] && [ ! -e short-c.key ] && [ ! -e short-c.pub ] && ok "short passphrases: no key written" ||
	bad "a key was written with a short passphrase"
PHR_PASSPHRASE=éééééééééééé expect 0 "12 two-byte characters are enough" -- \
	"$PHR" clinic init --name "Accented Clinic" --country GR --out accented.key
expect 0 "init --help names the minimum" -- "$PHR" clinic init --help
grep -q "at least 12 characters" "$W/out" && ok "clinic init --help says 'at least 12 characters'" || bad "init --help lacks the minimum"
PHR_PASSPHRASE=short expect 5 "opening a key: a wrong short passphrase is only wrong" -- \
	"$PHR" issue --key c.key --cert c.cert --in "$EX" --out short.phr
message "wrong passphrase" "opening a key"

echo "files: $pass passed, $fail failed"
[ "$fail" = 0 ]
