#!/usr/bin/python3
"""quakewindows.py - test helper: 5-minute event-time tumbling windows over `sismos`
messages, written as `sismos-stats` messages (the format of /work/wt/STATS_FORMAT.md, owned
by `sismo stats`), so that dashboard tests can feed the chart without `sismo stats`.
Computed naively and independently: the last record per id wins, a tombstone removes it.

usage: quakewindows.py QUAKES.tsv > WINDOWS.tsv      (key<TAB>value lines, key = start)
Every window from the first to the last event is written, empty ones included
(cantidad 0, magnitudes null), all with final = true and emitido = fin + 1 min.
"""
import json
import sys
from datetime import datetime, timezone

W = 300000


def ms(iso):
    return int(round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000))


def iso(t):
    return datetime.fromtimestamp(t / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t % 1000:03d}Z"


def main():
    events = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        key, _, value = line.rstrip("\n").partition("\t")
        if not value:
            events.pop(key, None)
            continue
        try:
            r = json.loads(value)
            events[r["id"]] = (ms(r["timestamp"]), r.get("magnitud"), r["id"])
        except (ValueError, KeyError, TypeError):
            continue
    if not events:
        return
    buckets = {}
    for t, mag, qid in events.values():
        buckets.setdefault(t // W * W, []).append((mag, qid))
    first, last = min(buckets), max(buckets)
    for start in range(first, last + W, W):
        evs = buckets.get(start, [])
        mags = [(m, q) for m, q in evs if m is not None]
        top = min(mags, key=lambda x: (-x[0], x[1])) if mags else None  # ties: smallest id
        v = {
            "inicio": iso(start), "fin": iso(start + W), "region": None, "cantidad": len(evs),
            "magnitud_promedio": round(sum(m for m, _ in mags) / len(mags), 3) if mags else None,
            "magnitud_maxima": top[0] if top else None,
            "magnitud_minima": min(m for m, _ in mags) if mags else None,
            "id_maximo": top[1] if top else None, "final": True, "emitido": iso(start + W + 60000),
        }
        print(f"{iso(start)}\t{json.dumps(v, separators=(',', ':'))}")


if __name__ == "__main__":
    main()
