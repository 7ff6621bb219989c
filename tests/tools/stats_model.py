#!/usr/bin/python3
"""stats_model.py - test helper: an independent model of `sismo stats` window semantics
(docs/STATS.md), written without sismo's code, and a checker that compares what
`sismo stats` published to its results topic with the model's values.

usage:
  stats_model.py produce BOOTSTRAP TOPIC FILE...
      produce the messages of FILEs in order (key = id; .geojson through usgs2sismos.py's
      converter, .tsv as 'key<TAB>value' lines where value 'null' is a tombstone)
  stats_model.py check BOOTSTRAP RESULTS_TOPIC [options] FILE...
      options: --window D --slide D --watermark D --by-region --mode update|append
               --late N (expected late events)
      replays FILEs through the model, reads every message of RESULTS_TOPIC, keeps the last
      one per key (compacted-topic semantics) and compares every window: cantidad,
      magnitud_promedio (within 2e-6), magnitud_maxima, magnitud_minima, id_maximo, final,
      region, inicio/fin. Exits 1 listing the differences.
  stats_model.py expect [options] FILE...   print the model's windows (for debugging)
  stats_model.py snapinfo FILE
      decode a stats snapshot per the format table in src/stream/window_snap.c and print
      'records=N batch=N positions=TOPIC:PARTITION:OFFSET,...' (checks magic and CRC)

Semantics modelled: windows [s, s+size) with s a multiple of slide (floor division);
watermark = max event time - delay, advanced after each record; a window is closed when its
end <= watermark; an event with no open window is late; a record for a known key first
removes that key's contribution from its open windows; a tombstone removes it; an event
whose `ids` list names another known key removes that key's contribution; closed windows
never change. Max ties: earlier time, then smaller key.
"""
import json
import os
import re
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import usgs2sismos  # noqa: E402

# The region table of docs/STATS.md, in order; first match wins, edges included.
REGIONS = [
    ("Alaska", 51, 72, -180, -129), ("Alaska", 50, 56, 165, 180),
    ("Hawaii", 18, 23, -161, -154), ("California & Nevada", 32, 42, -125, -114),
    ("Pacific Northwest", 42, 50, -130, -116), ("Mexico & Central America", 7, 32, -118, -77),
    ("Caribbean", 9, 27, -77, -59), ("North America (other)", 24, 84, -170, -50),
    ("South America", -60, 13, -92, -30), ("Japan & Kuril Islands", 24, 51, 128, 165),
    ("Indonesia & Philippines", -11, 21, 94, 141), ("South Pacific", -60, 0, 141, 180),
    ("South Pacific", -60, 0, -180, -165), ("Mediterranean & Middle East", 28, 48, -10, 63),
    ("Europe (other)", 35, 72, -25, 45), ("Asia (other)", 0, 80, 45, 180),
    ("Africa", -35, 37, -20, 52),
]


def region_of(lat, lon):
    for name, a, b, c, d in REGIONS:
        if a <= lat <= b and c <= lon <= d:
            return name
    return "Other"


def duration(s):
    m = re.fullmatch(r"([0-9.]+)(ms|s|m|min|h|d)?", s)
    mult = {"ms": 1, "s": 1000, None: 1000, "m": 60000, "min": 60000, "h": 3600000,
            "d": 86400000}[m.group(2)]
    return int(round(float(m.group(1)) * mult))


def parse_iso(s):
    dt = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    delta = dt - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def iso(ms):
    days, rem = divmod(ms, 86400000)
    dt = datetime.fromordinal(719163 + days)
    h, rem = divmod(rem, 3600000)
    mi, rem = divmod(rem, 60000)
    sec, msec = divmod(rem, 1000)
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{h:02d}:{mi:02d}:{sec:02d}.{msec:03d}Z"


