#!/usr/bin/env python3
# corrupt.py BUNDLE OTHERKEY OUTDIR FORKED — writes one corrupted copy of an
# audit bundle per case into OUTDIR as NAME.json, and OUTDIR/expect.txt with
# a line "NAME<TAB>fragment of the error parley audit must print". FORKED is
# a bundle of a copy of the first party's node that signed another history
# of the same size as BUNDLE's latest checkpoint.
# (python3 is there wherever meson is.)
import base64, copy, json, os, sys

src, otherkey, out, forked = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
b = json.load(open(src))
fk = json.load(open(forked))
A, B = b["parties"][0]["name"], b["parties"][1]["name"]
ab = next(l for l in b["logs"] if l["origin"] == "parley/%s/%s" % (A, B))
ia = b["logs"].index(ab)
ib = 1 - ia
ba = b["logs"][ib]
cases = []

def case(name, expect, f, raw=False):
    d = copy.deepcopy(b)
    r = f(d)
    text = r if raw else json.dumps(d)
    open(os.path.join(out, name + ".json"), "w").write(text)
    cases.append((name, expect))

def L(d): return d["logs"][ia]
def entry_sub(d, i, old, new):
    e = L(d)["entries"][i]
    assert old in e, (old, e)
    L(d)["entries"][i] = e.replace(old, new, 1)
def cosig_flip(d, c):
    line = L(d)["checkpoints"][c]["cosignatures"][0]
    name, sig = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(sig))
    return name, raw

case("dropped-entry", "but the next index is 10", lambda d: L(d)["entries"].pop(10))
case("duplicated-entry", "has index 10 but the next index is 11",
     lambda d: L(d)["entries"].insert(11, L(d)["entries"][10]))
def swap(d):
    e = L(d)["entries"]; e[5], e[6] = e[6], e[5]
case("reordered-entries", "has index 6 but the next index is 5", swap)
case("altered-type", "differs from the root", lambda d: entry_sub(d, 7, "type cyber-incident", "type cyber-incidenx"))
case("altered-body-hash", "differs from the root", lambda d: entry_sub(d, 8, "body sha256:", "body sha256:0"[:12]) or
     L(d)["entries"].__setitem__(8, L(d)["entries"][8][:-3] + ("0" if L(d)["entries"][8][-3] != "0" else "1") + L(d)["entries"][8][-2:]))
case("altered-time", "differs from the root", lambda d: entry_sub(d, 9, "time 2026", "time 2025"))
case("malformed-entry", "envelope line 1", lambda d: entry_sub(d, 3, "parley/1", "parley/2"))
case("non-string-entry", "is not a string", lambda d: L(d)["entries"].__setitem__(4, 4))
case("truncated-log", "is beyond the entries in the bundle", lambda d: L(d).__setitem__("entries", L(d)["entries"][:-3]))
case("entry-after-last-checkpoint", "but the last checkpoint covers",
     lambda d: L(d)["entries"].append(L(d)["entries"][-1]))
def sig_alter(d):
    n = L(d)["checkpoints"][0]["note"]
    head, sig = n.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(sig)); raw[10] ^= 1
    L(d)["checkpoints"][0]["note"] = head + " " + base64.b64encode(bytes(raw)).decode() + "\n"
case("altered-checkpoint-signature", "is not a checkpoint of this log signed by", sig_alter)
def root_alter(d):
    n = L(d)["checkpoints"][0]["note"].split("\n")
    n[2] = ("A" if n[2][0] != "A" else "B") + n[2][1:]
    L(d)["checkpoints"][0]["note"] = "\n".join(n)
case("altered-checkpoint-root", "is not a checkpoint of this log signed by", root_alter)
case("checkpoint-of-other-log", "is not a checkpoint of this log signed by",
     lambda d: L(d)["checkpoints"].__setitem__(0, d["logs"][ib]["checkpoints"][0]))
def reorder_cps(d):
    c = L(d)["checkpoints"]; c[0], c[1] = c[1], c[0]
case("reordered-checkpoints", "out of order", reorder_cps)
case("missing-checkpoint-note", "has no note or cosignatures", lambda d: L(d)["checkpoints"][0].pop("note"))
def forged_receipt(d):
    name, raw = cosig_flip(d, 0); raw[-5] ^= 1
    L(d)["checkpoints"][0]["cosignatures"][0] = name + " " + base64.b64encode(bytes(raw)).decode()
case("forged-receipt", "is not %s's cosignature" % B, forged_receipt)
def backdated_receipt(d):
    name, raw = cosig_flip(d, 0)
    t = int.from_bytes(raw[4:12], "big") - 86400
    raw[4:12] = t.to_bytes(8, "big")
    L(d)["checkpoints"][0]["cosignatures"][0] = name + " " + base64.b64encode(bytes(raw)).decode()
