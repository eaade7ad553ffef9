#!/bin/sh
# bench/run.sh — builds a release build and runs every benchmark.
#   sh bench/run.sh [DIR] [PROOF_ENTRIES] [REPORT_CASES]
# DIR holds the databases (default /tmp; the 10 M-entry proof log is about
# 5 GB, the 1 M-case report channel about 2.5 GB and takes about 6 minutes
# to build; both are reused on later runs). Figures go to BENCHMARKS.md by
# hand, with this command. Those with real servers have their own command
# (minutes each, see BENCHMARKS.md): bench/ingest.sh, bench/rt5.sh
# (Request Tracker 5), bench/latency.sh, bench/memory.sh and
# bench/proofs_http.sh.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
dir=${1:-/tmp}
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release bench/bench_append bench/bench_proof bench/bench_report >/dev/null
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "disk: $(df -h "$dir" | awk 'NR==2 {print $1, $2}')"
./build-release/bench/bench_append "$dir"
./build-release/bench/bench_proof "$dir/parley-bench-proof.db" "${2:-10000000}"
./build-release/bench/bench_report "$dir" "${3:-1000000}"
