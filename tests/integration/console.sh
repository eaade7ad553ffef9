#!/bin/sh
# console.sh — the operator console in a real browser (playwright-core
# driving Debian's Chromium, headless) against two real nodes on loopback:
# the dictionaries are complete in English and Russian; an officer on A
# logs in, opens a case from the charter's form, and it appears in B's
# inbox without a reload; B (in Russian) acknowledges and answers; A sees
# the answer and its report chart update; a wrong token, an expired
# session and an auditor trying to act each get a clear message in the
# page and change nothing (parley store digest before and after); with
# A's clock three days ahead (faketime) its inbox marks b's case overdue
# and the overdue filter keeps it; every
# page is keyboard-reachable with labelled controls; screenshots of every
# page in both languages, at 1280x800 and 420 px wide, go to
# $PARLEY_SHOTS (default: tests/console-shots beside the binary), which
# the test prints.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$PARLEY")" && pwd)
DRV=$SRC/tests/console
CHROMIUM=${PARLEY_CHROMIUM:-/usr/bin/chromium}
SHOTS=${PARLEY_SHOTS:-$BUILD/tests/console-shots}
for need in node sqlite3; do
	command -v $need >/dev/null || { echo "$need missing: run scripts/deps.sh"; exit 1; }
done
FAKETIME_LIB=/usr/lib/$(gcc -dumpmachine)/faketime/libfaketimeMT.so.1
[ -f "$FAKETIME_LIB" ] || { echo "$FAKETIME_LIB missing: run scripts/deps.sh (Debian package faketime)"; exit 1; }
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM missing: run scripts/deps.sh (Debian package chromium)"; exit 1; }
[ -d "$DRV/node_modules/playwright-core" ] || { echo "playwright-core missing: run 'npm ci' in tests/console (scripts/deps.sh does)"; exit 1; }
started=$(date +%s)

# The dictionaries, before any browser: the same keys in both languages,
# every key the page uses present, no Russian string left in English.
out=$(node "$DRV/i18n-check.mjs" "$SRC/web" 2>&1)
if [ $? -eq 0 ]; then ok "dictionaries: $(printf '%s\n' "$out" | tail -n 1)"; else bad "dictionaries" "$out"; fi

base=$((24000 + ($$ * 11) % 30000))
two_nodes "$base"
OFF_A=$(tok olga officer a); AUD_A=$(tok ali auditor a); OFF_B=$(tok boris officer b)
serve_bg a
serve_bg b
sleep 0.4
"$PARLEY" channel propose b.example --template standard --dir "$T/a" >/dev/null
settle || bad "a's proposal reaches b"
"$PARLEY" channel accept a.example --dir "$T/b" >/dev/null
settle || bad "b's acceptance reaches a"
# Something in A's inbox too (for its pages and screenshots).
"$PARLEY" case new a.example --type information-sharing --subject 'Indicators of a phishing wave' \
	--field summary='lures in Russian and English' --dir "$T/b" >/dev/null || bad "b opens a case with a"
settle || bad "b's case reaches a"

mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
# browser PHASE: runs the browser script; its ok/FAIL lines count here.
browser() {
	PHASE=$1 URL_A="https://127.0.0.1:$((base + 1))" URL_B="https://127.0.0.1:$((base + 3))" \
	OFF_A=$OFF_A AUD_A=$AUD_A OFF_B=$OFF_B NODE_A=$T/a NODE_B=$T/b PARLEY=$PARLEY \
	CHROMIUM=$CHROMIUM SHOTS=$SHOTS TMPDIR=$T \
		node "$DRV/console.mjs" > "$T/$1.out" 2>&1
	rc=$?
	cat "$T/$1.out"
	pass=$((pass + $(grep -c '^ok ' "$T/$1.out")))
	fail=$((fail + $(grep -c '^FAIL ' "$T/$1.out")))
	[ $rc -eq 0 ] || bad "the browser script ($1) exited $rc"
	if grep -q '^FAIL ' "$T/$1.out"; then # what the servers said, for the reader
		for x in a b; do echo "--- $x.log (last 15 lines)"; tail -n 15 "$T/$x.log"; done
	fi
}
browser main

# An expired session: A again, its sessions lasting 10 seconds.
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=""
PARLEY_CONSOLE_SESSION=10
export PARLEY_CONSOLE_SESSION
serve_bg a
unset PARLEY_CONSOLE_SESSION
serve_bg b
sleep 0.4
browser expiry

# Overdue: A serves with its clock three days ahead (libfaketime), so b's
# case, to be acknowledged within two days, is overdue there; a's own,
# answered, is not. (ASan wants to come first among preloaded libraries.)
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=""
# libfaketime preloaded directly, not through faketime(1), which would
# stand between this script and the server's pid.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" LD_PRELOAD=$FAKETIME_LIB FAKETIME=+3d \
	"$PARLEY" serve --dir "$T/a" 2>>"$T/a.log" &
pids="$!"
sleep 0.4
browser overdue

n=$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)
[ "$n" -ge 30 ] && ok "$n screenshots in $SHOTS" || bad "screenshots in $SHOTS ($n, want 30)"
echo "console.sh: screenshots in $SHOTS; took $(($(date +%s) - started)) s"
finish
