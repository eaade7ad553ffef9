#!/bin/sh
# hostile.sh — a corpus of hostile requests against three real nodes on
# loopback: the peer API of b (malformed envelopes and notes, bad base64,
# oversized and deeply nested bodies, wrong or missing signatures, unknown
# origins, forked, rolled-back, replayed and out-of-order batches, unknown
# client certificates) and the operator API of a (missing, wrong and
# revoked tokens, role violations, unknown cases, illegal transitions,
# malformed bodies), plus slow-header and slow-body connections on both.
# Each refusal must carry the exact HTTP status, the JSON error code and a
# message naming what was wrong, and must leave the node's store as it was.
#
# The store digest is `parley store digest --all`: the logs, checkpoints,
# cosignatures, parties, operators and bodies, leaving out the two records
# that change on a refusal by design: the audit trail (the operator API
# records every change request, refused ones included, with who and the
# outcome) and evidence (a forked checkpoint is kept as proof against its
# signer).
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 1; }
HERE=$(dirname "$0")
PY="python3 $HERE/hostile.py"
start=$(date +%s)

base=$((23000 + ($$ * 17) % 30000))
PA=$base PB=$((base + 1)) PC=$((base + 2)) OA=$((base + 3))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$PA" \
	--operator-listen "127.0.0.1:$OA" >/dev/null || { echo "init a failed"; exit 1; }
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$PB" >/dev/null
"$PARLEY" init --name c.example --dir "$T/c" --listen "127.0.0.1:$PC" >/dev/null
"$PARLEY" init --name s.example --dir "$T/s" --listen 127.0.0.1:1 >/dev/null # a stranger
peer_all a b c
# c2 and c3: offline copies of c (its key and certificate) whose batches
# to b are posted by hand; c itself never sends to b.
node_copy c c2
tok() { "$PARLEY" operator add "$1" --role "$2" --dir "$T/a" --json | sed 's/.*"token":"\([^"]*\)".*/\1/'; }
SUP=$(tok sue supervisor); OFF=$(tok olga officer); AUD=$(tok ali auditor); GONE=$(tok gus officer)
"$PARLEY" operator revoke gus --dir "$T/a" >/dev/null
serve_bg a; serve_bg b; serve_bg c
servers=$pids
t=0 # until both APIs answer
until curl -sk --max-time 2 -o /dev/null -H "Authorization: Bearer $AUD" "https://127.0.0.1:$OA/api/v1/whoami" &&
	curl -sk --max-time 2 -o /dev/null --cert "$T/c/tls.crt" --key "$T/c/tls.key" "https://127.0.0.1:$PB/peer/v1/x"; do
	t=$((t + 1))
	[ $t -lt 50 ] || { echo "the servers did not start"; exit 1; }
	sleep 0.1
done

# Slow clients first, in the background: each needs the 30 s timeout.
# (libmicrohttpd's timeout counts silence: a client that trickles a byte
# more often than every 30 s is not dropped by it. Not tested here.)
slowpids=""
$PY slow header 127.0.0.1 $PB /peer/v1/checkpoint "$T/c/tls.crt" "$T/c/tls.key" "$T/slow-ph" &
slowpids="$slowpids $!"
$PY slow body 127.0.0.1 $PB /peer/v1/batch "$T/c/tls.crt" "$T/c/tls.key" "$T/slow-pb" &
slowpids="$slowpids $!"
$PY slow header 127.0.0.1 $OA /api/v1/whoami - - "$T/slow-oh" &
slowpids="$slowpids $!"
$PY slow body 127.0.0.1 $OA /api/v1/cases - - "$T/slow-ob" &
slowpids="$slowpids $!"
# A body that trickles in never goes silent long enough for the inactivity
# timeout: the upload deadline (60 s) cuts it off.
$PY slow trickle 127.0.0.1 $OA /api/v1/cases - - "$T/slow-ot" &
tricklepid=$!

digest() { "$PARLEY" store digest --all --dir "$T/$1" | cut -c1-16; }

# The charter, a case of a's and a case of b's.
"$PARLEY" channel propose b.example --charter "$HERE/../../charters/standard.json" --dir "$T/a" >/dev/null
settle
"$PARLEY" channel accept a.example --dir "$T/b" >/dev/null
settle
FIELDS='"fields":{"summary":"ssh","source_ip":"192.0.2.1","first_seen":"2026-11-20","contact":"cert@a.example","severity":"low"}'
OURL="https://127.0.0.1:$OA/api/v1"
curl -sk --max-time 10 -H "Authorization: Bearer $OFF" --data-binary \
	"{\"peer\":\"b.example\",\"type\":\"cyber-incident\",\"subject\":\"Scanning\",$FIELDS}" "$OURL/cases" > "$T/case1"
