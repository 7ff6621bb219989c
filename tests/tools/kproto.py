#!/usr/bin/python3
"""kproto.py - test helper: an independent, schema-driven Kafka protocol codec.

Encodes requests and decodes responses of any API and version straight from Apache
Kafka's JSON message schemas (../shared/reference/kafka-protocol/messages), so that tests
can exercise every version sismo advertises - including flexible ones no installed client
sends - with a codec that shares no code with sismo's.

    s = Schemas(dir)
    frame = s.encode_request("Metadata", 12, corr_id, {"Topics": None, ...})
    hdr, body = s.decode_response("Metadata", 12, frame_without_size)

Values are plain dicts keyed by the schema's field names; missing fields take the schema
default. decode_response() raises if the bytes do not match the schema exactly (bytes left
over, truncated fields, bad lengths).
"""
import json
import os
import struct
import uuid as uuidlib


def _versions(spec):
    """'3+' -> (3, None); '1-4' -> (1, 4); '2' -> (2, 2); 'none' -> None"""
    if spec is None or spec == "none":
        return None
    if spec.endswith("+"):
        return (int(spec[:-1]), None)
    if "-" in spec:
        a, b = spec.split("-")
        return (int(a), int(b))
    return (int(spec), int(spec))


def _in(rng, v):
    return rng is not None and v >= rng[0] and (rng[1] is None or v <= rng[1])


def load_schema(path):
    with open(path) as f:
        text = "\n".join(l for l in f.read().split("\n") if not l.strip().startswith("//"))
    return json.loads(text)


class Writer:
    def __init__(self):
        self.b = bytearray()

    def raw(self, b):
        self.b += b

    def uvarint(self, n):
        while n >= 0x80:
            self.b.append((n & 0x7F) | 0x80)
            n >>= 7
        self.b.append(n)


class Reader:
    def __init__(self, data):
        self.d = bytes(data)
        self.p = 0

    def take(self, n, what):
        if n < 0 or self.p + n > len(self.d):
            raise ValueError("truncated reading %s at byte %d (need %d, have %d)"
                             % (what, self.p, n, len(self.d) - self.p))
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def uvarint(self):
        n = shift = 0
        for _ in range(5):
            c = self.take(1, "uvarint")[0]
            n |= (c & 0x7F) << shift
            if not c & 0x80:
                return n
            shift += 7
        raise ValueError("uvarint too long")


FIXED = {"bool": ">?", "int8": ">b", "int16": ">h", "int32": ">i", "int64": ">q",
         "uint16": ">H", "uint32": ">I", "float64": ">d"}


