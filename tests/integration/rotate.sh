#!/bin/sh
# rotate.sh — identity key rotation announced in the log (issue 7), with
# two real servers on loopback: traffic, a's key rotated, more traffic both
# ways; b learns a's new key from the log and cosigns; both stores verify
# and an audit bundle from each side passes parley audit. Refused with a
# specific message and b's store unchanged: a checkpoint signed by a key a
# never announced, and an announcement not signed by a's key. A rotation
# killed midway leaves a node that refuses to open until a rerun finishes
# it; a sealed key stays sealed.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 1; }

base=$((24000 + ($$ * 7) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" >/dev/null &&
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null ||
	{ echo "init failed"; exit 1; }
peer_all a b
key0=$("$PARLEY" identity --dir "$T/a" | cut -d' ' -f1)

digest() { "$PARLEY" store digest --dir "$T/$1"; }
peer_field() { # peer_field NODE PARTY FIELD: FIELD of PARTY in NODE's peer list
	"$PARLEY" peer list --json --dir "$T/$1" | tr '{' '\n' | grep "\"name\":\"$2\"" |
		sed "s/.*\"$3\":\"\([^\"]*\)\".*/\1/"
}
vkey_of() { peer_field "$1" "$2" verifier_key; }
# store_sql NODE SQL: runs SQL on NODE's own store (to make impostors).
store_sql() {
	url=$(sed -n 's/^store = //p' "$T/$1/parley.conf")
	case $url in
	postgres*) psql -qAtX "$url" -c "$2" >/dev/null ;;
	*) sqlite3 "$T/$1/parley.db" "$2" ;;
	esac
}

serve_bg a; serve_bg b
sleep 0.3
"$PARLEY" send b.example --text one --dir "$T/a" >/dev/null
"$PARLEY" send b.example --text two --dir "$T/a" >/dev/null
"$PARLEY" send a.example --text back --dir "$T/b" >/dev/null
settle && ok "traffic before the rotation is receipted" || bad "traffic before the rotation is receipted"
stop_bg a

# Two impostors, copies of a before it rotates: each signs with a key b
# was never told about. Their batches travel as delivery files.
for x in x1 x2; do node_copy a "$x"; done
"$PARLEY" init --name a.example --dir "$T/k" >/dev/null
xkey=$("$PARLEY" identity --dir "$T/k" | cut -d' ' -f1)
for x in x1 x2; do
	cp "$T/k/identity.key" "$T/$x/identity.key"
	store_sql "$x" "UPDATE party SET vkey = '$xkey' WHERE self = 1"
done
"$PARLEY" send b.example --text forged --dir "$T/x1" >/dev/null
"$PARLEY" outbox export b.example "$T/x1.jsonl" --dir "$T/x1" >/dev/null
"$PARLEY" key rotate --dir "$T/x2" >/dev/null
"$PARLEY" outbox export b.example "$T/x2.jsonl" --dir "$T/x2" >/dev/null
d0=$(digest b)
expect "a checkpoint signed by an unannounced key is refused" 1 \
	"is signed by a key a.example has not announced" \
	"$PARLEY" inbox import "$T/x1.jsonl" --receipts "$T/r1" --dir "$T/b"
expect "an announcement not signed by the known key is refused" 1 \
	"key announcement is not signed by the previous key of a.example" \
	"$PARLEY" inbox import "$T/x2.jsonl" --receipts "$T/r2" --dir "$T/b"
[ "$(digest b)" = "$d0" ] && ok "refused batches change nothing in b's store" \
	|| bad "refused batches change nothing in b's store"
[ "$(vkey_of b a.example)" = "$key0" ] && ok "b still knows a by its first key" \
	|| bad "b still knows a by its first key" "$(vkey_of b a.example)"