grep -q '"id":"a.example/1"' "$T/case1" || bad "a opens case a.example/1" "$(cat "$T/case1")"
"$PARLEY" case new a.example --type deconfliction --subject "Exercise" --field summary=red-team \
	--field targets=198.51.100.0/24 --field start=2026-12-01 --field end=2026-12-02 \
	--field contact=cert@b.example --dir "$T/b" >/dev/null || bad "b opens case b.example/1"
settle
curl -sk --max-time 10 -H "Authorization: Bearer $OFF" -d '{}' "$OURL/cases/b.example/1/ack" > "$T/ack"
grep -q '"action":"ack"' "$T/ack" || bad "a acknowledges b.example/1" "$(cat "$T/ack")"
settle

# hit NAME NODE STATUS CODE FRAGMENT CURL-ARGS...: one hostile request to
# NODE; checks the status, the error code, that the message contains
# FRAGMENT, and that NODE's store digest did not change.
nhost=0
hit() {
	name=$1 node=$2 want=$3 code=$4 frag=$5
	shift 5
	nhost=$((nhost + 1))
	d0=$(digest "$node")
	st=$(curl -sk --max-time 20 -o "$T/resp" -w '%{http_code}' "$@")
	d1=$(digest "$node")
	resp=$(head -c 600 "$T/resp")
	if [ "$st" != "$want" ]; then
		bad "$name (HTTP $st, want $want)" "$resp"
	elif ! grep -qF "{\"error\":{\"code\":\"$code\",\"message\":\"" "$T/resp"; then
		bad "$name (code is not $code)" "$resp"
	elif ! grep -qF -- "$frag" "$T/resp"; then
		bad "$name (message lacks \"$frag\")" "$resp"
	elif [ "$d0" != "$d1" ]; then
		bad "$name (the store of $node changed)" "$resp"
	else
		ok "$name: $want $code: $(sed 's/.*"message":"\(.*\)"}}$/\1/' "$T/resp" | cut -c1-140)"
	fi
}
BURL="https://127.0.0.1:$PB/peer/v1"
crt() { echo "--cert $T/$1/tls.crt --key $T/$1/tls.key"; }
# pb NAME STATUS CODE FRAGMENT FILE [CERT-NODE]: POST a batch to b
pb() { hit "peer: $1" b "$2" "$3" "$4" $(crt "${6:-c}") -H 'Content-Type: application/json' \
	--data-binary "@$5" "$BURL/batch"; }
# pg NAME STATUS CODE FRAGMENT PATH [CERT-NODE]: GET from b
pg() { hit "peer: $1" b "$2" "$3" "$4" $(crt "${6:-c}") "$BURL$5"; }
# op NAME STATUS CODE FRAGMENT TOKEN METHOD PATH [BODY]: a's operator API
op() {
	n=$1 s=$2 c=$3 f=$4 tk=$5 m=$6 p=$7
	if [ -n "$tk" ]; then au="Authorization: Bearer $tk"; else au="X-None: 1"; fi
	if [ "$m" = POST ]; then
		hit "operator: $n" a "$s" "$c" "$f" -X POST -H "$au" -H 'Content-Type: application/json' \
			--data-binary "${8:-{\}}" "$OURL$p"
	else
		hit "operator: $n" a "$s" "$c" "$f" -X "$m" -H "$au" "$OURL$p"
	fi
}

# c2 queues three messages to b; their batch is the model for the variants.
printf '{"subject":"one"}\n{"subject":"two"}\n{"subject":"three"}\n' |
	"$PARLEY" send b.example --type ping --lines --dir "$T/c2" >/dev/null
"$PARLEY" outbox b.example --dir "$T/c2" > "$T/batch1.json"
node_copy c2 c3 # c3 will sign another history from here
$PY batch "$T/batch1.json" "$T/c2/identity.key" "$T/v" || { echo "hostile.py batch failed"; exit 1; }
V=$T/v
OCB=parley/c.example/b.example

