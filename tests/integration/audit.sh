#!/bin/sh
# audit.sh — a redacted audit bundle, checked with no node and no secrets:
# the auditor's report equals both parties' reports byte for byte, and 42
# corrupted bundles (dropped, duplicated, reordered or altered entries,
# truncated logs, altered or misplaced checkpoints, forged, back-dated or
# misattributed receipts, key swaps, altered or missing charters and
# register records, forks signed by a copy of a node, fork evidence that is
# not, foreign origins, bad periods...) are each refused with their
# specific message.
. "$(dirname "$0")/lib.sh"
A=ministry-a.example
B=ministry-b.example

"$PARLEY" demo --dir "$T/demo" --messages 60 > "$T/demo.out" 2>&1 || { cat "$T/demo.out"; exit 1; }
expect "export a bundle" 0 "wrote the audit bundle of the channel with $B" \
	"$PARLEY" export --audit $B "$T/bundle.json" --dir "$T/demo/a"
expect "export never overwrites" 1 "File exists" \
	"$PARLEY" export --audit $B "$T/bundle.json" --dir "$T/demo/a"
grep -q "Scanning from your networks" "$T/bundle.json" && bad "the bundle holds no bodies" \
	|| ok "the bundle holds no bodies"
grep -q "PRIVATE" "$T/bundle.json" && bad "the bundle holds no secrets" || ok "the bundle holds no secrets"
expect "the bundle passes the audit" 0 "$A $B all 60 60 0" "$PARLEY" audit "$T/bundle.json"

at=2031-01-01T00:00:00Z
"$PARLEY" report --peer $B --format json --at $at --dir "$T/demo/a" > "$T/ra.json"
"$PARLEY" report --peer $A --format json --at $at --dir "$T/demo/b" > "$T/rb.json"
"$PARLEY" audit "$T/bundle.json" --format json --at $at > "$T/rx.json"
if cmp -s "$T/ra.json" "$T/rb.json" && cmp -s "$T/ra.json" "$T/rx.json" && [ -s "$T/ra.json" ]; then
	ok "a's report, b's report and the auditor's are the same bytes"
else
	bad "a's report, b's report and the auditor's are the same bytes" "$(cat "$T/ra.json" "$T/rb.json" "$T/rx.json")"
fi
"$PARLEY" export --audit $A "$T/bundle-b.json" --dir "$T/demo/b" >/dev/null
"$PARLEY" audit "$T/bundle-b.json" --format json --at $at > "$T/ry.json"
cmp -s "$T/rx.json" "$T/ry.json" && ok "b's bundle gives the same report" || bad "b's bundle gives the same report"

# A fork: a copy of a's node signs another history of the same size.
cp -r "$T/demo/a" "$T/fork"
"$PARLEY" send $B --text "the history a showed b" --dir "$T/demo/a" >/dev/null
"$PARLEY" send $B --text "another history" --dir "$T/fork" >/dev/null
"$PARLEY" outbox $B --dir "$T/demo/a" >/dev/null  # each signs a checkpoint at the new size
"$PARLEY" outbox $B --dir "$T/fork" >/dev/null
"$PARLEY" export --audit $B "$T/bundle2.json" --quiet --dir "$T/demo/a" >/dev/null
"$PARLEY" export --audit $B "$T/fork.json" --quiet --dir "$T/fork" >/dev/null
expect "the bundle with an unreceipted checkpoint passes" 0 "$A $B all 60 60 0" "$PARLEY" audit "$T/bundle2.json"

"$PARLEY" init --name x.example --dir "$T/x" >/dev/null
mkdir "$T/corrupt"
python3 "$(dirname "$0")/corrupt.py" "$T/bundle2.json" "$("$PARLEY" identity --dir "$T/x" | cut -d' ' -f1)" \
	"$T/corrupt" "$T/fork.json" >/dev/null || bad "corrupt.py ran"
while IFS="$(printf '\t')" read -r name frag; do
	expect "corrupted: $name" 1 "$frag" "$PARLEY" audit "$T/corrupt/$name.json"
done < "$T/corrupt/expect.txt"
finish
