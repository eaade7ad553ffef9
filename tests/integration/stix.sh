#!/bin/sh
# stix.sh — STIX 2.1: a cyber-incident case exported as a bundle that a
# JSON-schema check of the spec's MUST rules accepts (identity, TLP
# marking, incident, indicators, relationships), the same bytes every
# time; cases prefilled from our own bundle and from the spec's indicator
# examples; bad bundles refused with nothing logged.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
$PY -c 'import jsonschema' 2>/dev/null || { echo "python3-jsonschema missing (scripts/deps.sh)"; exit 1; }
S="$(dirname "$0")/../stix"

base=$((29000 + ($$ * 7) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" >/dev/null
"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
peer_all a b
"$PARLEY" serve --dir "$T/a" 2>>"$T/a.log" &
pids="$pids $!"
"$PARLEY" serve --dir "$T/b" 2>>"$T/b.log" &
pids="$pids $!"
A="--dir $T/a"
sleep 0.3
"$PARLEY" channel propose b.example --charter "$(dirname "$0")/../../charters/standard.json" $A >/dev/null
settle
"$PARLEY" channel accept a.example --dir "$T/b" >/dev/null
settle
id=$("$PARLEY" case new b.example --type cyber-incident --subject "SSH brute force from 192.0.2.7" \
	--text "Repeated SSH logins against our ministry's mail relay." \
	--field summary=ssh-brute-force --field source_ip=192.0.2.7 --field target=203.0.113.9 \
	--field first_seen=2026-11-20 --field domain=bad.example --field "url=http://bad.example/x'y" \
	--field sample_hash=4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877 \
	--field contact=cert@a.example --field severity=high --json $A | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
[ -n "$id" ] && ok "a cyber-incident case ($id)" || bad "a cyber-incident case"

expect "case export --stix" 0 "wrote the STIX 2.1 bundle of case $id" \
	"$PARLEY" case export --stix "$id" --out "$T/case.json" $A
"$PARLEY" case export --stix "$id" $A > "$T/again.json"
cmp -s "$T/case.json" "$T/again.json" && ok "the same bundle every time" || bad "the same bundle every time"
out=$($PY - "$S/schema.json" "$T/case.json" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
for e in errors[:5]: print("schema:", list(e.path), e.message)
print("objects:", " ".join(sorted(o["type"] for o in doc["objects"])))
PY
)
printf '%s' "$out" | grep -q "^schema:" && bad "the bundle passes the STIX 2.1 schema check" "$out" \
	|| ok "the bundle passes the STIX 2.1 schema check"
printf '%s' "$out" | grep -q "objects: identity incident indicator indicator indicator indicator marking-definition relationship relationship relationship relationship" \
	&& ok "identity, TLP marking, incident, 4 indicators related to it" || bad "the bundle's objects" "$out"
grep -q '"id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"' "$T/case.json" \
	&& ok "TLP:AMBER is the spec's predefined marking" || bad "TLP:AMBER is the spec's predefined marking"
grep -q "\"pattern\": \"\\[url:value = 'http://bad.example/x\\\\\\\\'y'\\]\"" "$T/case.json" \
	&& ok "a quote in a value is escaped in its pattern" || bad "a quote in a value is escaped" "$(grep url:value "$T/case.json")"
grep -q "\"valid_from\": \"2026-11-20T00:00:00.000Z\"" "$T/case.json" && grep -q '"severity:high"' "$T/case.json" \
	&& ok "first_seen and severity carried" || bad "first_seen and severity carried"

# Prefill from our own bundle: the same fields come back.
expect "case new --from-stix (our bundle)" 0 "opened case" \
	"$PARLEY" case new b.example --type cyber-incident --from-stix "$T/case.json" --field contact=cert@a.example $A
new=$("$PARLEY" case list --json $A | grep -o '"id":"a.example/[0-9]*"' | tail -1 | cut -d'"' -f4)
"$PARLEY" case show "$new" --json $A > "$T/new.json"
for kv in '"source_ip":"192.0.2.7"' '"domain":"bad.example"' '"severity":"high"' '"first_seen":"2026-11-20"' \
	'"sample_hash":"4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877"' '"subject":"SSH brute force from 192.0.2.7"'; do
	grep -qF "$kv" "$T/new.json" || miss="$miss $kv"
done
[ -z "${miss:-}" ] && ok "the round trip keeps subject and fields" || bad "the round trip keeps subject and fields" "$miss $(cat "$T/new.json")"

# The spec's indicator examples (and an incident) prefill a case too.
expect "case new --from-stix (the spec's examples)" 0 "opened case" \
	"$PARLEY" case new b.example --type cyber-incident --from-stix "$S/spec-indicator.json" \
	--field contact=cert@a.example --field severity=low $A
new=$("$PARLEY" case list --json $A | grep -o '"id":"a.example/[0-9]*"' | tail -1 | cut -d'"' -f4)
"$PARLEY" case show "$new" --json $A > "$T/spec.json"
miss=""
for kv in '"source_ip":"198.51.100.3/32"' '"url":"http://x4z9arb.cn/4712/"' '"first_seen":"2014-06-29"' \
	'"sample_hash":"4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877"' \
	'"subject":"Breach of Cyber Tech Dynamics"' '"tlp":"green"'; do
	grep -qF "$kv" "$T/spec.json" || miss="$miss $kv"
done
[ -z "$miss" ] && ok "hash, URL, IP, earliest date, incident name and TLP:GREEN taken" \
	|| bad "fields from the spec's examples" "$miss $(cat "$T/spec.json")"
"$PARLEY" case export --stix "$new" $A > "$T/spec-out.json"
$PY - "$S/schema.json" "$T/spec-out.json" <<'PY' && ok "its export passes the schema check too" || bad "its export passes the schema check too"
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY

# Refusals: nothing is logged.
size() { "$PARLEY" log $A --json | grep -o '"origin":"parley/a.example/b.example"[^}]*"size":[0-9]*' | sed 's/.*"size"://'; }
before=$(size)
printf '{"type":"bundle","objects":' > "$T/cut.json"
expect "not JSON" 1 "STIX: not JSON" "$PARLEY" case new b.example --type cyber-incident --from-stix "$T/cut.json" $A
printf '{"type":"indicator","objects":[]}' > "$T/notbundle.json"
expect "not a bundle" 1 "STIX: not a bundle" "$PARLEY" case new b.example --type cyber-incident --from-stix "$T/notbundle.json" $A
printf '{"type":"bundle","id":"bundle--1","objects":[{"type":"identity","name":"x"}]}' > "$T/empty.json"
expect "nothing to build a case from" 1 "no incident, report or indicator" \
	"$PARLEY" case new b.example --type cyber-incident --from-stix "$T/empty.json" $A
expect "a required field the bundle lacks" 1 "field 'contact' is required for cyber-incident" \
	"$PARLEY" case new b.example --type cyber-incident --from-stix "$S/spec-indicator.json" --field severity=low $A
[ "$(size)" = "$before" ] && ok "refused bundles log nothing" || bad "refused bundles log nothing"
expect "export of an unknown case" 1 "no case a.example/999" "$PARLEY" case export --stix a.example/999 $A
expect "export without --stix" 2 "case export takes --stix" "$PARLEY" case export "$id" $A
finish