# 1. Peer API: the batch's JSON.
pb "not JSON" 400 invalid "batch: not JSON" "$V/not-json.json"
pb "truncated JSON" 400 invalid "batch: not JSON" "$V/truncated.json"
pb "an empty body" 400 invalid "batch: not JSON" "$V/empty.json"
pb "an array, not an object" 400 invalid "batch: not a JSON object" "$V/array.json"
pb "a duplicate key" 400 invalid "duplicate object key" "$V/duplicate-key.json"
pb "invalid UTF-8" 400 invalid "unable to decode byte" "$V/bad-utf8.json"
pb "a NUL in a string" 400 invalid "NUL" "$V/nul.json"
pb "100,000 nested arrays" 400 invalid "maximum parsing depth" "$V/deep.json"
pb "5,000 nested objects" 400 invalid "maximum parsing depth" "$V/deep-object.json"
pb "500 nested arrays as the origin" 400 invalid "'origin' must be a string" "$V/origin-nested.json"
pb "an unknown key" 400 invalid "batch: unknown key 'extra'" "$V/unknown-key.json"
pb "no checkpoint" 400 invalid "'checkpoint' must be a signed note" "$V/no-checkpoint.json"
pb "a checkpoint that is an object" 400 invalid "'checkpoint' must be a signed note" "$V/checkpoint-not-string.json"
pb "a checkpoint over 64 KiB" 400 invalid "'checkpoint' must be a signed note of at most 65536 bytes" "$V/checkpoint-huge.json"
pb "an origin that is an array" 400 invalid "'origin' must be a string" "$V/origin-not-string.json"
pb "a negative first" 400 invalid "'first' must be a non-negative integer" "$V/first-negative.json"
pb "first as a string" 400 invalid "'first' must be a non-negative integer" "$V/first-string.json"
pb "first as a fraction" 400 invalid "'first' must be a non-negative integer" "$V/first-float.json"
pb "entries as an object" 400 invalid "'entries' must be an array of at most 1000" "$V/entries-object.json"
pb "1,001 entries" 400 invalid "'entries' must be an array of at most 1000" "$V/too-many-entries.json"
pb "an entry that is a string" 400 invalid "entries[0]: not an object" "$V/entry-not-object.json"
pb "an entry with an unknown key" 400 invalid "entry: unknown key 'colour'" "$V/entry-unknown-key.json"
pb "an envelope that is a number" 400 invalid "entries[0].envelope: a string of at most 1024 bytes" "$V/env-not-string.json"
pb "an envelope over 1 KiB" 400 invalid "entries[0].envelope: a string of at most 1024 bytes" "$V/env-too-long.json"

# 2. Peer API: envelopes (the leaves).
pb "an envelope with an unknown key" 400 invalid "$OCB entry 0: envelope line" "$V/env-unknown-key.json"
pb "an envelope with keys out of order" 400 invalid "$OCB entry 0: envelope line 2" "$V/env-order.json"
pb "an envelope with a duplicate key" 400 invalid "$OCB entry 0: envelope line" "$V/env-duplicate.json"
pb "an envelope with a control character" 400 invalid "$OCB entry 0: envelope" "$V/env-control.json"
pb "an envelope line over 200 bytes" 400 invalid "$OCB entry 0: envelope" "$V/env-long-line.json"
pb "an envelope of another version" 400 invalid "$OCB entry 0: envelope line 1" "$V/env-version.json"
pb "an empty envelope" 400 invalid "$OCB entry 0: envelope" "$V/env-empty.json"
pb "an envelope from another party" 400 invalid "$OCB entry 0: envelope is from a.example to b.example" "$V/env-from.json"
pb "an envelope with another index" 409 conflict "$OCB: envelope has index 90 but the next index is 0" "$V/env-index.json"
pb "a body that is not the envelope's" 400 invalid "$OCB entry 0: body does not match the envelope's body hash" "$V/body-hash.json"

# 3. Peer API: base64 and sizes.
pb "a body with non-base64 characters" 400 invalid "entries[0].body: not base64" "$V/body-b64-char.json"
pb "a body of a bad base64 length" 400 invalid "entries[0].body: not base64" "$V/body-b64-length.json"
pb "a body with a newline in its base64" 400 invalid "entries[0].body: not base64" "$V/body-b64-newline.json"
pb "a body that is a number" 400 invalid "entries[0].body: not a string" "$V/body-not-string.json"
pb "an attachment that is not base64" 400 invalid "attachments[0]: not base64" "$V/att-b64.json"
pb "an attachment with an unknown key" 400 invalid "attachment: unknown key 'name'" "$V/att-key.json"
pb "attachments as an object" 400 invalid "'attachments' must be an array" "$V/att-not-array.json"
pb "an attachment no body names" 400 invalid "is named by no body in the batch" "$V/att-unnamed.json"
pb "a body over 1 MiB" 413 too_big "$OCB entry 0: body of 1048578 bytes is over the 1048576-byte limit" "$V/body-huge.json"
pb "an attachment over 4 MiB" 413 too_big "attachments[0]: over the 4194304-byte limit" "$V/att-huge.json"
head -c 34000000 /dev/zero > "$T/huge.bin"
pb "a request over 32 MiB" 413 too_big "request body over the 33554432-byte limit" "$T/huge.bin"

