#!/usr/bin/env python3
"""hostile.py — hostile variants of a valid peer batch, and slow clients.

  hostile.py batch IN.json KEYFILE OUTDIR
      writes OUTDIR/NAME.json for every mutation below of the batch IN.json
      (as printed by `parley outbox PEER`); KEYFILE is the sender's
      identity.key, used to re-sign checkpoints whose text is mutated so
      that the refusal tested is the one named, not the signature.
  hostile.py bignest N OUT         a JSON body of N nested arrays
  hostile.py slow MODE HOST PORT PATH CERT KEY OUT
      MODE header: sends the first bytes of a request line very slowly,
      then nothing; MODE body: whole headers of a POST, then the first
      bytes of the body very slowly, then nothing. Writes a JSON result to
      OUT: whether and when the server closed the connection, counted from
      the last byte sent. CERT and KEY may be '-' (no client certificate).
"""
import base64
import hashlib
import json
import os
import socket
import ssl
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def load_key(path):
    # PRIVATE+KEY+<name>+<keyid hex>+<base64(0x01 || seed)>
    line = open(path).read().strip()
    parts = line.split("+", 4)
    name, raw = parts[2], base64.b64decode(parts[4])
    assert raw[0] == 1 and len(raw) == 33, "not an Ed25519 signed-note key"
    sk = Ed25519PrivateKey.from_private_bytes(raw[1:])
    pub = sk.public_key().public_bytes_raw()
    keyid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    return name, sk, keyid


def sign(text, key):
    """A signed note of text (which ends in a newline) by key."""
    name, sk, keyid = key
    sig = sk.sign(text.encode())
    return text + "\n\u2014 " + name + " " + base64.b64encode(keyid + sig).decode() + "\n"


def note_text(note):
    return note.split("\n\n", 1)[0] + "\n"


