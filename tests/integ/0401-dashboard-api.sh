#!/usr/bin/env bash
# 0401: `sismo dashboard` API snapshots against an independent expectation.
# Fixture (tests/fixtures/dashboard): 13 live events after a revision (with a stale copy
# that must be ignored), a tombstone, a merge (old preferred id listed in the new event's
# ids), an event outside the 7-day window, a null magnitude, a 4.46 that counts as M4.5+,
# an event near the antimeridian, a non-ASCII place and one undecodable message; plus
# window results with a superseded one, a regional one and an invalid one.
# Must hold afterwards: /api/quakes lists exactly the expected events, newest first, every
# property equal to tests/tools/dashexpect.py's; since/minmag/bbox/limit select exactly the
# expected subsets; bad parameters get 400 naming the parameter; /api/stats summaries and
# windows equal the expectation; /metrics counts every message consumed and the invalid
# ones; /healthz answers; the dashboard is still serving at the end and exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"
start_broker "${DASH_TOPICS[@]}"
produce_tsv "$TOPIC" "$FIXTURES/quakes.tsv"
produce_tsv "$STATS_TOPIC" "$FIXTURES/windows.tsv"
start_dashboard --clock event
wait_messages $(( $(count_lines "$FIXTURES/quakes.tsv") + $(count_lines "$FIXTURES/windows.tsv") ))
$PY "$ROOT/tests/tools/dashexpect.py" "$FIXTURES/quakes.tsv" --windows "$FIXTURES/windows.tsv" > "$T_DIR/expect.json"

$PY - "$T_DIR/expect.json" <<'PY'
import json, math, os, sys, urllib.error, urllib.parse, urllib.request
exp = json.load(open(sys.argv[1]))
base = os.environ["DASH"]

def get(path, want=200):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            code, body, ctype = r.status, r.read(), r.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        code, body, ctype = e.code, e.read(), e.headers["Content-Type"]
    assert code == want, f"GET {path}: HTTP {code}, expected {want}: {body[:200]!r}"
    assert ctype.startswith("application/json"), (path, ctype)
    return json.loads(body)

def near(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)

def check_features(fc, ids, what):
    got = [f["id"] for f in fc["features"]]
    assert got == ids, f"{what}: got {got}, expected {ids}"
    assert fc["metadata"]["count"] == len(ids), (what, fc["metadata"])
    for f in fc["features"]:
        e = exp["features"][f["id"]]
        p = f["properties"]
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point", f
        lon, lat = f["geometry"]["coordinates"]
        assert near(lon, e["lon"]) and near(lat, e["lat"]), (f["id"], lon, lat, e)
        for k in ("mag", "depth"):
            assert near(p[k], e[k]), (f["id"], k, p[k], e[k])
        for k in ("place", "time", "updated", "tsunami", "alert", "status", "type", "magType", "url", "ids"):
            assert p[k] == e[k], (f["id"], k, p[k], e[k])

# The whole window.
fc = get("/api/quakes")
assert fc["type"] == "FeatureCollection"
assert fc["metadata"]["now"] == exp["now"] and fc["metadata"]["clock"] == "event", fc["metadata"]
check_features(fc, exp["order"], "all")
assert "fxrev" in exp["order"] and exp["features"]["fxrev"]["mag"] == 4.1
assert "fxtomb" not in exp["order"] and "akold1" not in exp["order"] and "fx8old" not in exp["order"]

# Selections, each against the expectation filtered here.
feats = exp["features"]
def sel(pred, limit=None):
    ids = [i for i in exp["order"] if pred(feats[i])]
    return ids[:limit] if limit else ids
now = exp["now"]
m1 = lambda m: None if m is None else math.floor(m * 10 + 0.5) / 10
cases = [
    ("since=1h", sel(lambda p: p["time"] >= now - 3600000)),
    ("since=hour", sel(lambda p: p["time"] >= now - 3600000)),
    ("since=day", sel(lambda p: p["time"] >= now - 86400000)),
    (f"since={now - 5 * 3600000}", sel(lambda p: p["time"] >= now - 5 * 3600000)),
    ("since=2025-12-06T23:30:00Z", sel(lambda p: p["time"] >= now - 4 * 3600000)),
    ("since=2025-12-07T00:30:00%2B01:00", sel(lambda p: p["time"] >= now - 4 * 3600000)),
    ("minmag=4.5", sel(lambda p: p["mag"] is not None and m1(p["mag"]) >= 4.5)),
    ("minmag=-0.4", sel(lambda p: p["mag"] is not None and m1(p["mag"]) >= -0.4)),
    ("bbox=-130,30,-100,50", sel(lambda p: -130 <= p["lon"] <= -100 and 30 <= p["lat"] <= 50)),
    ("bbox=170,-40,-170,-10", sel(lambda p: (p["lon"] >= 170 or p["lon"] <= -170) and -40 <= p["lat"] <= -10)),
    ("limit=3", sel(lambda p: True, 3)),
    ("since=day&minmag=4&limit=2", sel(lambda p: p["time"] >= now - 86400000 and p["mag"] is not None
                                        and m1(p["mag"]) >= 4, 2)),
]
for q, ids in cases:
    check_features(get("/api/quakes?" + q), ids, q)
    print(f"ok /api/quakes?{q}: {len(ids)} events")