def messages(paths):
    """Yields (key, value-dict-or-None, raw-value-string-or-None) in production order."""
    for path in paths:
        if path.endswith(".tsv"):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    key, _, value = line.rstrip("\n").partition("\t")
                    if value == "null":
                        yield key, None, None
                    else:
                        yield key, json.loads(value), value
        else:
            for key, value in usgs2sismos.messages(path):
                yield key, json.loads(value), value


class Model:
    def __init__(self, size, slide, delay, by_region):
        self.size, self.slide, self.delay, self.by_region = size, slide, delay, by_region
        self.entries = {}   # key -> (t, mag or None, region, set of open window ids)
        self.windows = {}   # (start, region) -> set of keys (open windows)
        self.final = {}     # (start, region) -> result, closed windows
        self.max_time = None
        self.late = 0

    def wm(self):
        return None if self.max_time is None else self.max_time - self.delay

    def is_closed(self, start):
        wm = self.wm()
        return wm is not None and start + self.size <= wm

    def starts(self, t):
        s = (t // self.slide) * self.slide
        out = []
        while s > t - self.size:
            out.append(s)
            s -= self.slide
        return out

    def retract(self, key):
        t, mag, region, wins = self.entries.pop(key)
        for w in wins:
            self.windows[w].discard(key)

    def apply(self, key, v):
        if v is None:
            if key in self.entries:
                self.retract(key)
            return
        if key in self.entries:
            self.retract(key)
        for other in v.get("ids") or []:
            if other != key and other in self.entries:
                self.retract(other)
        t = parse_iso(v["timestamp"])
        mag = v.get("magnitud")
        region = region_of(v["latitud"], v["longitud"]) if self.by_region else None
        wins = set()
        for s in self.starts(t):
            if not self.is_closed(s):
                w = (s, region)
                self.windows.setdefault(w, set()).add(key)
                wins.add(w)
        if wins:
            self.entries[key] = (t, mag, region, wins)
        else:
            self.late += 1
        if self.max_time is None or t > self.max_time:
            self.max_time = t
            for w in [w for w in self.windows if self.is_closed(w[0])]:
                self.final[w] = self.result(w, True)
                for k in self.windows.pop(w):
                    self.entries[k][3].discard(w)
                    if not self.entries[k][3]:
                        del self.entries[k]

    def result(self, w, final):
        keys = self.windows[w]
        mags = [(self.entries[k][1], self.entries[k][0], k) for k in keys
                if self.entries[k][1] is not None]
        r = {"inicio": iso(w[0]), "fin": iso(w[0] + self.size), "region": w[1],
             "cantidad": len(keys), "final": final}
        if mags:
            best = min(mags, key=lambda m: (-m[0], m[1], m[2]))
            r.update(magnitud_promedio=sum(m[0] for m in mags) / len(mags),
                     magnitud_maxima=best[0], magnitud_minima=min(m[0] for m in mags),
                     id_maximo=best[2])
        else:
            r.update(magnitud_promedio=None, magnitud_maxima=None, magnitud_minima=None,
                     id_maximo=None)
        return r

    def results(self, mode):
        """What the results topic must hold, last message per key."""
        out = {}
        for w, r in self.final.items():
            if mode == "update" or r["cantidad"] > 0:
                out[w] = r
        if mode == "update":
            for w in self.windows:
                out[w] = self.result(w, False)
        return {(iso(w[0]) + (f"|{w[1]}" if w[1] else "")): r for w, r in out.items()}


def opts(argv):
    o = {"window": "5m", "slide": None, "watermark": "10m", "by_region": False,
         "mode": "update", "late": None}
    files = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--by-region":
            o["by_region"] = True
        elif a.startswith("--"):
            o[a[2:].replace("-", "_")] = argv[i + 1]
            i += 1
        else:
            files.append(a)
        i += 1
    size = duration(o["window"])
    slide = duration(o["slide"]) if o["slide"] else size
    model = Model(size, slide, duration(o["watermark"]), o["by_region"])
    for key, value, _ in messages(files):
        model.apply(key, value)
    return o, model


def consume_all(bootstrap, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "stats-model-check",
                  "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=10)
    parts = list(md.topics[topic].partitions)
    last = {}
    n = 0
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if hi <= lo:
            continue
        c.assign([TopicPartition(topic, p, lo)])
        pos = lo
        deadline = time.monotonic() + 30
        while pos < hi and time.monotonic() < deadline:
            for m in c.consume(10000, timeout=0.1):
                if m.error():
                    continue
                last[m.key().decode()] = json.loads(m.value())
                pos = m.offset() + 1
                n += 1
    c.close()
    return n, last


def snapinfo(path):
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == b"SISMOSTA", "bad magic"
    assert zlib.crc32(data[:-4]) == struct.unpack("<I", data[-4:])[0], "bad CRC"
    (version, flags, size, slide, wm, scheme, npos, max_time, batch, nwin,
     nent) = struct.unpack_from("<IIqqqIIqQQQ", data, 8)
    metrics = struct.unpack_from("<10Q", data, 80)
    off, pos = 160, []
    for _ in range(npos):
        (n,) = struct.unpack_from("<H", data, off)
        topic = data[off + 2:off + 2 + n].decode()
        part, nxt = struct.unpack_from("<iq", data, off + 2 + n)
        pos.append(f"{topic}:{part}:{nxt}")
        off += 2 + n + 12
    return (f"records={metrics[0]} batch={batch} windows={nwin} keys={nent} "
            f"positions={','.join(pos)}")


def main():
    cmd = sys.argv[1]
    if cmd == "produce":
        from confluent_kafka import Producer
        bootstrap, topic, files = sys.argv[2], sys.argv[3], sys.argv[4:]
        p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                      "linger.ms": 20})
        n = 0
        for key, _, raw in messages(files):
            p.produce(topic, key=key.encode(), value=raw.encode() if raw is not None else None)
            n += 1
            p.poll(0)
        if p.flush(30) != 0:
            sys.exit("stats_model: some messages were not delivered")
        print(f"{n} messages produced to {topic}", file=sys.stderr)
    elif cmd == "expect":
        o, model = opts(sys.argv[2:])
        for k, r in sorted(model.results(o["mode"]).items()):
            print(k, json.dumps(r))
        print(f"late {model.late}")
    elif cmd == "check":
        bootstrap, topic = sys.argv[2], sys.argv[3]
        o, model = opts(sys.argv[4:])
        want = model.results(o["mode"])
        n, got = consume_all(bootstrap, topic)
        errors = []
        for k in sorted(set(want) | set(got)):
            w, g = want.get(k), got.get(k)
            if w is None or g is None:
                errors.append(f"{k}: expected {w}, published {g}")
                continue
            for f in ("inicio", "fin", "region", "cantidad", "magnitud_maxima",
                      "magnitud_minima", "id_maximo", "final"):
                if w[f] != g.get(f):
                    errors.append(f"{k}: {f} expected {w[f]!r}, published {g.get(f)!r}")
            wa, ga = w["magnitud_promedio"], g.get("magnitud_promedio")
            if (wa is None) != (ga is None) or (wa is not None and abs(wa - ga) > 2e-6):
                errors.append(f"{k}: magnitud_promedio expected {wa!r}, published {ga!r}")
            if g.get("emitido") is None or g.get("con_magnitud") is None:
                errors.append(f"{k}: emitido/con_magnitud missing")
        if o["late"] is not None and int(o["late"]) != model.late:
            errors.append(f"model counts {model.late} late events, test expected {o['late']}")
        if errors:
            print("\n".join(errors[:40]))
            sys.exit(f"stats_model: {len(errors)} differences over {len(want)} windows")
        total = sum(r["cantidad"] for r in want.values())
        print(f"{len(want)} windows verified ({total} events, {model.late} late, "
              f"{n} result messages)")
    elif cmd == "snapinfo":
        print(snapinfo(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
