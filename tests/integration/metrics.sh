#!/bin/sh
# metrics.sh — /metrics in the Prometheus text format and parley status:
# outbox backlog and the oldest unreceipted entry per peer, delivery
# attempts and failures, requests and latencies, cases; a scrape needs a
# token; every line is well formed.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }

base=$((28000 + ($$ * 7) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" \
	--operator-listen "127.0.0.1:$((base + 2))" >/dev/null
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
peer_all a b
token=$("$PARLEY" operator add prom --role auditor --dir "$T/a" | grep -o 'parley_[A-Za-z0-9_-]*')
"$PARLEY" serve --dir "$T/a" 2>>"$T/a.log" &
pids="$pids $!"
"$PARLEY" serve --dir "$T/b" 2>>"$T/b.log" &
bpid=$!
pids="$pids $bpid"
sleep 0.5
scrape() { curl -sk --max-time 10 -H "Authorization: Bearer $token" -D "$T/h" -o "$T/m" \
	"https://127.0.0.1:$((base + 2))/metrics"; }
drained() { [ "$("$PARLEY" status --json --dir "$T/a" | grep -o '"backlog":[0-9]*' | head -1 | cut -d: -f2)" = 0 ]; }
wait_for() { t=0; while ! "$@" && [ $t -lt 100 ]; do sleep 0.1; t=$((t + 1)); done; "$@"; }

seq 1 300 | "$PARLEY" send b.example --lines --dir "$T/a" >/dev/null
wait_for drained && ok "300 messages receipted" || bad "300 messages receipted"
scrape
grep -qi "^content-type: text/plain; version=0.0.4" "$T/h" && ok "text/plain; version=0.0.4" \
	|| bad "text/plain; version=0.0.4" "$(cat "$T/h")"
bad_lines=$(grep -v '^#' "$T/m" | grep -Ev '^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$')
[ -z "$bad_lines" ] && [ -s "$T/m" ] && ok "every sample line is well formed ($(grep -vc '^#' "$T/m") samples)" \
	|| bad "every sample line is well formed" "$bad_lines"
grep -q '^parley_outbox_backlog{peer="b.example"} 0$' "$T/m" && ok "backlog 0 once delivered" \
	|| bad "backlog 0 once delivered" "$(grep backlog "$T/m")"
grep -q '^parley_receipted_entries{peer="b.example"} 300$' "$T/m" && ok "receipted 300" \
	|| bad "receipted 300" "$(grep receipted "$T/m")"
grep -Eq '^parley_delivery_attempts_total\{peer="b.example"\} [1-9]' "$T/m" && ok "delivery attempts counted" \
	|| bad "delivery attempts counted" "$(grep delivery "$T/m")"
grep -q '^parley_cases{state="receipted"} 0$' "$T/m" && grep -q '^parley_fork_evidence 0$' "$T/m" \
	&& ok "cases and evidence gauges" || bad "cases and evidence gauges"
scrape
grep -Eq '^parley_http_requests_total\{api="operator",code="200"\} [1-9]' "$T/m" \
	&& grep -Eq '^parley_http_request_duration_seconds_count\{api="operator"\} [1-9]' "$T/m" \
	&& ok "the operator API's requests and latencies" || bad "the operator API's requests and latencies" "$(grep http "$T/m")"

# b down: a backlog, an age, failures.
kill "$bpid"
wait "$bpid" 2>/dev/null
seq 1 20 | "$PARLEY" send b.example --lines --dir "$T/a" >/dev/null
sleep 2.5
scrape
grep -q '^parley_outbox_backlog{peer="b.example"} 20$' "$T/m" && ok "b down: backlog 20" \
	|| bad "b down: backlog 20" "$(grep backlog "$T/m")"
grep -Eq '^parley_outbox_oldest_unreceipted_seconds\{peer="b.example"\} [0-9]+$' "$T/m" \
	&& ok "the age of the oldest unreceipted entry" || bad "the age of the oldest unreceipted entry"
grep -Eq '^parley_delivery_failures_total\{peer="b.example"\} [1-9]' "$T/m" && ok "failed deliveries counted" \
	|| bad "failed deliveries counted" "$(grep failures "$T/m")"
expect "parley status" 0 "backlog 20, receipted 300" "$PARLEY" status --dir "$T/a"
expect "parley status --json" 0 '"backlog":20' "$PARLEY" status --json --dir "$T/a"
# The servers' logs: one event per line, logfmt, with a level.
notlogfmt=$(cat "$T/a.log" "$T/b.log" | grep -Ev '^level=(debug|info|warn|error)( [a-z_]+=("([^"\\]|\\.)*"|[^ "]*))*$')
[ -z "$notlogfmt" ] && [ -s "$T/a.log" ] && ok "every log line is logfmt with a level ($(cat "$T/a.log" "$T/b.log" | wc -l) lines)" \
	|| bad "every log line is logfmt with a level" "$notlogfmt"
st=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$((base + 2))/metrics")
[ "$st" = 401 ] && ok "no token, no metrics (401)" || bad "no token, no metrics" "$st"
finish
