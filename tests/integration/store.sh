#!/bin/sh
# store.sh — parley store copy between backends, and nodes running on
# PostgreSQL: a demo node's store copied SQLite -> PostgreSQL -> SQLite
# verifies at every step, and two nodes switched to their PostgreSQL copies
# exchange messages with receipts. Without PARLEY_TEST_PG (scripts/pg.sh)
# only the SQLite part runs.
. "$(dirname "$0")/lib.sh"

"$PARLEY" demo --dir "$T/demo" --messages 60 > "$T/demo.out" 2>&1 || { cat "$T/demo.out"; exit 1; }
A=ministry-a.example
B=ministry-b.example
# Operators too, one of them revoked.
"$PARLEY" operator add alice --role officer --dir "$T/demo/a" >/dev/null
"$PARLEY" operator add bob --role auditor --dir "$T/demo/a" >/dev/null
"$PARLEY" operator revoke bob --dir "$T/demo/a" >/dev/null

clone() { # clone NODE NEW STORE-URL: NODE's directory, on another store
	cp -r "$T/demo/$1" "$T/$2"
	rm -f "$T/$2"/parley.db*
	sed -i "s|^store = .*|store = $3|" "$T/$2/parley.conf"
}

expect "copy SQLite to SQLite" 0 "copied and verified: 3 parties, 2 operators" \
	"$PARLEY" store copy --quiet --from "sqlite:$T/demo/a/parley.db" --to "sqlite:$T/a1.db"
clone a a1 "sqlite:$T/a1.db"
expect "the copy verifies as a node (signatures, receipts, proofs)" 0 "verify: ok" \
	"$PARLEY" verify --dir "$T/a1"
expect "its operators came along, bob still revoked" 0 "revoked" \
	"$PARLEY" operator list --dir "$T/a1"
expect "a target that is not empty is refused" 1 "copy into an empty one" \
	"$PARLEY" store copy --quiet --from "sqlite:$T/demo/a/parley.db" --to "sqlite:$T/a1.db"
expect "an unknown kind of URL is refused" 1 "only sqlite:PATH and postgresql://" \
	"$PARLEY" store copy --from "sqlite:$T/demo/a/parley.db" --to "mysql://x/y"
expect "copy without --to" 2 "needs --from and --to" \
	"$PARLEY" store copy --from "sqlite:$T/demo/a/parley.db"

if [ -z "${PARLEY_TEST_PG:-}" ]; then
	echo "PARLEY_TEST_PG is not set: the PostgreSQL part is skipped"
	finish
	exit
fi
command -v psql >/dev/null || { echo "psql missing"; exit 1; }
pgdb() { # pgdb NAME: a fresh database; prints its URL
	PGOPTIONS="-c client_min_messages=warning" psql -qX "$PARLEY_TEST_PG" \
		-c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null \
		|| return 1
	printf '%s' "$PARLEY_TEST_PG" | sed "s|^\([a-z]*://[^/?]*\)/[^?]*|\1/$1|"
}
dbs=""
for n in a b c; do
	u=$(pgdb "parley_it_$$_$n") || { echo "cannot create a database"; exit 1; }
	eval "url_$n=\$u"
	dbs="$dbs parley_it_$$_$n"
done

expect "copy SQLite to PostgreSQL" 0 "copied and verified: 3 parties, 2 operators" \
	"$PARLEY" store copy --quiet --from "sqlite:$T/demo/a/parley.db" --to "$url_a"
expect "copy back to SQLite" 0 "copied and verified" \
	"$PARLEY" store copy --quiet --from "$url_a" --to "sqlite:$T/a2.db"
clone a a2 "sqlite:$T/a2.db"
expect "the round trip verifies as a node" 0 "verify: ok" "$PARLEY" verify --dir "$T/a2"
cmp -s "$T/demo/a/data.key" "$T/a2/data.key" && "$PARLEY" case list --dir "$T/a2" >/dev/null 2>&1 \
	&& ok "cases read from the round trip" || bad "cases read from the round trip"

# Nodes on PostgreSQL: a (copied above) and b.
expect "copy b to PostgreSQL" 0 "copied and verified" \
	"$PARLEY" store copy --quiet --from "sqlite:$T/demo/b/parley.db" --to "$url_b"
clone a apg "$url_a"
clone b bpg "$url_b"
expect "a node on PostgreSQL verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/apg"
before=$("$PARLEY" log --dir "$T/bpg" | awk -v o="parley/$A/$B" '$1 == o { print $2 }')
"$PARLEY" serve --dir "$T/apg" 2>>"$T/apg.log" &
pids="$pids $!"
"$PARLEY" serve --dir "$T/bpg" 2>>"$T/bpg.log" &
pids="$pids $!"
awk 'BEGIN { for (i = 0; i < 200; i++) printf "{\"subject\":\"pg %d\"}\n", i }' \
	| "$PARLEY" send "$B" --lines --dir "$T/apg" >/dev/null \
	&& ok "200 messages queued on PostgreSQL" || bad "200 messages queued on PostgreSQL"
t=0
while [ "$t" -lt 600 ]; do
	"$PARLEY" peer list --dir "$T/apg" --json | grep -q "\"name\":\"$B\"[^}]*\"backlog\":0," && break
	sleep 0.1
	t=$((t + 1))
done
[ "$t" -lt 600 ] && ok "all receipted, both nodes on PostgreSQL" \
	|| bad "all receipted, both nodes on PostgreSQL" "$(tail -5 "$T/apg.log")"
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=""
expect "a verifies after the exchange" 0 "verify: ok" "$PARLEY" verify --dir "$T/apg"
expect "b verifies after the exchange" 0 "verify: ok" "$PARLEY" verify --dir "$T/bpg"
sa=$("$PARLEY" log --dir "$T/apg" | awk -v o="parley/$A/$B" '$1 == o { print $2 }')
sb=$("$PARLEY" log --dir "$T/bpg" | awk -v o="parley/$A/$B" '$1 == o { print $2 }')
[ -n "$sa" ] && [ "$sa" = "$sb" ] && [ "$sa" -eq $((before + 200)) ] \
	&& ok "b's mirror of a's log has a's entries, 200 more than before" \
	|| bad "b's mirror of a's log has a's entries, 200 more than before (a: $sa, b: $sb; before: $before)"

# A node made on PostgreSQL from the start, and a second one refused there.
expect "init --store on PostgreSQL" 0 "created party c.example" \
	"$PARLEY" init --name c.example --dir "$T/cpg" --store "$url_c" --listen 127.0.0.1:1
expect "the new node on PostgreSQL verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/cpg"
[ "$(stat -c %a "$T/cpg/parley.conf")" = 600 ] && ok "parley.conf with a store URL user is 0600" \
	|| bad "parley.conf with a store URL user is 0600" "$(stat -c %a "$T/cpg/parley.conf")"
expect "a database holding a party is not overwritten" 1 "already holds the party 'c.example'" \
	"$PARLEY" init --name d.example --dir "$T/dpg" --store "$url_c"
[ -e "$T/dpg" ] && bad "the refused init leaves nothing behind" || ok "the refused init leaves nothing behind"

for d in $dbs; do
	psql -qX "$PARLEY_TEST_PG" -c "DROP DATABASE $d" >/dev/null 2>&1
done
finish
