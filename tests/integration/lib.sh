# lib.sh — helpers for the CLI integration tests (POSIX sh). Each test
# counts its checks and ends with the line "N passed, M failed".
set -u
: "${PARLEY:?PARLEY must name the parley binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/parley-it.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
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
