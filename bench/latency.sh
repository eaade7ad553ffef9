#!/bin/sh
# bench/latency.sh — one message's latency from case creation (POST
# /api/v1/cases on a) to its receipt (b's cosignature stored at a, seen in
# a's GET /api/v1/changes), over mutual TLS between two real parley serve
# processes on loopback; N cases opened one at a time (bench_http latency).
# Prints p50 and p99 and their ratio to a floor measured in the same run:
# one request to b's peer API over mTLS on a kept connection (as the
# delivery worker keeps its own) plus three SQLite commits (the case at a,
# the mirror at b, the receipt at a).
#   sh bench/latency.sh [N]          default 10000
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
. bench/nodes.sh
bench_dir latency
two_nodes
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); parley $(git describe --always --dirty), release build, SQLite in $(df "$dir" | awk 'NR==2 {print $1}')"
echo "load average at the start: $(loadavg)"
./build-release/bench/bench_http latency "https://127.0.0.1:$((base + 1))" "$TOKEN" a.example b.example \
	"https://127.0.0.1:$((base + 2))" "$dir/a" "$n"
echo "load average at the end: $(loadavg)"