assert len(sel(lambda p: (p["lon"] >= 170 or p["lon"] <= -170) and -40 <= p["lat"] <= -10)) == 2  # Fiji + Kermadec

for q, param in [("since=yesterday", "since"), ("since=5x", "since"), ("minmag=abc", "minmag"),
                 ("minmag=99", "minmag"), ("bbox=1,2,3", "bbox"), ("bbox=0,50,10,40", "bbox"),
                 ("bbox=-200,0,0,10", "bbox"), ("limit=0", "limit"), ("limit=x", "limit")]:
    err = get("/api/quakes?" + q, 400)
    assert f"parameter '{param}'" in err["error"], (q, err)
get("/api/stats?since=nope", 400)
print("ok bad parameters -> 400")

# Stats.
st = get("/api/stats")
assert st["now"] == now and st["stored"] == len(exp["order"]), st
for rng in ("hour", "day", "week"):
    g, e = st["summary"][rng], exp["summary"][rng]
    for k in ("since", "count", "with_mag", "max", "max_id", "m45", "tsunami"):
        assert g[k] == e[k], (rng, k, g[k], e[k])
    assert near(g["avg"], e["avg"]), (rng, g["avg"], e["avg"])
    print(f"ok summary {rng}: {g['count']} events, max {g['max']}, M4.5+ {g['m45']}")
gw = [{k: w[k] for k in ("start", "end", "count", "avg", "max", "min", "max_id", "final")} for w in st["windows"]]
assert gw == exp["windows"], (gw, exp["windows"])
assert any(w["final"] and w["count"] == 1 and w["max_id"] == "fxfiji" for w in gw), "superseded window"
assert get(f"/api/stats?since={now - 1800000}")["windows"] == [w for w in st["windows"] if w["end"] > now - 1800000]
print(f"ok windows: {len(gw)}")

# Snapshot ids are "<instance>-<seq>" and agree across endpoints.
assert fc["metadata"]["last_event_id"] == st["last_event_id"], (fc["metadata"], st["last_event_id"])
h = get("/healthz")
assert h["status"] == "ok" and h["quakes"] == len(exp["order"]) and h["windows"] == len(exp["windows"]), h
PY

# Metrics: every message counted, the undecodable ones too.
curl -sf "$DASH/metrics" > "$T_DIR/metrics.txt"
metric() { awk -v m="$1" '$1 == m {print $2}' "$T_DIR/metrics.txt"; }
assert_eq "$(metric "sismo_dashboard_messages_consumed_total{topic=\"$TOPIC\"}")" "$(count_lines "$FIXTURES/quakes.tsv")" "quake messages consumed"
assert_eq "$(metric "sismo_dashboard_messages_consumed_total{topic=\"$STATS_TOPIC\"}")" "$(count_lines "$FIXTURES/windows.tsv")" "window messages consumed"
assert_eq "$(metric "sismo_dashboard_messages_invalid_total{topic=\"$TOPIC\"}")" 1 "invalid quake messages"
assert_eq "$(metric "sismo_dashboard_messages_invalid_total{topic=\"$STATS_TOPIC\"}")" 1 "invalid window messages"
assert_eq "$(metric "sismo_dashboard_tombstones_total{topic=\"$TOPIC\"}")" 1 "tombstones"
assert_eq "$(metric "sismo_dashboard_consumer_lag{topic=\"$TOPIC\"}")" 0 "consumer lag"
assert_eq "$(metric sismo_dashboard_quakes)" 13 "quakes gauge"
assert_eq "$(metric sismo_dashboard_sse_clients)" 0 "SSE clients"
grep -q '^# TYPE sismo_dashboard_messages_consumed_total counter$' "$T_DIR/metrics.txt" || fail "metrics TYPE line"
grep -q "skipping undecodable message $TOPIC\[" "$T_DIR/dashboard.err" || fail "the undecodable quake was not reported"
grep -q "skipping undecodable message $STATS_TOPIC\[" "$T_DIR/dashboard.err" || fail "the undecodable window was not reported"
kill -0 "${PIDS[dashboard]}" || fail "dashboard died"
say "API snapshots match the expectation"
stop_dashboard
