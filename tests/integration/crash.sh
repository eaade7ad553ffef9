#!/bin/sh
# crash.sh — nothing receipted is ever lost. A sender (a) and a receiver
# (b) run as real servers; in each of TRIALS trials a appends a burst of
# BURST messages (10,000) and, while they are being appended and
# delivered, one of the three processes (a's server, b's server, the CLI
# appending) is killed with SIGKILL at a random moment, then restarted. After each
# kill of b, everything a holds a receipt for must be in b's store. At the
# end the outbox drains, b's mirror equals a's log entry for entry, no
# message is there twice, both stores verify and both reports agree.
. "$(dirname "$0")/lib.sh"

BURST=${CRASH_BURST:-10000}
TRIALS=${CRASH_TRIALS:-20}
base=$((23000 + ($$ * 7) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" >/dev/null
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
peer_all a b
A="--dir $T/a"
B="--dir $T/b"
AB="parley/a.example/b.example"

# start NODE: parley serve in the background; its pid in $T/NODE.pid
start() {
	"$PARLEY" serve --dir "$T/$1" 2>>"$T/$1.log" &
	echo $! > "$T/$1.pid"
	pids="$pids $!"
}
kill9() { kill -9 "$(cat "$T/$1.pid")" 2>/dev/null; wait "$(cat "$T/$1.pid")" 2>/dev/null; }
rnd() { # rnd N: a random number in [0, N)
	od -An -N4 -tu4 /dev/urandom | awk -v n="$1" '{ print $1 % n }'
}
json_num() { # json_num KEY: the first "KEY":N on stdin
	grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2
}
receipted() { "$PARLEY" peer list $A --json | grep -o '"name":"b.example"[^}]*' | json_num receipted; }
mirror_size() { m=$(log_size b "$AB"); echo "${m:-0}"; }
backlog() { "$PARLEY" peer list $A --json | grep -o '"name":"b.example"[^}]*' | json_num backlog; }

start a
start b
sleep 0.3
"$PARLEY" channel propose b.example --charter "$(dirname "$0")/../../charters/standard.json" $A >/dev/null
FIELDS="--field summary=scan --field source_ip=192.0.2.1 --field first_seen=2026-11-20 --field contact=cert@a.example --field severity=low"
t=0
until "$PARLEY" channel accept a.example $B >/dev/null 2>&1 || [ $t -ge 100 ]; do sleep 0.1; t=$((t + 1)); done
t=0
until "$PARLEY" case new b.example --type cyber-incident --subject first $FIELDS $A >/dev/null 2>&1 || [ $t -ge 100 ]; do
	sleep 0.1
	t=$((t + 1))
done

lost=0
midway=0
for trial in $(seq 1 "$TRIALS"); do
	# The burst: this trial's share of pings, one line each, appended in
	# transactions of up to 1000 by the CLI while the servers deliver.
	seq 1 "$BURST" | sed "s/^/trial $trial message /" > "$T/lines"
	"$PARLEY" send b.example --lines $A < "$T/lines" >/dev/null 2>&1 &
	sender=$!
	"$PARLEY" case new b.example --type cyber-incident --subject "trial $trial" $FIELDS $A >/dev/null 2>&1
	sleep "0.$(printf '%03d' "$(rnd 400)")"
	before=$(backlog)
	case $((trial % 4)) in
	0)	victim="the appending CLI"
		kill -9 $sender 2>/dev/null ;;
	1|3)	victim="the receiver"
		kill9 b ;;
	2)	victim="the sender's server"
		kill9 a ;;
	esac
	wait $sender 2>/dev/null
	if [ "$victim" = "the receiver" ]; then
		sleep 0.2 # any receipt b sent before dying has reached a by now
		r=$(receipted)
		m=$(mirror_size)
		if [ "${r:-0}" -gt "${m:-0}" ]; then
			lost=$((lost + 1))
			bad "trial $trial: a holds a receipt for $r entries but b kept only $m"
		fi
		start b
	elif [ "$victim" = "the sender's server" ]; then
		start a
	fi
	[ "${before:-0}" -gt 0 ] && midway=$((midway + 1))
	printf 'trial %2d: killed %s with %s entries undelivered; a receipted %s, b holds %s\n' \
		"$trial" "$victim" "$before" "$(receipted)" "$(mirror_size)"
	# Some answers from b while all this goes on.
	"$PARLEY" case ack "a.example/$((1 + trial % 5))" --text ok $B >/dev/null 2>&1
done
[ $lost -eq 0 ] && ok "$TRIALS trials: every receipted entry survived every kill of the receiver"
[ $midway -ge 3 ] && ok "$midway of the kills came with entries still undelivered" \
	|| bad "at least 3 kills came with entries still undelivered" "$midway"

t=0
while [ "$(backlog)" != 0 ] && [ $t -lt 1200 ]; do sleep 0.1; t=$((t + 1)); done
[ "$(backlog)" = 0 ] && ok "the outbox drains after the last restart" || bad "the outbox drains" "backlog $(backlog)"
kill9 a
kill9 b

size=$(log_size a "$AB")
# The digest covers the origin, the size and every envelope with its index.
da=$("$PARLEY" store digest --log "$AB" $A)
db=$("$PARLEY" store digest --log "$AB" $B)
if [ "$da" = "$db" ] && [ "$(log_size b "$AB")" = "$size" ]; then
	ok "b's mirror equals a's log: $size entries, in order, each once"
else
	bad "b's mirror equals a's log" "a holds $size entries, b $(log_size b "$AB"); digests $da $db"
fi
[ "$size" -ge $((BURST * TRIALS / 2)) ] && ok "at least half the burst was appended ($size entries)" \
	|| bad "at least half the burst was appended" "$size"
# Every ping's body is a distinct line: a body hash seen twice is a
# message appended twice.
"$PARLEY" log show "$AB" --count "$size" --json $A | grep -o '"kind":"ping"[^}]*"body":"[^"]*"' \
	| sed 's/.*"body"://' > "$T/bodies"
pings=$(wc -l < "$T/bodies")
dup=$(sort "$T/bodies" | uniq -d | wc -l)
[ "$dup" = 0 ] && [ "$pings" -ge $((size / 2)) ] && ok "no message is in the log twice ($pings pings)" \
	|| bad "no message is in the log twice" "$dup duplicates among $pings pings"
expect "a verifies" 0 "verify: ok" "$PARLEY" verify $A
expect "b verifies" 0 "verify: ok" "$PARLEY" verify $B
at=2030-01-01T00:00:00Z
"$PARLEY" report --json --at $at $A > "$T/ra.json"
"$PARLEY" report --json --at $at $B > "$T/rb.json"
cmp -s "$T/ra.json" "$T/rb.json" && grep -q '"requests":' "$T/ra.json" && ok "both reports agree" \
	|| bad "both reports agree" "$(cat "$T/ra.json" "$T/rb.json")"
finish