# 4. Peer API: signed notes.
pb "a tampered checkpoint" 400 bad_signature "note: signature by c.example+" "$V/note-tampered.json"
pb "an unsigned checkpoint" 400 invalid "note: the signature block is empty" "$V/note-unsigned.json"
pb "a checkpoint signed by another key" 400 unverified "checkpoint for $OCB is not signed by c.example" "$V/note-other-signer.json"
pb "c's key id, another key's signature" 400 bad_signature "note: signature by c.example+" "$V/note-wrong-key.json"
pb "a signature that is not base64" 400 invalid "note: signature line 1: signature is not valid base64" "$V/note-sig-b64.json"
pb "a note without its blank line" 400 invalid "note: no blank line before the signatures" "$V/note-no-blank.json"
pb "a signed checkpoint with a size that is no number" 400 invalid "checkpoint: size must be a decimal number" "$V/cp-size-text.json"
pb "a signed checkpoint with a root that is not base64" 400 invalid "checkpoint: root hash is not base64 of 32 bytes" "$V/cp-root-b64.json"
pb "a signed checkpoint with an extension line" 400 invalid "checkpoint for $OCB has extension lines" "$V/cp-extension.json"
pb "a signed checkpoint of another log" 400 invalid "checkpoint origin 'parley/c.example/a.example' does not match the batch" "$V/cp-origin.json"
pb "a signed checkpoint beyond the batch" 400 invalid "checkpoint for $OCB has size 5 but the batch ends at 3" "$V/cp-size.json"
pb "a signed checkpoint with another root" 409 conflict "$OCB: checkpoint root for size 3 differs from the root of the entries held" "$V/cp-root.json"

# 5. Peer API: origins and certificates.
pb "a log to an unknown party" 400 invalid "batch for parley/c.example/z.example is addressed to z.example, not to us" "$V/origin-unknown-receiver.json"
pb "an origin with a third part" 400 invalid "origin 'parley/c.example/b.example/x' names an invalid party" "$V/origin-extra-part.json"
pb "an origin without a receiver" 400 invalid "origin 'parley/c.example/' names an invalid party" "$V/origin-empty-receiver.json"
pb "c's certificate, a's origin" 403 forbidden "the client certificate is c.example's, but the batch is for parley/a.example/b.example" "$V/origin-other-sender.json"
pb "a's certificate, c's batch" 403 forbidden "the client certificate is a.example's, but the batch is for $OCB" "$T/batch1.json" a
# The packed form (what parley's outbox sends, src/net/wire.h), by its
# content type; a body in the other form than its type says is refused.
pk() { hit "peer: packed: $1" b "$2" "$3" "$4" $(crt "${6:-c}") \
	-H 'Content-Type: application/vnd.parley.batch' --data-binary "@$5" "$BURL/batch"; }
printf 'parley-batch 1\norigin %s\nfirst 0\ncheckpoint 5\nnote\nentry 300 -\nparley/1\n' "$OCB" > "$T/pk-short"
pk "a batch cut short" 400 invalid "batch: entry 0: cut short (300 bytes announced)" "$T/pk-short"
printf 'parley-batch 1\norigin %s\nfirst 0\ncheckpoint 5\nnote\nentry 5000 -\n' "$OCB" > "$T/pk-big"
pk "an envelope over the limit" 413 too_big "entry 0: envelope of 5000 bytes is over the 1024-byte limit" "$T/pk-big"
printf 'parley-batch 1\norigin %s\nfirst 00\n' "$OCB" > "$T/pk-zero"
pk "a number with a leading zero" 400 invalid "'first N' expected after the origin" "$T/pk-zero"
printf 'parley-batch 1\norigin %s\nfirst 0\ncheckpoint 0\nend\ntrailing' "$OCB" > "$T/pk-trail"
pk "bytes after 'end'" 400 invalid "a last line 'end' expected" "$T/pk-trail"
pk "a JSON batch sent as packed" 400 invalid "batch: does not start with 'parley-batch 1'" "$T/batch1.json"
pb "a packed batch sent as JSON" 400 invalid "batch: not JSON" "$T/pk-trail"
printf 'parley-batch 1\norigin %s\nfirst 0\ncheckpoint 0\nend\n' "$OCB" > "$T/pk-other"
pk "a's certificate, c's batch" 403 forbidden "the client certificate is a.example's, but the batch is for $OCB" "$T/pk-other" a
pg "the checkpoint of an unknown log" 403 forbidden "c.example may read only parley/c.example/b.example and parley/b.example/c.example" "/checkpoint?origin=parley/z.example/b.example"
pg "a checkpoint of a log between others" 403 forbidden "c.example may read only" "/checkpoint?origin=parley/a.example/b.example"
pg "a checkpoint without an origin" 400 invalid "the 'origin' parameter is required" "/checkpoint"
pg "a checkpoint of a log never written" 404 not_found "parley/b.example/c.example" "/checkpoint?origin=parley/b.example/c.example"
pg "entries with a negative start" 400 invalid "parameter 'start' must be a decimal number" "/entries?origin=parley/a.example/b.example&start=-1&count=2" a
pg "entries with a count of 2^64" 400 invalid "parameter 'count' must be a decimal number" "/entries?origin=parley/a.example/b.example&start=0&count=18446744073709551616" a
pg "an inclusion proof beyond the log" 400 invalid "size 99 is beyond the log's" "/proof/inclusion?origin=parley/a.example/b.example&index=0&size=99" a
pg "an inclusion proof of an index past the size" 400 invalid "index 5" "/proof/inclusion?origin=parley/a.example/b.example&index=5&size=2" a
pg "an inclusion proof in an empty tree" 400 invalid "leaf index 0 is not below tree size 0" "/proof/inclusion?origin=parley/a.example/b.example&index=0&size=0" a
pg "a consistency proof backwards" 400 invalid "size1 2 is larger than size2 1" "/proof/consistency?origin=parley/a.example/b.example&size1=2&size2=1" a
pg "an unknown route" 404 not_found "no route GET /peer/v2/batch" "/../v2/batch"
pg "GET on the batch route" 404 not_found "no route GET /peer/v1/batch" "/batch"
hit "peer: DELETE on the batch route" b 404 not_found "no route DELETE /peer/v1/batch" $(crt c) -X DELETE "$BURL/batch"

