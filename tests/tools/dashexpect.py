#!/usr/bin/python3
"""dashexpect.py - test helper: what `sismo dashboard --clock event` must show for a sequence
of `sismos` (and `sismos-stats`) messages, computed naively and independently of sismo's C
code, from the rules in docs/DASHBOARD.md:

  - a record replaces the stored event with the same id unless it is older (`actualizado`);
  - stored events sharing an id with a record (its `ids` list, or theirs) are the same event
    under another preferred id: they are removed, unless one of them is newer than the
    record, which is then ignored;
  - a tombstone (null value) removes the event whose preferred id is its key;
  - "now" is the newest origin time accepted; events older than now - window are dropped;
  - magnitudes are classified rounded to one decimal: M4.5+ means round1(mag) >= 4.5;
  - window results: the global series (region null), the last message per start wins.

usage: dashexpect.py [--window-days 7] QUAKES.tsv [--windows WINDOWS.tsv]
QUAKES.tsv / WINDOWS.tsv: key<TAB>value lines in production order (empty value = tombstone).
Prints a JSON object: now, features {id: properties...}, order (ids newest first),
summary {hour, day, week}, windows [...], invalid counts.
"""
import json
import math
import sys
from datetime import datetime


def ms(iso):
    return int(round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000))


def mag1(m):
    return None if m is None else math.floor(m * 10 + 0.5) / 10


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                key, _, value = line.partition("\t")
                yield key, value


def valid_quake(r):
    try:
        return (isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"]
                and isinstance(r.get("latitud"), (int, float)) and isinstance(r.get("longitud"), (int, float))
                and -90 <= r["latitud"] <= 90 and -180 <= r["longitud"] <= 180
                and ms(r["timestamp"]) is not None)
    except (KeyError, ValueError, TypeError, AttributeError):
        return False


def all_ids(r):
    return {r["id"]} | set(r.get("ids") or [])


def apply_quakes(path):
    store, invalid, newest = {}, 0, None
    for key, value in read_tsv(path):
        if value == "":
            store.pop(key, None)
            continue
        try:
            r = json.loads(value)
        except ValueError:
            invalid += 1
            continue
        if not valid_quake(r):
            invalid += 1
            continue
        r["_time"] = ms(r["timestamp"])
        r["_updated"] = ms(r["actualizado"]) if r.get("actualizado") else r["_time"]
        related = [e for e in store.values() if all_ids(e) & all_ids(r)]
        if any(e["_updated"] > r["_updated"] for e in related):
            continue  # a stale copy
        for e in related:
            if e["id"] != r["id"]:
                del store[e["id"]]
        store[r["id"]] = r
        newest = r["_time"] if newest is None else max(newest, r["_time"])
    return store, invalid, newest


def summary(events, since):
    sel = [e for e in events if e["_time"] >= since]
    mags = [e for e in sel if e.get("magnitud") is not None]
    top = min(mags, key=lambda e: (-e["magnitud"], e["id"])) if mags else None
    return {
        "since": since,
        "count": len(sel),
        "with_mag": len(mags),
        "max": top["magnitud"] if top else None,
        "max_id": top["id"] if top else None,
        "avg": sum(e["magnitud"] for e in mags) / len(mags) if mags else None,
        "m45": sum(1 for e in mags if mag1(e["magnitud"]) >= 4.5),
        "tsunami": sum(1 for e in sel if e.get("tsunami")),
    }


def properties(r):
    ids = [r["id"]] + [i for i in (r.get("ids") or []) if i and i != r["id"]]
    seen, uniq = set(), []
    for i in ids:
        if i not in seen:
            seen.add(i)
            uniq.append(i)
    return {
        "mag": r.get("magnitud"), "place": r.get("lugar"), "time": r["_time"], "updated": r["_updated"],
        "depth": r.get("profundidad_km"), "tsunami": bool(r.get("tsunami")), "alert": r.get("alerta"),
        "status": r.get("estado"), "type": r.get("tipo"), "magType": r.get("tipo_magnitud"),
        "url": r.get("url"), "ids": uniq, "lon": r["longitud"], "lat": r["latitud"],
    }


def apply_windows(path, now, window_ms):
    series, invalid, regional = {}, 0, 0
    for _key, value in read_tsv(path):
        if value == "":
            continue
        try:
            w = json.loads(value)
            start, end, count = ms(w["inicio"]), ms(w["fin"]), w["cantidad"]
            if end <= start or not isinstance(count, int) or count < 0:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            invalid += 1
            continue
        if w.get("region") is not None:
            regional += 1
            continue
        series[start] = {"start": start, "end": end, "count": count, "avg": w.get("magnitud_promedio"),
                         "max": w.get("magnitud_maxima"), "min": w.get("magnitud_minima"),
                         "max_id": w.get("id_maximo"), "final": bool(w.get("final"))}
    kept = [series[s] for s in sorted(series) if now is None or series[s]["end"] >= now - window_ms]
    return kept, invalid, regional


def main():
    args = sys.argv[1:]
    window_ms = 7 * 86400000
    if args and args[0] == "--window-days":
        window_ms = int(float(args[1]) * 86400000)
        args = args[2:]
    quakes_path, windows_path = args[0], None
    if len(args) > 2 and args[1] == "--windows":
        windows_path = args[2]
    store, invalid, now = apply_quakes(quakes_path)
    events = [e for e in store.values() if now is not None and e["_time"] >= now - window_ms]
    events.sort(key=lambda e: (-e["_time"], e["id"]))
    out = {
        "now": now,
        "order": [e["id"] for e in events],
        "features": {e["id"]: properties(e) for e in events},
        "summary": {name: summary(events, (now or 0) - span) for name, span in
                    (("hour", 3600000), ("day", 86400000), ("week", 7 * 86400000))},
        "invalid": invalid,
    }
    if windows_path:
        out["windows"], out["windows_invalid"], out["windows_regional"] = apply_windows(windows_path, now, window_ms)
    json.dump(out, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
