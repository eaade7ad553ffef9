#!/bin/sh
# bench/case_rate.sh [N] — parley alone: N cases (default 1000) opened
# through a's operator API (bench_http load) at concurrency 1, then at 8,
# on bench/nodes.sh's two nodes, all receipted by b at the end. For A/B
# runs of two binaries: PARLEY_BIN=/path/to/parley sh bench/case_rate.sh.
# (bench/rt5.sh runs the same load beside Request Tracker.)
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
. bench/nodes.sh
bench_dir rate
two_nodes
api=https://127.0.0.1:$((base + 1))/api/v1/cases
echo "$P ($(git describe --always --dirty)); load average $(loadavg)"
for c in 1 8; do
	./build-release/bench/bench_http load "$api" "$CASE_JSON" "$n" "$c" "Authorization: Bearer $TOKEN" | head -1
done
settle
