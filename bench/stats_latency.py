#!/usr/bin/python3
"""stats_latency.py - latency of `sismo stats` for bench/stats.sh: produces live quakes
(event time = now) to TOPIC at RATE per second for SECS seconds, recording when each was
produced, then reads RESULTS (the window updates sismo stats published) and reports, for
every event, the time from its production to the first published update of its window
that counts it (field `emitido` of the update, the same wall clock).

usage: stats_latency.py BOOTSTRAP TOPIC RESULTS RATE SECS
Prints: "latency: N events, p50 X ms, p99 Y ms, max Z ms".
"""
import json
import sys
import time
from datetime import datetime, timezone

from confluent_kafka import Consumer, Producer, TopicPartition


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_ms(s):
    dt = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return round(dt.timestamp() * 1000)


def main():
    bootstrap, topic, results, rate, secs = sys.argv[1:6]
    rate, secs = float(rate), float(secs)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    # Connect and learn the partition leader before the clock starts: the producer's own
    # start-up is not sismo's latency.
    p.list_topics(topic, timeout=10)
    acked = {}
    sent = []  # (window start, produce wall-clock ms)
    t0 = time.monotonic()
    n = int(rate * secs)
    for i in range(n):
        due = t0 + i / rate
        while True:
            left = due - time.monotonic()
            if left <= 0:
                break
            p.poll(min(left, 0.01))
        now = time.time_ns() // 1000000
        v = {"id": f"lat{i}", "magnitud": 1.0 + (i % 50) / 10, "lugar": "latency probe",
             "latitud": 61.2, "longitud": -149.9, "profundidad_km": 10.0,
             "timestamp": iso(now), "tsunami": False, "actualizado": iso(now),
             "tipo": "earthquake", "estado": "automatic", "alerta": None,
             "tipo_magnitud": "ml", "url": None, "ids": [f"lat{i}"]}
        p.produce(topic, key=f"lat{i}".encode(), value=json.dumps(v).encode(),
                  on_delivery=lambda err, msg, i=i: acked.__setitem__(i, time.time_ns() // 1000000))
        p.poll(0)
        sent.append((now - now % 300000, now))
    p.flush(10)
    time.sleep(1.0)

    # Updates per window in publication order: (emitido, cantidad).
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "stats-latency",
                  "enable.auto.commit": False})
    lo, hi = c.get_watermark_offsets(TopicPartition(results, 0), timeout=10)
    c.assign([TopicPartition(results, 0, lo)])
    updates = {}
    pos = lo
    deadline = time.monotonic() + 30
    while pos < hi and time.monotonic() < deadline:
        for m in c.consume(10000, timeout=0.2):
            if m.error():
                continue
            pos = m.offset() + 1
            r = json.loads(m.value())
            updates.setdefault(parse_ms(r["inicio"]), []).append(
                (parse_ms(r["emitido"]), r["cantidad"]))
    c.close()
    lat, steady = [], []
    rank = {}
    warm = sent[0][1] + 2000 if sent else 0
    for start, t in sent:
        k = rank[start] = rank.get(start, 0) + 1
        for emitted, count in updates.get(start, []):
            if count >= k:
                lat.append(emitted - t)
                if t >= warm:
                    steady.append(emitted - t)
                break
    if not lat:
        sys.exit("latency: no window update seen")

    def pct(v, q):
        v = sorted(v)
        return v[min(len(v) - 1, int(q * len(v)))] if v else -1

    print(f"latency: {len(lat)} of {len(sent)} events, p50 {pct(lat, 0.5)} ms, "
          f"p99 {pct(lat, 0.99)} ms, max {max(lat)} ms; after the first 2 s: "
          f"p50 {pct(steady, 0.5)} ms, p99 {pct(steady, 0.99)} ms")
    late = sorted(((t - sent[0][1]) // 1000 for (_, t), l in zip(sent, lat) if l > 100))
    if late:
        print(f"  events over 100 ms were produced at seconds {sorted(set(late))[:20]} of the run")
    ack = sorted(acked[i] - sent[i][1] for i in acked)
    if ack:
        print(f"  (of which produce -> broker acknowledgement: p50 {pct(ack, 0.5)} ms, "
              f"p99 {pct(ack, 0.99)} ms)")


if __name__ == "__main__":
    main()
