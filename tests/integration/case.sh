#!/bin/sh
# case.sh — cases between two real parley serve processes: no case before
# a charter is in force; a case opened on a reaches b with its fields; b
# acknowledges and answers; a sees the answer; both timelines agree,
# receipt times included; every illegal transition and every body that
# breaks the charter is refused and logs nothing; overdue is computed.
. "$(dirname "$0")/lib.sh"

base=$((21000 + ($$ * 11) % 30000))

"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" >/dev/null
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
peer_all a b
serve_bg a
serve_bg b
sleep 0.3
A="--dir $T/a"
B="--dir $T/b"
size() { # size NODE: entries in NODE's log to its peer
	"$PARLEY" log --dir "$T/$1" --json | grep -o "\"origin\":\"parley/$1.example/[a-z.]*\",[^}]*\"size\":[0-9]*" \
		| sed 's/.*"size"://'
}
FIELDS="--field summary=ssh-brute-force --field source_ip=192.0.2.0/24 --field first_seen=2026-11-20 --field contact=cert@a.example --field severity=high"

expect "no case before a charter" 1 "no charter is in force with b.example" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS $A
expect "a bad charter is refused" 1 "types.x.ack_within" sh -c "printf '{\"charter\":\"parley-charter/1\",\"title\":\"t\",\"types\":{\"x\":{\"title\":\"x\",\"tlp\":\"green\",\"ack_within\":\"soon\",\"answer_within\":null,\"fields\":[]}}}' > '$T/bad.json'; '$PARLEY' channel propose b.example --charter '$T/bad.json' $A"
expect "a proposes the standard charter" 0 "in force once b.example accepts it" \
	"$PARLEY" channel propose b.example --charter "$(dirname "$0")/../../charters/standard.json" $A
settle
expect "still no case while only a holds it" 1 "ours awaits their acceptance" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS $A
expect "b sees the proposal" 0 "a.example's proposal awaits ours" "$PARLEY" channel show a.example $B
expect "b accepts" 0 "accepted a.example's charter" "$PARLEY" channel accept a.example $B
settle
expect "the charter is in force on a" 0 "deconfliction              acknowledge within 1h" "$PARLEY" channel show b.example $A

before=$(size a)
expect "an unknown type" 1 "the charter with b.example has no case type 'espionage'" \
	"$PARLEY" case new b.example --type espionage --subject s $A
expect "a missing required field" 1 "field 'source_ip' is required for cyber-incident" \
	"$PARLEY" case new b.example --type cyber-incident --subject s --field summary=x $A
expect "a bad IP" 1 "'192.0.2.300' is not an IP address or prefix" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS --field source_ip=192.0.2.300 $A
expect "a field not in the charter" 1 "field 'colour' is not in the charter for cyber-incident" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS --field colour=red $A
expect "a bad enum value" 1 "'apocalyptic' is not one of the charter's values" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS --field severity=apocalyptic $A
expect "a bad TLP" 1 "body.tlp" "$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS --tlp blue $A
[ "$(size a)" = "$before" ] && ok "refused bodies log nothing" || bad "refused bodies log nothing"

expect "a opens a case" 0 "opened case a.example/1 with b.example" \
	"$PARLEY" case new b.example --type cyber-incident --subject "Scanning from AS64500" $FIELDS \
	--text "Since Monday 06:00 UTC." $A
head -c 300000 /dev/urandom > "$T/capture.pcap"
printf 'timeline of the incident\n' > "$T/notes.txt"
head -c 4200000 /dev/zero > "$T/huge.bin"
expect "an attachment over 4 MiB" 1 "is over the 4194304-byte limit" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS --attach "$T/huge.bin" $A
expect "a missing attachment file" 1 "nosuch.bin" \
	"$PARLEY" case new b.example --type cyber-incident --subject s $FIELDS --attach "$T/nosuch.bin" $A
expect "a opens a case with two attachments" 0 "opened case a.example/2" \
	"$PARLEY" case new b.example --type cyber-incident --subject "With evidence" $FIELDS \
	--attach "$T/capture.pcap" --attach "$T/notes.txt" $A
expect "a opens a de-confliction notice" 0 "opened case a.example/3" \
	"$PARLEY" case new b.example --type deconfliction --subject "Exercise" --field summary=red-team \
	--field targets=198.51.100.0/24 --field start=2026-12-01 --field end=2026-12-02 --field contact=cert@a.example $A
