#!/bin/sh
# net.sh — real parley serve processes on loopback exchanging thousands of
# messages over mutual TLS; a receiver stopped mid-stream and restarted;
# and refusals: a stranger's certificate, a certificate that is not the
# sender's, a tampered checkpoint, a batch that skips an index, a forked
# checkpoint. Every loop is bounded in count and time.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }

base=$((20000 + ($$ * 7) % 30000))

i=0
for n in a b c; do
	"$PARLEY" init --name "$n.example" --dir "$T/$n" --listen "127.0.0.1:$((base + i))" >/dev/null \
		|| { echo "init $n failed"; exit 1; }
	i=$((i + 1))
done
peer_all a b c

serve() { # serve NODE: starts parley serve in the background
	"$PARLEY" serve --dir "$T/$1" 2>>"$T/$1.log" &
	eval "pid_$1=$!"
	pids="$pids $!"
}
stop() { # stop NODE: SIGTERM, and wait for the clean exit
	eval "p=\$pid_$1"
	kill -TERM "$p" && wait "$p"
}
backlog() { # backlog NODE: entries of NODE not yet receipted by anyone
	"$PARLEY" peer list --dir "$T/$1" --json | grep -o '"backlog":[0-9]*' \
		| awk -F: '{s += $2} END {print s + 0}'
}
drain() { # drain SECONDS NODE...: waits until the nodes have no backlog
	limit=$1
	shift
	t=0
	while [ "$t" -lt $((limit * 10)) ]; do
		sum=0
		for n in "$@"; do sum=$((sum + $(backlog "$n"))); done
		[ "$sum" -eq 0 ] && return 0
		sleep 0.1
		t=$((t + 1))
	done
	echo "still $sum entries without receipt after ${limit}s"
	return 1
}
lines() { # lines N: N distinct message bodies
	awk -v n="$1" -v tag="$2" 'BEGIN { for (i = 0; i < n; i++) printf "{\"subject\":\"%s %d\"}\n", tag, i }'
}
digest() { # digest NODE: everything the logs hold, hashed
	"$PARLEY" store digest --dir "$T/$1"
}

serve a; serve b; serve c
sleep 0.3

# 1. Thousands of messages among three nodes.
lines 1200 ab | "$PARLEY" send b.example --type cyber-incident --lines --dir "$T/a" >/dev/null
lines 800 ac | "$PARLEY" send c.example --type request-for-assistance --lines --dir "$T/a" >/dev/null
lines 700 ba | "$PARLEY" send a.example --type deconfliction --lines --dir "$T/b" >/dev/null
lines 500 bc | "$PARLEY" send c.example --type deconfliction --lines --dir "$T/b" >/dev/null
lines 600 ca | "$PARLEY" send a.example --type consular --lines --dir "$T/c" >/dev/null
lines 400 cb | "$PARLEY" send b.example --type consular --lines --dir "$T/c" >/dev/null
drain 120 a b c && ok "4,200 messages among three nodes all receipted" \
	|| bad "4,200 messages among three nodes all receipted"

# 2. The receiver stops mid-stream and comes back.
lines 1500 ab2 | "$PARLEY" send b.example --type cyber-incident --lines --dir "$T/a" >/dev/null
sleep 0.05
stop b && ok "b stops cleanly on SIGTERM mid-stream" || bad "b stops cleanly on SIGTERM mid-stream"
lines 500 ab3 | "$PARLEY" send b.example --type cyber-incident --lines --dir "$T/a" >/dev/null
sleep 1
[ "$(backlog a)" -gt 0 ] && ok "while b is down, a's messages wait in its outbox" \
	|| bad "while b is down, a's messages wait in its outbox"
expect "... and show as sent, no receipt" 0 "sent, no receipt" \
	"$PARLEY" log show parley/a.example/b.example --from 3199 --count 1 --dir "$T/a"
"$PARLEY" peer list --dir "$T/a" --json | grep -q '"name":"b.example"[^}]*"failures":[1-9][^}]*"last_error":"https://127.0.0.1' \
	&& ok "peer list shows the failures and the last error" \
	|| bad "peer list shows the failures and the last error" "$("$PARLEY" peer list --dir "$T/a" --json)"
serve b
drain 120 a b c && ok "after b restarts, everything is receipted" \
	|| bad "after b restarts, everything is receipted"

expect "receipted entries show their receipt time" 0 "receipt 20" \
	"$PARLEY" log show parley/a.example/b.example --from 3199 --count 1 --dir "$T/a"

