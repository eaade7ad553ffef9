#!/bin/sh
# test.sh — set up a fresh Debian 12 machine and run the whole test suite:
# once in a normal build (warnings are errors), once under
# AddressSanitizer + UndefinedBehaviorSanitizer (the store tests run on
# SQLite and on a throwaway PostgreSQL cluster, scripts/pg.sh), then a
# short libFuzzer run of every fuzz harness (clang, 5 s each over a copy of
# its corpus: the fuzz-run suite, tests/fuzz/meson.build). Ends with one line
# "tests: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
# The fuzz stage needs clang and its runtimes: deps.sh installs them.
PARLEY_FUZZ=1
export PARLEY_FUZZ
sh scripts/deps.sh || exit 1

total_ok=0
total_fail=0
status=0

# The cluster lives in its own directory under /tmp (a Unix socket path
# must stay short) and is stopped on every exit, failures included.
pgdir=$(mktemp -d /tmp/parley-pg.XXXXXX) || exit 1
trap 'sh scripts/pg.sh stop "$pgdir" 2>/dev/null || rm -rf "$pgdir"' EXIT
trap 'exit 1' INT TERM HUP
if PARLEY_TEST_PG=$(sh scripts/pg.sh start "$pgdir"); then
	export PARLEY_TEST_PG
else
	echo "test.sh: could not start PostgreSQL: its tests are counted as failed" >&2
	status=1
	total_fail=$((total_fail + 1))
fi

# suite DIR [meson options...]: configure, build, test, count. Runs the
# tests of suite $only if set, else all.
only=""
suite() {
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@" >/dev/null || { status=1; return; }
	fi
	ninja -C "$dir" || { status=1; total_fail=$((total_fail + 1)); return; }
	meson test -C "$dir" --print-errorlogs --num-processes 2 ${only:+--suite "$only"} \
		> "$dir/test.out" 2>&1
	rc=$?
	cat "$dir/test.out"
	okn=$(sed -n 's/^Ok: *\([0-9]*\) *$/\1/p' "$dir/test.out")
	failn=$(sed -n 's/^Fail: *\([0-9]*\) *$/\1/p' "$dir/test.out")
	toutn=$(sed -n 's/^Timeout: *\([0-9]*\) *$/\1/p' "$dir/test.out")
	total_ok=$((total_ok + ${okn:-0}))
	total_fail=$((total_fail + ${failn:-0} + ${toutn:-0}))
	[ "$rc" -eq 0 ] || status=1
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

echo "== tests (debugoptimized, -Werror)"
suite build
echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
suite build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
echo "== short libFuzzer run of every harness (clang)"
CC=clang
export CC
only=fuzz-run
suite build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all'

echo "tests: $total_ok passed, $total_fail failed"
exit "$status"