settle
expect "the case is on b" 0 "a.example/1                        cyber-incident           receipted" "$PARLEY" case list $B
sha=$(sha256sum "$T/capture.pcap" | cut -d' ' -f1)
expect "b sees the attachments named" 0 "\"name\":\"capture.pcap\",\"sha256\":\"$sha\",\"size\":300000" \
	"$PARLEY" case show a.example/2 $B --json
expect "b extracts an attachment" 0 "wrote 300000 bytes" "$PARLEY" case attachment "$sha" --out "$T/got.pcap" $B
cmp -s "$T/capture.pcap" "$T/got.pcap" && ok "... byte for byte the file a attached" \
	|| bad "... byte for byte the file a attached"
expect "... and will not overwrite a file" 1 "cannot create" "$PARLEY" case attachment "$sha" --out "$T/got.pcap" $B
store_holds b "timeline of the incident" \
	&& bad "attachments are sealed at rest on b" || ok "attachments are sealed at rest on b"
expect "... with its fields intact" 0 '"fields":{"contact":"cert@a.example","first_seen":"2026-11-20","severity":"high","source_ip":"192.0.2.0/24","summary":"ssh-brute-force"}' \
	"$PARLEY" case show a.example/1 $B --json

before=$(size b)
expect "a cannot answer its own request" 1 "only the responder can answer" "$PARLEY" case answer a.example/1 $A
expect "b cannot withdraw a's request" 1 "only the requester can withdraw" "$PARLEY" case withdraw a.example/1 $B
expect "b cannot close before an answer" 1 "the case can be closed only after an answer" "$PARLEY" case close a.example/1 $B
expect "an unknown case" 1 "no case a.example/99" "$PARLEY" case ack a.example/99 $B
expect "a bad case id" 1 "expected REQUESTER/INDEX" "$PARLEY" case ack nonsense $B
[ "$(size b)" = "$before" ] && ok "refused actions log nothing" || bad "refused actions log nothing"

expect "b acknowledges" 0 "ack on case a.example/1 sent" "$PARLEY" case ack a.example/1 --text "Received, investigating." $B
expect "b cannot acknowledge twice" 1 "the case is already acknowledged" "$PARLEY" case ack a.example/1 $B
expect "a reminds" 0 "remind on case a.example/1 sent" "$PARLEY" case remind a.example/1 --text "Any news?" $A
expect "b answers" 0 "answer on case a.example/1 sent" "$PARLEY" case answer a.example/1 --text "Blocked at our edge." $B
expect "b cannot decline after answering" 1 "the case is already answered; it can only be closed" \
	"$PARLEY" case decline a.example/1 $B
settle
expect "a sees the answer" 0 "state: answered" "$PARLEY" case show a.example/1 $A
expect "... with its text" 0 '"body":{"text":"Blocked at our edge."}' "$PARLEY" case show a.example/1 $A --json
"$PARLEY" case show a.example/1 $A --json > "$T/ta.json"
"$PARLEY" case show a.example/1 $B --json > "$T/tb.json"
if cmp -s "$T/ta.json" "$T/tb.json" && grep -q '"receipt":"20' "$T/ta.json" && ! grep -q '"receipt":null' "$T/ta.json"; then
	ok "both timelines agree, every message with a receipt time"
else
	bad "both timelines agree, every message with a receipt time" "$(cat "$T/ta.json" "$T/tb.json")"
fi
expect "a closes" 0 "close on case a.example/1 sent" "$PARLEY" case close a.example/1 $A
expect "a withdraws the notice" 0 "withdraw on case a.example/3 sent" "$PARLEY" case withdraw a.example/3 $A
settle
expect "closed on b" 0 "closed" "$PARLEY" case list --state closed $B
expect "a state that is none" 1 "no case state 'shut' (sent, receipted" "$PARLEY" case list --state shut $B
expect "the list as JSON, one array" 0 "" sh -c "'$PARLEY' case list --json $B | python3 -c 'import json,sys; l=json.load(sys.stdin); assert len(l) >= 3 and l[0][\"id\"] == \"a.example/1\", l'"
expect "... and empty as []" 0 "[]" "$PARLEY" case list --json --state declined $B

