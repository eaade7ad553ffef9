#!/bin/sh
# cli.sh — the parley command line as a user meets it: help, init,
# identity, peer add, verify, demo, and clear errors for bad input.
. "$(dirname "$0")/lib.sh"

expect "parley --help lists commands" 0 "verify" "$PARLEY" --help
for c in init identity peer log verify demo serve send ping outbox channel case operator report export audit; do
	expect "parley $c --help" 0 "usage: parley $c" "$PARLEY" "$c" --help
	expect "parley help $c" 0 "usage: parley $c" "$PARLEY" help "$c"
done
expect "no command" 2 "usage: parley COMMAND" "$PARLEY"
expect "unknown command" 2 "unknown command 'frobnicate'" "$PARLEY" frobnicate
expect "init without --name" 2 "--name is required" "$PARLEY" init --dir "$T/x"
expect "init with a bad name" 1 "is not valid" "$PARLEY" init --name "Not A Name" --dir "$T/x"
[ ! -e "$T/x" ] && ok "bad init leaves nothing" || bad "bad init leaves nothing"

expect "init a" 0 "created party a.example" "$PARLEY" init --name a.example --dir "$T/a"
grep -q "^operator_listen = 127.0.0.1:7444$" "$T/a/parley.conf" && ok "all defaults: the operator API on loopback" \
	|| bad "all defaults: the operator API on loopback" "$(cat "$T/a/parley.conf")"
expect "init b (json)" 0 '"identity":"b.example+' "$PARLEY" init --name b.example --dir "$T/b" --json --listen 127.0.0.1:7544
expect "init with a bad listen address" 1 "port above 65535" "$PARLEY" init --name c.example --dir "$T/c" --listen 127.0.0.1:99999
[ ! -e "$T/c" ] && ok "bad listen leaves nothing" || bad "bad listen leaves nothing"
for f in identity.key tls.key; do
	mode=$(stat -c %a "$T/a/$f")
	[ "$mode" = 600 ] && ok "$f is mode 600" || bad "$f is mode 600 (got $mode)"
done
grep -q "BEGIN CERTIFICATE" "$T/a/tls.crt" && ok "tls.crt is a PEM certificate" || bad "tls.crt is a PEM certificate"
expect "init again is refused" 1 "already holds a parley node" "$PARLEY" init --name a.example --dir "$T/a"
expect "uninitialised dir" 1 "no parley node here" "$PARLEY" identity --dir "$T/none"

line=$("$PARLEY" identity --dir "$T/a")
printf '%s' "$line" | grep -Eq '^a\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44} sha256//[A-Za-z0-9+/]{43}= https://127\.0\.0\.1:7443$' \
	&& ok "identity is VERIFIER-KEY TLS-PIN ENDPOINT" || bad "identity is VERIFIER-KEY TLS-PIN ENDPOINT" "$line"
vkey=${line%% *}
rest=${line#* }
pin=${rest%% *}
expect "identity --json" 0 "\"tls_pin\":\"$pin\"" "$PARLEY" identity --dir "$T/a" --json
PARLEY_DIR="$T/a" expect "PARLEY_DIR is honoured" 0 "a.example+" "$PARLEY" identity

expect "peer add garbage" 1 "VERIFIER-KEY TLS-PIN ENDPOINT" "$PARLEY" peer add "nonsense" --dir "$T/b"
expect "peer add a bare key" 1 "VERIFIER-KEY TLS-PIN ENDPOINT" "$PARLEY" peer add "$vkey" --dir "$T/b"
expect "peer add a bad pin" 1 "TLS pin 'sha256//abc'" "$PARLEY" peer add "$vkey sha256//abc https://127.0.0.1:7443" --dir "$T/b"
expect "peer add plain http" 1 "endpoint must be https://" "$PARLEY" peer add "$vkey $pin http://127.0.0.1:7443" --dir "$T/b"
wrong=$(printf '%s' "$line" | sed 's/+\([0-9a-f]\{7\}\)./+\10/')
[ "$wrong" = "$line" ] && wrong=$(printf '%s' "$line" | sed 's/+\([0-9a-f]\{7\}\)./+\11/')
expect "peer add with a wrong key id" 1 "does not match the key" "$PARLEY" peer add "$wrong" --dir "$T/b"
expect "peer add" 0 "added peer a.example" "$PARLEY" peer add "$line" --dir "$T/b"
expect "peer add self" 1 "own name" "$PARLEY" peer add "$line" --dir "$T/a"

expect "verify an empty node" 0 "verify: ok" "$PARLEY" verify --dir "$T/a"
expect "verify --json" 0 '{"ok":true}' "$PARLEY" verify --dir "$T/a" --json

printf 'name = a.example\nstore = sqlite:parley.db\ncolour = blue\n' > "$T/a/parley.conf.new"
mv "$T/a/parley.conf" "$T/a/parley.conf.good"
mv "$T/a/parley.conf.new" "$T/a/parley.conf"
expect "unknown config key" 1 "parley.conf:3: unknown key 'colour'" "$PARLEY" verify --dir "$T/a"
mv "$T/a/parley.conf.good" "$T/a/parley.conf"

expect "demo" 0 "demo: ok" "$PARLEY" demo --messages 120
out=$("$PARLEY" demo --messages 50 2>&1)
n=$(printf '%s\n' "$out" | grep -c '^verify: ok$')
[ "$n" -eq 3 ] && ok "demo verifies all three nodes" || bad "demo verifies all three nodes" "$out"
printf '%s\n' "$out" | grep -q '^— ministry-b.example ' && ok "demo prints a receipt line" \
	|| bad "demo prints a receipt line" "$out"
printf '%s\n' "$out" | grep -q "as JSON: .*node identical; the auditor's identical$" \
	&& ok "demo: both nodes' and the auditor's reports are identical" \
	|| bad "demo: both nodes' and the auditor's reports are identical" "$out"
# The reciprocity table, printed three times: 50 requests a -> b, 10 b -> a.
n=$(printf '%s\n' "$out" | grep -c '^requests  *50  *10$')
[ "$n" -eq 3 ] && ok "demo prints the reciprocity table from a, b and the auditor" \
	|| bad "demo prints the reciprocity table from a, b and the auditor" "$out"
expect "demo --messages 0" 2 "--messages takes" "$PARLEY" demo --messages 0

finish