# TLS refusals: the handshake fails, the server stays up.
before=$(digest b)
curl -sk --max-time 10 -o /dev/null --data-binary "@$T/batch1.json" "$BURL/batch"
rc=$?
[ $rc -ne 0 ] && ok "peer: no client certificate fails the TLS handshake (curl exit $rc)" \
	|| bad "peer: no client certificate fails the TLS handshake"
curl -sk --max-time 10 -o /dev/null $(crt s) --data-binary "@$T/batch1.json" "$BURL/batch"
rc=$?
[ $rc -ne 0 ] && ok "peer: a stranger's certificate fails the TLS handshake (curl exit $rc)" \
	|| bad "peer: a stranger's certificate fails the TLS handshake"
nhost=$((nhost + 2))
[ "$(digest b)" = "$before" ] && grep -q "TLS handshake refused" "$T/b.log" \
	&& ok "b logs the refused handshakes, its store unchanged" || bad "b logs the refused handshakes, its store unchanged"

# 6. Peer API: order. The first batch goes in; the same again is a replay.
r1=$(curl -sk --max-time 10 $(crt c) --data-binary "@$T/batch1.json" "$BURL/batch")
printf '%s' "$r1" | grep -q '"receipt":"— b.example ' && ok "peer: c2's first batch is receipted" \
	|| bad "peer: c2's first batch is receipted" "$r1"
d=$(digest b)
[ "$d" != "$before" ] && ok "the digest of b sees the batch it took" || bad "the digest of b sees the batch it took"
sleep 1.1 # a later second: a new cosignature would differ
r2=$(curl -sk --max-time 10 -w ' HTTP %{http_code}' $(crt c) --data-binary "@$T/batch1.json" "$BURL/batch")
nhost=$((nhost + 1))
[ "$r2" = "$r1 HTTP 200" ] && [ "$(digest b)" = "$d" ] && ok "peer: a replayed batch: 200, the same receipt, nothing stored" \
	|| bad "peer: a replayed batch: 200, the same receipt, nothing stored" "$r1 / $r2"
pb "a replay with an altered entry" 409 conflict "$OCB entry 0 differs from the one held: the sender forked its log" "$V/env-index.json"
# c2 sends two more; the batch from 3 is held back, the one from 5 skips it.
printf '{"subject":"four"}\n{"subject":"five"}\n' | "$PARLEY" send b.example --type ping --lines --dir "$T/c2" >/dev/null
"$PARLEY" outbox b.example --from 4 --dir "$T/c2" > "$T/skip.json"
pb "a batch that skips an index" 409 conflict "batch for $OCB starts at index 4 but 3 is the next one held: entries are missing" "$T/skip.json"
"$PARLEY" outbox b.example --from 3 --dir "$T/c2" > "$T/batch2.json"
r3=$(curl -sk --max-time 10 $(crt c) --data-binary "@$T/batch2.json" "$BURL/batch")
printf '%s' "$r3" | grep -q '"receipt":"— b.example ' && ok "peer: c2's second batch is receipted" \
	|| bad "peer: c2's second batch is receipted" "$r3"
