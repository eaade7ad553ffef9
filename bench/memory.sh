#!/bin/sh
# bench/memory.sh — peak RSS (VmHWM) of a parley serve node whose store
# holds a log of 10^4 .. 10^7 entries, and how RSS and time grow with it.
# For each size: nodes a and b agree the standard charter (both served,
# then stopped), a's log to b is grown to N entries in a's store through
# store_append (bench_memory, as bench_proof builds its log), then a alone
# is served (its outbox retries b, which is down) and, a fresh serve for
# each step, its peak RSS read after: nothing (started); GET /api/v1/peers
# and /api/v1/changes (status); 1000 inclusion and 1000 consistency proofs
# from the peer API (b's certificate, random, one keep-alive connection);
# POST /api/v1/cases (one case created); GET /api/v1/cases/ID (one case
# view); GET /metrics; GET /api/v1/report; GET /api/v1/cases (the case
# list's first page of 1000), the same from the middle of the log
# (after=...), and filtered by state (state=sent). serve runs under a virtual memory limit (ulimit -v, LIMIT_MB,
# default 4096) so that a request growing with the log fails instead of
# taking the shared machine's memory.
#   sh bench/memory.sh [SIZES] [DIR]   default "10000 100000 1000000 10000000" /tmp
# The stores are kept in DIR/parley-memory-N and reused (10^7: ~3.5 GB).
set -eu
cd "$(dirname "$0")/.."
sizes=${1:-10000 100000 1000000 10000000}
top=${2:-/tmp}
limit=$((${LIMIT_MB:-4096} * 1024))
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; true' EXIT INT TERM
. bench/nodes.sh
hwm() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem/ {print $2}') GiB; $P ($(git describe --always --dirty) here), release build"
echo "load average at the start: $(loadavg); serve under ulimit -v $((limit / 1024)) MiB"
echo "peak RSS (VmHWM, MiB) of a fresh parley serve after each step alone; seconds for the step in ()"
printf '%9s %7s %6s | %11s %11s %11s %11s %11s %12s %12s %13s %13s %13s\n' entries build_s db_MB "started" status "2000 proofs" "case create" "case view" metrics report "cases page 1" "page, middle" "page, state="
for n in $sizes; do
	memory_store "$n" "$top"
	# The ports are a's own (from its config): the store may come from an earlier run.
	api=https://$(sed -n 's/^operator_listen = //p' "$dir/a/parley.conf")
	peer=https://$(sed -n 's/^listen = //p' "$dir/a/parley.conf")
	tok=$(cat "$dir/token")
	# Proofs: random indices and sizes, over mTLS with b's certificate.
	awk -v n="$n" -v p="$peer" 'BEGIN { srand(8); for (i = 0; i < 1000; i++) {
		printf "url = \"%s/peer/v1/proof/inclusion?origin=parley/a.example/b.example&index=%d&size=%d\"\noutput = /dev/null\n", p, int(rand() * n), n
		printf "url = \"%s/peer/v1/proof/consistency?origin=parley/a.example/b.example&size1=%d&size2=%d\"\noutput = /dev/null\n", p, 1 + int(rand() * (n - 1)), n } }' >"$dir/proofs.curl"
	# step REQUEST...: a fresh serve, the requests (a URL of the operator
	# API, "POST URL" to open a case there, or "proofs"), then its VmHWM;
	# prints "HWM (seconds)".
	step() {
		rm -f "$dir/a.log"
		(ulimit -v "$limit" && exec $P serve --dir "$dir/a" 2>>"$dir/a.log") &
		pid=$!
		pids="$pids $pid"
		serve_wait "$dir/a.log"
		t0=$(date +%s.%N)
		for u in "$@"; do
			case $u in
			proofs)	st=$(curl -sk --cert "$dir/b/tls.crt" --key "$dir/b/tls.key" -K "$dir/proofs.curl" \
					-w '%{http_code}\n' | sort | uniq -c | tr -s ' \n' '  ')
				u="2000 proofs"; echo "$st" | grep -q '^ *2000 200 *$' && st=200 ;;
			POST\ *) u=${u#POST }
				st=$(curl -sk --max-time "${STEP_TIMEOUT:-600}" -o "$dir/out" -w '%{http_code}' -H "Authorization: Bearer $tok" \
					-H 'Content-Type: application/json' --data-binary "$CASE_JSON" "$u") ;;
			*)	st=$(curl -sk --max-time "${STEP_TIMEOUT:-600}" -o "$dir/out" -w '%{http_code}' -H "Authorization: Bearer $tok" "$u") ;;
			esac
			[ "$st" = 200 ] || echo "$u: HTTP $st $(head -c 300 "$dir/out" 2>/dev/null)" >>"$dir/steps.log"
		done
		t1=$(date +%s.%N)
		if kill -0 $pid 2>/dev/null; then
			printf '%s (%.2f)' "$(hwm $pid)" "$(echo "$t1 - $t0" | bc)"
			kill $pid
		else
			printf 'died'
		fi
		wait $pid 2>/dev/null || true
	}
	s0=$(step)
	s1=$(step "$api/api/v1/peers" "$api/api/v1/changes")
	s2=$(step proofs)
	s3=$(step "POST $api/api/v1/cases")
	s4=$(step "$api/api/v1/cases/a.example/$((n / 2))")
	s5=$(step "$api/metrics")
	s6=$(step "$api/api/v1/report?by=month")
	s7=$(step "$api/api/v1/cases")
	s8=$(step "$api/api/v1/cases?after=b.example/a.example/$((n / 2))")
	s9=$(step "$api/api/v1/cases?state=sent")
	printf '%9s %7.1f %6s | %11s %11s %11s %11s %11s %12s %12s %13s %13s %13s\n' "$n" "$(cat "$dir/built")" \
		"$(du -cm "$dir"/a/parley.db* | tail -1 | cut -f1)" "$s0" "$s1" "$s2" "$s3" "$s4" "$s5" "$s6" "$s7" "$s8" "$s9"
	[ ! -s "$dir/steps.log" ] || sed "s/^/  $n: /" "$dir/steps.log"
	rm -f "$dir/steps.log" "$dir/out"
done
echo "load average at the end: $(loadavg)"
