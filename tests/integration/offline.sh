#!/bin/sh
# offline.sh — delivery by file for air-gapped links, mixed with online
# delivery on one channel: batches exported, imported with the checks of
# online delivery, receipts carried back; a tampered, truncated or
# misaddressed file is refused with nothing changed; re-import is
# idempotent; in the end the mirror equals the log and both verify.
. "$(dirname "$0")/lib.sh"

base=$((27000 + ($$ * 7) % 30000))
for x in a b c; do
	"$PARLEY" init --name $x.example --dir "$T/$x" --listen "127.0.0.1:$base" >/dev/null
	base=$((base + 1))
done
peer_all a b c
A="--dir $T/a"
B="--dir $T/b"
AB="parley/a.example/b.example"
digest() { "$PARLEY" store digest --dir "$T/$1"; }
logsize() { "$PARLEY" log --json --dir "$T/$1" | grep -o "\"origin\":\"$2\"[^}]*\"size\":[0-9]*" | sed 's/.*"size"://'; }
backlog() { "$PARLEY" peer list $A --json | grep -o '"name":"b.example"[^}]*' | grep -o '"backlog":[0-9]*' | cut -d: -f2; }

seq 1 2500 | sed 's/^/offline message /' | "$PARLEY" send b.example --lines $A >/dev/null
expect "outbox export" 0 "wrote 2500 entries for b.example" \
	"$PARLEY" outbox export b.example "$T/d1.jsonl" --quiet $A
expect "export never overwrites" 1 "File exists" "$PARLEY" outbox export b.example "$T/d1.jsonl" $A
[ "$(wc -l < "$T/d1.jsonl")" = 4 ] && ok "three batches and a header" || bad "three batches and a header" "$(wc -l < "$T/d1.jsonl")"

# Refusals on b: nothing changes.
d0=$(digest b)
head -c 5000 "$T/d1.jsonl" > "$T/cut.jsonl"
expect "a truncated file" 1 "batch 1" "$PARLEY" inbox import "$T/cut.jsonl" --receipts "$T/r-cut" $B
python3 - "$T/d1.jsonl" "$T/bad.jsonl" <<'EOF'
import base64, json, sys
lines = open(sys.argv[1]).read().split("\n")
b = json.loads(lines[1])
body = base64.b64decode(b["entries"][6]["body"]).replace(b"message", b"massage")
b["entries"][6]["body"] = base64.b64encode(body).decode()
lines[1] = json.dumps(b, separators=(",", ":"))
open(sys.argv[2], "w").write("\n".join(lines))
EOF
expect "a tampered body" 1 "batch 1" "$PARLEY" inbox import "$T/bad.jsonl" --receipts "$T/r-bad" $B
sed '1s/"batches":3/"batches":4/' "$T/d1.jsonl" > "$T/more.jsonl"
expect "a file for someone else" 1 "a log to someone else, not to c.example" \
	"$PARLEY" inbox import "$T/d1.jsonl" --receipts "$T/r-c" --dir "$T/c"
expect "not a delivery file" 1 "not a parley delivery file" \
	"$PARLEY" inbox import "$T/a/parley.conf" --receipts "$T/r-x" $B
[ "$(digest b)" = "$d0" ] && ok "refused files change nothing on b" || bad "refused files change nothing on b"
[ -e "$T/r-bad" ] || [ -e "$T/r-x" ] && bad "no receipts file for nothing held" || ok "no receipts file for nothing held"

expect "inbox import" 0 "held 3 batches; receipts written to" \
	"$PARLEY" inbox import "$T/d1.jsonl" --receipts "$T/r1.json" $B
expect "re-import is idempotent" 0 "held 3 batches" \
	"$PARLEY" inbox import "$T/d1.jsonl" --receipts "$T/r1b.json" $B
cmp -s "$T/r1.json" "$T/r1b.json" && ok "re-import gives the same receipts" || bad "re-import gives the same receipts"
expect "re-import of a tampered copy is refused" 1 "the body does not match" \
	"$PARLEY" inbox import "$T/bad.jsonl" --receipts "$T/r-bad2" $B
expect "a header that claims more batches" 1 "its header says 4 (cut short?)" \
	"$PARLEY" inbox import "$T/more.jsonl" --receipts "$T/r-more" $B
expect "receipts for another node are refused" 1 "not for a log of ours" \
	"$PARLEY" receipts import "$T/r1.json" $B
sed 's/"receipt":"— b.example [A-Za-z0-9+\/]\{10\}/"receipt":"— b.example AAAAAAAAAA/' "$T/r1.json" > "$T/r-forged.json"
da=$(digest a)
expect "a forged receipt is refused" 1 "receipt 1" "$PARLEY" receipts import "$T/r-forged.json" $A
[ "$(digest a)" = "$da" ] && ok "the forged receipt changed nothing" || bad "the forged receipt changed nothing"
expect "receipts import" 0 "stored 3 receipts; receipted up to size 2500" \
	"$PARLEY" receipts import "$T/r1.json" $A
[ "$(backlog)" = 0 ] && ok "nothing pending for b after the round trip" || bad "nothing pending for b" "$(backlog)"
expect "nothing left to export" 1 "nothing is pending for b.example" \
	"$PARLEY" outbox export b.example "$T/d0.jsonl" $A

# Online next, then offline again: one channel, both ways of delivery.
"$PARLEY" serve $A 2>>"$T/a.log" &
apid=$!
pids="$pids $apid"
"$PARLEY" serve $B 2>>"$T/b.log" &
bpid=$!
pids="$pids $bpid"
seq 1 700 | sed 's/^/online message /' | "$PARLEY" send b.example --lines $A >/dev/null
t=0
while [ "$(backlog)" != 0 ] && [ $t -lt 100 ]; do sleep 0.1; t=$((t + 1)); done
[ "$(backlog)" = 0 ] && ok "700 more delivered online" || bad "700 more delivered online" "$(backlog)"
kill $apid $bpid
wait $apid $bpid 2>/dev/null
seq 1 400 | sed 's/^/offline again /' | "$PARLEY" send b.example --lines $A >/dev/null
expect "export after online delivery" 0 '"entries":400' \
	"$PARLEY" outbox export b.example "$T/d2.jsonl" --json $A
"$PARLEY" inbox import "$T/d2.jsonl" --receipts "$T/r2.json" $B >/dev/null
expect "receipts import --json" 0 '"receipted_size":3600' "$PARLEY" receipts import "$T/r2.json" --json $A
[ "$("$PARLEY" store digest --log "$AB" $A)" = "$("$PARLEY" store digest --log "$AB" $B)" ] \
	&& [ "$(logsize b "$AB")" = 3600 ] && ok "b's mirror equals a's log: 3600 entries" \
	|| bad "b's mirror equals a's log" "$(logsize b "$AB")"
expect "a verifies" 0 "verify: ok" "$PARLEY" verify $A
expect "b verifies" 0 "verify: ok" "$PARLEY" verify $B
finish