# The first batch again, after the second: a sender that died before
# storing its receipt sends it again, and gets the cosignature b gave it
# then (the same line), nothing stored; so does its checkpoint alone.
d=$(digest b)
r4=$(curl -sk --max-time 10 -w ' HTTP %{http_code}' $(crt c) --data-binary "@$T/batch1.json" "$BURL/batch")
r5=$(curl -sk --max-time 10 -w ' HTTP %{http_code}' $(crt c) --data-binary "@$V/cp-only.json" "$BURL/batch")
nhost=$((nhost + 2))
[ "$r4" = "$r1 HTTP 200" ] && [ "$r5" = "$r1 HTTP 200" ] && [ "$(digest b)" = "$d" ] \
	&& ok "peer: the first batch again after the second, and its checkpoint alone: 200, the first receipt, nothing stored" \
	|| bad "peer: the first batch again after the second: 200, the first receipt, nothing stored" "$r1 / $r4 / $r5"
# A checkpoint of a size between the two, never cosigned: a rollback.
"$PARLEY" outbox b.example --from 3 --max 1 --dir "$T/c2" > "$T/batch-4.json"
pb "a checkpoint older than the last cosigned, never cosigned (rolled back)" 409 conflict "checkpoint for $OCB of size 4 is older than the one of size 5 already cosigned" "$T/batch-4.json"
# c3 signs another history from size 3: a fork.
printf '{"subject":"vier"}\n{"subject":"fünf"}\n' | "$PARLEY" send b.example --type ping --lines --dir "$T/c3" >/dev/null
"$PARLEY" outbox b.example --from 3 --dir "$T/c3" > "$T/fork.json"
$PY batch "$T/fork.json" "$T/c3/identity.key" "$T/vf"
pb "a forked batch" 409 conflict "$OCB entry 3 differs from the one held: the sender forked its log" "$T/fork.json"
pb "a forked checkpoint alone" 409 conflict "$OCB: a checkpoint of size 5 with another root is already held" "$T/vf/cp-only.json"
n=$("$PARLEY" peer list --json --dir "$T/b" | grep -o '"name":"c.example"[^}]*"fork_evidence":[0-9]*' | sed 's/.*://')
[ "${n:-0}" -ge 1 ] && ok "b keeps the forked checkpoint as evidence ($n)" || bad "b keeps the forked checkpoint as evidence"

# 7. Operator API: credentials and roles.
W=/whoami
op "no token" 401 unauthorized "a bearer token (parley_...) is required" "" GET $W
op "no token on a change" 401 unauthorized "a bearer token (parley_...) is required" "" POST /cases '{"peer":"b.example","type":"ping","subject":"x"}'
op "a wrong token" 401 unauthorized "the token is not valid" parley_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA GET $W
op "a token of 8 KiB" 401 unauthorized "the token is not valid: not a parley_... token of at most 63 characters" "parley_$(head -c 6000 /dev/zero | base64 -w0)" GET $W
op "a revoked token" 401 unauthorized "the token of operator gus was revoked" "$GONE" POST /cases '{"peer":"b.example","type":"ping","subject":"x"}'
hit "operator: a Basic credential" a 401 unauthorized "a bearer token (parley_...) is required" -H "Authorization: Basic $OFF" "$OURL$W"
hit "operator: a lower-case scheme" a 401 unauthorized "a bearer token (parley_...) is required" -H "authorization: bearer $OFF" "$OURL$W"
op "an officer proposing a charter" 403 forbidden "operator olga is an officer and may not propose or accept charters" "$OFF" POST /channels/b.example/propose '{"template":"standard"}'
op "an officer accepting a charter" 403 forbidden "operator olga is an officer and may not propose or accept charters" "$OFF" POST /channels/b.example/accept
op "an auditor opening a case" 403 forbidden "operator ali is an auditor and may not open or answer cases" "$AUD" POST /cases "{\"peer\":\"b.example\",\"type\":\"cyber-incident\",\"subject\":\"x\",$FIELDS}"
op "an auditor answering a case" 403 forbidden "operator ali is an auditor and may not open or answer cases" "$AUD" POST /cases/b.example/1/answer '{"text":"x"}'
op "an auditor proposing a charter" 403 forbidden "operator ali is an auditor" "$AUD" POST /channels/b.example/propose '{"template":"standard"}'

