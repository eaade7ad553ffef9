#!/bin/sh
# frontends.sh — two `parley serve` frontends of one party (x) on one
# PostgreSQL database take deliveries from three peers at once for a
# minute (FRONTENDS_SECONDS): p1 and p3 deliver through one frontend, p2
# through the other. Afterwards x's store verifies, every peer's log is
# mirrored entry for entry with nothing lost or twice, and every receipt a
# peer holds is x's cosignature of a checkpoint x committed. Needs
# PARLEY_TEST_PG (scripts/pg.sh); skipped (exit 77) without it.
. "$(dirname "$0")/lib.sh"
if [ -z "${PARLEY_TEST_PG:-}" ]; then
	echo "PARLEY_TEST_PG is not set: skipped"
	exit 77
fi
command -v psql >/dev/null || { echo "psql missing"; exit 1; }
SECONDS_RUN=${FRONTENDS_SECONDS:-60}
db="parley_fe_$$"
PGOPTIONS="-c client_min_messages=warning" psql -qX "$PARLEY_TEST_PG" -c "DROP DATABASE IF EXISTS $db" \
	-c "CREATE DATABASE $db" >/dev/null || { echo "cannot create a database"; exit 1; }
url=$(printf '%s' "$PARLEY_TEST_PG" | sed "s|^\([a-z]*://[^/?]*\)/[^?]*|\1/$db|")
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null
	psql -qX "$PARLEY_TEST_PG" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; cleanup' EXIT INT TERM

base=$((30000 + ($$ * 11) % 25000))
"$PARLEY" init --name x.example --dir "$T/x1" --listen "127.0.0.1:$base" --store "$url" >/dev/null \
	|| { echo "init on PostgreSQL failed"; exit 1; }
# The second frontend: the same party (keys, certificate, database), its own address.
cp -r "$T/x1" "$T/x2"
sed -i "s|^listen = .*|listen = 127.0.0.1:$((base + 1))|; s|^endpoint = .*|endpoint = https://127.0.0.1:$((base + 1))|" \
	"$T/x2/parley.conf"
for i in 1 2 3; do
	"$PARLEY" init --name "p$i.example" --dir "$T/p$i" --listen "127.0.0.1:$((base + 1 + i))" >/dev/null
	"$PARLEY" peer add "$("$PARLEY" identity --dir "$T/p$i")" --dir "$T/x1" >/dev/null
done
line=$("$PARLEY" identity --dir "$T/x1")
"$PARLEY" peer add "$line" --dir "$T/p1" >/dev/null
"$PARLEY" peer add "$line" --dir "$T/p3" >/dev/null
"$PARLEY" peer add "$(printf '%s' "$line" | sed "s|https://[^ ]*$|https://127.0.0.1:$((base + 1))|")" --dir "$T/p2" >/dev/null

for n in x1 x2 p1 p2 p3; do
	"$PARLEY" serve --dir "$T/$n" 2>>"$T/$n.log" &
	pids="$pids $!"
done
sleep 0.5

# A minute of traffic: each peer appends a batch of 200 every half second.
end=$(($(date +%s) + SECONDS_RUN))
senders=""
for i in 1 2 3; do
	(
		k=0
		while [ "$(date +%s)" -lt "$end" ]; do
			seq 1 200 | sed "s/^/p$i batch $k message /" \
				| "$PARLEY" send x.example --lines --dir "$T/p$i" >/dev/null || exit 1
			k=$((k + 1))
			sleep 0.5
		done
	) &
	senders="$senders $!"
done
for s in $senders; do wait "$s" || bad "a sender failed"; done
backlog() { "$PARLEY" peer list --dir "$T/$1" --json | grep -o '"backlog":[0-9]*' | cut -d: -f2; }
t=0
while [ $t -lt 600 ]; do
	[ "$(backlog p1)$(backlog p2)$(backlog p3)" = 000 ] && break
	sleep 0.1
	t=$((t + 1))
done
[ $t -lt 600 ] && ok "three peers delivered for ${SECONDS_RUN} s through two frontends; all receipted" \
	|| bad "all receipted" "p1 $(backlog p1), p2 $(backlog p2), p3 $(backlog p3)"
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
pids=""
h1=$(grep -c "batch held, receipt sent" "$T/x1.log")
h2=$(grep -c "batch held, receipt sent" "$T/x2.log")
[ "$h1" -gt 0 ] && [ "$h2" -gt 0 ] && ok "both frontends held batches ($h1 and $h2)" \
	|| bad "both frontends held batches" "$h1 and $h2"

expect "x's store on PostgreSQL verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/x1"
total=0
for i in 1 2 3; do
	"$PARLEY" export --audit x.example "$T/p$i.bundle" --quiet --dir "$T/p$i" >/dev/null
	"$PARLEY" export --audit "p$i.example" "$T/x-p$i.bundle" --quiet --dir "$T/x1" >/dev/null
	out=$(python3 - "$T/p$i.bundle" "$T/x-p$i.bundle" "parley/p$i.example/x.example" <<'EOF'
import json, sys
a, b, origin = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
la = next(l for l in a["logs"] if l["origin"] == origin)
lb = next(l for l in b["logs"] if l["origin"] == origin)
ea, eb = la["entries"], lb["entries"]
assert ea == eb, "entries differ: %d held by the peer, %d mirrored" % (len(ea), len(eb))
assert len(set(ea)) == len(ea), "an entry twice"
notes = {c["note"] for c in lb["checkpoints"]}
for c in la["checkpoints"]:
    if c["cosignatures"]:
        assert c["note"] in notes, "a receipt for a checkpoint x does not hold"
print(len(ea))
EOF
)
	case "$out" in
	''|*[!0-9]*) bad "p$i's log mirrored by x, receipts matching committed checkpoints" "$out" ;;
	*) ok "p$i's $out entries mirrored by x entry for entry; every receipt is for a checkpoint x holds"
	   total=$((total + out)) ;;
	esac
done
[ "$total" -ge 3000 ] && ok "$total entries in all" || bad "at least 3000 entries in all" "$total"
for i in 1 2 3; do
	expect "p$i verifies (x's receipts included)" 0 "verify: ok" "$PARLEY" verify --dir "$T/p$i"
done
finish
