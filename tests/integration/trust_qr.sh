#!/usr/bin/env bash
# Trust by QR (docs/TRUST.md "Trust by QR"): a trust bundle printed as codes
# and an A4 poster (phr trust qr), the poster rendered by pdftoppm and read
# back by phr scan (a trust bundle, not a record) and by two independent
# decoders (zbarimg, ZXingReader); phr trust import takes a bundle only from
# a pinned authority and only when it is newer than the one in use, from a
# file or from pictures of the poster, also with one code blacked out.
# usage: trust_qr.sh PHR SOURCE_ROOT
set -u
PHR=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for tool in pdftoppm zbarimg ZXingReader python3 cmp; do
	command -v "$tool" >/dev/null || { echo "FAIL $tool is needed"; exit 1; }
done
cd "$W"
# Under AddressSanitizer: fontconfig (the poster's text) keeps a cache for
# the life of the process, which LeakSanitizer would report at exit (as in
# print.sh); that alone is suppressed.
printf 'leak:libfontconfig.so\n' >"$W/lsan.supp"
export LSAN_OPTIONS="suppressions=$W/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
kid() { "$PHR" inspect "$1" | sed -n 's/.*key id: //p'; }
sum() { cat "$PHR_TRUST_DIR/trust.bundle" "$PHR_TRUST_DIR/trust-state" 2>/dev/null | cksum; }

"$PHR" authority init --name "Demo Health Authority" --country GR --out auth.key >/dev/null 2>&1
"$PHR" authority init --name "Demo Health Authority" --country GR --out rogue.key >/dev/null 2>&1
for c in c1 c2 c3 c4 c5 c6; do
	"$PHR" clinic init --name "Clinic $c" --country GR --out $c.key >/dev/null 2>&1
	"$PHR" authority certify --key auth.key --clinic $c.pub --days 365 --out $c.cert >/dev/null 2>&1
done
certs=(--cert c1.cert --cert c2.cert --cert c3.cert --cert c4.cert --cert c5.cert --cert c6.cert)
expect 0 "bundle version 1" -- "$PHR" trust build --key auth.key --cert c1.cert --version 1 --out v1.bundle
expect 0 "bundle version 2" -- "$PHR" trust build --key auth.key "${certs[@]}" --version 2 --out v2.bundle
expect 0 "bundle version 3" -- "$PHR" trust build --key auth.key "${certs[@]}" --version 3 --out v3.bundle
expect 0 "bundle of a made-up authority (same name), version 9" -- \
	"$PHR" trust build --key rogue.key --version 9 --out rogue.bundle

# --- codes and poster ---
expect 0 "trust qr: codes and an English poster" -- "$PHR" trust qr --out-dir q2 --parity 2 --pdf v2-en.pdf --lang en v2.bundle
n=$(ls q2/code-*-of-*.png 2>/dev/null | wc -l)
[ "$n" -ge 3 ] && ok "trust qr wrote $n code images" || bad "trust qr wrote $n code images"
message "version 2" "trust qr"
expect 0 "trust qr: an Arabic poster" -- "$PHR" trust qr --out-dir q2ar --pdf v2-ar.pdf --lang ar v2.bundle
expect 2 "trust qr refuses a record-less command line" -- "$PHR" trust qr v2.bundle
expect 3 "trust qr refuses a file that is not a bundle" -- "$PHR" trust qr --out-dir qx auth.pub

# the codes read by zbarimg: phr's text form, header kind 2 and "TRST" (decoded here, independently)
for f in q2/code-*.png; do zbarimg -q --raw "$f"; done | sort >codes-png.txt
[ "$(wc -l <codes-png.txt)" = "$n" ] && ok "zbarimg reads all $n code images" || bad "zbarimg read $(wc -l <codes-png.txt) of $n"
python3 - codes-png.txt <<'PY' && ok "every code: PH1: + Base45, header kind 2, TRST" || bad "code header"
import sys
A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
def b45(s):
    out = bytearray()
    for i in range(0, len(s), 3):
        c = s[i:i + 3]
        v = sum(A.index(ch) * 45 ** k for k, ch in enumerate(c))
        out += v.to_bytes(2 if len(c) == 3 else 1, "big")
    return bytes(out)
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
for l in lines:
    assert l.startswith("PH1:"), l[:8]
    b = b45(l[4:])
    assert b[0] == 2 and b[1:5] == b"TRST", b[:5]
PY