def mutations(b, key):
    """(name, batch) pairs; each batch is a fresh dict."""
    def cp(**kw):
        x = json.loads(json.dumps(b))
        x.update(kw)
        return x

    text = note_text(b["checkpoint"])
    origin, size, root = text.split("\n")[:3]
    env0 = b["entries"][0]["envelope"]
    out = {}

    def env(mut):
        x = cp()
        x["entries"][0]["envelope"] = mut(env0)
        return x

    def resigned(t, **kw):
        return cp(checkpoint=sign(t, key), **kw)

    # Envelopes (the leaf bytes).
    out["env-unknown-key"] = env(lambda s: s.replace("\nkind ", "\ncolour red\nkind ", 1))
    out["env-order"] = env(lambda s: "\n".join(
        [l for l in s.split("\n") if l.startswith("parley/")]
        + [l for l in s.split("\n") if l.startswith("to ")]
        + [l for l in s.split("\n") if l.startswith("from ")]
        + [l for l in s.split("\n") if not l.startswith(("parley/", "to ", "from "))]))
    out["env-duplicate"] = env(lambda s: s.replace("\nkind ", "\nto b.example\nkind ", 1))
    out["env-control"] = env(lambda s: s.replace("\ntype ", "\ntype \x01", 1))
    out["env-long-line"] = env(lambda s: s.replace("\ntype ", "\ntype " + "x" * 300, 1))
    # (a ping names itself as its case: keep that line consistent)
    out["env-from"] = env(lambda s: s.replace("\nfrom c.example\n", "\nfrom a.example\n", 1)
                          .replace("\ncase c.example/", "\ncase a.example/", 1))
    out["env-index"] = env(lambda s: s.replace("\nindex ", "\nindex 9", 1)
                           .replace("\ncase c.example/", "\ncase c.example/9", 1))
    out["env-version"] = env(lambda s: s.replace("parley/1\n", "parley/9\n", 1))
    out["env-empty"] = env(lambda s: "")
    out["env-too-long"] = env(lambda s: s + "x" * 1100)
    x = cp()
    x["entries"][0]["envelope"] = 17
    out["env-not-string"] = x
    x = cp()
    x["entries"][0]["body"] = base64.b64encode(b'{"subject":"not what was hashed"}').decode()
    out["body-hash"] = x
    # Base64.
    x = cp()
    x["entries"][0]["body"] = "!!!!" + x["entries"][0]["body"]
    out["body-b64-char"] = x
    x = cp()
    x["entries"][0]["body"] = x["entries"][0]["body"].rstrip("=")[:-1]
    out["body-b64-length"] = x
    x = cp()
    x["entries"][0]["body"] = "QUJD\nREVG"
    out["body-b64-newline"] = x
    x = cp()
    x["entries"][0]["body"] = 42
    out["body-not-string"] = x
    out["att-b64"] = cp(attachments=[{"data": "not*base64"}])
    out["att-unnamed"] = cp(attachments=[{"data": base64.b64encode(b"stray file").decode()}])
    out["att-key"] = cp(attachments=[{"data": "QUJD", "name": "x"}])
    out["att-not-array"] = cp(attachments={"data": "QUJD"})
    # Sizes.
    x = cp()
    x["entries"][0]["body"] = base64.b64encode(b"{" + b" " * (1 << 20) + b"}").decode()
    out["body-huge"] = x
    out["att-huge"] = cp(attachments=[{"data": base64.b64encode(b"\0" * ((4 << 20) + 10)).decode()}])
    # The batch object.
    x = cp()
    del x["checkpoint"]
    out["no-checkpoint"] = x
    out["unknown-key"] = cp(extra=1)
    out["origin-not-string"] = cp(origin=["parley"])
    out["first-negative"] = cp(first=-1)
    out["first-string"] = cp(first="0")
    out["first-float"] = cp(first=1.5)
    out["entries-object"] = cp(entries={"0": b["entries"][0]})
    out["entry-not-object"] = cp(entries=["parley/1"])
    x = cp()
    x["entries"][0]["colour"] = "red"
    out["entry-unknown-key"] = x
    out["too-many-entries"] = cp(entries=[b["entries"][0]] * 1001)
    out["checkpoint-not-string"] = cp(checkpoint={"note": b["checkpoint"]})
    out["checkpoint-huge"] = cp(checkpoint=b["checkpoint"] + "x" * 70000)
    out["origin-nested"] = cp(origin=json.loads("[" * 500 + "]" * 500))
    # Notes: signature problems (not re-signed).
    out["note-tampered"] = cp(checkpoint=b["checkpoint"].replace(
        "\n" + size + "\n", "\n" + str(int(size) + 1) + "\n", 1))
    out["note-unsigned"] = cp(checkpoint=text + "\n")
    out["note-no-blank"] = cp(checkpoint=b["checkpoint"].replace("\n\n", "\n", 1))
    sigline = b["checkpoint"].split("\n\n", 1)[1]
    out["note-sig-b64"] = cp(checkpoint=text + "\n" + sigline.rsplit(" ", 1)[0] + " %%%%\n")
    other = ("a.example", Ed25519PrivateKey.generate(), b"\x00\x01\x02\x03")
    pub = other[1].public_key().public_bytes_raw()
    other = (other[0], other[1], hashlib.sha256(b"a.example\n\x01" + pub).digest()[:4])
    out["note-other-signer"] = cp(checkpoint=sign(text, other))
    forged = (key[0], Ed25519PrivateKey.generate(), key[2])  # our key id, another key
    out["note-wrong-key"] = cp(checkpoint=sign(text, forged))
    # Notes: well signed, wrong content.
    out["cp-size-text"] = resigned("%s\ntwelve\n%s\n" % (origin, root))
    out["cp-root-b64"] = resigned("%s\n%s\n%s\n" % (origin, size, "@@@@" + root[4:]))
    out["cp-extension"] = resigned(text + "note: extra\n")
    out["cp-origin"] = resigned("parley/c.example/a.example\n%s\n%s\n" % (size, root))
    out["cp-size"] = resigned("%s\n%d\n%s\n" % (origin, int(size) + 2, root))
    out["cp-root"] = resigned("%s\n%s\n%s\n" % (
        origin, size, base64.b64encode(hashlib.sha256(b"another tree").digest()).decode()))
    # Origins.
    out["origin-unknown-receiver"] = resigned(
        "parley/c.example/z.example\n%s\n%s\n" % (size, root), origin="parley/c.example/z.example")
    out["origin-extra-part"] = cp(origin="parley/c.example/b.example/x")
    out["origin-empty-receiver"] = cp(origin="parley/c.example/")
    out["origin-other-sender"] = cp(origin="parley/a.example/b.example")
    # Only the checkpoint of the batch (no entries): see hostile.sh.
    out["cp-only"] = cp(first=int(size), entries=[])
    return out


