#!/usr/bin/env bash
# 0302: kill -9 of `sismo alerts` at random points, 20 times, restarting each time with the
# same group and log, while records keep arriving (revision series B, the M4.5 week, the
# significant month and tests/fixtures/alerts/revisions.tsv, produced at a steady rate).
# Offsets are committed at random intervals (100 ms .. 5 s) so kills land on both sides of a
# commit; once a torn last line (a crash in the middle of a write) is planted in the log.
# Must hold afterwards: alertas.log holds every qualifying alert exactly once (checked by
# tests/tools/alerts_check.py against the produced messages), no line is torn, the torn line
# was repaired with a warning, and at least one restart met messages it had already logged
# (so the crash window between the log write and the offset commit was really exercised).
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-alerts.sh"
need_shared
topic=$(uniq sismos)
group=$(uniq g-kill)
log=$T_DIR/alertas.log
runs=${KILL_RUNS:-20}
start_broker "$topic:3"

: > "$T_DIR/messages.tsv"
for f in 2.5_day-2025-12-06T2319Z 2.5_day-2025-12-07T0159Z 2.5_day-2025-12-07T0340Z \
    significant_month-2019-10-26T1649Z 4.5_week-2020-10-10T1643Z; do
    $PY "$ROOT/tests/tools/usgs2sismos.py" "$SHARED/data/usgs/$f.geojson" >> "$T_DIR/messages.tsv"
done
cat "$FIXTURES/revisions.tsv" >> "$T_DIR/messages.tsv"
total=$(grep -vc '^#' "$T_DIR/messages.tsv")
# Spread production over most of the loop (about 3.5 s a run).
rate=$(( total / (runs * 3) + 1 ))
bg producer $PY "$ROOT/tests/tools/produce_lines.py" "$BOOTSTRAP" "$topic" --rate "$rate" \
    "$T_DIR/messages.tsv"
say "$total messages at $rate/s, $runs runs"

# Session timeouts: the mock cluster elects a first leader 3 s after the first join, and a
# member waiting in JoinGroup longer than the group's session timeout is dropped (its join
# then hangs). A join into a running group waits (session timeout of the previous joiner -
# 1 s), so the timeout may only shrink by less than 1 s per restart: 3.5 s for the first
# run, then 3 s, 2.5 s, 2 s and 1.5 s, which evicts a killed member quickly (docs/ALERTS.md).
session_ms() { local s=$((3500 - 500 * ($1 - 1))); [ $s -ge 1500 ] || s=1500; echo $s; }
group_opts() { echo "-X session.timeout.ms=$(session_ms "$1") -X heartbeat.interval.ms=250 -X max.poll.interval.ms=6000"; }
commit_ms=(100 500 2000 5000)
assigned() { grep -q 'assigned 3 partitions' "$1"; }
torn_at=$(( runs / 2 ))
for ((i = 1; i <= runs; i++)); do
    read -ra opts <<< "$(group_opts $i)"
    ci=${commit_ms[$((RANDOM % 4))]}
    bg "run$i" "$SISMO" alerts -b "$BOOTSTRAP" --topic "$topic" --group "$group" --log "$log" \
        "${opts[@]}" -X auto.commit.interval.ms="$ci"
    wait_until 40 assigned "$T_DIR/run$i.err"
    before=$(lines "$log")
    sleep "$((RANDOM % 1500 / 1000)).$(printf '%03d' $((RANDOM % 1000)))"
    kill -KILL "${PIDS[run$i]}"
    wait "${PIDS[run$i]}" 2>/dev/null || true
    unset "PIDS[run$i]"
    say "run $i: killed after $(( $(lines "$log") - before )) new alerts (commit every ${ci} ms)"
    if [ $i = $torn_at ] && [ -s "$log" ]; then
        # A crash in the middle of a write leaves part of a line without its newline.
        tail -n 1 "$log" | head -c 60 >> "$log"
        say "run $i: planted a torn last line"
    fi
done
wait "${PIDS[producer]}" || fail "producer failed"
unset "PIDS[producer]"

# A last, clean run consumes whatever is left.
produce_sentinels "$topic" 3 "$T_DIR/messages.tsv"
read -ra opts <<< "$(group_opts $((runs + 1)))"
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
say "$replays restarts met alerts already in the log"
[ "$replays" -ge 1 ] || fail "no restart met an alert it had logged but not committed"