# the poster rendered as a printer or scanner would see it
pdftoppm -r 300 -png v2-en.pdf p300 && pdftoppm -r 150 -png v2-en.pdf p150 && pdftoppm -r 150 -png v2-ar.pdf a150
for f in p300-1.png p150-1.png a150-1.png; do
	zbarimg -q --raw "$f" 2>/dev/null | grep . | sort >z.txt
	cmp -s z.txt codes-png.txt && ok "zbarimg reads the poster ($f): the same $n codes" || bad "zbarimg on $f: $(wc -l <z.txt) codes"
done
zx=$(ZXingReader p300-1.png 2>/dev/null | grep -c '^Text: *"PH1:')
[ "$zx" = "$n" ] && ok "ZXingReader reads all $n codes of the poster" || bad "ZXingReader read $zx of $n codes of the poster"

# --- phr scan recognises a bundle ---
expect 0 "scan the poster" -- "$PHR" scan --out scanned.bundle p150-1.png
message "a trust bundle, version 2" "scan"
message "$(kid auth.pub)" "scan"
message "not a record" "scan"
cmp -s scanned.bundle v2.bundle && ok "scan --out saves the bundle byte for byte" || bad "scan --out"
expect 0 "scan --format json" -- "$PHR" scan --format json a150-1.png
grep -q '"kind": "trust-bundle"' out && ok 'JSON says "kind": "trust-bundle"' || bad "JSON kind"
grep -q '"records": \[\]' out && ok "and shows no record" || bad "JSON shows a record"

# --- import ---
expect 7 "import with no anchors: refused" -- "$PHR" trust import v1.bundle
[ ! -e "$PHR_TRUST_DIR/trust.bundle" ] && ok "nothing installed" || bad "installed without an anchor"
expect 0 "pin the authority" -- "$PHR" trust pin auth.pub
expect 0 "import version 1 (file)" -- "$PHR" trust import v1.bundle
cmp -s "$PHR_TRUST_DIR/trust.bundle" v1.bundle && ok "version 1 installed" || bad "version 1 not installed"
before=$(sum)
expect 56 "same version again: refused" -- "$PHR" trust import v1.bundle
message "version 1, the version in use here already" "same version"
expect 0 "import version 2 from the poster page (300 dpi)" -- "$PHR" trust import --qr p300-1.png
cmp -s "$PHR_TRUST_DIR/trust.bundle" v2.bundle && ok "version 2 installed from the poster" || bad "version 2 not installed"
before=$(sum)
expect 56 "older (version 1): refused" -- "$PHR" trust import v1.bundle
message "version 1, older than the bundle in use here" "older"
message "version 2" "older"
expect 56 "same version from the poster: refused" -- "$PHR" trust import --qr p150-1.png
expect 7 "made-up authority (same name, version 9): refused" -- "$PHR" trust import rogue.bundle
message "$(kid rogue.pub)" "made-up authority"
[ "$(sum)" = "$before" ] && ok "refusals change nothing" || bad "a refused import changed the installation"
expect 0 "verify takes the installed bundle" -- "$PHR" trust show "$PHR_TRUST_DIR/trust.bundle"

# --- a torn poster: one code blacked out, parity restores it ---
expect 0 "poster of version 3" -- "$PHR" trust qr --out-dir q3 --parity 2 --pdf v3.pdf v3.bundle
pdftoppm -r 150 -gray v3.pdf g150
pdftoppm -r 150 -png v3.pdf t150
pos=$(ZXingReader t150-1.png 2>/dev/null | sed -n 's/^Position: *//p' | head -1)
python3 - g150-1.pgm torn.png "$pos" <<'PY' && ok "one code of the poster blacked out" || bad "could not black out a code"
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
parts = data.split(maxsplit=4)  # P5 W H MAX pixels
assert parts[0] == b"P5"
w, h = int(parts[1]), int(parts[2])
px = bytearray(parts[4][-w * h:])
pts = [tuple(int(v) for v in p.split("x")) for p in sys.argv[3].split()]
x0, x1 = min(p[0] for p in pts) - 4, max(p[0] for p in pts) + 4
y0, y1 = min(p[1] for p in pts) - 4, max(p[1] for p in pts) + 4
for y in range(max(0, y0), min(h, y1)):
    px[y * w + max(0, x0):y * w + min(w, x1)] = bytes(min(w, x1) - max(0, x0))