case("backdated-receipt", "is not %s's cosignature" % B, backdated_receipt)
def receipt_by_sender(d):
    n = L(d)["checkpoints"][0]["note"]
    L(d)["checkpoints"][0]["cosignatures"][0] = n.rstrip("\n").rsplit("\n", 1)[1]
case("receipt-by-the-sender", "is not %s's cosignature" % B, receipt_by_sender)
case("receipt-of-another-checkpoint", "is not %s's cosignature" % B,
     lambda d: L(d)["checkpoints"][0]["cosignatures"].__setitem__(0, L(d)["checkpoints"][1]["cosignatures"][0]))
def keyswap_b(d):
    d["parties"][1]["key"] = otherkey
case("receiver-key-swapped", "no valid Ed25519 verifier key for its name", keyswap_b)
def keyswap_a(d):
    k = d["parties"][0]["key"]; d["parties"][0]["key"] = d["parties"][1]["key"]
case("sender-key-swapped", "no valid Ed25519 verifier key for its name", keyswap_a)
case("one-party", "two parties", lambda d: d["parties"].pop(1))
case("wrong-magic", "parley-audit/1", lambda d: d.__setitem__("bundle", "parley-audit/2"))
case("not-json", "not JSON", lambda d: "{\"bundle\": ", raw=True)
def charter_altered(d):
    # the charter is in both logs, so the bundle holds it twice
    d["charters"] = [c.replace("Standard charter", "Standard charteR") for c in d["charters"]]
    assert all("charteR" in c for c in d["charters"])
case("charter-altered", "no charter with its hash is in the bundle", charter_altered)
case("charter-missing", "no charter with its hash is in the bundle", lambda d: d.__setitem__("charters", []))
case("origin-of-strangers", "is not a log between the bundle's two parties",
     lambda d: L(d).__setitem__("origin", "parley/x.example/y.example"))
case("origin-reversed", "is not a checkpoint of this log signed by",
     lambda d: L(d).__setitem__("origin", "parley/%s/%s" % (B, A)))
case("three-logs", "at most two logs", lambda d: d["logs"].append(d["logs"][0]))
# The first party signed two different trees of the same size.
def fork_after(d):
    other = next(l for l in fk["logs"] if l["origin"] == L(d)["origin"])
    L(d)["checkpoints"].append(other["checkpoints"][-1])
case("forked-checkpoints", "FORK: %s signed two different trees of size" % A, fork_after)
def fork_instead(d):
    other = next(l for l in fk["logs"] if l["origin"] == L(d)["origin"])
    L(d)["checkpoints"][-1] = other["checkpoints"][-1]
case("forked-checkpoint-over-our-entries", "differs from the root", fork_instead)
def forked_entry(d):
    other = next(l for l in fk["logs"] if l["origin"] == L(d)["origin"])
    assert other["entries"][-1] != L(d)["entries"][-1]
    L(d)["entries"][-1] = other["entries"][-1]
case("forked-entry-under-our-checkpoint", "differs from the root", forked_entry)
# Evidence a receiver kept: it must be the sender's and contradict the log.
case("evidence-of-a-fork", "(%s kept the other one as evidence)" % B,
     lambda d: L(d).__setitem__("evidence", [next(l for l in fk["logs"] if l["origin"] == L(d)["origin"])["checkpoints"][-1]["note"]]))
case("evidence-that-agrees", "agrees with the log: it proves nothing",
     lambda d: L(d).__setitem__("evidence", [L(d)["checkpoints"][0]["note"]]))
case("evidence-of-another-log", "evidence 0 is not a checkpoint of this log signed by",
     lambda d: L(d).__setitem__("evidence", [d["logs"][ib]["checkpoints"][0]["note"]]))
# Register records: the bodies of register entries travel in the bundle.
assert b["registers"], "the demo imports a register"
case("register-records-missing", "is a register entry, but no register record with its hash is in the bundle",
     lambda d: d.__setitem__("registers", []))
def register_altered(d):
    d["registers"] = [r.replace('"answered":true', '"answered":false', 1) for r in d["registers"]]
    assert any('"answered":false' in r for r in d["registers"])
case("register-record-altered", "no register record with its hash is in the bundle", register_altered)
case("registers-not-strings", "\"registers\" must hold strings", lambda d: d["registers"].append(7))
case("registers-not-an-array", "\"charters\" and \"registers\" must be arrays",
     lambda d: d.__setitem__("registers", {}))
case("period-not-a-time", "period.from is not a time",
     lambda d: d.__setitem__("period", {"from": "last spring", "to": None}))
case("period-backwards", "the period ends before it starts",
     lambda d: d.__setitem__("period", {"from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}))
case("period-unknown-key", "unknown key 'until'",
     lambda d: d.__setitem__("period", {"until": "2026-01-01T00:00:00Z"}))
with open(os.path.join(out, "expect.txt"), "w") as f:
    for n, e in cases:
        f.write("%s\t%s\n" % (n, e))
print(len(cases), "corrupted bundles")