# Overdue: a third case, not acknowledged; as of two hours after its
# receipt the one-hour de-confliction deadline has passed.
another=$("$PARLEY" case new b.example --type deconfliction --subject "Another" --field summary=x \
	--field targets=198.51.100.7 --field start=2026-12-01 --field end=2026-12-02 --field contact=cert@a.example $A --json \
	| sed 's/.*"id":"\([^"]*\)".*/\1/')
settle
later=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
expect "overdue to acknowledge, two hours later" 0 "OVERDUE(ack) Another" "$PARLEY" case list --overdue --at "$later" $A
expect "the same on b" 0 "OVERDUE(ack) Another" "$PARLEY" case list --overdue --at "$later" $B
expect "not overdue now" 0 "" sh -c "! '$PARLEY' case list --overdue $A | grep -q OVERDUE"
expect "withdrawn and closed cases are never overdue" 0 "" sh -c "! '$PARLEY' case list --overdue --at 2030-01-01T00:00:00Z $A | grep -q 'a.example/[13] '"
# An amendment: de-confliction notices must now be acknowledged within 3
# hours. It applies to requests receipted after it, not to earlier ones.
sed 's/"ack_within": "1h"/"ack_within": "3h"/' "$(dirname "$0")/../../charters/standard.json" > "$T/amended.json"
grep -q '"ack_within": "3h"' "$T/amended.json" || bad "the amended charter differs"
sleep 1.1 # receipt times have one-second resolution: keep the earlier request before it
expect "a proposes an amendment" 0 "charter proposed" "$PARLEY" channel propose b.example --charter "$T/amended.json" $A
settle
expect "b accepts it" 0 "accepted a.example's charter" "$PARLEY" channel accept a.example $B
settle
sleep 1.1 # a request receipted in a later second than the amendment
after=$("$PARLEY" case new b.example --type deconfliction --subject "After the amendment" --field summary=x \
	--field targets=198.51.100.9 --field start=2026-12-01 --field end=2026-12-02 --field contact=cert@a.example $A --json \
	| sed 's/.*"id":"\([^"]*\)".*/\1/')
settle
deadline() { # deadline ID: seconds from the request's receipt to its ack deadline
	"$PARLEY" case show "$1" $A --json > "$T/d.json"
	r=$(sed 's/.*"receipt":"\([^"]*\)".*/\1/' "$T/d.json" | head -1)
	d=$(sed 's/.*"ack_due":"\([^"]*\)".*/\1/' "$T/d.json" | head -1)
	echo $(( $(date -u -d "$d" +%s) - $(date -u -d "$r" +%s) ))
}
[ "$(deadline "$after")" = 10800 ] && ok "the amendment applies to a request receipted after it (3h)" \
	|| bad "the amendment applies to a request receipted after it (3h)" "$(cat "$T/d.json")"
[ "$(deadline "$another")" = 3600 ] && ok "... not to one receipted before it (1h)" \
	|| bad "... not to one receipted before it (1h)" "$(cat "$T/d.json")"
# Reports: computed from the logs alone, the same bytes on both nodes.
at=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
"$PARLEY" report --format json --at "$at" $A > "$T/ra.json"
"$PARLEY" report --format json --at "$at" $B > "$T/rb.json"
cmp -s "$T/ra.json" "$T/rb.json" && ok "both nodes print the same report, byte for byte" \
	|| bad "both nodes print the same report, byte for byte" "$(cat "$T/ra.json" "$T/rb.json")"
expect "the report counts a's requests" 0 '"from":"a.example","to":"b.example","period":"all","requests":5,"receipted":5,"no_receipt":0,"acknowledged":1,"answered":1,"answered_on_time":1,"declined":0,"withdrawn":1' cat "$T/ra.json"
expect "report by month as CSV" 0 "a.example,b.example,20" "$PARLEY" report --by month --format csv $A
expect "report as markdown" 0 "| a.example | b.example | all | 5 |" "$PARLEY" report --format markdown $A
expect "a bad --by" 2 "--by is month, quarter or year" "$PARLEY" report --by week $A
for n in a b; do
	expect "verify $n" 0 "verify: ok" "$PARLEY" verify --dir "$T/$n"
done

finish