class Message:
    def __init__(self, schema):
        self.schema = schema
        self.flex = _versions(schema.get("flexibleVersions"))
        self.structs = {s["name"]: s["fields"] for s in schema.get("commonStructs", [])}

    def is_flexible(self, v):
        return _in(self.flex, v)

    # -- helpers --
    def _fields_of(self, f):
        if "fields" in f:
            return f["fields"]
        t = f["type"][2:] if f["type"].startswith("[]") else f["type"]
        return self.structs.get(t)

    def _default(self, f, v):
        t = f["type"]
        if _in(_versions(f.get("nullableVersions")), v) and f.get("default") == "null":
            return None
        if t.startswith("[]"):
            return []
        if t in FIXED:
            d = f.get("default")
            if d is None:
                return False if t == "bool" else 0
            if t == "bool":
                return d in (True, "true")
            return int(d, 0) if isinstance(d, str) else d
        if t == "string":
            d = f.get("default")
            return "" if d in (None, "null") else d
        if t in ("bytes", "records"):
            return b""
        if t == "uuid":
            return b"\0" * 16
        fields = self._fields_of(f)
        return {sf["name"]: self._default(sf, v) for sf in fields if _in(_versions(sf["versions"]), v)}

    # -- encoding --
    def encode(self, value, v, flexible=None):
        w = Writer()
        flex = self.is_flexible(v) if flexible is None else flexible
        self._enc_struct(w, self.schema["fields"], value, v, flex)
        return bytes(w.b)

    def _enc_struct(self, w, fields, value, v, flex):
        tagged = []
        for f in fields:
            if not _in(_versions(f["versions"]), v):
                continue
            val = value.get(f["name"], self._default(f, v)) if value is not None else self._default(f, v)
            if flex and _in(_versions(f.get("taggedVersions")), v):
                if f["name"] in (value or {}):
                    sub = Writer()
                    self._enc_value(sub, f, val, v, flex)
                    tagged.append((f["tag"], bytes(sub.b)))
                continue
            self._enc_value(w, f, val, v, flex)
        if flex:
            w.uvarint(len(tagged))
            for tag, data in sorted(tagged):
                w.uvarint(tag)
                w.uvarint(len(data))
                w.raw(data)

    def _enc_len(self, w, n, flex, classic):
        if flex:
            w.uvarint(n + 1)
        else:
            w.raw(struct.pack(classic, n))

    def _enc_value(self, w, f, val, v, flex):
        t = f["type"]
        fflex = flex and f.get("flexibleVersions") != "none"
        if t in FIXED:
            w.raw(struct.pack(FIXED[t], val))
        elif t == "uuid":
            w.raw(val if isinstance(val, bytes) else uuidlib.UUID(val).bytes)
        elif t == "string":
            if val is None:
                self._enc_len(w, -1, fflex, ">h")
            else:
                b = val.encode() if isinstance(val, str) else val
                self._enc_len(w, len(b), fflex, ">h")
                w.raw(b)
        elif t in ("bytes", "records"):
            if val is None:
                self._enc_len(w, -1, fflex, ">i")
            else:
                self._enc_len(w, len(val), fflex, ">i")
                w.raw(val)
        elif t.startswith("[]"):
            if val is None:
                self._enc_len(w, -1, fflex, ">i")
                return
            self._enc_len(w, len(val), fflex, ">i")
            et = t[2:]
            for e in val:
                if et in FIXED or et in ("string", "bytes", "uuid"):
                    self._enc_value(w, {"type": et}, e, v, flex)
                else:
                    self._enc_struct(w, self._fields_of(f), e, v, flex)
        else:
            self._enc_struct(w, self._fields_of(f), val, v, flex)

    # -- decoding --
    def decode(self, data, v, flexible=None):
        r = Reader(data)
        flex = self.is_flexible(v) if flexible is None else flexible
        out = self._dec_struct(r, self.schema["fields"], v, flex)
        if r.p != len(r.d):
            raise ValueError("%d bytes left after decoding %s v%d"
                             % (len(r.d) - r.p, self.schema["name"], v))
        return out

    def _dec_struct(self, r, fields, v, flex):
        out = {}
        bytag = {}
        for f in fields:
            if not _in(_versions(f["versions"]), v):
                continue
            if flex and _in(_versions(f.get("taggedVersions")), v):
                bytag[f["tag"]] = f
                out[f["name"]] = self._default(f, v)
                continue
            out[f["name"]] = self._dec_value(r, f, v, flex)
        if flex:
            for _ in range(r.uvarint()):
                tag = r.uvarint()
                size = r.uvarint()
                data = r.take(size, "tagged field")
                if tag in bytag:
                    sub = Reader(data)
                    out[bytag[tag]["name"]] = self._dec_value(sub, bytag[tag], v, flex)
                    if sub.p != len(data):
                        raise ValueError("tagged field %d has extra bytes" % tag)
        return out

    def _dec_len(self, r, flex, classic, size):
        if flex:
            return r.uvarint() - 1
        return struct.unpack(classic, r.take(size, "length"))[0]

    def _dec_value(self, r, f, v, flex):
        t = f["type"]
        fflex = flex and f.get("flexibleVersions") != "none"
        nullable = _in(_versions(f.get("nullableVersions")), v)
        if t in FIXED:
            return struct.unpack(FIXED[t], r.take(struct.calcsize(FIXED[t]), f.get("name", t)))[0]
        if t == "uuid":
            return r.take(16, "uuid")
        if t in ("string", "bytes", "records"):
            n = self._dec_len(r, fflex, ">h" if t == "string" else ">i", 2 if t == "string" else 4)
            if n == -1:
                if not nullable and t == "string":
                    raise ValueError("null in non-nullable %s" % f.get("name"))
                return None
            if n < -1:
                raise ValueError("bad length %d for %s" % (n, f.get("name")))
            b = r.take(n, f.get("name", t))
            return b.decode() if t == "string" else b
        if t.startswith("[]"):
            n = self._dec_len(r, fflex, ">i", 4)
            if n == -1:
                if not nullable:
                    raise ValueError("null array %s" % f.get("name"))
                return None
            et = t[2:]
            if et in FIXED or et in ("string", "bytes", "uuid"):
                return [self._dec_value(r, {"type": et, "name": f.get("name")}, v, flex) for _ in range(n)]
            return [self._dec_struct(r, self._fields_of(f), v, flex) for _ in range(n)]
        return self._dec_struct(r, self._fields_of(f), v, flex)


