#!/bin/sh
# api.sh — the operator API on two real nodes: tokens and roles (missing,
# wrong and revoked tokens, an auditor or an officer overstepping, each a
# specific error that changes nothing), the whole case flow through the
# API, the audit trail, and every exchange checked against docs/openapi.json.
. "$(dirname "$0")/lib.sh"
: "${OPENAPI_CHECK:?}" "${OPENAPI:?}"

base=$((22000 + ($$ * 13) % 30000))

two_nodes "$base"
SUP=$(tok sue supervisor a); OFF=$(tok olga officer a); AUD=$(tok ali auditor a)
GONE=$(tok gus officer a); BSUP=$(tok bob supervisor b)
expect "revoke an operator" 0 "operator gus revoked" "$PARLEY" operator revoke gus --dir "$T/a"
expect "operator list" 0 "gus                      officer" "$PARLEY" operator list --dir "$T/a"
serve_bg a
serve_bg b
# Up to 5 s for the line: a loaded machine (the browser tests beside) can be slow.
t=0
while ! grep -q "operator_listen=" "$T/a.log" 2>/dev/null && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
grep -q "operator_listen=127.0.0.1:$((base + 1))" "$T/a.log" && ok "serve starts the operator API" \
	|| bad "serve starts the operator API" "$(cat "$T/a.log")"

mkdir "$T/ex"
# call NODE METHOD TEMPLATE PATH TOKEN [JSON]: one API request, recorded
# for the OpenAPI check; prints the body and " HTTP status".
call() {
	f=$(mktemp "$T/ex/XXXXXX")
	port=$base
	[ "$1" = b ] && port=$((base + 2))
	port=$((port + 1))
	if [ -n "$5" ]; then auth="Authorization: Bearer $5"; else auth="X-None: 1"; fi
	if [ "$2" = POST ]; then
		st=$(curl -sk --max-time 10 -o "$f" -w '%{http_code}' -X POST -H "$auth" \
			-H 'Content-Type: application/json' --data-binary "${6:-{\}}" "https://127.0.0.1:$port$4")
	else
		st=$(curl -sk --max-time 10 -o "$f" -w '%{http_code}' -H "$auth" "https://127.0.0.1:$port$4")
	fi
	echo "$2 $3 $st $f" >> "$T/exchanges"
	printf '%s HTTP %s' "$(cat "$f")" "$st"
}
digest() { "$PARLEY" store digest --dir "$T/a"; }

W=/api/v1/whoami
expect "whoami" 0 '{"name":"olga","role":"officer","party":"a.example"} HTTP 200' call a GET $W $W "$OFF"
before=$(digest)
expect "no token" 0 '"code":"unauthorized","message":"a bearer token (parley_...) is required"}} HTTP 401' call a GET $W $W ""
expect "a wrong token" 0 '"message":"the token is not valid"}} HTTP 401' call a GET $W $W "parley_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect "a revoked token" 0 '"message":"the token of operator gus was revoked"}} HTTP 401' call a POST /api/v1/cases /api/v1/cases "$GONE" '{}'
expect "an officer proposing a charter" 0 '"message":"operator olga is an officer and may not propose or accept charters"}} HTTP 403' \
	call a POST /api/v1/channels/{peer}/propose /api/v1/channels/b.example/propose "$OFF" '{"template":"standard"}'
expect "an auditor opening a case" 0 '"message":"operator ali is an auditor and may not open or answer cases"}} HTTP 403' \
	call a POST /api/v1/cases /api/v1/cases "$AUD" '{"peer":"b.example","type":"ping","subject":"x"}'
expect "no case before a charter" 0 '"code":"conflict","message":"no charter is in force with b.example' \
	call a POST /api/v1/cases /api/v1/cases "$OFF" '{"peer":"b.example","type":"ping","subject":"x"}'
expect "a body that is not JSON" 0 '"message":"the request body must be a JSON object' \
	call a POST /api/v1/cases /api/v1/cases "$OFF" 'nope'
expect "an unknown route" 0 '"code":"not_found"' call a GET - /api/v1/nothing "$OFF"
[ "$(digest)" = "$before" ] && ok "none of these changed a's logs" || bad "none of these changed a's logs"

expect "a supervisor proposes" 0 '{"proposed":"b.example","index":0} HTTP 200' \
	call a POST /api/v1/channels/{peer}/propose /api/v1/channels/b.example/propose "$SUP" '{"template":"standard"}'
