#!/bin/sh
# tamper.sh — edit a node's SQLite file behind parley's back, one change at
# a time, and check that `parley verify` catches each one by name.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 1; }

# The demo's first log: a charter, 200 requests, a register, replies, a ping.
"$PARLEY" demo --dir "$T/demo" --messages 200 > "$T/demo.out" 2>&1 \
	|| { cat "$T/demo.out"; exit 1; }
AB="parley/ministry-a.example/ministry-b.example"
LOG="(SELECT id FROM log WHERE origin = '$AB')"

# tamper NAME EXPECT SQL: a fresh copy of node b, the SQL applied to it,
# then verify must exit 1 naming EXPECT.
i=0
tamper() {
	i=$((i + 1))
	d="$T/case$i"
	cp -r "$T/demo/b" "$d"
	if ! sqlite3 "$d/parley.db" "$3" 2>"$T/sql.err"; then
		bad "$1 (sql failed)" "$(cat "$T/sql.err")"
		return
	fi
	expect "$1" 1 "$2" "$PARLEY" verify --dir "$d"
	rm -rf "$d"
}

expect "untouched copy verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/demo/b"

tamper "one byte of an entry changed" \
	"$AB: entry 17: stored leaf hash does not match its envelope" \
	"UPDATE entry SET envelope = CAST(replace(CAST(envelope AS TEXT), 'type cyber-incident', 'type cyber-incidenu') AS BLOB) WHERE log = $LOG AND idx = 17;"
tamper "an entry made malformed" \
	"entry 17: envelope line 1" \
	"UPDATE entry SET envelope = CAST(replace(CAST(envelope AS TEXT), 'parley/1', 'parley/2') AS BLOB) WHERE log = $LOG AND idx = 17;"
tamper "an entry deleted" \
	"$AB: entry 42 is missing" \
	"DELETE FROM entry WHERE log = $LOG AND idx = 42;"
tamper "the last entry deleted" \
	"$AB: entry 199 is missing" \
	"DELETE FROM entry WHERE log = $LOG AND idx = 199;"
tamper "two entries swapped" \
	"$AB: entry 5 holds the envelope of ministry-a.example to ministry-b.example index 6" \
	"UPDATE entry SET idx = -1 WHERE log = $LOG AND idx = 5;
	 UPDATE entry SET idx = 5 WHERE log = $LOG AND idx = 6;
	 UPDATE entry SET idx = 6 WHERE log = $LOG AND idx = -1;"
tamper "an entry's leaf hash replaced" \
	"$AB: entry 33: stored leaf hash does not match its envelope" \
	"UPDATE entry SET leaf = zeroblob(32) WHERE log = $LOG AND idx = 33;"
tamper "two envelopes swapped, indexes kept" \
	"$AB: entry 5 holds the envelope of ministry-a.example to ministry-b.example index 6" \
	"UPDATE entry SET envelope = (SELECT envelope FROM entry e2 WHERE e2.log = entry.log AND e2.idx = 11 - entry.idx)
	 WHERE log = $LOG AND idx IN (5, 6);"
tamper "a checkpoint replaced by another one's note" \
	"$AB: the signed checkpoint stored for size" \
	"UPDATE checkpoint SET note = (SELECT note FROM checkpoint c2 WHERE c2.log = $LOG ORDER BY size LIMIT 1)
	 WHERE id = (SELECT id FROM checkpoint WHERE log = $LOG ORDER BY size DESC LIMIT 1);"
tamper "a checkpoint's signature altered" \
	"is not validly signed by ministry-a.example" \
	"UPDATE checkpoint SET note = replace(note, '— ministry-a.example ', '— ministry-a.example AAAA')
	 WHERE id = (SELECT id FROM checkpoint WHERE log = $LOG ORDER BY size DESC LIMIT 1);"
tamper "a checkpoint's root replaced" \
	"does not match the root of entries" \
	"UPDATE checkpoint SET root = zeroblob(32) WHERE id = (SELECT id FROM checkpoint WHERE log = $LOG ORDER BY size LIMIT 1);"
tamper "a receipt altered" \
	"cosignature by ministry-b.example on the checkpoint of size" \
	"UPDATE cosignature SET time = time + 1 WHERE checkpoint = (SELECT id FROM checkpoint WHERE log = $LOG ORDER BY size LIMIT 1);"
tamper "a tree node altered" \
	"$AB: tree node (level 1, index 5) does not match the entries below it" \
	"UPDATE tile SET hashes = substr(hashes, 1, 192) || zeroblob(32) || substr(hashes, 225)
	 WHERE id = $LOG << 44;"
tamper "a tree node removed" \
	"$AB: tree node (level 2, index 0) is missing" \
	"UPDATE tile SET hashes = substr(hashes, 1, 16) || X'00' || substr(hashes, 18)
	 WHERE id = $LOG << 44;"
tamper "a body replaced" \
	"$AB: entry 9: stored body is altered: body sha256:" \
	"UPDATE entry SET body = CAST('{}' AS BLOB) WHERE log = $LOG AND idx = 9;"
tamper "one byte of a sealed body flipped" \
	"does not open (altered, or sealed under another key)" \
	"UPDATE entry SET body = substr(body, 1, 30) ||
	   (CASE WHEN substr(body, 31, 1) = X'00' THEN X'01' ELSE X'00' END) || substr(body, 32)
	 WHERE log = $LOG AND idx = 9;"
N=$(sqlite3 "$T/demo/b/parley.db" "SELECT size FROM log WHERE origin = '$AB'")
tamper "the log size raised" \
	"$AB: entry $N is missing (the log's size is $((N + 1)))" \
	"UPDATE log SET size = size + 1 WHERE id = $LOG;"
tamper "the facts reports read, altered" \
	"the facts of entries 0.." \
	"UPDATE fact SET data = substr(data, 1, length(data) - 1) || x'ff' WHERE id = $LOG << 44;"
tamper "the facts reports read, missing" \
	"no facts for entries 0.." \
	"DELETE FROM fact WHERE id = $LOG << 44;"
tamper "a checkpoint beyond the entries" \
	"is beyond the entries held" \
	"DELETE FROM entry WHERE log = $LOG AND idx >= 199; UPDATE log SET size = 199 WHERE id = $LOG;"

finish
