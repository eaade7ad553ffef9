#!/bin/sh
# fuzz-run.sh FUZZER CORPUS SECONDS — the short libFuzzer run of the test
# suite (meson test --suite fuzz-run): runs FUZZER for SECONDS over a copy
# of the committed CORPUS in a temporary directory, so the corpus is never
# changed. Fails on any crash, leak, sanitizer report or timeout, and then
# keeps the input that caused it in fuzz-run-artifacts/ (under the
# directory meson test runs in, the build directory).
set -eu
fuzzer=$1
corpus=$2
secs=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-fuzz-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/corpus" "$tmp/artifacts"
cp "$corpus"/* "$tmp/corpus/"
rc=0
"$fuzzer" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$tmp/artifacts/" "$tmp/corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
	name=$(basename "$fuzzer")
	mkdir -p fuzz-run-artifacts
	for f in "$tmp"/artifacts/*; do
		[ -e "$f" ] || continue
		cp "$f" "fuzz-run-artifacts/$name-$(basename "$f")"
		echo "fuzz-run: $name: input kept in $(pwd)/fuzz-run-artifacts/$name-$(basename "$f")" >&2
	done
	echo "fuzz-run: $name failed (exit $rc)" >&2
	exit 1
fi