settle
expect "b sees the proposal" 0 '"pending_theirs":true' call b GET /api/v1/channels/{peer} /api/v1/channels/a.example "$BSUP"
expect "b accepts" 0 '{"accepted":"a.example","index":0} HTTP 200' \
	call b POST /api/v1/channels/{peer}/accept /api/v1/channels/a.example/accept "$BSUP"
settle
expect "the charter is in force" 0 '"title":"Standard charter: every template type"' \
	call a GET /api/v1/channels/{peer} /api/v1/channels/b.example "$AUD"
before=$(digest)
expect "a body that breaks the charter" 0 '"message":"field '"'"'source_ip'"'"' is required for cyber-incident"}} HTTP 400' \
	call a POST /api/v1/cases /api/v1/cases "$OFF" '{"peer":"b.example","type":"cyber-incident","subject":"x","fields":{"summary":"s"}}'
expect "an unknown key" 0 "unknown key 'colour'" \
	call a POST /api/v1/cases /api/v1/cases "$OFF" '{"peer":"b.example","type":"ping","subject":"x","colour":1}'
[ "$(digest)" = "$before" ] && ok "refused cases log nothing" || bad "refused cases log nothing"
FIELDS='"fields":{"summary":"ssh","source_ip":"192.0.2.1","first_seen":"2026-11-20","contact":"cert@a.example","severity":"low"}'
expect "an officer opens a case with an attachment" 0 '{"id":"a.example/1"} HTTP 200' \
	call a POST /api/v1/cases /api/v1/cases "$OFF" "{\"peer\":\"b.example\",\"type\":\"cyber-incident\",\"subject\":\"Scanning\",$FIELDS,\"attachments\":[{\"name\":\"log.txt\",\"data\":\"aGVsbG8gd29ybGQ=\"}]}"
settle
expect "b lists it" 0 '"id":"a.example/1","requester":"a.example","responder":"b.example","type":"cyber-incident","subject":"Scanning","state":"receipted"' \
	call b GET /api/v1/cases "/api/v1/cases?peer=a.example" "$BSUP"
expect "... with its fields and attachment" 0 '"attachments":[{"name":"log.txt","sha256":"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9","size":11}]' \
	call b GET /api/v1/cases/{requester}/{index} /api/v1/cases/a.example/1 "$BSUP"
expect "the requester cannot answer" 0 '"message":"cannot answer case a.example/1 (receipted): only the responder can answer"}} HTTP 409' \
	call a POST /api/v1/cases/{requester}/{index}/{action} /api/v1/cases/a.example/1/answer "$OFF" '{"text":"x"}'
expect "an unknown action" 0 "no action 'approve'" \
	call b POST /api/v1/cases/{requester}/{index}/{action} /api/v1/cases/a.example/1/approve "$BSUP" '{}'
expect "b acknowledges" 0 '"action":"ack"' \
	call b POST /api/v1/cases/{requester}/{index}/{action} /api/v1/cases/a.example/1/ack "$BSUP" '{"text":"received"}'
expect "b answers" 0 '"action":"answer"' \
	call b POST /api/v1/cases/{requester}/{index}/{action} /api/v1/cases/a.example/1/answer "$BSUP" '{"text":"fixed"}'
settle
expect "a sees the answer" 0 '"state":"answered"' call a GET /api/v1/cases/{requester}/{index} /api/v1/cases/a.example/1 "$AUD"
expect "an auditor reads the case list" 0 '{"cases":[{"id":"a.example/1"' call a GET /api/v1/cases "/api/v1/cases?state=answered" "$AUD"
# The case list page by page: three more cases, pages of two.
for s in two three four; do
	expect "an officer opens case $s" 0 '{"id":"a.example/' \
		call a POST /api/v1/cases /api/v1/cases "$OFF" "{\"peer\":\"b.example\",\"type\":\"ping\",\"subject\":\"$s\"}"
done
page=$(call a GET /api/v1/cases "/api/v1/cases?limit=2" "$AUD")
case $page in
'{"cases":[{"id":"a.example/1"'*'"subject":"Scanning"'*'{"id":"a.example/2"'*'"subject":"two"'*'}],"next":"b.example/a.example/2"} HTTP 200')
	ok "the first page: cases 1 and 2, and where the next begins" ;;
