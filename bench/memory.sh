#!/bin/sh
# bench/memory.sh — peak RSS (VmHWM) of a parley serve node whose store
# holds a log of 10^4 .. 10^7 entries, and how RSS and time grow with it.
# For each size: nodes a and b (b is not served: its certificate is the
# client certificate of the peer requests), b's log to a built in a's store
# through store_append (bench_memory, as bench_proof builds its log), then
# `parley serve --dir a` and, in this order, with VmHWM read after each:
# GET /metrics, /api/v1/peers (status), /api/v1/changes; 1000 inclusion and
# 1000 consistency proofs from the peer API (random, one keep-alive
# connection); GET /api/v1/cases/ID (one case view); GET /api/v1/cases (the
# case list); GET /api/v1/report. serve runs under a virtual memory limit
# (ulimit -v, LIMIT_MB, default 4096) so a request that grows with the log
# fails instead of taking the shared machine's memory.
#   sh bench/memory.sh [SIZES] [DIR]   default "10000 100000 1000000 10000000" /tmp
# The stores are kept in DIR/parley-memory-N and reused (10^7: ~3.5 GB).
set -eu
cd "$(dirname "$0")/.."
sizes=${1:-10000 100000 1000000 10000000}
top=${2:-/tmp}
limit=$((${LIMIT_MB:-4096} * 1024))
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null' EXIT INT TERM
P=./build-release/parley
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release parley bench/bench_memory >/dev/null
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
hwm() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem/ {print $2}') GiB; parley $(git describe --always --dirty), release build"
echo "load average at the start: $(loadavg); serve under ulimit -v $((limit / 1024)) MiB"
echo "peak RSS (VmHWM, MiB) of parley serve after each step; seconds for the step in ()"
printf '%9s %8s %7s | %6s %16s %16s %18s %18s %18s\n' entries build_s db_MB start "metrics+status" "2000 proofs" "case view" "case list" "report"
for n in $sizes; do
	dir=$top/parley-memory-$n
	base=$((30000 + ($$ + n) % 20000))
	if [ ! -f "$dir/built" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		$P init --name a.example --dir "$dir/a" --listen "127.0.0.1:$base" \
			--operator-listen "127.0.0.1:$((base + 1))" >/dev/null
		$P init --name b.example --dir "$dir/b" --listen "127.0.0.1:$((base + 2))" >/dev/null
		$P peer add "$($P identity --dir "$dir/b")" --dir "$dir/a" >/dev/null
		$P peer add "$($P identity --dir "$dir/a")" --dir "$dir/b" >/dev/null
		$P operator add ali --role auditor --dir "$dir/a" --json | sed 's/.*"token":"\([^"]*\)".*/\1/' >"$dir/token"
		t0=$(date +%s.%N)
		./build-release/bench/bench_memory "$dir/a" b.example "$n" >/dev/null 2>"$dir/build.log"
		echo "$(date +%s.%N) - $t0" | bc >"$dir/built"
	fi
	# The ports are a's own (from its config): the store may come from an earlier run.
	api=https://$(sed -n 's/^operator_listen = //p' "$dir/a/parley.conf")
	peer=https://$(sed -n 's/^listen = //p' "$dir/a/parley.conf")
	tok=$(cat "$dir/token")
	rm -f "$dir/a.log"
	(ulimit -v "$limit" && exec $P serve --dir "$dir/a" 2>>"$dir/a.log") &
	pid=$!
	pids="$pids $pid"
	t=0
	until grep -q operator_listen= "$dir/a.log" 2>/dev/null; do
		[ $t -lt 600 ] || { echo "serve did not start"; cat "$dir/a.log"; exit 1; }
		sleep 0.1
		t=$((t + 1))
	done
	start=$(hwm $pid)
	# step URL...: GETs on the operator API; prints "HWM (seconds)".
	step() {
		t0=$(date +%s.%N)
		for u in "$@"; do
			st=$(curl -sk --max-time 900 -o "$dir/out" -w '%{http_code}' -H "Authorization: Bearer $tok" "$u")
			[ "$st" = 200 ] || echo "$u: HTTP $st $(head -c 300 "$dir/out")" >>"$dir/steps.log"
		done
		t1=$(date +%s.%N)
		kill -0 $pid 2>/dev/null || { printf 'died'; return; }
		printf '%s (%.2f)' "$(hwm $pid)" "$(echo "$t1 - $t0" | bc)"
	}
	s1=$(step "$api/metrics" "$api/api/v1/peers" "$api/api/v1/changes")
	# Proofs: random indices and sizes, over mTLS with b's certificate.
	awk -v n="$n" -v p="$peer" 'BEGIN { srand(8); for (i = 0; i < 1000; i++) {
		printf "url = \"%s/peer/v1/proof/inclusion?origin=parley/b.example/a.example&index=%d&size=%d\"\noutput = /dev/null\n", p, int(rand() * n), n
		printf "url = \"%s/peer/v1/proof/consistency?origin=parley/b.example/a.example&size1=%d&size2=%d\"\noutput = /dev/null\n", p, 1 + int(rand() * (n - 1)), n } }' >"$dir/proofs.curl"
	t0=$(date +%s.%N)
	bad=$(curl -sk --cert "$dir/b/tls.crt" --key "$dir/b/tls.key" -K "$dir/proofs.curl" -w '%{http_code}\n' | grep -vc '^200$' || true)
	t1=$(date +%s.%N)
	s2=$(printf '%s (%.2f)' "$(hwm $pid)" "$(echo "$t1 - $t0" | bc)")
	[ "$bad" = 0 ] || s2="$s2 $bad failed"
	s3=$(step "$api/api/v1/cases/b.example/$((n / 2))")
	s4=$(step "$api/api/v1/cases")
	s5=$(step "$api/api/v1/report?by=month")
	printf '%9s %8.1f %7s | %6s %16s %16s %18s %18s %18s\n' "$n" "$(cat "$dir/built")" \
		"$(du -cm "$dir"/a/parley.db* | tail -1 | cut -f1)" "$start" "$s1" "$s2" "$s3" "$s4" "$s5"
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null || true
	[ ! -s "$dir/steps.log" ] || sed "s/^/  $n: /" "$dir/steps.log"
	rm -f "$dir/steps.log" "$dir/out"
done
echo "load average at the end: $(loadavg)"
