# lib.sh — helpers for the CLI integration tests (POSIX sh). Each test
# counts its checks and ends with the line "N passed, M failed".
set -u
: "${PARLEY:?PARLEY must name the parley binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/parley-it.XXXXXX")
# Servers started with serve_bg are stopped, and $T removed, on exit.
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
# serve_bg NODE: parley serve for $T/NODE in the background, log in $T/NODE.log
serve_bg() {
	"$PARLEY" serve --dir "$T/$1" 2>>"$T/$1.log" &
	pids="$pids $!"
}
pass=0
fail=0

ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     /'; }

# expect NAME STATUS PATTERN CMD...: runs CMD, checks its exit status and
# that stdout+stderr contain PATTERN (a fixed string; empty: no check).
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$name (exit $got, want $want)" "$out"
	elif [ -n "$pat" ] && ! printf '%s' "$out" | grep -qF -- "$pat"; then
		bad "$name (output lacks \"$pat\")" "$out"
	else
		ok "$name"
	fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