*) bad "the first page: cases 1 and 2, and where the next begins" "$page" ;;
esac
page=$(call a GET /api/v1/cases "/api/v1/cases?limit=2&after=b.example/a.example/2" "$AUD")
case $page in
'{"cases":[{"id":"a.example/3"'*'"subject":"three"'*'{"id":"a.example/4"'*'"subject":"four"'*'}]} HTTP 200')
	ok "the page after it: cases 3 and 4, and no next" ;;
*) bad "the page after it: cases 3 and 4, and no next" "$page" ;;
esac
expect "a page past the end is empty" 0 '{"cases":[]} HTTP 200' \
	call a GET /api/v1/cases "/api/v1/cases?after=b.example/a.example/4" "$AUD"
before=$(digest)
expect "a page of no cases" 0 "'limit' must be a number from 1 to 10000\"}} HTTP 400" call a GET /api/v1/cases "/api/v1/cases?limit=0" "$AUD"
expect "a page too long" 0 "'limit' must be a number from 1 to 10000\"}} HTTP 400" call a GET /api/v1/cases "/api/v1/cases?limit=10001" "$AUD"
expect "a cursor of no party" 0 "cursor 'nobody.example/a.example/1': no party nobody.example\"}} HTTP 400" \
	call a GET /api/v1/cases "/api/v1/cases?after=nobody.example/a.example/1" "$AUD"
expect "a cursor of our own name" 0 "cursor 'a.example/a.example/1': a.example is us, not a peer\"}} HTTP 400" \
	call a GET /api/v1/cases "/api/v1/cases?after=a.example/a.example/1" "$AUD"
expect "a cursor of another peer than asked" 0 "is of the cases with b.example, not a.example" \
	call a GET /api/v1/cases "/api/v1/cases?peer=a.example&after=b.example/a.example/1" "$AUD"
expect "a cursor that is not one" 0 "cursor 'b.example': expected PEER/REQUESTER/INDEX\"}} HTTP 400" \
	call a GET /api/v1/cases "/api/v1/cases?after=b.example" "$AUD"
expect "a state that is none" 0 "no case state 'pending' (sent, receipted, acknowledged, answered, declined, withdrawn, closed)\"}} HTTP 400" \
	call a GET /api/v1/cases "/api/v1/cases?state=pending" "$AUD"
[ "$(digest)" = "$before" ] && ok "bad list requests change nothing" || bad "bad list requests change nothing"
expect "peers" 0 '{"peers":[{"name":"b.example","endpoint":"https://127.0.0.1:' call a GET /api/v1/peers /api/v1/peers "$AUD"
# What the console's pages read.
expect "the change stamp" 0 '{"stamp":"' call a GET /api/v1/changes /api/v1/changes "$AUD"
expect "the report, both directions side by side" 0 '"directions":[{"from":"a.example","to":"b.example","period":"' \
	call a GET /api/v1/report "/api/v1/report?by=month&reciprocity=1" "$AUD"
expect "a report by a period it does not know" 0 '"message":"by is all, month, quarter or year"}} HTTP 400' \
	call a GET /api/v1/report "/api/v1/report?by=week" "$AUD"
csv=$(curl -sk --max-time 10 -D "$T/csv.h" -H "Authorization: Bearer $AUD" "https://127.0.0.1:$((base + 1))/api/v1/report?format=csv")
if printf '%s' "$csv" | head -n 1 | grep -q '^from,to,period,requests,' && grep -qi '^content-type: text/csv' "$T/csv.h" \
	&& grep -qi '^content-disposition: attachment' "$T/csv.h"; then
	ok "the report as a CSV download"
else
	bad "the report as a CSV download" "$(cat "$T/csv.h"; printf '%s' "$csv" | head -n 3)"
fi
expect "the charter's types with their fields" 0 '{"name":"source_ip","kind":"ip","required":true}' \
	call a GET /api/v1/channels/{peer}/types /api/v1/channels/b.example/types "$AUD"
expect "the audit bundle" 0 '"bundle": "parley-audit/1"' call a GET /api/v1/audit/{peer} /api/v1/audit/b.example "$AUD"
expect "peers: reachability, receipts, pings, fork evidence" 0 '"reachable":true,' call a GET /api/v1/peers /api/v1/peers "$AUD"
expect "a session by bearer token has no CSRF token" 0 '{"name":"ali","role":"auditor","party":"a.example"} HTTP 200' \
	call a GET /api/v1/session /api/v1/session "$AUD"
expect "a console login with a wrong token" 0 '"message":"the token is not valid"}} HTTP 401' \
	call a POST /api/v1/session /api/v1/session "" '{"token":"parley_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'