def cmd_batch(inp, keyfile, outdir):
    b = json.load(open(inp))
    key = load_key(keyfile)
    os.makedirs(outdir, exist_ok=True)
    for name, x in mutations(b, key).items():
        with open(os.path.join(outdir, name + ".json"), "w") as f:
            json.dump(x, f, separators=(",", ":"))
    # Bytes that are no JSON at all, or broken JSON.
    raw = open(inp, "rb").read()
    extra = {
        "not-json": b"this is not JSON",
        "truncated": raw[: len(raw) // 2],
        "array": b"[" + raw + b"]",
        "duplicate-key": raw.replace(b"{", b'{"first":0,', 1),
        "bad-utf8": raw.replace(b'"origin":"', b'"origin":"\xff\xfe', 1),
        "nul": raw.replace(b'"origin":"', b'"origin":"\\u0000', 1),
        "deep": b"[" * 100000 + b"]" * 100000,
        "deep-object": b'{"a":' * 5000 + b"1" + b"}" * 5000,
        "empty": b"",
    }
    for name, data in extra.items():
        with open(os.path.join(outdir, name + ".json"), "wb") as f:
            f.write(data)


def cmd_slow(mode, host, port, path, cert, key, out):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert != "-":
        ctx.load_cert_chain(cert, key)
    res = {"mode": mode, "closed": False}
    t0 = time.monotonic()
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10))
    if mode == "trickle":  # a body byte every 5 s, never silent for long
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: 100000\r\n\r\n" % path).encode())
        s.settimeout(5)
        try:
            while time.monotonic() - t0 < 100:
                s.sendall(b" ")
                try:
                    if not s.recv(4096):
                        break
                except socket.timeout:
                    pass
        except (ssl.SSLError, ConnectionError, BrokenPipeError) as ex:
            res["error"] = type(ex).__name__
        res["closed"] = time.monotonic() - t0 < 100
        res["total_s"] = round(time.monotonic() - t0, 1)
        res["idle_s"] = 0
        with open(out, "w") as f:
            json.dump(res, f)
        return
    if mode == "header":
        head, slow = b"", ("GET %s HTTP/1.1\r\nHost: x\r\n" % path).encode()[:12]
    else:
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 100000\r\n\r\n" % path).encode()
        slow = b'{"origin":"'
    if head:
        s.sendall(head)
    for i in range(len(slow)):  # one byte every 0.4 s, then silence
        s.sendall(slow[i:i + 1])
        time.sleep(0.4)
    last = time.monotonic()
    s.settimeout(55)
    got = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except (ssl.SSLError, ConnectionError) as ex:
        res["error"] = type(ex).__name__
    except socket.timeout:
        res["timeout"] = True
    else:
        res["closed"] = True
    if "error" in res:
        res["closed"] = True
    res["idle_s"] = round(time.monotonic() - last, 1)
    res["total_s"] = round(time.monotonic() - t0, 1)
    res["response"] = got[:200].decode("utf-8", "replace")
    with open(out, "w") as f:
        json.dump(res, f)


def main():
    a = sys.argv[1:]
    if a and a[0] == "batch" and len(a) == 4:
        cmd_batch(*a[1:])
    elif a and a[0] == "bignest" and len(a) == 3:
        open(a[2], "wb").write(b"[" * int(a[1]) + b"]" * int(a[1]))
    elif a and a[0] == "slow" and len(a) == 8:
        cmd_slow(*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
