#!/bin/sh
# register.sh — parley import --register between two real serve processes:
# every fault of a register CSV is named by row and writes nothing; a good
# register reaches the peer and both sides (and an auditor) report it
# apart from proven requests, identically; export --from/--to sets the
# auditor's period; long imports show progress; --json everywhere.
. "$(dirname "$0")/lib.sh"

base=$((22000 + ($$ * 13) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" >/dev/null
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
peer_all a b
serve_bg a
serve_bg b
A="--dir $T/a"
B="--dir $T/b"
digest() { "$PARLEY" store digest --dir "$T/a"; }

H="date,direction,type,answered,answered_on,ref"
bad_csv() { # bad_csv NAME FRAGMENT CONTENT: refused, naming the fault; nothing written
	printf '%b' "$3" > "$T/bad.csv"
	d0=$(digest)
	expect "refused: $1" 1 "$2" "$PARLEY" import --register "$T/bad.csv" --peer b.example $A
	[ "$(digest)" = "$d0" ] || bad "refused: $1 changed the store"
}
bad_csv "an unknown column" "register row 1: unknown column 'colour'" "$H,colour\n2025-01-02,sent,x,no,,,red\n"
bad_csv "a column twice" "register row 1: column 'date' appears twice" "date,date,direction,type,answered\n"
bad_csv "a missing column" "register row 1: the header has no 'answered' column" "date,direction,type\n2025-01-02,sent,x\n"
bad_csv "an empty cell" "register row 3: column 'type' is empty" "$H\n2025-01-02,sent,x,no,,\n2025-01-02,sent,,no,,\n"
bad_csv "a bad date" "register row 2: date '2025-13-02' is not YYYY-MM-DD" "$H\n2025-13-02,sent,x,no,,\n"
bad_csv "a bad direction" "register row 2: direction 'outgoing' is not sent or received" "$H\n2025-01-02,outgoing,x,no,,\n"
bad_csv "a bad type" "register row 2: type 'Cyber Incident' is not a case type name" "$H\n2025-01-02,sent,Cyber Incident,no,,\n"
bad_csv "a bad answered" "register row 2: answered 'maybe' is not yes or no" "$H\n2025-01-02,sent,x,maybe,,\n"
bad_csv "answered_on without an answer" "register row 2: answered_on is given but answered is no" "$H\n2025-01-02,sent,x,no,2025-01-03,\n"
bad_csv "an answer before the request" "register row 2: answered_on 2025-01-01 is before the date 2025-01-02" "$H\n2025-01-02,sent,x,yes,2025-01-01,\n"
bad_csv "a row too short" "register row 2: 5 fields where the header has 6" "$H\n2025-01-02,sent,x,no,\n"
bad_csv "a row too long" "register row 2: 7 fields where the header has 6" "$H\n2025-01-02,sent,x,no,,,y\n"
bad_csv "an open quote" "register row 2: " "$H\n2025-01-02,sent,x,no,,\"R-1\n"
bad_csv "a control character in ref" "holds a control character" "$H\n2025-01-02,sent,x,no,,R\0033x\n"
bad_csv "a date in the future" "register row 2: 2999-01-01T00:00:00Z is in the future" "$H\n2999-01-01,sent,x,no,,\n"
bad_csv "a fault after good rows" "register row 4: direction 'snet'" "$H\n2025-01-02,sent,x,no,,\n2025-01-03,sent,x,no,,\n2025-01-04,snet,x,no,,\n"
bad_csv "header only" "register: no rows after the header" "$H\n"
bad_csv "an empty file" "register: the file is empty" ""
printf '%s\n2025-01-02,sent,x,no,,\n' "$H" > "$T/one.csv"
expect "an unknown peer" 1 "no peer named 'c.example'" \
	"$PARLEY" import --register "$T/one.csv" --peer c.example $A
expect "a missing file" 1 "bad.csv.missing" "$PARLEY" import --register "$T/bad.csv.missing" --peer b.example $A
expect "--peer is required" 2 "--register FILE.csv and --peer P are required" "$PARLEY" import --register "$T/bad.csv" $A
expect "import --help" 0 "attested by us only" "$PARLEY" import --help

# A register as a spreadsheet writes it: a byte-order mark, CRLF, columns
# in another order, a quoted reference holding a comma.
printf '\357\273\277ref,date,type,direction,answered,answered_on\r\n' > "$T/reg.csv"
printf '"R-1, old",2025-01-15,cyber-incident,sent,yes,2025-02-14\r\n' >> "$T/reg.csv"
printf 'R-2,2025-02-20,cyber-incident,sent,no,\r\n' >> "$T/reg.csv"
printf 'R-3,2025-03-05T10:00:00Z,visa-extension,received,yes,2025-03-06\r\n' >> "$T/reg.csv"
printf ',2025-07-01,cyber-incident,sent,yes,\r\n' >> "$T/reg.csv"
d0=$(digest)
expect "--dry-run checks only" 0 "4 rows are valid (3 sent, 1 received, 3 answered); nothing written" \
	"$PARLEY" import --register "$T/reg.csv" --peer b.example --dry-run $A
[ "$(digest)" = "$d0" ] && ok "--dry-run writes nothing" || bad "--dry-run writes nothing"
expect "import --json" 0 '{"peer":"b.example","dry_run":false,"rows":4,"sent":3,"received":1,"answered":3,"first_index":0}' \
	"$PARLEY" import --register "$T/reg.csv" --peer b.example --json $A
settle || bad "the register entries are receipted"
expect "b holds a's register entries" 0 "4 entries" "$PARLEY" log $B

at=2027-01-01T00:00:00Z
"$PARLEY" report --json --at $at $A > "$T/ra.json"
"$PARLEY" report --json --at $at $B > "$T/rb.json"
cmp -s "$T/ra.json" "$T/rb.json" && [ -s "$T/ra.json" ] && ok "a and b report the register alike" \
	|| bad "a and b report the register alike" "$(cat "$T/ra.json" "$T/rb.json")"
grep -q '"from":"a.example","to":"b.example","period":"all","requests":3,[^}]*"answered":2,' "$T/ra.json" \
	&& grep -q '"attested_by":"a.example"' "$T/ra.json" && ! grep -q '"attested_by":null' "$T/ra.json" \
	&& ok "attested rows: 3 sent, 2 answered, marked attested_by a" \
	|| bad "attested rows: 3 sent, 2 answered, marked attested_by a" "$(cat "$T/ra.json")"
expect "the table shows them apart" 0 "Attested by one side only" "$PARLEY" report --at $at $B
expect "answer time from the register's dates" 0 "| b.example | a.example | all | 1 | 1 | 0 | 50400 | 50400 | a.example |" \
	"$PARLEY" report --format markdown --at $at $A
expect "csv marks the basis in the last column" 0 "b.example,a.example,all,1,0,0,0,1,0,0,0,0,0,0,,,50400,50400,a.example" \
	"$PARLEY" report --format csv --at $at $A
expect "--by month places them by the register's date" 0 "a.example b.example 2025-01 1 1 0 2592000 2592000 a.example" \
	"$PARLEY" report --by month --at $at $A

# Reciprocity, and the same numbers from an audit bundle exported by b.
"$PARLEY" report --reciprocity --json --at $at $A > "$T/xa.json"
"$PARLEY" report --reciprocity --json --at $at $B > "$T/xb.json"
expect "export --json" 0 '"peer":"a.example"' "$PARLEY" export --audit a.example "$T/b.bundle" --json $B
"$PARLEY" audit "$T/b.bundle" --reciprocity --json --at $at > "$T/xx.json" 2>"$T/audit.err"
cmp -s "$T/xa.json" "$T/xb.json" && cmp -s "$T/xa.json" "$T/xx.json" && [ -s "$T/xa.json" ] \
	&& ok "reciprocity: a, b and the auditor print the same bytes" \
	|| bad "reciprocity: a, b and the auditor print the same bytes" "$(cat "$T/xa.json" "$T/xb.json" "$T/xx.json" "$T/audit.err")"
grep -q '"parties":\["a.example","b.example"\],"period":"all","attested_by":"a.example","directions":\[{"from":"a.example","to":"b.example"' "$T/xa.json" \
	&& ok "reciprocity JSON: both directions of the channel" || bad "reciprocity JSON: both directions of the channel" "$(cat "$T/xa.json")"
expect "reciprocity table" 0 "a.example -> b.example   b.example -> a.example" "$PARLEY" report --reciprocity --at $at $A
grep -q '"registers"' "$T/b.bundle" && grep -q 'R-1, old' "$T/b.bundle" \
	&& ok "the bundle carries the register records" || bad "the bundle carries the register records"

# A period: the auditor's report covers it unless told otherwise.
expect "export --from --to" 0 "wrote the audit bundle" \
	"$PARLEY" export --audit b.example "$T/q1.bundle" --from 2025-01-01 --to 2025-04-01 $A
tr -d ' \n' < "$T/q1.bundle" | grep -q '"period":{"from":"2025-01-01T00:00:00Z","to":"2025-04-01T00:00:00Z"}' \
	&& ok "the bundle records its period" || bad "the bundle records its period" "$(grep -A3 period "$T/q1.bundle")"
expect "the audit reports the period: R-1 and R-2, not R-4" 0 "a.example b.example all 2 1 1" \
	"$PARLEY" audit "$T/q1.bundle" --quiet
expect "--from/--to override the bundle's period" 0 "a.example b.example all 3 2 1" \
	"$PARLEY" audit "$T/q1.bundle" --from 2024-01-01 --to 2026-01-01
expect "export --to before --from" 2 "--to must be after --from" \
	"$PARLEY" export --audit b.example "$T/x.bundle" --from 2025-04-01 --to 2025-01-01 $A
expect "export to an unknown peer" 1 "no peer named 'c.example'" \
	"$PARLEY" export --audit c.example "$T/x.bundle" $A
[ -e "$T/x.bundle" ] && bad "a failed export leaves no file" || ok "a failed export leaves no file"

# Progress on a long import (checked with --dry-run: 100,001 rows).
awk 'BEGIN { print "date,direction,type,answered"; for (i = 0; i < 100001; i++) print "2024-06-01,sent,cyber-incident,no" }' > "$T/big.csv"
expect "progress on a long import" 0 "import: 100000 rows read" \
	"$PARLEY" import --register "$T/big.csv" --peer b.example --dry-run $A
out=$("$PARLEY" import --register "$T/big.csv" --peer b.example --dry-run --quiet $A 2>&1)
case "$out" in
*"rows read"*) bad "--quiet silences progress" "$out" ;;
*"100001 rows are valid"*) ok "--quiet silences progress" ;;
*) bad "--quiet silences progress" "$out" ;;
esac
finish
