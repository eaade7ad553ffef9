#!/bin/sh
# bench/case_at_scale.sh NODE_DIR [N] — case creation on a node that
# already holds a big channel (e.g. a.example of bench_report's dataset,
# /tmp/parley-bench-report-1000000/a, 2.75 M entries): copies the node,
# serves the copy alone (its peer is not running: deliveries wait), opens
# one case untimed (the server's first look at the channel), then N cases
# (default 200) at concurrency 1 through the operator API.
set -eu
cd "$(dirname "$0")/.."
src=${1:?usage: bench/case_at_scale.sh NODE_DIR [N]}
n=${2:-200}
P=${PARLEY_BIN:-./build-release/parley}
ninja -C build-release parley bench/bench_http >/dev/null
dir=$(mktemp -d /tmp/parley-scale.XXXXXX)
trap '[ -z "${sp:-}" ] || kill $sp 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
cp -r "$src" "$dir/a"
port=$((30000 + $$ % 20000))
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/; s/^operator_listen = .*/operator_listen = 127.0.0.1:$((port + 1))/" "$dir/a/parley.conf"
peer=$($P peer list --dir "$dir/a" --json | sed -n 's/.*"name":"\([^"]*\)".*/\1/p' | head -1)
token=$($P operator add bench --role officer --dir "$dir/a" --json | sed 's/.*"token":"\([^"]*\)".*/\1/')
$P serve --dir "$dir/a" 2>"$dir/a.log" &
sp=$!
t=0
until grep -q operator_listen= "$dir/a.log"; do
	[ $t -lt 100 ] || { cat "$dir/a.log" >&2; exit 1; }
	sleep 0.1
	t=$((t + 1))
done
case_json='{"peer":"'$peer'","type":"cyber-incident","subject":"Scanning from AS64500","text":"ssh brute force","fields":{"summary":"ssh brute force","source_ip":"192.0.2.0/24","first_seen":"2026-11-20","contact":"cert@a.example","severity":"high"}}'
api=https://127.0.0.1:$((port + 1))/api/v1/cases
echo "$P on a copy of $src ($(du -sh "$dir/a" | cut -f1)); load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'first case:  '; ./build-release/bench/bench_http load "$api" "$case_json" 1 1 "Authorization: Bearer $token" | head -1
printf 'next %s:    ' "$n"; ./build-release/bench/bench_http load "$api" "$case_json" "$n" 1 "Authorization: Bearer $token" | head -1
