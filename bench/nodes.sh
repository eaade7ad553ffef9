# bench/nodes.sh — sourced by bench/rt5.sh, latency.sh, case_rate.sh,
# memory.sh and proofs_http.sh:
# a release build and two real parley nodes on loopback with a charter in
# force. Needs $dir (a fresh directory) and $pids (started processes,
# killed by the caller's trap): bench_dir makes both. Sets P (the binary:
# $PARLEY_BIN, else the release build's), base (a's peer API port; a's
# operator API is base+1, b's ports base+2 and base+3), TOKEN (an
# officer of a) and CASE_JSON (a case a opens for b).

P=${PARLEY_BIN:-./build-release/parley}
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release parley bench/bench_http >/dev/null

# bench_dir NAME: a fresh $dir, an empty $pids, and a trap that stops
# every process in $pids and removes $dir on exit (rt5.sh keeps its own,
# which also removes the packages it installed).
bench_dir() {
	dir=$(mktemp -d "/tmp/parley-$1.XXXXXX")
	pids=""
	trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
}

# settle: waits (at most 60 s) until neither node has entries its peer has
# not receipted.
settle() {
	t=0
	while [ $t -lt 600 ]; do
		$P peer list --dir "$dir/a" --json | grep -q '"backlog":[1-9]' ||
			$P peer list --dir "$dir/b" --json | grep -q '"backlog":[1-9]' || return 0
		sleep 0.1
		t=$((t + 1))
	done
	echo "the nodes did not settle in 60 s" >&2
	return 1
}

# two_nodes: a.example and b.example in $dir/a and $dir/b, each the other's
# peer, both serving, the standard charter agreed.
two_nodes() {
	base=$((30000 + $$ % 20000))
	$P init --name a.example --dir "$dir/a" --listen "127.0.0.1:$base" \
		--operator-listen "127.0.0.1:$((base + 1))" >/dev/null
	$P init --name b.example --dir "$dir/b" --listen "127.0.0.1:$((base + 2))" \
		--operator-listen "127.0.0.1:$((base + 3))" >/dev/null
	$P peer add "$($P identity --dir "$dir/a")" --dir "$dir/b" >/dev/null
	$P peer add "$($P identity --dir "$dir/b")" --dir "$dir/a" >/dev/null
	TOKEN=$($P operator add olga --role officer --dir "$dir/a" --json | sed 's/.*"token":"\([^"]*\)".*/\1/')
	for x in a b; do
		$P serve --dir "$dir/$x" 2>>"$dir/$x.log" &
		pids="$pids $!"
	done
	t=0
	until grep -q operator_listen= "$dir/a.log" "$dir/b.log" 2>/dev/null && [ "$(grep -l operator_listen= "$dir/a.log" "$dir/b.log" | wc -l)" = 2 ]; do
		[ $t -lt 100 ] || { echo "parley serve did not start:" >&2; cat "$dir/a.log" "$dir/b.log" >&2; exit 1; }
		sleep 0.1
		t=$((t + 1))
	done
	$P channel propose b.example --template standard --dir "$dir/a" >/dev/null
	settle
	$P channel accept a.example --dir "$dir/b" >/dev/null
	settle
}

# serve_wait LOG: waits (at most 60 s) until the parley serve writing LOG
# is listening; else prints LOG and exits.
serve_wait() {
	t=0
	until grep -q operator_listen= "$1" 2>/dev/null; do
		[ $t -lt 600 ] || { echo "serve did not start" >&2; cat "$1" >&2; exit 1; }
		sleep 0.1
		t=$((t + 1))
	done
}

# memory_store N TOP: $dir = TOP/parley-memory-N, where a's log to b
# holds N entries (bench_memory appends them through store_append, as
# bench_proof builds its log), the standard charter agreed, both nodes
# stopped; a's officer token in $dir/token, the build's seconds in
# $dir/built. Built once and reused (10^7 entries: about 3.5 GB).
memory_store() {
	dir=$2/parley-memory-$1
	[ ! -f "$dir/built" ] || return 0
	ninja -C build-release bench/bench_memory >/dev/null
	rm -rf "$dir"
	mkdir -p "$dir"
	pids=""
	two_nodes
	echo "$TOKEN" >"$dir/token"
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait
	pids=""
	t0=$(date +%s.%N)
	./build-release/bench/bench_memory "$dir/a" b.example "$1" >/dev/null 2>"$dir/build.log"
	echo "$(date +%s.%N) - $t0" | bc >"$dir/built"
}

# A cyber-incident case a opens for b, every field the charter requires.
CASE_JSON='{"peer":"b.example","type":"cyber-incident","subject":"Scanning from AS64500","text":"ssh brute force","fields":{"summary":"ssh brute force","source_ip":"192.0.2.0/24","first_seen":"2026-11-20","contact":"cert@a.example","severity":"high"}}'

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