# The rotation.
expect "key rotate" 0 "announced to 1 peer" "$PARLEY" key rotate --dir "$T/a"
key1=$("$PARLEY" identity --dir "$T/a" | cut -d' ' -f1)
[ -n "$key1" ] && [ "$key1" != "$key0" ] && ok "a has a new identity key" || bad "a has a new identity key"
[ ! -e "$T/a/identity.key.next" ] && ok "no rotation left pending" || bad "no rotation left pending"
[ "$(stat -c %a "$T/a/identity.key")" = 600 ] && ok "the new key file is mode 0600" || bad "the new key file is mode 0600"
expect "a's own store verifies after the rotation" 0 "verify: ok" "$PARLEY" verify --dir "$T/a"
serve_bg a
sleep 0.3
"$PARLEY" send b.example --text three --dir "$T/a" >/dev/null
settle && ok "b receipts the announcement and what follows" || bad "b receipts the announcement" "$(cat "$T/a.log")"
[ "$(vkey_of b a.example)" = "$key1" ] && ok "b records a's new key" || bad "b records a's new key" "$(vkey_of b a.example)"
expect "peer add cannot take a back to its first key" 1 "changes its key by key entries in its log" \
	"$PARLEY" peer add "$key0 $(peer_field b a.example tls_pin) $(peer_field b a.example endpoint)" --dir "$T/b"
[ "$(vkey_of b a.example)" = "$key1" ] && ok "b still holds a's new key" || bad "b still holds a's new key"
"$PARLEY" send a.example --text after --dir "$T/b" >/dev/null
settle && ok "a cosigns b's log with its new key, and b takes the receipt" \
	|| bad "a cosigns b's log with its new key" "$(cat "$T/b.log")"
"$PARLEY" log show parley/a.example/b.example --dir "$T/b" > "$T/show" 2>&1
grep -q "key" "$T/show" && ok "the key entry is in b's mirror of a's log" || bad "the key entry is in b's mirror" "$(cat "$T/show")"
expect "report counts no key entry as a request" 0 "" "$PARLEY" report --dir "$T/b" --format json
printf '%s' "$out" | grep -q '"requests":[1-9]' && bad "report counts no key entry as a request" "$out" \
	|| ok "report shows no request"
stop_bg a; stop_bg b
expect "a verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/a"
expect "b verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/b"
"$PARLEY" export --audit b.example "$T/a.bundle" --dir "$T/a" >/dev/null
"$PARLEY" export --audit a.example "$T/b.bundle" --dir "$T/b" >/dev/null
grep -q '"keys"' "$T/a.bundle" && grep -qF "old $key0" "$T/a.bundle" && grep -qF "new $key1" "$T/a.bundle" \
	&& ok "the bundle carries the key history" || bad "the bundle carries the key history"
expect "a's bundle passes the audit" 0 "" "$PARLEY" audit "$T/a.bundle"
expect "b's bundle passes the audit" 0 "" "$PARLEY" audit "$T/b.bundle"
# The bundle with its announcement removed: the new key has no history.
python3 - "$T/a.bundle" "$T/cut.bundle" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1])); b.pop("keys"); json.dump(b, open(sys.argv[2], "w"))
EOF
expect "a bundle without its key announcement fails the audit" 1 "is a key entry, but no key announcement" \
	"$PARLEY" audit "$T/cut.bundle"

# Killed midway (after the announcement is logged, before the new key
# replaces identity.key): the node refuses to open, a rerun finishes.
expect "a rotation killed after the announcement" 75 "" \
	env PARLEY_ROTATE_CRASH=announce "$PARLEY" key rotate --dir "$T/a"
[ -e "$T/a/identity.key.next" ] && ok "the new key is on disk before anything it signs" \
	|| bad "the new key is on disk before anything it signs"
expect "the node refuses to open meanwhile" 1 "run parley key rotate --dir" \
	"$PARLEY" send b.example --text nope --dir "$T/a"
expect "nor protects one key of the two" 1 "run parley key rotate --dir" \
	env PARLEY_PASSPHRASE=x "$PARLEY" key protect --dir "$T/a"
