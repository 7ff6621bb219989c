#!/usr/bin/env bash
# 0302: kill -9 of `sismo alerts` at random points, 20 times, restarting each time with the
# same group and log, while records keep arriving (revision series B, the M4.5 week, the
# significant month and tests/fixtures/alerts/revisions.tsv, interleaved so that alerts are
# due all along the loop, produced at a steady rate; without ../shared, 3,000 messages of
# `sismo simulate` with revisions, deletions and re-issued ids take the recorded feeds'
# place). Offsets are committed at random
# intervals (100 ms .. 5 s) so kills land on both sides of a commit; once a torn last line
# (a crash in the middle of a write) is planted in the log.
# Must hold afterwards: alertas.log holds every qualifying alert exactly once (checked by
# tests/tools/alerts_check.py against the produced messages), no line is torn, the torn line
# was repaired with a warning, at least half of the killed runs had alerted (the kills hit a
# working consumer, not an idle one) and at least one restart met messages it had already
# logged (so the crash window between the log write and the offset commit was really hit).
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"
topic=$(uniq sismos)
group=$(uniq g-kill)
log=$T_DIR/alertas.log
runs=${KILL_RUNS:-20}
start_broker "$topic:3"

# Four streams with no key in common, each kept in order (a key's records stay in order, so
# the expectation is the same), interleaved in proportion to their length: the M4.5+ records
# of the week and the month are spread over the loop instead of coming after the M2.5 series.
tsv() { $PY "$ROOT/tests/tools/usgs2sismos.py" "$SHARED/data/usgs/$1.geojson"; }
if [ -d "$SHARED/data/usgs" ]; then
    { tsv 2.5_day-2025-12-06T2319Z; tsv 2.5_day-2025-12-07T0159Z; tsv 2.5_day-2025-12-07T0340Z; } \
        > "$T_DIR/series.tsv"
    tsv significant_month-2019-10-26T1649Z > "$T_DIR/month.tsv"
    tsv 4.5_week-2020-10-10T1643Z > "$T_DIR/week.tsv"
    streams=("$T_DIR/series.tsv" "$T_DIR/month.tsv" "$T_DIR/week.tsv")
else
    say "no recorded feeds at $SHARED/data/usgs: synthetic messages instead"
    "$SISMO" simulate --seed 7 --count 3000 --revisions 0.1 --start 2025-12-01T00:00:00.000Z \
        > "$T_DIR/sim.tsv"
    streams=("$T_DIR/sim.tsv")
fi
$PY - "$T_DIR/messages.tsv" "${streams[@]}" "$FIXTURES/revisions.tsv" <<'PY' || fail "cannot interleave"
import sys
out, ins = sys.argv[1], sys.argv[2:]
streams = [[l for l in open(p, encoding="utf-8") if "\t" in l and not l.startswith("#")]
           for p in ins]
keys = [{l.split("\t", 1)[0] for l in s} for s in streams]
for i in range(len(keys)):
    for j in range(i):
        if keys[i] & keys[j]:
            sys.exit(f"streams {j} and {i} share keys {sorted(keys[i] & keys[j])[:3]}")
pos = [0] * len(streams)
with open(out, "w", encoding="utf-8") as f:
    for _ in range(sum(map(len, streams))):
        # the next line of the stream furthest behind its share
        k = min((i for i in range(len(streams)) if pos[i] < len(streams[i])),
                key=lambda i: (pos[i] + 1) / len(streams[i]))
        f.write(streams[k][pos[k]])
        pos[k] += 1
PY
total=$(grep -vc '^#' "$T_DIR/messages.tsv")
# Spread production over the loop. A run takes about 2.6 s on the mock (2.2 s to join once
# the killed member is evicted, then 0.35 s of work on average), 0.5-1 s elsewhere (static
# membership: no wait). The rate errs on the slow side, so that a loaded machine does not
# leave the last runs without records; what is left after the loop is sent at once (SIGUSR1).
run_ds=12; [ "$SISMO_TEST_BROKER" != mock ] || run_ds=30
rate=$(( total * 10 / (runs * run_ds) + 1 ))
bg producer $PY "$ROOT/tests/tools/produce_lines.py" "$BOOTSTRAP" "$topic" --rate "$rate" \
    "$T_DIR/messages.tsv"
say "$total messages at $rate/s, $runs runs"

# Group timing for restarts (session timeouts, static membership): lib-alerts.sh.
commit_ms=(100 500 2000 5000)
assigned() { grep -q 'assigned 3 partitions' "$1"; }
alerted() { grep -Ec 'INFO  alerts: (ALERTA|ACTUALIZACION) ' "$1" || true; }
active=0
torn_at=$(( runs / 2 ))
for ((i = 1; i <= runs; i++)); do
    read -ra opts <<< "$(restart_opts $i)"
    ci=${commit_ms[$((RANDOM % 4))]}
    bg "run$i" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$group" --log "$log" \
        "${opts[@]}" -X auto.commit.interval.ms="$ci"
    wait_until 40 assigned "$T_DIR/run$i.err"
    # Killed 0-1 s after the assignment; one run in three within 0.1 s, while it works
    # through the records that arrived during the join.
    if [ $((RANDOM % 3)) = 0 ]; then ms=$((RANDOM % 100)); else ms=$((RANDOM % 1000)); fi
    sleep "0.$(printf '%03d' $ms)"
    kill -KILL "${PIDS[run$i]}"
    wait "${PIDS[run$i]}" 2>/dev/null || true
    unset "PIDS[run$i]"
    n=$(alerted "$T_DIR/run$i.err")
    [ "$n" = 0 ] || active=$((active + 1))
    say "run $i: killed after $n alerts (commit every ${ci} ms)"
    if [ $i = $torn_at ] && [ -s "$log" ]; then
        # A crash in the middle of a write leaves part of a line without its newline.
        tail -n 1 "$log" | head -c 60 >> "$log"
        say "run $i: planted a torn last line"
    fi
done
kill -USR1 "${PIDS[producer]}" 2>/dev/null || true
wait "${PIDS[producer]}" || fail "producer failed"
unset "PIDS[producer]"

# A last, clean run consumes whatever is left.
produce_sentinels "$topic" 3 "$T_DIR/messages.tsv"
read -ra opts <<< "$(restart_opts $((runs + 1)))"
bg final "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$group" --log "$log" \
    "${opts[@]}"
wait_until 60 sentinels_in 3 "$log"
kill -TERM "${PIDS[final]}"; rc=0; wait "${PIDS[final]}" || rc=$?; unset "PIDS[final]"
assert_eq "$rc" 0 "exit status of the final run"

check_alerts --messages "$T_DIR/messages.tsv" --log "$log"
[ -z "$(tail -c 1 "$log")" ] || fail "the log ends with a torn line"
grep -q 'removed a torn last line' "$T_DIR/run$((torn_at + 1)).err" ||
    fail "run $((torn_at + 1)) did not repair the planted torn line"
replays=$(cat "$T_DIR"/run*.err "$T_DIR/final.err" | grep -c 'not logged again' || true)
say "$active of $runs killed runs had alerted; $replays restarts met alerts already in the log"
[ $((active * 2)) -ge "$runs" ] || fail "only $active of $runs kills hit a consumer that was alerting"
[ "$replays" -ge 1 ] || fail "no restart met an alert it had logged but not committed"
