#!/usr/bin/python3
"""alerts_check.py - test helper: checks alertas.log files against the messages that were
produced, with the alert rules re-implemented here independently of sismo's C code.

usage: alerts_check.py --messages FILE [--messages FILE...] --log FILE [--log FILE...]
                       [--min-mag M] [--region S,W,N,E] [--max-depth KM] [--types T,T]
                       [--separate-logs]

Messages are `key<TAB>value` lines in production order (empty value = tombstone), as
usgs2sismos.py prints them. Several logs are checked as one: one log shared by the members of
a group, or (--separate-logs) one log per member, where a re-issued event whose keys fall on
different members' partitions is alerted once by each of them, a documented limitation.

The rules (docs/ALERTS.md): a physical event is the union of all ids its records list. Its
first record with a magnitude that matches the rules raises one ALERTA; afterwards each record
whose magnitude (shown with one decimal) or PAGER level differs from the last alert of the
event raises one ACTUALIZACION, whatever the rules say. Null magnitudes and tombstones never
alert.

Events whose records all share one key live in one partition, so their order is the
production order and their alerts are checked exactly, in order. Events re-issued under
another key may be consumed in any interleaving; for them the checks are the ones that hold
in every order: exactly one ALERTA (iff some record matches), first; each ACTUALIZACION
differs from the alert before it; no more updates than records after the first.
Every log line must also carry the record it alerts about (same fields as a produced record
with that id) and the log's own fields. Exits 0 and prints a summary, or 1 with the problems.
"""
import json
import re
import sys


def shown(mag):
    s = "%.1f" % mag
    return s[1:] if s.startswith("-") and set(s[1:]) <= set("0.") else s


class Rules:
    def __init__(self, min_mag=4.5, region=None, max_depth=None, types=None):
        self.min_mag, self.region, self.max_depth = min_mag, region, max_depth
        self.types = [t.strip().lower() for t in types.split(",") if t.strip()] if types else None

    def lon_in(self, lon):
        s, w, n, e = self.region
        return w <= lon <= e if w <= e else (lon >= w or lon <= e)

    def matches(self, r):
        if r.get("magnitud") is None or not r["magnitud"] >= self.min_mag:
            return False
        if self.region:
            s, w, n, e = self.region
            lat, lon = r["latitud"], r["longitud"]
            if not s <= lat <= n:
                return False
            if not (self.lon_in(lon) or (abs(lon) == 180 and self.lon_in(-lon))):
                return False
        d = r.get("profundidad_km")
        if self.max_depth is not None and d is not None and d > self.max_depth:
            return False
        if self.types is not None and (r.get("tipo") or "").lower() not in self.types:
            return False
        return True


class Events:
    """Union-find over event ids."""

    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def load_messages(paths):
    msgs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#") or "\t" not in line:
                    continue
                key, value = line.split("\t", 1)
                if value in ("", "null"):
                    msgs.append((key, None))
                    continue
                try:
                    r = json.loads(value)
                except ValueError:
                    continue  # not a record: sismo skips it with a warning
                if valid(r):
                    msgs.append((key, r))
    return msgs


def valid(r):
    """What quake_decode requires: id, timestamp, latitud/longitud numbers in range."""
    num = (int, float)
    return (isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"] != "" and
            isinstance(r.get("timestamp"), str) and
            isinstance(r.get("latitud"), num) and isinstance(r.get("longitud"), num) and
            not isinstance(r.get("latitud"), bool) and -90 <= r["latitud"] <= 90 and
            -180 <= r["longitud"] <= 180 and
            (r.get("magnitud") is None or isinstance(r.get("magnitud"), num)))


