#!/usr/bin/python3
"""stats_ref.py - the Python reference for bench/stats.sh: the same windows as `sismo stats`
(5-minute tumbling windows, 10-minute watermark with each partition a source of the clock,
count/avg/max/min, exact revisions and tombstones) with python3-confluent-kafka's batch
consume(), reading a topic from the beginning to the end offsets queried at start.

usage: stats_ref.py BOOTSTRAP TOPIC [WATERMARK]   (WATERMARK like 10m, 100d; default 10m)
Prints: "python: N records in S s (R records/s), late L", S from the first to the last record.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

SIZE = 300000
UNITS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}


def parse_ms(ts):
    # "YYYY-MM-DDTHH:MM:SS.mmmZ" -> ms since the epoch (UTC), without datetime's overhead.
    y, mo, d = int(ts[0:4]), int(ts[5:7]), int(ts[8:10])
    y -= mo <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return (((days * 24 + int(ts[11:13])) * 60 + int(ts[14:16])) * 60 + int(ts[17:19])) * 1000 \
        + int(ts[20:23])


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    wm = sys.argv[3] if len(sys.argv) > 3 else "10m"
    unit = wm.lstrip("0123456789.")
    delay = int(float(wm[:len(wm) - len(unit)]) * UNITS[unit or "s"])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "stats-ref",
                  "enable.auto.commit": False, "fetch.max.bytes": 67108864,
                  "max.partition.fetch.bytes": 16777216,
                  "queued.max.messages.kbytes": 262144})
    parts = list(c.list_topics(topic, timeout=10).topics[topic].partitions)
    total = 0
    end = {}       # partition -> end offset; partitions with unread records hold the clock
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        total += hi - lo
        if hi > lo:
            end[p] = hi
    c.assign([TopicPartition(topic, p, -2) for p in parts])

    entries = {}   # key -> (window start, mag)
    windows = {}   # start -> {key: mag}  (members, for exact removal of max/min)
    agg = {}       # start -> [count, n_mag, sum, max, min]
    max_time = None  # the clock: min over unread partitions of their max time, else max
    pmax = {}        # partition -> largest event time read from it
    late = 0
    n = 0
    t_first = t_last = None
    deadline = time.monotonic() + 900
    while n < total and time.monotonic() < deadline:
        msgs = c.consume(num_messages=10000, timeout=0.5)
        if not msgs:
            continue
        for m in msgs:
            if m.error():
                continue
            n += 1
            key = m.key()
            old = entries.pop(key, None)
            if old is not None and old[0] in windows:
                members = windows[old[0]]
                members.pop(key, None)
                a = agg[old[0]]
                a[0] -= 1
                if old[1] is not None:
                    a[1] -= 1
                    a[2] -= old[1]
                    if old[1] == a[3] or old[1] == a[4]:
                        mags = [v for v in members.values() if v is not None]
                        a[3] = max(mags) if mags else None
                        a[4] = min(mags) if mags else None
            value = m.value()
            if value is None:
                continue
            v = json.loads(value)
            for other in v.get("ids") or ():
                o = other.encode()
                if o != key and o in entries:
                    s0, mg = entries.pop(o)
                    if s0 in windows:
                        windows[s0].pop(o, None)
                        a = agg[s0]
                        a[0] -= 1
                        if mg is not None:
                            a[1] -= 1
                            a[2] -= mg
            t = parse_ms(v["timestamp"])
            start = t - t % SIZE
            p = m.partition()
            if m.offset() + 1 >= end.get(p, 0):
                end.pop(p, None)  # read to its end: no longer holds the clock
            if pmax.get(p, t - 1) < t:
                pmax[p] = t
                if end:
                    clock = min(pmax.get(q) or -(1 << 62) for q in end)
                else:
                    clock = max(pmax.values())
            else:
                clock = max_time
            if max_time is not None and start + SIZE <= max_time - delay:
                late += 1
                if clock is not None and clock > max_time:
                    max_time = clock
                continue  # late
            mag = v.get("magnitud")
            entries[key] = (start, mag)
            members = windows.setdefault(start, {})
            members[key] = mag
            a = agg.setdefault(start, [0, 0, 0.0, None, None])
            a[0] += 1
            if mag is not None:
                a[1] += 1
                a[2] += mag
                a[3] = mag if a[3] is None or mag > a[3] else a[3]
                a[4] = mag if a[4] is None or mag < a[4] else a[4]
            if clock is not None and clock > -(1 << 62) and (max_time is None or clock > max_time):
                max_time = clock
                for s0 in [s for s in windows if s + SIZE <= max_time - delay]:
                    for k in windows.pop(s0):
                        entries.pop(k, None)
                    agg.pop(s0)
        t_last = time.monotonic()
        if t_first is None:
            t_first = t_last
    c.close()
    secs = (t_last - t_first) if t_first else 0
    print(f"python: {n} records in {secs:.3f} s ({n / secs if secs else 0:.0f} records/s), "
          f"late {late}")


if __name__ == "__main__":
    main()
