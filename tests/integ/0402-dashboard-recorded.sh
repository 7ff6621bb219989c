#!/usr/bin/env bash
# 0402: real USGS revisions through the dashboard. Replays the recorded revision series
# (MANIFEST.md): series B, three consecutive polls of the 2.5_day feed (magnitude revisions,
# an alert added, ids replaced by a new preferred id that lists the old one), and pair A,
# a day feed then the week feed a day later (24 magnitude revisions, 4 events gone).
# Each series goes to its own topics and dashboard (--clock event).
# Must hold afterwards: for each series /api/quakes equals tests/tools/dashexpect.py's
# expectation event for event (ids, order, magnitude, place, times, status, alert, ids);
# no physical event is listed twice (every replaced id is gone); the summaries match.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"
need_shared
USGS=$SHARED/data/usgs
start_broker "$TOPIC-b:3" "$STATS_TOPIC-b:1" "$TOPIC-a:3" "$STATS_TOPIC-a:1"

check_series() { # NAME FILE...
    local name=$1; shift
    for f in "$@"; do $PY "$ROOT/tests/tools/usgs2sismos.py" "$f"; done > "$T_DIR/$name.tsv"
    produce_tsv "$TOPIC-$name" "$T_DIR/$name.tsv"
    local port; port=$(free_port)
    bg "dash-$name" "$SISMO" dashboard -b "$BOOTSTRAP" --listen "127.0.0.1:$port" \
        --topic "$TOPIC-$name" --stats-topic "$STATS_TOPIC-$name" --clock event
    DASH=http://127.0.0.1:$port
    wait_until 20 curl -sf "$DASH/healthz"
    wait_messages "$(count_lines "$T_DIR/$name.tsv")" 60
    $PY "$ROOT/tests/tools/dashexpect.py" "$T_DIR/$name.tsv" > "$T_DIR/$name-expect.json"
    DASH=$DASH $PY - "$T_DIR/$name-expect.json" "$name" <<'PY'
import json, os, sys, urllib.request
exp, name = json.load(open(sys.argv[1])), sys.argv[2]
get = lambda p: json.load(urllib.request.urlopen(os.environ["DASH"] + p, timeout=10))
fc = get("/api/quakes")
got = [f["id"] for f in fc["features"]]
assert got == exp["order"], f"{name}: {len(got)} events, expected {len(exp['order'])}; " \
    f"extra {sorted(set(got) - set(exp['order']))[:5]} missing {sorted(set(exp['order']) - set(got))[:5]}"
for f in fc["features"]:
    e, p = exp["features"][f["id"]], f["properties"]
    for k in ("mag", "place", "time", "updated", "status", "alert", "tsunami", "depth", "ids"):
        assert p[k] == e[k], (name, f["id"], k, p[k], e[k])
# One physical event, one entry: no id appears in two entries' ids lists.
seen = {}
for f in fc["features"]:
    for i in f["properties"]["ids"]:
        assert i not in seen, f"{name}: id {i} in {seen.get(i)} and {f['id']}"
        seen[i] = f["id"]
st = get("/api/stats")
for rng in ("hour", "day", "week"):
    g, e = st["summary"][rng], exp["summary"][rng]
    assert (g["count"], g["max"], g["m45"], g["tsunami"]) == (e["count"], e["max"], e["m45"], e["tsunami"]), (name, rng, g, e)
print(f"{name}: {len(got)} events match; day summary {st['summary']['day']['count']} events, "
      f"M4.5+ {st['summary']['day']['m45']}")
PY
}

check_series b "$USGS/2.5_day-2025-12-06T2319Z.geojson" "$USGS/2.5_day-2025-12-07T0159Z.geojson" \
    "$USGS/2.5_day-2025-12-07T0340Z.geojson"
# The MANIFEST's replaced ids must be gone, their replacements present.
curl -sf "$DASH/api/quakes" > "$T_DIR/b-quakes.json"
for pair in ak2025xzwyio:us6000rsyv ak2025yabcng:us6000rszq ak2025xzwzlg:us6000rsyw; do
    grep -q "\"id\":\"${pair#*:}\"" "$T_DIR/b-quakes.json" || fail "${pair#*:} missing"
    ! grep -q "\"id\":\"${pair%:*}\"" "$T_DIR/b-quakes.json" || fail "${pair%:*} still listed"
done
check_series a "$USGS/all_day-2014-04-14T1152Z.geojson" "$USGS/all_week-2014-04-15T1214Z.geojson"