raw = b"".join(b"\0" + bytes(px[y * w:(y + 1) * w]) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
left=$(zbarimg -q --raw torn.png 2>/dev/null | grep -c '^PH1:')
n3=$(ls q3/code-*.png | wc -l)
[ "$left" = $((n3 - 1)) ] && ok "the torn poster shows $left of $n3 codes" || bad "torn poster shows $left of $n3 codes"
expect 0 "scan the torn poster" -- "$PHR" scan torn.png
message "a trust bundle, version 3" "torn scan"
expect 0 "import version 3 from the torn poster (150 dpi)" -- "$PHR" trust import --qr torn.png
cmp -s "$PHR_TRUST_DIR/trust.bundle" v3.bundle && ok "version 3 installed from the torn poster" || bad "version 3 not installed"
grep -q "was version 2" out && ok "import names the version it replaces" || bad "import output: $(cat out)"
expect 56 "version 2's poster after version 3: refused" -- "$PHR" trust import --qr p300-1.png
message "version 2, older than the bundle in use here" "older poster"
message "version 3" "older poster"

# a record's codes still scan as a record, beside a bundle's
"$PHR" issue --key c1.key --cert c1.cert --in "$SRC/examples/older-man-chronic.json" --out r.phr >/dev/null 2>&1
expect 0 "a record's codes" -- "$PHR" qr --out-dir qr r.phr
expect 0 "scan a record and a bundle together" -- "$PHR" scan --format json qr/*.png p150-1.png
grep -q '"kind": "record"' out && grep -q '"kind": "trust-bundle"' out && ok "one record, one trust bundle" || bad "kinds in a mixed scan"
[ "$(grep -c '"record_id":' out)" -ge 1 ] && ok "the record is shown" || bad "the record is not shown"
expect 8 "import from one code of the poster: codes missing" -- "$PHR" trust import --qr q2/code-01-of-*.png
message "restores the trust bundle" "one code"

# --- pictures that cannot be read, among real ones: each is named with the
# reason and passed over; the others still give the bundle ---
expect 0 "bundle version 4" -- "$PHR" trust build --key auth.key "${certs[@]}" --version 4 --out v4.bundle
expect 0 "codes of version 4, one parity code" -- "$PHR" trust qr --out-dir q4 --parity 1 v4.bundle
codes4=(q4/code-*.png)
n4=${#codes4[@]}
python3 - blank.png noise.png <<'PY' && ok "a blank and a noise picture" || bad "could not make the blank and noise pictures"
import sys, zlib, struct, random
def png(path, w, h, px):
    raw = b"".join(b"\0" + bytes(px[y * w:(y + 1) * w]) for y in range(h))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
png(sys.argv[1], 600, 600, bytes([255]) * 360000)
rnd = random.Random(4)
png(sys.argv[2], 600, 600, bytes(rnd.choice((0, 255)) for _ in range(360000)))
PY
# the first code's picture cut short, as a copy broken off in transfer
head -c $(($(wc -c <"${codes4[0]}") / 2)) "${codes4[0]}" >cut.png
before=$(sum)
expect 8 "import from one code and three unreadable pictures: refused" -- \
	"$PHR" trust import --qr blank.png "${codes4[1]}" cut.png noise.png
for f in blank.png cut.png noise.png; do
	[ "$(grep -c "^phr trust import: $f: unreadable" err)" = 1 ] && ok "one line names $f as unreadable" ||
		bad "no single line for $f: $(cat err)"
done
grep "^phr trust import: cut.png: unreadable" err | grep -q "PNG" && ok "and says why (the PNG is damaged)" ||
	bad "cut.png's reason: $(cat err)"
grep "^phr trust import: blank.png: unreadable" err | grep -q "no code" && ok "and says why (no code in it)" ||
	bad "blank.png's reason: $(cat err)"
message "of $n4 are missing" "incomplete pictures"
message "3 of 4 pictures unreadable: blank.png, cut.png, noise.png" "incomplete pictures"
[ "$(sum)" = "$before" ] && ok "the refusal changes nothing" || bad "a refused import changed the installation"
expect 0 "import version 4: every readable picture used, the unreadable passed over" -- \
	"$PHR" trust import --qr blank.png cut.png "${codes4[@]:1}" noise.png
cmp -s "$PHR_TRUST_DIR/trust.bundle" v4.bundle && ok "version 4 installed (parity made up for the cut code)" ||
	bad "version 4 not installed"
for f in blank.png cut.png noise.png; do
	[ "$(grep -c "^phr trust import: $f: unreadable" err)" = 1 ] && ok "$f named once" || bad "$f: $(cat err)"
done
[ "$(grep -c ": 1 code, 1 of them phr" err)" = $((n4 - 1)) ] && ok "each of the $((n4 - 1)) code pictures read" ||
	bad "code pictures read: $(cat err)"
expect 8 "only unreadable pictures: refused" -- "$PHR" trust import --qr blank.png cut.png nosuch.png
message "no trust bundle's code in 3 pictures" "only unreadable"
message "nosuch.png: unreadable, passed over: cannot open nosuch.png" "a missing file"
expect 0 "trust import --help" -- "$PHR" trust import --help

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
