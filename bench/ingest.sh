#!/bin/sh
# bench/ingest.sh — durable ingest over mutual TLS between real parley
# serve processes on loopback, against a raw batched insert of the same
# rows measured in the same run (bench_append, batches of 1000, the same
# kind of table and pragmas): on SQLite the receiver's entry rows, each
# with its body (sealed, of the size the receiver stored) as the store
# keeps it; on PostgreSQL the entry rows.
#   sh bench/ingest.sh [ENTRIES] [DIR]
#   PARLEY_BIN=PATH sh bench/ingest.sh ...               another parley binary (A/B runs)
#   PARLEY_BENCH_PG=URL sh bench/ingest.sh ...           receiver on PostgreSQL
#   PARLEY_BENCH_PG=URL FRONTENDS=2 sh bench/ingest.sh ... two receiving
#       frontends on one PostgreSQL database, each fed by its own sender
# Queues ENTRIES messages (split among the senders) while their servers are
# down, starts the receiver(s), then the senders, and times until all are
# cosigned (each batch: parse, append, root, checkpoint signature check,
# cosign, commit; the sender verifies the receipt).
set -eu
cd "$(dirname "$0")/.."
n=${1:-50000}
dir=$(mktemp -d "${2:-/tmp}/parley-ingest.XXXXXX")
fe=${FRONTENDS:-1}
pg=${PARLEY_BENCH_PG:-}
[ "$fe" = 1 ] || [ -n "$pg" ] || { echo "FRONTENDS=2 needs PARLEY_BENCH_PG"; exit 2; }
P=${PARLEY_BIN:-./build-release/parley}
[ -f build-release/build.ninja ] || meson setup build-release -Dbuildtype=release >/dev/null
ninja -C build-release parley bench/bench_append >/dev/null
pids=""
db="parley_ingest_$$"
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"
	[ -n "$pg" ] && psql -qX "$pg" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; true' EXIT
port=$((30000 + $$ % 20000))
store=""
if [ -n "$pg" ]; then
	PGOPTIONS="-c client_min_messages=warning" psql -qX "$pg" -c "DROP DATABASE IF EXISTS $db" \
		-c "CREATE DATABASE $db" >/dev/null
	store="--store $(printf '%s' "$pg" | sed "s|^\([a-z]*://[^/?]*\)/[^?]*|\1/$db|")"
fi
# shellcheck disable=SC2086
$P init --name b.example --dir "$dir/b1" --listen "127.0.0.1:$port" $store >/dev/null
if [ "$fe" = 2 ]; then
	cp -r "$dir/b1" "$dir/b2"
	sed -i "s|^listen = .*|listen = 127.0.0.1:$((port + 1))|; s|^endpoint = .*|endpoint = https://127.0.0.1:$((port + 1))|" \
		"$dir/b2/parley.conf"
fi
line=$($P identity --dir "$dir/b1")
for i in $(seq 1 "$fe"); do
	$P init --name "a$i.example" --dir "$dir/a$i" --listen "127.0.0.1:$((port + 1 + i))" >/dev/null
	$P peer add "$($P identity --dir "$dir/a$i")" --dir "$dir/b1" >/dev/null
	$P peer add "$(printf '%s' "$line" | sed "s|https://[^ ]*$|https://127.0.0.1:$((port + i - 1))|")" \
		--dir "$dir/a$i" >/dev/null
	awk -v n="$((n / fe))" 'BEGIN { for (i = 0; i < n; i++) printf "{\"subject\":\"incident %d\",\"text\":\"scanning from 192.0.2.%d\"}\n", i, i % 250 }' \
		| $P send b.example --type cyber-incident --lines --dir "$dir/a$i" >/dev/null
done
for i in $(seq 1 "$fe"); do
	$P serve --dir "$dir/b$i" 2>/dev/null &
	pids="$pids $!"
done
sleep 0.5
t0=$(date +%s.%N)
for i in $(seq 1 "$fe"); do
	$P serve --dir "$dir/a$i" 2>/dev/null &
	pids="$pids $!"
done
# What sender k has not had receipted yet. On SQLite read from its store
# by sqlite3 (2 ms a poll; parley peer list takes 10 ms of the two cores
# the servers share), on PostgreSQL through parley peer list.
backlog() {
	if [ -n "$pg" ]; then
		$P peer list --dir "$dir/a$1" --json | sed 's/.*"backlog":\([0-9]*\).*/\1/'
	else
		sqlite3 "$dir/a$1/parley.db" "SELECT l.size - coalesce((SELECT max(c.size)
			FROM checkpoint c JOIN cosignature s ON s.checkpoint = c.id
			WHERE c.log = l.id AND s.cosigner = 'b.example'), 0)
			FROM log l WHERE l.origin = 'parley/a$1.example/b.example'"
	fi
}
i=0
while [ $i -lt 12000 ]; do # at most 10 minutes
	left=0
	for k in $(seq 1 "$fe"); do
		left=$((left + $(backlog "$k")))
	done
	[ "$left" = 0 ] && break
	sleep 0.05
	i=$((i + 1))
done
t1=$(date +%s.%N)
[ "$left" = 0 ] || { echo "not drained: $left left"; exit 1; }
rate=$(echo "$n / ($t1 - $t0)" | bc -l)
if [ -n "$pg" ]; then
	raw=$(PARLEY_BENCH_PG="$pg" ./build-release/bench/bench_append "$dir" "$n" | awk '/PostgreSQL/ { on = 1 } on && $1 == 1000 { print $3; exit }')
	kind="PostgreSQL, $fe frontend(s)"
	floor="raw PostgreSQL pipelined batched insert"
else
	# The receiver's row per entry: its entry row with its body (sealed)
	# in it; the floor inserts such rows, bodies of the size stored.
	bl=$(sqlite3 "$dir/b1/parley.db" "SELECT CAST(avg(length(body)) AS INTEGER) FROM entry")
	raw=$(./build-release/bench/bench_append "$dir" "$n" "$bl" | awk '/^raw entry rows with bodies/ { print $(NF - 1); exit }')
	kind="SQLite"
	floor="raw SQLite batched insert of the same rows (entry rows with $bl-byte bodies)"
fi
printf 'ingest over mTLS (%s): %d entries in %.2f s = %.0f entries/s (batches of 1000)\n' \
	"$kind" "$n" "$(echo "$t1 - $t0" | bc -l)" "$rate"
printf '%s (batch 1000, same machine, same run): %s entries/s\n' "$floor" "$raw"
printf 'ratio: %.2f (target >= 0.5)\n' "$(echo "$rate / $raw" | bc -l)"
