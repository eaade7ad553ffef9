#!/bin/sh
# bench/proofs_http.sh — proof requests per second over HTTPS: a's peer API
# serving its log to b of N entries (bench/memory.sh's store, built here
# if missing), asked with b's certificate for random inclusion and
# consistency proofs by C threads, each on a kept mutual-TLS connection
# (bench_http proofs), against requests the same server answers without
# reading its store, measured in the same run on the same connections.
#   sh bench/proofs_http.sh [N] [REQUESTS] [CONCURRENCIES] [DIR]
#   defaults: 10000000 20000 "1 4" /tmp
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000000}
reqs=${2:-20000}
concs=${3:-1 4}
top=${4:-/tmp}
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; true' EXIT INT TERM
. bench/nodes.sh
memory_store "$n" "$top"
rm -f "$dir/a.log"
$P serve --dir "$dir/a" 2>"$dir/a.log" &
pids="$pids $!"
serve_wait "$dir/a.log"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $P ($(git describe --always --dirty) here)"
echo "load average at the start: $(loadavg)"
for c in $concs; do
	./build-release/bench/bench_http proofs "https://$(sed -n 's/^listen = //p' "$dir/a/parley.conf")" \
		parley/a.example/b.example "$n" "$reqs" "$c" "$dir/b"
done
echo "load average at the end: $(loadavg)"