# 8. Operator API: unknown cases and illegal transitions.
op "an unknown case" 404 not_found "no case a.example/99" "$AUD" GET /cases/a.example/99
op "an action on an unknown case" 404 not_found "no case b.example/99" "$OFF" POST /cases/b.example/99/answer '{"text":"x"}'
op "a case of an unknown party" 404 not_found "z.example" "$OFF" POST /cases/z.example/1/ack
op "a case index that is no number" 400 invalid "case 'b.example/one': the index is not a number" "$OFF" POST /cases/b.example/one/ack
op "an unknown action" 404 not_found "no action 'approve'" "$OFF" POST /cases/b.example/1/approve
op "the requester answers its own case" 409 conflict "cannot answer case a.example/1 (receipted): only the responder can answer" "$OFF" POST /cases/a.example/1/answer '{"text":"x"}'
op "the responder withdraws the request" 409 conflict "only the requester can withdraw" "$OFF" POST /cases/b.example/1/withdraw
op "a close before an answer" 409 conflict "the case can be closed only after an answer" "$OFF" POST /cases/b.example/1/close
op "a second acknowledgement" 409 conflict "the case is already acknowledged" "$OFF" POST /cases/b.example/1/ack
op "the requester acknowledges its own case" 409 conflict "only the responder can" "$SUP" POST /cases/a.example/1/ack

# 9. Operator API: bodies.
op "a body that is not JSON" 400 invalid "the request body must be a JSON object" "$OFF" POST /cases 'nope'
op "an array body" 400 invalid "the request body must be a JSON object, not an array" "$OFF" POST /cases '[1]'
op "a duplicate key" 400 invalid "duplicate object key" "$OFF" POST /cases '{"peer":"b.example","peer":"c.example","type":"ping","subject":"x"}'
op "invalid UTF-8" 400 invalid "unable to decode byte" "$OFF" POST /cases "$(printf '{"peer":"b.example","type":"ping","subject":"\377"}')"
$PY bignest 100000 "$T/deep.json"
op "100,000 nested arrays" 400 invalid "maximum parsing depth" "$OFF" POST /cases "@$T/deep.json"
op "an unknown key" 400 invalid "unknown key 'colour'" "$OFF" POST /cases '{"peer":"b.example","type":"ping","subject":"x","colour":1}'
op "no subject" 400 invalid "'peer', 'type' and 'subject' are required strings" "$OFF" POST /cases '{"peer":"b.example","type":"ping"}'
op "a subject that is a number" 400 invalid "'peer', 'type' and 'subject' are required strings" "$OFF" POST /cases '{"peer":"b.example","type":"ping","subject":7}'
op "fields that are a list" 400 invalid "'fields' must be an object" "$OFF" POST /cases '{"peer":"b.example","type":"ping","subject":"x","fields":[]}'
op "an attachment that is not base64" 400 invalid "attachments[0].data: not base64" "$OFF" POST /cases "{\"peer\":\"b.example\",\"type\":\"cyber-incident\",\"subject\":\"x\",$FIELDS,\"attachments\":[{\"name\":\"a\",\"data\":\"**\"}]}"
op "an attachment without a name" 400 invalid "attachments[0]: 'name' and 'data' are required" "$OFF" POST /cases "{\"peer\":\"b.example\",\"type\":\"cyber-incident\",\"subject\":\"x\",$FIELDS,\"attachments\":[{\"data\":\"QUJD\"}]}"
op "an unknown case type" 400 invalid "the charter with b.example has no case type 'espionage'" "$OFF" POST /cases '{"peer":"b.example","type":"espionage","subject":"x"}'
op "a field the charter lacks" 400 invalid "field 'source_ip' is required for cyber-incident" "$OFF" POST /cases '{"peer":"b.example","type":"cyber-incident","subject":"x","fields":{"summary":"s"}}'
op "a case with an unknown party" 404 not_found "unknown party 'z.example'" "$OFF" POST /cases '{"peer":"z.example","type":"ping","subject":"x"}'
op "a case with a party without a charter" 409 conflict "no charter is in force with c.example" "$OFF" POST /cases '{"peer":"c.example","type":"ping","subject":"x"}'
op "an action body with another key" 400 invalid 'the body is {\"text\": \"...\"} or {}' "$OFF" POST /cases/b.example/1/answer '{"text":"x","extra":1}'
python3 -c "import json; print(json.dumps({'text': 'x' * (1 << 20)}))" > "$T/bigtext.json"
op "an answer text over 64 KiB" 400 invalid "body.text: a string of at most 65536 bytes" "$OFF" POST /cases/b.example/1/answer "@$T/bigtext.json"
op "an action text that is a number" 400 invalid 'the body is {\"text\": \"...\"} or {}' "$OFF" POST /cases/b.example/1/answer '{"text":5}'
head -c 26000000 /dev/zero > "$T/huge.json"
op "a body over 24 MiB" 413 too_big "request body over the 25165824-byte limit" "$OFF" POST /cases "@$T/huge.json"
op "an unknown charter template" 404 not_found "no charter template 'lenient'" "$SUP" POST /channels/b.example/propose '{"template":"lenient"}'
op "a charter and a template" 400 invalid 'give \"charter\": {...} or \"template\": NAME' "$SUP" POST /channels/b.example/propose '{"template":"standard","charter":{}}'
op "a charter that is no charter" 400 invalid "charter: 'title' is missing" "$SUP" POST /channels/b.example/propose '{"charter":{"charter":"parley-charter/1"}}'
op "a proposal to an unknown party" 404 not_found "z.example" "$SUP" POST /channels/z.example/propose '{"template":"standard"}'
op "nothing to accept" 404 not_found "c.example has proposed no charter that we have not accepted" "$SUP" POST /channels/c.example/accept

