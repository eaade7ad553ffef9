#!/bin/sh
# bench/ingest.sh — durable ingest over mutual TLS between two real
# parley serve processes on loopback, against a raw SQLite batched insert
# of the same number of rows measured in the same run (bench_append's
# batch-1000 row).
#   sh bench/ingest.sh [ENTRIES] [DIR]
# Queues ENTRIES messages at a while a's server is down, starts b, then a,
# and times until b has cosigned them all (each batch: parse, append,
# root, checkpoint signature check, cosign, fsync; a verifies the receipt).
set -eu
cd "$(dirname "$0")/.."
n=${1:-50000}
dir=$(mktemp -d "${2:-/tmp}/parley-ingest.XXXXXX")
P=./build-release/parley
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release parley bench/bench_append >/dev/null
trap 'kill $pa $pb 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
port=$((30000 + $$ % 20000))
$P init --name a.example --dir "$dir/a" --listen "127.0.0.1:$port" >/dev/null
$P init --name b.example --dir "$dir/b" --listen "127.0.0.1:$((port + 1))" >/dev/null
$P peer add "$($P identity --dir "$dir/a")" --dir "$dir/b" >/dev/null
$P peer add "$($P identity --dir "$dir/b")" --dir "$dir/a" >/dev/null
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"subject\":\"incident %d\",\"text\":\"scanning from 192.0.2.%d\"}\n", i, i % 250 }' \
	| $P send b.example --type cyber-incident --lines --dir "$dir/a" >/dev/null
$P serve --dir "$dir/b" 2>/dev/null & pb=$!
sleep 0.3
t0=$(date +%s.%N)
$P serve --dir "$dir/a" 2>/dev/null & pa=$!
i=0
while [ $i -lt 6000 ]; do # at most 10 minutes
	left=$($P peer list --dir "$dir/a" --json | sed 's/.*"backlog":\([0-9]*\).*/\1/')
	[ "$left" = 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
t1=$(date +%s.%N)
[ "$left" = 0 ] || { echo "not drained: $left left"; exit 1; }
rate=$(echo "$n / ($t1 - $t0)" | bc -l)
raw=$(./build-release/bench/bench_append "$dir" "$n" | awk '$1 == 1000 { print $3 }')
printf 'ingest over mTLS: %d entries in %.2f s = %.0f entries/s (batches of 1000)\n' \
	"$n" "$(echo "$t1 - $t0" | bc -l)" "$rate"
printf 'raw SQLite batched insert (batch 1000, same disk, same run): %s entries/s\n' "$raw"
printf 'ratio: %.2f (target >= 0.5)\n' "$(echo "$rate / $raw" | bc -l)"
