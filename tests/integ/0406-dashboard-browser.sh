#!/usr/bin/env bash
# 0406: the dashboard page in a real browser (Debian's chromium, headless, driven by
# playwright-core), against a running broker with recorded data: the all_week feed of
# 2023-04-07 (2,389 real events) when ../shared is present, else tests/fixtures/dashboard;
# 5-minute window results computed from the same events (tests/tools/quakewindows.py).
# Must hold afterwards (checked in 0406-dashboard-browser.mjs against dashexpect.py):
#   - for the hour, day and week ranges: one marker per expected event, the six stat cards
#     (events, largest, average, M4.5+, last hour, tsunami) equal to the expectation, the
#     list showing the 50 newest first;
#   - filters: the magnitude slider, class toggles, all/none change markers and cards by
#     exactly the expected amounts; each class has its own marker colour and larger
#     magnitudes get larger markers;
#   - sorting, list -> map (fly to, popup with place, UTC and local time, depth, tsunami,
#     PAGER alert, USGS link), map -> list selection, keyboard activation;
#   - the chart has one bar per window in the range;
#   - a newly produced event appears on the map within 2 s, without a reload, heads the list,
#     updates the cards, gets the under-one-hour ring; its place name, which holds HTML
#     markup, shows as text in the list, the popup and the notice, and no element is made of it;
#   - the live feed banner (status records produced here on the status topic): none before
#     any record; an ingester error shows it within 2 s with the reason (markup as text) and
#     the time of the failure; an ok record hides it within 2 s; no record for 3 intervals
#     (--status-interval 2s) shows "ingest silent";
#   - when the server stops the status leaves "live"; after a restart on the same port the
#     page reconnects by itself (reset + reload) and shows every event again;
#   - on a 390 px wide screen nothing overflows horizontally;
#   - the optional OpenStreetMap layer, picked by hand, requests tiles with the page's origin as
#     Referer (OSM's tile policy; the page sends none otherwise), answered locally;
#   - no request leaves the dashboard's origin (offline) and the page logs no error.
# Screenshots: $TEST_OUTPUT/dashboard-overview.png (at load), dashboard.png (after the live
# event), dashboard-banner.png (feed error) and dashboard-phone.png.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-dashboard.sh"
[ -x /usr/bin/chromium ] || fail "chromium is not installed (make test-deps)"
[ -d "$ROOT/node_modules/playwright-core" ] || fail "playwright-core is not installed (make test-deps)"
OUT=${TEST_OUTPUT:-$T_DIR}
mkdir -p "$OUT"

if [ -d "$SHARED/data/usgs" ]; then
    $PY "$ROOT/tests/tools/usgs2sismos.py" "$SHARED/data/usgs/all_week-2023-04-07T1723Z.geojson" > "$T_DIR/quakes.tsv"
    say "data: recorded USGS all_week feed of 2023-04-07"
else
    cp "$FIXTURES/quakes.tsv" "$T_DIR/quakes.tsv"
    say "data: tests/fixtures/dashboard (../shared not found)"
fi
$PY "$ROOT/tests/tools/quakewindows.py" "$T_DIR/quakes.tsv" > "$T_DIR/windows.tsv"
start_broker "${DASH_TOPICS[@]}"
produce_tsv "$TOPIC" "$T_DIR/quakes.tsv"
produce_tsv "$STATS_TOPIC" "$T_DIR/windows.tsv"
start_dashboard --clock event --status-interval 2s
wait_messages $(( $(count_lines "$T_DIR/quakes.tsv") + $(count_lines "$T_DIR/windows.tsv") )) 60
$PY "$ROOT/tests/tools/dashexpect.py" "$T_DIR/quakes.tsv" --windows "$T_DIR/windows.tsv" > "$T_DIR/expect.json"

# The live event: one minute after the newest, M6.1 (significant: it raises a notice).
read -r WINDOWS_IN_DAY LIVE_TIME LIVE_TSV_LINE < <($PY - "$T_DIR/expect.json" <<'PY'
import json, sys, time
e = json.load(open(sys.argv[1]))
now = e["now"]
n = sum(1 for w in e["windows"] if w["end"] > now - 86400000 and w["start"] < now)
t = now + 60000
iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1000)) + f".{t % 1000:03d}Z"
v = {"id": "livetest1", "magnitud": 6.1, "lugar": "Live test <img src=x id=xss1>event, South Pacific Ocean", "latitud": -20.5,
     "longitud": -175.3, "profundidad_km": 33.0, "timestamp": iso, "tsunami": True, "actualizado": iso,
     "tipo": "earthquake", "estado": "automatic", "alerta": "yellow", "tipo_magnitud": "mww",
     "url": "https://earthquake.usgs.gov/earthquakes/eventpage/livetest1", "ids": ["livetest1"]}
print(n, t, "livetest1\t" + json.dumps(v))
PY
)
printf '%s\n' "$LIVE_TSV_LINE" > "$T_DIR/live.tsv"

export ROOT DASH EXPECT=$T_DIR/expect.json WINDOWS_IN_DAY OUT PROFILE=$T_DIR/chromium-profile
export KPRODUCE="$PY $ROOT/tests/tools/kproduce.py $BOOTSTRAP $TOPIC" LIVE_TSV=$T_DIR/live.tsv LIVE_ID=livetest1 LIVE_TIME
export STATUS_KPRODUCE="$PY $ROOT/tests/tools/kproduce.py $BOOTSTRAP $STATUS_TOPIC"
export DASH_PID=${PIDS[dashboard]}
export RESTART="exec '$SISMO' dashboard -b '$BOOTSTRAP' --listen 127.0.0.1:$DASH_PORT --topic '$TOPIC' --stats-topic '$STATS_TOPIC' --status-topic '$STATUS_TOPIC' --clock event 2> '$T_DIR/dashboard2.err'"
node "$ROOT/tests/integ/0406-dashboard-browser.mjs"
unset "PIDS[dashboard]" # stopped (and its successor) by the browser script
[ -s "$OUT/dashboard.png" ] || fail "no screenshot"
say "screenshots: $OUT/dashboard-overview.png $OUT/dashboard.png $OUT/dashboard-phone.png"
