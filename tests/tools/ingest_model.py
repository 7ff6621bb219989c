#!/usr/bin/python3
"""ingest_model.py - test helper: an independent model of what `sismo ingest` must publish
for a sequence of feeds (one poll each), written from docs/INGEST.md without sismo's code,
and a checker that compares a topic with it message by message.

usage: ingest_model.py expect FILE...                 expected messages, "key<TAB>value|null"
       ingest_model.py check BOOTSTRAP TOPIC FILE...  read the whole topic and compare
       ingest_model.py dump BOOTSTRAP TOPIC           print "partition offset key value"
       ingest_model.py count BOOTSTRAP TOPIC          print the number of messages

`check` passes when, for every key, the sequence of values (and tombstones) in the topic is
exactly the expected one, values compared field by field after JSON parsing; it also
asserts that no (id, actualizado) pair appears twice. It prints one summary line.
"""
import json
import re
import sys
from datetime import datetime, timedelta, timezone

ID_RE = re.compile(r"^[\x21-\x2b\x2d-\x7e]{1,128}$")  # printable ASCII, no space, no comma
# Times a record can carry (four-digit years): 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z
TIME_MIN_MS, TIME_MAX_MS = -62167219200000, 253402300799999
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso(ms):
    dt = EPOCH + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_ms(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and abs(v) <= 9.2e15:
        return int(round(v))
    return None


def convert(f):
    """Returns (record, None) or (None, reason) for one feature."""
    if not isinstance(f, dict):
        return None, "not an object"
    fid = f.get("id")
    if not isinstance(fid, str) or not ID_RE.match(fid):
        return None, "bad id"
    p = f.get("properties")
    if not isinstance(p, dict):
        return None, "no properties"
    if p.get("time") is None or as_ms(p["time"]) is None:
        return None, "bad time"
    t = as_ms(p["time"])
    if not TIME_MIN_MS <= t <= TIME_MAX_MS:
        return None, "time out of range"
    u = t
    if p.get("updated") is not None:
        u = as_ms(p["updated"])
        if u is None:
            return None, "bad updated"
        if not TIME_MIN_MS <= u <= TIME_MAX_MS:
            return None, "updated out of range"
    g = f.get("geometry")
    c = g.get("coordinates") if isinstance(g, dict) else None
    if not isinstance(c, list) or len(c) < 2 or not is_num(c[0]) or not is_num(c[1]):
        return None, "bad coordinates"
    lon, lat = c[0], c[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None, "coordinates out of range"
    depth = c[2] if len(c) > 2 else None
    if depth is not None and not is_num(depth):
        return None, "bad depth"
    mag = p.get("mag")
    if mag is not None and not is_num(mag):
        return None, "bad mag"
    ts = p.get("tsunami")
    if ts is not None and not isinstance(ts, (bool, int, float)):
        return None, "bad tsunami"
    strs = {}
    for k in ("place", "type", "status", "alert", "magType", "url"):
        v = p.get(k)
        if v is not None and not isinstance(v, str):
            return None, f"bad {k}"
        strs[k] = v
    ids_raw = p.get("ids")
    if ids_raw is not None and not isinstance(ids_raw, str):
        return None, "bad ids"
    ids = []
    for i in (ids_raw or "").split(","):
        if ID_RE.match(i) and i not in ids:
            ids.append(i)
    if not ids:
        ids = [fid]
    status = strs["status"]
    rec = {
        "id": fid,
        "magnitud": mag,
        "lugar": strs["place"],
        "latitud": lat,
        "longitud": lon,
        "profundidad_km": depth,
        "timestamp": iso(t),
        "tsunami": bool(ts),
        "actualizado": iso(u),
        "tipo": strs["type"],
        "estado": status.lower() if status is not None else None,
        "alerta": strs["alert"],
        "tipo_magnitud": strs["magType"],
        "url": strs["url"],
        "ids": ids,
    }
    return (rec, u), None


class Model:
    """Rules of docs/INGEST.md ("What gets published")."""

    def __init__(self):
        self.updated = {}  # key -> updated of the last value under it
        self.live = {}     # key -> True if it holds a value
        self.alias = {}    # id -> key whose ids list it
        self.out = []      # (key, record or None)
        self.skipped = 0

    def poll(self, features):
        recs = []
        for f in features:
            r, why = convert(f)
            if r is None:
                self.skipped += 1
            else:
                recs.append(r)
        # Rule 1: duplicates (newest updated wins, first on ties), then in-feed supersession.
        by_id, drop = {}, set()
        for i, (rec, u) in enumerate(recs):
            j = by_id.get(rec["id"])
            if j is None:
                by_id[rec["id"]] = i
            elif u > recs[j][1]:
                drop.add(j)
                by_id[rec["id"]] = i
            else:
                drop.add(i)
        for i, (y, uy) in enumerate(recs):
            if i in drop:
                continue
            for k in y["ids"]:
                if k == y["id"] or k not in by_id or by_id[k] in drop:
                    continue
                j = by_id[k]
                x, ux = recs[j]
                if y["id"] in x["ids"] and (ux, x["id"]) > (uy, y["id"]):
                    drop.add(i)
                    break
                drop.add(j)
        for i, (rec, u) in enumerate(recs):
            if i not in drop:
                self.decide(rec, u)

    def holds_value(self, k):
        return k in self.updated and self.live.get(k, False)

    def decide(self, rec, u):
        x = rec["id"]
        known = x in self.updated
        live = self.holds_value(x)
        owner = self.alias.get(x)
        if not live and owner and owner != x and self.holds_value(owner):
            if not (owner in rec["ids"] and u > self.updated[owner]):
                return  # rule 4: an older id of a live event
        publish = not known or u > self.updated[x]
        if not publish and not live:
            return
        if publish:
            self.out.append((x, rec))
            self.updated[x] = max(u, self.updated.get(x, u))
            self.live[x] = True
            for k in rec["ids"]:
                if k != x:
                    self.alias[k] = x
        for k in rec["ids"]:
            if k != x and self.holds_value(k):
                self.out.append((k, None))
                self.live[k] = False


def expect(files):
    m = Model()
    for path in files:
        with open(path, encoding="utf-8") as f:
            m.poll(json.load(f).get("features", []))
    return m


def read_topic(bootstrap, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "ingest-model-check",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    ends = {}
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        ends[p] = (lo, hi)
    todo = {p for p in parts if ends[p][1] > ends[p][0]}
    c.assign([TopicPartition(topic, p, ends[p][0]) for p in parts])
    msgs = []
    idle = 0
    while todo and idle < 100:
        m = c.poll(0.1)
        if m is None:
            idle += 1
            continue
        idle = 0
        if m.error():
            continue
        p = m.partition()
        if p in todo and m.offset() < ends[p][1]:
            key = m.key().decode() if m.key() is not None else None
            val = m.value()
            msgs.append((p, m.offset(), key, json.loads(val) if val is not None else None))
            if m.offset() + 1 >= ends[p][1]:
                todo.discard(p)
    c.close()
    if todo:
        sys.exit(f"ingest_model: could not read partitions {sorted(todo)} of {topic} to their end")
    msgs.sort(key=lambda x: (x[0], x[1]))
    return msgs


def check(bootstrap, topic, files):
    m = expect(files)
    msgs = read_topic(bootstrap, topic)
    errors = []
    # No (id, actualizado) pair twice.
    seen = {}
    for p, o, k, v in msgs:
        if v is None:
            continue
        pair = (k, v.get("actualizado"))
        if pair in seen:
            errors.append(f"duplicate (id, actualizado) {pair} at {seen[pair]} and {(p, o)}")
        seen[pair] = (p, o)
    got, want = {}, {}
    for p, o, k, v in msgs:
        got.setdefault(k, []).append(v)
    for k, v in m.out:
        want.setdefault(k, []).append(v)
    for k in sorted(set(got) | set(want), key=str):
        g, w = got.get(k, []), want.get(k, [])
        if g != w:
            if len(g) != len(w):
                errors.append(f"key {k}: {len(g)} messages in the topic, {len(w)} expected")
            for i, (a, b) in enumerate(zip(g, w)):
                if a != b:
                    if a is None or b is None:
                        errors.append(f"key {k} message {i}: got {a!r}, expected {b!r}")
                    else:
                        diff = {f: (a.get(f), b.get(f)) for f in set(a) | set(b) if a.get(f) != b.get(f)}
                        errors.append(f"key {k} message {i}: fields differ (got, expected): {diff}")
    for e in errors[:20]:
        print("ingest_model: " + e, file=sys.stderr)
    if errors:
        sys.exit(f"ingest_model: {len(errors)} differences between topic {topic} and the expectation")
    values = sum(1 for _, v in m.out if v is not None)
    print(f"{len(msgs)} messages verified: {values} values, {len(m.out) - values} tombstones, "
          f"{len(want)} keys, {m.skipped} invalid features skipped")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "expect":
        for k, v in expect(args).out:
            print(f"{k}\t{json.dumps(v, ensure_ascii=False) if v is not None else 'null'}")
    elif cmd == "check":
        check(args[0], args[1], args[2:])
    elif cmd == "dump":
        for p, o, k, v in read_topic(args[0], args[1]):
            print(p, o, k, json.dumps(v, ensure_ascii=False) if v is not None else "null")
    elif cmd == "count":
        print(len(read_topic(args[0], args[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