# The receiver is killed (SIGKILL) mid-stream and restarted.
lines 1000 ab4 | "$PARLEY" send b.example --type cyber-incident --lines --dir "$T/a" >/dev/null
sleep 0.05
kill -KILL "$pid_b"; wait "$pid_b" 2>/dev/null
serve b
drain 120 a b c && ok "after b is killed and restarted, everything is receipted" \
	|| bad "after b is killed and restarted, everything is receipted"

# Every mirror equals its sender's log byte for byte, each entry once, in
# order (an envelope carries its index: the digest of the log's origin,
# size and indexed envelopes is the same only for the same entries in
# the same places).
for pair in "a b 4200" "a c 800" "b a 700" "b c 500" "c a 600" "c b 400"; do
	set -- $pair
	o="parley/$1.example/$2.example"
	n=$(log_size "$2" "$o")
	if [ "$("$PARLEY" store digest --log "$o" --dir "$T/$1")" = "$("$PARLEY" store digest --log "$o" --dir "$T/$2")" ] \
		&& [ "$(log_size "$1" "$o")" = "$3" ] && [ "$n" = "$3" ]; then
		ok "$o: $3 entries, the mirror is identical"
	else
		bad "$o: mirror identical ($n entries held, want $3)"
	fi
done
for n in a b c; do
	expect "verify $n" 0 "verify: ok" "$PARLEY" verify --dir "$T/$n"
done
expect "ping" 0 "ping b.example: entry 4200 receipted" "$PARLEY" ping b.example --dir "$T/a"

# c's delivery worker keeps its connection to a between deliveries:
# messages sent one at a time, each delivered and receipted on its own,
# travel over one TLS connection (no handshake per message).
for k in 1 2 3 4; do
	lines 1 "one at a time $k" | "$PARLEY" send a.example --type consular --lines --dir "$T/c" >/dev/null
	drain 30 c || break
done
conns=$(ss -tnp state established "( dport = :$base )" | grep -c "pid=$pid_c," || true)
[ "$conns" = 1 ] && ok "c delivers messages one at a time to a over one kept connection" \
	|| bad "c delivers messages one at a time to a over one kept connection" "$conns connections: $(ss -tnp state established "( dport = :$base )")"

# 3. Refusals, each leaving b's logs as they were. a's server is stopped
# so that what a queues now is delivered only by hand.
stop a
# A second copy of a (the same signing key) for the fork at the end.
node_copy a a2
lines 5 late | "$PARLEY" send b.example --type cyber-incident --lines --dir "$T/a" >/dev/null
"$PARLEY" outbox b.example --dir "$T/a" > "$T/batch.json"
grep -q '"first":4201' "$T/batch.json" && ok "outbox shows the pending batch" \
	|| bad "outbox shows the pending batch" "$(head -c 300 "$T/batch.json")"
URL="https://127.0.0.1:$((base + 1))/peer/v1/batch"
post() { # post CERT-NODE FILE: POST a batch to b with NODE's client certificate
	curl -sk --max-time 10 --cert "$T/$1/tls.crt" --key "$T/$1/tls.key" \
		-H 'Content-Type: application/json' --data-binary "@$2" "$URL" -w ' HTTP %{http_code}'
}
before=$(digest b)

"$PARLEY" init --name s.example --dir "$T/s" --listen 127.0.0.1:1 >/dev/null
post s "$T/batch.json" > "$T/out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && ok "a stranger's certificate fails the TLS handshake (curl exit $rc)" \
	|| bad "a stranger's certificate fails the TLS handshake" "$(cat "$T/out")"
grep -q "TLS handshake refused" "$T/b.log" && ok "b logs the refused handshake" \
	|| bad "b logs the refused handshake"
curl -sk --max-time 10 -o /dev/null "$URL"
[ $? -ne 0 ] && ok "no client certificate fails the TLS handshake" \
	|| bad "no client certificate fails the TLS handshake"

expect "c's certificate with a's batch" 0 '"code":"forbidden"' post c "$T/batch.json"
expect "... says whose certificate it is" 0 "certificate is c.example's, but the batch is for parley/a.example/b.example" post c "$T/batch.json"

sed 's/\\n4206\\n\([A-Za-z0-9+\/]\)/\\n4206\\nX\1/' "$T/batch.json" > "$T/tampered.json"
cmp -s "$T/batch.json" "$T/tampered.json" && bad "tampering the checkpoint changed nothing"
expect "a tampered checkpoint" 0 '"code":"bad_signature"' post a "$T/tampered.json"

