#!/bin/sh
# lease.sh — one delivery worker per outgoing log across frontends. Two
# `parley serve` frontends of one party x share one store (the same SQLite
# file; with PARLEY_ON_PG the same PostgreSQL database) and both run a
# delivery worker for peer p, but only the holder of the log's delivery
# lease pushes it: p is sent every entry once. Then the holder is killed
# with SIGKILL mid-stream: the other frontend takes the lease over once it
# expires (OUTBOX_LEASE_MS, 5 s) and delivers the rest; p's mirror equals
# x's log, in order, each entry once.
. "$(dirname "$0")/lib.sh"

base=$((24000 + ($$ * 19) % 30000))
AXP=parley/x.example/p.example
"$PARLEY" init --name x.example --dir "$T/x1" --listen "127.0.0.1:$base" >/dev/null \
	|| { echo "init x failed"; exit 1; }
# The second frontend: the same party, keys and store; its own address.
cp -r "$T/x1" "$T/x2"
sed -i "s|^listen = .*|listen = 127.0.0.1:$((base + 1))|; s|^endpoint = .*|endpoint = https://127.0.0.1:$((base + 1))|" \
	"$T/x2/parley.conf"
grep -q '^store = sqlite:' "$T/x1/parley.conf" &&
	sed -i "s|^store = sqlite:.*|store = sqlite:$T/x1/parley.db|" "$T/x2/parley.conf"
"$PARLEY" init --name p.example --dir "$T/p" --listen "127.0.0.1:$((base + 2))" >/dev/null
"$PARLEY" peer add "$("$PARLEY" identity --dir "$T/p")" --dir "$T/x1" >/dev/null
"$PARLEY" peer add "$("$PARLEY" identity --dir "$T/x1")" --dir "$T/p" >/dev/null

start() { # start NODE: parley serve in the background, its pid in $T/NODE.pid
	"$PARLEY" serve --dir "$T/$1" 2>>"$T/$1.log" &
	echo $! > "$T/$1.pid"
	pids="$pids $!"
}
backlog() { "$PARLEY" peer list --dir "$T/x1" --json | grep -o '"backlog":[0-9]*' | cut -d: -f2; }
drain() { # drain SECONDS: until x has nothing unreceipted; 1 if it still has
	t=0
	while [ "$(backlog)" != 0 ]; do
		[ $t -lt $(($1 * 10)) ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}
# pushed: how many entries of x's log p was sent, counting each batch it
# took (a batch sent again counts again).
pushed() {
	grep "origin=$AXP first=" "$T/p.log" | sed 's/.* count=\([0-9]*\) .*/\1/' | awk '{ s += $1 } END { print s + 0 }'
}
lines() { awk -v n="$1" -v tag="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s %d\n", tag, i }'; }

start x1; start x2; start p
sleep 0.5
lines 3000 one | "$PARLEY" send p.example --lines --dir "$T/x1" >/dev/null
drain 60 && ok "3,000 messages delivered by two frontends" || bad "3,000 messages delivered" "backlog $(backlog)"
n1=$(grep -c "delivery lease taken" "$T/x1.log")
n2=$(grep -c "delivery lease taken" "$T/x2.log")
if [ "$n1" -ge 1 ] && [ "$n2" -eq 0 ]; then
	holder=x1 other=x2
elif [ "$n2" -ge 1 ] && [ "$n1" -eq 0 ]; then
	holder=x2 other=x1
fi
if [ -n "${holder:-}" ] && ! grep -q 'delivered=' "$T/$other.log"; then
	ok "one frontend ($holder) holds the lease and delivers; the other ($other) delivers nothing"
else
	bad "one frontend holds the lease and delivers" "$(grep -h "lease\|delivered=" "$T/x1.log" "$T/x2.log")"
	holder=x1 other=x2
fi
[ "$(pushed)" = 3000 ] && ok "p was sent each of the 3,000 entries once" \
	|| bad "p was sent each entry once" "$(pushed) entries sent"

# The holder dies mid-stream: killed as soon as the first receipt of the
# burst is stored (the burst is long enough that it is still delivering;
# a fixed pause raced with a fast holder).
lines 20000 two | "$PARLEY" send p.example --lines --dir "$T/x1" >/dev/null
i=0
while [ $i -lt 1000 ]; do
	before=$("$PARLEY" peer list --dir "$T/x1" --json | grep -o '"receipted":[0-9]*' | cut -d: -f2)
	[ "${before:-0}" -gt 3000 ] && break
	sleep 0.01
	i=$((i + 1))
done
kill -9 "$(cat "$T/$holder.pid")"
t0=$(date +%s%N)
if drain 30; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "after SIGKILL of $holder at $before of 23,000 receipted, $other delivered the rest in $ms ms"
else
	bad "after SIGKILL of the holder, the other frontend delivers the rest" "backlog $(backlog)"
fi
grep -q "delivery lease taken" "$T/$other.log" && ok "$other took the lease over" \
	|| bad "$other took the lease over" "$(cat "$T/$other.log")"
[ "${before:-23000}" -lt 23000 ] && ok "the kill came with entries undelivered" \
	|| bad "the kill came with entries undelivered" "$before receipted"
# The batches the holder had sent when it died, but whose receipts it
# never stored, are sent again: the delivery worker posts batch k + 1
# before storing k's receipt, so at most two batches (2,000) twice; p
# answers each with the cosignature it gave the first time.
p=$(pushed)
[ "$p" -ge 23000 ] && [ "$p" -le 25000 ] && ok "p was sent $p entries for 23,000: at most the two batches in flight twice" \
	|| bad "p was sent each entry once, but for the two batches in flight" "$p entries sent"
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=""
[ "$("$PARLEY" store digest --log $AXP --dir "$T/x1")" = "$("$PARLEY" store digest --log $AXP --dir "$T/p")" ] \
	&& [ "$(log_size p $AXP)" = 23000 ] && ok "p's mirror equals x's log: 23,000 entries, in order, each once" \
	|| bad "p's mirror equals x's log" "p holds $(log_size p $AXP)"
expect "x verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/x1"
expect "p verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/p"
finish