next=$(cat "$T/a/identity.key.next")
expect "the rerun finishes it" 0 "finished rotating" "$PARLEY" key rotate --dir "$T/a"
[ "$(cat "$T/a/identity.key")" = "$next" ] && ok "with the key written before the crash" \
	|| bad "with the key written before the crash"
serve_bg a; serve_bg b
sleep 0.3
settle && ok "b takes the finished rotation" || bad "b takes the finished rotation" "$(cat "$T/b.log")"
stop_bg a; stop_bg b
expect "a killed rotation before any announcement" 75 "" \
	env PARLEY_ROTATE_CRASH=key "$PARLEY" key rotate --dir "$T/a"
expect "the rerun finishes that one too" 0 "finished rotating" \
	"$PARLEY" key rotate --dir "$T/a"
expect "a third rotation waits for the outbox" 1 "deliver them" "$PARLEY" key rotate --dir "$T/a"
key3=$("$PARLEY" identity --dir "$T/a" | cut -d' ' -f1)
serve_bg a; serve_bg b
sleep 0.3
"$PARLEY" send b.example --text four --dir "$T/a" >/dev/null
settle && ok "b follows two more rotations" || bad "b follows two more rotations" "$(cat "$T/b.log")"
[ "$(vkey_of b a.example)" = "$key3" ] && ok "b holds a's third key" || bad "b holds a's third key"
stop_bg a; stop_bg b
expect "a verifies after three rotations" 0 "verify: ok" "$PARLEY" verify --dir "$T/a"
expect "b verifies after three rotations" 0 "verify: ok" "$PARLEY" verify --dir "$T/b"
"$PARLEY" export --audit a.example "$T/b3.bundle" --dir "$T/b" >/dev/null
expect "and its bundle passes the audit" 0 "" "$PARLEY" audit "$T/b3.bundle"
# Its last two announcements swapped: the second-last now follows a key
# that did not sign it.
swapped=$(python3 - "$T/b3.bundle" "$T/swap.bundle" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
lg = [l for l in b["logs"] if l["origin"] == "parley/a.example/b.example"][0]
k = [i for i, x in enumerate(lg["entries"]) if "\nkind key\n" in x]
lg["entries"][k[-2]], lg["entries"][k[-1]] = lg["entries"][k[-1]], lg["entries"][k[-2]]
json.dump(b, open(sys.argv[2], "w"))
print(k[-1])
EOF
)
expect "announcements out of order fail the audit, naming the entry" 1 \
	"entry $swapped: key announcement is not signed by the previous key of a.example" \
	"$PARLEY" audit "$T/swap.bundle"
python3 - "$T/b3.bundle" "$T/keys.bundle" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1])); b["keys"] = "none"; json.dump(b, open(sys.argv[2], "w"))
EOF
expect "a bundle whose keys are not a list" 1 '"keys" must be an array' "$PARLEY" audit "$T/keys.bundle"

# A sealed key stays sealed.
printf 'correct horse battery staple\n' > "$T/pass"
export PARLEY_PASSPHRASE_FILE="$T/pass"
"$PARLEY" init --name p.example --dir "$T/p" --protect >/dev/null
expect "rotate a sealed key" 0 "announced to 0 peers" "$PARLEY" key rotate --dir "$T/p"
grep -q "^parley-sealed-key/1$" "$T/p/identity.key" && ! grep -q "PRIVATE+KEY" "$T/p/identity.key" \
	&& ok "the new key is sealed" || bad "the new key is sealed"
expect "it opens with the passphrase" 0 "p.example+" "$PARLEY" identity --dir "$T/p"
expect "and not without it" 1 "the passphrase does not open" \
	env -u PARLEY_PASSPHRASE_FILE PARLEY_PASSPHRASE=wrong "$PARLEY" identity --dir "$T/p"
finish
