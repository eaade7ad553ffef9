#!/bin/sh
# partition.sh — peers that are down or hang. c's address first holds a
# listener that accepts connections and never answers, then nothing, then
# c itself. Meanwhile a keeps delivering to b, a's operator API answers
# at once, backoff stays bounded, a stops promptly on SIGTERM; when c is
# back its queue is delivered in order.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 1; }

base=$((25000 + ($$ * 7) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" \
	--operator-listen "127.0.0.1:$((base + 3))" >/dev/null
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
"$PARLEY" init --name c.example --dir "$T/c" --listen "127.0.0.1:$((base + 2))" >/dev/null
peer_all a b c
token=$("$PARLEY" operator add watch --role auditor --dir "$T/a" | grep -o 'parley_[A-Za-z0-9_-]*')

# A listener on c's port that accepts and never says a word (bounded: 120 s).
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
end = time.time() + 120
s.settimeout(1)
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
' "$((base + 2))" &
hole=$!
pids="$pids $hole"

"$PARLEY" serve --dir "$T/a" 2>>"$T/a.log" &
apid=$!
pids="$pids $apid"
"$PARLEY" serve --dir "$T/b" 2>>"$T/b.log" &
pids="$pids $!"
sleep 0.5

peer() { "$PARLEY" peer list --dir "$T/a" --json | grep -o "\"name\":\"$1\"[^}]*"; }
num() { grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
wait_for() { # wait_for SECONDS CMD...
	limit=$(($1 * 10))
	shift
	t=0
	while ! "$@" && [ $t -lt "$limit" ]; do sleep 0.1; t=$((t + 1)); done
	"$@"
}
drained() { [ "$(peer "$1" | num backlog)" = 0 ]; }
failed() { [ "${1:-0}" -gt 0 ] 2>/dev/null; }
c_failed() { failed "$(peer c.example | num failures)"; }

seq 1 200 | sed 's/^/to c, in order: /' | "$PARLEY" send c.example --lines --dir "$T/a" >/dev/null
seq 1 50 | sed 's/^/to b: /' | "$PARLEY" send b.example --lines --dir "$T/a" >/dev/null
wait_for 5 drained b.example && ok "b gets its messages while c hangs" \
	|| bad "b gets its messages while c hangs" "$(peer b.example)"
start=$(date +%s%N)
st=$(curl -sk --max-time 2 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
	"https://127.0.0.1:$((base + 3))/api/v1/whoami")
ms=$((($(date +%s%N) - start) / 1000000))
[ "$st" = 200 ] && ok "a's operator API answers while c hangs (${ms} ms)" \
	|| bad "a's operator API answers while c hangs" "HTTP $st after ${ms} ms"
wait_for 25 c_failed && ok "the hanging peer is given up on and recorded" \
	|| bad "the hanging peer is given up on and recorded" "$(peer c.example)"
peer c.example | grep -q '"last_error":"[^"]*127.0.0.1' && ok "its last error names the endpoint" \
	|| bad "its last error names the endpoint" "$(peer c.example)"
# SIGTERM while a's worker waits on the hanging peer (its connect
# timeout is 10 s): the transfer is abandoned, a stops at once.
sleep 1
start=$(date +%s)
kill -TERM "$apid"
wait "$apid"
took=$(($(date +%s) - start))
[ "$took" -le 3 ] && ok "a stops within ${took} s on SIGTERM while c hangs" \
	|| bad "a stops promptly on SIGTERM while c hangs" "${took} s"
"$PARLEY" serve --dir "$T/a" 2>>"$T/a.log" &
pids="$pids $!"
seq 1 30 | sed 's/^/more to b: /' | "$PARLEY" send b.example --lines --dir "$T/a" >/dev/null
wait_for 5 drained b.example && ok "b keeps getting new messages" || bad "b keeps getting new messages" "$(peer b.example)"

# Nothing listening at all: refused at once, retried with backoff.
kill "$hole"
wait "$hole" 2>/dev/null
sleep 4
n=$(peer c.example | num failures)
[ "${n:-0}" -ge 2 ] && ok "c down: a keeps retrying ($n failures so far)" || bad "c down: a keeps retrying" "$(peer c.example)"
max=$(grep -o 'peer=c.example failures=[0-9]* retry_ms=[0-9]*' "$T/a.log" | sed 's/.*retry_ms=//' | sort -n | tail -1)
[ "${max:-0}" -le 30000 ] && ok "backoff is bounded (longest wait ${max} ms <= 30000)" \
	|| bad "backoff is bounded" "$max"

# c comes back: its queue is delivered, in order.
"$PARLEY" serve --dir "$T/c" 2>>"$T/c.log" &
pids="$pids $!"
wait_for 40 drained c.example && ok "c back: its 200 messages are delivered" \
	|| bad "c back: its 200 messages are delivered" "$(peer c.example)"
AC=parley/a.example/c.example
csize=$("$PARLEY" log --json --dir "$T/c" | grep -o "\"origin\":\"$AC\"[^}]*\"size\":[0-9]*" | sed 's/.*"size"://')
[ "$("$PARLEY" store digest --log $AC --dir "$T/a")" = "$("$PARLEY" store digest --log $AC --dir "$T/c")" ] \
	&& [ "$csize" = 200 ] && ok "c's mirror equals a's log, in order" \
	|| bad "c's mirror equals a's log, in order" "$csize"
finish
