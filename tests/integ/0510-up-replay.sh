#!/usr/bin/env bash
# 0510: `sismo up --replay` end to end, on its own embedded broker (so it runs once, in the
# mock lane: it starts its own broker whatever the lane).
# brokers: mock
# timeout: 240
# Must hold:
#  - up becomes ready and prints the dashboard address; the recorded feeds are ingested;
#  - the dashboard API shows exactly the live events the independent models expect;
#  - alertas.log holds exactly the alerts the independent rules derive from the topic;
#  - sismos-stats holds every 5-minute window the independent stats model computes;
#  - alerts killed with -9 mid-run is restarted by up (logged) and nothing is lost or doubled;
#  - SIGTERM stops everything with exit 0 (broker last, its port closed);
#  - `up` again on the same data dir shows the earlier quakes at once and publishes nothing
#    twice (the topic and alert log are unchanged after the same replay).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ingest.sh"
. "$(dirname "$0")/lib-alerts.sh"
files=()
if [ -d "$SHARED/data/usgs" ]; then
    for f in all_day-2014-04-14T1152Z all_week-2014-04-15T1214Z 2.5_day-2025-12-06T2319Z \
        2.5_day-2025-12-07T0159Z 2.5_day-2025-12-07T0340Z; do
        files+=("$SHARED/data/usgs/$f.geojson")
    done
else
    say "recorded USGS data absent: using the repo's series fixtures"
    files=("$FIX/series-1.geojson" "$FIX/series-2.geojson" "$FIX/series-3.geojson")
fi
bport=$(free_port); dport=$(free_port)
BOOTSTRAP=127.0.0.1:$bport
DASH=http://127.0.0.1:$dport
data=$T_DIR/data
replay=(); for f in "${files[@]}"; do replay+=(--replay "$f"); done

start_up() { # NAME: starts `sismo up` (files 1 s apart) and waits until it is ready
    bg "$1" "$SISMO" up --data-dir "$data" --broker-listen "$BOOTSTRAP" --listen "127.0.0.1:$dport" \
        "${replay[@]}" --speed 30 --no-status
    wait_until 20 grep -q "up: ready in" "$T_DIR/$1.err"
    grep "up: ready in" "$T_DIR/$1.err" | sed 's/.*INFO  //'
}
child_pid() { # NAME CHILD: pid of a child of up, from up's "started/restarted" bookkeeping
    pgrep -P "${PIDS[$1]}" -f "sismo $2 " | head -1
}
api_count() { curl -fsS "$DASH/api/quakes" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(len(d["features"]))'; }

start_up up1
grep -q "dashboard at $DASH/" "$T_DIR/up1.err" || fail "dashboard address not printed"
# Kill alerts with -9 while the replay is still going (files arrive 1 s apart).
wait_until 20 grep -q "alerts: assigned [1-9]" "$T_DIR/up1.err"
apid=$(child_pid up1 alerts); [ -n "$apid" ] || fail "no alerts child"
kill -9 "$apid"
wait_until 20 grep -q "up: restarted alerts" "$T_DIR/up1.err"
# The restarted alerts is the same static group member: it gets its partitions back.
reassigned() { [ "$(grep -c "alerts: assigned [1-9]" "$T_DIR/up1.err")" -ge 2 ]; }
wait_until 20 reassigned
say "alerts (pid $apid) killed with -9, restarted and reassigned"
wait_until 60 grep -q "up: ingest finished" "$T_DIR/up1.err"

# The topic: exactly what the ingest model expects.
check_topic sismos "${files[@]}"
kcat -b "$BOOTSTRAP" -C -t sismos -o beginning -e -q -f '%k\t%s\n' > "$T_DIR/topic.tsv"
total=$(lines "$T_DIR/topic.tsv")

# The dashboard: the live events per the independent dashboard model (7-day window on the
# event clock; tombstoned and superseded ids gone).
$PY "$ROOT/tests/tools/dashexpect.py" "$T_DIR/topic.tsv" > "$T_DIR/expect.json"
want=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["features"]))' "$T_DIR/expect.json")
shows_want() { [ "$(api_count)" = "$want" ]; }
wait_until 20 shows_want
say "dashboard shows $want events"

# Alerts: wait until the log stops growing, then check it against the rules.
log=$data/alertas.log
prev=-1; while cur=$(lines "$log"); [ "$cur" != "$prev" ]; do prev=$cur; sleep 2; done
check_alerts --messages "$T_DIR/topic.tsv" --log "$log"
nalerts=$(lines "$log")

# Stats: every window of the independent model, fed the messages in the order ingest
# produced them (the topic equals the ingest model's expectation, checked above; files are
# a second apart, so stats reads each file before the next one arrives). up's watermark for
# replays is 31 days.
"$PY" "$ROOT/tests/tools/ingest_model.py" expect "${files[@]}" > "$T_DIR/model-in.tsv"
stats_ok() { "$PY" "$ROOT/tests/tools/stats_model.py" check "$BOOTSTRAP" sismos-stats --watermark 31d "$T_DIR/model-in.tsv"; }
for _ in $(seq 30); do stats_ok > /dev/null 2>&1 && break; sleep 1; done
stats_ok || fail "sismos-stats differs from the model"

# Ctrl-C equivalent: everything stops, exit 0, broker port closed.
t0=$(date +%s%N); kill -TERM "${PIDS[up1]}"; rc=0; wait "${PIDS[up1]}" || rc=$?; unset "PIDS[up1]"
say "up stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
assert_eq "$rc" 0 "up exit status after SIGTERM"
grep -q "up: stopping broker" "$T_DIR/up1.err" || fail "broker not stopped by up"
[ "$(grep -n 'up: stopping' "$T_DIR/up1.err" | tail -1 | grep -c broker)" = 1 ] || fail "broker was not stopped last"
port_open "$bport" && fail "broker port still open after up stopped"

# Again on the same data: the earlier quakes are there at once, nothing is published twice.
start_up up2
n=$(api_count)
say "after restart the dashboard shows $n events at once"
[ "$n" -gt 0 ] || fail "dashboard empty after restart"
wait_until 60 grep -q "up: ingest finished" "$T_DIR/up2.err"
grep "ingest: poll" "$T_DIR/up2.err" | grep -v " new=0 revised=0 " && fail "the second replay published something"
assert_eq "$(kcat -b "$BOOTSTRAP" -C -t sismos -o beginning -e -q -f '%k\n' | wc -l)" "$total" "messages after the second run"
wait_until 20 shows_want
sleep 2
assert_eq "$(lines "$log")" "$nalerts" "alert lines after the second run"
kill -TERM "${PIDS[up2]}"; rc=0; wait "${PIDS[up2]}" || rc=$?; unset "PIDS[up2]"
assert_eq "$rc" 0 "second up exit status"