LOG_FIELDS = ("aviso", "hora_aviso", "motivo", "topico", "particion", "offset",
              "magnitud_anterior", "alerta_anterior")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def main():
    a = sys.argv[1:]
    msg_paths, log_paths, opts = [], [], {}
    i = 0
    while i < len(a):
        if "=" in a[i]:
            (k, v), i = a[i].split("=", 1), i - 1
        elif a[i] == "--separate-logs":
            k, v, i = a[i], "1", i - 1
        else:
            k, v = a[i], a[i + 1]
        if k == "--messages":
            msg_paths.append(v)
        elif k == "--log":
            log_paths.append(v)
        else:
            opts[k] = v
        i += 2
    rules = Rules(float(opts.get("--min-mag", 4.5)),
                  tuple(float(x) for x in opts["--region"].split(",")) if "--region" in opts else None,
                  float(opts["--max-depth"]) if "--max-depth" in opts else None,
                  opts.get("--types"))
    separate = "--separate-logs" in opts
    msgs = load_messages(msg_paths)
    ev = Events()
    for key, r in msgs:
        if r is not None:
            for i2 in [r["id"]] + (r.get("ids") or []):
                ev.union(r["id"], i2)
    by_event, keys_of = {}, {}
    for key, r in msgs:
        if r is None:
            continue
        root = ev.find(r["id"])
        by_event.setdefault(root, []).append(r)
        keys_of.setdefault(root, set()).add(key)
    records_by_id = {}
    for key, r in msgs:
        if r is not None:
            records_by_id.setdefault(r["id"], []).append(r)

    problems = []
    got = {}  # root -> [(kind, shown, level)] in log order
    got_per_log = {}  # (root, log) -> same, for --separate-logs
    n_lines = 0
    for path in log_paths:
        with open(path, encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                where = f"{path}:{ln}"
                if not line.endswith("\n"):
                    problems.append(f"{where}: last line has no newline")
                try:
                    d = json.loads(line)
                except ValueError as e:
                    problems.append(f"{where}: not JSON: {e}")
                    continue
                n_lines += 1
                missing = [k for k in LOG_FIELDS if k not in d]
                if missing:
                    problems.append(f"{where}: missing fields {missing}")
                    continue
                if d["aviso"] not in ("ALERTA", "ACTUALIZACION") or not d["motivo"] or \
                        not ISO.match(d["hora_aviso"]) or not isinstance(d["particion"], int) or \
                        not isinstance(d["offset"], int):
                    problems.append(f"{where}: bad log fields {[d[k] for k in LOG_FIELDS]}")
                rec_id = d.get("id")
                if rec_id not in records_by_id:
                    problems.append(f"{where}: alert for an id never produced: {rec_id}")
                    continue
                fields = ("magnitud", "lugar", "latitud", "longitud", "profundidad_km", "alerta",
                          "tipo", "ids")
                if not any(all(d.get(k) == r.get(k, [] if k == "ids" else None)
                               for k in fields) for r in records_by_id[rec_id]):
                    problems.append(f"{where}: record of {rec_id} matches no produced record")
                item = (d["aviso"], shown(d["magnitud"]), d.get("alerta"))
                got.setdefault(ev.find(rec_id), []).append(item)
                got_per_log.setdefault((ev.find(rec_id), path), []).append(item)

    exact = multi = 0
    for root, recs in by_event.items():
        g = got.get(root, [])
        if len(keys_of[root]) == 1:
            exact += 1
            want, state = [], None
            for r in recs:
                if r.get("magnitud") is None:
                    continue
                cur = (shown(r["magnitud"]), r.get("alerta"))
                if state is None:
                    if rules.matches(r):
                        want.append(("ALERTA",) + cur)
                        state = cur
                elif cur != state:
                    want.append(("ACTUALIZACION",) + cur)
                    state = cur
            if g != want:
                problems.append(f"event {root}: log has {g}, expected {want}")
        elif separate:
            # Members with separate logs do not see each other's alerts: an event re-issued
            # under a key of another member's partition is alerted once by each member that
            # receives a matching record (docs/ALERTS.md); never twice by one member.
            multi += 1
            any_match = any(rules.matches(r) for r in recs)
            per_log = [g2 for (root2, _), g2 in got_per_log.items() if root2 == root]
            if any_match and not per_log:
                problems.append(f"re-issued event {root}: no alert")
            for g2 in per_log:
                if [x[0] for x in g2].count("ALERTA") != 1 or g2[0][0] != "ALERTA":
                    problems.append(f"re-issued event {root}: one member logged {g2}")
        else:
            multi += 1
            any_match = any(rules.matches(r) for r in recs)
            alertas = [x for x in g if x[0] == "ALERTA"]
            if len(alertas) != (1 if any_match else 0) or (g and g[0][0] != "ALERTA"):
                problems.append(f"re-issued event {root} (keys {sorted(keys_of[root])}): log has "
                                f"{g}, expected exactly {1 if any_match else 0} ALERTA first")
            for prev, cur in zip(g, g[1:]):
                if prev[1:] == cur[1:]:
                    problems.append(f"re-issued event {root}: update {cur} changes nothing")
            if len(g) > max(len(recs), 1):
                problems.append(f"re-issued event {root}: {len(g)} alerts for {len(recs)} records")
    for root in got:
        if root not in by_event:
            problems.append(f"alerts for unknown event {root}")
    summary = (f"{len(msgs)} messages, {len(by_event)} events ({exact} single-key, {multi} "
               f"re-issued), {n_lines} log lines")
    if problems:
        print(f"alerts_check: {summary}; {len(problems)} problems:", file=sys.stderr)
        for p in problems[:40]:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    print(f"alerts_check: ok: {summary}")


if __name__ == "__main__":
    main()