class Schemas:
    def __init__(self, directory):
        self.dir = directory
        self.cache = {}

    def msg(self, name):
        if name not in self.cache:
            self.cache[name] = Message(load_schema(os.path.join(self.dir, name + ".json")))
        return self.cache[name]

    def encode_request(self, api, version, corr, body, client_id="kproto"):
        req = self.msg(api + "Request")
        flex = req.is_flexible(version)
        hdr = self.msg("RequestHeader").encode(
            {"RequestApiKey": req.schema["apiKey"], "RequestApiVersion": version,
             "CorrelationId": corr, "ClientId": client_id}, 2 if flex else 1, flexible=flex)
        payload = hdr + req.encode(body, version)
        return struct.pack(">i", len(payload)) + payload

    def decode_response(self, api, version, data):
        resp = self.msg(api + "Response")
        flex = resp.is_flexible(version) and api != "ApiVersions"
        r = Reader(data)
        corr = struct.unpack(">i", r.take(4, "CorrelationId"))[0]
        if flex:
            for _ in range(r.uvarint()):
                r.uvarint()
                r.take(r.uvarint(), "header tag")
        return corr, resp.decode(data[r.p:], version)


def api_versions_v0(sock, corr):
    """A hand-rolled ApiVersions v0 round trip on a connected socket (no schemas needed): a
    liveness probe. Returns True when answered with ErrorCode 0 for corr, False if the
    connection closed before an answer; raises AssertionError on a malformed answer."""
    body = struct.pack(">hhih", 18, 0, corr, -1)
    sock.sendall(struct.pack(">i", len(body)) + body)
    hdr = b""
    while len(hdr) < 4:
        chunk = sock.recv(4 - len(hdr))
        if not chunk:
            return False
        hdr += chunk
    n = struct.unpack(">i", hdr)[0]
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "short ApiVersions answer"
        data += chunk
    assert struct.unpack(">ih", data[:6]) == (corr, 0), data[:6]
    return True


def crc32c(data, crc=0):
    if not hasattr(crc32c, "table"):
        t = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
            t.append(c)
        crc32c.table = t
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = crc32c.table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _zz(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def record_batch(records, base_ts, producer_id=-1, epoch=-1, base_seq=-1):
    """A RecordBatch v2 (uncompressed, CreateTime) holding [(key, value), ...]."""
    body = bytearray()
    for i, (k, val) in enumerate(records):
        rec = bytearray(b"\0") + _zz(0) + _zz(i)
        rec += _zz(-1) if k is None else _zz(len(k)) + k
        rec += _zz(-1) if val is None else _zz(len(val)) + val
        rec += _zz(0)
        body += _zz(len(rec)) + rec
    n = len(records)
    after_crc = struct.pack(">hiqqqhii", 0, n - 1, base_ts, base_ts, producer_id, epoch,
                            base_seq, n) + bytes(body)
    crc = crc32c(after_crc)
    head = struct.pack(">iBI", -1, 2, crc)
    return struct.pack(">qi", 0, len(head) + len(after_crc)) + head + after_crc


def parse_batches(data):
    """[(base_offset, [(key, value), ...]), ...] of the whole batches in data."""
    out = []
    p = 0
    while p + 61 <= len(data):
        base, length = struct.unpack(">qi", data[p:p + 12])
        if p + 12 + length > len(data):
            break
        batch = data[p:p + 12 + length]
        count = struct.unpack(">i", batch[57:61])[0]
        r = Reader(batch[61:])

        def varint():
            n = shift = 0
            while True:
                c = r.take(1, "varint")[0]
                n |= (c & 0x7F) << shift
                shift += 7
                if not c & 0x80:
                    return (n >> 1) ^ -(n & 1)
        recs = []
        for _ in range(count):
            varint()
            r.take(1, "attrs")
            varint()
            varint()
            kl = varint()
            k = None if kl < 0 else r.take(kl, "key")
            vl = varint()
            val = None if vl < 0 else r.take(vl, "value")
            for _ in range(varint()):
                r.take(varint(), "hkey")
                hl = varint()
                if hl > 0:
                    r.take(hl, "hval")
            recs.append((k, val))
        out.append((base, recs))
        p += 12 + length
    return out
