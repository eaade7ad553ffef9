#!/bin/sh
# keys.sh — an identity key sealed under a passphrase (Argon2id), used by
# real servers; wrong, missing and altered passphrases and files refused
# with nothing changed; and no secret (keys, passphrase, tokens, the data
# key) and no body text in any server log, nor bodies in the clear on disk.
. "$(dirname "$0")/lib.sh"

base=$((26000 + ($$ * 7) % 30000))
printf 'correct horse battery staple\n' > "$T/pass"
PASS="correct horse battery staple"
expect "init --protect" 0 "created party a.example" env PARLEY_PASSPHRASE_FILE="$T/pass" \
	"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" \
	--operator-listen "127.0.0.1:$((base + 2))" --protect
grep -q "PRIVATE+KEY" "$T/a/identity.key" && bad "the key file holds no plain key" || ok "the key file holds no plain key"
grep -q "^parley-sealed-key/1$" "$T/a/identity.key" && ok "the key file is sealed" || bad "the key file is sealed"
[ "$(stat -c %a "$T/a/identity.key")" = 600 ] && ok "mode 0600" || bad "mode 0600"
expect "init --protect with no passphrase anywhere" 1 "needs its passphrase" \
	env -u PARLEY_PASSPHRASE -u PARLEY_PASSPHRASE_FILE setsid "$PARLEY" init --name z.example --dir "$T/z" --protect
[ -e "$T/z" ] && bad "nothing is created without a passphrase" || ok "nothing is created without a passphrase"

# Everything a holds but the audit trail, evidence and delivery state
# (none of which these refusals could touch): the store is opened with the
# key, so with its passphrase.
db_sum() { env PARLEY_PASSPHRASE_FILE="$T/pass" "$PARLEY" store digest --all --dir "$T/a"; }
d0=$(db_sum)
expect "no passphrase: a clear error" 1 "needs its passphrase: set PARLEY_PASSPHRASE_FILE" \
	setsid "$PARLEY" identity --dir "$T/a"
expect "a wrong passphrase" 1 "the passphrase does not open the identity key" \
	env PARLEY_PASSPHRASE=wrong "$PARLEY" identity --dir "$T/a"
expect "a passphrase file that is missing" 1 "PARLEY_PASSPHRASE_FILE" \
	env PARLEY_PASSPHRASE_FILE="$T/nope" "$PARLEY" identity --dir "$T/a"
cp "$T/a/identity.key" "$T/key.bak"
python3 - "$T/a/identity.key" <<'EOF'
import sys
p = sys.argv[1]; lines = open(p).read().split("\n")
c = lines[2]; k = len(c) - 10
lines[2] = c[:k] + ("A" if c[k] != "A" else "B") + c[k + 1:]
open(p, "w").write("\n".join(lines))
EOF
expect "an altered sealed file" 1 "wrong passphrase, or the file was altered" \
	env PARLEY_PASSPHRASE_FILE="$T/pass" "$PARLEY" identity --dir "$T/a"
cp "$T/key.bak" "$T/a/identity.key"
[ "$(db_sum)" = "$d0" ] && ok "refusals change nothing" || bad "refusals change nothing"
expect "the right passphrase (from the environment)" 0 "a.example+" \
	env PARLEY_PASSPHRASE="$PASS" "$PARLEY" identity --dir "$T/a"
expect "protect twice" 1 "already protected" env PARLEY_PASSPHRASE_FILE="$T/pass" "$PARLEY" key protect --dir "$T/a"

# Real traffic with a protected key, and bodies that must never leak.
export PARLEY_PASSPHRASE_FILE="$T/pass"
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
peer_all a b
token=$("$PARLEY" operator add olga --role officer --dir "$T/a" | grep -o 'parley_[A-Za-z0-9_-]*')
"$PARLEY" serve --dir "$T/a" > "$T/a.out" 2> "$T/a.log" &
pids="$pids $!"
"$PARLEY" serve --dir "$T/b" > "$T/b.out" 2> "$T/b.log" &
pids="$pids $!"
sleep 0.5
"$PARLEY" channel propose b.example --charter "$(dirname "$0")/../../charters/standard.json" --dir "$T/a" >/dev/null
settle
"$PARLEY" channel accept a.example --dir "$T/b" >/dev/null
settle
curl -sk --max-time 10 -o "$T/new.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' "https://127.0.0.1:$((base + 2))/api/v1/cases" \
	--data '{"peer":"b.example","type":"cyber-incident","subject":"TOPSECRET-SUBJECT-1207","text":"TOPSECRET-BODY-7731","fields":{"summary":"TOPSECRET-FIELD-5512","source_ip":"192.0.2.9","first_seen":"2026-11-20","contact":"cert@a.example","severity":"high"}}' \
	> "$T/st"
[ "$(cat "$T/st")" = 201 ] || [ "$(cat "$T/st")" = 200 ] && ok "a case opened through the API with a protected key" \
	|| bad "a case opened through the API with a protected key" "$(cat "$T/st" "$T/new.json")"
settle
id=$("$PARLEY" case list --dir "$T/b" --json | grep -o '"id":"a.example/[0-9]*"' | head -1 | cut -d'"' -f4)
"$PARLEY" case answer "$id" --text "TOPSECRET-ANSWER-4410" --dir "$T/b" >/dev/null
settle && ok "delivered both ways, receipts and all" || bad "delivered both ways"
expect "a's store verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/a"

datakey_b64=$(base64 -w0 < "$T/a/data.key")
datakey_hex=$(od -An -tx1 "$T/a/data.key" | tr -d ' \n')
signer=$(env PARLEY_PASSPHRASE_FILE="$T/pass" "$PARLEY" key unprotect --dir "$T/a" >/dev/null && cat "$T/a/identity.key")
for secret in "TOPSECRET" "PRIVATE+KEY" "$PASS" "$token" "$datakey_b64" "$datakey_hex" \
	"$(printf '%s' "$signer" | cut -d+ -f5)"; do
	if grep -qF -- "$secret" "$T/a.log" "$T/b.log" "$T/a.out" "$T/b.out"; then
		bad "no secret or body text in the servers' logs: found '$(printf '%.12s' "$secret")...'"
		leaked=1
	fi
done
[ -z "${leaked:-}" ] && ok "no secret or body text in the servers' logs ($(cat "$T/a.log" "$T/b.log" | wc -l) lines)"
for n in a b; do
	store_holds "$n" TOPSECRET && bad "no body text in the clear in $n's store" && found=1
done
[ -z "${found:-}" ] && ok "no body text in the clear in either store"
expect "unprotected, no passphrase is needed" 0 "a.example+" env -u PARLEY_PASSPHRASE_FILE "$PARLEY" identity --dir "$T/a"
finish