expect "a console login" 0 '"csrf":"' call a POST /api/v1/session /api/v1/session "" "{\"token\":\"$OFF\"}"
expect "logging out" 0 '{"ended":true} HTTP 200' call a POST /api/v1/session/logout /api/v1/session/logout "" '{}'
# A session: the cookie reads; a change also needs the CSRF header.
J=$T/jar
curl -sk --max-time 10 -c "$J" -o "$T/login.json" -H 'Content-Type: application/json' \
	--data-binary "{\"token\":\"$OFF\"}" "https://127.0.0.1:$((base + 1))/api/v1/session"
csrf=$(sed 's/.*"csrf":"\([^"]*\)".*/\1/' "$T/login.json")
grep -q 'HttpOnly' "$J" && grep -q 'parley_session' "$J" && ok "the session cookie is HttpOnly" || bad "the session cookie" "$(cat "$J")"
expect "the session reads" 0 '"role":"officer"' curl -sk --max-time 10 -b "$J" "https://127.0.0.1:$((base + 1))/api/v1/session"
before=$(digest)
expect "a change through the session without the CSRF header" 0 "needs the session's X-Parley-CSRF header" \
	curl -sk --max-time 10 -b "$J" -H 'Content-Type: application/json' --data-binary '{}' \
	"https://127.0.0.1:$((base + 1))/api/v1/cases/a.example/1/close"
expect "... with a wrong one" 0 "needs the session's X-Parley-CSRF header" \
	curl -sk --max-time 10 -b "$J" -H "X-Parley-CSRF: x$csrf" --data-binary '{}' \
	"https://127.0.0.1:$((base + 1))/api/v1/cases/a.example/1/close"
[ "$(digest)" = "$before" ] && ok "neither changed anything" || bad "neither changed anything"
expect "... and with it" 0 '"action":"close"' curl -sk --max-time 10 -b "$J" -H "X-Parley-CSRF: $csrf" \
	--data-binary '{}' "https://127.0.0.1:$((base + 1))/api/v1/cases/a.example/1/close"
h=$(curl -sk --max-time 10 -D - -o /dev/null "https://127.0.0.1:$((base + 1))/")
for want in "content-security-policy: default-src 'self'" "frame-ancestors 'none'" "x-content-type-options: nosniff" \
	"cache-control: no-cache" "content-type: text/html"; do
	printf '%s' "$h" | grep -qi "$want" || bad "the console page's headers: $want" "$h"
done
ok "the console page is served with its CSP and headers"
expect "the audit trail names who did what" 0 '"operator":"olga","action":"POST /api/v1/cases","outcome":"ok"' \
	"$PARLEY" operator audit --json --dir "$T/a"
expect "... refusals included" 0 '"operator":"ali","action":"POST /api/v1/cases","outcome":"forbidden"' \
	"$PARLEY" operator audit --json --dir "$T/a"
expect "... and unknown callers" 0 '"operator":"-","action":"POST /api/v1/cases","outcome":"unauthorized"' \
	"$PARLEY" operator audit --json --dir "$T/a"

# The peer API, recorded for the same check (b's client certificate on a).
peer() {
	f=$(mktemp "$T/ex/XXXXXX")
	st=$(curl -sk --max-time 10 --cert "$T/b/tls.crt" --key "$T/b/tls.key" -o "$f" -w '%{http_code}' \
		"https://127.0.0.1:$base$2")
	echo "GET $1 $st $f" >> "$T/exchanges"
}
O="origin=parley/a.example/b.example"
peer /peer/v1/checkpoint "/peer/v1/checkpoint?$O"
peer /peer/v1/entries "/peer/v1/entries?$O&start=0&count=2"
peer /peer/v1/proof/inclusion "/peer/v1/proof/inclusion?$O&index=0&size=2"
peer /peer/v1/proof/consistency "/peer/v1/proof/consistency?$O&size1=1&size2=2"
peer /peer/v1/entries "/peer/v1/entries?$O&start=x&count=2"

out=$("$OPENAPI_CHECK" "$OPENAPI" "$T/exchanges" 2>&1)
if [ $? -eq 0 ]; then
	ok "every exchange matches docs/openapi.json ($(printf '%s\n' "$out" | tail -n 1))"
else
	bad "every exchange matches docs/openapi.json" "$(printf '%s\n' "$out" | grep FAIL)"
fi
finish