"$PARLEY" outbox b.example --from 4203 --dir "$T/a" > "$T/skip.json"
expect "a batch that skips an index" 0 "starts at index 4203 but 4201 is the next one held" post a "$T/skip.json"
expect "... is a conflict" 0 "HTTP 409" post a "$T/skip.json"
head -c 34000000 /dev/zero > "$T/huge.json"
expect "a request over 32 MiB" 0 '"code":"too_big"' post a "$T/huge.json"
expect "an empty body" 0 '"code":"invalid"' sh -c "printf '' > '$T/empty.json'; curl -sk --max-time 10 --cert '$T/a/tls.crt' --key '$T/a/tls.key' --data-binary @'$T/empty.json' '$URL'"
expect "an unknown field" 0 "batch: unknown key 'extra'" sh -c "sed 's/^{/{\"extra\":1,/' '$T/batch.json' > '$T/extra.json'; curl -sk --max-time 10 --cert '$T/a/tls.crt' --key '$T/a/tls.key' --data-binary @'$T/extra.json' '$URL'"
[ "$(digest b)" = "$before" ] && ok "b's logs are unchanged by all of these" \
	|| bad "b's logs are unchanged by all of these"

# The read routes: a peer reads its own channel's logs, not others'.
get() { # get CERT-NODE PATH
	curl -sk --max-time 10 --cert "$T/$1/tls.crt" --key "$T/$1/tls.key" \
		"https://127.0.0.1:$((base + 1))$2" -w ' HTTP %{http_code}'
}
AB="origin=parley/a.example/b.example"
expect "GET checkpoint" 0 '"size":4201,"checkpoint":"parley/a.example/b.example\n4201\n' get a "/peer/v1/checkpoint?$AB"
expect "... with b's cosignature" 0 '"cosignatures":["— b.example ' get a "/peer/v1/checkpoint?$AB"
expect "GET entries" 0 '"entries":["parley/1\nfrom a.example\nto b.example\nindex 7\n' get a "/peer/v1/entries?$AB&start=7&count=2"
expect "GET an inclusion proof" 0 '"proof":["' get a "/peer/v1/proof/inclusion?$AB&index=7&size=4201"
expect "GET a consistency proof" 0 '"proof":["' get a "/peer/v1/proof/consistency?$AB&size1=100&size2=4201"
expect "a proof beyond the log" 0 '"code":"invalid"' get a "/peer/v1/proof/inclusion?$AB&index=7&size=9999"
expect "a bad number" 0 "parameter 'start' must be a decimal number" get a "/peer/v1/entries?$AB&start=-1&count=2"
expect "c reads a's log to b" 0 "HTTP 403" get c "/peer/v1/entries?$AB&start=0&count=1"
expect "an unknown route" 0 '"code":"not_found"' get a "/peer/v2/anything"

# A fork: the copy of a signs another history of the same size. b takes
# a's batch, then refuses the copy's and keeps its checkpoint as evidence.
lines 5 other | "$PARLEY" send b.example --type other-history --lines --dir "$T/a2" >/dev/null
"$PARLEY" outbox b.example --dir "$T/a2" > "$T/fork.json"
expect "a's batch goes in" 0 '"receipt":"— b.example ' post a "$T/batch.json"
after=$(digest b)
expect "the copy's batch is refused" 0 "differs from the one held: the sender forked its log" post a "$T/fork.json"
[ "$(digest b)" = "$after" ] && ok "b's logs are unchanged by the fork" \
	|| bad "b's logs are unchanged by the fork"
stop b
expect "verify on b names the fork" 1 "fork evidence at size 4206" "$PARLEY" verify --dir "$T/b"
expect "peer list on b shows the fork" 0 "FORK at size 4206" "$PARLEY" peer list --dir "$T/b"
expect "b's report flags the fork" 0 "WARNING: FORK: a.example signed two different trees of parley/a.example/b.example at size 4206" \
	"$PARLEY" report --peer a.example --dir "$T/b"
expect "b's JSON report carries the warning" 0 '"warnings":["FORK: a.example' \
	"$PARLEY" report --peer a.example --json --dir "$T/b"
expect "c's report with a has no warning" 0 '{"rows":[' "$PARLEY" report --peer a.example --json --dir "$T/c"
expect "b's audit bundle carries the evidence" 0 "wrote the audit bundle" \
	"$PARLEY" export --audit a.example "$T/b.bundle" --dir "$T/b"
expect "the auditor proves the fork from it" 1 "FORK: a.example signed two different trees of size 4206 (b.example kept the other one as evidence)" \
	"$PARLEY" audit "$T/b.bundle"
stop c

finish