# 10. Operator API: routes and queries.
op "an unknown route" 404 not_found "no route GET /api/v1/nothing" "$AUD" GET /nothing
op "DELETE on a case" 404 not_found "no route DELETE /api/v1/cases/a.example/1" "$SUP" DELETE /cases/a.example/1
op "an unknown channel sub-route" 404 not_found "no route channels/b.example/revoke" "$SUP" POST /channels/b.example/revoke
op "cases of an unknown peer" 404 not_found "z.example" "$AUD" GET "/cases?peer=z.example"
op "the channel of an unknown peer" 404 not_found "unknown party 'z.example'" "$AUD" GET /channels/z.example
op "a path too deep" 404 not_found "no route" "$AUD" GET /cases/a.example/1/x/y/z/w

# 11. While the slow clients hold their connections, both APIs answer.
t0=$(date +%s)
r=$(curl -sk --max-time 5 -H "Authorization: Bearer $AUD" "$OURL/whoami")
r2=$(curl -sk --max-time 5 $(crt c) "$BURL/checkpoint?origin=$OCB")
if [ "$r" = '{"name":"ali","role":"auditor","party":"a.example"}' ] && printf '%s' "$r2" | grep -q '"size":5' \
	&& [ $(($(date +%s) - t0)) -le 2 ]; then
	ok "both APIs answer at once while the slow clients are connected"
else
	bad "both APIs answer at once while the slow clients are connected" "$r $r2"
fi
for p in $slowpids; do wait "$p"; done
for s in ph:"peer API, slow header" pb:"peer API, slow body" oh:"operator API, slow header" ob:"operator API, slow body"; do
	f="$T/slow-${s%%:*}"
	nhost=$((nhost + 1))
	if grep -q '"closed": true' "$f" && python3 -c "import json,sys; r=json.load(open('$f')); sys.exit(not 25 <= r['idle_s'] <= 40)"; then
		ok "${s#*:}: dropped by the server after $(sed 's/.*"idle_s": \([0-9.]*\).*/\1/' "$f") s of silence"
	else
		bad "${s#*:}: dropped by the server after about 30 s of silence" "$(cat "$f" 2>/dev/null)"
	fi
done

wait "$tricklepid"
if grep -q '"closed": true' "$T/slow-ot" && python3 -c "import json,sys; r=json.load(open('$T/slow-ot')); sys.exit(not 55 <= r['total_s'] <= 75)"; then
	ok "operator API, trickling body: cut off at the upload deadline after $(sed 's/.*"total_s": \([0-9.]*\).*/\1/' "$T/slow-ot") s"
else
	bad "operator API, trickling body: cut off at the 60 s upload deadline" "$(cat "$T/slow-ot" 2>/dev/null)"
fi

alive=0
for p in $servers; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
[ "$alive" -eq 3 ] && ok "a, b and c are still running" || bad "a, b and c are still running ($alive of 3)"
# The servers stop cleanly, and said nothing of memory or undefined behaviour.
stopped=0
for p in $servers; do kill -TERM "$p" && wait "$p" && stopped=$((stopped + 1)); done
[ "$stopped" -eq 3 ] && ok "a, b and c stop cleanly on SIGTERM" || bad "a, b and c stop cleanly on SIGTERM ($stopped of 3)"
if grep -l "Sanitizer\|runtime error" "$T"/a.log "$T"/b.log "$T"/c.log >/dev/null 2>&1; then
	bad "no sanitizer report in the servers' logs" "$(grep -h -A5 "Sanitizer\|runtime error" "$T"/*.log | head -40)"
else
	ok "no sanitizer report in the servers' logs"
fi
expect "verify a" 0 "verify: ok" "$PARLEY" verify --dir "$T/a"
expect "verify b: all well but the fork it was shown" 1 "FAILED: $OCB: fork evidence at size 5" "$PARLEY" verify --dir "$T/b"
echo "$nhost hostile requests in $(($(date +%s) - start)) s"
finish
